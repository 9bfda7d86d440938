/*
 * K64F watchdog (WDOG): K64 Sub-Family Reference Manual, chapter "Watchdog Timer (WDOG)"
 * (register map, "Unlocking and updating the watchdog", "Watchdog configuration time (WCT)",
 * "Refreshing the watchdog", "Watchdog operation with 8-bit access"); k64f.md "WDOG".
 *
 * Registers are 16 bits wide; a 32-bit access covers two registers (low half = lower offset),
 * an 8-bit access one byte of a register.
 *
 * Clock: WDOG_CLK is the 1 kHz LPO when STCTRLH.CLKSRC = 0, the "alternate" clock otherwise.
 * We model the alternate clock as the constant WDOG_ALT_CLOCK_HZ = 20.97152 MHz, the bus clock
 * in FEI mode out of reset: with TOVAL = 0x004C4B4C and PRESC = 0x0400 (divide by 5) the reset
 * timeout is 5,000,012 * 5 / 20,971,520 Hz ~ 1.19 s (k64f.md: "roughly 1.2 s"). Firmware that
 * changes clocks does not change this constant (documented approximation).
 * The bus-clock windows of the RM (20 clocks between the two words of a sequence, WCT = 256
 * clocks) are converted to ns with the same slow clock, i.e. the widest reading; they are state
 * fields so a machine setting may change them after create.
 *
 * Rules modelled (RM WDOG functional description):
 *   - configuration registers (STCTRLH, TOVALH/L, WINH/L, PRESC) accept writes only within
 *     WCT after a complete unlock (0xC520 then 0xD928 to UNLOCK, second word within 20 bus
 *     clocks), and only if STCTRLH.ALLOWUPDATE was 1 at the unlock. Writes outside that window
 *     are ignored. There is no unlock-free window after reset: the RM says the registers must
 *     be *unlocked* within WCT of reset, so writes without unlock are ignored (lenient: the RM
 *     also resets the chip when no unlock comes within WCT of reset while software configures,
 *     which we do not model).
 *   - any number of writes is accepted within the window (the RM allows each register to be
 *     written once; the SDK writes each once, so leniency costs nothing).
 *   - the RM also resets when nothing is configured within WCT after an unlock: not modelled.
 *   - a value other than 0xC520 / 0xD928 written to UNLOCK resets (WATCHDOG); the second word
 *     later than the 20-clock gap resets when ALLOWUPDATE = 1. With ALLOWUPDATE = 0 a correct
 *     sequence does nothing.
 *   - refresh: 0xA602 then 0xB480 within 20 bus clocks restarts the timer (counted for
 *     wdog_refresh_count). Any other value, or the second word too late, resets. With WINEN,
 *     a refresh while the timer is below WIN resets. A refresh between the unlock words or
 *     within WCT after unlock goes undetected (ignored), per the RM.
 *   - 8-bit writes to REFRESH/UNLOCK: the 16-bit register value is checked after each byte;
 *     a sequence value counts as a match, and a reset happens only if a byte matches neither
 *     word's byte at that position (RM "Refresh and unlock operations with 8-bit access").
 *   - these exception conditions trigger even when WDOGEN = 0 (RM STCTRLH.WDOGEN: "other
 *     exception conditions can still trigger a reset"); only the timeout needs WDOGEN.
 *   - timeout: enabled and now - timer_start >= TOVAL * (PRESCVAL + 1) / WDOG_CLK -> reset.
 *     The timer restarts at reset, at a valid refresh, when WDOGEN goes 0 -> 1 and when the
 *     timeout configuration (TOVAL, PRESC, CLKSRC) is written (lenient: the RM only says the
 *     new configuration takes effect after WCT).
 *   - IRQRSTEN (interrupt before reset) is not modelled: the reset is requested directly.
 *   - STOPEN/WAITEN/DBGEN: the timer keeps counting across WFI (the machine skips sleeps to
 *     deadlines), as with WAITEN = 1 (reset value).
 *   - RSTCNT counts watchdog resets, saturates at 0xFFFF, is cleared by writing 1s and by
 *     power-on only.
 *
 * reset_request() is always the last thing a function does: the machine may reset us inside it.
 */
#include <stdlib.h>
#include <string.h>

#include "periph.h"

#define WDOG_SPACE 0x18u

