/*
 * libyaml events -> a tree of nodes that remember where they were written.
 * Built iteratively with an explicit stack so deep input cannot overflow
 * the C stack; depth is capped anyway.
 */
#include <yaml.h>

#include "manifest/internal.h"

struct frame {
	struct node *n;
	struct node_pair *pairs;
	size_t npairs, apairs;
	struct node **items;
	size_t nitems, aitems;
	struct node *key; /* a map's key waiting for its value */
};

struct builder {
	struct sf_arena *arena;
	const char *file;
	const char *data;
	size_t len;
	struct sf_diags *diags;
	struct frame stack[SF_MANIFEST_MAX_DEPTH + 1];
	size_t depth;
	struct node *root;
	bool failed;
};

const char *
sf_manifest_yaml_version(void)
{
	return yaml_get_version_string();
}

static struct sf_pos
mark_pos(const char *file, const yaml_mark_t *start, const yaml_mark_t *end)
{
	struct sf_pos p;

	p.file = file;
	p.line = (uint32_t)start->line + 1;
	p.col = (uint32_t)start->column + 1;
	p.end_line = (uint32_t)end->line + 1;
	p.end_col = (uint32_t)end->column + 1;
	return p;
}

static void fail(struct builder *b, const struct sf_pos *pos,
    const char *detail, const char *fmt, ...) SF_PRINTF(4, 5);

static void
fail(struct builder *b, const struct sf_pos *pos, const char *detail,
    const char *fmt, ...)
{
	struct sf_buf msg = SF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sf_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sf_diag_add(b->diags, SF_SEV_ERROR, pos, detail, "%s", msg.buf);
	sf_buf_release(&msg);
	b->failed = true;
}

struct sf_pos
sf_node_subpos(const struct node *n, size_t off, size_t len)
{
	struct sf_pos p = n->pos;
	uint32_t width = n->pos.end_col - n->pos.col;

	if (n->kind != NODE_SCALAR || n->style == STYLE_BLOCK ||
	    n->pos.line != n->pos.end_line)
		return p;
	/* The written width tells whether the text is the value verbatim
	 * (escapes or multibyte characters make it differ). */
	if (width != n->len + (n->style == STYLE_QUOTED ? 2 : 0))
		return p;
	if (off > n->len)
		off = n->len;
	if (len > n->len - off)
		len = n->len - off;
	p.col = n->pos.col + (uint32_t)off + (n->style == STYLE_QUOTED);
	p.end_col = p.col + (uint32_t)(len ? len : 1);
	p.end_line = p.line;
	return p;
}

static bool
attach(struct builder *b, struct node *child)
{
	struct frame *f;

	if (!b->depth) {
		b->root = child;
		return true;
	}
	f = &b->stack[b->depth - 1];
	if (f->n->kind == NODE_SEQ) {
		SF_ALLOC_GROW(f->items, f->nitems + 1, f->aitems);
		f->items[f->nitems++] = child;
		return true;
	}
	if (!f->key) {
		if (child->kind != NODE_SCALAR) {
			fail(b, &child->pos, NULL, "%s",
			    "a mapping key must be a plain string, not a "
			    "mapping or a list");
			return false;
		}
		f->key = child;
		return true;
	}
	/*
	 * A mapping or list as a whole is talked about through its key
	 * ("steps must be a list"), so it takes the key's position: a block
	 * one would otherwise start lines later, at its first entry.
	 */
	if (child->kind != NODE_SCALAR)
		child->pos = f->key->pos;
	SF_ALLOC_GROW(f->pairs, f->npairs + 1, f->apairs);
	f->pairs[f->npairs].key = f->key;
	f->pairs[f->npairs].value = child;
	f->pairs[f->npairs].skip = false;
	f->npairs++;
	f->key = NULL;
	return true;
}

