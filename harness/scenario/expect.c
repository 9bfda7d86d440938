/*
 * Expectations and evidence: check a scenario's expect block against the machine, and say what
 * was expected, what was found, the event log, the console and the replay command. Contract in
 * session.h.
 */
#include "scenario/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bundled.h"
#include "codec/image.h"
#include "mbed_header.h"
#include "scenario/device.h"
#include "scenario/pattern.h"
#include "server/server.h"

static void hexdigest(const uint8_t *data, size_t len, char out[65])
{
    uint8_t sha[32];
    image_sha256(data, len, sha);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", sha[i]);
}

/* ---- expectations --------------------------------------------------------------------------- */

static scn_hdr_state_t header_state(session_t *ss, uint32_t hdr_addr, uint32_t body_addr, uint32_t body_max)
{
    emu_track_use(ss->m, hdr_addr, MBED_HDR_V2_SIZE);     /* a recovery's verdict may read it */
    uint8_t *mem = flash_mem(emu_flash(ss->m)) + (hdr_addr - ss->l.flash_base);
    if (mbed_hdr_detect(mem, MBED_HDR_V2_SIZE) == MBED_HDR_FMT_ERASED)
        return SCN_HDR_ERASED;
    mbed_hdr_v2_t h;
    if (mbed_hdr_v2_decode(mem, MBED_HDR_V2_SIZE, &h) != MBED_HDR_OK || h.firmware_size == 0 ||
        h.firmware_size > body_max)
        return SCN_HDR_INVALID;
    uint8_t sha[32];
    emu_track_use(ss->m, body_addr, (uint32_t)h.firmware_size);
    image_sha256(flash_mem(emu_flash(ss->m)) + (body_addr - ss->l.flash_base), (size_t)h.firmware_size, sha);
    return memcmp(sha, h.firmware_hash, 32) == 0 ? SCN_HDR_VALID : SCN_HDR_INVALID;
}

static const char *hdr_state_name(scn_hdr_state_t s)
{
    static const char *n[] = { "any", "valid", "invalid", "erased" };
    return n[s];
}

static bool hexeq(const char *hex, const uint8_t d[32])
{
    char h[65];
    for (int i = 0; i < 32; i++)
        snprintf(h + 2 * i, 3, "%02x", d[i]);
    return strcmp(hex, h) == 0;
}

/* Check `expect` against the machine now. Returns true when everything holds; otherwise the
 * session's failure is set (first failing expectation) and `why` lists every mismatch. */
