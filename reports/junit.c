/*
 * JUnit XML writer: contract in report.h. There is no official schema; the shape follows what
 * GitLab, Jenkins and the GitHub annotation actions read (see ci-conventions.md): testcase
 * classname + name unique, file/line for annotations, a one-line failure@message with the
 * details as text, the console in system-out. Everything emitted is cleaned to XML 1.0
 * characters and escaped; no CDATA, so "]]>" can never end anything early.
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct jw {
    FILE *f;
    bool oom;
} jw_t;

/* ` key="value"` with value cleaned by flags (and cut to max bytes). */
static void attr(jw_t *w, const char *key, const char *value, unsigned flags, size_t max)
{
    char *c = rpt_text_clean(value, RPT_TEXT_XML | flags, max);
    if (!c) {
        w->oom = true;
        return;
    }
    fprintf(w->f, " %s=\"", key);
    rpt_fput_escaped(w->f, c, true);
    fputc('"', w->f);
    free(c);
}

static void text(jw_t *w, const char *s)
{
    char *c = rpt_text_clean(s, RPT_TEXT_XML, 0);
    if (!c) {
        w->oom = true;
        return;
    }
    rpt_fput_escaped(w->f, c, false);
    free(c);
}

static void property(jw_t *w, const char *indent, const char *name, const char *value)
{
    fprintf(w->f, "%s<property", indent);
    attr(w, "name", name ? name : "", RPT_TEXT_ONELINE, 0);
    attr(w, "value", value ? value : "", 0, 0);
    fputs("/>\n", w->f);
}

/* ---- unique classname + name (GitLab keeps only the first of two equal ones) ----------------- */

typedef struct nameset {
    char **slot;
    size_t cap;               /* power of two */
} nameset_t;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* Add key (taking it over) unless present: 1 added, 0 present (key freed), -1 out of memory. */
static int nameset_add(nameset_t *ns, char *key)
{
    if (!key)
        return -1;
    size_t i = (size_t)fnv1a(key) & (ns->cap - 1);
    for (; ns->slot[i]; i = (i + 1) & (ns->cap - 1)) {
        if (strcmp(ns->slot[i], key) == 0) {
            free(key);
            return 0;
        }
    }
    ns->slot[i] = key;
    return 1;
}

static char *join3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb);
        memcpy(s + la + lb, c, lc + 1);
    }
    return s;
}

/* The cleaned name of a case, with " #2", " #3"... when classname + name was already used. */
static char *unique_name(jw_t *w, nameset_t *ns, const char *classname, const char *name)
{
    char *cn = rpt_text_clean(classname, RPT_TEXT_XML | RPT_TEXT_ONELINE, 0);
    char *base = rpt_text_clean(name, RPT_TEXT_XML | RPT_TEXT_ONELINE, 0);
    char *out = NULL;
    if (!cn || !base)
        goto done;
    for (unsigned k = 1;; k++) {
        char suffix[24] = "";
        if (k > 1)
            snprintf(suffix, sizeof suffix, " #%u", k);
        out = join3(base, suffix, "");
        int r = out ? nameset_add(ns, join3(cn, "\x01", out)) : -1;
        if (r == 1)
            break;
        free(out);
        out = NULL;
        if (r < 0)
            break;
    }
done:
    if (!out)
        w->oom = true;
    free(cn);
    free(base);
    return out;
}

/* ---- the document ---------------------------------------------------------------------------- */

static const char *first_nonnull(const char *a, const char *b, const char *c)
{
    return a ? a : b ? b : c;
}

static void result(jw_t *w, const rpt_case_t *c)
{
    static const char *const elem[] = { [RPT_FAIL] = "failure", [RPT_ERROR] = "error",
                                        [RPT_SKIP] = "skipped" };
    if (c->status == RPT_PASS)
        return;
    const char *el = (unsigned)c->status < 4 ? elem[c->status] : "error";
    const char *dflt = c->status == RPT_SKIP ? "skipped" : c->status == RPT_FAIL ? "failed" : "error";
    const char *msg = c->message;
    char *first = NULL;
    if (!msg && c->details) {            /* the first line of the details stands in */
        size_t n = strcspn(c->details, "\r\n");
        first = strndup(c->details, n);
        if (!first)
            w->oom = true;
        msg = first && *first ? first : NULL;
    }
    fprintf(w->f, "      <%s", el);
    attr(w, "message", msg ? msg : dflt, RPT_TEXT_ONELINE, RPT_MESSAGE_MAX);
    if (c->status != RPT_SKIP)
        fprintf(w->f, " type=\"%s\"", el);
    free(first);
    const char *body = c->status == RPT_SKIP ? c->details : first_nonnull(c->details, c->message, NULL);
    if (!body || !*body) {
        fputs("/>\n", w->f);
        return;
    }
    fputc('>', w->f);
    text(w, body);
    fprintf(w->f, "</%s>\n", el);
}

