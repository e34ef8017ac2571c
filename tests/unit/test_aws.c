/*
 * The wire client against a loopback server that checks every signature
 * with the real verifier and answers as AgentCore does: each operation's
 * method, path, query and body; pagination; event streams; and the
 * failures a client must ride out (throttling, 5xx, dropped connections,
 * clock skew, truncated and corrupted streams).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/time.h>

#include "provider/aws/agentcore.h"
#include "provider/aws/eventstream.h"
#include "provider/aws/sigv4.h"
#include "testhttpd.h"

#define AKID   "AKIDSANDFORMTEST"
#define SECRET "sEcReT/sandform+test+key+do-not-log-0123456"
#define TOKEN  "SeSsIoNtOkEn-sandform-test-do-not-log"

/* ---- the fake service ---- */

struct fake {
	pthread_mutex_t lock;
	int throttle;       /* answer this many 429s first */
	int fail_500;       /* then this many 500s */
	int drop;           /* then drop this many connections */
	int stall;          /* then answer this many a second late */
	long server_skew_s; /* the server's clock minus the real one */
	int pages;          /* ListCodeInterpreters pages */
	const char *stream; /* invoke: "ok", "exception", "error",
	                       "truncated", "corrupt" */
	int invokes;
	int bad_signatures;
	char last_error[1024];
};

static int
keyring_lookup(void *ctx, const char *akid, struct sf_sigv4_credentials *out,
    struct sf_err *err)
{
	(void)ctx;
	(void)err;
	if (strcmp(akid, AKID))
		return SF_ENOTFOUND;
	sf_sigv4_credentials_init(out, AKID, SECRET, TOKEN);
	return SF_OK;
}

static void
json_reply(struct th_response *res, int status, const char *json)
{
	res->status = status;
	th_response_header(res, "Content-Type", "application/json");
	th_response_header(res, "x-amzn-RequestId", "req-0001");
	sf_buf_adds(&res->body, json);
}

static void
error_reply(
    struct th_response *res, int status, const char *type, const char *msg)
{
	char *body = sf_xasprintf("{\"message\":\"%s\"}", msg);

	json_reply(res, status, body);
	th_response_header(res, "X-Amzn-ErrorType", type);
	free(body);
}

static void
date_header(struct th_response *res, long skew)
{
	time_t t = time(NULL) + skew;
	struct tm tm;
	char buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	th_response_header(res, "Date", buf);
}

static bool
verify(struct fake *f, const struct th_request *r, struct th_response *res)
{
	struct sf_sigv4_header *hv = sf_xcalloc(r->nheaders + 1, sizeof(*hv));
	struct sf_sigv4_request sr;
	struct sf_sigv4_verifier v;
	struct sf_sigv4_keyring kr = { keyring_lookup, NULL };
	struct sf_sigv4_check chk;
	struct sf_err err;
	char *path = sf_xstrdup(r->uri), *q = strchr(path, '?');
	size_t i;
	int rc;

	if (q)
		*q++ = '\0';
	for (i = 0; i < r->nheaders; i++) {
		hv[i].name = r->headers[i].name;
		hv[i].value = r->headers[i].value;
	}
	memset(&sr, 0, sizeof(sr));
	sr.method = r->method;
	sr.path = path;
	sr.query = q;
	sr.headers = hv;
	sr.nheaders = r->nheaders;
	sr.body = r->body;
	sr.body_len = r->body_len;
	sf_sigv4_verifier_init(&v, "us-west-2", "bedrock-agentcore",
	    time(NULL) + f->server_skew_s, &kr);
	memset(&chk, 0, sizeof(chk));
	rc = sf_sigv4_verify(&chk, &sr, &v, &err);
	if (rc) {
		pthread_mutex_lock(&f->lock);
		f->bad_signatures++;
		snprintf(f->last_error, sizeof(f->last_error), "%s",
		    chk.message ? chk.message : err.msg);
		pthread_mutex_unlock(&f->lock);
		error_reply(res, chk.http_status ? chk.http_status : 403,
		    chk.error_type ? chk.error_type : "AccessDeniedException",
		    chk.message ? chk.message : "denied");
	}
	sf_sigv4_check_release(&chk);
	free(hv);
	free(path);
	return rc == SF_OK;
}

static bool
take(struct fake *f, int *counter)
{
	bool yes;

	pthread_mutex_lock(&f->lock);
	yes = *counter > 0;
	if (yes)
		(*counter)--;
	pthread_mutex_unlock(&f->lock);
	return yes;
}

