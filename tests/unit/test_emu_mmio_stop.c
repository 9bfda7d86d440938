/*
 * Stops requested from inside an MMIO callback (emu.h emu_request_stop: "at the next block
 * boundary"): the store that caused the request completes exactly once. The run ends at the next
 * block boundary, with every instruction of the store's block executed and counted once, and a
 * run that resumes from there does not write again.
 *
 * Unicorn 2.0.1 checks for a stop after every guest load and store and, when one is pending,
 * leaves the translated block at once with PC back at the block's start
 * (../shared/reference/unicorn-2.0.1.md): a stop taken there would make the resumed run execute
 * the block's first instructions, and its stores, again.
 *
 * Most programs (test_emu_tinyfw.h) enable UART0's transmitter, store to MMIO in one block that
 * ends with "b ." (the stop's block boundary), and then spin there: resuming ends with
 * EMU_STOP_HALT. The others: a store ending its block at a page end, a WFI after the store, a
 * reset after it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <unicorn/unicorn.h>

#include "emu.h"
#include "test_emu_tinyfw.h"

#define CORE_HZ 120000000u
#define UART0 0x4006A000u
#define RAM_CODE 0x200007F8u          /* a store ending the block at a 1 KiB page end */

/* ---- a tiny Thumb assembler: 16-bit instructions and a literal pool after them -------------- */

typedef struct prog {
    uint16_t h[96];
    unsigned n;
    struct { unsigned at; uint32_t value; } lit[8];
    unsigned nlit;
} prog_t;

static void op(prog_t *p, uint16_t h) { p->h[p->n++] = h; }

/* ldr rd, =value (a PC-relative load from the pool; fixed up by finish) */
static void ldr_lit(prog_t *p, unsigned rd, uint32_t value)
{
    p->lit[p->nlit].at = p->n;
    p->lit[p->nlit++].value = value;
    op(p, (uint16_t)(0x4800u | (rd << 8)));
}

/* Ends the program with "b ." and the pool; returns the address of the "b .". */
static uint32_t finish(prog_t *p)
{
    uint32_t spin = TINYFW_CODE + 2u * p->n;
    op(p, 0xE7FE);
    if (p->n & 1)
        op(p, 0xBF00);                 /* pool word-aligned (TINYFW_CODE is) */
    for (unsigned i = 0; i < p->nlit; i++) {
        unsigned pool = p->n + 2 * i;  /* halfword index of the literal */
        uint32_t pc = (TINYFW_CODE + 2u * p->lit[i].at + 4u) & ~3u;
        p->h[p->lit[i].at] |= (uint16_t)((TINYFW_CODE + 2u * pool - pc) / 4u);
    }
    for (unsigned i = 0; i < p->nlit; i++) {
        p->h[p->n++] = (uint16_t)p->lit[i].value;
        p->h[p->n++] = (uint16_t)(p->lit[i].value >> 16);
    }
    return spin;
}

/* r0 = UART0, C2 = TE: three instructions */
static void uart_on(prog_t *p)
{
    ldr_lit(p, 0, UART0);
    op(p, 0x2108);                     /* movs r1, #8 */
    op(p, 0x70C1);                     /* strb r1, [r0, #3] */
}

static emu_machine_t *machine(const prog_t *p, const char *app_text)
{
    emu_config_t cfg;
    emu_config_defaults(&cfg);
    cfg.wdog_enabled = false;
    cfg.core_hz = CORE_HZ;
    cfg.app_console_text = app_text;
    emu_machine_t *m = tinyfw_machine(&cfg, p->h, 2u * p->n);
    assert_int_equal(emu_power_on(m), EMU_OK);
    return m;
}

static size_t count_events(emu_machine_t *m, emu_event_kind_t kind)
{
    size_t n = 0;
    for (size_t i = 0; i < emu_event_count(m); i++)
        n += emu_event_get(m, i)->kind == kind;
    return n;
}

/* Time of an instruction count when nothing stalled (emu.h: insns / core_hz, rounded down). */
static uint64_t insns_ns(uint64_t insns) { return insns * 1000000000ull / CORE_HZ; }

