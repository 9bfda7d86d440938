/*
 * K64F Multipurpose Clock Generator (MCG): K64 Sub-Family Reference Manual, chapter
 * "Multipurpose Clock Generator (MCG)", memory map; k64f.md "MCG".
 *
 *   0x0 C1 (0x04)  0x1 C2 (0x80)  0x2 C3 (SCTRIM)  0x3 C4  0x4 C5  0x5 C6  0x6 S (0x10)
 *   0x8 SC (0x02)  0xA ATCVH  0xB ATCVL  0xC C7  0xD C8 (0x80); 0x7, 0x9, 0xE, 0xF reserved.
 * 8-bit registers; wider accesses cover consecutive registers, little-endian.
 *
 * No clock is generated: emulated time does not depend on the MCG. The status register S is
 * derived at once from the control registers so that startup code polling it proceeds (there
 * is no lock or switch delay):
 *   IREFST (bit4) = C1.IREFS (bit2)
 *   CLKST (bits 3:2) = C1.CLKS (bits 7:6), except CLKS = 0 with C6.PLLS = 1 gives 3 (PLL)
 *   PLLST (bit5) = C6.PLLS (bit6)
 *   LOCK0 (bit6) = C5.PLLCLKEN0 (bit6) or C6.PLLS
 *   OSCINIT0 (bit1) = C2.EREFS0 (bit2)
 *   IRCST (bit0) = C2.IRCS (bit0); LOLS0 (bit7) = 0
 * C3 and C4 hold factory trim values on real parts; we reset them to 0x80 and 0x00 (GUESS:
 * mid-range SCTRIM, zero FCTRIM/SCFTRIM/DRST_DRS/DMX32) and read back whatever is written.
 * SC: LOCS0 (bit0) and ATMF (bit5) are write-1-to-clear and never set; ATME (bit7) completes
 * at once and reads 0. C8: LOCS1 (bit0) is write-1-to-clear and never set.
 */
#include <stdlib.h>
#include <string.h>

#include "periph.h"

#define MCG_SPACE 0x10u

enum {
    MCG_C1 = 0x0, MCG_C2 = 0x1, MCG_C3 = 0x2, MCG_C4 = 0x3, MCG_C5 = 0x4, MCG_C6 = 0x5,
    MCG_S = 0x6, MCG_SC = 0x8, MCG_ATCVH = 0xA, MCG_ATCVL = 0xB, MCG_C7 = 0xC, MCG_C8 = 0xD,
};

#define MCG_C1_IREFS 0x04u
#define MCG_C1_CLKS_SHIFT 6
#define MCG_C2_IRCS 0x01u
#define MCG_C2_EREFS0 0x04u
#define MCG_C5_PLLCLKEN0 0x40u
#define MCG_C6_PLLS 0x40u

#define MCG_S_IRCST 0x01u
#define MCG_S_OSCINIT0 0x02u
#define MCG_S_CLKST_SHIFT 2
#define MCG_S_IREFST 0x10u
#define MCG_S_PLLST 0x20u
#define MCG_S_LOCK0 0x40u

typedef struct mcg_state {
    uint8_t reg[MCG_SPACE];            /* S is computed, its slot unused */
} mcg_state_t;

typedef struct mcg {
    periph_t base;
    mcg_state_t s;
} mcg_t;

static uint8_t mcg_status(const mcg_t *g)
{
    uint8_t c1 = g->s.reg[MCG_C1], c2 = g->s.reg[MCG_C2];
    uint8_t c5 = g->s.reg[MCG_C5], c6 = g->s.reg[MCG_C6];
    uint8_t clks = (uint8_t)(c1 >> MCG_C1_CLKS_SHIFT) & 3u;
    uint8_t clkst = (clks == 0 && (c6 & MCG_C6_PLLS)) ? 3u : clks;
    uint8_t s = (uint8_t)(clkst << MCG_S_CLKST_SHIFT);
    if (c1 & MCG_C1_IREFS)
        s |= MCG_S_IREFST;
    if (c6 & MCG_C6_PLLS)
        s |= MCG_S_PLLST;
    if ((c5 & MCG_C5_PLLCLKEN0) || (c6 & MCG_C6_PLLS))
        s |= MCG_S_LOCK0;
    if (c2 & MCG_C2_EREFS0)
        s |= MCG_S_OSCINIT0;
    if (c2 & MCG_C2_IRCS)
        s |= MCG_S_IRCST;
    return s;
}

static uint8_t mcg_read8(mcg_t *g, uint32_t off)
{
    switch (off) {
    case MCG_S: return mcg_status(g);
    case 0x7: case 0x9: case 0xE: case 0xF: return 0;
    default: return off < MCG_SPACE ? g->s.reg[off] : 0;
    }
}

static void mcg_write8(mcg_t *g, uint32_t off, uint8_t v)
{
    switch (off) {
    case MCG_S: case 0x7: case 0x9: case 0xE: case 0xF:
        return;                        /* status / reserved */
    case MCG_SC:
        g->s.reg[off] = v & 0x5Eu;     /* ATME self-clears; LOCS0/ATMF w1c and never set */
        return;
    case MCG_C8:
        g->s.reg[off] = v & 0xFEu;     /* LOCS1 w1c and never set */
        return;
    default:
        if (off < MCG_SPACE)
            g->s.reg[off] = v;
        return;
    }
}

static uint32_t mcg_read(periph_t *p, uint32_t off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)mcg_read8((mcg_t *)p, off + i) << (8 * i);
    return v;
}

static void mcg_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    for (unsigned i = 0; i < size; i++)
        mcg_write8((mcg_t *)p, off + i, (uint8_t)(value >> (8 * i)));
}

static void mcg_reset(periph_t *p, emu_reset_kind_t kind)
{
    mcg_t *g = (mcg_t *)p;
    memset(g->s.reg, 0, sizeof g->s.reg);
    g->s.reg[MCG_C1] = 0x04;
    g->s.reg[MCG_C2] = 0x80;
    g->s.reg[MCG_C3] = 0x80;
    g->s.reg[MCG_C4] = 0x00;
    g->s.reg[MCG_SC] = 0x02;
    g->s.reg[MCG_C8] = 0x80;
}

static void mcg_destroy(periph_t *p)
{
    free(p);
}

static void *mcg_state(periph_t *p)
{
    return &((mcg_t *)p)->s;
}

static const periph_ops_t mcg_ops = {
    .name = "mcg",
    .size = MCG_SPACE,
    .read = mcg_read,
    .write = mcg_write,
    .reset = mcg_reset,
    .deadline = NULL,
    .tick = NULL,
    .destroy = mcg_destroy,
    .state_size = sizeof(mcg_state_t),
    .state = mcg_state,
};

periph_t *mcg_create(emu_bus_t *bus)
{
    mcg_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->base.ops = &mcg_ops;
    g->base.bus = bus;
    mcg_reset(&g->base, EMU_RESET_POWER_ON);
    return &g->base;
}
