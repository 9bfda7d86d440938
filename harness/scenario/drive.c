/*
 * Driving the machine: run until a step's condition holds, with the always-on invariant checked
 * at every app start and the sweep hooks called where a sweep can act. Contract in session.h.
 */
#include "scenario/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "scenario/device.h"

/* ---- driving the machine ------------------------------------------------------------------ */

void sess_power_on(session_t *ss)
{
    ss->poweron_seq = flash_log_total(emu_flash(ss->m));
    emu_power_on(ss->m);
}

/* The invariant, checked every time the app is recognised as running: the device never starts
 * executing an app image whose digest does not match its header. */
bool sess_check_invariant(session_t *ss, scn_pos_t pos)
{
    device_running_t r;
    device_running_info(ss->m, &ss->l, &r);
    ss->app_starts++;
    if (r.header_valid) {
        if (ss->nversions == SESS_MAX_VERSIONS)
            ss->nversions--;
        ss->versions_ran[ss->nversions++] = r.version;
    }
    if (!r.header_valid) {
        sess_fail(ss, pos, "invariant violated: the device started the app at 0x%08x without a valid header",
             r.address);
        return false;
    }
    if (!r.digest_matches) {
        sess_fail(ss, pos, "invariant violated: the device started app v%" PRIu64 " whose digest (%.16s...) "
             "does not match its header", r.version, r.digest);
        return false;
    }
    return true;
}

uint64_t sess_running_version(session_t *ss, bool *valid)
{
    device_running_t r;
    device_running_info(ss->m, &ss->l, &r);
    *valid = r.header_valid;
    return r.version;
}

/* Run until `u` holds (or the device's power is cut by an armed hook, or the invariant fails).
 * not_reached receives a description when the condition was not reached. */
/* No flash operation yet since the last host step (the op log's newest entry is older). */
static bool first_op_pending(const session_t *ss)
{
    return !(ss->nops && ss->ops[ss->nops - 1].gen == ss->gen);
}

