/* sandform state list | show | rm: what the state says, and forgetting. */
#include <getopt.h>

#include "cli/cli.h"
#include "cli/statecmd.h"
#include "git/git.h"
#include "git/storage_git.h"
#include "manifest/manifest.h"
#include "provider/aws/storage_s3.h"
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
    "  sandform state history [DIR]\n"
    "          the versions of the state the backend keeps (git: the\n"
    "          commits of its ref), newest first\n"
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

static const char *
lstr_or(const struct sf_lstr *l, const char *dflt)
{
	return l->s && *l->s ? l->s : dflt;
}

/* The git backend: the repository the manifests live in. */
static struct sf_storage *
open_git(const struct sf_state_config *sc, const char *manifest_dir,
    struct sf_err *err)
{
	struct sf_git_repo *repo;
	struct sf_storage *s;
	const char *top;
	int rc;

	if ((rc = sf_git_open(&repo, manifest_dir, err))) {
		if (rc == SF_ENOTFOUND)
			sf_error(err, SF_ENOTFOUND, manifest_dir,
			    "state.backend git keeps the state in the git "
			    "repository of the manifests, and this directory "
			    "is in none");
		return NULL;
	}
	top = sf_git_workdir(repo);
	s = sf_storage_git_new(top ? top : manifest_dir,
	    lstr_or(&sc->remote, "origin"),
	    lstr_or(&sc->ref, SF_STORAGE_GIT_REF), NULL, err);
	sf_git_close(repo);
	return s;
}

static struct sf_storage *
open_s3(const struct sf_state_config *sc, const struct sf_config *cfg,
    struct sf_err *err)
{
	static const struct sf_lstr none;
	struct sf_storage_s3_opts o;

	memset(&o, 0, sizeof(o));
	o.bucket = sc->bucket.s;
	o.key = lstr_or(&sc->key, NULL);
	o.region = lstr_or(
	    &sc->region, lstr_or(cfg ? &cfg->provider.region : &none, NULL));
	o.endpoint = lstr_or(&sc->endpoint, NULL);
	o.profile = lstr_or(cfg ? &cfg->provider.profile : &none, NULL);
	o.log = sf_cli_debug ? sf_cli_debug_log : NULL;
	return sf_storage_s3_new(&o, err);
}

/*
 * The state: block as the environment amends it, for CI that keeps one set
 * of manifests and chooses the backend per pipeline: SANDFORM_STATE_BACKEND
 * replaces the block; SANDFORM_STATE_{REMOTE,REF,BUCKET,KEY,REGION,
 * ENDPOINT} replace one key. Reports a bad value itself.
 */
static int
state_from_env(struct sf_state_config *sc, bool *from_env, bool quiet)
{
	static const struct {
		const char *var;
		size_t off;
	} keys[] = {
		{ "SANDFORM_STATE_REMOTE",
		    offsetof(struct sf_state_config, remote) },
		{ "SANDFORM_STATE_REF", offsetof(struct sf_state_config, ref) },
		{ "SANDFORM_STATE_BUCKET",
		    offsetof(struct sf_state_config, bucket) },
		{ "SANDFORM_STATE_KEY", offsetof(struct sf_state_config, key) },
		{ "SANDFORM_STATE_REGION",
		    offsetof(struct sf_state_config, region) },
		{ "SANDFORM_STATE_ENDPOINT",
		    offsetof(struct sf_state_config, endpoint) },
	};
	const char *b = getenv("SANDFORM_STATE_BACKEND"), *v;
	size_t i;

	*from_env = false;
	if (b && *b) {
		memset(sc, 0, sizeof(*sc));
		sc->set = *from_env = true;
		if (!strcmp(b, "local"))
			sc->backend = SF_STATE_LOCAL;
		else if (!strcmp(b, "git"))
			sc->backend = SF_STATE_GIT;
		else if (!strcmp(b, "s3"))
			sc->backend = SF_STATE_S3;
		else {
			if (!quiet)
				fprintf(stderr,
				    "sandform: error: SANDFORM_STATE_BACKEND "
				    "must be "
				    "local, git or s3, not \"%s\"\n",
				    b);
			return -1;
		}
	}
	for (i = 0; i < SF_ARRAY_LEN(keys); i++)
		if ((v = getenv(keys[i].var)) && *v) {
			struct sf_lstr *l =
			    (struct sf_lstr *)((char *)sc + keys[i].off);

			memset(l, 0, sizeof(*l));
			l->s = v;
			*from_env = true;
		}
	if (!*from_env)
		return 0;
	if (sc->ref.s && strncmp(sc->ref.s, "refs/", 5)) {
		if (!quiet)
			fprintf(stderr,
			    "sandform: error: the state's ref must be a full "
			    "ref "
			    "name such as refs/sandform/state, not \"%s\"\n",
			    sc->ref.s);
		return -1;
	}
	if (sc->backend == SF_STATE_S3 && !sc->bucket.s) {
		if (!quiet)
			fprintf(stderr,
			    "sandform: error: the s3 backend needs a bucket "
			    "(state.bucket or SANDFORM_STATE_BUCKET)\n");
		return -1;
	}
	return 0;
}

