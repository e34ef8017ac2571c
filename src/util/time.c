#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util/time.h"

/* RFC 3339, as AWS and the state write times. */

/* Days since 1970-01-01 of a civil date, and back (Howard Hinnant's). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
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
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void
sf_time_format(char out[32], int64_t ms)
{
	int64_t days, y;
	unsigned secs, msec;
	int m, d;

	/* Clamped to what RFC 3339 can say: years 1970 to 9999 here. */
	if (ms < 0)
		ms = 0;
	if (ms > SF_TIME_MAX)
		ms = SF_TIME_MAX;
	days = ms / 86400000;
	secs = (unsigned)(ms % 86400000 / 1000);
	msec = (unsigned)(ms % 1000);
	civil_from_days(days, &y, &m, &d);
	snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u", (unsigned)y % 10000u,
	    (unsigned)m % 100u, (unsigned)d % 100u, secs / 3600 % 100u,
	    secs / 60 % 60, secs % 60);
	if (msec)
		snprintf(out + 19, 13, ".%03uZ", msec % 1000u);
	else
		snprintf(out + 19, 13, "Z");
}

/* n decimal digits at *p, advancing it; -1 if they are not there. */
static int
digits(const char **p, int n)
{
	int v = 0;

	while (n--) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	return v;
}

static bool
expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

int
sf_time_parse(const char *s, int64_t *ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	const char *p = s;
	int y, mo, d, h, mi, sec, frac = 0, scale = 1000;
	int64_t off = 0, v;

	if ((y = digits(&p, 4)) < 0 || !expect(&p, '-') ||
	    (mo = digits(&p, 2)) < 0 || !expect(&p, '-') ||
	    (d = digits(&p, 2)) < 0 || !(expect(&p, 'T') || expect(&p, 't')) ||
	    (h = digits(&p, 2)) < 0 || !expect(&p, ':') ||
	    (mi = digits(&p, 2)) < 0 || !expect(&p, ':') ||
	    (sec = digits(&p, 2)) < 0)
		return SF_EINVALID;
	if (expect(&p, '.')) {
		if (*p < '0' || *p > '9')
			return SF_EINVALID;
		for (; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	}
	if (expect(&p, 'Z') || expect(&p, 'z')) {
		/* UTC */
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '+' ? 1 : -1, oh, om;

		if ((oh = digits(&p, 2)) < 0 || !expect(&p, ':') ||
		    (om = digits(&p, 2)) < 0 || oh > 23 || om > 59)
			return SF_EINVALID;
		off = sign * (int64_t)(oh * 60 + om) * 60000;
	} else {
		return SF_EINVALID;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 &&
	        !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) ||
	    h > 23 || mi > 59 || sec > 59)
		return SF_EINVALID;
	v = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) *
	        1000 +
	    frac - off;
	if (v < 0 || v > SF_TIME_MAX)
		return SF_EINVALID;
	*ms = v;
	return 0;
}

void
sf_uuid4(char out[37])
{
	unsigned char b[16];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	while (fd >= 0 && got < sizeof(b)) {
		ssize_t n = read(fd, b + got, sizeof(b) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (got < sizeof(b))
		sf_die("cannot read /dev/urandom");
	sf_uuid4_from(out, b);
}

void
sf_uuid4_from(char out[37], const unsigned char in[16])
{
	unsigned char b[16];

	memcpy(b, in, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
	    "%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}
