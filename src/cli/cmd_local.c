/* sandform local serve | start | stop | status: the embedded control plane. */
#include <errno.h>
#include <unistd.h>

#include "cli/cli.h"
#include "local/local.h"

const char sf_local_usage[] =
    "Usage: sandform local serve [--listen ADDR:PORT] [--data DIR]\n"
    "                            [--credentials FILE] [--region R]\n"
    "                            [--account ID] [--rate-limits aws]\n"
    "                            [--faults SPEC] [--faults-seed N]\n"
    "                            [--max-interpreters N] [--max-sessions N]\n"
    "                            [--max-payload BYTES] [--transition-ms MS]\n"
    "                            [--backend sandbox|echo] [--pid-file FILE]\n"
    "                            [--port-file FILE] [--quiet]\n"
    "       sandform local start  [--state DIR]\n"
    "       sandform local stop   [--state DIR]\n"
    "       sandform local status [--state DIR] [--json]\n"
    "\n"
    "The embedded control plane: AgentCore's Code Interpreter API (both\n"
    "planes on one port, SigV4-checked) with sessions in local sandboxes.\n"
    "\n"
    "serve runs a server in the foreground until SIGINT or SIGTERM and\n"
    "prints `listening on http://ADDR:PORT` once it listens.\n"
    "  --listen ADDR:PORT   where to listen (127.0.0.1:0: a free port on\n"
    "                       the loopback; anything else must be asked for)\n"
    "  --data DIR           interpreters, session history, the generated\n"
    "                       credentials (default state/local/data)\n"
    "  --credentials FILE   accept the keys of this AWS shared-credentials\n"
    "                       file; else AWS_ACCESS_KEY_ID and\n"
    "                       AWS_SECRET_ACCESS_KEY; else DIR/credentials,\n"
    "                       generated on first use\n"
    "  --region R           the region requests are signed for (us-east-1)\n"
    "  --account ID         the account in ARNs (000000000000)\n"
    "  --rate-limits aws    30 requests/s per operation, 5 for Create and\n"
    "                       Delete, as AWS: ThrottlingException beyond\n"
    "  --faults SPEC        answer a share of requests with an error or\n"
    "                       drop them: 500=0.1,429=0.05,drop=0.02\n"
    "  --faults-seed N      make the faults repeatable\n"
    "  --max-interpreters N, --max-sessions N, --max-payload BYTES\n"
    "                       quotas (1000, 1000 active, 100 MB)\n"
    "  --transition-ms MS   CREATING -> READY and DELETING -> gone (200)\n"
    "  --backend NAME       sandbox (bubblewrap) or echo (runs nothing)\n"
    "  --pid-file, --port-file FILE   written once listening\n"
    "  --quiet              no line per request on stderr\n"
    "\n"
    "start starts a server for a state directory in the background (or\n"
    "finds the one that runs), stop stops it, status shows its pid, port,\n"
    "uptime, counts and sandbox. Files live in DIR/local/ (default\n"
    "state/local/). See docs/local.md.\n";

static int
parse_size(const char *cmd, const char *opt, const char *v, size_t *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!*v || *end || errno || n == 0 || *v == '-')
		return sf_cli_usage_error(
		    cmd, "%s wants a positive number, not \"%s\"", opt, v);
	*out = (size_t)n;
	return 0;
}

static void
log_quiet(void *ud, const char *line)
{
	(void)ud;
	/* Problems still go out; request lines (which start with their
	 * time, 2025-...) do not. */
	if (!(strlen(line) > 4 && strspn(line, "0123456789") == 4 &&
	        line[4] == '-'))
		fprintf(stderr, "%s\n", line);
}

