#include <strings.h>

#include "manifest/check.h"

static const struct {
	const char *re;
	const char *describe;
} patterns[PAT__COUNT] = {
	[PAT_INTERPRETER_NAME] = { "^[a-zA-Z][a-zA-Z0-9_]{0,47}$",
	    "1-48 letters, digits and underscores, "
	    "starting with a letter "
	    "(AgentCore allows no hyphens)" },
	[PAT_JOB_NAME] = { "^[a-zA-Z][a-zA-Z0-9_-]{0,63}$",
	    "1-64 letters, digits, underscores and hyphens, "
	    "starting with a "
	    "letter" },
	[PAT_VARIABLE_NAME] = { "^[A-Za-z_][A-Za-z0-9_]*$",
	    "letters, digits and underscores, not starting "
	    "with a digit" },
	[PAT_ROLE_ARN] = { "^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$",
	    "an IAM role ARN such as "
	    "arn:aws:iam::123456789012:role/NAME" },
	[PAT_SUBNET] = { "^subnet-[0-9a-zA-Z]{8,17}$",
	    "a subnet id: subnet- and 8-17 letters or digits" },
	[PAT_SECURITY_GROUP] = { "^sg-[0-9a-zA-Z]{8,17}$",
	    "a security group id: sg- and 8-17 letters or "
	    "digits" },
	[PAT_SECRET_ARN] = { "^arn:aws(-[a-z-]+)?:secretsmanager:[a-z0-9-]+:"
	                     "[0-9]{12}:secret:[a-zA-Z0-9/_+=.@-]+$",
	    "a Secrets Manager secret ARN such as "
	    "arn:aws:secretsmanager:us-east-1:123456789012:"
	    "secret:NAME" },
	[PAT_TAG] = { "^[a-zA-Z0-9[:space:]._:/=+@-]*$",
	    "letters, digits, spaces and . _ : / = + @ -" },
	[PAT_REGION] = { "^[a-z]{2}(-[a-z]+)+-[0-9]+$",
	    "an AWS region such as us-west-2" },
};

