/*
 * Boards are looked up by name (emu_config_t.board, emu/board.h): an unknown name is refused by
 * emu_create with EMU_ERR_BOARD and a message naming the known boards; "k64f" (the default, also
 * for a NULL name) builds its memories and peripherals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emu.h"

static void unknown_board_is_refused(void **state)
{
    emu_config_t cfg;
    emu_config_defaults(&cfg);
    cfg.board = "no-such-board";
    emu_machine_t *m = (emu_machine_t *)&cfg;
    assert_int_equal(emu_create(&cfg, &m), EMU_ERR_BOARD);
    assert_null(m);
    assert_non_null(strstr(emu_create_error(), "no-such-board"));
    assert_non_null(strstr(emu_create_error(), "k64f"));
    assert_string_equal(emu_strerror(EMU_ERR_BOARD), "unknown board");
}

static void config_board_refuses_an_unknown_name_and_keeps_cfg(void **state)
{
    emu_config_t cfg, before;
    emu_config_defaults(&cfg);
    before = cfg;
    assert_int_equal(emu_config_board(&cfg, "no-such-board"), EMU_ERR_BOARD);
    assert_memory_equal(&cfg, &before, sizeof cfg);
    assert_int_equal(emu_config_board(&cfg, "k64f"), EMU_OK);
    assert_string_equal(cfg.board, "k64f");
    assert_memory_equal(&cfg.flash, &before.flash, sizeof cfg.flash);
}

/* K64F: SRAM at 0x1FFF0000 (256 KiB), the UART0 console, the test device's ID register. */
static void check_k64f(emu_machine_t *m)
{
    uint32_t v = 0x12345678u, r = 0;
    assert_int_equal(emu_mem_write(m, 0x1FFF0000u, &v, 4), EMU_OK);
    assert_int_equal(emu_mem_read(m, 0x1FFF0000u, &r, 4), EMU_OK);
    assert_int_equal(r, v);
    assert_int_equal(emu_mem_write(m, 0x2002FFFCu, &v, 4), EMU_OK);
    assert_int_not_equal(emu_mem_write(m, 0x20030000u, &v, 4), EMU_OK);
    assert_int_equal(flash_size(emu_flash(m)), 1024 * 1024);
    assert_int_equal(emu_power_on(m), EMU_OK);
    const uint8_t rx[] = "hi";
    assert_int_equal(emu_uart_rx(m, rx, 2), 2);
    assert_int_equal(emu_mem_read(m, EMU_TESTDEV_BASE + 8, &r, 4), EMU_OK);
    assert_int_equal(r, EMU_TESTDEV_ID);
}

static void k64f_board_builds(void **state)
{
    emu_config_t cfg;
    emu_config_defaults(&cfg);
    assert_string_equal(cfg.board, EMU_BOARD_DEFAULT);
    cfg.board = "k64f";
    emu_machine_t *m = NULL;
    assert_int_equal(emu_create(&cfg, &m), EMU_OK);
    assert_non_null(m);
    check_k64f(m);
    emu_destroy(m);
}

static void no_board_name_is_the_default_board(void **state)
{
    emu_config_t cfg;
    emu_config_defaults(&cfg);
    cfg.board = NULL;
    emu_machine_t *m = NULL;
    assert_int_equal(emu_create(&cfg, &m), EMU_OK);
    assert_string_equal(emu_config(m)->board, EMU_BOARD_DEFAULT);
    check_k64f(m);
    emu_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_board_is_refused),
        cmocka_unit_test(config_board_refuses_an_unknown_name_and_keeps_cfg),
        cmocka_unit_test(k64f_board_builds),
        cmocka_unit_test(no_board_name_is_the_default_board),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
