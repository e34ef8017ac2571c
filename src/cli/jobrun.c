/* Running a job from the CLI: the state before and after, the record. */
#include <jansson.h>

#include "cli/cli.h"
#include "cli/jobrun.h"
#include "jobs/run.h"

static void
print_output(void *ud, const char *job, const char *step, const char *stream,
    const char *text)
{
	const char *p = text;
	FILE *f = !strcmp(stream, "stdout") ? stdout : stderr;

	(void)ud;
	/* Every line prefixed, so a CI log says what printed it. */
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(f, "[%s/%s%s] %.*s\n", job, step,
		    !strcmp(stream, "error") ? " error" : "", len, p);
		p += len + (nl ? 1 : 0);
	}
	fflush(f);
}

static struct sf_rec_job *
rec_job(struct sf_recorded *rec, const char *name)
{
	struct sf_rec_job *j = sf_recorded_job(rec, name);

	if (j)
		return j;
	rec->jobs = sf_xrealloc(rec->jobs, (rec->njobs + 1) * sizeof(*j));
	j = &rec->jobs[rec->njobs++];
	memset(j, 0, sizeof(*j));
	j->name = sf_xstrdup(name);
	sf_recorded_sort(rec);
	return sf_recorded_job(rec, name);
}

static void
set(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? sf_xstrdup(src) : NULL;
}

/* The outcome written in a stored record, or NULL. */
static char *
record_outcome(struct sf_storage *s, const char *job, const char *run)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	char *out = NULL;
	json_t *j;

	if (sf_storage_get_run(s, job, run, &b, &err) == SF_OK &&
	    (j = json_loadb(b.buf, b.len, 0, NULL))) {
		const char *o =
		    json_string_value(json_object_get(j, "outcome"));

		out = o ? sf_xstrdup(o) : NULL;
		json_decref(j);
	}
	sf_buf_release(&b);
	return out;
}

/* History limits: the newest keep.succeeded successes, keep.failed others. */
static void
prune(struct sf_work *w, const struct sf_job *job)
{
	struct sf_err err;
	char **runs = NULL;
	size_t n = 0, i, ok = 0, bad = 0;

	if (sf_storage_list_runs(w->storage, job->name.s, &runs, &n, &err))
		return;
	for (i = n; i-- > 0;) {
		char *o = record_outcome(w->storage, job->name.s, runs[i]);
		bool success = o && !strcmp(o, "succeeded");
		int64_t keep =
		    success ? job->keep_succeeded.v : job->keep_failed.v;
		size_t *count = success ? &ok : &bad;

		if ((int64_t)(*count)++ >= keep)
			sf_storage_delete_run(
			    w->storage, job->name.s, runs[i], &err);
		free(o);
	}
	sf_storage_runs_free(runs, n);
}

static const char *
interpreter_id(struct sf_work *w, const struct sf_job *job, struct sf_err *err)
{
	const struct sf_rec_interpreter *r;

	if (!strcmp(job->interpreter.s, SF_SYSTEM_INTERPRETER))
		return SF_SYSTEM_INTERPRETER;
	r = sf_recorded_interpreter(&w->rec, job->interpreter.s);
	if (!r || !r->id || !r->status || strcmp(r->status, "READY")) {
		sf_error(err, SF_EINVALID, job->name.s,
		    "interpreter %s is not READY (%s); apply the interpreters "
		    "first",
		    job->interpreter.s,
		    r && r->status ? r->status : "not created");
		return NULL;
	}
	return r->id;
}

int
sf_cli_run_job(struct sf_work *w, const struct sf_job *job, int64_t fired,
    bool missed, enum sf_run_outcome *outcome, struct sf_err *err)
{
	struct sf_rec_job *rj = rec_job(&w->rec, job->name.s);
	struct sf_run_opts o;
	struct sf_run_result res;
	char run_id[64], stamp[32], uuid[37];
	const char *interp;
	time_t t;
	struct tm tm;
	int rc, src;

	if (missed) {
		/* Recorded so that it is not tried again, and visible. */
		rj->last_scheduled = fired;
		set(&rj->last_outcome, "missed");
		printf("%s: missed the run for its last fire time "
		       "(starting_deadline)\n",
		    job->name.s);
		return sf_work_save(w, err);
	}
	if (!(interp = interpreter_id(w, job, err)))
		return SF_EINVALID;
	t = (time_t)(sf_now_ms() / 1000);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	sf_uuid4(uuid);
	snprintf(run_id, sizeof(run_id), "%s-%.8s", stamp, uuid);
	/* In progress, on record: concurrency forbid sees it, and a crash
	 * leaves a trace `sessions gc` can follow. */
	set(&rj->running, run_id);
	if ((rc = sf_work_save(w, err)))
		return rc;
	printf("%s: run %s starting (%s)\n", job->name.s, run_id,
	    fired ? "scheduled" : "by hand");
	fflush(stdout);
	memset(&o, 0, sizeof(o));
	o.run_id = run_id;
	o.interpreter = interp;
	o.scheduled = fired;
	o.manifest_dir = w->dir;
	o.output = print_output;
	o.interrupted = &sf_work_interrupted;
	rc = sf_job_run(w->provider, job, &o, &res, err);
	*outcome = res.outcome;
	src = sf_storage_put_run(w->storage, job->name.s, run_id, res.record,
	    strlen(res.record), err);
	set(&rj->running, NULL);
	set(&rj->last_run, run_id);
	set(&rj->last_outcome, sf_run_outcome_name(res.outcome));
	if (fired)
		rj->last_scheduled = fired;
	rj->last_started = res.started;
	rj->last_finished = res.finished;
	if (res.outcome == SF_RUN_SUCCEEDED)
		rj->runs_succeeded++;
	else
		rj->runs_failed++;
	printf("%s: run %s %s in %.1fs (about $%.5f)\n", job->name.s, run_id,
	    sf_run_outcome_name(res.outcome),
	    (double)(res.finished - res.started) / 1000.0, res.cost);
	sf_run_result_release(&res);
	prune(w, job);
	if (src == SF_OK) {
		struct sf_err e2;

		src = sf_work_save(w, &e2);
		if (src && !rc)
			*err = e2;
	}
	return rc ? rc : src;
}
