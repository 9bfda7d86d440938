/*
 * End-to-end boots of the bundled bootloader and app on the emulated K64F (machine + device
 * layer, no CLI): the install flow and its failure modes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scenario/device.h"
#include "codec/image.h"
#include "mbed_header.h"

typedef struct boot {
    fw_layout_t l;
    uint8_t *flash;
    emu_machine_t *m;
    emu_result_t res;
    device_running_t run;
    flash_stats_t fs;
} boot_t;

static void make_image(boot_t *b, unsigned active, unsigned cand)
{
    fw_layout_default(&b->l);
    b->flash = malloc(b->l.flash_size);
    assert_non_null(b->flash);
    char err[256];
    assert_int_equal(device_bundled_image(&b->l, b->flash, b->l.flash_size, active, cand, err, sizeof err), 0);
}

static void run(boot_t *b)
{
    emu_config_t cfg;
    device_config(&cfg, &b->l);
    assert_int_equal(emu_create(&cfg, &b->m), EMU_OK);
    flash_host_write(emu_flash(b->m), 0, b->flash, b->l.flash_size);
    assert_int_equal(emu_power_on(b->m), EMU_OK);
    emu_stop_t stop = { .app_running = true, .time_ns = 20ull * 1000000000ull, .resets = 8 };
    assert_int_equal(emu_run(b->m, &stop, &b->res), EMU_OK);
    if (b->res.reason == EMU_STOP_APP_RUNNING) {
        /* The generic rule (VTOR moved into the app and the CPU there) fires at the jump; give
         * the app 100 ms to print its banner and write its version marker. */
        emu_stop_t more = { .time_ns = emu_time_ns(b->m) + 100000000ull };
        emu_result_t r2;
        assert_int_equal(emu_run(b->m, &more, &r2), EMU_OK);
        assert_true(emu_app_running(b->m));
    }
    device_running_info(b->m, &b->l, &b->run);
    flash_stats(emu_flash(b->m), &b->fs);
}

static void done(boot_t *b)
{
    emu_destroy(b->m);
    free(b->flash);
}

static const char *console(boot_t *b) { return emu_console(b->m, NULL); }

static void active_v1_only_runs_v1(void **state)
{
    boot_t b;
    make_image(&b, 1, 0);
    run(&b);
    assert_int_equal(b.res.reason, EMU_STOP_APP_RUNNING);
    assert_int_equal(emu_app_marker(b.m), 1);
    assert_true(b.run.header_valid);
    assert_int_equal(b.run.version, 1);
    assert_true(b.run.digest_matches);
    assert_int_equal(b.fs.programs, 0);
    assert_int_equal(b.fs.erases, 0);
    assert_non_null(strstr(console(&b), "[APP] fwemu app v1 running"));
    done(&b);
}

static void newer_candidate_is_installed(void **state)
{
    boot_t b;
    make_image(&b, 1, 2);
    run(&b);
    assert_int_equal(b.res.reason, EMU_STOP_APP_RUNNING);
    assert_int_equal(emu_app_marker(b.m), 2);
    assert_int_equal(b.run.version, 2);
    assert_true(b.run.digest_matches);
    assert_true(b.fs.erases > 0);
    assert_true(b.fs.programs > 0);
    assert_int_equal(b.fs.defects, 0);
    assert_non_null(strstr(console(&b), "[APP] fwemu app v2 running"));
    /* the candidate is left intact */
    assert_memory_equal(flash_mem(emu_flash(b.m)) + b.l.candidate_start, b.flash + b.l.candidate_start,
                        b.l.candidate_size);
    done(&b);
}

static void older_candidate_is_ignored(void **state)
{
    boot_t b;
    make_image(&b, 2, 1);
    run(&b);
    assert_int_equal(emu_app_marker(b.m), 2);
    assert_int_equal(b.fs.programs, 0);
    assert_int_equal(b.fs.erases, 0);
    done(&b);
}

static void corrupt_active_recovers_from_candidate(void **state)
{
    boot_t b;
    make_image(&b, 1, 2);
    b.flash[b.l.app_start + 100] ^= 0x01;          /* body no longer matches the header hash */
    run(&b);
    assert_int_equal(b.res.reason, EMU_STOP_APP_RUNNING);
    assert_int_equal(emu_app_marker(b.m), 2);
    assert_true(b.run.digest_matches);
    done(&b);
}

