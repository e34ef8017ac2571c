#include <unistd.h>

#include "cli/cli.h"
#include "cli/statecmd.h"
#include "cli/work.h"
#include "provider/aws/agentcore.h"
#include "version.h"

volatile sig_atomic_t sf_work_interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	sf_work_interrupted = 1;
}

void
sf_work_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/*
 * Where the configuration came from: the git commit, branch and dirt of
 * its working tree, and a hash of the manifests (of the saved plan's when
 * applying one).
 */
static void
provenance(
    struct sf_work *w, const struct sf_manifest_file *files, size_t nfiles)
{
	struct sf_err err;

	memset(&w->prov, 0, sizeof(w->prov));
	w->in_git = sf_git_provenance(w->dir, &w->prov, &err) == SF_OK;
	if (files) {
		struct sf_git_files gf;
		size_t i;

		gf.n = nfiles;
		gf.commit[0] = '\0';
		gf.v = sf_xcalloc(nfiles + 1, sizeof(*gf.v));
		for (i = 0; i < nfiles; i++) {
			const char *slash = strrchr(files[i].name, '/');

			gf.v[i].name =
			    (char *)(slash ? slash + 1 : files[i].name);
			gf.v[i].data = (char *)files[i].data;
			gf.v[i].len = files[i].len;
		}
		sf_git_manifest_hash(&gf, w->prov.manifest_hash);
		free(gf.v);
	} else if (!w->in_git) {
		struct sf_git_files gf;

		if (sf_git_read_dir(w->dir, &gf, &err) == SF_OK) {
			sf_git_manifest_hash(&gf, w->prov.manifest_hash);
			sf_git_files_release(&gf);
		}
	}
}

char *
sf_work_provenance_json(const struct sf_work *w)
{
	if (!w->in_git)
		return sf_xasprintf("{\"manifest_hash\": \"%s\", "
		                    "\"sandform_version\": \"%s\"}",
		    w->prov.manifest_hash, SF_VERSION);
	return sf_xasprintf(
	    "{\"git\": {\"commit\": \"%s\", \"branch\": "
	    "\"%s\", \"dirty\": %s}, \"manifest_hash\": \"%s\", "
	    "\"sandform_version\": \"%s\"}",
	    w->prov.commit, w->prov.branch, w->prov.dirty ? "true" : "false",
	    w->prov.manifest_hash, SF_VERSION);
}

int
sf_work_load_files(struct sf_work *w, const char *command, const char *dir,
    const struct sf_manifest_file *files, size_t nfiles,
    const char *const *vars, size_t nvars)
{
	struct sf_manifest_opts o;
	int rc;

	memset(w, 0, sizeof(*w));
	w->command = command;
	w->dir = sf_xstrdup(dir ? dir : ".");
	sf_recorded_init(&w->rec);
	sf_diags_init(&w->diags);
	memset(&o, 0, sizeof(o));
	o.vars = vars;
	o.nvars = nvars;
	if (files)
		rc = sf_manifest_load_files(
		    w->dir, files, nfiles, &o, &w->cfg, &w->diags);
	else
		rc = sf_manifest_load(w->dir, &o, &w->cfg, &w->diags);
	if (w->diags.n)
		sf_diag_print_text(
		    stderr, &w->diags, w->cfg, sf_cli_color(stderr));
	if (rc) {
		fprintf(stderr,
		    "sandform: error: %s: %zu error%s in the configuration\n",
		    w->dir, w->diags.errors, w->diags.errors == 1 ? "" : "s");
		return SF_EXIT_ERROR;
	}
	provenance(w, files, nfiles);
	return SF_EXIT_OK;
}

int
sf_work_load(struct sf_work *w, const char *command, const char *dir,
    const char *const *vars, size_t nvars)
{
	return sf_work_load_files(w, command, dir, NULL, 0, vars, nvars);
}

static const char *
target_name(enum sf_rec_target t)
{
	return t == SF_REC_AWS ? "aws" : "local";
}

