/*
 * Apply against a fake control plane (the provider interface in memory,
 * with AgentCore's client-token semantics): order of work, the state after
 * every step, failures, interruption, and no duplicate after a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "apply/apply.h"
#include "manifest/manifest.h"

/* ---- the fake control plane ---- */

struct fake_ci {
	char name[64], id[80], token[320], status[32];
	int polls; /* GETs until the next state */
	bool gone;
	bool fail; /* CREATE_FAILED once ready */
};

struct fake {
	struct fake_ci v[64];
	size_t n;
	int creates, deletes, gets, tags;
	int next_id;
	char log[4096];
	const char *fail_name; /* its create ends CREATE_FAILED */
};

static struct fake *
F(struct sf_provider *p)
{
	return p->impl;
}

static void
logf_(struct fake *f, const char *s)
{
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, "%s;", s);
}

static struct fake_ci *
by_id(struct fake *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!f->v[i].gone && !strcmp(f->v[i].id, id))
			return &f->v[i];
	return NULL;
}

static void
fill(struct sf_ci *out, const struct fake_ci *c)
{
	memset(out, 0, sizeof(*out));
	out->id = sf_xstrdup(c->id);
	out->arn = sf_xasprintf("arn:fake/%s", c->id);
	out->name = sf_xstrdup(c->name);
	out->status = sf_xstrdup(c->status);
	if (!strcmp(c->status, "CREATE_FAILED"))
		out->failure_reason = sf_xstrdup("role validation failed");
}

static void
fake_call(struct fake *f, struct sf_pcall *c)
{
	struct fake_ci *k;
	size_t i;
	char line[256];

	c->rc = SF_OK;
	switch (c->kind) {
	case SF_PCALL_CREATE:
		f->creates++;
		for (i = 0; i < f->n; i++) {
			k = &f->v[i];
			if (k->gone || strcmp(k->name, c->spec->name))
				continue;
			if (!strcmp(k->token, c->spec->client_token)) {
				/* Same token: the original answer. */
				fill(&c->ci, k);
				snprintf(line, sizeof(line), "replay %s",
				    c->spec->name);
				logf_(f, line);
				return;
			}
			c->rc = sf_error(&c->err, SF_EREMOTE,
			    "CreateCodeInterpreter",
			    "ConflictException (409): %s exists",
			    c->spec->name);
			return;
		}
		k = &f->v[f->n++];
		memset(k, 0, sizeof(*k));
		snprintf(k->name, sizeof(k->name), "%s", c->spec->name);
		snprintf(k->id, sizeof(k->id), "%s-%010d", c->spec->name,
		    ++f->next_id);
		snprintf(
		    k->token, sizeof(k->token), "%s", c->spec->client_token);
		snprintf(k->status, sizeof(k->status), "CREATING");
		k->polls = 1;
		k->fail = f->fail_name && !strcmp(f->fail_name, k->name);
		fill(&c->ci, k);
		snprintf(line, sizeof(line), "create %s", k->name);
		logf_(f, line);
		return;
	case SF_PCALL_DELETE:
		f->deletes++;
		if (!(k = by_id(f, c->id))) {
			c->rc = sf_error(&c->err, SF_ENOTFOUND, "Delete",
			    "ResourceNotFoundException (404)");
			return;
		}
		snprintf(k->status, sizeof(k->status), "DELETING");
		k->polls = 1;
		fill(&c->ci, k);
		snprintf(line, sizeof(line), "delete %s", k->name);
		logf_(f, line);
		return;
	case SF_PCALL_GET:
		f->gets++;
		if (!(k = by_id(f, c->id))) {
			c->rc = sf_error(&c->err, SF_ENOTFOUND, "Get",
			    "ResourceNotFoundException (404)");
			return;
		}
		if (k->polls-- <= 0) {
			if (!strcmp(k->status, "CREATING"))
				snprintf(k->status, sizeof(k->status), "%s",
				    k->fail ? "CREATE_FAILED" : "READY");
			else if (!strcmp(k->status, "DELETING"))
				k->gone = true;
		}
		if (k->gone) {
			c->rc = sf_error(&c->err, SF_ENOTFOUND, "Get",
			    "ResourceNotFoundException (404)");
			return;
		}
		fill(&c->ci, k);
		return;
	case SF_PCALL_TAG:
	case SF_PCALL_UNTAG:
		f->tags++;
		logf_(f, c->kind == SF_PCALL_TAG ? "tag" : "untag");
		return;
	case SF_PCALL_COUNT_SESSIONS:
		c->sessions = 0;
		return;
	}
}

