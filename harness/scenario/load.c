/*
 * Scenario loader: contract in scenario.h, format in scenarios/README.md.
 *
 * Two passes. libyaml's event parser builds a small tree of our own (ynode_t): that is where
 * aliases, tags, extra documents and absurd nesting are refused with their exact position, so
 * the second pass (the schema walk) sees a plain tree of bounded depth. The schema walk checks
 * every key and value and fills scenario_t; the first error found wins and is reported as
 * "file:line:column: message" (libyaml marks are 0-based; ours are 1-based).
 *
 * Bad input is never an assert: every check is a VERIFY that returns SCN_ERR_SCHEMA/SYNTAX.
 */
#include "scenario/load_int.h"
#include "scenario/pattern.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "codec/bundled.h"
#include "codec/delta.h"
#include "emu.h"
#include "codec/layout.h"
#include "codec/manifest.h"
#include "server/server.h"


/* ---- expect ------------------------------------------------------------------------------------- */

static int ld_get_str_list(ctx_t *c, const ynode_t *k, const ynode_t *v, char ***out, size_t *n)
{
    if (v->type == YN_SCALAR) {
        char *s = NULL;
        if (ld_get_str(c, k, v, &s))
            return c->rc;
        *out = malloc(sizeof **out);
        if (!*out) {
            free(s);
            return ld_nomem(c);
        }
        (*out)[0] = s;
        *n = 1;
        return 0;
    }
    if (ld_want_seq(c, k, v))
        return c->rc;
    if (v->n == 0)
        return ld_err_at(c, v, "'%s' is empty", KEY(k));
    *out = calloc(v->n, sizeof **out);
    if (!*out)
        return ld_nomem(c);
    for (size_t i = 0; i < v->n; i++) {
        if (ld_get_str(c, k, v->kid[i], &(*out)[i]))
            return c->rc;
        *n = i + 1;
    }
    return 0;
}

/* expect.resets: a number (exact total) or {max, power_on, pin, software, watchdog, lockup}. */
static int parse_expect_resets(ctx_t *c, const ynode_t *kn, const ynode_t *x)
{
    static const char *const reset_keys[] = { "max", "power_on", "pin", "software", "watchdog", "lockup", NULL };
    scn_expect_t *e = &c->s->expect;
    e->at.resets = ld_pos_of(kn);
    if (x->type == YN_SCALAR) {
        if (ld_get_u32(c, kn, x, 0, &e->resets))
            return c->rc;
        e->has_resets = true;
    } else if (x->type == YN_SEQ) {
        return ld_err_at(c, x, "'resets' must be a number or a mapping of max, power_on, pin, software, watchdog, "
                      "lockup (got a sequence)");
    } else {
        if (ld_check_map(c, kn, x, "resets", reset_keys))
            return c->rc;
        if (x->n == 0)
            return ld_err_at(c, x, "'resets' needs at least one of: max, power_on, pin, software, watchdog, lockup");
        const ynode_t *k2, *x2;
        if ((x2 = ld_get(x, "max", &k2))) {
            if (ld_get_u32(c, k2, x2, 0, &e->max_resets))
                return c->rc;
            e->has_max_resets = true;
        }
        static const int kind_of_key[] = { -1, EMU_RESET_POWER_ON, EMU_RESET_PIN, EMU_RESET_SOFTWARE,
                                           EMU_RESET_WATCHDOG, EMU_RESET_LOCKUP };
        for (int i = 1; reset_keys[i]; i++) {
            uint64_t n = 0;
            if ((x2 = ld_get(x, reset_keys[i], &k2))) {
                if (ld_get_num(c, k2, x2, 0, INT32_MAX, &n))
                    return c->rc;
                e->reset_reasons[kind_of_key[i]] = (int)n;
            }
        }
    }
    return c->rc;
}

