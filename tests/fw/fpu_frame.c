/*
 * fpu_frame: FPU enable and the extended (FP) exception frame. Built with -mfloat-abi=softfp
 * -mfpu=fpv4-sp-d16; all FP register traffic is in asm.
 *  - at reset CPACR = 0 and FPCCR = 0xC0000000 (ASPEN | LSPEN); an FP instruction with CP10/11
 *    disabled faults with UsageFault NOCP (HardFault FORCED when UsageFault is disabled)
 *  - after CPACR CP10/CP11 = full access, FP instructions set CONTROL.FPCA (ASPEN)
 *  - SVC with FPCA = 1: EXC_RETURN 0xFFFFFFE9, 26-word frame at SP-0x68 (SP-0x6C and xPSR bit 9
 *    when SP is 4 mod 8), CONTROL.FPCA = 0 on entry
 *  - lazy stacking (LSPEN = 1): FPCCR.LSPACT = 1 and FPCAR = frame + 0x20 on entry; the
 *    handler's first FP instruction stores S0-S15/FPSCR into the frame (LSPACT -> 0, FPCA -> 1)
 *  - eager stacking (LSPEN = 0): S0-S15/FPSCR are in the frame on entry, LSPACT = 0
 *  - the handler clobbers S0-S15 and FPSCR; after return S0-S31 and FPSCR are intact
 *  - with FPCA = 0 (cleared through CONTROL) the basic frame and 0xFFFFFFF9 are used; with
 *    ASPEN = 0 FP instructions do not set FPCA
 *
 * Exit codes: see the CHECK lines (first argument); 1 = unexpected exception.
 */
#include "fwtest.h"

FWEMU_GAPS(5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 26, 27, 46, 47, 104, 106);
FW_TEST_NAME("fpu_frame");

#define CONTROL_FPCA (1u << 2)
#define FPCCR_ASPEN (1u << 31)
#define FPCCR_LSPEN (1u << 30)
#define FPCCR_LSPACT (1u << 0)
#define FPSCR_TEST 0xA4C0009Fu   /* N C, AHP, RMode 3, IDC IXC UFC OFC DZC IOC */

/* fp_in[0..31] -> S0..S31, fp_in[32] -> FPSCR; fp_out: the same read back after the SVC. */
uint32_t fp_in[33], fp_out[33], fp_junk[33];
/* fp_svc results: [0] SP before SVC, [1] CONTROL after, [2] SP after */
volatile uint32_t fp_res[3];

void fp_svc(uint32_t misalign);
void fp_clobber(void);
void fp_nocp(void);
uint32_t fp_get_fpscr(void);
extern const char fp_svc_site[], nocp_insn[], nocp_after[];

__asm(
    ".text\n.thumb\n.syntax unified\n"
    ".global fp_svc\n.type fp_svc, %function\n.thumb_func\n"
    "fp_svc:\n"
    "push {r4-r7, lr}\n"
    "vpush {s16-s31}\n"
    "mov r4, sp\n"
    "mov r5, sp\n"
    "bic r5, r5, #7\n"
    "cmp r0, #0\n"
    "it ne\n"
    "subne r5, r5, #4\n"
    "mov sp, r5\n"
    "movw r6, #:lower16:fp_res\n"
    "movt r6, #:upper16:fp_res\n"
    "movw r2, #:lower16:fp_in\n"
    "movt r2, #:upper16:fp_in\n"
    "vldmia r2, {s0-s31}\n"
    "ldr r3, [r2, #128]\n"
    "vmsr fpscr, r3\n"
    "mov r3, sp\n"
    "str r3, [r6, #0]\n"
    ".global fp_svc_site\nfp_svc_site: svc #0\n"
    "movw r2, #:lower16:fp_out\n"
    "movt r2, #:upper16:fp_out\n"
    "vstmia r2, {s0-s31}\n"
    "vmrs r3, fpscr\n"
    "str r3, [r2, #128]\n"
    "mrs r3, control\n"
    "str r3, [r6, #4]\n"
    "mov r3, sp\n"
    "str r3, [r6, #8]\n"
    "mov sp, r4\n"
    "vpop {s16-s31}\n"
    "pop {r4-r7, pc}\n"

    /* loads junk into S0-S15 and FPSCR (first FP instruction of the handler) */
    ".global fp_clobber\n.type fp_clobber, %function\n.thumb_func\n"
    "fp_clobber:\n"
    "movw r2, #:lower16:fp_junk\n"
    "movt r2, #:upper16:fp_junk\n"
    "vldmia r2, {s0-s15}\n"
    "ldr r3, [r2, #128]\n"
    "vmsr fpscr, r3\n"
    "bx lr\n"

    ".global fp_nocp\n.type fp_nocp, %function\n.thumb_func\n"
    "fp_nocp:\n"
    ".global nocp_insn\nnocp_insn: vmov s0, r0\n"
    ".global nocp_after\nnocp_after: bx lr\n"

    ".global fp_get_fpscr\n.type fp_get_fpscr, %function\n.thumb_func\n"
    "fp_get_fpscr:\n"
    "vmrs r0, fpscr\n"
    "bx lr\n");

