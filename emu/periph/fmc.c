/*
 * K64F Flash Memory Controller (FMC, flash cache/prefetch): K64 Sub-Family Reference Manual,
 * chapter "Flash Memory Controller (FMC)", memory map; k64f.md "FMC".
 *
 *   0x00 PFAPR   (reset 0x00F8003F) master access protection / prefetch disable, read-write
 *   0x04 PFB0CR  (reset 0x3004001F) bank 0 control
 *   0x08 PFB1CR  (reset 0x3004001F) bank 1 control
 * PFBnCR fields: B0RWSC (31:28) and B0MW (18:17) read-only; CLCK_WAY (27:24) read-write;
 * CINV_WAY (23:20) and S_B_INV (19) are write-1 commands that read 0; CRC (7:5, PFB0CR only)
 * and the enable bits (4:0) read-write.
 * There is no cache in the emulator: the commands are accepted and do nothing (drivers write
 * PFB0CR after every flash erase/program). The rest of the 4 KiB page (tag and data arrays at
 * 0x100 and up included) reads 0 and ignores writes. Registers are 32 bits; narrower accesses
 * read or update the addressed bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "periph.h"

#define FMC_SPACE 0x1000u

enum { FMC_PFAPR = 0x00, FMC_PFB0CR = 0x04, FMC_PFB1CR = 0x08 };

#define FMC_PFAPR_RESET 0x00F8003Fu
#define FMC_PFBCR_RESET 0x3004001Fu
#define FMC_PFAPR_WRITABLE 0x00FFFFFFu
#define FMC_PFB0CR_WRITABLE 0x0F0000FFu
#define FMC_PFB1CR_WRITABLE 0x0F00001Fu

typedef struct fmc_state {
    uint32_t pfapr, pfb0cr, pfb1cr;
    uint32_t invalidations;            /* CINV_WAY / S_B_INV commands seen */
} fmc_state_t;

typedef struct fmc {
    periph_t base;
    fmc_state_t s;
} fmc_t;

static uint32_t fmc_read32(fmc_t *f, uint32_t off)
{
    switch (off) {
    case FMC_PFAPR: return f->s.pfapr;
    case FMC_PFB0CR: return f->s.pfb0cr;
    case FMC_PFB1CR: return f->s.pfb1cr;
    default: return 0;
    }
}

static void fmc_write32(fmc_t *f, uint32_t off, uint32_t val, uint32_t mask)
{
    uint32_t *r, writable;
    switch (off) {
    case FMC_PFAPR: r = &f->s.pfapr; writable = FMC_PFAPR_WRITABLE; break;
    case FMC_PFB0CR: r = &f->s.pfb0cr; writable = FMC_PFB0CR_WRITABLE; break;
    case FMC_PFB1CR: r = &f->s.pfb1cr; writable = FMC_PFB1CR_WRITABLE; break;
    default: return;
    }
    if (off != FMC_PFAPR && (val & mask & 0x00F80000u))
        f->s.invalidations++;
    uint32_t m = mask & writable;
    *r = (*r & ~m) | (val & m);
}

static uint32_t fmc_read_word(periph_t *p, uint32_t off)
{
    return fmc_read32((fmc_t *)p, off);
}

static void fmc_write_word(periph_t *p, uint32_t off, uint32_t val, uint32_t mask)
{
    fmc_write32((fmc_t *)p, off, val, mask);
}

static uint32_t fmc_read(periph_t *p, uint32_t off, unsigned size)
{
    return periph_read_split(p, off, size, fmc_read_word);
}

static void fmc_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    periph_write_split(p, off, size, value, fmc_write_word);
}

static void fmc_reset(periph_t *p, emu_reset_kind_t kind)
{
    fmc_t *f = (fmc_t *)p;
    f->s.pfapr = FMC_PFAPR_RESET;
    f->s.pfb0cr = FMC_PFBCR_RESET;
    f->s.pfb1cr = FMC_PFBCR_RESET;
}

static void fmc_destroy(periph_t *p)
{
    free(p);
}

static void *fmc_state(periph_t *p)
{
    return &((fmc_t *)p)->s;
}

/* The invalidation count is statistics. */
static void fmc_fingerprint(periph_t *p, uint64_t now, emu_feed_fn feed, void *ctx)
{
    (void)now;
    fmc_state_t s;
    memcpy(&s, &((fmc_t *)p)->s, sizeof s);
    s.invalidations = 0;
    feed(ctx, &s, sizeof s);
}

static const periph_ops_t fmc_ops = {
    .name = "fmc",
    .size = FMC_SPACE,
    .read = fmc_read,
    .write = fmc_write,
    .reset = fmc_reset,
    .deadline = NULL,
    .tick = NULL,
    .destroy = fmc_destroy,
    .state_size = sizeof(fmc_state_t),
    .state = fmc_state,
    .fingerprint = fmc_fingerprint,
};

periph_t *fmc_create(emu_bus_t *bus)
{
    fmc_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->base.ops = &fmc_ops;
    f->base.bus = bus;
    fmc_reset(&f->base, EMU_RESET_POWER_ON);
    return &f->base;
}
