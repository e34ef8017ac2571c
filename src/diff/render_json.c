/* The diff for machines: one JSON document (its shape: docs/review.md). */
#include "diff/diff.h"
#include "diff/redact.h"
#include "diff/render.h"

#define DEPTH_MAX 16

/* A small pretty-printing writer: two spaces per level, keys in order. */
struct jw {
	struct sf_buf *b;
	int depth;
	bool first[DEPTH_MAX];
	size_t red;
};

static void
sep(struct jw *w, const char *key)
{
	int i;

	if (w->depth > 0) {
		if (!w->first[w->depth])
			sf_buf_addch(w->b, ',');
		w->first[w->depth] = false;
		sf_buf_addch(w->b, '\n');
		for (i = 0; i < w->depth; i++)
			sf_buf_adds(w->b, "  ");
	}
	if (key)
		sf_buf_addf(w->b, "\"%s\": ", key);
}

static void
escape(struct sf_buf *b, const char *s, size_t len)
{
	sf_buf_add_json_str(b, s, len);
}

static void
open_(struct jw *w, const char *key, char c)
{
	sep(w, key);
	sf_buf_addch(w->b, c);
	if (w->depth + 1 >= DEPTH_MAX)
		sf_die("JSON nested too deep");
	w->first[++w->depth] = true;
}

static void
close_(struct jw *w, char c)
{
	bool empty = w->first[w->depth];
	int i;

	w->depth--;
	if (!empty) {
		sf_buf_addch(w->b, '\n');
		for (i = 0; i < w->depth; i++)
			sf_buf_adds(w->b, "  ");
	}
	sf_buf_addch(w->b, c);
}

/* A string, redacted. */
static void
str(struct jw *w, const char *key, const char *s)
{
	struct sf_buf r = SF_BUF_INIT;

	sep(w, key);
	if (!s) {
		sf_buf_adds(w->b, "null");
		return;
	}
	w->red += sf_redact(&r, s, strlen(s));
	escape(w->b, r.buf, r.len);
	sf_buf_release(&r);
}

/* A value that is JSON text already (an attribute), redacted. */
static void
raw(struct jw *w, const char *key, const char *json)
{
	sep(w, key);
	if (!json)
		sf_buf_adds(w->b, "null");
	else
		w->red += sf_redact(w->b, json, strlen(json));
}

static void
num(struct jw *w, const char *key, long long v)
{
	sep(w, key);
	sf_buf_addf(w->b, "%lld", v);
}

static void
money(struct jw *w, const char *key, double v)
{
	sep(w, key);
	sf_buf_addf(w->b, "%.2f", v);
}

static void
real(struct jw *w, const char *key, double v)
{
	sep(w, key);
	sf_buf_addf(w->b, "%g", v);
}

static void
boolean(struct jw *w, const char *key, bool v)
{
	sep(w, key);
	sf_buf_adds(w->b, v ? "true" : "false");
}

static void
side(struct jw *w, const char *key, const struct sf_diff_side *s)
{
	open_(w, key, '{');
	str(w, "ref", s->ref);
	boolean(w, "working_tree", !s->ref);
	str(w, "commit", s->commit);
	if (!s->ref)
		boolean(w, "dirty", s->dirty);
	str(w, "manifest_hash", s->manifest_hash);
	close_(w, '}');
}

static void
counts(struct jw *w, const char *key, const struct sf_diff_counts *c)
{
	open_(w, key, '{');
	num(w, "add", (long long)c->add);
	num(w, "update", (long long)c->update);
	num(w, "replace", (long long)c->replace);
	num(w, "remove", (long long)c->remove);
	close_(w, '}');
}

