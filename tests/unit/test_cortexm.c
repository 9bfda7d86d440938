/*
 * ARMv7-M exception behaviour on the emulated core: each tests/fw program checks one area from
 * inside the firmware (the same ELFs pass on qemu-system-arm -M mps2-an386) and exits through
 * semihosting with 0 or the number of the first failed check. Checks that fwemu's CPU library
 * cannot model are listed per program (FWEMU_GAPS) and reported on the console as "GAP n".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emu.h"

static emu_machine_t *run_elf(const char *name, emu_result_t *res)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.elf", FWEMU_TESTFW_DIR, name);
    emu_config_t cfg;
    emu_config_defaults(&cfg);
    cfg.wdog_enabled = false;
    emu_machine_t *m = NULL;
    assert_int_equal(emu_create(&cfg, &m), EMU_OK);
    assert_int_equal(emu_load_elf(m, path), EMU_OK);
    assert_int_equal(emu_power_on(m), EMU_OK);
    emu_stop_t stop = { .time_ns = 5000000000ull, .resets = 4 };
    assert_int_equal(emu_run(m, &stop, res), EMU_OK);
    return m;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void expect_pass(const char *name, size_t gaps)
{
    emu_result_t res;
    emu_machine_t *m = run_elf(name, &res);
    const char *con = emu_console(m, NULL);
    if (res.reason != EMU_STOP_SEMIHOST_EXIT || res.exit_code != 0)
        print_message("%s console:\n%s\n", name, con);
    assert_int_equal(res.reason, EMU_STOP_SEMIHOST_EXIT);
    assert_int_equal(res.exit_code, 0);
    assert_int_equal(count(con, "GAP "), gaps);
    emu_destroy(m);
}

static void reset_from_vector_table(void **s) { expect_pass("reset_vectors", 0); }
static void svc_stacking_and_stacks(void **s) { expect_pass("svc", 0); }
static void pendsv_systick_tail_chaining(void **s) { expect_pass("pendsv_systick", 0); }
static void nvic_priorities_and_masks(void **s) { expect_pass("nvic_priority", 1); }
static void faults_escalate_to_hardfault(void **s) { expect_pass("hardfault", 12); }
static void fp_extended_frames(void **s) { expect_pass("fpu_frame", 16); }
static void sha256_assembly_matches_fips(void **s) { expect_pass("sha256_m4", 0); }

static void fault_in_hardfault_locks_up_and_resets(void **s)
{
    emu_result_t res;
    emu_machine_t *m = run_elf("lockup", &res);
    assert_int_equal(res.reason, EMU_STOP_SEMIHOST_EXIT);
    assert_int_equal(res.exit_code, 0);
    assert_int_equal(emu_reset_count(m, EMU_RESET_LOCKUP), 1);
    assert_int_equal(emu_lockup_count(m), 1);
    emu_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_from_vector_table),
        cmocka_unit_test(svc_stacking_and_stacks),
        cmocka_unit_test(pendsv_systick_tail_chaining),
        cmocka_unit_test(nvic_priorities_and_masks),
        cmocka_unit_test(faults_escalate_to_hardfault),
        cmocka_unit_test(fp_extended_frames),
        cmocka_unit_test(sha256_assembly_matches_fips),
        cmocka_unit_test(fault_in_hardfault_locks_up_and_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
