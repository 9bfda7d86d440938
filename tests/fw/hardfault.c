/*
 * hardfault: synchronous faults, fault status registers and escalation to HardFault.
 * Every fault is provoked at a known instruction (asm labels); the handler checks/records the
 * status, moves the stacked PC past the faulting instruction and returns.
 *  - load from FW_BAD_ADDR (32- and 16-bit LDR) with BusFault disabled: HardFault,
 *    HFSR.FORCED, CFSR.PRECISERR|BFARVALID, BFAR = address, stacked PC = the load;
 *    with SHCSR.BUSFAULTENA: BusFault (IPSR 5), HFSR stays 0
 *  - UDF (16-bit and 32-bit): UsageFault UNDEFINSTR when enabled, HardFault FORCED otherwise
 *  - SDIV by zero: result 0 without CCR.DIV_0_TRP, UsageFault DIVBYZERO with it
 *  - unaligned LDR: works without CCR.UNALIGN_TRP, UsageFault UNALIGNED with it; unaligned LDM
 *    always faults
 *  - BLX to an address with bit 0 clear: UsageFault INVSTATE, stacked PC = target, stacked
 *    xPSR.T = 0
 *  - execute from 0xE0100000 (XN in the default map): MemManage IACCVIOL (MMARVALID 0) when
 *    enabled, HardFault FORCED otherwise; execute from FW_BAD_ADDR: BusFault IBUSERR
 *  - bad EXC_RETURN (0xFFFFFFF3) from the SVC handler: UsageFault INVPC on the existing frame
 *    (HardFault FORCED if UsageFault is disabled); the handler returns with 0xFFFFFFF9 and the
 *    thread resumes after the SVC
 *  - priority escalation: a BusFault raised in an SVC handler whose priority is higher than or
 *    equal to BusFault's becomes a HardFault (FORCED, EXC_RETURN 0xFFFFFFF1); with a lower SVC
 *    priority the BusFault nests
 *  - CFSR and HFSR are write-1-to-clear
 *
 * Exit codes: see the CHECK lines (first argument); 1 = unexpected exception.
 */
#include "fwtest.h"

FWEMU_GAPS(72, 74, 76, 81, 82, 84, 86, 88, 90, 92, 164, 174);
FW_TEST_NAME("hardfault");

/* ---- fault sites ------------------------------------------------------------------------- */
uint32_t do_load32(uint32_t addr);
uint32_t do_load16(uint32_t addr);
void do_udf16(void);
void do_udf32(void);
int32_t do_sdiv(int32_t a, int32_t b);
uint32_t do_ldm(uint32_t addr);
void do_invstate(void);
void do_call(uint32_t addr);
extern const char load32_insn[], load32_after[], load16_insn[], load16_after[], udf16_insn[],
    udf16_after[], udf32_insn[], udf32_after[], sdiv_insn[], sdiv_after[], ldm_insn[], ldm_after[],
    invstate_target[], svc_site[];

