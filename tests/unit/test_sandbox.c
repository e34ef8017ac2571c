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

/* ------------------------------------------------------------ processes */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A word unlikely to be anywhere else: "<prefix>-<pid>-<counter>". */
static void
marker(char *out, size_t size, const char *prefix)
{
	static int n;

	snprintf(out, size, "%s-%ld-%d-%ld", prefix, (long)getpid(), ++n,
	    (long)time(NULL));
}

/*
 * The host pids of the processes whose command line holds word (up to
 * max of them in pids); how many there are.
 */
static int
find_procs(const char *word, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[300], buf[8192];
		FILE *fp;
		size_t len;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		fp = fopen(path, "re");
		if (!fp)
			continue;
		len = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		if (len && memmem(buf, len, word, strlen(word))) {
			if (pids && n < max)
				pids[n] = (pid_t)atol(de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

/* The inode of pid's pid namespace, 0 if it is gone. */
static ino_t
pidns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%ld/ns/pid", (long)pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* How many processes are in the pid namespace of inode ino. */
static int
count_pidns(ino_t ino)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (pidns_of((pid_t)atol(de->d_name)) == ino)
			n++;
	}
	closedir(d);
	return n;
}

/* ------------------------------------------------------------ tests */

static void
test_describe(void **state)
{
	struct fixture *f = *state;
	const char *d = f->be.ops->describe(f->be.ctx);

	assert_true(strncmp(d, "bubblewrap", 10) == 0);
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

static void
test_stop_kills_everything(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start(f, "SANDBOX");
	char m[64], cmd[512], *text;
	pid_t pids[32];
	ino_t ns;
	int n;
	json_t *res;

	marker(m, sizeof(m), "sfstop");
	snprintf(cmd, sizeof(cmd),
	    "setsid sh -c 'sleep 1000; : %s' >/dev/null 2>&1 & "
	    "python3 -c 'import time; time.sleep(1000)' %s "
	    ">/dev/null 2>&1 & echo started",
	    m, m);
	text = sh(f, s, cmd, NULL);
	assert_string_equal(text, "started\n");
	free(text);
	snprintf(cmd, sizeof(cmd), "{\"command\": \"sleep 1000; : %s\"}", m);
	res = invoke(f, s, "startCommandExecution", cmd);
	json_decref(res);
	for (int i = 0; i < 100 && find_procs(m, NULL, 0) < 3; i++)
		sleep_ms(20);
	n = find_procs(m, pids, (int)SF_ARRAY_LEN(pids));
	assert_true(n >= 3);
	ns = pidns_of(pids[0]);
	assert_true(ns != 0);
	assert_true(count_pidns(ns) >= 6); /* init, agent, 3 + children */

	f->be.ops->stop(s);
	assert_int_equal(count_pidns(ns), 0);
	assert_int_equal(find_procs(m, NULL, 0), 0);
	for (int i = 0; i < n && i < (int)SF_ARRAY_LEN(pids); i++)
		assert_true(kill(pids[i], 0) != 0 || pidns_of(pids[i]) != ns);
}

static void
test_timeout(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start_opts(f, "SANDBOX", 2, NULL);
	struct sf_err err;
	double t0 = now_ms(), took;
	int rc;

	rc = invoke_err(f, s, "executeCode",
	    "{\"code\": \"while True: pass\", \"language\": \"python\"}", &err);
	took = now_ms() - t0;
	print_message("endless loop: %s (%.0f ms)\n", err.msg, took);
	assert_int_equal(rc, SF_ECONFLICT);
	assert_non_null(strstr(err.msg, "timed out"));
	assert_true(took > 1000 && took < 8000);
	assert_false(f->be.ops->alive(s));
	rc =
	    invoke_err(f, s, "executeCommand", "{\"command\": \"true\"}", &err);
	assert_int_equal(rc, SF_ENOTFOUND);
	f->be.ops->stop(s);
}

/* A session that has used up its processes or memory: b still works. */
static void
assert_other_works(struct fixture *f, struct sf_backend_session *b)
{
	double t0 = now_ms();
	char *text = sh(f, b, "echo ok", NULL);

	assert_string_equal(text, "ok\n");
	free(text);
	assert_true(now_ms() - t0 < 10000);
}

static const char bomb[] = "python3 -c '\n"
                           "import os, time\n"
                           "n = 0\n"
                           "try:\n"
                           "    while True:\n"
                           "        if os.fork() == 0:\n"
                           "            time.sleep(60)\n"
                           "            os._exit(0)\n"
                           "        n += 1\n"
                           "except OSError as e:\n"
                           "    print(n, e.strerror)\n"
                           "' %s";

static void
test_fork_bomb(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_limits lim = { .cpus = 1, .pids = 64 };
	struct sf_backend_session *a = start_opts(f, "SANDBOX", 300, &lim);
	struct sf_backend_session *b = start(f, "SANDBOX");
	char m[64], cmd[512], *out;
	json_t *args, *res = NULL;
	struct sf_err err;
	int forked = 0, n;

	/* forks until it cannot; every child waits */
	marker(m, sizeof(m), "sfbomb");
	snprintf(cmd, sizeof(cmd), bomb, m);
	out = sh(f, a, cmd, NULL);
	print_message("fork bomb: %s", out);
	assert_int_equal(sscanf(out, "%d", &forked), 1);
	assert_non_null(strstr(out, "Resource temporarily unavailable"));
	free(out);
	n = find_procs(m, NULL, 0);
	print_message(
	    "fork bomb: %d processes of it (limit %d)\n", n, lim.pids);
	assert_true(forked >= lim.pids / 2);
	assert_true(n <= lim.pids);
	/* and the classic one, for a second */
	snprintf(cmd, sizeof(cmd), "sh -c 'f(){ f | f & }; f' %s", m);
	args = json_pack("{s:s}", "command", cmd);
	assert_int_equal(
	    f->be.ops->invoke(a, "startCommandExecution", args, &res, &err), 0);
	json_decref(args);
	json_decref(res);
	for (int i = 0; i < 20; i++) {
		sleep_ms(50);
		assert_true(find_procs(m, NULL, 0) <= lim.pids);
	}
	assert_other_works(f, b);
	/* a answers still, if only to say it cannot fork */
	args = json_pack("{s:s}", "command", "echo hi");
	assert_int_equal(
	    f->be.ops->invoke(a, "executeCommand", args, &res, &err), 0);
	json_decref(args);
	json_decref(res);
	f->be.ops->stop(a);
	assert_int_equal(find_procs(m, NULL, 0), 0);
	f->be.ops->stop(b);
}

static void
test_memory_hog(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_limits lim = { .memory_bytes = 256 << 20 };
	struct sf_backend_session *a = start_opts(f, "SANDBOX", 300, &lim);
	struct sf_backend_session *b = start(f, "SANDBOX");
	json_t *res;

	res = invoke(f, a, "executeCode",
	    "{\"code\": \"x = bytearray(1 << 30)\\nprint('survived')\"}");
	print_message("python memory hog: %s\n", text0(res));
	assert_true(is_error(res));
	assert_null(strstr(sc_str(res, "stdout"), "survived"));
	json_decref(res);
	res = invoke(f, a, "executeCommand",
	    "{\"command\": \"python3 -c 'b = bytearray(1 << 30)'\"}");
	print_message(
	    "shell memory hog: exit %d\n", (int)sc_int(res, "exitCode"));
	assert_true(is_error(res));
	json_decref(res);
	assert_other_works(f, b);
	/* a goes on, with a fresh Python context */
	res = invoke(f, a, "executeCode", "{\"code\": \"print(6 * 7)\"}");
	assert_string_equal(sc_str(res, "stdout"), "42");
	json_decref(res);
	f->be.ops->stop(a);
	f->be.ops->stop(b);
}

static const char connect_code[] =
    "import socket\n"
    "try:\n"
    "    socket.create_connection(('127.0.0.1', %d), 3).close()\n"
    "    print('connected')\n"
    "except OSError as e:\n"
    "    print('refused', e)\n";

static char *
try_connect(struct fixture *f, struct sf_backend_session *s, int port)
{
	char code[512];
	json_t *args, *res;
	struct sf_err err;
	char *out;

	snprintf(code, sizeof(code), connect_code, port);
	args = json_pack("{s:s, s:s}", "code", code, "language", "python");
	if (f->be.ops->invoke(s, "executeCode", args, &res, &err) != 0)
		fail_msg("executeCode: %s", err.msg);
	json_decref(args);
	out = strdup(sc_str(res, "stdout"));
	json_decref(res);
	return out;
}

static void
test_network(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *sbx = start(f, "SANDBOX");
	struct sf_backend_session *vpc = start(f, "VPC");
	struct sf_backend_session *pub = start(f, "PUBLIC");
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char *out;

	/* a listener on the host's loopback, and only there */
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 16), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);

	out = try_connect(f, sbx, ntohs(sa.sin_port));
	print_message("SANDBOX: %s\n", out);
	assert_true(strncmp(out, "refused", 7) == 0);
	free(out);
	out = try_connect(f, vpc, ntohs(sa.sin_port));
	assert_true(strncmp(out, "refused", 7) == 0);
	free(out);
	out = try_connect(f, pub, ntohs(sa.sin_port));
	print_message("PUBLIC: %s\n", out);
	assert_string_equal(out, "connected");
	free(out);
	out = sh(f, sbx,
	    "python3 -c 'import socket; "
	    "print(*[n for i, n in socket.if_nameindex()])'",
	    NULL);
	assert_string_equal(out, "lo\n");
	free(out);
	close(lfd);
	f->be.ops->stop(sbx);
	f->be.ops->stop(vpc);
	f->be.ops->stop(pub);
}

