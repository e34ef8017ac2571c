/*
 * AWS Signature Version 4 (AWS4-HMAC-SHA256): the signer of the wire client
 * and the verifier of the embedded control plane.
 *
 * Signing is a pure function of the request, the credentials and a config
 * that carries the region, the service and the time: no clock, no
 * environment. It returns every stage (canonical request, string to sign,
 * signature) so tests compare each one, and the headers or query parameters
 * the caller must add to the request it sends.
 *
 * Verification recomputes the signature of a received request over exactly
 * the headers its Authorization header lists, and says why it fails in the
 * terms AWS SDKs understand (error type, HTTP status, AWS's wording).
 *
 * Secrets: the secret access key and the keys derived from it live only in
 * buffers that are wiped (OPENSSL_cleanse) before they are freed; no error
 * message or result string ever contains the secret key. Results that carry
 * a session token are wiped on release too.
 */
#ifndef SF_SIGV4_H
#define SF_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/util.h"

#define SF_SIGV4_ALGORITHM        "AWS4-HMAC-SHA256"
#define SF_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SF_SIGV4_TERMINATOR       "aws4_request"
#define SF_SIGV4_DEFAULT_EXPIRES  3600   /* X-Amz-Expires, query mode */
#define SF_SIGV4_MAX_EXPIRES      604800 /* seven days, as AWS allows */
#define SF_SIGV4_DEFAULT_SKEW     300    /* seconds a signature may be off */
#define SF_SIGV4_DATE_LEN         16     /* 20150830T123600Z */
#define SF_SIGV4_HEX_LEN          64     /* SHA-256 and signatures, in hex */

/* One header of a request, borrowed: name as sent, value as received. */
struct sf_sigv4_header {
	const char *name;
	const char *value;
};

/*
 * A request as it goes on (or came off) the wire. path is the wire path,
 * already percent-encoded, without the query; query is the raw query after
 * '?' (NULL or "" when there is none). Header values may span lines (folded
 * headers): runs of white space count as one space when signing. body may
 * be NULL when body_len is 0. payload_hash, when set, is used instead of
 * hashing the body: 64 lowercase hex digits or SF_SIGV4_UNSIGNED_PAYLOAD.
 */
struct sf_sigv4_request {
	const char *method;
	const char *path;
	const char *query;
	const struct sf_sigv4_header *headers;
	size_t nheaders;
	const void *body;
	size_t body_len;
	const char *payload_hash;
};

/*
 * Credentials, owned: _init copies, _release wipes every byte and leaves
 * all fields NULL. session_token is NULL for long-term credentials.
 */
struct sf_sigv4_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
};

void sf_sigv4_credentials_init(struct sf_sigv4_credentials *c,
    const char *access_key_id, const char *secret_access_key,
    const char *session_token);
void sf_sigv4_credentials_release(struct sf_sigv4_credentials *c);

enum sf_sigv4_mode {
	SF_SIGV4_MODE_HEADERS, /* Authorization header (what SDKs send) */
	SF_SIGV4_MODE_QUERY,   /* presigned URL: X-Amz-* query parameters */
};

/*
 * How to sign. sf_sigv4_config_init gives the rules of every service but
 * S3: path normalised (dot segments removed, slashes merged) and each path
 * segment URI-encoded again for the canonical URI, headers mode, one hour
 * for presigned URLs. sf_sigv4_config_s3 switches to S3's rules: the wire
 * path as it is, and x-amz-content-sha256 added and signed.
 */
struct sf_sigv4_config {
	enum sf_sigv4_mode mode;
	const char *region;
	const char *service;
	time_t time;             /* the signing time, UTC seconds */
	bool normalize_path;     /* remove dot segments, merge slashes */
	bool double_encode_path; /* URI-encode the wire path once more */
	bool add_content_sha256; /* headers mode: add x-amz-content-sha256 */
	bool omit_session_token; /* add the token unsigned, after signing */
	long expires;            /* query mode: X-Amz-Expires, seconds */
};

void sf_sigv4_config_init(struct sf_sigv4_config *cfg, const char *region,
    const char *service, time_t time);
void sf_sigv4_config_s3(struct sf_sigv4_config *cfg);

/* A header the caller must add, owned. */
struct sf_sigv4_field {
	char *name;
	char *value;
};

