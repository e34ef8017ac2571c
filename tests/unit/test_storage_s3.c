/*
 * The S3 backend of the state storage against s3d, an in-memory S3 on
 * loopback: reads, conditional writes, the lock, run records across pages,
 * a missing bucket, and s3d refusing a request that is not signed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "provider/aws/http.h"
#include "provider/aws/storage_s3.h"
#include "s3d.h"

#define BUCKET "team-state"
#define AKID   "AKIDEXAMPLETEST00001"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static struct s3d *srv;

/* An injected clock and sleep: time moves only when the code sleeps. */
struct fake {
	int64_t now;
	int sleeps;
	int64_t slept;
	uint32_t seed;
	/* After this many sleeps, unlock this storage (a holder finishing). */
	int release_after;
	struct sf_storage *holder;
};

static int64_t
fake_now(void *ud)
{
	return ((struct fake *)ud)->now;
}

static void
fake_sleep(void *ud, int64_t ms)
{
	struct fake *f = ud;

	assert_true(ms > 0);
	f->now += ms;
	f->slept += ms;
	if (++f->sleeps == f->release_after && f->holder)
		assert_int_equal(sf_storage_unlock(f->holder, NULL), 0);
}

static void
fake_random(void *ud, void *buf, size_t n)
{
	struct fake *f = ud;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < n; i++) {
		f->seed = f->seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(f->seed >> 16);
	}
}

static struct fake *
new_fake(uint32_t seed)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	/* 2026-11-26T12:00:00Z: signatures need a plausible date. */
	f->now = INT64_C(1795694400000);
	f->seed = seed;
	return f;
}

static struct sf_storage *
open_s3_with(const char *bucket, const char *key, const char *host,
    struct fake *f, const char *secret)
{
	struct sf_storage_s3_opts o;
	struct sf_err err;
	struct sf_storage *s;

	memset(&o, 0, sizeof(o));
	o.bucket = bucket;
	o.key = key;
	o.region = "eu-west-1";
	o.endpoint = s3d_url(srv);
	o.host = host;
	o.access_key_id = AKID;
	o.secret_access_key = secret;
	if (f) {
		o.env.now_ms = fake_now;
		o.env.sleep_ms = fake_sleep;
		o.env.random = fake_random;
		o.env.ud = f;
	}
	sf_err_clear(&err);
	s = sf_storage_s3_new(&o, &err);
	if (!s)
		fail_msg("sf_storage_s3_new: %s", err.msg);
	return s;
}

static struct sf_storage *
open_s3(const char *bucket, const char *key, const char *host, struct fake *f)
{
	return open_s3_with(bucket, key, host, f, SECRET);
}

static void
assert_no_secret(const struct sf_err *err)
{
	assert_null(strstr(err->msg, SECRET));
	assert_null(strstr(err->where, SECRET));
}

static int
setup(void **state)
{
	static const char *const buckets[] = { BUCKET };

	(void)state;
	srv = s3d_start(buckets, 1);
	/* Every request of every test has its signature checked. */
	s3d_set_credentials(srv, AKID, SECRET, "eu-west-1");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	s3d_stop(srv);
	srv = NULL;
	return 0;
}

static void
test_read_empty(void **state)
{
	struct sf_storage *s = open_s3(BUCKET, "empty/state.json", "h", NULL);
	struct sf_buf out = SF_BUF_INIT;
	struct sf_storage_ver ver;
	struct sf_err err;

	(void)state;
	assert_string_equal(s->ops->name, "s3");
	assert_string_equal(s->state_name, "s3://team-state/empty/state.json");
	assert_int_equal(sf_storage_read(s, &out, &ver, &err), SF_ENOTFOUND);
	assert_string_equal(ver.tag, "");
	assert_int_equal(out.len, 0);
	sf_buf_release(&out);
	sf_storage_free(s);
}

