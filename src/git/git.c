/* libgit2: manifests at a revision, and the provenance of a working tree. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <openssl/evp.h>

#include "git/git.h"
#include "manifest/manifest.h"
#include "util/fs.h"

struct sf_git_repo {
	git_repository *repo;
	char *workdir; /* no trailing slash; NULL when bare */
};

static const char *
git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

const char *
sf_git_version(void)
{
	static char v[32];
	int major, minor, rev;

	git_libgit2_version(&major, &minor, &rev);
	snprintf(v, sizeof(v), "%d.%d.%d", major, minor, rev);
	return v;
}

/* ---- paths ---- */

/* path made absolute and with "." and ".." resolved lexically. */
static char *
lexical_abs(const char *path)
{
	struct sf_buf in = SF_BUF_INIT, out = SF_BUF_INIT;
	char cwd[PATH_MAX];
	const char *p, *end;

	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			sf_die("getcwd: %s", strerror(errno));
		sf_buf_adds(&in, cwd);
		sf_buf_addch(&in, '/');
	}
	sf_buf_adds(&in, path);
	for (p = in.buf; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (!n)
			break;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out.buf, '/');

			if (slash)
				sf_buf_setlen(&out, (size_t)(slash - out.buf));
		} else {
			sf_buf_addch(&out, '/');
			sf_buf_add(&out, p, n);
		}
		p += n;
	}
	if (!out.len)
		sf_buf_addch(&out, '/');
	sf_buf_release(&in);
	return sf_buf_detach(&out, NULL);
}

/*
 * The physical path of path, which need not exist: the longest prefix
 * that does exist goes through realpath(3), the rest is kept as written.
 * *existing (optional) gets that prefix, resolved.
 */
static char *
physical_path(const char *path, char **existing)
{
	char *abs = lexical_abs(path), *cut = NULL, *real, *out;
	size_t len = strlen(abs);

	for (;;) {
		char save = abs[len];

		abs[len] = '\0';
		real = realpath(len ? abs : "/", NULL);
		abs[len] = save;
		if (real || len == 0)
			break;
		while (len > 0 && abs[len - 1] != '/')
			len--;
		if (len > 0)
			len--; /* the slash */
	}
	if (!real)
		real = sf_xstrdup("/");
	cut = abs + len;
	if (!strcmp(real, "/") && *cut == '/')
		out = sf_xstrdup(cut);
	else
		out = sf_xasprintf("%s%s", real, cut);
	if (existing)
		*existing = real;
	else
		free(real);
	free(abs);
	return out;
}

/* ---- opening ---- */

int
sf_git_open(struct sf_git_repo **out, const char *path, struct sf_err *err)
{
	struct sf_git_repo *r;
	git_repository *repo = NULL;
	char *start = NULL, *full;
	int rc;

	*out = NULL;
	git_libgit2_init();
	full = physical_path(path, &start);
	free(full);
	rc = git_repository_open_ext(&repo, start, 0, NULL);
	free(start);
	if (rc == GIT_ENOTFOUND) {
		git_libgit2_shutdown();
		return sf_error(err, SF_ENOTFOUND, path,
		    "not in a git repository (or any of its parents)");
	}
	if (rc < 0) {
		rc = sf_error(err, SF_ERROR, path,
		    "cannot open the git "
		    "repository: %s",
		    git_msg());
		git_libgit2_shutdown();
		return rc;
	}
	r = sf_xcalloc(1, sizeof(*r));
	r->repo = repo;
	if (git_repository_workdir(repo)) {
		char *wd = realpath(git_repository_workdir(repo), NULL);
		size_t n;

		r->workdir = wd ? wd : sf_xstrdup(git_repository_workdir(repo));
		n = strlen(r->workdir);
		while (n > 1 && r->workdir[n - 1] == '/')
			r->workdir[--n] = '\0';
	}
	*out = r;
	return SF_OK;
}

