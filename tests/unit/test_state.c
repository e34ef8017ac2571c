/*
 * Unit tests of src/state: the state file's JSON (byte-stable, sorted,
 * strict), the local directory backend (atomic writes, backup, CAS), the
 * lock (exclusive, timeout on an injected clock, dead holders, force-unlock)
 * and run records; and that a written state matches schema/state.schema.json,
 * checked here by a small validator of the keywords that schema uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <regex.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state/state.h"
#include "util/fs.h"

/* ---- helpers ---- */

static char *
scratch_dir(void)
{
	char tmpl[] = "/tmp/sf-test-state.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return sf_xstrdup(d);
}

static void
rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((e = readdir(d))) {
			char *p;

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			p = sf_xasprintf("%s/%s", path, e->d_name);
			rm_rf(p);
			free(p);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static char *
slurp(const char *path)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;

	if (sf_fs_read(path, 1 << 26, &b, &err)) {
		sf_buf_release(&b);
		return NULL;
	}
	return sf_buf_detach(&b, NULL);
}

static void
spew(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Names in dir, sorted and joined by spaces (dot files too). */
static char *
listing(const char *dir)
{
	struct sf_buf b = SF_BUF_INIT;
	char *names[64];
	size_t n = 0, i, j;
	struct dirent *e;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)) && n < 64)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = sf_xstrdup(e->d_name);
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *x = names[j];

			names[j] = names[j - 1];
			names[j - 1] = x;
		}
	for (i = 0; i < n; i++) {
		sf_buf_addf(&b, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	return sf_buf_detach(&b, NULL);
}

/* An injected clock and sleep: time moves only when the code sleeps. */
struct fake {
	int64_t now;
	int sleeps;
	int64_t slept;
	uint32_t seed;
	/* After this many sleeps, unlock this storage (a holder finishing). */
	int release_after;
	struct sf_storage *holder;
};

static int64_t
fake_now(void *ud)
{
	return ((struct fake *)ud)->now;
}

static void
fake_sleep(void *ud, int64_t ms)
{
	struct fake *f = ud;

	assert_true(ms > 0);
	f->now += ms;
	f->slept += ms;
	if (++f->sleeps == f->release_after && f->holder)
		assert_int_equal(sf_storage_unlock(f->holder, NULL), 0);
}

static void
fake_random(void *ud, void *buf, size_t n)
{
	struct fake *f = ud;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < n; i++) {
		f->seed = f->seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(f->seed >> 16);
	}
}

static struct sf_state_env
fake_env(struct fake *f)
{
	struct sf_state_env e = { fake_now, fake_sleep, fake_random, f };

	return e;
}

static struct sf_storage *
open_dir(const char *dir, struct fake *f)
{
	struct sf_storage_local_opts o;

	memset(&o, 0, sizeof(o));
	if (f)
		o.env = fake_env(f);
	return sf_storage_local_new(dir, &o);
}

static void
add_interp(struct sf_recorded *r, const char *name, const char *network)
{
	struct sf_rec_interpreter *in;

	r->interpreters =
	    sf_xrealloc(r->interpreters, (r->ninterpreters + 1) * sizeof(*in));
	in = &r->interpreters[r->ninterpreters++];
	memset(in, 0, sizeof(*in));
	in->name = sf_xstrdup(name);
	in->id = sf_xasprintf("%s-a1b2c3d4e5", name);
	in->arn = sf_xasprintf("arn:aws:bedrock-agentcore:us-west-2:"
	                       "123456789012:code-interpreter-custom/%s",
	    in->id);
	in->network = sf_xstrdup(network);
	in->created_at = INT64_C(1764164340000);
	in->generation = 1;
	in->status = sf_xstrdup("READY");
}

static void
add_tag(struct sf_rec_interpreter *in, const char *k, const char *v)
{
	in->tags = sf_xrealloc(in->tags, (in->ntags + 1) * sizeof(*in->tags));
	in->tags[in->ntags].key = sf_xstrdup(k);
	in->tags[in->ntags++].value = sf_xstrdup(v);
}

static void
add_job(struct sf_recorded *r, const char *name, bool ran)
{
	struct sf_rec_job *j;

	r->jobs = sf_xrealloc(r->jobs, (r->njobs + 1) * sizeof(*j));
	j = &r->jobs[r->njobs++];
	memset(j, 0, sizeof(*j));
	j->name = sf_xstrdup(name);
	if (ran) {
		j->last_run = sf_xstrdup("20251126T220000Z-1a2b");
		j->last_scheduled = INT64_C(1764194400000);
		j->last_started = INT64_C(1764194400250);
		j->last_finished = INT64_C(1764194412999);
		j->last_outcome = sf_xstrdup("succeeded");
		j->runs_succeeded = 12;
		j->runs_failed = 1;
	}
}

/* A state with something in every field, its arrays out of order. */
static void
sample(struct sf_recorded *r)
{
	struct sf_rec_interpreter *in;

	sf_recorded_init(r);
	snprintf(r->lineage, sizeof(r->lineage), "%s",
	    "0b7e2f7c-3f5e-4a8e-9d4c-1a2b3c4d5e6f");
	r->serial = 7;
	r->target = SF_REC_AWS;
	r->account = sf_xstrdup("123456789012");
	r->region = sf_xstrdup("us-west-2");
	add_interp(r, "zeta", "SANDBOX");
	add_interp(r, "myTestSandbox1", "VPC");
	in = &r->interpreters[1];
	in->description = sf_xstrdup("Test code sandbox \"quoted\" \xc3\xa9");
	in->execution_role_arn =
	    sf_xstrdup("arn:aws:iam::123456789012:role/sandbox");
	in->subnets = sf_xcalloc(2, sizeof(char *));
	in->subnets[0] = sf_xstrdup("subnet-0def");
	in->subnets[1] = sf_xstrdup("subnet-0abc");
	in->nsubnets = 2;
	in->security_groups = sf_xcalloc(1, sizeof(char *));
	in->security_groups[0] = sf_xstrdup("sg-0abc12345");
	in->nsecurity_groups = 1;
	in->certificates = sf_xcalloc(1, sizeof(char *));
	in->certificates[0] =
	    sf_xstrdup("arn:aws:secretsmanager:us-west-2:1:secret:ca");
	in->ncertificates = 1;
	add_tag(in, "team", "data");
	add_tag(in, "cost-center", "42");
	in->prevent_destroy = true;
	in->created_at = INT64_C(1764164340123);
	in->generation = 3;
	add_interp(r, "alpha", "PUBLIC");
	add_job(r, "nightly-report", false);
	add_job(r, "amzn_close", true);
	r->manifest_hash = sf_xstrdup("sha256:0123456789abcdef");
	r->sandform_version = sf_xstrdup("0.1.0");
	r->git_commit = sf_xstrdup("916cd45aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	r->git_branch = sf_xstrdup("main");
	r->git_dirty = true;
	r->updated_at = INT64_C(1764164400000);
}

static char *
to_json(const struct sf_recorded *r)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;

	if (sf_state_to_json(r, &b, &err))
		fail_msg("sf_state_to_json: %s: %s", err.where, err.msg);
	return sf_buf_detach(&b, NULL);
}

/* ---- times ---- */

