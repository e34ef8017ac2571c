/*
 * The git backend of the state storage: see storage_git.h.
 *
 * Every operation first learns where the refs are: from the remote's
 * advertisement (fetching the commits it lacks, and keeping them under
 * refs/sandform-remote/...), or from the local repository when there is
 * no remote. A change is a new commit built from trees and blobs alone
 * (git_tree_create_updated, git_commit_create without a ref) and then a
 * compare-and-swap of the ref: a push without force whose negotiation
 * checks that the remote ref is still what was read, or
 * git_reference_create_matching locally.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "git/storage_git.h"
#include "util/time.h"

#define STATE_PATH "sandform.state.json"
#define LOCK_PATH  "lock.json"
#define POLL_MS    250         /* between attempts at the lock */
#define RETRIES    8           /* of a change that lost a race */
#define LOCK_MAX   (64 * 1024) /* bytes of a lock record read */
#define BLOB_MAX   (64u * 1024 * 1024)

struct sf_gitstore {
	struct sf_storage base;
	git_repository *repo;
	char *remote;  /* NULL: the refs live in repo alone */
	char *ref;     /* refs/sandform/state */
	char *lockref; /* refs/sandform/state-lock */
	char *track;   /* the remote's ref as last seen */
	char *scratch; /* what a push sends */
	char *host;
	int (*fault)(void *ud, const char *point);
	void *fault_ud;
};

/* Where a ref is: its commit, or nothing. */
struct tip {
	bool exists;
	git_oid id;
};

static struct sf_gitstore *
gs(struct sf_storage *s)
{
	return (struct sf_gitstore *)s;
}

static const char *
git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

/* text with the user and password of every URL in it removed: libgit2's
 * messages may quote a remote's URL, and a CI checkout's URL may carry a
 * token (https://gitlab-ci-token:TOKEN@host/...). */
static char *
redact_text(const char *text)
{
	struct sf_buf b = SF_BUF_INIT;
	const char *p = text, *s;

	while ((s = strstr(p, "://"))) {
		const char *host = s + 3, *end = host, *at = NULL;

		while (*end && *end != '/' && *end != ' ' && *end != '\'' &&
		       *end != '"') {
			if (*end == '@')
				at = end;
			end++;
		}
		sf_buf_add(&b, p, (size_t)(host - p));
		p = at ? at + 1 : host;
	}
	sf_buf_adds(&b, p);
	return sf_buf_detach(&b, NULL);
}

static int
gerr(struct sf_err *err, const char *where, const char *what)
{
	char *msg = redact_text(git_msg());
	int rc = sf_error(err, SF_ERROR, where, "%s: %s", what, msg);

	free(msg);
	return rc;
}

static void
hex(const git_oid *id, char out[GIT_OID_HEXSZ + 1])
{
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, id);
}

/* ---- credentials, the way git gets them ---- */

/* Write all of len bytes; false on an error. */
static bool
write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

