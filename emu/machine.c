/*
 * fwemu machine: lifecycle and run loop. Names, configuration and board lookup, create/destroy,
 * power and reset, the run loop, ELF loading. The rest of the machine: machine_bus.c (memories,
 * MMIO, bus services), machine_exec.c (clock, CPU hooks), machine_events.c (event log, console),
 * machine_state.c (snapshots, fingerprints, tracking). Contract in emu.h; Unicorn facts in
 * ../shared/reference/unicorn-2.0.1.md.
 */
#include "machine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"

/* ---- names -------------------------------------------------------------------------------- */

const char *emu_reset_kind_name(emu_reset_kind_t k)
{
    static const char *n[] = { "power_on", "pin", "software", "watchdog", "lockup" };
    return (unsigned)k < EMU_RESET_KIND_COUNT ? n[k] : "?";
}

const char *flash_op_kind_name(flash_op_kind_t k)
{
    static const char *n[] = { "program", "erase_sector", "erase_block", "erase_all", "read" };
    return (unsigned)k < FLASH_OP_KIND_COUNT ? n[k] : "?";
}

const char *emu_event_kind_name(emu_event_kind_t k)
{
    static const char *n[] = { "reset", "flash_op", "flash_defect", "flash_rdcol", "flash_error",
                               "fault", "lockup", "unmapped", "wdog_refresh", "marker",
                               "app_running", "semihost_exit", "halt", "power_off", "note", "net" };
    return (unsigned)k < EMU_EV_KIND_COUNT ? n[k] : "?";
}

const char *emu_stop_reason_name(emu_stop_reason_t r)
{
    static const char *n[] = { "app_running", "resets", "time", "flash_op", "fault", "lockup",
                               "halted", "budget", "power_cut", "semihost_exit", "console", "error" };
    return (unsigned)r < EMU_STOP_REASON_COUNT ? n[r] : "?";
}

const char *emu_strerror(int err)
{
    switch (err) {
    case EMU_OK: return "ok";
    case EMU_ERR_NOMEM: return "out of memory";
    case EMU_ERR_UNICORN: return "CPU library error";
    case EMU_ERR_ARG: return "bad argument";
    case EMU_ERR_STATE: return "machine not in the right state";
    case EMU_ERR_IMAGE: return "bad firmware image";
    case EMU_ERR_BOARD: return "unknown board";
    default: return "unknown error";
    }
}

/* ---- configuration and boards --------------------------------------------------------------- */

const emu_board_t *emu_board_find(const char *name)
{
    for (size_t i = 0; name && i < emu_board_count; i++)
        if (strcmp(emu_boards[i]->name, name) == 0)
            return emu_boards[i];
    return NULL;
}

void emu_config_defaults(emu_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->ram_fill = EMU_RAM_ZERO;
    cfg->unmapped = EMU_UNMAPPED_RAZ_WI;
    cfg->wdog_enabled = true;
    cfg->core_hz = 120000000u;
    cfg->event_capacity = 4096;
    cfg->console_capacity = 64 * 1024;
    emu_config_board(cfg, EMU_BOARD_DEFAULT);
}

int emu_config_board(emu_config_t *cfg, const char *board)
{
    const emu_board_t *b = emu_board_find(board);
    if (!b)
        return EMU_ERR_BOARD;
    cfg->board = b->name;
    b->flash_defaults(&cfg->flash);
    return EMU_OK;
}

/* ---- create / destroy --------------------------------------------------------------------- */

static _Thread_local char create_error[256];

static void unknown_board(emu_machine_t *m)
{
    int len = snprintf(m->err, sizeof m->err, "unknown board '%s' (known:", m->cfg.board);
    for (size_t i = 0; i < emu_board_count && len > 0 && (size_t)len < sizeof m->err; i++)
        len += snprintf(m->err + len, sizeof m->err - (size_t)len, " %s", emu_boards[i]->name);
    if (len > 0 && (size_t)len < sizeof m->err)
        snprintf(m->err + len, sizeof m->err - (size_t)len, ")");
}

const char *emu_create_error(void) { return create_error; }

