/* What the files of src/state share and nobody else sees. */
#ifndef SF_STATE_INTERNAL_H
#define SF_STATE_INTERNAL_H

#include "state/state.h"

/* The last time RFC 3339 can write: 9999-12-31T23:59:59.999Z. */

/* The serial of a state file's bytes, or -1 when they have none. */
int64_t sf_state_peek_serial(const char *text, size_t len);
/* 64-bit FNV-1a of len bytes, as 16 hex digits. */
void sf_state_hash(const char *data, size_t len, char out[17]);

/* The local directory backend (storage_local.c, lock.c). */
struct sf_local {
	struct sf_storage base;
	char *dir;
	char *host;
	int (*fault)(void *ud, const char *point);
	void *fault_ud;
};

/*
 * The gate: an flock(2) of the state directory, held for the moment it
 * takes to check and replace the state file or the lock file, so that
 * processes on this host never interleave those steps. The kernel drops it
 * when a process dies, so it never goes stale. Returns the directory's fd.
 */
int sf_local_gate(struct sf_local *l, bool create, int *fd, struct sf_err *err);
void sf_local_ungate(int fd);
/* mkdir -p. */
int sf_local_mkdirs(const char *dir, struct sf_err *err);
/* Write data to a new temporary file beside path (.NAME.XXXXXX), synced;
 * *tmp gets its name, for the caller to rename or unlink. */
int sf_local_write_temp(const char *path, const char *data, size_t len,
    char **tmp, struct sf_err *err);
/* Write path atomically: a temporary file beside it, fsync, rename, fsync
 * of the directory (dirfd, or -1 to open it). */
int sf_local_write_file(struct sf_local *l, const char *path, int dirfd,
    const char *data, size_t len, struct sf_err *err);

int sf_local_lock(struct sf_storage *s, const struct sf_lock_req *req,
    struct sf_buf *warn, struct sf_err *err);
int sf_local_unlock(struct sf_storage *s, struct sf_err *err);
int sf_local_lock_info(
    struct sf_storage *s, struct sf_lock_info *info, struct sf_err *err);
int sf_local_force_unlock(struct sf_storage *s, const char *id,
    struct sf_lock_info *was, struct sf_err *err);

#endif
