/* fwemu Cortex-M core glue. Contract in cortexm.h; section numbers: ARMv7-M ARM (DDI 0403E). */
#include "cortexm.h"

#include <string.h>

#define EXC_RETURN_MASK 0xFFFFFFE0u

static uint32_t rd(cortexm_t *cm, int reg)
{
    uint32_t v = 0;
    uc_reg_read(cm->h.uc, reg, &v);
    return v;
}

static void wr(cortexm_t *cm, int reg, uint32_t v)
{
    uc_reg_write(cm->h.uc, reg, &v);
}

/* Host-side reads of guest memory (vectors, exception frames): reported to the host first. */
static bool mem_read(cortexm_t *cm, uint32_t addr, void *v, uint32_t len)
{
    if (cm->h.mem_used)
        cm->h.mem_used(cm->h.m, addr, len);
    return uc_mem_read(cm->h.uc, addr, v, len) == UC_ERR_OK;
}

static bool mem_read32(cortexm_t *cm, uint32_t addr, uint32_t *v) { return mem_read(cm, addr, v, 4); }

static bool mem_write32(cortexm_t *cm, uint32_t addr, uint32_t v)
{
    return uc_mem_write(cm->h.uc, addr, &v, 4) == UC_ERR_OK;
}

/* Unicorn trap: after an IPSR/XPSR write the cached handler-mode flag is stale until CPSR is
 * written again (unicorn-2.0.1.md "Traps"). */
static void refresh_mode(cortexm_t *cm)
{
    wr(cm, UC_ARM_REG_APSR_NZCV, rd(cm, UC_ARM_REG_APSR_NZCV));
}

void cm_init(cortexm_t *cm, const cm_host_t *host)
{
    memset(cm, 0, sizeof *cm);
    cm->h = *host;
}

uint32_t cm_current_exception(cortexm_t *cm)
{
    return rd(cm, UC_ARM_REG_IPSR) & 0x1FF;
}

/* ---- priorities (B1.5.4) ---------------------------------------------------------------- */

static int exc_priority(cortexm_t *cm, int exc)
{
    if (exc == CM_EXC_RESET) return -3;
    if (exc == CM_EXC_NMI) return -2;
    if (exc == CM_EXC_HARDFAULT) return -1;
    return cm->s.prio[exc];
}

/* Group priority: the bits above PRIGROUP's split (B1.5.4 "Priority grouping"). */
static int group_priority(cortexm_t *cm, int prio)
{
    if (prio < 0)
        return prio;
    uint32_t subbits = cm->s.aircr_prigroup + 1;     /* PRIGROUP n: bits [n:0] are subpriority */
    return (int)((unsigned)prio & ~((1u << subbits) - 1u) & 0xFF);
}

/* Execution priority (B1.5.4 "Execution priority and priority boosting"). */
static int execution_priority(cortexm_t *cm)
{
    int highest = 256;
    for (int e = 1; e < CM_NUM_EXC; e++) {
        if (cm->s.active[e]) {
            int p = group_priority(cm, exc_priority(cm, e));
            if (p < highest)
                highest = p;
        }
    }
    int boost = 256;
    if (rd(cm, UC_ARM_REG_PRIMASK) & 1)
        boost = 0;
    if (rd(cm, UC_ARM_REG_FAULTMASK) & 1)
        boost = -1;
    uint32_t basepri = rd(cm, UC_ARM_REG_BASEPRI) & 0xFF;
    if (basepri && group_priority(cm, (int)basepri) < boost)
        boost = group_priority(cm, (int)basepri);
    return highest < boost ? highest : boost;
}

/* Highest-priority pending enabled exception, or 0. Ties: lowest number (B1.5.4). */
static int pending_best(cortexm_t *cm, int *prio_out)
{
    int best = 0, bestp = 1 << 10;
    for (int e = 2; e < 16; e++) {
        if (cm->s.pend_exc[e]) {
            int p = exc_priority(cm, e);
            if (p < bestp) { best = e; bestp = p; }
        }
    }
    for (int w = 0; w < 3; w++) {
        uint32_t bits = cm->s.nvic_pending[w] & cm->s.nvic_enabled[w];
        while (bits) {
            int b = __builtin_ctz(bits);
            bits &= bits - 1;
            int e = CM_EXC_IRQ0 + w * 32 + b;
            if (e >= CM_NUM_EXC)
                break;
            int p = exc_priority(cm, e);
            if (p < bestp) { best = e; bestp = p; }
        }
    }
    if (prio_out)
        *prio_out = bestp;
    return best;
}

bool cm_can_preempt(cortexm_t *cm)
{
    int p;
    int e = pending_best(cm, &p);
    return e && group_priority(cm, p) < execution_priority(cm);
}

bool cm_wfi_wakeup(cortexm_t *cm)
{
    /* B1.5.19: WFI wakes for a pending exception that would preempt if PRIMASK were clear. */
    int p;
    int e = pending_best(cm, &p);
    if (!e)
        return false;
    int highest = 256;
    for (int x = 1; x < CM_NUM_EXC; x++)
        if (cm->s.active[x]) {
            int gp = group_priority(cm, exc_priority(cm, x));
            if (gp < highest) highest = gp;
        }
    uint32_t basepri = rd(cm, UC_ARM_REG_BASEPRI) & 0xFF;
    if (basepri && group_priority(cm, (int)basepri) < highest)
        highest = group_priority(cm, (int)basepri);
    return group_priority(cm, p) < highest;
}