static void
test_times(void **state)
{
	static const struct {
		const char *in, *out;
		int64_t ms;
	} good[] = {
		{ "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", 0 },
		{ "2025-11-26T13:39:00Z", "2025-11-26T13:39:00Z",
		    INT64_C(1764164340000) },
		{ "2025-11-26T13:39:00.123Z", "2025-11-26T13:39:00.123Z",
		    INT64_C(1764164340123) },
		{ "2025-11-26T14:39:00.1+01:00", "2025-11-26T13:39:00.100Z",
		    INT64_C(1764164340100) },
		{ "2024-02-29T23:59:59.99999z", "2024-02-29T23:59:59.999Z",
		    INT64_C(1709251199999) },
		{ "9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z",
		    INT64_C(253402300799999) },
	};
	static const char *const bad[] = { "", "2025-11-26",
		"2025-11-26 13:39:00Z", "2025-11-26T13:39:00",
		"2025-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
		"2025-11-26T24:00:00Z", "2025-11-26T13:39:60Z",
		"2025-11-26T13:39:00.Z", "2025-11-26T13:39:00Zjunk",
		"1969-12-31T23:59:59Z", "+025-11-26T13:39:00Z",
		"2025-11-26T13:39:00+1:00" };
	char out[32];
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < SF_ARRAY_LEN(good); i++) {
		assert_int_equal(sf_time_parse(good[i].in, &ms), 0);
		assert_int_equal(ms, good[i].ms);
		sf_time_format(out, ms);
		assert_string_equal(out, good[i].out);
	}
	for (i = 0; i < SF_ARRAY_LEN(bad); i++)
		if (sf_time_parse(bad[i], &ms) != SF_EINVALID)
			fail_msg("accepted \"%s\"", bad[i]);
}

/* ---- JSON ---- */

static const char small_expected[] =
    "{\n"
    "  \"interpreters\": [\n"
    "    {\n"
    "      \"arn\": \"arn:aws:bedrock-agentcore:us-west-2:123456789012:"
    "code-interpreter-custom/box-a1b2c3d4e5\",\n"
    "      \"created_at\": \"2025-11-26T13:39:00Z\",\n"
    "      \"generation\": 1,\n"
    "      \"id\": \"box-a1b2c3d4e5\",\n"
    "      \"name\": \"box\",\n"
    "      \"network\": \"PUBLIC\",\n"
    "      \"prevent_destroy\": false,\n"
    "      \"status\": \"READY\",\n"
    "      \"tags\": {\n"
    "        \"a\": \"1\",\n"
    "        \"b\": \"2\"\n"
    "      }\n"
    "    }\n"
    "  ],\n"
    "  \"jobs\": [\n"
    "    {\n"
    "      \"name\": \"j\",\n"
    "      \"runs_failed\": 0,\n"
    "      \"runs_succeeded\": 0\n"
    "    }\n"
    "  ],\n"
    "  \"lineage\": \"0b7e2f7c-3f5e-4a8e-9d4c-1a2b3c4d5e6f\",\n"
    "  \"provenance\": {\n"
    "    \"updated_at\": \"2025-11-26T13:40:00Z\"\n"
    "  },\n"
    "  \"serial\": 1,\n"
    "  \"target\": {\n"
    "    \"endpoint\": \"http://127.0.0.1:8787\",\n"
    "    \"kind\": \"local\"\n"
    "  },\n"
    "  \"version\": 1\n"
    "}\n";

static void
test_exact_bytes(void **state)
{
	struct sf_recorded r;
	char *s;

	(void)state;
	sf_recorded_init(&r);
	snprintf(r.lineage, sizeof(r.lineage), "%s",
	    "0b7e2f7c-3f5e-4a8e-9d4c-1a2b3c4d5e6f");
	r.serial = 1;
	r.endpoint = sf_xstrdup("http://127.0.0.1:8787");
	add_interp(&r, "box", "PUBLIC");
	add_tag(&r.interpreters[0], "b", "2");
	add_tag(&r.interpreters[0], "a", "1");
	add_job(&r, "j", false);
	r.updated_at = INT64_C(1764164400000);
	s = to_json(&r);
	assert_string_equal(s, small_expected);
	free(s);
	sf_recorded_release(&r);
}

static void
test_round_trip_byte_stable(void **state)
{
	struct sf_recorded r, r2;
	struct sf_err err;
	char *a, *b;

	(void)state;
	sample(&r);
	a = to_json(&r);
	assert_int_equal(
	    sf_state_from_json(a, strlen(a), "x.json", &r2, &err), 0);
	b = to_json(&r2);
	assert_string_equal(a, b);
	/* Everything came back. */
	assert_int_equal(r2.serial, 7);
	assert_int_equal(r2.target, SF_REC_AWS);
	assert_string_equal(r2.account, "123456789012");
	assert_null(r2.endpoint);
	assert_int_equal(r2.ninterpreters, 3);
	assert_string_equal(r2.interpreters[0].name, "alpha");
	assert_string_equal(r2.interpreters[1].name, "myTestSandbox1");
	assert_string_equal(r2.interpreters[1].description,
	    "Test code sandbox \"quoted\" \xc3\xa9");
	assert_int_equal(r2.interpreters[1].nsubnets, 2);
	assert_string_equal(r2.interpreters[1].subnets[0], "subnet-0def");
	assert_int_equal(r2.interpreters[1].ntags, 2);
	assert_string_equal(r2.interpreters[1].tags[0].key, "cost-center");
	assert_true(r2.interpreters[1].prevent_destroy);
	assert_int_equal(r2.interpreters[1].created_at, 1764164340123);
	assert_int_equal(r2.interpreters[1].generation, 3);
	assert_null(r2.interpreters[0].description);
	assert_int_equal(r2.interpreters[0].ntags, 0);
	assert_int_equal(r2.njobs, 2);
	assert_string_equal(r2.jobs[0].name, "amzn_close");
	assert_int_equal(r2.jobs[0].last_scheduled, 1764194400000);
	assert_int_equal(r2.jobs[0].last_finished, 1764194412999);
	assert_string_equal(r2.jobs[0].last_outcome, "succeeded");
	assert_int_equal(r2.jobs[0].runs_succeeded, 12);
	assert_null(r2.jobs[1].last_run);
	assert_true(r2.git_dirty);
	assert_string_equal(r2.git_branch, "main");
	assert_int_equal(r2.updated_at, 1764164400000);
	free(a);
	free(b);
	sf_recorded_release(&r);
	sf_recorded_release(&r2);
}

static void
test_sorted_regardless_of_order(void **state)
{
	struct sf_recorded r1, r2;
	char *a, *b;

	(void)state;
	sf_recorded_init(&r1);
	sf_recorded_init(&r2);
	snprintf(r1.lineage, 37, "%s", "0b7e2f7c-3f5e-4a8e-9d4c-1a2b3c4d5e6f");
	snprintf(r2.lineage, 37, "%s", "0b7e2f7c-3f5e-4a8e-9d4c-1a2b3c4d5e6f");
	add_interp(&r1, "charlie", "PUBLIC");
	add_interp(&r1, "alpha", "PUBLIC");
	add_interp(&r1, "bravo", "SANDBOX");
	add_tag(&r1.interpreters[1], "z", "1");
	add_tag(&r1.interpreters[1], "m", "2");
	add_job(&r1, "b", false);
	add_job(&r1, "a", true);
	add_interp(&r2, "bravo", "SANDBOX");
	add_interp(&r2, "alpha", "PUBLIC");
	add_interp(&r2, "charlie", "PUBLIC");
	add_tag(&r2.interpreters[1], "m", "2");
	add_tag(&r2.interpreters[1], "z", "1");
	add_job(&r2, "a", true);
	add_job(&r2, "b", false);
	a = to_json(&r1);
	b = to_json(&r2);
	assert_string_equal(a, b);
	assert_true(strstr(a, "\"alpha\"") < strstr(a, "\"bravo\""));
	assert_true(strstr(a, "\"bravo\"") < strstr(a, "\"charlie\""));
	assert_true(strstr(a, "\"m\": \"2\"") < strstr(a, "\"z\": \"1\""));
	/* The caller's order is left alone. */
	assert_string_equal(r1.interpreters[0].name, "charlie");
	free(a);
	free(b);
	sf_recorded_release(&r1);
	sf_recorded_release(&r2);
}

