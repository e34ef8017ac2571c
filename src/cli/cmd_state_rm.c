/* sandform state rm NAME: forget an interpreter, under the lock. */
#include "cli/cli.h"
#include "cli/statecmd.h"

int
cmd_state_rm(int argc, char **argv)
{
	struct sf_state_args a;
	struct sf_storage *s;
	struct sf_storage_ver ver;
	struct sf_recorded r;
	struct sf_err err;
	const struct sf_rec_interpreter *in;
	char *id = NULL;
	int rc;

	if ((rc = sf_cli_state_args("state", argc, argv,
	         SF_STATE_ARG_LOCK_TIMEOUT, 1, 2, "the NAME of an interpreter",
	         &a)))
		return rc;
	s = sf_cli_state_open_dir(a.npos > 1 ? a.pos[1] : ".", a.state);
	if (!s)
		return SF_EXIT_ERROR;
	rc = sf_cli_state_lock_load(s, "state rm", a.lock_timeout_ms, &r, &ver);
	if (rc) {
		/* Reported, and the lock released. */
	} else if (!(in = sf_recorded_interpreter(&r, a.pos[0]))) {
		sf_cli_state_unknown(&r, a.pos[0], &err);
		rc = sf_cli_report(&err);
	} else {
		id = in->id ? sf_xstrdup(in->id) : NULL;
		sf_state_forget(&r, a.pos[0]);
		if ((rc = sf_state_save(s, &r, &ver, &err)))
			rc = sf_cli_report(&err);
		else
			printf("Removed %s%s%s%s from the state. The "
			       "interpreter itself was not deleted; sandform "
			       "no longer manages it.\n",
			    a.pos[0], id ? " (" : "", id ? id : "",
			    id ? ")" : "");
	}
	if (s->locked && sf_storage_unlock(s, &err) && !rc)
		rc = sf_cli_report(&err);
	free(id);
	sf_recorded_release(&r);
	sf_storage_free(s);
	return rc;
}
