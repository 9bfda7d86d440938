/*
 * fwemu Cortex-M core glue: the parts of an ARMv7-M core that Unicorn 2.0.1 leaves out.
 *
 * Reset from the vector table, the System Control Space (SCB, NVIC, SysTick, FPU and ID
 * registers; MPU/DWT/debug accepted and ignored), exception entry and return with correct
 * stacking, tail chaining, preemption by priority with PRIGROUP, PRIMASK/FAULTMASK/BASEPRI,
 * fault escalation to HardFault and lockup. Section numbers refer to the ARMv7-M Architecture
 * Reference Manual (ARM DDI 0403E): B1.5 exception model, B3.2 System Control Space,
 * B3.3 SysTick, B3.4 NVIC.
 *
 * This is the only file that knows Unicorn's M-profile traps (unicorn-2.0.1.md):
 *   - IPSR/XPSR writes need an APSR_NZCV write-back to refresh the handler-mode flag;
 *   - MSP/PSP reads and writes go through QEMU's banked "current SP" (regs[13]) and other_sp,
 *     whose meaning depends on handler mode and CONTROL.SPSEL: we order the writes so that the
 *     two always agree with the architectural state (see cm_set_mode_and_sps).
 *
 * The state struct is plain data (snapshotted by memcpy). Calls come from the machine's hooks.
 */
#ifndef FWEMU_CORTEXM_H
#define FWEMU_CORTEXM_H

#include <unicorn/unicorn.h>

#include "emu_types.h"

#define CM_NUM_IRQ 86                 /* K64F external interrupts */
#define CM_NUM_EXC (16 + CM_NUM_IRQ)
#define CM_PRIO_BITS 4

/* Exception numbers (B1.5.2) */
enum {
    CM_EXC_RESET = 1, CM_EXC_NMI = 2, CM_EXC_HARDFAULT = 3, CM_EXC_MEMMANAGE = 4,
    CM_EXC_BUSFAULT = 5, CM_EXC_USAGEFAULT = 6, CM_EXC_SVCALL = 11, CM_EXC_DEBUGMON = 12,
    CM_EXC_PENDSV = 14, CM_EXC_SYSTICK = 15, CM_EXC_IRQ0 = 16,
};

/* CFSR bits (B3.2.15) */
#define CFSR_IACCVIOL (1u << 0)
#define CFSR_DACCVIOL (1u << 1)
#define CFSR_MSTKERR (1u << 4)
#define CFSR_MMARVALID (1u << 7)
#define CFSR_IBUSERR (1u << 8)
#define CFSR_PRECISERR (1u << 9)
#define CFSR_IMPRECISERR (1u << 10)
#define CFSR_UNSTKERR (1u << 11)
#define CFSR_STKERR (1u << 12)
#define CFSR_BFARVALID (1u << 15)
#define CFSR_UNDEFINSTR (1u << 16)
#define CFSR_INVSTATE (1u << 17)
#define CFSR_INVPC (1u << 18)
#define CFSR_NOCP (1u << 19)
#define CFSR_UNALIGNED (1u << 24)
#define CFSR_DIVBYZERO (1u << 25)
#define HFSR_VECTTBL (1u << 1)
#define HFSR_FORCED (1u << 30)
#define HFSR_DEBUGEVT (1u << 31)

typedef struct cm_state {
    /* NVIC (B3.4) */
    uint32_t nvic_enabled[4], nvic_pending[4];
    uint8_t prio[CM_NUM_EXC];         /* raw priority bytes (IRQ and SHPR), low bits zero */
    uint8_t active[CM_NUM_EXC];       /* 1 when active */
    uint8_t pend_exc[16];             /* pending system exceptions (NMI, faults, SVC, PendSV, SysTick) */
    /* SCB (B3.2) */
    uint32_t vtor, aircr_prigroup, scr, ccr, shcsr, cfsr, hfsr, dfsr, mmfar, bfar, cpacr;
    uint32_t fpccr, fpcar, fpdscr, actlr;
    /* SysTick (B3.3) */
    uint32_t syst_csr, syst_rvr;
    uint64_t syst_base_ns;            /* time at which CVR was last (re)loaded */
    uint32_t syst_cvr_at_base;
    bool locked_up;
} cm_state_t;

/* What the core needs from the machine (time, memory, events), without knowing the machine. */
typedef struct cm_host {
    void *m;
    uc_engine *uc;
    uint64_t (*now_ns)(void *m);
    uint64_t core_hz;
    void (*event)(void *m, const emu_event_t *ev);
    void (*reset_request)(void *m, emu_reset_kind_t kind, const char *why);
    void (*attention)(void *m);       /* something became pending: check at the next block */
    void (*deadline_changed)(void *m);
    void (*mem_used)(void *m, uint32_t addr, uint32_t len);   /* optional: before a host read */
} cm_host_t;

typedef struct cortexm {
    cm_state_t s;
    cm_host_t h;
    bool fault_stops;                 /* stop instead of running the firmware's handler */
    bool stop_requested;              /* set when fault_stops and a fault happened */
    emu_event_t last_fault;
} cortexm_t;

void cm_init(cortexm_t *cm, const cm_host_t *host);
/* Reset the core and SCS; load MSP and PC from the vector table at 0 (B1.5.5). */
int cm_reset(cortexm_t *cm);

/* SCS MMIO (0xE000E000..0xE000EFFF), offset from 0xE000E000. */
uint32_t cm_scs_read(cortexm_t *cm, uint32_t off, unsigned size);
void cm_scs_write(cortexm_t *cm, uint32_t off, unsigned size, uint32_t value);

/* External interrupt line from a peripheral (level: pending is set while high). */
void cm_irq(cortexm_t *cm, int irq, bool level);
void cm_set_pending(cortexm_t *cm, int exc);

/* True when a pending exception could preempt now (cheap check used by the block hook). */
bool cm_can_preempt(cortexm_t *cm);
/* True when a pending enabled interrupt would wake a WFI (ignores PRIMASK, B1.5.19). */
bool cm_wfi_wakeup(cortexm_t *cm);
/* Take the highest-priority pending exception if it can preempt; return_pc is the address of
 * the next instruction to execute (the block start). Returns true if it was taken. */
bool cm_take_pending(cortexm_t *cm, uint32_t return_pc);

/* Synchronous exceptions raised by the machine (from Unicorn interrupts/errors).
 * cm_fault: cause is a CFSR bit (or 0 with hfsr bits), addr is BFAR/MMFAR when valid.
 * Returns false when the core locked up (fault inside HardFault/NMI). */
bool cm_svc(cortexm_t *cm, uint32_t return_pc);
bool cm_fault(cortexm_t *cm, int exc, uint32_t cfsr_bits, uint32_t hfsr_bits, uint32_t addr,
              uint32_t return_pc);
/* Branch to EXC_RETURN in handler mode (Unicorn intno 8). */
bool cm_exception_return(cortexm_t *cm, uint32_t exc_return);

/* SysTick time bookkeeping. */
uint64_t cm_deadline(cortexm_t *cm);  /* next SysTick wrap, UINT64_MAX if disabled */
void cm_tick(cortexm_t *cm, uint64_t now_ns);

uint32_t cm_current_exception(cortexm_t *cm);   /* IPSR */

#endif
