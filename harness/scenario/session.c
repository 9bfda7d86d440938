/*
 * The step engine's session: the device a scenario describes (flash image built from its setup),
 * the machine it runs on, the flash hook that records every operation and fires cuts. Contract
 * in session.h.
 */
#include "scenario/session.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bundled.h"
#include "codec/image.h"
#include "mbed_header.h"
#include "scenario/device.h"

void sb_printf(sbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->p && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = (b->cap ? b->cap * 2 : 256) + (size_t)n;
        char *np = realloc(b->p, ncap);
        if (!np)
            return;
        b->p = np;
        b->cap = ncap;
    }
}

void sess_fail(session_t *ss, scn_pos_t pos, const char *fmt, ...)
{
    if (ss->failed)
        return;
    ss->failed = true;
    ss->fail_line = pos.line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ss->msg, sizeof ss->msg, fmt, ap);
    va_end(ap);
}

uint32_t sess_total_resets(emu_machine_t *m)
{
    uint32_t n = 0;
    for (int k = 0; k < EMU_RESET_KIND_COUNT; k++)
        n += emu_reset_count(m, (emu_reset_kind_t)k);
    return n;
}

bool sess_op_matches(const session_t *ss, const scn_flash_sel_t *sel, flash_op_kind_t kind,
                       uint32_t addr, uint32_t len)
{
    if (sel->kind == SCN_OPS_ERASE && kind == FLASH_OP_PROGRAM)
        return false;
    if (sel->kind == SCN_OPS_PROGRAM && kind != FLASH_OP_PROGRAM)
        return false;
    if (sel->region != SCN_REGION_NONE) {
        uint32_t a, b;
        scn_region_range(&ss->l, sel->region, &a, &b);
        if (addr + len <= a || addr >= b)
            return false;
    }
    return true;
}

/* The write oracle (always on): the bootloader writes only the active slot, the app only the
 * candidate storage and the KVStore, plus what expect.may_write allows. Who writes: the app once it
 * is recognised running since the last reset, the bootloader before. */
static void check_writer(session_t *ss, const flash_op_t *op)
{
    static const uint32_t own[2] = {
        [SCN_WRITER_BOOTLOADER] = 1u << SCN_REGION_ACTIVE,
        [SCN_WRITER_APP] = 1u << SCN_REGION_CANDIDATE | 1u << SCN_REGION_KVSTORE,
    };
    scn_writer_t who = emu_app_running(ss->m) ? SCN_WRITER_APP : SCN_WRITER_BOOTLOADER;
    uint32_t allowed = own[who] | ss->s->expect.may_write[who];
    uint32_t end = op->addr + op->len;
    for (uint32_t r = SCN_REGION_BOOTLOADER; r <= SCN_REGION_CANDIDATE; r++) {
        uint32_t a, b;
        if (!(allowed & (1u << r)))
            continue;
        scn_region_range(&ss->l, (scn_region_t)r, &a, &b);
        if (op->addr >= a && end <= b)
            return;
    }
    const char *where = "outside every region of the layout";
    for (uint32_t r = SCN_REGION_BOOTLOADER; r <= SCN_REGION_CANDIDATE_PAYLOAD; r++) {
        uint32_t a, b;
        scn_region_range(&ss->l, (scn_region_t)r, &a, &b);
        if (op->addr < b && end > a) {
            where = scn_region_name((scn_region_t)r);
            break;
        }
    }
    if (!ss->failed) {
        sess_fail(ss, ss->step_pos, "write oracle: the %s's %s #%u at 0x%08x+%u touches %s, outside what it may "
                  "write (%s; more with expect.may_write)", who == SCN_WRITER_APP ? "app" : "bootloader",
                  flash_op_kind_name(op->kind), op->seq, op->addr, op->len, where,
                  who == SCN_WRITER_APP ? "candidate, kvstore" : "active");
        ss->violation = true;
        emu_request_stop(ss->m, EMU_STOP_FLASH_OP);
    }
}

