/*
 * The diff as a pull-request comment: a summary table first, a warning
 * banner when something is deleted or replaced or exposure widens, the
 * risk notes, then one <details> block per resource; under GitHub's size
 * limit, with secrets redacted.
 */
#include "diff/diff.h"
#include "diff/md.h"
#include "diff/redact.h"
#include "diff/render.h"

/* Risk notes listed at the top; the rest are in their blocks. */
#define TOP_NOTES 50

static void
msg(struct sf_buf *b, const char *s, size_t *red)
{
	struct sf_buf r = SF_BUF_INIT;

	*red += sf_redact(&r, s, strlen(s));
	sf_md_text(b, r.buf);
	sf_buf_release(&r);
}

static void
side(struct sf_buf *b, const struct sf_diff_side *s)
{
	if (s->ref) {
		sf_buf_adds(b, "<code>");
		sf_md_text(b, s->ref);
		sf_buf_adds(b, "</code>");
		if (s->commit)
			sf_buf_addf(b, " (%.7s)", s->commit);
	} else if (s->commit) {
		sf_buf_addf(b, "the working tree (HEAD %.7s%s)", s->commit,
		    s->dirty ? ", with uncommitted changes" : "");
	} else {
		sf_buf_adds(b, "the working tree");
	}
}

static void
count_cell(struct sf_buf *b, size_t n, bool applies)
{
	if (!applies)
		sf_buf_adds(b, " &ndash; |");
	else if (n)
		sf_buf_addf(b, " **%zu** |", n);
	else
		sf_buf_adds(b, " 0 |");
}

static void
summary_table(struct sf_buf *b, const struct sf_diff *d)
{
	static const enum sf_diff_kind kinds[] = { SF_DIFF_INTERPRETER,
		SF_DIFF_JOB, SF_DIFF_VARIABLE };
	size_t k;

	sf_buf_adds(b, "| | added | changed | replaced | removed |\n"
	               "|:--|--:|--:|--:|--:|\n");
	for (k = 0; k < SF_ARRAY_LEN(kinds); k++) {
		const struct sf_diff_counts *c = &d->counts[kinds[k]];

		sf_buf_addf(b, "| %s |", sf_diff_plural(kinds[k]));
		count_cell(b, c->add, true);
		count_cell(b, c->update, true);
		count_cell(b, c->replace, kinds[k] == SF_DIFF_INTERPRETER);
		count_cell(b, c->remove, true);
		sf_buf_addch(b, '\n');
	}
	for (k = SF_DIFF_PROVIDER; k <= SF_DIFF_POLICY; k++)
		if (d->counts[k].update)
			sf_buf_addf(b,
			    "| %s | &ndash; | **1** | &ndash; | &ndash; |\n",
			    sf_diff_kind_name((enum sf_diff_kind)k));
}

static void
banner(struct sf_buf *b, const struct sf_diff *d)
{
	const struct sf_diff_counts *i = &d->counts[SF_DIFF_INTERPRETER],
	                            *j = &d->counts[SF_DIFF_JOB];
	char *parts[5];
	size_t n = 0, k;

	if (!sf_diff_is_destructive(d))
		return;
	if (i->remove)
		parts[n++] = sf_xasprintf("deletes %zu interpreter%s",
		    i->remove, i->remove == 1 ? "" : "s");
	if (i->replace)
		parts[n++] = sf_xasprintf("replaces %zu interpreter%s "
		                          "(deleted, then created: sessions "
		                          "in progress end)",
		    i->replace, i->replace == 1 ? "" : "s");
	if (j->remove)
		parts[n++] = sf_xasprintf(
		    "removes %zu job%s", j->remove, j->remove == 1 ? "" : "s");
	if (d->widened)
		parts[n++] = sf_xstrdup("widens network exposure");
	if (d->relaxed)
		parts[n++] = sf_xstrdup("relaxes the policy guards");
	sf_buf_adds(b, "\n> [!WARNING]\n> This change ");
	for (k = 0; k < n; k++) {
		if (k)
			sf_buf_adds(b, k + 1 == n ? " and " : ", ");
		sf_buf_adds(b, parts[k]);
		free(parts[k]);
	}
	sf_buf_adds(b, ". Read the risk notes before approving.\n");
}