/*
 * Everything signing produced. In headers mode, headers lists what the
 * caller adds to the request, in this order: X-Amz-Security-Token (when
 * there is a token), X-Amz-Date, x-amz-content-sha256 (when asked) and
 * Authorization, whose value is also in authorization. In query mode,
 * query holds the parameters to append to the wire query (after a '&' when
 * it is not empty): X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
 * X-Amz-SignedHeaders, X-Amz-Expires, X-Amz-Security-Token and
 * X-Amz-Signature, encoded; headers is empty and authorization NULL.
 */
struct sf_sigv4_result {
	char amz_date[SF_SIGV4_DATE_LEN + 1];
	char *credential_scope;  /* 20150830/us-east-1/service/aws4_request */
	char *signed_headers;    /* host;x-amz-date */
	char *payload_hash;      /* the last line of the canonical request */
	char *canonical_request; /* no trailing newline */
	char *string_to_sign;
	char signature[SF_SIGV4_HEX_LEN + 1];
	char *authorization;
	struct sf_sigv4_field *headers;
	size_t nheaders;
	char *query;
};

/*
 * Sign req. Fails with SF_EINVALID when the request cannot be signed as
 * given (no Host header, a header it would add already present, a bad
 * header name, an empty region...). out is always safe to release.
 */
int sf_sigv4_sign(struct sf_sigv4_result *out,
    const struct sf_sigv4_request *req,
    const struct sf_sigv4_credentials *creds, const struct sf_sigv4_config *cfg,
    struct sf_err *err);
void sf_sigv4_result_release(struct sf_sigv4_result *r);

/*
 * A parsed Authorization header value:
 *   AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request,
 *   SignedHeaders=host;x-amz-date, Signature=<64 hex>
 * Parsing is strict about content, lenient about spaces: the algorithm,
 * spaces, then Credential, SignedHeaders and Signature in any order, each
 * exactly once, separated by commas (spaces after them allowed); a
 * five-part credential ending in aws4_request with a real date; signed
 * header names lowercase, sorted and unique; 64 lowercase hex digits.
 */
struct sf_sigv4_auth {
	char *access_key_id;
	char date[9]; /* YYYYMMDD */
	char *region;
	char *service;
	char *signed_headers;
	char signature[SF_SIGV4_HEX_LEN + 1];
};

/*
 * SF_EINVALID with a message in AWS's wording (IncompleteSignatureException)
 * when value is not a well-formed AWS4-HMAC-SHA256 Authorization value.
 */
int sf_sigv4_auth_parse(
    struct sf_sigv4_auth *out, const char *value, struct sf_err *err);
void sf_sigv4_auth_release(struct sf_sigv4_auth *a);

/* Why a request was refused. */
enum sf_sigv4_verdict {
	SF_SIGV4_VALID = 0,
	SF_SIGV4_MISSING_AUTH,     /* no Authorization header */
	SF_SIGV4_MALFORMED_AUTH,   /* Authorization or X-Amz-Date malformed */
	SF_SIGV4_UNKNOWN_KEY,      /* no such access key id */
	SF_SIGV4_BAD_TOKEN,        /* session token missing or wrong */
	SF_SIGV4_WRONG_REGION,     /* scope names another region */
	SF_SIGV4_WRONG_SERVICE,    /* scope names another service */
	SF_SIGV4_WRONG_DATE,       /* scope date is not X-Amz-Date's */
	SF_SIGV4_EXPIRED,          /* X-Amz-Date earlier than now - skew */
	SF_SIGV4_NOT_YET_CURRENT,  /* X-Amz-Date later than now + skew */
	SF_SIGV4_MISSING_HEADER,   /* a signed header is not in the request */
	SF_SIGV4_PAYLOAD_MISMATCH, /* x-amz-content-sha256 is not the body's */
	SF_SIGV4_BAD_SIGNATURE,    /* the signature does not match */
};

/* "bad signature", for logs. */
const char *sf_sigv4_verdict_name(enum sf_sigv4_verdict v);
/* The error type an AWS service answers with, NULL for SF_SIGV4_VALID. */
const char *sf_sigv4_verdict_error_type(enum sf_sigv4_verdict v);
/* The HTTP status that goes with it (403, 400), 200 for SF_SIGV4_VALID. */
int sf_sigv4_verdict_http_status(enum sf_sigv4_verdict v);