static int
local_serve(int argc, char **argv)
{
	struct sf_local_serve_opts o;
	struct sf_local_keys keys = { 0 };
	struct sf_err err;
	const char *creds = NULL, *backend = NULL, *data = "state/local/data";
	const char *akid = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	bool quiet = false;
	int i, rc;

	memset(&o, 0, sizeof(o));
	o.server.transition_ms = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t n;

#define NEED_VALUE()                                         \
	do {                                                 \
		if (!v)                                      \
			return sf_cli_usage_error(           \
			    "local", "%s needs a value", a); \
		i++;                                         \
	} while (0)
		if (!strcmp(a, "--listen")) {
			NEED_VALUE();
			o.listen = v;
		} else if (!strcmp(a, "--data")) {
			NEED_VALUE();
			data = v;
		} else if (!strcmp(a, "--credentials")) {
			NEED_VALUE();
			creds = v;
		} else if (!strcmp(a, "--region")) {
			NEED_VALUE();
			o.server.region = v;
		} else if (!strcmp(a, "--account")) {
			NEED_VALUE();
			if (strlen(v) != 12 || strspn(v, "0123456789") != 12)
				return sf_cli_usage_error("local",
				    "--account wants 12 digits, not \"%s\"", v);
			o.server.account = v;
		} else if (!strcmp(a, "--rate-limits")) {
			NEED_VALUE();
			if (strcmp(v, "aws") && strcmp(v, "off"))
				return sf_cli_usage_error("local",
				    "--rate-limits takes aws or off, not "
				    "\"%s\"",
				    v);
			o.server.rate_limits = !strcmp(v, "aws");
		} else if (!strcmp(a, "--faults")) {
			NEED_VALUE();
			o.server.faults = v;
		} else if (!strcmp(a, "--faults-seed")) {
			NEED_VALUE();
			if ((rc = parse_size("local", a, v, &n)))
				return rc;
			o.server.faults_seed = n;
			o.server.faults_seeded = true;
		} else if (!strcmp(a, "--max-interpreters")) {
			NEED_VALUE();
			if ((rc = parse_size(
			         "local", a, v, &o.server.max_interpreters)))
				return rc;
		} else if (!strcmp(a, "--max-sessions")) {
			NEED_VALUE();
			if ((rc = parse_size(
			         "local", a, v, &o.server.max_sessions)))
				return rc;
		} else if (!strcmp(a, "--max-payload")) {
			NEED_VALUE();
			if ((rc = parse_size(
			         "local", a, v, &o.server.max_payload)))
				return rc;
		} else if (!strcmp(a, "--transition-ms")) {
			NEED_VALUE();
			if (!strcmp(v, "0")) {
				o.server.transition_ms = 0;
			} else {
				if ((rc = parse_size("local", a, v, &n)))
					return rc;
				o.server.transition_ms = (int64_t)n;
			}
		} else if (!strcmp(a, "--backend")) {
			NEED_VALUE();
			backend = v;
		} else if (!strcmp(a, "--pid-file")) {
			NEED_VALUE();
			o.pid_file = v;
		} else if (!strcmp(a, "--port-file")) {
			NEED_VALUE();
			o.port_file = v;
		} else if (!strcmp(a, "--quiet")) {
			quiet = true;
		} else {
			return sf_cli_usage_error(
			    "local", "unexpected argument \"%s\"", a);
		}
#undef NEED_VALUE
	}
	o.server.data_dir = data;
	if (creds) {
		rc = sf_local_keys_load(creds, &keys, &err);
	} else if (akid && *akid && secret && *secret) {
		sf_local_keys_add(
		    &keys, akid, secret, getenv("AWS_SESSION_TOKEN"));
		rc = SF_OK;
	} else {
		rc = sf_local_keys_data_dir(data, &keys, &err);
	}
	if (rc)
		return sf_cli_report(&err);
	o.server.keys = keys.v;
	o.server.nkeys = keys.n;
	if ((rc = sf_local_backend_by_name(backend, &o.server.backend, &err))) {
		sf_local_keys_release(&keys);
		return sf_cli_report(&err);
	}
	if (quiet)
		o.server.log = log_quiet;
	o.out = stdout;
	rc = sf_local_serve(&o, &err);
	sf_local_keys_release(&keys);
	return rc ? sf_cli_report(&err) : SF_EXIT_OK;
}