static void
stream_reply(struct fake *f, struct th_response *res)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	static const char first[] =
	    "{\"content\":[{\"type\":\"text\",\"text\":\"hello\\n\"}],"
	    "\"structuredContent\":{\"stdout\":\"hello\\n\",\"stderr\":\"\","
	    "\"exitCode\":0,\"executionTime\":12.5},\"isError\":false}";
	static const char second[] =
	    "{\"content\":[{\"type\":\"resource\",\"resource\":{\"type\":"
	    "\"blob\",\"uri\":\"file:///a.bin\",\"blob\":\"AAEC/w==\"}}],"
	    "\"structuredContent\":{\"exitCode\":3}}";

	res->status = 200;
	th_response_header(
	    res, "Content-Type", "application/vnd.amazon.eventstream");
	th_response_header(res, "x-amzn-RequestId", "req-stream");
	assert_int_equal(
	    sf_es_encode_result(&b, first, strlen(first), &err), 0);
	if (!strcmp(f->stream, "exception"))
		assert_int_equal(
		    sf_es_encode_exception(&b, "validationException",
		        "{\"message\":\"bad code\"}", 22, &err),
		    0);
	else if (!strcmp(f->stream, "error"))
		assert_int_equal(
		    sf_es_encode_error(&b, "InternalFailure", "it broke", &err),
		    0);
	else
		assert_int_equal(
		    sf_es_encode_result(&b, second, strlen(second), &err), 0);
	if (!strcmp(f->stream, "truncated"))
		sf_buf_setlen(&b, b.len - 7);
	if (!strcmp(f->stream, "corrupt"))
		b.buf[b.len - 9] ^= 0x40;
	sf_buf_add(&res->body, b.buf, b.len);
	sf_buf_release(&b);
}

static void
handler(const struct th_request *r, struct th_response *res, void *ud)
{
	struct fake *f = ud;
	const char *u = r->uri;

	date_header(res, f->server_skew_s);
	if (take(f, &f->throttle)) {
		error_reply(res, 429, "ThrottlingException", "Rate exceeded");
		return;
	}
	if (take(f, &f->fail_500)) {
		error_reply(res, 500, "InternalServerException", "oops");
		return;
	}
	if (take(f, &f->drop)) {
		res->action = TH_DROP;
		return;
	}
	if (take(f, &f->stall))
		res->delay_ms = 1000;
	if (!verify(f, r, res))
		return;
	if (!strcmp(r->method, "PUT") && !strcmp(u, "/code-interpreters")) {
		json_reply(res, 202,
		    "{\"codeInterpreterId\":\"box-AbCdEfGhIj\","
		    "\"codeInterpreterArn\":\"arn:aws:bedrock-agentcore:us-"
		    "west-2:"
		    "123456789012:code-interpreter-custom/box-AbCdEfGhIj\","
		    "\"createdAt\":\"2026-11-26T10:00:00.5Z\",\"status\":"
		    "\"CREATING\"}");
	} else if (!strcmp(r->method, "POST") &&
	           sf_str_has_prefix(u, "/code-interpreters?")) {
		/* Three pages: no token, then tokens "p2" and "p3". */
		int page = strstr(u, "nextToken=p3")   ? 3
		           : strstr(u, "nextToken=p2") ? 2
		                                       : 1;
		char *body = sf_xasprintf(
		    "{\"codeInterpreterSummaries\":[{\"codeInterpreterId\":"
		    "\"n%d-AbCdEfGhIj\",\"codeInterpreterArn\":\"arn\","
		    "\"name\":\"n%d\",\"status\":\"READY\",\"createdAt\":"
		    "\"2026-11-26T10:00:00Z\"}]%s}",
		    page, page,
		    page == 1   ? ",\"nextToken\":\"p2\""
		    : page == 2 ? ",\"nextToken\":\"p3\""
		                : "");

		json_reply(res, 200, body);
		free(body);
	} else if (!strcmp(r->method, "GET") &&
	           !strcmp(u, "/code-interpreters/missing-AbCdEfGhIj")) {
		error_reply(res, 404, "ResourceNotFoundException",
		    "no such interpreter");
	} else if (!strcmp(r->method, "GET") &&
	           sf_str_has_prefix(u, "/code-interpreters/") &&
	           !strchr(u + 19, '/')) {
		json_reply(res, 200,
		    "{\"codeInterpreterId\":\"box-AbCdEfGhIj\","
		    "\"codeInterpreterArn"
		    "\":\"arn:x\",\"name\":\"box\",\"status\":\"CREATE_"
		    "FAILED\","
		    "\"failureReason\":\"role validation failed\","
		    "\"executionRoleArn\":\"arn:aws:iam::123456789012:role/r\","
		    "\"networkConfiguration\":{\"networkMode\":\"VPC\","
		    "\"vpcConfig\":{\"subnets\":[\"subnet-0abc12345\"],"
		    "\"securityGroups\":[\"sg-0abc12345\"]}},\"createdAt\":"
		    "\"2026-11-26T10:00:00Z\",\"lastUpdatedAt\":"
		    "\"2026-11-26T10:01:00+01:00\"}");
	} else if (!strcmp(r->method, "DELETE") &&
	           sf_str_has_prefix(u, "/code-interpreters/")) {
		json_reply(res, 202,
		    "{\"codeInterpreterId\":\"box-AbCdEfGhIj\",\"status\":"
		    "\"DELETING\",\"lastUpdatedAt\":\"2026-11-26T10:00:00Z\"}");
	} else if (sf_str_has_prefix(u, "/tags/")) {
		if (!strcmp(r->method, "GET"))
			json_reply(res, 200, "{\"tags\":{\"team\":\"data\"}}");
		else
			res->status = 204;
	} else if (strstr(u, "/sessions/start")) {
		json_reply(res, 200,
		    "{\"codeInterpreterIdentifier\":\"box-AbCdEfGhIj\","
		    "\"sessionId\":\"01JABCDEFGHJKMNPQRSTVWXYZ0\","
		    "\"createdAt\":"
		    "\"2026-11-26T10:00:00Z\"}");
	} else if (strstr(u, "/sessions/get")) {
		json_reply(res, 200,
		    "{\"codeInterpreterIdentifier\":\"box-AbCdEfGhIj\","
		    "\"sessionId\":\"01JABCDEFGHJKMNPQRSTVWXYZ0\",\"status\":"
		    "\"READY\",\"sessionTimeoutSeconds\":600,\"createdAt\":"
		    "\"2026-11-26T10:00:00Z\"}");
	} else if (strstr(u, "/sessions/list")) {
		json_reply(res, 200,
		    "{\"items\":[{\"codeInterpreterIdentifier\":\"b\","
		    "\"sessionId\":\"s1\",\"status\":\"READY\",\"createdAt\":"
		    "\"2026-11-26T10:00:00Z\"}]}");
	} else if (strstr(u, "/sessions/stop")) {
		json_reply(res, 200,
		    "{\"codeInterpreterIdentifier\":\"b\",\"sessionId\":\"s1\","
		    "\"lastUpdatedAt\":\"2026-11-26T10:00:00Z\"}");
	} else if (strstr(u, "/tools/invoke")) {
		pthread_mutex_lock(&f->lock);
		f->invokes++;
		pthread_mutex_unlock(&f->lock);
		stream_reply(f, res);
	} else {
		error_reply(res, 404, "UnknownOperationException", "no route");
	}
}

