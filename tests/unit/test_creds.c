/*
 * Unit tests of the credentials chain (src/provider/aws/creds.c).
 *
 * Nothing here reads the real environment or the real ~/.aws: getenv is a
 * table, the clock a variable, HOME a temporary directory. Nothing contacts
 * a non-loopback address: every fixture disables instance metadata and
 * points AWS_ENDPOINT_URL at a closed loopback port, and the tests that
 * talk HTTP point STS, the container endpoint and IMDS at loopback servers.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provider/aws/creds.h"
#include "testhttpd.h"

#define NOW    1700000000 /* 2023-11-14T22:13:20Z */
#define EXP_1H "2023-11-14T23:13:20Z"

/* Every secret of the suite: none may appear in a message or a source. */
#define ENV_SECRET     "envSECRETkey0123456789abcdefghij"
#define ENV_TOKEN      "envSESSIONtoken0123456789abcdef"
#define FILE_SECRET    "fileSECRETkey0123456789abcdefgh"
#define FILE_TOKEN     "fileSESSIONtoken0123456789abcde"
#define CONF_SECRET    "confSECRETkey0123456789abcdefgh"
#define PROC_SECRET    "procSECRETkey0123456789abcdefgh"
#define PROC_TOKEN     "procSESSIONtoken0123456789abcde"
#define STS_SECRET_XML "stsSECRET/key+&amp;0123456789"
#define STS_SECRET     "stsSECRET/key+&0123456789"
#define STS_TOKEN      "stsSESSIONtoken0123456789abcdef"
#define WEBID_TOKEN    "eyJwebIDENTITY.tokenPAYLOAD0123.sigSIG_-9"
#define ECS_SECRET     "ecsSECRETkey0123456789abcdefghi"
#define ECS_TOKEN      "ecsSESSIONtoken0123456789abcdef"
#define ECS_AUTH       "ecsAUTHORIZATIONtoken0123456789"
#define ECS_AUTH_FILE  "ecsAUTHfileTOKEN0123456789abcde"
#define IMDS_SECRET    "imdsSECRETkey0123456789abcdefgh"
#define IMDS_TOKEN     "imdsSESSIONtoken0123456789abcde"
#define IMDS_API_TOKEN "imdsAPItokenAQAEAGxyz0123456789=="

static const char *const all_secrets[] = { ENV_SECRET, ENV_TOKEN, FILE_SECRET,
	FILE_TOKEN, CONF_SECRET, PROC_SECRET, PROC_TOKEN, STS_SECRET_XML,
	STS_SECRET, STS_TOKEN, WEBID_TOKEN, ECS_SECRET, ECS_TOKEN, ECS_AUTH,
	ECS_AUTH_FILE, IMDS_SECRET, IMDS_TOKEN, IMDS_API_TOKEN };

/* Every error message and source of the suite, for the last test. */
static struct sf_buf seen = SF_BUF_INIT;
static size_t nseen;

struct kv {
	char *name;
	char *value;
};

struct fx {
	char home[256];
	struct kv env[64];
	size_t nenv;
	int64_t now;
	struct sf_http *http;
	struct sf_creds_env cenv;
};

/* The fixture. */

static const char *
fx_getenv(const char *name, void *ud)
{
	struct fx *f = ud;
	size_t i;

	for (i = 0; i < f->nenv; i++)
		if (!strcmp(f->env[i].name, name))
			return f->env[i].value;
	return NULL;
}

/* Set name (or unset it, with value NULL). */
static void
fx_env(struct fx *f, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < f->nenv; i++) {
		if (!strcmp(f->env[i].name, name)) {
			free(f->env[i].value);
			if (value) {
				f->env[i].value = sf_xstrdup(value);
			} else {
				free(f->env[i].name);
				f->env[i] = f->env[--f->nenv];
			}
			return;
		}
	}
	if (!value)
		return;
	assert_true(f->nenv < SF_ARRAY_LEN(f->env));
	f->env[f->nenv].name = sf_xstrdup(name);
	f->env[f->nenv].value = sf_xstrdup(value);
	f->nenv++;
}

static int64_t
fx_now(void *ud)
{
	return ((struct fx *)ud)->now;
}

/* home/rel; the caller frees it. */
static char *
fx_path(struct fx *f, const char *rel)
{
	return sf_xasprintf("%s/%s", f->home, rel);
}

static void
fx_write(struct fx *f, const char *rel, const char *text, mode_t mode)
{
	char *path = fx_path(f, rel);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	free(path);
}

