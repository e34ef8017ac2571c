/*
 * Input validation against ../shared/spec's shapes: patterns (full match,
 * as Smithy applies them), lengths, ranges, enums, JSON types; failures
 * worded as AWS words them and collected into one ValidationException.
 */
#include <pthread.h>
#include <regex.h>

#include "local/server_internal.h"

/* The spec's pattern as shown to users, and the same as POSIX ERE. */
static const struct {
	const char *shown, *ere;
} patterns[SF_PAT_COUNT] = {
	[SF_PAT_SANDBOX_NAME] = { "^[a-zA-Z][a-zA-Z0-9_]{0,47}$",
	    "^[a-zA-Z][a-zA-Z0-9_]{0,47}$" },
	[SF_PAT_CI_ID] = { "^(aws\\.codeinterpreter\\.v1|[a-zA-Z][a-zA-Z0-9_]"
	                   "{0,47}-[a-zA-Z0-9]{10})$",
	    "^(aws\\.codeinterpreter\\.v1|[a-zA-Z][a-zA-Z0-9_]{0,47}-[a-zA-Z0-"
	    "9]{10})$" },
	[SF_PAT_ROLE_ARN] = { "^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$",
	    "^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$" },
	[SF_PAT_TAG] = { "^[a-zA-Z0-9\\s._:/=+@-]*$",
	    "^[a-zA-Z0-9[:space:]._:/=+@-]*$" },
	[SF_PAT_SUBNET] = { "^subnet-[0-9a-zA-Z]{8,17}$",
	    "^subnet-[0-9a-zA-Z]{8,17}$" },
	[SF_PAT_SG] = { "^sg-[0-9a-zA-Z]{8,17}$", "^sg-[0-9a-zA-Z]{8,17}$" },
	[SF_PAT_SECRET_ARN] = { "^arn:aws(-[a-z-]+)?:secretsmanager:[a-z0-9-]+:"
	                        "[0-9]{12}:secret:[a-zA-Z0-9/_+=.@-]+$",
	    "^arn:aws(-[a-z-]+)?:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[a-"
	    "zA-Z0-9/_+=.@-]+$" },
	[SF_PAT_MOUNT_PATH] = { "/mnt/[a-zA-Z0-9._-]+/?",
	    "^/mnt/[a-zA-Z0-9._-]+/?$" },
	[SF_PAT_EFS_AP_ARN] = { "arn:aws[-a-z]*:elasticfilesystem:[0-9a-z-:]+:"
	                        "access-point/fsap-[0-9a-f]{8,40}",
	    "^arn:aws[-a-z]*:elasticfilesystem:[0-9a-z:-]+:access-point/"
	    "fsap-[0-9a-f]{8,40}$" },
	[SF_PAT_EFS_FS_ARN] = { "arn:aws[-a-z]*:elasticfilesystem:[a-z0-9-]+:"
	                        "[0-9]{12}:file-system/fs-[0-9a-f]{8,40}",
	    "^arn:aws[-a-z]*:elasticfilesystem:[a-z0-9-]+:[0-9]{12}:file-"
	    "system/fs-[0-9a-f]{8,40}$" },
	[SF_PAT_S3F_AP_ARN] = { "arn:aws[-a-z]*:s3files:[0-9a-z-:]+:file-"
	                        "system/"
	                        "fs-[0-9a-f]{17,40}/access-point/fsap-[0-9a-f]"
	                        "{17,40}",
	    "^arn:aws[-a-z]*:s3files:[0-9a-z:-]+:file-system/fs-[0-9a-f]{17,"
	    "40}/access-point/fsap-[0-9a-f]{17,40}$" },
	[SF_PAT_S3F_FS_ARN] = { "arn:aws[-a-z]*:s3files:[a-z0-9-]+:[0-9]{12}:"
	                        "file-system/fs-[0-9a-f]{17,40}",
	    "^arn:aws[-a-z]*:s3files:[a-z0-9-]+:[0-9]{12}:file-system/fs-[0-"
	    "9a-f]{17,40}$" },
	[SF_PAT_TAGGABLE_ARN] = { "^arn:(?:[^:]+)?:bedrock-agentcore:[a-z0-9-]+"
	                          ":"
	                          "[0-9]{12}:([a-z-]+/[^/]+)(?:/[a-z-]+/[^/"
	                          "]+)*$",
	    "^arn:([^:]+)?:bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:([a-z-]+/"
	    "[^/]+)(/[a-z-]+/[^/]+)*$" },
	[SF_PAT_SESSION_ID] = { "^[0-9a-zA-Z]{1,40}$", "^[0-9a-zA-Z]{1,40}$" },
	[SF_PAT_NEXT_TOKEN] = { "^\\S*$", "^[^[:space:]]*$" },
};

static regex_t compiled[SF_PAT_COUNT];
static pthread_once_t compiled_once = PTHREAD_ONCE_INIT;