/* --state DIR and --json, the options of start, stop and status. */
static int
state_opts(int argc, char **argv, const char **state, bool *json, bool json_ok)
{
	int i;

	*state = "state";
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--state") && i + 1 < argc) {
			*state = argv[++i];
		} else if (json_ok && !strcmp(argv[i], "--json")) {
			*json = true;
		} else {
			return sf_cli_usage_error(
			    "local", "unexpected argument \"%s\"", argv[i]);
		}
	}
	return 0;
}

static void
human_ms(char *out, size_t len, int64_t ms)
{
	int64_t s = ms / 1000;

	if (s < 60)
		snprintf(out, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, len, "%lldm%02llds", (long long)(s / 60),
		    (long long)(s % 60));
	else
		snprintf(out, len, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s / 60 % 60));
}

static int
local_start(int argc, char **argv)
{
	struct sf_local_endpoint e;
	struct sf_err err;
	const char *state;
	bool json = false;
	int rc;

	if ((rc = state_opts(argc, argv, &state, &json, false)))
		return rc;
	if (sf_local_ensure(state, &e, &err))
		return sf_cli_report(&err);
	printf("%s %s (pid %ld)\n", e.started ? "started" : "running", e.url,
	    e.pid);
	sf_local_endpoint_release(&e);
	return SF_EXIT_OK;
}

static int
local_stop(int argc, char **argv)
{
	struct sf_err err;
	const char *state;
	bool json = false, was;
	int rc;

	if ((rc = state_opts(argc, argv, &state, &json, false)))
		return rc;
	if (sf_local_stop(state, &was, &err))
		return sf_cli_report(&err);
	puts(was ? "stopped" : "not running");
	return SF_EXIT_OK;
}

static int
local_status(int argc, char **argv)
{
	struct sf_err err;
	const char *state;
	bool json = false;
	json_t *st;
	char up[32];
	int rc;

	if ((rc = state_opts(argc, argv, &state, &json, true)))
		return rc;
	if (sf_local_status(state, &st, &err)) {
		if (json)
			puts("{\"running\": false}");
		else
			puts("not running");
		return SF_EXIT_ERROR;
	}
	if (json) {
		char *s;

		json_object_set_new(st, "running", json_true());
		s = json_dumps(st, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(s);
		free(s);
		json_decref(st);
		return SF_EXIT_OK;
	}
	human_ms(up, sizeof(up),
	    json_integer_value(json_object_get(st, "uptimeMs")));
	printf("running     http://127.0.0.1:%lld (pid %lld)\n",
	    (long long)json_integer_value(json_object_get(st, "port")),
	    (long long)json_integer_value(json_object_get(st, "pid")));
	printf("uptime      %s\n", up);
	printf("region      %s\n",
	    json_string_value(json_object_get(st, "region")));
	printf("data        %s\n",
	    json_string_value(json_object_get(st, "dataDir")));
	printf("interpreters %lld\n",
	    (long long)json_integer_value(json_object_get(st, "interpreters")));
	printf("sessions    %lld active, %lld in all\n",
	    (long long)json_integer_value(
	        json_object_get(st, "sessionsActive")),
	    (long long)json_integer_value(
	        json_object_get(st, "sessionsTotal")));
	printf("isolation   %s\n",
	    json_string_value(json_object_get(st, "backend")));
	json_decref(st);
	return SF_EXIT_OK;
}

int
cmd_local(int argc, char **argv)
{
	if (argc < 2)
		return sf_cli_usage_error(
		    "local", "which one: serve, start, stop or status?");
	if (!strcmp(argv[1], "serve"))
		return local_serve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "start"))
		return local_start(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stop"))
		return local_stop(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return local_status(argc - 1, argv + 1);
	return sf_cli_usage_error(
	    "local", "unknown subcommand \"%s\"", argv[1]);
}
