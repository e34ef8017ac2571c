/*
 * The router: from a request to an answer, with no socket. In order:
 * request id and Date, injected faults, the route (404
 * UnknownOperationException for anything else), the payload cap, SigV4,
 * the request-rate quota, the query and the JSON body, then the
 * operation (server_ops.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local/server_internal.h"
#include "provider/aws/sigv4.h"
#include "util/fs.h"
#include "util/time.h"

#define SIGNING_NAME "bedrock-agentcore"

/* ---- clock and randomness ---- */

static int64_t
real_now_ms(void *ud)
{
	struct timespec ts;

	(void)ud;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
real_random(void *ud)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static int fd = -1;
	uint64_t v = 0;
	size_t got = 0;

	(void)ud;
	pthread_mutex_lock(&mu);
	if (fd < 0)
		fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && got < sizeof(v)) {
		ssize_t n = read(fd, (char *)&v + got, sizeof(v) - got);

		if (n <= 0 && errno != EINTR)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	pthread_mutex_unlock(&mu);
	if (got < sizeof(v))
		sf_die("local: cannot read /dev/urandom");
	return v;
}

int64_t
sf_local_now(struct sf_local_server *s)
{
	return s->clock.now_ms(s->clock.ud);
}

uint64_t
sf_local_random(struct sf_local_server *s)
{
	return s->clock.random(s->clock.ud);
}

/* splitmix64: the faults' own deterministic sequence. */
static uint64_t
splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- replies ---- */

void
sf_local_reply_header(
    struct sf_local_response *r, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name)) {
			free(r->headers[i].value);
			r->headers[i].value = sf_xstrdup(value);
			return;
		}
	if (r->nheaders >= SF_LOCAL_MAX_RESP_HEADERS)
		sf_die("local: too many response headers");
	r->headers[r->nheaders].name = sf_xstrdup(name);
	r->headers[r->nheaders].value = sf_xstrdup(value);
	r->nheaders++;
}

const char *
sf_local_response_header(const struct sf_local_response *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

void
sf_local_response_release(struct sf_local_response *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	sf_buf_release(&r->body);
	r->nheaders = 0;
}

static void
set_body(struct sf_local_response *r, json_t *body)
{
	char *text;

	sf_buf_reset(&r->body);
	if (!body)
		return;
	text = json_dumps(body, JSON_COMPACT);
	if (!text)
		sf_die("out of memory writing JSON");
	sf_buf_adds(&r->body, text);
	free(text);
	json_decref(body);
	sf_local_reply_header(r, "Content-Type", "application/json");
}

void
sf_local_reply_json(struct sf_local_ctx *c, int status, json_t *body)
{
	c->resp->status = status;
	set_body(c->resp, body);
}

void
sf_local_reply_error_json(
    struct sf_local_response *r, int status, const char *type, json_t *body)
{
	r->status = status;
	set_body(r, body);
	sf_local_reply_header(r, "X-Amzn-ErrorType", type);
}

static void
error_to(
    struct sf_local_response *r, int status, const char *type, const char *msg)
{
	sf_local_reply_error_json(
	    r, status, type, json_pack("{s:s}", "message", msg));
}

void
sf_local_reply_error(
    struct sf_local_ctx *c, int status, const char *type, const char *fmt, ...)
{
	struct sf_buf m = SF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sf_buf_vaddf(&m, fmt, ap);
	va_end(ap);
	error_to(c->resp, status, type, m.buf);
	sf_buf_release(&m);
}

/* ---- the registry lock and what follows it ---- */

void
sf_local_ctx_begin(struct sf_local_ctx *c)
{
	struct sf_local_server *s = c->s;

	sf_local_registry_lock(&s->reg);
	c->locked = true;
	sf_local_registry_advance(&s->reg, c->now, false, s->backend.ops,
	    &c->ci_ids, &c->sess_ids, &c->stop);
}

void
sf_local_rmtree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path))) {
		while ((de = readdir(d))) {
			char *p;

			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			p = sf_fs_join(path, de->d_name);
			sf_local_rmtree(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(path);
}

void
sf_local_stop_all(struct sf_local_server *s, struct sf_local_stopv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		if (v->v[i].bs && s->backend.ops && s->backend.ops->stop)
			s->backend.ops->stop(v->v[i].bs);
		if (v->v[i].work_dir)
			sf_local_rmtree(v->v[i].work_dir);
	}
	sf_local_stopv_release(v);
}

void
sf_local_ctx_end(struct sf_local_ctx *c)
{
	struct sf_local_server *s = c->s;
	size_t i;

	if (c->locked) {
		sf_local_registry_unlock(&s->reg);
		c->locked = false;
	}
	for (i = 0; i < c->ci_ids.n; i++) {
		struct sf_err err;

		if (sf_local_registry_persist_ci(&s->reg, c->ci_ids.v[i], &err))
			s->log ? s->log(s->log_ud, err.msg) : (void)0;
	}
	for (i = 0; i < c->sess_ids.n; i++)
		sf_local_registry_persist_session(
		    &s->reg, c->sess_ids.v[i], NULL);
	sf_local_strv_release(&c->ci_ids);
	sf_local_strv_release(&c->sess_ids);
	sf_local_stop_all(s, &c->stop);
}

const char *
sf_local_ctx_query(const struct sf_local_ctx *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nq; i++)
		if (!strcmp(c->q[i].key, key))
			return c->q[i].value;
	return NULL;
}

