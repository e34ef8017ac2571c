/*
 * HTTP/1.1 in front of the router: libmicrohttpd with a thread per
 * connection (an invoke may run as long as its session), the raw request
 * target as it came (SigV4 signs the wire path), bodies capped at the
 * payload quota (413 as soon as Content-Length or the data passes it), and
 * a housekeeping thread. The only user of <microhttpd.h>.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "local/server_internal.h"

#define TICK_MS 250

struct conn {
	char *target; /* raw request target */
	struct sf_buf body;
	bool started;   /* the headers-only call is past */
	bool too_large; /* over the payload cap: 413 */
	size_t seen;    /* body bytes received */
};

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct conn *k = sf_xcalloc(1, sizeof(*k));

	(void)cls;
	(void)mc;
	k->target = sf_xstrdup(uri ? uri : "");
	sf_buf_init(&k->body, 0);
	return k;
}

struct header_list {
	struct sf_local_header *v;
	size_t n, alloc;
};

static enum MHD_Result
add_header(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct header_list *h = cls;

	(void)kind;
	SF_ALLOC_GROW(h->v, h->n + 1, h->alloc);
	h->v[h->n].name = key;
	h->v[h->n].value = value ? value : "";
	h->n++;
	return MHD_YES;
}

static enum MHD_Result
send_response(struct MHD_Connection *mc, struct sf_local_response *r)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	size_t i, len;
	char *body;

	if (r->drop)
		return MHD_NO;
	body = sf_buf_detach(&r->body, &len);
	mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	for (i = 0; i < r->nheaders; i++)
		MHD_add_response_header(
		    mr, r->headers[i].name, r->headers[i].value);
	ret = MHD_queue_response(mc, (unsigned)r->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

/* 413: the router answers it, as it would a body over the cap. */
static enum MHD_Result
too_large(struct sf_local_server *s, struct MHD_Connection *mc,
    const char *method, struct conn *k)
{
	struct sf_local_request req;
	struct sf_local_response r;
	enum MHD_Result ret;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.target = k->target;
	/* Only the length matters to the router's cap check. */
	req.body_len = k->seen;
	sf_local_server_handle(s, &req, &r);
	sf_local_reply_header(&r, "Connection", "close");
	ret = send_response(mc, &r);
	sf_local_response_release(&r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct sf_local_server *s = cls;
	struct conn *k = *con_cls;
	struct header_list h = { 0 };
	struct sf_local_request req;
	struct sf_local_response r;
	enum MHD_Result ret;

	(void)url;
	(void)version;
	if (!k->started) {
		const char *cl = MHD_lookup_connection_value(
		    mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

		k->started = true;
		if (cl) {
			unsigned long long n = strtoull(cl, NULL, 10);

			/* Answered before a byte of the body is read (MHD
			 * then closes the connection). */
			if (n > s->max_payload) {
				k->too_large = true;
				k->seen = (size_t)n;
				return too_large(s, mc, method, k);
			}
		}
		return MHD_YES;
	}
	if (*upload_size) {
		/* Past the cap, the rest is read and dropped: libmicrohttpd
		 * answers only once the request is in. */
		k->seen += *upload_size;
		if (!k->too_large && k->seen > s->max_payload) {
			k->too_large = true;
			sf_buf_release(&k->body);
		}
		if (!k->too_large)
			sf_buf_add(&k->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (k->too_large)
		return too_large(s, mc, method, k);
	MHD_get_connection_values(mc, MHD_HEADER_KIND, add_header, &h);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.target = k->target;
	req.headers = h.v;
	req.nheaders = h.n;
	req.body = k->body.buf;
	req.body_len = k->body.len;
	sf_local_server_handle(s, &req, &r);
	ret = send_response(mc, &r);
	sf_local_response_release(&r);
	free(h.v);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *k = *con_cls;

	(void)cls;
	(void)mc;
	(void)toe;
	if (!k)
		return;
	free(k->target);
	sf_buf_release(&k->body);
	free(k);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) SF_PRINTF(2, 0);

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct sf_local_server *s = cls;
	struct sf_buf b = SF_BUF_INIT;

	if (!s->log)
		return;
	sf_buf_adds(&b, "http: ");
	sf_buf_vaddf(&b, fmt, ap);
	while (b.len && (b.buf[b.len - 1] == '\n' || b.buf[b.len - 1] == '\r'))
		sf_buf_setlen(&b, b.len - 1);
	s->log(s->log_ud, b.buf);
	sf_buf_release(&b);
}

static void *
ticker(void *arg)
{
	struct sf_local_server *s = arg;

	pthread_mutex_lock(&s->tick_mu);
	while (!s->stopping) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->tick_cv, &s->tick_mu, &ts);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->tick_mu);
		sf_local_server_tick(s);
		pthread_mutex_lock(&s->tick_mu);
	}
	pthread_mutex_unlock(&s->tick_mu);
	return NULL;
}

/* "host:port", "[v6]:port"; host may be a name. */
static int
parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len,
    char *shown, size_t shown_len, struct sf_err *err)
{
	char host[256], *colon;
	const char *port;
	struct addrinfo hints, *res = NULL;
	int gai;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':' ||
		    (size_t)(end - addr) > sizeof(host))
			return sf_error(err, SF_EINVALID, "--listen",
			    "\"%s\" is not [ADDRESS]:PORT", addr);
		snprintf(host, sizeof(host), "%.*s", (int)(end - addr - 1),
		    addr + 1);
		port = end + 2;
	} else {
		snprintf(host, sizeof(host), "%s", addr);
		colon = strrchr(host, ':');
		if (!colon)
			return sf_error(err, SF_EINVALID, "--listen",
			    "\"%s\" is not ADDRESS:PORT", addr);
		*colon = '\0';
		port = addr + (colon - host) + 1;
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) ||
	    atol(port) > 65535)
		return sf_error(err, SF_EINVALID, "--listen",
		    "\"%s\" is not a port number", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(*host ? host : NULL, port, &hints, &res)) ||
	    !res)
		return sf_error(err, SF_EINVALID, "--listen",
		    "cannot resolve \"%s\": %s", host, gai_strerror(gai));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	/* What a client on this machine should connect to. */
	if (ss->ss_family == AF_INET6) {
		char buf[INET6_ADDRSTRLEN];
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr))
			snprintf(shown, shown_len, "[::1]");
		else
			snprintf(shown, shown_len, "[%s]",
			    inet_ntop(
			        AF_INET6, &a6->sin6_addr, buf, sizeof(buf)));
	} else {
		char buf[INET_ADDRSTRLEN];
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (a4->sin_addr.s_addr == htonl(INADDR_ANY))
			snprintf(shown, shown_len, "127.0.0.1");
		else
			snprintf(shown, shown_len, "%s",
			    inet_ntop(
			        AF_INET, &a4->sin_addr, buf, sizeof(buf)));
	}
	return SF_OK;
}

