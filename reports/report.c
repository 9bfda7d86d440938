/* The verdict model: building helpers, text sanitising shared by the writers, and the one
 * atomic write. Contract in report.h. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"

/* ---- building -------------------------------------------------------------------------------- */

/* Room for element n of an array whose capacity is implied by its count n: 4, 8, 16, ... */
static int grow(void **arr, size_t n, size_t elem)
{
    if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
        return 0;
    size_t cap = n == 0 ? 4 : n * 2;
    if (cap < n || cap > SIZE_MAX / elem)
        return -1;
    void *p = realloc(*arr, cap * elem);
    if (!p)
        return -1;
    *arr = p;
    return 0;
}

char *rpt_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Copy s into *out; false only when s was given and the copy failed. */
static bool dup_into(char **out, const char *s)
{
    *out = rpt_strdup(s);
    return !s || *out;
}

rpt_suite_t *rpt_add_suite(rpt_run_t *run, const char *name, const char *file)
{
    if (grow((void **)&run->suites, run->nsuites, sizeof *run->suites))
        return NULL;
    rpt_suite_t *s = &run->suites[run->nsuites];
    memset(s, 0, sizeof *s);
    if (!dup_into(&s->name, name) || !dup_into(&s->file, file)) {
        free(s->name);
        free(s->file);
        return NULL;
    }
    run->nsuites++;
    return s;
}

rpt_case_t *rpt_add_case(rpt_suite_t *s, const char *classname, const char *name)
{
    if (grow((void **)&s->cases, s->ncases, sizeof *s->cases))
        return NULL;
    rpt_case_t *c = &s->cases[s->ncases];
    memset(c, 0, sizeof *c);
    c->status = RPT_PASS;
    if (!dup_into(&c->classname, classname) || !dup_into(&c->name, name) ||
        !dup_into(&c->file, s->file)) {
        free(c->classname);
        free(c->name);
        free(c->file);
        return NULL;
    }
    s->ncases++;
    return c;
}

int rpt_case_set(rpt_case_t *c, rpt_status_t st, const char *message, const char *details)
{
    c->status = st;
    char *m = NULL, *d = NULL;
    if (!dup_into(&m, message) || !dup_into(&d, details)) {
        free(m);
        free(d);
        return RPT_ERR_NOMEM;
    }
    free(c->message);
    free(c->details);
    c->message = m;
    c->details = d;
    return RPT_OK;
}

int rpt_add_prop(rpt_case_t *c, const char *name, const char *value)
{
    if (grow((void **)&c->props, c->nprops, sizeof *c->props))
        return RPT_ERR_NOMEM;
    rpt_prop_t *p = &c->props[c->nprops];
    p->name = p->value = NULL;
    if (!dup_into(&p->name, name) || !dup_into(&p->value, value)) {
        free(p->name);
        free(p->value);
        return RPT_ERR_NOMEM;
    }
    c->nprops++;
    return RPT_OK;
}

int rpt_add_tag(rpt_case_t *c, const char *tag)
{
    if (grow((void **)&c->tags, c->ntags, sizeof *c->tags))
        return RPT_ERR_NOMEM;
    if (!dup_into(&c->tags[c->ntags], tag))
        return RPT_ERR_NOMEM;
    c->ntags++;
    return RPT_OK;
}

rpt_cut_t *rpt_add_cut(rpt_case_t *c)
{
    if (grow((void **)&c->cuts, c->ncuts, sizeof *c->cuts))
        return NULL;
    rpt_cut_t *k = &c->cuts[c->ncuts++];
    memset(k, 0, sizeof *k);
    return k;
}

void rpt_tally(const rpt_suite_t *s, size_t counts[4])
{
    memset(counts, 0, 4 * sizeof counts[0]);
    for (size_t i = 0; i < s->ncases; i++) {
        unsigned st = (unsigned)s->cases[i].status;
        counts[st < 4 ? st : RPT_ERROR]++;
    }
}

void rpt_count(rpt_run_t *run)
{
    run->passed = run->failed = run->errors = run->skipped = 0;
    for (size_t i = 0; i < run->nsuites; i++) {
        size_t n[4];
        rpt_tally(&run->suites[i], n);
        run->passed += n[RPT_PASS];
        run->failed += n[RPT_FAIL];
        run->errors += n[RPT_ERROR];
        run->skipped += n[RPT_SKIP];
    }
}

static void case_free(rpt_case_t *c)
{
    free(c->classname);
    free(c->name);
    free(c->file);
    free(c->message);
    free(c->details);
    free(c->console);
    for (size_t i = 0; i < c->nprops; i++) {
        free(c->props[i].name);
        free(c->props[i].value);
    }
    free(c->props);
    for (size_t i = 0; i < c->ncuts; i++) {
        rpt_cut_t *k = &c->cuts[i];
        free(k->id);
        free(k->op_kind);
        free(k->mode);
        free(k->outcome);
        free(k->message);
    }
    free(c->cuts);
    for (size_t i = 0; i < c->ntags; i++)
        free(c->tags[i]);
    free(c->tags);
}

