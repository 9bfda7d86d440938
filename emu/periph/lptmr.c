/*
 * K64F Low-Power Timer (LPTMR0), base 0x40040000. Sources: the K64F SVD register map (as
 * generated into the mk64f12 PAC, its src/lptmr0 modules: bit positions, reset values 0,
 * field descriptions); the Kinetis LPTMR functional description, same module in the K20/K51/KL27/
 * KL02 reference manuals ("LPTMR power and reset", "LPTMR compare", "LPTMR counter", "LPTMR
 * interrupt"); Mbed OS's fsl_lptmr.c and lp_ticker.c for how firmware drives it.
 *
 *   0x0 CSR  TEN0 TMS1 TFC2 TPP3 TPS5:4 TIE6 TCF7 (write 1 to clear)
 *   0x4 PSR  PCS1:0 PBYP2 PRESCALE6:3
 *   0x8 CMR  compare value (16 bits)
 *   0xC CNR  counter (16 bits): "on each read of the CNR, software must first write to the CNR
 *            with any value"; the write latches the counter and reads return the latch
 * 32-bit registers; narrower accesses read or update the addressed bytes.
 *
 * Counting (Time Counter mode, TMS = 0): CNR starts at 0 when TEN goes 1 and increments once
 * per prescaler clock with PBYP = 1, once per 2^(PRESCALE+1) clocks otherwise. When CNR equals
 * CMR and increments, TCF sets and, with TFC = 0, CNR resets to 0 (a period of CMR + 1); with
 * TFC = 1 it runs on and wraps at 0xFFFF. Disabling (TEN = 0) resets CNR and clears TCF. CMR
 * written while enabled takes effect at once (Mbed's lp_ticker rewrites it on the run; the RM
 * asks software to do that only while TCF is set). The synchronisation delay of the first
 * increment (one or two clocks) is not modelled. Pulse Counter mode (TMS = 1) counts pin
 * edges: no pins here, so CNR holds.
 * Clocks (PSR.PCS, K64 "LPTMR prescaler/glitch filter clocking options"): 0 MCGIRCLK, taken as
 * the slow IRC's 32.768 kHz; 1 LPO, 1 kHz; 2 ERCLK32K, 32.768 kHz (Mbed selects the RTC
 * oscillator); 3 OSCERCLK, the FRDM-K64F's 50 MHz. Fixed: the MCG, SIM and RTC settings that
 * gate or choose these clocks are not consulted (peripherals do not see each other).
 * Interrupt: IRQ 58 = TCF & TIE, a level.
 * Reset: "The LPTMR is reset only on global Power On Reset (POR) or Low Voltage Detect (LVD)"
 * (RM "LPTMR power and reset"), so warm resets (pin, software, watchdog, lockup) keep it
 * running; power-on clears it.
 *
 * Nothing ticks in the background: while counting the state holds the origin of the tick grid,
 * the tick and CNR value at which the current compare configuration began, and the tick up to
 * which TCF was evaluated; every access computes CNR and TCF at `now` in O(1). deadline() asks
 * for a tick only for the next compare while TIE = 1 and TCF = 0.
 */
#include <stdlib.h>
#include <string.h>

#include "periph.h"

#define LPTMR_SPACE 0x10u
#define LPTMR_NS 1000000000u

enum { LPTMR_CSR = 0x0, LPTMR_PSR = 0x4, LPTMR_CMR = 0x8, LPTMR_CNR = 0xC };

#define LPTMR_CSR_TEN 0x01u
#define LPTMR_CSR_TMS 0x02u
#define LPTMR_CSR_TFC 0x04u
#define LPTMR_CSR_TIE 0x40u
#define LPTMR_CSR_TCF 0x80u
#define LPTMR_CSR_WRITABLE 0x7Fu
#define LPTMR_PSR_PBYP 0x04u
#define LPTMR_PSR_WRITABLE 0x7Fu

/* Prescaler clock by PSR.PCS (see above). */
static const uint32_t lptmr_clock_hz[4] = { 32768u, 1000u, 32768u, 50000000u };

typedef struct lptmr_state {
    uint64_t ref_ns;      /* counting: origin of the prescaled tick grid */
    uint64_t seg_n;       /* counting: tick at which the current compare configuration began */
    uint64_t done_n;      /* counting: tick up to which TCF has been evaluated */
    uint32_t csr, psr, cmr, cnr_latch;
    uint32_t seg_cnr;     /* CNR at seg_n while counting; the held CNR otherwise */
    uint8_t counting;
    uint8_t irq_level;    /* IRQ line as last driven */
    uint16_t reserved;
} lptmr_state_t;

typedef struct lptmr {
    periph_t base;
    lptmr_state_t s;
    int irq;
    uint64_t access_now;  /* time of the access being split (transient) */
} lptmr_t;

