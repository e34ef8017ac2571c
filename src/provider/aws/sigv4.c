/*
 * AWS Signature Version 4, as the AWS SigV4 test suite (aws-c-auth) and
 * botocore have it: canonical request -> string to sign -> signature, with
 * the time passed in. The verifier rebuilds the canonical request of a
 * received request from its SignedHeaders and compares in constant time.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "provider/aws/sigv4.h"

#define WHERE "sigv4"

/* Longest secret access key we take (AWS's are 40 characters). */
#define MAX_SECRET 1024

#define MSG_MISSING_AUTH "Missing Authentication Token"
#define MSG_INVALID_TOKEN \
	"The security token included in the request is invalid."
#define MSG_BAD_SIGNATURE                                                     \
	"The request signature we calculated does not match the signature "   \
	"you provided. Check your AWS Secret Access Key and signing method. " \
	"Consult the service documentation for details."
#define MSG_PAYLOAD_MISMATCH                                              \
	"The provided 'x-amz-content-sha256' header does not match what " \
	"was computed."

/*
 * Headers never signed, as botocore has it (SIGNED_HEADERS_BLACKLIST):
 * proxies and SDK layers add or rewrite them after signing.
 */
static const char *const unsigned_headers[] = {
	"expect",
	"transfer-encoding",
	"user-agent",
	"x-amzn-trace-id",
};

/* Characters. */

static bool
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* RFC 9110 token characters, for methods and header names. */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static char
to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* strcasecmp without the locale: header names are ASCII. */
static int
ascii_casecmp(const char *a, const char *b)
{
	for (; *a && to_lower(*a) == to_lower(*b); a++, b++)
		;
	return (unsigned char)to_lower(*a) - (unsigned char)to_lower(*b);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
is_lower_hex(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void
hex_encode(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* A name for a scope or a key id: printable ASCII, no separators. */
static bool
is_scope_word(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f ||
		    *s == '/' || *s == ',' || *s == '=' || *s == ';')
			return false;
	return true;
}

static bool
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s == 0x7f)
			return true;
	return false;
}

/* Wiping. */

static void
wipe_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

static void
buf_wipe_release(struct sf_buf *b)
{
	if (b->alloc)
		OPENSSL_cleanse(b->buf, b->alloc);
	sf_buf_release(b);
}

/* Crypto: OpenSSL 3 one-shots. */

static void
sha256(unsigned char out[32], const void *data, size_t len)
{
	unsigned int n = 0;

	if (!data)
		len = 0;
	if (!EVP_Digest(data ? data : "", len, out, &n, EVP_sha256(), NULL) ||
	    n != 32)
		sf_die("SHA-256 failed");
}

static void
hmac_sha256(unsigned char out[32], const void *key, size_t key_len,
    const void *data, size_t len)
{
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data,
	        len, out, &n) ||
	    n != 32)
		sf_die("HMAC-SHA256 failed");
}

void
sf_sigv4_sha256_hex(
    char out[SF_SIGV4_HEX_LEN + 1], const void *data, size_t len)
{
	unsigned char md[32];

	sha256(md, data, len);
	hex_encode(out, md, sizeof(md));
}

/*
 * The signature of string_to_sign: HMAC of it under the key derived from
 * the secret, the date, region and service. Every intermediate key is
 * wiped; the secret is copied only into k, which is wiped too.
 */
static void
compute_signature(char out[SF_SIGV4_HEX_LEN + 1], const char *secret,
    const char *date, const char *region, const char *service,
    const char *string_to_sign)
{
	size_t n = strlen(secret);
	unsigned char *k = sf_xmalloc(n + 4);
	unsigned char a[32], b[32];

	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, n);
	hmac_sha256(a, k, n + 4, date, strlen(date));
	hmac_sha256(b, a, sizeof(a), region, strlen(region));
	hmac_sha256(a, b, sizeof(b), service, strlen(service));
	hmac_sha256(
	    b, a, sizeof(a), SF_SIGV4_TERMINATOR, strlen(SF_SIGV4_TERMINATOR));
	hmac_sha256(a, b, sizeof(b), string_to_sign, strlen(string_to_sign));
	hex_encode(out, a, sizeof(a));
	OPENSSL_cleanse(k, n + 4);
	free(k);
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
}

/* Time. */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long long)era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* A YYYYMMDD date: its day number in *days, false when not a date. */
static bool
parse_date8(const char *s, long long *days)
{
	int y = digits(s, 4), m = digits(s + 4, 2), d = digits(s + 6, 2);

	if (y < 0 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	*days = days_from_civil(y, m, d);
	return true;
}

int
sf_sigv4_time_parse(time_t *out, const char *s, struct sf_err *err)
{
	long long days;
	int h, mi, sec;

	if (strlen(s) != SF_SIGV4_DATE_LEN || s[8] != 'T' || s[15] != 'Z' ||
	    !parse_date8(s, &days))
		goto bad;
	h = digits(s + 9, 2);
	mi = digits(s + 11, 2);
	sec = digits(s + 13, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		goto bad;
	*out = (time_t)(days * 86400 + h * 3600 + mi * 60 + sec);
	return 0;
bad:
	return sf_error(err, SF_EINVALID, WHERE,
	    "time is not of the form YYYYMMDDTHHMMSSZ");
}

int
sf_sigv4_time_format(
    char out[SF_SIGV4_DATE_LEN + 1], time_t t, struct sf_err *err)
{
	struct tm tm;
	char tmp[64];

	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900)
		return sf_error(err, SF_EINVALID, WHERE,
		    "time %lld is outside the years 0000-9999", (long long)t);
	snprintf(tmp, sizeof(tmp), "%04d%02d%02dT%02d%02d%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	memcpy(out, tmp, SF_SIGV4_DATE_LEN);
	out[SF_SIGV4_DATE_LEN] = '\0';
	return 0;
}

/* URIs and queries. */

void
sf_sigv4_uri_encode(
    struct sf_buf *out, const char *s, size_t len, bool keep_slash)
{
	static const char digits_upper[] = "0123456789ABCDEF";
	size_t i;

	sf_buf_grow(out, len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_unreserved(c) || (keep_slash && c == '/')) {
			sf_buf_addch(out, c);
		} else {
			sf_buf_addch(out, '%');
			sf_buf_addch(out, digits_upper[c >> 4]);
			sf_buf_addch(out, digits_upper[c & 15]);
		}
	}
}

/*
 * botocore's remove_dot_segments: RFC 3986 5.2.4 plus merged slashes. The
 * result keeps a leading slash, and a trailing one only when the path had
 * one and something is left.
 */
static void
normalize_path(struct sf_buf *out, const char *path)
{
	size_t *stack = NULL, nstack = 0, alloc = 0;
	size_t plen = strlen(path);
	const char *p = path, *end = path + plen;

	if (*path == '/')
		sf_buf_addch(out, '/');
	while (p <= end) {
		const char *q = memchr(p, '/', (size_t)(end - p));
		size_t n;

		if (!q)
			q = end;
		n = (size_t)(q - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* merged slash or "." */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (nstack)
				sf_buf_setlen(out, stack[--nstack]);
		} else {
			SF_ALLOC_GROW(stack, nstack + 1, alloc);
			stack[nstack++] = out->len;
			if (nstack > 1)
				sf_buf_addch(out, '/');
			sf_buf_add(out, p, n);
		}
		p = q + 1;
	}
	if (plen && path[plen - 1] == '/' && nstack)
		sf_buf_addch(out, '/');
	free(stack);
}

void
sf_sigv4_canonical_uri(
    struct sf_buf *out, const char *path, bool normalize, bool double_encode)
{
	struct sf_buf norm = SF_BUF_INIT;
	const char *p = path && *path ? path : "/";

	if (normalize) {
		normalize_path(&norm, p);
		if (!norm.len)
			sf_buf_addch(&norm, '/');
		p = norm.buf;
	}
	if (double_encode)
		sf_sigv4_uri_encode(out, p, strlen(p), true);
	else
		sf_buf_adds(out, p);
	sf_buf_release(&norm);
}

/* One query parameter, key and value in canonical (encoded) form. */
struct qparam {
	char *key;
	char *value;
};

struct qlist {
	struct qparam *v;
	size_t n, alloc;
};

/* Decode %XX escapes (a stray '%' stays itself), then encode RFC 3986. */
static void
reencode(struct sf_buf *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		char c = s[i];
		int hi, lo;

		if (c == '%' && i + 2 < len &&
		    (hi = hex_value(s[i + 1])) >= 0 &&
		    (lo = hex_value(s[i + 2])) >= 0) {
			c = (char)(hi << 4 | lo);
			i += 3;
		} else {
			i++;
		}
		sf_sigv4_uri_encode(out, &c, 1, false);
	}
}