__asm(
    ".text\n.thumb\n.syntax unified\n"
    ".global do_load32\n.type do_load32, %function\n.thumb_func\n"
    "do_load32:\n"
    ".global load32_insn\nload32_insn: ldr.w r0, [r0]\n"
    ".global load32_after\nload32_after: bx lr\n"

    ".global do_load16\n.type do_load16, %function\n.thumb_func\n"
    "do_load16:\n"
    ".global load16_insn\nload16_insn: ldr r0, [r0]\n"
    ".global load16_after\nload16_after: bx lr\n"

    ".global do_udf16\n.type do_udf16, %function\n.thumb_func\n"
    "do_udf16:\n"
    ".global udf16_insn\nudf16_insn: udf #0x12\n"
    ".global udf16_after\nudf16_after: bx lr\n"

    ".global do_udf32\n.type do_udf32, %function\n.thumb_func\n"
    "do_udf32:\n"
    ".global udf32_insn\nudf32_insn: udf.w #0x1234\n"
    ".global udf32_after\nudf32_after: bx lr\n"

    ".global do_sdiv\n.type do_sdiv, %function\n.thumb_func\n"
    "do_sdiv:\n"
    ".global sdiv_insn\nsdiv_insn: sdiv r0, r0, r1\n"
    ".global sdiv_after\nsdiv_after: bx lr\n"

    ".global do_ldm\n.type do_ldm, %function\n.thumb_func\n"
    "do_ldm:\n"
    "push {r4, r5}\n"
    ".global ldm_insn\nldm_insn: ldm.w r0, {r4, r5}\n"
    ".global ldm_after\nldm_after: pop {r4, r5}\n"
    "bx lr\n"

    /* BLX to an even address: EPSR.T = 0, the next instruction faults (INVSTATE) */
    ".global do_invstate\n.type do_invstate, %function\n.thumb_func\n"
    "do_invstate:\n"
    "push {r4, lr}\n"
    "movw r0, #:lower16:invstate_target\n"
    "movt r0, #:upper16:invstate_target\n"
    "bic r0, r0, #1\n"
    "blx r0\n"
    "pop {r4, pc}\n"
    /* 4-byte aligned: QEMU reports UNALIGNED instead of INVSTATE for a 2 mod 4 target */
    ".balign 4\n"
    ".global invstate_target\ninvstate_target: nop\n"
    "bx lr\n"

    /* call an arbitrary address (instruction fetch faults) */
    ".global do_call\n.type do_call, %function\n.thumb_func\n"
    "do_call:\n"
    "push {r4, lr}\n"
    "orr r0, r0, #1\n"
    "blx r0\n"
    "pop {r4, pc}\n"
    ".global do_svc\n.type do_svc, %function\n.thumb_func\n"
    "do_svc:\n"
    ".global svc_site\nsvc_site: svc #0\n"
    "bx lr\n");
void do_svc(void);

/* ---- fault handler --------------------------------------------------------------------- */
static volatile struct {
    uint32_t count, ipsr, cfsr, hfsr, bfar, shcsr, exc_return, pc, xpsr, lr, frame;
    uint32_t cfsr_after_clear, hfsr_after_clear;
} f;
static volatile uint32_t resume_pc;      /* 0 = no fault expected */
static volatile uint32_t fault_set_t;    /* set stacked xPSR.T before returning */
static volatile uint32_t fault_ret;      /* EXC_RETURN to return with (0 = the one we got) */

uint32_t fault_c(uint32_t *frame, uint32_t exc_return)
{
    f.count++;
    f.ipsr = get_ipsr();
    f.cfsr = CFSR;
    f.hfsr = HFSR;
    f.bfar = BFAR;
    f.shcsr = SHCSR;
    f.exc_return = exc_return;
    f.frame = (uint32_t)frame;
    f.lr = frame[5];
    f.pc = frame[6];
    f.xpsr = frame[7];
    if (!resume_pc) {
        fw_puts("unexpected fault, stacked PC=");
        fw_put_hex(frame[6]);
        fw_puts(" CFSR=");
        fw_put_hex(f.cfsr);
        fw_puts(" HFSR=");
        fw_put_hex(f.hfsr);
        fw_puts("\n");
        fw_fail(1, "unexpected fault (IPSR)", f.ipsr, 0);
    }
    frame[6] = resume_pc == 0xFFFFFFFFu ? (frame[5] & ~1u) : resume_pc;
    if (fault_set_t)
        frame[7] |= 1u << 24;
    resume_pc = 0;
    fault_set_t = 0;
    CFSR = f.cfsr;
    HFSR = f.hfsr;
    f.cfsr_after_clear = CFSR;
    f.hfsr_after_clear = HFSR;
    uint32_t r = fault_ret ? fault_ret : exc_return;
    fault_ret = 0;
    return r;
}
FW_FRAME_HANDLER(HardFault_Handler, fault_c)
FW_FRAME_HANDLER(MemManage_Handler, fault_c)
FW_FRAME_HANDLER(BusFault_Handler, fault_c)
FW_FRAME_HANDLER(UsageFault_Handler, fault_c)

/* SVC: action chosen by svc_mode. Returns the EXC_RETURN to use. */
static volatile enum { SVC_NONE, SVC_BAD_RETURN, SVC_BAD_LOAD } svc_mode;
static volatile uint32_t svc_count, svc_load_result;
uint32_t svc_c(uint32_t *frame, uint32_t exc_return)
{
    (void)frame;
    svc_count++;
    if (svc_mode == SVC_BAD_RETURN)
        return 0xFFFFFFF3u;   /* reserved EXC_RETURN: INVPC */
    if (svc_mode == SVC_BAD_LOAD) {
        resume_pc = (uint32_t)load32_after;
        svc_load_result = do_load32(FW_BAD_ADDR);
    }
    return exc_return;
}
FW_FRAME_HANDLER(SVC_Handler, svc_c)

