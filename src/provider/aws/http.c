#include <ctype.h>
#include <curl/curl.h>
#include <strings.h>

#include "provider/aws/http.h"

struct sf_http {
	CURLM *multi;
	struct sf_http_opts opts;
	size_t running;
	struct sf_http_xfer *done; /* finished, not yet handed out */
};

static bool curl_ready;

void
sf_http_headers_add(
    struct sf_http_headers *h, const char *name, const char *value)
{
	SF_ALLOC_GROW(h->v, h->n + 1, h->alloc);
	h->v[h->n].name = sf_xstrdup(name);
	h->v[h->n].value = sf_xstrdup(value);
	h->n++;
}

const char *
sf_http_headers_get(const struct sf_http_headers *h, const char *name)
{
	size_t i;

	for (i = 0; h && i < h->n; i++)
		if (!strcasecmp(h->v[i].name, name))
			return h->v[i].value;
	return NULL;
}

void
sf_http_headers_release(struct sf_http_headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].name);
		/* Authorization, tokens: wiped whatever the header. */
		sf_wipe(h->v[i].value, strlen(h->v[i].value));
		free(h->v[i].value);
	}
	free(h->v);
	memset(h, 0, sizeof(*h));
}

bool
sf_http_header_is_secret(const char *name)
{
	return !strcasecmp(name, "authorization") ||
	       !strcasecmp(name, "x-amz-security-token") ||
	       !strcasecmp(name, "x-aws-ec2-metadata-token") ||
	       !strcasecmp(name, "cookie") || !strcasecmp(name, "set-cookie");
}

void
sf_http_uri_encode(struct sf_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			sf_buf_addch(out, c);
		} else {
			sf_buf_addch(out, '%');
			sf_buf_addch(out, hex[c >> 4]);
			sf_buf_addch(out, hex[c & 15]);
		}
	}
}

int64_t
sf_http_parse_date(const char *s)
{
	time_t t;

	if (!s)
		return -1;
	t = curl_getdate(s, NULL);
	return t < 0 ? -1 : (int64_t)t;
}

static void http_log(struct sf_http *h, const char *fmt, ...) SF_PRINTF(2, 3);

static void
http_log(struct sf_http *h, const char *fmt, ...)
{
	struct sf_buf b = SF_BUF_INIT;
	va_list ap;

	if (!h->opts.log)
		return;
	va_start(ap, fmt);
	sf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	h->opts.log(h->opts.log_ud, b.buf);
	sf_buf_release(&b);
}

struct sf_http *
sf_http_new(const struct sf_http_opts *opts)
{
	struct sf_http *h = sf_xcalloc(1, sizeof(*h));

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			sf_die("curl_global_init failed");
		curl_ready = true;
	}
	if (opts)
		h->opts = *opts;
	if (!h->opts.connect_timeout_ms)
		h->opts.connect_timeout_ms = 10000;
	if (!h->opts.timeout_ms)
		h->opts.timeout_ms = 60000;
	h->multi = curl_multi_init();
	if (!h->multi)
		sf_die("curl_multi_init failed");
	/* Reuse connections; HTTP/1.1 keeps things simple and debuggable. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 64L);
	return h;
}

/* Request headers carry Authorization; bodies may carry credentials
 * (STS, IMDS): nothing of a transfer is freed unwiped. */
