/*
 * What the commands that read or write the state share: where the state
 * directory is (--state DIR, else DIR/state beside the manifests), the
 * --lock-timeout value, and opening the storage. The state subcommands
 * (cmd_state_*.c) are dispatched by cmd_state.c.
 */
#ifndef SF_CLI_STATECMD_H
#define SF_CLI_STATECMD_H

#include "state/state.h"

/* The state directory: state_opt when given, else manifest_dir/state. */
char *sf_cli_state_dir(const char *manifest_dir, const char *state_opt);
/* A duration such as 0, 30s, 500ms, 2m, 1h (no unit: seconds) into *ms;
 * -1 when s is not one. */
int sf_cli_parse_duration(const char *s, int64_t *ms);
/* The storage of a state directory. */
struct sf_storage *sf_cli_state_open(const char *state_dir);
/*
 * The storage cfg's state: block names: the local directory (state_opt,
 * else manifest_dir/state) when there is none or it says local, else the
 * git ref or the S3 object. Reports errors itself; NULL on failure.
 */
struct sf_config;
struct sf_storage *sf_cli_storage_open(const struct sf_config *cfg,
    const char *manifest_dir, const char *state_opt);
/* Whether cfg (with the environment's SANDFORM_STATE_*) keeps the state in
 * a local directory. */
bool sf_cli_state_is_local(const struct sf_config *cfg);
/* The same for the commands that read no configuration otherwise: the
 * manifests in manifest_dir, when it has any, are loaded for it. */
struct sf_storage *sf_cli_state_open_dir(
    const char *manifest_dir, const char *state_opt);
/* Take the lock of s for command, printing a takeover warning on stderr.
 * Reports errors itself; returns 0 or SF_EXIT_ERROR. */
int sf_cli_state_lock(
    struct sf_storage *s, const char *command, int64_t timeout_ms);
/*
 * Take the lock of s for command (printing a takeover warning on stderr)
 * and load the state into r. Reports errors itself; returns 0 or
 * SF_EXIT_ERROR (with the lock released).
 */
int sf_cli_state_lock_load(struct sf_storage *s, const char *command,
    int64_t timeout_ms, struct sf_recorded *r, struct sf_storage_ver *ver);

/* The arguments of a state command: up to two positional ones, options. */
#define SF_STATE_ARG_JSON         0x1 /* --json is allowed */
#define SF_STATE_ARG_LOCK_TIMEOUT 0x2 /* --lock-timeout is allowed */
#define SF_STATE_ARG_FORCE        0x4 /* --force is allowed */

struct sf_state_args {
	const char *pos[2];
	size_t npos;
	const char *state; /* --state, NULL if not given */
	bool json;
	bool force;
	int64_t lock_timeout_ms;
};

/*
 * Parse argv (argv[0] is the subcommand) with between min and max
 * positional arguments; need says what the first one is, for the message
 * when it is missing. A mistake is reported against usage_cmd's --help;
 * returns 0 or SF_EXIT_ERROR.
 */
int sf_cli_state_args(const char *usage_cmd, int argc, char **argv,
    unsigned flags, size_t min, size_t max, const char *need,
    struct sf_state_args *a);

/* Fill err for an interpreter name r does not have, with a did-you-mean. */
void sf_cli_state_unknown(
    const struct sf_recorded *r, const char *name, struct sf_err *err);

int cmd_state_list(int argc, char **argv);
int cmd_state_show(int argc, char **argv);
int cmd_state_rm(int argc, char **argv);
int cmd_state_import(int argc, char **argv);
int cmd_state_pull(int argc, char **argv);
int cmd_state_push(int argc, char **argv);
int cmd_state_history(int argc, char **argv);

#endif
