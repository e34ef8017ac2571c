/*
 * Plans for people (Terraform's layout: +, -, -/+, ~ and a closing "Plan:"
 * line) and for machines (schema/plan.schema.json, shaped like
 * `terraform show -json`: resource_changes with actions arrays).
 */
#include <jansson.h>

#include "cli/cli.h"
#include "cli/planout.h"

#define RESOURCE_TYPE "agentcore_code_interpreter"

struct style {
	const char *add, *del, *chg, *off, *bold;
};

static const char *
symbol(enum sf_plan_action a)
{
	switch (a) {
	case SF_PLAN_CREATE:
		return "  +";
	case SF_PLAN_DELETE:
		return "  -";
	case SF_PLAN_REPLACE:
		return "-/+";
	case SF_PLAN_UPDATE:
		return "  ~";
	case SF_PLAN_FORGET:
		return "  .";
	case SF_PLAN_NOOP:
		break;
	}
	return "   ";
}

static const char *
color_of(const struct style *s, enum sf_plan_action a)
{
	switch (a) {
	case SF_PLAN_CREATE:
		return s->add;
	case SF_PLAN_DELETE:
		return s->del;
	case SF_PLAN_REPLACE:
	case SF_PLAN_UPDATE:
		return s->chg;
	default:
		return s->off;
	}
}

static const char *
headline(enum sf_plan_action a)
{
	switch (a) {
	case SF_PLAN_CREATE:
		return "will be created";
	case SF_PLAN_DELETE:
		return "will be destroyed";
	case SF_PLAN_REPLACE:
		return "must be replaced";
	case SF_PLAN_UPDATE:
		return "will be updated in-place";
	case SF_PLAN_FORGET:
		return "will be forgotten";
	case SF_PLAN_NOOP:
		break;
	}
	return "has a change in the state only";
}

static void
print_change(FILE *f, const struct sf_plan_change *c, const struct style *s)
{
	size_t i, width = 0;

	for (i = 0; i < c->nattrs; i++)
		if (strlen(c->attrs[i].name) > width)
			width = strlen(c->attrs[i].name);
	fprintf(f, "  %s# interpreters.%s%s %s", s->bold, c->name, s->off,
	    headline(c->action));
	if (c->active_sessions > 0 &&
	    (c->action == SF_PLAN_DELETE || c->action == SF_PLAN_REPLACE))
		fprintf(f, " (%d active session%s now)", c->active_sessions,
		    c->active_sessions == 1 ? "" : "s");
	fputc('\n', f);
	if (c->reason)
		fprintf(f, "  # (because %s)\n", c->reason);
	fprintf(f, "%s%s%s interpreter \"%s\" {", color_of(s, c->action),
	    symbol(c->action), s->off, c->name);
	if (c->id && *c->id && c->action != SF_PLAN_CREATE)
		fprintf(f, " # %s", c->id);
	fputc('\n', f);
	for (i = 0; i < c->nattrs; i++) {
		const struct sf_plan_attr *a = &c->attrs[i];
		const char *sym, *col;

		if (!a->before) {
			sym = "+";
			col = s->add;
		} else if (!a->after) {
			sym = "-";
			col = s->del;
		} else {
			sym = "~";
			col = s->chg;
		}
		fprintf(f, "      %s%s%s %-*s = ", col, sym, s->off, (int)width,
		    a->name);
		if (a->before && a->after)
			fprintf(f, "%s -> %s", a->before, a->after);
		else if (a->before)
			fprintf(f, "%s -> null", a->before);
		else
			fputs(a->after, f);
		if (a->forces_replacement)
			fprintf(f, " %s# forces replacement%s", s->del, s->off);
		fputc('\n', f);
	}
	fputs("    }\n", f);
}

void
sf_plan_print_text(FILE *f, const struct sf_plan *p, bool color)
{
	struct style s = { "", "", "", "", "" };
	size_t i, shown = 0;

	if (color) {
		s.add = "\033[32m";
		s.del = "\033[31m";
		s.chg = "\033[33m";
		s.off = "\033[0m";
		s.bold = "\033[1m";
	}
	for (i = 0; i < p->nchanges; i++) {
		const struct sf_plan_change *c = &p->changes[i];

		if (c->action == SF_PLAN_NOOP && !c->state_only)
			continue;
		if (!shown++)
			fputs("sandform will perform the following actions:\n",
			    f);
		fputc('\n', f);
		print_change(f, c, &s);
	}
	if (!sf_plan_has_changes(p)) {
		fprintf(f,
		    "%sNo changes.%s The interpreters match the "
		    "configuration.\n",
		    s.bold, s.off);
		return;
	}
	fprintf(f,
	    "\n%sPlan:%s %zu to add, %zu to change, %zu to replace, %zu to "
	    "destroy.",
	    s.bold, s.off, p->counts.add, p->counts.change, p->counts.replace,
	    p->counts.destroy);
	if (p->counts.forget)
		fprintf(f, " %zu to forget.", p->counts.forget);
	fputc('\n', f);
}

