/*
 * fwemu machine: execution. The clock (instruction count, stalls, peripheral deadlines), the
 * Unicorn hooks (block, code, invalid memory, CPU exceptions), semihosting. Contracts in emu.h
 * and machine_int.h; Unicorn facts in ../shared/reference/unicorn-2.0.1.md.
 */
#include "machine_int.h"

#include <stdio.h>
#include <string.h>

/* QEMU exception numbers seen through UC_HOOK_INTR (qemu/target/arm/cpu.h) */
enum { EXCP_UDEF = 1, EXCP_SWI = 2, EXCP_PREFETCH_ABORT = 3, EXCP_DATA_ABORT = 4, EXCP_BKPT = 7,
       EXCP_EXCEPTION_EXIT = 8, EXCP_NOCP = 17, EXCP_INVSTATE = 18, EXCP_UNALIGNED = 22 };

/* ---- time ---------------------------------------------------------------------------------- */

uint64_t machine_insns_to_ns(const emu_machine_t *m, uint64_t insns)
{
    return m->d.exec_base_ns +
           (uint64_t)(((unsigned __int128)(insns - m->d.insn_base) * 1000000000u) / m->cfg.core_hz);
}

/* The instruction count at which execution time reaches exec_ns (rounded up). */
static uint64_t ns_to_insns(const emu_machine_t *m, uint64_t exec_ns)
{
    if (exec_ns <= m->d.exec_base_ns)
        return m->d.insn_base;
    return m->d.insn_base + (uint64_t)(((unsigned __int128)(exec_ns - m->d.exec_base_ns) * m->cfg.core_hz +
                                        999999999u) / 1000000000u);
}

uint64_t emu_time_ns(const emu_machine_t *m)
{
    return machine_insns_to_ns(m, m->d.insns) + m->d.stall_ns;
}

uint64_t emu_insns(const emu_machine_t *m) { return m->d.insns; }

void emu_advance_time(emu_machine_t *m, uint64_t ns)
{
    if (!m->d.powered)
        m->d.stall_ns += ns;
}

void machine_update_check(emu_machine_t *m)
{
    uint64_t at = m->run_budget_end;
    if (m->next_deadline_ns != UINT64_MAX) {
        uint64_t now = emu_time_ns(m);
        uint64_t di;
        if (m->next_deadline_ns <= now) {
            di = m->d.insns;
        } else {
            di = ns_to_insns(m, m->next_deadline_ns - m->d.stall_ns);   /* exec-time target */
        }
        if (di < at)
            at = di;
    }
    if (m->stop && m->stop->time_ns) {
        uint64_t now = emu_time_ns(m);
        uint64_t di = m->d.insns;
        if (m->stop->time_ns > now) {
            di = ns_to_insns(m, m->stop->time_ns - m->d.stall_ns);
        }
        if (di < at)
            at = di;
    }
    m->check_insns = at;
}

void machine_recompute_deadline(emu_machine_t *m)
{
    uint64_t d = cm_deadline(&m->cm);
    for (int i = 0; i < m->nperiph; i++) {
        periph_t *p = m->periph[i];
        if (p->ops->deadline) {
            uint64_t pd = p->ops->deadline(p);
            if (pd < d)
                d = pd;
        }
    }
    m->next_deadline_ns = d;
    machine_update_check(m);
}

void machine_service_deadlines(emu_machine_t *m)
{
    uint64_t now = emu_time_ns(m);
    if (now < m->next_deadline_ns)
        return;
    for (int i = 0; i < m->nperiph; i++) {
        periph_t *p = m->periph[i];
        if (p->ops->deadline && p->ops->tick && p->ops->deadline(p) <= now)
            p->ops->tick(p, now);
    }
    cm_tick(&m->cm, now);
    machine_recompute_deadline(m);
}

/* ---- hooks ------------------------------------------------------------------------------ */

/* Thumb instruction count of a translated block: a halfword whose top five bits are 0b11101,
 * 0b11110 or 0b11111 starts a 32-bit instruction (ARMv7-M A5.1). */