bool sess_check_expect(session_t *ss, const scn_expect_t *e, bool sweep_boot)
{
    emu_machine_t *m = ss->m;
    const fw_layout_t *l = &ss->l;
    bool ok = true;
    sbuf_t *w = &ss->why;
#define MISMATCH(...)                                                                         \
    do {                                                                                      \
        char _b[512];                                                                         \
        snprintf(_b, sizeof _b, __VA_ARGS__);                                                 \
        sb_printf(w, "  - %s\n", _b);                                                         \
        if (ok) sess_fail(ss, e->pos, "%s", _b);                                                   \
        ok = false;                                                                           \
    } while (0)
    bool running = emu_app_running(m);
    device_running_t r;
    device_running_info(m, l, &r);
    if (e->bricked == 1 && running)
        MISMATCH("expected a bricked device, found app v%" PRIu64 " running", r.version);
    if (e->bricked == 0 && !running)
        MISMATCH("expected the device not to be bricked, found no app running");
    bool need_running = e->has_running_version || e->has_running_digest || e->running_image || e->n_one_of;
    if (need_running && !running)
        MISMATCH("expected an app running, found none");
    if (running) {
        if (e->has_running_version && (!r.header_valid || r.version != e->running_version))
            MISMATCH("expected app v%" PRIu64 " running, found v%" PRIu64, e->running_version, r.version);
        if (e->has_running_digest && !hexeq(r.digest, e->running_digest))
            MISMATCH("expected the running image's digest to be the given one, found %s", r.digest);
        if (e->running_image) {
            const bundled_image_t *b = bundled_find(e->running_image);
            char d[65] = "";
            if (b)
                hexdigest(b->data, b->size, d);
            if (!b || strcmp(d, r.digest))
                MISMATCH("expected %s running, found image %.16s... (v%" PRIu64 ")", e->running_image,
                         r.digest, r.version);
        }
        if (e->n_one_of) {
            bool in = false;
            for (size_t i = 0; i < e->n_one_of; i++)
                in |= r.header_valid && r.version == e->one_of[i];
            if (!in)
                MISMATCH("app v%" PRIu64 " runs, which is not one of the allowed versions", r.version);
        }
    }
    if (e->active) {
        scn_hdr_state_t s = header_state(ss, l->active_header, l->app_start, l->app_max_size);
        if (s != e->active)
            MISMATCH("expected the active image %s, found it %s", hdr_state_name(e->active), hdr_state_name(s));
    }
    if (e->candidate) {
        scn_hdr_state_t s = header_state(ss, l->candidate_start, l->candidate_start + l->candidate_payload_offset,
                                         fw_layout_candidate_max(l));
        if (s != e->candidate)
            MISMATCH("expected the candidate %s, found it %s", hdr_state_name(e->candidate), hdr_state_name(s));
    }
    uint32_t nres = sess_total_resets(m);
    if (!sweep_boot && e->has_resets && nres != e->resets)
        MISMATCH("expected %u resets, found %u", e->resets, nres);
    if (!sweep_boot && e->has_max_resets && nres > e->max_resets)
        MISMATCH("expected at most %u resets, found %u", e->max_resets, nres);
    for (int k = 0; k < 5 && !sweep_boot; k++) {
        if (e->reset_reasons[k] >= 0 && emu_reset_count(m, (emu_reset_kind_t)k) != (uint32_t)e->reset_reasons[k])
            MISMATCH("expected %d %s resets, found %u", e->reset_reasons[k], emu_reset_kind_name((emu_reset_kind_t)k),
                     emu_reset_count(m, (emu_reset_kind_t)k));
    }
    size_t clen;
    const char *con = emu_console(m, &clen);
    for (size_t i = 0; i < e->ncontains; i++)
        if (!strstr(con, e->contains[i]))
            MISMATCH("expected the console to contain \"%s\"", e->contains[i]);
    for (size_t i = 0; i < e->nnot_contains; i++)
        if (strstr(con, e->not_contains[i]))
            MISMATCH("expected the console not to contain \"%s\"", e->not_contains[i]);
    if (e->matches) {
        pat_t *pat = NULL;
        if (pat_compile(e->matches, &pat, NULL, NULL, 0) != PAT_OK) {
            MISMATCH("console.matches: bad pattern \"%s\"", e->matches);
        } else {
            if (!pat_search(pat, con, strlen(con)))
                MISMATCH("expected the console to match /%s/", e->matches);
            pat_free(pat);
        }
    }
    if (e->no_faults && (emu_fault_count(m) || emu_lockup_count(m)))
        MISMATCH("expected no faults, found %" PRIu64 " faults and %" PRIu64 " lockups", emu_fault_count(m),
                 emu_lockup_count(m));
    flash_stats_t fs;
    flash_stats(emu_flash(m), &fs);
    if (e->no_reprogram && fs.defects)
        MISMATCH("expected no programming of non-erased flash, found %" PRIu64, fs.defects);
    if (e->has_max_time && emu_time_ns(m) > e->max_time_ns)
        MISMATCH("expected at most %.6f s of emulated time, took %.6f s", e->max_time_ns * 1e-9, emu_time_ns(m) * 1e-9);
    if (e->has_max_wear && fs.max_sector_erases > e->max_wear)
        MISMATCH("expected at most %u erases of any sector, found %u", e->max_wear, fs.max_sector_erases);
    for (size_t i = 0; i < e->nupdate_results; i++)
        if (!srv_has_result(ss->srv, e->update_results[i]))
            MISMATCH("expected the device to report \"%s\" to the update server (%zu results posted)",
                     e->update_results[i], srv_result_count(ss->srv));
    for (size_t i = 0; i < e->nno_update_results; i++)
        if (srv_has_result(ss->srv, e->no_update_results[i]))
            MISMATCH("expected the device never to report \"%s\" to the update server", e->no_update_results[i]);
#undef MISMATCH
    return ok;
}

/* ---- evidence --------------------------------------------------------------------------- */

