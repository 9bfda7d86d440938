/*
 * K64F Real Time Clock (RTC), base 0x4003D000. Sources: the K64F SVD register map (as
 * generated into the mk64f12 PAC, its src/rtc modules: offsets, bit positions, reset values,
 * field descriptions); the Kinetis RTC functional description, same module in the K20/K22/KL25
 * reference manuals ("Software reset", "Time counter", "Time alarm"); Mbed OS's fsl_rtc.c,
 * mbed_overrides.c and lp_ticker.c for how firmware drives it (../shared/firmware/
 * mbed-bootloader/README.md "Facts measured").
 *
 *   0x000 TSR  seconds          0x010 CR   SWR0 WPE1 SUP2 UM3 WPS4 OSCE8 CLKO9 SCxP13:10
 *   0x004 TPR  prescaler (16)   0x014 SR   TIF0 TOF1 TAF2 (read-only) TCE4, reset 0x01
 *   0x008 TAR  alarm            0x018 LR   TCL3 CRL4 SRL5 LRL6, reset 0xFF (other bits 1)
 *   0x00C TCR  TCR7:0 CIR15:8   0x01C IER  TIIE0 TOIE1 TAIE2 TSIE4 WPON7, reset 0x07
 *   0x800 WAR / 0x804 RAR  write / read access, one bit per register above (bit = off / 4),
 *                          reset 0xFF; a cleared bit stays clear until the next chip reset
 * 32-bit registers; narrower accesses read or update the addressed bytes.
 *
 * Time counter (RM "Time counter"): TPR counts the 32.768 kHz clock while SR.TCE = 1, TIF = 0,
 * TOF = 0 and the clock is present; TSR increments on the falling edge of TPR bit 14, i.e.
 * each time TPR[14:0] wraps (every 32768 ticks; TPR[15] just toggles). TSR and TPR can be
 * written only while TCE = 0 (writes are ignored otherwise); a TSR write clears TIF and TOF.
 * Both read as 0 while TIF or TOF is set. When TSR wraps from 0xFFFFFFFF, TOF sets and the
 * prescaler stops (TPR keeps the value it had at the wrap).
 * The clock: the RTC's own 32.768 kHz oscillator, CR.OSCE. The prescaler counts only while
 * OSCE = 1 (without the oscillator there is no clock, so nothing counts); the oscillator's
 * start-up time is not modelled (it counts from the moment OSCE is set). Mbed OS sets OSCE,
 * sets TCE and polls TPR >= 4096 (125 ms) as its start-up wait.
 * Alarm (RM "Time alarm"): SR.TAF sets when TSR equals TAR and TSR increments (so TSR reads
 * TAR + 1 when TAF appears; Mbed's lp_ticker writes TAR = TSR + delta - 1); a TAR write clears
 * TAF. Compensation (TCR/CIR) is stored but not applied; TCV and CIC read 0.
 * Interrupts: RTC (IRQ 46) = TIF&TIIE | TOF&TOIE | TAF&TAIE, a level. The seconds interrupt
 * (IRQ 47, IER.TSIE) is an edge once per TSR increment with no flag: it pulses the line.
 * Software reset (CR.SWR = 1): "the equivalent of a VBAT POR" to every register except the SWR
 * bit itself and WAR/RAR (SVD CR.SWR; RM "Software reset"), so CR's other bits clear too. We
 * hold the module in reset while SWR stays 1: other registers ignore writes until software
 * clears SWR (the RM says only that SWR must be cleared by software).
 * Locks: a cleared LR bit ignores writes to TCR (TCL), CR (CRL), SR (SRL), LR (LRL); LR bits
 * can only be cleared (set again by VBAT POR or software reset). With CR.UM = 1, SR.TCE stays
 * writable under SRL while TIF or TOF is set or TCE is clear. CR.SUP (bus error for user-mode
 * writes), the wakeup pin and the clock output are accepted and ignored.
 * Power domain: the RTC lives on VBAT. Warm resets (pin, software, watchdog, lockup) keep every
 * register and the count running; only WAR/RAR return to 0xFF ("reset by the chip reset").
 * Power-on is a VBAT POR here (the FRDM-K64F feeds VBAT from the board supply).
 *
 * Nothing ticks in the background: while counting, the state holds TSR/TPR as they were at
 * ref_ns, and every access computes the count at `now` in O(1). Alarm, overflow and seconds
 * are processed up to now at each access and tick(); deadline() asks for a tick only when an
 * enabled interrupt (TSIE, TAIE without TAF, TOIE) is ahead, so a polled TPR costs nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "periph.h"

#define RTC_SPACE 0x808u
#define RTC_OSC_HZ 32768u
#define RTC_NS 1000000000u
#define RTC_SECS_WRAP (1ull << 32)          /* seconds count at which TSR overflows */

