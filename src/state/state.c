/*
 * The state file as JSON (jansson stays inside src/state): encoding with
 * sorted keys and sorted arrays, strict decoding that names what is wrong,
 * and load/save through a storage.
 */
#include <jansson.h>

#include "state/internal.h"

#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_INDENT(2))

static const char *const outcomes[] = { "failed", "interrupted", "missed",
	"succeeded", "timed_out" };
static const char *const networks[] = { "PUBLIC", "SANDBOX", "VPC" };

/* ---- checks shared by both directions ---- */

static bool
name_ok(const char *s, size_t max, bool hyphen)
{
	size_t i;

	if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (i = 1; s[i]; i++) {
		char c = s[i];

		if (i >= max)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '_' ||
		        (hyphen && c == '-')))
			return false;
	}
	return true;
}

static bool
interpreter_name_ok(const char *s)
{
	return name_ok(s, 48, false);
}

bool
sf_storage_job_name_ok(const char *s)
{
	return name_ok(s, 64, true);
}

static bool
uuid_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-'
		         : !((s[i] >= '0' && s[i] <= '9') ||
		               (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[36] == '\0';
}

static bool
one_of(const char *s, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}

/* ---- decoding ---- */

struct dec {
	const char *where;
	struct sf_err *err;
	bool writing; /* checking what we are about to write */
};

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a fractional number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

static int bad(struct dec *d, const char *ctx, const char *key, const char *fmt,
    ...) SF_PRINTF(4, 5);

/* A corrupt file: ctx.key, what is wrong, and that it was left alone. */
static int
bad(struct dec *d, const char *ctx, const char *key, const char *fmt, ...)
{
	struct sf_buf b = SF_BUF_INIT;
	va_list ap;

	if (!d->writing)
		sf_buf_adds(&b, "corrupt state: ");
	if (*ctx)
		sf_buf_addf(&b, "%s%s", ctx, key ? "." : ": ");
	if (key)
		sf_buf_addf(&b, "%s: ", key);
	va_start(ap, fmt);
	sf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (!d->writing)
		sf_buf_adds(&b, "; the file was left as it is");
	sf_error(d->err, SF_EINVALID, d->where, "%s", b.buf);
	sf_buf_release(&b);
	return SF_EINVALID;
}

static int
wrong_type(struct dec *d, const char *ctx, const char *key, const char *want,
    const json_t *v)
{
	return bad(d, ctx, key, "expected %s, found %s", want, type_name(v));
}

static int
check_keys(struct dec *d, const json_t *o, const char *ctx,
    const char *const *allowed, size_t n)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v)
	{
		struct sf_buf q = SF_BUF_INIT;
		int rc;

		(void)v;
		if (one_of(key, allowed, n))
			continue;
		sf_buf_add_quoted(&q, key, 64);
		rc = bad(d, ctx, NULL,
		    "unknown key %s (written by a newer sandform?)", q.buf);
		sf_buf_release(&q);
		return rc;
	}
	return 0;
}

/* Member key of o: NULL when absent (an error if required). */
static int
member(struct dec *d, const json_t *o, const char *ctx, const char *key,
    bool required, json_t **v)
{
	*v = json_object_get(o, key);
	if (!*v && required)
		return bad(d, ctx, NULL, "%s is missing", key);
	return 0;
}

static int
get_str(struct dec *d, const json_t *o, const char *ctx, const char *key,
    bool required, char **out)
{
	json_t *v;
	int rc;

	if ((rc = member(d, o, ctx, key, required, &v)) || !v)
		return rc;
	if (!json_is_string(v))
		return wrong_type(d, ctx, key, "a string", v);
	if (!json_string_length(v))
		return bad(d, ctx, key, "is empty");
	free(*out);
	*out = sf_xstrdup(json_string_value(v));
	return 0;
}

