/*
 * Records of interpreters and sessions, idempotency tokens, and their
 * files. See registry.h for the layout and the locking.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local/registry.h"
#include "local/server.h"
#include "util/fs.h"

#define FILE_VERSION   1
#define MAX_FILE       (16u * 1024 * 1024)
#define IDEM_KEEP_MS   (8 * 3600 * 1000LL) /* tokens remembered 8 hours */
#define IDEM_MAX       100000
#define SYSTEM_CREATED 1752624000000LL /* 2025-07-16T00:00:00Z */

static const char *const status_names[] = {
	[SF_CI_CREATING] = "CREATING",
	[SF_CI_CREATE_FAILED] = "CREATE_FAILED",
	[SF_CI_READY] = "READY",
	[SF_CI_DELETING] = "DELETING",
	[SF_CI_DELETE_FAILED] = "DELETE_FAILED",
	[SF_CI_DELETED] = "DELETED",
};

const char *
sf_local_ci_status_name(enum sf_local_ci_status st)
{
	return (size_t)st < SF_ARRAY_LEN(status_names) ? status_names[st]
	                                               : "READY";
}

static int
status_parse(const char *s, enum sf_local_ci_status *out)
{
	size_t i;

	for (i = 0; s && i < SF_ARRAY_LEN(status_names); i++)
		if (!strcmp(s, status_names[i])) {
			*out = (enum sf_local_ci_status)i;
			return 0;
		}
	return -1;
}

void
sf_local_time_format(char out[32], int64_t ms)
{
	time_t t;
	struct tm tm;
	char date[24];
	int frac;

	if (ms < 0)
		ms = 0;
	t = (time_t)(ms / 1000);
	frac = (int)(ms % 1000);
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%03dZ", date, frac);
}

static json_t *
json_time(int64_t ms)
{
	char buf[32];

	sf_local_time_format(buf, ms);
	return json_string(buf);
}

void
sf_local_strv_push(struct sf_local_strv *v, const char *s)
{
	SF_ALLOC_GROW(v->v, v->n + 1, v->alloc);
	v->v[v->n++] = sf_xstrdup(s);
}

void
sf_local_strv_release(struct sf_local_strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

void
sf_local_stopv_take(struct sf_local_stopv *v, struct sf_local_session *s)
{
	if (!s->bs && !s->work_dir)
		return;
	SF_ALLOC_GROW(v->v, v->n + 1, v->alloc);
	v->v[v->n].bs = s->bs;
	v->v[v->n].work_dir = s->work_dir;
	v->n++;
	s->bs = NULL;
	s->work_dir = NULL;
}

void
sf_local_stopv_release(struct sf_local_stopv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i].work_dir);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

/* ---- records ---- */

void
sf_local_ci_free(struct sf_local_ci *ci)
{
	if (!ci)
		return;
	free(ci->id);
	free(ci->arn);
	free(ci->name);
	free(ci->description);
	free(ci->role_arn);
	free(ci->network_mode);
	json_decref(ci->network);
	json_decref(ci->certificates);
	json_decref(ci->filesystems);
	json_decref(ci->tags);
	free(ci->failure_reason);
	free(ci->create_token);
	free(ci->create_hash);
	free(ci);
}

void
sf_local_session_free(struct sf_local_session *s)
{
	if (!s)
		return;
	free(s->ci_id);
	free(s->name);
	free(s->network_mode);
	json_decref(s->certificates);
	json_decref(s->filesystems);
	free(s->work_dir);
	free(s);
}

static void
set_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

static void
set_json(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set(o, key, v);
}

