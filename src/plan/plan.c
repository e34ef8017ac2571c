#include "plan/plan.h"

/* ---- values as JSON text, so both renderers can use them ---- */

static char *
lstrs_value(const struct sf_lstrs *l)
{
	const char **v = sf_xmalloc((l->n ? l->n : 1) * sizeof(*v));
	char *out;
	size_t i;

	for (i = 0; i < l->n; i++)
		v[i] = l->v[i].s;
	out = sf_json_set_value(v, l->n);
	free(v);
	return out;
}

static char *
strv_value(char *const *v, size_t n)
{
	return sf_json_set_value((const char *const *)v, n);
}

static bool
same(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* ---- building changes ---- */

struct builder {
	struct sf_plan *p;
	size_t alloc;
	struct sf_diags *d;
};

static struct sf_plan_change *
new_change(struct builder *b, const char *name, enum sf_plan_action a)
{
	struct sf_plan_change *c;

	SF_ALLOC_GROW(b->p->changes, b->p->nchanges + 1, b->alloc);
	c = &b->p->changes[b->p->nchanges++];
	memset(c, 0, sizeof(*c));
	c->name = sf_xstrdup(name);
	c->action = a;
	c->active_sessions = -1;
	return c;
}

/* Add attr name (takes before and after); skipped when both are NULL. */
static void
add_attr(struct sf_plan_change *c, const char *name, char *before, char *after,
    bool forces)
{
	struct sf_plan_attr *a;

	if (!before && !after)
		return;
	c->attrs = sf_xrealloc(c->attrs, (c->nattrs + 1) * sizeof(*c->attrs));
	a = &c->attrs[c->nattrs++];
	a->name = sf_xstrdup(name);
	a->before = before;
	a->after = after;
	a->forces_replacement = forces;
}

/* The replaceable attributes of desired d and recorded r, as values. */
struct attrs {
	char *description, *network, *role, *subnets, *sgs, *certs;
};

static void
desired_attrs(const struct sf_interpreter *d, struct attrs *a)
{
	a->description = sf_json_str_value(d->description.s);
	a->network = sf_json_str_value(sf_network_name(d->network));
	a->role = sf_json_str_value(d->execution_role_arn.s);
	a->subnets = lstrs_value(&d->subnets);
	a->sgs = lstrs_value(&d->security_groups);
	a->certs = lstrs_value(&d->certificates);
}

static void
recorded_attrs(const struct sf_rec_interpreter *r, struct attrs *a)
{
	a->description = sf_json_str_value(r->description);
	a->network = sf_json_str_value(r->network ? r->network : "SANDBOX");
	a->role = sf_json_str_value(r->execution_role_arn);
	a->subnets = strv_value(r->subnets, r->nsubnets);
	a->sgs = strv_value(r->security_groups, r->nsecurity_groups);
	a->certs = strv_value(r->certificates, r->ncertificates);
}

static const char *const attr_names[] = { "description", "network",
	"execution_role_arn", "vpc.subnets", "vpc.security_groups",
	"certificates" };

static char **
attr_slot(struct attrs *a, size_t i)
{
	char **slots[] = { &a->description, &a->network, &a->role, &a->subnets,
		&a->sgs, &a->certs };

	return slots[i];
}

static void
free_attrs(struct attrs *a)
{
	size_t i;

	for (i = 0; i < SF_ARRAY_LEN(attr_names); i++)
		free(*attr_slot(a, i));
}

/* Every attribute of one side (create: after; delete: before). */
static void
add_all(struct sf_plan_change *c, struct attrs *a, bool after)
{
	size_t i;

	for (i = 0; i < SF_ARRAY_LEN(attr_names); i++) {
		char **v = attr_slot(a, i);

		add_attr(c, attr_names[i], after ? NULL : *v, after ? *v : NULL,
		    false);
		*v = NULL;
	}
}

static void
add_desired_tags(struct sf_plan_change *c, const struct sf_interpreter *d)
{
	size_t i;

	for (i = 0; i < d->ntags; i++) {
		char *name = sf_xasprintf("tags.%s", d->tags[i].key.s);

		add_attr(c, name, NULL, sf_json_str_value(d->tags[i].value.s),
		    false);
		free(name);
	}
}

static void
add_recorded_tags(struct sf_plan_change *c, const struct sf_rec_interpreter *r)
{
	size_t i;

	for (i = 0; i < r->ntags; i++) {
		char *name = sf_xasprintf("tags.%s", r->tags[i].key);

		add_attr(
		    c, name, sf_json_str_value(r->tags[i].value), NULL, false);
		free(name);
	}
}

/* Tag differences (both lists sorted by key); true if any. */
static bool
diff_tags(struct sf_plan_change *c, const struct sf_interpreter *d,
    const struct sf_rec_interpreter *r)
{
	size_t i = 0, j = 0;
	bool any = false;

	while (i < d->ntags || j < r->ntags) {
		int cmp = i == d->ntags ? 1
		          : j == r->ntags
		              ? -1
		              : strcmp(d->tags[i].key.s, r->tags[j].key);
		const char *key = cmp <= 0 ? d->tags[i].key.s : r->tags[j].key;
		char *name = sf_xasprintf("tags.%s", key);

		if (cmp < 0) {
			add_attr(c, name, NULL,
			    sf_json_str_value(d->tags[i].value.s), false);
			any = true;
			i++;
		} else if (cmp > 0) {
			add_attr(c, name, sf_json_str_value(r->tags[j].value),
			    NULL, false);
			any = true;
			j++;
		} else {
			if (strcmp(d->tags[i].value.s, r->tags[j].value)) {
				add_attr(c, name,
				    sf_json_str_value(r->tags[j].value),
				    sf_json_str_value(d->tags[i].value.s),
				    false);
				any = true;
			}
			i++;
			j++;
		}
		free(name);
	}
	return any;
}

static bool
targeted(const struct sf_plan_opts *o, const char *name)
{
	size_t i;

	if (!o || !o->ntargets)
		return true;
	for (i = 0; i < o->ntargets; i++)
		if (!strcmp(o->targets[i], name))
			return true;
	return false;
}

static void
no_destroy(struct builder *b, const struct sf_plan_change *c,
    const struct sf_interpreter *d, const char *what)
{
	struct sf_pos none;
	const struct sf_pos *pos = d ? &d->name.pos : NULL;

	memset(&none, 0, sizeof(none));
	sf_diag_add(b->d, SF_SEV_ERROR, pos ? pos : &none,
	    "remove prevent_destroy from the manifest first if this is "
	    "really meant",
	    "interpreters.%s has prevent_destroy, and this plan would %s it%s",
	    c->name, what,
	    c->active_sessions > 0 ? " (it has active sessions)" : "");
}

/* desired only */
static void
plan_create(struct builder *b, const struct sf_interpreter *d,
    const struct sf_live_interpreter *live)
{
	struct sf_plan_change *c;
	struct attrs a;

	if (live) {
		/* The name is taken by something the state does not know. */
		sf_diag_add(b->d, SF_SEV_ERROR, &d->name.pos,
		    "sandform never touches what its state does not know",
		    "interpreter %s already exists in the control plane (id "
		    "%s) but not in the state: adopt it with `sandform state "
		    "import %s %s`, or delete it there",
		    d->name.s, live->id, d->name.s, live->id);
		c = new_change(b, d->name.s, SF_PLAN_NOOP);
		c->desired = d;
		c->id = sf_xstrdup(live->id);
		c->reason = sf_xstrdup("exists in the control plane but not in "
		                       "the state");
		return;
	}
	c = new_change(b, d->name.s, SF_PLAN_CREATE);
	c->desired = d;
	c->generation = 1;
	desired_attrs(d, &a);
	add_all(c, &a, true);
	free_attrs(&a);
	add_desired_tags(c, d);
	b->p->counts.add++;
}

/* recorded only (or --destroy) */
static void
plan_delete(struct builder *b, const struct sf_rec_interpreter *r,
    const struct sf_live *live, const struct sf_interpreter *d)
{
	const struct sf_live_interpreter *l =
	    live->refreshed ? sf_live_interpreter(live, r->name) : NULL;
	struct sf_plan_change *c;
	struct attrs a;

	if (live->refreshed && !l) {
		c = new_change(b, r->name, SF_PLAN_FORGET);
		c->recorded = r;
		c->id = sf_xstrdup(r->id ? r->id : "");
		c->state_only = true;
		c->reason = sf_xstrdup("already deleted outside sandform; the "
		                       "state forgets it");
		b->p->counts.forget++;
		return;
	}
	c = new_change(b, r->name, SF_PLAN_DELETE);
	c->recorded = r;
	c->desired = d;
	/* An interrupted create has no id in the state: the live one's. */
	c->id = sf_xstrdup(r->id ? r->id : l && l->id ? l->id : "");
	c->arn = r->arn ? sf_xstrdup(r->arn) : NULL;
	c->active_sessions = l ? l->active_sessions : -1;
	recorded_attrs(r, &a);
	add_all(c, &a, false);
	free_attrs(&a);
	add_recorded_tags(c, r);
	b->p->counts.destroy++;
	if (d ? d->prevent_destroy : r->prevent_destroy)
		no_destroy(b, c, d, "destroy");
}

/* desired and recorded */
static void
plan_compare(struct builder *b, const struct sf_interpreter *d,
    const struct sf_rec_interpreter *r, const struct sf_live *live)
{
	const struct sf_live_interpreter *l =
	    live->refreshed ? sf_live_interpreter(live, r->name) : NULL;
	struct sf_plan_change *c;
	struct attrs want, have;
	size_t i;
	bool replace = false;

	if (r->status && !strcmp(r->status, "PENDING")) {
		/* An apply stopped after recording its intent: the create
		 * may have been sent. Send it again with the same token. */
		c = new_change(b, d->name.s, SF_PLAN_CREATE);
		c->desired = d;
		c->recorded = r;
		c->generation = r->generation;
		c->reason =
		    sf_xstrdup("an earlier apply stopped while creating "
		               "it; the create is sent again with the "
		               "same client token");
		desired_attrs(d, &want);
		add_all(c, &want, true);
		free_attrs(&want);
		add_desired_tags(c, d);
		b->p->counts.add++;
		return;
	}
	if (live->refreshed && !l) {
		/* Deleted out of band: make it again. */
		c = new_change(b, d->name.s, SF_PLAN_CREATE);
		c->desired = d;
		c->recorded = r;
		c->generation = r->generation + 1;
		c->reason = sf_xstrdup("it was deleted outside sandform");
		desired_attrs(d, &want);
		add_all(c, &want, true);
		free_attrs(&want);
		add_desired_tags(c, d);
		b->p->counts.add++;
		return;
	}
	c = new_change(b, d->name.s, SF_PLAN_NOOP);
	c->desired = d;
	c->recorded = r;
	c->id = sf_xstrdup(r->id ? r->id : "");
	c->arn = r->arn ? sf_xstrdup(r->arn) : NULL;
	c->active_sessions = l ? l->active_sessions : -1;
	desired_attrs(d, &want);
	recorded_attrs(r, &have);
	for (i = 0; i < SF_ARRAY_LEN(attr_names); i++) {
		char **w = attr_slot(&want, i), **h = attr_slot(&have, i);

		if (same(*w, *h))
			continue;
		add_attr(c, attr_names[i], *h, *w, true);
		*w = *h = NULL;
		replace = true;
	}
	free_attrs(&want);
	free_attrs(&have);
	if (l && (!strcmp(l->status, "CREATE_FAILED") ||
	             !strcmp(l->status, "DELETE_FAILED"))) {
		replace = true;
		c->reason = sf_xasprintf("it is %s%s%s", l->status,
		    l->failure_reason ? ": " : "",
		    l->failure_reason ? l->failure_reason : "");
	}
	if (diff_tags(c, d, r) && !replace) {
		c->action = SF_PLAN_UPDATE;
		b->p->counts.change++;
	}
	if (replace) {
		c->action = SF_PLAN_REPLACE;
		c->generation = r->generation + 1;
		b->p->counts.replace++;
		if (d->prevent_destroy)
			no_destroy(b, c, d, "replace");
	} else if (d->prevent_destroy != r->prevent_destroy) {
		add_attr(c, "prevent_destroy",
		    sf_xstrdup(r->prevent_destroy ? "true" : "false"),
		    sf_xstrdup(d->prevent_destroy ? "true" : "false"), false);
		if (c->action == SF_PLAN_NOOP)
			c->state_only = true;
	}
}

static int
cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct sf_plan_change *)a)->name,
	    ((const struct sf_plan_change *)b)->name);
}

