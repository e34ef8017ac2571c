/*
 * Unit tests of sandform diff's libraries: the line diff, redaction, the
 * configuration diff and its risk notes, the Markdown budget, the JSON
 * shape, and src/git (manifests at a ref, the manifest hash, provenance)
 * on repositories made with the git command.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff/diff.h"
#include "diff/md.h"
#include "diff/redact.h"
#include "diff/render.h"
#include "diff/textdiff.h"
#include "git/git.h"
#include "manifest/manifest.h"

/* 2026-01-05T09:30:00Z, a Monday */
#define NOW 1767605400000LL

/* ---- the line diff ---- */

static char *
udiff(const char *a, const char *b, unsigned ctx)
{
	struct sf_buf out = SF_BUF_INIT;

	sf_textdiff_unified(&out, a, b, ctx);
	return sf_buf_detach(&out, NULL);
}

static void
textdiff_equal(void **state)
{
	struct sf_buf out = SF_BUF_INIT;

	(void)state;
	assert_false(sf_textdiff_unified(&out, "a\nb\n", "a\nb\n", 3));
	assert_int_equal(out.len, 0);
	/* A missing final newline is no difference. */
	assert_false(sf_textdiff_unified(&out, "a\nb", "a\nb\n", 3));
	assert_false(sf_textdiff_unified(&out, "", "", 3));
	assert_false(sf_textdiff_unified(&out, NULL, "", 3));
	sf_buf_release(&out);
}

static void
textdiff_hunks(void **state)
{
	char *d;

	(void)state;
	d = udiff("a\nb\nc\n", "a\nB\nc\n", 3);
	assert_string_equal(d, "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
	free(d);
	d = udiff("", "x\ny\n", 3);
	assert_string_equal(d, "@@ -0,0 +1,2 @@\n+x\n+y\n");
	free(d);
	d = udiff("x\ny\n", "", 3);
	assert_string_equal(d, "@@ -1,2 +0,0 @@\n-x\n-y\n");
	free(d);
	d = udiff("1\n2\n3\n", "1\n2\n3\n4\n", 1);
	assert_string_equal(d, "@@ -3 +3,2 @@\n 3\n+4\n");
	free(d);
	d = udiff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
	    "1\nX\n3\n4\n5\n6\n7\n8\nY\n10\n", 1);
	assert_string_equal(d, "@@ -1,3 +1,3 @@\n 1\n-2\n+X\n 3\n"
	                       "@@ -8,3 +8,3 @@\n 8\n-9\n+Y\n 10\n");
	free(d);
	/* Changes 2 * ctx apart share a hunk. */
	d = udiff("1\n2\n3\n4\n5\n", "X\n2\n3\n4\nY\n", 2);
	assert_string_equal(d, "@@ -1,5 +1,5 @@\n-1\n+X\n 2\n 3\n 4\n-5\n+Y\n");
	free(d);
	/* The LCS keeps the common lines in the middle. */
	d = udiff("a\nb\nc\nd\n", "b\nx\nd\ne\n", 0);
	assert_string_equal(
	    d, "@@ -1 +0,0 @@\n-a\n@@ -3 +2 @@\n-c\n+x\n@@ -4,0 +4 @@\n+e\n");
	free(d);
}

static void
textdiff_too_big(void **state)
{
	struct sf_buf a = SF_BUF_INIT, b = SF_BUF_INIT;
	char *d, *p;
	size_t i, minus = 0;

	(void)state;
	for (i = 0; i < 2100; i++) {
		sf_buf_addf(&a, "a%zu\n", i);
		sf_buf_addf(&b, "b%zu\n", i);
	}
	d = udiff(a.buf, b.buf, 3);
	assert_true(sf_str_has_prefix(d, "@@ -1,2100 +1,2100 @@\n-a0\n"));
	/* Not aligned: every line removed, then every line added. */
	for (p = strchr(d, '\n') + 1; *p == '-'; p = strchr(p, '\n') + 1)
		minus++;
	assert_int_equal(minus, 2100);
	free(d);
	sf_buf_release(&a);
	sf_buf_release(&b);
}

/* ---- redaction ---- */

static void
redacts(const char *in, const char *want, size_t count)
{
	struct sf_buf out = SF_BUF_INIT;
	size_t n = sf_redact(&out, in, strlen(in));

	if (strcmp(out.buf, want) || n != count)
		fail_msg("redact \"%s\": got \"%s\" (%zu), want \"%s\" (%zu)",
		    in, out.buf, n, want, count);
	sf_buf_release(&out);
}

