/*
 * One run of a job: a code-interpreter session, the steps in order
 * (command -> executeCommand, code -> executeCode, files -> writeFiles,
 * fetch -> readFiles), each step's expectations, stop at the first
 * failure, retries in fresh sessions with backoff, a whole-run timeout,
 * and the session always stopped: on success, failure, timeout and when
 * interrupted. The result is the run record, as JSON text.
 */
#ifndef SF_RUN_H
#define SF_RUN_H

#include <signal.h>

#include "jobs/due.h"
#include "provider/provider.h"

enum sf_run_outcome {
	SF_RUN_SUCCEEDED,
	SF_RUN_FAILED,
	SF_RUN_TIMED_OUT,
	SF_RUN_INTERRUPTED,
};

struct sf_run_opts {
	const char *run_id;       /* names the session and the record */
	const char *interpreter;  /* the id to start sessions on */
	int64_t scheduled;        /* the fire time it runs for; 0 = by hand */
	const char *manifest_dir; /* files[].source is relative to it */
	size_t output_cap;        /* bytes kept per stream per step; 64 KiB */
	struct sf_rates rates;    /* zeroed: the published ones */
	/* Output as it comes: job, step label, "stdout"/"stderr", text. */
	void (*output)(void *ud, const char *job, const char *step,
	    const char *stream, const char *text);
	void *output_ud;
	volatile sig_atomic_t *interrupted;
	int64_t (*now_ms)(void *ud); /* wall clock, ms since the epoch */
	void (*sleep_ms)(void *ud, int64_t ms);
	void *clock_ud;
};

struct sf_run_result {
	enum sf_run_outcome outcome;
	char *record; /* the run record, JSON */
	int64_t started, finished;
	double cost; /* estimated dollars, all attempts */
	int attempts;
	char *session_id; /* of the last attempt */
};

int sf_job_run(struct sf_provider *p, const struct sf_job *job,
    const struct sf_run_opts *o, struct sf_run_result *res, struct sf_err *err);
void sf_run_result_release(struct sf_run_result *r);
const char *sf_run_outcome_name(enum sf_run_outcome o);

#endif
