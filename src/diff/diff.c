/* The configuration change between two configurations, with risk notes. */
#include "diff/diff.h"
#include "diff/redact.h"
#include "diff/render.h"
#include "diff/textdiff.h"

#define RUNS_CAP 100000 /* a month has 43,200 minutes: never reached */

/* ---- values as JSON text ---- */

static char *
int_value(int64_t v)
{
	return sf_xasprintf("%lld", (long long)v);
}

/* A list compared as a set: a sorted JSON array; NULL when empty. */
static char *
set_value(const struct sf_lstrs *l)
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

static bool
same(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* ---- changes ---- */

static struct sf_diff_change *
new_change(struct sf_diff *d, enum sf_diff_kind kind,
    enum sf_diff_action action, const char *name)
{
	struct sf_diff_change *c;
	struct sf_diff_counts *n = &d->counts[kind];

	SF_ALLOC_GROW(d->v, d->n + 1, d->alloc);
	c = &d->v[d->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->action = action;
	c->name = sf_xstrdup(name);
	switch (action) {
	case SF_DIFF_ADD:
		n->add++;
		break;
	case SF_DIFF_UPDATE:
		n->update++;
		break;
	case SF_DIFF_REPLACE:
		n->replace++;
		break;
	case SF_DIFF_REMOVE:
		n->remove++;
		break;
	}
	return c;
}

/* Move c from update to another action (counts follow). */
static void
set_action(struct sf_diff *d, struct sf_diff_change *c, enum sf_diff_action a)
{
	struct sf_diff_counts *n = &d->counts[c->kind];

	if (c->action == SF_DIFF_UPDATE)
		n->update--;
	else if (c->action == SF_DIFF_REPLACE)
		n->replace--;
	c->action = a;
	if (a == SF_DIFF_UPDATE)
		n->update++;
	else if (a == SF_DIFF_REPLACE)
		n->replace++;
}

/* Drop the last change (it turned out to change nothing). */
static void
drop_last(struct sf_diff *d)
{
	struct sf_diff_change *c = &d->v[d->n - 1];

	if (c->action == SF_DIFF_UPDATE)
		d->counts[c->kind].update--;
	free(c->name);
	free(c->attrs);
	d->n--;
}

/* Add an attribute (takes before and after); nothing when both are NULL. */
static void
add_attr(struct sf_diff_change *c, const char *name, char *before, char *after,
    bool forces)
{
	struct sf_diff_attr *a;

	if (!before && !after)
		return;
	c->attrs = sf_xrealloc(c->attrs, (c->nattrs + 1) * sizeof(*c->attrs));
	a = &c->attrs[c->nattrs++];
	a->name = sf_xstrdup(name);
	a->before = before;
	a->after = after;
	a->forces_replacement = forces;
}

/* Compare one attribute; true when it changed (and was added). */
static bool
cmp_attr(struct sf_diff_change *c, const char *name, char *before, char *after,
    bool forces)
{
	if (same(before, after)) {
		free(before);
		free(after);
		return false;
	}
	add_attr(c, name, before, after, forces);
	return true;
}

static void note(struct sf_diff *d, struct sf_diff_change *c, enum sf_risk r,
    const char *fmt, ...) SF_PRINTF(4, 5);

static void
note(struct sf_diff *d, struct sf_diff_change *c, enum sf_risk r,
    const char *fmt, ...)
{
	struct sf_diff_note *n;
	struct sf_buf b = SF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	c->notes = sf_xrealloc(c->notes, (c->nnotes + 1) * sizeof(*c->notes));
	n = &c->notes[c->nnotes++];
	n->risk = r;
	n->msg = sf_buf_detach(&b, NULL);
	d->nnotes++;
	if (r == SF_RISK_NETWORK)
		d->widened = true;
	if (r == SF_RISK_POLICY)
		d->relaxed = true;
}

/* ---- interpreters ---- */

#define NIATTRS 6
static const char *const iattr_names[NIATTRS] = { "description", "network",
	"execution_role_arn", "vpc.subnets", "vpc.security_groups",
	"certificates" };

static void
iattrs(const struct sf_interpreter *i, char *v[NIATTRS])
{
	v[0] = sf_json_str_value(i->description.s);
	v[1] = sf_json_str_value(sf_network_name(i->network));
	v[2] = sf_json_str_value(i->execution_role_arn.s);
	v[3] = set_value(&i->subnets);
	v[4] = set_value(&i->security_groups);
	v[5] = set_value(&i->certificates);
}

static void
all_iattrs(struct sf_diff_change *c, const struct sf_interpreter *i, bool after)
{
	char *v[NIATTRS];
	size_t k;

	iattrs(i, v);
	for (k = 0; k < NIATTRS; k++)
		add_attr(c, iattr_names[k], after ? NULL : v[k],
		    after ? v[k] : NULL, false);
	for (k = 0; k < i->ntags; k++) {
		char *name = sf_xasprintf("tags.%s", i->tags[k].key.s);
		char *val = sf_json_str_value(i->tags[k].value.s);

		add_attr(
		    c, name, after ? NULL : val, after ? val : NULL, false);
		free(name);
	}
	if (i->prevent_destroy)
		add_attr(c, "prevent_destroy",
		    after ? NULL : sf_xstrdup("true"),
		    after ? sf_xstrdup("true") : NULL, false);
}

/* Tag differences, both lists sorted by key; true if any. */
static bool
diff_tags(struct sf_diff_change *c, const struct sf_interpreter *b,
    const struct sf_interpreter *h)
{
	size_t i = 0, j = 0;
	bool any = false;

	while (i < b->ntags || j < h->ntags) {
		int cmp = i == b->ntags ? 1
		          : j == h->ntags
		              ? -1
		              : strcmp(b->tags[i].key.s, h->tags[j].key.s);
		const char *key =
		    cmp <= 0 ? b->tags[i].key.s : h->tags[j].key.s;
		char *name = sf_xasprintf("tags.%s", key);

		if (cmp < 0) {
			add_attr(c, name, sf_json_str_value(b->tags[i].value.s),
			    NULL, false);
			i++;
			any = true;
		} else if (cmp > 0) {
			add_attr(c, name, NULL,
			    sf_json_str_value(h->tags[j].value.s), false);
			j++;
			any = true;
		} else {
			any |= cmp_attr(c, name,
			    sf_json_str_value(b->tags[i].value.s),
			    sf_json_str_value(h->tags[j].value.s), false);
			i++;
			j++;
		}
		free(name);
	}
	return any;
}

/* The jobs of config c that run in interpreter name. */
static void
jobs_using(
    struct sf_diff_change *ch, const struct sf_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->njobs; i++)
		if (c->jobs[i].interpreter.s &&
		    !strcmp(c->jobs[i].interpreter.s, name)) {
			ch->jobs = sf_xrealloc(
			    ch->jobs, (ch->njobs + 1) * sizeof(*ch->jobs));
			ch->jobs[ch->njobs++] = sf_xstrdup(c->jobs[i].name.s);
		}
}

static void
list_names(struct sf_buf *b, char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 5; i++)
		sf_buf_addf(b, "%s%s", i ? ", " : "", v[i]);
	if (n > 5)
		sf_buf_addf(b, " and %zu more", n - 5);
}

