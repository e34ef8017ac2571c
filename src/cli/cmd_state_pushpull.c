/*
 * sandform state pull | push | history: the stored state file as bytes,
 * out and in, and the versions a backend keeps.
 * Together they move a state from one backend to another without loss:
 * push checks what it is given as strictly as a load does, keeps the
 * lineage, and will not go back in serials unless forced.
 */
#include <errno.h>

#include "cli/cli.h"
#include "cli/statecmd.h"
#include "util/fs.h"
#include "util/time.h"

int
cmd_state_pull(int argc, char **argv)
{
	struct sf_state_args a;
	struct sf_storage *s;
	struct sf_storage_ver ver;
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	int rc;

	if ((rc = sf_cli_state_args("state", argc, argv, 0, 0, 1, "", &a)))
		return rc;
	if (!(s = sf_cli_state_open_dir(a.npos ? a.pos[0] : ".", a.state)))
		return SF_EXIT_ERROR;
	rc = sf_storage_read(s, &b, &ver, &err);
	if (rc == SF_ENOTFOUND) {
		fprintf(
		    stderr, "sandform: error: no state in %s yet\n", s->where);
		rc = SF_EXIT_ERROR;
	} else if (rc) {
		rc = sf_cli_report(&err);
	} else if (fwrite(b.buf, 1, b.len, stdout) != b.len || fflush(stdout)) {
		fprintf(stderr, "sandform: error: writing the state: %s\n",
		    strerror(errno));
		rc = SF_EXIT_ERROR;
	}
	sf_buf_release(&b);
	sf_storage_free(s);
	return rc;
}

/* Whether the state in the storage (cur, read under the lock) may be
 * replaced by in; fills err when not. */
static int
may_replace(const struct sf_recorded *cur, const struct sf_recorded *in,
    const char *file, const char *where, bool force, struct sf_err *err)
{
	if (force)
		return 0;
	if (strcmp(cur->lineage, in->lineage))
		return sf_error(err, SF_ECONFLICT, file,
		    "is of lineage %s but the state in %s is of lineage %s: "
		    "another state altogether; --force replaces it",
		    in->lineage, where, cur->lineage);
	if (in->serial < cur->serial)
		return sf_error(err, SF_ECONFLICT, file,
		    "has serial %llu but the state in %s is newer (serial "
		    "%llu); pull it again, or --force replaces it",
		    (unsigned long long)in->serial, where,
		    (unsigned long long)cur->serial);
	return 0;
}

int
cmd_state_push(int argc, char **argv)
{
	struct sf_state_args a;
	struct sf_storage *s = NULL;
	struct sf_storage_ver ver;
	struct sf_recorded in, cur;
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	bool fresh;
	int rc;

	sf_recorded_init(&in);
	sf_recorded_init(&cur);
	if ((rc = sf_cli_state_args("state", argc, argv,
	         SF_STATE_ARG_FORCE | SF_STATE_ARG_LOCK_TIMEOUT, 1, 2,
	         "the FILE to push", &a)))
		return rc;
	if (!strcmp(a.pos[0], "-")) {
		char chunk[65536];
		size_t n;

		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
			sf_buf_add(&b, chunk, n);
			if (b.len > SF_STATE_MAX)
				break;
		}
		if (b.len > SF_STATE_MAX)
			rc = sf_error(&err, SF_EINVALID, "-",
			    "more than %u bytes: not a state", SF_STATE_MAX);
	} else {
		rc = sf_fs_read(a.pos[0], SF_STATE_MAX, &b, &err);
	}
	if (!rc)
		rc = sf_state_from_json(
		    b.buf ? b.buf : "", b.len, a.pos[0], &in, &err);
	if (rc) {
		rc = sf_cli_report(&err);
		goto out;
	}
	if (!(s = sf_cli_state_open_dir(
	          a.npos > 1 ? a.pos[1] : ".", a.state))) {
		rc = SF_EXIT_ERROR;
		goto out;
	}
	if ((rc = sf_cli_state_lock(s, "state push", a.lock_timeout_ms)))
		goto out;
	sf_recorded_release(&cur);
	rc = sf_state_load(s, &cur, &ver, &err);
	fresh = rc == SF_ENOTFOUND;
	if (rc && !fresh) {
		rc = sf_cli_report(&err);
		goto out;
	}
	if (!fresh &&
	    may_replace(&cur, &in, a.pos[0], s->where, a.force, &err)) {
		rc = sf_cli_report(&err);
		goto out;
	}
	/* The stored serial never goes back, forced or not: readers compare
	 * serials to tell a newer state from an older one. */
	if (!fresh && cur.serial > in.serial)
		in.serial = cur.serial;
	if ((rc = sf_state_save(s, &in, &ver, &err))) {
		rc = sf_cli_report(&err);
		goto out;
	}
	printf("Pushed %s to %s: %zu interpreter%s, serial %llu.\n", a.pos[0],
	    s->where, in.ninterpreters, in.ninterpreters == 1 ? "" : "s",
	    (unsigned long long)in.serial);
out:
	if (s && s->locked && sf_storage_unlock(s, &err) && !rc)
		rc = sf_cli_report(&err);
	sf_recorded_release(&in);
	sf_recorded_release(&cur);
	sf_buf_release(&b);
	if (s)
		sf_storage_free(s);
	return rc;
}

int
cmd_state_history(int argc, char **argv)
{
	struct sf_state_args a;
	struct sf_storage *s;
	struct sf_storage_rev *revs = NULL;
	struct sf_err err;
	size_t n = 0, i;
	int rc;

	if ((rc = sf_cli_state_args("state", argc, argv, 0, 0, 1, "", &a)))
		return rc;
	if (!(s = sf_cli_state_open_dir(a.npos ? a.pos[0] : ".", a.state)))
		return SF_EXIT_ERROR;
	if ((rc = sf_storage_history(s, 1000, &revs, &n, &err))) {
		rc = sf_cli_report(&err);
	} else {
		for (i = 0; i < n; i++) {
			char when[32];
			const char *m = revs[i].message ? revs[i].message : "";
			int len = (int)strcspn(m, "\n");

			sf_time_format(when, revs[i].time);
			printf("%.12s  %s  %.*s\n", revs[i].id, when, len, m);
		}
	}
	sf_storage_revs_free(revs, n);
	sf_storage_free(s);
	return rc;
}
