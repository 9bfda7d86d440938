/*
 * svc: SVC exception entry/return, the stacked frame and EXC_RETURN.
 *  - SVC #imm with known r0-r3, r12, lr, APSR flags (NZCVQ + GE); the handler reads the basic
 *    frame (r0, r1, r2, r3, r12, lr, pc, xpsr), the SVC number from the halfword before the
 *    stacked PC, and returns values through stacked r0/r1; r2, r3, r12, lr, flags come back
 *  - stacked xPSR = flags | T, IPSR 0; stack alignment: with SP 8-aligned the frame is at SP-32
 *    and xPSR bit 9 = 0; with SP = 4 mod 8 the frame is at SP-36 and bit 9 = 1 (CCR.STKALIGN=1);
 *    SP is exactly restored after return
 *  - EXC_RETURN 0xFFFFFFF9 from thread/MSP, 0xFFFFFFFD from thread/PSP (CONTROL.SPSEL = 1),
 *    frame on the PSP, handler runs on MSP with CONTROL.SPSEL reading 0
 *  - unprivileged thread (CONTROL.nPRIV = 1): MSR CONTROL and CPSID are ignored, the handler
 *    sees CONTROL.nPRIV = 1 and clears it, thread comes back privileged on the PSP
 *
 * Exit codes: see the CHECK lines (first argument); 1 = unexpected exception.
 */
#include "fwtest.h"

FW_TEST_NAME("svc");

/* What the handler saw on its last entry. */
static volatile struct {
    uint32_t count;
    uint32_t frame_addr;
    uint32_t f[8];
    uint32_t exc_return, svc_insn, ipsr, control, msp, psp, shcsr;
} rec;

/* Registers right after the SVC in svc_frame_test returned. */
volatile uint32_t svc_after[8]; /* r0, r1, r2, r3 (= SP before SVC), r12, lr, sp, apsr */

extern const char svc_site[];

/*
 * uint32_t svc_frame_test(uint32_t misalign): issues "svc #0x42" with known register values and
 * SP either 8-byte aligned (misalign = 0) or 4 mod 8 (misalign != 0); stores the registers seen
 * right after the return in svc_after[]. r3 holds the SP value just before the SVC.
 */
__attribute__((naked)) uint32_t svc_frame_test(__attribute__((unused)) uint32_t misalign)
{
    __asm volatile(
        "push {r4-r7, lr}\n"
        "mov r4, sp\n"
        "mov r5, sp\n"
        "bic r5, r5, #7\n"
        "cmp r0, #0\n"
        "it ne\n"
        "subne r5, r5, #4\n"
        "mov sp, r5\n"
        "movw r7, #:lower16:svc_after\n"
        "movt r7, #:upper16:svc_after\n"
        "movw r6, #0x0000\n"
        "movt r6, #0xA805\n"          /* N, C, Q, GE = 0101 */
        "msr apsr_nzcvqg, r6\n"
        "movw r0, #0x1010\n"
        "movt r0, #0x1010\n"
        "movw r1, #0x2121\n"
        "movt r1, #0x2121\n"
        "movw r2, #0x3232\n"
        "movt r2, #0x3232\n"
        "movw r12, #0xC0C0\n"
        "movt r12, #0xC0C0\n"
        "movw lr, #0xE1E0\n"
        "movt lr, #0xE1E1\n"
        "mov r3, sp\n"
        ".global svc_site\n"
        "svc_site:\n"
        "svc #0x42\n"
        "mrs r6, apsr\n"
        "str r0, [r7, #0]\n"
        "str r1, [r7, #4]\n"
        "str r2, [r7, #8]\n"
        "str r3, [r7, #12]\n"
        "str r12, [r7, #16]\n"
        "str lr, [r7, #20]\n"
        "str r6, [r7, #28]\n"
        "mov r6, sp\n"
        "str r6, [r7, #24]\n"
        "mov sp, r4\n"
        "pop {r4-r7, pc}\n");
}

