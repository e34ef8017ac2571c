/* Unit tests of src/manifest: YAML -> model, interpolation, diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <regex.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest/check.h"
#include "util/fs.h"

struct loaded {
	struct sf_config *c;
	struct sf_diags d;
	int rc;
};

static const char *
fake_env(const char *name, void *ud)
{
	(void)ud;
	if (!strcmp(name, "SF_TEST_TEAM"))
		return "platform";
	if (!strcmp(name, "SF_TEST_EMPTY"))
		return "";
	return NULL;
}

static void
load(struct loaded *l, const char *text, const char *const *vars, size_t nvars)
{
	struct sf_manifest_opts o;

	memset(&o, 0, sizeof(o));
	o.vars = vars;
	o.nvars = nvars;
	o.getenv = fake_env;
	sf_diags_init(&l->d);
	l->rc = sf_manifest_load_buffer(
	    "m.yaml", text, strlen(text), &o, &l->c, &l->d);
}

static void
unload(struct loaded *l)
{
	sf_diags_release(&l->d);
	sf_config_free(l->c);
}

/* The diagnostic whose summary contains s, or fail. */
static const struct sf_diag *
find_diag(const struct loaded *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->d.n; i++)
		if (strstr(l->d.v[i].summary, s))
			return &l->d.v[i];
	for (i = 0; i < l->d.n; i++)
		print_message("diag %zu: %u:%u %s\n", i, l->d.v[i].pos.line,
		    l->d.v[i].pos.col, l->d.v[i].summary);
	fail_msg("no diagnostic contains \"%s\"", s);
	return NULL;
}

static const char full[] =
    "version: 1\n"
    "provider:\n"
    "  target: aws\n"
    "  region: us-west-2\n"
    "variables:\n"
    "  account: \"123456789012\"\n"
    "  team: ${env.SF_TEST_TEAM}\n"
    "  timeout: 600\n"
    "interpreters:\n"
    "  zeta:\n"
    "    network: PUBLIC\n"
    "    execution_role_arn: arn:aws:iam::${var.account}:role/sandbox\n"
    "    tags: { team: \"${var.team}\", cost: 12, alpha: \"\" }\n"
    "    prevent_destroy: true\n"
    "  alpha:\n"
    "    description: plain\n"
    "    network: VPC\n"
    "    vpc:\n"
    "      subnets: [subnet-0abc12345]\n"
    "      security_groups: [sg-0abc12345]\n"
    "  defaults:\n"
    "jobs:\n"
    "  nightly:\n"
    "    interpreter: zeta\n"
    "    schedule: \"0 22 * * 1-5\"\n"
    "    timezone: America/New_York\n"
    "    session_timeout: \"${var.timeout}\"\n"
    "    timeout: 1h30m\n"
    "    jitter: 30s\n"
    "    concurrency: allow\n"
    "    keep: { succeeded: 5 }\n"
    "    steps:\n"
    "      - command: echo ${HOME} $${var.x} ${env.SF_TEST_EMPTY}.\n"
    "      - code: console.log(`${1 + 1}`)\n"
    "        language: javascript\n"
    "        expect: { exit_code: 0, stdout: '^2$' }\n"
    "      - files: [{ path: a/b.txt, text: hi }]\n"
    "      - fetch: [out.csv]\n"
    "  adhoc:\n"
    "    interpreter: aws.codeinterpreter.v1\n"
    "    steps: [{ command: 'true' }]\n";

