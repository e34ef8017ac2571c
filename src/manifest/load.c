/* Finding, reading and checking the files of a configuration. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "manifest/internal.h"
#include "util/fs.h"

static bool
is_manifest_name(const char *name)
{
	if (name[0] == '.' || sf_str_has_suffix(name, "~"))
		return false;
	return sf_str_has_suffix(name, ".yaml") ||
	       sf_str_has_suffix(name, ".yml");
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct sf_pos
file_pos(const char *file)
{
	struct sf_pos p;

	memset(&p, 0, sizeof(p));
	p.file = file;
	return p;
}

/* Line and column (1-based, in characters) of byte off in data. */
static struct sf_pos
offset_pos(const char *file, const char *data, size_t off)
{
	struct sf_pos p = file_pos(file);
	size_t i;

	p.line = 1;
	p.col = 1;
	for (i = 0; i < off; i++) {
		if (data[i] == '\n') {
			p.line++;
			p.col = 1;
		} else if (((unsigned char)data[i] & 0xc0) != 0x80) {
			p.col++;
		}
	}
	p.end_line = p.line;
	p.end_col = p.col + 1;
	return p;
}

static struct sf_source *
add_source(struct sf_config *c, const char *path)
{
	struct sf_source *s;

	SF_ALLOC_GROW(c->sources, c->nsources + 1, c->sources_alloc);
	s = &c->sources[c->nsources++];
	s->path = sf_xstrdup(path);
	s->data = NULL;
	s->len = 0;
	return s;
}

/* Refuse binary and non-UTF-8 text; the source's data is dropped then. */
static bool
check_text(struct sf_source *s, struct sf_diags *diags)
{
	const char *nul = memchr(s->data, '\0', s->len);
	struct sf_pos pos;
	size_t bad;

	if (nul) {
		pos = offset_pos(s->path, s->data, (size_t)(nul - s->data));
		sf_diag_add(diags, SF_SEV_ERROR, &pos,
		    "manifests are YAML text",
		    "this is a binary file, not YAML (a NUL byte at "
		    "offset %zu)",
		    (size_t)(nul - s->data));
	} else if (!sf_utf8_valid(s->data, s->len, &bad)) {
		pos = offset_pos(s->path, s->data, bad);
		sf_diag_add(diags, SF_SEV_ERROR, &pos,
		    "manifests are UTF-8 text",
		    "invalid UTF-8 at byte offset %zu", bad);
	} else {
		return true;
	}
	free(s->data);
	s->data = NULL;
	s->len = 0;
	return false;
}

/* Read and check one file; false (with a diagnostic) when unusable. */
static bool
read_source(struct sf_source *s, struct sf_diags *diags)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	struct sf_pos pos = file_pos(s->path);

	if (sf_fs_read(s->path, SF_MANIFEST_MAX_BYTES, &b, &err) != SF_OK) {
		sf_diag_add(diags, SF_SEV_ERROR, &pos, NULL, "%s", err.msg);
		sf_buf_release(&b);
		return false;
	}
	s->data = sf_buf_detach(&b, &s->len);
	return check_text(s, diags);
}

static int
load_sources(struct sf_config *c, const struct sf_manifest_opts *opts,
    struct sf_diags *diags)
{
	struct sf_arena nodes;
	struct file_tree *trees;
	size_t i;
	int rc;

	sf_arena_init(&nodes);
	trees = sf_xcalloc(c->nsources ? c->nsources : 1, sizeof(*trees));
	for (i = 0; i < c->nsources; i++) {
		struct sf_source *s = &c->sources[i];
		bool ok;

		trees[i].path = s->path;
		trees[i].dir = c->dir;
		if (!s->data) {
			trees[i].failed = true;
			continue;
		}
		trees[i].root =
		    sf_yaml_parse(&nodes, s->path, s->data, s->len, diags, &ok);
		trees[i].failed = !ok;
	}
	rc = sf_convert(c, trees, c->nsources, opts, diags);
	free(trees);
	sf_arena_release(&nodes);
	sf_diags_sort(diags);
	return diags->errors ? SF_EINVALID : rc;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return sf_xstrdup(".");
	if (slash == path)
		return sf_xstrdup("/");
	return sf_xstrndup(path, (size_t)(slash - path));
}

