/*
 * Time zones from TZif files (RFC 8536) and the fire times of schedules.
 *
 * A zone is its transitions (instant, offset from then on) plus, for the
 * instants after the last one, the POSIX TZ rule of the file's footer.
 *
 * Cron forms match wall-clock times. Wall times are handled as "local
 * seconds" (seconds since 1970-01-01 00:00 of the local calendar) and
 * mapped to instants: a wall time that a spring-forward gap skips maps to
 * the instant of the transition, one that a fall-back repeats maps to its
 * first occurrence. The map never decreases, so the next fire time is
 * the first matching wall time whose instant is after the given one.
 */
#include <stdarg.h>

#include "schedule/tz.h"
#include "util/fs.h"

/* TZif files are small (a few KiB); refuse anything much bigger. */
#define TZ_FILE_MAX (1024 * 1024)
/* The instants we compute with: 0001-01-01 to 9999-12-31 (UTC). */
#define T_MIN (-62135596800LL)
#define T_MAX (253402300799LL)
/* Offsets a file may use, as RFC 8536 bounds them. */
#define OFF_MIN (-89999)
#define OFF_MAX 93599
/* The Gregorian calendar repeats after 400 years. */
#define CAL_CYCLE 400

/* A date of a POSIX TZ rule: Jn, n or Mm.w.d, with a time of day. */
struct tz_date {
	char kind; /* 'J', 'n' or 'M' */
	int a, b, c;
	int32_t secs; /* local time of day, -167h..167h */
};

struct tz_rule {
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	struct tz_date start, end;
};

struct sf_tz {
	struct sf_tz *next; /* the process-wide cache */
	char *dir;
	char *name;
	size_t ntrans;
	int64_t *trans;     /* ascending */
	int32_t *trans_off; /* the offset from trans[i] on */
	int32_t first_off;  /* before trans[0] */
	bool has_rule;
	struct tz_rule rule;
};

static char tz_utc_name[] = "UTC";
static struct sf_tz tz_utc = { .name = tz_utc_name };
static struct sf_tz *tz_cache;

/* Calendar arithmetic (proleptic Gregorian, after Howard Hinnant). */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* 0 = Sunday. */
static int
weekday(int64_t days)
{
	return (int)(days - floor_div(days + 4, 7) * 7 + 4);
}

static int64_t
year_of(int64_t t)
{
	int64_t y;
	int m, d;

	if (t < T_MIN)
		t = T_MIN;
	if (t > T_MAX)
		t = T_MAX;
	civil_from_days(floor_div(t, 86400), &y, &m, &d);
	return y;
}

/* POSIX TZ rules: "EST5EDT,M3.2.0,M11.1.0", "<+03>-3", "IST-2IDT,J80,...". */

static bool
rule_name(const char **sp)
{
	const char *s = *sp;
	size_t n = 0;

	if (*s == '<') {
		for (s++;
		     (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		     (*s >= '0' && *s <= '9') || *s == '+' || *s == '-';
		     s++)
			n++;
		if (*s != '>' || n < 1)
			return false;
		*sp = s + 1;
		return true;
	}
	for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++)
		n++;
	if (n < 3)
		return false;
	*sp = s;
	return true;
}

/* [+-]hh[:mm[:ss]] with hh up to max_h; the value in seconds. */
static bool
rule_time(const char **sp, int max_h, int32_t *out)
{
	const char *s = *sp;
	int sign = 1, part = 0, v[3] = { 0, 0, 0 };

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (;;) {
		int digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 3) {
			v[part] = v[part] * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0 || (part > 0 && (digits != 2 || v[part] > 59)))
			return false;
		if (part == 2 || *s != ':')
			break;
		s++;
		part++;
	}
	if (v[0] > max_h)
		return false;
	*out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
	*sp = s;
	return true;
}

static bool
rule_num(const char **sp, int lo, int hi, int *out)
{
	const char *s = *sp;
	int v = 0, digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 4) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || v < lo || v > hi)
		return false;
	*out = v;
	*sp = s;
	return true;
}

static bool
rule_date(const char **sp, struct tz_date *d)
{
	const char *s = *sp;

	d->secs = 7200;
	if (*s == 'J') {
		s++;
		d->kind = 'J';
		if (!rule_num(&s, 1, 365, &d->a))
			return false;
	} else if (*s == 'M') {
		s++;
		d->kind = 'M';
		if (!rule_num(&s, 1, 12, &d->a) || *s++ != '.' ||
		    !rule_num(&s, 1, 5, &d->b) || *s++ != '.' ||
		    !rule_num(&s, 0, 6, &d->c))
			return false;
	} else {
		d->kind = 'n';
		if (!rule_num(&s, 0, 365, &d->a))
			return false;
	}
	if (*s == '/') {
		s++;
		if (!rule_time(&s, 167, &d->secs))
			return false;
	}
	*sp = s;
	return true;
}