void cm_set_pending(cortexm_t *cm, int exc)
{
    if (exc <= 0 || exc >= CM_NUM_EXC)
        return;
    if (exc >= CM_EXC_IRQ0) {
        int n = exc - CM_EXC_IRQ0;
        cm->s.nvic_pending[n >> 5] |= 1u << (n & 31);
    } else {
        cm->s.pend_exc[exc] = 1;
    }
    cm->h.attention(cm->h.m);
}

static void clear_pending(cortexm_t *cm, int exc)
{
    if (exc >= CM_EXC_IRQ0) {
        int n = exc - CM_EXC_IRQ0;
        cm->s.nvic_pending[n >> 5] &= ~(1u << (n & 31));
    } else if (exc > 0) {
        cm->s.pend_exc[exc] = 0;
    }
}

void cm_irq(cortexm_t *cm, int irq, bool level)
{
    if (irq < 0 || irq >= CM_NUM_IRQ)
        return;
    /* Level-sensitive lines: a high level (re)pends the interrupt; clearing the source does not
     * clear a pending state that was already latched (B3.4.1). */
    if (level)
        cm_set_pending(cm, CM_EXC_IRQ0 + irq);
}

/* ---- exception entry (B1.5.6) ------------------------------------------------------------ */

static const int fp_regs_d[8] = { UC_ARM_REG_D0, UC_ARM_REG_D1, UC_ARM_REG_D2, UC_ARM_REG_D3,
                                  UC_ARM_REG_D4, UC_ARM_REG_D5, UC_ARM_REG_D6, UC_ARM_REG_D7 };

static uint32_t vector_of(cortexm_t *cm, int exc, bool *ok)
{
    uint32_t v = 0;
    *ok = mem_read32(cm, cm->s.vtor + 4u * (uint32_t)exc, &v);
    return v;
}

/* Read the architectural MSP and PSP whatever mode the core is in. Unprivileged thread code
 * reads MSP/PSP as 0 through QEMU's MRS helper, so look from handler mode: an IPSR write goes
 * through QEMU's write_v7m_exception, which swaps the banked SPs as the mode changes, so R13 and
 * the MSP/PSP accessors stay consistent. The caller must then set the mode with set_mode(). */
static void read_sps(cortexm_t *cm, uint32_t *msp, uint32_t *psp)
{
    if ((rd(cm, UC_ARM_REG_IPSR) & 0x1FF) == 0)
        wr(cm, UC_ARM_REG_IPSR, 3);
    *msp = rd(cm, UC_ARM_REG_MSP);
    *psp = rd(cm, UC_ARM_REG_PSP);
}

/* Put QEMU in the architectural state (IPSR, CONTROL, MSP, PSP), in an order that works around
 * QEMU's rules: v7-M ignores CONTROL.SPSEL writes in handler mode and unprivileged CONTROL/MSP/
 * PSP writes. So: become handler (privileged), clear
 * nPRIV, drop to privileged thread mode, set SPSEL there (QEMU swaps the SPs itself), write both
 * SPs through the banked accessors, set nPRIV, then write xPSR (which may re-enter handler mode:
 * SPSEL is 0 then, as B1.5.6 requires, so R13 is the MSP). Must end with refresh_mode(). */
static void set_mode(cortexm_t *cm, uint32_t xpsr, uint32_t control, uint32_t msp, uint32_t psp)
{
    uint32_t ipsr = xpsr & 0x1FF;
    bool spsel = ipsr == 0 && (control & 2);
    if ((rd(cm, UC_ARM_REG_IPSR) & 0x1FF) == 0)
        wr(cm, UC_ARM_REG_IPSR, 3);
    wr(cm, UC_ARM_REG_CONTROL, control & ~1u);          /* privileged (nPRIV = 0) */
    wr(cm, UC_ARM_REG_IPSR, 0);
    refresh_mode(cm);
    wr(cm, UC_ARM_REG_CONTROL, (control & ~3u) | (spsel ? 2u : 0u));
    wr(cm, UC_ARM_REG_MSP, msp);
    wr(cm, UC_ARM_REG_PSP, psp);
    wr(cm, UC_ARM_REG_CONTROL, (control & ~2u) | (spsel ? 2u : 0u));
    wr(cm, UC_ARM_REG_XPSR_NZCVQG, xpsr);
    refresh_mode(cm);
}

/* Push the exception frame and branch to the handler of `exc`. return_pc: the instruction to
 * resume at. Returns false on a stacking or vector fetch error (the caller escalates). */
