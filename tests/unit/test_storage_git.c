/*
 * Unit tests of the git backend of the state storage (src/git/storage_git.c),
 * all on the local disk: a bare repository plays the remote, two plain
 * repositories A and B the machines that share it. Read, compare-and-swap
 * writes (nothing lost), the lock and its holder, force-unlock, run
 * records, a linear history, and a working tree left alone; and the same
 * without a remote.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ftw.h>
#include <unistd.h>

#include <git2.h>

#include "git/storage_git.h"

/* ---- helpers ---- */

struct fake {
	int64_t now;
	int sleeps;
	int64_t slept;
	uint32_t seed;
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
	f->sleeps++;
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

struct world {
	char *dir;
	char *remote; /* the bare repository */
	char *a, *b;  /* two plain repositories */
	struct fake fa, fb;
};

static void
init_repo(const char *path, bool bare)
{
	git_repository *r;

	assert_int_equal(git_repository_init(&r, path, bare), 0);
	git_repository_free(r);
}

static int
world_setup(void **state)
{
	char tmpl[] = "/tmp/sf-test-storage-git.XXXXXX";
	struct world *w = calloc(1, sizeof(*w));

	git_libgit2_init();
	assert_non_null(w);
	assert_non_null(mkdtemp(tmpl));
	w->dir = sf_xstrdup(tmpl);
	w->remote = sf_xasprintf("%s/remote.git", w->dir);
	w->a = sf_xasprintf("%s/a", w->dir);
	w->b = sf_xasprintf("%s/b", w->dir);
	init_repo(w->remote, true);
	init_repo(w->a, false);
	init_repo(w->b, false);
	w->fa.now = w->fb.now = INT64_C(1764164400000);
	w->fa.seed = 1;
	w->fb.seed = 2;
	*state = w;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
world_teardown(void **state)
{
	struct world *w = *state;

	nftw(w->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(w->dir);
	free(w->remote);
	free(w->a);
	free(w->b);
	free(w);
	git_libgit2_shutdown();
	return 0;
}

static struct sf_storage *
open_store_f(const char *repo, const char *remote, struct fake *f,
    const char *host, int (*fault)(void *, const char *), void *ud)
{
	struct sf_storage_git_opts o;
	struct sf_storage *s;
	struct sf_err err;

	memset(&o, 0, sizeof(o));
	o.fault = fault;
	o.fault_ud = ud;
	o.env.now_ms = fake_now;
	o.env.sleep_ms = fake_sleep;
	o.env.random = fake_random;
	o.env.ud = f;
	o.host = host;
	s = sf_storage_git_new(repo, remote, NULL, &o, &err);
	if (!s)
		fail_msg("%s: %s", err.where, err.msg);
	return s;
}

static struct sf_storage *
open_store(
    const char *repo, const char *remote, struct fake *f, const char *host)
{
	return open_store_f(repo, remote, f, host, NULL, NULL);
}

#define OK(call)                                                         \
	do {                                                             \
		struct sf_err e_;                                        \
		memset(&e_, 0, sizeof(e_));                              \
		int rc_ = (call);                                        \
		if (rc_)                                                 \
			fail_msg("%s: %s: %s", #call, e_.where, e_.msg); \
	} while (0)

/* The commit a ref of the repository at path points to ("" if none). */
static void
ref_at(const char *path, const char *ref, char out[GIT_OID_HEXSZ + 1])
{
	git_repository *r;
	git_oid id;

	assert_int_equal(git_repository_open(&r, path), 0);
	if (git_reference_name_to_id(&id, r, ref) == 0)
		git_oid_tostr(out, GIT_OID_HEXSZ + 1, &id);
	else
		out[0] = '\0';
	git_repository_free(r);
}

/* The parent of commit hex in the repository at path ("" if none). */
static void
parent_of(const char *path, const char *hexid, char out[GIT_OID_HEXSZ + 1])
{
	git_repository *r;
	git_commit *c, *p;
	git_oid id;

	assert_int_equal(git_repository_open(&r, path), 0);
	assert_int_equal(git_oid_fromstr(&id, hexid), 0);
	assert_int_equal(git_commit_lookup(&c, r, &id), 0);
	out[0] = '\0';
	if (git_commit_parentcount(c) > 0) {
		assert_int_equal(git_commit_parentcount(c), 1);
		assert_int_equal(git_commit_parent(&p, c, 0), 0);
		git_oid_tostr(out, GIT_OID_HEXSZ + 1, git_commit_id(p));
		git_commit_free(p);
	}
	git_commit_free(c);
	git_repository_free(r);
}

static void
assert_untouched(const char *path)
{
	git_repository *r;
	git_index *idx;

	assert_int_equal(git_repository_open(&r, path), 0);
	assert_int_equal(git_repository_head_unborn(r), 1);
	assert_int_equal(git_repository_index(&idx, r), 0);
	assert_int_equal(git_index_entrycount(idx), 0);
	git_index_free(idx);
	git_repository_free(r);
}

static const char v1[] = "{\"version\": 1, \"serial\": 1}\n";
static const char v2[] = "{\"version\": 1, \"serial\": 2}\n";
static const char v3[] = "{\"version\": 1, \"serial\": 3}\n";

static void
write_v(struct sf_storage *s, const char *text,
    const struct sf_storage_ver *expect, struct sf_storage_ver *now)
{
	struct sf_err e;

	if (sf_storage_write(s, text, strlen(text), expect, now, &e))
		fail_msg("write: %s: %s", e.where, e.msg);
}

static void
read_v(struct sf_storage *s, const char *want, struct sf_storage_ver *ver)
{
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err e;

	if (sf_storage_read(s, &b, ver, &e))
		fail_msg("read: %s: %s", e.where, e.msg);
	assert_string_equal(b.buf, want);
	sf_buf_release(&b);
}

/* ---- tests ---- */

static void
test_read_write(void **state)
{
	struct world *w = *state;
	struct sf_storage *a = open_store(w->a, w->remote, &w->fa, "host-a");
	struct sf_storage *b = open_store(w->b, w->remote, &w->fb, "host-b");
	struct sf_storage_ver ver, none = { "" }, now;
	struct sf_buf buf = SF_BUF_INIT;
	char at[GIT_OID_HEXSZ + 1];
	struct sf_err e;

	assert_string_equal(a->ops->name, "git");
	assert_int_equal(sf_storage_read(a, &buf, &ver, &e), SF_ENOTFOUND);
	assert_int_equal(e.code, SF_ENOTFOUND);
	assert_string_equal(ver.tag, "");
	assert_int_equal(buf.len, 0);

	write_v(a, v1, &none, &now);
	assert_int_equal(strlen(now.tag), GIT_OID_HEXSZ);
	ref_at(w->remote, SF_STORAGE_GIT_REF, at);
	assert_string_equal(at, now.tag);
	read_v(b, v1, &ver);
	assert_string_equal(ver.tag, now.tag);
	read_v(a, v1, &ver);
	assert_string_equal(ver.tag, now.tag);
	parent_of(w->remote, now.tag, at);
	assert_string_equal(at, "");

	/* A second "first" write is a conflict. */
	assert_int_equal(
	    sf_storage_write(b, v2, strlen(v2), &none, &now, &e), SF_ECONFLICT);
	assert_non_null(strstr(e.msg, "created the state"));

	/* The working trees, indexes and HEADs are left alone. */
	assert_untouched(w->a);
	assert_untouched(w->b);
	sf_storage_free(a);
	sf_storage_free(b);
}

static void
test_cas_conflict(void **state)
{
	struct world *w = *state;
	struct sf_storage *a = open_store(w->a, w->remote, &w->fa, "host-a");
	struct sf_storage *b = open_store(w->b, w->remote, &w->fb, "host-b");
	struct sf_storage_ver none = { "" }, va, vb, first, second, third;
	char at[GIT_OID_HEXSZ + 1];
	struct sf_err e;

	write_v(a, v1, &none, &first);
	read_v(a, v1, &va);
	read_v(b, v1, &vb);
	assert_string_equal(va.tag, vb.tag);
	write_v(a, v2, &va, &second);
	assert_int_equal(
	    sf_storage_write(b, v3, strlen(v3), &vb, &third, &e), SF_ECONFLICT);
	assert_non_null(strstr(e.msg, "changed since it was read"));

	/* Nothing lost: the remote still has A's write. */
	ref_at(w->remote, SF_STORAGE_GIT_REF, at);
	assert_string_equal(at, second.tag);
	read_v(b, v2, &vb);
	assert_string_equal(vb.tag, second.tag);

	/* B, having read again, may write; the history is linear. */
	write_v(b, v3, &vb, &third);
	parent_of(w->remote, third.tag, at);
	assert_string_equal(at, second.tag);
	parent_of(w->remote, second.tag, at);
	assert_string_equal(at, first.tag);
	read_v(a, v3, &va);
	assert_string_equal(va.tag, third.tag);
	assert_untouched(w->a);
	sf_storage_free(a);
	sf_storage_free(b);
}

static const struct sf_lock_req apply_now = { "apply", 0 };

static void
test_lock(void **state)
{
	struct world *w = *state;
	struct sf_storage *a = open_store(w->a, w->remote, &w->fa, "host-a");
	struct sf_storage *b = open_store(w->b, w->remote, &w->fb, "host-b");
	struct sf_lock_req wait = { "plan", 2000 };
	struct sf_lock_info info, was;
	char at[GIT_OID_HEXSZ + 1];
	struct sf_err e;

	assert_int_equal(sf_storage_lock_info(b, &info, &e), SF_ENOTFOUND);
	OK(sf_storage_lock(a, &apply_now, NULL, &e_));
	assert_true(a->locked);
	ref_at(w->remote, SF_STORAGE_GIT_REF "-lock", at);
	assert_int_equal(strlen(at), GIT_OID_HEXSZ);
	parent_of(w->remote, at, at);
	assert_string_equal(at, ""); /* parentless */

	assert_int_equal(
	    sf_storage_lock(b, &apply_now, NULL, &e), SF_ECONFLICT);
	assert_non_null(strstr(e.msg, "host-a"));
	assert_non_null(strstr(e.msg, "apply"));
	assert_non_null(strstr(e.msg, a->lock.id));
	assert_int_equal(w->fb.sleeps, 0);

	/* Waiting: the fake clock moves, nothing really sleeps. */
	assert_int_equal(sf_storage_lock(b, &wait, NULL, &e), SF_ECONFLICT);
	assert_true(w->fb.slept >= 2000);
	assert_true(w->fb.sleeps > 1);
	assert_non_null(strstr(e.msg, "still after waiting"));
	assert_false(b->locked);

	OK(sf_storage_lock_info(b, &info, &e_));
	assert_string_equal(info.id, a->lock.id);
	assert_string_equal(info.host, "host-a");
	assert_string_equal(info.command, "apply");
	assert_int_equal(info.started, INT64_C(1764164400000));
	assert_int_equal(info.pid, (int64_t)getpid());

	assert_int_equal(sf_storage_force_unlock(b,
	                     "00000000-0000-4000-8000-000000000000", &was, &e),
	    SF_EINVALID);
	assert_string_equal(was.id, a->lock.id);

	OK(sf_storage_unlock(a, &e_));
	assert_false(a->locked);
	ref_at(w->remote, SF_STORAGE_GIT_REF "-lock", at);
	assert_string_equal(at, "");
	assert_int_equal(
	    sf_storage_force_unlock(b, "x", &was, &e), SF_ENOTFOUND);

	OK(sf_storage_lock(b, &apply_now, NULL, &e_));
	OK(sf_storage_lock_info(a, &info, &e_));
	assert_string_equal(info.host, "host-b");

	/* A force-unlock by A: B's unlock then finds its lock gone. */
	OK(sf_storage_force_unlock(a, b->lock.id, &was, &e_));
	assert_string_equal(was.host, "host-b");
	assert_int_equal(sf_storage_unlock(b, &e), SF_ECONFLICT);
	assert_non_null(strstr(e.msg, "was removed"));
	assert_untouched(w->a);
	sf_storage_free(a);
	sf_storage_free(b);
}

static void
test_runs(void **state)
{
	struct world *w = *state;
	struct sf_storage *a = open_store(w->a, w->remote, &w->fa, "host-a");
	struct sf_storage *b = open_store(w->b, w->remote, &w->fb, "host-b");
	struct sf_storage_ver none = { "" }, va, now;
	struct sf_buf buf = SF_BUF_INIT;
	char **runs, at[GIT_OID_HEXSZ + 1], prev[GIT_OID_HEXSZ + 1];
	size_t n;
	struct sf_err e;

	OK(sf_storage_list_runs(a, "nightly", &runs, &n, &e_));
	assert_int_equal(n, 0);
	OK(sf_storage_put_run(a, "nightly", "r2", "{\"n\": 2}", 8, &e_));
	ref_at(w->remote, SF_STORAGE_GIT_REF, prev);
	OK(sf_storage_put_run(b, "nightly", "r1", "{\"n\": 1}", 8, &e_));
	ref_at(w->remote, SF_STORAGE_GIT_REF, at);
	parent_of(w->remote, at, at);
	assert_string_equal(at, prev);
	OK(sf_storage_put_run(a, "other", "r9", "{}", 2, &e_));

	/* Runs without a state: there is still no state. */
	assert_int_equal(sf_storage_read(a, &buf, &va, &e), SF_ENOTFOUND);
	assert_string_equal(va.tag, "");

	OK(sf_storage_list_runs(b, "nightly", &runs, &n, &e_));
	assert_int_equal(n, 2);
	assert_string_equal(runs[0], "r1");
	assert_string_equal(runs[1], "r2");
	sf_storage_runs_free(runs, n);

	OK(sf_storage_get_run(b, "nightly", "r2", &buf, &e_));
	assert_string_equal(buf.buf, "{\"n\": 2}");
	sf_buf_reset(&buf);
	OK(sf_storage_delete_run(b, "nightly", "r1", &e_));
	assert_int_equal(
	    sf_storage_delete_run(a, "nightly", "r1", &e), SF_ENOTFOUND);
	assert_int_equal(
	    sf_storage_get_run(a, "nightly", "r1", &buf, &e), SF_ENOTFOUND);
	OK(sf_storage_list_runs(a, "nightly", &runs, &n, &e_));
	assert_int_equal(n, 1);
	assert_string_equal(runs[0], "r2");
	sf_storage_runs_free(runs, n);

	/* Run records written between a read and a write of the state do
	 * not make the write conflict. */
	write_v(a, v1, &none, &now);
	read_v(a, v1, &va);
	OK(sf_storage_put_run(b, "nightly", "r3", "{}", 2, &e_));
	write_v(a, v2, &va, &now);
	OK(sf_storage_get_run(a, "nightly", "r3", &buf, &e_));
	assert_string_equal(buf.buf, "{}");
	sf_buf_release(&buf);
	assert_untouched(w->a);
	assert_untouched(w->b);
	sf_storage_free(a);
	sf_storage_free(b);
}

static void
test_no_remote(void **state)
{
	struct world *w = *state;
	struct sf_storage *a = open_store(w->a, NULL, &w->fa, "host-a");
	struct sf_storage *a2 = open_store(w->a, NULL, &w->fb, "host-b");
	struct sf_storage_ver none = { "" }, v, v_2, now;
	struct sf_buf buf = SF_BUF_INIT;
	struct sf_lock_info info;
	char at[GIT_OID_HEXSZ + 1], **runs;
	size_t n;
	struct sf_err e;

	assert_int_equal(sf_storage_read(a, &buf, &v, &e), SF_ENOTFOUND);
	write_v(a, v1, &none, &now);
	ref_at(w->a, SF_STORAGE_GIT_REF, at);
	assert_string_equal(at, now.tag);
	ref_at(w->remote, SF_STORAGE_GIT_REF, at);
	assert_string_equal(at, "");
	read_v(a, v1, &v);
	read_v(a2, v1, &v_2);
	write_v(a, v2, &v, &now);
	assert_int_equal(
	    sf_storage_write(a2, v3, strlen(v3), &v_2, &now, &e), SF_ECONFLICT);
	read_v(a2, v2, &v_2);

	OK(sf_storage_lock(a, &apply_now, NULL, &e_));
	assert_int_equal(
	    sf_storage_lock(a2, &apply_now, NULL, &e), SF_ECONFLICT);
	assert_non_null(strstr(e.msg, "host-a"));
	OK(sf_storage_lock_info(a2, &info, &e_));
	assert_string_equal(info.id, a->lock.id);
	OK(sf_storage_unlock(a, &e_));
	OK(sf_storage_lock(a2, &apply_now, NULL, &e_));
	OK(sf_storage_unlock(a2, &e_));

	OK(sf_storage_put_run(a, "nightly", "r1", "{}", 2, &e_));
	OK(sf_storage_list_runs(a2, "nightly", &runs, &n, &e_));
	assert_int_equal(n, 1);
	sf_storage_runs_free(runs, n);
	assert_untouched(w->a);
	sf_storage_free(a);
	sf_storage_free(a2);
}

/*
 * Races: at the moment A moves the ref, after it checked what it read,
 * B gets in first. What B did is never lost.
 */
enum race { RACE_WRITE = 1, RACE_RUN, RACE_LOCK, RACE_STEAL, RACE_CRASH };

struct racer {
	enum race what;
	struct sf_storage *a, *b;
	int calls;
};

static int
race(void *ud, const char *point)
{
	struct racer *r = ud;
	struct sf_storage_ver v, now;
	struct sf_lock_info was;

	assert_string_equal(point, "before-update");
	if (r->calls++)
		return 0;
	switch (r->what) {
	case RACE_WRITE:
		read_v(r->b, v1, &v);
		write_v(r->b, v2, &v, &now);
		break;
	case RACE_RUN:
		OK(sf_storage_put_run(r->b, "nightly", "rb", "{}", 2, &e_));
		break;
	case RACE_LOCK:
		OK(sf_storage_lock(r->b, &apply_now, NULL, &e_));
		break;
	case RACE_STEAL:
		OK(sf_storage_force_unlock(r->b, r->a->lock.id, &was, &e_));
		OK(sf_storage_lock(r->b, &apply_now, NULL, &e_));
		break;
	case RACE_CRASH:
		return 1;
	}
	return 0;
}

static void
run_races(struct world *w, const char *remote)
{
	struct racer r = { 0, NULL, NULL, 0 };
	struct sf_storage *a, *b;
	struct sf_storage_ver none = { "" }, v, now;
	struct sf_lock_info info;
	char **runs;
	size_t n;
	struct sf_err e;

	a = open_store_f(w->a, remote, &w->fa, "host-a", race, &r);
	b = open_store(remote ? w->b : w->a, remote, &w->fb, "host-b");
	r.a = a;
	r.b = b;

	/* The first write has no race (calls counts it). */
	r.calls = 1;
	write_v(a, v1, &none, &now);
	read_v(a, v1, &v);
	r.what = RACE_WRITE;
	r.calls = 0;
	assert_int_equal(
	    sf_storage_write(a, v3, strlen(v3), &v, &now, &e), SF_ECONFLICT);
	assert_int_equal(r.calls, 1);
	read_v(b, v2, &v);

	r.what = RACE_CRASH;
	r.calls = 0;
	assert_int_equal(
	    sf_storage_write(a, v3, strlen(v3), &v, &now, &e), SF_ERROR);
	assert_non_null(strstr(e.msg, "injected"));
	read_v(b, v2, &now);
	assert_string_equal(now.tag, v.tag);

	/* Run records of two writers both land. */
	r.what = RACE_RUN;
	r.calls = 0;
	OK(sf_storage_put_run(a, "nightly", "ra", "{}", 2, &e_));
	assert_int_equal(r.calls, 2);
	OK(sf_storage_list_runs(a, "nightly", &runs, &n, &e_));
	assert_int_equal(n, 2);
	assert_string_equal(runs[0], "ra");
	assert_string_equal(runs[1], "rb");
	sf_storage_runs_free(runs, n);
	read_v(a, v2, &now); /* the state is as it was */

	/* B takes the lock between A's look and A's try. */
	r.what = RACE_LOCK;
	r.calls = 0;
	assert_int_equal(
	    sf_storage_lock(a, &apply_now, NULL, &e), SF_ECONFLICT);
	assert_non_null(strstr(e.msg, "host-b"));
	assert_false(a->locked);
	OK(sf_storage_unlock(b, &e_));

	/* A's lock, force-unlocked and taken by B just as A unlocks: A
	 * must not remove B's lock. */
	r.calls = 1;
	OK(sf_storage_lock(a, &apply_now, NULL, &e_));
	r.what = RACE_STEAL;
	r.calls = 0;
	assert_int_equal(sf_storage_unlock(a, &e), SF_ECONFLICT);
	OK(sf_storage_lock_info(a, &info, &e_));
	assert_string_equal(info.host, "host-b");
	assert_string_equal(info.id, b->lock.id);
	sf_storage_free(a);
	sf_storage_free(b);
}

static void
test_races(void **state)
{
	struct world *w = *state;

	run_races(w, w->remote);
}

static void
test_races_no_remote(void **state)
{
	struct world *w = *state;

	run_races(w, NULL);
}

/* A remote by name, and by file:// URL; the refs kept in the repository. */
static void
test_named_remote(void **state)
{
	struct world *w = *state;
	char *url = sf_xasprintf("file://%s", w->remote);
	git_repository *r;
	git_remote *rem;
	struct sf_storage *a, *b;
	struct sf_storage_ver none = { "" }, v, now;
	char at[GIT_OID_HEXSZ + 1];

	assert_int_equal(git_repository_open(&r, w->a), 0);
	assert_int_equal(git_remote_create(&rem, r, "origin", url), 0);
	git_remote_free(rem);
	git_repository_free(r);
	a = open_store(w->a, "origin", &w->fa, "host-a");
	b = open_store(w->b, url, &w->fb, "host-b");
	assert_non_null(strstr(a->where, "origin"));
	write_v(a, v1, &none, &now);
	read_v(b, v1, &v);
	assert_string_equal(v.tag, now.tag);
	ref_at(w->remote, SF_STORAGE_GIT_REF, at);
	assert_string_equal(at, now.tag);
	/* The tracking ref follows the remote; the push's source is gone;
	 * the state ref itself is the remote's alone. */
	ref_at(w->a, "refs/sandform-remote/sandform/state", at);
	assert_string_equal(at, now.tag);
	ref_at(w->b, "refs/sandform-remote/sandform/state", at);
	assert_string_equal(at, now.tag);
	ref_at(w->a, "refs/sandform-push/sandform/state", at);
	assert_string_equal(at, "");
	ref_at(w->a, SF_STORAGE_GIT_REF, at);
	assert_string_equal(at, "");
	assert_untouched(w->a);
	sf_storage_free(a);
	sf_storage_free(b);
	free(url);
}

static void
test_bad_args(void **state)
{
	struct world *w = *state;
	struct sf_err e;

	assert_null(sf_storage_git_new(w->a, NULL, "heads/x", NULL, &e));
	assert_int_equal(e.code, SF_EINVALID);
	assert_null(sf_storage_git_new(w->dir, NULL, NULL, NULL, &e));
	assert_int_equal(e.code, SF_ENOTFOUND);
}

/* The versions, newest first, with what wrote them and why. */
static void
test_history(void **state)
{
	struct world *w = *state;
	struct sf_storage *a = open_store(w->a, w->remote, &w->fa, "host-a");
	struct sf_storage_ver none = { "" }, v_1, v_2;
	struct sf_storage_rev *revs;
	struct sf_lock_req req = { "apply", 0 };
	struct sf_buf warn = SF_BUF_INIT;
	struct sf_err e;
	size_t n;

	assert_int_equal(
	    sf_storage_history(a, 10, &revs, &n, &e), SF_ENOTFOUND);
	write_v(a, v1, &none, &v_1);
	assert_int_equal(sf_storage_lock(a, &req, &warn, &e), 0);
	sf_storage_note(a, "Manifests at abc123 on main.");
	write_v(a, v2, &v_1, &v_2);
	assert_int_equal(sf_storage_unlock(a, &e), 0);
	assert_int_equal(sf_storage_history(a, 10, &revs, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(revs[0].id, v_2.tag);
	assert_string_equal(revs[0].message,
	    "sandform apply: state serial 2\n\nManifests at abc123 on main.\n");
	assert_string_equal(revs[1].id, v_1.tag);
	assert_string_equal(revs[1].message, "sandform: state serial 1\n");
	assert_true(revs[0].time >= revs[1].time);
	sf_storage_revs_free(revs, n);
	/* max bounds the walk. */
	assert_int_equal(sf_storage_history(a, 1, &revs, &n, &e), 0);
	assert_int_equal(n, 1);
	sf_storage_revs_free(revs, n);
	sf_buf_release(&warn);
	sf_storage_free(a);
}

/* A remote URL with a token in it: the token never reaches a message. */
static void
test_url_secret(void **state)
{
	struct world *w = *state;
	struct sf_storage *a;
	struct sf_storage_ver ver;
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err e;

	/* Port 1 on loopback: refused at once, nothing leaves the machine. */
	a = open_store(w->a, "http://ci-token:s3cr3t-t0k3n@127.0.0.1:1/x.git",
	    &w->fa, "host-a");
	assert_null(strstr(a->where, "s3cr3t"));
	assert_non_null(strstr(a->where, "http://127.0.0.1:1/x.git"));
	assert_int_not_equal(sf_storage_read(a, &b, &ver, &e), 0);
	print_message("refused as: %s: %s\n", e.where, e.msg);
	assert_null(strstr(e.msg, "s3cr3t"));
	assert_null(strstr(e.where, "s3cr3t"));
	assert_null(strstr(e.msg, "ci-token"));
	sf_buf_release(&b);
	sf_storage_free(a);
}

/* git's credential helpers answer for an https remote; nothing prompts. */
static void
test_credential_helper(void **state)
{
	struct world *w = *state;
	char *cfg = sf_xasprintf("%s/.gitconfig", w->dir), *u, *p;
	char *old_home = getenv("HOME") ? sf_xstrdup(getenv("HOME")) : NULL;
	FILE *f;

	setenv("HOME", w->dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	/* No helper: none, and no prompt (the test would hang). */
	assert_int_equal(sf_git_credential_fill(
	                     "https://git.example.invalid/x.git", w->a, &u, &p),
	    -1);
	assert_null(u);
	assert_null(p);
	f = fopen(cfg, "w");
	assert_non_null(f);
	fputs(
	    "[credential]\n\thelper = \"!f() { test \\\"$1\\\" = get && "
	    "echo username=helper-user && echo password=helper-pass; }; f\"\n",
	    f);
	fclose(f);
	assert_int_equal(sf_git_credential_fill(
	                     "https://git.example.invalid/x.git", w->a, &u, &p),
	    0);
	assert_string_equal(u, "helper-user");
	assert_string_equal(p, "helper-pass");
	free(u);
	free(p);
	/* Not a URL (a path, a remote name): not git credential's business. */
	assert_int_equal(
	    sf_git_credential_fill("/srv/x.git", w->a, &u, &p), -1);
	if (old_home) {
		setenv("HOME", old_home, 1);
		free(old_home);
	} else {
		unsetenv("HOME");
	}
	free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_read_write, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cas_conflict, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lock, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_runs, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_no_remote, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_races, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_races_no_remote, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_named_remote, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_bad_args, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_history, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_url_secret, world_setup, world_teardown),
		cmocka_unit_test_setup_teardown(
		    test_credential_helper, world_setup, world_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