static void
risk_list(struct sf_buf *b, const struct sf_diff *d, size_t *red)
{
	size_t i, k, shown = 0;

	if (!d->nnotes)
		return;
	sf_buf_addf(b, "\n**Risk notes (%zu)**\n\n", d->nnotes);
	for (i = 0; i < d->n; i++) {
		const struct sf_diff_change *c = &d->v[i];

		for (k = 0; k < c->nnotes; k++) {
			if (shown++ >= TOP_NOTES)
				continue;
			sf_buf_addf(b, "- %s", sf_diff_kind_name(c->kind));
			if (!sf_diff_kind_single(c->kind)) {
				sf_buf_adds(b, " <code>");
				sf_md_text(b, c->name);
				sf_buf_adds(b, "</code>");
			}
			sf_buf_adds(b, ": ");
			msg(b, c->notes[k].msg, red);
			sf_buf_addch(b, '\n');
		}
	}
	if (shown > TOP_NOTES)
		sf_buf_addf(b, "- &hellip; and %zu more, in the blocks below\n",
		    shown - TOP_NOTES);
}

static const char *
action_word(const struct sf_diff_change *c)
{
	switch (c->action) {
	case SF_DIFF_ADD:
		return c->kind == SF_DIFF_INTERPRETER ? "created" : "added";
	case SF_DIFF_REMOVE:
		return c->kind == SF_DIFF_INTERPRETER ? "deleted" : "removed";
	case SF_DIFF_REPLACE:
		return "replaced";
	case SF_DIFF_UPDATE:
		break;
	}
	if (c->kind == SF_DIFF_INTERPRETER)
		return c->sandform_only ? "changed in sandform only"
		                        : "updated in place";
	return "changed";
}

static const char *
symbol(enum sf_diff_action a)
{
	switch (a) {
	case SF_DIFF_ADD:
		return "+";
	case SF_DIFF_REMOVE:
		return "-";
	case SF_DIFF_REPLACE:
		return "-/+";
	case SF_DIFF_UPDATE:
		break;
	}
	return "~";
}

/* The attribute names that changed, for the summary line. */
static void
changed_names(struct sf_buf *b, const struct sf_diff_change *c)
{
	size_t i, n = 0;
	bool forces = c->action == SF_DIFF_REPLACE;

	if (c->action == SF_DIFF_ADD || c->action == SF_DIFF_REMOVE)
		return;
	for (i = 0; i < c->nattrs; i++) {
		if (forces && !c->attrs[i].forces_replacement)
			continue;
		if (n++ == 4) {
			sf_buf_adds(b, ", &hellip;");
			break;
		}
		sf_buf_adds(b, n == 1 ? " (" : ", ");
		sf_md_text(b, c->attrs[i].name);
	}
	if (c->kind == SF_DIFF_JOB && c->steps_diff &&
	    c->action == SF_DIFF_UPDATE && n < 5)
		sf_buf_adds(b, n++ ? ", steps" : " (steps");
	if (n)
		sf_buf_adds(b, !forces  ? ")"
		               : n == 1 ? " forces it)"
		                        : " force it)");
}

/* Whether a job's schedule table is shown (sched_table). */
static bool
has_sched_table(const struct sf_diff_change *c)
{
	if (c->kind != SF_DIFF_JOB || (!c->sched[0].set && !c->sched[1].set))
		return false;
	return c->action != SF_DIFF_UPDATE || c->schedule_changed ||
	       c->sched[0].runs_per_month != c->sched[1].runs_per_month ||
	       c->sched[0].cost != c->sched[1].cost;
}

/* The schedule and time zone are in the schedule table when there is one. */
static bool
in_sched_table(const struct sf_diff_change *c, const struct sf_diff_attr *a)
{
	return has_sched_table(c) &&
	       (!strcmp(a->name, "schedule") || !strcmp(a->name, "timezone"));
}