int
sf_git_credential_fill(
    const char *url, const char *cwd, char **user, char **password)
{
	const char *scheme_end = strstr(url, "://");
	struct sf_buf in = SF_BUF_INIT, out = SF_BUF_INIT;
	int to[2] = { -1, -1 }, from[2] = { -1, -1 }, status = 0;
	char chunk[1024], *line, *save = NULL;
	struct sigaction ign, old;
	pid_t pid;
	ssize_t n;

	*user = *password = NULL;
	if (!scheme_end)
		return -1;
	/* git credential takes the URL whole and splits it itself. */
	sf_buf_addf(&in, "url=%s\n\n", url);
	if (pipe(to) || pipe(from))
		goto fail;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	/* posix_spawn, not fork: apply runs threads, and a forked child of
	 * a threaded process may only call async-signal-safe functions. */
	{
		extern char **environ;
		static char git[] = "git", dash_c[] = "-C",
		            cred[] = "credential", fill[] = "fill",
		            noprompt[] = "GIT_TERMINAL_PROMPT=0",
		            askpass[] = "GIT_ASKPASS=true";
		posix_spawn_file_actions_t fa;
		char *dir = sf_xstrdup(cwd ? cwd : ".");
		char *argv[] = { git, dash_c, dir, cred, fill, NULL };
		char **envp;
		size_t ne = 0, k = 0;
		int e;

		while (environ[ne])
			ne++;
		envp = sf_xcalloc(ne + 3, sizeof(*envp));
		for (ne = 0; environ[ne]; ne++)
			if (!sf_str_has_prefix(
			        environ[ne], "GIT_TERMINAL_PROMPT=") &&
			    !sf_str_has_prefix(environ[ne], "GIT_ASKPASS="))
				envp[k++] = environ[ne];
		/* Never a prompt: CI has no terminal, and a hang is worse
		 * than a clear authentication error. */
		envp[k++] = noprompt;
		envp[k++] = askpass;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, to[0], 0);
		posix_spawn_file_actions_adddup2(&fa, from[1], 1);
		posix_spawn_file_actions_addclose(&fa, to[1]);
		posix_spawn_file_actions_addclose(&fa, from[0]);
		e = posix_spawnp(&pid, "git", &fa, NULL, argv, envp);
		posix_spawn_file_actions_destroy(&fa);
		free(envp);
		free(dir);
		if (e)
			goto fail_sig;
	}
	close(to[0]);
	close(from[1]);
	to[0] = from[1] = -1;
	(void)write_all(to[1], in.buf, in.len);
	close(to[1]);
	to[1] = -1;
	while ((n = read(from[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || out.len > 64 * 1024)
			break;
		sf_buf_add(&out, chunk, (size_t)n);
	}
	close(from[0]);
	from[0] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGPIPE, &old, NULL);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		for (line = strtok_r(out.buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			/* Empty answers (GIT_ASKPASS=true's) are none. */
			if (sf_str_has_prefix(line, "username=") && line[9] &&
			    !*user)
				*user = sf_xstrdup(line + 9);
			else if (sf_str_has_prefix(line, "password=") &&
			         line[9] && !*password)
				*password = sf_xstrdup(line + 9);
		}
	sf_buf_release_secret(&out);
	sf_buf_release_secret(&in);
	if (*user && *password)
		return 0;
	free(*user);
	if (*password) {
		sf_wipe(*password, strlen(*password));
		free(*password);
	}
	*user = *password = NULL;
	return -1;
fail_sig:
	sigaction(SIGPIPE, &old, NULL);
fail:
	for (n = 0; n < 2; n++) {
		if (to[n] >= 0)
			close(to[n]);
		if (from[n] >= 0)
			close(from[n]);
	}
	sf_buf_release_secret(&in);
	return -1;
}

/* ---- talking to the remote ---- */

struct cb_state {
	int tried_agent;
	int tried_token;
	int tried_helper;
	const char *workdir; /* where `git credential` reads its config */
	/* A push: dst must still be at old (or absent without old). */
	const char *dst;
	const struct tip *old;
	bool moved;
	char status[128]; /* the remote's refusal of dst */
	bool refused;
};

static int
cred_cb(git_credential **out, const char *url, const char *user,
    unsigned int allowed, void *payload)
{
	struct cb_state *c = payload;
	const char *token;

	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !c->tried_agent++)
		return git_credential_ssh_key_from_agent(
		    out, user && *user ? user : "git");
	token = getenv("SANDFORM_GIT_TOKEN");
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && token && *token &&
	    !c->tried_token++)
		return git_credential_userpass_plaintext_new(
		    out, "x-access-token", token);
	/* Then git's credential helpers, as `git push` would ask them. */
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) &&
	    !c->tried_helper++) {
		char *u, *p;
		int rc;

		if (sf_git_credential_fill(url, c->workdir, &u, &p) == 0) {
			rc = git_credential_userpass_plaintext_new(out, u, p);
			sf_wipe(p, strlen(p));
			free(p);
			free(u);
			return rc;
		}
	}
	return GIT_PASSTHROUGH;
}

/* Refuse to push when the remote's ref is not what was read. */
static int
negotiate_cb(const git_push_update **updates, size_t len, void *payload)
{
	struct cb_state *c = payload;
	size_t i;

	for (i = 0; i < len; i++) {
		const git_push_update *u = updates[i];
		bool exists = !git_oid_is_zero(&u->src);

		if (strcmp(u->dst_refname, c->dst))
			continue;
		if (exists != c->old->exists ||
		    (exists && !git_oid_equal(&u->src, &c->old->id))) {
			c->moved = true;
			return GIT_EUSER;
		}
	}
	return 0;
}

static int
update_ref_cb(const char *refname, const char *status, void *data)
{
	struct cb_state *c = data;

	if (status && !strcmp(refname, c->dst)) {
		c->refused = true;
		snprintf(c->status, sizeof(c->status), "%s", status);
	}
	return 0;
}

static void
init_callbacks(
    struct sf_gitstore *g, git_remote_callbacks *cbs, struct cb_state *c)
{
	const char *wd = git_repository_workdir(g->repo);

	c->workdir = wd ? wd : git_repository_path(g->repo);
	cbs->credentials = cred_cb;
	cbs->push_negotiation = negotiate_cb;
	cbs->push_update_reference = update_ref_cb;
	cbs->payload = c;
}

static int
open_remote(struct sf_gitstore *g, git_remote **r, struct sf_err *err)
{
	if (git_remote_lookup(r, g->repo, g->remote) == 0)
		return 0;
	if (git_remote_create_anonymous(r, g->repo, g->remote) == 0)
		return 0;
	return gerr(err, g->base.where, "cannot use the remote");
}

static int
set_ref(struct sf_gitstore *g, const char *name, const struct tip *t,
    struct sf_err *err)
{
	git_reference *ref;
	int e;

	if (t->exists) {
		if (git_reference_create(
		        &ref, g->repo, name, &t->id, 1, "sandform") < 0)
			return gerr(err, name, "cannot update");
		git_reference_free(ref);
		return 0;
	}
	e = git_reference_remove(g->repo, name);
	if (e < 0 && e != GIT_ENOTFOUND)
		return gerr(err, name, "cannot remove");
	return 0;
}