enum { RTC_TSR = 0x00, RTC_TPR = 0x04, RTC_TAR = 0x08, RTC_TCR = 0x0C, RTC_CR = 0x10,
       RTC_SR = 0x14, RTC_LR = 0x18, RTC_IER = 0x1C, RTC_WAR = 0x800, RTC_RAR = 0x804 };

#define RTC_CR_SWR 0x001u
#define RTC_CR_UM 0x008u
#define RTC_CR_OSCE 0x100u
#define RTC_CR_WRITABLE 0x3F1Fu
#define RTC_SR_TIF 0x01u
#define RTC_SR_TOF 0x02u
#define RTC_SR_TAF 0x04u
#define RTC_SR_TCE 0x10u
#define RTC_LR_TCL 0x08u
#define RTC_LR_CRL 0x10u
#define RTC_LR_SRL 0x20u
#define RTC_LR_LRL 0x40u
#define RTC_LR_LOCKS 0x78u
#define RTC_LR_RESET 0xFFu
#define RTC_IER_TIIE 0x01u
#define RTC_IER_TOIE 0x02u
#define RTC_IER_TAIE 0x04u
#define RTC_IER_TSIE 0x10u
#define RTC_IER_WRITABLE 0x97u
#define RTC_IER_RESET 0x07u
#define RTC_ACCESS_RESET 0xFFu

typedef struct rtc_state {
    uint64_t ref_ns;      /* counting: when counting started (origin of the 32 kHz tick grid) */
    uint64_t seen;        /* counting: seconds count (TSR, 33 bits) processed up to */
    uint32_t tsr, tar, tcr, cr, sr, lr, ier, war, rar;
    uint16_t tpr;         /* tsr/tpr: the values at ref_ns while counting, else the values */
    uint8_t counting;
    uint8_t irq_level;    /* RTC line (IRQ 46) as last driven */
} rtc_state_t;

typedef struct rtc {
    periph_t base;
    rtc_state_t s;
    int irq, seconds_irq;
    uint64_t access_now;  /* time of the access being split (transient) */
} rtc_t;

/* 32 kHz ticks since ref_ns: dt * 32768 / 1e9 = dt * 64 / 1953125, in 64 bits below 2^58 ns
 * (9 years); reads of a polled TPR stay a multiply and a shift. */
static uint64_t rtc_ticks(const rtc_state_t *s, uint64_t now)
{
    if (now <= s->ref_ns)
        return 0;
    uint64_t dt = now - s->ref_ns;
    if (dt < (1ull << 58))
        return dt * 64u / 1953125u;
    return (uint64_t)((unsigned __int128)dt * RTC_OSC_HZ / RTC_NS);
}

/* Seconds count (TSR without the 32-bit wrap) n ticks after ref_ns. */
static uint64_t rtc_secs(const rtc_state_t *s, uint64_t n)
{
    return (uint64_t)s->tsr + (((uint64_t)(s->tpr & 0x7FFFu) + n) >> 15);
}

