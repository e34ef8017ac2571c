/*
 * The S3 backend of the state storage: see storage_s3.h for the layout.
 *
 * Every request goes through s3_call: the URL (path-style or virtual-host),
 * Host, the SigV4 signature under S3's rules (x-amz-content-sha256 signed),
 * the transfer, and a retry with backoff for requests that may run twice
 * (not the conditional PUTs: a lost answer to one would come back as a
 * conflict with ourselves). Errors name S3's code, the HTTP status and the
 * x-amz-request-id; credentials never reach a message.
 */
#include <jansson.h>
#include <strings.h>
#include <unistd.h>

#include "provider/aws/sigv4.h"
#include "provider/aws/storage_s3.h"
#include "state/state.h"
#include "util/time.h"

#define POLL_MS      250          /* between lock attempts */
#define LOCK_MAX     (64u * 1024) /* bytes of a lock object read */
#define RUN_MAX      (64u * 1024 * 1024)
#define LIST_MAX     (16u * 1024 * 1024)
#define MAX_ATTEMPTS 3

struct sf_s3 {
	struct sf_storage base;
	char *bucket, *key, *region;
	char *lock_key;    /* KEY.lock */
	char *runs_prefix; /* BASE.runs/ */
	char *origin;      /* scheme://host[:port] */
	char *host;        /* the Host header */
	bool path_style;
	char *holder_host; /* for lock records */
	struct sf_creds_chain *creds;
	bool own_creds;
	struct sf_aws_creds fixed; /* static keys, when given */
	bool have_fixed;
	struct sf_http *http;
	bool own_http;
	char lock_etag[SF_STORAGE_VER_MAX]; /* of our lock object */
};

/* What S3 answered. */
struct s3_resp {
	long status;
	struct sf_buf body;
	char etag[SF_STORAGE_VER_MAX];
	char request_id[96];
	char code[64];     /* <Code> of an error body */
	char message[256]; /* <Message> */
};

static struct sf_s3 *
s3(struct sf_storage *s)
{
	return (struct sf_s3 *)s;
}

static void
resp_release(struct s3_resp *r)
{
	sf_buf_release(&r->body);
	memset(r, 0, sizeof(*r));
	sf_buf_init(&r->body, 0);
}

/* ---- XML, just enough ---- */

/* Append the XML text of len bytes at p with the five entities and
 * numeric references undone. */
static void
xml_unescape(struct sf_buf *out, const char *p, size_t len)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' } };
	size_t i = 0, k;

	while (i < len) {
		if (p[i] != '&') {
			sf_buf_addch(out, p[i++]);
			continue;
		}
		for (k = 0; k < SF_ARRAY_LEN(ents); k++) {
			size_t el = strlen(ents[k].ent);

			if (len - i >= el && !memcmp(p + i, ents[k].ent, el)) {
				sf_buf_addch(out, ents[k].c);
				i += el;
				break;
			}
		}
		if (k < SF_ARRAY_LEN(ents))
			continue;
		if (len - i > 3 && p[i + 1] == '#') {
			const char *semi = memchr(p + i, ';', len - i);
			unsigned long v = 0;
			size_t j = i + 2;
			bool hex = j < len && (p[j] == 'x' || p[j] == 'X');

			if (hex)
				j++;
			if (semi && (size_t)(semi - p) > j) {
				char num[16];
				size_t nl = (size_t)(semi - p) - j;
				char *end;

				if (nl < sizeof(num)) {
					memcpy(num, p + j, nl);
					num[nl] = '\0';
					v = strtoul(num, &end, hex ? 16 : 10);
					if (*end == '\0' && v > 0 && v < 0x80) {
						sf_buf_addch(out, (int)v);
						i = (size_t)(semi - p) + 1;
						continue;
					}
				}
			}
		}
		sf_buf_addch(out, p[i++]); /* a stray '&': keep it */
	}
}

/*
 * The text of the next <tag>...</tag> at or after *pos in the len bytes at
 * doc, unescaped into out; *pos moves past it. false when there is none.
 */
static bool
xml_next(const char *doc, size_t len, size_t *pos, const char *tag,
    struct sf_buf *out)
{
	char open[80], close[80];
	size_t ol, cl, i;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	ol = strlen(open);
	cl = strlen(close);
	for (i = *pos; i + ol <= len; i++) {
		size_t j;

		if (memcmp(doc + i, open, ol))
			continue;
		for (j = i + ol; j + cl <= len; j++) {
			if (memcmp(doc + j, close, cl))
				continue;
			xml_unescape(out, doc + i + ol, j - i - ol);
			*pos = j + cl;
			return true;
		}
		return false;
	}
	return false;
}

