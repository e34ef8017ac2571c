/*
 * The recorded world (what the state file says sandform made) and the live
 * world (what the control plane says exists), as the planner compares them
 * with the desired world of model.h. Plain data: the state module reads
 * and writes the recorded one as JSON, apply fills the live one through the
 * provider. Strings are heap copies owned by their struct.
 */
#ifndef SF_RECORDED_H
#define SF_RECORDED_H

#include "util/util.h"

#define SF_STATE_VERSION 1

struct sf_rec_tag {
	char *key, *value;
};

/* An interpreter as sandform created it. */
struct sf_rec_interpreter {
	char *name;
	char *id; /* <name>-<10 alphanumerics> */
	char *arn;
	/* The attributes it was created with (all but tags force a
	 * replacement when they change). NULL or 0 when not set. */
	char *description;
	char *network; /* SANDBOX | PUBLIC | VPC */
	char *execution_role_arn;
	char **subnets;
	size_t nsubnets;
	char **security_groups;
	size_t nsecurity_groups;
	char **certificates;
	size_t ncertificates;
	struct sf_rec_tag *tags; /* sorted by key */
	size_t ntags;
	bool prevent_destroy;
	int64_t created_at; /* ms since the epoch */
	/* Bumped by every replacement: part of the create's client token, so
	 * a replacement is never answered with the interpreter it replaces. */
	int64_t generation;
	char *status; /* as last seen: READY, CREATING, ... */
};

/* What the state keeps of a job between runs. */
struct sf_rec_job {
	char *name;
	char *last_run;         /* id of the last run, NULL if none */
	int64_t last_scheduled; /* the fire time it ran for, ms; 0 = manual */
	int64_t last_started, last_finished;
	char *last_outcome; /* succeeded | failed | timed_out | missed */
	char *running;      /* id of a run in progress, NULL if none */
	int64_t runs_succeeded, runs_failed;
};

enum sf_rec_target { SF_REC_LOCAL, SF_REC_AWS };

struct sf_recorded {
	int version;      /* SF_STATE_VERSION */
	uint64_t serial;  /* +1 at every write */
	char lineage[37]; /* a UUID, fixed for the life of the state */
	enum sf_rec_target target;
	char *account; /* aws: the account id, when known */
	char *region;
	char *endpoint; /* local: the URL it was made against */
	struct sf_rec_interpreter *interpreters; /* sorted by name */
	size_t ninterpreters;
	struct sf_rec_job *jobs; /* sorted by name */
	size_t njobs;
	/* provenance of the last write */
	char *manifest_hash; /* sha256 of the manifests */
	char *sandform_version;
	char *git_commit, *git_branch;
	bool git_dirty;
	int64_t updated_at;
};

/* What the control plane reports, for the planner. */
struct sf_live_interpreter {
	char *name, *id, *arn;
	char *status; /* CREATING | CREATE_FAILED | READY | DELETING ... */
	char *failure_reason; /* with CREATE_FAILED */
	int active_sessions;  /* READY sessions right now; -1 unknown */
};

struct sf_live {
	bool refreshed; /* false with --refresh=false: nothing is known */
	struct sf_live_interpreter *interpreters; /* sorted by name */
	size_t ninterpreters;
};

void sf_rec_interpreter_release(struct sf_rec_interpreter *r);
void sf_rec_job_release(struct sf_rec_job *j);
void sf_recorded_init(struct sf_recorded *r);
void sf_recorded_release(struct sf_recorded *r);
/* Sort interpreters and jobs by name (and each interpreter's tags). */
void sf_recorded_sort(struct sf_recorded *r);
const struct sf_rec_interpreter *sf_recorded_interpreter(
    const struct sf_recorded *r, const char *name);
struct sf_rec_job *sf_recorded_job(struct sf_recorded *r, const char *name);

void sf_live_release(struct sf_live *l);
void sf_live_sort(struct sf_live *l);
const struct sf_live_interpreter *sf_live_interpreter(
    const struct sf_live *l, const char *name);

#endif