/* What a run with a stop, then a resumed run (to the halt), must end with. */
typedef struct expect {
    emu_stop_reason_t why;        /* the first run stops for this */
    uint32_t pc;                  /* with PC here */
    uint64_t insns;               /* after this many instructions (and their time) */
    uint32_t halt_pc;             /* the resumed run halts here (EMU_STOP_HALT) */
    uint64_t halt_insns;          /* after this many instructions in all */
    const char *console;          /* and the console holds this */
} expect_t;

/* Run with `stop`, then resume to the halt; every mismatch with x is printed before the test
 * fails. */
static void stop_then_resume(emu_machine_t *m, const emu_stop_t *stop, const expect_t *x)
{
    emu_result_t res;
    bool ok = true;
    assert_int_equal(emu_run(m, stop, &res), EMU_OK);
    if (res.reason != x->why || res.pc != x->pc || res.insns != x->insns || res.time_ns != insns_ns(x->insns)) {
        print_message("stopped (%s) at pc 0x%08x after %llu instructions, %llu ns; expected (%s) at 0x%08x "
                      "after %llu\n", emu_stop_reason_name(res.reason), res.pc, (unsigned long long)res.insns,
                      (unsigned long long)res.time_ns, emu_stop_reason_name(x->why), x->pc,
                      (unsigned long long)x->insns);
        ok = false;
    }
    emu_stop_t more = { .max_insns = 1000 };
    assert_int_equal(emu_run(m, &more, &res), EMU_OK);
    if (res.reason != EMU_STOP_HALT || res.pc != x->halt_pc || res.insns != x->halt_insns ||
        emu_time_ns(m) != insns_ns(x->halt_insns)) {
        print_message("resumed: %s at pc 0x%08x after %llu instructions in all, %llu ns; expected halted at "
                      "0x%08x after %llu\n", emu_stop_reason_name(res.reason), res.pc,
                      (unsigned long long)res.insns, (unsigned long long)emu_time_ns(m), x->halt_pc,
                      (unsigned long long)x->halt_insns);
        ok = false;
    }
    size_t len;
    const char *c = emu_console(m, &len);
    if (len != strlen(x->console) || memcmp(c, x->console, len) != 0) {
        print_message("console holds \"%s\" (%zu bytes), expected \"%s\"\n", c, len, x->console);
        ok = false;
    }
    if (!ok)
        fail();
}

/* 8-bit: "X\n" to UART0 D with a console stop on "X\n" (checked at the newline). */
static void byte_store_stop_writes_once(void **state)
{
    prog_t p = { .n = 0 };
    uart_on(&p);
    op(&p, 0x2158);                    /* movs r1, #'X' */
    op(&p, 0x71C1);                    /* strb r1, [r0, #7] */
    op(&p, 0x210A);                    /* movs r1, #'\n' */
    op(&p, 0x71C1);                    /* strb r1, [r0, #7]: the stop */
    op(&p, 0x2301);                    /* movs r3, #1: after the store, same block */
    uint32_t spin = finish(&p);
    emu_machine_t *m = machine(&p, NULL);
    emu_stop_t stop = { .console_text = "X\n" };
    stop_then_resume(m, &stop, &(expect_t){ EMU_STOP_CONSOLE, spin, 9, spin, 9, "X\n" });
    assert_int_equal(emu_reg(m, UC_ARM_REG_R3), 1);
    emu_destroy(m);
}

/* 16-bit (C3, D) and 32-bit (S1, S2, C3, D) stores whose top byte is the newline. */
static void halfword_and_word_stores_stop_write_once(void **state)
{
    for (int word = 0; word < 2; word++) {
        prog_t p = { .n = 0 };
        uart_on(&p);
        op(&p, 0x210A);                          /* movs r1, #'\n' */
        op(&p, word ? 0x0609 : 0x0209);          /* lsls r1, r1, #24 / #8 */
        op(&p, word ? 0x6041 : 0x80C1);          /* str r1, [r0, #4] / strh r1, [r0, #6] */
        op(&p, 0x2301);                          /* movs r3, #1 */
        uint32_t spin = finish(&p);
        emu_machine_t *m = machine(&p, NULL);
        emu_stop_t stop = { .console_text = "\n" };
        stop_then_resume(m, &stop, &(expect_t){ EMU_STOP_CONSOLE, spin, 8, spin, 8, "\n" });
        emu_destroy(m);
    }
}