static void
xml_field(const struct sf_buf *doc, const char *tag, char *dst, size_t n)
{
	struct sf_buf v = SF_BUF_INIT;
	size_t pos = 0;

	if (xml_next(doc->buf, doc->len, &pos, tag, &v))
		snprintf(dst, n, "%s", v.buf);
	sf_buf_release(&v);
}

/* ---- requests ---- */

static int
get_creds(struct sf_s3 *s, struct sf_aws_creds *cr, struct sf_err *err)
{
	memset(cr, 0, sizeof(*cr));
	if (s->have_fixed) {
		sf_aws_creds_copy(cr, &s->fixed);
		return 0;
	}
	return sf_creds_get(s->creds, cr, err);
}

/* The wire path of key (NULL: the bucket itself). */
static void
wire_path(struct sf_s3 *s, const char *key, struct sf_buf *out)
{
	if (s->path_style) {
		sf_buf_addch(out, '/');
		sf_sigv4_uri_encode(out, s->bucket, strlen(s->bucket), false);
		if (key)
			sf_buf_addch(out, '/');
	} else {
		sf_buf_addch(out, '/');
	}
	if (key)
		sf_sigv4_uri_encode(out, key, strlen(key), true);
}

struct s3_req {
	const char *method;
	const char *key;   /* NULL: the bucket */
	const char *query; /* encoded, or NULL */
	const char *if_match;
	bool if_none_match; /* If-None-Match: * */
	const void *body;
	size_t len;
	size_t cap; /* of the answer's body */
	bool once;  /* may not run twice */
};

static int
s3_attempt(struct sf_s3 *s, const struct s3_req *q, const char *path,
    struct s3_resp *r, struct sf_err *err)
{
	struct sf_http_headers h = { NULL, 0, 0 };
	struct sf_http_xfer x;
	struct sf_sigv4_header *hv;
	struct sf_sigv4_request sr;
	struct sf_sigv4_credentials sc;
	struct sf_sigv4_config cfg;
	struct sf_sigv4_result res;
	struct sf_aws_creds cr;
	struct sf_buf url = SF_BUF_INIT;
	const char *v;
	size_t i;
	int rc;

	if ((rc = get_creds(s, &cr, err)))
		return rc;
	sf_http_headers_add(&h, "host", s->host);
	if (q->body)
		sf_http_headers_add(&h, "content-type", "application/json");
	if (q->if_match)
		sf_http_headers_add(&h, "if-match", q->if_match);
	if (q->if_none_match)
		sf_http_headers_add(&h, "if-none-match", "*");

	hv = sf_xcalloc(h.n, sizeof(*hv));
	for (i = 0; i < h.n; i++) {
		hv[i].name = h.v[i].name;
		hv[i].value = h.v[i].value;
	}
	memset(&sr, 0, sizeof(sr));
	sr.method = q->method;
	sr.path = path;
	sr.query = q->query;
	sr.headers = hv;
	sr.nheaders = h.n;
	sr.body = q->body;
	sr.body_len = q->len;
	sf_sigv4_credentials_init(
	    &sc, cr.access_key_id, cr.secret_access_key, cr.session_token);
	sf_aws_creds_release(&cr);
	sf_sigv4_config_init(
	    &cfg, s->region, "s3", (time_t)(sf_state_now(&s->base.env) / 1000));
	sf_sigv4_config_s3(&cfg);
	memset(&res, 0, sizeof(res));
	rc = sf_sigv4_sign(&res, &sr, &sc, &cfg, err);
	sf_sigv4_credentials_release(&sc);
	free(hv);
	for (i = 0; rc == SF_OK && i < res.nheaders; i++)
		sf_http_headers_add(
		    &h, res.headers[i].name, res.headers[i].value);
	sf_sigv4_result_release(&res);
	if (rc) {
		sf_http_headers_release(&h);
		return rc;
	}

