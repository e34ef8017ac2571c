/* The harness of the embedded control plane's tests: see the header. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "local/server_internal.h"
#include "provider/aws/sigv4.h"
#include "test_local_support.h"

/* ---- the fake backend ---- */

struct lt_fake_session {
	struct lt_backend *be;
	int refs;
	bool stopped;
};

static json_t *
text_result(const char *text, bool is_error, int exit_code)
{
	return json_pack("{s:[{s:s, s:s}], s:{s:s, s:s, s:i, s:f}, s:b}",
	    "content", "type", "text", "text", text, "structuredContent",
	    "stdout", text, "stderr", "", "exitCode", exit_code,
	    "executionTime", 1.5, "isError", is_error);
}

static int
fb_start(void *ctx, const struct sf_backend_session_opts *o,
    struct sf_backend_session **out, struct sf_err *err)
{
	struct lt_backend *be = ctx;
	struct lt_fake_session *s;

	pthread_mutex_lock(&be->mu);
	if (be->fail_start) {
		pthread_mutex_unlock(&be->mu);
		return sf_error(err, SF_ERROR, "fake", "no sandbox today");
	}
	be->starts++;
	snprintf(
	    be->last_network, sizeof(be->last_network), "%s", o->network_mode);
	be->last_timeout = o->timeout_s;
	pthread_mutex_unlock(&be->mu);
	s = sf_xcalloc(1, sizeof(*s));
	s->be = be;
	*out = (struct sf_backend_session *)s;
	return SF_OK;
}

static void
fb_release(struct lt_fake_session *s)
{
	struct lt_backend *be = s->be;
	bool gone;

	pthread_mutex_lock(&be->mu);
	gone = --s->refs == 0 && s->stopped;
	pthread_mutex_unlock(&be->mu);
	if (gone)
		free(s);
}

static int
fb_invoke(struct sf_backend_session *bs, const char *tool, json_t *args,
    json_t **result, struct sf_err *err)
{
	struct lt_fake_session *s = (struct lt_fake_session *)bs;
	struct lt_backend *be = s->be;
	const char *cmd = json_string_value(json_object_get(args, "command"));
	const char *code = json_string_value(json_object_get(args, "code"));
	int rc = SF_OK;

	pthread_mutex_lock(&be->mu);
	if (s->stopped) {
		pthread_mutex_unlock(&be->mu);
		return sf_error(err, SF_ENOTFOUND, tool, "the session ended");
	}
	s->refs++;
	be->invokes++;
	if (cmd && !strcmp(cmd, "block")) {
		be->blocked = s;
		pthread_cond_broadcast(&be->cv);
		while (!s->stopped)
			pthread_cond_wait(&be->cv, &be->mu);
		be->blocked = NULL;
		pthread_mutex_unlock(&be->mu);
		fb_release(s);
		return sf_error(err, SF_ENOTFOUND, tool,
		    "the session was stopped while the command ran");
	}
	pthread_mutex_unlock(&be->mu);
	if (!strcmp(tool, "executeCommand") && cmd && !strcmp(cmd, "fail")) {
		rc =
		    sf_error(err, SF_EINVALID, tool, "the fake refuses 'fail'");
	} else if (!strcmp(tool, "executeCommand") && cmd &&
	           !strcmp(cmd, "exit 3")) {
		*result = text_result("", true, 3);
	} else if (!strcmp(tool, "executeCommand") && cmd) {
		char *t = sf_xasprintf("ran: %s", cmd);

		*result = text_result(t, false, 0);
		free(t);
	} else if (!strcmp(tool, "executeCode") && code) {
		*result = text_result(code, false, 0);
	} else {
		*result = text_result("", false, 0);
	}
	fb_release(s);
	return rc;
}

static void
fb_stop(struct sf_backend_session *bs)
{
	struct lt_fake_session *s = (struct lt_fake_session *)bs;
	struct lt_backend *be = s->be;
	bool now;

	pthread_mutex_lock(&be->mu);
	be->stops++;
	now = s->refs == 0;
	s->stopped = true;
	pthread_cond_broadcast(&be->cv);
	pthread_mutex_unlock(&be->mu);
	if (now)
		free(s);
}

static bool
fb_alive(struct sf_backend_session *bs)
{
	(void)bs;
	return true;
}

static const char *
fb_describe(void *ctx)
{
	(void)ctx;
	return "fake (tests)";
}

static void
fb_free(void *ctx)
{
	(void)ctx;
}

static const struct sf_backend_ops fake_ops = {
	.start = fb_start,
	.invoke = fb_invoke,
	.stop = fb_stop,
	.alive = fb_alive,
	.describe = fb_describe,
	.free = fb_free,
};

/* ---- the world ---- */

static int64_t
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
server_now(void *ud)
{
	struct lt_world *w = ud;
	int64_t fixed = __atomic_load_n(&w->fixed, __ATOMIC_SEQ_CST);

	return fixed
	           ? fixed
	           : real_ms() + __atomic_load_n(&w->offset, __ATOMIC_SEQ_CST);
}