/* expect.console: {contains, not_contains, matches}. */
static int parse_expect_console(ctx_t *c, const ynode_t *kn, const ynode_t *x)
{
    static const char *const con_keys[] = { "contains", "not_contains", "matches", NULL };
    scn_expect_t *e = &c->s->expect;
    e->at.console = ld_pos_of(kn);
    if (ld_check_map(c, kn, x, "console", con_keys))
        return c->rc;
    if (x->n == 0)
        return ld_err_at(c, x, "'console' needs at least one of: contains, not_contains, matches");
    const ynode_t *k2, *x2;
    if ((x2 = ld_get(x, "contains", &k2)) && ld_get_str_list(c, k2, x2, &e->contains, &e->ncontains))
        return c->rc;
    if ((x2 = ld_get(x, "not_contains", &k2)) && ld_get_str_list(c, k2, x2, &e->not_contains, &e->nnot_contains))
        return c->rc;
    if ((x2 = ld_get(x, "matches", &k2))) {
        if (ld_get_str(c, k2, x2, &e->matches))
            return c->rc;
        pat_t *pat = NULL;
        size_t off = 0;
        char msg[160];
        if (pat_compile(e->matches, &pat, &off, msg, sizeof msg) != PAT_OK)
            return ld_err_pos(c, SCN_ERR_SCHEMA, x2->line, x2->col + (int)off + (x2->quoted ? 1 : 0),
                              "'matches': %s (character %zu of the pattern; the subset is in scenarios/README.md)",
                              msg, off + 1);
        pat_free(pat);
    }
    return c->rc;
}

/* expect.eventually: {version, within_boots | within}. */
static int parse_expect_eventually(ctx_t *c, const ynode_t *kn, const ynode_t *x)
{
    static const char *const ev_keys[] = { "version", "within_boots", "within", NULL };
    scn_expect_t *e = &c->s->expect;
    if (ld_check_map(c, kn, x, "eventually", ev_keys))
        return c->rc;
    const ynode_t *k2, *x2;
    if (!(x2 = ld_get(x, "version", &k2)))
        return ld_missing(c, kn, x, "eventually", "version");
    if (ld_get_num(c, k2, x2, 0, UINT64_MAX, &e->eventually_version))
        return c->rc;
    if ((x2 = ld_get(x, "within_boots", &k2)) && ld_get_u32(c, k2, x2, 1, &e->eventually_boots))
        return c->rc;
    if ((x2 = ld_get(x, "within", &k2))) {
        if (ld_get(x, "within_boots", NULL))
            return ld_err_at(c, k2, "'within' (emulated time, no power cycles) and 'within_boots' exclude each other");
        if (ld_get_dur(c, k2, x2, &e->eventually_within_ns))
            return c->rc;
    }
    e->has_eventually = true;
    return c->rc;
}

/* expect.may_write: {bootloader: [REGION...], app: [REGION...]}: regions each may write besides
 * its own (the write oracle's defaults: the bootloader the active slot, the app the candidate
 * storage and the KVStore). */
static int parse_expect_may_write(ctx_t *c, const ynode_t *kn, const ynode_t *x)
{
    static const char *const who_keys[] = { "bootloader", "app", NULL };
    scn_expect_t *e = &c->s->expect;
    if (ld_check_map(c, kn, x, "may_write", who_keys))
        return c->rc;
    for (int w = 0; who_keys[w]; w++) {
        const ynode_t *k2, *x2 = ld_get(x, who_keys[w], &k2);
        if (!x2)
            continue;
        if (ld_want_seq(c, k2, x2))
            return c->rc;
        for (size_t i = 0; i < x2->n; i++) {
            scn_region_t r;
            if (ld_get_region(c, k2, x2->kid[i], &r))
                return c->rc;
            e->may_write[w] |= 1u << r;
        }
    }
    return c->rc;
}