static uint32_t count_insns(emu_machine_t *m, uint32_t addr, uint32_t size)
{
    const uint8_t *p = machine_host_ptr(m, addr, size);
    if (!p)
        return (size + 3) / 4 + 1;          /* code outside our buffers: estimate */
    uint32_t n = 0;
    for (uint32_t i = 0; i + 1 < size;) {
        uint32_t top = p[i + 1] >> 3;
        i += (top >= 0x1D) ? 4 : 2;
        n++;
    }
    return n ? n : 1;
}

static void slow_path(emu_machine_t *m, uint32_t addr, uint32_t n);

/* Instruction count of a block, cached for flash code (the cache is cleared whenever flash code
 * changes; RAM code is always decoded, since firmware rewrites it). */
static inline uint32_t block_insns(emu_machine_t *m, uint32_t addr, uint32_t size)
{
    if (addr - m->flash_base >= m->flash_len || size > 0xFFFF)
        return count_insns(m, addr, size);
    uint32_t i = (addr >> 1) & 4095u;
    if (m->icache[i].addr == addr && (m->icache[i].size_n >> 16) == size)
        return m->icache[i].size_n & 0xFFFFu;
    uint32_t n = count_insns(m, addr, size);
    m->icache[i].addr = addr;
    m->icache[i].size_n = (size << 16) | (n & 0xFFFFu);
    return n;
}

static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    emu_machine_t *m = ud;
    uint32_t n = block_insns(m, (uint32_t)addr, size);
    if (size == 2 && (uint32_t)addr == m->cur_block) {
        /* A block that is only "b ." (0xE7FE) running again: the core spins until an interrupt
         * or reset. Skip the spinning like a WFI sleep (the run loop fast-forwards time). */
        const uint8_t *p = machine_host_ptr(m, (uint32_t)addr, 2);
        if (p && p[0] == 0xFE && p[1] == 0xE7) {
            m->spinning = true;
            m->attention = true;
        }
    }
    m->cur_block = (uint32_t)addr;
    m->d.insns += n;
    if (addr < 0x100000u)
        m->code_pages[addr >> 12] = 1;
    if (m->tracking && (uint32_t)addr - m->flash_base < m->flash_len)
        flash_track_use(m->flash, (uint32_t)addr, size);
    if (m->d.insns >= m->check_insns || m->attention)
        slow_path(m, (uint32_t)addr, n);
}

/* End uc_emu_start at this block boundary, before the block of n instructions at hand (counted,
 * not executed: it is counted again when execution resumes). The only place the machine's own
 * stops end Unicorn's execution (machine_request_stop only asks). */
static void stop_at_boundary(emu_machine_t *m, uint32_t n)
{
    m->d.insns -= n;
    m->boundary_stop = true;
    uc_emu_stop(m->uc);
}

