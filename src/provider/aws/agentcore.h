/*
 * The AgentCore Code Interpreter operations over the AWS call layer: the
 * implementation of provider.h for AWS and for the embedded control plane.
 */
#ifndef SF_AGENTCORE_H
#define SF_AGENTCORE_H

#include "provider/aws/client.h"
#include "provider/provider.h"

struct sf_agentcore_opts {
	const char *region;   /* NULL: from the environment and profile */
	const char *endpoint; /* the manifest's provider.endpoint, or NULL */
	const char *profile;  /* the manifest's provider.profile, or NULL */
	bool rate_limits;     /* on for AWS, off for the embedded plane */
	double rate_create_delete; /* per second; 0: AgentCore's quota, 5 */
	double rate_other;         /* per second; 0: AgentCore's quota, 30 */
	int max_attempts;          /* 0: the default */
	const struct sf_creds_env *env;   /* NULL: the real environment */
	const struct sf_aws_clock *clock; /* NULL: the real clock */
	sf_http_log_fn *log;
	void *log_ud;
	/* Ctrl-C and SIGTERM: a running tool call stops when it is set (the
	 * caller then stops the session, which is not interrupted). */
	volatile sig_atomic_t *interrupted;
};

int sf_agentcore_new(const struct sf_agentcore_opts *o,
    struct sf_provider **out, struct sf_err *err);

/* The call layer underneath, for tests and for parallel work. */
struct sf_aws_client *sf_agentcore_client(struct sf_provider *p);

#endif
