/*
 * Recovery after a cut: power returns and the device boots until the scenario's expectations
 * hold (or it is bricked). Contract in sweep_int.h.
 */
#include "sweep/sweep_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* After a cut: power returns and the device boots (up to max_boots times) until expect holds.
 * Fills the cut's pass/boots/outcome; message/details on failure. */
void recover(session_t *ss, run_cut_t *rc, bool full_evidence, bool powered)
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
    ss->step_pos = s->sweep.pos;
    if (!powered)
        sess_power_return(ss, DEFAULT_OFF_NS, false);
    if (e->has_eventually && e->eventually_within_ns) {
        /* an update flow reboots by itself: no power cycles, the version must run in time */
        scn_until_t uv = { .kind = SCN_UNTIL_APP_RUNNING, .has_version = true, .version = e->eventually_version,
                           .timeout_ns = e->eventually_within_ns };
        ss->failed = false;
        ss->violation = false;
        ss->why.len = 0;
        if (ss->why.p) ss->why.p[0] = 0;
        uint32_t resets0 = sess_total_resets(ss->m);
        uint64_t t0 = emu_time_ns(ss->m);
        ss->nversions = 0;                           /* the versions that run after the cut */
        if (conv_of(ss))
            conv_begin(ss, 1, !powered);
        drive_res_t r = sess_drive(ss, &uv, s->sweep.pos, nr, sizeof nr);
        rc->boots = sess_total_resets(ss->m) - resets0 + 1;   /* + the power-on after the cut */
        if (r == DRIVE_SHARED)
            goto shared;
        if (r == DRIVE_REACHED) {
            pass = sess_check_expect(ss, e, true);
            /* every version that ran on the way must be allowed */
            for (size_t i = 0; pass && e->n_one_of && i < ss->nversions; i++) {
                bool in = false;
                for (size_t j = 0; j < e->n_one_of; j++)
                    in |= ss->versions_ran[i] == e->one_of[j];
                if (!in) {
                    sess_fail(ss, e->pos, "app v%" PRIu64 " ran during recovery, which is not one of the allowed versions",
                         ss->versions_ran[i]);
                    pass = false;
                }
            }
            if (pass)
                snprintf(rc->outcome, sizeof rc->outcome, "app v%" PRIu64 " running %.3f s after the cut",
                         e->eventually_version, (emu_time_ns(ss->m) - t0) * 1e-9);
        } else if (r == DRIVE_NOT_REACHED) {
            char vs[128];
            sess_note_versions(ss, vs, sizeof vs);
            sess_fail(ss, e->pos, "app v%" PRIu64 " not running within %.3f s after the cut: %s (apps started: %s)",
                 e->eventually_version, e->eventually_within_ns * 1e-9, nr, vs);
        }
        boot = 1;
        goto done;
    }
    if (conv_of(ss))
        conv_begin(ss, 2, !powered);
    for (boot = 1; boot <= max_boots; boot++) {
        ss->failed = false;
        ss->violation = false;
        ss->why.len = 0;
        if (ss->why.p) ss->why.p[0] = 0;
        if (conv_of(ss))
            conv_of(ss)->boot = boot;
        drive_res_t r = sess_drive(ss, &u, s->sweep.pos, nr, sizeof nr);
        if (r == DRIVE_SHARED)
            goto shared;
        if (r == DRIVE_FAILED || r == DRIVE_ERROR)
            break;                                   /* invariant or emulator: final */
        if (r == DRIVE_REACHED) {
            bool valid;
            uint64_t v = sess_running_version(ss, &valid);
            if (e->has_eventually && v != e->eventually_version && boot < max_boots) {
                if (e->n_one_of && !sess_check_expect(ss, e, true))
                    break;                           /* a version that must never run */
                sess_power_return(ss, DEFAULT_OFF_NS, false);
                continue;
            }
            if (e->has_eventually && v != e->eventually_version) {
                sess_fail(ss, e->pos, "app v%" PRIu64 " still runs after %u boots; expected v%" PRIu64, v, boot,
                     e->eventually_version);
                break;
            }
            if (sess_check_expect(ss, e, true)) {
                pass = true;
                snprintf(rc->outcome, sizeof rc->outcome, "app v%" PRIu64 " running after %u boot%s", v, boot,
                         boot > 1 ? "s" : "");
                break;
            }
            if (boot < max_boots) {
                sess_power_return(ss, DEFAULT_OFF_NS, false);
                continue;
            }
            break;
        }
        /* no app running */
        if (e->bricked == 1) {
            pass = sess_check_expect(ss, e, true);
            snprintf(rc->outcome, sizeof rc->outcome, "bricked (as expected)");
            break;
        }
        if (boot < max_boots) {
            sess_power_return(ss, DEFAULT_OFF_NS, false);
            continue;
        }
        sess_fail(ss, s->sweep.pos, "bricked: no app runs after %u boot%s (%s)", boot, boot > 1 ? "s" : "", nr);
        break;
    }
    rc->boots = boot > max_boots ? max_boots : boot;
done:
    rc->pass = pass && !ss->failed;
    if (conv_of(ss))
        conv_publish(ss, rc);
    if (!rc->pass) {
        if (!ss->failed)
            sess_fail(ss, s->sweep.pos, "expectations not met after the cut");
        if (!rc->outcome[0])
            snprintf(rc->outcome, sizeof rc->outcome, "%s", emu_app_running(ss->m) ? "wrong state" : "bricked");
        rc->message = strdup(ss->msg);
        char replay[1400];
        sess_replay_cmd(ss, rc->id, replay, sizeof replay);
        rc->details = sess_evidence(ss, replay, full_evidence);
    }
    return;
shared:
    /* the rest of this recovery is a finished one's (recovery sharing): its verdict */
    rc->pass = true;
    rc->boots = conv_of(ss)->hit_boots;
    snprintf(rc->outcome, sizeof rc->outcome, "%s", conv_of(ss)->hit_outcome);
    conv_publish(ss, rc);
}