int
sf_work_state(struct sf_work *w, const char *state_opt, int64_t lock_timeout_ms)
{
	const struct sf_provider_config *pc = &w->cfg->provider;
	enum sf_rec_target want =
	    pc->target == SF_TARGET_AWS ? SF_REC_AWS : SF_REC_LOCAL;
	struct sf_err err;
	int rc;

	/* state_dir also keeps the embedded control plane's files, whatever
	 * the backend of the state itself. */
	w->state_dir = sf_cli_state_dir(w->dir, state_opt);
	if (!(w->storage = sf_cli_storage_open(w->cfg, w->dir, state_opt)))
		return SF_EXIT_ERROR;
	sf_work_note(w, NULL);
	if (lock_timeout_ms >= 0) {
		if ((rc = sf_cli_state_lock(
		         w->storage, w->command, lock_timeout_ms)))
			return rc;
		w->locked = true;
	}
	sf_recorded_release(&w->rec);
	rc = sf_state_load(w->storage, &w->rec, &w->ver, &err);
	if (rc == SF_ENOTFOUND)
		w->fresh_state = true; /* a new state, ready to be saved */
	else if (rc)
		return sf_cli_report(&err);
	if (w->fresh_state || (!w->rec.ninterpreters && !w->rec.njobs)) {
		/* A new (or empty) state takes the configuration's target. */
		w->rec.target = want;
		free(w->rec.region);
		w->rec.region = pc->region.s ? sf_xstrdup(pc->region.s) : NULL;
	} else if (w->rec.target != want) {
		sf_error(&err, SF_EINVALID, w->state_dir,
		    "this state is for target %s, and the manifests say %s: "
		    "use another --state, or move what it manages first",
		    target_name(w->rec.target), target_name(want));
		return sf_cli_report(&err);
	} else if (want == SF_REC_AWS && pc->region.s && w->rec.region &&
	           strcmp(pc->region.s, w->rec.region)) {
		sf_error(&err, SF_EINVALID, w->state_dir,
		    "this state is for region %s, and the manifests say %s",
		    w->rec.region, pc->region.s);
		return sf_cli_report(&err);
	}
	return SF_EXIT_OK;
}

static const char *
local_getenv(const char *name, void *ud)
{
	const struct sf_local_endpoint *ep = ud;

	/* The embedded control plane's own keys, and nothing else. */
	if (!strcmp(name, "AWS_ACCESS_KEY_ID"))
		return ep->access_key_id;
	if (!strcmp(name, "AWS_SECRET_ACCESS_KEY"))
		return ep->secret_access_key;
	if (!strcmp(name, "AWS_EC2_METADATA_DISABLED"))
		return "true";
	return NULL;
}

int
sf_work_connect(struct sf_work *w)
{
	const struct sf_provider_config *pc = &w->cfg->provider;
	struct sf_agentcore_opts *o = &w->aopts;
	struct sf_err err;

	memset(o, 0, sizeof(*o));
	memset(&w->aenv, 0, sizeof(w->aenv));
	o->rate_limits = pc->rate_limits;
	o->rate_create_delete = (double)pc->rate_create_delete.v;
	o->rate_other = (double)pc->rate_other.v;
	o->log = sf_cli_debug ? sf_cli_debug_log : NULL;
	o->interrupted = &sf_work_interrupted;
	if (pc->target == SF_TARGET_LOCAL) {
		if (sf_local_ensure(w->state_dir, &w->ep, &err))
			return sf_cli_report(&err);
		w->aenv.getenv = local_getenv;
		w->aenv.getenv_ud = &w->ep;
		o->env = &w->aenv;
		o->region = w->ep.region;
		o->endpoint = w->ep.url;
		w->target = sf_xasprintf("local (the embedded control plane at "
		                         "%s%s)",
		    w->ep.url, w->ep.started ? ", just started" : "");
	} else {
		o->region = pc->region.s;
		o->endpoint = pc->endpoint.s;
		o->profile = pc->profile.s;
	}
	if (sf_agentcore_new(o, &w->provider, &err))
		return sf_cli_report(&err);
	if (pc->target == SF_TARGET_AWS)
		w->target = sf_xasprintf("aws (region %s%s%s)",
		    o->region ? o->region : "from the environment",
		    pc->profile.s ? ", profile " : "",
		    pc->profile.s ? pc->profile.s : "");
	return SF_EXIT_OK;
}

int
sf_work_new_provider(
    struct sf_work *w, struct sf_provider **out, struct sf_err *err)
{
	return sf_agentcore_new(&w->aopts, out, err);
}