/* Replace the first occurrence of from in s by to (a new string). */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);

	if (!p)
		fail_msg("\"%s\" not in the sample", from);
	return sf_xasprintf("%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

static void
test_corrupt_refused(void **state)
{
	static const struct {
		const char *from, *to; /* an edit of the sample; NULL: text */
		const char *want;      /* in the message */
	} cases[] = {
		{ NULL, "", "the file is empty" },
		{ NULL,
		    "\x7f"
		    "ELF\x02\x01\x01",
		    "not valid JSON (line 1" },
		{ NULL, "[]", "expected an object at the top, found an array" },
		{ NULL, "{\"serial\": 1}", "version is missing" },
		{ "\"version\": 1", "\"version\": \"1\"",
		    "version: expected an integer, found a string" },
		{ "\"version\": 1", "\"version\": 0",
		    "0 is not a state version" },
		{ "\"serial\": 7", "\"serial\": \"7\"",
		    "serial: expected an integer, found a string" },
		{ "\"serial\": 7", "\"serial\": -1", "serial: is negative" },
		{ "\"serial\": 7", "\"serial\": 7.5", "found a fractional" },
		{ "  \"lineage\": \"0b7e2f7c-3f5e-4a8e-9d4c-1a2b3c4d5e6f\",\n",
		    "", "lineage is missing" },
		{ "0b7e2f7c-3f5e-4a8e-9d4c-1a2b3c4d5e6f", "not-a-uuid",
		    "lineage: expected a lowercase UUID" },
		{ "\"kind\": \"aws\"", "\"kind\": \"gcp\"",
		    "target.kind: expected aws or local, found \"gcp\"" },
		{ "\"interpreters\": [", "\"interpreters\": {\"x\": [",
		    "not valid JSON" },
		{ "\"generation\": 3", "\"generation\": true",
		    "interpreters[1] (myTestSandbox1).generation: expected an "
		    "integer, found a boolean" },
		{ "\"created_at\": \"2025-11-26T13:39:00.123Z\"",
		    "\"created_at\": 1764164340123",
		    "created_at: expected an RFC 3339 time, found an integer" },
		{ "\"created_at\": \"2025-11-26T13:39:00.123Z\"",
		    "\"created_at\": \"yesterday\"",
		    "created_at: expected an RFC 3339 time such as" },
		{ "\"prevent_destroy\": true", "\"prevent_destroy\": \"yes\"",
		    "prevent_destroy: expected true or false, found a string" },
		{ "\"network\": \"VPC\"", "\"network\": \"vpc\"",
		    "network: expected PUBLIC, SANDBOX or VPC, found \"vpc\"" },
		{ "\"name\": \"zeta\"", "\"name\": \"my-box\"",
		    "is not an interpreter name" },
		{ "\"name\": \"zeta\"", "\"name\": \"alpha\"",
		    "interpreters: \"alpha\" appears twice" },
		{ "\"name\": \"zeta\"", "\"name\": \"zeta\", \"colour\": 1",
		    "unknown key \"colour\" (written by a newer sandform?)" },
		{ "\"name\": \"zeta\"",
		    "\"name\": \"zeta\", \"name\": \"zeta\"",
		    "duplicate object key" },
		{ "\"team\": \"data\"", "\"team\": 5",
		    "tags.team: expected a string, found an integer" },
		{ "\"subnet-0def\"", "7", "subnets[0]: expected a string" },
		{ "\"id\": \"zeta-a1b2c3d4e5\"", "\"id\": \"\"",
		    "id: is empty" },
		{ "\"id\": \"zeta-a1b2c3d4e5\",", "", "(zeta): id is missing" },
		{ "\"arn\": \"arn:aws:bedrock-agentcore:us-west-2:123456789012:"
		  "code-interpreter-custom/zeta-a1b2c3d4e5\",",
		    "", "(zeta): arn is missing (only a PENDING" },
		{ "\"runs_failed\": 1", "\"runs_failed\": null",
		    "runs_failed: expected an integer, found null" },
		{ "\"last_outcome\": \"succeeded\"", "\"last_outcome\": \"ok\"",
		    "last_outcome: expected failed, interrupted, missed, "
		    "succeeded or timed_out" },
		{ "\"last_run\": \"20251126T220000Z-1a2b\",", "",
		    "jobs[0] (amzn_close): last_run is missing" },
		{ "\"dirty\": true", "\"dirty\": 1",
		    "provenance.git.dirty: expected true or false" },
		{ "\"sandform_version\": \"0.1.0\",\n    \"updated_at\": "
		  "\"2025-11-26T13:40:00Z\"",
		    "\"sandform_version\": \"0.1.0\"",
		    "provenance: updated_at is missing" },
		{ "\"jobs\": [", "\"jobs\": 3, \"x\": [", "unknown key \"x\"" },
	};
	struct sf_recorded r;
	struct sf_err err;
	char *good, *bad;
	size_t i;
	int rc;

	(void)state;
	sample(&r);
	good = to_json(&r);
	sf_recorded_release(&r);
	for (i = 0; i < SF_ARRAY_LEN(cases); i++) {
		bad = cases[i].from ? replace(good, cases[i].from, cases[i].to)
		                    : sf_xstrdup(cases[i].to);
		rc = sf_state_from_json(
		    bad, strlen(bad), "state/sandform.state.json", &r, &err);
		sf_recorded_release(&r);
		if (rc != SF_EINVALID || !strstr(err.msg, cases[i].want))
			fail_msg("case %zu: rc %d, \"%s\"; wanted \"%s\"", i,
			    rc, rc ? err.msg : "", cases[i].want);
		assert_string_equal(err.where, "state/sandform.state.json");
		if (i != 0 && !strstr(err.msg, "left as it is"))
			fail_msg("case %zu: \"%s\" does not say the file was "
			         "left alone",
			    i, err.msg);
		free(bad);
	}
	/* Truncated anywhere: refused, never a crash. */
	for (i = 0; i < strlen(good) - 1; i += 7) {
		rc = sf_state_from_json(good, i, "t", &r, &err);
		sf_recorded_release(&r);
		assert_int_equal(rc, SF_EINVALID);
	}
	free(good);
}

static void
test_newer_version_refused(void **state)
{
	static const char text[] = "{\"version\": 2, \"whatever\": "
	                           "{\"comes\": \"next\"}}\n";
	struct sf_recorded r;
	struct sf_err err;

	(void)state;
	assert_int_equal(sf_state_from_json(text, strlen(text),
	                     "state/sandform.state.json", &r, &err),
	    SF_EINVALID);
	assert_non_null(strstr(err.msg,
	    "written by a newer sandform (state version 2); this one reads "
	    "version 1"));
	sf_recorded_release(&r);
}

static void
test_to_json_refuses_what_it_cannot_read(void **state)
{
	struct sf_recorded r;
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;

	(void)state;
	sample(&r);
	free(r.interpreters[0].id);
	r.interpreters[0].id = NULL;
	assert_int_equal(sf_state_to_json(&r, &b, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "cannot write this state"));
	assert_non_null(strstr(err.msg, "id"));
	assert_int_equal(b.len, 0);
	sf_recorded_release(&r);

	sample(&r);
	free(r.interpreters[2].name);
	r.interpreters[2].name = sf_xstrdup("zeta");
	assert_int_equal(sf_state_to_json(&r, &b, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "\"zeta\" appears twice"));
	sf_recorded_release(&r);

	sample(&r);
	add_tag(&r.interpreters[1], "team", "again");
	assert_int_equal(sf_state_to_json(&r, &b, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "tag team appears twice"));
	sf_recorded_release(&r);

	sample(&r);
	r.lineage[0] = '\0'; /* made with sf_recorded_init, not sf_state_new */
	assert_int_equal(sf_state_to_json(&r, &b, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "lineage"));
	sf_recorded_release(&r);

	sample(&r);
	free(r.interpreters[0].description);
	r.interpreters[0].description = sf_xstrdup("bad \xff utf-8");
	assert_int_equal(sf_state_to_json(&r, &b, &err), SF_EINVALID);
	sf_recorded_release(&r);
	sf_buf_release(&b);
}

/* Apply records a create before sending it: PENDING, no id, arn or time. */
static void
test_pending_interpreter(void **state)
{
	struct sf_recorded r, r2;
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	struct sf_rec_interpreter *in;
	char *a, *t;

	(void)state;
	sample(&r);
	in = &r.interpreters[0]; /* zeta */
	free(in->id);
	free(in->arn);
	free(in->status);
	in->id = in->arn = NULL;
	in->status = sf_xstrdup("PENDING");
	in->created_at = 0;
	a = to_json(&r);
	assert_null(strstr(a, "zeta-a1b2c3d4e5"));
	assert_int_equal(
	    sf_state_from_json(a, strlen(a), "x.json", &r2, &err), 0);
	assert_null(r2.interpreters[2].id);
	assert_null(r2.interpreters[2].arn);
	assert_int_equal(r2.interpreters[2].created_at, 0);
	assert_string_equal(r2.interpreters[2].status, "PENDING");
	sf_recorded_release(&r2);
	/* Any other status needs them. */
	t = replace(a, "\"PENDING\"", "\"CREATING\"");
	assert_int_equal(
	    sf_state_from_json(t, strlen(t), "x.json", &r2, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "(zeta): id is missing"));
	sf_recorded_release(&r2);
	free(t);
	free(in->status);
	in->status = NULL;
	assert_int_equal(sf_state_to_json(&r, &b, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "cannot write this state"));
	assert_non_null(strstr(err.msg, "id is missing"));
	sf_buf_release(&b);
	free(a);
	sf_recorded_release(&r);
}

static void
test_forget(void **state)
{
	struct sf_recorded r;

	(void)state;
	sample(&r);
	sf_recorded_sort(&r);
	assert_int_equal(sf_state_forget(&r, "myTestSandbox1"), 0);
	assert_int_equal(r.ninterpreters, 2);
	assert_string_equal(r.interpreters[0].name, "alpha");
	assert_string_equal(r.interpreters[1].name, "zeta");
	assert_null(sf_recorded_interpreter(&r, "myTestSandbox1"));
	assert_int_equal(sf_state_forget(&r, "nosuch"), SF_ENOTFOUND);
	sf_recorded_release(&r);
}

/* ---- load and save through the local backend ---- */

static void
test_load_none_then_save(void **state)
{
	char *dir = scratch_dir(), *sd = sf_xasprintf("%s/a/state", dir);
	struct fake f = { .now = INT64_C(1764164400000), .seed = 1 };
	struct sf_storage *s = open_dir(sd, &f);
	struct sf_storage_ver ver;
	struct sf_recorded r, r2;
	struct sf_err err;
	char *path, *text;

	(void)state;
	assert_int_equal(sf_state_load(s, &r, &ver, &err), SF_ENOTFOUND);
	assert_string_equal(ver.tag, "");
	assert_int_equal(r.version, 1);
	assert_int_equal(r.serial, 0);
	assert_int_equal(strlen(r.lineage), 36);
	assert_int_equal(r.lineage[14], '4');
	assert_false(sf_fs_is_dir(sd)); /* reading made nothing */

	add_interp(&r, "box", "SANDBOX");
	assert_int_equal(sf_state_save(s, &r, &ver, &err), 0);
	assert_int_equal(r.serial, 1);
	assert_int_equal(r.updated_at, f.now);
	assert_string_not_equal(ver.tag, "");
	path = sf_xasprintf("%s/sandform.state.json", sd);
	text = slurp(path);
	assert_non_null(strstr(text, "\"serial\": 1,"));
	assert_non_null(
	    strstr(text, "\"updated_at\": \"2025-11-26T13:40:00Z\""));
	free(text);
	text = listing(sd);
	assert_string_equal(text, "sandform.state.json"); /* no backup yet */
	free(text);

	f.now += 1000;
	assert_int_equal(sf_state_save(s, &r, &ver, &err), 0);
	assert_int_equal(r.serial, 2);
	assert_int_equal(sf_state_load(s, &r2, &ver, &err), 0);
	assert_int_equal(r2.serial, 2);
	assert_string_equal(r2.lineage, r.lineage);
	assert_int_equal(r2.ninterpreters, 1);
	sf_recorded_release(&r2);
	sf_recorded_release(&r);
	free(path);
	sf_storage_free(s);
	rm_rf(dir);
	free(sd);
	free(dir);
}

static int
fail_before_rename(void *ud, const char *point)
{
	int *armed = ud;

	return *armed && !strcmp(point, "before-rename");
}

static void
test_atomic_write_and_backup(void **state)
{
	char *dir = scratch_dir();
	struct sf_storage_local_opts o;
	struct sf_storage *s;
	struct sf_storage_ver ver;
	struct sf_recorded r;
	struct sf_err err;
	char *path = sf_xasprintf("%s/sandform.state.json", dir);
	char *bpath = sf_xasprintf("%s/sandform.state.json.backup", dir);
	char *first, *second, *t;
	int armed = 0;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.fault = fail_before_rename;
	o.fault_ud = &armed;
	s = sf_storage_local_new(dir, &o);
	assert_int_equal(sf_state_load(s, &r, &ver, &err), SF_ENOTFOUND);
	add_interp(&r, "one", "PUBLIC");
	assert_int_equal(sf_state_save(s, &r, &ver, &err), 0);
	first = slurp(path);

	/* A failure before the rename leaves the old file and no debris. */
	add_interp(&r, "two", "PUBLIC");
	armed = 1;
	assert_int_equal(sf_state_save(s, &r, &ver, &err), SF_ERROR);
	assert_non_null(strstr(err.msg, "injected failure at before-rename"));
	assert_int_equal(r.serial, 1);
	t = slurp(path);
	assert_string_equal(t, first);
	free(t);
	t = listing(dir);
	assert_string_equal(t, "sandform.state.json");
	free(t);

	/* A crash could leave a temporary file: it is ignored. */
	t = sf_xasprintf("%s/.sandform.state.json.Ab12Cd", dir);
	spew(t, "{\"half\": ");
	free(t);

	/* The next write goes through and keeps the first as the backup. */
	armed = 0;
	assert_int_equal(sf_state_save(s, &r, &ver, &err), 0);
	second = slurp(path);
	assert_string_not_equal(first, second);
	assert_non_null(strstr(second, "\"serial\": 2,"));
	t = slurp(bpath);
	assert_string_equal(t, first);
	free(t);
	assert_int_equal(sf_state_save(s, &r, &ver, &err), 0);
	t = slurp(bpath);
	assert_string_equal(t, second);
	free(t);
	t = listing(dir);
	assert_string_equal(t,
	    ".sandform.state.json.Ab12Cd sandform.state.json "
	    "sandform.state.json.backup");
	free(t);

	free(first);
	free(second);
	free(path);
	free(bpath);
	sf_recorded_release(&r);
	sf_storage_free(s);
	rm_rf(dir);
	free(dir);
}

static void
test_corrupt_file_never_overwritten(void **state)
{
	char *dir = scratch_dir();
	char *path = sf_xasprintf("%s/sandform.state.json", dir);
	static const char *const texts[] = { "{\"version\": 1, \"serial\": 3",
		"{\"version\": 9}\n", "garbage\n" };
	struct sf_storage *s = open_dir(dir, NULL);
	struct sf_storage_ver ver;
	struct sf_recorded r;
	struct sf_err err;
	size_t i;
	char *t;

	(void)state;
	for (i = 0; i < SF_ARRAY_LEN(texts); i++) {
		spew(path, texts[i]);
		assert_int_equal(sf_state_load(s, &r, &ver, &err), SF_EINVALID);
		assert_string_equal(err.where, path);
		sf_recorded_release(&r);
		/* A writer that did not read it cannot replace it. */
		sf_state_new(NULL, &r);
		ver.tag[0] = '\0';
		assert_int_equal(
		    sf_state_save(s, &r, &ver, &err), SF_ECONFLICT);
		sf_recorded_release(&r);
		t = slurp(path);
		assert_string_equal(t, texts[i]);
		free(t);
	}
	free(path);
	sf_storage_free(s);
	rm_rf(dir);
	free(dir);
}

static void
test_cas_conflict(void **state)
{
	char *dir = scratch_dir();
	struct sf_storage *s1 = open_dir(dir, NULL), *s2 = open_dir(dir, NULL);
	struct sf_storage_ver v1, v2;
	struct sf_recorded r1, r2;
	struct sf_err err;
	char *path = sf_xasprintf("%s/sandform.state.json", dir), *t, *t2;

	(void)state;
	/* Both find nothing: the first to write wins. */
	assert_int_equal(sf_state_load(s1, &r1, &v1, &err), SF_ENOTFOUND);
	assert_int_equal(sf_state_load(s2, &r2, &v2, &err), SF_ENOTFOUND);
	assert_int_equal(sf_state_save(s1, &r1, &v1, &err), 0);
	assert_int_equal(sf_state_save(s2, &r2, &v2, &err), SF_ECONFLICT);
	assert_non_null(strstr(err.msg, "another command created the state"));
	sf_recorded_release(&r1);
	sf_recorded_release(&r2);

	/* Both read serial 1 and both write: the second gets a conflict. */
	assert_int_equal(sf_state_load(s1, &r1, &v1, &err), 0);
	assert_int_equal(sf_state_load(s2, &r2, &v2, &err), 0);
	assert_string_equal(v1.tag, v2.tag);
	add_interp(&r1, "mine", "PUBLIC");
	add_interp(&r2, "theirs", "PUBLIC");
	assert_int_equal(sf_state_save(s1, &r1, &v1, &err), 0);
	t = slurp(path);
	assert_int_equal(sf_state_save(s2, &r2, &v2, &err), SF_ECONFLICT);
	assert_int_equal(err.code, SF_ECONFLICT);
	assert_non_null(strstr(
	    err.msg, "the state changed since it was read (serial 1, now 2)"));
	assert_int_equal(r2.serial, 1);
	t2 = slurp(path);
	assert_string_equal(t, t2);
	free(t2);
	/* The loser reads again and then may write. */
	sf_recorded_release(&r2);
	assert_int_equal(sf_state_load(s2, &r2, &v2, &err), 0);
	assert_non_null(sf_recorded_interpreter(&r2, "mine"));
	assert_int_equal(sf_state_save(s2, &r2, &v2, &err), 0);
	assert_int_equal(r2.serial, 3);
	/* A removed state is a conflict too. */
	unlink(path);
	assert_int_equal(sf_state_save(s2, &r2, &v2, &err), SF_ECONFLICT);
	assert_non_null(strstr(err.msg, "removed since it was read"));

	free(t);
	free(path);
	sf_recorded_release(&r1);
	sf_recorded_release(&r2);
	sf_storage_free(s1);
	sf_storage_free(s2);
	rm_rf(dir);
	free(dir);
}

/* ---- the lock ---- */

static const struct sf_lock_req apply_now = { "apply", 0 };

static void
test_lock_exclusive(void **state)
{
	char *dir = scratch_dir(), *lpath = sf_xasprintf("%s/.lock", dir);
	struct fake f = { .now = INT64_C(1764164400000), .seed = 7 };
	struct sf_storage *s1 = open_dir(dir, &f), *s2 = open_dir(dir, &f);
	struct sf_lock_info li;
	struct sf_buf warn = SF_BUF_INIT;
	struct sf_err err;
	char want[128], *t;
	json_t *j;

	(void)state;
	assert_int_equal(sf_storage_lock_info(s1, &li, &err), SF_ENOTFOUND);
	assert_int_equal(sf_storage_lock(s1, &apply_now, &warn, &err), 0);
	assert_true(s1->locked);
	assert_int_equal(warn.len, 0);
	/* The lock file says who holds it. */
	t = slurp(lpath);
	j = json_loads(t, 0, NULL);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(j, "id")), s1->lock.id);
	assert_int_equal(
	    json_integer_value(json_object_get(j, "pid")), getpid());
	assert_string_equal(
	    json_string_value(json_object_get(j, "command")), "apply");
	assert_string_equal(json_string_value(json_object_get(j, "started")),
	    "2025-11-26T13:40:00Z");
	assert_non_null(json_string_value(json_object_get(j, "host")));
	json_decref(j);
	free(t);
	t = listing(dir);
	assert_string_equal(t, ".lock"); /* no temporary file left */
	free(t);

	/* Twice through one storage: refused. */
	assert_int_equal(
	    sf_storage_lock(s1, &apply_now, &warn, &err), SF_ECONFLICT);
	/* A live holder (this very process): refused, with its details. */
	assert_int_equal(
	    sf_storage_lock(s2, &apply_now, &warn, &err), SF_ECONFLICT);
	assert_false(s2->locked);
	snprintf(want, sizeof(want), "the state is locked by pid %ld on ",
	    (long)getpid());
	assert_non_null(strstr(err.msg, want));
	assert_non_null(
	    strstr(err.msg, "(apply, started 2025-11-26T13:40:00Z)"));
	snprintf(want, sizeof(want), "`sandform force-unlock %s`", s1->lock.id);
	assert_non_null(strstr(err.msg, want));
	assert_string_equal(err.where, dir);
	assert_int_equal(f.sleeps, 0); /* timeout 0: no waiting */

	assert_int_equal(sf_storage_lock_info(s2, &li, &err), 0);
	assert_string_equal(li.id, s1->lock.id);
	assert_string_equal(li.command, "apply");

	assert_int_equal(sf_storage_unlock(s1, &err), 0);
	assert_false(s1->locked);
	assert_int_equal(sf_storage_lock(s2, &apply_now, &warn, &err), 0);
	assert_string_not_equal(s2->lock.id, s1->lock.id);
	/* Freeing a storage releases its lock. */
	sf_storage_free(s2);
	assert_int_equal(access(lpath, F_OK), -1);

	sf_buf_release(&warn);
	sf_storage_free(s1);
	free(lpath);
	rm_rf(dir);
	free(dir);
}