static void
attr_table(struct sf_buf *b, const struct sf_diff_change *c, size_t *red)
{
	bool two = c->action == SF_DIFF_UPDATE || c->action == SF_DIFF_REPLACE;
	size_t i, n = 0;

	for (i = 0; i < c->nattrs; i++)
		n += !in_sched_table(c, &c->attrs[i]);
	if (!n)
		return;
	sf_buf_adds(b, two ? "| attribute | before | after |\n|:--|:--|:--|\n"
	                   : "| attribute | value |\n|:--|:--|\n");
	for (i = 0; i < c->nattrs; i++) {
		const struct sf_diff_attr *a = &c->attrs[i];

		if (in_sched_table(c, a))
			continue;
		sf_buf_adds(b, "| ");
		sf_md_text(b, a->name);
		if (a->forces_replacement)
			sf_buf_adds(b, " (forces replacement)");
		sf_buf_adds(b, " | ");
		if (two) {
			if (a->before)
				sf_md_code(b, a->before, red);
			else
				sf_buf_adds(b, "&ndash;");
			sf_buf_adds(b, " | ");
			if (a->after)
				sf_md_code(b, a->after, red);
			else
				sf_buf_adds(b, "&ndash;");
		} else {
			sf_md_code(b, a->before ? a->before : a->after, red);
		}
		sf_buf_adds(b, " |\n");
	}
	sf_buf_addch(b, '\n');
}

static void
sched_cells(
    struct sf_buf *b, const struct sf_diff_sched *s, int row, size_t *red)
{
	char m[32];
	size_t k;

	sf_buf_adds(b, " ");
	if (!s->set) {
		sf_buf_adds(b, row == 0 ? "no schedule" : "&ndash;");
		sf_buf_adds(b, " |");
		return;
	}
	switch (row) {
	case 0:
		sf_md_code(b, s->expr, red);
		sf_buf_adds(b, " ");
		sf_md_text(b, s->tz);
		break;
	case 1:
		for (k = 0; k < s->nnext; k++) {
			if (k)
				sf_buf_adds(b, "<br>");
			sf_md_text(b, s->next_text[k]);
		}
		if (!s->nnext)
			sf_buf_adds(b, "never again");
		break;
	case 2:
		sf_buf_addf(b, "%zu", s->runs_per_month);
		break;
	default:
		sf_diff_money(m, sizeof(m), s->cost);
		sf_buf_adds(b, m);
		break;
	}
	sf_buf_adds(b, " |");
}

static void
sched_table(struct sf_buf *b, const struct sf_diff_change *c, size_t *red)
{
	static const char *const rows[] = { "schedule", "next fire times",
		"runs per month", "cost per month (upper bound)" };
	bool before = c->action != SF_DIFF_ADD,
	     after = c->action != SF_DIFF_REMOVE;
	size_t r;

	if (!has_sched_table(c))
		return;
	sf_buf_adds(b, "| |");
	if (before)
		sf_buf_adds(b, " before |");
	if (after)
		sf_buf_adds(b, " after |");
	sf_buf_adds(b, before && after ? "\n|:--|:--|:--|\n" : "\n|:--|:--|\n");
	for (r = 0; r < SF_ARRAY_LEN(rows); r++) {
		sf_buf_addf(b, "| %s |", rows[r]);
		if (before)
			sched_cells(b, &c->sched[0], (int)r, red);
		if (after)
			sched_cells(b, &c->sched[1], (int)r, red);
		sf_buf_addch(b, '\n');
	}
	sf_buf_addch(b, '\n');
}

static void
block(
    struct sf_buf *b, const struct sf_diff_change *c, size_t *red, bool *costs)
{
	size_t i;

