/*
 * Unit tests of the K64F RTC and LPTMR models (emu/periph/rtc.c, emu/periph/lptmr.c), register
 * by register, on a bus whose emulated time the test sets and which records the interrupt lines
 * (level and rising edges).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "periph.h"

#define IRQ_RTC 46
#define IRQ_RTC_SECONDS 47
#define IRQ_LPTMR 58
#define MS 1000000ull
#define SEC 1000000000ull

enum { TSR = 0x00, TPR = 0x04, TAR = 0x08, TCR = 0x0C, CR = 0x10, SR = 0x14, LR = 0x18,
       IER = 0x1C, WAR = 0x800, RAR = 0x804 };
enum { CSR = 0x0, PSR = 0x4, CMR = 0x8, CNR = 0xC };
#define SR_TIF 0x01u
#define SR_TOF 0x02u
#define SR_TAF 0x04u
#define SR_TCE 0x10u
#define CR_SWR 0x001u
#define CR_UM 0x008u
#define CR_OSCE 0x100u
#define CSR_TEN 0x01u
#define CSR_TFC 0x04u
#define CSR_TIE 0x40u
#define CSR_TCF 0x80u

/* ---- a bus with a settable clock and recorded interrupt lines -------------------------------- */

static struct {
    emu_bus_t bus;
    uint64_t now;
    bool line[96];
    int rises[96];
    periph_t *dev;
} T;

static uint64_t t_now(void *m) { return *(uint64_t *)m; }

static void t_irq(void *m, int irq, bool level)
{
    (void)m;
    assert_true(irq >= 0 && irq < 96);
    if (level && !T.line[irq])
        T.rises[irq]++;
    T.line[irq] = level;
}

static int t_setup(void **state)
{
    (void)state;
    memset(&T, 0, sizeof T);
    T.bus.m = &T.now;
    T.bus.now_ns = t_now;
    T.bus.irq = t_irq;
    T.bus.core_hz = 120000000u;
    return 0;
}

static int t_teardown(void **state)
{
    (void)state;
    if (T.dev)
        T.dev->ops->destroy(T.dev);
    T.dev = NULL;
    return 0;
}

static periph_t *power_on(periph_t *p)
{
    assert_non_null(p);
    T.dev = p;
    p->ops->reset(p, EMU_RESET_POWER_ON);
    return p;
}

static uint32_t rd(uint32_t off) { return T.dev->ops->read(T.dev, off, 4); }
static void wr(uint32_t off, uint32_t v) { T.dev->ops->write(T.dev, off, 4, v); }
static uint64_t deadline(void) { return T.dev->ops->deadline(T.dev); }

/* Advance the clock, running tick() at every deadline on the way, as the machine does. */
static void run_to(uint64_t t)
{
    for (uint64_t d = deadline(); d <= t; d = deadline()) {
        if (d > T.now)
            T.now = d;
        T.dev->ops->tick(T.dev, T.now);
    }
    T.now = t;
}

/* Collects a fingerprint's bytes. */
struct sink { uint8_t buf[256]; size_t len; };

static void feed(void *ctx, const void *d, size_t len)
{
    struct sink *s = ctx;
    assert_true(s->len + len <= sizeof s->buf);
    memcpy(s->buf + s->len, d, len);
    s->len += len;
}

/* ---- RTC ------------------------------------------------------------------------------------- */

static periph_t *rtc(void) { return power_on(rtc_create(&T.bus, IRQ_RTC, IRQ_RTC_SECONDS)); }

/* Mbed OS's RTC_Reset then start: SWR set and cleared, TSR = tsr (clears TIF), OSCE, TCE. */
static void rtc_start(uint32_t tsr)
{
    wr(CR, CR_SWR);
    wr(CR, 0);
    wr(TSR, tsr);
    wr(CR, CR_OSCE);
    wr(SR, SR_TCE);
}

