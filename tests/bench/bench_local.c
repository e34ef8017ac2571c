/*
 * Benchmarks of the embedded control plane, over real HTTP on the
 * loopback, through our own AgentCore client (signing, the connection
 * cache, parsing: what sandform itself pays):
 *
 *   GetCodeInterpreter requests per second, one client and 4 at once
 *   a job of one print: session start, executeCode print("hi"), stop,
 *   the median over 100 runs (target: under 100 ms), on the default
 *   backend (the bubblewrap sandbox where it works, else echo)
 *
 * It prints figures; it does not pass or fail on them.
 *
 *   bench_local [SECONDS] [RUNS]
 */
#include <pthread.h>
#include <unistd.h>

#include "local/local.h"
#include "provider/aws/agentcore.h"

#define AKID   "AKIDBENCHLOCAL000001"
#define SECRET "bench/local+secret+0123456789abcdefghij"

static const char *
bench_getenv(const char *name, void *ud)
{
	(void)ud;
	if (!strcmp(name, "AWS_ACCESS_KEY_ID"))
		return AKID;
	if (!strcmp(name, "AWS_SECRET_ACCESS_KEY"))
		return SECRET;
	if (!strcmp(name, "AWS_EC2_METADATA_DISABLED"))
		return "true";
	if (!strcmp(name, "AWS_SHARED_CREDENTIALS_FILE") ||
	    !strcmp(name, "AWS_CONFIG_FILE"))
		return "/nonexistent";
	return NULL;
}

static const struct sf_creds_env bench_env = { bench_getenv, NULL, NULL, NULL,
	NULL, "/nonexistent", 0 };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sf_provider *
client(const char *url)
{
	struct sf_agentcore_opts o;
	struct sf_provider *p;
	struct sf_err err;

	memset(&o, 0, sizeof(o));
	o.region = "us-east-1";
	o.endpoint = url;
	o.env = &bench_env;
	o.max_attempts = 1;
	if (sf_agentcore_new(&o, &p, &err))
		sf_die("bench_local: %s", err.msg);
	return p;
}

struct getter {
	const char *url, *id;
	double seconds;
	long done, failed;
};

static void *
get_loop(void *arg)
{
	struct getter *g = arg;
	struct sf_provider *p = client(g->url);
	double end = now_s() + g->seconds;

	while (now_s() < end) {
		struct sf_ci ci;
		struct sf_err err;

		if (p->ops->get_interpreter(p, g->id, &ci, &err) == SF_OK) {
			g->done++;
			sf_ci_release(&ci);
		} else {
			g->failed++;
		}
	}
	p->ops->free(p);
	return NULL;
}

static void
bench_get(const char *url, const char *id, double seconds, int threads)
{
	struct getter g[16];
	pthread_t t[16];
	long done = 0, failed = 0;
	double start = now_s(), took;
	int i;

	for (i = 0; i < threads; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		g[i].url = url;
		g[i].id = id;
		g[i].seconds = seconds;
		pthread_create(&t[i], NULL, get_loop, &g[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		done += g[i].done;
		failed += g[i].failed;
	}
	took = now_s() - start;
	printf("GetCodeInterpreter, %d client%s: %.0f requests/s (%ld in %.1f "
	       "s, %ld failed)\n",
	    threads, threads == 1 ? "" : "s", (double)done / took, done, took,
	    failed);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
on_result(const struct sf_tool_result *r, void *ud)
{
	(void)r;
	(void)ud;
	return 0;
}

static void
bench_job(const char *url, int runs)
{
	struct sf_provider *p = client(url);
	double *t = sf_xcalloc((size_t)runs, sizeof(*t)), limit = now_s() + 60;
	int i, n = 0, failed = 0;

	for (i = 0; i < runs && now_s() < limit; i++) {
		struct sf_session_spec spec;
		struct sf_session s;
		struct sf_tool_call call;
		struct sf_err err;
		double start = now_s();

		memset(&spec, 0, sizeof(spec));
		spec.timeout_s = 60;
		if (p->ops->start_session(
		        p, "aws.codeinterpreter.v1", &spec, &s, &err)) {
			if (!failed++)
				fprintf(stderr, "bench_local: start: %s\n",
				    err.msg);
			continue;
		}
		memset(&call, 0, sizeof(call));
		call.name = "executeCode";
		call.language = "python";
		call.code = "print(\"hi\")";
		if (p->ops->invoke(p, "aws.codeinterpreter.v1", s.session_id,
		        &call, on_result, NULL, &err) &&
		    !failed++)
			fprintf(stderr, "bench_local: invoke: %s\n", err.msg);
		if (p->ops->stop_session(
		        p, "aws.codeinterpreter.v1", s.session_id, &err) &&
		    !failed++)
			fprintf(stderr, "bench_local: stop: %s\n", err.msg);
		t[n++] = (now_s() - start) * 1000;
		sf_session_release(&s);
	}
	if (n) {
		qsort(t, (size_t)n, sizeof(*t), cmp_double);
		printf("job of one print (start, executeCode, stop): median "
		       "%.1f ms, p90 %.1f ms, over %d runs (%d failed; target: "
		       "median under 100 ms)\n",
		    t[n / 2], t[n * 9 / 10], n, failed);
	}
	free(t);
	p->ops->free(p);
}

int
main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	int runs = argc > 2 ? atoi(argv[2]) : 100;
	struct sf_local_key key = { AKID, SECRET, NULL };
	struct sf_local_opts o;
	struct sf_local_server *s;
	struct sf_provider *p;
	struct sf_ci_spec spec;
	struct sf_ci ci;
	struct sf_err err;
	char dir[] = "/tmp/sf-bench-local.XXXXXX";

	if (!mkdtemp(dir))
		sf_die("bench_local: mkdtemp failed");
	memset(&o, 0, sizeof(o));
	o.data_dir = dir;
	o.keys = &key;
	o.nkeys = 1;
	o.transition_ms = 0;
	if (sf_local_default_backend(&o.backend, &err)) {
		fprintf(stderr, "bench_local: no sandbox (%s); echo backend\n",
		    err.msg);
		sf_local_echo_backend(&o.backend);
	}
	if (sf_local_server_new(&o, &s, &err) ||
	    sf_local_server_listen(s, "127.0.0.1:0", &err))
		sf_die("bench_local: %s", err.msg);
	printf("sandform local on %s, backend: %s\n", sf_local_server_url(s),
	    sf_local_server_backend_describe(s));
	p = client(sf_local_server_url(s));
	memset(&spec, 0, sizeof(spec));
	spec.name = "bench";
	spec.network_mode = "SANDBOX";
	if (p->ops->create_interpreter(p, &spec, &ci, &err))
		sf_die("bench_local: create: %s", err.msg);
	bench_get(sf_local_server_url(s), ci.id, seconds, 1);
	bench_get(sf_local_server_url(s), ci.id, seconds, 4);
	sf_ci_release(&ci);
	p->ops->free(p);
	bench_job(sf_local_server_url(s), runs);
	sf_local_server_free(s);
	{
		char *cmd = sf_xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			fprintf(stderr, "bench_local: cannot remove %s\n", dir);
		free(cmd);
	}
	return 0;
}
