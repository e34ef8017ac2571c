/* Markdown for PR comments: escaping and a size budget. */
#include "diff/md.h"
#include "diff/redact.h"

/* Room kept for the note about what was left out. */
#define NOTE_RESERVE 2048
#define NOTE_NAMES   10

void
sf_md_text(struct sf_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			sf_buf_adds(b, "&amp;");
			break;
		case '<':
			sf_buf_adds(b, "&lt;");
			break;
		case '>':
			sf_buf_adds(b, "&gt;");
			break;
		case '|':
			sf_buf_adds(b, "&#124;");
			break;
		case '\n':
			sf_buf_addch(b, ' ');
			break;
		case '@':
			sf_buf_adds(b, "&#64;");
			break;
		case '\\':
		case '`':
		case '*':
		case '_':
		case '[':
		case ']':
		case '#':
		case '~':
			sf_buf_addch(b, '\\');
			sf_buf_addch(b, *s);
			break;
		default:
			sf_buf_addch(b, *s);
		}
	}
}

static void
html(struct sf_buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			sf_buf_adds(b, "&amp;");
			break;
		case '<':
			sf_buf_adds(b, "&lt;");
			break;
		case '>':
			sf_buf_adds(b, "&gt;");
			break;
		case '|':
			sf_buf_adds(b, "&#124;");
			break;
		case '\n':
			sf_buf_adds(b, "<br>");
			break;
		/* Text between HTML tags is still Markdown: emphasis, links
		 * and mentions must not start inside a value. */
		case '*':
			sf_buf_adds(b, "&#42;");
			break;
		case '_':
			sf_buf_adds(b, "&#95;");
			break;
		case '`':
			sf_buf_adds(b, "&#96;");
			break;
		case '[':
			sf_buf_adds(b, "&#91;");
			break;
		case ']':
			sf_buf_adds(b, "&#93;");
			break;
		case '\\':
			sf_buf_adds(b, "&#92;");
			break;
		case '~':
			sf_buf_adds(b, "&#126;");
			break;
		case '@':
			sf_buf_adds(b, "&#64;");
			break;
		default:
			sf_buf_addch(b, s[i]);
		}
	}
}

void
sf_md_code(struct sf_buf *b, const char *s, size_t *redactions)
{
	struct sf_buf r = SF_BUF_INIT;
	size_t n = sf_redact(&r, s, strlen(s));

	if (redactions)
		*redactions += n;
	sf_buf_adds(b, "<code>");
	html(b, r.buf, r.len);
	sf_buf_adds(b, "</code>");
	sf_buf_release(&r);
}

void
sf_md_fence(
    struct sf_buf *b, const char *lang, const char *text, size_t *redactions)
{
	struct sf_buf r = SF_BUF_INIT;
	size_t n = sf_redact(&r, text, strlen(text)), run = 0, most = 0, i;

	if (redactions)
		*redactions += n;
	for (i = 0; i < r.len; i++) {
		run = r.buf[i] == '`' ? run + 1 : 0;
		if (run > most)
			most = run;
	}
	most = most < 3 ? 3 : most + 1;
	for (i = 0; i < most; i++)
		sf_buf_addch(b, '`');
	sf_buf_adds(b, lang ? lang : "");
	sf_buf_addch(b, '\n');
	sf_buf_add(b, r.buf, r.len);
	if (!r.len || r.buf[r.len - 1] != '\n')
		sf_buf_addch(b, '\n');
	for (i = 0; i < most; i++)
		sf_buf_addch(b, '`');
	sf_buf_addch(b, '\n');
	sf_buf_release(&r);
}

void
sf_md_init(struct sf_md_doc *d)
{
	memset(d, 0, sizeof(*d));
	sf_buf_init(&d->head, 0);
	sf_buf_init(&d->foot, 0);
}

void
sf_md_release(struct sf_md_doc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->blocks[i].kind);
		free(d->blocks[i].label);
		free(d->blocks[i].text);
	}
	free(d->blocks);
	sf_buf_release(&d->head);
	sf_buf_release(&d->foot);
	memset(d, 0, sizeof(*d));
}

void
sf_md_add(struct sf_md_doc *d, const char *kind, const char *label,
    struct sf_buf *text)
{
	struct sf_md_block *blk;

