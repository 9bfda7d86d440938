/*
 * The verdict model: what running a scenario (sweep/sweep.h) gives back, and the options it runs
 * with. One verdict per scenario; a sweep's verdict carries one run_cut_t per cut point.
 *
 * Data flows one way: scenario (scenario.h) -> the step engine drives the machine (session.h,
 * emu.h) -> events -> verdict (this header) -> the CLI turns verdicts into reports (report.h).
 */
#ifndef FWEMU_VERDICT_H
#define FWEMU_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "emu.h"
#include "codec/layout.h"
#include "scenario/scenario.h"

typedef enum run_err {
    RUN_OK = 0,
    RUN_ERR_SETUP = -1,       /* the scenario cannot be set up (missing file, image too big) */
    RUN_ERR_INTERNAL = -2,    /* emulator failure, out of memory */
} run_err_t;

typedef struct run_opts {
    bool has_seed; uint64_t seed;   /* --seed overrides the scenario's device.seed */
    bool verbose;                   /* keep full event logs in details */
    const char *program;            /* argv[0] for replay commands */
    const char *scenario_arg;       /* how the scenario file is named on the command line */
    const char *bootloader;         /* overrides every scenario's device.bootloader (NULL: no) */
    const char *layout;             /* the --layout every scenario was loaded with, for replay
                                     * commands (NULL: none; the layout itself is scenario_t's) */
    bool no_share;                  /* sweeps: every cut point's recovery in full (no cut
                                     * de-duplication, no recovery sharing) */
} run_opts_t;

/* One cut point of a sweep and what happened after it. */
typedef struct run_cut {
    uint32_t seq;             /* flash operation index of the cut */
    flash_op_kind_t kind;
    uint32_t addr, len;
    scn_cut_mode_t mode;
    uint32_t seq2;            /* nested: second cut (0 = none; stored +1) */
    scn_cut_mode_t mode2;
    bool pass;
    uint32_t boots;
    char id[96];              /* replay id */
    char outcome[96];
    char *message;            /* malloc, NULL when passed */
    char *details;            /* malloc, NULL when passed */
} run_cut_t;

typedef struct run_verdict {
    bool pass;
    bool setup_error;         /* RUN_ERR_SETUP: counts as an error, not a failure */
    int line;                 /* where it failed (step or expect line; else the scenario) */
    char message[512];        /* one line */
    char *details;            /* malloc: expected vs found, events, console tail, replay */
    char *console;            /* malloc: console of the (last) device run */
    double wall_s;
    uint64_t seed;
    uint64_t time_ns, insns;
    char bootloader_digest[65], active_digest[65], candidate_digest[65];
    run_cut_t *cuts; size_t ncuts;   /* sweeps: every cut point run (in order) */
    size_t cuts_failed;
} run_verdict_t;

void run_verdict_free(run_verdict_t *v);

#endif