/* TSR and TPR at `now` (the count must already be advanced to now: no pending overflow). */
static void rtc_values(const rtc_state_t *s, uint64_t now, uint32_t *tsr, uint16_t *tpr)
{
    if (!s->counting) {
        *tsr = s->tsr;
        *tpr = s->tpr;
        return;
    }
    uint64_t n = rtc_ticks(s, now);
    *tsr = (uint32_t)rtc_secs(s, n);
    *tpr = (uint16_t)(s->tpr + n);
}

/* Process every TSR increment up to `now`: the alarm flag, the overflow (which stops the
 * count). Returns how many increments happened (for the seconds interrupt). Pure on `s`. */
static uint64_t rtc_advance(rtc_state_t *s, uint64_t now)
{
    if (!s->counting)
        return 0;
    uint64_t secs = rtc_secs(s, rtc_ticks(s, now));
    if (secs <= s->seen)
        return 0;
    uint64_t from = s->seen;
    if (secs >= RTC_SECS_WRAP) {
        uint64_t n_wrap = ((RTC_SECS_WRAP - s->tsr) << 15) - (s->tpr & 0x7FFFu);
        secs = RTC_SECS_WRAP;
        s->tpr = (uint16_t)(s->tpr + n_wrap);
        s->tsr = 0;
        s->sr |= RTC_SR_TOF;
        s->counting = 0;
    }
    if (!(s->sr & RTC_SR_TAF) && s->tar >= from && s->tar < secs)
        s->sr |= RTC_SR_TAF;
    s->seen = s->counting ? secs : 0;
    if (!s->counting)
        s->ref_ns = 0;
    return secs - from;
}

static bool rtc_should_count(const rtc_state_t *s)
{
    return (s->sr & RTC_SR_TCE) && !(s->sr & (RTC_SR_TIF | RTC_SR_TOF)) &&
           (s->cr & RTC_CR_OSCE) && !(s->cr & RTC_CR_SWR);
}

/* Start or stop the count after a register change; the count is advanced to now. */
static void rtc_sync(rtc_state_t *s, uint64_t now)
{
    bool want = rtc_should_count(s);
    if (want && !s->counting) {
        s->counting = 1;
        s->ref_ns = now;
        s->seen = s->tsr;
    } else if (!want && s->counting) {
        rtc_values(s, now, &s->tsr, &s->tpr);
        s->counting = 0;
        s->ref_ns = 0;
        s->seen = 0;
    }
}

/* VBAT POR and software reset: every register but WAR/RAR (and CR.SWR, which the caller sets). */
static void rtc_vbat_reset(rtc_state_t *s)
{
    s->tsr = s->tar = s->tcr = s->cr = 0;
    s->tpr = 0;
    s->sr = RTC_SR_TIF;
    s->lr = RTC_LR_RESET;
    s->ier = RTC_IER_RESET;
    s->counting = 0;
    s->ref_ns = 0;
    s->seen = 0;
}

static bool rtc_line(const rtc_state_t *s)
{
    uint32_t f = s->sr, e = s->ier;
    return ((f & RTC_SR_TIF) && (e & RTC_IER_TIIE)) || ((f & RTC_SR_TOF) && (e & RTC_IER_TOIE)) ||
           ((f & RTC_SR_TAF) && (e & RTC_IER_TAIE));
}

static void rtc_update_irq(rtc_t *r, bool force)
{
    bool level = rtc_line(&r->s);
    if (level != r->s.irq_level || force) {
        r->s.irq_level = level;
        if (r->base.bus->irq)
            r->base.bus->irq(r->base.bus->m, r->irq, level);
    }
}

/* Bring the count to `now`, with the seconds pulse and the RTC line. */
static void rtc_service(rtc_t *r, uint64_t now)
{
    uint64_t incs = rtc_advance(&r->s, now);
    if (incs && (r->s.ier & RTC_IER_TSIE) && r->base.bus->irq) {
        r->base.bus->irq(r->base.bus->m, r->seconds_irq, true);
        r->base.bus->irq(r->base.bus->m, r->seconds_irq, false);
    }
    rtc_update_irq(r, false);
}

