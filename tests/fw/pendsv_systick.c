/*
 * pendsv_systick: PendSV, SysTick, SHPR3 priorities, tail chaining and ICSR readings.
 *  - ICSR.PENDSVSET pends PendSV (reads back while masked by PRIMASK, VECTPENDING = 14,
 *    ISRPENDING = 0), it runs as soon as PRIMASK is cleared; PENDSVCLR un-pends it; inside the
 *    handler IPSR = VECTACTIVE = 14, RETTOBASE = 1, PENDSVSET reads 0, SHCSR.PENDSVACT = 1
 *  - ICSR.PENDSTSET pends SysTick (exception 15) with the counter disabled
 *  - tail chaining: SysTick (prio 0x40) pends PendSV (prio 0x80, then also equal 0x80/0x80):
 *    PendSV does not preempt, it runs right after SysTick returns, before any thread
 *    instruction (same stacked PC as SysTick's, EXC_RETURN 0xFFFFFFF9)
 *  - preemption: SysTick (0x80) pends PendSV (0x40): PendSV runs nested at once, with
 *    EXC_RETURN 0xFFFFFFF1, RETTOBASE 0, SHCSR shows both active
 *  - both pending when PRIMASK is cleared: higher priority first; equal priority: lower
 *    exception number (PendSV 14) first
 *  - SysTick counter: RVR is 24 bits, a CVR write clears it, COUNTFLAG is set on wrap, with
 *    CSR = ENABLE|TICKINT|CLKSOURCE and a reload of 1000 cycles it interrupts repeatedly,
 *    disabling it stops the interrupts
 *
 * Exit codes: see the CHECK lines (first argument); 1 = unexpected exception.
 */
#include "fwtest.h"

FW_TEST_NAME("pendsv_systick");

#define TIMEOUT_LOOPS 20000000u

static volatile char log_buf[16];
static volatile unsigned log_n;
static void log_ev(char c)
{
    if (log_n < sizeof log_buf - 1)
        log_buf[log_n++] = c;
    log_buf[log_n] = 0;
}
static void log_reset(void)
{
    log_n = 0;
    log_buf[0] = 0;
}
static bool log_is(const char *s)
{
    unsigned i = 0;
    for (; s[i]; i++)
        if (log_buf[i] != s[i])
            return false;
    return log_n == i;
}

typedef struct {
    uint32_t count, ipsr, icsr, shcsr, exc_return, stacked_pc, icsr_after_pend, pendsv_count_after_pend;
} handler_rec_t;

static volatile handler_rec_t pendsv, systick;
static volatile enum { ST_COUNT, ST_PEND_PENDSV } systick_mode;

uint32_t pendsv_c(uint32_t *frame, uint32_t exc_return)
{
    pendsv.count++;
    pendsv.ipsr = get_ipsr();
    pendsv.icsr = ICSR;
    pendsv.shcsr = SHCSR;
    pendsv.exc_return = exc_return;
    pendsv.stacked_pc = frame[6];
    log_ev('P');
    return exc_return;
}
FW_FRAME_HANDLER(PendSV_Handler, pendsv_c)

uint32_t systick_c(uint32_t *frame, uint32_t exc_return)
{
    systick.count++;
    systick.ipsr = get_ipsr();
    systick.icsr = ICSR;
    systick.shcsr = SHCSR;
    systick.exc_return = exc_return;
    systick.stacked_pc = frame[6];
    if (systick_mode == ST_PEND_PENDSV) {
        log_ev('S');
        ICSR = ICSR_PENDSVSET;
        dsb_isb();
        systick.icsr_after_pend = ICSR;
        systick.pendsv_count_after_pend = pendsv.count;
        log_ev('s');
    }
    return exc_return;
}
FW_FRAME_HANDLER(SysTick_Handler, systick_c)

static void set_prios(uint32_t pendsv_prio, uint32_t systick_prio)
{
    SHPR3 = (systick_prio << 24) | (pendsv_prio << 16);
    dsb_isb();
}

