/*
 * Recovery sharing: a recovery that reaches the state of a finished passing one takes its verdict.
 * Contract in sweep_int.h.
 */
#include "sweep/sweep_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

/* ---- recovery sharing ------------------------------------------------------------------------
 * Recoveries from different cut points often converge: after a cut anywhere in an install's
 * copy, the bootloader erases the whole slot again, and from that erase on every such recovery
 * runs the same instructions on the same data, only at another time. At each erase during a
 * recovery the machine's fingerprint (emu_fingerprint: CPU, RAM, flash contents, core and
 * peripheral state with times relative to now, console, counters) is hashed with everything the
 * rest of the recovery and its verdict depend on beside the machine: the session's marks
 * (versions that ran, app starts, operations since power-on, the update server's state), the
 * recovery's own counters (boot number, resets and time since the cut) and sess_drive()'s (time and
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
/* The session hooks (sess_hooks_t) of a recovery: checkpoints at erases, power-on states. */
static void hook_erase_done(void *ctx, session_t *ss)
{
    conv_run_t *cv = ctx;
    if (!cv->active)
        return;
    cv->due = true;                   /* an erase: where recoveries converge */
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

void conv_table_free(conv_table_t *t)
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
 * sess_drive(). */
static void conv_key(session_t *ss, const drive_ctx_t *dc, unsigned flags, uint8_t key[CUT_HASH_SIZE])
{
    conv_run_t *cv = conv_of(ss);
    emu_machine_t *m = ss->m;
    uint64_t now = emu_time_ns(m);
    XXH3_state_t h;
    XXH3_INITSTATE(&h);
    XXH3_128bits_reset(&h);
    emu_fingerprint(m, flags, xxh_feed, &h);
    hash_server(ss, &h);
    struct {
        uint64_t since_t0, deadline_left, target_left, con_since, rec_since_t0;
        uint32_t resets_since, rec_resets_since, resets_since_app, mode, boot, until_kind, has_version;
        uint64_t version, nversions, ops_since_poweron;
        uint32_t app_starts, gen, cut_done, failed, hk_armed;
    } k;
    memset(&k, 0, sizeof k);
    k.since_t0 = now - dc->t0;
    k.deadline_left = dc->deadline > now ? dc->deadline - now : 0;
    k.target_left = dc->time_target > now ? dc->time_target - now : 0;
    k.con_since = emu_console_total(m) - dc->con0;
    k.rec_since_t0 = now - cv->t0;
    k.resets_since = sess_total_resets(m) - dc->resets0;
    k.rec_resets_since = sess_total_resets(m) - cv->resets0;
    k.resets_since_app = sess_total_resets(m) - dc->resets_app;
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
    if (!conv_of(ss)->tracking || !st || n != conv_of(ss)->ngran)
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
    conv_run_t *cv = conv_of(ss);
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
    conv_run_t *cv = conv_of(ss);
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
void conv_begin(session_t *ss, uint32_t mode, bool poweron)
{
    conv_run_t *cv = conv_of(ss);
    cv->active = true;
    cv->mode = mode;
    cv->boot = 1;
    cv->t0 = emu_time_ns(ss->m);
    cv->resets0 = sess_total_resets(ss->m);
    cv->pon_have = false;
    cv->tracking = poweron && emu_track_begin(ss->m) == EMU_OK;
    cv->pon_due = cv->tracking;
    free(cv->hit_dead);
    cv->hit_dead = NULL;
}

/* A recovery ended with this verdict: every state it passed through leads to it. */
void conv_publish(session_t *ss, const run_cut_t *rc)
{
    conv_run_t *cv = conv_of(ss);
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

static bool hook_run_start(void *ctx, session_t *ss, const drive_ctx_t *dc)
{
    conv_run_t *cv = ctx;
    if (!cv->pon_due)
        return false;
    /* a recovery's power-on: the rest may be a finished recovery's */
    cv->pon_due = false;
    return conv_poweron(ss, dc);
}

static bool hook_flash_stop(void *ctx, session_t *ss, const drive_ctx_t *dc)
{
    conv_run_t *cv = ctx;
    return cv->active && conv_check(ss, dc);
}

static const sess_hooks_t conv_hooks = { hook_erase_done, hook_run_start, hook_flash_stop };

void conv_attach(session_t *ss, conv_run_t *cv)
{
    ss->hooks = cv ? &conv_hooks : NULL;
    ss->hooks_ctx = cv;
}

conv_run_t *conv_of(const session_t *ss)
{
    return ss->hooks == &conv_hooks ? ss->hooks_ctx : NULL;
}
