/*
 * Parsing schedules: 5-field cron, EventBridge cron(...), rate(...),
 * "every N" and the @ macros. Pure functions of the text; every error names
 * the field, the allowed values and the bytes of the text at fault.
 */
#include <stdarg.h>

#include "schedule/schedule.h"

/* Longest interval a rate may have: ten years of days. */
#define SCHED_MAX_DAYS 3650
/* Numbers are read with a cap so that no digit string overflows. */
#define NUM_CAP 1000000000000ULL

struct field {
	const char *name;         /* "day-of-month" */
	int min, max;             /* allowed numbers */
	int base;                 /* bit index is value - base */
	const char *const *names; /* three-letter names, or NULL */
	int name_first;           /* the value of names[0] */
	const char *expected;     /* what the field takes, for messages */
};

struct pctx {
	const char *text;
	struct sf_sched_error *err;
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may",
	"jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat", NULL };

static const struct field f_minute = { "minute", 0, 59, 0, NULL, 0,
	"a number, a range or '*'" };
static const struct field f_hour = { "hour", 0, 23, 0, NULL, 0,
	"a number, a range or '*'" };
static const struct field f_mday = { "day-of-month", 1, 31, 0, NULL, 0,
	"a number, a range or '*'" };
static const struct field f_month = { "month", 1, 12, 0, month_names, 1,
	"a number, a month name (jan-dec), a range or '*'" };
static const struct field f_wday = { "day-of-week", 0, 7, 0, day_names, 0,
	"a number, a day name (sun-sat), a range or '*'" };
static const struct field f_aws_mday = { "day-of-month", 1, 31, 0, NULL, 0,
	"a number, a range, '*', '?', L, LW or nW" };
static const struct field f_aws_wday = { "day-of-week", 1, 7, 0, day_names, 1,
	"a number 1-7, a day name (sun-sat), a range, '*', '?', nL or d#n" };
static const struct field f_year = { "year", 1970, 2199, 1970, NULL, 0,
	"a number, a range or '*'" };

static const char unknown_hint[] = "expected 5-field cron, cron(...), "
                                   "rate(...), every N, or @daily...";

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether s (n bytes) equals word, ignoring ASCII case. */
static bool
word_eq(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (word[i] == '\0' || lower((unsigned char)s[i]) != word[i])
			return false;
	return word[n] == '\0';
}

/* Keywords (cron, rate, every, units, macros) are lowercase, as the
 * schema and EventBridge have them; only names (JAN, MON) ignore case. */
static bool
word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(s, word, n);
}

static bool
has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && !memcmp(s, prefix, k);
}

/*
 * Read the decimal digits s[0..n) into *out. False when s is empty or has
 * anything but digits. Values above NUM_CAP read as NUM_CAP + 1.
 */
static bool
parse_uint(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return false;
		if (v <= NUM_CAP)
			v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v > NUM_CAP ? NUM_CAP + 1 : v;
	return true;
}

