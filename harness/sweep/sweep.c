/*
 * Whole scenarios: the steps, the expectations and (for a sweep) every cut point on workers;
 * replays of one cut point. Contract in sweep.h.
 */
#include "sweep/sweep_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static run_progress_fn progress_fn;

static void *progress_ctx;

void run_set_progress(run_progress_fn fn, void *ctx) { progress_fn = fn; progress_ctx = ctx; }

void sweep_progress(const char *name, size_t done, size_t total)
{
    if (progress_fn)
        progress_fn(progress_ctx, name, done, total);
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

/* A sweep whose expectations name the version recoveries must end on (eventually) cuts an
 * install or update: its baseline run (no cut) must end with that version running, or there was
 * nothing to cut (a candidate that is not newer, say) and every cut point would pass vacuously. */
static bool baseline_installed(session_t *ss, run_verdict_t *v)
{
    const scn_expect_t *e = &ss->s->expect;
    if (!e->has_eventually)
        return true;
    bool valid = false;
    uint64_t ver = emu_app_running(ss->m) ? sess_running_version(ss, &valid) : 0;
    if (emu_app_running(ss->m) && valid && ver == e->eventually_version)
        return true;
    v->pass = false;
    v->line = e->at.eventually.line ? e->at.eventually.line : ss->s->pos.line;
    if (emu_app_running(ss->m))
        snprintf(v->message, sizeof v->message, "baseline run (no cut): app v%" PRIu64 " runs after the steps, not "
                 "v%" PRIu64 " (eventually): the update the sweep cuts did not happen", ver, e->eventually_version);
    else
        snprintf(v->message, sizeof v->message, "baseline run (no cut): no app runs after the steps, not v%" PRIu64
                 " (eventually): the update the sweep cuts did not happen", e->eventually_version);
    free(v->details);
    char replay[1400];
    sess_replay_cmd(ss, NULL, replay, sizeof replay);
    v->details = sess_evidence(ss, replay, false);
    return false;
}

int run_scenario(const scenario_t *s, const run_opts_t *o, int jobs, uint32_t shard_i, uint32_t shard_n,
                 uint32_t shard_base, run_verdict_t *v)
{
    double t0 = wall_now();
    memset(v, 0, sizeof *v);
    v->line = s->pos.line;
    session_t ss;
    char err[512];
    int rc = sess_open(&ss, s, o, err, sizeof err);
    if (rc != RUN_OK) {
        v->setup_error = rc == RUN_ERR_SETUP;
        snprintf(v->message, sizeof v->message, "setup: %.480s", err);
        v->line = s->setup.pos.line ? s->setup.pos.line : s->pos.line;
        sess_close(&ss);
        v->wall_s = wall_now() - t0;
        return rc;
    }
    sess_fill_digests(&ss, v);
    sess_run_steps(&ss);
    if (!ss.failed)
        sess_check_expect(&ss, &s->expect, false);
    char replay[1400];
    sess_replay_cmd(&ss, NULL, replay, sizeof replay);
    if (ss.failed) {
        v->pass = false;
        v->setup_error = ss.setup_error;
        v->line = ss.fail_line ? ss.fail_line : s->pos.line;
        snprintf(v->message, sizeof v->message, "%s%.480s", s->sweep.enabled ? "baseline run (no cut): " : "", ss.msg);
        v->details = sess_evidence(&ss, replay, o->verbose);
        finish_verdict(&ss, v, t0);
        sess_close(&ss);
        return RUN_OK;
    }
    v->pass = true;
    if (o->verbose)
        v->details = sess_evidence(&ss, NULL, true);
    if (s->sweep.enabled && !baseline_installed(&ss, v)) {
        finish_verdict(&ss, v, t0);
        sess_close(&ss);
        return RUN_OK;
    }
    if (s->sweep.enabled) {
        cutpt_t *cuts = NULL;
        size_t ncuts = 0;
        if (plan_cuts(&ss, &cuts, &ncuts, err, sizeof err)) {
            v->pass = false;
            v->setup_error = true;
            v->line = s->sweep.pos.line;
            snprintf(v->message, sizeof v->message, "%s", err);
        } else if (ncuts == 0 && !s->sweep.allow_empty) {
            v->pass = false;
            v->line = s->sweep.pos.line;
            snprintf(v->message, sizeof v->message, "sweep: the plan has no cut point (no flash operation of the "
                     "recording matches the sweep's selection); say 'allow_empty: true' if that is expected");
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
    sess_close(&ss);
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
    int rc = sess_open(&ss, s, o, err, sizeof err);
    if (rc != RUN_OK) {
        v->setup_error = true;
        snprintf(v->message, sizeof v->message, "setup: %.480s", err);
        sess_close(&ss);
        return rc;
    }
    sess_fill_digests(&ss, v);
    /* find the operation in a recording run (its kind/address for the report) */
    sess_run_steps(&ss);
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
        sess_close(&ss);
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
    sess_close(&ss);
    return rc;
}