	SF_ALLOC_GROW(d->blocks, d->n + 1, d->alloc);
	blk = &d->blocks[d->n++];
	blk->kind = sf_xstrdup(kind);
	blk->label = sf_xstrdup(label);
	blk->text = sf_buf_detach(text, &blk->len);
}

/* Cut b to at most max bytes, at a line (or at least a UTF-8) boundary. */
static void
cut(struct sf_buf *b, size_t max)
{
	size_t n = max;

	if (b->len <= max)
		return;
	while (n > 0 && b->buf[n - 1] != '\n' && max - n < 512)
		n--;
	if (n == 0 || b->buf[n - 1] != '\n') {
		n = max;
		while (n > 0 && ((unsigned char)b->buf[n] & 0xc0) == 0x80)
			n--;
	}
	sf_buf_setlen(b, n);
}

static void
plural(struct sf_buf *b, size_t n, const char *kind)
{
	sf_buf_addf(b, "%zu %s%s", n, kind, n == 1 ? "" : "s");
}

static void
note(struct sf_buf *b, const struct sf_md_doc *d, size_t from, const char *hint)
{
	const char *kinds[16];
	size_t counts[16], nk = 0, i, k;

	for (i = from; i < d->n; i++) {
		for (k = 0; k < nk; k++)
			if (!strcmp(kinds[k], d->blocks[i].kind))
				break;
		if (k == nk) {
			if (nk == SF_ARRAY_LEN(kinds))
				continue;
			kinds[nk] = d->blocks[i].kind;
			counts[nk++] = 0;
		}
		counts[k]++;
	}
	sf_buf_adds(b, "\n> [!NOTE]\n> This comment was cut to stay under "
	               "GitHub's limit of 65,536 characters: ");
	sf_buf_addf(
	    b, "%zu of %zu resources are not shown (", d->n - from, d->n);
	for (k = 0; k < nk; k++) {
		if (k)
			sf_buf_adds(b, ", ");
		plural(b, counts[k], kinds[k]);
	}
	sf_buf_adds(b, "): ");
	for (i = from; i < d->n && i - from < NOTE_NAMES; i++) {
		if (i > from)
			sf_buf_adds(b, ", ");
		sf_md_text(b, d->blocks[i].label);
	}
	if (d->n - from > NOTE_NAMES)
		sf_buf_addf(b, " and %zu more", d->n - from - NOTE_NAMES);
	sf_buf_adds(b, ".");
	if (hint) {
		sf_buf_adds(b, " To see everything, ");
		sf_buf_adds(b, hint);
		sf_buf_adds(b, ".");
	}
	sf_buf_adds(b, "\n");
}

void
sf_md_finish(
    struct sf_md_doc *d, size_t limit, const char *hint, struct sf_buf *out)
{
	size_t used, i, start = out->len;
	struct sf_buf tail = SF_BUF_INIT;

	if (!limit)
		limit = SF_MD_LIMIT;
	used = d->head.len + d->foot.len;
	for (i = 0; i < d->n; i++)
		used += d->blocks[i].len;
	if (used <= limit) {
		sf_buf_add(out, d->head.buf, d->head.len);
		for (i = 0; i < d->n; i++)
			sf_buf_add(out, d->blocks[i].text, d->blocks[i].len);
		sf_buf_add(out, d->foot.buf, d->foot.len);
		return;
	}
	/* Keep room for the note, the foot and a head cut short. */
	if (d->head.len + d->foot.len + NOTE_RESERVE > limit)
		cut(&d->head, limit > d->foot.len + 2 * NOTE_RESERVE
		                  ? limit - d->foot.len - 2 * NOTE_RESERVE
		                  : limit / 4);
	sf_buf_add(out, d->head.buf, d->head.len);
	used = d->head.len + d->foot.len + NOTE_RESERVE;
	for (i = 0; i < d->n; i++) {
		if (used + d->blocks[i].len > limit)
			break;
		sf_buf_add(out, d->blocks[i].text, d->blocks[i].len);
		used += d->blocks[i].len;
	}
	note(&tail, d, i, hint);
	sf_buf_add(&tail, d->foot.buf, d->foot.len);
	if (out->len - start + tail.len > limit)
		cut(&tail, limit - (out->len - start));
	sf_buf_add(out, tail.buf, tail.len);
	sf_buf_release(&tail);
}
