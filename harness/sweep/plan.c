/*
 * Cut-point plans: which flash operations of the recording a sweep cuts at, and their replay ids.
 * Contract in sweep_int.h.
 */
#include "sweep/sweep_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char mode_letter[] = "bat";

void cut_id(const scenario_t *s, const cutpt_t *c, bool nested, uint32_t seq2, scn_cut_mode_t m2,
                   char *out, size_t n)
{
    if (nested)
        snprintf(out, n, "%s@%u%c/%u%c", s->name, c->seq, mode_letter[c->mode], seq2, mode_letter[m2]);
    else
        snprintf(out, n, "%s@%u%c", s->name, c->seq, mode_letter[c->mode]);
}

uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Console offset (absolute) where text first appears at or after `from`, or UINT64_MAX. */
static uint64_t console_find(session_t *ss, const char *text, uint64_t from)
{
    size_t len;
    const char *c = emu_console(ss->m, &len);
    uint64_t first = emu_console_total(ss->m) - len;
    size_t start = from > first ? (size_t)(from - first) : 0;
    if (start > len)
        return UINT64_MAX;
    const char *p = strstr(c + start, text);
    return p ? first + (uint64_t)(p - c) : UINT64_MAX;
}

/* Select operations of a recorded run per the sweep's stretch, filters and selection. */
int select_ops(session_t *ss, const op_rec_t *ops, size_t nops, const scn_sweep_t *sw,
                      uint32_t min_seq, uint32_t **out, size_t *nout, char *err, size_t errlen)
{
    uint64_t from = 0, to = UINT64_MAX;
    if (sw->from_text) {
        from = console_find(ss, sw->from_text, 0);
        if (from == UINT64_MAX) {
            snprintf(err, errlen, "sweep: the text \"%s\" never appeared on the console", sw->from_text);
            return -1;
        }
    }
    if (sw->to_text) {
        to = console_find(ss, sw->to_text, from == UINT64_MAX ? 0 : from);
        if (to == UINT64_MAX) {
            snprintf(err, errlen, "sweep: the text \"%s\" never appeared on the console", sw->to_text);
            return -1;
        }
    }
    uint32_t *sel = malloc((nops ? nops : 1) * sizeof *sel);
    if (!sel)
        return -1;
    size_t n = 0;
    scn_flash_sel_t f = { .kind = sw->kind, .region = sw->region };
    for (size_t i = 0; i < nops; i++)
        if (ops[i].seq >= min_seq && ops[i].con >= from && ops[i].con < to &&
            sess_op_matches(ss, &f, ops[i].kind, ops[i].addr, ops[i].len))
            sel[n++] = (uint32_t)i;
    if (sw->select == SCN_SWEEP_EVERY_NTH && sw->n > 1) {
        size_t k = 0;
        for (size_t i = 0; i < n; i += sw->n)
            sel[k++] = sel[i];
        n = k;
    } else if (sw->select == SCN_SWEEP_RANDOM && sw->n < n) {
        uint64_t x = ss->seed ^ 0x5157u;
        for (size_t i = 0; i < sw->n; i++) {
            size_t j = i + (size_t)(splitmix64(&x) % (n - i));
            uint32_t t = sel[i]; sel[i] = sel[j]; sel[j] = t;
        }
        n = sw->n;
        for (size_t i = 1; i < n; i++)       /* back to operation order */
            for (size_t j = i; j > 0 && sel[j - 1] > sel[j]; j--) {
                uint32_t t = sel[j]; sel[j] = sel[j - 1]; sel[j - 1] = t;
            }
    }
    *out = sel;
    *nout = n;
    return 0;
}

int plan_cuts(session_t *ss, cutpt_t **out, size_t *n, char *err, size_t errlen)
{
    uint32_t *sel = NULL;
    size_t nsel = 0;
    if (select_ops(ss, ss->ops, ss->nops, &ss->s->sweep, 0, &sel, &nsel, err, errlen))
        return -1;
    bool modes[3];
    memcpy(modes, ss->s->sweep.modes, sizeof modes);
    if (!modes[0] && !modes[1] && !modes[2])
        modes[0] = modes[1] = true;
    cutpt_t *c = calloc(nsel * 3 + 1, sizeof *c);
    if (!c) {
        free(sel);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < nsel; i++)
        for (int m = 0; m < 3; m++)
            if (modes[m]) {
                const op_rec_t *op = &ss->ops[sel[i]];
                c[k++] = (cutpt_t){ op->seq, op->kind, op->addr, op->len, (scn_cut_mode_t)m, op->gen };
            }
    free(sel);
    *out = c;
    *n = k;
    return 0;
}