void
sf_git_close(struct sf_git_repo *r)
{
	if (!r)
		return;
	git_repository_free(r->repo);
	free(r->workdir);
	free(r);
	git_libgit2_shutdown();
}

const char *
sf_git_workdir(const struct sf_git_repo *r)
{
	return r->workdir;
}

bool
sf_git_is_shallow(const struct sf_git_repo *r)
{
	return git_repository_is_shallow(r->repo) == 1;
}

int
sf_git_relpath(const struct sf_git_repo *r, const char *path, char **out,
    struct sf_err *err)
{
	char *full;
	size_t n;

	*out = NULL;
	if (!r->workdir)
		return sf_error(err, SF_EINVALID, path,
		    "the repository is bare: there is no working tree to "
		    "find the directory in");
	full = physical_path(path, NULL);
	n = strlen(r->workdir);
	if (!strcmp(full, r->workdir)) {
		*out = sf_xstrdup("");
	} else if (!strcmp(r->workdir, "/")) {
		*out = sf_xstrdup(full + 1);
	} else if (!strncmp(full, r->workdir, n) && full[n] == '/') {
		*out = sf_xstrdup(full + n + 1);
	} else {
		int rc = sf_error(err, SF_EINVALID, path,
		    "outside the working tree of the repository at %s",
		    r->workdir);

		free(full);
		return rc;
	}
	free(full);
	return SF_OK;
}

/* ---- files ---- */

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct sf_git_file *)a)->name,
	    ((const struct sf_git_file *)b)->name);
}

static struct sf_git_file *
add_file(struct sf_git_files *f, size_t *alloc, const char *name)
{
	struct sf_git_file *g;

	SF_ALLOC_GROW(f->v, f->n + 1, *alloc);
	g = &f->v[f->n++];
	g->name = sf_xstrdup(name);
	g->data = NULL;
	g->len = 0;
	return g;
}

void
sf_git_files_release(struct sf_git_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].data);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

/* The tree of directory subdir in root (a new reference), or NULL. */
static git_tree *
subtree(git_repository *repo, git_tree *root, const char *subdir)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;

	if (!*subdir) {
		if (git_tree_dup(&t, root) < 0)
			return NULL;
		return t;
	}
	if (git_tree_entry_bypath(&e, root, subdir) < 0)
		return NULL;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		git_tree_lookup(&t, repo, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return t;
}

/* Resolve ref to a tree (and the commit it came from, when it is one). */
static int
resolve(struct sf_git_repo *r, const char *ref, const char *side,
    git_tree **tree, char commit[41], struct sf_err *err)
{
	git_object *obj = NULL, *peeled = NULL;
	int rc;

	commit[0] = '\0';
	rc = git_revparse_single(&obj, r->repo, ref);
	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
		if (sf_git_is_shallow(r))
			return sf_error(err, SF_ENOTFOUND, side,
			    "no such ref (this is a shallow clone: the commit "
			    "may be older than its history; fetch it with "
			    "`git fetch --deepen=N` or `git fetch "
			    "--unshallow`)");
		return sf_error(err, SF_ENOTFOUND, side, "no such ref");
	}
	if (rc == GIT_EAMBIGUOUS)
		return sf_error(err, SF_EINVALID, side,
		    "ambiguous ref: it names more than one object; give more "
		    "of the sha or the full ref name");
	if (rc < 0)
		return sf_error(err, SF_ERROR, side, "%s", git_msg());
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
		git_oid_tostr(commit, 41, git_object_id(peeled));
		rc = git_commit_tree(tree, (git_commit *)peeled);
	} else {
		rc = git_object_peel(&peeled, obj, GIT_OBJECT_TREE);
		if (rc == 0)
			rc = git_tree_dup(tree, (git_tree *)peeled);
	}
	git_object_free(peeled);
	git_object_free(obj);
	if (rc == GIT_ENOTFOUND)
		return sf_error(err, SF_ENOTFOUND, side,
		    "the object it names is not in the repository%s",
		    sf_git_is_shallow(r) ? " (a shallow clone)" : "");
	if (rc < 0)
		return sf_error(err, SF_EINVALID, side,
		    "not a commit or a tree: %s", git_msg());
	return SF_OK;
}