static void
test_file_isolation(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *a = start(f, "SANDBOX");
	struct sf_backend_session *b = start(f, "PUBLIC");
	char canary[128], cmd[512], *out;
	struct sf_err err;
	json_t *res;
	FILE *fp;

	snprintf(canary, sizeof(canary), "%s/canary.txt", f->root);
	fp = fopen(canary, "w");
	assert_non_null(fp);
	fputs("sf-canary-secret\n", fp);
	fclose(fp);

	snprintf(cmd, sizeof(cmd),
	    "cat %s 2>&1; test -e %s && echo visible; "
	    "test -e /etc/shadow && echo shadow; test -e /root && echo root; "
	    "test -e /home && echo home; ls /tmp /workspace",
	    canary, f->root);
	out = sh(f, a, cmd, NULL);
	assert_null(strstr(out, "sf-canary-secret"));
	assert_null(strstr(out, "visible"));
	assert_null(strstr(out, "shadow"));
	assert_null(strstr(out, "root\n"));
	assert_null(strstr(out, "home"));
	free(out);
	out = sh(f, b, cmd, NULL);
	assert_null(strstr(out, "sf-canary-secret"));
	free(out);
	snprintf(cmd, sizeof(cmd), "{\"paths\": [\"%s\"]}", canary);
	assert_int_equal(invoke_err(f, a, "readFiles", cmd, &err), SF_EINVALID);

	/* what a writes, b never sees */
	res = invoke(f, a, "writeFiles",
	    "{\"content\": [{\"path\": \"secret.txt\", \"text\": "
	    "\"a-only\"}]}");
	json_decref(res);
	out = sh(f, a, "cat /workspace/secret.txt", NULL);
	assert_string_equal(out, "a-only");
	free(out);
	out = sh(f, b,
	    "cat /workspace/secret.txt 2>/dev/null; ls -A /workspace /tmp; "
	    "ls /proc | grep -c '^[0-9]'",
	    NULL);
	assert_null(strstr(out, "a-only"));
	assert_null(strstr(out, "secret"));
	print_message("processes b sees: %s", out);
	free(out);
	f->be.ops->stop(a);
	f->be.ops->stop(b);
}