static void
free_slist(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p; p = p->next)
		sf_wipe(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

void
sf_http_xfer_reset(struct sf_http_xfer *x)
{
	x->outcome = SF_HTTP_PENDING;
	x->status = 0;
	sf_http_headers_release(&x->resp_headers);
	sf_buf_release_secret(&x->resp_body);
	x->error[0] = '\0';
}

void
sf_http_xfer_release(struct sf_http_xfer *x)
{
	sf_http_headers_release(&x->resp_headers);
	sf_buf_release_secret(&x->resp_body);
	if (x->easy)
		curl_easy_cleanup(x->easy);
	x->easy = NULL;
	if (x->slist)
		free_slist(x->slist);
	x->slist = NULL;
}

void
sf_http_free(struct sf_http *h)
{
	if (!h)
		return;
	curl_multi_cleanup(h->multi);
	free(h);
}

static size_t
on_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sf_http_xfer *x = ud;
	size_t n = size * nmemb;
	size_t cap = x->body_cap ? x->body_cap : SF_HTTP_DEFAULT_BODY_CAP;

	if (x->on_body && x->status >= 200 && x->status < 300) {
		if (x->on_body(data, n, x->ud) != 0) {
			x->outcome = SF_HTTP_ABORTED;
			return 0;
		}
		return n;
	}
	if (x->resp_body.len + n > cap) {
		x->outcome = SF_HTTP_TOO_LARGE;
		return 0;
	}
	sf_buf_add(&x->resp_body, data, n);
	return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sf_http_xfer *x = ud;
	size_t n = size * nmemb, len = n;
	char *colon;
	char *line;

	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* A new response (after a 100 Continue, say): start over. */
		long code = 0;
		const char *sp = memchr(data, ' ', len);

		if (sp)
			code = strtol(sp + 1, NULL, 10);
		x->status = code;
		sf_http_headers_release(&x->resp_headers);
		return n;
	}
	if (x->resp_headers.n >= SF_HTTP_MAX_HEADERS * 4)
		return n;
	line = sf_xstrndup(data, len);
	colon = strchr(line, ':');
	if (colon) {
		char *v = colon + 1;

		*colon = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		sf_http_headers_add(&x->resp_headers, line, v);
	}
	free(line);
	return n;
}

static int
on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct sf_http_xfer *x = ud;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (x->abort && *x->abort) {
		x->outcome = SF_HTTP_ABORTED;
		snprintf(x->error, sizeof(x->error), "interrupted");
		return 1;
	}
	return 0;
}

static int
on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *ud)
{
	struct sf_http *h = ud;
	struct sf_buf b = SF_BUF_INIT;
	const char *p = data, *end = data + size;

	(void)easy;
	if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN)
		return 0;
	/* One log line per header line, with secrets redacted. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		const char *colon = memchr(p, ':', len);

		while (len && (p[len - 1] == '\r' || p[len - 1] == '\n'))
			len--;
		if (len) {
			sf_buf_reset(&b);
			sf_buf_adds(
			    &b, type == CURLINFO_HEADER_OUT ? "> " : "< ");
			if (colon) {
				char *name =
				    sf_xstrndup(p, (size_t)(colon - p));

				if (sf_http_header_is_secret(name))
					sf_buf_addf(&b, "%s: <redacted>", name);
				else
					sf_buf_add(&b, p, len);
				free(name);
			} else {
				sf_buf_add(&b, p, len);
			}
			h->opts.log(h->opts.log_ud, b.buf);
		}
		p = nl ? nl + 1 : end;
	}
	sf_buf_release(&b);
	return 0;
}

void
sf_http_start(struct sf_http *h, struct sf_http_xfer *x)
{
	CURL *e;
	size_t i;

	sf_http_xfer_reset(x);
	if (!x->easy) {
		x->easy = curl_easy_init();
		if (!x->easy)
			sf_die("curl_easy_init failed");
	} else {
		curl_easy_reset(x->easy);
	}
	e = x->easy;
	if (x->slist)
		free_slist(x->slist);
	x->slist = NULL;
	for (i = 0; x->headers && i < x->headers->n; i++) {
		char *line = sf_xasprintf(
		    "%s: %s", x->headers->v[i].name, x->headers->v[i].value);

		x->slist = curl_slist_append(x->slist, line);
		free(line);
		if (!x->slist)
			sf_die("out of memory building headers");
	}
	/* curl adds these by itself unless told not to. */
	x->slist = curl_slist_append(x->slist, "Expect:");
	if (!sf_http_headers_get(x->headers, "accept"))
		x->slist = curl_slist_append(x->slist, "Accept:");
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->slist);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	if (!strcmp(x->method, "GET")) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(x->method, "HEAD")) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		    x->body ? (const char *)x->body : "");
		curl_easy_setopt(
		    e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
	}
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    x->connect_timeout_ms ? x->connect_timeout_ms
	                          : h->opts.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	    x->timeout_ms ? x->timeout_ms : h->opts.timeout_ms);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (x->fresh_connection)
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	if (x->abort) {
		curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	}
	/* No proxy from the environment for loopback endpoints. */
	/* Nor for the credential endpoints of EC2 and ECS, as the SDKs do:
	 * their tokens must not travel through a proxy. */
	curl_easy_setopt(e, CURLOPT_NOPROXY,
	    "127.0.0.1,localhost,::1,169.254.169.254,169.254.170.2,"
	    "169.254.170.23,fd00:ec2::254,fd00:ec2::23");
	if (h->opts.user_agent)
		curl_easy_setopt(e, CURLOPT_USERAGENT, h->opts.user_agent);
	if (h->opts.log) {
		curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(e, CURLOPT_DEBUGDATA, h);
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	}
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		sf_die("curl_multi_add_handle failed");
	h->running++;
	http_log(h, "* %s %s", x->method, x->url);
}