static void rtc_reset_values(void **state)
{
    rtc();
    assert_int_equal(rd(TSR), 0);
    assert_int_equal(rd(TPR), 0);
    assert_int_equal(rd(TAR), 0);
    assert_int_equal(rd(TCR), 0);
    assert_int_equal(rd(CR), 0);
    assert_int_equal(rd(SR), SR_TIF);
    assert_int_equal(rd(LR), 0xFF);
    assert_int_equal(rd(IER), 0x07);
    assert_int_equal(rd(WAR), 0xFF);
    assert_int_equal(rd(RAR), 0xFF);
    assert_true(T.line[IRQ_RTC]);                  /* TIF with TIIE */
    assert_int_equal(deadline(), UINT64_MAX);
    T.now = 10 * SEC;
    assert_int_equal(rd(TPR), 0);
}

static void rtc_counts_only_with_tce_osce_and_valid_time(void **state)
{
    rtc();
    wr(CR, CR_OSCE);
    wr(SR, SR_TCE);                                /* TIF still set: no count */
    T.now = 1 * SEC;
    assert_int_equal(rd(SR), SR_TIF | SR_TCE);
    wr(SR, 0);
    wr(TSR, 7);                                    /* clears TIF */
    wr(CR, 0);                                     /* no oscillator */
    wr(SR, SR_TCE);
    T.now = 2 * SEC;
    assert_int_equal(rd(TSR), 7);
    assert_int_equal(rd(TPR), 0);
    wr(CR, CR_OSCE);                               /* the count starts now */
    T.now = 2 * SEC + 1 * MS;
    assert_int_equal(rd(TPR), 32);                 /* 32.768 ticks per ms */
    T.now = 3 * SEC;
    assert_int_equal(rd(TSR), 8);
    assert_int_equal(rd(TPR), 0x8000);             /* TPR[15] toggles at each wrap of [14:0] */
    wr(SR, 0);                                     /* TCE = 0 freezes */
    T.now = 5 * SEC;
    assert_int_equal(rd(TSR), 8);
    assert_int_equal(rd(TPR), 0x8000);
    assert_false(T.line[IRQ_RTC]);
}

static void rtc_tsr_increments_when_prescaler_low_bits_wrap(void **state)
{
    rtc();
    wr(TPR, 0x7FF0);
    wr(TSR, 3);
    wr(CR, CR_OSCE);
    wr(SR, SR_TCE);
    T.now = (15 * SEC + 32767) / 32768;            /* 15 ticks */
    assert_int_equal(rd(TPR), 0x7FFF);
    assert_int_equal(rd(TSR), 3);
    T.now = (16 * SEC + 32767) / 32768;
    assert_int_equal(rd(TPR), 0x8000);
    assert_int_equal(rd(TSR), 4);
    T.now = ((16 + 32768) * SEC + 32767) / 32768;
    assert_int_equal(rd(TPR), 0x0000);
    assert_int_equal(rd(TSR), 5);
}

/* Years of counting (up to 110 years, short of the 136-year TSR overflow): the count is exact
 * on both sides of the 64-bit fast path's limit. */
static void rtc_counts_for_years(void **state)
{
    rtc();
    rtc_start(0);
    uint64_t at[] = { (1ull << 58) - 1, 1ull << 58, (1ull << 58) + 30518, 3ull << 60 };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        T.now = at[i];
        uint64_t ticks = (uint64_t)((unsigned __int128)at[i] * 32768u / SEC);
        assert_int_equal(rd(TSR), (uint32_t)(ticks >> 15));
        assert_int_equal(rd(TPR), (uint16_t)ticks);
    }
}

static void rtc_tsr_tpr_read_zero_while_invalid_and_tsr_write_clears_tif(void **state)
{
    rtc();
    wr(TPR, 100);                                  /* TCE = 0: accepted, reads 0 under TIF */
    assert_int_equal(rd(TPR), 0);
    wr(TSR, 9);
    assert_int_equal(rd(SR), 0);
    assert_false(T.line[IRQ_RTC]);
    assert_int_equal(rd(TPR), 100);
    assert_int_equal(rd(TSR), 9);
}