const char *
sf_local_ctx_header(const struct sf_local_ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->req->nheaders; i++)
		if (!strcasecmp(c->req->headers[i].name, name))
			return c->req->headers[i].value;
	return NULL;
}

/* ---- routes ---- */

struct route {
	const char *method;
	const char *path; /* '*' segments are labels */
	enum sf_local_op op;
	const char *name;
	bool body;   /* has JSON body members */
	bool mutate; /* the 5 per second quota */
	void (*fn)(struct sf_local_ctx *c);
};

static const struct route routes[] = {
	{ "PUT", "/code-interpreters", SF_OP_CREATE, "CreateCodeInterpreter",
	    true, true, sf_local_op_create },
	{ "POST", "/code-interpreters", SF_OP_LIST, "ListCodeInterpreters",
	    false, false, sf_local_op_list },
	{ "GET", "/code-interpreters/*", SF_OP_GET, "GetCodeInterpreter", false,
	    false, sf_local_op_get },
	{ "DELETE", "/code-interpreters/*", SF_OP_DELETE,
	    "DeleteCodeInterpreter", false, true, sf_local_op_delete },
	{ "POST", "/tags/*", SF_OP_TAG, "TagResource", true, false,
	    sf_local_op_tag },
	{ "DELETE", "/tags/*", SF_OP_UNTAG, "UntagResource", false, false,
	    sf_local_op_untag },
	{ "GET", "/tags/*", SF_OP_LIST_TAGS, "ListTagsForResource", false,
	    false, sf_local_op_list_tags },
	{ "PUT", "/code-interpreters/*/sessions/start", SF_OP_START,
	    "StartCodeInterpreterSession", true, false, sf_local_op_start },
	{ "GET", "/code-interpreters/*/sessions/get", SF_OP_GET_SESSION,
	    "GetCodeInterpreterSession", false, false,
	    sf_local_op_get_session },
	{ "POST", "/code-interpreters/*/sessions/list", SF_OP_LIST_SESSIONS,
	    "ListCodeInterpreterSessions", true, false,
	    sf_local_op_list_sessions },
	{ "PUT", "/code-interpreters/*/sessions/stop", SF_OP_STOP,
	    "StopCodeInterpreterSession", true, false, sf_local_op_stop },
	{ "POST", "/code-interpreters/*/tools/invoke", SF_OP_INVOKE,
	    "InvokeCodeInterpreter", true, false, sf_local_op_invoke },
	{ "GET", SF_LOCAL_STATUS_PATH, SF_OP_STATUS, "SandformStatus", false,
	    false, sf_local_op_status },
};

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n); NULL when it decodes to a NUL byte. A '%' that
 * starts no escape stays as it is. */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = sf_xmalloc(n + 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n && (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0) {
			out[o] = (char)(hi * 16 + lo);
			if (!out[o]) {
				free(out);
				return NULL;
			}
			o++;
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* Match path (raw, no query) against a route's; labels get decoded. */
static int
match_route(
    const struct route *rt, const char *path, char **labels, size_t *nlabels)
{
	const char *p = path, *t = rt->path;

	*nlabels = 0;
	for (;;) {
		const char *pe, *te;

		if (*p != '/' || *t != '/')
			break;
		p++;
		t++;
		pe = strchr(p, '/');
		te = strchr(t, '/');
		if (!pe)
			pe = p + strlen(p);
		if (!te)
			te = t + strlen(t);
		if (te - t == 1 && *t == '*') {
			if (pe == p || *nlabels >= 2)
				goto fail;
			labels[*nlabels] = pct_decode(p, (size_t)(pe - p));
			if (!labels[*nlabels])
				goto fail;
			(*nlabels)++;
		} else if (pe - p != te - t || memcmp(p, t, (size_t)(te - t))) {
			goto fail;
		}
		p = pe;
		t = te;
		if (!*p && !*t)
			return 0;
	}
fail:
	while (*nlabels)
		free(labels[--*nlabels]);
	return -1;
}

static void
parse_query(struct sf_local_ctx *c, const char *q)
{
	size_t alloc = 0;

	while (q && *q) {
		const char *amp = strchr(q, '&'), *eq;
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		char *k, *v;

		eq = memchr(q, '=', n);
		k = pct_decode(q, eq ? (size_t)(eq - q) : n);
		v = eq ? pct_decode(eq + 1, n - (size_t)(eq - q) - 1)
		       : sf_xstrdup("");
		if (k && v && *k) {
			SF_ALLOC_GROW(c->q, c->nq + 1, alloc);
			c->q[c->nq].key = k;
			c->q[c->nq].value = v;
			c->nq++;
		} else {
			free(k);
			free(v);
		}
		q = amp ? amp + 1 : NULL;
	}
}

/* ---- authentication ---- */

static int
keyring_lookup(void *ctx, const char *akid, struct sf_sigv4_credentials *out,
    struct sf_err *err)
{
	struct sf_local_server *s = ctx;
	size_t i;

	(void)err;
	for (i = 0; i < s->nkeys; i++)
		if (!strcmp(s->keys[i].access_key_id, akid)) {
			sf_sigv4_credentials_init(out, akid,
			    s->keys[i].secret_access_key,
			    s->keys[i].session_token);
			return SF_OK;
		}
	return SF_ENOTFOUND;
}

/* 0 when the request is authentic; else the answer is made. */
static int
authenticate(struct sf_local_ctx *c, const char *path, const char *query)
{
	struct sf_local_server *s = c->s;
	struct sf_sigv4_header *hv;
	struct sf_sigv4_request sr;
	struct sf_sigv4_verifier v;
	struct sf_sigv4_keyring kr = { keyring_lookup, s };
	struct sf_sigv4_check chk;
	struct sf_err err;
	size_t i;
	int rc;

	if (s->no_auth)
		return 0;
	hv = sf_xcalloc(c->req->nheaders + 1, sizeof(*hv));
	for (i = 0; i < c->req->nheaders; i++) {
		hv[i].name = c->req->headers[i].name;
		hv[i].value = c->req->headers[i].value;
	}
	memset(&sr, 0, sizeof(sr));
	sr.method = c->req->method;
	sr.path = path;
	sr.query = query;
	sr.headers = hv;
	sr.nheaders = c->req->nheaders;
	sr.body = c->req->body;
	sr.body_len = c->req->body_len;
	sf_sigv4_verifier_init(
	    &v, s->region, SIGNING_NAME, (time_t)(c->now / 1000), &kr);
	memset(&chk, 0, sizeof(chk));
	rc = sf_sigv4_verify(&chk, &sr, &v, &err);
	if (rc == SF_EINVALID)
		error_to(c->resp, chk.http_status ? chk.http_status : 403,
		    chk.error_type ? chk.error_type : "AccessDeniedException",
		    chk.message ? chk.message : err.msg);
	else if (rc)
		error_to(c->resp, 500, "InternalServerException", err.msg);
	sf_sigv4_check_release(&chk);
	free(hv);
	return rc;
}

/* ---- request-rate quota and faults ---- */

static bool
rate_ok(struct sf_local_server *s, const struct route *rt, int64_t now)
{
	struct sf_local_bucket *b = &s->buckets[rt->op];
	double rate = rt->mutate ? s->rate_mutate : s->rate_default;
	bool ok;

	if (!s->rate_limits || rt->op == SF_OP_STATUS)
		return true;
	pthread_mutex_lock(&s->mu);
	if (b->at == 0) {
		b->tokens = rate;
	} else if (now > b->at) {
		b->tokens += (double)(now - b->at) / 1000.0 * rate;
		if (b->tokens > rate)
			b->tokens = rate;
	}
	b->at = now > b->at ? now : b->at;
	ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

static const char *
fault_type(int status)
{
	switch (status) {
	case 400:
		return "ValidationException";
	case 402:
		return "ServiceQuotaExceededException";
	case 403:
		return "AccessDeniedException";
	case 404:
		return "ResourceNotFoundException";
	case 409:
		return "ConflictException";
	case 429:
		return "ThrottlingException";
	case 503:
		return "ServiceUnavailableException";
	default:
		return status >= 500 ? "InternalServerException"
		                     : "ValidationException";
	}
}

/* True when a fault answered (or dropped) the request. */
static bool
inject_fault(struct sf_local_server *s, struct sf_local_response *r)
{
	double x, acc = 0;
	size_t i;

	if (!s->nfaults)
		return false;
	pthread_mutex_lock(&s->mu);
	x = (double)(splitmix(&s->rng) >> 11) / 9007199254740992.0;
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < s->nfaults; i++) {
		acc += s->faults[i].p;
		if (x >= acc)
			continue;
		r->operation = "InjectedFault";
		if (!s->faults[i].status) {
			r->drop = true;
			r->status = 0;
			return true;
		}
		if (s->faults[i].status == 400) {
			sf_local_reply_error_json(r, 400, "ValidationException",
			    json_pack("{s:s, s:s, s:[]}", "message",
			        "Injected fault (--faults)", "reason",
			        "FieldValidationFailed", "fieldList"));
		} else {
			error_to(r, s->faults[i].status,
			    fault_type(s->faults[i].status),
			    "Injected fault (--faults)");
		}
		return true;
	}
	return false;
}

int
sf_local_faults_parse(
    const char *spec, struct sf_local_fault *out, size_t *n, struct sf_err *err)
{
	const char *p = spec;
	double total = 0;

	*n = 0;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char *item = sf_xstrndup(p, len), *eq = strchr(item, '='), *end;
		double prob;
		long status = 0;

		if (!eq) {
			free(item);
			return sf_error(err, SF_EINVALID, "--faults",
			    "\"%.*s\" is not KIND=PROBABILITY", (int)len, p);
		}
		*eq = '\0';
		if (strcmp(item, "drop")) {
			status = strtol(item, &end, 10);
			if (*end || end == item || status < 400 ||
			    status > 599) {
				sf_error(err, SF_EINVALID, "--faults",
				    "\"%s\" is neither drop nor an HTTP status "
				    "400-599",
				    item);
				free(item);
				return SF_EINVALID;
			}
		}
		errno = 0;
		prob = strtod(eq + 1, &end);
		if (*end || end == eq + 1 || errno ||
		    !(prob >= 0 && prob <= 1)) {
			sf_error(err, SF_EINVALID, "--faults",
			    "\"%s\" is not a probability between 0 and 1",
			    eq + 1);
			free(item);
			return SF_EINVALID;
		}
		free(item);
		if (*n >= SF_LOCAL_MAX_FAULTS)
			return sf_error(err, SF_EINVALID, "--faults",
			    "at most %d kinds of fault", SF_LOCAL_MAX_FAULTS);
		out[*n].status = (int)status;
		out[*n].p = prob;
		(*n)++;
		total += prob;
		p = comma ? comma + 1 : NULL;
	}
	if (total > 1.0 + 1e-9)
		return sf_error(err, SF_EINVALID, "--faults",
		    "the probabilities add up to %.3f, more than 1", total);
	return SF_OK;
}

/* ---- the router ---- */

static void
uuid4(struct sf_local_server *s, char out[37])
{
	uint64_t r[2] = { sf_local_random(s), sf_local_random(s) };

	sf_uuid4_from(out, (const unsigned char *)r);
}

static void
http_date(char out[40], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	gmtime_r(&t, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
log_request(struct sf_local_server *s, const struct sf_local_request *req,
    const struct sf_local_response *resp, const char *rid, int64_t start)
{
	struct sf_buf b = SF_BUF_INIT;
	const char *type = sf_local_response_header(resp, "X-Amzn-ErrorType");
	char ts[32];

	if (!s->log)
		return;
	sf_local_time_format(ts, start);
	sf_buf_addf(&b, "%s %s %s ", ts, rid, req->method ? req->method : "-");
	sf_buf_add_quoted(&b, req->target ? req->target : "", 200);
	if (resp->drop)
		sf_buf_adds(&b, " dropped");
	else
		sf_buf_addf(&b, " %d", resp->status);
	sf_buf_addf(&b, " %s %s %lldms",
	    resp->operation ? resp->operation : "-", type ? type : "-",
	    (long long)(sf_local_now(s) - start));
	s->log(s->log_ud, b.buf);
	sf_buf_release(&b);
}

void
sf_local_server_handle(struct sf_local_server *s,
    const struct sf_local_request *req, struct sf_local_response *resp)
{
	struct sf_local_ctx c;
	const struct route *rt = NULL;
	char rid[37], date[40], *path = NULL;
	const char *query = NULL, *qm;
	size_t i;
	bool path_known = false;

	memset(resp, 0, sizeof(*resp));
	sf_buf_init(&resp->body, 0);
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.req = req;
	c.resp = resp;
	c.now = sf_local_now(s);
	uuid4(s, rid);
	pthread_mutex_lock(&s->mu);
	s->requests++;
	pthread_mutex_unlock(&s->mu);

	/* Faults are for AWS's operations; sandform's own status path
	 * stays reliable so the CLI can find its server. */
	if ((!req->target || strncmp(req->target, "/_sandform/", 11)) &&
	    inject_fault(s, resp))
		goto out;
	if (!req->method || !req->target || req->target[0] != '/') {
		error_to(resp, 400, "ValidationException",
		    "The request target must be an absolute path");
		goto out;
	}
	qm = strchr(req->target, '?');
	path = qm ? sf_xstrndup(req->target, (size_t)(qm - req->target))
	          : sf_xstrdup(req->target);
	query = qm ? qm + 1 : NULL;
	for (i = 0; i < SF_ARRAY_LEN(routes); i++) {
		if (match_route(&routes[i], path, c.labels, &c.nlabels))
			continue;
		path_known = true;
		if (!strcmp(routes[i].method, req->method)) {
			rt = &routes[i];
			break;
		}
		while (c.nlabels)
			free(c.labels[--c.nlabels]);
	}
	if (!rt) {
		(void)path_known;
		error_to(resp, 404, "UnknownOperationException",
		    "UnknownOperationException");
		goto out;
	}
	c.op = rt->op;
	c.op_name = rt->name;
	resp->operation = rt->name;
	if (req->body_len > s->max_payload) {
		sf_local_reply_validation(&c, "FieldValidationFailed", NULL,
		    "The request body of %zu bytes exceeds the limit of %zu "
		    "bytes",
		    req->body_len, s->max_payload);
		resp->status = 413;
		goto out;
	}
	if (authenticate(&c, path, query))
		goto out;
	if (!rate_ok(s, rt, c.now)) {
		error_to(resp, 429, "ThrottlingException", "Rate exceeded");
		goto out;
	}
	parse_query(&c, query);
	if (rt->body) {
		json_error_t je;

		if (!req->body_len) {
			c.body = json_object();
		} else {
			c.body = json_loadb(req->body, req->body_len,
			    JSON_REJECT_DUPLICATES, &je);
			if (!c.body || !json_is_object(c.body)) {
				sf_local_reply_validation(&c, "CannotParse",
				    NULL,
				    c.body ? "The request body must be a JSON "
				             "object"
				           : "The request body is not valid "
				             "JSON: %s",
				    je.text);
				goto out;
			}
		}
	}
	rt->fn(&c);
	if (c.locked)
		sf_local_ctx_end(&c);
out:
	if (!resp->drop) {
		sf_local_reply_header(resp, "x-amzn-RequestId", rid);
		http_date(date, c.now);
		sf_local_reply_header(resp, "Date", date);
	}
	if (!resp->status && !resp->drop)
		error_to(resp, 500, "InternalServerException",
		    "The operation gave no answer");
	log_request(s, req, resp, rid, c.now);
	json_decref(c.body);
	for (i = 0; i < c.nq; i++) {
		free(c.q[i].key);
		free(c.q[i].value);
	}
	free(c.q);
	while (c.nlabels)
		free(c.labels[--c.nlabels]);
	free(path);
}

/* ---- lifecycle ---- */

static int
lock_data_dir(struct sf_local_server *s, struct sf_err *err)
{
	char *path = sf_fs_join(s->data_dir, "lock");
	int rc = SF_OK;

	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		rc = sf_error(
		    err, SF_ERROR, path, "cannot open: %s", strerror(errno));
	} else if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		rc = sf_error(err, SF_ECONFLICT, s->data_dir,
		    "another server uses this data directory");
		close(s->lock_fd);
		s->lock_fd = -1;
	}
	free(path);
	return rc;
}

static void
free_keys(struct sf_local_server *s)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++) {
		struct sf_local_key *k = &s->keys[i];

		if (k->secret_access_key) {
			volatile char *p =
			    (volatile char *)k->secret_access_key;

			while (*p)
				*p++ = 0;
		}
		free((char *)k->access_key_id);
		free((char *)k->secret_access_key);
		free((char *)k->session_token);
	}
	free(s->keys);
	s->keys = NULL;
	s->nkeys = 0;
}

