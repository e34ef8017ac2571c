/*
 * AWS credentials, found the way the AWS SDKs find them:
 *
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      (+ AWS_ROLE_SESSION_NAME) through STS AssumeRoleWithWebIdentity
 *   3. the shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials),
 *      AWS_CONFIG_FILE (~/.aws/config, "[profile x]" sections), the profile
 *      from the caller, AWS_PROFILE or "default"; static keys,
 *      credential_process, web_identity_token_file + role_arn
 *   4. ECS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 *      _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)
 *   5. EC2 instance metadata, IMDSv2 (token first), unless
 *      AWS_EC2_METADATA_DISABLED; AWS_EC2_METADATA_SERVICE_ENDPOINT moves it
 *
 * Temporary credentials carry their expiry and are refreshed before it.
 * Secrets are wiped when released and never appear in an error message.
 *
 * As in the SDKs, a source that is configured but fails (half of a key
 * pair, an STS error, a credential_process that exits non-zero, a profile
 * named explicitly that does not exist) stops the chain with its error;
 * only sources that are not configured, and an unreachable instance
 * metadata service, let the chain go on. A profile given to
 * sf_creds_chain_new (the manifest's, like --profile to the AWS CLI) skips
 * sources 1 and 2. Within a profile the order is botocore's: role_arn +
 * web_identity_token_file, static keys of the credentials file,
 * credential_process, static keys of the config file. Profiles that
 * assume a role from another profile, or use SSO, are refused as not
 * supported rather than skipped.
 */
#ifndef SF_CREDS_H
#define SF_CREDS_H

#include "provider/aws/http.h"

/* Cached credentials are refreshed when fewer seconds than this remain. */
#define SF_CREDS_REFRESH_WINDOW 300

struct sf_aws_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL for long-term keys */
	int64_t expires;     /* seconds since the epoch; 0 = does not expire */
	char source[48]; /* "environment", "profile ci", "web identity"... */
};

/* Wipe and free the strings. */
void sf_aws_creds_release(struct sf_aws_creds *c);
/* A deep copy. */
void sf_aws_creds_copy(
    struct sf_aws_creds *dst, const struct sf_aws_creds *src);

/* What the chain may look at; every hook may be NULL for the real thing. */
struct sf_creds_env {
	const char *(*getenv)(const char *name, void *ud);
	void *getenv_ud;
	int64_t (*now)(void *ud); /* seconds since the epoch */
	void *now_ud;
	struct sf_http *http;    /* for STS, ECS and IMDS; created when NULL */
	const char *home;        /* for ~/.aws; NULL: $HOME */
	long process_timeout_ms; /* credential_process; 0: 60 s */
};

struct sf_creds_chain;

/* profile: the manifest's provider.profile, or NULL for AWS_PROFILE/default. */
struct sf_creds_chain *sf_creds_chain_new(
    const char *profile, const struct sf_creds_env *env);
void sf_creds_chain_free(struct sf_creds_chain *c);

/*
 * Current credentials (copied into *out, which is overwritten; release
 * them). Cached, and refreshed from the same source when within
 * SF_CREDS_REFRESH_WINDOW of expiry; if that refresh fails while the cached
 * ones still have a minute left, those are returned. When no source gives
 * credentials the error is SF_ENOTFOUND and its message lists every source
 * tried and why each gave nothing. Not thread-safe: one chain per thread.
 */
int sf_creds_get(
    struct sf_creds_chain *c, struct sf_aws_creds *out, struct sf_err *err);

/*
 * The region: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region in
 * the config file. *out is NULL (and 0 returned) when none is set. A
 * profile named by the caller or AWS_PROFILE that is in neither file is
 * SF_ENOTFOUND, as it is for sf_creds_get.
 */
int sf_aws_region(const char *profile, const struct sf_creds_env *env,
    char **out, struct sf_err *err);

#endif