static void
interp_added(struct sf_diff *d, const struct sf_interpreter *h)
{
	struct sf_diff_change *c =
	    new_change(d, SF_DIFF_INTERPRETER, SF_DIFF_ADD, h->name.s);

	all_iattrs(c, h, true);
	if (h->network == SF_NET_PUBLIC)
		note(d, c, SF_RISK_NETWORK,
		    "a new PUBLIC interpreter: its sessions can reach the "
		    "internet");
	if (h->execution_role_arn.s)
		note(d, c, SF_RISK_ROLE,
		    "execution role added: %s (its sessions act with that "
		    "role's permissions)",
		    h->execution_role_arn.s);
}

static void
interp_removed(struct sf_diff *d, const struct sf_interpreter *b)
{
	struct sf_diff_change *c =
	    new_change(d, SF_DIFF_INTERPRETER, SF_DIFF_REMOVE, b->name.s);

	all_iattrs(c, b, false);
	if (b->prevent_destroy)
		note(d, c, SF_RISK_PROTECTED,
		    "it has prevent_destroy: plan and apply will refuse to "
		    "delete it (remove prevent_destroy in an earlier change "
		    "if this is meant)");
}

static bool
wider(enum sf_network before, enum sf_network after)
{
	if (after == SF_NET_PUBLIC)
		return before != SF_NET_PUBLIC;
	return after == SF_NET_VPC && before == SF_NET_SANDBOX;
}