static void
compile_all(void)
{
	size_t i;

	for (i = 0; i < SF_PAT_COUNT; i++)
		if (regcomp(&compiled[i], patterns[i].ere,
		        REG_EXTENDED | REG_NOSUB))
			sf_die("local: cannot compile the pattern %s",
			    patterns[i].ere);
}

static bool
is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

/* The hot ones, without the regex engine. */
static bool
match_name(const char *s, size_t *len)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; s[i] && (is_alnum(s[i]) || s[i] == '_'); i++)
		;
	*len = i;
	return i <= 48;
}

bool
sf_local_match(enum sf_local_pattern p, const char *s)
{
	size_t n, i;

	switch (p) {
	case SF_PAT_SANDBOX_NAME:
		return match_name(s, &n) && !s[n];
	case SF_PAT_CI_ID:
		if (!strcmp(s, SF_LOCAL_SYSTEM_ID))
			return true;
		if (!match_name(s, &n) || s[n] != '-')
			return false;
		for (i = n + 1; is_alnum(s[i]); i++)
			;
		return !s[i] && i - n - 1 == 10;
	case SF_PAT_SESSION_ID:
		for (i = 0; is_alnum(s[i]); i++)
			;
		return !s[i] && i >= 1 && i <= 40;
	default:
		break;
	}
	/* POSIX regexec stops at NUL: strings here never contain one. */
	pthread_once(&compiled_once, compile_all);
	return regexec(&compiled[p], s, 0, NULL, 0) == 0;
}

size_t
sf_local_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void
sf_local_v_init(struct sf_local_vctx *v)
{
	memset(v, 0, sizeof(*v));
	v->fields = json_array();
	sf_buf_init(&v->msg, 0);
}

void
sf_local_v_release(struct sf_local_vctx *v)
{
	json_decref(v->fields);
	sf_buf_release(&v->msg);
	memset(v, 0, sizeof(*v));
}

void
sf_local_v_fail(
    struct sf_local_vctx *v, const char *field, const char *fmt, ...)
{
	struct sf_buf m = SF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sf_buf_vaddf(&m, fmt, ap);
	va_end(ap);
	/* Fifty is plenty: a huge list must not make a huge answer. */
	if (v->n < 50) {
		json_array_append_new(v->fields,
		    json_pack("{s:s, s:s}", "name", field, "message", m.buf));
		if (v->n)
			sf_buf_adds(&v->msg, "; ");
		sf_buf_adds(&v->msg, m.buf);
	}
	v->n++;
	sf_buf_release(&m);
}

/* "Value 'x' at 'f'" or, for sensitive members, "Value at 'f'". */
static void
value_at(struct sf_buf *b, const char *field, const char *s, bool sensitive)
{
	if (sensitive || !s) {
		sf_buf_addf(b, "Value at '%s'", field);
		return;
	}
	sf_buf_adds(b, "Value '");
	if (strlen(s) > 128) {
		sf_buf_add(b, s, 128);
		sf_buf_adds(b, "...");
	} else {
		sf_buf_adds(b, s);
	}
	sf_buf_addf(b, "' at '%s'", field);
}

bool
sf_local_v_pattern(struct sf_local_vctx *v, const char *field, const char *s,
    enum sf_local_pattern p, bool sensitive)
{
	struct sf_buf b = SF_BUF_INIT;

	if (sf_local_match(p, s))
		return true;
	value_at(&b, field, s, sensitive);
	sf_local_v_fail(v, field,
	    "%s failed to satisfy constraint: Member must satisfy regular "
	    "expression pattern: %s",
	    b.buf, patterns[p].shown);
	sf_buf_release(&b);
	return false;
}

bool
sf_local_v_length(struct sf_local_vctx *v, const char *field, const char *s,
    size_t min, size_t max, bool sensitive)
{
	size_t n = sf_local_utf8_len(s);
	struct sf_buf b = SF_BUF_INIT;

	if (n >= min && n <= max)
		return true;
	value_at(&b, field, s, sensitive);
	if (n < min)
		sf_local_v_fail(v, field,
		    "%s failed to satisfy constraint: Member must have length "
		    "greater than or equal to %zu",
		    b.buf, min);
	else
		sf_local_v_fail(v, field,
		    "%s failed to satisfy constraint: Member must have length "
		    "less than or equal to %zu",
		    b.buf, max);
	sf_buf_release(&b);
	return false;
}

bool
sf_local_v_range(struct sf_local_vctx *v, const char *field, int64_t n,
    int64_t min, int64_t max)
{
	if (n >= min && n <= max)
		return true;
	if (n < min)
		sf_local_v_fail(v, field,
		    "Value '%lld' at '%s' failed to satisfy constraint: Member "
		    "must have value greater than or equal to %lld",
		    (long long)n, field, (long long)min);
	else
		sf_local_v_fail(v, field,
		    "Value '%lld' at '%s' failed to satisfy constraint: Member "
		    "must have value less than or equal to %lld",
		    (long long)n, field, (long long)max);
	return false;
}

