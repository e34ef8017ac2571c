/*
 * sandform init [--migrate-state]: reach the state backend the manifests
 * name, and move a local state (and its run records) into it. The way
 * from a state/ directory to a shared backend, in the manner of
 * `terraform init -migrate-state`.
 */
#include <dirent.h>
#include <getopt.h>

#include "cli/cli.h"
#include "cli/statecmd.h"
#include "util/fs.h"

const char sf_init_usage[] =
    "Usage: sandform init [DIR] [--migrate-state] [--from-state STATEDIR]\n"
    "                     [--lock-timeout DURATION]\n"
    "\n"
    "Check that the state backend the manifests in DIR name (their state:\n"
    "block; without one, the directory DIR/state) can be reached, and say\n"
    "what it holds.\n"
    "\n"
    "With --migrate-state, copy the state and the run records kept in the\n"
    "local directory STATEDIR (default DIR/state) into that backend, under\n"
    "the locks of both. Refused when the backend already holds a state of\n"
    "another lineage or a newer one. The local copy is left in place:\n"
    "remove it once the backend serves you.\n"
    "\n"
    "Options:\n"
    "  --migrate-state           copy the local state into the backend\n"
    "  --from-state STATEDIR     the local state to copy (default DIR/state)\n"
    "  --lock-timeout DURATION   wait this long for a lock another command\n"
    "                            holds (default 0: fail at once)\n"
    "  -h, --help                show this help\n"
    "\n"
    "Exit status: 0 on success, 1 on an error.\n";

/* The job names with run records in a local state directory. */
static void
local_jobs(const char *state_dir, char ***jobs, size_t *n)
{
	char *runs = sf_fs_join(state_dir, "runs");
	DIR *d = opendir(runs);
	struct dirent *de;
	size_t alloc = 0;

	*jobs = NULL;
	*n = 0;
	while (d && (de = readdir(d)))
		if (sf_storage_job_name_ok(de->d_name)) {
			SF_ALLOC_GROW(*jobs, *n + 1, alloc);
			(*jobs)[(*n)++] = sf_xstrdup(de->d_name);
		}
	if (d)
		closedir(d);
	free(runs);
}

/* Copy every run record of src into dst; *copied counts them. */
static int
copy_runs(struct sf_storage *src, const char *src_dir, struct sf_storage *dst,
    size_t *copied, struct sf_err *err)
{
	char **jobs, **runs = NULL;
	size_t njobs, nruns = 0, i, k;
	int rc = 0;

	local_jobs(src_dir, &jobs, &njobs);
	for (i = 0; i < njobs && !rc; i++) {
		if ((rc = sf_storage_list_runs(
		         src, jobs[i], &runs, &nruns, err)))
			break;
		for (k = 0; k < nruns && !rc; k++) {
			struct sf_buf b = SF_BUF_INIT;

			rc = sf_storage_get_run(src, jobs[i], runs[k], &b, err);
			if (!rc)
				rc = sf_storage_put_run(
				    dst, jobs[i], runs[k], b.buf, b.len, err);
			if (!rc)
				(*copied)++;
			sf_buf_release(&b);
		}
		sf_storage_runs_free(runs, nruns);
		runs = NULL;
		nruns = 0;
	}
	sf_storage_runs_free(jobs, njobs);
	return rc;
}