static struct node *
new_node(struct builder *b, enum node_kind kind, const yaml_event_t *ev)
{
	struct node *n = sf_arena_alloc(b->arena, sizeof(*n));

	n->kind = kind;
	n->pos = mark_pos(b->file, &ev->start_mark, &ev->end_mark);
	return n;
}

static bool
check_props(struct builder *b, const yaml_event_t *ev,
    const yaml_char_t *anchor, const yaml_char_t *tag, bool implicit)
{
	struct sf_pos pos = mark_pos(b->file, &ev->start_mark, &ev->end_mark);

	if (anchor) {
		fail(b, &pos,
		    "sandform manifests keep every value where it is "
		    "used; use variables to share values",
		    "YAML anchors (&%s) are not supported",
		    (const char *)anchor);
		return false;
	}
	if (tag && !implicit) {
		const char *t = (const char *)tag;
		char shown[128];

		/* Show the standard tags as they were written: !!str. */
		if (sf_str_has_prefix(t, "tag:yaml.org,2002:"))
			snprintf(shown, sizeof(shown), "!!%s", t + 18);
		else
			snprintf(shown, sizeof(shown), "%s", t);
		fail(b, &pos, "quote a value to make it a string",
		    "YAML tags (%s) are not supported", shown);
		return false;
	}
	return true;
}

static bool
open_container(struct builder *b, enum node_kind kind, const yaml_event_t *ev)
{
	struct node *n = new_node(b, kind, ev);
	struct frame *f;

	if (b->depth >= SF_MANIFEST_MAX_DEPTH) {
		struct sf_pos pos = n->pos;
		char lim[16];

		snprintf(lim, sizeof(lim), "%d", SF_MANIFEST_MAX_DEPTH);
		fail(b, &pos, NULL, "nesting is deeper than %s levels", lim);
		return false;
	}
	if (!attach(b, n))
		return false;
	f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->n = n;
	return true;
}

static void
close_container(struct builder *b, const yaml_event_t *ev)
{
	struct frame *f = &b->stack[--b->depth];
	struct node *n = f->n;

	n->pos.end_line = (uint32_t)ev->end_mark.line + 1;
	n->pos.end_col = (uint32_t)ev->end_mark.column + 1;
	if (n->kind == NODE_MAP) {
		n->n = f->npairs;
		n->pairs =
		    sf_arena_alloc(b->arena, f->npairs * sizeof(*n->pairs));
		if (f->npairs)
			memcpy(
			    n->pairs, f->pairs, f->npairs * sizeof(*n->pairs));
	} else {
		n->n = f->nitems;
		n->items =
		    sf_arena_alloc(b->arena, f->nitems * sizeof(*n->items));
		if (f->nitems)
			memcpy(
			    n->items, f->items, f->nitems * sizeof(*n->items));
	}
	free(f->pairs);
	free(f->items);
}

/* The byte at a 1-based line and character column, or 0. */
static int
char_at(const struct builder *b, const struct sf_pos *pos)
{
	const char *p = b->data, *end = b->data + b->len;
	uint32_t line, col;

	for (line = 1; line < pos->line && p < end; p++)
		if (*p == '\n')
			line++;
	for (col = 1; p < end && *p != '\n'; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		if (col++ == pos->col)
			return (unsigned char)*p;
	}
	return 0;
}

