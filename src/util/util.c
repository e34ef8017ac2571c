#include <errno.h>

#include "util/util.h"

char sf_buf_empty[1];

int
sf_verror(struct sf_err *err, enum sf_code code, const char *where,
    const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	snprintf(err->where, sizeof(err->where), "%s", where ? where : "");
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int
sf_error(struct sf_err *err, enum sf_code code, const char *where,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sf_verror(err, code, where, fmt, ap);
	va_end(ap);
	return code;
}

void
sf_err_clear(struct sf_err *err)
{
	err->code = SF_OK;
	err->where[0] = '\0';
	err->msg[0] = '\0';
}

const char *
sf_code_name(enum sf_code code)
{
	switch (code) {
	case SF_OK:
		return "ok";
	case SF_ENOTFOUND:
		return "not found";
	case SF_EINVALID:
		return "invalid";
	case SF_ECONFLICT:
		return "conflict";
	case SF_EREMOTE:
		return "remote error";
	case SF_EINTR:
		return "interrupted";
	case SF_ERROR:
		break;
	}
	return "error";
}

void
sf_die(const char *fmt, ...)
{
	va_list ap;

	fputs("sandform: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *
sf_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		sf_die("out of memory allocating %zu bytes", n);
	return p;
}

void *
sf_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		sf_die("out of memory allocating %zu x %zu bytes", nmemb, size);
	return p;
}

void *
sf_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		sf_die("out of memory allocating %zu bytes", n);
	return q;
}

char *
sf_xstrdup(const char *s)
{
	return sf_xstrndup(s, strlen(s));
}

char *
sf_xstrndup(const char *s, size_t n)
{
	char *p = sf_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
sf_xasprintf(const char *fmt, ...)
{
	struct sf_buf b = SF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return sf_buf_detach(&b, NULL);
}

void
sf_buf_init(struct sf_buf *b, size_t hint)
{
	b->buf = sf_buf_empty;
	b->len = 0;
	b->alloc = 0;
	if (hint)
		sf_buf_grow(b, hint);
}

void
sf_buf_release(struct sf_buf *b)
{
	if (b->alloc)
		free(b->buf);
	sf_buf_init(b, 0);
}

void
sf_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

void
sf_buf_release_secret(struct sf_buf *b)
{
	if (b->alloc)
		sf_wipe(b->buf, b->alloc);
	sf_buf_release(b);
}

void
sf_buf_reset(struct sf_buf *b)
{
	sf_buf_setlen(b, 0);
}

void
sf_buf_grow(struct sf_buf *b, size_t extra)
{
	size_t want;

	if (extra > SIZE_MAX - b->len - 1)
		sf_die("buffer size overflow");
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return;
	if (!b->alloc)
		b->buf = NULL;
	if (want < b->alloc * 2)
		want = b->alloc * 2;
	if (want < 64)
		want = 64;
	b->buf = sf_xrealloc(b->buf, want);
	if (!b->alloc)
		b->buf[0] = '\0';
	b->alloc = want;
}

void
sf_buf_setlen(struct sf_buf *b, size_t len)
{
	if (!b->alloc) {
		if (len)
			sf_die("sf_buf_setlen beyond an empty buffer");
		return;
	}
	if (len >= b->alloc)
		sf_die("sf_buf_setlen beyond the allocation");
	b->len = len;
	b->buf[len] = '\0';
}

void
sf_buf_add(struct sf_buf *b, const void *data, size_t len)
{
	if (!len)
		return;
	sf_buf_grow(b, len);
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void
sf_buf_adds(struct sf_buf *b, const char *s)
{
	sf_buf_add(b, s, strlen(s));
}

void
sf_buf_addch(struct sf_buf *b, int c)
{
	sf_buf_grow(b, 1);
	b->buf[b->len++] = (char)c;
	b->buf[b->len] = '\0';
}

void
sf_buf_vaddf(struct sf_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	sf_buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		sf_die("vsnprintf failed: %s", strerror(errno));
	if ((size_t)n >= b->alloc - b->len) {
		sf_buf_grow(b, (size_t)n);
		n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
sf_buf_add_json_str(struct sf_buf *b, const char *s, size_t len)
{
	size_t i;

	sf_buf_addch(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			sf_buf_addch(b, '\\');
			sf_buf_addch(b, c);
		} else if (c == '\n') {
			sf_buf_adds(b, "\\n");
		} else if (c == '\t') {
			sf_buf_adds(b, "\\t");
		} else if (c == '\r') {
			sf_buf_adds(b, "\\r");
		} else if (c < 0x20 || c == 0x7f) {
			sf_buf_addf(b, "\\u%04x", c);
		} else {
			sf_buf_addch(b, c);
		}
	}
	sf_buf_addch(b, '"');
}

char *
sf_json_str_value(const char *s)
{
	struct sf_buf b = SF_BUF_INIT;

	if (!s)
		return NULL;
	sf_buf_add_json_str(&b, s, strlen(s));
	return sf_buf_detach(&b, NULL);
}

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *
sf_json_set_value(const char *const *v, size_t n)
{
	struct sf_buf b = SF_BUF_INIT;
	const char **s;
	size_t i;

	if (!n)
		return NULL;
	s = sf_xmalloc(n * sizeof(*s));
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_cstr);
	sf_buf_addch(&b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			sf_buf_adds(&b, ", ");
		sf_buf_add_json_str(&b, s[i], strlen(s[i]));
	}
	sf_buf_addch(&b, ']');
	free(s);
	return sf_buf_detach(&b, NULL);
}

void
sf_buf_addf(struct sf_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sf_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *
sf_buf_detach(struct sf_buf *b, size_t *len)
{
	char *p;

	if (!b->alloc)
		sf_buf_grow(b, 0);
	p = b->buf;
	if (len)
		*len = b->len;
	sf_buf_init(b, 0);
	return p;
}

bool
sf_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
sf_str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

size_t
sf_str_distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[65];

	if (lb > 64 || la > 64)
		return max + 1;
	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], best;

		row[0] = i;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t v = diag + cost;

			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > max)
			return max + 1;
	}
	return row[lb] > max ? max + 1 : row[lb];
}

const char *
sf_str_closest(const char *s, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d, max, i;

	/* A third of the word, at least one edit and at most three. */
	max = strlen(s) / 3;
	if (max < 1)
		max = 1;
	if (max > 3)
		max = 3;
	best_d = max + 1;
	for (i = 0; i < n; i++) {
		size_t d = sf_str_distance(s, candidates[i], max);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}

bool
sf_utf8_valid(const char *s, size_t len, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n, k;
		uint32_t cp;

		if (c < 0x80) {
			if (c == 0)
				goto invalid;
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			goto invalid;
		}
		if (len - i <= n)
			goto invalid;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto invalid;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto invalid;
		i += n + 1;
	}
	return true;
invalid:
	if (bad)
		*bad = i;
	return false;
}

void
sf_buf_add_quoted(struct sf_buf *b, const char *s, size_t max)
{
	size_t i;

	sf_buf_addch(b, '"');
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == max) {
			sf_buf_adds(b, "...");
			break;
		}
		if (c == '"' || c == '\\') {
			sf_buf_addch(b, '\\');
			sf_buf_addch(b, c);
		} else if (c == '\n') {
			sf_buf_adds(b, "\\n");
		} else if (c == '\t') {
			sf_buf_adds(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			sf_buf_addf(b, "\\x%02x", c);
		} else {
			sf_buf_addch(b, c);
		}
	}
	sf_buf_addch(b, '"');
}