static void
redact_secrets(void **state)
{
	(void)state;
	redacts("key AKIAIOSFODNN7EXAMPLE here", "key [REDACTED] here", 1);
	redacts("ASIAY34FZKBOKMUTVV7A", "[REDACTED]", 1);
	redacts("\"AKIAIOSFODNN7EXAMPLE\"", "\"[REDACTED]\"", 1);
	redacts("aws_secret_access_key = "
	        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	    "aws_secret_access_key = [REDACTED]", 1);
	redacts("\"SecretAccessKey\": "
	        "\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"",
	    "\"SecretAccessKey\": \"[REDACTED]\"", 1);
	redacts("-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabc\n"
	        "-----END RSA PRIVATE KEY-----\nafter",
	    "[REDACTED]\nafter", 1);
	redacts("-----BEGIN OPENSSH PRIVATE KEY-----\\nb3Blbn\\n"
	        "-----END OPENSSH PRIVATE KEY-----",
	    "[REDACTED]", 1);
	/* Without its END line: the rest of the line, or of the string. */
	redacts(
	    "\"-----BEGIN PRIVATE KEY-----MIIE\", 1", "\"[REDACTED]\", 1", 1);
	redacts("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 x",
	    "token [REDACTED] x", 1);
	redacts(
	    "github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "[REDACTED]", 1);
	redacts("glpat-abcdefghij0123456789", "[REDACTED]", 1);
	redacts("xoxb-1234567890-abcdefghij", "[REDACTED]", 1);
	redacts("xoxp-123", "xoxp-123", 0);
	redacts("mysql --password=hunter2 -h db",
	    "mysql --password=[REDACTED] -h db", 1);
	redacts("PASSWORD: 's3cr3t'", "PASSWORD: '[REDACTED]'", 1);
	redacts("{\"api_key\":\"abc123\"}", "{\"api_key\":\"[REDACTED]\"}", 1);
	redacts("\\\"token\\\": \\\"abc\\\"",
	    "\\\"token\\\": \\\"[REDACTED]\\\"", 1);
	redacts("DB_PASSWORD=hunter2 ./run", "DB_PASSWORD=[REDACTED] ./run", 1);
	redacts("a AKIAIOSFODNN7EXAMPLE b password=x",
	    "a [REDACTED] b password=[REDACTED]", 2);
}

static void
redact_leaves_alone(void **state)
{
	static const char *const same[] = {
		"password = get_password()",
		"token = os.environ['TOKEN']",
		"password=$DB_PASSWORD",
		("arn:aws:secretsmanager:us-west-2:123456789012:secret:"
		 "ca-AbCdEf"),
		"max_tokens=100",
		"XAKIAIOSFODNN7EXAMPLE",
		"AKIAIOSFODNN7EXAMPLEX",
		"AKIA-not-a-key",
		"-----BEGIN CERTIFICATE-----\nMIIE\n-----END CERTIFICATE-----",
		"ghp_short",
		"password:",
		"the password is in the vault",
	};
	size_t i;

	(void)state;
	for (i = 0; i < SF_ARRAY_LEN(same); i++)
		redacts(same[i], same[i], 0);
	redacts("secret: short", "secret: [REDACTED]", 1);
	assert_true(sf_redact_sensitive_name("db_password"));
	assert_true(sf_redact_sensitive_name("API_TOKEN"));
	assert_true(sf_redact_sensitive_name("githubCredentials"));
	assert_false(sf_redact_sensitive_name("account"));
	assert_false(sf_redact_sensitive_name("region"));
}

/* ---- the configuration diff ---- */

struct pair {
	struct sf_config *base, *head;
	struct sf_diff d;
};

static struct sf_config *
load(const char *name, const char *yaml)
{
	struct sf_config *c = NULL;
	struct sf_diags d;

	sf_diags_init(&d);
	if (sf_manifest_load_buffer(name, yaml, strlen(yaml), NULL, &c, &d)) {
		size_t i;

		for (i = 0; i < d.n; i++)
			print_error("%s:%u:%u: %s\n", d.v[i].pos.file,
			    d.v[i].pos.line, d.v[i].pos.col, d.v[i].summary);
		fail_msg("%s does not load", name);
	}
	sf_diags_release(&d);
	return c;
}

static void
diff_of(struct pair *p, const char *base, const char *head)
{
	struct sf_diff_opts o;

	memset(&o, 0, sizeof(o));
	o.now = NOW;
	sf_rates_default(&o.rates);
	p->base = load("base.yaml", base);
	p->head = load("head.yaml", head);
	sf_diff_build(p->base, p->head, &o, &p->d);
}

static void
pair_release(struct pair *p)
{
	sf_diff_release(&p->d);
	sf_config_free(p->base);
	sf_config_free(p->head);
}

static const struct sf_diff_change *
find(const struct sf_diff *d, enum sf_diff_kind k, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].kind == k && !strcmp(d->v[i].name, name))
			return &d->v[i];
	return NULL;
}

static const struct sf_diff_attr *
attr(const struct sf_diff_change *c, const char *name)
{
	size_t i;

	for (i = 0; c && i < c->nattrs; i++)
		if (!strcmp(c->attrs[i].name, name))
			return &c->attrs[i];
	return NULL;
}

static bool
has_risk(const struct sf_diff_change *c, enum sf_risk r, const char *text)
{
	size_t i;

	for (i = 0; c && i < c->nnotes; i++)
		if (c->notes[i].risk == r &&
		    (!text || strstr(c->notes[i].msg, text)))
			return true;
	return false;
}

