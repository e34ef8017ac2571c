/*
 * Unit tests of the SigV4 signer and verifier.
 *
 * Vectors, each stage compared byte for byte:
 * - the AWS SigV4 test suite ($SF_SHARED_DIR/sigv4-test-suite/v4, from
 *   aws-c-auth), every case in header and query mode; absent, the test
 *   says so and exits 77 (skipped) after the rest ran;
 * - the botocore AgentCore requests of
 *   $SF_SHARED_DIR/spec/examples/botocore-wire-examples.json;
 * - our own AgentCore cases, $SF_TEST_DATA/sigv4/<case>/, in the suite's
 *   layout, their expected files written once by generate.py there.
 * Then the verifier: a round trip and every way a request is refused, no
 * secret in any message or result, and secrets wiped on release.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "provider/aws/sigv4.h"

#define AKID        "AKIDEXAMPLE"
#define SECRET      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TEMP_AKID   "ASIAIOSFODNN7EXAMPLE"
#define TEMP_SECRET "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
#define TEMP_TOKEN  "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLXdlc3QtMiJHMEUC"
/* 2015-08-30T12:36:00Z, the time of every vector of the AWS suite. */
#define T0 ((time_t)1440938160)

/* Files. */

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct sf_buf b = SF_BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sf_buf_add(&b, chunk, n);
	fclose(f);
	return sf_buf_detach(&b, len);
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The subdirectories of dir, sorted. */
static char **
list_dirs(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t alloc = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		char *path;

		if (e->d_name[0] == '.')
			continue;
		path = sf_xasprintf("%s/%s", dir, e->d_name);
		if (!is_dir(path)) {
			free(path);
			continue;
		}
		SF_ALLOC_GROW(v, *n + 1, alloc);
		v[(*n)++] = path;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), str_cmp);
	return v;
}

/* Byte-for-byte comparison with a file, showing both on a mismatch. */
static void
expect_file(const char *what, const char *got, size_t got_len, const char *dir,
    const char *file)
{
	char *path = sf_xasprintf("%s/%s", dir, file);
	size_t len;
	char *want = read_file(path, &len);

	if (!want)
		fail_msg("cannot read %s", path);
	if (len != got_len || memcmp(want, got, len) != 0) {
		print_error("%s differs from %s\n--- want\n%s\n--- got\n%s\n",
		    what, path, want, got);
		free(want);
		free(path);
		fail();
	}
	free(want);
	free(path);
}

/* request.txt of the AWS SigV4 test suite. */

struct http_req {
	char *method;
	char *path;
	char *query; /* NULL when the target had no '?' */
	char *version;
	char **names;
	char **values;
	size_t n, alloc;
	struct sf_sigv4_header *h;
	char *body;
	size_t body_len;
};

static void
http_req_add(struct http_req *r, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	size_t alloc = r->alloc;

	SF_ALLOC_GROW(r->names, r->n + 1, alloc);
	SF_ALLOC_GROW(r->values, r->n + 1, r->alloc);
	r->names[r->n] = sf_xstrndup(name, nlen);
	r->values[r->n] = sf_xstrndup(value, vlen);
	r->n++;
}

/* Point h at names and values, once they are all in. */
static void
http_req_finish(struct http_req *r)
{
	size_t i;

	r->h = sf_xcalloc(r->n ? r->n : 1, sizeof(*r->h));
	for (i = 0; i < r->n; i++) {
		r->h[i].name = r->names[i];
		r->h[i].value = r->values[i];
	}
}

/*
 * "METHOD target HTTP/1.1", "Name:value" lines (a line that begins with
 * white space continues the value above, joined by a newline), then an
 * empty line and the body, if any.
 */
static void
http_req_parse(struct http_req *r, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl, *sp1, *sp2, *q;

	memset(r, 0, sizeof(*r));
	nl = memchr(p, '\n', len);
	assert_non_null(nl);
	sp1 = memchr(p, ' ', (size_t)(nl - p));
	assert_non_null(sp1);
	for (sp2 = nl; sp2 > sp1 && sp2[-1] != ' '; sp2--)
		;
	assert_true(sp2 > sp1 + 1);
	r->method = sf_xstrndup(p, (size_t)(sp1 - p));
	r->version = sf_xstrndup(sp2, (size_t)(nl - sp2));
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - 1 - (sp1 + 1)));
	if (q) {
		r->path = sf_xstrndup(sp1 + 1, (size_t)(q - sp1 - 1));
		r->query = sf_xstrndup(q + 1, (size_t)(sp2 - 1 - q - 1));
	} else {
		r->path = sf_xstrndup(sp1 + 1, (size_t)(sp2 - 1 - sp1 - 1));
	}
	p = nl + 1;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *colon;

		if (!eol)
			eol = end;
		if (eol == p) {
			r->body = sf_xstrndup(eol + 1, (size_t)(end - eol - 1));
			r->body_len = (size_t)(end - eol - 1);
			break;
		}
		if (*p == ' ' || *p == '\t') {
			char *v;

			assert_true(r->n > 0);
			v = sf_xasprintf(
			    "%s\n%.*s", r->values[r->n - 1], (int)(eol - p), p);
			free(r->values[r->n - 1]);
			r->values[r->n - 1] = v;
		} else {
			colon = memchr(p, ':', (size_t)(eol - p));
			assert_non_null(colon);
			http_req_add(r, p, (size_t)(colon - p), colon + 1,
			    (size_t)(eol - colon - 1));
		}
		p = eol + 1;
	}
	http_req_finish(r);
}

static void
http_req_release(struct http_req *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
	free(r->names);
	free(r->values);
	free(r->h);
	free(r->method);
	free(r->path);
	free(r->query);
	free(r->version);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void
http_req_view(const struct http_req *r, struct sf_sigv4_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = r->method;
	req->path = r->path;
	req->query = r->query;
	req->headers = r->h;
	req->nheaders = r->n;
	req->body = r->body;
	req->body_len = r->body_len;
}

/* context.json of the suite (and of our cases). */

struct vctx {
	struct sf_sigv4_credentials creds;
	struct sf_sigv4_config cfg;
	char *region;
	char *service;
};

/* "2015-08-30T12:36:00Z" as seconds, through the signer's own parser. */
static time_t
iso8601(const char *s)
{
	char basic[SF_SIGV4_DATE_LEN + 8];
	size_t i, j = 0;
	time_t t;

	for (i = 0; s[i] && j < sizeof(basic) - 1; i++)
		if (s[i] != '-' && s[i] != ':')
			basic[j++] = s[i];
	basic[j] = '\0';
	assert_int_equal(sf_sigv4_time_parse(&t, basic, NULL), 0);
	return t;
}

static bool
json_flag(json_t *o, const char *key, bool dflt)
{
	json_t *v = json_object_get(o, key);

	return v ? json_is_true(v) : dflt;
}

static void
vctx_load(struct vctx *c, const char *dir, enum sf_sigv4_mode mode)
{
	char *path = sf_xasprintf("%s/context.json", dir);
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr), *cr;

	if (!j)
		fail_msg("%s: %s", path, jerr.text);
	cr = json_object_get(j, "credentials");
	sf_sigv4_credentials_init(&c->creds,
	    json_string_value(json_object_get(cr, "access_key_id")),
	    json_string_value(json_object_get(cr, "secret_access_key")),
	    json_string_value(json_object_get(cr, "token")));
	c->region = sf_xstrdup(json_string_value(json_object_get(j, "region")));
	c->service =
	    sf_xstrdup(json_string_value(json_object_get(j, "service")));
	sf_sigv4_config_init(&c->cfg, c->region, c->service,
	    iso8601(json_string_value(json_object_get(j, "timestamp"))));
	c->cfg.mode = mode;
	c->cfg.normalize_path = json_flag(j, "normalize", true);
	c->cfg.double_encode_path = json_flag(j, "double_encode", true);
	c->cfg.add_content_sha256 = json_flag(j, "sign_body", false);
	c->cfg.omit_session_token = json_flag(j, "omit_session_token", false);
	c->cfg.expires = (long)json_integer_value(
	    json_object_get(j, "expiration_in_seconds"));
	json_decref(j);
	free(path);
}