static void rtc_tsr_tpr_writes_ignored_while_tce(void **state)
{
    rtc();
    wr(SR, SR_TCE);
    wr(TSR, 5);                                    /* ignored: TIF stays */
    assert_int_equal(rd(SR), SR_TIF | SR_TCE);
    wr(SR, 0);
    wr(TSR, 5);
    wr(CR, CR_OSCE);
    wr(SR, SR_TCE);
    T.now = 1 * MS;
    wr(TSR, 100);
    wr(TPR, 100);
    assert_int_equal(rd(TSR), 5);
    assert_int_equal(rd(TPR), 32);
}

static void rtc_mbed_startup_wait_takes_125ms(void **state)
{
    rtc();
    rtc_start(1);
    assert_int_equal(rd(CR), CR_OSCE);
    assert_int_equal(rd(SR), SR_TCE);
    uint64_t t = 0;
    while (rd(TPR) < 4096) {                       /* mbed_sdk_init's poll */
        t += 1000;
        T.now = t;
    }
    assert_int_equal(t, 125 * MS);
    T.now = 125 * MS - 1;
    assert_int_equal(rd(TPR), 4095);
    T.now = 125 * MS;
    wr(SR, 0);                                     /* stop, as mbed_sdk_init does */
    T.now = 10 * SEC;
    assert_int_equal(rd(TPR), 4096);
    assert_int_equal(rd(TSR), 1);
    assert_int_equal(rd(CR), CR_OSCE);             /* a warm boot sees OSCE and skips the wait */
}

static void rtc_alarm_sets_taf_when_tsr_leaves_tar(void **state)
{
    rtc();
    rtc_start(5);
    wr(TAR, 6);
    wr(IER, 0x04);                                 /* TAIE */
    assert_int_equal(deadline(), 2 * SEC);         /* TSR 6 -> 7 */
    run_to(2 * SEC - 1);
    assert_int_equal(rd(TSR), 6);
    assert_int_equal(rd(SR) & SR_TAF, 0);
    assert_false(T.line[IRQ_RTC]);
    run_to(2 * SEC);
    assert_true(T.line[IRQ_RTC]);
    assert_int_equal(rd(SR), SR_TCE | SR_TAF);
    assert_int_equal(rd(TSR), 7);
    assert_int_equal(deadline(), UINT64_MAX);
    wr(TAR, 9);                                    /* writing TAR clears TAF */
    assert_int_equal(rd(SR), SR_TCE);
    assert_false(T.line[IRQ_RTC]);
    assert_int_equal(deadline(), 5 * SEC);
    wr(IER, 0);                                    /* without TAIE: no deadline, TAF still sets */
    assert_int_equal(deadline(), UINT64_MAX);
    T.now = 6 * SEC;
    assert_int_equal(rd(SR), SR_TCE | SR_TAF);
    assert_false(T.line[IRQ_RTC]);
}

static void rtc_overflow_sets_tof_and_stops(void **state)
{
    rtc();
    rtc_start(0xFFFFFFFEu);
    wr(TAR, 0xFFFFFFFFu);
    wr(IER, 0x02);                                 /* TOIE only */
    assert_int_equal(deadline(), 2 * SEC);
    run_to(2 * SEC);
    assert_true(T.line[IRQ_RTC]);
    assert_int_equal(rd(SR), SR_TCE | SR_TOF | SR_TAF);
    assert_int_equal(rd(TSR), 0);
    assert_int_equal(rd(TPR), 0);
    assert_int_equal(deadline(), UINT64_MAX);
    wr(TSR, 0);                                    /* ignored: TCE still set */
    assert_true(rd(SR) & SR_TOF);
    wr(SR, 0);
    wr(TSR, 0);                                    /* Mbed's rtc_isr: stop, TSR = 0, start */
    wr(SR, SR_TCE);
    assert_false(T.line[IRQ_RTC]);
    T.now = 3 * SEC;
    assert_int_equal(rd(TSR), 1);
}

