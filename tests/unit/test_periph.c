/*
 * Unit tests of the K64F peripheral models (emu/periph/{uart,wdog,rcm,sim,mcg,fmc,pit}.c)
 * against a fake bus that records interrupt levels, reset requests and console bytes, and
 * whose emulated time the test sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "periph.h"

/* ---- fake bus ------------------------------------------------------------------------------ */

#define FAKE_IRQS 128

typedef struct fake {
    emu_bus_t bus;
    uint64_t now;
    bool irq[FAKE_IRQS];
    int irq_calls;
    int resets;
    emu_reset_kind_t reset_kind;
    const char *reset_why;
    periph_t *sync_reset;              /* when set, reset_request resets it at once */
    uint8_t console[512];
    size_t console_len;
    int console_port;
    int events;
    periph_t *created[8];              /* destroyed by teardown */
    int ncreated;
} fake_t;

static fake_t F;

static uint64_t fake_now(void *m) { return ((fake_t *)m)->now; }
static uint64_t fake_insns(void *m) { return ((fake_t *)m)->now / 8; }

static void fake_irq(void *m, int irq, bool level)
{
    fake_t *f = m;
    assert_true(irq >= 0 && irq < FAKE_IRQS);
    f->irq[irq] = level;
    f->irq_calls++;
}

static void fake_reset_request(void *m, emu_reset_kind_t kind, const char *why)
{
    fake_t *f = m;
    f->resets++;
    f->reset_kind = kind;
    f->reset_why = why;
    if (f->sync_reset)
        f->sync_reset->ops->reset(f->sync_reset, kind);
}

static void fake_event(void *m, const emu_event_t *ev) { ((fake_t *)m)->events++; }

static void fake_console(void *m, int port, uint8_t byte)
{
    fake_t *f = m;
    f->console_port = port;
    if (f->console_len < sizeof f->console)
        f->console[f->console_len++] = byte;
}

static void fake_stall(void *m, uint64_t until) { ((fake_t *)m)->now = until; }
static void fake_power_cut(void *m) { (void)m; }
static uint32_t fake_pc(void *m) { return 0x1000; }

static int setup(void **state)
{
    memset(&F, 0, sizeof F);
    F.bus = (emu_bus_t){
        .m = &F, .now_ns = fake_now, .insns = fake_insns, .core_hz = 120000000u,
        .irq = fake_irq, .reset_request = fake_reset_request, .event = fake_event,
        .console = fake_console, .stall_until = fake_stall, .power_cut = fake_power_cut,
        .pc = fake_pc,
    };
    return 0;
}

static int teardown(void **state)
{
    for (int i = 0; i < F.ncreated; i++)
        F.created[i]->ops->destroy(F.created[i]);
    F.ncreated = 0;
    return 0;
}

/* Created peripherals are reset at power-on and destroyed by teardown, pass or fail. */
static periph_t *mk(periph_t *p)
{
    assert_non_null(p);
    assert_true(F.ncreated < (int)(sizeof F.created / sizeof F.created[0]));
    F.created[F.ncreated++] = p;
    assert_non_null(p->ops->state);
    assert_non_null(p->ops->state(p));
    assert_true(p->ops->state_size > 0);
    p->ops->reset(p, EMU_RESET_POWER_ON);
    return p;
}

static uint32_t rd(periph_t *p, uint32_t off, unsigned size) { return p->ops->read(p, off, size); }
static void wr(periph_t *p, uint32_t off, unsigned size, uint32_t v) { p->ops->write(p, off, size, v); }

/* ---- UART ---------------------------------------------------------------------------------- */

#define UART0_IRQ 31

static void uart_transmit_reaches_console_only_with_te(void **state)
{
    periph_t *u = mk(uart_create(&F.bus, 0, UART0_IRQ));
    wr(u, 0x07, 1, 'x');                       /* TE = 0: dropped */
    assert_int_equal(F.console_len, 0);
    wr(u, 0x03, 1, 0x08);                      /* C2.TE */
    wr(u, 0x07, 1, 'o');
    wr(u, 0x07, 1, 'k');
    assert_int_equal(F.console_len, 2);
    assert_memory_equal(F.console, "ok", 2);
    assert_int_equal(F.console_port, 0);
    wr(u, 0x03, 1, 0x00);
    wr(u, 0x07, 1, '!');
    assert_int_equal(F.console_len, 2);
}