static void
fake_batch(struct sf_provider *p, struct sf_pcall *calls, size_t n,
    size_t parallel, void (*done)(struct sf_pcall *c, void *ud), void *ud)
{
	size_t i;

	(void)parallel;
	for (i = 0; i < n; i++) {
		fake_call(F(p), &calls[i]);
		if (done)
			done(&calls[i], ud);
	}
}

static const struct sf_provider_ops fake_ops = { .batch = fake_batch };

/* ---- the test world ---- */

struct world {
	struct fake f;
	struct sf_provider p;
	struct sf_config *c;
	struct sf_diags d;
	struct sf_recorded rec;
	struct sf_plan plan;
	int saves;
	int fail_save_after; /* 0: never */
	/* What the last successful save wrote: name, status, id. */
	char saved[16][3][96];
	size_t nsaved;
	int64_t clock;
	volatile sig_atomic_t stop;
	int stop_after_deletes;
};

static int
save_state(void *ud, struct sf_recorded *rec, struct sf_err *err)
{
	struct world *w = ud;

	size_t i;

	if (w->fail_save_after && w->saves >= w->fail_save_after)
		return sf_error(err, SF_ERROR, "state", "disk full");
	w->saves++;
	w->nsaved = rec->ninterpreters;
	for (i = 0; i < rec->ninterpreters && i < 16; i++) {
		const struct sf_rec_interpreter *r = &rec->interpreters[i];

		snprintf(w->saved[i][0], 96, "%s", r->name);
		snprintf(w->saved[i][1], 96, "%s", r->status ? r->status : "");
		snprintf(w->saved[i][2], 96, "%s", r->id ? r->id : "");
	}
	return SF_OK;
}

static int64_t
fake_now(void *ud)
{
	return ((struct world *)ud)->clock;
}

static void
fake_sleep(void *ud, int64_t ms)
{
	struct world *w = ud;

	w->clock += ms;
	if (w->stop_after_deletes && w->f.deletes)
		w->stop = 1;
}

static void
load(struct world *w, const char *yaml)
{
	if (w->c) {
		sf_config_free(w->c);
		sf_diags_release(&w->d);
	}
	sf_diags_init(&w->d);
	assert_int_equal(sf_manifest_load_buffer(
	                     "m.yaml", yaml, strlen(yaml), NULL, &w->c, &w->d),
	    SF_OK);
}

static struct world *
world(const char *yaml)
{
	struct world *w = sf_xcalloc(1, sizeof(*w));

	w->p.ops = &fake_ops;
	w->p.impl = &w->f;
	sf_recorded_init(&w->rec);
	snprintf(w->rec.lineage, sizeof(w->rec.lineage),
	    "0b0e5b2a-6a55-4e0f-9d0c-1f2e3d4c5b6a");
	load(w, yaml);
	return w;
}

static void
world_free(struct world *w)
{
	sf_plan_release(&w->plan);
	sf_recorded_release(&w->rec);
	sf_diags_release(&w->d);
	sf_config_free(w->c);
	free(w);
}

/* The live list the planner gets, from the fake. */
static void
live_of(struct world *w, struct sf_live *l)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	l->refreshed = true;
	l->interpreters = sf_xcalloc(w->f.n + 1, sizeof(*l->interpreters));
	for (i = 0; i < w->f.n; i++) {
		struct sf_live_interpreter *x;

		if (w->f.v[i].gone)
			continue;
		x = &l->interpreters[l->ninterpreters++];
		x->name = sf_xstrdup(w->f.v[i].name);
		x->id = sf_xstrdup(w->f.v[i].id);
		x->status = sf_xstrdup(w->f.v[i].status);
		x->active_sessions = 0;
	}
	sf_live_sort(l);
}