uint32_t svc_c(uint32_t *frame, uint32_t exc_return)
{
    rec.count++;
    rec.frame_addr = (uint32_t)frame;
    for (int i = 0; i < 8; i++)
        rec.f[i] = frame[i];
    rec.exc_return = exc_return;
    rec.svc_insn = *(const uint16_t *)(frame[6] - 2);
    rec.ipsr = get_ipsr();
    rec.control = get_control();
    rec.msp = get_msp();
    rec.psp = get_psp();
    rec.shcsr = SHCSR;
    switch (rec.svc_insn & 0xFF) {
    case 0x42: /* return values through the stacked r0/r1 */
        frame[0] = ~frame[0];
        frame[1] = 0x5A5A5A5Au;
        break;
    case 0x10: /* back to privileged thread */
        set_control(get_control() & ~1u);
        break;
    default:
        break;
    }
    return exc_return;
}
FW_FRAME_HANDLER(SVC_Handler, svc_c)

/* Runs one svc_frame_test and checks everything; base = first exit code of this group (13 codes). */
static void check_frame_test(uint32_t base, bool misalign, bool on_psp)
{
    uint32_t n = rec.count;
    uint32_t r = svc_frame_test(misalign);
    uint32_t sp_before = svc_after[3];
    uint32_t want_excret = on_psp ? EXC_RETURN_THREAD_PSP : EXC_RETURN_THREAD_MSP;

    CHECK_EQ(base + 0, rec.count, n + 1, "SVC handler ran once");
    CHECK_EQ(base + 1, rec.exc_return, want_excret, "EXC_RETURN in the SVC handler");
    CHECK_EQ(base + 2, rec.svc_insn, 0xDF42, "SVC instruction (number 0x42) before the stacked PC");
    CHECK_EQ(base + 3, rec.f[6], ((uint32_t)svc_site & ~1u) + 2, "stacked PC = address after SVC");
    CHECK(base + 4, rec.f[0] == 0x10101010u && rec.f[1] == 0x21212121u && rec.f[2] == 0x32323232u &&
          rec.f[3] == sp_before && rec.f[4] == 0xC0C0C0C0u && rec.f[5] == 0xE1E1E1E0u,
          "stacked r0-r3, r12, lr");
    CHECK_EQ(base + 5, rec.f[7], 0xA9050000u | (misalign ? 0x200u : 0), "stacked xPSR (flags, T, align bit 9)");
    CHECK_EQ(base + 6, rec.frame_addr, sp_before - (misalign ? 36u : 32u), "frame address (8-byte aligned)");
    CHECK_EQ(base + 7, rec.ipsr, EXC_SVCALL, "IPSR in the SVC handler");
    CHECK_EQ(base + 8, r, ~0x10101010u, "return value through stacked r0");
    CHECK_EQ(base + 9, svc_after[1], 0x5A5A5A5Au, "value through stacked r1");
    CHECK(base + 10, svc_after[2] == 0x32323232u && svc_after[4] == 0xC0C0C0C0u &&
          svc_after[5] == 0xE1E1E1E0u, "r2, r12, lr restored from the frame");
    CHECK_EQ(base + 11, svc_after[6], sp_before, "SP restored exactly (alignment padding removed)");
    CHECK_EQ(base + 12, svc_after[7] & 0xF80F0000u, 0xA8050000u, "APSR flags (NZCVQ, GE) restored");
}

static uint32_t psp_stack[512] __attribute__((aligned(8)));

/* Calls fn() in thread mode on the process stack (psp_top), then switches back to the MSP. */
__attribute__((naked)) void run_on_psp(__attribute__((unused)) void (*fn)(void), __attribute__((unused)) uint32_t psp_top)
{
    __asm volatile(
        "push {r4, lr}\n"
        "msr psp, r1\n"
        "mrs r2, control\n"
        "orr r2, r2, #2\n"
        "msr control, r2\n"
        "isb\n"
        "blx r0\n"
        "mrs r2, control\n"
        "bic r2, r2, #2\n"
        "msr control, r2\n"
        "isb\n"
        "pop {r4, pc}\n");
}