static bool
is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool
is_alpha(int c)
{
	return is_lower(c) || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

/* Count of leading characters of s accepted by ok. */
static size_t
span(const char *s, bool (*ok)(int))
{
	size_t n = 0;

	while (s[n] && ok((unsigned char)s[n]))
		n++;
	return n;
}

static bool
is_word(int c)
{
	return is_alnum(c) || c == '_';
}

static bool
is_job_char(int c)
{
	return is_word(c) || c == '-';
}

static bool
is_tag_char(int c)
{
	return is_alnum(c) || strchr(" \t\n\v\f\r._:/=+@-", c) != NULL;
}

static bool
is_secret_char(int c)
{
	return is_alnum(c) || strchr("/_+=.@-", c) != NULL;
}

static bool
is_lower_or_dash(int c)
{
	return is_lower(c) || c == '-';
}

static bool
is_lower_digit_dash(int c)
{
	return is_lower(c) || is_digit(c) || c == '-';
}

static bool
is_not_colon(int c)
{
	return c != ':';
}

static bool
is_not_newline(int c)
{
	return c != '\n' && c != '\r';
}

/* ^arn:aws(-PART)?: where PART is accepted by ok; returns the rest or NULL. */
static const char *
arn_partition(const char *s, bool (*ok)(int))
{
	size_t n;

	if (strncmp(s, "arn:aws", 7))
		return NULL;
	s += 7;
	if (*s == '-') {
		n = span(s + 1, ok);
		if (!n)
			return NULL;
		s += 1 + n;
	}
	return *s == ':' ? s + 1 : NULL;
}

static bool
match_prefixed_id(const char *s, const char *prefix)
{
	size_t n = strlen(prefix), k;

	if (strncmp(s, prefix, n))
		return false;
	k = span(s + n, is_alnum);
	return k >= 8 && k <= 17 && !s[n + k];
}

static bool
match_role_arn(const char *s)
{
	size_t n;

	if (!(s = arn_partition(s, is_not_colon)) || strncmp(s, "iam::", 5))
		return false;
	s += 5;
	n = span(s, is_digit);
	if (n != 0 && n != 12)
		return false;
	s += n;
	if (strncmp(s, ":role/", 6))
		return false;
	s += 6;
	n = span(s, is_not_newline);
	return n > 0 && !s[n];
}

static bool
match_secret_arn(const char *s)
{
	size_t n;

	if (!(s = arn_partition(s, is_lower_or_dash)) ||
	    strncmp(s, "secretsmanager:", 15))
		return false;
	s += 15;
	n = span(s, is_lower_digit_dash);
	if (!n || s[n] != ':')
		return false;
	s += n + 1;
	n = span(s, is_digit);
	if (n != 12 || strncmp(s + n, ":secret:", 8))
		return false;
	s += n + 8;
	n = span(s, is_secret_char);
	return n > 0 && !s[n];
}

static bool
match_region(const char *s)
{
	size_t n;
	int parts = 0;

	if (!is_lower((unsigned char)s[0]) || !is_lower((unsigned char)s[1]))
		return false;
	s += 2;
	/* (-[a-z]+)+ then -[0-9]+ and the end */
	while (*s == '-' && is_lower((unsigned char)s[1])) {
		n = span(s + 1, is_lower);
		s += 1 + n;
		parts++;
	}
	if (!parts || *s != '-')
		return false;
	n = span(s + 1, is_digit);
	return n > 0 && !s[1 + n];
}

/*
 * Hand-written matchers for the patterns above: exact (a unit test holds
 * them to the regular expressions) and several times faster than regexec,
 * which matters for configurations of thousands of interpreters.
 */
bool
sf_pattern_match(enum sf_pattern p, const char *s)
{
	size_t n;

	switch (p) {
	case PAT_INTERPRETER_NAME:
		n = span(s, is_word);
		return is_alpha((unsigned char)s[0]) && n <= 48 && !s[n];
	case PAT_JOB_NAME:
		n = span(s, is_job_char);
		return is_alpha((unsigned char)s[0]) && n <= 64 && !s[n];
	case PAT_VARIABLE_NAME:
		n = span(s, is_word);
		return (is_alpha((unsigned char)s[0]) || s[0] == '_') && !s[n];
	case PAT_ROLE_ARN:
		return match_role_arn(s);
	case PAT_SUBNET:
		return match_prefixed_id(s, "subnet-");
	case PAT_SECURITY_GROUP:
		return match_prefixed_id(s, "sg-");
	case PAT_SECRET_ARN:
		return match_secret_arn(s);
	case PAT_TAG:
		return !s[span(s, is_tag_char)];
	case PAT_REGION:
		return match_region(s);
	case PAT__COUNT:
		break;
	}
	return false;
}

const char *
sf_pattern_regex(enum sf_pattern p)
{
	return patterns[p].re;
}

const char *
sf_pattern_describe(enum sf_pattern p)
{
	return patterns[p].describe;
}

char *
sf_path_join(const char *path, const char *key)
{
	size_t a, b;
	char *out;

	if (!path || !*path)
		return sf_xstrdup(key);
	/* Called for every key of every entry: no printf here. */
	a = strlen(path);
	b = strlen(key);
	out = sf_xmalloc(a + b + 2);
	memcpy(out, path, a);
	out[a] = '.';
	memcpy(out + a + 1, key, b + 1);
	return out;
}

enum plain_type { PT_STR, PT_NULL, PT_BOOL, PT_INT, PT_FLOAT };

/* YAML 1.2 core schema resolution of a plain scalar. */
static enum plain_type
plain_type(const char *s)
{
	const char *p = s;
	bool digits = false;

	if (!*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	    !strcmp(s, "Null") || !strcmp(s, "NULL"))
		return PT_NULL;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") ||
	    !strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return PT_BOOL;
	if (!strcmp(s, ".inf") || !strcmp(s, "-.inf") || !strcmp(s, "+.inf") ||
	    !strcmp(s, ".Inf") || !strcmp(s, ".INF") || !strcmp(s, ".nan") ||
	    !strcmp(s, ".NaN") || !strcmp(s, ".NAN"))
		return PT_FLOAT;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o') && s[2]) {
		const char *set =
		    s[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567";

		return strspn(s + 2, set) == strlen(s + 2) ? PT_INT : PT_STR;
	}
	if (*p == '-' || *p == '+')
		p++;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits = true;
	}
	if (!*p)
		return digits ? PT_INT : PT_STR;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits = true;
		}
	}
	if (!digits)
		return PT_STR;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return PT_STR;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p ? PT_STR : PT_FLOAT;
}

