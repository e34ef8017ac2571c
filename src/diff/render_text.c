/* The diff for people at a terminal (and in CI logs): Terraform's layout. */
#include "diff/diff.h"
#include "diff/redact.h"
#include "diff/render.h"

struct style {
	const char *add, *del, *chg, *off, *bold;
};

static const char *
symbol(enum sf_diff_action a)
{
	switch (a) {
	case SF_DIFF_ADD:
		return "  +";
	case SF_DIFF_REMOVE:
		return "  -";
	case SF_DIFF_REPLACE:
		return "-/+";
	case SF_DIFF_UPDATE:
		break;
	}
	return "  ~";
}

static const char *
color_of(const struct style *s, enum sf_diff_action a)
{
	switch (a) {
	case SF_DIFF_ADD:
		return s->add;
	case SF_DIFF_REMOVE:
		return s->del;
	case SF_DIFF_REPLACE:
	case SF_DIFF_UPDATE:
		break;
	}
	return s->chg;
}

/* Text appended with secrets redacted; counts into *red. */
static void
put(struct sf_buf *b, const char *s, size_t *red)
{
	*red += sf_redact(b, s, strlen(s));
}

static void
header(struct sf_buf *b, const struct sf_diff_render *r, size_t *red)
{
	char side[256];

	(void)red;
	sf_buf_adds(b, "Comparing the manifests in ");
	if (r->dir && *r->dir)
		sf_buf_adds(b, r->dir);
	else
		sf_buf_adds(b, "the top directory of the repository");
	sf_buf_addch(b, '\n');
	sf_diff_side_text(side, sizeof(side), &r->base);
	sf_buf_addf(b, "  base: %s\n", side);
	sf_diff_side_text(side, sizeof(side), &r->head);
	sf_buf_addf(b, "  head: %s\n", side);
}

static void
attrs(struct sf_buf *b, const struct sf_diff_change *c, const struct style *s,
    size_t *red)
{
	size_t i, width = 0;

	for (i = 0; i < c->nattrs; i++)
		if (strlen(c->attrs[i].name) > width)
			width = strlen(c->attrs[i].name);
	for (i = 0; i < c->nattrs; i++) {
		const struct sf_diff_attr *a = &c->attrs[i];
		const char *sym, *col;

		if (!a->before) {
			sym = "+";
			col = s->add;
		} else if (!a->after) {
			sym = "-";
			col = s->del;
		} else {
			sym = "~";
			col = s->chg;
		}
		sf_buf_addf(b, "      %s%s%s %-*s = ", col, sym, s->off,
		    (int)width, a->name);
		if (a->before && a->after) {
			put(b, a->before, red);
			sf_buf_adds(b, " -> ");
			put(b, a->after, red);
		} else if (a->before && c->action != SF_DIFF_REMOVE) {
			put(b, a->before, red);
			sf_buf_adds(b, " -> null");
		} else {
			put(b, a->before ? a->before : a->after, red);
		}
		if (a->forces_replacement)
			sf_buf_addf(
			    b, " %s# forces replacement%s", s->del, s->off);
		sf_buf_addch(b, '\n');
	}
}

static void
schedule_line(struct sf_buf *b, const char *label,
    const struct sf_diff_sched *s, const char *name, size_t *red)
{
	size_t k;

	sf_buf_addf(b, "      %-9s ", label);
	if (!s->set) {
		sf_buf_addf(
		    b, "no schedule: runs only with `sandform run %s`\n", name);
		return;
	}
	sf_buf_addch(b, '"');
	put(b, s->expr, red);
	sf_buf_addf(b, "\" %s", s->tz);
	for (k = 0; k < s->nnext; k++)
		sf_buf_addf(b, "%s%s", k ? ", " : "; next ", s->next_text[k]);
	if (!s->nnext)
		sf_buf_adds(b, "; never fires again");
	sf_buf_addch(b, '\n');
}

static void
job_extra(
    struct sf_buf *b, const struct sf_diff_change *c, size_t *red, bool *costs)
{
	const struct sf_diff_sched *bs = &c->sched[0], *as = &c->sched[1];
	char m0[32], m1[32];