static void rtc_software_reset_holds_until_swr_clears(void **state)
{
    rtc();
    rtc_start(40);
    wr(TAR, 50);
    wr(IER, 0x17);
    wr(LR, 0xF7);                                  /* TCL cleared */
    T.now = 1 * SEC;
    wr(CR, CR_SWR | CR_OSCE);
    assert_int_equal(rd(CR), CR_SWR);              /* every other CR bit resets */
    assert_int_equal(rd(SR), SR_TIF);
    assert_int_equal(rd(TAR), 0);
    assert_int_equal(rd(IER), 0x07);
    assert_int_equal(rd(LR), 0xFF);
    assert_true(T.line[IRQ_RTC]);
    wr(TAR, 3);                                    /* held in reset */
    wr(TSR, 3);
    assert_int_equal(rd(TAR), 0);
    assert_int_equal(rd(SR), SR_TIF);
    wr(CR, 0);
    wr(TAR, 3);
    assert_int_equal(rd(TAR), 3);
    assert_int_equal(deadline(), UINT64_MAX);
}

static void rtc_lock_register_blocks_writes_until_reset(void **state)
{
    rtc();
    wr(LR, 0xEF);                                  /* CRL */
    wr(CR, CR_OSCE);
    assert_int_equal(rd(CR), 0);
    wr(LR, 0xFF);                                  /* lock bits cannot be set again */
    assert_int_equal(rd(LR), 0xEF);
    wr(LR, 0xCF);                                  /* SRL */
    wr(SR, SR_TCE);
    assert_int_equal(rd(SR), SR_TIF);
    wr(TCR, 0x1234);                               /* TCL still 1 */
    assert_int_equal(rd(TCR), 0x1234);
    wr(LR, 0x87);                                  /* TCL and LRL */
    wr(TCR, 0);
    assert_int_equal(rd(TCR), 0x1234);
    wr(LR, 0xFF);
    assert_int_equal(rd(LR), 0x87);
    T.dev->ops->reset(T.dev, EMU_RESET_PIN);       /* VBAT: locks survive a warm reset */
    assert_int_equal(rd(LR), 0x87);
    T.dev->ops->reset(T.dev, EMU_RESET_POWER_ON);
    assert_int_equal(rd(LR), 0xFF);
}

static void rtc_update_mode_allows_tce_under_status_lock(void **state)
{
    rtc();
    wr(CR, CR_UM | CR_OSCE);
    wr(LR, 0xDF);                                  /* SRL */
    wr(SR, SR_TCE);                                /* TIF set: allowed with UM */
    assert_int_equal(rd(SR), SR_TIF | SR_TCE);
    wr(SR, 0);
    wr(TSR, 1);
    wr(SR, SR_TCE);                                /* TCE was clear: allowed */
    assert_int_equal(rd(SR), SR_TCE);
    wr(SR, 0);                                     /* TCE set and time valid: locked */
    assert_int_equal(rd(SR), SR_TCE);
}

static void rtc_seconds_interrupt_pulses_each_second(void **state)
{
    rtc();
    rtc_start(0);
    wr(IER, 0x10);                                 /* TSIE */
    assert_int_equal(deadline(), 1 * SEC);
    run_to(3 * SEC + 500 * MS);
    assert_int_equal(T.rises[IRQ_RTC_SECONDS], 3);
    assert_false(T.line[IRQ_RTC_SECONDS]);         /* an edge: no level left behind */
    assert_int_equal(deadline(), 4 * SEC);
    wr(IER, 0);
    run_to(6 * SEC);
    assert_int_equal(T.rises[IRQ_RTC_SECONDS], 3);
}

static void rtc_warm_reset_keeps_state_power_on_resets(void **state)
{
    rtc();
    rtc_start(100);
    wr(WAR, 0xFB);                                 /* TAR writes blocked */
    T.now = 1 * SEC;
    emu_reset_kind_t warm[] = { EMU_RESET_PIN, EMU_RESET_SOFTWARE, EMU_RESET_WATCHDOG,
                                EMU_RESET_LOCKUP };
    for (size_t i = 0; i < sizeof warm / sizeof warm[0]; i++)
        T.dev->ops->reset(T.dev, warm[i]);
    assert_int_equal(rd(WAR), 0xFF);               /* access registers: chip reset */
    T.now = 2 * SEC + 125 * MS;
    assert_int_equal(rd(TSR), 102);
    assert_int_equal(rd(TPR), 4096);
    assert_int_equal(rd(SR), SR_TCE);
    assert_int_equal(rd(CR), CR_OSCE);
    T.dev->ops->reset(T.dev, EMU_RESET_POWER_ON);
    assert_int_equal(rd(SR), SR_TIF);
    assert_int_equal(rd(CR), 0);
    T.now = 5 * SEC;
    assert_int_equal(rd(TPR), 0);
    assert_int_equal(deadline(), UINT64_MAX);
}

