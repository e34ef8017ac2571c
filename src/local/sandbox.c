/*
 * The bubblewrap backend: one bwrap per session, holding the agent of
 * agent.py, which answers tool calls as JSON lines over a socket.
 *
 * Every session has a thread of its own. It starts the sandbox (so that
 * the sandbox's parent-death signal, which follows the thread that forked
 * it, fires only when the session is over or the process is gone), reads
 * the agent's replies and hands them to the waiting invokes, and ends the
 * session: at its timeout, when stop asks, or when the sandbox dies.
 *
 * Start: bwrap reports the pid of the sandbox's first process on its info
 * fd and waits on its block fd; in between the process goes into the
 * session's cgroup, so that everything the session ever runs is limited
 * from the first instruction (without cgroups, the agent puts rlimits on
 * itself before it runs anything). When the server is root, bwrap runs as
 * an unprivileged user (root only inside its user namespace).
 *
 * End: SIGKILL to that first process, the pid 1 of the session's pid
 * namespace, takes every process of the namespace with it; its pidfd turns
 * readable only once they are all gone; bwrap reaps it and exits; the
 * cgroup, found empty, is removed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "local/sandbox_int.h"
#include "sandbox_agent.h"

extern char **environ;

#define REPLY_MAX  ((size_t)256 << 20)   /* one line from the agent */
#define READ_CAP   ((uint64_t)100 << 20) /* readFiles per call */
#define ERRTAIL    2048
#define STACK_SIZE (512 * 1024)
#define MIN_MEMORY ((uint64_t)64 << 20)
#define MIN_PIDS   16
/* The sandbox's fds: 0 the agent's socket, 1 and 2 stderr, 3 bwrap's info,
 * 4 its block, then one per etc_own file. */
#define FD_ETC 5

struct sbx_backend {
	char *bwrap, *python, *node;
	bool drop; /* run bwrap as uid/gid, not as root */
	uid_t uid;
	gid_t gid;
	struct sf_backend_limits limits;
	int start_timeout_ms;
	struct sf_sandbox_cgsys cg;
	char describe[320];
	pthread_mutex_t mu;
	struct sf_backend_session *sessions; /* started, not yet stopped */
	unsigned long seq;
};

struct call {
	struct call *next;
	json_int_t id;
	bool done;
	json_t *reply;
};

enum sbx_state { ST_STARTING, ST_RUNNING, ST_ENDED };
enum sbx_end { END_NONE, END_STOP, END_TIMEOUT, END_DIED, END_BROKEN };

struct sf_backend_session {
	struct sbx_backend *be;
	struct sf_backend_session *next;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	enum sbx_state state;
	enum sbx_end end;
	bool stop_requested;
	bool torn_down; /* the thread has finished */
	bool joined;
	char *id;
	char *work_dir;
	bool public_net;
	int64_t timeout_s;
	struct sf_backend_limits lim;
	struct timespec deadline;
	/* the sandbox */
	pid_t bwrap_pid; /* our child */
	pid_t init_pid;  /* pid 1 of its pid namespace */
	int pidfd;       /* of init_pid */
	dev_t ns_dev;
	ino_t ns_ino;
	int sock;
	int wake[2];
	int errfd;
	char errtail[ERRTAIL + 1];
	struct sf_sandbox_cg cg;
	pthread_t thread;
	/* calls */
	pthread_mutex_t wmu;
	json_int_t next_id;
	struct call *calls;
	struct sf_buf rbuf;
	size_t rscan;
	/* the outcome of starting */
	int start_rc;
	struct sf_err start_err;
};

/* ------------------------------------------------------------ helpers */