static int ld_parse_expect(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    static const char *const keys[] = { "running", "active", "candidate", "resets", "console", "no_faults",
                                        "no_reprogram", "max_time", "max_wear", "bricked", "one_of", "eventually",
                                        "update_result", "no_update_result", "may_write", NULL };
    static const char *const run_keys[] = { "version", "digest", "image", NULL };
    static const char *const states[] = { "valid", "invalid", "erased", NULL };
    scn_expect_t *e = &c->s->expect;
    const ynode_t *kn, *x;
    e->pos = ld_pos_of(k);
    if (ld_check_map(c, k, v, "expect", keys))
        return c->rc;

    if ((x = ld_get(v, "running", &kn))) {
        e->at.running = ld_pos_of(kn);
        if (ld_check_map(c, kn, x, "running", run_keys))
            return c->rc;
        if (x->n == 0)
            return ld_err_at(c, x, "'running' needs at least one of: version, digest, image");
        const ynode_t *k2, *x2;
        if ((x2 = ld_get(x, "version", &k2)) && ld_get_num(c, k2, x2, 0, UINT64_MAX, &e->running_version) == 0)
            e->has_running_version = true;
        if ((x2 = ld_get(x, "digest", &k2)) && ld_get_hex_fixed(c, k2, x2, e->running_digest, 32, "a SHA-256") == 0)
            e->has_running_digest = true;
        const bundled_image_t *img;
        if ((x2 = ld_get(x, "image", &k2)))
            ld_get_app_image(c, k2, x2, &e->running_image, &img);
        if (c->rc)
            return c->rc;
    }
    int s = 0;
    if ((x = ld_get(v, "active", &kn))) {
        e->at.active = ld_pos_of(kn);
        if (ld_get_enum(c, kn, x, states, &s))
            return c->rc;
        e->active = (scn_hdr_state_t)(s + 1);
    }
    if ((x = ld_get(v, "candidate", &kn))) {
        e->at.candidate = ld_pos_of(kn);
        if (ld_get_enum(c, kn, x, states, &s))
            return c->rc;
        e->candidate = (scn_hdr_state_t)(s + 1);
    }
    if ((x = ld_get(v, "resets", &kn)) && parse_expect_resets(c, kn, x))
        return c->rc;
    if ((x = ld_get(v, "console", &kn)) && parse_expect_console(c, kn, x))
        return c->rc;
    if ((x = ld_get(v, "no_faults", &kn))) {
        e->at.no_faults = ld_pos_of(kn);
        ld_get_bool(c, kn, x, &e->no_faults);
    }
    if ((x = ld_get(v, "no_reprogram", &kn))) {
        e->at.no_reprogram = ld_pos_of(kn);
        ld_get_bool(c, kn, x, &e->no_reprogram);
    }
    if ((x = ld_get(v, "max_time", &kn))) {
        e->at.max_time = ld_pos_of(kn);
        if (ld_get_dur(c, kn, x, &e->max_time_ns) == 0)
            e->has_max_time = true;
    }
    if ((x = ld_get(v, "max_wear", &kn))) {
        e->at.max_wear = ld_pos_of(kn);
        if (ld_get_u32(c, kn, x, 0, &e->max_wear) == 0)
            e->has_max_wear = true;
    }
    if ((x = ld_get(v, "bricked", &kn))) {
        bool b = false;
        e->at.bricked = ld_pos_of(kn);
        if (ld_get_bool(c, kn, x, &b) == 0)
            e->bricked = b;
    }
    if (c->rc)
        return c->rc;
    if ((x = ld_get(v, "one_of", &kn))) {
        e->at.one_of = ld_pos_of(kn);
        if (ld_want_seq(c, kn, x))
            return c->rc;
        if (x->n == 0)
            return ld_err_at(c, x, "'one_of' is empty (list the versions allowed to run)");
        e->one_of = calloc(x->n, sizeof *e->one_of);
        if (!e->one_of)
            return ld_nomem(c);
        for (size_t i = 0; i < x->n; i++) {
            if (ld_get_num(c, kn, x->kid[i], 0, UINT64_MAX, &e->one_of[i]))
                return c->rc;
            e->n_one_of = i + 1;
        }
    }
    if ((x = ld_get(v, "eventually", &kn))) {
        e->at.eventually = ld_pos_of(kn);
        if (parse_expect_eventually(c, kn, x))
            return c->rc;
    }
    if ((x = ld_get(v, "may_write", &kn)) && parse_expect_may_write(c, kn, x))
        return c->rc;
    if ((x = ld_get(v, "update_result", &kn))) {
        e->at.update_result = ld_pos_of(kn);
        if (x->type == YN_SCALAR) {
            e->update_results = calloc(1, sizeof *e->update_results);
            if (!e->update_results)
                return ld_nomem(c);
            e->nupdate_results = 1;
            if (ld_get_str(c, kn, x, &e->update_results[0]))
                return c->rc;
        } else if (ld_get_str_list(c, kn, x, &e->update_results, &e->nupdate_results)) {
            return c->rc;
        }
    }
    if ((x = ld_get(v, "no_update_result", &kn))) {
        if (x->type == YN_SCALAR) {
            e->no_update_results = calloc(1, sizeof *e->no_update_results);
            if (!e->no_update_results)
                return ld_nomem(c);
            e->nno_update_results = 1;
            if (ld_get_str(c, kn, x, &e->no_update_results[0]))
                return c->rc;
        } else if (ld_get_str_list(c, kn, x, &e->no_update_results, &e->nno_update_results)) {
            return c->rc;
        }
    }
    if (e->bricked == 1) {
        const char *clash = e->at.running.line ? "running" : e->at.one_of.line ? "one_of"
                          : e->at.eventually.line ? "eventually" : NULL;
        if (clash)
            return ld_err_pos(c, SCN_ERR_SCHEMA, e->at.bricked.line, e->at.bricked.column,
                           "'bricked: true' contradicts '%s' (a bricked device runs no app)", clash);
    }
    return c->rc;
}

