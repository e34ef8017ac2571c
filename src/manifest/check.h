/*
 * Reading typed values out of YAML nodes, with a diagnostic for anything
 * that is not what was expected. Every reader returns true when it produced
 * a value; on false a diagnostic has been added.
 */
#ifndef SF_MANIFEST_CHECK_H
#define SF_MANIFEST_CHECK_H

#include "manifest/internal.h"

struct regex_seen {
	const char *re;
	struct regex_seen *next;
};

struct cv {
	struct sf_config *c;
	struct sf_diags *d;
	struct interp_ctx ic;
	struct sf_buf tmp;
	const char *dir;                    /* the current file's directory */
	struct regex_seen *regex_seen[256]; /* valid expressions, by hash */
	bool literal; /* policy: ${...} is refused, not expanded */
};

/* The patterns of the AgentCore model and of sandform's own names. */
enum sf_pattern {
	PAT_INTERPRETER_NAME,
	PAT_JOB_NAME,
	PAT_VARIABLE_NAME,
	PAT_ROLE_ARN,
	PAT_SUBNET,
	PAT_SECURITY_GROUP,
	PAT_SECRET_ARN,
	PAT_TAG,
	PAT_REGION,
	PAT__COUNT
};

bool sf_pattern_match(enum sf_pattern p, const char *s);
/* The pattern as a POSIX extended regular expression (for tests). */
const char *sf_pattern_regex(enum sf_pattern p);
/* What the pattern means, for messages: "1-48 letters, digits and ...". */
const char *sf_pattern_describe(enum sf_pattern p);

/* "a list", "the number 42", "null", ... for "must be X, not Y". */
void describe_node(struct sf_buf *out, const struct node *n);

bool expect_map(struct cv *cv, const struct node *n, const char *path);
bool expect_seq(struct cv *cv, const struct node *n, const char *path);

/*
 * Report duplicate and unknown keys of map n (marking them to skip), and
 * put the value of known[i] in slots[i] (NULL when absent). With known
 * NULL, any key goes and slots is not used.
 */
void check_keys(struct cv *cv, struct node *n, const char *path,
    const char *const *known, size_t nknown, struct node **slots);

/* A string; plain scalars that are numbers, booleans or null are refused
 * unless any_scalar. Interpolated when interp. */
bool read_str(struct cv *cv, const struct node *n, const char *path,
    bool interp, bool any_scalar, struct sf_lstr *out);
bool read_int(struct cv *cv, const struct node *n, const char *path,
    int64_t min, int64_t max, struct sf_lint *out);
/* Seconds, or "1h30m"; unit is used in range messages. */
bool read_duration(struct cv *cv, const struct node *n, const char *path,
    int64_t min, int64_t max, struct sf_lint *out);
bool read_bool(
    struct cv *cv, const struct node *n, const char *path, bool *out);
/* One of values[]; *out is its index. */
bool read_enum(struct cv *cv, const struct node *n, const char *path,
    const char *const *values, size_t nvalues, int *out, struct sf_pos *pos);
/* A list of strings matching pattern (unless pattern < 0), min..max long. */
bool read_str_list(struct cv *cv, const struct node *n, const char *path,
    size_t min, size_t max, int pattern, bool unique, struct sf_lstrs *out);

/* Text of "path.key" in the arena-free temporary sense: caller frees. */
char *sf_path_join(const char *path, const char *key);

#endif