static int
run(struct world *w, struct sf_apply_result *res, struct sf_err *err)
{
	struct sf_apply_opts o;
	struct sf_live l;
	int rc;

	live_of(w, &l);
	sf_plan_release(&w->plan);
	assert_int_equal(
	    sf_plan_build(w->c, &w->rec, &l, NULL, &w->plan, &w->d), SF_OK);
	memset(&o, 0, sizeof(o));
	o.lineage = w->rec.lineage;
	o.save = save_state;
	o.save_ud = w;
	o.now_ms = fake_now;
	o.sleep_ms = fake_sleep;
	o.clock_ud = w;
	o.interrupted = &w->stop;
	rc = sf_apply(&w->p, &w->plan, &w->rec, &o, res, err);
	sf_live_release(&l);
	return rc;
}

static const char three[] = "version: 1\n"
                            "interpreters:\n"
                            "  alpha: { network: PUBLIC, tags: { a: '1' } }\n"
                            "  beta: {}\n"
                            "  gamma: { description: g }\n";

static void
test_create_then_converged(void **state)
{
	struct world *w = world(three);
	struct sf_apply_result res;
	struct sf_err err;
	const struct sf_rec_interpreter *r;

	(void)state;
	assert_int_equal(run(w, &res, &err), SF_OK);
	assert_int_equal(res.created, 3);
	assert_int_equal(w->f.creates, 3);
	r = sf_recorded_interpreter(&w->rec, "alpha");
	assert_string_equal(r->status, "READY");
	assert_string_equal(r->id, "alpha-0000000001");
	assert_string_equal(r->network, "PUBLIC");
	assert_int_equal(r->generation, 1);
	assert_int_equal(r->ntags, 1);
	/* The intent, the answers, then each READY: saved all along. */
	assert_true(w->saves >= 5);
	/* A second apply has nothing to do. */
	assert_int_equal(run(w, &res, &err), SF_OK);
	assert_false(sf_plan_has_changes(&w->plan));
	assert_int_equal(w->f.creates, 3);
	world_free(w);
}

static void
test_replace_bumps_generation(void **state)
{
	struct world *w = world(three);
	struct sf_apply_result res;
	struct sf_err err;
	const struct sf_rec_interpreter *r;
	char first[320];

	(void)state;
	assert_int_equal(run(w, &res, &err), SF_OK);
	snprintf(first, sizeof(first), "%s", w->f.v[0].token);
	load(w, "version: 1\n"
	        "interpreters:\n"
	        "  alpha: { network: SANDBOX, tags: { a: '1' } }\n"
	        "  beta: { tags: { new: x } }\n");
	w->f.log[0] = '\0';
	assert_int_equal(run(w, &res, &err), SF_OK);
	/* Deletes first (the old alpha, gamma), then the new alpha. */
	assert_string_equal(
	    w->f.log, "delete alpha;delete gamma;create alpha;tag;");
	r = sf_recorded_interpreter(&w->rec, "alpha");
	assert_int_equal(r->generation, 2);
	assert_string_equal(r->network, "SANDBOX");
	assert_string_equal(r->status, "READY");
	/* A new generation, a new token: never the old interpreter. */
	assert_string_not_equal(w->f.v[3].token, first);
	assert_null(sf_recorded_interpreter(&w->rec, "gamma"));
	assert_int_equal(res.deleted, 1);
	assert_int_equal(res.updated, 1);
	world_free(w);
}

