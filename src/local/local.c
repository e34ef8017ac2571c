/*
 * The server the CLI starts for a state directory and reuses: find it
 * (pid and port files, a signed request to its status endpoint), start it
 * (one CLI at a time, under a lock file), stop it (only the pid it
 * recorded).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "local/local.h"
#include "local/registry.h"
#include "provider/aws/sigv4.h"
#include "util/fs.h"

#define START_TIMEOUT_MS 15000
#define STOP_TIMEOUT_MS  10000
#define IO_TIMEOUT_MS    3000

extern char **environ;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
sf_local_endpoint_release(struct sf_local_endpoint *e)
{
	if (e->secret_access_key) {
		volatile char *p = e->secret_access_key;

		while (*p)
			*p++ = 0;
	}
	free(e->url);
	free(e->region);
	free(e->access_key_id);
	free(e->secret_access_key);
	memset(e, 0, sizeof(*e));
}

struct paths {
	char *dir;  /* <state>/local */
	char *data; /* <state>/local/data */
	char *lock, *pid, *port, *log;
};

static void
paths_init(struct paths *p, const char *state_dir)
{
	p->dir = sf_fs_join(state_dir ? state_dir : "state", "local");
	p->data = sf_fs_join(p->dir, "data");
	p->lock = sf_fs_join(p->dir, "lock");
	p->pid = sf_fs_join(p->dir, "pid");
	p->port = sf_fs_join(p->dir, "port");
	p->log = sf_fs_join(p->dir, "server.log");
}

static void
paths_release(struct paths *p)
{
	free(p->dir);
	free(p->data);
	free(p->lock);
	free(p->pid);
	free(p->port);
	free(p->log);
}

static long
read_number(const char *path)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	char *end;
	long n = -1;

	if (sf_fs_read(path, 64, &b, &err) == SF_OK) {
		n = strtol(b.buf, &end, 10);
		if (end == b.buf || (*end && *end != '\n') || n <= 0)
			n = -1;
	}
	sf_buf_release(&b);
	return n;
}

/* ---- a signed GET of the status endpoint over a plain socket ---- */

static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { fd, events, 0 };
	int64_t left = deadline - mono_ms();
	int n;

	if (left <= 0)
		return -1;
	do
		n = poll(&pfd, 1, (int)left);
	while (n < 0 && errno == EINTR);
	return n > 0 ? 0 : -1;
}

static int
http_status(int port, const struct sf_local_key *k, const char *region,
    struct sf_buf *body, struct sf_err *err)
{
	struct sockaddr_in sa;
	struct sf_sigv4_header h[1];
	struct sf_sigv4_request req;
	struct sf_sigv4_credentials creds;
	struct sf_sigv4_config cfg;
	struct sf_sigv4_result res;
	struct sf_buf out = SF_BUF_INIT, in = SF_BUF_INIT;
	char host[32], buf[4096];
	int64_t deadline = mono_ms() + IO_TIMEOUT_MS;
	int fd, rc = SF_ERROR, status = 0;
	size_t i, off = 0;
	char *hdr_end;

	snprintf(host, sizeof(host), "127.0.0.1:%d", port);
	h[0].name = "Host";
	h[0].value = host;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = SF_LOCAL_STATUS_PATH;
	req.headers = h;
	req.nheaders = 1;
	sf_sigv4_credentials_init(
	    &creds, k->access_key_id, k->secret_access_key, k->session_token);
	sf_sigv4_config_init(&cfg, region, "bedrock-agentcore", time(NULL));
	memset(&res, 0, sizeof(res));
	if (sf_sigv4_sign(&res, &req, &creds, &cfg, err)) {
		sf_sigv4_credentials_release(&creds);
		sf_sigv4_result_release(&res);
		return SF_ERROR;
	}
	sf_buf_addf(&out, "GET %s HTTP/1.1\r\nHost: %s\r\n",
	    SF_LOCAL_STATUS_PATH, host);
	for (i = 0; i < res.nheaders; i++)
		sf_buf_addf(&out, "%s: %s\r\n", res.headers[i].name,
		    res.headers[i].value);
	sf_buf_adds(&out, "Connection: close\r\n\r\n");
	sf_sigv4_credentials_release(&creds);
	sf_sigv4_result_release(&res);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		sf_error(err, SF_ERROR, "local", "socket: %s", strerror(errno));
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = 0;
		socklen_t el = sizeof(e);