/*
 * Where the remote has the state ref and the lock ref, with their
 * commits fetched into the local repository.
 */
static int
remote_tips(struct sf_gitstore *g, struct tip *state, struct tip *lock,
    struct sf_err *err)
{
	git_remote_callbacks cbs;
	git_fetch_options fo;
	struct cb_state c;
	const git_remote_head **heads;
	git_remote *r;
	git_odb *odb = NULL;
	char *specs[2];
	git_strarray arr = { specs, 0 };
	size_t n, i;
	int rc = 0;

	/* The _INIT macros leave fields out, which -Wextra rejects. */
	git_remote_init_callbacks(&cbs, GIT_REMOTE_CALLBACKS_VERSION);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	memset(&c, 0, sizeof(c));
	memset(state, 0, sizeof(*state));
	memset(lock, 0, sizeof(*lock));
	init_callbacks(g, &cbs, &c);
	if ((rc = open_remote(g, &r, err)))
		return rc;
	if (git_remote_connect(r, GIT_DIRECTION_FETCH, &cbs, NULL, NULL) < 0) {
		rc = gerr(err, g->base.where, "cannot reach the remote");
		goto out;
	}
	if (git_remote_ls(&heads, &n, r) < 0) {
		rc = gerr(err, g->base.where, "cannot list the remote's refs");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct tip *t = !strcmp(heads[i]->name, g->ref)       ? state
		                : !strcmp(heads[i]->name, g->lockref) ? lock
		                                                      : NULL;

		if (t) {
			t->exists = true;
			git_oid_cpy(&t->id, &heads[i]->oid);
		}
	}
	if (git_repository_odb(&odb, g->repo) < 0) {
		rc =
		    gerr(err, g->base.where, "cannot open the object database");
		goto out;
	}
	if (state->exists && !git_odb_exists(odb, &state->id))
		specs[arr.count++] = sf_xasprintf("%s:%s", g->ref, g->track);
	if (lock->exists && !git_odb_exists(odb, &lock->id))
		specs[arr.count++] =
		    sf_xasprintf("%s:%s-lock", g->lockref, g->track);
	if (arr.count) {
		fo.callbacks = cbs;
		fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
		fo.update_fetchhead = 0;
		if (git_remote_download(r, &arr, &fo) < 0)
			rc = gerr(err, g->base.where, "cannot fetch the state");
	}
	for (i = 0; i < arr.count; i++)
		free(specs[i]);
	if (!rc && ((state->exists && !git_odb_exists(odb, &state->id)) ||
	               (lock->exists && !git_odb_exists(odb, &lock->id))))
		rc = sf_error(err, SF_ERROR, g->base.where,
		    "the remote did not send the commits of its refs");
	if (!rc)
		rc = set_ref(g, g->track, state, err);
out:
	git_odb_free(odb);
	git_remote_disconnect(r);
	git_remote_free(r);
	return rc;
}

static int
local_tip(
    struct sf_gitstore *g, const char *name, struct tip *t, struct sf_err *err)
{
	int e = git_reference_name_to_id(&t->id, g->repo, name);

	t->exists = e == 0;
	if (e < 0 && e != GIT_ENOTFOUND)
		return gerr(err, name, "cannot read");
	return 0;
}

/* Where the state ref and the lock ref are now (lock may be NULL). */
static int
tips(struct sf_gitstore *g, struct tip *state, struct tip *lock,
    struct sf_err *err)
{
	struct tip l;
	int rc;

	if (g->remote)
		return remote_tips(g, state, lock ? lock : &l, err);
	if ((rc = local_tip(g, g->ref, state, err)))
		return rc;
	return lock ? local_tip(g, g->lockref, lock, err) : 0;
}

static int
push_update(struct sf_gitstore *g, const char *name, const struct tip *old,
    const git_oid *id, struct sf_err *err)
{
	git_remote_callbacks cbs;
	git_push_options po;
	struct tip scratch = { true, { { 0 } } };
	struct cb_state c;
	git_remote *r;
	char *spec;
	git_strarray arr = { &spec, 1 };
	int rc, e;

	git_remote_init_callbacks(&cbs, GIT_REMOTE_CALLBACKS_VERSION);
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	memset(&c, 0, sizeof(c));
	c.dst = name;
	c.old = old;
	init_callbacks(g, &cbs, &c);
	if ((rc = open_remote(g, &r, err)))
		return rc;
	if (id) {
		git_oid_cpy(&scratch.id, id);
		if ((rc = set_ref(g, g->scratch, &scratch, err))) {
			git_remote_free(r);
			return rc;
		}
		spec = sf_xasprintf("%s:%s", g->scratch, name);
	} else {
		spec = sf_xasprintf(":%s", name);
	}
	po.callbacks = cbs;
	e = git_remote_push(r, &arr, &po);
	if (c.moved || e == GIT_ENONFASTFORWARD)
		rc = sf_error(err, SF_ECONFLICT, g->base.where,
		    "%s on the remote moved on while this command changed it",
		    name);
	else if (e < 0)
		rc = gerr(err, g->base.where, "cannot push");
	else if (c.refused)
		rc = sf_error(err, SF_ECONFLICT, g->base.where,
		    "the remote refused the update of %s: %s", name, c.status);
	free(spec);
	git_remote_free(r);
	if (id) {
		scratch.exists = false;
		set_ref(g, g->scratch, &scratch, NULL);
	}
	return rc;
}