static void
test_full_model(void **state)
{
	struct loaded l;
	const struct sf_interpreter *it;
	const struct sf_job *j;

	(void)state;
	load(&l, full, NULL, 0);
	assert_int_equal(l.rc, SF_OK);
	assert_int_equal(l.d.n, 0);
	assert_int_equal(l.c->provider.target, SF_TARGET_AWS);
	assert_string_equal(l.c->provider.region.s, "us-west-2");
	/* Client-side rate limits: on for aws, AgentCore's quotas. */
	assert_true(l.c->provider.rate_limits);
	assert_int_equal(l.c->provider.rate_create_delete.v, 5);
	assert_int_equal(l.c->provider.rate_other.v, 30);

	/* Sorted by name, whatever the order in the file. */
	assert_int_equal(l.c->ninterpreters, 3);
	assert_string_equal(l.c->interpreters[0].name.s, "alpha");
	assert_string_equal(l.c->interpreters[1].name.s, "defaults");
	assert_string_equal(l.c->interpreters[2].name.s, "zeta");

	it = sf_config_interpreter(l.c, "zeta");
	assert_non_null(it);
	assert_int_equal(it->name.pos.line, 10);
	assert_int_equal(it->name.pos.col, 3);
	assert_int_equal(it->network, SF_NET_PUBLIC);
	assert_true(it->prevent_destroy);
	assert_string_equal(
	    it->execution_role_arn.s, "arn:aws:iam::123456789012:role/sandbox");
	assert_int_equal(it->ntags, 3);
	assert_string_equal(it->tags[0].key.s, "alpha");
	assert_string_equal(it->tags[0].value.s, "");
	assert_string_equal(it->tags[1].key.s, "cost");
	assert_string_equal(it->tags[1].value.s, "12");
	assert_string_equal(it->tags[2].value.s, "platform");

	it = sf_config_interpreter(l.c, "alpha");
	assert_int_equal(it->network, SF_NET_VPC);
	assert_int_equal(it->subnets.n, 1);
	assert_string_equal(it->security_groups.v[0].s, "sg-0abc12345");
	assert_int_equal(it->security_groups.v[0].pos.line, 20);

	it = sf_config_interpreter(l.c, "defaults");
	assert_int_equal(it->network, SF_NET_SANDBOX);
	assert_false(it->prevent_destroy);
	assert_null(it->description.s);

	assert_int_equal(l.c->njobs, 2);
	j = sf_config_job(l.c, "nightly");
	assert_non_null(j);
	assert_string_equal(j->schedule_text.s, "0 22 * * 1-5");
	assert_int_equal(j->schedule.kind, SF_SCHED_CRON);
	assert_string_equal(j->timezone.s, "America/New_York");
	assert_int_equal(j->session_timeout.v, 600);
	assert_int_equal(j->timeout.v, 5400);
	assert_int_equal(j->jitter.v, 30);
	assert_int_equal(j->concurrency, SF_CONC_ALLOW);
	assert_int_equal(j->keep_succeeded.v, 5);
	assert_int_equal(j->keep_failed.v, 1);
	assert_int_equal(j->nsteps, 4);
	/* Only ${var.} and ${env.} expand; $${ is a literal ${. */
	assert_string_equal(j->steps[0].text.s, "echo ${HOME} ${var.x} .");
	assert_int_equal(j->steps[1].kind, SF_STEP_CODE);
	assert_int_equal(j->steps[1].language, SF_LANG_JAVASCRIPT);
	assert_string_equal(j->steps[1].text.s, "console.log(`${1 + 1}`)");
	assert_true(j->steps[1].has_expect);
	assert_string_equal(j->steps[1].expect.stdout_re.s, "^2$");
	assert_int_equal(j->steps[2].kind, SF_STEP_FILES);
	assert_int_equal(j->steps[2].nfiles, 1);
	assert_string_equal(j->steps[2].files[0].path.s, "a/b.txt");
	assert_int_equal(j->steps[3].kind, SF_STEP_FETCH);
	assert_string_equal(j->steps[3].fetch.v[0].s, "out.csv");

	j = sf_config_job(l.c, "adhoc");
	assert_null(j->schedule_text.s);
	assert_string_equal(j->timezone.s, "UTC");
	assert_int_equal(j->session_timeout.v, 900);
	assert_int_equal(j->concurrency, SF_CONC_FORBID);
	assert_null(sf_config_job(l.c, "missing"));
	unload(&l);
}

static void
test_var_override(void **state)
{
	static const char *const vars[] = { "account=999999999999" };
	struct loaded l;

	(void)state;
	load(&l, full, vars, 1);
	assert_int_equal(l.rc, SF_OK);
	assert_string_equal(
	    sf_config_interpreter(l.c, "zeta")->execution_role_arn.s,
	    "arn:aws:iam::999999999999:role/sandbox");
	assert_true(l.c->variables[0].overridden);
	unload(&l);
}

static void
test_var_errors(void **state)
{
	static const char *const vars[] = { "nosuch=1", "novalue" };
	struct loaded l;

	(void)state;
	load(&l,
	    "version: 1\n"
	    "variables: { a: \"${var.b}\", b: x }\n"
	    "interpreters:\n"
	    "  i:\n"
	    "    description: \"${var.missing} ${env.SF_TEST_UNSET} "
	    "${var.}\"\n",
	    vars, 2);
	assert_int_equal(l.rc, SF_EINVALID);
	assert_int_equal(l.d.errors, 6);
	assert_int_equal(find_diag(&l, "cannot refer to another")->pos.line, 2);
	assert_int_equal(
	    find_diag(&l, "undeclared variable \"missing\"")->pos.col, 19);
	find_diag(&l, "environment variable SF_TEST_UNSET is not set");
	find_diag(&l, "malformed reference \"${var.}\"");
	assert_null(find_diag(&l, "--var nosuch")->pos.file);
	find_diag(&l, "--var \"novalue\": expected NAME=VALUE");
	unload(&l);
}

