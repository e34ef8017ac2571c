/*
 * Schedules: when a job fires.
 *
 *   5-field cron   "0 22 * * 1-5"          min hour dom month dow (Vixie)
 *   AWS cron       "cron(0 22 ? * MON-FRI *)"   min hour dom month dow year
 *   rate           "rate(5 minutes)"       minute | minutes | hour(s) | day(s)
 *   macros         "@hourly" "@daily" "@weekly" "@monthly" "@yearly"
 *   every          "every 15m"             every N (m|h|d) / minutes / hours
 *
 * Parsing is pure and needs no time zone. Fire times are computed in the
 * job's IANA time zone (see sf_tz_*).
 */
#ifndef SF_SCHEDULE_H
#define SF_SCHEDULE_H

#include "util/util.h"

enum sf_sched_kind {
	SF_SCHED_CRON,     /* 5-field cron and the @ macros */
	SF_SCHED_AWS_CRON, /* cron(...) with ? L W # and a year field */
	SF_SCHED_RATE,     /* rate(...) and every ...: a fixed interval */
};

struct sf_schedule {
	enum sf_sched_kind kind;
	/* cron forms: bit n set when value n is allowed */
	uint64_t minutes; /* 0..59 */
	uint32_t hours;   /* 0..23 */
	uint32_t mdays;   /* 1..31 */
	uint16_t months;  /* 1..12 */
	uint8_t wdays;    /* 0..6, 0 = Sunday, whatever the notation */
	/*
	 * dom / dow began with "*" (as Vixie cron tests it, so a step over
	 * "*" counts) or was "?". In 5-field cron, when neither is set a day
	 * matches if either field matches; otherwise both must.
	 */
	bool mday_any;
	bool wday_any;
	/* AWS cron only */
	bool mday_last;       /* L in dom: last day of the month */
	bool mday_last_wday;  /* LW in dom: last weekday of the month */
	uint8_t mday_nearest; /* nW in dom: weekday nearest day n, 0 = none */
	int8_t wday_last;     /* nL in dow: last weekday n (0..6), -1 = none */
	int8_t wday_nth_day;  /* d#n in dow: weekday d (0..6), -1 = none */
	uint8_t wday_nth;     /* d#n in dow: n (1..5) */
	uint64_t years[4];    /* 1970..2199: bit (y - 1970) */
	bool year_any;
	/* rate forms */
	int64_t interval; /* seconds */
};

/* Where in the text a parse error is, so a caller can point at it. */
struct sf_sched_error {
	size_t offset; /* bytes into the text */
	size_t length; /* bytes of the offending token, at least 1 */
	char msg[200];
};

/* Parse text; on failure fill err and return SF_EINVALID. */
int sf_schedule_parse(
    const char *text, struct sf_schedule *out, struct sf_sched_error *err);

#endif