/* ---- the client side ---- */

struct fake_clock {
	int64_t slept_ms;
	int sleeps;
	uint64_t next_random;
};

static int64_t
fc_now(void *ud)
{
	struct fake_clock *c = ud;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000 + c->slept_ms;
}

static void
fc_sleep(void *ud, int64_t ms)
{
	struct fake_clock *c = ud;

	c->slept_ms += ms;
	c->sleeps++;
}

static uint64_t
fc_random(void *ud)
{
	struct fake_clock *c = ud;

	/* Large and varied, so every backoff is a real (fake) wait. */
	return 1000000007ULL * ++c->next_random;
}

static const char *
test_env(const char *name, void *ud)
{
	(void)ud;
	if (!strcmp(name, "AWS_ACCESS_KEY_ID"))
		return AKID;
	if (!strcmp(name, "AWS_SECRET_ACCESS_KEY"))
		return SECRET;
	if (!strcmp(name, "AWS_SESSION_TOKEN"))
		return TOKEN;
	if (!strcmp(name, "AWS_EC2_METADATA_DISABLED"))
		return "true";
	return NULL;
}

struct world {
	struct fake f;
	struct th_server *srv;
	struct fake_clock clock;
	struct sf_aws_clock ck;
	struct sf_creds_env env;
	struct sf_provider *p;
	struct sf_buf log;
};

static void
log_line(void *ud, const char *line)
{
	struct world *w = ud;

	sf_buf_addf(&w->log, "%s\n", line);
}

static struct world *
world_new(bool rate_limits)
{
	struct world *w = sf_xcalloc(1, sizeof(*w));
	struct sf_agentcore_opts o;
	struct sf_err err;

	pthread_mutex_init(&w->f.lock, NULL);
	w->f.stream = "ok";
	w->srv = th_start(handler, &w->f);
	w->ck.now_ms = fc_now;
	w->ck.sleep_ms = fc_sleep;
	w->ck.random = fc_random;
	w->ck.ud = &w->clock;
	w->env.getenv = test_env;
	sf_buf_init(&w->log, 0);
	memset(&o, 0, sizeof(o));
	o.region = "us-west-2";
	o.endpoint = th_url(w->srv);
	o.rate_limits = rate_limits;
	o.env = &w->env;
	o.clock = &w->ck;
	o.log = log_line;
	o.log_ud = w;
	assert_int_equal(sf_agentcore_new(&o, &w->p, &err), SF_OK);
	return w;
}

static void
world_free(struct world *w)
{
	w->p->ops->free(w->p);
	th_stop(w->srv);
	/* Whatever happened, no secret reached the debug log. */
	assert_null(strstr(w->log.buf, SECRET));
	assert_null(strstr(w->log.buf, TOKEN));
	assert_null(strstr(w->log.buf, "Signature="));
	sf_buf_release(&w->log);
	pthread_mutex_destroy(&w->f.lock);
	free(w);
}

static const struct th_request *
last_request(struct world *w)
{
	size_t n = th_request_count(w->srv);

	assert_true(n > 0);
	return th_request_at(w->srv, n - 1);
}