static void uart_status_always_ready_to_transmit(void **state)
{
    periph_t *u = mk(uart_create(&F.bus, 0, UART0_IRQ));
    assert_int_equal(rd(u, 0x04, 1), 0xC0);    /* S1: TDRE | TC */
    assert_int_equal(rd(u, 0x12, 1), 0xC0);    /* SFIFO: TXEMPT | RXEMPT */
    wr(u, 0x03, 1, 0x0C);
    wr(u, 0x07, 1, 'a');
    assert_int_equal(rd(u, 0x04, 1) & 0xC0, 0xC0);
    assert_int_equal(rd(u, 0x01, 1), 0x04);    /* BDL reset */
}

static void uart_rx_push_sets_rdrf_and_d_pops(void **state)
{
    periph_t *u = mk(uart_create(&F.bus, 0, UART0_IRQ));
    assert_int_equal(uart_rx_push(u, (const uint8_t *)"hi", 2), 2);
    assert_int_equal(rd(u, 0x04, 1) & 0x20, 0);        /* RE = 0: nothing received yet */
    wr(u, 0x03, 1, 0x04);                               /* C2.RE */
    assert_int_equal(rd(u, 0x04, 1) & 0x20, 0x20);
    assert_int_equal(rd(u, 0x16, 1), 2);                /* RCFIFO */
    assert_int_equal(rd(u, 0x12, 1) & 0x40, 0);         /* SFIFO.RXEMPT clear */
    assert_int_equal(rd(u, 0x07, 1), 'h');
    assert_int_equal(rd(u, 0x07, 1), 'i');
    assert_int_equal(rd(u, 0x04, 1) & 0x20, 0);
    assert_int_equal(rd(u, 0x16, 1), 0);
}

static void uart_rx_push_accepts_up_to_capacity(void **state)
{
    periph_t *u = mk(uart_create(&F.bus, 0, UART0_IRQ));
    uint8_t buf[300];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(uart_rx_push(u, buf, sizeof buf), 256);
    assert_int_equal(uart_rx_push(u, buf, 1), 0);
    wr(u, 0x03, 1, 0x04);
    assert_int_equal(rd(u, 0x07, 1), 0);
    assert_int_equal(rd(u, 0x07, 1), 1);
    assert_int_equal(uart_rx_push(u, buf, 5), 2);
}

static void uart_rx_irq_follows_rdrf_and_rie(void **state)
{
    periph_t *u = mk(uart_create(&F.bus, 0, UART0_IRQ));
    wr(u, 0x03, 1, 0x24);                               /* RE | RIE */
    assert_false(F.irq[UART0_IRQ]);
    uart_rx_push(u, (const uint8_t *)"A", 1);
    assert_true(F.irq[UART0_IRQ]);
    assert_int_equal(rd(u, 0x07, 1), 'A');
    assert_false(F.irq[UART0_IRQ]);
    uart_rx_push(u, (const uint8_t *)"B", 1);
    assert_true(F.irq[UART0_IRQ]);
    wr(u, 0x03, 1, 0x04);                               /* RIE off */
    assert_false(F.irq[UART0_IRQ]);
    wr(u, 0x03, 1, 0x84);                               /* TIE: TDRE is always 1 */
    assert_true(F.irq[UART0_IRQ]);
    u->ops->reset(u, EMU_RESET_PIN);
    assert_false(F.irq[UART0_IRQ]);
}

static void uart_wide_read_is_little_endian(void **state)
{
    periph_t *u = mk(uart_create(&F.bus, 0, UART0_IRQ));
    wr(u, 0x00, 4, 0x0C001A01);                          /* BDH=01 BDL=1A C1=00 C2=0C */
    assert_int_equal(rd(u, 0x00, 1), 0x01);
    assert_int_equal(rd(u, 0x01, 1), 0x1A);
    assert_int_equal(rd(u, 0x03, 1), 0x0C);
    assert_int_equal(rd(u, 0x00, 4), 0x0C001A01);
    assert_int_equal(rd(u, 0x00, 2), 0x1A01);
}

/* ---- WDOG ---------------------------------------------------------------------------------- */

/* 0x004C4B4C * 5 / 20971520 Hz */
#define WDOG_RESET_TIMEOUT_NS 1192095757ull

static void wdog_unlock(periph_t *w)
{
    wr(w, 0x0E, 2, 0xC520);
    F.now += 50;
    wr(w, 0x0E, 2, 0xD928);
    F.now += 50;
}

static void wdog_refresh(periph_t *w)
{
    wr(w, 0x0C, 2, 0xA602);
    F.now += 50;
    wr(w, 0x0C, 2, 0xB480);
}