#define WDOG_LPO_HZ 1000u
#define WDOG_ALT_CLOCK_HZ 20971520u            /* FEI bus clock out of reset (see above) */
#define WDOG_SEQ_GAP_CLOCKS 20u                /* max bus clocks between two sequence words */
#define WDOG_WCT_CLOCKS 256u                   /* watchdog configuration time */

/* Register offsets (RM WDOG memory map). */
enum {
    WDOG_STCTRLH = 0x00, WDOG_STCTRLL = 0x02, WDOG_TOVALH = 0x04, WDOG_TOVALL = 0x06,
    WDOG_WINH = 0x08, WDOG_WINL = 0x0A, WDOG_REFRESH = 0x0C, WDOG_UNLOCK = 0x0E,
    WDOG_TMROUTH = 0x10, WDOG_TMROUTL = 0x12, WDOG_RSTCNT = 0x14, WDOG_PRESC = 0x16,
};

/* STCTRLH bits */
#define WDOG_STCTRLH_WDOGEN 0x0001u
#define WDOG_STCTRLH_CLKSRC 0x0002u
#define WDOG_STCTRLH_IRQRSTEN 0x0004u
#define WDOG_STCTRLH_WINEN 0x0008u
#define WDOG_STCTRLH_ALLOWUPDATE 0x0010u
#define WDOG_STCTRLH_WRITABLE 0x7CFFu            /* bits 15, 9 reserved 0; bit 8 reserved 1 */
#define WDOG_STCTRLH_ONES 0x0100u

/* Reset values (RM WDOG register descriptions, k64f.md). */
#define WDOG_STCTRLH_RESET 0x01D3u
#define WDOG_STCTRLL_RESET 0x0001u
#define WDOG_TOVALH_RESET 0x004Cu
#define WDOG_TOVALL_RESET 0x4B4Cu
#define WDOG_WINH_RESET 0x0000u
#define WDOG_WINL_RESET 0x0010u
#define WDOG_REFRESH_RESET 0xB480u
#define WDOG_UNLOCK_RESET 0xD928u
#define WDOG_PRESC_RESET 0x0400u
#define WDOG_PRESC_MASK 0x0700u                  /* PRESCVAL bits 10:8 */

#define WDOG_REFRESH_1 0xA602u
#define WDOG_REFRESH_2 0xB480u
#define WDOG_UNLOCK_1 0xC520u
#define WDOG_UNLOCK_2 0xD928u

typedef struct wdog_state {
    /* registers */
    uint16_t stctrlh, stctrll, tovalh, tovall, winh, winl, refresh, unlock, rstcnt, presc;
    /* timer */
    uint64_t timer_start_ns;           /* time the counter was last restarted */
    /* sequences */
    bool refresh_first;                /* 0xA602 seen, waiting for 0xB480 */
    uint64_t refresh_first_ns;
    bool unlock_first;                 /* 0xC520 seen, waiting for 0xD928 */
    uint64_t unlock_first_ns;
    bool unlocked;                     /* configuration window opened at unlocked_ns */
    uint64_t unlocked_ns;
    bool reset_pending;                /* reset requested, waiting for reset() */
    /* timing windows (ns), from the constants above; a machine setting may change them */
    uint64_t seq_gap_ns;
    uint64_t wct_ns;
    /* configuration and statistics */
    bool enabled_out_of_reset;
    uint64_t refresh_count;            /* valid refreshes since create (all resets) */
} wdog_state_t;

typedef struct wdog {
    periph_t base;
    wdog_state_t s;
    unsigned fires;                    /* transient: reset requests made (not state) */
} wdog_t;

static uint64_t wdog_now(wdog_t *w)
{
    return w->base.bus->now_ns(w->base.bus->m);
}

