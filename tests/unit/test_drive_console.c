/*
 * run: {until: {console: TEXT}} (scenarios/README.md: "TEXT appeared in console output written
 * during this step"), through run_scenario on the bundled firmware. The bootloader prints
 * "[BOOT] reset: <kind>" and "[BOOT] jumping to 0x8400" at every boot, the app "[APP] boot
 * confirmed" a little after it starts: text printed before a step never ends it, text printed
 * during it does, and the console holds every line once.
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

/* The scenario "console" with app v1 active and these steps (YAML list items), run once. */
static void run_steps(const char *steps, run_verdict_t *v)
{
    char path[] = "/tmp/fwemu-test-drive-console-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "name: console\nsetup:\n  active: {image: app_v1, version: 1}\nsteps:\n%s", steps);
    fclose(f);
    scenario_t s;
    char err[512] = "";
    int rc = scenario_load(path, &s, err, sizeof err);
    unlink(path);
    if (rc != SCN_OK)
        fail_msg("the scenario does not load: %s", err);
    run_opts_t o = { 0 };
    assert_int_equal(run_scenario(&s, &o, 1, 0, 1, 0, v), RUN_OK);
    scenario_free(&s);
}

/* Every line of the console once: no line written twice by a resumed store, no empty line. */
static void assert_console_lines_once(const run_verdict_t *v)
{
    assert_non_null(v->console);
    if (strstr(v->console, "\n\n") || strlen(v->console) > 4096)
        fail_msg("the console has an empty line or is too long (%zu bytes): \"%.600s\"", strlen(v->console),
                 v->console);
}

/* Text printed only before the step (the first boot's) is never reached: the step times out. */
static void text_from_before_the_step_is_not_reached(void **state)
{
    static const char *const steps[] = {
        "  - boot: {until: app_running}\n  - run: {until: {console: \"[BOOT] jumping\"}, timeout: 1s}\n",
        "  - boot: {until: app_running}\n  - reset: pin\n"
        "  - run: {until: {console: \"[BOOT] reset: power-on\"}, timeout: 1s}\n",
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        run_verdict_t v;
        run_steps(steps[i], &v);
        if (v.pass || !strstr(v.message, "not reached within 1.000 s of emulated time"))
            fail_msg("case %zu: %s", i, v.pass ? "passed" : v.message);
        assert_int_equal(v.line, i ? 7 : 6);
        assert_console_lines_once(&v);
        run_verdict_free(&v);
    }
}

/* Text printed during the step ends it, at the newline after it; after a pin reset the
 * bootloader prints "[BOOT] jumping" again. */
static void text_written_during_the_step_is_reached(void **state)
{
    run_verdict_t v;
    run_steps("  - boot: {until: app_running}\n  - run: {until: {console: \"[APP] boot confirmed\"}}\n"
              "  - reset: pin\n  - run: {until: {console: \"[BOOT] jumping\"}}\n", &v);
    if (!v.pass)
        fail_msg("%s", v.message);
    assert_console_lines_once(&v);
    assert_non_null(strstr(v.console, "[APP] boot confirmed\n"));
    const char *pin = strstr(v.console, "[BOOT] reset: pin\n");
    assert_non_null(pin);
    const char *end = v.console + strlen(v.console);
    static const char tail[] = "[BOOT] jumping to 0x8400\n";
    assert_true((size_t)(end - pin) > sizeof tail);
    assert_string_equal(end - (sizeof tail - 1), tail);
    run_verdict_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_from_before_the_step_is_not_reached),
        cmocka_unit_test(text_written_during_the_step_is_reached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
