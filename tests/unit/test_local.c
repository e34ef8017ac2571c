/*
 * The embedded control plane over real HTTP, driven by our own AgentCore
 * client: every control-plane operation, its errors, authentication,
 * quotas, throttling, faults, persistence across a restart, and what a
 * client would never send (malformed HTTP, wrong JSON types, huge
 * bodies, unknown paths). The botocore wire examples of ../shared/spec go
 * through the router as they are, signatures and all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local/server_internal.h"
#include "test_local_support.h"
#include "util/fs.h"

#define CTRL 0

static bool
all_alnum(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static bool
is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdef", s[i])) {
			return false;
		}
	}
	return true;
}

static void
test_lifecycle(void **state)
{
	struct lt_world *w = lt_start(NULL);
	static const char *const subnets[] = { "subnet-0abc12345" };
	static const char *const sgs[] = { "sg-0abc12345" };
	struct sf_kv tags[] = { { (char *)"team", (char *)"data" } };
	struct sf_ci_spec spec;
	struct sf_ci ci;
	struct sf_ci_list list;
	struct sf_kvs kvs;
	struct sf_err err;
	char *id, *arn, *want;

	(void)state;
	memset(&spec, 0, sizeof(spec));
	spec.name = "myTestSandbox1";
	spec.description = "Test code sandbox";
	spec.execution_role_arn = "arn:aws:iam::123456789012:role/sandbox";
	spec.network_mode = "VPC";
	spec.subnets = subnets;
	spec.nsubnets = 1;
	spec.security_groups = sgs;
	spec.nsecurity_groups = 1;
	spec.tags = tags;
	spec.ntags = 1;
	assert_int_equal(
	    w->p->ops->create_interpreter(w->p, &spec, &ci, &err), SF_OK);
	/* <name>-<10 alphanumerics>, the custom ARN, CREATING. */
	assert_true(sf_str_has_prefix(ci.id, "myTestSandbox1-"));
	assert_int_equal(strlen(ci.id), strlen("myTestSandbox1-") + 10);
	assert_true(all_alnum(ci.id + strlen("myTestSandbox1-"), 10));
	want = sf_xasprintf("arn:aws:bedrock-agentcore:us-east-1:000000000000:"
	                    "code-interpreter-custom/%s",
	    ci.id);
	assert_string_equal(ci.arn, want);
	free(want);
	assert_string_equal(ci.status, "CREATING");
	assert_true(ci.created_at > 0);
	id = sf_xstrdup(ci.id);
	arn = sf_xstrdup(ci.arn);
	sf_ci_release(&ci);

	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, id, &ci, &err), SF_OK);
	assert_string_equal(ci.status, "CREATING");
	assert_string_equal(ci.name, "myTestSandbox1");
	assert_string_equal(ci.description, "Test code sandbox");
	assert_string_equal(ci.network_mode, "VPC");
	assert_int_equal(ci.subnets.n, 1);
	assert_string_equal(ci.security_groups.v[0], "sg-0abc12345");
	assert_string_equal(
	    ci.execution_role_arn, "arn:aws:iam::123456789012:role/sandbox");
	sf_ci_release(&ci);

	/* CREATING -> READY once the delay passed. */
	lt_advance(w, 250);
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, id, &ci, &err), SF_OK);
	assert_string_equal(ci.status, "READY");
	assert_true(ci.last_updated_at >= ci.created_at);
	sf_ci_release(&ci);

	assert_int_equal(
	    w->p->ops->list_interpreters(w->p, &list, &err), SF_OK);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.v[0].id, id);
	assert_string_equal(list.v[0].status, "READY");
	sf_ci_list_release(&list);

	/* Tags: on create, TagResource, UntagResource. */
	assert_int_equal(w->p->ops->list_tags(w->p, arn, &kvs, &err), SF_OK);
	assert_int_equal(kvs.n, 1);
	assert_string_equal(kvs.v[0].key, "team");
	sf_kvs_release(&kvs);
	{
		struct sf_kv more[] = { { (char *)"env", (char *)"dev" },
			{ (char *)"team", (char *)"ml" } };
		const char *keys[] = { "team" };

		assert_int_equal(
		    w->p->ops->tag(w->p, arn, more, 2, &err), SF_OK);
		assert_int_equal(
		    w->p->ops->list_tags(w->p, arn, &kvs, &err), SF_OK);
		assert_int_equal(kvs.n, 2);
		sf_kvs_release(&kvs);
		assert_int_equal(
		    w->p->ops->untag(w->p, arn, keys, 1, &err), SF_OK);
		assert_int_equal(
		    w->p->ops->list_tags(w->p, arn, &kvs, &err), SF_OK);
		assert_int_equal(kvs.n, 1);
		assert_string_equal(kvs.v[0].key, "env");
		sf_kvs_release(&kvs);
	}

	/* DELETING -> gone (404). */
	assert_int_equal(
	    w->p->ops->delete_interpreter(w->p, id, NULL, &ci, &err), SF_OK);
	assert_string_equal(ci.status, "DELETING");
	sf_ci_release(&ci);
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, id, &ci, &err), SF_OK);
	assert_string_equal(ci.status, "DELETING");
	sf_ci_release(&ci);
	lt_advance(w, 250);
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, id, &ci, &err), SF_ENOTFOUND);
	assert_non_null(strstr(err.msg, "ResourceNotFoundException"));
	assert_int_equal(
	    w->p->ops->list_tags(w->p, arn, &kvs, &err), SF_ENOTFOUND);
	assert_int_equal(
	    w->p->ops->delete_interpreter(w->p, id, NULL, &ci, &err),
	    SF_ENOTFOUND);
	free(id);
	free(arn);
	lt_free(w);
}

