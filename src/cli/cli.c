#include <ctype.h>
#include <unistd.h>

#include "cli/cli.h"

static const struct sf_cmd commands[] = {
	{ "init", cmd_init,
	    "Reach the state backend; --migrate-state moves a local state in",
	    sf_init_usage },
	{ "validate", cmd_validate,
	    "Check the manifests: syntax, types, names, schedules",
	    sf_validate_usage },
	{ "plan", cmd_plan,
	    "Show what apply would change, and which jobs are due",
	    sf_plan_usage },
	{ "apply", cmd_apply,
	    "Create, replace and destroy interpreters; run the due jobs",
	    sf_apply_usage },
	{ "destroy", cmd_destroy, "Destroy every interpreter the state manages",
	    sf_destroy_usage },
	{ "show", cmd_show, "Show a saved plan, or what the state records",
	    sf_show_usage },
	{ "run", cmd_run, "Run one job now, in a session of its own",
	    sf_run_usage },
	{ "jobs", cmd_jobs, "Every job: schedule, next runs, last result",
	    sf_jobs_usage },
	{ "runs", cmd_runs, "The recorded runs of a job, or one run whole",
	    sf_runs_usage },
	{ "sessions", cmd_sessions,
	    "Live sessions and who owns them; gc stops the orphans",
	    sf_sessions_usage },
	{ "version", cmd_version,
	    "Print the version of sandform and its "
	    "libraries",
	    sf_version_usage },
	{ "local", cmd_local,
	    "The embedded control plane: serve, start, stop, status",
	    sf_local_usage },
	{ "state", cmd_state, "List, show or forget what the state records",
	    sf_state_usage },
	{ "force-unlock", cmd_force_unlock,
	    "Remove a lock of the state its holder left behind",
	    sf_force_unlock_usage },
	{ "diff", cmd_diff,
	    "What a pull request changes in the configuration, with risk "
	    "notes",
	    sf_diff_usage },
	{ "help", cmd_help, "Show help for sandform or one of its commands",
	    sf_help_usage },
};

static const struct sf_cmd *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < SF_ARRAY_LEN(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void
print_main_usage(FILE *f)
{
	size_t i;

	fputs("Usage: sandform [--help] [--version] [--debug] COMMAND [ARGS]\n"
	      "                [--backend-config KEY=VALUE]...\n"
	      "\n"
	      "Declarative provisioning of AWS Bedrock AgentCore Code "
	      "Interpreters\n"
	      "and the jobs that run in them.\n"
	      "\n"
	      "Commands:\n",
	    f);
	for (i = 0; i < SF_ARRAY_LEN(commands); i++)
		fprintf(
		    f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fputs(
	    "\n`sandform COMMAND --help` shows a command's options. --debug "
	    "(or\n"
	    "SANDFORM_LOG=debug) logs every request to a control plane, with\n"
	    "credentials redacted. --backend-config KEY=VALUE (any command;\n"
	    "KEY: backend, remote, ref, bucket, key, region, endpoint) sets\n"
	    "where the state lives over the manifests' state: block, as\n"
	    "SANDFORM_STATE_KEY does.\n",
	    f);
}

bool sf_cli_debug;

void
sf_cli_debug_log(void *ud, const char *line)
{
	(void)ud;
	fprintf(stderr, "sandform: debug: %s\n", line);
}

/* Take --debug out of argv wherever it is; true when it was there. */
static bool
take_debug_flag(int *argc, char **argv)
{
	int i, j;
	bool found = false;

	for (i = j = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--debug"))
			found = true;
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return found;
}

/*
 * Take every --backend-config KEY=VALUE (or --backend-config=KEY=VALUE)
 * out of argv, wherever it is, into SANDFORM_STATE_KEY: the state backend
 * from the command line, for any command, as Terraform's -backend-config.
 * Returns -1 after reporting a bad one.
 */
static int
take_backend_config(int *argc, char **argv)
{
	static const char *const keys[] = { "backend", "remote", "ref",
		"bucket", "key", "region", "endpoint" };
	static const char flag[] = "--backend-config";
	int i, j;

	for (i = j = 1; i < *argc; i++) {
		const char *kv = NULL, *eq;
		char var[64];
		size_t k, n;

		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], flag)) {
			if (i + 1 >= *argc) {
				fprintf(stderr,
				    "sandform: error: %s needs "
				    "KEY=VALUE\n",
				    flag);
				return -1;
			}
			kv = argv[++i];
		} else if (!strncmp(argv[i], flag, sizeof(flag) - 1) &&
		           argv[i][sizeof(flag) - 1] == '=') {
			kv = argv[i] + sizeof(flag);
		} else {
			argv[j++] = argv[i];
			continue;
		}
		eq = strchr(kv, '=');
		n = eq ? (size_t)(eq - kv) : 0;
		for (k = 0; k < SF_ARRAY_LEN(keys); k++)
			if (n == strlen(keys[k]) && !strncmp(kv, keys[k], n))
				break;
		if (!eq || k == SF_ARRAY_LEN(keys)) {
			fprintf(stderr,
			    "sandform: error: %s takes KEY=VALUE with KEY one "
			    "of backend, remote, ref, bucket, key, region, "
			    "endpoint; not \"%s\"\n",
			    flag, kv);
			return -1;
		}
		snprintf(var, sizeof(var), "SANDFORM_STATE_%s", keys[k]);
		for (n = 0; var[n]; n++)
			var[n] = (char)toupper((unsigned char)var[n]);
		setenv(var, eq + 1, 1);
	}
	*argc = j;
	argv[j] = NULL;
	return 0;
}