static void wdog_resets_after_timeout_without_refresh(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    assert_int_equal(rd(w, 0x00, 2), 0x01D3);
    uint64_t d = w->ops->deadline(w);
    assert_true(d >= WDOG_RESET_TIMEOUT_NS - 2 && d <= WDOG_RESET_TIMEOUT_NS + 2);
    w->ops->tick(w, d - 1);
    assert_int_equal(F.resets, 0);
    w->ops->tick(w, d);
    assert_int_equal(F.resets, 1);
    assert_int_equal(F.reset_kind, EMU_RESET_WATCHDOG);
    assert_non_null(F.reset_why);
    assert_int_equal(w->ops->deadline(w), UINT64_MAX);  /* asked once, until reset */
    w->ops->tick(w, d + 1000);
    assert_int_equal(F.resets, 1);
}

static void wdog_refresh_in_time_prevents_reset(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    F.now = 1000000000ull;
    wdog_refresh(w);
    assert_int_equal(wdog_refresh_count(w), 1);
    assert_true(w->ops->deadline(w) > F.now + WDOG_RESET_TIMEOUT_NS - 1000);
    w->ops->tick(w, WDOG_RESET_TIMEOUT_NS + 1000);
    assert_int_equal(F.resets, 0);
    F.now = 2000000000ull;
    wdog_refresh(w);
    w->ops->tick(w, 3000000000ull);
    assert_int_equal(F.resets, 0);
    assert_int_equal(wdog_refresh_count(w), 2);
}

static void wdog_unlock_then_disable_means_no_reset_ever(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    F.now = 1000;
    wdog_unlock(w);
    wr(w, 0x00, 2, 0x01D2);
    assert_int_equal(rd(w, 0x00, 2), 0x01D2);
    assert_int_equal(w->ops->deadline(w), UINT64_MAX);
    w->ops->tick(w, 1000ull * 1000000000ull);
    assert_int_equal(F.resets, 0);
}

static void wdog_configuration_without_unlock_is_ignored(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    wr(w, 0x00, 2, 0x01D2);
    wr(w, 0x06, 2, 0x1234);
    assert_int_equal(rd(w, 0x00, 2), 0x01D3);
    assert_int_equal(rd(w, 0x06, 2), 0x4B4C);
    assert_int_not_equal(w->ops->deadline(w), UINT64_MAX);
    assert_int_equal(F.resets, 0);
}

static void wdog_configuration_after_wct_is_ignored(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    wdog_unlock(w);
    F.now += 20000;                                     /* 20 us > 256 bus clocks */
    wr(w, 0x00, 2, 0x01D2);
    assert_int_equal(rd(w, 0x00, 2), 0x01D3);
}

static void wdog_configures_timeout_after_unlock(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    F.now = 5000;
    wdog_unlock(w);
    wr(w, 0x04, 2, 0x0000);                             /* TOVAL = 1000 LPO ms */
    wr(w, 0x06, 2, 1000);
    wr(w, 0x16, 2, 0x0000);                             /* divide by 1 */
    wr(w, 0x00, 2, 0x01D1);                             /* CLKSRC = LPO, enabled */
    assert_int_equal(rd(w, 0x00, 2), 0x01D1);
    assert_int_equal(w->ops->deadline(w), F.now + 1000000000ull);
}

static void wdog_wrong_unlock_value_requests_reset(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, false));
    wr(w, 0x0E, 2, 0x1234);
    assert_int_equal(F.resets, 1);
    assert_int_equal(F.reset_kind, EMU_RESET_WATCHDOG);
}

static void wdog_unlock_second_word_late_requests_reset(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    wr(w, 0x0E, 2, 0xC520);
    F.now += 5000;                                      /* > 20 bus clocks */
    wr(w, 0x0E, 2, 0xD928);
    assert_int_equal(F.resets, 1);
}

static void wdog_broken_refresh_requests_reset(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    wr(w, 0x0C, 2, 0xA602);
    wr(w, 0x0C, 2, 0xB481);
    assert_int_equal(F.resets, 1);
    assert_int_equal(wdog_refresh_count(w), 0);
}

static void wdog_refresh_with_byte_writes(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    F.now = 100000;
    wr(w, 0x0C, 1, 0x02);                               /* B402: no match, plausible */
    wr(w, 0x0D, 1, 0xA6);                               /* A602: first word */
    wr(w, 0x0D, 1, 0xB4);                               /* B402 */
    wr(w, 0x0C, 1, 0x80);                               /* B480: second word */
    assert_int_equal(F.resets, 0);
    assert_int_equal(wdog_refresh_count(w), 1);
    wr(w, 0x0D, 1, 0x02);                               /* 0280: byte matches neither */
    assert_int_equal(F.resets, 1);
}

