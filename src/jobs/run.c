#include <jansson.h>
#include <regex.h>

#include "jobs/run.h"
#include "util/fs.h"
#include "util/time.h"

#define DEFAULT_CAP (64 * 1024)
#define FILE_CAP    (100u * 1024 * 1024)

struct run {
	struct sf_provider *p;
	const struct sf_job *job;
	const struct sf_run_opts *o;
	size_t cap;
	int64_t deadline; /* 0: none */
};

static int64_t
wall(const struct run *r)
{
	struct timespec ts;

	if (r->o->now_ms)
		return r->o->now_ms(r->o->clock_ud);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nap(const struct run *r, int64_t ms)
{
	struct timespec ts;

	if (r->o->sleep_ms) {
		r->o->sleep_ms(r->o->clock_ud, ms);
		return;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static bool
stopped(const struct run *r)
{
	return r->o->interrupted && *r->o->interrupted;
}

static json_t *
time_json(int64_t ms)
{
	char buf[32];

	if (!ms)
		return json_null();
	sf_time_format(buf, ms);
	return json_string(buf);
}

/* Text kept in the record, capped, with the cap noted. */
static void
set_capped(json_t *o, const char *key, const struct sf_buf *b, size_t cap)
{
	char *flag = sf_xasprintf("%s_truncated", key);

	if (b->len > cap) {
		json_object_set_new(o, key, json_stringn_nocheck(b->buf, cap));
		json_object_set_new(o, flag, json_true());
	} else {
		json_object_set_new(
		    o, key, json_stringn_nocheck(b->buf, b->len));
	}
	free(flag);
}

/* ---- one step ---- */

struct step_out {
	struct run *r;
	const char *label;
	struct sf_buf out, err;
	bool is_error, has_exit;
	int exit_code;
	json_t *files; /* fetch */
};

static int
on_result(const struct sf_tool_result *t, void *ud)
{
	struct step_out *s = ud;
	const char *job = s->r->job->name.s;
	size_t i;

	s->is_error |= t->is_error;
	if (t->has_exit_code) {
		s->has_exit = true;
		s->exit_code = t->exit_code;
	}
	if (t->std_out && *t->std_out) {
		sf_buf_adds(&s->out, t->std_out);
		if (s->r->o->output)
			s->r->o->output(s->r->o->output_ud, job, s->label,
			    "stdout", t->std_out);
	}
	if (t->std_err && *t->std_err) {
		sf_buf_adds(&s->err, t->std_err);
		if (s->r->o->output)
			s->r->o->output(s->r->o->output_ud, job, s->label,
			    "stderr", t->std_err);
	}
	for (i = 0; s->files && i < t->ncontent; i++) {
		const struct sf_content *c = &t->content[i];
		json_t *f = json_object();
		const char *path = c->uri && !strncmp(c->uri, "file://", 7)
		                       ? c->uri + 7
		                       : c->uri;

		if (path)
			json_object_set_new(f, "path", json_string(path));
		if (c->resource_text || c->text)
			json_object_set_new(f, "text",
			    json_string(
			        c->resource_text ? c->resource_text : c->text));
		else if (c->blob)
			json_object_set_new(
			    f, "bytes", json_integer((json_int_t)c->blob_len));
		json_array_append_new(s->files, f);
	}
	return 0;
}

static bool
matches(
    const char *re, const char *text, char *why, size_t n, const char *stream)
{
	regex_t rx;
	int rc;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB | REG_NEWLINE)) {
		snprintf(why, n, "%s pattern does not compile", stream);
		return false;
	}
	rc = regexec(&rx, text, 0, NULL, 0);
	regfree(&rx);
	if (rc)
		snprintf(why, n, "%s does not match /%s/", stream, re);
	return rc == 0;
}

/* Read files[].source (relative to the manifests) into text or a blob. */
static int
load_files(struct run *r, const struct sf_step *st, struct sf_tool_file *tf,
    struct sf_buf *bufs, struct sf_err *err)
{
	size_t i;

	for (i = 0; i < st->nfiles; i++) {
		const struct sf_file *f = &st->files[i];
		char *path;
		int rc;

		tf[i].path = f->path.s;
		if (f->text.s) {
			tf[i].text = f->text.s;
			continue;
		}
		path = f->source.s[0] == '/'
		           ? sf_xstrdup(f->source.s)
		           : sf_fs_join(r->o->manifest_dir, f->source.s);
		rc = sf_fs_read(path, FILE_CAP, &bufs[i], err);
		free(path);
		if (rc)
			return rc;
		if (sf_utf8_valid(bufs[i].buf, bufs[i].len, NULL))
			tf[i].text = bufs[i].buf;
		else {
			tf[i].blob = bufs[i].buf;
			tf[i].blob_len = bufs[i].len;
		}
	}
	return SF_OK;
}

/* Run step index i in session sid; the step's record goes into steps. */
static bool
run_step(
    struct run *r, const char *sid, size_t i, json_t *steps, struct sf_err *err)
{
	const struct sf_step *st = &r->job->steps[i];
	struct sf_tool_call call;
	struct sf_tool_file *tf = NULL;
	struct sf_buf *bufs = NULL;
	struct step_out so;
	json_t *rec;
	char label[96], why[600] = "";
	const char *paths[1000];
	int64_t t0 = wall(r);
	int expect = st->has_expect && st->expect.exit_code.set
	                 ? (int)st->expect.exit_code.v
	                 : 0;
	bool ok = true;
	size_t k;
	int rc;

	if (st->name.s)
		snprintf(label, sizeof(label), "%s", st->name.s);
	else
		snprintf(label, sizeof(label), "%zu:%s", i + 1,
		    sf_step_kind_name(st->kind));
	memset(&so, 0, sizeof(so));
	so.r = r;
	so.label = label;
	sf_buf_init(&so.out, 0);
	sf_buf_init(&so.err, 0);
	memset(&call, 0, sizeof(call));
	switch (st->kind) {
	case SF_STEP_COMMAND:
		call.name = "executeCommand";
		call.command = st->text.s;
		break;
	case SF_STEP_CODE:
		call.name = "executeCode";
		call.code = st->text.s;
		call.language = sf_language_name(st->language);
		break;
	case SF_STEP_FILES:
		call.name = "writeFiles";
		tf = sf_xcalloc(st->nfiles + 1, sizeof(*tf));
		bufs = sf_xcalloc(st->nfiles + 1, sizeof(*bufs));
		call.content = tf;
		call.ncontent = st->nfiles;
		break;
	case SF_STEP_FETCH:
		call.name = "readFiles";
		for (k = 0; k < st->fetch.n && k < SF_ARRAY_LEN(paths); k++)
			paths[k] = st->fetch.v[k].s;
		call.paths = paths;
		call.npaths = k;
		so.files = json_array();
		break;
	}
	rec = json_pack("{s:I, s:s, s:s}", "index", (json_int_t)(i + 1),
	    "label", label, "kind", sf_step_kind_name(st->kind));
	rc = st->kind == SF_STEP_FILES ? load_files(r, st, tf, bufs, err)
	                               : SF_OK;
	if (rc == SF_OK)
		rc = r->p->ops->invoke(
		    r->p, r->o->interpreter, sid, &call, on_result, &so, err);
	if (rc) {
		ok = false;
		snprintf(why, sizeof(why), "%s", err->msg);
	} else if (so.has_exit && so.exit_code != expect) {
		ok = false;
		snprintf(why, sizeof(why), "exit code %d, expected %d",
		    so.exit_code, expect);
	} else if (so.is_error && !(so.has_exit && st->expect.exit_code.set)) {
		ok = false;
		snprintf(why, sizeof(why), "the tool reported an error");
	} else if (st->has_expect && st->expect.stdout_re.s &&
	           !matches(st->expect.stdout_re.s, so.out.buf, why,
	               sizeof(why), "stdout")) {
		ok = false;
	} else if (st->has_expect && st->expect.stderr_re.s &&
	           !matches(st->expect.stderr_re.s, so.err.buf, why,
	               sizeof(why), "stderr")) {
		ok = false;
	}
	if (so.has_exit)
		json_object_set_new(
		    rec, "exit_code", json_integer(so.exit_code));
	set_capped(rec, "stdout", &so.out, r->cap);
	set_capped(rec, "stderr", &so.err, r->cap);
	if (so.files)
		json_object_set_new(rec, "files", so.files);
	json_object_set_new(rec, "duration_ms", json_integer(wall(r) - t0));
	json_object_set_new(rec, "ok", json_boolean(ok));
	if (!ok)
		json_object_set_new(rec, "error", json_string(why));
	json_array_append_new(steps, rec);
	if (!ok && r->o->output)
		r->o->output(
		    r->o->output_ud, r->job->name.s, label, "error", why);
	sf_buf_release(&so.out);
	sf_buf_release(&so.err);
	for (k = 0; bufs && k < st->nfiles; k++)
		sf_buf_release(&bufs[k]);
	free(bufs);
	free(tf);
	return ok;
}

/* ---- one attempt: a session, the steps, the session stopped ---- */

static enum sf_run_outcome
attempt(struct run *r, int n, json_t *attempts, double *cost, char **sid_out)
{
	const struct sf_job *job = r->job;
	struct sf_session_spec spec;
	struct sf_session s;
	struct sf_err err;
	struct sf_rates rates = r->o->rates;
	enum sf_run_outcome outcome = SF_RUN_SUCCEEDED;
	json_t *a, *steps = json_array();
	char name[101];
	int64_t t0 = wall(r), timeout = job->session_timeout.v;
	size_t i;

	if (!rates.vcpu_hour)
		sf_rates_default(&rates);
	/* The session itself ends at the run's deadline, whatever runs. */
	if (r->deadline) {
		int64_t left = (r->deadline - t0 + 999) / 1000;

		if (left < timeout)
			timeout = left < 1 ? 1 : left;
	}
	snprintf(name, sizeof(name), "sandform-%s-%s-%d", job->name.s,
	    r->o->run_id, n);
	memset(&spec, 0, sizeof(spec));
	spec.name = name;
	spec.timeout_s = timeout;
	a = json_pack("{s:i, s:o}", "attempt", n, "started", time_json(t0));
	if (r->p->ops->start_session(
	        r->p, r->o->interpreter, &spec, &s, &err)) {
		json_object_set_new(a, "error", json_string(err.msg));
		if (r->o->output)
			r->o->output(r->o->output_ud, job->name.s, "session",
			    "error", err.msg);
		json_decref(steps);
		json_array_append_new(attempts, a);
		return SF_RUN_FAILED;
	}
	json_object_set_new(a, "session_id", json_string(s.session_id));
	free(*sid_out);
	*sid_out = sf_xstrdup(s.session_id);
	for (i = 0; i < job->nsteps; i++) {
		if (stopped(r)) {
			outcome = SF_RUN_INTERRUPTED;
			break;
		}
		if (r->deadline && wall(r) >= r->deadline) {
			outcome = SF_RUN_TIMED_OUT;
			break;
		}
		if (!run_step(r, s.session_id, i, steps, &err)) {
			outcome = stopped(r) ? SF_RUN_INTERRUPTED
			          : r->deadline && wall(r) >= r->deadline
			              ? SF_RUN_TIMED_OUT
			              : SF_RUN_FAILED;
			break;
		}
	}
	/* Always: an idle session is billed. */
	if (r->p->ops->stop_session(
	        r->p, r->o->interpreter, s.session_id, &err) &&
	    err.code != SF_ENOTFOUND) {
		json_object_set_new(a, "stop_error", json_string(err.msg));
		if (r->o->output)
			r->o->output(r->o->output_ud, job->name.s, "session",
			    "error", err.msg);
	}
	json_object_set_new(a, "steps", steps);
	json_object_set_new(a, "finished", time_json(wall(r)));
	json_object_set_new(
	    a, "outcome", json_string(sf_run_outcome_name(outcome)));
	*cost += sf_session_cost(&rates, wall(r) - t0);
	json_array_append_new(attempts, a);
	sf_session_release(&s);
	return outcome;
}

int
sf_job_run(struct sf_provider *p, const struct sf_job *job,
    const struct sf_run_opts *o, struct sf_run_result *res, struct sf_err *err)
{
	struct run r;
	struct sf_rates rates = o->rates;
	json_t *rec, *attempts = json_array();
	int tries = 1 + (job->retries.set ? (int)job->retries.v : 0), n;
	enum sf_run_outcome outcome = SF_RUN_FAILED;
	char *text, *assumptions;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.p = p;
	r.job = job;
	r.o = o;
	r.cap = o->output_cap ? o->output_cap : DEFAULT_CAP;
	res->started = wall(&r);
	if (job->timeout.v)
		r.deadline = res->started + job->timeout.v * 1000;
	if (!rates.vcpu_hour)
		sf_rates_default(&rates);
	for (n = 1; n <= tries; n++) {
		outcome =
		    attempt(&r, n, attempts, &res->cost, &res->session_id);
		res->attempts = n;
		if (outcome != SF_RUN_FAILED || n == tries || stopped(&r))
			break;
		/* Back off before a fresh session: 2, 4, 8 ... s, within
		 * the run's deadline. */
		{
			int64_t pause = 1000LL << (n < 6 ? n : 6);

			if (r.deadline && wall(&r) + pause >= r.deadline) {
				outcome = SF_RUN_TIMED_OUT;
				break;
			}
			nap(&r, pause);
		}
	}
	if (stopped(&r))
		outcome = SF_RUN_INTERRUPTED;
	res->outcome = outcome;
	res->finished = wall(&r);
	assumptions = sf_xasprintf(
	    "an estimate: each session holds %g vCPU and %g GB for its whole "
	    "duration, at $%g per vCPU-hour and $%g per GB-hour, billed per "
	    "second with a 1 s minimum",
	    rates.vcpus, rates.memory_gb, rates.vcpu_hour, rates.gb_hour);
	rec = json_pack(
	    "{s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:s, s:o, s:{s:f, s:s}}",
	    "job", job->name.s, "run", o->run_id, "outcome",
	    sf_run_outcome_name(outcome), "scheduled", time_json(o->scheduled),
	    "started", time_json(res->started), "finished",
	    time_json(res->finished), "duration_ms",
	    (json_int_t)(res->finished - res->started), "interpreter",
	    o->interpreter, "attempts", attempts, "cost", "estimate_usd",
	    res->cost, "assumptions", assumptions);
	free(assumptions);
	text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(rec);
	if (!text)
		sf_die("out of memory writing a run record");
	res->record = text;
	if (outcome == SF_RUN_SUCCEEDED)
		return SF_OK;
	return sf_error(err,
	    outcome == SF_RUN_INTERRUPTED ? SF_EINTR : SF_ERROR, job->name.s,
	    "run %s %s after %d attempt%s", o->run_id,
	    sf_run_outcome_name(outcome), res->attempts,
	    res->attempts == 1 ? "" : "s");
}

void
sf_run_result_release(struct sf_run_result *r)
{
	free(r->record);
	free(r->session_id);
	memset(r, 0, sizeof(*r));
}

const char *
sf_run_outcome_name(enum sf_run_outcome o)
{
	switch (o) {
	case SF_RUN_SUCCEEDED:
		return "succeeded";
	case SF_RUN_TIMED_OUT:
		return "timed_out";
	case SF_RUN_INTERRUPTED:
		return "interrupted";
	case SF_RUN_FAILED:
		break;
	}
	return "failed";
}