int
sf_local_server_new(const struct sf_local_opts *o, struct sf_local_server **out,
    struct sf_err *err)
{
	struct sf_local_server *s = sf_xcalloc(1, sizeof(*s));
	size_t i;
	int rc;

	*out = NULL;
	s->lock_fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->tick_mu, NULL);
	pthread_cond_init(&s->tick_cv, NULL);
	s->backend = o->backend;
	s->limits = o->limits;
	if (o->clock) {
		s->clock = *o->clock;
	} else {
		s->clock.now_ms = real_now_ms;
		s->clock.random = real_random;
	}
	if (!s->clock.now_ms)
		s->clock.now_ms = real_now_ms;
	if (!s->clock.random)
		s->clock.random = real_random;
	s->region = sf_xstrdup(o->region ? o->region : SF_LOCAL_DEFAULT_REGION);
	s->account =
	    sf_xstrdup(o->account ? o->account : SF_LOCAL_DEFAULT_ACCOUNT);
	s->data_dir = o->data_dir ? sf_xstrdup(o->data_dir) : NULL;
	if (o->work_dir)
		s->work_dir = sf_xstrdup(o->work_dir);
	else if (o->data_dir)
		s->work_dir = sf_fs_join(o->data_dir, "work");
	s->no_auth = o->no_auth;
	s->rate_limits = o->rate_limits;
	s->rate_default =
	    o->rate_default > 0 ? o->rate_default : SF_LOCAL_RATE_DEFAULT;
	s->rate_mutate =
	    o->rate_mutate > 0 ? o->rate_mutate : SF_LOCAL_RATE_MUTATE;
	s->max_interpreters = o->max_interpreters ? o->max_interpreters
	                                          : SF_LOCAL_MAX_INTERPRETERS;
	s->max_sessions =
	    o->max_sessions ? o->max_sessions : SF_LOCAL_MAX_SESSIONS;
	s->max_payload = o->max_payload ? o->max_payload : SF_LOCAL_MAX_PAYLOAD;
	s->log = o->log;
	s->log_ud = o->log_ud;
	if (o->nkeys) {
		s->keys = sf_xcalloc(o->nkeys, sizeof(*s->keys));
		for (i = 0; i < o->nkeys; i++) {
			s->keys[i].access_key_id =
			    sf_xstrdup(o->keys[i].access_key_id);
			s->keys[i].secret_access_key =
			    sf_xstrdup(o->keys[i].secret_access_key);
			s->keys[i].session_token =
			    o->keys[i].session_token
			        ? sf_xstrdup(o->keys[i].session_token)
			        : NULL;
		}
		s->nkeys = o->nkeys;
	}
	s->started_at = sf_local_now(s);
	if (o->faults && (rc = sf_local_faults_parse(
	                      o->faults, s->faults, &s->nfaults, err)))
		goto fail;
	s->rng = o->faults_seeded ? o->faults_seed : sf_local_random(s);
	if (s->data_dir) {
		if ((rc = sf_local_mkdir_p(s->data_dir, err)) ||
		    (rc = lock_data_dir(s, err)))
			goto fail;
	}
	if (s->work_dir && (rc = sf_local_mkdir_p(s->work_dir, err)))
		goto fail;
	rc = sf_local_registry_open(&s->reg, s->data_dir, s->region,
	    s->started_at,
	    o->transition_ms < 0 ? SF_LOCAL_TRANSITION_MS : o->transition_ms,
	    o->keep_sessions ? o->keep_sessions : SF_LOCAL_KEEP_SESSIONS,
	    s->log, s->log_ud, err);
	if (rc)
		goto fail;
	/* Workspaces of sessions that ended with the last server. */
	if (s->work_dir) {
		DIR *d = opendir(s->work_dir);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char *p;

			if (de->d_name[0] == '.')
				continue;
			p = sf_fs_join(s->work_dir, de->d_name);
			sf_local_rmtree(p);
			free(p);
		}
		if (d)
			closedir(d);
	}
	*out = s;
	return SF_OK;
