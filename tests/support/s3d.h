/*
 * A small in-memory S3 for tests (libmicrohttpd, 127.0.0.1, a free port),
 * path-style: /BUCKET/KEY.
 *
 *   PUT     If-Match: <etag> (412 when the object is missing or differs),
 *           If-None-Match: * (412 when it exists)
 *   GET     404 NoSuchKey / NoSuchBucket with S3's XML error bodies
 *   HEAD    the same without bodies
 *   DELETE  204, If-Match honoured
 *   GET /BUCKET?list-type=2&prefix=P[&continuation-token=T]  ListObjectsV2,
 *           at most max-keys (s3d_set_max_keys) keys a page
 *
 * ETags are the quoted MD5 of the bytes. Signatures are verified only
 * after s3d_set_credentials, but every request must carry an Authorization
 * header that begins with "AWS4-HMAC-SHA256 Credential=" and an
 * x-amz-content-sha256 that is the SHA-256 of its body (or UNSIGNED-PAYLOAD):
 * 403 AccessDenied otherwise.
 */
#ifndef SF_S3D_H
#define SF_S3D_H

#include "util/util.h"

struct s3d;

/* Listen on 127.0.0.1 with these buckets, empty. */
struct s3d *s3d_start(const char *const *buckets, size_t nbuckets);
void s3d_stop(struct s3d *d);
/* "http://127.0.0.1:PORT" */
const char *s3d_url(const struct s3d *d);
/*
 * Verify signatures from now on (SigV4 under S3's rules, the time judged
 * by the request's own X-Amz-Date) with this key pair and region: 403
 * SignatureDoesNotMatch and the like otherwise. NULLs: stop verifying.
 */
void s3d_set_credentials(struct s3d *d, const char *access_key_id,
    const char *secret_access_key, const char *region);
/* Keys a ListObjectsV2 page holds at most (default 1000). */
void s3d_set_max_keys(struct s3d *d, int n);

/* The test's own view: an object's bytes (appended) and ETag; -1 when
 * there is none. */
int s3d_object(struct s3d *d, const char *bucket, const char *key,
    struct sf_buf *out, char etag[40]);
/* Requests refused for want of a signature, so far. */
size_t s3d_refused(struct s3d *d);
/* Requests answered, so far. */
size_t s3d_requests(struct s3d *d);

#endif