static const char interps_base[] =
    "version: 1\n"
    "interpreters:\n"
    "  same: { network: PUBLIC, tags: { a: b } }\n"
    "  retag: { tags: { team: web, env: staging } }\n"
    "  reorder:\n"
    "    network: VPC\n"
    "    vpc: { subnets: [subnet-0aaaaaaaa, subnet-0bbbbbbbb],\n"
    "           security_groups: [sg-0abc12345] }\n"
    "  guard: { prevent_destroy: true }\n"
    "  unguard: { prevent_destroy: true, description: x }\n"
    "  open: { network: SANDBOX }\n"
    "  role: { execution_role_arn: 'arn:aws:iam::123456789012:role/a' }\n"
    "  gone: { network: PUBLIC }\n"
    "  gone_guarded: { prevent_destroy: true }\n"
    "jobs:\n"
    "  uses_open:\n"
    "    interpreter: open\n"
    "    steps: [{ command: x }]\n";
static const char interps_head[] =
    "version: 1\n"
    "interpreters:\n"
    "  same: { network: PUBLIC, tags: { a: b } }\n"
    "  retag: { tags: { team: web, env: prod, new: 'yes' } }\n"
    "  reorder:\n"
    "    network: VPC\n"
    "    vpc: { subnets: [subnet-0bbbbbbbb, subnet-0aaaaaaaa],\n"
    "           security_groups: [sg-0abc12345] }\n"
    "  guard: { prevent_destroy: true, description: changed }\n"
    "  unguard: { description: x }\n"
    "  open: { network: PUBLIC }\n"
    "  role: { execution_role_arn: 'arn:aws:iam::123456789012:role/b' }\n"
    "  fresh: { network: PUBLIC, execution_role_arn: "
    "'arn:aws:iam::123456789012:role/f' }\n"
    "jobs:\n"
    "  uses_open:\n"
    "    interpreter: open\n"
    "    steps: [{ command: x }]\n";

static void
diff_interpreters(void **state)
{
	struct pair p;
	const struct sf_diff_change *c;
	const struct sf_diff_attr *a;

	(void)state;
	diff_of(&p, interps_base, interps_head);
	assert_null(find(&p.d, SF_DIFF_INTERPRETER, "same"));
	/* Lists compare as sets, as the planner has it. */
	assert_null(find(&p.d, SF_DIFF_INTERPRETER, "reorder"));

	c = find(&p.d, SF_DIFF_INTERPRETER, "retag");
	assert_non_null(c);
	assert_int_equal(c->action, SF_DIFF_UPDATE);
	assert_false(c->sandform_only);
	a = attr(c, "tags.env");
	assert_non_null(a);
	assert_string_equal(a->before, "\"staging\"");
	assert_string_equal(a->after, "\"prod\"");
	assert_false(a->forces_replacement);
	assert_null(attr(c, "tags.new")->before);

	c = find(&p.d, SF_DIFF_INTERPRETER, "guard");
	assert_int_equal(c->action, SF_DIFF_REPLACE);
	assert_true(attr(c, "description")->forces_replacement);
	assert_true(has_risk(c, SF_RISK_PROTECTED, "refuse to replace"));

	c = find(&p.d, SF_DIFF_INTERPRETER, "unguard");
	assert_int_equal(c->action, SF_DIFF_UPDATE);
	assert_true(c->sandform_only);
	assert_true(has_risk(c, SF_RISK_UNPROTECT, NULL));

	c = find(&p.d, SF_DIFF_INTERPRETER, "open");
	assert_int_equal(c->action, SF_DIFF_REPLACE);
	assert_true(has_risk(c, SF_RISK_NETWORK, "SANDBOX -> PUBLIC"));
	assert_true(has_risk(c, SF_RISK_IN_USE, "(uses_open)"));
	assert_int_equal(c->njobs, 1);

	c = find(&p.d, SF_DIFF_INTERPRETER, "role");
	assert_int_equal(c->action, SF_DIFF_REPLACE);
	assert_true(has_risk(c, SF_RISK_ROLE, "role/a -> "));
	assert_false(has_risk(c, SF_RISK_NETWORK, NULL));

	c = find(&p.d, SF_DIFF_INTERPRETER, "fresh");
	assert_int_equal(c->action, SF_DIFF_ADD);
	assert_true(has_risk(c, SF_RISK_NETWORK, "new PUBLIC"));
	assert_true(has_risk(c, SF_RISK_ROLE, "role/f"));

	c = find(&p.d, SF_DIFF_INTERPRETER, "gone");
	assert_int_equal(c->action, SF_DIFF_REMOVE);
	assert_int_equal(c->nnotes, 0);
	c = find(&p.d, SF_DIFF_INTERPRETER, "gone_guarded");
	assert_true(has_risk(c, SF_RISK_PROTECTED, "refuse to delete"));

	assert_int_equal(p.d.counts[SF_DIFF_INTERPRETER].add, 1);
	assert_int_equal(p.d.counts[SF_DIFF_INTERPRETER].update, 2);
	assert_int_equal(p.d.counts[SF_DIFF_INTERPRETER].replace, 3);
	assert_int_equal(p.d.counts[SF_DIFF_INTERPRETER].remove, 2);
	assert_true(p.d.widened);
	assert_true(sf_diff_is_destructive(&p.d));
	/* Sorted by kind, then name. */
	assert_string_equal(p.d.v[0].name, "fresh");
	assert_string_equal(p.d.v[1].name, "gone");
	pair_release(&p);
}

