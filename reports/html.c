/*
 * HTML writer: one static page (inline CSS, no script) for people: the summary, every case with
 * failing ones first, their details and console (<details>), and for sweeps a grid of the cut
 * points coloured by verdict with their replay ids. Contract in report.h; every string from the
 * model is cleaned and escaped.
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct hw {
    FILE *f;
    bool oom;
} hw_t;

static void esc(hw_t *w, const char *s, unsigned flags, size_t max, bool attr)
{
    char *c = rpt_text_clean(s, RPT_TEXT_XML | flags, max);
    if (!c) {
        w->oom = true;
        return;
    }
    rpt_fput_escaped(w->f, c, attr);
    free(c);
}

static const char *const status_class[] = { "pass", "fail", "error", "skip" };
static const char *const status_label[] = { "PASS", "FAIL", "ERROR", "SKIP" };

static unsigned st_index(rpt_status_t st)
{
    return (unsigned)st < 4 ? (unsigned)st : RPT_ERROR;
}

/* Failing cases first: error, fail, skip, pass; model order within each. */
static unsigned rank(rpt_status_t st)
{
    static const unsigned r[] = { [RPT_ERROR] = 0, [RPT_FAIL] = 1, [RPT_SKIP] = 2, [RPT_PASS] = 3 };
    return r[st_index(st)];
}

typedef struct ref {
    const rpt_suite_t *s;
    const rpt_case_t *c;
    size_t idx;               /* flat index in model order: anchors and the tie-break */
} ref_t;