int
sf_local_server_listen(
    struct sf_local_server *s, const char *addr, struct sf_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char shown[INET6_ADDRSTRLEN + 3];
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
	                     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
	                     MHD_USE_ERROR_LOG;
	int rc;

	if (s->mhd)
		return sf_error(
		    err, SF_ECONFLICT, "listen", "already listening");
	if ((rc = parse_addr(addr ? addr : "127.0.0.1:0", &ss, &len, shown,
	         sizeof(shown), err)))
		return rc;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	(void)len;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
	    MHD_OPTION_END);
	if (!s->mhd)
		return sf_error(err, SF_ERROR, addr,
		    "cannot listen (address in use, or not an address of this "
		    "machine)");
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	snprintf(s->url, sizeof(s->url), "http://%s:%d", shown, s->port);
	s->stopping = false;
	if (pthread_create(&s->ticker, NULL, ticker, s) == 0)
		s->ticking = true;
	return SF_OK;
}

void
sf_local_server_unlisten(struct sf_local_server *s)
{
	if (s->ticking) {
		pthread_mutex_lock(&s->tick_mu);
		s->stopping = true;
		pthread_cond_broadcast(&s->tick_cv);
		pthread_mutex_unlock(&s->tick_mu);
		pthread_join(s->ticker, NULL);
		s->ticking = false;
	}
	if (s->mhd) {
		MHD_stop_daemon(s->mhd);
		s->mhd = NULL;
	}
}

int
sf_local_server_port(const struct sf_local_server *s)
{
	return s->port;
}

const char *
sf_local_server_url(const struct sf_local_server *s)
{
	return s->url;
}