static void
qlist_add(struct qlist *l, char *key, char *value)
{
	SF_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n].key = key;
	l->v[l->n].value = value;
	l->n++;
}

/* Split a raw query into canonical parameters; empty pieces are skipped. */
static void
qlist_parse(struct qlist *l, const char *query)
{
	const char *p = query ? query : "";

	while (*p) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		struct sf_buf k = SF_BUF_INIT, v = SF_BUF_INIT;

		if (n) {
			size_t kn = eq ? (size_t)(eq - p) : n;

			reencode(&k, p, kn);
			if (eq)
				reencode(&v, eq + 1, n - kn - 1);
			qlist_add(l, sf_buf_detach(&k, NULL),
			    sf_buf_detach(&v, NULL));
		}
		p += n;
		if (*p == '&')
			p++;
	}
}

static void
qlist_release(struct qlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		wipe_free(l->v[i].key);
		wipe_free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

static void
qlist_canonical(struct sf_buf *out, struct qlist *l)
{
	size_t i;

	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), qparam_cmp);
	for (i = 0; i < l->n; i++) {
		if (i)
			sf_buf_addch(out, '&');
		sf_buf_adds(out, l->v[i].key);
		sf_buf_addch(out, '=');
		sf_buf_adds(out, l->v[i].value);
	}
}

void
sf_sigv4_canonical_query(struct sf_buf *out, const char *query)
{
	struct qlist l = { 0 };

	qlist_parse(&l, query);
	qlist_canonical(out, &l);
	qlist_release(&l);
}

/* Headers. */

/* A header value as SigV4 signs it: trimmed, white space runs as one. */
static void
add_header_value(struct sf_buf *b, const char *v)
{
	bool pending = false, any = false;

	for (; *v; v++) {
		if (is_space(*v)) {
			pending = true;
			continue;
		}
		if (pending && any)
			sf_buf_addch(b, ' ');
		sf_buf_addch(b, *v);
		pending = false;
		any = true;
	}
}

/*
 * "name:v1,v2\n" for every header of h named name (lowercase), in the
 * order of h. Returns how many there were.
 */
static size_t
add_canonical_header(struct sf_buf *b, const struct sf_sigv4_header *h,
    size_t n, const char *name)
{
	size_t i, found = 0;

	for (i = 0; i < n; i++) {
		if (ascii_casecmp(h[i].name, name) != 0)
			continue;
		if (!found) {
			sf_buf_adds(b, name);
			sf_buf_addch(b, ':');
		} else {
			sf_buf_addch(b, ',');
		}
		add_header_value(b, h[i].value ? h[i].value : "");
		found++;
	}
	if (found)
		sf_buf_addch(b, '\n');
	return found;
}

static bool
is_unsigned_header(const char *name)
{
	size_t i;

	if (ascii_casecmp(name, "authorization") == 0)
		return true;
	for (i = 0; i < SF_ARRAY_LEN(unsigned_headers); i++)
		if (ascii_casecmp(name, unsigned_headers[i]) == 0)
			return true;
	return false;
}

/* The headers of h named name, case-insensitively; the first in *value. */
static size_t
find_header(const struct sf_sigv4_header *h, size_t n, const char *name,
    const char **value)
{
	size_t i, found = 0;

	*value = NULL;
	for (i = 0; i < n; i++) {
		if (ascii_casecmp(h[i].name, name) == 0) {
			if (!found)
				*value = h[i].value ? h[i].value : "";
			found++;
		}
	}
	return found;
}

static int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The sorted, unique lowercase names of the signable headers of h, joined
 * by ';' into signed.
 */
static void
signed_header_names(struct sf_buf *signed_names, char ***names_out,
    size_t *n_out, const struct sf_sigv4_header *h, size_t n)
{
	char **names = sf_xcalloc(n ? n : 1, sizeof(*names));
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		char *l;

		if (is_unsigned_header(h[i].name))
			continue;
		l = sf_xstrdup(h[i].name);
		for (j = 0; l[j]; j++)
			l[j] = to_lower(l[j]);
		names[k++] = l;
	}
	if (k)
		qsort(names, k, sizeof(*names), str_ptr_cmp);
	for (i = 0, j = 0; i < k; i++) {
		if (j && strcmp(names[j - 1], names[i]) == 0) {
			free(names[i]);
			continue;
		}
		names[j++] = names[i];
	}
	for (i = 0; i < j; i++) {
		if (i)
			sf_buf_addch(signed_names, ';');
		sf_buf_adds(signed_names, names[i]);
	}
	*names_out = names;
	*n_out = j;
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* An upper bound on what the canonical request of req can take. */
static size_t
size_hint(const struct sf_sigv4_request *req, size_t extra)
{
	size_t n = 1024 + extra, i;

	n += req->method ? strlen(req->method) : 0;
	n += 6 * (req->path ? strlen(req->path) : 1);
	n += 3 * (req->query ? strlen(req->query) : 0);
	for (i = 0; i < req->nheaders; i++)
		n += 2 * (strlen(req->headers[i].name) +
		             (req->headers[i].value
		                     ? strlen(req->headers[i].value)
		                     : 0)) +
		     4;
	return n;
}