static void wdog_window_refresh_too_early_requests_reset(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    wdog_unlock(w);
    wr(w, 0x0A, 2, 0x1000);                             /* WINL */
    wr(w, 0x00, 2, 0x01DB);                             /* + WINEN */
    assert_int_equal(rd(w, 0x00, 2), 0x01DB);
    F.now += 20000;                                     /* past WCT; timer ~83 < 0x1000 */
    wdog_refresh(w);
    assert_int_equal(F.resets, 1);
}

static void wdog_rstcnt_counts_watchdog_resets_until_power_on(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    assert_int_equal(rd(w, 0x14, 2), 0);
    w->ops->reset(w, EMU_RESET_WATCHDOG);
    w->ops->reset(w, EMU_RESET_WATCHDOG);
    w->ops->reset(w, EMU_RESET_PIN);
    w->ops->reset(w, EMU_RESET_SOFTWARE);
    assert_int_equal(rd(w, 0x14, 2), 2);
    wr(w, 0x14, 2, 0x0001);                             /* w1c */
    assert_int_equal(rd(w, 0x14, 2), 2 & ~1);
    w->ops->reset(w, EMU_RESET_WATCHDOG);
    assert_int_equal(rd(w, 0x14, 2), 3);
    w->ops->reset(w, EMU_RESET_POWER_ON);
    assert_int_equal(rd(w, 0x14, 2), 0);
}

static void wdog_disabled_out_of_reset_when_constructed_so(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, false));
    assert_int_equal(rd(w, 0x00, 2), 0x01D2);
    assert_int_equal(w->ops->deadline(w), UINT64_MAX);
    w->ops->tick(w, 100ull * 1000000000ull);
    assert_int_equal(F.resets, 0);
}

static void wdog_reset_restarts_timer_at_now(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    F.now = 7000000000ull;
    w->ops->reset(w, EMU_RESET_WATCHDOG);
    uint64_t d = w->ops->deadline(w);
    assert_true(d >= F.now + WDOG_RESET_TIMEOUT_NS - 2 && d <= F.now + WDOG_RESET_TIMEOUT_NS + 2);
}

static void wdog_wide_reads_and_timer_output(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    assert_int_equal(rd(w, 0x04, 4), 0x4B4C004C);       /* TOVALH | TOVALL << 16 */
    assert_int_equal(rd(w, 0x16, 2), 0x0400);
    assert_int_equal(rd(w, 0x17, 1), 0x04);
    F.now = 1000000;                                    /* 1 ms: 20971.52 / 5 clocks */
    uint32_t t = (rd(w, 0x10, 2) << 16) | rd(w, 0x12, 2);
    assert_int_equal(t, 4194);
}

static void wdog_access_after_reset_request_in_same_write_is_dropped(void **state)
{
    periph_t *w = mk(wdog_create(&F.bus, true));
    F.sync_reset = w;
    /* low half: wrong REFRESH value -> reset at once; high half: first unlock word */
    wr(w, 0x0C, 4, 0xC5201111u);
    assert_int_equal(F.resets, 1);
    F.sync_reset = NULL;
    F.now += 50;
    wr(w, 0x0E, 2, 0xD928);                             /* alone: no unlock */
    wr(w, 0x00, 2, 0x01D2);
    assert_int_equal(rd(w, 0x00, 2), 0x01D3);
}

/* ---- RCM ----------------------------------------------------------------------------------- */

static void rcm_latches_cause_of_each_reset_kind(void **state)
{
    static const struct { emu_reset_kind_t kind; uint8_t srs0, srs1; } cases[] = {
        { EMU_RESET_POWER_ON, 0x82, 0x00 }, { EMU_RESET_PIN, 0x40, 0x00 },
        { EMU_RESET_SOFTWARE, 0x00, 0x04 }, { EMU_RESET_WATCHDOG, 0x20, 0x00 },
        { EMU_RESET_LOCKUP, 0x00, 0x02 },
    };
    periph_t *r = mk(rcm_create(&F.bus));
    assert_int_equal(rd(r, 0x00, 1), 0x82);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rcm_note_reset(r, cases[i].kind);
        r->ops->reset(r, cases[i].kind);
        assert_int_equal(rd(r, 0x00, 1), cases[i].srs0);
        assert_int_equal(rd(r, 0x01, 1), cases[i].srs1);
        assert_int_equal(rd(r, 0x00, 2), cases[i].srs0 | (cases[i].srs1 << 8));
    }
}

