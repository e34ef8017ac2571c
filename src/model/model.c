#include "model/model.h"

struct sf_config *
sf_config_new(void)
{
	struct sf_config *c = sf_xcalloc(1, sizeof(*c));

	sf_arena_init(&c->arena);
	return c;
}

void
sf_config_free(struct sf_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nsources; i++) {
		free(c->sources[i].path);
		free(c->sources[i].data);
	}
	free(c->sources);
	free(c->dir);
	free(c->variables);
	free(c->interpreters);
	free(c->jobs);
	sf_arena_release(&c->arena);
	free(c);
}

static int
cmp_name(const void *key, const void *elem, size_t off)
{
	const struct sf_lstr *n = (const void *)((const char *)elem + off);

	return strcmp(key, n->s);
}

static const void *
find_sorted(
    const void *base, size_t n, size_t size, size_t off, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *e = (const char *)base + mid * size;
		int c = cmp_name(name, e, off);

		if (!c)
			return e;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct sf_interpreter *
sf_config_interpreter(const struct sf_config *c, const char *name)
{
	return find_sorted(c->interpreters, c->ninterpreters,
	    sizeof(struct sf_interpreter),
	    offsetof(struct sf_interpreter, name), name);
}

const struct sf_job *
sf_config_job(const struct sf_config *c, const char *name)
{
	return find_sorted(c->jobs, c->njobs, sizeof(struct sf_job),
	    offsetof(struct sf_job, name), name);
}

const char *
sf_network_name(enum sf_network n)
{
	switch (n) {
	case SF_NET_PUBLIC:
		return "PUBLIC";
	case SF_NET_VPC:
		return "VPC";
	case SF_NET_SANDBOX:
		break;
	}
	return "SANDBOX";
}

const char *
sf_language_name(enum sf_language l)
{
	switch (l) {
	case SF_LANG_JAVASCRIPT:
		return "javascript";
	case SF_LANG_TYPESCRIPT:
		return "typescript";
	case SF_LANG_PYTHON:
		break;
	}
	return "python";
}

const char *
sf_step_kind_name(enum sf_step_kind k)
{
	switch (k) {
	case SF_STEP_CODE:
		return "code";
	case SF_STEP_FILES:
		return "files";
	case SF_STEP_FETCH:
		return "fetch";
	case SF_STEP_COMMAND:
		break;
	}
	return "command";
}

const char *
sf_target_name(enum sf_target t)
{
	return t == SF_TARGET_AWS ? "aws" : "local";
}