/* Signing. */

void
sf_sigv4_credentials_init(struct sf_sigv4_credentials *c,
    const char *access_key_id, const char *secret_access_key,
    const char *session_token)
{
	c->access_key_id = sf_xstrdup(access_key_id ? access_key_id : "");
	c->secret_access_key =
	    sf_xstrdup(secret_access_key ? secret_access_key : "");
	c->session_token =
	    session_token && *session_token ? sf_xstrdup(session_token) : NULL;
}

void
sf_sigv4_credentials_release(struct sf_sigv4_credentials *c)
{
	wipe_free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	OPENSSL_cleanse(c, sizeof(*c));
	c->access_key_id = NULL;
	c->secret_access_key = NULL;
	c->session_token = NULL;
}

void
sf_sigv4_config_init(struct sf_sigv4_config *cfg, const char *region,
    const char *service, time_t time)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = SF_SIGV4_MODE_HEADERS;
	cfg->region = region;
	cfg->service = service;
	cfg->time = time;
	cfg->normalize_path = true;
	cfg->double_encode_path = true;
	cfg->expires = SF_SIGV4_DEFAULT_EXPIRES;
}

void
sf_sigv4_config_s3(struct sf_sigv4_config *cfg)
{
	cfg->normalize_path = false;
	cfg->double_encode_path = false;
	cfg->add_content_sha256 = true;
}

void
sf_sigv4_result_release(struct sf_sigv4_result *r)
{
	size_t i;

	wipe_free(r->credential_scope);
	wipe_free(r->signed_headers);
	wipe_free(r->payload_hash);
	wipe_free(r->canonical_request);
	wipe_free(r->string_to_sign);
	wipe_free(r->authorization);
	for (i = 0; i < r->nheaders; i++) {
		wipe_free(r->headers[i].name);
		wipe_free(r->headers[i].value);
	}
	free(r->headers);
	wipe_free(r->query);
	OPENSSL_cleanse(r, sizeof(*r));
	r->credential_scope = r->signed_headers = r->payload_hash = NULL;
	r->canonical_request = r->string_to_sign = r->authorization = NULL;
	r->headers = NULL;
	r->query = NULL;
}

static void
result_add_header(
    struct sf_sigv4_result *r, const char *name, const char *value)
{
	r->headers =
	    sf_xrealloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
	r->headers[r->nheaders].name = sf_xstrdup(name);
	r->headers[r->nheaders].value = sf_xstrdup(value);
	r->nheaders++;
}

/* Everything about the inputs that would make a wrong or unsafe signature. */
static int
check_sign_inputs(const struct sf_sigv4_request *req,
    const struct sf_sigv4_credentials *creds, const struct sf_sigv4_config *cfg,
    struct sf_err *err)
{
	const char *v;
	size_t i;

	if (!req->method || !*req->method)
		return sf_error(
		    err, SF_EINVALID, WHERE, "request has no method");
	for (v = req->method; *v; v++)
		if (!is_tchar((unsigned char)*v))
			return sf_error(err, SF_EINVALID, WHERE,
			    "request method is not an HTTP token");
	if (req->path && *req->path && *req->path != '/')
		return sf_error(err, SF_EINVALID, WHERE,
		    "request path does not begin with '/'");
	if (req->path && strchr(req->path, '?'))
		return sf_error(err, SF_EINVALID, WHERE,
		    "request path contains '?': pass the query apart");
	if (!req->body && req->body_len)
		return sf_error(err, SF_EINVALID, WHERE,
		    "request has a body length but no body");
	if (req->payload_hash &&
	    (!*req->payload_hash || has_control(req->payload_hash) ||
	        strchr(req->payload_hash, ' ')))
		return sf_error(err, SF_EINVALID, WHERE,
		    "payload hash is empty or has white space");
	if (!is_scope_word(cfg->region))
		return sf_error(err, SF_EINVALID, WHERE,
		    "region is empty or has white space, '/', ',' or ';'");
	if (!is_scope_word(cfg->service))
		return sf_error(err, SF_EINVALID, WHERE,
		    "service is empty or has white space, '/', ',' or ';'");
	if (!creds || !is_scope_word(creds->access_key_id))
		return sf_error(err, SF_EINVALID, WHERE,
		    "access key id is empty or has white space, '/', ',' "
		    "or ';'");
	if (!creds->secret_access_key || !*creds->secret_access_key)
		return sf_error(
		    err, SF_EINVALID, WHERE, "secret access key is empty");
	if (strlen(creds->secret_access_key) > MAX_SECRET)
		return sf_error(err, SF_EINVALID, WHERE,
		    "secret access key is longer than %d bytes", MAX_SECRET);
	if (creds->session_token && has_control(creds->session_token))
		return sf_error(err, SF_EINVALID, WHERE,
		    "session token has control characters");
	if (cfg->mode != SF_SIGV4_MODE_HEADERS &&
	    cfg->mode != SF_SIGV4_MODE_QUERY)
		return sf_error(
		    err, SF_EINVALID, WHERE, "unknown signing mode");
	if (cfg->mode == SF_SIGV4_MODE_QUERY &&
	    (cfg->expires < 1 || cfg->expires > SF_SIGV4_MAX_EXPIRES))
		return sf_error(err, SF_EINVALID, WHERE,
		    "expiry of %ld seconds is not within 1-%d", cfg->expires,
		    SF_SIGV4_MAX_EXPIRES);
	for (i = 0; i < req->nheaders; i++) {
		const char *name = req->headers[i].name;

		if (!name || !*name)
			return sf_error(err, SF_EINVALID, WHERE,
			    "header %zu has no name", i + 1);
		for (v = name; *v; v++)
			if (!is_tchar((unsigned char)*v))
				return sf_error(err, SF_EINVALID, WHERE,
				    "header name \"%s\" is not an HTTP token",
				    name);
		if (ascii_casecmp(name, "authorization") == 0)
			return sf_error(err, SF_EINVALID, WHERE,
			    "request already has an Authorization header");
		if (cfg->mode != SF_SIGV4_MODE_HEADERS)
			continue;
		if (ascii_casecmp(name, "x-amz-date") == 0 ||
		    (creds->session_token &&
		        ascii_casecmp(name, "x-amz-security-token") == 0) ||
		    (cfg->add_content_sha256 &&
		        ascii_casecmp(name, "x-amz-content-sha256") == 0))
			return sf_error(err, SF_EINVALID, WHERE,
			    "request already has %s: the signer adds it", name);
	}
	if (!find_header(req->headers, req->nheaders, "host", &v))
		return sf_error(
		    err, SF_EINVALID, WHERE, "request has no Host header");
	return 0;
}

