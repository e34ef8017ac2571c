/*
 * The embedded control plane's data plane over real HTTP, with a fake
 * backend: sessions (start, get, list, stop, timeouts, quotas, restarts)
 * and InvokeCodeInterpreter's event stream, results and errors before and
 * inside the stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <unistd.h>

#include "provider/aws/eventstream.h"
#include "test_local_support.h"

#define DATA 1

static char *
start(struct lt_world *w, const char *ci, const char *name, int64_t timeout)
{
	struct sf_session_spec spec;
	struct sf_session s;
	struct sf_err err;
	char *id;

	memset(&spec, 0, sizeof(spec));
	spec.name = name;
	spec.timeout_s = timeout;
	if (w->p->ops->start_session(w->p, ci, &spec, &s, &err))
		fail_msg("start on %s: %s", ci, err.msg);
	id = s.session_id;
	s.session_id = NULL;
	sf_session_release(&s);
	return id;
}

static char *
status_of(struct lt_world *w, const char *ci, const char *sid)
{
	struct sf_session s;
	struct sf_err err;
	char *st;

	if (w->p->ops->get_session(w->p, ci, sid, &s, &err))
		fail_msg("get %s: %s", sid, err.msg);
	st = s.status;
	s.status = NULL;
	sf_session_release(&s);
	return st;
}

struct got {
	int results;
	char text[256];
	bool is_error;
	int exit_code;
};

static int
on_result(const struct sf_tool_result *r, void *ud)
{
	struct got *g = ud;

	g->results++;
	g->is_error = r->is_error;
	g->exit_code = r->exit_code;
	if (r->ncontent && r->content[0].text)
		snprintf(g->text, sizeof(g->text), "%s", r->content[0].text);
	return 0;
}

static int
run(struct lt_world *w, const char *ci, const char *sid, const char *tool,
    const char *command, struct got *g, struct sf_err *err)
{
	struct sf_tool_call call;

	memset(&call, 0, sizeof(call));
	memset(g, 0, sizeof(*g));
	call.name = tool;
	if (!strcmp(tool, "executeCode")) {
		call.code = command;
		call.language = "python";
	} else {
		call.command = command;
	}
	return w->p->ops->invoke(w->p, ci, sid, &call, on_result, g, err);
}

static void
test_walkthrough(void **state)
{
	struct lt_world *w = lt_start(NULL);
	char *ci = lt_create_ready(w, "myTestSandbox1", "PUBLIC");
	char *sid, *st;
	struct sf_session s;
	struct sf_session_list l;
	struct sf_err err;
	struct got g;
	size_t i;

	(void)state;
	sid = start(w, ci, "mysandbox-session-01", 600);
	/* A ULID: 26 characters of Crockford's base 32. */
	assert_int_equal(strlen(sid), 26);
	for (i = 0; i < 26; i++)
		assert_non_null(
		    strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", sid[i]));
	assert_string_equal(w->be.last_network, "PUBLIC");
	assert_int_equal(w->be.last_timeout, 600);

	assert_int_equal(
	    w->p->ops->get_session(w->p, ci, sid, &s, &err), SF_OK);
	assert_string_equal(s.status, "READY");
	assert_string_equal(s.name, "mysandbox-session-01");
	assert_string_equal(s.interpreter_id, ci);
	assert_int_equal(s.timeout_s, 600);
	assert_true(s.created_at > 0);
	sf_session_release(&s);

	assert_int_equal(
	    run(w, ci, sid, "executeCommand", "curl -I x", &g, &err), SF_OK);
	assert_int_equal(g.results, 1);
	assert_string_equal(g.text, "ran: curl -I x");
	assert_false(g.is_error);
	assert_int_equal(
	    run(w, ci, sid, "executeCode", "print(1)", &g, &err), SF_OK);
	assert_string_equal(g.text, "print(1)");
	/* A command that fails is a result with isError, not an error. */
	assert_int_equal(
	    run(w, ci, sid, "executeCommand", "exit 3", &g, &err), SF_OK);
	assert_true(g.is_error);
	assert_int_equal(g.exit_code, 3);
	/* A call the backend refuses: an exception inside the stream. */
	assert_int_equal(
	    run(w, ci, sid, "executeCommand", "fail", &g, &err), SF_EREMOTE);
	assert_non_null(strstr(err.msg, "ValidationException (in the stream)"));
	assert_non_null(strstr(err.msg, "the fake refuses"));

	assert_int_equal(
	    w->p->ops->list_sessions(w->p, ci, NULL, &l, &err), SF_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].status, "READY");
	assert_string_equal(l.v[0].session_id, sid);
	sf_session_list_release(&l);

	assert_int_equal(w->p->ops->stop_session(w->p, ci, sid, &err), SF_OK);
	assert_int_equal(w->be.stops, 1);
	st = status_of(w, ci, sid);
	assert_string_equal(st, "TERMINATED");
	free(st);
	assert_int_equal(
	    w->p->ops->list_sessions(w->p, ci, "READY", &l, &err), SF_OK);
	assert_int_equal(l.n, 0);
	sf_session_list_release(&l);
	assert_int_equal(
	    w->p->ops->list_sessions(w->p, ci, "TERMINATED", &l, &err), SF_OK);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].last_updated_at >= l.v[0].created_at);
	sf_session_list_release(&l);
	/* Stopped is stopped: no more calls, a second stop is harmless. */
	assert_int_equal(
	    run(w, ci, sid, "executeCommand", "ls", &g, &err), SF_ENOTFOUND);
	assert_int_equal(w->p->ops->stop_session(w->p, ci, sid, &err), SF_OK);
	assert_int_equal(w->be.stops, 1);
	free(sid);
	free(ci);
	lt_free(w);
}

