/* sandform diff: what a pull request changes, from the git object database. */
#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include "cli/cli.h"
#include "diff/diff.h"
#include "git/git.h"
#include "manifest/manifest.h"
#include "util/fs.h"
#include "util/time.h"

const char sf_diff_usage[] =
    "Usage: sandform diff --base REF [--head REF] [DIR]\n"
    "                     [--format text|markdown|json] [--var NAME=VALUE]...\n"
    "                     [--exit-code]\n"
    "\n"
    "Show what changes in the configuration in DIR (default: the current\n"
    "directory) between two revisions of its git repository: interpreters\n"
    "created, deleted, replaced (with the attributes that force it) or\n"
    "retagged; jobs added, removed or changed (schedules with their next\n"
    "fire times, runs per month and cost, a diff of their steps); variables.\n"
    "Each change carries risk notes: network exposure widened, an execution\n"
    "role added or changed, prevent_destroy removed, a session timeout\n"
    "raised, a job that runs more often, an interpreter replaced while jobs\n"
    "use it. Both sides are read straight from the object database (no\n"
    "checkout): REF is anything `git rev-parse` takes, such as main,\n"
    "origin/main, v1.2, HEAD~1 or a sha. No control plane and no state are\n"
    "involved.\n"
    "\n"
    "Options:\n"
    "  --base REF          the revision to compare from (required)\n"
    "  --head REF          the revision to compare to; default: the files\n"
    "                      in DIR on disk (the working tree, staged or not)\n"
    "  --format FORMAT     text (default), markdown (a pull-request comment,\n"
    "                      under 65,536 characters) or json\n"
    "  --var NAME=VALUE    set a declared variable on both sides (repeatable)\n"
    "  --exit-code         exit with status 2 when there are changes\n"
    "  -h, --help          show this help\n"
    "\n"
    "Strings that look like secrets (AWS keys, tokens, private keys,\n"
    "password=...) are redacted in every format.\n"
    "\n"
    "Exit status: 0 (with or without changes), 1 on an error; with\n"
    "--exit-code, 2 when there are changes.\n";

enum format { FMT_TEXT, FMT_MARKDOWN, FMT_JSON };

struct side {
	const char *ref; /* NULL: the working tree */
	char *label;     /* "--base main" or "working tree (DIR)" */
	struct sf_config *cfg;
	struct sf_diags diags;
	struct sf_git_files files;
	char hash[SF_GIT_HASH_HEX];
	char commit[41];
	bool dirty;
	bool invalid;
};

/* ---- SANDFORM_NOW: a fixed clock for tests ---- */

