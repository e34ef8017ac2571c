/*
 * libFuzzer target: the embedded control plane's router on any request.
 *
 * The input is a request in a plain text form:
 *
 *   METHOD TARGET\n          e.g. PUT /code-interpreters
 *   Name: value\n            headers, until an empty line
 *   \n
 *   body                     the rest, as bytes
 *
 * A byte before the method line picks the server: even, one that takes
 * unsigned requests (so inputs reach the operations); odd, one that
 * checks signatures (so the verifier sees whatever comes). The servers
 * live across inputs, as a real one does (nothing is written to disk; the
 * echo backend runs nothing), with small quotas so that state stays
 * bounded.
 *
 * Every answer must be a real HTTP status with a request id and a Date,
 * an error type on every error, and a JSON body that parses whenever it
 * says it is JSON.
 *
 * CHECK rather than assert: the build type may define NDEBUG.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "local/local.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			    __LINE__, #c);                                     \
			abort();                                               \
		}                                                              \
	} while (0)

static int64_t
fixed_now(void *ud)
{
	(void)ud;
	return 1752624000000LL; /* 2025-07-16T00:00:00Z */
}

static uint64_t
counter_random(void *ud)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)ud;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static void
quiet(void *ud, const char *line)
{
	(void)ud;
	(void)line;
}

static struct sf_local_server *
make_server(bool auth)
{
	static const struct sf_local_key key = { "AKIDEXAMPLE",
		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	static const struct sf_local_clock clock = { fixed_now, counter_random,
		NULL };
	struct sf_local_opts o;
	struct sf_local_server *s;
	struct sf_err err;

	memset(&o, 0, sizeof(o));
	o.keys = &key;
	o.nkeys = 1;
	o.no_auth = !auth;
	o.clock = &clock;
	o.transition_ms = 0;
	o.max_interpreters = 50;
	o.max_sessions = 50;
	o.keep_sessions = 50;
	o.max_payload = 1024 * 1024;
	o.log = quiet;
	sf_local_echo_backend(&o.backend);
	if (sf_local_server_new(&o, &s, &err)) {
		fprintf(stderr, "fuzz_local: %s\n", err.msg);
		abort();
	}
	return s;
}

static void
check_response(const struct sf_local_response *r)
{
	const char *ct, *type;

	if (r->drop)
		return;
	CHECK(r->status >= 200 && r->status <= 599);
	CHECK(sf_local_response_header(r, "x-amzn-RequestId"));
	CHECK(sf_local_response_header(r, "Date"));
	type = sf_local_response_header(r, "X-Amzn-ErrorType");
	CHECK((r->status >= 400) == (type != NULL));
	ct = sf_local_response_header(r, "Content-Type");
	if (ct && !strcmp(ct, "application/json")) {
		json_error_t je;
		json_t *j = json_loadb(r->body.buf, r->body.len, 0, &je);

		CHECK(json_is_object(j));
		if (type)
			CHECK(json_is_string(json_object_get(j, "message")));
		json_decref(j);
	}
	if (r->status == 204)
		CHECK(r->body.len == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_local_server *open, *checked;
	struct sf_local_header headers[32];
	struct sf_local_request req;
	struct sf_local_response resp;
	char *text, *line, *next, *method, *target, *sp;
	size_t nh = 0, body_off;
	bool auth;

	if (!open) {
		open = make_server(false);
		checked = make_server(true);
	}
	if (size < 1)
		return 0;
	auth = data[0] & 1;
	data++;
	size--;
	/* The head is text up to the first empty line; the body is bytes. */
	text = sf_xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	line = text;
	next = memchr(line, '\n', size);
	if (!next || memchr(text, '\0', (size_t)(next - text))) {
		free(text);
		return 0;
	}
	*next++ = '\0';
	method = line;
	sp = strchr(line, ' ');
	if (!sp) {
		free(text);
		return 0;
	}
	*sp = '\0';
	target = sp + 1;
	for (line = next; line < text + size;) {
		char *colon;

		next = memchr(line, '\n', size - (size_t)(line - text));
		if (!next)
			next = text + size;
		*next = '\0';
		if (!*line || memchr(line, '\0', (size_t)(next - line))) {
			line = next + 1;
			break;
		}
		colon = strchr(line, ':');
		if (colon && nh < SF_ARRAY_LEN(headers)) {
			*colon = '\0';
			headers[nh].name = line;
			headers[nh].value = colon + 1 + (colon[1] == ' ');
			nh++;
		}
		line = next + 1;
	}
	body_off = line < text + size ? (size_t)(line - text) : size;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.target = target;
	req.headers = headers;
	req.nheaders = nh;
	req.body = data + body_off;
	req.body_len = size - body_off;
	sf_local_server_handle(auth ? checked : open, &req, &resp);
	check_response(&resp);
	sf_local_response_release(&resp);
	free(text);
	return 0;
}