static void
test_system_interpreter(void **state)
{
	struct lt_world *w = lt_start(NULL);
	struct sf_ci ci;
	struct sf_aws_response r;
	struct sf_err err;
	json_t *j;

	(void)state;
	assert_int_equal(w->p->ops->get_interpreter(
	                     w->p, "aws.codeinterpreter.v1", &ci, &err),
	    SF_OK);
	assert_string_equal(ci.status, "READY");
	assert_string_equal(ci.network_mode, "SANDBOX");
	assert_string_equal(ci.arn, "arn:aws:bedrock-agentcore:us-east-1:aws:"
	                            "code-interpreter/aws.codeinterpreter.v1");
	sf_ci_release(&ci);
	/* Listed with type=SYSTEM only. */
	assert_int_equal(
	    lt_call(w->p, CTRL, "ListCodeInterpreters", "POST",
	        "/code-interpreters", "type=SYSTEM", NULL, &r, &err),
	    SF_OK);
	j = json_loadb(r.body.buf, r.body.len, 0, NULL);
	assert_int_equal(
	    json_array_size(json_object_get(j, "codeInterpreterSummaries")), 1);
	json_decref(j);
	sf_aws_response_release(&r);
	assert_int_equal(
	    lt_call(w->p, CTRL, "ListCodeInterpreters", "POST",
	        "/code-interpreters", "type=CUSTOM", NULL, &r, &err),
	    SF_OK);
	assert_string_equal(r.body.buf, "{\"codeInterpreterSummaries\":[]}");
	sf_aws_response_release(&r);
	/* It cannot be deleted, nor tagged (its account is "aws"). */
	assert_int_equal(lt_call(w->p, CTRL, "DeleteCodeInterpreter", "DELETE",
	                     "/code-interpreters/aws.codeinterpreter.v1", NULL,
	                     NULL, &r, &err),
	    SF_EREMOTE);
	assert_string_equal(r.error.type, "ValidationException");
	sf_aws_response_release(&r);
	assert_int_equal(
	    lt_call(w->p, CTRL, "ListTagsForResource", "GET",
	        "/tags/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A"
	        "aws%3Acode-interpreter%2Faws.codeinterpreter.v1",
	        NULL, NULL, &r, &err),
	    SF_EREMOTE);
	assert_string_equal(r.error.type, "ValidationException");
	assert_int_equal(r.error.status, 400);
	sf_aws_response_release(&r);
	lt_free(w);
}

/* A call that must fail with a ValidationException naming field. */
static void
expect_validation(struct lt_world *w, const char *op, const char *method,
    const char *path, const char *query, const char *body, const char *reason,
    const char *field)
{
	struct sf_aws_response r;
	struct sf_err err;
	int rc = lt_call(w->p, CTRL, op, method, path, query, body, &r, &err);

	if (rc != SF_EREMOTE || strcmp(r.error.type, "ValidationException"))
		fail_msg("%s %s: want a ValidationException, got %d %s: %s",
		    method, body ? body : path, rc, r.error.type, err.msg);
	assert_int_equal(r.error.status, 400);
	assert_string_equal(r.error.reason, reason);
	if (field && !strstr(r.error.fields, field))
		fail_msg(
		    "fieldList \"%s\" does not name %s", r.error.fields, field);
	assert_true(is_uuid(r.request_id));
	sf_aws_response_release(&r);
}