static void
test_create_and_get(void **state)
{
	struct world *w = world_new(false);
	static const char *const subnets[] = { "subnet-0abc12345" };
	static const char *const sgs[] = { "sg-0abc12345" };
	static const struct sf_kv tags[] = { { (char *)"team",
	    (char *)"data" } };
	struct sf_ci_spec spec;
	struct sf_ci ci;
	struct sf_err err;
	const struct th_request *r;
	json_t *body;

	(void)state;
	memset(&spec, 0, sizeof(spec));
	spec.name = "box";
	spec.network_mode = "VPC";
	spec.subnets = subnets;
	spec.nsubnets = 1;
	spec.security_groups = sgs;
	spec.nsecurity_groups = 1;
	spec.tags = tags;
	spec.ntags = 1;
	spec.client_token = "sandform-lineage-box-generation-0001";
	assert_int_equal(
	    w->p->ops->create_interpreter(w->p, &spec, &ci, &err), SF_OK);
	assert_string_equal(ci.id, "box-AbCdEfGhIj");
	assert_string_equal(ci.status, "CREATING");
	assert_int_equal(ci.created_at, 1795687200500LL);
	sf_ci_release(&ci);
	r = last_request(w);
	assert_string_equal(r->method, "PUT");
	assert_string_equal(r->uri, "/code-interpreters");
	assert_string_equal(th_header(r, "content-type"), "application/json");
	assert_non_null(th_header(r, "x-amz-security-token"));
	body = json_loads(r->body, 0, NULL);
	assert_non_null(body);
	assert_string_equal(
	    json_string_value(json_object_get(body, "clientToken")),
	    "sandform-lineage-box-generation-0001");
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(body, "networkConfiguration"), "networkMode")),
	    "VPC");
	assert_string_equal(json_string_value(json_object_get(
	                        json_object_get(body, "tags"), "team")),
	    "data");
	json_decref(body);

	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, "box-AbCdEfGhIj", &ci, &err), 0);
	assert_string_equal(ci.failure_reason, "role validation failed");
	assert_string_equal(ci.network_mode, "VPC");
	assert_int_equal(ci.subnets.n, 1);
	assert_string_equal(ci.security_groups.v[0], "sg-0abc12345");
	/* +01:00 is an hour before the same wall time in UTC. */
	assert_int_equal(ci.last_updated_at, 1795683660000LL);
	sf_ci_release(&ci);

	/* ResourceNotFoundException is SF_ENOTFOUND, with its details. */
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, "missing-AbCdEfGhIj", &ci, &err),
	    SF_ENOTFOUND);
	assert_non_null(strstr(err.msg, "ResourceNotFoundException (404)"));
	assert_non_null(strstr(err.msg, "no such interpreter"));
	assert_non_null(strstr(err.msg, "req-0001"));
	assert_int_equal(w->f.bad_signatures, 0);
	world_free(w);
}

static void
test_list_pages(void **state)
{
	struct world *w = world_new(false);
	struct sf_ci_list l;
	struct sf_err err;

	(void)state;
	assert_int_equal(w->p->ops->list_interpreters(w->p, &l, &err), SF_OK);
	assert_int_equal(l.pages, 3);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[2].name, "n3");
	sf_ci_list_release(&l);
	assert_string_equal(
	    th_request_at(w->srv, 0)->uri, "/code-interpreters?maxResults=100");
	assert_string_equal(th_request_at(w->srv, 2)->uri,
	    "/code-interpreters?maxResults=100&nextToken=p3");
	assert_string_equal(th_request_at(w->srv, 0)->method, "POST");
	world_free(w);
}

static void
test_delete_tags_labels(void **state)
{
	struct world *w = world_new(false);
	static const char *const keys[] = { "team", "cost center" };
	static const struct sf_kv tags[] = { { (char *)"a", (char *)"b" } };
	const char *arn = "arn:aws:bedrock-agentcore:us-west-2:123456789012:"
	                  "code-interpreter-custom/box-AbCdEfGhIj";
	struct sf_kvs kv;
	struct sf_err err;

	(void)state;
	assert_int_equal(w->p->ops->delete_interpreter(w->p, "box-AbCdEfGhIj",
	                     "tok-0123456789012345678901234567890", NULL, &err),
	    0);
	assert_string_equal(last_request(w)->uri,
	    "/code-interpreters/box-AbCdEfGhIj?clientToken="
	    "tok-0123456789012345678901234567890");
	assert_string_equal(last_request(w)->method, "DELETE");
	assert_int_equal(w->p->ops->tag(w->p, arn, tags, 1, &err), 0);
	/* The ARN is one label: ':' and '/' are encoded (and signed twice
	 * encoded, which the server's verifier checked). */
	assert_string_equal(last_request(w)->uri,
	    "/tags/arn%3Aaws%3Abedrock-agentcore%3Aus-west-2%3A123456789012%3A"
	    "code-interpreter-custom%2Fbox-AbCdEfGhIj");
	assert_string_equal(last_request(w)->body, "{\"tags\":{\"a\":\"b\"}}");
	assert_int_equal(w->p->ops->untag(w->p, arn, keys, 2, &err), 0);
	assert_non_null(strstr(
	    last_request(w)->uri, "?tagKeys=team&tagKeys=cost%20center"));
	assert_int_equal(w->p->ops->list_tags(w->p, arn, &kv, &err), 0);
	assert_int_equal(kv.n, 1);
	assert_string_equal(kv.v[0].value, "data");
	sf_kvs_release(&kv);
	assert_int_equal(w->f.bad_signatures, 0);
	world_free(w);
}