int emu_create(const emu_config_t *cfg_in, emu_machine_t **out)
{
    *out = NULL;
    emu_machine_t *m = calloc(1, sizeof *m);
    if (!m)
        return EMU_ERR_NOMEM;
    m->cfg = *cfg_in;
    if (!m->cfg.event_capacity) m->cfg.event_capacity = 4096;
    if (!m->cfg.console_capacity) m->cfg.console_capacity = 64 * 1024;
    if (!m->cfg.core_hz) m->cfg.core_hz = 120000000u;
    if (!m->cfg.board) m->cfg.board = EMU_BOARD_DEFAULT;
    m->cfg.flash.seed = m->cfg.flash.seed ? m->cfg.flash.seed : m->cfg.seed;
    if (cfg_in->app_console_text) {
        m->app_console_text = strdup(cfg_in->app_console_text);
        m->cfg.app_console_text = m->app_console_text;
    }
    int rc = EMU_ERR_NOMEM;
    m->ev = calloc(m->cfg.event_capacity, sizeof *m->ev);
    m->console = calloc(1, m->cfg.console_capacity + 1);
    if (!m->ev || !m->console)
        goto fail;
    m->board = emu_board_find(m->cfg.board);
    if (!m->board) {
        unknown_board(m);
        rc = EMU_ERR_BOARD;
        goto fail;
    }
    m->cfg.board = m->board->name;
    uc_err e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB, &m->uc);
    if (e == UC_ERR_OK)
        e = uc_ctl_set_cpu_model(m->uc, UC_CPU_ARM_CORTEX_M4);
    if (e != UC_ERR_OK) {
        snprintf(m->err, sizeof m->err, "uc_open: %s", uc_strerror(e));
        rc = EMU_ERR_UNICORN;
        goto fail;
    }
    machine_bus_init(m);
    rc = flash_create(&m->cfg.flash, &m->flash);
    if (rc != FLASH_OK) {
        snprintf(m->err, sizeof m->err, "flash geometry: %s", flash_strerror(rc));
        rc = EMU_ERR_ARG;
        goto fail;
    }
    if ((rc = machine_map_flash(m)))
        goto fail;
    size_t page = 0;
    m->page_size = uc_query(m->uc, UC_QUERY_PAGE_SIZE, &page) == UC_ERR_OK && page ? (uint32_t)page : 1024;
    emu_board_ctx_t bctx;
    machine_board_ctx(m, &bctx);
    /* The system regions fill the peripheral space around the board's; all hooks go in before
     * the first uc_emu_start (translated code ignores later hooks). */
    if ((rc = m->board->build(&bctx)) || (rc = machine_map_system(m)) || (rc = machine_add_hooks(m)))
        goto fail;
    m->next_deadline_ns = UINT64_MAX;
    memset(m->icache, 0xFF, sizeof m->icache);
    *out = m;
    return EMU_OK;
fail:
    if (!m->err[0])
        snprintf(m->err, sizeof m->err, "%s", emu_strerror(rc));
    snprintf(create_error, sizeof create_error, "%s", m->err);
    emu_destroy(m);
    return rc;
}

void emu_destroy(emu_machine_t *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nperiph; i++)
        m->periph[i]->ops->destroy(m->periph[i]);
    if (m->uc)
        uc_close(m->uc);
    for (int i = 0; i < m->nram; i++)
        free(m->ram[i].mem);
    for (int i = 0; i < m->nsegs; i++)
        free(m->segs[i].data);
    free(m->segs);
    flash_destroy(m->flash);
    free(m->ev);
    free(m->console);
    free(m->app_console_text);
    free(m);
}

const char *emu_last_error(const emu_machine_t *m) { return m->err; }
const emu_config_t *emu_config(const emu_machine_t *m) { return &m->cfg; }
flash_t *emu_flash(emu_machine_t *m) { return m->flash; }
bool emu_powered(const emu_machine_t *m) { return m->d.powered; }
uint32_t emu_reset_count(const emu_machine_t *m, emu_reset_kind_t k)
{
    return (unsigned)k < EMU_RESET_KIND_COUNT ? m->d.resets[k] : 0;
}
bool emu_app_running(const emu_machine_t *m) { return m->d.app_running; }
uint32_t emu_app_marker(const emu_machine_t *m) { return m->d.marker; }
uint32_t emu_vtor(const emu_machine_t *m) { return m->cm.s.vtor; }

int emu_uart_rx(emu_machine_t *m, const uint8_t *data, size_t len)
{
    if (!m->role[EMU_ROLE_CONSOLE])
        return EMU_ERR_STATE;
    return uart_rx_push(m->role[EMU_ROLE_CONSOLE], data, len);
}