/* ---- faults (NOCP) --------------------------------------------------------------------- */
static volatile uint32_t fault_count, fault_ipsr, fault_cfsr, fault_hfsr, fault_pc;
static volatile bool fault_expected;
uint32_t fault_c(uint32_t *frame, uint32_t exc_return)
{
    fault_count++;
    fault_ipsr = get_ipsr();
    fault_cfsr = CFSR;
    fault_hfsr = HFSR;
    fault_pc = frame[6];
    if (!fault_expected)
        fw_fail(1, "unexpected fault (CFSR)", fault_cfsr, 0);
    fault_expected = false;
    frame[6] = (uint32_t)nocp_after & ~1u;
    CFSR = fault_cfsr;
    HFSR = fault_hfsr;
    return exc_return;
}
FW_FRAME_HANDLER(HardFault_Handler, fault_c)
FW_FRAME_HANDLER(UsageFault_Handler, fault_c)

/* ---- SVC ------------------------------------------------------------------------------- */
static volatile struct {
    uint32_t count, exc_return, frame, control_in, fpccr_in, fpcar_in, control_after, fpccr_after;
    uint32_t fr_in[26], fr_after[26];
} s;
static volatile bool svc_use_fp;

uint32_t svc_c(uint32_t *frame, uint32_t exc_return)
{
    s.count++;
    s.exc_return = exc_return;
    s.frame = (uint32_t)frame;
    s.control_in = get_control();
    s.fpccr_in = FPCCR;
    s.fpcar_in = FPCAR;
    unsigned words = (exc_return & 0x10) ? 8 : 26;
    for (unsigned i = 0; i < words; i++)
        s.fr_in[i] = frame[i];
    if (svc_use_fp) {
        fp_clobber();
        for (unsigned i = 0; i < words; i++)
            s.fr_after[i] = frame[i];
        s.control_after = get_control();
        s.fpccr_after = FPCCR;
    }
    return exc_return;
}
FW_FRAME_HANDLER(SVC_Handler, svc_c)

static void check_fp_regs(uint32_t code)
{
    for (unsigned i = 0; i < 33; i++)
        if (fp_out[i] != fp_in[i])
            fw_fail(code, i < 32 ? "S register not preserved across the exception (index)" :
                    "FPSCR not preserved across the exception", i < 32 ? i : fp_out[i], i < 32 ? 99 : fp_in[i]);
    CHECK(code, true, "S0-S31, FPSCR preserved");
}

static void check_frame_fp(uint32_t code, volatile uint32_t *fr)
{
    for (unsigned i = 0; i < 16; i++)
        if (fr[8 + i] != fp_in[i])
            fw_fail(code, "stacked S register (index) wrong", i, 99);
    CHECK_EQ(code, fr[24], FPSCR_TEST, "stacked FPSCR");
}

/* One SVC with an FP context; codes base..base+13. */
static void fp_case(uint32_t base, bool lazy, bool misalign)
{
    FPCCR = FPCCR_ASPEN | (lazy ? FPCCR_LSPEN : 0);
    dsb_isb();
    uint32_t n = s.count;
    svc_use_fp = true;
    fp_svc(misalign);
    svc_use_fp = false;
    uint32_t sp = fp_res[0];
    CHECK_EQ(base + 0, s.count, n + 1, "SVC taken");
    CHECK_EQ(base + 1, s.exc_return, EXC_RETURN_THREAD_MSP_FP, "EXC_RETURN with FP context = 0xFFFFFFE9");
    CHECK_EQ(base + 2, s.frame, sp - (misalign ? 0x6Cu : 0x68u), "extended frame address");
    CHECK_EQ(base + 3, s.fr_in[6], ((uint32_t)fp_svc_site & ~1u) + 2, "stacked PC");
    CHECK_EQ(base + 4, s.fr_in[7] & 0x200u, misalign ? 0x200u : 0, "stacked xPSR bit 9 (alignment)");
    CHECK_EQ(base + 5, s.control_in & CONTROL_FPCA, 0, "CONTROL.FPCA = 0 on handler entry");
    CHECK_EQ(base + 6, s.fpccr_in & FPCCR_LSPACT, lazy ? FPCCR_LSPACT : 0, "FPCCR.LSPACT on entry");
    if (lazy)
        CHECK_EQ(base + 7, s.fpcar_in, s.frame + 0x20, "FPCAR = address of the S0 slot");
    else
        check_frame_fp(base + 7, s.fr_in);
    check_frame_fp(base + 8, s.fr_after);
    CHECK_EQ(base + 9, s.fpccr_after & FPCCR_LSPACT, 0, "LSPACT cleared after the handler's first FP instruction");
    CHECK(base + 10, s.control_after & CONTROL_FPCA, "FPCA set by the handler's FP instruction");
    check_fp_regs(base + 11);
    CHECK(base + 12, fp_res[1] & CONTROL_FPCA, "thread CONTROL.FPCA still 1 after return");
    CHECK_EQ(base + 13, fp_res[2], sp, "SP restored after the extended frame");
}