static const char *const query_auth_keys[] = {
	"X-Amz-Algorithm",
	"X-Amz-Credential",
	"X-Amz-Date",
	"X-Amz-Expires",
	"X-Amz-Security-Token",
	"X-Amz-Signature",
	"X-Amz-SignedHeaders",
};

static char *
encoded(const char *s)
{
	struct sf_buf b = SF_BUF_INIT;

	sf_sigv4_uri_encode(&b, s, strlen(s), false);
	return sf_buf_detach(&b, NULL);
}

/*
 * Query mode: the X-Amz-* parameters that are signed join the request's
 * (which must not have any of their own).
 */
static int
add_query_auth(struct qlist *ql, const struct sf_sigv4_result *out,
    const struct sf_sigv4_credentials *creds, const struct sf_sigv4_config *cfg,
    struct sf_err *err)
{
	const char *token = creds->session_token;
	char *credential;
	size_t i, k;

	for (i = 0; i < ql->n; i++)
		for (k = 0; k < SF_ARRAY_LEN(query_auth_keys); k++)
			if (strcmp(ql->v[i].key, query_auth_keys[k]) == 0)
				return sf_error(err, SF_EINVALID, WHERE,
				    "request query already has %s",
				    query_auth_keys[k]);
	credential =
	    sf_xasprintf("%s/%s", creds->access_key_id, out->credential_scope);
	qlist_add(
	    ql, sf_xstrdup("X-Amz-Algorithm"), sf_xstrdup(SF_SIGV4_ALGORITHM));
	qlist_add(ql, sf_xstrdup("X-Amz-Credential"), encoded(credential));
	qlist_add(ql, sf_xstrdup("X-Amz-Date"), sf_xstrdup(out->amz_date));
	qlist_add(
	    ql, sf_xstrdup("X-Amz-Expires"), sf_xasprintf("%ld", cfg->expires));
	qlist_add(ql, sf_xstrdup("X-Amz-SignedHeaders"),
	    encoded(out->signed_headers));
	if (token && !cfg->omit_session_token)
		qlist_add(
		    ql, sf_xstrdup("X-Amz-Security-Token"), encoded(token));
	free(credential);
	return 0;
}

/*
 * The parameters a presigned URL adds, in the order the AWS test suite
 * writes them; the token is there even when it was not signed.
 */
static char *
presigned_query(const struct sf_sigv4_result *out,
    const struct sf_sigv4_credentials *creds, const struct sf_sigv4_config *cfg)
{
	const char *token = creds->session_token;
	struct sf_buf b;
	char *credential =
	    sf_xasprintf("%s/%s", creds->access_key_id, out->credential_scope);

	sf_buf_init(&b, 512 + (token ? 3 * strlen(token) : 0));
	sf_buf_adds(&b, "X-Amz-Algorithm=" SF_SIGV4_ALGORITHM);
	sf_buf_adds(&b, "&X-Amz-Credential=");
	sf_sigv4_uri_encode(&b, credential, strlen(credential), false);
	sf_buf_addf(&b, "&X-Amz-Date=%s", out->amz_date);
	sf_buf_adds(&b, "&X-Amz-SignedHeaders=");
	sf_sigv4_uri_encode(
	    &b, out->signed_headers, strlen(out->signed_headers), false);
	sf_buf_addf(&b, "&X-Amz-Expires=%ld", cfg->expires);
	if (token) {
		sf_buf_adds(&b, "&X-Amz-Security-Token=");
		sf_sigv4_uri_encode(&b, token, strlen(token), false);
	}
	sf_buf_addf(&b, "&X-Amz-Signature=%s", out->signature);
	free(credential);
	return sf_buf_detach(&b, NULL);
}

int
sf_sigv4_sign(struct sf_sigv4_result *out, const struct sf_sigv4_request *req,
    const struct sf_sigv4_credentials *creds, const struct sf_sigv4_config *cfg,
    struct sf_err *err)
{
	struct sf_sigv4_header *hdrs = NULL;
	struct sf_buf signed_names = SF_BUF_INIT, creq;
	struct qlist ql = { 0 };
	char **names = NULL;
	size_t nnames = 0, nh = 0, i;
	const char *token;
	char date[9], hash[SF_SIGV4_HEX_LEN + 1];
	bool query_mode;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = check_sign_inputs(req, creds, cfg, err)) < 0)
		return r;
	if ((r = sf_sigv4_time_format(out->amz_date, cfg->time, err)) < 0)
		return r;
	query_mode = cfg->mode == SF_SIGV4_MODE_QUERY;
	token = creds->session_token;
	memcpy(date, out->amz_date, 8);
	date[8] = '\0';
	out->credential_scope = sf_xasprintf("%s/%s/%s/%s", date, cfg->region,
	    cfg->service, SF_SIGV4_TERMINATOR);
	if (req->payload_hash) {
		out->payload_hash = sf_xstrdup(req->payload_hash);
	} else {
		sf_sigv4_sha256_hex(hash, req->body, req->body_len);
		out->payload_hash = sf_xstrdup(hash);
	}

	/* The headers to sign: the request's and the ones the signer adds. */
	hdrs = sf_xcalloc(req->nheaders + 3, sizeof(*hdrs));
	for (i = 0; i < req->nheaders; i++)
		hdrs[nh++] = req->headers[i];
	if (!query_mode) {
		if (token)
			result_add_header(out, "X-Amz-Security-Token", token);
		result_add_header(out, "X-Amz-Date", out->amz_date);
		if (cfg->add_content_sha256)
			result_add_header(
			    out, "x-amz-content-sha256", out->payload_hash);
		for (i = 0; i < out->nheaders; i++) {
			if (token && cfg->omit_session_token && i == 0)
				continue;
			hdrs[nh].name = out->headers[i].name;
			hdrs[nh].value = out->headers[i].value;
			nh++;
		}
	}
	signed_header_names(&signed_names, &names, &nnames, hdrs, nh);
	out->signed_headers = sf_buf_detach(&signed_names, NULL);

	/* Query mode: the X-Amz-* parameters join the request's. */
	qlist_parse(&ql, req->query);
	if (query_mode && (r = add_query_auth(&ql, out, creds, cfg, err)) < 0)
		goto out;

	/* The canonical request. */
	sf_buf_init(&creq, size_hint(req, token ? 3 * strlen(token) : 0));
	sf_buf_adds(&creq, req->method);
	sf_buf_addch(&creq, '\n');
	sf_sigv4_canonical_uri(
	    &creq, req->path, cfg->normalize_path, cfg->double_encode_path);
	sf_buf_addch(&creq, '\n');
	qlist_canonical(&creq, &ql);
	sf_buf_addch(&creq, '\n');
	for (i = 0; i < nnames; i++)
		add_canonical_header(&creq, hdrs, nh, names[i]);
	sf_buf_addch(&creq, '\n');
	sf_buf_adds(&creq, out->signed_headers);
	sf_buf_addch(&creq, '\n');
	sf_buf_adds(&creq, out->payload_hash);
	out->canonical_request = sf_buf_detach(&creq, NULL);

	/* The string to sign and the signature. */
	sf_sigv4_sha256_hex(
	    hash, out->canonical_request, strlen(out->canonical_request));
	out->string_to_sign = sf_xasprintf("%s\n%s\n%s\n%s", SF_SIGV4_ALGORITHM,
	    out->amz_date, out->credential_scope, hash);
	compute_signature(out->signature, creds->secret_access_key, date,
	    cfg->region, cfg->service, out->string_to_sign);

	if (!query_mode) {
		out->authorization = sf_xasprintf(
		    "%s Credential=%s/%s, SignedHeaders=%s, "
		    "Signature=%s",
		    SF_SIGV4_ALGORITHM, creds->access_key_id,
		    out->credential_scope, out->signed_headers, out->signature);
		result_add_header(out, "Authorization", out->authorization);
	} else {
		out->query = presigned_query(out, creds, cfg);
	}
	r = 0;