static bool exception_entry(cortexm_t *cm, int exc, uint32_t return_pc, bool tail_chain,
                            uint32_t tail_exc_return)
{
    uint32_t vec;
    bool ok;
    uint32_t exc_return;
    if (tail_chain) {
        /* B1.5.12 tail-chaining: the frame of the exception we return from stays on the stack. */
        wr(cm, UC_ARM_REG_IPSR, (uint32_t)exc);
        exc_return = tail_exc_return;
    } else {
        uint32_t ipsr = rd(cm, UC_ARM_REG_IPSR) & 0x1FF;
        uint32_t control = rd(cm, UC_ARM_REG_CONTROL);
        bool was_psp = ipsr == 0 && (control & 2);
        bool fp = (control & 4) != 0;                    /* CONTROL.FPCA: extended frame */
        uint32_t regs_id[8] = { UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                                UC_ARM_REG_R12, UC_ARM_REG_LR, UC_ARM_REG_PC, UC_ARM_REG_XPSR };
        uint32_t frame[8];
        for (int i = 0; i < 8; i++)
            frame[i] = rd(cm, (int)regs_id[i]);
        frame[6] = return_pc & ~1u;
        uint32_t xpsr = frame[7] & ~(1u << 9);
        uint32_t msp, psp;
        read_sps(cm, &msp, &psp);
        uint32_t sp = was_psp ? psp : msp;
        uint32_t framesize = fp ? 0x68u : 0x20u;
        bool realign = (cm->s.ccr & (1u << 9)) && (sp & 4);   /* CCR.STKALIGN */
        sp = (sp - framesize) & ~(realign ? 7u : 3u);
        if (realign)
            xpsr |= 1u << 9;
        frame[7] = xpsr;
        bool stk_ok = true;
        for (int i = 0; i < 8 && stk_ok; i++)
            stk_ok = mem_write32(cm, sp + 4u * (uint32_t)i, frame[i]);
        if (fp && stk_ok) {
            for (int i = 0; i < 8 && stk_ok; i++) {
                uint64_t d = 0;
                uc_reg_read(cm->h.uc, fp_regs_d[i], &d);
                stk_ok = mem_write32(cm, sp + 0x20u + 8u * (uint32_t)i, (uint32_t)d) &&
                         mem_write32(cm, sp + 0x24u + 8u * (uint32_t)i, (uint32_t)(d >> 32));
            }
            if (stk_ok)
                stk_ok = mem_write32(cm, sp + 0x60u, rd(cm, UC_ARM_REG_FPSCR));
        }
        if (was_psp) psp = sp; else msp = sp;
        /* B1.5.6 ExceptionTaken: handler mode, IPSR = exc, T = 1, IT = 0, SPSEL = 0, FPCA = 0 */
        set_mode(cm, (frame[7] & 0xF80F0000u) | (1u << 24) | (uint32_t)exc, control & ~6u, msp, psp);
        exc_return = 0xFFFFFFE1u | (fp ? 0 : 0x10u) | (ipsr == 0 ? 8u : 0u) | (was_psp ? 4u : 0u);
        if (!stk_ok) {
            cm->s.cfsr |= CFSR_STKERR;
            return false;
        }
    }
    vec = vector_of(cm, exc, &ok);
    if (!ok) {
        cm->s.hfsr |= HFSR_VECTTBL;
        return false;
    }
    cm->s.active[exc] = 1;
    clear_pending(cm, exc);
    wr(cm, UC_ARM_REG_EPSR, 1u << 24);                    /* T = 1, IT/ICI cleared */
    wr(cm, UC_ARM_REG_LR, exc_return);
    refresh_mode(cm);
    if (!(vec & 1u)) {
        cm->s.cfsr |= CFSR_INVSTATE;                      /* B1.5.6: EPSR.T from the vector */
        return false;
    }
    wr(cm, UC_ARM_REG_PC, vec | 1u);
    return true;
}

static void log_fault(cortexm_t *cm, emu_event_kind_t kind, int exc, uint32_t addr, uint32_t pc,
                      const char *detail)
{
    emu_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.pc = pc;
    ev.a.fault.exc = (uint32_t)exc;
    ev.a.fault.cfsr = cm->s.cfsr;
    ev.a.fault.hfsr = cm->s.hfsr;
    ev.a.fault.addr = addr;
    strncpy(ev.detail, detail, sizeof ev.detail - 1);
    cm->last_fault = ev;
    cm->h.event(cm->h.m, &ev);
}

static void lockup(cortexm_t *cm, uint32_t pc, const char *why)
{
    cm->s.locked_up = true;
    log_fault(cm, EMU_EV_LOCKUP, CM_EXC_HARDFAULT, 0, pc, why);
    /* K64F: the core's LOCKUP output resets the chip (RCM SRS1.LOCKUP). */
    cm->h.reset_request(cm->h.m, EMU_RESET_LOCKUP, why);
}

/* Take HardFault for an escalated or direct fault; lockup if that is impossible (B1.5.15). */
static bool take_hardfault(cortexm_t *cm, uint32_t return_pc, const char *why)
{
    if (execution_priority(cm) <= -1) {
        lockup(cm, return_pc, why);
        return false;
    }
    if (cm->fault_stops) {
        cm->stop_requested = true;
        return true;
    }
    if (!exception_entry(cm, CM_EXC_HARDFAULT, return_pc, false, 0)) {
        lockup(cm, return_pc, "fault during HardFault entry");
        return false;
    }
    return true;
}

