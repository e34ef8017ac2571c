/* sandform jobs, sandform runs: schedules, due runs and run history. */
#include <getopt.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/plancmd.h"
#include "cli/statecmd.h"

const char sf_jobs_usage[] =
    "Usage: sandform jobs [DIR] [--json] [--state DIR] [--var NAME=VALUE]\n"
    "\n"
    "Every job of the manifests: its schedule and time zone, whether it is\n"
    "due now and why, its next fire times, and its last run.\n";

const char sf_runs_usage[] =
    "Usage: sandform runs JOB [RUN] [DIR] [--json] [--state DIR]\n"
    "\n"
    "The recorded runs of JOB, newest first (outcome, start, duration,\n"
    "cost), or one run with every step's exit code and captured output.\n";

struct args {
	const char *pos[3];
	size_t npos;
	const char *state;
	const char **vars;
	size_t nvars, avars;
	bool json;
};

static int
parse(const char *cmd, int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 's' },
		{ "var", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			a->json = true;
			break;
		case 's':
			a->state = optarg;
			break;
		case 'v':
			SF_ALLOC_GROW(a->vars, a->nvars + 1, a->avars);
			a->vars[a->nvars++] = optarg;
			break;
		case ':':
			return sf_cli_usage_error(
			    cmd, "%s needs a value", argv[optind - 1]);
		default:
			return sf_cli_usage_error(
			    cmd, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	while (optind < argc) {
		if (a->npos == SF_ARRAY_LEN(a->pos))
			return sf_cli_usage_error(
			    cmd, "unexpected argument \"%s\"", argv[optind]);
		a->pos[a->npos++] = argv[optind++];
	}
	return SF_EXIT_OK;
}

int
cmd_jobs(int argc, char **argv)
{
	struct args a;
	struct sf_work w;
	json_t *arr = json_array();
	int64_t now = sf_now_ms();
	size_t i, k;
	int rc = SF_EXIT_ERROR;

	memset(&w, 0, sizeof(w));
	if (parse("jobs", argc, argv, &a) || a.npos > 1)
		goto out;
	if (sf_work_load(
	        &w, "jobs", a.npos ? a.pos[0] : ".", a.vars, a.nvars) ||
	    sf_work_state(&w, a.state, -1))
		goto out;
	for (i = 0; i < w.cfg->njobs; i++) {
		const struct sf_job *j = &w.cfg->jobs[i];
		const struct sf_rec_job *r = sf_recorded_job(&w.rec, j->name.s);
		struct sf_due due;
		int64_t next[3];
		size_t n = sf_job_next_times(j, now, next, 3);
		char t[64];

		sf_job_due(j, r, now, &due, NULL);
		if (a.json) {
			json_t *nx = json_array(), *o;

			for (k = 0; k < n; k++) {
				sf_time_format(t, next[k]);
				json_array_append_new(nx, json_string(t));
			}
			o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:o}",
			    "job", j->name.s, "interpreter", j->interpreter.s,
			    "schedule",
			    j->schedule_text.s ? j->schedule_text.s : "",
			    "timezone", j->timezone.s, "due",
			    due.verdict == SF_DUE_YES, "reason", due.reason,
			    "next", nx);
			if (r && r->last_run)
				json_object_set_new(o, "last_run",
				    json_pack("{s:s, s:s}", "run", r->last_run,
				        "outcome",
				        r->last_outcome ? r->last_outcome
				                        : "unknown"));
			if (r && r->running)
				json_object_set_new(
				    o, "running", json_string(r->running));
			json_array_append_new(arr, o);
			continue;
		}
		printf("%s\n", j->name.s);
		printf("  interpreter  %s\n", j->interpreter.s);
		printf("  schedule     %s%s%s\n",
		    j->schedule_text.s ? j->schedule_text.s : "none (by hand)",
		    j->schedule_text.s ? " in " : "",
		    j->schedule_text.s ? j->timezone.s : "");
		printf("  now          %s\n", due.reason);
		if (n) {
			printf("  next        ");
			for (k = 0; k < n; k++) {
				sf_job_time(t, sizeof(t), j, next[k]);
				printf("%s %s", k ? "," : "", t);
			}
			putchar('\n');
		}
		if (r && r->last_run)
			printf("  last run     %s %s (%lld succeeded, %lld "
			       "failed in all)\n",
			    r->last_run,
			    r->last_outcome ? r->last_outcome : "unknown",
			    (long long)r->runs_succeeded,
			    (long long)r->runs_failed);
		if (r && r->running)
			printf("  running      %s\n", r->running);
	}
	if (a.json) {
		char *s = json_dumps(arr, JSON_INDENT(2));

		puts(s);
		free(s);
	} else if (!w.cfg->njobs) {
		puts("No jobs in the manifests.");
	}
	rc = SF_EXIT_OK;
out:
	json_decref(arr);
	sf_work_release(&w);
	free(a.vars);
	return rc;
}

