/*
 * K64F Periodic Interrupt Timer (PIT): K64 Sub-Family Reference Manual, chapter "Periodic
 * Interrupt Timer (PIT)", memory map and functional description; k64f.md memory map.
 *
 *   0x000 MCR      (reset 0x06: MDIS bit1 = 1, bit2 reserved reads 1; FRZ bit0)
 *   0x0E0 LTMR64H  lifetime timer high = CVAL1; reading it latches CVAL0 into LTMR64L
 *   0x0E4 LTMR64L
 *   0x100 + 0x10*n, n = 0..3:  +0 LDVAL, +4 CVAL (read-only), +8 TCTRL (TEN bit0, TIE bit1,
 *                              CHN bit2), +C TFLG (TIF bit0, write 1 to clear)
 * IRQ of channel n = first_irq + n (48..51 on K64F), level = TIF && TIE.
 * Registers are 32 bits; narrower accesses read or update the addressed bytes.
 *
 * Timing (RM "Timers"): a channel counts down at the bus clock, bus->core_hz / 2, from LDVAL to
 * 0; on the next clock it sets TIF and reloads LDVAL, so one period is LDVAL + 1 clocks.
 * Writing LDVAL while running takes effect at the next reload; TEN 0 -> 1 loads LDVAL.
 * MDIS = 1 stops every channel, keeping CVAL; clearing MDIS resumes from there. FRZ is
 * accepted (no debug mode here).
 * Chained mode (CHN, channels 1..3; RM "Chained timers"): the channel counts one per expiry of
 * channel n-1 instead of per bus clock. Changing CHN while running reloads LDVAL.
 *
 * Nothing counts in the background: the state holds, per running channel, the value of its
 * clock source (bus ticks, or the expiry count of channel n-1) at a reference point and the
 * number of source events left to the next expiry; every access and tick() first brings all
 * channels to the present in O(1) per channel, however long the gap. TIF is therefore
 * up to date whenever firmware reads it; deadline() only reports expiries that change the
 * interrupt lines (running channels with TIE = 1 and TIF = 0), so a free-running counter
 * without interrupts (e.g. a microsecond ticker) costs nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "periph.h"

#define PIT_SPACE 0x140u
#define PIT_CHANNELS 4
#define PIT_DEFAULT_BUS_HZ 60000000u   /* when the bus reports no core clock */

enum { PIT_MCR = 0x000, PIT_LTMR64H = 0x0E0, PIT_LTMR64L = 0x0E4, PIT_CH0 = 0x100 };
enum { PIT_LDVAL = 0x0, PIT_CVAL = 0x4, PIT_TCTRL = 0x8, PIT_TFLG = 0xC };

#define PIT_MCR_RESET 0x00000006u
#define PIT_MCR_MDIS 0x2u
#define PIT_MCR_WRITABLE 0x3u
#define PIT_TCTRL_TEN 0x1u
#define PIT_TCTRL_TIE 0x2u
#define PIT_TCTRL_CHN 0x4u
#define PIT_TFLG_TIF 0x1u

typedef struct pit_chan {
    uint32_t ldval, tctrl, tflg;
    bool running;                      /* counting (TEN and not MDIS) */
    uint64_t src_ref;                  /* source count at the reference point */
    uint64_t left;                     /* source events from src_ref to the next expiry */
    uint64_t expiries;                 /* expiries since reset (chain source of n+1) */
    uint32_t frozen_cval;              /* CVAL while not running */
    bool irq_level;
} pit_chan_t;

typedef struct pit_state {
    uint32_t mcr;
    uint32_t ltmr_l;                   /* CVAL0 latched by reading LTMR64H */
    uint64_t bus_hz;
    pit_chan_t ch[PIT_CHANNELS];
} pit_state_t;

typedef struct pit {
    periph_t base;
    pit_state_t s;
    int first_irq;
    uint64_t access_ticks;            /* bus-clock count of the access being split (transient) */
} pit_t;

static uint64_t pit_ticks(const pit_t *t, uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * t->s.bus_hz / 1000000000u);
}