int
sf_plan_build(const struct sf_config *desired,
    const struct sf_recorded *recorded, const struct sf_live *live,
    const struct sf_plan_opts *opts, struct sf_plan *out,
    struct sf_diags *diags)
{
	struct builder b;
	struct sf_live none;
	size_t i, j, errors = diags->errors;
	bool destroy = opts && opts->destroy;

	memset(out, 0, sizeof(*out));
	memset(&none, 0, sizeof(none));
	if (!live)
		live = &none;
	b.p = out;
	b.alloc = 0;
	b.d = diags;
	out->destroy = destroy;
	for (i = 0; opts && i < opts->ntargets; i++) {
		const char *t = opts->targets[i];

		if (!sf_config_interpreter(desired, t) &&
		    !sf_config_job(desired, t) &&
		    !sf_recorded_interpreter(recorded, t))
			sf_diag_add(diags, SF_SEV_ERROR, NULL, NULL,
			    "--target %s: no interpreter or job of that name "
			    "in the manifests or the state",
			    t);
	}
	/* A merge of two sorted lists: the desired and the recorded. */
	for (i = j = 0;
	     i < desired->ninterpreters || j < recorded->ninterpreters;) {
		const struct sf_interpreter *d = i < desired->ninterpreters
		                                     ? &desired->interpreters[i]
		                                     : NULL;
		const struct sf_rec_interpreter *r =
		    j < recorded->ninterpreters ? &recorded->interpreters[j]
		                                : NULL;
		int cmp = !d ? 1 : !r ? -1 : strcmp(d->name.s, r->name);

		if (cmp < 0) {
			i++;
			if (!targeted(opts, d->name.s) || destroy)
				continue;
			plan_create(&b, d,
			    live->refreshed
			        ? sf_live_interpreter(live, d->name.s)
			        : NULL);
		} else if (cmp > 0) {
			j++;
			if (targeted(opts, r->name))
				plan_delete(&b, r, live, NULL);
		} else {
			i++;
			j++;
			if (!targeted(opts, d->name.s))
				continue;
			if (destroy)
				plan_delete(&b, r, live, d);
			else
				plan_compare(&b, d, r, live);
		}
	}
	if (out->nchanges > 1)
		qsort(out->changes, out->nchanges, sizeof(*out->changes),
		    cmp_change);
	return diags->errors > errors ? SF_EINVALID : SF_OK;
}

