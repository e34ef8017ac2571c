/*
 * Where the state lives, as plan, apply and the state commands see it: the
 * state file as bytes with a version for compare-and-swap, the lock with
 * its holder, and the run records of the jobs. The local directory
 * implements it (storage_local.c); a git ref and an S3 object are to come
 * behind the same operations. Callers use the sf_storage_* functions, never
 * the ops; state.h turns the bytes into a struct sf_recorded.
 */
#ifndef SF_STORAGE_H
#define SF_STORAGE_H

#include "util/time.h"
#include "util/util.h"

#define SF_STORAGE_VER_MAX 128

/*
 * A version of the stored state, opaque to callers, for compare-and-swap:
 * the serial and a hash of the bytes here, a commit id in git, an ETag in
 * S3. An empty tag means "nothing stored yet".
 */
struct sf_storage_ver {
	char tag[SF_STORAGE_VER_MAX];
};

/*
 * Time and randomness, injected so that tests neither sleep nor guess.
 * NULL members use the real clock, nanosleep and /dev/urandom.
 */
struct sf_state_env {
	int64_t (*now_ms)(void *ud); /* wall clock, ms since the epoch */
	void (*sleep_ms)(void *ud, int64_t ms);
	void (*random)(void *ud, void *buf, size_t n);
	void *ud;
};

/* Who holds a lock. */
struct sf_lock_info {
	char id[37];       /* a UUID: what `sandform force-unlock` takes */
	int64_t pid;       /* on host */
	char host[256];    /* gethostname() of the holder */
	char command[256]; /* "apply", "state rm", ... */
	int64_t started;   /* ms since the epoch */
};

struct sf_lock_req {
	const char *command; /* what takes it, for the holder's record */
	int64_t timeout_ms;  /* keep trying this long; 0: fail at once */
};

struct sf_storage;

/* One stored version of the state, for `sandform state history`. */
struct sf_storage_rev {
	char id[SF_STORAGE_VER_MAX]; /* a commit id, a version id */
	int64_t time;                /* ms since the epoch */
	char *message;               /* what changed, owned; may be NULL */
};

/* What a backend implements. Every function fills err on failure. */
struct sf_storage_ops {
	const char *name; /* "local", "git", "s3" */
	/* The state's bytes (appended to out) and their version;
	 * SF_ENOTFOUND with an empty ver->tag when there is none yet. */
	int (*read)(struct sf_storage *s, struct sf_buf *out,
	    struct sf_storage_ver *ver, struct sf_err *err);
	/* Replace the state if its version is still expect (an empty tag:
	 * if there is none yet), else SF_ECONFLICT; *now gets the new
	 * version. Atomic: a reader sees the old bytes or the new ones. */
	int (*write)(struct sf_storage *s, const char *data, size_t len,
	    const struct sf_storage_ver *expect, struct sf_storage_ver *now,
	    struct sf_err *err);
	/* Take the lock (s->lock gets our record) or SF_ECONFLICT naming
	 * the holder. A note for the user (a stale lock taken over) is
	 * appended to warn. */
	int (*lock)(struct sf_storage *s, const struct sf_lock_req *req,
	    struct sf_buf *warn, struct sf_err *err);
	/* Release our lock; SF_ECONFLICT if it is no longer ours. */
	int (*unlock)(struct sf_storage *s, struct sf_err *err);
	/* Who holds the lock; SF_ENOTFOUND when nobody does. */
	int (*lock_info)(struct sf_storage *s, struct sf_lock_info *info,
	    struct sf_err *err);
	/* Remove the lock if its id is id (SF_EINVALID if not, SF_ENOTFOUND
	 * without a lock); *was gets the holder it had. */
	int (*force_unlock)(struct sf_storage *s, const char *id,
	    struct sf_lock_info *was, struct sf_err *err);
	/* Run records: one JSON text per run of a job, replaced whole. */
	int (*put_run)(struct sf_storage *s, const char *job, const char *run,
	    const char *data, size_t len, struct sf_err *err);
	/* The run ids of a job, sorted (none: *n = 0); free with
	 * sf_storage_runs_free. */
	int (*list_runs)(struct sf_storage *s, const char *job, char ***runs,
	    size_t *n, struct sf_err *err);
	int (*get_run)(struct sf_storage *s, const char *job, const char *run,
	    struct sf_buf *out, struct sf_err *err);
	int (*delete_run)(struct sf_storage *s, const char *job,
	    const char *run, struct sf_err *err);
	/* Optional: the newest max versions, newest first (free with
	 * sf_storage_revs_free); NULL when the backend keeps no history. */
	int (*history)(struct sf_storage *s, size_t max,
	    struct sf_storage_rev **revs, size_t *n, struct sf_err *err);
	void (*free)(struct sf_storage *s);
};