static void
diff_nothing(void **state)
{
	struct pair p;

	(void)state;
	diff_of(&p, interps_base, interps_base);
	assert_false(sf_diff_has_changes(&p.d));
	assert_false(sf_diff_is_destructive(&p.d));
	assert_int_equal(p.d.nnotes, 0);
	pair_release(&p);
}

static const char jobs_base[] =
    "version: 1\n"
    "interpreters: { quiet: {}, loud: { network: PUBLIC } }\n"
    "jobs:\n"
    "  freq:\n"
    "    interpreter: quiet\n"
    "    schedule: '@daily'\n"
    "    session_timeout: 600\n"
    "    steps: [{ command: a }]\n"
    "  slow:\n"
    "    interpreter: quiet\n"
    "    schedule: '@hourly'\n"
    "    timeout: 60\n"
    "    steps: [{ command: a }]\n"
    "  moved:\n"
    "    interpreter: quiet\n"
    "    steps: [{ command: a }]\n"
    "  code:\n"
    "    interpreter: quiet\n"
    "    steps:\n"
    "      - code: |\n"
    "          print(1)\n"
    "          print(2)\n"
    "  old:\n"
    "    interpreter: quiet\n"
    "    steps: [{ command: a }]\n";
static const char jobs_head[] =
    "version: 1\n"
    "interpreters: { quiet: {}, loud: { network: PUBLIC } }\n"
    "jobs:\n"
    "  freq:\n"
    "    interpreter: quiet\n"
    "    schedule: '@hourly'\n"
    "    session_timeout: 1200\n"
    "    steps: [{ command: a }]\n"
    "  slow:\n"
    "    interpreter: quiet\n"
    "    schedule: '@daily'\n"
    "    timeout: 60\n"
    "    steps: [{ command: a }]\n"
    "  moved:\n"
    "    interpreter: loud\n"
    "    steps: [{ command: a }]\n"
    "  code:\n"
    "    interpreter: quiet\n"
    "    steps:\n"
    "      - code: |\n"
    "          print(1)\n"
    "          print(3)\n"
    "  new:\n"
    "    interpreter: quiet\n"
    "    schedule: 'every 6h'\n"
    "    steps: [{ command: b }]\n";

static void
diff_jobs(void **state)
{
	struct pair p;
	const struct sf_diff_change *c;
	struct sf_rates r;

	(void)state;
	sf_rates_default(&r);
	diff_of(&p, jobs_base, jobs_head);

	c = find(&p.d, SF_DIFF_JOB, "freq");
	assert_non_null(c);
	assert_int_equal(c->action, SF_DIFF_UPDATE);
	assert_true(c->schedule_changed);
	assert_int_equal(c->sched[0].runs_per_month, 30);
	assert_int_equal(c->sched[1].runs_per_month, 720);
	/* No timeout: a run is assumed to last its session_timeout. */
	assert_int_equal(c->sched[0].run_ms, 600000);
	assert_int_equal(c->sched[1].run_ms, 1200000);
	assert_true(c->sched[1].cost == 720 * sf_session_cost(&r, 1200000));
	assert_int_equal(c->sched[1].nnext, 3);
	assert_string_equal(c->sched[1].next_text[0], "2026-01-05 10:00 UTC");
	assert_true(has_risk(c, SF_RISK_FREQUENCY, "30 -> 720 runs"));
	assert_true(has_risk(c, SF_RISK_TIMEOUT, "600 s -> 1200 s"));
	assert_null(c->steps_diff);

	c = find(&p.d, SF_DIFF_JOB, "slow");
	assert_int_equal(c->sched[0].run_ms, 60000); /* its timeout */
	assert_false(has_risk(c, SF_RISK_FREQUENCY, NULL));

	c = find(&p.d, SF_DIFF_JOB, "moved");
	assert_true(has_risk(c, SF_RISK_NETWORK, "now runs in loud (PUBLIC)"));
	assert_false(c->sched[0].set);

	c = find(&p.d, SF_DIFF_JOB, "code");
	assert_non_null(c->steps_diff);
	assert_string_equal(c->steps_diff,
	    "@@ -1,3 +1,3 @@\n # step 1: code, python\n print(1)\n"
	    "-print(2)\n+print(3)\n");
	assert_int_equal(c->nattrs, 0);

	c = find(&p.d, SF_DIFF_JOB, "new");
	assert_int_equal(c->action, SF_DIFF_ADD);
	assert_int_equal(c->sched[1].runs_per_month, 120);
	assert_true(sf_str_has_prefix(c->steps_diff, "@@ -0,0 +1,2 @@\n"));
	assert_int_equal(c->nnotes, 0);

	c = find(&p.d, SF_DIFF_JOB, "old");
	assert_int_equal(c->action, SF_DIFF_REMOVE);
	assert_true(sf_diff_is_destructive(&p.d));
	assert_true(p.d.widened);
	pair_release(&p);
}

