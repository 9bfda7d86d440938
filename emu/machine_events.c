/*
 * fwemu machine: the event log, the console, "app running" recognition and stop requests.
 * Contracts in emu.h and machine_int.h.
 */
#define _GNU_SOURCE                          /* memmem, memrchr */
#include "machine_int.h"

#include <stdio.h>
#include <string.h>

void machine_event(emu_machine_t *m, const emu_event_t *ev_in)
{
    emu_event_t ev = *ev_in;
    ev.time_ns = emu_time_ns(m);
    ev.insns = m->d.insns;
    if (!ev.pc)
        ev.pc = m->cfg.trace_code ? m->last_insn_pc : m->cur_block;
    size_t cap = m->cfg.event_capacity;
    size_t idx = (m->d.ev_head + m->d.ev_count) % cap;
    m->ev[idx] = ev;
    if (m->d.ev_count < cap)
        m->d.ev_count++;
    else
        m->d.ev_head = (m->d.ev_head + 1) % cap;
    m->d.ev_total++;
    if (ev.kind == EMU_EV_FAULT)
        m->d.faults++;
    else if (ev.kind == EMU_EV_LOCKUP)
        m->d.lockups++;
}

uint64_t emu_fault_count(const emu_machine_t *m) { return m->d.faults; }
uint64_t emu_lockup_count(const emu_machine_t *m) { return m->d.lockups; }
uint64_t emu_console_total(const emu_machine_t *m) { return m->d.console_total; }

void machine_note(emu_machine_t *m, emu_event_kind_t kind, const char *detail)
{
    emu_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    if (detail)
        snprintf(ev.detail, sizeof ev.detail, "%s", detail);
    machine_event(m, &ev);
}

size_t emu_event_count(const emu_machine_t *m) { return m->d.ev_count; }
uint64_t emu_event_total(const emu_machine_t *m) { return m->d.ev_total; }

const emu_event_t *emu_event_get(const emu_machine_t *m, size_t i)
{
    if (i >= m->d.ev_count)
        return NULL;
    return &m->ev[(m->d.ev_head + i) % m->cfg.event_capacity];
}

/* Only asks, no uc_emu_stop: the block hook stops at the next block boundary (machine_int.h). */
void machine_request_stop(emu_machine_t *m, emu_stop_reason_t why)
{
    if (m->stop_now)
        return;
    m->stop_now = true;
    m->stop_reason = why;
    m->attention = true;
}

void emu_request_stop(emu_machine_t *m, emu_stop_reason_t why)
{
    machine_request_stop(m, why);
}

void machine_mark_app_running(emu_machine_t *m, const char *how)
{
    if (m->d.app_running)
        return;
    m->d.app_running = true;
    m->d.vtor_in_app = false;
    emu_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = EMU_EV_APP_RUNNING;
    ev.a.marker.value = m->d.marker;
    snprintf(ev.detail, sizeof ev.detail, "%s", how);
    machine_event(m, &ev);
    if (m->stop && m->stop->app_running)
        machine_request_stop(m, EMU_STOP_APP_RUNNING);
}

/* The console stop (emu.h emu_stop_t.console_text): is the text in the console, starting at or
 * after con_scan (>= stop.console_from) and ending at or before the absolute offset `end`? Only
 * that window is searched; con_scan then moves to the first place where a match ending after
 * `end` could start, so every console byte is searched about once per run. */
static bool console_stop_search(emu_machine_t *m, uint64_t end)
{
    uint64_t first = m->d.console_total - m->d.console_len;   /* offset of console[0] */
    uint64_t from = m->con_scan > first ? m->con_scan : first;
    size_t len = m->con_text_len;
    if (end < from || end - from < len)
        return false;
    if (end - len + 1 > m->con_scan)
        m->con_scan = end - len + 1;
    return memmem(m->console + (from - first), (size_t)(end - from), m->stop->console_text, len) != NULL;
}

bool machine_console_stop_begin(emu_machine_t *m)
{
    const emu_stop_t *st = m->stop;
    if (!st || !st->console_text)
        return false;
    m->con_text_len = strlen(st->console_text);
    m->con_scan = st->console_from;
    uint64_t first = m->d.console_total - m->d.console_len;
    if (m->con_scan >= m->d.console_total)
        return false;
    /* text written since console_from, up to its last newline: what the newlines' checks of
     * earlier runs could see (another stop may have ended the run first) */
    uint64_t from = m->con_scan > first ? m->con_scan : first;
    const char *base = m->console + (from - first);
    const char *nl = memrchr(base, '\n', (size_t)(m->d.console_total - from));
    return nl && console_stop_search(m, from + (uint64_t)(nl - base) + 1);
}

void machine_console_put(emu_machine_t *m, uint8_t c)
{
    size_t cap = m->cfg.console_capacity;
    if (m->d.console_len == cap) {
        size_t keep = cap / 2;
        memmove(m->console, m->console + (cap - keep), keep);
        m->d.console_len = keep;
    }
    m->console[m->d.console_len++] = (char)c;
    m->console[m->d.console_len] = 0;
    m->d.console_total++;
    if (m->cfg.console_cb)
        m->cfg.console_cb(m->cfg.console_ctx, c);
    /* incremental match of the "app running" console text (restart on mismatch) */
    const char *t = m->app_console_text;
    if (t && *t && !m->d.app_running) {
        if ((char)c == t[m->d.con_match])
            m->d.con_match++;
        else
            m->d.con_match = ((char)c == t[0]) ? 1 : 0;
        if (t[m->d.con_match] == 0) {
            m->d.con_match = 0;
            machine_mark_app_running(m, "console text");
        }
    }
    if (c == '\n' && m->stop && m->stop->console_text &&
        console_stop_search(m, m->d.console_total))
        machine_request_stop(m, EMU_STOP_CONSOLE);
}

const char *emu_console(const emu_machine_t *m, size_t *len)
{
    if (len)
        *len = m->d.console_len;
    return m->console;
}