static void
test_system_and_stream(void **state)
{
	struct lt_world *w = lt_start(NULL);
	char *sid = start(w, "aws.codeinterpreter.v1", NULL, 0);
	char hdr[256], ct[128];
	struct lt_resp r;
	struct sf_es_message m;
	struct sf_es_class c;
	struct sf_err err;
	json_t *j;

	(void)state;
	assert_string_equal(w->be.last_network, "SANDBOX");
	assert_int_equal(w->be.last_timeout, 900); /* the default */
	snprintf(
	    hdr, sizeof(hdr), "x-amzn-code-interpreter-session-id: %s", sid);
	assert_int_equal(lt_signed(w, "POST",
	                     "/code-interpreters/aws.codeinterpreter.v1/tools/"
	                     "invoke",
	                     NULL,
	                     "{\"name\":\"executeCommand\",\"arguments\":{"
	                     "\"command\":\"echo hi\"}}",
	                     hdr, &r),
	    0);
	assert_int_equal(r.status, 200);
	assert_string_equal(lt_resp_header(&r, "Content-Type", ct, sizeof(ct)),
	    "application/vnd.amazon.eventstream");
	assert_string_equal(
	    lt_resp_header(
	        &r, "x-amzn-code-interpreter-session-id", ct, sizeof(ct)),
	    sid);
	sf_es_message_init(&m);
	assert_int_equal(
	    sf_es_message_parse(&m, r.body.buf, r.body.len, NULL, &err), SF_OK);
	assert_int_equal(sf_es_classify(&c, &m, &err), SF_OK);
	assert_int_equal(c.kind, SF_ES_EVENT);
	assert_true(sf_es_class_is(&c, "result"));
	j = json_loadb((const char *)c.payload, c.payload_len, 0, NULL);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(j, "structuredContent"), "stdout")),
	    "ran: echo hi");
	json_decref(j);
	sf_es_message_release(&m);
	lt_resp_release(&r);
	free(sid);
	lt_free(w);
}