static void
test_python_context(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start(f, "SANDBOX");
	json_t *res;

	res = invoke(f, s, "executeCode",
	    "{\"code\": \"x = 41\\nprint('hello')\", \"language\": "
	    "\"python\"}");
	assert_string_equal(sc_str(res, "stdout"), "hello");
	assert_string_equal(text0(res), "hello");
	assert_false(is_error(res));
	assert_int_equal(sc_int(res, "exitCode"), 0);
	json_decref(res);
	/* the state persists; a last expression is shown */
	res = invoke(f, s, "executeCode",
	    "{\"code\": \"import os\\nx + 1\", \"language\": \"python\"}");
	assert_string_equal(sc_str(res, "stdout"), "42");
	json_decref(res);
	res = invoke(f, s, "executeCode",
	    "{\"code\": \"print(os.getcwd(), os.environ['HOME'])\"}");
	assert_string_equal(sc_str(res, "stdout"),
	    SF_SANDBOX_WORKSPACE " " SF_SANDBOX_WORKSPACE);
	json_decref(res);
	/* output of child processes is the cell's too */
	res = invoke(f, s, "executeCode",
	    "{\"code\": \"import subprocess\\n"
	    "subprocess.run(['echo', 'child'])\\nprint('after')\"}");
	assert_non_null(strstr(sc_str(res, "stdout"), "child\n"));
	json_decref(res);
	/* clearContext: a fresh context */
	res = invoke(f, s, "executeCode",
	    "{\"code\": \"print(x)\", \"language\": \"python\", "
	    "\"clearContext\": true}");
	assert_true(is_error(res));
	assert_non_null(strstr(sc_str(res, "stderr"), "NameError"));
	json_decref(res);
	res = invoke(f, s, "executeCode", "{\"code\": \"x = 1\\nx\"}");
	assert_string_equal(sc_str(res, "stdout"), "1");
	json_decref(res);
	f->be.ops->stop(s);
}

