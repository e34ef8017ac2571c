/*
 * Unit tests of the schedule module: parsing every form, the error table
 * (message, offset and length), and known fire times in several zones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "schedule/schedule.h"
#include "schedule/tz.h"

static uint64_t
bits(int lo, int hi, int step)
{
	uint64_t b = 0;
	int v;

	for (v = lo; v <= hi; v += step)
		b |= (uint64_t)1 << v;
	return b;
}

static void
parse_ok(const char *text, struct sf_schedule *s)
{
	struct sf_sched_error err;
	int r = sf_schedule_parse(text, s, &err);

	if (r != 0)
		fail_msg("%s: %s", text, err.msg);
}

static void
test_parse_cron5(void **state)
{
	struct sf_schedule s;

	(void)state;
	parse_ok("0 22 * * 1-5", &s);
	assert_int_equal(s.kind, SF_SCHED_CRON);
	assert_true(s.minutes == 1);
	assert_true(s.hours == 1u << 22);
	assert_true(s.mdays == bits(1, 31, 1));
	assert_true(s.months == bits(1, 12, 1));
	assert_true(s.wdays == bits(1, 5, 1));
	assert_true(s.mday_any);
	assert_false(s.wday_any);

	parse_ok("*/15 */6 1,15 * *", &s);
	assert_true(s.minutes == bits(0, 59, 15));
	assert_true(s.hours == bits(0, 23, 6));
	assert_true(s.mdays == ((1u << 1) | (1u << 15)));
	assert_false(s.mday_any);
	assert_true(s.wday_any);

	parse_ok("10-50/20 5/10 1-31/10 JAN-mar mon-FRI", &s);
	assert_true(s.minutes == ((1ull << 10) | (1ull << 30) | (1ull << 50)));
	assert_true(s.hours == ((1u << 5) | (1u << 15)));
	assert_true(
	    s.mdays == ((1u << 1) | (1u << 11) | (1u << 21) | (1u << 31)));
	assert_true(s.months == bits(1, 3, 1));
	assert_true(s.wdays == bits(1, 5, 1));

	/* Sunday is 0 or 7. */
	parse_ok("0 0 * * 7", &s);
	assert_true(s.wdays == 1);
	parse_ok("0 0 * * 5-7", &s);
	assert_true(s.wdays == ((1u << 0) | (1u << 5) | (1u << 6)));
	parse_ok("0 0 * * 0-7", &s);
	assert_true(s.wdays == 0x7f);
	parse_ok("0 0 * * SUN,sat", &s);
	assert_true(s.wdays == ((1u << 0) | (1u << 6)));

	/* Vixie: a field that begins with '*' counts as unrestricted. */
	parse_ok("0 0 */2 * 1", &s);
	assert_true(s.mday_any);
	assert_false(s.wday_any);

	/* White space around and between fields. */
	parse_ok("  \t0   0\t* *  *\n", &s);
	assert_true(s.minutes == 1 && s.hours == 1);
}

static void
test_parse_macros(void **state)
{
	static const struct {
		const char *text;
		uint32_t mdays;
		uint16_t months;
		uint8_t wdays;
		uint32_t hours;
	} cases[] = {
		{ "@hourly", 0xfffffffe, 0x1ffe, 0x7f, 0xffffff },
		{ "@daily", 0xfffffffe, 0x1ffe, 0x7f, 1 },
		{ "@midnight", 0xfffffffe, 0x1ffe, 0x7f, 1 },
		{ "@weekly", 0xfffffffe, 0x1ffe, 0x01, 1 },
		{ "@monthly", 0x2, 0x1ffe, 0x7f, 1 },
		{ "@yearly", 0x2, 0x2, 0x7f, 1 },
		{ "@annually", 0x2, 0x2, 0x7f, 1 },
		{ " @daily ", 0xfffffffe, 0x1ffe, 0x7f, 1 },
	};
	struct sf_schedule s;
	size_t i;

	(void)state;
	for (i = 0; i < SF_ARRAY_LEN(cases); i++) {
		parse_ok(cases[i].text, &s);
		assert_int_equal(s.kind, SF_SCHED_CRON);
		assert_true(s.minutes == 1);
		assert_true(s.hours == cases[i].hours);
		assert_true(s.mdays == cases[i].mdays);
		assert_true(s.months == cases[i].months);
		assert_true(s.wdays == cases[i].wdays);
	}
}

static void
test_parse_aws(void **state)
{
	struct sf_schedule s;

	(void)state;
	parse_ok("cron(0 22 ? * MON-FRI *)", &s);
	assert_int_equal(s.kind, SF_SCHED_AWS_CRON);
	assert_true(s.hours == 1u << 22);
	assert_true(s.mday_any);
	assert_true(s.wdays == bits(1, 5, 1));
	assert_true(s.year_any);

	/* Day-of-week numbers 1-7 are SUN-SAT. */
	parse_ok("cron(0 0 ? * 1,7 *)", &s);
	assert_true(s.wdays == ((1u << 0) | (1u << 6)));
	parse_ok("cron(0 0 ? * 2-6/2 *)", &s);
	assert_true(s.wdays == ((1u << 1) | (1u << 3) | (1u << 5)));

	parse_ok("cron(0 0 L * ? *)", &s);
	assert_true(s.mday_last);
	assert_true(s.wday_any);
	parse_ok("cron(0 0 lw * ? *)", &s);
	assert_true(s.mday_last_wday);
	parse_ok("cron(0 0 15W * ? *)", &s);
	assert_int_equal(s.mday_nearest, 15);
	parse_ok("cron(0 0 ? * 5L *)", &s);
	assert_int_equal(s.wday_last, 4);
	parse_ok("cron(0 0 ? * FRIL *)", &s);
	assert_int_equal(s.wday_last, 5);
	parse_ok("cron(0 0 ? * L *)", &s);
	assert_int_equal(s.wday_last, 6);
	parse_ok("cron(0 0 ? * 6#3 *)", &s);
	assert_int_equal(s.wday_nth_day, 5);
	assert_int_equal(s.wday_nth, 3);
	parse_ok("cron(0 0 ? * MON#1 *)", &s);
	assert_int_equal(s.wday_nth_day, 1);
	assert_int_equal(s.wday_nth, 1);

	parse_ok("cron(0/5 8-17 1,15 JAN-JUN ? 2024-2030/2)", &s);
	assert_true(s.minutes == bits(0, 59, 5));
	assert_true(s.mdays == ((1u << 1) | (1u << 15)));
	assert_false(s.year_any);
	assert_true(s.years[0] == ((1ull << 54) | (1ull << 56) | (1ull << 58) |
	                              (1ull << 60)));
	assert_true(s.years[1] == 0);
	parse_ok("cron(0 0 1 * ? 2199)", &s);
	assert_true(s.years[0] == 0 && s.years[1] == 0 && s.years[2] == 0);
	assert_true(s.years[3] == 1ull << (229 - 192));
	parse_ok(" cron( 0 0 * * ? * ) ", &s);
	assert_true(s.mday_any && s.wday_any);
}

