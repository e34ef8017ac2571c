/*
 * The embedded control plane's server: AgentCore's Code Interpreter API
 * (both planes on one port) as ../shared/spec describes it, over
 * libmicrohttpd.
 *
 * The request router, sf_local_server_handle, is a function of the request
 * (method, raw target, headers, body) and the server's state: no socket, so
 * unit tests and the fuzzer call it directly. sf_local_server_listen puts it
 * behind HTTP/1.1 (a thread per connection) and a housekeeping thread that
 * moves interpreters through CREATING -> READY and DELETING -> gone and
 * ends sessions whose timeout passed.
 *
 * Time and randomness come through struct sf_local_clock, so tests move
 * the server's clock and get repeatable ids.
 */
#ifndef SF_LOCAL_SERVER_H
#define SF_LOCAL_SERVER_H

#include "local/backend.h"
#include "util/util.h"

/* Defaults of the quotas AWS publishes and of the server's own knobs. */
#define SF_LOCAL_MAX_INTERPRETERS 1000
#define SF_LOCAL_MAX_SESSIONS     1000 /* active (READY) sessions */
#define SF_LOCAL_MAX_PAYLOAD      (100u * 1024 * 1024)
#define SF_LOCAL_TRANSITION_MS    200 /* CREATING -> READY, DELETING -> gone */
#define SF_LOCAL_RATE_DEFAULT     30  /* --rate-limits aws: per operation */
#define SF_LOCAL_RATE_MUTATE      5   /* ... Create and Delete */
#define SF_LOCAL_KEEP_SESSIONS    10000 /* ended sessions kept, oldest dropped */
#define SF_LOCAL_DEFAULT_REGION   "us-east-1"
#define SF_LOCAL_DEFAULT_ACCOUNT  "000000000000"
#define SF_LOCAL_SYSTEM_ID        "aws.codeinterpreter.v1"
#define SF_LOCAL_STATUS_PATH      "/_sandform/status"

struct sf_local_clock {
	int64_t (*now_ms)(void *ud); /* wall clock, ms since the epoch */
	uint64_t (*random)(void *ud);
	void *ud;
};

/* An accepted access key (copied by the server, wiped when freed). */
struct sf_local_key {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL: long-term key */
};

struct sf_local_opts {
	const char *data_dir; /* NULL: nothing persists (tests, fuzzing) */
	const char *work_dir; /* session workspaces; NULL: <data>/work */
	const char *region;   /* NULL: SF_LOCAL_DEFAULT_REGION */
	const char *account;  /* NULL: SF_LOCAL_DEFAULT_ACCOUNT */
	const struct sf_local_key *keys;
	size_t nkeys;
	bool no_auth;     /* accept unsigned requests: fuzzing only */
	bool rate_limits; /* --rate-limits aws */
	double rate_default, rate_mutate; /* 0: the AWS figures */
	size_t max_interpreters, max_sessions, max_payload; /* 0: defaults */
	int64_t transition_ms; /* < 0: default; 0: immediate */
	size_t keep_sessions;  /* 0: SF_LOCAL_KEEP_SESSIONS */
	const char *faults;    /* "500=0.1,429=0.05,drop=0.02" or NULL */
	uint64_t faults_seed;
	bool faults_seeded;        /* faults_seed given; else from the clock */
	struct sf_backend backend; /* owned by the server from _new on */
	struct sf_backend_limits limits;         /* zeros: backend defaults */
	const struct sf_local_clock *clock;      /* NULL: the real ones */
	void (*log)(void *ud, const char *line); /* one line per request */
	void *log_ud;
};

struct sf_local_header {
	const char *name;
	const char *value;
};

/* A request as it came off the wire. target is the raw request target
 * (percent-encoded path, then '?' and the raw query, if any). */
struct sf_local_request {
	const char *method;
	const char *target;
	const struct sf_local_header *headers;
	size_t nheaders;
	const void *body;
	size_t body_len;
};

#define SF_LOCAL_MAX_RESP_HEADERS 8

/* What to answer: owned strings, released with sf_local_response_release. */
struct sf_local_response {
	int status;
	bool drop; /* close the connection without answering */
	struct {
		char *name, *value;
	} headers[SF_LOCAL_MAX_RESP_HEADERS];
	size_t nheaders;
	struct sf_buf body;
	const char *operation; /* for the log; static */
};

struct sf_local_server;

/*
 * Make a server: load the interpreters of data_dir (sessions found there
 * come back TERMINATED), take the data directory's lock (one server per
 * directory), prepare the accepted keys, the quotas, the faults. On error
 * the backend in o is freed too.
 */
int sf_local_server_new(const struct sf_local_opts *o,
    struct sf_local_server **out, struct sf_err *err);
/* Stop listening, end every session, free everything. NULL is a no-op. */
void sf_local_server_free(struct sf_local_server *s);

/* The router: answer one request (thread-safe). */
void sf_local_server_handle(struct sf_local_server *s,
    const struct sf_local_request *req, struct sf_local_response *resp);
void sf_local_response_release(struct sf_local_response *r);
const char *sf_local_response_header(
    const struct sf_local_response *r, const char *name);

/* Housekeeping: due transitions, sessions past their timeout. */
void sf_local_server_tick(struct sf_local_server *s);

/*
 * Serve HTTP on addr ("127.0.0.1:0", "[::1]:8080", "0.0.0.0:4566"); port
 * 0 picks a free one. Returns once listening; the work goes on in
 * libmicrohttpd's threads until sf_local_server_free.
 */
int sf_local_server_listen(
    struct sf_local_server *s, const char *addr, struct sf_err *err);
int sf_local_server_port(const struct sf_local_server *s);
/* "http://127.0.0.1:PORT" once listening. */
const char *sf_local_server_url(const struct sf_local_server *s);

/* Counts for `local status`, the status endpoint and the benchmarks. */
struct sf_local_stats {
	size_t interpreters; /* custom ones, whatever their status */
	size_t sessions_active;
	size_t sessions_total;
	int64_t started_at; /* ms */
	uint64_t requests;
};

void sf_local_server_stats(
    struct sf_local_server *s, struct sf_local_stats *out);
const char *sf_local_server_backend_describe(struct sf_local_server *s);

/* ms -> "2025-07-16T12:34:56.789Z" */
void sf_local_time_format(char out[32], int64_t ms);

#endif
