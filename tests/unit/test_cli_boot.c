/*
 * fwemu boot's outcome (harness/cli/cmd_boot.c) comes from what the device did, never from where
 * its PC happened to be when a limit stopped it: a time or instruction budget is a timeout even
 * in the bootloader, and no_bootable_image needs evidence (the bootloader said so, or it halted
 * with nothing bootable in flash).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "cli/cli.h"
#include "emu.h"
#include "test_cli_capture.h"

/* boot --json ARGS...: the outcome and stop_reason it printed, and its exit status. */
typedef struct booted {
    int status;
    char outcome[64], stop[64];
} booted_t;

static booted_t boot_json(const char *a1, const char *a2, const char *a3)
{
    captured_t c = capture_cmd(cmd_boot, "boot", "--json", a1, a2, a3, NULL);
    booted_t b = { .status = c.status };
    json_error_t je;
    json_t *o = json_loads(c.out, 0, &je);
    if (!o)
        fail_msg("not JSON (%s), stderr: %s", je.text, c.err);
    snprintf(b.outcome, sizeof b.outcome, "%s", json_string_value(json_object_get(o, "outcome")));
    snprintf(b.stop, sizeof b.stop, "%s", json_string_value(json_object_get(o, "stop_reason")));
    json_decref(o);
    captured_free(&c);
    return b;
}

static void the_bundled_image_boots(void **state)
{
    (void)state;
    booted_t b = boot_json(NULL, NULL, NULL);
    assert_string_equal(b.outcome, "app_running");
    assert_int_equal(b.status, FWEMU_EXIT_OK);
}

/* Both limits stop the bundled image while its bootloader still checks the images. */
static void a_limit_reached_in_the_bootloader_is_a_timeout(void **state)
{
    (void)state;
    static const struct { const char *opt, *value, *stop; } limits[] = {
        { "--max-insns", "1000000", "budget" },
        { "--max-time", "0.001", "time" },
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        booted_t b = boot_json(limits[i].opt, limits[i].value, NULL);
        assert_string_equal(b.stop, limits[i].stop);
        assert_string_equal(b.outcome, "timeout");
        assert_int_equal(b.status, FWEMU_EXIT_FAIL);
    }
}

static void a_corrupt_active_image_and_no_candidate_is_no_bootable_image(void **state)
{
    (void)state;
    char path[] = "/tmp/test_cli_boot_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    captured_t c = capture_cmd(cmd_image, "image", "-o", path, "--bootloader", "bundled:bootloader", "--active",
                               "bundled:app_v1", "--active-version", "1", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    captured_free(&c);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 0x8400 + 200, SEEK_SET);
    fputc(0x00, f);
    fclose(f);
    booted_t b = boot_json(path, NULL, NULL);
    assert_string_equal(b.stop, "halted");
    assert_string_equal(b.outcome, "no_bootable_image");
    assert_int_equal(b.status, FWEMU_EXIT_FAIL);
    unlink(path);
}

/* ---- the rules alone ------------------------------------------------------------------------- */

static const char *outcome(cli_boot_evidence_t e) { return cli_boot_outcome(&e); }

static void limits_are_timeouts_whatever_the_flash_holds(void **state)
{
    (void)state;
    const int limits[] = { EMU_STOP_TIME, EMU_STOP_BUDGET, EMU_STOP_RESETS };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        assert_string_equal(outcome((cli_boot_evidence_t){ .stop = limits[i], .update_layout = true }), "timeout");
        assert_string_equal(outcome((cli_boot_evidence_t){ .stop = limits[i], .update_layout = true,
                                                           .flash_unbootable = true }), "timeout");
    }
}

static void the_bootloaders_own_verdict_is_no_bootable_image(void **state)
{
    (void)state;
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_TIME, .update_layout = true,
                                                       .said_no_image = true }), "no_bootable_image");
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_HALT, .update_layout = true,
                                                       .said_no_image = true }), "no_bootable_image");
}

static void a_halt_with_nothing_bootable_in_flash_is_no_bootable_image(void **state)
{
    (void)state;
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_HALT, .update_layout = true,
                                                       .flash_unbootable = true }), "no_bootable_image");
    /* a halt with a bootable image in flash is not a brick: the device halted for another reason */
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_HALT, .update_layout = true }), "halted");
}

static void a_plain_elf_is_never_no_bootable_image(void **state)
{
    (void)state;
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_HALT, .said_no_image = true,
                                                       .flash_unbootable = true }), "halted");
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_SEMIHOST_EXIT }), "halted");
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_BUDGET }), "timeout");
}

static void running_faults_and_lockups_come_first(void **state)
{
    (void)state;
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_TIME, .app_running = true,
                                                       .said_no_image = true }), "app_running");
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_FAULT, .update_layout = true }), "fault");
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_TIME, .in_fault_handler = true,
                                                       .update_layout = true, .said_no_image = true }), "fault");
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_LOCKUP }), "lockup");
    assert_string_equal(outcome((cli_boot_evidence_t){ .stop = EMU_STOP_RESETS, .locked_up = true }), "lockup");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_bundled_image_boots),
        cmocka_unit_test(a_limit_reached_in_the_bootloader_is_a_timeout),
        cmocka_unit_test(a_corrupt_active_image_and_no_candidate_is_no_bootable_image),
        cmocka_unit_test(limits_are_timeouts_whatever_the_flash_holds),
        cmocka_unit_test(the_bootloaders_own_verdict_is_no_bootable_image),
        cmocka_unit_test(a_halt_with_nothing_bootable_in_flash_is_no_bootable_image),
        cmocka_unit_test(a_plain_elf_is_never_no_bootable_image),
        cmocka_unit_test(running_faults_and_lockups_come_first),
    };
    return cmocka_run_group_tests_name("cli_boot", tests, NULL, NULL);
}