json_t *
sf_local_ci_get_json(const struct sf_local_ci *ci)
{
	json_t *o = json_object();

	set_str(o, "codeInterpreterId", ci->id);
	set_str(o, "codeInterpreterArn", ci->arn);
	set_str(o, "name", ci->name);
	set_str(o, "description", ci->description);
	set_str(o, "executionRoleArn", ci->role_arn);
	set_json(o, "networkConfiguration", ci->network);
	set_json(o, "certificates", ci->certificates);
	set_json(o, "filesystemConfigurations", ci->filesystems);
	set_str(o, "status", sf_local_ci_status_name(ci->status));
	set_str(o, "failureReason", ci->failure_reason);
	json_object_set_new(o, "createdAt", json_time(ci->created_at));
	json_object_set_new(o, "lastUpdatedAt", json_time(ci->updated_at));
	return o;
}

json_t *
sf_local_ci_summary_json(const struct sf_local_ci *ci)
{
	json_t *o = json_object();

	set_str(o, "codeInterpreterId", ci->id);
	set_str(o, "codeInterpreterArn", ci->arn);
	set_str(o, "name", ci->name);
	set_str(o, "description", ci->description);
	set_str(o, "status", sf_local_ci_status_name(ci->status));
	json_object_set_new(o, "createdAt", json_time(ci->created_at));
	json_object_set_new(o, "lastUpdatedAt", json_time(ci->updated_at));
	return o;
}

json_t *
sf_local_session_json(const struct sf_local_session *s, bool full)
{
	json_t *o = json_object();

	set_str(o, "codeInterpreterIdentifier", s->ci_id);
	set_str(o, "sessionId", s->id);
	set_str(o, "name", s->name);
	set_str(o, "status", s->terminated ? "TERMINATED" : "READY");
	json_object_set_new(o, "createdAt", json_time(s->created_at));
	if (full) {
		json_object_set_new(
		    o, "sessionTimeoutSeconds", json_integer(s->timeout_s));
		set_json(o, "certificates", s->certificates);
		set_json(o, "filesystemConfigurations", s->filesystems);
	} else {
		json_object_set_new(
		    o, "lastUpdatedAt", json_time(s->updated_at));
	}
	return o;
}

/* ---- sorted arrays ---- */

static size_t
ci_pos(struct sf_local_registry *r, const char *id, bool *found)
{
	size_t lo = 0, hi = r->nci;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->ci[mid]->id, id);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct sf_local_ci *
sf_local_registry_ci(struct sf_local_registry *r, const char *id)
{
	bool found;
	size_t i;

	if (!strcmp(id, SF_LOCAL_SYSTEM_ID))
		return r->system;
	i = ci_pos(r, id, &found);
	return found ? r->ci[i] : NULL;
}

struct sf_local_ci *
sf_local_registry_ci_by_name(struct sf_local_registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nci; i++)
		if (!strcmp(r->ci[i]->name, name))
			return r->ci[i];
	return NULL;
}

struct sf_local_ci *
sf_local_registry_ci_by_arn(struct sf_local_registry *r, const char *arn)
{
	const char *slash = strrchr(arn, '/');
	struct sf_local_ci *ci;

	if (!slash)
		return NULL;
	ci = sf_local_registry_ci(r, slash + 1);
	return ci && !strcmp(ci->arn, arn) ? ci : NULL;
}

void
sf_local_registry_add_ci(struct sf_local_registry *r, struct sf_local_ci *ci)
{
	bool found;
	size_t i = ci_pos(r, ci->id, &found);

	if (found) {
		sf_local_ci_free(r->ci[i]);
		r->ci[i] = ci;
		return;
	}
	SF_ALLOC_GROW(r->ci, r->nci + 1, r->aci);
	memmove(r->ci + i + 1, r->ci + i, (r->nci - i) * sizeof(*r->ci));
	r->ci[i] = ci;
	r->nci++;
}

void
sf_local_registry_drop_ci(struct sf_local_registry *r, const char *id)
{
	bool found;
	size_t i = ci_pos(r, id, &found);

	if (!found)
		return;
	sf_local_ci_free(r->ci[i]);
	memmove(r->ci + i, r->ci + i + 1, (r->nci - i - 1) * sizeof(*r->ci));
	r->nci--;
}

size_t
sf_local_registry_ci_count(struct sf_local_registry *r)
{
	return r->nci;
}

