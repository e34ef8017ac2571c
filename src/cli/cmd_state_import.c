/*
 * sandform state import NAME [ID]: adopt an interpreter that exists in the
 * control plane but not in the state (made by hand, or by a lost state).
 * Its attributes are recorded as the control plane reports them, so the
 * next plan shows honestly whatever differs from the manifests.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "cli/plancmd.h"
#include "cli/statecmd.h"
#include "util/fs.h"

static char **
copy_strs(const struct sf_strs *s, size_t *n)
{
	char **v;
	size_t i;

	*n = s->n;
	if (!s->n)
		return NULL;
	v = sf_xcalloc(s->n, sizeof(*v));
	for (i = 0; i < s->n; i++)
		v[i] = sf_xstrdup(s->v[i]);
	return v;
}

static char *
dup_or_null(const char *s)
{
	return s ? sf_xstrdup(s) : NULL;
}

int
cmd_state_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "var", required_argument, NULL, 'v' },
		{ "lock-timeout", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pos[3], *state = NULL, **vars = NULL;
	size_t npos = 0, nvars = 0, avars = 0, i;
	int64_t timeout = 0;
	struct sf_work w;
	struct sf_ci ci;
	struct sf_kvs tags;
	struct sf_rec_interpreter *r;
	struct sf_err err;
	const char *name, *id = NULL, *dir = ".";
	char *found = NULL;
	int opt, rc = SF_EXIT_ERROR;

	memset(&w, 0, sizeof(w));
	memset(&ci, 0, sizeof(ci));
	memset(&tags, 0, sizeof(tags));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			state = optarg;
			break;
		case 'v':
			SF_ALLOC_GROW(vars, nvars + 1, avars);
			vars[nvars++] = optarg;
			break;
		case 'l':
			if (sf_cli_parse_duration(optarg, &timeout)) {
				free(vars);
				return sf_cli_usage_error(
				    "state", "--lock-timeout takes a duration");
			}
			break;
		default:
			free(vars);
			return sf_cli_usage_error(
			    "state", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	while (optind < argc && npos < 3)
		pos[npos++] = argv[optind++];
	if (!npos || optind < argc) {
		free(vars);
		return sf_cli_usage_error(
		    "state", "state import NAME [ID] [DIR]");
	}
	name = pos[0];
	/* NAME ID DIR, NAME ID, NAME DIR: an existing directory is DIR. */
	if (npos == 3) {
		id = pos[1];
		dir = pos[2];
	} else if (npos == 2) {
		if (sf_fs_is_dir(pos[1]))
			dir = pos[1];
		else
			id = pos[1];
	}
	if (sf_work_load(&w, "state import", dir, vars, nvars) ||
	    sf_work_state(&w, state, timeout) || sf_work_connect(&w))
		goto out;
	if (!sf_config_interpreter(w.cfg, name)) {
		sf_error(&err, SF_EINVALID, name,
		    "declare the interpreter in the manifests first: import "
		    "adopts what a manifest describes");
		sf_cli_report(&err);
		goto out;
	}
	if (sf_recorded_interpreter(&w.rec, name)) {
		sf_error(&err, SF_ECONFLICT, name, "already in the state");
		sf_cli_report(&err);
		goto out;
	}
	if (!id) {
		/* Names are unique: the list finds the id. */
		if (sf_work_refresh(&w))
			goto out;
		const struct sf_live_interpreter *x =
		    sf_live_interpreter(&w.live, name);

		if (!x) {
			sf_error(&err, SF_ENOTFOUND, name,
			    "no interpreter of that name in the control plane");
			sf_cli_report(&err);
			goto out;
		}
		id = found = sf_xstrdup(x->id);
	}
	if (w.provider->ops->get_interpreter(w.provider, id, &ci, &err)) {
		sf_cli_report(&err);
		goto out;
	}
	if (!ci.name || strcmp(ci.name, name)) {
		sf_error(&err, SF_EINVALID, id,
		    "this interpreter is named %s, not %s",
		    ci.name ? ci.name : "(nothing)", name);
		sf_cli_report(&err);
		goto out;
	}
	if (ci.arn &&
	    w.provider->ops->list_tags(w.provider, ci.arn, &tags, &err) &&
	    err.code != SF_ENOTFOUND) {
		sf_cli_report(&err);
		goto out;
	}
	w.rec.interpreters = sf_xrealloc(w.rec.interpreters,
	    (w.rec.ninterpreters + 1) * sizeof(*w.rec.interpreters));
	r = &w.rec.interpreters[w.rec.ninterpreters++];
	memset(r, 0, sizeof(*r));
	r->name = sf_xstrdup(name);
	r->id = dup_or_null(ci.id);
	r->arn = dup_or_null(ci.arn);
	r->description = dup_or_null(ci.description);
	r->network = dup_or_null(ci.network_mode ? ci.network_mode : "SANDBOX");
	r->execution_role_arn = dup_or_null(ci.execution_role_arn);
	r->subnets = copy_strs(&ci.subnets, &r->nsubnets);
	r->security_groups =
	    copy_strs(&ci.security_groups, &r->nsecurity_groups);
	r->certificates = copy_strs(&ci.certificates, &r->ncertificates);
	r->status = dup_or_null(ci.status);
	r->created_at = ci.created_at;
	/* A generation no create of this lineage has used: the time. */
	r->generation = sf_now_ms() / 1000;
	r->ntags = tags.n;
	r->tags = tags.n ? sf_xcalloc(tags.n, sizeof(*r->tags)) : NULL;
	for (i = 0; i < tags.n; i++) {
		r->tags[i].key = sf_xstrdup(tags.v[i].key);
		r->tags[i].value = sf_xstrdup(tags.v[i].value);
	}
	sf_recorded_sort(&w.rec);
	if (sf_work_save(&w, &err)) {
		sf_cli_report(&err);
		goto out;
	}
	printf("Imported %s (%s); `sandform plan` shows how it differs from "
	       "the manifests.\n",
	    name, ci.id);
	rc = SF_EXIT_OK;
out:
	sf_ci_release(&ci);
	sf_kvs_release(&tags);
	free(found);
	free(vars);
	sf_work_release(&w);
	return rc;
}
