/*
 * fwemu machine: the bus. Services for peripherals (emu_bus_t) and the core (cm_host_t), DMA,
 * the memories and the flash's mapping, MMIO routing to peripherals, the unmodelled peripheral
 * pages, the test device, the SCS and PPB, the bit-band aliases, and the board's services
 * (emu_board_ctx_t). Contracts in emu.h, periph.h, board.h and machine_int.h.
 */
#include "machine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        machine_note(m, EMU_EV_NOTE, why);
    m->attention = true;
    uc_emu_stop(m->uc);   /* at once, unlike stop requests: the reset reloads PC, so the rest of
                           * the block never runs (it was counted: time as before) */
}

static void bus_event(void *mv, const emu_event_t *ev) { machine_event((emu_machine_t *)mv, ev); }

static void bus_console(void *mv, int port, uint8_t byte)
{
    (void)port;
    machine_console_put((emu_machine_t *)mv, byte);
}

static void bus_stall_until(void *mv, uint64_t until)
{
    emu_machine_t *m = mv;
    uint64_t now = emu_time_ns(m);
    if (until > now) {
        m->d.stall_ns += until - now;
        m->attention = true;          /* deadlines may have passed */
        machine_update_check(m);
    }
}

static void bus_power_cut(void *mv)
{
    emu_machine_t *m = mv;
    m->power_cut = true;
    m->attention = true;
    uc_emu_stop(m->uc);   /* at once: nothing runs after the cut (power-on reloads PC) */
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
        machine_recompute_deadline(m);
    }
}

void emu_net_link_changed(emu_machine_t *m)
{
    if (m->role[EMU_ROLE_NETDEV] && m->d.powered) {
        netdev_link_changed(m->role[EMU_ROLE_NETDEV]);
        m->attention = true;
        machine_recompute_deadline(m);
    }
}

static void cm_attention(void *mv) { ((emu_machine_t *)mv)->attention = true; }
static void cm_mem_used(void *mv, uint32_t addr, uint32_t len) { emu_track_use(mv, addr, len); }
static void cm_deadline_changed(void *mv) { machine_recompute_deadline((emu_machine_t *)mv); }

void machine_bus_init(emu_machine_t *m)
{
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
}

/* ---- memory ------------------------------------------------------------------------------ */

/* emu_board_ctx_t.map_ram (board.h) */
static int board_map_ram(void *mv, const char *name, uint32_t base, uint32_t size, uint8_t **mem)
{
    emu_machine_t *m = mv;
    if (m->nram >= EMU_MAX_RAM) {
        snprintf(m->err, sizeof m->err, "board %s, %s: more RAMs than EMU_MAX_RAM", m->board->name,
                 name);
        return EMU_ERR_ARG;
    }
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

int emu_mem_read(emu_machine_t *m, uint32_t addr, void *buf, uint32_t len)
{
    emu_track_use(m, addr, len);
    uint8_t *p = machine_host_ptr(m, addr, len);
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

static flash_hook_action_t flash_op_hook(void *ctx, flash_hook_phase_t phase, const flash_op_t *op)
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
            machine_event(m, &ev);
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
    machine_event(m, &ev);
    if (op->defect) {
        ev.kind = EMU_EV_FLASH_DEFECT;
        snprintf(ev.detail, sizeof ev.detail, "program of non-erased unit");
        machine_event(m, &ev);
    }
    if (m->stop && m->stop->flash_ops && flash_log_total(m->flash) >= m->stop->flash_ops)
        machine_request_stop(m, EMU_STOP_FLASH_OP);
    return FLASH_HOOK_PROCEED;
}

void emu_set_flash_hook(emu_machine_t *m, flash_hook_fn fn, void *ctx)
{
    m->user_flash_hook = fn;
    m->user_flash_ctx = ctx;
}

int machine_map_flash(emu_machine_t *m)
{
    flash_set_change_cb(m->flash, flash_changed, m);
    flash_set_hook(m->flash, flash_op_hook, m);
    m->flash_base = m->cfg.flash.base;
    m->flash_len = flash_size(m->flash);
    m->flash_mem = flash_mem(m->flash);
    uc_err e = uc_mem_map_ptr(m->uc, m->flash_base, m->flash_len, UC_PROT_READ | UC_PROT_EXEC,
                              m->flash_mem);
    if (e != UC_ERR_OK) {
        snprintf(m->err, sizeof m->err, "mapping flash: %s", uc_strerror(e));
        return EMU_ERR_UNICORN;
    }
    return EMU_OK;
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
        machine_recompute_deadline(m);
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
        machine_recompute_deadline(m);
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
    machine_event(m, &ev);
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
        machine_event(m, &ev);
        machine_mark_app_running(m, "marker");
    } else if (off == 4) {
        m->exit_code = (int)(uint32_t)v;
        emu_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = EMU_EV_SEMIHOST_EXIT;
        ev.a.marker.value = (uint32_t)v;
        machine_event(m, &ev);
        machine_request_stop(m, EMU_STOP_SEMIHOST_EXIT);
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
    uint8_t *p = machine_host_ptr(m, addr, 1);
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

int machine_map_system(emu_machine_t *m)
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

void machine_board_ctx(emu_machine_t *m, emu_board_ctx_t *ctx)
{
    *ctx = (emu_board_ctx_t){ .m = m, .cfg = &m->cfg, .bus = &m->bus, .flash = m->flash,
                              .net_backend = &m->net_backend, .map_ram = board_map_ram,
                              .add_periph = board_add_periph };
}