static void
test_lock_timeout(void **state)
{
	char *dir = scratch_dir();
	struct fake f = { .now = INT64_C(1764164400000), .seed = 3 };
	struct sf_storage *s1 = open_dir(dir, &f), *s2 = open_dir(dir, &f);
	struct sf_lock_req wait = { "state rm", 1000 };
	struct sf_err err;

	(void)state;
	assert_int_equal(sf_storage_lock(s1, &apply_now, NULL, &err), 0);
	/* Tries until the timeout, sleeping only through the injected clock. */
	assert_int_equal(sf_storage_lock(s2, &wait, NULL, &err), SF_ECONFLICT);
	assert_int_equal(f.slept, 1000);
	assert_int_equal(f.sleeps, 4);
	assert_non_null(strstr(err.msg, "still after waiting 1.000s"));

	/* A holder that finishes while we wait: we get it. */
	f.sleeps = 0;
	f.slept = 0;
	f.release_after = 2;
	f.holder = s1;
	wait.timeout_ms = 60000;
	assert_int_equal(sf_storage_lock(s2, &wait, NULL, &err), 0);
	assert_int_equal(f.sleeps, 2);
	assert_false(s1->locked);
	assert_true(s2->locked);
	assert_string_equal(s2->lock.command, "state rm");

	sf_storage_free(s1);
	sf_storage_free(s2);
	rm_rf(dir);
	free(dir);
}

