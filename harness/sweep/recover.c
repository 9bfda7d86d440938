/*
 * Recovery after a cut: power returns and the device boots until the scenario's expectations
 * hold (or it is bricked). Two kinds, by what `eventually` says: within a time (an update flow
 * that reboots by itself: no power cycles) or within a number of boots (power cycled between
 * boots). Contract in sweep_int.h.
 */
#include "sweep/sweep_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum rec_end { REC_FAIL = 0, REC_PASS, REC_SHARED } rec_end_t;

static void clear_failure(session_t *ss)
{
    ss->failed = false;
    ss->violation = false;
    ss->why.len = 0;
    if (ss->why.p)
        ss->why.p[0] = 0;
}

/* Every version that ran during the recovery must be one of one_of. */
static bool versions_allowed(session_t *ss, const scn_expect_t *e)
{
    for (size_t i = 0; e->n_one_of && i < ss->nversions; i++) {
        bool in = false;
        for (size_t j = 0; j < e->n_one_of; j++)
            in |= ss->versions_ran[i] == e->one_of[j];
        if (!in) {
            sess_fail(ss, e->pos, "app v%" PRIu64 " ran during recovery, which is not one of the allowed versions",
                      ss->versions_ran[i]);
            return false;
        }
    }
    return true;
}

/* eventually {version, within}: the version must run within that emulated time, no power cycles. */
static rec_end_t recover_in_time(session_t *ss, run_cut_t *rc, bool powered)
{
    const scn_expect_t *e = &ss->s->expect;
    scn_until_t uv = { .kind = SCN_UNTIL_APP_RUNNING, .has_version = true, .version = e->eventually_version,
                       .timeout_ns = e->eventually_within_ns };
    char nr[256];
    clear_failure(ss);
    uint32_t resets0 = sess_total_resets(ss->m);
    uint64_t t0 = emu_time_ns(ss->m);
    ss->nversions = 0;                               /* the versions that run after the cut */
    if (conv_of(ss))
        conv_begin(ss, 1, !powered);
    drive_res_t r = sess_drive(ss, &uv, ss->s->sweep.pos, nr, sizeof nr);
    rc->boots = sess_total_resets(ss->m) - resets0 + 1;   /* + the power-on after the cut */
    if (r == DRIVE_SHARED)
        return REC_SHARED;
    if (r == DRIVE_REACHED) {
        if (!sess_check_expect(ss, e, true) || !versions_allowed(ss, e))
            return REC_FAIL;
        snprintf(rc->outcome, sizeof rc->outcome, "app v%" PRIu64 " running %.3f s after the cut",
                 e->eventually_version, (emu_time_ns(ss->m) - t0) * 1e-9);
        return REC_PASS;
    }
    if (r == DRIVE_NOT_REACHED) {
        char vs[128];
        sess_note_versions(ss, vs, sizeof vs);
        sess_fail(ss, e->pos, "app v%" PRIu64 " not running within %.3f s after the cut: %s (apps started: %s)",
                  e->eventually_version, e->eventually_within_ns * 1e-9, nr, vs);
    }
    return REC_FAIL;
}

/* One boot found an app running: pass, fail, or (*again) power-cycle and boot once more. */
static rec_end_t judge_running(session_t *ss, run_cut_t *rc, uint32_t boot, uint32_t max_boots, bool *again)
{
    const scn_expect_t *e = &ss->s->expect;
    bool valid;
    uint64_t v = sess_running_version(ss, &valid);
    *again = false;
    if (e->has_eventually && v != e->eventually_version && boot < max_boots) {
        if (e->n_one_of && !sess_check_expect(ss, e, true))
            return REC_FAIL;                         /* a version that must never run */
        *again = true;
        return REC_FAIL;
    }
    if (e->has_eventually && v != e->eventually_version) {
        sess_fail(ss, e->pos, "app v%" PRIu64 " still runs after %u boots; expected v%" PRIu64, v, boot,
                  e->eventually_version);
        return REC_FAIL;
    }
    if (sess_check_expect(ss, e, true)) {
        snprintf(rc->outcome, sizeof rc->outcome, "app v%" PRIu64 " running after %u boot%s", v, boot,
                 boot > 1 ? "s" : "");
        return REC_PASS;
    }
    *again = boot < max_boots;
    return REC_FAIL;
}

