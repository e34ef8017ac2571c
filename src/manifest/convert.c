/*
 * The YAML trees of a configuration's files -> struct sf_config, checking
 * everything the manifest format and the AgentCore model require. Two
 * passes: variables first (from every file, then --var), then the rest,
 * interpolated.
 */
#include <fnmatch.h>
#include <regex.h>
#include <strings.h>
#include <sys/stat.h>

#include "manifest/check.h"
#include "schedule/tz.h"
#include "util/fs.h"

/*
 * The keys of each kind of mapping, as X-macros: an enum to index the
 * values check_keys finds, and the names it accepts, from one list.
 */
#define TOP_KEYS(X, p) \
	X(p, version)  \
	X(p, provider) \
	X(p, policy)   \
	X(p, pricing) X(p, state) X(p, variables) X(p, interpreters) X(p, jobs)
#define STATE_KEYS(X, p) \
	X(p, backend)    \
	X(p, remote)     \
	X(p, ref) X(p, bucket) X(p, key) X(p, region) X(p, endpoint)
#define PRICING_KEYS(X, p) \
	X(p, vcpu_hour) X(p, gb_hour) X(p, vcpus) X(p, memory_gb)
#define POLICY_KEYS(X, p)       \
	X(p, allowed_networks)  \
	X(p, role_arn_patterns) \
	X(p, max_session_timeout) X(p, required_tags) X(p, max_runs_per_day)
#define PROVIDER_KEYS(X, p) \
	X(p, target) X(p, region) X(p, profile) X(p, endpoint) X(p, rate_limits)
#define INTERPRETER_KEYS(X, p)   \
	X(p, description)        \
	X(p, network)            \
	X(p, vpc)                \
	X(p, execution_role_arn) \
	X(p, certificates) X(p, tags) X(p, prevent_destroy)
#define VPC_KEYS(X, p)  X(p, subnets) X(p, security_groups)
#define RATE_KEYS(X, p) X(p, enabled) X(p, create_delete) X(p, other)
#define JOB_KEYS(X, p)          \
	X(p, description)       \
	X(p, interpreter)       \
	X(p, schedule)          \
	X(p, timezone)          \
	X(p, session_timeout)   \
	X(p, timeout)           \
	X(p, retries)           \
	X(p, starting_deadline) \
	X(p, concurrency) X(p, jitter) X(p, keep) X(p, steps)
#define KEEP_KEYS(X, p) X(p, succeeded) X(p, failed)
#define STEP_KEYS(X, p) \
	X(p, command)   \
	X(p, code)      \
	X(p, files) X(p, fetch) X(p, name) X(p, language) X(p, expect)
#define FILE_KEYS(X, p)   X(p, path) X(p, text) X(p, source)
#define EXPECT_KEYS(X, p) X(p, exit_code) X(p, stdout) X(p, stderr)

#define KEY_ENUM(p, k) p##_##k,
#define KEY_NAME(p, k) #k,
#define DEFINE_KEYS(p, LIST)               \
	enum { LIST(KEY_ENUM, p) p##__N }; \
	static const char *const p##_names[] = { LIST(KEY_NAME, p) }

DEFINE_KEYS(TOP, TOP_KEYS);
DEFINE_KEYS(POL, POLICY_KEYS);
DEFINE_KEYS(PRICE, PRICING_KEYS);
DEFINE_KEYS(STB, STATE_KEYS);
_Static_assert(TOP__N <= 8, "file_tree.top holds the top-level keys");
DEFINE_KEYS(PROV, PROVIDER_KEYS);
DEFINE_KEYS(INT, INTERPRETER_KEYS);
DEFINE_KEYS(VPC, VPC_KEYS);
DEFINE_KEYS(RATE, RATE_KEYS);
DEFINE_KEYS(JOB, JOB_KEYS);
DEFINE_KEYS(KEEP, KEEP_KEYS);
DEFINE_KEYS(STEP, STEP_KEYS);
DEFINE_KEYS(FILE, FILE_KEYS);
DEFINE_KEYS(EXP, EXPECT_KEYS);

static const char *const networks[] = { "SANDBOX", "PUBLIC", "VPC" };
static const char *const languages[] = { "python", "javascript", "typescript" };
static const char *const targets[] = { "local", "aws" };
static const char *const concurrencies[] = { "forbid", "allow" };

#define KEYS(p)   p##_names, p##__N
#define VALUES(a) (a), SF_ARRAY_LEN(a)

struct gvar {
	struct sf_variable v;
	const struct node *node; /* the value, interpolated in pass 2 */
};

/* Entries gathered from every file before they are sorted and checked. */
struct gathered {
	struct sf_interpreter *interps;
	size_t ninterps, ainterps;
	struct sf_job *jobs;
	size_t njobs, ajobs;
	struct gvar *vars;
	size_t nvars, avars;
	bool version_seen;
	struct sf_pos provider_pos;
	bool provider_seen;
	struct sf_pos policy_pos;
	bool policy_seen;
};

/* The position of the key whose value is v in map n. */
static const struct sf_pos *
key_pos(const struct node *n, const struct node *v)
{
	size_t i;

	for (i = 0; i < n->n; i++)
		if (n->pairs[i].value == v)
			return &n->pairs[i].key->pos;
	return &v->pos;
}

/* "key:" with nothing after it: an empty section. */
static bool
is_null(const struct node *n)
{
	return n->kind == NODE_SCALAR && n->style == STYLE_PLAIN &&
	       (!*n->value || !strcmp(n->value, "~") ||
	           !strcmp(n->value, "null"));
}

/* ---- provider ---- */

static void
convert_provider(struct cv *cv, struct node *n, struct gathered *g)
{
	struct node *k[PROV__N];
	struct sf_provider_config *p = &cv->c->provider;
	struct node *v;
	int t;

	if (g->provider_seen) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos,
		    "keep provider: in one file of the configuration",
		    "provider is already set in %s at line %u",
		    g->provider_pos.file, g->provider_pos.line);
		return;
	}
	g->provider_seen = true;
	g->provider_pos = n->pos;
	if (!expect_map(cv, n, "provider"))
		return;
	check_keys(cv, n, "provider", KEYS(PROV), k);
	p->set = true;
	p->pos = n->pos;
	if ((v = k[PROV_target]) &&
	    read_enum(cv, v, "provider.target", VALUES(targets), &t, NULL))
		p->target = (enum sf_target)t;
	if ((v = k[PROV_region]) &&
	    read_str(cv, v, "provider.region", true, false, &p->region) &&
	    !sf_pattern_match(PAT_REGION, p->region.s)) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos, NULL,
		    "provider.region \"%s\" is not %s", p->region.s,
		    sf_pattern_describe(PAT_REGION));
	}
	if ((v = k[PROV_profile]))
		read_str(cv, v, "provider.profile", true, false, &p->profile);
	if ((v = k[PROV_endpoint]) &&
	    read_str(cv, v, "provider.endpoint", true, false, &p->endpoint)) {
		const char *e = p->endpoint.s, *host;

		host = sf_str_has_prefix(e, "https://")  ? e + 8
		       : sf_str_has_prefix(e, "http://") ? e + 7
		                                         : NULL;
		if (!host || !*host || *host == '/' || strchr(e, ' '))
			sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos, NULL,
			    "provider.endpoint must be an http:// or https:// "
			    "URL with a host, not \"%s\"",
			    e);
	}
	p->rate_limits = p->target == SF_TARGET_AWS;
	if ((v = k[PROV_rate_limits]) &&
	    expect_map(cv, v, "provider.rate_limits")) {
		struct node *r[RATE__N], *w;

		check_keys(cv, v, "provider.rate_limits", KEYS(RATE), r);
		if ((w = r[RATE_enabled]) &&
		    read_bool(
		        cv, w, "provider.rate_limits.enabled", &p->rate_limits))
			p->rate_limits_set = true;
		if ((w = r[RATE_create_delete]))
			read_int(cv, w, "provider.rate_limits.create_delete", 1,
			    1000, &p->rate_create_delete);
		if ((w = r[RATE_other]))
			read_int(cv, w, "provider.rate_limits.other", 1, 1000,
			    &p->rate_other);
	}
}

