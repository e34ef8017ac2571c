#ifndef SF_CLI_JOBRUN_H
#define SF_CLI_JOBRUN_H

#include "cli/plancmd.h"
#include "jobs/run.h"

/*
 * A job run in three parts, so that runs can go side by side: prepare
 * (in w: the run's id, the interpreter, `running` in the state), execute
 * (touches only the provider given and p: one per thread), record (in w:
 * the run record to the storage, the summary and history limits to the
 * state). The caller saves the state between them.
 */
struct sf_pending_run {
	const struct sf_job *job;
	int64_t fired; /* the fire time it runs for; 0: by hand */
	char run_id[64];
	char *interpreter;
	struct sf_run_result res;
	int rc;
	struct sf_err err;
};

int sf_cli_job_prepare(struct sf_work *w, struct sf_pending_run *p,
    const struct sf_job *job, int64_t fired, struct sf_err *err);
void sf_cli_job_execute(struct sf_provider *provider,
    const struct sf_config *cfg, const char *manifest_dir,
    struct sf_pending_run *p);
int sf_cli_job_record(
    struct sf_work *w, struct sf_pending_run *p, struct sf_err *err);
void sf_cli_job_release(struct sf_pending_run *p);
/* A run that starting_deadline made too late: recorded as missed. */
int sf_cli_job_missed(struct sf_work *w, const struct sf_job *job,
    int64_t fired, struct sf_err *err);

/* All three for one job (sandform run). */
int sf_cli_run_job(struct sf_work *w, const struct sf_job *job, int64_t fired,
    enum sf_run_outcome *outcome, struct sf_err *err);

#endif
