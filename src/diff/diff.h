/*
 * The configuration change between two loaded configurations (a pull
 * request's base and head), with the risks a reviewer must see, and its
 * renderings: text for a terminal, Markdown for a PR comment, JSON for
 * machines. Pure: no I/O and no clock (now comes in through the options);
 * everything comes out sorted by kind, then by name.
 *
 * Interpreters follow the planner's rule (src/plan/plan.c): every
 * attribute but tags forces a replacement (description, network,
 * execution_role_arn, vpc.subnets, vpc.security_groups, certificates; the
 * lists compare as sets); tags change in place; prevent_destroy is
 * sandform's own and changes nothing in AgentCore.
 */
#ifndef SF_DIFF_H
#define SF_DIFF_H

#include "jobs/due.h"
#include "model/model.h"

enum sf_diff_kind {
	SF_DIFF_PROVIDER, /* provider:, pricing: and policy: are one each */
	SF_DIFF_PRICING,
	SF_DIFF_POLICY,
	SF_DIFF_INTERPRETER,
	SF_DIFF_JOB,
	SF_DIFF_VARIABLE,
	SF_DIFF_NKINDS
};

enum sf_diff_action {
	SF_DIFF_ADD,
	SF_DIFF_UPDATE,  /* interpreters: in place; jobs, variables: changed */
	SF_DIFF_REPLACE, /* interpreters only */
	SF_DIFF_REMOVE,
};

enum sf_risk {
	SF_RISK_NETWORK,   /* exposure widened: to PUBLIC (or SANDBOX to VPC),
	                      a new PUBLIC interpreter, a job moved to one */
	SF_RISK_ROLE,      /* an execution role added or changed */
	SF_RISK_UNPROTECT, /* prevent_destroy removed */
	SF_RISK_PROTECTED, /* deletes or replaces a prevent_destroy one:
	                      plan and apply will refuse */
	SF_RISK_TIMEOUT,   /* a job's session timeout raised */
	SF_RISK_FREQUENCY, /* a job runs more often */
	SF_RISK_IN_USE,    /* an interpreter replaced while jobs use it */
	SF_RISK_TARGET,    /* the provider now targets AWS */
	SF_RISK_POLICY,    /* a policy guard relaxed or removed */
};

struct sf_diff_note {
	enum sf_risk risk;
	char *msg; /* one line, no trailing period */
};

/* An attribute's values as JSON text ("\"PUBLIC\"", "[...]", "900"). */
struct sf_diff_attr {
	char *name;           /* "network", "tags.team", "schedule" */
	char *before, *after; /* NULL: absent on that side */
	bool forces_replacement;
};

/* One side of a job's schedule and what it costs. */
struct sf_diff_sched {
	bool set;        /* the job exists on this side and has a schedule */
	char *expr;      /* the schedule as written */
	char *tz;        /* "UTC" when the job gives none */
	int64_t next[3]; /* ms */
	char next_text[3][96]; /* "2026-01-05 22:00 America/New_York" */
	size_t nnext;
	size_t runs_per_month; /* in the 30 days after now */
	int64_t run_ms;        /* the assumed length of one run */
	double cost;           /* dollars per month, an upper bound */
};

struct sf_diff_change {
	enum sf_diff_kind kind;
	enum sf_diff_action action;
	char *name;
	struct sf_diff_attr *attrs;
	size_t nattrs;
	struct sf_diff_note *notes;
	size_t nnotes;
	bool sandform_only; /* only prevent_destroy changed */
	/* interpreters replaced: the jobs at head that use it */
	char **jobs;
	size_t njobs;
	/* jobs: the schedule before [0] and after [1] */
	struct sf_diff_sched sched[2];
	bool schedule_changed;
	char *steps_diff; /* unified diff of the steps as text, or NULL */
	size_t nsteps[2];
};

struct sf_diff_counts {
	size_t add, update, replace, remove;
};

struct sf_diff {
	struct sf_diff_change *v;
	size_t n, alloc;
	struct sf_diff_counts counts[SF_DIFF_NKINDS];
	size_t nnotes;
	bool widened; /* any SF_RISK_NETWORK */
	bool relaxed; /* any SF_RISK_POLICY */
};

struct sf_diff_opts {
	int64_t now;           /* ms: for next fire times and runs per month */
	struct sf_rates rates; /* both sides are priced alike (head's) */
};

void sf_diff_build(const struct sf_config *base, const struct sf_config *head,
    const struct sf_diff_opts *opts, struct sf_diff *out);
void sf_diff_release(struct sf_diff *d);
bool sf_diff_has_changes(const struct sf_diff *d);
/* Whether a reviewer must be warned: a delete, a replace, exposure
 * widened or a policy guard relaxed. */
bool sf_diff_is_destructive(const struct sf_diff *d);

/* provider, pricing and policy: one of each, named by their kind. */
bool sf_diff_kind_single(enum sf_diff_kind k);
const char *sf_diff_kind_name(enum sf_diff_kind k);     /* "interpreter" */
const char *sf_diff_action_name(enum sf_diff_action a); /* "replace" */
const char *sf_risk_name(enum sf_risk r);               /* "network_widened" */

/* ---- rendering ---- */

/* A side of the comparison, as the renderers name it. */
struct sf_diff_side {
	const char *ref;    /* "main"; NULL for the working tree */
	const char *commit; /* full sha, or NULL */
	bool dirty;         /* the working tree has uncommitted changes */
	const char *manifest_hash;
};

struct sf_diff_render {
	struct sf_diff_side base, head;
	const char *dir; /* the manifests' directory in the repository */
	const char
	    *command; /* how to see it all: "sandform diff --base main" */
	size_t limit; /* Markdown: bytes at most; 0 = SF_MD_LIMIT */
	bool color;   /* text: ANSI colours */
	const struct sf_rates *rates;
};

/* Each appends to out and returns how many secrets it redacted. */
size_t sf_diff_render_text(const struct sf_diff *d,
    const struct sf_diff_render *r, struct sf_buf *out);
size_t sf_diff_render_markdown(const struct sf_diff *d,
    const struct sf_diff_render *r, struct sf_buf *out);
size_t sf_diff_render_json(const struct sf_diff *d,
    const struct sf_diff_render *r, struct sf_buf *out);

#endif
