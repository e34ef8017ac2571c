/*
 * What the server's files share: the server itself, one request's context,
 * input validation in AWS's words, and replies.
 */
#ifndef SF_LOCAL_SERVER_INTERNAL_H
#define SF_LOCAL_SERVER_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "local/registry.h"
#include "local/server.h"

enum sf_local_op {
	SF_OP_CREATE,
	SF_OP_GET,
	SF_OP_LIST,
	SF_OP_DELETE,
	SF_OP_TAG,
	SF_OP_UNTAG,
	SF_OP_LIST_TAGS,
	SF_OP_START,
	SF_OP_GET_SESSION,
	SF_OP_LIST_SESSIONS,
	SF_OP_STOP,
	SF_OP_INVOKE,
	SF_OP_STATUS,
	SF_OP_COUNT
};

struct sf_local_bucket {
	double tokens;
	int64_t at;
};

struct sf_local_fault {
	int status; /* 0: drop the connection */
	double p;
};

#define SF_LOCAL_MAX_FAULTS 16

struct sf_local_server {
	char *region, *account, *data_dir, *work_dir;
	struct sf_local_key *keys; /* owned copies */
	size_t nkeys;
	bool no_auth, rate_limits;
	double rate_default, rate_mutate;
	size_t max_interpreters, max_sessions, max_payload;
	struct sf_backend backend;
	struct sf_backend_limits limits;
	struct sf_local_clock clock;
	void (*log)(void *ud, const char *line);
	void *log_ud;
	struct sf_local_registry reg;
	int lock_fd; /* flock of <data>/lock */

	pthread_mutex_t mu; /* what follows */
	struct sf_local_bucket buckets[SF_OP_COUNT];
	struct sf_local_fault faults[SF_LOCAL_MAX_FAULTS];
	size_t nfaults;
	uint64_t rng;
	uint64_t requests;
	int64_t started_at;

	/* HTTP (server_http.c) */
	void *mhd;
	int port;
	char url[96];
	pthread_t ticker;
	bool ticking, stopping;
	pthread_mutex_t tick_mu;
	pthread_cond_t tick_cv;
};

struct sf_local_query {
	char *key, *value; /* decoded */
};

/* One request on its way through the router and an operation. */
struct sf_local_ctx {
	struct sf_local_server *s;
	const struct sf_local_request *req;
	struct sf_local_response *resp;
	enum sf_local_op op;
	const char *op_name;
	char *labels[2]; /* decoded path labels */
	size_t nlabels;
	struct sf_local_query *q;
	size_t nq;
	json_t *body; /* the JSON object of operations with body members */
	int64_t now;
	/* Work for after the registry lock (sf_local_ctx_end). */
	struct sf_local_strv ci_ids, sess_ids;
	struct sf_local_stopv stop;
	bool locked;
};

/* "500=0.1,429=0.05,drop=0.02" */
int sf_local_faults_parse(const char *spec, struct sf_local_fault *out,
    size_t *n, struct sf_err *err);
/* Stop the HTTP side (server_http.c); a no-op when not listening. */
void sf_local_server_unlisten(struct sf_local_server *s);

/* Take the registry lock and bring it up to now. */
void sf_local_ctx_begin(struct sf_local_ctx *c);
/* Drop the lock; write files, stop backend sessions, remove workspaces. */
void sf_local_ctx_end(struct sf_local_ctx *c);
const char *sf_local_ctx_query(const struct sf_local_ctx *c, const char *key);
const char *sf_local_ctx_header(const struct sf_local_ctx *c, const char *name);
/* Stop backend sessions and remove their workspaces (no lock held). */
void sf_local_stop_all(struct sf_local_server *s, struct sf_local_stopv *v);
int64_t sf_local_now(struct sf_local_server *s);
uint64_t sf_local_random(struct sf_local_server *s);
/* rm -rf of a workspace; symlinks are removed, never followed. */
void sf_local_rmtree(const char *path);

/* Replies. */
void sf_local_reply_header(
    struct sf_local_response *r, const char *name, const char *value);
/* status with a JSON body; takes the reference to body (NULL: no body). */
void sf_local_reply_json(struct sf_local_ctx *c, int status, json_t *body);
void sf_local_reply_error(struct sf_local_ctx *c, int status, const char *type,
    const char *fmt, ...) SF_PRINTF(4, 5);
void sf_local_reply_error_json(
    struct sf_local_response *r, int status, const char *type, json_t *body);
