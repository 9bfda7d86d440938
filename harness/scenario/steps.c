/*
 * The steps of a scenario: boot, run, power_loss, reset, corrupt, stage, repeat, notify.
 * Contract in session.h; the semantics in scenarios/README.md.
 */
#include "scenario/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bundled.h"
#include "codec/image.h"
#include "mbed_header.h"
#include "server/server.h"

/* ---- steps -------------------------------------------------------------------------------- */

static const char *until_text(const scn_until_t *u, char *buf, size_t n)
{
    switch (u->kind) {
    case SCN_UNTIL_APP_RUNNING:
        if (u->has_version) snprintf(buf, n, "app v%" PRIu64 " running", u->version);
        else snprintf(buf, n, "app running");
        break;
    case SCN_UNTIL_RESETS: snprintf(buf, n, "%u resets", u->resets); break;
    case SCN_UNTIL_TIME: snprintf(buf, n, "%.6f s", u->time_ns * 1e-9); break;
    case SCN_UNTIL_FLASH_OP: snprintf(buf, n, "flash operation #%u of its kind", u->op.n); break;
    case SCN_UNTIL_CONSOLE: snprintf(buf, n, "console \"%s\"", u->text); break;
    case SCN_UNTIL_HALT: snprintf(buf, n, "halt"); break;
    }
    return buf;
}

static int corrupt_step(session_t *ss, const scn_step_t *st);

static int stage_step(session_t *ss, const scn_step_t *st);



/* power_loss at a flash operation: arm the hook and run until the cut. -1: the sweep's own cut
 * came first (the steps end there). */
static int power_loss_at_op(session_t *ss, const scn_step_t *st)
{
    char nr[256];
    scn_until_t u = { .kind = SCN_UNTIL_HALT };     /* runs until the cut (or the timeout) */
    ss->hk.armed = 1;
    ss->hk.sel = st->u.power.op;
    ss->hk.mode = st->u.power.mode;
    ss->hk.fired = false;
    ss->hk.count = st->u.power.op.from_power_on ? sess_ops_since_poweron(ss, &st->u.power.op) : 0;
    drive_res_t r = sess_drive(ss, &u, st->pos, nr, sizeof nr);
    if (r == DRIVE_CUT && ss->cut.fired) {
        ss->cut_done = true;
        return -1;
    }
    ss->hk.armed = 0;
    if (r == DRIVE_CUT)
        sess_power_return(ss, st->u.power.off_time_ns, st->u.power.stay_off);
    else if (r != DRIVE_FAILED && r != DRIVE_ERROR)
        sess_fail(ss, st->pos, "power_loss: flash operation #%u of the selected kind never happened (%s)",
                  st->u.power.op.n, nr[0] ? nr : "the device stopped");
    return 0;
}

/* power_loss after N instructions: run them (app starts checked on the way), then cut. */
static void power_loss_at_insns(session_t *ss, const scn_step_t *st)
{
    uint64_t target = emu_insns(ss->m) + st->u.power.insns;
    while (emu_insns(ss->m) < target && !ss->failed) {
        emu_stop_t s2;
        memset(&s2, 0, sizeof s2);
        s2.app_running = true;
        s2.max_insns = target - emu_insns(ss->m);
        emu_result_t res;
        if (emu_run(ss->m, &s2, &res) != EMU_OK) {
            sess_fail(ss, st->pos, "emulator error: %s", emu_last_error(ss->m));
            break;
        }
        if (res.reason != EMU_STOP_APP_RUNNING)
            break;   /* budget used (the machine stops before the block that would pass it),
                      * halted or cut: cut power now */
        sess_check_invariant(ss, st->pos);
    }
    if (!ss->failed && !ss->cut.fired)
        sess_power_return(ss, st->u.power.off_time_ns, st->u.power.stay_off);
}

/* The power_loss step. -1: the sweep's own cut came first (the steps end there). */
static int power_loss_step(session_t *ss, const scn_step_t *st)
{
    if (!emu_powered(ss->m))
        sess_power_on(ss);
    switch (st->u.power.at) {
    case SCN_AT_NOW:
        sess_power_return(ss, st->u.power.off_time_ns, st->u.power.stay_off);
        return 0;
    case SCN_AT_FLASH_OP:
        return power_loss_at_op(ss, st);
    case SCN_AT_TIME: {
        char nr[256];
        scn_until_t u = { .kind = SCN_UNTIL_TIME, .time_ns = st->u.power.time_ns,
                          .timeout_ns = st->u.power.time_ns + 1 };
        drive_res_t r = sess_drive(ss, &u, st->pos, nr, sizeof nr);
        if (r == DRIVE_REACHED || r == DRIVE_NOT_REACHED)
            sess_power_return(ss, st->u.power.off_time_ns, st->u.power.stay_off);
        return 0;
    }
    default:
        power_loss_at_insns(ss, st);
        return 0;
    }
}

/* Execute steps; returns false when the scenario failed (message set). `last` tells whether the
 * final step of the scenario is among them (a timeout there may be the expected brick). */
