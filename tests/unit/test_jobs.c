/* Unit tests of src/jobs: when a job is due, and what it costs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "jobs/due.h"
#include "jobs/run.h"
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
	/* Weekday 22:00s in the 30 days after Thursday 26 November, 22:30: 21.
	 */
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

/* ---- runs, against a fake data plane ---- */

struct fake {
	int starts, stops, invokes;
	int fail_invokes; /* the first N invokes answer exit code 1 */
	int64_t clock, step_ms;
	int slept;
	volatile sig_atomic_t *raise_on_invoke; /* set it during an invoke */
	char last_session[128];
	char calls[1024];
	char output[2048];
};

static struct fake *
FK(struct sf_provider *p)
{
	return p->impl;
}

static int
fk_start(struct sf_provider *p, const char *interp,
    const struct sf_session_spec *spec, struct sf_session *out,
    struct sf_err *err)
{
	struct fake *f = FK(p);

	(void)err;
	f->starts++;
	memset(out, 0, sizeof(*out));
	out->session_id = sf_xasprintf("S%d", f->starts);
	out->interpreter_id = sf_xstrdup(interp);
	snprintf(f->last_session, sizeof(f->last_session), "%s:%lld",
	    spec->name, (long long)spec->timeout_s);
	return SF_OK;
}

static int
fk_stop(struct sf_provider *p, const char *interp, const char *sid,
    struct sf_err *err)
{
	(void)interp;
	(void)sid;
	(void)err;
	FK(p)->stops++;
	return SF_OK;
}

static int
fk_invoke(struct sf_provider *p, const char *interp, const char *sid,
    const struct sf_tool_call *call,
    int (*on_result)(const struct sf_tool_result *r, void *ud), void *ud,
    struct sf_err *err)
{
	struct fake *f = FK(p);
	struct sf_tool_result r;
	struct sf_content files[1];
	size_t n = strlen(f->calls);
	int rc;

	(void)interp;
	(void)err;
	f->invokes++;
	f->clock += f->step_ms;
	snprintf(f->calls + n, sizeof(f->calls) - n, "%s:%s;", sid, call->name);
	if (f->raise_on_invoke)
		*f->raise_on_invoke = 1;
	memset(&r, 0, sizeof(r));
	r.has_exit_code = true;
	r.exit_code = f->invokes <= f->fail_invokes ? 1 : 0;
	r.is_error = r.exit_code != 0;
	if (call->command)
		r.std_out = sf_xasprintf("ran %s\n", call->command);
	else if (call->code)
		r.std_out = sf_xstrdup("42\n");
	if (call->npaths) {
		memset(files, 0, sizeof(files));
		files[0].type = (char *)"resource";
		files[0].uri = (char *)"file://out.csv";
		files[0].resource_text = (char *)"a,b\n";
		r.content = files;
		r.ncontent = 1;
	}
	if (call->ncontent)
		r.std_out = sf_xasprintf("wrote %s (%s)", call->content[0].path,
		    call->content[0].text ? call->content[0].text : "blob");
	rc = on_result(&r, ud);
	free(r.std_out);
	return rc;
}

static const struct sf_provider_ops fk_ops = {
	.start_session = fk_start, .stop_session = fk_stop, .invoke = fk_invoke
};

static int64_t
fk_now(void *ud)
{
	return ((struct fake *)ud)->clock;
}

static void
fk_sleep(void *ud, int64_t ms)
{
	struct fake *f = ud;

	f->clock += ms;
	f->slept++;
}

static void
fk_output(void *ud, const char *job, const char *step, const char *stream,
    const char *text)
{
	struct fake *f = ud;
	size_t n = strlen(f->output);

	snprintf(f->output + n, sizeof(f->output) - n, "[%s/%s %s] %s", job,
	    step, stream, text);
}

static const char jobs_yaml[] =
    "version: 1\n"
    "jobs:\n"
    "  ok:\n"
    "    interpreter: aws.codeinterpreter.v1\n"
    "    session_timeout: 600\n"
    "    steps:\n"
    "      - command: echo hi\n"
    "        name: greet\n"
    "      - code: print(6 * 7)\n"
    "        expect: { stdout: '^42$' }\n"
    "      - files: [{ path: data.txt, text: hello }]\n"
    "      - fetch: [out.csv]\n"
    "  picky:\n"
    "    interpreter: aws.codeinterpreter.v1\n"
    "    steps:\n"
    "      - code: print(6 * 7)\n"
    "        expect: { stdout: '^43' }\n"
    "      - command: never\n"
    "  flaky:\n"
    "    interpreter: aws.codeinterpreter.v1\n"
    "    retries: 2\n"
    "    steps: [{ command: sometimes }]\n"
    "  slow:\n"
    "    interpreter: aws.codeinterpreter.v1\n"
    "    timeout: 90\n"
    "    session_timeout: 600\n"
    "    steps: [{ command: a }, { command: b }, { command: c }]\n";

