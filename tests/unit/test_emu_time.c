/*
 * The machine's time stop (emu_stop_t.time_ns, emu.h): emu_run ends with EMU_STOP_TIME at the
 * first block boundary at which emulated time >= the requested time, for any distance (1 ns to
 * milliseconds) and from any phase of the instruction clock (120 MHz: 25/3 ns per instruction,
 * so the phase is the instruction count modulo 3).
 *
 * The program (test_emu_tinyfw.h; no WFI, no timers: time passes only by executing):
 *   0x100 nop; nop; nop; b 0x108         ; a 4-instruction block out of reset
 *   0x108 nop; nop; nop; nop; b 0x108    ; a 5-instruction loop block
 * Blocks of 4 and 5 instructions put the block boundaries at every phase.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emu.h"
#include "test_emu_tinyfw.h"

#define LOOP_INSNS 5u
#define CORE_HZ 120000000u
/* Longest block of the program in ns, rounded up: the most a time stop may overshoot. */
#define BLOCK_NS ((LOOP_INSNS * 1000000000ull + CORE_HZ - 1) / CORE_HZ)

static emu_machine_t *make_machine(void)
{
    emu_config_t cfg;
    emu_config_defaults(&cfg);
    cfg.wdog_enabled = false;
    cfg.core_hz = CORE_HZ;
    static const uint16_t code[] = { 0xBF00, 0xBF00, 0xBF00, 0xE7FF,            /* b 0x108 */
                                     0xBF00, 0xBF00, 0xBF00, 0xBF00, 0xE7FA };  /* b 0x108 */
    emu_machine_t *m = tinyfw_machine(&cfg, code, sizeof code);
    assert_int_equal(emu_power_on(m), EMU_OK);
    return m;
}

/* Run with the budget `insns` first (a budget stop ends before the block that would exceed it),
 * so that the time stop starts from another instruction count and clock phase. */
static void run_budget(emu_machine_t *m, uint64_t insns)
{
    if (!insns)
        return;
    emu_stop_t stop = { .max_insns = insns };
    emu_result_t res;
    assert_int_equal(emu_run(m, &stop, &res), EMU_OK);
    assert_int_equal(res.reason, EMU_STOP_BUDGET);
}

static void time_stop_ends_at_its_time_from_every_phase(void **state)
{
    static const uint64_t dist_ns[] = { 1, 25, 1000, 10000, 1000000 };
    unsigned phases_seen = 0;
    for (uint64_t pre = 0; pre < 24; pre++) {
        for (size_t i = 0; i < sizeof dist_ns / sizeof dist_ns[0]; i++) {
            emu_machine_t *m = make_machine();
            run_budget(m, pre);
            phases_seen |= 1u << (emu_insns(m) % 3);
            uint64_t target = emu_time_ns(m) + dist_ns[i];
            emu_stop_t stop = { .time_ns = target };
            emu_result_t res;
            assert_int_equal(emu_run(m, &stop, &res), EMU_OK);
            if (res.reason != EMU_STOP_TIME || res.time_ns < target || res.time_ns >= target + BLOCK_NS)
                print_message("budget %llu, wait %llu ns: target %llu, stopped (%s) at %llu\n",
                              (unsigned long long)pre, (unsigned long long)dist_ns[i],
                              (unsigned long long)target, emu_stop_reason_name(res.reason),
                              (unsigned long long)res.time_ns);
            assert_int_equal(res.reason, EMU_STOP_TIME);
            assert_true(res.time_ns >= target);
            assert_true(res.time_ns < target + BLOCK_NS);
            assert_true(res.time_ns == emu_time_ns(m));
            emu_destroy(m);
        }
    }
    assert_int_equal(phases_seen, 7);
}

static void time_stop_already_passed_runs_nothing(void **state)
{
    emu_machine_t *m = make_machine();
    run_budget(m, 40);
    uint64_t insns = emu_insns(m), now = emu_time_ns(m);
    emu_stop_t stop = { .time_ns = now };
    emu_result_t res;
    assert_int_equal(emu_run(m, &stop, &res), EMU_OK);
    assert_int_equal(res.reason, EMU_STOP_TIME);
    assert_true(res.insns == insns);
    assert_true(res.time_ns == now);
    emu_destroy(m);
}

/* Stopping on the way changes nothing: runs to t1 then t2 end where one run to t2 ends. */
static void time_stops_on_the_way_do_not_move_the_end(void **state)
{
    emu_machine_t *a = make_machine(), *b = make_machine();
    emu_result_t ra, rb;
    emu_stop_t to_end = { .time_ns = 5000 };
    assert_int_equal(emu_run(a, &to_end, &ra), EMU_OK);
    for (uint64_t t = 7; t < 5000; t += 131) {
        emu_stop_t step = { .time_ns = t };
        assert_int_equal(emu_run(b, &step, &rb), EMU_OK);
        assert_int_equal(rb.reason, EMU_STOP_TIME);
        assert_true(rb.time_ns >= t);
    }
    assert_int_equal(emu_run(b, &to_end, &rb), EMU_OK);
    assert_int_equal(ra.reason, EMU_STOP_TIME);
    assert_int_equal(rb.reason, EMU_STOP_TIME);
    assert_true(ra.insns == rb.insns);
    assert_true(ra.time_ns == rb.time_ns);
    emu_destroy(a);
    emu_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(time_stop_ends_at_its_time_from_every_phase),
        cmocka_unit_test(time_stop_already_passed_runs_nothing),
        cmocka_unit_test(time_stops_on_the_way_do_not_move_the_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