	sf_buf_addf(&url, "%s%s%s%s", s->origin, path,
	    q->query && *q->query ? "?" : "", q->query ? q->query : "");
	memset(&x, 0, sizeof(x));
	x.method = q->method;
	x.url = url.buf;
	x.headers = &h;
	x.body = q->body;
	x.body_len = q->len;
	x.body_cap = q->cap;
	x.fresh_connection = q->once;
	rc = sf_http_perform(s->http, &x, NULL);
	if (rc || x.outcome != SF_HTTP_DONE) {
		rc = sf_error(err, SF_ERROR, s->base.where, "%s %s: %s",
		    q->method, url.buf, x.error[0] ? x.error : "no answer");
		if (x.outcome == SF_HTTP_TOO_LARGE)
			rc = sf_error(err, SF_ERROR, s->base.where,
			    "%s %s: the answer is larger than %zu bytes",
			    q->method, url.buf, q->cap);
		/* Connection failures are worth another try. */
		if (x.outcome == SF_HTTP_CONNECT_ERROR ||
		    x.outcome == SF_HTTP_TIMEOUT)
			rc = SF_EINTR;
	} else {
		r->status = x.status;
		sf_buf_release(&r->body);
		r->body = x.resp_body;
		sf_buf_init(&x.resp_body, 0);
		if ((v = sf_http_headers_get(&x.resp_headers, "etag")))
			snprintf(r->etag, sizeof(r->etag), "%s", v);
		if ((v = sf_http_headers_get(
		         &x.resp_headers, "x-amz-request-id")))
			snprintf(r->request_id, sizeof(r->request_id), "%s", v);
		if (r->status >= 300 && r->body.len) {
			xml_field(&r->body, "Code", r->code, sizeof(r->code));
			xml_field(&r->body, "Message", r->message,
			    sizeof(r->message));
			if (!r->request_id[0])
				xml_field(&r->body, "RequestId", r->request_id,
				    sizeof(r->request_id));
		}
	}
	sf_http_xfer_release(&x);
	sf_http_headers_release(&h);
	sf_buf_release(&url);
	return rc;
}

/*
 * One request, tried again after a dropped connection, a 500 or a 503
 * (SlowDown) unless q->once. 0 when an answer arrived, whatever its status.
 */
static int
s3_call(struct sf_s3 *s, const struct s3_req *q, struct s3_resp *r,
    struct sf_err *err)
{
	struct sf_buf path = SF_BUF_INIT;
	int attempt, rc = 0;

	wire_path(s, q->key, &path);
	for (attempt = 1;; attempt++) {
		resp_release(r);
		rc = s3_attempt(s, q, path.buf, r, err);
		if (rc && rc != SF_EINTR)
			break;
		if (!rc && r->status != 500 && r->status != 503)
			break;
		if (q->once || attempt >= MAX_ATTEMPTS) {
			if (rc == SF_EINTR) {
				if (err)
					err->code = SF_ERROR;
				rc = SF_ERROR;
			}
			break;
		}
		sf_state_sleep(&s->base.env, (int64_t)100 << attempt);
	}
	sf_buf_release(&path);
	return rc;
}

/* err from an answer S3 did not like: "what: Code (403): Message [request
 * id X]". */
static int
s3_fail(struct sf_s3 *s, const struct s3_resp *r, enum sf_code code,
    const char *where, const char *what, struct sf_err *err)
{
	struct sf_buf b = SF_BUF_INIT;
	int rc;

	if (r->status == 404 && !strcmp(r->code, "NoSuchBucket")) {
		code = SF_ERROR;
		sf_buf_addf(&b,
		    "bucket %s does not exist (region %s); create it, or "
		    "fix the bucket or region of the s3 backend",
		    s->bucket, s->region);
	} else {
		sf_buf_addf(&b, "%s: %s (%ld)", what,
		    r->code[0] ? r->code : "error", r->status);
		if (r->message[0])
			sf_buf_addf(&b, ": %s", r->message);
	}
	if (r->request_id[0])
		sf_buf_addf(&b, " [request id %s]", r->request_id);
	rc = sf_error(err, code, where, "%s", b.buf);
	sf_buf_release(&b);
	return rc;
}

static bool
no_such_key(const struct s3_resp *r)
{
	return r->status == 404 && strcmp(r->code, "NoSuchBucket");
}

/* ---- the state ---- */

static int
s3_read(struct sf_storage *st, struct sf_buf *out, struct sf_storage_ver *ver,
    struct sf_err *err)
{
	struct sf_s3 *s = s3(st);
	struct s3_req q = {
		.method = "GET", .key = s->key, .cap = SF_STATE_MAX
	};
	struct s3_resp r;
	int rc;