/* ---- sweep -------------------------------------------------------------------------------------- */

static int ld_parse_sweep(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    static const char *const keys[] = { "between", "select", "kind", "region", "modes", "nested", "max_boots",
                                        "allow_empty", NULL };
    static const char *const between_keys[] = { "from", "to", NULL };
    static const char *const select_kinds[] = { "every", "random", NULL };
    static const char *const kinds[] = { "any", "erase", "program", NULL };
    static const char *const modes[] = { "before", "after", "torn", NULL };
    static const char *const nested_keys[] = { "depth", NULL };
    scn_sweep_t *sw = &c->s->sweep;
    const ynode_t *kn, *x;
    sw->pos = ld_pos_of(k);
    sw->enabled = true;
    sw->modes[SCN_CUT_BEFORE] = sw->modes[SCN_CUT_AFTER] = true;
    sw->max_boots = 3;
    if (ld_check_map(c, k, v, "sweep", keys))
        return c->rc;
    if ((x = ld_get(v, "between", &kn))) {
        if (x->type == YN_SCALAR && ld_str_is(x, "all")) {
            /* from / to stay NULL */
        } else if (x->type == YN_MAP) {
            if (ld_check_map(c, kn, x, "between", between_keys))
                return c->rc;
            if (x->n == 0)
                return ld_err_at(c, x, "'between' needs 'from', 'to' or both (console texts), or is 'all'");
            const ynode_t *k2, *x2;
            if ((x2 = ld_get(x, "from", &k2)) && ld_get_str(c, k2, x2, &sw->from_text))
                return c->rc;
            if ((x2 = ld_get(x, "to", &k2)) && ld_get_str(c, k2, x2, &sw->to_text))
                return c->rc;
        } else {
            char b[96];
            return ld_err_at(c, x, "'between' must be all or {from: TEXT, to: TEXT} (got %s)", ld_kind_of(x, b));
        }
    }
    if ((x = ld_get(v, "select", &kn))) {
        if (x->type == YN_SCALAR && ld_str_is(x, "every")) {
            sw->select = SCN_SWEEP_EVERY;
        } else if (x->type == YN_MAP) {
            int which = 0;
            const ynode_t *k2, *x2;
            if (ld_one_of_keys(c, kn, x, "select", select_kinds, &which, &k2, &x2))
                return c->rc;
            sw->select = which == 0 ? SCN_SWEEP_EVERY_NTH : SCN_SWEEP_RANDOM;
            if (ld_get_u32(c, k2, x2, 1, &sw->n))
                return c->rc;
        } else {
            char b[96];
            return ld_err_at(c, x, "'select' must be every, {every: N} or {random: N} (got %s)", ld_kind_of(x, b));
        }
    }
    int e = 0;
    if ((x = ld_get(v, "kind", &kn)) && ld_get_enum(c, kn, x, kinds, &e) == 0)
        sw->kind = (scn_op_filter_t)e;
    if ((x = ld_get(v, "region", &kn)))
        ld_get_region(c, kn, x, &sw->region);
    if (c->rc)
        return c->rc;
    if ((x = ld_get(v, "modes", &kn))) {
        if (ld_want_seq(c, kn, x))
            return c->rc;
        if (x->n == 0)
            return ld_err_at(c, x, "'modes' is empty (give one or more of before, after, torn)");
        sw->modes[0] = sw->modes[1] = sw->modes[2] = false;
        for (size_t i = 0; i < x->n; i++) {
            if (ld_get_enum(c, kn, x->kid[i], modes, &e))
                return c->rc;
            if (sw->modes[e])
                return ld_err_at(c, x->kid[i], "'modes' lists '%s' twice", modes[e]);
            sw->modes[e] = true;
        }
    }
    if ((x = ld_get(v, "nested", &kn))) {
        if (ld_check_map(c, kn, x, "nested", nested_keys))
            return c->rc;
        const ynode_t *k2, *x2;
        if (!(x2 = ld_get(x, "depth", &k2)))
            return ld_missing(c, kn, x, "nested", "depth");
        if (ld_get_u32(c, k2, x2, 0, &sw->nested_depth))
            return c->rc;
        if (sw->nested_depth > 1)
            return ld_err_at(c, x2, "'depth' must be 0 or 1 (one more cut during the recovery; got %u)",
                          sw->nested_depth);
    }
    if ((x = ld_get(v, "max_boots", &kn)))
        ld_get_u32(c, kn, x, 1, &sw->max_boots);
    if ((x = ld_get(v, "allow_empty", &kn)))
        ld_get_bool(c, kn, x, &sw->allow_empty);
    return c->rc;
}