bool
sf_cli_state_is_local(const struct sf_config *cfg)
{
	struct sf_state_config sc;
	bool from_env;

	if (cfg)
		sc = cfg->state;
	else
		memset(&sc, 0, sizeof(sc));
	if (state_from_env(&sc, &from_env, true))
		return false; /* opening it will say what is wrong */
	return !sc.set || sc.backend == SF_STATE_LOCAL;
}

struct sf_storage *
sf_cli_storage_open(const struct sf_config *cfg, const char *manifest_dir,
    const char *state_opt)
{
	struct sf_state_config merged, *sc = &merged;
	struct sf_storage *s = NULL;
	struct sf_err err;
	bool from_env;
	char *dir;

	if (cfg)
		merged = cfg->state;
	else
		memset(&merged, 0, sizeof(merged));
	if (state_from_env(&merged, &from_env, false))
		return NULL;
	if (!sc->set || sc->backend == SF_STATE_LOCAL) {
		dir = sf_cli_state_dir(manifest_dir, state_opt);
		s = sf_cli_state_open(dir);
		free(dir);
		return s;
	}
	if (state_opt) {
		const char *backend =
		    sc->backend == SF_STATE_GIT ? "git" : "S3";

		if (from_env)
			fprintf(stderr,
			    "sandform: error: --state names a local state "
			    "directory, but SANDFORM_STATE_* keep the state in "
			    "%s; drop one of them\n",
			    backend);
		else
			fprintf(stderr,
			    "%s:%u:%u: error: --state names a local state "
			    "directory, but this state: block keeps the state "
			    "in %s; drop --state, or move the state with "
			    "`sandform state pull` and `state push`\n",
			    sc->pos.file ? sc->pos.file : "manifest",
			    sc->pos.line, sc->pos.col, backend);
		return NULL;
	}
	if (sc->backend == SF_STATE_GIT)
		s = open_git(sc, manifest_dir ? manifest_dir : ".", &err);
	else
		s = open_s3(sc, cfg, &err);
	if (!s)
		sf_cli_report(&err);
	return s;
}

struct sf_storage *
sf_cli_state_open_dir(const char *manifest_dir, const char *state_opt)
{
	struct sf_git_files files;
	struct sf_manifest_opts o;
	struct sf_config *cfg = NULL;
	struct sf_diags diags;
	struct sf_storage *s;
	struct sf_err err;
	const char *dir = manifest_dir ? manifest_dir : ".";
	size_t n = 0;

	/* A directory without manifests (a bare state directory's parent)
	 * keeps its state locally, as it always did. */
	if (sf_git_read_dir(dir, &files, &err) == SF_OK) {
		n = files.n;
		sf_git_files_release(&files);
	}
	if (!n)
		return sf_cli_storage_open(NULL, dir, state_opt);
	sf_diags_init(&diags);
	memset(&o, 0, sizeof(o));
	if (sf_manifest_load(dir, &o, &cfg, &diags)) {
		sf_diag_print_text(stderr, &diags, cfg, sf_cli_color(stderr));
		fprintf(stderr,
		    "sandform: error: %s: the manifests name where the state "
		    "lives, and they have %zu error%s\n",
		    dir, diags.errors, diags.errors == 1 ? "" : "s");
		s = NULL;
	} else {
		s = sf_cli_storage_open(cfg, dir, state_opt);
	}
	sf_diags_release(&diags);
	sf_config_free(cfg);
	return s;
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
		{ "history", cmd_state_history },
	};
	const char *names[SF_ARRAY_LEN(subs)], *near;
	size_t i;

	if (argc < 2)
		return sf_cli_usage_error("state",
		    "state needs a subcommand: list, show, rm, import, pull, "
		    "push or history");
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