static void testcase(jw_t *w, nameset_t *ns, const rpt_suite_t *s, const rpt_case_t *c)
{
    char t[32];
    const char *classname = first_nonnull(c->classname, s->name, "fwemu");
    char *name = unique_name(w, ns, classname, c->name ? c->name : "(unnamed)");
    if (!name)
        return;
    fputs("    <testcase", w->f);
    attr(w, "classname", classname, RPT_TEXT_ONELINE, 0);
    fputs(" name=\"", w->f);
    rpt_fput_escaped(w->f, name, true);
    fputc('"', w->f);
    free(name);
    if (c->file)
        attr(w, "file", c->file, RPT_TEXT_ONELINE, 0);
    if (c->line > 0)
        fprintf(w->f, " line=\"%d\"", c->line);
    rpt_fmt_seconds(c->time_s, t);
    fprintf(w->f, " time=\"%s\"", t);
    bool console = c->console && *c->console;
    if (!c->nprops && !c->ntags && !c->ncuts && c->status == RPT_PASS && !console) {
        fputs("/>\n", w->f);
        return;
    }
    fputs(">\n", w->f);

    size_t failed_cuts = 0;
    for (size_t i = 0; i < c->ncuts; i++)
        failed_cuts += !c->cuts[i].pass;
    if (c->nprops || c->ntags || c->ncuts) {
        fputs("      <properties>\n", w->f);
        for (size_t i = 0; i < c->nprops; i++)
            property(w, "        ", c->props[i].name, c->props[i].value);
        if (c->ntags) {
            size_t len = 1;
            for (size_t i = 0; i < c->ntags; i++)
                len += (c->tags[i] ? strlen(c->tags[i]) : 0) + 2;
            char *tags = malloc(len);
            if (tags) {
                tags[0] = '\0';
                for (size_t i = 0; i < c->ntags; i++) {
                    if (i)
                        strcat(tags, ", ");
                    strcat(tags, c->tags[i] ? c->tags[i] : "");
                }
                property(w, "        ", "tags", tags);
                free(tags);
            } else {
                w->oom = true;
            }
        }
        if (c->ncuts) {
            char n[24];
            snprintf(n, sizeof n, "%zu", c->ncuts);
            property(w, "        ", "cut_points", n);
            snprintf(n, sizeof n, "%zu", failed_cuts);
            property(w, "        ", "cut_points_failed", n);
        }
        fputs("      </properties>\n", w->f);
    }
    result(w, c);
    if (console) {
        char *con = rpt_console_tail(c->console);
        if (con) {
            fputs("      <system-out>", w->f);
            rpt_fput_escaped(w->f, con, false);
            fputs("</system-out>\n", w->f);
            free(con);
        } else {
            w->oom = true;
        }
    }
    fputs("    </testcase>\n", w->f);
}

static void document(jw_t *w, const rpt_run_t *run, nameset_t *ns)
{
    size_t tot[4] = { 0 }, ncases = 0;
    double sum = 0;
    for (size_t i = 0; i < run->nsuites; i++) {
        size_t n[4];
        rpt_tally(&run->suites[i], n);
        for (int k = 0; k < 4; k++)
            tot[k] += n[k];
        ncases += run->suites[i].ncases;
        for (size_t j = 0; j < run->suites[i].ncases; j++)
            sum += run->suites[i].cases[j].time_s > 0 ? run->suites[i].cases[j].time_s : 0;
    }
    char t[32], seed[24];
    rpt_fmt_seconds(run->time_s > 0 ? run->time_s : sum, t);
    snprintf(seed, sizeof seed, "%" PRIu64, run->seed);

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", w->f);
    attr(w, "name", run->tool ? run->tool : "fwemu", RPT_TEXT_ONELINE, 0);
    fprintf(w->f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%s\">\n",
            ncases, tot[RPT_FAIL], tot[RPT_ERROR], tot[RPT_SKIP], t);
    for (size_t i = 0; i < run->nsuites && !w->oom; i++) {
        const rpt_suite_t *s = &run->suites[i];
        size_t n[4];
        double st = 0;
        rpt_tally(s, n);
        for (size_t j = 0; j < s->ncases; j++)
            st += s->cases[j].time_s > 0 ? s->cases[j].time_s : 0;
        rpt_fmt_seconds(st, t);
        fputs("  <testsuite", w->f);
        attr(w, "name", s->name ? s->name : "(unnamed)", RPT_TEXT_ONELINE, 0);
        fprintf(w->f, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%s\"",
                s->ncases, n[RPT_FAIL], n[RPT_ERROR], n[RPT_SKIP], t);
        if (s->file)
            attr(w, "file", s->file, RPT_TEXT_ONELINE, 0);
        fputs(">\n    <properties>\n", w->f);
        if (run->tool)
            property(w, "      ", "tool", run->tool);
        if (run->command)
            property(w, "      ", "command", run->command);
        property(w, "      ", "seed", seed);
        fputs("    </properties>\n", w->f);
        for (size_t j = 0; j < s->ncases && !w->oom; j++)
            testcase(w, ns, s, &s->cases[j]);
        fputs("  </testsuite>\n", w->f);
    }
    fputs("</testsuites>\n", w->f);
}

int rpt_write_junit(const rpt_run_t *run, const char *path, char *err, size_t errlen)
{
    size_t ncases = 0;
    for (size_t i = 0; i < run->nsuites; i++)
        ncases += run->suites[i].ncases;
    nameset_t ns = { NULL, 16 };
    while (ns.cap < 2 * ncases + 1)
        ns.cap *= 2;
    ns.slot = calloc(ns.cap, sizeof *ns.slot);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = ns.slot ? open_memstream(&buf, &size) : NULL;
    jw_t w = { f, f == NULL };
    if (f) {
        document(&w, run, &ns);
    }
    int rc = rpt_finish_stream(f, &buf, &size, w.oom, "JUnit", path, err, errlen);
    if (ns.slot)
        for (size_t i = 0; i < ns.cap; i++)
            free(ns.slot[i]);
    free(ns.slot);
    return rc;
}