static void event_line(sbuf_t *b, const emu_event_t *ev)
{
    sb_printf(b, "    %10.6f s %-13s pc=0x%08x", ev->time_ns * 1e-9, emu_event_kind_name(ev->kind), ev->pc);
    if (ev->kind == EMU_EV_FLASH_OP || ev->kind == EMU_EV_FLASH_DEFECT || ev->kind == EMU_EV_FLASH_ERROR)
        sb_printf(b, " #%u %s 0x%08x+%u", ev->a.flash.seq, flash_op_kind_name(ev->a.flash.op), ev->a.flash.addr,
                  ev->a.flash.len);
    if (ev->kind == EMU_EV_FAULT || ev->kind == EMU_EV_LOCKUP)
        sb_printf(b, " exc=%u cfsr=0x%08x addr=0x%08x", ev->a.fault.exc, ev->a.fault.cfsr, ev->a.fault.addr);
    if (ev->detail[0])
        sb_printf(b, " %s", ev->detail);
    sb_printf(b, "\n");
}

char *sess_evidence(session_t *ss, const char *replay, bool full)
{
    sbuf_t b = { 0 };
    emu_machine_t *m = ss->m;
    if (ss->why.len)
        sb_printf(&b, "expected vs found:\n%s", ss->why.p);
    device_running_t r;
    device_running_info(m, &ss->l, &r);
    sb_printf(&b, "final state: %s; active header %s (v%" PRIu64 "); %u resets; %.6f s emulated\n",
              emu_app_running(m) ? "app running" : (emu_powered(m) ? "no app running" : "powered off"),
              r.header_valid ? "valid" : "invalid", r.version, sess_total_resets(m), emu_time_ns(m) * 1e-9);
    size_t n = emu_event_count(m), from = (!full && n > 25) ? n - 25 : 0;
    sb_printf(&b, "events (%s%zu of %" PRIu64 "):\n", from ? "last " : "", n - from, emu_event_total(m));
    for (size_t i = from; i < n; i++)
        event_line(&b, emu_event_get(m, i));
    size_t nr = srv_result_count(ss->srv);
    if (nr || srv_state_get(ss->srv)->gets) {
        const srv_state_t *sst = srv_state_get(ss->srv);
        sb_printf(&b, "update server: %u GETs (%" PRIu64 " bytes), %u POSTs, campaign %s; results posted:\n",
                  sst->gets, sst->bytes_served, sst->posts, sst->notify ? "active" : "ended/none");
        for (size_t i = 0; i < nr; i++) {
            uint64_t t;
            const char *txt = srv_result(ss->srv, i, &t);
            sb_printf(&b, "    %10.6f s %s\n", t * 1e-9, txt);
        }
    }
    size_t clen;
    const char *con = emu_console(m, &clen);
    const char *tail = con;
    if (!full && clen > 1200) {
        tail = con + clen - 1200;
        const char *nl = strchr(tail, '\n');
        if (nl) tail = nl + 1;
    }
    sb_printf(&b, "console%s:\n%s%s", tail != con ? " (tail)" : "", tail, (clen && con[clen - 1] != '\n') ? "\n" : "");
    if (replay)
        sb_printf(&b, "replay: %s\n", replay);
    return b.p;
}

void sess_replay_cmd(const session_t *ss, const char *id, char *out, size_t n)
{
    const char *prog = ss->o->program ? ss->o->program : "fwemu";
    const char *file = ss->o->scenario_arg ? ss->o->scenario_arg : ss->s->file;
    char bl[1200] = "";
    if (ss->o->bootloader)
        snprintf(bl, sizeof bl, " --bootloader '%.500s'", ss->o->bootloader);
    if (ss->o->layout)
        snprintf(bl + strlen(bl), sizeof bl - strlen(bl), " --layout '%.500s'", ss->o->layout);
    if (id)
        snprintf(out, n, "%s run %s --seed %" PRIu64 "%s --replay '%s' -v", prog, file, ss->seed, bl, id);
    else
        snprintf(out, n, "%s run %s --seed %" PRIu64 "%s --filter '%s' -v", prog, file, ss->seed, bl, ss->s->name);
}

void sess_fill_digests(session_t *ss, run_verdict_t *v)
{
    const fw_layout_t *l = &ss->l;
    hexdigest(ss->flash0 + (l->bootloader_start - l->flash_base), l->bootloader_size, v->bootloader_digest);
    hexdigest(ss->flash0 + (l->app_start - l->flash_base), l->app_max_size, v->active_digest);
    hexdigest(ss->flash0 + (l->candidate_start - l->flash_base), l->candidate_size, v->candidate_digest);
}

void run_verdict_free(run_verdict_t *v)
{
    free(v->details);
    free(v->console);
    for (size_t i = 0; i < v->ncuts; i++) {
        free(v->cuts[i].message);
        free(v->cuts[i].details);
    }
    free(v->cuts);
    memset(v, 0, sizeof *v);
}
