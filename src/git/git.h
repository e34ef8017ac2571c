/*
 * Git: the manifests of a configuration at any revision, read straight
 * from the object database (no checkout, so a detached HEAD, a shallow
 * clone that has the commit and a dirty working tree are all fine), and
 * the provenance of a working tree (commit, branch, dirty, manifest hash)
 * for the state and the run records. The only module that includes
 * <git2.h>.
 */
#ifndef SF_GIT_H
#define SF_GIT_H

#include "util/util.h"

struct sf_git_repo;

/*
 * Open the repository that contains path (searching upward from it, or
 * from its closest existing parent). SF_ENOTFOUND when there is none.
 */
int sf_git_open(struct sf_git_repo **out, const char *path, struct sf_err *err);
void sf_git_close(struct sf_git_repo *r);

/* The working tree's top directory with no trailing slash; NULL if bare. */
const char *sf_git_workdir(const struct sf_git_repo *r);
bool sf_git_is_shallow(const struct sf_git_repo *r);

/*
 * Where directory path (relative to the current directory or absolute;
 * it need not exist) is inside the working tree: "" for the top,
 * "examples/x" below it. SF_EINVALID when it is outside. Caller frees.
 */
int sf_git_relpath(const struct sf_git_repo *r, const char *path, char **out,
    struct sf_err *err);

/* One manifest file as read from a tree or the disk. */
struct sf_git_file {
	char *name; /* the base name: "a.yaml" */
	char *data;
	size_t len;
};

struct sf_git_files {
	struct sf_git_file *v; /* sorted by name (bytewise) */
	size_t n;
	char commit[41]; /* the commit the ref resolved to; "" for a tree */
};

/*
 * The manifests (sf_manifest_is_manifest_name) directly inside directory
 * subdir ("" for the top) of the tree that ref names: a branch, a tag, a
 * sha, "HEAD~1", "origin/main", anything git rev-parse takes. Errors name
 * the ref in err->where as side ("--base main"):
 *   SF_ENOTFOUND  "no such ref" (with a hint in a shallow clone)
 *   SF_EINVALID   "no manifests in SUBDIR at that commit"
 */
int sf_git_read_manifests(struct sf_git_repo *r, const char *ref,
    const char *subdir, const char *side, struct sf_git_files *out,
    struct sf_err *err);
/* The same for a directory on disk (what `validate DIR` reads). */
int sf_git_read_dir(
    const char *dir, struct sf_git_files *out, struct sf_err *err);
void sf_git_files_release(struct sf_git_files *f);

/*
 * The manifest hash: SHA-256, in lower-case hex, over the files in name
 * order, each as its name, a NUL, its length in decimal, a NUL and its
 * bytes. Base names only, so the hash does not depend on where the
 * repository is checked out; a rename changes it.
 */
#define SF_GIT_HASH_HEX 65
void sf_git_manifest_hash(
    const struct sf_git_files *f, char out[SF_GIT_HASH_HEX]);

struct sf_git_provenance {
	char commit[41];  /* HEAD's sha; "" before the first commit */
	char branch[256]; /* "main", or "detached" */
	bool dirty;       /* a change in the index or the working tree, or
	                     an untracked manifest in the directory */
	char manifest_hash[SF_GIT_HASH_HEX]; /* of the files on disk */
};

/*
 * The provenance of the configuration in directory dir. SF_ENOTFOUND
 * when dir is not in a git repository (the caller records no git fields
 * then, but sf_git_read_dir and sf_git_manifest_hash still give a hash).
 */
int sf_git_provenance(
    const char *dir, struct sf_git_provenance *out, struct sf_err *err);

/* "1.5.1": the libgit2 this binary runs with. */
const char *sf_git_version(void);

#endif
