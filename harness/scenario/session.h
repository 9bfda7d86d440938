/*
 * The step engine: one session is one machine driven through one scenario's steps. Its parts:
 *   session.c  the device a scenario describes (flash image from its setup, machine config), and
 *              the flash hook that logs every operation and fires cuts;
 *   drive.c    run until a condition holds (sess_drive), the always-on invariant at every app
 *              start, power cycles;
 *   steps.c    the steps (sess_run_steps); publish.c the update-server steps;
 *   expect.c   expectations (sess_check_expect) and evidence (what was expected and found, the
 *              event log, the console, the replay command).
 *
 * Contract for the room above (sweep/): a sweep arms a cut (session_t.cut: the flash operation
 * with sequence number cut.seq is cut in cut.mode; the steps end there with cut_done), asks for
 * snapshots of its recording (snap_after: the machine stops right after those operations and
 * snap_cb is called, plus timed ones before a step's first operation), and attaches hooks
 * (sess_hooks_t) that may end a run early with another recovery's verdict (DRIVE_SHARED). The
 * engine knows nothing else of sweeps; it never includes sweep/.
 *
 * Failure: sess_fail records the first failure (message, line); later calls are ignored. `why`
 * collects every mismatch of an expectation check. Errors of the emulator are DRIVE_ERROR.
 */
#ifndef FWEMU_SESSION_H
#define FWEMU_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu.h"
#include "codec/layout.h"
#include "mbed_header.h"
#include "scenario/scenario.h"
#include "scenario/verdict.h"
#include "server/server.h"

#define DEFAULT_TIMEOUT_NS (20ull * 1000000000ull)   /* a run's limit when the step gives none */
#define DEFAULT_OFF_NS (100ull * 1000000ull)         /* power-off time of a power cycle */
#define NS_PER_MS 1000000ull
#define SNAP_TICK_NS (10ull * NS_PER_MS)   /* timed snapshots while recording a sweep */

/* ---- growable text ------------------------------------------------------------------------ */
/* ---- growable text ------------------------------------------------------------------------ */

typedef struct sbuf { char *p; size_t len, cap; } sbuf_t;
void sb_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- session ------------------------------------------------------------------------------ */

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
    /* snapshot plan (a sweep's recording): stop after these op seqs and call snap_cb */
    const uint32_t *snap_after; size_t nsnap_after, snap_next;
    uint64_t snap_tick;               /* next timed snapshot (before a gen's first operation) */
    bool snap_timed;                  /* the snapshot being taken is a timed one */
    void (*snap_cb)(struct session *ss);
    void *snap_ctx;

    bool cut_done;                    /* the steps ended at the armed cut */
    struct { bool armed, fired; uint32_t seq; scn_cut_mode_t mode; } cut;   /* the sweep's cut */

    /* outcome */
    bool violation;                   /* an always-on oracle failed inside the flash hook */
    scn_pos_t step_pos;               /* the step running now (where an oracle's failure points) */
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
    const struct sess_hooks *hooks;   /* a sweep's hooks (NULL: none) and their context */
    void *hooks_ctx;
} session_t;

typedef enum drive_res {
    DRIVE_REACHED = 0, DRIVE_NOT_REACHED, DRIVE_CUT, DRIVE_FAILED, DRIVE_ERROR,
    DRIVE_SHARED,                     /* recovery sharing: the rest is a finished recovery's */
    DRIVE_GO_ON                       /* internal to drive.c (run the machine again); never returned */
} drive_res_t;

typedef struct drive_ctx {            /* what sess_drive() keeps across its runs, for the hooks */
    const scn_until_t *u;
    uint64_t t0, deadline, time_target, con0;
    uint32_t resets0;
    uint32_t resets_app;              /* resets at the step's start or the last app start since */
} drive_ctx_t;

/* What a sweep may attach to a session (any pointer may be NULL). Each returns true when the rest
 * of the current run is a finished recovery's: sess_drive then returns DRIVE_SHARED. */
