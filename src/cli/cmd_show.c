#include <getopt.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/planfile.h"
#include "cli/statecmd.h"

const char sf_show_usage[] =
    "Usage: sandform show [PLANFILE] [--json]\n"
    "       sandform show [DIR] [--state DIR] [--json]\n"
    "\n"
    "With a saved plan (`plan --out`): the plan as it was reviewed, or its\n"
    "JSON (schema/plan.schema.json). Otherwise: what the state records,\n"
    "interpreters and jobs, or the state file's JSON.\n";

static int
show_state(const char *dir, const char *state, bool json)
{
	struct sf_storage *s = sf_cli_state_open_dir(dir, state);
	struct sf_recorded r;
	struct sf_storage_ver ver;
	struct sf_err err;
	size_t i, k;
	int rc;

	if (!s)
		return SF_EXIT_ERROR;
	rc = sf_state_load(s, &r, &ver, &err);
	if (rc && rc != SF_ENOTFOUND) {
		sf_cli_report(&err);
		goto out;
	}
	if (json) {
		struct sf_buf b = SF_BUF_INIT;

		if (!rc && !sf_state_to_json(&r, &b, &err))
			fputs(b.buf, stdout);
		else
			puts("null");
		sf_buf_release(&b);
		rc = SF_OK;
		goto out;
	}
	if (rc == SF_ENOTFOUND) {
		printf("No state in %s yet: nothing has been applied.\n",
		    s->where);
		rc = SF_OK;
		goto out;
	}
	printf("State %s: serial %llu, lineage %s, target %s%s%s\n", s->where,
	    (unsigned long long)r.serial, r.lineage,
	    r.target == SF_REC_AWS ? "aws" : "local", r.region ? " " : "",
	    r.region ? r.region : "");
	if (r.git_commit)
		printf("  last written from commit %s (%s)%s\n", r.git_commit,
		    r.git_branch ? r.git_branch : "detached",
		    r.git_dirty ? ", with uncommitted changes" : "");
	if (r.manifest_hash)
		printf("  manifests %s, by sandform %s\n", r.manifest_hash,
		    r.sandform_version ? r.sandform_version : "?");
	for (i = 0; i < r.ninterpreters; i++) {
		const struct sf_rec_interpreter *x = &r.interpreters[i];

		printf("\ninterpreter %s\n", x->name);
		printf("  id       %s\n", x->id ? x->id : "(not created)");
		printf("  status   %s\n", x->status ? x->status : "unknown");
		printf("  network  %s\n", x->network ? x->network : "SANDBOX");
		if (x->execution_role_arn)
			printf("  role     %s\n", x->execution_role_arn);
		for (k = 0; k < x->ntags; k++)
			printf("  tag      %s = %s\n", x->tags[k].key,
			    x->tags[k].value);
	}
	for (i = 0; i < r.njobs; i++) {
		const struct sf_rec_job *j = &r.jobs[i];

		printf("\njob %s\n", j->name);
		printf("  last run %s %s\n", j->last_run ? j->last_run : "none",
		    j->last_outcome ? j->last_outcome : "");
		printf("  runs     %lld succeeded, %lld failed\n",
		    (long long)j->runs_succeeded, (long long)j->runs_failed);
		if (j->running)
			printf("  running  %s\n", j->running);
	}
	rc = SF_OK;
out:
	sf_recorded_release(&r);
	sf_storage_free(s);
	return rc ? SF_EXIT_ERROR : SF_EXIT_OK;
}

int
cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *what = ".", *state = NULL;
	struct sf_planfile pf;
	struct sf_err err;
	bool json = false;
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 's')
			state = optarg;
		else
			return sf_cli_usage_error(
			    "show", "unknown option \"%s\"", argv[optind - 1]);
	}
	if (optind < argc)
		what = argv[optind++];
	if (optind < argc)
		return sf_cli_usage_error(
		    "show", "unexpected argument \"%s\"", argv[optind]);
	if (!sf_planfile_is(what))
		return show_state(what, state, json);
	if (sf_planfile_read(what, &pf, &err))
		return sf_cli_report(&err);
	if (json) {
		char *s = json_dumps(pf.plan, JSON_INDENT(2) | JSON_SORT_KEYS);

		puts(s ? s : "null");
		free(s);
	} else {
		fputs(pf.plan_text, stdout);
	}
	sf_planfile_release(&pf);
	return SF_EXIT_OK;
}
