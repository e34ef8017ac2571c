/* sandform state show NAME: every recorded attribute of one interpreter. */
#include "cli/cli.h"
#include "cli/statecmd.h"

static void
show_str(const char *key, const char *v)
{
	struct sf_buf b = SF_BUF_INIT;

	if (!v)
		return;
	sf_buf_add_quoted(&b, v, SIZE_MAX);
	printf("  %-18s = %s\n", key, b.buf);
	sf_buf_release(&b);
}

static void
show_list(const char *key, char *const *v, size_t n)
{
	struct sf_buf b = SF_BUF_INIT;
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n; i++) {
		sf_buf_adds(&b, i ? ", " : "[");
		sf_buf_add_quoted(&b, v[i], SIZE_MAX);
	}
	printf("  %-18s = %s]\n", key, b.buf);
	sf_buf_release(&b);
}

static void
show_text(const struct sf_rec_interpreter *in)
{
	struct sf_buf b = SF_BUF_INIT;
	char t[32];
	size_t i, w = 0;

	printf("# interpreter %s\n", in->name);
	show_str("name", in->name);
	show_str("id", in->id);
	show_str("arn", in->arn);
	show_str("status", in->status);
	show_str("network", in->network);
	show_str("description", in->description);
	show_str("execution_role_arn", in->execution_role_arn);
	show_list("subnets", in->subnets, in->nsubnets);
	show_list("security_groups", in->security_groups, in->nsecurity_groups);
	show_list("certificates", in->certificates, in->ncertificates);
	if (in->ntags) {
		for (i = 0; i < in->ntags; i++)
			if (strlen(in->tags[i].key) > w)
				w = strlen(in->tags[i].key);
		printf("  %-18s = {\n", "tags");
		for (i = 0; i < in->ntags; i++) {
			sf_buf_reset(&b);
			sf_buf_add_quoted(&b, in->tags[i].value, SIZE_MAX);
			printf(
			    "    %-*s = %s\n", (int)w, in->tags[i].key, b.buf);
		}
		printf("  }\n");
	}
	printf("  %-18s = %s\n", "prevent_destroy",
	    in->prevent_destroy ? "true" : "false");
	if (in->created_at) {
		sf_time_format(t, in->created_at);
		printf("  %-18s = %s\n", "created_at", t);
	}
	printf("  %-18s = %lld\n", "generation", (long long)in->generation);
	sf_buf_release(&b);
}

int
cmd_state_show(int argc, char **argv)
{
	struct sf_state_args a;
	struct sf_storage *s;
	struct sf_storage_ver ver;
	struct sf_recorded r;
	struct sf_err err;
	const struct sf_rec_interpreter *in;
	int rc;

	if ((rc = sf_cli_state_args("state", argc, argv, SF_STATE_ARG_JSON, 1,
	         2, "the NAME of an interpreter", &a)))
		return rc;
	s = sf_cli_state_open_dir(a.npos > 1 ? a.pos[1] : ".", a.state);
	if (!s)
		return SF_EXIT_ERROR;
	rc = sf_state_load(s, &r, &ver, &err);
	if (rc == SF_ENOTFOUND) {
		sf_error(&err, SF_ENOTFOUND, s->where,
		    "no state yet, so no interpreter \"%s\"", a.pos[0]);
		rc = sf_cli_report(&err);
	} else if (rc) {
		rc = sf_cli_report(&err);
	} else if (!(in = sf_recorded_interpreter(&r, a.pos[0]))) {
		sf_cli_state_unknown(&r, a.pos[0], &err);
		rc = sf_cli_report(&err);
	} else if (a.json) {
		struct sf_buf b = SF_BUF_INIT;

		sf_state_interpreter_to_json(in, &b);
		fputs(b.buf, stdout);
		sf_buf_release(&b);
	} else {
		show_text(in);
	}
	sf_recorded_release(&r);
	sf_storage_free(s);
	return rc;
}