static int
get_int(struct dec *d, const json_t *o, const char *ctx, const char *key,
    bool required, int64_t *out)
{
	json_t *v;
	int rc;

	if ((rc = member(d, o, ctx, key, required, &v)) || !v)
		return rc;
	if (!json_is_integer(v))
		return wrong_type(d, ctx, key, "an integer", v);
	if (json_integer_value(v) < 0)
		return bad(d, ctx, key, "is negative (%lld)",
		    (long long)json_integer_value(v));
	*out = json_integer_value(v);
	return 0;
}

static int
get_bool(struct dec *d, const json_t *o, const char *ctx, const char *key,
    bool required, bool *out)
{
	json_t *v;
	int rc;

	if ((rc = member(d, o, ctx, key, required, &v)) || !v)
		return rc;
	if (!json_is_boolean(v))
		return wrong_type(d, ctx, key, "true or false", v);
	*out = json_is_true(v);
	return 0;
}

static int
get_time(struct dec *d, const json_t *o, const char *ctx, const char *key,
    bool required, int64_t *out)
{
	json_t *v;
	int rc;

	if ((rc = member(d, o, ctx, key, required, &v)) || !v)
		return rc;
	if (!json_is_string(v))
		return wrong_type(d, ctx, key, "an RFC 3339 time", v);
	if (sf_time_parse(json_string_value(v), out)) {
		struct sf_buf q = SF_BUF_INIT;

		sf_buf_add_quoted(&q, json_string_value(v), 40);
		rc = bad(d, ctx, key,
		    "expected an RFC 3339 time such as "
		    "\"2025-01-31T22:00:00Z\", found %s",
		    q.buf);
		sf_buf_release(&q);
		return rc;
	}
	return 0;
}

static int
get_enum(struct dec *d, const json_t *o, const char *ctx, const char *key,
    bool required, const char *const *allowed, size_t n, char **out)
{
	int rc;

	if ((rc = get_str(d, o, ctx, key, required, out)) || !*out)
		return rc;
	if (!one_of(*out, allowed, n)) {
		struct sf_buf b = SF_BUF_INIT, q = SF_BUF_INIT;
		size_t i;

		for (i = 0; i < n; i++)
			sf_buf_addf(&b, "%s%s",
			    i ? (i + 1 == n ? " or " : ", ") : "", allowed[i]);
		sf_buf_add_quoted(&q, *out, 40);
		rc = bad(d, ctx, key, "expected %s, found %s", b.buf, q.buf);
		sf_buf_release(&b);
		sf_buf_release(&q);
	}
	return rc;
}

static int
get_strv(struct dec *d, const json_t *o, const char *ctx, const char *key,
    char ***out, size_t *n)
{
	json_t *v, *e;
	size_t i;
	int rc;

	if ((rc = member(d, o, ctx, key, false, &v)) || !v)
		return rc;
	if (!json_is_array(v))
		return wrong_type(d, ctx, key, "an array of strings", v);
	*out = sf_xcalloc(json_array_size(v), sizeof(**out));
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || !json_string_length(e)) {
			char k[96];

			snprintf(k, sizeof(k), "%s[%zu]", key, i);
			return json_is_string(e)
			           ? bad(d, ctx, k, "is empty")
			           : wrong_type(d, ctx, k, "a string", e);
		}
		(*out)[(*n)++] = sf_xstrdup(json_string_value(e));
	}
	return 0;
}

static int
get_tags(struct dec *d, const json_t *o, const char *ctx,
    struct sf_rec_interpreter *in)
{
	const char *k;
	json_t *v, *tv;
	int rc;

	if ((rc = member(d, o, ctx, "tags", false, &v)) || !v)
		return rc;
	if (!json_is_object(v))
		return wrong_type(d, ctx, "tags", "an object", v);
	in->tags = sf_xcalloc(json_object_size(v), sizeof(*in->tags));
	json_object_foreach(v, k, tv)
	{
		if (!json_is_string(tv)) {
			char key[96];

			snprintf(key, sizeof(key), "tags.%s", k);
			return wrong_type(d, ctx, key, "a string", tv);
		}
		in->tags[in->ntags].key = sf_xstrdup(k);
		in->tags[in->ntags++].value = sf_xstrdup(json_string_value(tv));
	}
	return 0;
}

