/* ${var.NAME}, ${env.NAME} and the $${ escape. Other ${...} stay as written. */
#include "manifest/internal.h"

static bool
is_ident_start(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool
is_ident(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static const struct sf_variable *
find_var(const struct interp_ctx *ic, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ic->nvars; i++) {
		const char *v = ic->vars[i].name.s;

		if (strlen(v) == len && memcmp(v, name, len) == 0)
			return &ic->vars[i];
	}
	return NULL;
}

static const char *
lookup_env(const struct interp_ctx *ic, const char *name)
{
	if (ic->getenv)
		return ic->getenv(name, ic->getenv_ud);
	return getenv(name);
}

int
sf_interp_expand(const struct interp_ctx *ic, const struct node *n,
    struct sf_buf *out, bool *changed, struct sf_diags *diags)
{
	const char *s = n->value, *p = s;
	struct sf_pos at;
	const struct sf_pos *pos = &at;
	int rc = SF_OK;

	*changed = false;
	sf_buf_reset(out);
	while (*p) {
		const char *q = strchr(p, '$');
		size_t prefix, len;
		const char *name;
		bool is_env;

		if (!q) {
			sf_buf_adds(out, p);
			break;
		}
		sf_buf_add(out, p, (size_t)(q - p));
		if (q[1] == '$' && q[2] == '{') {
			sf_buf_adds(out, "${");
			*changed = true;
			p = q + 3;
			continue;
		}
		if (sf_str_has_prefix(q, "${var."))
			is_env = false;
		else if (sf_str_has_prefix(q, "${env."))
			is_env = true;
		else {
			sf_buf_addch(out, '$');
			p = q + 1;
			continue;
		}
		prefix = 6;
		name = q + prefix;
		for (len = 0; is_ident(name[len]); len++)
			;
		at = sf_node_subpos(n, (size_t)(q - s),
		    name[len] == '}' ? prefix + len + 1 : prefix + len);
		if (!len || !is_ident_start(name[0]) || name[len] != '}') {
			const char *end = strchr(q, '}');
			int w = end ? (int)(end - q + 1) : (int)strlen(q);

			at = sf_node_subpos(n, (size_t)(q - s), (size_t)w);
			rc = sf_diag_add(diags, SF_SEV_ERROR, pos,
			    "a reference is ${var.NAME} or ${env.NAME}, NAME "
			    "made of letters, digits and underscores",
			    "malformed reference \"%.*s\"", w > 80 ? 80 : w, q);
			p = end ? end + 1 : q + strlen(q);
			continue;
		}
		*changed = true;
		if (is_env) {
			char *nm = sf_xstrndup(name, len);
			const char *v = lookup_env(ic, nm);

			if (!v)
				rc = sf_diag_add(diags, SF_SEV_ERROR, pos,
				    "set it, or use a variable with a value "
				    "instead",
				    "environment variable %s is not set", nm);
			else
				sf_buf_adds(out, v);
			free(nm);
		} else if (!ic->allow_vars) {
			rc = sf_diag_add(diags, SF_SEV_ERROR, pos, NULL,
			    "a variable's value cannot refer to another "
			    "variable (${var.%.*s})",
			    (int)len, name);
		} else {
			const struct sf_variable *v = find_var(ic, name, len);

			if (!v)
				rc = sf_diag_add(diags, SF_SEV_ERROR, pos,
				    "declare it under variables: (--var "
				    "NAME=VALUE overrides a declared one)",
				    "undeclared variable \"%.*s\"", (int)len,
				    name);
			else
				sf_buf_adds(out, v->value.s);
		}
		p = name + len + 1;
	}
	return rc;
}
