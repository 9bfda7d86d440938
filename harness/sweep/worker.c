/*
 * Sweep workers: each records the scenario once with snapshots, then runs its share of cut points
 * (with de-duplication and recovery sharing). Contract in sweep_int.h.
 */
#include "sweep/sweep_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        sess_power_return(ss, DEFAULT_OFF_NS, false);
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
                    ss->violation = false;
                    char nr[256];
                    scn_until_t u = { .kind = SCN_UNTIL_HALT, .timeout_ns = 60ull * 1000000000ull };
                    if (sess_drive(ss, &u, w->s->pos, nr, sizeof nr) == DRIVE_CUT && ss->cut.fired) {
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

/* Every worker meets the others at the de-duplication barrier, even one that failed early. */
void *worker_main(void *arg)
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
    if (sess_open(&ss, w->s, w->o, err, sizeof err) != RUN_OK) {
        w->err = RUN_ERR_SETUP;
        snprintf(w->errmsg, sizeof w->errmsg, "%s", err);
        sess_close(&ss);
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
        sess_close(&ss);
        return NULL;
    }
    ss.snap_after = plan;
    ss.nsnap_after = np;
    ss.snap_cb = take_snapshot;
    ss.snap_ctx = w;
    sess_run_steps(&ss);                       /* the recording again, taking snapshots */
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
        conv_attach(&ss, &cv);
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
            sweep_progress(w->s->name, d, w->total);
            continue;
        }
        run_one_cut(w, &ss, i);
        pthread_mutex_lock(w->lock);
        size_t d = ++*w->done;
        pthread_mutex_unlock(w->lock);
        sweep_progress(w->s->name, d, w->total);
    }
    conv_attach(&ss, NULL);
    free(cv.keys);
    free(cv.nones);
    free(cv.ghash);
    free(cv.hit_dead);
    emu_snapshot_free(w->initial);
    for (size_t i = 0; i < w->nsnaps; i++)
        emu_snapshot_free(w->snaps[i].snap);
    free(w->snaps);
    free(plan);
    sess_close(&ss);
    return NULL;
}