static int
decode_interpreter(
    struct dec *d, const json_t *o, size_t i, struct sf_rec_interpreter *in)
{
	static const char *const keys[] = { "arn", "certificates", "created_at",
		"description", "execution_role_arn", "generation", "id", "name",
		"network", "prevent_destroy", "security_groups", "status",
		"subnets", "tags" };
	char ctx[96];
	int rc;

	snprintf(ctx, sizeof(ctx), "interpreters[%zu]", i);
	if (!json_is_object(o))
		return wrong_type(d, ctx, NULL, "an object", o);
	if ((rc = get_str(d, o, ctx, "name", true, &in->name)))
		return rc;
	if (!interpreter_name_ok(in->name))
		return bad(d, ctx, "name",
		    "\"%.64s\" is not an interpreter name (a letter, then "
		    "up to 47 letters, digits and underscores)",
		    in->name);
	snprintf(ctx, sizeof(ctx), "interpreters[%zu] (%s)", i, in->name);
	if ((rc = check_keys(d, o, ctx, keys, SF_ARRAY_LEN(keys))) ||
	    (rc = get_str(d, o, ctx, "id", false, &in->id)) ||
	    (rc = get_str(d, o, ctx, "arn", false, &in->arn)) ||
	    (rc = get_enum(d, o, ctx, "network", true, networks,
	         SF_ARRAY_LEN(networks), &in->network)) ||
	    (rc = get_str(d, o, ctx, "description", false, &in->description)) ||
	    (rc = get_str(d, o, ctx, "execution_role_arn", false,
	         &in->execution_role_arn)) ||
	    (rc = get_strv(
	         d, o, ctx, "subnets", &in->subnets, &in->nsubnets)) ||
	    (rc = get_strv(d, o, ctx, "security_groups", &in->security_groups,
	         &in->nsecurity_groups)) ||
	    (rc = get_strv(d, o, ctx, "certificates", &in->certificates,
	         &in->ncertificates)) ||
	    (rc = get_tags(d, o, ctx, in)) ||
	    (rc = get_bool(
	         d, o, ctx, "prevent_destroy", true, &in->prevent_destroy)) ||
	    (rc = get_time(d, o, ctx, "created_at", false, &in->created_at)) ||
	    (rc = get_int(d, o, ctx, "generation", true, &in->generation)) ||
	    (rc = get_str(d, o, ctx, "status", false, &in->status)))
		return rc;
	/* Apply records a create before it sends it: no id yet. */
	if ((!in->id || !in->arn) &&
	    (!in->status || strcmp(in->status, "PENDING")))
		return bad(d, ctx, NULL,
		    "%s is missing (only a PENDING interpreter has none)",
		    in->id ? "arn" : "id");
	return 0;
}

static int
decode_job(struct dec *d, const json_t *o, size_t i, struct sf_rec_job *j)
{
	static const char *const keys[] = { "last_finished", "last_outcome",
		"last_run", "last_scheduled", "last_started", "name", "running",
		"runs_failed", "runs_succeeded" };
	char ctx[112];
	int rc;

	snprintf(ctx, sizeof(ctx), "jobs[%zu]", i);
	if (!json_is_object(o))
		return wrong_type(d, ctx, NULL, "an object", o);
	if ((rc = get_str(d, o, ctx, "name", true, &j->name)))
		return rc;
	if (!sf_storage_job_name_ok(j->name))
		return bad(d, ctx, "name",
		    "\"%.64s\" is not a job name (a letter, then up to 63 "
		    "letters, digits, underscores and hyphens)",
		    j->name);
	snprintf(ctx, sizeof(ctx), "jobs[%zu] (%s)", i, j->name);
	if ((rc = check_keys(d, o, ctx, keys, SF_ARRAY_LEN(keys))) ||
	    (rc = get_str(d, o, ctx, "last_run", false, &j->last_run)) ||
	    (rc = get_time(
	         d, o, ctx, "last_scheduled", false, &j->last_scheduled)) ||
	    (rc = get_time(
	         d, o, ctx, "last_started", false, &j->last_started)) ||
	    (rc = get_time(
	         d, o, ctx, "last_finished", false, &j->last_finished)) ||
	    (rc = get_enum(d, o, ctx, "last_outcome", false, outcomes,
	         SF_ARRAY_LEN(outcomes), &j->last_outcome)) ||
	    (rc = get_str(d, o, ctx, "running", false, &j->running)) ||
	    (rc = get_int(
	         d, o, ctx, "runs_succeeded", true, &j->runs_succeeded)) ||
	    (rc = get_int(d, o, ctx, "runs_failed", true, &j->runs_failed)))
		return rc;
	if (!j->last_run &&
	    (j->last_outcome || j->last_started || j->last_finished))
		return bad(d, ctx, NULL, "last_run is missing");
	return 0;
}