static void
interp_compared(struct sf_diff *d, const struct sf_interpreter *b,
    const struct sf_interpreter *h, const struct sf_config *head)
{
	struct sf_diff_change *c =
	    new_change(d, SF_DIFF_INTERPRETER, SF_DIFF_UPDATE, h->name.s);
	char *bv[NIATTRS], *hv[NIATTRS];
	bool replace = false, tags, pd;
	size_t k;

	iattrs(b, bv);
	iattrs(h, hv);
	for (k = 0; k < NIATTRS; k++)
		replace |= cmp_attr(c, iattr_names[k], bv[k], hv[k], true);
	tags = diff_tags(c, b, h);
	pd = b->prevent_destroy != h->prevent_destroy;
	if (pd)
		add_attr(c, "prevent_destroy",
		    sf_xstrdup(b->prevent_destroy ? "true" : "false"),
		    sf_xstrdup(h->prevent_destroy ? "true" : "false"), false);
	if (!replace && !tags && !pd) {
		drop_last(d);
		return;
	}
	if (replace)
		set_action(d, c, SF_DIFF_REPLACE);
	else if (!tags)
		c->sandform_only = true;
	if (wider(b->network, h->network))
		note(d, c, SF_RISK_NETWORK,
		    "network exposure widened: %s -> %s: its sessions can "
		    "reach %s",
		    sf_network_name(b->network), sf_network_name(h->network),
		    h->network == SF_NET_PUBLIC ? "the internet"
		                                : "the VPC's subnets");
	if (h->execution_role_arn.s &&
	    !same(b->execution_role_arn.s, h->execution_role_arn.s)) {
		if (b->execution_role_arn.s)
			note(d, c, SF_RISK_ROLE,
			    "execution role changed: %s -> %s",
			    b->execution_role_arn.s, h->execution_role_arn.s);
		else
			note(d, c, SF_RISK_ROLE,
			    "execution role added: %s (its sessions act with "
			    "that role's permissions)",
			    h->execution_role_arn.s);
	}
	if (b->prevent_destroy && !h->prevent_destroy)
		note(d, c, SF_RISK_UNPROTECT,
		    "prevent_destroy removed: later changes can delete or "
		    "replace it");
	if (replace && h->prevent_destroy)
		note(d, c, SF_RISK_PROTECTED,
		    "it has prevent_destroy: plan and apply will refuse to "
		    "replace it (remove prevent_destroy first if this is "
		    "meant)");
	if (replace) {
		jobs_using(c, head, h->name.s);
		if (c->njobs) {
			struct sf_buf b2 = SF_BUF_INIT;

			list_names(&b2, c->jobs, c->njobs);
			note(d, c, SF_RISK_IN_USE,
			    "replaced while %zu job%s use%s it (%s): a run in "
			    "progress when it is deleted fails",
			    c->njobs, c->njobs == 1 ? "" : "s",
			    c->njobs == 1 ? "s" : "", b2.buf);
			sf_buf_release(&b2);
		}
	}
}

/* ---- jobs ---- */

#define NJATTRS 12
static const char *const jattr_names[NJATTRS] = { "description", "interpreter",
	"schedule", "timezone", "session_timeout", "timeout", "retries",
	"starting_deadline", "jitter", "concurrency", "keep.succeeded",
	"keep.failed" };

/*
 * A job's attributes as values. With shown, the ones left at their
 * default are NULL (for a job added or removed); without, every one has
 * its effective value (for a comparison).
 */
static void
jattrs(const struct sf_job *j, bool shown, char *v[NJATTRS])
{
	v[0] = sf_json_str_value(j->description.s);
	v[1] = sf_json_str_value(j->interpreter.s);
	v[2] = sf_json_str_value(j->schedule_text.s);
	v[3] = sf_json_str_value(j->timezone.s ? j->timezone.s : "UTC");
	v[4] = int_value(j->session_timeout.v);
	v[5] = j->timeout.v > 0 ? int_value(j->timeout.v) : NULL;
	v[6] = !shown || j->retries.set ? int_value(j->retries.v) : NULL;
	v[7] = j->starting_deadline.v > 0 ? int_value(j->starting_deadline.v)
	                                  : NULL;
	v[8] = j->jitter.v > 0 ? int_value(j->jitter.v) : NULL;
	v[9] = !shown || j->concurrency != SF_CONC_FORBID
	           ? sf_json_str_value(
	                 j->concurrency == SF_CONC_ALLOW ? "allow" : "forbid")
	           : NULL;
	v[10] = !shown || j->keep_succeeded.set ? int_value(j->keep_succeeded.v)
	                                        : NULL;
	v[11] =
	    !shown || j->keep_failed.set ? int_value(j->keep_failed.v) : NULL;
}

static void
add_text(struct sf_buf *b, const char *s)
{
	sf_buf_adds(b, s ? s : "");
	if (!b->len || b->buf[b->len - 1] != '\n')
		sf_buf_addch(b, '\n');
}

