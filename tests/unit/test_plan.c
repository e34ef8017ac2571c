/* Unit tests of the planner: desired x recorded x live -> changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "manifest/manifest.h"
#include "plan/plan.h"

static const char manifest[] =
    "version: 1\n"
    "interpreters:\n"
    "  same:\n"
    "    network: PUBLIC\n"
    "    tags: { team: data }\n"
    "  retag:\n"
    "    tags: { team: web, env: prod }\n"
    "  renet:\n"
    "    network: VPC\n"
    "    vpc: { subnets: [subnet-0bbbbbbbb, subnet-0aaaaaaaa],\n"
    "           security_groups: [sg-0abc12345] }\n"
    "    description: moved\n"
    "  guarded:\n"
    "    network: PUBLIC\n"
    "    prevent_destroy: true\n"
    "  fresh:\n"
    "    description: new one\n"
    "  vanished:\n"
    "    network: SANDBOX\n"
    "  failed:\n"
    "    network: SANDBOX\n"
    "  squatted:\n"
    "    network: SANDBOX\n";

struct world {
	struct sf_config *c;
	struct sf_diags d;
	struct sf_recorded rec;
	struct sf_live live;
	struct sf_plan plan;
};

static struct sf_rec_interpreter *
rec(struct world *w, const char *name, const char *network)
{
	struct sf_rec_interpreter *r;

	w->rec.interpreters = sf_xrealloc(
	    w->rec.interpreters, (w->rec.ninterpreters + 1) * sizeof(*r));
	r = &w->rec.interpreters[w->rec.ninterpreters++];
	memset(r, 0, sizeof(*r));
	r->name = sf_xstrdup(name);
	r->id = sf_xasprintf("%s-AbCdEfGhIj", name);
	r->arn = sf_xasprintf("arn:x/%s", r->id);
	r->network = sf_xstrdup(network);
	r->generation = 3;
	return r;
}

static void
rec_tag(struct sf_rec_interpreter *r, const char *k, const char *v)
{
	r->tags = sf_xrealloc(r->tags, (r->ntags + 1) * sizeof(*r->tags));
	r->tags[r->ntags].key = sf_xstrdup(k);
	r->tags[r->ntags].value = sf_xstrdup(v);
	r->ntags++;
}

static void
live(struct world *w, const char *name, const char *status, int sessions)
{
	struct sf_live_interpreter *l;

	w->live.interpreters = sf_xrealloc(
	    w->live.interpreters, (w->live.ninterpreters + 1) * sizeof(*l));
	l = &w->live.interpreters[w->live.ninterpreters++];
	memset(l, 0, sizeof(*l));
	l->name = sf_xstrdup(name);
	l->id = sf_xasprintf("%s-AbCdEfGhIj", name);
	l->status = sf_xstrdup(status);
	if (!strcmp(status, "CREATE_FAILED"))
		l->failure_reason = sf_xstrdup("role validation failed");
	l->active_sessions = sessions;
}

static struct world *
world(void)
{
	struct world *w = sf_xcalloc(1, sizeof(*w));
	struct sf_rec_interpreter *r;

	sf_diags_init(&w->d);
	assert_int_equal(sf_manifest_load_buffer("m.yaml", manifest,
	                     strlen(manifest), NULL, &w->c, &w->d),
	    SF_OK);
	sf_recorded_init(&w->rec);
	r = rec(w, "same", "PUBLIC");
	rec_tag(r, "team", "data");
	r = rec(w, "retag", "SANDBOX");
	rec_tag(r, "env", "prod");
	rec_tag(r, "team", "data");
	rec_tag(r, "old", "x");
	r = rec(w, "renet", "VPC");
	r->description = sf_xstrdup("before");
	r->subnets = sf_xcalloc(2, sizeof(char *));
	r->subnets[0] = sf_xstrdup("subnet-0aaaaaaaa");
	r->subnets[1] = sf_xstrdup("subnet-0bbbbbbbb");
	r->nsubnets = 2;
	r->security_groups = sf_xcalloc(1, sizeof(char *));
	r->security_groups[0] = sf_xstrdup("sg-0abc12345");
	r->nsecurity_groups = 1;
	r = rec(w, "guarded", "PUBLIC");
	r->prevent_destroy = true;
	rec(w, "vanished", "SANDBOX");
	rec(w, "failed", "SANDBOX");
	rec(w, "orphan", "SANDBOX");
	rec(w, "ghost", "SANDBOX");
	sf_recorded_sort(&w->rec);
	w->live.refreshed = true;
	live(w, "same", "READY", 0);
	live(w, "retag", "READY", 0);
	live(w, "renet", "READY", 2);
	live(w, "guarded", "READY", 0);
	live(w, "failed", "CREATE_FAILED", 0);
	live(w, "orphan", "READY", 1);
	live(w, "squatted", "READY", 0);
	live(w, "unrelated", "READY", 0);
	sf_live_sort(&w->live);
	return w;
}

static void
world_free(struct world *w)
{
	sf_plan_release(&w->plan);
	sf_recorded_release(&w->rec);
	sf_live_release(&w->live);
	sf_diags_release(&w->d);
	sf_config_free(w->c);
	free(w);
}

static const struct sf_plan_change *
change(const struct world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->plan.nchanges; i++)
		if (!strcmp(w->plan.changes[i].name, name))
			return &w->plan.changes[i];
	return NULL;
}

static const struct sf_plan_attr *
attr(const struct sf_plan_change *c, const char *name)
{
	size_t i;

	for (i = 0; c && i < c->nattrs; i++)
		if (!strcmp(c->attrs[i].name, name))
			return &c->attrs[i];
	return NULL;
}

static void
test_every_action(void **state)
{
	struct world *w = world();
	const struct sf_plan_change *c;
	const struct sf_plan_attr *a;
	size_t i;

	(void)state;
	assert_int_equal(
	    sf_plan_build(w->c, &w->rec, &w->live, NULL, &w->plan, &w->d),
	    SF_EINVALID); /* the squatted name */
	assert_int_equal(w->d.errors, 1);
	assert_non_null(strstr(w->d.v[0].summary,
	    "sandform state import squatted squatted-AbCdEfGhIj"));
	assert_int_equal(w->d.v[0].pos.line, 22);

	assert_int_equal(change(w, "same")->action, SF_PLAN_NOOP);
	assert_int_equal(change(w, "same")->nattrs, 0);

	c = change(w, "retag");
	assert_int_equal(c->action, SF_PLAN_UPDATE);
	assert_string_equal(attr(c, "tags.team")->before, "\"data\"");
	assert_string_equal(attr(c, "tags.team")->after, "\"web\"");
	assert_null(attr(c, "tags.old")->after);
	assert_null(attr(c, "tags.env"));
	assert_false(attr(c, "tags.team")->forces_replacement);
	/* SANDBOX is the default: no change without network: in the file. */
	assert_null(attr(c, "network"));

	c = change(w, "renet");
	assert_int_equal(c->action, SF_PLAN_REPLACE);
	assert_int_equal(c->generation, 4);
	assert_int_equal(c->active_sessions, 2);
	a = attr(c, "description");
	assert_true(a->forces_replacement);
	assert_string_equal(a->before, "\"before\"");
	/* Subnets are a set: the order in the file does not matter. */
	assert_null(attr(c, "vpc.subnets"));

	c = change(w, "fresh");
	assert_int_equal(c->action, SF_PLAN_CREATE);
	assert_int_equal(c->generation, 1);
	assert_string_equal(attr(c, "network")->after, "\"SANDBOX\"");

	c = change(w, "vanished");
	assert_int_equal(c->action, SF_PLAN_CREATE);
	assert_int_equal(c->generation, 4);
	assert_string_equal(c->reason, "it was deleted outside sandform");

	c = change(w, "failed");
	assert_int_equal(c->action, SF_PLAN_REPLACE);
	assert_string_equal(
	    c->reason, "it is CREATE_FAILED: role validation failed");

	c = change(w, "orphan");
	assert_int_equal(c->action, SF_PLAN_DELETE);
	assert_int_equal(c->active_sessions, 1);
	assert_string_equal(attr(c, "network")->before, "\"SANDBOX\"");

	c = change(w, "ghost");
	assert_int_equal(c->action, SF_PLAN_FORGET);
	assert_true(c->state_only);

	/* Live interpreters that are not ours stay out of the plan. */
	assert_null(change(w, "unrelated"));
	assert_int_equal(w->plan.counts.add, 2);
	assert_int_equal(w->plan.counts.change, 1);
	assert_int_equal(w->plan.counts.replace, 2);
	assert_int_equal(w->plan.counts.destroy, 1);
	assert_int_equal(w->plan.counts.forget, 1);
	for (i = 1; i < w->plan.nchanges; i++)
		assert_true(strcmp(w->plan.changes[i - 1].name,
		                w->plan.changes[i].name) < 0);
	assert_true(sf_plan_has_changes(&w->plan));
	world_free(w);
}

