/*
 * The bubblewrap backend of the embedded control plane: every session is
 * one bwrap (own pid, mount, ipc, uts, cgroup, user and - unless PUBLIC -
 * network namespace, no capabilities) running the agent of agent.py, which
 * runs the tools. Limits come from a cgroup of the session where cgroups
 * are writable (v2, or the v1 memory, cpu and pids controllers), from
 * rlimits otherwise.
 *
 * Inside a session: /usr (and the /bin, /lib... links or binds the host
 * has) read-only, a minimal /etc, its own /proc, /dev and /tmp, and the
 * workspace SF_SANDBOX_WORKSPACE, a tmpfs of limits.disk_bytes that is the
 * current directory and HOME. Nothing of the host beyond that, nothing of
 * another session.
 *
 * Sessions need no host directory: the workspace lives and dies with the
 * sandbox. A work_dir given in the options is removed when the session
 * ends. When the server runs as root, sandboxes run as an unprivileged
 * host user (see uid below).
 *
 * The ops follow backend.h. In addition:
 * - stop releases the session handle: call it once per session, also for
 *   a session that ended by itself, and start no call on the handle once
 *   stop has begun. Calls already running when stop comes are safe: they
 *   return SF_ECONFLICT ("was stopped"), and the memory lives until they
 *   do. It returns once every process of the session is gone.
 * - A call running when the session times out returns SF_ECONFLICT ("timed
 *   out"); a call on a session that has ended is SF_ENOTFOUND; alive is
 *   false once the session ended by itself (timeout, or its sandbox died).
 * - A tool that cannot run (bad arguments, a path that escapes the
 *   workspace, TypeScript, JavaScript without node) is SF_EINVALID; an
 *   unknown taskId is SF_ENOTFOUND.
 */
#ifndef SF_LOCAL_SANDBOX_H
#define SF_LOCAL_SANDBOX_H

#include <sys/types.h>

#include "local/backend.h"

#define SF_SANDBOX_WORKSPACE "/workspace"

enum sf_sandbox_cgroups {
	SF_SANDBOX_CGROUPS_AUTO = 0, /* v2 or v1 if writable, else rlimits */
	SF_SANDBOX_CGROUPS_V1,       /* v1 or fail */
	SF_SANDBOX_CGROUPS_V2,       /* v2 or fail */
	SF_SANDBOX_CGROUPS_NONE,     /* rlimits only */
};

struct sf_sandbox_config {
	const char *bwrap;  /* default /usr/bin/bwrap */
	const char *python; /* default /usr/bin/python3; required */
	const char *node;   /* default /usr/bin/node; absent: no JavaScript */
	/*
	 * When the server runs as root, sandboxes run as this host uid and
	 * gid (root inside their user namespace), default 65534 (nobody);
	 * as root if uid is 0 or unprivileged user namespaces do not work.
	 */
	uid_t uid;
	gid_t gid;
	enum sf_sandbox_cgroups cgroups;
	const char *cgroup_fs; /* default /sys/fs/cgroup */
	/* For the fields a session's options leave 0 (backend.h defaults). */
	struct sf_backend_limits limits;
	int start_timeout_ms; /* for a sandbox to come up, default 10000 */
};

/* Fill cfg with the defaults. */
void sf_sandbox_config_init(struct sf_sandbox_config *cfg);

/*
 * Whether bubblewrap can create the namespaces of a session here (it runs
 * one): 0, or SF_ENOTFOUND (no bwrap or python3) or SF_ERROR with what
 * bwrap said.
 */
int sf_sandbox_probe(const struct sf_sandbox_config *cfg, struct sf_err *err);

/* A backend whose ctx is freed by out->ops->free(out->ctx). */
int sf_sandbox_backend_new(const struct sf_sandbox_config *cfg,
    struct sf_backend *out, struct sf_err *err);

#endif
