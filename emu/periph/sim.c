/*
 * K64F System Integration Module (SIM): K64 Sub-Family Reference Manual, chapter "System
 * Integration Module (SIM)", memory map and register descriptions; k64f.md "SIM".
 *
 * Base 0x4004_7000; the registers span two 4 KiB pages (SOPT1 at 0x0000, the rest from
 * 0x1004), so the register space is 0x2000 bytes. Registers are 32 bits wide; 8- and 16-bit
 * accesses read or update the addressed bytes. Offsets not in the table read 0 and ignore
 * writes. Clock gates (SCGCn) and dividers read back what was written and gate nothing: every
 * peripheral in fwemu is always clocked.
 *
 * Values (RM reset values unless marked):
 *   FCFG1 0xFF0F0F00: PFSIZE (bits 27:24) = 0xF for 1 MiB. The K64 RM encodes program flash
 *     size as 0x7 = 128 KiB, 0x9 = 256 KiB, 0xB = 512 KiB, 0xF = 1 MiB; other sizes use the
 *     generic Kinetis encoding (0x0 = 8 KiB ... 0xE = 1.5 MiB, the SDK's kPFlashDensities);
 *     a size that has no code reads 0xF. FLASHDIS/FLASHDOZE (bits 1:0) are writable.
 *   FCFG2: derived from flash_size with two equal program flash blocks: MAXADDR0 (30:24) and
 *     MAXADDR1 (22:16) = block size >> 13, PFLSH (bit 23) = 1 (no FlexNVM). 0x40C00000 for
 *     1 MiB.
 *   SDID: FAMILYID = 6 (K6x), SUBFAMID = 4 (Kx4), SERIESID = 0 (K), PINID = 8 (100 pins),
 *     DIEID = 3, REVID = 0. GUESS for DIEID/REVID (not read in the RM).
 *   SOPT1 0x80000000 (USBREGEN = 1; RAMSIZE reads 0: GUESS).
 *   UID: a fixed, deterministic id ("FWEMU0" + 1): UIDH 0, UIDMH 0x00004657, UIDML 0x454D5530,
 *     UIDL 0x00000001.
 */
#include <stdlib.h>
#include <string.h>

#include "periph.h"

#define SIM_SPACE 0x2000u

enum {
    SIM_SOPT1 = 0x0000, SIM_SOPT1CFG = 0x0004, SIM_SOPT2 = 0x1004, SIM_SOPT4 = 0x100C,
    SIM_SOPT5 = 0x1010, SIM_SOPT7 = 0x1018, SIM_SDID = 0x1024,
    SIM_SCGC1 = 0x1028, SIM_SCGC2 = 0x102C, SIM_SCGC3 = 0x1030, SIM_SCGC4 = 0x1034,
    SIM_SCGC5 = 0x1038, SIM_SCGC6 = 0x103C, SIM_SCGC7 = 0x1040,
    SIM_CLKDIV1 = 0x1044, SIM_CLKDIV2 = 0x1048, SIM_FCFG1 = 0x104C, SIM_FCFG2 = 0x1050,
    SIM_UIDH = 0x1054, SIM_UIDMH = 0x1058, SIM_UIDML = 0x105C, SIM_UIDL = 0x1060,
};

typedef struct sim_reg {
    uint32_t off;
    uint32_t reset;
    uint32_t writable;                 /* bits software can change */
} sim_reg_t;

#define SIM_FCFG1_RESET_NO_PFSIZE 0xF00F0F00u
#define SIM_SDID_VALUE 0x64000188u

/* Order = index in sim_state_t.val. FCFG1/FCFG2 reset values are filled in from flash size. */
static const sim_reg_t sim_regs[] = {
    { SIM_SOPT1, 0x80000000u, 0xFFFF0FFFu },   /* RAMSIZE (15:12) read-only */
    { SIM_SOPT1CFG, 0x00000000u, 0x07000000u },
    { SIM_SOPT2, 0x00001000u, 0xFFFFFFFFu },
    { SIM_SOPT4, 0x00000000u, 0xFFFFFFFFu },
    { SIM_SOPT5, 0x00000000u, 0xFFFFFFFFu },
    { SIM_SOPT7, 0x00000000u, 0xFFFFFFFFu },
    { SIM_SDID, SIM_SDID_VALUE, 0 },
    { SIM_SCGC1, 0x00000000u, 0xFFFFFFFFu },
    { SIM_SCGC2, 0x00000000u, 0xFFFFFFFFu },
    { SIM_SCGC3, 0x00000000u, 0xFFFFFFFFu },
    { SIM_SCGC4, 0xF0100030u, 0xFFFFFFFFu },
    { SIM_SCGC5, 0x00040182u, 0xFFFFFFFFu },
    { SIM_SCGC6, 0x40000001u, 0xFFFFFFFFu },
    { SIM_SCGC7, 0x00000006u, 0xFFFFFFFFu },
    { SIM_CLKDIV1, 0x00010000u, 0xFFFFFFFFu },
    { SIM_CLKDIV2, 0x00000000u, 0xFFFFFFFFu },
    { SIM_FCFG1, SIM_FCFG1_RESET_NO_PFSIZE, 0x00000003u },
    { SIM_FCFG2, 0, 0 },
    { SIM_UIDH, 0x00000000u, 0 },
    { SIM_UIDMH, 0x00004657u, 0 },
    { SIM_UIDML, 0x454D5530u, 0 },
    { SIM_UIDL, 0x00000001u, 0 },
};

