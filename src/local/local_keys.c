/*
 * The keys the server accepts: an AWS shared-credentials file, or the
 * pair generated into the data directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local/local.h"
#include "local/registry.h"
#include "util/fs.h"

static void
wipe_str(const char *s)
{
	volatile char *p = (volatile char *)s;

	while (p && *p)
		*p++ = 0;
}

void
sf_local_keys_add(struct sf_local_keys *k, const char *access_key_id,
    const char *secret_access_key, const char *session_token)
{
	k->v = sf_xrealloc(k->v, (k->n + 1) * sizeof(*k->v));
	k->v[k->n].access_key_id = sf_xstrdup(access_key_id);
	k->v[k->n].secret_access_key = sf_xstrdup(secret_access_key);
	k->v[k->n].session_token =
	    session_token && *session_token ? sf_xstrdup(session_token) : NULL;
	k->n++;
}

void
sf_local_keys_release(struct sf_local_keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		wipe_str(k->v[i].secret_access_key);
		wipe_str(k->v[i].session_token);
		free((char *)k->v[i].access_key_id);
		free((char *)k->v[i].secret_access_key);
		free((char *)k->v[i].session_token);
	}
	free(k->v);
	k->v = NULL;
	k->n = 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

struct section {
	char *akid, *secret, *token;
};

static void
flush_section(struct section *sec, struct sf_local_keys *out)
{
	if (sec->akid && sec->secret && *sec->akid && *sec->secret)
		sf_local_keys_add(out, sec->akid, sec->secret, sec->token);
	free(sec->akid);
	wipe_str(sec->secret);
	free(sec->secret);
	wipe_str(sec->token);
	free(sec->token);
	memset(sec, 0, sizeof(*sec));
}

int
sf_local_keys_load(
    const char *path, struct sf_local_keys *out, struct sf_err *err)
{
	struct sf_buf b = SF_BUF_INIT;
	struct section sec = { 0 };
	char *line, *next;
	size_t before = out->n;
	int rc;

	if ((rc = sf_fs_read(path, 1024 * 1024, &b, err)))
		return rc;
	for (line = b.buf; line; line = next) {
		char *eq, *key, *val;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line = trim(line);
		if (!*line || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			flush_section(&sec, out);
			continue;
		}
		if (!(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (!strcmp(key, "aws_access_key_id")) {
			free(sec.akid);
			sec.akid = sf_xstrdup(val);
		} else if (!strcmp(key, "aws_secret_access_key")) {
			free(sec.secret);
			sec.secret = sf_xstrdup(val);
		} else if (!strcmp(key, "aws_session_token")) {
			free(sec.token);
			sec.token = sf_xstrdup(val);
		}
	}
	flush_section(&sec, out);
	memset(b.buf, 0, b.len);
	sf_buf_release(&b);
	if (out->n == before)
		return sf_error(err, SF_EINVALID, path,
		    "no section with aws_access_key_id and "
		    "aws_secret_access_key");
	return SF_OK;
}

static void
random_chars(char *out, size_t n, const char *alphabet)
{
	unsigned char buf[64];
	size_t len = strlen(alphabet), got = 0, i;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (n > sizeof(buf))
		sf_die("random_chars: too many");
	while (fd >= 0 && got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r <= 0 && errno != EINTR)
			break;
		if (r > 0)
			got += (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	if (got < n)
		sf_die("cannot read /dev/urandom");
	for (i = 0; i < n; i++)
		out[i] = alphabet[buf[i] % len];
	out[n] = '\0';
}

int
sf_local_keys_data_dir(
    const char *data_dir, struct sf_local_keys *out, struct sf_err *err)
{
	char *path = sf_fs_join(data_dir, "credentials");
	char *tmp = sf_xasprintf("%s.%ld.tmp", path, (long)getpid());
	char akid[21], secret[41];
	struct sf_buf b = SF_BUF_INIT;
	size_t off = 0, total;
	int fd, rc = SF_OK;

	if (access(path, F_OK) == 0)
		goto load;
	if ((rc = sf_local_mkdir_p(data_dir, err)))
		goto out;
	/* Written aside, then linked into place: never seen half-written,
	 * and never replacing a pair another process made meanwhile. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = sf_error(
		    err, SF_ERROR, tmp, "cannot create: %s", strerror(errno));
		goto out;
	}
	memcpy(akid, "AKIA", 4);
	random_chars(akid + 4, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	random_chars(secret, 40,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
	sf_buf_addf(&b,
	    "# The key pair `sandform local serve` accepts for this data "
	    "directory\n"
	    "# (generated; the AWS shared-credentials format).\n"
	    "[default]\n"
	    "aws_access_key_id = %s\n"
	    "aws_secret_access_key = %s\n",
	    akid, secret);
	total = b.len;
	while (off < total) {
		ssize_t n = write(fd, b.buf + off, total - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	memset(b.buf, 0, b.len);
	memset(secret, 0, sizeof(secret));
	sf_buf_release(&b);
	if (off < total || fsync(fd) < 0) {
		rc = sf_error(
		    err, SF_ERROR, tmp, "cannot write: %s", strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (link(tmp, path) < 0 && errno != EEXIST) {
		rc = sf_error(
		    err, SF_ERROR, path, "cannot create: %s", strerror(errno));
		unlink(tmp);
		goto out;
	}
	unlink(tmp);
load:
	rc = sf_local_keys_load(path, out, err);
out:
	free(tmp);
	free(path);
	return rc;
}