		if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) || e) {
			sf_error(err, SF_ERROR, host, "cannot connect: %s",
			    strerror(e ? e : ECONNREFUSED));
			goto out;
		}
	}
	while (off < out.len) {
		ssize_t n;

		if (wait_fd(fd, POLLOUT, deadline))
			break;
		n = send(fd, out.buf + off, out.len - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	for (;;) {
		ssize_t n;

		if (wait_fd(fd, POLLIN, deadline)) {
			sf_error(err, SF_ERROR, host, "no answer in time");
			goto out;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		sf_buf_add(&in, buf, (size_t)n);
		if (in.len > 1024 * 1024)
			break;
	}
	if (sscanf(in.buf, "HTTP/1.%*d %d", &status) != 1 ||
	    !(hdr_end = strstr(in.buf, "\r\n\r\n"))) {
		sf_error(err, SF_ERROR, host, "not an HTTP answer");
		goto out;
	}
	sf_buf_adds(body, hdr_end + 4);
	if (status != 200) {
		sf_error(err, SF_EREMOTE, host,
		    "the status endpoint answered %d: %.200s", status,
		    hdr_end + 4);
		goto out;
	}
	rc = SF_OK;
out:
	if (fd >= 0)
		close(fd);
	sf_buf_release(&out);
	sf_buf_release(&in);
	return rc;
}

/*
 * Whether the server recorded in p answers, as that pid, with the keys of
 * its data directory: fill e (and *status) when it does.
 */
static int
probe(const struct paths *p, struct sf_local_endpoint *e, json_t **status,
    struct sf_err *err)
{
	struct sf_local_keys keys = { 0 };
	struct sf_buf body = SF_BUF_INIT;
	char *cpath = sf_fs_join(p->data, "credentials");
	long pid = read_number(p->pid), port = read_number(p->port);
	json_t *j = NULL;
	int rc;

	if (pid <= 0 || port <= 0 || port > 65535) {
		rc = sf_error(err, SF_ENOTFOUND, p->dir, "no server recorded");
		goto out;
	}
	if ((rc = sf_local_keys_load(cpath, &keys, err)))
		goto out;
	if ((rc = http_status(
	         (int)port, &keys.v[0], SF_LOCAL_DEFAULT_REGION, &body, err)))
		goto out;
	j = json_loads(body.buf, 0, NULL);
	if (json_integer_value(json_object_get(j, "pid")) != pid) {
		rc = sf_error(err, SF_ENOTFOUND, p->dir,
		    "port %ld is not the server of pid %ld", port, pid);
		goto out;
	}
	if (e) {
		const char *region =
		    json_string_value(json_object_get(j, "region"));

		memset(e, 0, sizeof(*e));
		e->url = sf_xasprintf("http://127.0.0.1:%ld", port);
		e->region =
		    sf_xstrdup(region ? region : SF_LOCAL_DEFAULT_REGION);
		e->access_key_id = sf_xstrdup(keys.v[0].access_key_id);
		e->secret_access_key = sf_xstrdup(keys.v[0].secret_access_key);
		e->port = (int)port;
		e->pid = pid;
	}
	if (status) {
		*status = j;
		j = NULL;
	}
out:
	json_decref(j);
	sf_buf_release(&body);
	sf_local_keys_release(&keys);
	free(cpath);
	return rc;
}

static int
take_lock(const struct paths *p, int *fd, struct sf_err *err)
{
	int rc;

	if ((rc = sf_local_mkdir_p(p->data, err)))
		return rc;
	*fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return sf_error(
		    err, SF_ERROR, p->lock, "cannot open: %s", strerror(errno));
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			rc = sf_error(err, SF_ERROR, p->lock, "cannot lock: %s",
			    strerror(errno));
			close(*fd);
			*fd = -1;
			return rc;
		}
	}
	return SF_OK;
}