static void
test_write_and_read(void **state)
{
	struct sf_storage *s = open_s3(BUCKET, NULL, "h", NULL);
	struct sf_buf out = SF_BUF_INIT, held = SF_BUF_INIT;
	struct sf_storage_ver none = { "" }, now, ver;
	const char *v1 = "{\"serial\": 1}\n";
	char etag[40];
	struct sf_err err;

	(void)state;
	assert_string_equal(
	    s->state_name, "s3://team-state/sandform.state.json");
	assert_int_equal(
	    sf_storage_write(s, v1, strlen(v1), &none, &now, &err), 0);
	assert_int_equal(
	    s3d_object(srv, BUCKET, "sandform.state.json", &held, etag), 0);
	assert_string_equal(held.buf, v1);
	/* The version is the ETag: the quoted MD5 of the bytes. */
	assert_string_equal(now.tag, etag);
	assert_int_equal(strlen(etag), 34);
	assert_int_equal(sf_storage_read(s, &out, &ver, &err), 0);
	assert_string_equal(out.buf, v1);
	assert_string_equal(ver.tag, now.tag);
	/* Creating it again, as if none were there, is a conflict. */
	assert_int_equal(
	    sf_storage_write(s, "x", 1, &none, &now, &err), SF_ECONFLICT);
	assert_non_null(strstr(err.msg, "created the state"));
	sf_buf_release(&out);
	sf_buf_release(&held);
	sf_storage_free(s);
}

static void
test_write_conflict(void **state)
{
	const char *key = "cas/state.json";
	struct sf_storage *a = open_s3(BUCKET, key, "host-a", NULL);
	struct sf_storage *b = open_s3(BUCKET, key, "host-b", NULL);
	struct sf_buf out = SF_BUF_INIT;
	struct sf_storage_ver none = { "" }, v1, va, vb, now;
	const char *one = "{\"serial\": 1}\n",
	           *two = "{\"serial\": 2, \"a\": 1}\n";
	const char *three = "{\"serial\": 2, \"b\": 1}\n";
	struct sf_err err;

	(void)state;
	assert_int_equal(
	    sf_storage_write(a, one, strlen(one), &none, &v1, &err), 0);
	assert_int_equal(sf_storage_read(a, &out, &va, &err), 0);
	sf_buf_reset(&out);
	assert_int_equal(sf_storage_read(b, &out, &vb, &err), 0);
	assert_string_equal(va.tag, v1.tag);
	assert_string_equal(vb.tag, v1.tag);
	assert_int_equal(
	    sf_storage_write(a, two, strlen(two), &va, &now, &err), 0);
	assert_string_not_equal(now.tag, v1.tag);
	assert_int_equal(
	    sf_storage_write(b, three, strlen(three), &vb, &now, &err),
	    SF_ECONFLICT);
	assert_non_null(strstr(err.msg, "s3://team-state/cas/state.json"));
	assert_non_null(strstr(err.msg, "changed since it was read"));
	sf_buf_reset(&out);
	assert_int_equal(s3d_object(srv, BUCKET, key, &out, NULL), 0);
	assert_string_equal(out.buf, two);
	sf_buf_release(&out);
	sf_storage_free(a);
	sf_storage_free(b);
}