static int
migrate(struct sf_storage *dst, const char *from, int64_t timeout_ms)
{
	struct sf_storage *src = sf_cli_state_open(from);
	struct sf_recorded in, cur;
	struct sf_storage_ver sver, dver;
	struct sf_err err;
	size_t copied = 0;
	int rc;

	sf_recorded_init(&cur);
	if (!strcmp(dst->ops->name, "local")) {
		fprintf(stderr,
		    "sandform: error: the manifests keep the state in a local "
		    "directory already: there is no backend to migrate to "
		    "(add a state: block first)\n");
		sf_storage_free(src);
		return SF_EXIT_ERROR;
	}
	if ((rc = sf_cli_state_lock_load(
	         src, "init --migrate-state", timeout_ms, &in, &sver))) {
		sf_storage_free(src);
		return rc;
	}
	if ((rc = sf_cli_state_lock(dst, "init --migrate-state", timeout_ms)))
		goto out;
	rc = sf_state_load(dst, &cur, &dver, &err);
	if (rc == SF_OK) {
		if (strcmp(cur.lineage, in.lineage))
			rc = sf_error(&err, SF_ECONFLICT, dst->where,
			    "holds a state of lineage %s already, and %s is of "
			    "lineage %s: another state altogether; nothing was "
			    "copied",
			    cur.lineage, from, in.lineage);
		else if (cur.serial > in.serial)
			rc = sf_error(&err, SF_ECONFLICT, dst->where,
			    "holds a newer state (serial %llu) than %s (serial "
			    "%llu); nothing was copied",
			    (unsigned long long)cur.serial, from,
			    (unsigned long long)in.serial);
	} else if (rc == SF_ENOTFOUND) {
		rc = SF_OK;
	}
	/* Run records first: a state that names a last run finds it. */
	if (!rc)
		rc = copy_runs(src, from, dst, &copied, &err);
	if (!rc) {
		if (in.serial < cur.serial)
			in.serial = cur.serial;
		rc = sf_state_save(dst, &in, &dver, &err);
	}
	if (rc) {
		rc = sf_cli_report(&err);
		goto out;
	}
	printf("Migrated the state of %s (serial %llu, %zu interpreter%s) and "
	       "%zu run record%s to %s.\nThe local copy is left in place; "
	       "remove it once the new backend serves you.\n",
	    from, (unsigned long long)in.serial, in.ninterpreters,
	    in.ninterpreters == 1 ? "" : "s", copied, copied == 1 ? "" : "s",
	    dst->where);
out:
	if (dst->locked && sf_storage_unlock(dst, &err) && !rc)
		rc = sf_cli_report(&err);
	sf_recorded_release(&in);
	sf_recorded_release(&cur);
	sf_storage_free(src);
	return rc;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "migrate-state", no_argument, NULL, 'm' },
		{ "from-state", required_argument, NULL, 'f' },
		{ "lock-timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = ".", *from_opt = NULL;
	bool do_migrate = false;
	int64_t timeout_ms = 0;
	struct sf_storage *s;
	struct sf_storage_ver ver;
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	char *from;
	int opt, rc;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			do_migrate = true;
			break;
		case 'f':
			from_opt = optarg;
			break;
		case 't':
			if (sf_cli_parse_duration(optarg, &timeout_ms))
				return sf_cli_usage_error("init",
				    "--lock-timeout takes a duration such as "
				    "0, 30s or 2m, not \"%s\"",
				    optarg);
			break;
		case ':':
			return sf_cli_usage_error(
			    "init", "%s needs a value", argv[optind - 1]);
		default:
			return sf_cli_usage_error(
			    "init", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc)
		return sf_cli_usage_error(
		    "init", "unexpected argument \"%s\"", argv[optind]);
	if (from_opt && !do_migrate)
		return sf_cli_usage_error(
		    "init", "--from-state goes with --migrate-state");
	if (!(s = sf_cli_state_open_dir(dir, NULL)))
		return SF_EXIT_ERROR;
	if (do_migrate) {
		from = sf_cli_state_dir(dir, from_opt);
		rc = migrate(s, from, timeout_ms);
		free(from);
		sf_storage_free(s);
		return rc;
	}
	rc = sf_storage_read(s, &b, &ver, &err);
	if (rc == SF_ENOTFOUND) {
		printf("The %s backend at %s is ready; it holds no state "
		       "yet.\n",
		    s->ops->name, s->where);
		rc = SF_EXIT_OK;
	} else if (rc) {
		rc = sf_cli_report(&err);
	} else {
		struct sf_recorded r;

		if (sf_state_from_json(b.buf, b.len, s->where, &r, &err)) {
			rc = sf_cli_report(&err);
		} else {
			printf("The %s backend at %s is ready; it holds a "
			       "state of serial %llu with %zu interpreter%s.\n",
			    s->ops->name, s->where,
			    (unsigned long long)r.serial, r.ninterpreters,
			    r.ninterpreters == 1 ? "" : "s");
		}
		sf_recorded_release(&r);
	}
	sf_buf_release(&b);
	sf_storage_free(s);
	return rc;
}
