/*
 * sf-test-s3d: the in-memory S3 of s3d.c as a process, for the shell tests
 * of the S3 state backend.
 *
 *   sf-test-s3d PORTFILE BUCKET...
 *
 * Writes "http://127.0.0.1:PORT" to PORTFILE once it listens, verifies
 * signatures made with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of its
 * environment (region us-east-1), and serves until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "s3d.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { 0 };
	const char *akid = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	struct s3d *d;
	FILE *f;
	char *tmp;

	if (argc < 3) {
		fprintf(stderr, "usage: sf-test-s3d PORTFILE BUCKET...\n");
		return 2;
	}
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!(d = s3d_start((const char *const *)argv + 2, (size_t)argc - 2))) {
		fprintf(stderr, "sf-test-s3d: cannot listen\n");
		return 1;
	}
	if (akid && secret)
		s3d_set_credentials(d, akid, secret, "us-east-1");
	/* Written whole, then renamed: a reader never sees half a URL. */
	tmp = sf_xasprintf("%s.tmp", argv[1]);
	if (!(f = fopen(tmp, "w")) || fprintf(f, "%s\n", s3d_url(d)) < 0 ||
	    fclose(f) || rename(tmp, argv[1])) {
		fprintf(stderr, "sf-test-s3d: cannot write %s\n", argv[1]);
		s3d_stop(d);
		return 1;
	}
	free(tmp);
	while (!stop)
		pause();
	s3d_stop(d);
	return 0;
}