static void
test_python_exception(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start(f, "SANDBOX");
	json_t *res;

	res = invoke(f, s, "executeCode",
	    "{\"code\": \"print('before')\\ndef f():\\n"
	    "    raise ValueError('bad value')\\nf()\", "
	    "\"language\": \"python\"}");
	assert_true(is_error(res));
	assert_int_equal(sc_int(res, "exitCode"), 1);
	assert_string_equal(sc_str(res, "stdout"), "before");
	assert_non_null(strstr(sc_str(res, "stderr"), "Traceback"));
	assert_non_null(strstr(sc_str(res, "stderr"), "ValueError: bad value"));
	assert_non_null(strstr(sc_str(res, "stderr"), "raise ValueError"));
	assert_non_null(strstr(text0(res), "ValueError: bad value"));
	json_decref(res);
	res = invoke(f, s, "executeCode", "{\"code\": \"def (:\"}");
	assert_true(is_error(res));
	assert_non_null(strstr(sc_str(res, "stderr"), "SyntaxError"));
	json_decref(res);
	/* sys.exit does not end the context */
	res = invoke(f, s, "executeCode",
	    "{\"code\": \"y = 5\\nimport sys\\nsys.exit(3)\"}");
	assert_int_equal(sc_int(res, "exitCode"), 3);
	json_decref(res);
	res = invoke(f, s, "executeCode", "{\"code\": \"y\"}");
	assert_string_equal(sc_str(res, "stdout"), "5");
	json_decref(res);
	/* a context that dies is replaced, and says so */
	res = invoke(
	    f, s, "executeCode", "{\"code\": \"import os\\nos._exit(7)\"}");
	assert_true(is_error(res));
	assert_non_null(strstr(text0(res), "state is lost"));
	json_decref(res);
	res = invoke(f, s, "executeCode", "{\"code\": \"'y' in globals()\"}");
	assert_string_equal(sc_str(res, "stdout"), "False");
	json_decref(res);
	f->be.ops->stop(s);
}

static void
test_javascript_context(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start(f, "SANDBOX");
	json_t *res;

	res = invoke(f, s, "executeCode",
	    "{\"code\": \"var x = 41; let y = 1; function inc(v) "
	    "{ return v + 1; } console.log('hello from', 'js')\", "
	    "\"language\": \"javascript\"}");
	assert_string_equal(sc_str(res, "stdout"), "hello from js");
	assert_false(is_error(res));
	json_decref(res);
	res = invoke(f, s, "executeCode",
	    "{\"code\": \"console.log(inc(x) + y - 1)\", "
	    "\"language\": \"javascript\"}");
	assert_string_equal(sc_str(res, "stdout"), "42");
	json_decref(res);
	/* a promise is awaited; require works */
	res = invoke(f, s, "executeCode",
	    "{\"code\": \"require('fs').writeFileSync('j.txt', 'js'); "
	    "new Promise(r => setTimeout(() => r(x * 2), 10))\", "
	    "\"language\": \"javascript\"}");
	assert_string_equal(sc_str(res, "stdout"), "82");
	json_decref(res);
	res = invoke(f, s, "executeCode",
	    "{\"code\": \"throw new Error('boom')\", "
	    "\"language\": \"javascript\"}");
	assert_true(is_error(res));
	assert_non_null(strstr(sc_str(res, "stderr"), "Error: boom"));
	json_decref(res);
	res = invoke(f, s, "executeCode",
	    "{\"code\": \"typeof x\", \"language\": \"javascript\", "
	    "\"clearContext\": true}");
	assert_string_equal(sc_str(res, "stdout"), "'undefined'");
	json_decref(res);
	/* python's state is its own */
	res = invoke(f, s, "executeCommand", "{\"command\": \"cat j.txt\"}");
	assert_string_equal(sc_str(res, "stdout"), "js");
	json_decref(res);
	f->be.ops->stop(s);
}