static void
expect_error(struct lt_world *w, const char *op, const char *method,
    const char *path, const char *query, const char *body, long status,
    const char *type)
{
	struct sf_aws_response r;
	struct sf_err err;
	int rc = lt_call(w->p, DATA, op, method, path, query, body, &r, &err);

	if (rc == SF_OK || r.error.status != status ||
	    strcmp(r.error.type, type))
		fail_msg("%s %s: want %ld %s, got %d: %s", method, path, status,
		    type, rc, err.msg);
	sf_aws_response_release(&r);
}

static void
test_errors(void **state)
{
	struct lt_world *w = lt_start(NULL);
	struct sf_ci_spec spec;
	struct sf_ci ci;
	struct sf_err err;
	char *path, *sid = start(w, "aws.codeinterpreter.v1", NULL, 60);
	struct lt_resp r;
	char hdr[128], buf[128];

	(void)state;
	expect_error(w, "StartCodeInterpreterSession", "PUT",
	    "/code-interpreters/nothere-0123456789/sessions/start", NULL, "{}",
	    404, "ResourceNotFoundException");
	expect_error(w, "StartCodeInterpreterSession", "PUT",
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/start", NULL,
	    "{\"sessionTimeoutSeconds\":0}", 400, "ValidationException");
	expect_error(w, "StartCodeInterpreterSession", "PUT",
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/start", NULL,
	    "{\"sessionTimeoutSeconds\":28801}", 400, "ValidationException");
	expect_error(w, "StartCodeInterpreterSession", "PUT",
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/start", NULL,
	    "{\"sessionTimeoutSeconds\":\"60\"}", 400, "ValidationException");
	expect_error(w, "StartCodeInterpreterSession", "PUT",
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/start", NULL,
	    "{\"name\":\"\"}", 400, "ValidationException");
	expect_error(w, "GetCodeInterpreterSession", "GET",
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/get", NULL,
	    NULL, 400, "ValidationException");
	expect_error(w, "GetCodeInterpreterSession", "GET",
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/get",
	    "sessionId=01JABCDEFGHJKMNPQRSTVWXYZ0", NULL, 404,
	    "ResourceNotFoundException");
	expect_error(w, "GetCodeInterpreterSession", "GET",
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/get",
	    "sessionId=not-valid!", NULL, 400, "ValidationException");
	expect_error(w, "ListCodeInterpreterSessions", "POST",
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/list", NULL,
	    "{\"status\":\"ACTIVE\"}", 400, "ValidationException");
	expect_error(w, "ListCodeInterpreterSessions", "POST",
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/list", NULL,
	    "{\"maxResults\":1000}", 400, "ValidationException");
	expect_error(w, "ListCodeInterpreterSessions", "POST",
	    "/code-interpreters/nothere-0123456789/sessions/list", NULL, "{}",
	    404, "ResourceNotFoundException");
	/* The session of another interpreter is not found on this one. */
	path = sf_xasprintf("sessionId=%s", sid);
	expect_error(w, "StopCodeInterpreterSession", "PUT",
	    "/code-interpreters/nothere-0123456789/sessions/stop", path, "{}",
	    404, "ResourceNotFoundException");
	free(path);
	/* Invoke: errors found before the stream are JSON errors. */
	expect_error(w, "InvokeCodeInterpreter", "POST",
	    "/code-interpreters/aws.codeinterpreter.v1/tools/invoke", NULL,
	    "{\"name\":\"executeCommand\"}", 400, "ValidationException");
	snprintf(
	    hdr, sizeof(hdr), "x-amzn-code-interpreter-session-id: %s", sid);
	assert_int_equal(lt_signed(w, "POST",
	                     "/code-interpreters/aws.codeinterpreter.v1/tools/"
	                     "invoke",
	                     NULL, "{\"name\":\"runEverything\"}", hdr, &r),
	    0);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body.buf, "enum value set"));
	lt_resp_release(&r);
	assert_int_equal(
	    lt_signed(w, "POST",
	        "/code-interpreters/aws.codeinterpreter.v1/tools/"
	        "invoke",
	        NULL,
	        "{\"name\":\"executeCode\",\"arguments\":{\"code\":"
	        "1,\"language\":\"cobol\"}}",
	        hdr, &r),
	    0);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body.buf, "CannotParse"));
	assert_non_null(strstr(r.body.buf, "arguments.language"));
	lt_resp_release(&r);
	/* A session cannot start on an interpreter that is not READY. */
	memset(&spec, 0, sizeof(spec));
	spec.name = "young";
	spec.network_mode = "SANDBOX";
	assert_int_equal(
	    w->p->ops->create_interpreter(w->p, &spec, &ci, &err), SF_OK);
	path = sf_xasprintf("/code-interpreters/%s/sessions/start", ci.id);
	expect_error(w, "StartCodeInterpreterSession", "PUT", path, NULL, "{}",
	    409, "ConflictException");
	free(path);
	sf_ci_release(&ci);
	/* The backend cannot start one: 500. */
	w->be.fail_start = true;
	expect_error(w, "StartCodeInterpreterSession", "PUT",
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/start", NULL,
	    "{}", 500, "InternalServerException");
	w->be.fail_start = false;
	(void)buf;
	free(sid);
	lt_free(w);
}

