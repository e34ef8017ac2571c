/*
 * The lock of the local backend: state/.lock, a small JSON record of its
 * holder (id, pid, host, command, start time).
 *
 * It is created exclusively, git's lockfile pattern: the record is written
 * and synced to a temporary file, then link(2)ed to .lock, which fails with
 * EEXIST as O_CREAT|O_EXCL would when a lock exists, and never lets anyone
 * see a half-written one. Taking over a dead holder's lock, unlocking and
 * force-unlocking read the lock and remove it under the gate (internal.h),
 * so two processes never both take over the same lock.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include "state/internal.h"
#include "util/fs.h"

#define POLL_MS  250         /* between attempts while waiting */
#define LOCK_MAX (64 * 1024) /* bytes of a lock file read at most */

static struct sf_local *
local(struct sf_storage *s)
{
	return (struct sf_local *)s;
}

static char *
lock_path(struct sf_local *l)
{
	return sf_fs_join(l->dir, SF_STATE_LOCK);
}

void
sf_lock_encode(const struct sf_lock_info *li, struct sf_buf *out)
{
	char t[32];
	json_t *o;
	char *s;

	sf_time_format(t, li->started);
	o = json_pack("{s:s, s:I, s:s, s:s, s:s}", "id", li->id, "pid",
	    (json_int_t)li->pid, "host", li->host, "command", li->command,
	    "started", t);
	s = o ? json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
	if (!s)
		sf_die("cannot encode a lock record");
	sf_buf_adds(out, s);
	sf_buf_addch(out, '\n');
	free(s);
	json_decref(o);
}

static int
copy_str(char *dst, size_t n, json_t *v)
{
	if (!json_is_string(v) || !json_string_length(v))
		return -1;
	snprintf(dst, n, "%s", json_string_value(v));
	return 0;
}

int
sf_lock_decode(const char *text, size_t len, struct sf_lock_info *li)
{
	json_t *o = json_loadb(text, len, 0, NULL);
	json_t *pid = json_object_get(o, "pid");
	int rc = -1;

	memset(li, 0, sizeof(*li));
	if (json_is_object(o) && json_is_integer(pid) &&
	    json_integer_value(pid) > 0 &&
	    !copy_str(li->id, sizeof(li->id), json_object_get(o, "id")) &&
	    !copy_str(li->host, sizeof(li->host), json_object_get(o, "host")) &&
	    !copy_str(li->command, sizeof(li->command),
	        json_object_get(o, "command")) &&
	    json_is_string(json_object_get(o, "started")) &&
	    !sf_time_parse(json_string_value(json_object_get(o, "started")),
	        &li->started)) {
		li->pid = json_integer_value(pid);
		rc = 0;
	}
	json_decref(o);
	return rc;
}

/* The lock's record: SF_ENOTFOUND without one, SF_EINVALID if unreadable. */
static int
read_lock(struct sf_local *l, struct sf_lock_info *li, struct sf_err *err)
{
	struct sf_buf b = SF_BUF_INIT;
	char *path = lock_path(l);
	int rc;

	rc = sf_fs_read(path, LOCK_MAX, &b, err);
	if (rc == SF_ENOTFOUND)
		sf_error(err, rc, l->base.where, "the state is not locked");
	else if (!rc && sf_lock_decode(b.buf, b.len, li))
		rc = sf_error(err, SF_EINVALID, path,
		    "the lock file is not one sandform wrote; if no sandform "
		    "is running, remove it by hand");
	sf_buf_release(&b);
	free(path);
	return rc;
}

/* Whether the holder was a process of this host that no longer runs. */
static bool
holder_dead(struct sf_local *l, const struct sf_lock_info *li)
{
	if (strcmp(li->host, l->host) || li->pid <= 0 || li->pid > INT_MAX)
		return false;
	return kill((pid_t)li->pid, 0) < 0 && errno == ESRCH;
}

int
sf_lock_conflict(struct sf_err *err, const char *where,
    const struct sf_lock_info *li, int64_t waited_ms)
{
	struct sf_buf b = SF_BUF_INIT;
	int rc;

	sf_buf_adds(&b, "the state is locked by ");
	sf_lock_describe(&b, li);
	if (waited_ms > 0)
		sf_buf_addf(&b, ", still after waiting %lld.%03llds",
		    (long long)(waited_ms / 1000),
		    (long long)(waited_ms % 1000));
	sf_buf_addf(&b,
	    "; if it is not running any more, run `sandform force-unlock %s`",
	    li->id);
	rc = sf_error(err, SF_ECONFLICT, where, "%s", b.buf);
	sf_buf_release(&b);
	return rc;
}

int
sf_local_lock(struct sf_storage *s, const struct sf_lock_req *req,
    struct sf_buf *warn, struct sf_err *err)
{
	struct sf_local *l = local(s);
	struct sf_lock_info me, held;
	struct sf_buf text = SF_BUF_INIT;
	char *path = lock_path(l), *tmp = NULL;
	int64_t start, now, timeout = req->timeout_ms > 0 ? req->timeout_ms : 0;
	bool got = false;
	int fd, rc;