void
sf_plan_release(struct sf_plan *p)
{
	size_t i, j;

	for (i = 0; i < p->nchanges; i++) {
		struct sf_plan_change *c = &p->changes[i];

		for (j = 0; j < c->nattrs; j++) {
			free(c->attrs[j].name);
			free(c->attrs[j].before);
			free(c->attrs[j].after);
		}
		free(c->attrs);
		free(c->name);
		free(c->id);
		free(c->arn);
		free(c->reason);
	}
	free(p->changes);
	memset(p, 0, sizeof(*p));
}

bool
sf_plan_has_changes(const struct sf_plan *p)
{
	size_t i;

	for (i = 0; i < p->nchanges; i++)
		if (p->changes[i].action != SF_PLAN_NOOP ||
		    p->changes[i].state_only)
			return true;
	return false;
}

const char *
sf_plan_action_name(enum sf_plan_action a)
{
	switch (a) {
	case SF_PLAN_CREATE:
		return "create";
	case SF_PLAN_UPDATE:
		return "update";
	case SF_PLAN_REPLACE:
		return "replace";
	case SF_PLAN_DELETE:
		return "delete";
	case SF_PLAN_FORGET:
		return "forget";
	case SF_PLAN_NOOP:
		break;
	}
	return "no-op";
}