/* First ns at which pit_ticks(ns) >= ticks. */
static uint64_t pit_ticks_to_ns(const pit_t *t, uint64_t ticks)
{
    unsigned __int128 ns = ((unsigned __int128)ticks * 1000000000u + t->s.bus_hz - 1) / t->s.bus_hz;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static bool pit_chained(const pit_t *t, int c)
{
    return c > 0 && (t->s.ch[c].tctrl & PIT_TCTRL_CHN);
}

static bool pit_should_run(const pit_t *t, int c)
{
    return !(t->s.mcr & PIT_MCR_MDIS) && (t->s.ch[c].tctrl & PIT_TCTRL_TEN);
}

/* Source count of channel c at bus tick T; valid once channels < c are advanced to T. */
static uint64_t pit_source(const pit_t *t, int c, uint64_t T)
{
    return pit_chained(t, c) ? t->s.ch[c - 1].expiries : T;
}

static void pit_update_irqs(pit_t *t, bool force)
{
    for (int c = 0; c < PIT_CHANNELS; c++) {
        pit_chan_t *ch = &t->s.ch[c];
        bool level = (ch->tflg & PIT_TFLG_TIF) && (ch->tctrl & PIT_TCTRL_TIE);
        if (level != ch->irq_level || force) {
            ch->irq_level = level;
            if (t->base.bus->irq)
                t->base.bus->irq(t->base.bus->m, t->first_irq + c, level);
        }
    }
}

/* Process every expiry up to bus tick T, channel 0 first (chains flow upwards). */
static void pit_advance(pit_t *t, uint64_t T)
{
    for (int c = 0; c < PIT_CHANNELS; c++) {
        pit_chan_t *ch = &t->s.ch[c];
        if (!ch->running)
            continue;
        uint64_t S = pit_source(t, c, T);
        if (S < ch->src_ref || S - ch->src_ref < ch->left)
            continue;
        uint64_t period = (uint64_t)ch->ldval + 1u;
        uint64_t e = S - ch->src_ref - ch->left;       /* events after the first expiry */
        uint64_t k = 1u + e / period;
        ch->src_ref += ch->left + (k - 1u) * period;
        ch->left = period;
        ch->expiries += k;
        ch->tflg |= PIT_TFLG_TIF;
    }
}

static uint32_t pit_cval(const pit_t *t, int c, uint64_t T)
{
    const pit_chan_t *ch = &t->s.ch[c];
    if (!ch->running)
        return ch->frozen_cval;
    uint64_t S = pit_source(t, c, T);
    uint64_t e = S > ch->src_ref ? S - ch->src_ref : 0;
    return (uint32_t)(ch->left - 1u - e);
}

/* Start or stop channels whose TEN/MDIS changed; call after pit_advance(T). */
static void pit_sync(pit_t *t, uint64_t T)
{
    for (int c = 0; c < PIT_CHANNELS; c++) {
        pit_chan_t *ch = &t->s.ch[c];
        bool want = pit_should_run(t, c);
        if (want && !ch->running) {
            ch->running = true;
            ch->src_ref = pit_source(t, c, T);
            ch->left = (uint64_t)ch->frozen_cval + 1u;
        } else if (!want && ch->running) {
            ch->frozen_cval = pit_cval(t, c, T);
            ch->running = false;
        }
    }
}

static uint64_t pit_now_ticks(pit_t *t)
{
    return pit_ticks(t, t->base.bus->now_ns(t->base.bus->m));
}

static uint32_t pit_read32(pit_t *t, uint32_t off, uint64_t T)
{
    if (off == PIT_MCR)
        return t->s.mcr;
    if (off == PIT_LTMR64H) {
        t->s.ltmr_l = pit_cval(t, 0, T);
        return pit_cval(t, 1, T);
    }
    if (off == PIT_LTMR64L)
        return t->s.ltmr_l;
    if (off < PIT_CH0 || off >= PIT_SPACE)
        return 0;
    int c = (int)((off - PIT_CH0) / 0x10u);
    const pit_chan_t *ch = &t->s.ch[c];
    switch (off & 0xFu) {
    case PIT_LDVAL: return ch->ldval;
    case PIT_CVAL: return pit_cval(t, c, T);
    case PIT_TCTRL: return ch->tctrl;
    default: return ch->tflg;
    }
}

static void pit_write32(pit_t *t, uint32_t off, uint32_t val, uint32_t mask, uint64_t T)
{
    if (off == PIT_MCR) {
        uint32_t m = mask & PIT_MCR_WRITABLE;
        t->s.mcr = (t->s.mcr & ~m) | (val & m);
        return;
    }
    if (off < PIT_CH0 || off >= PIT_SPACE)
        return;
    int c = (int)((off - PIT_CH0) / 0x10u);
    pit_chan_t *ch = &t->s.ch[c];
    switch (off & 0xFu) {
    case PIT_LDVAL:
        ch->ldval = (ch->ldval & ~mask) | (val & mask);
        return;
    case PIT_TCTRL: {
        uint32_t old = ch->tctrl;
        uint32_t m = mask & 0x7u;
        uint32_t v = (old & ~m) | (val & m);
        bool ten_rise = !(old & PIT_TCTRL_TEN) && (v & PIT_TCTRL_TEN);
        bool chn_flip = ((old ^ v) & PIT_TCTRL_CHN) && (v & PIT_TCTRL_TEN);
        ch->tctrl = v;
        if (ten_rise || chn_flip) {    /* (re)load LDVAL at the next pit_sync */
            ch->running = false;
            ch->frozen_cval = ch->ldval;
        }
        return;
    }
    case PIT_TFLG:
        ch->tflg &= ~(val & mask & PIT_TFLG_TIF);
        return;
    default:
        return;                        /* CVAL read-only */
    }
}

static uint32_t pit_read_word(periph_t *p, uint32_t off)
{
    pit_t *t = (pit_t *)p;
    return pit_read32(t, off, t->access_ticks);
}

static void pit_write_word(periph_t *p, uint32_t off, uint32_t val, uint32_t mask)
{
    pit_t *t = (pit_t *)p;
    pit_write32(t, off, val, mask, t->access_ticks);
    pit_sync(t, t->access_ticks);
}

static uint32_t pit_read(periph_t *p, uint32_t off, unsigned size)
{
    pit_t *t = (pit_t *)p;
    t->access_ticks = pit_now_ticks(t);
    pit_advance(t, t->access_ticks);
    uint32_t v = periph_read_split(p, off, size, pit_read_word);
    pit_update_irqs(t, false);
    return v;
}

static void pit_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    pit_t *t = (pit_t *)p;
    t->access_ticks = pit_now_ticks(t);
    pit_advance(t, t->access_ticks);
    periph_write_split(p, off, size, value, pit_write_word);
    pit_update_irqs(t, false);
}

