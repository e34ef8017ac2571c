#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <strings.h>

#include "provider/aws/sigv4.h"
#include "s3d.h"

struct object {
	char *bucket, *key;
	char *data;
	size_t len;
	char etag[40]; /* "32 hex" */
};

struct s3d {
	struct MHD_Daemon *mhd;
	char url[64];
	pthread_mutex_t lock;
	char **buckets;
	size_t nbuckets;
	struct object *objs;
	size_t nobjs, aobjs;
	int max_keys;
	size_t refused, requests;
	unsigned long next_id;
	/* When set, signatures are verified with this key. */
	char *akid, *secret, *region;
};

struct conn {
	char *uri; /* as sent: the encoded path and the raw query */
	struct sf_buf body;
	bool started;
};

struct hdrs {
	struct sf_sigv4_header *v;
	size_t n;
};

static enum MHD_Result
add_header(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hdrs *h = cls;

	(void)kind;
	h->v = sf_xrealloc(h->v, (h->n + 1) * sizeof(*h->v));
	h->v[h->n].name = key;
	h->v[h->n].value = value ? value : "";
	h->n++;
	return MHD_YES;
}

static int
lookup_key(void *ctx, const char *akid, struct sf_sigv4_credentials *out,
    struct sf_err *err)
{
	struct s3d *d = ctx;

	(void)err;
	if (strcmp(akid, d->akid))
		return SF_ENOTFOUND;
	sf_sigv4_credentials_init(out, d->akid, d->secret, NULL);
	return 0;
}

/* Verify the signature of the request as S3 would; NULL when it holds,
 * else the error type, with *status and msg set. */
static const char *
verify(struct s3d *d, struct MHD_Connection *c, const char *method,
    const char *uri, const char *body, size_t len, int *status,
    struct sf_buf *msg)
{
	struct hdrs h = { NULL, 0 };
	struct sf_sigv4_keyring kr = { lookup_key, d };
	struct sf_sigv4_verifier v;
	struct sf_sigv4_request req;
	struct sf_sigv4_check chk;
	const char *date =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-amz-date");
	const char *q = strchr(uri, '?'), *type = NULL;
	char *path = q ? sf_xstrndup(uri, (size_t)(q - uri)) : sf_xstrdup(uri);
	time_t t = 0;
	struct sf_err err;

	/* The test's clock is not ours: judge the time by the request's. */
	if (!date || sf_sigv4_time_parse(&t, date, NULL))
		t = time(NULL);
	MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, &h);
	sf_sigv4_verifier_init(&v, d->region, "s3", t, &kr);
	v.normalize_path = false;
	v.double_encode_path = false;
	v.allow_unsigned_payload = true;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = q ? q + 1 : NULL;
	req.headers = h.v;
	req.nheaders = h.n;
	req.body = body;
	req.body_len = len;
	if (sf_sigv4_verify(&chk, &req, &v, &err)) {
		/* S3's names for what other services call these. */
		static const char *const names[][2] = {
			{ "InvalidSignatureException",
			    "SignatureDoesNotMatch" },
			{ "IncompleteSignatureException",
			    "AuthorizationHeaderMalformed" },
			{ "UnrecognizedClientException", "InvalidAccessKeyId" },
			{ "InvalidClientTokenId", "InvalidAccessKeyId" },
		};
		size_t i;

		type = chk.error_type ? chk.error_type : "AccessDenied";
		for (i = 0; i < SF_ARRAY_LEN(names); i++)
			if (!strcmp(type, names[i][0]))
				type = names[i][1];
		*status = chk.http_status ? chk.http_status : 403;
		sf_buf_adds(msg, chk.message ? chk.message : err.msg);
	}
	sf_sigv4_check_release(&chk);
	free(h.v);
	free(path);
	return type;
}

static void
digest_hex(const char *md, const void *data, size_t len, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!EVP_Digest(data, len, d, &n, EVP_get_digestbyname(md), NULL))
		sf_die("s3d: EVP_Digest failed");
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
xml_escape(struct sf_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			sf_buf_adds(b, "&amp;");
			break;
		case '<':
			sf_buf_adds(b, "&lt;");
			break;
		case '>':
			sf_buf_adds(b, "&gt;");
			break;
		case '"':
			sf_buf_adds(b, "&quot;");
			break;
		case '\'':
			sf_buf_adds(b, "&apos;");
			break;
		default:
			sf_buf_addch(b, *s);
		}
	}
}

static bool
bucket_exists(struct s3d *d, const char *b)
{
	size_t i;

	for (i = 0; i < d->nbuckets; i++)
		if (!strcmp(d->buckets[i], b))
			return true;
	return false;
}

