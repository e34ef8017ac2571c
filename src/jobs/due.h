/*
 * When a job is due, and what its schedule costs. Pure functions of the
 * job, what the state remembers of it, and an explicit "now": tested
 * without waiting.
 *
 * A job is due when its schedule has fired since the fire time of its last
 * recorded run; windows missed while nothing ran (CI was down) collapse
 * into one run, for the latest of them. A job that never ran is due for
 * its latest fire time, so a new job runs on the apply that adds it.
 */
#ifndef SF_DUE_H
#define SF_DUE_H

#include "model/model.h"
#include "model/recorded.h"

enum sf_due_verdict {
	SF_DUE_NO,      /* nothing fired since the last run (or no schedule) */
	SF_DUE_YES,     /* run it now, for `fired` */
	SF_DUE_MISSED,  /* it fired, but starting now is past starting_deadline
	                 */
	SF_DUE_BLOCKED, /* concurrency forbid and a run is in progress */
};

struct sf_due {
	enum sf_due_verdict verdict;
	int64_t fired; /* the fire time it is (or was) due for, ms */
	int64_t next;  /* the next fire time after now, ms; 0 if none */
	char reason[320];
};

/* job's verdict at now (ms). rec may be NULL: the job never ran. */
int sf_job_due(const struct sf_job *job, const struct sf_rec_job *rec,
    int64_t now, struct sf_due *out, struct sf_err *err);

/* "2026-11-26 22:00 America/New_York" for ms in the job's zone. */
void sf_job_time(char *out, size_t n, const struct sf_job *job, int64_t ms);

/* The next n fire times after now (ms); returns how many there are. */
size_t sf_job_next_times(
    const struct sf_job *job, int64_t now, int64_t *out, size_t n);

/*
 * What a session costs, as published: vCPU $0.0895 per hour and memory
 * $0.00945 per GB-hour, billed per second with a 1 s minimum; a session
 * is assumed to hold its 2 vCPU and 8 GB for its whole duration, so the
 * figure is an upper bound of the estimate.
 */
struct sf_rates {
	double vcpu_hour; /* default 0.0895 */
	double gb_hour;   /* default 0.00945 */
	double vcpus;     /* default 2 */
	double memory_gb; /* default 8 */
};

void sf_rates_default(struct sf_rates *r);
/* Estimated dollars for a session of ms milliseconds. */
double sf_session_cost(const struct sf_rates *r, int64_t ms);
/* Fire times in the 30 days after now (capped at cap). */
size_t sf_job_runs_per_month(const struct sf_job *job, int64_t now, size_t cap);

#endif
