/*
 * The records of the embedded control plane: custom code interpreters,
 * sessions, idempotency tokens, and their files in the data directory.
 *
 *   <data>/interpreters/<id>.json   one per interpreter: temp file, fsync,
 *                                   rename, fsync of the directory
 *   <data>/sessions/<sid>.json      session history (not fsynced: sessions
 *                                   do not survive a restart, and after
 *                                   one they are listed as TERMINATED)
 *
 * Everything here is guarded by reg->lock, which callers take with
 * sf_local_registry_lock around a whole operation. Files are written by
 * sf_local_registry_persist_* without that lock held (fsync is slow); a
 * second lock orders the writes, and each write takes the record as it is
 * at that moment, so the last write always holds the latest state.
 */
#ifndef SF_LOCAL_REGISTRY_H
#define SF_LOCAL_REGISTRY_H

#include <jansson.h>
#include <pthread.h>

#include "local/backend.h"
#include "util/util.h"

/* Small vectors the advance step fills. */
struct sf_local_strv {
	char **v;
	size_t n, alloc;
};

void sf_local_strv_push(struct sf_local_strv *v, const char *s);
void sf_local_strv_release(struct sf_local_strv *v);

struct sf_local_session;

/* Backend sessions to stop, and the workspaces to remove after. */
struct sf_local_stop {
	struct sf_backend_session *bs;
	char *work_dir; /* NULL: none */
};

struct sf_local_stopv {
	struct sf_local_stop *v;
	size_t n, alloc;
};

/* Take s's backend session (and its workspace) into v. */
void sf_local_stopv_take(struct sf_local_stopv *v, struct sf_local_session *s);
void sf_local_stopv_release(struct sf_local_stopv *v);

enum sf_local_ci_status {
	SF_CI_CREATING,
	SF_CI_CREATE_FAILED,
	SF_CI_READY,
	SF_CI_DELETING,
	SF_CI_DELETE_FAILED,
	SF_CI_DELETED,
};

const char *sf_local_ci_status_name(enum sf_local_ci_status st);

struct sf_local_ci {
	char *id, *arn, *name;
	char *description;    /* NULL: none */
	char *role_arn;       /* NULL: none */
	char *network_mode;   /* SANDBOX | PUBLIC | VPC */
	json_t *network;      /* networkConfiguration, as given */
	json_t *certificates; /* NULL: none */
	json_t *filesystems;  /* filesystemConfigurations; NULL: none */
	json_t *tags;         /* object, never NULL */
	enum sf_local_ci_status status;
	char *failure_reason; /* NULL: none */
	int64_t created_at, updated_at;
	int64_t due_at;     /* the next transition (CREATING, DELETING) */
	char *create_token; /* the CreateCodeInterpreter client token */
	char *create_hash;  /* ... and the hash of its parameters */
	bool system;        /* aws.codeinterpreter.v1 */
};

struct sf_local_session {
	char id[27]; /* ULID: 26 characters */
	char *ci_id; /* codeInterpreterIdentifier as resolved */
	char *name;  /* NULL: none */
	char *network_mode;
	int64_t timeout_s;
	int64_t created_at, updated_at, expires_at;
	bool terminated;
	bool starting;                 /* the backend is starting it */
	struct sf_backend_session *bs; /* NULL once stopped */
	int inflight;                  /* tool calls running: keep the record */
	bool stop_pending;             /* ended while starting: stop it after */
	json_t *certificates;          /* NULL: none */
	json_t *filesystems;           /* NULL: none */
	char *work_dir;
};

/* One remembered idempotent request. */
struct sf_local_idem {
	char *op, *token;
	char hash[65];
	int status;
	char *body;
	int64_t at;
	bool pending; /* the first request with this token still runs */
};

struct sf_local_registry {
	pthread_mutex_t lock;
	pthread_mutex_t persist_lock;
	char *dir;               /* NULL: memory only */
	struct sf_local_ci **ci; /* sorted by id */
	size_t nci, aci;
	struct sf_local_session **sess; /* sorted by created_at, then id */
	size_t nsess, asess;
	size_t nended;               /* sessions TERMINATED */
	int64_t next_due;            /* nothing to advance before then */
	struct sf_local_strv loaded; /* sessions ended by the restart */
	struct sf_local_idem *idem;
	size_t nidem, aidem;
	struct sf_local_ci *system;
	size_t keep_sessions;
	int64_t transition_ms;
	void (*log)(void *ud, const char *line);
	void *log_ud;
};