/* Lock dir in a child process that exits without unlocking; its pid. */
static pid_t
lock_in_child(const char *dir, const char *host)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sf_storage_local_opts o;
		struct sf_storage *s;
		struct sf_lock_req req = { "apply", 0 };

		memset(&o, 0, sizeof(o));
		o.host = host;
		s = sf_storage_local_new(dir, &o);
		_exit(sf_storage_lock(s, &req, NULL, NULL) ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return pid;
}

static void
test_lock_dead_holder_taken_over(void **state)
{
	char *dir = scratch_dir();
	struct sf_storage *s = open_dir(dir, NULL);
	struct sf_buf warn = SF_BUF_INIT;
	struct sf_lock_info li;
	struct sf_err err;
	char want[128];
	pid_t child;

	(void)state;
	child = lock_in_child(dir, NULL);
	assert_int_equal(sf_storage_lock_info(s, &li, &err), 0);
	assert_int_equal(li.pid, child);

	assert_int_equal(sf_storage_lock(s, &apply_now, &warn, &err), 0);
	snprintf(want, sizeof(want),
	    "taking over the lock of pid %ld (apply, started ", (long)child);
	assert_non_null(strstr(warn.buf, want));
	assert_non_null(strstr(warn.buf, "), which is no longer running"));
	assert_int_equal(sf_storage_lock_info(s, &li, &err), 0);
	assert_string_equal(li.id, s->lock.id);
	assert_int_equal(li.pid, getpid());
	assert_int_equal(sf_storage_unlock(s, &err), 0);

	sf_buf_release(&warn);
	sf_storage_free(s);
	rm_rf(dir);
	free(dir);
}