static void rcm_srs_read_only_and_plain_registers_read_back(void **state)
{
    periph_t *r = mk(rcm_create(&F.bus));
    wr(r, 0x00, 2, 0xFFFF);
    assert_int_equal(rd(r, 0x00, 1), 0x82);
    assert_int_equal(rd(r, 0x01, 1), 0x00);
    wr(r, 0x04, 1, 0x05);
    wr(r, 0x05, 1, 0x1F);
    assert_int_equal(rd(r, 0x04, 4), 0x00001F05);
    r->ops->reset(r, EMU_RESET_PIN);
    assert_int_equal(rd(r, 0x04, 1), 0);
    assert_int_equal(rd(r, 0x00, 1), 0x82);             /* reset() alone keeps the latch */
}

/* ---- SIM ----------------------------------------------------------------------------------- */

static void sim_fcfg1_reports_flash_size(void **state)
{
    periph_t *s = mk(sim_create(&F.bus, 1024u * 1024u));
    assert_int_equal(rd(s, 0x104C, 4), 0xFF0F0F00);
    assert_int_equal((rd(s, 0x104C, 4) >> 24) & 0xF, 0xF);
    assert_int_equal(rd(s, 0x104F, 1), 0xFF);
    assert_int_equal(rd(s, 0x1050, 4), 0x40C00000);     /* FCFG2: 2 x 512 KiB */
    s = mk(sim_create(&F.bus, 512u * 1024u));
    assert_int_equal((rd(s, 0x104C, 4) >> 24) & 0xF, 0xB);
}

static void sim_clock_gates_read_back(void **state)
{
    periph_t *s = mk(sim_create(&F.bus, 1024u * 1024u));
    assert_int_equal(rd(s, 0x103C, 4), 0x40000001);     /* SCGC6 reset */
    assert_int_equal(rd(s, 0x1044, 4), 0x00010000);     /* CLKDIV1 reset */
    wr(s, 0x1034, 4, 0xF0100430);                       /* SCGC4 |= UART0 */
    assert_int_equal(rd(s, 0x1034, 4), 0xF0100430);
    wr(s, 0x1039, 1, 0x3E);                             /* SCGC5 PORTA..E, byte write */
    assert_int_equal(rd(s, 0x1038, 4), 0x00043E82);
    wr(s, 0x1044, 4, 0x01240000);
    assert_int_equal(rd(s, 0x1044, 4), 0x01240000);
    s->ops->reset(s, EMU_RESET_SOFTWARE);
    assert_int_equal(rd(s, 0x1034, 4), 0xF0100030);
}

static void sim_ids_read_only_and_unknown_offsets_read_zero(void **state)
{
    periph_t *s = mk(sim_create(&F.bus, 1024u * 1024u));
    uint32_t sdid = rd(s, 0x1024, 4);
    wr(s, 0x1024, 4, 0);
    assert_int_equal(rd(s, 0x1024, 4), sdid);
    uint32_t uidl = rd(s, 0x1060, 4);
    assert_int_equal(uidl, rd(s, 0x1060, 4));
    wr(s, 0x0800, 4, 0xFFFFFFFF);
    assert_int_equal(rd(s, 0x0800, 4), 0);
    assert_int_equal(rd(s, 0x1FFC, 4), 0);
}

/* ---- MCG ----------------------------------------------------------------------------------- */

static void mcg_status_follows_startup_sequence(void **state)
{
    periph_t *g = mk(mcg_create(&F.bus));
    assert_int_equal(rd(g, 0x0, 1), 0x04);
    assert_int_equal(rd(g, 0x1, 1), 0x80);
    assert_int_equal(rd(g, 0x6, 1), 0x10);              /* FEI: IREFST */
    wr(g, 0x1, 1, 0x24);                                /* C2: RANGE0 = 2, EREFS0 */
    assert_int_equal(rd(g, 0x6, 1) & 0x02, 0x02);       /* OSCINIT0 */
    wr(g, 0x0, 1, 0x98);                                /* C1: CLKS = external, IREFS = 0 */
    assert_int_equal(rd(g, 0x6, 1) & 0x10, 0);          /* IREFST follows */
    assert_int_equal((rd(g, 0x6, 1) >> 2) & 3, 2);      /* CLKST = external: FBE */
    wr(g, 0x4, 1, 0x13);                                /* C5: PRDIV0 */
    assert_int_equal(rd(g, 0x6, 1) & 0x40, 0);
    wr(g, 0x5, 1, 0x58);                                /* C6: PLLS, VDIV0 */
    assert_int_equal(rd(g, 0x6, 1) & 0x60, 0x60);       /* PLLST, LOCK0 */
    wr(g, 0x0, 1, 0x18);                                /* C1: CLKS = 0 -> PLL (PEE) */
    assert_int_equal((rd(g, 0x6, 1) >> 2) & 3, 3);
    wr(g, 0x5, 1, 0x00);
    wr(g, 0x4, 1, 0x40);                                /* PLLCLKEN0 alone locks too */
    assert_int_equal(rd(g, 0x6, 1) & 0x60, 0x40);
    assert_int_equal((rd(g, 0x6, 1) >> 2) & 3, 0);
}