	memset(&r, 0, sizeof(r));
	sf_buf_init(&r.body, 0);
	ver->tag[0] = '\0';
	if ((rc = s3_call(s, &q, &r, err)))
		goto out;
	if (r.status == 200) {
		if (!r.etag[0]) {
			rc = sf_error(err, SF_ERROR, st->state_name,
			    "S3 answered without an ETag");
			goto out;
		}
		sf_buf_add(out, r.body.buf, r.body.len);
		snprintf(ver->tag, sizeof(ver->tag), "%s", r.etag);
	} else if (no_such_key(&r)) {
		rc =
		    sf_error(err, SF_ENOTFOUND, st->state_name, "no state yet");
	} else {
		rc = s3_fail(s, &r, SF_ERROR, st->state_name,
		    "cannot read the state", err);
	}
out:
	resp_release(&r);
	sf_buf_release(&r.body);
	return rc;
}

static int
s3_write(struct sf_storage *st, const char *data, size_t len,
    const struct sf_storage_ver *expect, struct sf_storage_ver *now,
    struct sf_err *err)
{
	struct sf_s3 *s = s3(st);
	bool fresh = !expect->tag[0];
	struct s3_req q = { .method = "PUT",
		.key = s->key,
		.if_match = fresh ? NULL : expect->tag,
		.if_none_match = fresh,
		.body = data ? data : "",
		.len = len,
		.cap = LOCK_MAX,
		.once = true };
	struct s3_resp r;
	int rc;

	memset(&r, 0, sizeof(r));
	sf_buf_init(&r.body, 0);
	if ((rc = s3_call(s, &q, &r, err)))
		goto out;
	if (r.status == 200 && r.etag[0]) {
		snprintf(now->tag, sizeof(now->tag), "%s", r.etag);
	} else if (r.status == 200) {
		rc = sf_error(err, SF_ERROR, st->state_name,
		    "S3 answered without an ETag");
	} else if (r.status == 412 || r.status == 409 ||
	           (!fresh && no_such_key(&r))) {
		if (fresh)
			rc = sf_error(err, SF_ECONFLICT, st->state_name,
			    "another command created the state in s3://%s/%s "
			    "since this one found none; run the command again",
			    s->bucket, s->key);
		else if (r.status == 404)
			rc = sf_error(err, SF_ECONFLICT, st->state_name,
			    "the state in s3://%s/%s was removed since it was "
			    "read; run the command again",
			    s->bucket, s->key);
		else
			rc = sf_error(err, SF_ECONFLICT, st->state_name,
			    "the state in s3://%s/%s changed since it was "
			    "read: another command wrote it; run the command "
			    "again",
			    s->bucket, s->key);
	} else {
		rc = s3_fail(s, &r, SF_ERROR, st->state_name,
		    "cannot write the state", err);
	}
out:
	resp_release(&r);
	sf_buf_release(&r.body);
	return rc;
}

/* ---- the lock ---- */

/* The lock's record and the ETag of its object: SF_ENOTFOUND without a
 * lock, SF_EINVALID when it is not one of ours. */
static int
read_lock(struct sf_s3 *s, struct sf_lock_info *li,
    char etag[SF_STORAGE_VER_MAX], struct sf_err *err)
{
	struct s3_req q = {
		.method = "GET", .key = s->lock_key, .cap = LOCK_MAX
	};
	struct s3_resp r;
	int rc;

	memset(&r, 0, sizeof(r));
	sf_buf_init(&r.body, 0);
	if ((rc = s3_call(s, &q, &r, err)))
		goto out;
	if (no_such_key(&r)) {
		rc = sf_error(err, SF_ENOTFOUND, s->base.where,
		    "the state is not locked");
	} else if (r.status != 200) {
		rc = s3_fail(s, &r, SF_ERROR, s->base.where,
		    "cannot read the lock", err);
	} else if (sf_lock_decode(r.body.buf, r.body.len, li)) {
		rc = sf_error(err, SF_EINVALID, s->base.where,
		    "the lock object s3://%s/%s is not one sandform wrote; if "
		    "no sandform is running, remove it by hand",
		    s->bucket, s->lock_key);
	} else if (etag) {
		snprintf(etag, SF_STORAGE_VER_MAX, "%s", r.etag);
	}
out:
	resp_release(&r);
	sf_buf_release(&r.body);
	return rc;
}