static void
test_timeout(void **state)
{
	struct lt_world *w = lt_start(NULL);
	char *sid = start(w, "aws.codeinterpreter.v1", "short", 2);
	char *st;
	struct got g;
	struct sf_err err;

	(void)state;
	st = status_of(w, "aws.codeinterpreter.v1", sid);
	assert_string_equal(st, "READY");
	free(st);
	lt_advance(w, 2500);
	st = status_of(w, "aws.codeinterpreter.v1", sid);
	assert_string_equal(st, "TERMINATED");
	free(st);
	assert_int_equal(w->be.stops, 1);
	assert_int_equal(run(w, "aws.codeinterpreter.v1", sid, "executeCommand",
	                     "ls", &g, &err),
	    SF_ENOTFOUND);
	free(sid);
	lt_free(w);
}

static void
two_sessions(struct sf_local_opts *o)
{
	o->max_sessions = 2;
}

static void
test_quota(void **state)
{
	struct lt_world *w = lt_start(two_sessions);
	char *a = start(w, "aws.codeinterpreter.v1", NULL, 60);
	char *b = start(w, "aws.codeinterpreter.v1", NULL, 60);
	struct sf_session_spec spec;
	struct sf_session s;
	struct sf_err err;

	(void)state;
	memset(&spec, 0, sizeof(spec));
	assert_int_equal(w->p->ops->start_session(
	                     w->p, "aws.codeinterpreter.v1", &spec, &s, &err),
	    SF_EREMOTE);
	assert_non_null(strstr(err.msg, "ServiceQuotaExceededException (402)"));
	assert_int_equal(
	    w->p->ops->stop_session(w->p, "aws.codeinterpreter.v1", a, &err),
	    SF_OK);
	free(a);
	a = start(w, "aws.codeinterpreter.v1", NULL, 60);
	free(a);
	free(b);
	lt_free(w);
}