#define sf_local_not_found(c, ...) \
	sf_local_reply_error((c), 404, "ResourceNotFoundException", __VA_ARGS__)
#define sf_local_conflict(c, ...) \
	sf_local_reply_error((c), 409, "ConflictException", __VA_ARGS__)

/*
 * Validation, as AWS words it: every violation is collected, then
 * answered at once as a ValidationException whose fieldList names each
 * field and whose message counts them ("2 validation errors detected:
 * Value 'x' at 'name' failed to satisfy constraint: ...; ...").
 */
enum sf_local_pattern {
	SF_PAT_SANDBOX_NAME,
	SF_PAT_CI_ID,
	SF_PAT_ROLE_ARN,
	SF_PAT_TAG,
	SF_PAT_SUBNET,
	SF_PAT_SG,
	SF_PAT_SECRET_ARN,
	SF_PAT_MOUNT_PATH,
	SF_PAT_EFS_AP_ARN,
	SF_PAT_EFS_FS_ARN,
	SF_PAT_S3F_AP_ARN,
	SF_PAT_S3F_FS_ARN,
	SF_PAT_TAGGABLE_ARN,
	SF_PAT_SESSION_ID,
	SF_PAT_NEXT_TOKEN,
	SF_PAT_COUNT
};

struct sf_local_vctx {
	json_t *fields; /* [{name, message}] */
	struct sf_buf msg;
	size_t n;
	bool cannot_parse; /* a member of the wrong JSON type */
};

void sf_local_v_init(struct sf_local_vctx *v);
void sf_local_v_release(struct sf_local_vctx *v);
void sf_local_v_fail(struct sf_local_vctx *v, const char *field,
    const char *fmt, ...) SF_PRINTF(3, 4);
/* Whether s matches the spec's pattern (full match). */
bool sf_local_match(enum sf_local_pattern p, const char *s);
/* Checks that record a failure and return false when the value fails. */
bool sf_local_v_pattern(struct sf_local_vctx *v, const char *field,
    const char *s, enum sf_local_pattern p, bool sensitive);
bool sf_local_v_length(struct sf_local_vctx *v, const char *field,
    const char *s, size_t min, size_t max, bool sensitive);
bool sf_local_v_range(struct sf_local_vctx *v, const char *field, int64_t n,
    int64_t min, int64_t max);
bool sf_local_v_enum(struct sf_local_vctx *v, const char *field, const char *s,
    const char *const *allowed, size_t n);
bool sf_local_v_client_token(
    struct sf_local_vctx *v, const char *field, const char *s);
void sf_local_v_required(struct sf_local_vctx *v, const char *field);
/*
 * Typed members of a JSON object: NULL/false when absent; a member of
 * another type is a failure (CannotParse). JSON null counts as absent.
 */
const char *sf_local_v_str(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, bool required);
bool sf_local_v_int(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, int64_t *out);
bool sf_local_v_bool(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, bool *out);
json_t *sf_local_v_obj(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, bool required);
json_t *sf_local_v_arr(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, bool required);
/* Answer the collected failures; false when there were none. */
bool sf_local_v_reply(struct sf_local_vctx *v, struct sf_local_ctx *c);
/* Answer one ValidationException with a given reason and message. */
void sf_local_reply_validation(struct sf_local_ctx *c, const char *reason,
    const char *field, const char *fmt, ...) SF_PRINTF(4, 5);

/* Length in characters (UTF-8 code points). */
size_t sf_local_utf8_len(const char *s);

/* The operations (server_ops.c). */
void sf_local_op_create(struct sf_local_ctx *c);
void sf_local_op_get(struct sf_local_ctx *c);
void sf_local_op_list(struct sf_local_ctx *c);
void sf_local_op_delete(struct sf_local_ctx *c);
void sf_local_op_tag(struct sf_local_ctx *c);
void sf_local_op_untag(struct sf_local_ctx *c);
void sf_local_op_list_tags(struct sf_local_ctx *c);
void sf_local_op_start(struct sf_local_ctx *c);
void sf_local_op_get_session(struct sf_local_ctx *c);
void sf_local_op_list_sessions(struct sf_local_ctx *c);
void sf_local_op_stop(struct sf_local_ctx *c);
void sf_local_op_invoke(struct sf_local_ctx *c);
void sf_local_op_status(struct sf_local_ctx *c);

#endif
