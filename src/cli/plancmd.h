/* What plan and apply share: options, building the plan, showing it. */
#ifndef SF_CLI_PLANCMD_H
#define SF_CLI_PLANCMD_H

#include "cli/work.h"
#include "jobs/due.h"

struct sf_plan_args {
	const char *dir;
	const char *state;
	const char *out;       /* plan --out FILE */
	const char *plan_file; /* apply PLANFILE */
	const char **vars;
	size_t nvars, avars;
	const char **targets;
	size_t ntargets, atargets;
	bool json, markdown, detailed, destroy, no_refresh, auto_approve,
	    no_jobs;
	int64_t lock_timeout_ms;
	int64_t ready_timeout_ms; /* apply: wait for READY this long */
	size_t parallelism;
};

/* A job's place in a plan: due or not, and why. */
struct sf_job_plan {
	const struct sf_job *job;
	struct sf_due due;
	int64_t next[3];
	size_t nnext;
	size_t runs_per_month;
};

struct sf_full_plan {
	struct sf_plan plan;
	struct sf_job_plan *jobs;
	size_t njobs;
	size_t due; /* jobs that will run */
};

/* Parse plan/apply/destroy options; SF_EXIT_ERROR on a mistake. */
int sf_plan_args_parse(
    const char *cmd, int argc, char **argv, struct sf_plan_args *a);
void sf_plan_args_release(struct sf_plan_args *a);

/* Refresh (unless --refresh=false), plan, and decide the jobs. */
int sf_full_plan_build(struct sf_work *w, const struct sf_plan_args *a,
    int64_t now, struct sf_full_plan *out);
void sf_full_plan_release(struct sf_full_plan *p);
bool sf_full_plan_has_changes(const struct sf_full_plan *p);

void sf_full_plan_print(
    FILE *f, const struct sf_work *w, const struct sf_full_plan *p, bool color);
/* The JSON plan (schema/plan.schema.json), with job_runs. */
char *sf_full_plan_json(const struct sf_work *w, const struct sf_full_plan *p);

/* The plan as a pull-request comment (GitHub Markdown, under 64 KiB). */
char *sf_full_plan_markdown(
    const struct sf_work *w, const struct sf_full_plan *p);

/* What is left of the live world for a saved plan to be checked against. */
char *sf_live_fingerprint(const struct sf_work *w);

int64_t sf_now_ms(void);

#endif