/* The steps as one text, so that one line diff shows every change. */
static char *
steps_text(const struct sf_job *j)
{
	struct sf_buf b = SF_BUF_INIT;
	size_t i, k;

	for (i = 0; i < j->nsteps; i++) {
		const struct sf_step *s = &j->steps[i];

		sf_buf_addf(&b, "# step %zu", i + 1);
		if (s->name.s)
			sf_buf_addf(&b, " (%s)", s->name.s);
		sf_buf_addf(&b, ": %s", sf_step_kind_name(s->kind));
		if (s->kind == SF_STEP_CODE)
			sf_buf_addf(&b, ", %s", sf_language_name(s->language));
		sf_buf_addch(&b, '\n');
		switch (s->kind) {
		case SF_STEP_COMMAND:
		case SF_STEP_CODE:
			add_text(&b, s->text.s);
			break;
		case SF_STEP_FILES:
			for (k = 0; k < s->nfiles; k++) {
				const struct sf_file *f = &s->files[k];

				if (f->source.s) {
					sf_buf_addf(&b, "## %s <- %s\n",
					    f->path.s, f->source.s);
				} else {
					sf_buf_addf(&b, "## %s\n", f->path.s);
					add_text(&b, f->text.s);
				}
			}
			break;
		case SF_STEP_FETCH:
			for (k = 0; k < s->fetch.n; k++)
				sf_buf_addf(&b, "%s\n", s->fetch.v[k].s);
			break;
		}
		if (s->has_expect) {
			const struct sf_expect *e = &s->expect;
			const char *sep = "";

			sf_buf_adds(&b, "# expect:");
			if (e->exit_code.set) {
				sf_buf_addf(&b, " exit_code %lld",
				    (long long)e->exit_code.v);
				sep = ",";
			}
			if (e->stdout_re.s) {
				sf_buf_addf(
				    &b, "%s stdout /%s/", sep, e->stdout_re.s);
				sep = ",";
			}
			if (e->stderr_re.s)
				sf_buf_addf(
				    &b, "%s stderr /%s/", sep, e->stderr_re.s);
			sf_buf_addch(&b, '\n');
		}
	}
	return sf_buf_detach(&b, NULL);
}

/* How long one run is assumed to hold its session: an upper bound. */
static int64_t
run_ms(const struct sf_job *j)
{
	if (j->timeout.v > 0)
		return j->timeout.v * 1000;
	return j->session_timeout.v * 1000;
}

/*
 * Runs per month walk the schedule fire by fire; jobs of a configuration
 * share a few schedules, so each (schedule, time zone) is walked once.
 */
#define CACHE_BUCKETS 256

struct runs_entry {
	char *key; /* schedule NUL time zone */
	size_t keylen, runs;
	struct runs_entry *next;
};

struct ctx {
	const struct sf_diff_opts *o;
	struct runs_entry *buckets[CACHE_BUCKETS];
};