static void
now_mono(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static int64_t
ms_until(const struct timespec *t)
{
	struct timespec now;

	now_mono(&now);
	return (int64_t)(t->tv_sec - now.tv_sec) * 1000 +
	       (t->tv_nsec - now.tv_nsec) / 1000000;
}

static int
poll_ms(int64_t ms)
{
	if (ms < 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Move fd above the standard descriptors, close-on-exec. */
static int
high_fd(int fd)
{
	int h;

	if (fd < 0 || fd >= 10)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	close(fd);
	return h;
}

static int
pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static void
kill_init(struct sf_backend_session *s)
{
#ifdef SYS_pidfd_send_signal
	/* through the pidfd: never a reused pid */
	if (s->pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
		return;
	}
#endif
	if (s->init_pid > 0)
		kill(s->init_pid, SIGKILL);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
add_errtail(struct sf_backend_session *s, const char *data, size_t n)
{
	size_t have = strlen(s->errtail);

	if (n >= ERRTAIL) {
		memcpy(s->errtail, data + n - ERRTAIL, ERRTAIL);
		s->errtail[ERRTAIL] = '\0';
		return;
	}
	if (have + n > ERRTAIL) {
		size_t drop = have + n - ERRTAIL;

		memmove(s->errtail, s->errtail + drop, have - drop);
		have -= drop;
	}
	memcpy(s->errtail + have, data, n);
	s->errtail[have + n] = '\0';
}

static void
read_err(struct sf_backend_session *s)
{
	char buf[4096];
	ssize_t n;

	while (s->errfd >= 0) {
		n = read(s->errfd, buf, sizeof(buf));
		if (n > 0) {
			add_errtail(s, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close_fd(&s->errfd);
	}
}

/*
 * The last line bwrap or the agent wrote on stderr, for messages: ": line",
 * or "" when there is none.
 */
static const char *
err_line(const struct sf_backend_session *s, char *buf, size_t size)
{
	size_t len = strlen(s->errtail);
	size_t start;

	while (
	    len && (s->errtail[len - 1] == '\n' || s->errtail[len - 1] == ' '))
		len--;
	start = len;
	while (start && s->errtail[start - 1] != '\n')
		start--;
	if (start == len)
		return "";
	snprintf(buf, size, ": %.*s", (int)(len - start), s->errtail + start);
	return buf;
}

/* ------------------------------------------------------------ the sandbox */

struct argv {
	char **v;
	size_t n, alloc;
};

static void
arg(struct argv *a, const char *s)
{
	SF_ALLOC_GROW(a->v, a->n + 2, a->alloc);
	a->v[a->n++] = sf_xstrdup(s);
	a->v[a->n] = NULL;
}

static void
args2(struct argv *a, const char *x, const char *y)
{
	arg(a, x);
	arg(a, y);
}

static void
args3(struct argv *a, const char *x, const char *y, const char *z)
{
	arg(a, x);
	arg(a, y);
	arg(a, z);
}

static void
argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* The host's /etc files a session may see (read-only, if present). */
static const char *const etc_shared[] = {
	"ld.so.cache",
	"localtime",
	"timezone",
	"alternatives",
	"ssl/certs",
	"ssl/openssl.cnf",
	"ca-certificates",
	"ca-certificates.conf",
	"os-release",
	"debian_version",
	"mime.types",
	"services",
	"protocols",
	"gai.conf",
	"host.conf",
	"python3",
	"python3.11",
	"python3.12",
	"python3.13",
	"inputrc",
	"magic",
	"magic.mime",
};

/* Ours, handed to bwrap through pipes (--ro-bind-data). */
static const struct {
	const char *name;
	const char *text;
} etc_own[] = {
	{ "passwd", "root:x:0:0:root:" SF_SANDBOX_WORKSPACE ":/bin/sh\n"
	            "nobody:x:65534:65534:nobody:/nonexistent:"
	            "/usr/sbin/nologin\n" },
	{ "group", "root:x:0:\nnogroup:x:65534:\n" },
	{ "hosts", "127.0.0.1\tlocalhost sandbox\n"
	           "::1\tlocalhost ip6-localhost ip6-loopback\n" },
	{ "hostname", "sandbox\n" },
	{ "nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\n"
	                   "hosts: files dns\nnetworks: files\n"
	                   "protocols: files\nservices: files\n" },
};

static char *
size_arg(uint64_t n)
{
	return sf_xasprintf("%llu", (unsigned long long)n);
}

/*
 * The agent's configuration: the output cap, the workspace, node and its
 * kernel, and the rlimits it puts on itself (no core files; memory and
 * processes where no cgroup controller limits them).
 */
static char *
agent_config(const struct sf_backend_session *s)
{
	const struct sf_sandbox_cgsys *cg = &s->be->cg;
	json_t *rl = json_pack("{s:i}", "core", 0);
	json_t *o;
	char *text;

	if (!cg->has[SF_CG_MEMORY])
		json_object_set_new(
		    rl, "as", json_integer((json_int_t)s->lim.memory_bytes));
	if (!cg->has[SF_CG_PIDS])
		json_object_set_new(rl, "nproc", json_integer(s->lim.pids));
	o = json_pack("{s:I, s:s, s:s?, s:s, s:I, s:o}", "cap",
	    (json_int_t)s->lim.output_cap, "ws", SF_SANDBOX_WORKSPACE, "node",
	    s->be->node, "js", sf_sandbox_agent_js, "read_cap",
	    (json_int_t)READ_CAP, "rlimits", rl);
	if (!o)
		sf_die("cannot build the agent's configuration");
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		sf_die("out of memory");
	return text;
}

/*
 * The read-only system: /usr, and /bin, /lib... as the host has them
 * (links into /usr on a merged-/usr system like Debian 12, else binds).
 */
static void
system_args(struct argv *a)
{
	static const char *const top[] = { "bin", "sbin", "lib", "lib32",
		"lib64", "libx32" };

	args3(a, "--ro-bind", "/usr", "/usr");
	for (size_t i = 0; i < SF_ARRAY_LEN(top); i++) {
		char host[64], link[PATH_MAX];
		struct stat st;
		ssize_t n;

		snprintf(host, sizeof(host), "/%s", top[i]);
		if (lstat(host, &st) != 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(host, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			args3(a, "--symlink", link, host);
		} else if (S_ISDIR(st.st_mode)) {
			args3(a, "--ro-bind", host, host);
		}
	}
}

static void
bwrap_argv(const struct sf_backend_session *s, struct argv *a)
{
	const struct sbx_backend *be = s->be;
	char *v, *w;

	arg(a, be->bwrap);
	arg(a, "--unshare-all");
	if (s->public_net)
		arg(a, "--share-net");
	arg(a, "--die-with-parent");
	arg(a, "--new-session");
	args2(a, "--cap-drop", "ALL");
	if (be->drop) {
		/* root inside, be->uid outside */
		args2(a, "--uid", "0");
		args2(a, "--gid", "0");
	}
	args2(a, "--hostname", "sandbox");
	system_args(a);
	args2(a, "--proc", "/proc");
	args2(a, "--dev", "/dev");
	v = size_arg(s->lim.disk_bytes);
	w = size_arg(s->lim.disk_bytes < ((uint64_t)64 << 20)
	                 ? s->lim.disk_bytes
	                 : (uint64_t)64 << 20);
	args3(a, "--size", w, "--tmpfs");
	arg(a, "/dev/shm");
	args3(a, "--size", v, "--tmpfs");
	arg(a, "/tmp");
	args3(a, "--size", v, "--tmpfs");
	arg(a, SF_SANDBOX_WORKSPACE);
	free(v);
	free(w);
	for (size_t i = 0; i < SF_ARRAY_LEN(etc_own); i++) {
		char fd[16];
		char *dst = sf_xasprintf("/etc/%s", etc_own[i].name);

		snprintf(fd, sizeof(fd), "%zu", FD_ETC + i);
		args3(a, "--ro-bind-data", fd, dst);
		free(dst);
	}
	for (size_t i = 0; i < SF_ARRAY_LEN(etc_shared); i++) {
		char *p = sf_xasprintf("/etc/%s", etc_shared[i]);

		args3(a, "--ro-bind-try", p, p);
		free(p);
	}
	if (s->public_net)
		args3(
		    a, "--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf");
	args2(a, "--remount-ro", "/");
	args2(a, "--chdir", SF_SANDBOX_WORKSPACE);
	arg(a, "--clearenv");
	args3(a, "--setenv", "PATH",
	    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	args3(a, "--setenv", "HOME", SF_SANDBOX_WORKSPACE);
	args3(a, "--setenv", "USER", "root");
	args3(a, "--setenv", "LOGNAME", "root");
	args3(a, "--setenv", "SHELL", "/bin/sh");
	args3(a, "--setenv", "LANG", "C.UTF-8");
	args3(a, "--setenv", "TMPDIR", "/tmp");
	args3(a, "--setenv", "PIP_USER", "1");
	args3(a, "--setenv", "PIP_BREAK_SYSTEM_PACKAGES", "1");
	args3(a, "--setenv", "PIP_DISABLE_PIP_VERSION_CHECK", "1");
	args2(a, "--info-fd", "3");
	args2(a, "--block-fd", "4");
	arg(a, "--");
	arg(a, be->python);
	args2(a, "-c", sf_sandbox_agent_py);
	v = agent_config(s);
	arg(a, v);
	free(v);
}

/*
 * Run argv[0] with fds[i] as its descriptor i (every fds[i] is 10 or more,
 * close-on-exec) and nothing else open, default signal handling, a process
 * group of its own, and - if drop - the uid and gid of the backend. The
 * child only makes system calls between fork and exec. 0 or an errno.
 */
static int
spawn(const struct sbx_backend *be, bool drop, char *const argv[],
    const int *fds, int nfds, pid_t *out)
{
	sigset_t all, old;
	pid_t pid;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		struct sigaction dfl;
		sigset_t none;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		for (int sig = 1; sig < NSIG; sig++)
			sigaction(sig, &dfl, NULL);
		setpgid(0, 0);
		for (int i = 0; i < nfds; i++)
			if (dup2(fds[i], i) != i)
				_exit(126);
#ifdef SYS_close_range
		if (syscall(SYS_close_range, (unsigned)nfds, ~0U, 0) != 0)
#endif
			for (int fd = nfds; fd < 65536; fd++)
				close(fd);
		if (drop && (setgroups(0, NULL) != 0 ||
		                setresgid(be->gid, be->gid, be->gid) != 0 ||
		                setresuid(be->uid, be->uid, be->uid) != 0)) {
			static const char msg[] = "cannot change to the "
			                          "sandbox's user\n";

			if (write(2, msg, sizeof(msg) - 1) < 0)
				_exit(126);
			_exit(126);
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(argv[0], argv, environ);
		_exit(127);
	}
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return e;
	*out = pid;
	return 0;
}

/* A pipe holding text, to be read to its end: its read end. */
static int
data_pipe(const char *text)
{
	int p[2];
	size_t len = strlen(text);

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	/* a few hundred bytes: the pipe holds them */
	if (write(p[1], text, len) != (ssize_t)len) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return high_fd(p[0]);
}

static int
spawn_bwrap(
    struct sf_backend_session *s, int *info_r, int *block_w, struct sf_err *err)
{
	int sv[2] = { -1, -1 }, info[2] = { -1, -1 }, block[2] = { -1, -1 };
	int errp[2] = { -1, -1 };
	int fds[FD_ETC + SF_ARRAY_LEN(etc_own)];
	size_t nfds = SF_ARRAY_LEN(fds);
	struct argv a = { 0 };
	int rc;

	for (size_t i = 0; i < nfds; i++)
		fds[i] = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    pipe2(info, O_CLOEXEC) != 0 || pipe2(block, O_CLOEXEC) != 0 ||
	    pipe2(errp, O_CLOEXEC) != 0) {
		rc = sf_error(err, SF_ERROR, s->id, "cannot make pipes: %s",
		    strerror(errno));
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		sv[i] = high_fd(sv[i]);
		info[i] = high_fd(info[i]);
		block[i] = high_fd(block[i]);
		errp[i] = high_fd(errp[i]);
	}
	for (size_t i = 0; i < SF_ARRAY_LEN(etc_own); i++) {
		if ((fds[FD_ETC + i] = data_pipe(etc_own[i].text)) < 0) {
			rc = sf_error(err, SF_ERROR, s->id,
			    "cannot make pipes: %s", strerror(errno));
			goto out;
		}
	}
	fds[0] = sv[1];
	fds[1] = errp[1];
	fds[2] = errp[1];
	fds[3] = info[1];
	fds[4] = block[0];
	bwrap_argv(s, &a);
	rc = spawn(s->be, s->be->drop, a.v, fds, (int)nfds, &s->bwrap_pid);
	argv_free(&a);
	if (rc != 0) {
		s->bwrap_pid = 0;
		rc = sf_error(err, SF_ERROR, s->id, "cannot run %s: %s",
		    s->be->bwrap, strerror(rc));
		goto out;
	}
	s->sock = sv[0];
	sv[0] = -1;
	s->errfd = errp[0];
	errp[0] = -1;
	fcntl(s->sock, F_SETFL, O_NONBLOCK);
	fcntl(s->errfd, F_SETFL, O_NONBLOCK);
	*info_r = info[0];
	info[0] = -1;
	*block_w = block[1];
	block[1] = -1;
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		close_fd(&sv[i]);
		close_fd(&info[i]);
		close_fd(&block[i]);
		close_fd(&errp[i]);
	}
	for (size_t i = FD_ETC; i < nfds; i++)
		close_fd(&fds[i]);
	return rc;
}

/*
 * Read fd until EOF or until the deadline; the sandbox's stderr is kept
 * meanwhile.
 */
static int
read_until_eof(struct sf_backend_session *s, int fd, struct sf_buf *out,
    const struct timespec *deadline)
{
	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 },
			{ s->errfd, POLLIN, 0 } };
		ssize_t n;
		int r =
		    poll(p, s->errfd >= 0 ? 2 : 1, poll_ms(ms_until(deadline)));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (p[1].revents)
			read_err(s);
		if (!p[0].revents)
			continue;
		sf_buf_grow(out, 256);
		n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		sf_buf_setlen(out, out->len + (size_t)n);
		if (out->len > 4096)
			return -1;
	}
}

/* The first line the agent writes: {"ready": true, ...}. */
static int
wait_ready(struct sf_backend_session *s, const struct timespec *deadline,
    struct sf_err *err)
{
	char line[512];

	for (;;) {
		struct pollfd p[2] = { { s->sock, POLLIN, 0 },
			{ s->errfd, POLLIN, 0 } };
		char *nl;
		ssize_t n;
		int r =
		    poll(p, s->errfd >= 0 ? 2 : 1, poll_ms(ms_until(deadline)));

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return sf_error(err, SF_ERROR, s->id,
			    "the sandbox did not come up in %d ms",
			    s->be->start_timeout_ms);
		if (r < 0)
			return sf_error(
			    err, SF_ERROR, s->id, "poll: %s", strerror(errno));
		if (p[1].revents)
			read_err(s);
		if (!p[0].revents)
			continue;
		sf_buf_grow(&s->rbuf, 4096);
		n = recv(
		    s->sock, s->rbuf.buf + s->rbuf.len, 4096, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			/* give stderr a moment to say why */
			struct pollfd e = { s->errfd, POLLIN, 0 };

			if (s->errfd >= 0 && poll(&e, 1, 200) > 0)
				read_err(s);
			read_err(s);
			return sf_error(err, SF_ERROR, s->id,
			    "the sandbox exited before it was ready%s",
			    err_line(s, line, sizeof(line)));
		}
		sf_buf_setlen(&s->rbuf, s->rbuf.len + (size_t)n);
		nl = memchr(s->rbuf.buf, '\n', s->rbuf.len);
		if (nl) {
			size_t len = (size_t)(nl - s->rbuf.buf);
			json_t *j = json_loadb(s->rbuf.buf, len, 0, NULL);
			bool ok = json_is_true(json_object_get(j, "ready"));

			json_decref(j);
			memmove(s->rbuf.buf, nl + 1, s->rbuf.len - len - 1);
			sf_buf_setlen(&s->rbuf, s->rbuf.len - len - 1);
			if (!ok)
				return sf_error(err, SF_ERROR, s->id,
				    "the sandbox's agent did not say it was "
				    "ready");
			return 0;
		}
		if (s->rbuf.len > 65536)
			return sf_error(err, SF_ERROR, s->id,
			    "the sandbox's agent said too much at start");
	}
}

static int
start_sandbox(struct sf_backend_session *s, struct sf_err *err)
{
	struct timespec deadline;
	struct sf_buf info = SF_BUF_INIT;
	int info_r = -1, block_w = -1;
	json_t *j;
	json_int_t pid;
	char nspath[64];
	struct stat st;
	char line[512];
	int rc;

	now_mono(&deadline);
	deadline.tv_sec += s->be->start_timeout_ms / 1000;
	deadline.tv_nsec += (long)(s->be->start_timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	if ((rc = spawn_bwrap(s, &info_r, &block_w, err)) != 0)
		return rc;
	if (read_until_eof(s, info_r, &info, &deadline) != 0 || !info.len) {
		read_err(s);
		rc = sf_error(err, SF_ERROR, s->id, "bubblewrap failed%s",
		    err_line(s, line, sizeof(line)));
		goto out;
	}
	j = json_loadb(info.buf, info.len, 0, NULL);
	pid = json_integer_value(json_object_get(j, "child-pid"));
	json_decref(j);
	if (pid <= 1) {
		rc = sf_error(err, SF_ERROR, s->id,
		    "bubblewrap said no child pid: %s", info.buf);
		goto out;
	}
	s->init_pid = (pid_t)pid;
	s->pidfd = pidfd_open_(s->init_pid);
	if (s->pidfd >= 0)
		s->pidfd = high_fd(s->pidfd);
	snprintf(nspath, sizeof(nspath), "/proc/%ld/ns/pid", (long)pid);
	if (stat(nspath, &st) == 0) {
		s->ns_dev = st.st_dev;
		s->ns_ino = st.st_ino;
	}
	rc = sf_sandbox_cg_attach(&s->be->cg, &s->cg, s->init_pid, err);
	if (rc != 0)
		goto out;
	/* Limited now: let it run. */
	if (write(block_w, "1", 1) != 1) {
		rc = sf_error(err, SF_ERROR, s->id,
		    "cannot release the sandbox: %s", strerror(errno));
		goto out;
	}
	close_fd(&block_w);
	rc = wait_ready(s, &deadline, err);
out:
	close_fd(&info_r);
	close_fd(&block_w);
	sf_buf_release(&info);
	return rc;
}

/* Whether any process is left in the session's pid namespace. */
static int
scan_namespace(const struct sf_backend_session *s, bool kill_them)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (!s->ns_ino)
		return 0;
	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[64];
		struct stat st;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.32s/ns/pid", de->d_name);
		if (stat(path, &st) != 0 || st.st_ino != s->ns_ino ||
		    st.st_dev != s->ns_dev)
			continue;
		n++;
		if (kill_them)
			kill((pid_t)atol(de->d_name), SIGKILL);
	}
	closedir(d);
	return n;
}

/* Kill every process of the session and wait until none is left. */
static void
kill_sandbox(struct sf_backend_session *s)
{
	kill_init(s);
	sf_sandbox_cg_kill(&s->cg);
	if (s->bwrap_pid > 0) {
		int st;
		int fd = s->init_pid > 0 ? pidfd_open_(s->bwrap_pid) : -1;
		struct pollfd p = { fd, POLLIN, 0 };

		/*
		 * bwrap reaps pid 1 and exits (killing bwrap first would
		 * leave pid 1 a zombie for someone else to reap); kill it
		 * only if it does not.
		 */
		while (fd >= 0 && poll(&p, 1, 3000) < 0 && errno == EINTR)
			;
		if (fd < 0 || !p.revents)
			kill(s->bwrap_pid, SIGKILL);
		if (fd >= 0)
			close(fd);
		while (waitpid(s->bwrap_pid, &st, 0) < 0 && errno == EINTR)
			;
		s->bwrap_pid = 0;
	}
	if (s->pidfd >= 0) {
		/* readable once pid 1 and, before it, all the others exited */
		struct pollfd p = { s->pidfd, POLLIN, 0 };

		while (poll(&p, 1, 5000) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 500; i++) {
		int n = s->cg.dir[0] || s->cg.dir[1] || s->cg.dir[2]
		            ? sf_sandbox_cg_count(&s->cg)
		            : scan_namespace(s, false);
		struct timespec ts = { 0, 2000000 };

		if (n <= 0)
			break;
		/* should not happen; be sure */
		sf_sandbox_cg_kill(&s->cg);
		scan_namespace(s, true);
		nanosleep(&ts, NULL);
	}
	sf_sandbox_cg_destroy(&s->cg);
	close_fd(&s->pidfd);
	close_fd(&s->errfd);
	/*
	 * Not closed before the session is freed: an invoke may be writing
	 * to it, and must not find the number reused by another file.
	 */
	if (s->sock >= 0)
		shutdown(s->sock, SHUT_RDWR);
	if (s->work_dir)
		sf_sandbox_rmtree(s->work_dir);
}

/* ------------------------------------------------------------ serving */

/* Called with s->mu held: the session is over; wake every waiter. */
static void
end_locked(struct sf_backend_session *s, enum sbx_end why)
{
	if (s->state == ST_ENDED)
		return;
	s->state = ST_ENDED;
	s->end = why;
	for (struct call *c = s->calls; c; c = c->next)
		c->done = true;
	pthread_cond_broadcast(&s->cv);
}

/*
 * The id of a reply that does not parse (the agent writes it first:
 * {"id":7,...}), so that its call ends instead of waiting; 0 if none.
 */
static json_int_t
salvage_id(const char *line, size_t len)
{
	char head[32];
	long long id;

	snprintf(head, sizeof(head), "%.*s", (int)(len < 31 ? len : 31), line);
	if (sscanf(head, "{\"id\":%lld", &id) == 1 && id > 0)
		return (json_int_t)id;
	return 0;
}

static void
dispatch(struct sf_backend_session *s, const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	json_t *idv = json_object_get(j, "id");
	json_int_t id = json_is_integer(idv) ? json_integer_value(idv)
	                                     : salvage_id(line, len);
	struct call *c;

	if (!id) {
		json_decref(j);
		return; /* not ours: nothing waits for it */
	}
	if (!j) /* an answer nobody can read: an error of the call */
		j = json_pack("{s:I, s:{s:s, s:s}}", "id", id, "error", "code",
		    "internal", "message",
		    "the sandbox's agent answered something unreadable");
	pthread_mutex_lock(&s->mu);
	for (c = s->calls; c; c = c->next) {
		if (c->id == id && !c->done) {
			c->reply = j;
			j = NULL;
			c->done = true;
			pthread_cond_broadcast(&s->cv);
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
	json_decref(j);
}

/* Read what the agent sent; -1 when it is gone or broke the protocol. */
static int
read_replies(struct sf_backend_session *s, enum sbx_end *why)
{
	for (;;) {
		ssize_t n;
		size_t start = 0;
		char *nl;

		sf_buf_grow(&s->rbuf, 65536);
		n = recv(s->sock, s->rbuf.buf + s->rbuf.len,
		    s->rbuf.alloc - s->rbuf.len - 1, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			*why = END_DIED;
			return -1;
		}
		sf_buf_setlen(&s->rbuf, s->rbuf.len + (size_t)n);
		while ((nl = memchr(s->rbuf.buf + s->rscan, '\n',
		            s->rbuf.len - s->rscan))) {
			size_t end = (size_t)(nl - s->rbuf.buf);

			dispatch(s, s->rbuf.buf + start, end - start);
			start = end + 1;
			s->rscan = start;
		}
		if (start) {
			memmove(s->rbuf.buf, s->rbuf.buf + start,
			    s->rbuf.len - start);
			sf_buf_setlen(&s->rbuf, s->rbuf.len - start);
		}
		s->rscan = s->rbuf.len;
		if (s->rbuf.len > REPLY_MAX) {
			*why = END_BROKEN;
			return -1;
		}
	}
}

static void
serve(struct sf_backend_session *s)
{
	enum sbx_end why = END_NONE;

	while (why == END_NONE) {
		struct pollfd p[3] = { { s->sock, POLLIN, 0 },
			{ s->wake[0], POLLIN, 0 }, { s->errfd, POLLIN, 0 } };
		int64_t left = ms_until(&s->deadline);
		int r;

		if (left <= 0) {
			why = END_TIMEOUT;
			break;
		}
		r = poll(p, s->errfd >= 0 ? 3 : 2, poll_ms(left));
		if (r < 0 && errno != EINTR)
			why = END_DIED;
		if (r <= 0)
			continue;
		if (p[1].revents) {
			char b[16];

			while (read(s->wake[0], b, sizeof(b)) > 0)
				;
			pthread_mutex_lock(&s->mu);
			if (s->stop_requested)
				why = END_STOP;
			pthread_mutex_unlock(&s->mu);
		}
		if (p[2].revents)
			read_err(s);
		if (why == END_NONE && p[0].revents)
			read_replies(s, &why);
	}
	if (why == END_DIED)
		read_err(s);
	pthread_mutex_lock(&s->mu);
	end_locked(s, why);
	pthread_mutex_unlock(&s->mu);
}

static void *
session_main(void *arg)
{
	struct sf_backend_session *s = arg;
	struct sf_err e;
	int rc;

	sf_err_clear(&e);
	rc = start_sandbox(s, &e);
	pthread_mutex_lock(&s->mu);
	if (rc == 0) {
		s->state = ST_RUNNING;
	} else {
		s->start_rc = rc;
		s->start_err = e;
		s->state = ST_ENDED;
		s->end = END_DIED;
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (rc == 0)
		serve(s);
	kill_sandbox(s);
	pthread_mutex_lock(&s->mu);
	s->torn_down = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ------------------------------------------------------------ ops */

static void
session_free(struct sf_backend_session *s)
{
	for (struct call *c = s->calls, *n; c; c = n) {
		n = c->next;
		json_decref(c->reply);
		free(c);
	}
	close_fd(&s->wake[0]);
	close_fd(&s->wake[1]);
	close_fd(&s->sock);
	close_fd(&s->errfd);
	close_fd(&s->pidfd);
	sf_buf_release(&s->rbuf);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->wmu);
	pthread_cond_destroy(&s->cv);
	free(s->id);
	free(s->work_dir);
	free(s);
}

/* Drop a reference, with s->mu held; frees (and unlocks) at the last. */
static void
unref_locked(struct sf_backend_session *s)
{
	bool last = --s->refs == 0;

	pthread_mutex_unlock(&s->mu);
	if (last)
		session_free(s);
}

static void
fill_limits(struct sf_backend_limits *out, const struct sf_backend_limits *in,
    const struct sf_backend_limits *def)
{
	out->cpus = in->cpus > 0 ? in->cpus : def->cpus;
	out->memory_bytes =
	    in->memory_bytes ? in->memory_bytes : def->memory_bytes;
	out->pids = in->pids > 0 ? in->pids : def->pids;
	out->disk_bytes = in->disk_bytes ? in->disk_bytes : def->disk_bytes;
	out->output_cap = in->output_cap ? in->output_cap : def->output_cap;
}

static int
sbx_start(void *ctx, const struct sf_backend_session_opts *o,
    struct sf_backend_session **out, struct sf_err *err)
{
	struct sbx_backend *be = ctx;
	struct sf_backend_session *s;
	pthread_attr_t attr;
	const char *mode = o->network_mode ? o->network_mode : "SANDBOX";
	char name[128];
	int rc;

	*out = NULL;
	if (strcmp(mode, "SANDBOX") != 0 && strcmp(mode, "PUBLIC") != 0 &&
	    strcmp(mode, "VPC") != 0)
		return sf_error(err, SF_EINVALID, "networkMode",
		    "unknown network mode \"%.32s\": SANDBOX, PUBLIC or VPC",
		    mode);
	if (o->timeout_s <= 0)
		return sf_error(err, SF_EINVALID, "sessionTimeoutSeconds",
		    "the session timeout must be positive");
	s = sf_xcalloc(1, sizeof(*s));
	s->be = be;
	s->refs = 1;
	s->state = ST_STARTING;
	s->sock = s->errfd = s->pidfd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->id = sf_xstrdup(o->session_id ? o->session_id : "session");
	s->work_dir = o->work_dir ? sf_xstrdup(o->work_dir) : NULL;
	s->public_net = strcmp(mode, "PUBLIC") == 0;
	s->timeout_s = o->timeout_s;
	sf_buf_init(&s->rbuf, 0);
	fill_limits(&s->lim, &o->limits, &be->limits);
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->wmu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (s->lim.memory_bytes < MIN_MEMORY || s->lim.pids < MIN_PIDS ||
	    s->lim.cpus < 1) {
		rc = sf_error(err, SF_EINVALID, s->id,
		    "limits too small for a session: at least 64 MiB of "
		    "memory, %d processes and 1 cpu",
		    MIN_PIDS);
		session_free(s);
		return rc;
	}
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc =
		    sf_error(err, SF_ERROR, s->id, "pipe: %s", strerror(errno));
		session_free(s);
		return rc;
	}
	s->wake[0] = high_fd(s->wake[0]);
	s->wake[1] = high_fd(s->wake[1]);
	pthread_mutex_lock(&be->mu);
	snprintf(name, sizeof(name), "s%lu-%.64s", ++be->seq, s->id);
	pthread_mutex_unlock(&be->mu);
	for (char *p = name; *p; p++)
		if (*p == '/' || *p == '.')
			*p = '_';
	rc = sf_sandbox_cg_create(&be->cg, name, &s->lim, &s->cg, err);
	if (rc != 0) {
		session_free(s);
		return rc;
	}
	now_mono(&s->deadline);
	if (s->timeout_s > (int64_t)INT_MAX)
		s->timeout_s = INT_MAX;
	s->deadline.tv_sec += (time_t)s->timeout_s;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, STACK_SIZE);
	rc = pthread_create(&s->thread, &attr, session_main, s);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		sf_sandbox_cg_destroy(&s->cg);
		rc = sf_error(err, SF_ERROR, s->id, "cannot start a thread: %s",
		    strerror(rc));
		session_free(s);
		return rc;
	}
	pthread_mutex_lock(&s->mu);
	while (s->state == ST_STARTING)
		pthread_cond_wait(&s->cv, &s->mu);
	rc = s->start_rc;
	if (rc != 0) {
		if (err)
			*err = s->start_err;
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
		session_free(s);
		return rc;
	}
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_lock(&be->mu);
	s->next = be->sessions;
	be->sessions = s;
	pthread_mutex_unlock(&be->mu);
	*out = s;
	return 0;
}

/* Write all of data to the agent, unless the session ends first. */
static int
send_line(struct sf_backend_session *s, const char *data, size_t len)
{
	int rc = 0;

	pthread_mutex_lock(&s->wmu);
	while (len) {
		ssize_t n =
		    send(s->sock, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { s->sock, POLLOUT, 0 };
			bool ended;

			poll(&p, 1, 200);
			pthread_mutex_lock(&s->mu);
			ended = s->state == ST_ENDED;
			pthread_mutex_unlock(&s->mu);
			if (!ended)
				continue;
		}
		rc = -1;
		break;
	}
	pthread_mutex_unlock(&s->wmu);
	return rc;
}

static int
ended_error(struct sf_backend_session *s, const char *tool, bool in_flight,
    struct sf_err *err)
{
	enum sf_code code = in_flight ? SF_ECONFLICT : SF_ENOTFOUND;
	const char *when = in_flight ? " while it ran" : "";
	char line[512];

	switch (s->end) {
	case END_STOP:
		return sf_error(
		    err, code, tool, "session %s was stopped%s", s->id, when);
	case END_TIMEOUT:
		return sf_error(err, code, tool,
		    "session %s timed out after %lld s%s", s->id,
		    (long long)s->timeout_s, when);
	case END_BROKEN:
		return sf_error(err, SF_ERROR, tool,
		    "session %s ended: its agent broke the protocol", s->id);
	case END_DIED:
	case END_NONE:
		break;
	}
	return sf_error(err, in_flight ? SF_ERROR : SF_ENOTFOUND, tool,
	    "the sandbox of session %s exited%s%s", s->id, when,
	    err_line(s, line, sizeof(line)));
}

/* Turn the agent's reply into a result or an error. */
static int
take_reply(const char *tool, json_t *reply, json_t **result, struct sf_err *err)
{
	json_t *r = json_object_get(reply, "result");
	json_t *e = json_object_get(reply, "error");

	if (json_is_object(r) && json_is_array(json_object_get(r, "content"))) {
		*result = json_incref(r);
		return 0;
	}
	if (json_is_object(e)) {
		const char *code =
		    json_string_value(json_object_get(e, "code"));
		const char *msg =
		    json_string_value(json_object_get(e, "message"));
		enum sf_code c = SF_ERROR;

		if (code && strcmp(code, "invalid") == 0)
			c = SF_EINVALID;
		else if (code && strcmp(code, "notfound") == 0)
			c = SF_ENOTFOUND;
		return sf_error(err, c, tool, "%s", msg ? msg : "failed");
	}
	return sf_error(err, SF_ERROR, tool,
	    "the sandbox's agent answered something unexpected");
}

static int
sbx_invoke(struct sf_backend_session *s, const char *tool, json_t *arguments,
    json_t **result, struct sf_err *err)
{
	struct call *c, **pp;
	json_t *req;
	char *line;
	size_t len;
	int rc;

	*result = NULL;
	rc = sf_sandbox_check_call(tool, arguments, s->be->node != NULL, err);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	if (s->state != ST_RUNNING) {
		rc = ended_error(s, tool, false, err);
		pthread_mutex_unlock(&s->mu);
		return rc;
	}
	c = sf_xcalloc(1, sizeof(*c));
	c->id = ++s->next_id;
	c->next = s->calls;
	s->calls = c;
	s->refs++;
	pthread_mutex_unlock(&s->mu);

	req = json_pack("{s:I, s:s, s:o}", "id", c->id, "tool", tool, "args",
	    arguments ? json_incref(arguments) : json_object());
	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!line)
		sf_die("cannot encode a tool call");
	len = strlen(line);
	line[len] = '\n'; /* json_dumps gave len + 1 bytes */
	rc = send_line(s, line, len + 1);
	free(line);

	pthread_mutex_lock(&s->mu);
	if (rc == 0) {
		while (!c->done)
			pthread_cond_wait(&s->cv, &s->mu);
	} else {
		/* the agent is gone: give the thread a moment to say why */
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 2;
		while (!c->done &&
		       pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
			;
	}
	if (c->reply)
		rc = take_reply(tool, c->reply, result, err);
	else
		rc = ended_error(s, tool, true, err);
	for (pp = &s->calls; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	json_decref(c->reply);
	free(c);
	unref_locked(s);
	return rc;
}

static void
sbx_stop(struct sf_backend_session *s)
{
	struct sbx_backend *be;
	bool join;

	if (!s)
		return;
	be = s->be;
	pthread_mutex_lock(&be->mu);
	for (struct sf_backend_session **pp = &be->sessions; *pp;
	     pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&be->mu);
	pthread_mutex_lock(&s->mu);
	s->stop_requested = true;
	pthread_mutex_unlock(&s->mu);
	if (write(s->wake[1], "x", 1) < 0) {
		/* full: a wake is pending anyway */
	}
	pthread_mutex_lock(&s->mu);
	join = !s->joined;
	s->joined = true;
	pthread_mutex_unlock(&s->mu);
	if (join)
		pthread_join(s->thread, NULL);
	pthread_mutex_lock(&s->mu);
	while (!s->torn_down)
		pthread_cond_wait(&s->cv, &s->mu);
	unref_locked(s);
}

static bool
sbx_alive(struct sf_backend_session *s)
{
	bool alive;

	pthread_mutex_lock(&s->mu);
	alive = s->state == ST_RUNNING;
	pthread_mutex_unlock(&s->mu);
	return alive;
}

static const char *
sbx_describe(void *ctx)
{
	struct sbx_backend *be = ctx;

	return be->describe;
}

static void
sbx_free(void *ctx)
{
	struct sbx_backend *be = ctx;

	if (!be)
		return;
	for (;;) {
		struct sf_backend_session *s;

		pthread_mutex_lock(&be->mu);
		s = be->sessions;
		pthread_mutex_unlock(&be->mu);
		if (!s)
			break;
		sbx_stop(s);
	}
	sf_sandbox_cg_release(&be->cg);
	pthread_mutex_destroy(&be->mu);
	free(be->bwrap);
	free(be->python);
	free(be->node);
	free(be);
}

static const struct sf_backend_ops sbx_ops = {
	.start = sbx_start,
	.invoke = sbx_invoke,
	.stop = sbx_stop,
	.alive = sbx_alive,
	.describe = sbx_describe,
	.free = sbx_free,
};

/* ------------------------------------------------------------ setup */

void
sf_sandbox_config_init(struct sf_sandbox_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bwrap = "/usr/bin/bwrap";
	cfg->python = "/usr/bin/python3";
	cfg->node = "/usr/bin/node";
	cfg->cgroup_fs = "/sys/fs/cgroup";
	cfg->cgroups = SF_SANDBOX_CGROUPS_AUTO;
	cfg->limits.cpus = 2;
	cfg->limits.memory_bytes = (uint64_t)8 << 30;
	cfg->limits.pids = 512;
	cfg->limits.disk_bytes = (uint64_t)10 << 30;
	cfg->limits.output_cap = (size_t)1 << 20;
	cfg->start_timeout_ms = 10000;
	cfg->uid = 65534;
	cfg->gid = 65534;
}

/* Whether path is an executable the sandbox sees too (under /usr). */
static bool
usable(const char *path)
{
	return path && access(path, X_OK) == 0 &&
	       (sf_str_has_prefix(path, "/usr/") ||
	           sf_str_has_prefix(path, "/bin/") ||
	           sf_str_has_prefix(path, "/sbin/"));
}

/* Run a minimal sandbox as the backend would (dropping to its uid or not). */
static int
try_sandbox(const struct sbx_backend *be, bool drop, char *out, size_t size)
{
	struct argv a = { 0 };
	int p[2], fds[3];
	pid_t pid;
	int st, rc;
	ssize_t n;
	size_t len = 0;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(out, size, "pipe: %s", strerror(errno));
		return -1;
	}
	p[0] = high_fd(p[0]);
	p[1] = high_fd(p[1]);
	fds[0] = high_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
	fds[1] = fds[2] = p[1];
	arg(&a, be->bwrap);
	arg(&a, "--unshare-all");
	arg(&a, "--die-with-parent");
	args2(&a, "--cap-drop", "ALL");
	if (drop) {
		args2(&a, "--uid", "0");
		args2(&a, "--gid", "0");
	}
	system_args(&a);
	args2(&a, "--proc", "/proc");
	args2(&a, "--dev", "/dev");
	args2(&a, "--", be->python);
	args2(&a, "-c", "pass");
	rc = spawn(be, drop, a.v, fds, 3, &pid);
	argv_free(&a);
	close(p[1]);
	close_fd(&fds[0]);
	if (rc != 0) {
		close(p[0]);
		snprintf(
		    out, size, "cannot run %s: %s", be->bwrap, strerror(rc));
		return -1;
	}
	while (len < size - 1 && (n = read(p[0], out + len, size - 1 - len))) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	out[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (!out[0])
		snprintf(out, size, "exit status %d",
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return -1;
}

/*
 * Check the programs, and find out how sandboxes run: as be->uid when we
 * are root and unprivileged user namespaces work, else as ourselves.
 */
static int
probe(struct sbx_backend *be, struct sf_err *err)
{
	char why[512], why_root[512];

	if (access(be->bwrap, X_OK) != 0)
		return sf_error(err, SF_ENOTFOUND, be->bwrap,
		    "bubblewrap is not installed: %s", strerror(errno));
	if (!usable(be->python))
		return sf_error(err, SF_ENOTFOUND, be->python,
		    "python3 is not installed under /usr");
	be->drop = geteuid() == 0 && be->uid != 0;
	if (try_sandbox(be, be->drop, why, sizeof(why)) == 0)
		return 0;
	if (be->drop &&
	    try_sandbox(be, false, why_root, sizeof(why_root)) == 0) {
		/* no unprivileged user namespaces here: sessions run as root */
		be->drop = false;
		return 0;
	}
	return sf_error(err, SF_ERROR, be->bwrap,
	    "bubblewrap cannot make a sandbox here: %s", why);
}

static void
backend_init(struct sbx_backend *be, const struct sf_sandbox_config *cfg)
{
	struct sf_sandbox_config def;

	sf_sandbox_config_init(&def);
	pthread_mutex_init(&be->mu, NULL);
	be->bwrap = sf_xstrdup(cfg->bwrap ? cfg->bwrap : def.bwrap);
	be->python = sf_xstrdup(cfg->python ? cfg->python : def.python);
	if (usable(cfg->node))
		be->node = sf_xstrdup(cfg->node);
	be->uid = cfg->uid;
	be->gid = cfg->gid;
	fill_limits(&be->limits, &cfg->limits, &def.limits);
	be->start_timeout_ms =
	    cfg->start_timeout_ms > 0 ? cfg->start_timeout_ms : 10000;
}

int
sf_sandbox_probe(const struct sf_sandbox_config *cfg, struct sf_err *err)
{
	struct sf_sandbox_config def;
	struct sbx_backend be;
	int rc;

	if (!cfg) {
		sf_sandbox_config_init(&def);
		cfg = &def;
	}
	memset(&be, 0, sizeof(be));
	backend_init(&be, cfg);
	rc = probe(&be, err);
	pthread_mutex_destroy(&be.mu);
	free(be.bwrap);
	free(be.python);
	free(be.node);
	return rc;
}

int
sf_sandbox_backend_new(const struct sf_sandbox_config *cfg,
    struct sf_backend *out, struct sf_err *err)
{
	struct sf_sandbox_config def;
	struct sbx_backend *be;
	int rc;

	out->ops = NULL;
	out->ctx = NULL;
	if (!cfg) {
		sf_sandbox_config_init(&def);
		cfg = &def;
	}
	be = sf_xcalloc(1, sizeof(*be));
	backend_init(be, cfg);
	if ((rc = probe(be, err)) != 0 ||
	    (rc = sf_sandbox_cg_init(
	         &be->cg, cfg->cgroup_fs, cfg->cgroups, err)) != 0) {
		sbx_free(be);
		return rc;
	}
	snprintf(be->describe, sizeof(be->describe),
	    "bubblewrap (%s); %s; python%s",
	    be->drop ? "unprivileged"
	             : (geteuid() == 0 ? "as root" : "as the server's user"),
	    be->cg.describe,
	    be->node ? ", javascript (node)" : " only (no node)");
	out->ops = &sbx_ops;
	out->ctx = be;
	return 0;
}