/* The block at addr has been counted but not executed yet; everything here happens before it. */
static void slow_path(emu_machine_t *m, uint32_t addr, uint32_t n)
{
    m->attention = false;
    if (m->spinning && !cm_can_preempt(&m->cm)) {
        stop_at_boundary(m, n);              /* the run loop sleeps to the next deadline */
        return;
    }
    m->spinning = false;
    if (m->stop_now || m->reset_pending || m->power_cut) {
        stop_at_boundary(m, n);              /* a stop asked for during the last block */
        return;
    }
    if (m->d.insns >= m->run_budget_end) {
        machine_request_stop(m, EMU_STOP_BUDGET);
        stop_at_boundary(m, n);
        return;
    }
    machine_service_deadlines(m);
    if (m->stop_now || m->reset_pending) {   /* a tick requested a reset (watchdog) */
        stop_at_boundary(m, n);
        return;
    }
    /* Time stop (emu.h): at the first block boundary at or after stop.time_ns. When time gets
     * there only during this block, the block runs and the next boundary stops (check_insns is
     * then <= insns: the next block comes back here). */
    if (m->stop && m->stop->time_ns &&
        machine_insns_to_ns(m, m->d.insns - n) + m->d.stall_ns >= m->stop->time_ns) {
        machine_request_stop(m, EMU_STOP_TIME);
        stop_at_boundary(m, n);
        return;
    }
    if (m->d.vtor_in_app) {
        if (addr >= m->cfg.app_region_start && addr < m->cfg.app_region_end) {
            machine_mark_app_running(m, "vtor+pc in app region");
            if (m->stop_now) {
                stop_at_boundary(m, n);
                return;
            }
        } else {
            m->attention = true;             /* keep watching for the jump */
        }
    }
    if (m->bus_fault_pending) {
        m->bus_fault_pending = false;
        m->d.insns -= n;                     /* the handler's first block comes instead */
        cm_fault(&m->cm, CM_EXC_BUSFAULT, CFSR_IMPRECISERR, 0, m->bus_fault_addr, addr);
        if (m->cm.stop_requested)
            machine_request_stop(m, EMU_STOP_FAULT);
        else if (m->stop && m->stop->on_fault)
            machine_request_stop(m, EMU_STOP_FAULT);
        if (m->stop_now)
            stop_at_boundary(m, 0);
        return;
    }
    if (cm_can_preempt(&m->cm)) {
        m->d.insns -= n;
        cm_take_pending(&m->cm, addr);
        return;
    }
    /* Something pending but masked (PRIMASK/BASEPRI/priority): CPSIE or a return can unmask it
     * without an MMIO access, so keep checking at every block until it is taken. */
    {
        uint32_t any = m->cm.s.nvic_pending[0] | m->cm.s.nvic_pending[1] | m->cm.s.nvic_pending[2];
        for (int e = 2; e < 16 && !any; e++)
            any = m->cm.s.pend_exc[e];
        if (any)
            m->attention = true;
    }
    machine_update_check(m);
}

static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    emu_machine_t *m = ud;
    m->last_insn_pc = (uint32_t)addr;
    if (m->cfg.app_symbol_addr && ((uint32_t)addr & ~1u) == (m->cfg.app_symbol_addr & ~1u))
        machine_mark_app_running(m, "symbol reached");
}

static bool hook_mem_invalid(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                             void *ud)
{
    emu_machine_t *m = ud;
    if (type == UC_MEM_READ_PROT && m->tracking && (uint32_t)addr - m->flash_base < m->flash_len) {
        /* dependence tracking: the first load from this flash page since the TLB was flushed;
         * Unicorn then does the load and caches the page as readable */
        flash_track_use(m->flash, (uint32_t)addr, (uint32_t)size);
        return true;
    }
    m->mem_fault_addr = (uint32_t)addr;
    m->mem_fault_type = (int)type;
    return false;                            /* stop: the run loop raises the fault */
}

static uint32_t reg(emu_machine_t *m, int r)
{
    uint32_t v = 0;
    uc_reg_read(m->uc, r, &v);
    return v;
}

uint32_t emu_reg(emu_machine_t *m, int uc_reg) { return reg(m, uc_reg); }

static void set_reg(emu_machine_t *m, int r, uint32_t v) { uc_reg_write(m->uc, r, &v); }

/* ARM semihosting (BKPT 0xAB; "Semihosting for AArch32 and AArch64", ARM 2.0). Returns true for
 * an exit (SYS_EXIT, SYS_EXIT_EXTENDED: the run stops with PC on the BKPT); for any other call the
 * caller moves PC past the BKPT. */