static void
test_prevent_destroy(void **state)
{
	struct world *w = world();
	static const char *const targets[] = { "guarded" };
	struct sf_plan_opts o = { targets, 1, true };

	(void)state;
	/* --destroy of a guarded interpreter fails, at its name. */
	assert_int_equal(
	    sf_plan_build(w->c, &w->rec, &w->live, &o, &w->plan, &w->d),
	    SF_EINVALID);
	assert_int_equal(w->d.errors, 1);
	assert_non_null(strstr(w->d.v[0].summary,
	    "interpreters.guarded has prevent_destroy, and this plan would "
	    "destroy it"));
	assert_int_equal(w->d.v[0].pos.line, 13);
	assert_int_equal(w->plan.nchanges, 1);
	assert_int_equal(w->plan.changes[0].action, SF_PLAN_DELETE);
	world_free(w);
}

static void
test_targets_and_no_refresh(void **state)
{
	struct world *w = world();
	static const char *const targets[] = { "retag", "orphan" };
	static const char *const bad[] = { "nosuch" };
	struct sf_plan_opts o = { targets, 2, false };
	struct sf_live none;

	(void)state;
	assert_int_equal(
	    sf_plan_build(w->c, &w->rec, &w->live, &o, &w->plan, &w->d), 0);
	assert_int_equal(w->plan.nchanges, 2);
	assert_int_equal(change(w, "retag")->action, SF_PLAN_UPDATE);
	assert_int_equal(change(w, "orphan")->action, SF_PLAN_DELETE);
	sf_plan_release(&w->plan);

	o.targets = bad;
	o.ntargets = 1;
	assert_int_equal(
	    sf_plan_build(w->c, &w->rec, &w->live, &o, &w->plan, &w->d),
	    SF_EINVALID);
	assert_non_null(strstr(w->d.v[0].summary, "--target nosuch"));
	sf_plan_release(&w->plan);

	/* --refresh=false: the state is taken at its word. */
	memset(&none, 0, sizeof(none));
	sf_diags_release(&w->d);
	sf_diags_init(&w->d);
	assert_int_equal(
	    sf_plan_build(w->c, &w->rec, &none, NULL, &w->plan, &w->d), 0);
	assert_int_equal(change(w, "vanished")->action, SF_PLAN_NOOP);
	assert_int_equal(change(w, "failed")->action, SF_PLAN_NOOP);
	assert_int_equal(change(w, "ghost")->action, SF_PLAN_DELETE);
	assert_int_equal(change(w, "squatted")->action, SF_PLAN_CREATE);
	assert_int_equal(change(w, "renet")->active_sessions, -1);
	world_free(w);
}