/* Remove the lock object, if it is still the one of etag. */
static int
delete_lock(struct sf_s3 *s, const char *etag, struct sf_err *err)
{
	struct s3_req q = { .method = "DELETE",
		.key = s->lock_key,
		.if_match = etag && *etag ? etag : NULL,
		.cap = LOCK_MAX };
	struct s3_resp r;
	int rc;

	memset(&r, 0, sizeof(r));
	sf_buf_init(&r.body, 0);
	rc = s3_call(s, &q, &r, err);
	if (!rc && r.status == 412)
		rc = sf_error(err, SF_ECONFLICT, s->base.where,
		    "the lock changed while it was being removed; look again "
		    "with `sandform force-unlock`");
	else if (!rc && r.status != 204 && r.status != 200 && !no_such_key(&r))
		rc = s3_fail(s, &r, SF_ERROR, s->base.where,
		    "cannot remove the lock", err);
	resp_release(&r);
	sf_buf_release(&r.body);
	return rc;
}

static int
s3_lock(struct sf_storage *st, const struct sf_lock_req *req,
    struct sf_buf *warn, struct sf_err *err)
{
	struct sf_s3 *s = s3(st);
	struct sf_lock_info me, held;
	struct sf_buf text = SF_BUF_INIT;
	struct s3_resp r;
	int64_t start, now, timeout = req->timeout_ms > 0 ? req->timeout_ms : 0;
	int rc, vanished = 0;

	(void)warn; /* no stale locks are taken over: hosts differ */
	memset(&r, 0, sizeof(r));
	sf_buf_init(&r.body, 0);
	memset(&me, 0, sizeof(me));
	sf_state_uuid(&st->env, me.id);
	me.pid = (int64_t)getpid();
	snprintf(me.host, sizeof(me.host), "%s", s->holder_host);
	snprintf(me.command, sizeof(me.command), "%s",
	    req->command && *req->command ? req->command : "sandform");
	start = me.started = sf_state_now(&st->env);
	sf_lock_encode(&me, &text);

	for (;;) {
		struct s3_req q = { .method = "PUT",
			.key = s->lock_key,
			.if_none_match = true,
			.body = text.buf,
			.len = text.len,
			.cap = LOCK_MAX,
			.once = true };

		if ((rc = s3_call(s, &q, &r, err)))
			break;
		if (r.status == 200) {
			snprintf(
			    s->lock_etag, sizeof(s->lock_etag), "%s", r.etag);
			st->locked = true;
			st->lock = me;
			break;
		}
		if (r.status != 412 && r.status != 409) {
			rc = s3_fail(s, &r, SF_ERROR, st->where,
			    "cannot create the lock", err);
			break;
		}
		rc = read_lock(s, &held, NULL, err);
		if (rc && rc != SF_ENOTFOUND && rc != SF_EINVALID)
			break;
		if (rc == SF_ENOTFOUND && ++vanished <= 3)
			continue; /* it went: try again at once */
		now = sf_state_now(&st->env);
		if (now - start >= timeout) {
			if (!rc)
				rc = sf_lock_conflict(
				    err, s->base.where, &held, now - start);
			else if (rc == SF_ENOTFOUND)
				rc = sf_error(err, SF_ECONFLICT, st->where,
				    "the lock came and went; try again");
			else
				rc = SF_ECONFLICT; /* err says what it is */
			if (err)
				err->code = SF_ECONFLICT;
			break;
		}
		sf_state_sleep(&st->env, timeout - (now - start) < POLL_MS
		                             ? timeout - (now - start)
		                             : POLL_MS);
	}
	resp_release(&r);
	sf_buf_release(&r.body);
	sf_buf_release(&text);
	return rc;
}

static int
s3_unlock(struct sf_storage *st, struct sf_err *err)
{
	struct sf_s3 *s = s3(st);
	struct sf_lock_info held;
	char etag[SF_STORAGE_VER_MAX] = "";
	int rc;

	st->locked = false;
	rc = read_lock(s, &held, etag, err);
	if (rc == SF_ENOTFOUND)
		return sf_error(err, SF_ECONFLICT, st->where,
		    "our lock (ID %s) was removed while we held it; was "
		    "`sandform force-unlock` run?",
		    st->lock.id);
	if (rc)
		return rc;
	if (strcmp(held.id, st->lock.id)) {
		struct sf_buf b = SF_BUF_INIT;

		sf_lock_describe(&b, &held);
		rc = sf_error(err, SF_ECONFLICT, st->where,
		    "our lock (ID %s) was replaced while we held it; it is "
		    "now held by %s",
		    st->lock.id, b.buf);
		sf_buf_release(&b);
		return rc;
	}
	return delete_lock(s, etag, err);
}

