/*
 * The credentials chain: environment, web identity, the shared files,
 * container, instance metadata. See creds.h for the order and the rules.
 *
 * Every secret read here (keys, session tokens, the web identity token,
 * the container authorization token, the IMDS token, credential_process
 * output) lives in buffers sized up front and wiped before they are
 * freed, and is remembered for the length of one walk so that any error
 * message can be scrubbed of it before it leaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "provider/aws/creds.h"
#include "util/fs.h"

extern char **environ;

#define WHERE                "credentials"
#define FILE_CAP             (1024 * 1024) /* ~/.aws/credentials, config */
#define TOKEN_CAP            (64 * 1024)   /* token files */
#define RESPONSE_CAP         (256 * 1024)  /* STS, container, IMDS */
#define PROCESS_CAP          (64 * 1024)   /* credential_process stdout */
#define PROCESS_TIMEOUT_MS   60000
#define KEEP_ON_FAILURE      60 /* seconds left to keep stale credentials */
#define REMOTE_TEXT_MAX      200
#define ECS_HOST             "http://169.254.170.2"
#define IMDS_HOST_V4         "http://169.254.169.254"
#define IMDS_HOST_V6         "http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL       "21600"
#define IMDS_ROLE_PATH       "/latest/meta-data/iam/security-credentials/"
#define STS_CONNECT_MS       5000
#define STS_TIMEOUT_MS       30000
#define CONTAINER_CONNECT_MS 2000
#define CONTAINER_TIMEOUT_MS 5000
#define IMDS_CONNECT_MS      1000
#define IMDS_TIMEOUT_MS      2000

enum source {
	SRC_NONE = 0,
	SRC_ENV,
	SRC_WEB_IDENTITY,
	SRC_PROFILE,
	SRC_CONTAINER,
	SRC_IMDS,
};

struct sf_creds_chain {
	char *profile; /* from the caller; NULL: AWS_PROFILE or default */
	struct sf_creds_env env;
	char *home;
	bool own_http;
	struct sf_aws_creds cached;
	enum source from; /* where cached came from; SRC_NONE: nothing yet */
};

/* One walk of the chain (or one refresh). */
struct walk {
	struct sf_creds_chain *c;
	struct sf_buf why; /* "environment: ...; web identity: ..." */
	char **secrets;    /* everything secret seen, to scrub errors */
	size_t nsecrets, asecrets;
};

/* key = value pairs of one profile in one file. */
struct ini_kv {
	char *key;
	char *value;
};

struct profile {
	bool found;
	struct ini_kv *v;
	size_t n, alloc;
};

/* The profile in use, from both shared files. */
struct profiles {
	const char *name;
	bool explicit; /* named by the caller or AWS_PROFILE */
	char *cred_path, *conf_path;
	bool cred_default, conf_default;
	struct profile cred, conf;
};

/* Secrets. */

static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

static void
free_secret(char *s)
{
	if (!s)
		return;
	wipe(s, strlen(s));
	free(s);
}

static void
buf_release_secret(struct sf_buf *b)
{
	if (b->alloc)
		wipe(b->buf, b->alloc);
	sf_buf_release(b);
}

static void
headers_release_secret(struct sf_http_headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		wipe(h->v[i].value, strlen(h->v[i].value));
	sf_http_headers_release(h);
}

static void
xfer_release_secret(struct sf_http_xfer *x)
{
	size_t i;

	buf_release_secret(&x->resp_body);
	for (i = 0; i < x->resp_headers.n; i++)
		wipe(x->resp_headers.v[i].value,
		    strlen(x->resp_headers.v[i].value));
	sf_http_xfer_release(x);
}

void
sf_aws_creds_release(struct sf_aws_creds *c)
{
	if (!c)
		return;
	free_secret(c->access_key_id);
	free_secret(c->secret_access_key);
	free_secret(c->session_token);
	memset(c, 0, sizeof(*c));
}

void
sf_aws_creds_copy(struct sf_aws_creds *dst, const struct sf_aws_creds *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->access_key_id)
		dst->access_key_id = sf_xstrdup(src->access_key_id);
	if (src->secret_access_key)
		dst->secret_access_key = sf_xstrdup(src->secret_access_key);
	if (src->session_token)
		dst->session_token = sf_xstrdup(src->session_token);
	dst->expires = src->expires;
	memcpy(dst->source, src->source, sizeof(dst->source));
	dst->source[sizeof(dst->source) - 1] = '\0';
}

static void
walk_secret(struct walk *w, const char *s)
{
	if (!s || strlen(s) < 4)
		return;
	SF_ALLOC_GROW(w->secrets, w->nsecrets + 1, w->asecrets);
	w->secrets[w->nsecrets++] = sf_xstrdup(s);
}

static void
walk_secret_n(struct walk *w, const char *s, size_t n)
{
	char *t = sf_xstrndup(s, n);

	walk_secret(w, t);
	free_secret(t);
}

/* Replace every secret the walk saw in s (of size bytes) by <redacted>. */
static void
scrub(const struct walk *w, char *s, size_t size)
{
	struct sf_buf b = SF_BUF_INIT;
	size_t i;

	for (i = 0; i < w->nsecrets; i++) {
		const char *sec = w->secrets[i], *p = s, *hit;
		size_t n = strlen(sec);

		if (!strstr(s, sec))
			continue;
		sf_buf_reset(&b);
		while ((hit = strstr(p, sec))) {
			sf_buf_add(&b, p, (size_t)(hit - p));
			sf_buf_adds(&b, "<redacted>");
			p = hit + n;
		}
		sf_buf_adds(&b, p);
		snprintf(s, size, "%s", b.buf);
	}
	buf_release_secret(&b);
}

/* The environment, the clock, paths. */

static const char *
env_get(const struct sf_creds_env *e, const char *name)
{
	const char *v;

	v = e && e->getenv ? e->getenv(name, e->getenv_ud) : getenv(name);
	return v && *v ? v : NULL;
}

static bool
env_true(const struct sf_creds_env *e, const char *name)
{
	const char *v = env_get(e, name);

	return v && !strcasecmp(v, "true");
}

static const char *
env_home(const struct sf_creds_env *e)
{
	if (e && e->home && *e->home)
		return e->home;
	return env_get(e, "HOME");
}

static int64_t
chain_now(const struct sf_creds_chain *c)
{
	if (c->env.now)
		return c->env.now(c->env.now_ud);
	return (int64_t)time(NULL);
}

static struct sf_http *
chain_http(struct sf_creds_chain *c)
{
	if (!c->env.http) {
		c->env.http = sf_http_new(NULL);
		c->own_http = true;
	}
	return c->env.http;
}

/* path with a leading "~/" put under home. */
static char *
expand_home(const struct sf_creds_env *e, const char *path)
{
	const char *home = env_home(e);

	if (home && path[0] == '~' && (path[1] == '/' || !path[1]))
		return sf_xasprintf("%s%s", home, path + 1);
	return sf_xstrdup(path);
}