static void
test_validation(void **state)
{
	struct lt_world *w = lt_start(NULL);
	const char *ok_net = "\"networkConfiguration\":{\"networkMode\":"
	                     "\"PUBLIC\"}";
	char body[8192], *longdesc;

	(void)state;
#define CREATE(b, reason, field)                             \
	expect_validation(w, "CreateCodeInterpreter", "PUT", \
	    "/code-interpreters", NULL, b, reason, field)
	/* Names: the pattern forbids hyphens; required. */
	snprintf(body, sizeof(body), "{\"name\":\"bad-name\",%s}", ok_net);
	CREATE(body, "FieldValidationFailed", "name");
	snprintf(body, sizeof(body), "{%s}", ok_net);
	CREATE(body, "FieldValidationFailed", "name");
	snprintf(body, sizeof(body),
	    "{\"name\":\"a1234567890123456789012345678901234567890123456789\","
	    "%s}",
	    ok_net);
	CREATE(body, "FieldValidationFailed", "name");
	/* networkConfiguration: required, an enum, VPC needs vpcConfig. */
	CREATE("{\"name\":\"ok\"}", "FieldValidationFailed",
	    "networkConfiguration");
	CREATE("{\"name\":\"ok\",\"networkConfiguration\":{\"networkMode\":"
	       "\"OPEN\"}}",
	    "FieldValidationFailed", "networkConfiguration.networkMode");
	CREATE("{\"name\":\"ok\",\"networkConfiguration\":{\"networkMode\":"
	       "\"VPC\"}}",
	    "FieldValidationFailed", "networkConfiguration.vpcConfig");
	CREATE("{\"name\":\"ok\",\"networkConfiguration\":{\"networkMode\":"
	       "\"VPC\",\"vpcConfig\":{\"subnets\":[\"subnet-1\"],"
	       "\"securityGroups\":[\"sg-0abc12345\"]}}}",
	    "FieldValidationFailed",
	    "networkConfiguration.vpcConfig.subnets[0]");
	CREATE("{\"name\":\"ok\",\"networkConfiguration\":{\"networkMode\":"
	       "\"VPC\",\"vpcConfig\":{\"subnets\":[],"
	       "\"securityGroups\":[\"sg-0abc12345\"]}}}",
	    "FieldValidationFailed", "networkConfiguration.vpcConfig.subnets");
	/* Role ARN, description, client token, tags, certificates. */
	snprintf(body, sizeof(body),
	    "{\"name\":\"ok\",%s,\"executionRoleArn\":\"arn:aws:iam::12:role/"
	    "x\"}",
	    ok_net);
	CREATE(body, "FieldValidationFailed", "executionRoleArn");
	longdesc = sf_xmalloc(4200);
	memset(longdesc, 'd', 4097);
	longdesc[4097] = '\0';
	snprintf(body, sizeof(body),
	    "{\"name\":\"ok\",%s,\"description\":\"%s\"}", ok_net, longdesc);
	free(longdesc);
	CREATE(body, "FieldValidationFailed", "description");
	snprintf(body, sizeof(body),
	    "{\"name\":\"ok\",%s,\"description\":\"\"}", ok_net);
	CREATE(body, "FieldValidationFailed", "description");
	snprintf(body, sizeof(body),
	    "{\"name\":\"ok\",%s,\"clientToken\":\"short\"}", ok_net);
	CREATE(body, "FieldValidationFailed", "clientToken");
	snprintf(body, sizeof(body),
	    "{\"name\":\"ok\",%s,\"tags\":{\"bad!key\":\"v\"}}", ok_net);
	CREATE(body, "FieldValidationFailed", "tags");
	snprintf(body, sizeof(body),
	    "{\"name\":\"ok\",%s,\"certificates\":[{\"location\":{"
	    "\"secretsManager\":{\"secretArn\":\"nope\"}}}]}",
	    ok_net);
	CREATE(body, "FieldValidationFailed", "secretArn");
	snprintf(body, sizeof(body),
	    "{\"name\":\"ok\",%s,\"filesystemConfigurations\":[{"
	    "\"efsConfiguration\":{\"mountPath\":\"/tmp/x\",\"accessPointArn\":"
	    "\"arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/"
	    "fsap-0123456789abcdef0\",\"fileSystemArn\":\"arn:aws:"
	    "elasticfilesystem:us-east-1:123456789012:file-system/"
	    "fs-0123456789abcdef0\"}}]}",
	    ok_net);
	CREATE(body, "FieldValidationFailed", "mountPath");
	/* Wrong JSON types and bodies that are not JSON: CannotParse. */
	snprintf(body, sizeof(body), "{\"name\":123,%s}", ok_net);
	CREATE(body, "CannotParse", "name");
	CREATE("{\"name\":\"ok\",\"networkConfiguration\":[]}", "CannotParse",
	    "networkConfiguration");
	snprintf(body, sizeof(body), "{\"name\":\"ok\",%s,\"tags\":{\"a\":1}}",
	    ok_net);
	CREATE(body, "CannotParse", "tags.a");
	CREATE("{\"name\":", "CannotParse", NULL);
	CREATE("[1,2]", "CannotParse", NULL);
	CREATE("{\"name\":\"a\",\"name\":\"b\"}", "CannotParse", NULL);
#undef CREATE
	/* Several at once: all of them in fieldList. */
	{
		struct sf_aws_response r;
		struct sf_err err;

		assert_int_equal(
		    lt_call(w->p, CTRL, "CreateCodeInterpreter", "PUT",
		        "/code-interpreters", NULL,
		        "{\"name\":\"-\",\"networkConfiguration\":{"
		        "\"networkMode\":\"x\"}}",
		        &r, &err),
		    SF_EREMOTE);
		assert_non_null(strstr(r.error.message, "2 validation errors"));
		assert_non_null(strstr(r.error.fields, "name"));
		assert_non_null(strstr(r.error.fields, "networkMode"));
		sf_aws_response_release(&r);
	}
	/* Labels and the query of the other operations. */
	expect_validation(w, "GetCodeInterpreter", "GET",
	    "/code-interpreters/not-an-id", NULL, NULL, "FieldValidationFailed",
	    "codeInterpreterId");
	expect_validation(w, "ListCodeInterpreters", "POST",
	    "/code-interpreters", "maxResults=0", NULL, "FieldValidationFailed",
	    "maxResults");
	expect_validation(w, "ListCodeInterpreters", "POST",
	    "/code-interpreters", "maxResults=101", NULL,
	    "FieldValidationFailed", "maxResults");
	expect_validation(w, "ListCodeInterpreters", "POST",
	    "/code-interpreters", "maxResults=ten", NULL, "CannotParse",
	    "maxResults");
	expect_validation(w, "ListCodeInterpreters", "POST",
	    "/code-interpreters", "type=OTHER", NULL, "FieldValidationFailed",
	    "type");
	expect_validation(w, "ListCodeInterpreters", "POST",
	    "/code-interpreters", "nextToken=forged", NULL,
	    "FieldValidationFailed", "nextToken");
	expect_validation(w, "DeleteCodeInterpreter", "DELETE",
	    "/code-interpreters/abc-0123456789", "clientToken=x", NULL,
	    "FieldValidationFailed", "clientToken");
	expect_validation(w, "TagResource", "POST", "/tags/arn%3Ax", NULL,
	    "{\"tags\":{}}", "FieldValidationFailed", "resourceArn");
	lt_free(w);
}

