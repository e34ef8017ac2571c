/* Unit tests of src/jobs: when a job is due, and what it costs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>

#include "jobs/due.h"
#include "manifest/manifest.h"

/* 2026-11-26 22:30 and friends, America/New_York (EST, UTC-5). */
#define NOW     1795750200000LL
#define THU_22  1795748400000LL
#define WED_22  1795662000000LL
#define MON_22  1795489200000LL
#define FRI_22  1795834800000LL
#define MON2_22 1796094000000LL

static const char yaml[] = "version: 1\n"
                           "jobs:\n"
                           "  close:\n"
                           "    interpreter: aws.codeinterpreter.v1\n"
                           "    schedule: \"0 22 * * 1-5\"\n"
                           "    timezone: America/New_York\n"
                           "    steps: [{ command: 'true' }]\n"
                           "  late:\n"
                           "    interpreter: aws.codeinterpreter.v1\n"
                           "    schedule: \"0 22 * * 1-5\"\n"
                           "    timezone: America/New_York\n"
                           "    starting_deadline: 10m\n"
                           "    concurrency: allow\n"
                           "    steps: [{ command: 'true' }]\n"
                           "  manual:\n"
                           "    interpreter: aws.codeinterpreter.v1\n"
                           "    steps: [{ command: 'true' }]\n"
                           "  often:\n"
                           "    interpreter: aws.codeinterpreter.v1\n"
                           "    schedule: every 15m\n"
                           "    steps: [{ command: 'true' }]\n"
                           "  daily:\n"
                           "    interpreter: aws.codeinterpreter.v1\n"
                           "    schedule: \"@daily\"\n"
                           "    steps: [{ command: 'true' }]\n";

static struct sf_config *
config(void)
{
	struct sf_config *c = NULL;
	struct sf_diags d;

	sf_diags_init(&d);
	assert_int_equal(
	    sf_manifest_load_buffer("m.yaml", yaml, strlen(yaml), NULL, &c, &d),
	    SF_OK);
	sf_diags_release(&d);
	return c;
}

static void
test_due(void **state)
{
	struct sf_config *c = config();
	const struct sf_job *j = sf_config_job(c, "close");
	struct sf_rec_job rec;
	struct sf_due d;

	(void)state;
	/* Never ran: due for the latest fire time. */
	assert_int_equal(sf_job_due(j, NULL, NOW, &d, NULL), SF_OK);
	assert_int_equal(d.verdict, SF_DUE_YES);
	assert_int_equal(d.fired, THU_22);
	assert_int_equal(d.next, FRI_22);
	assert_string_equal(d.reason,
	    "due: fired 2026-11-26 22:00 America/New_York; last run never");

	memset(&rec, 0, sizeof(rec));
	rec.last_scheduled = WED_22;
	sf_job_due(j, &rec, NOW, &d, NULL);
	assert_int_equal(d.verdict, SF_DUE_YES);
	assert_string_equal(d.reason,
	    "due: fired 2026-11-26 22:00 America/New_York; last run "
	    "2026-11-25 22:00 America/New_York");

	/* Already ran for that fire time. */
	rec.last_scheduled = THU_22;
	sf_job_due(j, &rec, NOW, &d, NULL);
	assert_int_equal(d.verdict, SF_DUE_NO);

	/* CI was down Tuesday to Thursday: one run, for the latest. */
	rec.last_scheduled = MON_22;
	sf_job_due(j, &rec, NOW, &d, NULL);
	assert_int_equal(d.verdict, SF_DUE_YES);
	assert_int_equal(d.fired, THU_22);

	/* Friday 22:00 to Monday 22:00: the weekend does not fire. */
	rec.last_scheduled = FRI_22;
	sf_job_due(j, &rec, MON2_22 - 60000, &d, NULL);
	assert_int_equal(d.verdict, SF_DUE_NO);
	assert_int_equal(d.next, MON2_22);

	/* concurrency: forbid while a run is recorded in progress. */
	rec.last_scheduled = WED_22;
	rec.running = (char *)"run-7";
	sf_job_due(j, &rec, NOW, &d, NULL);
	assert_int_equal(d.verdict, SF_DUE_BLOCKED);
	assert_non_null(strstr(d.reason, "run-7 is still in progress"));
	sf_config_free(c);
}

static void
test_deadline_allow_manual(void **state)
{
	struct sf_config *c = config();
	struct sf_rec_job rec;
	struct sf_due d;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	rec.last_scheduled = WED_22;
	rec.running = (char *)"run-8";
	/* 30 minutes late with a 10 minute deadline: missed. */
	sf_job_due(sf_config_job(c, "late"), &rec, NOW, &d, NULL);
	assert_int_equal(d.verdict, SF_DUE_MISSED);
	assert_int_equal(d.fired, THU_22);
	/* 5 minutes late: due, and allow ignores the run in progress. */
	sf_job_due(sf_config_job(c, "late"), &rec, THU_22 + 300000, &d, NULL);
	assert_int_equal(d.verdict, SF_DUE_YES);

	sf_job_due(sf_config_job(c, "manual"), NULL, NOW, &d, NULL);
	assert_int_equal(d.verdict, SF_DUE_NO);
	assert_non_null(strstr(d.reason, "sandform run manual"));
	sf_config_free(c);
}

static void
test_next_and_per_month(void **state)
{
	struct sf_config *c = config();
	int64_t next[3];

	(void)state;
	assert_int_equal(
	    sf_job_next_times(sf_config_job(c, "close"), NOW, next, 3), 3);
	assert_int_equal(next[0], FRI_22);
	assert_int_equal(next[1], MON2_22);
	assert_int_equal(
	    sf_job_next_times(sf_config_job(c, "manual"), NOW, next, 3), 0);
	assert_int_equal(
	    sf_job_runs_per_month(sf_config_job(c, "often"), NOW, 100000),
	    2880);
	assert_int_equal(
	    sf_job_runs_per_month(sf_config_job(c, "daily"), NOW, 100000), 30);
	/* Weekday 22:00s in the 30 days after Thursday 26 November, 22:30: 21. */
	assert_int_equal(
	    sf_job_runs_per_month(sf_config_job(c, "close"), NOW, 100000), 21);
	assert_int_equal(
	    sf_job_runs_per_month(sf_config_job(c, "manual"), NOW, 100000), 0);
	sf_config_free(c);
}

static void
test_cost(void **state)
{
	struct sf_rates r;
	double hour = 2 * 0.0895 + 8 * 0.00945;

	(void)state;
	sf_rates_default(&r);
	assert_true(fabs(sf_session_cost(&r, 3600000) - hour) < 1e-9);
	/* One second at least, and whole seconds. */
	assert_true(fabs(sf_session_cost(&r, 0) - hour / 3600) < 1e-12);
	assert_true(fabs(sf_session_cost(&r, 1001) - 2 * hour / 3600) < 1e-12);
	r.vcpus = 1;
	r.memory_gb = 0.128;
	assert_true(fabs(sf_session_cost(&r, 3600000) -
	                 (0.0895 + 0.128 * 0.00945)) < 1e-9);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_deadline_allow_manual),
		cmocka_unit_test(test_next_and_per_month),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