/* Pends SysTick from thread mode; the SysTick handler pends PendSV. */
static void tail_chain_case(uint32_t base, uint32_t pendsv_prio, uint32_t systick_prio)
{
    set_prios(pendsv_prio, systick_prio);
    CHECK_EQ(base, SHPR3, (systick_prio << 24) | (pendsv_prio << 16), "SHPR3 reads back");
    log_reset();
    uint32_t np = pendsv.count, ns = systick.count;
    systick_mode = ST_PEND_PENDSV;
    ICSR = ICSR_PENDSTSET;
    dsb_isb();
    systick_mode = ST_COUNT;
    CHECK_EQ(base + 1, systick.count, ns + 1, "SysTick taken once");
    CHECK_EQ(base + 2, pendsv.count, np + 1, "PendSV taken once");
    if (pendsv_prio >= systick_prio) {
        /* PendSV cannot preempt: it is tail-chained after SysTick */
        CHECK(base + 3, log_is("SsP"), "order: SysTick completes, then PendSV");
        CHECK_EQ(base + 4, systick.pendsv_count_after_pend, np, "PendSV did not preempt SysTick");
        CHECK(base + 5, (systick.icsr_after_pend & ICSR_PENDSVSET) &&
              ICSR_VECTPENDING(systick.icsr_after_pend) == EXC_PENDSV,
              "in SysTick: PENDSVSET = 1, VECTPENDING = 14");
        CHECK_EQ(base + 6, ICSR_VECTACTIVE(systick.icsr_after_pend), EXC_SYSTICK, "in SysTick: VECTACTIVE = 15");
        CHECK_EQ(base + 7, pendsv.stacked_pc, systick.stacked_pc,
                 "PendSV tail-chained before any thread instruction (same return PC)");
        CHECK_EQ(base + 8, pendsv.exc_return, EXC_RETURN_THREAD_MSP, "tail-chained PendSV returns to thread");
        CHECK(base + 9, (pendsv.icsr & ICSR_RETTOBASE) && ICSR_VECTACTIVE(pendsv.icsr) == EXC_PENDSV,
              "in tail-chained PendSV: RETTOBASE = 1, VECTACTIVE = 14");
        CHECK_EQ(base + 10, pendsv.shcsr & SHCSR_ACT_MASK, SHCSR_PENDSVACT, "in tail-chained PendSV: only PendSV active");
    } else {
        /* PendSV has higher priority: it preempts SysTick right away */
        CHECK(base + 3, log_is("SPs"), "order: PendSV nested inside SysTick");
        CHECK_EQ(base + 4, systick.pendsv_count_after_pend, np + 1, "PendSV preempted SysTick");
        CHECK_EQ(base + 5, pendsv.exc_return, EXC_RETURN_HANDLER, "nested PendSV EXC_RETURN = 0xFFFFFFF1");
        CHECK(base + 6, !(pendsv.icsr & ICSR_RETTOBASE), "nested PendSV: RETTOBASE = 0");
        CHECK_EQ(base + 7, ICSR_VECTACTIVE(pendsv.icsr), EXC_PENDSV, "nested PendSV: VECTACTIVE = 14");
        CHECK_EQ(base + 8, pendsv.shcsr & SHCSR_ACT_MASK, SHCSR_PENDSVACT | SHCSR_SYSTICKACT,
                 "nested PendSV: SysTick and PendSV active");
        CHECK_EQ(base + 9, pendsv.ipsr, EXC_PENDSV, "nested PendSV: IPSR = 14");
        CHECK(base + 10, pendsv.stacked_pc != systick.stacked_pc, "nested PendSV returns into SysTick");
    }
    CHECK_EQ(base + 11, systick.exc_return, EXC_RETURN_THREAD_MSP, "SysTick EXC_RETURN");
    CHECK_EQ(base + 12, ICSR & (ICSR_PENDSVSET | ICSR_PENDSTSET | 0x1FF000u), 0, "nothing pending afterwards");
    CHECK_EQ(base + 13, SHCSR & SHCSR_ACT_MASK, 0, "nothing active afterwards");
}

