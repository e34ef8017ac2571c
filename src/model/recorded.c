#include "model/recorded.h"

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
sf_rec_interpreter_release(struct sf_rec_interpreter *r)
{
	size_t i;

	free(r->name);
	free(r->id);
	free(r->arn);
	free(r->description);
	free(r->network);
	free(r->execution_role_arn);
	free_strv(r->subnets, r->nsubnets);
	free_strv(r->security_groups, r->nsecurity_groups);
	free_strv(r->certificates, r->ncertificates);
	for (i = 0; i < r->ntags; i++) {
		free(r->tags[i].key);
		free(r->tags[i].value);
	}
	free(r->tags);
	free(r->status);
	memset(r, 0, sizeof(*r));
}

void
sf_rec_job_release(struct sf_rec_job *j)
{
	free(j->name);
	free(j->last_run);
	free(j->last_outcome);
	free(j->running);
	memset(j, 0, sizeof(*j));
}

void
sf_recorded_init(struct sf_recorded *r)
{
	memset(r, 0, sizeof(*r));
	r->version = SF_STATE_VERSION;
}

void
sf_recorded_release(struct sf_recorded *r)
{
	size_t i;

	for (i = 0; i < r->ninterpreters; i++)
		sf_rec_interpreter_release(&r->interpreters[i]);
	free(r->interpreters);
	for (i = 0; i < r->njobs; i++)
		sf_rec_job_release(&r->jobs[i]);
	free(r->jobs);
	free(r->account);
	free(r->region);
	free(r->endpoint);
	free(r->manifest_hash);
	free(r->sandform_version);
	free(r->git_commit);
	free(r->git_branch);
	sf_recorded_init(r);
}

static int
cmp_interp(const void *a, const void *b)
{
	return strcmp(((const struct sf_rec_interpreter *)a)->name,
	    ((const struct sf_rec_interpreter *)b)->name);
}

static int
cmp_job(const void *a, const void *b)
{
	return strcmp(((const struct sf_rec_job *)a)->name,
	    ((const struct sf_rec_job *)b)->name);
}

static int
cmp_tag(const void *a, const void *b)
{
	return strcmp(((const struct sf_rec_tag *)a)->key,
	    ((const struct sf_rec_tag *)b)->key);
}

static int
cmp_live(const void *a, const void *b)
{
	return strcmp(((const struct sf_live_interpreter *)a)->name,
	    ((const struct sf_live_interpreter *)b)->name);
}

void
sf_recorded_sort(struct sf_recorded *r)
{
	size_t i;

	if (r->ninterpreters > 1)
		qsort(r->interpreters, r->ninterpreters,
		    sizeof(*r->interpreters), cmp_interp);
	if (r->njobs > 1)
		qsort(r->jobs, r->njobs, sizeof(*r->jobs), cmp_job);
	for (i = 0; i < r->ninterpreters; i++)
		if (r->interpreters[i].ntags > 1)
			qsort(r->interpreters[i].tags, r->interpreters[i].ntags,
			    sizeof(struct sf_rec_tag), cmp_tag);
}

_Static_assert(offsetof(struct sf_rec_interpreter, name) == 0, "name first");
_Static_assert(offsetof(struct sf_rec_job, name) == 0, "name first");
_Static_assert(offsetof(struct sf_live_interpreter, name) == 0, "name first");

/* Binary search over n elements of size sz whose first member is a name. */
static void *
find(void *base, size_t n, size_t sz, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		char *e = (char *)base + mid * sz;
		int c = strcmp(name, *(char **)e);

		if (!c)
			return e;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct sf_rec_interpreter *
sf_recorded_interpreter(const struct sf_recorded *r, const char *name)
{
	return find(
	    r->interpreters, r->ninterpreters, sizeof(*r->interpreters), name);
}

struct sf_rec_job *
sf_recorded_job(struct sf_recorded *r, const char *name)
{
	return find(r->jobs, r->njobs, sizeof(*r->jobs), name);
}

void
sf_live_release(struct sf_live *l)
{
	size_t i;

	for (i = 0; i < l->ninterpreters; i++) {
		struct sf_live_interpreter *x = &l->interpreters[i];

		free(x->name);
		free(x->id);
		free(x->arn);
		free(x->status);
		free(x->failure_reason);
	}
	free(l->interpreters);
	memset(l, 0, sizeof(*l));
}

void
sf_live_sort(struct sf_live *l)
{
	if (l->ninterpreters > 1)
		qsort(l->interpreters, l->ninterpreters,
		    sizeof(*l->interpreters), cmp_live);
}

const struct sf_live_interpreter *
sf_live_interpreter(const struct sf_live *l, const char *name)
{
	return find(
	    l->interpreters, l->ninterpreters, sizeof(*l->interpreters), name);
}