	memset(&me, 0, sizeof(me));
	sf_state_uuid(&s->env, me.id);
	me.pid = (int64_t)getpid();
	snprintf(me.host, sizeof(me.host), "%s", l->host);
	snprintf(me.command, sizeof(me.command), "%s",
	    req->command && *req->command ? req->command : "sandform");
	start = me.started = sf_state_now(&s->env);
	sf_lock_encode(&me, &text);

	for (;;) {
		if ((rc = sf_local_gate(l, true, &fd, err)))
			break;
		if (!tmp && (rc = sf_local_write_temp(
		                 path, text.buf, text.len, &tmp, err))) {
			sf_local_ungate(fd);
			break;
		}
		if (link(tmp, path) == 0) {
			got = true;
			sf_local_ungate(fd);
			break;
		}
		if (errno != EEXIST) {
			rc = sf_error(err, SF_ERROR, path, "cannot create: %s",
			    strerror(errno));
			sf_local_ungate(fd);
			break;
		}
		rc = read_lock(l, &held, err);
		if (!rc && holder_dead(l, &held)) {
			if ((unlink(path) < 0 && errno != ENOENT) ||
			    link(tmp, path) < 0) {
				rc = sf_error(err, SF_ERROR, path,
				    "cannot replace a stale lock: %s",
				    strerror(errno));
			} else {
				char t[32];

				sf_time_format(t, held.started);
				if (warn)
					sf_buf_addf(warn,
					    "taking over the lock of pid %lld "
					    "(%s, started %s), which is no "
					    "longer running",
					    (long long)held.pid, held.command,
					    t);
				got = true;
			}
			sf_local_ungate(fd);
			break;
		}
		sf_local_ungate(fd);
		if (rc && rc != SF_ENOTFOUND && rc != SF_EINVALID)
			break;
		now = sf_state_now(&s->env);
		if (now - start >= timeout) {
			if (!rc)
				rc = sf_lock_conflict(
				    err, l->base.where, &held, now - start);
			else if (rc == SF_ENOTFOUND)
				rc = sf_error(err, SF_ECONFLICT, path,
				    "the lock came and went; try again");
			else
				rc = SF_ECONFLICT; /* err says what it is */
			if (err)
				err->code = SF_ECONFLICT;
			break;
		}
		sf_state_sleep(&s->env, timeout - (now - start) < POLL_MS
		                            ? timeout - (now - start)
		                            : POLL_MS);
	}
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	sf_buf_release(&text);
	free(path);
	if (got) {
		s->locked = true;
		s->lock = me;
		return 0;
	}
	return rc;
}

int
sf_local_unlock(struct sf_storage *s, struct sf_err *err)
{
	struct sf_local *l = local(s);
	struct sf_lock_info held;
	struct sf_err e;
	char *path;
	int fd, rc;

	s->locked = false;
	if ((rc = sf_local_gate(l, false, &fd, err)))
		return rc;
	rc = read_lock(l, &held, &e);
	if (rc == SF_ENOTFOUND) {
		rc = sf_error(err, SF_ECONFLICT, s->where,
		    "our lock (ID %s) was removed while we held it; was "
		    "`sandform force-unlock` run?",
		    s->lock.id);
	} else if (rc) {
		if (err)
			*err = e;
	} else if (strcmp(held.id, s->lock.id)) {
		struct sf_buf b = SF_BUF_INIT;

		sf_lock_describe(&b, &held);
		rc = sf_error(err, SF_ECONFLICT, s->where,
		    "our lock (ID %s) was replaced while we held it; it is "
		    "now held by %s",
		    s->lock.id, b.buf);
		sf_buf_release(&b);
	} else {
		path = lock_path(l);
		if (unlink(path) < 0 && errno != ENOENT)
			rc = sf_error(err, SF_ERROR, path, "cannot remove: %s",
			    strerror(errno));
		free(path);
	}
	sf_local_ungate(fd);
	return rc;
}

int
sf_local_lock_info(
    struct sf_storage *s, struct sf_lock_info *info, struct sf_err *err)
{
	struct sf_local *l = local(s);
	int fd, rc;

	if ((rc = sf_local_gate(l, false, &fd, err)))
		return rc == SF_ENOTFOUND ? sf_error(err, rc, s->where,
		                                "the state is not locked")
		                          : rc;
	rc = read_lock(l, info, err);
	sf_local_ungate(fd);
	return rc;
}

int
sf_local_force_unlock(struct sf_storage *s, const char *id,
    struct sf_lock_info *was, struct sf_err *err)
{
	struct sf_local *l = local(s);
	char *path;
	int fd, rc;

	if ((rc = sf_local_gate(l, false, &fd, err)))
		return rc == SF_ENOTFOUND ? sf_error(err, rc, s->where,
		                                "the state is not locked")
		                          : rc;
	rc = read_lock(l, was, err);
	if (!rc && strcmp(was->id, id)) {
		rc = sf_error(err, SF_EINVALID, s->where,
		    "the lock's ID is %s, not %.40s: nothing was removed",
		    was->id, id);
	} else if (!rc) {
		path = lock_path(l);
		if (unlink(path) < 0)
			rc = sf_error(err, SF_ERROR, path, "cannot remove: %s",
			    strerror(errno));
		free(path);
	}
	sf_local_ungate(fd);
	return rc;
}