	switch (c->action) {
	case SF_DIFF_ADD:
		schedule_line(b, "schedule:", as, c->name, red);
		if (as->set) {
			sf_diff_money(m1, sizeof(m1), as->cost);
			sf_buf_addf(b,
			    "      %-9s %zu per month; at most %s per month\n",
			    "runs:", as->runs_per_month, m1);
			*costs = true;
		}
		break;
	case SF_DIFF_REMOVE:
		if (bs->set) {
			sf_diff_money(m0, sizeof(m0), bs->cost);
			sf_buf_addf(b,
			    "      %-9s %zu per month; at most %s per month\n",
			    "ran:", bs->runs_per_month, m0);
			*costs = true;
		}
		break;
	default:
		if (c->schedule_changed) {
			schedule_line(b, "before:", bs, c->name, red);
			schedule_line(b, "after:", as, c->name, red);
		}
		if (bs->runs_per_month != as->runs_per_month ||
		    bs->cost != as->cost) {
			sf_diff_money(m0, sizeof(m0), bs->cost);
			sf_diff_money(m1, sizeof(m1), as->cost);
			sf_buf_addf(b,
			    "      %-9s %zu -> %zu per month; at most %s -> %s "
			    "per month\n",
			    "runs:", bs->runs_per_month, as->runs_per_month, m0,
			    m1);
			*costs = true;
		}
		break;
	}
	if (c->steps_diff) {
		const char *p = c->steps_diff;

		sf_buf_addf(b, "      steps:%s\n",
		    c->action == SF_DIFF_ADD ? "" : " (base -> head)");
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);

			sf_buf_adds(b, "        ");
			*red += sf_redact(b, p, len);
			p += len;
		}
		if (b->buf[b->len - 1] != '\n')
			sf_buf_addch(b, '\n');
	}
}

static void
change(struct sf_buf *b, const struct sf_diff_change *c, const struct style *s,
    size_t *red, bool *costs)
{
	size_t i;

	sf_buf_addf(b, "\n  %s# %s%s%s %s\n", s->bold, sf_diff_plural(c->kind),
	    sf_diff_kind_single(c->kind) ? "" : ".",
	    sf_diff_kind_single(c->kind) ? "" : c->name, sf_diff_headline(c));
	sf_buf_addf(b, "%s%s%s %s", color_of(s, c->action), symbol(c->action),
	    s->off, sf_diff_kind_name(c->kind));
	if (!sf_diff_kind_single(c->kind))
		sf_buf_addf(b, " \"%s\"", c->name);
	sf_buf_adds(b, " {\n");
	attrs(b, c, s, red);
	if (c->kind == SF_DIFF_JOB)
		job_extra(b, c, red, costs);
	sf_buf_adds(b, "    }\n");
	for (i = 0; i < c->nnotes; i++) {
		sf_buf_addf(b, "    %s! risk:%s ", s->del, s->off);
		put(b, c->notes[i].msg, red);
		sf_buf_addch(b, '\n');
	}
}

size_t
sf_diff_render_text(
    const struct sf_diff *d, const struct sf_diff_render *r, struct sf_buf *out)
{
	struct style s = { "", "", "", "", "" };
	size_t i, red = 0;
	bool costs = false;
	char line[512];

	if (r->color) {
		s.add = "\033[32m";
		s.del = "\033[31m";
		s.chg = "\033[33m";
		s.off = "\033[0m";
		s.bold = "\033[1m";
	}
	header(out, r, &red);
	if (!sf_diff_has_changes(d)) {
		sf_buf_addf(out,
		    "\n%sNo changes.%s Both sides declare the same provider, "
		    "interpreters, jobs and variables.\n",
		    s.bold, s.off);
		return red;
	}
	for (i = 0; i < d->n; i++)
		change(out, &d->v[i], &s, &red, &costs);
	sf_diff_summary_line(line, sizeof(line), d);
	sf_buf_addf(out, "\n%sDiff:%s %s\n", s.bold, s.off, line);
	if (costs && r->rates) {
		sf_diff_cost_note(line, sizeof(line), r->rates);
		sf_buf_addf(out, "%s\n", line);
	}
	if (red)
		sf_buf_addf(out,
		    "%zu string%s that look%s like secrets %s redacted.\n", red,
		    red == 1 ? "" : "s", red == 1 ? "s" : "",
		    red == 1 ? "was" : "were");
	return red;
}