static size_t
runs_per_month(struct ctx *x, const struct sf_job *j)
{
	const char *tz = j->timezone.s ? j->timezone.s : "UTC";
	size_t a = strlen(j->schedule_text.s), b = strlen(tz), i;
	uint32_t h = 2166136261u;
	struct runs_entry *e;
	char *key = sf_xmalloc(a + b + 2);

	memcpy(key, j->schedule_text.s, a + 1);
	memcpy(key + a + 1, tz, b + 1);
	for (i = 0; i < a + b + 1; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	for (e = x->buckets[h % CACHE_BUCKETS]; e; e = e->next)
		if (e->keylen == a + b + 1 && !memcmp(e->key, key, a + b + 1)) {
			free(key);
			return e->runs;
		}
	e = sf_xmalloc(sizeof(*e));
	e->key = key;
	e->keylen = a + b + 1;
	e->runs = sf_job_runs_per_month(j, x->o->now, RUNS_CAP);
	e->next = x->buckets[h % CACHE_BUCKETS];
	x->buckets[h % CACHE_BUCKETS] = e;
	return e->runs;
}

static void
ctx_release(struct ctx *x)
{
	size_t i;

	for (i = 0; i < CACHE_BUCKETS; i++)
		while (x->buckets[i]) {
			struct runs_entry *e = x->buckets[i];

			x->buckets[i] = e->next;
			free(e->key);
			free(e);
		}
}

static void
schedule_side(struct sf_diff_sched *s, const struct sf_job *j, struct ctx *o)
{
	size_t k;

	memset(s, 0, sizeof(*s));
	if (!j || !j->schedule_text.s)
		return;
	s->set = true;
	s->expr = sf_xstrdup(j->schedule_text.s);
	s->tz = sf_xstrdup(j->timezone.s ? j->timezone.s : "UTC");
	s->nnext = sf_job_next_times(j, o->o->now, s->next, 3);
	for (k = 0; k < s->nnext; k++)
		sf_job_time(
		    s->next_text[k], sizeof(s->next_text[k]), j, s->next[k]);
	s->runs_per_month = runs_per_month(o, j);
	s->run_ms = run_ms(j);
	s->cost = (double)s->runs_per_month *
	          sf_session_cost(&o->o->rates, s->run_ms);
}

static void
job_schedules(struct sf_diff_change *c, const struct sf_job *b,
    const struct sf_job *h, struct ctx *o)
{
	schedule_side(&c->sched[0], b, o);
	schedule_side(&c->sched[1], h, o);
	c->nsteps[0] = b ? b->nsteps : 0;
	c->nsteps[1] = h ? h->nsteps : 0;
}

static void
all_jattrs(struct sf_diff_change *c, const struct sf_job *j, bool after)
{
	char *v[NJATTRS];
	size_t k;

	jattrs(j, true, v);
	for (k = 0; k < NJATTRS; k++)
		add_attr(c, jattr_names[k], after ? NULL : v[k],
		    after ? v[k] : NULL, false);
}

static void
job_added(struct sf_diff *d, const struct sf_job *h, struct ctx *o)
{
	struct sf_diff_change *c =
	    new_change(d, SF_DIFF_JOB, SF_DIFF_ADD, h->name.s);
	struct sf_buf b = SF_BUF_INIT;
	char *text = steps_text(h);

	all_jattrs(c, h, true);
	job_schedules(c, NULL, h, o);
	if (sf_textdiff_unified(&b, "", text, 3))
		c->steps_diff = sf_buf_detach(&b, NULL);
	sf_buf_release(&b);
	free(text);
}

static void
job_removed(struct sf_diff *d, const struct sf_job *b, struct ctx *o)
{
	struct sf_diff_change *c =
	    new_change(d, SF_DIFF_JOB, SF_DIFF_REMOVE, b->name.s);

	all_jattrs(c, b, false);
	job_schedules(c, b, NULL, o);
}

static enum sf_network
network_of(const struct sf_config *c, const char *name, bool *known)
{
	const struct sf_interpreter *i =
	    name ? sf_config_interpreter(c, name) : NULL;

	*known = i != NULL;
	return i ? i->network : SF_NET_SANDBOX;
}

static void
job_compared(struct sf_diff *d, const struct sf_job *b, const struct sf_job *h,
    const struct sf_config *base, const struct sf_config *head, struct ctx *o)
{
	struct sf_diff_change *c =
	    new_change(d, SF_DIFF_JOB, SF_DIFF_UPDATE, h->name.s);
	char *bv[NJATTRS], *hv[NJATTRS], *bt, *ht;
	struct sf_buf steps = SF_BUF_INIT;
	bool any = false, kb, kh;
	size_t k;
	enum sf_network nb, nh;

	jattrs(b, false, bv);
	jattrs(h, false, hv);
	for (k = 0; k < NJATTRS; k++)
		any |= cmp_attr(c, jattr_names[k], bv[k], hv[k], false);
	bt = steps_text(b);
	ht = steps_text(h);
	if (sf_textdiff_unified(&steps, bt, ht, 3)) {
		c->steps_diff = sf_buf_detach(&steps, NULL);
		any = true;
	}
	sf_buf_release(&steps);
	free(bt);
	free(ht);
	if (!any) {
		drop_last(d);
		return;
	}
	job_schedules(c, b, h, o);
	c->schedule_changed = !same(b->schedule_text.s, h->schedule_text.s) ||
	                      !same(b->timezone.s, h->timezone.s);
	if (c->sched[1].set &&
	    c->sched[1].runs_per_month > c->sched[0].runs_per_month) {
		char cb[32], ca[32], cd[32];
		double delta = c->sched[1].cost - c->sched[0].cost;

		sf_diff_money(cb, sizeof(cb), c->sched[0].cost);
		sf_diff_money(ca, sizeof(ca), c->sched[1].cost);
		sf_diff_money(cd, sizeof(cd), delta);
		note(d, c, SF_RISK_FREQUENCY,
		    "runs more often: %zu -> %zu runs per month; estimated "
		    "cost %s -> %s per month (%s%s, an upper bound)",
		    c->sched[0].runs_per_month, c->sched[1].runs_per_month, cb,
		    ca, delta >= 0 ? "+" : "", cd);
	}
	if (h->session_timeout.v > b->session_timeout.v)
		note(d, c, SF_RISK_TIMEOUT,
		    "session timeout raised: %lld s -> %lld s (a session is "
		    "billed until it stops or times out)",
		    (long long)b->session_timeout.v,
		    (long long)h->session_timeout.v);
	nb = network_of(base, b->interpreter.s, &kb);
	nh = network_of(head, h->interpreter.s, &kh);
	if (kb && kh && !same(b->interpreter.s, h->interpreter.s) &&
	    wider(nb, nh))
		note(d, c, SF_RISK_NETWORK,
		    "now runs in %s (%s), was %s (%s): its steps can reach %s",
		    h->interpreter.s, sf_network_name(nh), b->interpreter.s,
		    sf_network_name(nb),
		    nh == SF_NET_PUBLIC ? "the internet" : "the VPC's subnets");
}

/* ---- variables and the provider ---- */

static char *
var_value(const struct sf_variable *v)
{
	if (sf_redact_sensitive_name(v->name.s))
		return sf_json_str_value("(sensitive)");
	return sf_json_str_value(v->value.s ? v->value.s : "");
}

static void
diff_variables(struct sf_diff *d, const struct sf_config *base,
    const struct sf_config *head)
{
	size_t i = 0, j = 0;

	while (i < base->nvariables || j < head->nvariables) {
		const struct sf_variable *b =
		    i < base->nvariables ? &base->variables[i] : NULL;
		const struct sf_variable *h =
		    j < head->nvariables ? &head->variables[j] : NULL;
		int cmp = !b ? 1 : !h ? -1 : strcmp(b->name.s, h->name.s);
		struct sf_diff_change *c;

		if (cmp < 0) {
			c = new_change(
			    d, SF_DIFF_VARIABLE, SF_DIFF_REMOVE, b->name.s);
			add_attr(c, "value", var_value(b), NULL, false);
			i++;
		} else if (cmp > 0) {
			c = new_change(
			    d, SF_DIFF_VARIABLE, SF_DIFF_ADD, h->name.s);
			add_attr(c, "value", NULL, var_value(h), false);
			j++;
		} else {
			i++;
			j++;
			if (same(b->value.s, h->value.s))
				continue;
			c = new_change(
			    d, SF_DIFF_VARIABLE, SF_DIFF_UPDATE, h->name.s);
			if (sf_redact_sensitive_name(h->name.s))
				add_attr(c, "value",
				    sf_json_str_value("(sensitive)"),
				    sf_json_str_value("(sensitive, changed)"),
				    false);
			else
				add_attr(c, "value", var_value(b), var_value(h),
				    false);
		}
	}
}

static void
diff_provider(struct sf_diff *d, const struct sf_config *base,
    const struct sf_config *head)
{
	const struct sf_provider_config *b = &base->provider,
	                                *h = &head->provider;
	struct sf_diff_change *c =
	    new_change(d, SF_DIFF_PROVIDER, SF_DIFF_UPDATE, "provider");
	bool any = false;

	any |=
	    cmp_attr(c, "target", sf_json_str_value(sf_target_name(b->target)),
	        sf_json_str_value(sf_target_name(h->target)), false);
	any |= cmp_attr(c, "region", sf_json_str_value(b->region.s),
	    sf_json_str_value(h->region.s), false);
	any |= cmp_attr(c, "profile", sf_json_str_value(b->profile.s),
	    sf_json_str_value(h->profile.s), false);
	any |= cmp_attr(c, "endpoint", sf_json_str_value(b->endpoint.s),
	    sf_json_str_value(h->endpoint.s), false);
	if (!any) {
		drop_last(d);
		return;
	}
	if (b->target != SF_TARGET_AWS && h->target == SF_TARGET_AWS)
		note(d, c, SF_RISK_TARGET,
		    "the configuration now targets AWS: apply creates real "
		    "interpreters and billed sessions there");
}

static char *
real_value(double v)
{
	return sf_xasprintf("%g", v);
}

static void
diff_pricing(struct sf_diff *d, const struct sf_config *base,
    const struct sf_config *head)
{
	const struct sf_pricing *b = &base->pricing, *h = &head->pricing;
	struct sf_diff_change *c =
	    new_change(d, SF_DIFF_PRICING, SF_DIFF_UPDATE, "pricing");
	bool any = false;

	any |= cmp_attr(c, "vcpu_hour", real_value(b->vcpu_hour),
	    real_value(h->vcpu_hour), false);
	any |= cmp_attr(c, "gb_hour", real_value(b->gb_hour),
	    real_value(h->gb_hour), false);
	any |= cmp_attr(
	    c, "vcpus", real_value(b->vcpus), real_value(h->vcpus), false);
	any |= cmp_attr(c, "memory_gb", real_value(b->memory_gb),
	    real_value(h->memory_gb), false);
	if (!any)
		drop_last(d);
}

static char *
networks_value(const struct sf_policy *p)
{
	struct sf_buf b = SF_BUF_INIT;
	static const enum sf_network order[] = { SF_NET_PUBLIC, SF_NET_SANDBOX,
		SF_NET_VPC };
	size_t i;
	bool first = true;

	if (!p->networks_set)
		return NULL;
	sf_buf_addch(&b, '[');
	for (i = 0; i < SF_ARRAY_LEN(order); i++) {
		if (!p->allowed_networks[order[i]])
			continue;
		sf_buf_adds(&b, first ? "" : ", ");
		sf_buf_add_json_str(&b, sf_network_name(order[i]),
		    strlen(sf_network_name(order[i])));
		first = false;
	}
	sf_buf_addch(&b, ']');
	return sf_buf_detach(&b, NULL);
}

static char *
lint_value(const struct sf_lint *l)
{
	return l->set ? int_value(l->v) : NULL;
}

static bool
lstrs_has(const struct sf_lstrs *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].s, s))
			return true;
	return false;
}