static struct object *
find(struct s3d *d, const char *bucket, const char *key)
{
	size_t i;

	for (i = 0; i < d->nobjs; i++)
		if (!strcmp(d->objs[i].bucket, bucket) &&
		    !strcmp(d->objs[i].key, key))
			return &d->objs[i];
	return NULL;
}

/* An answer: status, body (may be empty), ETag and type when set. */
struct answer {
	unsigned status;
	struct sf_buf body;
	char etag[40];
	const char *content_type;
};

static void
error_answer(struct s3d *d, struct answer *a, unsigned status, const char *code,
    const char *msg, const char *resource)
{
	a->status = status;
	a->content_type = "application/xml";
	sf_buf_reset(&a->body);
	sf_buf_adds(&a->body,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
	sf_buf_adds(&a->body, code);
	sf_buf_adds(&a->body, "</Code><Message>");
	xml_escape(&a->body, msg);
	sf_buf_adds(&a->body, "</Message>");
	if (resource) {
		sf_buf_adds(&a->body, "<Resource>");
		xml_escape(&a->body, resource);
		sf_buf_adds(&a->body, "</Resource>");
	}
	sf_buf_addf(
	    &a->body, "<RequestId>S3D%08lX</RequestId></Error>", d->next_id);
}

static int
cmp_obj_key(const void *x, const void *y)
{
	return strcmp((*(struct object *const *)x)->key,
	    (*(struct object *const *)y)->key);
}

static void
list_objects(struct s3d *d, struct MHD_Connection *c, const char *bucket,
    struct answer *a)
{
	const char *prefix =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "prefix");
	const char *token = MHD_lookup_connection_value(
	    c, MHD_GET_ARGUMENT_KIND, "continuation-token");
	const char *mk =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "max-keys");
	struct object **v = sf_xcalloc(d->nobjs + 1, sizeof(*v));
	size_t n = 0, i, shown = 0;
	int max = d->max_keys;

	if (mk && atoi(mk) > 0 && atoi(mk) < max)
		max = atoi(mk);
	if (!prefix)
		prefix = "";
	for (i = 0; i < d->nobjs; i++)
		if (!strcmp(d->objs[i].bucket, bucket) &&
		    sf_str_has_prefix(d->objs[i].key, prefix) &&
		    (!token || strcmp(d->objs[i].key, token) > 0))
			v[n++] = &d->objs[i];
	qsort(v, n, sizeof(*v), cmp_obj_key);
	a->status = 200;
	a->content_type = "application/xml";
	sf_buf_adds(&a->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                      "<ListBucketResult xmlns=\"http://s3.amazonaws."
	                      "com/doc/2006-03-01/\"><Name>");
	xml_escape(&a->body, bucket);
	sf_buf_adds(&a->body, "</Name><Prefix>");
	xml_escape(&a->body, prefix);
	sf_buf_adds(&a->body, "</Prefix>");
	if (token) {
		sf_buf_adds(&a->body, "<ContinuationToken>");
		xml_escape(&a->body, token);
		sf_buf_adds(&a->body, "</ContinuationToken>");
	}
	shown = n < (size_t)max ? n : (size_t)max;
	sf_buf_addf(&a->body,
	    "<KeyCount>%zu</KeyCount><MaxKeys>%d</MaxKeys>"
	    "<IsTruncated>%s</IsTruncated>",
	    shown, max, shown < n ? "true" : "false");
	for (i = 0; i < shown; i++) {
		sf_buf_adds(&a->body, "<Contents><Key>");
		xml_escape(&a->body, v[i]->key);
		sf_buf_adds(&a->body, "</Key><ETag>");
		xml_escape(&a->body, v[i]->etag);
		sf_buf_addf(&a->body,
		    "</ETag><Size>%zu</Size><StorageClass>STANDARD"
		    "</StorageClass></Contents>",
		    v[i]->len);
	}
	if (shown < n) {
		/* Opaque to clients; here the last key shown, escaped. */
		sf_buf_adds(&a->body, "<NextContinuationToken>");
		xml_escape(&a->body, v[shown - 1]->key);
		sf_buf_adds(&a->body, "</NextContinuationToken>");
	}
	sf_buf_adds(&a->body, "</ListBucketResult>");
	free(v);
}

