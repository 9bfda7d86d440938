/* Word-register access splitting shared by the peripherals (periph.h periph_read_split). */
#include "periph.h"

uint32_t periph_read_split(periph_t *p, uint32_t off, unsigned size, periph_read32_fn rd)
{
    uint32_t v = 0, cur = 0;
    for (unsigned i = 0; i < size; i++) {
        uint32_t a = off + i;
        if (i == 0 || (a & 3u) == 0)
            cur = rd(p, a & ~3u);
        v |= ((cur >> (8 * (a & 3u))) & 0xFFu) << (8 * i);
    }
    return v;
}

void periph_write_split(periph_t *p, uint32_t off, unsigned size, uint32_t value, periph_write32_fn wr)
{
    unsigned i = 0;
    while (i < size) {
        uint32_t reg = (off + i) & ~3u;
        uint32_t val = 0, mask = 0;
        while (i < size && ((off + i) & ~3u) == reg) {
            unsigned b = (off + i) & 3u;
            val |= ((value >> (8 * i)) & 0xFFu) << (8 * b);
            mask |= 0xFFu << (8 * b);
            i++;
        }
        wr(p, reg, val, mask);
    }
}
