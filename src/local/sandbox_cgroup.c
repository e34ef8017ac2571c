/*
 * Limits of sessions: a cgroup per session where the machine lets us make
 * one (v2 unified, or the v1 memory, cpu and pids hierarchies), rlimits of
 * the sandbox's first process otherwise. Sessions' cgroups live in a
 * directory of the backend, "sandform-<pid>", made beside the cgroup this
 * process is in, so that they count against whatever limits the server.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "local/sandbox_int.h"

static const char *const ctl_names[SF_CG_N] = { "memory", "cpu", "pids" };

static int
write_file(const char *dir, const char *name, const char *value)
{
	char path[4096];
	int fd;
	ssize_t n;
	size_t len = strlen(value);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, value, len);
	if (close(fd) != 0 || n != (ssize_t)len)
		return -1;
	return 0;
}

static int
read_small(const char *path, char *out, size_t outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n < 0)
		return -1;
	out[n] = '\0';
	return 0;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/*
 * The path of this process in the hierarchy of a v1 controller ("memory")
 * or of v2 (controller NULL), from /proc/self/cgroup; NULL if absent.
 * *mount gets the hierarchy's mount directory name ("memory" or
 * "cpu,cpuacct") for v1.
 */
static char *
self_cgroup(const char *controller, char **mount)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	char *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		char *nl = strchr(line, '\n');

		if (!c2)
			continue;
		if (nl)
			*nl = '\0';
		*c2 = '\0';
		if (!controller) {
			if (c1[1] == '\0')
				found = sf_xstrdup(c2 + 1);
			continue;
		}
		/* a comma-separated list of controllers */
		for (char *p = c1 + 1; *p;) {
			size_t n = strcspn(p, ",");

			if (n == strlen(controller) &&
			    strncmp(p, controller, n) == 0) {
				found = sf_xstrdup(c2 + 1);
				if (mount)
					*mount = sf_xstrdup(c1 + 1);
				break;
			}
			p += n;
			if (*p == ',')
				p++;
		}
	}
	fclose(f);
	return found;
}

/* Join a cgroup path ("/" or "/a/b") under a mount directory. */
static char *
cg_join(const char *mount_dir, const char *path, const char *leaf)
{
	const char *sep = strcmp(path, "/") == 0 ? "" : path;

	return sf_xasprintf("%s%s/%s", mount_dir, sep, leaf);
}

/*
 * Remove "sandform-<pid>" directories left by servers that are gone, and
 * the session directories in them (empty cgroups only: rmdir refuses the
 * others).
 */
static void
sweep_stale(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid;
		char *dir;
		DIR *sd;

		if (!sf_str_has_prefix(de->d_name, "sandform-"))
			continue;
		pid = strtol(de->d_name + 9, &end, 10);
		if (*end || pid <= 0 || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		dir = sf_xasprintf("%s/%s", parent, de->d_name);
		sd = opendir(dir);
		if (sd) {
			struct dirent *se;

			while ((se = readdir(sd))) {
				char *sub;

				if (se->d_type != DT_DIR ||
				    se->d_name[0] == '.')
					continue;
				sub = sf_xasprintf("%s/%s", dir, se->d_name);
				rmdir(sub);
				free(sub);
			}
			closedir(sd);
		}
		rmdir(dir);
		free(dir);
	}
	closedir(d);
}

/* Make dir (or find it there already). */
static int
make_dir(const char *dir)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

static void
describe_controllers(struct sf_sandbox_cgsys *sys)
{
	struct sf_buf b = SF_BUF_INIT;
	const char *sep = ": ";
	bool missing = false;

	sf_buf_addf(&b, "cgroup v%d", sys->version);
	for (int i = 0; i < SF_CG_N; i++) {
		if (!sys->has[i]) {
			missing = true;
			continue;
		}
		sf_buf_addf(&b, "%s%s", sep, ctl_names[i]);
		sep = ", ";
	}
	if (missing)
		sf_buf_adds(&b, "; rlimits for the rest");
	snprintf(sys->describe, sizeof(sys->describe), "%s", b.buf);
	sf_buf_release(&b);
}