static int
local_update(struct sf_gitstore *g, const char *name, const struct tip *old,
    const git_oid *id, struct sf_err *err)
{
	git_reference *ref = NULL;
	int e;

	if (id && !old->exists)
		e = git_reference_create(
		    &ref, g->repo, name, id, 0, "sandform");
	else if (id)
		e = git_reference_create_matching(
		    &ref, g->repo, name, id, 1, &old->id, "sandform");
	else if ((e = git_reference_lookup(&ref, g->repo, name)) == 0) {
		if (git_reference_type(ref) != GIT_REFERENCE_DIRECT ||
		    !git_oid_equal(git_reference_target(ref), &old->id))
			e = GIT_EMODIFIED;
		else
			e = git_reference_delete(ref);
	}
	git_reference_free(ref);
	if (e == GIT_EEXISTS || e == GIT_EMODIFIED || e == GIT_ENOTFOUND)
		return sf_error(err, SF_ECONFLICT, g->base.where,
		    "%s moved on while this command changed it", name);
	if (e < 0)
		return gerr(err, name, "cannot update");
	return 0;
}

/*
 * Move ref name from old to id (NULL: remove it) if it is still at old:
 * SF_ECONFLICT when it is not.
 */
static int
update(struct sf_gitstore *g, const char *name, const struct tip *old,
    const git_oid *id, struct sf_err *err)
{
	int rc;

	if (g->fault && g->fault(g->fault_ud, "before-update"))
		return sf_error(err, SF_ERROR, g->base.where,
		    "cannot update %s: injected failure at before-update",
		    name);
	if (!g->remote)
		return local_update(g, name, old, id, err);
	rc = push_update(g, name, old, id, err);
	if (!rc && !strcmp(name, g->ref)) {
		struct tip t = { id != NULL, { { 0 } } };

		if (id)
			git_oid_cpy(&t.id, id);
		rc = set_ref(g, g->track, &t, err);
	}
	return rc;
}

/* ---- objects ---- */

/* The blob at path in commit's tree: SF_ENOTFOUND without one. */
static int
blob_at(struct sf_gitstore *g, const git_oid *commit, const char *path,
    git_oid *blob, struct sf_err *err)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int rc = 0, x;

	if (git_commit_lookup(&c, g->repo, commit) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		rc = gerr(err, g->base.where, "cannot read a commit");
		goto out;
	}
	x = git_tree_entry_bypath(&e, tree, path);
	if (x == GIT_ENOTFOUND ||
	    (!x && git_tree_entry_type(e) != GIT_OBJECT_BLOB))
		rc = SF_ENOTFOUND;
	else if (x < 0)
		rc = gerr(err, g->base.where, "cannot read a tree");
	else
		git_oid_cpy(blob, git_tree_entry_id(e));
out:
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

static int
read_blob(struct sf_gitstore *g, const git_oid *id, size_t max,
    struct sf_buf *out, struct sf_err *err)
{
	git_blob *b;
	git_object_size_t n;

	if (git_blob_lookup(&b, g->repo, id) < 0)
		return gerr(err, g->base.where, "cannot read a blob");
	n = git_blob_rawsize(b);
	if (n > max) {
		git_blob_free(b);
		return sf_error(err, SF_EINVALID, g->base.where,
		    "a file of the state is larger than %zu bytes", max);
	}
	sf_buf_add(out, git_blob_rawcontent(b), (size_t)n);
	git_blob_free(b);
	return 0;
}

/*
 * A commit of parent's tree (none: an empty one) with changes: each path
 * gets data[i] of len[i] bytes, or is removed when data[i] is NULL.
 */