out:
	if (r < 0)
		sf_sigv4_result_release(out);
	free_names(names, nnames);
	qlist_release(&ql);
	free(hdrs);
	return r;
}

/* Parsing the Authorization header. */

void
sf_sigv4_auth_release(struct sf_sigv4_auth *a)
{
	free(a->access_key_id);
	free(a->region);
	free(a->service);
	free(a->signed_headers);
	memset(a, 0, sizeof(*a));
	a->access_key_id = a->region = a->service = a->signed_headers = NULL;
}

/* Valid SignedHeaders: lowercase header names, sorted, unique, by ';'. */
static bool
valid_signed_headers(const char *s)
{
	const char *prev = NULL, *p = s;
	size_t prev_len = 0;

	if (!*s)
		return false;
	while (1) {
		const char *q = strchr(p, ';');
		size_t n = q ? (size_t)(q - p) : strlen(p), i;

		if (!n)
			return false;
		for (i = 0; i < n; i++)
			if (!is_tchar((unsigned char)p[i]) ||
			    (p[i] >= 'A' && p[i] <= 'Z'))
				return false;
		if (prev) {
			size_t m = prev_len < n ? prev_len : n;
			int c = memcmp(prev, p, m);

			if (c > 0 || (c == 0 && prev_len >= n))
				return false;
		}
		prev = p;
		prev_len = n;
		if (!q)
			return true;
		p = q + 1;
	}
}

/*
 * Parse value into out; on failure, msg gets AWS's wording (it quotes the
 * header, which carries no secret) and the result is SF_EINVALID.
 */
static int
auth_parse(struct sf_sigv4_auth *out, const char *value, struct sf_buf *msg)
{
	static const char *const keys[] = { "Credential", "SignedHeaders",
		"Signature" };
	char *vals[3] = { NULL, NULL, NULL };
	const char *p, *alg_end;
	size_t alen = strlen(SF_SIGV4_ALGORITHM), i;
	char *cred = NULL, *s, *parts[5];
	size_t nparts = 0;
	int r = SF_EINVALID;

	memset(out, 0, sizeof(*out));
	alg_end = value;
	while (*alg_end && *alg_end != ' ')
		alg_end++;
	if ((size_t)(alg_end - value) != alen ||
	    memcmp(value, SF_SIGV4_ALGORITHM, alen) != 0) {
		if (alg_end > value && sf_str_has_prefix(value, "AWS4-")) {
			sf_buf_addf(msg, "Unsupported AWS 'algorithm': '%.*s'",
			    (int)(alg_end - value), value);
			return r;
		}
		goto missing;
	}
	p = alg_end;
	while (*p == ' ')
		p++;
	while (*p) {
		const char *end = strchr(p, ','), *eq, *t;
		size_t n;

		if (!end)
			end = p + strlen(p);
		t = end;
		while (t > p && t[-1] == ' ')
			t--;
		n = (size_t)(t - p);
		eq = memchr(p, '=', n);
		if (!eq) {
			sf_buf_addf(msg,
			    "'%.*s' not a valid key=value pair (missing "
			    "equal-sign) in Authorization header: '%s'.",
			    (int)n, p, value);
			goto out;
		}
		for (i = 0; i < SF_ARRAY_LEN(keys); i++)
			if ((size_t)(eq - p) == strlen(keys[i]) &&
			    memcmp(p, keys[i], strlen(keys[i])) == 0)
				break;
		if (i == SF_ARRAY_LEN(keys)) {
			sf_buf_addf(msg,
			    "'%.*s' is not a component of an AWS4-HMAC-SHA256 "
			    "Authorization header (Credential, SignedHeaders, "
			    "Signature): '%s'.",
			    (int)(eq - p), p, value);
			goto out;
		}
		if (vals[i]) {
			sf_buf_addf(msg,
			    "'%s' appears more than once in Authorization "
			    "header: '%s'.",
			    keys[i], value);
			goto out;
		}
		vals[i] = sf_xstrndup(eq + 1, (size_t)(t - eq - 1));
		if (!*end)
			break;
		p = end + 1;
		while (*p == ' ')
			p++;
		if (!*p) {
			sf_buf_addf(msg,
			    "'' not a valid key=value pair (missing "
			    "equal-sign) in Authorization header: '%s'.",
			    value);
			goto out;
		}
	}
	if (!vals[0] || !vals[1] || !vals[2])
		goto missing;

	/* Credential=AKID/YYYYMMDD/region/service/aws4_request */
	cred = sf_xstrdup(vals[0]);
	for (s = cred; nparts < 5;) {
		char *slash = nparts < 4 ? strchr(s, '/') : NULL;

		parts[nparts++] = s;
		if (!slash)
			break;
		*slash = '\0';
		s = slash + 1;
	}
	if (nparts != 5 || strchr(parts[4], '/') || !is_scope_word(parts[0]) ||
	    !is_scope_word(parts[2]) || !is_scope_word(parts[3])) {
		sf_buf_addf(msg,
		    "Credential is mal-formed; expecting "
		    "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\": "
		    "'%s'.",
		    vals[0]);
		goto out;
	}
	if (strcmp(parts[4], SF_SIGV4_TERMINATOR) != 0) {
		sf_buf_addf(msg,
		    "Credential should be scoped with a valid terminator: "
		    "'aws4_request', not '%s'. ",
		    parts[4]);
		goto out;
	}
	{
		long long days;

		if (strlen(parts[1]) != 8 || !parse_date8(parts[1], &days)) {
			sf_buf_addf(msg,
			    "Credential date '%s' is not a date of the form "
			    "YYYYMMDD.",
			    parts[1]);
			goto out;
		}
	}
	if (!valid_signed_headers(vals[1])) {
		sf_buf_addf(msg,
		    "SignedHeaders '%s' must be lowercase header names "
		    "separated by ';', sorted and without duplicates.",
		    vals[1]);
		goto out;
	}
	if (!is_lower_hex(vals[2], SF_SIGV4_HEX_LEN)) {
		sf_buf_addf(msg,
		    "Signature '%s' is not 64 lowercase hexadecimal digits.",
		    vals[2]);
		goto out;
	}
	out->access_key_id = sf_xstrdup(parts[0]);
	memcpy(out->date, parts[1], 9);
	out->region = sf_xstrdup(parts[2]);
	out->service = sf_xstrdup(parts[3]);
	out->signed_headers = vals[1];
	vals[1] = NULL;
	memcpy(out->signature, vals[2], SF_SIGV4_HEX_LEN + 1);
	r = 0;
	goto out;
missing:
	for (i = 0; i < SF_ARRAY_LEN(keys); i++) {
		/* AWS lists them in this order: Credential, Signature, ... */
		static const int order[] = { 0, 2, 1 };

		if (!vals[order[i]])
			sf_buf_addf(msg,
			    "Authorization header requires '%s' parameter. ",
			    keys[order[i]]);
	}
	sf_buf_addf(msg, "Authorization=%s", value);
out:
	free(cred);
	for (i = 0; i < SF_ARRAY_LEN(vals); i++)
		free(vals[i]);
	if (r < 0)
		sf_sigv4_auth_release(out);
	return r;
}

