/*
 * Unit tests of the bubblewrap backend (src/local/sandbox*.c), through its
 * ops only: real sandboxes on this machine. Skipped (77) where bubblewrap
 * cannot make namespaces.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "local/sandbox.h"

struct fixture {
	char root[64];
	struct sf_sandbox_config cfg;
	struct sf_backend be;
};

static enum sf_sandbox_cgroups cgroups_mode = SF_SANDBOX_CGROUPS_AUTO;

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sf_err err;

	snprintf(f->root, sizeof(f->root), "/tmp/sf-test-sandbox-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	sf_sandbox_config_init(&f->cfg);
	f->cfg.root = f->root;
	f->cfg.cgroups = cgroups_mode;
	if (sf_sandbox_backend_new(&f->cfg, &f->be, &err) != 0) {
		fprintf(stderr, "backend: %s: %s\n", err.where, err.msg);
		rmdir(f->root);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	f->be.ops->free(f->be.ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct sf_backend_session *
start_opts(struct fixture *f, const char *mode, int64_t timeout,
    const struct sf_backend_limits *lim)
{
	struct sf_backend_session_opts o = { 0 };
	struct sf_backend_session *s = NULL;
	struct sf_err err;
	int rc;

	o.session_id = "test";
	o.interpreter_id = "aws.codeinterpreter.v1";
	o.network_mode = mode;
	o.timeout_s = timeout;
	if (lim)
		o.limits = *lim;
	rc = f->be.ops->start(f->be.ctx, &o, &s, &err);
	if (rc != 0)
		fail_msg("start: %s: %s", err.where, err.msg);
	assert_non_null(s);
	return s;
}

static struct sf_backend_session *
start(struct fixture *f, const char *mode)
{
	return start_opts(f, mode, 300, NULL);
}

/* Invoke a tool with arguments given as JSON text; the result. */
static json_t *
invoke(struct fixture *f, struct sf_backend_session *s, const char *tool,
    const char *args_json)
{
	json_t *args = json_loads(args_json, 0, NULL);
	json_t *res = NULL;
	struct sf_err err;
	int rc;

	assert_non_null(args);
	rc = f->be.ops->invoke(s, tool, args, &res, &err);
	json_decref(args);
	if (rc != 0)
		fail_msg("%s: %s: %s", tool, err.where, err.msg);
	assert_non_null(res);
	assert_true(json_is_array(json_object_get(res, "content")));
	return res;
}

/* The code of an invoke that must fail, and its message in err. */
static int
invoke_err(struct fixture *f, struct sf_backend_session *s, const char *tool,
    const char *args_json, struct sf_err *err)
{
	json_t *args = json_loads(args_json, 0, NULL);
	json_t *res = NULL;
	int rc;

	assert_non_null(args);
	rc = f->be.ops->invoke(s, tool, args, &res, err);
	json_decref(args);
	assert_null(res);
	assert_int_not_equal(rc, 0);
	return rc;
}

static const char *
sc_str(json_t *res, const char *key)
{
	const char *v = json_string_value(
	    json_object_get(json_object_get(res, "structuredContent"), key));

	return v ? v : "(none)";
}

static json_int_t
sc_int(json_t *res, const char *key)
{
	json_t *v =
	    json_object_get(json_object_get(res, "structuredContent"), key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static bool
is_error(json_t *res)
{
	return json_is_true(json_object_get(res, "isError"));
}

static const char *
text0(json_t *res)
{
	const char *t = json_string_value(json_object_get(
	    json_array_get(json_object_get(res, "content"), 0), "text"));

	return t ? t : "(none)";
}

/* Run a shell command; its stdout. The result is kept in *out if given. */
static char *
sh(struct fixture *f, struct sf_backend_session *s, const char *cmd,
    json_t **out)
{
	json_t *args = json_pack("{s:s}", "command", cmd);
	json_t *res = NULL;
	struct sf_err err;
	char *text;

	if (f->be.ops->invoke(s, "executeCommand", args, &res, &err) != 0)
		fail_msg("executeCommand %s: %s", cmd, err.msg);
	json_decref(args);
	text = strdup(sc_str(res, "stdout"));
	if (out)
		*out = res;
	else
		json_decref(res);
	return text;
}

/* ------------------------------------------------------------ tests */

static void
test_describe(void **state)
{
	struct fixture *f = *state;
	const char *d = f->be.ops->describe(f->be.ctx);

	assert_non_null(strstr(d, "bubblewrap; "));
	print_message("describe: %s\n", d);
}

static void
test_command(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start(f, "SANDBOX");
	json_t *res;
	char *text;

	assert_true(f->be.ops->alive(s));
	res = invoke(f, s, "executeCommand",
	    "{\"command\": \"echo hello; echo oops >&2; pwd; exit 3\"}");
	assert_string_equal(
	    sc_str(res, "stdout"), "hello\n" SF_SANDBOX_WORKSPACE "\n");
	assert_string_equal(sc_str(res, "stderr"), "oops\n");
	assert_int_equal(sc_int(res, "exitCode"), 3);
	assert_true(is_error(res));
	assert_true(json_is_real(json_object_get(
	    json_object_get(res, "structuredContent"), "executionTime")));
	assert_non_null(strstr(text0(res), "hello"));
	json_decref(res);

	text = sh(f, s, "echo $HOME; hostname", NULL);
	assert_string_equal(text, SF_SANDBOX_WORKSPACE "\nsandbox\n");
	free(text);
	res = invoke(f, s, "executeCommand", "{\"command\": \"true\"}");
	assert_false(is_error(res));
	assert_int_equal(sc_int(res, "exitCode"), 0);
	json_decref(res);
	f->be.ops->stop(s);
}

static void
test_bad_calls(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start(f, "SANDBOX");
	struct sf_err err;

	assert_int_equal(
	    invoke_err(f, s, "executeCommand", "{}", &err), SF_EINVALID);
	assert_int_equal(
	    invoke_err(f, s, "executeComand", "{\"command\":\"x\"}", &err),
	    SF_EINVALID);
	assert_non_null(strstr(err.msg, "executeCommand"));
	assert_int_equal(
	    invoke_err(f, s, "getTask", "{\"taskId\": \"nope\"}", &err),
	    SF_ENOTFOUND);
	f->be.ops->stop(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_bad_calls, setup, teardown),
	};
	struct sf_sandbox_config cfg;
	struct sf_err err;

	sf_sandbox_config_init(&cfg);
	if (sf_sandbox_probe(&cfg, &err) != 0) {
		fprintf(stderr, "skipped: %s: %s\n", err.where, err.msg);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