static int
make_commit(struct sf_gitstore *g, const struct tip *parent,
    const char *const *paths, const char *const *data, const size_t *len,
    size_t n, const char *msg, git_oid *out, struct sf_err *err)
{
	git_tree_update ups[2];
	git_commit *pc = NULL;
	const git_commit *parents[1];
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_oid treeid;
	char *email;
	size_t i;
	int rc = 0;

	memset(ups, 0, sizeof(ups));
	for (i = 0; i < n && i < SF_ARRAY_LEN(ups); i++) {
		ups[i].path = paths[i];
		ups[i].filemode = GIT_FILEMODE_BLOB;
		ups[i].action =
		    data[i] ? GIT_TREE_UPDATE_UPSERT : GIT_TREE_UPDATE_REMOVE;
		if (data[i] && git_blob_create_from_buffer(
		                   &ups[i].id, g->repo, data[i], len[i]) < 0)
			return gerr(err, g->base.where, "cannot write a blob");
	}
	if (parent && parent->exists &&
	    (git_commit_lookup(&pc, g->repo, &parent->id) < 0 ||
	        git_commit_tree(&base, pc) < 0)) {
		rc = gerr(err, g->base.where, "cannot read a commit");
		goto out;
	}
	if (git_tree_create_updated(&treeid, g->repo, base, i, ups) < 0 ||
	    git_tree_lookup(&tree, g->repo, &treeid) < 0) {
		rc = gerr(err, g->base.where, "cannot write a tree");
		goto out;
	}
	email = sf_xasprintf("sandform@%s", g->host);
	if (git_signature_new(&sig, "sandform", email,
	        (git_time_t)(sf_state_now(&g->base.env) / 1000), 0) < 0)
		rc = gerr(err, g->base.where, "cannot sign a commit");
	free(email);
	if (rc)
		goto out;
	parents[0] = pc;
	if (git_commit_create(out, g->repo, NULL, sig, sig, NULL, msg, tree,
	        pc ? 1 : 0, parents) < 0)
		rc = gerr(err, g->base.where, "cannot write a commit");
out:
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(pc);
	return rc;
}

/* ---- the state ---- */

static int
gitstore_read(struct sf_storage *s, struct sf_buf *out,
    struct sf_storage_ver *ver, struct sf_err *err)
{
	struct sf_gitstore *g = gs(s);
	struct tip t;
	git_oid blob;
	int rc;

	ver->tag[0] = '\0';
	if ((rc = tips(g, &t, NULL, err)))
		return rc;
	if (!t.exists)
		return sf_error(
		    err, SF_ENOTFOUND, s->state_name, "no state yet");
	rc = blob_at(g, &t.id, STATE_PATH, &blob, err);
	if (rc == SF_ENOTFOUND)
		return sf_error(
		    err, SF_ENOTFOUND, s->state_name, "no state yet");
	if (!rc)
		rc = read_blob(g, &blob, BLOB_MAX, out, err);
	if (!rc)
		hex(&t.id, ver->tag);
	return rc;
}

/* The serial of a state's bytes, or -1. */
static long long
peek_serial(const char *data, size_t len)
{
	json_t *o = json_loadb(data, len, 0, NULL);
	json_t *v = json_object_get(o, "serial");
	long long n =
	    json_is_integer(v) ? (long long)json_integer_value(v) : -1;

	json_decref(o);
	return n;
}

/*
 * Whether the state at cur is still the one read at expect: the same
 * commit, or one whose state file is the same (the commits between
 * changed run records only).
 */
static int
same_state(struct sf_gitstore *g, const struct tip *cur,
    const struct sf_storage_ver *expect, struct sf_err *err)
{
	struct tip exp = { false, { { 0 } } };
	git_oid a, b;
	int ra, rb;
	char now[GIT_OID_HEXSZ + 1] = "";

	ra = cur->exists ? blob_at(g, &cur->id, STATE_PATH, &a, err)
	                 : SF_ENOTFOUND;
	if (ra && ra != SF_ENOTFOUND)
		return ra;
	if (cur->exists)
		hex(&cur->id, now);
	if (!expect->tag[0]) {
		if (ra == SF_ENOTFOUND)
			return 0;
		return sf_error(err, SF_ECONFLICT, g->base.state_name,
		    "another command created the state since this one found "
		    "none (now commit %.12s); run the command again",
		    now);
	}
	if (ra == SF_ENOTFOUND)
		return sf_error(err, SF_ECONFLICT, g->base.state_name,
		    "the state was removed since it was read (commit %.12s); "
		    "run the command again",
		    expect->tag);
	if (!strcmp(now, expect->tag))
		return 0;
	exp.exists = git_oid_fromstr(&exp.id, expect->tag) == 0;
	rb = exp.exists ? blob_at(g, &exp.id, STATE_PATH, &b, NULL)
	                : SF_ENOTFOUND;
	if (!rb && git_oid_equal(&a, &b))
		return 0;
	return sf_error(err, SF_ECONFLICT, g->base.state_name,
	    "the state changed since it was read (commit %.12s, now %.12s): "
	    "another command wrote it; run the command again",
	    expect->tag, now);
}

static int
gitstore_write(struct sf_storage *s, const char *data, size_t len,
    const struct sf_storage_ver *expect, struct sf_storage_ver *now,
    struct sf_err *err)
{
	struct sf_gitstore *g = gs(s);
	const char *path = STATE_PATH;
	long long serial = peek_serial(data, len);
	char *msg;
	struct tip cur;
	git_oid id;
	int rc = 0, i;