static void
syntax_error(struct builder *b, const yaml_parser_t *p)
{
	const char *hint = NULL;
	struct sf_pos pos;
	struct sf_buf msg = SF_BUF_INIT;
	const yaml_mark_t *m = &p->problem_mark;

	memset(&pos, 0, sizeof(pos));
	pos.file = b->file;
	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset; lines come from the
		 * caller's UTF-8 check, which runs first, so this is rare. */
		pos.line = 1;
		pos.col = 1;
	} else {
		pos.line = (uint32_t)m->line + 1;
		pos.col = (uint32_t)m->column + 1;
	}
	pos.end_line = pos.line;
	pos.end_col = pos.col + 1;
	sf_buf_addf(
	    &msg, "invalid YAML: %s", p->problem ? p->problem : "syntax error");
	if (p->context && (p->context_mark.line != m->line ||
	                      p->context_mark.column != m->column))
		sf_buf_addf(&msg, " (%s at line %zu, column %zu)", p->context,
		    (size_t)p->context_mark.line + 1,
		    (size_t)p->context_mark.column + 1);
	else if (p->context)
		sf_buf_addf(&msg, " (%s)", p->context);
	if (p->error != YAML_READER_ERROR && char_at(b, &pos) == '\t')
		hint = "this is a tab: YAML indentation must be spaces";
	fail(b, &pos, hint, "%s", msg.buf);
	sf_buf_release(&msg);
}

struct node *
sf_yaml_parse(struct sf_arena *arena, const char *file, const char *data,
    size_t len, struct sf_diags *diags, bool *ok)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct builder b;
	int docs = 0;
	bool done = false;

	memset(&b, 0, sizeof(b));
	b.arena = arena;
	b.file = file;
	b.data = data;
	b.len = len;
	b.diags = diags;
	if (!yaml_parser_initialize(&parser))
		sf_die("out of memory initialising the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

	while (!done && !b.failed) {
		if (!yaml_parser_parse(&parser, &ev)) {
			syntax_error(&b, &parser);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				struct sf_pos pos = mark_pos(
				    file, &ev.start_mark, &ev.end_mark);

				fail(&b, &pos,
				    "put each document in a file of its own",
				    "a manifest file holds one YAML document; "
				    "this is the second%s",
				    "");
			}
			break;
		case YAML_MAPPING_START_EVENT:
			if (check_props(&b, &ev, ev.data.mapping_start.anchor,
			        ev.data.mapping_start.tag,
			        ev.data.mapping_start.implicit))
				open_container(&b, NODE_MAP, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			if (check_props(&b, &ev, ev.data.sequence_start.anchor,
			        ev.data.sequence_start.tag,
			        ev.data.sequence_start.implicit))
				open_container(&b, NODE_SEQ, &ev);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			close_container(&b, &ev);
			break;
		case YAML_SCALAR_EVENT: {
			struct node *n;

			if (!check_props(&b, &ev, ev.data.scalar.anchor,
			        ev.data.scalar.tag,
			        ev.data.scalar.plain_implicit ||
			            ev.data.scalar.quoted_implicit))
				break;
			n = new_node(&b, NODE_SCALAR, &ev);
			n->value = sf_arena_strndup(arena,
			    (const char *)ev.data.scalar.value,
			    ev.data.scalar.length);
			n->len = ev.data.scalar.length;
			switch (ev.data.scalar.style) {
			case YAML_PLAIN_SCALAR_STYLE:
				n->style = STYLE_PLAIN;
				break;
			case YAML_LITERAL_SCALAR_STYLE:
			case YAML_FOLDED_SCALAR_STYLE:
				n->style = STYLE_BLOCK;
				break;
			default:
				n->style = STYLE_QUOTED;
				break;
			}
			if (memchr(n->value, '\0', n->len)) {
				fail(&b, &n->pos, NULL,
				    "a value contains a NUL character%s", "");
				break;
			}
			attach(&b, n);
			break;
		}
		case YAML_ALIAS_EVENT: {
			struct sf_pos pos =
			    mark_pos(file, &ev.start_mark, &ev.end_mark);

			fail(&b, &pos,
			    "sandform manifests keep every value where it is "
			    "used; use variables to share values",
			    "YAML aliases (*%s) are not supported",
			    (const char *)ev.data.alias.anchor);
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	while (b.depth) {
		struct frame *f = &b.stack[--b.depth];

		free(f->pairs);
		free(f->items);
	}
	yaml_parser_delete(&parser);
	*ok = !b.failed;
	return b.failed ? NULL : b.root;
}
