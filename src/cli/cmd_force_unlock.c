/* sandform force-unlock ID: remove a lock its holder left behind. */
#include "cli/cli.h"
#include "cli/statecmd.h"

const char sf_force_unlock_usage[] =
    "Usage: sandform force-unlock ID [DIR] [--state STATEDIR]\n"
    "\n"
    "Remove the lock of the state in STATEDIR (default DIR/state, where DIR\n"
    "is the directory of the manifests, by default the current one), if its\n"
    "ID is ID: the one a command that found the state locked printed.\n"
    "\n"
    "A lock is held by every command that writes the state, and released\n"
    "when it ends. A command that was killed leaves it behind; on the same\n"
    "host sandform takes such a lock over by itself once the process is\n"
    "gone, so this is for a lock left by another machine (a CI runner) or\n"
    "a process that still runs but should not hold it. Make sure nothing\n"
    "uses the state: two commands writing it at once may lose changes.\n"
    "\n"
    "Options:\n"
    "  --state STATEDIR   the state directory (default DIR/state)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 when the lock was removed, 1 otherwise (no lock, or\n"
    "one with another ID: nothing is removed then).\n";

int
cmd_force_unlock(int argc, char **argv)
{
	struct sf_state_args a;
	struct sf_storage *s;
	struct sf_lock_info was;
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	int rc;

	if ((rc = sf_cli_state_args("force-unlock", argc, argv, 0, 1, 2,
	         "the ID of the lock", &a)))
		return rc;
	s = sf_cli_state_open_dir(a.npos > 1 ? a.pos[1] : ".", a.state);
	if (!s)
		return SF_EXIT_ERROR;
	rc = sf_storage_force_unlock(s, a.pos[0], &was, &err);
	if (rc) {
		rc = sf_cli_report(&err);
	} else {
		sf_lock_describe(&b, &was);
		printf("Removed the lock %s of %s.\n", was.id, b.buf);
	}
	sf_buf_release(&b);
	sf_storage_free(s);
	return rc;
}