static int
run_job(struct fake *f, const char *name, struct sf_run_result *res,
    struct sf_err *err, volatile sig_atomic_t *flag)
{
	struct sf_config *c = NULL;
	struct sf_diags d;
	struct sf_provider p = { &fk_ops, f };
	struct sf_run_opts o;
	int rc;

	sf_diags_init(&d);
	assert_int_equal(sf_manifest_load_buffer("m.yaml", jobs_yaml,
	                     strlen(jobs_yaml), NULL, &c, &d),
	    SF_OK);
	memset(&o, 0, sizeof(o));
	o.run_id = "20261126T220000Z";
	o.interpreter = "aws.codeinterpreter.v1";
	o.scheduled = THU_22;
	o.manifest_dir = ".";
	o.output = fk_output;
	o.output_ud = f;
	o.now_ms = fk_now;
	o.sleep_ms = fk_sleep;
	o.clock_ud = f;
	o.interrupted = flag;
	rc = sf_job_run(&p, sf_config_job(c, name), &o, res, err);
	sf_diags_release(&d);
	sf_config_free(c);
	return rc;
}

static void
test_run_succeeds(void **state)
{
	struct fake f;
	struct sf_run_result res;
	struct sf_err err;
	json_t *j, *steps;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.clock = THU_22;
	f.step_ms = 1500;
	assert_int_equal(run_job(&f, "ok", &res, &err, NULL), SF_OK);
	assert_int_equal(res.outcome, SF_RUN_SUCCEEDED);
	assert_int_equal(f.starts, 1);
	assert_int_equal(f.stops, 1);
	assert_string_equal(f.calls, "S1:executeCommand;S1:executeCode;"
	                             "S1:writeFiles;S1:readFiles;");
	assert_string_equal(
	    f.last_session, "sandform-ok-20261126T220000Z-1:600");
	assert_non_null(strstr(f.output, "[ok/greet stdout] ran echo hi"));
	assert_non_null(strstr(f.output, "[ok/2:code stdout] 42"));
	j = json_loads(res.record, 0, NULL);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(j, "outcome")), "succeeded");
	assert_string_equal(json_string_value(json_object_get(j, "scheduled")),
	    "2026-11-27T03:00:00Z");
	steps = json_object_get(
	    json_array_get(json_object_get(j, "attempts"), 0), "steps");
	assert_int_equal(json_array_size(steps), 4);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(steps, 2), "stdout")),
	    "wrote data.txt (hello)");
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(
	            json_object_get(json_array_get(steps, 3), "files"), 0),
	        "text")),
	    "a,b\n");
	assert_true(json_real_value(json_object_get(
	                json_object_get(j, "cost"), "estimate_usd")) > 0);
	json_decref(j);
	sf_run_result_release(&res);
}

static void
test_run_failures(void **state)
{
	struct fake f;
	struct sf_run_result res;
	struct sf_err err;
	volatile sig_atomic_t flag = 0;

	(void)state;
	/* An expectation that fails stops the run; the session stops. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(run_job(&f, "picky", &res, &err, NULL), SF_ERROR);
	assert_int_equal(res.outcome, SF_RUN_FAILED);
	assert_int_equal(f.invokes, 1);
	assert_int_equal(f.stops, 1);
	assert_non_null(strstr(res.record, "stdout does not match /^43/"));
	assert_non_null(strstr(err.msg, "run 20261126T220000Z failed"));
	sf_run_result_release(&res);

	/* Retries: a fresh session each time, with a pause between. */
	memset(&f, 0, sizeof(f));
	f.fail_invokes = 2;
	assert_int_equal(run_job(&f, "flaky", &res, &err, NULL), SF_OK);
	assert_int_equal(res.attempts, 3);
	assert_int_equal(f.starts, 3);
	assert_int_equal(f.stops, 3);
	assert_int_equal(f.slept, 2);
	sf_run_result_release(&res);

	/* The whole-run timeout: 90 s, steps of 60 s. */
	memset(&f, 0, sizeof(f));
	f.step_ms = 60000;
	assert_int_equal(run_job(&f, "slow", &res, &err, NULL), SF_ERROR);
	assert_int_equal(res.outcome, SF_RUN_TIMED_OUT);
	assert_int_equal(f.invokes, 2);
	assert_int_equal(f.stops, 1);
	/* The session was asked to end at the deadline itself. */
	assert_string_equal(
	    f.last_session, "sandform-slow-20261126T220000Z-1:90");
	sf_run_result_release(&res);

	/* Interrupted: nothing more starts, the session still stops. */
	memset(&f, 0, sizeof(f));
	f.raise_on_invoke = &flag;
	assert_int_equal(run_job(&f, "slow", &res, &err, &flag), SF_EINTR);
	assert_int_equal(res.outcome, SF_RUN_INTERRUPTED);
	assert_int_equal(f.invokes, 1);
	assert_int_equal(f.stops, 1);
	sf_run_result_release(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_deadline_allow_manual),
		cmocka_unit_test(test_next_and_per_month),
		cmocka_unit_test(test_cost),
		cmocka_unit_test(test_run_succeeds),
		cmocka_unit_test(test_run_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
