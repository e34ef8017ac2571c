#include <getopt.h>
#include <jansson.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/plancmd.h"
#include "cli/planout.h"
#include "cli/statecmd.h"
#include "diff/md.h"

int64_t
sf_now_ms(void)
{
	const char *fixed = getenv("SANDFORM_NOW"); /* for tests */
	struct timespec ts;
	int64_t ms;

	if (fixed && sf_time_parse(fixed, &ms) == SF_OK)
		return ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
sf_plan_args_parse(
    const char *cmd, int argc, char **argv, struct sf_plan_args *a)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "detailed-exitcode", no_argument, NULL, 'd' },
		{ "destroy", no_argument, NULL, 'D' },
		{ "target", required_argument, NULL, 't' },
		{ "var", required_argument, NULL, 'v' },
		{ "refresh", required_argument, NULL, 'r' },
		{ "state", required_argument, NULL, 's' },
		{ "lock-timeout", required_argument, NULL, 'l' },
		{ "auto-approve", no_argument, NULL, 'y' },
		{ "parallelism", required_argument, NULL, 'p' },
		{ "no-jobs", no_argument, NULL, 'n' },
		{ "ready-timeout", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	bool is_plan = !strcmp(cmd, "plan");
	int opt;

	memset(a, 0, sizeof(*a));
	a->parallelism = 10;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		const char *bad = NULL;

		switch (opt) {
		case 'o':
			a->out = optarg;
			bad = is_plan ? NULL : "--out";
			break;
		case 'j':
			a->json = true;
			bad = is_plan ? NULL : "--json";
			break;
		case 'f':
			if (!strcmp(optarg, "json"))
				a->json = true;
			else if (!strcmp(optarg, "markdown"))
				a->markdown = true;
			else if (strcmp(optarg, "text"))
				return sf_cli_usage_error(cmd,
				    "--format takes text, json or markdown");
			bad = is_plan ? NULL : "--format";
			break;
		case 'd':
			a->detailed = true;
			bad = is_plan ? NULL : "--detailed-exitcode";
			break;
		case 'D':
			a->destroy = true;
			break;
		case 't':
			SF_ALLOC_GROW(a->targets, a->ntargets + 1, a->atargets);
			a->targets[a->ntargets++] = optarg;
			break;
		case 'v':
			SF_ALLOC_GROW(a->vars, a->nvars + 1, a->avars);
			a->vars[a->nvars++] = optarg;
			break;
		case 'r':
			if (!strcmp(optarg, "false"))
				a->no_refresh = true;
			else if (strcmp(optarg, "true"))
				return sf_cli_usage_error(
				    cmd, "--refresh takes true or false");
			break;
		case 's':
			a->state = optarg;
			break;
		case 'l':
			if (sf_cli_parse_duration(optarg, &a->lock_timeout_ms))
				return sf_cli_usage_error(cmd,
				    "--lock-timeout takes a duration such as "
				    "30s, not \"%s\"",
				    optarg);
			break;
		case 'y':
			a->auto_approve = true;
			bad = is_plan ? "--auto-approve" : NULL;
			break;
		case 'p': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 1 || n > 100)
				return sf_cli_usage_error(
				    cmd, "--parallelism takes 1 to 100");
			a->parallelism = (size_t)n;
			bad = is_plan ? "--parallelism" : NULL;
			break;
		}
		case 'R':
			if (sf_cli_parse_duration(
			        optarg, &a->ready_timeout_ms) ||
			    a->ready_timeout_ms <= 0)
				return sf_cli_usage_error(cmd,
				    "--ready-timeout takes a duration such as "
				    "30m, not \"%s\"",
				    optarg);
			bad = is_plan ? "--ready-timeout" : NULL;
			break;
		case 'n':
			a->no_jobs = true;
			bad = is_plan ? "--no-jobs" : NULL;
			break;
		case ':':
			return sf_cli_usage_error(
			    cmd, "%s needs a value", argv[optind - 1]);
		default:
			return sf_cli_usage_error(
			    cmd, "unknown option \"%s\"", argv[optind - 1]);
		}
		if (bad)
			return sf_cli_usage_error(
			    cmd, "%s is not an option of %s", bad, cmd);
	}
	if (optind < argc)
		a->dir = argv[optind++];
	if (optind < argc)
		return sf_cli_usage_error(
		    cmd, "unexpected argument \"%s\"", argv[optind]);
	if (!a->dir)
		a->dir = ".";
	return SF_EXIT_OK;
}

