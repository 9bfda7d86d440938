/*
 * Scenario runner: contract in runner.h; the scenario semantics are documented in
 * scenarios/README.md. One session = one machine driven through a scenario's steps.
 */
#include "scenario/runner.h"

#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec/bundled.h"
#include "codec/delta.h"
#include "scenario/device.h"
#include "codec/image.h"
#include "codec/manifest.h"
#include "mbed_header.h"
#include "server/server.h"

#include <mbedtls/sha256.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#define DEFAULT_TIMEOUT_NS (20ull * 1000000000ull)
#define DEFAULT_OFF_NS (100ull * 1000000ull)
#define NS_PER_MS 1000000ull
#define SNAP_TICK_NS (10ull * NS_PER_MS)   /* timed snapshots while recording a sweep */
/* Size of a cut point's state fingerprint (XXH3-128, cut_state_hash). */
#define CUT_HASH_SIZE 16

/* ---- growable text ------------------------------------------------------------------------ */

typedef struct sbuf { char *p; size_t len, cap; } sbuf_t;

static void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...)
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

/* ---- session ------------------------------------------------------------------------------ */

typedef struct op_rec { uint32_t seq; flash_op_kind_t kind; uint32_t addr, len; uint64_t con; uint32_t gen; } op_rec_t;

/* A publish step's manifest and payload, built once per session. */
typedef struct pub_cache {
    const scn_step_t *step;
    uint8_t *manifest, *payload;
    size_t manifest_len, payload_len;
    bool has_version; uint64_t version;
} pub_cache_t;

#define SESS_MAX_VERSIONS 32

typedef struct session {
    const scenario_t *s;
    const run_opts_t *o;
    fw_layout_t l;
    uint64_t seed;
    emu_machine_t *m;
    char dir[1024];                   /* scenario file's directory */
    uint8_t *flash0;                  /* flash at the start (setup) */

    /* flash hook */
    op_rec_t *ops; size_t nops, capops;   /* every operation since creation */
    bool record;
    uint32_t poweron_seq;             /* flash_log_total at the last power-on */
    struct {
        int armed;                    /* 0 off, 1 cut, 2 stop after (monitor) */
        scn_flash_sel_t sel; uint32_t count;
        scn_cut_mode_t mode;
        bool fired;
    } hk;
    /* snapshot plan (sweeps): stop after these op seqs */
    const uint32_t *snap_after; size_t nsnap_after, snap_next;
    uint64_t snap_tick;               /* next timed snapshot (before a gen's first operation) */
    bool snap_timed;                  /* the snapshot being taken is a timed one */
    void (*snap_cb)(struct session *ss);
    void *snap_ctx;

    bool sweeping;                    /* a cut ends the steps (sweep runs) */
    bool cut_done;
    struct { bool armed, fired; uint32_t seq; scn_cut_mode_t mode; } cut;   /* the sweep's cut */

    /* outcome */
    bool failed;
    bool setup_error;                 /* a step's inputs are missing or invalid (publish) */
    int fail_line;
    char msg[512];
    sbuf_t why;                       /* expected vs found */
    uint32_t app_starts;              /* times the app was recognised as running */
    /* host-side steps change the world between machine runs: a snapshot taken before one of
     * them cannot stand in for a cut after it. gen counts them; snapshots and op records keep it */
    uint32_t gen;
    srv_t *srv;                       /* the update server (docs/update-flow.md) */
    pub_cache_t *pubs; size_t npubs;
    uint64_t versions_ran[SESS_MAX_VERSIONS]; size_t nversions;   /* full: the last slot keeps
                                                  * the newest */
    struct conv_run *conv;            /* recovery sharing (see "recovery sharing"), NULL: off */
} session_t;

