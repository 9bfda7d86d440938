/*
 * fwemu machine: Unicorn engine, memories, clock, event log, run loop and snapshots.
 * Contract in emu.h; Unicorn facts in ../shared/reference/unicorn-2.0.1.md.
 */
#include "machine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"

/* QEMU exception numbers seen through UC_HOOK_INTR (qemu/target/arm/cpu.h) */
enum { EXCP_UDEF = 1, EXCP_SWI = 2, EXCP_PREFETCH_ABORT = 3, EXCP_DATA_ABORT = 4, EXCP_BKPT = 7,
       EXCP_EXCEPTION_EXIT = 8, EXCP_NOCP = 17, EXCP_INVSTATE = 18, EXCP_UNALIGNED = 22 };

/* ---- names -------------------------------------------------------------------------------- */

const char *emu_reset_kind_name(emu_reset_kind_t k)
{
    static const char *n[] = { "power_on", "pin", "software", "watchdog", "lockup" };
    return (unsigned)k < EMU_RESET_KIND_COUNT ? n[k] : "?";
}

const char *flash_op_kind_name(flash_op_kind_t k)
{
    static const char *n[] = { "program", "erase_sector", "erase_block", "erase_all" };
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

/* ---- time ---------------------------------------------------------------------------------- */

/* Execution time at instruction count `insns` (>= the base). */
static uint64_t insns_to_ns(const emu_machine_t *m, uint64_t insns)
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
    return insns_to_ns(m, m->d.insns) + m->d.stall_ns;
}

uint64_t emu_insns(const emu_machine_t *m) { return m->d.insns; }

/* Recompute the instruction count at which the block hook must take its slow path. */
static void update_check(emu_machine_t *m)
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

static void recompute_deadline(emu_machine_t *m)
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
    update_check(m);
}

static void service_deadlines(emu_machine_t *m)
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
    recompute_deadline(m);
}

/* ---- events and console ------------------------------------------------------------------ */

static void event_append(emu_machine_t *m, const emu_event_t *ev_in)
{
    emu_event_t ev = *ev_in;
    ev.time_ns = emu_time_ns(m);
    ev.insns = m->d.insns;
    if (!ev.pc)
        ev.pc = m->cfg.trace_code ? m->last_insn_pc : m->cur_block;
    size_t cap = m->cfg.event_capacity;
    size_t idx = (m->d.ev_head + m->d.ev_count) % cap;
    m->ev[idx] = ev;
    if (m->d.ev_count < cap)
        m->d.ev_count++;
    else
        m->d.ev_head = (m->d.ev_head + 1) % cap;
    m->d.ev_total++;
    if (ev.kind == EMU_EV_FAULT)
        m->d.faults++;
    else if (ev.kind == EMU_EV_LOCKUP)
        m->d.lockups++;
}

uint64_t emu_fault_count(const emu_machine_t *m) { return m->d.faults; }
uint64_t emu_lockup_count(const emu_machine_t *m) { return m->d.lockups; }
uint64_t emu_console_total(const emu_machine_t *m) { return m->d.console_total; }

static void note(emu_machine_t *m, emu_event_kind_t kind, const char *detail)
{
    emu_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    if (detail)
        snprintf(ev.detail, sizeof ev.detail, "%s", detail);
    event_append(m, &ev);
}

size_t emu_event_count(const emu_machine_t *m) { return m->d.ev_count; }
uint64_t emu_event_total(const emu_machine_t *m) { return m->d.ev_total; }

const emu_event_t *emu_event_get(const emu_machine_t *m, size_t i)
{
    if (i >= m->d.ev_count)
        return NULL;
    return &m->ev[(m->d.ev_head + i) % m->cfg.event_capacity];
}

static void request_stop(emu_machine_t *m, emu_stop_reason_t why)
{
    if (m->stop_now)
        return;
    m->stop_now = true;
    m->stop_reason = why;
    m->attention = true;
    uc_emu_stop(m->uc);
}

void emu_request_stop(emu_machine_t *m, emu_stop_reason_t why)
{
    request_stop(m, why);
}

void emu_advance_time(emu_machine_t *m, uint64_t ns)
{
    if (!m->d.powered)
        m->d.stall_ns += ns;
}

static void mark_app_running(emu_machine_t *m, const char *how)
{
    if (m->d.app_running)
        return;
    m->d.app_running = true;
    m->d.vtor_in_app = false;
    emu_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = EMU_EV_APP_RUNNING;
    ev.a.marker.value = m->d.marker;
    snprintf(ev.detail, sizeof ev.detail, "%s", how);
    event_append(m, &ev);
    if (m->stop && m->stop->app_running)
        request_stop(m, EMU_STOP_APP_RUNNING);
}

static void console_put(emu_machine_t *m, uint8_t c)
{
    size_t cap = m->cfg.console_capacity;
    if (m->d.console_len == cap) {
        size_t keep = cap / 2;
        memmove(m->console, m->console + (cap - keep), keep);
        m->d.console_len = keep;
    }
    m->console[m->d.console_len++] = (char)c;
    m->console[m->d.console_len] = 0;
    m->d.console_total++;
    if (m->cfg.console_cb)
        m->cfg.console_cb(m->cfg.console_ctx, c);
    /* incremental match of the "app running" console text (restart on mismatch) */
    const char *t = m->app_console_text;
    if (t && *t && !m->d.app_running) {
        if ((char)c == t[m->d.con_match])
            m->d.con_match++;
        else
            m->d.con_match = ((char)c == t[0]) ? 1 : 0;
        if (t[m->d.con_match] == 0) {
            m->d.con_match = 0;
            mark_app_running(m, "console text");
        }
    }
    if (m->stop && m->stop->console_text && c == '\n' &&
        strstr(m->console, m->stop->console_text))
        request_stop(m, EMU_STOP_CONSOLE);
}

const char *emu_console(const emu_machine_t *m, size_t *len)
{
    if (len)
        *len = m->d.console_len;
    return m->console;
}

/* ---- bus services for peripherals and the core --------------------------------------------- */

static uint64_t bus_now(void *mv) { return emu_time_ns((emu_machine_t *)mv); }
static uint64_t bus_insns(void *mv) { return ((emu_machine_t *)mv)->d.insns; }
static uint32_t bus_pc(void *mv)
{
    emu_machine_t *m = mv;
    return m->cfg.trace_code ? m->last_insn_pc : m->cur_block;
}

static void bus_irq(void *mv, int irq, bool level)
{
    emu_machine_t *m = mv;
    cm_irq(&m->cm, irq, level);
}

static void bus_reset_request(void *mv, emu_reset_kind_t kind, const char *why)
{
    emu_machine_t *m = mv;
    if (m->reset_pending)
        return;
    m->reset_pending = true;
    m->pending_reset = kind;
    if (why)
        note(m, EMU_EV_NOTE, why);
    m->attention = true;
    uc_emu_stop(m->uc);
}

