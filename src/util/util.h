/*
 * The base every module stands on: allocation that aborts on exhaustion,
 * the error idiom, and the growable string buffer.
 */
#ifndef SF_UTIL_H
#define SF_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SF_NORETURN     __attribute__((noreturn))

/* Results: 0 on success, one of these (negative) otherwise. */
enum sf_code {
	SF_OK = 0,
	SF_ERROR = -1,     /* anything not listed below */
	SF_ENOTFOUND = -2, /* the thing asked for does not exist */
	SF_EINVALID = -3,  /* bad input: the user must change something */
	SF_ECONFLICT = -4, /* someone else holds or changed it */
	SF_EREMOTE = -5,   /* the control plane answered with an error */
	SF_EINTR = -6,     /* interrupted by a signal */
};

#define SF_ERR_WHERE 128
#define SF_ERR_MSG   512

/* One error, filled by the function that failed and printed once by main. */
struct sf_err {
	enum sf_code code;
	char where[SF_ERR_WHERE]; /* a path, a resource, an operation */
	char msg[SF_ERR_MSG];     /* one line, no trailing period */
};

/* Fill err (which may be NULL) and return code, for `return sf_error(...)`. */
int sf_error(struct sf_err *err, enum sf_code code, const char *where,
    const char *fmt, ...) SF_PRINTF(4, 5);
int sf_verror(struct sf_err *err, enum sf_code code, const char *where,
    const char *fmt, va_list ap) SF_PRINTF(4, 0);
void sf_err_clear(struct sf_err *err);
const char *sf_code_name(enum sf_code code);

SF_NORETURN void sf_die(const char *fmt, ...) SF_PRINTF(1, 2);

void *sf_xmalloc(size_t n);
void *sf_xcalloc(size_t nmemb, size_t size);
void *sf_xrealloc(void *p, size_t n);
char *sf_xstrdup(const char *s);
char *sf_xstrndup(const char *s, size_t n);
char *sf_xasprintf(const char *fmt, ...) SF_PRINTF(1, 2);

/* Grow array a (of *alloc elements) so that it holds at least n. */
#define SF_ALLOC_GROW(a, n, alloc)                                         \
	do {                                                               \
		if ((n) > (alloc)) {                                       \
			size_t sf_ag_new_ = (alloc) ? (alloc)*2 : 8;       \
			if (sf_ag_new_ < (n))                              \
				sf_ag_new_ = (n);                          \
			(a) = sf_xrealloc((a), sf_ag_new_ * sizeof(*(a))); \
			(alloc) = sf_ag_new_;                              \
		}                                                          \
	} while (0)

/*
 * A growable, always NUL-terminated string. buf is never NULL: an empty
 * buffer points at a shared empty string until something is added.
 * Ownership leaves only through sf_buf_detach.
 */
struct sf_buf {
	char *buf;
	size_t len;
	size_t alloc;
};

extern char sf_buf_empty[];
#define SF_BUF_INIT                \
	{                          \
		sf_buf_empty, 0, 0 \
	}

void sf_buf_init(struct sf_buf *b, size_t hint);
void sf_buf_release(struct sf_buf *b);
/* Release after overwriting every byte: for buffers that held secrets. */
void sf_buf_release_secret(struct sf_buf *b);
/* Overwrite n bytes at p in a way the compiler keeps. */
void sf_wipe(void *p, size_t n);
void sf_buf_reset(struct sf_buf *b);
void sf_buf_grow(struct sf_buf *b, size_t extra);
void sf_buf_add(struct sf_buf *b, const void *data, size_t len);
void sf_buf_adds(struct sf_buf *b, const char *s);
void sf_buf_addch(struct sf_buf *b, int c);
void sf_buf_addf(struct sf_buf *b, const char *fmt, ...) SF_PRINTF(2, 3);
void sf_buf_vaddf(struct sf_buf *b, const char *fmt, va_list ap)
    SF_PRINTF(2, 0);
void sf_buf_setlen(struct sf_buf *b, size_t len);
/* The len bytes at s as a JSON string, quotes included; control characters
 * and DEL escaped, other bytes (UTF-8) as they are. */
void sf_buf_add_json_str(struct sf_buf *b, const char *s, size_t len);
/* s as a JSON string, owned; NULL for NULL. */
char *sf_json_str_value(const char *s);
/* The n strings as a sorted JSON array (a set), owned; NULL when n is 0. */
char *sf_json_set_value(const char *const *v, size_t n);
char *sf_buf_detach(struct sf_buf *b, size_t *len);

/* Strings. */
bool sf_str_has_prefix(const char *s, const char *prefix);
bool sf_str_has_suffix(const char *s, const char *suffix);
/* Edit distance, capped: returns max + 1 once the distance exceeds max. */
size_t sf_str_distance(const char *a, const char *b, size_t max);
/* The candidate closest to s, or NULL when none is close enough. */
const char *sf_str_closest(
    const char *s, const char *const *candidates, size_t n);
/* Whether s (of len bytes) is valid UTF-8; *bad gets the offset if not. */
bool sf_utf8_valid(const char *s, size_t len, size_t *bad);
/* Append s to b quoted for a message: "..." with control bytes escaped. */
void sf_buf_add_quoted(struct sf_buf *b, const char *s, size_t max);

#include "util/banned.h"

#endif