static void
test_languages_refused(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start(f, "SANDBOX");
	struct sf_sandbox_config cfg;
	struct sf_backend be;
	struct sf_backend_session_opts o = { 0 };
	struct sf_backend_session *t;
	struct sf_err err;

	assert_int_equal(invoke_err(f, s, "executeCode",
	                     "{\"code\": \"let x: number = 1\", "
	                     "\"language\": \"typescript\"}",
	                     &err),
	    SF_EINVALID);
	assert_non_null(strstr(err.msg,
	    "typescript is not supported by the embedded control plane"));
	assert_int_equal(
	    invoke_err(f, s, "executeCode",
	        "{\"code\": \"1\", \"language\": \"cobol\"}", &err),
	    SF_EINVALID);
	assert_int_equal(invoke_err(f, s, "executeCode",
	                     "{\"code\": \"1\", \"language\": \"javascript\", "
	                     "\"runtime\": \"deno\"}",
	                     &err),
	    SF_EINVALID);
	assert_int_equal(invoke_err(f, s, "executeCode",
	                     "{\"code\": 1, \"language\": \"python\"}", &err),
	    SF_EINVALID);
	f->be.ops->stop(s);

	/* a machine without node */
	sf_sandbox_config_init(&cfg);
	cfg.node = "/usr/bin/no-such-node";
	assert_int_equal(sf_sandbox_backend_new(&cfg, &be, &err), 0);
	assert_non_null(strstr(be.ops->describe(be.ctx), "no node"));
	o.session_id = "nonode";
	o.network_mode = "SANDBOX";
	o.timeout_s = 60;
	assert_int_equal(be.ops->start(be.ctx, &o, &t, &err), 0);
	{
		json_t *args = json_pack(
		    "{s:s, s:s}", "code", "1", "language", "javascript");
		json_t *res = NULL;

		assert_int_equal(
		    be.ops->invoke(t, "executeCode", args, &res, &err),
		    SF_EINVALID);
		assert_string_equal(
		    err.msg, "javascript needs node, which is not installed");
		json_decref(args);
	}
	be.ops->stop(t);
	be.ops->free(be.ctx);
}

static void
test_output_cap(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_limits lim = { .output_cap = 1000 };
	struct sf_backend_session *s = start_opts(f, "SANDBOX", 60, &lim);
	json_t *res;

	res = invoke(f, s, "executeCommand",
	    "{\"command\": \"head -c 100000 /dev/zero | tr '\\\\0' x; "
	    "echo done >&2\"}");
	assert_int_equal(strlen(sc_str(res, "stdout")), 1000);
	assert_string_equal(sc_str(res, "stderr"), "done\n");
	assert_non_null(strstr(text0(res), "stdout truncated: 100000 bytes"));
	json_decref(res);
	res = invoke(f, s, "executeCode", "{\"code\": \"print('y' * 5000)\"}");
	assert_int_equal(strlen(sc_str(res, "stdout")), 1000);
	assert_non_null(strstr(text0(res), "truncated"));
	json_decref(res);
	f->be.ops->stop(s);
}

/* The resource of content[i] of a result. */
static json_t *
resource(json_t *res, size_t i)
{
	json_t *b = json_array_get(json_object_get(res, "content"), i);

	assert_string_equal(
	    json_string_value(json_object_get(b, "type")), "resource");
	return json_object_get(b, "resource");
}

static void
test_files(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start(f, "SANDBOX");
	json_t *res, *r, *content;
	const char *uri;
	char *out;

	res = invoke(f, s, "writeFiles",
	    "{\"content\": [{\"path\": \"a.txt\", \"text\": \"abc\\n\"}, "
	    "{\"path\": \"dir/sub/b.bin\", \"blob\": \"AAEC/w==\"}, "
	    "{\"path\": \"" SF_SANDBOX_WORKSPACE "/c.py\", "
	    "\"text\": \"print(1)\"}]}");
	assert_false(is_error(res));
	json_decref(res);
	out = sh(f, s, "od -An -tx1 dir/sub/b.bin; cat a.txt", NULL);
	assert_string_equal(out, " 00 01 02 ff\nabc\n");
	free(out);

	res = invoke(f, s, "readFiles",
	    "{\"paths\": [\"a.txt\", \"dir/sub/b.bin\", \"missing.txt\"]}");
	assert_true(is_error(res)); /* one of them is missing */
	r = resource(res, 0);
	assert_string_equal(
	    json_string_value(json_object_get(r, "type")), "text");
	assert_string_equal(
	    json_string_value(json_object_get(r, "text")), "abc\n");
	uri = json_string_value(json_object_get(r, "uri"));
	assert_string_equal(uri, "file://" SF_SANDBOX_WORKSPACE "/a.txt");
	r = resource(res, 1);
	assert_string_equal(
	    json_string_value(json_object_get(r, "type")), "blob");
	assert_string_equal(
	    json_string_value(json_object_get(r, "blob")), "AAEC/w==");
	content = json_object_get(res, "content");
	assert_int_equal(json_array_size(content), 3);
	assert_non_null(strstr(json_string_value(json_object_get(
	                           json_array_get(content, 2), "text")),
	    "missing.txt"));
	json_decref(res);

	res = invoke(f, s, "listFiles", "{}");
	content = json_object_get(res, "content");
	assert_int_equal(json_array_size(content), 3);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(content, 0), "name")),
	    "a.txt");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(content, 0), "type")),
	    "resource_link");
	assert_int_equal(json_integer_value(json_object_get(
	                     json_array_get(content, 0), "size")),
	    4);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(content, 2), "name")),
	    "dir");
	json_decref(res);
	res = invoke(f, s, "listFiles", "{\"directoryPath\": \"dir/sub\"}");
	content = json_object_get(res, "content");
	assert_int_equal(json_array_size(content), 1);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(content, 0), "uri")),
	    "file://" SF_SANDBOX_WORKSPACE "/dir/sub/b.bin");
	json_decref(res);

	res = invoke(f, s, "removeFiles", "{\"paths\": [\"a.txt\", \"dir\"]}");
	assert_false(is_error(res));
	json_decref(res);
	out = sh(f, s, "ls -A", NULL);
	assert_string_equal(out, "c.py\n");
	free(out);
	res = invoke(f, s, "removeFiles", "{\"paths\": [\"a.txt\"]}");
	assert_true(is_error(res));
	json_decref(res);
	/* a name that is not UTF-8 still lists */
	out = sh(f, s, "touch \"$(printf 'bad\\377name')\" && echo ok", NULL);
	assert_string_equal(out, "ok\n");
	free(out);
	res = invoke(f, s, "listFiles", "{}");
	assert_int_equal(json_array_size(json_object_get(res, "content")), 2);
	json_decref(res);
	f->be.ops->stop(s);
}

