/*
 * K64F Reset Control Module (RCM): K64 Sub-Family Reference Manual, chapter "Reset Control
 * Module (RCM)", memory map; k64f.md "RCM reset reason".
 *
 *   0x00 SRS0  read-only: bit7 POR, bit6 PIN, bit5 WDOG, bit1 LVD (POR also sets LVD: 0x82)
 *   0x01 SRS1  read-only: bit3 MDM_AP, bit2 SW (SYSRESETREQ), bit1 LOCKUP
 *   0x04 RPFC  reset pin filter control (RSTFLTSS bit2, RSTFLTSRW bits 1:0)
 *   0x05 RPFW  reset pin filter width (bits 4:0)
 *   0x07 MR    mode register (kept as a plain register)
 * 8-bit registers; wider accesses cover consecutive registers, little-endian.
 *
 * The machine calls rcm_note_reset(kind) before reset() of every peripheral; reset() keeps
 * the latched SRS0/SRS1 and returns the other registers to 0.
 */
#include <stdlib.h>

#include "periph.h"

#define RCM_SPACE 0x08u

enum { RCM_SRS0 = 0x00, RCM_SRS1 = 0x01, RCM_RPFC = 0x04, RCM_RPFW = 0x05, RCM_MR = 0x07 };

#define RCM_SRS0_LVD 0x02u
#define RCM_SRS0_WDOG 0x20u
#define RCM_SRS0_PIN 0x40u
#define RCM_SRS0_POR 0x80u
#define RCM_SRS1_LOCKUP 0x02u
#define RCM_SRS1_SW 0x04u

typedef struct rcm_state {
    uint8_t srs0, srs1, rpfc, rpfw, mr;
} rcm_state_t;

typedef struct rcm {
    periph_t base;
    rcm_state_t s;
} rcm_t;

static uint8_t rcm_read8(rcm_t *r, uint32_t off)
{
    switch (off) {
    case RCM_SRS0: return r->s.srs0;
    case RCM_SRS1: return r->s.srs1;
    case RCM_RPFC: return r->s.rpfc;
    case RCM_RPFW: return r->s.rpfw;
    case RCM_MR: return r->s.mr;
    default: return 0;
    }
}

static void rcm_write8(rcm_t *r, uint32_t off, uint8_t v)
{
    switch (off) {
    case RCM_RPFC: r->s.rpfc = v & 0x07u; break;
    case RCM_RPFW: r->s.rpfw = v & 0x1Fu; break;
    case RCM_MR: r->s.mr = v; break;
    default: break;                    /* SRS0/SRS1 read-only, others reserved */
    }
}

static uint32_t rcm_read(periph_t *p, uint32_t off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)rcm_read8((rcm_t *)p, off + i) << (8 * i);
    return v;
}

static void rcm_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    for (unsigned i = 0; i < size; i++)
        rcm_write8((rcm_t *)p, off + i, (uint8_t)(value >> (8 * i)));
}

static void rcm_reset(periph_t *p, emu_reset_kind_t kind)
{
    rcm_t *r = (rcm_t *)p;
    r->s.rpfc = 0;
    r->s.rpfw = 0;
    r->s.mr = 0;
}

static void rcm_destroy(periph_t *p)
{
    free(p);
}

static void *rcm_state(periph_t *p)
{
    return &((rcm_t *)p)->s;
}

static const periph_ops_t rcm_ops = {
    .name = "rcm",
    .size = RCM_SPACE,
    .read = rcm_read,
    .write = rcm_write,
    .reset = rcm_reset,
    .deadline = NULL,
    .tick = NULL,
    .destroy = rcm_destroy,
    .state_size = sizeof(rcm_state_t),
    .state = rcm_state,
};

periph_t *rcm_create(emu_bus_t *bus)
{
    rcm_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->base.ops = &rcm_ops;
    r->base.bus = bus;
    r->s.srs0 = RCM_SRS0_POR | RCM_SRS0_LVD;   /* SRS0 reset value 0x82 */
    return &r->base;
}

void rcm_note_reset(periph_t *rcm, emu_reset_kind_t kind)
{
    rcm_t *r = (rcm_t *)rcm;
    r->s.srs0 = 0;
    r->s.srs1 = 0;
    switch (kind) {
    case EMU_RESET_POWER_ON: r->s.srs0 = RCM_SRS0_POR | RCM_SRS0_LVD; break;
    case EMU_RESET_PIN: r->s.srs0 = RCM_SRS0_PIN; break;
    case EMU_RESET_WATCHDOG: r->s.srs0 = RCM_SRS0_WDOG; break;
    case EMU_RESET_SOFTWARE: r->s.srs1 = RCM_SRS1_SW; break;
    case EMU_RESET_LOCKUP: r->s.srs1 = RCM_SRS1_LOCKUP; break;
    default: break;
    }
}