static void bus_event(void *mv, const emu_event_t *ev) { event_append((emu_machine_t *)mv, ev); }

static void bus_console(void *mv, int port, uint8_t byte)
{
    (void)port;
    console_put((emu_machine_t *)mv, byte);
}

static void bus_stall_until(void *mv, uint64_t until)
{
    emu_machine_t *m = mv;
    uint64_t now = emu_time_ns(m);
    if (until > now) {
        m->d.stall_ns += until - now;
        m->attention = true;          /* deadlines may have passed */
        update_check(m);
    }
}

static void bus_power_cut(void *mv)
{
    emu_machine_t *m = mv;
    m->power_cut = true;
    m->attention = true;
    uc_emu_stop(m->uc);
}

/* DMA: only inside one RAM region (SRAM, FlexRAM). Writes go through Unicorn so that code
 * translated from that RAM (.ramfunc) is invalidated. */
static const emu_ram_t *dma_region(emu_machine_t *m, uint32_t addr, uint32_t len)
{
    for (int i = 0; i < m->nram; i++) {
        const emu_ram_t *r = &m->ram[i];
        if (addr >= r->base && len <= r->size && addr - r->base <= r->size - len)
            return r;
    }
    return NULL;
}

static int bus_dma_read(void *mv, uint32_t addr, void *buf, uint32_t len)
{
    emu_machine_t *m = mv;
    const emu_ram_t *r = dma_region(m, addr, len);
    if (!r)
        return -1;
    if (len)
        memcpy(buf, r->mem + (addr - r->base), len);
    return 0;
}

static int bus_dma_write(void *mv, uint32_t addr, const void *data, uint32_t len)
{
    emu_machine_t *m = mv;
    if (!dma_region(m, addr, len))
        return -1;
    if (data && len && uc_mem_write(m->uc, addr, data, len) != UC_ERR_OK)
        return -1;
    return 0;
}

void emu_set_net_backend(emu_machine_t *m, const emu_net_backend_t *b) { m->net_backend = b; }

void emu_net_notify(emu_machine_t *m)
{
    if (m->role[EMU_ROLE_NETDEV] && m->d.powered) {
        netdev_notify(m->role[EMU_ROLE_NETDEV]);
        m->attention = true;
        recompute_deadline(m);
    }
}

void emu_net_link_changed(emu_machine_t *m)
{
    if (m->role[EMU_ROLE_NETDEV] && m->d.powered) {
        netdev_link_changed(m->role[EMU_ROLE_NETDEV]);
        m->attention = true;
        recompute_deadline(m);
    }
}

static void cm_attention(void *mv) { ((emu_machine_t *)mv)->attention = true; }
static void cm_mem_used(void *mv, uint32_t addr, uint32_t len) { emu_track_use(mv, addr, len); }
static void cm_deadline_changed(void *mv) { recompute_deadline((emu_machine_t *)mv); }

/* ---- memory ------------------------------------------------------------------------------ */

/* emu_board_ctx_t.map_ram (board.h) */
static int board_map_ram(void *mv, const char *name, uint32_t base, uint32_t size, uint8_t **mem)
{
    emu_machine_t *m = mv;
    if (m->nram >= EMU_MAX_RAM)
        return EMU_ERR_ARG;
    uint8_t *buf = calloc(1, size);
    if (!buf)
        return EMU_ERR_NOMEM;
    uc_err e = uc_mem_map_ptr(m->uc, base, size, UC_PROT_ALL, buf);
    if (e != UC_ERR_OK) {
        free(buf);
        snprintf(m->err, sizeof m->err, "mapping %s: %s", name, uc_strerror(e));
        return EMU_ERR_UNICORN;
    }
    m->ram[m->nram++] = (emu_ram_t){ name, base, size, buf };
    if (mem)
        *mem = buf;
    return EMU_OK;
}

static uint8_t *host_ptr(emu_machine_t *m, uint32_t addr, uint32_t len)
{
    uint32_t fb = m->flash_base;
    if (addr - fb < m->flash_len && len <= m->flash_len - (addr - fb))
        return m->flash_mem + (addr - fb);
    for (int i = 0; i < m->nram; i++) {
        emu_ram_t *r = &m->ram[i];
        if (addr - r->base < r->size && len <= r->size - (addr - r->base))
            return r->mem + (addr - r->base);
    }
    return NULL;
}

int emu_mem_read(emu_machine_t *m, uint32_t addr, void *buf, uint32_t len)
{
    emu_track_use(m, addr, len);
    uint8_t *p = host_ptr(m, addr, len);
    if (p) {
        memcpy(buf, p, len);
        return EMU_OK;
    }
    return uc_mem_read(m->uc, addr, buf, len) == UC_ERR_OK ? EMU_OK : EMU_ERR_ARG;
}

int emu_mem_write(emu_machine_t *m, uint32_t addr, const void *buf, uint32_t len)
{
    if (flash_contains(m->flash, addr, len))
        return flash_host_write(m->flash, addr, buf, len) == FLASH_OK ? EMU_OK : EMU_ERR_ARG;
    return uc_mem_write(m->uc, addr, buf, len) == UC_ERR_OK ? EMU_OK : EMU_ERR_ARG;
}

/* Flash changed behind Unicorn's back: drop translated code of that range (only where code was
 * translated, which the block hook records per 4 KiB page). */
static void flash_changed(void *ctx, uint32_t addr, uint32_t len)
{
    emu_machine_t *m = ctx;
    uint32_t base = flash_config(m->flash)->base;
    uint32_t first = (addr - base) >> 12, last = (addr - base + (len ? len - 1 : 0)) >> 12;
    for (uint32_t pg = first; pg <= last && pg < 256; pg++) {
        if (m->code_pages[pg]) {
            m->code_pages[pg] = 0;
            memset(m->icache, 0xFF, sizeof m->icache);
            uint64_t a = base + ((uint64_t)pg << 12);
            uc_ctl_remove_cache(m->uc, a, a + 4096);
        }
    }
}