void rpt_run_free(rpt_run_t *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->nsuites; i++) {
        rpt_suite_t *s = &run->suites[i];
        for (size_t j = 0; j < s->ncases; j++)
            case_free(&s->cases[j]);
        free(s->cases);
        free(s->name);
        free(s->file);
    }
    free(run->suites);
    free(run->tool);
    free(run->command);
    memset(run, 0, sizeof *run);
}

/* ---- text for the writers -------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p, 0 if none starts there (RFC 3629 section 4:
 * no overlong forms, no surrogates, nothing above U+10FFFF). *cp gets the code point. */
static size_t utf8_seq(const unsigned char *p, uint32_t *cp)
{
    unsigned c = p[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)          /* also stops at the terminating NUL */
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* XML 1.0 section 2.2, Char (less what UTF-8 validity already excludes). */
static bool xml_char(uint32_t cp)
{
    if (cp < 0x20)
        return cp == '\t' || cp == '\n' || cp == '\r';
    return cp != 0xFFFE && cp != 0xFFFF;
}

char *rpt_text_clean(const char *s, unsigned flags, size_t max)
{
    if (!s)
        s = "";
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    char *out = malloc(len + 4);
    if (!out)
        return NULL;
    size_t o = 0;
    bool oneline = flags & RPT_TEXT_ONELINE;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_seq(p, &cp);
        if (n == 0) {
            out[o++] = '?';
            p++;
            continue;
        }
        if (oneline && (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n')) {
            if (o > 0 && out[o - 1] != ' ')
                out[o++] = ' ';
        } else if (!(flags & RPT_TEXT_XML) || xml_char(cp)) {
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
    }
    if (oneline && o > 0 && out[o - 1] == ' ')
        o--;
    if (max && o > max) {
        size_t keep = max >= 3 ? max - 3 : max;
        while (keep > 0 && ((unsigned char)out[keep] & 0xC0) == 0x80)
            keep--;
        o = keep;
        if (max >= 3) {
            if (oneline && o > 0 && out[o - 1] == ' ')
                o--;
            memcpy(out + o, "...", 3);
            o += 3;
        }
    }
    out[o] = '\0';
    return out;
}

void rpt_fput_escaped(FILE *f, const char *clean, bool attr)
{
    const char *run = clean;
    for (const char *p = clean;; p++) {
        const char *rep;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\t': rep = attr ? "&#9;" : NULL; break;
        case '\n': rep = attr ? "&#10;" : NULL; break;
        case '\r': rep = "&#13;"; break;      /* a raw CR would be normalised away by parsers */
        case '\0': rep = ""; break;
        default: rep = NULL; break;
        }
        if (!rep)
            continue;
        fwrite(run, 1, (size_t)(p - run), f);
        if (!*p)
            return;
        fputs(rep, f);
        run = p + 1;
    }
}

char *rpt_console_tail(const char *console)
{
    char *c = rpt_text_clean(console, RPT_TEXT_XML, 0);
    if (!c)
        return NULL;
    size_t len = strlen(c);
    if (len <= RPT_CONSOLE_MAX)
        return c;
    size_t start = len - RPT_CONSOLE_MAX;
    while (((unsigned char)c[start] & 0xC0) == 0x80)
        start++;
    const char *nl = memchr(c + start, '\n', 256 < len - start ? 256 : len - start);
    if (nl)
        start = (size_t)(nl + 1 - c);        /* begin on a whole line when one is near */
    char marker[128];
    int m = snprintf(marker, sizeof marker,
                     "[fwemu: console truncated: the first %zu of %zu bytes are not shown]\n", start,
                     len);
    char *out = malloc((size_t)m + len - start + 1);
    if (out) {
        memcpy(out, marker, (size_t)m);
        memcpy(out + m, c + start, len - start + 1);
    }
    free(c);
    return out;
}

void rpt_fmt_seconds(double s, char out[32])
{
    if (!(s > 0))                              /* also NaN */
        s = 0;
    if (s > 1e12)
        s = 1e12;
    unsigned long long ms = (unsigned long long)(s * 1000.0 + 0.5);
    snprintf(out, 32, "%llu.%03llu", ms / 1000, ms % 1000);
}

int rpt_write_file(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    switch (fileio_write_atomic(path, (const uint8_t *)data, len, err, errlen)) {
    case FILEIO_OK: return RPT_OK;
    case FILEIO_ERR_NOMEM: return RPT_ERR_NOMEM;
    default: return RPT_ERR_IO;
    }
}

int rpt_finish_stream(FILE *f, char **buf, size_t *size, bool oom, const char *what, const char *path,
                      char *err, size_t errlen)
{
    if (!f)
        oom = true;
    if (f && ferror(f))
        oom = true;
    if (f && fclose(f) != 0)
        oom = true;
    int rc;
    if (oom) {
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory while building the %s report", path ? path : "(null)", what);
        rc = RPT_ERR_NOMEM;
    } else {
        rc = rpt_write_file(path, *buf, *size, err, errlen);   /* set by fclose */
    }
    free(*buf);
    *buf = NULL;
    return rc;
}
