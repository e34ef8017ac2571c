/* Unified diffs of short texts: LCS over lines, then hunks with context. */
#include "diff/textdiff.h"

struct line {
	const char *p;
	size_t len;
};

struct lines {
	struct line *v;
	size_t n;
};

static void
split(const char *s, struct lines *out)
{
	size_t alloc = 0;

	out->v = NULL;
	out->n = 0;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		SF_ALLOC_GROW(out->v, out->n + 1, alloc);
		out->v[out->n].p = s;
		out->v[out->n].len = len;
		out->n++;
		s += len + (nl ? 1 : 0);
	}
}

static bool
same_line(const struct line *a, const struct line *b)
{
	return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

/* One line of the edit script: ' ', '-' or '+', and where it stands. */
struct op {
	char kind;
	size_t ai, bi; /* lines of a and b before this one */
};

struct script {
	struct op *v;
	size_t n, alloc;
};

static void
push(struct script *s, char kind, size_t ai, size_t bi)
{
	SF_ALLOC_GROW(s->v, s->n + 1, s->alloc);
	s->v[s->n].kind = kind;
	s->v[s->n].ai = ai;
	s->v[s->n].bi = bi;
	s->n++;
}

/* The edit script of a[a0..a1) against b[b0..b1) by LCS, appended. */
static void
middle(struct script *s, const struct lines *a, size_t a0, size_t a1,
    const struct lines *b, size_t b0, size_t b1)
{
	size_t n = a1 - a0, m = b1 - b0, i, j;
	uint32_t *t;

	if (!n || !m || n > SF_TEXTDIFF_MAX_CELLS / m) {
		for (i = a0; i < a1; i++)
			push(s, '-', i, b0);
		for (j = b0; j < b1; j++)
			push(s, '+', a1, j);
		return;
	}
	/* t[i][j]: the LCS length of a[a0+i..a1) and b[b0+j..b1). */
	t = sf_xcalloc((n + 1) * (m + 1), sizeof(*t));
#define T(i, j) t[(i) * (m + 1) + (j)]
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;) {
			if (same_line(&a->v[a0 + i], &b->v[b0 + j]))
				T(i, j) = T(i + 1, j + 1) + 1;
			else
				T(i, j) = T(i + 1, j) >= T(i, j + 1)
				              ? T(i + 1, j)
				              : T(i, j + 1);
		}
	i = j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && same_line(&a->v[a0 + i], &b->v[b0 + j])) {
			push(s, ' ', a0 + i, b0 + j);
			i++;
			j++;
		} else if (j == m || (i < n && T(i + 1, j) >= T(i, j + 1))) {
			push(s, '-', a0 + i, b0 + j);
			i++;
		} else {
			push(s, '+', a0 + i, b0 + j);
			j++;
		}
	}
#undef T
	free(t);
}

static void
range(struct sf_buf *out, size_t start, size_t count)
{
	/* diff -u: a hunk with no lines of a side names the line before. */
	if (count == 1)
		sf_buf_addf(out, "%zu", start + 1);
	else
		sf_buf_addf(out, "%zu,%zu", count ? start + 1 : start, count);
}

static void
hunk(struct sf_buf *out, const struct script *s, size_t from, size_t to,
    const struct lines *a, const struct lines *b)
{
	size_t k, na = 0, nb = 0;

	for (k = from; k < to; k++) {
		na += s->v[k].kind != '+';
		nb += s->v[k].kind != '-';
	}
	sf_buf_adds(out, "@@ -");
	range(out, s->v[from].ai, na);
	sf_buf_adds(out, " +");
	range(out, s->v[from].bi, nb);
	sf_buf_adds(out, " @@\n");
	for (k = from; k < to; k++) {
		const struct line *l =
		    s->v[k].kind == '+' ? &b->v[s->v[k].bi] : &a->v[s->v[k].ai];

		sf_buf_addch(out, s->v[k].kind);
		sf_buf_add(out, l->p, l->len);
		sf_buf_addch(out, '\n');
	}
}

bool
sf_textdiff_unified(
    struct sf_buf *out, const char *a, const char *b, unsigned ctx)
{
	struct lines la, lb;
	struct script s = { NULL, 0, 0 };
	size_t pre = 0, suf = 0, i, k;
	bool any = false;

	split(a ? a : "", &la);
	split(b ? b : "", &lb);
	while (pre < la.n && pre < lb.n && same_line(&la.v[pre], &lb.v[pre]))
		pre++;
	while (suf < la.n - pre && suf < lb.n - pre &&
	       same_line(&la.v[la.n - 1 - suf], &lb.v[lb.n - 1 - suf]))
		suf++;
	for (i = 0; i < pre; i++)
		push(&s, ' ', i, i);
	middle(&s, &la, pre, la.n - suf, &lb, pre, lb.n - suf);
	for (i = 0; i < suf; i++)
		push(&s, ' ', la.n - suf + i, lb.n - suf + i);

	/* Hunks: changes closer than 2 * ctx lines share one. */
	for (k = 0; k < s.n;) {
		size_t first, last, from, to;

		while (k < s.n && s.v[k].kind == ' ')
			k++;
		if (k == s.n)
			break;
		first = last = k;
		for (i = k + 1; i < s.n; i++) {
			if (s.v[i].kind == ' ')
				continue;
			/* the unchanged lines between them */
			if (i - last - 1 > 2 * (size_t)ctx)
				break;
			last = i;
		}
		from = first > ctx ? first - ctx : 0;
		to = last + 1 + ctx < s.n ? last + 1 + ctx : s.n;
		hunk(out, &s, from, to, &la, &lb);
		any = true;
		k = last + 1;
	}
	free(s.v);
	free(la.v);
	free(lb.v);
	return any;
}