bool sess_exec_steps(session_t *ss, const scn_step_t *steps, size_t n, bool last_level)
{
    char nr[256], ut[128];
    for (size_t i = 0; i < n && !ss->failed; i++) {
        const scn_step_t *st = &steps[i];
        bool is_last = last_level && i + 1 == n;
        ss->step_pos = st->pos;
        switch (st->kind) {
        case SCN_STEP_BOOT:
        case SCN_STEP_RUN: {
            if (!emu_powered(ss->m)) {
                if (st->kind == SCN_STEP_RUN) {
                    sess_fail(ss, st->pos, "run: the device is powered off (use boot)");
                    return false;
                }
                sess_power_on(ss);
            }
            drive_res_t r = sess_drive(ss, &st->u.until, st->pos, nr, sizeof nr);
            if (r == DRIVE_NOT_REACHED) {
                if (is_last && ss->s->expect.bricked == 1)
                    break;                       /* the expected brick: checked by expect */
                char vs[128];
                sess_note_versions(ss, vs, sizeof vs);
                sess_fail(ss, st->pos, "%s until %s: %s (apps started: %s)", scn_step_kind_name(st->kind),
                     until_text(&st->u.until, ut, sizeof ut), nr, vs);
            } else if (r == DRIVE_CUT) {
                if (ss->cut.fired) {
                    ss->cut_done = true;
                    return false;
                }
                sess_fail(ss, st->pos, "power was cut unexpectedly");
            }
            break;
        }
        case SCN_STEP_POWER_LOSS:
            if (power_loss_step(ss, st))
                return false;                    /* the sweep's cut came first */
            break;
        case SCN_STEP_RESET:
            if (!emu_powered(ss->m)) {
                sess_fail(ss, st->pos, "reset: the device is powered off");
                return false;
            }
            emu_reset(ss->m, (emu_reset_kind_t)st->u.reset.kind);
            break;
        case SCN_STEP_CORRUPT:
            if (corrupt_step(ss, st))
                return false;
            break;
        case SCN_STEP_STAGE:
            if (stage_step(ss, st))
                return false;
            break;
        case SCN_STEP_REPEAT:
            for (uint32_t k = 0; k < st->u.repeat.count && !ss->failed; k++)
                sess_exec_steps(ss, st->u.repeat.steps, st->u.repeat.nsteps,
                           is_last && k + 1 == st->u.repeat.count);
            break;
        case SCN_STEP_PUBLISH:
            if (sess_publish_step(ss, st))
                return false;
            break;
        case SCN_STEP_NOTIFY: {
            const srv_state_t *sst = srv_state_get(ss->srv);
            srv_campaign(ss->srv, sst->has_campaign_version, sst->campaign_version);
            emu_net_notify(ss->m);
            break;
        }
        case SCN_STEP_SERVER:
            sess_server_step(ss, st);
            break;
        }
        if (st->kind != SCN_STEP_BOOT && st->kind != SCN_STEP_RUN && st->kind != SCN_STEP_REPEAT)
            ss->gen++;                   /* the world changed outside a machine run */
        if (ss->cut.fired) {
            ss->cut_done = true;
            return false;
        }
    }
    return !ss->failed;
}

static int field_offset(scn_field_t f, unsigned *size)
{
    switch (f) {
    case SCN_FIELD_MAGIC: *size = 4; return 0;
    case SCN_FIELD_HEADER_VERSION: *size = 4; return 4;
    case SCN_FIELD_VERSION: *size = 8; return 8;
    case SCN_FIELD_SIZE: *size = 8; return 16;
    case SCN_FIELD_DIGEST: *size = 32; return 24;
    case SCN_FIELD_CAMPAIGN: *size = 16; return 88;
    case SCN_FIELD_SIGNATURE_SIZE: *size = 4; return 104;
    case SCN_FIELD_CRC: *size = 4; return 108;
    default: *size = 0; return -1;
    }
}