static void
test_lock_contention(void **state)
{
	const char *key = "lock/state.json";
	struct fake *fa = new_fake(1), *fb = new_fake(2);
	struct sf_storage *a = open_s3(BUCKET, key, "host-a", fa);
	struct sf_storage *b = open_s3(BUCKET, key, "host-b", fb);
	struct sf_lock_req apply = { "apply", 0 }, plan = { "plan", 0 };
	struct sf_lock_info info;
	struct sf_buf want = SF_BUF_INIT, lockobj = SF_BUF_INIT;
	struct sf_err err;

	(void)state;
	assert_int_equal(sf_storage_lock(a, &apply, NULL, &err), 0);
	assert_true(a->locked);
	assert_int_equal(
	    s3d_object(srv, BUCKET, "lock/state.json.lock", &lockobj, NULL), 0);
	assert_non_null(strstr(lockobj.buf, a->lock.id));

	/* B fails at once, naming A. */
	assert_int_equal(sf_storage_lock(b, &plan, NULL, &err), SF_ECONFLICT);
	assert_false(b->locked);
	assert_int_equal(fb->sleeps, 0);
	sf_buf_addf(&want, "pid %lld on host-a (apply", (long long)getpid());
	if (!strstr(err.msg, want.buf))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(err.msg, a->lock.id));

	assert_int_equal(sf_storage_lock_info(b, &info, &err), 0);
	assert_string_equal(info.id, a->lock.id);
	assert_string_equal(info.host, "host-a");
	assert_string_equal(info.command, "apply");
	assert_int_equal(info.started, fa->now);

	/* With a timeout B polls through the injected sleep, then gives up. */
	plan.timeout_ms = 1000;
	assert_int_equal(sf_storage_lock(b, &plan, NULL, &err), SF_ECONFLICT);
	assert_int_equal(fb->sleeps, 4);
	assert_int_equal(fb->slept, 1000);
	assert_non_null(strstr(err.msg, "still after waiting 1.000s"));

	/* A finishes while B waits: B gets it. */
	fb->sleeps = 0;
	fb->release_after = 2;
	fb->holder = a;
	assert_int_equal(sf_storage_lock(b, &plan, NULL, &err), 0);
	assert_false(a->locked);
	assert_true(b->locked);
	assert_int_equal(sf_storage_lock_info(a, &info, &err), 0);
	assert_string_equal(info.host, "host-b");
	assert_int_equal(sf_storage_unlock(b, &err), 0);
	assert_int_equal(sf_storage_lock_info(a, &info, &err), SF_ENOTFOUND);

	/* Plain sequence: A locks, A unlocks, B locks. */
	plan.timeout_ms = 0;
	assert_int_equal(sf_storage_lock(a, &apply, NULL, &err), 0);
	assert_int_equal(sf_storage_unlock(a, &err), 0);
	assert_int_equal(sf_storage_lock(b, &plan, NULL, &err), 0);
	assert_int_equal(sf_storage_unlock(b, &err), 0);
	assert_int_equal(
	    s3d_object(srv, BUCKET, "lock/state.json.lock", NULL, NULL), -1);

	sf_buf_release(&want);
	sf_buf_release(&lockobj);
	sf_storage_free(a);
	sf_storage_free(b);
	free(fa);
	free(fb);
}

static void
test_force_unlock(void **state)
{
	const char *key = "force/state.json";
	struct fake *fa = new_fake(3), *fb = new_fake(4);
	struct sf_storage *a = open_s3(BUCKET, key, "host-a", fa);
	struct sf_storage *b = open_s3(BUCKET, key, "host-b", fb);
	struct sf_lock_req apply = { "apply", 0 };
	struct sf_lock_info was;
	struct sf_err err;

	(void)state;
	assert_int_equal(
	    sf_storage_force_unlock(b, "nope", &was, &err), SF_ENOTFOUND);
	assert_int_equal(sf_storage_lock(a, &apply, NULL, &err), 0);
	assert_int_equal(
	    sf_storage_force_unlock(
	        b, "00000000-0000-4000-8000-000000000000", &was, &err),
	    SF_EINVALID);
	assert_non_null(strstr(err.msg, a->lock.id));
	assert_int_equal(
	    s3d_object(srv, BUCKET, "force/state.json.lock", NULL, NULL), 0);
	assert_int_equal(sf_storage_force_unlock(b, a->lock.id, &was, &err), 0);
	assert_string_equal(was.host, "host-a");
	assert_string_equal(was.id, a->lock.id);
	assert_int_equal(
	    sf_storage_force_unlock(b, a->lock.id, &was, &err), SF_ENOTFOUND);
	/* A finds its lock gone. */
	assert_int_equal(sf_storage_unlock(a, &err), SF_ECONFLICT);
	assert_non_null(strstr(err.msg, "was removed while we held it"));
	assert_false(a->locked);
	sf_storage_free(a);
	sf_storage_free(b);
	free(fa);
	free(fb);
}