static void
vctx_release(struct vctx *c)
{
	sf_sigv4_credentials_release(&c->creds);
	free(c->region);
	free(c->service);
}

static int
lookup_one(void *ctx, const char *akid, struct sf_sigv4_credentials *out,
    struct sf_err *err)
{
	const struct sf_sigv4_credentials *c = ctx;

	(void)err;
	if (strcmp(akid, c->access_key_id) != 0)
		return SF_ENOTFOUND;
	sf_sigv4_credentials_init(
	    out, c->access_key_id, c->secret_access_key, c->session_token);
	return 0;
}

/* The request as signed goes through the verifier, as a server gets it. */
static void
verify_signed(const struct http_req *hr, const struct sf_sigv4_result *res,
    struct vctx *c)
{
	struct sf_sigv4_keyring kr = { lookup_one, &c->creds };
	struct sf_sigv4_header *h =
	    sf_xcalloc(hr->n + res->nheaders, sizeof(*h));
	struct sf_sigv4_request req;
	struct sf_sigv4_verifier v;
	struct sf_sigv4_check chk;
	struct sf_err err;
	size_t i;

	for (i = 0; i < hr->n; i++)
		h[i] = hr->h[i];
	for (i = 0; i < res->nheaders; i++) {
		h[hr->n + i].name = res->headers[i].name;
		h[hr->n + i].value = res->headers[i].value;
	}
	http_req_view(hr, &req);
	req.headers = h;
	req.nheaders = hr->n + res->nheaders;
	sf_sigv4_verifier_init(&v, c->region, c->service, c->cfg.time, &kr);
	v.normalize_path = c->cfg.normalize_path;
	v.double_encode_path = c->cfg.double_encode_path;
	if (sf_sigv4_verify(&chk, &req, &v, &err) != 0)
		fail_msg("verify: %s", err.msg);
	assert_string_equal(chk.canonical_request, res->canonical_request);
	sf_sigv4_check_release(&chk);
	free(h);
}

/* One (case directory, mode) of the suite or of our own cases. */
struct vcase {
	char *dir;
	enum sf_sigv4_mode mode;
	char *name;
};

static void
test_vector(void **state)
{
	const struct vcase *vc = *state;
	const char *m = vc->mode == SF_SIGV4_MODE_QUERY ? "query" : "header";
	char *path = sf_xasprintf("%s/request.txt", vc->dir), *text, *file;
	struct http_req hr;
	struct sf_sigv4_request req;
	struct sf_sigv4_result res;
	struct sf_buf sreq = SF_BUF_INIT;
	struct sf_err err;
	struct vctx c;
	size_t len, i;

	text = read_file(path, &len);
	assert_non_null(text);
	http_req_parse(&hr, text, len);
	http_req_view(&hr, &req);
	vctx_load(&c, vc->dir, vc->mode);

	if (sf_sigv4_sign(&res, &req, &c.creds, &c.cfg, &err) != 0)
		fail_msg("%s: %s", vc->name, err.msg);

	file = sf_xasprintf("%s-canonical-request.txt", m);
	expect_file("canonical request", res.canonical_request,
	    strlen(res.canonical_request), vc->dir, file);
	free(file);
	file = sf_xasprintf("%s-string-to-sign.txt", m);
	expect_file("string to sign", res.string_to_sign,
	    strlen(res.string_to_sign), vc->dir, file);
	free(file);
	file = sf_xasprintf("%s-signature.txt", m);
	expect_file(
	    "signature", res.signature, strlen(res.signature), vc->dir, file);
	free(file);

	/* The request as sent: what the signer said to add, added. */
	sf_buf_addf(&sreq, "%s %s", hr.method, hr.path);
	if (vc->mode == SF_SIGV4_MODE_QUERY) {
		assert_null(res.authorization);
		assert_int_equal(res.nheaders, 0);
		sf_buf_addch(&sreq, '?');
		if (hr.query && *hr.query)
			sf_buf_addf(&sreq, "%s&", hr.query);
		sf_buf_adds(&sreq, res.query);
	} else {
		assert_null(res.query);
		assert_non_null(res.authorization);
		if (hr.query)
			sf_buf_addf(&sreq, "?%s", hr.query);
	}
	sf_buf_addf(&sreq, " %s\n", hr.version);
	for (i = 0; i < hr.n; i++)
		sf_buf_addf(&sreq, "%s:%s\n", hr.names[i], hr.values[i]);
	for (i = 0; i < res.nheaders; i++)
		sf_buf_addf(&sreq, "%s:%s\n", res.headers[i].name,
		    res.headers[i].value);
	sf_buf_addch(&sreq, '\n');
	sf_buf_add(&sreq, hr.body, hr.body_len);
	file = sf_xasprintf("%s-signed-request.txt", m);
	expect_file("signed request", sreq.buf, sreq.len, vc->dir, file);
	free(file);

	if (vc->mode == SF_SIGV4_MODE_HEADERS) {
		assert_string_equal(
		    res.headers[res.nheaders - 1].value, res.authorization);
		verify_signed(&hr, &res, &c);
	}

	sf_buf_release(&sreq);
	sf_sigv4_result_release(&res);
	vctx_release(&c);
	http_req_release(&hr);
	free(text);
	free(path);
}

/* Both modes of every case directory under root, as cmocka tests. */
static size_t
vector_tests(const char *root, const char *prefix, struct CMUnitTest **tests,
    struct vcase **cases)
{
	size_t ndirs, i, n = 0;
	char **dirs = list_dirs(root, &ndirs);

	*tests = sf_xcalloc(2 * ndirs + 1, sizeof(**tests));
	*cases = sf_xcalloc(2 * ndirs + 1, sizeof(**cases));
	for (i = 0; i < ndirs; i++) {
		const char *base = strrchr(dirs[i], '/') + 1;
		int m;

		for (m = 0; m < 2; m++) {
			struct vcase *vc = &(*cases)[n];

			vc->dir = sf_xstrdup(dirs[i]);
			vc->mode =
			    m ? SF_SIGV4_MODE_QUERY : SF_SIGV4_MODE_HEADERS;
			vc->name = sf_xasprintf(
			    "%s/%s/%s", prefix, base, m ? "query" : "header");
			(*tests)[n].name = vc->name;
			(*tests)[n].test_func = test_vector;
			(*tests)[n].initial_state = vc;
			n++;
		}
		free(dirs[i]);
	}
	free(dirs);
	return n;
}

static void
vector_tests_free(struct CMUnitTest *tests, struct vcase *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(cases[i].dir);
		free(cases[i].name);
	}
	free(cases);
	free(tests);
}

/* botocore-wire-examples.json: each Authorization header, again. */

struct boto_case {
	json_t *c; /* borrowed from the document */
	char *name;
};

