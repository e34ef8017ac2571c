/*
 * What every backend shares: the calls through the ops, the injected clock
 * and random source, RFC 3339 times, UUIDs and the names that may become
 * paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "state/internal.h"

void
sf_storage_free(struct sf_storage *s)
{
	if (!s)
		return;
	if (s->locked)
		sf_storage_unlock(s, NULL);
	s->ops->free(s);
}

int
sf_storage_read(struct sf_storage *s, struct sf_buf *out,
    struct sf_storage_ver *ver, struct sf_err *err)
{
	ver->tag[0] = '\0';
	return s->ops->read(s, out, ver, err);
}

int
sf_storage_write(struct sf_storage *s, const char *data, size_t len,
    const struct sf_storage_ver *expect, struct sf_storage_ver *now,
    struct sf_err *err)
{
	return s->ops->write(s, data, len, expect, now, err);
}

int
sf_storage_lock(struct sf_storage *s, const struct sf_lock_req *req,
    struct sf_buf *warn, struct sf_err *err)
{
	if (s->locked)
		return sf_error(err, SF_ECONFLICT, s->where,
		    "the state is already locked by this command (lock ID %s)",
		    s->lock.id);
	return s->ops->lock(s, req, warn, err);
}

int
sf_storage_unlock(struct sf_storage *s, struct sf_err *err)
{
	if (!s->locked)
		return 0;
	return s->ops->unlock(s, err);
}

int
sf_storage_lock_info(
    struct sf_storage *s, struct sf_lock_info *info, struct sf_err *err)
{
	return s->ops->lock_info(s, info, err);
}

int
sf_storage_force_unlock(struct sf_storage *s, const char *id,
    struct sf_lock_info *was, struct sf_err *err)
{
	return s->ops->force_unlock(s, id, was, err);
}

static int
check_run(
    struct sf_storage *s, const char *job, const char *run, struct sf_err *err)
{
	if (!sf_storage_job_name_ok(job))
		return sf_error(err, SF_EINVALID, s->where,
		    "\"%.64s\" is not a job name", job);
	if (run && !sf_storage_run_id_ok(run))
		return sf_error(err, SF_EINVALID, s->where,
		    "\"%.64s\" is not a run id (letters, digits, \".\", \"_\" "
		    "and \"-\", starting with a letter or digit)",
		    run);
	return 0;
}

int
sf_storage_put_run(struct sf_storage *s, const char *job, const char *run,
    const char *data, size_t len, struct sf_err *err)
{
	int rc = check_run(s, job, run, err);

	return rc ? rc : s->ops->put_run(s, job, run, data, len, err);
}

int
sf_storage_list_runs(struct sf_storage *s, const char *job, char ***runs,
    size_t *n, struct sf_err *err)
{
	int rc = check_run(s, job, NULL, err);

	*runs = NULL;
	*n = 0;
	return rc ? rc : s->ops->list_runs(s, job, runs, n, err);
}

int
sf_storage_get_run(struct sf_storage *s, const char *job, const char *run,
    struct sf_buf *out, struct sf_err *err)
{
	int rc = check_run(s, job, run, err);

	return rc ? rc : s->ops->get_run(s, job, run, out, err);
}

int
sf_storage_delete_run(
    struct sf_storage *s, const char *job, const char *run, struct sf_err *err)
{
	int rc = check_run(s, job, run, err);

	return rc ? rc : s->ops->delete_run(s, job, run, err);
}

void
sf_storage_runs_free(char **runs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(runs[i]);
	free(runs);
}

bool
sf_storage_run_id_ok(const char *s)
{
	size_t i;

	if (!s || !*s)
		return false;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= 128)
			return false;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (i == 0 || (c != '.' && c != '_' && c != '-'))
			return false;
	}
	return true;
}

void
sf_lock_describe(struct sf_buf *out, const struct sf_lock_info *l)
{
	char t[32];

	sf_state_time_format(t, l->started);
	sf_buf_addf(out, "pid %lld on %s (%s, started %s)", (long long)l->pid,
	    l->host, l->command, t);
}

/* ---- the environment ---- */

int64_t
sf_state_now(const struct sf_state_env *e)
{
	struct timespec ts;

	if (e && e->now_ms)
		return e->now_ms(e->ud);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sf_state_sleep(const struct sf_state_env *e, int64_t ms)
{
	struct timespec ts;

	if (e && e->sleep_ms) {
		e->sleep_ms(e->ud, ms);
		return;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
sf_state_random(const struct sf_state_env *e, void *buf, size_t n)
{
	size_t got = 0;
	int fd;

	if (e && e->random) {
		e->random(e->ud, buf, n);
		return;
	}
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	if (got < n)
		sf_die("cannot read /dev/urandom");
}

void
sf_state_uuid(const struct sf_state_env *e, char out[37])
{
	unsigned char b[16];

	sf_state_random(e, b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
	    "%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

void
sf_state_hash(const char *data, size_t len, char out[17])
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)data[i];
		h *= UINT64_C(0x100000001b3);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* ---- RFC 3339 ---- */

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
sf_state_time_format(char out[32], int64_t ms)
{
	int64_t days, y;
	unsigned secs, msec;
	int m, d;

	/* Clamped to what RFC 3339 can say: years 1970 to 9999 here. */
	if (ms < 0)
		ms = 0;
	if (ms > SF_STATE_TIME_MAX)
		ms = SF_STATE_TIME_MAX;
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
sf_state_time_parse(const char *s, int64_t *ms)
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
	if (v < 0 || v > SF_STATE_TIME_MAX)
		return SF_EINVALID;
	*ms = v;
	return 0;
}
