#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

int
sf_fs_read(const char *path, size_t max, struct sf_buf *out, struct sf_err *err)
{
	struct stat st;
	int fd, rc = SF_OK;
	size_t start = out->len;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sf_error(err, errno == ENOENT ? SF_ENOTFOUND : SF_ERROR,
		    path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = sf_error(
		    err, SF_ERROR, path, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = sf_error(err, SF_EINVALID, path, "is a directory");
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		char have[32], lim[32];

		sf_fs_human_size(have, sizeof(have), (uint64_t)st.st_size);
		sf_fs_human_size(lim, sizeof(lim), max);
		rc = sf_error(err, SF_EINVALID, path,
		    "file is %s; the limit is %s", have, lim);
		goto out;
	}
	for (;;) {
		ssize_t n;

		sf_buf_grow(out, 64 * 1024);
		n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = sf_error(err, SF_ERROR, path, "cannot read: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
		if (out->len - start > max) {
			char lim[32];

			sf_fs_human_size(lim, sizeof(lim), max);
			rc = sf_error(err, SF_EINVALID, path,
			    "file is larger than the limit of %s", lim);
			goto out;
		}
	}
out:
	if (rc)
		sf_buf_setlen(out, out->alloc ? start : 0);
	close(fd);
	return rc;
}

bool
sf_fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *
sf_fs_join(const char *dir, const char *name)
{
	size_t n;

	if (!dir || !*dir || strcmp(dir, ".") == 0)
		return sf_xstrdup(name);
	n = strlen(dir);
	if (dir[n - 1] == '/')
		return sf_xasprintf("%s%s", dir, name);
	return sf_xasprintf("%s/%s", dir, name);
}

void
sf_fs_human_size(char *out, size_t outlen, uint64_t bytes)
{
	if (bytes >= 1024 * 1024)
		snprintf(
		    out, outlen, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
	else if (bytes >= 1024)
		snprintf(out, outlen, "%.1f KiB", (double)bytes / 1024.0);
	else
		snprintf(out, outlen, "%llu bytes", (unsigned long long)bytes);
}