static char *
shared_path(const struct sf_creds_env *e, const char *var, const char *name,
    bool *is_default)
{
	const char *v = env_get(e, var), *home;

	*is_default = false;
	if (v)
		return expand_home(e, v);
	home = env_home(e);
	if (!home)
		return NULL;
	*is_default = true;
	return sf_xasprintf("%s/.aws/%s", home, name);
}

/* Text. */

static const char *
skip_space(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	return s;
}

static const char *
trim_end(const char *s, const char *e)
{
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	                    e[-1] == '\n'))
		e--;
	return e;
}

static bool
span_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && !memcmp(s, word, n);
}

/*
 * sf_fs_read into a buffer sized for the file and the 64 KiB steps in which
 * sf_fs_read grows it, so that it is never reallocated: a reallocation
 * would leave a copy of the secret behind, unwiped.
 */
static int
read_secret_file(
    const char *path, size_t cap, struct sf_buf *out, struct sf_err *err)
{
	struct stat st;
	size_t size = 0;

	if (!stat(path, &st) && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size <= cap)
		size = (size_t)st.st_size;
	sf_buf_init(out, size + 64 * 1024 + 2);
	return sf_fs_read(path, cap, out, err);
}

/* Drop trailing white space from a secret buffer (no reallocation). */
static void
buf_trim_end(struct sf_buf *b)
{
	size_t n = (size_t)(trim_end(b->buf, b->buf + b->len) - b->buf);

	if (n != b->len)
		sf_buf_setlen(b, n);
}

/* Copy text from a remote for a message: printable, one line, bounded. */
static void
remote_text(char *dst, size_t size, const char *src)
{
	size_t i, n = 0;

	for (i = 0; src[i] && n + 1 < size; i++) {
		unsigned char ch = (unsigned char)src[i];

		if (n >= REMOTE_TEXT_MAX) {
			if (n + 4 < size) {
				memcpy(dst + n, "...", 3);
				n += 3;
			}
			break;
		}
		dst[n++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	dst[n] = '\0';
}

static bool
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Time. */

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/*
 * ISO 8601 as AWS writes it: 2024-05-01T12:00:00Z, with optional
 * fractional seconds and a Z or +hh:mm offset (none: UTC). -1 if not.
 */
static int64_t
parse_iso8601(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	const char *p = s;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t t;

	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d))
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) ||
	    *p++ != ':' || !digits(&p, 2, &sec))
		return -1;
	if (*p == '.' || *p == ',') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (!digits(&p, 2, &om))
			return -1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	if (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)))
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	return t > 0 ? t : 1;
}

/* The walk. */

static void walk_why(struct walk *w, const char *fmt, ...) SF_PRINTF(2, 3);

static void
walk_why(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (w->why.len)
		sf_buf_adds(&w->why, "; ");
	va_start(ap, fmt);
	sf_buf_vaddf(&w->why, fmt, ap);
	va_end(ap);
}

static void
walk_init(struct walk *w, struct sf_creds_chain *c)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
	sf_buf_init(&w->why, 0);
}

static void
walk_release(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->nsecrets; i++)
		free_secret(w->secrets[i]);
	free(w->secrets);
	sf_buf_release(&w->why);
}

/* Fill out with copies; remember the secrets. */
static void
set_creds(struct walk *w, struct sf_aws_creds *out, const char *id,
    const char *secret, const char *token, int64_t expires, const char *source)
{
	sf_aws_creds_release(out);
	out->access_key_id = sf_xstrdup(id);
	out->secret_access_key = sf_xstrdup(secret);
	out->session_token = token ? sf_xstrdup(token) : NULL;
	out->expires = expires;
	snprintf(out->source, sizeof(out->source), "%s", source);
	walk_secret(w, secret);
	walk_secret(w, token);
}

/* The shared files. */

static void
profile_set(
    struct profile *p, const char *k, size_t klen, const char *v, size_t vlen)
{
	char *key = sf_xstrndup(k, klen);
	size_t i;

	for (i = 0; key[i]; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (char)(key[i] - 'A' + 'a');
	for (i = 0; i < p->n; i++) {
		if (!strcmp(p->v[i].key, key)) {
			free(key);
			free_secret(p->v[i].value);
			p->v[i].value = sf_xstrndup(v, vlen);
			return;
		}
	}
	SF_ALLOC_GROW(p->v, p->n + 1, p->alloc);
	p->v[p->n].key = key;
	p->v[p->n].value = sf_xstrndup(v, vlen);
	p->n++;
}

static const char *
profile_get(const struct profile *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].key, key))
			return *p->v[i].value ? p->v[i].value : NULL;
	return NULL;
}

static void
profile_release(struct profile *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].key);
		free_secret(p->v[i].value);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/*
 * Whether the section header between s and e names profile name: "[name]"
 * in the credentials file, "[profile name]" or "[default]" in config.
 */
static bool
section_is(const char *s, const char *e, const char *name, bool config)
{
	s = skip_space(s, e);
	e = trim_end(s, e);
	if (!config)
		return span_is(s, e, name);
	if (span_is(s, e, "default"))
		return !strcmp(name, "default");
	if ((size_t)(e - s) > 7 && !memcmp(s, "profile", 7) &&
	    (s[7] == ' ' || s[7] == '\t'))
		return span_is(skip_space(s + 7, e), e, name);
	return false;
}

/*
 * The keys of profile name in an INI text: comments start with # or ; on
 * their own line, keys are case-insensitive, values are taken as written
 * (as botocore does: no inline comments), indented lines after a key are
 * its sub-properties and are skipped, and a later key wins.
 */
static void
ini_parse(const char *text, size_t len, const char *name, bool config,
    struct profile *p)
{
	const char *line = text, *end = text + len;
	bool in = false, have_key = false;

	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *s, *e, *eq, *close, *k_end, *v;
		bool indented;

		if (!eol)
			eol = end;
		indented = *line == ' ' || *line == '\t';
		s = skip_space(line, eol);
		e = trim_end(s, eol);
		line = eol < end ? eol + 1 : end;
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			close = memchr(s, ']', (size_t)(e - s));
			in = close && section_is(s + 1, close, name, config);
			if (in)
				p->found = true;
			have_key = false;
			continue;
		}
		if (!in || (indented && have_key))
			continue;
		eq = memchr(s, '=', (size_t)(e - s));
		if (!eq)
			continue;
		k_end = trim_end(s, eq);
		if (k_end == s)
			continue;
		v = skip_space(eq + 1, e);
		profile_set(p, s, (size_t)(k_end - s), v, (size_t)(e - v));
		have_key = true;
	}
}

static int
profile_load(const char *path, const char *name, bool config, struct profile *p,
    struct sf_err *err)
{
	struct sf_buf text = SF_BUF_INIT;
	struct sf_err e;
	int rc;

