/*
 * The state file, sandform.state.json: struct sf_recorded (model/recorded.h)
 * as JSON, and its load and save through a storage (storage.h). The JSON is
 * sorted by key, indented by two, its arrays sorted by name and ended by a
 * newline, so the same state always gives the same bytes. Reading is strict:
 * bad JSON, a wrong type, a missing or unknown key, or a newer version is
 * refused with what is wrong and where, and the file is never overwritten.
 * schema/state.schema.json documents the format.
 */
#ifndef SF_STATE_H
#define SF_STATE_H

#include "model/recorded.h"
#include "state/storage.h"

#define SF_STATE_FILE   "sandform.state.json"
#define SF_STATE_BACKUP "sandform.state.json.backup"
#define SF_STATE_LOCK   ".lock"
#define SF_STATE_MAX    (64u * 1024 * 1024) /* bytes read at most */

/*
 * Render r (which need not be sorted) into out (appended). SF_EINVALID when
 * r could not be read back: a required field unset, a bad name or value, a
 * name twice; nothing is appended then.
 */
int sf_state_to_json(
    const struct sf_recorded *r, struct sf_buf *out, struct sf_err *err);
/*
 * Parse and check len bytes of text into r (initialised here; released by
 * the caller, also after a failure). where names the file in messages.
 */
int sf_state_from_json(const char *text, size_t len, const char *where,
    struct sf_recorded *r, struct sf_err *err);
/* One interpreter as the state file writes it (for `state show --json`). */
void sf_state_interpreter_to_json(
    const struct sf_rec_interpreter *in, struct sf_buf *out);

/* A new, empty state: version 1, serial 0, a fresh lineage. */
void sf_state_new(const struct sf_state_env *env, struct sf_recorded *r);

/*
 * Read the state from s into r, with its version for sf_state_save. When
 * there is none yet: SF_ENOTFOUND, r is a new state (sf_state_new) and ver
 * is empty, so the caller may go on and save it.
 */
int sf_state_load(struct sf_storage *s, struct sf_recorded *r,
    struct sf_storage_ver *ver, struct sf_err *err);
/*
 * Write r through s if nobody wrote since ver was read (else SF_ECONFLICT):
 * bumps r->serial, sets r->updated_at (the storage's clock) and updates
 * ver; nothing else of r changes, and it is not reordered (the file is
 * sorted all the same). On failure r is as it was.
 */
int sf_state_save(struct sf_storage *s, struct sf_recorded *r,
    struct sf_storage_ver *ver, struct sf_err *err);

/* Remove the interpreter name from r (state rm); SF_ENOTFOUND if absent. */
int sf_state_forget(struct sf_recorded *r, const char *name);

#endif