static bool
rule_parse(const char *s, struct tz_rule *r)
{
	int32_t v;

	memset(r, 0, sizeof(*r));
	if (!rule_name(&s) || !rule_time(&s, 24, &v))
		return false;
	r->std_off = -v;
	if (*s == '\0')
		return true;
	if (!rule_name(&s))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (!rule_time(&s, 24, &v))
			return false;
		r->dst_off = -v;
	}
	if (*s == '\0') {
		/* No rule: POSIX leaves it to us; take the US rule. */
		r->start = (struct tz_date){ 'M', 3, 2, 0, 7200 };
		r->end = (struct tz_date){ 'M', 11, 1, 0, 7200 };
		return true;
	}
	if (*s++ != ',' || !rule_date(&s, &r->start) || *s++ != ',' ||
	    !rule_date(&s, &r->end))
		return false;
	return *s == '\0';
}

/* The instant a rule date of year y happens, at offset off. */
static int64_t
rule_instant(const struct tz_date *d, int64_t y, int32_t off)
{
	int64_t jan1 = days_from_civil(y, 1, 1), day;

	if (d->kind == 'J') {
		day = jan1 + d->a - 1 + (is_leap(y) && d->a >= 60);
	} else if (d->kind == 'n') {
		day = jan1 + d->a;
	} else {
		int64_t first = days_from_civil(y, d->a, 1);
		int dd = (d->c - weekday(first) + 7) % 7 + 1 + (d->b - 1) * 7;

		while (dd > month_days(y, d->a))
			dd -= 7;
		day = first + dd - 1;
	}
	return day * 86400 + d->secs - off;
}

/* The rule's transitions of year y: [0] into DST, [1] out of it. */
static void
rule_year(const struct tz_rule *r, int64_t y, int64_t out[2])
{
	out[0] = rule_instant(&r->start, y, r->std_off);
	out[1] = rule_instant(&r->end, y, r->dst_off);
}

static int32_t
rule_offset(const struct tz_rule *r, int64_t t)
{
	int64_t y, best = INT64_MIN, tr[2];
	int32_t off = r->std_off;

	if (!r->has_dst)
		return r->std_off;
	if (t < T_MIN || t > T_MAX)
		return r->std_off;
	/* The latest transition at or before t; into DST wins a tie. */
	for (y = year_of(t) - 2; y <= year_of(t) + 1; y++) {
		rule_year(r, y, tr);
		if (tr[1] <= t && tr[1] > best) {
			best = tr[1];
			off = r->std_off;
		}
		if (tr[0] <= t && tr[0] >= best) {
			best = tr[0];
			off = r->dst_off;
		}
	}
	return off;
}

/* The first rule transition after t (which is within T_MIN..T_MAX). */
static bool
rule_next(const struct tz_rule *r, int64_t t, int64_t *out)
{
	int64_t y, tr[2], best = INT64_MAX;
	int i;

	if (!r->has_dst || t >= T_MAX)
		return false;
	if (t < T_MIN)
		t = T_MIN;
	for (y = year_of(t) - 1; y <= year_of(t) + 2; y++) {
		rule_year(r, y, tr);
		for (i = 0; i < 2; i++)
			if (tr[i] > t && tr[i] < best)
				best = tr[i];
	}
	*out = best;
	return best != INT64_MAX;
}

int32_t
sf_tz_offset(const struct sf_tz *tz, int64_t t)
{
	size_t lo = 0, hi;

	if (!tz)
		return 0;
	if (tz->ntrans == 0)
		return tz->has_rule ? rule_offset(&tz->rule, t) : tz->first_off;
	if (t < tz->trans[0])
		return tz->first_off;
	if (t > tz->trans[tz->ntrans - 1] && tz->has_rule)
		return rule_offset(&tz->rule, t);
	/* The last transition at or before t. */
	hi = tz->ntrans;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->trans_off[lo];
}