	if (!path)
		return SF_OK;
	rc = read_secret_file(path, FILE_CAP, &text, &e);
	if (rc == SF_ENOTFOUND) {
		rc = SF_OK;
		goto out;
	}
	if (rc) {
		rc = sf_error(err, rc, WHERE, "%s: %s", path, e.msg);
		goto out;
	}
	ini_parse(text.buf, text.len, name, config, p);
out:
	buf_release_secret(&text);
	return rc;
}

static const char *
profiles_shown(const struct profiles *ps, bool config)
{
	if (config)
		return ps->conf_default ? "~/.aws/config" : ps->conf_path;
	return ps->cred_default ? "~/.aws/credentials" : ps->cred_path;
}

/* Key from the credentials file, else from config (as botocore merges). */
static const char *
profiles_get(const struct profiles *ps, const char *key)
{
	const char *v = profile_get(&ps->cred, key);

	return v ? v : profile_get(&ps->conf, key);
}

static void
profiles_release(struct profiles *ps)
{
	free(ps->cred_path);
	free(ps->conf_path);
	profile_release(&ps->cred);
	profile_release(&ps->conf);
	memset(ps, 0, sizeof(*ps));
}

static int
profiles_load(const struct sf_creds_env *e, const char *arg,
    struct profiles *ps, struct sf_err *err)
{
	const char *env_profile = env_get(e, "AWS_PROFILE");
	int rc;

	memset(ps, 0, sizeof(*ps));
	ps->name = arg ? arg : env_profile ? env_profile : "default";
	ps->explicit = arg || env_profile;
	ps->cred_path = shared_path(
	    e, "AWS_SHARED_CREDENTIALS_FILE", "credentials", &ps->cred_default);
	ps->conf_path =
	    shared_path(e, "AWS_CONFIG_FILE", "config", &ps->conf_default);
	if ((rc = profile_load(ps->cred_path, ps->name, false, &ps->cred, err)))
		return rc;
	return profile_load(ps->conf_path, ps->name, true, &ps->conf, err);
}

/* The profile's name was given but it is in neither file. */
static int
profiles_missing(const struct profiles *ps, struct sf_err *err)
{
	if (!ps->cred_path && !ps->conf_path)
		return sf_error(err, SF_ENOTFOUND, WHERE,
		    "profile \"%s\": HOME is not set and neither is "
		    "AWS_SHARED_CREDENTIALS_FILE or AWS_CONFIG_FILE",
		    ps->name);
	return sf_error(err, SF_ENOTFOUND, WHERE,
	    "profile \"%s\" not found in %s or %s", ps->name,
	    ps->cred_path ? profiles_shown(ps, false) : "(no credentials file)",
	    ps->conf_path ? profiles_shown(ps, true) : "(no config file)");
}

static char *
region_of(const struct sf_creds_env *e, const char *profile, struct sf_err *err,
    int *rc)
{
	struct profiles ps;
	const char *v;
	char *r = NULL;

	*rc = SF_OK;
	if ((v = env_get(e, "AWS_REGION")) ||
	    (v = env_get(e, "AWS_DEFAULT_REGION")))
		return sf_xstrdup(v);
	if ((*rc = profiles_load(e, profile, &ps, err)))
		goto out;
	if (!ps.cred.found && !ps.conf.found) {
		if (ps.explicit)
			*rc = profiles_missing(&ps, err);
		goto out;
	}
	if ((v = profile_get(&ps.conf, "region")))
		r = sf_xstrdup(v);
out:
	profiles_release(&ps);
	return r;
}

int
sf_aws_region(const char *profile, const struct sf_creds_env *env, char **out,
    struct sf_err *err)
{
	int rc;

	*out = region_of(env, profile, err, &rc);
	return rc;
}

/* HTTP. */

static int
http_do(struct walk *w, struct sf_http_xfer *x, const char *label,
    struct sf_err *err)
{
	struct sf_err e;

	if (sf_http_perform(chain_http(w->c), x, &e))
		return sf_error(err, SF_EREMOTE, WHERE,
		    "%s: cannot reach %s: %s", label, x->url, e.msg);
	return SF_OK;
}

/* JSON credentials: container, instance metadata, credential_process. */

static const char *
json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && *json_string_value(v) ? json_string_value(v)
	                                                  : NULL;
}

/*
 * Parse body into out. token_key names the session token ("Token" from
 * the container and IMDS, "SessionToken" from a process). On failure why
 * gets the reason, which never quotes the body.
 */
static int
json_creds(struct walk *w, const struct sf_buf *body, const char *token_key,
    bool process, const char *source, struct sf_aws_creds *out, char *why,
    size_t whylen)
{
	json_error_t jerr;
	json_t *o;
	const char *id, *secret, *token, *exp, *code;
	int64_t expires = 0;
	int rc = SF_EINVALID;

	o = json_loadb(body->buf, body->len, 0, &jerr);
	if (!o) {
		/* jerr.text can quote the input: give the position only. */
		snprintf(why, whylen, "not valid JSON (line %d, column %d)",
		    jerr.line, jerr.column);
		return SF_EINVALID;
	}
	if (!json_is_object(o)) {
		snprintf(why, whylen, "not a JSON object");
		goto out;
	}
	if (process) {
		json_t *ver = json_object_get(o, "Version");

		if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
			snprintf(why, whylen,
			    "\"Version\" must be 1 (the only version "
			    "known)");
			goto out;
		}
	}
	if ((code = json_str(o, "Code")) && strcmp(code, "Success")) {
		char text[64];

		remote_text(text, sizeof(text), code);
		snprintf(why, whylen, "Code is %s", text);
		goto out;
	}
	id = json_str(o, "AccessKeyId");
	secret = json_str(o, "SecretAccessKey");
	token = json_str(o, token_key);
	exp = json_str(o, "Expiration");
	walk_secret(w, secret);
	walk_secret(w, token);
	if (!id || !secret) {
		snprintf(why, whylen, "no %s",
		    id ? "SecretAccessKey" : "AccessKeyId");
		goto out;
	}
	if (exp && (expires = parse_iso8601(exp)) < 0) {
		char text[64];

		remote_text(text, sizeof(text), exp);
		snprintf(
		    why, whylen, "Expiration %s is not an ISO 8601 time", text);
		goto out;
	}
	set_creds(w, out, id, secret, token, expires, source);
	rc = SF_OK;
out:
	json_decref(o);
	return rc;
}

/* Web identity through STS. */

/* needle in [s, e), or NULL. */
static const char *
find(const char *s, const char *e, const char *needle)
{
	size_t n = strlen(needle);

	for (; (size_t)(e - s) >= n; s++)
		if (*s == *needle && !memcmp(s, needle, n))
			return s;
	return NULL;
}