static int
init_v1(struct sf_sandbox_cgsys *sys, const char *fs, struct sf_buf *why)
{
	char leaf[64];
	int n = 0;

	snprintf(leaf, sizeof(leaf), "sandform-%ld", (long)getpid());
	for (int i = 0; i < SF_CG_N; i++) {
		char *mount = NULL;
		char *path = self_cgroup(ctl_names[i], &mount);
		char *mdir;
		char *parent;

		if (!path) {
			sf_buf_addf(why, "%sno v1 %s hierarchy", n ? "; " : "",
			    ctl_names[i]);
			free(mount);
			continue;
		}
		mdir = sf_xasprintf("%s/%s", fs, ctl_names[i]);
		if (!exists(mdir)) {
			free(mdir);
			mdir = sf_xasprintf("%s/%s", fs, mount);
		}
		parent = cg_join(mdir, path, "");
		parent[strlen(parent) - 1] = '\0';
		sweep_stale(parent);
		sys->base[i] = cg_join(mdir, path, leaf);
		if (make_dir(sys->base[i]) != 0) {
			sf_buf_addf(why, "%s%s: %s", why->len ? "; " : "",
			    sys->base[i], strerror(errno));
			free(sys->base[i]);
			sys->base[i] = NULL;
		} else {
			sys->has[i] = true;
			n++;
		}
		free(parent);
		free(mdir);
		free(path);
		free(mount);
	}
	if (n == 0)
		return -1;
	sys->version = 1;
	return 0;
}

/* Whether the cgroup dir holds no process but ours. */
static bool
only_us(const char *dir)
{
	char path[4096];
	char buf[256];
	long pid;
	char *end;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (read_small(path, buf, sizeof(buf)) != 0)
		return false;
	pid = strtol(buf, &end, 10);
	return pid == (long)getpid() &&
	       (*end == '\0' || strcmp(end, "\n") == 0);
}

static int
init_v2(struct sf_sandbox_cgsys *sys, const char *fs, struct sf_buf *why)
{
	char *path = self_cgroup(NULL, NULL);
	char *self;
	char avail[512];
	char enable[64] = "";
	char file[4200];
	char leaf[64];
	char *base = NULL;
	int rc = -1;

	if (!path) {
		sf_buf_adds(why, "no v2 entry in /proc/self/cgroup");
		return -1;
	}
	self = cg_join(fs, path, "");
	self[strlen(self) - 1] = '\0';
	snprintf(file, sizeof(file), "%s/cgroup.controllers", self);
	if (read_small(file, avail, sizeof(avail)) != 0) {
		sf_buf_addf(why, "%s: %s", file, strerror(errno));
		goto out;
	}
	for (int i = 0; i < SF_CG_N; i++) {
		/* avail is "cpuset cpu io memory pids" */
		const char *p = avail;
		size_t n = strlen(ctl_names[i]);

		while ((p = strstr(p, ctl_names[i]))) {
			if ((p == avail || p[-1] == ' ') &&
			    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0')) {
				sys->has[i] = true;
				break;
			}
			p += n;
		}
		if (sys->has[i]) {
			size_t len = strlen(enable);

			snprintf(enable + len, sizeof(enable) - len, "%s+%s",
			    len ? " " : "", ctl_names[i]);
		}
	}
	if (!enable[0]) {
		sf_buf_addf(why, "%s offers none of memory, cpu, pids", self);
		goto out;
	}
	sweep_stale(self);
	if (write_file(self, "cgroup.subtree_control", enable) != 0 &&
	    errno == EBUSY && only_us(self)) {
		/*
		 * No internal processes: a cgroup that hands controllers to
		 * its children holds no process itself. When we are alone in
		 * ours, we move into a leaf of it.
		 */
		char *srv = sf_xasprintf("%s/sandform-server", self);
		char pid[32];

		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		if (make_dir(srv) == 0 &&
		    write_file(srv, "cgroup.procs", pid) == 0)
			errno = 0;
		free(srv);
		if (errno == 0)
			write_file(self, "cgroup.subtree_control", enable);
	}
	snprintf(leaf, sizeof(leaf), "sandform-%ld", (long)getpid());
	base = cg_join(self, "/", leaf);
	if (make_dir(base) != 0) {
		sf_buf_addf(why, "%s: %s", base, strerror(errno));
		goto out;
	}
	if (write_file(base, "cgroup.subtree_control", enable) != 0) {
		sf_buf_addf(why, "cannot enable %s in %s: %s", enable, base,
		    strerror(errno));
		rmdir(base);
		goto out;
	}
	for (int i = 0; i < SF_CG_N; i++)
		sys->base[i] = sys->has[i] ? sf_xstrdup(base) : NULL;
	sys->version = 2;
	rc = 0;
out:
	if (rc != 0)
		memset(sys->has, 0, sizeof(sys->has));
	free(base);
	free(self);
	free(path);
	return rc;
}