/* Quote s[0..n) for a message into out, escaping and shortening it. */
static const char *
quote(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i, o = 0;
	const size_t max = 32;

	if (outlen < 8)
		return "";
	out[o++] = '"';
	for (i = 0; i < n && o + 6 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == max) {
			out[o++] = '.';
			out[o++] = '.';
			out[o++] = '.';
			break;
		}
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(out + o, outlen - o, "\\x%02x", c);
			o += 4;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

/* Fill the error for the n bytes at `at` and return SF_EINVALID. */
static int perr(struct pctx *p, const char *at, size_t n, const char *fmt, ...)
    SF_PRINTF(4, 5);

static int
perr(struct pctx *p, const char *at, size_t n, const char *fmt, ...)
{
	va_list ap;

	p->err->offset = (size_t)(at - p->text);
	p->err->length = n ? n : 1;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return SF_EINVALID;
}

/* A token of the text: the bytes s[0..n). */
struct tok {
	const char *s;
	size_t n;
};

/* Split s[0..n) at runs of white space into up to max tokens; count all. */
static size_t
split_fields(const char *s, size_t n, struct tok *out, size_t max)
{
	size_t i = 0, count = 0;

	for (;;) {
		size_t start;

		while (i < n && is_space((unsigned char)s[i]))
			i++;
		if (i == n)
			return count;
		start = i;
		while (i < n && !is_space((unsigned char)s[i]))
			i++;
		if (count < max) {
			out[count].s = s + start;
			out[count].n = i - start;
		}
		count++;
	}
}

static void
bits_set(uint64_t bits[4], int i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

/* One value of field f: a number or, where the field has them, a name. */
static int
parse_value(struct pctx *p, const struct field *f, struct tok t, int *out)
{
	char q[64];
	uint64_t v;
	size_t i;

	if (parse_uint(t.s, t.n, &v)) {
		if (v < (uint64_t)f->min || v > (uint64_t)f->max)
			return perr(p, t.s, t.n,
			    "%s %.*s is out of range %d-%d", f->name,
			    (int)(t.n > 20 ? 20 : t.n), t.s, f->min, f->max);
		*out = (int)v;
		return 0;
	}
	if (f->names)
		for (i = 0; f->names[i]; i++)
			if (word_eq(t.s, t.n, f->names[i])) {
				*out = f->name_first + (int)i;
				return 0;
			}
	return perr(p, t.s, t.n, "%s field: expected %s, got %s", f->name,
	    f->expected, quote(q, sizeof(q), t.s, t.n));
}

/* One list item: "*", "n", "a-b", each with an optional "/step". */
static int
parse_item(
    struct pctx *p, const struct field *f, struct tok t, uint64_t bits[4])
{
	const char *slash = memchr(t.s, '/', t.n);
	struct tok range = { t.s, slash ? (size_t)(slash - t.s) : t.n };
	int lo, hi, v, r;
	uint64_t step = 1;
	char q[64];

	if (slash) {
		struct tok st = { slash + 1, t.n - range.n - 1 };
		uint64_t width = (uint64_t)(f->max - f->min + 1);

		if (!parse_uint(st.s, st.n, &step))
			return perr(p, st.s, st.n,
			    "%s field: expected a step number after "
			    "'/', got %s",
			    f->name, quote(q, sizeof(q), st.s, st.n));
		if (step == 0)
			return perr(p, st.s, st.n,
			    "step 0 in %s field: a step must be at least 1",
			    f->name);
		if (step > width)
			return perr(p, st.s, st.n,
			    "step %.*s in %s field is out of range 1-%d",
			    (int)(st.n > 20 ? 20 : st.n), st.s, f->name,
			    (int)width);
	}
	if (range.n == 1 && range.s[0] == '*') {
		lo = f->min;
		hi = f->max;
	} else {
		const char *dash =
		    range.n > 1 ? memchr(range.s + 1, '-', range.n - 1) : NULL;

		if (dash) {
			struct tok a = { range.s, (size_t)(dash - range.s) };
			struct tok b = { dash + 1, range.n - a.n - 1 };

			if ((r = parse_value(p, f, a, &lo)) < 0 ||
			    (r = parse_value(p, f, b, &hi)) < 0)
				return r;
			if (lo > hi)
				return perr(p, range.s, range.n,
				    "range %.*s in %s field is backwards",
				    (int)(range.n > 40 ? 40 : range.n), range.s,
				    f->name);
		} else {
			if ((r = parse_value(p, f, range, &lo)) < 0)
				return r;
			hi = slash ? f->max : lo;
		}
	}
	for (v = lo; v <= hi; v += (int)step)
		bits_set(bits, v - f->base);
	return 0;
}

/* A whole field: items separated by commas. */
static int
parse_field(
    struct pctx *p, const struct field *f, struct tok t, uint64_t bits[4])
{
	size_t i = 0;
	int r;

	memset(bits, 0, 4 * sizeof(bits[0]));
	for (;;) {
		const char *comma = memchr(t.s + i, ',', t.n - i);
		struct tok item = { t.s + i,
			comma ? (size_t)(comma - (t.s + i)) : t.n - i };

		if (item.n == 0)
			return perr(p, item.s, 1, "empty list item in %s field",
			    f->name);
		if ((r = parse_item(p, f, item, bits)) < 0)
			return r;
		if (!comma)
			return 0;
		i = (size_t)(comma - t.s) + 1;
	}
}

static void
sched_init(struct sf_schedule *s, enum sf_sched_kind kind)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->wday_last = -1;
	s->wday_nth_day = -1;
	s->year_any = true;
	for (i = 0; i < 2199 - 1970 + 1; i++)
		s->years[i / 64] |= (uint64_t)1 << (i % 64);
}

/* The five fields of Vixie cron, already split. */
static int
parse_cron5(struct pctx *p, const struct tok *fl, struct sf_schedule *s)
{
	uint64_t b[4];
	int r;

	sched_init(s, SF_SCHED_CRON);
	if ((r = parse_field(p, &f_minute, fl[0], b)) < 0)
		return r;
	s->minutes = b[0];
	if ((r = parse_field(p, &f_hour, fl[1], b)) < 0)
		return r;
	s->hours = (uint32_t)b[0];
	if ((r = parse_field(p, &f_mday, fl[2], b)) < 0)
		return r;
	s->mdays = (uint32_t)b[0];
	s->mday_any = fl[2].s[0] == '*';
	if ((r = parse_field(p, &f_month, fl[3], b)) < 0)
		return r;
	s->months = (uint16_t)b[0];
	if ((r = parse_field(p, &f_wday, fl[4], b)) < 0)
		return r;
	if (b[0] & (1u << 7))
		b[0] |= 1;
	s->wdays = (uint8_t)(b[0] & 0x7f);
	s->wday_any = fl[4].s[0] == '*';
	return 0;
}

static int
parse_text_cron5(
    struct pctx *p, const char *s, size_t n, struct sf_schedule *out)
{
	struct tok fl[6];
	size_t count = split_fields(s, n, fl, SF_ARRAY_LEN(fl));

	if (count == 5)
		return parse_cron5(p, fl, out);
	if (count > 5)
		return perr(p, fl[5].s, (size_t)(s + n - fl[5].s),
		    "cron needs 5 fields (minute hour day-of-month month "
		    "day-of-week), got %zu",
		    count);
	return perr(p, s, n,
	    "cron needs 5 fields (minute hour day-of-month month "
	    "day-of-week), got %zu",
	    count);
}

/* A weekday in the AWS day-of-week field: 1-7 or a name, as 0..6. */
static int
parse_aws_wday(struct pctx *p, struct tok t, int *out)
{
	int r, v;

	if ((r = parse_value(p, &f_aws_wday, t, &v)) < 0)
		return r;
	*out = v - 1;
	return 0;
}

/* Day-of-month of cron(...): "?", L, LW, nW, or the usual list. */
static int
parse_aws_mday(
    struct pctx *p, struct tok t, struct sf_schedule *s, bool *question)
{
	uint64_t b[4], v;
	char q[64];
	int r;

	*question = false;
	if (t.n == 1 && t.s[0] == '?') {
		*question = true;
		s->mdays = 0xfffffffeu;
		s->mday_any = true;
		return 0;
	}
	if (word_eq(t.s, t.n, "l")) {
		s->mday_last = true;
		return 0;
	}
	if (word_eq(t.s, t.n, "lw")) {
		s->mday_last_wday = true;
		return 0;
	}
	if (t.n >= 2 && lower((unsigned char)t.s[t.n - 1]) == 'w' &&
	    parse_uint(t.s, t.n - 1, &v)) {
		if (v < 1 || v > 31)
			return perr(p, t.s, t.n - 1,
			    "day-of-month %.*s is out of range 1-31",
			    (int)(t.n - 1 > 20 ? 20 : t.n - 1), t.s);
		s->mday_nearest = (uint8_t)v;
		return 0;
	}
	if (memchr(t.s, '?', t.n) || memchr(t.s, 'L', t.n) ||
	    memchr(t.s, 'l', t.n) || memchr(t.s, 'W', t.n) ||
	    memchr(t.s, 'w', t.n))
		return perr(p, t.s, t.n,
		    "day-of-month field: '?', L, LW and nW must stand alone, "
		    "got %s",
		    quote(q, sizeof(q), t.s, t.n));
	if ((r = parse_field(p, &f_aws_mday, t, b)) < 0)
		return r;
	s->mdays = (uint32_t)b[0];
	s->mday_any = t.s[0] == '*';
	return 0;
}

/* Day-of-week of cron(...): "?", L, nL, d#n, or the usual list of 1-7. */
static int
parse_aws_wday_field(
    struct pctx *p, struct tok t, struct sf_schedule *s, bool *question)
{
	const char *hash = memchr(t.s, '#', t.n);
	uint64_t b[4], v;
	char q[64];
	int r, d;

	*question = false;
	if (t.n == 1 && t.s[0] == '?') {
		*question = true;
		s->wdays = 0x7f;
		s->wday_any = true;
		return 0;
	}
	if (word_eq(t.s, t.n, "l")) {
		s->wday_last = 6;
		return 0;
	}
	if (hash) {
		struct tok a = { t.s, (size_t)(hash - t.s) };
		struct tok nth = { hash + 1, t.n - a.n - 1 };

		if ((r = parse_aws_wday(p, a, &d)) < 0)
			return r;
		if (!parse_uint(nth.s, nth.n, &v))
			return perr(p, nth.s, nth.n,
			    "day-of-week field: expected a week number 1-5 "
			    "after '#', got %s",
			    quote(q, sizeof(q), nth.s, nth.n));
		if (v < 1 || v > 5)
			return perr(p, nth.s, nth.n,
			    "week %.*s in day-of-week field is out of range "
			    "1-5",
			    (int)(nth.n > 20 ? 20 : nth.n), nth.s);
		s->wday_nth_day = (int8_t)d;
		s->wday_nth = (uint8_t)v;
		return 0;
	}
	if (t.n >= 2 && lower((unsigned char)t.s[t.n - 1]) == 'l' &&
	    !memchr(t.s, ',', t.n) && !memchr(t.s, '-', t.n) &&
	    !memchr(t.s, '/', t.n)) {
		struct tok a = { t.s, t.n - 1 };

		if ((r = parse_aws_wday(p, a, &d)) < 0)
			return r;
		s->wday_last = (int8_t)d;
		return 0;
	}
	if (memchr(t.s, '?', t.n))
		return perr(p, t.s, t.n,
		    "day-of-week field: '?' must stand alone, got %s",
		    quote(q, sizeof(q), t.s, t.n));
	if ((r = parse_field(p, &f_aws_wday, t, b)) < 0)
		return r;
	s->wdays = (uint8_t)((b[0] >> 1) & 0x7f);
	s->wday_any = t.s[0] == '*';
	return 0;
}

/* cron(min hour dom month dow year); s[0..n) is what the parentheses hold. */
static int
parse_aws_cron(struct pctx *p, const char *s, size_t n, struct sf_schedule *out)
{
	struct tok fl[7];
	size_t count = split_fields(s, n, fl, SF_ARRAY_LEN(fl));
	bool qdom, qdow;
	uint64_t b[4];
	int r;

	if (count != 6) {
		const char *at = count > 6 ? fl[6].s : s;

		return perr(p, at, (size_t)(s + n - at),
		    "cron(...) needs 6 fields (minute hour day-of-month "
		    "month day-of-week year), got %zu",
		    count);
	}
	sched_init(out, SF_SCHED_AWS_CRON);
	if ((r = parse_field(p, &f_minute, fl[0], b)) < 0)
		return r;
	out->minutes = b[0];
	if ((r = parse_field(p, &f_hour, fl[1], b)) < 0)
		return r;
	out->hours = (uint32_t)b[0];
	if ((r = parse_aws_mday(p, fl[2], out, &qdom)) < 0)
		return r;
	if ((r = parse_field(p, &f_month, fl[3], b)) < 0)
		return r;
	out->months = (uint16_t)b[0];
	if ((r = parse_aws_wday_field(p, fl[4], out, &qdow)) < 0)
		return r;
	if (qdom == qdow) {
		struct tok at = qdom ? fl[4] : fl[2];

		return perr(p, at.s,
		    qdom ? at.n : (size_t)(fl[4].s + fl[4].n - fl[2].s),
		    "one of day-of-month or day-of-week must be '?'");
	}
	if ((r = parse_field(p, &f_year, fl[5], b)) < 0)
		return r;
	memcpy(out->years, b, sizeof(out->years));
	out->year_any = fl[5].n == 1 && fl[5].s[0] == '*';
	return 0;
}

/* N and a unit, N >= 1 and the interval at most SCHED_MAX_DAYS. */
static int
set_interval(struct pctx *p, struct tok num, struct tok unit, bool short_ok,
    const char *form, struct sf_schedule *out)
{
	static const struct {
		const char *word;
		int64_t seconds;
		bool is_short;
	} units[] = {
		{ "m", 60, true },
		{ "h", 3600, true },
		{ "d", 86400, true },
		{ "minute", 60, false },
		{ "minutes", 60, false },
		{ "hour", 3600, false },
		{ "hours", 3600, false },
		{ "day", 86400, false },
		{ "days", 86400, false },
	};
	uint64_t v;
	char q[64];
	size_t i;

	if (!parse_uint(num.s, num.n, &v))
		return perr(p, num.s, num.n,
		    "%s: expected a whole number, got %s", form,
		    quote(q, sizeof(q), num.s, num.n));
	if (v == 0)
		return perr(p, num.s, num.n,
		    "%s: the number must be at least 1, got 0", form);
	for (i = 0; i < SF_ARRAY_LEN(units); i++) {
		if ((units[i].is_short && !short_ok) ||
		    !word_is(unit.s, unit.n, units[i].word))
			continue;
		if (v > (uint64_t)SCHED_MAX_DAYS * 86400 /
		            (uint64_t)units[i].seconds)
			return perr(p, num.s, num.n,
			    "%s: the interval is too long, at most %d days",
			    form, SCHED_MAX_DAYS);
		sched_init(out, SF_SCHED_RATE);
		out->interval = (int64_t)v * units[i].seconds;
		return 0;
	}
	return perr(p, unit.s, unit.n, "%s: unknown unit %s, expected %s", form,
	    quote(q, sizeof(q), unit.s, unit.n),
	    short_ok ? "m, h, d, minutes, hours or days"
	             : "minute(s), hour(s) or day(s)");
}

/* rate(N unit); s[0..n) is what the parentheses hold. */
static int
parse_rate(struct pctx *p, const char *s, size_t n, struct sf_schedule *out)
{
	struct tok t[3];
	size_t count = split_fields(s, n, t, SF_ARRAY_LEN(t));

	if (count != 2)
		return perr(p, count > 2 ? t[2].s : s,
		    count > 2 ? (size_t)(s + n - t[2].s) : n,
		    "rate(...) needs a number and a unit, e.g. "
		    "rate(5 minutes)");
	return set_interval(p, t[0], t[1], false, "rate(...)", out);
}

/* every N unit, every Nu; s[0..n) follows the word "every" (at s - 5). */
static int
parse_every(struct pctx *p, const char *s, size_t n, struct sf_schedule *out)
{
	struct tok t[3];
	size_t count = split_fields(s, n, t, SF_ARRAY_LEN(t));

	if (count == 1) {
		/* "15m": split the digits from the unit. */
		size_t i = 0;

		while (i < t[0].n && is_digit((unsigned char)t[0].s[i]))
			i++;
		if (i > 0 && i < t[0].n) {
			t[1].s = t[0].s + i;
			t[1].n = t[0].n - i;
			t[0].n = i;
			count = 2;
		}
	}
	if (count == 0)
		return perr(p, s - 5, n + 5,
		    "every needs a number and a unit, e.g. every 15m or "
		    "every 2 hours");
	if (count != 2)
		return perr(p, count > 2 ? t[2].s : s,
		    count > 2 ? (size_t)(s + n - t[2].s) : n,
		    "every needs a number and a unit, e.g. every 15m or "
		    "every 2 hours");
	return set_interval(p, t[0], t[1], true, "every", out);
}

static int
parse_macro(struct pctx *p, const char *s, size_t n, struct sf_schedule *out)
{
	static const struct {
		const char *name;
		const char *cron;
	} macros[] = {
		{ "@hourly", "0 * * * *" },
		{ "@daily", "0 0 * * *" },
		{ "@midnight", "0 0 * * *" },
		{ "@weekly", "0 0 * * 0" },
		{ "@monthly", "0 0 1 * *" },
		{ "@yearly", "0 0 1 1 *" },
		{ "@annually", "0 0 1 1 *" },
	};
	struct sf_sched_error e2;
	struct pctx p2 = { NULL, &e2 };
	struct tok fl[5];
	char q[64];
	size_t i;

	for (i = 0; i < SF_ARRAY_LEN(macros); i++) {
		if (!word_is(s, n, macros[i].name))
			continue;
		p2.text = macros[i].cron;
		split_fields(p2.text, strlen(p2.text), fl, SF_ARRAY_LEN(fl));
		return parse_cron5(&p2, fl, out);
	}
	return perr(p, s, n,
	    "unknown macro %s, expected @hourly, @daily, @midnight, "
	    "@weekly, @monthly, @yearly or @annually",
	    quote(q, sizeof(q), s, n));
}

/* The text inside "word(" ... ")", or an error pointing at what is off. */
static int
inside_parens(struct pctx *p, const char *s, size_t n, size_t open,
    const char *form, struct tok *out)
{
	if (s[n - 1] != ')')
		return perr(
		    p, s + n - 1, 1, "%s is missing its closing ')'", form);
	out->s = s + open;
	out->n = n - open - 1;
	if (memchr(out->s, ')', out->n))
		return perr(p, (const char *)memchr(out->s, ')', out->n), 1,
		    "%s: unexpected ')' before the end", form);
	return 0;
}

int
sf_schedule_parse(
    const char *text, struct sf_schedule *out, struct sf_sched_error *err)
{
	struct sf_sched_error dummy;
	struct pctx p = { text, err ? err : &dummy };
	const char *s = text;
	struct tok in;
	size_t n;
	char q[64];
	int r;

	memset(p.err, 0, sizeof(*p.err));
	sched_init(out, SF_SCHED_CRON);
	n = strlen(s);
	while (n > 0 && is_space((unsigned char)s[0])) {
		s++;
		n--;
	}
	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return perr(&p, text, 1, "schedule is empty; %s", unknown_hint);
	if (s[0] == '@')
		return parse_macro(&p, s, n, out);
	if (has_prefix(s, n, "cron(")) {
		if ((r = inside_parens(&p, s, n, 5, "cron(...)", &in)) < 0)
			return r;
		return parse_aws_cron(&p, in.s, in.n, out);
	}
	if (has_prefix(s, n, "rate(")) {
		if ((r = inside_parens(&p, s, n, 5, "rate(...)", &in)) < 0)
			return r;
		return parse_rate(&p, in.s, in.n, out);
	}
	if (has_prefix(s, n, "every") &&
	    (n == 5 || is_space((unsigned char)s[5]) ||
	        is_digit((unsigned char)s[5])))
		return parse_every(&p, s + 5, n - 5, out);
	if (is_digit((unsigned char)s[0]) || strchr("*,-/?", s[0]) ||
	    split_fields(s, n, NULL, 0) == 5)
		return parse_text_cron5(&p, s, n, out);
	return perr(&p, s, n, "unknown schedule %s; %s",
	    quote(q, sizeof(q), s, n), unknown_hint);
}
