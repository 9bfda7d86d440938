/*
 * Sweeps: cut power at every selected flash operation of a scenario's recording and check the
 * recovery after each cut. The room's one public entry: run a whole scenario (its steps, its
 * expectations and, for a sweep, every cut point), or replay one cut point by its id.
 *
 * Parts (internal contract in sweep_int.h): plan.c (which operations, replay ids), snapshot.c
 * (snapshots of the recording, reaching a cut from the nearest), recover.c (the recovery after a
 * cut), dedupe.c (cuts with the same state share one recovery), share.c (recovery sharing),
 * worker.c (threads), sweep.c (whole scenarios, replays). Uses the step engine
 * (scenario/session.h); nothing below includes this room.
 *
 * Determinism: results do not depend on -j, on the order workers finish, or on sharing.
 */
#ifndef FWEMU_SWEEP_H
#define FWEMU_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "scenario/scenario.h"
#include "scenario/verdict.h"

/* Run a whole scenario (a sweep runs every cut point; shard selects cut points i with
 * (base + i) % shard_n == shard_i; jobs > 1 spreads cut points over threads). */
int run_scenario(const scenario_t *s, const run_opts_t *o, int jobs, uint32_t shard_i, uint32_t shard_n,
                 uint32_t shard_base, run_verdict_t *v);
/* Replay one cut point by id (the part after '@'), with full event logs. */
int run_replay(const scenario_t *s, const run_opts_t *o, const char *cut_id, run_verdict_t *v);

/* Progress callback for long sweeps (done of total cut points); may be NULL. */
typedef void (*run_progress_fn)(void *ctx, const char *name, size_t done, size_t total);
void run_set_progress(run_progress_fn fn, void *ctx);

#endif
