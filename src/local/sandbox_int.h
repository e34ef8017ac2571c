/* What the files of the bubblewrap backend share (sandbox*.c). */
#ifndef SF_LOCAL_SANDBOX_INT_H
#define SF_LOCAL_SANDBOX_INT_H

#include <sys/types.h>

#include "local/sandbox.h"

enum sf_sandbox_ctl { SF_CG_MEMORY, SF_CG_CPU, SF_CG_PIDS, SF_CG_N };

/* The cgroups the backend found, and the directory it made in each. */
struct sf_sandbox_cgsys {
	int version;         /* 0: none (rlimits), 1 or 2 */
	bool has[SF_CG_N];   /* the controllers that limit sessions */
	char *base[SF_CG_N]; /* v1: one per controller; v2: all the same */
	char describe[160];  /* "cgroup v1: memory, cpu, pids" */
};

/* The cgroup of one session: one directory per controller (v1). */
struct sf_sandbox_cg {
	char *dir[SF_CG_N];
};

/*
 * Find the cgroups and make the backend's directory in them. A mode of
 * AUTO falls back to version 0 (and says why in describe); V1 and V2 fail
 * unless that version is there and writable.
 */
int sf_sandbox_cg_init(struct sf_sandbox_cgsys *sys, const char *fs,
    enum sf_sandbox_cgroups mode, struct sf_err *err);
void sf_sandbox_cg_release(struct sf_sandbox_cgsys *sys);

/* The session's cgroup with its limits; nothing for version 0. */
int sf_sandbox_cg_create(const struct sf_sandbox_cgsys *sys, const char *name,
    const struct sf_backend_limits *lim, struct sf_sandbox_cg *cg,
    struct sf_err *err);
/*
 * Move pid into it. (The rlimits for what no controller limits are set by
 * the agent for itself, before it runs anything: a root without
 * CAP_SYS_RESOURCE cannot set them on a process of another user.)
 */
int sf_sandbox_cg_attach(const struct sf_sandbox_cgsys *sys,
    const struct sf_sandbox_cg *cg, pid_t pid, struct sf_err *err);
/* How many processes it holds (-1: unknown); SIGKILL them. */
int sf_sandbox_cg_count(const struct sf_sandbox_cg *cg);
void sf_sandbox_cg_kill(const struct sf_sandbox_cg *cg);
/* Remove it (waits a little for the last exits); 0 or -1. */
int sf_sandbox_cg_destroy(struct sf_sandbox_cg *cg);

/*
 * Check the arguments of a tool call before it goes to the agent, so that
 * a bad call is SF_EINVALID with a clear message.
 */
int sf_sandbox_check_call(
    const char *tool, json_t *args, bool have_node, struct sf_err *err);

/* Remove a directory tree without following links or crossing mounts. */
int sf_sandbox_rmtree(const char *path);

#endif
