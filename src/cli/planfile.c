#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli/planfile.h"
#include "util/fs.h"

#define FORMAT       "sandform-plan"
#define PLANFILE_MAX (64u * 1024 * 1024)

static char *
var_hash(const char *value)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *value; value++) {
		h ^= (unsigned char)*value;
		h *= UINT64_C(0x100000001b3);
	}
	return sf_xasprintf("fnv1a64:%016llx", (unsigned long long)h);
}

static json_t *
vars_json(const char *const *vars, size_t n)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(vars[i], '=');
		char *name, *h;

		if (!eq)
			continue;
		name = sf_xstrndup(vars[i], (size_t)(eq - vars[i]));
		h = var_hash(eq + 1);
		json_object_set_new(o, name, json_string(h));
		free(name);
		free(h);
	}
	return o;
}

bool
sf_planfile_is(const char *path)
{
	return path && !sf_fs_is_dir(path) && access(path, R_OK) == 0;
}

int
sf_planfile_write(const char *path, struct sf_work *w,
    const struct sf_plan_args *a, const struct sf_full_plan *fp,
    struct sf_err *err)
{
	json_t *root, *files = json_array(), *targets = json_array();
	char *text, *fingerprint, *plan_text, *human;
	size_t i, len;
	int fd;
	ssize_t n;

