#ifndef SF_CLI_JOBRUN_H
#define SF_CLI_JOBRUN_H

#include "cli/plancmd.h"
#include "jobs/run.h"

/*
 * Run job in w (the state locked, the provider connected) for fire time
 * fired (0: by hand), or record it as missed. The run record goes to the
 * storage, the job's summary and history limits to the state.
 */
int sf_cli_run_job(struct sf_work *w, const struct sf_job *job, int64_t fired,
    bool missed, enum sf_run_outcome *outcome, struct sf_err *err);

#endif