static void mcg_c4_reads_back_and_s_ignores_writes(void **state)
{
    periph_t *g = mk(mcg_create(&F.bus));
    wr(g, 0x3, 1, 0xA5);
    assert_int_equal(rd(g, 0x3, 1), 0xA5);
    wr(g, 0x6, 1, 0xFF);
    assert_int_equal(rd(g, 0x6, 1), 0x10);
    assert_int_equal(rd(g, 0x0, 4) & 0xFFFF, 0x8004);  /* C1 | C2 << 8 */
    g->ops->reset(g, EMU_RESET_PIN);
    assert_int_not_equal(rd(g, 0x3, 1), 0xA5);
}

/* ---- FMC ----------------------------------------------------------------------------------- */

static void fmc_accepts_cache_maintenance(void **state)
{
    periph_t *f = mk(fmc_create(&F.bus));
    assert_int_equal(rd(f, 0x00, 4), 0x00F8003F);
    assert_int_equal(rd(f, 0x04, 4), 0x3004001F);
    assert_int_equal(rd(f, 0x08, 4), 0x3004001F);
    wr(f, 0x04, 4, 0x3004001F | (0xFu << 20) | (1u << 19));    /* invalidate all ways */
    assert_int_equal(rd(f, 0x04, 4), 0x3004001F);
    wr(f, 0x04, 4, 0x30040000);                                 /* disable caches */
    assert_int_equal(rd(f, 0x04, 4), 0x30040000);
    wr(f, 0x06, 1, 0xF0);                                       /* CINV_WAY, byte write */
    assert_int_equal(rd(f, 0x04, 4), 0x30040000);
    wr(f, 0x08, 4, 0x0);                                        /* RO fields kept */
    assert_int_equal(rd(f, 0x08, 4), 0x30040000);
    wr(f, 0x00, 4, 0x00FF00FF);
    assert_int_equal(rd(f, 0x00, 4), 0x00FF00FF);
    wr(f, 0x100, 4, 0x12345678);
    assert_int_equal(rd(f, 0x100, 4), 0);
    f->ops->reset(f, EMU_RESET_PIN);
    assert_int_equal(rd(f, 0x04, 4), 0x3004001F);
}

/* ---- PIT ----------------------------------------------------------------------------------- */

#define PIT_IRQ0 48

static void pit_expiry_sets_tif_raises_irq_on_time_and_reloads(void **state)
{
    periph_t *t = mk(pit_create(&F.bus, PIT_IRQ0));
    assert_int_equal(rd(t, 0x000, 4), 0x6);
    wr(t, 0x000, 4, 0);                                 /* MDIS = 0 */
    F.now = 1000;
    wr(t, 0x110, 4, 59);                                /* ch1 LDVAL: 60 bus clocks = 1 us */
    wr(t, 0x118, 4, 0x3);                               /* TIE | TEN */
    assert_int_equal(t->ops->deadline(t), 2000);
    t->ops->tick(t, 1999);
    assert_int_equal(rd(t, 0x11C, 4), 0);
    assert_false(F.irq[PIT_IRQ0 + 1]);
    t->ops->tick(t, 2000);
    assert_true(F.irq[PIT_IRQ0 + 1]);
    assert_false(F.irq[PIT_IRQ0]);
    F.now = 2000;
    assert_int_equal(rd(t, 0x11C, 4), 1);
    assert_int_equal(rd(t, 0x114, 4), 59);              /* reloaded */
    wr(t, 0x11C, 4, 1);                                 /* clear TIF */
    assert_false(F.irq[PIT_IRQ0 + 1]);
    assert_int_equal(t->ops->deadline(t), 3000);
}

