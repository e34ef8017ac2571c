/*
 * A line-based diff of two texts (longest common subsequence), printed as
 * a unified diff: "@@ -a,b +c,d @@" hunks with context lines, as diff -u
 * and git show them. For step code, which is short: past a size where the
 * table would be too big, the differing middle is shown as removed, then
 * added.
 */
#ifndef SF_TEXTDIFF_H
#define SF_TEXTDIFF_H

#include "util/util.h"

/* Cells of the LCS table beyond which the middle is not aligned. */
#define SF_TEXTDIFF_MAX_CELLS (4u * 1024 * 1024)

/*
 * The hunks (no ---/+++ header) that turn a into b, with ctx lines of
 * context, appended to out. A text's last line need not end in a newline;
 * the difference between "x" and "x\n" is not shown. Returns whether the
 * texts differ.
 */
bool sf_textdiff_unified(
    struct sf_buf *out, const char *a, const char *b, unsigned ctx);

#endif