/* The first transition strictly after t, from the table or the rule. */
static bool
tz_next_transition(const struct sf_tz *tz, int64_t t, int64_t *out)
{
	size_t lo = 0, hi = tz->ntrans;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->trans[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < tz->ntrans) {
		*out = tz->trans[lo];
		return true;
	}
	if (!tz->has_rule)
		return false;
	if (tz->ntrans > 0 && t < tz->trans[tz->ntrans - 1])
		t = tz->trans[tz->ntrans - 1];
	return rule_next(&tz->rule, t, out);
}

/*
 * The instant of wall time w (local seconds): the first instant showing
 * it, or for a wall time in a gap the instant the gap ends.
 */
static int64_t
tz_wall_to_instant(const struct sf_tz *tz, int64_t w)
{
	/* Offsets stay within +-26h, so every answer is within +-27h. */
	int64_t start = w - 97200, end = w + 97200, tr;
	int32_t off = sf_tz_offset(tz, start), next_off;
	int i;

	for (i = 0; i < 64; i++) {
		bool more = tz_next_transition(tz, start, &tr) && tr <= end;
		int64_t t = w - off;

		if (t >= start && (!more || t < tr))
			return t;
		if (!more)
			break;
		next_off = sf_tz_offset(tz, tr);
		if (w >= tr + off && w < tr + next_off)
			return tr;
		start = tr;
		off = next_off;
	}
	return w - sf_tz_offset(tz, w);
}

/* TZif files. */