/* eventually {version, within_boots} (or no eventually): up to max_boots boots, power cycled
 * between them, until expect holds. */
static rec_end_t recover_by_boots(session_t *ss, run_cut_t *rc, bool powered, uint32_t max_boots)
{
    const scenario_t *s = ss->s;
    const scn_expect_t *e = &s->expect;
    scn_until_t u = { .kind = SCN_UNTIL_APP_RUNNING, .timeout_ns = 10ull * 1000000000ull };
    char nr[256];
    rec_end_t end = REC_FAIL;
    uint32_t boot;
    if (conv_of(ss))
        conv_begin(ss, 2, !powered);
    for (boot = 1; boot <= max_boots; boot++) {
        clear_failure(ss);
        if (conv_of(ss))
            conv_of(ss)->boot = boot;
        drive_res_t r = sess_drive(ss, &u, s->sweep.pos, nr, sizeof nr);
        if (r == DRIVE_SHARED)
            return REC_SHARED;
        if (r == DRIVE_FAILED || r == DRIVE_ERROR)
            break;                                   /* invariant, oracle or emulator: final */
        bool again = boot < max_boots;
        if (r == DRIVE_REACHED) {
            end = judge_running(ss, rc, boot, max_boots, &again);
        } else if (e->bricked == 1) {                /* no app running, as expected */
            end = sess_check_expect(ss, e, true) ? REC_PASS : REC_FAIL;
            snprintf(rc->outcome, sizeof rc->outcome, "bricked (as expected)");
            again = false;
        } else if (!again) {
            sess_fail(ss, s->sweep.pos, "bricked: no app runs after %u boot%s (%s)", boot, boot > 1 ? "s" : "", nr);
        }
        if (end == REC_PASS || !again)
            break;
        sess_power_return(ss, DEFAULT_OFF_NS, false);
    }
    rc->boots = boot > max_boots ? max_boots : boot;
    return end;
}

/* After a cut: power returns and the device boots (up to max_boots times) until expect holds.
 * Fills the cut's pass/boots/outcome; message/details on failure. */
void recover(session_t *ss, run_cut_t *rc, bool full_evidence, bool powered)
{
    const scenario_t *s = ss->s;
    const scn_expect_t *e = &s->expect;
    uint32_t max_boots = s->sweep.max_boots ? s->sweep.max_boots : 3;
    if (e->has_eventually && e->eventually_boots)
        max_boots = e->eventually_boots;
    ss->step_pos = s->sweep.pos;
    if (!powered)
        sess_power_return(ss, DEFAULT_OFF_NS, false);
    rec_end_t end = e->has_eventually && e->eventually_within_ns ? recover_in_time(ss, rc, powered)
                  : recover_by_boots(ss, rc, powered, max_boots);
    if (end == REC_SHARED) {
        /* the rest of this recovery is a finished one's (recovery sharing): its verdict */
        rc->pass = true;
        rc->boots = conv_of(ss)->hit_boots;
        snprintf(rc->outcome, sizeof rc->outcome, "%s", conv_of(ss)->hit_outcome);
        conv_publish(ss, rc);
        return;
    }
    rc->pass = end == REC_PASS && !ss->failed;
    if (conv_of(ss))
        conv_publish(ss, rc);
    if (rc->pass)
        return;
    if (!ss->failed)
        sess_fail(ss, s->sweep.pos, "expectations not met after the cut");
    if (!rc->outcome[0])
        snprintf(rc->outcome, sizeof rc->outcome, "%s", emu_app_running(ss->m) ? "wrong state" : "bricked");
    rc->message = strdup(ss->msg);
    char replay[1400];
    sess_replay_cmd(ss, rc->id, replay, sizeof replay);
    rc->details = sess_evidence(ss, replay, full_evidence);
}
