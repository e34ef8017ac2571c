/* sandform state list: the managed interpreters, with id and status. */
#include "cli/cli.h"
#include "cli/statecmd.h"

int
cmd_state_list(int argc, char **argv)
{
	struct sf_state_args a;
	struct sf_storage *s;
	struct sf_storage_ver ver;
	struct sf_recorded r;
	struct sf_err err;
	size_t i, wname = 0, wid = 0;
	int rc;

	if ((rc = sf_cli_state_args("state", argc, argv, 0, 0, 1, "", &a)))
		return rc;
	if (!(s = sf_cli_state_open_dir(a.npos ? a.pos[0] : ".", a.state)))
		return SF_EXIT_ERROR;
	rc = sf_state_load(s, &r, &ver, &err);
	if (rc == SF_ENOTFOUND) {
		fprintf(stderr,
		    "sandform: no state in %s yet: nothing is "
		    "managed\n",
		    s->where);
		rc = SF_EXIT_OK;
	} else if (rc) {
		rc = sf_cli_report(&err);
	} else {
		for (i = 0; i < r.ninterpreters; i++) {
			const struct sf_rec_interpreter *in =
			    &r.interpreters[i];
			size_t n = strlen(in->name),
			       m = strlen(in->id ? in->id : "-");

			wname = n > wname ? n : wname;
			wid = m > wid ? m : wid;
		}
		for (i = 0; i < r.ninterpreters; i++) {
			const struct sf_rec_interpreter *in =
			    &r.interpreters[i];

			printf("%-*s  %-*s  %s\n", (int)wname, in->name,
			    (int)wid, in->id ? in->id : "-",
			    in->status ? in->status : "-");
		}
	}
	sf_recorded_release(&r);
	sf_storage_free(s);
	return rc;
}