struct tzif_hdr {
	char version;
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool
tzif_header(const unsigned char *p, size_t n, struct tzif_hdr *h)
{
	if (n < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	h->version = (char)p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return h->typecnt >= 1 && h->typecnt <= 256 &&
	       (h->isutcnt == 0 || h->isutcnt == h->typecnt) &&
	       (h->isstdcnt == 0 || h->isstdcnt == h->typecnt);
}

/* Bytes of the data block after a header, with times of tsize bytes. */
static uint64_t
tzif_block_size(const struct tzif_hdr *h, int tsize)
{
	return (uint64_t)h->timecnt * (uint64_t)(tsize + 1) +
	       (uint64_t)h->typecnt * 6 + h->charcnt +
	       (uint64_t)h->leapcnt * (uint64_t)(tsize + 4) + h->isstdcnt +
	       h->isutcnt;
}

/* Read the data block at p (n bytes, enough for h) into tz. */
static bool
tzif_block(const unsigned char *p, const struct tzif_hdr *h, int tsize,
    struct sf_tz *tz)
{
	const unsigned char *times = p, *idx = p + (size_t)h->timecnt * tsize;
	const unsigned char *types = idx + h->timecnt;
	int32_t offs[256];
	size_t i;

	for (i = 0; i < h->typecnt; i++) {
		int32_t off = (int32_t)be32(types + i * 6);

		if (off < OFF_MIN || off > OFF_MAX || types[i * 6 + 4] > 1)
			return false;
		offs[i] = off;
	}
	tz->first_off = offs[0];
	tz->ntrans = h->timecnt;
	tz->trans = sf_xcalloc(h->timecnt + 1, sizeof(*tz->trans));
	tz->trans_off = sf_xcalloc(h->timecnt + 1, sizeof(*tz->trans_off));
	for (i = 0; i < h->timecnt; i++) {
		int64_t t = tsize == 8 ? be64(times + i * 8)
		                       : (int64_t)(int32_t)be32(times + i * 4);

		if (idx[i] >= h->typecnt || (i > 0 && t <= tz->trans[i - 1]))
			return false;
		tz->trans[i] = t;
		tz->trans_off[i] = offs[idx[i]];
	}
	return true;
}

static bool
tzif_parse(const unsigned char *p, size_t n, struct sf_tz *tz)
{
	struct tzif_hdr h;
	uint64_t size;
	const unsigned char *foot, *nl;
	char rule[256];
	size_t len;

	if (!tzif_header(p, n, &h))
		return false;
	size = tzif_block_size(&h, 4);
	if (size > n - 44)
		return false;
	if (h.version == '\0')
		return tzif_block(p + 44, &h, 4, tz);
	/* Version 2 and later: a second header and block with 64-bit times,
	 * then the footer "\n<TZ string>\n". */
	p += 44 + size;
	n -= 44 + size;
	if (!tzif_header(p, n, &h))
		return false;
	size = tzif_block_size(&h, 8);
	if (size > n - 44 || !tzif_block(p + 44, &h, 8, tz))
		return false;
	foot = p + 44 + size;
	n -= 44 + size;
	if (n < 2 || foot[0] != '\n')
		return false;
	nl = memchr(foot + 1, '\n', n - 1);
	if (!nl)
		return false;
	len = (size_t)(nl - foot - 1);
	if (len == 0)
		return true;
	if (len >= sizeof(rule))
		return false;
	memcpy(rule, foot + 1, len);
	rule[len] = '\0';
	if (!rule_parse(rule, &tz->rule))
		return false;
	tz->has_rule = true;
	return true;
}

static void
tz_free(struct sf_tz *tz)
{
	free(tz->trans);
	free(tz->trans_off);
	free(tz->dir);
	free(tz->name);
	free(tz);
}

/* A relative path of [A-Za-z0-9_+.-] segments, none empty, "." or "..". */
static bool
tz_name_safe(const char *name)
{
	const char *seg = name, *s;

	if (name[0] == '\0' || strlen(name) > 255)
		return false;
	for (s = name;; s++) {
		if (*s == '/' || *s == '\0') {
			size_t n = (size_t)(s - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (*s == '\0')
				return true;
			seg = s + 1;
		} else if (!((*s >= 'A' && *s <= 'Z') ||
		               (*s >= 'a' && *s <= 'z') ||
		               (*s >= '0' && *s <= '9') || *s == '_' ||
		               *s == '+' || *s == '.' || *s == '-')) {
			return false;
		}
	}
}

int
sf_tz_load(const char *name, const struct sf_tz **out, struct sf_err *err)
{
	const char *dir = getenv("TZDIR");
	struct sf_buf buf = SF_BUF_INIT;
	struct sf_tz *tz;
	char *path;

	if (!name || !tz_name_safe(name))
		return sf_error(err, SF_ENOTFOUND, "timezone",
		    "unknown time zone \"%.64s\"", name ? name : "");
	if (strcmp(name, "UTC") == 0) {
		*out = &tz_utc;
		return 0;
	}
	if (!dir || dir[0] == '\0')
		dir = "/usr/share/zoneinfo";
	for (tz = tz_cache; tz; tz = tz->next)
		if (strcmp(tz->name, name) == 0 && strcmp(tz->dir, dir) == 0) {
			*out = tz;
			return 0;
		}
	path = sf_fs_join(dir, name);
	if (sf_fs_read(path, TZ_FILE_MAX, &buf, NULL) < 0) {
		free(path);
		sf_buf_release(&buf);
		return sf_error(err, SF_ENOTFOUND, "timezone",
		    "unknown time zone \"%s\"", name);
	}
	tz = sf_xcalloc(1, sizeof(*tz));
	if (!tzif_parse((const unsigned char *)buf.buf, buf.len, tz)) {
		tz_free(tz);
		sf_buf_release(&buf);
		sf_error(err, SF_EINVALID, "timezone",
		    "%s is not a valid TZif file", path);
		free(path);
		return SF_EINVALID;
	}
	free(path);
	sf_buf_release(&buf);
	tz->dir = sf_xstrdup(dir);
	tz->name = sf_xstrdup(name);
	tz->next = tz_cache;
	tz_cache = tz;
	*out = tz;
	return 0;
}

const char *
sf_tz_name(const struct sf_tz *tz)
{
	return tz ? tz->name : "UTC";
}

/* Fire times. */

/* A wall-clock minute. */
struct wall {
	int64_t y;
	int mo, d, h, mi;
};

static void
wall_from(int64_t w, struct wall *out)
{
	int64_t day = floor_div(w, 86400), sec = w - day * 86400;

	civil_from_days(day, &out->y, &out->mo, &out->d);
	out->h = (int)(sec / 3600);
	out->mi = (int)(sec % 3600 / 60);
}

static int64_t
wall_secs(const struct wall *w)
{
	return days_from_civil(w->y, w->mo, w->d) * 86400 + w->h * 3600 +
	       w->mi * 60;
}

static bool
year_ok(const struct sf_schedule *s, int64_t y)
{
	int64_t i = y - 1970;

	if (s->kind != SF_SCHED_AWS_CRON || s->year_any)
		return true;
	return i >= 0 && i < 230 && (s->years[i / 64] >> (i % 64) & 1);
}

/* Weekday nearest to day n of the month, not leaving the month. */
static int
nearest_weekday(int64_t y, int mo, int n)
{
	int last = month_days(y, mo);
	int wd = weekday(days_from_civil(y, mo, n));

	if (wd == 6)
		return n == 1 ? 3 : n - 1;
	if (wd == 0)
		return n == last ? n - 2 : n + 1;
	return n;
}

static bool
day_ok(const struct sf_schedule *s, int64_t y, int mo, int d)
{
	int wd = weekday(days_from_civil(y, mo, d));
	int last = month_days(y, mo);
	bool dom, dow;

	if (s->kind != SF_SCHED_AWS_CRON) {
		dom = s->mdays >> d & 1;
		dow = s->wdays >> wd & 1;
		if (s->mday_any || s->wday_any)
			return dom && dow;
		return dom || dow;
	}
	if (s->mday_last)
		dom = d == last;
	else if (s->mday_last_wday)
		dom = d == nearest_weekday(y, mo, last);
	else if (s->mday_nearest)
		dom = s->mday_nearest <= last &&
		      d == nearest_weekday(y, mo, s->mday_nearest);
	else
		dom = s->mdays >> d & 1;
	if (s->wday_last >= 0)
		dow = wd == s->wday_last && d + 7 > last;
	else if (s->wday_nth_day >= 0)
		dow = wd == s->wday_nth_day && (d - 1) / 7 + 1 == s->wday_nth;
	else
		dow = s->wdays >> wd & 1;
	return dom && dow;
}

/* The first matching wall minute at or after *w, up to year ymax. */
static int
wall_next(const struct sf_schedule *s, struct wall *w, int64_t ymax)
{
	for (;;) {
		if (w->y > ymax)
			return SF_ENOTFOUND;
		if (!year_ok(s, w->y)) {
			w->y++;
			w->mo = 1;
		} else if (!(s->months >> w->mo & 1)) {
			if (++w->mo > 12) {
				w->mo = 1;
				w->y++;
			}
		} else if (!day_ok(s, w->y, w->mo, w->d)) {
			if (++w->d > month_days(w->y, w->mo)) {
				w->d = 1;
				if (++w->mo > 12) {
					w->mo = 1;
					w->y++;
				}
			}
			w->h = w->mi = 0;
			continue;
		} else if (!(s->hours >> w->h & 1)) {
			w->mi = 0;
			if (++w->h > 23) {
				w->h = 0;
				w->d++;
				if (w->d > month_days(w->y, w->mo)) {
					w->d = 1;
					if (++w->mo > 12) {
						w->mo = 1;
						w->y++;
					}
				}
			}
			continue;
		} else if (!(s->minutes >> w->mi & 1)) {
			if (++w->mi > 59) {
				w->mi = 0;
				if (++w->h > 23) {
					w->h = 0;
					if (++w->d > month_days(w->y, w->mo)) {
						w->d = 1;
						if (++w->mo > 12) {
							w->mo = 1;
							w->y++;
						}
					}
				}
			}
			continue;
		} else {
			return 0;
		}
		/* A new month or year starts at its first minute. */
		w->d = 1;
		w->h = w->mi = 0;
	}
}

/* The last matching wall minute at or before *w, down to year ymin. */
static int
wall_prev(const struct sf_schedule *s, struct wall *w, int64_t ymin)
{
	for (;;) {
		if (w->y < ymin)
			return SF_ENOTFOUND;
		if (!year_ok(s, w->y)) {
			w->y--;
			w->mo = 12;
		} else if (!(s->months >> w->mo & 1)) {
			if (--w->mo < 1) {
				w->mo = 12;
				w->y--;
			}
		} else if (!day_ok(s, w->y, w->mo, w->d)) {
			if (--w->d < 1) {
				if (--w->mo < 1) {
					w->mo = 12;
					w->y--;
				}
				w->d = month_days(w->y, w->mo);
			}
			w->h = 23;
			w->mi = 59;
			continue;
		} else if (!(s->hours >> w->h & 1)) {
			w->mi = 59;
			if (--w->h < 0) {
				w->h = 23;
				if (--w->d < 1) {
					if (--w->mo < 1) {
						w->mo = 12;
						w->y--;
					}
					w->d = month_days(w->y, w->mo);
				}
			}
			continue;
		} else if (!(s->minutes >> w->mi & 1)) {
			if (--w->mi < 0) {
				w->mi = 59;
				if (--w->h < 0) {
					w->h = 23;
					if (--w->d < 1) {
						if (--w->mo < 1) {
							w->mo = 12;
							w->y--;
						}
						w->d = month_days(w->y, w->mo);
					}
				}
			}
			continue;
		} else {
			return 0;
		}
		/* A new month or year ends at its last minute. */
		w->d = month_days(w->y, w->mo);
		w->h = 23;
		w->mi = 59;
	}
}

/* The last year a search may look at, from year y on. */
static int64_t
year_limit(const struct sf_schedule *s, int64_t y)
{
	int64_t lim = y + CAL_CYCLE + 1;

	if (s->kind == SF_SCHED_AWS_CRON && !s->year_any && lim > 2199)
		lim = 2199;
	return lim > 9999 ? 9999 : lim;
}

/*
 * Whether no allowed month ever has an allowed day of the month ("30 2"),
 * so a search can stop before looking through 400 years.
 */
static bool
sched_never(const struct sf_schedule *s)
{
	uint32_t want = s->mdays;
	int m;

	if (s->kind == SF_SCHED_CRON && !s->mday_any && !s->wday_any)
		return false; /* either day field may match */
	if (s->kind == SF_SCHED_AWS_CRON) {
		if (s->mday_last || s->mday_last_wday)
			return false;
		if (s->mday_nearest)
			want = (uint32_t)1 << s->mday_nearest;
	}
	for (m = 1; m <= 12; m++)
		if ((s->months >> m & 1) &&
		    (want & (((uint32_t)2 << month_days(2000, m)) - 2)) != 0)
			return false;
	return true;
}

static bool
sched_valid(const struct sf_schedule *s)
{
	if (s->kind == SF_SCHED_RATE)
		return s->interval > 0;
	return (s->kind == SF_SCHED_CRON || s->kind == SF_SCHED_AWS_CRON) &&
	       s->minutes != 0 && s->hours != 0 && s->months != 0;
}

int
sf_schedule_next(const struct sf_schedule *s, const struct sf_tz *tz,
    int64_t after, int64_t *out)
{
	struct wall w;
	int64_t ymax;
	int r;

	if (!sched_valid(s))
		return SF_EINVALID;
	if (s->kind == SF_SCHED_RATE) {
		int64_t q = floor_div(after, s->interval);

		if (q >= INT64_MAX / s->interval - 1)
			return SF_ENOTFOUND;
		*out = (q + 1) * s->interval;
		return 0;
	}
	if (!tz)
		tz = &tz_utc;
	if (after >= T_MAX || sched_never(s))
		return SF_ENOTFOUND;
	if (after < T_MIN)
		after = T_MIN;
	wall_from(floor_div(after + sf_tz_offset(tz, after), 60) * 60, &w);
	ymax = year_limit(s, w.y);
	for (;;) {
		int64_t t;

		if ((r = wall_next(s, &w, ymax)) < 0)
			return r;
		t = tz_wall_to_instant(tz, wall_secs(&w));
		if (t > after) {
			*out = t;
			return 0;
		}
		wall_from(wall_secs(&w) + 60, &w);
	}
}

int
sf_schedule_prev(const struct sf_schedule *s, const struct sf_tz *tz,
    int64_t at, int64_t *out)
{
	struct wall w;
	int64_t ymin, from, best = 0, t;
	bool found = false;
	int i, r;

	if (!sched_valid(s))
		return SF_EINVALID;
	if (s->kind == SF_SCHED_RATE) {
		int64_t q = floor_div(at, s->interval);

		if (q < INT64_MIN / s->interval)
			return SF_ENOTFOUND;
		*out = q * s->interval;
		return 0;
	}
	if (!tz)
		tz = &tz_utc;
	if (at < T_MIN || sched_never(s))
		return SF_ENOTFOUND;
	if (at > T_MAX)
		at = T_MAX;
	wall_from(floor_div(at + sf_tz_offset(tz, at), 60) * 60, &w);
	ymin = w.y - CAL_CYCLE - 1;
	if (s->kind == SF_SCHED_AWS_CRON && !s->year_any && ymin < 1970)
		ymin = 1970;
	if (ymin < 1)
		ymin = 1;
	/*
	 * Every wall time up to the one at `at` maps to at most `at`. Later
	 * wall times can too, where a fall-back repeats them: step on with
	 * sf_schedule_next to find those.
	 */
	if (wall_prev(s, &w, ymin) == 0) {
		best = tz_wall_to_instant(tz, wall_secs(&w));
		found = true;
		from = best;
	} else {
		from = at - 2 * 86400;
	}
	for (i = 0; i < 10000; i++) {
		r = sf_schedule_next(s, tz, from, &t);
		if (r < 0 || t > at)
			break;
		best = from = t;
		found = true;
	}
	if (!found)
		return SF_ENOTFOUND;
	*out = best;
	return 0;
}
