/* What the three renderings of a diff share (internal to src/diff). */
#ifndef SF_DIFF_RENDER_H
#define SF_DIFF_RENDER_H

#include "diff/diff.h"

/* "$1.23" */
void sf_diff_money(char *out, size_t n, double v);
/* "main (1a2b3c4)", "the working tree (HEAD 1a2b3c4, with uncommitted
 * changes)" */
void sf_diff_side_text(char *out, size_t n, const struct sf_diff_side *s);
/* "interpreters" */
const char *sf_diff_plural(enum sf_diff_kind k);
/* "will be replaced", "changes" */
const char *sf_diff_headline(const struct sf_diff_change *c);
/* "interpreters: 1 to add, ...; jobs: ...; 3 risk notes" */
void sf_diff_summary_line(char *out, size_t n, const struct sf_diff *d);
/* How the costs were estimated, one sentence. */
void sf_diff_cost_note(char *out, size_t n, const struct sf_rates *r);

/* "3 strings that look like secrets were redacted." (a static buffer) */
const char *sf_diff_redacted_note(size_t n);

#endif
