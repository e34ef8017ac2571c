/*
 * The typed desired world, as the manifests declare it. Every value keeps
 * the source position it came from so that any later check can point at it.
 * Strings are owned by the configuration's arena; lists are arrays.
 */
#ifndef SF_MODEL_H
#define SF_MODEL_H

#include "schedule/schedule.h"
#include "util/arena.h"
#include "util/diag.h"

#define SF_MANIFEST_VERSION   1
#define SF_SYSTEM_INTERPRETER "aws.codeinterpreter.v1"

/* AgentCore's published limits, from the service model. */
#define SF_NAME_MAX                48
#define SF_DESCRIPTION_MAX         4096
#define SF_ROLE_ARN_MAX            2048
#define SF_TAGS_MAX                50
#define SF_TAG_KEY_MAX             128
#define SF_TAG_VALUE_MAX           256
#define SF_VPC_LIST_MAX            16
#define SF_CERTIFICATES_MAX        200
#define SF_SESSION_TIMEOUT_MIN     1
#define SF_SESSION_TIMEOUT_MAX     28800
#define SF_SESSION_TIMEOUT_DEFAULT 900
#define SF_JOB_NAME_MAX            64

/* A string with where it came from. s is NULL when the key was absent. */
struct sf_lstr {
	const char *s;
	struct sf_pos pos;
};

struct sf_lint {
	int64_t v;
	bool set;
	struct sf_pos pos;
};

struct sf_lstrs {
	struct sf_lstr *v;
	size_t n;
};

enum sf_network { SF_NET_SANDBOX, SF_NET_PUBLIC, SF_NET_VPC };

struct sf_tag {
	struct sf_lstr key, value;
};

struct sf_interpreter {
	struct sf_lstr name;
	struct sf_pos pos; /* the whole entry */
	struct sf_lstr description;
	enum sf_network network;
	struct sf_pos network_pos;
	bool has_vpc;
	struct sf_pos vpc_pos;
	struct sf_lstrs subnets;
	struct sf_lstrs security_groups;
	struct sf_lstr execution_role_arn;
	struct sf_lstrs certificates; /* Secrets Manager secret ARNs */
	struct sf_tag *tags;          /* sorted by key */
	size_t ntags;
	bool prevent_destroy;
};

enum sf_step_kind {
	SF_STEP_COMMAND, /* executeCommand */
	SF_STEP_CODE,    /* executeCode */
	SF_STEP_FILES,   /* writeFiles */
	SF_STEP_FETCH,   /* readFiles into the run record */
};

enum sf_language { SF_LANG_PYTHON, SF_LANG_JAVASCRIPT, SF_LANG_TYPESCRIPT };

struct sf_file {
	struct sf_lstr path;   /* in the session's workspace, relative */
	struct sf_lstr text;   /* inline content, or */
	struct sf_lstr source; /* a local file, relative to the manifest */
};

struct sf_expect {
	struct sf_lint exit_code;
	struct sf_lstr stdout_re; /* POSIX extended regex, searched */
	struct sf_lstr stderr_re;
};

struct sf_step {
	enum sf_step_kind kind;
	struct sf_pos pos;
	struct sf_lstr name; /* optional label */
	struct sf_lstr text; /* command or code */
	enum sf_language language;
	struct sf_file *files; /* files */
	size_t nfiles;
	struct sf_lstrs fetch; /* fetch */
	bool has_expect;
	struct sf_expect expect;
};

enum sf_concurrency { SF_CONC_FORBID, SF_CONC_ALLOW };

struct sf_job {
	struct sf_lstr name;
	struct sf_pos pos;
	struct sf_lstr description;
	struct sf_lstr interpreter;
	struct sf_lstr schedule_text; /* NULL: runs only with `sandform run` */
	struct sf_schedule schedule;
	struct sf_lstr timezone;        /* IANA name; "UTC" when absent */
	struct sf_lint session_timeout; /* seconds */
	struct sf_lint timeout;         /* whole run, seconds; 0 = none */
	struct sf_lint retries;
	struct sf_lint starting_deadline; /* seconds; 0 = none */
	struct sf_lint jitter;            /* seconds; 0 = none */
	enum sf_concurrency concurrency;
	struct sf_lint keep_succeeded, keep_failed;
	struct sf_step *steps;
	size_t nsteps;
};