static void corrupt_active_and_no_candidate_is_a_brick(void **state)
{
    boot_t b;
    make_image(&b, 1, 0);
    b.flash[b.l.app_start + 100] ^= 0x01;
    run(&b);
    assert_false(emu_app_running(b.m));
    assert_int_not_equal(b.res.reason, EMU_STOP_APP_RUNNING);
    assert_non_null(strstr(console(&b), "no bootable image"));
    assert_int_equal(b.fs.programs, 0);
    done(&b);
}

static void snapshot_restore_replays_identically(void **state)
{
    boot_t b;
    make_image(&b, 1, 2);
    emu_config_t cfg;
    device_config(&cfg, &b.l);
    assert_int_equal(emu_create(&cfg, &b.m), EMU_OK);
    flash_host_write(emu_flash(b.m), 0, b.flash, b.l.flash_size);
    emu_power_on(b.m);
    /* stop at the 5th flash operation of the install, snapshot, finish, restore, finish again */
    emu_stop_t s1 = { .flash_ops = 5, .time_ns = 20ull * 1000000000ull };
    assert_int_equal(emu_run(b.m, &s1, &b.res), EMU_OK);
    assert_int_equal(b.res.reason, EMU_STOP_FLASH_OP);
    emu_snapshot_t *snap;
    assert_int_equal(emu_snapshot_save(b.m, &snap), EMU_OK);
    emu_stop_t s2 = { .app_running = true, .time_ns = 20ull * 1000000000ull };
    emu_result_t r1, r2;
    assert_int_equal(emu_run(b.m, &s2, &r1), EMU_OK);
    uint8_t *after1 = malloc(b.l.flash_size);
    memcpy(after1, flash_mem(emu_flash(b.m)), b.l.flash_size);
    assert_int_equal(emu_snapshot_restore(b.m, snap), EMU_OK);
    assert_int_equal(emu_run(b.m, &s2, &r2), EMU_OK);
    assert_int_equal(r1.reason, EMU_STOP_APP_RUNNING);
    assert_int_equal(r2.reason, EMU_STOP_APP_RUNNING);
    assert_int_equal(r1.insns, r2.insns);
    assert_int_equal(r1.time_ns, r2.time_ns);
    assert_memory_equal(after1, flash_mem(emu_flash(b.m)), b.l.flash_size);
    free(after1);
    emu_snapshot_free(snap);
    done(&b);
}

/* A program that never feeds the watchdog (enabled out of reset on the K64F): vectors at 0,
 * FCF at 0x400, "b ." at 0x410. The WDOG must reset the chip after its ~1.19 s reset timeout. */
static void unfed_watchdog_resets_the_chip(void **state)
{
    emu_config_t cfg;
    fw_layout_t l;
    fw_layout_default(&l);
    device_config(&cfg, &l);
    emu_machine_t *m;
    assert_int_equal(emu_create(&cfg, &m), EMU_OK);
    uint32_t vec[2] = { 0x20001000u, 0x411u };
    uint8_t fcf[16];
    memset(fcf, 0xFF, sizeof fcf);
    fcf[12] = 0xFE;
    uint8_t loop[2] = { 0xFE, 0xE7 };
    flash_host_write(emu_flash(m), 0, (const uint8_t *)vec, sizeof vec);
    flash_host_write(emu_flash(m), 0x400, fcf, sizeof fcf);
    flash_host_write(emu_flash(m), 0x410, loop, sizeof loop);
    assert_int_equal(emu_power_on(m), EMU_OK);
    emu_stop_t stop = { .resets = 1, .time_ns = 5000000000ull };
    emu_result_t res;
    assert_int_equal(emu_run(m, &stop, &res), EMU_OK);
    assert_int_equal(res.reason, EMU_STOP_RESETS);
    assert_int_equal(emu_reset_count(m, EMU_RESET_WATCHDOG), 1);
    assert_true(res.time_ns > 1100000000ull && res.time_ns < 1300000000ull);
    uint8_t srs0 = 0;
    assert_int_equal(emu_mem_read(m, 0x4007F000u, &srs0, 1), EMU_OK);
    assert_int_equal(srs0 & 0x20, 0x20);                  /* RCM_SRS0.WDOG */
    emu_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(active_v1_only_runs_v1),
        cmocka_unit_test(newer_candidate_is_installed),
        cmocka_unit_test(older_candidate_is_ignored),
        cmocka_unit_test(corrupt_active_recovers_from_candidate),
        cmocka_unit_test(corrupt_active_and_no_candidate_is_a_brick),
        cmocka_unit_test(snapshot_restore_replays_identically),
        cmocka_unit_test(unfed_watchdog_resets_the_chip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