static void
test_conflict_and_not_found(void **state)
{
	struct lt_world *w = lt_start(NULL);
	struct sf_ci_spec spec;
	struct sf_ci ci;
	struct sf_err err;
	struct sf_aws_response r;

	(void)state;
	memset(&spec, 0, sizeof(spec));
	spec.name = "dup";
	spec.network_mode = "SANDBOX";
	assert_int_equal(
	    w->p->ops->create_interpreter(w->p, &spec, &ci, &err), SF_OK);
	sf_ci_release(&ci);
	assert_int_equal(
	    w->p->ops->create_interpreter(w->p, &spec, &ci, &err), SF_EREMOTE);
	assert_non_null(strstr(err.msg, "ConflictException (409)"));
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, "nothere-0123456789", &ci, &err),
	    SF_ENOTFOUND);
	assert_int_equal(lt_call(w->p, CTRL, "TagResource", "POST",
	                     "/tags/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%"
	                     "3A000000000000%3Acode-interpreter-custom%"
	                     "2Fnothere-0123456789",
	                     NULL, "{\"tags\":{\"a\":\"b\"}}", &r, &err),
	    SF_ENOTFOUND);
	assert_int_equal(r.error.status, 404);
	sf_aws_response_release(&r);
	lt_free(w);
}

static void
test_idempotency(void **state)
{
	struct lt_world *w = lt_start(NULL);
	struct sf_aws_response r1, r2;
	struct sf_err err;
	const char *token = "a1b2c3d4-0000-4000-8000-000000000001";
	char body[512];
	json_t *j1, *j2;

	(void)state;
	snprintf(body, sizeof(body),
	    "{\"name\":\"idem\",\"networkConfiguration\":{\"networkMode\":"
	    "\"SANDBOX\"},\"clientToken\":\"%s\"}",
	    token);
	assert_int_equal(lt_call(w->p, CTRL, "CreateCodeInterpreter", "PUT",
	                     "/code-interpreters", NULL, body, &r1, &err),
	    SF_OK);
	assert_int_equal(r1.status, 202);
	lt_advance(w, 500);
	/* The same token and parameters: the original answer. */
	assert_int_equal(lt_call(w->p, CTRL, "CreateCodeInterpreter", "PUT",
	                     "/code-interpreters", NULL, body, &r2, &err),
	    SF_OK);
	assert_int_equal(r2.status, 202);
	j1 = json_loadb(r1.body.buf, r1.body.len, 0, NULL);
	j2 = json_loadb(r2.body.buf, r2.body.len, 0, NULL);
	assert_true(json_equal(j1, j2));
	assert_string_equal(
	    json_string_value(json_object_get(j2, "status")), "CREATING");
	json_decref(j1);
	json_decref(j2);
	sf_aws_response_release(&r1);
	sf_aws_response_release(&r2);
	/* ... and after a restart too. */
	lt_restart(w);
	assert_int_equal(lt_call(w->p, CTRL, "CreateCodeInterpreter", "PUT",
	                     "/code-interpreters", NULL, body, &r2, &err),
	    SF_OK);
	sf_aws_response_release(&r2);
	/* The same token, other parameters. */
	snprintf(body, sizeof(body),
	    "{\"name\":\"idem\",\"networkConfiguration\":{\"networkMode\":"
	    "\"PUBLIC\"},\"clientToken\":\"%s\"}",
	    token);
	expect_validation(w, "CreateCodeInterpreter", "PUT",
	    "/code-interpreters", NULL, body,
	    "IdempotentParameterMismatchException", "clientToken");
	/* Delete replays too. */
	{
		struct sf_ci ci;
		struct sf_ci_list l;
		const char *dt = "d1b2c3d4-0000-4000-8000-000000000002";

		assert_int_equal(
		    w->p->ops->list_interpreters(w->p, &l, &err), SF_OK);
		assert_int_equal(l.n, 1);
		assert_int_equal(w->p->ops->delete_interpreter(
		                     w->p, l.v[0].id, dt, &ci, &err),
		    SF_OK);
		sf_ci_release(&ci);
		lt_advance(w, 500);
		assert_int_equal(w->p->ops->delete_interpreter(
		                     w->p, l.v[0].id, dt, &ci, &err),
		    SF_OK);
		assert_string_equal(ci.status, "DELETING");
		sf_ci_release(&ci);
		sf_ci_list_release(&l);
	}
	lt_free(w);
}