/* PendSV and SysTick pended together under PRIMASK, then released. */
static void both_pending_case(uint32_t base, uint32_t pendsv_prio, uint32_t systick_prio, const char *order)
{
    set_prios(pendsv_prio, systick_prio);
    log_reset();
    systick_mode = ST_COUNT;
    irq_disable();
    ICSR = ICSR_PENDSVSET;
    ICSR = ICSR_PENDSTSET;
    dsb_isb();
    CHECK(base, (ICSR & (ICSR_PENDSVSET | ICSR_PENDSTSET)) == (ICSR_PENDSVSET | ICSR_PENDSTSET),
          "both pending under PRIMASK");
    uint32_t want_vp = (pendsv_prio <= systick_prio) ? EXC_PENDSV : EXC_SYSTICK;
    CHECK_EQ(base + 1, ICSR_VECTPENDING(ICSR), want_vp, "VECTPENDING = highest priority pending");
    uint32_t ns = systick.count;
    /* SysTick handler logs nothing in ST_COUNT mode: log it from here via counts */
    irq_enable();
    CHECK_EQ(base + 2, systick.count, ns + 1, "SysTick ran");
    /* order: PendSV's stacked PC equals SysTick's when tail-chained either way; use the log
     * of PendSV plus the count SysTick saw */
    CHECK(base + 3, log_is("P"), "PendSV ran once");
    bool pendsv_first = order[0] == 'P';
    if (pendsv_first)
        CHECK(base + 4, pendsv.exc_return == EXC_RETURN_THREAD_MSP && systick.exc_return == EXC_RETURN_THREAD_MSP &&
              (systick.shcsr & SHCSR_ACT_MASK) == SHCSR_SYSTICKACT && (systick.icsr & ICSR_PENDSVSET) == 0,
              "PendSV first, then SysTick (PendSV no longer pending in SysTick)");
    else
        CHECK(base + 4, (systick.icsr & ICSR_PENDSVSET) != 0 && (pendsv.icsr & ICSR_PENDSTSET) == 0,
              "SysTick first (PendSV still pending in SysTick), then PendSV");
    CHECK_EQ(base + 5, pendsv.stacked_pc, systick.stacked_pc, "second one tail-chained (same return PC)");
}

