/*
 * Apply: walk a plan through the provider, many calls at once, and write
 * the state after every action that completes, so that nothing is lost
 * when apply fails, is interrupted or is killed.
 *
 * Order: deletes (and the delete half of replacements), waiting until each
 * is gone since names are unique; then creates, waiting for READY (or
 * reporting CREATE_FAILED with its reason); then tag updates; then what
 * only the state needs.
 *
 * Never a duplicate: before a create is sent, the state records the
 * interpreter as PENDING with the generation it is created with, and the
 * create carries a client token made of the state's lineage, the name and
 * that generation. An apply killed at any point and run again sends the
 * same token, and AgentCore answers with the interpreter the first one
 * made. A replacement bumps the generation, so it is never answered with
 * the interpreter it replaces.
 */
#ifndef SF_APPLY_H
#define SF_APPLY_H

#include <signal.h>

#include "plan/plan.h"
#include "provider/provider.h"

struct sf_apply_opts {
	size_t parallelism;       /* calls in flight at most; default 10 */
	int64_t ready_timeout_ms; /* per interpreter; default 30 minutes */
	int ready_confirmations;  /* READY seen this many times; default 1 */
	int64_t poll_first_ms;    /* default 200, doubling ... */
	int64_t poll_max_ms;      /* ... up to this; default 5000 */
	const char *lineage;      /* the state's, for client tokens */
	/* Write the state (bumping its serial); after every completed
	 * action. */
	int (*save)(void *ud, struct sf_recorded *rec, struct sf_err *err);
	void *save_ud;
	/* One line per event, for the terminal ("fresh: creating ..."). */
	void (*progress)(void *ud, const char *line);
	void *progress_ud;
	/* Ctrl-C: when set, nothing new is started. */
	volatile sig_atomic_t *interrupted;
	int64_t (*now_ms)(void *ud);
	void (*sleep_ms)(void *ud, int64_t ms);
	void *clock_ud;
};

struct sf_apply_result {
	size_t created, updated, deleted, forgotten;
	size_t failed;
	bool interrupted;
};

/*
 * Apply plan to the world the provider reaches, keeping rec (the state,
 * sorted by name) up to date. Returns 0 when everything was done,
 * SF_EINTR when interrupted (what was done is saved), or the first error
 * (others go to progress); the state is saved in every case.
 */
int sf_apply(struct sf_provider *p, const struct sf_plan *plan,
    struct sf_recorded *rec, const struct sf_apply_opts *o,
    struct sf_apply_result *res, struct sf_err *err);

/*
 * The client token of the create of name at generation in the state of
 * lineage: 33..256 characters of [a-zA-Z0-9-], the same every time.
 */
void sf_apply_client_token(char *out, size_t n, const char *lineage,
    const char *name, int64_t generation, char kind);

#endif