/* ---- power and reset ------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void do_reset(emu_machine_t *m, emu_reset_kind_t kind)
{
    m->reset_pending = false;
    m->bus_fault_pending = false;
    m->d.resets[kind]++;
    if (kind == EMU_RESET_POWER_ON) {
        m->d.exec_base_ns = machine_insns_to_ns(m, m->d.insns);   /* see emu_dyn_t: time stays continuous */
        m->d.insn_base = m->d.insns;
        if (m->cfg.ram_fill != EMU_RAM_RETAIN) {
            uint64_t x = m->cfg.seed ^ (0xA5A5ull * m->d.resets[kind]);
            for (int i = 0; i < m->nram; i++) {
                emu_ram_t *r = &m->ram[i];
                if (m->cfg.ram_fill == EMU_RAM_ZERO) {
                    memset(r->mem, 0, r->size);
                } else {
                    for (uint32_t o = 0; o + 8 <= r->size; o += 8) {
                        uint64_t v = splitmix(&x);
                        memcpy(r->mem + o, &v, 8);
                    }
                }
                uc_ctl_remove_cache(m->uc, r->base, (uint64_t)r->base + r->size);
            }
        }
        for (int i = 0; i < m->nsegs; i++) {
            uint8_t *p = machine_host_ptr(m, m->segs[i].addr, m->segs[i].len);
            if (p) {
                memcpy(p, m->segs[i].data, m->segs[i].len);
                uc_ctl_remove_cache(m->uc, m->segs[i].addr, (uint64_t)m->segs[i].addr + m->segs[i].len);
            }
        }
    }
    if (m->role[EMU_ROLE_RESET_CTL])
        rcm_note_reset(m->role[EMU_ROLE_RESET_CTL], kind);
    for (int i = 0; i < m->nperiph; i++)
        m->periph[i]->ops->reset(m->periph[i], kind);
    m->d.app_running = false;
    m->d.vtor_in_app = false;
    m->d.marker = 0;
    m->d.con_match = 0;
    m->cur_block = 0;
    cm_reset(&m->cm);
    m->cm.fault_stops = m->cfg.fault_stops;
    emu_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = EMU_EV_RESET;
    ev.a.reset.kind = kind;
    snprintf(ev.detail, sizeof ev.detail, "%s", emu_reset_kind_name(kind));
    machine_event(m, &ev);
    machine_recompute_deadline(m);
}

int emu_power_on(emu_machine_t *m)
{
    m->d.powered = true;
    m->power_cut = false;
    do_reset(m, EMU_RESET_POWER_ON);
    return EMU_OK;
}

void emu_power_off(emu_machine_t *m)
{
    if (!m->d.powered)
        return;
    m->d.powered = false;
    machine_note(m, EMU_EV_POWER_OFF, "power off");
}

int emu_reset(emu_machine_t *m, emu_reset_kind_t kind)
{
    if ((unsigned)kind >= EMU_RESET_KIND_COUNT)
        return EMU_ERR_ARG;
    if (kind == EMU_RESET_POWER_ON) {
        emu_power_off(m);
        return emu_power_on(m);
    }
    if (!m->d.powered)
        return EMU_ERR_STATE;
    do_reset(m, kind);
    return EMU_OK;
}

/* ---- run loop ---------------------------------------------------------------------------- */

/* The size of the WFI or WFE just before pc (2 or 4), 0 when there is none. */
static uint32_t wfi_before(emu_machine_t *m, uint32_t pc)
{
    uint16_t h = 0;
    uint32_t w = 0;
    emu_mem_read(m, pc - 2, &h, 2);
    if (h == 0xBF30 || h == 0xBF20)                      /* WFI / WFE (16-bit) */
        return 2;
    emu_mem_read(m, pc - 4, &w, 4);
    return w == 0x8003F3AFu || w == 0x8002F3AFu ? 4 : 0; /* WFI.W / WFE.W */
}

/* A stop asked for during a block that ended in a WFI: uc_emu_start returned at the WFI before
 * any block boundary could stop it. Put PC back on the WFI, uncounted, so that the run resumes
 * by executing it (and sleeping) rather than skipping it. */
static void unretire_wfi(emu_machine_t *m, uint32_t pc)
{
    uint32_t size = wfi_before(m, pc);
    if (!size)
        return;
    uint32_t at = (pc - size) | 1u;
    uc_reg_write(m->uc, UC_ARM_REG_PC, &at);
    m->d.insns--;
}

/* A CPU library error as the core sees it: a memory error is a BusFault or MemManage fault, an
 * undecodable instruction a UsageFault. Returns false for any other error (m->err set): the run
 * ends with EMU_STOP_ERROR. */
