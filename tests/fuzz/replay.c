/*
 * Without libFuzzer (gcc builds), run a fuzz target over files given on
 * the command line: the seed corpus and every crash ever found stay
 * regression tests.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;

	if (sf_fs_read(path, 64u * 1024 * 1024, &b, &err) != SF_OK) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)b.buf, b.len);
	sf_buf_release(&b);
	return 0;
}

static int
run_path(const char *path, size_t *n)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*n)++;
		return run_file(path);
	}
	if (!(d = opendir(path)))
		return 1;
	while ((de = readdir(d))) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = sf_fs_join(path, de->d_name);
		rc |= run_path(p, n);
		free(p);
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t n = 0;
	int i, rc = 0;

	for (i = 1; i < argc; i++)
		rc |= run_path(argv[i], &n);
	printf("replayed %zu inputs\n", n);
	return rc || n == 0;
}