	{
		struct sf_buf b = SF_BUF_INIT;

		/* "sandform apply: state serial 7", then why, for history. */
		sf_buf_addf(&b, "sandform%s%s: ", s->locked ? " " : "",
		    s->locked ? s->lock.command : "");
		if (serial >= 0)
			sf_buf_addf(&b, "state serial %lld\n", serial);
		else
			sf_buf_addf(&b, "update state (%zu bytes)\n", len);
		if (s->note)
			sf_buf_addf(&b, "\n%s\n", s->note);
		msg = sf_buf_detach(&b, NULL);
	}
	for (i = 0; i < RETRIES; i++) {
		if ((rc = tips(g, &cur, NULL, err)) ||
		    (rc = same_state(g, &cur, expect, err)) ||
		    (rc = make_commit(
		         g, &cur, &path, &data, &len, 1, msg, &id, err)))
			break;
		rc = update(g, g->ref, &cur, &id, err);
		if (rc != SF_ECONFLICT)
			break;
		/* Lost a race: same_state tells whether it matters. */
	}
	free(msg);
	if (!rc)
		hex(&id, now->tag);
	return rc;
}

/* ---- the lock ---- */

/* The record of the lock at commit t. */
static int
read_lock(struct sf_gitstore *g, const struct tip *t, struct sf_lock_info *li,
    struct sf_err *err)
{
	struct sf_buf b = SF_BUF_INIT;
	git_oid blob;
	int rc;

	rc = blob_at(g, &t->id, LOCK_PATH, &blob, err);
	if (!rc)
		rc = read_blob(g, &blob, LOCK_MAX, &b, err);
	if (rc == SF_ENOTFOUND || (!rc && sf_lock_decode(b.buf, b.len, li)))
		rc = sf_error(err, SF_EINVALID, g->lockref,
		    "the lock is not one sandform wrote; if no sandform is "
		    "running, delete the ref %s",
		    g->lockref);
	sf_buf_release(&b);
	return rc;
}

static int
gitstore_lock(struct sf_storage *s, const struct sf_lock_req *req,
    struct sf_buf *warn, struct sf_err *err)
{
	struct sf_gitstore *g = gs(s);
	struct sf_lock_info me, held;
	struct sf_buf text = SF_BUF_INIT;
	const char *path = LOCK_PATH, *data;
	struct tip st, lk, none = { false, { { 0 } } };
	int64_t start, now, timeout = req->timeout_ms > 0 ? req->timeout_ms : 0;
	char *msg;
	git_oid id;
	bool known;
	int rc;

	(void)warn;
	memset(&me, 0, sizeof(me));
	sf_state_uuid(&s->env, me.id);
	me.pid = (int64_t)getpid();
	snprintf(me.host, sizeof(me.host), "%s", g->host);
	snprintf(me.command, sizeof(me.command), "%s",
	    req->command && *req->command ? req->command : "sandform");
	start = me.started = sf_state_now(&s->env);
	sf_lock_encode(&me, &text);
	data = text.buf;
	msg = sf_xasprintf("sandform: lock %s (%s, pid %lld on %s)\n", me.id,
	    me.command, (long long)me.pid, me.host);
	/* Parentless: a push over any other lock is no fast-forward. */
	rc = make_commit(g, NULL, &path, &data, &text.len, 1, msg, &id, err);
	free(msg);
	sf_buf_release(&text);
	if (rc)
		return rc;
	for (;;) {
		known = false;
		if ((rc = tips(g, &st, &lk, err)))
			return rc;
		if (!lk.exists) {
			rc = update(g, g->lockref, &none, &id, err);
			if (!rc)
				break;
			if (rc != SF_ECONFLICT)
				return rc;
			/* Another got in first: look who it is. */
			if ((rc = tips(g, &st, &lk, err)))
				return rc;
		}
		if (lk.exists) {
			rc = read_lock(g, &lk, &held, err);
			if (rc && rc != SF_EINVALID)
				return rc;
			known = rc == 0;
		}
		now = sf_state_now(&s->env);
		if (now - start >= timeout) {
			if (known)
				return sf_lock_conflict(
				    err, g->base.where, &held, now - start);
			if (err)
				err->code = SF_ECONFLICT;
			if (!lk.exists)
				return sf_error(err, SF_ECONFLICT, s->where,
				    "the lock came and went; try again");
			return SF_ECONFLICT; /* err says what it is */
		}
		sf_state_sleep(&s->env, timeout - (now - start) < POLL_MS
		                            ? timeout - (now - start)
		                            : POLL_MS);
	}
	s->locked = true;
	s->lock = me;
	return 0;
}

static int
gitstore_unlock(struct sf_storage *s, struct sf_err *err)
{
	struct sf_gitstore *g = gs(s);
	struct sf_lock_info held;
	struct sf_buf b = SF_BUF_INIT;
	struct tip st, lk;
	int rc;

	s->locked = false;
	if ((rc = tips(g, &st, &lk, err)))
		return rc;
	if (!lk.exists)
		return sf_error(err, SF_ECONFLICT, s->where,
		    "our lock (ID %s) was removed while we held it; was "
		    "`sandform force-unlock` run?",
		    s->lock.id);
	if ((rc = read_lock(g, &lk, &held, err)))
		return rc;
	if (strcmp(held.id, s->lock.id)) {
		sf_lock_describe(&b, &held);
		rc = sf_error(err, SF_ECONFLICT, s->where,
		    "our lock (ID %s) was replaced while we held it; it is "
		    "now held by %s",
		    s->lock.id, b.buf);
		sf_buf_release(&b);
		return rc;
	}
	return update(g, g->lockref, &lk, NULL, err);
}