static size_t
sess_pos(struct sf_local_registry *r, const char *sid, bool *found)
{
	size_t lo = 0, hi = r->nsess;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->sess[mid]->id, sid);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct sf_local_session *
sf_local_registry_session(struct sf_local_registry *r, const char *sid)
{
	bool found;
	size_t i = sess_pos(r, sid, &found);

	return found ? r->sess[i] : NULL;
}

void
sf_local_registry_add_session(
    struct sf_local_registry *r, struct sf_local_session *s)
{
	bool found;
	size_t i = sess_pos(r, s->id, &found);

	if (found) {
		sf_local_session_free(r->sess[i]);
		r->sess[i] = s;
		return;
	}
	SF_ALLOC_GROW(r->sess, r->nsess + 1, r->asess);
	memmove(
	    r->sess + i + 1, r->sess + i, (r->nsess - i) * sizeof(*r->sess));
	r->sess[i] = s;
	r->nsess++;
	if (s->terminated)
		r->nended++;
	sf_local_registry_due(r, s->expires_at);
}

void
sf_local_registry_drop_session(struct sf_local_registry *r, const char *sid)
{
	bool found;
	size_t i = sess_pos(r, sid, &found);

	if (!found)
		return;
	if (r->sess[i]->terminated && r->nended)
		r->nended--;
	sf_local_session_free(r->sess[i]);
	memmove(r->sess + i, r->sess + i + 1,
	    (r->nsess - i - 1) * sizeof(*r->sess));
	r->nsess--;
}

void
sf_local_registry_end_session(
    struct sf_local_registry *r, struct sf_local_session *s, int64_t when)
{
	if (s->terminated)
		return;
	s->terminated = true;
	s->updated_at = when;
	r->nended++;
}

size_t
sf_local_registry_active_sessions(struct sf_local_registry *r)
{
	return r->nsess - r->nended;
}

void
sf_local_registry_due(struct sf_local_registry *r, int64_t when)
{
	if (when < r->next_due)
		r->next_due = when;
}

/* ---- idempotency ---- */

static int
idem_cmp(const struct sf_local_idem *e, const char *op, const char *token)
{
	int c = strcmp(e->op, op);

	return c ? c : strcmp(e->token, token);
}

static size_t
idem_pos(
    struct sf_local_registry *r, const char *op, const char *token, bool *found)
{
	size_t lo = 0, hi = r->nidem;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = idem_cmp(&r->idem[mid], op, token);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct sf_local_idem *
sf_local_registry_idem(
    struct sf_local_registry *r, const char *op, const char *token)
{
	bool found;
	size_t i = idem_pos(r, op, token, &found);

	return found ? &r->idem[i] : NULL;
}

static void
idem_free(struct sf_local_idem *e)
{
	free(e->op);
	free(e->token);
	free(e->body);
}

static void
idem_remove_at(struct sf_local_registry *r, size_t i)
{
	idem_free(&r->idem[i]);
	memmove(r->idem + i, r->idem + i + 1,
	    (r->nidem - i - 1) * sizeof(*r->idem));
	r->nidem--;
}

struct sf_local_idem *
sf_local_registry_idem_add(struct sf_local_registry *r, const char *op,
    const char *token, const char *hash, int64_t now)
{
	bool found;
	size_t i;
	struct sf_local_idem *e;

	if (r->nidem >= IDEM_MAX) {
		/* Forget the oldest finished one. */
		size_t j, old = SIZE_MAX;

		for (j = 0; j < r->nidem; j++)
			if (!r->idem[j].pending &&
			    (old == SIZE_MAX ||
			        r->idem[j].at < r->idem[old].at))
				old = j;
		if (old != SIZE_MAX)
			idem_remove_at(r, old);
	}
	i = idem_pos(r, op, token, &found);
	if (found) {
		idem_free(&r->idem[i]);
	} else {
		SF_ALLOC_GROW(r->idem, r->nidem + 1, r->aidem);
		memmove(r->idem + i + 1, r->idem + i,
		    (r->nidem - i) * sizeof(*r->idem));
		r->nidem++;
	}
	e = &r->idem[i];
	memset(e, 0, sizeof(*e));
	e->op = sf_xstrdup(op);
	e->token = sf_xstrdup(token);
	snprintf(e->hash, sizeof(e->hash), "%s", hash);
	e->at = now;
	e->pending = true;
	sf_local_registry_due(r, now + IDEM_KEEP_MS);
	return e;
}

void
sf_local_registry_idem_drop(
    struct sf_local_registry *r, const char *op, const char *token)
{
	bool found;
	size_t i = idem_pos(r, op, token, &found);