void
describe_node(struct sf_buf *out, const struct node *n)
{
	if (n->kind == NODE_MAP) {
		sf_buf_adds(out, "a mapping");
		return;
	}
	if (n->kind == NODE_SEQ) {
		sf_buf_adds(out, "a list");
		return;
	}
	if (n->style == STYLE_PLAIN) {
		switch (plain_type(n->value)) {
		case PT_NULL:
			sf_buf_adds(out, "nothing (null)");
			return;
		case PT_BOOL:
			sf_buf_addf(out, "the boolean %s", n->value);
			return;
		case PT_INT:
		case PT_FLOAT:
			sf_buf_addf(out, "the number %s", n->value);
			return;
		case PT_STR:
			break;
		}
	}
	sf_buf_adds(out, "the string ");
	sf_buf_add_quoted(out, n->value, 60);
}

static bool
type_error(struct cv *cv, const struct node *n, const char *path,
    const char *want, const char *hint)
{
	struct sf_buf got = SF_BUF_INIT;

	describe_node(&got, n);
	sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, hint, "%s must be %s, not %s",
	    path, want, got.buf);
	sf_buf_release(&got);
	return false;
}

bool
expect_map(struct cv *cv, const struct node *n, const char *path)
{
	if (n->kind == NODE_MAP)
		return true;
	return type_error(cv, n, path, "a mapping", NULL);
}

bool
expect_seq(struct cv *cv, const struct node *n, const char *path)
{
	if (n->kind == NODE_SEQ)
		return true;
	return type_error(cv, n, path, "a list", NULL);
}

struct key_ix {
	const char *key;
	size_t ix;
};

static int
cmp_key_ix(const void *a, const void *b)
{
	const struct key_ix *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->ix < y->ix ? -1 : x->ix > y->ix;
}

static void
report_dup(
    struct cv *cv, struct node *n, size_t first, size_t dup, const char *path)
{
	struct node_pair *a = &n->pairs[first], *b = &n->pairs[dup];

	b->skip = true;
	sf_diag_add(cv->d, SF_SEV_ERROR, &b->key->pos, NULL,
	    "duplicate key \"%s\" in %s; the first is at line %u, column %u",
	    b->key->value, path, a->key->pos.line, a->key->pos.col);
}

void
check_keys(struct cv *cv, struct node *n, const char *path,
    const char *const *known, size_t nknown, struct node **slots)
{
	size_t i, j;

	if (n->n <= 16) {
		for (j = 1; j < n->n; j++)
			for (i = 0; i < j; i++)
				if (!n->pairs[i].skip &&
				    !strcmp(n->pairs[i].key->value,
				        n->pairs[j].key->value)) {
					report_dup(cv, n, i, j, path);
					break;
				}
	} else {
		struct key_ix *k = sf_xmalloc(n->n * sizeof(*k));

		for (i = 0; i < n->n; i++) {
			k[i].key = n->pairs[i].key->value;
			k[i].ix = i;
		}
		qsort(k, n->n, sizeof(*k), cmp_key_ix);
		for (i = 1, j = 0; i < n->n; i++) {
			if (!strcmp(k[i].key, k[j].key))
				report_dup(cv, n, k[j].ix, k[i].ix, path);
			else
				j = i;
		}
		free(k);
	}
	if (!known)
		return;
	for (j = 0; j < nknown; j++)
		slots[j] = NULL;
	for (i = 0; i < n->n; i++) {
		const char *key = n->pairs[i].key->value, *near;
		struct sf_buf valid = SF_BUF_INIT;

		for (j = 0; j < nknown; j++)
			if (!strcmp(key, known[j]))
				break;
		if (j < nknown) {
			if (!n->pairs[i].skip)
				slots[j] = n->pairs[i].value;
			continue;
		}
		n->pairs[i].skip = true;
		sf_buf_adds(&valid, "valid keys: ");
		for (j = 0; j < nknown; j++)
			sf_buf_addf(&valid, "%s%s", j ? ", " : "", known[j]);
		near = sf_str_closest(key, known, nknown);
		if (near)
			sf_diag_add(cv->d, SF_SEV_ERROR, &n->pairs[i].key->pos,
			    valid.buf,
			    "unknown key \"%s\" in %s; did you mean \"%s\"?",
			    key, path, near);
		else
			sf_diag_add(cv->d, SF_SEV_ERROR, &n->pairs[i].key->pos,
			    valid.buf, "unknown key \"%s\" in %s", key, path);
		sf_buf_release(&valid);
	}
}