static void
test_pagination(void **state)
{
	struct lt_world *w = lt_start(NULL);
	struct sf_ci_list list;
	struct sf_err err;
	struct sf_aws_response r;
	char *token = NULL;
	int i, pages = 0;
	size_t seen = 0;

	(void)state;
	for (i = 0; i < 250; i++) {
		struct sf_ci_spec spec;
		struct sf_ci ci;
		char name[32];

		snprintf(name, sizeof(name), "ci_%03d", i);
		memset(&spec, 0, sizeof(spec));
		spec.name = name;
		spec.network_mode = "SANDBOX";
		assert_int_equal(
		    w->p->ops->create_interpreter(w->p, &spec, &ci, &err),
		    SF_OK);
		sf_ci_release(&ci);
	}
	assert_int_equal(
	    w->p->ops->list_interpreters(w->p, &list, &err), SF_OK);
	assert_int_equal(list.n, 250);
	assert_int_equal(list.pages, 3);
	for (i = 1; i < 250; i++)
		assert_true(strcmp(list.v[i - 1].id, list.v[i].id) < 0);
	sf_ci_list_release(&list);
	/* The default page is 10; tokens are opaque and chain. */
	do {
		char *q = token ? sf_xasprintf("nextToken=%s", token)
		                : sf_xstrdup("maxResults=10");
		json_t *j, *nt;

		assert_int_equal(
		    lt_call(w->p, CTRL, "ListCodeInterpreters", "POST",
		        "/code-interpreters", token ? q : NULL, NULL, &r, &err),
		    SF_OK);
		j = json_loadb(r.body.buf, r.body.len, 0, NULL);
		seen += json_array_size(
		    json_object_get(j, "codeInterpreterSummaries"));
		assert_true(json_array_size(json_object_get(
		                j, "codeInterpreterSummaries")) <= 10);
		free(token);
		nt = json_object_get(j, "nextToken");
		token = nt ? sf_xstrdup(json_string_value(nt)) : NULL;
		if (token)
			assert_null(strstr(token, "ci_"));
		json_decref(j);
		sf_aws_response_release(&r);
		free(q);
		pages++;
	} while (token && pages < 100);
	assert_int_equal(seen, 250);
	assert_int_equal(pages, 25);
	lt_free(w);
}

static void
small_quota(struct sf_local_opts *o)
{
	o->max_interpreters = 3;
}

static void
test_quota(void **state)
{
	struct lt_world *w = lt_start(small_quota);
	struct sf_err err;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		struct sf_ci_spec spec;
		struct sf_ci ci;
		char name[16];
		int rc;

		snprintf(name, sizeof(name), "q%d", i);
		memset(&spec, 0, sizeof(spec));
		spec.name = name;
		spec.network_mode = "SANDBOX";
		rc = w->p->ops->create_interpreter(w->p, &spec, &ci, &err);
		if (i < 3) {
			assert_int_equal(rc, SF_OK);
			sf_ci_release(&ci);
		} else {
			assert_int_equal(rc, SF_EREMOTE);
			assert_non_null(strstr(
			    err.msg, "ServiceQuotaExceededException (402)"));
		}
	}
	lt_free(w);
}

static void
aws_rates(struct sf_local_opts *o)
{
	o->rate_limits = true;
	/* Creates wait for fsync: 2 a second, so that a slow disk cannot
	 * let 10 of them through. */
	o->rate_mutate = 2;
}

static void
test_throttling(void **state)
{
	struct lt_world *w = lt_start(aws_rates);
	struct sf_err err;
	int i, throttled = 0, ok = 0;

	(void)state;
	/* 2 per second for Create here: 10 at once cannot all pass. */
	for (i = 0; i < 10; i++) {
		struct sf_ci_spec spec;
		struct sf_ci ci;
		char name[16];

		snprintf(name, sizeof(name), "t%d", i);
		memset(&spec, 0, sizeof(spec));
		spec.name = name;
		spec.network_mode = "SANDBOX";
		if (w->p->ops->create_interpreter(w->p, &spec, &ci, &err) ==
		    SF_OK) {
			ok++;
			sf_ci_release(&ci);
		} else {
			assert_non_null(
			    strstr(err.msg, "ThrottlingException (429)"));
			throttled++;
		}
	}
	assert_true(ok >= 2);
	assert_true(throttled >= 1);
	/* Get has a quota of its own, 30 per second. */
	for (i = 0, throttled = 0; i < 40; i++) {
		struct sf_ci ci;

		if (w->p->ops->get_interpreter(
		        w->p, "aws.codeinterpreter.v1", &ci, &err) == SF_OK)
			sf_ci_release(&ci);
		else
			throttled++;
	}
	assert_true(throttled >= 1);
	lt_free(w);
}