static void
diff_variables_provider(void **state)
{
	struct pair p;
	const struct sf_diff_change *c;

	(void)state;
	diff_of(&p,
	    "version: 1\nprovider: { target: local }\n"
	    "variables: { a: '1', gone: x, db_password: one }\n",
	    "version: 1\nprovider: { target: aws, region: eu-west-1 }\n"
	    "variables: { a: '2', added: y, db_password: two }\n");
	c = find(&p.d, SF_DIFF_VARIABLE, "a");
	assert_string_equal(attr(c, "value")->before, "\"1\"");
	assert_string_equal(attr(c, "value")->after, "\"2\"");
	c = find(&p.d, SF_DIFF_VARIABLE, "db_password");
	assert_null(strstr(attr(c, "value")->before, "one"));
	assert_null(strstr(attr(c, "value")->after, "two"));
	assert_int_equal(
	    find(&p.d, SF_DIFF_VARIABLE, "gone")->action, SF_DIFF_REMOVE);
	assert_int_equal(
	    find(&p.d, SF_DIFF_VARIABLE, "added")->action, SF_DIFF_ADD);
	c = find(&p.d, SF_DIFF_PROVIDER, "provider");
	assert_non_null(c);
	assert_true(has_risk(c, SF_RISK_TARGET, NULL));
	assert_string_equal(attr(c, "region")->after, "\"eu-west-1\"");
	/* Variables alone are no reason for a warning banner. */
	assert_false(sf_diff_is_destructive(&p.d));
	pair_release(&p);
}

static void
diff_policy_pricing(void **state)
{
	struct pair p;
	const struct sf_diff_change *c;

	(void)state;
	diff_of(&p,
	    "version: 1\npolicy:\n  allowed_networks: [SANDBOX]\n"
	    "  max_session_timeout: 900\n  required_tags: [team, owner]\n",
	    "version: 1\npolicy:\n  allowed_networks: [SANDBOX, PUBLIC]\n"
	    "  max_session_timeout: 600\n  required_tags: [team, owner]\n"
	    "pricing: { vcpus: 4 }\n");
	c = find(&p.d, SF_DIFF_POLICY, "policy");
	assert_non_null(c);
	assert_string_equal(
	    attr(c, "allowed_networks")->before, "[\"SANDBOX\"]");
	assert_string_equal(
	    attr(c, "allowed_networks")->after, "[\"PUBLIC\", \"SANDBOX\"]");
	/* A lower limit tightens: only the networks are named. */
	assert_true(has_risk(c, SF_RISK_POLICY, "relaxed (allowed_networks)"));
	assert_true(p.d.relaxed);
	assert_true(sf_diff_is_destructive(&p.d));
	c = find(&p.d, SF_DIFF_PRICING, "pricing");
	assert_string_equal(attr(c, "vcpus")->after, "4");
	assert_true(sf_diff_kind_single(SF_DIFF_POLICY));
	assert_false(sf_diff_kind_single(SF_DIFF_JOB));
	pair_release(&p);

	/* Guards added or tightened are a change, not a risk. */
	diff_of(&p, "version: 1\n",
	    "version: 1\npolicy: { max_runs_per_day: 10, required_tags: [a] "
	    "}\n");
	c = find(&p.d, SF_DIFF_POLICY, "policy");
	assert_non_null(c);
	assert_int_equal(c->nnotes, 0);
	assert_false(sf_diff_is_destructive(&p.d));
	pair_release(&p);
	diff_of(&p, "version: 1\npolicy: { max_runs_per_day: 10 }\n",
	    "version: 1\n");
	assert_true(has_risk(find(&p.d, SF_DIFF_POLICY, "policy"),
	    SF_RISK_POLICY, "(max_runs_per_day)"));
	pair_release(&p);
}

static void
money(void **state)
{
	char m[32];

	(void)state;
	sf_diff_money(m, sizeof(m), 0);
	assert_string_equal(m, "$0.00");
	sf_diff_money(m, sizeof(m), 1.005);
	assert_true(!strcmp(m, "$1.00") || !strcmp(m, "$1.01"));
	sf_diff_money(m, sizeof(m), 999.999);
	assert_string_equal(m, "$1,000.00");
	sf_diff_money(m, sizeof(m), 1234567.891);
	assert_string_equal(m, "$1,234,567.89");
	sf_diff_money(m, sizeof(m), -1190.594);
	assert_string_equal(m, "-$1,190.59");
	sf_diff_money(m, sizeof(m), -0.001);
	assert_string_equal(m, "$0.00");
}

/* ---- renderings ---- */

static struct sf_diff_render
render_opts(const struct sf_rates *rates)
{
	struct sf_diff_render r;

	memset(&r, 0, sizeof(r));
	r.base.ref = "main";
	r.base.commit = "0123456789abcdef0123456789abcdef01234567";
	r.head.commit = "89abcdef0123456789abcdef0123456789abcdef";
	r.head.dirty = true;
	r.dir = "conf";
	r.command = "sandform diff --base main conf";
	r.rates = rates;
	return r;
}

