/*
 * GitHub-flavoured Markdown for PR comments, shared by `diff --format
 * markdown` and (later) `plan --format markdown`: escaping, values that
 * are redacted before they are quoted, and a comment kept under GitHub's
 * size limit by leaving out whole resource blocks from the end, with a
 * note naming what was left out.
 */
#ifndef SF_MD_H
#define SF_MD_H

#include "util/util.h"

/* GitHub refuses comments longer than this (characters; bytes are >=). */
#define SF_MD_LIMIT 65536

/* Text with Markdown's and HTML's special characters escaped. */
void sf_md_text(struct sf_buf *b, const char *s);
/* s as <code>...</code>, safe inside a table cell; redacted first. */
void sf_md_code(struct sf_buf *b, const char *s, size_t *redactions);
/* A fenced code block (a fence longer than any run of backticks in
 * text); redacted first. */
void sf_md_fence(
    struct sf_buf *b, const char *lang, const char *text, size_t *redactions);

/* A comment: a head and a foot that are always kept, and blocks between. */
struct sf_md_block {
	char *kind;  /* "interpreter": what the note counts */
	char *label; /* "web": what the note names */
	char *text;
	size_t len;
};

struct sf_md_doc {
	struct sf_buf head, foot;
	struct sf_md_block *blocks;
	size_t n, alloc;
};

void sf_md_init(struct sf_md_doc *d);
void sf_md_release(struct sf_md_doc *d);
/* Add a block; takes text's contents (text is left empty). */
void sf_md_add(struct sf_md_doc *d, const char *kind, const char *label,
    struct sf_buf *text);
/*
 * Append the comment to out in at most limit bytes (0: SF_MD_LIMIT): the
 * head, then blocks in order while they fit, then when some did not, a
 * note saying how many of which kind were left out and how to see them
 * all (hint: "run `sandform diff --base main`"), then the foot. A head
 * that alone is too long is cut too.
 */
void sf_md_finish(
    struct sf_md_doc *d, size_t limit, const char *hint, struct sf_buf *out);

#endif