static int
decode_target(struct dec *d, const json_t *root, struct sf_recorded *r)
{
	static const char *const keys[] = { "account", "endpoint", "kind",
		"region" };
	static const char *const kinds[] = { "aws", "local" };
	char *kind = NULL;
	json_t *t;
	int rc;

	if ((rc = member(d, root, "", "target", true, &t)))
		return rc;
	if (!json_is_object(t))
		return wrong_type(d, "", "target", "an object", t);
	if ((rc = check_keys(d, t, "target", keys, SF_ARRAY_LEN(keys))) ||
	    (rc = get_enum(d, t, "target", "kind", true, kinds,
	         SF_ARRAY_LEN(kinds), &kind)) ||
	    (rc = get_str(d, t, "target", "account", false, &r->account)) ||
	    (rc = get_str(d, t, "target", "region", false, &r->region)) ||
	    (rc = get_str(d, t, "target", "endpoint", false, &r->endpoint))) {
		free(kind);
		return rc;
	}
	r->target = strcmp(kind, "aws") ? SF_REC_LOCAL : SF_REC_AWS;
	free(kind);
	return 0;
}

static int
decode_provenance(struct dec *d, const json_t *root, struct sf_recorded *r)
{
	static const char *const keys[] = { "git", "manifest_hash",
		"sandform_version", "updated_at" };
	static const char *const gkeys[] = { "branch", "commit", "dirty" };
	json_t *p, *g;
	int rc;

	if ((rc = member(d, root, "", "provenance", true, &p)))
		return rc;
	if (!json_is_object(p))
		return wrong_type(d, "", "provenance", "an object", p);
	if ((rc = check_keys(d, p, "provenance", keys, SF_ARRAY_LEN(keys))) ||
	    (rc = get_time(
	         d, p, "provenance", "updated_at", true, &r->updated_at)) ||
	    (rc = get_str(d, p, "provenance", "manifest_hash", false,
	         &r->manifest_hash)) ||
	    (rc = get_str(d, p, "provenance", "sandform_version", false,
	         &r->sandform_version)) ||
	    (rc = member(d, p, "provenance", "git", false, &g)) || !g)
		return rc;
	if (!json_is_object(g))
		return wrong_type(d, "provenance", "git", "an object", g);
	if ((rc = check_keys(
	         d, g, "provenance.git", gkeys, SF_ARRAY_LEN(gkeys))) ||
	    (rc = get_str(
	         d, g, "provenance.git", "commit", false, &r->git_commit)) ||
	    (rc = get_str(
	         d, g, "provenance.git", "branch", false, &r->git_branch)) ||
	    (rc = get_bool(
	         d, g, "provenance.git", "dirty", false, &r->git_dirty)))
		return rc;
	return 0;
}

static int
decode_version(struct dec *d, const json_t *root, struct sf_recorded *r)
{
	json_t *v = json_object_get(root, "version");
	json_int_t n;

	if (!v)
		return bad(d, "", NULL, "version is missing");
	if (!json_is_integer(v))
		return wrong_type(d, "", "version", "an integer", v);
	n = json_integer_value(v);
	if (n > SF_STATE_VERSION)
		return sf_error(d->err, SF_EINVALID, d->where,
		    "written by a newer sandform (state version %lld); this "
		    "one reads version %d: upgrade sandform (the file was "
		    "left as it is)",
		    (long long)n, SF_STATE_VERSION);
	if (n < 1)
		return bad(d, "", "version", "%lld is not a state version",
		    (long long)n);
	r->version = (int)n;
	return 0;
}