/*
 * The content of the first element <name>...</name> in [s, e): enough XML
 * for the Query protocol's responses, which have neither namespaces on
 * elements, nor nested elements of the same name, nor CDATA.
 */
static bool
xml_element(const char *s, const char *e, const char *name, const char **in,
    const char **in_end)
{
	size_t n = strlen(name);
	const char *p, *gt, *close;

	for (p = s; (p = memchr(p, '<', (size_t)(e - p))); p++) {
		const char *q = p + 1;

		if ((size_t)(e - q) <= n || memcmp(q, name, n) ||
		    !(q[n] == '>' || q[n] == '/' || q[n] == ' ' ||
		        q[n] == '\t' || q[n] == '\r' || q[n] == '\n'))
			continue;
		gt = memchr(q + n, '>', (size_t)(e - (q + n)));
		if (!gt)
			return false;
		if (gt[-1] == '/') {
			*in = *in_end = gt;
			return true;
		}
		for (close = gt + 1; (close = find(close, e, "</"));
		     close += 2) {
			const char *c = close + 2, *t;

			if ((size_t)(e - c) < n || memcmp(c, name, n))
				continue;
			t = skip_space(c + n, e);
			if (t < e && *t == '>') {
				*in = gt + 1;
				*in_end = close;
				return true;
			}
		}
		return false;
	}
	return false;
}

static void
utf8_put(struct sf_buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		sf_buf_addch(b, (int)cp);
	} else if (cp < 0x800) {
		sf_buf_addch(b, (int)(0xc0 | (cp >> 6)));
		sf_buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sf_buf_addch(b, (int)(0xe0 | (cp >> 12)));
		sf_buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		sf_buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		sf_buf_addch(b, (int)(0xf0 | (cp >> 18)));
		sf_buf_addch(b, (int)(0x80 | ((cp >> 12) & 0x3f)));
		sf_buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		sf_buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	}
}