static uint64_t wdog_clocks_to_ns(uint64_t clocks, uint64_t hz)
{
    unsigned __int128 ns = ((unsigned __int128)clocks * 1000000000u + hz - 1) / hz;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static bool wdog_enabled(const wdog_t *w)
{
    return (w->s.stctrlh & WDOG_STCTRLH_WDOGEN) != 0;
}

static uint64_t wdog_clock_hz(const wdog_t *w)
{
    return (w->s.stctrlh & WDOG_STCTRLH_CLKSRC) ? WDOG_ALT_CLOCK_HZ : WDOG_LPO_HZ;
}

static uint64_t wdog_divider(const wdog_t *w)
{
    return ((w->s.presc & WDOG_PRESC_MASK) >> 8) + 1u;
}

/* Timer value in prescaled WDOG clocks (TMROUT). */
static uint64_t wdog_timer(wdog_t *w, uint64_t now)
{
    if (!wdog_enabled(w) || now <= w->s.timer_start_ns)
        return 0;
    unsigned __int128 t = (unsigned __int128)(now - w->s.timer_start_ns) * wdog_clock_hz(w);
    return (uint64_t)(t / 1000000000u / wdog_divider(w));
}

static uint64_t wdog_timeout_ns(const wdog_t *w)
{
    uint64_t toval = ((uint64_t)w->s.tovalh << 16) | w->s.tovall;
    return wdog_clocks_to_ns(toval * wdog_divider(w), wdog_clock_hz(w));
}

static void wdog_fire(wdog_t *w, const char *why)
{
    if (w->s.reset_pending)
        return;
    w->s.reset_pending = true;
    w->fires++;
    w->base.bus->reset_request(w->base.bus->m, EMU_RESET_WATCHDOG, why);
}

static bool wdog_config_open(const wdog_t *w, uint64_t now)
{
    return w->s.unlocked && now - w->s.unlocked_ns <= w->s.wct_ns;
}

/* 8-bit access rule: each byte must be a byte of one of the two sequence words. */
static bool wdog_bytes_plausible(uint16_t v, uint16_t w1, uint16_t w2)
{
    uint8_t hi = (uint8_t)(v >> 8), lo = (uint8_t)v;
    return (hi == (w1 >> 8) || hi == (w2 >> 8)) && (lo == (w1 & 0xFF) || lo == (w2 & 0xFF));
}

static void wdog_write_unlock(wdog_t *w, uint16_t v, bool bytewise, uint64_t now)
{
    w->s.unlock = v;
    if (v == WDOG_UNLOCK_1) {
        if (!wdog_config_open(w, now)) {   /* RM: unlocking again within WCT has no effect */
            w->s.unlock_first = true;
            w->s.unlock_first_ns = now;
        }
        return;
    }
    if (v == WDOG_UNLOCK_2) {
        if (!w->s.unlock_first)
            return;
        w->s.unlock_first = false;
        bool allow = (w->s.stctrlh & WDOG_STCTRLH_ALLOWUPDATE) != 0;
        if (now - w->s.unlock_first_ns > w->s.seq_gap_ns) {
            if (allow)
                wdog_fire(w, "WDOG unlock: second word too late");
            return;
        }
        if (allow) {
            w->s.unlocked = true;
            w->s.unlocked_ns = now;
        }
        return;
    }
    if (bytewise && wdog_bytes_plausible(v, WDOG_UNLOCK_1, WDOG_UNLOCK_2))
        return;
    w->s.unlock_first = false;
    wdog_fire(w, "WDOG unlock: wrong value");
}

static void wdog_write_refresh(wdog_t *w, uint16_t v, bool bytewise, uint64_t now)
{
    /* RM: refreshes between the unlock words and within WCT after unlock go undetected. */
    if ((w->s.unlock_first && now - w->s.unlock_first_ns <= w->s.seq_gap_ns) ||
        wdog_config_open(w, now))
        return;
    w->s.refresh = v;
    if (v == WDOG_REFRESH_1) {
        w->s.refresh_first = true;
        w->s.refresh_first_ns = now;
        return;
    }
    if (v == WDOG_REFRESH_2) {
        if (!w->s.refresh_first)
            return;
        w->s.refresh_first = false;
        if (now - w->s.refresh_first_ns > w->s.seq_gap_ns) {
            wdog_fire(w, "WDOG refresh: second word too late");
            return;
        }
        if ((w->s.stctrlh & WDOG_STCTRLH_WINEN) && wdog_enabled(w)) {
            uint64_t win = ((uint64_t)w->s.winh << 16) | w->s.winl;
            if (wdog_timer(w, now) < win) {
                wdog_fire(w, "WDOG refresh before window");
                return;
            }
        }
        w->s.refresh_count++;
        w->s.timer_start_ns = now;
        return;
    }
    if (bytewise && wdog_bytes_plausible(v, WDOG_REFRESH_1, WDOG_REFRESH_2))
        return;
    w->s.refresh_first = false;
    wdog_fire(w, "WDOG refresh: wrong value");
}

/* One 16-bit register; `mask` has the bytes actually written (0xFFFF or one byte). */
static void wdog_write16(wdog_t *w, uint32_t off, uint16_t val, uint16_t mask)
{
    uint64_t now = wdog_now(w);
    bool bytewise = mask != 0xFFFFu;
    uint16_t *cfg = NULL;

    switch (off) {
    case WDOG_STCTRLH: cfg = &w->s.stctrlh; break;
    case WDOG_TOVALH: cfg = &w->s.tovalh; break;
    case WDOG_TOVALL: cfg = &w->s.tovall; break;
    case WDOG_WINH: cfg = &w->s.winh; break;
    case WDOG_WINL: cfg = &w->s.winl; break;
    case WDOG_PRESC: cfg = &w->s.presc; break;
    case WDOG_STCTRLL:
        w->s.stctrll &= (uint16_t)~(val & mask & 0x8000u);     /* INTFLG w1c */
        return;
    case WDOG_RSTCNT:
        w->s.rstcnt &= (uint16_t)~(val & mask);                /* w1c */
        return;
    case WDOG_REFRESH:
        wdog_write_refresh(w, (uint16_t)((w->s.refresh & ~mask) | (val & mask)), bytewise, now);
        return;
    case WDOG_UNLOCK:
        wdog_write_unlock(w, (uint16_t)((w->s.unlock & ~mask) | (val & mask)), bytewise, now);
        return;
    default:
        return;                                                /* TMROUT: read-only */
    }

    if (!wdog_config_open(w, now))
        return;
    uint16_t old = *cfg;
    uint16_t v = (uint16_t)((old & ~mask) | (val & mask));
    if (off == WDOG_STCTRLH)
        v = (uint16_t)((v & WDOG_STCTRLH_WRITABLE) | WDOG_STCTRLH_ONES);
    else if (off == WDOG_PRESC)
        v &= WDOG_PRESC_MASK;
    *cfg = v;

    bool restart = off == WDOG_TOVALH || off == WDOG_TOVALL || off == WDOG_PRESC;
    if (off == WDOG_STCTRLH)
        restart = ((old ^ v) & WDOG_STCTRLH_CLKSRC) ||
                  (!(old & WDOG_STCTRLH_WDOGEN) && (v & WDOG_STCTRLH_WDOGEN));
    if (restart && old != v)
        w->s.timer_start_ns = now;
}

static uint16_t wdog_read16(wdog_t *w, uint32_t off)
{
    switch (off) {
    case WDOG_STCTRLH: return w->s.stctrlh;
    case WDOG_STCTRLL: return w->s.stctrll;
    case WDOG_TOVALH: return w->s.tovalh;
    case WDOG_TOVALL: return w->s.tovall;
    case WDOG_WINH: return w->s.winh;
    case WDOG_WINL: return w->s.winl;
    case WDOG_REFRESH: return w->s.refresh;
    case WDOG_UNLOCK: return w->s.unlock;
    case WDOG_TMROUTH: return (uint16_t)(wdog_timer(w, wdog_now(w)) >> 16);
    case WDOG_TMROUTL: return (uint16_t)wdog_timer(w, wdog_now(w));
    case WDOG_RSTCNT: return w->s.rstcnt;
    case WDOG_PRESC: return w->s.presc;
    default: return 0;
    }
}

static uint32_t wdog_read(periph_t *p, uint32_t off, unsigned size)
{
    wdog_t *w = (wdog_t *)p;
    uint32_t v = 0;
    uint16_t cur = 0;
    for (unsigned i = 0; i < size; i++) {
        uint32_t a = off + i;
        if (i == 0 || (a & 1u) == 0)
            cur = wdog_read16(w, a & ~1u);
        v |= (uint32_t)((cur >> (8 * (a & 1u))) & 0xFFu) << (8 * i);
    }
    return v;
}

static void wdog_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    wdog_t *w = (wdog_t *)p;
    unsigned i = 0;
    unsigned fires = w->fires;
    while (i < size && w->fires == fires && !w->s.reset_pending) {
        uint32_t reg = (off + i) & ~1u;
        uint16_t val = 0, mask = 0;
        while (i < size && ((off + i) & ~1u) == reg) {
            unsigned b = (off + i) & 1u;
            val |= (uint16_t)(((value >> (8 * i)) & 0xFFu) << (8 * b));
            mask |= (uint16_t)(0xFFu << (8 * b));
            i++;
        }
        wdog_write16(w, reg, val, mask);
    }
}

