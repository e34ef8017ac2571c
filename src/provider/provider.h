/*
 * The control and data planes as plan, apply and jobs see them: the nine
 * Code Interpreter operations and the three tagging operations, typed.
 * The AWS client (provider/aws) implements it over HTTP, for AWS and for
 * the embedded control plane alike; unit tests of the planner implement it
 * with a fake. Nothing above this line includes curl or knows about JSON.
 *
 * Strings in results are heap copies owned by the result; release results
 * with their _release function. Times are milliseconds since the epoch.
 */
#ifndef SF_PROVIDER_H
#define SF_PROVIDER_H

#include "util/util.h"

struct sf_strs {
	char **v;
	size_t n;
};

struct sf_kv {
	char *key, *value;
};

struct sf_kvs {
	struct sf_kv *v;
	size_t n;
};

/* CreateCodeInterpreter's input. */
struct sf_ci_spec {
	const char *name;
	const char *description;        /* NULL: none */
	const char *execution_role_arn; /* NULL: none */
	const char *network_mode;       /* SANDBOX | PUBLIC | VPC */
	const char *const *subnets;
	size_t nsubnets;
	const char *const *security_groups;
	size_t nsecurity_groups;
	const char *const *certificates; /* secret ARNs */
	size_t ncertificates;
	const struct sf_kv *tags;
	size_t ntags;
	const char *client_token; /* NULL: a random one */
};

/* GetCodeInterpreter's answer, or a summary from the list (fewer fields). */
struct sf_ci {
	char *id, *arn, *name, *description;
	char *status; /* CREATING | CREATE_FAILED | READY | DELETING | ... */
	char *failure_reason;
	char *execution_role_arn;
	char *network_mode;
	struct sf_strs subnets, security_groups, certificates;
	int64_t created_at, last_updated_at;
};

struct sf_ci_list {
	struct sf_ci *v;
	size_t n;
	int pages; /* requests it took */
};

struct sf_session {
	char *interpreter_id, *session_id, *name, *status;
	int64_t timeout_s;
	int64_t created_at, last_updated_at;
};

struct sf_session_list {
	struct sf_session *v;
	size_t n;
	int pages;
};

struct sf_session_spec {
	const char *name;  /* NULL: none */
	int64_t timeout_s; /* 0: the service default (900) */
	const char *client_token;
};

/* One tool call (InvokeCodeInterpreter). */
struct sf_tool_file {
	const char *path;
	const char *text; /* or */
	const void *blob;
	size_t blob_len;
};

struct sf_tool_call {
	const char *name; /* executeCode, executeCommand, writeFiles, ... */
	const char *code, *language, *command, *path, *directory_path, *task_id,
	    *runtime;
	bool clear_context;
	const char *const *paths;
	size_t npaths;
	const struct sf_tool_file *content;
	size_t ncontent;
};

/* A content block of a result (text, image, resource, resource_link). */
struct sf_content {
	char *type, *text, *uri, *name, *mime_type;
	char *resource_text; /* resource.text */
	char *blob;          /* decoded bytes of data or resource.blob */
	size_t blob_len;
};

struct sf_tool_result {
	struct sf_content *content;
	size_t ncontent;
	bool is_error;
	/* structuredContent */
	char *std_out, *std_err;
	bool has_exit_code;
	int exit_code;
	double execution_time_ms;
	char *task_id, *task_status;
};

/*
 * One call of a batch: the control-plane calls plan and apply make many of
 * at once (refresh, create, delete, tags, counting sessions).
 */
enum sf_pcall_kind {
	SF_PCALL_GET,            /* id */
	SF_PCALL_CREATE,         /* spec */
	SF_PCALL_DELETE,         /* id, client_token */
	SF_PCALL_TAG,            /* arn, tags */
	SF_PCALL_UNTAG,          /* arn, keys */
	SF_PCALL_COUNT_SESSIONS, /* id: READY sessions on it */
};

struct sf_pcall {
	enum sf_pcall_kind kind;
	const char *id;
	const char *client_token;
	const struct sf_ci_spec *spec;
	const char *arn;
	const struct sf_kv *tags;
	size_t ntags;
	const char *const *keys;
	size_t nkeys;
	/* results */
	int rc;
	struct sf_err err;
	struct sf_ci ci; /* GET, CREATE, DELETE */
	int sessions;    /* COUNT_SESSIONS; 100 means 100 or more */
	void *ud;        /* the caller's */
};

struct sf_provider;

struct sf_provider_ops {
	/* Control plane. */
	int (*list_interpreters)(
	    struct sf_provider *p, struct sf_ci_list *out, struct sf_err *err);
	int (*get_interpreter)(struct sf_provider *p, const char *id,
	    struct sf_ci *out, struct sf_err *err);
	int (*create_interpreter)(struct sf_provider *p,
	    const struct sf_ci_spec *spec, struct sf_ci *out,
	    struct sf_err *err);
	int (*delete_interpreter)(struct sf_provider *p, const char *id,
	    const char *client_token, struct sf_ci *out, struct sf_err *err);
	int (*tag)(struct sf_provider *p, const char *arn,
	    const struct sf_kv *tags, size_t n, struct sf_err *err);
	int (*untag)(struct sf_provider *p, const char *arn,
	    const char *const *keys, size_t n, struct sf_err *err);
	int (*list_tags)(struct sf_provider *p, const char *arn,
	    struct sf_kvs *out, struct sf_err *err);
	/* Data plane. */
	int (*start_session)(struct sf_provider *p, const char *interpreter,
	    const struct sf_session_spec *spec, struct sf_session *out,
	    struct sf_err *err);
	int (*get_session)(struct sf_provider *p, const char *interpreter,
	    const char *session_id, struct sf_session *out, struct sf_err *err);
	int (*list_sessions)(struct sf_provider *p, const char *interpreter,
	    const char *status, struct sf_session_list *out,
	    struct sf_err *err);
	int (*stop_session)(struct sf_provider *p, const char *interpreter,
	    const char *session_id, struct sf_err *err);
	/*
	 * Each result event goes to on_result as it arrives (output can be
	 * shown while a long command runs); exceptions inside the stream
	 * end the call with their AWS type.
	 */
	int (*invoke)(struct sf_provider *p, const char *interpreter,
	    const char *session_id, const struct sf_tool_call *call,
	    int (*on_result)(const struct sf_tool_result *r, void *ud),
	    void *ud, struct sf_err *err);
	/*
	 * Run n calls at once, at most parallel in flight (0: all), calling
	 * done (which may be NULL) as each finishes. Results are in calls[];
	 * release each call's ci with sf_ci_release.
	 */
	void (*batch)(struct sf_provider *p, struct sf_pcall *calls, size_t n,
	    size_t parallel, void (*done)(struct sf_pcall *c, void *ud),
	    void *ud);
	void (*free)(struct sf_provider *p);
};

struct sf_provider {
	const struct sf_provider_ops *ops;
	void *impl;
};

void sf_strs_release(struct sf_strs *s);
void sf_kvs_release(struct sf_kvs *k);
void sf_ci_release(struct sf_ci *ci);
void sf_ci_list_release(struct sf_ci_list *l);
void sf_session_release(struct sf_session *s);
void sf_session_list_release(struct sf_session_list *l);
void sf_tool_result_release(struct sf_tool_result *r);

#endif
