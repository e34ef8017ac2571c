/* Unit tests of src/model: lookups by name and the names of enums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "model/model.h"

static void
test_lookup_by_name(void **state)
{
	static const char *const names[] = { "alpha", "beta", "delta",
		"gamma" };
	struct sf_config *c = sf_config_new();
	size_t i;

	(void)state;
	c->interpreters = sf_xcalloc(4, sizeof(*c->interpreters));
	c->jobs = sf_xcalloc(4, sizeof(*c->jobs));
	for (i = 0; i < 4; i++) {
		c->interpreters[i].name.s = names[i];
		c->jobs[i].name.s = names[i];
	}
	c->ninterpreters = 4;
	c->njobs = 3;
	for (i = 0; i < 4; i++)
		assert_ptr_equal(
		    sf_config_interpreter(c, names[i]), &c->interpreters[i]);
	assert_null(sf_config_interpreter(c, "aaa"));
	assert_null(sf_config_interpreter(c, "zeta"));
	assert_null(sf_config_interpreter(c, "betaa"));
	assert_ptr_equal(sf_config_job(c, "delta"), &c->jobs[2]);
	assert_null(sf_config_job(c, "gamma")); /* beyond njobs */
	sf_config_free(c);
}

static void
test_enum_names(void **state)
{
	(void)state;
	assert_string_equal(sf_network_name(SF_NET_SANDBOX), "SANDBOX");
	assert_string_equal(sf_network_name(SF_NET_PUBLIC), "PUBLIC");
	assert_string_equal(sf_network_name(SF_NET_VPC), "VPC");
	assert_string_equal(sf_language_name(SF_LANG_PYTHON), "python");
	assert_string_equal(sf_language_name(SF_LANG_JAVASCRIPT), "javascript");
	assert_string_equal(sf_language_name(SF_LANG_TYPESCRIPT), "typescript");
	assert_string_equal(sf_step_kind_name(SF_STEP_COMMAND), "command");
	assert_string_equal(sf_step_kind_name(SF_STEP_CODE), "code");
	assert_string_equal(sf_step_kind_name(SF_STEP_FILES), "files");
	assert_string_equal(sf_step_kind_name(SF_STEP_FETCH), "fetch");
	assert_string_equal(sf_target_name(SF_TARGET_LOCAL), "local");
	assert_string_equal(sf_target_name(SF_TARGET_AWS), "aws");
}

static void
test_free_null_and_empty(void **state)
{
	(void)state;
	sf_config_free(NULL);
	sf_config_free(sf_config_new());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_by_name),
		cmocka_unit_test(test_enum_names),
		cmocka_unit_test(test_free_null_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