static void
test_path_escapes(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start(f, "SANDBOX");
	static const char *const calls[][2] = {
		{ "readFiles", "{\"paths\": [\"../x\"]}" },
		{ "readFiles", "{\"paths\": [\"/etc/passwd\"]}" },
		{ "readFiles", "{\"paths\": [\"a/../../etc/passwd\"]}" },
		{ "readFiles", "{\"paths\": [\"root/etc/passwd\"]}" },
		{ "readFiles", "{\"paths\": [\"root\"]}" },
		{ "readFiles", "{\"paths\": [\"ok.txt\", \"/etc/hosts\"]}" },
		{ "writeFiles",
		    "{\"content\": [{\"path\": \"../x\", \"text\": \"x\"}]}" },
		{ "writeFiles",
		    "{\"content\": [{\"path\": \"root/tmp/x\", \"text\": "
		    "\"x\"}]}" },
		{ "writeFiles", "{\"content\": [{\"path\": \"/tmp/x\", "
		                "\"text\": \"x\"}]}" },
		{ "writeFiles",
		    "{\"content\": [{\"path\": \"out\", \"text\": \"x\"}]}" },
		{ "writeFiles", "{\"content\": [{\"path\": \"b\", \"blob\": "
		                "\"not b64!\"}]}" },
		{ "listFiles", "{\"directoryPath\": \"..\"}" },
		{ "listFiles", "{\"directoryPath\": \"root\"}" },
		{ "listFiles", "{\"directoryPath\": \"/\"}" },
		{ "removeFiles", "{\"paths\": [\"../workspace\"]}" },
		{ "removeFiles", "{\"paths\": [\".\"]}" },
		{ "removeFiles", "{\"paths\": [\"root/x\"]}" },
		{ "removeFiles", "{\"paths\": [\"/etc/passwd\"]}" },
	};
	struct sf_err err;
	json_t *res;
	char *out;

	/* a link to /, one to a file outside */
	out = sh(f, s,
	    "ln -s / root && ln -s /tmp/outside out && echo x > ok.txt "
	    "&& echo ok",
	    NULL);
	assert_string_equal(out, "ok\n");
	free(out);
	for (size_t i = 0; i < SF_ARRAY_LEN(calls); i++) {
		int rc = invoke_err(f, s, calls[i][0], calls[i][1], &err);

		if (rc != SF_EINVALID)
			fail_msg("%s %s: %d %s", calls[i][0], calls[i][1], rc,
			    err.msg);
	}
	/* nothing written anywhere */
	out = sh(f, s, "ls /tmp; cat ok.txt", NULL);
	assert_string_equal(out, "x\n");
	free(out);
	/* the links themselves are listed, not followed */
	res = invoke(f, s, "listFiles", "{}");
	assert_int_equal(json_array_size(json_object_get(res, "content")), 3);
	json_decref(res);
	f->be.ops->stop(s);
}

