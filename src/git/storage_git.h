/*
 * The git backend of the state storage (state/storage.h): the state and
 * the run records as a tree on a ref of a git repository, pushed to a
 * remote, and the lock as a second ref beside it.
 *
 *   REF       a commit whose tree holds sandform.state.json and
 *             runs/JOB/RUN.json; every write is a child of the last
 *   REF-lock  a parentless commit whose tree holds lock.json (not
 *             REF.lock: git takes no ref name ending in ".lock")
 *
 * The working tree, the index and HEAD of the repository are never
 * touched. Compare-and-swap: the version of the state is the commit id;
 * a write pushes a child of the expected commit without force, so a
 * remote that moved on refuses it and nothing is lost.
 */
#ifndef SF_STORAGE_GIT_H
#define SF_STORAGE_GIT_H

#include "state/storage.h"

#define SF_STORAGE_GIT_REF "refs/sandform/state"

struct sf_storage_git_opts {
	struct sf_state_env env;
	const char *host; /* NULL: gethostname() (tests set another) */
	/* Tests: called with "before-update" just before a ref is moved (a
	 * push, or a local compare-and-swap), after the commit was made;
	 * nonzero fails the change there as a crash would. Another writer
	 * may move the ref from here to test the compare-and-swap. */
	int (*fault)(void *ud, const char *point);
	void *fault_ud;
};

/*
 * The state on ref (NULL: SF_STORAGE_GIT_REF) of remote, through the
 * local repository repo_path (a working tree or bare), which keeps the
 * objects and the tracking refs (refs/sandform-remote/...). remote is a
 * remote's name ("origin"), a URL or a path; NULL keeps the ref in
 * repo_path alone. Opens the repository; no network I/O.
 */
struct sf_storage *sf_storage_git_new(const char *repo_path, const char *remote,
    const char *ref, const struct sf_storage_git_opts *o, struct sf_err *err);

/*
 * What `git credential fill` answers for url, run in directory cwd (its
 * config names the helpers): the credential helpers of the user, as git
 * itself would ask them, never a prompt. 0 with *user and *password
 * (free *password with sf_wipe first), -1 when there is none.
 */
int sf_git_credential_fill(
    const char *url, const char *cwd, char **user, char **password);

#endif