int
sf_sandbox_cg_init(struct sf_sandbox_cgsys *sys, const char *fs,
    enum sf_sandbox_cgroups mode, struct sf_err *err)
{
	struct sf_buf why = SF_BUF_INIT;
	char probe[4200];
	bool v2;
	int rc = 0;

	memset(sys, 0, sizeof(*sys));
	if (!fs)
		fs = "/sys/fs/cgroup";
	snprintf(probe, sizeof(probe), "%s/cgroup.controllers", fs);
	v2 = exists(probe);
	if (mode == SF_SANDBOX_CGROUPS_NONE) {
		snprintf(sys->describe, sizeof(sys->describe),
		    "rlimits (cgroups turned off)");
		return 0;
	}
	if (mode == SF_SANDBOX_CGROUPS_V2 ||
	    (mode == SF_SANDBOX_CGROUPS_AUTO && v2))
		rc = init_v2(sys, fs, &why);
	else
		rc = init_v1(sys, fs, &why);
	if (rc == 0) {
		describe_controllers(sys);
	} else if (mode != SF_SANDBOX_CGROUPS_AUTO) {
		rc = sf_error(err, SF_ERROR, fs, "no writable cgroup v%d: %s",
		    mode == SF_SANDBOX_CGROUPS_V2 ? 2 : 1, why.buf);
	} else {
		snprintf(sys->describe, sizeof(sys->describe),
		    "rlimits (no writable cgroups: %s)", why.buf);
		rc = 0;
	}
	sf_buf_release(&why);
	return rc;
}

void
sf_sandbox_cg_release(struct sf_sandbox_cgsys *sys)
{
	for (int i = 0; i < SF_CG_N; i++) {
		if (!sys->base[i])
			continue;
		/* v2 shares one directory between the controllers */
		if (i == 0 || !sys->base[i - 1] ||
		    strcmp(sys->base[i], sys->base[i - 1]) != 0)
			rmdir(sys->base[i]);
		free(sys->base[i]);
		sys->base[i] = NULL;
	}
}

static int
set_limits_v1(
    const struct sf_sandbox_cg *cg, const struct sf_backend_limits *lim)
{
	char v[64];

	if (cg->dir[SF_CG_MEMORY]) {
		snprintf(v, sizeof(v), "%llu",
		    (unsigned long long)lim->memory_bytes);
		if (write_file(
		        cg->dir[SF_CG_MEMORY], "memory.limit_in_bytes", v) != 0)
			return -1;
		/* memory+swap: no swap beyond the limit, where accounted */
		write_file(
		    cg->dir[SF_CG_MEMORY], "memory.memsw.limit_in_bytes", v);
	}
	if (cg->dir[SF_CG_CPU]) {
		if (write_file(
		        cg->dir[SF_CG_CPU], "cpu.cfs_period_us", "100000") != 0)
			return -1;
		snprintf(v, sizeof(v), "%lld", (long long)lim->cpus * 100000);
		if (write_file(cg->dir[SF_CG_CPU], "cpu.cfs_quota_us", v) != 0)
			return -1;
	}
	if (cg->dir[SF_CG_PIDS]) {
		snprintf(v, sizeof(v), "%d", lim->pids);
		if (write_file(cg->dir[SF_CG_PIDS], "pids.max", v) != 0)
			return -1;
	}
	return 0;
}

static int
set_limits_v2(const char *dir, const struct sf_sandbox_cgsys *sys,
    const struct sf_backend_limits *lim)
{
	char v[64];

	if (sys->has[SF_CG_MEMORY]) {
		snprintf(v, sizeof(v), "%llu",
		    (unsigned long long)lim->memory_bytes);
		if (write_file(dir, "memory.max", v) != 0)
			return -1;
		write_file(dir, "memory.swap.max", "0");
	}
	if (sys->has[SF_CG_CPU]) {
		snprintf(
		    v, sizeof(v), "%lld 100000", (long long)lim->cpus * 100000);
		if (write_file(dir, "cpu.max", v) != 0)
			return -1;
	}
	if (sys->has[SF_CG_PIDS]) {
		snprintf(v, sizeof(v), "%d", lim->pids);
		if (write_file(dir, "pids.max", v) != 0)
			return -1;
	}
	return 0;
}