/* Time (ns) at which channel c's source count reaches `target`; UINT64_MAX for never. */
static uint64_t pit_time_of_source(const pit_t *t, int c, uint64_t target)
{
    for (;;) {
        if (!pit_chained(t, c))
            return pit_ticks_to_ns(t, target);
        const pit_chan_t *prev = &t->s.ch[c - 1];
        if (!prev->running)
            return UINT64_MAX;
        if (target <= prev->expiries)
            return 0;
        /* the (target - expiries)-th expiry of channel c-1, in its own source count */
        uint64_t n = target - prev->expiries - 1u, span, next;
        if (__builtin_mul_overflow(n, (uint64_t)prev->ldval + 1u, &span) ||
            __builtin_add_overflow(prev->src_ref, prev->left, &next) ||
            __builtin_add_overflow(next, span, &next))
            return UINT64_MAX;
        target = next;
        c--;
    }
}

static uint64_t pit_deadline(periph_t *p)
{
    pit_t *t = (pit_t *)p;
    uint64_t best = UINT64_MAX;
    for (int c = 0; c < PIT_CHANNELS; c++) {
        const pit_chan_t *ch = &t->s.ch[c];
        if (!ch->running || !(ch->tctrl & PIT_TCTRL_TIE) || (ch->tflg & PIT_TFLG_TIF))
            continue;
        uint64_t target;
        if (__builtin_add_overflow(ch->src_ref, ch->left, &target))
            continue;
        uint64_t when = pit_time_of_source(t, c, target);
        if (when < best)
            best = when;
    }
    return best;
}

static void pit_tick(periph_t *p, uint64_t now_ns)
{
    pit_t *t = (pit_t *)p;
    pit_advance(t, pit_ticks(t, now_ns));
    pit_update_irqs(t, false);
}

static void pit_reset(periph_t *p, emu_reset_kind_t kind)
{
    pit_t *t = (pit_t *)p;
    t->s.mcr = PIT_MCR_RESET;
    t->s.ltmr_l = 0;
    memset(t->s.ch, 0, sizeof t->s.ch);
    pit_update_irqs(t, true);
}

static void pit_destroy(periph_t *p)
{
    free(p);
}

static void *pit_state(periph_t *p)
{
    return &((pit_t *)p)->s;
}

static const periph_ops_t pit_ops = {
    .name = "pit",
    .size = PIT_SPACE,
    .read = pit_read,
    .write = pit_write,
    .reset = pit_reset,
    .deadline = pit_deadline,
    .tick = pit_tick,
    .destroy = pit_destroy,
    .state_size = sizeof(pit_state_t),
    .state = pit_state,
};

periph_t *pit_create(emu_bus_t *bus, int first_irq)
{
    pit_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->base.ops = &pit_ops;
    t->base.bus = bus;
    t->first_irq = first_irq;
    t->s.bus_hz = bus->core_hz >= 2 ? bus->core_hz / 2 : PIT_DEFAULT_BUS_HZ;
    t->s.mcr = PIT_MCR_RESET;
    return &t->base;
}