	for (i = 0; i < w->cfg->nsources; i++)
		json_array_append_new(files,
		    json_pack("{s:s, s:s%}", "name", w->cfg->sources[i].path,
		        "text",
		        w->cfg->sources[i].data ? w->cfg->sources[i].data : "",
		        w->cfg->sources[i].data ? w->cfg->sources[i].len : 0));
	for (i = 0; i < a->ntargets; i++)
		json_array_append_new(targets, json_string(a->targets[i]));
	fingerprint = sf_live_fingerprint(w);
	/* The plan as reviewed, for `sandform show FILE`: both ways. */
	plan_text = sf_full_plan_json(w, fp);
	{
		char *buf = NULL;
		size_t blen = 0;
		FILE *mem = open_memstream(&buf, &blen);

		if (!mem)
			sf_die("open_memstream failed");
		fprintf(mem, "Target: %s\n\n",
		    w->target ? w->target : "not refreshed");
		sf_full_plan_print(mem, w, fp, false);
		fclose(mem);
		human = buf;
	}
	root = json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:I}, s:s, s:b, s:b, "
	                 "s:o, s:o, s:o, s:o, s:s}",
	    "format", FORMAT, "format_version", 1, "dir", w->dir, "state_dir",
	    w->state_dir, "state", "lineage", w->rec.lineage, "serial",
	    (json_int_t)w->rec.serial, "live_fingerprint", fingerprint,
	    "refreshed", w->live.refreshed, "destroy", a->destroy, "targets",
	    targets, "manifests", files, "vars", vars_json(a->vars, a->nvars),
	    "plan", json_loads(plan_text, 0, NULL), "target",
	    w->target ? w->target : "not refreshed");
	json_object_set_new(root, "plan_text", json_string(human));
	free(human);
	free(plan_text);
	free(fingerprint);
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	if (!text)
		sf_die("out of memory writing a plan");
	len = strlen(text);
	/* 0600: the manifests are in it. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(text);
		return sf_error(
		    err, SF_ERROR, path, "cannot write: %s", strerror(errno));
	}
	n = write(fd, text, len);
	free(text);
	if (n != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		return sf_error(
		    err, SF_ERROR, path, "cannot write: %s", strerror(errno));
	}
	close(fd);
	return SF_OK;
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int
sf_planfile_read(const char *path, struct sf_planfile *pf, struct sf_err *err)
{
	struct sf_buf b = SF_BUF_INIT;
	json_error_t je;
	json_t *root, *files, *f, *t;
	size_t i;
	int rc;

	memset(pf, 0, sizeof(*pf));
	if ((rc = sf_fs_read(path, PLANFILE_MAX, &b, err)))
		return rc;
	root = json_loadb(b.buf, b.len, 0, &je);
	sf_buf_release(&b);
	if (!json_is_object(root) || !str(root, "format") ||
	    strcmp(str(root, "format"), FORMAT)) {
		json_decref(root);
		return sf_error(err, SF_EINVALID, path,
		    "not a plan saved by `sandform plan --out`");
	}
	if (json_integer_value(json_object_get(root, "format_version")) != 1) {
		json_decref(root);
		return sf_error(err, SF_EINVALID, path,
		    "saved by a newer sandform (plan format %lld)",
		    (long long)json_integer_value(
		        json_object_get(root, "format_version")));
	}
	pf->dir = sf_xstrdup(str(root, "dir") ? str(root, "dir") : ".");
	pf->state_dir = sf_xstrdup(
	    str(root, "state_dir") ? str(root, "state_dir") : "state");
	snprintf(pf->lineage, sizeof(pf->lineage), "%s",
	    str(json_object_get(root, "state"), "lineage")
	        ? str(json_object_get(root, "state"), "lineage")
	        : "");
	pf->serial = (uint64_t)json_integer_value(
	    json_object_get(json_object_get(root, "state"), "serial"));
	pf->fingerprint = sf_xstrdup(
	    str(root, "live_fingerprint") ? str(root, "live_fingerprint") : "");
	pf->refreshed = json_is_true(json_object_get(root, "refreshed"));
	pf->destroy = json_is_true(json_object_get(root, "destroy"));
	pf->target = sf_xstrdup(str(root, "target") ? str(root, "target") : "");
	files = json_object_get(root, "manifests");
	pf->files = sf_xcalloc(json_array_size(files) + 1, sizeof(*pf->files));
	json_array_foreach(files, i, f)
	{
		const char *name = str(f, "name");
		json_t *text = json_object_get(f, "text");

		if (!name || !json_is_string(text))
			continue;
		pf->files[pf->nfiles].name = sf_xstrdup(name);
		pf->files[pf->nfiles].len = json_string_length(text);
		pf->files[pf->nfiles].data = sf_xstrndup(
		    json_string_value(text), json_string_length(text));
		pf->nfiles++;
	}
	t = json_object_get(root, "targets");
	pf->targets = sf_xcalloc(json_array_size(t) + 1, sizeof(char *));
	json_array_foreach(t, i, f)
	{
		if (json_is_string(f))
			pf->targets[pf->ntargets++] =
			    sf_xstrdup(json_string_value(f));
	}
	pf->vars = json_incref(json_object_get(root, "vars"));
	pf->plan = json_incref(json_object_get(root, "plan"));
	pf->plan_text =
	    sf_xstrdup(str(root, "plan_text") ? str(root, "plan_text") : "");
	json_decref(root);
	return SF_OK;
}

int
sf_planfile_check_vars(const struct sf_planfile *pf, const char *const *vars,
    size_t n, struct sf_err *err)
{
	json_t *now = vars_json(vars, n);
	const char *k;
	json_t *v;
	int rc = SF_OK;

	json_object_foreach(pf->vars, k, v)
	{
		const char *h = json_string_value(json_object_get(now, k));

		if (!h || strcmp(h, json_string_value(v))) {
			rc = sf_error(err, SF_EINVALID, "apply",
			    "the plan was made with --var %s=...; give the "
			    "same "
			    "value again",
			    k);
			break;
		}
	}
	if (rc == SF_OK)
		json_object_foreach(now, k, v)
		{
			if (!json_object_get(pf->vars, k)) {
				rc = sf_error(err, SF_EINVALID, "apply",
				    "--var %s was not given to the plan", k);
				break;
			}
		}
	json_decref(now);
	return rc;
}

void
sf_planfile_release(struct sf_planfile *pf)
{
	size_t i;

	for (i = 0; i < pf->nfiles; i++) {
		free((char *)pf->files[i].name);
		free((char *)pf->files[i].data);
	}
	free(pf->files);
	for (i = 0; i < pf->ntargets; i++)
		free(pf->targets[i]);
	free(pf->targets);
	free(pf->dir);
	free(pf->state_dir);
	free(pf->fingerprint);
	free(pf->target);
	free(pf->plan_text);
	json_decref(pf->vars);
	json_decref(pf->plan);
	memset(pf, 0, sizeof(*pf));
}