int
sf_sigv4_auth_parse(
    struct sf_sigv4_auth *out, const char *value, struct sf_err *err)
{
	struct sf_buf msg = SF_BUF_INIT;
	int r = auth_parse(out, value ? value : "", &msg);

	if (r < 0)
		sf_error(err, r, WHERE, "%s", msg.buf);
	sf_buf_release(&msg);
	return r;
}

/* Verification. */

const char *
sf_sigv4_verdict_name(enum sf_sigv4_verdict v)
{
	switch (v) {
	case SF_SIGV4_VALID:
		return "valid";
	case SF_SIGV4_MISSING_AUTH:
		return "missing authentication";
	case SF_SIGV4_MALFORMED_AUTH:
		return "malformed authorization";
	case SF_SIGV4_UNKNOWN_KEY:
		return "unknown access key";
	case SF_SIGV4_BAD_TOKEN:
		return "invalid session token";
	case SF_SIGV4_WRONG_REGION:
		return "wrong region";
	case SF_SIGV4_WRONG_SERVICE:
		return "wrong service";
	case SF_SIGV4_WRONG_DATE:
		return "wrong scope date";
	case SF_SIGV4_EXPIRED:
		return "signature expired";
	case SF_SIGV4_NOT_YET_CURRENT:
		return "signature not yet current";
	case SF_SIGV4_MISSING_HEADER:
		return "signed header missing";
	case SF_SIGV4_PAYLOAD_MISMATCH:
		return "payload hash mismatch";
	case SF_SIGV4_BAD_SIGNATURE:
		return "bad signature";
	}
	return "unknown";
}

const char *
sf_sigv4_verdict_error_type(enum sf_sigv4_verdict v)
{
	switch (v) {
	case SF_SIGV4_VALID:
		return NULL;
	case SF_SIGV4_MISSING_AUTH:
		return "MissingAuthenticationTokenException";
	case SF_SIGV4_MALFORMED_AUTH:
		return "IncompleteSignatureException";
	case SF_SIGV4_UNKNOWN_KEY:
	case SF_SIGV4_BAD_TOKEN:
		return "UnrecognizedClientException";
	case SF_SIGV4_PAYLOAD_MISMATCH:
		return "XAmzContentSHA256Mismatch";
	case SF_SIGV4_WRONG_REGION:
	case SF_SIGV4_WRONG_SERVICE:
	case SF_SIGV4_WRONG_DATE:
	case SF_SIGV4_EXPIRED:
	case SF_SIGV4_NOT_YET_CURRENT:
	case SF_SIGV4_MISSING_HEADER:
	case SF_SIGV4_BAD_SIGNATURE:
		break;
	}
	return "InvalidSignatureException";
}

int
sf_sigv4_verdict_http_status(enum sf_sigv4_verdict v)
{
	switch (v) {
	case SF_SIGV4_VALID:
		return 200;
	case SF_SIGV4_MALFORMED_AUTH:
	case SF_SIGV4_PAYLOAD_MISMATCH:
		return 400;
	default:
		return 403;
	}
}

void
sf_sigv4_verifier_init(struct sf_sigv4_verifier *v, const char *region,
    const char *service, time_t now, const struct sf_sigv4_keyring *keyring)
{
	memset(v, 0, sizeof(*v));
	v->region = region;
	v->service = service;
	v->now = now;
	v->max_skew = SF_SIGV4_DEFAULT_SKEW;
	v->normalize_path = true;
	v->double_encode_path = true;
	if (keyring)
		v->keyring = *keyring;
}

void
sf_sigv4_check_release(struct sf_sigv4_check *c)
{
	free(c->message);
	free(c->access_key_id);
	wipe_free(c->canonical_request);
	wipe_free(c->string_to_sign);
	memset(c, 0, sizeof(*c));
	c->message = c->access_key_id = NULL;
	c->canonical_request = c->string_to_sign = NULL;
	c->error_type = NULL;
}