	if (found)
		idem_remove_at(r, i);
}

/* ---- transitions ---- */

void
sf_local_registry_advance(struct sf_local_registry *r, int64_t now, bool full,
    const struct sf_backend_ops *ops, struct sf_local_strv *ci_ids,
    struct sf_local_strv *sess_ids, struct sf_local_stopv *stop)
{
	size_t i, j;
	int64_t next = INT64_MAX;

	if (!full && now < r->next_due && r->nended <= r->keep_sessions)
		return;
	for (i = 0; i < r->nci;) {
		struct sf_local_ci *ci = r->ci[i];

		if (ci->status == SF_CI_CREATING && now >= ci->due_at) {
			ci->status = SF_CI_READY;
			ci->updated_at = ci->due_at;
		} else if (ci->status == SF_CI_DELETING && now >= ci->due_at) {
			/* Gone: its sessions go with it. */
			for (j = 0; j < r->nsess;) {
				struct sf_local_session *s = r->sess[j];

				if (strcmp(s->ci_id, ci->id) || s->starting) {
					j++;
					continue;
				}
				sf_local_stopv_take(stop, s);
				sf_local_strv_push(sess_ids, s->id);
				sf_local_registry_drop_session(r, s->id);
			}
			sf_local_strv_push(ci_ids, ci->id);
			sf_local_registry_drop_ci(r, ci->id);
			continue;
		}
		if (ci->status == SF_CI_CREATING ||
		    ci->status == SF_CI_DELETING)
			if (ci->due_at < next)
				next = ci->due_at;
		i++;
	}
	for (i = 0; i < r->nsess; i++) {
		struct sf_local_session *s = r->sess[i];

		if (s->terminated || s->starting)
			continue;
		if (now >= s->expires_at ||
		    (full && s->bs && ops && ops->alive && !s->inflight &&
		        !ops->alive(s->bs))) {
			sf_local_registry_end_session(
			    r, s, now >= s->expires_at ? s->expires_at : now);
			sf_local_strv_push(sess_ids, s->id);
		} else if (s->expires_at < next) {
			next = s->expires_at;
		}
		/* The backend's stop may run while a tool call does:
		 * the call ends then. */
		if (s->terminated && (s->bs || s->work_dir))
			sf_local_stopv_take(stop, s);
	}
	/* The oldest ended sessions go first. */
	for (i = 0; r->nended > r->keep_sessions && i < r->nsess;) {
		struct sf_local_session *s = r->sess[i];

		if (!s->terminated || s->bs || s->work_dir || s->inflight) {
			i++;
			continue;
		}
		sf_local_strv_push(sess_ids, s->id);
		sf_local_registry_drop_session(r, s->id);
	}
	for (i = 0; i < r->nidem;) {
		if (!r->idem[i].pending && now - r->idem[i].at > IDEM_KEEP_MS) {
			idem_remove_at(r, i);
			continue;
		}
		if (r->idem[i].at + IDEM_KEEP_MS < next)
			next = r->idem[i].at + IDEM_KEEP_MS;
		i++;
	}
	r->next_due = next;
}

/* ---- files ---- */

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Write dir/name as a whole: a temp file, (fsync,) rename, (fsync dir). */
static int
write_atomic(const char *dir, const char *name, const char *data, size_t len,
    bool durable, struct sf_err *err)
{
	char *path = sf_fs_join(dir, name);
	char *tmp = sf_xasprintf("%s.tmp", path);
	int fd, rc = SF_OK;
	size_t off = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = sf_error(
		    err, SF_ERROR, tmp, "cannot create: %s", strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = sf_error(err, SF_ERROR, tmp, "cannot write: %s",
			    strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	if (rc == SF_OK && durable && fsync(fd) < 0)
		rc = sf_error(
		    err, SF_ERROR, tmp, "cannot fsync: %s", strerror(errno));
	close(fd);
	if (rc == SF_OK && rename(tmp, path) < 0)
		rc = sf_error(err, SF_ERROR, path, "cannot rename %s: %s", tmp,
		    strerror(errno));
	if (rc)
		unlink(tmp);
	else if (durable && fsync_dir(dir) < 0)
		rc = sf_error(
		    err, SF_ERROR, dir, "cannot fsync: %s", strerror(errno));
out:
	free(tmp);
	free(path);
	return rc;
}

static int
remove_file(const char *dir, const char *name, bool durable, struct sf_err *err)
{
	char *path = sf_fs_join(dir, name);
	int rc = SF_OK;

	if (unlink(path) < 0 && errno != ENOENT)
		rc = sf_error(
		    err, SF_ERROR, path, "cannot remove: %s", strerror(errno));
	else if (durable)
		fsync_dir(dir);
	free(path);
	return rc;
}

static json_t *
ci_file_json(const struct sf_local_ci *ci)
{
	json_t *o = json_object();

	json_object_set_new(o, "version", json_integer(FILE_VERSION));
	set_str(o, "codeInterpreterId", ci->id);
	set_str(o, "codeInterpreterArn", ci->arn);
	set_str(o, "name", ci->name);
	set_str(o, "description", ci->description);
	set_str(o, "executionRoleArn", ci->role_arn);
	set_json(o, "networkConfiguration", ci->network);
	set_json(o, "certificates", ci->certificates);
	set_json(o, "filesystemConfigurations", ci->filesystems);
	set_json(o, "tags", ci->tags);
	set_str(o, "status", sf_local_ci_status_name(ci->status));
	set_str(o, "failureReason", ci->failure_reason);
	json_object_set_new(o, "createdAt", json_integer(ci->created_at));
	json_object_set_new(o, "lastUpdatedAt", json_integer(ci->updated_at));
	json_object_set_new(o, "dueAt", json_integer(ci->due_at));
	set_str(o, "clientToken", ci->create_token);
	set_str(o, "requestHash", ci->create_hash);
	return o;
}

static json_t *
session_file_json(const struct sf_local_session *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "version", json_integer(FILE_VERSION));
	set_str(o, "sessionId", s->id);
	set_str(o, "codeInterpreterIdentifier", s->ci_id);
	set_str(o, "name", s->name);
	set_str(o, "networkMode", s->network_mode);
	json_object_set_new(
	    o, "sessionTimeoutSeconds", json_integer(s->timeout_s));
	set_json(o, "certificates", s->certificates);
	set_json(o, "filesystemConfigurations", s->filesystems);
	json_object_set_new(o, "createdAt", json_integer(s->created_at));
	json_object_set_new(o, "lastUpdatedAt", json_integer(s->updated_at));
	json_object_set_new(o, "expiresAt", json_integer(s->expires_at));
	json_object_set_new(o, "terminated", json_boolean(s->terminated));
	return o;
}

static char *
dump(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (!s)
		sf_die("out of memory writing JSON");
	json_decref(o);
	return s;
}

static int
persist(struct sf_local_registry *r, const char *sub, const char *id,
    bool is_ci, struct sf_err *err)
{
	char *dir, *name, *text = NULL;
	int rc;

	if (!r->dir)
		return SF_OK;
	dir = sf_fs_join(r->dir, sub);
	name = sf_xasprintf("%s.json", id);
	pthread_mutex_lock(&r->persist_lock);
	sf_local_registry_lock(r);
	if (is_ci) {
		struct sf_local_ci *ci = sf_local_registry_ci(r, id);

		if (ci && !ci->system)
			text = dump(ci_file_json(ci));
	} else {
		struct sf_local_session *s = sf_local_registry_session(r, id);

		if (s)
			text = dump(session_file_json(s));
	}
	sf_local_registry_unlock(r);
	if (text)
		rc = write_atomic(dir, name, text, strlen(text), is_ci, err);
	else
		rc = remove_file(dir, name, is_ci, err);
	pthread_mutex_unlock(&r->persist_lock);
	free(text);
	free(name);
	free(dir);
	return rc;
}

int
sf_local_registry_persist_ci(
    struct sf_local_registry *r, const char *id, struct sf_err *err)
{
	return persist(r, "interpreters", id, true, err);
}

int
sf_local_registry_persist_session(
    struct sf_local_registry *r, const char *sid, struct sf_err *err)
{
	return persist(r, "sessions", sid, false, err);
}

/* ---- loading ---- */

static void logf_(struct sf_local_registry *r, const char *fmt, ...)
    SF_PRINTF(2, 3);

static void
logf_(struct sf_local_registry *r, const char *fmt, ...)
{
	struct sf_buf b = SF_BUF_INIT;
	va_list ap;

	if (!r->log)
		return;
	va_start(ap, fmt);
	sf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r->log(r->log_ud, b.buf);
	sf_buf_release(&b);
}

static char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? sf_xstrdup(s) : NULL;
}

static json_t *
jref(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v && !json_is_null(v) ? json_incref(v) : NULL;
}

static struct sf_local_ci *
ci_from_file(json_t *o)
{
	struct sf_local_ci *ci = sf_xcalloc(1, sizeof(*ci));

	ci->id = jstr(o, "codeInterpreterId");
	ci->arn = jstr(o, "codeInterpreterArn");
	ci->name = jstr(o, "name");
	ci->description = jstr(o, "description");
	ci->role_arn = jstr(o, "executionRoleArn");
	ci->network = jref(o, "networkConfiguration");
	ci->network_mode = jstr(ci->network, "networkMode");
	ci->certificates = jref(o, "certificates");
	ci->filesystems = jref(o, "filesystemConfigurations");
	ci->tags = jref(o, "tags");
	ci->failure_reason = jstr(o, "failureReason");
	ci->created_at = json_integer_value(json_object_get(o, "createdAt"));
	ci->updated_at =
	    json_integer_value(json_object_get(o, "lastUpdatedAt"));
	ci->due_at = json_integer_value(json_object_get(o, "dueAt"));
	ci->create_token = jstr(o, "clientToken");
	ci->create_hash = jstr(o, "requestHash");
	if (!ci->tags || !json_is_object(ci->tags)) {
		json_decref(ci->tags);
		ci->tags = json_object();
	}
	if (!ci->id || !ci->arn || !ci->name || !ci->network_mode ||
	    status_parse(
	        json_string_value(json_object_get(o, "status")), &ci->status)) {
		sf_local_ci_free(ci);
		return NULL;
	}
	return ci;
}

static struct sf_local_session *
session_from_file(json_t *o, int64_t now)
{
	struct sf_local_session *s = sf_xcalloc(1, sizeof(*s));
	const char *sid = json_string_value(json_object_get(o, "sessionId"));

	s->ci_id = jstr(o, "codeInterpreterIdentifier");
	s->name = jstr(o, "name");
	s->network_mode = jstr(o, "networkMode");
	s->timeout_s =
	    json_integer_value(json_object_get(o, "sessionTimeoutSeconds"));
	s->certificates = jref(o, "certificates");
	s->filesystems = jref(o, "filesystemConfigurations");
	s->created_at = json_integer_value(json_object_get(o, "createdAt"));
	s->updated_at = json_integer_value(json_object_get(o, "lastUpdatedAt"));
	s->expires_at = json_integer_value(json_object_get(o, "expiresAt"));
	s->terminated = json_is_true(json_object_get(o, "terminated"));
	if (!sid || strlen(sid) != 26 || !s->ci_id) {
		sf_local_session_free(s);
		return NULL;
	}
	memcpy(s->id, sid, 27);
	/* The sandbox did not survive the restart. */
	if (!s->terminated) {
		s->terminated = true;
		s->updated_at = now < s->expires_at ? now : s->expires_at;
	}
	return s;
}

static int
mkdir_p(const char *path, struct sf_err *err)
{
	char *p = sf_xstrdup(path), *q;
	int rc = SF_OK;

	for (q = p + 1;; q++) {
		if (*q == '/' || !*q) {
			char c = *q;

			*q = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				rc = sf_error(err, SF_ERROR, p,
				    "cannot create the directory: %s",
				    strerror(errno));
				break;
			}
			*q = c;
			if (!c)
				break;
		}
	}
	free(p);
	return rc;
}