drive_res_t sess_drive(session_t *ss, const scn_until_t *u, scn_pos_t pos, char *not_reached, size_t nlen)
{
    emu_machine_t *m = ss->m;
    uint64_t t0 = emu_time_ns(m);
    uint64_t deadline = t0 + (u->timeout_ns ? u->timeout_ns : DEFAULT_TIMEOUT_NS);
    uint32_t resets0 = sess_total_resets(m);
    uint64_t con0 = emu_console_total(m);
    uint64_t time_target = u->kind == SCN_UNTIL_TIME ? t0 + u->time_ns : 0;
    not_reached[0] = 0;
    if (ss->hooks && ss->hooks->run_start) {
        drive_ctx_t dc = { u, t0, deadline, time_target, con0, resets0 };
        if (ss->hooks->run_start(ss->hooks_ctx, ss, &dc))
            return DRIVE_SHARED;
    }
    if (u->kind == SCN_UNTIL_FLASH_OP) {
        ss->hk.armed = 2;
        ss->hk.sel = u->op;
        ss->hk.count = u->op.from_power_on ? sess_ops_since_poweron(ss, &u->op) : 0;
        ss->hk.fired = false;
        if (ss->hk.count >= u->op.n) {
            ss->hk.armed = 0;
            return DRIVE_REACHED;
        }
    }
    if (u->kind == SCN_UNTIL_APP_RUNNING && emu_app_running(m)) {
        bool valid;
        uint64_t v = sess_running_version(ss, &valid);
        if (!u->has_version || (valid && v == u->version))
            return DRIVE_REACHED;
    }
    for (;;) {
        emu_stop_t st;
        memset(&st, 0, sizeof st);
        st.app_running = true;
        st.time_ns = deadline;
        if (time_target && time_target < st.time_ns)
            st.time_ns = time_target;
        /* sweep recording: until the first flash operation since the last host step, a snapshot
         * every SNAP_TICK_NS (the latest one kept), so that a cut at that operation does not
         * re-run everything before it (an update's signature check, say) */
        if (ss->snap_after && first_op_pending(ss)) {
            if (!ss->snap_tick)
                ss->snap_tick = emu_time_ns(m) + SNAP_TICK_NS;
            if (ss->snap_tick < st.time_ns)
                st.time_ns = ss->snap_tick;
        }
        if (u->kind == SCN_UNTIL_RESETS) {
            uint32_t done = sess_total_resets(m) - resets0;
            if (done >= u->resets)
                return DRIVE_REACHED;
            st.resets = u->resets - done;
        }
        if (u->kind == SCN_UNTIL_CONSOLE)
            st.console_text = u->text;
        if (u->kind == SCN_UNTIL_APP_RUNNING || u->kind == SCN_UNTIL_HALT) {
            /* a device that keeps resetting without the app running is in a reset loop */
            uint32_t done = sess_total_resets(m) - resets0;
            if (done >= 12) {
                snprintf(not_reached, nlen, "reset loop: %u resets without the app running", done);
                return DRIVE_NOT_REACHED;
            }
            st.resets = 12 - done;
        }
        st.max_insns = 4000000000ull;
        emu_result_t res;
        if (emu_run(m, &st, &res) != EMU_OK) {
            sess_fail(ss, pos, "emulator error: %s", emu_last_error(m));
            return DRIVE_ERROR;
        }
        /* sweep snapshot points: right after the planned operations, whatever stopped the run
         * there (the stop the flash hook asked for may come together with another one) */
        while (ss->snap_after && ss->snap_next < ss->nsnap_after &&
               flash_log_total(emu_flash(m)) > ss->snap_after[ss->snap_next]) {
            if (flash_log_total(emu_flash(m)) == ss->snap_after[ss->snap_next] + 1)
                ss->snap_cb(ss);
            ss->snap_next++;
        }
        switch (res.reason) {
        case EMU_STOP_APP_RUNNING:
            if (!sess_check_invariant(ss, pos))
                return DRIVE_FAILED;
            if (u->kind == SCN_UNTIL_APP_RUNNING) {
                bool valid;
                uint64_t v = sess_running_version(ss, &valid);
                if (!u->has_version || (valid && v == u->version))
                    return DRIVE_REACHED;
            }
            continue;
        case EMU_STOP_RESETS:
            if (u->kind == SCN_UNTIL_RESETS)
                return DRIVE_REACHED;
            snprintf(not_reached, nlen, "reset loop: %u resets without the app running",
                     sess_total_resets(m) - resets0);
            return DRIVE_NOT_REACHED;
        case EMU_STOP_TIME:
            if (time_target && emu_time_ns(m) >= time_target)
                return DRIVE_REACHED;
            if (ss->snap_tick && emu_time_ns(m) < deadline) {   /* not the deadline: the tick */
                if (ss->snap_after && first_op_pending(ss)) {
                    ss->snap_timed = true;
                    ss->snap_cb(ss);
                    ss->snap_timed = false;
                }
                ss->snap_tick = emu_time_ns(m) + SNAP_TICK_NS;
                continue;
            }
            snprintf(not_reached, nlen, "not reached within %.3f s of emulated time",
                     (deadline - t0) * 1e-9);
            return DRIVE_NOT_REACHED;
        case EMU_STOP_FLASH_OP:
            if (u->kind == SCN_UNTIL_FLASH_OP && ss->hk.fired)
                return DRIVE_REACHED;
            if (ss->hooks && ss->hooks->flash_stop) {
                drive_ctx_t dc = { u, t0, deadline, time_target, con0, resets0 };
                if (ss->hooks->flash_stop(ss->hooks_ctx, ss, &dc))
                    return DRIVE_SHARED;
            }
            continue;
        case EMU_STOP_CONSOLE: {
            size_t len;
            const char *c = emu_console(m, &len);
            uint64_t first = emu_console_total(m) - len;
            size_t from = con0 > first ? (size_t)(con0 - first) : 0;
            if (from <= len && strstr(c + from, u->text))
                return DRIVE_REACHED;
            continue;
        }
        case EMU_STOP_HALT:
            if (u->kind == SCN_UNTIL_HALT)
                return DRIVE_REACHED;
            snprintf(not_reached, nlen, "the device halted (WFI with nothing to wake it) at pc 0x%08x",
                     res.pc);
            return DRIVE_NOT_REACHED;
        case EMU_STOP_POWER_CUT:
            return DRIVE_CUT;
        case EMU_STOP_SEMIHOST_EXIT:
            snprintf(not_reached, nlen, "the firmware exited through semihosting (code %d)", res.exit_code);
            return DRIVE_NOT_REACHED;
        case EMU_STOP_BUDGET:
            snprintf(not_reached, nlen, "instruction budget used up");
            return DRIVE_NOT_REACHED;
        case EMU_STOP_LOCKUP:
        case EMU_STOP_FAULT:
            snprintf(not_reached, nlen, "the core stopped on a fault");
            return DRIVE_NOT_REACHED;
        default:
            sess_fail(ss, pos, "emulator stopped unexpectedly (%s): %s", emu_stop_reason_name(res.reason),
                 emu_last_error(m));
            return DRIVE_ERROR;
        }
    }
}

void sess_note_versions(session_t *ss, char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = 0;
    for (size_t i = 0; i < ss->nversions && off + 24 < n; i++)
        off += (size_t)snprintf(buf + off, n - off, "%sv%" PRIu64, i ? ", " : "", ss->versions_ran[i]);
    if (!ss->nversions)
        snprintf(buf, n, "none");
}

void sess_power_return(session_t *ss, uint64_t off_ns, bool stay_off)
{
    emu_power_off(ss->m);
    emu_advance_time(ss->m, off_ns ? off_ns : DEFAULT_OFF_NS);
    if (!stay_off)
        sess_power_on(ss);
}
