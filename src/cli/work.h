/*
 * What plan, apply, destroy and run share: the manifests, the state (read,
 * or locked for writing), the provider of the configuration's target (the
 * embedded control plane started on demand, or AWS), and the refresh.
 */
#ifndef SF_CLI_WORK_H
#define SF_CLI_WORK_H

#include <signal.h>

#include "git/git.h"
#include "local/local.h"
#include "provider/aws/agentcore.h"
#include "manifest/manifest.h"
#include "plan/plan.h"
#include "provider/provider.h"
#include "state/state.h"

/* Set by SIGINT and SIGTERM once sf_work_catch_signals has run. */
extern volatile sig_atomic_t sf_work_interrupted;
void sf_work_catch_signals(void);

struct sf_work {
	char *dir; /* the manifests */
	const char *command;
	struct sf_config *cfg;
	struct sf_diags diags;
	char *state_dir;
	struct sf_storage *storage;
	struct sf_recorded rec;
	struct sf_storage_ver ver;
	bool locked;
	bool fresh_state;     /* no state file yet */
	bool refreshed_state; /* the refresh updated what the state says */
	struct sf_provider *provider;
	struct sf_local_endpoint ep; /* target local */
	char *target;                /* "local (http://127.0.0.1:PORT)" */
	struct sf_live live;
	/* Where the configuration came from, written with every save. */
	struct sf_git_provenance prov;
	bool in_git;
	/* How the provider was made, to make more (one per job thread). */
	struct sf_agentcore_opts aopts;
	struct sf_creds_env aenv;
};

/* Load the manifests of dir (reporting diagnostics); SF_EXIT_ERROR on
 * any problem. vars are --var NAME=VALUE. */
int sf_work_load(struct sf_work *w, const char *command, const char *dir,
    const char *const *vars, size_t nvars);
/* The same from in-memory files (a saved plan's); files NULL: dir. */
int sf_work_load_files(struct sf_work *w, const char *command, const char *dir,
    const struct sf_manifest_file *files, size_t nfiles,
    const char *const *vars, size_t nvars);
/* Open the state (state_opt: --state, or NULL); take the lock when
 * lock_timeout_ms >= 0. Checks that the state is for this target. */
int sf_work_state(
    struct sf_work *w, const char *state_opt, int64_t lock_timeout_ms);
/* Reach the target: start or reuse the embedded control plane, or set up
 * the AWS client. */
int sf_work_connect(struct sf_work *w);
/* Another provider like w->provider, for a thread of its own. */
int sf_work_new_provider(
    struct sf_work *w, struct sf_provider **out, struct sf_err *err);
/* Read the live interpreters (a few List pages). */
int sf_work_refresh(struct sf_work *w);
/* Count the sessions on what plan would delete or replace. */
void sf_work_count_sessions(struct sf_work *w, const struct sf_plan *plan);
/* The provenance as JSON text for a run record ({"commit": ...}). */
char *sf_work_provenance_json(const struct sf_work *w);
/* Save w->rec (the lock must be held), with the provenance. */
int sf_work_save(struct sf_work *w, struct sf_err *err);
/* Why the next saves happen ("Plan: 1 to add, ..."; NULL: only where the
 * manifests came from), for backends that keep a history (git commits). */
void sf_work_note(struct sf_work *w, const char *what);
void sf_work_release(struct sf_work *w);

#endif