bool
sf_cli_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");

	if (nc && *nc)
		return false;
	return isatty(fileno(f)) != 0;
}

int
sf_cli_report(const struct sf_err *err)
{
	if (err->where[0])
		fprintf(
		    stderr, "sandform: error: %s: %s\n", err->where, err->msg);
	else
		fprintf(stderr, "sandform: error: %s\n", err->msg);
	return SF_EXIT_ERROR;
}

int
sf_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("sandform: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun `sandform %s%s--help` for usage.\n",
	    cmd ? cmd : "", cmd ? " " : "");
	return SF_EXIT_ERROR;
}

const char sf_help_usage[] =
    "Usage: sandform help [COMMAND]\n"
    "\n"
    "Show the list of commands, or the help of one command (the same as\n"
    "`sandform COMMAND --help`).\n";

int
cmd_help(int argc, char **argv)
{
	const struct sf_cmd *c;

	if (argc < 2) {
		print_main_usage(stdout);
		return SF_EXIT_OK;
	}
	if (argc > 2)
		return sf_cli_usage_error("help", "too many arguments");
	c = find_command(argv[1]);
	if (!c)
		return sf_cli_usage_error(
		    NULL, "unknown command \"%s\"", argv[1]);
	fputs(c->usage, stdout);
	return SF_EXIT_OK;
}

static bool
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	}
	return false;
}

int
sf_cli_main(int argc, char **argv)
{
	const struct sf_cmd *c;
	const char *names[SF_ARRAY_LEN(commands)];
	const char *near, *log = getenv("SANDFORM_LOG");
	size_t i;

	sf_cli_debug =
	    take_debug_flag(&argc, argv) || (log && !strcmp(log, "debug"));
	if (take_backend_config(&argc, argv))
		return SF_EXIT_ERROR;
	if (argc < 2) {
		print_main_usage(stderr);
		return SF_EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_main_usage(stdout);
		return SF_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv + 1);
	c = find_command(argv[1]);
	if (c) {
		/* Every command answers --help the same way: its usage. */
		if (wants_help(argc - 1, argv + 1)) {
			fputs(c->usage, stdout);
			return SF_EXIT_OK;
		}
		return c->fn(argc - 1, argv + 1);
	}
	if (argv[1][0] == '-')
		return sf_cli_usage_error(
		    NULL, "unknown option \"%s\"", argv[1]);
	for (i = 0; i < SF_ARRAY_LEN(commands); i++)
		names[i] = commands[i].name;
	near = sf_str_closest(argv[1], names, SF_ARRAY_LEN(commands));
	if (near)
		return sf_cli_usage_error(NULL,
		    "unknown command \"%s\"; did you mean \"%s\"?", argv[1],
		    near);
	return sf_cli_usage_error(NULL, "unknown command \"%s\"", argv[1]);
}
