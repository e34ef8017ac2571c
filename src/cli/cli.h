/*
 * The command table and what commands share: one file per command, each a
 * `cmd_<name>` with its usage text, dispatched by main through sf_cli_main.
 */
#ifndef SF_CLI_H
#define SF_CLI_H

#include "model/model.h"

struct sf_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary; /* one line for `sandform --help` */
	const char *usage;   /* the whole of `sandform NAME --help` */
};

int sf_cli_main(int argc, char **argv);

/* Exit statuses. */
#define SF_EXIT_OK      0
#define SF_EXIT_ERROR   1
#define SF_EXIT_CHANGES 2 /* plan --detailed-exitcode */

/* Print `sandform: error: [where: ]msg` for err and return SF_EXIT_ERROR. */
int sf_cli_report(const struct sf_err *err);
/* For a usage mistake: the message, a pointer to --help, exit status 1. */
int sf_cli_usage_error(const char *cmd, const char *fmt, ...) SF_PRINTF(2, 3);
/* Whether to colour a stream: a TTY and NO_COLOR unset. */
bool sf_cli_color(FILE *f);

/*
 * --debug (anywhere on the command line) or SANDFORM_LOG=debug: commands
 * that talk to a control plane hand sf_cli_debug_log to the wire client,
 * which logs each request and response with secrets redacted.
 */
extern bool sf_cli_debug;
void sf_cli_debug_log(void *ud, const char *line);

/* Diagnostics (diagout.c). */
void sf_diag_print_text(
    FILE *f, const struct sf_diags *d, const struct sf_config *c, bool color);
/* terraform validate -json's shape; returns the JSON text (caller frees). */
char *sf_diag_to_json(const struct sf_diags *d, const struct sf_config *c);

/* The commands. */
int cmd_validate(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_sessions(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_force_unlock(int argc, char **argv);
int cmd_local(int argc, char **argv);

extern const char sf_init_usage[];
extern const char sf_validate_usage[];
extern const char sf_plan_usage[];
extern const char sf_apply_usage[];
extern const char sf_destroy_usage[];
extern const char sf_run_usage[];
extern const char sf_jobs_usage[];
extern const char sf_runs_usage[];
extern const char sf_sessions_usage[];
extern const char sf_show_usage[];
extern const char sf_version_usage[];
extern const char sf_help_usage[];
extern const char sf_diff_usage[];
extern const char sf_state_usage[];
extern const char sf_force_unlock_usage[];
extern const char sf_local_usage[];

#endif