/* The part every backend shares; a backend's struct begins with it. */
struct sf_storage {
	const struct sf_storage_ops *ops;
	char *where;      /* for messages: a directory, a ref, s3://bucket */
	char *state_name; /* the state itself in messages: a path, a URL */
	struct sf_state_env env;
	bool locked;              /* we hold the lock ... */
	struct sf_lock_info lock; /* ... and this is its record */
	/* Why the next writes happen ("apply from commit abc on main"), for
	 * backends that keep a history; owned, set with sf_storage_note. */
	char *note;
};

/* The backends. */
struct sf_storage_local_opts {
	struct sf_state_env env;
	const char *host; /* NULL: gethostname() (tests set another) */
	/* Tests: called at named points of a write ("before-rename");
	 * nonzero makes the write fail there as a crash would, except that
	 * the temporary file is removed. */
	int (*fault)(void *ud, const char *point);
	void *fault_ud;
};

/* The state directory dir (created by the first write or lock). No I/O. */
struct sf_storage *sf_storage_local_new(
    const char *dir, const struct sf_storage_local_opts *o);

/* Release our lock if we still hold it (best effort), then free. */
void sf_storage_free(struct sf_storage *s);
/* Set (NULL: clear) the note of the writes that follow. */
void sf_storage_note(struct sf_storage *s, const char *note);

int sf_storage_read(struct sf_storage *s, struct sf_buf *out,
    struct sf_storage_ver *ver, struct sf_err *err);
int sf_storage_write(struct sf_storage *s, const char *data, size_t len,
    const struct sf_storage_ver *expect, struct sf_storage_ver *now,
    struct sf_err *err);
int sf_storage_lock(struct sf_storage *s, const struct sf_lock_req *req,
    struct sf_buf *warn, struct sf_err *err);
int sf_storage_unlock(struct sf_storage *s, struct sf_err *err);
int sf_storage_lock_info(
    struct sf_storage *s, struct sf_lock_info *info, struct sf_err *err);
int sf_storage_force_unlock(struct sf_storage *s, const char *id,
    struct sf_lock_info *was, struct sf_err *err);
int sf_storage_put_run(struct sf_storage *s, const char *job, const char *run,
    const char *data, size_t len, struct sf_err *err);
int sf_storage_list_runs(struct sf_storage *s, const char *job, char ***runs,
    size_t *n, struct sf_err *err);
int sf_storage_get_run(struct sf_storage *s, const char *job, const char *run,
    struct sf_buf *out, struct sf_err *err);
int sf_storage_delete_run(
    struct sf_storage *s, const char *job, const char *run, struct sf_err *err);
void sf_storage_runs_free(char **runs, size_t n);
/* SF_EINVALID when the backend keeps no history of the state. */
int sf_storage_history(struct sf_storage *s, size_t max,
    struct sf_storage_rev **revs, size_t *n, struct sf_err *err);
void sf_storage_revs_free(struct sf_storage_rev *revs, size_t n);

/* Whether s is a job name (^[a-zA-Z][a-zA-Z0-9_-]{0,63}$) or a run id
 * (^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$): what may become a path. */
bool sf_storage_job_name_ok(const char *s);
bool sf_storage_run_id_ok(const char *s);

/* A lock record as every backend stores it: a JSON object of id, pid,
 * host, command and started (RFC 3339), and back; -1 when text is not
 * one. */
void sf_lock_encode(const struct sf_lock_info *li, struct sf_buf *out);
/* Fill err (SF_ECONFLICT) for a lock li holds, with how long we waited and
 * the force-unlock hint; returns SF_ECONFLICT. */
int sf_lock_conflict(struct sf_err *err, const char *where,
    const struct sf_lock_info *li, int64_t waited_ms);
int sf_lock_decode(const char *text, size_t len, struct sf_lock_info *li);

/* "pid 1234 on host (apply, started 2025-11-26T13:39:00Z)" */
void sf_lock_describe(struct sf_buf *out, const struct sf_lock_info *l);

/* The env's clock, sleep and random source, or the real ones. */
int64_t sf_state_now(const struct sf_state_env *e);
void sf_state_sleep(const struct sf_state_env *e, int64_t ms);
void sf_state_random(const struct sf_state_env *e, void *buf, size_t n);
/* A random (version 4) UUID from the env's random source. */
void sf_state_uuid(const struct sf_state_env *e, char out[37]);

#endif