int
sf_manifest_load(const char *path, const struct sf_manifest_opts *opts,
    struct sf_config **out, struct sf_diags *diags)
{
	struct sf_config *c = sf_config_new();
	struct stat st;
	struct sf_pos pos = file_pos(path);
	size_t i;

	*out = c;
	if (stat(path, &st) != 0) {
		sf_diag_add(diags, SF_SEV_ERROR, &pos, NULL, "%s",
		    errno == ENOENT ? "no such file or directory"
		                    : strerror(errno));
		return SF_EINVALID;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		char **names = NULL;
		size_t n = 0, alloc = 0, skipped = 0;

		c->dir = sf_xstrdup(path);
		if (!d) {
			sf_diag_add(diags, SF_SEV_ERROR, &pos, NULL,
			    "cannot read the directory: %s", strerror(errno));
			return SF_EINVALID;
		}
		while ((de = readdir(d))) {
			if (!is_manifest_name(de->d_name)) {
				skipped +=
				    sf_str_has_suffix(de->d_name, ".yaml") ||
				    sf_str_has_suffix(de->d_name, ".yml") ||
				    sf_str_has_suffix(de->d_name, ".yaml~") ||
				    sf_str_has_suffix(de->d_name, ".yml~");
				continue;
			}
			SF_ALLOC_GROW(names, n + 1, alloc);
			names[n++] = sf_fs_join(path, de->d_name);
		}
		closedir(d);
		if (n > 1)
			qsort(names, n, sizeof(*names), cmp_str);
		for (i = 0; i < n; i++) {
			if (sf_fs_is_dir(names[i])) {
				free(names[i]);
				continue;
			}
			add_source(c, names[i]);
			free(names[i]);
		}
		free(names);
		if (!c->nsources) {
			sf_diag_add(diags, SF_SEV_ERROR, &pos,
			    skipped ? "files whose names start with . or end "
			              "with ~ are skipped as editor litter"
			            : "a configuration is the *.yaml and *.yml "
			              "files directly inside a directory",
			    "no manifests here: the directory has no *.yaml "
			    "or *.yml files%s",
			    skipped ? " (only hidden or backup ones)" : "");
			return SF_EINVALID;
		}
	} else {
		c->dir = dir_of(path);
		add_source(c, path);
	}
	for (i = 0; i < c->nsources; i++)
		read_source(&c->sources[i], diags);
	return load_sources(c, opts, diags);
}

int
sf_manifest_load_files(const char *dir, const struct sf_manifest_file *files,
    size_t n, const struct sf_manifest_opts *opts, struct sf_config **out,
    struct sf_diags *diags)
{
	struct sf_config *c = sf_config_new();
	size_t i;

	*out = c;
	c->dir = sf_xstrdup(dir ? dir : ".");
	for (i = 0; i < n; i++) {
		struct sf_source *s = add_source(c, files[i].name);

		s->data = sf_xmalloc(files[i].len + 1);
		memcpy(s->data, files[i].data, files[i].len);
		s->data[files[i].len] = '\0';
		s->len = files[i].len;
		if (files[i].len > SF_MANIFEST_MAX_BYTES) {
			struct sf_pos pos = file_pos(s->path);
			char have[32];

			sf_fs_human_size(have, sizeof(have), files[i].len);
			sf_diag_add(diags, SF_SEV_ERROR, &pos, NULL,
			    "file is %s; the limit is 16.0 MiB", have);
			free(s->data);
			s->data = NULL;
			s->len = 0;
			continue;
		}
		check_text(s, diags);
	}
	if (!n) {
		struct sf_pos pos = file_pos(c->dir);

		sf_diag_add(diags, SF_SEV_ERROR, &pos, NULL,
		    "no manifests here: no *.yaml or *.yml files");
		return SF_EINVALID;
	}
	return load_sources(c, opts, diags);
}

int
sf_manifest_load_buffer(const char *name, const char *data, size_t len,
    const struct sf_manifest_opts *opts, struct sf_config **out,
    struct sf_diags *diags)
{
	struct sf_manifest_file f = { name, data, len };
	char *dir = dir_of(name);
	int rc = sf_manifest_load_files(dir, &f, 1, opts, out, diags);

	free(dir);
	return rc;
}

bool
sf_manifest_is_manifest_name(const char *name)
{
	return is_manifest_name(name);
}
