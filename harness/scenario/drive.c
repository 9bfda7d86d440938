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

/* No flash operation yet since the last host step (the op log's newest entry is older). */
static bool first_op_pending(const session_t *ss)
{
    return !(ss->nops && ss->ops[ss->nops - 1].gen == ss->gen);
}

#define RESET_LOOP_RESETS 12u            /* resets without the app running: a reset loop */

static bool version_reached(session_t *ss, const scn_until_t *u)
{
    bool valid;
    uint64_t v = sess_running_version(ss, &valid);
    return !u->has_version || (valid && v == u->version);
}

/* Before the first run: the hooks' say, a flash-operation condition armed or already met, the
 * app already running. */
static drive_res_t drive_begin(session_t *ss, const drive_ctx_t *dc)
{
    const scn_until_t *u = dc->u;
    if (ss->hooks && ss->hooks->run_start && ss->hooks->run_start(ss->hooks_ctx, ss, dc))
        return DRIVE_SHARED;
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
    if (u->kind == SCN_UNTIL_APP_RUNNING && emu_app_running(ss->m) && version_reached(ss, u))
        return DRIVE_REACHED;
    return DRIVE_GO_ON;
}

/* Resets that count towards the reset-loop guard: waits for the app count every reset since the
 * step began, the others those since the app last started. */
static uint32_t reset_loop_count(session_t *ss, const drive_ctx_t *dc)
{
    const scn_until_t *u = dc->u;
    uint32_t since = u->kind == SCN_UNTIL_APP_RUNNING || u->kind == SCN_UNTIL_HALT ? dc->resets0 : dc->resets_app;
    return sess_total_resets(ss->m) - since;
}

/* The machine's stop conditions for the next run (or a result without running). */
static drive_res_t drive_stop_for(session_t *ss, const drive_ctx_t *dc, emu_stop_t *st, char *not_reached,
                                  size_t nlen)
{
    const scn_until_t *u = dc->u;
    emu_machine_t *m = ss->m;
    memset(st, 0, sizeof *st);
    st->app_running = true;
    st->time_ns = dc->deadline;
    if (dc->time_target && dc->time_target < st->time_ns)
        st->time_ns = dc->time_target;
    if (ss->s->budget.time_ns < st->time_ns)
        st->time_ns = ss->s->budget.time_ns;
    /* sweep recording: until the first flash operation since the last host step, a snapshot
     * every SNAP_TICK_NS (the latest one kept), so that a cut at that operation does not
     * re-run everything before it (an update's signature check, say) */
    if (ss->snap_after && first_op_pending(ss)) {
        if (!ss->snap_tick)
            ss->snap_tick = emu_time_ns(m) + SNAP_TICK_NS;
        if (ss->snap_tick < st->time_ns)
            st->time_ns = ss->snap_tick;
    }
    uint32_t done = sess_total_resets(m) - dc->resets0;
    if (u->kind == SCN_UNTIL_RESETS) {
        if (done >= u->resets)
            return DRIVE_REACHED;
        st->resets = u->resets - done;
    }
    if (u->kind == SCN_UNTIL_CONSOLE) {
        st->console_text = u->text;
        st->console_from = dc->con0;         /* text written during this step only */
    }
    /* a device that keeps resetting without the app running is in a reset loop, whatever the step
     * waits for (resets that lock up at once pass no time and run no instruction: no other
     * limit would end the wait) */
    if (u->kind != SCN_UNTIL_RESETS) {
        uint32_t loop = reset_loop_count(ss, dc);
        if (loop >= RESET_LOOP_RESETS) {
            snprintf(not_reached, nlen, "reset loop: %u resets without the app running", loop);
            return DRIVE_NOT_REACHED;
        }
        st->resets = RESET_LOOP_RESETS - loop;
    }
    st->max_insns = 4000000000ull;
    return DRIVE_GO_ON;
}

/* Sweep snapshot points: right after the planned operations, whatever stopped the run there
 * (the stop the flash hook asked for may come together with another one). */
static void drive_snapshots(session_t *ss)
{
    uint32_t total = flash_log_total(emu_flash(ss->m));
    while (ss->snap_after && ss->snap_next < ss->nsnap_after && total > ss->snap_after[ss->snap_next]) {
        if (total == ss->snap_after[ss->snap_next] + 1)
            ss->snap_cb(ss);
        ss->snap_next++;
    }
}

/* A stop on time: the target, the scenario's budget, a snapshot tick, or the deadline. */
static drive_res_t drive_time(session_t *ss, const drive_ctx_t *dc, scn_pos_t pos, char *not_reached, size_t nlen)
{
    emu_machine_t *m = ss->m;
    if (dc->time_target && emu_time_ns(m) >= dc->time_target)
        return DRIVE_REACHED;
    if (emu_time_ns(m) >= ss->s->budget.time_ns) {
        sess_fail(ss, pos, "the scenario's emulated-time budget (%.3f s, budget.time) is used up",
                  ss->s->budget.time_ns * 1e-9);
        return DRIVE_FAILED;
    }
    if (ss->snap_tick && emu_time_ns(m) < dc->deadline) {   /* not the deadline: the tick */
        if (ss->snap_after && first_op_pending(ss)) {
            ss->snap_timed = true;
            ss->snap_cb(ss);
            ss->snap_timed = false;
        }
        ss->snap_tick = emu_time_ns(m) + SNAP_TICK_NS;
        return DRIVE_GO_ON;
    }
    snprintf(not_reached, nlen, "not reached within %.3f s of emulated time", (dc->deadline - dc->t0) * 1e-9);
    return DRIVE_NOT_REACHED;
}

