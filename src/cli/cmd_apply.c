#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "apply/apply.h"
#include "cli/cli.h"
#include "cli/statecmd.h"
#include "cli/jobrun.h"
#include "cli/planfile.h"
#include "util/time.h"

const char sf_apply_usage[] =
    "Usage: sandform apply [DIR | PLANFILE] [options]\n"
    "\n"
    "Make the control plane match the manifests in DIR (default: the\n"
    "current directory), or do exactly what a saved plan says: create,\n"
    "replace, update and destroy interpreters, writing the state after\n"
    "every step, then run the jobs that are due, each in its own session,\n"
    "always stopped. Without a plan file it shows the plan first and asks\n"
    "for `yes` on a terminal; elsewhere it needs --auto-approve.\n"
    "\n"
    "Options:\n"
    "  --auto-approve        do not ask\n"
    "  --parallelism N       calls in flight at once (default 10)\n"
    "  --no-jobs             change interpreters only; run no job\n"
    "  --ready-timeout D     wait this long for an interpreter to be READY\n"
    "                        or gone (default 30m, as Terraform's provider)\n"
    "  --destroy             destroy everything the state manages\n"
    "  --target NAME         only this interpreter or job (repeatable)\n"
    "  --var NAME=VALUE      set a declared variable (repeatable)\n"
    "  --refresh=false       trust the state; do not ask the control plane\n"
    "  --state DIR           the state directory (default: DIR/state)\n"
    "  --lock-timeout D      wait this long for the state lock (default 0)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Ctrl-C starts nothing new, lets what is in flight finish, saves the\n"
    "state and stops every session it started.\n";

const char sf_destroy_usage[] =
    "Usage: sandform destroy [DIR] [options]\n"
    "\n"
    "Destroy every interpreter the state manages (apply --destroy). The\n"
    "options are apply's.\n";

static void
progress(void *ud, const char *line)
{
	(void)ud;
	printf("  %s\n", line);
	fflush(stdout);
}

static int
save(void *ud, struct sf_recorded *rec, struct sf_err *err)
{
	struct sf_work *w = ud;

	(void)rec; /* it is w->rec */
	return sf_work_save(w, err);
}

static bool
confirm(const char *what)
{
	char line[64];

	printf("\nDo you want to %s?\n  Only 'yes' will be accepted: ", what);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return !strcmp(line, "yes");
}

#define JOB_THREADS 4

struct job_queue {
	struct sf_work *w;
	struct sf_pending_run *runs;
	size_t n, next;
	pthread_mutex_t mu;
};

struct job_worker {
	struct job_queue *q;
	struct sf_provider *provider;
	pthread_t th;
};

/* Wait up to the job's jitter, a random part of it; Ctrl-C cuts it short. */
static void
jitter(const struct sf_job *job)
{
	unsigned char b[4];
	uint32_t r;
	int64_t ms, step;
	char uuid[37];

	if (job->jitter.v <= 0)
		return;
	sf_uuid4(uuid);
	memcpy(b, uuid, sizeof(b));
	r = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
	    b[3];
	ms = (int64_t)(r % (uint32_t)(job->jitter.v * 1000 + 1));
	printf("%s: waiting %.1fs (jitter)\n", job->name.s, (double)ms / 1000);
	fflush(stdout);
	for (; ms > 0 && !sf_work_interrupted; ms -= step) {
		struct timespec ts;

		step = ms < 100 ? ms : 100;
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
	}
}

static void *
job_worker(void *arg)
{
	struct job_worker *me = arg;
	struct job_queue *q = me->q;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&q->mu);
		i = q->next++;
		pthread_mutex_unlock(&q->mu);
		if (i >= q->n)
			break;
		if (sf_work_interrupted) {
			q->runs[i].rc = sf_error(&q->runs[i].err, SF_EINTR,
			    q->runs[i].job->name.s,
			    "interrupted before it "
			    "started");
			continue;
		}
		jitter(q->runs[i].job);
		sf_cli_job_execute(
		    me->provider, q->w->cfg, q->w->dir, &q->runs[i]);
	}
	return NULL;
}

/*
 * Run the due jobs, side by side up to JOB_THREADS, each in a session of
 * its own and with a client of its own; the state is written by this
 * thread only, before and after.
 */