static void
print_run(json_t *r)
{
	json_t *att, *st;
	size_t i, k;

	printf("run %s of %s: %s\n",
	    json_string_value(json_object_get(r, "run")),
	    json_string_value(json_object_get(r, "job")),
	    json_string_value(json_object_get(r, "outcome")));
	printf("  started   %s\n",
	    json_string_value(json_object_get(r, "started")));
	printf("  duration  %.1fs\n",
	    (double)json_integer_value(json_object_get(r, "duration_ms")) /
	        1000.0);
	printf("  cost      about $%.5f (%s)\n",
	    json_real_value(
	        json_object_get(json_object_get(r, "cost"), "estimate_usd")),
	    json_string_value(
	        json_object_get(json_object_get(r, "cost"), "assumptions")));
	json_array_foreach(json_object_get(r, "attempts"), i, att)
	{
		printf("  attempt %lld in session %s: %s\n",
		    (long long)json_integer_value(
		        json_object_get(att, "attempt")),
		    json_string_value(json_object_get(att, "session_id"))
		        ? json_string_value(json_object_get(att, "session_id"))
		        : "(none)",
		    json_string_value(json_object_get(att, "outcome"))
		        ? json_string_value(json_object_get(att, "outcome"))
		        : json_string_value(json_object_get(att, "error")));
		json_array_foreach(json_object_get(att, "steps"), k, st)
		{
			const char *out =
			    json_string_value(json_object_get(st, "stdout"));
			const char *err =
			    json_string_value(json_object_get(st, "stderr"));

			printf("    step %s: %s",
			    json_string_value(json_object_get(st, "label")),
			    json_is_true(json_object_get(st, "ok")) ? "ok"
			                                            : "failed");
			if (json_object_get(st, "exit_code"))
				printf(", exit code %lld",
				    (long long)json_integer_value(
				        json_object_get(st, "exit_code")));
			if (json_object_get(st, "error"))
				printf(
				    " (%s)", json_string_value(
				                 json_object_get(st, "error")));
			putchar('\n');
			if (out && *out)
				printf("      stdout: %s%s", out,
				    out[strlen(out) - 1] == '\n' ? "" : "\n");
			if (err && *err)
				printf("      stderr: %s%s", err,
				    err[strlen(err) - 1] == '\n' ? "" : "\n");
		}
	}
}

int
cmd_runs(int argc, char **argv)
{
	struct args a;
	struct sf_storage *s = NULL;
	struct sf_err err;
	char **runs = NULL;
	size_t n = 0, i;
	const char *job, *run = NULL, *dir = ".";
	json_t *list = json_array();
	int rc = SF_EXIT_ERROR;

	if (parse("runs", argc, argv, &a))
		goto out;
	if (!a.npos) {
		sf_cli_usage_error("runs", "which job? sandform runs JOB");
		goto out;
	}
	job = a.pos[0];
	/* JOB [RUN] [DIR]: a last argument that is a directory is DIR. */
	if (a.npos == 3) {
		run = a.pos[1];
		dir = a.pos[2];
	} else if (a.npos == 2) {
		if (sf_storage_run_id_ok(a.pos[1]) && strchr(a.pos[1], 'T'))
			run = a.pos[1];
		else
			dir = a.pos[1];
	}
	if (!(s = sf_cli_state_open_dir(dir, a.state))) {
		rc = SF_EXIT_ERROR;
		goto out;
	}
	if (run) {
		struct sf_buf b = SF_BUF_INIT;
		json_t *r;

		if (sf_storage_get_run(s, job, run, &b, &err)) {
			sf_cli_report(&err);
			sf_buf_release(&b);
			goto out;
		}
		if (a.json) {
			fputs(b.buf, stdout);
		} else if ((r = json_loadb(b.buf, b.len, 0, NULL))) {
			print_run(r);
			json_decref(r);
		}
		sf_buf_release(&b);
		rc = SF_EXIT_OK;
		goto out;
	}
	if (sf_storage_list_runs(s, job, &runs, &n, &err)) {
		sf_cli_report(&err);
		goto out;
	}
	if (!n && !a.json)
		printf("No recorded runs of %s.\n", job);
	for (i = n; i-- > 0;) {
		struct sf_buf b = SF_BUF_INIT;
		json_t *r;

		if (sf_storage_get_run(s, job, runs[i], &b, &err) ||
		    !(r = json_loadb(b.buf, b.len, 0, NULL))) {
			sf_buf_release(&b);
			continue;
		}
		if (a.json) {
			json_array_append_new(list,
			    json_pack("{s:s, s:O, s:O, s:O, s:O}", "run",
			        runs[i], "outcome",
			        json_object_get(r, "outcome"), "started",
			        json_object_get(r, "started"), "duration_ms",
			        json_object_get(r, "duration_ms"), "cost",
			        json_object_get(r, "cost")));
		} else {
			printf("%-28s %-12s %s  %7.1fs  $%.5f\n", runs[i],
			    json_string_value(json_object_get(r, "outcome")),
			    json_string_value(json_object_get(r, "started")),
			    (double)json_integer_value(
			        json_object_get(r, "duration_ms")) /
			        1000.0,
			    json_real_value(json_object_get(
			        json_object_get(r, "cost"), "estimate_usd")));
		}
		json_decref(r);
		sf_buf_release(&b);
	}
	if (a.json) {
		char *t = json_dumps(list, JSON_INDENT(2));

		puts(t);
		free(t);
	}
	rc = SF_EXIT_OK;
out:
	json_decref(list);
	sf_storage_runs_free(runs, n);
	if (s)
		sf_storage_free(s);
	free(a.vars);
	return rc;
}