/* A limit relaxed: it was set, and now it is not or it is higher. */
static bool
limit_relaxed(const struct sf_lint *b, const struct sf_lint *h)
{
	return b->set && (!h->set || h->v > b->v);
}

static void
diff_policy(struct sf_diff *d, const struct sf_config *base,
    const struct sf_config *head)
{
	const struct sf_policy *b = &base->policy, *h = &head->policy;
	struct sf_diff_change *c =
	    new_change(d, SF_DIFF_POLICY, SF_DIFF_UPDATE, "policy");
	struct sf_buf why = SF_BUF_INIT;
	bool any = false;
	size_t i;

	any |= cmp_attr(
	    c, "allowed_networks", networks_value(b), networks_value(h), false);
	any |= cmp_attr(c, "role_arn_patterns", set_value(&b->role_patterns),
	    set_value(&h->role_patterns), false);
	any |= cmp_attr(c, "max_session_timeout",
	    lint_value(&b->max_session_timeout),
	    lint_value(&h->max_session_timeout), false);
	any |= cmp_attr(c, "required_tags", set_value(&b->required_tags),
	    set_value(&h->required_tags), false);
	any |= cmp_attr(c, "max_runs_per_day", lint_value(&b->max_runs_per_day),
	    lint_value(&h->max_runs_per_day), false);
	if (!any) {
		drop_last(d);
		return;
	}
	if (b->networks_set) {
		bool wider_set = !h->networks_set;

		for (i = 0; i < 3; i++)
			wider_set |= h->networks_set &&
			             h->allowed_networks[i] &&
			             !b->allowed_networks[i];
		if (wider_set)
			sf_buf_adds(&why, ", allowed_networks");
	}
	if (b->role_patterns.n) {
		bool more = !h->role_patterns.n;

		for (i = 0; i < h->role_patterns.n; i++)
			more |= !lstrs_has(
			    &b->role_patterns, h->role_patterns.v[i].s);
		if (more)
			sf_buf_adds(&why, ", role_arn_patterns");
	}
	if (limit_relaxed(&b->max_session_timeout, &h->max_session_timeout))
		sf_buf_adds(&why, ", max_session_timeout");
	for (i = 0; i < b->required_tags.n; i++)
		if (!lstrs_has(&h->required_tags, b->required_tags.v[i].s)) {
			sf_buf_adds(&why, ", required_tags");
			break;
		}
	if (limit_relaxed(&b->max_runs_per_day, &h->max_runs_per_day))
		sf_buf_adds(&why, ", max_runs_per_day");
	if (why.len)
		note(d, c, SF_RISK_POLICY,
		    "policy guards relaxed (%s): this change allows more than "
		    "its base did",
		    why.buf + 2);
	sf_buf_release(&why);
}

