/*
 * Source positions and diagnostics: what the user must fix, and where.
 * Lines and columns are 1-based; columns count characters, as editors do.
 */
#ifndef SF_DIAG_H
#define SF_DIAG_H

#include "util/util.h"

struct sf_pos {
	const char *file; /* borrowed: lives as long as the loaded sources */
	uint32_t line, col;
	uint32_t end_line, end_col; /* one past the last character */
};

enum sf_severity { SF_SEV_ERROR, SF_SEV_WARNING };

struct sf_diag {
	enum sf_severity severity;
	struct sf_pos pos;
	char *summary; /* one line: what is wrong */
	char *detail;  /* optional: what was expected, a hint; may be NULL */
};

struct sf_diags {
	struct sf_diag *v;
	size_t n, alloc;
	size_t errors, warnings;
};

void sf_diags_init(struct sf_diags *d);
void sf_diags_release(struct sf_diags *d);
/* Add a diagnostic; returns SF_EINVALID for errors so callers can return it. */
int sf_diag_add(struct sf_diags *d, enum sf_severity sev,
    const struct sf_pos *pos, const char *detail, const char *fmt, ...)
    SF_PRINTF(5, 6);
#define sf_diag_error(d, pos, ...) \
	sf_diag_add((d), SF_SEV_ERROR, (pos), NULL, __VA_ARGS__)
/* Stable order: by file, line, column, then the order they were added. */
void sf_diags_sort(struct sf_diags *d);

#endif