typedef struct sess_hooks {
    /* a flash erase (sector or block) has completed (inside the flash hook) */
    void (*erase_done)(void *ctx, session_t *ss);
    /* sess_drive is about to run the machine towards dc->u */
    bool (*run_start)(void *ctx, session_t *ss, const drive_ctx_t *dc);
    /* the machine stopped after a flash operation (a stop the hooks asked for, say) */
    bool (*flash_stop)(void *ctx, session_t *ss, const drive_ctx_t *dc);
} sess_hooks_t;

/* Build the device (flash image, machine, update server) for s with o. RUN_OK, or RUN_ERR_SETUP /
 * RUN_ERR_INTERNAL with err set; sess_close is safe after either. */
int sess_open(session_t *ss, const scenario_t *s, const run_opts_t *o, char *err, size_t errlen);
void sess_close(session_t *ss);
/* p relative to the scenario file's directory (absolute paths as they are). */
void sess_path_in_dir(const session_t *ss, const char *p, char *out, size_t n);
/* Load a body: a bundled image by name, or a file (ELF flattened from link_base, or raw). */
int sess_load_body(session_t *ss, const char *image, const char *file, uint32_t link_base,
                   uint8_t **out, size_t *len, uint64_t *bundled_version, char *err, size_t errlen);
/* Apply a scenario's header field overrides (has_* set) to h. */
void sess_apply_header_override(mbed_hdr_v2_t *h, const scn_header_override_t *o);
void sess_fail(session_t *ss, scn_pos_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

uint32_t sess_total_resets(emu_machine_t *m);
/* Does the operation (kind, addr, len) match the selector (kind and region)? */
bool sess_op_matches(const session_t *ss, const scn_flash_sel_t *sel, flash_op_kind_t kind,
                     uint32_t addr, uint32_t len);
/* Matching operations already done since power-on (for selectors counted from power-on). */
uint32_t sess_ops_since_poweron(const session_t *ss, const scn_flash_sel_t *sel);

void sess_power_on(session_t *ss);
/* Power off for off_ns (0: DEFAULT_OFF_NS), then on again unless stay_off. */
void sess_power_return(session_t *ss, uint64_t off_ns, bool stay_off);
/* The invariant at an app start; false (and failed) when it is violated. */
bool sess_check_invariant(session_t *ss, scn_pos_t pos);
uint64_t sess_running_version(session_t *ss, bool *valid);
/* Run until u holds, power is cut, the invariant fails or a hook takes over. not_reached gets a
 * description when the condition was not reached. */
drive_res_t sess_drive(session_t *ss, const scn_until_t *u, scn_pos_t pos, char *not_reached, size_t nlen);
/* "v1, v2" of the versions that started (or "none"). */
void sess_note_versions(session_t *ss, char *buf, size_t n);

/* Every step of the scenario (a plain boot when it has none). */
void sess_run_steps(session_t *ss);
bool sess_exec_steps(session_t *ss, const scn_step_t *steps, size_t n, bool last_level);
int sess_publish_step(session_t *ss, const scn_step_t *st);
void sess_server_step(session_t *ss, const scn_step_t *st);

/* Check `expect` against the machine now (sweep_boot: after a cut, counters of the whole run are
 * not checked). True when everything holds; otherwise failed and `why` lists every mismatch. */
bool sess_check_expect(session_t *ss, const scn_expect_t *e, bool sweep_boot);
/* Evidence text (malloc): expected vs found, final state, events (all when full, else the last
 * 25), update server, console (tail unless full), replay command when given. */
char *sess_evidence(session_t *ss, const char *replay, bool full);
/* The command that replays this scenario (id NULL) or one of its cut points. */
void sess_replay_cmd(const session_t *ss, const char *id, char *out, size_t n);
void sess_fill_digests(session_t *ss, run_verdict_t *v);

#endif