static int
decode(struct dec *d, const json_t *root, struct sf_recorded *r)
{
	static const char *const keys[] = { "interpreters", "jobs", "lineage",
		"provenance", "serial", "target", "version" };
	char *lineage = NULL;
	int64_t serial = 0;
	json_t *a, *e;
	size_t i;
	int rc;

	if (!json_is_object(root))
		return bad(d, "", NULL,
		    "expected an object at the top, found %s", type_name(root));
	if ((rc = decode_version(d, root, r)) ||
	    (rc = check_keys(d, root, "", keys, SF_ARRAY_LEN(keys))) ||
	    (rc = get_int(d, root, "", "serial", true, &serial)))
		return rc;
	r->serial = (uint64_t)serial;
	if ((rc = get_str(d, root, "", "lineage", true, &lineage)))
		return rc;
	if (!uuid_ok(lineage)) {
		free(lineage);
		return bad(d, "", "lineage", "expected a lowercase UUID");
	}
	memcpy(r->lineage, lineage, 37);
	free(lineage);
	if ((rc = decode_target(d, root, r)))
		return rc;

	if ((rc = member(d, root, "", "interpreters", true, &a)))
		return rc;
	if (!json_is_array(a))
		return wrong_type(d, "", "interpreters", "an array", a);
	r->interpreters =
	    sf_xcalloc(json_array_size(a), sizeof(*r->interpreters));
	json_array_foreach(a, i, e)
	{
		r->ninterpreters++;
		if ((rc = decode_interpreter(d, e, i, &r->interpreters[i])))
			return rc;
	}
	if ((rc = member(d, root, "", "jobs", true, &a)))
		return rc;
	if (!json_is_array(a))
		return wrong_type(d, "", "jobs", "an array", a);
	r->jobs = sf_xcalloc(json_array_size(a), sizeof(*r->jobs));
	json_array_foreach(a, i, e)
	{
		r->njobs++;
		if ((rc = decode_job(d, e, i, &r->jobs[i])))
			return rc;
	}
	if ((rc = decode_provenance(d, root, r)))
		return rc;

	sf_recorded_sort(r);
	for (i = 1; i < r->ninterpreters; i++)
		if (!strcmp(
		        r->interpreters[i - 1].name, r->interpreters[i].name))
			return bad(d, "interpreters", NULL,
			    "\"%s\" appears twice", r->interpreters[i].name);
	for (i = 1; i < r->njobs; i++)
		if (!strcmp(r->jobs[i - 1].name, r->jobs[i].name))
			return bad(d, "jobs", NULL, "\"%s\" appears twice",
			    r->jobs[i].name);
	return 0;
}

int
sf_state_from_json(const char *text, size_t len, const char *where,
    struct sf_recorded *r, struct sf_err *err)
{
	struct dec d = { where, err, false };
	json_error_t jerr;
	json_t *root;
	int rc;

	sf_recorded_init(r);
	if (!len)
		return bad(&d, "", NULL, "the file is empty");
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return bad(&d, "", NULL,
		    "not valid JSON (line %d, column %d): %s", jerr.line,
		    jerr.column, jerr.text);
	rc = decode(&d, root, r);
	json_decref(root);
	return rc;
}

int64_t
sf_state_peek_serial(const char *text, size_t len)
{
	json_t *root = json_loadb(text, len, 0, NULL);
	json_t *v = json_object_get(root, "serial");
	int64_t serial = json_is_integer(v) ? json_integer_value(v) : -1;

	json_decref(root);
	return serial;
}

/* ---- encoding ---- */

static void
set_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, json_string(s));
}