/* The last line of the log, for an error message. */
static void
log_tail(const char *path, char *out, size_t len)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	char *nl;

	out[0] = '\0';
	if (sf_fs_read(path, 16 * 1024 * 1024, &b, &err) || !b.len) {
		sf_buf_release(&b);
		return;
	}
	while (b.len && b.buf[b.len - 1] == '\n')
		sf_buf_setlen(&b, b.len - 1);
	nl = strrchr(b.buf, '\n');
	snprintf(out, len, "%s", nl ? nl + 1 : b.buf);
	sf_buf_release(&b);
}

static bool
is_aws_credential_var(const char *kv)
{
	static const char *const drop[] = { "AWS_ACCESS_KEY_ID=",
		"AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=",
		"AWS_SECURITY_TOKEN=" };
	size_t i;

	for (i = 0; i < SF_ARRAY_LEN(drop); i++)
		if (sf_str_has_prefix(kv, drop[i]))
			return true;
	return false;
}

/* Start `sandform local serve` in its own session; its pid. */
static int
spawn(const struct paths *p, pid_t *out, struct sf_err *err)
{
	const char *exe_env = getenv("SANDFORM_LOCAL_EXE");
	char exe[4096];
	char *argv[16];
	char **envp;
	size_t n = 0, i, ne = 0;
	int logfd, devnull;
	long maxfd = sysconf(_SC_OPEN_MAX);
	pid_t pid;

	if (exe_env && *exe_env) {
		snprintf(exe, sizeof(exe), "%s", exe_env);
	} else {
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (len <= 0)
			return sf_error(err, SF_ERROR, "/proc/self/exe",
			    "cannot find the sandform binary: %s",
			    strerror(errno));
		exe[len] = '\0';
	}
	argv[n++] = exe;
	argv[n++] = (char *)"local";
	argv[n++] = (char *)"serve";
	argv[n++] = (char *)"--listen";
	argv[n++] = (char *)"127.0.0.1:0";
	argv[n++] = (char *)"--data";
	argv[n++] = p->data;
	argv[n++] = (char *)"--pid-file";
	argv[n++] = p->pid;
	argv[n++] = (char *)"--port-file";
	argv[n++] = p->port;
	argv[n] = NULL;
	for (i = 0; environ[i]; i++)
		;
	envp = sf_xcalloc(i + 1, sizeof(*envp));
	for (i = 0; environ[i]; i++)
		if (!is_aws_credential_var(environ[i]))
			envp[ne++] = environ[i];
	logfd = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (logfd < 0 || devnull < 0) {
		int e = errno;

		if (logfd >= 0)
			close(logfd);
		if (devnull >= 0)
			close(devnull);
		free(envp);
		return sf_error(
		    err, SF_ERROR, p->log, "cannot open: %s", strerror(e));
	}
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec. */
		int fd;

		setsid();
		dup2(devnull, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		for (fd = 3; fd < maxfd; fd++)
			close(fd);
		execve(exe, argv, envp);
		_exit(127);
	}
	close(logfd);
	close(devnull);
	free(envp);
	if (pid < 0)
		return sf_error(
		    err, SF_ERROR, "local", "cannot fork: %s", strerror(errno));
	*out = pid;
	return SF_OK;
}