void
sf_plan_args_release(struct sf_plan_args *a)
{
	free(a->vars);
	free(a->targets);
}

static bool
job_targeted(const struct sf_plan_args *a, const char *name)
{
	size_t i;

	if (!a->ntargets)
		return true;
	for (i = 0; i < a->ntargets; i++)
		if (!strcmp(a->targets[i], name))
			return true;
	return false;
}

int
sf_full_plan_build(struct sf_work *w, const struct sf_plan_args *a, int64_t now,
    struct sf_full_plan *out)
{
	struct sf_plan_opts po;
	struct sf_diags d;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!a->no_refresh && sf_work_refresh(w))
		return SF_EXIT_ERROR;
	memset(&po, 0, sizeof(po));
	po.targets = a->targets;
	po.ntargets = a->ntargets;
	po.destroy = a->destroy;
	sf_diags_init(&d);
	rc = sf_plan_build(w->cfg, &w->rec, &w->live, &po, &out->plan, &d);
	if (rc == SF_OK && w->live.refreshed &&
	    out->plan.counts.destroy + out->plan.counts.replace) {
		/* The sessions a reviewer loses, then the plan again. */
		sf_work_count_sessions(w, &out->plan);
		sf_plan_release(&out->plan);
		sf_diags_release(&d);
		sf_diags_init(&d);
		rc = sf_plan_build(
		    w->cfg, &w->rec, &w->live, &po, &out->plan, &d);
	}
	if (d.n)
		sf_diag_print_text(stderr, &d, w->cfg, sf_cli_color(stderr));
	sf_diags_release(&d);
	if (rc)
		return SF_EXIT_ERROR;
	if (a->destroy)
		return SF_EXIT_OK;
	out->jobs = sf_xcalloc(w->cfg->njobs + 1, sizeof(*out->jobs));
	for (i = 0; i < w->cfg->njobs; i++) {
		const struct sf_job *j = &w->cfg->jobs[i];
		struct sf_job_plan *jp;

		if (!job_targeted(a, j->name.s))
			continue;
		jp = &out->jobs[out->njobs++];
		jp->job = j;
		sf_job_due(j, sf_recorded_job(&w->rec, j->name.s), now,
		    &jp->due, NULL);
		jp->nnext = sf_job_next_times(j, now, jp->next, 3);
		jp->runs_per_month = sf_job_runs_per_month(j, now, 100000);
		out->due += jp->due.verdict == SF_DUE_YES;
	}
	return SF_EXIT_OK;
}

void
sf_full_plan_release(struct sf_full_plan *p)
{
	sf_plan_release(&p->plan);
	free(p->jobs);
	memset(p, 0, sizeof(*p));
}

bool
sf_full_plan_has_changes(const struct sf_full_plan *p)
{
	return sf_plan_has_changes(&p->plan) || p->due > 0;
}

void
sf_full_plan_print(
    FILE *f, const struct sf_work *w, const struct sf_full_plan *p, bool color)
{
	struct sf_rates rates;
	size_t i, k;

	rates.vcpu_hour = w->cfg->pricing.vcpu_hour;
	rates.gb_hour = w->cfg->pricing.gb_hour;
	rates.vcpus = w->cfg->pricing.vcpus;
	rates.memory_gb = w->cfg->pricing.memory_gb;
	sf_plan_print_text(f, &p->plan, color);
	if (!p->njobs)
		return;
	fputs("\nJobs:\n", f);
	for (i = 0; i < p->njobs; i++) {
		const struct sf_job_plan *jp = &p->jobs[i];
		const struct sf_job *j = jp->job;
		const struct sf_rec_job *r =
		    sf_recorded_job((struct sf_recorded *)&w->rec, j->name.s);
		/* The last run's duration when there is one; else the most
		 * a run may take. */
		int64_t last = r && r->last_finished > r->last_started
		                   ? r->last_finished - r->last_started
		                   : 0;
		int64_t budget = last ? last
		                      : (j->timeout.v ? j->timeout.v
		                                      : j->session_timeout.v) *
		                            1000;

		fprintf(f, "  %s %s: %s\n",
		    jp->due.verdict == SF_DUE_YES
		        ? (color ? "\033[32m+\033[0m" : "+")
		        : " ",
		    j->name.s, jp->due.reason);
		if (jp->nnext) {
			fputs("      next:", f);
			for (k = 0; k < jp->nnext; k++) {
				char t[64];

				sf_job_time(t, sizeof(t), j, jp->next[k]);
				fprintf(f, "%s %s", k ? "," : "", t);
			}
			fputc('\n', f);
		}
		if (jp->runs_per_month) {
			double month = (double)jp->runs_per_month *
			               sf_session_cost(&rates, budget);

			fprintf(f,
			    "      %zu runs a month, about $%.*f a month "
			    "(estimate: %.1fs a run, %s, at %g vCPU and %g "
			    "GB)\n",
			    jp->runs_per_month, month < 1 ? 4 : 2, month,
			    (double)budget / 1000.0,
			    last ? "as the last run took" : "its time limit",
			    rates.vcpus, rates.memory_gb);
		}
	}
	fprintf(
	    f, "\n%zu job run%s will start.\n", p->due, p->due == 1 ? "" : "s");
}