static void
set_time(json_t *o, const char *key, int64_t ms)
{
	char t[32];

	sf_time_format(t, ms);
	json_object_set_new(o, key, json_string(t));
}

static void
set_strv(json_t *o, const char *key, char *const *v, size_t n)
{
	json_t *a;
	size_t i;

	if (!n)
		return;
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i] ? v[i] : ""));
	json_object_set_new(o, key, a);
}

/* Strings that are not valid UTF-8 become "" here and fail the check. */
static json_t *
encode_interpreter(const struct sf_rec_interpreter *in)
{
	json_t *o = json_object(), *tags;
	size_t i;

	set_str(o, "name", in->name ? in->name : "");
	set_str(o, "id", in->id);
	set_str(o, "arn", in->arn);
	set_str(o, "network", in->network ? in->network : "");
	set_str(o, "description", in->description);
	set_str(o, "execution_role_arn", in->execution_role_arn);
	set_strv(o, "subnets", in->subnets, in->nsubnets);
	set_strv(
	    o, "security_groups", in->security_groups, in->nsecurity_groups);
	set_strv(o, "certificates", in->certificates, in->ncertificates);
	if (in->ntags) {
		tags = json_object();
		for (i = 0; i < in->ntags; i++)
			json_object_set_new(tags,
			    in->tags[i].key ? in->tags[i].key : "",
			    json_string(
			        in->tags[i].value ? in->tags[i].value : ""));
		json_object_set_new(o, "tags", tags);
	}
	json_object_set_new(
	    o, "prevent_destroy", json_boolean(in->prevent_destroy));
	if (in->created_at)
		set_time(o, "created_at", in->created_at);
	json_object_set_new(o, "generation", json_integer(in->generation));
	set_str(o, "status", in->status);
	return o;
}

static json_t *
encode_job(const struct sf_rec_job *j)
{
	json_t *o = json_object();

	set_str(o, "name", j->name ? j->name : "");
	set_str(o, "last_run", j->last_run);
	if (j->last_scheduled)
		set_time(o, "last_scheduled", j->last_scheduled);
	if (j->last_started)
		set_time(o, "last_started", j->last_started);
	if (j->last_finished)
		set_time(o, "last_finished", j->last_finished);
	set_str(o, "last_outcome", j->last_outcome);
	set_str(o, "running", j->running);
	json_object_set_new(
	    o, "runs_succeeded", json_integer(j->runs_succeeded));
	json_object_set_new(o, "runs_failed", json_integer(j->runs_failed));
	return o;
}

static int
cmp_name_ptr(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* Pointers to the n elements of size sz at base, sorted by their name. */
static const void **
by_name(const void *base, size_t n, size_t sz)
{
	const void **v = sf_xcalloc(n, sizeof(*v));
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = (const char *)base + i * sz;
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_name_ptr);
	return v;
}

/* Whether each of the n strings (NULL ones too) is valid UTF-8; else
 * *bad is the first that is not. */
static bool
utf8_all(const char *const *v, size_t n, const char **bad)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] && !sf_utf8_valid(v[i], strlen(v[i]), NULL)) {
			*bad = v[i];
			return false;
		}
	return true;
}

static bool
interp_utf8(const struct sf_rec_interpreter *in)
{
	const char *f[] = { in->name, in->id, in->arn, in->description,
		in->network, in->execution_role_arn, in->status };
	const char *bad;
	size_t k;

	if (!utf8_all(f, SF_ARRAY_LEN(f), &bad) ||
	    !utf8_all((const char *const *)in->subnets, in->nsubnets, &bad) ||
	    !utf8_all((const char *const *)in->security_groups,
	        in->nsecurity_groups, &bad) ||
	    !utf8_all(
	        (const char *const *)in->certificates, in->ncertificates, &bad))
		return false;
	for (k = 0; k < in->ntags; k++) {
		const char *t[] = { in->tags[k].key, in->tags[k].value };

		if (!utf8_all(t, 2, &bad))
			return false;
	}
	return true;
}