static uint32_t rtc_read_word(periph_t *p, uint32_t off)
{
    rtc_t *r = (rtc_t *)p;
    const rtc_state_t *s = &r->s;
    if (off <= RTC_IER && !(s->rar & (1u << (off / 4u))))
        return 0;                                     /* read access blocked (RAR) */
    uint32_t tsr;
    uint16_t tpr;
    switch (off) {
    case RTC_TSR:
    case RTC_TPR:
        if (s->sr & (RTC_SR_TIF | RTC_SR_TOF))
            return 0;
        rtc_values(s, r->access_now, &tsr, &tpr);
        return off == RTC_TSR ? tsr : tpr;
    case RTC_TAR: return s->tar;
    case RTC_TCR: return s->tcr;
    case RTC_CR: return s->cr;
    case RTC_SR: return s->sr;
    case RTC_LR: return s->lr;
    case RTC_IER: return s->ier;
    case RTC_WAR: return s->war;
    case RTC_RAR: return s->rar;
    default: return 0;
    }
}

static bool rtc_sr_writable(const rtc_state_t *s)
{
    if (s->lr & RTC_LR_SRL)
        return true;
    return (s->cr & RTC_CR_UM) && ((s->sr & (RTC_SR_TIF | RTC_SR_TOF)) || !(s->sr & RTC_SR_TCE));
}

static void rtc_write_word(periph_t *p, uint32_t off, uint32_t val, uint32_t mask)
{
    rtc_t *r = (rtc_t *)p;
    rtc_state_t *s = &r->s;
    if (off == RTC_WAR || off == RTC_RAR) {
        uint32_t *acc = off == RTC_WAR ? &s->war : &s->rar;
        *acc &= ~(~val & mask & RTC_ACCESS_RESET);    /* bits can only be cleared */
        return;
    }
    if (off > RTC_IER || !(s->war & (1u << (off / 4u))))
        return;                                       /* write access blocked (WAR) */
    if ((s->cr & RTC_CR_SWR) && off != RTC_CR)
        return;                                       /* held in software reset */
    uint32_t tpr = s->tpr;
    switch (off) {
    case RTC_TSR:
        if (s->sr & RTC_SR_TCE)
            return;
        s->tsr = (s->tsr & ~mask) | (val & mask);
        s->sr &= ~(RTC_SR_TIF | RTC_SR_TOF);
        break;
    case RTC_TPR:
        if (s->sr & RTC_SR_TCE)
            return;
        s->tpr = (uint16_t)((tpr & ~mask) | (val & mask));
        break;
    case RTC_TAR:
        s->tar = (s->tar & ~mask) | (val & mask);
        s->sr &= ~RTC_SR_TAF;
        break;
    case RTC_TCR:
        if (s->lr & RTC_LR_TCL)
            s->tcr = (s->tcr & ~mask) | (val & mask & 0xFFFFu);
        break;
    case RTC_CR:
        if (!(s->lr & RTC_LR_CRL))
            return;
        s->cr = (s->cr & ~mask) | (val & mask & RTC_CR_WRITABLE);
        if (s->cr & RTC_CR_SWR) {
            rtc_vbat_reset(s);
            s->cr = RTC_CR_SWR;
        }
        break;
    case RTC_SR:
        if (rtc_sr_writable(s))
            s->sr = (s->sr & ~(mask & RTC_SR_TCE)) | (val & mask & RTC_SR_TCE);
        break;
    case RTC_LR:
        if (s->lr & RTC_LR_LRL)
            s->lr &= ~(~val & mask & RTC_LR_LOCKS);
        break;
    case RTC_IER:
        s->ier = (s->ier & ~mask) | (val & mask & RTC_IER_WRITABLE);
        break;
    default:
        break;
    }
    rtc_sync(s, r->access_now);
}

static uint32_t rtc_read(periph_t *p, uint32_t off, unsigned size)
{
    rtc_t *r = (rtc_t *)p;
    r->access_now = p->bus->now_ns(p->bus->m);
    rtc_service(r, r->access_now);
    return periph_read_split(p, off, size, rtc_read_word);
}

