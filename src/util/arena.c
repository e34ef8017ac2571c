#include "util/arena.h"

#define ARENA_BLOCK (64 * 1024)

struct sf_arena_block {
	struct sf_arena_block *next;
	size_t used, size;
	max_align_t data[];
};

void
sf_arena_init(struct sf_arena *a)
{
	a->head = NULL;
	a->total = 0;
}

void
sf_arena_release(struct sf_arena *a)
{
	struct sf_arena_block *b = a->head, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	sf_arena_init(a);
}

void *
sf_arena_alloc(struct sf_arena *a, size_t n)
{
	struct sf_arena_block *b = a->head;
	size_t align = _Alignof(max_align_t);
	void *p;

	n = (n + align - 1) & ~(align - 1);
	if (!n)
		n = align;
	if (!b || b->size - b->used < n) {
		size_t size = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;

		if (n > ARENA_BLOCK / 4 && b) {
			/* A big object gets a block of its own behind head. */
			struct sf_arena_block *big =
			    sf_xmalloc(sizeof(*big) + size);

			big->size = size;
			big->used = n;
			big->next = b->next;
			b->next = big;
			a->total += n;
			memset(big->data, 0, n);
			return big->data;
		}
		b = sf_xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

char *
sf_arena_strndup(struct sf_arena *a, const char *s, size_t n)
{
	char *p = sf_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
sf_arena_strdup(struct sf_arena *a, const char *s)
{
	return sf_arena_strndup(a, s, strlen(s));
}