static void rtc_access_registers(void **state)
{
    rtc();
    wr(WAR, 0xFB);                                 /* TAR */
    wr(TAR, 5);
    assert_int_equal(rd(TAR), 0);
    wr(WAR, 0xFF);                                 /* cannot be set again */
    assert_int_equal(rd(WAR), 0xFB);
    wr(RAR, 0xEF);                                 /* CR reads blocked */
    wr(CR, CR_OSCE);
    assert_int_equal(rd(CR), 0);
    assert_int_equal(rd(RAR), 0xEF);
}

static void rtc_byte_accesses(void **state)
{
    rtc();
    T.dev->ops->write(T.dev, TSR + 1, 1, 0x12);    /* byte 1 only; TIF cleared */
    assert_int_equal(rd(TSR), 0x1200);
    assert_int_equal(T.dev->ops->read(T.dev, SR, 1), 0);
    T.dev->ops->write(T.dev, CR + 1, 1, 0x01);     /* OSCE */
    assert_int_equal(rd(CR), CR_OSCE);
}

static void rtc_snapshot_round_trip_and_fingerprint(void **state)
{
    periph_t *p = rtc();
    rtc_start(10);
    wr(TAR, 12);
    T.now = 700 * MS;
    uint8_t snap[256];
    size_t n = p->ops->state_size;
    assert_true(n <= sizeof snap);
    memcpy(snap, p->ops->state(p), n);
    T.now = 4 * SEC;
    assert_true(rd(SR) & SR_TAF);
    memcpy(p->ops->state(p), snap, n);             /* restore (time goes back with the machine) */
    T.now = 700 * MS;
    assert_int_equal(rd(SR), SR_TCE);
    assert_int_equal(rd(TSR), 10);
    assert_int_equal(deadline(), 3 * SEC);

    /* the same clock started 5 s later fingerprints alike 700 ms after its start */
    struct sink a = { .len = 0 }, b = { .len = 0 };
    p->ops->fingerprint(p, T.now, feed, &a);
    periph_t *q = rtc_create(&T.bus, IRQ_RTC, IRQ_RTC_SECONDS);
    assert_non_null(q);
    q->ops->reset(q, EMU_RESET_POWER_ON);
    T.dev = q;
    T.now = 5 * SEC;
    rtc_start(10);
    wr(TAR, 12);
    T.now = 5 * SEC + 700 * MS;
    q->ops->fingerprint(q, T.now, feed, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.buf, b.buf, a.len);
    T.now += 1;                                    /* 1 ns later is another phase */
    b.len = 0;
    q->ops->fingerprint(q, T.now, feed, &b);
    assert_memory_not_equal(a.buf, b.buf, a.len);
    q->ops->destroy(q);
    T.dev = p;
}

/* ---- LPTMR ----------------------------------------------------------------------------------- */

static periph_t *lptmr(void) { return power_on(lptmr_create(&T.bus, IRQ_LPTMR)); }

/* CNR as Mbed's LPTMR_GetCurrentTimerCount reads it: write, then read the latch. */
static uint32_t cnr(void)
{
    wr(CNR, 0);
    return rd(CNR);
}

static void lptmr_reset_values_and_cnr_latch(void **state)
{
    lptmr();
    for (uint32_t off = 0; off < 0x10; off += 4)
        assert_int_equal(rd(off), 0);
    wr(PSR, 0x05);                                 /* LPO, bypass: 1 kHz */
    wr(CMR, 0xFFFF);
    wr(CSR, CSR_TEN);
    T.now = 5 * MS;
    assert_int_equal(rd(CNR), 0);                  /* no write yet: the latch */
    assert_int_equal(cnr(), 5);
    T.now = 8 * MS;
    assert_int_equal(rd(CNR), 5);
    assert_int_equal(cnr(), 8);
    wr(CMR, 0x1234);
    assert_int_equal(rd(CMR), 0x1234);
    assert_int_equal(rd(PSR), 0x05);
}