static void
render_json_shape(void **state)
{
	struct pair p;
	struct sf_buf out = SF_BUF_INIT;
	struct sf_rates rates;
	struct sf_diff_render r;
	json_error_t e;
	json_t *root, *changes, *c;
	size_t i;
	bool seen_job = false;

	(void)state;
	sf_rates_default(&rates);
	r = render_opts(&rates);
	diff_of(&p, jobs_base, jobs_head);
	sf_diff_render_json(&p.d, &r, &out);
	root = json_loads(out.buf, 0, &e);
	if (!root)
		fail_msg("not JSON: %s at %d:%d", e.text, e.line, e.column);
	assert_string_equal(
	    json_string_value(json_object_get(root, "format_version")), "1.0");
	assert_true(json_is_null(
	    json_object_get(json_object_get(root, "head"), "ref")));
	assert_true(json_is_true(
	    json_object_get(json_object_get(root, "head"), "dirty")));
	changes = json_object_get(root, "changes");
	assert_int_equal(json_array_size(changes), p.d.n);
	json_array_foreach(changes, i, c)
	{
		json_t *sched = json_object_get(c, "schedule");

		if (strcmp(
		        json_string_value(json_object_get(c, "name")), "freq"))
			continue;
		seen_job = true;
		assert_int_equal(
		    json_integer_value(json_object_get(
		        json_object_get(sched, "after"), "runs_per_month")),
		    720);
		assert_string_equal(
		    json_string_value(json_array_get(
		        json_object_get(
		            json_object_get(sched, "after"), "next"),
		        0)),
		    "2026-01-05T10:00:00Z");
		assert_int_equal(
		    json_integer_value(json_object_get(
		        json_array_get(json_object_get(c, "attributes"), 1),
		        "after")),
		    1200);
	}
	assert_true(seen_job);
	json_decref(root);
	sf_buf_release(&out);
	pair_release(&p);
}

static void
render_markdown_limit(void **state)
{
	struct sf_buf yaml = SF_BUF_INIT, out = SF_BUF_INIT;
	struct sf_rates rates;
	struct sf_diff_render r;
	struct pair p;
	size_t i;

	(void)state;
	sf_rates_default(&rates);
	r = render_opts(&rates);
	sf_buf_adds(&yaml, "version: 1\ninterpreters:\n");
	for (i = 0; i < 400; i++)
		sf_buf_addf(&yaml, "  i%03zu: { network: PUBLIC }\n", i);
	diff_of(&p, "version: 1\n", yaml.buf);
	r.limit = 8000;
	sf_diff_render_markdown(&p.d, &r, &out);
	assert_true(out.len <= 8000);
	assert_non_null(strstr(out.buf, "| interpreters | **400** |"));
	assert_non_null(strstr(out.buf, "> [!WARNING]\n"));
	assert_non_null(strstr(out.buf, "> [!NOTE]\n"));
	assert_non_null(strstr(out.buf, "of 400 resources are not shown ("));
	assert_non_null(strstr(out.buf, "run <code>sandform diff --base main "
	                                "conf</code>."));
	assert_non_null(strstr(out.buf, "- &hellip; and 350 more"));
	sf_buf_reset(&out);
	r.limit = 0;
	sf_diff_render_markdown(&p.d, &r, &out);
	assert_true(out.len <= SF_MD_LIMIT);
	assert_true(out.len > SF_MD_LIMIT - 4096);
	assert_non_null(strstr(out.buf, "<b>i000</b>"));
	sf_buf_release(&out);
	sf_buf_release(&yaml);
	pair_release(&p);
}

static void
md_pieces(void **state)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_md_doc doc;
	size_t red = 0, i;

	(void)state;
	sf_md_code(&b, "a|b<c>&d\nAKIAIOSFODNN7EXAMPLE", &red);
	assert_string_equal(b.buf, "<code>a&#124;b&lt;c&gt;&amp;d<br>&#91;"
	                           "REDACTED&#93;</code>");
	sf_buf_reset(&b);
	sf_md_code(&b, "\"*/15 * * * *\" a_b `x` @team", &red);
	assert_string_equal(b.buf,
	    "<code>\"&#42;/15 &#42; &#42; &#42; "
	    "&#42;\" a&#95;b &#96;x&#96; &#64;team</code>");
	assert_int_equal(red, 1);
	sf_buf_reset(&b);
	sf_md_fence(&b, "diff", "+x ``` y\n", &red);
	assert_string_equal(b.buf, "````diff\n+x ``` y\n````\n");
	sf_buf_reset(&b);
	sf_md_text(&b, "a_b *c* [d] <e> #f");
	assert_string_equal(b.buf, "a\\_b \\*c\\* \\[d\\] &lt;e&gt; \\#f");
	sf_buf_reset(&b);

	/* Blocks that do not fit are left out from the first that does not
	 * fit on, and the note names them. */
	sf_md_init(&doc);
	sf_buf_adds(&doc.head, "head\n");
	sf_buf_adds(&doc.foot, "foot\n");
	for (i = 0; i < 10; i++) {
		struct sf_buf blk = SF_BUF_INIT;
		char name[16];

		snprintf(name, sizeof(name), "r%zu", i);
		sf_buf_grow(&blk, 1000);
		while (blk.len < 999)
			sf_buf_addch(&blk, 'x');
		sf_buf_addch(&blk, '\n');
		sf_md_add(&doc, i < 5 ? "interpreter" : "job", name, &blk);
	}
	sf_md_finish(&doc, 6000, "run it", &b);
	assert_true(b.len <= 6000);
	assert_true(sf_str_has_prefix(b.buf, "head\n"));
	assert_true(sf_str_has_suffix(b.buf, "foot\n"));
	assert_non_null(strstr(b.buf, "7 of 10 resources are not shown (2 "
	                              "interpreters, 5 jobs): r3, r4, r5"));
	assert_non_null(strstr(b.buf, "To see everything, run it."));
	sf_md_release(&doc);
	sf_buf_release(&b);
}