/* ---- policy ---- */

static void
convert_policy(struct cv *cv, struct node *n, struct gathered *g)
{
	struct sf_policy *pol = &cv->c->policy;
	struct node *k[POL__N], *v;
	struct sf_lstrs nets;
	size_t i;
	int e;

	if (g->policy_seen) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos,
		    "keep policy: in one file of the configuration",
		    "policy is already set in %s at line %u",
		    g->policy_pos.file, g->policy_pos.line);
		return;
	}
	g->policy_seen = true;
	g->policy_pos = n->pos;
	if (!expect_map(cv, n, "policy"))
		return;
	cv->literal = true;
	check_keys(cv, n, "policy", KEYS(POL), k);
	pol->set = true;
	pol->pos = n->pos;
	if ((v = k[POL_allowed_networks]) &&
	    read_str_list(
	        cv, v, "policy.allowed_networks", 1, 3, -1, true, &nets)) {
		pol->networks_set = true;
		pol->networks_pos = v->pos;
		for (i = 0; i < nets.n; i++) {
			for (e = 0; e < 3; e++)
				if (!strcmp(nets.v[i].s,
				        sf_network_name((enum sf_network)e)))
					break;
			if (e == 3)
				sf_diag_add(cv->d, SF_SEV_ERROR, &nets.v[i].pos,
				    NULL,
				    "policy.allowed_networks: \"%s\" is not a "
				    "network; use SANDBOX, PUBLIC or VPC",
				    nets.v[i].s);
			else
				pol->allowed_networks[e] = true;
		}
	}
	if ((v = k[POL_role_arn_patterns]))
		read_str_list(cv, v, "policy.role_arn_patterns", 1, 100, -1,
		    true, &pol->role_patterns);
	if ((v = k[POL_max_session_timeout]))
		read_duration(cv, v, "policy.max_session_timeout",
		    SF_SESSION_TIMEOUT_MIN, SF_SESSION_TIMEOUT_MAX,
		    &pol->max_session_timeout);
	if ((v = k[POL_required_tags]))
		read_str_list(cv, v, "policy.required_tags", 1, SF_TAGS_MAX, -1,
		    true, &pol->required_tags);
	if ((v = k[POL_max_runs_per_day]))
		read_int(cv, v, "policy.max_runs_per_day", 1, 1440 * 60,
		    &pol->max_runs_per_day);
	cv->literal = false;
}

/* A positive number: a plain int or float scalar, or interpolated. */
static bool
read_number(struct cv *cv, const struct node *n, const char *path, double max,
    double *out)
{
	struct sf_lstr s;
	char *end;
	double v;

	if (n->kind != NODE_SCALAR) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "%s must be a number", path);
		return false;
	}
	if (!read_str(cv, n, path, true, true, &s))
		return false;
	v = strtod(s.s, &end);
	if (!*s.s || *end || !(v > 0) || v > max) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "%s must be a number above 0 and at most %g, not \"%s\"",
		    path, max, s.s);
		return false;
	}
	*out = v;
	return true;
}

static void
convert_pricing(struct cv *cv, struct node *n)
{
	struct sf_pricing *pr = &cv->c->pricing;
	struct node *k[PRICE__N], *v;

	if (!expect_map(cv, n, "pricing"))
		return;
	check_keys(cv, n, "pricing", KEYS(PRICE), k);
	pr->pos = n->pos;
	if ((v = k[PRICE_vcpu_hour]))
		read_number(cv, v, "pricing.vcpu_hour", 1000, &pr->vcpu_hour);
	if ((v = k[PRICE_gb_hour]))
		read_number(cv, v, "pricing.gb_hour", 1000, &pr->gb_hour);
	if ((v = k[PRICE_vcpus]))
		read_number(cv, v, "pricing.vcpus", 1024, &pr->vcpus);
	if ((v = k[PRICE_memory_gb]))
		read_number(cv, v, "pricing.memory_gb", 65536, &pr->memory_gb);
}

static const char *const backends[] = { "local", "git", "s3" };

static void
convert_state(struct cv *cv, struct node *n)
{
	struct sf_state_config *st = &cv->c->state;
	struct node *k[STB__N], *v;
	int e;

	if (st->set) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos,
		    "keep state: in one file of the configuration",
		    "state is already set in %s at line %u", st->pos.file,
		    st->pos.line);
		return;
	}
	if (!expect_map(cv, n, "state"))
		return;
	check_keys(cv, n, "state", KEYS(STB), k);
	st->set = true;
	st->pos = n->pos;
	if ((v = k[STB_backend]) &&
	    read_enum(cv, v, "state.backend", VALUES(backends), &e, NULL))
		st->backend = (enum sf_state_backend)e;
#define STR(name)                \
	if ((v = k[STB_##name])) \
	read_str(cv, v, "state." #name, true, false, &st->name)
	STR(remote);
	STR(ref);
	STR(bucket);
	STR(key);
	STR(region);
	STR(endpoint);
#undef STR
	if (st->ref.s && strncmp(st->ref.s, "refs/", 5))
		sf_diag_add(cv->d, SF_SEV_ERROR, &st->ref.pos, NULL,
		    "state.ref must be a full ref name such as "
		    "refs/sandform/state, not \"%s\"",
		    st->ref.s);
	if (st->backend == SF_STATE_S3 && !st->bucket.s)
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "state.backend s3 needs a bucket");
	if (st->backend != SF_STATE_S3 &&
	    (st->bucket.s || st->key.s || st->endpoint.s || st->region.s))
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "state: bucket, key, region and endpoint are for backend "
		    "s3");
	if (st->backend != SF_STATE_GIT && (st->remote.s || st->ref.s))
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "state: remote and ref are for backend git");
}

