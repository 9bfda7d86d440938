/*
 * The scenario and sweep rooms' contract, through their public entry points: scenario_load
 * (scenario/scenario.h) and run_scenario (sweep/sweep.h) on small scenarios written here, run on
 * the bundled firmware. One test per behaviour.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario/scenario.h"
#include "sweep/sweep.h"

/* Write `yaml` to a temporary file, load it (must load), run it; returns run_scenario's code. */
static int run_yaml(const char *yaml, run_verdict_t *v)
{
    char path[] = "/tmp/fwemu-test-run-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    scenario_t s;
    char err[512] = "";
    int lrc = scenario_load(path, &s, err, sizeof err);
    unlink(path);
    if (lrc != SCN_OK)
        fail_msg("scenario did not load: %s", err);
    run_opts_t o = { 0 };
    int rc = run_scenario(&s, &o, 1, 0, 1, 0, v);
    scenario_free(&s);
    return rc;
}

/* Run `fmt` with `extra` in its %s: it must fail at `line` with a message containing every
 * `want` (NULL-terminated). */
static void expect_failure(const char *fmt, const char *extra, int line, const char *const *want)
{
    char yaml[1024];
    run_verdict_t v;
    snprintf(yaml, sizeof yaml, fmt, extra);
    assert_int_equal(run_yaml(yaml, &v), RUN_OK);
    assert_false(v.pass);
    assert_int_equal(v.line, line);
    for (size_t i = 0; want[i]; i++)
        if (!strstr(v.message, want[i]))
            fail_msg("\"%s\" not in \"%s\"", want[i], v.message);
    run_verdict_free(&v);
}

/* Run `fmt` with `extra` in its %s: it must pass; returns the number of cut points run. */
static size_t expect_pass(const char *fmt, const char *extra)
{
    char yaml[1024];
    run_verdict_t v;
    snprintf(yaml, sizeof yaml, fmt, extra);
    assert_int_equal(run_yaml(yaml, &v), RUN_OK);
    if (!v.pass)
        fail_msg("%s", v.message);
    size_t n = v.ncuts;
    run_verdict_free(&v);
    return n;
}

/* Load only: the loader's code, and its message in err. */
static int load_yaml(const char *yaml, char *err, size_t errlen)
{
    char path[] = "/tmp/fwemu-test-load-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    scenario_t s;
    int rc = scenario_load(path, &s, err, errlen);
    unlink(path);
    if (rc == SCN_OK)
        scenario_free(&s);
    return rc;
}

/* run: {until: {time: D}} ends at D whatever D, even under one instruction block's time. */
static void test_short_time_waits_end_at_their_time(void **state)
{
    static const char *const d[] = { "1ns", "25ns", "1us", "5us", "10us", "11us", "100us" };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "name: short-wait\nsetup:\n  active: {image: app_v1, version: 1}\n"
                 "steps:\n  - boot: {until: app_running}\n  - run: {until: {time: %s}}\n"
                 "  - run: {until: {time: %s}}\nexpect:\n  running: {version: 1}\n", d[i], d[i]);
        run_verdict_t v;
        assert_int_equal(run_yaml(yaml, &v), RUN_OK);
        if (!v.pass)
            fail_msg("until time %s: %s", d[i], v.message);
        run_verdict_free(&v);
    }
}

/* A repeat count is bounded at load time, with the value's position. */
static void test_repeat_count_is_bounded(void **state)
{
    char err[512];
    int rc = load_yaml("name: r\nsetup:\n  active: {image: app_v1}\nsteps:\n  - boot\n"
                       "  - repeat: {count: 4294967295, steps: [{reset: pin}]}\n", err, sizeof err);
    assert_int_equal(rc, SCN_ERR_SCHEMA);
    assert_non_null(strstr(err, ":6:21: 'count': 4294967295 is over 100000"));
}

/* Nested repeats that would run more steps than budget.steps are refused at load time. */
static void test_steps_over_the_budget_are_refused(void **state)
{
    char err[512];
    int rc = load_yaml("name: r\nsetup:\n  active: {image: app_v1}\nsteps:\n  - boot\n"
                       "  - repeat: {count: 1000, steps: [{repeat: {count: 1000, steps: [{reset: pin}]}}]}\n",
                       err, sizeof err);
    assert_int_equal(rc, SCN_ERR_SCHEMA);
    assert_non_null(strstr(err, "the steps run 1001002 times in all (repeats counted), over the step budget of 100000"));
    rc = load_yaml("name: r\nbudget: {steps: 3}\nsetup:\n  active: {image: app_v1}\nsteps:\n  - boot\n"
                   "  - repeat: {count: 2, steps: [{reset: pin}]}\n", err, sizeof err);
    assert_int_equal(rc, SCN_ERR_SCHEMA);
    assert_non_null(strstr(err, "run 4 times in all"));
}