int
sf_local_ensure(
    const char *state_dir, struct sf_local_endpoint *out, struct sf_err *err)
{
	struct paths p;
	struct sf_err perr;
	int lockfd = -1, rc;
	pid_t pid = -1;
	int64_t deadline;

	memset(out, 0, sizeof(*out));
	paths_init(&p, state_dir);
	if ((rc = take_lock(&p, &lockfd, err)))
		goto out;
	if (probe(&p, out, NULL, &perr) == SF_OK)
		goto out;
	/* Nothing answers: what the files say is stale. */
	unlink(p.pid);
	unlink(p.port);
	if ((rc = spawn(&p, &pid, err)))
		goto out;
	deadline = mono_ms() + START_TIMEOUT_MS;
	for (;;) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			char tail[400];

			log_tail(p.log, tail, sizeof(tail));
			rc = sf_error(err, SF_ERROR, p.log,
			    "the server exited at once%s%s",
			    tail[0] ? ": " : "", tail);
			goto out;
		}
		if (read_number(p.pid) == (long)pid &&
		    probe(&p, out, NULL, &perr) == SF_OK)
			break;
		if (mono_ms() > deadline) {
			kill(pid, SIGTERM);
			rc = sf_error(err, SF_ERROR, p.log,
			    "the server did not answer within %d s (%s)",
			    START_TIMEOUT_MS / 1000, perr.msg);
			goto out;
		}
		sleep_ms(20);
	}
	out->started = true;
out:
	if (lockfd >= 0)
		close(lockfd);
	paths_release(&p);
	return rc;
}

int
sf_local_status(const char *state_dir, json_t **out, struct sf_err *err)
{
	struct paths p;
	int rc;

	*out = NULL;
	paths_init(&p, state_dir);
	rc = probe(&p, NULL, out, err);
	if (rc && rc != SF_ENOTFOUND)
		rc = sf_error(err, SF_ENOTFOUND, p.dir, "no server answers: %s",
		    err ? err->msg : "");
	paths_release(&p);
	return rc;
}

/* Whether pid runs (a zombie does not). */
static bool
running(long pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
}

/* Whether pid is `sandform local serve --data <data>`. */
static bool
is_our_server(long pid, const char *data)
{
	char path[64];
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	bool serve = false, ours = false;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (sf_fs_read(path, 64 * 1024, &b, &err) == SF_OK) {
		for (i = 0; i < b.len; i += strlen(b.buf + i) + 1) {
			if (!strcmp(b.buf + i, "serve"))
				serve = true;
			if (!strcmp(b.buf + i, "--data") &&
			    i + strlen(b.buf + i) + 1 < b.len &&
			    !strcmp(b.buf + i + strlen(b.buf + i) + 1, data))
				ours = true;
		}
	}
	sf_buf_release(&b);
	return serve && ours;
}

int
sf_local_stop(const char *state_dir, bool *was, struct sf_err *err)
{
	struct paths p;
	struct sf_local_endpoint e;
	struct sf_err perr;
	int lockfd = -1, rc;
	long pid;
	int64_t deadline;

	if (was)
		*was = false;
	paths_init(&p, state_dir);
	if (!sf_fs_is_dir(p.dir)) {
		paths_release(&p);
		return SF_OK;
	}
	if ((rc = take_lock(&p, &lockfd, err)))
		goto out;
	pid = read_number(p.pid);
	if (probe(&p, &e, NULL, &perr) == SF_OK) {
		pid = e.pid;
		sf_local_endpoint_release(&e);
	} else if (pid <= 0 || !running(pid) || !is_our_server(pid, p.data)) {
		/* Nothing of ours runs: forget the stale files. */
		unlink(p.pid);
		unlink(p.port);
		goto out;
	}
	if (was)
		*was = true;
	kill((pid_t)pid, SIGTERM);
	deadline = mono_ms() + STOP_TIMEOUT_MS;
	while (running(pid) && mono_ms() < deadline)
		sleep_ms(20);
	if (running(pid)) {
		kill((pid_t)pid, SIGKILL);
		deadline = mono_ms() + 2000;
		while (running(pid) && mono_ms() < deadline)
			sleep_ms(20);
	}
	unlink(p.pid);
	unlink(p.port);
out:
	if (lockfd >= 0)
		close(lockfd);
	paths_release(&p);
	return rc;
}