static flash_hook_action_t machine_flash_hook(void *ctx, flash_hook_phase_t phase, const flash_op_t *op)
{
    emu_machine_t *m = ctx;
    flash_hook_action_t act = FLASH_HOOK_PROCEED;
    if (m->user_flash_hook)
        act = m->user_flash_hook(m->user_flash_ctx, phase, op);
    if (phase == FLASH_HOOK_BEFORE) {
        if (act == FLASH_HOOK_CUT_BEFORE) {
            emu_event_t ev;
            memset(&ev, 0, sizeof ev);
            ev.kind = EMU_EV_FLASH_OP;
            ev.a.flash.op = op->kind; ev.a.flash.addr = op->addr; ev.a.flash.len = op->len;
            ev.a.flash.seq = op->seq;
            snprintf(ev.detail, sizeof ev.detail, "cut before");
            event_append(m, &ev);
        }
        return act;
    }
    emu_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = EMU_EV_FLASH_OP;
    ev.pc = op->pc;
    ev.a.flash.op = op->kind; ev.a.flash.addr = op->addr; ev.a.flash.len = op->len;
    ev.a.flash.seq = op->seq;
    if (op->cut == 2) snprintf(ev.detail, sizeof ev.detail, "torn");
    if (op->cut == 3) snprintf(ev.detail, sizeof ev.detail, "cut after");
    event_append(m, &ev);
    if (op->defect) {
        ev.kind = EMU_EV_FLASH_DEFECT;
        snprintf(ev.detail, sizeof ev.detail, "program of non-erased unit");
        event_append(m, &ev);
    }
    if (m->stop && m->stop->flash_ops && flash_log_total(m->flash) >= m->stop->flash_ops)
        request_stop(m, EMU_STOP_FLASH_OP);
    return FLASH_HOOK_PROCEED;
}

void emu_set_flash_hook(emu_machine_t *m, flash_hook_fn fn, void *ctx)
{
    m->user_flash_hook = fn;
    m->user_flash_ctx = ctx;
}

/* ---- MMIO ------------------------------------------------------------------------------- */

static uint64_t periph_read_cb(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    periph_t *p = ud;
    emu_machine_t *m = p->bus->m;
    if (!m->d.powered)
        return 0;
    if (off >= p->ops->size)
        return 0;
    uint32_t v = p->ops->read(p, (uint32_t)off, size);
    if (p->ops->deadline)
        recompute_deadline(m);
    return v;
}

static void periph_write_cb(uc_engine *uc, uint64_t off, unsigned size, uint64_t value, void *ud)
{
    periph_t *p = ud;
    emu_machine_t *m = p->bus->m;
    if (!m->d.powered || off >= p->ops->size)
        return;
    p->ops->write(p, (uint32_t)off, size, (uint32_t)value);
    if (p->ops->deadline)
        recompute_deadline(m);
}

static void unmapped_access(emu_machine_t *m, uint32_t addr, unsigned size, bool write, uint32_t value)
{
    emu_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = EMU_EV_UNMAPPED;
    ev.a.access.addr = addr;
    ev.a.access.size = (uint8_t)size;
    ev.a.access.write = write;
    ev.a.access.value = value;
    snprintf(ev.detail, sizeof ev.detail, "%s 0x%08x", write ? "write" : "read", addr);
    event_append(m, &ev);
    if (m->cfg.unmapped == EMU_UNMAPPED_BUSFAULT && !m->bus_fault_pending) {
        /* The access completes (reads 0); the BusFault is taken at the next block boundary as an
         * imprecise bus error, as a peripheral bridge error would be on the real part. */
        m->bus_fault_pending = true;
        m->bus_fault_addr = addr;
        m->attention = true;
    }
}

static uint64_t unmodelled_read_cb(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    emu_unmodelled_t *u = ud;
    if (u->m->d.powered)
        unmapped_access(u->m, u->base + (uint32_t)off, size, false, 0);
    return 0;
}

static void unmodelled_write_cb(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *ud)
{
    emu_unmodelled_t *u = ud;
    if (u->m->d.powered)
        unmapped_access(u->m, u->base + (uint32_t)off, size, true, (uint32_t)v);
}

/* fwemu test device (emu.h EMU_TESTDEV_BASE) */
static uint64_t testdev_read_cb(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    emu_machine_t *m = ud;
    if (off == 8) return EMU_TESTDEV_ID;
    if (off == 0) return m->d.marker;
    return 0;
}

static void testdev_write_cb(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *ud)
{
    emu_machine_t *m = ud;
    if (!m->d.powered)
        return;
    if (off == 0) {
        m->d.marker = (uint32_t)v;
        emu_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = EMU_EV_MARKER;
        ev.a.marker.value = (uint32_t)v;
        snprintf(ev.detail, sizeof ev.detail, "marker %u", (unsigned)v);
        event_append(m, &ev);
        mark_app_running(m, "marker");
    } else if (off == 4) {
        m->exit_code = (int)(uint32_t)v;
        emu_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = EMU_EV_SEMIHOST_EXIT;
        ev.a.marker.value = (uint32_t)v;
        event_append(m, &ev);
        request_stop(m, EMU_STOP_SEMIHOST_EXIT);
    }
}

static uint64_t scs_read_cb(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    emu_machine_t *m = ud;
    return cm_scs_read(&m->cm, (uint32_t)off, size);
}

static void scs_write_cb(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *ud)
{
    emu_machine_t *m = ud;
    uint32_t old_vtor = m->cm.s.vtor;
    cm_scs_write(&m->cm, (uint32_t)off, size, (uint32_t)v);
    if (m->cm.s.vtor != old_vtor && m->cfg.app_region_end &&
        m->cm.s.vtor >= m->cfg.app_region_start && m->cm.s.vtor < m->cfg.app_region_end) {
        m->d.vtor_in_app = true;
        m->attention = true;
    }
}

/* Private Peripheral Bus outside the SCS: ITM, DWT, FPB, TPIU... accepted and ignored, except
 * DWT_CYCCNT (0xE0001004), which counts core cycles (= instructions here). */
static uint64_t ppb_read_cb(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    emu_machine_t *m = ud;
    if (off == 0x1004)
        return (uint32_t)m->d.insns;
    return 0;
}

static void ppb_write_cb(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *ud) {}

/* Bit-band aliases (ARMv7-M B3.4? A3.7.4 / K64F RM): alias word (byte_off*32 + bit*4). */
static uint8_t bb_read_byte(emu_machine_t *m, uint32_t addr)
{
    uint8_t b = 0;
    emu_mem_read(m, addr, &b, 1);
    return b;
}

static uint64_t bitband_periph_read_cb(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    emu_machine_t *m = ud;
    uint32_t addr = EMU_PERIPH_BASE + (uint32_t)(off >> 5);
    unsigned bit = (unsigned)((off >> 2) & 7);
    return (bb_read_byte(m, addr) >> bit) & 1u;
}

static void bitband_periph_write_cb(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *ud)
{
    emu_machine_t *m = ud;
    uint32_t addr = EMU_PERIPH_BASE + (uint32_t)(off >> 5);
    unsigned bit = (unsigned)((off >> 2) & 7);
    uint8_t b = bb_read_byte(m, addr);
    b = (uint8_t)((b & ~(1u << bit)) | ((v & 1u) << bit));
    uc_mem_write(m->uc, addr, &b, 1);
}

static uint64_t bitband_sram_read_cb(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    emu_machine_t *m = ud;
    uint32_t addr = 0x20000000u + (uint32_t)(off >> 5);
    unsigned bit = (unsigned)((off >> 2) & 7);
    return (bb_read_byte(m, addr) >> bit) & 1u;
}