static void pit_cval_counts_down_with_time(void **state)
{
    periph_t *t = mk(pit_create(&F.bus, PIT_IRQ0));
    wr(t, 0x000, 4, 0);
    wr(t, 0x100, 4, 599);                               /* 10 us */
    wr(t, 0x108, 4, 0x1);
    F.now = 5000;                                       /* 300 clocks */
    assert_int_equal(rd(t, 0x104, 4), 299);
    F.now = 10000;                                      /* expired once, reloaded */
    assert_int_equal(rd(t, 0x104, 4), 599);
    assert_int_equal(rd(t, 0x10C, 4), 1);
    assert_int_equal(rd(t, 0x106, 2), 0);               /* sub-word read */
    wr(t, 0x108, 4, 0x0);                               /* stop: CVAL frozen */
    F.now = 12000;
    assert_int_equal(rd(t, 0x104, 4), 599);
}

static void pit_catches_up_huge_gaps_at_once(void **state)
{
    periph_t *t = mk(pit_create(&F.bus, PIT_IRQ0));
    wr(t, 0x000, 4, 0);
    wr(t, 0x120, 4, 0);                                 /* ch2: period of 1 clock */
    wr(t, 0x128, 4, 0x3);
    t->ops->tick(t, 1000000000000000000ull);            /* ~31 years later */
    assert_true(F.irq[PIT_IRQ0 + 2]);
    F.now = 1000000000000000000ull;
    assert_int_equal(rd(t, 0x124, 4), 0);
}

static void pit_ldval_change_applies_at_next_reload(void **state)
{
    periph_t *t = mk(pit_create(&F.bus, PIT_IRQ0));
    wr(t, 0x000, 4, 0);
    wr(t, 0x100, 4, 59);
    wr(t, 0x108, 4, 0x3);
    F.now = 500;
    wr(t, 0x100, 4, 119);
    assert_int_equal(t->ops->deadline(t), 1000);
    t->ops->tick(t, 1000);
    F.now = 1000;
    wr(t, 0x10C, 4, 1);
    assert_int_equal(t->ops->deadline(t), 3000);
}

static void pit_mdis_stops_all_channels(void **state)
{
    periph_t *t = mk(pit_create(&F.bus, PIT_IRQ0));
    wr(t, 0x100, 4, 59);
    wr(t, 0x108, 4, 0x3);                               /* MDIS still 1 */
    assert_int_equal(t->ops->deadline(t), UINT64_MAX);
    t->ops->tick(t, 10000);
    assert_false(F.irq[PIT_IRQ0]);
    F.now = 10000;
    wr(t, 0x000, 4, 0);                                 /* start now */
    assert_int_equal(t->ops->deadline(t), 11000);
    F.now = 10500;
    wr(t, 0x000, 4, 2);                                 /* freeze at CVAL 29 */
    assert_int_equal(rd(t, 0x104, 4), 29);
    F.now = 20000;
    wr(t, 0x000, 4, 0);                                 /* resume: 30 clocks left */
    assert_int_equal(t->ops->deadline(t), 20500);
}

static void pit_chained_channel_counts_expiries_of_previous(void **state)
{
    periph_t *t = mk(pit_create(&F.bus, PIT_IRQ0));
    wr(t, 0x000, 4, 0);
    wr(t, 0x100, 4, 59);                                /* ch0: 1 us prescaler */
    wr(t, 0x110, 4, 0xFFFFFFFF);                        /* ch1: microsecond counter */
    wr(t, 0x118, 4, 0x5);                               /* CHN | TEN */
    wr(t, 0x108, 4, 0x1);
    assert_int_equal(t->ops->deadline(t), UINT64_MAX);  /* no TIE anywhere */
    F.now = 123456;                                     /* 123 full microseconds */
    assert_int_equal(rd(t, 0x114, 4), 0xFFFFFFFFu - 123);
    assert_int_equal(rd(t, 0x0E0, 4), 0xFFFFFFFFu - 123);  /* LTMR64H = CVAL1 */
    assert_int_equal(rd(t, 0x0E4, 4), 59 - 27);             /* latched CVAL0: 456 ns = 27 clk */
    wr(t, 0x130, 4, 9);                                 /* ch3 chained to ch2 (stopped) */
    wr(t, 0x138, 4, 0x7);
    assert_int_equal(t->ops->deadline(t), UINT64_MAX);
    wr(t, 0x120, 4, 4);                                 /* ch2 chained to ch1 */
    wr(t, 0x128, 4, 0x5);
    /* ch1 expires every 2^32 us, ch2 every 5 of those, ch3 after 10 of ch2's: ch3 first
     * expires 50 * 2^32 us after ch0 started (t = 0) */
    assert_int_equal(t->ops->deadline(t), 50ull * (1ull << 32) * 1000ull);
}

