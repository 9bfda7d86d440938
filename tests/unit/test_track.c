/*
 * Flash dependence tracking on the machine (emu_track_begin, emu.h): what the sweep runner's
 * power-on sharing relies on. A few hand-assembled Thumb instructions in flash load from two
 * flash addresses in a loop; the test checks that
 *   - a CPU load from a flash page is seen even when the running program loaded from it just
 *     before tracking began (Unicorn caches readable pages: begin must drop them, every time),
 *     and loads run on once tracking ended;
 *   - fetched code, the literal pool and the reset vectors count as used;
 *   - a sector erased before the program loads from it stays ERASED; untouched pages stay NONE;
 *   - host reads through emu_mem_read count; the program's results are the same with tracking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unicorn/unicorn.h>

#include "emu.h"
#include "flash.h"
#include "test_emu_tinyfw.h"

/* Code at 0x100 (test_emu_tinyfw.h, in the first 1 KiB page with the vectors):
 *   0x100 ldr r0, [pc, #8]  ; r0 = *(0x10C) = 0x00020000
 *   0x102 ldr r1, [r0]      ; load flash 0x20000
 *   0x104 ldr r2, [pc, #8]  ; r2 = *(0x110) = 0x00030000
 *   0x106 ldr r3, [r2]      ; load flash 0x30000
 *   0x108 b 0x100
 *   0x10C the literal pool */
static emu_machine_t *make_machine(void)
{
    emu_config_t cfg;
    emu_config_defaults(&cfg);
    cfg.wdog_enabled = false;
    static const uint16_t code[] = { 0x4802, 0x6801, 0x4A02, 0x6813, 0xE7FA, 0xBF00,
                                     0x0000, 0x0002, 0x0000, 0x0003 };
    emu_machine_t *m = tinyfw_machine(&cfg, code, sizeof code);
    uint32_t a = 0x11111111u, b = 0x22222222u;
    assert_int_equal(emu_mem_write(m, 0x20000, &a, 4), EMU_OK);
    assert_int_equal(emu_mem_write(m, 0x30000, &b, 4), EMU_OK);
    return m;
}

/* Run 1 ms more of the loop. */
static void run_loop(emu_machine_t *m)
{
    emu_stop_t st;
    memset(&st, 0, sizeof st);
    st.time_ns = emu_time_ns(m) + 1000000;
    emu_result_t res;
    assert_int_equal(emu_run(m, &st, &res), EMU_OK);
    assert_int_equal(res.reason, EMU_STOP_TIME);
    uint32_t pc = emu_reg(m, UC_ARM_REG_PC) & ~1u;
    assert_true(pc >= 0x100 && pc <= 0x108);
}

static uint8_t state_at(emu_machine_t *m, uint32_t addr)
{
    uint32_t n, g;
    const uint8_t *st = flash_track_states(emu_flash(m), &n, &g);
    assert_non_null(st);
    assert_int_equal(g, emu_track_granule(m));
    assert_true(addr / g < n);
    return st[addr / g];
}

static void loads_fetches_and_vectors_are_used(void **s)
{
    (void)s;
    emu_machine_t *m = make_machine();
    /* the loop runs without tracking first: the CPU caches the pages it loads from as readable */
    assert_int_equal(emu_power_on(m), EMU_OK);
    run_loop(m);
    assert_int_equal(emu_reg(m, UC_ARM_REG_R1), 0x11111111u);

    assert_int_equal(emu_track_begin(m), EMU_OK);
    assert_int_equal(emu_track_granule(m), 1024);
    assert_int_equal(state_at(m, 0x20000), FLASH_TRACK_NONE);
    run_loop(m);
    assert_int_equal(emu_reg(m, UC_ARM_REG_R1), 0x11111111u);
    assert_int_equal(emu_reg(m, UC_ARM_REG_R3), 0x22222222u);
    assert_int_equal(state_at(m, 0x20000), FLASH_TRACK_USED);   /* seen although cached before */
    assert_int_equal(state_at(m, 0x30000), FLASH_TRACK_USED);
    assert_int_equal(state_at(m, 0x100), FLASH_TRACK_USED);     /* code and literals */
    assert_int_equal(state_at(m, 0x20400), FLASH_TRACK_NONE);   /* the next page: not loaded */
    assert_int_equal(state_at(m, 0x40000), FLASH_TRACK_NONE);
    uint32_t v;
    assert_int_equal(emu_mem_read(m, 0x40000, &v, 4), EMU_OK);  /* a host read */
    assert_int_equal(state_at(m, 0x40000), FLASH_TRACK_USED);
    emu_power_off(m);

    /* ended: the flash is readable again, nothing is recorded */
    emu_track_end(m);
    assert_int_equal(emu_power_on(m), EMU_OK);
    run_loop(m);
    assert_int_equal(emu_reg(m, UC_ARM_REG_R3), 0x22222222u);
    assert_int_equal(emu_mem_read(m, 0x50000, &v, 4), EMU_OK);
    assert_int_equal(state_at(m, 0x50000), FLASH_TRACK_NONE);

    /* and again: begin, end and begin with the loop running all along (each begin must drop the
     * readable pages the loop cached since: changing the permission alone does not) */
    for (int round = 0; round < 3; round++) {
        assert_int_equal(emu_track_begin(m), EMU_OK);
        run_loop(m);
        assert_int_equal(state_at(m, 0x20000), FLASH_TRACK_USED);
        assert_int_equal(state_at(m, 0x30000), FLASH_TRACK_USED);
        emu_track_end(m);
        run_loop(m);
    }
    emu_destroy(m);
}

static void erased_before_loaded_stays_erased(void **s)
{
    (void)s;
    emu_machine_t *m = make_machine();
    assert_int_equal(emu_track_begin(m), EMU_OK);
    assert_int_equal(flash_erase_sector(emu_flash(m), 0x30000, NULL), FLASH_OK);
    assert_int_equal(emu_power_on(m), EMU_OK);          /* reads the reset vectors */
    assert_int_equal(state_at(m, 0x0), FLASH_TRACK_USED);
    run_loop(m);
    assert_int_equal(emu_reg(m, UC_ARM_REG_R3), 0xFFFFFFFFu);   /* the erased word */
    assert_int_equal(state_at(m, 0x30000), FLASH_TRACK_ERASED);
    assert_int_equal(state_at(m, 0x30C00), FLASH_TRACK_ERASED);
    assert_int_equal(state_at(m, 0x20000), FLASH_TRACK_USED);
    assert_int_equal(state_at(m, 0x100), FLASH_TRACK_USED);      /* code and literals */
    emu_track_end(m);
    emu_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_fetches_and_vectors_are_used),
        cmocka_unit_test(erased_before_loaded_stays_erased),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