static int
s3_lock_info(
    struct sf_storage *st, struct sf_lock_info *info, struct sf_err *err)
{
	return read_lock(s3(st), info, NULL, err);
}

static int
s3_force_unlock(struct sf_storage *st, const char *id, struct sf_lock_info *was,
    struct sf_err *err)
{
	struct sf_s3 *s = s3(st);
	char etag[SF_STORAGE_VER_MAX] = "";
	int rc;

	if ((rc = read_lock(s, was, etag, err)))
		return rc;
	if (strcmp(was->id, id))
		return sf_error(err, SF_EINVALID, st->where,
		    "the lock's ID is %s, not %.40s: nothing was removed",
		    was->id, id);
	return delete_lock(s, etag, err);
}

/* ---- run records ---- */

static char *
run_key(struct sf_s3 *s, const char *job, const char *run)
{
	if (!run)
		return sf_xasprintf("%s%s/", s->runs_prefix, job);
	return sf_xasprintf("%s%s/%s.json", s->runs_prefix, job, run);
}

static char *
run_name(struct sf_s3 *s, const char *key)
{
	return sf_xasprintf("s3://%s/%s", s->bucket, key);
}

static int
s3_put_run(struct sf_storage *st, const char *job, const char *run,
    const char *data, size_t len, struct sf_err *err)
{
	struct sf_s3 *s = s3(st);
	char *key = run_key(s, job, run), *name;
	struct s3_req q = { .method = "PUT",
		.key = key,
		.body = data ? data : "",
		.len = len,
		.cap = LOCK_MAX };
	struct s3_resp r;
	int rc;

	memset(&r, 0, sizeof(r));
	sf_buf_init(&r.body, 0);
	rc = s3_call(s, &q, &r, err);
	if (!rc && r.status != 200) {
		name = run_name(s, key);
		rc = s3_fail(s, &r, SF_ERROR, name, "cannot write", err);
		free(name);
	}
	resp_release(&r);
	sf_buf_release(&r.body);
	free(key);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the run ids of the <Key>s of a ListObjectsV2 page under prefix. */
static void
collect_runs(const struct sf_buf *doc, const char *prefix, char ***runs,
    size_t *n, size_t *alloc)
{
	struct sf_buf k = SF_BUF_INIT;
	size_t pos = 0, pl = strlen(prefix);

	while (xml_next(doc->buf, doc->len, &pos, "Key", &k)) {
		if (sf_str_has_prefix(k.buf, prefix) &&
		    sf_str_has_suffix(k.buf + pl, ".json")) {
			char *id = sf_xstrndup(k.buf + pl, k.len - pl - 5);

			if (sf_storage_run_id_ok(id)) {
				SF_ALLOC_GROW(*runs, *n + 1, *alloc);
				(*runs)[(*n)++] = id;
			} else {
				free(id);
			}
		}
		sf_buf_reset(&k);
	}
	sf_buf_release(&k);
}

static int
s3_list_runs(struct sf_storage *st, const char *job, char ***runs, size_t *n,
    struct sf_err *err)
{
	struct sf_s3 *s = s3(st);
	char *prefix = run_key(s, job, NULL);
	struct sf_buf query = SF_BUF_INIT, token = SF_BUF_INIT,
	              trunc = SF_BUF_INIT;
	struct s3_resp r;
	size_t alloc = 0, pages = 0;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	sf_buf_init(&r.body, 0);
	for (;;) {
		struct s3_req q = { .method = "GET", .cap = LIST_MAX };
		size_t pos = 0;

		sf_buf_reset(&query);
		if (token.len) {
			sf_buf_adds(&query, "continuation-token=");
			sf_sigv4_uri_encode(
			    &query, token.buf, token.len, false);
			sf_buf_addch(&query, '&');
		}
		sf_buf_adds(&query, "list-type=2&prefix=");
		sf_sigv4_uri_encode(&query, prefix, strlen(prefix), false);
		q.query = query.buf;
		if ((rc = s3_call(s, &q, &r, err)))
			break;
		if (r.status != 200) {
			rc = s3_fail(s, &r, SF_ERROR, st->where,
			    "cannot list the run records", err);
			break;
		}
		collect_runs(&r.body, prefix, runs, n, &alloc);
		sf_buf_reset(&trunc);
		sf_buf_reset(&token);
		xml_next(r.body.buf, r.body.len, &pos, "IsTruncated", &trunc);
		pos = 0;
		if (strcmp(trunc.buf, "true"))
			break;
		if (!xml_next(r.body.buf, r.body.len, &pos,
		        "NextContinuationToken", &token) ||
		    !token.len) {
			rc = sf_error(err, SF_ERROR, st->where,
			    "S3 listed a truncated page without a "
			    "continuation token");
			break;
		}
		if (++pages > 100000) {
			rc = sf_error(err, SF_ERROR, st->where,
			    "too many pages listing the run records");
			break;
		}
	}
	if (rc) {
		sf_storage_runs_free(*runs, *n);
		*runs = NULL;
		*n = 0;
	} else if (*n > 1) {
		qsort(*runs, *n, sizeof(**runs), cmp_str);
	}
	resp_release(&r);
	sf_buf_release(&r.body);
	sf_buf_release(&query);
	sf_buf_release(&token);
	sf_buf_release(&trunc);
	free(prefix);
	return rc;
}

static int
s3_get_run(struct sf_storage *st, const char *job, const char *run,
    struct sf_buf *out, struct sf_err *err)
{
	struct sf_s3 *s = s3(st);
	char *key = run_key(s, job, run), *name = run_name(s, key);
	struct s3_req q = { .method = "GET", .key = key, .cap = RUN_MAX };
	struct s3_resp r;
	int rc;

	memset(&r, 0, sizeof(r));
	sf_buf_init(&r.body, 0);
	rc = s3_call(s, &q, &r, err);
	if (!rc && r.status == 200)
		sf_buf_add(out, r.body.buf, r.body.len);
	else if (!rc && no_such_key(&r))
		rc = sf_error(
		    err, SF_ENOTFOUND, name, "no run %s of job %s", run, job);
	else if (!rc)
		rc = s3_fail(s, &r, SF_ERROR, name, "cannot read", err);
	resp_release(&r);
	sf_buf_release(&r.body);
	free(name);
	free(key);
	return rc;
}

static int
s3_delete_run(
    struct sf_storage *st, const char *job, const char *run, struct sf_err *err)
{
	struct sf_s3 *s = s3(st);
	char *key = run_key(s, job, run), *name = run_name(s, key);
	struct s3_req head = { .method = "HEAD", .key = key, .cap = LOCK_MAX };
	struct s3_req del = { .method = "DELETE", .key = key, .cap = LOCK_MAX };
	struct s3_resp r;
	int rc;

	memset(&r, 0, sizeof(r));
	sf_buf_init(&r.body, 0);
	/* S3 deletes what is not there without a word: look first. */
	rc = s3_call(s, &head, &r, err);
	if (!rc && r.status == 404) {
		r.code[0] = '\0'; /* a HEAD has no body to say which 404 */
		rc = sf_error(
		    err, SF_ENOTFOUND, name, "no run %s of job %s", run, job);
	} else if (!rc && r.status != 200) {
		rc = s3_fail(s, &r, SF_ERROR, name, "cannot read", err);
	}
	if (!rc) {
		rc = s3_call(s, &del, &r, err);
		if (!rc && r.status != 204 && r.status != 200)
			rc = s3_fail(
			    s, &r, SF_ERROR, name, "cannot remove", err);
	}
	resp_release(&r);
	sf_buf_release(&r.body);
	free(name);
	free(key);
	return rc;
}

static void
s3_free(struct sf_storage *st)
{
	struct sf_s3 *s = s3(st);

	free(s->bucket);
	free(s->key);
	free(s->region);
	free(s->lock_key);
	free(s->runs_prefix);
	free(s->origin);
	free(s->host);
	free(s->holder_host);
	if (s->own_creds)
		sf_creds_chain_free(s->creds);
	if (s->have_fixed)
		sf_aws_creds_release(&s->fixed);
	if (s->own_http)
		sf_http_free(s->http);
	free(st->where);
	free(st->state_name);
	free(s);
}

static const struct sf_storage_ops s3_ops = {
	.name = "s3",
	.read = s3_read,
	.write = s3_write,
	.lock = s3_lock,
	.unlock = s3_unlock,
	.lock_info = s3_lock_info,
	.force_unlock = s3_force_unlock,
	.put_run = s3_put_run,
	.list_runs = s3_list_runs,
	.get_run = s3_get_run,
	.delete_run = s3_delete_run,
	.free = s3_free,
};

/* The bucket as a DNS label (virtual-hosted style works for it). */
static bool
dns_bucket(const char *b)
{
	size_t i;

	for (i = 0; b[i]; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') ||
		        (b[i] >= '0' && b[i] <= '9') || b[i] == '-'))
			return false;
	return i >= 3 && i <= 63;
}

