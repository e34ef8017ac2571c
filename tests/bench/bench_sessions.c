/*
 * Benchmark of the bubblewrap backend (figures, not pass/fail):
 *
 *   1. a session's life as a job sees it: start, executeCode print("hi"),
 *      stop; the median of 100 (target: under 100 ms);
 *   2. how many idle sessions the machine holds at once (up to 500, target
 *      500), and the memory each takes, from the backend's cgroup and from
 *      MemAvailable.
 *
 * Bounded in time: part 2 stops making sessions after 80 s.
 * Usage: bench_sessions [runs] [max sessions]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "local/sandbox.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(int)(p * (n - 1) + 0.5)];
}

/* MemAvailable of /proc/meminfo, in bytes. */
static long long
mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/*
 * The memory charged to the backend's cgroup ("sandform-<pid>" beside
 * ours), v1 or v2; -1 when there is none.
 */
static long long
cgroup_memory(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096], path[4200];
	long long v = -1;

	if (!f)
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		FILE *m;

		if (!c2)
			continue;
		line[strcspn(line, "\n")] = '\0';
		*c2 = '\0';
		if (strcmp(c1 + 1, "memory") == 0)
			snprintf(path, sizeof(path),
			    "/sys/fs/cgroup/memory%s/sandform-%ld/"
			    "memory.usage_in_bytes",
			    strcmp(c2 + 1, "/") ? c2 + 1 : "", (long)getpid());
		else if (c1[1] == '\0')
			snprintf(path, sizeof(path),
			    "/sys/fs/cgroup%s/sandform-%ld/memory.current",
			    strcmp(c2 + 1, "/") ? c2 + 1 : "", (long)getpid());
		else
			continue;
		m = fopen(path, "re");
		if (m) {
			if (fscanf(m, "%lld", &v) != 1)
				v = -1;
			fclose(m);
		}
	}
	fclose(f);
	return v;
}

static struct sf_backend_session *
start(struct sf_backend *be, int i, struct sf_err *err)
{
	struct sf_backend_session_opts o = { 0 };
	struct sf_backend_session *s = NULL;
	char id[32];

	snprintf(id, sizeof(id), "bench%d", i);
	o.session_id = id;
	o.interpreter_id = "aws.codeinterpreter.v1";
	o.network_mode = "SANDBOX";
	o.timeout_s = 600;
	if (be->ops->start(be->ctx, &o, &s, err) != 0)
		return NULL;
	return s;
}

static int
bench_lifecycle(struct sf_backend *be, int runs)
{
	double *total = calloc((size_t)runs, sizeof(double));
	double *t_start = calloc((size_t)runs, sizeof(double));
	double *t_code = calloc((size_t)runs, sizeof(double));
	double *t_stop = calloc((size_t)runs, sizeof(double));
	json_t *args = json_pack(
	    "{s:s, s:s}", "code", "print(\"hi\")", "language", "python");
	struct sf_err err;
	int rc = 0;

	for (int i = 0; i < runs; i++) {
		double t0 = now_ms(), t1, t2;
		struct sf_backend_session *s = start(be, i, &err);
		json_t *res = NULL;

		if (!s) {
			fprintf(stderr, "start: %s\n", err.msg);
			rc = 1;
			break;
		}
		t1 = now_ms();
		if (be->ops->invoke(s, "executeCode", args, &res, &err) != 0 ||
		    strcmp(json_string_value(json_object_get(
		               json_object_get(res, "structuredContent"),
		               "stdout")),
		        "hi") != 0) {
			fprintf(stderr, "executeCode: %s\n", err.msg);
			rc = 1;
		}
		json_decref(res);
		t2 = now_ms();
		be->ops->stop(s);
		total[i] = now_ms() - t0;
		t_start[i] = t1 - t0;
		t_code[i] = t2 - t1;
		t_stop[i] = total[i] - t_start[i] - t_code[i];
		if (rc)
			break;
	}
	if (rc == 0) {
		printf("session start + print(\"hi\") + stop, %d runs: "
		       "median %.1f ms, p90 %.1f ms, max %.1f ms "
		       "(target: median under 100 ms)\n",
		    runs, pct(total, runs, 0.5), pct(total, runs, 0.9),
		    pct(total, runs, 1.0));
		printf("  medians: start %.1f ms, executeCode %.1f ms, "
		       "stop %.1f ms\n",
		    pct(t_start, runs, 0.5), pct(t_code, runs, 0.5),
		    pct(t_stop, runs, 0.5));
	}
	json_decref(args);
	free(total);
	free(t_start);
	free(t_code);
	free(t_stop);
	return rc;
}

static int
bench_idle(struct sf_backend *be, int max)
{
	struct sf_backend_session **s = calloc((size_t)max, sizeof(*s));
	long long avail0 = mem_available(), cg0 = cgroup_memory();
	long long avail1, cg1;
	double t0 = now_ms(), t_up, t1;
	struct sf_err err;
	int n = 0;
	const char *why = "the target";

	for (; n < max; n++) {
		if (now_ms() - t0 > 80000) {
			why = "the time budget (80 s)";
			break;
		}
		s[n] = start(be, 1000 + n, &err);
		if (!s[n]) {
			fprintf(stderr, "session %d: %s\n", n + 1, err.msg);
			why = "a failure";
			break;
		}
	}
	t_up = now_ms() - t0;
	/* let them settle, then check they all answer */
	usleep(500000);
	avail1 = mem_available();
	cg1 = cgroup_memory();
	{
		json_t *args = json_pack("{s:s}", "command", "true");
		int ok = 0;

		for (int i = 0; i < n; i++) {
			json_t *res = NULL;

			if (be->ops->invoke(
			        s[i], "executeCommand", args, &res, &err) == 0)
				ok++;
			json_decref(res);
		}
		json_decref(args);
		printf("concurrent idle sessions: %d held (stopped at %s), "
		       "%d of them answering; started in %.1f s\n",
		    n, why, ok, t_up / 1000);
	}
	if (n > 0) {
		if (cg1 >= 0)
			printf("  memory per session: %.1f MiB charged to the "
			       "sessions' cgroups\n",
			    (double)(cg1 - (cg0 > 0 ? cg0 : 0)) / n / 1048576);
		printf("  memory per session: %.1f MiB less MemAvailable "
		       "(%.0f MiB in all)\n",
		    (double)(avail0 - avail1) / n / 1048576,
		    (double)(avail0 - avail1) / 1048576);
	}
	t1 = now_ms();
	for (int i = 0; i < n; i++)
		be->ops->stop(s[i]);
	printf("  stopping them all: %.1f s\n", (now_ms() - t1) / 1000);
	free(s);
	return 0;
}

int
main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 100;
	int max = argc > 2 ? atoi(argv[2]) : 500;
	struct sf_sandbox_config cfg;
	struct sf_backend be;
	struct sf_err err;
	int rc;

	sf_sandbox_config_init(&cfg);
	if (sf_sandbox_backend_new(&cfg, &be, &err) != 0) {
		fprintf(stderr, "bench_sessions: skipped: %s: %s\n", err.where,
		    err.msg);
		return 77;
	}
	printf("backend: %s\n", be.ops->describe(be.ctx));
	rc = bench_lifecycle(&be, runs > 0 ? runs : 100);
	if (rc == 0)
		rc = bench_idle(&be, max > 0 ? max : 500);
	be.ops->free(be.ctx);
	return rc;
}