/* ns per tick = LPTMR_NS * divider / hz */
static uint64_t lptmr_divider(const lptmr_state_t *s)
{
    return (s->psr & LPTMR_PSR_PBYP) ? 1u : 2ull << ((s->psr >> 3) & 0xFu);
}

static uint64_t lptmr_ticks(const lptmr_state_t *s, uint64_t now)
{
    if (now <= s->ref_ns)
        return 0;
    uint64_t units, per = LPTMR_NS * lptmr_divider(s);      /* at most 1e9 * 65536 */
    if (!__builtin_mul_overflow(now - s->ref_ns, (uint64_t)lptmr_clock_hz[s->psr & 3u], &units))
        return units / per;
    return (uint64_t)((unsigned __int128)(now - s->ref_ns) * lptmr_clock_hz[s->psr & 3u] / per);
}

/* Ticks from seg_n to the first compare of the current configuration. */
static uint64_t lptmr_first_compare(const lptmr_state_t *s)
{
    return (uint64_t)((s->cmr - s->seg_cnr) & 0xFFFFu) + 1u;
}

static uint64_t lptmr_compare_period(const lptmr_state_t *s)
{
    return (s->csr & LPTMR_CSR_TFC) ? 0x10000u : (uint64_t)s->cmr + 1u;
}

/* CNR at tick n (>= seg_n) while counting. */
static uint32_t lptmr_cnr_at(const lptmr_state_t *s, uint64_t n)
{
    uint64_t m = n - s->seg_n, d1 = lptmr_first_compare(s);
    if (m < d1 || (s->csr & LPTMR_CSR_TFC))
        return (uint32_t)((s->seg_cnr + m) & 0xFFFFu);
    return (uint32_t)((m - d1) % lptmr_compare_period(s));
}

static uint32_t lptmr_cnr(const lptmr_state_t *s, uint64_t now)
{
    if (!(s->csr & LPTMR_CSR_TEN))
        return 0;
    return s->counting ? lptmr_cnr_at(s, lptmr_ticks(s, now)) : s->seg_cnr;
}

/* First compare tick after done_n. */
static uint64_t lptmr_next_compare(const lptmr_state_t *s)
{
    uint64_t first = s->seg_n + lptmr_first_compare(s);
    if (s->done_n < first)
        return first;
    uint64_t q = lptmr_compare_period(s);
    return first + ((s->done_n - first) / q + 1u) * q;
}

/* Evaluate TCF up to now. Pure on `s`. */
static void lptmr_advance(lptmr_state_t *s, uint64_t now)
{
    if (!s->counting)
        return;
    uint64_t n = lptmr_ticks(s, now);
    if (n <= s->done_n)
        return;
    if (lptmr_next_compare(s) <= n)
        s->csr |= LPTMR_CSR_TCF;
    s->done_n = n;
}

static void lptmr_update_irq(lptmr_t *t, bool force)
{
    bool level = (t->s.csr & LPTMR_CSR_TCF) && (t->s.csr & LPTMR_CSR_TIE);
    if (level != t->s.irq_level || force) {
        t->s.irq_level = level;
        if (t->base.bus->irq)
            t->base.bus->irq(t->base.bus->m, t->irq, level);
    }
}

/* After a register write: cnr is CNR just before it (count advanced to now). */
static void lptmr_sync(lptmr_state_t *s, uint32_t old_csr, uint32_t old_psr, uint32_t old_cmr,
                       uint32_t cnr, uint64_t now)
{
    bool was_on = (old_csr & LPTMR_CSR_TEN) != 0;
    if (!(s->csr & LPTMR_CSR_TEN)) {
        s->csr &= ~LPTMR_CSR_TCF;      /* disabling resets CNR and clears TCF */
        s->counting = 0;
        s->seg_cnr = 0;
        s->ref_ns = s->seg_n = s->done_n = 0;
        return;
    }
    if (!was_on)
        cnr = 0;
    if (s->csr & LPTMR_CSR_TMS) {      /* Pulse Counter mode: no input edges */
        s->counting = 0;
        s->seg_cnr = cnr;
        s->ref_ns = s->seg_n = s->done_n = 0;
        return;
    }
    bool new_grid = !was_on || !s->counting || ((old_psr ^ s->psr) & LPTMR_PSR_WRITABLE) ||
                    ((old_csr ^ s->csr) & LPTMR_CSR_TMS);
    if (new_grid) {
        s->ref_ns = now;
        s->seg_n = s->done_n = 0;
    } else if (((old_csr ^ s->csr) & LPTMR_CSR_TFC) || old_cmr != s->cmr) {
        s->seg_n = s->done_n;          /* same tick grid, new compare configuration */
    } else {
        return;
    }
    s->seg_cnr = cnr;
    s->counting = 1;
}

static uint32_t lptmr_read_word(periph_t *p, uint32_t off)
{
    const lptmr_state_t *s = &((lptmr_t *)p)->s;
    switch (off) {
    case LPTMR_CSR: return s->csr;
    case LPTMR_PSR: return s->psr;
    case LPTMR_CMR: return s->cmr;
    case LPTMR_CNR: return s->cnr_latch;
    default: return 0;
    }
}