/* ---- the whole ---- */

void
sf_diff_build(const struct sf_config *base, const struct sf_config *head,
    const struct sf_diff_opts *opts, struct sf_diff *out)
{
	struct ctx x;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.o = opts;
	diff_provider(out, base, head);
	diff_pricing(out, base, head);
	diff_policy(out, base, head);
	for (i = j = 0; i < base->ninterpreters || j < head->ninterpreters;) {
		const struct sf_interpreter *b =
		    i < base->ninterpreters ? &base->interpreters[i] : NULL;
		const struct sf_interpreter *h =
		    j < head->ninterpreters ? &head->interpreters[j] : NULL;
		int cmp = !b ? 1 : !h ? -1 : strcmp(b->name.s, h->name.s);

		if (cmp < 0) {
			interp_removed(out, b);
			i++;
		} else if (cmp > 0) {
			interp_added(out, h);
			j++;
		} else {
			interp_compared(out, b, h, head);
			i++;
			j++;
		}
	}
	for (i = j = 0; i < base->njobs || j < head->njobs;) {
		const struct sf_job *b =
		    i < base->njobs ? &base->jobs[i] : NULL;
		const struct sf_job *h =
		    j < head->njobs ? &head->jobs[j] : NULL;
		int cmp = !b ? 1 : !h ? -1 : strcmp(b->name.s, h->name.s);

		if (cmp < 0) {
			job_removed(out, b, &x);
			i++;
		} else if (cmp > 0) {
			job_added(out, h, &x);
			j++;
		} else {
			job_compared(out, b, h, base, head, &x);
			i++;
			j++;
		}
	}
	diff_variables(out, base, head);
	ctx_release(&x);
}

