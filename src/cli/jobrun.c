/* Running a job from the CLI: the state before and after, the record. */
#include <jansson.h>
#include <pthread.h>

#include "cli/cli.h"
#include "cli/jobrun.h"
#include "jobs/run.h"

static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;

static void
print_output(void *ud, const char *job, const char *step, const char *stream,
    const char *text)
{
	const char *p = text;
	FILE *f = !strcmp(stream, "stdout") ? stdout : stderr;

	(void)ud;
	/* Jobs run side by side: whole lines, one writer at a time. */
	pthread_mutex_lock(&output_lock);
	/* Every line prefixed, so a CI log says what printed it. */
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(f, "[%s/%s%s] %.*s\n", job, step,
		    !strcmp(stream, "error") ? " error" : "", len, p);
		p += len + (nl ? 1 : 0);
	}
	fflush(f);
	pthread_mutex_unlock(&output_lock);
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
sf_cli_job_prepare(struct sf_work *w, struct sf_pending_run *p,
    const struct sf_job *job, int64_t fired, struct sf_err *err)
{
	char stamp[32], uuid[37];
	const char *interp;
	time_t t;
	struct tm tm;

	memset(p, 0, sizeof(*p));
	p->job = job;
	p->fired = fired;
	if (!(interp = interpreter_id(w, job, err)))
		return SF_EINVALID;
	p->interpreter = sf_xstrdup(interp);
	t = (time_t)(sf_now_ms() / 1000);
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	sf_uuid4(uuid);
	snprintf(p->run_id, sizeof(p->run_id), "%s-%.8s", stamp, uuid);
	/* In progress, on record: concurrency forbid sees it, and a crash
	 * leaves a trace `sessions gc` can follow. */
	set(&rec_job(&w->rec, job->name.s)->running, p->run_id);
	printf("%s: run %s starting (%s)\n", job->name.s, p->run_id,
	    fired ? "scheduled" : "by hand");
	fflush(stdout);
	return SF_OK;
}

void
sf_cli_job_execute(struct sf_provider *provider, const struct sf_config *cfg,
    const char *manifest_dir, struct sf_pending_run *p)
{
	struct sf_run_opts o;

	memset(&o, 0, sizeof(o));
	o.rates.vcpu_hour = cfg->pricing.vcpu_hour;
	o.rates.gb_hour = cfg->pricing.gb_hour;
	o.rates.vcpus = cfg->pricing.vcpus;
	o.rates.memory_gb = cfg->pricing.memory_gb;
	o.run_id = p->run_id;
	o.interpreter = p->interpreter;
	o.scheduled = p->fired;
	o.manifest_dir = manifest_dir;
	o.output = print_output;
	o.interrupted = &sf_work_interrupted;
	p->rc = sf_job_run(provider, p->job, &o, &p->res, &p->err);
}

int
sf_cli_job_record(
    struct sf_work *w, struct sf_pending_run *p, struct sf_err *err)
{
	const struct sf_job *job = p->job;
	struct sf_rec_job *rj = rec_job(&w->rec, job->name.s);
	const struct sf_run_result *res = &p->res;
	int src;

	if (res->record) {
		/* Where the configuration came from, in the record too. */
		json_t *rec = json_loads(res->record, 0, NULL);
		char *prov = sf_work_provenance_json(w), *text = NULL;

		if (rec) {
			json_object_set_new(
			    rec, "provenance", json_loads(prov, 0, NULL));
			text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
			json_decref(rec);
		}
		free(prov);
		src = sf_storage_put_run(w->storage, job->name.s, p->run_id,
		    text ? text : res->record,
		    strlen(text ? text : res->record), err);
		free(text);
	} else {
		src = SF_OK;
	}
	set(&rj->running, NULL);
	set(&rj->last_run, p->run_id);
	set(&rj->last_outcome, sf_run_outcome_name(res->outcome));
	if (p->fired)
		rj->last_scheduled = p->fired;
	rj->last_started = res->started;
	rj->last_finished = res->finished;
	if (res->outcome == SF_RUN_SUCCEEDED)
		rj->runs_succeeded++;
	else
		rj->runs_failed++;
	printf("%s: run %s %s in %.1fs (about $%.5f)\n", job->name.s, p->run_id,
	    sf_run_outcome_name(res->outcome),
	    (double)(res->finished - res->started) / 1000.0, res->cost);
	fflush(stdout);
	prune(w, job);
	if (p->rc) {
		*err = p->err;
		return p->rc;
	}
	return src;
}

void
sf_cli_job_release(struct sf_pending_run *p)
{
	sf_run_result_release(&p->res);
	free(p->interpreter);
	memset(p, 0, sizeof(*p));
}

int
sf_cli_job_missed(struct sf_work *w, const struct sf_job *job, int64_t fired,
    struct sf_err *err)
{
	struct sf_rec_job *rj = rec_job(&w->rec, job->name.s);

	/* Recorded so that it is not tried again, and visible. */
	rj->last_scheduled = fired;
	set(&rj->last_outcome, "missed");
	printf(
	    "%s: missed the run for its last fire time (starting_deadline)\n",
	    job->name.s);
	return sf_work_save(w, err);
}

int
sf_cli_run_job(struct sf_work *w, const struct sf_job *job, int64_t fired,
    enum sf_run_outcome *outcome, struct sf_err *err)
{
	struct sf_pending_run p;
	struct sf_err e2;
	int rc;

	if ((rc = sf_cli_job_prepare(w, &p, job, fired, err)) ||
	    (rc = sf_work_save(w, err))) {
		sf_cli_job_release(&p);
		return rc;
	}
	sf_cli_job_execute(w->provider, w->cfg, w->dir, &p);
	*outcome = p.res.outcome;
	rc = sf_cli_job_record(w, &p, err);
	if (sf_work_save(w, &e2) && !rc) {
		*err = e2;
		rc = e2.code;
	}
	sf_cli_job_release(&p);
	return rc;
}