static int
run_jobs(struct sf_work *w, const struct sf_full_plan *fp, size_t *ok,
    size_t *failed)
{
	struct sf_pending_run *runs = sf_xcalloc(fp->njobs + 1, sizeof(*runs));
	struct job_worker workers[JOB_THREADS];
	struct job_queue q;
	struct sf_err err;
	size_t i, n = 0, nw = 0;
	int rc = SF_OK;

	for (i = 0; i < fp->njobs; i++) {
		const struct sf_job_plan *jp = &fp->jobs[i];

		if (jp->due.verdict == SF_DUE_MISSED) {
			if (sf_cli_job_missed(w, jp->job, jp->due.fired, &err))
				sf_cli_report(&err);
			continue;
		}
		if (jp->due.verdict != SF_DUE_YES)
			continue;
		if (sf_cli_job_prepare(
		        w, &runs[n], jp->job, jp->due.fired, &err)) {
			sf_cli_report(&err);
			(*failed)++;
			rc = err.code;
			sf_cli_job_release(&runs[n]);
			continue;
		}
		n++;
	}
	if (!n)
		goto out;
	/* Every run on record as in progress before any starts. */
	if (sf_work_save(w, &err)) {
		rc = sf_cli_report(&err);
		goto out;
	}
	memset(&q, 0, sizeof(q));
	q.w = w;
	q.runs = runs;
	q.n = n;
	pthread_mutex_init(&q.mu, NULL);
	for (i = 0; i < JOB_THREADS && i < n; i++) {
		workers[nw].q = &q;
		if (sf_work_new_provider(w, &workers[nw].provider, &err)) {
			sf_cli_report(&err);
			break;
		}
		if (pthread_create(
		        &workers[nw].th, NULL, job_worker, &workers[nw])) {
			workers[nw].provider->ops->free(workers[nw].provider);
			break;
		}
		nw++;
	}
	if (!nw) /* no thread: this one does the work */
		for (i = 0; i < n; i++)
			sf_cli_job_execute(
			    w->provider, w->cfg, w->dir, &runs[i]);
	for (i = 0; i < nw; i++) {
		pthread_join(workers[i].th, NULL);
		workers[i].provider->ops->free(workers[i].provider);
	}
	pthread_mutex_destroy(&q.mu);
	for (i = 0; i < n; i++) {
		int r = sf_cli_job_record(w, &runs[i], &err);

		if (r) {
			(*failed)++;
			sf_cli_report(&err);
			if (!rc)
				rc = r;
		} else {
			(*ok)++;
		}
	}
	if (sf_work_save(w, &err) && !rc)
		rc = sf_cli_report(&err);
out:
	for (i = 0; i < n; i++)
		sf_cli_job_release(&runs[i]);
	free(runs);
	return rc;
}