void
sf_diff_release(struct sf_diff *d)
{
	size_t i, k;

	for (i = 0; i < d->n; i++) {
		struct sf_diff_change *c = &d->v[i];

		free(c->name);
		for (k = 0; k < c->nattrs; k++) {
			free(c->attrs[k].name);
			free(c->attrs[k].before);
			free(c->attrs[k].after);
		}
		free(c->attrs);
		for (k = 0; k < c->nnotes; k++)
			free(c->notes[k].msg);
		free(c->notes);
		for (k = 0; k < c->njobs; k++)
			free(c->jobs[k]);
		free(c->jobs);
		for (k = 0; k < 2; k++) {
			free(c->sched[k].expr);
			free(c->sched[k].tz);
		}
		free(c->steps_diff);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

bool
sf_diff_has_changes(const struct sf_diff *d)
{
	return d->n > 0;
}

bool
sf_diff_is_destructive(const struct sf_diff *d)
{
	size_t k;

	for (k = 0; k < SF_DIFF_NKINDS; k++)
		if (k != SF_DIFF_VARIABLE &&
		    (d->counts[k].remove || d->counts[k].replace))
			return true;
	return d->widened || d->relaxed;
}

bool
sf_diff_kind_single(enum sf_diff_kind k)
{
	return k == SF_DIFF_PROVIDER || k == SF_DIFF_PRICING ||
	       k == SF_DIFF_POLICY;
}

const char *
sf_diff_kind_name(enum sf_diff_kind k)
{
	switch (k) {
	case SF_DIFF_PROVIDER:
		return "provider";
	case SF_DIFF_PRICING:
		return "pricing";
	case SF_DIFF_POLICY:
		return "policy";
	case SF_DIFF_INTERPRETER:
		return "interpreter";
	case SF_DIFF_JOB:
		return "job";
	case SF_DIFF_VARIABLE:
	case SF_DIFF_NKINDS:
		break;
	}
	return "variable";
}

const char *
sf_diff_action_name(enum sf_diff_action a)
{
	switch (a) {
	case SF_DIFF_ADD:
		return "add";
	case SF_DIFF_REPLACE:
		return "replace";
	case SF_DIFF_REMOVE:
		return "remove";
	case SF_DIFF_UPDATE:
		break;
	}
	return "update";
}

const char *
sf_risk_name(enum sf_risk r)
{
	switch (r) {
	case SF_RISK_NETWORK:
		return "network_widened";
	case SF_RISK_ROLE:
		return "execution_role";
	case SF_RISK_UNPROTECT:
		return "prevent_destroy_removed";
	case SF_RISK_PROTECTED:
		return "prevent_destroy_blocks";
	case SF_RISK_TIMEOUT:
		return "session_timeout_raised";
	case SF_RISK_FREQUENCY:
		return "runs_more_often";
	case SF_RISK_IN_USE:
		return "replaced_in_use";
	case SF_RISK_POLICY:
		return "policy_relaxed";
	case SF_RISK_TARGET:
		break;
	}
	return "targets_aws";
}