int main(void)
{
    for (unsigned i = 0; i < 32; i++) {
        fp_in[i] = 0x3F800000u + i * 0x00010101u + (i << 24);
        fp_junk[i] = 0xDEAD0000u | i;
    }
    fp_in[32] = FPSCR_TEST;
    fp_junk[32] = 0;

    CHECK_EQ(2, CPACR, 0, "CPACR at reset");
    CHECK_EQ(3, FPCCR, FPCCR_ASPEN | FPCCR_LSPEN, "FPCCR at reset");
    CHECK_EQ(4, get_control(), 0, "CONTROL at reset (FPCA 0)");

    /* FP instruction with the coprocessor disabled */
    fault_expected = true;
    fp_nocp();
    CHECK_EQ(5, fault_count, 1, "FP instruction with CPACR = 0 faults");
    CHECK_EQ(6, fault_ipsr, EXC_HARDFAULT, "NOCP -> HardFault when UsageFault is disabled");
    CHECK_EQ(7, fault_cfsr, CFSR_NOCP, "CFSR.NOCP");
    CHECK_EQ(8, fault_hfsr, HFSR_FORCED, "HFSR.FORCED");
    CHECK_EQ(9, fault_pc, (uint32_t)nocp_insn & ~1u, "stacked PC = the FP instruction");
    SHCSR = SHCSR_USGFAULTENA;
    dsb_isb();
    fault_expected = true;
    fp_nocp();
    CHECK_EQ(10, fault_count, 2, "FP instruction with CPACR = 0 faults again");
    CHECK_EQ(11, fault_ipsr, EXC_USAGEFAULT, "NOCP -> UsageFault when enabled");
    CHECK_EQ(12, fault_cfsr, CFSR_NOCP, "CFSR.NOCP (UsageFault)");
    CHECK_EQ(13, get_control() & CONTROL_FPCA, 0, "faulting FP instruction does not set FPCA");

    /* enable the FPU */
    CPACR |= 0xFu << 20;
    dsb_isb();
    CHECK_EQ(14, CPACR, 0xFu << 20, "CPACR CP10/CP11 full access");
    fp_nocp();   /* vmov s0, r0 now executes */
    CHECK_EQ(15, fault_count, 2, "FP instruction executes once enabled");
    CHECK(16, get_control() & CONTROL_FPCA, "an FP instruction sets CONTROL.FPCA (ASPEN)");
    {
        uint32_t v = FPSCR_TEST;
        __asm volatile("vmsr fpscr, %0" : : "r"(v));
        CHECK_EQ(17, fp_get_fpscr(), FPSCR_TEST, "FPSCR reads back");
    }

    fp_case(20, true, false);    /* 20..33 lazy, SP 8-aligned */
    fp_case(40, true, true);     /* 40..53 lazy, SP 4 mod 8 */
    fp_case(60, false, false);   /* 60..73 eager */
    fp_case(80, false, true);    /* 80..93 eager, SP 4 mod 8 */
    FPCCR = FPCCR_ASPEN | FPCCR_LSPEN;

    /* no FP context: FPCA cleared -> basic frame */
    set_control(get_control() & ~CONTROL_FPCA);
    CHECK_EQ(100, get_control() & CONTROL_FPCA, 0, "CONTROL.FPCA can be cleared");
    uint32_t n = s.count;
    __asm volatile("svc #1" ::: "memory");
    CHECK_EQ(101, s.count, n + 1, "SVC taken");
    CHECK_EQ(102, s.exc_return, EXC_RETURN_THREAD_MSP, "EXC_RETURN without FP context = 0xFFFFFFF9");
    CHECK_EQ(103, s.fpccr_in & FPCCR_LSPACT, 0, "no lazy state without FP context");

    /* ASPEN = 0: FP instructions do not set FPCA */
    FPCCR = 0;
    dsb_isb();
    fp_nocp();
    CHECK_EQ(104, get_control() & CONTROL_FPCA, 0, "ASPEN = 0: FPCA stays 0");
    n = s.count;
    __asm volatile("svc #2" ::: "memory");
    CHECK_EQ(105, s.count, n + 1, "SVC taken (ASPEN = 0)");
    CHECK_EQ(106, s.exc_return, EXC_RETURN_THREAD_MSP, "ASPEN = 0: basic frame");
    FPCCR = FPCCR_ASPEN | FPCCR_LSPEN;

    fw_pass();
}
