/*
 * The planner's golden-test driver: manifests (the current directory),
 * state.json and live.json in, the plan out as `sandform plan` prints it
 * (text), then as JSON. Arguments after the command name: --destroy,
 * --target NAME.
 *
 * live.json: [{"name", "id", "status", "failure_reason", "sessions"}, ...]
 */
#include <jansson.h>

#include "cli/cli.h"
#include "cli/planout.h"
#include "manifest/manifest.h"
#include "state/state.h"
#include "util/fs.h"

static int
load_live(const char *path, struct sf_live *l)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je), *x;
	size_t i;

	memset(l, 0, sizeof(*l));
	if (!j) {
		fprintf(stderr, "%s: %s\n", path, je.text);
		return 1;
	}
	l->refreshed = true;
	l->interpreters =
	    sf_xcalloc(json_array_size(j) + 1, sizeof(*l->interpreters));
	json_array_foreach(j, i, x)
	{
		struct sf_live_interpreter *v =
		    &l->interpreters[l->ninterpreters++];
		const char *fr =
		    json_string_value(json_object_get(x, "failure_reason"));

		v->name =
		    sf_xstrdup(json_string_value(json_object_get(x, "name")));
		v->id = sf_xstrdup(json_string_value(json_object_get(x, "id")));
		v->status =
		    sf_xstrdup(json_string_value(json_object_get(x, "status")));
		v->failure_reason = fr ? sf_xstrdup(fr) : NULL;
		v->active_sessions = json_object_get(x, "sessions")
		                         ? (int)json_integer_value(
		                               json_object_get(x, "sessions"))
		                         : -1;
	}
	json_decref(j);
	sf_live_sort(l);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sf_config *c = NULL;
	struct sf_diags d;
	struct sf_recorded rec;
	struct sf_live live;
	struct sf_plan plan;
	struct sf_plan_opts o;
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	const char *targets[8];
	json_t *j;
	char *s;
	int i, rc;

	memset(&o, 0, sizeof(o));
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--destroy"))
			o.destroy = true;
		else if (!strcmp(argv[i], "--target") && i + 1 < argc &&
		         o.ntargets < 8)
			targets[o.ntargets++] = argv[++i];
	}
	o.targets = targets;
	sf_diags_init(&d);
	if (sf_manifest_load(".", NULL, &c, &d)) {
		sf_diag_print_text(stderr, &d, c, false);
		return 1;
	}
	if (sf_fs_read("state.json", 1 << 20, &b, &err) == SF_OK) {
		if (sf_state_from_json(
		        b.buf, b.len, "state.json", &rec, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
	} else {
		sf_recorded_init(&rec);
	}
	sf_buf_release(&b);
	if (load_live("live.json", &live))
		return 1;
	rc = sf_plan_build(c, &rec, &live, &o, &plan, &d);
	sf_diags_sort(&d);
	sf_diag_print_text(stderr, &d, c, false);
	sf_plan_print_text(stdout, &plan, false);
	j = sf_plan_to_json(&plan);
	s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("---\n%s\n", s);
	free(s);
	json_decref(j);
	sf_plan_release(&plan);
	sf_live_release(&live);
	sf_recorded_release(&rec);
	sf_diags_release(&d);
	sf_config_free(c);
	return rc ? 1 : 0;
}