int
sf_local_mkdir_p(const char *path, struct sf_err *err)
{
	return mkdir_p(path, err);
}

/* Call fn for each dir/<x>.json document. */
static void
load_dir(struct sf_local_registry *r, const char *sub,
    void (*fn)(struct sf_local_registry *, json_t *, const char *, int64_t),
    int64_t now)
{
	char *dir = sf_fs_join(r->dir, sub);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *path;
		struct sf_buf b = SF_BUF_INIT;
		struct sf_err err;
		json_error_t je;
		json_t *o;

		if (de->d_name[0] == '.')
			continue;
		path = sf_fs_join(dir, de->d_name);
		if (sf_str_has_suffix(de->d_name, ".tmp")) {
			unlink(path); /* a write that did not finish */
			free(path);
			continue;
		}
		if (!sf_str_has_suffix(de->d_name, ".json")) {
			free(path);
			continue;
		}
		if (sf_fs_read(path, MAX_FILE, &b, &err)) {
			logf_(r, "skipping %s: %s", path, err.msg);
		} else if (!(o = json_loadb(b.buf, b.len, 0, &je)) ||
		           !json_is_object(o)) {
			logf_(r, "skipping %s: not a JSON object: %s", path,
			    je.text);
			json_decref(o);
		} else {
			fn(r, o, path, now);
			json_decref(o);
		}
		sf_buf_release(&b);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}