#define SIM_NREGS (sizeof sim_regs / sizeof sim_regs[0])
#define SIM_IDX_FCFG1 16
#define SIM_IDX_FCFG2 17

typedef struct sim_state {
    uint32_t val[SIM_NREGS];
    uint32_t fcfg1_reset;              /* derived from flash_size at create */
    uint32_t fcfg2;
} sim_state_t;

typedef struct sim {
    periph_t base;
    sim_state_t s;
} sim_t;

/* PFSIZE code for a program flash size (see header comment). */
static uint32_t sim_pfsize_code(uint32_t flash_size)
{
    static const uint32_t kib[15] = { 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768,
                                      1024, 1536 };
    if (flash_size == 1024u * 1024u)
        return 0xF;
    for (uint32_t i = 0; i < 15; i++)
        if (kib[i] * 1024u == flash_size)
            return i;
    return 0xF;
}

static int sim_index(uint32_t off)
{
    for (size_t i = 0; i < SIM_NREGS; i++)
        if (sim_regs[i].off == off)
            return (int)i;
    return -1;
}

static uint32_t sim_read32(sim_t *s, uint32_t off)
{
    int i = sim_index(off);
    return i < 0 ? 0 : s->s.val[i];
}

static void sim_write32(sim_t *s, uint32_t off, uint32_t val, uint32_t mask)
{
    int i = sim_index(off);
    if (i < 0)
        return;
    uint32_t m = mask & sim_regs[i].writable;
    s->s.val[i] = (s->s.val[i] & ~m) | (val & m);
}

static uint32_t sim_read_word(periph_t *p, uint32_t off)
{
    return sim_read32((sim_t *)p, off);
}

static void sim_write_word(periph_t *p, uint32_t off, uint32_t val, uint32_t mask)
{
    sim_write32((sim_t *)p, off, val, mask);
}

static uint32_t sim_read(periph_t *p, uint32_t off, unsigned size)
{
    return periph_read_split(p, off, size, sim_read_word);
}

static void sim_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    periph_write_split(p, off, size, value, sim_write_word);
}

static void sim_reset(periph_t *p, emu_reset_kind_t kind)
{
    sim_t *s = (sim_t *)p;
    for (size_t i = 0; i < SIM_NREGS; i++)
        s->s.val[i] = sim_regs[i].reset;
    s->s.val[SIM_IDX_FCFG1] = s->s.fcfg1_reset;
    s->s.val[SIM_IDX_FCFG2] = s->s.fcfg2;
}

static void sim_destroy(periph_t *p)
{
    free(p);
}

static void *sim_state(periph_t *p)
{
    return &((sim_t *)p)->s;
}

static const periph_ops_t sim_ops = {
    .name = "sim",
    .size = SIM_SPACE,
    .read = sim_read,
    .write = sim_write,
    .reset = sim_reset,
    .deadline = NULL,
    .tick = NULL,
    .destroy = sim_destroy,
    .state_size = sizeof(sim_state_t),
    .state = sim_state,
};

periph_t *sim_create(emu_bus_t *bus, uint32_t flash_size)
{
    sim_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->base.ops = &sim_ops;
    s->base.bus = bus;
    s->s.fcfg1_reset = SIM_FCFG1_RESET_NO_PFSIZE | (sim_pfsize_code(flash_size) << 24);
    uint32_t maxaddr = (flash_size / 2u) >> 13;
    if (maxaddr > 0x7Fu)
        maxaddr = 0x7Fu;
    s->s.fcfg2 = (maxaddr << 24) | (1u << 23) | (maxaddr << 16);
    sim_reset(&s->base, EMU_RESET_POWER_ON);
    return &s->base;
}