/* The most fire times in any 24 hours of a reference week. */
static int64_t
runs_per_day(const struct sf_job *j)
{
	/* Monday 2026-01-05 00:00 UTC: any week would do, one is fixed so
	 * that validate says the same thing every day. */
	const int64_t ref = 1767571200;
	const struct sf_tz *tz = NULL;
	int64_t t = ref, next, best = 0, counts[8] = { 0 };
	int guard = 0;

	if (j->schedule.kind == SF_SCHED_RATE)
		return j->schedule.interval > 0 ? 86400 / j->schedule.interval
		                                : 0;
	if (sf_tz_load(j->timezone.s, &tz, NULL))
		tz = NULL;
	while (guard++ < 7 * 1440 + 1 &&
	       sf_schedule_next(&j->schedule, tz, t, &next) == SF_OK &&
	       next < ref + 7 * 86400) {
		counts[(next - ref) / 86400]++;
		t = next;
	}
	for (t = 0; t < 7; t++)
		if (counts[t] > best)
			best = counts[t];
	return best;
}

static void
check_policy(struct cv *cv)
{
	const struct sf_policy *pol = &cv->c->policy;
	const struct sf_config *c = cv->c;
	size_t i, k;

	if (!pol->set)
		return;
	for (i = 0; i < c->ninterpreters; i++) {
		const struct sf_interpreter *it = &c->interpreters[i];

		if (pol->networks_set && !pol->allowed_networks[it->network])
			sf_diag_add(cv->d, SF_SEV_ERROR, &it->network_pos,
			    "the policy: block of the configuration says which "
			    "networks interpreters may have",
			    "policy: interpreters.%s may not have network %s "
			    "(policy.allowed_networks at %s:%u:%u)",
			    it->name.s, sf_network_name(it->network),
			    pol->networks_pos.file, pol->networks_pos.line,
			    pol->networks_pos.col);
		if (pol->role_patterns.n && it->execution_role_arn.s) {
			for (k = 0; k < pol->role_patterns.n; k++)
				if (!fnmatch(pol->role_patterns.v[k].s,
				        it->execution_role_arn.s, 0))
					break;
			if (k == pol->role_patterns.n)
				sf_diag_add(cv->d, SF_SEV_ERROR,
				    &it->execution_role_arn.pos, NULL,
				    "policy: "
				    "interpreters.%s.execution_role_arn "
				    "matches none of policy.role_arn_patterns "
				    "(%s:%u:%u)",
				    it->name.s,
				    pol->role_patterns.v[0].pos.file,
				    pol->role_patterns.v[0].pos.line,
				    pol->role_patterns.v[0].pos.col);
		}
		for (k = 0; k < pol->required_tags.n; k++) {
			const char *want = pol->required_tags.v[k].s;
			size_t t;

			for (t = 0; t < it->ntags; t++)
				if (!strcmp(it->tags[t].key.s, want))
					break;
			if (t == it->ntags)
				sf_diag_add(cv->d, SF_SEV_ERROR, &it->name.pos,
				    NULL,
				    "policy: interpreters.%s has no tag \"%s\" "
				    "(policy.required_tags at %s:%u:%u)",
				    it->name.s, want,
				    pol->required_tags.v[k].pos.file,
				    pol->required_tags.v[k].pos.line,
				    pol->required_tags.v[k].pos.col);
		}
	}
	for (i = 0; i < c->njobs; i++) {
		const struct sf_job *j = &c->jobs[i];

		if (pol->max_session_timeout.set &&
		    j->session_timeout.v > pol->max_session_timeout.v)
			sf_diag_add(cv->d, SF_SEV_ERROR,
			    j->session_timeout.set ? &j->session_timeout.pos
			                           : &j->name.pos,
			    NULL,
			    "policy: jobs.%s.session_timeout is %llds, over "
			    "policy.max_session_timeout of %llds (%s:%u:%u)",
			    j->name.s, (long long)j->session_timeout.v,
			    (long long)pol->max_session_timeout.v,
			    pol->max_session_timeout.pos.file,
			    pol->max_session_timeout.pos.line,
			    pol->max_session_timeout.pos.col);
		if (pol->max_runs_per_day.set && j->schedule_text.s) {
			int64_t n = runs_per_day(j);

			if (n > pol->max_runs_per_day.v)
				sf_diag_add(cv->d, SF_SEV_ERROR,
				    &j->schedule_text.pos, NULL,
				    "policy: jobs.%s runs up to %lld times a "
				    "day, over policy.max_runs_per_day of %lld "
				    "(%s:%u:%u)",
				    j->name.s, (long long)n,
				    (long long)pol->max_runs_per_day.v,
				    pol->max_runs_per_day.pos.file,
				    pol->max_runs_per_day.pos.line,
				    pol->max_runs_per_day.pos.col);
		}
	}
}

/* ---- interpreters ---- */

static int
cmp_tag(const void *a, const void *b)
{
	const struct sf_tag *x = a, *y = b;

	return strcmp(x->key.s, y->key.s);
}

static void
convert_tags(
    struct cv *cv, struct node *n, const char *path, struct sf_interpreter *it)
{
	size_t i, distinct;

	if (!expect_map(cv, n, path))
		return;
	check_keys(cv, n, path, NULL, 0, NULL);
	for (i = 0, distinct = 0; i < n->n; i++)
		distinct += !n->pairs[i].skip;
	if (distinct > SF_TAGS_MAX)
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "%s has %zu tags; AgentCore allows at most %d", path,
		    distinct, SF_TAGS_MAX);
	it->tags = sf_arena_alloc(&cv->c->arena, n->n * sizeof(*it->tags));
	for (i = 0; i < n->n; i++) {
		struct node_pair *pr = &n->pairs[i];
		struct sf_tag t;
		const char *k = pr->key->value;
		size_t klen = strlen(k);

		if (pr->skip)
			continue;
		t.key.s = sf_arena_strdup(&cv->c->arena, k);
		t.key.pos = pr->key->pos;
		if (klen < 1 || klen > SF_TAG_KEY_MAX ||
		    !sf_pattern_match(PAT_TAG, k)) {
			sf_diag_add(cv->d, SF_SEV_ERROR, &pr->key->pos, NULL,
			    "tag key \"%s\" must be 1-%d characters of %s", k,
			    SF_TAG_KEY_MAX, sf_pattern_describe(PAT_TAG));
			continue;
		}
		if (!strncasecmp(k, "aws:", 4)) {
			sf_diag_add(cv->d, SF_SEV_ERROR, &pr->key->pos, NULL,
			    "tag key \"%s\" uses the prefix aws:, which AWS "
			    "reserves",
			    k);
			continue;
		}
		{
			char *p = sf_path_join(path, k);
			bool ok =
			    read_str(cv, pr->value, p, true, true, &t.value);

			free(p);
			if (!ok)
				continue;
		}
		if (strlen(t.value.s) > SF_TAG_VALUE_MAX ||
		    !sf_pattern_match(PAT_TAG, t.value.s)) {
			sf_diag_add(cv->d, SF_SEV_ERROR, &pr->value->pos, NULL,
			    "tag value of \"%s\" must be 0-%d characters of %s",
			    k, SF_TAG_VALUE_MAX, sf_pattern_describe(PAT_TAG));
			continue;
		}
		it->tags[it->ntags++] = t;
	}
	if (it->ntags > 1)
		qsort(it->tags, it->ntags, sizeof(*it->tags), cmp_tag);
}