static void lptmr_compare_interrupt_lpo_bypassed(void **state)
{
    lptmr();
    wr(PSR, 0x05);                                 /* PCS = 1 (LPO), PBYP */
    wr(CMR, 9);
    wr(CSR, CSR_TIE | CSR_TEN);
    assert_int_equal(deadline(), 10 * MS);         /* CNR 9 -> compare on the 10th tick */
    run_to(10 * MS - 1);
    assert_false(T.line[IRQ_LPTMR]);
    assert_int_equal(cnr(), 9);
    run_to(10 * MS);
    assert_true(T.line[IRQ_LPTMR]);
    assert_int_equal(rd(CSR), CSR_TCF | CSR_TIE | CSR_TEN);
    assert_int_equal(cnr(), 0);                    /* TFC = 0: reset on compare */
    assert_int_equal(deadline(), UINT64_MAX);
    T.now = 13 * MS;
    wr(CSR, CSR_TCF | CSR_TIE | CSR_TEN);          /* w1c */
    assert_false(T.line[IRQ_LPTMR]);
    assert_int_equal(rd(CSR), CSR_TIE | CSR_TEN);
    assert_int_equal(deadline(), 20 * MS);         /* the period keeps its phase */
    wr(CSR, CSR_TIE | CSR_TEN);                    /* writing 0 leaves TCF alone */
    run_to(20 * MS);
    wr(CSR, CSR_TIE | CSR_TEN);
    assert_true(rd(CSR) & CSR_TCF);
}

static void lptmr_compare_32k_prescaled(void **state)
{
    lptmr();
    wr(PSR, 0x02 | (3u << 3));                     /* ERCLK32K, PRESCALE 3: / 16 = 2048 Hz */
    wr(CMR, 2047);
    T.now = 100 * MS;
    wr(CSR, CSR_TIE | CSR_TEN);
    assert_int_equal(deadline(), 1100 * MS);
    run_to(1100 * MS);
    assert_true(T.line[IRQ_LPTMR]);
}

static void lptmr_free_running_wraps_and_compares_every_65536(void **state)
{
    lptmr();
    wr(PSR, 0x06);                                 /* ERCLK32K bypassed */
    wr(CMR, 99);
    wr(CSR, CSR_TFC | CSR_TIE | CSR_TEN);
    uint64_t tick = SEC / 32768;                   /* 30517.578125 ns */
    run_to(100 * SEC / 32768 + 1);
    assert_true(T.line[IRQ_LPTMR]);
    assert_int_equal(cnr(), 100);                  /* TFC = 1: runs on past CMR */
    wr(CSR, CSR_TCF | CSR_TFC | CSR_TIE | CSR_TEN);
    assert_int_equal(deadline(), (uint64_t)((100 + 65536) * SEC + 32767) / 32768);
    T.now = (65535 * SEC + 32767) / 32768;
    assert_int_equal(cnr(), 0xFFFF);
    T.now += tick + 1;
    assert_int_equal(cnr(), 0);
}

static void lptmr_disable_clears_tcf_and_counter(void **state)
{
    lptmr();
    wr(PSR, 0x05);
    wr(CMR, 0);                                    /* compare every tick */
    wr(CSR, CSR_TIE | CSR_TEN);
    run_to(1 * MS);
    assert_true(T.line[IRQ_LPTMR]);
    wr(CSR, CSR_TIE);
    assert_false(T.line[IRQ_LPTMR]);
    assert_int_equal(rd(CSR), CSR_TIE);
    assert_int_equal(cnr(), 0);
    assert_int_equal(deadline(), UINT64_MAX);
    T.now = 5 * MS;
    wr(CSR, CSR_TIE | CSR_TEN);                    /* restarts from 0 */
    assert_int_equal(deadline(), 6 * MS);
}