/*
 * Refuse with verdict: message is what the client gets, the format the
 * one line for the server's log.
 */
static int refuse(struct sf_sigv4_check *out, struct sf_err *err,
    enum sf_sigv4_verdict verdict, const char *message, const char *fmt, ...)
    SF_PRINTF(5, 6);

static int
refuse(struct sf_sigv4_check *out, struct sf_err *err,
    enum sf_sigv4_verdict verdict, const char *message, const char *fmt, ...)
{
	va_list ap;

	out->verdict = verdict;
	out->error_type = sf_sigv4_verdict_error_type(verdict);
	out->http_status = sf_sigv4_verdict_http_status(verdict);
	free(out->message);
	out->message = sf_xstrdup(message);
	va_start(ap, fmt);
	sf_verror(err, SF_EINVALID, WHERE, fmt, ap);
	va_end(ap);
	return SF_EINVALID;
}

/* "5 min." as AWS words the skew, or seconds when not whole minutes. */
static void
skew_words(char *out, size_t size, long skew)
{
	if (skew % 60 == 0)
		snprintf(out, size, "%ld min.", skew / 60);
	else
		snprintf(out, size, "%ld sec.", skew);
}

static bool
has_signed_header(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p) {
		if (strncmp(p, name, n) == 0 && (p[n] == ';' || p[n] == '\0'))
			return true;
		p = strchr(p, ';');
		if (p)
			p++;
	}
	return false;
}

/* The checks of the scope and the time, in the order AWS makes them. */
static int
verify_scope(struct sf_sigv4_check *out, const struct sf_sigv4_auth *auth,
    const char *amz_date, time_t t, const struct sf_sigv4_verifier *v,
    struct sf_err *err)
{
	struct sf_buf m = SF_BUF_INIT;
	long skew = v->max_skew > 0 ? v->max_skew : SF_SIGV4_DEFAULT_SKEW;
	char now[SF_SIGV4_DATE_LEN + 1], bound[SF_SIGV4_DATE_LEN + 1];
	char words[32];
	int r = 0;

	if (memcmp(auth->date, amz_date, 8) != 0) {
		sf_buf_addf(&m,
		    "Date in Credential scope does not match YYYYMMDD from "
		    "ISO-8601 version of date from HTTP: '%s' != '%.8s', from "
		    "'%s'.",
		    auth->date, amz_date, amz_date);
		r = refuse(out, err, SF_SIGV4_WRONG_DATE, m.buf,
		    "credential scope date %s is not the date of X-Amz-Date %s",
		    auth->date, amz_date);
	} else if (strcmp(auth->region, v->region) != 0) {
		sf_buf_addf(&m,
		    "Credential should be scoped to a valid region, not '%s'. ",
		    auth->region);
		r = refuse(out, err, SF_SIGV4_WRONG_REGION, m.buf,
		    "credential scope region '%s' is not '%s'", auth->region,
		    v->region);
	} else if (strcmp(auth->service, v->service) != 0) {
		sf_buf_addf(&m,
		    "Credential should be scoped to correct service: '%s'. ",
		    v->service);
		r = refuse(out, err, SF_SIGV4_WRONG_SERVICE, m.buf,
		    "credential scope service '%s' is not '%s'", auth->service,
		    v->service);
	} else if (t < v->now - skew || t > v->now + skew) {
		bool past = t < v->now - skew;

		if (sf_sigv4_time_format(now, v->now, err) < 0 ||
		    sf_sigv4_time_format(
		        bound, past ? v->now - skew : v->now + skew, err) < 0) {
			r = SF_ERROR;
			goto out;
		}
		skew_words(words, sizeof(words), skew);
		if (past)
			sf_buf_addf(&m,
			    "Signature expired: %s is now earlier than %s (%s "
			    "- "
			    "%s)",
			    amz_date, bound, now, words);
		else
			sf_buf_addf(&m,
			    "Signature not yet current: %s is still later than "
			    "%s (%s + %s)",
			    amz_date, bound, now, words);
		r = refuse(out, err,
		    past ? SF_SIGV4_EXPIRED : SF_SIGV4_NOT_YET_CURRENT, m.buf,
		    "X-Amz-Date %s is %lld s %s the server's time %s (skew "
		    "allowed: %ld s)",
		    amz_date, (long long)(past ? v->now - t : t - v->now),
		    past ? "before" : "after", now, skew);
	}
out:
	sf_buf_release(&m);
	return r;
}

/* The session token the request carries must be the key's, if any. */
static int
verify_token(struct sf_sigv4_check *out,
    const struct sf_sigv4_credentials *creds,
    const struct sf_sigv4_request *req, struct sf_err *err)
{
	const char *got;
	size_t n = find_header(
	    req->headers, req->nheaders, "x-amz-security-token", &got);
	const char *want = creds->session_token;

	if (!want && !n)
		return 0;
	if (!want)
		return refuse(out, err, SF_SIGV4_BAD_TOKEN, MSG_INVALID_TOKEN,
		    "access key %s takes no session token but the request "
		    "has one",
		    creds->access_key_id);
	if (!n)
		return refuse(out, err, SF_SIGV4_BAD_TOKEN, MSG_INVALID_TOKEN,
		    "access key %s needs a session token and the request has "
		    "none",
		    creds->access_key_id);
	if (n > 1 || strlen(got) != strlen(want) ||
	    CRYPTO_memcmp(got, want, strlen(want)) != 0)
		return refuse(out, err, SF_SIGV4_BAD_TOKEN, MSG_INVALID_TOKEN,
		    "the session token is not the one of access key %s",
		    creds->access_key_id);
	return 0;
}