char *
sf_full_plan_json(const struct sf_work *w, const struct sf_full_plan *p)
{
	json_t *root = sf_plan_to_json(&p->plan), *runs = json_array();
	size_t i, k;
	char *out;

	for (i = 0; i < p->njobs; i++) {
		const struct sf_job_plan *jp = &p->jobs[i];
		json_t *next = json_array();
		char t[32];

		for (k = 0; k < jp->nnext; k++) {
			sf_time_format(t, jp->next[k]);
			json_array_append_new(next, json_string(t));
		}
		json_array_append_new(runs,
		    json_pack("{s:s, s:b, s:s, s:o, s:I}", "job",
		        jp->job->name.s, "due", jp->due.verdict == SF_DUE_YES,
		        "reason", jp->due.reason, "next", next,
		        "runs_per_month", (json_int_t)jp->runs_per_month));
	}
	json_object_set_new(root, "job_runs", runs);
	json_object_set_new(root, "target",
	    json_string(w->target ? w->target : "not refreshed"));
	out = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	if (!out)
		sf_die("out of memory writing JSON");
	return out;
}

static const char *
action_word(enum sf_plan_action a)
{
	switch (a) {
	case SF_PLAN_CREATE:
		return "+ create";
	case SF_PLAN_DELETE:
		return "- destroy";
	case SF_PLAN_REPLACE:
		return "-/+ replace";
	case SF_PLAN_UPDATE:
		return "~ update in place";
	case SF_PLAN_FORGET:
		return ". forget";
	case SF_PLAN_NOOP:
		break;
	}
	return "state only";
}

/* A change that opens an interpreter to the internet. */
static bool
widens(const struct sf_plan_change *c)
{
	size_t i;

	for (i = 0; i < c->nattrs; i++)
		if (!strcmp(c->attrs[i].name, "network") && c->attrs[i].after &&
		    !strcmp(c->attrs[i].after, "\"PUBLIC\""))
			return true;
	return false;
}