static const char *fault_name(int exc, uint32_t cfsr_bits)
{
    if (cfsr_bits & CFSR_UNDEFINSTR) return "UNDEFINSTR";
    if (cfsr_bits & CFSR_INVSTATE) return "INVSTATE";
    if (cfsr_bits & CFSR_INVPC) return "INVPC";
    if (cfsr_bits & CFSR_NOCP) return "NOCP";
    if (cfsr_bits & CFSR_UNALIGNED) return "UNALIGNED";
    if (cfsr_bits & CFSR_DIVBYZERO) return "DIVBYZERO";
    if (cfsr_bits & CFSR_PRECISERR) return "PRECISERR";
    if (cfsr_bits & CFSR_IMPRECISERR) return "IMPRECISERR";
    if (cfsr_bits & CFSR_IBUSERR) return "IBUSERR";
    if (cfsr_bits & CFSR_STKERR) return "STKERR";
    if (cfsr_bits & CFSR_UNSTKERR) return "UNSTKERR";
    if (cfsr_bits & CFSR_IACCVIOL) return "IACCVIOL";
    if (cfsr_bits & CFSR_DACCVIOL) return "DACCVIOL";
    if (exc == CM_EXC_HARDFAULT) return "HardFault";
    return "fault";
}

bool cm_fault(cortexm_t *cm, int exc, uint32_t cfsr_bits, uint32_t hfsr_bits, uint32_t addr,
              uint32_t return_pc)
{
    cm->s.cfsr |= cfsr_bits;
    cm->s.hfsr |= hfsr_bits;
    if (cfsr_bits & CFSR_BFARVALID)
        cm->s.bfar = addr;
    if (cfsr_bits & CFSR_MMARVALID)
        cm->s.mmfar = addr;
    uint32_t ena = 0;
    if (exc == CM_EXC_MEMMANAGE) ena = 1u << 16;
    if (exc == CM_EXC_BUSFAULT) ena = 1u << 17;
    if (exc == CM_EXC_USAGEFAULT) ena = 1u << 18;
    int execp = execution_priority(cm);
    bool direct = ena && (cm->s.shcsr & ena) && group_priority(cm, exc_priority(cm, exc)) < execp;
    log_fault(cm, EMU_EV_FAULT, direct ? exc : CM_EXC_HARDFAULT, addr, return_pc,
              fault_name(exc, cfsr_bits));
    if (!direct) {
        /* B1.5.15 priority escalation: a disabled or blocked configurable fault is FORCED. */
        if (exc != CM_EXC_HARDFAULT)
            cm->s.hfsr |= HFSR_FORCED;
        return take_hardfault(cm, return_pc, fault_name(exc, cfsr_bits));
    }
    if (cm->fault_stops) {
        cm->stop_requested = true;
        return true;
    }
    if (!exception_entry(cm, exc, return_pc, false, 0))
        return take_hardfault(cm, return_pc, "fault during fault entry");
    return true;
}

bool cm_svc(cortexm_t *cm, uint32_t return_pc)
{
    /* B1.5.2: SVCall is synchronous; if it cannot preempt it escalates to HardFault. */
    if (group_priority(cm, exc_priority(cm, CM_EXC_SVCALL)) >= execution_priority(cm)) {
        cm->s.hfsr |= HFSR_FORCED;
        log_fault(cm, EMU_EV_FAULT, CM_EXC_HARDFAULT, 0, return_pc, "SVC escalated");
        return take_hardfault(cm, return_pc, "SVC escalated");
    }
    if (!exception_entry(cm, CM_EXC_SVCALL, return_pc, false, 0))
        return take_hardfault(cm, return_pc, "fault during SVC entry");
    return true;
}

bool cm_take_pending(cortexm_t *cm, uint32_t return_pc)
{
    int p;
    int e = pending_best(cm, &p);
    if (!e || group_priority(cm, p) >= execution_priority(cm))
        return false;
    if (!exception_entry(cm, e, return_pc, false, 0)) {
        cm->s.active[e] = 0;
        take_hardfault(cm, return_pc, "fault during exception entry");
    }
    return true;
}

/* ---- exception return (B1.5.8) ----------------------------------------------------------- */