static void
load_ci(struct sf_local_registry *r, json_t *o, const char *path, int64_t now)
{
	struct sf_local_ci *ci = ci_from_file(o);

	(void)now;
	if (!ci) {
		logf_(r, "skipping %s: not an interpreter record", path);
		return;
	}
	if (ci->create_token && ci->create_hash) {
		json_t *ans =
		    json_pack("{s:s, s:s, s:o, s:s}", "codeInterpreterId",
		        ci->id, "codeInterpreterArn", ci->arn, "createdAt",
		        json_time(ci->created_at), "status", "CREATING");
		struct sf_local_idem *e =
		    sf_local_registry_idem_add(r, "CreateCodeInterpreter",
		        ci->create_token, ci->create_hash, ci->created_at);

		e->status = 202;
		e->body = json_dumps(ans, JSON_COMPACT);
		e->pending = false;
		json_decref(ans);
	}
	sf_local_registry_add_ci(r, ci);
	sf_local_registry_due(r, ci->due_at);
}

static void
load_session(
    struct sf_local_registry *r, json_t *o, const char *path, int64_t now)
{
	struct sf_local_session *s = session_from_file(o, now);
	bool was_ended = json_is_true(json_object_get(o, "terminated"));

	if (!s) {
		logf_(r, "skipping %s: not a session record", path);
		return;
	}
	sf_local_registry_add_session(r, s);
	if (!was_ended)
		sf_local_strv_push(&r->loaded, s->id);
}