static flash_hook_action_t session_hook(void *ctx, flash_hook_phase_t phase, const flash_op_t *op)
{
    session_t *ss = ctx;
    if (phase == FLASH_HOOK_BEFORE) {
        if (ss->nops == ss->capops) {
            size_t nc = ss->capops ? ss->capops * 2 : 256;
            op_rec_t *np = realloc(ss->ops, nc * sizeof *np);
            if (np) { ss->ops = np; ss->capops = nc; }
        }
        if (ss->nops < ss->capops)
            ss->ops[ss->nops++] = (op_rec_t){ op->seq, op->kind, op->addr, op->len,
                                              emu_console_total(ss->m), ss->gen };
        check_writer(ss, op);
        if (ss->cut.armed && op->seq == ss->cut.seq) {
            ss->cut.armed = false;
            ss->cut.fired = true;
            ss->hk.armed = 0;
            return ss->cut.mode == SCN_CUT_BEFORE ? FLASH_HOOK_CUT_BEFORE
                 : ss->cut.mode == SCN_CUT_TORN ? FLASH_HOOK_TORN : FLASH_HOOK_CUT_AFTER;
        }
        if (ss->hk.armed == 1) {
            bool hit = sess_op_matches(ss, &ss->hk.sel, op->kind, op->addr, op->len) &&
                       ++ss->hk.count >= ss->hk.sel.n;
            if (hit) {
                ss->hk.armed = 0;
                ss->hk.fired = true;
                switch (ss->hk.mode) {
                case SCN_CUT_BEFORE: return FLASH_HOOK_CUT_BEFORE;
                case SCN_CUT_TORN: return FLASH_HOOK_TORN;
                default: return FLASH_HOOK_CUT_AFTER;
                }
            }
        } else if (ss->hk.armed == 2) {
            if (sess_op_matches(ss, &ss->hk.sel, op->kind, op->addr, op->len) && ++ss->hk.count >= ss->hk.sel.n) {
                ss->hk.armed = 3;         /* stop once it has completed */
            }
        }
        return FLASH_HOOK_PROCEED;
    }
    if (ss->hk.armed == 3) {
        ss->hk.armed = 0;
        ss->hk.fired = true;
        emu_request_stop(ss->m, EMU_STOP_FLASH_OP);
    }
    if (ss->hooks && ss->hooks->erase_done && op->kind != FLASH_OP_PROGRAM)
        ss->hooks->erase_done(ss->hooks_ctx, ss);
    if (ss->snap_after && ss->snap_next < ss->nsnap_after && op->seq == ss->snap_after[ss->snap_next])
        emu_request_stop(ss->m, EMU_STOP_FLASH_OP);
    return FLASH_HOOK_PROCEED;
}

/* Matching operations already done since power-on (for selectors counted from power-on). */
uint32_t sess_ops_since_poweron(const session_t *ss, const scn_flash_sel_t *sel)
{
    uint32_t n = 0;
    for (size_t i = 0; i < ss->nops; i++)
        if (ss->ops[i].seq >= ss->poweron_seq &&
            sess_op_matches(ss, sel, ss->ops[i].kind, ss->ops[i].addr, ss->ops[i].len))
            n++;
    return n;
}

/* ---- setup: the flash image ------------------------------------------------------------- */

void sess_path_in_dir(const session_t *ss, const char *p, char *out, size_t n)
{
    if (p[0] == '/' || !ss->dir[0])
        snprintf(out, n, "%s", p);
    else
        snprintf(out, n, "%s/%s", ss->dir, p);
}

/* Load a body: bundled name or file (ELF flattened from link_base, or raw). */
int sess_load_body(session_t *ss, const char *image, const char *file, uint32_t link_base,
                     uint8_t **out, size_t *len, uint64_t *bundled_version, char *err, size_t errlen)
{
    if (image) {
        const bundled_image_t *b = bundled_find(image);
        if (!b) {
            snprintf(err, errlen, "no bundled image '%s'", image);
            return -1;
        }
        *out = malloc(b->size ? b->size : 1);
        if (!*out)
            return -1;
        memcpy(*out, b->data, b->size);
        *len = b->size;
        if (bundled_version)
            *bundled_version = b->version;
        return 0;
    }
    char path[2048];
    sess_path_in_dir(ss, file, path, sizeof path);
    return image_load_fw(path, link_base, out, len, err, errlen) == IMAGE_OK ? 0 : -1;
}

