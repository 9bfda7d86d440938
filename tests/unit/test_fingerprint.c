/*
 * emu_fingerprint (emu.h): what the sweep runner's recovery sharing relies on.
 *   - two machines that ran the same thing after power-on, the power having been off for a
 *     different time before (so every absolute time and instruction count differs), fingerprint
 *     alike at the same point of the boot (SysTick, watchdog, FTFE and the time base are taken
 *     relative to now), and keep doing so as they run on;
 *   - a different power-off time that happens to leave the instruction-count phase different
 *     is still alike after a power-on (the time base moves at power-on);
 *   - one RAM byte or one flash byte apart, or 10 ms later: different;
 *   - a statistic (the FMC's cache-invalidation count) does not count, the reset counters do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unicorn/unicorn.h>

#include "scenario/device.h"

/* FNV-1a over everything fed, plus the sizes (enough to tell states apart in a test). */
typedef struct fp { uint64_t h; size_t n; } fp_t;

static void feed(void *ctx, const void *data, size_t len)
{
    fp_t *f = ctx;
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++)
        f->h = (f->h ^ p[i]) * 0x100000001B3ull;
    f->h = (f->h ^ len) * 0x100000001B3ull;
    f->n += len;
}

static uint64_t fingerprint(emu_machine_t *m)
{
    fp_t f = { 0xCBF29CE484222325ull, 0 };
    emu_fingerprint(m, 0, feed, &f);
    assert_true(f.n > 1024u * 1024u);      /* the flash at least */
    return f.h;
}

typedef struct rig {
    fw_layout_t l;
    uint8_t *flash;
    emu_machine_t *m;
    uint64_t insns_at_off;
} rig_t;

/* The bundled bootloader with app v1 active, no candidate: power on, run `first_ns`,
 * power off for `off_ns`, power on again. */
static void rig_start(rig_t *r, uint64_t first_ns, uint64_t off_ns)
{
    fw_layout_default(&r->l);
    r->flash = malloc(r->l.flash_size);
    assert_non_null(r->flash);
    char err[256];
    assert_int_equal(device_bundled_image(&r->l, r->flash, r->l.flash_size, 1, 0, err, sizeof err), 0);
    emu_config_t cfg;
    device_config(&cfg, &r->l);
    assert_int_equal(emu_create(&cfg, &r->m), EMU_OK);
    flash_host_write(emu_flash(r->m), 0, r->flash, r->l.flash_size);
    assert_int_equal(emu_power_on(r->m), EMU_OK);
    emu_stop_t s = { .time_ns = first_ns };
    emu_result_t res;
    assert_int_equal(emu_run(r->m, &s, &res), EMU_OK);
    r->insns_at_off = emu_insns(r->m);
    emu_power_off(r->m);
    emu_advance_time(r->m, off_ns);
    assert_int_equal(emu_power_on(r->m), EMU_OK);
}

/* Run `ns` more of emulated time. */
static void rig_run(rig_t *r, uint64_t ns)
{
    emu_stop_t s = { .time_ns = emu_time_ns(r->m) + ns };
    emu_result_t res;
    assert_int_equal(emu_run(r->m, &s, &res), EMU_OK);
    assert_int_equal(res.reason, EMU_STOP_TIME);
}

static void rig_done(rig_t *r)
{
    emu_destroy(r->m);
    free(r->flash);
}

static void same_run_after_power_on_is_alike_whatever_came_before(void **state)
{
    (void)state;
    rig_t a, b;
    rig_start(&a, 20000000ull, 100000000ull);
    rig_start(&b, 20000000ull, 345678901ull);    /* off longer: every absolute time differs */
    assert_true(emu_time_ns(a.m) != emu_time_ns(b.m));
    assert_int_equal(fingerprint(a.m), fingerprint(b.m));
    /* through the bootloader (watchdog refreshes, hashing) into the app (SysTick running) */
    for (int i = 0; i < 4; i++) {
        rig_run(&a, 30000000ull);
        rig_run(&b, 30000000ull);
        assert_int_equal(emu_insns(a.m), emu_insns(b.m));
        assert_int_equal(fingerprint(a.m), fingerprint(b.m));
    }
    assert_true(emu_app_running(a.m));
    rig_done(&a);
    rig_done(&b);
}