static void
test_sessions(void **state)
{
	struct world *w = world_new(false);
	struct sf_session_spec spec = { "sandform-job-run", 600, NULL };
	struct sf_session s;
	struct sf_session_list l;
	struct sf_err err;
	json_t *body;

	(void)state;
	assert_int_equal(
	    w->p->ops->start_session(w->p, "box-AbCdEfGhIj", &spec, &s, &err),
	    0);
	assert_string_equal(s.session_id, "01JABCDEFGHJKMNPQRSTVWXYZ0");
	sf_session_release(&s);
	assert_string_equal(last_request(w)->uri,
	    "/code-interpreters/box-AbCdEfGhIj/sessions/start");
	body = json_loads(last_request(w)->body, 0, NULL);
	assert_int_equal(
	    json_integer_value(json_object_get(body, "sessionTimeoutSeconds")),
	    600);
	assert_int_equal(
	    strlen(json_string_value(json_object_get(body, "clientToken"))),
	    36);
	json_decref(body);
	assert_int_equal(w->p->ops->get_session(w->p, "box-AbCdEfGhIj",
	                     "01JABCDEFGHJKMNPQRSTVWXYZ0", &s, &err),
	    0);
	assert_string_equal(s.status, "READY");
	assert_int_equal(s.timeout_s, 600);
	sf_session_release(&s);
	assert_string_equal(last_request(w)->uri,
	    "/code-interpreters/box-AbCdEfGhIj/sessions/get?sessionId="
	    "01JABCDEFGHJKMNPQRSTVWXYZ0");
	assert_int_equal(w->p->ops->list_sessions(
	                     w->p, "aws.codeinterpreter.v1", "READY", &l, &err),
	    0);
	assert_int_equal(l.n, 1);
	sf_session_list_release(&l);
	assert_string_equal(last_request(w)->uri,
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/list");
	assert_non_null(strstr(last_request(w)->body, "\"status\":\"READY\""));
	assert_int_equal(
	    w->p->ops->stop_session(w->p, "box-AbCdEfGhIj", "s1", &err), 0);
	assert_string_equal(last_request(w)->method, "PUT");
	assert_non_null(strstr(last_request(w)->body, "clientToken"));
	assert_int_equal(w->f.bad_signatures, 0);
	world_free(w);
}

struct collected {
	int n;
	char out[256];
	int exit_code;
	size_t blob_len;
};

static int
collect(const struct sf_tool_result *r, void *ud)
{
	struct collected *c = ud;

	c->n++;
	if (r->std_out)
		snprintf(c->out, sizeof(c->out), "%s", r->std_out);
	if (r->has_exit_code)
		c->exit_code = r->exit_code;
	if (r->ncontent && r->content[0].blob)
		c->blob_len = r->content[0].blob_len;
	return 0;
}

static int
invoke(
    struct world *w, const char *mode, struct collected *c, struct sf_err *err)
{
	struct sf_tool_call call;

	memset(&call, 0, sizeof(call));
	call.name = "executeCode";
	call.code = "print('hello')";
	call.language = "python";
	memset(c, 0, sizeof(*c));
	w->f.stream = mode;
	return w->p->ops->invoke(
	    w->p, "box-AbCdEfGhIj", "sess1", &call, collect, c, err);
}

static void
test_invoke_stream(void **state)
{
	struct world *w = world_new(false);
	struct collected c;
	struct sf_err err;

	(void)state;
	assert_int_equal(invoke(w, "ok", &c, &err), SF_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.out, "hello\n");
	assert_int_equal(c.exit_code, 3);
	assert_int_equal(c.blob_len, 4);
	assert_string_equal(
	    th_header(last_request(w), "x-amzn-code-interpreter-session-id"),
	    "sess1");
	assert_non_null(strstr(last_request(w)->body,
	    "{\"arguments\":{\"code\":\"print('hello')\",\"language\":"
	    "\"python\"},\"name\":\"executeCode\"}"));

	/* A modelled exception inside a 200 stream keeps its AWS type. */
	assert_int_equal(invoke(w, "exception", &c, &err), SF_EREMOTE);
	assert_int_equal(c.n, 1);
	assert_non_null(strstr(err.msg, "ValidationException"));
	assert_non_null(strstr(err.msg, "bad code"));
	assert_int_equal(invoke(w, "error", &c, &err), SF_EREMOTE);
	assert_non_null(strstr(err.msg, "InternalFailure: it broke"));

	/* Truncated and corrupted streams: a clean error, no crash. */
	if (invoke(w, "truncated", &c, &err) != SF_EINVALID)
		fail_msg("truncated: %s", err.msg);
	assert_int_equal(invoke(w, "corrupt", &c, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "checksum"));
	world_free(w);
}

static void
test_throttling_absorbed(void **state)
{
	struct world *w = world_new(false);
	struct sf_ci_list l;
	struct sf_err err;

	(void)state;
	/* A burst of throttling within the budget of 5 attempts. */
	w->f.throttle = 4;
	assert_int_equal(w->p->ops->list_interpreters(w->p, &l, &err), SF_OK);
	sf_ci_list_release(&l);
	assert_int_equal(th_request_count(w->srv), 4 + 3);
	/* Four backoffs, each within its growing full-jitter cap. */
	assert_int_equal(w->clock.sleeps, 4);
	assert_non_null(
	    strstr(w->log.buf, "attempt 4 failed (ThrottlingException"));

	/* Past the budget the error is the service's. */
	th_clear_requests(w->srv);
	w->f.throttle = 50;
	assert_int_equal(
	    w->p->ops->list_interpreters(w->p, &l, &err), SF_EREMOTE);
	assert_int_equal(th_request_count(w->srv), 5);
	assert_non_null(strstr(err.msg, "ThrottlingException (429)"));
	w->f.throttle = 0;
	world_free(w);
}

static void
test_5xx_and_drops(void **state)
{
	struct world *w = world_new(false);
	struct collected c;
	struct sf_ci ci;
	struct sf_err err;

	(void)state;
	w->f.fail_500 = 2;
	w->f.drop = 2;
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, "box-AbCdEfGhIj", &ci, &err), 0);
	sf_ci_release(&ci);
	assert_int_equal(th_request_count(w->srv), 5);

	/* InvokeCodeInterpreter is not retried once the server had it. */
	th_clear_requests(w->srv);
	w->f.fail_500 = 1;
	assert_int_equal(invoke(w, "ok", &c, &err), SF_EREMOTE);
	assert_int_equal(th_request_count(w->srv), 1);
	assert_non_null(strstr(err.msg, "InternalServerException (500)"));
	th_clear_requests(w->srv);
	w->f.drop = 1;
	assert_int_equal(invoke(w, "ok", &c, &err), SF_ERROR);
	assert_int_equal(th_request_count(w->srv), 1);
	/* But throttling is: nothing ran. */
	th_clear_requests(w->srv);
	w->f.throttle = 1;
	assert_int_equal(invoke(w, "ok", &c, &err), SF_OK);
	assert_int_equal(th_request_count(w->srv), 2);
	world_free(w);
}