#define A(sym) ((uint32_t)(sym) & ~1u)

static void clear_faults(void)
{
    CFSR = 0xFFFFFFFFu;
    HFSR = 0xFFFFFFFFu;
    dsb_isb();
}

/* Common checks after one expected fault; codes base..base+5. */
static void check_fault(uint32_t base, uint32_t n_before, uint32_t ipsr, uint32_t cfsr, bool forced,
                        uint32_t pc, const char *what)
{
    fw_puts(what);
    fw_puts("\n");
    CHECK_EQ(base + 0, f.count, n_before + 1, "fault handler ran once");
    CHECK_EQ(base + 1, f.ipsr, ipsr, "fault handler IPSR (3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault)");
    CHECK_EQ(base + 2, f.cfsr, cfsr, "CFSR");
    CHECK_EQ(base + 3, f.hfsr, forced ? HFSR_FORCED : 0, "HFSR (FORCED when escalated)");
    CHECK_EQ(base + 4, f.pc, pc, "stacked PC = faulting instruction");
    CHECK(base + 5, f.cfsr_after_clear == 0 && f.hfsr_after_clear == 0 &&
          (SHCSR & SHCSR_ACT_MASK) == 0, "CFSR/HFSR write-1-to-clear, nothing active after return");
}

int main(void)
{
    uint32_t n;

    /* ---- data BusFault ----------------------------------------------------------------- */
    CHECK_EQ(2, SHCSR, 0, "SHCSR: fault handlers disabled at reset");
    n = f.count;
    resume_pc = A(load32_after);
    do_load32(FW_BAD_ADDR);
    check_fault(10, n, EXC_HARDFAULT, CFSR_PRECISERR | CFSR_BFARVALID, true, A(load32_insn),
                "bad 32-bit load, BusFault disabled -> HardFault");
    CHECK_EQ(16, f.bfar, FW_BAD_ADDR, "BFAR = faulting address");
    CHECK_EQ(17, f.exc_return, EXC_RETURN_THREAD_MSP, "fault EXC_RETURN from thread");
    CHECK_EQ(18, f.shcsr & SHCSR_ACT_MASK, 0, "HardFault has no SHCSR active bit");

    n = f.count;
    resume_pc = A(load16_after);
    do_load16(FW_BAD_ADDR + 8);
    check_fault(20, n, EXC_HARDFAULT, CFSR_PRECISERR | CFSR_BFARVALID, true, A(load16_insn),
                "bad 16-bit load, BusFault disabled -> HardFault");
    CHECK_EQ(26, f.bfar, FW_BAD_ADDR + 8, "BFAR = faulting address (16-bit load)");

    SHCSR = SHCSR_BUSFAULTENA;
    dsb_isb();
    CHECK_EQ(29, SHCSR, SHCSR_BUSFAULTENA, "SHCSR.BUSFAULTENA reads back");
    n = f.count;
    resume_pc = A(load32_after);
    do_load32(FW_BAD_ADDR + 4);
    check_fault(30, n, EXC_BUSFAULT, CFSR_PRECISERR | CFSR_BFARVALID, false, A(load32_insn),
                "bad load, BusFault enabled -> BusFault");
    CHECK_EQ(36, f.bfar, FW_BAD_ADDR + 4, "BFAR in BusFault");
    CHECK_EQ(37, f.shcsr & SHCSR_ACT_MASK, SHCSR_BUSFAULTACT, "SHCSR.BUSFAULTACT in BusFault");
    CHECK_EQ(38, f.exc_return, EXC_RETURN_THREAD_MSP, "BusFault EXC_RETURN");

    /* instruction fetch from a bad address -> IBUSERR */
    n = f.count;
    resume_pc = 0xFFFFFFFFu;   /* return to the stacked LR */
    do_call(FW_BAD_ADDR);
    check_fault(40, n, EXC_BUSFAULT, CFSR_IBUSERR, false, FW_BAD_ADDR,
                "execute from a bad address -> BusFault IBUSERR");
    SHCSR = 0;

    /* ---- UsageFault -------------------------------------------------------------------- */
    n = f.count;
    resume_pc = A(udf16_after);
    do_udf16();
    check_fault(50, n, EXC_HARDFAULT, CFSR_UNDEFINSTR, true, A(udf16_insn),
                "UDF, UsageFault disabled -> HardFault");
    SHCSR = SHCSR_USGFAULTENA;
    dsb_isb();
    n = f.count;
    resume_pc = A(udf16_after);
    do_udf16();
    check_fault(56, n, EXC_USAGEFAULT, CFSR_UNDEFINSTR, false, A(udf16_insn),
                "UDF, UsageFault enabled -> UsageFault");
    CHECK_EQ(62, f.shcsr & SHCSR_ACT_MASK, SHCSR_USGFAULTACT, "SHCSR.USGFAULTACT in UsageFault");
    n = f.count;
    resume_pc = A(udf32_after);
    do_udf32();
    check_fault(63, n, EXC_USAGEFAULT, CFSR_UNDEFINSTR, false, A(udf32_insn), "UDF.W -> UsageFault");

    /* divide by zero */
    CHECK_EQ(70, do_sdiv(7, 0), 0, "SDIV by zero without DIV_0_TRP gives 0");
    CHECK_EQ(71, f.count, n + 1, "no fault without DIV_0_TRP");
    CCR |= CCR_DIV_0_TRP;
    dsb_isb();
    n = f.count;
    resume_pc = A(sdiv_after);
    do_sdiv(7, 0);
    check_fault(72, n, EXC_USAGEFAULT, CFSR_DIVBYZERO, false, A(sdiv_insn), "SDIV by zero, DIV_0_TRP");
    CCR &= ~CCR_DIV_0_TRP;

    /* unaligned */
    static volatile uint32_t words[4] = {0x33221100u, 0x77665544u, 0xBBAA9988u, 0xFFEEDDCCu};
    CHECK_EQ(80, do_load32((uint32_t)words + 1), 0x44332211u, "unaligned LDR works without UNALIGN_TRP");
    CHECK_EQ(81, f.count, n + 1, "no fault for unaligned LDR without UNALIGN_TRP");
    n = f.count;
    resume_pc = A(ldm_after);
    do_ldm((uint32_t)words + 2);
    check_fault(82, n, EXC_USAGEFAULT, CFSR_UNALIGNED, false, A(ldm_insn), "unaligned LDM always faults");
    CCR |= CCR_UNALIGN_TRP;
    dsb_isb();
    n = f.count;
    resume_pc = A(load32_after);
    do_load32((uint32_t)words + 1);
    check_fault(88, n, EXC_USAGEFAULT, CFSR_UNALIGNED, false, A(load32_insn), "unaligned LDR with UNALIGN_TRP");
    CCR &= ~CCR_UNALIGN_TRP;
    dsb_isb();

    /* invalid state (Thumb bit clear) */
    n = f.count;
    resume_pc = A(invstate_target);
    fault_set_t = 1;
    do_invstate();
    check_fault(100, n, EXC_USAGEFAULT, CFSR_INVSTATE, false, A(invstate_target),
                "BLX to an even address -> INVSTATE");
    CHECK_EQ(106, f.xpsr & (1u << 24), 0, "stacked xPSR.T = 0 for INVSTATE");

    /* ---- MemManage: execute never region ---------------------------------------------- */
    SHCSR = 0;
    dsb_isb();
    n = f.count;
    resume_pc = 0xFFFFFFFFu;
    do_call(0xE0100000u);
    check_fault(110, n, EXC_HARDFAULT, CFSR_IACCVIOL, true, 0xE0100000u,
                "execute from XN system space, MemManage disabled -> HardFault");
    SHCSR = SHCSR_MEMFAULTENA;
    dsb_isb();
    n = f.count;
    resume_pc = 0xFFFFFFFFu;
    do_call(0xE0100000u);
    check_fault(116, n, EXC_MEMMANAGE, CFSR_IACCVIOL, false, 0xE0100000u,
                "execute from XN system space -> MemManage IACCVIOL");
    CHECK_EQ(122, f.shcsr & SHCSR_ACT_MASK, SHCSR_MEMFAULTACT, "SHCSR.MEMFAULTACT in MemManage");
    SHCSR = 0;
    dsb_isb();

    /* ---- bad EXC_RETURN -> INVPC -------------------------------------------------------- */
    uint32_t s = svc_count;
    n = f.count;
    svc_mode = SVC_BAD_RETURN;
    resume_pc = A(svc_site) + 2;
    fault_ret = EXC_RETURN_THREAD_MSP;
    do_svc();
    svc_mode = SVC_NONE;
    check_fault(130, n, EXC_HARDFAULT, CFSR_INVPC, true, A(svc_site) + 2,
                "bad EXC_RETURN, UsageFault disabled -> HardFault INVPC");
    CHECK_EQ(136, svc_count, s + 1, "SVC ran once");
    CHECK_EQ(137, f.exc_return, 0xFFFFFFF3u, "LR in the fault handler = the bad EXC_RETURN");
    CHECK_EQ(138, f.shcsr & SHCSR_ACT_MASK, 0, "SVC no longer active in the INVPC fault");
    SHCSR = SHCSR_USGFAULTENA;
    dsb_isb();
    n = f.count;
    svc_mode = SVC_BAD_RETURN;
    resume_pc = A(svc_site) + 2;
    fault_ret = EXC_RETURN_THREAD_MSP;
    do_svc();
    svc_mode = SVC_NONE;
    check_fault(140, n, EXC_USAGEFAULT, CFSR_INVPC, false, A(svc_site) + 2,
                "bad EXC_RETURN -> UsageFault INVPC");
    CHECK_EQ(146, f.shcsr & SHCSR_ACT_MASK, SHCSR_USGFAULTACT, "only UsageFault active in the INVPC fault");
    SHCSR = 0;
    dsb_isb();

    /* ---- escalation by priority ----------------------------------------------------------- */
    SHCSR = SHCSR_BUSFAULTENA;
    SHPR1 = 0x80u << 8;             /* BusFault priority 0x80 */
    SHPR2 = 0x40u << 24;            /* SVCall priority 0x40 (higher) */
    dsb_isb();
    n = f.count;
    svc_mode = SVC_BAD_LOAD;
    do_svc();
    svc_mode = SVC_NONE;
    check_fault(150, n, EXC_HARDFAULT, CFSR_PRECISERR | CFSR_BFARVALID, true, A(load32_insn),
                "BusFault in a higher priority SVC handler -> HardFault");
    CHECK_EQ(156, f.exc_return, EXC_RETURN_HANDLER, "escalated fault EXC_RETURN 0xFFFFFFF1");
    CHECK_EQ(157, f.shcsr & SHCSR_ACT_MASK, SHCSR_SVCALLACT, "SVC active in the escalated HardFault");
    SHPR2 = 0x80u << 24;            /* equal priority: still escalates */
    dsb_isb();
    n = f.count;
    svc_mode = SVC_BAD_LOAD;
    do_svc();
    svc_mode = SVC_NONE;
    check_fault(160, n, EXC_HARDFAULT, CFSR_PRECISERR | CFSR_BFARVALID, true, A(load32_insn),
                "BusFault in an equal priority SVC handler -> HardFault");
    SHPR2 = 0xC0u << 24;            /* lower priority: BusFault nests */
    dsb_isb();
    n = f.count;
    svc_mode = SVC_BAD_LOAD;
    do_svc();
    svc_mode = SVC_NONE;
    check_fault(170, n, EXC_BUSFAULT, CFSR_PRECISERR | CFSR_BFARVALID, false, A(load32_insn),
                "BusFault in a lower priority SVC handler -> nested BusFault");
    CHECK_EQ(176, f.exc_return, EXC_RETURN_HANDLER, "nested BusFault EXC_RETURN 0xFFFFFFF1");
    CHECK_EQ(177, f.shcsr & SHCSR_ACT_MASK, SHCSR_SVCALLACT | SHCSR_BUSFAULTACT, "SVC and BusFault active");
    SHCSR = 0;
    SHPR1 = 0;
    SHPR2 = 0;

    clear_faults();
    CHECK_EQ(190, CFSR | HFSR, 0, "fault status clear at the end");
    fw_pass();
}