struct sf_storage *
sf_storage_s3_new(const struct sf_storage_s3_opts *o, struct sf_err *err)
{
	struct sf_s3 *s;
	const char *key =
	    o->key && *o->key ? o->key : SF_STORAGE_S3_DEFAULT_KEY;
	const char *region = o->region && *o->region ? o->region : "us-east-1";
	const char *hs, *he;
	char host[256];
	size_t kl = strlen(key);

	if (!o->bucket || !*o->bucket || strchr(o->bucket, '/')) {
		sf_error(err, SF_EINVALID, "s3",
		    "the s3 backend needs a bucket "
		    "name (without '/')");
		return NULL;
	}
	if (key[0] == '/' || key[kl - 1] == '/') {
		sf_error(err, SF_EINVALID, "s3",
		    "the state's key \"%.100s\" may not begin or end with '/'",
		    key);
		return NULL;
	}
	if (o->endpoint && *o->endpoint && !strstr(o->endpoint, "://")) {
		sf_error(err, SF_EINVALID, "s3",
		    "the endpoint \"%.100s\" is not a URL (http://host:port)",
		    o->endpoint);
		return NULL;
	}
	s = sf_xcalloc(1, sizeof(*s));
	s->base.ops = &s3_ops;
	s->bucket = sf_xstrdup(o->bucket);
	s->key = sf_xstrdup(key);
	s->region = sf_xstrdup(region);
	s->lock_key = sf_xasprintf("%s.lock", key);
	if (sf_str_has_suffix(key, ".json"))
		s->runs_prefix = sf_xasprintf("%.*s.runs/", (int)(kl - 5), key);
	else
		s->runs_prefix = sf_xasprintf("%s.runs/", key);
	if (o->endpoint && *o->endpoint) {
		size_t el = strlen(o->endpoint);

		while (el && o->endpoint[el - 1] == '/')
			el--;
		s->origin = sf_xstrndup(o->endpoint, el);
		s->path_style = true;
	} else if (dns_bucket(s->bucket)) {
		s->origin = sf_xasprintf(
		    "https://%s.s3.%s.amazonaws.com", s->bucket, region);
	} else {
		s->origin = sf_xasprintf("https://s3.%s.amazonaws.com", region);
		s->path_style = true;
	}
	hs = strstr(s->origin, "://") + 3;
	he = strchr(hs, '/');
	s->host = he ? sf_xstrndup(hs, (size_t)(he - hs)) : sf_xstrdup(hs);
	if (he) {
		/* An endpoint with a path: keep only scheme://host. */
		char *origin = sf_xstrndup(s->origin, (size_t)(he - s->origin));

		free(s->origin);
		s->origin = origin;
	}
	s->base.where = sf_xasprintf("s3://%s/%s", s->bucket, s->key);
	s->base.state_name = sf_xasprintf("s3://%s/%s", s->bucket, s->key);
	s->base.env = o->env;
	if (o->host && *o->host) {
		s->holder_host = sf_xstrdup(o->host);
	} else {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		s->holder_host = sf_xstrdup(host);
	}
	if (o->http) {
		s->http = o->http;
	} else {
		struct sf_http_opts ho;

		memset(&ho, 0, sizeof(ho));
		ho.user_agent = "sandform";
		ho.log = o->log;
		ho.log_ud = o->log_ud;
		s->http = sf_http_new(&ho);
		s->own_http = true;
	}
	if (o->creds) {
		s->creds = o->creds;
	} else if (o->access_key_id && *o->access_key_id) {
		struct sf_aws_creds c;

		memset(&c, 0, sizeof(c));
		c.access_key_id = (char *)(uintptr_t)o->access_key_id;
		c.secret_access_key =
		    (char *)(uintptr_t)(o->secret_access_key
		                            ? o->secret_access_key
		                            : "");
		c.session_token = (char *)(uintptr_t)o->session_token;
		snprintf(c.source, sizeof(c.source), "static");
		sf_aws_creds_copy(&s->fixed, &c);
		s->have_fixed = true;
	} else {
		struct sf_creds_env ce;

		memset(&ce, 0, sizeof(ce));
		ce.http = s->http;
		s->creds = sf_creds_chain_new(o->profile, &ce);
		s->own_creds = true;
	}
	return &s->base;
}
