#include "jobs/due.h"
#include "schedule/tz.h"

#define MS       1000LL
#define MONTH_MS (30LL * 86400 * 1000)

static const struct sf_tz *
zone(const struct sf_job *job)
{
	const struct sf_tz *tz = NULL;

	/* validate checked it: a failure here means UTC (tz == NULL). */
	if (sf_tz_load(job->timezone.s ? job->timezone.s : "UTC", &tz, NULL))
		tz = NULL;
	return tz;
}

void
sf_job_time(char *out, size_t n, const struct sf_job *job, int64_t ms)
{
	const struct sf_tz *tz = zone(job);
	time_t t = (time_t)(ms / MS);
	struct tm tm;

	if (tz)
		t += sf_tz_offset(tz, t);
	gmtime_r(&t, &tm);
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d %s", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    job->timezone.s ? job->timezone.s : "UTC");
}

size_t
sf_job_next_times(const struct sf_job *job, int64_t now, int64_t *out, size_t n)
{
	const struct sf_tz *tz = zone(job);
	int64_t t = now / MS, next;
	size_t i;

	if (!job->schedule_text.s)
		return 0;
	for (i = 0; i < n; i++) {
		if (sf_schedule_next(&job->schedule, tz, t, &next) != SF_OK)
			break;
		out[i] = next * MS;
		t = next;
	}
	return i;
}

int
sf_job_due(const struct sf_job *job, const struct sf_rec_job *rec, int64_t now,
    struct sf_due *out, struct sf_err *err)
{
	const struct sf_tz *tz = zone(job);
	int64_t prev, next, last = rec ? rec->last_scheduled : 0;
	char fired[64], was[64];

	(void)err;
	memset(out, 0, sizeof(*out));
	if (!job->schedule_text.s) {
		snprintf(out->reason, sizeof(out->reason),
		    "no schedule: it runs only with `sandform run %s`",
		    job->name.s);
		return SF_OK;
	}
	if (sf_schedule_next(&job->schedule, tz, now / MS, &next) == SF_OK)
		out->next = next * MS;
	if (sf_schedule_prev(&job->schedule, tz, now / MS, &prev) != SF_OK) {
		snprintf(out->reason, sizeof(out->reason),
		    "its schedule has not fired yet");
		return SF_OK;
	}
	prev *= MS;
	sf_job_time(fired, sizeof(fired), job, prev);
	if (last && prev <= last) {
		sf_job_time(was, sizeof(was), job, last);
		snprintf(out->reason, sizeof(out->reason),
		    "not due: last run was for %s", was);
		return SF_OK;
	}
	out->fired = prev;
	if (last)
		sf_job_time(was, sizeof(was), job, last);
	else
		snprintf(was, sizeof(was), "never");
	if (rec && rec->running && job->concurrency == SF_CONC_FORBID) {
		out->verdict = SF_DUE_BLOCKED;
		snprintf(out->reason, sizeof(out->reason),
		    "fired %s, but run %s is still in progress (concurrency: "
		    "forbid)",
		    fired, rec->running);
		return SF_OK;
	}
	if (job->starting_deadline.v &&
	    now - prev > job->starting_deadline.v * MS) {
		out->verdict = SF_DUE_MISSED;
		snprintf(out->reason, sizeof(out->reason),
		    "missed: fired %s, more than %llds ago (starting_deadline)",
		    fired, (long long)job->starting_deadline.v);
		return SF_OK;
	}
	out->verdict = SF_DUE_YES;
	snprintf(out->reason, sizeof(out->reason), "due: fired %s; last run %s",
	    fired, was);
	return SF_OK;
}

void
sf_rates_default(struct sf_rates *r)
{
	r->vcpu_hour = 0.0895;
	r->gb_hour = 0.00945;
	r->vcpus = 2;
	r->memory_gb = 8;
}

double
sf_session_cost(const struct sf_rates *r, int64_t ms)
{
	/* Billed per second, at least one. */
	int64_t s = (ms + 999) / 1000;
	double hours;

	if (s < 1)
		s = 1;
	hours = (double)s / 3600.0;
	return hours * (r->vcpus * r->vcpu_hour + r->memory_gb * r->gb_hour);
}

size_t
sf_job_runs_per_month(const struct sf_job *job, int64_t now, size_t cap)
{
	const struct sf_tz *tz = zone(job);
	int64_t t = now / MS, next, end = (now + MONTH_MS) / MS;
	size_t n = 0;

	if (!job->schedule_text.s)
		return 0;
	if (job->schedule.kind == SF_SCHED_RATE && job->schedule.interval > 0) {
		int64_t k = (end - t) / job->schedule.interval;

		return (size_t)k > cap ? cap : (size_t)k;
	}
	while (n < cap &&
	       sf_schedule_next(&job->schedule, tz, t, &next) == SF_OK &&
	       next <= end) {
		n++;
		t = next;
	}
	return n;
}