static void
test_tasks(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_session *s = start(f, "SANDBOX");
	char get[128], id[64];
	json_t *res;
	int i;

	res = invoke(f, s, "startCommandExecution",
	    "{\"command\": \"echo start; sleep 0.3; echo end; exit 4\"}");
	assert_string_equal(sc_str(res, "taskStatus"), "working");
	snprintf(id, sizeof(id), "%s", sc_str(res, "taskId"));
	assert_true(strlen(id) > 8);
	json_decref(res);
	snprintf(get, sizeof(get), "{\"taskId\": \"%s\"}", id);
	res = invoke(f, s, "getTask", get);
	assert_string_equal(sc_str(res, "taskId"), id);
	assert_string_equal(sc_str(res, "taskStatus"), "working");
	json_decref(res);
	for (i = 0; i < 100; i++) {
		res = invoke(f, s, "getTask", get);
		if (strcmp(sc_str(res, "taskStatus"), "working") != 0)
			break;
		json_decref(res);
		sleep_ms(20);
	}
	assert_true(i < 100);
	assert_string_equal(sc_str(res, "taskStatus"), "failed");
	assert_string_equal(sc_str(res, "stdout"), "start\nend\n");
	assert_int_equal(sc_int(res, "exitCode"), 4);
	assert_true(is_error(res));
	json_decref(res);

	res = invoke(f, s, "startCommandExecution",
	    "{\"command\": \"echo going; sleep 1000\"}");
	snprintf(
	    get, sizeof(get), "{\"taskId\": \"%s\"}", sc_str(res, "taskId"));
	json_decref(res);
	sleep_ms(100);
	res = invoke(f, s, "stopTask", get);
	assert_string_equal(sc_str(res, "taskStatus"), "canceled");
	json_decref(res);
	res = invoke(f, s, "getTask", get);
	assert_string_equal(sc_str(res, "taskStatus"), "canceled");
	assert_string_equal(sc_str(res, "stdout"), "going\n");
	json_decref(res);
	res = invoke(f, s, "executeCommand",
	    "{\"command\": \"ps -eo args | grep -c '^sleep 1000'\"}");
	assert_string_equal(sc_str(res, "stdout"), "0\n");
	json_decref(res);
	res = invoke(f, s, "startCommandExecution", "{\"command\": \"true\"}");
	snprintf(
	    get, sizeof(get), "{\"taskId\": \"%s\"}", sc_str(res, "taskId"));
	json_decref(res);
	sleep_ms(200);
	res = invoke(f, s, "getTask", get);
	assert_string_equal(sc_str(res, "taskStatus"), "completed");
	assert_false(is_error(res));
	json_decref(res);
	f->be.ops->stop(s);
}

/*
 * Calls from many threads at once; then calls in flight when stop comes.
 * (No call may start once stop has: stop releases the handle.)
 */
struct racer {
	struct fixture *f;
	struct sf_backend_session *s;
	const char *command;
	int rounds;
	int ok, ended, started;
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < r->rounds; i++) {
		json_t *args = json_pack("{s:s}", "command", r->command);
		json_t *res = NULL;
		struct sf_err err;
		int rc;

		__atomic_add_fetch(&r->started, 1, __ATOMIC_SEQ_CST);
		rc = r->f->be.ops->invoke(
		    r->s, "executeCommand", args, &res, &err);
		json_decref(args);
		if (rc == 0) {
			assert_string_equal(sc_str(res, "stdout"), "hi\n");
			json_decref(res);
			__atomic_add_fetch(&r->ok, 1, __ATOMIC_SEQ_CST);
		} else {
			assert_int_equal(rc, SF_ECONFLICT);
			assert_non_null(strstr(err.msg, "stopped"));
			__atomic_add_fetch(&r->ended, 1, __ATOMIC_SEQ_CST);
		}
	}
	return NULL;
}

static void
test_concurrent_calls_and_stop(void **state)
{
	struct fixture *f = *state;
	struct racer r = { f, NULL, "echo hi", 25, 0, 0, 0 };
	pthread_t t[4];

	r.s = start(f, "SANDBOX");
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, race, &r);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r.ok, 100);

	/* four calls running when stop comes: each ends with an error */
	r.command = "sleep 30; echo hi";
	r.rounds = 1;
	r.started = r.ok = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, race, &r);
	while (__atomic_load_n(&r.started, __ATOMIC_SEQ_CST) < 4)
		sleep_ms(5);
	sleep_ms(1000); /* they are sent: they run for 30 s */
	f->be.ops->stop(r.s);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r.ended, 4);
}

/* Two busy processes for 1.5 s: with 1 cpu, about 1.5 s of cpu in all. */
static const char busy[] =
    "import os, time\n"
    "for _ in range(2):\n"
    "    if os.fork() == 0:\n"
    "        end = time.monotonic() + 1.5\n"
    "        while time.monotonic() < end:\n"
    "            pass\n"
    "        os._exit(0)\n"
    "os.wait()\n"
    "os.wait()\n"
    "t = os.times()\n"
    "print(round(t.children_user + t.children_system, 2))\n";