/* Decide the answer; d->lock is held. */
static void
handle(struct s3d *d, struct MHD_Connection *c, const char *url,
    const char *uri, const char *method, const char *body, size_t len,
    struct answer *a)
{
	const char *auth =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *sha = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, "x-amz-content-sha256");
	const char *if_match =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Match");
	const char *if_none =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	char *bucket, *key = NULL, *slash;
	struct object *o;

	if (!auth || !sf_str_has_prefix(auth, "AWS4-HMAC-SHA256 Credential=") ||
	    !sha) {
		d->refused++;
		error_answer(d, a, 403, "AccessDenied", "Access Denied", url);
		return;
	}
	if (d->akid) {
		struct sf_buf msg = SF_BUF_INIT;
		const char *type;
		int status = 403;

		type = verify(d, c, method, uri, body, len, &status, &msg);
		if (type) {
			d->refused++;
			error_answer(
			    d, a, (unsigned)status, type, msg.buf, url);
			sf_buf_release(&msg);
			return;
		}
		sf_buf_release(&msg);
	}
	if (strcmp(sha, "UNSIGNED-PAYLOAD")) {
		digest_hex("SHA256", body, len, hex);
		if (strcmp(sha, hex)) {
			error_answer(d, a, 400, "XAmzContentSHA256Mismatch",
			    "The provided 'x-amz-content-sha256' header does "
			    "not match what was computed.",
			    url);
			return;
		}
	}
	if (url[0] != '/' || !url[1]) {
		error_answer(d, a, 400, "InvalidRequest",
		    "ListBuckets is not supported here", url);
		return;
	}
	bucket = sf_xstrdup(url + 1);
	if ((slash = strchr(bucket, '/'))) {
		*slash = '\0';
		key = slash + 1;
		if (!*key)
			key = NULL;
	}
	if (!bucket_exists(d, bucket)) {
		error_answer(d, a, 404, "NoSuchBucket",
		    "The specified bucket does not exist", bucket);
		goto out;
	}
	if (!key) {
		const char *lt = MHD_lookup_connection_value(
		    c, MHD_GET_ARGUMENT_KIND, "list-type");

		if (!strcmp(method, "GET") && lt && !strcmp(lt, "2"))
			list_objects(d, c, bucket, a);
		else
			error_answer(d, a, 400, "InvalidRequest",
			    "only ListObjectsV2 is supported on a bucket", url);
		goto out;
	}
	o = find(d, bucket, key);
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
		if (!o) {
			error_answer(d, a, 404, "NoSuchKey",
			    "The specified key does not exist.", key);
			goto out;
		}
		a->status = 200;
		sf_buf_add(&a->body, o->data, o->len);
		snprintf(a->etag, sizeof(a->etag), "%s", o->etag);
		a->content_type = "application/octet-stream";
	} else if (!strcmp(method, "PUT")) {
		if (if_match && (!o || strcmp(if_match, o->etag))) {
			error_answer(d, a, 412, "PreconditionFailed",
			    "At least one of the pre-conditions you specified "
			    "did not hold",
			    "If-Match");
			goto out;
		}
		if (if_none && !strcmp(if_none, "*") && o) {
			error_answer(d, a, 412, "PreconditionFailed",
			    "At least one of the pre-conditions you specified "
			    "did not hold",
			    "If-None-Match");
			goto out;
		}
		if (!o) {
			SF_ALLOC_GROW(d->objs, d->nobjs + 1, d->aobjs);
			o = &d->objs[d->nobjs++];
			memset(o, 0, sizeof(*o));
			o->bucket = sf_xstrdup(bucket);
			o->key = sf_xstrdup(key);
		}
		free(o->data);
		o->data = sf_xmalloc(len ? len : 1);
		memcpy(o->data, body, len);
		o->len = len;
		digest_hex("MD5", body, len, hex);
		snprintf(o->etag, sizeof(o->etag), "\"%.32s\"", hex);
		a->status = 200;
		snprintf(a->etag, sizeof(a->etag), "%s", o->etag);
	} else if (!strcmp(method, "DELETE")) {
		if (if_match && (!o || strcmp(if_match, o->etag))) {
			error_answer(d, a, o ? 412 : 404,
			    o ? "PreconditionFailed" : "NoSuchKey",
			    o ? "At least one of the pre-conditions you "
			        "specified did not hold"
			      : "The specified key does not exist.",
			    key);
			goto out;
		}
		if (o) {
			free(o->bucket);
			free(o->key);
			free(o->data);
			*o = d->objs[--d->nobjs];
		}
		a->status = 204;
	} else {
		error_answer(d, a, 405, "MethodNotAllowed",
		    "The specified method is not allowed against this "
		    "resource.",
		    url);
	}
