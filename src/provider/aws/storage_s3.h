/*
 * The S3 backend of the state storage (state/storage.h), after Terraform's
 * S3 backend since 1.10: no DynamoDB table, only conditional writes.
 *
 *   KEY                        the state; its version is the ETag, and a
 *                              write is a PUT with If-Match: <ETag> (or
 *                              If-None-Match: * when there is none yet)
 *   KEY.lock                   the lock, created with If-None-Match: *,
 *                              a JSON record of its holder
 *   BASE.runs/JOB/RUN.json     run records (BASE: KEY without ".json")
 *
 * Requests are signed with SigV4 (S3's rules); credentials come from the
 * chain of creds.h, or are given (tests). They never appear in a message.
 */
#ifndef SF_STORAGE_S3_H
#define SF_STORAGE_S3_H

#include "provider/aws/creds.h"
#include "provider/aws/http.h"
#include "state/storage.h"

#define SF_STORAGE_S3_DEFAULT_KEY "sandform.state.json"

struct sf_storage_s3_opts {
	const char *bucket; /* required */
	const char *key;    /* NULL: SF_STORAGE_S3_DEFAULT_KEY */
	const char *region; /* NULL: "us-east-1" */
	/*
	 * NULL: https://BUCKET.s3.REGION.amazonaws.com (virtual-hosted; path
	 * style when the bucket name has a dot). Set (http://127.0.0.1:9000,
	 * MinIO, ...): path-style URLs ENDPOINT/BUCKET/KEY.
	 */
	const char *endpoint;
	struct sf_state_env env;
	const char *host; /* for the lock record; NULL: gethostname() */
	/*
	 * Credentials: the chain creds (borrowed); else the static keys below
	 * when access_key_id is set (tests); else a chain of our own made
	 * with profile (NULL: AWS_PROFILE or default).
	 */
	struct sf_creds_chain *creds;
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
	const char *profile;
	struct sf_http *http; /* borrowed; NULL: one of our own */
	sf_http_log_fn *log;  /* --debug, for our own http; redacted lines */
	void *log_ud;
};

/* The storage for s3://bucket/key. No I/O. NULL (and err) when the options
 * are unusable: no bucket, a key that is empty or ends in '/'. */
struct sf_storage *sf_storage_s3_new(
    const struct sf_storage_s3_opts *o, struct sf_err *err);

#endif