/* The checks a decoder cannot make: what JSON would hide or alter. */
static int
precheck(const struct sf_recorded *r, struct sf_err *err)
{
	const char *top[] = { r->account, r->region, r->endpoint,
		r->manifest_hash, r->sandform_version, r->git_commit,
		r->git_branch };
	const int64_t *times[3];
	const char *bad;
	size_t i, k, t;

	for (i = 0; i < r->ninterpreters; i++) {
		const struct sf_rec_interpreter *in = &r->interpreters[i];

		if (!in->name)
			return sf_error(err, SF_EINVALID, "state",
			    "interpreters[%zu] has no name", i);
		for (k = 0; k < in->ntags; k++) {
			size_t m;

			if (!in->tags[k].key || !in->tags[k].value)
				return sf_error(err, SF_EINVALID, "state",
				    "interpreter %s: tag %zu is unset",
				    in->name, k);
			for (m = 0; m < k; m++)
				if (!strcmp(in->tags[m].key, in->tags[k].key))
					return sf_error(err, SF_EINVALID,
					    "state",
					    "interpreter %s: tag %s appears "
					    "twice",
					    in->name, in->tags[k].key);
		}
		if (!interp_utf8(in))
			return sf_error(err, SF_EINVALID, "state",
			    "interpreter %zu: a string is not valid UTF-8", i);
		if (in->created_at < 0 || in->created_at > SF_TIME_MAX)
			return sf_error(err, SF_EINVALID, "state",
			    "interpreter %s: created_at out of range",
			    in->name);
	}
	for (i = 0; i < r->njobs; i++) {
		const struct sf_rec_job *j = &r->jobs[i];
		const char *f[] = { j->name, j->last_run, j->last_outcome,
			j->running };

		if (!j->name)
			return sf_error(err, SF_EINVALID, "state",
			    "jobs[%zu] has no name", i);
		if (!utf8_all(f, SF_ARRAY_LEN(f), &bad))
			return sf_error(err, SF_EINVALID, "state",
			    "job %zu: a string is not valid UTF-8", i);
		times[0] = &j->last_scheduled;
		times[1] = &j->last_started;
		times[2] = &j->last_finished;
		for (t = 0; t < 3; t++)
			if (*times[t] < 0 || *times[t] > SF_TIME_MAX)
				return sf_error(err, SF_EINVALID, "state",
				    "job %s: a time is out of range", j->name);
	}
	if (!utf8_all(top, SF_ARRAY_LEN(top), &bad))
		return sf_error(
		    err, SF_EINVALID, "state", "a string is not valid UTF-8");
	if (r->updated_at < 0 || r->updated_at > SF_TIME_MAX)
		return sf_error(
		    err, SF_EINVALID, "state", "updated_at is out of range");
	if (r->serial > INT64_MAX)
		return sf_error(
		    err, SF_EINVALID, "state", "serial is out of range");
	return 0;
}

static json_t *
encode(const struct sf_recorded *r)
{
	json_t *root = json_object(), *t, *a, *p, *g;
	const void **v;
	size_t i;

	json_object_set_new(root, "version", json_integer(SF_STATE_VERSION));
	json_object_set_new(
	    root, "serial", json_integer((json_int_t)r->serial));
	json_object_set_new(root, "lineage", json_string(r->lineage));
	t = json_object();
	json_object_set_new(
	    t, "kind", json_string(r->target == SF_REC_AWS ? "aws" : "local"));
	set_str(t, "account", r->account);
	set_str(t, "region", r->region);
	set_str(t, "endpoint", r->endpoint);
	json_object_set_new(root, "target", t);

	a = json_array();
	v = by_name(
	    r->interpreters, r->ninterpreters, sizeof(*r->interpreters));
	for (i = 0; i < r->ninterpreters; i++)
		json_array_append_new(a, encode_interpreter(v[i]));
	free(v);
	json_object_set_new(root, "interpreters", a);
	a = json_array();
	v = by_name(r->jobs, r->njobs, sizeof(*r->jobs));
	for (i = 0; i < r->njobs; i++)
		json_array_append_new(a, encode_job(v[i]));
	free(v);
	json_object_set_new(root, "jobs", a);

	p = json_object();
	set_time(p, "updated_at", r->updated_at);
	set_str(p, "manifest_hash", r->manifest_hash);
	set_str(p, "sandform_version", r->sandform_version);
	if (r->git_commit || r->git_branch || r->git_dirty) {
		g = json_object();
		set_str(g, "commit", r->git_commit);
		set_str(g, "branch", r->git_branch);
		json_object_set_new(g, "dirty", json_boolean(r->git_dirty));
		json_object_set_new(p, "git", g);
	}
	json_object_set_new(root, "provenance", p);
	return root;
}

