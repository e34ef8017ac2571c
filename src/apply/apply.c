#include <time.h>

#include "apply/apply.h"

struct ctx {
	struct sf_provider *p;
	const struct sf_plan *plan;
	struct sf_recorded *rec;
	const struct sf_apply_opts *o;
	struct sf_apply_result *res;
	struct sf_err *err; /* the first error */
	int rc;
	bool stopped; /* the state could not be saved: start nothing */
};

/* ---- small things ---- */

static int64_t
real_now(void *ud)
{
	struct timespec ts;

	(void)ud;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
real_sleep(void *ud, int64_t ms)
{
	struct timespec ts;

	(void)ud;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static int64_t
now(const struct ctx *x)
{
	return x->o->now_ms ? x->o->now_ms(x->o->clock_ud) : real_now(NULL);
}

static void
pause_ms(const struct ctx *x, int64_t ms)
{
	if (x->o->sleep_ms)
		x->o->sleep_ms(x->o->clock_ud, ms);
	else
		real_sleep(NULL, ms);
}

static size_t
par(const struct ctx *x)
{
	return x->o->parallelism ? x->o->parallelism : 10;
}

static bool
interrupted(const struct ctx *x)
{
	return x->stopped || (x->o->interrupted && *x->o->interrupted);
}

static void say(struct ctx *x, const char *fmt, ...) SF_PRINTF(2, 3);

static void
say(struct ctx *x, const char *fmt, ...)
{
	struct sf_buf b = SF_BUF_INIT;
	va_list ap;

	if (!x->o->progress)
		return;
	va_start(ap, fmt);
	sf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	x->o->progress(x->o->progress_ud, b.buf);
	sf_buf_release(&b);
}

/* Remember the first failure; report every one. */
static void
fail(struct ctx *x, const char *name, const struct sf_err *e)
{
	x->res->failed++;
	say(x, "%s: error: %s%s%s", name, e->where, e->where[0] ? ": " : "",
	    e->msg);
	if (x->rc == SF_OK) {
		x->rc = e->code ? e->code : SF_ERROR;
		*x->err = *e;
	}
}

static int
save(struct ctx *x)
{
	struct sf_err e;
	int rc;

	if (!x->o->save)
		return SF_OK;
	sf_recorded_sort(x->rec);
	if ((rc = x->o->save(x->o->save_ud, x->rec, &e))) {
		/* Losing track is worse than stopping: stop. */
		fail(x, "state", &e);
		x->stopped = true;
		return rc;
	}
	return SF_OK;
}

void
sf_apply_client_token(char *out, size_t n, const char *lineage,
    const char *name, int64_t generation, char kind)
{
	static const char hex[] = "0123456789abcdef";
	struct sf_buf b = SF_BUF_INIT;
	const char *p;

	/* Names may hold '_', which tokens may not: the name goes in hex. */
	sf_buf_addf(&b, "sf-%s-%c%lld-", lineage, kind, (long long)generation);
	for (p = name; *p; p++) {
		sf_buf_addch(&b, hex[(unsigned char)*p >> 4]);
		sf_buf_addch(&b, hex[(unsigned char)*p & 15]);
	}
	snprintf(out, n, "%s", b.buf);
	sf_buf_release(&b);
}

/* ---- the state's records ---- */

static char *
dup_or_null(const char *s)
{
	return s ? sf_xstrdup(s) : NULL;
}

static struct sf_rec_interpreter *
rec_find(struct sf_recorded *rec, const char *name)
{
	return (struct sf_rec_interpreter *)sf_recorded_interpreter(rec, name);
}

static struct sf_rec_interpreter *
rec_upsert(struct sf_recorded *rec, const char *name)
{
	struct sf_rec_interpreter *r = rec_find(rec, name);

	if (r)
		return r;
	rec->interpreters = sf_xrealloc(rec->interpreters,
	    (rec->ninterpreters + 1) * sizeof(*rec->interpreters));
	r = &rec->interpreters[rec->ninterpreters++];
	memset(r, 0, sizeof(*r));
	r->name = sf_xstrdup(name);
	sf_recorded_sort(rec);
	return rec_find(rec, name);
}

static void
rec_remove(struct sf_recorded *rec, const char *name)
{
	struct sf_rec_interpreter *r = rec_find(rec, name);
	size_t i;

	if (!r)
		return;
	i = (size_t)(r - rec->interpreters);
	sf_rec_interpreter_release(r);
	memmove(&rec->interpreters[i], &rec->interpreters[i + 1],
	    (rec->ninterpreters - i - 1) * sizeof(*r));
	rec->ninterpreters--;
}

static char **
copy_lstrs(const struct sf_lstrs *l, size_t *n)
{
	char **v;
	size_t i;

	*n = l->n;
	if (!l->n)
		return NULL;
	v = sf_xcalloc(l->n, sizeof(*v));
	for (i = 0; i < l->n; i++)
		v[i] = sf_xstrdup(l->v[i].s);
	return v;
}

/* Give r the attributes of d (what it is, or is about to be, made with). */
static void
rec_fill(struct sf_rec_interpreter *r, const struct sf_interpreter *d)
{
	char *name = r->name, *id = r->id, *arn = r->arn, *status = r->status;
	int64_t generation = r->generation, created = r->created_at;
	size_t i;

	r->name = r->id = r->arn = r->status = NULL;
	sf_rec_interpreter_release(r);
	r->name = name;
	r->id = id;
	r->arn = arn;
	r->status = status;
	r->generation = generation;
	r->created_at = created;
	r->description = dup_or_null(d->description.s);
	r->network = sf_xstrdup(sf_network_name(d->network));
	r->execution_role_arn = dup_or_null(d->execution_role_arn.s);
	r->subnets = copy_lstrs(&d->subnets, &r->nsubnets);
	r->security_groups =
	    copy_lstrs(&d->security_groups, &r->nsecurity_groups);
	r->certificates = copy_lstrs(&d->certificates, &r->ncertificates);
	r->ntags = d->ntags;
	r->tags = d->ntags ? sf_xcalloc(d->ntags, sizeof(*r->tags)) : NULL;
	for (i = 0; i < d->ntags; i++) {
		r->tags[i].key = sf_xstrdup(d->tags[i].key.s);
		r->tags[i].value = sf_xstrdup(d->tags[i].value.s);
	}
	r->prevent_destroy = d->prevent_destroy;
}

static void
set_status(struct sf_rec_interpreter *r, const char *status)
{
	free(r->status);
	r->status = dup_or_null(status);
}

/* ---- waiting for the control plane ---- */

enum wait_for { UNTIL_GONE, UNTIL_READY };

struct waiter {
	const struct sf_plan_change *c;
	char *id;
	bool waiting;
	int seen; /* READY answers in a row */
	int64_t deadline, started;
};

/* Poll GetCodeInterpreter for every waiter until it is done or failed. */
static void
wait_all(struct ctx *x, struct waiter *w, size_t n, enum wait_for what)
{
	int64_t delay = x->o->poll_first_ms ? x->o->poll_first_ms : 200;
	int64_t cap = x->o->poll_max_ms ? x->o->poll_max_ms : 5000;
	int need = x->o->ready_confirmations ? x->o->ready_confirmations : 1;
	struct sf_pcall *calls = sf_xcalloc(n ? n : 1, sizeof(*calls));

	for (;;) {
		size_t k = 0, i;

		for (i = 0; i < n; i++)
			if (w[i].waiting) {
				memset(&calls[k], 0, sizeof(calls[k]));
				calls[k].kind = SF_PCALL_GET;
				calls[k].id = w[i].id;
				calls[k].ud = &w[i];
				k++;
			}
		if (!k || interrupted(x))
			break;
		pause_ms(x, delay);
		delay = delay * 2 > cap ? cap : delay * 2;
		x->p->ops->batch(x->p, calls, k, par(x), NULL, NULL);
		for (i = 0; i < k; i++) {
			struct waiter *v = calls[i].ud;
			const char *name = v->c->name;
			struct sf_rec_interpreter *r = rec_find(x->rec, name);
			const char *st = calls[i].ci.status;

			if (what == UNTIL_GONE && calls[i].rc == SF_ENOTFOUND) {
				v->waiting = false;
				if (v->c->action == SF_PLAN_REPLACE) {
					/* Gone: the create is next, under
					 * its own generation. */
					free(r->id);
					free(r->arn);
					r->id = r->arn = NULL;
					r->generation = v->c->generation;
					set_status(r, "PENDING");
					rec_fill(r, v->c->desired);
				} else {
					rec_remove(x->rec, name);
					x->res->deleted++;
				}
				say(x, "%s: destroyed after %.1fs", name,
				    (double)(now(x) - v->started) / 1000.0);
				save(x);
			} else if (calls[i].rc != SF_OK) {
				v->waiting = false;
				fail(x, name, &calls[i].err);
			} else if (what == UNTIL_READY && st &&
			           !strcmp(st, "READY")) {
				if (++v->seen >= need) {
					v->waiting = false;
					set_status(r, "READY");
					x->res->created++;
					say(x, "%s: created %s after %.1fs",
					    name, v->id,
					    (double)(now(x) - v->started) /
					        1000.0);
					save(x);
				}
			} else if (st && (!strcmp(st, "CREATE_FAILED") ||
			                     !strcmp(st, "DELETE_FAILED"))) {
				struct sf_err e;

				v->waiting = false;
				set_status(r, st);
				save(x);
				sf_error(&e, SF_EREMOTE, name, "%s%s%s", st,
				    calls[i].ci.failure_reason ? ": " : "",
				    calls[i].ci.failure_reason
				        ? calls[i].ci.failure_reason
				        : "");
				fail(x, name, &e);
			} else {
				v->seen = 0;
				if (now(x) > v->deadline) {
					struct sf_err e;

					v->waiting = false;
					sf_error(&e, SF_ERROR, name,
					    "still %s after the timeout",
					    st ? st : "not ready");
					fail(x, name, &e);
				}
			}
			sf_ci_release(&calls[i].ci);
		}
	}
	free(calls);
}

/* ---- the phases ---- */

static bool
deletes(const struct sf_plan_change *c)
{
	return !c->state_only &&
	       (c->action == SF_PLAN_DELETE || c->action == SF_PLAN_REPLACE);
}

static void
phase_delete(struct ctx *x)
{
	const struct sf_plan *plan = x->plan;
	struct sf_pcall *calls = sf_xcalloc(plan->nchanges + 1, sizeof(*calls));
	struct waiter *w = sf_xcalloc(plan->nchanges + 1, sizeof(*w));
	char(*tokens)[320] = sf_xcalloc(plan->nchanges + 1, sizeof(*tokens));
	size_t n = 0, i;

	for (i = 0; i < plan->nchanges; i++) {
		const struct sf_plan_change *c = &plan->changes[i];

		if (!deletes(c) || !c->id || !*c->id)
			continue;
		w[n].c = c;
		w[n].id = c->id;
		w[n].started = now(x);
		w[n].deadline = w[n].started + (x->o->ready_timeout_ms
		                                       ? x->o->ready_timeout_ms
		                                       : 30 * 60 * 1000);
		/* A delete is of one interpreter: its id names the token. */
		sf_apply_client_token(tokens[n], sizeof(tokens[n]),
		    x->o->lineage ? x->o->lineage : "none", c->id, 0, 'd');
		calls[n].kind = SF_PCALL_DELETE;
		calls[n].id = c->id;
		calls[n].client_token = tokens[n];
		calls[n].ud = &w[n];
		say(x, "%s: destroying %s%s", c->name, c->id,
		    c->action == SF_PLAN_REPLACE ? " (to replace it)" : "");
		n++;
	}
	if (n && !interrupted(x)) {
		x->p->ops->batch(x->p, calls, n, par(x), NULL, NULL);
		for (i = 0; i < n; i++) {
			/* Already gone counts as deleted. */
			if (calls[i].rc == SF_OK || calls[i].rc == SF_ENOTFOUND)
				w[i].waiting = true;
			else
				fail(x, w[i].c->name, &calls[i].err);
			sf_ci_release(&calls[i].ci);
		}
		wait_all(x, w, n, UNTIL_GONE);
	}
	free(tokens);
	free(calls);
	free(w);
}

struct spec_store {
	struct sf_ci_spec spec;
	const char **subnets, **sgs, **certs;
	struct sf_kv *tags;
	char token[320];
};

static const char **
spec_list(const struct sf_lstrs *l)
{
	const char **v = sf_xcalloc(l->n + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < l->n; i++)
		v[i] = l->v[i].s;
	return v;
}

static void
spec_of(struct spec_store *s, const struct sf_interpreter *d,
    const char *lineage, int64_t generation)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->spec.name = d->name.s;
	s->spec.description = d->description.s;
	s->spec.execution_role_arn = d->execution_role_arn.s;
	s->spec.network_mode = sf_network_name(d->network);
	s->subnets = spec_list(&d->subnets);
	s->sgs = spec_list(&d->security_groups);
	s->certs = spec_list(&d->certificates);
	s->spec.subnets = s->subnets;
	s->spec.nsubnets = d->subnets.n;
	s->spec.security_groups = s->sgs;
	s->spec.nsecurity_groups = d->security_groups.n;
	s->spec.certificates = s->certs;
	s->spec.ncertificates = d->certificates.n;
	s->tags = sf_xcalloc(d->ntags + 1, sizeof(*s->tags));
	for (i = 0; i < d->ntags; i++) {
		s->tags[i].key = (char *)d->tags[i].key.s;
		s->tags[i].value = (char *)d->tags[i].value.s;
	}
	s->spec.tags = s->tags;
	s->spec.ntags = d->ntags;
	sf_apply_client_token(
	    s->token, sizeof(s->token), lineage, d->name.s, generation, 'c');
	s->spec.client_token = s->token;
}

static void
spec_release(struct spec_store *s)
{
	free(s->subnets);
	free(s->sgs);
	free(s->certs);
	free(s->tags);
}

static void
phase_create(struct ctx *x)
{
	const struct sf_plan *plan = x->plan;
	struct sf_pcall *calls = sf_xcalloc(plan->nchanges + 1, sizeof(*calls));
	struct waiter *w = sf_xcalloc(plan->nchanges + 1, sizeof(*w));
	struct spec_store *specs =
	    sf_xcalloc(plan->nchanges + 1, sizeof(*specs));
	size_t n = 0, i;

	for (i = 0; i < plan->nchanges; i++) {
		const struct sf_plan_change *c = &plan->changes[i];
		struct sf_rec_interpreter *r;

		if (c->action != SF_PLAN_CREATE && c->action != SF_PLAN_REPLACE)
			continue;
		r = rec_find(x->rec, c->name);
		/* A replacement whose old one is not gone waits. */
		if (c->action == SF_PLAN_REPLACE &&
		    (!r || !r->status || strcmp(r->status, "PENDING")))
			continue;
		r = rec_upsert(x->rec, c->name);
		r->generation = c->generation;
		set_status(r, "PENDING");
		free(r->id);
		free(r->arn);
		r->id = r->arn = NULL;
		rec_fill(r, c->desired);
		spec_of(&specs[n], c->desired,
		    x->o->lineage ? x->o->lineage : "none", c->generation);
		w[n].c = c;
		w[n].started = now(x);
		w[n].deadline = w[n].started + (x->o->ready_timeout_ms
		                                       ? x->o->ready_timeout_ms
		                                       : 30 * 60 * 1000);
		calls[n].kind = SF_PCALL_CREATE;
		calls[n].spec = &specs[n].spec;
		calls[n].ud = &w[n];
		say(x, "%s: creating (%s)", c->name,
		    sf_network_name(c->desired->network));
		n++;
	}
	/* The intent first: a create that was sent is never forgotten. */
	if (n && save(x) == SF_OK && !interrupted(x)) {
		x->p->ops->batch(x->p, calls, n, par(x), NULL, NULL);
		for (i = 0; i < n; i++) {
			struct sf_rec_interpreter *r =
			    rec_find(x->rec, w[i].c->name);

			if (calls[i].rc != SF_OK) {
				fail(x, w[i].c->name, &calls[i].err);
				continue;
			}
			free(r->id);
			free(r->arn);
			r->id = dup_or_null(calls[i].ci.id);
			r->arn = dup_or_null(calls[i].ci.arn);
			r->created_at = calls[i].ci.created_at;
			set_status(r, calls[i].ci.status);
			w[i].id = r->id;
			w[i].waiting = r->id != NULL;
		}
		save(x);
		wait_all(x, w, n, UNTIL_READY);
		for (i = 0; i < n; i++)
			sf_ci_release(&calls[i].ci);
	}
	for (i = 0; i < n; i++)
		spec_release(&specs[i]);
	free(specs);
	free(calls);
	free(w);
}

/* Tags: what to set (new and changed) and what to remove. */
static void
phase_tags(struct ctx *x)
{
	const struct sf_plan *plan = x->plan;
	size_t i, j;

	for (i = 0; i < plan->nchanges && !interrupted(x); i++) {
		const struct sf_plan_change *c = &plan->changes[i];
		struct sf_pcall calls[2];
		struct sf_kv *set;
		const char **gone;
		size_t nset = 0, ngone = 0, ncalls = 0;
		bool ok = true;

		if (c->action != SF_PLAN_UPDATE)
			continue;
		set = sf_xcalloc(c->nattrs + 1, sizeof(*set));
		gone = sf_xcalloc(c->nattrs + 1, sizeof(*gone));
		for (j = 0; j < c->nattrs; j++) {
			const struct sf_plan_attr *a = &c->attrs[j];
			const char *key = a->name + 5;
			size_t k;

			if (strncmp(a->name, "tags.", 5))
				continue;
			if (!a->after) {
				gone[ngone++] = key;
				continue;
			}
			for (k = 0; k < c->desired->ntags; k++)
				if (!strcmp(c->desired->tags[k].key.s, key))
					break;
			set[nset].key = (char *)key;
			set[nset].value = (char *)c->desired->tags[k].value.s;
			nset++;
		}
		memset(calls, 0, sizeof(calls));
		if (nset) {
			calls[ncalls].kind = SF_PCALL_TAG;
			calls[ncalls].arn = c->arn;
			calls[ncalls].tags = set;
			calls[ncalls].ntags = nset;
			ncalls++;
		}
		if (ngone) {
			calls[ncalls].kind = SF_PCALL_UNTAG;
			calls[ncalls].arn = c->arn;
			calls[ncalls].keys = gone;
			calls[ncalls].nkeys = ngone;
			ncalls++;
		}
		say(x, "%s: updating tags (%zu set, %zu removed)", c->name,
		    nset, ngone);
		x->p->ops->batch(x->p, calls, ncalls, par(x), NULL, NULL);
		for (j = 0; j < ncalls; j++)
			if (calls[j].rc != SF_OK) {
				fail(x, c->name, &calls[j].err);
				ok = false;
			}
		if (ok) {
			rec_fill(rec_find(x->rec, c->name), c->desired);
			x->res->updated++;
			save(x);
		}
		free(set);
		free(gone);
	}
}

static void
phase_state_only(struct ctx *x)
{
	size_t i;
	bool changed = false;

	for (i = 0; i < x->plan->nchanges; i++) {
		const struct sf_plan_change *c = &x->plan->changes[i];
		struct sf_rec_interpreter *r;

		if (!c->state_only)
			continue;
		changed = true;
		if (c->action == SF_PLAN_FORGET) {
			rec_remove(x->rec, c->name);
			x->res->forgotten++;
			say(x, "%s: forgotten (it was already gone)", c->name);
		} else if ((r = rec_find(x->rec, c->name)) && c->desired) {
			r->prevent_destroy = c->desired->prevent_destroy;
		}
	}
	if (changed)
		save(x);
}

int
sf_apply(struct sf_provider *p, const struct sf_plan *plan,
    struct sf_recorded *rec, const struct sf_apply_opts *o,
    struct sf_apply_result *res, struct sf_err *err)
{
	struct ctx x;
	struct sf_apply_opts defaults;

	memset(&defaults, 0, sizeof(defaults));
	memset(res, 0, sizeof(*res));
	x.p = p;
	x.plan = plan;
	x.rec = rec;
	x.o = o ? o : &defaults;
	x.res = res;
	x.err = err;
	x.rc = SF_OK;
	x.stopped = false;
	sf_recorded_sort(rec);
	phase_delete(&x);
	if (!interrupted(&x))
		phase_create(&x);
	if (!interrupted(&x))
		phase_tags(&x);
	if (!x.stopped)
		phase_state_only(&x);
	if (interrupted(&x) && !x.stopped) {
		res->interrupted = true;
		if (x.rc == SF_OK)
			x.rc = sf_error(err, SF_EINTR, "apply",
			    "interrupted; what was done is saved in the state");
	}
	return x.rc;
}