/* STM: the first word's store (D) asks for the stop; the second word (MA1..C5) is still
 * written, and the base register written back, once. */
static void multi_store_completes_once(void **state)
{
    prog_t p = { .n = 0 };
    uart_on(&p);
    op(&p, 0x3004);                    /* adds r0, #4 */
    op(&p, 0x210A);                    /* movs r1, #'\n' */
    op(&p, 0x0609);                    /* lsls r1, r1, #24 */
    op(&p, 0x225A);                    /* movs r2, #0x5A */
    op(&p, 0xC006);                    /* stm r0!, {r1, r2} */
    uint32_t spin = finish(&p);
    emu_machine_t *m = machine(&p, NULL);
    emu_stop_t stop = { .console_text = "\n" };
    stop_then_resume(m, &stop, &(expect_t){ EMU_STOP_CONSOLE, spin, 9, spin, 9, "\n" });
    assert_int_equal(emu_reg(m, UC_ARM_REG_R0), UART0 + 12);
    uint8_t ma1 = 0;
    assert_int_equal(emu_mem_read(m, UART0 + 8, &ma1, 1), EMU_OK);
    assert_int_equal(ma1, 0x5A);
    emu_destroy(m);
}

/* "app running" by console text (the harness's --app-text): the text's last byte stops the run
 * (stop.app_running); it is written once ("RUNNING" once became "RUNNINGG" this way). */
static void app_text_stop_writes_once(void **state)
{
    prog_t p = { .n = 0 };
    uart_on(&p);
    op(&p, 0x214F);                    /* movs r1, #'O' */
    op(&p, 0x71C1);                    /* strb r1, [r0, #7] */
    op(&p, 0x214B);                    /* movs r1, #'K' */
    op(&p, 0x71C1);                    /* strb r1, [r0, #7]: the stop */
    uint32_t spin = finish(&p);
    emu_machine_t *m = machine(&p, "OK");
    emu_stop_t stop = { .app_running = true };
    stop_then_resume(m, &stop, &(expect_t){ EMU_STOP_APP_RUNNING, spin, 8, spin, 8, "OK" });
    assert_int_equal(count_events(m, EMU_EV_APP_RUNNING), 1);
    emu_destroy(m);
}

/* The test device's MARKER (a 32-bit store) with stop.app_running: one MARKER event. */
static void marker_store_stop_writes_once(void **state)
{
    prog_t p = { .n = 0 };
    uart_on(&p);
    ldr_lit(&p, 2, EMU_TESTDEV_BASE);
    op(&p, 0x2107);                    /* movs r1, #7 */
    op(&p, 0x6011);                    /* str r1, [r2]: MARKER = 7, the stop */
    op(&p, 0x2301);                    /* movs r3, #1 */
    uint32_t spin = finish(&p);
    emu_machine_t *m = machine(&p, NULL);
    emu_stop_t stop = { .app_running = true };
    stop_then_resume(m, &stop, &(expect_t){ EMU_STOP_APP_RUNNING, spin, 8, spin, 8, "" });
    assert_int_equal(count_events(m, EMU_EV_MARKER), 1);
    assert_int_equal(emu_app_marker(m), 7);
    emu_destroy(m);
}

/* The store is the last instruction of its block (the block ends at a 1 KiB page boundary, in
 * RAM): the run stops at the next page's first instruction, which has not run. */