	sf_buf_addf(b, "<details><summary><code>%s</code> %s",
	    symbol(c->action), sf_diff_kind_name(c->kind));
	if (!sf_diff_kind_single(c->kind)) {
		sf_buf_adds(b, " <b>");
		sf_md_text(b, c->name);
		sf_buf_adds(b, "</b>");
	}
	sf_buf_addf(b, ": %s", action_word(c));
	changed_names(b, c);
	if (c->nnotes)
		sf_buf_addf(b, " &mdash; %zu risk note%s", c->nnotes,
		    c->nnotes == 1 ? "" : "s");
	sf_buf_adds(b, "</summary>\n\n");
	attr_table(b, c, red);
	if (c->kind == SF_DIFF_JOB) {
		size_t before = b->len;

		sched_table(b, c, red);
		*costs |= b->len != before;
		if (c->steps_diff) {
			sf_buf_adds(b, c->action == SF_DIFF_ADD
			                   ? "Steps:\n\n"
			                   : "Steps (base &rarr; head):\n\n");
			sf_md_fence(b, "diff", c->steps_diff, red);
			sf_buf_addch(b, '\n');
		}
	}
	for (i = 0; i < c->nnotes; i++) {
		sf_buf_adds(b, "- **Risk:** ");
		msg(b, c->notes[i].msg, red);
		sf_buf_addch(b, '\n');
	}
	if (c->nnotes)
		sf_buf_addch(b, '\n');
	sf_buf_adds(b, "</details>\n");
}

size_t
sf_diff_render_markdown(
    const struct sf_diff *d, const struct sf_diff_render *r, struct sf_buf *out)
{
	struct sf_md_doc doc;
	struct sf_buf blk = SF_BUF_INIT, hint = SF_BUF_INIT;
	size_t i, red = 0;
	bool costs = false;
	char line[512];

	sf_md_init(&doc);
	sf_buf_adds(&doc.head, "### sandform diff\n\nManifests in ");
	if (r->dir && *r->dir) {
		sf_buf_adds(&doc.head, "<code>");
		sf_md_text(&doc.head, r->dir);
		sf_buf_adds(&doc.head, "</code>");
	} else {
		sf_buf_adds(&doc.head, "the top directory");
	}
	sf_buf_adds(&doc.head, ": ");
	side(&doc.head, &r->base);
	sf_buf_adds(&doc.head, " &rarr; ");
	side(&doc.head, &r->head);
	sf_buf_adds(&doc.head, "\n\n");
	if (!sf_diff_has_changes(d)) {
		sf_buf_adds(&doc.head,
		    "**No changes.** Both sides declare the same provider, "
		    "interpreters, jobs and variables.\n");
		sf_md_finish(&doc, r->limit, NULL, out);
		sf_md_release(&doc);
		return 0;
	}
	summary_table(&doc.head, d);
	banner(&doc.head, d);
	risk_list(&doc.head, d, &red);
	sf_buf_addch(&doc.head, '\n');
	for (i = 0; i < d->n; i++) {
		const struct sf_diff_change *c = &d->v[i];

		block(&blk, c, &red, &costs);
		sf_md_add(&doc, sf_diff_kind_name(c->kind), c->name, &blk);
	}
	sf_diff_summary_line(line, sizeof(line), d);
	sf_buf_adds(&doc.foot, "\n");
	sf_md_text(&doc.foot, line);
	sf_buf_addch(&doc.foot, '\n');
	if (costs && r->rates) {
		sf_diff_cost_note(line, sizeof(line), r->rates);
		sf_buf_adds(&doc.foot, "\n<sub>");
		sf_md_text(&doc.foot, line);
		sf_buf_adds(&doc.foot, "</sub>\n");
	}
	if (red)
		sf_buf_addf(
		    &doc.foot, "\n<sub>%s</sub>\n", sf_diff_redacted_note(red));
	if (r->command) {
		sf_buf_adds(&hint, "run <code>");
		sf_md_text(&hint, r->command);
		sf_buf_adds(&hint, "</code>");
	}
	sf_md_finish(&doc, r->limit, r->command ? hint.buf : NULL, out);
	sf_buf_release(&hint);
	sf_buf_release(&blk);
	sf_md_release(&doc);
	return red;
}