/* ---- src/git ---- */

static void
manifest_hash(void **state)
{
	struct sf_git_file v[2] = { { (char *)"a.yaml", (char *)"x\n", 2 },
		{ (char *)"b.yml", (char *)"", 0 } };
	struct sf_git_files f;
	char hex[SF_GIT_HASH_HEX];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.v = v;
	f.n = 2;
	sf_git_manifest_hash(&f, hex);
	assert_string_equal(hex, "57b6c40f7980491a5157e13e3376f890802d85a6d3"
	                         "280620542761fa8d2546e1");
	f.n = 0;
	sf_git_manifest_hash(&f, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649"
	                         "b934ca495991b7852b855");
}

static char repo_dir[256];

static int sh(const char *fmt, ...) SF_PRINTF(1, 2);

static int
sh(const char *fmt, ...)
{
	struct sf_buf cmd = SF_BUF_INIT;
	va_list ap;
	int rc;

	sf_buf_addf(&cmd,
	    "cd '%s' && export GIT_CONFIG_NOSYSTEM=1 "
	    "GIT_CONFIG_GLOBAL=/dev/null "
	    "GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t.invalid "
	    "GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t.invalid && (",
	    repo_dir);
	va_start(ap, fmt);
	sf_buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	sf_buf_adds(&cmd, ") >/dev/null 2>&1");
	rc = system(cmd.buf);
	sf_buf_release(&cmd);
	return rc;
}

static int
git_setup(void **state)
{
	(void)state;
	if (system("git --version >/dev/null 2>&1") != 0)
		return 0;
	snprintf(repo_dir, sizeof(repo_dir), "/tmp/sf-test-diff.XXXXXX");
	if (!mkdtemp(repo_dir))
		return -1;
	return sh("git init -q -b main . && mkdir -p conf/sub && "
	          "printf 'version: 1\\n' >conf/a.yaml && "
	          "printf 'version: 1\\n# b\\n' >conf/b.yml && "
	          "printf 'x' >conf/.hidden.yaml && "
	          "printf 'x' >conf/c.yaml~ && printf 'x' >conf/notes.txt && "
	          "printf 'version: 1\\n' >conf/sub/deep.yaml && "
	          "ln -s a.yaml conf/link.yaml && "
	          "git add -A && git commit -q -m one && git tag v1") == 0
	           ? 0
	           : -1;
}

static int
git_teardown(void **state)
{
	char cmd[300];

	(void)state;
	if (!repo_dir[0])
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", repo_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
path_in(const char *rel)
{
	return sf_xasprintf("%s/%s", repo_dir, rel);
}

static void
git_read(void **state)
{
	struct sf_git_repo *r = NULL;
	struct sf_git_files f;
	struct sf_err err;
	char *conf, *rel = NULL;

	(void)state;
	if (!repo_dir[0])
		skip();
	conf = path_in("conf");
	assert_int_equal(sf_git_open(&r, conf, &err), SF_OK);
	assert_int_equal(sf_git_relpath(r, conf, &rel, &err), SF_OK);
	assert_string_equal(rel, "conf");
	free(rel);
	assert_int_equal(sf_git_relpath(r, repo_dir, &rel, &err), SF_OK);
	assert_string_equal(rel, "");
	free(rel);
	/* A directory that does not exist (yet) is still placed. */
	free(conf);
	conf = path_in("conf/../gone/x");
	assert_int_equal(sf_git_relpath(r, conf, &rel, &err), SF_OK);
	assert_string_equal(rel, "gone/x");
	free(rel);
	assert_int_equal(sf_git_relpath(r, "/", &rel, &err), SF_EINVALID);

	assert_int_equal(
	    sf_git_read_manifests(r, "v1", "conf", "--base v1", &f, &err),
	    SF_OK);
	/* Only *.yaml / *.yml directly inside, not hidden, no backups, no
	 * symbolic links, in byte order. */
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].name, "a.yaml");
	assert_string_equal(f.v[1].name, "b.yml");
	assert_int_equal(f.v[1].len, 15);
	assert_memory_equal(f.v[1].data, "version: 1\n# b\n", 15);
	assert_int_equal(strlen(f.commit), 40);
	sf_git_files_release(&f);

	assert_int_equal(
	    sf_git_read_manifests(r, "nope", "conf", "--base nope", &f, &err),
	    SF_ENOTFOUND);
	assert_string_equal(err.where, "--base nope");
	assert_string_equal(err.msg, "no such ref");
	assert_int_equal(sf_git_read_manifests(
	                     r, "main", "missing", "--head main", &f, &err),
	    SF_EINVALID);
	assert_string_equal(err.where, "--head main");
	assert_true(sf_str_has_prefix(
	    err.msg, "no manifests in missing at that commit"));
	assert_int_equal(
	    sf_git_read_manifests(r, "main", "", "x", &f, &err), SF_EINVALID);
	assert_true(
	    sf_str_has_prefix(err.msg, "no manifests in the top directory"));
	assert_int_equal(
	    sf_git_read_manifests(r, "main^{tree}", "conf/sub", "x", &f, &err),
	    SF_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.commit, "");
	sf_git_files_release(&f);
	sf_git_close(r);
	free(conf);

	assert_int_equal(sf_git_open(&r, "/", &err), SF_ENOTFOUND);
	assert_null(r);
}

