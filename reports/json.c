/*
 * JSON writer: the whole model (contract in report.h), for scripts and for diffing runs.
 * Keys in a fixed order (JSON_PRESERVE_ORDER), times rounded to milliseconds, nothing about the
 * moment of writing: the same model gives the same bytes.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Builders that never fail on their own: a NULL child marks the whole document as failed. */
typedef struct jb {
    bool oom;
} jb_t;

static void set(jb_t *b, json_t *obj, const char *key, json_t *v)
{
    if (!v || !obj || json_object_set_new(obj, key, v) != 0)
        b->oom = true;
}

static void push(jb_t *b, json_t *arr, json_t *v)
{
    if (!v || !arr || json_array_append_new(arr, v) != 0)
        b->oom = true;
}

/* A string (invalid UTF-8 bytes -> '?', which jansson requires), or null when absent. */
static json_t *str(jb_t *b, const char *s)
{
    if (!s)
        return json_null();
    char *c = rpt_text_clean(s, 0, 0);
    json_t *v = c ? json_string(c) : NULL;
    free(c);
    if (!v)
        b->oom = true;
    return v;
}

/* Rounded to milliseconds like rpt_fmt_seconds (NaN, negative -> 0; at most 1e12). */
static json_t *seconds(double s)
{
    if (!(s > 0))
        s = 0;
    if (s > 1e12)
        s = 1e12;
    unsigned long long ms = (unsigned long long)(s * 1000.0 + 0.5);
    return json_real((double)ms / 1000.0);
}

static json_t *cut(jb_t *b, const rpt_cut_t *k)
{
    json_t *o = json_object();
    set(b, o, "id", str(b, k->id));
    set(b, o, "op_seq", json_integer(k->op_seq));
    set(b, o, "op_kind", str(b, k->op_kind));
    set(b, o, "addr", json_integer(k->addr));
    set(b, o, "len", json_integer(k->len));
    set(b, o, "mode", str(b, k->mode));
    set(b, o, "outcome", str(b, k->outcome));
    set(b, o, "boots", json_integer(k->boots));
    set(b, o, "pass", json_boolean(k->pass));
    set(b, o, "message", str(b, k->message));
    return o;
}

static json_t *testcase(jb_t *b, const rpt_case_t *c)
{
    static const char *const status[] = { "pass", "fail", "error", "skip" };
    json_t *o = json_object();
    set(b, o, "classname", str(b, c->classname));
    set(b, o, "name", str(b, c->name));
    set(b, o, "file", str(b, c->file));
    set(b, o, "line", c->line > 0 ? json_integer(c->line) : json_null());
    set(b, o, "status", json_string((unsigned)c->status < 4 ? status[c->status] : "error"));
    set(b, o, "message", str(b, c->message));
    set(b, o, "details", str(b, c->details));
    set(b, o, "time_s", seconds(c->time_s));
    json_t *tags = json_array();
    for (size_t i = 0; i < c->ntags; i++)
        push(b, tags, str(b, c->tags[i] ? c->tags[i] : ""));
    set(b, o, "tags", tags);
    json_t *props = json_object();
    for (size_t i = 0; i < c->nprops; i++) {
        char *k = rpt_text_clean(c->props[i].name, 0, 0);
        if (k)
            set(b, props, k, str(b, c->props[i].value));
        else
            b->oom = true;
        free(k);
    }
    set(b, o, "properties", props);
    json_t *cuts = json_array();
    for (size_t i = 0; i < c->ncuts; i++)
        push(b, cuts, cut(b, &c->cuts[i]));
    set(b, o, "cuts", cuts);
    set(b, o, "console", str(b, c->console));
    return o;
}

static json_t *document(jb_t *b, const rpt_run_t *run)
{
    size_t tot[4] = { 0 };
    for (size_t i = 0; i < run->nsuites; i++) {
        size_t n[4];
        rpt_tally(&run->suites[i], n);
        for (int k = 0; k < 4; k++)
            tot[k] += n[k];
    }
    json_t *o = json_object();
    set(b, o, "tool", str(b, run->tool));
    set(b, o, "command", str(b, run->command));
    if (run->seed <= (uint64_t)INT64_MAX) {
        set(b, o, "seed", json_integer((json_int_t)run->seed));
    } else {
        char s[24];
        snprintf(s, sizeof s, "%llu", (unsigned long long)run->seed);
        set(b, o, "seed", json_string(s));
    }
    set(b, o, "time_s", seconds(run->time_s));
    json_t *sum = json_object();
    set(b, sum, "passed", json_integer((json_int_t)tot[RPT_PASS]));
    set(b, sum, "failed", json_integer((json_int_t)tot[RPT_FAIL]));
    set(b, sum, "errors", json_integer((json_int_t)tot[RPT_ERROR]));
    set(b, sum, "skipped", json_integer((json_int_t)tot[RPT_SKIP]));
    set(b, o, "summary", sum);
    json_t *suites = json_array();
    for (size_t i = 0; i < run->nsuites && !b->oom; i++) {
        const rpt_suite_t *s = &run->suites[i];
        json_t *so = json_object();
        set(b, so, "name", str(b, s->name));
        set(b, so, "file", str(b, s->file));
        json_t *cases = json_array();
        for (size_t j = 0; j < s->ncases && !b->oom; j++)
            push(b, cases, testcase(b, &s->cases[j]));
        set(b, so, "cases", cases);
        push(b, suites, so);
    }
    set(b, o, "suites", suites);
    return o;
}

int rpt_write_json(const rpt_run_t *run, const char *path, char *err, size_t errlen)
{
    jb_t b = { false };
    json_t *doc = document(&b, run);
    /* Times carry at most 3 decimals and stay below 1e12, so 15 significant digits print them
     * exactly as rounded ("0.1", not "0.10000000000000001"). */
    char *text = b.oom ? NULL : json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                                    JSON_REAL_PRECISION(15));
    json_decref(doc);
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory while building the JSON report",
                     path ? path : "(null)");
        return RPT_ERR_NOMEM;
    }
    size_t len = strlen(text);
    char *out = realloc(text, len + 2);
    if (!out) {
        free(text);
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", path ? path : "(null)");
        return RPT_ERR_NOMEM;
    }
    out[len] = '\n';
    out[len + 1] = '\0';
    int rc = rpt_write_file(path, out, len + 1, err, errlen);
    free(out);
    return rc;
}