static void
test_runs(void **state)
{
	const char *key = "runs/state.json";
	struct sf_storage *s = open_s3(BUCKET, key, "h", NULL);
	static const char *const ids[] = { "r5", "r1", "r3.x", "r2", "r4_b" };
	char **runs = NULL;
	size_t n = 0, i;
	struct sf_buf out = SF_BUF_INIT;
	struct sf_err err;

	(void)state;
	s3d_set_max_keys(srv, 2);
	assert_int_equal(
	    sf_storage_list_runs(s, "nightly", &runs, &n, &err), 0);
	assert_int_equal(n, 0);
	sf_storage_runs_free(runs, n);
	for (i = 0; i < SF_ARRAY_LEN(ids); i++) {
		char *text = sf_xasprintf("{\"run\": \"%s\"}", ids[i]);

		assert_int_equal(sf_storage_put_run(s, "nightly", ids[i], text,
		                     strlen(text), &err),
		    0);
		free(text);
	}
	assert_int_equal(
	    sf_storage_put_run(s, "other", "o1", "{}", 2, &err), 0);
	assert_int_equal(s3d_object(srv, BUCKET,
	                     "runs/state.runs/nightly/r1.json", NULL, NULL),
	    0);

	/* Five runs across three pages of two. */
	assert_int_equal(
	    sf_storage_list_runs(s, "nightly", &runs, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_string_equal(runs[0], "r1");
	assert_string_equal(runs[1], "r2");
	assert_string_equal(runs[2], "r3.x");
	assert_string_equal(runs[3], "r4_b");
	assert_string_equal(runs[4], "r5");
	sf_storage_runs_free(runs, n);

	assert_int_equal(
	    sf_storage_get_run(s, "nightly", "r3.x", &out, &err), 0);
	assert_string_equal(out.buf, "{\"run\": \"r3.x\"}");
	/* Replaced whole. */
	assert_int_equal(
	    sf_storage_put_run(s, "nightly", "r3.x", "{}", 2, &err), 0);
	sf_buf_reset(&out);
	assert_int_equal(
	    sf_storage_get_run(s, "nightly", "r3.x", &out, &err), 0);
	assert_string_equal(out.buf, "{}");

	assert_int_equal(sf_storage_delete_run(s, "nightly", "r2", &err), 0);
	assert_int_equal(
	    sf_storage_delete_run(s, "nightly", "r2", &err), SF_ENOTFOUND);
	assert_int_equal(
	    sf_storage_get_run(s, "nightly", "r2", &out, &err), SF_ENOTFOUND);
	assert_int_equal(
	    sf_storage_list_runs(s, "nightly", &runs, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(runs[1], "r3.x");
	sf_storage_runs_free(runs, n);
	assert_int_equal(sf_storage_list_runs(s, "other", &runs, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(runs[0], "o1");
	sf_storage_runs_free(runs, n);
	/* Names that may not become keys are refused before any request. */
	assert_int_equal(
	    sf_storage_put_run(s, "nightly", "../x", "{}", 2, &err),
	    SF_EINVALID);

	s3d_set_max_keys(srv, 0);
	sf_buf_release(&out);
	sf_storage_free(s);
}

static void
test_missing_bucket(void **state)
{
	struct sf_storage *s = open_s3("no-such-bucket", NULL, "h", NULL);
	struct sf_storage_ver ver, none = { "" }, now;
	struct sf_lock_req req = { "apply", 0 };
	struct sf_buf out = SF_BUF_INIT;
	struct sf_err err;

	(void)state;
	assert_int_equal(sf_storage_read(s, &out, &ver, &err), SF_ERROR);
	if (!strstr(err.msg, "bucket no-such-bucket does not exist "
	                     "(region eu-west-1)"))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(err.msg, "request id S3D"));
	assert_no_secret(&err);
	assert_int_equal(
	    sf_storage_write(s, "{}", 2, &none, &now, &err), SF_ERROR);
	assert_non_null(strstr(err.msg, "no-such-bucket"));
	assert_no_secret(&err);
	assert_int_equal(sf_storage_lock(s, &req, NULL, &err), SF_ERROR);
	assert_non_null(strstr(err.msg, "no-such-bucket"));
	sf_buf_release(&out);
	sf_storage_free(s);
}

static void
test_unsigned_refused(void **state)
{
	struct sf_storage *s = open_s3(BUCKET, NULL, "h", NULL);
	struct sf_buf out = SF_BUF_INIT;
	struct sf_storage_ver ver;
	struct sf_http_opts ho;
	struct sf_http *h;
	struct sf_http_xfer x;
	struct sf_err err;
	size_t refused = s3d_refused(srv);
	char *url;

	(void)state;
	/* Our requests are signed: nothing refused. */
	assert_int_equal(sf_storage_read(s, &out, &ver, &err), 0);
	assert_int_equal(s3d_refused(srv), refused);

	/* The same request without a signature is. */
	memset(&ho, 0, sizeof(ho));
	h = sf_http_new(&ho);
	url = sf_xasprintf("%s/%s/sandform.state.json", s3d_url(srv), BUCKET);
	memset(&x, 0, sizeof(x));
	x.method = "GET";
	x.url = url;
	assert_int_equal(sf_http_perform(h, &x, &err), 0);
	assert_int_equal(x.status, 403);
	assert_non_null(strstr(x.resp_body.buf, "<Code>AccessDenied</Code>"));
	assert_int_equal(s3d_refused(srv), refused + 1);
	sf_http_xfer_release(&x);
	sf_http_free(h);
	free(url);
	sf_buf_release(&out);
	sf_storage_free(s);
}

/* A key that needs percent-encoding in the path, and so in the signature. */
static void
test_odd_key(void **state)
{
	const char *key = "team a/env=prod+1/st\xc3\xa4te~(1).json";
	struct sf_storage *s = open_s3(BUCKET, key, "h", NULL);
	struct sf_storage_ver none = { "" }, now, ver;
	struct sf_buf out = SF_BUF_INIT;
	size_t refused = s3d_refused(srv);
	char **runs = NULL;
	size_t n = 0;
	struct sf_err err;

	(void)state;
	assert_int_equal(sf_storage_write(s, "{}", 2, &none, &now, &err), 0);
	assert_int_equal(sf_storage_read(s, &out, &ver, &err), 0);
	assert_string_equal(ver.tag, now.tag);
	assert_int_equal(s3d_object(srv, BUCKET, key, NULL, NULL), 0);
	assert_int_equal(sf_storage_put_run(s, "j", "r1", "{}", 2, &err), 0);
	assert_int_equal(sf_storage_list_runs(s, "j", &runs, &n, &err), 0);
	assert_int_equal(n, 1);
	sf_storage_runs_free(runs, n);
	assert_int_equal(s3d_refused(srv), refused);
	sf_buf_release(&out);
	sf_storage_free(s);
}

/* The wrong secret: S3 refuses the signature, and the error says so
 * without the secret. */
static void
test_wrong_secret(void **state)
{
	const char *bad = "not-the-secret-key-at-all/0000000000000";
	struct sf_storage *s = open_s3_with(BUCKET, NULL, "h", NULL, bad);
	struct sf_buf out = SF_BUF_INIT;
	struct sf_storage_ver ver;
	size_t refused = s3d_refused(srv);
	struct sf_err err;

	(void)state;
	assert_int_equal(sf_storage_read(s, &out, &ver, &err), SF_ERROR);
	if (!strstr(err.msg, "SignatureDoesNotMatch (403)"))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(err.msg, "request id S3D"));
	assert_null(strstr(err.msg, bad));
	assert_no_secret(&err);
	assert_int_equal(s3d_refused(srv), refused + 1);
	sf_buf_release(&out);
	sf_storage_free(s);
}

static void
test_bad_options(void **state)
{
	struct sf_storage_s3_opts o;
	struct sf_err err;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_null(sf_storage_s3_new(&o, &err));
	assert_int_equal(err.code, SF_EINVALID);
	o.bucket = BUCKET;
	o.key = "dir/";
	assert_null(sf_storage_s3_new(&o, &err));
	assert_int_equal(err.code, SF_EINVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_empty),
		cmocka_unit_test(test_write_and_read),
		cmocka_unit_test(test_write_conflict),
		cmocka_unit_test(test_lock_contention),
		cmocka_unit_test(test_force_unlock),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_missing_bucket),
		cmocka_unit_test(test_unsigned_refused),
		cmocka_unit_test(test_odd_key),
		cmocka_unit_test(test_wrong_secret),
		cmocka_unit_test(test_bad_options),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