static int
gitstore_lock_info(
    struct sf_storage *s, struct sf_lock_info *info, struct sf_err *err)
{
	struct sf_gitstore *g = gs(s);
	struct tip st, lk;
	int rc;

	if ((rc = tips(g, &st, &lk, err)))
		return rc;
	if (!lk.exists)
		return sf_error(
		    err, SF_ENOTFOUND, s->where, "the state is not locked");
	return read_lock(g, &lk, info, err);
}

static int
gitstore_force_unlock(struct sf_storage *s, const char *id,
    struct sf_lock_info *was, struct sf_err *err)
{
	struct sf_gitstore *g = gs(s);
	struct tip st, lk;
	int rc;

	if ((rc = tips(g, &st, &lk, err)))
		return rc;
	if (!lk.exists)
		return sf_error(
		    err, SF_ENOTFOUND, s->where, "the state is not locked");
	if ((rc = read_lock(g, &lk, was, err)))
		return rc;
	if (strcmp(was->id, id))
		return sf_error(err, SF_EINVALID, s->where,
		    "the lock's ID is %s, not %.40s: nothing was removed",
		    was->id, id);
	return update(g, g->lockref, &lk, NULL, err);
}

/* ---- run records ---- */

/* Put (data) or remove (data NULL) one run record, retrying lost races. */
static int
change_run(struct sf_gitstore *g, const char *job, const char *run,
    const char *data, size_t len, struct sf_err *err)
{
	char *path = sf_xasprintf("runs/%s/%s.json", job, run);
	char *msg = sf_xasprintf("sandform: %s run %s of job %s\n",
	    data ? "record" : "remove", run, job);
	const char *p = path;
	struct tip cur;
	git_oid id, blob;
	int rc = 0, i;

	for (i = 0; i < RETRIES; i++) {
		if ((rc = tips(g, &cur, NULL, err)))
			break;
		if (!data) {
			rc = cur.exists ? blob_at(g, &cur.id, path, &blob, err)
			                : SF_ENOTFOUND;
			if (rc == SF_ENOTFOUND)
				rc = sf_error(err, rc, g->base.where,
				    "no run %s of job %s", run, job);
			if (rc)
				break;
		}
		if ((rc = make_commit(
		         g, &cur, &p, &data, &len, 1, msg, &id, err)))
			break;
		rc = update(g, g->ref, &cur, &id, err);
		if (rc != SF_ECONFLICT)
			break;
	}
	free(msg);
	free(path);
	return rc;
}

static int
gitstore_put_run(struct sf_storage *s, const char *job, const char *run,
    const char *data, size_t len, struct sf_err *err)
{
	return change_run(gs(s), job, run, data ? data : "", len, err);
}

static int
gitstore_delete_run(
    struct sf_storage *s, const char *job, const char *run, struct sf_err *err)
{
	return change_run(gs(s), job, run, NULL, 0, err);
}

static int
gitstore_get_run(struct sf_storage *s, const char *job, const char *run,
    struct sf_buf *out, struct sf_err *err)
{
	struct sf_gitstore *g = gs(s);
	char *path = sf_xasprintf("runs/%s/%s.json", job, run);
	struct tip cur;
	git_oid blob;
	int rc;