int
sf_work_refresh(struct sf_work *w)
{
	struct sf_ci_list l;
	struct sf_pcall *calls;
	struct sf_err err;
	size_t i, k = 0;

	if (w->provider->ops->list_interpreters(w->provider, &l, &err))
		return sf_cli_report(&err);
	w->live.refreshed = true;
	w->live.interpreters =
	    sf_xcalloc(l.n ? l.n : 1, sizeof(*w->live.interpreters));
	calls = sf_xcalloc(l.n ? l.n : 1, sizeof(*calls));
	for (i = 0; i < l.n; i++) {
		struct sf_live_interpreter *x;

		if (!l.v[i].name)
			continue;
		x = &w->live.interpreters[w->live.ninterpreters++];
		x->name = l.v[i].name;
		x->id = l.v[i].id;
		x->arn = l.v[i].arn;
		x->status = l.v[i].status ? l.v[i].status : sf_xstrdup("");
		l.v[i].name = l.v[i].id = l.v[i].arn = l.v[i].status = NULL;
		x->active_sessions = -1;
		/* Only a failure needs a closer look: its reason. */
		if (!strcmp(x->status, "CREATE_FAILED") ||
		    !strcmp(x->status, "DELETE_FAILED")) {
			calls[k].kind = SF_PCALL_GET;
			calls[k].id = x->id;
			calls[k].ud = x;
			k++;
		}
	}
	sf_ci_list_release(&l);
	if (k) {
		w->provider->ops->batch(w->provider, calls, k, 10, NULL, NULL);
		for (i = 0; i < k; i++) {
			struct sf_live_interpreter *x = calls[i].ud;

			if (calls[i].rc == SF_OK && calls[i].ci.failure_reason)
				x->failure_reason =
				    sf_xstrdup(calls[i].ci.failure_reason);
			sf_ci_release(&calls[i].ci);
		}
	}
	free(calls);
	sf_live_sort(&w->live);
	/* Refresh what the state knows of its own interpreters' status. */
	for (i = 0; i < w->rec.ninterpreters; i++) {
		struct sf_rec_interpreter *r = &w->rec.interpreters[i];
		const struct sf_live_interpreter *x =
		    sf_live_interpreter(&w->live, r->name);

		if (!x || !r->id || strcmp(x->id, r->id) ||
		    (r->status && !strcmp(r->status, x->status)))
			continue;
		free(r->status);
		r->status = sf_xstrdup(x->status);
		w->refreshed_state = true;
	}
	return SF_EXIT_OK;
}

void
sf_work_count_sessions(struct sf_work *w, const struct sf_plan *plan)
{
	struct sf_pcall *calls = sf_xcalloc(plan->nchanges + 1, sizeof(*calls));
	size_t i, n = 0;

	for (i = 0; i < plan->nchanges; i++) {
		const struct sf_plan_change *c = &plan->changes[i];
		const struct sf_live_interpreter *x =
		    sf_live_interpreter(&w->live, c->name);

		if (!x || (c->action != SF_PLAN_DELETE &&
		              c->action != SF_PLAN_REPLACE))
			continue;
		calls[n].kind = SF_PCALL_COUNT_SESSIONS;
		calls[n].id = x->id;
		calls[n].ud = (void *)x;
		n++;
	}
	if (n)
		w->provider->ops->batch(w->provider, calls, n, 10, NULL, NULL);
	for (i = 0; i < n; i++)
		if (calls[i].rc == SF_OK)
			((struct sf_live_interpreter *)calls[i].ud)
			    ->active_sessions = calls[i].sessions;
	free(calls);
}

static void
set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src && *src ? sf_xstrdup(src) : NULL;
}

void
sf_work_note(struct sf_work *w, const char *what)
{
	struct sf_buf b = SF_BUF_INIT;

	if (what)
		sf_buf_addf(&b, "%s\n", what);
	if (w->in_git)
		sf_buf_addf(&b, "%sManifests at %s%s%s%s.", what ? "\n" : "",
		    w->prov.commit, *w->prov.branch ? " on " : "",
		    w->prov.branch,
		    w->prov.dirty ? ", with uncommitted changes" : "");
	sf_storage_note(w->storage, b.len ? b.buf : NULL);
	sf_buf_release(&b);
}

int
sf_work_save(struct sf_work *w, struct sf_err *err)
{
	set_str(&w->rec.manifest_hash, w->prov.manifest_hash);
	set_str(&w->rec.sandform_version, SF_VERSION);
	set_str(&w->rec.git_commit, w->in_git ? w->prov.commit : NULL);
	set_str(&w->rec.git_branch, w->in_git ? w->prov.branch : NULL);
	w->rec.git_dirty = w->in_git && w->prov.dirty;
	return sf_state_save(w->storage, &w->rec, &w->ver, err);
}

void
sf_work_release(struct sf_work *w)
{
	struct sf_err err;

	if (w->locked)
		sf_storage_unlock(w->storage, &err);
	if (w->provider)
		w->provider->ops->free(w->provider);
	if (w->storage)
		sf_storage_free(w->storage);
	sf_local_endpoint_release(&w->ep);
	sf_live_release(&w->live);
	sf_recorded_release(&w->rec);
	sf_diags_release(&w->diags);
	sf_config_free(w->cfg);
	free(w->state_dir);
	free(w->target);
	free(w->dir);
	memset(w, 0, sizeof(*w));
}
