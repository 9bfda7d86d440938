/* Plain register file peripheral (periph.h regfile_create): memory-like registers with reset
 * values, for blocks the firmware configures but whose behaviour fwemu does not model. */
#include <stdlib.h>
#include <string.h>

#include "periph.h"

#define REGFILE_MAX 0x1000u

typedef struct regfile {
    periph_t base;
    periph_ops_t ops;                 /* per instance: name and size differ */
    const regfile_init_t *init;
    size_t ninit;
    struct { uint8_t bytes[REGFILE_MAX]; } st;
} regfile_t;

static uint32_t rf_read(periph_t *p, uint32_t off, unsigned size)
{
    regfile_t *r = (regfile_t *)p;
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < REGFILE_MAX; i++)
        v |= (uint32_t)r->st.bytes[off + i] << (8 * i);
    return v;
}

static void rf_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    regfile_t *r = (regfile_t *)p;
    for (unsigned i = 0; i < size && off + i < REGFILE_MAX; i++)
        r->st.bytes[off + i] = (uint8_t)(value >> (8 * i));
}

static void rf_reset(periph_t *p, emu_reset_kind_t kind)
{
    regfile_t *r = (regfile_t *)p;
    memset(r->st.bytes, 0, sizeof r->st.bytes);
    for (size_t i = 0; i < r->ninit; i++)
        if (r->init[i].off + 4 <= REGFILE_MAX)
            rf_write(p, r->init[i].off, 4, r->init[i].value);
}

static void rf_destroy(periph_t *p) { free(p); }
static void *rf_state(periph_t *p) { return &((regfile_t *)p)->st; }

periph_t *regfile_create(emu_bus_t *bus, const char *name, uint32_t size,
                         const regfile_init_t *init, size_t ninit)
{
    regfile_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->ops = (periph_ops_t){ .name = name, .size = size > REGFILE_MAX ? REGFILE_MAX : size,
                             .read = rf_read, .write = rf_write, .reset = rf_reset,
                             .destroy = rf_destroy, .state_size = sizeof r->st, .state = rf_state };
    r->base.ops = &r->ops;
    r->base.bus = bus;
    r->init = init;
    r->ninit = ninit;
    return &r->base;
}
