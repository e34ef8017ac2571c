/*
 * What every backend shares: the calls through the ops, the injected clock
 * and random source, RFC 3339 times, UUIDs and the names that may become
 * paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "util/time.h"
#include "state/internal.h"

void
sf_storage_free(struct sf_storage *s)
{
	if (!s)
		return;
	if (s->locked)
		sf_storage_unlock(s, NULL);
	free(s->note);
	s->note = NULL;
	s->ops->free(s);
}

void
sf_storage_note(struct sf_storage *s, const char *note)
{
	free(s->note);
	s->note = note && *note ? sf_xstrdup(note) : NULL;
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

	sf_time_format(t, l->started);
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
	sf_uuid4_from(out, b);
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

int
sf_storage_history(struct sf_storage *s, size_t max,
    struct sf_storage_rev **revs, size_t *n, struct sf_err *err)
{
	*revs = NULL;
	*n = 0;
	if (!s->ops->history && !strcmp(s->ops->name, "s3"))
		return sf_error(err, SF_EINVALID, s->where,
		    "sandform keeps no history in S3: turn on the bucket's "
		    "versioning, and `aws s3api list-object-versions` lists "
		    "every version of the state");
	if (!s->ops->history)
		return sf_error(err, SF_EINVALID, s->where,
		    "the %s backend keeps no history of the state (only the "
		    "last one, as a backup); the git backend keeps every "
		    "version as a commit",
		    s->ops->name);
	return s->ops->history(s, max, revs, n, err);
}

void
sf_storage_revs_free(struct sf_storage_rev *revs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(revs[i].message);
	free(revs);
}
