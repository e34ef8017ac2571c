/*
 * A bump allocator for objects that live and die together (a loaded
 * configuration): one free releases everything.
 */
#ifndef SF_ARENA_H
#define SF_ARENA_H

#include "util/util.h"

struct sf_arena_block;

struct sf_arena {
	struct sf_arena_block *head;
	size_t total; /* bytes handed out, for the curious */
};

void sf_arena_init(struct sf_arena *a);
void sf_arena_release(struct sf_arena *a);
void *sf_arena_alloc(struct sf_arena *a, size_t n); /* zeroed */
char *sf_arena_strndup(struct sf_arena *a, const char *s, size_t n);
char *sf_arena_strdup(struct sf_arena *a, const char *s);

#endif