static void
convert_vpc(
    struct cv *cv, struct node *n, const char *path, struct sf_interpreter *it)
{
	struct node *k[VPC__N];
	struct node *v;
	char *p;

	it->has_vpc = true;
	it->vpc_pos = n->pos;
	if (!expect_map(cv, n, path))
		return;
	check_keys(cv, n, path, KEYS(VPC), k);
	p = sf_path_join(path, "subnets");
	if ((v = k[VPC_subnets]))
		read_str_list(cv, v, p, 1, SF_VPC_LIST_MAX, PAT_SUBNET, true,
		    &it->subnets);
	else
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "%s needs subnets: a list of 1 to %d subnet ids", path,
		    SF_VPC_LIST_MAX);
	free(p);
	p = sf_path_join(path, "security_groups");
	if ((v = k[VPC_security_groups]))
		read_str_list(cv, v, p, 1, SF_VPC_LIST_MAX, PAT_SECURITY_GROUP,
		    true, &it->security_groups);
	else
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "%s needs security_groups: a list of 1 to %d security "
		    "group ids",
		    path, SF_VPC_LIST_MAX);
	free(p);
}

static void
convert_interpreter(
    struct cv *cv, struct node_pair *pr, struct sf_interpreter *it)
{
	struct node *k[INT__N];
	struct node *n = pr->value, *v;
	char *path = sf_path_join("interpreters", pr->key->value), *p;
	int e;

	memset(it, 0, sizeof(*it));
	it->name.s = sf_arena_strdup(&cv->c->arena, pr->key->value);
	it->name.pos = pr->key->pos;
	it->pos = pr->key->pos;
	it->network = SF_NET_SANDBOX;
	if (!strcmp(it->name.s, SF_SYSTEM_INTERPRETER))
		sf_diag_add(cv->d, SF_SEV_ERROR, &pr->key->pos,
		    "jobs can use it without declaring it",
		    "%s is AgentCore's built-in interpreter and cannot be "
		    "declared",
		    SF_SYSTEM_INTERPRETER);
	else if (!sf_pattern_match(PAT_INTERPRETER_NAME, it->name.s))
		sf_diag_add(cv->d, SF_SEV_ERROR, &pr->key->pos, NULL,
		    "invalid interpreter name \"%s\": use %s", it->name.s,
		    sf_pattern_describe(PAT_INTERPRETER_NAME));
	if (n->kind == NODE_SCALAR && n->style == STYLE_PLAIN && !*n->value) {
		/* "name:" with nothing under it: all defaults. */
		free(path);
		return;
	}
	if (!expect_map(cv, n, path)) {
		free(path);
		return;
	}
	check_keys(cv, n, path, KEYS(INT), k);

#define SUB(key) (p = sf_path_join(path, key))
	if ((v = k[INT_description])) {
		if (read_str(cv, v, SUB("description"), true, false,
		        &it->description)) {
			size_t len = strlen(it->description.s);

			if (len < 1 || len > SF_DESCRIPTION_MAX)
				sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos, NULL,
				    "%s must be 1 to %d characters long, not "
				    "%zu",
				    p, SF_DESCRIPTION_MAX, len);
		}
		free(p);
	}
	if ((v = k[INT_network])) {
		if (read_enum(cv, v, SUB("network"), VALUES(networks), &e,
		        &it->network_pos))
			it->network = (enum sf_network)e;
		free(p);
	} else {
		it->network_pos = it->pos;
	}
	if ((v = k[INT_vpc])) {
		convert_vpc(cv, v, SUB("vpc"), it);
		free(p);
	}
	if ((v = k[INT_execution_role_arn])) {
		if (read_str(cv, v, SUB("execution_role_arn"), true, false,
		        &it->execution_role_arn) &&
		    (strlen(it->execution_role_arn.s) > SF_ROLE_ARN_MAX ||
		        !sf_pattern_match(
		            PAT_ROLE_ARN, it->execution_role_arn.s)))
			sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos, NULL,
			    "%s \"%s\" is not %s", p, it->execution_role_arn.s,
			    sf_pattern_describe(PAT_ROLE_ARN));
		free(p);
	}
	if ((v = k[INT_certificates])) {
		read_str_list(cv, v, SUB("certificates"), 1,
		    SF_CERTIFICATES_MAX, PAT_SECRET_ARN, true,
		    &it->certificates);
		free(p);
	}
	if ((v = k[INT_tags])) {
		convert_tags(cv, v, SUB("tags"), it);
		free(p);
	}
	if ((v = k[INT_prevent_destroy])) {
		read_bool(cv, v, SUB("prevent_destroy"), &it->prevent_destroy);
		free(p);
	}
#undef SUB

	if (it->network == SF_NET_VPC && !it->has_vpc)
		sf_diag_add(cv->d, SF_SEV_ERROR, &it->network_pos, NULL,
		    "%s: network VPC needs a vpc: block with subnets and "
		    "security_groups",
		    path);
	else if (it->has_vpc && it->network != SF_NET_VPC)
		sf_diag_add(cv->d, SF_SEV_ERROR, &it->vpc_pos, NULL,
		    "%s: vpc: is only for network VPC, and this interpreter's "
		    "network is %s",
		    path, sf_network_name(it->network));
	free(path);
}

/* ---- jobs ---- */