static bool semihost(emu_machine_t *m)
{
    uint32_t op = reg(m, UC_ARM_REG_R0), arg = reg(m, UC_ARM_REG_R1);
    uint32_t ret = 0;
    uint32_t w[4] = { 0 };
    switch (op) {
    case 0x03: {                                         /* SYS_WRITEC */
        uint8_t c = 0;
        emu_mem_read(m, arg, &c, 1);
        machine_console_put(m, c);
        break;
    }
    case 0x04: {                                         /* SYS_WRITE0 */
        for (uint32_t i = 0; i < 65536; i++) {
            uint8_t c = 0;
            if (emu_mem_read(m, arg + i, &c, 1) != EMU_OK || !c)
                break;
            machine_console_put(m, c);
        }
        break;
    }
    case 0x05: {                                         /* SYS_WRITE: [fd, buf, len] */
        emu_mem_read(m, arg, w, 12);
        for (uint32_t i = 0; i < w[2] && i < (1u << 20); i++) {
            uint8_t c = 0;
            if (emu_mem_read(m, w[1] + i, &c, 1) != EMU_OK)
                break;
            machine_console_put(m, c);
        }
        ret = 0;                                         /* bytes not written */
        break;
    }
    case 0x01: ret = 1; break;                           /* SYS_OPEN: everything is ":tt" */
    case 0x02: ret = 0; break;                           /* SYS_CLOSE */
    case 0x09: ret = 1; break;                           /* SYS_ISTTY */
    case 0x06: emu_mem_read(m, arg, w, 12); ret = w[2]; break; /* SYS_READ: nothing read */
    case 0x07: ret = (uint32_t)-1; break;                /* SYS_READC */
    case 0x10: ret = (uint32_t)(emu_time_ns(m) / 10000000u); break; /* SYS_CLOCK (cs) */
    case 0x11: ret = 0; break;                           /* SYS_TIME */
    case 0x13: ret = 0; break;                           /* SYS_ERRNO */
    case 0x15: {                                         /* SYS_GET_CMDLINE: empty */
        emu_mem_read(m, arg, w, 8);
        uint8_t z = 0;
        if (w[1])
            emu_mem_write(m, w[0], &z, 1);
        w[1] = 0;
        emu_mem_write(m, arg + 4, &w[1], 4);
        break;
    }
    case 0x16: {                                         /* SYS_HEAPINFO: let the C library choose */
        uint32_t ptr = 0;
        emu_mem_read(m, arg, &ptr, 4);
        uint32_t z[4] = { 0 };
        emu_mem_write(m, ptr, z, 16);
        break;
    }
    case 0x18:                                           /* SYS_EXIT: r1 = reason (AArch32) */
        m->exit_code = arg == 0x20026u ? 0 : 1;
        goto exit_now;
    case 0x20:                                           /* SYS_EXIT_EXTENDED: [reason, code] */
        emu_mem_read(m, arg, w, 8);
        m->exit_code = w[0] == 0x20026u ? (int)w[1] : 1;
        goto exit_now;
    default:
        ret = (uint32_t)-1;
        break;
    }
    set_reg(m, UC_ARM_REG_R0, ret);
    return false;
exit_now: {
        emu_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = EMU_EV_SEMIHOST_EXIT;
        ev.a.marker.value = (uint32_t)m->exit_code;
        snprintf(ev.detail, sizeof ev.detail, "exit %d", m->exit_code);
        machine_event(m, &ev);
        machine_request_stop(m, EMU_STOP_SEMIHOST_EXIT);
        return true;
    }
}