/*
 * Look up the credentials of an access key id: fill out (with
 * sf_sigv4_credentials_init) and return 0, return SF_ENOTFOUND when the
 * key is unknown, or another negative code (and fill err) when the lookup
 * itself failed. A session_token in out means the key is temporary and
 * requests must carry exactly that X-Amz-Security-Token.
 */
struct sf_sigv4_keyring {
	int (*lookup)(void *ctx, const char *access_key_id,
	    struct sf_sigv4_credentials *out, struct sf_err *err);
	void *ctx;
};

/*
 * What a server expects of the requests it verifies. sf_sigv4_verifier_init
 * sets the rules of every service but S3 (normalise, double-encode) and the
 * default skew of five minutes.
 */
struct sf_sigv4_verifier {
	const char *region;
	const char *service;
	time_t now;
	long max_skew; /* seconds */
	bool normalize_path;
	bool double_encode_path;
	bool
	    allow_unsigned_payload; /* x-amz-content-sha256: UNSIGNED-PAYLOAD */
	struct sf_sigv4_keyring keyring;
};

void sf_sigv4_verifier_init(struct sf_sigv4_verifier *v, const char *region,
    const char *service, time_t now, const struct sf_sigv4_keyring *keyring);

/*
 * The outcome of a verification. message is what the server sends back
 * (AWS's wording), error_type and http_status go with it. access_key_id is
 * the caller's key once the Authorization header parsed. The canonical
 * request and string to sign are the server's, once it computed them (for
 * its log: never send them to the client).
 */
struct sf_sigv4_check {
	enum sf_sigv4_verdict verdict;
	const char *error_type;
	int http_status;
	char *message;
	char *access_key_id;
	char *canonical_request;
	char *string_to_sign;
};

/*
 * Verify the received request req (the Authorization header among its
 * headers, path as on the wire, raw query). The payload hash is
 * req->payload_hash when set (a server that hashed a streamed body), else
 * the SHA-256 of req->body; an x-amz-content-sha256 header that disagrees
 * is a SF_SIGV4_PAYLOAD_MISMATCH.
 *
 * Only the Authorization header is verified: a presigned URL (X-Amz-*
 * query parameters) without one is SF_SIGV4_MISSING_AUTH.
 *
 * Returns 0 when the request is authentic, SF_EINVALID when it is refused
 * (out->verdict says why, err has a one-line reason for the log), or the
 * keyring's error when the lookup failed. out is always safe to release.
 */
int sf_sigv4_verify(struct sf_sigv4_check *out,
    const struct sf_sigv4_request *req, const struct sf_sigv4_verifier *v,
    struct sf_err *err);
void sf_sigv4_check_release(struct sf_sigv4_check *c);

/* Helpers the client shares. */

/*
 * Append s (len bytes) to out, percent-encoded as RFC 3986 wants it (only
 * A-Z a-z 0-9 - . _ ~ kept), '/' kept as well when keep_slash.
 */
void sf_sigv4_uri_encode(
    struct sf_buf *out, const char *s, size_t len, bool keep_slash);
/* The canonical URI of a wire path, under the rules given. */
void sf_sigv4_canonical_uri(
    struct sf_buf *out, const char *path, bool normalize, bool double_encode);
/*
 * The canonical query string of a raw query: each key and value decoded
 * and encoded again, sorted by key then value, "key=" for a bare key.
 */
void sf_sigv4_canonical_query(struct sf_buf *out, const char *query);
/* Lowercase hex SHA-256 of data. */
void sf_sigv4_sha256_hex(
    char out[SF_SIGV4_HEX_LEN + 1], const void *data, size_t len);
/* 20150830T123600Z; SF_EINVALID outside years 0000-9999. */
int sf_sigv4_time_format(
    char out[SF_SIGV4_DATE_LEN + 1], time_t t, struct sf_err *err);
/* The inverse, strict: SF_EINVALID unless s is exactly that form. */
int sf_sigv4_time_parse(time_t *out, const char *s, struct sf_err *err);

/* The OpenSSL the signer runs with: "3.0.17". */
const char *sf_sigv4_crypto_version(void);

#endif