static void
rfc3339(char *out, size_t n, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
sched(struct jw *w, const char *key, const struct sf_diff_sched *s)
{
	char t[40];
	size_t k;

	if (!s->set) {
		sep(w, key);
		sf_buf_adds(w->b, "null");
		return;
	}
	open_(w, key, '{');
	str(w, "expression", s->expr);
	str(w, "timezone", s->tz);
	open_(w, "next", '[');
	for (k = 0; k < s->nnext; k++) {
		rfc3339(t, sizeof(t), s->next[k]);
		str(w, NULL, t);
	}
	close_(w, ']');
	num(w, "runs_per_month", (long long)s->runs_per_month);
	num(w, "run_seconds", (long long)(s->run_ms / 1000));
	money(w, "monthly_cost_usd", s->cost);
	close_(w, '}');
}

static void
change(struct jw *w, const struct sf_diff_change *c)
{
	size_t k;

	open_(w, NULL, '{');
	str(w, "kind", sf_diff_kind_name(c->kind));
	str(w, "name", c->name);
	str(w, "action", sf_diff_action_name(c->action));
	if (c->kind == SF_DIFF_INTERPRETER)
		boolean(w, "sandform_only", c->sandform_only);
	open_(w, "attributes", '[');
	for (k = 0; k < c->nattrs; k++) {
		const struct sf_diff_attr *a = &c->attrs[k];

		open_(w, NULL, '{');
		str(w, "name", a->name);
		raw(w, "before", a->before);
		raw(w, "after", a->after);
		boolean(w, "forces_replacement", a->forces_replacement);
		close_(w, '}');
	}
	close_(w, ']');
	open_(w, "risks", '[');
	for (k = 0; k < c->nnotes; k++) {
		open_(w, NULL, '{');
		str(w, "risk", sf_risk_name(c->notes[k].risk));
		str(w, "message", c->notes[k].msg);
		close_(w, '}');
	}
	close_(w, ']');
	if (c->kind == SF_DIFF_INTERPRETER && c->action == SF_DIFF_REPLACE) {
		open_(w, "used_by_jobs", '[');
		for (k = 0; k < c->njobs; k++)
			str(w, NULL, c->jobs[k]);
		close_(w, ']');
	}
	if (c->kind == SF_DIFF_JOB) {
		open_(w, "schedule", '{');
		sched(w, "before", &c->sched[0]);
		sched(w, "after", &c->sched[1]);
		boolean(w, "changed", c->schedule_changed);
		close_(w, '}');
		str(w, "steps_diff", c->steps_diff);
	}
	close_(w, '}');
}

size_t
sf_diff_render_json(
    const struct sf_diff *d, const struct sf_diff_render *r, struct sf_buf *out)
{
	struct jw w;
	size_t i;

	memset(&w, 0, sizeof(w));
	w.b = out;
	open_(&w, NULL, '{');
	str(&w, "format_version", "1.0");
	str(&w, "directory", r->dir ? r->dir : "");
	side(&w, "base", &r->base);
	side(&w, "head", &r->head);
	boolean(&w, "changed", sf_diff_has_changes(d));
	open_(&w, "summary", '{');
	counts(&w, "interpreters", &d->counts[SF_DIFF_INTERPRETER]);
	counts(&w, "jobs", &d->counts[SF_DIFF_JOB]);
	counts(&w, "variables", &d->counts[SF_DIFF_VARIABLE]);
	boolean(&w, "provider_changed", d->counts[SF_DIFF_PROVIDER].update > 0);
	boolean(&w, "pricing_changed", d->counts[SF_DIFF_PRICING].update > 0);
	boolean(&w, "policy_changed", d->counts[SF_DIFF_POLICY].update > 0);
	num(&w, "risk_notes", (long long)d->nnotes);
	boolean(&w, "destructive", sf_diff_is_destructive(d));
	boolean(&w, "exposure_widened", d->widened);
	boolean(&w, "policy_relaxed", d->relaxed);
	close_(&w, '}');
	open_(&w, "changes", '[');
	for (i = 0; i < d->n; i++)
		change(&w, &d->v[i]);
	close_(&w, ']');
	if (r->rates) {
		open_(&w, "cost_assumptions", '{');
		real(&w, "vcpu_hour_usd", r->rates->vcpu_hour);
		real(&w, "gb_hour_usd", r->rates->gb_hour);
		real(&w, "vcpus", r->rates->vcpus);
		real(&w, "memory_gb", r->rates->memory_gb);
		str(&w, "run_length",
		    "the job's timeout, else its "
		    "session_timeout: an upper bound");
		close_(&w, '}');
	}
	num(&w, "redactions", (long long)w.red);
	close_(&w, '}');
	sf_buf_addch(out, '\n');
	return w.red;
}