static bool
check_workspace_path(struct cv *cv, const struct sf_lstr *s, const char *path)
{
	const char *p = s->s, *seg;

	if (!*p || *p == '/') {
		sf_diag_add(cv->d, SF_SEV_ERROR, &s->pos, NULL,
		    "%s \"%s\" must be a relative path inside the session's "
		    "workspace",
		    path, p);
		return false;
	}
	for (seg = p; seg; seg = strchr(seg, '/')) {
		if (*seg == '/')
			seg++;
		if (!strncmp(seg, "..", 2) && (seg[2] == '/' || !seg[2])) {
			sf_diag_add(cv->d, SF_SEV_ERROR, &s->pos, NULL,
			    "%s \"%s\" must stay inside the session's "
			    "workspace (no .. segments)",
			    path, p);
			return false;
		}
	}
	return true;
}

static void
convert_files(
    struct cv *cv, struct node *n, const char *path, struct sf_step *st)
{
	size_t i;

	if (!expect_seq(cv, n, path))
		return;
	if (!n->n) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "%s needs at least one file", path);
		return;
	}
	st->files = sf_arena_alloc(&cv->c->arena, n->n * sizeof(*st->files));
	for (i = 0; i < n->n; i++) {
		struct node *f = n->items[i], *v, *k[FILE__N];
		struct sf_file *out = &st->files[st->nfiles];
		char *fp = sf_xasprintf("%s[%zu]", path, i), *p;
		bool ok = true;

		if (!expect_map(cv, f, fp)) {
			free(fp);
			continue;
		}
		check_keys(cv, f, fp, KEYS(FILE), k);
		p = sf_path_join(fp, "path");
		if ((v = k[FILE_path]))
			ok = read_str(cv, v, p, true, false, &out->path) &&
			     check_workspace_path(cv, &out->path, p);
		else {
			sf_diag_add(cv->d, SF_SEV_ERROR, &f->pos, NULL,
			    "%s needs a path", fp);
			ok = false;
		}
		free(p);
		p = sf_path_join(fp, "text");
		if ((v = k[FILE_text]) &&
		    !read_str(cv, v, p, true, true, &out->text))
			ok = false;
		free(p);
		p = sf_path_join(fp, "source");
		if ((v = k[FILE_source]) &&
		    read_str(cv, v, p, true, false, &out->source)) {
			char *full = out->source.s[0] == '/'
			                 ? sf_xstrdup(out->source.s)
			                 : sf_fs_join(cv->dir, out->source.s);
			struct stat sb;

			if (stat(full, &sb) != 0) {
				sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos,
				    "source is read relative to the "
				    "manifest's directory",
				    "%s: no such file \"%s\"", p, full);
				ok = false;
			} else if (!S_ISREG(sb.st_mode)) {
				sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos, NULL,
				    "%s: \"%s\" is a directory, not a file", p,
				    full);
				ok = false;
			}
			free(full);
		}
		free(p);
		/* A text or source that was there but wrong is reported
		 * already; the count is about what was written. */
		if ((k[FILE_text] != NULL) == (k[FILE_source] != NULL)) {
			sf_diag_add(cv->d, SF_SEV_ERROR, &f->pos, NULL,
			    "%s needs exactly one of text or source", fp);
			ok = false;
		}
		if (ok)
			st->nfiles++;
		free(fp);
	}
}

/* FNV-1a, for the set of regular expressions already compiled once. */
static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static bool
check_regex(struct cv *cv, const struct sf_lstr *s, const char *path)
{
	struct regex_seen *e;
	regex_t re;
	uint32_t h = hash_str(s->s);
	int rc;
	char msg[128];

	/* Generated configurations repeat their expectations; compiling each
	 * distinct one once keeps validate fast on thousands of jobs. */
	for (e = cv->regex_seen[h % SF_ARRAY_LEN(cv->regex_seen)]; e;
	     e = e->next)
		if (!strcmp(e->re, s->s))
			return true;
	rc = regcomp(&re, s->s, REG_EXTENDED | REG_NOSUB);
	if (rc == 0) {
		regfree(&re);
		e = sf_arena_alloc(&cv->c->arena, sizeof(*e));
		e->re = s->s;
		e->next = cv->regex_seen[h % SF_ARRAY_LEN(cv->regex_seen)];
		cv->regex_seen[h % SF_ARRAY_LEN(cv->regex_seen)] = e;
		return true;
	}
	regerror(rc, &re, msg, sizeof(msg));
	sf_diag_add(cv->d, SF_SEV_ERROR, &s->pos,
	    "a POSIX extended regular expression is expected",
	    "%s is not a valid regular expression: %s", path, msg);
	return false;
}

static void
convert_expect(
    struct cv *cv, struct node *n, const char *path, struct sf_step *st)
{
	struct node *k[EXP__N];
	struct node *v;
	char *p;

	st->has_expect = true;
	if (!expect_map(cv, n, path))
		return;
	check_keys(cv, n, path, KEYS(EXP), k);
	if ((v = k[EXP_exit_code])) {
		p = sf_path_join(path, "exit_code");
		read_int(cv, v, p, 0, 255, &st->expect.exit_code);
		free(p);
	}
	if ((v = k[EXP_stdout])) {
		p = sf_path_join(path, "stdout");
		if (read_str(cv, v, p, true, false, &st->expect.stdout_re))
			check_regex(cv, &st->expect.stdout_re, p);
		free(p);
	}
	if ((v = k[EXP_stderr])) {
		p = sf_path_join(path, "stderr");
		if (read_str(cv, v, p, true, false, &st->expect.stderr_re))
			check_regex(cv, &st->expect.stderr_re, p);
		free(p);
	}
}

static void
convert_step(
    struct cv *cv, struct node *n, const char *path, struct sf_step *st)
{
	struct node *k[STEP__N];
	/* In the order of enum sf_step_kind. */
	static const int action_keys[] = { STEP_command, STEP_code, STEP_files,
		STEP_fetch };
	struct node *v, *action = NULL;
	const char *first = NULL;
	size_t i;
	char *p;
	int e;