int
sf_state_to_json(
    const struct sf_recorded *r, struct sf_buf *out, struct sf_err *err)
{
	struct sf_recorded check;
	struct sf_err derr;
	struct dec d = { "state", &derr, true };
	json_t *root;
	char *s;
	int rc;

	if ((rc = precheck(r, err)))
		return rc;

	root = encode(r);
	sf_recorded_init(&check);
	/* Never write what could not be read back: decode what we made. */
	rc = decode(&d, root, &check);
	sf_recorded_release(&check);
	if (rc) {
		json_decref(root);
		return sf_error(err, SF_EINVALID, "state",
		    "cannot write this state: %s", derr.msg);
	}
	s = json_dumps(root, DUMP_FLAGS);
	json_decref(root);
	if (!s)
		return sf_error(err, SF_EINVALID, "state",
		    "cannot write this state: a string is not valid UTF-8");
	sf_buf_adds(out, s);
	sf_buf_addch(out, '\n');
	free(s);
	return 0;
}

void
sf_state_interpreter_to_json(
    const struct sf_rec_interpreter *in, struct sf_buf *out)
{
	json_t *o = encode_interpreter(in);
	char *s = json_dumps(o, DUMP_FLAGS);

	json_decref(o);
	if (s) {
		sf_buf_adds(out, s);
		sf_buf_addch(out, '\n');
		free(s);
	}
}

/* ---- through a storage ---- */

void
sf_state_new(const struct sf_state_env *env, struct sf_recorded *r)
{
	sf_recorded_init(r);
	sf_state_uuid(env, r->lineage);
}

int
sf_state_load(struct sf_storage *s, struct sf_recorded *r,
    struct sf_storage_ver *ver, struct sf_err *err)
{
	struct sf_buf b = SF_BUF_INIT;
	int rc;

	rc = sf_storage_read(s, &b, ver, err);
	if (rc == SF_ENOTFOUND) {
		sf_state_new(&s->env, r);
		ver->tag[0] = '\0';
	} else if (rc == 0) {
		rc = sf_state_from_json(b.buf, b.len, s->state_name, r, err);
	} else {
		sf_recorded_init(r);
	}
	sf_buf_release(&b);
	return rc;
}

int
sf_state_save(struct sf_storage *s, struct sf_recorded *r,
    struct sf_storage_ver *ver, struct sf_err *err)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_storage_ver now;
	uint64_t serial = r->serial;
	int64_t updated = r->updated_at;
	int rc;

	r->serial++;
	r->updated_at = sf_state_now(&s->env);
	r->version = SF_STATE_VERSION;
	rc = sf_state_to_json(r, &b, err);
	if (!rc)
		rc = sf_storage_write(s, b.buf, b.len, ver, &now, err);
	if (rc) {
		r->serial = serial;
		r->updated_at = updated;
	} else {
		*ver = now;
	}
	sf_buf_release(&b);
	return rc;
}

int
sf_state_forget(struct sf_recorded *r, const char *name)
{
	struct sf_rec_interpreter *in =
	    (struct sf_rec_interpreter *)sf_recorded_interpreter(r, name);
	size_t i;

	if (!in)
		return SF_ENOTFOUND;
	i = (size_t)(in - r->interpreters);
	sf_rec_interpreter_release(in);
	memmove(in, in + 1, (r->ninterpreters - i - 1) * sizeof(*in));
	r->ninterpreters--;
	return 0;
}
