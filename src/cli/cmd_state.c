/* sandform state list | show | rm: what the state says, and forgetting. */
#include <getopt.h>

#include "cli/cli.h"
#include "cli/statecmd.h"
#include "util/fs.h"

const char sf_state_usage[] =
    "Usage: sandform state list [DIR] [--state STATEDIR]\n"
    "       sandform state show NAME [DIR] [--state STATEDIR] [--json]\n"
    "       sandform state rm NAME [DIR] [--state STATEDIR]\n"
    "                         [--lock-timeout DURATION]\n"
    "\n"
    "Read or edit the state: what sandform made, kept in STATEDIR (default\n"
    "DIR/state, where DIR is the directory of the manifests, by default the\n"
    "current one).\n"
    "\n"
    "  list    the managed interpreters: name, id and status as last seen\n"
    "  show    every recorded attribute of one interpreter\n"
    "  rm      forget an interpreter: sandform stops managing it, and the\n"
    "          interpreter itself is not deleted. Takes the state's lock.\n"
    "\n"
    "Options:\n"
    "  --state STATEDIR          the state directory (default DIR/state)\n"
    "  --json                    show: the interpreter as the state file\n"
    "                            has it\n"
    "  --lock-timeout DURATION   rm: wait this long for a lock another\n"
    "                            command holds (30s, 2m; default 0: fail\n"
    "                            at once)\n"
    "  -h, --help                show this help\n"
    "\n"
    "  sandform state import NAME [ID] [DIR]\n"
    "          adopt the interpreter NAME (declared in the manifests) that\n"
    "          exists in the control plane but not in the state; without\n"
    "          ID it is found by its name. Takes the state's lock.\n"
    "\n"
    "  sandform state pull [DIR] [--state STATEDIR]\n"
    "          print the state file as it is stored\n"
    "  sandform state push FILE [DIR] [--state STATEDIR] [--force]\n"
    "                    [--lock-timeout DURATION]\n"
    "          replace the stored state with FILE (a state `state pull`\n"
    "          printed), under the lock. Refused when FILE is of another\n"
    "          lineage or older than the stored state, unless --force.\n"
    "          Together they move a state between backends.\n"
    "\n"
    "Exit status: 0 on success, 1 on an error (a corrupt or newer state\n"
    "file, an unknown name, a lock held by another command).\n";

char *
sf_cli_state_dir(const char *manifest_dir, const char *state_opt)
{
	if (state_opt)
		return sf_xstrdup(state_opt);
	return sf_fs_join(manifest_dir ? manifest_dir : ".", "state");
}

int
sf_cli_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = { { "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 } };
	int64_t n = 0;
	const char *p = s;
	size_t i;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > INT64_C(1000000000))
			return -1;
	}
	for (i = 0; i < SF_ARRAY_LEN(units); i++)
		if (!strcmp(p, units[i].unit)) {
			*ms = n * units[i].ms;
			return 0;
		}
	return -1;
}

int
sf_cli_state_args(const char *usage_cmd, int argc, char **argv, unsigned flags,
    size_t min, size_t max, const char *need, struct sf_state_args *a)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "lock-timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			a->state = optarg;
			break;
		case 'j':
			if (!(flags & SF_STATE_ARG_JSON))
				goto unknown;
			a->json = true;
			break;
		case 'f':
			if (!(flags & SF_STATE_ARG_FORCE))
				goto unknown;
			a->force = true;
			break;
		case 't':
			if (!(flags & SF_STATE_ARG_LOCK_TIMEOUT))
				goto unknown;
			if (sf_cli_parse_duration(optarg, &a->lock_timeout_ms))
				return sf_cli_usage_error(usage_cmd,
				    "--lock-timeout takes a duration such as "
				    "0, 30s or 2m, not \"%s\"",
				    optarg);
			break;
		case ':':
			return sf_cli_usage_error(
			    usage_cmd, "%s needs a value", argv[optind - 1]);
		default:
		unknown:
			return sf_cli_usage_error(usage_cmd,
			    "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++) {
		if (a->npos == max)
			return sf_cli_usage_error(usage_cmd,
			    "unexpected argument \"%s\"", argv[optind]);
		a->pos[a->npos++] = argv[optind];
	}
	if (a->npos < min)
		return sf_cli_usage_error(
		    usage_cmd, "%s needs %s", argv[0], need);
	return 0;
}

struct sf_storage *
sf_cli_state_open(const char *state_dir)
{
	return sf_storage_local_new(state_dir, NULL);
}

int
sf_cli_state_lock(struct sf_storage *s, const char *command, int64_t timeout_ms)
{
	struct sf_lock_req req = { command, timeout_ms };
	struct sf_buf warn = SF_BUF_INIT;
	struct sf_err err;
	int rc;

	rc = sf_storage_lock(s, &req, &warn, &err);
	if (warn.len)
		fprintf(stderr, "sandform: warning: %s\n", warn.buf);
	sf_buf_release(&warn);
	return rc ? sf_cli_report(&err) : 0;
}

int
sf_cli_state_lock_load(struct sf_storage *s, const char *command,
    int64_t timeout_ms, struct sf_recorded *r, struct sf_storage_ver *ver)
{
	struct sf_err err;
	int rc;

	sf_recorded_init(r);
	if ((rc = sf_cli_state_lock(s, command, timeout_ms)))
		return rc;
	rc = sf_state_load(s, r, ver, &err);
	if (rc) {
		sf_cli_report(&err);
		sf_storage_unlock(s, NULL);
		return SF_EXIT_ERROR;
	}
	return 0;
}

void
sf_cli_state_unknown(
    const struct sf_recorded *r, const char *name, struct sf_err *err)
{
	const char **names = sf_xcalloc(r->ninterpreters, sizeof(*names));
	const char *near;
	size_t i;

	for (i = 0; i < r->ninterpreters; i++)
		names[i] = r->interpreters[i].name;
	near = sf_str_closest(name, names, r->ninterpreters);
	if (near)
		sf_error(err, SF_ENOTFOUND, NULL,
		    "no interpreter \"%.64s\" in the state; did you mean "
		    "\"%s\"?",
		    name, near);
	else
		sf_error(err, SF_ENOTFOUND, NULL,
		    "no interpreter \"%.64s\" in the state (`sandform state "
		    "list` lists them)",
		    name);
	free(names);
}

int
cmd_state(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "list", cmd_state_list },
		{ "show", cmd_state_show },
		{ "rm", cmd_state_rm },
		{ "pull", cmd_state_pull },
		{ "push", cmd_state_push },
	};
	const char *names[SF_ARRAY_LEN(subs)], *near;
	size_t i;

	if (argc < 2)
		return sf_cli_usage_error("state",
		    "state needs a subcommand: list, show, rm, import, pull or "
		    "push");
	for (i = 0; i < SF_ARRAY_LEN(subs); i++) {
		if (!strcmp(argv[1], subs[i].name)) {
			optind = 1;
			return subs[i].fn(argc - 1, argv + 1);
		}
		names[i] = subs[i].name;
	}
	if (!strcmp(argv[1], "import"))
		return cmd_state_import(argc - 1, argv + 1);
	near = sf_str_closest(argv[1], names, SF_ARRAY_LEN(subs));
	if (near)
		return sf_cli_usage_error("state",
		    "unknown subcommand \"%s\"; did you mean \"%s\"?", argv[1],
		    near);
	return sf_cli_usage_error(
	    "state", "unknown subcommand \"%s\"", argv[1]);
}