static void wdog_regs_reset(wdog_t *w)
{
    w->s.stctrlh = w->s.enabled_out_of_reset ? WDOG_STCTRLH_RESET
                                             : (uint16_t)(WDOG_STCTRLH_RESET & ~WDOG_STCTRLH_WDOGEN);
    w->s.stctrll = WDOG_STCTRLL_RESET;
    w->s.tovalh = WDOG_TOVALH_RESET;
    w->s.tovall = WDOG_TOVALL_RESET;
    w->s.winh = WDOG_WINH_RESET;
    w->s.winl = WDOG_WINL_RESET;
    w->s.refresh = WDOG_REFRESH_RESET;
    w->s.unlock = WDOG_UNLOCK_RESET;
    w->s.presc = WDOG_PRESC_RESET;
    w->s.refresh_first = false;
    w->s.unlock_first = false;
    w->s.unlocked = false;
    w->s.reset_pending = false;
}

static void wdog_reset(periph_t *p, emu_reset_kind_t kind)
{
    wdog_t *w = (wdog_t *)p;
    wdog_regs_reset(w);
    if (kind == EMU_RESET_POWER_ON)
        w->s.rstcnt = 0;
    else if (kind == EMU_RESET_WATCHDOG && w->s.rstcnt != 0xFFFFu)
        w->s.rstcnt++;
    w->s.timer_start_ns = wdog_now(w);
}