/* ---- JSON ---- */

static json_t *
actions(enum sf_plan_action a)
{
	switch (a) {
	case SF_PLAN_CREATE:
		return json_pack("[s]", "create");
	case SF_PLAN_DELETE:
		return json_pack("[s]", "delete");
	case SF_PLAN_REPLACE:
		/* names are unique: the old one goes first */
		return json_pack("[s, s]", "delete", "create");
	case SF_PLAN_UPDATE:
		return json_pack("[s]", "update");
	case SF_PLAN_FORGET:
		return json_pack("[s]", "forget");
	case SF_PLAN_NOOP:
		break;
	}
	return json_pack("[s]", "no-op");
}

/* Put value text v at path name ("tags.team" nests) in object o. */
static void
put(json_t *o, const char *name, const char *v)
{
	json_t *val = json_loads(v, JSON_DECODE_ANY, NULL);
	const char *dot = strchr(name, '.');

	if (!val)
		val = json_string(v);
	if (dot && (!strncmp(name, "tags.", 5) || !strncmp(name, "vpc.", 4))) {
		char *head = sf_xstrndup(name, (size_t)(dot - name));
		json_t *sub = json_object_get(o, head);

		if (!sub) {
			sub = json_object();
			json_object_set_new(o, head, sub);
		}
		json_object_set_new(sub, dot + 1, val);
		free(head);
		return;
	}
	json_object_set_new(o, name, val);
}

static json_t *
change_json(const struct sf_plan_change *c)
{
	json_t *before = json_object(), *after = json_object();
	json_t *paths = json_array(), *ch, *rc;
	size_t i;

	for (i = 0; i < c->nattrs; i++) {
		const struct sf_plan_attr *a = &c->attrs[i];

		if (a->before)
			put(before, a->name, a->before);
		if (a->after)
			put(after, a->name, a->after);
		if (a->forces_replacement) {
			json_t *path = json_array();
			const char *p = a->name, *dot;

			while ((dot = strchr(p, '.'))) {
				json_array_append_new(
				    path, json_stringn(p, (size_t)(dot - p)));
				p = dot + 1;
			}
			json_array_append_new(path, json_string(p));
			json_array_append_new(paths, path);
		}
	}
	ch = json_pack("{s:o, s:o, s:o}", "actions", actions(c->action),
	    "before", c->action == SF_PLAN_CREATE ? json_null() : before,
	    "after",
	    c->action == SF_PLAN_DELETE || c->action == SF_PLAN_FORGET
	        ? json_null()
	        : after);
	if (c->action == SF_PLAN_CREATE)
		json_decref(before);
	if (c->action == SF_PLAN_DELETE || c->action == SF_PLAN_FORGET)
		json_decref(after);
	if (json_array_size(paths))
		json_object_set_new(ch, "replace_paths", paths);
	else
		json_decref(paths);
	rc = json_pack("{s:s+, s:s, s:s, s:o}", "address", "interpreters.",
	    c->name, "type", RESOURCE_TYPE, "name", c->name, "change", ch);
	if (c->id && *c->id)
		json_object_set_new(rc, "id", json_string(c->id));
	if (c->reason)
		json_object_set_new(
		    rc, "action_reason", json_string(c->reason));
	if (c->active_sessions >= 0)
		json_object_set_new(
		    rc, "active_sessions", json_integer(c->active_sessions));
	if (c->generation)
		json_object_set_new(
		    rc, "generation", json_integer(c->generation));
	if (c->state_only)
		json_object_set_new(rc, "state_only", json_true());
	return rc;
}

json_t *
sf_plan_to_json(const struct sf_plan *p)
{
	json_t *changes = json_array();
	size_t i;

	for (i = 0; i < p->nchanges; i++)
		json_array_append_new(changes, change_json(&p->changes[i]));
	return json_pack("{s:s, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I}}",
	    "format_version", "1.0", "destroy", json_boolean(p->destroy),
	    "resource_changes", changes, "summary", "add",
	    (json_int_t)p->counts.add, "change", (json_int_t)p->counts.change,
	    "replace", (json_int_t)p->counts.replace, "destroy",
	    (json_int_t)p->counts.destroy, "forget",
	    (json_int_t)p->counts.forget);
}