static void fail(session_t *ss, scn_pos_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(session_t *ss, scn_pos_t pos, const char *fmt, ...)
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

static uint32_t total_resets(emu_machine_t *m)
{
    uint32_t n = 0;
    for (int k = 0; k < EMU_RESET_KIND_COUNT; k++)
        n += emu_reset_count(m, (emu_reset_kind_t)k);
    return n;
}

static void region_range(const session_t *ss, scn_region_t r, uint32_t *a, uint32_t *b)
{
    scn_region_range(&ss->l, r, a, b);
}

static bool op_matches(const session_t *ss, const scn_flash_sel_t *sel, flash_op_kind_t kind,
                       uint32_t addr, uint32_t len)
{
    if (sel->kind == SCN_OPS_ERASE && kind == FLASH_OP_PROGRAM)
        return false;
    if (sel->kind == SCN_OPS_PROGRAM && kind != FLASH_OP_PROGRAM)
        return false;
    if (sel->region != SCN_REGION_NONE) {
        uint32_t a, b;
        region_range(ss, sel->region, &a, &b);
        if (addr + len <= a || addr >= b)
            return false;
    }
    return true;
}

static void conv_checkpoint_due(session_t *ss);

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
        if (ss->cut.armed && op->seq == ss->cut.seq) {
            ss->cut.armed = false;
            ss->cut.fired = true;
            ss->hk.armed = 0;
            return ss->cut.mode == SCN_CUT_BEFORE ? FLASH_HOOK_CUT_BEFORE
                 : ss->cut.mode == SCN_CUT_TORN ? FLASH_HOOK_TORN : FLASH_HOOK_CUT_AFTER;
        }
        if (ss->hk.armed == 1) {
            bool hit = op_matches(ss, &ss->hk.sel, op->kind, op->addr, op->len) &&
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
            if (op_matches(ss, &ss->hk.sel, op->kind, op->addr, op->len) && ++ss->hk.count >= ss->hk.sel.n) {
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
    if (ss->conv && op->kind != FLASH_OP_PROGRAM)
        conv_checkpoint_due(ss);      /* an erase: where recoveries converge */
    if (ss->snap_after && ss->snap_next < ss->nsnap_after && op->seq == ss->snap_after[ss->snap_next])
        emu_request_stop(ss->m, EMU_STOP_FLASH_OP);
    return FLASH_HOOK_PROCEED;
}

/* Matching operations already done since power-on (for selectors counted from power-on). */
static uint32_t ops_since_poweron(const session_t *ss, const scn_flash_sel_t *sel)
{
    uint32_t n = 0;
    for (size_t i = 0; i < ss->nops; i++)
        if (ss->ops[i].seq >= ss->poweron_seq &&
            op_matches(ss, sel, ss->ops[i].kind, ss->ops[i].addr, ss->ops[i].len))
            n++;
    return n;
}

/* ---- setup: the flash image ------------------------------------------------------------- */

static void path_in_dir(const session_t *ss, const char *p, char *out, size_t n)
{
    if (p[0] == '/' || !ss->dir[0])
        snprintf(out, n, "%s", p);
    else
        snprintf(out, n, "%s/%s", ss->dir, p);
}

/* Load a body: bundled name or file (ELF flattened from link_base, or raw). */
static int load_body(session_t *ss, const char *image, const char *file, uint32_t link_base,
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
    path_in_dir(ss, file, path, sizeof path);
    return image_load_fw(path, link_base, out, len, err, errlen) == IMAGE_OK ? 0 : -1;
}

static void apply_header_override(mbed_hdr_v2_t *h, const scn_header_override_t *o)
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
    if (load_body(ss, slot->image, slot->file, ss->l.app_start, &body, &len, &bv, err, errlen))
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
        apply_header_override(&h, &slot->hdr);
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
        path_in_dir(ss, s->setup.dump, path, sizeof path);
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
            rc = load_body(ss, "bootloader", NULL, 0, &body, &len, NULL, err, errlen);
        else if (!strncmp(bl, "bundled:", 8)) {
            char name[128];
            snprintf(name, sizeof name, "bootloader_%s", bl + 8);
            rc = load_body(ss, name, NULL, 0, &body, &len, NULL, err, errlen);
            if (rc && !bundled_find(name))
                snprintf(err, errlen, "device.bootloader: no bundled variant '%s'", bl + 8);
        } else
            rc = load_body(ss, NULL, bl, l->bootloader_start, &body, &len, NULL, err, errlen);
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

static void hexdigest(const uint8_t *data, size_t len, char out[65])
{
    uint8_t sha[32];
    image_sha256(data, len, sha);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", sha[i]);
}

static int session_open(session_t *ss, const scenario_t *s, const run_opts_t *o, char *err, size_t errlen)
{
    memset(ss, 0, sizeof *ss);
    ss->s = s;
    ss->o = o;
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

static void session_close(session_t *ss)
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

/* ---- driving the machine ------------------------------------------------------------------ */

static void power_on(session_t *ss)
{
    ss->poweron_seq = flash_log_total(emu_flash(ss->m));
    emu_power_on(ss->m);
}

/* The invariant, checked every time the app is recognised as running: the device never starts
 * executing an app image whose digest does not match its header. */
static bool check_invariant(session_t *ss, scn_pos_t pos)
{
    device_running_t r;
    device_running_info(ss->m, &ss->l, &r);
    ss->app_starts++;
    if (r.header_valid) {
        if (ss->nversions == SESS_MAX_VERSIONS)
            ss->nversions--;
        ss->versions_ran[ss->nversions++] = r.version;
    }
    if (!r.header_valid) {
        fail(ss, pos, "invariant violated: the device started the app at 0x%08x without a valid header",
             r.address);
        return false;
    }
    if (!r.digest_matches) {
        fail(ss, pos, "invariant violated: the device started app v%" PRIu64 " whose digest (%.16s...) "
             "does not match its header", r.version, r.digest);
        return false;
    }
    return true;
}

static uint64_t running_version(session_t *ss, bool *valid)
{
    device_running_t r;
    device_running_info(ss->m, &ss->l, &r);
    *valid = r.header_valid;
    return r.version;
}

typedef enum drive_res {
    DRIVE_REACHED = 0, DRIVE_NOT_REACHED, DRIVE_CUT, DRIVE_FAILED, DRIVE_ERROR,
    DRIVE_SHARED                      /* recovery sharing: the rest is a finished recovery's */
} drive_res_t;

typedef struct drive_ctx {            /* what drive() keeps across its runs, for conv_check */
    const scn_until_t *u;
    uint64_t t0, deadline, time_target, con0;
    uint32_t resets0;
} drive_ctx_t;
typedef struct conv_entry {
    uint8_t key[CUT_HASH_SIZE];
    bool used;
    uint32_t boots;
    char outcome[96];
    uint8_t *dead;                    /* bitmap of flash granules untouched in this state that the
                                         rest of the run erased before using them (NULL: none) */
} conv_entry_t;

typedef struct conv_pon {             /* a finished recovery's power-on state */
    uint8_t base[CUT_HASH_SIZE];      /* its key without the flash contents (conv_key) */
    uint8_t content[CUT_HASH_SIZE];   /* the contents of the granules in `live` (live_hash) */
    uint8_t *live;                    /* bitmap: granules the recovery used (not erased first) */
    uint32_t ngran;
    uint32_t boots;
    char outcome[96];
} conv_pon_t;

typedef struct conv_table {           /* shared by a sweep's workers, under the worker lock */
    conv_entry_t *e;
    size_t cap, n;
    conv_pon_t *pon;
    size_t npon, cappon;
} conv_table_t;

typedef struct conv_run {             /* one worker's current recovery */
    conv_table_t *table;
    pthread_mutex_t *lock;
    bool active;                      /* inside recover(): checkpoints count (not while reaching a cut) */
    bool due;                         /* an erase just completed: check at the stop */
    uint32_t hit_boots;
    char hit_outcome[96];
    uint8_t (*keys)[CUT_HASH_SIZE];   /* this recovery's checkpoints so far */
    uint8_t **nones;                  /* per checkpoint: bitmap of the granules untouched then */
    size_t nkeys, capkeys;
    /* the recovery's own counters (recover()) */
    uint32_t mode, boot, resets0;
    uint64_t t0;
    /* its power-on state (flash dependence tracking, emu_track_begin) */
    bool tracking;                    /* tracking since power-on */
    bool pon_due;                     /* compare the power-on state at the next drive() */
    bool pon_have;                    /* pon_base and ghash hold it */
    uint8_t pon_base[CUT_HASH_SIZE];
    uint64_t *ghash;                  /* per granule: hash of its contents at power-on */
    uint32_t ngran;
    uint8_t *hit_dead;                /* the entry it ended on: its dead bitmap (copy), or NULL */
} conv_run_t;

static bool conv_check(session_t *ss, const drive_ctx_t *dc);
static bool conv_poweron(session_t *ss, const drive_ctx_t *dc);
static void conv_publish(session_t *ss, const struct run_cut *rc);

/* Run until `u` holds (or the device's power is cut by an armed hook, or the invariant fails).
 * not_reached receives a description when the condition was not reached. */
/* No flash operation yet since the last host step (the op log's newest entry is older). */
static bool first_op_pending(const session_t *ss)
{
    return !(ss->nops && ss->ops[ss->nops - 1].gen == ss->gen);
}

static drive_res_t drive(session_t *ss, const scn_until_t *u, scn_pos_t pos, char *not_reached, size_t nlen)
{
    emu_machine_t *m = ss->m;
    uint64_t t0 = emu_time_ns(m);
    uint64_t deadline = t0 + (u->timeout_ns ? u->timeout_ns : DEFAULT_TIMEOUT_NS);
    uint32_t resets0 = total_resets(m);
    uint64_t con0 = emu_console_total(m);
    uint64_t time_target = u->kind == SCN_UNTIL_TIME ? t0 + u->time_ns : 0;
    not_reached[0] = 0;
    if (ss->conv && ss->conv->pon_due) {
        /* a recovery's power-on: the rest may be a finished recovery's (recovery sharing) */
        ss->conv->pon_due = false;
        drive_ctx_t dc = { u, t0, deadline, time_target, con0, resets0 };
        if (conv_poweron(ss, &dc))
            return DRIVE_SHARED;
    }
    if (u->kind == SCN_UNTIL_FLASH_OP) {
        ss->hk.armed = 2;
        ss->hk.sel = u->op;
        ss->hk.count = u->op.from_power_on ? ops_since_poweron(ss, &u->op) : 0;
        ss->hk.fired = false;
        if (ss->hk.count >= u->op.n) {
            ss->hk.armed = 0;
            return DRIVE_REACHED;
        }
    }
    if (u->kind == SCN_UNTIL_APP_RUNNING && emu_app_running(m)) {
        bool valid;
        uint64_t v = running_version(ss, &valid);
        if (!u->has_version || (valid && v == u->version))
            return DRIVE_REACHED;
    }
    for (;;) {
        emu_stop_t st;
        memset(&st, 0, sizeof st);
        st.app_running = true;
        st.time_ns = deadline;
        if (time_target && time_target < st.time_ns)
            st.time_ns = time_target;
        /* sweep recording: until the first flash operation since the last host step, a snapshot
         * every SNAP_TICK_NS (the latest one kept), so that a cut at that operation does not
         * re-run everything before it (an update's signature check, say) */
        if (ss->snap_after && first_op_pending(ss)) {
            if (!ss->snap_tick)
                ss->snap_tick = emu_time_ns(m) + SNAP_TICK_NS;
            if (ss->snap_tick < st.time_ns)
                st.time_ns = ss->snap_tick;
        }
        if (u->kind == SCN_UNTIL_RESETS) {
            uint32_t done = total_resets(m) - resets0;
            if (done >= u->resets)
                return DRIVE_REACHED;
            st.resets = u->resets - done;
        }
        if (u->kind == SCN_UNTIL_CONSOLE)
            st.console_text = u->text;
        if (u->kind == SCN_UNTIL_APP_RUNNING || u->kind == SCN_UNTIL_HALT) {
            /* a device that keeps resetting without the app running is in a reset loop */
            uint32_t done = total_resets(m) - resets0;
            if (done >= 12) {
                snprintf(not_reached, nlen, "reset loop: %u resets without the app running", done);
                return DRIVE_NOT_REACHED;
            }
            st.resets = 12 - done;
        }
        st.max_insns = 4000000000ull;
        emu_result_t res;
        if (emu_run(m, &st, &res) != EMU_OK) {
            fail(ss, pos, "emulator error: %s", emu_last_error(m));
            return DRIVE_ERROR;
        }
        /* sweep snapshot points: right after the planned operations, whatever stopped the run
         * there (the stop the flash hook asked for may come together with another one) */
        while (ss->snap_after && ss->snap_next < ss->nsnap_after &&
               flash_log_total(emu_flash(m)) > ss->snap_after[ss->snap_next]) {
            if (flash_log_total(emu_flash(m)) == ss->snap_after[ss->snap_next] + 1)
                ss->snap_cb(ss);
            ss->snap_next++;
        }
        switch (res.reason) {
        case EMU_STOP_APP_RUNNING:
            if (!check_invariant(ss, pos))
                return DRIVE_FAILED;
            if (u->kind == SCN_UNTIL_APP_RUNNING) {
                bool valid;
                uint64_t v = running_version(ss, &valid);
                if (!u->has_version || (valid && v == u->version))
                    return DRIVE_REACHED;
            }
            continue;
        case EMU_STOP_RESETS:
            if (u->kind == SCN_UNTIL_RESETS)
                return DRIVE_REACHED;
            snprintf(not_reached, nlen, "reset loop: %u resets without the app running",
                     total_resets(m) - resets0);
            return DRIVE_NOT_REACHED;
        case EMU_STOP_TIME:
            if (time_target && emu_time_ns(m) >= time_target)
                return DRIVE_REACHED;
            if (ss->snap_tick && emu_time_ns(m) < deadline) {   /* not the deadline: the tick */
                if (ss->snap_after && first_op_pending(ss)) {
                    ss->snap_timed = true;
                    ss->snap_cb(ss);
                    ss->snap_timed = false;
                }
                ss->snap_tick = emu_time_ns(m) + SNAP_TICK_NS;
                continue;
            }
            snprintf(not_reached, nlen, "not reached within %.3f s of emulated time",
                     (deadline - t0) * 1e-9);
            return DRIVE_NOT_REACHED;
        case EMU_STOP_FLASH_OP:
            if (u->kind == SCN_UNTIL_FLASH_OP && ss->hk.fired)
                return DRIVE_REACHED;
            if (ss->conv && ss->conv->active) {
                drive_ctx_t dc = { u, t0, deadline, time_target, con0, resets0 };
                if (conv_check(ss, &dc))
                    return DRIVE_SHARED;
            }
            continue;
        case EMU_STOP_CONSOLE: {
            size_t len;
            const char *c = emu_console(m, &len);
            uint64_t first = emu_console_total(m) - len;
            size_t from = con0 > first ? (size_t)(con0 - first) : 0;
            if (from <= len && strstr(c + from, u->text))
                return DRIVE_REACHED;
            continue;
        }
        case EMU_STOP_HALT:
            if (u->kind == SCN_UNTIL_HALT)
                return DRIVE_REACHED;
            snprintf(not_reached, nlen, "the device halted (WFI with nothing to wake it) at pc 0x%08x",
                     res.pc);
            return DRIVE_NOT_REACHED;
        case EMU_STOP_POWER_CUT:
            return DRIVE_CUT;
        case EMU_STOP_SEMIHOST_EXIT:
            snprintf(not_reached, nlen, "the firmware exited through semihosting (code %d)", res.exit_code);
            return DRIVE_NOT_REACHED;
        case EMU_STOP_BUDGET:
            snprintf(not_reached, nlen, "instruction budget used up");
            return DRIVE_NOT_REACHED;
        case EMU_STOP_LOCKUP:
        case EMU_STOP_FAULT:
            snprintf(not_reached, nlen, "the core stopped on a fault");
            return DRIVE_NOT_REACHED;
        default:
            fail(ss, pos, "emulator stopped unexpectedly (%s): %s", emu_stop_reason_name(res.reason),
                 emu_last_error(m));
            return DRIVE_ERROR;
        }
    }
}

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

static void note_versions(session_t *ss, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = 0;
    for (size_t i = 0; i < ss->nversions && off + 24 < n; i++)
        off += (size_t)snprintf(buf + off, n - off, "%sv%" PRIu64, i ? ", " : "", ss->versions_ran[i]);
    if (!ss->nversions)
        snprintf(buf, n, "none");
}

static void power_return(session_t *ss, uint64_t off_ns, bool stay_off)
{
    emu_power_off(ss->m);
    emu_advance_time(ss->m, off_ns ? off_ns : DEFAULT_OFF_NS);
    if (!stay_off)
        power_on(ss);
}

static int corrupt_step(session_t *ss, const scn_step_t *st);
static int stage_step(session_t *ss, const scn_step_t *st);
static int publish_step(session_t *ss, const scn_step_t *st);
static void server_step(session_t *ss, const scn_step_t *st);

/* Execute steps; returns false when the scenario failed (message set). `last` tells whether the
 * final step of the scenario is among them (a timeout there may be the expected brick). */
static bool exec_steps(session_t *ss, const scn_step_t *steps, size_t n, bool last_level)
{
    char nr[256], ut[128];
    for (size_t i = 0; i < n && !ss->failed; i++) {
        const scn_step_t *st = &steps[i];
        bool is_last = last_level && i + 1 == n;
        switch (st->kind) {
        case SCN_STEP_BOOT:
        case SCN_STEP_RUN: {
            if (!emu_powered(ss->m)) {
                if (st->kind == SCN_STEP_RUN) {
                    fail(ss, st->pos, "run: the device is powered off (use boot)");
                    return false;
                }
                power_on(ss);
            }
            drive_res_t r = drive(ss, &st->u.until, st->pos, nr, sizeof nr);
            if (r == DRIVE_NOT_REACHED) {
                if (is_last && ss->s->expect.bricked == 1)
                    break;                       /* the expected brick: checked by expect */
                char vs[128];
                note_versions(ss, vs, sizeof vs);
                fail(ss, st->pos, "%s until %s: %s (apps started: %s)", scn_step_kind_name(st->kind),
                     until_text(&st->u.until, ut, sizeof ut), nr, vs);
            } else if (r == DRIVE_CUT) {
                if (ss->cut.fired) {
                    ss->cut_done = true;
                    return false;
                }
                fail(ss, st->pos, "power was cut unexpectedly");
            }
            break;
        }
        case SCN_STEP_POWER_LOSS: {
            if (!emu_powered(ss->m))
                power_on(ss);
            scn_until_t u;
            memset(&u, 0, sizeof u);
            if (st->u.power.at == SCN_AT_NOW) {
                power_return(ss, st->u.power.off_time_ns, st->u.power.stay_off);
                break;
            }
            if (st->u.power.at == SCN_AT_FLASH_OP) {
                ss->hk.armed = 1;
                        ss->hk.sel = st->u.power.op;
                ss->hk.mode = st->u.power.mode;
                ss->hk.fired = false;
                ss->hk.count = st->u.power.op.from_power_on ? ops_since_poweron(ss, &st->u.power.op) : 0;
                u.kind = SCN_UNTIL_HALT;        /* runs until the cut (or the timeout) */
                drive_res_t r = drive(ss, &u, st->pos, nr, sizeof nr);
                if (r == DRIVE_CUT && ss->cut.fired) {
                    ss->cut_done = true;        /* the sweep's cut came first */
                    return false;
                }
                ss->hk.armed = 0;
                if (r == DRIVE_CUT) {
                    power_return(ss, st->u.power.off_time_ns, st->u.power.stay_off);
                } else if (r != DRIVE_FAILED && r != DRIVE_ERROR) {
                    fail(ss, st->pos, "power_loss: flash operation #%u of the selected kind never happened (%s)",
                         st->u.power.op.n, nr[0] ? nr : "the device stopped");
                }
                break;
            }
            if (st->u.power.at == SCN_AT_TIME) {
                u.kind = SCN_UNTIL_TIME;
                u.time_ns = st->u.power.time_ns;
                u.timeout_ns = st->u.power.time_ns + 1;
                drive_res_t r = drive(ss, &u, st->pos, nr, sizeof nr);
                if (r == DRIVE_REACHED || r == DRIVE_NOT_REACHED)
                    power_return(ss, st->u.power.off_time_ns, st->u.power.stay_off);
                break;
            }
            /* AT_INSNS: run that many instructions, then cut */
            {
                uint64_t target = emu_insns(ss->m) + st->u.power.insns;
                while (emu_insns(ss->m) < target && !ss->failed) {
                    emu_stop_t s2;
                    memset(&s2, 0, sizeof s2);
                    s2.app_running = true;
                    s2.max_insns = target - emu_insns(ss->m);
                    emu_result_t res;
                    if (emu_run(ss->m, &s2, &res) != EMU_OK) {
                        fail(ss, st->pos, "emulator error: %s", emu_last_error(ss->m));
                        break;
                    }
                    if (res.reason == EMU_STOP_APP_RUNNING)
                        check_invariant(ss, st->pos);
                    else
                        break;   /* budget used (the machine stops before the block that would
                                  * pass it), halted or cut: cut power now */
                }
                if (!ss->failed && !ss->cut.fired)
                    power_return(ss, st->u.power.off_time_ns, st->u.power.stay_off);
            }
            break;
        }
        case SCN_STEP_RESET:
            if (!emu_powered(ss->m)) {
                fail(ss, st->pos, "reset: the device is powered off");
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
                exec_steps(ss, st->u.repeat.steps, st->u.repeat.nsteps,
                           is_last && k + 1 == st->u.repeat.count);
            break;
        case SCN_STEP_PUBLISH:
            if (publish_step(ss, st))
                return false;
            break;
        case SCN_STEP_NOTIFY: {
            const srv_state_t *sst = srv_state_get(ss->srv);
            srv_campaign(ss->srv, sst->has_campaign_version, sst->campaign_version);
            emu_net_notify(ss->m);
            break;
        }
        case SCN_STEP_SERVER:
            server_step(ss, st);
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
    region_range(ss, st->u.corrupt.region, &a, &b);
    if (st->u.corrupt.region == SCN_REGION_NONE) {
        a = st->u.corrupt.address;
        b = base + ss->l.flash_size;
    } else {
        a += st->u.corrupt.address;
    }
    if (a < base || a >= base + ss->l.flash_size || a >= b) {
        fail(ss, st->pos, "corrupt: address 0x%08x is outside the %s", a,
             st->u.corrupt.region ? scn_region_name(st->u.corrupt.region) : "flash");
        return -1;
    }
    switch (st->u.corrupt.kind) {
    case SCN_CORRUPT_SET_FIELD:
    case SCN_CORRUPT_XOR_FIELD: {
        unsigned size;
        int off = field_offset(st->u.corrupt.field, &size);
        if (off < 0 || a + (uint32_t)off + size > b) {
            fail(ss, st->pos, "corrupt: no such header field here");
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
            fail(ss, st->pos, "corrupt: no sector %u in the %s", st->u.corrupt.address,
                 scn_region_name(st->u.corrupt.region));
            return -1;
        }
        flash_host_erase(f, start, size);
        break;
    }
    case SCN_CORRUPT_WRITE:
        if (a + st->u.corrupt.nbytes > b) {
            fail(ss, st->pos, "corrupt: %zu bytes at 0x%08x run past the region", st->u.corrupt.nbytes, a);
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
    if (load_body(ss, st->u.stage.image, st->u.stage.file, ss->l.app_start, &body, &len, &bv, err, sizeof err)) {
        fail(ss, st->pos, "stage: %s", err);
        return -1;
    }
    const fw_layout_t *l = &ss->l;
    flash_t *f = emu_flash(ss->m);
    uint32_t pay = l->candidate_start + l->candidate_payload_offset;
    if (len > fw_layout_candidate_max(l)) {
        fail(ss, st->pos, "stage: image is %zu bytes; the candidate slot holds %u", len, fw_layout_candidate_max(l));
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
        apply_header_override(&h, &st->u.stage.hdr);
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

/* ---- update server steps --------------------------------------------------------------------- */

static int read_scn_file(session_t *ss, const char *name, uint8_t **out, size_t *len, char *err, size_t errlen)
{
    char path[2048];
    path_in_dir(ss, name, path, sizeof path);
    return image_read_file(path, 0, out, len, err, errlen) == IMAGE_OK ? 0 : -1;
}

/* Build the manifest and payload a publish step describes (docs/update-flow.md section 3). */
static int build_publish(session_t *ss, const scn_publish_t *p, pub_cache_t *pc, char *err, size_t errlen)
{
    uint8_t *img = NULL, *old = NULL;
    size_t imglen = 0, oldlen = 0;
    uint64_t bver = 0, oldver = 0;
    int rc = -1;
    mf_key_t *key = NULL;
    if ((p->image || p->file) &&
        load_body(ss, p->image, p->file, ss->l.app_start, &img, &imglen, &bver, err, errlen))
        goto out;
    pc->has_version = p->has_version || p->image;
    pc->version = p->has_version ? p->version : bver;
    bool delta = p->delta_from_image || p->delta_from_file;
    if (delta && load_body(ss, p->delta_from_image, p->delta_from_file, ss->l.app_start, &old, &oldlen, &oldver,
                           err, errlen))
        goto out;
    /* the payload */
    if (p->payload_file) {
        if (read_scn_file(ss, p->payload_file, &pc->payload, &pc->payload_len, err, errlen))
            goto out;
    } else if (delta) {
        delta_opts_t o = { .block_size = p->block_size, .max_ratio = 1.0 };
        int e = p->mutate >= 0
            ? delta_mutate(old, oldlen, img, imglen, &o, (delta_mutation_t)p->mutate, &pc->payload, &pc->payload_len,
                           err, errlen)
            : delta_create(old, oldlen, img, imglen, &o, &pc->payload, &pc->payload_len, err, errlen);
        if (e != DELTA_OK)
            goto out;
    } else if (img) {
        pc->payload = img;
        pc->payload_len = imglen;
        img = NULL;
    }
    /* the manifest */
    if (p->manifest_file) {
        if (read_scn_file(ss, p->manifest_file, &pc->manifest, &pc->manifest_len, err, errlen))
            goto out;
        manifest_t m;
        char e2[128];
        pc->has_version = false;
        if (mf_decode(pc->manifest, pc->manifest_len, &m, e2, sizeof e2) == MF_OK &&
            sscanf(m.version, "%" SCNu64, &pc->version) == 1)
            pc->has_version = true;
        rc = 0;
        goto out;
    }
    manifest_t m;
    mf_init(&m);
    /* version, payload digest and size; the delta metadata comes from the images we hold (a
     * mutated patch does not rebuild NEW, so it cannot be derived by applying the patch) */
    if (mf_describe_payload(&m, pc->version, pc->payload, pc->payload_len, NULL, 0, err, errlen) != MF_OK)
        goto out;
    if (delta) {
        m.format = MF_FORMAT_DELTA;
        m.has_metadata = true;
        m.installed_size = imglen;
        image_sha256(img, imglen, m.installed_digest);
        m.installed_digest_len = 32;
        m.has_precursor = true;
        image_sha256(old, oldlen, m.precursor_digest);
        m.precursor_digest_len = 32;
    }
    if (p->m.has_vendor_id) { memcpy(m.vendor_id, p->m.vendor_id, 16); m.vendor_id_len = 16; }
    if (p->m.has_class_id) { memcpy(m.class_id, p->m.class_id, 16); m.class_id_len = 16; }
    if (p->m.has_version) {
        snprintf(m.version, sizeof m.version, "%" PRIu64, p->m.version);
        pc->version = p->m.version;
        pc->has_version = true;
    }
    if (p->m.has_payload_size) m.payload_size = p->m.payload_size;
    if (p->m.has_payload_digest) memcpy(m.payload_digest, p->m.payload_digest, 32);
    if (p->m.has_format) m.format = p->m.format;
    if (p->m.has_precursor_digest) {
        memcpy(m.precursor_digest, p->m.precursor_digest, 32);
        m.precursor_digest_len = 32;
        m.has_precursor = m.has_metadata = true;
    }
    if (p->m.has_installed_digest) {
        memcpy(m.installed_digest, p->m.installed_digest, 32);
        m.installed_digest_len = 32;
        m.has_metadata = true;
    }
    if (p->m.has_installed_size) {
        m.installed_size = p->m.installed_size;
        m.has_metadata = true;
    }
    if (p->key) {
        char path[2048];
        path_in_dir(ss, p->key, path, sizeof path);
        if (mf_key_load(path, &key, err, errlen) != MF_OK)
            goto out;
    } else {
        size_t klen;
        const uint8_t *k = bundled_dev_key(&klen);
        if (mf_key_parse(k, klen, "bundled development key", &key, err, errlen) != MF_OK)
            goto out;
    }
    if (mf_encode(&m, key, &pc->manifest, &pc->manifest_len, err, errlen) != MF_OK)
        goto out;
    if (p->corrupt_signature && pc->manifest_len)
        pc->manifest[pc->manifest_len - 1] ^= 0x01;   /* the signature is the last field */
    rc = 0;
out:
    mf_key_free(key);
    free(img);
    free(old);
    return rc;
}

static int publish_step(session_t *ss, const scn_step_t *st)
{
    pub_cache_t *pc = NULL;
    for (size_t i = 0; i < ss->npubs; i++)
        if (ss->pubs[i].step == st)
            pc = &ss->pubs[i];
    if (!pc) {
        pub_cache_t *np = realloc(ss->pubs, (ss->npubs + 1) * sizeof *np);
        if (!np) {
            fail(ss, st->pos, "publish: out of memory");
            return -1;
        }
        ss->pubs = np;
        pc = &ss->pubs[ss->npubs];
        memset(pc, 0, sizeof *pc);
        pc->step = st;
        char err[512] = "";
        if (build_publish(ss, &st->u.publish, pc, err, sizeof err)) {
            free(pc->manifest);
            free(pc->payload);
            fail(ss, st->pos, "publish: %s", err[0] ? err : "cannot build the update");
            ss->setup_error = true;
            return -1;
        }
        ss->npubs++;
    }
    if (srv_publish(ss->srv, "manifest", pc->manifest, pc->manifest_len) != SRV_OK ||
        srv_publish(ss->srv, "payload", pc->payload ? pc->payload : (const uint8_t *)"", pc->payload_len) != SRV_OK) {
        fail(ss, st->pos, "publish: out of memory");
        return -1;
    }
    srv_state_t sst = *srv_state_get(ss->srv);
    sst.has_campaign_version = pc->has_version;
    sst.campaign_version = pc->version;
    srv_state_set(ss->srv, &sst);
    return 0;
}

_Static_assert((int)SCN_FAULT_DROP == (int)SRV_FAULT_DROP && (int)SCN_FAULT_STALL == (int)SRV_FAULT_STALL &&
               (int)SCN_FAULT_TRUNCATE == (int)SRV_FAULT_TRUNCATE && (int)SCN_FAULT_CORRUPT == (int)SRV_FAULT_CORRUPT &&
               (int)SCN_FAULT_SERVE == (int)SRV_FAULT_SERVE, "scenario and server fault kinds in the same order");

static void server_step(session_t *ss, const scn_step_t *st)
{
    const scn_server_t *sv = &st->u.server;
    srv_t *s = ss->srv;
    const srv_state_t *cur = srv_state_get(s);
    uint64_t now = emu_time_ns(ss->m);
    if (sv->clear_faults)
        srv_clear_faults(s);
    if (sv->has_rate || sv->has_latency)
        srv_set_rate(s, sv->has_rate ? sv->rate : cur->rate, sv->has_latency ? sv->latency_ns : cur->latency_ns);
    bool down = cur->link_forced_down;
    uint64_t until = cur->link_down_until;
    if (sv->link >= 0)
        down = sv->link == 1;
    if (sv->link_down_for_ns)
        until = now + sv->link_down_for_ns;
    srv_set_link(s, down, until);
    for (size_t i = 0; i < sv->nfaults; i++) {
        const scn_fault_t *f = &sv->faults[i];
        srv_fault_t sf;
        memset(&sf, 0, sizeof sf);
        sf.kind = (srv_fault_kind_t)f->kind;   /* same order (scenario.h / server.h) */
        snprintf(sf.resource, sizeof sf.resource, "%s", f->resource);
        if (f->with)
            snprintf(sf.with, sizeof sf.with, "%s", f->with);
        sf.offset = f->offset;
        sf.length = f->length;
        sf.xor_mask = f->xor_mask;
        sf.for_ns = f->for_ns;
        if (srv_add_fault(s, &sf) != SRV_OK)
            fail(ss, f->pos, "server: more than %d faults at once (use clear_faults)", SRV_MAX_FAULTS);
    }
    emu_net_link_changed(ss->m);
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
static bool check_expect(session_t *ss, const scn_expect_t *e, bool sweep_boot)
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
        if (ok) fail(ss, e->pos, "%s", _b);                                                   \
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
    uint32_t nres = total_resets(m);
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
        regex_t re;
        if (regcomp(&re, e->matches, REG_EXTENDED | REG_NOSUB) != 0) {
            MISMATCH("console.matches: bad regular expression \"%s\"", e->matches);
        } else {
            if (regexec(&re, con, 0, NULL, 0) != 0)
                MISMATCH("expected the console to match /%s/", e->matches);
            regfree(&re);
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

static char *evidence(session_t *ss, const char *replay, bool full)
{
    sbuf_t b = { 0 };
    emu_machine_t *m = ss->m;
    if (ss->why.len)
        sb_printf(&b, "expected vs found:\n%s", ss->why.p);
    device_running_t r;
    device_running_info(m, &ss->l, &r);
    sb_printf(&b, "final state: %s; active header %s (v%" PRIu64 "); %u resets; %.6f s emulated\n",
              emu_app_running(m) ? "app running" : (emu_powered(m) ? "no app running" : "powered off"),
              r.header_valid ? "valid" : "invalid", r.version, total_resets(m), emu_time_ns(m) * 1e-9);
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

static void replay_cmd(const session_t *ss, const char *id, char *out, size_t n)
{
    const char *prog = ss->o->program ? ss->o->program : "fwemu";
    const char *file = ss->o->scenario_arg ? ss->o->scenario_arg : ss->s->file;
    char bl[600] = "";
    if (ss->o->bootloader)
        snprintf(bl, sizeof bl, " --bootloader '%.500s'", ss->o->bootloader);
    if (id)
        snprintf(out, n, "%s run %s --seed %" PRIu64 "%s --replay '%s' -v", prog, file, ss->seed, bl, id);
    else
        snprintf(out, n, "%s run %s --seed %" PRIu64 "%s --filter '%s' -v", prog, file, ss->seed, bl, ss->s->name);
}

static void fill_digests(session_t *ss, run_verdict_t *v)
{
    const fw_layout_t *l = &ss->l;
    hexdigest(ss->flash0 + (l->bootloader_start - l->flash_base), l->bootloader_size, v->bootloader_digest);
    hexdigest(ss->flash0 + (l->app_start - l->flash_base), l->app_max_size, v->active_digest);
    hexdigest(ss->flash0 + (l->candidate_start - l->flash_base), l->candidate_size, v->candidate_digest);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const scn_step_t default_boot = { .kind = SCN_STEP_BOOT };

static void run_steps_all(session_t *ss)
{
    if (ss->s->nsteps)
        exec_steps(ss, ss->s->steps, ss->s->nsteps, true);
    else
        exec_steps(ss, &default_boot, 1, true);
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

static run_progress_fn progress_fn;
static void *progress_ctx;
void run_set_progress(run_progress_fn fn, void *ctx) { progress_fn = fn; progress_ctx = ctx; }

/* ---- sweeps ---------------------------------------------------------------------------------- */

typedef struct cutpt {
    uint32_t seq; flash_op_kind_t kind; uint32_t addr, len; scn_cut_mode_t mode;
    uint32_t gen;                     /* host-step generation at the operation (session_t.gen) */
} cutpt_t;

static const char mode_letter[] = "bat";

static void cut_id(const scenario_t *s, const cutpt_t *c, bool nested, uint32_t seq2, scn_cut_mode_t m2,
                   char *out, size_t n)
{
    if (nested)
        snprintf(out, n, "%s@%u%c/%u%c", s->name, c->seq, mode_letter[c->mode], seq2, mode_letter[m2]);
    else
        snprintf(out, n, "%s@%u%c", s->name, c->seq, mode_letter[c->mode]);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Console offset (absolute) where text first appears at or after `from`, or UINT64_MAX. */
static uint64_t console_find(session_t *ss, const char *text, uint64_t from)
{
    size_t len;
    const char *c = emu_console(ss->m, &len);
    uint64_t first = emu_console_total(ss->m) - len;
    size_t start = from > first ? (size_t)(from - first) : 0;
    if (start > len)
        return UINT64_MAX;
    const char *p = strstr(c + start, text);
    return p ? first + (uint64_t)(p - c) : UINT64_MAX;
}

/* Select operations of a recorded run per the sweep's stretch, filters and selection. */
static int select_ops(session_t *ss, const op_rec_t *ops, size_t nops, const scn_sweep_t *sw,
                      uint32_t min_seq, uint32_t **out, size_t *nout, char *err, size_t errlen)
{
    uint64_t from = 0, to = UINT64_MAX;
    if (sw->from_text) {
        from = console_find(ss, sw->from_text, 0);
        if (from == UINT64_MAX) {
            snprintf(err, errlen, "sweep: the text \"%s\" never appeared on the console", sw->from_text);
            return -1;
        }
    }
    if (sw->to_text) {
        to = console_find(ss, sw->to_text, from == UINT64_MAX ? 0 : from);
        if (to == UINT64_MAX) {
            snprintf(err, errlen, "sweep: the text \"%s\" never appeared on the console", sw->to_text);
            return -1;
        }
    }
    uint32_t *sel = malloc((nops ? nops : 1) * sizeof *sel);
    if (!sel)
        return -1;
    size_t n = 0;
    scn_flash_sel_t f = { .kind = sw->kind, .region = sw->region };
    for (size_t i = 0; i < nops; i++)
        if (ops[i].seq >= min_seq && ops[i].con >= from && ops[i].con < to &&
            op_matches(ss, &f, ops[i].kind, ops[i].addr, ops[i].len))
            sel[n++] = (uint32_t)i;
    if (sw->select == SCN_SWEEP_EVERY_NTH && sw->n > 1) {
        size_t k = 0;
        for (size_t i = 0; i < n; i += sw->n)
            sel[k++] = sel[i];
        n = k;
    } else if (sw->select == SCN_SWEEP_RANDOM && sw->n < n) {
        uint64_t x = ss->seed ^ 0x5157u;
        for (size_t i = 0; i < sw->n; i++) {
            size_t j = i + (size_t)(splitmix64(&x) % (n - i));
            uint32_t t = sel[i]; sel[i] = sel[j]; sel[j] = t;
        }
        n = sw->n;
        for (size_t i = 1; i < n; i++)       /* back to operation order */
            for (size_t j = i; j > 0 && sel[j - 1] > sel[j]; j--) {
                uint32_t t = sel[j]; sel[j] = sel[j - 1]; sel[j - 1] = t;
            }
    }
    *out = sel;
    *nout = n;
    return 0;
}

static void conv_begin(session_t *ss, uint32_t mode, bool poweron);

/* After a cut: power returns and the device boots (up to max_boots times) until expect holds.
 * Fills the cut's pass/boots/outcome; message/details on failure. */
static void recover(session_t *ss, run_cut_t *rc, bool full_evidence, bool powered)
{
    const scenario_t *s = ss->s;
    const scn_expect_t *e = &s->expect;
    uint32_t max_boots = s->sweep.max_boots ? s->sweep.max_boots : 3;
    if (e->has_eventually && e->eventually_boots)
        max_boots = e->eventually_boots;
    scn_until_t u = { .kind = SCN_UNTIL_APP_RUNNING, .timeout_ns = 10ull * 1000000000ull };
    char nr[256];
    bool pass = false;
    uint32_t boot;
    if (!powered)
        power_return(ss, DEFAULT_OFF_NS, false);
    if (e->has_eventually && e->eventually_within_ns) {
        /* an update flow reboots by itself: no power cycles, the version must run in time */
        scn_until_t uv = { .kind = SCN_UNTIL_APP_RUNNING, .has_version = true, .version = e->eventually_version,
                           .timeout_ns = e->eventually_within_ns };
        ss->failed = false;
        ss->why.len = 0;
        if (ss->why.p) ss->why.p[0] = 0;
        uint32_t resets0 = total_resets(ss->m);
        uint64_t t0 = emu_time_ns(ss->m);
        ss->nversions = 0;                           /* the versions that run after the cut */
        if (ss->conv)
            conv_begin(ss, 1, !powered);
        drive_res_t r = drive(ss, &uv, s->sweep.pos, nr, sizeof nr);
        rc->boots = total_resets(ss->m) - resets0 + 1;   /* + the power-on after the cut */
        if (r == DRIVE_SHARED)
            goto shared;
        if (r == DRIVE_REACHED) {
            pass = check_expect(ss, e, true);
            /* every version that ran on the way must be allowed */
            for (size_t i = 0; pass && e->n_one_of && i < ss->nversions; i++) {
                bool in = false;
                for (size_t j = 0; j < e->n_one_of; j++)
                    in |= ss->versions_ran[i] == e->one_of[j];
                if (!in) {
                    fail(ss, e->pos, "app v%" PRIu64 " ran during recovery, which is not one of the allowed versions",
                         ss->versions_ran[i]);
                    pass = false;
                }
            }
            if (pass)
                snprintf(rc->outcome, sizeof rc->outcome, "app v%" PRIu64 " running %.3f s after the cut",
                         e->eventually_version, (emu_time_ns(ss->m) - t0) * 1e-9);
        } else if (r == DRIVE_NOT_REACHED) {
            char vs[128];
            note_versions(ss, vs, sizeof vs);
            fail(ss, e->pos, "app v%" PRIu64 " not running within %.3f s after the cut: %s (apps started: %s)",
                 e->eventually_version, e->eventually_within_ns * 1e-9, nr, vs);
        }
        boot = 1;
        goto done;
    }
    if (ss->conv)
        conv_begin(ss, 2, !powered);
    for (boot = 1; boot <= max_boots; boot++) {
        ss->failed = false;
        ss->why.len = 0;
        if (ss->why.p) ss->why.p[0] = 0;
        if (ss->conv)
            ss->conv->boot = boot;
        drive_res_t r = drive(ss, &u, s->sweep.pos, nr, sizeof nr);
        if (r == DRIVE_SHARED)
            goto shared;
        if (r == DRIVE_FAILED || r == DRIVE_ERROR)
            break;                                   /* invariant or emulator: final */
        if (r == DRIVE_REACHED) {
            bool valid;
            uint64_t v = running_version(ss, &valid);
            if (e->has_eventually && v != e->eventually_version && boot < max_boots) {
                if (e->n_one_of && !check_expect(ss, e, true))
                    break;                           /* a version that must never run */
                power_return(ss, DEFAULT_OFF_NS, false);
                continue;
            }
            if (e->has_eventually && v != e->eventually_version) {
                fail(ss, e->pos, "app v%" PRIu64 " still runs after %u boots; expected v%" PRIu64, v, boot,
                     e->eventually_version);
                break;
            }
            if (check_expect(ss, e, true)) {
                pass = true;
                snprintf(rc->outcome, sizeof rc->outcome, "app v%" PRIu64 " running after %u boot%s", v, boot,
                         boot > 1 ? "s" : "");
                break;
            }
            if (boot < max_boots) {
                power_return(ss, DEFAULT_OFF_NS, false);
                continue;
            }
            break;
        }
        /* no app running */
        if (e->bricked == 1) {
            pass = check_expect(ss, e, true);
            snprintf(rc->outcome, sizeof rc->outcome, "bricked (as expected)");
            break;
        }
        if (boot < max_boots) {
            power_return(ss, DEFAULT_OFF_NS, false);
            continue;
        }
        fail(ss, s->sweep.pos, "bricked: no app runs after %u boot%s (%s)", boot, boot > 1 ? "s" : "", nr);
        break;
    }
    rc->boots = boot > max_boots ? max_boots : boot;
done:
    rc->pass = pass && !ss->failed;
    if (ss->conv)
        conv_publish(ss, rc);
    if (!rc->pass) {
        if (!ss->failed)
            fail(ss, s->sweep.pos, "expectations not met after the cut");
        if (!rc->outcome[0])
            snprintf(rc->outcome, sizeof rc->outcome, "%s", emu_app_running(ss->m) ? "wrong state" : "bricked");
        rc->message = strdup(ss->msg);
        char replay[1400];
        replay_cmd(ss, rc->id, replay, sizeof replay);
        rc->details = evidence(ss, replay, full_evidence);
    }
    return;
shared:
    /* the rest of this recovery is a finished one's (recovery sharing): its verdict */
    rc->pass = true;
    rc->boots = ss->conv->hit_boots;
    snprintf(rc->outcome, sizeof rc->outcome, "%s", ss->conv->hit_outcome);
    conv_publish(ss, rc);
}

/* What the session knows about the run beside the machine, saved and restored with every
 * snapshot so that a cut point run from a snapshot sees exactly the recording at that point
 * (whatever this worker ran before). */
typedef struct sess_marks {
    uint32_t poweron_seq, app_starts, gen;
    bool cut_done;
    size_t nversions;
    uint64_t versions_ran[SESS_MAX_VERSIONS];
    srv_state_t srv;
} sess_marks_t;

static void marks_save(const session_t *ss, sess_marks_t *mk)
{
    memset(mk, 0, sizeof *mk);
    mk->poweron_seq = ss->poweron_seq;
    mk->app_starts = ss->app_starts;
    mk->gen = ss->gen;
    mk->cut_done = ss->cut_done;
    mk->nversions = ss->nversions;
    memcpy(mk->versions_ran, ss->versions_ran, sizeof mk->versions_ran);
    mk->srv = *srv_state_get(ss->srv);
}

static void marks_restore(session_t *ss, const sess_marks_t *mk)
{
    ss->poweron_seq = mk->poweron_seq;
    ss->app_starts = mk->app_starts;
    ss->gen = mk->gen;
    ss->cut_done = mk->cut_done;
    ss->nversions = mk->nversions;
    memcpy(ss->versions_ran, mk->versions_ran, sizeof ss->versions_ran);
    srv_state_set(ss->srv, &mk->srv);
}

/* A machine snapshot with what lives beside the machine (sess_marks_t). */
typedef struct snapshot_slot {
    uint32_t ops_done;                /* flash operations done when it was taken */
    bool timed;                       /* taken at a time, before the first operation of its gen */
    emu_snapshot_t *snap;
    sess_marks_t marks;
} snapshot_slot_t;

typedef struct worker {
    const scenario_t *s;
    const run_opts_t *o;
    const cutpt_t *cuts; size_t ncuts;
    const bool *mine;                 /* which cuts this worker runs */
    run_cut_t **res; size_t *nres;    /* per cut: results (1 + nested) */
    snapshot_slot_t *snaps; size_t nsnaps, capsnaps;
    const char *only_id;              /* replay: the nested cut to run (NULL: all) */
    /* de-duplication of cut points (see cut_state_hash): phase 1 hashes every cut's state,
     * all workers meet at the barrier, phase 2 runs the recovery of each distinct state once */
    bool dedupe;
    uint8_t (*hash)[CUT_HASH_SIZE];   /* per cut (shared; each written by its owner) */
    bool *hashed;                     /* per cut: the cut was reached and hashed */
    pthread_barrier_t *barrier;       /* set before the gate opens; NULL: no barrier */
    bool barrier_passed;
    struct sweep_gate *gate;          /* threads wait here until every thread exists */
    const bool *mine_all;             /* this shard's cuts (phase 2 with dedupe: any worker) */
    size_t *next_cut;                 /* phase 2 with dedupe: the next cut to take (under lock) */
    conv_table_t *conv;               /* recovery sharing (NULL: off), under lock */
    emu_snapshot_t *initial;          /* the machine before the first step */
    sess_marks_t initial_marks;
    bool full_evidence;
    int err;
    char errmsg[512];
    size_t *done; size_t total; pthread_mutex_t *lock;
} worker_t;

static void take_snapshot(session_t *ss)
{
    worker_t *w = ss->snap_ctx;
    if (w->nsnaps == w->capsnaps) {
        size_t nc = w->capsnaps ? w->capsnaps * 2 : 64;
        snapshot_slot_t *np = realloc(w->snaps, nc * sizeof *np);
        if (!np)
            return;
        w->snaps = np;
        w->capsnaps = nc;
    }
    emu_snapshot_t *sn;
    if (emu_snapshot_save(ss->m, &sn) != EMU_OK)
        return;
    uint32_t done = flash_log_total(emu_flash(ss->m));
    bool timed = ss->snap_timed;
    /* a timed snapshot replaces the previous timed one of the same stretch (only the latest
     * before the first operation is any use) */
    if (timed && w->nsnaps && w->snaps[w->nsnaps - 1].timed && w->snaps[w->nsnaps - 1].ops_done == done &&
        w->snaps[w->nsnaps - 1].marks.gen == ss->gen) {
        emu_snapshot_free(w->snaps[w->nsnaps - 1].snap);
        w->nsnaps--;
    }
    snapshot_slot_t *slot = &w->snaps[w->nsnaps++];
    slot->ops_done = done;
    slot->timed = timed;
    slot->snap = sn;
    marks_save(ss, &slot->marks);
}

/* Bring the session to "cut at op seq with mode": from the nearest snapshot if there is one,
 * else by re-running the steps from the start. Returns true once power was cut. */
static bool reach_cut(worker_t *w, session_t *ss, const cutpt_t *c)
{
    snapshot_slot_t *best = NULL;
    for (size_t i = 0; i < w->nsnaps; i++)
        if (w->snaps[i].ops_done <= c->seq && w->snaps[i].marks.gen == c->gen &&
            (!best || w->snaps[i].ops_done >= best->ops_done))   /* ties: the later one */
            best = &w->snaps[i];
    ss->failed = false;
    ss->cut.armed = true;
    ss->cut.fired = false;
    ss->cut.seq = c->seq;
    ss->cut.mode = c->mode;
    ss->hk.armed = 0;
    char nr[256];
    if (best) {
        emu_snapshot_restore(ss->m, best->snap);
        marks_restore(ss, &best->marks);
        /* keep the op log consistent with the restored machine */
        size_t keep = 0;
        while (keep < ss->nops && ss->ops[keep].seq < best->ops_done)
            keep++;
        ss->nops = keep;
        scn_until_t u = { .kind = SCN_UNTIL_HALT, .timeout_ns = 60ull * 1000000000ull };
        drive_res_t r = drive(ss, &u, ss->s->pos, nr, sizeof nr);
        return r == DRIVE_CUT && ss->cut.fired;
    }
    /* no snapshot before this operation: back to the state before the first step (machine off,
     * setup flash) and run the scenario's steps again until the cut */
    emu_snapshot_restore(ss->m, w->initial);
    marks_restore(ss, &w->initial_marks);
    ss->nops = 0;
    run_steps_all(ss);
    return ss->cut.fired;
}

/* What decides the outcome of the recovery after a cut, hashed (XXH3, 128 bits: the
 * hash runs over 1 MiB of flash per cut point, ~40 us; SHA-256 took ~5 ms): two cuts with the same
 * hash run the same recovery (shifted in time) and get the same verdict, so a sweep runs it once.
 * Typical pair: "after operation N" and "before operation N+1" when the firmware did nothing
 * durable in between. Hashed: the whole flash; SRAM only when it survives power-off (ram_fill
 * retain); the console (expectations read it); fault, lockup and flash defect counts; the
 * versions that ran; the update server's state without its statistics, its link window taken
 * relative to now. Not used when an expectation depends on more (max_time, max_wear) or for
 * nested sweeps (see run_sweep). */
/* The update server's state without its statistics, its link window relative to now, and the
 * results the device posted (expectations read them). */
static void hash_server(session_t *ss, XXH3_state_t *hp)
{
    const srv_state_t *st = srv_state_get(ss->srv);
    uint64_t now = emu_time_ns(ss->m);
    for (int i = 0; i < st->nres; i++) {
        XXH3_128bits_update(hp, (const uint8_t *)st->res[i].name, strlen(st->res[i].name) + 1);
        XXH3_128bits_update(hp, (const uint8_t *)&st->res[i].pool, sizeof st->res[i].pool);
    }
    uint64_t sv[7] = { (uint64_t)st->nres, st->notify, st->has_campaign_version, st->campaign_version,
                       st->link_forced_down, st->link_down_until > now ? st->link_down_until - now : 0,
                       st->latency_ns };
    uint64_t rate = st->rate;
    XXH3_128bits_update(hp, (const uint8_t *)&rate, sizeof rate);
    XXH3_128bits_update(hp, (const uint8_t *)sv, sizeof sv);
    for (int i = 0; i < st->nfaults; i++) {
        const srv_fault_t *fa = &st->faults[i];
        uint64_t fv[6] = { fa->kind, fa->offset, fa->length, fa->xor_mask, fa->for_ns, fa->fired };
        XXH3_128bits_update(hp, (const uint8_t *)fv, sizeof fv);
        XXH3_128bits_update(hp, (const uint8_t *)fa->resource, strlen(fa->resource) + 1);
        XXH3_128bits_update(hp, (const uint8_t *)fa->with, strlen(fa->with) + 1);
    }
    for (size_t i = 0; i < srv_result_count(ss->srv); i++) {
        const char *r = srv_result(ss->srv, i, NULL);
        XXH3_128bits_update(hp, (const uint8_t *)r, strlen(r) + 1);
    }
}

static void cut_state_hash(session_t *ss, uint8_t out[CUT_HASH_SIZE])
{
    XXH3_state_t h;
    XXH3_INITSTATE(&h);
    XXH3_128bits_reset(&h);
    emu_machine_t *m = ss->m;
    flash_t *f = emu_flash(m);
    XXH3_128bits_update(&h, flash_mem(f), flash_size(f));
    if (emu_config(m)->ram_fill == EMU_RAM_RETAIN) {
        static const uint32_t sram[2] = { 0x1FFF0000u, 0x40000u };
        uint8_t buf[4096];
        for (uint32_t off = 0; off < sram[1]; off += sizeof buf)
            if (emu_mem_read(m, sram[0] + off, buf, sizeof buf) == EMU_OK)
                XXH3_128bits_update(&h, buf, sizeof buf);
    }
    size_t clen;
    const char *con = emu_console(m, &clen);
    XXH3_128bits_update(&h, (const uint8_t *)con, clen);
    flash_stats_t fs;
    flash_stats(f, &fs);
    uint64_t nums[4] = { emu_fault_count(m), emu_lockup_count(m), fs.defects, ss->nversions };
    XXH3_128bits_update(&h, (const uint8_t *)nums, sizeof nums);
    XXH3_128bits_update(&h, (const uint8_t *)ss->versions_ran, ss->nversions * sizeof ss->versions_ran[0]);
    hash_server(ss, &h);
    XXH128_canonicalFromHash((XXH128_canonical_t *)(void *)out, XXH3_128bits_digest(&h));
}

/* The cut whose recovery stands for cut i: the first cut with the same state (i itself if none). */
static size_t representative(const worker_t *w, size_t i)
{
    if (!w->dedupe || !w->hashed[i])
        return i;
    for (size_t j = 0; j < i; j++)
        if (w->hashed[j] && !memcmp(w->hash[j], w->hash[i], CUT_HASH_SIZE))
            return j;
    return i;
}

/* ---- recovery sharing ------------------------------------------------------------------------
 * Recoveries from different cut points often converge: after a cut anywhere in an install's
 * copy, the bootloader erases the whole slot again, and from that erase on every such recovery
 * runs the same instructions on the same data, only at another time. At each erase during a
 * recovery the machine's fingerprint (emu_fingerprint: CPU, RAM, flash contents, core and
 * peripheral state with times relative to now, console, counters) is hashed with everything the
 * rest of the recovery and its verdict depend on beside the machine: the session's marks
 * (versions that ran, app starts, operations since power-on, the update server's state), the
 * recovery's own counters (boot number, resets and time since the cut) and drive()'s (time and
 * resets left). When a finished recovery passed through the same hash, this one ends there with
 * its verdict: same verdict, same outcome text, same boots, as if it had run to the end (a
 * passing verdict only: failures always run in full, for their evidence).
 *
 * Power-on states. Many recoveries differ only in flash they never look at: a cut anywhere in
 * an update's download leaves a different part of the candidate written, and every recovery
 * boots, re-checks the manifest's signature and erases the candidate before reading it. So each
 * recovery also tracks which flash granules it used (emu_track_begin at power-on: read, fetched,
 * programmed or blank-checked before any complete erase of them). A finished recovery publishes
 * its power-on state as its key without the flash contents (base) plus the contents of the
 * granules it used (live); a later recovery whose power-on state has the same base and the same
 * contents in those granules runs the same instructions on the same data (the granules it has
 * different are erased before anything reads them) and takes the verdict at power-on. A
 * recovery that ended on another's erase checkpoint knows its own granules up to there; for the
 * ones still untouched, the other recovery's entry says which it erased first (its "dead"
 * bitmap: untouched at that checkpoint, erased first afterwards); everything else counts as
 * used, including granules nothing touched at all (the verdict reads flash at the end).
 *
 * Reports therefore do not depend on which recoveries happened to finish first (-j). Used where
 * cut de-duplication is (not with max_time / max_wear expectations, nested sweeps or replays)
 * and not with --no-share. */
static void conv_checkpoint_due(session_t *ss)
{
    if (!ss->conv->active)
        return;
    ss->conv->due = true;
    emu_request_stop(ss->m, EMU_STOP_FLASH_OP);
}

static size_t conv_slot(const conv_table_t *t, const uint8_t *key)
{
    uint64_t k;
    memcpy(&k, key, sizeof k);
    size_t i = (size_t)(k % t->cap);
    while (t->e[i].used && memcmp(t->e[i].key, key, CUT_HASH_SIZE))
        i = (i + 1) % t->cap;
    return i;
}

/* Under the lock. Keeps the first entry for a key (all of them say the same); takes `dead`. */
static void conv_put(conv_table_t *t, const uint8_t *key, uint32_t boots, const char *outcome, uint8_t *dead)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        conv_entry_t *ne = calloc(ncap, sizeof *ne);
        if (!ne) {
            free(dead);
            return;
        }
        conv_table_t nt = *t;             /* the power-on entries stay as they are */
        nt.e = ne;
        nt.cap = ncap;
        nt.n = 0;
        for (size_t i = 0; i < t->cap; i++)
            if (t->e[i].used)
                nt.e[conv_slot(&nt, t->e[i].key)] = t->e[i], nt.n++;
        free(t->e);
        *t = nt;
    }
    size_t i = conv_slot(t, key);
    if (t->e[i].used) {
        free(dead);
        return;
    }
    t->e[i].used = true;
    memcpy(t->e[i].key, key, CUT_HASH_SIZE);
    t->e[i].boots = boots;
    snprintf(t->e[i].outcome, sizeof t->e[i].outcome, "%s", outcome);
    t->e[i].dead = dead;
    t->n++;
}

static void conv_table_free(conv_table_t *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->e[i].dead);
    free(t->e);
    for (size_t i = 0; i < t->npon; i++)
        free(t->pon[i].live);
    free(t->pon);
    memset(t, 0, sizeof *t);
}

static void xxh_feed(void *ctx, const void *data, size_t len)
{
    XXH3_128bits_update(ctx, data, len);
}

static bool bit_get(const uint8_t *b, uint32_t i) { return (b[i >> 3] >> (i & 7)) & 1; }
static void bit_set(uint8_t *b, uint32_t i) { b[i >> 3] |= (uint8_t)(1u << (i & 7)); }

/* The state's key: the machine's fingerprint (flags: EMU_FP_NO_FLASH_DATA for a power-on base)
 * with the update server's state, the session's marks and the counters of the recovery and of
 * drive(). */
static void conv_key(session_t *ss, const drive_ctx_t *dc, unsigned flags, uint8_t key[CUT_HASH_SIZE])
{
    conv_run_t *cv = ss->conv;
    emu_machine_t *m = ss->m;
    uint64_t now = emu_time_ns(m);
    XXH3_state_t h;
    XXH3_INITSTATE(&h);
    XXH3_128bits_reset(&h);
    emu_fingerprint(m, flags, xxh_feed, &h);
    hash_server(ss, &h);
    struct {
        uint64_t since_t0, deadline_left, target_left, con_since, rec_since_t0;
        uint32_t resets_since, rec_resets_since, mode, boot, until_kind, has_version;
        uint64_t version, nversions, ops_since_poweron;
        uint32_t app_starts, gen, cut_done, failed, hk_armed;
    } k;
    memset(&k, 0, sizeof k);
    k.since_t0 = now - dc->t0;
    k.deadline_left = dc->deadline > now ? dc->deadline - now : 0;
    k.target_left = dc->time_target > now ? dc->time_target - now : 0;
    k.con_since = emu_console_total(m) - dc->con0;
    k.rec_since_t0 = now - cv->t0;
    k.resets_since = total_resets(m) - dc->resets0;
    k.rec_resets_since = total_resets(m) - cv->resets0;
    k.mode = cv->mode;
    k.boot = cv->boot;
    k.until_kind = (uint32_t)dc->u->kind;
    k.has_version = dc->u->has_version;
    k.version = dc->u->version;
    k.nversions = ss->nversions;
    k.ops_since_poweron = flash_log_total(emu_flash(m)) - ss->poweron_seq;
    k.app_starts = ss->app_starts;
    k.gen = ss->gen;
    k.cut_done = ss->cut_done;
    k.failed = ss->failed;
    k.hk_armed = (uint32_t)ss->hk.armed;
    XXH3_128bits_update(&h, &k, sizeof k);
    XXH3_128bits_update(&h, ss->versions_ran, ss->nversions * sizeof ss->versions_ran[0]);
    XXH128_canonicalFromHash((XXH128_canonical_t *)(void *)key, XXH3_128bits_digest(&h));
}

/* Hash of the contents of the granules in `live`, from their per-granule hashes. */
static void live_hash(const uint64_t *ghash, uint32_t ngran, const uint8_t *live, uint8_t out[CUT_HASH_SIZE])
{
    XXH3_state_t h;
    XXH3_INITSTATE(&h);
    XXH3_128bits_reset(&h);
    for (uint32_t g = 0; g < ngran; g++)
        if (bit_get(live, g))
            XXH3_128bits_update(&h, &ghash[g], sizeof ghash[g]);
    XXH3_128bits_update(&h, &ngran, sizeof ngran);
    XXH128_canonicalFromHash((XXH128_canonical_t *)(void *)out, XXH3_128bits_digest(&h));
}

/* The granules whose tracking state is `want`, as a bitmap (NULL when not tracking). */
static uint8_t *track_bitmap(session_t *ss, uint8_t want)
{
    uint32_t n;
    const uint8_t *st = flash_track_states(emu_flash(ss->m), &n, NULL);
    if (!ss->conv->tracking || !st || n != ss->conv->ngran)
        return NULL;
    uint8_t *b = calloc((n + 7) / 8, 1);
    if (b)
        for (uint32_t g = 0; g < n; g++)
            if (st[g] == want)
                bit_set(b, g);
    return b;
}

/* At power-on (a recovery begins; tracking since just now): true when a finished recovery began
 * from a state equal to this one wherever it used the flash (its verdict is in conv->hit_*). */
static bool conv_poweron(session_t *ss, const drive_ctx_t *dc)
{
    conv_run_t *cv = ss->conv;
    if (!cv->tracking)
        return false;
    flash_t *f = emu_flash(ss->m);
    uint32_t gran = emu_track_granule(ss->m), size = flash_size(f);
    uint32_t n = (uint32_t)(((uint64_t)size + gran - 1) / gran);
    if (n != cv->ngran) {
        uint64_t *g = realloc(cv->ghash, (size_t)n * sizeof *g);
        if (!g)
            return false;
        cv->ghash = g;
        cv->ngran = n;
    }
    const uint8_t *mem = flash_mem(f);
    for (uint32_t g = 0; g < n; g++) {
        uint32_t off = g * gran;
        cv->ghash[g] = XXH3_64bits(mem + off, size - off < gran ? size - off : gran);
    }
    conv_key(ss, dc, EMU_FP_NO_FLASH_DATA, cv->pon_base);
    bool found = false;
    pthread_mutex_lock(cv->lock);
    const conv_table_t *t = cv->table;
    for (size_t i = 0; i < t->npon && !found; i++) {
        const conv_pon_t *p = &t->pon[i];
        if (p->ngran != n || memcmp(p->base, cv->pon_base, CUT_HASH_SIZE))
            continue;
        uint8_t c[CUT_HASH_SIZE];
        live_hash(cv->ghash, n, p->live, c);
        if (!memcmp(c, p->content, CUT_HASH_SIZE)) {
            found = true;
            cv->hit_boots = p->boots;
            snprintf(cv->hit_outcome, sizeof cv->hit_outcome, "%s", p->outcome);
        }
    }
    pthread_mutex_unlock(cv->lock);
    cv->pon_have = !found;
    return found;
}

/* At a stop after an erase: hash, look up, remember. True: a finished recovery went on from
 * this very state (its verdict is in conv->hit_*, its dead bitmap in conv->hit_dead). */
static bool conv_check(session_t *ss, const drive_ctx_t *dc)
{
    conv_run_t *cv = ss->conv;
    if (!cv->due)
        return false;
    cv->due = false;
    uint8_t key[CUT_HASH_SIZE];
    conv_key(ss, dc, 0, key);

    pthread_mutex_lock(cv->lock);
    conv_table_t *t = cv->table;
    bool found = false;
    if (t->cap) {
        size_t i = conv_slot(t, key);
        if (t->e[i].used) {
            found = true;
            cv->hit_boots = t->e[i].boots;
            snprintf(cv->hit_outcome, sizeof cv->hit_outcome, "%s", t->e[i].outcome);
            free(cv->hit_dead);
            cv->hit_dead = NULL;
            if (t->e[i].dead && (cv->hit_dead = malloc((cv->ngran + 7) / 8)))
                memcpy(cv->hit_dead, t->e[i].dead, (cv->ngran + 7) / 8);
        }
    }
    pthread_mutex_unlock(cv->lock);
    if (found)
        return true;
    if (cv->nkeys == cv->capkeys) {
        size_t nc = cv->capkeys ? cv->capkeys * 2 : 64;
        uint8_t (*nk)[CUT_HASH_SIZE] = realloc(cv->keys, nc * sizeof *nk);
        if (nk)
            cv->keys = nk;
        uint8_t **nn = nk ? realloc(cv->nones, nc * sizeof *nn) : NULL;
        if (nn)
            cv->nones = nn;
        if (!nk || !nn)
            return false;
        cv->capkeys = nc;
    }
    cv->nones[cv->nkeys] = track_bitmap(ss, FLASH_TRACK_NONE);
    memcpy(cv->keys[cv->nkeys++], key, CUT_HASH_SIZE);
    return false;
}

/* Power has just returned after a cut: the recovery's counters; tracking starts (when it cannot,
 * the recovery only shares at erases). */
static void conv_begin(session_t *ss, uint32_t mode, bool poweron)
{
    conv_run_t *cv = ss->conv;
    cv->active = true;
    cv->mode = mode;
    cv->boot = 1;
    cv->t0 = emu_time_ns(ss->m);
    cv->resets0 = total_resets(ss->m);
    cv->pon_have = false;
    cv->tracking = poweron && emu_track_begin(ss->m) == EMU_OK;
    cv->pon_due = cv->tracking;
    free(cv->hit_dead);
    cv->hit_dead = NULL;
}

/* A recovery ended with this verdict: every state it passed through leads to it. */
static void conv_publish(session_t *ss, const run_cut_t *rc)
{
    conv_run_t *cv = ss->conv;
    uint8_t *dead = NULL;             /* granules this recovery's whole run erased before using */
    uint32_t n = cv->ngran;
    if (rc->pass && (dead = track_bitmap(ss, FLASH_TRACK_ERASED)) && cv->hit_dead) {
        /* ended on another's checkpoint: its future decides for the granules untouched here */
        const uint8_t *st = flash_track_states(emu_flash(ss->m), NULL, NULL);
        for (uint32_t g = 0; g < n; g++)
            if (st[g] == FLASH_TRACK_NONE && bit_get(cv->hit_dead, g))
                bit_set(dead, g);
    }
    if (rc->pass) {
        pthread_mutex_lock(cv->lock);
        for (size_t i = 0; i < cv->nkeys; i++) {
            uint8_t *d = NULL;
            if (dead && cv->nones[i] && (d = malloc((n + 7) / 8)))
                for (uint32_t j = 0; j < (n + 7) / 8; j++)
                    d[j] = cv->nones[i][j] & dead[j];
            conv_put(cv->table, cv->keys[i], rc->boots, rc->outcome, d);
        }
        conv_table_t *t = cv->table;
        if (dead && cv->pon_have) {
            if (t->npon == t->cappon) {
                size_t nc = t->cappon ? t->cappon * 2 : 16;
                conv_pon_t *np = realloc(t->pon, nc * sizeof *np);
                if (np) {
                    t->pon = np;
                    t->cappon = nc;
                }
            }
            uint8_t *live = t->npon < t->cappon ? malloc((n + 7) / 8) : NULL;
            if (live) {
                conv_pon_t *p = &t->pon[t->npon++];
                memset(p, 0, sizeof *p);
                for (uint32_t j = 0; j < (n + 7) / 8; j++)
                    live[j] = (uint8_t)~dead[j];
                if (n % 8)
                    live[n / 8] &= (uint8_t)((1u << (n % 8)) - 1);
                p->live = live;
                p->ngran = n;
                memcpy(p->base, cv->pon_base, CUT_HASH_SIZE);
                live_hash(cv->ghash, n, live, p->content);
                p->boots = rc->boots;
                snprintf(p->outcome, sizeof p->outcome, "%s", rc->outcome);
            }
        }
        pthread_mutex_unlock(cv->lock);
    }
    free(dead);
    for (size_t i = 0; i < cv->nkeys; i++)
        free(cv->nones[i]);
    cv->nkeys = 0;
    cv->due = cv->active = cv->pon_due = cv->pon_have = false;
    free(cv->hit_dead);
    cv->hit_dead = NULL;
    if (cv->tracking)
        emu_track_end(ss->m);
    cv->tracking = false;
}

static run_cut_t *new_cut(const cutpt_t *c)
{
    run_cut_t *rc = calloc(1, sizeof *rc);
    if (rc) {
        rc->seq = c->seq; rc->kind = c->kind; rc->addr = c->addr; rc->len = c->len; rc->mode = c->mode;
    }
    return rc;
}

static void run_one_cut(worker_t *w, session_t *ss, size_t ci)
{
    const cutpt_t *c = &w->cuts[ci];
    const scn_sweep_t *sw = &w->s->sweep;
    size_t cap = 1, n = 0;
    run_cut_t *out = calloc(cap, sizeof *out);
    run_cut_t *rc = new_cut(c);
    if (!out || !rc) { free(out); free(rc); w->err = RUN_ERR_INTERNAL; return; }
    cut_id(w->s, c, false, 0, 0, rc->id, sizeof rc->id);
    if (!reach_cut(w, ss, c)) {
        snprintf(rc->outcome, sizeof rc->outcome, "cut point not reached");
        char m[256];
        snprintf(m, sizeof m, "flash operation #%u was not reached when re-running the scenario", c->seq);
        rc->message = strdup(m);
        out[n++] = *rc;
        free(rc);
    } else if (!sw->nested_depth) {
        recover(ss, rc, w->full_evidence, false);
        out[n++] = *rc;
        free(rc);
    } else {
        /* nested: power returns, snapshot, then the recovery once uncut and once per cut of its
         * own flash operations */
        power_return(ss, DEFAULT_OFF_NS, false);
        emu_snapshot_t *after_on = NULL;
        if (emu_snapshot_save(ss->m, &after_on) != EMU_OK) { w->err = RUN_ERR_INTERNAL; free(rc); free(out); return; }
        sess_marks_t *marks_on = malloc(sizeof *marks_on);
        if (!marks_on) { emu_snapshot_free(after_on); w->err = RUN_ERR_INTERNAL; free(rc); free(out); return; }
        marks_save(ss, marks_on);
        size_t ops_before = ss->nops;
        uint32_t seq_on = ss->poweron_seq;
        recover(ss, rc, w->full_evidence, true);
        out[n++] = *rc;
        free(rc);
        size_t nrec = ss->nops - ops_before;
        op_rec_t *rec = malloc((nrec ? nrec : 1) * sizeof *rec);
        if (rec)
            memcpy(rec, ss->ops + ops_before, nrec * sizeof *rec);
        scn_sweep_t sub = *sw;
        sub.from_text = sub.to_text = NULL;
        uint32_t *sel = NULL;
        size_t nsel = 0;
        char err[256];
        if (rec && select_ops(ss, rec, nrec, &sub, seq_on, &sel, &nsel, err, sizeof err) == 0) {
            for (size_t i = 0; i < nsel; i++) {
                for (int m2 = 0; m2 < 3; m2++) {
                    if (!sw->modes[m2])
                        continue;
                    if (n == cap) {
                        cap *= 2;
                        run_cut_t *np = realloc(out, cap * sizeof *np);
                        if (!np) break;
                        out = np;
                    }
                    char nid[96];
                    cut_id(w->s, c, true, rec[sel[i]].seq, (scn_cut_mode_t)m2, nid, sizeof nid);
                    if (w->only_id && strcmp(w->only_id, nid))
                        continue;
                    run_cut_t *r2 = &out[n++];
                    memset(r2, 0, sizeof *r2);
                    r2->seq = c->seq; r2->kind = c->kind; r2->addr = c->addr; r2->len = c->len; r2->mode = c->mode;
                    r2->seq2 = rec[sel[i]].seq + 1;
                    r2->mode2 = (scn_cut_mode_t)m2;
                    cut_id(w->s, c, true, rec[sel[i]].seq, (scn_cut_mode_t)m2, r2->id, sizeof r2->id);
                    emu_snapshot_restore(ss->m, after_on);
                    marks_restore(ss, marks_on);
                    ss->nops = ops_before;
                    ss->poweron_seq = seq_on;
                    ss->cut.armed = true;
                    ss->cut.fired = false;
                    ss->cut.seq = rec[sel[i]].seq;
                    ss->cut.mode = (scn_cut_mode_t)m2;
                    ss->failed = false;
                    char nr[256];
                    scn_until_t u = { .kind = SCN_UNTIL_HALT, .timeout_ns = 60ull * 1000000000ull };
                    if (drive(ss, &u, w->s->pos, nr, sizeof nr) == DRIVE_CUT && ss->cut.fired) {
                        recover(ss, r2, w->full_evidence, false);
                    } else {
                        snprintf(r2->outcome, sizeof r2->outcome, "cut point not reached");
                        r2->message = strdup("the nested cut point was not reached");
                    }
                }
            }
        }
        free(sel);
        free(rec);
        emu_snapshot_free(after_on);
        free(marks_on);
    }
    w->res[ci] = out;
    w->nres[ci] = n;
}

static void *worker_body(worker_t *w);

/* The barrier can only count threads that exist: run_sweep starts them all behind a gate, sizes
 * the barrier by the number that started, then opens the gate. */
typedef struct sweep_gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
} sweep_gate_t;

/* Every worker meets the others at the de-duplication barrier, even one that failed early. */
static void *worker_main(void *arg)
{
    worker_t *w = arg;
    if (w->gate) {
        pthread_mutex_lock(&w->gate->lock);
        while (!w->gate->open)
            pthread_cond_wait(&w->gate->cond, &w->gate->lock);
        pthread_mutex_unlock(&w->gate->lock);
    }
    worker_body(w);
    if (w->barrier && !w->barrier_passed)
        pthread_barrier_wait(w->barrier);
    return NULL;
}

static void *worker_body(worker_t *w)
{
    session_t ss;
    char err[512];
    if (session_open(&ss, w->s, w->o, err, sizeof err) != RUN_OK) {
        w->err = RUN_ERR_SETUP;
        snprintf(w->errmsg, sizeof w->errmsg, "%s", err);
        session_close(&ss);
        return NULL;
    }
    /* Snapshot plan: right after the operation before each of my cut points (at most ~96
     * snapshots; further cut points run forward from the nearest earlier one). */
    size_t nmine = 0;
    for (size_t i = 0; i < w->ncuts; i++)
        nmine += w->mine[i];
    uint32_t *plan = malloc((nmine ? nmine : 1) * sizeof *plan);
    size_t np = 0;
    size_t stride = nmine / 96 + 1, k = 0;
    for (size_t i = 0; i < w->ncuts && plan; i++) {
        if (!w->mine[i] || w->cuts[i].seq == 0)
            continue;
        uint32_t a = w->cuts[i].seq - 1;
        if ((k++ % stride) == 0 && (np == 0 || plan[np - 1] < a))
            plan[np++] = a;
    }
    marks_save(&ss, &w->initial_marks);
    if (emu_snapshot_save(ss.m, &w->initial) != EMU_OK) {
        w->err = RUN_ERR_INTERNAL;
        free(plan);
        session_close(&ss);
        return NULL;
    }
    ss.snap_after = plan;
    ss.nsnap_after = np;
    ss.snap_cb = take_snapshot;
    ss.snap_ctx = w;
    ss.sweeping = true;
    run_steps_all(&ss);                       /* the recording again, taking snapshots */
    ss.snap_after = NULL;
    ss.nsnap_after = 0;
    ss.snap_tick = 0;
    if (w->dedupe) {
        for (size_t i = 0; i < w->ncuts; i++) {
            if (!w->mine[i])
                continue;
            if (reach_cut(w, &ss, &w->cuts[i])) {
                cut_state_hash(&ss, w->hash[i]);
                w->hashed[i] = true;
            }
        }
        if (w->barrier)
            pthread_barrier_wait(w->barrier);
        w->barrier_passed = true;
    }
    conv_run_t cv = { .table = w->conv, .lock = w->lock };
    if (w->conv)
        ss.conv = &cv;
    for (size_t step = 0; step < w->ncuts; step++) {
        size_t i = step;
        if (w->dedupe) {
            /* phase 2 shares the work out as it comes: the distinct states are not spread
             * evenly over the phase-1 shares (a "before N+1" is often an "after N" of another
             * worker). Any worker can run any cut: results do not depend on who runs it. */
            pthread_mutex_lock(w->lock);
            i = (*w->next_cut)++;
            pthread_mutex_unlock(w->lock);
            if (i >= w->ncuts)
                break;
            if (!w->mine_all[i])
                continue;
        } else if (!w->mine[i]) {
            continue;
        }
        if (representative(w, i) != i) {     /* the same state as an earlier cut: filled in later */
            pthread_mutex_lock(w->lock);
            size_t d = ++*w->done;
            pthread_mutex_unlock(w->lock);
            if (progress_fn)
                progress_fn(progress_ctx, w->s->name, d, w->total);
            continue;
        }
        run_one_cut(w, &ss, i);
        pthread_mutex_lock(w->lock);
        size_t d = ++*w->done;
        pthread_mutex_unlock(w->lock);
        if (progress_fn)
            progress_fn(progress_ctx, w->s->name, d, w->total);
    }
    ss.conv = NULL;
    free(cv.keys);
    free(cv.nones);
    free(cv.ghash);
    free(cv.hit_dead);
    emu_snapshot_free(w->initial);
    for (size_t i = 0; i < w->nsnaps; i++)
        emu_snapshot_free(w->snaps[i].snap);
    free(w->snaps);
    free(plan);
    session_close(&ss);
    return NULL;
}

/* ---- whole scenarios ---------------------------------------------------------------------- */

static int run_sweep(session_t *base, const run_opts_t *o, int jobs, const bool *mine_all,
                     const cutpt_t *cuts, size_t ncuts, const char *only_id, bool full, run_verdict_t *v)
{
    size_t nmine = 0;
    for (size_t i = 0; i < ncuts; i++)
        nmine += mine_all[i];
    int nw = jobs < 1 ? 1 : jobs > 64 ? 64 : jobs;
    if ((size_t)nw > nmine)
        nw = nmine ? (int)nmine : 1;
    run_cut_t **res = calloc(ncuts ? ncuts : 1, sizeof *res);
    size_t *nres = calloc(ncuts ? ncuts : 1, sizeof *nres);
    worker_t *ws = calloc((size_t)nw, sizeof *ws);
    bool *mine = calloc((size_t)nw * (ncuts ? ncuts : 1), sizeof *mine);
    pthread_t *th = calloc((size_t)nw, sizeof *th);
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_barrier_t barrier;
    size_t done = 0;
    int rc = RUN_OK;
    const scn_expect_t *e = &base->s->expect;
    bool dedupe = !only_id && !base->s->sweep.nested_depth && !e->has_max_time && !e->has_max_wear &&
                  !o->no_share;
    conv_table_t conv = { 0 };        /* recovery sharing: the same conditions as dedupe */
    uint8_t (*hash)[CUT_HASH_SIZE] = calloc(ncuts ? ncuts : 1, sizeof *hash);
    bool *hashed = calloc(ncuts ? ncuts : 1, sizeof *hashed);
    bool barrier_ok = false;
    if (!res || !nres || !ws || !mine || !th || !hash || !hashed) {
        rc = RUN_ERR_INTERNAL;
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < ncuts; i++)
        if (mine_all[i])
            mine[(k++ % (size_t)nw) * ncuts + i] = true;
    sweep_gate_t gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };
    size_t next_cut = 0;
    for (int w = 0; w < nw; w++) {
        ws[w] = (worker_t){ .s = base->s, .o = o, .cuts = cuts, .ncuts = ncuts, .mine = mine + (size_t)w * ncuts,
                            .res = res, .nres = nres, .only_id = only_id, .full_evidence = full,
                            .done = &done, .total = nmine, .lock = &lock, .dedupe = dedupe, .hash = hash,
                            .hashed = hashed, .gate = nw > 1 ? &gate : NULL, .mine_all = mine_all,
                            .next_cut = &next_cut, .conv = dedupe ? &conv : NULL };
    }
    if (nw == 1) {
        worker_main(&ws[0]);
    } else {
        bool started[64] = { false };
        unsigned nstarted = 0;
        for (int w = 0; w < nw; w++)
            if ((started[w] = pthread_create(&th[w], NULL, worker_main, &ws[w]) == 0))
                nstarted++;
        if (dedupe && nstarted > 1)
            barrier_ok = pthread_barrier_init(&barrier, NULL, nstarted) == 0;
        pthread_mutex_lock(&gate.lock);
        for (int w = 0; w < nw; w++) {
            ws[w].barrier = barrier_ok ? &barrier : NULL;
            if (!barrier_ok)
                ws[w].dedupe = false;          /* a lone thread needs no barrier; none: no dedupe */
        }
        if (nstarted == 1)
            for (int w = 0; w < nw; w++)
                ws[w].dedupe = dedupe;
        gate.open = true;
        pthread_cond_broadcast(&gate.cond);
        pthread_mutex_unlock(&gate.lock);
        for (int w = 0; w < nw; w++) {
            if (started[w])
                pthread_join(th[w], NULL);
            else
                ws[w].err = RUN_ERR_INTERNAL;
        }
    }
    /* cuts with the state of an earlier cut take its verdict (deterministic: the representative
     * is the first such cut in plan order, whatever worker ran it) */
    for (size_t i = 0; dedupe && i < ncuts; i++) {
        size_t r = representative(&ws[0], i);
        if (r == i || !mine_all[i] || !res[r] || !nres[r] || res[i])
            continue;
        run_cut_t *c = calloc(1, sizeof *c);
        if (!c) {
            rc = RUN_ERR_INTERNAL;
            break;
        }
        const run_cut_t *rp = &res[r][0];
        *c = (run_cut_t){ .seq = cuts[i].seq, .kind = cuts[i].kind, .addr = cuts[i].addr, .len = cuts[i].len,
                          .mode = cuts[i].mode, .pass = rp->pass, .boots = rp->boots };
        cut_id(base->s, &cuts[i], false, 0, 0, c->id, sizeof c->id);
        const char *rid = strchr(rp->id, '@') ? strchr(rp->id, '@') + 1 : rp->id;
        char oc[64];
        snprintf(oc, sizeof oc, "%.63s", rp->outcome);
        int room = (int)sizeof c->outcome - (int)strlen(oc) - 14;
        snprintf(c->outcome, sizeof c->outcome, "%s (state of %.*s)", oc, room > 0 ? room : 0, rid);
        if (!rp->pass) {
            char msg[700];
            snprintf(msg, sizeof msg, "the same state after the cut as %s: %s", rp->id,
                     rp->message ? rp->message : "failed");
            c->message = strdup(msg);
            c->details = rp->details ? strdup(rp->details) : NULL;
        }
        res[i] = c;
        nres[i] = 1;
    }
    for (int w = 0; w < nw; w++)
        if (ws[w].err) {
            rc = ws[w].err;
            snprintf(v->message, sizeof v->message, "sweep: %.480s", ws[w].errmsg[0] ? ws[w].errmsg : "internal error");
        }
    size_t total = 0;
    for (size_t i = 0; i < ncuts; i++)
        total += nres[i];
    v->cuts = calloc(total ? total : 1, sizeof *v->cuts);
    if (!v->cuts) {
        rc = RUN_ERR_INTERNAL;
        goto out;
    }
    for (size_t i = 0; i < ncuts; i++) {
        for (size_t j = 0; j < nres[i]; j++) {
            run_cut_t *c = &res[i][j];
            if (only_id && strcmp(c->id, only_id)) {
                free(c->message);
                free(c->details);
                continue;
            }
            v->cuts[v->ncuts++] = *c;
            if (!c->pass)
                v->cuts_failed++;
        }
        free(res[i]);
    }
out:
    if (barrier_ok)
        pthread_barrier_destroy(&barrier);
    conv_table_free(&conv);
    free(hash);
    free(hashed);
    free(res);
    free(nres);
    free(ws);
    free(mine);
    free(th);
    return rc;
}

static int plan_cuts(session_t *ss, cutpt_t **out, size_t *n, char *err, size_t errlen)
{
    uint32_t *sel = NULL;
    size_t nsel = 0;
    if (select_ops(ss, ss->ops, ss->nops, &ss->s->sweep, 0, &sel, &nsel, err, errlen))
        return -1;
    bool modes[3];
    memcpy(modes, ss->s->sweep.modes, sizeof modes);
    if (!modes[0] && !modes[1] && !modes[2])
        modes[0] = modes[1] = true;
    cutpt_t *c = calloc(nsel * 3 + 1, sizeof *c);
    if (!c) {
        free(sel);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < nsel; i++)
        for (int m = 0; m < 3; m++)
            if (modes[m]) {
                const op_rec_t *op = &ss->ops[sel[i]];
                c[k++] = (cutpt_t){ op->seq, op->kind, op->addr, op->len, (scn_cut_mode_t)m, op->gen };
            }
    free(sel);
    *out = c;
    *n = k;
    return 0;
}

static void finish_verdict(session_t *ss, run_verdict_t *v, double t0)
{
    v->seed = ss->seed;
    v->time_ns = ss->m ? emu_time_ns(ss->m) : 0;
    v->insns = ss->m ? emu_insns(ss->m) : 0;
    if (ss->m) {
        size_t len;
        const char *c = emu_console(ss->m, &len);
        v->console = strndup(c, len);
    }
    v->wall_s = wall_now() - t0;
}

int run_scenario(const scenario_t *s, const run_opts_t *o, int jobs, uint32_t shard_i, uint32_t shard_n,
                 uint32_t shard_base, run_verdict_t *v)
{
    double t0 = wall_now();
    memset(v, 0, sizeof *v);
    v->line = s->pos.line;
    session_t ss;
    char err[512];
    int rc = session_open(&ss, s, o, err, sizeof err);
    if (rc != RUN_OK) {
        v->setup_error = rc == RUN_ERR_SETUP;
        snprintf(v->message, sizeof v->message, "setup: %.480s", err);
        v->line = s->setup.pos.line ? s->setup.pos.line : s->pos.line;
        session_close(&ss);
        v->wall_s = wall_now() - t0;
        return rc;
    }
    fill_digests(&ss, v);
    run_steps_all(&ss);
    if (!ss.failed)
        check_expect(&ss, &s->expect, false);
    char replay[1400];
    replay_cmd(&ss, NULL, replay, sizeof replay);
    if (ss.failed) {
        v->pass = false;
        v->setup_error = ss.setup_error;
        v->line = ss.fail_line ? ss.fail_line : s->pos.line;
        snprintf(v->message, sizeof v->message, "%s%.480s", s->sweep.enabled ? "baseline run (no cut): " : "", ss.msg);
        v->details = evidence(&ss, replay, o->verbose);
        finish_verdict(&ss, v, t0);
        session_close(&ss);
        return RUN_OK;
    }
    v->pass = true;
    if (o->verbose)
        v->details = evidence(&ss, NULL, true);
    if (s->sweep.enabled) {
        cutpt_t *cuts = NULL;
        size_t ncuts = 0;
        if (plan_cuts(&ss, &cuts, &ncuts, err, sizeof err)) {
            v->pass = false;
            v->setup_error = true;
            v->line = s->sweep.pos.line;
            snprintf(v->message, sizeof v->message, "%s", err);
        } else {
            bool *mine = calloc(ncuts ? ncuts : 1, sizeof *mine);
            for (size_t i = 0; mine && i < ncuts; i++)
                mine[i] = shard_n <= 1 || (shard_base + i) % shard_n == shard_i;
            rc = mine ? run_sweep(&ss, o, jobs, mine, cuts, ncuts, NULL, o->verbose, v) : RUN_ERR_INTERNAL;
            free(mine);
            if (v->cuts_failed) {
                v->pass = false;
                v->line = s->sweep.pos.line;
                const run_cut_t *f = NULL;
                for (size_t i = 0; i < v->ncuts && !f; i++)
                    if (!v->cuts[i].pass)
                        f = &v->cuts[i];
                snprintf(v->message, sizeof v->message, "%zu of %zu cut points failed; first: %s: %s",
                         v->cuts_failed, v->ncuts, f->id, f->message ? f->message : "failed");
                free(v->details);
                v->details = f->details ? strdup(f->details) : NULL;
            }
        }
        free(cuts);
    }
    finish_verdict(&ss, v, t0);
    session_close(&ss);
    return rc;
}

int run_replay(const scenario_t *s, const run_opts_t *o, const char *id, run_verdict_t *v)
{
    double t0 = wall_now();
    memset(v, 0, sizeof *v);
    v->line = s->sweep.pos.line ? s->sweep.pos.line : s->pos.line;
    const char *at = strrchr(id, '@');
    const char *spec = at ? at + 1 : id;
    char full_id[160];
    snprintf(full_id, sizeof full_id, "%s@%s", s->name, spec);
    unsigned seq = 0, seq2 = 0;
    char m1 = 0, m2 = 0;
    int nf = sscanf(spec, "%u%c/%u%c", &seq, &m1, &seq2, &m2);
    const char *p1 = strchr(mode_letter, m1), *p2 = m2 ? strchr(mode_letter, m2) : NULL;
    if ((nf != 2 && nf != 4) || !m1 || !p1 || (nf == 4 && (!m2 || !p2))) {
        v->setup_error = true;
        snprintf(v->message, sizeof v->message,
                 "--replay %s: not a cut point id (expected NAME@<op><b|a|t>[/<op><b|a|t>])", id);
        return RUN_ERR_SETUP;
    }
    if (nf == 4 && !s->sweep.nested_depth) {
        v->setup_error = true;
        snprintf(v->message, sizeof v->message, "--replay %s: the scenario has no nested cuts", id);
        return RUN_ERR_SETUP;
    }
    session_t ss;
    char err[512];
    int rc = session_open(&ss, s, o, err, sizeof err);
    if (rc != RUN_OK) {
        v->setup_error = true;
        snprintf(v->message, sizeof v->message, "setup: %.480s", err);
        session_close(&ss);
        return rc;
    }
    fill_digests(&ss, v);
    /* find the operation in a recording run (its kind/address for the report) */
    run_steps_all(&ss);
    cutpt_t cut = { .seq = seq, .mode = (scn_cut_mode_t)(p1 - mode_letter) };
    bool found = false;
    for (size_t i = 0; i < ss.nops; i++)
        if (ss.ops[i].seq == seq) {
            cut.kind = ss.ops[i].kind; cut.addr = ss.ops[i].addr; cut.len = ss.ops[i].len;
            found = true;
        }
    if (!found) {
        v->setup_error = true;
        snprintf(v->message, sizeof v->message, "--replay %s: the scenario has no flash operation #%u", id, seq);
        finish_verdict(&ss, v, t0);
        session_close(&ss);
        return RUN_ERR_SETUP;
    }
    bool mine = true;
    rc = run_sweep(&ss, o, 1, &mine, &cut, 1, full_id, true, v);
    if (rc == RUN_OK && v->ncuts == 0) {
        v->setup_error = true;
        snprintf(v->message, sizeof v->message, "--replay %s: no such cut point in this sweep", id);
        rc = RUN_ERR_SETUP;
    } else if (rc == RUN_OK) {
        v->pass = v->cuts[0].pass;
        snprintf(v->message, sizeof v->message, "%s: %s", v->cuts[0].id,
                 v->cuts[0].pass ? v->cuts[0].outcome : (v->cuts[0].message ? v->cuts[0].message : "failed"));
        if (v->cuts[0].details)
            v->details = strdup(v->cuts[0].details);
    }
    finish_verdict(&ss, v, t0);
    session_close(&ss);
    return rc;
}