/* Append the character of entity [s, e) ("amp", "#x41"); false if unknown. */
static bool
xml_entity(struct sf_buf *b, const char *s, const char *e)
{
	static const struct {
		const char *name;
		char ch;
	} named[] = { { "lt", '<' }, { "gt", '>' }, { "amp", '&' },
		{ "quot", '"' }, { "apos", '\'' } };
	unsigned long cp = 0;
	bool hex;
	size_t i;

	for (i = 0; i < SF_ARRAY_LEN(named); i++) {
		if (span_is(s, e, named[i].name)) {
			sf_buf_addch(b, named[i].ch);
			return true;
		}
	}
	if (*s++ != '#')
		return false;
	hex = s < e && (*s == 'x' || *s == 'X');
	if (hex)
		s++;
	if (s == e || e - s > 7)
		return false;
	for (; s < e; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (hex && *s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (hex && *s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return false;
		cp = cp * (hex ? 16 : 10) + (unsigned long)v;
	}
	if (!cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	utf8_put(b, cp);
	return true;
}

/* Element text, entities decoded, trimmed; never longer than the input. */
static char *
xml_text(const char *s, const char *e)
{
	struct sf_buf b;

	s = skip_space(s, e);
	e = trim_end(s, e);
	/* Decoding only shrinks, so the buffer is never reallocated. */
	sf_buf_init(&b, (size_t)(e - s) + 1);
	while (s < e) {
		const char *semi = NULL;

		if (*s == '&')
			semi = memchr(s, ';',
			    (size_t)(e - s) < 12 ? (size_t)(e - s) : 12);
		if (semi && xml_entity(&b, s + 1, semi)) {
			s = semi + 1;
			continue;
		}
		sf_buf_addch(&b, *s++);
	}
	return sf_buf_detach(&b, NULL);
}

static char *
xml_get(const char *s, const char *e, const char *name)
{
	const char *in, *in_end;

	if (!xml_element(s, e, name, &in, &in_end))
		return NULL;
	return xml_text(in, in_end);
}

static bool
region_ok(const char *r)
{
	for (; *r; r++)
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') ||
		        *r == '-'))
			return false;
	return true;
}

/* The STS endpoint: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the region's. */
static int
sts_url(struct walk *w, const char *label, char **out, struct sf_err *err)
{
	const struct sf_creds_env *e = &w->c->env;
	const char *v = NULL;
	char *region;
	size_t n;
	int rc;

	if (!env_true(e, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
		v = env_get(e, "AWS_ENDPOINT_URL_STS");
		if (!v)
			v = env_get(e, "AWS_ENDPOINT_URL");
	}
	if (v) {
		n = strlen(v);
		while (n && v[n - 1] == '/')
			n--;
		*out = sf_xasprintf("%.*s/", (int)n, v);
		return SF_OK;
	}
	region = region_of(e, w->c->profile, NULL, &rc);
	if (!region) {
		*out = sf_xstrdup("https://sts.amazonaws.com/");
		return SF_OK;
	}
	if (!region_ok(region)) {
		free(region);
		return sf_error(err, SF_EINVALID, WHERE,
		    "%s: the region is not a valid region name", label);
	}
	*out = sf_xasprintf("https://sts.%s.amazonaws.com%s/", region,
	    sf_str_has_prefix(region, "cn-") ? ".cn" : "");
	free(region);
	return SF_OK;
}

static int
sts_error(const struct sf_http_xfer *x, const char *label, struct sf_err *err)
{
	const char *s = x->resp_body.buf, *e = s + x->resp_body.len;
	const char *in, *in_end;
	char *code = NULL, *msg = NULL;
	char tcode[96], tmsg[REMOTE_TEXT_MAX + 8];
	int rc;

	if (xml_element(s, e, "Error", &in, &in_end)) {
		code = xml_get(in, in_end, "Code");
		msg = xml_get(in, in_end, "Message");
	}
	if (code) {
		remote_text(tcode, sizeof(tcode), code);
		remote_text(tmsg, sizeof(tmsg), msg ? msg : "");
		rc = sf_error(err, SF_EREMOTE, WHERE,
		    "%s: STS AssumeRoleWithWebIdentity: %s (%ld)%s%s", label,
		    tcode, x->status, *tmsg ? ": " : "", tmsg);
	} else {
		rc = sf_error(err, SF_EREMOTE, WHERE,
		    "%s: STS AssumeRoleWithWebIdentity answered HTTP %ld",
		    label, x->status);
	}
	free(code);
	free(msg);
	return rc;
}

/*
 * AssumeRoleWithWebIdentity with the token in token_path: the Query
 * protocol, unsigned, form-encoded.
 */
static int
assume_web_identity(struct walk *w, const char *label, const char *token_path,
    const char *role_arn, const char *session, const char *source,
    struct sf_aws_creds *out, struct sf_err *err)
{
	struct sf_buf token = SF_BUF_INIT, body = SF_BUF_INIT;
	struct sf_http_headers h = { 0 };
	struct sf_http_xfer x;
	struct sf_err e;
	char *path = expand_home(&w->c->env, token_path), *url = NULL;
	char *session_buf = NULL, *id = NULL, *secret = NULL, *tok = NULL;
	char *exp = NULL;
	const char *s, *end, *in, *in_end;
	int64_t expires;
	int rc;

	memset(&x, 0, sizeof(x));
	if ((rc = read_secret_file(path, TOKEN_CAP, &token, &e))) {
		rc = sf_error(err, rc, WHERE, "%s: token file %s: %s", label,
		    path, e.msg);
		goto out;
	}
	buf_trim_end(&token);
	walk_secret(w, token.buf);
	if (!token.len) {
		rc = sf_error(err, SF_EINVALID, WHERE,
		    "%s: token file %s is empty", label, path);
		goto out;
	}
	if (!session)
		session = session_buf =
		    sf_xasprintf("sandform-%lld", (long long)chain_now(w->c));
	if ((rc = sts_url(w, label, &url, err)))
		goto out;

	/* The token is most of the body: size it once, wipe it after. */
	sf_buf_init(&body,
	    3 * token.len + 3 * strlen(role_arn) + 3 * strlen(session) + 256);
	sf_buf_adds(&body, "Action=AssumeRoleWithWebIdentity"
	                   "&Version=2011-06-15&RoleArn=");
	sf_http_uri_encode(&body, role_arn);
	sf_buf_adds(&body, "&RoleSessionName=");
	sf_http_uri_encode(&body, session);
	sf_buf_adds(&body, "&WebIdentityToken=");
	sf_http_uri_encode(&body, token.buf);
	sf_http_headers_add(&h, "Content-Type",
	    "application/x-www-form-urlencoded; charset=utf-8");
	sf_http_headers_add(&h, "Accept", "text/xml");
	x.method = "POST";
	x.url = url;
	x.headers = &h;
	x.body = body.buf;
	x.body_len = body.len;
	x.connect_timeout_ms = STS_CONNECT_MS;
	x.timeout_ms = STS_TIMEOUT_MS;
	x.body_cap = RESPONSE_CAP;
	if ((rc = http_do(w, &x, label, err)))
		goto out;
	if (x.status != 200) {
		rc = sts_error(&x, label, err);
		goto out;
	}
	s = x.resp_body.buf;
	end = s + x.resp_body.len;
	if (xml_element(s, end, "Credentials", &in, &in_end)) {
		id = xml_get(in, in_end, "AccessKeyId");
		secret = xml_get(in, in_end, "SecretAccessKey");
		tok = xml_get(in, in_end, "SessionToken");
		exp = xml_get(in, in_end, "Expiration");
	}
	walk_secret(w, secret);
	walk_secret(w, tok);
	if (!id || !*id || !secret || !*secret || !tok || !*tok || !exp) {
		rc = sf_error(err, SF_EREMOTE, WHERE,
		    "%s: STS AssumeRoleWithWebIdentity answered without "
		    "credentials",
		    label);
		goto out;
	}
	if ((expires = parse_iso8601(exp)) < 0) {
		rc = sf_error(err, SF_EREMOTE, WHERE,
		    "%s: STS AssumeRoleWithWebIdentity: Expiration is not an "
		    "ISO 8601 time",
		    label);
		goto out;
	}
	set_creds(w, out, id, secret, tok, expires, source);
out:
	xfer_release_secret(&x);
	headers_release_secret(&h);
	buf_release_secret(&body);
	buf_release_secret(&token);
	free_secret(id);
	free_secret(secret);
	free_secret(tok);
	free(exp);
	free(session_buf);
	free(url);
	free(path);
	return rc;
}

/* 1. Environment. */

static int
from_env(struct walk *w, struct sf_aws_creds *out, struct sf_err *err)
{
	const struct sf_creds_env *e = &w->c->env;
	const char *id, *secret, *token;

	if (w->c->profile) {
		walk_why(w, "environment: not used with profile \"%s\"",
		    w->c->profile);
		return SF_OK;
	}
	id = env_get(e, "AWS_ACCESS_KEY_ID");
	secret = env_get(e, "AWS_SECRET_ACCESS_KEY");
	token = env_get(e, "AWS_SESSION_TOKEN");
	walk_secret(w, secret);
	walk_secret(w, token);
	if (!id && !secret) {
		walk_why(w, "environment: AWS_ACCESS_KEY_ID not set");
		return SF_OK;
	}
	if (!id || !secret)
		return sf_error(err, SF_EINVALID, WHERE,
		    "environment: %s is set but %s is not",
		    id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	set_creds(w, out, id, secret, token, 0, "environment");
	return SF_OK;
}

/* 2. Web identity from the environment. */

static int
from_web_identity(struct walk *w, struct sf_aws_creds *out, struct sf_err *err)
{
	const struct sf_creds_env *e = &w->c->env;
	const char *file, *role;

	if (w->c->profile) {
		walk_why(w, "web identity: not used with profile \"%s\"",
		    w->c->profile);
		return SF_OK;
	}
	file = env_get(e, "AWS_WEB_IDENTITY_TOKEN_FILE");
	role = env_get(e, "AWS_ROLE_ARN");
	if (!file) {
		walk_why(
		    w, "web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set");
		return SF_OK;
	}
	if (!role)
		return sf_error(err, SF_EINVALID, WHERE,
		    "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but "
		    "AWS_ROLE_ARN is not");
	return assume_web_identity(w, "web identity", file, role,
	    env_get(e, "AWS_ROLE_SESSION_NAME"), "web identity", out, err);
}

/* 3. The shared files. */

static int
static_keys(struct walk *w, const struct profiles *ps, bool config,
    struct sf_aws_creds *out, struct sf_err *err)
{
	const struct profile *p = config ? &ps->conf : &ps->cred;
	const char *id = profile_get(p, "aws_access_key_id");
	const char *secret = profile_get(p, "aws_secret_access_key");
	const char *token = profile_get(p, "aws_session_token");
	char source[sizeof(out->source)];

	if (!token)
		token = profile_get(p, "aws_security_token");
	walk_secret(w, secret);
	walk_secret(w, token);
	if (!id || !secret)
		return sf_error(err, SF_EINVALID, WHERE,
		    "profile \"%s\" in %s: %s is set but %s is not", ps->name,
		    profiles_shown(ps, config),
		    id ? "aws_access_key_id" : "aws_secret_access_key",
		    id ? "aws_secret_access_key" : "aws_access_key_id");
	snprintf(source, sizeof(source), "profile %s", ps->name);
	set_creds(w, out, id, secret, token, 0, source);
	return SF_OK;
}

static bool
has_keys(const struct profile *p)
{
	return profile_get(p, "aws_access_key_id") ||
	       profile_get(p, "aws_secret_access_key");
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Whether there is a controlling terminal a helper could prompt on (an MFA
 * code, say). Then it must stay in our process group, the terminal's
 * foreground one, or reading would stop it with SIGTTIN.
 */
static bool
have_tty(void)
{
	int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Wait for pid until deadline; kill target then. *killed says it was. */
static int
reap(pid_t pid, pid_t target, int64_t deadline, int *status, bool *killed)
{
	struct timespec nap = { 0, 5 * 1000000L };
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, *killed ? 0 : WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0 && mono_ms() >= deadline) {
			kill(target, SIGKILL);
			*killed = true;
		} else if (r == 0) {
			nanosleep(&nap, NULL);
		}
	}
}

/*
 * Run cmd through /bin/sh -c with stdin and stderr inherited; stdout goes
 * into out (sized once to hold PROCESS_CAP bytes, so secrets are never
 * left behind by a reallocation). On failure why says why, never with the
 * output. Without a terminal the command runs in a process group of its
 * own, so that a timeout kills whatever it started too; with one it stays
 * in ours, where it can prompt and where ^C reaches it.
 */
static int
run_process(const char *cmd, long timeout_ms, struct sf_buf *out, int *status,
    char *why, size_t whylen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char sh[] = "sh", dash_c[] = "-c";
	char *argv[4], *cmd_copy = sf_xstrdup(cmd);
	int fds[2] = { -1, -1 }, e;
	pid_t pid, target;
	bool group = !have_tty();
	int64_t deadline;
	bool killed = false, too_large = false;
	int rc = SF_ERROR;

	sf_buf_grow(out, PROCESS_CAP + 1);
	if (pipe(fds) < 0) {
		snprintf(
		    why, whylen, "cannot make a pipe: %s", strerror(errno));
		goto out;
	}
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	argv[0] = sh;
	argv[1] = dash_c;
	argv[2] = cmd_copy;
	argv[3] = NULL;
	posix_spawnattr_init(&attr);
	if (group) {
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
		posix_spawnattr_setpgroup(&attr, 0);
	}
	e = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	fds[1] = -1;
	if (e) {
		snprintf(why, whylen, "cannot run /bin/sh: %s", strerror(e));
		goto out;
	}
	target = group ? -pid : pid;
	deadline = mono_ms() + timeout_ms;
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		int64_t left = deadline - mono_ms();
		ssize_t n;

		if (left <= 0) {
			kill(target, SIGKILL);
			killed = true;
			break;
		}
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR) {
			kill(target, SIGKILL);
			killed = true;
			break;
		}
		if (n <= 0)
			continue;
		n = read(
		    fds[0], out->buf + out->len, out->alloc - out->len - 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		if (out->len > PROCESS_CAP) {
			too_large = true;
			kill(target, SIGKILL);
			killed = true;
			break;
		}
	}
	if (reap(pid, target, deadline, status, &killed) < 0) {
		snprintf(
		    why, whylen, "cannot wait for it: %s", strerror(errno));
		goto out;
	}
	if (too_large) {
		snprintf(why, whylen, "printed more than %d KiB",
		    PROCESS_CAP / 1024);
	} else if (killed) {
		if (timeout_ms % 1000)
			snprintf(
			    why, whylen, "timed out after %ld ms", timeout_ms);
		else
			snprintf(why, whylen, "timed out after %ld s",
			    timeout_ms / 1000);
	} else {
		rc = SF_OK;
	}
out:
	if (fds[0] >= 0)
		close(fds[0]);
	free_secret(cmd_copy);
	return rc;
}

static int
credential_process(struct walk *w, const struct profiles *ps, const char *cmd,
    struct sf_aws_creds *out, struct sf_err *err)
{
	struct sf_buf o = SF_BUF_INIT;
	long timeout = w->c->env.process_timeout_ms > 0
	                   ? w->c->env.process_timeout_ms
	                   : PROCESS_TIMEOUT_MS;
	char why[160], source[sizeof(out->source)];
	int status = 0, rc;

	why[0] = '\0';
	if ((rc = run_process(cmd, timeout, &o, &status, why, sizeof(why)))) {
		rc = sf_error(err, SF_ERROR, WHERE,
		    "profile \"%s\": credential_process %s", ps->name, why);
		goto out;
	}
	if (WIFSIGNALED(status)) {
		rc = sf_error(err, SF_ERROR, WHERE,
		    "profile \"%s\": credential_process was killed by "
		    "signal %d",
		    ps->name, WTERMSIG(status));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		rc = sf_error(err, SF_ERROR, WHERE,
		    "profile \"%s\": credential_process exited with status %d",
		    ps->name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	snprintf(source, sizeof(source), "profile %s (process)", ps->name);
	if ((rc = json_creds(
	         w, &o, "SessionToken", true, source, out, why, sizeof(why))))
		rc = sf_error(err, SF_EINVALID, WHERE,
		    "profile \"%s\": credential_process output: %s", ps->name,
		    why);
out:
	buf_release_secret(&o);
	return rc;
}

static int
from_profile(struct walk *w, struct sf_aws_creds *out, struct sf_err *err)
{
	struct profiles ps;
	const char *wit, *role, *proc;
	char label[96], source[sizeof(out->source)];
	int rc;

	if ((rc = profiles_load(&w->c->env, w->c->profile, &ps, err)))
		goto out;
	if (!ps.cred.found && !ps.conf.found) {
		if (ps.explicit)
			rc = profiles_missing(&ps, err);
		else if (!ps.cred_path && !ps.conf_path)
			walk_why(w, "profile \"%s\": HOME not set", ps.name);
		else
			walk_why(w, "profile \"%s\": not in %s or %s", ps.name,
			    ps.cred_path ? profiles_shown(&ps, false) : "-",
			    ps.conf_path ? profiles_shown(&ps, true) : "-");
		goto out;
	}
	snprintf(label, sizeof(label), "profile \"%s\"", ps.name);
	wit = profiles_get(&ps, "web_identity_token_file");
	role = profiles_get(&ps, "role_arn");
	if (role && (profiles_get(&ps, "source_profile") ||
	                profiles_get(&ps, "credential_source"))) {
		rc = sf_error(err, SF_EINVALID, WHERE,
		    "%s: role_arn with source_profile or credential_source "
		    "(assume role) is not supported; use credential_process "
		    "or environment variables",
		    label);
	} else if (wit) {
		if (!role) {
			rc = sf_error(err, SF_EINVALID, WHERE,
			    "%s: web_identity_token_file is set but role_arn "
			    "is not",
			    label);
			goto out;
		}
		snprintf(source, sizeof(source), "profile %s (web identity)",
		    ps.name);
		rc = assume_web_identity(w, label, wit, role,
		    profiles_get(&ps, "role_session_name"), source, out, err);
	} else if (has_keys(&ps.cred)) {
		rc = static_keys(w, &ps, false, out, err);
	} else if ((proc = profiles_get(&ps, "credential_process"))) {
		rc = credential_process(w, &ps, proc, out, err);
	} else if (has_keys(&ps.conf)) {
		rc = static_keys(w, &ps, true, out, err);
	} else if (profiles_get(&ps, "sso_session") ||
	           profiles_get(&ps, "sso_start_url")) {
		rc = sf_error(err, SF_EINVALID, WHERE,
		    "%s: SSO is not supported; use credential_process "
		    "(aws configure export-credentials --format process)",
		    label);
	} else {
		walk_why(w, "%s: no credentials in it", label);
	}
out:
	profiles_release(&ps);
	return rc;
}

/* 4. Container. */

/* Whether [s, e) is a dotted quad in 127.0.0.0/8. */
static bool
loopback_v4(const char *s, const char *e)
{
	int part = 0, digits = 0, v = 0, first = 0;

	for (; s <= e; s++) {
		if (s == e || *s == '.') {
			if (!digits || v > 255)
				return false;
			if (part == 0)
				first = v;
			part++;
			digits = v = 0;
			if (s == e)
				break;
		} else if (*s >= '0' && *s <= '9' && digits < 3) {
			v = v * 10 + (*s - '0');
			digits++;
		} else {
			return false;
		}
	}
	return part == 4 && first == 127;
}

/*
 * Whether url may be fetched: https anywhere, http only to loopback and the
 * ECS and EKS Pod Identity addresses (names are not resolved: only
 * "localhost" and literal addresses pass).
 */
static bool
container_url_ok(const char *url)
{
	static const char *const hosts[] = { "localhost", "[::1]",
		"169.254.170.2", "169.254.170.23", "[fd00:ec2::23]" };
	const char *h, *e;
	size_t i, n;

	if (!strncasecmp(url, "https://", 8))
		return true;
	if (strncasecmp(url, "http://", 7))
		return false;
	h = url + 7;
	n = strcspn(h, "/?#");
	if (memchr(h, '@', n))
		return false;
	if (*h == '[') {
		e = memchr(h, ']', n);
		if (!e)
			return false;
		e++;
	} else {
		e = memchr(h, ':', n);
		if (!e)
			e = h + n;
	}
	for (i = 0; i < SF_ARRAY_LEN(hosts); i++)
		if ((size_t)(e - h) == strlen(hosts[i]) &&
		    !strncasecmp(h, hosts[i], (size_t)(e - h)))
			return true;
	return loopback_v4(h, e);
}

static int
from_container(struct walk *w, struct sf_aws_creds *out, struct sf_err *err)
{
	const struct sf_creds_env *e = &w->c->env;
	const char *rel = env_get(e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env_get(e, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tfile =
	    env_get(e, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *v;
	struct sf_buf token = SF_BUF_INIT;
	struct sf_http_headers h = { 0 };
	struct sf_http_xfer x;
	struct sf_err fe;
	char *url = NULL, why[160];
	int rc = SF_OK;

	memset(&x, 0, sizeof(x));
	if (!rel && !full) {
		walk_why(w, "container: not configured");
		return SF_OK;
	}
	if (rel) {
		if (*rel != '/')
			return sf_error(err, SF_EINVALID, WHERE,
			    "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
			    "must start with /");
		url = sf_xasprintf("%s%s", ECS_HOST, rel);
	} else {
		if (!container_url_ok(full))
			return sf_error(err, SF_EINVALID, WHERE,
			    "container: AWS_CONTAINER_CREDENTIALS_FULL_URI "
			    "must be https, or http to a loopback address, "
			    "169.254.170.2, 169.254.170.23 or fd00:ec2::23");
		url = sf_xstrdup(full);
	}
	if (tfile) {
		char *path = expand_home(e, tfile);

		rc = read_secret_file(path, TOKEN_CAP, &token, &fe);
		if (rc)
			rc = sf_error(err, rc, WHERE,
			    "container: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE "
			    "%s: %s",
			    path, fe.msg);
		free(path);
		if (rc)
			goto out;
		buf_trim_end(&token);
	} else if ((v = env_get(e, "AWS_CONTAINER_AUTHORIZATION_TOKEN"))) {
		sf_buf_init(&token, strlen(v) + 1);
		sf_buf_adds(&token, v);
	}
	walk_secret(w, token.buf);
	if (has_control(token.buf)) {
		rc = sf_error(err, SF_EINVALID, WHERE,
		    "container: the authorization token contains control "
		    "characters");
		goto out;
	}
	sf_http_headers_add(&h, "Accept", "application/json");
	if (token.len)
		sf_http_headers_add(&h, "Authorization", token.buf);
	x.method = "GET";
	x.url = url;
	x.headers = &h;
	x.connect_timeout_ms = CONTAINER_CONNECT_MS;
	x.timeout_ms = CONTAINER_TIMEOUT_MS;
	x.body_cap = RESPONSE_CAP;
	if ((rc = http_do(w, &x, "container", err)))
		goto out;
	if (x.status != 200) {
		json_t *o =
		    json_loadb(x.resp_body.buf, x.resp_body.len, 0, NULL);
		const char *code = NULL, *msg = NULL;
		char tcode[64], tmsg[REMOTE_TEXT_MAX + 8];

		if (json_is_object(o)) {
			if (!(code = json_str(o, "code")))
				code = json_str(o, "Code");
			if (!(msg = json_str(o, "message")))
				msg = json_str(o, "Message");
		}
		remote_text(tcode, sizeof(tcode), code ? code : "");
		remote_text(tmsg, sizeof(tmsg), msg ? msg : "");
		rc = sf_error(err, SF_EREMOTE, WHERE,
		    "container: %s answered HTTP %ld%s%s%s%s", url, x.status,
		    *tcode ? ": " : "", tcode, *tmsg ? ": " : "", tmsg);
		json_decref(o);
		goto out;
	}
	if ((rc = json_creds(w, &x.resp_body, "Token", false, "container", out,
	         why, sizeof(why))))
		rc = sf_error(err, SF_EREMOTE, WHERE,
		    "container: the answer of %s: %s", url, why);
out:
	xfer_release_secret(&x);
	headers_release_secret(&h);
	buf_release_secret(&token);
	free(url);
	return rc;
}

/* 5. Instance metadata, IMDSv2. */

static bool
role_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || strchr("+=,.@_-", *s)))
			return false;
	return true;
}

/* One IMDS request; false (with the reason noted) when it gave nothing. */
static bool
imds_get(struct walk *w, struct sf_http_xfer *x, const char *method,
    const char *url, struct sf_http_headers *h, const char *what)
{
	struct sf_err e;

	xfer_release_secret(x);
	memset(x, 0, sizeof(*x));
	x->method = method;
	x->url = url;
	x->headers = h;
	x->connect_timeout_ms = IMDS_CONNECT_MS;
	x->timeout_ms = IMDS_TIMEOUT_MS;
	x->body_cap = RESPONSE_CAP;
	if (sf_http_perform(chain_http(w->c), x, &e)) {
		walk_why(
		    w, "instance metadata: no answer from %s (%s)", url, e.msg);
		return false;
	}
	if (x->status == 404 && !strcmp(what, "role list")) {
		walk_why(w, "instance metadata: no IAM role attached");
		return false;
	}
	if (x->status != 200) {
		walk_why(w,
		    "instance metadata: the %s request answered HTTP %ld", what,
		    x->status);
		return false;
	}
	return true;
}

static int
from_imds(struct walk *w, struct sf_aws_creds *out, struct sf_err *err)
{
	const struct sf_creds_env *e = &w->c->env;
	const char *v;
	struct sf_http_headers h = { 0 };
	struct sf_http_xfer x;
	char *base, *url = NULL, *token = NULL, *role = NULL, why[160];
	size_t n;

	(void)err;
	memset(&x, 0, sizeof(x));
	if (env_true(e, "AWS_EC2_METADATA_DISABLED")) {
		walk_why(w, "instance metadata: disabled "
		            "(AWS_EC2_METADATA_DISABLED)");
		return SF_OK;
	}
	v = env_get(e, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if (!v) {
		v = env_get(e, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
		v = v && !strcasecmp(v, "IPv6") ? IMDS_HOST_V6 : IMDS_HOST_V4;
	}
	n = strlen(v);
	while (n && v[n - 1] == '/')
		n--;
	base = sf_xstrndup(v, n);

	url = sf_xasprintf("%s/latest/api/token", base);
	sf_http_headers_add(
	    &h, "X-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL);
	if (!imds_get(w, &x, "PUT", url, &h, "token"))
		goto out;
	buf_trim_end(&x.resp_body);
	walk_secret_n(w, x.resp_body.buf, x.resp_body.len);
	if (!x.resp_body.len || has_control(x.resp_body.buf)) {
		walk_why(w, "instance metadata: the token is not valid");
		goto out;
	}
	token = sf_xstrndup(x.resp_body.buf, x.resp_body.len);
	headers_release_secret(&h);
	sf_http_headers_add(&h, "X-aws-ec2-metadata-token", token);

	free(url);
	url = sf_xasprintf("%s%s", base, IMDS_ROLE_PATH);
	if (!imds_get(w, &x, "GET", url, &h, "role list"))
		goto out;
	n = strcspn(x.resp_body.buf, "\r\n");
	role = sf_xstrndup(x.resp_body.buf, n);
	if (!role_name_ok(role)) {
		walk_why(w, "instance metadata: no valid role name");
		goto out;
	}

	free(url);
	url = sf_xasprintf("%s%s%s", base, IMDS_ROLE_PATH, role);
	if (!imds_get(w, &x, "GET", url, &h, "credentials"))
		goto out;
	if (json_creds(w, &x.resp_body, "Token", false, "instance metadata",
	        out, why, sizeof(why)))
		walk_why(w, "instance metadata: the credentials of role %s: %s",
		    role, why);
out:
	xfer_release_secret(&x);
	headers_release_secret(&h);
	free_secret(token);
	free(role);
	free(url);
	free(base);
	return SF_OK;
}

/* The chain. */

static int
run_source(
    struct walk *w, enum source s, struct sf_aws_creds *out, struct sf_err *err)
{
	switch (s) {
	case SRC_ENV:
		return from_env(w, out, err);
	case SRC_WEB_IDENTITY:
		return from_web_identity(w, out, err);
	case SRC_PROFILE:
		return from_profile(w, out, err);
	case SRC_CONTAINER:
		return from_container(w, out, err);
	case SRC_IMDS:
		return from_imds(w, out, err);
	case SRC_NONE:
		break;
	}
	return sf_error(err, SF_ERROR, WHERE, "no such source");
}

static int
run_chain(struct walk *w, struct sf_aws_creds *out, enum source *from,
    struct sf_err *err)
{
	static const enum source order[] = { SRC_ENV, SRC_WEB_IDENTITY,
		SRC_PROFILE, SRC_CONTAINER, SRC_IMDS };
	size_t i;
	int rc;

	for (i = 0; i < SF_ARRAY_LEN(order); i++) {
		if ((rc = run_source(w, order[i], out, err)))
			return rc;
		if (out->access_key_id) {
			*from = order[i];
			return SF_OK;
		}
	}
	return sf_error(err, SF_ENOTFOUND, WHERE,
	    "no AWS credentials found: %s", w->why.buf);
}

struct sf_creds_chain *
sf_creds_chain_new(const char *profile, const struct sf_creds_env *env)
{
	struct sf_creds_chain *c = sf_xcalloc(1, sizeof(*c));

	if (profile && *profile)
		c->profile = sf_xstrdup(profile);
	if (env)
		c->env = *env;
	if (c->env.home) {
		c->home = sf_xstrdup(c->env.home);
		c->env.home = c->home;
	}
	return c;
}

void
sf_creds_chain_free(struct sf_creds_chain *c)
{
	if (!c)
		return;
	sf_aws_creds_release(&c->cached);
	if (c->own_http)
		sf_http_free(c->env.http);
	free(c->profile);
	free(c->home);
	free(c);
}

int
sf_creds_get(
    struct sf_creds_chain *c, struct sf_aws_creds *out, struct sf_err *err)
{
	struct sf_aws_creds fresh;
	struct walk w;
	enum source from = c->from;
	int64_t now = chain_now(c);
	int rc;

	memset(out, 0, sizeof(*out));
	if (c->from && (!c->cached.expires ||
	                   now < c->cached.expires - SF_CREDS_REFRESH_WINDOW)) {
		sf_aws_creds_copy(out, &c->cached);
		return SF_OK;
	}
	memset(&fresh, 0, sizeof(fresh));
	walk_init(&w, c);
	if (c->from) {
		/* Refresh from the source that gave them, as the SDKs do. */
		rc = run_source(&w, c->from, &fresh, err);
		if (!rc && !fresh.access_key_id)
			rc = sf_error(err, SF_ENOTFOUND, WHERE,
			    "no AWS credentials found: %s", w.why.buf);
		if (rc && c->cached.expires - now >= KEEP_ON_FAILURE) {
			sf_aws_creds_copy(out, &c->cached);
			rc = SF_OK;
			goto out;
		}
	} else {
		rc = run_chain(&w, &fresh, &from, err);
	}
	if (rc) {
		if (err) {
			scrub(&w, err->where, sizeof(err->where));
			scrub(&w, err->msg, sizeof(err->msg));
		}
		goto out;
	}
	sf_aws_creds_release(&c->cached);
	c->cached = fresh;
	memset(&fresh, 0, sizeof(fresh));
	c->from = from;
	sf_aws_creds_copy(out, &c->cached);
out:
	sf_aws_creds_release(&fresh);
	walk_release(&w);
	return rc;
}