void
lt_advance(struct lt_world *w, int64_t ms)
{
	__atomic_add_fetch(&w->offset, ms, __ATOMIC_SEQ_CST);
}

int
lt_port(struct lt_world *w)
{
	return sf_local_server_port(w->srv);
}

/* Credentials and clocks of the clients, alive until lt_free. */
struct client_env {
	char akid[64], secret[96];
	int64_t skew;
	struct sf_creds_env env;
	struct sf_aws_clock clock;
	struct client_env *next;
};

static struct client_env *envs;

static const char *
client_getenv(const char *name, void *ud)
{
	struct client_env *e = ud;

	if (!strcmp(name, "AWS_ACCESS_KEY_ID"))
		return e->akid;
	if (!strcmp(name, "AWS_SECRET_ACCESS_KEY"))
		return e->secret;
	if (!strcmp(name, "AWS_EC2_METADATA_DISABLED"))
		return "true";
	if (!strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") ||
	    !strcmp(name, "AWS_CONFIG_FILE"))
		return "/nonexistent";
	return NULL;
}

static int64_t
client_now(void *ud)
{
	struct client_env *e = ud;

	return real_ms() + e->skew;
}

static void
client_sleep(void *ud, int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)ud;
	nanosleep(&ts, NULL);
}

static uint64_t
client_random(void *ud)
{
	static uint64_t x = 88172645463325252ULL;

	(void)ud;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

struct sf_provider *
lt_client(struct lt_world *w, const char *akid, const char *secret,
    const char *region, int64_t skew_ms)
{
	struct client_env *e = sf_xcalloc(1, sizeof(*e));
	struct sf_agentcore_opts o;
	struct sf_provider *p;
	struct sf_err err;

	snprintf(e->akid, sizeof(e->akid), "%s", akid);
	snprintf(e->secret, sizeof(e->secret), "%s", secret);
	e->skew = skew_ms;
	e->env.getenv = client_getenv;
	e->env.getenv_ud = e;
	e->env.home = "/nonexistent";
	e->clock.now_ms = client_now;
	e->clock.sleep_ms = client_sleep;
	e->clock.random = client_random;
	e->clock.ud = e;
	e->next = envs;
	envs = e;
	memset(&o, 0, sizeof(o));
	o.region = region;
	o.endpoint = sf_local_server_url(w->srv);
	o.max_attempts = 1;
	o.env = &e->env;
	o.clock = &e->clock;
	if (sf_agentcore_new(&o, &p, &err))
		fail_msg("sf_agentcore_new: %s", err.msg);
	return p;
}

static void
server_up(struct lt_world *w)
{
	struct sf_local_opts o = w->opts;
	struct sf_local_key key = { LT_AKID, LT_SECRET, NULL };
	struct sf_local_clock ck = { server_now, NULL, w };
	struct sf_err err;

	o.data_dir = w->dir;
	o.keys = &key;
	o.nkeys = 1;
	o.backend.ops = &fake_ops;
	o.backend.ctx = &w->be;
	o.clock = &ck; /* copied by the server */
	if (sf_local_server_new(&o, &w->srv, &err))
		fail_msg("sf_local_server_new: %s: %s", err.where, err.msg);
	if (sf_local_server_listen(w->srv, "127.0.0.1:0", &err))
		fail_msg("sf_local_server_listen: %s", err.msg);
	w->p = lt_client(w, LT_AKID, LT_SECRET, LT_REGION, 0);
}

struct lt_world *
lt_start(void (*tweak)(struct sf_local_opts *o))
{
	struct lt_world *w = sf_xcalloc(1, sizeof(*w));

	pthread_mutex_init(&w->be.mu, NULL);
	pthread_cond_init(&w->be.cv, NULL);
	snprintf(w->dir, sizeof(w->dir), "%s/sf-local-test.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(w->dir))
		fail_msg("mkdtemp: %s", strerror(errno));
	w->opts.transition_ms = 200;
	if (tweak)
		tweak(&w->opts);
	server_up(w);
	return w;
}

static void
server_down(struct lt_world *w)
{
	w->p->ops->free(w->p);
	w->p = NULL;
	sf_local_server_free(w->srv);
	w->srv = NULL;
}

void
lt_restart(struct lt_world *w)
{
	server_down(w);
	server_up(w);
}

void
lt_free(struct lt_world *w)
{
	server_down(w);
	sf_local_rmtree(w->dir);
	pthread_mutex_destroy(&w->be.mu);
	pthread_cond_destroy(&w->be.cv);
	while (envs) {
		struct client_env *e = envs;

		envs = e->next;
		free(e);
	}
	free(w);
}

int
lt_call(struct sf_provider *p, int plane, const char *op, const char *method,
    const char *path, const char *query, const char *body,
    struct sf_aws_response *resp, struct sf_err *err)
{
	struct sf_aws_request req;

	memset(&req, 0, sizeof(req));
	req.operation = op;
	req.plane = plane ? SF_AWS_DATA : SF_AWS_CONTROL;
	req.method = method;
	req.path = path;
	req.query = query;
	req.body = body;
	req.idempotent = true;
	memset(resp, 0, sizeof(*resp));
	return sf_aws_call(sf_agentcore_client(p), &req, resp, err);
}

/* ---- raw HTTP ---- */

void
lt_resp_release(struct lt_resp *r)
{
	sf_buf_release(&r->head);
	sf_buf_release(&r->body);
	memset(r, 0, sizeof(*r));
}

const char *
lt_resp_header(struct lt_resp *r, const char *name, char *buf, size_t len)
{
	const char *p = r->head.buf;
	size_t n = strlen(name);

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			snprintf(buf, len, "%.*s",
			    (int)(e ? e - v : (ptrdiff_t)strlen(v)), v);
			return buf;
		}
	}
	return NULL;
}