static void bitband_sram_write_cb(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *ud)
{
    emu_machine_t *m = ud;
    uint32_t addr = 0x20000000u + (uint32_t)(off >> 5);
    unsigned bit = (unsigned)((off >> 2) & 7);
    uint8_t *p = host_ptr(m, addr, 1);
    if (p)
        *p = (uint8_t)((*p & ~(1u << bit)) | ((v & 1u) << bit));
}

/* emu_board_ctx_t.add_periph (board.h) */
static int board_add_periph(void *mv, periph_t *p, uint32_t base, emu_periph_role_t role)
{
    emu_machine_t *m = mv;
    if (!p)
        return EMU_ERR_NOMEM;
    const char *why = m->nperiph >= EMU_MAX_PERIPH ? "more peripherals than EMU_MAX_PERIPH"
                      : (unsigned)role >= EMU_ROLE_COUNT ? "no such role"
                      : role != EMU_ROLE_NONE && m->role[role] ? "its role is taken" : NULL;
    if (why) {
        snprintf(m->err, sizeof m->err, "board %s, %s at 0x%08x: %s", m->board->name,
                 p->ops->name, base, why);
        p->ops->destroy(p);
        return EMU_ERR_ARG;
    }
    if (role != EMU_ROLE_NONE)
        m->role[role] = p;
    p->base = base;
    m->periph[m->nperiph++] = p;
    uint32_t size = (p->ops->size + 0xFFFu) & ~0xFFFu;
    if (base >= EMU_PERIPH_BASE && base < EMU_PERIPH_BASE + EMU_PERIPH_PAGES * 4096u) {
        for (uint32_t a = base; a < base + size; a += 4096)
            m->page_owner[(a - EMU_PERIPH_BASE) >> 12] = (uint8_t)m->nperiph;
    }
    uc_err e = uc_mmio_map(m->uc, base, size, periph_read_cb, p, periph_write_cb, p);
    if (e != UC_ERR_OK) {
        snprintf(m->err, sizeof m->err, "mapping %s at 0x%08x: %s", p->ops->name, base, uc_strerror(e));
        return EMU_ERR_UNICORN;
    }
    return EMU_OK;
}

/* Map the unmodelled pages of the peripheral space, the test device, SCS, PPB, bit-band. */
static int map_system(emu_machine_t *m)
{
    uc_err e = UC_ERR_OK;
    uint32_t tpage = (EMU_TESTDEV_BASE - EMU_PERIPH_BASE) >> 12;
    m->page_owner[tpage] = 0xFF;
    e = uc_mmio_map(m->uc, EMU_TESTDEV_BASE, 4096, testdev_read_cb, m, testdev_write_cb, m);
    for (uint32_t pg = 0; pg < EMU_PERIPH_PAGES && e == UC_ERR_OK;) {
        if (m->page_owner[pg]) { pg++; continue; }
        uint32_t end = pg;
        while (end < EMU_PERIPH_PAGES && !m->page_owner[end])
            end++;
        emu_unmodelled_t *u = &m->unm[m->nunm++];
        u->m = m;
        u->base = EMU_PERIPH_BASE + (pg << 12);
        e = uc_mmio_map(m->uc, u->base, (end - pg) << 12, unmodelled_read_cb, u, unmodelled_write_cb, u);
        pg = end;
    }
    if (e == UC_ERR_OK)
        e = uc_mmio_map(m->uc, 0xE000E000u, 0x1000, scs_read_cb, m, scs_write_cb, m);
    if (e == UC_ERR_OK)
        e = uc_mmio_map(m->uc, 0xE0000000u, 0xE000, ppb_read_cb, m, ppb_write_cb, m);
    if (e == UC_ERR_OK)
        e = uc_mmio_map(m->uc, 0xE000F000u, 0xF1000, ppb_read_cb, m, ppb_write_cb, m);
    if (e == UC_ERR_OK)
        e = uc_mmio_map(m->uc, 0x42000000u, 0x02000000u, bitband_periph_read_cb, m,
                        bitband_periph_write_cb, m);
    if (e == UC_ERR_OK)
        e = uc_mmio_map(m->uc, 0x22000000u, 0x02000000u, bitband_sram_read_cb, m,
                        bitband_sram_write_cb, m);
    if (e != UC_ERR_OK) {
        snprintf(m->err, sizeof m->err, "mapping system regions: %s", uc_strerror(e));
        return EMU_ERR_UNICORN;
    }
    return EMU_OK;
}

/* ---- hooks ------------------------------------------------------------------------------ */

/* Thumb instruction count of a translated block: a halfword whose top five bits are 0b11101,
 * 0b11110 or 0b11111 starts a 32-bit instruction (ARMv7-M A5.1). */