static void
test_botocore(void **state)
{
	const struct boto_case *bc = *state;
	json_t *w = json_object_get(bc->c, "wire_request");
	json_t *hj = json_object_get(w, "headers"), *v;
	const char *url = json_string_value(json_object_get(w, "url"));
	const char *body = json_string_value(json_object_get(w, "body"));
	const char *want_auth = NULL, *want_date = NULL, *token = NULL, *key;
	const char *host, *slash, *q;
	char *host_s, *path, *query = NULL, *region;
	struct sf_sigv4_header h[16];
	struct sf_sigv4_request req;
	struct sf_sigv4_credentials creds;
	struct sf_sigv4_config cfg;
	struct sf_sigv4_result res;
	struct sf_err err;
	size_t nh = 0, i;
	int found;

	/* https://<host>/<path>[?<query>] */
	assert_true(sf_str_has_prefix(url, "https://"));
	host = url + strlen("https://");
	slash = strchr(host, '/');
	assert_non_null(slash);
	host_s = sf_xstrndup(host, (size_t)(slash - host));
	q = strchr(slash, '?');
	if (q) {
		path = sf_xstrndup(slash, (size_t)(q - slash));
		query = sf_xstrdup(q + 1);
	} else {
		path = sf_xstrdup(slash);
	}
	/* bedrock-agentcore[-control].<region>.amazonaws.com */
	{
		const char *r0 = strchr(host_s, '.') + 1;
		const char *r1 = strchr(r0, '.');

		region = sf_xstrndup(r0, (size_t)(r1 - r0));
	}

	/*
	 * The headers as botocore signed them: the recorded ones less what
	 * signing added (Authorization, X-Amz-Date, X-Amz-Security-Token)
	 * and less Content-Length, which botocore adds after signing, when
	 * it prepares the request; Host comes from the URL.
	 */
	h[nh].name = "Host";
	h[nh++].value = host_s;
	json_object_foreach(hj, key, v)
	{
		const char *val = json_string_value(v);

		if (strcasecmp(key, "Authorization") == 0)
			want_auth = val;
		else if (strcasecmp(key, "X-Amz-Date") == 0)
			want_date = val;
		else if (strcasecmp(key, "X-Amz-Security-Token") == 0)
			token = val;
		else if (strcasecmp(key, "Content-Length") != 0) {
			assert_true(nh < SF_ARRAY_LEN(h));
			h[nh].name = key;
			h[nh++].value = val;
		}
	}
	assert_non_null(want_auth);
	assert_non_null(want_date);

	memset(&req, 0, sizeof(req));
	req.method = json_string_value(json_object_get(w, "method"));
	req.path = path;
	req.query = query;
	req.headers = h;
	req.nheaders = nh;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	sf_sigv4_credentials_init(&creds, AKID, SECRET, token);
	sf_sigv4_config_init(&cfg, region, "bedrock-agentcore", T0);
	if (sf_sigv4_sign(&res, &req, &creds, &cfg, &err) != 0)
		fail_msg("%s: %s", bc->name, err.msg);
	assert_string_equal(res.authorization, want_auth);
	assert_string_equal(res.amz_date, want_date);
	found = 0;
	for (i = 0; i < res.nheaders; i++)
		if (strcmp(res.headers[i].name, "X-Amz-Security-Token") == 0) {
			assert_string_equal(res.headers[i].value, token);
			found = 1;
		}
	assert_int_equal(found, token != NULL);

	sf_sigv4_result_release(&res);
	sf_sigv4_credentials_release(&creds);
	free(host_s);
	free(path);
	free(query);
	free(region);
}

/* Encoding and canonical forms. */

static char *
canon_uri(const char *path, bool normalize, bool double_encode)
{
	struct sf_buf b = SF_BUF_INIT;

	sf_sigv4_canonical_uri(&b, path, normalize, double_encode);
	return sf_buf_detach(&b, NULL);
}

static char *
canon_query(const char *q)
{
	struct sf_buf b = SF_BUF_INIT;

	sf_sigv4_canonical_query(&b, q);
	return sf_buf_detach(&b, NULL);
}

#define EXPECT_STR(call, want)                   \
	do {                                     \
		char *got_ = (call);             \
		assert_string_equal(got_, want); \
		free(got_);                      \
	} while (0)

static void
test_canonical_uri(void **state)
{
	(void)state;
	/* AgentCore: the wire path is encoded once more. */
	EXPECT_STR(canon_uri("/tags/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1"
	                     "%3A123456789012%3Acode-interpreter-custom%2Fx",
	               true, true),
	    "/tags/arn%253Aaws%253Abedrock-agentcore%253Aus-east-1"
	    "%253A123456789012%253Acode-interpreter-custom%252Fx");
	EXPECT_STR(canon_uri("/code-interpreters/aws.codeinterpreter.v1/"
	                     "sessions/start",
	               true, true),
	    "/code-interpreters/aws.codeinterpreter.v1/sessions/start");
	/* S3: the wire path as it is. */
	EXPECT_STR(
	    canon_uri("/b/a%20b//c/./d", false, false), "/b/a%20b//c/./d");
	EXPECT_STR(canon_uri("", true, true), "/");
	EXPECT_STR(canon_uri(NULL, false, false), "/");
	EXPECT_STR(canon_uri("/a/b/../c/./d/", true, true), "/a/c/d/");
	EXPECT_STR(canon_uri("/a/b/..", true, true), "/a");
	EXPECT_STR(canon_uri("/../../a", true, true), "/a");
	EXPECT_STR(canon_uri("///", true, true), "/");
	EXPECT_STR(
	    canon_uri("/a b/\xe1\x88\xb4", false, true), "/a%20b/%E1%88%B4");
}

