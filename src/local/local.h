/*
 * The embedded control plane as the CLI sees it: `sandform local serve`
 * (sf_local_serve), the accepted credentials, the backend that runs
 * sessions, and the server the CLI starts in the background for a state
 * directory and reuses (sf_local_ensure).
 *
 *   <state>/local/lock        flock: one CLI starts the server at a time
 *   <state>/local/pid         the server's pid (written by the server)
 *   <state>/local/port        its port (written by the server)
 *   <state>/local/server.log  its output
 *   <state>/local/data/       its data directory (see docs/local.md)
 */
#ifndef SF_LOCAL_H
#define SF_LOCAL_H

#include <jansson.h>

#include "local/server.h"

/* ---- credentials ---- */

/* Accepted keys, owned. */
struct sf_local_keys {
	struct sf_local_key *v;
	size_t n;
};

void sf_local_keys_add(struct sf_local_keys *k, const char *access_key_id,
    const char *secret_access_key, const char *session_token);
/* Wipes the secrets. */
void sf_local_keys_release(struct sf_local_keys *k);

/*
 * Read an AWS shared-credentials file: every [section] that has both
 * aws_access_key_id and aws_secret_access_key (and maybe
 * aws_session_token) is a key the server accepts. '#' and ';' start
 * comments. SF_EINVALID when no section has a key pair.
 */
int sf_local_keys_load(
    const char *path, struct sf_local_keys *out, struct sf_err *err);
/*
 * The key pair of a data directory: <data>/credentials, made (mode 0600,
 * a random pair under [default]; the directory too) when it does not
 * exist yet.
 */
int sf_local_keys_data_dir(
    const char *data_dir, struct sf_local_keys *out, struct sf_err *err);

/* ---- backends ---- */

/*
 * The backend `local serve` runs sessions with: the bubblewrap sandbox
 * when this build has it, else the echo backend.
 */
int sf_local_default_backend(struct sf_backend *out, struct sf_err *err);
/*
 * A backend for tests and for builds without the sandbox: it runs
 * nothing. executeCommand answers the command as stdout, executeCode the
 * code, writeFiles/readFiles/listFiles/removeFiles keep files in memory,
 * every other tool an empty success.
 */
void sf_local_echo_backend(struct sf_backend *out);
/* "sandbox", "echo" or "default" (NULL: $SANDFORM_LOCAL_BACKEND, else
 * the default). */
int sf_local_backend_by_name(
    const char *name, struct sf_backend *out, struct sf_err *err);

/* ---- `sandform local serve` ---- */

struct sf_local_serve_opts {
	struct sf_local_opts server;
	const char *listen;    /* NULL: 127.0.0.1:0 */
	const char *pid_file;  /* written once listening, removed at exit */
	const char *port_file; /* likewise */
	FILE *out;             /* "listening on http://..." (stdout) */
};

/* Serve until SIGINT or SIGTERM. */
int sf_local_serve(const struct sf_local_serve_opts *o, struct sf_err *err);

/* ---- the server the CLI starts and reuses ---- */

struct sf_local_endpoint {
	char *url;    /* http://127.0.0.1:PORT, for both planes */
	char *region; /* what to sign with */
	char *access_key_id;
	char *secret_access_key;
	int port;
	long pid;
	bool started; /* this call started it */
};

/*
 * The embedded control plane of state_dir ("state" when NULL): when no
 * server answers for <state_dir>/local/, start `sandform local serve
 * --listen 127.0.0.1:0 --data <state_dir>/local/data` in the background
 * (its own session, output to <state_dir>/local/server.log) and wait
 * until it answers; otherwise reuse the one that runs. Two CLIs calling it
 * at once get the same server (a lock file). The binary started is
 * /proc/self/exe, or $SANDFORM_LOCAL_EXE when set.
 */
int sf_local_ensure(
    const char *state_dir, struct sf_local_endpoint *out, struct sf_err *err);
/* Wipes the secret. */
void sf_local_endpoint_release(struct sf_local_endpoint *e);

/*
 * The status of the server of state_dir, as its status endpoint answers
 * it (pid, port, uptimeMs, interpreters, sessionsActive, backend, ...):
 * SF_ENOTFOUND when none runs.
 */
int sf_local_status(const char *state_dir, json_t **out, struct sf_err *err);
/*
 * Stop the server of state_dir: SIGTERM to the pid it recorded (only when
 * that pid is the server answering there), SIGKILL after 10 s. *was
 * (may be NULL) says whether one ran.
 */
int sf_local_stop(const char *state_dir, bool *was, struct sf_err *err);

#endif