static bool cpu_error_to_fault(emu_machine_t *m, uc_err e, uint32_t pc)
{
    if (e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED || e == UC_ERR_FETCH_UNMAPPED ||
        e == UC_ERR_READ_PROT || e == UC_ERR_WRITE_PROT || e == UC_ERR_FETCH_PROT) {
        uint32_t addr = m->mem_fault_addr;
        bool fetch = e == UC_ERR_FETCH_UNMAPPED || e == UC_ERR_FETCH_PROT;
        char why[48];
        snprintf(why, sizeof why, "%s at 0x%08x", uc_strerror(e), addr);
        machine_note(m, EMU_EV_NOTE, why);
        if (m->cfg.trace_code)
            pc = m->last_insn_pc;
        /* B3.1.1: instruction fetches from Execute Never regions (Peripheral, Device, System:
         * 0x40000000-0x5FFFFFFF, 0xA0000000-0xFFFFFFFF) are MemManage faults (IACCVIOL), even
         * with the MPU off; other fetch errors are bus errors (IBUSERR). */
        bool xn = (addr >= 0x40000000u && addr < 0x60000000u) || addr >= 0xA0000000u;
        if (fetch && xn)
            cm_fault(&m->cm, CM_EXC_MEMMANAGE, CFSR_IACCVIOL, 0, addr, addr);
        else if (fetch)
            cm_fault(&m->cm, CM_EXC_BUSFAULT, CFSR_IBUSERR, 0, addr, pc);
        else
            cm_fault(&m->cm, CM_EXC_BUSFAULT, CFSR_PRECISERR | CFSR_BFARVALID, 0, addr, pc);
    } else if (e == UC_ERR_INSN_INVALID) {
        /* EPSR.T = 0 (a BX/BLX to an even address): the core cannot execute ARM code, so the
         * next instruction raises INVSTATE (B1.4.2), not UNDEFINSTR. */
        bool t = (emu_reg(m, UC_ARM_REG_XPSR) >> 24) & 1;
        cm_fault(&m->cm, CM_EXC_USAGEFAULT, t ? CFSR_UNDEFINSTR : CFSR_INVSTATE, 0, 0, pc);
    } else if (e == UC_ERR_EXCEPTION) {
        cm_fault(&m->cm, CM_EXC_USAGEFAULT, CFSR_INVSTATE, 0, 0, pc);
    } else {
        snprintf(m->err, sizeof m->err, "CPU error at 0x%08x: %s", pc, uc_strerror(e));
        return false;
    }
    machine_after_fault(m);
    return true;
}

/* Sleep after WFI: skip emulated time to the next deadline until something can wake the core.
 * Returns true to resume, false when the run must stop (reason set). */
static bool sleep_until_wakeup(emu_machine_t *m, bool spin)
{
    for (;;) {
        /* WFI wakes for a pending exception even when PRIMASK masks it (B1.5.19); a spin loop
         * only ends when an exception preempts it. */
        if (spin ? cm_can_preempt(&m->cm) : cm_wfi_wakeup(&m->cm))
            return true;
        if (m->reset_pending || m->power_cut || m->stop_now)
            return true;
        uint64_t next = m->next_deadline_ns;
        uint64_t now = emu_time_ns(m);
        if (m->stop && m->stop->time_ns && now >= m->stop->time_ns) {
            m->stop_reason = EMU_STOP_TIME;  /* the time stop came with the sleep's boundary */
            m->stop_now = true;
            return false;
        }
        if (next == UINT64_MAX) {
            machine_note(m, EMU_EV_HALT, spin ? "spinning in \"b .\" with nothing to interrupt it"
                                              : "WFI with nothing to wake the core");
            m->stop_reason = EMU_STOP_HALT;
            m->stop_now = true;
            return false;
        }
        if (m->stop && m->stop->time_ns && next > m->stop->time_ns) {
            m->d.stall_ns += m->stop->time_ns - now;     /* the sleep ends at the stop time */
            m->stop_reason = EMU_STOP_TIME;
            m->stop_now = true;
            return false;
        }
        if (next > now)
            m->d.stall_ns += next - now;
        machine_service_deadlines(m);
    }
}

static uint32_t total_resets(const emu_machine_t *m)
{
    uint32_t total = 0;
    for (int k = 0; k < EMU_RESET_KIND_COUNT; k++)
        total += m->d.resets[k];
    return total;
}

/* The reset a peripheral or the core asked for. Returns true when the run stops there: a lockup
 * with stop.on_lockup (no reset then), a stop asked for earlier in the block that reset (after
 * the reset, with its own reason), or stop.resets resets since the run began. */
static bool take_reset(emu_machine_t *m, uint32_t resets_at_start)
{
    if (m->pending_reset == EMU_RESET_LOCKUP && m->stop->on_lockup) {
        m->reset_pending = false;
        m->stop_reason = EMU_STOP_LOCKUP;
        return true;
    }
    do_reset(m, m->pending_reset);
    if (m->stop_now)
        return true;                         /* asked for before the reset, in the same block */
    if (m->stop->resets && total_resets(m) - resets_at_start >= m->stop->resets) {
        m->stop_reason = EMU_STOP_RESETS;
        return true;
    }
    return false;
}