/* ---- the document ------------------------------------------------------------------------------ */

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SCN_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* The file's stem ("scenarios/x.yaml" -> "x"), or NULL when it is not a valid name. */
static char *stem_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".yaml"))
        n -= 5;
    else if (n > 4 && !strcmp(b + n - 4, ".yml"))
        n -= 4;
    char *s = strndup(b, n);
    if (s && !name_ok(s)) {
        free(s);
        return NULL;
    }
    return s;
}

/* budget: {time: D, steps: N}. */
static int parse_budget(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    static const char *const keys[] = { "time", "steps", NULL };
    scn_budget_t *b = &c->s->budget;
    const ynode_t *kn, *x;
    b->pos = ld_pos_of(k);
    if (ld_check_map(c, k, v, "budget", keys))
        return c->rc;
    if ((x = ld_get(v, "time", &kn)) && ld_get_dur(c, kn, x, &b->time_ns))
        return c->rc;
    if ((x = ld_get(v, "steps", &kn)))
        ld_get_u32(c, kn, x, 1, &b->steps);
    return c->rc;
}

/* Steps executed by one run of steps[0..n) with every repeat expanded (UINT64_MAX: more than
 * UINT32_MAX). */
static uint64_t steps_in_all(const scn_step_t *steps, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n && total <= UINT32_MAX; i++) {
        total++;
        if (steps[i].kind == SCN_STEP_REPEAT) {
            uint64_t inner = steps_in_all(steps[i].u.repeat.steps, steps[i].u.repeat.nsteps);
            if (inner == UINT64_MAX || inner * steps[i].u.repeat.count > UINT32_MAX)
                return UINT64_MAX;
            total += inner * steps[i].u.repeat.count;
        }
    }
    return total > UINT32_MAX ? UINT64_MAX : total;
}