static int
now_ms(int64_t *out, struct sf_err *err)
{
	const char *env = getenv("SANDFORM_NOW");
	struct timespec ts;

	if (env && *env) {
		if (sf_time_parse(env, out) != SF_OK)
			return sf_error(err, SF_EINVALID, "SANDFORM_NOW",
			    "\"%s\" is not an RFC 3339 time such as "
			    "2026-01-05T09:30:00Z",
			    env);
		return SF_OK;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	*out = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return SF_OK;
}

/* ---- loading a side ---- */

static void
report_invalid(struct side *s)
{
	struct sf_err err;

	sf_diag_print_text(stderr, &s->diags, s->cfg, sf_cli_color(stderr));
	sf_error(&err, SF_EINVALID, s->label, "manifests invalid (%zu error%s)",
	    s->diags.errors, s->diags.errors == 1 ? "" : "s");
	sf_cli_report(&err);
}

/* A revision: the blobs of DIR at ref, named "REF:PATH" in diagnostics. */
static int
load_ref(struct side *s, struct sf_git_repo *repo, const char *rel,
    const char *dir, const struct sf_manifest_opts *opts, struct sf_err *err)
{
	struct sf_manifest_file *mf;
	char **names;
	size_t i;
	int rc;

	rc = sf_git_read_manifests(repo, s->ref, rel, s->label, &s->files, err);
	if (rc)
		return rc;
	memcpy(s->commit, s->files.commit, sizeof(s->commit));
	sf_git_manifest_hash(&s->files, s->hash);
	mf = sf_xcalloc(s->files.n, sizeof(*mf));
	names = sf_xcalloc(s->files.n, sizeof(*names));
	for (i = 0; i < s->files.n; i++) {
		names[i] = sf_xasprintf("%s:%s%s%s", s->ref, rel,
		    *rel ? "/" : "", s->files.v[i].name);
		mf[i].name = names[i];
		mf[i].data = s->files.v[i].data;
		mf[i].len = s->files.v[i].len;
	}
	rc = sf_manifest_load_files(
	    dir, mf, s->files.n, opts, &s->cfg, &s->diags);
	s->invalid = rc != SF_OK;
	for (i = 0; i < s->files.n; i++)
		free(names[i]);
	free(names);
	free(mf);
	return SF_OK;
}

/* The working tree: DIR on disk, as validate reads it. */
static int
load_worktree(struct side *s, const char *dir,
    const struct sf_manifest_opts *opts, struct sf_err *err)
{
	struct sf_git_provenance p;
	int rc;

	rc = sf_manifest_load(dir, opts, &s->cfg, &s->diags);
	s->invalid = rc != SF_OK;
	if (s->invalid)
		return SF_OK;
	rc = sf_git_provenance(dir, &p, err);
	if (rc)
		return rc;
	memcpy(s->commit, p.commit, sizeof(s->commit));
	memcpy(s->hash, p.manifest_hash, sizeof(s->hash));
	s->dirty = p.dirty;
	return SF_OK;
}

static void
side_release(struct side *s)
{
	free(s->label);
	sf_config_free(s->cfg);
	sf_diags_release(&s->diags);
	sf_git_files_release(&s->files);
}

/* The command line that shows everything, for a cut Markdown comment. */
static char *
full_command(const char *base, const char *head, const char *dir)
{
	struct sf_buf b = SF_BUF_INIT;

	sf_buf_addf(&b, "sandform diff --base %s", base);
	if (head)
		sf_buf_addf(&b, " --head %s", head);
	if (strcmp(dir, "."))
		sf_buf_addf(&b, " %s", dir);
	return sf_buf_detach(&b, NULL);
}

int
cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "base", required_argument, NULL, 'b' },
		{ "head", required_argument, NULL, 'H' },
		{ "format", required_argument, NULL, 'f' },
		{ "var", required_argument, NULL, 'v' },
		{ "exit-code", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct side base, head;
	struct sf_manifest_opts opts;
	struct sf_git_repo *repo = NULL;
	struct sf_diff_opts dopts;
	struct sf_diff_render r;
	struct sf_diff diff;
	struct sf_buf out = SF_BUF_INIT;
	struct sf_err err;
	const char **vars = NULL, *dir = ".", *base_ref = NULL,
	           *head_ref = NULL;
	char *rel = NULL, *command = NULL;
	size_t nvars = 0, avars = 0;
	enum format fmt = FMT_TEXT;
	bool exit_code = false;
	int opt, rc = SF_EXIT_ERROR;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			base_ref = optarg;
			break;
		case 'H':
			head_ref = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "text")) {
				fmt = FMT_TEXT;
			} else if (!strcmp(optarg, "markdown") ||
			           !strcmp(optarg, "md")) {
				fmt = FMT_MARKDOWN;
			} else if (!strcmp(optarg, "json")) {
				fmt = FMT_JSON;
			} else {
				free(vars);
				return sf_cli_usage_error("diff",
				    "--format is text, markdown or json, not "
				    "\"%s\"",
				    optarg);
			}
			break;
		case 'v':
			SF_ALLOC_GROW(vars, nvars + 1, avars);
			vars[nvars++] = optarg;
			break;
		case 'e':
			exit_code = true;
			break;
		case ':':
			free(vars);
			return sf_cli_usage_error(
			    "diff", "%s needs a value", argv[optind - 1]);
		default:
			free(vars);
			return sf_cli_usage_error(
			    "diff", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc) {
		free(vars);
		return sf_cli_usage_error(
		    "diff", "unexpected argument \"%s\"", argv[optind]);
	}
	if (!base_ref) {
		free(vars);
		return sf_cli_usage_error("diff",
		    "--base REF is required: the revision to compare from, "
		    "such as main");
	}

	if (access(dir, F_OK) == 0 && !sf_fs_is_dir(dir)) {
		free(vars);
		return sf_cli_usage_error("diff",
		    "%s is a file: diff compares the configuration in a "
		    "directory",
		    dir);
	}

	memset(&base, 0, sizeof(base));
	memset(&head, 0, sizeof(head));
	sf_diags_init(&base.diags);
	sf_diags_init(&head.diags);
	memset(&opts, 0, sizeof(opts));
	opts.vars = vars;
	opts.nvars = nvars;
	memset(&dopts, 0, sizeof(dopts));
	sf_rates_default(&dopts.rates);
	if (now_ms(&dopts.now, &err)) {
		sf_cli_report(&err);
		goto out;
	}
	if (sf_git_open(&repo, dir, &err) ||
	    sf_git_relpath(repo, dir, &rel, &err)) {
		sf_cli_report(&err);
		goto out;
	}

	base.ref = base_ref;
	base.label = sf_xasprintf("--base %s", base_ref);
	if (load_ref(&base, repo, rel, dir, &opts, &err)) {
		sf_cli_report(&err);
		goto out;
	}
	head.ref = head_ref;
	if (head_ref) {
		head.label = sf_xasprintf("--head %s", head_ref);
		if (load_ref(&head, repo, rel, dir, &opts, &err)) {
			sf_cli_report(&err);
			goto out;
		}
	} else {
		head.label = sf_xasprintf("working tree (%s)", dir);
		if (load_worktree(&head, dir, &opts, &err)) {
			sf_cli_report(&err);
			goto out;
		}
	}
	if (base.invalid || head.invalid) {
		if (base.invalid)
			report_invalid(&base);
		if (head.invalid)
			report_invalid(&head);
		goto out;
	}
	/* Warnings are worth seeing; they do not stop the diff. */
	if (base.diags.n)
		sf_diag_print_text(
		    stderr, &base.diags, base.cfg, sf_cli_color(stderr));
	if (head.diags.n)
		sf_diag_print_text(
		    stderr, &head.diags, head.cfg, sf_cli_color(stderr));

	/* Both sides are priced with head's pricing: what it costs now. */
	dopts.rates.vcpu_hour = head.cfg->pricing.vcpu_hour;
	dopts.rates.gb_hour = head.cfg->pricing.gb_hour;
	dopts.rates.vcpus = head.cfg->pricing.vcpus;
	dopts.rates.memory_gb = head.cfg->pricing.memory_gb;
	sf_diff_build(base.cfg, head.cfg, &dopts, &diff);
	command = full_command(base_ref, head_ref, dir);
	memset(&r, 0, sizeof(r));
	r.base.ref = base.ref;
	r.base.commit = *base.commit ? base.commit : NULL;
	r.base.manifest_hash = base.hash;
	r.head.ref = head.ref;
	r.head.commit = *head.commit ? head.commit : NULL;
	r.head.dirty = head.dirty;
	r.head.manifest_hash = head.hash;
	r.dir = rel;
	r.command = command;
	r.rates = &dopts.rates;
	switch (fmt) {
	case FMT_TEXT:
		r.color = sf_cli_color(stdout);
		sf_diff_render_text(&diff, &r, &out);
		break;
	case FMT_MARKDOWN:
		sf_diff_render_markdown(&diff, &r, &out);
		break;
	case FMT_JSON:
		sf_diff_render_json(&diff, &r, &out);
		break;
	}
	fwrite(out.buf, 1, out.len, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		sf_error(&err, SF_ERROR, "stdout", "cannot write: %s",
		    strerror(errno));
		sf_cli_report(&err);
	} else {
		rc = exit_code && sf_diff_has_changes(&diff) ? SF_EXIT_CHANGES
		                                             : SF_EXIT_OK;
	}
	sf_diff_release(&diff);
out:
	sf_buf_release(&out);
	free(command);
	free(rel);
	side_release(&base);
	side_release(&head);
	sf_git_close(repo);
	free(vars);
	return rc;
}