static void on_psp(void)
{
    CHECK_EQ(60, get_control(), 2, "CONTROL.SPSEL = 1 on the process stack");
    uint32_t sp = get_sp();
    CHECK(61, sp == get_psp() && sp < (uint32_t)&psp_stack[512] && sp >= (uint32_t)psp_stack,
          "thread SP is the PSP");

    check_frame_test(62, false, true);        /* 62..74 */
    CHECK(75, rec.frame_addr >= (uint32_t)psp_stack && rec.frame_addr < (uint32_t)&psp_stack[512],
          "frame pushed on the process stack");
    CHECK_EQ(76, rec.psp, rec.frame_addr, "PSP in the handler = frame address");
    CHECK_EQ(77, rec.control, 0, "CONTROL in the handler (SPSEL reads 0 in handler mode)");
    CHECK(78, rec.msp > (uint32_t)&psp_stack[512], "handler runs on the MSP");
    check_frame_test(79, true, true);         /* 79..91 */

    /* unprivileged */
    set_control(3);
    CHECK_EQ(92, get_control(), 3, "CONTROL = nPRIV | SPSEL");
    set_control(2);
    CHECK_EQ(93, get_control(), 3, "unprivileged MSR CONTROL is ignored");
    __asm volatile("cpsid i" ::: "memory");
    CHECK_EQ(94, get_primask(), 0, "unprivileged CPSID i is ignored");
    check_frame_test(95, false, true);        /* 95..107 */
    CHECK_EQ(108, rec.control, 1, "CONTROL in the handler from unprivileged thread (nPRIV 1, SPSEL 0)");
    CHECK_EQ(109, get_control(), 3, "still unprivileged after an SVC");

    uint32_t n = rec.count;
    __asm volatile("svc #0x10" ::: "memory");
    CHECK_EQ(110, rec.count, n + 1, "SVC #0x10 taken");
    CHECK_EQ(111, rec.svc_insn, 0xDF10, "SVC number 0x10");
    CHECK_EQ(112, rec.exc_return, EXC_RETURN_THREAD_PSP, "EXC_RETURN from unprivileged PSP thread");
    CHECK_EQ(113, get_control(), 2, "privileged again after the SVC (PSP kept)");
    __asm volatile("cpsid i\n isb" ::: "memory");
    CHECK_EQ(114, get_primask(), 1, "privileged CPSID i works again");
    __asm volatile("cpsie i\n isb" ::: "memory");
}

int main(void)
{
    CHECK_EQ(2, CCR & CCR_STKALIGN, CCR_STKALIGN, "CCR.STKALIGN = 1");
    CHECK_EQ(3, get_control(), 0, "thread mode privileged on the MSP");

    /* Thread mode, MSP: 8-aligned (codes 4..16) and 4 mod 8 (codes 20..32). */
    check_frame_test(4, false, false);
    CHECK_EQ(17, rec.control, 0, "CONTROL in the handler");
    CHECK_EQ(18, rec.shcsr & SHCSR_ACT_MASK, SHCSR_SVCALLACT, "SHCSR: only SVCall active");
    CHECK_EQ(19, SHCSR & SHCSR_ACT_MASK, 0, "SHCSR: nothing active after return");
    check_frame_test(20, true, false);
    CHECK_EQ(33, get_control(), 0, "CONTROL unchanged by the SVC");

    /* Thread mode, PSP (privileged, then unprivileged): codes 60..114. */
    run_on_psp(on_psp, (uint32_t)&psp_stack[512]);
    CHECK_EQ(120, get_control(), 0, "back on the MSP, privileged");
    CHECK_EQ(121, get_sp(), get_msp(), "thread SP is the MSP again");
    check_frame_test(122, false, false);      /* 122..134 */

    fw_pass();
}