static void rtc_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    rtc_t *r = (rtc_t *)p;
    r->access_now = p->bus->now_ns(p->bus->m);
    rtc_service(r, r->access_now);
    periph_write_split(p, off, size, value, rtc_write_word);
    rtc_update_irq(r, false);
}

/* First time at which the seconds count reaches `target` (> the count at ref_ns). */
static uint64_t rtc_time_of_secs(const rtc_state_t *s, uint64_t target)
{
    uint64_t n = ((target - s->tsr) << 15) - (s->tpr & 0x7FFFu);
    unsigned __int128 ns = ((unsigned __int128)n * RTC_NS + RTC_OSC_HZ - 1) >> 15;   /* / 32768 */
    ns += s->ref_ns;
    return ns > UINT64_MAX ? UINT64_MAX : (uint64_t)ns;
}

static uint64_t rtc_deadline(periph_t *p)
{
    const rtc_state_t *s = &((rtc_t *)p)->s;
    if (!s->counting)
        return UINT64_MAX;
    uint64_t target = UINT64_MAX;
    if (s->ier & RTC_IER_TSIE)
        target = s->seen + 1u;
    if ((s->ier & RTC_IER_TAIE) && !(s->sr & RTC_SR_TAF) && s->tar >= s->seen &&
        (uint64_t)s->tar + 1u < target)
        target = (uint64_t)s->tar + 1u;
    if ((s->ier & RTC_IER_TOIE) && RTC_SECS_WRAP < target)
        target = RTC_SECS_WRAP;
    return target == UINT64_MAX ? UINT64_MAX : rtc_time_of_secs(s, target);
}

static void rtc_tick(periph_t *p, uint64_t now_ns)
{
    rtc_service((rtc_t *)p, now_ns);
}

static void rtc_reset(periph_t *p, emu_reset_kind_t kind)
{
    rtc_t *r = (rtc_t *)p;
    if (kind == EMU_RESET_POWER_ON)
        rtc_vbat_reset(&r->s);
    r->s.war = r->s.rar = RTC_ACCESS_RESET;
    rtc_update_irq(r, true);
}

static void rtc_destroy(periph_t *p)
{
    free(p);
}

static void *rtc_state(periph_t *p)
{
    return &((rtc_t *)p)->s;
}

/* The state brought to now, counting times replaced by the count at now and the phase within
 * the current 32 kHz tick, so equal clocks started at different times fingerprint alike. */
static void rtc_fingerprint(periph_t *p, uint64_t now, emu_feed_fn feed, void *ctx)
{
    rtc_state_t s;
    memcpy(&s, &((rtc_t *)p)->s, sizeof s);
    rtc_advance(&s, now);
    if (s.counting) {
        uint64_t phase = (uint64_t)(((unsigned __int128)(now - s.ref_ns) * RTC_OSC_HZ) % RTC_NS);
        rtc_values(&s, now, &s.tsr, &s.tpr);
        s.ref_ns = phase;
        s.seen = 0;                    /* advanced: the count at now has been processed */
    }
    feed(ctx, &s, sizeof s);
}

static const periph_ops_t rtc_ops = {
    .name = "rtc",
    .size = RTC_SPACE,
    .read = rtc_read,
    .write = rtc_write,
    .reset = rtc_reset,
    .deadline = rtc_deadline,
    .tick = rtc_tick,
    .destroy = rtc_destroy,
    .state_size = sizeof(rtc_state_t),
    .state = rtc_state,
    .fingerprint = rtc_fingerprint,
};

periph_t *rtc_create(emu_bus_t *bus, int irq, int seconds_irq)
{
    rtc_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->base.ops = &rtc_ops;
    r->base.bus = bus;
    r->irq = irq;
    r->seconds_irq = seconds_irq;
    rtc_vbat_reset(&r->s);
    r->s.war = r->s.rar = RTC_ACCESS_RESET;
    return &r->base;
}
