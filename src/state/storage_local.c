/*
 * The local directory backend: state/ beside the manifests.
 *
 *   sandform.state.json          the state, replaced atomically
 *   sandform.state.json.backup   the one before it
 *   .lock                        the lock (lock.c)
 *   runs/JOB/RUN.json            run records, each replaced atomically
 *
 * A write goes to a temporary file in the same directory (.NAME.XXXXXX),
 * is fsynced, renamed over the old file and followed by an fsync of the
 * directory, so a crash at any moment leaves the old file or the new one.
 * Compare-and-swap: the version of the state is its serial and a hash of
 * its bytes, checked and replaced while holding the gate (internal.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/internal.h"
#include "util/fs.h"

#define RUN_MAX (64u * 1024 * 1024)

static struct sf_local *
local(struct sf_storage *s)
{
	return (struct sf_local *)s;
}

int
sf_local_mkdirs(const char *dir, struct sf_err *err)
{
	char *p = sf_xstrdup(dir), *q;
	int rc = 0;

	for (q = p + 1;; q++) {
		char c = *q;

		if (c != '/' && c != '\0')
			continue;
		*q = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			rc = sf_error(err, SF_ERROR, p, "cannot create: %s",
			    strerror(errno));
			break;
		}
		*q = c;
		if (!c)
			break;
	}
	if (!rc && !sf_fs_is_dir(dir))
		rc = sf_error(err, SF_ERROR, dir, "is not a directory");
	free(p);
	return rc;
}

int
sf_local_gate(struct sf_local *l, bool create, int *fd, struct sf_err *err)
{
	int rc;

	if (create && (rc = sf_local_mkdirs(l->dir, err)))
		return rc;
	*fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return sf_error(err, errno == ENOENT ? SF_ENOTFOUND : SF_ERROR,
		    l->dir, "cannot open: %s", strerror(errno));
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		rc = sf_error(
		    err, SF_ERROR, l->dir, "cannot flock: %s", strerror(errno));
		close(*fd);
		*fd = -1;
		return rc;
	}
	return 0;
}

void
sf_local_ungate(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

static int
write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fault(
    struct sf_local *l, const char *point, const char *path, struct sf_err *err)
{
	if (l->fault && l->fault(l->fault_ud, point))
		return sf_error(err, SF_ERROR, path,
		    "cannot write: injected failure at %s", point);
	return 0;
}

/* The directory part of path ("." when there is none). */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return sf_xstrdup(".");
	if (slash == path)
		return sf_xstrdup("/");
	return sf_xstrndup(path, (size_t)(slash - path));
}

/*
 * Write data to a new temporary file beside path, synced; *tmp gets its
 * name. The caller renames it or unlinks it.
 */