/* Why the machine stopped, read against the condition: a result, or DRIVE_GO_ON. */
static drive_res_t drive_stopped(session_t *ss, drive_ctx_t *dc, const emu_result_t *res, scn_pos_t pos,
                                 char *not_reached, size_t nlen)
{
    const scn_until_t *u = dc->u;
    emu_machine_t *m = ss->m;
    switch (res->reason) {
    case EMU_STOP_APP_RUNNING:
        dc->resets_app = sess_total_resets(m);
        if (!sess_check_invariant(ss, pos))
            return DRIVE_FAILED;
        if (u->kind == SCN_UNTIL_APP_RUNNING && version_reached(ss, u))
            return DRIVE_REACHED;
        return DRIVE_GO_ON;
    case EMU_STOP_RESETS:
        if (u->kind == SCN_UNTIL_RESETS)
            return DRIVE_REACHED;
        snprintf(not_reached, nlen, "reset loop: %u resets without the app running", reset_loop_count(ss, dc));
        return DRIVE_NOT_REACHED;
    case EMU_STOP_TIME:
        return drive_time(ss, dc, pos, not_reached, nlen);
    case EMU_STOP_FLASH_OP:
        if (u->kind == SCN_UNTIL_FLASH_OP && ss->hk.fired)
            return DRIVE_REACHED;
        if (ss->hooks && ss->hooks->flash_stop && ss->hooks->flash_stop(ss->hooks_ctx, ss, dc))
            return DRIVE_SHARED;
        return DRIVE_GO_ON;
    case EMU_STOP_CONSOLE:                   /* only our console stop: the text since con0 */
        return u->kind == SCN_UNTIL_CONSOLE ? DRIVE_REACHED : DRIVE_GO_ON;
    case EMU_STOP_HALT:
        if (u->kind == SCN_UNTIL_HALT)
            return DRIVE_REACHED;
        snprintf(not_reached, nlen, "the device halted (WFI with nothing to wake it) at pc 0x%08x", res->pc);
        return DRIVE_NOT_REACHED;
    case EMU_STOP_POWER_CUT:
        return DRIVE_CUT;
    case EMU_STOP_SEMIHOST_EXIT:
        snprintf(not_reached, nlen, "the firmware exited through semihosting (code %d)", res->exit_code);
        return DRIVE_NOT_REACHED;
    case EMU_STOP_BUDGET:
        snprintf(not_reached, nlen, "instruction budget used up");
        return DRIVE_NOT_REACHED;
    case EMU_STOP_LOCKUP:
    case EMU_STOP_FAULT:
        snprintf(not_reached, nlen, "the core stopped on a fault");
        return DRIVE_NOT_REACHED;
    default:
        sess_fail(ss, pos, "emulator stopped unexpectedly (%s): %s", emu_stop_reason_name(res->reason),
                  emu_last_error(m));
        return DRIVE_ERROR;
    }
}

/* Run until `u` holds (or the device's power is cut by an armed hook, or the invariant fails).
 * not_reached receives a description when the condition was not reached. */
drive_res_t sess_drive(session_t *ss, const scn_until_t *u, scn_pos_t pos, char *not_reached, size_t nlen)
{
    emu_machine_t *m = ss->m;
    uint64_t t0 = emu_time_ns(m);
    drive_ctx_t dc = { u, t0, t0 + (u->timeout_ns ? u->timeout_ns : DEFAULT_TIMEOUT_NS),
                       u->kind == SCN_UNTIL_TIME ? t0 + u->time_ns : 0, emu_console_total(m),
                       sess_total_resets(m), sess_total_resets(m) };
    not_reached[0] = 0;
    drive_res_t r = drive_begin(ss, &dc);
    while (r == DRIVE_GO_ON) {
        emu_stop_t st;
        r = drive_stop_for(ss, &dc, &st, not_reached, nlen);
        if (r != DRIVE_GO_ON)
            break;
        emu_result_t res;
        uint64_t time_before = emu_time_ns(m), insns_before = emu_insns(m);
        if (emu_run(m, &st, &res) != EMU_OK) {
            sess_fail(ss, pos, "emulator error: %s", emu_last_error(m));
            return DRIVE_ERROR;
        }
        drive_snapshots(ss);
        if (ss->violation)
            return DRIVE_FAILED;
        /* a time stop short of the time asked (the machine ends a run at an instruction-block
         * boundary) is no answer: run again while the machine moves */
        if (res.reason == EMU_STOP_TIME && emu_time_ns(m) < st.time_ns &&
            (emu_time_ns(m) > time_before || emu_insns(m) > insns_before))
            continue;
        r = drive_stopped(ss, &dc, &res, pos, not_reached, nlen);
    }
    return r;
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