static struct sf_local_ci *
system_ci(const char *region)
{
	struct sf_local_ci *ci = sf_xcalloc(1, sizeof(*ci));

	ci->id = sf_xstrdup(SF_LOCAL_SYSTEM_ID);
	ci->arn =
	    sf_xasprintf("arn:aws:bedrock-agentcore:%s:aws:code-interpreter/%s",
	        region, SF_LOCAL_SYSTEM_ID);
	ci->name = sf_xstrdup(SF_LOCAL_SYSTEM_ID);
	ci->description = sf_xstrdup("AWS built-in code interpreter");
	ci->network_mode = sf_xstrdup("SANDBOX");
	ci->network = json_pack("{s:s}", "networkMode", "SANDBOX");
	ci->tags = json_object();
	ci->status = SF_CI_READY;
	ci->created_at = ci->updated_at = SYSTEM_CREATED;
	ci->system = true;
	return ci;
}

int
sf_local_registry_open(struct sf_local_registry *r, const char *dir,
    const char *region, int64_t now, int64_t transition_ms,
    size_t keep_sessions, void (*log)(void *, const char *), void *log_ud,
    struct sf_err *err)
{
	struct sf_local_strv a = { 0 }, b = { 0 };
	struct sf_local_stopv st = { 0 };
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->persist_lock, NULL);
	r->transition_ms = transition_ms;
	r->keep_sessions = keep_sessions;
	r->log = log;
	r->log_ud = log_ud;
	r->next_due = INT64_MAX;
	r->system = system_ci(region);
	if (!dir)
		return SF_OK;
	r->dir = sf_xstrdup(dir);
	{
		char *ci_dir = sf_fs_join(dir, "interpreters");
		char *s_dir = sf_fs_join(dir, "sessions");

		rc = mkdir_p(ci_dir, err);
		if (rc == SF_OK)
			rc = mkdir_p(s_dir, err);
		free(ci_dir);
		free(s_dir);
		if (rc) {
			sf_local_registry_close(r);
			return rc;
		}
	}
	load_dir(r, "interpreters", load_ci, now);
	load_dir(r, "sessions", load_session, now);
	/* Sessions of interpreters that are gone, transitions now due. */
	for (i = 0; i < r->nsess;) {
		if (!sf_local_registry_ci(r, r->sess[i]->ci_id)) {
			sf_local_strv_push(&b, r->sess[i]->id);
			sf_local_registry_drop_session(r, r->sess[i]->id);
			continue;
		}
		i++;
	}
	sf_local_registry_advance(r, now, true, NULL, &a, &b, &st);
	for (i = 0; i < b.n; i++)
		sf_local_registry_persist_session(r, b.v[i], NULL);
	for (i = 0; i < a.n; i++)
		sf_local_registry_persist_ci(r, a.v[i], NULL);
	/* Every session that was running is TERMINATED now: say so. */
	for (i = 0; i < r->loaded.n; i++)
		sf_local_registry_persist_session(r, r->loaded.v[i], NULL);
	sf_local_strv_release(&r->loaded);
	sf_local_strv_release(&a);
	sf_local_strv_release(&b);
	sf_local_stopv_release(&st);
	return SF_OK;
}

void
sf_local_registry_close(struct sf_local_registry *r)
{
	size_t i;

	for (i = 0; i < r->nci; i++)
		sf_local_ci_free(r->ci[i]);
	free(r->ci);
	for (i = 0; i < r->nsess; i++)
		sf_local_session_free(r->sess[i]);
	free(r->sess);
	for (i = 0; i < r->nidem; i++)
		idem_free(&r->idem[i]);
	free(r->idem);
	sf_local_ci_free(r->system);
	free(r->dir);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->persist_lock);
	memset(r, 0, sizeof(*r));
}

void
sf_local_registry_lock(struct sf_local_registry *r)
{
	pthread_mutex_lock(&r->lock);
}

void
sf_local_registry_unlock(struct sf_local_registry *r)
{
	pthread_mutex_unlock(&r->lock);
}