static void pit_chained_deadline_through_one_level(void **state)
{
    periph_t *t = mk(pit_create(&F.bus, PIT_IRQ0));
    wr(t, 0x000, 4, 0);
    wr(t, 0x100, 4, 59);                                /* ch0: expires every 1 us */
    wr(t, 0x110, 4, 9);                                 /* ch1: every 10 ch0 expiries */
    wr(t, 0x118, 4, 0x7);                               /* CHN | TIE | TEN */
    wr(t, 0x108, 4, 0x1);                               /* ch0 starts at t = 0 */
    assert_int_equal(t->ops->deadline(t), 10000);
    t->ops->tick(t, 9999);
    assert_false(F.irq[PIT_IRQ0 + 1]);
    t->ops->tick(t, 10000);
    assert_true(F.irq[PIT_IRQ0 + 1]);
    assert_false(F.irq[PIT_IRQ0]);                      /* ch0 has no TIE */
    F.now = 10000;
    assert_int_equal(rd(t, 0x10C, 4), 1);               /* ch0 TIF set lazily */
}

static void pit_reset_clears_channels_and_lowers_irqs(void **state)
{
    periph_t *t = mk(pit_create(&F.bus, PIT_IRQ0));
    wr(t, 0x000, 4, 0);
    wr(t, 0x130, 4, 0);
    wr(t, 0x138, 4, 0x3);
    t->ops->tick(t, 100);
    assert_true(F.irq[PIT_IRQ0 + 3]);
    t->ops->reset(t, EMU_RESET_SOFTWARE);
    assert_false(F.irq[PIT_IRQ0 + 3]);
    assert_int_equal(rd(t, 0x000, 4), 0x6);
    assert_int_equal(rd(t, 0x138, 4), 0);
    assert_int_equal(t->ops->deadline(t), UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(uart_transmit_reaches_console_only_with_te, setup, teardown),
        cmocka_unit_test_setup_teardown(uart_status_always_ready_to_transmit, setup, teardown),
        cmocka_unit_test_setup_teardown(uart_rx_push_sets_rdrf_and_d_pops, setup, teardown),
        cmocka_unit_test_setup_teardown(uart_rx_push_accepts_up_to_capacity, setup, teardown),
        cmocka_unit_test_setup_teardown(uart_rx_irq_follows_rdrf_and_rie, setup, teardown),
        cmocka_unit_test_setup_teardown(uart_wide_read_is_little_endian, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_resets_after_timeout_without_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_refresh_in_time_prevents_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_unlock_then_disable_means_no_reset_ever, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_configuration_without_unlock_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_configuration_after_wct_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_configures_timeout_after_unlock, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_wrong_unlock_value_requests_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_unlock_second_word_late_requests_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_broken_refresh_requests_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_refresh_with_byte_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_window_refresh_too_early_requests_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_rstcnt_counts_watchdog_resets_until_power_on, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_disabled_out_of_reset_when_constructed_so, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_reset_restarts_timer_at_now, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_wide_reads_and_timer_output, setup, teardown),
        cmocka_unit_test_setup_teardown(wdog_access_after_reset_request_in_same_write_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(rcm_latches_cause_of_each_reset_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(rcm_srs_read_only_and_plain_registers_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(sim_fcfg1_reports_flash_size, setup, teardown),
        cmocka_unit_test_setup_teardown(sim_clock_gates_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(sim_ids_read_only_and_unknown_offsets_read_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(mcg_status_follows_startup_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(mcg_c4_reads_back_and_s_ignores_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(fmc_accepts_cache_maintenance, setup, teardown),
        cmocka_unit_test_setup_teardown(pit_expiry_sets_tif_raises_irq_on_time_and_reloads, setup, teardown),
        cmocka_unit_test_setup_teardown(pit_cval_counts_down_with_time, setup, teardown),
        cmocka_unit_test_setup_teardown(pit_catches_up_huge_gaps_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(pit_ldval_change_applies_at_next_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(pit_mdis_stops_all_channels, setup, teardown),
        cmocka_unit_test_setup_teardown(pit_chained_channel_counts_expiries_of_previous, setup, teardown),
        cmocka_unit_test_setup_teardown(pit_chained_deadline_through_one_level, setup, teardown),
        cmocka_unit_test_setup_teardown(pit_reset_clears_channels_and_lowers_irqs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