char *
sf_full_plan_markdown(const struct sf_work *w, const struct sf_full_plan *p)
{
	const struct sf_plan *plan = &p->plan;
	struct sf_md_doc doc;
	struct sf_buf out = SF_BUF_INIT;
	size_t i, k, red = 0, widened = 0;

	sf_md_init(&doc);
	sf_buf_adds(&doc.head, "### sandform plan\n\nTarget: ");
	sf_md_text(&doc.head, w->target ? w->target : "not refreshed");
	for (i = 0; i < plan->nchanges; i++)
		widened += widens(&plan->changes[i]);
	if (plan->counts.destroy || plan->counts.replace || widened) {
		sf_buf_adds(&doc.head, "\n\n> [!WARNING]\n> ");
		if (plan->counts.destroy || plan->counts.replace)
			sf_buf_addf(&doc.head,
			    "This plan destroys %zu and replaces %zu "
			    "interpreter%s; their sessions end. ",
			    plan->counts.destroy, plan->counts.replace,
			    plan->counts.destroy + plan->counts.replace == 1
			        ? ""
			        : "s");
		if (widened)
			sf_buf_addf(&doc.head,
			    "%zu interpreter%s will have network PUBLIC "
			    "(the internet).",
			    widened, widened == 1 ? "" : "s");
	}
	sf_buf_addf(&doc.head,
	    "\n\n| add | change | replace | destroy | job runs |\n"
	    "|---:|---:|---:|---:|---:|\n| %zu | %zu | %zu | %zu | %zu |\n",
	    plan->counts.add, plan->counts.change, plan->counts.replace,
	    plan->counts.destroy, p->due);
	for (i = 0; i < plan->nchanges; i++) {
		const struct sf_plan_change *c = &plan->changes[i];
		struct sf_buf b = SF_BUF_INIT;

		if (c->action == SF_PLAN_NOOP && !c->state_only)
			continue;
		sf_buf_addf(&b,
		    "\n<details><summary><code>%s</code> "
		    "interpreter <b>",
		    action_word(c->action));
		sf_md_text(&b, c->name);
		sf_buf_adds(&b, "</b>");
		if (c->active_sessions > 0 && (c->action == SF_PLAN_DELETE ||
		                                  c->action == SF_PLAN_REPLACE))
			sf_buf_addf(&b, " (%d active session%s)",
			    c->active_sessions,
			    c->active_sessions == 1 ? "" : "s");
		sf_buf_adds(&b, "</summary>\n\n");
		if (c->reason) {
			sf_buf_adds(&b, "Because ");
			sf_md_text(&b, c->reason);
			sf_buf_adds(&b, ".\n\n");
		}
		if (c->nattrs)
			sf_buf_adds(&b, "| attribute | before | after | |\n"
			                "|---|---|---|---|\n");
		for (k = 0; k < c->nattrs; k++) {
			const struct sf_plan_attr *a = &c->attrs[k];

			sf_buf_adds(&b, "| ");
			sf_md_text(&b, a->name);
			sf_buf_adds(&b, " | ");
			if (a->before)
				sf_md_code(&b, a->before, &red);
			sf_buf_adds(&b, " | ");
			if (a->after)
				sf_md_code(&b, a->after, &red);
			sf_buf_addf(&b, " | %s |\n",
			    a->forces_replacement ? "forces replacement" : "");
		}
		sf_buf_adds(&b, "\n</details>\n");
		sf_md_add(&doc, "interpreter", c->name, &b);
		sf_buf_release(&b);
	}
	if (p->njobs) {
		struct sf_buf b = SF_BUF_INIT;

		sf_buf_adds(&b, "\n<details><summary>Jobs</summary>\n\n"
		                "| job | now | next |\n|---|---|---|\n");
		for (i = 0; i < p->njobs; i++) {
			const struct sf_job_plan *jp = &p->jobs[i];
			char t[64] = "";

			if (jp->nnext)
				sf_job_time(t, sizeof(t), jp->job, jp->next[0]);
			sf_buf_adds(&b, "| ");
			sf_md_text(&b, jp->job->name.s);
			sf_buf_adds(&b, " | ");
			sf_md_text(&b, jp->due.reason);
			sf_buf_adds(&b, " | ");
			sf_md_text(&b, t);
			sf_buf_adds(&b, " |\n");
		}
		sf_buf_adds(&b, "\n</details>\n");
		sf_md_add(&doc, "job table", "jobs", &b);
		sf_buf_release(&b);
	}
	if (!sf_full_plan_has_changes(p))
		sf_buf_adds(&doc.foot, "\nNo changes. The interpreters match "
		                       "the configuration.\n");
	if (red)
		sf_buf_addf(&doc.foot,
		    "\n%zu value%s that looked like secrets redacted.\n", red,
		    red == 1 ? "" : "s");
	sf_md_finish(&doc, 0, "run `sandform plan` to see it whole", &out);
	sf_md_release(&doc);
	return sf_buf_detach(&out, NULL);
}

char *
sf_live_fingerprint(const struct sf_work *w)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;

	/* Only what the plan looked at: names it manages or wants. */
	for (i = 0; i < w->live.ninterpreters; i++) {
		const struct sf_live_interpreter *x = &w->live.interpreters[i];
		const char *parts[3] = { x->name, x->id, x->status };
		size_t k;

		if (!sf_config_interpreter(w->cfg, x->name) &&
		    !sf_recorded_interpreter(&w->rec, x->name))
			continue;
		for (k = 0; k < 3; k++) {
			const char *s = parts[k] ? parts[k] : "";

			for (; *s; s++) {
				h ^= (unsigned char)*s;
				h *= UINT64_C(0x100000001b3);
			}
			h ^= 0xff;
			h *= UINT64_C(0x100000001b3);
		}
	}
	return sf_xasprintf("%016llx", (unsigned long long)h);
}