static void
test_all_errors_reported_in_order(void **state)
{
	struct loaded l;
	const struct sf_diag *g;

	(void)state;
	load(&l,
	    "version: 1\n"
	    "interpreters:\n"
	    "  a-b:\n"
	    "    netwrok: PUBLIC\n"
	    "    network: public\n"
	    "    network: VPC\n"
	    "jobs:\n"
	    "  j:\n"
	    "    interpreter: nope\n"
	    "    schedule: \"0 24 * * *\"\n"
	    "    steps: []\n",
	    NULL, 0);
	assert_int_equal(l.rc, SF_EINVALID);
	g = find_diag(&l, "invalid interpreter name \"a-b\"");
	assert_int_equal(g->pos.line, 3);
	g = find_diag(&l, "unknown key \"netwrok\"");
	assert_int_equal(g->pos.line, 4);
	assert_int_equal(g->pos.col, 5);
	assert_int_equal(g->pos.end_col, 12);
	g = find_diag(&l, "did you mean \"PUBLIC\"");
	assert_int_equal(g->pos.col, 14);
	g = find_diag(&l, "duplicate key \"network\"");
	assert_int_equal(g->pos.line, 6);
	g = find_diag(&l, "\"nope\" is not declared");
	assert_int_equal(g->pos.line, 9);
	/* The column points into the quoted schedule, at the hour. */
	g = find_diag(&l, "hour 24");
	assert_int_equal(g->pos.line, 10);
	assert_int_equal(g->pos.col, 18);
	find_diag(&l, "steps is empty");
	/* Sorted by position. */
	for (size_t i = 1; i < l.d.n; i++)
		assert_true(l.d.v[i - 1].pos.line <= l.d.v[i].pos.line);
	unload(&l);
}

static void
test_unsupported_yaml(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, "version: 1\nvariables: &v { a: 1 }\n", NULL, 0);
	assert_int_equal(l.rc, SF_EINVALID);
	find_diag(&l, "anchors (&v) are not supported");
	unload(&l);

	load(&l, "version: !!int 1\n", NULL, 0);
	find_diag(&l, "tags (!!int) are not supported");
	unload(&l);

	load(&l, "version: 1\n---\nversion: 1\n", NULL, 0);
	assert_int_equal(find_diag(&l, "one YAML document")->pos.line, 2);
	unload(&l);

	load(&l, "version: 1\ninterpreters: {a: [}\n", NULL, 0);
	assert_int_equal(find_diag(&l, "invalid YAML")->pos.line, 2);
	unload(&l);

	load(&l, "- 1\n- 2\n", NULL, 0);
	find_diag(&l, "top level of a manifest must be a mapping, not a list");
	unload(&l);

	load(&l, "version: 1\n\xff\n", NULL, 0);
	assert_int_equal(find_diag(&l, "invalid UTF-8")->pos.line, 2);
	unload(&l);
}

static void
test_deep_nesting_is_an_error(void **state)
{
	struct loaded l;
	size_t n = 100000, i;
	char *deep = sf_xmalloc(n + 1);

	(void)state;
	for (i = 0; i < n; i++)
		deep[i] = '[';
	deep[n] = '\0';
	load(&l, deep, NULL, 0);
	assert_int_equal(l.rc, SF_EINVALID);
	find_diag(&l, "nesting is deeper than 64 levels");
	unload(&l);
	free(deep);
}

static void
test_empty_and_versionless(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, "", NULL, 0);
	assert_int_equal(l.rc, SF_EINVALID);
	find_diag(&l, "no file of the configuration sets version: 1");
	unload(&l);

	load(&l, "version: 2\n", NULL, 0);
	find_diag(&l, "unsupported manifest version 2");
	unload(&l);

	load(&l, "version: 1\n", NULL, 0);
	assert_int_equal(l.rc, SF_OK);
	assert_int_equal(l.c->ninterpreters, 0);
	unload(&l);
}

