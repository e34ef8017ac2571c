/*
 * What the tests of the embedded control plane share: a server in this
 * process on a loopback port (its own data directory, a fake backend, a
 * clock the test moves), our own AgentCore client pointed at it, and a
 * raw HTTP client for what the client would never send.
 */
#ifndef SF_TEST_LOCAL_SUPPORT_H
#define SF_TEST_LOCAL_SUPPORT_H

#include <jansson.h>
#include <pthread.h>

#include "local/local.h"
#include "provider/aws/agentcore.h"

#define LT_AKID   "AKIDLOCALTEST0000001"
#define LT_SECRET "sEcReT/local+test+key+0123456789abcdefgh"
#define LT_REGION "us-east-1"

/* The fake backend: what it was asked to do. */
struct lt_backend {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int starts, stops, invokes;
	char last_network[16];
	int64_t last_timeout;
	bool fail_start;
	struct lt_fake_session *blocked; /* a "block" call waits here */
};

struct lt_world {
	struct sf_local_server *srv;
	struct sf_provider *p;
	struct lt_backend be;
	char dir[256];  /* the data directory */
	int64_t offset; /* ms added to the server's clock */
	int64_t fixed;  /* when non-zero, the server's clock stands here */
	struct sf_local_opts opts;
	char akid[64], secret[96], region[32];
	struct sf_creds_env env;
};

/* Start a world; tweak (may be NULL) adjusts the server's options. */
struct lt_world *lt_start(void (*tweak)(struct sf_local_opts *o));
/* Stop the server and start it again on the same data directory. */
void lt_restart(struct lt_world *w);
void lt_free(struct lt_world *w);
/* Move the server's clock. */
void lt_advance(struct lt_world *w, int64_t ms);
int lt_port(struct lt_world *w);

/* A client with other credentials, region or clock skew. */
struct sf_provider *lt_client(struct lt_world *w, const char *akid,
    const char *secret, const char *region, int64_t skew_ms);

/* One call through the AWS call layer, for bodies of our choosing. */
int lt_call(struct sf_provider *p, int plane, const char *op,
    const char *method, const char *path, const char *query, const char *body,
    struct sf_aws_response *resp, struct sf_err *err);

/* A raw exchange: send bytes, read the answer (until the server closes
 * or the Content-Length is in). */
struct lt_resp {
	int status;
	struct sf_buf head; /* status line and headers */
	struct sf_buf body;
};

void lt_resp_release(struct lt_resp *r);
const char *lt_resp_header(
    struct lt_resp *r, const char *name, char *buf, size_t len);
int lt_raw(int port, const char *data, size_t len, struct lt_resp *out);
/* A request signed with the world's key (or none when akid is NULL). */
int lt_signed(struct lt_world *w, const char *method, const char *path,
    const char *query, const char *body, const char *extra_header,
    struct lt_resp *out);

/* Create an interpreter and wait until it is READY (moving the clock). */
char *lt_create_ready(struct lt_world *w, const char *name, const char *mode);

#endif