static void
test_pagination(void **state)
{
	struct lt_world *w = lt_start(NULL);
	struct sf_session_list l;
	struct sf_err err;
	char *token = NULL;
	int i, pages = 0;
	size_t seen = 0;

	(void)state;
	for (i = 0; i < 25; i++)
		free(start(w, "aws.codeinterpreter.v1", NULL, 60));
	assert_int_equal(w->p->ops->list_sessions(
	                     w->p, "aws.codeinterpreter.v1", NULL, &l, &err),
	    SF_OK);
	assert_int_equal(l.n, 25);
	for (i = 1; i < 25; i++)
		assert_true(
		    strcmp(l.v[i - 1].session_id, l.v[i].session_id) < 0);
	sf_session_list_release(&l);
	do {
		struct sf_aws_response r;
		char *body = token
		                 ? sf_xasprintf("{\"nextToken\":\"%s\"}", token)
		                 : sf_xstrdup("{}");
		json_t *j, *nt;

		assert_int_equal(
		    lt_call(w->p, DATA, "ListCodeInterpreterSessions", "POST",
		        "/code-interpreters/aws.codeinterpreter.v1/"
		        "sessions/list",
		        NULL, body, &r, &err),
		    SF_OK);
		j = json_loadb(r.body.buf, r.body.len, 0, NULL);
		seen += json_array_size(json_object_get(j, "items"));
		free(token);
		nt = json_object_get(j, "nextToken");
		token = nt ? sf_xstrdup(json_string_value(nt)) : NULL;
		json_decref(j);
		sf_aws_response_release(&r);
		free(body);
		pages++;
	} while (token && pages < 10);
	assert_int_equal(seen, 25);
	assert_int_equal(pages, 3); /* 10 a page by default */
	/* A token of one filter is no good for another. */
	{
		struct sf_aws_response r;

		assert_int_equal(
		    lt_call(w->p, DATA, "ListCodeInterpreterSessions", "POST",
		        "/code-interpreters/aws.codeinterpreter.v1/"
		        "sessions/list",
		        NULL, "{\"maxResults\":1}", &r, &err),
		    SF_OK);
		token = sf_xstrdup(strstr(r.body.buf, "\"nextToken\":\"") + 13);
		*strchr(token, '"') = '\0';
		sf_aws_response_release(&r);
		{
			char *body = sf_xasprintf(
			    "{\"nextToken\":\"%s\",\"status\":\"READY\"}",
			    token);

			expect_error(w, "ListCodeInterpreterSessions", "POST",
			    "/code-interpreters/aws.codeinterpreter.v1/"
			    "sessions/list",
			    NULL, body, 400, "ValidationException");
			free(body);
		}
		free(token);
	}
	lt_free(w);
}

static void
test_restart(void **state)
{
	struct lt_world *w = lt_start(NULL);
	char *ci = lt_create_ready(w, "keeper", "SANDBOX");
	char *a = start(w, ci, "one", 600);
	char *b = start(w, "aws.codeinterpreter.v1", "two", 600);
	char *st;
	struct sf_session_list l;
	struct sf_err err;

	(void)state;
	lt_restart(w);
	/* The server's end stopped both sandboxes. */
	assert_int_equal(w->be.stops, 2);
	st = status_of(w, ci, a);
	assert_string_equal(st, "TERMINATED");
	free(st);
	st = status_of(w, "aws.codeinterpreter.v1", b);
	assert_string_equal(st, "TERMINATED");
	free(st);
	assert_int_equal(
	    w->p->ops->list_sessions(w->p, ci, NULL, &l, &err), SF_OK);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "one");
	sf_session_list_release(&l);
	free(a);
	free(b);
	free(ci);
	lt_free(w);
}

struct blocker {
	struct lt_world *w;
	const char *sid;
	int rc;
	struct sf_err err;
};

static void *
block_call(void *arg)
{
	struct blocker *b = arg;
	struct got g;

	b->rc = run(b->w, "aws.codeinterpreter.v1", b->sid, "executeCommand",
	    "block", &g, &b->err);
	return NULL;
}

static void
test_stop_during_invoke(void **state)
{
	struct lt_world *w = lt_start(NULL);
	char *sid = start(w, "aws.codeinterpreter.v1", NULL, 600);
	struct blocker b = { w, sid, -100, { 0 } };
	struct sf_provider *p2 = lt_client(w, LT_AKID, LT_SECRET, LT_REGION, 0);
	struct sf_err err;
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, block_call, &b), 0);
	pthread_mutex_lock(&w->be.mu);
	while (!w->be.blocked)
		pthread_cond_wait(&w->be.cv, &w->be.mu);
	pthread_mutex_unlock(&w->be.mu);
	/* Stop kills what runs: the call answers at once. */
	assert_int_equal(
	    p2->ops->stop_session(p2, "aws.codeinterpreter.v1", sid, &err),
	    SF_OK);
	pthread_join(t, NULL);
	assert_int_equal(b.rc, SF_ENOTFOUND);
	assert_non_null(strstr(b.err.msg, "in the stream"));
	p2->ops->free(p2);
	free(sid);
	lt_free(w);
}

