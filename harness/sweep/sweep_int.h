/*
 * The sweep room's internal contract (between plan.c, snapshot.c, recover.c, dedupe.c, share.c,
 * worker.c and sweep.c). Public entry points: sweep.h.
 */
#ifndef FWEMU_SWEEP_INT_H
#define FWEMU_SWEEP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/session.h"
#include "sweep/sweep.h"

/* Size of a cut point's state fingerprint (XXH3-128, cut_state_hash). */
#define CUT_HASH_SIZE 16

/* ---- plan (plan.c) ------------------------------------------------------------------------- */
/* ---- sweeps ---------------------------------------------------------------------------------- */

typedef struct cutpt {
    uint32_t seq; flash_op_kind_t kind; uint32_t addr, len; scn_cut_mode_t mode;
    uint32_t gen;                     /* host-step generation at the operation (session_t.gen) */
} cutpt_t;

extern const char mode_letter[];   /* "bat": before, after, torn */
/* NAME@<seq><b|a|t>[/<seq2><b|a|t>] */
void cut_id(const scenario_t *s, const cutpt_t *c, bool nested, uint32_t seq2, scn_cut_mode_t m2,
            char *out, size_t n);
uint64_t splitmix64(uint64_t *x);
/* Select operations of a recorded run per the sweep's stretch, filters and selection (indexes
 * into ops, malloc'd). -1 with err set when a stretch's text never appeared. */
int select_ops(session_t *ss, const op_rec_t *ops, size_t nops, const scn_sweep_t *sw,
               uint32_t min_seq, uint32_t **out, size_t *nout, char *err, size_t errlen);
/* Every cut point of the recording in ss (operations x modes). */
int plan_cuts(session_t *ss, cutpt_t **out, size_t *n, char *err, size_t errlen);

/* ---- recovery sharing (share.c) ------------------------------------------------------------- */
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

/* Attach cv to ss (its hooks); conv_of gives it back (NULL when none is attached). */
void conv_attach(session_t *ss, conv_run_t *cv);
conv_run_t *conv_of(const session_t *ss);
/* Power has just returned after a cut (poweron: tracking may start): the recovery's counters. */
void conv_begin(session_t *ss, uint32_t mode, bool poweron);
/* A recovery ended with this verdict: every state it passed through leads to it. */
void conv_publish(session_t *ss, const run_cut_t *rc);
void conv_table_free(conv_table_t *t);

/* ---- snapshots (snapshot.c) ----------------------------------------------------------------- */
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

void marks_save(const session_t *ss, sess_marks_t *mk);
void marks_restore(session_t *ss, const sess_marks_t *mk);

/* A machine snapshot with what lives beside the machine (sess_marks_t). */
typedef struct snapshot_slot {
    uint32_t ops_done;                /* flash operations done when it was taken */
    bool timed;                       /* taken at a time, before the first operation of its gen */
    emu_snapshot_t *snap;
    sess_marks_t marks;
} snapshot_slot_t;

/* The barrier can only count threads that exist: run_sweep starts them all behind a gate, sizes
 * the barrier by the number that started, then opens the gate. */
typedef struct sweep_gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
} sweep_gate_t;

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

/* snap_cb of a worker's recording: keep a snapshot (ss->snap_ctx is the worker). */
void take_snapshot(session_t *ss);
/* Bring the session to "cut at op seq with mode" from the nearest snapshot (or from the start).
 * True once power was cut there. */
bool reach_cut(worker_t *w, session_t *ss, const cutpt_t *c);

/* ---- de-duplication (dedupe.c) -------------------------------------------------------------- */
/* The update server's state without its statistics, its link window relative to now, and the
 * results the device posted (expectations read them), into an XXH3-128 state. */
struct XXH3_state_s;
void hash_server(session_t *ss, struct XXH3_state_s *hp);
void cut_state_hash(session_t *ss, uint8_t out[CUT_HASH_SIZE]);
/* The cut whose recovery stands for cut i: the first cut with the same state (i if none). */
size_t representative(const worker_t *w, size_t i);

/* ---- recovery (recover.c) ------------------------------------------------------------------- */
/* After a cut: power returns (unless powered) and the device boots until expect holds. Fills the
 * cut's pass/boots/outcome; message/details on failure. */
void recover(session_t *ss, run_cut_t *rc, bool full_evidence, bool powered);

/* ---- workers (worker.c) --------------------------------------------------------------------- */
void *worker_main(void *arg);
/* The progress callback (sweep.c), called by workers. */
void sweep_progress(const char *name, size_t done, size_t total);

#endif
