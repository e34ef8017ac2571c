/* Strings that look like secrets, replaced: a scanner, no regex engine. */
#include <ctype.h>

#include "diff/redact.h"

/* A match at some position: keep bytes stay, then secret bytes go. */
struct hit {
	size_t keep, secret;
};

static bool
is_alnum(int c)
{
	return isalnum((unsigned char)c) != 0;
}

static bool
is_b64(int c)
{
	return is_alnum(c) || c == '/' || c == '+' || c == '=';
}

static bool
iprefix(const char *s, size_t n, const char *word)
{
	size_t k = strlen(word);

	if (k > n)
		return false;
	for (size_t i = 0; i < k; i++)
		if (tolower((unsigned char)s[i]) != word[i])
			return false;
	return true;
}

static bool
prefix(const char *s, size_t n, const char *word)
{
	size_t k = strlen(word);

	return k <= n && !memcmp(s, word, k);
}

/* AKIA / ASIA and 16 of [0-9A-Z], not inside a longer word. */
static bool
access_key_id(const char *s, size_t n, size_t i, struct hit *h)
{
	size_t k;

	if (i > 0 && is_alnum(s[i - 1]))
		return false;
	if (!prefix(s + i, n - i, "AKIA") && !prefix(s + i, n - i, "ASIA"))
		return false;
	if (n - i < 20)
		return false;
	for (k = 4; k < 20; k++)
		if (!isdigit((unsigned char)s[i + k]) &&
		    !isupper((unsigned char)s[i + k]))
			return false;
	if (i + 20 < n && is_alnum(s[i + 20]))
		return false;
	h->keep = 0;
	h->secret = 20;
	return true;
}

static bool
is_sep(int c)
{
	return c == ' ' || c == '\t' || c == ':' || c == '=' || c == '"' ||
	       c == '\'' || c == '\\';
}

/* aws_secret_access_key = <40 base64>, SecretAccessKey: "<40>" ... */
static bool
secret_key(const char *s, size_t n, size_t i, struct hit *h)
{
	size_t k = i + 6, seps = 0, t;

	if (!iprefix(s + i, n - i, "secret"))
		return false;
	while (k < n && k - i < 48 &&
	       (is_alnum(s[k]) || s[k] == '_' || s[k] == '-'))
		k++;
	while (k < n && is_sep(s[k]) && seps < 8) {
		k++;
		seps++;
	}
	if (!seps)
		return false;
	for (t = k; t < n && is_b64(s[t]); t++)
		;
	if (t - k != 40)
		return false;
	h->keep = k - i;
	h->secret = 40;
	return true;
}

/* -----BEGIN [A-Z ]*PRIVATE KEY----- up to its END line (or the end). */
static bool
private_key(const char *s, size_t n, size_t i, struct hit *h)
{
	const char *p = s + i, *end = s + n, *q, *stop;

	if (!prefix(p, n - i, "-----BEGIN "))
		return false;
	for (q = p + 11;
	     q < end && q - p < 64 && (isupper((unsigned char)*q) || *q == ' ');
	     q++)
		;
	if (q - p < 11 + 11 || memcmp(q - 11, "PRIVATE KEY", 11) ||
	    !prefix(q, (size_t)(end - q), "-----"))
		return false;
	q += 5;
	for (stop = q; stop < end; stop++)
		if (prefix(stop, (size_t)(end - stop), "-----END "))
			break;
	if (stop < end) {
		stop += 9;
		while (stop < end &&
		       (isupper((unsigned char)*stop) || *stop == ' '))
			stop++;
		if (prefix(stop, (size_t)(end - stop), "-----"))
			stop += 5;
	} else {
		/* No END line: to the end of this line, or of a quoted
		 * string, so the text around stays well-formed. */
		for (stop = q; stop < end && *stop != '\n'; stop++)
			if (*stop == '"' && stop[-1] != '\\')
				break;
	}
	h->keep = 0;
	h->secret = (size_t)(stop - p);
	return true;
}

static const struct token {
	const char *prefix;
	size_t min;
	const char *extra; /* allowed besides [A-Za-z0-9] */
} tokens[] = {
	{ "ghp_", 20, "" },
	{ "gho_", 20, "" },
	{ "ghu_", 20, "" },
	{ "ghs_", 20, "" },
	{ "ghr_", 20, "" },
	{ "github_pat_", 20, "_" },
	{ "glpat-", 20, "_-" },
	{ "xoxb-", 10, "-" },
	{ "xoxp-", 10, "-" },
	{ "xoxa-", 10, "-" },
	{ "xoxr-", 10, "-" },
	{ "xoxs-", 10, "-" },
};