static uint32_t count_insns(emu_machine_t *m, uint32_t addr, uint32_t size)
{
    const uint8_t *p = host_ptr(m, addr, size);
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
        const uint8_t *p = host_ptr(m, (uint32_t)addr, 2);
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

/* The block at addr has been counted but not executed yet; everything here happens before it. */
static void slow_path(emu_machine_t *m, uint32_t addr, uint32_t n)
{
    m->attention = false;
    if (m->spinning && !cm_can_preempt(&m->cm)) {
        m->d.insns -= n;
        uc_emu_stop(m->uc);                  /* the run loop sleeps to the next deadline */
        return;
    }
    m->spinning = false;
    if (m->stop_now || m->reset_pending || m->power_cut) {
        m->d.insns -= n;                     /* it is counted again when execution resumes */
        uc_emu_stop(m->uc);
        return;
    }
    if (m->d.insns >= m->run_budget_end) {
        m->d.insns -= n;
        request_stop(m, EMU_STOP_BUDGET);
        return;
    }
    service_deadlines(m);
    if (m->stop_now || m->reset_pending) {   /* a tick requested a reset (watchdog) */
        m->d.insns -= n;
        uc_emu_stop(m->uc);
        return;
    }
    /* The time stop is due at the first block boundary at or after stop.time_ns: this one when
     * time has reached it before the block; otherwise the block runs (even when it crosses the
     * target) and the next boundary stops (check_insns is then <= insns: the next block comes
     * here). */
    if (m->stop && m->stop->time_ns &&
        insns_to_ns(m, m->d.insns - n) + m->d.stall_ns >= m->stop->time_ns) {
        m->d.insns -= n;
        request_stop(m, EMU_STOP_TIME);
        return;
    }
    if (m->d.vtor_in_app) {
        if (addr >= m->cfg.app_region_start && addr < m->cfg.app_region_end) {
            mark_app_running(m, "vtor+pc in app region");
            if (m->stop_now) {
                m->d.insns -= n;
                return;
            }
        } else {
            m->attention = true;             /* keep watching for the jump */
        }
    }
    if (m->bus_fault_pending) {
        m->bus_fault_pending = false;
        m->d.insns -= n;
        cm_fault(&m->cm, CM_EXC_BUSFAULT, CFSR_IMPRECISERR, 0, m->bus_fault_addr, addr);
        if (m->cm.stop_requested)
            request_stop(m, EMU_STOP_FAULT);
        else if (m->stop && m->stop->on_fault)
            request_stop(m, EMU_STOP_FAULT);
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
    update_check(m);
}

static void hook_code(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    emu_machine_t *m = ud;
    m->last_insn_pc = (uint32_t)addr;
    if (m->cfg.app_symbol_addr && ((uint32_t)addr & ~1u) == (m->cfg.app_symbol_addr & ~1u))
        mark_app_running(m, "symbol reached");
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

/* ARM semihosting (BKPT 0xAB; "Semihosting for AArch32 and AArch64", ARM 2.0). Returns true
 * when the call was handled (PC is advanced past the BKPT by the caller). */
static bool semihost(emu_machine_t *m)
{
    uint32_t op = reg(m, UC_ARM_REG_R0), arg = reg(m, UC_ARM_REG_R1);
    uint32_t ret = 0;
    uint32_t w[4] = { 0 };
    switch (op) {
    case 0x03: {                                         /* SYS_WRITEC */
        uint8_t c = 0;
        emu_mem_read(m, arg, &c, 1);
        console_put(m, c);
        break;
    }
    case 0x04: {                                         /* SYS_WRITE0 */
        for (uint32_t i = 0; i < 65536; i++) {
            uint8_t c = 0;
            if (emu_mem_read(m, arg + i, &c, 1) != EMU_OK || !c)
                break;
            console_put(m, c);
        }
        break;
    }
    case 0x05: {                                         /* SYS_WRITE: [fd, buf, len] */
        emu_mem_read(m, arg, w, 12);
        for (uint32_t i = 0; i < w[2] && i < (1u << 20); i++) {
            uint8_t c = 0;
            if (emu_mem_read(m, w[1] + i, &c, 1) != EMU_OK)
                break;
            console_put(m, c);
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
    return true;
exit_now: {
        emu_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = EMU_EV_SEMIHOST_EXIT;
        ev.a.marker.value = (uint32_t)m->exit_code;
        snprintf(ev.detail, sizeof ev.detail, "exit %d", m->exit_code);
        event_append(m, &ev);
        request_stop(m, EMU_STOP_SEMIHOST_EXIT);
        return true;
    }
}

static void after_fault(emu_machine_t *m)
{
    if (m->cm.stop_requested) {
        m->cm.stop_requested = false;
        request_stop(m, EMU_STOP_FAULT);
    } else if (m->stop && m->stop->on_fault) {
        request_stop(m, EMU_STOP_FAULT);
    }
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    emu_machine_t *m = ud;
    uint32_t pc = reg(m, UC_ARM_REG_PC);
    switch (intno) {
    case EXCP_SWI:                                       /* PC is after the SVC */
        cm_svc(&m->cm, pc);
        after_fault(m);
        break;
    case EXCP_BKPT: {                                    /* PC is at the BKPT */
        uint16_t insn = 0;
        emu_mem_read(m, pc, &insn, 2);
        if (insn == 0xBEAB && semihost(m)) {
            /* Writing PC would cancel a stop request (Unicorn's quit_request), so on exit PC
             * stays at the BKPT and the run ends. */
            if (!m->stop_now)
                set_reg(m, UC_ARM_REG_PC, (pc + 2) | 1u);
            break;
        }
        /* No debugger: a BKPT escalates to HardFault with HFSR.DEBUGEVT (C1.6 / B1.5.15). */
        cm_fault(&m->cm, CM_EXC_HARDFAULT, 0, HFSR_DEBUGEVT, 0, pc);
        after_fault(m);
        break;
    }
    case EXCP_EXCEPTION_EXIT:                            /* PC = EXC_RETURN with bit 0 clear */
        cm_exception_return(&m->cm, pc | 1u);
        after_fault(m);
        break;
    case EXCP_PREFETCH_ABORT:
        if ((pc >= 0x40000000u && pc < 0x60000000u) || pc >= 0xA0000000u)
            cm_fault(&m->cm, CM_EXC_MEMMANAGE, CFSR_IACCVIOL, 0, pc, pc);   /* XN region (B3.1.1) */
        else
            cm_fault(&m->cm, CM_EXC_BUSFAULT, CFSR_IBUSERR, 0, pc, pc);
        after_fault(m);
        break;
    case EXCP_DATA_ABORT:
    case EXCP_UNALIGNED:
        cm_fault(&m->cm, CM_EXC_USAGEFAULT, CFSR_UNALIGNED, 0, 0, pc);
        after_fault(m);
        break;
    case EXCP_NOCP:
        cm_fault(&m->cm, CM_EXC_USAGEFAULT, CFSR_NOCP, 0, 0, pc);
        after_fault(m);
        break;
    case EXCP_INVSTATE:
        cm_fault(&m->cm, CM_EXC_USAGEFAULT, CFSR_INVSTATE, 0, 0, pc);
        after_fault(m);
        break;
    case EXCP_UDEF:
        cm_fault(&m->cm, CM_EXC_USAGEFAULT,
                 ((reg(m, UC_ARM_REG_XPSR) >> 24) & 1) ? CFSR_UNDEFINSTR : CFSR_INVSTATE, 0, 0, pc);
        after_fault(m);
        break;
    default: {
        char why[48];
        snprintf(why, sizeof why, "unhandled CPU exception %u", intno);
        note(m, EMU_EV_NOTE, why);
        cm_fault(&m->cm, CM_EXC_USAGEFAULT, CFSR_UNDEFINSTR, 0, 0, pc);
        after_fault(m);
        break;
    }
    }
}

/* ---- create / destroy --------------------------------------------------------------------- */

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

static _Thread_local char create_error[256];

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
        int len = snprintf(m->err, sizeof m->err, "unknown board '%s' (known:", m->cfg.board);
        for (size_t i = 0; i < emu_board_count && len > 0 && (size_t)len < sizeof m->err; i++)
            len += snprintf(m->err + len, sizeof m->err - (size_t)len, " %s", emu_boards[i]->name);
        if (len > 0 && (size_t)len < sizeof m->err)
            snprintf(m->err + len, sizeof m->err - (size_t)len, ")");
        rc = EMU_ERR_BOARD;
        goto fail;
    }
    uc_err e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB, &m->uc);
    if (e == UC_ERR_OK)
        e = uc_ctl_set_cpu_model(m->uc, UC_CPU_ARM_CORTEX_M4);
    if (e != UC_ERR_OK) {
        snprintf(m->err, sizeof m->err, "uc_open: %s", uc_strerror(e));
        rc = EMU_ERR_UNICORN;
        goto fail;
    }
    m->bus = (emu_bus_t){ .m = m, .now_ns = bus_now, .insns = bus_insns, .core_hz = m->cfg.core_hz,
                          .irq = bus_irq, .reset_request = bus_reset_request, .event = bus_event,
                          .console = bus_console, .stall_until = bus_stall_until,
                          .power_cut = bus_power_cut, .pc = bus_pc, .dma_read = bus_dma_read,
                          .dma_write = bus_dma_write };
    cm_host_t host = { .m = m, .uc = m->uc, .now_ns = bus_now, .core_hz = m->cfg.core_hz,
                       .event = bus_event, .reset_request = bus_reset_request,
                       .attention = cm_attention, .deadline_changed = cm_deadline_changed,
                       .mem_used = cm_mem_used };
    cm_init(&m->cm, &host);
    m->cm.fault_stops = m->cfg.fault_stops;

    rc = flash_create(&m->cfg.flash, &m->flash);
    if (rc != FLASH_OK) {
        snprintf(m->err, sizeof m->err, "flash geometry: %s", flash_strerror(rc));
        rc = EMU_ERR_ARG;
        goto fail;
    }
    flash_set_change_cb(m->flash, flash_changed, m);
    m->flash_base = m->cfg.flash.base;
    m->flash_len = flash_size(m->flash);
    m->flash_mem = flash_mem(m->flash);
    flash_set_hook(m->flash, machine_flash_hook, m);
    e = uc_mem_map_ptr(m->uc, m->cfg.flash.base, flash_size(m->flash), UC_PROT_READ | UC_PROT_EXEC,
                       flash_mem(m->flash));
    if (e != UC_ERR_OK) {
        snprintf(m->err, sizeof m->err, "mapping flash: %s", uc_strerror(e));
        rc = EMU_ERR_UNICORN;
        goto fail;
    }
    size_t page = 0;
    m->page_size = uc_query(m->uc, UC_QUERY_PAGE_SIZE, &page) == UC_ERR_OK && page ? (uint32_t)page : 1024;
    emu_board_ctx_t bctx = { .m = m, .cfg = &m->cfg, .bus = &m->bus, .flash = m->flash,
                             .net_backend = &m->net_backend, .map_ram = board_map_ram,
                             .add_periph = board_add_periph };
    rc = m->board->build(&bctx);
    if (rc)
        goto fail;
    rc = map_system(m);
    if (rc)
        goto fail;
    /* All hooks before the first uc_emu_start (translated code ignores later hooks). */
    if ((rc = add_hook(m, UC_HOOK_BLOCK, (void *)hook_block, 1, 0)) ||
        (rc = add_hook(m, UC_HOOK_INTR, (void *)hook_intr, 1, 0)) ||
        (rc = add_hook(m, UC_HOOK_MEM_INVALID, (void *)hook_mem_invalid, 1, 0)))
        goto fail;
    if (m->cfg.trace_code)
        rc = add_hook(m, UC_HOOK_CODE, (void *)hook_code, 1, 0);
    else if (m->cfg.app_symbol_addr)
        rc = add_hook(m, UC_HOOK_CODE, (void *)hook_code, m->cfg.app_symbol_addr & ~1u,
                      m->cfg.app_symbol_addr | 1u);
    if (rc)
        goto fail;
    m->next_deadline_ns = UINT64_MAX;
    memset(m->icache, 0xFF, sizeof m->icache);
    *out = m;
    return EMU_OK;
fail:
    if (m->uc && !m->err[0])
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
        m->d.exec_base_ns = insns_to_ns(m, m->d.insns);   /* see emu_dyn_t: time stays continuous */
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
            uint8_t *p = host_ptr(m, m->segs[i].addr, m->segs[i].len);
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
    event_append(m, &ev);
    recompute_deadline(m);
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
    note(m, EMU_EV_POWER_OFF, "power off");
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

static bool is_wfi_before(emu_machine_t *m, uint32_t pc)
{
    uint16_t h = 0;
    uint32_t w = 0;
    emu_mem_read(m, pc - 2, &h, 2);
    if (h == 0xBF30 || h == 0xBF20)                      /* WFI / WFE (16-bit) */
        return true;
    emu_mem_read(m, pc - 4, &w, 4);
    return w == 0x8003F3AFu || w == 0x8002F3AFu;         /* WFI.W / WFE.W */
}

static void raise_mem_fault(emu_machine_t *m, uc_err e, uint32_t pc)
{
    uint32_t addr = m->mem_fault_addr;
    bool fetch = e == UC_ERR_FETCH_UNMAPPED || e == UC_ERR_FETCH_PROT;
    char why[48];
    snprintf(why, sizeof why, "%s at 0x%08x", uc_strerror(e), addr);
    note(m, EMU_EV_NOTE, why);
    /* B3.1.1: instruction fetches from Execute Never regions (Peripheral, Device, System:
     * 0x40000000-0x5FFFFFFF, 0xA0000000-0xFFFFFFFF) are MemManage faults (IACCVIOL), even with
     * the MPU off; other fetch errors are bus errors (IBUSERR). */
    bool xn = (addr >= 0x40000000u && addr < 0x60000000u) || addr >= 0xA0000000u;
    if (fetch && xn)
        cm_fault(&m->cm, CM_EXC_MEMMANAGE, CFSR_IACCVIOL, 0, addr, addr);
    else if (fetch)
        cm_fault(&m->cm, CM_EXC_BUSFAULT, CFSR_IBUSERR, 0, addr, pc);
    else
        cm_fault(&m->cm, CM_EXC_BUSFAULT, CFSR_PRECISERR | CFSR_BFARVALID, 0, addr, pc);
    after_fault(m);
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
            note(m, EMU_EV_HALT, spin ? "spinning in \"b .\" with nothing to interrupt it"
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
        service_deadlines(m);
    }
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
    uint32_t resets_at_start = 0;
    for (int k = 0; k < EMU_RESET_KIND_COUNT; k++)
        resets_at_start += m->d.resets[k];
    int rc = EMU_OK;
    recompute_deadline(m);
    while (!m->stop_now) {
        m->attention = true;                 /* first block: check everything */
        uint32_t pc = reg(m, UC_ARM_REG_PC);
        m->mem_fault_addr = 0;
        uc_err e = uc_emu_start(m->uc, pc | 1u, 0xFFFFFFFFull, 0, 0);
        pc = reg(m, UC_ARM_REG_PC);
        if (m->power_cut) {
            m->d.powered = false;
            note(m, EMU_EV_POWER_OFF, "power cut (flash hook)");
            m->stop_reason = EMU_STOP_POWER_CUT;
            break;
        }
        if (m->reset_pending) {
            emu_reset_kind_t k = m->pending_reset;
            if (k == EMU_RESET_LOCKUP && stop->on_lockup) {
                m->reset_pending = false;
                m->stop_reason = EMU_STOP_LOCKUP;
                break;
            }
            do_reset(m, k);
            uint32_t total = 0;
            for (int r = 0; r < EMU_RESET_KIND_COUNT; r++)
                total += m->d.resets[r];
            if (stop->resets && total - resets_at_start >= stop->resets) {
                m->stop_reason = EMU_STOP_RESETS;
                break;
            }
            m->stop_now = false;
            continue;
        }
        if (m->stop_now)
            break;
        if (e == UC_ERR_OK && m->spinning) {
            bool ok = sleep_until_wakeup(m, true);
            m->spinning = false;
            if (!ok)
                break;
            continue;
        }
        if (e == UC_ERR_OK) {
            if (is_wfi_before(m, pc)) {
                if (!sleep_until_wakeup(m, false))
                    break;
                continue;
            }
            continue;                        /* spurious return: resume */
        }
        if (e == UC_ERR_READ_UNMAPPED || e == UC_ERR_WRITE_UNMAPPED || e == UC_ERR_FETCH_UNMAPPED ||
            e == UC_ERR_READ_PROT || e == UC_ERR_WRITE_PROT || e == UC_ERR_FETCH_PROT) {
            raise_mem_fault(m, e, m->cfg.trace_code ? m->last_insn_pc : pc);
            continue;
        }
        if (e == UC_ERR_INSN_INVALID) {
            /* EPSR.T = 0 (a BX/BLX to an even address): the core cannot execute ARM code, so
             * the next instruction raises INVSTATE (B1.4.2), not UNDEFINSTR. */
            bool t = (reg(m, UC_ARM_REG_XPSR) >> 24) & 1;
            cm_fault(&m->cm, CM_EXC_USAGEFAULT, t ? CFSR_UNDEFINSTR : CFSR_INVSTATE, 0, 0, pc);
            after_fault(m);
            continue;
        }
        if (e == UC_ERR_EXCEPTION) {
            cm_fault(&m->cm, CM_EXC_USAGEFAULT, CFSR_INVSTATE, 0, 0, pc);
            after_fault(m);
            continue;
        }
        snprintf(m->err, sizeof m->err, "CPU error at 0x%08x: %s", pc, uc_strerror(e));
        m->stop_reason = EMU_STOP_ERROR;
        rc = EMU_ERR_UNICORN;
        break;
    }
    m->stop_now = false;
    m->stop = NULL;
    m->run_budget_end = UINT64_MAX;
    res->reason = m->stop_reason;
    res->exit_code = m->exit_code;
    res->time_ns = emu_time_ns(m);
    res->insns = m->d.insns;
    res->pc = reg(m, UC_ARM_REG_PC);
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
        } else if (host_ptr(m, s->paddr, s->filesz)) {
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
            memcpy(host_ptr(m, s->paddr, s->filesz), s->data, s->filesz);
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

/* ---- snapshots ------------------------------------------------------------------------- */

struct emu_snapshot {
    uc_context *ctx;
    uint8_t *ram[EMU_MAX_RAM];
    void *flash;
    uint8_t *periph[EMU_MAX_PERIPH];
    cm_state_t cm;
    emu_dyn_t d;
    emu_event_t *ev;
    char *console;
};

void emu_snapshot_free(emu_snapshot_t *s)
{
    if (!s)
        return;
    if (s->ctx)
        uc_context_free(s->ctx);
    for (int i = 0; i < EMU_MAX_RAM; i++)
        free(s->ram[i]);
    for (int i = 0; i < EMU_MAX_PERIPH; i++)
        free(s->periph[i]);
    free(s->flash);
    free(s->ev);
    free(s->console);
    free(s);
}

/* ---- flash dependence tracking --------------------------------------------------------------
 * Loads: the flash is re-mapped without read permission, which also drops every cached page
 * translation of it (uc_mem_unmap flushes the flash's TLB pages and keeps translated code:
 * measured ~0.3 ms for 1 MiB; uc_mem_protect alone does not reliably drop them in 2.0.1, so a
 * second begin would miss loads from pages cached since: test_track). The first load of each
 * page then traps into hook_mem_invalid (READ_PROT), which records it and lets Unicorn go on:
 * Unicorn caches the page as readable, so later loads run at full speed. Fetches need no
 * permission trick: the block hook sees them. Begin and end are called between runs. */
int emu_track_begin(emu_machine_t *m)
{
    int rc = flash_track_begin(m->flash, m->page_size);
    if (rc != FLASH_OK) {
        snprintf(m->err, sizeof m->err, "flash tracking: %s", flash_strerror(rc));
        return rc == FLASH_ERR_NOMEM ? EMU_ERR_NOMEM : EMU_ERR_ARG;
    }
    uc_err e = uc_mem_unmap(m->uc, m->flash_base, m->flash_len);
    if (e == UC_ERR_OK)
        e = uc_mem_map_ptr(m->uc, m->flash_base, m->flash_len, UC_PROT_EXEC, m->flash_mem);
    if (e != UC_ERR_OK) {
        snprintf(m->err, sizeof m->err, "re-mapping flash: %s", uc_strerror(e));
        flash_track_end(m->flash);
        (void)uc_mem_map_ptr(m->uc, m->flash_base, m->flash_len, UC_PROT_READ | UC_PROT_EXEC, m->flash_mem);
        return EMU_ERR_UNICORN;
    }
    m->tracking = true;
    return EMU_OK;
}

void emu_track_end(emu_machine_t *m)
{
    if (!m->tracking)
        return;
    m->tracking = false;
    flash_track_end(m->flash);
    uc_mem_protect(m->uc, m->flash_base, m->flash_len, UC_PROT_READ | UC_PROT_EXEC);
}

void emu_track_use(emu_machine_t *m, uint32_t addr, uint32_t len)
{
    flash_track_use(m->flash, addr, len);       /* records only while tracking */
}

uint32_t emu_track_granule(const emu_machine_t *m) { return m->page_size; }

/* ---- fingerprint --------------------------------------------------------------------------- */

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

void emu_fingerprint(emu_machine_t *m, unsigned flags, emu_feed_fn feed, void *ctx)
{
    uint64_t now = emu_time_ns(m);
    /* CPU: the architectural registers (R0-R12, SP banks, LR, PC, xPSR, special registers,
     * the FP registers and FPSCR). */
    static const int regs[] = {
        UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4, UC_ARM_REG_R5,
        UC_ARM_REG_R6, UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10, UC_ARM_REG_R11,
        UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_PC, UC_ARM_REG_XPSR,
        UC_ARM_REG_MSP, UC_ARM_REG_PSP, UC_ARM_REG_CONTROL, UC_ARM_REG_PRIMASK, UC_ARM_REG_BASEPRI,
        UC_ARM_REG_FAULTMASK, UC_ARM_REG_FPSCR,
        UC_ARM_REG_S0, UC_ARM_REG_S1, UC_ARM_REG_S2, UC_ARM_REG_S3, UC_ARM_REG_S4, UC_ARM_REG_S5,
        UC_ARM_REG_S6, UC_ARM_REG_S7, UC_ARM_REG_S8, UC_ARM_REG_S9, UC_ARM_REG_S10, UC_ARM_REG_S11,
        UC_ARM_REG_S12, UC_ARM_REG_S13, UC_ARM_REG_S14, UC_ARM_REG_S15, UC_ARM_REG_S16,
        UC_ARM_REG_S17, UC_ARM_REG_S18, UC_ARM_REG_S19, UC_ARM_REG_S20, UC_ARM_REG_S21,
        UC_ARM_REG_S22, UC_ARM_REG_S23, UC_ARM_REG_S24, UC_ARM_REG_S25, UC_ARM_REG_S26,
        UC_ARM_REG_S27, UC_ARM_REG_S28, UC_ARM_REG_S29, UC_ARM_REG_S30, UC_ARM_REG_S31,
    };
    enum { NREGS = sizeof regs / sizeof regs[0] };
    uint32_t val[NREGS];
    for (size_t i = 0; i < NREGS; i++) {
        val[i] = 0;
        uc_reg_read(m->uc, regs[i], &val[i]);
    }
    feed(ctx, val, sizeof val);
    for (int i = 0; i < m->nram; i++)
        feed(ctx, m->ram[i].mem, m->ram[i].size);
    if (!(flags & EMU_FP_NO_FLASH_DATA))
        feed(ctx, flash_mem(m->flash), flash_size(m->flash));
    flash_stats_t fs;
    flash_stats(m->flash, &fs);
    feed(ctx, &fs.defects, sizeof fs.defects);          /* expectations read it (no_reprogram) */
    /* core: SysTick's reload time relative to now */
    cm_state_t cs;
    memcpy(&cs, &m->cm.s, sizeof cs);   /* padding bytes too (struct assignment may skip them) */
    cs.syst_base_ns = (cs.syst_csr & 1u) && cs.syst_rvr ? now - cs.syst_base_ns : 0;   /* read only while running */
    feed(ctx, &cs, sizeof cs);
    for (int i = 0; i < m->nperiph; i++) {
        periph_t *p = m->periph[i];
        if (p->ops->fingerprint)
            p->ops->fingerprint(p, now, feed, ctx);
        else if (p->ops->state_size)
            feed(ctx, p->ops->state(p), p->ops->state_size);
    }
    /* time base: execution time is floor((insns - insn_base) * 1e9 / hz) + a base, so how the
     * next instructions map to time depends on that difference modulo hz / gcd(hz, 1e9) */
    uint64_t hz = m->cfg.core_hz ? m->cfg.core_hz : 1;
    uint64_t phase = (m->d.insns - m->d.insn_base) % (hz / gcd_u64(hz, 1000000000u));
    struct {
        uint64_t phase, faults, lockups, console_total;
        uint32_t resets[EMU_RESET_KIND_COUNT];
        uint32_t marker;
        uint64_t con_match;
        uint8_t powered, app_running, vtor_in_app, reset_pending, power_cut, bus_fault_pending;
    } dyn;
    memset(&dyn, 0, sizeof dyn);
    dyn.phase = phase;
    dyn.faults = m->d.faults;
    dyn.lockups = m->d.lockups;
    dyn.console_total = m->d.console_total;
    memcpy(dyn.resets, m->d.resets, sizeof dyn.resets);
    dyn.marker = m->d.marker;
    dyn.con_match = m->d.con_match;
    dyn.powered = m->d.powered;
    dyn.app_running = m->d.app_running;
    dyn.vtor_in_app = m->d.vtor_in_app;
    dyn.reset_pending = m->reset_pending;
    dyn.power_cut = m->power_cut;
    dyn.bus_fault_pending = m->bus_fault_pending;
    feed(ctx, &dyn, sizeof dyn);
    feed(ctx, m->console, m->d.console_len);
}

int emu_snapshot_save(emu_machine_t *m, emu_snapshot_t **out)
{
    emu_snapshot_t *s = calloc(1, sizeof *s);
    if (!s)
        return EMU_ERR_NOMEM;
    if (uc_context_alloc(m->uc, &s->ctx) != UC_ERR_OK || uc_context_save(m->uc, s->ctx) != UC_ERR_OK)
        goto fail;
    for (int i = 0; i < m->nram; i++) {
        s->ram[i] = malloc(m->ram[i].size);
        if (!s->ram[i])
            goto fail;
        memcpy(s->ram[i], m->ram[i].mem, m->ram[i].size);
    }
    s->flash = malloc(flash_snapshot_size(m->flash));
    if (!s->flash)
        goto fail;
    flash_snapshot_save(m->flash, s->flash);
    for (int i = 0; i < m->nperiph; i++) {
        periph_t *p = m->periph[i];
        size_t n = p->ops->state_size;
        s->periph[i] = malloc(n ? n : 1);
        if (!s->periph[i])
            goto fail;
        if (n)
            memcpy(s->periph[i], p->ops->state(p), n);
    }
    s->cm = m->cm.s;
    s->d = m->d;
    s->ev = malloc(m->cfg.event_capacity * sizeof *s->ev);
    s->console = malloc(m->cfg.console_capacity + 1);
    if (!s->ev || !s->console)
        goto fail;
    memcpy(s->ev, m->ev, m->cfg.event_capacity * sizeof *s->ev);
    memcpy(s->console, m->console, m->cfg.console_capacity + 1);
    *out = s;
    return EMU_OK;
fail:
    emu_snapshot_free(s);
    return EMU_ERR_NOMEM;
}

int emu_snapshot_restore(emu_machine_t *m, const emu_snapshot_t *s)
{
    if (uc_context_restore(m->uc, s->ctx) != UC_ERR_OK)
        return EMU_ERR_UNICORN;
    for (int i = 0; i < m->nram; i++) {
        memcpy(m->ram[i].mem, s->ram[i], m->ram[i].size);
        uc_ctl_remove_cache(m->uc, m->ram[i].base, (uint64_t)m->ram[i].base + m->ram[i].size);
    }
    flash_snapshot_load(m->flash, s->flash);   /* its change callback drops stale code */
    for (int i = 0; i < m->nperiph; i++) {
        periph_t *p = m->periph[i];
        if (p->ops->state_size)
            memcpy(p->ops->state(p), s->periph[i], p->ops->state_size);
    }
    m->cm.s = s->cm;
    m->d = s->d;
    memcpy(m->ev, s->ev, m->cfg.event_capacity * sizeof *s->ev);
    memcpy(m->console, s->console, m->cfg.console_capacity + 1);
    m->reset_pending = m->power_cut = m->stop_now = m->bus_fault_pending = false;
    recompute_deadline(m);
    return EMU_OK;
}
