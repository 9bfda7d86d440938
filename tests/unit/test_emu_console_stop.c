/*
 * The console stop (emu.h emu_stop_t.console_text, console_from): it fires only for text written
 * at or after console_from (a match must start there or later), at the newline that ends or
 * follows the match, or when the run begins if such text is already there.
 *
 * The program (test_emu_tinyfw.h) prints TEXT through UART0, byte by byte, then spins:
 *   0x100 ldr r0, =UART0; movs r1, #8; strb r1, [r0, #3]   ; C2 = TE
 *   0x106 ldr r4, =TEXT
 *   0x108 loop: ldrb r1, [r4]; adds r4, #1; cmp r1, #0; beq done
 *   0x110 strb r1, [r0, #7]; b loop
 *   0x114 done: b .
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emu.h"
#include "test_emu_tinyfw.h"

/* console offsets:  0 1 2   3 4 5   6 7 8   9 10 */
#define TEXT          "AB\n"  "XY\n"  "AB\n"  "Z\n"
#define TEXT_ADDR 0x120u

static emu_machine_t *make_machine(size_t console_capacity)
{
    static const uint16_t code[] = {
        0x4805, 0x2108, 0x70C1, 0x4C05,          /* ldr r0, =UART0; movs; strb; ldr r4, =TEXT */
        0x7821, 0x3401, 0x2900, 0xD001,          /* loop: ldrb r1, [r4]; adds r4, #1; cmp; beq done */
        0x71C1, 0xE7F9,                          /* strb r1, [r0, #7]; b loop */
        0xE7FE, 0xBF00,                          /* done: b .; (align) */
        0xA000, 0x4006, TEXT_ADDR, 0x0000,       /* the pool: UART0, TEXT */
    };
    uint8_t img[TEXT_ADDR - TINYFW_CODE + sizeof TEXT];
    memset(img, 0, sizeof img);
    memcpy(img, code, sizeof code);
    memcpy(img + (TEXT_ADDR - TINYFW_CODE), TEXT, sizeof TEXT);
    emu_config_t cfg;
    emu_config_defaults(&cfg);
    cfg.wdog_enabled = false;
    cfg.console_capacity = console_capacity;
    emu_machine_t *m = tinyfw_machine(&cfg, img, sizeof img);
    assert_int_equal(emu_power_on(m), EMU_OK);
    return m;
}

/* Run with the console stop (text, from); returns the reason, console_total in *total. */
static emu_stop_reason_t run_until(emu_machine_t *m, const char *text, uint64_t from, uint64_t *total)
{
    emu_stop_t stop = { .console_text = text, .console_from = from, .max_insns = 100000 };
    emu_result_t res;
    assert_int_equal(emu_run(m, &stop, &res), EMU_OK);
    *total = emu_console_total(m);
    return res.reason;
}

/* Each case: (text, from) on a fresh machine after a first run that stops after "XY\n" (console
 * total 6); expected: stops (at console total `at`) or runs to the halt. */
static void check(const char *text, uint64_t from, bool stops, uint64_t at, bool *ok)
{
    emu_machine_t *m = make_machine(0);
    uint64_t total;
    assert_int_equal(run_until(m, "XY", 0, &total), EMU_STOP_CONSOLE);
    assert_true(total == 6);
    emu_stop_reason_t r = run_until(m, text, from, &total);
    bool good = stops ? r == EMU_STOP_CONSOLE && total == at : r == EMU_STOP_HALT && total == sizeof TEXT - 1;
    if (!good) {
        print_message("\"%s\" from %llu: stopped (%s) at console offset %llu; expected %s %llu\n", text,
                      (unsigned long long)from, emu_stop_reason_name(r), (unsigned long long)total,
                      stops ? "(console) at" : "halted at", (unsigned long long)(stops ? at : sizeof TEXT - 1));
        *ok = false;
    }
    emu_destroy(m);
}

static void only_text_written_since_the_point_stops(void **state)
{
    bool ok = true;
    check("XY", 6, false, 0, &ok);          /* written before the point: no stop */
    check("AB", 6, true, 9, &ok);           /* the second AB, after the point */
    check("AB", 7, false, 0, &ok);          /* the second AB straddles the point */
    check("B\nZ", 7, true, 11, &ok);        /* starts exactly at the point */
    check("B\nZ", 8, false, 0, &ok);
    check("Z", 100, false, 0, &ok);         /* a point not written yet */
    check("", 6, true, 9, &ok);             /* "": the first newline since the point */
    if (!ok)
        fail();
}

/* Text already written since the point, up to a newline, stops a run before any instruction;
 * text before the point, or straddling it, does not. */
static void text_already_there_stops_at_once(void **state)
{
    emu_machine_t *m = make_machine(0);
    uint64_t total;
    assert_int_equal(run_until(m, "Z", 0, &total), EMU_STOP_CONSOLE);
    assert_true(total == sizeof TEXT - 1);
    static const struct { const char *text; uint64_t from; bool stops; } cases[] = {
        { "XY", 0, true }, { "XY", 3, true }, { "XY", 4, false }, { "AB", 6, true },
        { "AB", 7, false }, { "Z\n", 9, true }, { "", 10, true }, { "", 11, false },
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t insns = emu_insns(m);
        emu_stop_t stop = { .console_text = cases[i].text, .console_from = cases[i].from, .max_insns = 1000 };
        emu_result_t res;
        assert_int_equal(emu_run(m, &stop, &res), EMU_OK);
        bool at_once = res.reason == EMU_STOP_CONSOLE && res.insns == insns;
        if (at_once != cases[i].stops) {
            print_message("\"%s\" from %llu: %s after %llu instructions\n", cases[i].text,
                          (unsigned long long)cases[i].from, emu_stop_reason_name(res.reason),
                          (unsigned long long)(res.insns - insns));
            ok = false;
        }
    }
    if (!ok)
        fail();
    emu_destroy(m);
}

/* The console keeps only its newest bytes (here 8: it keeps 4 when full): a match is found in
 * what is kept, and a point older than the kept text means all of it. */
static void matches_in_a_trimmed_console(void **state)
{
    emu_machine_t *m = make_machine(8);
    uint64_t total;
    assert_int_equal(run_until(m, "Z\n", 0, &total), EMU_STOP_CONSOLE);
    assert_true(total == sizeof TEXT - 1);
    emu_destroy(m);
    m = make_machine(8);
    assert_int_equal(run_until(m, "AB\nZ", 0, &total), EMU_STOP_CONSOLE);
    emu_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_text_written_since_the_point_stops),
        cmocka_unit_test(text_already_there_stops_at_once),
        cmocka_unit_test(matches_in_a_trimmed_console),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