static void store_ending_a_block_stops_at_the_next(void **state)
{
    prog_t p = { .n = 0 };
    uart_on(&p);
    op(&p, 0x210A);                    /* movs r1, #'\n' */
    ldr_lit(&p, 2, RAM_CODE | 1u);
    op(&p, 0x4710);                    /* bx r2 */
    finish(&p);
    emu_machine_t *m = machine(&p, NULL);
    /* RAM_CODE: nop; nop; nop; strb r1, [r0, #7] | page end | movs r3, #1; b . */
    static const uint16_t ram[] = { 0xBF00, 0xBF00, 0xBF00, 0x71C1, 0x2301, 0xE7FE };
    assert_int_equal(emu_mem_write(m, RAM_CODE, ram, sizeof ram), EMU_OK);
    assert_int_equal((RAM_CODE + 8) & 0x3FFu, 0);
    emu_stop_t stop = { .console_text = "\n" };
    /* 10: 6 in flash (with the bx), 4 in RAM; 13: then movs and "b ." in their block, the "b ."
     * once more on its own, and the spin */
    stop_then_resume(m, &stop, &(expect_t){ EMU_STOP_CONSOLE, RAM_CODE + 8, 10, RAM_CODE + 10, 13, "\n" });
    assert_int_equal(emu_reg(m, UC_ARM_REG_R3), 1);
    emu_destroy(m);
}

/* A WFI after the store, in the same block: the run stops with PC on the WFI, not yet executed
 * (uncounted), so that the resumed run executes it and sleeps (here for ever: a halt). */
static void stop_before_a_wfi_in_the_same_block(void **state)
{
    prog_t p = { .n = 0 };
    uart_on(&p);
    op(&p, 0x210A);                    /* movs r1, #'\n' */
    op(&p, 0x71C1);                    /* strb r1, [r0, #7]: the stop */
    uint32_t wfi = TINYFW_CODE + 2u * p.n;
    op(&p, 0xBF30);                    /* wfi */
    op(&p, 0x2301);                    /* movs r3, #1: never, nothing wakes the core */
    finish(&p);
    emu_machine_t *m = machine(&p, NULL);
    emu_stop_t stop = { .console_text = "\n" };
    stop_then_resume(m, &stop, &(expect_t){ EMU_STOP_CONSOLE, wfi, 5, wfi + 2, 6, "\n" });
    assert_int_equal(emu_reg(m, UC_ARM_REG_R3), 0);
    emu_destroy(m);
}

/* The store asks for the stop and the same block then resets the core (AIRCR.SYSRESETREQ): the
 * reset is taken and the run ends there with the stop's reason; the stop is not lost. */
static void stop_then_reset_in_the_same_block(void **state)
{
    prog_t p = { .n = 0 };
    uart_on(&p);
    op(&p, 0x210A);                    /* movs r1, #'\n' */
    op(&p, 0x71C1);                    /* strb r1, [r0, #7]: the stop */
    ldr_lit(&p, 2, 0xE000ED0Cu);       /* AIRCR */
    ldr_lit(&p, 1, 0x05FA0004u);       /* VECTKEY | SYSRESETREQ */
    op(&p, 0x6011);                    /* str r1, [r2] */
    finish(&p);
    emu_machine_t *m = machine(&p, NULL);
    emu_result_t res;
    emu_stop_t stop = { .console_text = "\n", .max_insns = 1000 };
    assert_int_equal(emu_run(m, &stop, &res), EMU_OK);
    size_t len;
    emu_console(m, &len);
    if (res.reason != EMU_STOP_CONSOLE || emu_reset_count(m, EMU_RESET_SOFTWARE) != 1 || len != 1)
        fail_msg("stopped (%s) after %u software resets with %zu console bytes; expected (console) after "
                 "1 with 1", emu_stop_reason_name(res.reason), emu_reset_count(m, EMU_RESET_SOFTWARE), len);
    assert_int_equal(res.pc, TINYFW_CODE);
    emu_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(byte_store_stop_writes_once),
        cmocka_unit_test(halfword_and_word_stores_stop_write_once),
        cmocka_unit_test(multi_store_completes_once),
        cmocka_unit_test(app_text_stop_writes_once),
        cmocka_unit_test(marker_store_stop_writes_once),
        cmocka_unit_test(store_ending_a_block_stops_at_the_next),
        cmocka_unit_test(stop_before_a_wfi_in_the_same_block),
        cmocka_unit_test(stop_then_reset_in_the_same_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