static void
test_parse_rate(void **state)
{
	static const struct {
		const char *text;
		int64_t interval;
	} cases[] = {
		{ "rate(1 minute)", 60 },
		{ "rate(5 minutes)", 300 },
		{ "rate(1 hour)", 3600 },
		{ "rate(12 hours)", 43200 },
		{ "rate(1 day)", 86400 },
		{ "rate(7 days)", 604800 },
		{ "rate( 2 hours )", 7200 },
		{ "rate(3650 days)", 3650LL * 86400 },
		{ "every 15m", 900 },
		{ "every 2h", 7200 },
		{ "every 1d", 86400 },
		{ "every 15 minutes", 900 },
		{ "every 1 hour", 3600 },
		{ "every 2 days", 172800 },
		{ "every 90 m", 5400 },
		{ "every 1 minute", 60 },
	};
	struct sf_schedule s;
	size_t i;

	(void)state;
	for (i = 0; i < SF_ARRAY_LEN(cases); i++) {
		parse_ok(cases[i].text, &s);
		assert_int_equal(s.kind, SF_SCHED_RATE);
		assert_int_equal(s.interval, cases[i].interval);
	}
}

static const struct {
	const char *text;
	size_t offset;
	size_t length;
	const char *msg;
} bad_schedules[] = {
	{ "", 0, 1,
	    "schedule is empty; expected 5-field cron, cron(...), "
	    "rate(...), every N, or @daily..." },
	{ " \t ", 0, 1,
	    "schedule is empty; expected 5-field cron, cron(...), "
	    "rate(...), every N, or @daily..." },
	{ "hello", 0, 5,
	    "unknown schedule \"hello\"; expected 5-field cron, cron(...), "
	    "rate(...), every N, or @daily..." },
	{ "@reboot", 0, 7,
	    "unknown macro \"@reboot\", expected @hourly, @daily, "
	    "@midnight, @weekly, @monthly, @yearly or @annually" },
	{ "61 * * * *", 0, 2, "minute 61 is out of range 0-59" },
	{ "* 24 * * *", 2, 2, "hour 24 is out of range 0-23" },
	{ "* * 0 * *", 4, 1, "day-of-month 0 is out of range 1-31" },
	{ "* * 32 * *", 4, 2, "day-of-month 32 is out of range 1-31" },
	{ "* * * 13 *", 6, 2, "month 13 is out of range 1-12" },
	{ "* * * 0 *", 6, 1, "month 0 is out of range 1-12" },
	{ "* * * * 8", 8, 1, "day-of-week 8 is out of range 0-7" },
	{ "0 0 1 1 1-9", 10, 1, "day-of-week 9 is out of range 0-7" },
	{ "x * * * *", 0, 1,
	    "minute field: expected a number, a range or '*', got \"x\"" },
	{ "* x * * *", 2, 1,
	    "hour field: expected a number, a range or '*', got \"x\"" },
	{ "* * * FOO *", 6, 3,
	    "month field: expected a number, a month name (jan-dec), a "
	    "range or '*', got \"FOO\"" },
	{ "* * * * MONDAY", 8, 6,
	    "day-of-week field: expected a number, a day name (sun-sat), a "
	    "range or '*', got \"MONDAY\"" },
	{ "* * * *", 0, 7,
	    "cron needs 5 fields (minute hour day-of-month month "
	    "day-of-week), got 4" },
	{ "  * * * * * *", 12, 1,
	    "cron needs 5 fields (minute hour day-of-month month "
	    "day-of-week), got 6" },
	{ "*/0 * * * *", 2, 1,
	    "step 0 in minute field: a step must be at least 1" },
	{ "* 5-1 * * *", 2, 3, "range 5-1 in hour field is backwards" },
	{ "* * * * FRI-MON", 8, 7,
	    "range FRI-MON in day-of-week field is backwards" },
	{ "1,,2 * * * *", 2, 1, "empty list item in minute field" },
	{ "*/x * * * *", 2, 1,
	    "minute field: expected a step number after '/', got \"x\"" },
	{ "*/61 * * * *", 2, 2,
	    "step 61 in minute field is out of range 1-60" },
	{ "-5 * * * *", 0, 2,
	    "minute field: expected a number, a range or '*', got \"-5\"" },
	{ "99999999999999999999 * * * *", 0, 20,
	    "minute 99999999999999999999 is out of range 0-59" },
	{ "0 0 ? * MON", 4, 1,
	    "day-of-month field: expected a number, a range or '*', got "
	    "\"?\"" },
	{ "0 0 * * \x01", 8, 1,
	    "day-of-week field: expected a number, a day name (sun-sat), a "
	    "range or '*', got \"\\x01\"" },
	{ "cron(0 0 * * * *)", 9, 5,
	    "one of day-of-month or day-of-week must be '?'" },
	{ "cron(0 0 ? * ? *)", 13, 1,
	    "one of day-of-month or day-of-week must be '?'" },
	{ "cron(0 0 1 * MON *)", 9, 7,
	    "one of day-of-month or day-of-week must be '?'" },
	{ "cron(0 0 * * ?)", 5, 9,
	    "cron(...) needs 6 fields (minute hour day-of-month month "
	    "day-of-week year), got 5" },
	{ "cron(0 0 * * ? * *)", 17, 1,
	    "cron(...) needs 6 fields (minute hour day-of-month month "
	    "day-of-week year), got 7" },
	{ "cron(0 0 1 * ? 1969)", 15, 4,
	    "year 1969 is out of range 1970-2199" },
	{ "cron(0 0 1 * ? 2000-2200)", 20, 4,
	    "year 2200 is out of range 1970-2199" },
	{ "cron(0 0 ? * 0 *)", 13, 1, "day-of-week 0 is out of range 1-7" },
	{ "cron(0 0 ? * 1#6 *)", 15, 1,
	    "week 6 in day-of-week field is out of range 1-5" },
	{ "cron(0 0 ? * 8#1 *)", 13, 1, "day-of-week 8 is out of range 1-7" },
	{ "cron(0 0 32W * ? *)", 9, 2, "day-of-month 32 is out of range 1-31" },
	{ "cron(0 0 1,L * ? *)", 9, 3,
	    "day-of-month field: '?', L, LW and nW must stand alone, got "
	    "\"1,L\"" },
	{ "cron(0 0 1 * ? *", 15, 1, "cron(...) is missing its closing ')'" },
	{ "cron(0 0 1) * ? *)", 10, 1,
	    "cron(...): unexpected ')' before the end" },
	{ "rate(0 minutes)", 5, 1,
	    "rate(...): the number must be at least 1, got 0" },
	{ "rate(5 weeks)", 7, 5,
	    "rate(...): unknown unit \"weeks\", expected minute(s), hour(s) "
	    "or day(s)" },
	{ "rate(5m)", 5, 2,
	    "rate(...) needs a number and a unit, e.g. rate(5 minutes)" },
	{ "rate(x minutes)", 5, 1,
	    "rate(...): expected a whole number, got \"x\"" },
	{ "rate(9999999 minutes)", 5, 7,
	    "rate(...): the interval is too long, at most 3650 days" },
	{ "rate(99999999999999999999999 days)", 5, 23,
	    "rate(...): the interval is too long, at most 3650 days" },
	{ "every", 0, 5,
	    "every needs a number and a unit, e.g. every 15m or every 2 "
	    "hours" },
	{ "every 0m", 6, 1, "every: the number must be at least 1, got 0" },
	{ "every 15 weeks", 9, 5,
	    "every: unknown unit \"weeks\", expected m, h, d, minutes, "
	    "hours or days" },
	{ "every 3651d", 6, 4,
	    "every: the interval is too long, at most 3650 days" },
};

