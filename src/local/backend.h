/*
 * What runs a session: the embedded control plane's server (server.c)
 * keeps the records and speaks HTTP; a backend runs the sandbox and the
 * tools in it. The bubblewrap backend (sandbox.c) is the real one; tests of
 * the server may plug in another.
 *
 * Tool calls take the InvokeCodeInterpreter "arguments" object and return
 * a CodeInterpreterResult object ({content, structuredContent, isError}) as
 * ../shared/spec describes it. A tool that fails inside the sandbox (a
 * command exiting non-zero, code raising) is a result with isError, not an
 * error; errors are for calls that cannot be made: SF_EINVALID becomes a
 * ValidationException (err->msg is its message), SF_ENOTFOUND a
 * ResourceNotFoundException, SF_ECONFLICT a ConflictException, anything
 * else an InternalServerException.
 */
#ifndef SF_LOCAL_BACKEND_H
#define SF_LOCAL_BACKEND_H

#include <jansson.h>

#include "util/util.h"

struct sf_backend_limits {
	int cpus;              /* default 2 */
	uint64_t memory_bytes; /* default 8 GiB */
	int pids;              /* default 512 */
	uint64_t disk_bytes;   /* workspace quota, default 10 GiB */
	size_t output_cap;     /* bytes of stdout/stderr per call, 1 MiB */
};

struct sf_backend_session_opts {
	const char *session_id;
	const char *interpreter_id;
	const char *network_mode; /* SANDBOX | PUBLIC | VPC */
	int64_t timeout_s;        /* the session ends then, whatever it does */
	const char *work_dir;     /* a fresh directory for this session */
	struct sf_backend_limits limits;
};

struct sf_backend_session;

struct sf_backend_ops {
	int (*start)(void *ctx, const struct sf_backend_session_opts *o,
	    struct sf_backend_session **out, struct sf_err *err);
	/* result: a new reference to a CodeInterpreterResult object. */
	int (*invoke)(struct sf_backend_session *s, const char *tool,
	    json_t *arguments, json_t **result, struct sf_err *err);
	/* Kill every process of the session and free it; idempotent. */
	void (*stop)(struct sf_backend_session *s);
	/* False once the session ended by itself (its timeout). */
	bool (*alive)(struct sf_backend_session *s);
	/* "bubblewrap; cgroup v2: memory, cpu, pids" for `local status`. */
	const char *(*describe)(void *ctx);
	void (*free)(void *ctx);
};

struct sf_backend {
	const struct sf_backend_ops *ops;
	void *ctx;
};

#endif
