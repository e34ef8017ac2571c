#include <getopt.h>

#include "cli/cli.h"
#include "cli/jobrun.h"

const char sf_run_usage[] =
    "Usage: sandform run JOB [DIR] [options]\n"
    "\n"
    "Run JOB now, whatever its schedule, in a session of its interpreter:\n"
    "its steps in order, its output on the terminal as it comes, the\n"
    "session stopped at the end whatever happens. The run is recorded in\n"
    "the state (see `sandform runs JOB`).\n"
    "\n"
    "Options:\n"
    "  --var NAME=VALUE      set a declared variable (repeatable)\n"
    "  --state DIR           the state directory (default: DIR/state)\n"
    "  --lock-timeout D      wait this long for the state lock (default 0)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 when the run succeeded, 1 otherwise.\n";

int
cmd_run(int argc, char **argv)
{
	struct sf_plan_args a;
	struct sf_work w;
	const struct sf_job *job;
	const struct sf_rec_job *rj;
	enum sf_run_outcome outcome = SF_RUN_FAILED;
	struct sf_err err;
	const char *name;
	int rc = SF_EXIT_ERROR;

	memset(&w, 0, sizeof(w));
	if (argc < 2 || argv[1][0] == '-')
		return sf_cli_usage_error("run", "which job? sandform run JOB");
	name = argv[1];
	if (sf_plan_args_parse("run", argc - 1, argv + 1, &a))
		goto out_args;
	if (a.destroy || a.ntargets || a.no_refresh || a.auto_approve ||
	    a.no_jobs) {
		sf_cli_usage_error("run", "run takes --var, --state and "
		                          "--lock-timeout");
		goto out_args;
	}
	sf_work_catch_signals();
	if (sf_work_load(&w, "run", a.dir, a.vars, a.nvars))
		goto out;
	if (!(job = sf_config_job(w.cfg, name))) {
		sf_error(&err, SF_ENOTFOUND, name,
		    "no such job in the manifests of %s", w.dir);
		sf_cli_report(&err);
		goto out;
	}
	if (sf_work_state(&w, a.state, a.lock_timeout_ms) ||
	    sf_work_connect(&w))
		goto out;
	rj = sf_recorded_job(&w.rec, name);
	if (rj && rj->running && job->concurrency == SF_CONC_FORBID) {
		sf_error(&err, SF_ECONFLICT, name,
		    "run %s is recorded as in progress (concurrency: forbid); "
		    "if it is not, `sandform sessions gc` cleans up after it",
		    rj->running);
		sf_cli_report(&err);
		goto out;
	}
	printf("Target: %s\n\n", w.target);
	if (sf_cli_run_job(&w, job, 0, &outcome, &err)) {
		sf_cli_report(&err);
		goto out;
	}
	rc = SF_EXIT_OK;
out:
	sf_work_release(&w);
out_args:
	sf_plan_args_release(&a);
	return rc;
}