bool cm_exception_return(cortexm_t *cm, uint32_t exc_return)
{
    uint32_t ipsr = rd(cm, UC_ARM_REG_IPSR) & 0x1FF;
    uint32_t low = exc_return & 0xF;
    bool to_thread = (exc_return & 8) != 0, use_psp = (exc_return & 4) != 0;
    bool valid = (exc_return & 0x0FFFFFE0u) == 0x0FFFFFE0u && (low == 1 || low == 9 || low == 0xD) &&
                 ipsr != 0 && ipsr < CM_NUM_EXC && cm->s.active[ipsr];
    if (valid && to_thread && !(cm->s.ccr & 1)) {
        /* Returning to thread mode with other exceptions still active is INVPC unless
         * CCR.NONBASETHRDENA (B1.5.8). */
        for (int e = 1; e < CM_NUM_EXC; e++)
            if (e != (int)ipsr && cm->s.active[e]) { valid = false; break; }
    }
    if (!valid) {
        /* B1.5.8 ExceptionReturn, illegal EXC_RETURN or mismatched return: DeActivate the
         * returning exception, UFSR.INVPC, LR = the bad EXC_RETURN, and ExceptionTaken(UsageFault)
         * with no new stacking (the frame of the interrupted code stays); escalation as usual. */
        if (ipsr && ipsr < CM_NUM_EXC)
            cm->s.active[ipsr] = 0;
        cm->s.cfsr |= CFSR_INVPC;
        int target = CM_EXC_USAGEFAULT;
        if (!(cm->s.shcsr & (1u << 18)) ||
            group_priority(cm, exc_priority(cm, CM_EXC_USAGEFAULT)) >= execution_priority(cm)) {
            target = CM_EXC_HARDFAULT;
            cm->s.hfsr |= HFSR_FORCED;
        }
        log_fault(cm, EMU_EV_FAULT, target, 0, exc_return, "INVPC");
        if (target == CM_EXC_HARDFAULT && execution_priority(cm) <= -1) {
            lockup(cm, exc_return, "INVPC in HardFault");
            return false;
        }
        if (cm->fault_stops) {
            cm->stop_requested = true;
            return true;
        }
        if (!exception_entry(cm, target, 0, true, exc_return)) {
            lockup(cm, exc_return, "fault during INVPC entry");
            return false;
        }
        return true;
    }
    cm->s.active[ipsr] = 0;
    if (cm->s.locked_up)
        cm->s.locked_up = false;

    /* B1.5.12 tail-chaining: a pending exception that would preempt the code we return to is
     * taken now, reusing the frame on the stack. The priority we return to comes from the
     * remaining active exceptions and the masks. */
    int p;
    int e = pending_best(cm, &p);
    if (e && group_priority(cm, p) < execution_priority(cm)) {
        if (exception_entry(cm, e, 0, true, exc_return))
            return true;
        return take_hardfault(cm, 0, "fault during tail-chain");
    }

    uint32_t msp = rd(cm, UC_ARM_REG_MSP);
    uint32_t psp = rd(cm, UC_ARM_REG_PSP);
    uint32_t sp = use_psp ? psp : msp;
    uint32_t frame[8];
    bool ok = true;
    for (int i = 0; i < 8 && ok; i++)
        ok = mem_read(cm, sp + 4u * (uint32_t)i, &frame[i], 4);
    bool fp = !(exc_return & 0x10);
    uint64_t dregs[8] = { 0 };
    uint32_t fpscr = 0;
    if (ok && fp) {
        for (int i = 0; i < 8 && ok; i++)
            ok = mem_read(cm, sp + 0x20u + 8u * (uint32_t)i, &dregs[i], 8);
        if (ok)
            ok = mem_read(cm, sp + 0x60u, &fpscr, 4);
    }
    if (!ok) {
        cm->s.active[ipsr] = 1;
        return cm_fault(cm, CM_EXC_BUSFAULT, CFSR_UNSTKERR, 0, 0, rd(cm, UC_ARM_REG_LR));
    }
    uint32_t xpsr = frame[7];
    sp += (fp ? 0x68u : 0x20u) + ((xpsr & (1u << 9)) ? 4u : 0u);
    if (use_psp) psp = sp; else msp = sp;
    uint32_t control = rd(cm, UC_ARM_REG_CONTROL);
    control = (control & ~6u) | (use_psp ? 2u : 0u) | (fp ? 4u : 0u);
    uint32_t new_ipsr = to_thread ? 0 : (xpsr & 0x1FF);
    if (fp) {
        for (int i = 0; i < 8; i++)
            uc_reg_write(cm->h.uc, fp_regs_d[i], &dregs[i]);
        wr(cm, UC_ARM_REG_FPSCR, fpscr);
    }
    set_mode(cm, (xpsr & ~(0x1FFu | (1u << 9))) | new_ipsr, control, msp, psp);
    static const int ids[6] = { UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                                UC_ARM_REG_R12, UC_ARM_REG_LR };
    for (int i = 0; i < 6; i++)
        wr(cm, ids[i], frame[i]);
    wr(cm, UC_ARM_REG_PC, frame[6] | 1u);
    return true;
}

/* ---- reset (B1.5.5) --------------------------------------------------------------------- */

int cm_reset(cortexm_t *cm)
{
    memset(&cm->s, 0, sizeof cm->s);
    cm->s.ccr = 1u << 9;                  /* STKALIGN = 1 out of reset on Cortex-M4 r0p1 */
    cm->s.fpccr = 0xC0000000u;            /* ASPEN | LSPEN */
    cm->stop_requested = false;
    /* Back to thread mode, privileged, MSP, all masks clear. Order matters for QEMU's banked SP:
     * in handler mode first, so CONTROL and the SPs can be written privileged. */
    uint32_t msp = 0, pc = 0;
    bool ok = mem_read32(cm, 0, &msp) && mem_read32(cm, 4, &pc);
    for (int r = UC_ARM_REG_R0; r <= UC_ARM_REG_R12; r++)
        wr(cm, r, 0);
    wr(cm, UC_ARM_REG_LR, 0xFFFFFFFFu);
    set_mode(cm, 1u << 24, 0, msp & ~3u, 0);            /* thread, privileged, MSP, IPSR = 0 */
    wr(cm, UC_ARM_REG_PRIMASK, 0);
    wr(cm, UC_ARM_REG_FAULTMASK, 0);
    wr(cm, UC_ARM_REG_BASEPRI, 0);
    wr(cm, UC_ARM_REG_PC, pc | 1u);
    return ok ? 0 : -1;
}

/* ---- SysTick (B3.3) -------------------------------------------------------------------- */

static uint64_t ns_to_cycles(cortexm_t *cm, uint64_t ns)
{
    return (uint64_t)(((unsigned __int128)ns * cm->h.core_hz) / 1000000000u);
}

