/*
 * Benchmark: `sandform validate` on one configuration of 10,000
 * interpreters and 10,000 jobs (the DESIGN.md target: under 200 ms and
 * 100 MB). Prints the median wall time over several runs and the peak
 * resident memory of the validating process. Exits non-zero only when
 * validate itself fails; the figures are for people to read.
 *
 * usage: bench_validate SANDFORM [N_INTERPRETERS [N_JOBS [RUNS]]]
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fs.h"

static const char *const zones[] = { "UTC", "America/New_York", "Europe/Berlin",
	"Asia/Tokyo", "Australia/Sydney" };
static const char *const schedules[] = { "0 22 * * 1-5", "*/15 * * * *",
	"cron(0 8 ? * MON-FRI *)", "rate(5 minutes)", "@daily", "every 2h",
	"30 6 1,15 * *", "cron(0 12 L * ? *)" };
static const char *const networks[] = { "SANDBOX", "PUBLIC", "VPC" };

static void
generate(const char *path, long ni, long nj)
{
	FILE *f = fopen(path, "w");
	long i;

	if (!f) {
		perror(path);
		exit(1);
	}
	fputs("version: 1\nprovider:\n  target: local\nvariables:\n"
	      "  account: \"123456789012\"\ninterpreters:\n",
	    f);
	for (i = 0; i < ni; i++) {
		const char *net = networks[i % 3];

		fprintf(f,
		    "  sandbox_%06ld:\n"
		    "    description: Generated sandbox number %ld\n"
		    "    network: %s\n",
		    i, i, net);
		if (!strcmp(net, "VPC"))
			fprintf(f,
			    "    vpc:\n"
			    "      subnets: [subnet-%08lx, subnet-%08lx]\n"
			    "      security_groups: [sg-%08lx]\n",
			    i, i + 1, i);
		fprintf(f,
		    "    execution_role_arn: "
		    "arn:aws:iam::${var.account}:role/sandbox-%ld\n"
		    "    tags: { team: team%ld, env: bench, index: %ld }\n",
		    i, i % 17, i);
	}
	fputs("jobs:\n", f);
	for (i = 0; i < nj; i++)
		fprintf(f,
		    "  job_%06ld:\n"
		    "    interpreter: sandbox_%06ld\n"
		    "    schedule: \"%s\"\n"
		    "    timezone: %s\n"
		    "    session_timeout: 600\n"
		    "    timeout: 5m\n"
		    "    retries: 1\n"
		    "    steps:\n"
		    "      - command: echo job %ld\n"
		    "      - code: |\n"
		    "          total = sum(range(%ld))\n"
		    "          print(total)\n"
		    "        expect: { stdout: \"^[0-9]+\" }\n",
		    i, ni ? i % ni : 0, schedules[i % SF_ARRAY_LEN(schedules)],
		    zones[i % SF_ARRAY_LEN(zones)], i, i);
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run sandform validate path once: wall ms and peak RSS in KiB. */
static int
run_once(const char *sandform, const char *path, double *ms, long *rss_kib)
{
	double t0 = now_ms();
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execl(sandform, sandform, "validate", path, (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return -1;
	*ms = now_ms() - t0;
	*rss_kib = ru.ru_maxrss;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/sf-bench-XXXXXX";
	char *path;
	long ni = 10000, nj = 10000, runs = 7, i, rss = 0, peak = 0;
	double ms[64];
	struct stat st;
	int rc;

	if (argc < 2) {
		fprintf(stderr,
		    "usage: %s SANDFORM [N_INTERP [N_JOBS [RUNS]]]\n", argv[0]);
		return 2;
	}
	if (argc > 2)
		ni = atol(argv[2]);
	if (argc > 3)
		nj = atol(argv[3]);
	if (argc > 4)
		runs = atol(argv[4]);
	if (runs < 1 || runs > 64)
		runs = 7;
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	path = sf_fs_join(dir, "bench.yaml");
	generate(path, ni, nj);
	stat(path, &st);
	for (i = 0; i < runs; i++) {
		rc = run_once(argv[1], path, &ms[i], &rss);
		if (rc != 0) {
			fprintf(
			    stderr, "bench: sandform validate exited %d\n", rc);
			execl(argv[1], argv[1], "validate", path, (char *)NULL);
			return 1;
		}
		if (rss > peak)
			peak = rss;
	}
	qsort(ms, (size_t)runs, sizeof(ms[0]), cmp_double);
	printf("bench validate: %ld interpreters + %ld jobs, %.1f MiB of "
	       "YAML\n",
	    ni, nj, (double)st.st_size / (1024.0 * 1024.0));
	printf("bench validate: wall median %.1f ms (min %.1f, max %.1f, %ld "
	       "runs); target < 200 ms\n",
	    ms[runs / 2], ms[0], ms[runs - 1], runs);
	printf("bench validate: peak RSS %.1f MiB; target < 100 MiB\n",
	    (double)peak / 1024.0);
	if (getenv("SF_BENCH_KEEP")) {
		printf("bench validate: kept %s\n", path);
	} else {
		unlink(path);
		rmdir(dir);
	}
	free(path);
	return 0;
}
