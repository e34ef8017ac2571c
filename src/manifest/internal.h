/* Inside the manifest module: the YAML tree with positions. */
#ifndef SF_MANIFEST_INTERNAL_H
#define SF_MANIFEST_INTERNAL_H

#include "manifest/manifest.h"

enum node_kind { NODE_SCALAR, NODE_MAP, NODE_SEQ };

/* How a scalar was written: plain scalars resolve to null/bool/int/float. */
enum scalar_style { STYLE_PLAIN, STYLE_QUOTED, STYLE_BLOCK };

struct node;

struct node_pair {
	struct node *key;
	struct node *value;
	bool skip; /* a duplicate key, already reported */
};

struct node {
	enum node_kind kind;
	enum scalar_style style;
	struct sf_pos pos;
	char *value; /* scalar text, NUL-terminated */
	size_t len;
	struct node_pair *pairs; /* map */
	struct node **items;     /* seq */
	size_t n;
};

/*
 * Parse one file's text into a tree allocated in arena. Returns the root
 * (NULL for a file with no content) and adds diagnostics for syntax errors
 * and unsupported YAML (aliases, tags, several documents). *ok is false when
 * any error was added.
 */
struct node *sf_yaml_parse(struct sf_arena *arena, const char *file,
    const char *data, size_t len, struct sf_diags *diags, bool *ok);

/*
 * Where byte off (len bytes) of scalar n's text was written: exact for
 * single-line scalars without escapes, n's own position otherwise.
 */
struct sf_pos sf_node_subpos(const struct node *n, size_t off, size_t len);

/* ${var.X} / ${env.X} / $${ expansion. */
struct interp_ctx {
	const struct sf_variable *vars;
	size_t nvars;
	bool allow_vars; /* false inside variable values themselves */
	const char *(*getenv)(const char *name, void *ud);
	void *getenv_ud;
};

/*
 * Expand scalar n's text into out. Returns 0, or SF_EINVALID after adding
 * a diagnostic at the offending reference. *changed tells whether anything
 * was substituted.
 */
int sf_interp_expand(const struct interp_ctx *ic, const struct node *n,
    struct sf_buf *out, bool *changed, struct sf_diags *diags);

/* Convert the files' trees to the model: see convert.c. */
struct file_tree {
	const char *path;
	const char *dir; /* the file's directory, for files[].source */
	struct node *root;
	bool failed;         /* unreadable or not YAML: diagnosed already */
	struct node *top[8]; /* the top-level keys' values, by convert.c */
};

int sf_convert(struct sf_config *c, struct file_tree *files, size_t nfiles,
    const struct sf_manifest_opts *opts, struct sf_diags *diags);

#endif