static void
test_state_only_change(void **state)
{
	struct world *w = world();
	struct sf_rec_interpreter *r;

	(void)state;
	/* Dropping prevent_destroy changes nothing in AgentCore. */
	r = (struct sf_rec_interpreter *)sf_recorded_interpreter(
	    &w->rec, "same");
	r->prevent_destroy = true;
	sf_plan_build(w->c, &w->rec, &w->live, NULL, &w->plan, &w->d);
	assert_int_equal(change(w, "same")->action, SF_PLAN_NOOP);
	assert_true(change(w, "same")->state_only);
	assert_string_equal(
	    attr(change(w, "same"), "prevent_destroy")->after, "false");
	world_free(w);
}

static void
test_empty_everything(void **state)
{
	struct sf_config *c = sf_config_new();
	struct sf_recorded r;
	struct sf_plan p;
	struct sf_diags d;

	(void)state;
	sf_recorded_init(&r);
	sf_diags_init(&d);
	assert_int_equal(sf_plan_build(c, &r, NULL, NULL, &p, &d), 0);
	assert_int_equal(p.nchanges, 0);
	assert_false(sf_plan_has_changes(&p));
	sf_plan_release(&p);
	sf_diags_release(&d);
	sf_config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_action),
		cmocka_unit_test(test_prevent_destroy),
		cmocka_unit_test(test_targets_and_no_refresh),
		cmocka_unit_test(test_state_only_change),
		cmocka_unit_test(test_empty_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