static void
test_parse_errors(void **state)
{
	struct sf_schedule s;
	struct sf_sched_error err;
	size_t i;

	(void)state;
	assert_true(SF_ARRAY_LEN(bad_schedules) >= 30);
	for (i = 0; i < SF_ARRAY_LEN(bad_schedules); i++) {
		int r = sf_schedule_parse(bad_schedules[i].text, &s, &err);

		if (r != SF_EINVALID)
			fail_msg("%s: parsed (r=%d)", bad_schedules[i].text, r);
		if (strcmp(err.msg, bad_schedules[i].msg) != 0 ||
		    err.offset != bad_schedules[i].offset ||
		    err.length != bad_schedules[i].length)
			fail_msg("%s:\n got %zu+%zu %s\nwant %zu+%zu %s",
			    bad_schedules[i].text, err.offset, err.length,
			    err.msg, bad_schedules[i].offset,
			    bad_schedules[i].length, bad_schedules[i].msg);
	}
}

/* Whatever the bytes, parsing ends with a result and a sane error. */
static void
test_parse_garbage(void **state)
{
	static const char set[] = "0123456789*,-/?#LW cronatem()@ \x01\xff"
	                          "\tJANMONdayhsv";
	char buf[300];
	struct sf_schedule s;
	struct sf_sched_error err;
	uint32_t x = 12345;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < 20000; i++) {
		n = i % (sizeof(buf) - 1);
		for (j = 0; j < n; j++) {
			x = x * 1103515245u + 12345u;
			buf[j] = set[(x >> 16) % (sizeof(set) - 1)];
		}
		buf[n] = '\0';
		if (sf_schedule_parse(buf, &s, &err) != 0) {
			assert_true(err.msg[0] != '\0');
			assert_true(err.length >= 1);
			assert_true(err.offset <= n);
		}
	}
}

/* Fire times. */

/* Seconds since the epoch of "YYYY-MM-DD HH:MM[:SS] +hhmm". */
static int64_t
ts(const char *s)
{
	int y, mo, d, h, mi, sec = 0, n = 0, off;
	char sign;
	int64_t days, era, yoe, doy;

	if (sscanf(s, "%d-%d-%d %d:%d%n", &y, &mo, &d, &h, &mi, &n) != 5)
		fail_msg("bad time %s", s);
	if (s[n] == ':') {
		sec = atoi(s + n + 1);
		n += 3;
	}
	if (sscanf(s + n, " %c%4d", &sign, &off) != 2)
		fail_msg("bad offset in %s", s);
	off = (off / 100 * 3600 + off % 100 * 60) * (sign == '-' ? -1 : 1);
	/* days_from_civil, independent of the code under test */
	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
	return days * 86400 + h * 3600 + mi * 60 + sec - off;
}