/*
 * Open the records of dir (NULL: memory only): interpreters as they were
 * (transitions that fell due while the server was down happen now),
 * sessions TERMINATED. Files that do not parse are logged and skipped.
 */
int sf_local_registry_open(struct sf_local_registry *r, const char *dir,
    const char *region, int64_t now, int64_t transition_ms,
    size_t keep_sessions, void (*log)(void *, const char *), void *log_ud,
    struct sf_err *err);
void sf_local_registry_close(struct sf_local_registry *r);

void sf_local_registry_lock(struct sf_local_registry *r);
void sf_local_registry_unlock(struct sf_local_registry *r);

/* Lookups (lock held). The system interpreter is found by id too. */
struct sf_local_ci *sf_local_registry_ci(
    struct sf_local_registry *r, const char *id);
struct sf_local_ci *sf_local_registry_ci_by_name(
    struct sf_local_registry *r, const char *name);
struct sf_local_ci *sf_local_registry_ci_by_arn(
    struct sf_local_registry *r, const char *arn);
/* Insert (takes ownership) and remove (frees) interpreters. */
void sf_local_registry_add_ci(
    struct sf_local_registry *r, struct sf_local_ci *ci);
void sf_local_registry_drop_ci(struct sf_local_registry *r, const char *id);
void sf_local_ci_free(struct sf_local_ci *ci);
/* Custom interpreters that count against the quota. */
size_t sf_local_registry_ci_count(struct sf_local_registry *r);

/* Sessions are sorted by id: ULIDs, so by creation time. */
struct sf_local_session *sf_local_registry_session(
    struct sf_local_registry *r, const char *sid);
/* Mark s TERMINATED at when (its backend session is the caller's). */
void sf_local_registry_end_session(
    struct sf_local_registry *r, struct sf_local_session *s, int64_t when);
/* Something falls due at when: advance must look then. */
void sf_local_registry_due(struct sf_local_registry *r, int64_t when);
void sf_local_registry_add_session(
    struct sf_local_registry *r, struct sf_local_session *s);
void sf_local_registry_drop_session(
    struct sf_local_registry *r, const char *sid);
void sf_local_session_free(struct sf_local_session *s);
size_t sf_local_registry_active_sessions(struct sf_local_registry *r);

/*
 * Apply the transitions due at now (CREATING -> READY, DELETING -> gone),
 * mark sessions past their timeout TERMINATED, and trim the history of
 * ended sessions. Ids of interpreters and sessions whose files must be
 * written (or removed) are appended to ci_ids and sess_ids; backend
 * sessions to stop (outside the lock) to stop. Unless full, it returns at
 * once when nothing is due; full also asks the backend (ops->alive)
 * whether each session still runs. Lock held.
 */
void sf_local_registry_advance(struct sf_local_registry *r, int64_t now,
    bool full, const struct sf_backend_ops *ops, struct sf_local_strv *ci_ids,
    struct sf_local_strv *sess_ids, struct sf_local_stopv *stop);

/* Write the file of an interpreter or a session as it is now, or remove
 * it when the record is gone. Lock NOT held. */
int sf_local_registry_persist_ci(
    struct sf_local_registry *r, const char *id, struct sf_err *err);
int sf_local_registry_persist_session(
    struct sf_local_registry *r, const char *sid, struct sf_err *err);

/* Idempotency (lock held): NULL when op + token was not seen. */
struct sf_local_idem *sf_local_registry_idem(
    struct sf_local_registry *r, const char *op, const char *token);
struct sf_local_idem *sf_local_registry_idem_add(struct sf_local_registry *r,
    const char *op, const char *token, const char *hash, int64_t now);
void sf_local_registry_idem_drop(
    struct sf_local_registry *r, const char *op, const char *token);

/* mkdir -p, mode 0700. */
int sf_local_mkdir_p(const char *path, struct sf_err *err);

/* The JSON of an interpreter as GetCodeInterpreter answers it, as a list
 * summary, and as its file. */
json_t *sf_local_ci_get_json(const struct sf_local_ci *ci);
json_t *sf_local_ci_summary_json(const struct sf_local_ci *ci);
json_t *sf_local_session_json(const struct sf_local_session *s, bool full);

#endif