	memset(st, 0, sizeof(*st));
	st->pos = n->pos;
	if (!expect_map(cv, n, path))
		return;
	check_keys(cv, n, path, KEYS(STEP), k);
	for (i = 0; i < SF_ARRAY_LEN(action_keys); i++) {
		if (!(v = k[action_keys[i]]))
			continue;
		if (action) {
			sf_diag_add(cv->d, SF_SEV_ERROR, key_pos(n, v),
			    "split them into two steps",
			    "%s has both %s and %s; a step does exactly one "
			    "thing",
			    path, first, STEP_names[action_keys[i]]);
			continue;
		}
		action = v;
		first = STEP_names[action_keys[i]];
		st->kind = (enum sf_step_kind)i;
	}
	if (!action) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "%s has no action; give one of command, code, files or "
		    "fetch",
		    path);
		return;
	}
	p = sf_path_join(path, first);
	switch (st->kind) {
	case SF_STEP_COMMAND:
	case SF_STEP_CODE:
		if (read_str(cv, action, p, true, false, &st->text) &&
		    !*st->text.s)
			sf_diag_add(cv->d, SF_SEV_ERROR, &action->pos, NULL,
			    "%s is empty", p);
		break;
	case SF_STEP_FILES:
		convert_files(cv, action, p, st);
		break;
	case SF_STEP_FETCH:
		if (read_str_list(cv, action, p, 1, 1000, -1, true, &st->fetch))
			for (i = 0; i < st->fetch.n; i++)
				check_workspace_path(cv, &st->fetch.v[i], p);
		break;
	}
	free(p);
	if ((v = k[STEP_name])) {
		p = sf_path_join(path, "name");
		read_str(cv, v, p, true, true, &st->name);
		free(p);
	}
	if ((v = k[STEP_language])) {
		p = sf_path_join(path, "language");
		if (st->kind != SF_STEP_CODE)
			sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos, NULL,
			    "%s is only for code steps, and this is a %s step",
			    p, first);
		else if (read_enum(cv, v, p, VALUES(languages), &e, NULL))
			st->language = (enum sf_language)e;
		free(p);
	}
	if ((v = k[STEP_expect])) {
		p = sf_path_join(path, "expect");
		if (st->kind == SF_STEP_FILES || st->kind == SF_STEP_FETCH)
			sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos, NULL,
			    "%s is only for command and code steps, and this "
			    "is a %s step",
			    p, first);
		else
			convert_expect(cv, v, p, st);
		free(p);
	}
}

static void
convert_schedule(
    struct cv *cv, struct node *v, const char *path, struct sf_job *j)
{
	struct sf_sched_error se;

	if (!read_str(cv, v, path, true, false, &j->schedule_text))
		return;
	memset(&se, 0, sizeof(se));
	if (sf_schedule_parse(j->schedule_text.s, &j->schedule, &se) != SF_OK) {
		/* A precise column only when the text was not interpolated. */
		struct sf_pos pos =
		    strcmp(v->value, j->schedule_text.s)
		        ? v->pos
		        : sf_node_subpos(v, se.offset, se.length);

		sf_diag_add(cv->d, SF_SEV_ERROR, &pos,
		    "schedules are 5-field cron, cron(...), rate(...), "
		    "every N (m|h|d) or "
		    "@hourly/@daily/@weekly/@monthly/@yearly",
		    "%s: %s", path, se.msg);
		j->schedule_text.s = NULL;
	}
}

static void
convert_job(struct cv *cv, struct node_pair *pr, struct sf_job *j)
{
	struct node *k[JOB__N];
	struct node *n = pr->value, *v;
	char *path = sf_path_join("jobs", pr->key->value), *p;
	int e;
	size_t i;

	memset(j, 0, sizeof(*j));
	j->name.s = sf_arena_strdup(&cv->c->arena, pr->key->value);
	j->name.pos = pr->key->pos;
	j->pos = pr->key->pos;
	j->session_timeout.v = SF_SESSION_TIMEOUT_DEFAULT;
	j->keep_succeeded.v = 3;
	j->keep_failed.v = 1;
	j->timezone.s = "UTC";
	j->timezone.pos = j->pos;
	if (!sf_pattern_match(PAT_JOB_NAME, j->name.s))
		sf_diag_add(cv->d, SF_SEV_ERROR, &pr->key->pos, NULL,
		    "invalid job name \"%s\": use %s", j->name.s,
		    sf_pattern_describe(PAT_JOB_NAME));
	if (!expect_map(cv, n, path)) {
		free(path);
		return;
	}
	check_keys(cv, n, path, KEYS(JOB), k);

#define SUB(key) (p = sf_path_join(path, key))
	if ((v = k[JOB_description])) {
		read_str(
		    cv, v, SUB("description"), true, false, &j->description);
		free(p);
	}
	if ((v = k[JOB_interpreter])) {
		read_str(
		    cv, v, SUB("interpreter"), true, false, &j->interpreter);
		free(p);
	} else {
		sf_diag_add(cv->d, SF_SEV_ERROR, &pr->key->pos, NULL,
		    "%s needs an interpreter: one of the interpreters, or %s",
		    path, SF_SYSTEM_INTERPRETER);
	}
	if ((v = k[JOB_schedule])) {
		convert_schedule(cv, v, SUB("schedule"), j);
		free(p);
	}
	if ((v = k[JOB_timezone])) {
		if (read_str(
		        cv, v, SUB("timezone"), true, false, &j->timezone)) {
			const struct sf_tz *tz;
			struct sf_err err;

			int rc = sf_tz_load(j->timezone.s, &tz, &err);

			if (rc == SF_ENOTFOUND)
				sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos,
				    "time zones are IANA names such as "
				    "America/New_York or UTC",
				    "%s: unknown time zone \"%s\"", p,
				    j->timezone.s);
			else if (rc != SF_OK)
				sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos, NULL,
				    "%s: time zone \"%s\": %s", p,
				    j->timezone.s, err.msg);
		}
		free(p);
	}
	if ((v = k[JOB_session_timeout])) {
		read_duration(cv, v, SUB("session_timeout"),
		    SF_SESSION_TIMEOUT_MIN, SF_SESSION_TIMEOUT_MAX,
		    &j->session_timeout);
		free(p);
	}
	if ((v = k[JOB_timeout])) {
		read_duration(cv, v, SUB("timeout"), 1, 7 * 86400, &j->timeout);
		free(p);
	}
	if ((v = k[JOB_retries])) {
		read_int(cv, v, SUB("retries"), 0, 10, &j->retries);
		free(p);
	}
	if ((v = k[JOB_starting_deadline])) {
		read_duration(cv, v, SUB("starting_deadline"), 1, 366 * 86400,
		    &j->starting_deadline);
		free(p);
	}
	if ((v = k[JOB_jitter])) {
		read_duration(cv, v, SUB("jitter"), 0, 3600, &j->jitter);
		free(p);
	}
	if ((v = k[JOB_concurrency])) {
		if (read_enum(cv, v, SUB("concurrency"), VALUES(concurrencies),
		        &e, NULL))
			j->concurrency = (enum sf_concurrency)e;
		free(p);
	}
	if ((v = k[JOB_keep])) {
		if (expect_map(cv, v, SUB("keep"))) {
			struct node *kk[KEEP__N], *kv;
			char *kp;

			check_keys(cv, v, p, KEYS(KEEP), kk);
			if ((kv = kk[KEEP_succeeded])) {
				kp = sf_path_join(p, "succeeded");
				read_int(
				    cv, kv, kp, 0, 1000, &j->keep_succeeded);
				free(kp);
			}
			if ((kv = kk[KEEP_failed])) {
				kp = sf_path_join(p, "failed");
				read_int(cv, kv, kp, 0, 1000, &j->keep_failed);
				free(kp);
			}
		}
		free(p);
	}
	if ((v = k[JOB_steps])) {
		if (expect_seq(cv, v, SUB("steps"))) {
			if (!v->n)
				sf_diag_add(cv->d, SF_SEV_ERROR, &v->pos, NULL,
				    "%s is empty; a job needs at least "
				    "one step",
				    p);
			j->steps = sf_arena_alloc(
			    &cv->c->arena, v->n * sizeof(*j->steps));
			for (i = 0; i < v->n; i++) {
				char *sp = sf_xasprintf("%s[%zu]", p, i);

				convert_step(cv, v->items[i], sp,
				    &j->steps[j->nsteps++]);
				free(sp);
			}
		}
		free(p);
	} else {
		sf_diag_add(cv->d, SF_SEV_ERROR, &pr->key->pos, NULL,
		    "%s needs steps: a list of at least one step", path);
	}
