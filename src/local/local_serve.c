/*
 * `sandform local serve`: make the server, listen, say where, write the
 * pid and port files, and serve until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "local/local.h"

/* Write path as a whole (temp file, rename). */
static int
write_small(const char *path, const char *text, struct sf_err *err)
{
	char *tmp = sf_xasprintf("%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	int rc = SF_OK;

	if (!f) {
		rc = sf_error(
		    err, SF_ERROR, tmp, "cannot create: %s", strerror(errno));
	} else {
		fputs(text, f);
		if (fflush(f) || fsync(fileno(f)) || fclose(f)) {
			rc = sf_error(err, SF_ERROR, tmp, "cannot write: %s",
			    strerror(errno));
			unlink(tmp);
		} else if (rename(tmp, path)) {
			rc = sf_error(err, SF_ERROR, path, "cannot rename: %s",
			    strerror(errno));
			unlink(tmp);
		}
	}
	free(tmp);
	return rc;
}

/* Remove path if it still says what we wrote. */
static void
remove_if_ours(const char *path, const char *text)
{
	char buf[64];
	FILE *f;
	size_t n;

	if (!path || !*text || !(f = fopen(path, "r")))
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	if (!strcmp(buf, text))
		unlink(path);
}

static void
log_stderr(void *ud, const char *line)
{
	(void)ud;
	fprintf(stderr, "%s\n", line);
}

int
sf_local_serve(const struct sf_local_serve_opts *o, struct sf_err *err)
{
	struct sf_local_opts so = o->server;
	struct sf_local_server *s = NULL;
	sigset_t set, old;
	char pid_text[32] = "", port_text[32] = "";
	int rc, sig = 0;

	/* Only this thread takes the signals: the server's threads, made
	 * from here on, inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);
	if (!so.log)
		so.log = log_stderr;
	if ((rc = sf_local_server_new(&so, &s, err)))
		goto out;
	if ((rc = sf_local_server_listen(
	         s, o->listen ? o->listen : "127.0.0.1:0", err)))
		goto out;
	snprintf(pid_text, sizeof(pid_text), "%ld\n", (long)getpid());
	snprintf(port_text, sizeof(port_text), "%d\n", sf_local_server_port(s));
	if (o->pid_file && (rc = write_small(o->pid_file, pid_text, err)))
		goto out;
	if (o->port_file && (rc = write_small(o->port_file, port_text, err)))
		goto out;
	fprintf(o->out ? o->out : stdout, "listening on %s\n",
	    sf_local_server_url(s));
	fflush(o->out ? o->out : stdout);
	fprintf(stderr,
	    "sandform local: serving on %s (pid %ld, backend: %s)\n",
	    sf_local_server_url(s), (long)getpid(),
	    sf_local_server_backend_describe(s));
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
		;
	fprintf(stderr, "sandform local: signal %d, shutting down\n", sig);
out:
	remove_if_ours(o->port_file, port_text);
	remove_if_ours(o->pid_file, pid_text);
	sf_local_server_free(s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