static void different_instruction_phase_before_power_on_is_alike(void **state)
{
    (void)state;
    /* a first run one instruction-time apart leaves the instruction counts (and so their phase
     * against the 120 MHz -> ns rounding) different; the power-on moves the time base */
    rig_t a, b;
    rig_start(&a, 5000000ull, 100000000ull);     /* both stop in the bootloader's first hash */
    for (uint64_t k = 1;; k++) {
        rig_start(&b, 5000000ull + 1000ull * k, 100000000ull);
        if ((b.insns_at_off - a.insns_at_off) % 3u)
            break;                               /* 120 MHz: 3 instructions = 25 ns exactly */
        rig_done(&b);
        assert_true(k < 50);
    }
    assert_true(emu_time_ns(a.m) != emu_time_ns(b.m));
    for (int i = 0; i < 3; i++) {
        rig_run(&a, 40000000ull);
        rig_run(&b, 40000000ull);
        assert_int_equal(fingerprint(a.m), fingerprint(b.m));
    }
    rig_done(&a);
    rig_done(&b);
}

static void state_differences_show(void **state)
{
    (void)state;
    rig_t a;
    rig_start(&a, 20000000ull, 100000000ull);
    rig_run(&a, 150000000ull);                   /* the app runs */
    uint64_t f0 = fingerprint(a.m);
    assert_int_equal(fingerprint(a.m), f0);      /* deterministic */

    uint8_t byte, x;
    assert_int_equal(emu_mem_read(a.m, 0x20010000u, &byte, 1), EMU_OK);   /* RAM */
    x = (uint8_t)(byte ^ 1u);
    assert_int_equal(emu_mem_write(a.m, 0x20010000u, &x, 1), EMU_OK);
    assert_true(fingerprint(a.m) != f0);
    assert_int_equal(emu_mem_write(a.m, 0x20010000u, &byte, 1), EMU_OK);
    assert_int_equal(fingerprint(a.m), f0);

    uint8_t *fl = flash_mem(emu_flash(a.m));   /* flash (candidate slot: no code there) */
    fl[0x88000] ^= 0x80u;
    assert_true(fingerprint(a.m) != f0);
    fl[0x88000] ^= 0x80u;
    assert_int_equal(fingerprint(a.m), f0);

    rig_run(&a, 10000000ull);                    /* running on: the CPU and SysTick move */
    assert_true(fingerprint(a.m) != f0);
    rig_done(&a);
}

static void statistics_do_not_count_resets_do(void **state)
{
    (void)state;
    rig_t a, b;
    rig_start(&a, 20000000ull, 100000000ull);
    rig_start(&b, 20000000ull, 100000000ull);
    rig_run(&a, 150000000ull);
    rig_run(&b, 150000000ull);
    assert_int_equal(fingerprint(a.m), fingerprint(b.m));
    /* FMC: a cache invalidation command (PFB0CR.CINV_WAY, write-1 bits) only counts */
    uint32_t pfb0cr;
    assert_int_equal(emu_mem_read(b.m, 0x4001F004u, &pfb0cr, 4), EMU_OK);
    uint32_t inv = pfb0cr | (0xFu << 20);
    assert_int_equal(emu_mem_write(b.m, 0x4001F004u, &inv, 4), EMU_OK);
    assert_int_equal(fingerprint(a.m), fingerprint(b.m));
    /* a pin reset in both, then one more power cycle in b: the reset counters differ */
    assert_int_equal(emu_reset(a.m, EMU_RESET_PIN), EMU_OK);
    assert_int_equal(emu_reset(b.m, EMU_RESET_PIN), EMU_OK);
    assert_int_equal(fingerprint(a.m), fingerprint(b.m));
    emu_power_off(b.m);
    assert_int_equal(emu_power_on(b.m), EMU_OK);
    emu_power_off(a.m);
    assert_int_equal(emu_power_on(a.m), EMU_OK);
    assert_int_equal(fingerprint(a.m), fingerprint(b.m));
    emu_power_off(b.m);
    assert_int_equal(emu_power_on(b.m), EMU_OK);
    assert_true(fingerprint(a.m) != fingerprint(b.m));
    rig_done(&a);
    rig_done(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_run_after_power_on_is_alike_whatever_came_before),
        cmocka_unit_test(different_instruction_phase_before_power_on_is_alike),
        cmocka_unit_test(state_differences_show),
        cmocka_unit_test(statistics_do_not_count_resets_do),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
