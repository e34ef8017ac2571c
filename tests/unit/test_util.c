/* Unit tests of src/util: buffers, errors, strings, UTF-8, arena, files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "util/arena.h"
#include "util/diag.h"
#include "util/fs.h"

static void
test_buf_never_null(void **state)
{
	struct sf_buf b = SF_BUF_INIT;
	char *s;
	size_t len;

	(void)state;
	assert_non_null(b.buf);
	assert_string_equal(b.buf, "");
	sf_buf_adds(&b, "abc");
	sf_buf_addch(&b, '-');
	sf_buf_addf(&b, "%d/%s", 42, "x");
	assert_string_equal(b.buf, "abc-42/x");
	assert_int_equal(b.len, 8);
	sf_buf_setlen(&b, 3);
	assert_string_equal(b.buf, "abc");
	s = sf_buf_detach(&b, &len);
	assert_string_equal(s, "abc");
	assert_int_equal(len, 3);
	assert_non_null(b.buf);
	assert_int_equal(b.len, 0);
	free(s);
	/* Detaching an empty buffer still gives the caller a heap string. */
	s = sf_buf_detach(&b, NULL);
	assert_string_equal(s, "");
	free(s);
	sf_buf_release(&b);
}

static void
test_buf_grows_past_format_size(void **state)
{
	struct sf_buf b = SF_BUF_INIT;
	char big[5000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sf_buf_addf(&b, "<%s>", big);
	assert_int_equal(b.len, sizeof(big) + 1);
	assert_int_equal(b.buf[0], '<');
	assert_int_equal(b.buf[b.len - 1], '>');
	sf_buf_release(&b);
}

static void
test_error_returns_code(void **state)
{
	struct sf_err err;

	(void)state;
	assert_int_equal(
	    sf_error(&err, SF_ENOTFOUND, "thing", "no %s", "x"), SF_ENOTFOUND);
	assert_int_equal(err.code, SF_ENOTFOUND);
	assert_string_equal(err.where, "thing");
	assert_string_equal(err.msg, "no x");
	assert_int_equal(
	    sf_error(NULL, SF_EINVALID, NULL, "ignored"), SF_EINVALID);
	sf_err_clear(&err);
	assert_int_equal(err.code, SF_OK);
	assert_string_equal(err.msg, "");
}

static void
test_distance_and_closest(void **state)
{
	static const char *const keys[] = { "description", "network", "vpc",
		"tags" };

	(void)state;
	assert_int_equal(sf_str_distance("network", "netwrok", 5), 2);
	assert_int_equal(sf_str_distance("abc", "abc", 0), 0);
	assert_int_equal(sf_str_distance("a", "abcdef", 2), 3);
	assert_string_equal(sf_str_closest("netwrok", keys, 4), "network");
	assert_string_equal(sf_str_closest("tag", keys, 4), "tags");
	assert_null(sf_str_closest("zzzzzz", keys, 4));
}

static void
test_utf8(void **state)
{
	size_t bad = 99;

	(void)state;
	assert_true(sf_utf8_valid("plain", 5, &bad));
	assert_true(
	    sf_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, &bad));
	assert_false(sf_utf8_valid("ab\xc3", 3, &bad));
	assert_int_equal(bad, 2);
	assert_false(sf_utf8_valid("a\xc0\xaf", 3, &bad)); /* overlong */
	assert_int_equal(bad, 1);
	assert_false(sf_utf8_valid("\xed\xa0\x80", 3, &bad)); /* surrogate */
	assert_false(sf_utf8_valid("a\0b", 3, &bad));
	assert_int_equal(bad, 1);
	assert_false(sf_utf8_valid("\xff", 1, &bad));
}

static void
test_quoted(void **state)
{
	struct sf_buf b = SF_BUF_INIT;

	(void)state;
	sf_buf_add_quoted(&b, "a\"b\\c\n\x01", 100);
	assert_string_equal(b.buf, "\"a\\\"b\\\\c\\n\\x01\"");
	sf_buf_reset(&b);
	sf_buf_add_quoted(&b, "abcdef", 3);
	assert_string_equal(b.buf, "\"abc...\"");
	sf_buf_release(&b);
}

static void
test_arena(void **state)
{
	struct sf_arena a;
	char *big, *s;
	int i;

	(void)state;
	sf_arena_init(&a);
	for (i = 0; i < 10000; i++) {
		s = sf_arena_strdup(&a, "hello");
		assert_string_equal(s, "hello");
		assert_int_equal((uintptr_t)s % _Alignof(max_align_t), 0);
	}
	big = sf_arena_alloc(&a, 1 << 20);
	assert_int_equal(big[0], 0);
	assert_int_equal(big[(1 << 20) - 1], 0);
	s = sf_arena_strndup(&a, "abcdef", 3);
	assert_string_equal(s, "abc");
	sf_arena_release(&a);
}

static void
test_diags_sorted_stably(void **state)
{
	struct sf_diags d;
	struct sf_pos a = { "b.yaml", 3, 1, 3, 2 };
	struct sf_pos b = { "a.yaml", 9, 4, 9, 5 };
	struct sf_pos c = { "b.yaml", 1, 7, 1, 8 };

	(void)state;
	sf_diags_init(&d);
	assert_int_equal(sf_diag_error(&d, &a, "first %d", 1), SF_EINVALID);
	sf_diag_error(&d, &b, "second");
	sf_diag_error(&d, &c, "third");
	sf_diag_error(&d, &a, "fourth");
	sf_diag_add(&d, SF_SEV_WARNING, NULL, "why", "fifth");
	sf_diags_sort(&d);
	assert_int_equal(d.errors, 4);
	assert_int_equal(d.warnings, 1);
	assert_string_equal(d.v[0].summary, "fifth"); /* no file sorts first */
	assert_string_equal(d.v[0].detail, "why");
	assert_string_equal(d.v[1].summary, "second");
	assert_string_equal(d.v[2].summary, "third");
	assert_string_equal(d.v[3].summary, "first 1");
	assert_string_equal(d.v[4].summary, "fourth");
	sf_diags_release(&d);
}

static void
test_fs_read_limits(void **state)
{
	char path[] = "/tmp/sf-test-XXXXXX";
	struct sf_buf b = SF_BUF_INIT;
	struct sf_err err;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(sf_fs_read(path, 100, &b, &err), SF_OK);
	assert_string_equal(b.buf, "0123456789");
	sf_buf_reset(&b);
	assert_int_equal(sf_fs_read(path, 5, &b, &err), SF_EINVALID);
	assert_string_equal(err.msg, "file is 10 bytes; the limit is 5 bytes");
	assert_int_equal(b.len, 0);
	unlink(path);
	assert_int_equal(sf_fs_read(path, 5, &b, &err), SF_ENOTFOUND);
	assert_int_equal(sf_fs_read("/tmp", 5, &b, &err), SF_EINVALID);
	sf_buf_release(&b);
}

static void
test_fs_join(void **state)
{
	char *s;

	(void)state;
	s = sf_fs_join(".", "a.yaml");
	assert_string_equal(s, "a.yaml");
	free(s);
	s = sf_fs_join("dir/", "a.yaml");
	assert_string_equal(s, "dir/a.yaml");
	free(s);
	s = sf_fs_join("dir", "a.yaml");
	assert_string_equal(s, "dir/a.yaml");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_never_null),
		cmocka_unit_test(test_buf_grows_past_format_size),
		cmocka_unit_test(test_error_returns_code),
		cmocka_unit_test(test_distance_and_closest),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_diags_sorted_stably),
		cmocka_unit_test(test_fs_read_limits),
		cmocka_unit_test(test_fs_join),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