int
sf_sandbox_cg_create(const struct sf_sandbox_cgsys *sys, const char *name,
    const struct sf_backend_limits *lim, struct sf_sandbox_cg *cg,
    struct sf_err *err)
{
	int rc;

	bool made = false;

	memset(cg, 0, sizeof(*cg));
	if (sys->version == 0)
		return 0;
	for (int i = 0; i < SF_CG_N; i++) {
		if (!sys->has[i])
			continue;
		cg->dir[i] = sf_xasprintf("%s/%s", sys->base[i], name);
		if (sys->version == 2 && made)
			continue; /* v2: one directory, made already */
		made = true;
		if (mkdir(cg->dir[i], 0755) != 0) {
			rc = sf_error(err, SF_ERROR, cg->dir[i],
			    "cannot make the session's cgroup: %s",
			    strerror(errno));
			free(cg->dir[i]);
			cg->dir[i] = NULL;
			sf_sandbox_cg_destroy(cg);
			return rc;
		}
	}
	if (sys->version == 2) {
		const char *dir = NULL;

		for (int i = 0; i < SF_CG_N && !dir; i++)
			dir = cg->dir[i];
		rc = set_limits_v2(dir, sys, lim);
	} else {
		rc = set_limits_v1(cg, lim);
	}
	if (rc != 0) {
		rc = sf_error(err, SF_ERROR, name,
		    "cannot set the session's limits: %s", strerror(errno));
		sf_sandbox_cg_destroy(cg);
		return rc;
	}
	return 0;
}

int
sf_sandbox_cg_attach(const struct sf_sandbox_cgsys *sys,
    const struct sf_sandbox_cg *cg, pid_t pid, struct sf_err *err)
{
	char v[32];
	const char *done = NULL;

	(void)sys;
	snprintf(v, sizeof(v), "%ld", (long)pid);
	for (int i = 0; i < SF_CG_N; i++) {
		if (!cg->dir[i] || (done && strcmp(done, cg->dir[i]) == 0))
			continue;
		if (write_file(cg->dir[i], "cgroup.procs", v) != 0)
			return sf_error(err, SF_ERROR, cg->dir[i],
			    "cannot move the sandbox into its cgroup: %s",
			    strerror(errno));
		done = cg->dir[i];
	}
	return 0;
}

/* The directory whose cgroup.procs lists every process of the session. */
static const char *
procs_dir(const struct sf_sandbox_cg *cg)
{
	for (int i = SF_CG_N - 1; i >= 0; i--)
		if (cg->dir[i])
			return cg->dir[i];
	return NULL;
}

int
sf_sandbox_cg_count(const struct sf_sandbox_cg *cg)
{
	const char *dir = procs_dir(cg);
	char path[4200];
	FILE *f;
	long pid;
	int n = 0;

	if (!dir)
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%ld", &pid) == 1)
		n++;
	fclose(f);
	return n;
}

void
sf_sandbox_cg_kill(const struct sf_sandbox_cg *cg)
{
	const char *dir = procs_dir(cg);
	char path[4200];
	FILE *f;
	long pid;

	if (!dir)
		return;
	if (write_file(dir, "cgroup.kill", "1") == 0)
		return; /* v2, Linux 5.14 and later */
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
	fclose(f);
}

int
sf_sandbox_cg_destroy(struct sf_sandbox_cg *cg)
{
	int rc = 0;

	for (int i = 0; i < SF_CG_N; i++) {
		if (!cg->dir[i])
			continue;
		/* the last processes may take a moment to be released */
		for (int tries = 0; rmdir(cg->dir[i]) != 0; tries++) {
			struct timespec ts = { 0, 2000000 };

			if (errno == ENOENT)
				break;
			if (errno != EBUSY || tries >= 500) {
				rc = -1;
				break;
			}
			nanosleep(&ts, NULL);
		}
		free(cg->dir[i]);
		cg->dir[i] = NULL;
	}
	return rc;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

int
sf_sandbox_rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
