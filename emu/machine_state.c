/*
 * fwemu machine: its state as a whole. Snapshots, fingerprints and flash dependence tracking.
 * Contracts in emu.h.
 */
#include "machine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    machine_recompute_deadline(m);
    return EMU_OK;
}

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