enum sf_target { SF_TARGET_LOCAL, SF_TARGET_AWS };

struct sf_provider_config {
	bool set;
	struct sf_pos pos;
	enum sf_target target;
	struct sf_lstr region;
	struct sf_lstr profile;
	struct sf_lstr endpoint;
	/* Client-side request rate limits (requests per second). */
	bool rate_limits_set; /* rate_limits.enabled was given */
	bool rate_limits;     /* default: on for aws, off for local */
	struct sf_lint rate_create_delete; /* default 5 */
	struct sf_lint rate_other;         /* default 30 */
};

/*
 * Guards a team puts on its own configuration (policy:). They are never
 * interpolated, so --var cannot lift them.
 */
struct sf_policy {
	bool set;
	struct sf_pos pos;
	bool networks_set;
	bool allowed_networks[3]; /* by enum sf_network */
	struct sf_pos networks_pos;
	struct sf_lstrs role_patterns; /* fnmatch(3) globs */
	struct sf_lint max_session_timeout;
	struct sf_lstrs required_tags;
	struct sf_lint max_runs_per_day;
};

/* Where the state lives (state:): beside the manifests, or shared. */
enum sf_state_backend {
	SF_STATE_LOCAL, /* a directory: DIR/state, or --state */
	SF_STATE_GIT,   /* commits on a ref of a git repository */
	SF_STATE_S3,    /* an object in an S3 bucket */
};

struct sf_state_config {
	bool set;
	struct sf_pos pos;
	enum sf_state_backend backend;
	struct sf_lstr remote;   /* git: a remote name or URL; default origin */
	struct sf_lstr ref;      /* git: default refs/sandform/state */
	struct sf_lstr bucket;   /* s3 */
	struct sf_lstr key;      /* s3: default sandform.state.json */
	struct sf_lstr region;   /* s3: default the provider's */
	struct sf_lstr endpoint; /* s3: an S3-compatible endpoint URL */
};

/* What sessions cost, for the estimates (pricing:). */
struct sf_pricing {
	double vcpu_hour; /* dollars per vCPU-hour; 0.0895 */
	double gb_hour;   /* dollars per GB-hour; 0.00945 */
	double vcpus;     /* a session's vCPUs; 2 */
	double memory_gb; /* a session's memory; 8 */
	struct sf_pos pos;
};

struct sf_variable {
	struct sf_lstr name;
	struct sf_lstr value;
	bool overridden; /* by --var */
};

/* One loaded file, kept so diagnostics can quote it. */
struct sf_source {
	char *path;
	char *data;
	size_t len;
};

struct sf_config {
	struct sf_arena arena;
	char *dir; /* the directory the manifests were read from */
	struct sf_source *sources;
	size_t nsources, sources_alloc;
	struct sf_provider_config provider;
	struct sf_policy policy;
	struct sf_pricing pricing;
	struct sf_state_config state;
	struct sf_variable *variables; /* sorted by name */
	size_t nvariables;
	struct sf_interpreter *interpreters; /* sorted by name */
	size_t ninterpreters;
	struct sf_job *jobs; /* sorted by name */
	size_t njobs;
};

struct sf_config *sf_config_new(void);
void sf_config_free(struct sf_config *c);

const struct sf_interpreter *sf_config_interpreter(
    const struct sf_config *c, const char *name);
const struct sf_job *sf_config_job(const struct sf_config *c, const char *name);

const char *sf_network_name(enum sf_network n);
const char *sf_language_name(enum sf_language l);
const char *sf_step_kind_name(enum sf_step_kind k);
const char *sf_target_name(enum sf_target t);

#endif
