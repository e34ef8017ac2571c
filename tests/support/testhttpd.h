/*
 * A scripted HTTP/1.1 server on 127.0.0.1 for tests (libmicrohttpd): a
 * handler decides each response, or to drop the connection or stall, and
 * every request is recorded for the test to inspect.
 */
#ifndef SF_TESTHTTPD_H
#define SF_TESTHTTPD_H

#include "util/util.h"

struct th_header {
	char *name, *value;
};

struct th_request {
	char *method;
	char *uri; /* as sent: path and raw query */
	struct th_header *headers;
	size_t nheaders;
	char *body;
	size_t body_len;
};

enum th_action { TH_RESPOND, TH_DROP };

struct th_response {
	enum th_action action;
	int status;
	struct th_header headers[16];
	size_t nheaders;
	struct sf_buf body;
	long delay_ms; /* before answering */
};

/* Add a response header (name and value are copied). */
void th_response_header(
    struct th_response *r, const char *name, const char *value);

typedef void th_handler(
    const struct th_request *req, struct th_response *res, void *ud);

struct th_server;

/* Listen on 127.0.0.1 at a free port. */
struct th_server *th_start(th_handler *handler, void *ud);
int th_port(const struct th_server *s);
/* "http://127.0.0.1:PORT" */
const char *th_url(const struct th_server *s);
void th_stop(struct th_server *s);

/* Recorded requests, in arrival order (copies; free with th_free_requests). */
size_t th_request_count(struct th_server *s);
struct th_request *th_request_at(struct th_server *s, size_t i);
const char *th_header(const struct th_request *r, const char *name);
void th_clear_requests(struct th_server *s);

#endif
