#include <jansson.h>
#include <strings.h>
#include <time.h>

#include "provider/aws/client.h"
#include "provider/aws/sigv4.h"

#define MAX_BUCKETS 16

struct bucket {
	const char *operation;
	double tokens;
	int64_t last_ms;
	double rate;
};

struct sf_aws_client {
	struct sf_aws_client_opts o;
	struct sf_http *http;
	bool own_http;
	struct sf_aws_clock clock;
	int64_t skew_ms;
	struct bucket buckets[MAX_BUCKETS];
	size_t nbuckets;
	uint64_t seed;
};

/* ---- the clock ---- */

static int64_t
real_now_ms(void *ud)
{
	struct timespec ts;

	(void)ud;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
real_sleep_ms(void *ud, int64_t ms)
{
	struct timespec ts;

	(void)ud;
	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

static uint64_t
real_random(void *ud)
{
	struct sf_aws_client *c = ud;

	/* xorshift64*: jitter needs spread, not secrecy. */
	c->seed ^= c->seed >> 12;
	c->seed ^= c->seed << 25;
	c->seed ^= c->seed >> 27;
	return c->seed * 2685821657736338717ULL;
}

struct sf_aws_client *
sf_aws_client_new(const struct sf_aws_client_opts *o)
{
	struct sf_aws_client *c = sf_xcalloc(1, sizeof(*c));

	c->o = *o;
	if (!c->o.max_attempts)
		c->o.max_attempts = 5;
	if (!c->o.backoff_base_ms)
		c->o.backoff_base_ms = 100;
	if (!c->o.backoff_cap_ms)
		c->o.backoff_cap_ms = 20000;
	if (!c->o.rate_mutate)
		c->o.rate_mutate = SF_AWS_RATE_MUTATE;
	if (!c->o.rate_default)
		c->o.rate_default = SF_AWS_RATE_DEFAULT;
	if (o->clock) {
		c->clock = *o->clock;
	} else {
		c->clock.now_ms = real_now_ms;
		c->clock.sleep_ms = real_sleep_ms;
		c->clock.random = real_random;
		c->clock.ud = c;
		c->seed = (uint64_t)real_now_ms(NULL) ^ (uint64_t)(uintptr_t)c;
		if (!c->seed)
			c->seed = 88172645463325252ULL;
	}
	if (o->http) {
		c->http = o->http;
	} else {
		struct sf_http_opts ho;

		memset(&ho, 0, sizeof(ho));
		ho.user_agent = "sandform";
		ho.log = o->log;
		ho.log_ud = o->log_ud;
		c->http = sf_http_new(&ho);
		c->own_http = true;
	}
	return c;
}

void
sf_aws_client_free(struct sf_aws_client *c)
{
	if (!c)
		return;
	if (c->own_http)
		sf_http_free(c->http);
	free(c);
}

int64_t
sf_aws_client_skew_ms(const struct sf_aws_client *c)
{
	return c->skew_ms;
}

void
sf_aws_response_release(struct sf_aws_response *r)
{
	sf_buf_release(&r->body);
	sf_http_headers_release(&r->headers);
}

/* ---- errors ---- */

static void
copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* "aws.protocoltests#FooError:http://..." -> "FooError" */
static void
sanitize_type(char *dst, size_t n, const char *src)
{
	const char *colon = strchr(src, ':');
	const char *hash;
	size_t len = colon ? (size_t)(colon - src) : strlen(src);

	hash = memchr(src, '#', len);
	if (hash) {
		len -= (size_t)(hash + 1 - src);
		src = hash + 1;
	}
	snprintf(dst, n, "%.*s", (int)len, src);
}

void
sf_aws_parse_error(struct sf_aws_error *e, long status,
    const struct sf_http_headers *headers, const char *body, size_t len)
{
	const char *t = sf_http_headers_get(headers, "x-amzn-errortype");
	const char *rid = sf_http_headers_get(headers, "x-amzn-requestid");
	json_t *j = NULL, *v;
	json_error_t je;

	memset(e, 0, sizeof(*e));
	e->status = status;
	copy_str(e->request_id, sizeof(e->request_id),
	    rid ? rid : sf_http_headers_get(headers, "x-amz-request-id"));
	if (body && len)
		j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (t && *t) {
		sanitize_type(e->type, sizeof(e->type), t);
	} else if (json_is_object(j) &&
	           ((v = json_object_get(j, "__type")) ||
	               (v = json_object_get(j, "code")) ||
	               (v = json_object_get(j, "Code"))) &&
	           json_is_string(v)) {
		sanitize_type(e->type, sizeof(e->type), json_string_value(v));
	}
	if (json_is_object(j)) {
		if (((v = json_object_get(j, "message")) ||
		        (v = json_object_get(j, "Message"))) &&
		    json_is_string(v))
			copy_str(e->message, sizeof(e->message),
			    json_string_value(v));
		if ((v = json_object_get(j, "reason")) && json_is_string(v))
			copy_str(
			    e->reason, sizeof(e->reason), json_string_value(v));
		if ((v = json_object_get(j, "fieldList")) && json_is_array(v)) {
			struct sf_buf b = SF_BUF_INIT;
			size_t i;
			json_t *f;

			json_array_foreach(v, i, f)
			{
				const char *fn = json_string_value(
				    json_object_get(f, "name"));
				const char *fm = json_string_value(
				    json_object_get(f, "message"));

				sf_buf_addf(&b, "%s%s: %s", i ? "; " : "",
				    fn ? fn : "?", fm ? fm : "");
			}
			copy_str(e->fields, sizeof(e->fields), b.buf);
			sf_buf_release(&b);
		}
	}
	if (!e->type[0]) {
		/* No modelled type: name it by the status, as SDKs do. */
		if (status == 429)
			copy_str(
			    e->type, sizeof(e->type), "ThrottlingException");
		else if (status >= 500)
			copy_str(e->type, sizeof(e->type),
			    "InternalServerException");
		else
			snprintf(e->type, sizeof(e->type), "HTTP%ld", status);
	}
	if (!e->message[0] && body && len && !j) {
		/* A body that is not JSON: its first line, capped. */
		size_t n = 0;

		while (n < len && body[n] != '\r' && body[n] != '\n' &&
		       body[n] != '\0')
			n++;

		snprintf(e->message, sizeof(e->message), "%.*s",
		    (int)(n > 200 ? 200 : n), body);
	}
	json_decref(j);
}

int
sf_aws_error_to_err(
    const struct sf_aws_error *e, const char *operation, struct sf_err *err)
{
	struct sf_buf b = SF_BUF_INIT;
	enum sf_code code = !strcmp(e->type, "ResourceNotFoundException")
	                        ? SF_ENOTFOUND
	                        : SF_EREMOTE;

	sf_buf_addf(&b, "%s (%ld)", e->type, e->status);
	if (e->message[0])
		sf_buf_addf(&b, ": %s", e->message);
	if (e->reason[0])
		sf_buf_addf(&b, " [reason %s]", e->reason);
	if (e->fields[0])
		sf_buf_addf(&b, " [fields %s]", e->fields);
	if (e->request_id[0])
		sf_buf_addf(&b, " (request id %s)", e->request_id);
	sf_error(err, code, operation, "%s", b.buf);
	sf_buf_release(&b);
	return code;
}

/* ---- rate limits ---- */

static bool
is_mutating(const char *op)
{
	return !strcmp(op, "CreateCodeInterpreter") ||
	       !strcmp(op, "DeleteCodeInterpreter");
}

/* When the next call of op may start (ms), taking its token if now. */
static int64_t
rate_take(struct sf_aws_client *c, const char *op, int64_t now)
{
	struct bucket *b = NULL;
	size_t i;

	if (!c->o.rate_limits)
		return now;
	for (i = 0; i < c->nbuckets; i++)
		if (!strcmp(c->buckets[i].operation, op))
			b = &c->buckets[i];
	if (!b) {
		if (c->nbuckets == MAX_BUCKETS)
			return now;
		b = &c->buckets[c->nbuckets++];
		b->operation = op;
		b->rate =
		    is_mutating(op) ? c->o.rate_mutate : c->o.rate_default;
		b->tokens = b->rate;
		b->last_ms = now;
	}
	/* A token bucket holding at most one second's worth. */
	b->tokens += (double)(now - b->last_ms) * b->rate / 1000.0;
	if (b->tokens > b->rate)
		b->tokens = b->rate;
	b->last_ms = now;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return now;
	}
	return now + (int64_t)((1.0 - b->tokens) * 1000.0 / b->rate) + 1;
}

/* ---- one call's state ---- */

struct call {
	const struct sf_aws_request *req;
	struct sf_aws_response *resp;
	struct sf_err *err;
	int *rc;
	struct sf_http_xfer x;
	struct sf_http_headers h;
	struct sf_buf url;
	int attempt;
	int64_t ready_ms; /* not before */
	bool running, done;
	bool skew_retry; /* already retried once for clock skew */
	bool streamed;   /* body bytes reached on_body */
};

static int
stream_body(const void *data, size_t len, void *ud)
{
	struct call *k = ud;

	k->streamed = true;
	return k->req->on_body(data, len, k->req->ud);
}

/* Sign k's headers as they stand, adding X-Amz-Date, the token and
 * Authorization. The time is ours corrected by the server's skew. */
static int
sign(struct sf_aws_client *c, struct call *k, const struct sf_aws_creds *cr,
    struct sf_err *err)
{
	const struct sf_aws_request *r = k->req;
	struct sf_sigv4_header *hv;
	struct sf_sigv4_request sr;
	struct sf_sigv4_credentials sc;
	struct sf_sigv4_config cfg;
	struct sf_sigv4_result res;
	int64_t ms = c->clock.now_ms(c->clock.ud) + c->skew_ms;
	size_t i;
	int rc;

	hv = sf_xcalloc(k->h.n ? k->h.n : 1, sizeof(*hv));
	for (i = 0; i < k->h.n; i++) {
		hv[i].name = k->h.v[i].name;
		hv[i].value = k->h.v[i].value;
	}
	memset(&sr, 0, sizeof(sr));
	sr.method = r->method;
	sr.path = r->path;
	sr.query = r->query;
	sr.headers = hv;
	sr.nheaders = k->h.n;
	sr.body = r->body;
	sr.body_len = r->body ? strlen(r->body) : 0;
	sf_sigv4_credentials_init(
	    &sc, cr->access_key_id, cr->secret_access_key, cr->session_token);
	sf_sigv4_config_init(&cfg, c->o.region ? c->o.region : "us-east-1",
	    SF_AGENTCORE_SIGNING_NAME, (time_t)(ms / 1000));
	memset(&res, 0, sizeof(res));
	rc = sf_sigv4_sign(&res, &sr, &sc, &cfg, err);
	sf_sigv4_credentials_release(&sc);
	free(hv);
	for (i = 0; rc == SF_OK && i < res.nheaders; i++)
		sf_http_headers_add(
		    &k->h, res.headers[i].name, res.headers[i].value);
	sf_sigv4_result_release(&res);
	return rc;
}

/* Build and sign the HTTP request of k's next attempt. */
static int
prepare(struct sf_aws_client *c, struct call *k, struct sf_err *err)
{
	const struct sf_aws_request *r = k->req;
	const char *base = r->plane == SF_AWS_CONTROL ? c->o.endpoints.control
	                                              : c->o.endpoints.data;
	const char *host_start, *host_end;
	struct sf_aws_creds cr;
	char *host;
	size_t i;
	int rc;

	memset(&cr, 0, sizeof(cr));
	if ((rc = sf_creds_get(c->o.creds, &cr, err)))
		return rc;
	sf_http_headers_release(&k->h);
	sf_buf_reset(&k->url);
	sf_buf_addf(&k->url, "%s%s%s%s", base, r->path,
	    r->query && *r->query ? "?" : "", r->query ? r->query : "");
	host_start = strstr(base, "://") + 3;
	host_end = strchr(host_start, '/');
	host = host_end
	           ? sf_xstrndup(host_start, (size_t)(host_end - host_start))
	           : sf_xstrdup(host_start);
	sf_http_headers_add(&k->h, "host", host);
	free(host);
	if (r->body)
		sf_http_headers_add(&k->h, "content-type", "application/json");
	for (i = 0; i < r->headers.n; i++)
		sf_http_headers_add(
		    &k->h, r->headers.v[i].name, r->headers.v[i].value);

	rc = sign(c, k, &cr, err);
	sf_aws_creds_release(&cr);
	return rc;
}

static void
start(struct sf_aws_client *c, struct call *k)
{
	const struct sf_aws_request *r = k->req;

	k->x.method = r->method;
	k->x.url = k->url.buf;
	k->x.headers = &k->h;
	k->x.body = r->body;
	k->x.body_len = r->body ? strlen(r->body) : 0;
	k->x.fresh_connection = !r->idempotent;
	k->x.abort = r->abort;
	k->x.on_body = r->on_body ? stream_body : NULL;
	k->x.ud = k;
	k->attempt++;
	k->running = true;
	sf_http_start(c->http, &k->x);
}

static void
finish(struct call *k, int rc)
{
	k->done = true;
	*k->rc = rc;
	k->resp->attempts = k->attempt;
}

static int64_t
backoff(struct sf_aws_client *c, int attempt)
{
	int64_t cap = c->o.backoff_base_ms;
	int i;

	for (i = 1; i < attempt && cap < c->o.backoff_cap_ms; i++)
		cap *= 2;
	if (cap > c->o.backoff_cap_ms)
		cap = c->o.backoff_cap_ms;
	/* Full jitter: anywhere between nothing and the cap. */
	return (int64_t)(c->clock.random(c->clock.ud) % (uint64_t)(cap + 1));
}

static bool
skew_error(const struct sf_aws_error *e)
{
	return !strcmp(e->type, "RequestTimeTooSkewed") ||
	       !strcmp(e->type, "RequestExpired") ||
	       (!strcmp(e->type, "InvalidSignatureException") &&
	           strstr(e->message, "Signature expired"));
}

/* Decide what a finished attempt means: done, or try again at ready_ms. */
static void
settle(struct sf_aws_client *c, struct call *k)
{
	struct sf_http_xfer *x = &k->x;
	int64_t now = c->clock.now_ms(c->clock.ud);
	const char *date = sf_http_headers_get(&x->resp_headers, "date");
	const char *rid;
	bool retryable = false;

	k->running = false;
	if (x->outcome == SF_HTTP_DONE && date) {
		int64_t server = sf_http_parse_date(date);

		/* Dates have whole seconds: only a clear difference counts. */
		if (server > 0 && llabs(server * 1000 - now) > 60000)
			c->skew_ms = server * 1000 - now;
		else if (server > 0)
			c->skew_ms = 0;
	}
	if (x->outcome == SF_HTTP_DONE && x->status >= 200 && x->status < 300) {
		k->resp->status = x->status;
		rid = sf_http_headers_get(&x->resp_headers, "x-amzn-requestid");
		copy_str(k->resp->request_id, sizeof(k->resp->request_id), rid);
		sf_buf_release(&k->resp->body);
		k->resp->body = x->resp_body;
		sf_buf_init(&x->resp_body, 0);
		sf_http_headers_release(&k->resp->headers);
		k->resp->headers = x->resp_headers;
		memset(&x->resp_headers, 0, sizeof(x->resp_headers));
		finish(k, SF_OK);
		return;
	}
	if (x->outcome == SF_HTTP_DONE) {
		struct sf_aws_error *e = &k->resp->error;

		sf_aws_parse_error(e, x->status, &x->resp_headers,
		    x->resp_body.buf, x->resp_body.len);
		k->resp->status = x->status;
		copy_str(k->resp->request_id, sizeof(k->resp->request_id),
		    e->request_id);
		if (skew_error(e) && !k->skew_retry) {
			k->skew_retry = true;
			retryable = true;
		} else if (x->status == 429 ||
		           !strcmp(e->type, "ThrottlingException")) {
			retryable = true;
		} else if (x->status >= 500) {
			/* The service may have acted: only idempotent calls. */
			retryable = k->req->idempotent;
		}
		if (!retryable || k->attempt >= c->o.max_attempts) {
			finish(k,
			    sf_aws_error_to_err(e, k->req->operation, k->err));
			return;
		}
	} else {
		/* No answer. Retry when nothing can have been done twice: an
		 * idempotent call, or a connection that never opened. */
		bool never_sent = x->outcome == SF_HTTP_CONNECT_ERROR &&
		                  strstr(x->error, "connect");

		retryable = (k->req->idempotent || never_sent) &&
		            !k->streamed &&
		            (x->outcome == SF_HTTP_CONNECT_ERROR ||
		                x->outcome == SF_HTTP_TIMEOUT);
		if (!retryable || k->attempt >= c->o.max_attempts) {
			memset(&k->resp->error, 0, sizeof(k->resp->error));
			finish(k, sf_error(k->err, SF_ERROR, k->req->operation,
			              "%s after %d attempt%s", x->error,
			              k->attempt, k->attempt == 1 ? "" : "s"));
			return;
		}
	}
	k->ready_ms = now + backoff(c, k->attempt);
	if (c->o.log) {
		struct sf_buf line = SF_BUF_INIT;

		sf_buf_addf(&line,
		    "* %s: attempt %d failed (%s %ld); retrying in %lld ms",
		    k->req->operation, k->attempt,
		    x->outcome == SF_HTTP_DONE ? k->resp->error.type : x->error,
		    x->status, (long long)(k->ready_ms - now));
		c->o.log(c->o.log_ud, line.buf);
		sf_buf_release(&line);
	}
}

void
sf_aws_call_many(struct sf_aws_client *c, const struct sf_aws_request *reqs,
    struct sf_aws_response *resps, int *rcs, struct sf_err *errs, size_t n,
    const struct sf_aws_batch *batch)
{
	size_t cap = batch && batch->max_in_flight ? batch->max_in_flight : n;
	struct call *k = sf_xcalloc(n ? n : 1, sizeof(*k));
	size_t i, left = n, running = 0;

	for (i = 0; i < n; i++) {
		k[i].req = &reqs[i];
		k[i].resp = &resps[i];
		k[i].err = &errs[i];
		k[i].rc = &rcs[i];
		memset(&resps[i], 0, sizeof(resps[i]));
		sf_err_clear(&errs[i]);
		rcs[i] = SF_ERROR;
		sf_buf_init(&k[i].url, 0);
	}
	while (left) {
		int64_t now = c->clock.now_ms(c->clock.ud), next = INT64_MAX;
		struct sf_http_xfer *x;

		/* Start whatever is due and allowed by the rate limits. */
		for (i = 0; i < n; i++) {
			int rc;

			if (k[i].done || k[i].running)
				continue;
			if (running >= cap)
				break;
			if (k[i].ready_ms <= now)
				k[i].ready_ms =
				    rate_take(c, reqs[i].operation, now);
			if (k[i].ready_ms > now) {
				if (k[i].ready_ms < next)
					next = k[i].ready_ms;
				continue;
			}
			if ((rc = prepare(c, &k[i], &errs[i]))) {
				finish(&k[i], rc);
				left--;
				if (batch && batch->done)
					batch->done(i, batch->ud);
				continue;
			}
			start(c, &k[i]);
			running++;
		}
		if (!running) {
			if (left && next != INT64_MAX)
				c->clock.sleep_ms(c->clock.ud, next - now);
			continue;
		}
		x = sf_http_wait(c->http,
		    next == INT64_MAX ? 1000 : (long)(next - now), NULL);
		if (!x)
			continue;
		for (i = 0; i < n; i++)
			if (&k[i].x == x)
				break;
		if (i == n)
			sf_die("sf_aws_call_many: a transfer it did not start");
		running--;
		settle(c, &k[i]);
		if (k[i].done) {
			left--;
			if (batch && batch->done)
				batch->done(i, batch->ud);
		}
	}
	for (i = 0; i < n; i++) {
		sf_http_xfer_release(&k[i].x);
		sf_http_headers_release(&k[i].h);
		sf_buf_release(&k[i].url);
	}
	free(k);
}

int
sf_aws_call(struct sf_aws_client *c, const struct sf_aws_request *req,
    struct sf_aws_response *resp, struct sf_err *err)
{
	int rc;

	sf_aws_call_many(c, req, resp, &rc, err, 1, NULL);
	return rc;
}