static void
test_auth(void **state)
{
	struct lt_world *w = lt_start(NULL);
	struct sf_provider *p;
	struct sf_ci ci;
	struct sf_err err;
	struct lt_resp r;
	char buf[128];

	(void)state;
	/* Wrong secret. */
	p = lt_client(w, LT_AKID, "wrong-secret", LT_REGION, 0);
	assert_int_equal(
	    p->ops->get_interpreter(p, "aws.codeinterpreter.v1", &ci, &err),
	    SF_EREMOTE);
	assert_non_null(strstr(err.msg, "InvalidSignatureException (403)"));
	p->ops->free(p);
	/* Unknown key. */
	p = lt_client(w, "AKIDUNKNOWN", LT_SECRET, LT_REGION, 0);
	assert_int_equal(
	    p->ops->get_interpreter(p, "aws.codeinterpreter.v1", &ci, &err),
	    SF_EREMOTE);
	assert_non_null(strstr(err.msg, "UnrecognizedClientException (403)"));
	p->ops->free(p);
	/* Wrong region. */
	p = lt_client(w, LT_AKID, LT_SECRET, "eu-west-1", 0);
	assert_int_equal(
	    p->ops->get_interpreter(p, "aws.codeinterpreter.v1", &ci, &err),
	    SF_EREMOTE);
	print_message("wrong region: %s\n", err.msg);
	assert_non_null(strstr(err.msg, "InvalidSignatureException (403)"));
	p->ops->free(p);
	/* Expired: signed ten minutes ago. */
	p = lt_client(w, LT_AKID, LT_SECRET, LT_REGION, -600000);
	assert_int_equal(
	    p->ops->get_interpreter(p, "aws.codeinterpreter.v1", &ci, &err),
	    SF_EREMOTE);
	assert_non_null(strstr(err.msg, "InvalidSignatureException (403)"));
	assert_non_null(strstr(err.msg, "expired"));
	p->ops->free(p);
	/* No signature at all. */
	{
		const char *req = "GET /code-interpreters/"
		                  "aws.codeinterpreter.v1 HTTP/1.1\r\nHost: "
		                  "x\r\nConnection: close\r\n\r\n";

		assert_int_equal(lt_raw(lt_port(w), req, strlen(req), &r), 0);
	}
	assert_int_equal(r.status, 403);
	assert_string_equal(
	    lt_resp_header(&r, "X-Amzn-ErrorType", buf, sizeof(buf)),
	    "MissingAuthenticationTokenException");
	assert_true(
	    is_uuid(lt_resp_header(&r, "x-amzn-RequestId", buf, sizeof(buf))));
	assert_non_null(lt_resp_header(&r, "Date", buf, sizeof(buf)));
	lt_resp_release(&r);
	/* The right key still works. */
	assert_int_equal(w->p->ops->get_interpreter(
	                     w->p, "aws.codeinterpreter.v1", &ci, &err),
	    SF_OK);
	sf_ci_release(&ci);
	lt_free(w);
}

static void
small_payload(struct sf_local_opts *o)
{
	o->max_payload = 64 * 1024;
}