fail:
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->backend.ops && s->backend.ops->free)
		s->backend.ops->free(s->backend.ctx);
	free_keys(s);
	free(s->region);
	free(s->account);
	free(s->data_dir);
	free(s->work_dir);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->tick_mu);
	pthread_cond_destroy(&s->tick_cv);
	free(s);
	return rc;
}

void
sf_local_server_free(struct sf_local_server *s)
{
	struct sf_local_stopv stop = { 0 };
	struct sf_local_strv ids = { 0 };
	size_t i;
	int64_t now;

	if (!s)
		return;
	sf_local_server_unlisten(s);
	now = sf_local_now(s);
	/* Every session ends with the server. */
	sf_local_registry_lock(&s->reg);
	for (i = 0; i < s->reg.nsess; i++) {
		struct sf_local_session *x = s->reg.sess[i];

		if (!x->terminated) {
			sf_local_registry_end_session(&s->reg, x, now);
			sf_local_strv_push(&ids, x->id);
		}
		sf_local_stopv_take(&stop, x);
	}
	sf_local_registry_unlock(&s->reg);
	for (i = 0; i < ids.n; i++)
		sf_local_registry_persist_session(&s->reg, ids.v[i], NULL);
	sf_local_strv_release(&ids);
	sf_local_stop_all(s, &stop);
	sf_local_registry_close(&s->reg);
	if (s->backend.ops && s->backend.ops->free)
		s->backend.ops->free(s->backend.ctx);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free_keys(s);
	free(s->region);
	free(s->account);
	free(s->data_dir);
	free(s->work_dir);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->tick_mu);
	pthread_cond_destroy(&s->tick_cv);
	free(s);
}

void
sf_local_server_tick(struct sf_local_server *s)
{
	struct sf_local_ctx c;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.now = sf_local_now(s);
	sf_local_registry_lock(&s->reg);
	c.locked = true;
	sf_local_registry_advance(&s->reg, c.now, true, s->backend.ops,
	    &c.ci_ids, &c.sess_ids, &c.stop);
	sf_local_ctx_end(&c);
}

void
sf_local_server_stats(struct sf_local_server *s, struct sf_local_stats *out)
{
	memset(out, 0, sizeof(*out));
	sf_local_registry_lock(&s->reg);
	out->interpreters = sf_local_registry_ci_count(&s->reg);
	out->sessions_active = sf_local_registry_active_sessions(&s->reg);
	out->sessions_total = s->reg.nsess;
	sf_local_registry_unlock(&s->reg);
	pthread_mutex_lock(&s->mu);
	out->requests = s->requests;
	pthread_mutex_unlock(&s->mu);
	out->started_at = s->started_at;
}

const char *
sf_local_server_backend_describe(struct sf_local_server *s)
{
	if (s->backend.ops && s->backend.ops->describe)
		return s->backend.ops->describe(s->backend.ctx);
	return "none";
}