void sess_apply_header_override(mbed_hdr_v2_t *h, const scn_header_override_t *o)
{
    if (o->has_magic) h->magic = o->magic;
    if (o->has_header_version) h->header_version = o->header_version;
    if (o->has_version) h->firmware_version = o->version;
    if (o->has_size) h->firmware_size = o->size;
    if (o->has_digest) { memset(h->firmware_hash, 0, 64); memcpy(h->firmware_hash, o->digest, 32); }
    if (o->has_sigsize) h->signature_size = o->signature_size;
}

/* Write a slot (header + body) into a flash image. Header overrides are applied before the CRC
 * is computed (so a scenario can make e.g. a size-too-large header with a good CRC), unless the
 * CRC itself is overridden. */
static int place_slot(session_t *ss, uint8_t *flash, const scn_slot_t *slot, uint32_t hdr_addr,
                      uint32_t body_addr, uint32_t body_max, const char *role, char *err, size_t errlen)
{
    uint8_t *body = NULL;
    size_t len = 0;
    uint64_t bv = 0;
    if (sess_load_body(ss, slot->image, slot->file, ss->l.app_start, &body, &len, &bv, err, errlen))
        return -1;
    if (len > body_max) {
        snprintf(err, errlen, "%s image is %zu bytes; the slot holds %u", role, len, body_max);
        free(body);
        return -1;
    }
    uint32_t base = ss->l.flash_base;
    memset(flash + (hdr_addr - base), 0xFF, body_addr - hdr_addr);
    memcpy(flash + (body_addr - base), body, len);
    if (!slot->no_header) {
        uint8_t sha[32], hdr[MBED_HDR_V2_SIZE];
        image_sha256(body, len, sha);
        mbed_hdr_v2_t h;
        mbed_hdr_v2_init(&h, slot->has_version ? slot->version : bv, len, sha);
        sess_apply_header_override(&h, &slot->hdr);
        if (slot->hdr.has_crc) {
            h.crc = slot->hdr.crc;
            mbed_hdr_v2_encode_raw(&h, hdr);
        } else {
            mbed_hdr_v2_encode(&h, hdr);
        }
        memcpy(flash + (hdr_addr - base), hdr, sizeof hdr);
    }
    free(body);
    return 0;
}

static int build_flash(session_t *ss, uint8_t *flash, char *err, size_t errlen)
{
    const scenario_t *s = ss->s;
    const fw_layout_t *l = &ss->l;
    memset(flash, 0xFF, l->flash_size);
    if (s->setup.base == SCN_BASE_ERASED)
        return 0;
    if (s->setup.base == SCN_BASE_DUMP) {
        char path[2048];
        sess_path_in_dir(ss, s->setup.dump, path, sizeof path);
        uint8_t *d = NULL;
        size_t n = 0;
        if (image_read_file(path, IMAGE_MAX_FILE, &d, &n, err, errlen) != IMAGE_OK)
            return -1;
        if (n != l->flash_size) {
            snprintf(err, errlen, "%.400s: %zu bytes, expected a %u-byte flash dump", path, n, l->flash_size);
            free(d);
            return -1;
        }
        memcpy(flash, d, n);
        free(d);
    } else {
        const char *bl = ss->o->bootloader ? ss->o->bootloader
                       : s->device.bootloader ? s->device.bootloader : "bundled";
        uint8_t *body = NULL;
        size_t len = 0;
        int rc;
        if (!strcmp(bl, "bundled"))
            rc = sess_load_body(ss, "bootloader", NULL, 0, &body, &len, NULL, err, errlen);
        else if (!strncmp(bl, "bundled:", 8)) {
            char name[128];
            snprintf(name, sizeof name, "bootloader_%s", bl + 8);
            rc = sess_load_body(ss, name, NULL, 0, &body, &len, NULL, err, errlen);
            if (rc && !bundled_find(name))
                snprintf(err, errlen, "device.bootloader: no bundled variant '%s'", bl + 8);
        } else
            rc = sess_load_body(ss, NULL, bl, l->bootloader_start, &body, &len, NULL, err, errlen);
        if (rc)
            return -1;
        if (len > l->bootloader_size) {
            snprintf(err, errlen, "bootloader is %zu bytes; its region holds %u", len, l->bootloader_size);
            free(body);
            return -1;
        }
        memcpy(flash + (l->bootloader_start - l->flash_base), body, len);
        free(body);
    }
    if (s->setup.active.present &&
        place_slot(ss, flash, &s->setup.active, l->active_header, l->app_start, l->app_max_size,
                   "active", err, errlen))
        return -1;
    if (s->setup.candidate.present &&
        place_slot(ss, flash, &s->setup.candidate, l->candidate_start,
                   l->candidate_start + l->candidate_payload_offset, fw_layout_candidate_max(l),
                   "candidate", err, errlen))
        return -1;
    return 0;
}