int
sf_git_read_manifests(struct sf_git_repo *r, const char *ref,
    const char *subdir, const char *side, struct sf_git_files *out,
    struct sf_err *err)
{
	git_tree *root = NULL, *dir = NULL;
	size_t i, n, alloc = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = resolve(r, ref, side, &root, out->commit, err);
	if (rc)
		return rc;
	dir = subtree(r->repo, root, subdir);
	git_tree_free(root);
	if (!dir)
		return sf_error(err, SF_EINVALID, side,
		    "no manifests in %s at that commit (no such directory)",
		    *subdir ? subdir : "the top directory");
	n = git_tree_entrycount(dir);
	for (i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(dir, i);
		git_filemode_t mode = git_tree_entry_filemode(e);
		git_blob *blob = NULL;
		struct sf_git_file *f;
		size_t len;

		if (!sf_manifest_is_manifest_name(git_tree_entry_name(e)))
			continue;
		/* Symbolic links and submodules are not followed. */
		if (mode != GIT_FILEMODE_BLOB &&
		    mode != GIT_FILEMODE_BLOB_EXECUTABLE)
			continue;
		if (git_blob_lookup(&blob, r->repo, git_tree_entry_id(e)) < 0) {
			rc = sf_error(err, SF_ERROR, side, "%s%s%s: %s", subdir,
			    *subdir ? "/" : "", git_tree_entry_name(e),
			    git_msg());
			git_tree_free(dir);
			sf_git_files_release(out);
			return rc;
		}
		f = add_file(out, &alloc, git_tree_entry_name(e));
		len = (size_t)git_blob_rawsize(blob);
		f->data = sf_xmalloc(len + 1);
		memcpy(f->data, git_blob_rawcontent(blob), len);
		f->data[len] = '\0';
		f->len = len;
		git_blob_free(blob);
	}
	git_tree_free(dir);
	if (!out->n) {
		char commit[41];

		memcpy(commit, out->commit, sizeof(commit));
		sf_git_files_release(out);
		memcpy(out->commit, commit, sizeof(commit));
		return sf_error(err, SF_EINVALID, side,
		    "no manifests in %s at that commit (no *.yaml or *.yml "
		    "files directly inside it)",
		    *subdir ? subdir : "the top directory");
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_file);
	return SF_OK;
}

int
sf_git_read_dir(const char *dir, struct sf_git_files *out, struct sf_err *err)
{
	DIR *d;
	struct dirent *de;
	size_t i, alloc = 0;
	int rc = SF_OK;

	memset(out, 0, sizeof(*out));
	d = opendir(dir);
	if (!d)
		return sf_error(err, errno == ENOENT ? SF_ENOTFOUND : SF_ERROR,
		    dir, "cannot read the directory: %s", strerror(errno));
	while ((de = readdir(d)))
		if (sf_manifest_is_manifest_name(de->d_name))
			add_file(out, &alloc, de->d_name);
	closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_file);
	for (i = 0; i < out->n; i++) {
		struct sf_git_file *f = &out->v[i];
		char *path = sf_fs_join(dir, f->name);
		struct sf_buf b = SF_BUF_INIT;

		if (sf_fs_is_dir(path)) {
			free(path);
			free(f->name);
			memmove(f, f + 1, (out->n - i - 1) * sizeof(*f));
			out->n--;
			i--;
			continue;
		}
		rc = sf_fs_read(path, SF_MANIFEST_MAX_BYTES, &b, err);
		free(path);
		if (rc) {
			sf_buf_release(&b);
			sf_git_files_release(out);
			return rc;
		}
		f->data = sf_buf_detach(&b, &f->len);
	}
	return SF_OK;
}