/* The hand-written matchers agree with the model's regular expressions. */
static void
test_patterns_match_their_regex(void **state)
{
	static const char *const samples[] = { "", "a", "A_1", "1a", "a-b",
		"_x", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvw",
		"arn:aws:iam::123456789012:role/x", "arn:aws:iam:::role/x",
		"arn:aws-cn:iam::123456789012:role/a/b",
		"arn:aws:iam::12345678901:role/x",
		"arn:aws:iam::123456789012:role/",
		"arn:aws-:iam::123456789012:role/x",
		"arn:aws:iam::123456789012:user/x", "subnet-0abc1234",
		"subnet-0abc12345", "subnet-0123456789abcdefg",
		"subnet-0123456789abcdefgh", "sg-0abc12345", "sg-0abc_12345",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:my/"
		"cert-AbC",
		"arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:"
		"secret:x",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:",
		"arn:aws:secretsmanager:US:123456789012:secret:x", "team",
		"a b.c:d/e=f+g@h-i", "tab\there", "bad!", "caf\xc3\xa9",
		"us-west-2", "us-gov-west-1", "eu-central-1", "us-west",
		"usa-west-2", "us--west-2", "us-west-2a", "a1-west-2" };
	size_t p, i;

	(void)state;
	for (p = 0; p < PAT__COUNT; p++) {
		regex_t re;

		assert_int_equal(
		    regcomp(&re, sf_pattern_regex((enum sf_pattern)p),
		        REG_EXTENDED | REG_NOSUB),
		    0);
		for (i = 0; i < SF_ARRAY_LEN(samples); i++) {
			bool want = regexec(&re, samples[i], 0, NULL, 0) == 0;

			if (sf_pattern_match((enum sf_pattern)p, samples[i]) !=
			    want)
				fail_msg("pattern %s and \"%s\": regex says %d",
				    sf_pattern_regex((enum sf_pattern)p),
				    samples[i], want);
		}
		regfree(&re);
	}
	/* The model's patterns are ECMAScript's, where . stops at a newline
	 * (POSIX's does not, so this one is checked on its own). */
	assert_false(sf_pattern_match(
	    PAT_ROLE_ARN, "arn:aws:iam::123456789012:role/x\ny"));
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *p = sf_fs_join(dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

/* Names are unique across the files of a directory; files are read in
 * name order and editor litter is skipped. */
static void
test_directory_of_files(void **state)
{
	char dir[] = "/tmp/sf-manifest-XXXXXX";
	struct sf_config *c = NULL;
	struct sf_diags d;
	const struct sf_diag *g = NULL;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(
	    dir, "b.yaml", "interpreters:\n  shared: {}\n  only_b: {}\n");
	write_file(dir, "a.yml", "version: 1\ninterpreters:\n  shared: {}\n");
	write_file(dir, ".hidden.yaml", "this: is: not: yaml\n");
	write_file(dir, "c.yaml~", "nor: [this\n");
	write_file(dir, "notes.txt", "ignored\n");
	sf_diags_init(&d);
	assert_int_equal(sf_manifest_load(dir, NULL, &c, &d), SF_EINVALID);
	assert_int_equal(c->nsources, 2);
	assert_true(sf_str_has_suffix(c->sources[0].path, "/a.yml"));
	assert_int_equal(d.errors, 1);
	g = &d.v[0];
	assert_true(sf_str_has_suffix(g->pos.file, "/b.yaml"));
	assert_int_equal(g->pos.line, 2);
	assert_non_null(strstr(g->summary, "interpreter \"shared\" is declared "
	                                   "twice; the first is at"));
	assert_non_null(strstr(g->summary, "a.yml:3:3"));
	assert_int_equal(c->ninterpreters, 2);
	sf_diags_release(&d);
	sf_config_free(c);

	for (i = 0; i < 4; i++) {
		static const char *const names[] = { "a.yml", "b.yaml",
			".hidden.yaml", "c.yaml~" };
		char *p = sf_fs_join(dir, names[i]);

		unlink(p);
		free(p);
	}
	/* Only notes.txt is left: no manifests is an error, not a crash. */
	sf_diags_init(&d);
	assert_int_equal(sf_manifest_load(dir, NULL, &c, &d), SF_EINVALID);
	assert_non_null(strstr(d.v[0].summary, "no manifests here"));
	sf_diags_release(&d);
	sf_config_free(c);
	{
		char *p = sf_fs_join(dir, "notes.txt");

		unlink(p);
		free(p);
	}
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_model),
		cmocka_unit_test(test_var_override),
		cmocka_unit_test(test_var_errors),
		cmocka_unit_test(test_all_errors_reported_in_order),
		cmocka_unit_test(test_unsupported_yaml),
		cmocka_unit_test(test_deep_nesting_is_an_error),
		cmocka_unit_test(test_empty_and_versionless),
		cmocka_unit_test(test_patterns_match_their_regex),
		cmocka_unit_test(test_directory_of_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