int
sf_sigv4_verify(struct sf_sigv4_check *out, const struct sf_sigv4_request *req,
    const struct sf_sigv4_verifier *v, struct sf_err *err)
{
	struct sf_sigv4_auth auth;
	struct sf_sigv4_credentials creds = { NULL, NULL, NULL };
	struct sf_buf m = SF_BUF_INIT, creq;
	struct sf_err e;
	const char *authz, *amz_date, *sha_hdr, *p;
	char payload[SF_SIGV4_HEX_LEN + 1], hash[SF_SIGV4_HEX_LEN + 1];
	char sig[SF_SIGV4_HEX_LEN + 1];
	const char *payload_line;
	size_t n;
	time_t t;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&auth, 0, sizeof(auth));
	memset(sig, 0, sizeof(sig));
	n = find_header(req->headers, req->nheaders, "authorization", &authz);
	if (!n)
		return refuse(out, err, SF_SIGV4_MISSING_AUTH, MSG_MISSING_AUTH,
		    "request has no Authorization header");
	if (n > 1)
		return refuse(out, err, SF_SIGV4_MALFORMED_AUTH,
		    "Authorization header may appear only once.",
		    "request has %zu Authorization headers", n);
	if (auth_parse(&auth, authz, &m) < 0) {
		r = refuse(
		    out, err, SF_SIGV4_MALFORMED_AUTH, m.buf, "%s", m.buf);
		goto out;
	}
	out->access_key_id = sf_xstrdup(auth.access_key_id);

	n = find_header(req->headers, req->nheaders, "x-amz-date", &amz_date);
	if (n != 1) {
		sf_buf_reset(&m);
		sf_buf_addf(&m,
		    "Authorization header requires existence of either a "
		    "'X-Amz-Date' or a 'Date' header. Authorization=%s",
		    authz);
		r = refuse(out, err, SF_SIGV4_MALFORMED_AUTH, m.buf,
		    n ? "request has %zu X-Amz-Date headers"
		      : "request has no X-Amz-Date header",
		    n);
		goto out;
	}
	if (sf_sigv4_time_parse(&t, amz_date, NULL) < 0) {
		sf_buf_reset(&m);
		sf_buf_addf(&m,
		    "Date must be in ISO-8601 'basic format'. Got '%s'. See "
		    "http://en.wikipedia.org/wiki/ISO_8601",
		    amz_date);
		r = refuse(out, err, SF_SIGV4_MALFORMED_AUTH, m.buf,
		    "X-Amz-Date is not of the form YYYYMMDDTHHMMSSZ");
		goto out;
	}
	if ((r = verify_scope(out, &auth, amz_date, t, v, err)) < 0)
		goto out;
	if (!has_signed_header(auth.signed_headers, "host")) {
		r = refuse(out, err, SF_SIGV4_MALFORMED_AUTH,
		    "'Host' or ':authority' must be a 'SignedHeader' in the "
		    "AWS Authorization.",
		    "SignedHeaders %s does not include host",
		    auth.signed_headers);
		goto out;
	}

	/* The key. */
	if (!v->keyring.lookup) {
		r = sf_error(err, SF_ERROR, WHERE, "verifier has no keyring");
		goto out;
	}
	sf_err_clear(&e);
	r = v->keyring.lookup(v->keyring.ctx, auth.access_key_id, &creds, &e);
	if (r == SF_ENOTFOUND) {
		r = refuse(out, err, SF_SIGV4_UNKNOWN_KEY, MSG_INVALID_TOKEN,
		    "access key id %s is unknown", auth.access_key_id);
		goto out;
	}
	if (r < 0) {
		if (err)
			*err = e;
		goto out;
	}
	if (!creds.secret_access_key || !*creds.secret_access_key ||
	    strlen(creds.secret_access_key) > MAX_SECRET) {
		r = sf_error(err, SF_ERROR, WHERE,
		    "keyring gave access key %s an empty or oversized secret",
		    auth.access_key_id);
		goto out;
	}
	if ((r = verify_token(out, &creds, req, err)) < 0)
		goto out;

	/* The payload. */
	if (req->payload_hash) {
		snprintf(payload, sizeof(payload), "%s", req->payload_hash);
	} else {
		sf_sigv4_sha256_hex(payload, req->body, req->body_len);
	}
	payload_line = payload;
	n = find_header(
	    req->headers, req->nheaders, "x-amz-content-sha256", &sha_hdr);
	if (n == 1 && strcmp(sha_hdr, SF_SIGV4_UNSIGNED_PAYLOAD) == 0 &&
	    v->allow_unsigned_payload) {
		payload_line = SF_SIGV4_UNSIGNED_PAYLOAD;
	} else if (n == 1 && is_lower_hex(sha_hdr, SF_SIGV4_HEX_LEN) &&
	           strcmp(sha_hdr, payload) != 0) {
		r = refuse(out, err, SF_SIGV4_PAYLOAD_MISMATCH,
		    MSG_PAYLOAD_MISMATCH,
		    "x-amz-content-sha256 is not the SHA-256 of the body");
		goto out;
	}

	/* The canonical request over exactly the signed headers. */
	sf_buf_init(&creq, size_hint(req, 0));
	sf_buf_adds(&creq, req->method ? req->method : "");
	sf_buf_addch(&creq, '\n');
	sf_sigv4_canonical_uri(
	    &creq, req->path, v->normalize_path, v->double_encode_path);
	sf_buf_addch(&creq, '\n');
	sf_sigv4_canonical_query(&creq, req->query);
	sf_buf_addch(&creq, '\n');
	for (p = auth.signed_headers; p;) {
		const char *q = strchr(p, ';');
		char *name =
		    q ? sf_xstrndup(p, (size_t)(q - p)) : sf_xstrdup(p);

		if (!add_canonical_header(
		        &creq, req->headers, req->nheaders, name)) {
			r = refuse(out, err, SF_SIGV4_MISSING_HEADER,
			    MSG_BAD_SIGNATURE,
			    "signed header '%s' is not in the request", name);
			free(name);
			buf_wipe_release(&creq);
			goto out;
		}
		free(name);
		p = q ? q + 1 : NULL;
	}
	sf_buf_addch(&creq, '\n');
	sf_buf_adds(&creq, auth.signed_headers);
	sf_buf_addch(&creq, '\n');
	sf_buf_adds(&creq, payload_line);
	out->canonical_request = sf_buf_detach(&creq, NULL);
	sf_sigv4_sha256_hex(
	    hash, out->canonical_request, strlen(out->canonical_request));
	out->string_to_sign = sf_xasprintf("%s\n%s\n%s/%s/%s/%s\n%s",
	    SF_SIGV4_ALGORITHM, amz_date, auth.date, auth.region, auth.service,
	    SF_SIGV4_TERMINATOR, hash);
	compute_signature(sig, creds.secret_access_key, auth.date, auth.region,
	    auth.service, out->string_to_sign);
	if (CRYPTO_memcmp(sig, auth.signature, SF_SIGV4_HEX_LEN) != 0) {
		r = refuse(out, err, SF_SIGV4_BAD_SIGNATURE, MSG_BAD_SIGNATURE,
		    "signature does not match for access key %s",
		    auth.access_key_id);
		goto out;
	}
	out->verdict = SF_SIGV4_VALID;
	out->error_type = NULL;
	out->http_status = 200;
	r = 0;
out:
	OPENSSL_cleanse(sig, sizeof(sig));
	sf_sigv4_credentials_release(&creds);
	sf_sigv4_auth_release(&auth);
	sf_buf_release(&m);
	return r;
}

const char *
sf_sigv4_crypto_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION_STRING);
}