static uint64_t wdog_deadline(periph_t *p)
{
    wdog_t *w = (wdog_t *)p;
    if (!wdog_enabled(w) || w->s.reset_pending)
        return UINT64_MAX;
    uint64_t t = wdog_timeout_ns(w);
    return w->s.timer_start_ns > UINT64_MAX - t ? UINT64_MAX : w->s.timer_start_ns + t;
}

static void wdog_tick(periph_t *p, uint64_t now_ns)
{
    wdog_t *w = (wdog_t *)p;
    if (now_ns >= wdog_deadline(p))
        wdog_fire(w, "WDOG timeout");
}

static void wdog_destroy(periph_t *p)
{
    free(p);
}

static void *wdog_state(periph_t *p)
{
    return &((wdog_t *)p)->s;
}

/* Times relative to now (a sequence time only while its sequence is open); the refresh count
 * is statistics. */
static void wdog_fingerprint(periph_t *p, uint64_t now, emu_feed_fn feed, void *ctx)
{
    wdog_state_t s;
    memcpy(&s, &((wdog_t *)p)->s, sizeof s);
    s.timer_start_ns = now - s.timer_start_ns;
    s.refresh_first_ns = s.refresh_first ? now - s.refresh_first_ns : 0;
    s.unlock_first_ns = s.unlock_first ? now - s.unlock_first_ns : 0;
    s.unlocked_ns = s.unlocked ? now - s.unlocked_ns : 0;
    s.refresh_count = 0;
    feed(ctx, &s, sizeof s);
}

static const periph_ops_t wdog_ops = {
    .name = "wdog",
    .size = WDOG_SPACE,
    .read = wdog_read,
    .write = wdog_write,
    .reset = wdog_reset,
    .deadline = wdog_deadline,
    .tick = wdog_tick,
    .destroy = wdog_destroy,
    .state_size = sizeof(wdog_state_t),
    .state = wdog_state,
    .fingerprint = wdog_fingerprint,
};

periph_t *wdog_create(emu_bus_t *bus, bool enabled_out_of_reset)
{
    wdog_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->base.ops = &wdog_ops;
    w->base.bus = bus;
    w->s.enabled_out_of_reset = enabled_out_of_reset;
    w->s.seq_gap_ns = wdog_clocks_to_ns(WDOG_SEQ_GAP_CLOCKS, WDOG_ALT_CLOCK_HZ);
    w->s.wct_ns = wdog_clocks_to_ns(WDOG_WCT_CLOCKS, WDOG_ALT_CLOCK_HZ);
    wdog_regs_reset(w);
    return &w->base;
}

uint64_t wdog_refresh_count(periph_t *wdog)
{
    return ((wdog_t *)wdog)->s.refresh_count;
}