static uint64_t cycles_to_ns(cortexm_t *cm, uint64_t cycles)
{
    return (uint64_t)(((unsigned __int128)cycles * 1000000000u + cm->h.core_hz - 1) / cm->h.core_hz);
}

static bool syst_running(cortexm_t *cm)
{
    return (cm->s.syst_csr & 1) && cm->s.syst_rvr != 0;
}

static uint32_t syst_cvr(cortexm_t *cm, uint64_t now)
{
    if (!syst_running(cm))
        return cm->s.syst_cvr_at_base;
    uint64_t c = ns_to_cycles(cm, now - cm->s.syst_base_ns);
    if (c <= cm->s.syst_cvr_at_base) {
        uint64_t v = cm->s.syst_cvr_at_base - c;
        return (uint32_t)(v > cm->s.syst_rvr ? cm->s.syst_rvr : v);
    }
    uint64_t period = (uint64_t)cm->s.syst_rvr + 1;
    uint64_t after = (c - cm->s.syst_cvr_at_base - 1) % period;
    return (uint32_t)(cm->s.syst_rvr - after);
}

uint64_t cm_deadline(cortexm_t *cm)
{
    if (!syst_running(cm))
        return UINT64_MAX;
    return cm->s.syst_base_ns + cycles_to_ns(cm, cm->s.syst_cvr_at_base);
}

void cm_tick(cortexm_t *cm, uint64_t now)
{
    if (!syst_running(cm))
        return;
    uint64_t zero = cm_deadline(cm);
    if (now < zero)
        return;
    /* One or more wraps happened: COUNTFLAG, pend once (pending is a flag), and rebase at the
     * latest zero with the count "RVR + 1" so the next zero is one period (RVR + 1 cycles) later. */
    cm->s.syst_csr |= 1u << 16;
    if (cm->s.syst_csr & 2)
        cm_set_pending(cm, CM_EXC_SYSTICK);
    uint64_t period = (uint64_t)cm->s.syst_rvr + 1;
    uint64_t k = ns_to_cycles(cm, now - zero) / period;
    cm->s.syst_base_ns = zero + cycles_to_ns(cm, k * period);
    cm->s.syst_cvr_at_base = (uint32_t)period;
    cm->h.deadline_changed(cm->h.m);
}

/* ---- System Control Space registers (B3.2, B3.3, B3.4) ---------------------------------- */

static uint32_t shcsr_read(cortexm_t *cm)
{
    uint32_t v = cm->s.shcsr & (7u << 16);
    if (cm->s.active[CM_EXC_MEMMANAGE]) v |= 1u << 0;
    if (cm->s.active[CM_EXC_BUSFAULT]) v |= 1u << 1;
    if (cm->s.active[CM_EXC_USAGEFAULT]) v |= 1u << 3;
    if (cm->s.active[CM_EXC_SVCALL]) v |= 1u << 7;
    if (cm->s.active[CM_EXC_DEBUGMON]) v |= 1u << 8;
    if (cm->s.active[CM_EXC_PENDSV]) v |= 1u << 10;
    if (cm->s.active[CM_EXC_SYSTICK]) v |= 1u << 11;
    if (cm->s.pend_exc[CM_EXC_USAGEFAULT]) v |= 1u << 12;
    if (cm->s.pend_exc[CM_EXC_MEMMANAGE]) v |= 1u << 13;
    if (cm->s.pend_exc[CM_EXC_BUSFAULT]) v |= 1u << 14;
    if (cm->s.pend_exc[CM_EXC_SVCALL]) v |= 1u << 15;
    return v;
}

static uint32_t icsr_read(cortexm_t *cm)
{
    uint32_t ipsr = cm_current_exception(cm);
    uint32_t v = ipsr;
    int nactive = 0;
    for (int e = 1; e < CM_NUM_EXC; e++)
        nactive += cm->s.active[e];
    if (nactive <= 1)
        v |= 1u << 11;                                   /* RETTOBASE */
    int best = pending_best(cm, NULL);
    v |= (uint32_t)best << 12;                           /* VECTPENDING */
    if ((cm->s.nvic_pending[0] | cm->s.nvic_pending[1] | cm->s.nvic_pending[2]) != 0)
        v |= 1u << 22;                                   /* ISRPENDING */
    if (cm->s.pend_exc[CM_EXC_SYSTICK]) v |= 1u << 26;
    if (cm->s.pend_exc[CM_EXC_PENDSV]) v |= 1u << 28;
    if (cm->s.pend_exc[CM_EXC_NMI]) v |= 1u << 31;
    return v;
}