static void
test_hostile_http(void **state)
{
	struct lt_world *w = lt_start(small_payload);
	struct lt_resp r;
	struct sf_ci ci;
	struct sf_err err;
	char buf[128], *big;
	static const char *const garbage[] = {
		"\x01\x02\x03 nonsense\r\n\r\n",
		"GET\r\n\r\n",
		"GET /code-interpreters HTTP/9.9\r\n\r\n",
		"PUT /code-interpreters HTTP/1.1\r\nHost: x\r\nContent-Length: "
		"-5\r\n\r\n",
		"PUT /code-interpreters HTTP/1.1\r\nHost: "
		"x\r\nTransfer-Encoding: "
		"chunked\r\n\r\nzz\r\n",
		"GET /code-interpreters HTTP/1.1\r\nBad Header Line\r\n\r\n",
	};
	size_t i;

	(void)state;
	/* Malformed HTTP: an error (or a closed connection), never a
	 * crash, and the server serves the next request. */
	for (i = 0; i < SF_ARRAY_LEN(garbage); i++) {
		if (lt_raw(lt_port(w), garbage[i], strlen(garbage[i]), &r) ==
		    0) {
			if (r.status < 400 || r.status > 505)
				fail_msg("%zu: %d %s", i, r.status, r.head.buf);
			lt_resp_release(&r);
		}
		assert_int_equal(w->p->ops->get_interpreter(
		                     w->p, "aws.codeinterpreter.v1", &ci, &err),
		    SF_OK);
		sf_ci_release(&ci);
	}
	/* Unknown paths and methods: 404 UnknownOperationException. */
	assert_int_equal(
	    lt_signed(w, "GET", "/nothing/here", NULL, NULL, NULL, &r), 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(
	    lt_resp_header(&r, "X-Amzn-ErrorType", buf, sizeof(buf)),
	    "UnknownOperationException");
	lt_resp_release(&r);
	assert_int_equal(
	    lt_signed(w, "PATCH", "/code-interpreters", NULL, NULL, NULL, &r),
	    0);
	assert_int_equal(r.status, 404);
	lt_resp_release(&r);
	/* A body over the cap: 413, whether announced or sent. */
	big = sf_xmalloc(100 * 1024);
	memset(big, ' ', 100 * 1024 - 1);
	big[0] = '{';
	big[100 * 1024 - 2] = '}';
	big[100 * 1024 - 1] = '\0';
	assert_int_equal(
	    lt_signed(w, "PUT", "/code-interpreters", NULL, big, NULL, &r), 0);
	assert_int_equal(r.status, 413);
	assert_string_equal(
	    lt_resp_header(&r, "X-Amzn-ErrorType", buf, sizeof(buf)),
	    "ValidationException");
	lt_resp_release(&r);
	free(big);
	{
		const char *req = "PUT /code-interpreters HTTP/1.1\r\nHost: "
		                  "x\r\nContent-Length: 209715200\r\n\r\n{";

		assert_int_equal(lt_raw(lt_port(w), req, strlen(req), &r), 0);
		assert_int_equal(r.status, 413);
		lt_resp_release(&r);
	}
	/* Chunked, no length: cut off as it passes the cap. */
	{
		struct sf_buf b = SF_BUF_INIT;
		int k;

		sf_buf_adds(&b, "PUT /code-interpreters HTTP/1.1\r\nHost: "
		                "x\r\nTransfer-Encoding: chunked\r\n\r\n");
		for (k = 0; k < 20; k++) {
			sf_buf_adds(&b, "1000\r\n");
			sf_buf_grow(&b, 4096);
			memset(b.buf + b.len, 'x', 4096);
			sf_buf_setlen(&b, b.len + 4096);
			sf_buf_adds(&b, "\r\n");
		}
		sf_buf_adds(&b, "0\r\n\r\n");
		assert_int_equal(lt_raw(lt_port(w), b.buf, b.len, &r), 0);
		assert_int_equal(r.status, 413);
		lt_resp_release(&r);
		sf_buf_release(&b);
	}
	assert_int_equal(w->p->ops->get_interpreter(
	                     w->p, "aws.codeinterpreter.v1", &ci, &err),
	    SF_OK);
	sf_ci_release(&ci);
	/* Headers on every answer, success or not. */
	assert_int_equal(
	    lt_signed(w, "GET", "/code-interpreters/aws.codeinterpreter.v1",
	        NULL, NULL, NULL, &r),
	    0);
	assert_int_equal(r.status, 200);
	assert_true(
	    is_uuid(lt_resp_header(&r, "x-amzn-RequestId", buf, sizeof(buf))));
	assert_non_null(
	    strstr(lt_resp_header(&r, "Date", buf, sizeof(buf)), " GMT"));
	assert_non_null(strstr(r.body.buf, "\"createdAt\":\"2025-07-16T00:00:"
	                                   "00.000Z\""));
	lt_resp_release(&r);
	lt_free(w);
}

static void
test_restart(void **state)
{
	struct lt_world *w = lt_start(NULL);
	struct sf_ci ci;
	struct sf_ci_list l;
	struct sf_kvs kvs;
	struct sf_err err;
	char *id = lt_create_ready(w, "keeper", "PUBLIC");
	char *gone = lt_create_ready(w, "goner", "SANDBOX");
	char *path;
	struct stat st;

	(void)state;
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, id, &ci, &err), SF_OK);
	{
		struct sf_kv t[] = { { (char *)"k", (char *)"v" } };

		assert_int_equal(
		    w->p->ops->tag(w->p, ci.arn, t, 1, &err), SF_OK);
	}
	sf_ci_release(&ci);
	assert_int_equal(
	    w->p->ops->delete_interpreter(w->p, gone, NULL, &ci, &err), SF_OK);
	sf_ci_release(&ci);
	/* One file per interpreter, private. */
	path = sf_xasprintf("%s/interpreters/%s.json", w->dir, id);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(path);
	lt_restart(w);
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, id, &ci, &err), SF_OK);
	assert_string_equal(ci.status, "READY");
	assert_string_equal(ci.network_mode, "PUBLIC");
	assert_int_equal(w->p->ops->list_tags(w->p, ci.arn, &kvs, &err), SF_OK);
	assert_int_equal(kvs.n, 1);
	sf_kvs_release(&kvs);
	sf_ci_release(&ci);
	/* A deletion in flight finishes after the restart. */
	lt_advance(w, 1000);
	assert_int_equal(
	    w->p->ops->get_interpreter(w->p, gone, &ci, &err), SF_ENOTFOUND);
	assert_int_equal(w->p->ops->list_interpreters(w->p, &l, &err), SF_OK);
	assert_int_equal(l.n, 1);
	sf_ci_list_release(&l);
	/* A second server on the same data directory is refused. */
	{
		struct sf_local_opts o;
		struct sf_local_server *s2;

		memset(&o, 0, sizeof(o));
		o.data_dir = w->dir;
		o.transition_ms = -1;
		assert_int_equal(
		    sf_local_server_new(&o, &s2, &err), SF_ECONFLICT);
	}
	free(id);
	free(gone);
	lt_free(w);
}

static void
faulty(struct sf_local_opts *o)
{
	o->faults = "500=0.3,429=0.2,drop=0.1";
	o->faults_seed = 42;
	o->faults_seeded = true;
}

/* What 40 Gets meet under faults, as a string of letters. */
static void
fault_pattern(char *out, size_t n)
{
	struct lt_world *w = lt_start(faulty);
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		struct sf_ci ci;
		struct sf_err err;
		int rc = w->p->ops->get_interpreter(
		    w->p, "aws.codeinterpreter.v1", &ci, &err);

		if (rc == SF_OK) {
			out[i] = '.';
			sf_ci_release(&ci);
		} else if (strstr(err.msg, "(500)")) {
			out[i] = '5';
		} else if (strstr(err.msg, "(429)")) {
			out[i] = '4';
		} else {
			out[i] = 'd';
		}
	}
	out[i] = '\0';
	lt_free(w);
}

