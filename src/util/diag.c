#include "util/diag.h"

void
sf_diags_init(struct sf_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
sf_diags_release(struct sf_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].summary);
		free(d->v[i].detail);
	}
	free(d->v);
	sf_diags_init(d);
}

int
sf_diag_add(struct sf_diags *d, enum sf_severity sev, const struct sf_pos *pos,
    const char *detail, const char *fmt, ...)
{
	struct sf_diag *g;
	struct sf_buf b = SF_BUF_INIT;
	va_list ap;

	SF_ALLOC_GROW(d->v, d->n + 1, d->alloc);
	g = &d->v[d->n++];
	memset(g, 0, sizeof(*g));
	g->severity = sev;
	if (pos)
		g->pos = *pos;
	va_start(ap, fmt);
	sf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	g->summary = sf_buf_detach(&b, NULL);
	g->detail = detail ? sf_xstrdup(detail) : NULL;
	if (sev == SF_SEV_ERROR)
		d->errors++;
	else
		d->warnings++;
	return sev == SF_SEV_ERROR ? SF_EINVALID : SF_OK;
}

struct keyed {
	struct sf_diag g;
	size_t seq;
};

static int
cmp_diag(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	const char *fx = x->g.pos.file ? x->g.pos.file : "";
	const char *fy = y->g.pos.file ? y->g.pos.file : "";
	int c = strcmp(fx, fy);

	if (c)
		return c;
	if (x->g.pos.line != y->g.pos.line)
		return x->g.pos.line < y->g.pos.line ? -1 : 1;
	if (x->g.pos.col != y->g.pos.col)
		return x->g.pos.col < y->g.pos.col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
sf_diags_sort(struct sf_diags *d)
{
	struct keyed *k;
	size_t i;

	if (d->n < 2)
		return;
	k = sf_xmalloc(d->n * sizeof(*k));
	for (i = 0; i < d->n; i++) {
		k[i].g = d->v[i];
		k[i].seq = i;
	}
	qsort(k, d->n, sizeof(*k), cmp_diag);
	for (i = 0; i < d->n; i++)
		d->v[i] = k[i].g;
	free(k);
}