int
lt_raw(int port, const char *data, size_t len, struct lt_resp *out)
{
	struct sockaddr_in sa;
	struct sf_buf in = SF_BUF_INIT;
	char buf[65536];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t off = 0;
	const char *he;

	memset(out, 0, sizeof(*out));
	sf_buf_init(&out->head, 0);
	sf_buf_init(&out->body, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (off < len) {
		ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break; /* the server may answer before it read all */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, 10000) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		sf_buf_add(&in, buf, (size_t)n);
	}
	close(fd);
	if (!(he = strstr(in.buf, "\r\n\r\n"))) {
		sf_buf_release(&in);
		return -1;
	}
	sf_buf_add(&out->head, in.buf, (size_t)(he - in.buf) + 2);
	sf_buf_add(&out->body, he + 4, in.len - (size_t)(he + 4 - in.buf));
	if (sscanf(in.buf, "HTTP/1.%*d %d", &out->status) != 1)
		out->status = -1;
	sf_buf_release(&in);
	return 0;
}

int
lt_signed(struct lt_world *w, const char *method, const char *path,
    const char *query, const char *body, const char *extra_header,
    struct lt_resp *out)
{
	struct sf_sigv4_header h[2];
	struct sf_sigv4_request req;
	struct sf_sigv4_credentials creds;
	struct sf_sigv4_config cfg;
	struct sf_sigv4_result res;
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	char host[32];
	size_t i, blen = body ? strlen(body) : 0;
	int rc;

	snprintf(host, sizeof(host), "127.0.0.1:%d", lt_port(w));
	h[0].name = "Host";
	h[0].value = host;
	h[1].name = "Content-Type";
	h[1].value = "application/json";
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = query;
	req.headers = h;
	req.nheaders = body ? 2 : 1;
	req.body = body;
	req.body_len = blen;
	sf_sigv4_credentials_init(&creds, LT_AKID, LT_SECRET, NULL);
	sf_sigv4_config_init(
	    &cfg, LT_REGION, "bedrock-agentcore", (time_t)(real_ms() / 1000));
	memset(&res, 0, sizeof(res));
	if (sf_sigv4_sign(&res, &req, &creds, &cfg, &err))
		fail_msg("sign: %s", err.msg);
	sf_buf_addf(&b, "%s %s%s%s HTTP/1.1\r\nHost: %s\r\n", method, path,
	    query ? "?" : "", query ? query : "", host);
	if (body)
		sf_buf_addf(&b, "Content-Type: application/json\r\n");
	for (i = 0; i < res.nheaders; i++)
		sf_buf_addf(&b, "%s: %s\r\n", res.headers[i].name,
		    res.headers[i].value);
	if (extra_header)
		sf_buf_addf(&b, "%s\r\n", extra_header);
	sf_buf_addf(
	    &b, "Content-Length: %zu\r\nConnection: close\r\n\r\n", blen);
	if (body)
		sf_buf_add(&b, body, blen);
	sf_sigv4_result_release(&res);
	sf_sigv4_credentials_release(&creds);
	rc = lt_raw(lt_port(w), b.buf, b.len, out);
	sf_buf_release(&b);
	return rc;
}

char *
lt_create_ready(struct lt_world *w, const char *name, const char *mode)
{
	struct sf_ci_spec spec;
	struct sf_ci ci;
	struct sf_err err;
	char *id;

	memset(&spec, 0, sizeof(spec));
	spec.name = name;
	spec.network_mode = mode;
	if (w->p->ops->create_interpreter(w->p, &spec, &ci, &err))
		fail_msg("create %s: %s", name, err.msg);
	id = ci.id;
	ci.id = NULL;
	sf_ci_release(&ci);
	lt_advance(w, 1000);
	if (w->p->ops->get_interpreter(w->p, id, &ci, &err))
		fail_msg("get %s: %s", id, err.msg);
	if (strcmp(ci.status, "READY"))
		fail_msg("%s is %s, not READY", id, ci.status);
	sf_ci_release(&ci);
	return id;
}