static int parse_root(ctx_t *c, const ynode_t *root)
{
    static const char *const keys[] = { "name", "description", "tags", "device", "setup", "steps", "expect",
                                        "sweep", "budget", NULL };
    scenario_t *s = c->s;
    const ynode_t *kn, *x;
    char b[96];
    s->pos = ld_pos_of(root);
    if (root->type == YN_SCALAR && ld_is_null(root))
        return ld_err_pos(c, SCN_ERR_SCHEMA, 1, 1, "empty scenario (expected a mapping with keys such as name, setup, "
                       "steps, expect)");
    if (root->type != YN_MAP)
        return ld_err_at(c, root, "a scenario must be a mapping of name, description, tags, device, setup, steps, "
                      "expect, sweep (got %s)", ld_kind_of(root, b));
    if (ld_check_map(c, NULL, root, NULL, keys))
        return c->rc;
    if ((x = ld_get(root, "name", &kn))) {
        if (ld_get_str(c, kn, x, &s->name))
            return c->rc;
        if (!name_ok(s->name)) {
            char t[80];
            return ld_err_at(c, x, "'name': '%s' is not a scenario name (1-%d characters of A-Z a-z 0-9 . _ -; it "
                          "becomes part of replay ids and test names)", ld_shown(x, t), SCN_NAME_MAX);
        }
    } else {
        s->name = stem_name(c->path);
        if (!s->name)
            return ld_err_at(c, root, "missing key 'name' (and the file name is not a valid scenario name)");
    }
    if ((x = ld_get(root, "description", &kn)) && ld_get_str(c, kn, x, &s->description))
        return c->rc;
    if ((x = ld_get(root, "tags", &kn))) {
        if (ld_want_seq(c, kn, x))
            return c->rc;
        s->tags = calloc(x->n ? x->n : 1, sizeof *s->tags);
        if (!s->tags)
            return ld_nomem(c);
        for (size_t i = 0; i < x->n; i++) {
            if (ld_get_str(c, kn, x->kid[i], &s->tags[i]))
                return c->rc;
            s->ntags = i + 1;
            if (!name_ok(s->tags[i])) {
                char t[80];
                return ld_err_at(c, x->kid[i], "'tags': '%s' is not a tag (1-%d characters of A-Z a-z 0-9 . _ -)",
                              ld_shown(x->kid[i], t), SCN_NAME_MAX);
            }
        }
    }
    if ((x = ld_get(root, "device", &kn)) && ld_parse_device(c, kn, x))
        return c->rc;
    if ((x = ld_get(root, "setup", &kn)) && ld_parse_setup(c, kn, x))
        return c->rc;
    if (s->device.bootloader && s->setup.base != SCN_BASE_IMAGES) {
        const ynode_t *dk, *dv = ld_get(root, "device", NULL);
        ld_get(dv, "bootloader", &dk);
        return ld_err_at(c, dk, "'bootloader' has no effect with setup 'flash: %s' (the flash %s)",
                      s->setup.base == SCN_BASE_DUMP ? "{dump: ...}" : "erased",
                      s->setup.base == SCN_BASE_DUMP ? "comes from the dump" : "stays erased");
    }
    if ((x = ld_get(root, "steps", &kn)) && ld_parse_steps(c, kn, x, 0, &s->steps, &s->nsteps))
        return c->rc;
    if ((x = ld_get(root, "expect", &kn)) && ld_parse_expect(c, kn, x))
        return c->rc;
    if ((x = ld_get(root, "sweep", &kn)) && ld_parse_sweep(c, kn, x))
        return c->rc;
    if (s->expect.has_eventually && !s->sweep.enabled) {
        const ynode_t *ek, *ev = ld_get(root, "expect", NULL);
        ld_get(ev, "eventually", &ek);
        return ld_err_at(c, ek, "'eventually' applies only to sweeps (after each cut); without a sweep use "
                      "'running: {version: N}'");
    }
    if ((x = ld_get(root, "budget", &kn)) && parse_budget(c, kn, x))
        return c->rc;
    uint64_t total = steps_in_all(s->steps, s->nsteps);
    if (total > s->budget.steps) {
        const ynode_t *sk;
        ld_get(root, "steps", &sk);
        return ld_err_at(c, sk ? sk : root, "the steps run %s%" PRIu64 " times in all (repeats counted), over the "
                         "step budget of %u (budget.steps)", total == UINT64_MAX ? "over " : "",
                         total == UINT64_MAX ? (uint64_t)UINT32_MAX : total, s->budget.steps);
    }
    pstate_t ps = PS_OFF_START;
    if (ld_check_power(c, s->steps, s->nsteps, &ps))
        return c->rc;
    if (s->nsteps && ps == PS_OFF_STAYED && (s->expect.at.running.line || s->expect.at.one_of.line)) {
        const scn_pos_t p = s->expect.at.running.line ? s->expect.at.running : s->expect.at.one_of;
        return ld_err_pos(c, SCN_ERR_SCHEMA, p.line, p.column, "'%s' can never hold: the steps end with the device "
                       "powered off (stay_off: true); add a boot step",
                       s->expect.at.running.line ? "running" : "one_of");
    }
    return c->rc;
}

/* ---- load / free -------------------------------------------------------------------------------- */