static void
test_timeouts(void **state)
{
	struct world *w = world_new(false);
	struct sf_http_opts ho = { 0 };
	struct sf_agentcore_opts o;
	struct sf_provider *p;
	struct sf_ci ci;
	struct sf_err err;

	(void)state;
	/* A client whose requests time out after 300 ms. */
	ho.timeout_ms = 300;
	w->env.http = sf_http_new(&ho);
	memset(&o, 0, sizeof(o));
	o.region = "us-west-2";
	o.endpoint = th_url(w->srv);
	o.env = &w->env;
	o.clock = &w->ck;
	assert_int_equal(sf_agentcore_new(&o, &p, &err), SF_OK);
	w->f.stall = 2;
	assert_int_equal(
	    p->ops->get_interpreter(p, "box-AbCdEfGhIj", &ci, &err), SF_OK);
	sf_ci_release(&ci);
	assert_int_equal(th_request_count(w->srv), 3);
	/* Past the budget: a clear error naming the attempts. */
	w->f.stall = 10;
	assert_int_equal(
	    p->ops->get_interpreter(p, "box-AbCdEfGhIj", &ci, &err), SF_ERROR);
	assert_non_null(strstr(err.msg, "after 5 attempts"));
	assert_non_null(strstr(err.msg, "Timeout was reached"));
	w->f.stall = 0;
	p->ops->free(p);
	sf_http_free(w->env.http);
	w->env.http = NULL;
	world_free(w);
}

static volatile sig_atomic_t stop_flag;

static void *
raise_later(void *arg)
{
	struct timespec ts = { 0, 200 * 1000000L };

	(void)arg;
	nanosleep(&ts, NULL);
	stop_flag = 1;
	return NULL;
}

static void
test_invoke_interrupted(void **state)
{
	struct world *w = world_new(false);
	struct sf_agentcore_opts o;
	struct sf_provider *p;
	struct sf_tool_call call;
	struct sf_err err;
	struct timespec t0, t1;
	pthread_t th;
	int rc;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.region = "us-west-2";
	o.endpoint = th_url(w->srv);
	o.env = &w->env;
	o.interrupted = &stop_flag;
	assert_int_equal(sf_agentcore_new(&o, &p, &err), SF_OK);
	memset(&call, 0, sizeof(call));
	call.name = "executeCommand";
	call.command = "sleep 10";
	stop_flag = 0;
	w->f.stall = 1; /* the answer takes a second */
	pthread_create(&th, NULL, raise_later, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = p->ops->invoke(p, "box-AbCdEfGhIj", "s1", &call, NULL, NULL, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	assert_int_not_equal(rc, SF_OK);
	assert_non_null(strstr(err.msg, "interrupted"));
	assert_true(t1.tv_sec - t0.tv_sec < 1 ||
	            (t1.tv_sec - t0.tv_sec == 1 && t1.tv_nsec < t0.tv_nsec));
	/* Stopping the session is not interrupted by the same flag. */
	assert_int_equal(
	    p->ops->stop_session(p, "box-AbCdEfGhIj", "s1", &err), SF_OK);
	stop_flag = 0;
	p->ops->free(p);
	world_free(w);
}

static void
test_clock_skew_corrected(void **state)
{
	struct world *w = world_new(false);
	struct sf_ci ci;
	struct sf_err err;

	(void)state;
	/* The server's clock is an hour ahead: the first signature is
	 * "expired" to it; its Date header tells the client by how much. */
	w->f.server_skew_s = 3600;
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, "box-AbCdEfGhIj", &ci, &err), 0);
	sf_ci_release(&ci);
	assert_int_equal(w->f.bad_signatures, 1);
	assert_non_null(strstr(w->f.last_error, "Signature expired"));
	assert_true(llabs(sf_aws_client_skew_ms(sf_agentcore_client(w->p)) -
	                  3600000) < 5000);
	/* Later calls are signed right the first time. */
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, "box-AbCdEfGhIj", &ci, &err), 0);
	sf_ci_release(&ci);
	assert_int_equal(w->f.bad_signatures, 1);
	world_free(w);
}