static const struct sf_tz *
zone(const char *name)
{
	const struct sf_tz *tz;
	struct sf_err err;

	if (sf_tz_load(name, &tz, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
	return tz;
}

/*
 * Known fire times: the first after t and the last at or before t, as
 * local times with their offsets (checked with TZ=zone date -d). NULL when
 * there is none.
 */
static const struct {
	const char *zone;
	const char *sched;
	const char *t;
	const char *next;
	const char *prev;
} fires[] = {
	{ "UTC", "*/15 * * * *", "2024-01-01 00:07:30 +0000",
	    "2024-01-01 00:15 +0000", "2024-01-01 00:00 +0000" },
	{ "UTC", "*/15 * * * *", "2024-01-01 00:15 +0000",
	    "2024-01-01 00:30 +0000", "2024-01-01 00:15 +0000" },
	{ "UTC", "0 22 * * 1-5", "2024-03-01 22:00 +0000",
	    "2024-03-04 22:00 +0000", "2024-03-01 22:00 +0000" },
	{ "UTC", "0 0 29 2 *", "2024-03-01 00:00 +0000",
	    "2028-02-29 00:00 +0000", "2024-02-29 00:00 +0000" },
	{ "UTC", "0 0 29 2 *", "2100-01-01 00:00 +0000",
	    "2104-02-29 00:00 +0000", "2096-02-29 00:00 +0000" },
	{ "UTC", "0 0 30 2 *", "2024-01-01 00:00 +0000", NULL, NULL },
	{ "UTC", "0 0 13 * 5", "2024-09-01 00:00 +0000",
	    "2024-09-06 00:00 +0000", "2024-08-30 00:00 +0000" },
	{ "UTC", "0 0 */2 * 1", "2024-01-01 00:00 +0000",
	    "2024-01-15 00:00 +0000", "2024-01-01 00:00 +0000" },
	{ "UTC", "@weekly", "2024-05-01 00:00 +0000", "2024-05-05 00:00 +0000",
	    "2024-04-28 00:00 +0000" },
	{ "UTC", "@monthly", "2024-05-15 10:00 +0000", "2024-06-01 00:00 +0000",
	    "2024-05-01 00:00 +0000" },
	{ "UTC", "@yearly", "2024-05-15 10:00 +0000", "2025-01-01 00:00 +0000",
	    "2024-01-01 00:00 +0000" },
	{ "UTC", "@hourly", "2024-05-15 10:00 +0000", "2024-05-15 11:00 +0000",
	    "2024-05-15 10:00 +0000" },
	{ "UTC", "0 0 * * 7", "2024-05-01 00:00 +0000",
	    "2024-05-05 00:00 +0000", "2024-04-28 00:00 +0000" },
	{ "UTC", "0 9 1 JAN,JUL *", "2024-03-01 00:00 +0000",
	    "2024-07-01 09:00 +0000", "2024-01-01 09:00 +0000" },
	{ "UTC", "5-10/5 1 * * *", "2024-01-01 01:07 +0000",
	    "2024-01-01 01:10 +0000", "2024-01-01 01:05 +0000" },
	{ "UTC", "59 23 31 12 *", "2024-06-01 00:00 +0000",
	    "2024-12-31 23:59 +0000", "2023-12-31 23:59 +0000" },
	{ "UTC", "cron(0 12 L * ? *)", "2024-02-01 00:00 +0000",
	    "2024-02-29 12:00 +0000", "2024-01-31 12:00 +0000" },
	{ "UTC", "cron(0 12 L * ? *)", "2023-02-01 00:00 +0000",
	    "2023-02-28 12:00 +0000", "2023-01-31 12:00 +0000" },
	{ "UTC", "cron(0 9 LW * ? *)", "2024-08-01 00:00 +0000",
	    "2024-08-30 09:00 +0000", "2024-07-31 09:00 +0000" },
	{ "UTC", "cron(0 9 LW * ? *)", "2024-03-01 00:00 +0000",
	    "2024-03-29 09:00 +0000", "2024-02-29 09:00 +0000" },
	{ "UTC", "cron(0 9 15W * ? *)", "2024-06-01 00:00 +0000",
	    "2024-06-14 09:00 +0000", "2024-05-15 09:00 +0000" },
	{ "UTC", "cron(0 9 1W * ? *)", "2024-06-01 00:00 +0000",
	    "2024-06-03 09:00 +0000", "2024-05-01 09:00 +0000" },
	{ "UTC", "cron(0 9 31W * ? *)", "2025-08-01 00:00 +0000",
	    "2025-08-29 09:00 +0000", "2025-07-31 09:00 +0000" },
	{ "UTC", "cron(0 10 ? * 5L *)", "2024-11-01 00:00 +0000",
	    "2024-11-28 10:00 +0000", "2024-10-31 10:00 +0000" },
	{ "UTC", "cron(0 0 ? * 6#3 *)", "2024-12-01 00:00 +0000",
	    "2024-12-20 00:00 +0000", "2024-11-15 00:00 +0000" },
	{ "UTC", "cron(0 0 1 1 ? 2030)", "2024-01-01 00:00 +0000",
	    "2030-01-01 00:00 +0000", NULL },
	{ "UTC", "cron(0 0 1 1 ? 2030)", "2030-01-01 00:00 +0000", NULL,
	    "2030-01-01 00:00 +0000" },
	{ "UTC", "cron(0 8 ? * 2 *)", "2024-04-10 00:00 +0000",
	    "2024-04-15 08:00 +0000", "2024-04-08 08:00 +0000" },
	{ "UTC", "cron(0 0 ? * L *)", "2024-08-01 00:00 +0000",
	    "2024-08-31 00:00 +0000", "2024-07-27 00:00 +0000" },
	{ "UTC", "cron(0 0 ? * MON#5 *)", "2024-01-01 00:00 +0000",
	    "2024-01-29 00:00 +0000", "2023-10-30 00:00 +0000" },
	{ "UTC", "cron(0 0 29 2 ? 2025-2027)", "2024-06-01 00:00 +0000", NULL,
	    NULL },
	{ "UTC", "cron(30 6 ? * MON-FRI 2024/2)", "2025-06-01 00:00 +0000",
	    "2026-01-01 06:30 +0000", "2024-12-31 06:30 +0000" },
	{ "UTC", "rate(5 minutes)", "1970-01-01 00:16:40 +0000",
	    "1970-01-01 00:20 +0000", "1970-01-01 00:15 +0000" },
	{ "UTC", "every 1d", "2024-01-01 00:00 +0000", "2024-01-02 00:00 +0000",
	    "2024-01-01 00:00 +0000" },
	{ "America/New_York", "rate(1 day)", "2024-01-01 12:00 +0000",
	    "2024-01-02 00:00 +0000", "2024-01-01 00:00 +0000" },
	{ "UTC", "every 90m", "1969-12-31 23:00 +0000",
	    "1970-01-01 00:00 +0000", "1969-12-31 22:30 +0000" },
	{ "America/New_York", "30 2 * * *", "2024-03-09 12:00 -0500",
	    "2024-03-10 03:00 -0400", "2024-03-09 02:30 -0500" },
	{ "America/New_York", "30 2 * * *", "2024-03-10 03:00 -0400",
	    "2024-03-11 02:30 -0400", "2024-03-10 03:00 -0400" },
	{ "America/New_York", "30 1 * * *", "2024-11-02 12:00 -0400",
	    "2024-11-03 01:30 -0400", "2024-11-02 01:30 -0400" },
	{ "America/New_York", "30 1 * * *", "2024-11-03 01:30 -0400",
	    "2024-11-04 01:30 -0500", "2024-11-03 01:30 -0400" },
	{ "America/New_York", "30 1 * * *", "2024-11-03 01:45 -0500",
	    "2024-11-04 01:30 -0500", "2024-11-03 01:30 -0400" },
	{ "America/New_York", "*/20 * * * *", "2024-11-03 01:30 -0500",
	    "2024-11-03 02:00 -0500", "2024-11-03 01:40 -0400" },
	{ "America/New_York", "0 * * * *", "2024-03-10 01:30 -0500",
	    "2024-03-10 03:00 -0400", "2024-03-10 01:00 -0500" },
	{ "America/New_York", "0 * * * *", "2024-03-10 03:00 -0400",
	    "2024-03-10 04:00 -0400", "2024-03-10 03:00 -0400" },
	{ "America/New_York", "0 9 * * 1-5", "2024-03-08 10:00 -0500",
	    "2024-03-11 09:00 -0400", "2024-03-08 09:00 -0500" },
	{ "America/New_York", "30 2 * * *", "2050-03-12 12:00 -0500",
	    "2050-03-13 03:00 -0400", "2050-03-12 02:30 -0500" },
	{ "America/New_York", "30 1 * * *", "2050-11-05 12:00 -0400",
	    "2050-11-06 01:30 -0400", "2050-11-05 01:30 -0400" },
	{ "America/New_York", "30 1 * * *", "2050-11-06 01:30 -0500",
	    "2050-11-07 01:30 -0500", "2050-11-06 01:30 -0400" },
	{ "slim/America/New_York", "30 2 * * *", "2024-03-09 12:00 -0500",
	    "2024-03-10 03:00 -0400", "2024-03-09 02:30 -0500" },
	{ "slim/America/New_York", "*/20 * * * *", "2024-11-03 01:30 -0500",
	    "2024-11-03 02:00 -0500", "2024-11-03 01:40 -0400" },
	{ "Europe/Berlin", "30 2 * * *", "2024-03-30 12:00 +0100",
	    "2024-03-31 03:00 +0200", "2024-03-30 02:30 +0100" },
	{ "Europe/Berlin", "30 2 * * *", "2024-10-26 12:00 +0200",
	    "2024-10-27 02:30 +0200", "2024-10-26 02:30 +0200" },
	{ "Europe/Berlin", "30 2 * * *", "2024-10-27 02:30 +0200",
	    "2024-10-28 02:30 +0100", "2024-10-27 02:30 +0200" },
	{ "Europe/Berlin", "0 * * * *", "2024-03-31 01:30 +0100",
	    "2024-03-31 03:00 +0200", "2024-03-31 01:00 +0100" },
	{ "Europe/Berlin", "cron(0 2 L 3 ? *)", "2024-01-01 00:00 +0100",
	    "2024-03-31 03:00 +0200", "2023-03-31 02:00 +0200" },
	{ "Europe/Berlin", "0 0 1 * *", "2024-10-15 00:00 +0200",
	    "2024-11-01 00:00 +0100", "2024-10-01 00:00 +0200" },
	{ "slim/Europe/Berlin", "30 2 * * *", "2024-10-27 02:30 +0100",
	    "2024-10-28 02:30 +0100", "2024-10-27 02:30 +0200" },
	{ "slim/Europe/Berlin", "30 2 * * *", "2024-03-30 12:00 +0100",
	    "2024-03-31 03:00 +0200", "2024-03-30 02:30 +0100" },
	{ "Australia/Lord_Howe", "15 2 * * *", "2024-10-05 12:00 +1030",
	    "2024-10-06 02:30 +1100", "2024-10-05 02:15 +1030" },
	{ "Australia/Lord_Howe", "45 1 * * *", "2024-04-06 12:00 +1100",
	    "2024-04-07 01:45 +1100", "2024-04-06 01:45 +1100" },
	{ "Australia/Lord_Howe", "45 1 * * *", "2024-04-07 01:45 +1100",
	    "2024-04-08 01:45 +1030", "2024-04-07 01:45 +1100" },
	{ "Australia/Lord_Howe", "45 1 * * *", "2024-04-07 01:50 +1030",
	    "2024-04-08 01:45 +1030", "2024-04-07 01:45 +1100" },
};

static void
test_fire_times(void **state)
{
	size_t i;

	(void)state;
	assert_true(SF_ARRAY_LEN(fires) >= 30);
	for (i = 0; i < SF_ARRAY_LEN(fires); i++) {
		const struct sf_tz *tz = zone(fires[i].zone);
		struct sf_schedule s;
		int64_t t = ts(fires[i].t), got = 0;
		int r;

		parse_ok(fires[i].sched, &s);
		r = sf_schedule_next(&s, tz, t, &got);
		if (!fires[i].next && r != SF_ENOTFOUND)
			fail_msg("%s %s next after %s: got %lld (r=%d), want "
			         "none",
			    fires[i].zone, fires[i].sched, fires[i].t,
			    (long long)got, r);
		if (fires[i].next && (r != 0 || got != ts(fires[i].next)))
			fail_msg("%s %s next after %s: got %lld (r=%d), want "
			         "%s = %lld",
			    fires[i].zone, fires[i].sched, fires[i].t,
			    (long long)got, r, fires[i].next,
			    (long long)ts(fires[i].next));
		r = sf_schedule_prev(&s, tz, t, &got);
		if (!fires[i].prev && r != SF_ENOTFOUND)
			fail_msg("%s %s prev at %s: got %lld (r=%d), want none",
			    fires[i].zone, fires[i].sched, fires[i].t,
			    (long long)got, r);
		if (fires[i].prev && (r != 0 || got != ts(fires[i].prev)))
			fail_msg("%s %s prev at %s: got %lld (r=%d), want %s = "
			         "%lld",
			    fires[i].zone, fires[i].sched, fires[i].t,
			    (long long)got, r, fires[i].prev,
			    (long long)ts(fires[i].prev));
	}
}

/* Walking a day of fall-back: every wall time once, the repeated hour once. */
static void
test_fire_sequence(void **state)
{
	const struct sf_tz *ny = zone("America/New_York");
	struct sf_schedule s;
	int64_t t = ts("2024-11-02 23:45 -0400"), prev;
	const char *want[] = { "2024-11-03 00:00 -0400",
		"2024-11-03 00:30 -0400", "2024-11-03 01:00 -0400",
		"2024-11-03 01:30 -0400", "2024-11-03 02:00 -0500",
		"2024-11-03 02:30 -0500" };
	size_t i;

	(void)state;
	parse_ok("*/30 * * * *", &s);
	for (i = 0; i < SF_ARRAY_LEN(want); i++) {
		assert_int_equal(sf_schedule_next(&s, ny, t, &t), 0);
		assert_int_equal(t, ts(want[i]));
		assert_int_equal(sf_schedule_prev(&s, ny, t, &prev), 0);
		assert_int_equal(prev, t);
		assert_int_equal(sf_schedule_prev(&s, ny, t - 1, &prev), 0);
		if (i > 0)
			assert_int_equal(prev, ts(want[i - 1]));
	}
}

/* Schedules that cannot fire end the search quickly, as do year limits. */
static void
test_fire_limits(void **state)
{
	const char *never[] = { "0 0 30 2 *", "0 0 31 4,6,9,11 *",
		"cron(0 0 30 2 ? *)", "cron(0 0 ? 2 1#5 2025-2027)" };
	struct sf_schedule s;
	int64_t out;
	size_t i;

	(void)state;
	for (i = 0; i < SF_ARRAY_LEN(never); i++) {
		parse_ok(never[i], &s);
		assert_int_equal(
		    sf_schedule_next(&s, NULL, 0, &out), SF_ENOTFOUND);
		assert_int_equal(
		    sf_schedule_prev(&s, NULL, 1700000000, &out), SF_ENOTFOUND);
	}
	/* Fifth Monday of February: only in leap years starting on one. */
	parse_ok("cron(0 0 ? 2 MON#5 *)", &s);
	assert_int_equal(
	    sf_schedule_next(&s, NULL, ts("2016-03-01 00:00 +0000"), &out), 0);
	assert_int_equal(out, ts("2044-02-29 00:00 +0000"));
	/* The edges of time do not overflow. */
	parse_ok("* * * * *", &s);
	assert_int_equal(
	    sf_schedule_next(&s, NULL, INT64_MAX, &out), SF_ENOTFOUND);
	assert_int_equal(
	    sf_schedule_prev(&s, NULL, INT64_MIN, &out), SF_ENOTFOUND);
	assert_int_equal(sf_schedule_next(&s, NULL, INT64_MIN, &out), 0);
	assert_int_equal(sf_schedule_prev(&s, NULL, INT64_MAX, &out), 0);
	parse_ok("rate(1 minute)", &s);
	assert_int_equal(
	    sf_schedule_next(&s, NULL, INT64_MAX, &out), SF_ENOTFOUND);
	assert_int_equal(
	    sf_schedule_prev(&s, NULL, INT64_MIN, &out), SF_ENOTFOUND);
	assert_int_equal(sf_schedule_prev(&s, NULL, INT64_MAX, &out), 0);
	assert_true(out <= INT64_MAX && out % 60 == 0);
}

/* Time zones. */

static void
test_tz_offsets(void **state)
{
	const struct sf_tz *ny = zone("America/New_York");
	const struct sf_tz *slim = zone("slim/America/New_York");
	const struct sf_tz *lh = zone("Australia/Lord_Howe");
	const struct sf_tz *ber = zone("Europe/Berlin");

	(void)state;
	assert_string_equal(sf_tz_name(ny), "America/New_York");
	assert_int_equal(
	    sf_tz_offset(ny, ts("2024-07-01 00:00 +0000")), -14400);
	assert_int_equal(
	    sf_tz_offset(ny, ts("2024-01-01 00:00 +0000")), -18000);
	/* The hour before and the instant of the 2024 transitions. */
	assert_int_equal(
	    sf_tz_offset(ny, ts("2024-03-10 06:59:59 +0000")), -18000);
	assert_int_equal(
	    sf_tz_offset(ny, ts("2024-03-10 07:00 +0000")), -14400);
	assert_int_equal(
	    sf_tz_offset(slim, ts("2024-03-10 06:59:59 +0000")), -18000);
	assert_int_equal(
	    sf_tz_offset(slim, ts("2024-03-10 07:00 +0000")), -14400);
	assert_int_equal(
	    sf_tz_offset(slim, ts("2024-11-03 05:59:59 +0000")), -14400);
	assert_int_equal(
	    sf_tz_offset(slim, ts("2024-11-03 06:00 +0000")), -18000);
	/* Local mean time before 1883, the footer after 2037. */
	assert_int_equal(
	    sf_tz_offset(ny, ts("1850-01-01 00:00 +0000")), -17762);
	assert_int_equal(
	    sf_tz_offset(ny, ts("2100-07-01 00:00 +0000")), -14400);
	assert_int_equal(
	    sf_tz_offset(ny, ts("2100-12-01 00:00 +0000")), -18000);
	assert_int_equal(sf_tz_offset(lh, ts("2024-01-01 00:00 +0000")), 39600);
	assert_int_equal(sf_tz_offset(lh, ts("2024-07-01 00:00 +0000")), 37800);
	assert_int_equal(
	    sf_tz_offset(ber, ts("2024-10-27 00:59:59 +0000")), 7200);
	assert_int_equal(sf_tz_offset(ber, ts("2024-10-27 01:00 +0000")), 3600);
	assert_int_equal(sf_tz_offset(zone("UTC"), 1700000000), 0);
	assert_int_equal(sf_tz_offset(NULL, 1700000000), 0);
}

static void
test_tz_names(void **state)
{
	const char *bad[] = { "", "/etc/localtime", "../tz/UTC",
		"America/../UTC", "America/./New_York", "America//New_York",
		"America/New York", "America/New_York/", "Nope/Zone", "America",
		"Europe/Berlin\n", "Europe/Berlin;rm" };
	const struct sf_tz *tz, *again;
	struct sf_err err;
	size_t i;

	(void)state;
	for (i = 0; i < SF_ARRAY_LEN(bad); i++)
		if (sf_tz_load(bad[i], &tz, &err) != SF_ENOTFOUND)
			fail_msg("\"%s\" loaded", bad[i]);
	assert_int_equal(sf_tz_load("Nope/Zone", &tz, &err), SF_ENOTFOUND);
	assert_string_equal(err.msg, "unknown time zone \"Nope/Zone\"");
	/* UTC needs no database. */
	assert_int_equal(sf_tz_load("UTC", &tz, &err), 0);
	assert_string_equal(sf_tz_name(tz), "UTC");
	/* Loaded zones are cached: the same zone each time, and cheap. */
	tz = zone("Europe/Berlin");
	for (i = 0; i < 10000; i++) {
		assert_int_equal(sf_tz_load("Europe/Berlin", &again, &err), 0);
		assert_ptr_equal(again, tz);
	}
}

/* TZif files built by hand: the versions, POSIX rules and broken files. */

struct tt {
	int32_t off;
	uint8_t isdst;
};

static size_t
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return 4;
}

static size_t
put_block(unsigned char *p, char version, int tsize, const int64_t *times,
    const uint8_t *idx, size_t n, const struct tt *types, size_t ntypes)
{
	size_t o = 0, i;

	memcpy(p, "TZif", 4);
	p[4] = (unsigned char)version;
	memset(p + 5, 0, 15);
	o = 20;
	o += put32(p + o, 0);                /* isutcnt */
	o += put32(p + o, 0);                /* isstdcnt */
	o += put32(p + o, 0);                /* leapcnt */
	o += put32(p + o, (uint32_t)n);      /* timecnt */
	o += put32(p + o, (uint32_t)ntypes); /* typecnt */
	o += put32(p + o, 4);                /* charcnt */
	for (i = 0; i < n; i++) {
		if (tsize == 8)
			o += put32(p + o, (uint32_t)((uint64_t)times[i] >> 32));
		o += put32(p + o, (uint32_t)times[i]);
	}
	for (i = 0; i < n; i++)
		p[o++] = idx[i];
	for (i = 0; i < ntypes; i++) {
		o += put32(p + o, (uint32_t)types[i].off);
		p[o++] = types[i].isdst;
		p[o++] = 0;
	}
	memcpy(p + o, "XXX", 4);
	return o + 4;
}

/* A TZif file: version 0 has no second block and no footer. */
static size_t
build_tzif(unsigned char *p, char version, const int64_t *times,
    const uint8_t *idx, size_t n, const struct tt *types, size_t ntypes,
    const char *footer)
{
	size_t o = put_block(p, version, 4, times, idx, n, types, ntypes);

	if (version == 0)
		return o;
	o += put_block(p + o, version, 8, times, idx, n, types, ntypes);
	p[o++] = '\n';
	memcpy(p + o, footer, strlen(footer));
	o += strlen(footer);
	p[o++] = '\n';
	return o;
}

static char tzdir[64];

static void
write_zone(const char *name, const unsigned char *p, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tzdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static int
load_built(const char *name, const struct sf_tz **tz)
{
	struct sf_err err;
	char *old = getenv("TZDIR") ? sf_xstrdup(getenv("TZDIR")) : NULL;
	int r;

	setenv("TZDIR", tzdir, 1);
	r = sf_tz_load(name, tz, &err);
	if (old)
		setenv("TZDIR", old, 1);
	else
		unsetenv("TZDIR");
	free(old);
	return r;
}

static const struct sf_tz *
built(const char *name, char version, const int64_t *times, const uint8_t *idx,
    size_t n, const struct tt *types, size_t ntypes, const char *footer)
{
	unsigned char buf[4096];
	const struct sf_tz *tz;
	size_t len =
	    build_tzif(buf, version, times, idx, n, types, ntypes, footer);

	write_zone(name, buf, len);
	if (load_built(name, &tz) != 0)
		fail_msg("%s did not load", name);
	return tz;
}

static int
setup_tzdir(void **state)
{
	(void)state;
	snprintf(tzdir, sizeof(tzdir), "/tmp/sf_test_tz_XXXXXX");
	return mkdtemp(tzdir) ? 0 : -1;
}

static int
teardown_tzdir(void **state)
{
	static const char *const names[] = { "V1", "Fixed", "Rule", "Julian",
		"Negative", "Late", "Always", "Trunc", "Garbage", "BadFooter",
		"BadIndex", "Unsorted", "BadOffset" };
	char path[128];
	size_t i;

	(void)state;
	for (i = 0; i < SF_ARRAY_LEN(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", tzdir, names[i]);
		unlink(path);
	}
	return rmdir(tzdir);
}

static void
test_tzif_versions(void **state)
{
	const struct tt two[] = { { 3600, 0 }, { 7200, 1 } };
	const int64_t t1[] = { 1000000000 };
	const uint8_t i1[] = { 1 };
	const struct tt std[] = { { 0, 0 } };
	const struct sf_tz *tz;
	struct sf_schedule s;
	int64_t out;

	(void)state;
	/* Version 1: 32-bit times, no footer; the last offset stays. */
	tz = built("V1", 0, t1, i1, 1, two, 2, "");
	assert_int_equal(sf_tz_offset(tz, 999999999), 3600);
	assert_int_equal(sf_tz_offset(tz, 1000000000), 7200);
	assert_int_equal(sf_tz_offset(tz, 4000000000LL), 7200);

	/* Version 2, no transitions, a fixed rule with an angle-quoted name. */
	tz = built("Fixed", '2', NULL, NULL, 0, std, 1, "<+03>-3");
	assert_int_equal(sf_tz_offset(tz, 0), 10800);
	assert_int_equal(sf_tz_offset(tz, 4000000000LL), 10800);

	/* Version 3, the US rule alone: it must act as New York does. */
	tz =
	    built("Rule", '3', NULL, NULL, 0, std, 1, "EST5EDT,M3.2.0,M11.1.0");
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-03-10 06:59:59 +0000")), -18000);
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-03-10 07:00 +0000")), -14400);
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-11-03 05:59:59 +0000")), -14400);
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-11-03 06:00 +0000")), -18000);
	parse_ok("30 2 * * *", &s);
	assert_int_equal(
	    sf_schedule_next(&s, tz, ts("2024-03-09 12:00 -0500"), &out), 0);
	assert_int_equal(out, ts("2024-03-10 03:00 -0400"));

	/* Jn ignores Feb 29, n counts it; times after the date. */
	tz = built("Julian", '2', NULL, NULL, 0, std, 1, "XXX0YYY,J60/2,300/3");
	assert_int_equal(sf_tz_offset(tz, ts("2024-03-01 01:59:59 +0000")), 0);
	assert_int_equal(sf_tz_offset(tz, ts("2024-03-01 02:00 +0000")), 3600);
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-10-27 01:59:59 +0000")), 3600);
	assert_int_equal(sf_tz_offset(tz, ts("2024-10-27 02:00 +0000")), 0);
	assert_int_equal(
	    sf_tz_offset(tz, ts("2023-10-28 01:59:59 +0000")), 3600);
	assert_int_equal(sf_tz_offset(tz, ts("2023-10-28 02:00 +0000")), 0);

	/* Negative transition times (America/Nuuk). */
	tz = built("Negative", '3', NULL, NULL, 0, std, 1,
	    "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-03-31 00:59:59 +0000")), -7200);
	assert_int_equal(sf_tz_offset(tz, ts("2024-03-31 01:00 +0000")), -3600);
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-10-27 00:59:59 +0000")), -3600);
	assert_int_equal(sf_tz_offset(tz, ts("2024-10-27 01:00 +0000")), -7200);

	/* Times past 24 hours (Asia/Jerusalem). */
	tz = built(
	    "Late", '3', NULL, NULL, 0, std, 1, "IST-2IDT,M3.4.4/26,M10.5.0");
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-03-28 23:59:59 +0000")), 7200);
	assert_int_equal(sf_tz_offset(tz, ts("2024-03-29 00:00 +0000")), 10800);
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-10-26 22:59:59 +0000")), 10800);
	assert_int_equal(sf_tz_offset(tz, ts("2024-10-26 23:00 +0000")), 7200);

	/* Daylight saving all year (RFC 8536 section 3.3.1). */
	tz = built("Always", '3', NULL, NULL, 0, std, 1, "EST5EDT,0/0,J365/25");
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-01-01 05:00 +0000")), -14400);
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-07-01 00:00 +0000")), -14400);
	assert_int_equal(
	    sf_tz_offset(tz, ts("2024-12-31 23:59 +0000")), -14400);
	assert_int_equal(
	    sf_tz_offset(tz, ts("2025-01-01 04:30 +0000")), -14400);
}

static void
test_tzif_broken(void **state)
{
	const struct tt two[] = { { 3600, 0 }, { 7200, 1 } };
	const int64_t t2[] = { 1000000000, 1100000000 };
	const int64_t down[] = { 1100000000, 1000000000 };
	const uint8_t i2[] = { 1, 0 }, oob[] = { 1, 2 };
	const struct tt huge[] = { { 3600, 0 }, { 100000, 0 } };
	unsigned char buf[4096];
	const struct sf_tz *tz;
	size_t len, k;

	(void)state;
	len = build_tzif(
	    buf, '2', t2, i2, 2, two, 2, "CET-1CEST,M3.5.0,M10.5.0/3");
	/* Every proper prefix of a good file is refused. */
	for (k = 0; k < len; k++) {
		write_zone("Trunc", buf, k);
		assert_int_equal(load_built("Trunc", &tz), SF_EINVALID);
	}
	write_zone("Garbage", (const unsigned char *)"not a zone\n", 11);
	assert_int_equal(load_built("Garbage", &tz), SF_EINVALID);
	len =
	    build_tzif(buf, '2', t2, i2, 2, two, 2, "CET-1CEST,M3.5.0,M13.5.0");
	write_zone("BadFooter", buf, len);
	assert_int_equal(load_built("BadFooter", &tz), SF_EINVALID);
	len = build_tzif(buf, '2', t2, oob, 2, two, 2, "");
	write_zone("BadIndex", buf, len);
	assert_int_equal(load_built("BadIndex", &tz), SF_EINVALID);
	len = build_tzif(buf, '2', down, i2, 2, two, 2, "");
	write_zone("Unsorted", buf, len);
	assert_int_equal(load_built("Unsorted", &tz), SF_EINVALID);
	len = build_tzif(buf, '2', t2, i2, 2, huge, 2, "");
	write_zone("BadOffset", buf, len);
	assert_int_equal(load_built("BadOffset", &tz), SF_EINVALID);
}

/* Keywords are lowercase (as EventBridge and the schema have them);
 * month and day names ignore case. */
static void
test_keywords_are_lowercase(void **state)
{
	static const char *const bad[] = { "@DAILY", "Rate(5 minutes)",
		"CRON(0 22 ? * MON-FRI *)", "EVERY 15m", "rate(5 Minutes)",
		"every 2 HOURS" };
	struct sf_schedule s;
	struct sf_sched_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    sf_schedule_parse(bad[i], &s, &e), SF_EINVALID);
	assert_int_equal(
	    sf_schedule_parse("0 22 * jan-Mar mon-FRI", &s, &e), SF_OK);
	assert_int_equal(
	    sf_schedule_parse("cron(0 22 ? * mon-fri *)", &s, &e), SF_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keywords_are_lowercase),
		cmocka_unit_test(test_parse_cron5),
		cmocka_unit_test(test_parse_macros),
		cmocka_unit_test(test_parse_aws),
		cmocka_unit_test(test_parse_rate),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_fire_times),
		cmocka_unit_test(test_fire_sequence),
		cmocka_unit_test(test_fire_limits),
		cmocka_unit_test(test_tz_offsets),
		cmocka_unit_test(test_tz_names),
		cmocka_unit_test(test_tzif_versions),
		cmocka_unit_test(test_tzif_broken),
	};
	const char *data = getenv("SF_TEST_DATA");
	char dir[512];

	/* The zones come from tests/data/tz, whatever TZ and TZDIR say. */
	snprintf(dir, sizeof(dir), "%s/tz", data ? data : "tests/data");
	setenv("TZDIR", dir, 1);
	unsetenv("TZ");
	return cmocka_run_group_tests(tests, setup_tzdir, teardown_tzdir);
}
