/*
 * libFuzzer target: any bytes as a manifest file. The loader must return
 * a verdict with diagnostics, never crash, leak or read out of bounds;
 * diagnostics must point inside the input.
 */
#include "manifest/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
no_env(const char *name, void *ud)
{
	(void)ud;
	return strcmp(name, "SET") ? NULL : "value";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const vars[] = { "a=1", "account=123456789012" };
	struct sf_manifest_opts o;
	struct sf_config *c = NULL;
	struct sf_diags d;
	size_t i;
	int rc;

	memset(&o, 0, sizeof(o));
	o.vars = vars;
	o.nvars = 2;
	o.getenv = no_env;
	sf_diags_init(&d);
	rc = sf_manifest_load_buffer(
	    "fuzz.yaml", (const char *)data, size, &o, &c, &d);
	if ((rc == SF_OK) != (d.errors == 0))
		abort();
	for (i = 0; i < d.n; i++) {
		const struct sf_diag *g = &d.v[i];

		if (!g->summary || !*g->summary)
			abort();
		if (g->pos.file && g->pos.line > 1 &&
		    (size_t)g->pos.line > size + 1)
			abort();
	}
	sf_diags_release(&d);
	sf_config_free(c);
	return 0;
}