static bool
token(const char *s, size_t n, size_t i, struct hit *h)
{
	size_t t, k;

	if (i > 0 && is_alnum(s[i - 1]))
		return false;
	for (t = 0; t < SF_ARRAY_LEN(tokens); t++) {
		const struct token *tk = &tokens[t];
		size_t plen = strlen(tk->prefix);

		if (!prefix(s + i, n - i, tk->prefix))
			continue;
		for (k = i + plen;
		     k < n &&
		     (is_alnum(s[k]) || (s[k] && strchr(tk->extra, s[k])));
		     k++)
			;
		if (k - i - plen < tk->min)
			continue;
		h->keep = 0;
		h->secret = k - i;
		return true;
	}
	return false;
}

static const char *const keywords[] = { "password", "passwd", "pwd", "secret",
	"token", "api_key", "apikey", "api-key", "access_token", "auth_token",
	"client_secret" };

static bool
value_end(int c)
{
	return c == '\0' || isspace((unsigned char)c) || c == '"' ||
	       c == '\'' || c == '\\' || c == '&' || c == ';' || c == ',' ||
	       c == '<' || c == '`' || c == ')' || c == '}' || c == ']';
}

/* password=VALUE, token: "VALUE": the value up to a space or a quote. */
static bool
assignment(const char *s, size_t n, size_t i, struct hit *h)
{
	size_t w, k = 0, v;

	for (w = 0; w < SF_ARRAY_LEN(keywords); w++)
		if (iprefix(s + i, n - i, keywords[w])) {
			k = i + strlen(keywords[w]);
			break;
		}
	if (!k)
		return false;
	/* the closing quote of a key: "password": "x", \"token\": ... */
	if (k < n && s[k] == '\\' && k + 1 < n && s[k + 1] == '"')
		k += 2;
	else if (k < n && (s[k] == '"' || s[k] == '\''))
		k++;
	while (k < n && s[k] == ' ')
		k++;
	if (k >= n || (s[k] != '=' && s[k] != ':'))
		return false;
	/* "token: x" and "token":"x" are assignments; "secret:name" in an
	 * ARN or a URL is not. */
	if (s[k] == ':' &&
	    (k + 1 >= n || (s[k + 1] != ' ' && s[k + 1] != '"' &&
	                       s[k + 1] != '\'' && s[k + 1] != '\\')))
		return false;
	k++;
	while (k < n && s[k] == ' ')
		k++;
	if (k + 1 < n && s[k] == '\\' && s[k + 1] == '"')
		k += 2;
	else if (k < n && (s[k] == '"' || s[k] == '\''))
		k++;
	for (v = k; v < n && !value_end(s[v]); v++)
		if (s[v] == '(' || s[v] == '[')
			return false; /* a call or an index: code, not a value
			               */
	if (v == k || s[k] == '$' || prefix(s + k, n - k, SF_REDACTED))
		return false;
	h->keep = k - i;
	h->secret = v - k;
	return true;
}

size_t
sf_redact(struct sf_buf *out, const char *s, size_t len)
{
	size_t i = 0, done = 0, count = 0;
	struct hit h;

	while (i < len) {
		if (access_key_id(s, len, i, &h) || secret_key(s, len, i, &h) ||
		    private_key(s, len, i, &h) || token(s, len, i, &h) ||
		    assignment(s, len, i, &h)) {
			sf_buf_add(out, s + done, i - done + h.keep);
			sf_buf_adds(out, SF_REDACTED);
			i += h.keep + h.secret;
			done = i;
			count++;
			continue;
		}
		i++;
	}
	sf_buf_add(out, s + done, len - done);
	return count;
}

bool
sf_redact_sensitive_name(const char *name)
{
	static const char *const words[] = { "password", "passwd", "secret",
		"token", "credential", "private_key", "privatekey", "api_key",
		"apikey" };
	size_t i, w, n = strlen(name);

	for (i = 0; i < n; i++)
		for (w = 0; w < SF_ARRAY_LEN(words); w++)
			if (iprefix(name + i, n - i, words[w]))
				return true;
	return false;
}