/* Registers are 32-bit; byte/halfword accesses read the containing word and shift. */
static uint32_t scs_read_word(cortexm_t *cm, uint32_t off)
{
    uint64_t now = cm->h.now_ns(cm->h.m);
    if (off >= 0x100 && off < 0x10C) return cm->s.nvic_enabled[(off - 0x100) / 4];
    if (off >= 0x180 && off < 0x18C) return cm->s.nvic_enabled[(off - 0x180) / 4];
    if (off >= 0x200 && off < 0x20C) return cm->s.nvic_pending[(off - 0x200) / 4];
    if (off >= 0x280 && off < 0x28C) return cm->s.nvic_pending[(off - 0x280) / 4];
    if (off >= 0x300 && off < 0x30C) {
        uint32_t v = 0, w = (off - 0x300) / 4;
        for (int b = 0; b < 32; b++) {
            int e = CM_EXC_IRQ0 + (int)w * 32 + b;
            if (e < CM_NUM_EXC && cm->s.active[e]) v |= 1u << b;
        }
        return v;
    }
    if (off >= 0x400 && off < 0x400 + CM_NUM_IRQ) {
        uint32_t v = 0;
        for (int i = 0; i < 4; i++) {
            uint32_t n = off - 0x400 + (uint32_t)i;
            if (n < CM_NUM_IRQ) v |= (uint32_t)cm->s.prio[CM_EXC_IRQ0 + n] << (8 * i);
        }
        return v;
    }
    if (off >= 0xD18 && off < 0xD24) {
        uint32_t v = 0;
        for (int i = 0; i < 4; i++)
            v |= (uint32_t)cm->s.prio[4 + (off - 0xD18) + (uint32_t)i] << (8 * i);
        return v;
    }
    switch (off) {
    case 0x004: return 2;                          /* ICTR: up to 96 interrupt lines */
    case 0x008: return cm->s.actlr;
    case 0x010: { uint32_t v = cm->s.syst_csr; cm->s.syst_csr &= ~(1u << 16); return v; }
    case 0x014: return cm->s.syst_rvr;
    case 0x018: return syst_cvr(cm, now);
    case 0x01C: return 0x80000000u | (uint32_t)(cm->h.core_hz / 100 - 1); /* NOREF, 10 ms */
    case 0xD00: return 0x410FC241u;                /* CPUID: Cortex-M4 r0p1 */
    case 0xD04: return icsr_read(cm);
    case 0xD08: return cm->s.vtor;
    case 0xD0C: return 0xFA050000u | (cm->s.aircr_prigroup << 8);
    case 0xD10: return cm->s.scr;
    case 0xD14: return cm->s.ccr;
    case 0xD24: return shcsr_read(cm);
    case 0xD28: return cm->s.cfsr;
    case 0xD2C: return cm->s.hfsr;
    case 0xD30: return cm->s.dfsr;
    case 0xD34: return cm->s.mmfar;
    case 0xD38: return cm->s.bfar;
    case 0xD40: return 0x00000030u;                /* ID_PFR0 */
    case 0xD44: return 0x00000200u;                /* ID_PFR1 */
    case 0xD48: return 0x00100000u;                /* ID_DFR0 */
    case 0xD50: return 0x00100030u;                /* ID_MMFR0 */
    case 0xD58: return 0x01000000u;                /* ID_MMFR2 */
    case 0xD60: return 0x01101110u;                /* ID_ISAR0 */
    case 0xD64: return 0x02111000u;
    case 0xD68: return 0x21112231u;
    case 0xD6C: return 0x01111110u;
    case 0xD70: return 0x01310132u;
    case 0xD88: return cm->s.cpacr;
    case 0xF34: return cm->s.fpccr;
    case 0xF38: return cm->s.fpcar;
    case 0xF3C: return cm->s.fpdscr;
    case 0xF40: return 0x10110021u;                /* MVFR0 */
    case 0xF44: return 0x11000011u;                /* MVFR1 */
    default: return 0;                             /* MPU (TYPE = 0: none), debug: RAZ */
    }
}

uint32_t cm_scs_read(cortexm_t *cm, uint32_t off, unsigned size)
{
    uint32_t w = scs_read_word(cm, off & ~3u);
    uint32_t shift = (off & 3u) * 8u;
    if (size >= 4)
        return w;
    return (w >> shift) & (size == 1 ? 0xFFu : 0xFFFFu);
}

static void nvic_bits(cortexm_t *cm, uint32_t *arr, uint32_t w, uint32_t value, bool set)
{
    if (w >= 3)
        return;
    if (w == 2)
        value &= (1u << (CM_NUM_IRQ - 64)) - 1u;
    if (set) arr[w] |= value; else arr[w] &= ~value;
}

static void syst_write(cortexm_t *cm, uint32_t off, uint32_t value)
{
    uint64_t now = cm->h.now_ns(cm->h.m);
    uint32_t cur = syst_cvr(cm, now);
    if (off == 0x010) {
        cm->s.syst_csr = (cm->s.syst_csr & (1u << 16)) | (value & 7u);
        /* Enabling with CVR = 0 loads RVR on the next clock (B3.3.1). */
        if ((value & 1) && cur == 0)
            cur = cm->s.syst_rvr;
    } else if (off == 0x014) {
        cm->s.syst_rvr = value & 0x00FFFFFFu;
    } else if (off == 0x018) {
        cur = 0;                                     /* any write clears CVR and COUNTFLAG */
        cm->s.syst_csr &= ~(1u << 16);
        if (cm->s.syst_csr & 1)
            cur = cm->s.syst_rvr;
    }
    cm->s.syst_base_ns = now;
    cm->s.syst_cvr_at_base = cur;
    cm->h.deadline_changed(cm->h.m);
}