/* Interpolate n's text into cv->tmp; *changed if anything was expanded. */
static bool
expand(struct cv *cv, const struct node *n, bool interp, bool *changed)
{
	*changed = false;
	if (cv->literal && strstr(n->value, "${")) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos,
		    "a policy must hold whatever --var says, so it takes no "
		    "${...}",
		    "policy values are not interpolated");
		return false;
	}
	if (!interp) {
		sf_buf_reset(&cv->tmp);
		sf_buf_add(&cv->tmp, n->value, n->len);
		return true;
	}
	return sf_interp_expand(&cv->ic, n, &cv->tmp, changed, cv->d) == SF_OK;
}

bool
read_str(struct cv *cv, const struct node *n, const char *path, bool interp,
    bool any_scalar, struct sf_lstr *out)
{
	bool changed;

	if (n->kind != NODE_SCALAR)
		return type_error(cv, n, path, "a string", NULL);
	if (n->style == STYLE_PLAIN) {
		enum plain_type t = plain_type(n->value);

		if (t == PT_NULL)
			return type_error(cv, n, path, "a string",
			    "write \"\" for an empty string");
		if (t != PT_STR && !any_scalar)
			return type_error(cv, n, path, "a string",
			    "quote it to make it a string");
	}
	if (!expand(cv, n, interp, &changed))
		return false;
	out->s = sf_arena_strndup(&cv->c->arena, cv->tmp.buf, cv->tmp.len);
	out->pos = n->pos;
	return true;
}

static bool
parse_int(const char *s, int64_t *v)
{
	const char *p = s;
	bool neg = false;
	uint64_t acc = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (acc > (UINT64_MAX - 9) / 10 || acc * 10 + 9 > INT64_MAX)
			return false;
		acc = acc * 10 + (uint64_t)(*p - '0');
	}
	*v = neg ? -(int64_t)acc : (int64_t)acc;
	return true;
}

/* The text of a scalar that may stand for a number: plain, or interpolated. */
static const char *
numeric_text(struct cv *cv, const struct node *n, bool *ok)
{
	bool changed;

	*ok = true;
	if (n->kind != NODE_SCALAR)
		return NULL;
	if (n->style == STYLE_PLAIN && !strstr(n->value, "${"))
		return n->value;
	if (!expand(cv, n, true, &changed)) {
		*ok = false;
		return NULL;
	}
	return changed || n->style == STYLE_PLAIN ? cv->tmp.buf : NULL;
}

static bool
range_error(struct cv *cv, const struct node *n, const char *path, int64_t min,
    int64_t max, int64_t v, const char *unit)
{
	sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
	    "%s must be between %lld and %lld%s%s, not %lld", path,
	    (long long)min, (long long)max, unit ? " " : "", unit ? unit : "",
	    (long long)v);
	return false;
}

bool
read_int(struct cv *cv, const struct node *n, const char *path, int64_t min,
    int64_t max, struct sf_lint *out)
{
	bool ok;
	const char *s = numeric_text(cv, n, &ok);
	int64_t v;

	if (!ok)
		return false;
	if (s && !parse_int(s, &v) && *s &&
	    strspn(s + (*s == '-' || *s == '+'), "0123456789") ==
	        strlen(s + (*s == '-' || *s == '+'))) {
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "%s must be between %lld and %lld, not %s", path,
		    (long long)min, (long long)max, s);
		return false;
	}
	if (!s || !parse_int(s, &v))
		return type_error(cv, n, path, "a whole number", NULL);
	if (v < min || v > max)
		return range_error(cv, n, path, min, max, v, NULL);
	out->v = v;
	out->set = true;
	out->pos = n->pos;
	return true;
}

/* "1h30m", "90s", "2d": false when s is not such a string. */
static bool
parse_duration(const char *s, int64_t *v)
{
	int64_t total = 0;
	const char *p = s;

	if (!*p)
		return false;
	while (*p) {
		int64_t num = 0, mul;

		if (*p < '0' || *p > '9')
			return false;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (num > 1000000000)
				return false;
			num = num * 10 + (*p - '0');
		}
		switch (*p++) {
		case 's':
			mul = 1;
			break;
		case 'm':
			mul = 60;
			break;
		case 'h':
			mul = 3600;
			break;
		case 'd':
			mul = 86400;
			break;
		default:
			return false;
		}
		total += num * mul;
		if (total > INT64_MAX / 4)
			return false;
	}
	*v = total;
	return true;
}