static void lptmr_write_word(periph_t *p, uint32_t off, uint32_t val, uint32_t mask)
{
    lptmr_t *t = (lptmr_t *)p;
    lptmr_state_t *s = &t->s;
    uint32_t cnr = lptmr_cnr(s, t->access_now);
    uint32_t old_csr = s->csr, old_psr = s->psr, old_cmr = s->cmr;
    switch (off) {
    case LPTMR_CSR:
        s->csr = (s->csr & ~(mask & LPTMR_CSR_WRITABLE)) | (val & mask & LPTMR_CSR_WRITABLE);
        s->csr &= ~(val & mask & LPTMR_CSR_TCF);
        break;
    case LPTMR_PSR:
        s->psr = (s->psr & ~mask) | (val & mask & LPTMR_PSR_WRITABLE);
        break;
    case LPTMR_CMR:
        s->cmr = (s->cmr & ~mask) | (val & mask & 0xFFFFu);
        break;
    case LPTMR_CNR:
        s->cnr_latch = cnr;
        return;
    default:
        return;
    }
    lptmr_sync(s, old_csr, old_psr, old_cmr, cnr, t->access_now);
}

static uint32_t lptmr_read(periph_t *p, uint32_t off, unsigned size)
{
    lptmr_t *t = (lptmr_t *)p;
    lptmr_advance(&t->s, p->bus->now_ns(p->bus->m));
    lptmr_update_irq(t, false);
    return periph_read_split(p, off, size, lptmr_read_word);
}

static void lptmr_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    lptmr_t *t = (lptmr_t *)p;
    t->access_now = p->bus->now_ns(p->bus->m);
    lptmr_advance(&t->s, t->access_now);
    periph_write_split(p, off, size, value, lptmr_write_word);
    lptmr_update_irq(t, false);
}

static uint64_t lptmr_deadline(periph_t *p)
{
    const lptmr_state_t *s = &((lptmr_t *)p)->s;
    if (!s->counting || !(s->csr & LPTMR_CSR_TIE) || (s->csr & LPTMR_CSR_TCF))
        return UINT64_MAX;
    /* first ns at which lptmr_ticks() reaches the next compare */
    unsigned __int128 per = (unsigned __int128)LPTMR_NS * lptmr_divider(s);
    uint32_t hz = lptmr_clock_hz[s->psr & 3u];
    unsigned __int128 ns = ((unsigned __int128)lptmr_next_compare(s) * per + hz - 1u) / hz;
    ns += s->ref_ns;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static void lptmr_tick(periph_t *p, uint64_t now_ns)
{
    lptmr_t *t = (lptmr_t *)p;
    lptmr_advance(&t->s, now_ns);
    lptmr_update_irq(t, false);
}

static void lptmr_reset(periph_t *p, emu_reset_kind_t kind)
{
    lptmr_t *t = (lptmr_t *)p;
    if (kind == EMU_RESET_POWER_ON)
        memset(&t->s, 0, sizeof t->s);
    lptmr_update_irq(t, true);
}

static void lptmr_destroy(periph_t *p)
{
    free(p);
}

static void *lptmr_state(periph_t *p)
{
    return &((lptmr_t *)p)->s;
}

/* The state brought to now and re-expressed from now (CNR at now as the start of the compare
 * configuration, the phase within the current tick as the origin), so equal timers started at
 * different times fingerprint alike. */
static void lptmr_fingerprint(periph_t *p, uint64_t now, emu_feed_fn feed, void *ctx)
{
    lptmr_state_t s;
    memcpy(&s, &((lptmr_t *)p)->s, sizeof s);
    lptmr_advance(&s, now);
    if (s.counting) {
        unsigned __int128 per = (unsigned __int128)LPTMR_NS * lptmr_divider(&s);
        unsigned __int128 units = (unsigned __int128)(now - s.ref_ns) * lptmr_clock_hz[s.psr & 3u];
        s.seg_cnr = lptmr_cnr(&s, now);
        s.ref_ns = (uint64_t)(units % per);
        s.seg_n = s.done_n = 0;
    }
    feed(ctx, &s, sizeof s);
}

static const periph_ops_t lptmr_ops = {
    .name = "lptmr",
    .size = LPTMR_SPACE,
    .read = lptmr_read,
    .write = lptmr_write,
    .reset = lptmr_reset,
    .deadline = lptmr_deadline,
    .tick = lptmr_tick,
    .destroy = lptmr_destroy,
    .state_size = sizeof(lptmr_state_t),
    .state = lptmr_state,
    .fingerprint = lptmr_fingerprint,
};

periph_t *lptmr_create(emu_bus_t *bus, int irq)
{
    lptmr_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->base.ops = &lptmr_ops;
    t->base.bus = bus;
    t->irq = irq;
    return &t->base;
}