int main(void)
{
    /* ---- PendSV basics ------------------------------------------------------------------ */
    set_prios(0x80, 0x40);
    irq_disable();
    ICSR = ICSR_PENDSVSET;
    dsb_isb();
    uint32_t icsr = ICSR;
    CHECK(2, icsr & ICSR_PENDSVSET, "PENDSVSET reads 1 while PendSV is pending");
    CHECK_EQ(3, ICSR_VECTPENDING(icsr), EXC_PENDSV, "VECTPENDING = 14");
    CHECK_EQ(4, icsr & ICSR_ISRPENDING, 0, "ISRPENDING = 0 (PendSV is not an external interrupt)");
    CHECK_EQ(5, pendsv.count, 0, "PendSV blocked by PRIMASK");
    irq_enable();
    CHECK_EQ(6, pendsv.count, 1, "PendSV runs when PRIMASK is cleared");
    CHECK_EQ(7, pendsv.ipsr, EXC_PENDSV, "IPSR in PendSV");
    CHECK_EQ(8, ICSR_VECTACTIVE(pendsv.icsr), EXC_PENDSV, "VECTACTIVE in PendSV");
    CHECK(9, pendsv.icsr & ICSR_RETTOBASE, "RETTOBASE = 1 in a non-nested PendSV");
    CHECK_EQ(10, pendsv.icsr & ICSR_PENDSVSET, 0, "PENDSVSET reads 0 once PendSV is active");
    CHECK_EQ(11, pendsv.shcsr & SHCSR_ACT_MASK, SHCSR_PENDSVACT, "SHCSR.PENDSVACT in PendSV");
    CHECK_EQ(12, pendsv.exc_return, EXC_RETURN_THREAD_MSP, "PendSV EXC_RETURN");
    CHECK_EQ(13, ICSR & ICSR_PENDSVSET, 0, "PendSV not pending afterwards");

    irq_disable();
    ICSR = ICSR_PENDSVSET;
    dsb_isb();
    ICSR = ICSR_PENDSVCLR;
    dsb_isb();
    CHECK_EQ(14, ICSR & ICSR_PENDSVSET, 0, "PENDSVCLR clears the pending PendSV");
    irq_enable();
    CHECK_EQ(15, pendsv.count, 1, "cleared PendSV does not run");

    ICSR = ICSR_PENDSVSET;
    dsb_isb();
    CHECK_EQ(16, pendsv.count, 2, "PendSV taken right after PENDSVSET when unmasked");

    /* ---- SysTick by software pend -------------------------------------------------------- */
    SYST_CSR = 0;
    systick_mode = ST_COUNT;
    ICSR = ICSR_PENDSTSET;
    dsb_isb();
    CHECK_EQ(17, systick.count, 1, "PENDSTSET: SysTick taken");
    CHECK_EQ(18, systick.ipsr, EXC_SYSTICK, "IPSR in SysTick");
    CHECK_EQ(19, ICSR_VECTACTIVE(systick.icsr), EXC_SYSTICK, "VECTACTIVE in SysTick");
    CHECK(20, systick.icsr & ICSR_RETTOBASE, "RETTOBASE in a non-nested SysTick");
    CHECK_EQ(21, systick.icsr & ICSR_PENDSTSET, 0, "PENDSTSET reads 0 once SysTick is active");
    CHECK_EQ(22, systick.shcsr & SHCSR_ACT_MASK, SHCSR_SYSTICKACT, "SHCSR.SYSTICKACT in SysTick");
    irq_disable();
    ICSR = ICSR_PENDSTSET;
    dsb_isb();
    CHECK(23, ICSR & ICSR_PENDSTSET, "PENDSTSET reads 1 while pending");
    CHECK_EQ(24, ICSR_VECTPENDING(ICSR), EXC_SYSTICK, "VECTPENDING = 15");
    ICSR = ICSR_PENDSTCLR;
    dsb_isb();
    CHECK_EQ(25, ICSR & ICSR_PENDSTSET, 0, "PENDSTCLR clears it");
    irq_enable();
    CHECK_EQ(26, systick.count, 1, "cleared SysTick does not run");

    /* ---- tail chaining and preemption --------------------------------------------------- */
    tail_chain_case(30, 0x80, 0x40);  /* 30..43: PendSV lower priority */
    tail_chain_case(50, 0x80, 0x80);  /* 50..63: equal priority */
    tail_chain_case(70, 0x40, 0x80);  /* 70..83: PendSV higher priority */

    /* ---- both pending at once ------------------------------------------------------------ */
    both_pending_case(90, 0x80, 0x40, "SP");   /* 90..95: SysTick higher */
    both_pending_case(100, 0x40, 0x80, "PS");  /* 100..105: PendSV higher */
    both_pending_case(110, 0x80, 0x80, "PS");  /* 110..115: equal: lower exception number first */

    /* ---- SysTick counter ---------------------------------------------------------------- */
    set_prios(0x80, 0x40);
    SYST_CSR = 0;
    SYST_RVR = 0xFFFFFFFFu;
    CHECK_EQ(120, SYST_RVR, 0x00FFFFFFu, "SYST_RVR is 24 bits");
    SYST_CVR = 0x1234;
    CHECK_EQ(121, SYST_CVR, 0, "a write to SYST_CVR clears it");
    SYST_CSR = SYST_ENABLE | SYST_CLKSOURCE;
    /* The counter reloads from 0 on the next clock; QEMU may take a while to do it. */
    uint32_t n = 0, c1, c2;
    while ((c1 = SYST_CVR) == 0 && n < TIMEOUT_LOOPS)
        n++;
    fw_delay(1000);
    c2 = SYST_CVR;
    CHECK(122, c1 != 0 && c1 <= 0x00FFFFFFu && c2 < c1, "SYST_CVR counts down from the reload value");
    SYST_CSR = 0;
    SYST_RVR = 999;
    SYST_CVR = 0;
    SYST_CSR = SYST_ENABLE | SYST_CLKSOURCE;
    n = 0;
    while (!(SYST_CSR & SYST_COUNTFLAG) && n < TIMEOUT_LOOPS)
        n++;
    CHECK(123, n < TIMEOUT_LOOPS, "COUNTFLAG set after the counter wraps");
    SYST_CSR = 0;
    CHECK_EQ(124, systick.count, 1 + 3 + 3, "no SysTick interrupt without TICKINT");
    CHECK_EQ(125, ICSR & ICSR_PENDSTSET, 0, "no SysTick pending without TICKINT");

    uint32_t base = systick.count;
    SYST_CVR = 0;
    SYST_CSR = SYST_ENABLE | SYST_TICKINT | SYST_CLKSOURCE;
    CHECK_EQ(126, SYST_CSR & 7u, 7u, "SYST_CSR reads ENABLE|TICKINT|CLKSOURCE");
    n = 0;
    while (systick.count - base < 10 && n < TIMEOUT_LOOPS)
        n++;
    SYST_CSR = 0;
    ICSR = ICSR_PENDSTCLR;
    dsb_isb();
    CHECK(127, systick.count - base >= 10, "10 SysTick interrupts from the counter");
    CHECK_EQ(128, systick.ipsr, EXC_SYSTICK, "IPSR in a counter SysTick");
    CHECK_EQ(129, systick.exc_return, EXC_RETURN_THREAD_MSP, "EXC_RETURN in a counter SysTick");
    uint32_t stopped = systick.count;
    fw_delay(20000);
    CHECK_EQ(130, systick.count, stopped, "no SysTick after the counter is disabled");
    CHECK_EQ(131, SHCSR & SHCSR_ACT_MASK, 0, "nothing active at the end");

    fw_pass();
}