bool
read_duration(struct cv *cv, const struct node *n, const char *path,
    int64_t min, int64_t max, struct sf_lint *out)
{
	bool ok, changed;
	const char *s = numeric_text(cv, n, &ok);
	int64_t v;

	if (!ok)
		return false;
	if (!s && n->kind == NODE_SCALAR) {
		if (!expand(cv, n, true, &changed))
			return false;
		s = cv->tmp.buf;
	}
	if (!s || (!parse_int(s, &v) && !parse_duration(s, &v)))
		return type_error(cv, n, path,
		    "a duration: seconds, or a string such as \"10m\" or "
		    "\"1h30m\"",
		    NULL);
	if (v < min || v > max)
		return range_error(cv, n, path, min, max, v, "seconds");
	out->v = v;
	out->set = true;
	out->pos = n->pos;
	return true;
}

bool
read_bool(struct cv *cv, const struct node *n, const char *path, bool *out)
{
	bool ok;
	const char *s = numeric_text(cv, n, &ok);

	if (!ok)
		return false;
	if (s &&
	    (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))) {
		*out = true;
		return true;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "False") ||
	             !strcmp(s, "FALSE"))) {
		*out = false;
		return true;
	}
	if (s && (!strcasecmp(s, "yes") || !strcasecmp(s, "no") ||
	             !strcasecmp(s, "on") || !strcasecmp(s, "off") ||
	             !strcasecmp(s, "y") || !strcasecmp(s, "n")))
		return type_error(cv, n, path, "true or false",
		    "YAML 1.2 reads yes/no/on/off as strings; write true or "
		    "false");
	return type_error(cv, n, path, "true or false", NULL);
}

bool
read_enum(struct cv *cv, const struct node *n, const char *path,
    const char *const *values, size_t nvalues, int *out, struct sf_pos *pos)
{
	struct sf_lstr s;
	struct sf_buf want = SF_BUF_INIT;
	size_t i;

	if (!read_str(cv, n, path, true, false, &s))
		return false;
	if (pos)
		*pos = n->pos;
	for (i = 0; i < nvalues; i++)
		if (!strcmp(s.s, values[i])) {
			*out = (int)i;
			return true;
		}
	for (i = 0; i < nvalues; i++)
		sf_buf_addf(&want, "%s%s",
		    i == 0             ? ""
		    : i + 1 == nvalues ? " or "
		                       : ", ",
		    values[i]);
	for (i = 0; i < nvalues; i++)
		if (!strcasecmp(s.s, values[i]))
			break;
	if (i < nvalues)
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "%s must be %s, not \"%s\"; did you mean \"%s\"?", path,
		    want.buf, s.s, values[i]);
	else
		sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
		    "%s must be %s, not \"%s\"", path, want.buf, s.s);
	sf_buf_release(&want);
	return false;
}

bool
read_str_list(struct cv *cv, const struct node *n, const char *path, size_t min,
    size_t max, int pattern, bool unique, struct sf_lstrs *out)
{
	size_t i, j;
	bool ok = true;

	if (!expect_seq(cv, n, path))
		return false;
	if (n->n < min || n->n > max) {
		if (min == max)
			sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
			    "%s must have %zu entries, not %zu", path, min,
			    n->n);
		else
			sf_diag_add(cv->d, SF_SEV_ERROR, &n->pos, NULL,
			    "%s must have %zu to %zu entries, not %zu", path,
			    min, max, n->n);
		return false;
	}
	out->v = sf_arena_alloc(&cv->c->arena, n->n * sizeof(*out->v));
	out->n = 0;
	for (i = 0; i < n->n; i++) {
		struct sf_lstr s;
		char *ip = sf_xasprintf("%s[%zu]", path, i);
		bool got = read_str(cv, n->items[i], ip, true, false, &s);

		free(ip);
		if (!got) {
			ok = false;
			continue;
		}
		if (pattern >= 0 && !sf_pattern_match(pattern, s.s)) {
			sf_diag_add(cv->d, SF_SEV_ERROR, &s.pos, NULL,
			    "%s: \"%s\" is not %s", path, s.s,
			    sf_pattern_describe(pattern));
			ok = false;
			continue;
		}
		for (j = 0; unique && j < out->n; j++)
			if (!strcmp(out->v[j].s, s.s))
				break;
		if (unique && j < out->n) {
			sf_diag_add(cv->d, SF_SEV_ERROR, &s.pos, NULL,
			    "%s lists \"%s\" twice; the first is at line %u, "
			    "column %u",
			    path, s.s, out->v[j].pos.line, out->v[j].pos.col);
			ok = false;
			continue;
		}
		out->v[out->n++] = s;
	}
	return ok;
}
