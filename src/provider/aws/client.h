/*
 * The AWS call layer: rest-json requests to the two AgentCore planes,
 * signed with SigV4, sent through the HTTP layer (many at once when asked),
 * retried with exponential backoff and full jitter on throttling, 5xx and
 * dropped connections within an attempt budget, held to client-side rate
 * limits per operation, and corrected for clock skew from the server's
 * Date header. Errors keep the AWS type, HTTP status, message, reason,
 * fieldList and request id.
 *
 * Time, sleep and randomness come in through struct sf_aws_clock so tests
 * never sleep for real and signatures are repeatable.
 */
#ifndef SF_AWS_CLIENT_H
#define SF_AWS_CLIENT_H

#include "provider/aws/creds.h"
#include "provider/aws/endpoints.h"
#include "provider/aws/http.h"

struct sf_aws_clock {
	int64_t (*now_ms)(void *ud); /* wall clock, ms since the epoch */
	void (*sleep_ms)(void *ud, int64_t ms);
	uint64_t (*random)(void *ud);
	void *ud;
};

/* The published AgentCore quotas, requests per second per operation. */
#define SF_AWS_RATE_MUTATE  5 /* CreateCodeInterpreter, Delete... */
#define SF_AWS_RATE_DEFAULT 30

struct sf_aws_client_opts {
	const char *region;
	struct sf_endpoints endpoints; /* borrowed */
	struct sf_creds_chain *creds;  /* borrowed */
	struct sf_http *http; /* borrowed; NULL: the client makes one */
	const struct sf_aws_clock *clock; /* NULL: the real clock */
	int max_attempts;                 /* default 5 */
	int64_t backoff_base_ms;          /* default 100 */
	int64_t backoff_cap_ms;           /* default 20000 */
	bool rate_limits;                 /* client-side rate limiting */
	double rate_mutate;               /* default SF_AWS_RATE_MUTATE */
	double rate_default;              /* default SF_AWS_RATE_DEFAULT */
	sf_http_log_fn *log;              /* --debug; gets redacted lines */
	void *log_ud;
};

enum sf_aws_plane { SF_AWS_CONTROL, SF_AWS_DATA };

/* An AWS error as the service reported it. */
struct sf_aws_error {
	char type[96]; /* "ValidationException" */
	long status;   /* HTTP status; 0 for transport errors */
	char message[512];
	char reason[64];     /* ValidationException's reason */
	char fields[512];    /* fieldList as "name: message; ..." */
	char request_id[96]; /* x-amzn-RequestId */
};

struct sf_aws_request {
	const char *operation; /* "CreateCodeInterpreter": limits, messages */
	enum sf_aws_plane plane;
	const char *method;
	const char *path;  /* percent-encoded, e.g. /tags/arn%3Aaws%3A... */
	const char *query; /* "a=b&c=d", encoded; may be NULL */
	struct sf_http_headers headers; /* extra, e.g. the session id */
	const char *body;               /* JSON or NULL */
	bool idempotent; /* may be retried after the request was sent */
	volatile sig_atomic_t *abort; /* stop it once this becomes non-zero */
	/* Streaming responses (event stream): bytes of a 2xx body. */
	int (*on_body)(const void *data, size_t len, void *ud);
	void *ud;
};

struct sf_aws_response {
	long status;
	char request_id[96];
	struct sf_buf body; /* non-streaming bodies */
	struct sf_http_headers headers;
	int attempts;
	struct sf_aws_error error; /* when the call failed with SF_EREMOTE */
};

void sf_aws_response_release(struct sf_aws_response *r);

struct sf_aws_client;

struct sf_aws_client *sf_aws_client_new(const struct sf_aws_client_opts *o);
void sf_aws_client_free(struct sf_aws_client *c);

/*
 * One call, retried as needed. 0 on a 2xx answer; SF_ENOTFOUND for
 * ResourceNotFoundException; SF_EREMOTE for other AWS errors (resp->error
 * and err say which); SF_ERROR for transport failures after the budget.
 */
int sf_aws_call(struct sf_aws_client *c, const struct sf_aws_request *req,
    struct sf_aws_response *resp, struct sf_err *err);

/* How sf_aws_call_many runs its calls; every field may be 0/NULL. */
struct sf_aws_batch {
	size_t max_in_flight; /* 0: all at once */
	/* Called as each call finishes (rcs[i] and resps[i] are final). */
	void (*done)(size_t i, void *ud);
	void *ud;
};

/* n calls at once over the multi interface; rcs[i] as sf_aws_call returns. */
void sf_aws_call_many(struct sf_aws_client *c,
    const struct sf_aws_request *reqs, struct sf_aws_response *resps, int *rcs,
    struct sf_err *errs, size_t n, const struct sf_aws_batch *batch);

/* The server's clock minus ours, as last measured (ms). */
int64_t sf_aws_client_skew_ms(const struct sf_aws_client *c);

/*
 * Parse an AWS error answer: X-Amzn-ErrorType, or __type / code in the
 * body, sanitised ("aws.x#FooError:http://..." -> "FooError"); message
 * or Message; reason and fieldList.
 */
void sf_aws_parse_error(struct sf_aws_error *e, long status,
    const struct sf_http_headers *headers, const char *body, size_t len);

/* "CreateCodeInterpreter: ValidationException (400): msg [request ...]" */
int sf_aws_error_to_err(
    const struct sf_aws_error *e, const char *operation, struct sf_err *err);

#endif