int
sf_local_write_temp(const char *path, const char *data, size_t len, char **tmp,
    struct sf_err *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = dir_of(path);
	int fd, rc = 0;

	*tmp = sf_xasprintf("%s/.%s.XXXXXX", dir, slash ? slash + 1 : path);
	free(dir);
	fd = mkstemp(*tmp);
	if (fd < 0) {
		rc = sf_error(err, SF_ERROR, path,
		    "cannot create a temporary file: %s", strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return rc;
	}
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0)
		rc = sf_error(
		    err, SF_ERROR, *tmp, "cannot write: %s", strerror(errno));
	if (close(fd) < 0 && !rc)
		rc = sf_error(
		    err, SF_ERROR, *tmp, "cannot write: %s", strerror(errno));
	if (rc) {
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return rc;
}

static int
sync_dir(int dirfd, const char *path, struct sf_err *err)
{
	char *dir;
	int fd = dirfd, rc = 0;

	if (fd < 0) {
		dir = dir_of(path);
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(dir);
		if (fd < 0)
			return sf_error(err, SF_ERROR, path,
			    "cannot open its directory: %s", strerror(errno));
	}
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = sf_error(err, SF_ERROR, path,
		    "cannot sync its directory: %s", strerror(errno));
	if (fd != dirfd)
		close(fd);
	return rc;
}

int
sf_local_write_file(struct sf_local *l, const char *path, int dirfd,
    const char *data, size_t len, struct sf_err *err)
{
	char *tmp;
	int rc;

	if ((rc = sf_local_write_temp(path, data, len, &tmp, err)))
		return rc;
	if ((rc = fault(l, "before-rename", path, err)))
		goto fail;
	if (rename(tmp, path) < 0) {
		rc = sf_error(err, SF_ERROR, path, "cannot rename %s to it: %s",
		    tmp, strerror(errno));
		goto fail;
	}
	free(tmp);
	return sync_dir(dirfd, path, err);
fail:
	unlink(tmp);
	free(tmp);
	return rc;
}

/* ---- the state ---- */

static void
make_ver(const char *data, size_t len, struct sf_storage_ver *ver)
{
	char h[17];

	sf_state_hash(data, len, h);
	snprintf(ver->tag, sizeof(ver->tag), "%lld:%s",
	    (long long)sf_state_peek_serial(data, len), h);
}

static int
local_read(struct sf_storage *s, struct sf_buf *out, struct sf_storage_ver *ver,
    struct sf_err *err)
{
	size_t start = out->len;
	int rc;

	rc = sf_fs_read(s->state_name, SF_STATE_MAX, out, err);
	if (rc == SF_ENOTFOUND)
		return sf_error(
		    err, SF_ENOTFOUND, s->state_name, "no state yet");
	if (!rc)
		make_ver(out->buf + start, out->len - start, ver);
	return rc;
}

/* Keep the current state as the backup: a hard link when it can be. */
static int
keep_backup(
    struct sf_local *l, const char *cur, size_t curlen, struct sf_err *err)
{
	char *backup = sf_fs_join(l->dir, SF_STATE_BACKUP);
	char *tmp =
	    sf_xasprintf("%s/.%s.%ld", l->dir, SF_STATE_BACKUP, (long)getpid());
	int rc = 0;

	unlink(tmp);
	if (link(l->base.state_name, tmp) == 0) {
		if (rename(tmp, backup) < 0) {
			rc = sf_error(err, SF_ERROR, backup,
			    "cannot rename: %s", strerror(errno));
			unlink(tmp);
		}
	} else {
		/* No hard links here: write a copy. */
		rc = sf_local_write_file(l, backup, -1, cur, curlen, err);
	}
	free(tmp);
	free(backup);
	return rc;
}

static int
local_write(struct sf_storage *s, const char *data, size_t len,
    const struct sf_storage_ver *expect, struct sf_storage_ver *now,
    struct sf_err *err)
{
	struct sf_local *l = local(s);
	struct sf_buf cur = SF_BUF_INIT;
	struct sf_storage_ver curver = { "" };
	bool exists;
	char *tmp = NULL;
	int fd, rc;

	if ((rc = sf_local_gate(l, true, &fd, err)))
		return rc;
	rc = sf_fs_read(s->state_name, SF_STATE_MAX, &cur, err);
	exists = rc == 0;
	if (rc && rc != SF_ENOTFOUND)
		goto out;
	rc = 0;
	if (exists)
		make_ver(cur.buf, cur.len, &curver);
	if (strcmp(curver.tag, expect->tag)) {
		long long was = atoll(expect->tag), is = atoll(curver.tag);

		if (exists && is < 0)
			rc = sf_error(err, SF_ECONFLICT, s->state_name,
			    "the state is not one this sandform can read and "
			    "was not read before this write; it was left as "
			    "it is");
		else if (!exists)
			rc = sf_error(err, SF_ECONFLICT, s->state_name,
			    "the state was removed since it was read (serial "
			    "%lld); run the command again",
			    was);
		else if (!expect->tag[0])
			rc = sf_error(err, SF_ECONFLICT, s->state_name,
			    "another command created the state since this one "
			    "found none (now serial %lld); run the command "
			    "again",
			    is);
		else
			rc = sf_error(err, SF_ECONFLICT, s->state_name,
			    "the state changed since it was read (serial %lld, "
			    "now %lld): another command wrote it; run the "
			    "command again",
			    was, is);
		goto out;
	}
	if ((rc = sf_local_write_temp(s->state_name, data, len, &tmp, err)) ||
	    (rc = fault(l, "before-rename", s->state_name, err)))
		goto out;
	if (exists && (rc = keep_backup(l, cur.buf, cur.len, err)))
		goto out;
	if (rename(tmp, s->state_name) < 0) {
		rc = sf_error(err, SF_ERROR, s->state_name,
		    "cannot rename %s to it: %s", tmp, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if ((rc = sync_dir(fd, s->state_name, err)))
		goto out;
	make_ver(data, len, now);
out:
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	sf_buf_release(&cur);
	sf_local_ungate(fd);
	return rc;
}

/* ---- run records ---- */

static char *
run_path(struct sf_local *l, const char *job, const char *run)
{
	if (!run)
		return sf_xasprintf("%s/runs/%s", l->dir, job);
	return sf_xasprintf("%s/runs/%s/%s.json", l->dir, job, run);
}

static int
local_put_run(struct sf_storage *s, const char *job, const char *run,
    const char *data, size_t len, struct sf_err *err)
{
	struct sf_local *l = local(s);
	char *dir = run_path(l, job, NULL), *path = run_path(l, job, run);
	int rc;

	rc = sf_local_mkdirs(dir, err);
	if (!rc)
		rc = sf_local_write_file(l, path, -1, data, len, err);
	free(dir);
	free(path);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
local_list_runs(struct sf_storage *s, const char *job, char ***runs, size_t *n,
    struct sf_err *err)
{
	char *dir = run_path(local(s), job, NULL);
	size_t alloc = 0;
	struct dirent *e;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		int rc = errno == ENOENT
		             ? 0
		             : sf_error(err, SF_ERROR, dir, "cannot list: %s",
		                   strerror(errno));

		free(dir);
		return rc;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *id;

		if (e->d_name[0] == '.' ||
		    !sf_str_has_suffix(e->d_name, ".json"))
			continue;
		id = sf_xstrndup(e->d_name, len - 5);
		if (!sf_storage_run_id_ok(id)) {
			free(id);
			continue;
		}
		SF_ALLOC_GROW(*runs, *n + 1, alloc);
		(*runs)[(*n)++] = id;
	}
	closedir(d);
	free(dir);
	if (*n > 1)
		qsort(*runs, *n, sizeof(**runs), cmp_str);
	return 0;
}

static int
local_get_run(struct sf_storage *s, const char *job, const char *run,
    struct sf_buf *out, struct sf_err *err)
{
	char *path = run_path(local(s), job, run);
	int rc = sf_fs_read(path, RUN_MAX, out, err);

	if (rc == SF_ENOTFOUND)
		sf_error(err, rc, path, "no run %s of job %s", run, job);
	free(path);
	return rc;
}

static int
local_delete_run(
    struct sf_storage *s, const char *job, const char *run, struct sf_err *err)
{
	char *path = run_path(local(s), job, run);
	int rc = 0;

	if (unlink(path) < 0)
		rc = errno == ENOENT
		         ? sf_error(err, SF_ENOTFOUND, path,
		               "no run %s of job %s", run, job)
		         : sf_error(err, SF_ERROR, path, "cannot remove: %s",
		               strerror(errno));
	else
		rc = sync_dir(-1, path, err);
	free(path);
	return rc;
}

static void
local_free(struct sf_storage *s)
{
	struct sf_local *l = local(s);

	free(l->dir);
	free(l->host);
	free(s->where);
	free(s->state_name);
	free(l);
}

static const struct sf_storage_ops local_ops = {
	.name = "local",
	.read = local_read,
	.write = local_write,
	.lock = sf_local_lock,
	.unlock = sf_local_unlock,
	.lock_info = sf_local_lock_info,
	.force_unlock = sf_local_force_unlock,
	.put_run = local_put_run,
	.list_runs = local_list_runs,
	.get_run = local_get_run,
	.delete_run = local_delete_run,
	.free = local_free,
};

struct sf_storage *
sf_storage_local_new(const char *dir, const struct sf_storage_local_opts *o)
{
	struct sf_local *l = sf_xcalloc(1, sizeof(*l));
	char host[256];
	size_t n;

	l->base.ops = &local_ops;
	l->dir = sf_xstrdup(dir && *dir ? dir : ".");
	n = strlen(l->dir);
	while (n > 1 && l->dir[n - 1] == '/')
		l->dir[--n] = '\0';
	l->base.where = sf_xstrdup(l->dir);
	l->base.state_name = sf_fs_join(l->dir, SF_STATE_FILE);
	if (o) {
		l->base.env = o->env;
		l->fault = o->fault;
		l->fault_ud = o->fault_ud;
	}
	if (o && o->host) {
		l->host = sf_xstrdup(o->host);
	} else {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		l->host = sf_xstrdup(host);
	}
	return &l->base;
}
