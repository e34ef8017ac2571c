/* Diagnostics for people (with the source line quoted) and for machines. */
#include <jansson.h>

#include "cli/cli.h"

#define SNIPPET_MAX 300

static const struct sf_source *
find_source(const struct sf_config *c, const char *file)
{
	size_t i;

	if (!c || !file)
		return NULL;
	for (i = 0; i < c->nsources; i++)
		if (c->sources[i].path == file ||
		    !strcmp(c->sources[i].path, file))
			return c->sources[i].data ? &c->sources[i] : NULL;
	return NULL;
}

/* The start of 1-based line in s, and its length, or NULL. */
static const char *
source_line(const struct sf_source *s, uint32_t line, size_t *len)
{
	const char *p = s->data, *end = s->data + s->len, *nl;
	uint32_t l;

	for (l = 1; l < line; l++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			return NULL;
		p++;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	if (*len && p[*len - 1] == '\r')
		(*len)--;
	return p;
}

/* Bytes from line start to 1-based character column col. */
static size_t
col_bytes(const char *line, size_t len, uint32_t col)
{
	size_t i = 0;
	uint32_t c = 1;

	while (i < len && c < col) {
		i++;
		while (i < len && ((unsigned char)line[i] & 0xc0) == 0x80)
			i++;
		c++;
	}
	return i;
}

static void
print_snippet(
    FILE *f, const struct sf_diag *g, const struct sf_source *s, bool color)
{
	const char *line;
	size_t len, i, start, stop;
	uint32_t ncols, width;
	char num[16];

	if (!s || !g->pos.line || !(line = source_line(s, g->pos.line, &len)))
		return;
	if (len > SNIPPET_MAX)
		return;
	width = (uint32_t)snprintf(num, sizeof(num), "%u", g->pos.line);
	fprintf(f, " %s | %.*s\n", num, (int)len, line);
	fprintf(f, " %*s | ", (int)width, "");
	start = col_bytes(line, len, g->pos.col);
	for (i = 0; i < start; i++)
		fputc(line[i] == '\t' ? '\t' : ' ', f);
	if (g->pos.end_line == g->pos.line && g->pos.end_col > g->pos.col)
		ncols = g->pos.end_col - g->pos.col;
	else
		ncols = 0;
	stop = ncols ? col_bytes(line, len, g->pos.end_col) : len;
	if (color)
		fputs("\033[1;31m", f);
	fputc('^', f);
	for (i = start + 1; i < stop; i++)
		if (((unsigned char)line[i] & 0xc0) != 0x80)
			fputc('~', f);
	if (color)
		fputs("\033[0m", f);
	fputc('\n', f);
}

void
sf_diag_print_text(
    FILE *f, const struct sf_diags *d, const struct sf_config *c, bool color)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct sf_diag *g = &d->v[i];
		const char *sev =
		    g->severity == SF_SEV_ERROR ? "error" : "warning";
		const char *on = "", *off = "", *sevc = "";

		if (color) {
			on = "\033[1m";
			off = "\033[0m";
			sevc = g->severity == SF_SEV_ERROR ? "\033[1;31m"
			                                   : "\033[1;35m";
		}
		if (g->pos.file && g->pos.line)
			fprintf(f, "%s%s:%u:%u:%s %s%s:%s %s\n", on,
			    g->pos.file, g->pos.line, g->pos.col, off, sevc,
			    sev, off, g->summary);
		else if (g->pos.file)
			fprintf(f, "%s%s:%s %s%s:%s %s\n", on, g->pos.file, off,
			    sevc, sev, off, g->summary);
		else
			fprintf(f, "sandform: %s%s:%s %s\n", sevc, sev, off,
			    g->summary);
		print_snippet(f, g, find_source(c, g->pos.file), color);
		if (g->detail)
			fprintf(f, "  = %s\n", g->detail);
	}
}

static json_t *
json_point(const struct sf_source *s, uint32_t line, uint32_t col)
{
	json_int_t byte = -1;
	const char *l;
	size_t len;

	if (s && (l = source_line(s, line, &len)))
		byte = (json_int_t)((size_t)(l - s->data) +
		                    col_bytes(l, len, col));
	if (byte < 0)
		return json_pack("{s:i, s:i}", "line", (json_int_t)line,
		    "column", (json_int_t)col);
	return json_pack("{s:i, s:i, s:I}", "line", (json_int_t)line, "column",
	    (json_int_t)col, "byte", byte);
}

char *
sf_diag_to_json(const struct sf_diags *d, const struct sf_config *c)
{
	json_t *root, *list;
	size_t i;
	char *out;

	list = json_array();
	for (i = 0; i < d->n; i++) {
		const struct sf_diag *g = &d->v[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "severity",
		    g->severity == SF_SEV_ERROR ? "error" : "warning",
		    "summary", g->summary, "detail",
		    g->detail ? g->detail : "");

		if (g->pos.file) {
			const struct sf_source *s = find_source(c, g->pos.file);
			json_t *r = json_pack("{s:s}", "filename", g->pos.file);

			if (g->pos.line) {
				json_object_set_new(r, "start",
				    json_point(s, g->pos.line, g->pos.col));
				json_object_set_new(r, "end",
				    json_point(s,
				        g->pos.end_line ? g->pos.end_line
				                        : g->pos.line,
				        g->pos.end_col ? g->pos.end_col
				                       : g->pos.col));
			}
			json_object_set_new(o, "range", r);
		}
		json_array_append_new(list, o);
	}
	root = json_pack("{s:s, s:b, s:i, s:i, s:o}", "format_version", "1.0",
	    "valid", d->errors == 0, "error_count", (json_int_t)d->errors,
	    "warning_count", (json_int_t)d->warnings, "diagnostics", list);
	out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!out)
		sf_die("out of memory writing JSON");
	return out;
}
