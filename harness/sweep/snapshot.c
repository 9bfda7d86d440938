/*
 * Snapshots of the recording and reaching a cut point from the nearest one. Contract in
 * sweep_int.h.
 */
#include "sweep/sweep_int.h"

#include <stdlib.h>
#include <string.h>

void marks_save(const session_t *ss, sess_marks_t *mk)
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

void marks_restore(session_t *ss, const sess_marks_t *mk)
{
    ss->poweron_seq = mk->poweron_seq;
    ss->app_starts = mk->app_starts;
    ss->gen = mk->gen;
    ss->cut_done = mk->cut_done;
    ss->nversions = mk->nversions;
    memcpy(ss->versions_ran, mk->versions_ran, sizeof ss->versions_ran);
    srv_state_set(ss->srv, &mk->srv);
}

void take_snapshot(session_t *ss)
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
bool reach_cut(worker_t *w, session_t *ss, const cutpt_t *c)
{
    snapshot_slot_t *best = NULL;
    for (size_t i = 0; i < w->nsnaps; i++)
        if (w->snaps[i].ops_done <= c->seq && w->snaps[i].marks.gen == c->gen &&
            (!best || w->snaps[i].ops_done >= best->ops_done))   /* ties: the later one */
            best = &w->snaps[i];
    ss->failed = false;
    ss->violation = false;
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
        drive_res_t r = sess_drive(ss, &u, ss->s->pos, nr, sizeof nr);
        return r == DRIVE_CUT && ss->cut.fired;
    }
    /* no snapshot before this operation: back to the state before the first step (machine off,
     * setup flash) and run the scenario's steps again until the cut */
    emu_snapshot_restore(ss->m, w->initial);
    marks_restore(ss, &w->initial_marks);
    ss->nops = 0;
    sess_run_steps(ss);
    return ss->cut.fired;
}