bool
sf_local_v_enum(struct sf_local_vctx *v, const char *field, const char *s,
    const char *const *allowed, size_t n)
{
	struct sf_buf b = SF_BUF_INIT, set = SF_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, allowed[i]))
			return true;
	for (i = 0; i < n; i++)
		sf_buf_addf(&set, "%s%s", i ? ", " : "", allowed[i]);
	value_at(&b, field, s, false);
	sf_local_v_fail(v, field,
	    "%s failed to satisfy constraint: Member must satisfy enum value "
	    "set: [%s]",
	    b.buf, set.buf);
	sf_buf_release(&b);
	sf_buf_release(&set);
	return false;
}

bool
sf_local_v_client_token(
    struct sf_local_vctx *v, const char *field, const char *s)
{
	size_t i, n = strlen(s);
	bool ok = n > 0 && is_alnum(s[0]) && is_alnum(s[n - 1]);

	for (i = 0; ok && i < n; i++)
		ok = is_alnum(s[i]) || s[i] == '-';
	if (!sf_local_v_length(v, field, s, 33, 256, false))
		return false;
	if (!ok) {
		struct sf_buf b = SF_BUF_INIT;

		value_at(&b, field, s, false);
		sf_local_v_fail(v, field,
		    "%s failed to satisfy constraint: Member must satisfy "
		    "regular expression pattern: "
		    "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}$",
		    b.buf);
		sf_buf_release(&b);
	}
	return ok;
}

void
sf_local_v_required(struct sf_local_vctx *v, const char *field)
{
	sf_local_v_fail(v, field,
	    "Value null at '%s' failed to satisfy constraint: Member must not "
	    "be null",
	    field);
}

static const char *
type_name(json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

static json_t *
member(struct sf_local_vctx *v, json_t *o, const char *key, const char *field,
    bool required)
{
	json_t *m = json_object_get(o, key);

	if (!m || json_is_null(m)) {
		if (required)
			sf_local_v_required(v, field);
		return NULL;
	}
	return m;
}

static void
wrong_type(
    struct sf_local_vctx *v, const char *field, json_t *got, const char *want)
{
	v->cannot_parse = true;
	sf_local_v_fail(v, field, "Value at '%s' must be %s, not %s", field,
	    want, type_name(got));
}

const char *
sf_local_v_str(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, bool required)
{
	json_t *m = member(v, o, key, field, required);

	if (!m)
		return NULL;
	if (!json_is_string(m)) {
		wrong_type(v, field, m, "a string");
		return NULL;
	}
	return json_string_value(m);
}

bool
sf_local_v_int(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, int64_t *out)
{
	json_t *m = member(v, o, key, field, false);

	if (!m)
		return false;
	if (!json_is_integer(m)) {
		wrong_type(v, field, m, "an integer");
		return false;
	}
	*out = (int64_t)json_integer_value(m);
	return true;
}

bool
sf_local_v_bool(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, bool *out)
{
	json_t *m = member(v, o, key, field, false);

	if (!m)
		return false;
	if (!json_is_boolean(m)) {
		wrong_type(v, field, m, "a boolean");
		return false;
	}
	*out = json_is_true(m);
	return true;
}

json_t *
sf_local_v_obj(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, bool required)
{
	json_t *m = member(v, o, key, field, required);

	if (m && !json_is_object(m)) {
		wrong_type(v, field, m, "an object");
		return NULL;
	}
	return m;
}

json_t *
sf_local_v_arr(struct sf_local_vctx *v, json_t *o, const char *key,
    const char *field, bool required)
{
	json_t *m = member(v, o, key, field, required);

	if (m && !json_is_array(m)) {
		wrong_type(v, field, m, "a list");
		return NULL;
	}
	return m;
}

bool
sf_local_v_reply(struct sf_local_vctx *v, struct sf_local_ctx *c)
{
	json_t *body;
	struct sf_buf m = SF_BUF_INIT;

	if (!v->n)
		return false;
	sf_buf_addf(&m, "%zu validation error%s detected: %s", v->n,
	    v->n == 1 ? "" : "s", v->msg.buf);
	body = json_pack("{s:s, s:s, s:O}", "message", m.buf, "reason",
	    v->cannot_parse ? "CannotParse" : "FieldValidationFailed",
	    "fieldList", v->fields);
	sf_local_reply_error_json(c->resp, 400, "ValidationException", body);
	sf_buf_release(&m);
	return true;
}

void
sf_local_reply_validation(struct sf_local_ctx *c, const char *reason,
    const char *field, const char *fmt, ...)
{
	struct sf_buf m = SF_BUF_INIT;
	json_t *body, *fields = json_array();
	va_list ap;

	va_start(ap, fmt);
	sf_buf_vaddf(&m, fmt, ap);
	va_end(ap);
	if (field)
		json_array_append_new(fields,
		    json_pack("{s:s, s:s}", "name", field, "message", m.buf));
	body = json_pack("{s:s, s:s, s:o}", "message", m.buf, "reason", reason,
	    "fieldList", fields);
	sf_local_reply_error_json(c->resp, 400, "ValidationException", body);
	sf_buf_release(&m);
}