static void
rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st))
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((de = readdir(d))) {
			char *sub;

			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			sub = sf_xasprintf("%s/%s", path, de->d_name);
			rm_rf(sub);
			free(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int
setup(void **state)
{
	struct fx *f = sf_xcalloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	char *aws;

	snprintf(f->home, sizeof(f->home), "%s/sf-creds-XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->home))
		return -1;
	aws = fx_path(f, ".aws");
	mkdir(aws, 0700);
	free(aws);
	f->now = NOW;
	f->http = sf_http_new(NULL);
	f->cenv.getenv = fx_getenv;
	f->cenv.getenv_ud = f;
	f->cenv.now = fx_now;
	f->cenv.now_ud = f;
	f->cenv.http = f->http;
	f->cenv.home = f->home;
	fx_env(f, "HOME", f->home);
	/* Never the real IMDS, never real AWS. */
	fx_env(f, "AWS_EC2_METADATA_DISABLED", "true");
	fx_env(f, "AWS_ENDPOINT_URL", "http://127.0.0.1:1");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < f->nenv; i++) {
		free(f->env[i].name);
		free(f->env[i].value);
	}
	sf_http_free(f->http);
	rm_rf(f->home);
	free(f);
	return 0;
}

/* Keep a message or a source for the secret scan. */
static void
keep(const char *s)
{
	sf_buf_adds(&seen, s);
	sf_buf_addch(&seen, '\n');
	nseen++;
}

/* Get credentials, expecting rc; keep what comes out for the scan. */
static int
get(struct fx *f, const char *profile, struct sf_aws_creds *out,
    struct sf_err *err)
{
	struct sf_creds_chain *c = sf_creds_chain_new(profile, &f->cenv);
	int rc;

	sf_err_clear(err);
	rc = sf_creds_get(c, out, err);
	if (rc) {
		keep(err->where);
		keep(err->msg);
	} else {
		keep(out->source);
	}
	sf_creds_chain_free(c);
	return rc;
}

static int
chain_get(
    struct sf_creds_chain *c, struct sf_aws_creds *out, struct sf_err *err)
{
	int rc;

	sf_err_clear(err);
	rc = sf_creds_get(c, out, err);
	if (rc) {
		keep(err->where);
		keep(err->msg);
	} else {
		keep(out->source);
	}
	return rc;
}

/* Loopback servers. */

/*
 * A server that answers every request with status and body, "#N#" in the
 * body replaced by the request's number (1, 2, ...).
 */
struct canned {
	int status;
	char body[2048];
	int n;
};

static void
canned_handler(const struct th_request *req, struct th_response *res, void *ud)
{
	struct canned *k = ud;
	const char *p = k->body, *hit;

	(void)req;
	k->n++;
	res->status = k->status;
	while ((hit = strstr(p, "#N#"))) {
		sf_buf_add(&res->body, p, (size_t)(hit - p));
		sf_buf_addf(&res->body, "%d", k->n);
		p = hit + 3;
	}
	sf_buf_adds(&res->body, p);
}

static void
canned_set(struct canned *k, int status, const char *body)
{
	k->status = status;
	snprintf(k->body, sizeof(k->body), "%s", body);
}

#define ECS_JSON                                                            \
	"{\"AccessKeyId\":\"ASIAECS#N#\",\"SecretAccessKey\":\"" ECS_SECRET \
	"\",\"Token\":\"" ECS_TOKEN "\",\"Expiration\":\"" EXP_1H           \
	"\",\"RoleArn\":\"arn:aws:iam::123456789012:role/task\"}"

/* STS: echoes the web identity token in its error, as a careless IdP might. */
struct sts {
	bool fail;
	int n;
};

static void
sts_handler(const struct th_request *req, struct th_response *res, void *ud)
{
	struct sts *s = ud;
	const char *tok =
	    req->body ? strstr(req->body, "WebIdentityToken=") : NULL;
	size_t toklen = 0;

	s->n++;
	if (tok) {
		tok += strlen("WebIdentityToken=");
		toklen = strcspn(tok, "&");
	}
	th_response_header(res, "Content-Type", "text/xml");
	if (s->fail) {
		res->status = 400;
		sf_buf_addf(&res->body,
		    "<ErrorResponse "
		    "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
		    "  <Error>\n    <Type>Sender</Type>\n"
		    "    <Code>InvalidIdentityToken</Code>\n"
		    "    <Message>Token %.*s &amp; friends expired</Message>\n"
		    "  </Error>\n  <RequestId>r-1</RequestId>\n"
		    "</ErrorResponse>\n",
		    (int)toklen, tok ? tok : "");
		return;
	}
	sf_buf_addf(&res->body,
	    "<AssumeRoleWithWebIdentityResponse "
	    "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
	    "  <AssumeRoleWithWebIdentityResult>\n"
	    "    <SubjectFromWebIdentityToken>system:serviceaccount:ci:run"
	    "</SubjectFromWebIdentityToken>\n"
	    "    <AssumedRoleUser>\n"
	    "      <Arn>arn:aws:sts::123456789012:assumed-role/ci/x</Arn>\n"
	    "      <AssumedRoleId>AROAEXAMPLE:x</AssumedRoleId>\n"
	    "    </AssumedRoleUser>\n"
	    "    <Credentials>\n"
	    "      <SessionToken>" STS_TOKEN "</SessionToken>\n"
	    "      <SecretAccessKey>" STS_SECRET_XML "</SecretAccessKey>\n"
	    "      <Expiration>" EXP_1H "</Expiration>\n"
	    "      <AccessKeyId>ASIASTS%d</AccessKeyId>\n"
	    "    </Credentials>\n"
	    "    <Provider>oidc.example.com</Provider>\n"
	    "  </AssumeRoleWithWebIdentityResult>\n"
	    "  "
	    "<ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>\n"
	    "</AssumeRoleWithWebIdentityResponse>\n",
	    s->n);
}

/* IMDSv2: a token first, then the role, then its credentials. */
struct imds {
	bool no_role;
};

#define IMDS_ROLE_PATH "/latest/meta-data/iam/security-credentials/"

static void
imds_handler(const struct th_request *req, struct th_response *res, void *ud)
{
	struct imds *m = ud;
	const char *ttl =
	    th_header(req, "X-aws-ec2-metadata-token-ttl-seconds");
	const char *tok = th_header(req, "X-aws-ec2-metadata-token");

	if (!strcmp(req->method, "PUT") &&
	    !strcmp(req->uri, "/latest/api/token")) {
		res->status = ttl && !strcmp(ttl, "21600") ? 200 : 400;
		sf_buf_adds(&res->body, IMDS_API_TOKEN);
		return;
	}
	if (!tok || strcmp(tok, IMDS_API_TOKEN)) {
		res->status = 401;
		return;
	}
	if (!strcmp(req->uri, IMDS_ROLE_PATH)) {
		res->status = m->no_role ? 404 : 200;
		if (!m->no_role)
			sf_buf_adds(&res->body, "sandform-role\n");
		return;
	}
	if (!strcmp(req->uri, IMDS_ROLE_PATH "sandform-role")) {
		sf_buf_adds(&res->body,
		    "{\"Code\":\"Success\",\"LastUpdated\":"
		    "\"2023-11-14T22:00:00Z\",\"Type\":\"AWS-HMAC\","
		    "\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":"
		    "\"" IMDS_SECRET "\",\"Token\":\"" IMDS_TOKEN
		    "\",\"Expiration\":\"" EXP_1H "\"}");
		return;
	}
	res->status = 404;
}

/* A loopback URL nobody listens on. */
static char *
closed_url(void)
{
	struct canned k = { 0 };
	struct th_server *s = th_start(canned_handler, &k);
	char *url = sf_xstrdup(th_url(s));

	th_stop(s);
	return url;
}

static char *
body_param(const struct th_request *r, const char *name)
{
	size_t n = strlen(name);
	const char *p = r->body;

	while (p && *p) {
		size_t len = strcspn(p, "&");

		if (len > n && !strncmp(p, name, n) && p[n] == '=')
			return sf_xstrndup(p + n + 1, len - n - 1);
		p += len;
		if (*p == '&')
			p++;
	}
	return NULL;
}

static void
assert_param(const struct th_request *r, const char *name, const char *want)
{
	char *v = body_param(r, name);

	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

/* 1. Environment. */

static void
test_env_keys(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_env(f, "AWS_ACCESS_KEY_ID", "AKIAENV");
	fx_env(f, "AWS_SECRET_ACCESS_KEY", ENV_SECRET);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIAENV");
	assert_string_equal(cr.secret_access_key, ENV_SECRET);
	assert_null(cr.session_token);
	assert_int_equal(cr.expires, 0);
	assert_string_equal(cr.source, "environment");
	sf_aws_creds_release(&cr);

	fx_env(f, "AWS_SESSION_TOKEN", ENV_TOKEN);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.session_token, ENV_TOKEN);
	sf_aws_creds_release(&cr);
}

static void
test_env_half_set(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_env(f, "AWS_ACCESS_KEY_ID", "AKIAENV");
	assert_int_equal(get(f, NULL, &cr, &err), SF_EINVALID);
	assert_string_equal(err.msg,
	    "environment: AWS_ACCESS_KEY_ID is set but "
	    "AWS_SECRET_ACCESS_KEY is not");

	fx_env(f, "AWS_ACCESS_KEY_ID", NULL);
	fx_env(f, "AWS_SECRET_ACCESS_KEY", ENV_SECRET);
	fx_env(f, "AWS_SESSION_TOKEN", ENV_TOKEN);
	assert_int_equal(get(f, NULL, &cr, &err), SF_EINVALID);
	assert_string_equal(err.msg, "environment: AWS_SECRET_ACCESS_KEY is "
	                             "set but AWS_ACCESS_KEY_ID is not");
	assert_null(cr.access_key_id);

	/* Empty is unset, as in the SDKs. */
	fx_env(f, "AWS_SECRET_ACCESS_KEY", "");
	fx_env(f, "AWS_SESSION_TOKEN", NULL);
	assert_int_equal(get(f, NULL, &cr, &err), SF_ENOTFOUND);
}

static void
test_nothing_found_message(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	assert_int_equal(get(f, NULL, &cr, &err), SF_ENOTFOUND);
	assert_string_equal(err.where, "credentials");
	assert_string_equal(err.msg,
	    "no AWS credentials found: environment: AWS_ACCESS_KEY_ID not "
	    "set; web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set; profile "
	    "\"default\": not in ~/.aws/credentials or ~/.aws/config; "
	    "container: not configured; instance metadata: disabled "
	    "(AWS_EC2_METADATA_DISABLED)");
	assert_null(cr.access_key_id);

	/* A profile without credentials says so; so do moved files. */
	fx_write(f, ".aws/config", "[default]\nregion = eu-west-1\n", 0600);
	fx_env(f, "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/creds");
	assert_int_equal(get(f, NULL, &cr, &err), SF_ENOTFOUND);
	assert_non_null(strstr(err.msg, "; profile \"default\": no "
	                                "credentials in it; container:"));
	fx_env(f, "AWS_CONFIG_FILE", "/nonexistent/config");
	assert_int_equal(get(f, NULL, &cr, &err), SF_ENOTFOUND);
	assert_non_null(
	    strstr(err.msg, "profile \"default\": not in /nonexistent/creds or "
	                    "/nonexistent/config;"));
}

/* 3. The shared files. */

static void
test_profile_credentials_file(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_write(f, ".aws/credentials",
	    "# a comment\n"
	    "; another\n"
	    "[other]\n"
	    "aws_access_key_id = AKIAOTHER\n"
	    "aws_secret_access_key = nope\n"
	    "\n"
	    "  [ default ]  \n"
	    "\tAWS_Access_Key_Id=AKIAFILE\n"
	    "aws_secret_access_key   =   " FILE_SECRET "   \n"
	    "aws_session_token = " FILE_TOKEN "\n"
	    "  aws_session_token = continuation, not a key\n",
	    0600);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIAFILE");
	assert_string_equal(cr.secret_access_key, FILE_SECRET);
	assert_string_equal(cr.session_token, FILE_TOKEN);
	assert_int_equal(cr.expires, 0);
	assert_string_equal(cr.source, "profile default");
	sf_aws_creds_release(&cr);
}

static void
test_profile_from_aws_profile(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_write(f, ".aws/credentials",
	    "[default]\naws_access_key_id = AKIADEFAULT\n"
	    "aws_secret_access_key = " FILE_SECRET "\n"
	    "[ci]\r\naws_access_key_id = AKIACI\r\n"
	    "aws_secret_access_key = " FILE_SECRET "\r\n",
	    0600);
	fx_env(f, "AWS_PROFILE", "ci");
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIACI");
	assert_string_equal(cr.secret_access_key, FILE_SECRET);
	assert_string_equal(cr.source, "profile ci");
	sf_aws_creds_release(&cr);

	/* The caller's profile beats AWS_PROFILE. */
	assert_int_equal(get(f, "default", &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIADEFAULT");
	sf_aws_creds_release(&cr);
}

static void
test_profile_credentials_beat_config(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_write(f, ".aws/credentials",
	    "[ci]\naws_access_key_id = AKIACRED\n"
	    "aws_secret_access_key = " FILE_SECRET "\n",
	    0600);
	fx_write(f, ".aws/config",
	    "[profile ci]\naws_access_key_id = AKIACONF\n"
	    "aws_secret_access_key = " CONF_SECRET "\n"
	    "[profile confonly]\naws_access_key_id = AKIACONFONLY\n"
	    "aws_secret_access_key = " CONF_SECRET "\n",
	    0600);
	assert_int_equal(get(f, "ci", &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIACRED");
	assert_string_equal(cr.secret_access_key, FILE_SECRET);
	sf_aws_creds_release(&cr);
	assert_int_equal(get(f, "confonly", &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIACONFONLY");
	assert_string_equal(cr.secret_access_key, CONF_SECRET);
	assert_string_equal(cr.source, "profile confonly");
	sf_aws_creds_release(&cr);
}

static void
test_profile_config_sections(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_write(f, ".aws/config",
	    "[default]\n"
	    "aws_access_key_id = AKIADEF\n"
	    "aws_secret_access_key = " CONF_SECRET "\n"
	    "[ci]\n" /* not a profile in config */
	    "aws_access_key_id = AKIAWRONG\n"
	    "aws_secret_access_key = wrong\n"
	    "[ profile   ci ]\n"
	    "s3 =\n"
	    "  aws_access_key_id = AKIANESTED\n"
	    "aws_access_key_id = AKIACI\n"
	    "aws_access_key_id = AKIACI2\n" /* the later one wins */
	    "aws_secret_access_key = " CONF_SECRET "\n"
	    "[profilex]\n"
	    "aws_access_key_id = AKIAX\n",
	    0600);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIADEF");
	sf_aws_creds_release(&cr);
	assert_int_equal(get(f, "ci", &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIACI2");
	sf_aws_creds_release(&cr);
	assert_int_equal(get(f, "x", &cr, &err), SF_ENOTFOUND);
}

static void
test_profile_explicit_missing(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_write(f, ".aws/credentials",
	    "[default]\naws_access_key_id = A\n"
	    "aws_secret_access_key = B\n",
	    0600);
	/* Named explicitly and absent: an error, not the next source. */
	assert_int_equal(get(f, "nope", &cr, &err), SF_ENOTFOUND);
	assert_string_equal(err.msg, "profile \"nope\" not found in "
	                             "~/.aws/credentials or ~/.aws/config");
	fx_env(f, "AWS_PROFILE", "nope2");
	assert_int_equal(get(f, NULL, &cr, &err), SF_ENOTFOUND);
	assert_string_equal(err.msg, "profile \"nope2\" not found in "
	                             "~/.aws/credentials or ~/.aws/config");
	assert_null(cr.access_key_id);
}

static void
test_profile_explicit_skips_env(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_write(f, ".aws/credentials",
	    "[ci]\naws_access_key_id = AKIACI\n"
	    "aws_secret_access_key = " FILE_SECRET "\n",
	    0600);
	fx_env(f, "AWS_ACCESS_KEY_ID", "AKIAENV");
	fx_env(f, "AWS_SECRET_ACCESS_KEY", ENV_SECRET);
	/* AWS_PROFILE does not beat the environment... */
	fx_env(f, "AWS_PROFILE", "ci");
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.source, "environment");
	sf_aws_creds_release(&cr);
	/* ...a profile from the manifest does, like --profile. */
	assert_int_equal(get(f, "ci", &cr, &err), 0);
	assert_string_equal(cr.source, "profile ci");
	assert_string_equal(cr.access_key_id, "AKIACI");
	sf_aws_creds_release(&cr);
}

static void
test_profile_file_overrides(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;
	char *sub = fx_path(f, "elsewhere");

	mkdir(sub, 0700);
	free(sub);
	fx_write(f, ".aws/credentials",
	    "[default]\naws_access_key_id = AKIAHOME\n"
	    "aws_secret_access_key = " FILE_SECRET "\n",
	    0600);
	fx_write(f, "elsewhere/c",
	    "[default]\naws_access_key_id = AKIAMOVED\n"
	    "aws_secret_access_key = " FILE_SECRET "\n",
	    0600);
	fx_write(f, "elsewhere/conf",
	    "[profile p]\naws_access_key_id = AKIACONFMOVED\n"
	    "aws_secret_access_key = " CONF_SECRET "\n",
	    0600);
	fx_env(f, "AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/c");
	fx_env(f, "AWS_CONFIG_FILE", "~/elsewhere/conf");
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIAMOVED");
	sf_aws_creds_release(&cr);
	assert_int_equal(get(f, "p", &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIACONFMOVED");
	sf_aws_creds_release(&cr);
	assert_int_equal(get(f, "q", &cr, &err), SF_ENOTFOUND);
	assert_non_null(strstr(err.msg, "/elsewhere/c or "));
	assert_non_null(strstr(err.msg, "/elsewhere/conf"));
}

static void
test_profile_half_keys(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_write(f, ".aws/credentials",
	    "[default]\naws_secret_access_key = " FILE_SECRET "\n", 0600);
	assert_int_equal(get(f, NULL, &cr, &err), SF_EINVALID);
	assert_string_equal(err.msg,
	    "profile \"default\" in ~/.aws/credentials: aws_secret_access_key "
	    "is set but aws_access_key_id is not");
	fx_write(
	    f, ".aws/credentials", "[default]\naws_access_key_id = A\n", 0600);
	assert_int_equal(get(f, NULL, &cr, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "aws_access_key_id is set but "
	                                "aws_secret_access_key is not"));
}

static void
test_profile_unsupported(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_write(f, ".aws/config",
	    "[profile assume]\n"
	    "role_arn = arn:aws:iam::123456789012:role/x\n"
	    "source_profile = default\n"
	    "[profile sso]\n"
	    "sso_session = corp\n"
	    "sso_account_id = 123456789012\n",
	    0600);
	assert_int_equal(get(f, "assume", &cr, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "profile \"assume\": role_arn with "
	                                "source_profile"));
	assert_non_null(strstr(err.msg, "not supported"));
	assert_int_equal(get(f, "sso", &cr, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "SSO is not supported"));
}

static void
test_profile_unreadable(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	/* A directory where the file should be: an error, not "absent". */
	fx_env(f, "AWS_SHARED_CREDENTIALS_FILE", f->home);
	assert_int_equal(get(f, NULL, &cr, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "is a directory"));
}

/* 2. Web identity. */

static void
test_web_identity_env(void **state)
{
	struct fx *f = *state;
	struct sts s = { 0 };
	struct th_server *srv = th_start(sts_handler, &s);
	struct th_request *r;
	struct sf_aws_creds cr;
	struct sf_err err;
	char *tok = fx_path(f, "token");

	fx_write(f, "token", WEBID_TOKEN "\n", 0600);
	fx_env(f, "AWS_WEB_IDENTITY_TOKEN_FILE", tok);
	fx_env(f, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci");
	fx_env(f, "AWS_ENDPOINT_URL_STS", th_url(srv));
	/* Lower in the chain: not reached. */
	fx_write(f, ".aws/credentials",
	    "[default]\naws_access_key_id = AKIAFILE\n"
	    "aws_secret_access_key = " FILE_SECRET "\n",
	    0600);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIASTS1");
	assert_string_equal(cr.secret_access_key, STS_SECRET);
	assert_string_equal(cr.session_token, STS_TOKEN);
	assert_int_equal(cr.expires, NOW + 3600);
	assert_string_equal(cr.source, "web identity");
	sf_aws_creds_release(&cr);

	assert_int_equal(th_request_count(srv), 1);
	r = th_request_at(srv, 0);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->uri, "/");
	assert_string_equal(th_header(r, "Content-Type"),
	    "application/x-www-form-urlencoded; charset=utf-8");
	assert_null(th_header(r, "Authorization")); /* unsigned */
	assert_param(r, "Action", "AssumeRoleWithWebIdentity");
	assert_param(r, "Version", "2011-06-15");
	assert_param(
	    r, "RoleArn", "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fci");
	assert_param(r, "RoleSessionName", "sandform-1700000000");
	assert_param(r, "WebIdentityToken", WEBID_TOKEN);
	assert_true(sf_str_has_prefix(r->body,
	    "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn="));
	th_stop(srv);
	free(tok);
}

static void
test_web_identity_endpoints(void **state)
{
	struct fx *f = *state;
	struct sts s1 = { 0 }, s2 = { 0 };
	struct th_server *sts = th_start(sts_handler, &s1);
	struct th_server *any = th_start(sts_handler, &s2);
	struct sf_aws_creds cr;
	struct sf_err err;
	char *tok = fx_path(f, "token");
	char *url = sf_xasprintf("%s/", th_url(sts));

	fx_write(f, "token", WEBID_TOKEN, 0600);
	fx_env(f, "AWS_WEB_IDENTITY_TOKEN_FILE", tok);
	fx_env(f, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci");
	fx_env(f, "AWS_ROLE_SESSION_NAME", "my-session");
	fx_env(f, "AWS_ENDPOINT_URL", th_url(any));
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	sf_aws_creds_release(&cr);
	assert_int_equal(th_request_count(any), 1);
	assert_param(th_request_at(any, 0), "RoleSessionName", "my-session");

	/* The service's variable beats the general one; a slash is fine. */
	fx_env(f, "AWS_ENDPOINT_URL_STS", url);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	sf_aws_creds_release(&cr);
	assert_int_equal(th_request_count(sts), 1);
	assert_int_equal(th_request_count(any), 1);
	assert_string_equal(th_request_at(sts, 0)->uri, "/");
	th_stop(sts);
	th_stop(any);
	free(tok);
	free(url);
}

static void
test_web_identity_sts_error(void **state)
{
	struct fx *f = *state;
	struct sts s = { .fail = true };
	struct th_server *srv = th_start(sts_handler, &s);
	struct sf_aws_creds cr;
	struct sf_err err;
	char *tok = fx_path(f, "token");

	fx_write(f, "token", WEBID_TOKEN, 0600);
	fx_env(f, "AWS_WEB_IDENTITY_TOKEN_FILE", tok);
	fx_env(f, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci");
	fx_env(f, "AWS_ENDPOINT_URL_STS", th_url(srv));
	assert_int_equal(get(f, NULL, &cr, &err), SF_EREMOTE);
	/* The remote echoed the token: it is redacted from the message. */
	assert_string_equal(err.msg,
	    "web identity: STS AssumeRoleWithWebIdentity: InvalidIdentityToken "
	    "(400): Token <redacted> & friends expired");
	assert_null(cr.access_key_id);
	th_stop(srv);
	free(tok);
}

static void
test_web_identity_odd_answers(void **state)
{
	struct fx *f = *state;
	struct canned k = { 0 };
	struct th_server *srv = th_start(canned_handler, &k);
	struct sf_aws_creds cr;
	struct sf_err err;
	char *tok = fx_path(f, "token");

	fx_write(f, "token", WEBID_TOKEN, 0600);
	fx_env(f, "AWS_WEB_IDENTITY_TOKEN_FILE", tok);
	fx_env(f, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci");
	fx_env(f, "AWS_ENDPOINT_URL_STS", th_url(srv));

	/* Look-alike tags, attributes, numeric entities, any order. */
	canned_set(&k, 200,
	    "<R><Result><AccessKeyIdX>bad</AccessKeyIdX>"
	    "<Credentials >\n"
	    "<Expiration>" EXP_1H "</Expiration >"
	    "<AccessKeyIdX>bad</AccessKeyIdX>"
	    "<AccessKeyId xml:lang=\"en\">ASIA&#x41;&#66;&lt;</AccessKeyId>"
	    "<SessionToken>" STS_TOKEN "</SessionToken>"
	    "<SecretAccessKey>" STS_SECRET_XML "</SecretAccessKey>"
	    "</Credentials></Result></R>");
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAAB<");
	assert_string_equal(cr.secret_access_key, STS_SECRET);
	assert_int_equal(cr.expires, NOW + 3600);
	sf_aws_creds_release(&cr);

	canned_set(&k, 200, "<R><Result><Credentials/></Result></R>");
	assert_int_equal(get(f, NULL, &cr, &err), SF_EREMOTE);
	assert_string_equal(err.msg, "web identity: STS "
	                             "AssumeRoleWithWebIdentity answered "
	                             "without credentials");
	canned_set(&k, 200,
	    "<Credentials><AccessKeyId>A</AccessKeyId>"
	    "<SecretAccessKey>" STS_SECRET_XML "</SecretAccessKey>"
	    "<SessionToken>" STS_TOKEN "</SessionToken>"
	    "<Expiration>soon</Expiration></Credentials>");
	assert_int_equal(get(f, NULL, &cr, &err), SF_EREMOTE);
	assert_non_null(strstr(err.msg, "Expiration is not an ISO 8601"));
	canned_set(&k, 200, "<Credentials><AccessKeyId>A</AccessKeyId");
	assert_int_equal(get(f, NULL, &cr, &err), SF_EREMOTE);
	canned_set(&k, 503, "Service Unavailable " WEBID_TOKEN);
	assert_int_equal(get(f, NULL, &cr, &err), SF_EREMOTE);
	assert_string_equal(err.msg, "web identity: STS "
	                             "AssumeRoleWithWebIdentity answered HTTP "
	                             "503");
	canned_set(&k, 403,
	    "<ErrorResponse><Error><Code>AccessDenied</Code></Error>"
	    "</ErrorResponse>");
	assert_int_equal(get(f, NULL, &cr, &err), SF_EREMOTE);
	assert_string_equal(err.msg, "web identity: STS "
	                             "AssumeRoleWithWebIdentity: AccessDenied "
	                             "(403)");
	th_stop(srv);
	free(tok);
}

static void
test_web_identity_bad_config(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;
	char *tok = fx_path(f, "token");
	char *url = closed_url();

	fx_env(f, "AWS_WEB_IDENTITY_TOKEN_FILE", tok);
	assert_int_equal(get(f, NULL, &cr, &err), SF_EINVALID);
	assert_string_equal(err.msg,
	    "web identity: AWS_WEB_IDENTITY_TOKEN_FILE "
	    "is set but AWS_ROLE_ARN is not");
	fx_env(f, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci");
	assert_int_equal(get(f, NULL, &cr, &err), SF_ENOTFOUND);
	assert_true(sf_str_has_prefix(err.msg, "web identity: token file "));
	assert_non_null(strstr(err.msg, "/token: cannot open"));
	fx_write(f, "token", "\n", 0600);
	assert_int_equal(get(f, NULL, &cr, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "is empty"));
	/* STS unreachable: an error, not the next source. */
	fx_write(f, "token", WEBID_TOKEN, 0600);
	fx_env(f, "AWS_ENDPOINT_URL", url);
	assert_int_equal(get(f, NULL, &cr, &err), SF_EREMOTE);
	assert_true(sf_str_has_prefix(err.msg, "web identity: cannot reach "));
	free(tok);
	free(url);
}

static void
test_web_identity_profile(void **state)
{
	struct fx *f = *state;
	struct sts s = { 0 };
	struct th_server *srv = th_start(sts_handler, &s);
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_write(f, "token", WEBID_TOKEN, 0600);
	fx_write(f, ".aws/config",
	    "[profile wi]\n"
	    "web_identity_token_file = ~/token\n"
	    "role_arn = arn:aws:iam::123456789012:role/wi\n"
	    "role_session_name = from-profile\n"
	    "[profile norole]\n"
	    "web_identity_token_file = ~/token\n",
	    0600);
	fx_env(f, "AWS_ENDPOINT_URL_STS", th_url(srv));
	assert_int_equal(get(f, "wi", &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIASTS1");
	assert_string_equal(cr.source, "profile wi (web identity)");
	sf_aws_creds_release(&cr);
	assert_param(th_request_at(srv, 0), "RoleArn",
	    "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fwi");
	assert_param(th_request_at(srv, 0), "RoleSessionName", "from-profile");
	assert_param(th_request_at(srv, 0), "WebIdentityToken", WEBID_TOKEN);

	assert_int_equal(get(f, "norole", &cr, &err), SF_EINVALID);
	assert_string_equal(err.msg,
	    "profile \"norole\": web_identity_token_file "
	    "is set but role_arn is not");
	th_stop(srv);
}

/* credential_process. */

static void
write_process(struct fx *f, const char *profile, const char *script)
{
	char *path = fx_path(f, "proc.sh");
	char *conf = sf_xasprintf(
	    "[profile %s]\ncredential_process = %s --flag\n", profile, path);

	fx_write(f, "proc.sh", script, 0700);
	fx_write(f, ".aws/config", conf, 0600);
	free(conf);
	free(path);
}

static void
test_process_success(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	write_process(f, "proc",
	    "#!/bin/sh\n"
	    "[ \"$1\" = --flag ] || exit 9\n"
	    "echo 'credential_process stderr is passed through' >&2\n"
	    "cat <<'EOF'\n"
	    "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\",\n"
	    " \"SecretAccessKey\": \"" PROC_SECRET "\",\n"
	    " \"SessionToken\": \"" PROC_TOKEN "\",\n"
	    " \"Expiration\": \"" EXP_1H "\"}\n"
	    "EOF\n");
	assert_int_equal(get(f, "proc", &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAPROC");
	assert_string_equal(cr.secret_access_key, PROC_SECRET);
	assert_string_equal(cr.session_token, PROC_TOKEN);
	assert_int_equal(cr.expires, NOW + 3600);
	assert_string_equal(cr.source, "profile proc (process)");
	sf_aws_creds_release(&cr);

	/* Long-term keys from a process: no token, no expiry. */
	write_process(f, "proc",
	    "#!/bin/sh\n"
	    "printf '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\","
	    "\"SecretAccessKey\":\"" PROC_SECRET "\"}'\n");
	assert_int_equal(get(f, "proc", &cr, &err), 0);
	assert_null(cr.session_token);
	assert_int_equal(cr.expires, 0);
	sf_aws_creds_release(&cr);
}

static void
test_process_expiration_forms(void **state)
{
	static const char *const forms[] = { "2023-11-14T23:13:20.123Z",
		"2023-11-15T00:13:20+01:00", "2023-11-14T20:13:20-0300",
		"2023-11-14T23:13:20" };
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;
	size_t i;

	for (i = 0; i < SF_ARRAY_LEN(forms); i++) {
		char *script =
		    sf_xasprintf("#!/bin/sh\n"
		                 "printf '{\"Version\":1,\"AccessKeyId\":\"A\","
		                 "\"SecretAccessKey\":\"" PROC_SECRET "\","
		                 "\"SessionToken\":\"" PROC_TOKEN "\","
		                 "\"Expiration\":\"%s\"}'\n",
		        forms[i]);

		write_process(f, "proc", script);
		free(script);
		assert_int_equal(get(f, "proc", &cr, &err), 0);
		assert_int_equal(cr.expires, NOW + 3600);
		sf_aws_creds_release(&cr);
	}
	write_process(f, "proc",
	    "#!/bin/sh\n"
	    "printf '{\"Version\":1,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"" PROC_SECRET "\","
	    "\"Expiration\":\"2023-02-30T00:00:00Z\"}'\n");
	assert_int_equal(get(f, "proc", &cr, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "is not an ISO 8601 time"));
}

static void
test_process_bad_json(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	write_process(f, "proc",
	    "#!/bin/sh\n"
	    "printf '{\"Version\":1,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"" PROC_SECRET "\" " PROC_TOKEN "'\n");
	assert_int_equal(get(f, "proc", &cr, &err), SF_EINVALID);
	assert_true(sf_str_has_prefix(err.msg,
	    "profile \"proc\": credential_process output: not valid JSON "
	    "(line 1, column "));

	write_process(f, "proc",
	    "#!/bin/sh\n"
	    "printf '{\"Version\":2,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"" PROC_SECRET "\"}'\n");
	assert_int_equal(get(f, "proc", &cr, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "\"Version\" must be 1"));

	write_process(f, "proc",
	    "#!/bin/sh\n"
	    "printf '{\"Version\":1,\"AccessKeyId\":\"A\"}'\n");
	assert_int_equal(get(f, "proc", &cr, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "no SecretAccessKey"));
}

static void
test_process_exit_status(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;

	/* It printed good credentials, then failed: the status, no output. */
	write_process(f, "proc",
	    "#!/bin/sh\n"
	    "printf '{\"Version\":1,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"" PROC_SECRET "\"}'\n"
	    "echo 'expired session' >&2\n"
	    "exit 3\n");
	assert_int_equal(get(f, "proc", &cr, &err), SF_ERROR);
	assert_string_equal(err.msg,
	    "profile \"proc\": credential_process exited with status 3");
	assert_null(cr.access_key_id);

	fx_write(f, ".aws/config",
	    "[profile proc]\ncredential_process = kill -9 $$\n", 0600);
	assert_int_equal(get(f, "proc", &cr, &err), SF_ERROR);
	assert_string_equal(err.msg,
	    "profile \"proc\": credential_process was killed by signal 9");
}

static void
test_process_limits(void **state)
{
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;
	int64_t t0;
	struct timespec ts;

	f->cenv.process_timeout_ms = 300;
	write_process(f, "proc", "#!/bin/sh\nexec sleep 10\n");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (int64_t)ts.tv_sec;
	assert_int_equal(get(f, "proc", &cr, &err), SF_ERROR);
	assert_string_equal(err.msg,
	    "profile \"proc\": credential_process timed out after 300 ms");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_true((int64_t)ts.tv_sec - t0 < 5);

	/* Closing stdout is not finishing. */
	write_process(f, "proc", "#!/bin/sh\nexec >&-\nexec sleep 10\n");
	assert_int_equal(get(f, "proc", &cr, &err), SF_ERROR);
	assert_non_null(strstr(err.msg, "timed out after 300 ms"));

	f->cenv.process_timeout_ms = 0;
	write_process(f, "proc",
	    "#!/bin/sh\n"
	    "dd if=/dev/zero bs=1024 count=100 2>/dev/null\n");
	assert_int_equal(get(f, "proc", &cr, &err), SF_ERROR);
	assert_string_equal(err.msg,
	    "profile \"proc\": credential_process printed more than 64 KiB");
}

/* 4. Container. */

static void
test_container(void **state)
{
	struct fx *f = *state;
	struct canned k = { 0 };
	struct th_server *srv = th_start(canned_handler, &k);
	struct th_request *r;
	struct sf_aws_creds cr;
	struct sf_err err;
	char *url = sf_xasprintf("%s/v2/credentials?id=1", th_url(srv));
	char *tokpath = fx_path(f, "ecs-token");

	canned_set(&k, 200, ECS_JSON);
	fx_env(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
	fx_env(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_AUTH);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAECS1");
	assert_string_equal(cr.secret_access_key, ECS_SECRET);
	assert_string_equal(cr.session_token, ECS_TOKEN);
	assert_int_equal(cr.expires, NOW + 3600);
	assert_string_equal(cr.source, "container");
	sf_aws_creds_release(&cr);
	r = th_request_at(srv, 0);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->uri, "/v2/credentials?id=1");
	assert_string_equal(th_header(r, "Authorization"), ECS_AUTH);

	/* The token file beats the variable (EKS Pod Identity). */
	fx_write(f, "ecs-token", ECS_AUTH_FILE "\n", 0600);
	fx_env(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokpath);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAECS2");
	sf_aws_creds_release(&cr);
	assert_string_equal(
	    th_header(th_request_at(srv, 1), "Authorization"), ECS_AUTH_FILE);

	/* No token at all: no header. */
	fx_env(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", NULL);
	fx_env(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN", NULL);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	sf_aws_creds_release(&cr);
	assert_null(th_header(th_request_at(srv, 2), "Authorization"));
	th_stop(srv);
	free(url);
	free(tokpath);
}

static void
test_container_errors(void **state)
{
	struct fx *f = *state;
	struct canned k = { 0 };
	struct th_server *srv = th_start(canned_handler, &k);
	struct sf_aws_creds cr;
	struct sf_err err;
	char *url = sf_xasprintf("%s/creds", th_url(srv));
	char *want;

	fx_env(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
	fx_env(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN", ECS_AUTH);
	canned_set(&k, 403,
	    "{\"code\":\"AccessDenied\",\"message\":\"bad token " ECS_AUTH
	    "\"}");
	assert_int_equal(get(f, NULL, &cr, &err), SF_EREMOTE);
	want = sf_xasprintf("container: %s answered HTTP 403: AccessDenied: "
	                    "bad token <redacted>",
	    url);
	assert_string_equal(err.msg, want);
	free(want);

	canned_set(
	    &k, 200, "{\"AccessKeyId\":\"A\",\"Token\":\"" ECS_TOKEN "\"}");
	assert_int_equal(get(f, NULL, &cr, &err), SF_EREMOTE);
	assert_non_null(strstr(err.msg, ": no SecretAccessKey"));
	canned_set(&k, 200, "<html>" ECS_SECRET);
	assert_int_equal(get(f, NULL, &cr, &err), SF_EREMOTE);
	assert_non_null(strstr(err.msg, "not valid JSON"));
	th_stop(srv);

	/* A token with a line break would inject a header. */
	fx_env(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Evil: 1");
	assert_int_equal(get(f, NULL, &cr, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "control characters"));
	free(url);
}

static void
test_container_url_rules(void **state)
{
	static const char *const bad[] = { "http://example.com/creds",
		"http://127.0.0.1.example.com/creds",
		"http://user@127.0.0.1/creds", "http://10.0.0.1/creds",
		"ftp://127.0.0.1/creds", "http://127.0.0/creds",
		"http://127.0.0.256/creds" };
	struct fx *f = *state;
	struct sf_aws_creds cr;
	struct sf_err err;
	size_t i;

	for (i = 0; i < SF_ARRAY_LEN(bad); i++) {
		fx_env(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", bad[i]);
		assert_int_equal(get(f, NULL, &cr, &err), SF_EINVALID);
		assert_non_null(strstr(err.msg, "must be https"));
	}
	fx_env(f, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "creds");
	assert_int_equal(get(f, NULL, &cr, &err), SF_EINVALID);
	assert_non_null(strstr(err.msg, "must start with /"));
}

/* 5. Instance metadata. */

static void
test_imds(void **state)
{
	struct fx *f = *state;
	struct imds m = { 0 };
	struct th_server *srv = th_start(imds_handler, &m);
	struct th_request *r;
	struct sf_aws_creds cr;
	struct sf_err err;
	char *url = sf_xasprintf("%s/", th_url(srv));

	fx_env(f, "AWS_EC2_METADATA_DISABLED", "false");
	fx_env(f, "AWS_EC2_METADATA_SERVICE_ENDPOINT", url);
	/* Let the chain make its own HTTP client this once. */
	f->cenv.http = NULL;
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAIMDS");
	assert_string_equal(cr.secret_access_key, IMDS_SECRET);
	assert_string_equal(cr.session_token, IMDS_TOKEN);
	assert_int_equal(cr.expires, NOW + 3600);
	assert_string_equal(cr.source, "instance metadata");
	sf_aws_creds_release(&cr);

	assert_int_equal(th_request_count(srv), 3);
	r = th_request_at(srv, 0);
	assert_string_equal(r->method, "PUT");
	assert_string_equal(r->uri, "/latest/api/token");
	assert_string_equal(
	    th_header(r, "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
	assert_null(th_header(r, "X-aws-ec2-metadata-token"));
	r = th_request_at(srv, 1);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->uri, IMDS_ROLE_PATH);
	assert_string_equal(
	    th_header(r, "X-aws-ec2-metadata-token"), IMDS_API_TOKEN);
	r = th_request_at(srv, 2);
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->uri, IMDS_ROLE_PATH "sandform-role");
	assert_string_equal(
	    th_header(r, "X-aws-ec2-metadata-token"), IMDS_API_TOKEN);
	th_stop(srv);
	free(url);
}

static void
test_imds_gives_nothing(void **state)
{
	struct fx *f = *state;
	struct imds m = { .no_role = true };
	struct th_server *srv = th_start(imds_handler, &m);
	struct sf_aws_creds cr;
	struct sf_err err;
	char *closed = closed_url();
	char *want;

	fx_env(f, "AWS_EC2_METADATA_DISABLED", NULL);
	fx_env(f, "AWS_EC2_METADATA_SERVICE_ENDPOINT", th_url(srv));
	assert_int_equal(get(f, NULL, &cr, &err), SF_ENOTFOUND);
	assert_true(sf_str_has_suffix(err.msg,
	    "; container: not configured; instance metadata: no IAM role "
	    "attached"));
	th_stop(srv);

	fx_env(f, "AWS_EC2_METADATA_SERVICE_ENDPOINT", closed);
	assert_int_equal(get(f, NULL, &cr, &err), SF_ENOTFOUND);
	want = sf_xasprintf("instance metadata: no answer from "
	                    "%s/latest/api/token (",
	    closed);
	assert_non_null(strstr(err.msg, want));
	free(want);
	free(closed);
}

/* Precedence, caching, refresh. */

static void
test_precedence(void **state)
{
	struct fx *f = *state;
	struct canned k = { 0 };
	struct th_server *ecs = th_start(canned_handler, &k);
	struct imds m = { 0 };
	struct th_server *imds = th_start(imds_handler, &m);
	struct sf_aws_creds cr;
	struct sf_err err;

	canned_set(&k, 200, ECS_JSON);
	fx_env(f, "AWS_ACCESS_KEY_ID", "AKIAENV");
	fx_env(f, "AWS_SECRET_ACCESS_KEY", ENV_SECRET);
	fx_write(f, ".aws/credentials",
	    "[default]\naws_access_key_id = AKIAFILE\n"
	    "aws_secret_access_key = " FILE_SECRET "\n",
	    0600);
	fx_env(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", th_url(ecs));
	fx_env(f, "AWS_EC2_METADATA_DISABLED", NULL);
	fx_env(f, "AWS_EC2_METADATA_SERVICE_ENDPOINT", th_url(imds));

	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.source, "environment");
	sf_aws_creds_release(&cr);
	fx_env(f, "AWS_ACCESS_KEY_ID", NULL);
	fx_env(f, "AWS_SECRET_ACCESS_KEY", NULL);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.source, "profile default");
	sf_aws_creds_release(&cr);
	fx_write(f, ".aws/credentials", "", 0600);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.source, "container");
	sf_aws_creds_release(&cr);
	fx_env(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL);
	assert_int_equal(get(f, NULL, &cr, &err), 0);
	assert_string_equal(cr.source, "instance metadata");
	sf_aws_creds_release(&cr);
	/* Nothing was asked of a source below the one that answered. */
	assert_int_equal(th_request_count(ecs), 1);
	assert_int_equal(th_request_count(imds), 3);
	th_stop(ecs);
	th_stop(imds);
}

static void
test_refresh_near_expiry(void **state)
{
	struct fx *f = *state;
	struct canned k = { 0 };
	struct th_server *srv = th_start(canned_handler, &k);
	struct sf_creds_chain *c;
	struct sf_aws_creds cr;
	struct sf_err err;

	canned_set(&k, 200, ECS_JSON);
	fx_env(f, "AWS_CONTAINER_CREDENTIALS_FULL_URI", th_url(srv));
	c = sf_creds_chain_new(NULL, &f->cenv);
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAECS1");
	sf_aws_creds_release(&cr);

	/* Ten minutes left: cached. */
	f->now = NOW + 3000;
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAECS1");
	sf_aws_creds_release(&cr);
	assert_int_equal(th_request_count(srv), 1);

	/* Under five minutes: asked again. */
	f->now = NOW + 3600 - SF_CREDS_REFRESH_WINDOW;
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAECS2");
	sf_aws_creds_release(&cr);
	assert_int_equal(th_request_count(srv), 2);

	/* The new ones expire at the same time here: asked every time. */
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAECS3");
	sf_aws_creds_release(&cr);

	/* A failing refresh keeps credentials with a minute or more left... */
	canned_set(&k, 500, "{\"code\":\"Oops\"}");
	f->now = NOW + 3600 - 120;
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAECS3");
	sf_aws_creds_release(&cr);
	assert_int_equal(th_request_count(srv), 4);
	/* ...and is an error after that. */
	f->now = NOW + 3600 - 30;
	assert_int_equal(chain_get(c, &cr, &err), SF_EREMOTE);
	assert_non_null(strstr(err.msg, "answered HTTP 500: Oops"));
	assert_null(cr.access_key_id);
	/* It recovers when the source does. */
	canned_set(&k, 200, ECS_JSON);
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIAECS6");
	sf_aws_creds_release(&cr);
	sf_creds_chain_free(c);
	th_stop(srv);
}

static void
test_refresh_web_identity(void **state)
{
	struct fx *f = *state;
	struct sts s = { 0 };
	struct th_server *srv = th_start(sts_handler, &s);
	struct sf_creds_chain *c;
	struct sf_aws_creds cr;
	struct sf_err err;
	char *tok = fx_path(f, "token");

	fx_write(f, "token", WEBID_TOKEN, 0600);
	fx_env(f, "AWS_WEB_IDENTITY_TOKEN_FILE", tok);
	fx_env(f, "AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci");
	fx_env(f, "AWS_ENDPOINT_URL_STS", th_url(srv));
	c = sf_creds_chain_new(NULL, &f->cenv);
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIASTS1");
	sf_aws_creds_release(&cr);
	f->now = NOW + 3600 - 299;
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "ASIASTS2");
	sf_aws_creds_release(&cr);
	/* The session name follows the clock. */
	assert_param(
	    th_request_at(srv, 1), "RoleSessionName", "sandform-1700003301");
	sf_creds_chain_free(c);
	th_stop(srv);
	free(tok);
}

static void
test_long_term_never_refreshed(void **state)
{
	struct fx *f = *state;
	struct sf_creds_chain *c;
	struct sf_aws_creds cr;
	struct sf_err err;

	fx_write(f, ".aws/credentials",
	    "[default]\naws_access_key_id = AKIAOLD\n"
	    "aws_secret_access_key = " FILE_SECRET "\n",
	    0600);
	c = sf_creds_chain_new(NULL, &f->cenv);
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIAOLD");
	sf_aws_creds_release(&cr);
	fx_write(f, ".aws/credentials",
	    "[default]\naws_access_key_id = AKIANEW\n"
	    "aws_secret_access_key = " FILE_SECRET "\n",
	    0600);
	f->now = NOW + 10LL * 365 * 86400;
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIAOLD");
	assert_int_equal(cr.expires, 0);
	sf_aws_creds_release(&cr);
	sf_creds_chain_free(c);

	/* Environment keys with a session token are not refreshed either. */
	fx_env(f, "AWS_ACCESS_KEY_ID", "AKIAENV1");
	fx_env(f, "AWS_SECRET_ACCESS_KEY", ENV_SECRET);
	fx_env(f, "AWS_SESSION_TOKEN", ENV_TOKEN);
	c = sf_creds_chain_new(NULL, &f->cenv);
	assert_int_equal(chain_get(c, &cr, &err), 0);
	sf_aws_creds_release(&cr);
	fx_env(f, "AWS_ACCESS_KEY_ID", "AKIAENV2");
	f->now += 86400;
	assert_int_equal(chain_get(c, &cr, &err), 0);
	assert_string_equal(cr.access_key_id, "AKIAENV1");
	sf_aws_creds_release(&cr);
	sf_creds_chain_free(c);
}

/* The region. */

static void
test_region(void **state)
{
	struct fx *f = *state;
	struct sf_err err;
	char *r;

	assert_int_equal(sf_aws_region(NULL, &f->cenv, &r, &err), 0);
	assert_null(r);
	fx_write(f, ".aws/config",
	    "[default]\nregion = eu-west-1\n"
	    "[profile ci]\nregion = ap-south-1\n",
	    0600);
	fx_write(f, ".aws/credentials",
	    "[credonly]\nregion = us-east-2\n"
	    "aws_access_key_id = A\naws_secret_access_key = " FILE_SECRET "\n",
	    0600);
	assert_int_equal(sf_aws_region(NULL, &f->cenv, &r, &err), 0);
	assert_string_equal(r, "eu-west-1");
	free(r);
	assert_int_equal(sf_aws_region("ci", &f->cenv, &r, &err), 0);
	assert_string_equal(r, "ap-south-1");
	free(r);
	fx_env(f, "AWS_PROFILE", "ci");
	assert_int_equal(sf_aws_region(NULL, &f->cenv, &r, &err), 0);
	assert_string_equal(r, "ap-south-1");
	free(r);
	/* A profile of the credentials file only exists, but has no region. */
	assert_int_equal(sf_aws_region("credonly", &f->cenv, &r, &err), 0);
	assert_null(r);
	assert_int_equal(
	    sf_aws_region("nope", &f->cenv, &r, &err), SF_ENOTFOUND);
	assert_null(r);
	keep(err.msg);
	assert_string_equal(err.msg, "profile \"nope\" not found in "
	                             "~/.aws/credentials or ~/.aws/config");
	fx_env(f, "AWS_DEFAULT_REGION", "us-west-1");
	assert_int_equal(sf_aws_region("nope", &f->cenv, &r, &err), 0);
	assert_string_equal(r, "us-west-1");
	free(r);
	fx_env(f, "AWS_REGION", "us-west-2");
	assert_int_equal(sf_aws_region(NULL, &f->cenv, &r, &err), 0);
	assert_string_equal(r, "us-west-2");
	free(r);
}

static void
test_copy_release(void **state)
{
	struct sf_aws_creds a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.access_key_id = sf_xstrdup("AKIA");
	a.secret_access_key = sf_xstrdup(ENV_SECRET);
	a.expires = 42;
	snprintf(a.source, sizeof(a.source), "environment");
	sf_aws_creds_copy(&b, &a);
	assert_ptr_not_equal(b.secret_access_key, a.secret_access_key);
	assert_string_equal(b.secret_access_key, ENV_SECRET);
	assert_null(b.session_token);
	assert_int_equal(b.expires, 42);
	assert_string_equal(b.source, "environment");
	sf_aws_creds_release(&a);
	sf_aws_creds_release(&b);
	assert_null(b.access_key_id);
	assert_int_equal(b.expires, 0);
	sf_aws_creds_release(&b);
	sf_aws_creds_release(NULL);
}

/* Last: no secret in anything the suite saw come out. */
static void
test_no_secret_in_messages(void **state)
{
	size_t i;

	(void)state;
	assert_true(nseen > 50);
	for (i = 0; i < SF_ARRAY_LEN(all_secrets); i++) {
		if (strstr(seen.buf, all_secrets[i]))
			fail_msg("secret %zu found in:\n%s", i, seen.buf);
	}
	/* And the messages were real ones. */
	assert_non_null(strstr(seen.buf, "<redacted>"));
	assert_non_null(strstr(seen.buf, "credential_process exited"));
	sf_buf_release(&seen);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_env_keys),
		T(test_env_half_set),
		T(test_nothing_found_message),
		T(test_profile_credentials_file),
		T(test_profile_from_aws_profile),
		T(test_profile_credentials_beat_config),
		T(test_profile_config_sections),
		T(test_profile_explicit_missing),
		T(test_profile_explicit_skips_env),
		T(test_profile_file_overrides),
		T(test_profile_half_keys),
		T(test_profile_unsupported),
		T(test_profile_unreadable),
		T(test_web_identity_env),
		T(test_web_identity_endpoints),
		T(test_web_identity_sts_error),
		T(test_web_identity_odd_answers),
		T(test_web_identity_bad_config),
		T(test_web_identity_profile),
		T(test_process_success),
		T(test_process_expiration_forms),
		T(test_process_bad_json),
		T(test_process_exit_status),
		T(test_process_limits),
		T(test_container),
		T(test_container_errors),
		T(test_container_url_rules),
		T(test_imds),
		T(test_imds_gives_nothing),
		T(test_precedence),
		T(test_refresh_near_expiry),
		T(test_refresh_web_identity),
		T(test_long_term_never_refreshed),
		T(test_region),
		T(test_copy_release),
		T(test_no_secret_in_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