static void
test_create_failed(void **state)
{
	struct world *w = world(three);
	struct sf_apply_result res;
	struct sf_err err;

	(void)state;
	w->f.fail_name = "beta";
	assert_int_equal(run(w, &res, &err), SF_EREMOTE);
	assert_non_null(
	    strstr(err.msg, "CREATE_FAILED: role validation failed"));
	assert_string_equal(err.where, "beta");
	assert_int_equal(res.created, 2);
	assert_int_equal(res.failed, 1);
	assert_string_equal(
	    sf_recorded_interpreter(&w->rec, "beta")->status, "CREATE_FAILED");
	/* The next plan replaces it. */
	w->f.fail_name = NULL;
	assert_int_equal(run(w, &res, &err), SF_OK);
	assert_int_equal(w->plan.counts.replace, 1);
	assert_string_equal(
	    sf_recorded_interpreter(&w->rec, "beta")->status, "READY");
	world_free(w);
}

static void
test_crash_then_no_duplicate(void **state)
{
	struct world *w = world(three);
	struct sf_apply_result res;
	struct sf_err err;
	size_t i;

	(void)state;
	/* The state can be written once (the intent), then never again: as
	 * if apply was killed right after sending the creates. */
	w->fail_save_after = 1;
	assert_int_not_equal(run(w, &res, &err), SF_OK);
	assert_int_equal(w->f.creates, 3);
	assert_string_equal(err.msg, "disk full");
	/* What reached the disk: the intent, every one PENDING, no ids. The
	 * process "dies": its memory goes, the state file is what is left. */
	assert_int_equal(w->nsaved, 3);
	for (i = 0; i < w->rec.ninterpreters; i++) {
		struct sf_rec_interpreter *r = &w->rec.interpreters[i];

		assert_string_equal(w->saved[i][0], r->name);
		assert_string_equal(w->saved[i][1], "PENDING");
		assert_string_equal(w->saved[i][2], "");
		free(r->status);
		r->status = sf_xstrdup(w->saved[i][1]);
		free(r->id);
		r->id = NULL;
	}
	/* Run again: the same tokens, the original answers, no duplicate. */
	w->fail_save_after = 0;
	w->f.log[0] = '\0';
	assert_int_equal(run(w, &res, &err), SF_OK);
	assert_string_equal(w->f.log, "replay alpha;replay beta;replay gamma;");
	assert_int_equal(w->f.n, 3);
	assert_string_equal(
	    sf_recorded_interpreter(&w->rec, "gamma")->id, "gamma-0000000003");
	world_free(w);
}

static void
test_interrupted(void **state)
{
	struct world *w = world(three);
	struct sf_apply_result res;
	struct sf_err err;

	(void)state;
	assert_int_equal(run(w, &res, &err), SF_OK);
	load(w, "version: 1\n"
	        "interpreters:\n"
	        "  alpha: { network: SANDBOX }\n");
	/* Ctrl-C while the deletes are in flight: nothing new starts. */
	w->stop_after_deletes = 1;
	assert_int_equal(run(w, &res, &err), SF_EINTR);
	assert_true(res.interrupted);
	assert_non_null(strstr(err.msg, "interrupted"));
	assert_int_equal(w->f.creates, 3);
	/* alpha was being replaced: its record is kept, not lost. */
	assert_non_null(sf_recorded_interpreter(&w->rec, "alpha"));
	world_free(w);
}

static void
test_client_token(void **state)
{
	char a[320], b[320];

	(void)state;
	sf_apply_client_token(a, sizeof(a),
	    "0b0e5b2a-6a55-4e0f-9d0c-1f2e3d4c5b6a", "my_box", 2, 'c');
	sf_apply_client_token(b, sizeof(b),
	    "0b0e5b2a-6a55-4e0f-9d0c-1f2e3d4c5b6a", "my_box", 3, 'c');
	assert_string_equal(a, "sf-0b0e5b2a-6a55-4e0f-9d0c-1f2e3d4c5b6a-c2-"
	                       "6d795f626f78");
	assert_string_not_equal(a, b);
	/* AgentCore's ClientToken: 33..256 of [a-zA-Z0-9-]. */
	assert_true(strlen(a) >= 33 && strlen(a) <= 256);
	assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
	                           "OPQRSTUVWXYZ0123456789-"),
	    strlen(a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_then_converged),
		cmocka_unit_test(test_replace_bumps_generation),
		cmocka_unit_test(test_create_failed),
		cmocka_unit_test(test_crash_then_no_duplicate),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_client_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