static void
test_cpu_limit(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_limits lim = { .cpus = 1 };
	struct sf_backend_session *s;
	json_t *args, *res = NULL;
	struct sf_err err;
	double cpu;

	if (!strstr(f->be.ops->describe(f->be.ctx), "cpu")) {
		print_message(
		    "no cpu controller: %s\n", f->be.ops->describe(f->be.ctx));
		skip();
	}
	s = start_opts(f, "SANDBOX", 60, &lim);
	args = json_pack("{s:s}", "code", busy);

	assert_int_equal(
	    f->be.ops->invoke(s, "executeCode", args, &res, &err), 0);
	cpu = atof(sc_str(res, "stdout"));
	print_message("2 busy processes, 1.5 s, 1 cpu: %.2f s of cpu\n", cpu);
	assert_true(cpu > 0.2 && cpu < 2.1);
	json_decref(res);
	json_decref(args);
	f->be.ops->stop(s);
}

static void
test_disk_quota(void **state)
{
	struct fixture *f = *state;
	struct sf_backend_limits lim = { .disk_bytes = 1 << 20 };
	struct sf_backend_session *s = start_opts(f, "SANDBOX", 60, &lim);
	size_t n = 3 << 20; /* base64 of 2.25 MiB */
	char *b64 = malloc(n + 1);
	json_t *args, *res = NULL;
	struct sf_err err;

	memset(b64, 'A', n);
	b64[n] = '\0';
	res = invoke(f, s, "executeCommand",
	    "{\"command\": \"head -c 2000000 /dev/zero > big\"}");
	assert_true(is_error(res));
	assert_non_null(strstr(sc_str(res, "stderr"), "No space left"));
	json_decref(res);
	args = json_pack(
	    "{s:[{s:s, s:s}]}", "content", "path", "big.bin", "blob", b64);
	assert_int_equal(
	    f->be.ops->invoke(s, "writeFiles", args, &res, &err), 0);
	assert_true(is_error(res));
	assert_non_null(strstr(text0(res), "No space left"));
	json_decref(res);
	json_decref(args);
	free(b64);
	f->be.ops->stop(s);
}

/* Forced versions: work, or fail saying why; never half-made. */
static void
test_cgroup_modes(void **state)
{
	static const enum sf_sandbox_cgroups modes[] = { SF_SANDBOX_CGROUPS_V1,
		SF_SANDBOX_CGROUPS_V2 };

	(void)state;
	for (size_t i = 0; i < SF_ARRAY_LEN(modes); i++) {
		struct sf_sandbox_config cfg;
		struct sf_backend be;
		struct sf_err err;
		int rc;

		sf_sandbox_config_init(&cfg);
		cfg.cgroups = modes[i];
		rc = sf_sandbox_backend_new(&cfg, &be, &err);
		if (rc == 0) {
			print_message(
			    "v%zu: %s\n", i + 1, be.ops->describe(be.ctx));
			assert_non_null(strstr(be.ops->describe(be.ctx),
			    i ? "cgroup v2" : "cgroup v1"));
			be.ops->free(be.ctx);
		} else {
			print_message("v%zu: %s\n", i + 1, err.msg);
			assert_int_equal(rc, SF_ERROR);
			assert_non_null(strstr(err.msg, "no writable cgroup"));
		}
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static int
group_cgroups(void **state)
{
	(void)state;
	cgroups_mode = SF_SANDBOX_CGROUPS_AUTO;
	return 0;
}

/* The same limits again, from rlimits alone. */
static int
group_rlimits(void **state)
{
	(void)state;
	cgroups_mode = SF_SANDBOX_CGROUPS_NONE;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_describe),
		T(test_command),
		T(test_bad_calls),
		T(test_stop_kills_everything),
		T(test_timeout),
		T(test_fork_bomb),
		T(test_memory_hog),
		T(test_network),
		T(test_file_isolation),
		T(test_python_context),
		T(test_python_exception),
		T(test_javascript_context),
		T(test_languages_refused),
		T(test_output_cap),
		T(test_files),
		T(test_path_escapes),
		T(test_tasks),
		T(test_concurrent_calls_and_stop),
		T(test_cpu_limit),
		T(test_disk_quota),
		cmocka_unit_test(test_cgroup_modes),
	};
	const struct CMUnitTest rlimit_tests[] = {
		T(test_describe),
		T(test_stop_kills_everything),
		T(test_fork_bomb),
		T(test_memory_hog),
		T(test_javascript_context),
	};
	struct sf_sandbox_config cfg;
	struct sf_err err;
	int failed;

	sf_sandbox_config_init(&cfg);
	if (sf_sandbox_probe(&cfg, &err) != 0) {
		fprintf(stderr, "skipped: %s: %s\n", err.where, err.msg);
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	failed =
	    cmocka_run_group_tests_name("sandbox", tests, group_cgroups, NULL);
	failed += cmocka_run_group_tests_name(
	    "sandbox with rlimits only", rlimit_tests, group_rlimits, NULL);
	return failed ? 1 : 0;
}
