/* Pieces of text the renderings share. */
#include "diff/render.h"

void
sf_diff_money(char *out, size_t n, double v)
{
	char digits[64], grouped[96];
	const char *dot;
	size_t len, i, j = 0, whole;

	/* $1,234.56: cents, and thousands grouped as people read them. */
	snprintf(digits, sizeof(digits), "%.2f", v < 0 ? -v : v);
	dot = strchr(digits, '.');
	whole = dot ? (size_t)(dot - digits) : strlen(digits);
	len = strlen(digits);
	for (i = 0; i < len && j + 2 < sizeof(grouped); i++) {
		if (i > 0 && i < whole && (whole - i) % 3 == 0)
			grouped[j++] = ',';
		grouped[j++] = digits[i];
	}
	grouped[j] = '\0';
	snprintf(out, n, "%s$%s", v <= -0.005 ? "-" : "", grouped);
}

void
sf_diff_side_text(char *out, size_t n, const struct sf_diff_side *s)
{
	if (s->ref && s->commit)
		snprintf(out, n, "%s (%.7s)", s->ref, s->commit);
	else if (s->ref)
		snprintf(out, n, "%s", s->ref);
	else if (s->commit)
		snprintf(out, n, "the working tree (HEAD %.7s%s)", s->commit,
		    s->dirty ? ", with uncommitted changes" : "");
	else
		snprintf(out, n, "the working tree");
}

const char *
sf_diff_plural(enum sf_diff_kind k)
{
	switch (k) {
	case SF_DIFF_PROVIDER:
		return "provider";
	case SF_DIFF_PRICING:
		return "pricing";
	case SF_DIFF_POLICY:
		return "policy";
	case SF_DIFF_INTERPRETER:
		return "interpreters";
	case SF_DIFF_JOB:
		return "jobs";
	case SF_DIFF_VARIABLE:
	case SF_DIFF_NKINDS:
		break;
	}
	return "variables";
}

const char *
sf_diff_headline(const struct sf_diff_change *c)
{
	if (c->kind == SF_DIFF_INTERPRETER) {
		switch (c->action) {
		case SF_DIFF_ADD:
			return "will be created";
		case SF_DIFF_REMOVE:
			return "will be deleted";
		case SF_DIFF_REPLACE:
			return "will be replaced (deleted, then created)";
		case SF_DIFF_UPDATE:
			break;
		}
		return c->sandform_only
		           ? "changes in sandform only (no call to AgentCore)"
		           : "will be updated in place";
	}
	switch (c->action) {
	case SF_DIFF_ADD:
		return "is added";
	case SF_DIFF_REMOVE:
		return "is removed";
	default:
		break;
	}
	return "changes";
}

void
sf_diff_summary_line(char *out, size_t n, const struct sf_diff *d)
{
	const struct sf_diff_counts *i = &d->counts[SF_DIFF_INTERPRETER],
	                            *j = &d->counts[SF_DIFF_JOB],
	                            *v = &d->counts[SF_DIFF_VARIABLE];
	struct sf_buf b = SF_BUF_INIT;

	sf_buf_addf(&b,
	    "interpreters: %zu to add, %zu to update in place, %zu to "
	    "replace, %zu to delete; jobs: %zu added, %zu changed, %zu "
	    "removed",
	    i->add, i->update, i->replace, i->remove, j->add, j->update,
	    j->remove);
	if (v->add || v->update || v->remove)
		sf_buf_addf(&b,
		    "; variables: %zu added, %zu changed, %zu removed", v->add,
		    v->update, v->remove);
	if (d->counts[SF_DIFF_PROVIDER].update)
		sf_buf_adds(&b, "; the provider changes");
	if (d->counts[SF_DIFF_PRICING].update)
		sf_buf_adds(&b, "; the pricing changes");
	if (d->counts[SF_DIFF_POLICY].update)
		sf_buf_adds(&b, "; the policy changes");
	sf_buf_addf(
	    &b, "; %zu risk note%s.", d->nnotes, d->nnotes == 1 ? "" : "s");
	snprintf(out, n, "%s", b.buf);
	sf_buf_release(&b);
}

void
sf_diff_cost_note(char *out, size_t n, const struct sf_rates *r)
{
	snprintf(out, n,
	    "Costs are upper bounds: every run is assumed to hold one "
	    "session of %g vCPU and %g GB for its job's timeout (else its "
	    "session_timeout), at $%g per vCPU-hour and $%g per GB-hour.",
	    r->vcpus, r->memory_gb, r->vcpu_hour, r->gb_hour);
}

const char *
sf_diff_redacted_note(size_t n)
{
	static char buf[96];

	if (n == 1)
		snprintf(buf, sizeof(buf),
		    "1 string that looks like a secret was redacted.");
	else
		snprintf(buf, sizeof(buf),
		    "%zu strings that look like secrets were redacted.", n);
	return buf;
}