static void
test_lock_dead_holder_elsewhere_kept(void **state)
{
	char *dir = scratch_dir();
	struct sf_storage *s = open_dir(dir, NULL);
	struct sf_buf warn = SF_BUF_INIT;
	struct sf_err err;
	pid_t child;

	(void)state;
	/* Its pid is dead here, but it ran on another host: hands off. */
	child = lock_in_child(dir, "build-runner-7");
	assert_int_equal(
	    sf_storage_lock(s, &apply_now, &warn, &err), SF_ECONFLICT);
	assert_non_null(strstr(err.msg, "on build-runner-7 (apply"));
	assert_int_equal(warn.len, 0);
	(void)child;

	sf_buf_release(&warn);
	sf_storage_free(s);
	rm_rf(dir);
	free(dir);
}

static void
test_lock_unreadable(void **state)
{
	char *dir = scratch_dir(), *lpath = sf_xasprintf("%s/.lock", dir), *t;
	struct sf_storage *s = open_dir(dir, NULL);
	struct sf_err err;

	(void)state;
	spew(lpath, "not json");
	assert_int_equal(
	    sf_storage_lock(s, &apply_now, NULL, &err), SF_ECONFLICT);
	assert_int_equal(err.code, SF_ECONFLICT);
	assert_non_null(strstr(err.msg, "not one sandform wrote"));
	t = slurp(lpath);
	assert_string_equal(t, "not json");
	free(t);
	free(lpath);
	sf_storage_free(s);
	rm_rf(dir);
	free(dir);
}

static void
test_force_unlock(void **state)
{
	char *dir = scratch_dir();
	struct sf_storage *s1 = open_dir(dir, NULL), *s2 = open_dir(dir, NULL);
	struct sf_lock_info was, li;
	struct sf_err err;
	char id[37];

	(void)state;
	assert_int_equal(sf_storage_force_unlock(s2, "x", &was, &err),
	    SF_ENOTFOUND); /* no directory yet */
	assert_int_equal(sf_storage_lock(s1, &apply_now, NULL, &err), 0);
	snprintf(id, sizeof(id), "%s", s1->lock.id);

	/* The wrong id removes nothing. */
	assert_int_equal(
	    sf_storage_force_unlock(
	        s2, "0b7e2f7c-0000-4000-8000-000000000000", &was, &err),
	    SF_EINVALID);
	assert_non_null(strstr(err.msg, "nothing was removed"));
	assert_int_equal(sf_storage_lock_info(s2, &li, &err), 0);
	assert_string_equal(li.id, id);

	/* The right one does, and says whose it was. */
	assert_int_equal(sf_storage_force_unlock(s2, id, &was, &err), 0);
	assert_int_equal(was.pid, getpid());
	assert_string_equal(was.command, "apply");
	assert_int_equal(sf_storage_lock_info(s2, &li, &err), SF_ENOTFOUND);
	assert_int_equal(
	    sf_storage_force_unlock(s2, id, &was, &err), SF_ENOTFOUND);

	/* Someone else takes it; the old holder's unlock leaves theirs. */
	assert_int_equal(sf_storage_lock(s2, &apply_now, NULL, &err), 0);
	assert_int_equal(sf_storage_unlock(s1, &err), SF_ECONFLICT);
	assert_non_null(strstr(err.msg, "was replaced while we held it"));
	assert_int_equal(sf_storage_lock_info(s1, &li, &err), 0);
	assert_string_equal(li.id, s2->lock.id);
	assert_int_equal(sf_storage_unlock(s2, &err), 0);

	/* ... and when nobody took it, unlock says it was removed. */
	assert_int_equal(sf_storage_lock(s1, &apply_now, NULL, &err), 0);
	assert_int_equal(
	    sf_storage_force_unlock(s2, s1->lock.id, &was, &err), 0);
	assert_int_equal(sf_storage_unlock(s1, &err), SF_ECONFLICT);
	assert_non_null(strstr(err.msg, "was removed while we held it"));

	sf_storage_free(s1);
	sf_storage_free(s2);
	rm_rf(dir);
	free(dir);
}