#undef SUB
	free(path);
}

/* ---- the configuration ---- */

static void
gather_variables(struct cv *cv, struct node *n, struct gathered *g)
{
	size_t i;

	if (!expect_map(cv, n, "variables"))
		return;
	check_keys(cv, n, "variables", NULL, 0, NULL);
	for (i = 0; i < n->n; i++) {
		struct node_pair *pr = &n->pairs[i];
		struct gvar *v;

		if (pr->skip)
			continue;
		if (!sf_pattern_match(PAT_VARIABLE_NAME, pr->key->value)) {
			sf_diag_add(cv->d, SF_SEV_ERROR, &pr->key->pos, NULL,
			    "invalid variable name \"%s\": use %s",
			    pr->key->value,
			    sf_pattern_describe(PAT_VARIABLE_NAME));
			continue;
		}
		if (pr->value->kind != NODE_SCALAR ||
		    (pr->value->style == STYLE_PLAIN && !*pr->value->value)) {
			struct sf_buf got = SF_BUF_INIT;

			describe_node(&got, pr->value);
			sf_diag_add(cv->d, SF_SEV_ERROR, &pr->value->pos, NULL,
			    "variables.%s must be a string, number or "
			    "boolean, not %s",
			    pr->key->value, got.buf);
			sf_buf_release(&got);
			continue;
		}
		SF_ALLOC_GROW(g->vars, g->nvars + 1, g->avars);
		v = &g->vars[g->nvars++];
		memset(v, 0, sizeof(*v));
		v->v.name.s = pr->key->value;
		v->v.name.pos = pr->key->pos;
		v->node = pr->value;
	}
}

static void
check_version(struct cv *cv, struct node *n, struct gathered *g)
{
	struct sf_lint v;

	g->version_seen = true;
	if (n->kind == NODE_SCALAR && n->style == STYLE_PLAIN &&
	    strstr(n->value, "${")) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "version cannot use interpolation");
		return;
	}
	if (!read_int(cv, n, "version", INT32_MIN, INT32_MAX, &v))
		return;
	if (v.v != SF_MANIFEST_VERSION)
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos,
		    "a newer sandform may read it; see docs/manifest.md",
		    "unsupported manifest version %lld; this sandform reads "
		    "version %d",
		    (long long)v.v, SF_MANIFEST_VERSION);
}

struct ordered {
	size_t ix;
	const char *name;
};

static int
cmp_ordered(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->ix < y->ix ? -1 : x->ix > y->ix;
}

/*
 * Sort n elements of size sz (whose name is an sf_lstr at off) by name,
 * reporting names declared more than once and dropping the repeats.
 */
static size_t
sort_unique(struct cv *cv, void *base, size_t n, size_t sz, size_t off,
    const char *what)
{
	struct ordered *o = sf_xmalloc((n ? n : 1) * sizeof(*o));
	char *tmp = sf_xmalloc((n ? n : 1) * sz);
	size_t i, out = 0;

#define NAME(ix) ((const struct sf_lstr *)((char *)base + (ix)*sz + off))
	for (i = 0; i < n; i++) {
		o[i].ix = i;
		o[i].name = NAME(i)->s;
	}
	qsort(o, n, sizeof(*o), cmp_ordered);
	for (i = 0; i < n; i++) {
		if (out && !strcmp(o[i].name, NAME(o[i - 1].ix)->s)) {
			const struct sf_lstr *first = NAME(o[i - 1].ix);
			const struct sf_lstr *dup = NAME(o[i].ix);

			sf_diag_add(cv->d, SF_SEV_ERROR, &dup->pos,
			    "names are unique across all files of a "
			    "configuration",
			    "%s \"%s\" is declared twice; the first is at "
			    "%s:%u:%u",
			    what, dup->s, first->pos.file, first->pos.line,
			    first->pos.col);
			continue;
		}
		memcpy(tmp + out * sz, (char *)base + o[i].ix * sz, sz);
		out++;
	}
#undef NAME
	if (out)
		memcpy(base, tmp, out * sz);
	free(tmp);
	free(o);
	return out;
}

static void
apply_var_overrides(struct cv *cv, const struct sf_manifest_opts *opts,
    struct sf_variable *vars, size_t nvars)
{
	size_t i, k;

	for (i = 0; opts && i < opts->nvars; i++) {
		const char *arg = opts->vars[i], *eq = strchr(arg, '=');
		size_t nlen;

		if (!eq || eq == arg) {
			sf_diag_add(cv->d, SF_SEV_ERROR, NULL, NULL,
			    "--var \"%s\": expected NAME=VALUE", arg);
			continue;
		}
		nlen = (size_t)(eq - arg);
		for (k = 0; k < nvars; k++)
			if (strlen(vars[k].name.s) == nlen &&
			    !memcmp(vars[k].name.s, arg, nlen))
				break;
		if (k == nvars) {
			sf_diag_add(cv->d, SF_SEV_ERROR, NULL,
			    "declare it under variables: first",
			    "--var %.*s: no variable \"%.*s\" is declared in "
			    "the configuration",
			    (int)nlen, arg, (int)nlen, arg);
			continue;
		}
		vars[k].value.s = sf_arena_strdup(&cv->c->arena, eq + 1);
		vars[k].overridden = true;
	}
}

/* Sort the variables, give them their values, then --var on top. */
static void
resolve_variables(
    struct cv *cv, const struct sf_manifest_opts *opts, struct gathered *g)
{
	size_t i, n;
	struct sf_variable *vars;