static void lptmr_cmr_rewrite_keeps_the_tick_phase(void **state)
{
    lptmr();
    wr(PSR, 0x06);                                 /* Mbed's lp_ticker: 32 kHz, free-running */
    wr(CMR, 0xFFFF);
    wr(CSR, CSR_TFC | CSR_TEN);
    uint64_t t = 0;
    for (int i = 1; i <= 1000; i++) {              /* rewrite CMR every 1 ms */
        t += MS;
        T.now = t;
        wr(CMR, (uint32_t)i);
    }
    assert_int_equal(cnr(), 32768);                /* 1 s of 32768 Hz: no drift */
    wr(CMR, 32768 + 10);
    wr(CSR, CSR_TFC | CSR_TIE | CSR_TEN);
    assert_int_equal(deadline(), (uint64_t)((32768 + 11) * SEC + 32767) / 32768);
}

static void lptmr_warm_reset_keeps_power_on_clears(void **state)
{
    lptmr();
    wr(PSR, 0x05);
    wr(CMR, 99);
    wr(CSR, CSR_TIE | CSR_TEN);
    T.now = 40 * MS;
    T.dev->ops->reset(T.dev, EMU_RESET_WATCHDOG);
    T.dev->ops->reset(T.dev, EMU_RESET_SOFTWARE);
    assert_int_equal(rd(CSR), CSR_TIE | CSR_TEN);
    assert_int_equal(cnr(), 40);
    assert_int_equal(deadline(), 100 * MS);
    T.dev->ops->reset(T.dev, EMU_RESET_POWER_ON);
    assert_int_equal(rd(CSR), 0);
    assert_int_equal(rd(PSR), 0);
    assert_int_equal(cnr(), 0);
    assert_int_equal(deadline(), UINT64_MAX);
}

static void lptmr_snapshot_and_fingerprint(void **state)
{
    periph_t *p = lptmr();
    wr(PSR, 0x05);
    wr(CMR, 49);
    wr(CSR, CSR_TIE | CSR_TEN);
    T.now = 30 * MS + 400;
    uint8_t snap[128];
    size_t n = p->ops->state_size;
    assert_true(n <= sizeof snap);
    memcpy(snap, p->ops->state(p), n);
    struct sink a = { .len = 0 }, b = { .len = 0 };
    p->ops->fingerprint(p, T.now, feed, &a);
    run_to(60 * MS);
    assert_true(T.line[IRQ_LPTMR]);
    memcpy(p->ops->state(p), snap, n);
    T.now = 30 * MS + 400;
    assert_int_equal(deadline(), 50 * MS);
    /* started 2 s later, looked at 30 ms + 400 ns after its start: alike */
    T.now = 2 * SEC;
    wr(CSR, 0);
    wr(CSR, CSR_TIE | CSR_TEN);
    T.now = 2 * SEC + 30 * MS + 400;
    p->ops->fingerprint(p, T.now, feed, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.buf, b.buf, a.len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rtc_reset_values, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_counts_only_with_tce_osce_and_valid_time, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_tsr_increments_when_prescaler_low_bits_wrap, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_counts_for_years, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_tsr_tpr_read_zero_while_invalid_and_tsr_write_clears_tif, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_tsr_tpr_writes_ignored_while_tce, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_mbed_startup_wait_takes_125ms, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_alarm_sets_taf_when_tsr_leaves_tar, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_overflow_sets_tof_and_stops, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_software_reset_holds_until_swr_clears, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_lock_register_blocks_writes_until_reset, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_update_mode_allows_tce_under_status_lock, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_seconds_interrupt_pulses_each_second, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_warm_reset_keeps_state_power_on_resets, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_access_registers, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_byte_accesses, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rtc_snapshot_round_trip_and_fingerprint, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(lptmr_reset_values_and_cnr_latch, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(lptmr_compare_interrupt_lpo_bypassed, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(lptmr_compare_32k_prescaled, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(lptmr_free_running_wraps_and_compares_every_65536, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(lptmr_disable_clears_tcf_and_counter, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(lptmr_cmr_rewrite_keeps_the_tick_phase, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(lptmr_warm_reset_keeps_power_on_clears, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(lptmr_snapshot_and_fingerprint, t_setup, t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