static enum sf_http_outcome
outcome_of(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return SF_HTTP_DONE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return SF_HTTP_CONNECT_ERROR;
	case CURLE_OPERATION_TIMEDOUT:
		return SF_HTTP_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return SF_HTTP_TLS_ERROR;
	default:
		return SF_HTTP_OTHER_ERROR;
	}
}

static void
collect_done(struct sf_http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left))) {
		struct sf_http_xfer *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(
		    m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		/* The write callback already said why it stopped. */
		if (x->outcome != SF_HTTP_TOO_LARGE &&
		    x->outcome != SF_HTTP_ABORTED)
			x->outcome = outcome_of(m->data.result);
		if (x->outcome != SF_HTTP_DONE && !x->error[0])
			snprintf(x->error, sizeof(x->error), "%s",
			    curl_easy_strerror(m->data.result));
		if (x->outcome == SF_HTTP_DONE)
			curl_easy_getinfo(
			    m->easy_handle, CURLINFO_RESPONSE_CODE, &x->status);
		curl_multi_remove_handle(h->multi, m->easy_handle);
		h->running--;
		http_log(h, "* %s %s: %s %ld", x->method, x->url,
		    x->outcome == SF_HTTP_DONE ? "status" : x->error,
		    x->status);
		x->next_done = h->done;
		h->done = x;
	}
}

struct sf_http_xfer *
sf_http_wait(struct sf_http *h, long timeout_ms, size_t *running)
{
	struct sf_http_xfer *x;
	int still = 0;

	for (;;) {
		if (h->done) {
			x = h->done;
			h->done = x->next_done;
			x->next_done = NULL;
			if (running)
				*running = h->running;
			return x;
		}
		if (!h->running) {
			if (running)
				*running = 0;
			return NULL;
		}
		curl_multi_perform(h->multi, &still);
		collect_done(h);
		if (h->done)
			continue;
		if (timeout_ms <= 0)
			break;
		curl_multi_poll(h->multi, NULL, 0,
		    (int)(timeout_ms > 100 ? 100 : timeout_ms), NULL);
		timeout_ms -= timeout_ms > 100 ? 100 : timeout_ms;
		curl_multi_perform(h->multi, &still);
		collect_done(h);
		if (!h->done && timeout_ms <= 0)
			break;
	}
	if (running)
		*running = h->running;
	return NULL;
}

int
sf_http_perform(struct sf_http *h, struct sf_http_xfer *x, struct sf_err *err)
{
	struct sf_http_xfer *held = NULL, *d;

	sf_http_start(h, x);
	for (;;) {
		d = sf_http_wait(h, 1000, NULL);
		if (d == x)
			break;
		if (d) {
			/* Someone else's: keep it for their wait. */
			d->next_done = held;
			held = d;
		}
	}
	while (held) {
		d = held;
		held = held->next_done;
		d->next_done = h->done;
		h->done = d;
	}
	if (x->outcome != SF_HTTP_DONE)
		return sf_error(err, SF_EREMOTE, x->url, "%s", x->error);
	return SF_OK;
}

const char *
sf_http_curl_version(void)
{
	return curl_version_info(CURLVERSION_NOW)->version;
}