	n = sort_unique(cv, g->vars, g->nvars, sizeof(*g->vars),
	    offsetof(struct gvar, v.name), "variable");
	vars = sf_xcalloc(n ? n : 1, sizeof(*vars));
	cv->ic.allow_vars = false;
	for (i = 0; i < n; i++) {
		char *p = sf_path_join("variables", g->vars[i].v.name.s);

		vars[i].name.s =
		    sf_arena_strdup(&cv->c->arena, g->vars[i].v.name.s);
		vars[i].name.pos = g->vars[i].v.name.pos;
		if (!read_str(
		        cv, g->vars[i].node, p, true, true, &vars[i].value))
			vars[i].value.s = "";
		free(p);
	}
	apply_var_overrides(cv, opts, vars, n);
	free(g->vars);
	cv->c->variables = vars;
	cv->c->nvariables = n;
	cv->ic.vars = vars;
	cv->ic.nvars = n;
	cv->ic.allow_vars = true;
}

static void
check_references(struct cv *cv)
{
	struct sf_config *c = cv->c;
	size_t i;

	for (i = 0; i < c->njobs; i++) {
		const struct sf_job *j = &c->jobs[i];
		const char *want = j->interpreter.s;

		if (!want || !strcmp(want, SF_SYSTEM_INTERPRETER) ||
		    sf_config_interpreter(c, want))
			continue;
		if (c->ninterpreters && c->ninterpreters <= 1000) {
			const char **names =
			    sf_xmalloc(c->ninterpreters * sizeof(*names));
			const char *near;
			size_t k;

			for (k = 0; k < c->ninterpreters; k++)
				names[k] = c->interpreters[k].name.s;
			near = sf_str_closest(want, names, c->ninterpreters);
			free(names);
			if (near) {
				sf_diag_add(cv->d, SF_SEV_ERROR,
				    &j->interpreter.pos, NULL,
				    "jobs.%s.interpreter \"%s\" is not "
				    "declared; did you mean \"%s\"?",
				    j->name.s, want, near);
				continue;
			}
		}
		sf_diag_add(cv->d, SF_SEV_ERROR, &j->interpreter.pos,
		    "declare it under interpreters:, or use the "
		    "built-in " SF_SYSTEM_INTERPRETER,
		    "jobs.%s.interpreter \"%s\" is not declared", j->name.s,
		    want);
	}
}

int
sf_convert(struct sf_config *c, struct file_tree *files, size_t nfiles,
    const struct sf_manifest_opts *opts, struct sf_diags *diags)
{
	struct cv cv;
	struct gathered g;
	struct node **k;
	bool unparsed = false;
	size_t f, i;
	size_t errors_before = diags->errors;

	memset(&cv, 0, sizeof(cv));
	memset(&g, 0, sizeof(g));
	cv.c = c;
	cv.d = diags;
	/* AgentCore's published prices and a session's size. */
	c->pricing.vcpu_hour = 0.0895;
	c->pricing.gb_hour = 0.00945;
	c->pricing.vcpus = 2;
	c->pricing.memory_gb = 8;
	/* AgentCore's published quotas, for when no provider: says more. */
	c->provider.rate_create_delete.v = 5;
	c->provider.rate_other.v = 30;
	sf_buf_init(&cv.tmp, 256);
	if (opts) {
		cv.ic.getenv = opts->getenv;
		cv.ic.getenv_ud = opts->getenv_ud;
	}

	/* Pass 1: the shape of each file, version and variables. */
	for (f = 0; f < nfiles; f++) {
		struct node *root = files[f].root;
		struct node *v;

		if (files[f].failed)
			unparsed = true;
		if (!root || (root->kind == NODE_SCALAR &&
		                 root->style == STYLE_PLAIN && !*root->value))
			continue; /* an empty file */
		if (root->kind != NODE_MAP) {
			struct sf_buf got = SF_BUF_INIT;

			describe_node(&got, root);
			sf_diag_add(diags, SF_SEV_ERROR, &root->pos,
			    "a manifest is a mapping with version, provider, "
			    "variables, interpreters and jobs",
			    "the top level of a manifest must be a mapping, "
			    "not %s",
			    got.buf);
			sf_buf_release(&got);
			files[f].root = NULL;
			continue;
		}
		check_keys(&cv, root, "the top level", KEYS(TOP), files[f].top);
		k = files[f].top;
		if ((v = k[TOP_version]))
			check_version(&cv, v, &g);
		if ((v = k[TOP_variables]) && !is_null(v))
			gather_variables(&cv, v, &g);
	}
	/* A file that did not parse may well have said version: 1. */
	if (!g.version_seen && nfiles && !unparsed) {
		struct sf_pos pos;

		memset(&pos, 0, sizeof(pos));
		pos.file = files[0].path;
		sf_diag_add(diags, SF_SEV_ERROR, &pos,
		    "the first line of a manifest is usually version: 1",
		    "no file of the configuration sets version: 1");
	}
	resolve_variables(&cv, opts, &g);

	/* Pass 2: provider, interpreters and jobs, interpolated. */
	for (f = 0; f < nfiles; f++) {
		struct node *root = files[f].root, *v;

		if (!root || root->kind != NODE_MAP)
			continue;
		k = files[f].top;
		cv.dir = files[f].dir;
		if ((v = k[TOP_provider]))
			convert_provider(&cv, v, &g);
		if ((v = k[TOP_policy]))
			convert_policy(&cv, v, &g);
		if ((v = k[TOP_pricing]))
			convert_pricing(&cv, v);
		if ((v = k[TOP_state]))
			convert_state(&cv, v);
		if ((v = k[TOP_interpreters]) && !is_null(v) &&
		    expect_map(&cv, v, "interpreters")) {
			check_keys(&cv, v, "interpreters", NULL, 0, NULL);
			for (i = 0; i < v->n; i++) {
				if (v->pairs[i].skip)
					continue;
				SF_ALLOC_GROW(
				    g.interps, g.ninterps + 1, g.ainterps);
				convert_interpreter(&cv, &v->pairs[i],
				    &g.interps[g.ninterps++]);
			}
		}
		if ((v = k[TOP_jobs]) && !is_null(v) &&
		    expect_map(&cv, v, "jobs")) {
			check_keys(&cv, v, "jobs", NULL, 0, NULL);
			for (i = 0; i < v->n; i++) {
				if (v->pairs[i].skip)
					continue;
				SF_ALLOC_GROW(g.jobs, g.njobs + 1, g.ajobs);
				convert_job(
				    &cv, &v->pairs[i], &g.jobs[g.njobs++]);
			}
		}
	}

	c->ninterpreters =
	    sort_unique(&cv, g.interps, g.ninterps, sizeof(*g.interps),
	        offsetof(struct sf_interpreter, name), "interpreter");
	c->interpreters = g.interps;
	c->njobs = sort_unique(&cv, g.jobs, g.njobs, sizeof(*g.jobs),
	    offsetof(struct sf_job, name), "job");
	c->jobs = g.jobs;
	check_references(&cv);
	check_policy(&cv);

	sf_buf_release(&cv.tmp);
	return diags->errors > errors_before ? SF_EINVALID : SF_OK;
}