	if (!(rc = tips(g, &cur, NULL, err))) {
		rc = cur.exists ? blob_at(g, &cur.id, path, &blob, err)
		                : SF_ENOTFOUND;
		if (rc == SF_ENOTFOUND)
			rc = sf_error(
			    err, rc, s->where, "no run %s of job %s", run, job);
		else if (!rc)
			rc = read_blob(g, &blob, BLOB_MAX, out, err);
	}
	free(path);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
gitstore_list_runs(struct sf_storage *s, const char *job, char ***runs,
    size_t *n, struct sf_err *err)
{
	struct sf_gitstore *g = gs(s);
	char *path = sf_xasprintf("runs/%s", job);
	git_commit *c = NULL;
	git_tree *root = NULL, *dir = NULL;
	git_tree_entry *e = NULL;
	struct tip cur;
	size_t i, alloc = 0;
	int rc, x;

	if ((rc = tips(g, &cur, NULL, err)) || !cur.exists)
		goto out;
	if (git_commit_lookup(&c, g->repo, &cur.id) < 0 ||
	    git_commit_tree(&root, c) < 0) {
		rc = gerr(err, s->where, "cannot read a commit");
		goto out;
	}
	x = git_tree_entry_bypath(&e, root, path);
	if (x == GIT_ENOTFOUND ||
	    (!x && git_tree_entry_type(e) != GIT_OBJECT_TREE))
		goto out;
	if (x < 0 || git_tree_lookup(&dir, g->repo, git_tree_entry_id(e)) < 0) {
		rc = gerr(err, s->where, "cannot read a tree");
		goto out;
	}
	for (i = 0; i < git_tree_entrycount(dir); i++) {
		const git_tree_entry *te = git_tree_entry_byindex(dir, i);
		const char *name = git_tree_entry_name(te);
		char *id;

		if (git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
		    !sf_str_has_suffix(name, ".json"))
			continue;
		id = sf_xstrndup(name, strlen(name) - 5);
		if (!sf_storage_run_id_ok(id)) {
			free(id);
			continue;
		}
		SF_ALLOC_GROW(*runs, *n + 1, alloc);
		(*runs)[(*n)++] = id;
	}
	if (*n > 1)
		qsort(*runs, *n, sizeof(**runs), cmp_str);
out:
	git_tree_free(dir);
	git_tree_entry_free(e);
	git_tree_free(root);
	git_commit_free(c);
	free(path);
	return rc;
}

static void
gitstore_free(struct sf_storage *s)
{
	struct sf_gitstore *g = gs(s);

	git_repository_free(g->repo);
	free(g->remote);
	free(g->ref);
	free(g->lockref);
	free(g->track);
	free(g->scratch);
	free(g->host);
	free(s->where);
	free(s->state_name);
	free(g);
	git_libgit2_shutdown();
}

/* ---- history ---- */

static int
gitstore_history(struct sf_storage *s, size_t max, struct sf_storage_rev **revs,
    size_t *n, struct sf_err *err)
{
	struct sf_gitstore *g = gs(s);
	git_revwalk *walk = NULL;
	struct tip t;
	git_oid id;
	size_t alloc = 0;
	int rc;

	if ((rc = tips(g, &t, NULL, err)))
		return rc;
	if (!t.exists)
		return sf_error(err, SF_ENOTFOUND, s->where, "no state yet");
	if (git_revwalk_new(&walk, g->repo) < 0 ||
	    git_revwalk_push(walk, &t.id) < 0) {
		rc = gerr(err, s->where, "cannot walk the history");
		goto out;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	while (*n < max && git_revwalk_next(&id, walk) == 0) {
		struct sf_storage_rev *r;
		git_commit *c;

		if (git_commit_lookup(&c, g->repo, &id) < 0) {
			/* A shallow history ends where the clone's does. */
			break;
		}
		SF_ALLOC_GROW(*revs, *n + 1, alloc);
		r = &(*revs)[(*n)++];
		memset(r, 0, sizeof(*r));
		hex(&id, r->id);
		r->time = (int64_t)git_commit_time(c) * 1000;
		r->message = sf_xstrdup(git_commit_message(c));
		git_commit_free(c);
	}
out:
	git_revwalk_free(walk);
	return rc;
}

static const struct sf_storage_ops gitstore_ops = {
	.name = "git",
	.read = gitstore_read,
	.write = gitstore_write,
	.lock = gitstore_lock,
	.unlock = gitstore_unlock,
	.lock_info = gitstore_lock_info,
	.force_unlock = gitstore_force_unlock,
	.put_run = gitstore_put_run,
	.list_runs = gitstore_list_runs,
	.get_run = gitstore_get_run,
	.delete_run = gitstore_delete_run,
	.history = gitstore_history,
	.free = gitstore_free,
};

struct sf_storage *
sf_storage_git_new(const char *repo_path, const char *remote, const char *ref,
    const struct sf_storage_git_opts *o, struct sf_err *err)
{
	struct sf_gitstore *g;
	git_repository *repo;
	char host[256], *shown;
	int valid = 0, e;

	if (!ref || !*ref)
		ref = SF_STORAGE_GIT_REF;
	git_libgit2_init();
	if (!sf_str_has_prefix(ref, "refs/") ||
	    git_reference_name_is_valid(&valid, ref) < 0 || !valid) {
		sf_error(err, SF_EINVALID, ref, "is not a ref name (refs/...)");
		git_libgit2_shutdown();
		return NULL;
	}
	if ((e = git_repository_open(&repo, repo_path)) < 0) {
		sf_error(err, e == GIT_ENOTFOUND ? SF_ENOTFOUND : SF_ERROR,
		    repo_path, "cannot open the git repository: %s", git_msg());
		git_libgit2_shutdown();
		return NULL;
	}
	g = sf_xcalloc(1, sizeof(*g));
	g->base.ops = &gitstore_ops;
	g->repo = repo;
	g->remote = remote && *remote ? sf_xstrdup(remote) : NULL;
	g->ref = sf_xstrdup(ref);
	/* Not REF.lock: git refuses ref names that end in ".lock". */
	g->lockref = sf_xasprintf("%s-lock", ref);
	g->track = sf_xasprintf("refs/sandform-remote/%s", ref + 5);
	g->scratch = sf_xasprintf("refs/sandform-push/%s", ref + 5);
	shown = redact_text(g->remote ? g->remote : repo_path);
	g->base.where = sf_xasprintf("%s %s", shown, ref);
	g->base.state_name = sf_xasprintf("%s %s:%s", shown, ref, STATE_PATH);
	free(shown);
	if (o) {
		g->base.env = o->env;
		g->fault = o->fault;
		g->fault_ud = o->fault_ud;
	}
	if (o && o->host) {
		g->host = sf_xstrdup(o->host);
	} else {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		g->host = sf_xstrdup(host);
	}
	return &g->base;
}