static int ref_cmp(const void *a, const void *b)
{
    const ref_t *x = a, *y = b;
    unsigned rx = rank(x->c->status), ry = rank(y->c->status);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const char CSS[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;"
    "max-width:1200px;padding:0 16px 32px;color:#1f2328}\n"
    "h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:1px solid #d0d7de}h3{font-size:15px;margin:0 0 6px}\n"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;"
    "padding:3px 8px;border-bottom:1px solid #eaeef2}th{background:#f6f8fa}\n"
    "table.meta{width:auto}table.meta th{background:none;padding-left:0}\n"
    "code,pre{font:12px/1.4 ui-monospace,'SFMono-Regular',Menlo,Consolas,monospace}\n"
    "pre{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;overflow:auto;max-height:480px;"
    "white-space:pre-wrap;word-break:break-all}\n"
    ".badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600;"
    "margin-right:6px}\n"
    ".pass{--c:#1a7f37}.fail{--c:#cf222e}.error{--c:#8250df}.skip{--c:#6e7781}\n"
    ".badge,.st{background:var(--c)}.st{color:#fff;font-weight:600;padding:0 6px;"
    "border-radius:4px;font-size:12px}\n"
    "header{border-top:6px solid var(--c);margin-top:8px}\n"
    "section.case{border-left:4px solid var(--c);padding:6px 12px;margin:12px 0;"
    "background:#fff}\n"
    ".msg{font-weight:600;white-space:pre-wrap}.loc{color:#57606a;margin:0 0 4px}\n"
    ".grid{display:flex;flex-wrap:wrap;gap:2px;margin:6px 0}\n"
    ".cut{display:inline-block;min-width:26px;padding:1px 3px;font:11px ui-monospace,monospace;"
    "text-align:center;color:#fff;background:var(--c);border-radius:2px}\n"
    "tr.fail td:first-child,tr.error td:first-child,tr.skip td:first-child,"
    "tr.pass td:first-child{white-space:nowrap}\n"
    "summary{cursor:pointer;color:#0969da}\n";

static void props_table(hw_t *w, const rpt_case_t *c)
{
    if (!c->nprops && !c->ntags)
        return;
    fputs("<table class=\"meta\">\n", w->f);
    for (size_t i = 0; i < c->nprops; i++) {
        fputs("<tr><th>", w->f);
        esc(w, c->props[i].name, RPT_TEXT_ONELINE, 0, false);
        fputs("</th><td><code>", w->f);
        esc(w, c->props[i].value, 0, 0, false);
        fputs("</code></td></tr>\n", w->f);
    }
    if (c->ntags) {
        fputs("<tr><th>tags</th><td>", w->f);
        for (size_t i = 0; i < c->ntags; i++) {
            fputs(i ? ", <code>" : "<code>", w->f);
            esc(w, c->tags[i], RPT_TEXT_ONELINE, 0, false);
            fputs("</code>", w->f);
        }
        fputs("</td></tr>\n", w->f);
    }
    fputs("</table>\n", w->f);
}

static void console(hw_t *w, const char *con, bool open)
{
    if (!con || !*con)
        return;
    char *tail = rpt_console_tail(con);
    if (!tail) {
        w->oom = true;
        return;
    }
    fprintf(w->f, "<details%s><summary>Console (%zu bytes)</summary><pre>", open ? " open" : "",
            strlen(con));
    rpt_fput_escaped(w->f, tail, false);
    fputs("</pre></details>\n", w->f);
    free(tail);
}

static void case_title(hw_t *w, const ref_t *r)
{
    esc(w, r->c->classname ? r->c->classname : r->s->name, RPT_TEXT_ONELINE, 0, false);
    fputs(" / ", w->f);
    esc(w, r->c->name, RPT_TEXT_ONELINE, 0, false);
}

static void location(hw_t *w, const rpt_case_t *c)
{
    if (!c->file)
        return;
    esc(w, c->file, RPT_TEXT_ONELINE, 0, false);
    if (c->line > 0)
        fprintf(w->f, ":%d", c->line);
}

static void case_section(hw_t *w, const ref_t *r)
{
    const rpt_case_t *c = r->c;
    unsigned st = st_index(c->status);
    char t[32];
    rpt_fmt_seconds(c->time_s, t);
    fprintf(w->f, "<section class=\"case %s\" id=\"c%zu\">\n<h3><span class=\"st\">%s</span> ",
            status_class[st], r->idx, status_label[st]);
    case_title(w, r);
    fprintf(w->f, "</h3>\n<p class=\"loc\">");
    location(w, c);
    fprintf(w->f, "%s%s s</p>\n", c->file ? " &middot; " : "", t);
    if (c->message) {
        fputs("<p class=\"msg\">", w->f);
        esc(w, c->message, 0, 0, false);
        fputs("</p>\n", w->f);
    }
    if (c->details) {
        fputs("<pre class=\"details\">", w->f);
        esc(w, c->details, 0, 0, false);
        fputs("</pre>\n", w->f);
    }
    props_table(w, c);
    console(w, c->console, false);
    fputs("</section>\n", w->f);
}

static void cut_row(hw_t *w, const rpt_cut_t *k)
{
    fprintf(w->f, "<tr class=\"%s\"><td><span class=\"st\">%s</span></td><td><code>",
            k->pass ? "pass" : "fail", k->pass ? "PASS" : "FAIL");
    esc(w, k->id, RPT_TEXT_ONELINE, 0, false);
    fprintf(w->f, "</code></td><td>%" PRIu32 "</td><td>", k->op_seq);
    esc(w, k->op_kind, RPT_TEXT_ONELINE, 0, false);
    fprintf(w->f, "</td><td><code>0x%08" PRIx32 "</code></td><td>%" PRIu32 "</td><td>", k->addr,
            k->len);
    esc(w, k->mode, RPT_TEXT_ONELINE, 0, false);
    fputs("</td><td>", w->f);
    esc(w, k->outcome, RPT_TEXT_ONELINE, 0, false);
    fprintf(w->f, "</td><td>%" PRIu32 "</td><td>", k->boots);
    esc(w, k->message, RPT_TEXT_ONELINE, 0, false);
    fputs("</td></tr>\n", w->f);
}

static const char CUT_HEAD[] =
    "<table class=\"cuts\"><thead><tr><th>Verdict</th><th>Replay id</th><th>Op</th><th>Kind</th>"
    "<th>Address</th><th>Length</th><th>Mode</th><th>Outcome</th><th>Boots</th><th>Message</th>"
    "</tr></thead><tbody>\n";

static void sweep_section(hw_t *w, const ref_t *r)
{
    const rpt_case_t *c = r->c;
    size_t failed = 0;
    for (size_t i = 0; i < c->ncuts; i++)
        failed += !c->cuts[i].pass;
    fprintf(w->f, "<section class=\"case %s\" id=\"s%zu\">\n<h3>", failed ? "fail" : "pass", r->idx);
    case_title(w, r);
    fprintf(w->f, " &mdash; %zu cut points, %zu failed</h3>\n<div class=\"grid\">", c->ncuts, failed);
    for (size_t i = 0; i < c->ncuts; i++) {
        const rpt_cut_t *k = &c->cuts[i];
        const char *at = k->id ? strrchr(k->id, '@') : NULL;
        fprintf(w->f, "<span class=\"cut %s\" title=\"", k->pass ? "pass" : "fail");
        esc(w, k->id ? k->id : "", RPT_TEXT_ONELINE, 0, true);
        fprintf(w->f, "&#10;#%" PRIu32 " ", k->op_seq);
        esc(w, k->op_kind ? k->op_kind : "", RPT_TEXT_ONELINE, 0, true);
        fprintf(w->f, " 0x%08" PRIx32 "+%" PRIu32 " ", k->addr, k->len);
        esc(w, k->mode ? k->mode : "", RPT_TEXT_ONELINE, 0, true);
        fputs("&#10;", w->f);
        esc(w, k->outcome ? k->outcome : "", RPT_TEXT_ONELINE, 0, true);
        if (k->message) {
            fputs("&#10;", w->f);
            esc(w, k->message, RPT_TEXT_ONELINE, RPT_MESSAGE_MAX, true);
        }
        fputs("\">", w->f);
        if (at && at[1])
            esc(w, at + 1, RPT_TEXT_ONELINE, 0, false);
        else
            fprintf(w->f, "%" PRIu32, k->op_seq);
        fputs("</span>", w->f);
    }
    fputs("</div>\n", w->f);
    if (failed) {
        fputs(CUT_HEAD, w->f);
        for (size_t i = 0; i < c->ncuts; i++)
            if (!c->cuts[i].pass)
                cut_row(w, &c->cuts[i]);
        fputs("</tbody></table>\n", w->f);
    }
    fprintf(w->f, "<details><summary>All %zu cut points</summary>\n%s", c->ncuts, CUT_HEAD);
    for (size_t i = 0; i < c->ncuts; i++)
        cut_row(w, &c->cuts[i]);
    fputs("</tbody></table></details>\n</section>\n", w->f);
}

static void document(hw_t *w, const rpt_run_t *run, ref_t *refs, size_t n)
{
    size_t tot[4] = { 0 };
    for (size_t i = 0; i < n; i++)
        tot[st_index(refs[i].c->status)]++;
    bool bad = tot[RPT_FAIL] || tot[RPT_ERROR];
    char counts[160], t[32];
    snprintf(counts, sizeof counts, "%zu passed, %zu failed, %zu errors, %zu skipped",
             tot[RPT_PASS], tot[RPT_FAIL], tot[RPT_ERROR], tot[RPT_SKIP]);

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          w->f);
    esc(w, run->tool ? run->tool : "fwemu", RPT_TEXT_ONELINE, 0, false);
    fprintf(w->f, ": %s</title>\n<style>\n%s</style>\n</head>\n<body>\n", counts, CSS);

    fprintf(w->f, "<header class=\"%s\">\n<h1>", bad ? "fail" : "pass");
    esc(w, run->tool ? run->tool : "fwemu", RPT_TEXT_ONELINE, 0, false);
    fputs(" report</h1>\n<p>", w->f);
    for (unsigned st = 0; st < 4; st++) {
        static const char *const what[] = { "passed", "failed", "errors", "skipped" };
        fprintf(w->f, "<span class=\"badge %s\">%zu %s</span>", status_class[st], tot[st], what[st]);
    }
    rpt_fmt_seconds(run->time_s, t);
    fputs("</p>\n<table class=\"meta\">\n", w->f);
    if (run->command) {
        fputs("<tr><th>Command</th><td><code>", w->f);
        esc(w, run->command, 0, 0, false);
        fputs("</code></td></tr>\n", w->f);
    }
    fprintf(w->f, "<tr><th>Seed</th><td><code>%" PRIu64 "</code></td></tr>\n"
                  "<tr><th>Time</th><td>%s s</td></tr>\n</table>\n</header>\n", run->seed, t);

    fputs("<h2>Cases</h2>\n<table class=\"cases\"><thead><tr><th>Status</th><th>Suite</th>"
          "<th>Case</th><th>File</th><th>Time (s)</th><th>Message</th></tr></thead><tbody>\n", w->f);
    for (size_t i = 0; i < n && !w->oom; i++) {
        const ref_t *r = &refs[i];
        unsigned st = st_index(r->c->status);
        rpt_fmt_seconds(r->c->time_s, t);
        fprintf(w->f, "<tr class=\"%s\"><td><span class=\"st\">%s</span></td><td>", status_class[st],
                status_label[st]);
        esc(w, r->c->classname ? r->c->classname : r->s->name, RPT_TEXT_ONELINE, 0, false);
        fputs("</td><td>", w->f);
        bool failing = r->c->status == RPT_FAIL || r->c->status == RPT_ERROR;
        bool linked = failing || r->c->ncuts;
        if (linked)
            fprintf(w->f, "<a href=\"#%c%zu\">", failing ? 'c' : 's', r->idx);
        esc(w, r->c->name, RPT_TEXT_ONELINE, 0, false);
        fputs(linked ? "</a></td><td>" : "</td><td>", w->f);
        location(w, r->c);
        fprintf(w->f, "</td><td>%s</td><td>", t);
        esc(w, r->c->message, RPT_TEXT_ONELINE, RPT_MESSAGE_MAX, false);
        fputs("</td></tr>\n", w->f);
    }
    fputs("</tbody></table>\n", w->f);

    if (bad) {
        fputs("<h2>Failures</h2>\n", w->f);
        for (size_t i = 0; i < n && !w->oom; i++)
            if (refs[i].c->status == RPT_FAIL || refs[i].c->status == RPT_ERROR)
                case_section(w, &refs[i]);
    }
    bool sweeps = false;
    for (size_t i = 0; i < n && !w->oom; i++) {
        if (!refs[i].c->ncuts)
            continue;
        if (!sweeps)
            fputs("<h2>Sweeps</h2>\n", w->f);
        sweeps = true;
        sweep_section(w, &refs[i]);
    }
    fputs("</body>\n</html>\n", w->f);
}

int rpt_write_html(const rpt_run_t *run, const char *path, char *err, size_t errlen)
{
    size_t n = 0;
    for (size_t i = 0; i < run->nsuites; i++)
        n += run->suites[i].ncases;
    ref_t *refs = malloc((n ? n : 1) * sizeof *refs);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = refs ? open_memstream(&buf, &size) : NULL;
    hw_t w = { f, f == NULL };
    if (f) {
        size_t k = 0;
        for (size_t i = 0; i < run->nsuites; i++)
            for (size_t j = 0; j < run->suites[i].ncases; j++, k++)
                refs[k] = (ref_t){ &run->suites[i], &run->suites[i].cases[j], k };
        qsort(refs, n, sizeof *refs, ref_cmp);
        document(&w, run, refs, n);
    }
    int rc = rpt_finish_stream(f, &buf, &size, w.oom, "HTML", path, err, errlen);
    free(refs);
    return rc;
}