/* ---- run records ---- */

static void
test_runs(void **state)
{
	char *dir = scratch_dir(), *t;
	struct sf_storage *s = open_dir(dir, NULL);
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	char **runs;
	size_t n;

	(void)state;
	assert_int_equal(
	    sf_storage_list_runs(s, "nightly", &runs, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sf_storage_put_run(s, "nightly", "20251126T2200Z-b",
	                     "{\"n\": 2}\n", 9, &err),
	    0);
	assert_int_equal(sf_storage_put_run(s, "nightly", "20251125T2200Z-a",
	                     "{\"n\": 1}\n", 9, &err),
	    0);
	assert_int_equal(sf_storage_put_run(s, "nightly", "20251127T2200Z-c",
	                     "{\"n\": 3}\n", 9, &err),
	    0);
	assert_int_equal(
	    sf_storage_put_run(s, "other-job", "1", "{}\n", 3, &err), 0);
	/* Replaced whole. */
	assert_int_equal(sf_storage_put_run(s, "nightly", "20251126T2200Z-b",
	                     "{\"n\": 22}\n", 10, &err),
	    0);
	/* Debris of a crash is not a run. */
	t = sf_xasprintf("%s/runs/nightly/.20251128T2200Z-d.json.x1Y2z3", dir);
	spew(t, "{");
	free(t);

	assert_int_equal(
	    sf_storage_list_runs(s, "nightly", &runs, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(runs[0], "20251125T2200Z-a");
	assert_string_equal(runs[1], "20251126T2200Z-b");
	assert_string_equal(runs[2], "20251127T2200Z-c");
	sf_storage_runs_free(runs, n);

	assert_int_equal(
	    sf_storage_get_run(s, "nightly", "20251126T2200Z-b", &b, &err), 0);
	assert_string_equal(b.buf, "{\"n\": 22}\n");
	sf_buf_reset(&b);
	assert_int_equal(
	    sf_storage_delete_run(s, "nightly", "20251125T2200Z-a", &err), 0);
	assert_int_equal(
	    sf_storage_delete_run(s, "nightly", "20251125T2200Z-a", &err),
	    SF_ENOTFOUND);
	assert_int_equal(
	    sf_storage_get_run(s, "nightly", "20251125T2200Z-a", &b, &err),
	    SF_ENOTFOUND);
	assert_int_equal(
	    sf_storage_list_runs(s, "nightly", &runs, &n, &err), 0);
	assert_int_equal(n, 2);
	sf_storage_runs_free(runs, n);

	/* Nothing that could leave the directory. */
	assert_int_equal(
	    sf_storage_put_run(s, "../x", "1", "{}", 2, &err), SF_EINVALID);
	assert_int_equal(
	    sf_storage_put_run(s, "nightly", "../../x", "{}", 2, &err),
	    SF_EINVALID);
	assert_int_equal(
	    sf_storage_get_run(s, "nightly", ".hidden", &b, &err), SF_EINVALID);
	assert_int_equal(
	    sf_storage_list_runs(s, "a/b", &runs, &n, &err), SF_EINVALID);
	assert_int_equal(
	    sf_storage_delete_run(s, "nightly", "", &err), SF_EINVALID);

	sf_buf_release(&b);
	sf_storage_free(s);
	rm_rf(dir);
	free(dir);
}

/* ---- schema/state.schema.json ---- */

/*
 * A validator of the JSON Schema keywords state.schema.json uses. An
 * unknown keyword fails the test, so the schema cannot grow past what is
 * checked here without this file growing too.
 */
struct sv {
	json_t *root;
	char path[256];
	char why[512];
};

static bool sv_check(struct sv *v, json_t *schema, json_t *doc);

static bool sv_fail(struct sv *v, const char *fmt, ...) SF_PRINTF(2, 3);

static bool
sv_fail(struct sv *v, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (v->why[0])
		return false;
	n = snprintf(
	    v->why, sizeof(v->why), "%s: ", v->path[0] ? v->path : "/");
	va_start(ap, fmt);
	vsnprintf(v->why + n, sizeof(v->why) - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

static bool
sv_type(json_t *doc, const char *t)
{
	if (!strcmp(t, "object"))
		return json_is_object(doc);
	if (!strcmp(t, "array"))
		return json_is_array(doc);
	if (!strcmp(t, "string"))
		return json_is_string(doc);
	if (!strcmp(t, "integer"))
		return json_is_integer(doc);
	if (!strcmp(t, "number"))
		return json_is_number(doc);
	if (!strcmp(t, "boolean"))
		return json_is_boolean(doc);
	if (!strcmp(t, "null"))
		return json_is_null(doc);
	fail_msg("unknown type %s in the schema", t);
	return false;
}

/* Check doc's member or item, with the path extended by what. */
static bool
sv_child(struct sv *v, json_t *schema, json_t *doc, const char *what)
{
	size_t n = strlen(v->path);
	bool ok;

	snprintf(v->path + n, sizeof(v->path) - n, "/%s", what);
	ok = sv_check(v, schema, doc);
	v->path[n] = '\0';
	return ok;
}

static bool
sv_check(struct sv *v, json_t *schema, json_t *doc)
{
	static const char *const annotations[] = { "$schema", "$id", "title",
		"description", "$defs", "$comment", "examples" };
	const char *kw;
	json_t *arg;

	json_object_foreach(schema, kw, arg)
	{
		size_t i;
		bool known = false;

		for (i = 0; i < SF_ARRAY_LEN(annotations); i++)
			if (!strcmp(kw, annotations[i]))
				known = true;
		if (known)
			continue;
		if (!strcmp(kw, "$ref")) {
			const char *ref = json_string_value(arg);
			json_t *target;

			assert_true(sf_str_has_prefix(ref, "#/$defs/"));
			target = json_object_get(
			    json_object_get(v->root, "$defs"), ref + 8);
			if (!target)
				fail_msg("dangling $ref %s", ref);
			if (!sv_check(v, target, doc))
				return false;
		} else if (!strcmp(kw, "type")) {
			if (!sv_type(doc, json_string_value(arg)))
				return sv_fail(v, "not of type %s",
				    json_string_value(arg));
		} else if (!strcmp(kw, "const")) {
			if (!json_equal(arg, doc))
				return sv_fail(v, "not the constant");
		} else if (!strcmp(kw, "enum")) {
			json_t *e;

			known = false;
			json_array_foreach(arg, i, e) if (json_equal(e, doc))
			    known = true;
			if (!known)
				return sv_fail(v, "not in the enum");
		} else if (!strcmp(kw, "minimum")) {
			if (json_is_number(doc) &&
			    json_number_value(doc) < json_number_value(arg))
				return sv_fail(v, "below the minimum");
		} else if (!strcmp(kw, "minLength")) {
			if (json_is_string(doc) &&
			    json_string_length(doc) <
			        (size_t)json_integer_value(arg))
				return sv_fail(v, "too short");
		} else if (!strcmp(kw, "pattern")) {
			regex_t re;
			int m;

			if (!json_is_string(doc))
				continue;
			assert_int_equal(regcomp(&re, json_string_value(arg),
			                     REG_EXTENDED | REG_NOSUB),
			    0);
			m = regexec(&re, json_string_value(doc), 0, NULL, 0);
			regfree(&re);
			if (m)
				return sv_fail(v, "\"%s\" does not match %s",
				    json_string_value(doc),
				    json_string_value(arg));
		} else if (!strcmp(kw, "format")) {
			int64_t ms;

			assert_string_equal(
			    json_string_value(arg), "date-time");
			if (json_is_string(doc) &&
			    sf_time_parse(json_string_value(doc), &ms))
				return sv_fail(v, "not a date-time");
		} else if (!strcmp(kw, "required")) {
			json_t *e;

			if (!json_is_object(doc))
				continue;
			json_array_foreach(arg, i,
			    e) if (!json_object_get(doc,
			               json_string_value(e))) return sv_fail(v,
			    "%s is missing", json_string_value(e));
		} else if (!strcmp(kw, "dependentRequired")) {
			const char *k;
			json_t *deps, *e;

			if (!json_is_object(doc))
				continue;
			json_object_foreach(arg, k, deps)
			{
				if (!json_object_get(doc, k))
					continue;
				json_array_foreach(deps, i,
				    e) if (!json_object_get(doc,
				               json_string_value(
				                   e))) return sv_fail(v,
				    "%s without %s", k, json_string_value(e));
			}
		} else if (!strcmp(kw, "if")) {
			struct sv probe = { v->root, "", "" };
			json_t *branch = json_object_get(schema,
			    sv_check(&probe, arg, doc) ? "then" : "else");

			if (branch && !sv_check(v, branch, doc))
				return false;
		} else if (!strcmp(kw, "then") || !strcmp(kw, "else")) {
			continue; /* with "if" */
		} else if (!strcmp(kw, "properties")) {
			const char *k;
			json_t *sub, *m;

			if (!json_is_object(doc))
				continue;
			json_object_foreach(arg, k,
			    sub) if ((m = json_object_get(doc, k)) &&
			             !sv_child(v, sub, m, k)) return false;
		} else if (!strcmp(kw, "additionalProperties")) {
			json_t *props = json_object_get(schema, "properties");
			const char *k;
			json_t *m;

			if (!json_is_object(doc))
				continue;
			json_object_foreach(doc, k, m)
			{
				if (json_object_get(props, k))
					continue;
				if (json_is_false(arg))
					return sv_fail(
					    v, "unknown member %s", k);
				if (!sv_child(v, arg, m, k))
					return false;
			}
		} else if (!strcmp(kw, "items")) {
			json_t *e;

			if (!json_is_array(doc))
				continue;
			json_array_foreach(doc, i, e)
			{
				char ix[24];

				snprintf(ix, sizeof(ix), "%zu", i);
				if (!sv_child(v, arg, e, ix))
					return false;
			}
		} else {
			fail_msg("schema keyword %s is not checked by "
			         "test_state.c: teach sv_check it",
			    kw);
		}
	}
	return true;
}

static json_t *
load_schema(void)
{
	const char *data = getenv("SF_TEST_DATA");
	char *path;
	json_error_t jerr;
	json_t *schema;

	if (data) {
		path = sf_xasprintf("%s/../../schema/state.schema.json", data);
	} else { /* run by hand: beside this file */
		const char *slash = strrchr(__FILE__, '/');

		path = sf_xasprintf("%.*s/../../schema/state.schema.json",
		    slash ? (int)(slash - __FILE__) : 1,
		    slash ? __FILE__ : ".");
	}
	schema = json_load_file(path, 0, &jerr);
	if (!schema)
		fail_msg("%s: %s", path, jerr.text);
	free(path);
	return schema;
}

static bool
schema_accepts(json_t *schema, const char *text, char *why, size_t n)
{
	struct sv v = { schema, "", "" };
	json_t *doc = json_loads(text, 0, NULL);
	bool ok;

	assert_non_null(doc);
	ok = sv_check(&v, schema, doc);
	snprintf(why, n, "%s", v.why);
	json_decref(doc);
	return ok;
}

static void
test_schema_matches_written_states(void **state)
{
	json_t *schema = load_schema();
	struct sf_recorded r;
	char why[512], *text, *bad;

	(void)state;
	/* Everything filled in. */
	sample(&r);
	text = to_json(&r);
	if (!schema_accepts(schema, text, why, sizeof(why)))
		fail_msg("the schema refuses a written state: %s", why);
	sf_recorded_release(&r);
	/* Nothing but what is required, and a PENDING create. */
	sf_state_new(NULL, &r);
	add_interp(&r, "bare", "SANDBOX");
	free(r.interpreters[0].status);
	r.interpreters[0].status = NULL;
	add_interp(&r, "pending", "PUBLIC");
	free(r.interpreters[1].id);
	free(r.interpreters[1].arn);
	free(r.interpreters[1].status);
	r.interpreters[1].id = r.interpreters[1].arn = NULL;
	r.interpreters[1].status = sf_xstrdup("PENDING");
	r.interpreters[1].created_at = 0;
	add_job(&r, "idle", false);
	free(text);
	text = to_json(&r);
	if (!schema_accepts(schema, text, why, sizeof(why)))
		fail_msg("the schema refuses a written state: %s", why);
	sf_recorded_release(&r);
	free(text);

	/* And it is not a schema that accepts anything. */
	sample(&r);
	text = to_json(&r);
	sf_recorded_release(&r);
	bad = replace(text, "\"network\": \"VPC\"", "\"network\": \"LAN\"");
	assert_false(schema_accepts(schema, bad, why, sizeof(why)));
	assert_non_null(strstr(why, "/interpreters/1/network"));
	free(bad);
	bad = replace(text, "\"id\": \"zeta-a1b2c3d4e5\",", "");
	assert_false(schema_accepts(schema, bad, why, sizeof(why)));
	assert_non_null(strstr(why, "id is missing"));
	free(bad);
	bad = replace(text, "\"serial\": 7", "\"serial\": 7, \"x\": 1");
	assert_false(schema_accepts(schema, bad, why, sizeof(why)));
	free(bad);
	bad = replace(text, "\"last_run\": \"20251126T220000Z-1a2b\",", "");
	assert_false(schema_accepts(schema, bad, why, sizeof(why)));
	assert_non_null(strstr(why, "without last_run"));
	free(bad);
	bad = replace(
	    text, "2025-11-26T13:39:00.123Z", "2025-11-26T13:39:00+00:00");
	assert_false(schema_accepts(schema, bad, why, sizeof(why)));
	free(bad);
	free(text);
	json_decref(schema);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_exact_bytes),
		cmocka_unit_test(test_round_trip_byte_stable),
		cmocka_unit_test(test_sorted_regardless_of_order),
		cmocka_unit_test(test_corrupt_refused),
		cmocka_unit_test(test_newer_version_refused),
		cmocka_unit_test(test_to_json_refuses_what_it_cannot_read),
		cmocka_unit_test(test_pending_interpreter),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_load_none_then_save),
		cmocka_unit_test(test_atomic_write_and_backup),
		cmocka_unit_test(test_corrupt_file_never_overwritten),
		cmocka_unit_test(test_cas_conflict),
		cmocka_unit_test(test_lock_exclusive),
		cmocka_unit_test(test_lock_timeout),
		cmocka_unit_test(test_lock_dead_holder_taken_over),
		cmocka_unit_test(test_lock_dead_holder_elsewhere_kept),
		cmocka_unit_test(test_lock_unreadable),
		cmocka_unit_test(test_force_unlock),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_schema_matches_written_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