static void
test_canonical_query(void **state)
{
	(void)state;
	EXPECT_STR(canon_query(NULL), "");
	EXPECT_STR(canon_query(""), "");
	EXPECT_STR(canon_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
	EXPECT_STR(canon_query("tagKeys=team&tagKeys=env"),
	    "tagKeys=env&tagKeys=team");
	/* Decoded, then encoded again the RFC 3986 way. */
	EXPECT_STR(
	    canon_query("%7e=%41&x=a+b&y=%2b%2F"), "x=a%2Bb&y=%2B%2F&~=A");
	EXPECT_STR(canon_query("k=%zz%4"), "k=%25zz%254");
	EXPECT_STR(canon_query("&&a=1&&"), "a=1");
	EXPECT_STR(canon_query("a=b=c"), "a=b%3Dc");
	EXPECT_STR(canon_query("clientToken=a1b2c3d4-0000-4000-8000-0000000000"
	                       "03"),
	    "clientToken=a1b2c3d4-0000-4000-8000-000000000003");
}

static void
test_uri_encode(void **state)
{
	struct sf_buf b = SF_BUF_INIT;

	(void)state;
	sf_sigv4_uri_encode(&b, "aZ09-._~ /:%+=&\xff", 16, false);
	assert_string_equal(b.buf, "aZ09-._~%20%2F%3A%25%2B%3D%26%FF");
	sf_buf_reset(&b);
	sf_sigv4_uri_encode(&b, "a/b c", 5, true);
	assert_string_equal(b.buf, "a/b%20c");
	sf_buf_release(&b);
}

static void
test_time(void **state)
{
	char s[SF_SIGV4_DATE_LEN + 1];
	time_t t;
	struct sf_err err;

	(void)state;
	assert_int_equal(sf_sigv4_time_format(s, T0, NULL), 0);
	assert_string_equal(s, "20150830T123600Z");
	assert_int_equal(sf_sigv4_time_parse(&t, "20150830T123600Z", NULL), 0);
	assert_true(t == T0);
	assert_int_equal(sf_sigv4_time_parse(&t, "20000229T235959Z", NULL), 0);
	assert_int_equal(sf_sigv4_time_format(s, t, NULL), 0);
	assert_string_equal(s, "20000229T235959Z");
	assert_int_equal(sf_sigv4_time_parse(&t, "19700101T000000Z", NULL), 0);
	assert_true(t == 0);
	assert_int_equal(
	    sf_sigv4_time_parse(&t, "20150229T000000Z", &err), SF_EINVALID);
	assert_int_equal(
	    sf_sigv4_time_parse(&t, "20150830T123600", NULL), SF_EINVALID);
	assert_int_equal(
	    sf_sigv4_time_parse(&t, "20150830T246000Z", NULL), SF_EINVALID);
	assert_int_equal(
	    sf_sigv4_time_parse(&t, "2015-08-30T12:36:00Z", NULL), SF_EINVALID);
	assert_int_equal(
	    sf_sigv4_time_parse(&t, "20150830T123600Z ", NULL), SF_EINVALID);
}

/* Signing: what it refuses, and the shape of its results. */

static const struct sf_sigv4_header base_headers[] = {
	{ "Host", "bedrock-agentcore.us-east-1.amazonaws.com" },
	{ "Content-Type", "application/json" },
	{ "x-amzn-code-interpreter-session-id", "01JABCDEFGHJKMNPQRSTVWXYZ0" },
	{ "traceparent",
	    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
	{ "X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793" },
	{ "User-Agent", "sandform/0.1.0" },
};

static const char base_body[] =
    "{\"name\": \"executeCode\", \"arguments\": {\"code\": \"1\"}}";

static void
base_request(struct sf_sigv4_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = "POST";
	req->path = "/code-interpreters/aws.codeinterpreter.v1/tools/invoke";
	req->query = NULL;
	req->headers = base_headers;
	req->nheaders = SF_ARRAY_LEN(base_headers);
	req->body = base_body;
	req->body_len = strlen(base_body);
}

static void
assert_no_secret(const char *s)
{
	if (s && (strstr(s, SECRET) || strstr(s, TEMP_SECRET) ||
	             strstr(s, "EXAMPLEKEY")))
		fail_msg("a secret key appears in \"%s\"", s);
}

static void
assert_result_has_no_secret(const struct sf_sigv4_result *r)
{
	size_t i;

	assert_no_secret(r->credential_scope);
	assert_no_secret(r->signed_headers);
	assert_no_secret(r->payload_hash);
	assert_no_secret(r->canonical_request);
	assert_no_secret(r->string_to_sign);
	assert_no_secret(r->authorization);
	assert_no_secret(r->query);
	for (i = 0; i < r->nheaders; i++) {
		assert_no_secret(r->headers[i].name);
		assert_no_secret(r->headers[i].value);
	}
}

static void
test_sign_agentcore_invoke(void **state)
{
	struct sf_sigv4_request req;
	struct sf_sigv4_credentials creds;
	struct sf_sigv4_config cfg;
	struct sf_sigv4_result r;

	(void)state;
	base_request(&req);
	sf_sigv4_credentials_init(&creds, TEMP_AKID, TEMP_SECRET, TEMP_TOKEN);
	sf_sigv4_config_init(&cfg, "us-east-1", "bedrock-agentcore", T0);
	assert_int_equal(sf_sigv4_sign(&r, &req, &creds, &cfg, NULL), 0);
	/* botocore's choice: no trace id, no user agent; traceparent yes. */
	assert_string_equal(r.signed_headers,
	    "content-type;host;traceparent;x-amz-date;x-amz-security-token;"
	    "x-amzn-code-interpreter-session-id");
	assert_string_equal(r.credential_scope,
	    "20150830/us-east-1/bedrock-agentcore/aws4_request");
	assert_int_equal(r.nheaders, 3);
	assert_string_equal(r.headers[0].name, "X-Amz-Security-Token");
	assert_string_equal(r.headers[0].value, TEMP_TOKEN);
	assert_string_equal(r.headers[1].name, "X-Amz-Date");
	assert_string_equal(r.headers[1].value, "20150830T123600Z");
	assert_string_equal(r.headers[2].name, "Authorization");
	assert_true(sf_str_has_prefix(r.authorization,
	    "AWS4-HMAC-SHA256 Credential=" TEMP_AKID
	    "/20150830/us-east-1/bedrock-agentcore/aws4_request, "
	    "SignedHeaders=content-type;host;"));
	assert_result_has_no_secret(&r);
	sf_sigv4_result_release(&r);
	sf_sigv4_credentials_release(&creds);
}

static void
sign_fails(const struct sf_sigv4_request *req,
    const struct sf_sigv4_credentials *creds, const struct sf_sigv4_config *cfg,
    const char *want)
{
	struct sf_sigv4_result r;
	struct sf_err err;

	sf_err_clear(&err);
	assert_int_equal(sf_sigv4_sign(&r, req, creds, cfg, &err), SF_EINVALID);
	if (!strstr(err.msg, want))
		fail_msg("\"%s\" does not say \"%s\"", err.msg, want);
	assert_no_secret(err.msg);
	assert_null(r.canonical_request);
	assert_null(r.authorization);
	sf_sigv4_result_release(&r);
}

static void
test_sign_refuses(void **state)
{
	struct sf_sigv4_request req;
	struct sf_sigv4_credentials creds, empty, longsecret;
	struct sf_sigv4_config cfg;
	struct sf_sigv4_header h[3] = { { "Host", "example.amazonaws.com" } };
	char big[2048];

	(void)state;
	memset(big, 'K', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, SECRET, strlen(SECRET));
	sf_sigv4_credentials_init(&creds, AKID, SECRET, NULL);
	sf_sigv4_credentials_init(&empty, AKID, "", NULL);
	sf_sigv4_credentials_init(&longsecret, AKID, big, NULL);
	sf_sigv4_config_init(&cfg, "us-east-1", "service", T0);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = "/";
	req.headers = h;
	req.nheaders = 1;

	sign_fails(&req, &empty, &cfg, "secret access key is empty");
	sign_fails(&req, &longsecret, &cfg, "secret access key is longer");
	req.nheaders = 0;
	sign_fails(&req, &creds, &cfg, "no Host header");
	req.nheaders = 2;
	h[1].name = "Authorization";
	h[1].value = "x";
	sign_fails(&req, &creds, &cfg, "already has an Authorization");
	h[1].name = "X-Amz-Date";
	sign_fails(&req, &creds, &cfg, "already has X-Amz-Date");
	h[1].name = "Bad Name";
	sign_fails(&req, &creds, &cfg, "not an HTTP token");
	req.nheaders = 1;
	req.path = "relative";
	sign_fails(&req, &creds, &cfg, "does not begin with '/'");
	req.path = "/a?b=c";
	sign_fails(&req, &creds, &cfg, "pass the query apart");
	req.path = "/";
	req.method = "G T";
	sign_fails(&req, &creds, &cfg, "not an HTTP token");
	req.method = "GET";
	cfg.region = "us/east";
	sign_fails(&req, &creds, &cfg, "region");
	cfg.region = "us-east-1";
	cfg.service = "";
	sign_fails(&req, &creds, &cfg, "service");
	cfg.service = "service";
	cfg.mode = SF_SIGV4_MODE_QUERY;
	cfg.expires = 0;
	sign_fails(&req, &creds, &cfg, "expiry");
	cfg.expires = SF_SIGV4_MAX_EXPIRES + 1;
	sign_fails(&req, &creds, &cfg, "expiry");
	cfg.expires = 60;
	req.query = "X-Amz-Signature=abc";
	sign_fails(&req, &creds, &cfg, "already has X-Amz-Signature");

	sf_sigv4_credentials_release(&creds);
	sf_sigv4_credentials_release(&empty);
	sf_sigv4_credentials_release(&longsecret);
}

/* The signer is a pure function: same inputs, same bytes. */
static void
test_sign_deterministic(void **state)
{
	struct sf_sigv4_request req;
	struct sf_sigv4_credentials creds;
	struct sf_sigv4_config cfg;
	struct sf_sigv4_result a, b;

	(void)state;
	base_request(&req);
	sf_sigv4_credentials_init(&creds, AKID, SECRET, NULL);
	sf_sigv4_config_init(&cfg, "us-east-1", "bedrock-agentcore", T0);
	assert_int_equal(sf_sigv4_sign(&a, &req, &creds, &cfg, NULL), 0);
	assert_int_equal(sf_sigv4_sign(&b, &req, &creds, &cfg, NULL), 0);
	assert_string_equal(a.authorization, b.authorization);
	sf_sigv4_result_release(&b);
	cfg.time = T0 + 1;
	assert_int_equal(sf_sigv4_sign(&b, &req, &creds, &cfg, NULL), 0);
	assert_string_not_equal(a.signature, b.signature);
	assert_string_equal(b.amz_date, "20150830T123601Z");
	sf_sigv4_result_release(&a);
	sf_sigv4_result_release(&b);
	sf_sigv4_credentials_release(&creds);
}

/* Secrets wiped. */

static void
test_release_wipes(void **state)
{
	struct sf_sigv4_credentials c;
	struct sf_sigv4_request req;
	struct sf_sigv4_config cfg;
	struct sf_sigv4_result r;
	struct sf_sigv4_check chk;
	const unsigned char *p;
	size_t i;

	(void)state;
	sf_sigv4_credentials_init(&c, TEMP_AKID, TEMP_SECRET, TEMP_TOKEN);
	assert_string_equal(c.secret_access_key, TEMP_SECRET);
	base_request(&req);
	sf_sigv4_config_init(&cfg, "us-east-1", "bedrock-agentcore", T0);
	assert_int_equal(sf_sigv4_sign(&r, &req, &c, &cfg, NULL), 0);

	sf_sigv4_credentials_release(&c);
	assert_null(c.access_key_id);
	assert_null(c.secret_access_key);
	assert_null(c.session_token);
	sf_sigv4_credentials_release(&c); /* twice is harmless */

	sf_sigv4_result_release(&r);
	assert_null(r.credential_scope);
	assert_null(r.signed_headers);
	assert_null(r.payload_hash);
	assert_null(r.canonical_request);
	assert_null(r.string_to_sign);
	assert_null(r.authorization);
	assert_null(r.headers);
	assert_null(r.query);
	assert_int_equal(r.nheaders, 0);
	for (p = (const unsigned char *)r.signature, i = 0;
	     i < sizeof(r.signature); i++)
		assert_int_equal(p[i], 0);
	for (p = (const unsigned char *)r.amz_date, i = 0;
	     i < sizeof(r.amz_date); i++)
		assert_int_equal(p[i], 0);

	memset(&chk, 0, sizeof(chk));
	chk.message = sf_xstrdup("m");
	chk.canonical_request = sf_xstrdup(TEMP_TOKEN);
	sf_sigv4_check_release(&chk);
	assert_null(chk.message);
	assert_null(chk.canonical_request);
	assert_null(chk.string_to_sign);
	assert_null(chk.access_key_id);
}

/* Parsing Authorization headers. */

#define GOOD_CRED \
	"Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
#define GOOD_SH "SignedHeaders=host;x-amz-date"
#define GOOD_SIG_HEX \
	"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
#define GOOD_SIG "Signature=" GOOD_SIG_HEX

static void
parse_fails(const char *value, const char *want)
{
	struct sf_sigv4_auth a;
	struct sf_err err;

	sf_err_clear(&err);
	assert_int_equal(sf_sigv4_auth_parse(&a, value, &err), SF_EINVALID);
	if (!strstr(err.msg, want))
		fail_msg(
		    "%s: \"%s\" does not say \"%s\"", value, err.msg, want);
	assert_null(a.access_key_id);
	assert_null(a.signed_headers);
}

static void
test_auth_parse(void **state)
{
	struct sf_sigv4_auth a;
	struct sf_err err;

	(void)state;
	assert_int_equal(
	    sf_sigv4_auth_parse(&a,
	        "AWS4-HMAC-SHA256 " GOOD_CRED ", " GOOD_SH ", " GOOD_SIG, &err),
	    0);
	assert_string_equal(a.access_key_id, "AKIDEXAMPLE");
	assert_string_equal(a.date, "20150830");
	assert_string_equal(a.region, "us-east-1");
	assert_string_equal(a.service, "service");
	assert_string_equal(a.signed_headers, "host;x-amz-date");
	assert_string_equal(a.signature, GOOD_SIG_HEX);
	sf_sigv4_auth_release(&a);
	assert_null(a.access_key_id);

	/* Any order, no space after the commas. */
	assert_int_equal(
	    sf_sigv4_auth_parse(&a,
	        "AWS4-HMAC-SHA256 " GOOD_SIG "," GOOD_CRED "," GOOD_SH, NULL),
	    0);
	sf_sigv4_auth_release(&a);

	parse_fails("", "Authorization header requires 'Credential' "
	                "parameter. Authorization header requires 'Signature' "
	                "parameter. Authorization header requires "
	                "'SignedHeaders' parameter. Authorization=");
	parse_fails("Bearer abc.def", "requires 'Credential' parameter");
	parse_fails("AWS4-HMAC-SHA256", "requires 'Credential'");
	parse_fails("AWS4-HMAC-SHA256 " GOOD_CRED ", " GOOD_SH,
	    "Authorization header requires 'Signature' parameter. "
	    "Authorization=AWS4-HMAC-SHA256 Credential=");
	parse_fails("AWS4-ECDSA-P256-SHA256 " GOOD_CRED,
	    "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'");
	parse_fails("AWS4-HMAC-SHA256 Credential AKIDEXAMPLE/20150830/us-east-"
	            "1/service/aws4_request, " GOOD_SH ", " GOOD_SIG,
	    "not a valid key=value pair (missing equal-sign) in "
	    "Authorization header: 'AWS4-HMAC-SHA256 Credential AKID");
	parse_fails("AWS4-HMAC-SHA256 " GOOD_CRED ", " GOOD_SH ", " GOOD_SIG
	            ",",
	    "'' not a valid key=value pair");
	parse_fails("AWS4-HMAC-SHA256 " GOOD_CRED ", " GOOD_CRED ", " GOOD_SH
	            ", " GOOD_SIG,
	    "'Credential' appears more than once");
	parse_fails("AWS4-HMAC-SHA256 " GOOD_CRED ", " GOOD_SH ", " GOOD_SIG
	            ", Foo=bar",
	    "'Foo' is not a component");
	parse_fails("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-"
	            "1/service, " GOOD_SH ", " GOOD_SIG,
	    "Credential is mal-formed");
	parse_fails("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-"
	            "1/service/aws4_request/x, " GOOD_SH ", " GOOD_SIG,
	    "Credential is mal-formed");
	parse_fails("AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/service/"
	            "aws4_request, " GOOD_SH ", " GOOD_SIG,
	    "Credential is mal-formed");
	parse_fails("AWS4-HMAC-SHA256 Credential= AKIDEXAMPLE/20150830/us-"
	            "east-1/service/aws4_request, " GOOD_SH ", " GOOD_SIG,
	    "Credential is mal-formed");
	parse_fails("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-"
	            "1/service/aws5_request, " GOOD_SH ", " GOOD_SIG,
	    "Credential should be scoped with a valid terminator: "
	    "'aws4_request', not 'aws5_request'. ");
	parse_fails("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20151330/us-east-"
	            "1/service/aws4_request, " GOOD_SH ", " GOOD_SIG,
	    "Credential date '20151330'");
	parse_fails("AWS4-HMAC-SHA256 " GOOD_CRED
	            ", SignedHeaders=x-amz-date;host, " GOOD_SIG,
	    "sorted");
	parse_fails("AWS4-HMAC-SHA256 " GOOD_CRED
	            ", SignedHeaders=Host;x-amz-date, " GOOD_SIG,
	    "lowercase");
	parse_fails("AWS4-HMAC-SHA256 " GOOD_CRED
	            ", SignedHeaders=host;;x-amz-date, " GOOD_SIG,
	    "SignedHeaders");
	parse_fails("AWS4-HMAC-SHA256 " GOOD_CRED
	            ", SignedHeaders=host;host, " GOOD_SIG,
	    "without duplicates");
	parse_fails("AWS4-HMAC-SHA256 " GOOD_CRED ", " GOOD_SH
	            ", Signature=5FA00FA31553B73EBF1942676E86291E8372FF2A226095"
	            "6D9B8AAE1D763FBF31",
	    "64 lowercase hexadecimal");
	parse_fails("AWS4-HMAC-SHA256 " GOOD_CRED ", " GOOD_SH
	            ", Signature=abc",
	    "64 lowercase hexadecimal");
}

/* Verification. */

struct key {
	const char *akid, *secret, *token;
};

static const struct key keys[] = {
	{ AKID, SECRET, NULL },
	{ TEMP_AKID, TEMP_SECRET, TEMP_TOKEN },
};

static int
lookup(void *ctx, const char *akid, struct sf_sigv4_credentials *out,
    struct sf_err *err)
{
	size_t i;

	(void)ctx;
	if (strcmp(akid, "AKIDBROKENKEYRING") == 0)
		return sf_error(err, SF_ERROR, "keyring", "disk on fire");
	for (i = 0; i < SF_ARRAY_LEN(keys); i++)
		if (strcmp(keys[i].akid, akid) == 0) {
			sf_sigv4_credentials_init(
			    out, keys[i].akid, keys[i].secret, keys[i].token);
			return 0;
		}
	return SF_ENOTFOUND;
}

static const struct sf_sigv4_keyring keyring = { lookup, NULL };

/* A request as the server receives it: signed, headers added. */
struct wire {
	struct sf_sigv4_header h[16];
	size_t nh;
	struct sf_sigv4_request req;
	struct sf_sigv4_result res;
	struct sf_sigv4_credentials creds;
};

static void
wire_sign(struct wire *w, const char *akid, const char *secret,
    const char *token, const char *region, const char *service, time_t t,
    bool content_sha256)
{
	struct sf_sigv4_config cfg;
	struct sf_err err;
	size_t i;

	memset(w, 0, sizeof(*w));
	base_request(&w->req);
	sf_sigv4_credentials_init(&w->creds, akid, secret, token);
	sf_sigv4_config_init(&cfg, region, service, t);
	cfg.add_content_sha256 = content_sha256;
	if (sf_sigv4_sign(&w->res, &w->req, &w->creds, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	for (i = 0; i < SF_ARRAY_LEN(base_headers); i++)
		w->h[w->nh++] = base_headers[i];
	for (i = 0; i < w->res.nheaders; i++) {
		w->h[w->nh].name = w->res.headers[i].name;
		w->h[w->nh++].value = w->res.headers[i].value;
	}
	w->req.headers = w->h;
	w->req.nheaders = w->nh;
}

static void
wire_release(struct wire *w)
{
	sf_sigv4_result_release(&w->res);
	sf_sigv4_credentials_release(&w->creds);
}

static struct sf_sigv4_header *
wire_header(struct wire *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nh; i++)
		if (strcasecmp(w->h[i].name, name) == 0)
			return &w->h[i];
	fail_msg("no header %s", name);
	return NULL;
}

static void
wire_drop(struct wire *w, const char *name)
{
	struct sf_sigv4_header *h = wire_header(w, name);

	memmove(h, h + 1, (size_t)(&w->h[w->nh] - (h + 1)) * sizeof(*h));
	w->nh--;
	w->req.nheaders = w->nh;
}

static void
check_has_no_secret(const struct sf_sigv4_check *c, const struct sf_err *e)
{
	assert_no_secret(c->message);
	assert_no_secret(c->access_key_id);
	assert_no_secret(c->canonical_request);
	assert_no_secret(c->string_to_sign);
	assert_no_secret(e->msg);
	assert_no_secret(e->where);
}

/* Verify w at now; expect verdict (and AWS's message, when given). */
static void
expect_verdict(struct wire *w, time_t now, enum sf_sigv4_verdict want,
    const char *type, int status, const char *message)
{
	struct sf_sigv4_verifier v;
	struct sf_sigv4_check c;
	struct sf_err err;
	int r;

	sf_sigv4_verifier_init(
	    &v, "us-east-1", "bedrock-agentcore", now, &keyring);
	sf_err_clear(&err);
	r = sf_sigv4_verify(&c, &w->req, &v, &err);
	if (c.verdict != want)
		fail_msg("verdict %s, want %s (%s)",
		    sf_sigv4_verdict_name(c.verdict),
		    sf_sigv4_verdict_name(want), err.msg);
	assert_int_equal(r, want == SF_SIGV4_VALID ? 0 : SF_EINVALID);
	if (type)
		assert_string_equal(c.error_type, type);
	else
		assert_null(c.error_type);
	assert_int_equal(c.http_status, status);
	if (message)
		assert_string_equal(c.message, message);
	if (want != SF_SIGV4_VALID) {
		assert_int_equal(err.code, SF_EINVALID);
		assert_true(err.msg[0] != '\0');
	}
	check_has_no_secret(&c, &err);
	sf_sigv4_check_release(&c);
}

#define BAD_SIG_MSG                                                         \
	"The request signature we calculated does not match the signature " \
	"you provided. Check your AWS Secret Access Key and signing "       \
	"method. Consult the service documentation for details."
#define INVALID_TOKEN_MSG \
	"The security token included in the request is invalid."

static void
test_verify_round_trip(void **state)
{
	struct sf_sigv4_verifier v;
	struct sf_sigv4_check c;
	struct sf_err err;
	struct wire w;

	(void)state;
	wire_sign(&w, AKID, SECRET, NULL, "us-east-1", "bedrock-agentcore", T0,
	    false);
	sf_sigv4_verifier_init(
	    &v, "us-east-1", "bedrock-agentcore", T0, &keyring);
	assert_int_equal(sf_sigv4_verify(&c, &w.req, &v, &err), 0);
	assert_int_equal(c.verdict, SF_SIGV4_VALID);
	assert_int_equal(c.http_status, 200);
	assert_null(c.error_type);
	assert_string_equal(c.access_key_id, AKID);
	/* The server computed exactly what the client signed. */
	assert_string_equal(c.canonical_request, w.res.canonical_request);
	assert_string_equal(c.string_to_sign, w.res.string_to_sign);
	sf_sigv4_check_release(&c);

	/* Unsigned headers may change on the way. */
	wire_header(&w, "X-Amzn-Trace-Id")->value = "Root=1-00000000-other";
	wire_header(&w, "User-Agent")->value = "proxy/2";
	expect_verdict(&w, T0, SF_SIGV4_VALID, NULL, 200, NULL);
	/* Header names are case-insensitive, values' spacing is not signed. */
	wire_header(&w, "Content-Type")->name = "CONTENT-TYPE";
	wire_header(&w, "traceparent")->value =
	    "  00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 ";
	expect_verdict(&w, T0, SF_SIGV4_VALID, NULL, 200, NULL);
	wire_release(&w);

	/* Temporary credentials, with x-amz-content-sha256. */
	wire_sign(&w, TEMP_AKID, TEMP_SECRET, TEMP_TOKEN, "us-east-1",
	    "bedrock-agentcore", T0, true);
	expect_verdict(&w, T0, SF_SIGV4_VALID, NULL, 200, NULL);
	wire_release(&w);
}

static void
test_verify_tampered(void **state)
{
	struct wire w;

	(void)state;
	/* A signed header changed. */
	wire_sign(&w, AKID, SECRET, NULL, "us-east-1", "bedrock-agentcore", T0,
	    false);
	wire_header(&w, "x-amzn-code-interpreter-session-id")->value =
	    "01JOTHERSESSION00000000000";
	expect_verdict(&w, T0, SF_SIGV4_BAD_SIGNATURE,
	    "InvalidSignatureException", 403, BAD_SIG_MSG);
	wire_release(&w);

	/* The body changed. */
	wire_sign(&w, AKID, SECRET, NULL, "us-east-1", "bedrock-agentcore", T0,
	    false);
	w.req.body =
	    "{\"name\": \"executeCode\", \"arguments\": {\"code\": \"2\"}}";
	expect_verdict(&w, T0, SF_SIGV4_BAD_SIGNATURE,
	    "InvalidSignatureException", 403, BAD_SIG_MSG);
	wire_release(&w);

	/* The body changed under x-amz-content-sha256. */
	wire_sign(
	    &w, AKID, SECRET, NULL, "us-east-1", "bedrock-agentcore", T0, true);
	w.req.body_len--;
	expect_verdict(&w, T0, SF_SIGV4_PAYLOAD_MISMATCH,
	    "XAmzContentSHA256Mismatch", 400,
	    "The provided 'x-amz-content-sha256' header does not match what "
	    "was computed.");
	wire_release(&w);

	/* The path, the query, the method changed. */
	wire_sign(&w, AKID, SECRET, NULL, "us-east-1", "bedrock-agentcore", T0,
	    false);
	w.req.path = "/code-interpreters/other/tools/invoke";
	expect_verdict(&w, T0, SF_SIGV4_BAD_SIGNATURE,
	    "InvalidSignatureException", 403, BAD_SIG_MSG);
	w.req.path = "/code-interpreters/aws.codeinterpreter.v1/tools/invoke";
	w.req.query = "x=1";
	expect_verdict(&w, T0, SF_SIGV4_BAD_SIGNATURE,
	    "InvalidSignatureException", 403, BAD_SIG_MSG);
	w.req.query = NULL;
	w.req.method = "PUT";
	expect_verdict(&w, T0, SF_SIGV4_BAD_SIGNATURE,
	    "InvalidSignatureException", 403, BAD_SIG_MSG);
	w.req.method = "POST";
	expect_verdict(&w, T0, SF_SIGV4_VALID, NULL, 200, NULL);

	/* A signed header removed. */
	wire_drop(&w, "traceparent");
	expect_verdict(&w, T0, SF_SIGV4_MISSING_HEADER,
	    "InvalidSignatureException", 403, BAD_SIG_MSG);
	wire_release(&w);
}

static void
test_verify_keys(void **state)
{
	struct wire w;
	struct sf_sigv4_verifier v;
	struct sf_sigv4_check c;
	struct sf_err err;

	(void)state;
	/* A wrong secret for a known key. */
	wire_sign(&w, AKID, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYOTHERKEY", NULL,
	    "us-east-1", "bedrock-agentcore", T0, false);
	expect_verdict(&w, T0, SF_SIGV4_BAD_SIGNATURE,
	    "InvalidSignatureException", 403, BAD_SIG_MSG);
	wire_release(&w);

	/* An unknown key. */
	wire_sign(&w, "AKIDUNKNOWN", SECRET, NULL, "us-east-1",
	    "bedrock-agentcore", T0, false);
	expect_verdict(&w, T0, SF_SIGV4_UNKNOWN_KEY,
	    "UnrecognizedClientException", 403, INVALID_TOKEN_MSG);
	wire_release(&w);

	/* A temporary key without its token, or with another. */
	wire_sign(&w, TEMP_AKID, TEMP_SECRET, TEMP_TOKEN, "us-east-1",
	    "bedrock-agentcore", T0, false);
	wire_header(&w, "X-Amz-Security-Token")->value = TEMP_TOKEN "x";
	expect_verdict(&w, T0, SF_SIGV4_BAD_TOKEN,
	    "UnrecognizedClientException", 403, INVALID_TOKEN_MSG);
	wire_header(&w, "X-Amz-Security-Token")->value = TEMP_TOKEN;
	expect_verdict(&w, T0, SF_SIGV4_VALID, NULL, 200, NULL);
	wire_drop(&w, "X-Amz-Security-Token");
	expect_verdict(&w, T0, SF_SIGV4_BAD_TOKEN,
	    "UnrecognizedClientException", 403, INVALID_TOKEN_MSG);
	wire_release(&w);

	/* A token with a long-term key. */
	wire_sign(&w, AKID, SECRET, TEMP_TOKEN, "us-east-1",
	    "bedrock-agentcore", T0, false);
	expect_verdict(&w, T0, SF_SIGV4_BAD_TOKEN,
	    "UnrecognizedClientException", 403, INVALID_TOKEN_MSG);
	wire_release(&w);

	/* The keyring fails: its error, not a verdict. */
	wire_sign(&w, "AKIDBROKENKEYRING", SECRET, NULL, "us-east-1",
	    "bedrock-agentcore", T0, false);
	sf_sigv4_verifier_init(
	    &v, "us-east-1", "bedrock-agentcore", T0, &keyring);
	assert_int_equal(sf_sigv4_verify(&c, &w.req, &v, &err), SF_ERROR);
	assert_string_equal(err.msg, "disk on fire");
	check_has_no_secret(&c, &err);
	sf_sigv4_check_release(&c);
	wire_release(&w);
}

static void
test_verify_scope(void **state)
{
	struct wire w;

	(void)state;
	wire_sign(&w, AKID, SECRET, NULL, "us-west-2", "bedrock-agentcore", T0,
	    false);
	expect_verdict(&w, T0, SF_SIGV4_WRONG_REGION,
	    "InvalidSignatureException", 403,
	    "Credential should be scoped to a valid region, not 'us-west-2'. ");
	wire_release(&w);

	wire_sign(&w, AKID, SECRET, NULL, "us-east-1", "bedrock", T0, false);
	expect_verdict(&w, T0, SF_SIGV4_WRONG_SERVICE,
	    "InvalidSignatureException", 403,
	    "Credential should be scoped to correct service: "
	    "'bedrock-agentcore'. ");
	wire_release(&w);

	/* X-Amz-Date moved to another day than the scope's. */
	wire_sign(&w, AKID, SECRET, NULL, "us-east-1", "bedrock-agentcore", T0,
	    false);
	wire_header(&w, "X-Amz-Date")->value = "20150831T000100Z";
	expect_verdict(&w, T0, SF_SIGV4_WRONG_DATE, "InvalidSignatureException",
	    403,
	    "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
	    "version of date from HTTP: '20150830' != '20150831', from "
	    "'20150831T000100Z'.");
	/* Moved within the day: the signature covers it. */
	wire_header(&w, "X-Amz-Date")->value = "20150830T123700Z";
	expect_verdict(&w, T0, SF_SIGV4_BAD_SIGNATURE,
	    "InvalidSignatureException", 403, BAD_SIG_MSG);
	wire_release(&w);
}

static void
test_verify_skew(void **state)
{
	struct wire w;

	(void)state;
	wire_sign(&w, AKID, SECRET, NULL, "us-east-1", "bedrock-agentcore", T0,
	    false);
	/* Five minutes either way is fine; a second more is not. */
	expect_verdict(&w, T0 + 300, SF_SIGV4_VALID, NULL, 200, NULL);
	expect_verdict(&w, T0 - 300, SF_SIGV4_VALID, NULL, 200, NULL);
	expect_verdict(&w, T0 + 301, SF_SIGV4_EXPIRED,
	    "InvalidSignatureException", 403,
	    "Signature expired: 20150830T123600Z is now earlier than "
	    "20150830T123601Z (20150830T124101Z - 5 min.)");
	expect_verdict(&w, T0 - 301, SF_SIGV4_NOT_YET_CURRENT,
	    "InvalidSignatureException", 403,
	    "Signature not yet current: 20150830T123600Z is still later than "
	    "20150830T123559Z (20150830T123059Z + 5 min.)");
	expect_verdict(&w, T0 + 86400 * 365, SF_SIGV4_EXPIRED,
	    "InvalidSignatureException", 403, NULL);
	wire_release(&w);
}

static void
test_verify_malformed(void **state)
{
	struct wire w;
	struct sf_sigv4_header *a;

	(void)state;
	wire_sign(&w, AKID, SECRET, NULL, "us-east-1", "bedrock-agentcore", T0,
	    false);
	a = wire_header(&w, "Authorization");
	a->value = "Bearer eyJhbGciOiJIUzI1NiJ9";
	expect_verdict(&w, T0, SF_SIGV4_MALFORMED_AUTH,
	    "IncompleteSignatureException", 400,
	    "Authorization header requires 'Credential' parameter. "
	    "Authorization header requires 'Signature' parameter. "
	    "Authorization header requires 'SignedHeaders' parameter. "
	    "Authorization=Bearer eyJhbGciOiJIUzI1NiJ9");
	a->value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-"
	           "1/bedrock-agentcore/aws4_request, SignedHeaders=host";
	expect_verdict(&w, T0, SF_SIGV4_MALFORMED_AUTH,
	    "IncompleteSignatureException", 400, NULL);
	a->value = "";
	expect_verdict(&w, T0, SF_SIGV4_MALFORMED_AUTH,
	    "IncompleteSignatureException", 400, NULL);
	/* Signed, but without host among the signed headers. */
	a->value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-"
	           "1/bedrock-agentcore/aws4_request, SignedHeaders=x-amz-"
	           "date, Signature=0000000000000000000000000000000000000000"
	           "000000000000000000000000";
	expect_verdict(&w, T0, SF_SIGV4_MALFORMED_AUTH,
	    "IncompleteSignatureException", 400,
	    "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
	    "Authorization.");
	a->value = w.res.authorization;
	expect_verdict(&w, T0, SF_SIGV4_VALID, NULL, 200, NULL);

	/* X-Amz-Date garbled, then missing. */
	wire_header(&w, "X-Amz-Date")->value = "2015-08-30T12:36:00Z";
	expect_verdict(&w, T0, SF_SIGV4_MALFORMED_AUTH,
	    "IncompleteSignatureException", 400,
	    "Date must be in ISO-8601 'basic format'. Got "
	    "'2015-08-30T12:36:00Z'. See "
	    "http://en.wikipedia.org/wiki/ISO_8601");
	wire_drop(&w, "X-Amz-Date");
	expect_verdict(&w, T0, SF_SIGV4_MALFORMED_AUTH,
	    "IncompleteSignatureException", 400, NULL);

	/* No Authorization at all. */
	wire_drop(&w, "Authorization");
	expect_verdict(&w, T0, SF_SIGV4_MISSING_AUTH,
	    "MissingAuthenticationTokenException", 403,
	    "Missing Authentication Token");
	wire_release(&w);

	/* Two Authorization headers. */
	wire_sign(&w, AKID, SECRET, NULL, "us-east-1", "bedrock-agentcore", T0,
	    false);
	w.h[w.nh].name = "authorization";
	w.h[w.nh++].value = w.res.authorization;
	w.req.nheaders = w.nh;
	expect_verdict(&w, T0, SF_SIGV4_MALFORMED_AUTH,
	    "IncompleteSignatureException", 400, NULL);
	wire_release(&w);
}

/* What the server gets back: the client's canonical request when valid. */
static void
test_verify_query_and_labels(void **state)
{
	static const char arn_path[] =
	    "/tags/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012"
	    "%3Acode-interpreter-custom%2Fmy_ci-AbCdEfGhIj";
	struct sf_sigv4_header h[4] = {
		{ "Host", "bedrock-agentcore-control.us-east-1.amazonaws.com" },
	};
	struct sf_sigv4_request req;
	struct sf_sigv4_credentials creds;
	struct sf_sigv4_config cfg;
	struct sf_sigv4_result res;
	struct sf_sigv4_verifier v;
	struct sf_sigv4_check c;
	struct sf_err err;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	req.path = arn_path;
	req.query = "tagKeys=team&tagKeys=cost%3Acenter";
	req.headers = h;
	req.nheaders = 1;
	sf_sigv4_credentials_init(&creds, AKID, SECRET, NULL);
	sf_sigv4_config_init(&cfg, "us-east-1", "bedrock-agentcore", T0);
	assert_int_equal(sf_sigv4_sign(&res, &req, &creds, &cfg, &err), 0);
	h[1].name = res.headers[0].name;
	h[1].value = res.headers[0].value;
	h[2].name = res.headers[1].name;
	h[2].value = res.headers[1].value;
	req.nheaders = 3;
	sf_sigv4_verifier_init(
	    &v, "us-east-1", "bedrock-agentcore", T0 + 10, &keyring);
	assert_int_equal(sf_sigv4_verify(&c, &req, &v, &err), 0);
	assert_true(strstr(c.canonical_request,
	    "\n/tags/arn%253Aaws%253Abedrock-agentcore%253Aus-east-1"));
	assert_true(strstr(
	    c.canonical_request, "\ntagKeys=cost%3Acenter&tagKeys=team\n"));
	sf_sigv4_check_release(&c);

	/* A server that would not double-encode computes another request. */
	v.double_encode_path = false;
	assert_int_equal(sf_sigv4_verify(&c, &req, &v, &err), SF_EINVALID);
	assert_int_equal(c.verdict, SF_SIGV4_BAD_SIGNATURE);
	sf_sigv4_check_release(&c);

	sf_sigv4_result_release(&res);
	sf_sigv4_credentials_release(&creds);
}

static void
test_verdict_table(void **state)
{
	int v;

	(void)state;
	for (v = SF_SIGV4_VALID; v <= SF_SIGV4_BAD_SIGNATURE; v++) {
		enum sf_sigv4_verdict e = (enum sf_sigv4_verdict)v;
		int s = sf_sigv4_verdict_http_status(e);

		assert_string_not_equal(sf_sigv4_verdict_name(e), "unknown");
		if (e == SF_SIGV4_VALID) {
			assert_null(sf_sigv4_verdict_error_type(e));
			assert_int_equal(s, 200);
		} else {
			assert_non_null(sf_sigv4_verdict_error_type(e));
			assert_true(s == 400 || s == 403);
		}
	}
	assert_string_equal(sf_sigv4_verdict_error_type(SF_SIGV4_MISSING_AUTH),
	    "MissingAuthenticationTokenException");
	assert_int_equal(
	    sf_sigv4_verdict_http_status(SF_SIGV4_MISSING_AUTH), 403);
}

/* main: the fixed tests, then the vector sets. */

static int
run_vectors(
    const char *group, const char *root, const char *prefix, size_t *count)
{
	struct CMUnitTest *tests;
	struct vcase *cases;
	size_t n = vector_tests(root, prefix, &tests, &cases);
	int fails;

	*count = n;
	if (!n) {
		fprintf(stderr, "%s: no cases under %s\n", group, root);
		vector_tests_free(tests, cases, n);
		return 1;
	}
	fails = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	vector_tests_free(tests, cases, n);
	return fails;
}

static int
run_botocore(const char *path, size_t *count)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr), *cases;
	struct CMUnitTest *tests;
	struct boto_case *bc;
	size_t n, i;
	int fails;

	if (!doc) {
		fprintf(stderr, "%s: %s\n", path, jerr.text);
		return 1;
	}
	cases = json_object_get(doc, "cases");
	n = json_array_size(cases);
	*count = n;
	if (!n) {
		json_decref(doc);
		return 1;
	}
	tests = sf_xcalloc(n, sizeof(*tests));
	bc = sf_xcalloc(n, sizeof(*bc));
	for (i = 0; i < n; i++) {
		json_t *c = json_array_get(cases, i);

		bc[i].c = c;
		bc[i].name = sf_xasprintf("botocore/%02zu/%s", i,
		    json_string_value(json_object_get(c, "operation")));
		tests[i].name = bc[i].name;
		tests[i].test_func = test_botocore;
		tests[i].initial_state = &bc[i];
	}
	fails = _cmocka_run_group_tests(
	    "botocore-wire-examples", tests, n, NULL, NULL);
	for (i = 0; i < n; i++)
		free(bc[i].name);
	free(bc);
	free(tests);
	json_decref(doc);
	return fails;
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_canonical_uri),
		cmocka_unit_test(test_canonical_query),
		cmocka_unit_test(test_uri_encode),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_sign_agentcore_invoke),
		cmocka_unit_test(test_sign_refuses),
		cmocka_unit_test(test_sign_deterministic),
		cmocka_unit_test(test_release_wipes),
		cmocka_unit_test(test_auth_parse),
		cmocka_unit_test(test_verify_round_trip),
		cmocka_unit_test(test_verify_tampered),
		cmocka_unit_test(test_verify_keys),
		cmocka_unit_test(test_verify_scope),
		cmocka_unit_test(test_verify_skew),
		cmocka_unit_test(test_verify_malformed),
		cmocka_unit_test(test_verify_query_and_labels),
		cmocka_unit_test(test_verdict_table),
	};
	const char *shared = getenv("SF_SHARED_DIR");
	const char *data = getenv("SF_TEST_DATA");
	char *suite, *own, *boto;
	size_t n;
	bool skipped = false;
	int fails;

	if (!shared || !*shared)
		shared = "../shared";
	if (!data || !*data)
		data = "tests/data";
	suite = sf_xasprintf("%s/sigv4-test-suite/v4", shared);
	own = sf_xasprintf("%s/sigv4", data);
	boto = sf_xasprintf(
	    "%s/spec/examples/botocore-wire-examples.json", shared);

	fails = cmocka_run_group_tests_name("sigv4", unit, NULL, NULL);

	fails += run_vectors("sigv4-own-cases", own, "own", &n);
	printf("sigv4: %zu own (case, mode) vectors\n", n);

	if (is_dir(suite)) {
		fails += run_vectors("aws-sigv4-test-suite", suite, "v4", &n);
		printf("sigv4: %zu AWS test suite (case, mode) vectors\n", n);
	} else {
		printf("../shared/sigv4-test-suite not found; skipping the "
		       "AWS SigV4 test suite (looked in %s)\n",
		    suite);
		skipped = true;
	}
	if (access(boto, R_OK) == 0) {
		fails += run_botocore(boto, &n);
		printf("sigv4: %zu botocore wire examples\n", n);
	} else {
		printf("%s not found; skipping the botocore wire examples\n",
		    boto);
		skipped = true;
	}
	free(suite);
	free(own);
	free(boto);
	if (fails)
		return 1;
	return skipped ? 77 : 0;
}