/* Corruption is a host write: no flash operation, no wear, no time. */
static int corrupt_step(session_t *ss, const scn_step_t *st)
{
    flash_t *f = emu_flash(ss->m);
    uint8_t *mem = flash_mem(f);
    uint32_t base = ss->l.flash_base;
    uint32_t a, b;
    scn_region_range(&ss->l, st->u.corrupt.region, &a, &b);
    if (st->u.corrupt.region == SCN_REGION_NONE) {
        a = st->u.corrupt.address;
        b = base + ss->l.flash_size;
    } else {
        a += st->u.corrupt.address;
    }
    if (a < base || a >= base + ss->l.flash_size || a >= b) {
        sess_fail(ss, st->pos, "corrupt: address 0x%08x is outside the %s", a,
             st->u.corrupt.region ? scn_region_name(st->u.corrupt.region) : "flash");
        return -1;
    }
    switch (st->u.corrupt.kind) {
    case SCN_CORRUPT_SET_FIELD:
    case SCN_CORRUPT_XOR_FIELD: {
        unsigned size;
        int off = field_offset(st->u.corrupt.field, &size);
        if (off < 0 || a + (uint32_t)off + size > b) {
            sess_fail(ss, st->pos, "corrupt: no such header field here");
            return -1;
        }
        uint8_t cur[32];
        memcpy(cur, mem + (a - base) + off, size);
        if ((st->u.corrupt.field == SCN_FIELD_DIGEST || st->u.corrupt.field == SCN_FIELD_CAMPAIGN) &&
            st->u.corrupt.kind == SCN_CORRUPT_SET_FIELD) {
            memcpy(cur, st->u.corrupt.digest, size);         /* 32 (digest) or 16 (campaign) bytes */
        } else if (size <= 8) {
            uint64_t v = 0;
            for (unsigned i = 0; i < size; i++)
                v = (v << 8) | cur[i];           /* header integers are big-endian */
            v = st->u.corrupt.kind == SCN_CORRUPT_SET_FIELD ? st->u.corrupt.value : v ^ st->u.corrupt.value;
            for (unsigned i = 0; i < size; i++)
                cur[size - 1 - i] = (uint8_t)(v >> (8 * i));
        } else {
            for (unsigned i = 0; i < size; i++)
                cur[i] ^= (uint8_t)(st->u.corrupt.value >> (8 * (i % 8)));
        }
        flash_host_write(f, a + (uint32_t)off, cur, size);
        break;
    }
    case SCN_CORRUPT_FLIP: {
        uint8_t v = mem[a - base] ^ (uint8_t)(st->u.corrupt.value ? st->u.corrupt.value : 1);
        flash_host_write(f, a, &v, 1);
        break;
    }
    case SCN_CORRUPT_ERASE_SECTOR: {
        /* region form: `address` is N, the Nth sector of the region; address form: the sector
         * containing the address */
        uint32_t addr = a, start, size;
        if (st->u.corrupt.region != SCN_REGION_NONE)
            addr = (a - st->u.corrupt.address) + st->u.corrupt.address * ss->l.sector_size;
        if (flash_sector_of(f, addr, &start, &size) != FLASH_OK || addr >= b) {
            sess_fail(ss, st->pos, "corrupt: no sector %u in the %s", st->u.corrupt.address,
                 scn_region_name(st->u.corrupt.region));
            return -1;
        }
        flash_host_erase(f, start, size);
        break;
    }
    case SCN_CORRUPT_WRITE:
        if (a + st->u.corrupt.nbytes > b) {
            sess_fail(ss, st->pos, "corrupt: %zu bytes at 0x%08x run past the region", st->u.corrupt.nbytes, a);
            return -1;
        }
        flash_host_write(f, a, st->u.corrupt.bytes, (uint32_t)st->u.corrupt.nbytes);
        break;
    case SCN_CORRUPT_TRUNCATE: {
        uint32_t start = (a - st->u.corrupt.address) + st->u.corrupt.length;
        if (start < b)
            flash_host_erase(f, start, b - start);
        break;
    }
    }
    return 0;
}

/* Put a candidate into storage as the update client leaves it: the slot erased, the payload
 * written, the header last (an incomplete write has no header unless asked). */
static int stage_step(session_t *ss, const scn_step_t *st)
{
    char err[512];
    uint8_t *body = NULL;
    size_t len = 0;
    uint64_t bv = 0;
    if (sess_load_body(ss, st->u.stage.image, st->u.stage.file, ss->l.app_start, &body, &len, &bv, err, sizeof err)) {
        sess_fail(ss, st->pos, "stage: %s", err);
        return -1;
    }
    const fw_layout_t *l = &ss->l;
    flash_t *f = emu_flash(ss->m);
    uint32_t pay = l->candidate_start + l->candidate_payload_offset;
    if (len > fw_layout_candidate_max(l)) {
        sess_fail(ss, st->pos, "stage: image is %zu bytes; the candidate slot holds %u", len, fw_layout_candidate_max(l));
        free(body);
        return -1;
    }
    flash_host_erase(f, l->candidate_start, l->candidate_size);
    size_t wlen = len;
    if (st->u.stage.incomplete && st->u.stage.written < len)
        wlen = st->u.stage.written;
    flash_host_write(f, pay, body, (uint32_t)wlen);
    /* the update client writes the header last; the loader sets no_header for an incomplete
     * write unless the scenario asks for the header anyway */
    if (!st->u.stage.no_header) {
        uint8_t sha[32], hdr[MBED_HDR_V2_SIZE];
        image_sha256(body, len, sha);
        mbed_hdr_v2_t h;
        mbed_hdr_v2_init(&h, st->u.stage.has_version ? st->u.stage.version : bv, len, sha);
        sess_apply_header_override(&h, &st->u.stage.hdr);
        if (st->u.stage.hdr.has_crc) {
            h.crc = st->u.stage.hdr.crc;
            mbed_hdr_v2_encode_raw(&h, hdr);
        } else {
            mbed_hdr_v2_encode(&h, hdr);
        }
        flash_host_write(f, l->candidate_start, hdr, sizeof hdr);
    }
    free(body);
    return 0;
}

static const scn_step_t default_boot = { .kind = SCN_STEP_BOOT };

void sess_run_steps(session_t *ss)
{
    if (ss->s->nsteps)
        sess_exec_steps(ss, ss->s->steps, ss->s->nsteps, true);
    else
        sess_exec_steps(ss, &default_boot, 1, true);
}