void
sf_git_manifest_hash(const struct sf_git_files *f, char out[SF_GIT_HASH_HEX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, k;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t i;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		sf_die("SHA-256 is not available");
	for (i = 0; i < f->n; i++) {
		char len[32];
		int n = snprintf(len, sizeof(len), "%zu", f->v[i].len);

		EVP_DigestUpdate(ctx, f->v[i].name, strlen(f->v[i].name) + 1);
		EVP_DigestUpdate(ctx, len, (size_t)n + 1);
		EVP_DigestUpdate(ctx, f->v[i].data, f->v[i].len);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (k = 0; k < mdlen && k < 32; k++) {
		out[2 * k] = hex[md[k] >> 4];
		out[2 * k + 1] = hex[md[k] & 15];
	}
	out[2 * k] = '\0';
}

/* ---- provenance ---- */

static void
head_branch(git_repository *repo, char *out, size_t n)
{
	git_reference *head = NULL;
	const char *target;

	snprintf(out, n, "detached");
	if (git_repository_head_detached(repo) == 1)
		return;
	if (git_reference_lookup(&head, repo, "HEAD") < 0)
		return;
	target = git_reference_symbolic_target(head);
	if (target) {
		if (sf_str_has_prefix(target, "refs/heads/"))
			target += strlen("refs/heads/");
		snprintf(out, n, "%s", target);
	}
	git_reference_free(head);
}

/* Whether the untracked file at path is a manifest of directory rel. */
static bool
untracked_manifest(const char *path, const char *rel)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0;

	if (strlen(rel) != dlen || strncmp(path, rel, dlen))
		return false;
	return sf_manifest_is_manifest_name(slash ? slash + 1 : path);
}

static int
is_dirty(git_repository *repo, const char *rel, bool *dirty, struct sf_err *err)
{
	git_status_options o;
	git_status_list *list = NULL;
	size_t i, n;

	*dirty = false;
	git_status_options_init(&o, GIT_STATUS_OPTIONS_VERSION);
	o.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	o.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
	          GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
	          GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&list, repo, &o) < 0)
		return sf_error(err, SF_ERROR, "git status", "%s", git_msg());
	n = git_status_list_entrycount(list);
	for (i = 0; i < n && !*dirty; i++) {
		const git_status_entry *e = git_status_byindex(list, i);

		if (e->status == GIT_STATUS_WT_NEW) {
			const char *p = e->index_to_workdir
			                    ? e->index_to_workdir->new_file.path
			                    : NULL;

			if (p && untracked_manifest(p, rel))
				*dirty = true;
			continue;
		}
		if (e->status != GIT_STATUS_CURRENT &&
		    !(e->status & GIT_STATUS_IGNORED))
			*dirty = true;
	}
	git_status_list_free(list);
	return SF_OK;
}

int
sf_git_provenance(
    const char *dir, struct sf_git_provenance *out, struct sf_err *err)
{
	struct sf_git_repo *r = NULL;
	struct sf_git_files files;
	git_oid oid;
	char *rel = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sf_git_read_dir(dir, &files, err);
	if (rc)
		return rc;
	sf_git_manifest_hash(&files, out->manifest_hash);
	sf_git_files_release(&files);
	rc = sf_git_open(&r, dir, err);
	if (rc)
		return rc;
	if (git_reference_name_to_id(&oid, r->repo, "HEAD") == 0)
		git_oid_tostr(out->commit, sizeof(out->commit), &oid);
	head_branch(r->repo, out->branch, sizeof(out->branch));
	rc = sf_git_relpath(r, dir, &rel, err);
	if (!rc)
		rc = is_dirty(r->repo, rel, &out->dirty, err);
	free(rel);
	sf_git_close(r);
	return rc;
}