static void
test_rate_limits_and_parallel(void **state)
{
	struct world *w = world_new(true);
	struct sf_aws_client *c = sf_agentcore_client(w->p);
	struct sf_aws_request reqs[12];
	struct sf_aws_response resps[12];
	struct sf_err errs[12];
	int rcs[12];
	size_t i;

	(void)state;
	memset(reqs, 0, sizeof(reqs));
	for (i = 0; i < 12; i++) {
		reqs[i].operation = "CreateCodeInterpreter";
		reqs[i].plane = SF_AWS_CONTROL;
		reqs[i].method = "PUT";
		reqs[i].path = "/code-interpreters";
		reqs[i].body = "{\"name\":\"x\",\"networkConfiguration\":"
		               "{\"networkMode\":\"SANDBOX\"}}";
		reqs[i].idempotent = true;
	}
	sf_aws_call_many(c, reqs, resps, rcs, errs, 12, NULL);
	for (i = 0; i < 12; i++) {
		assert_int_equal(rcs[i], SF_OK);
		assert_int_equal(resps[i].status, 202);
		sf_aws_response_release(&resps[i]);
	}
	/* 5 per second: the first five at once, the other seven spread over
	 * more than a second of (fake) waiting. */
	assert_true(w->clock.slept_ms >= 1300);
	assert_true(w->clock.slept_ms < 3000);
	world_free(w);
}

static void
count_done(struct sf_pcall *c, void *ud)
{
	int *n = ud;

	(*n)++;
	assert_int_equal(c->rc, SF_OK);
}

static void
test_batch(void **state)
{
	struct world *w = world_new(false);
	static const struct sf_kv tags[] = { { (char *)"k", (char *)"v" } };
	struct sf_ci_spec spec;
	struct sf_pcall calls[6];
	int done = 0;
	size_t i;

	(void)state;
	memset(&spec, 0, sizeof(spec));
	spec.name = "box";
	spec.network_mode = "SANDBOX";
	memset(calls, 0, sizeof(calls));
	calls[0].kind = SF_PCALL_CREATE;
	calls[0].spec = &spec;
	calls[1].kind = SF_PCALL_CREATE;
	calls[1].spec = &spec;
	calls[2].kind = SF_PCALL_GET;
	calls[2].id = "box-AbCdEfGhIj";
	calls[3].kind = SF_PCALL_DELETE;
	calls[3].id = "box-AbCdEfGhIj";
	calls[4].kind = SF_PCALL_TAG;
	calls[4].arn = "arn:aws:bedrock-agentcore:us-west-2:123456789012:x/y";
	calls[4].tags = tags;
	calls[4].ntags = 1;
	calls[5].kind = SF_PCALL_COUNT_SESSIONS;
	calls[5].id = "box-AbCdEfGhIj";
	w->p->ops->batch(w->p, calls, 6, 2, count_done, &done);
	assert_int_equal(done, 6);
	assert_int_equal(th_request_count(w->srv), 6);
	assert_string_equal(calls[0].ci.status, "CREATING");
	assert_string_equal(calls[2].ci.status, "CREATE_FAILED");
	assert_string_equal(calls[3].ci.status, "DELETING");
	assert_int_equal(calls[5].sessions, 1);
	for (i = 0; i < 6; i++)
		sf_ci_release(&calls[i].ci);
	assert_int_equal(w->f.bad_signatures, 0);
	world_free(w);
}

static void
test_error_parsing(void **state)
{
	struct sf_http_headers h = { 0 };
	struct sf_aws_error e;
	struct sf_err err;
	const char *body = "{\"message\":\"bad\",\"reason\":"
	                   "\"FieldValidationFailed\",\"fieldList\":[{\"name\":"
	                   "\"name\",\"message\":\"pattern\"}]}";

	(void)state;
	sf_http_headers_add(&h, "X-Amzn-ErrorType",
	    "ValidationException:http://internal.amazon.com/coral/x/");
	sf_http_headers_add(&h, "x-amzn-RequestId", "rid-1");
	sf_aws_parse_error(&e, 400, &h, body, strlen(body));
	assert_string_equal(e.type, "ValidationException");
	assert_string_equal(e.reason, "FieldValidationFailed");
	assert_string_equal(e.fields, "name: pattern");
	assert_int_equal(
	    sf_aws_error_to_err(&e, "CreateCodeInterpreter", &err), SF_EREMOTE);
	assert_string_equal(err.msg,
	    "ValidationException (400): bad [reason FieldValidationFailed] "
	    "[fields name: pattern] (request id rid-1)");
	sf_http_headers_release(&h);

	body = "{\"__type\":\"com.amazonaws.x#ConflictException\","
	       "\"Message\":\"exists\"}";
	sf_aws_parse_error(&e, 409, &h, body, strlen(body));
	assert_string_equal(e.type, "ConflictException");
	assert_string_equal(e.message, "exists");
	body = "{\"code\":\"ServiceQuotaExceededException\"}";
	sf_aws_parse_error(&e, 402, &h, body, strlen(body));
	assert_string_equal(e.type, "ServiceQuotaExceededException");
	sf_aws_parse_error(&e, 503, &h, "<html>busy</html>", 17);
	assert_string_equal(e.type, "InternalServerException");
	assert_string_equal(e.message, "<html>busy</html>");
	sf_aws_parse_error(&e, 429, &h, NULL, 0);
	assert_string_equal(e.type, "ThrottlingException");
}