int emu_run(emu_machine_t *m, const emu_stop_t *stop, emu_result_t *res)
{
    static const emu_stop_t none;
    if (!stop)
        stop = &none;
    memset(res, 0, sizeof *res);
    if (!m->d.powered) {
        snprintf(m->err, sizeof m->err, "the machine is powered off");
        res->reason = EMU_STOP_ERROR;
        return EMU_ERR_STATE;
    }
    m->stop = stop;
    uint64_t budget = stop->max_insns ? stop->max_insns : 10000000000ull;
    m->run_budget_end = m->d.insns + budget;
    m->stop_now = false;
    m->exit_code = 0;
    uint32_t resets_at_start = total_resets(m);
    int rc = EMU_OK;
    machine_recompute_deadline(m);
    if (machine_console_stop_begin(m))
        machine_request_stop(m, EMU_STOP_CONSOLE);   /* before any instruction */
    while (!m->stop_now) {
        m->attention = true;                 /* first block: check everything */
        m->boundary_stop = false;
        uint32_t pc = emu_reg(m, UC_ARM_REG_PC);
        m->mem_fault_addr = 0;
        uc_err e = uc_emu_start(m->uc, pc | 1u, 0xFFFFFFFFull, 0, 0);
        pc = emu_reg(m, UC_ARM_REG_PC);
        if (m->power_cut) {
            m->d.powered = false;
            machine_note(m, EMU_EV_POWER_OFF, "power cut (flash hook)");
            m->stop_reason = EMU_STOP_POWER_CUT;
            break;
        }
        if (m->reset_pending) {
            if (take_reset(m, resets_at_start))
                break;
            continue;
        }
        if (e != UC_ERR_OK) {                /* a CPU error, even after a stop request */
            if (cpu_error_to_fault(m, e, pc))
                continue;
            m->stop_reason = EMU_STOP_ERROR;
            rc = EMU_ERR_UNICORN;
            break;
        }
        if (m->stop_now) {
            if (!m->boundary_stop)
                unretire_wfi(m, pc);
            break;
        }
        /* "b ." spin, WFI, or a spurious return */
        bool spin = m->spinning;
        m->spinning = false;
        if ((spin || wfi_before(m, pc)) && !sleep_until_wakeup(m, spin))
            break;
    }
    m->stop_now = false;
    m->stop = NULL;
    m->run_budget_end = UINT64_MAX;
    res->reason = m->stop_reason;
    res->exit_code = m->exit_code;
    res->time_ns = emu_time_ns(m);
    res->insns = m->d.insns;
    res->pc = emu_reg(m, UC_ARM_REG_PC);
    return rc;
}

/* ---- ELF loading ------------------------------------------------------------------------ */

int emu_load_elf(emu_machine_t *m, const char *path)
{
    elf_image_t img;
    char err[200];
    if (elf_load_file(path, &img, err, sizeof err) != ELF_OK) {
        snprintf(m->err, sizeof m->err, "%s", err);
        return EMU_ERR_IMAGE;
    }
    int rc = EMU_OK;
    for (int i = 0; i < img.nseg && rc == EMU_OK; i++) {
        const elf_segment_t *s = &img.seg[i];
        if (flash_contains(m->flash, s->paddr, s->filesz)) {
            flash_host_write(m->flash, s->paddr, s->data, s->filesz);
        } else if (machine_host_ptr(m, s->paddr, s->filesz)) {
            emu_loadseg_t *ns = realloc(m->segs, (size_t)(m->nsegs + 1) * sizeof *ns);
            uint8_t *copy = malloc(s->filesz);
            if (!ns || !copy) {
                free(copy);
                if (ns) m->segs = ns;
                rc = EMU_ERR_NOMEM;
                break;
            }
            memcpy(copy, s->data, s->filesz);
            m->segs = ns;
            m->segs[m->nsegs++] = (emu_loadseg_t){ s->paddr, s->filesz, copy };
            memcpy(machine_host_ptr(m, s->paddr, s->filesz), s->data, s->filesz);
        } else {
            snprintf(m->err, sizeof m->err,
                     "%s: segment %d at 0x%08x (%u bytes) is outside flash and RAM of the %s board",
                     path, i, s->paddr, s->filesz, m->cfg.board);
            rc = EMU_ERR_IMAGE;
        }
    }
    elf_free(&img);
    return rc;
}