static int
apply_main(const char *cmd, int argc, char **argv, bool destroy)
{
	struct sf_plan_args a;
	struct sf_planfile pf;
	struct sf_work w;
	struct sf_full_plan fp;
	struct sf_apply_opts ao;
	struct sf_apply_result res;
	struct sf_err err;
	size_t jobs_ok = 0, jobs_failed = 0;
	bool from_file = false;
	int rc = SF_EXIT_ERROR, arc, jrc = SF_OK;

	memset(&fp, 0, sizeof(fp));
	memset(&pf, 0, sizeof(pf));
	memset(&w, 0, sizeof(w));
	if (sf_plan_args_parse(cmd, argc, argv, &a))
		goto out_args;
	a.destroy |= destroy;
	sf_work_catch_signals();
	if (sf_planfile_is(a.dir)) {
		from_file = true;
		if (sf_planfile_read(a.dir, &pf, &err) ||
		    sf_planfile_check_vars(&pf, a.vars, a.nvars, &err)) {
			sf_cli_report(&err);
			goto out_args;
		}
		a.destroy = pf.destroy;
		a.targets = sf_xcalloc(pf.ntargets + 1, sizeof(char *));
		memcpy(a.targets, pf.targets, pf.ntargets * sizeof(char *));
		a.ntargets = pf.ntargets;
		a.no_refresh = !pf.refreshed;
		if (sf_work_load_files(
		        &w, cmd, pf.dir, pf.files, pf.nfiles, a.vars, a.nvars))
			goto out;
		/* The plan's state directory, unless the state lives in a
		 * shared backend (which names itself). */
		if (!a.state && sf_cli_state_is_local(w.cfg))
			a.state = pf.state_dir;
	} else if (sf_work_load(&w, cmd, a.dir, a.vars, a.nvars)) {
		goto out;
	}
	if (sf_work_state(&w, a.state, a.lock_timeout_ms))
		goto out;
	if (from_file &&
	    (strcmp(pf.lineage, w.rec.lineage) || pf.serial != w.rec.serial)) {
		sf_error(&err, SF_ECONFLICT, a.dir,
		    "stale plan: the state changed since it was made (serial "
		    "%llu, now %llu%s); make a new plan",
		    (unsigned long long)pf.serial,
		    (unsigned long long)w.rec.serial,
		    strcmp(pf.lineage, w.rec.lineage) ? ", another lineage"
		                                      : "");
		sf_cli_report(&err);
		goto out;
	}
	if (sf_work_connect(&w))
		goto out;
	if (sf_full_plan_build(&w, &a, sf_now_ms(), &fp))
		goto out;
	if (from_file) {
		char *now = sf_live_fingerprint(&w);
		bool same = !strcmp(now, pf.fingerprint);

		free(now);
		if (!same) {
			sf_error(&err, SF_ECONFLICT, a.dir,
			    "stale plan: the interpreters in the control plane "
			    "changed since it was made; make a new plan");
			sf_cli_report(&err);
			goto out;
		}
	}
	printf("Target: %s\n\n", w.target ? w.target : "not asked");
	sf_full_plan_print(stdout, &w, &fp, sf_cli_color(stdout));
	if (a.no_jobs)
		fp.due = 0;
	if (!sf_full_plan_has_changes(&fp)) {
		rc = SF_EXIT_OK;
		/* Nothing to do, but what the refresh learnt is kept. */
		if (w.refreshed_state && sf_work_save(&w, &err))
			rc = sf_cli_report(&err);
		goto out;
	}
	if (!from_file && !a.auto_approve) {
		if (!isatty(STDIN_FILENO)) {
			sf_error(&err, SF_EINVALID, cmd,
			    "not asking on a terminal: give --auto-approve "
			    "(or apply a saved plan)");
			sf_cli_report(&err);
			goto out;
		}
		if (!confirm(a.destroy ? "destroy these interpreters"
		                       : "perform these actions")) {
			printf("%s cancelled.\n", cmd);
			goto out;
		}
	}
	printf("\n");
	memset(&ao, 0, sizeof(ao));
	ao.parallelism = a.parallelism;
	ao.ready_timeout_ms = a.ready_timeout_ms; /* 0: 30 minutes */
	ao.lineage = w.rec.lineage;
	ao.save = save;
	ao.save_ud = &w;
	ao.progress = progress;
	ao.interrupted = &sf_work_interrupted;
	/* AWS reports READY a little before it is: see it twice there. */
	ao.ready_confirmations =
	    w.cfg->provider.target == SF_TARGET_AWS ? 2 : 1;
	{
		const struct sf_plan_counts *c = &fp.plan.counts;
		char *what =
		    sf_xasprintf("Plan: %zu to add, %zu to change, %zu "
		                 "to replace, %zu to destroy.",
		        c->add, c->change, c->replace, c->destroy);

		sf_work_note(&w, what);
		free(what);
	}
	arc = sf_apply(w.provider, &fp.plan, &w.rec, &ao, &res, &err);
	if (arc)
		sf_cli_report(&err);
	if (!arc && !a.no_jobs && !a.destroy) {
		sf_work_note(&w, "The due jobs run.");
		jrc = run_jobs(&w, &fp, &jobs_ok, &jobs_failed);
	}
	printf("\n%s%s! Interpreters: %zu added, %zu changed, %zu destroyed"
	       "%s",
	    arc || jrc ? "Apply finished with errors" : "Apply complete",
	    res.interrupted || sf_work_interrupted ? " (interrupted)" : "",
	    res.created, res.updated, res.deleted, res.forgotten ? "" : ".");
	if (res.forgotten)
		printf(", %zu forgotten.", res.forgotten);
	if (jobs_ok + jobs_failed)
		printf(
		    " Jobs: %zu succeeded, %zu failed.", jobs_ok, jobs_failed);
	putchar('\n');
	rc = arc || jrc ? SF_EXIT_ERROR : SF_EXIT_OK;
out:
	sf_full_plan_release(&fp);
	sf_work_release(&w);
	if (from_file) {
		/* Borrowed from the plan file. */
		free(a.targets);
		a.targets = NULL;
	}
out_args:
	sf_planfile_release(&pf);
	sf_plan_args_release(&a);
	return rc;
}

int
cmd_apply(int argc, char **argv)
{
	return apply_main("apply", argc, argv, false);
}

int
cmd_destroy(int argc, char **argv)
{
	return apply_main("destroy", argc, argv, true);
}