static void
test_faults(void **state)
{
	char a[41], b[41];
	struct sf_local_fault f[16];
	size_t n;
	struct sf_err err;

	(void)state;
	fault_pattern(a, sizeof(a));
	fault_pattern(b, sizeof(b));
	assert_string_equal(a, b); /* the seed makes it repeatable */
	assert_non_null(strchr(a, '.'));
	assert_non_null(strchr(a, '5'));
	assert_non_null(strchr(a, '4'));
	assert_non_null(strchr(a, 'd'));
	assert_int_equal(
	    sf_local_faults_parse("500=0.1,drop=0.02", f, &n, &err), SF_OK);
	assert_int_equal(n, 2);
	assert_int_equal(f[1].status, 0);
	assert_int_equal(
	    sf_local_faults_parse("500=2", f, &n, &err), SF_EINVALID);
	assert_int_equal(
	    sf_local_faults_parse("200=0.1", f, &n, &err), SF_EINVALID);
	assert_int_equal(
	    sf_local_faults_parse("500=0.6,503=0.6", f, &n, &err), SF_EINVALID);
	assert_int_equal(
	    sf_local_faults_parse("oops", f, &n, &err), SF_EINVALID);
}

/* ---- botocore's own requests, through the router ---- */

static int64_t
fixed_2015(void *ud)
{
	(void)ud;
	return 1440938160000LL; /* 2015-08-30T12:36:00Z */
}

static void
test_botocore_wire(void **state)
{
	const char *shared = getenv("SF_SHARED_DIR");
	char *path;
	json_t *doc, *c;
	size_t i, checked = 0;
	struct sf_local_opts o;
	struct sf_local_server *s, *s2;
	struct sf_local_key key = { "AKIDEXAMPLE",
		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	struct sf_local_key tkey = { "AKIDEXAMPLE",
		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		"6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf1942"
		"67" };
	struct sf_local_clock ck = { fixed_2015, NULL, NULL };
	struct sf_backend be;
	struct sf_err err;

	(void)state;
	path = sf_xasprintf("%s/spec/examples/botocore-wire-examples.json",
	    shared ? shared : "../shared");
	doc = json_load_file(path, 0, NULL);
	free(path);
	if (!doc) {
		print_message(
		    "botocore-wire-examples.json not found; skipped\n");
		skip();
	}
	memset(&o, 0, sizeof(o));
	o.keys = &key;
	o.nkeys = 1;
	o.clock = &ck;
	o.transition_ms = 0;
	sf_local_echo_backend(&be);
	o.backend = be;
	assert_int_equal(sf_local_server_new(&o, &s, &err), SF_OK);
	/* The session-token case is signed for us-west-2. */
	o.keys = &tkey;
	o.region = "us-west-2";
	sf_local_echo_backend(&be);
	o.backend = be;
	assert_int_equal(sf_local_server_new(&o, &s2, &err), SF_OK);
	json_array_foreach(json_object_get(doc, "cases"), i, c)
	{
		json_t *wr = json_object_get(c, "wire_request");
		const char *url = json_string_value(json_object_get(wr, "url"));
		const char *opx =
		    json_string_value(json_object_get(c, "operation"));
		char op[64];
		const char *body =
		    json_string_value(json_object_get(wr, "body"));
		const char *target, *k;
		json_t *hv, *v;
		struct sf_local_header h[32];
		struct sf_local_request req;
		struct sf_local_response resp;
		char *host;
		size_t nh = 0;

		if (!url || !opx)
			continue;
		snprintf(op, sizeof(op), "%.*s", (int)strcspn(opx, "("), opx);
		target = strchr(url + strlen("https://"), '/');
		host = sf_xstrndup(url + strlen("https://"),
		    (size_t)(target - url - strlen("https://")));
		h[nh].name = "Host";
		h[nh++].value = host;
		hv = json_object_get(wr, "headers");
		json_object_foreach(hv, k, v)
		{
			if (nh < SF_ARRAY_LEN(h) && json_is_string(v)) {
				h[nh].name = k;
				h[nh++].value = json_string_value(v);
			}
		}
		memset(&req, 0, sizeof(req));
		req.method = json_string_value(json_object_get(wr, "method"));
		req.target = target;
		req.headers = h;
		req.nheaders = nh;
		req.body = body;
		req.body_len = body ? strlen(body) : 0;
		sf_local_server_handle(
		    json_object_get(hv, "X-Amz-Security-Token") ? s2 : s, &req,
		    &resp);
		/* Whatever the records say (404 for ids that were never
		 * made), the signature of each is good and the route known. */
		if (resp.status == 403 || resp.status == 400 ||
		    (resp.status == 404 &&
		        !strcmp(
		            sf_local_response_header(&resp, "X-Amzn-ErrorType"),
		            "UnknownOperationException")))
			fail_msg("%s %s: %d %s %s", op, target, resp.status,
			    sf_local_response_header(&resp, "X-Amzn-ErrorType"),
			    resp.body.buf);
		assert_string_equal(resp.operation, op);
		if (!strcmp(op, "CreateCodeInterpreter"))
			assert_int_equal(resp.status, 202);
		sf_local_response_release(&resp);
		free(host);
		checked++;
	}
	assert_true(checked >= 15);
	sf_local_server_free(s);
	sf_local_server_free(s2);
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_system_interpreter),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_conflict_and_not_found),
		cmocka_unit_test(test_idempotency),
		cmocka_unit_test(test_pagination),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_throttling),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_hostile_http),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_botocore_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
