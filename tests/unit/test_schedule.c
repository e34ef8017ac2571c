/*
 * Unit tests of the schedule module: parsing every form, the error table
 * (message, offset and length), and known fire times in several zones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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
	assert_true(s.mdays ==
	            ((1u << 1) | (1u << 11) | (1u << 21) | (1u << 31)));
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
		{ " @DAILY ", 0xfffffffe, 0x1ffe, 0x7f, 1 },
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
		{ "RATE( 2 Hours )", 7200 },
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
} bad[] = {
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
	assert_true(SF_ARRAY_LEN(bad) >= 30);
	for (i = 0; i < SF_ARRAY_LEN(bad); i++) {
		int r = sf_schedule_parse(bad[i].text, &s, &err);

		if (r != SF_EINVALID)
			fail_msg("%s: parsed (r=%d)", bad[i].text, r);
		if (strcmp(err.msg, bad[i].msg) != 0 ||
		    err.offset != bad[i].offset || err.length != bad[i].length)
			fail_msg("%s:\n got %zu+%zu %s\nwant %zu+%zu %s",
			         bad[i].text, err.offset, err.length, err.msg,
			         bad[i].offset, bad[i].length, bad[i].msg);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cron5),
		cmocka_unit_test(test_parse_macros),
		cmocka_unit_test(test_parse_aws),
		cmocka_unit_test(test_parse_rate),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
