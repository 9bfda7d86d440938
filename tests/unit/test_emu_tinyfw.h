/*
 * Tiny firmware for the emu unit tests: a K64F machine running a few hand-assembled Thumb
 * instructions. Flash after tinyfw_machine():
 *   0x000  vectors: MSP = TINYFW_SRAM_TOP, reset handler TINYFW_CODE (Thumb)
 *   0x100  the program (code and literals, at most 0x300 bytes)
 *   0x400  the flash configuration field, unsecured (FSEC = 0xFE: k64f.md "Flash Configuration Field")
 * everything else erased. Include after <cmocka.h> and "emu.h".
 */
#ifndef FWEMU_TEST_EMU_TINYFW_H
#define FWEMU_TEST_EMU_TINYFW_H

#include <string.h>

#define TINYFW_SRAM_TOP 0x20001000u
#define TINYFW_CODE 0x100u

/* A machine made from cfg with `code` (len bytes) at TINYFW_CODE; not powered on. */
static inline emu_machine_t *tinyfw_machine(const emu_config_t *cfg, const void *code, size_t len)
{
    emu_machine_t *m = NULL;
    assert_int_equal(emu_create(cfg, &m), EMU_OK);
    uint8_t img[0x410];
    assert_true(len <= 0x400 - TINYFW_CODE);
    memset(img, 0xFF, sizeof img);
    const uint32_t vectors[2] = { TINYFW_SRAM_TOP, TINYFW_CODE | 1u };
    memcpy(img, vectors, sizeof vectors);
    memcpy(img + TINYFW_CODE, code, len);
    img[0x40C] = 0xFE;
    assert_int_equal(emu_mem_write(m, 0, img, sizeof img), EMU_OK);
    return m;
}

#endif
