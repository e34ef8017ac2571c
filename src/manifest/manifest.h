/*
 * Manifests: a directory of YAML files (or one file) -> the typed model,
 * validated in full before anything touches the network or the state.
 */
#ifndef SF_MANIFEST_H
#define SF_MANIFEST_H

#include "model/model.h"

#define SF_MANIFEST_MAX_BYTES (16u * 1024 * 1024)
#define SF_MANIFEST_MAX_DEPTH 64

struct sf_manifest_opts {
	/* --var NAME=VALUE overrides, as given on the command line */
	const char *const *vars;
	size_t nvars;
	/* The environment for ${env.NAME}; NULL means getenv(3). */
	const char *(*getenv)(const char *name, void *ud);
	void *getenv_ud;
};

/*
 * Load the configuration at path: a directory of *.yaml / *.yml files or a
 * single file. Every problem found is added to diags (all of them, not just
 * the first). Returns 0 when the configuration is valid; SF_EINVALID when
 * diags holds errors. *out is set in both cases, so the caller can quote
 * the sources; free it with sf_config_free.
 */
int sf_manifest_load(const char *path, const struct sf_manifest_opts *opts,
    struct sf_config **out, struct sf_diags *diags);

/* In-memory files, as read from somewhere else than the disk (a git tree). */
struct sf_manifest_file {
	const char *name; /* as diagnostics show it */
	const char *data;
	size_t len;
};

/*
 * Load the configuration made of files (sorted by name by the caller, the
 * ones sf_manifest_is_manifest_name accepts); dir is where files[].source
 * paths are read from.
 */
int sf_manifest_load_files(const char *dir,
    const struct sf_manifest_file *files, size_t n,
    const struct sf_manifest_opts *opts, struct sf_config **out,
    struct sf_diags *diags);
/* Whether a file name belongs to a configuration: *.yaml, *.yml, not
 * hidden, not a backup (~). */
bool sf_manifest_is_manifest_name(const char *name);

/* The same for one in-memory file, named name (tests and fuzzers). */
int sf_manifest_load_buffer(const char *name, const char *data, size_t len,
    const struct sf_manifest_opts *opts, struct sf_config **out,
    struct sf_diags *diags);

/* "0.2.5": the libyaml this binary runs with. */
const char *sf_manifest_yaml_version(void);

#endif
