/*
 * Saved plans (plan --out FILE, apply FILE, show FILE): the manifests the
 * plan was made from, the state's lineage and serial and a fingerprint of
 * the live interpreters it read, so that apply can refuse a stale plan
 * and otherwise do exactly what was reviewed. --var values are kept only
 * as hashes (they may be secrets): apply FILE needs the same --var again.
 */
#ifndef SF_CLI_PLANFILE_H
#define SF_CLI_PLANFILE_H

#include <jansson.h>

#include "cli/plancmd.h"

struct sf_planfile {
	char *dir;
	char *state_dir;
	char lineage[37];
	uint64_t serial;
	char *fingerprint;
	bool refreshed, destroy;
	char **targets;
	size_t ntargets;
	struct sf_manifest_file *files; /* name, data, len: owned */
	size_t nfiles;
	json_t *vars;    /* name -> hash */
	json_t *plan;    /* the JSON plan, for show --json */
	char *plan_text; /* the plan as `plan` printed it, for show */
	char *target;
};

int sf_planfile_write(const char *path, struct sf_work *w,
    const struct sf_plan_args *a, const struct sf_full_plan *fp,
    struct sf_err *err);
int sf_planfile_read(
    const char *path, struct sf_planfile *pf, struct sf_err *err);
/* Whether --var given now (NAME=VALUE) are those the plan was made with. */
int sf_planfile_check_vars(const struct sf_planfile *pf,
    const char *const *vars, size_t n, struct sf_err *err);
void sf_planfile_release(struct sf_planfile *pf);
/* Whether path names a saved plan (a file, not a directory). */
bool sf_planfile_is(const char *path);

#endif