static void free_steps(scn_step_t *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        scn_step_t *st = &steps[i];
        switch (st->kind) {
        case SCN_STEP_BOOT:
        case SCN_STEP_RUN:
            free(st->u.until.text);
            break;
        case SCN_STEP_CORRUPT:
            free(st->u.corrupt.bytes);
            break;
        case SCN_STEP_STAGE:
            free(st->u.stage.image);
            free(st->u.stage.file);
            break;
        case SCN_STEP_REPEAT:
            free_steps(st->u.repeat.steps, st->u.repeat.nsteps);   /* depth <= SCN_MAX_REPEAT_DEPTH */
            break;
        case SCN_STEP_PUBLISH:
            free(st->u.publish.image);
            free(st->u.publish.file);
            free(st->u.publish.delta_from_image);
            free(st->u.publish.delta_from_file);
            free(st->u.publish.payload_file);
            free(st->u.publish.manifest_file);
            free(st->u.publish.key);
            break;
        case SCN_STEP_SERVER:
            for (size_t j = 0; j < st->u.server.nfaults; j++) {
                free(st->u.server.faults[j].resource);
                free(st->u.server.faults[j].with);
            }
            free(st->u.server.faults);
            break;
        default:
            break;
        }
    }
    free(steps);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void scenario_free(scenario_t *s)
{
    if (!s)
        return;
    free(s->file);
    free(s->name);
    free(s->description);
    free_strv(s->tags, s->ntags);
    free(s->device.bootloader);
    free(s->device.layout);
    free(s->setup.dump);
    free(s->setup.active.image);
    free(s->setup.active.file);
    free(s->setup.candidate.image);
    free(s->setup.candidate.file);
    free_steps(s->steps, s->nsteps);
    free(s->expect.running_image);
    free_strv(s->expect.contains, s->expect.ncontains);
    free_strv(s->expect.not_contains, s->expect.nnot_contains);
    free(s->expect.matches);
    free(s->expect.one_of);
    free_strv(s->expect.update_results, s->expect.nupdate_results);
    free_strv(s->expect.no_update_results, s->expect.nno_update_results);
    free(s->sweep.from_text);
    free(s->sweep.to_text);
    memset(s, 0, sizeof *s);
}

static void init_defaults(scenario_t *s)
{
    memset(s, 0, sizeof *s);
    s->device.ram_fill = s->device.watchdog = s->device.unmapped = s->device.on_reprogram = -1;
    s->expect.bricked = -1;
    s->budget.time_ns = SCN_DEFAULT_BUDGET_TIME_NS;
    s->budget.steps = SCN_DEFAULT_BUDGET_STEPS;
    for (int i = 0; i < 5; i++)
        s->expect.reset_reasons[i] = -1;
}

/* The whole file into memory (bounded). */
static int read_all(ctx_t *c, unsigned char **out, size_t *len)
{
    FILE *f = fopen(c->path, "rb");
    struct stat st;
    if (!f) {
        snprintf(c->err, c->errlen, "%s: cannot open: %s", c->path, strerror(errno));
        return c->rc = SCN_ERR_IO;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        snprintf(c->err, c->errlen, "%s: not a regular file", c->path);
        return c->rc = SCN_ERR_IO;
    }
    if ((uint64_t)st.st_size > SCN_MAX_FILE) {
        fclose(f);
        snprintf(c->err, c->errlen, "%s: %lld bytes; a scenario file is at most %u bytes", c->path,
                 (long long)st.st_size, SCN_MAX_FILE);
        return c->rc = SCN_ERR_IO;
    }
    unsigned char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        fclose(f);
        return ld_nomem(c);
    }
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(c->err, c->errlen, "%s: read error", c->path);
        return c->rc = SCN_ERR_IO;
    }
    *out = buf;
    *len = n;
    return 0;
}

int scenario_load(const char *path, scenario_t *out, char *err, size_t errlen)
{
    return scenario_load_layout(path, NULL, out, err, errlen);
}

int scenario_load_layout(const char *path, const fw_layout_t *layout, scenario_t *out, char *err,
                         size_t errlen)
{
    char dummy[1];
    ctx_t c = { .path = path ? path : "(null)", .err = err && errlen ? err : dummy,
                .errlen = err && errlen ? errlen : sizeof dummy, .override = layout };
    c.err[0] = 0;
    if (!out)
        return SCN_ERR_IO;
    init_defaults(out);
    c.s = out;
    if (layout)
        c.l = *layout;
    else
        fw_layout_default(&c.l);
    if (!path) {
        snprintf(c.err, c.errlen, "(null): no file given");
        return SCN_ERR_IO;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    if (read_all(&c, &buf, &len))
        return c.rc;
    ynode_t *root = NULL;
    if (ld_build_tree(&c, buf, len, &root) == SCN_OK) {
        out->file = strdup(path);
        if (!out->file)
            ld_nomem(&c);
        else if (!root)
            ld_err_pos(&c, SCN_ERR_SCHEMA, 1, 1, "empty scenario (expected a mapping with keys such as name, setup, "
                    "steps, expect)");
        else
            parse_root(&c, root);
    }
    ld_yn_free(root);
    free(buf);
    if (c.rc) {
        scenario_free(out);
        return c.rc;
    }
    out->layout = c.l;
    return SCN_OK;
}
