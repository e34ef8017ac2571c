#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <strings.h>
#include <unistd.h>

#include "testhttpd.h"

struct th_server {
	struct MHD_Daemon *d;
	th_handler *handler;
	void *ud;
	int port;
	char url[64];
	pthread_mutex_t lock;
	struct th_request **reqs;
	size_t nreqs, areqs;
};

struct conn {
	char *uri;
	struct sf_buf body;
	bool started; /* the handler's first call (headers only) is past */
};

void
th_response_header(struct th_response *r, const char *name, const char *value)
{
	if (r->nheaders >= SF_ARRAY_LEN(r->headers))
		sf_die("th_response_header: too many headers");
	r->headers[r->nheaders].name = sf_xstrdup(name);
	r->headers[r->nheaders].value = sf_xstrdup(value);
	r->nheaders++;
}

static void *
log_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn *k = sf_xcalloc(1, sizeof(*k));

	(void)cls;
	(void)c;
	k->uri = sf_xstrdup(uri);
	sf_buf_init(&k->body, 0);
	return k;
}

static enum MHD_Result
add_header(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct th_request *r = cls;

	(void)kind;
	r->headers =
	    sf_xrealloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
	r->headers[r->nheaders].name = sf_xstrdup(key);
	r->headers[r->nheaders].value = sf_xstrdup(value ? value : "");
	r->nheaders++;
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct th_server *s = cls;
	struct conn *k = *con_cls;
	struct th_request *r;
	struct th_response res;
	struct MHD_Response *mr;
	enum MHD_Result ret;
	size_t i;

	(void)url;
	(void)version;
	/* MHD calls once with the headers, once per piece of the body, and
	 * once more at its end: answer only then. */
	if (!k->started) {
		k->started = true;
		return MHD_YES;
	}
	if (*upload_size) {
		sf_buf_add(&k->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	r = sf_xcalloc(1, sizeof(*r));
	r->method = sf_xstrdup(method);
	r->uri = sf_xstrdup(k->uri);
	r->body = sf_buf_detach(&k->body, &r->body_len);
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, r);
	pthread_mutex_lock(&s->lock);
	SF_ALLOC_GROW(s->reqs, s->nreqs + 1, s->areqs);
	s->reqs[s->nreqs++] = r;
	pthread_mutex_unlock(&s->lock);

	memset(&res, 0, sizeof(res));
	res.status = 200;
	sf_buf_init(&res.body, 0);
	s->handler(r, &res, s->ud);
	if (res.delay_ms > 0) {
		struct timespec ts = { res.delay_ms / 1000,
			(res.delay_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	if (res.action == TH_DROP) {
		ret = MHD_NO;
	} else {
		size_t len;
		char *body = sf_buf_detach(&res.body, &len);

		mr = MHD_create_response_from_buffer(
		    len, body, MHD_RESPMEM_MUST_FREE);
		for (i = 0; i < res.nheaders; i++)
			MHD_add_response_header(
			    mr, res.headers[i].name, res.headers[i].value);
		ret = MHD_queue_response(c, (unsigned)res.status, mr);
		MHD_destroy_response(mr);
	}
	for (i = 0; i < res.nheaders; i++) {
		free(res.headers[i].name);
		free(res.headers[i].value);
	}
	sf_buf_release(&res.body);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *k = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!k)
		return;
	free(k->uri);
	sf_buf_release(&k->body);
	free(k);
	*con_cls = NULL;
}

struct th_server *
th_start(th_handler *handler, void *ud)
{
	struct th_server *s = sf_xcalloc(1, sizeof(*s));
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	s->handler = handler;
	s->ud = ud;
	pthread_mutex_init(&s->lock, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	                            MHD_USE_THREAD_PER_CONNECTION |
	                            MHD_USE_ERROR_LOG,
	    0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_URI_LOG_CALLBACK, log_uri, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!s->d)
		sf_die("testhttpd: cannot start on 127.0.0.1");
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info->port;
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	return s;
}

int
th_port(const struct th_server *s)
{
	return s->port;
}

const char *
th_url(const struct th_server *s)
{
	return s->url;
}

static void
free_request(struct th_request *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->method);
	free(r->uri);
	free(r->body);
	free(r);
}

void
th_clear_requests(struct th_server *s)
{
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nreqs; i++)
		free_request(s->reqs[i]);
	s->nreqs = 0;
	pthread_mutex_unlock(&s->lock);
}

void
th_stop(struct th_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	th_clear_requests(s);
	free(s->reqs);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

size_t
th_request_count(struct th_server *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->nreqs;
	pthread_mutex_unlock(&s->lock);
	return n;
}

struct th_request *
th_request_at(struct th_server *s, size_t i)
{
	struct th_request *r;

	pthread_mutex_lock(&s->lock);
	r = i < s->nreqs ? s->reqs[i] : NULL;
	pthread_mutex_unlock(&s->lock);
	return r;
}

const char *
th_header(const struct th_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}
