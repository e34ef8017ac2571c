/*
 * HTTP over libcurl: the only place that includes <curl/curl.h>.
 *
 * One struct sf_http owns a curl multi handle, so every transfer through it
 * shares one connection cache (keep-alive, reuse) and any number can run at
 * once. A transfer is described by struct sf_http_xfer; start it, then wait
 * for transfers to finish. sf_http_perform does both for one transfer.
 * Nothing here retries or signs: that is the AWS call layer's work.
 */
#ifndef SF_HTTP_H
#define SF_HTTP_H

#include <signal.h>

#include "util/util.h"

#define SF_HTTP_MAX_HEADERS      64
#define SF_HTTP_DEFAULT_BODY_CAP (64u * 1024 * 1024)

struct sf_http_header {
	char *name;
	char *value;
};

struct sf_http_headers {
	struct sf_http_header *v;
	size_t n, alloc;
};

void sf_http_headers_add(
    struct sf_http_headers *h, const char *name, const char *value);
/* The first header named name (case-insensitive), or NULL. */
const char *sf_http_headers_get(
    const struct sf_http_headers *h, const char *name);
void sf_http_headers_release(struct sf_http_headers *h);

/* What happened to a transfer, beyond its HTTP status. */
enum sf_http_outcome {
	SF_HTTP_PENDING = 0,
	SF_HTTP_DONE,          /* a response arrived (any status) */
	SF_HTTP_CONNECT_ERROR, /* could not connect, or the connection dropped
	                        */
	SF_HTTP_TIMEOUT,       /* connect or total timeout */
	SF_HTTP_TLS_ERROR,     /* certificate or handshake */
	SF_HTTP_TOO_LARGE,     /* the response body passed its cap */
	SF_HTTP_ABORTED,       /* the body callback said stop */
	SF_HTTP_OTHER_ERROR,
};

struct sf_http_xfer {
	/* request: owned by the caller, must outlive the transfer */
	const char *method;
	const char *url;
	const struct sf_http_headers *headers;
	const void *body;
	size_t body_len;
	long connect_timeout_ms; /* 0: the client's default */
	long timeout_ms;         /* 0: the client's default */
	/*
	 * Streaming: when set, response body bytes go here as they arrive
	 * instead of into `body`; a non-zero return aborts the transfer.
	 */
	int (*on_body)(const void *data, size_t len, void *ud);
	void *ud;
	size_t body_cap; /* 0: SF_HTTP_DEFAULT_BODY_CAP */
	/*
	 * A new connection: curl re-sends a request by itself when a reused
	 * connection turns out dead, which must not happen to one that may
	 * not run twice.
	 */
	bool fresh_connection;
	/* When it becomes non-zero the transfer stops (SF_HTTP_ABORTED). */
	volatile sig_atomic_t *abort;

	/* response */
	enum sf_http_outcome outcome;
	long status;
	struct sf_http_headers resp_headers;
	struct sf_buf resp_body;
	char error[256]; /* curl's words when outcome is an error */

	/* private */
	void *easy;
	struct curl_slist *slist;
	struct sf_http_xfer *next_done;
};

/* Log hook for --debug; called with already redacted text. */
typedef void sf_http_log_fn(void *ud, const char *line);

struct sf_http_opts {
	long connect_timeout_ms; /* default 10 s */
	long timeout_ms;         /* default 60 s */
	const char *user_agent;
	sf_http_log_fn *log; /* NULL: no debug log */
	void *log_ud;
};

struct sf_http;

struct sf_http *sf_http_new(const struct sf_http_opts *opts);
void sf_http_free(struct sf_http *h);

/* Reset x's response fields so it can be started (again). */
void sf_http_xfer_reset(struct sf_http_xfer *x);
void sf_http_xfer_release(struct sf_http_xfer *x);

/* Start x; it runs while the caller waits. */
void sf_http_start(struct sf_http *h, struct sf_http_xfer *x);
/*
 * Drive every running transfer for at most timeout_ms (or until one
 * finishes). Returns a finished transfer, or NULL when none finished in
 * time or none is running. *running gets the count still in flight.
 */
struct sf_http_xfer *sf_http_wait(
    struct sf_http *h, long timeout_ms, size_t *running);
/* Start x and wait for it alone. Returns 0 when a response arrived. */
int sf_http_perform(
    struct sf_http *h, struct sf_http_xfer *x, struct sf_err *err);

/* "Authorization: AWS4-HMAC-SHA256 Credential=..." -> "...: <redacted>". */
bool sf_http_header_is_secret(const char *name);

/* RFC 3986 percent-encoding of s (unreserved A-Za-z0-9-._~ kept). */
void sf_http_uri_encode(struct sf_buf *out, const char *s);
/* Parse an HTTP-date (RFC 7231, IMF-fixdate); -1 when unparsable. */
int64_t sf_http_parse_date(const char *s);
/* The libcurl the client runs with: "7.88.1". */
const char *sf_http_curl_version(void);

#endif