static void
test_delete_ends_sessions(void **state)
{
	struct lt_world *w = lt_start(NULL);
	char *ci = lt_create_ready(w, "short_lived", "SANDBOX");
	char *sid = start(w, ci, NULL, 600);
	char *st;
	struct sf_ci out;
	struct sf_err err;

	(void)state;
	assert_int_equal(
	    w->p->ops->delete_interpreter(w->p, ci, NULL, &out, &err), SF_OK);
	sf_ci_release(&out);
	assert_int_equal(w->be.stops, 1);
	st = status_of(w, ci, sid);
	assert_string_equal(st, "TERMINATED");
	free(st);
	lt_advance(w, 1000);
	assert_int_equal(
	    w->p->ops->get_session(w->p, ci, sid, NULL, &err), SF_ENOTFOUND);
	free(sid);
	free(ci);
	lt_free(w);
}

static void
test_idempotent_start_stop(void **state)
{
	struct lt_world *w = lt_start(NULL);
	struct sf_aws_response r1, r2;
	struct sf_err err;
	const char *p =
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/start";
	const char *body = "{\"name\":\"x\",\"clientToken\":"
	                   "\"a1b2c3d4-0000-4000-8000-000000000004\"}";
	char *q;

	(void)state;
	assert_int_equal(lt_call(w->p, DATA, "StartCodeInterpreterSession",
	                     "PUT", p, NULL, body, &r1, &err),
	    SF_OK);
	assert_int_equal(lt_call(w->p, DATA, "StartCodeInterpreterSession",
	                     "PUT", p, NULL, body, &r2, &err),
	    SF_OK);
	assert_string_equal(r1.body.buf, r2.body.buf);
	assert_int_equal(w->be.starts, 1);
	expect_error(w, "StartCodeInterpreterSession", "PUT", p, NULL,
	    "{\"name\":\"y\",\"clientToken\":"
	    "\"a1b2c3d4-0000-4000-8000-000000000004\"}",
	    400, "ValidationException");
	{
		json_t *j = json_loadb(r1.body.buf, r1.body.len, 0, NULL);

		q = sf_xasprintf("sessionId=%s",
		    json_string_value(json_object_get(j, "sessionId")));
		json_decref(j);
	}
	sf_aws_response_release(&r1);
	sf_aws_response_release(&r2);
	body = "{\"clientToken\":\"a1b2c3d4-0000-4000-8000-000000000005\"}";
	assert_int_equal(
	    lt_call(w->p, DATA, "StopCodeInterpreterSession", "PUT",
	        "/code-interpreters/aws.codeinterpreter.v1/"
	        "sessions/stop",
	        q, body, &r1, &err),
	    SF_OK);
	assert_int_equal(
	    lt_call(w->p, DATA, "StopCodeInterpreterSession", "PUT",
	        "/code-interpreters/aws.codeinterpreter.v1/"
	        "sessions/stop",
	        q, body, &r2, &err),
	    SF_OK);
	assert_string_equal(r1.body.buf, r2.body.buf);
	assert_non_null(strstr(r1.body.buf, "lastUpdatedAt"));
	sf_aws_response_release(&r1);
	sf_aws_response_release(&r2);
	free(q);
	lt_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walkthrough),
		cmocka_unit_test(test_system_and_stream),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_pagination),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_stop_during_invoke),
		cmocka_unit_test(test_delete_ends_sessions),
		cmocka_unit_test(test_idempotent_start_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