static const char *
endpoint_env(const char *name, void *ud)
{
	const char *const *kv = ud;

	for (; kv && *kv; kv += 2)
		if (!strcmp(kv[0], name))
			return kv[1];
	return NULL;
}

static void
test_endpoints(void **state)
{
	static const char *fips[] = { "AWS_USE_FIPS_ENDPOINT", "true", NULL };
	static const char *both[] = { "AWS_ENDPOINT_URL", "http://127.0.0.1:9/",
		"AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", "http://127.0.0.1:8",
		NULL };
	static const char *ignore[] = { "AWS_ENDPOINT_URL",
		"http://127.0.0.1:9", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"true", NULL };
	struct sf_endpoints e;
	struct sf_err err;

	(void)state;
	assert_int_equal(sf_endpoints_resolve(
	                     &e, "us-west-2", NULL, endpoint_env, NULL, &err),
	    0);
	assert_string_equal(e.control,
	    "https://bedrock-agentcore-control.us-west-2.amazonaws.com");
	assert_string_equal(
	    e.data, "https://bedrock-agentcore.us-west-2.amazonaws.com");
	sf_endpoints_release(&e);
	assert_int_equal(sf_endpoints_resolve(&e, "cn-north-1", NULL,
	                     endpoint_env, (void *)fips, &err),
	    0);
	assert_string_equal(e.data,
	    "https://bedrock-agentcore-fips.cn-north-1.amazonaws.com.cn");
	sf_endpoints_release(&e);
	/* Service-specific beats global; the trailing slash goes. */
	assert_int_equal(sf_endpoints_resolve(
	                     &e, NULL, NULL, endpoint_env, (void *)both, &err),
	    0);
	assert_string_equal(e.control, "http://127.0.0.1:9");
	assert_string_equal(e.data, "http://127.0.0.1:8");
	sf_endpoints_release(&e);
	/* The manifest beats the environment. */
	assert_int_equal(sf_endpoints_resolve(&e, NULL, "https://example.com",
	                     endpoint_env, (void *)both, &err),
	    0);
	assert_string_equal(e.control, "https://example.com");
	sf_endpoints_release(&e);
	assert_int_equal(sf_endpoints_resolve(&e, "us-east-1", NULL,
	                     endpoint_env, (void *)ignore, &err),
	    0);
	assert_true(sf_str_has_prefix(e.control, "https://bedrock"));
	sf_endpoints_release(&e);
	assert_int_equal(
	    sf_endpoints_resolve(&e, NULL, NULL, endpoint_env, NULL, &err),
	    SF_EINVALID);
	assert_non_null(strstr(err.msg, "no AWS region"));
	assert_int_equal(sf_endpoints_resolve(&e, "us-east-1", "ftp://x",
	                     endpoint_env, NULL, &err),
	    SF_EINVALID);
}

/* The rule set's own cases, from ../shared/spec when it is there. */
static void
test_endpoint_rule_set(void **state)
{
	const char *shared = getenv("SF_SHARED_DIR");
	static const char *const services[] = { "bedrock-agentcore-control/"
		                                "2023-06-05",
		"bedrock-agentcore/2024-02-28" };
	size_t s, i, ran = 0;

	(void)state;
	for (s = 0; shared && s < 2; s++) {
		char *path =
		    sf_xasprintf("%s/spec/models/%s/endpoint-tests-1.json",
		        shared, services[s]);
		json_t *j = json_load_file(path, 0, NULL), *t;

		free(path);
		if (!j)
			continue;
		json_array_foreach(json_object_get(j, "testCases"), i, t)
		{
			json_t *params = json_object_get(t, "params");
			const char *region = json_string_value(
			    json_object_get(params, "Region"));
			const char *endpoint = json_string_value(
			    json_object_get(params, "Endpoint"));
			const char *want = json_string_value(json_object_get(
			    json_object_get(
			        json_object_get(t, "expect"), "endpoint"),
			    "url"));
			const char *env[7] = { NULL };
			struct sf_endpoints e;
			struct sf_err err;
			int rc, k = 0;

			if (json_is_true(json_object_get(params, "UseFIPS"))) {
				env[k++] = "AWS_USE_FIPS_ENDPOINT";
				env[k++] = "true";
			}
			if (json_is_true(
			        json_object_get(params, "UseDualStack"))) {
				env[k++] = "AWS_USE_DUALSTACK_ENDPOINT";
				env[k++] = "true";
			}
			rc = sf_endpoints_resolve(
			    &e, region, endpoint, endpoint_env, env, &err);
			if (want) {
				assert_int_equal(rc, 0);
				assert_string_equal(
				    s ? e.data : e.control, want);
				sf_endpoints_release(&e);
			} else {
				assert_int_not_equal(rc, 0);
			}
			ran++;
		}
		json_decref(j);
	}
	if (!ran)
		print_message("../shared/spec not found; skipping the endpoint "
		              "rule-set cases\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_get),
		cmocka_unit_test(test_list_pages),
		cmocka_unit_test(test_delete_tags_labels),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_invoke_stream),
		cmocka_unit_test(test_throttling_absorbed),
		cmocka_unit_test(test_5xx_and_drops),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_invoke_interrupted),
		cmocka_unit_test(test_clock_skew_corrected),
		cmocka_unit_test(test_rate_limits_and_parallel),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_error_parsing),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_endpoint_rule_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