static void
git_provenance(void **state)
{
	struct sf_git_provenance p;
	struct sf_git_files f;
	struct sf_err err;
	char *conf = path_in("conf"), hash[SF_GIT_HASH_HEX];

	(void)state;
	if (!repo_dir[0])
		skip();
	assert_int_equal(sf_git_provenance(conf, &p, &err), SF_OK);
	assert_int_equal(strlen(p.commit), 40);
	assert_string_equal(p.branch, "main");
	assert_false(p.dirty);
	/* The hash is of the manifests on disk, as validate reads them. */
	assert_int_equal(sf_git_read_dir(conf, &f, &err), SF_OK);
	assert_int_equal(f.n, 3); /* a.yaml, b.yml, link.yaml */
	sf_git_manifest_hash(&f, hash);
	assert_string_equal(hash, p.manifest_hash);
	sf_git_files_release(&f);

	/* An untracked file that is no manifest leaves it clean... */
	assert_int_equal(sh("printf x >conf/other.txt"), 0);
	assert_int_equal(sf_git_provenance(conf, &p, &err), SF_OK);
	assert_false(p.dirty);
	/* ... an untracked manifest does not ... */
	assert_int_equal(sh("printf 'version: 1\\n' >conf/new.yaml"), 0);
	assert_int_equal(sf_git_provenance(conf, &p, &err), SF_OK);
	assert_true(p.dirty);
	assert_string_not_equal(hash, p.manifest_hash);
	assert_int_equal(sh("rm conf/new.yaml conf/other.txt"), 0);
	/* ... nor does a change anywhere in the tree, staged or not. */
	assert_int_equal(sh("printf y >conf/notes.txt"), 0);
	assert_int_equal(sf_git_provenance(conf, &p, &err), SF_OK);
	assert_true(p.dirty);
	assert_int_equal(sh("git add conf/notes.txt"), 0);
	assert_int_equal(sf_git_provenance(conf, &p, &err), SF_OK);
	assert_true(p.dirty);
	assert_int_equal(sh("git commit -q -m two"), 0);
	assert_int_equal(sf_git_provenance(conf, &p, &err), SF_OK);
	assert_false(p.dirty);
	assert_string_equal(hash, p.manifest_hash);

	assert_int_equal(sh("git checkout -q --detach v1"), 0);
	assert_int_equal(sf_git_provenance(conf, &p, &err), SF_OK);
	assert_string_equal(p.branch, "detached");
	assert_int_equal(sh("git checkout -q main"), 0);

	assert_int_equal(sf_git_provenance("/", &p, &err), SF_ENOTFOUND);
	assert_string_equal(p.manifest_hash, "e3b0c44298fc1c149afbf4c8996fb9"
	                                     "2427ae41e4649b934ca495991b7852b"
	                                     "855");
	free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(textdiff_equal),
		cmocka_unit_test(textdiff_hunks),
		cmocka_unit_test(textdiff_too_big),
		cmocka_unit_test(redact_secrets),
		cmocka_unit_test(redact_leaves_alone),
		cmocka_unit_test(diff_interpreters),
		cmocka_unit_test(diff_nothing),
		cmocka_unit_test(diff_jobs),
		cmocka_unit_test(diff_variables_provider),
		cmocka_unit_test(diff_policy_pricing),
		cmocka_unit_test(money),
		cmocka_unit_test(render_json_shape),
		cmocka_unit_test(render_markdown_limit),
		cmocka_unit_test(md_pieces),
		cmocka_unit_test(manifest_hash),
	};
	const struct CMUnitTest git_tests[] = {
		cmocka_unit_test(git_read),
		cmocka_unit_test(git_provenance),
	};
	int rc;

	setenv("TZ", "UTC", 1);
	rc = cmocka_run_group_tests_name("diff", tests, NULL, NULL);
	rc |= cmocka_run_group_tests_name(
	    "git", git_tests, git_setup, git_teardown);
	return rc;
}