void machine_after_fault(emu_machine_t *m)
{
    if (m->cm.stop_requested) {
        m->cm.stop_requested = false;
        machine_request_stop(m, EMU_STOP_FAULT);
    } else if (m->stop && m->stop->on_fault) {
        machine_request_stop(m, EMU_STOP_FAULT);
    }
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    emu_machine_t *m = ud;
    uint32_t pc = reg(m, UC_ARM_REG_PC);
    switch (intno) {
    case EXCP_SWI:                                       /* PC is after the SVC */
        cm_svc(&m->cm, pc);
        machine_after_fault(m);
        break;
    case EXCP_BKPT: {                                    /* PC is at the BKPT */
        uint16_t insn = 0;
        emu_mem_read(m, pc, &insn, 2);
        if (insn == 0xBEAB) {
            /* Even with a stop pending (asked for earlier in this block): the call is done and
             * must not run again when the run resumes; the stop comes at the next block. */
            if (!semihost(m))
                set_reg(m, UC_ARM_REG_PC, (pc + 2) | 1u);
            break;
        }
        /* No debugger: a BKPT escalates to HardFault with HFSR.DEBUGEVT (C1.6 / B1.5.15). */
        cm_fault(&m->cm, CM_EXC_HARDFAULT, 0, HFSR_DEBUGEVT, 0, pc);
        machine_after_fault(m);
        break;
    }
    case EXCP_EXCEPTION_EXIT:                            /* PC = EXC_RETURN with bit 0 clear */
        cm_exception_return(&m->cm, pc | 1u);
        machine_after_fault(m);
        break;
    case EXCP_PREFETCH_ABORT:
        if ((pc >= 0x40000000u && pc < 0x60000000u) || pc >= 0xA0000000u)
            cm_fault(&m->cm, CM_EXC_MEMMANAGE, CFSR_IACCVIOL, 0, pc, pc);   /* XN region (B3.1.1) */
        else
            cm_fault(&m->cm, CM_EXC_BUSFAULT, CFSR_IBUSERR, 0, pc, pc);
        machine_after_fault(m);
        break;
    case EXCP_DATA_ABORT:
    case EXCP_UNALIGNED:
        cm_fault(&m->cm, CM_EXC_USAGEFAULT, CFSR_UNALIGNED, 0, 0, pc);
        machine_after_fault(m);
        break;
    case EXCP_NOCP:
        cm_fault(&m->cm, CM_EXC_USAGEFAULT, CFSR_NOCP, 0, 0, pc);
        machine_after_fault(m);
        break;
    case EXCP_INVSTATE:
        cm_fault(&m->cm, CM_EXC_USAGEFAULT, CFSR_INVSTATE, 0, 0, pc);
        machine_after_fault(m);
        break;
    case EXCP_UDEF:
        cm_fault(&m->cm, CM_EXC_USAGEFAULT,
                 ((reg(m, UC_ARM_REG_XPSR) >> 24) & 1) ? CFSR_UNDEFINSTR : CFSR_INVSTATE, 0, 0, pc);
        machine_after_fault(m);
        break;
    default: {
        char why[48];
        snprintf(why, sizeof why, "unhandled CPU exception %u", intno);
        machine_note(m, EMU_EV_NOTE, why);
        cm_fault(&m->cm, CM_EXC_USAGEFAULT, CFSR_UNDEFINSTR, 0, 0, pc);
        machine_after_fault(m);
        break;
    }
    }
}

/* ---- installation ------------------------------------------------------------------------- */

static int add_hook(emu_machine_t *m, int type, void *cb, uint64_t begin, uint64_t end)
{
    uc_err e = uc_hook_add(m->uc, &m->hooks[m->nhooks], type, cb, m, begin, end);
    if (e != UC_ERR_OK) {
        snprintf(m->err, sizeof m->err, "uc_hook_add: %s", uc_strerror(e));
        return EMU_ERR_UNICORN;
    }
    m->nhooks++;
    return EMU_OK;
}

int machine_add_hooks(emu_machine_t *m)
{
    int rc;
    if ((rc = add_hook(m, UC_HOOK_BLOCK, (void *)hook_block, 1, 0)) ||
        (rc = add_hook(m, UC_HOOK_INTR, (void *)hook_intr, 1, 0)) ||
        (rc = add_hook(m, UC_HOOK_MEM_INVALID, (void *)hook_mem_invalid, 1, 0)))
        return rc;
    if (m->cfg.trace_code)
        return add_hook(m, UC_HOOK_CODE, (void *)hook_code, 1, 0);
    if (m->cfg.app_symbol_addr)
        return add_hook(m, UC_HOOK_CODE, (void *)hook_code, m->cfg.app_symbol_addr & ~1u,
                        m->cfg.app_symbol_addr | 1u);
    return EMU_OK;
}