int sess_open(session_t *ss, const scenario_t *s, const run_opts_t *o, char *err, size_t errlen)
{
    memset(ss, 0, sizeof *ss);
    ss->s = s;
    ss->o = o;
    ss->l = s->layout;
    if (!ss->l.flash_size)      /* a scenario_t not made by scenario_load */
        fw_layout_default(&ss->l);
    ss->seed = o->has_seed ? o->seed : (s->device.has_seed ? s->device.seed : 0);
    if (s->file) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", s->file);
        snprintf(ss->dir, sizeof ss->dir, "%s", dirname(tmp));
    }
    ss->flash0 = malloc(ss->l.flash_size);
    if (!ss->flash0)
        return RUN_ERR_INTERNAL;
    if (build_flash(ss, ss->flash0, err, errlen))
        return RUN_ERR_SETUP;
    emu_config_t cfg;
    device_config(&cfg, &ss->l);
    cfg.seed = ss->seed;
    cfg.flash.seed = ss->seed;
    cfg.event_capacity = o->verbose ? 65536 : 1024;
    const scn_device_t *d = &s->device;
    if (d->ram_fill >= 0) cfg.ram_fill = (emu_ram_fill_t)d->ram_fill;
    if (d->watchdog >= 0) cfg.wdog_enabled = d->watchdog != 0;
    if (d->unmapped >= 0) cfg.unmapped = (emu_unmapped_t)d->unmapped;
    if (d->on_reprogram >= 0) cfg.flash.on_reprogram = (flash_reprogram_t)d->on_reprogram;
    if (d->program_time_ns) cfg.flash.t_program_unit_ns = d->program_time_ns;
    if (d->erase_sector_time_ns) cfg.flash.t_erase_sector_ns = d->erase_sector_time_ns;
    if (d->erase_block_time_ns) cfg.flash.t_erase_block_ns = d->erase_block_time_ns;
    if (d->program_unit) cfg.flash.program_unit = d->program_unit;
    if (d->sector_size) {
        cfg.flash.regions[0].sector_size = d->sector_size;
        cfg.flash.regions[0].count = ss->l.flash_size / d->sector_size;
        cfg.flash.region_count = 1;
    }
    if (emu_create(&cfg, &ss->m) != EMU_OK) {
        snprintf(err, errlen, "cannot create the device: %s", emu_create_error());
        return RUN_ERR_SETUP;
    }
    flash_host_write(emu_flash(ss->m), ss->l.flash_base, ss->flash0, ss->l.flash_size);
    emu_set_flash_hook(ss->m, session_hook, ss);
    if (srv_create(&ss->srv) != SRV_OK) {
        snprintf(err, errlen, "out of memory");
        return RUN_ERR_INTERNAL;
    }
    emu_set_net_backend(ss->m, srv_backend(ss->srv));
    return RUN_OK;
}

void sess_close(session_t *ss)
{
    emu_destroy(ss->m);
    srv_destroy(ss->srv);
    for (size_t i = 0; i < ss->npubs; i++) {
        free(ss->pubs[i].manifest);
        free(ss->pubs[i].payload);
    }
    free(ss->pubs);
    free(ss->flash0);
    free(ss->ops);
    free(ss->why.p);
    memset(ss, 0, sizeof *ss);
}