/* A run that would pass the scenario's emulated-time budget fails there, saying so. */
static void test_time_budget_ends_the_run(void **state)
{
    run_verdict_t v;
    assert_int_equal(run_yaml("name: b\nbudget: {time: 2s}\nsetup:\n  active: {image: app_v1}\n"
                              "steps:\n  - boot\n  - run: {until: {time: 30s}}\n", &v), RUN_OK);
    assert_false(v.pass);
    assert_non_null(strstr(v.message, "emulated-time budget (2.000 s, budget.time) is used up"));
    assert_int_equal(v.line, 7);
    assert_true(v.time_ns >= 2000000000ull && v.time_ns < 2100000000ull);
    run_verdict_free(&v);
}

/* A sweep whose plan selects no flash operation fails, unless it says it may be empty. */
static void test_empty_sweep_fails_unless_allowed(void **state)
{
    static const char *const y =
        "name: e\nsetup:\n  active: {image: app_v1, version: 1}\n  candidate: {image: app_v2, version: 2}\n"
        "expect:\n  eventually: {version: 2}\nsweep:\n  kind: erase\n  region: kvstore\n%s";
    expect_failure(y, "", 7, (const char *const[]){ "the plan has no cut point", NULL });
    assert_int_equal(expect_pass(y, "  allow_empty: true\n"), 0);
}

/* An install sweep whose baseline does not install (candidate not newer) fails: nothing is cut. */
static void test_install_sweep_baseline_must_install(void **state)
{
    run_verdict_t v;
    assert_int_equal(run_yaml("name: n\nsetup:\n  active: {image: app_v2, version: 2}\n"
                              "  candidate: {image: app_v1, version: 1}\nexpect:\n  one_of: [1, 2]\n"
                              "  eventually: {version: 1, within_boots: 3}\nsweep:\n  modes: [torn]\n", &v),
                     RUN_OK);
    assert_false(v.pass);
    assert_int_equal(v.line, 7);
    assert_non_null(strstr(v.message, "app v2 runs after the steps, not v1 (eventually)"));
    assert_int_equal(v.ncuts, 0);
    run_verdict_free(&v);
}

/* The write oracle: a bootloader that erases the candidate storage fails any scenario, at the
 * operation, unless expect.may_write allows it. */
static void test_write_oracle_catches_a_bootloader_writing_the_candidate(void **state)
{
    static const char *const y =
        "name: w\ndevice: {bootloader: 'bundled:erase_candidate_early'}\nsetup:\n"
        "  active: {image: app_v1, version: 1}\n  candidate: {image: app_v2, version: 2}\n"
        "steps:\n  - boot: {until: app_running, version: 2}\nexpect:\n  running: {version: 2}\n%s";
    expect_failure(y, "", 7, (const char *const[]){ "write oracle: the bootloader's erase",
                   "touches candidate-header, outside what it may write (active;", NULL });
    expect_pass(y, "  may_write: {bootloader: [candidate]}\n");
}

/* A device whose every reset locks up at once (sector 0 erased) passes no time and runs no
 * instruction: a wait for anything ends on the reset-loop guard, never hangs. */
static void test_reset_loop_ends_every_wait(void **state)
{
    static const char *const fmt = "name: l\nsetup:\n  flash: erased\nsteps:\n  - boot: {until: %s}\n";
    static const char *const until[] = { "{console: never}", "{time: 1s}", "{flash_op: {n: 1}}", "app_running",
                                         "halt" };
    for (size_t i = 0; i < sizeof until / sizeof until[0]; i++)
        expect_failure(fmt, until[i], 5, (const char *const[]){ "reset loop: 12 resets without the app running",
                                                                NULL });
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_time_waits_end_at_their_time),
        cmocka_unit_test(test_repeat_count_is_bounded),
        cmocka_unit_test(test_steps_over_the_budget_are_refused),
        cmocka_unit_test(test_time_budget_ends_the_run),
        cmocka_unit_test(test_empty_sweep_fails_unless_allowed),
        cmocka_unit_test(test_install_sweep_baseline_must_install),
        cmocka_unit_test(test_write_oracle_catches_a_bootloader_writing_the_candidate),
        cmocka_unit_test(test_reset_loop_ends_every_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