out:
	free(bucket);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct s3d *d = cls;
	struct conn *k = *con_cls;
	struct answer a;
	struct MHD_Response *mr;
	enum MHD_Result ret;
	char rid[32];
	size_t len;
	char *body;

	(void)version;
	if (!k->started) {
		k->started = true;
		return MHD_YES;
	}
	if (*upload_size) {
		sf_buf_add(&k->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&a, 0, sizeof(a));
	sf_buf_init(&a.body, 0);
	pthread_mutex_lock(&d->lock);
	d->next_id++;
	d->requests++;
	snprintf(rid, sizeof(rid), "S3D%08lX", d->next_id);
	handle(d, c, url, k->uri, method, k->body.buf, k->body.len, &a);
	pthread_mutex_unlock(&d->lock);
	if (!strcmp(method, "HEAD"))
		sf_buf_reset(&a.body);
	body = sf_buf_detach(&a.body, &len);
	if (!strcmp(method, "HEAD") && a.status == 200) {
		/* The length of the object, without its bytes. */
		mr = MHD_create_response_from_buffer(
		    0, body, MHD_RESPMEM_MUST_FREE);
	} else {
		mr = MHD_create_response_from_buffer(
		    len, body, MHD_RESPMEM_MUST_FREE);
	}
	MHD_add_response_header(mr, "x-amz-request-id", rid);
	if (a.etag[0])
		MHD_add_response_header(mr, "ETag", a.etag);
	if (a.content_type)
		MHD_add_response_header(mr, "Content-Type", a.content_type);
	ret = MHD_queue_response(c, a.status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *k = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!k)
		return;
	free(k->uri);
	sf_buf_release(&k->body);
	free(k);
	*con_cls = NULL;
}

static void *
log_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn *k = sf_xcalloc(1, sizeof(*k));

	(void)cls;
	(void)c;
	k->uri = sf_xstrdup(uri);
	sf_buf_init(&k->body, 0);
	return k;
}

struct s3d *
s3d_start(const char *const *buckets, size_t nbuckets)
{
	struct s3d *d = sf_xcalloc(1, sizeof(*d));
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	size_t i;

	pthread_mutex_init(&d->lock, NULL);
	d->max_keys = 1000;
	d->buckets = sf_xcalloc(nbuckets + 1, sizeof(*d->buckets));
	for (i = 0; i < nbuckets; i++)
		d->buckets[i] = sf_xstrdup(buckets[i]);
	d->nbuckets = nbuckets;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	d->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	                              MHD_USE_THREAD_PER_CONNECTION |
	                              MHD_USE_ERROR_LOG,
	    0, NULL, NULL, on_request, d, MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_URI_LOG_CALLBACK, log_uri, d,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, d,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!d->mhd)
		sf_die("s3d: cannot start on 127.0.0.1");
	info = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(d->url, sizeof(d->url), "http://127.0.0.1:%d", info->port);
	return d;
}

const char *
s3d_url(const struct s3d *d)
{
	return d->url;
}

void
s3d_set_max_keys(struct s3d *d, int n)
{
	pthread_mutex_lock(&d->lock);
	d->max_keys = n > 0 ? n : 1000;
	pthread_mutex_unlock(&d->lock);
}

int
s3d_object(struct s3d *d, const char *bucket, const char *key,
    struct sf_buf *out, char etag[40])
{
	struct object *o;
	int rc = -1;

	pthread_mutex_lock(&d->lock);
	if ((o = find(d, bucket, key))) {
		if (out)
			sf_buf_add(out, o->data, o->len);
		if (etag)
			snprintf(etag, 40, "%s", o->etag);
		rc = 0;
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

void
s3d_set_credentials(struct s3d *d, const char *access_key_id,
    const char *secret_access_key, const char *region)
{
	pthread_mutex_lock(&d->lock);
	free(d->akid);
	free(d->secret);
	free(d->region);
	d->akid = access_key_id ? sf_xstrdup(access_key_id) : NULL;
	d->secret = secret_access_key ? sf_xstrdup(secret_access_key) : NULL;
	d->region = region ? sf_xstrdup(region) : NULL;
	pthread_mutex_unlock(&d->lock);
}

size_t
s3d_refused(struct s3d *d)
{
	size_t n;

	pthread_mutex_lock(&d->lock);
	n = d->refused;
	pthread_mutex_unlock(&d->lock);
	return n;
}

size_t
s3d_requests(struct s3d *d)
{
	size_t n;

	pthread_mutex_lock(&d->lock);
	n = d->requests;
	pthread_mutex_unlock(&d->lock);
	return n;
}

void
s3d_stop(struct s3d *d)
{
	size_t i;

	if (!d)
		return;
	MHD_stop_daemon(d->mhd);
	for (i = 0; i < d->nobjs; i++) {
		free(d->objs[i].bucket);
		free(d->objs[i].key);
		free(d->objs[i].data);
	}
	free(d->objs);
	for (i = 0; i < d->nbuckets; i++)
		free(d->buckets[i]);
	free(d->buckets);
	free(d->akid);
	free(d->secret);
	free(d->region);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