static void scs_write_word(cortexm_t *cm, uint32_t off, uint32_t value, uint32_t bytemask)
{
    if (off >= 0x100 && off < 0x10C) { nvic_bits(cm, cm->s.nvic_enabled, (off - 0x100) / 4, value, true); cm->h.attention(cm->h.m); return; }
    if (off >= 0x180 && off < 0x18C) { nvic_bits(cm, cm->s.nvic_enabled, (off - 0x180) / 4, value, false); return; }
    if (off >= 0x200 && off < 0x20C) { nvic_bits(cm, cm->s.nvic_pending, (off - 0x200) / 4, value, true); cm->h.attention(cm->h.m); return; }
    if (off >= 0x280 && off < 0x28C) { nvic_bits(cm, cm->s.nvic_pending, (off - 0x280) / 4, value, false); return; }
    if (off >= 0x400 && off < 0x400 + CM_NUM_IRQ) {
        for (int i = 0; i < 4; i++) {
            uint32_t n = off - 0x400 + (uint32_t)i;
            if ((bytemask >> (8 * i)) & 0xFF && n < CM_NUM_IRQ)
                cm->s.prio[CM_EXC_IRQ0 + n] = (uint8_t)((value >> (8 * i)) & 0xF0u);
        }
        cm->h.attention(cm->h.m);
        return;
    }
    if (off >= 0xD18 && off < 0xD24) {
        for (int i = 0; i < 4; i++) {
            uint32_t e = 4 + (off - 0xD18) + (uint32_t)i;
            /* SHPR: only MemManage, BusFault, UsageFault, SVCall, DebugMon, PendSV, SysTick */
            bool impl = e == 4 || e == 5 || e == 6 || e == 11 || e == 12 || e == 14 || e == 15;
            if (((bytemask >> (8 * i)) & 0xFF) && impl)
                cm->s.prio[e] = (uint8_t)((value >> (8 * i)) & 0xF0u);
        }
        cm->h.attention(cm->h.m);
        return;
    }
    switch (off) {
    case 0x008: cm->s.actlr = value & 0x307u; return;
    case 0x010: case 0x014: case 0x018: syst_write(cm, off, value); return;
    case 0xD04:
        if (value & (1u << 31)) cm_set_pending(cm, CM_EXC_NMI);
        if (value & (1u << 28)) cm_set_pending(cm, CM_EXC_PENDSV);
        if (value & (1u << 27)) cm->s.pend_exc[CM_EXC_PENDSV] = 0;
        if (value & (1u << 26)) cm_set_pending(cm, CM_EXC_SYSTICK);
        if (value & (1u << 25)) cm->s.pend_exc[CM_EXC_SYSTICK] = 0;
        return;
    case 0xD08: cm->s.vtor = value & 0xFFFFFF80u; return;   /* TBLOFF [31:7] */
    case 0xD0C:
        if ((value >> 16) != 0x05FA)
            return;                                         /* writes without VECTKEY ignored */
        cm->s.aircr_prigroup = (value >> 8) & 7u;
        if (value & 2u)                                     /* VECTCLRACTIVE (debug use) */
            memset(cm->s.active, 0, sizeof cm->s.active);
        if (value & 4u)
            cm->h.reset_request(cm->h.m, EMU_RESET_SOFTWARE, "AIRCR.SYSRESETREQ");
        cm->h.attention(cm->h.m);
        return;
    case 0xD10: cm->s.scr = value & 0x16u; return;
    case 0xD14: cm->s.ccr = value & 0x31Bu; return;
    case 0xD24:
        cm->s.shcsr = value & (7u << 16);
        return;
    case 0xD28: cm->s.cfsr &= ~value; return;               /* write 1 to clear */
    case 0xD2C: cm->s.hfsr &= ~value; return;
    case 0xD30: cm->s.dfsr &= ~value; return;
    case 0xD34: cm->s.mmfar = value; return;
    case 0xD38: cm->s.bfar = value; return;
    case 0xD88: cm->s.cpacr = value & (0xFu << 20); return;
    case 0xF00: if ((value & 0x1FF) < CM_NUM_IRQ) cm_set_pending(cm, CM_EXC_IRQ0 + (int)(value & 0x1FF)); return;
    case 0xF34: cm->s.fpccr = (cm->s.fpccr & 0x1FFu) | (value & 0xC0000000u); return;
    case 0xF38: cm->s.fpcar = value & ~7u; return;
    case 0xF3C: cm->s.fpdscr = value & 0x07C00000u; return;
    default: return;                                        /* MPU, debug: write ignored */
    }
}

void cm_scs_write(cortexm_t *cm, uint32_t off, unsigned size, uint32_t value)
{
    if (size >= 4) {
        scs_write_word(cm, off, value, 0xFFFFFFFFu);
        return;
    }
    /* Sub-word writes: byte-addressable registers (IPR, SHPR) take only the addressed bytes;
     * other registers see a read-modify-write of the word (W1C registers get only the byte). */
    uint32_t base = off & ~3u, shift = (off & 3u) * 8u;
    uint32_t mask = (size == 1 ? 0xFFu : 0xFFFFu) << shift;
    uint32_t v = (value << shift) & mask;
    bool byte_regs = (base >= 0x400 && base < 0x400 + CM_NUM_IRQ) || (base >= 0xD18 && base < 0xD24);
    bool w1c = base == 0xD28 || base == 0xD2C || base == 0xD30 || base == 0xD04 ||
               (base >= 0x100 && base < 0x300);
    if (byte_regs || w1c)
        scs_write_word(cm, base, v, mask);
    else
        scs_write_word(cm, base, (scs_read_word(cm, base) & ~mask) | v, mask);
}
