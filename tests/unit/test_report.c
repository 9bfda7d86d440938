/*
 * The verdict model (reports/report.c) and its three writers (junit.c, json.c, html.c), and the
 * atomic write they share (util/fileio.c).
 *
 * One model holds everything a report must survive: passing, failing, error and skipped cases,
 * properties and tags, a sweep with cut points, a duplicate classname + name, a 1000-byte
 * multi-line message, control characters, invalid UTF-8, "<&>\"'", "]]>" and a 200 KiB console.
 * Each test writes it into a fresh temporary directory and reads the file back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "report.h"

/* ---- fixtures -------------------------------------------------------------------------------- */

static char tmpdir[64];

/* Remove a file or a directory tree. */
static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            rm_tree(p);
        }
        closedir(d);
    }
    remove(path);
}

static int setup_tmp(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/fwemu_test_report.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    chmod(tmpdir, 0700);
    rm_tree(tmpdir);
    return 0;
}

static const char *tmp_path(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

/* The whole file, NUL-terminated; NULL if it cannot be read. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t got;
    while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0)
            b = realloc(b, cap *= 2);
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

static void write_text(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(s, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The <testcase ...> ... </testcase> element whose start tag holds attr; malloc'ed. */
static char *testcase_of(const char *xml, const char *attr)
{
    const char *a = strstr(xml, attr);
    if (!a)
        return NULL;
    const char *start = a;
    while (start > xml && strncmp(start, "<testcase ", 10) != 0)
        start--;
    const char *end = strstr(a, "</testcase>");
    return end ? strndup(start, (size_t)(end - start) + 11) : NULL;
}

/* No leftover "<name>.tmpXXXXXX" in dir. */
static void assert_no_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp"))
            fail_msg("temporary left behind: %s/%s", dir, e->d_name);
    closedir(d);
}

/* Every byte sequence is well-formed UTF-8 and an XML 1.0 Char (checked independently of
 * report.c's own decoder). */
static void assert_xml_chars(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        uint32_t cp = c;
        int n = 1;
        if (c < 0x80)
            cp = c, n = 1;
        else if ((c & 0xE0) == 0xC0)
            cp = c & 0x1F, n = 2;
        else if ((c & 0xF0) == 0xE0)
            cp = c & 0x0F, n = 3;
        else if ((c & 0xF8) == 0xF0)
            cp = c & 0x07, n = 4;
        else
            fail_msg("invalid UTF-8 lead byte 0x%02x at offset %td", c, (const char *)p - s);
        if (end - p < n)
            fail_msg("truncated UTF-8 at offset %td", (const char *)p - s);
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                fail_msg("invalid UTF-8 continuation at offset %td", (const char *)p - s);
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            fail_msg("bad UTF-8 sequence at offset %td", (const char *)p - s);
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF)
            fail_msg("character U+%04X not allowed in XML at offset %td", (unsigned)cp,
                     (const char *)p - s);
        p += n;
    }
}

/* ---- the model ------------------------------------------------------------------------------- */

#define CONSOLE_LEN (200u * 1024u)

/* Control characters, invalid UTF-8 (\xff\xfe, a broken pair, an encoded surrogate), valid
 * multi-byte text and a noncharacter (U+FFFE, fine in JSON, not in XML). */
static const char NASTY_DETAILS[] =
    "bad\x01\x02" "ctl\x1b[0m|inv\xff\xfe|pair\xc3\x28|ok \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"
    "|sur\xed\xa0\x80|nc\xef\xbf\xbe|end";

static char *big_console(void)
{
    char *c = malloc(CONSOLE_LEN + 1);
    assert_non_null(c);
    size_t n = 0;
    for (unsigned i = 0; n + 64 < CONSOLE_LEN; i++)
        n += (size_t)sprintf(c + n, "line %06u: booting\n", i);
    n += (size_t)sprintf(c + n, "prompt> ]]> <&>\x07\n");
    while (n < CONSOLE_LEN - 17)
        c[n++] = '.';
    n += (size_t)sprintf(c + n, "\nTAIL-MARKER-END\n");
    c[n] = '\0';
    return c;
}

static void add_cut(rpt_case_t *c, uint32_t seq, const char *mode, bool pass)
{
    char id[64];
    rpt_cut_t *k = rpt_add_cut(c);
    assert_non_null(k);
    snprintf(id, sizeof id, "install-sweep@%u%s", seq, mode[0] == 't' ? "t" : mode[0] == 'b' ? "b" : "");
    k->id = rpt_strdup(id);
    k->op_seq = seq;
    k->op_kind = rpt_strdup(seq % 2 ? "program" : "erase_sector");
    k->addr = 0x80000 + seq * 0x1000;
    k->len = seq % 2 ? 8 : 4096;
    k->mode = rpt_strdup(mode);
    k->outcome = rpt_strdup(pass ? "app v2 running after 1 boot" : "bricked");
    k->boots = pass ? 1 : 5;
    k->pass = pass;
    k->message = pass ? NULL : rpt_strdup("no app runs <after> 5 boots");
}

static void build(rpt_run_t *run)
{
    memset(run, 0, sizeof *run);
    run->tool = rpt_strdup("fwemu 0.1");
    run->command = rpt_strdup("fwemu run scenarios/*.yaml --junit 'a&b.xml'");
    run->seed = 42;
    run->time_s = 3.5;

    rpt_suite_t *s = rpt_add_suite(run, "scenarios.install", "scenarios/install.yaml");
    assert_non_null(s);
    rpt_case_t *c = rpt_add_case(s, "scenarios.install", "clean install");
    assert_non_null(c);
    c->line = 3;
    c->time_s = 0.25;
    assert_int_equal(rpt_add_prop(c, "seed", "42"), RPT_OK);
    assert_int_equal(rpt_add_prop(c, "bootloader_digest", "ab12"), RPT_OK);
    assert_int_equal(rpt_add_tag(c, "smoke"), RPT_OK);
    assert_int_equal(rpt_add_tag(c, "install"), RPT_OK);

    c = rpt_add_case(s, "scenarios.install", "install-sweep");
    c->line = 17;
    c->time_s = 1.2346;
    assert_int_equal(rpt_case_set(c, RPT_FAIL, "expect failed:\nactive version 1 != 2",
                                  "expected: version 2\nfound: version 1\nreplay: fwemu run x"),
                     RPT_OK);
    c->console = big_console();
    assert_int_equal(rpt_add_prop(c, "replay", "fwemu run scenarios/install.yaml --replay '12t'"),
                     RPT_OK);
    add_cut(c, 11, "before", true);
    add_cut(c, 12, "torn", false);
    add_cut(c, 12, "after", true);
    add_cut(c, 13, "before", true);
    add_cut(c, 14, "after/torn", false);

    c = rpt_add_case(s, "scenarios.install", "install-sweep@12t");
    c->line = 17;
    rpt_case_set(c, RPT_FAIL, "no app runs after 5 boots", "cut: program 0x0008c000+8 torn");

    s = rpt_add_suite(run, "scenarios.nasty", "scenarios/nasty.yaml");
    assert_non_null(s);
    c = rpt_add_case(s, "scenarios.nasty", "esc <&>\"'");
    c->line = 9;
    rpt_case_set(c, RPT_ERROR, "boom ]]> <b>bold</b>", NASTY_DETAILS);
    c->console = rpt_strdup("short console with \x01 and ]]>\n");

    c = rpt_add_case(s, "scenarios.nasty", "needs hardware");
    rpt_case_set(c, RPT_SKIP, "no board attached", NULL);

    rpt_add_case(s, "scenarios.nasty", "dup");
    rpt_add_case(s, "scenarios.nasty", "dup");

    char longmsg[1001];
    memset(longmsg, 'x', 1000);
    longmsg[1000] = '\0';
    longmsg[10] = '\n';
    c = rpt_add_case(s, "scenarios.nasty", "long message");
    rpt_case_set(c, RPT_FAIL, longmsg, NULL);
    rpt_count(run);
}

/* ---- model helpers --------------------------------------------------------------------------- */

static void helpers_copy_strings_and_count_cases(void **state)
{
    rpt_run_t run;
    build(&run);
    assert_int_equal(run.nsuites, 2);
    assert_int_equal(run.suites[0].ncases, 3);
    assert_int_equal(run.suites[1].ncases, 5);
    assert_int_equal(run.passed, 3);
    assert_int_equal(run.failed, 3);
    assert_int_equal(run.errors, 1);
    assert_int_equal(run.skipped, 1);
    const rpt_case_t *c = &run.suites[0].cases[0];
    assert_string_equal(c->file, "scenarios/install.yaml");    /* inherited from the suite */
    assert_int_equal(c->status, RPT_PASS);
    assert_int_equal(c->nprops, 2);
    assert_string_equal(c->props[1].value, "ab12");
    assert_int_equal(run.suites[0].cases[1].ncuts, 5);
    assert_null(run.suites[1].cases[2].message);

    const char *lit = "copied";
    char *d = rpt_strdup(lit);
    assert_ptr_not_equal(d, lit);
    assert_string_equal(d, lit);
    free(d);
    assert_null(rpt_strdup(NULL));
    rpt_run_free(&run);
    assert_int_equal(run.nsuites, 0);
    assert_null(run.suites);
}

static void helpers_grow_arrays_past_their_capacity(void **state)
{
    rpt_run_t run = { 0 };
    rpt_suite_t *s = NULL;
    for (int i = 0; i < 37; i++)
        s = rpt_add_suite(&run, "s", NULL);
    rpt_case_t *c = NULL;
    for (int i = 0; i < 100; i++) {
        char n[16];
        snprintf(n, sizeof n, "case %d", i);
        c = rpt_add_case(s, "k", n);
        assert_non_null(c);
    }
    for (int i = 0; i < 70; i++) {
        assert_int_equal(rpt_add_prop(c, "p", "v"), RPT_OK);
        assert_int_equal(rpt_add_tag(c, "t"), RPT_OK);
        assert_non_null(rpt_add_cut(c));
    }
    assert_int_equal(run.nsuites, 37);
    assert_int_equal(s->ncases, 100);
    assert_string_equal(s->cases[63].name, "case 63");
    assert_int_equal(c->nprops, 70);
    assert_int_equal(c->ncuts, 70);
    assert_int_equal(rpt_case_set(c, RPT_FAIL, "m1", "d1"), RPT_OK);
    assert_int_equal(rpt_case_set(c, RPT_ERROR, "m2", NULL), RPT_OK);   /* replaces, no leak */
    assert_string_equal(c->message, "m2");
    assert_null(c->details);
    rpt_run_free(&run);
    rpt_run_free(&run);                                                   /* twice is harmless */
}

static void text_clean_repairs_utf8_and_cuts_on_a_character(void **state)
{
    char *t = rpt_text_clean(NASTY_DETAILS, RPT_TEXT_XML, 0);
    assert_string_equal(t, "badctl[0m|inv??|pair?(|ok \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"
                           "|sur???|nc|end");
    free(t);
    t = rpt_text_clean(NASTY_DETAILS, 0, 0);      /* JSON keeps controls and U+FFFE */
    assert_non_null(strstr(t, "bad\x01\x02" "ctl\x1b"));
    assert_non_null(strstr(t, "nc\xef\xbf\xbe|"));
    free(t);
    t = rpt_text_clean("  a\r\n\tb  \n", RPT_TEXT_ONELINE, 0);
    assert_string_equal(t, "a b");
    free(t);
    /* "ab" + a 3-byte character: cut at 7 keeps "ab" + "...", never half of the character */
    t = rpt_text_clean("ab\xe2\x9c\x93\xe2\x9c\x93", 0, 7);
    assert_string_equal(t, "ab...");
    free(t);
    t = rpt_text_clean(NULL, 0, 0);
    assert_string_equal(t, "");
    free(t);
}

/* ---- JUnit ----------------------------------------------------------------------------------- */

static char *write_junit(const rpt_run_t *run, const char *name, size_t *len)
{
    char err[256] = "";
    int rc = rpt_write_junit(run, tmp_path(name), err, sizeof err);
    if (rc != RPT_OK)
        fail_msg("rpt_write_junit: %d %s", rc, err);
    char *x = read_all(tmp_path(name), len);
    assert_non_null(x);
    return x;
}

static void junit_has_the_counts_and_attributes_viewers_read(void **state)
{
    rpt_run_t run;
    build(&run);
    char *x = write_junit(&run, "report.xml", NULL);
    assert_true(strncmp(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0);
    assert_non_null(strstr(x, "<testsuites name=\"fwemu 0.1\" tests=\"8\" failures=\"3\" errors=\"1\" "
                              "skipped=\"1\" time=\"3.500\">"));
    assert_non_null(strstr(x, "<testsuite name=\"scenarios.install\" tests=\"3\" failures=\"2\" "
                              "errors=\"0\" skipped=\"0\" time=\"1.485\" file=\"scenarios/install.yaml\">"));
    assert_non_null(strstr(x, "<testsuite name=\"scenarios.nasty\" tests=\"5\" failures=\"1\" "
                              "errors=\"1\" skipped=\"1\" time=\"0.000\" file=\"scenarios/nasty.yaml\">"));
    assert_int_equal(count(x, "<testsuite "), 2);
    assert_int_equal(count(x, "<testcase "), 8);
    assert_int_equal(count(x, "</testcase>"), 6);         /* the two passing "dup" are empty */
    assert_non_null(strstr(x, "<testcase classname=\"scenarios.nasty\" name=\"dup\" "
                              "file=\"scenarios/nasty.yaml\" time=\"0.000\"/>\n"));
    /* run-wide properties on every suite */
    assert_int_equal(count(x, "<property name=\"seed\" value=\"42\"/>"), 3);   /* 2 suites + 1 case */
    assert_int_equal(count(x, "<property name=\"command\" value=\"fwemu run scenarios/*.yaml --junit "
                              "&#39;a&amp;b.xml&#39;\"/>"), 2);

    char *tc = testcase_of(x, "name=\"clean install\"");
    assert_non_null(tc);
    assert_non_null(strstr(tc, "<testcase classname=\"scenarios.install\" name=\"clean install\" "
                               "file=\"scenarios/install.yaml\" line=\"3\" time=\"0.250\">"));
    assert_non_null(strstr(tc, "<property name=\"bootloader_digest\" value=\"ab12\"/>"));
    assert_non_null(strstr(tc, "<property name=\"tags\" value=\"smoke, install\"/>"));
    assert_null(strstr(tc, "<failure"));
    assert_null(strstr(tc, "<system-out"));
    free(tc);

    tc = testcase_of(x, "name=\"install-sweep\"");
    assert_non_null(tc);
    assert_non_null(strstr(tc, "line=\"17\" time=\"1.235\">"));
    assert_non_null(strstr(tc, "<failure message=\"expect failed: active version 1 != 2\" "
                               "type=\"failure\">expected: version 2\nfound: version 1\nreplay: "
                               "fwemu run x</failure>"));
    assert_non_null(strstr(tc, "<property name=\"cut_points\" value=\"5\"/>"));
    assert_non_null(strstr(tc, "<property name=\"cut_points_failed\" value=\"2\"/>"));
    free(tc);

    tc = testcase_of(x, "name=\"needs hardware\"");
    assert_non_null(strstr(tc, "<skipped message=\"no board attached\"/>"));
    free(tc);

    tc = testcase_of(x, "name=\"esc ");
    assert_non_null(strstr(tc, "<error message=\"boom ]]&gt; &lt;b&gt;bold&lt;/b&gt;\" type=\"error\">"));
    free(tc);
    rpt_run_free(&run);
    free(x);
}

static void junit_escapes_and_strips_what_xml_cannot_hold(void **state)
{
    rpt_run_t run;
    build(&run);
    size_t len;
    char *x = write_junit(&run, "report.xml", &len);
    assert_int_equal(strlen(x), len);                       /* no NUL byte inside */
    assert_xml_chars(x, len);
    assert_null(strstr(x, "]]>"));
    assert_null(strstr(x, "<![CDATA["));
    assert_null(strstr(x, "<b>"));
    assert_non_null(strstr(x, "name=\"esc &lt;&amp;&gt;&quot;&#39;\""));
    assert_non_null(strstr(x, ">badctl[0m|inv??|pair?(|ok \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"
                              "|sur???|nc|end</error>"));
    assert_non_null(strstr(x, "<system-out>short console with  and ]]&gt;\n</system-out>"));
    rpt_run_free(&run);
    free(x);
}

static void junit_keeps_the_tail_of_a_long_console(void **state)
{
    rpt_run_t run;
    build(&run);
    size_t len;
    char *x = write_junit(&run, "report.xml", &len);
    char *tc = testcase_of(x, "name=\"install-sweep\"");
    char *out = strstr(tc, "<system-out>");
    assert_non_null(out);
    char *end = strstr(out, "</system-out>");
    assert_non_null(end);
    size_t n = (size_t)(end - out) - strlen("<system-out>");
    assert_true(n <= 64 * 1024 + 200);                      /* the tail + marker (+ escapes) */
    assert_true(n >= 60 * 1024);
    const char *marker = "<system-out>[fwemu: console truncated: the first ";
    assert_true(strncmp(out, marker, strlen(marker)) == 0);
    assert_non_null(strstr(out, "prompt&gt; ]]&gt; &lt;&amp;&gt;\n"));      /* BEL stripped */
    assert_non_null(strstr(out, "\nTAIL-MARKER-END\n</system-out>"));
    assert_null(strstr(x, "line 000000"));
    assert_true(len < 100 * 1024);
    free(tc);
    rpt_run_free(&run);
    free(x);
}

static void junit_message_is_one_short_line(void **state)
{
    rpt_run_t run;
    build(&run);
    char *x = write_junit(&run, "report.xml", NULL);
    char *tc = testcase_of(x, "name=\"long message\"");
    const char *m = strstr(tc, "<failure message=\"");
    assert_non_null(m);
    m += strlen("<failure message=\"");
    size_t n = strcspn(m, "\"");
    assert_true(n <= 300);
    assert_true(n >= 290);
    assert_memory_equal(m, "xxxxxxxxxx xxx", 14);          /* the newline became a space */
    assert_memory_equal(m + n - 3, "...", 3);
    assert_null(memchr(m, '\n', n));
    /* without details the text is the whole message, newline and all */
    assert_non_null(strstr(tc, "type=\"failure\">xxxxxxxxxx\nxxx"));
    free(tc);
    rpt_run_free(&run);
    free(x);
}

static void junit_makes_classname_and_name_unique(void **state)
{
    rpt_run_t run;
    build(&run);
    char *x = write_junit(&run, "report.xml", NULL);
    assert_int_equal(count(x, "name=\"dup\""), 1);
    assert_int_equal(count(x, "name=\"dup #2\""), 1);
    rpt_run_free(&run);
    free(x);
}

static void junit_is_well_formed_for_xmllint(void **state)
{
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        skip();
    rpt_run_t run;
    build(&run);
    free(write_junit(&run, "report.xml", NULL));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", tmp_path("report.xml"));
    assert_int_equal(system(cmd), 0);
    rpt_run_free(&run);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static void json_reads_back_as_the_model(void **state)
{
    rpt_run_t run;
    build(&run);
    char err[256] = "";
    assert_int_equal(rpt_write_json(&run, tmp_path("report.json"), err, sizeof err), RPT_OK);
    json_error_t je;
    json_t *j = json_load_file(tmp_path("report.json"), 0, &je);
    if (!j)
        fail_msg("report.json line %d: %s", je.line, je.text);

    assert_string_equal(json_string_value(json_object_get(j, "tool")), "fwemu 0.1");
    assert_string_equal(json_string_value(json_object_get(j, "command")),
                        "fwemu run scenarios/*.yaml --junit 'a&b.xml'");
    assert_int_equal(json_integer_value(json_object_get(j, "seed")), 42);
    assert_true(json_real_value(json_object_get(j, "time_s")) == 3.5);
    json_t *sum = json_object_get(j, "summary");
    assert_int_equal(json_integer_value(json_object_get(sum, "passed")), 3);
    assert_int_equal(json_integer_value(json_object_get(sum, "failed")), 3);
    assert_int_equal(json_integer_value(json_object_get(sum, "errors")), 1);
    assert_int_equal(json_integer_value(json_object_get(sum, "skipped")), 1);

    json_t *suites = json_object_get(j, "suites");
    assert_int_equal(json_array_size(suites), 2);
    json_t *s0 = json_array_get(suites, 0);
    assert_string_equal(json_string_value(json_object_get(s0, "name")), "scenarios.install");
    assert_string_equal(json_string_value(json_object_get(s0, "file")), "scenarios/install.yaml");
    json_t *cases = json_object_get(s0, "cases");
    assert_int_equal(json_array_size(cases), 3);

    json_t *c = json_array_get(cases, 0);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "pass");
    assert_true(json_is_null(json_object_get(c, "message")));
    assert_true(json_real_value(json_object_get(c, "time_s")) == 0.25);
    assert_int_equal(json_array_size(json_object_get(c, "tags")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "tags"), 1)), "install");
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "properties"),
                                                          "bootloader_digest")), "ab12");
    assert_int_equal(json_array_size(json_object_get(c, "cuts")), 0);

    c = json_array_get(cases, 1);
    assert_string_equal(json_string_value(json_object_get(c, "classname")), "scenarios.install");
    assert_string_equal(json_string_value(json_object_get(c, "name")), "install-sweep");
    assert_string_equal(json_string_value(json_object_get(c, "file")), "scenarios/install.yaml");
    assert_int_equal(json_integer_value(json_object_get(c, "line")), 17);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "fail");
    assert_string_equal(json_string_value(json_object_get(c, "message")),
                        "expect failed:\nactive version 1 != 2");           /* JSON keeps it whole */
    assert_true(json_real_value(json_object_get(c, "time_s")) == 1.235);
    assert_int_equal(json_string_length(json_object_get(c, "console")), CONSOLE_LEN);
    json_t *cuts = json_object_get(c, "cuts");
    assert_int_equal(json_array_size(cuts), 5);
    json_t *k = json_array_get(cuts, 1);
    assert_string_equal(json_string_value(json_object_get(k, "id")), "install-sweep@12t");
    assert_int_equal(json_integer_value(json_object_get(k, "op_seq")), 12);
    assert_string_equal(json_string_value(json_object_get(k, "op_kind")), "erase_sector");
    assert_int_equal(json_integer_value(json_object_get(k, "addr")), 0x8c000);
    assert_int_equal(json_integer_value(json_object_get(k, "len")), 4096);
    assert_string_equal(json_string_value(json_object_get(k, "mode")), "torn");
    assert_string_equal(json_string_value(json_object_get(k, "outcome")), "bricked");
    assert_int_equal(json_integer_value(json_object_get(k, "boots")), 5);
    assert_true(json_is_false(json_object_get(k, "pass")));
    assert_string_equal(json_string_value(json_object_get(k, "message")), "no app runs <after> 5 boots");
    assert_true(json_is_null(json_object_get(json_array_get(cuts, 0), "message")));
    assert_true(json_is_true(json_object_get(json_array_get(cuts, 0), "pass")));

    c = json_array_get(json_object_get(json_array_get(suites, 1), "cases"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "name")), "esc <&>\"'");
    assert_string_equal(json_string_value(json_object_get(c, "status")), "error");
    assert_string_equal(json_string_value(json_object_get(c, "details")),
                        "bad\x01\x02" "ctl\x1b[0m|inv??|pair?(|ok \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"
                        "|sur???|nc\xef\xbf\xbe|end");
    c = json_array_get(json_object_get(json_array_get(suites, 1), "cases"), 1);
    assert_string_equal(json_string_value(json_object_get(c, "status")), "skip");
    assert_true(json_is_null(json_object_get(c, "line")));
    assert_true(json_is_null(json_object_get(c, "console")));
    json_decref(j);

    /* keys in the documented order */
    char *t = read_all(tmp_path("report.json"), NULL);
    const char *order[] = { "\"tool\"", "\"command\"", "\"seed\"", "\"time_s\"", "\"summary\"",
                            "\"suites\"", "\"classname\"", "\"name\"", "\"file\"", "\"line\"",
                            "\"status\"", "\"message\"", "\"details\"", "\"time_s\"", "\"tags\"",
                            "\"properties\"", "\"cuts\"", "\"console\"" };
    const char *p = t;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *q = strstr(p, order[i]);
        if (!q)
            fail_msg("key %s missing or out of order", order[i]);
        p = q + 1;
    }
    assert_int_equal(t[strlen(t) - 1], '\n');
    free(t);
    rpt_run_free(&run);
}

static void json_writes_a_seed_beyond_int64_as_a_string(void **state)
{
    rpt_run_t run = { .seed = UINT64_MAX };
    char err[256] = "";
    assert_int_equal(rpt_write_json(&run, tmp_path("seed.json"), err, sizeof err), RPT_OK);
    json_t *j = json_load_file(tmp_path("seed.json"), 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "seed")), "18446744073709551615");
    assert_true(json_is_null(json_object_get(j, "tool")));
    assert_int_equal(json_array_size(json_object_get(j, "suites")), 0);
    json_decref(j);
}

/* ---- HTML ------------------------------------------------------------------------------------ */

static void html_puts_failures_first_and_escapes_everything(void **state)
{
    rpt_run_t run;
    build(&run);
    char err[256] = "";
    assert_int_equal(rpt_write_html(&run, tmp_path("report.html"), err, sizeof err), RPT_OK);
    size_t len;
    char *h = read_all(tmp_path("report.html"), &len);
    assert_non_null(h);
    assert_int_equal(strlen(h), len);
    assert_xml_chars(h, len);
    assert_true(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "<b>"));
    assert_null(strstr(h, "]]>"));
    assert_non_null(strstr(h, "3 passed, 3 failed, 1 errors, 1 skipped"));
    assert_non_null(strstr(h, "esc &lt;&amp;&gt;&quot;&#39;"));
    assert_non_null(strstr(h, "boom ]]&gt; &lt;b&gt;bold&lt;/b&gt;"));

    /* the case table: error, then failures, then skipped, then passed */
    const char *table = strstr(h, "<table class=\"cases\">");
    assert_non_null(table);
    const char *e = strstr(table, "<tr class=\"error\">"), *f = strstr(table, "<tr class=\"fail\">"),
               *s = strstr(table, "<tr class=\"skip\">"), *p = strstr(table, "<tr class=\"pass\">");
    assert_true(e && f && s && p);
    assert_true(e < f && f < s && s < p);

    /* a failing case section with its details and (truncated) console */
    const char *sec = strstr(h, "<section class=\"case fail\" id=\"c1\">");
    assert_non_null(sec);
    assert_non_null(strstr(sec, "expected: version 2\nfound: version 1"));
    assert_non_null(strstr(sec, "[fwemu: console truncated: the first "));
    assert_null(strstr(h, "line 000000"));

    /* the sweep grid: cut points coloured by verdict, with their replay ids */
    const char *grid = strstr(h, "<div class=\"grid\">");
    assert_non_null(grid);
    assert_non_null(strstr(grid, "<span class=\"cut fail\" title=\"install-sweep@12t&#10;"));
    assert_non_null(strstr(grid, ">12t</span>"));
    assert_int_equal(count(grid, "<span class=\"cut pass\""), 3);
    assert_int_equal(count(grid, "<span class=\"cut fail\""), 2);
    assert_non_null(strstr(grid, "<code>install-sweep@14</code>"));
    assert_non_null(strstr(grid, "no app runs &lt;after&gt; 5 boots"));
    assert_true(len < 400 * 1024);
    free(h);
    rpt_run_free(&run);
}

/* ---- every writer ---------------------------------------------------------------------------- */

typedef int (*writer_fn)(const rpt_run_t *, const char *, char *, size_t);
static const writer_fn writers[] = { rpt_write_junit, rpt_write_json, rpt_write_html };

static void writers_are_deterministic(void **state)
{
    rpt_run_t a, b;
    build(&a);
    build(&b);
    char err[256];
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(writers[i](&a, tmp_path("one"), err, sizeof err), RPT_OK);
        assert_int_equal(writers[i](&a, tmp_path("two"), err, sizeof err), RPT_OK);
        assert_int_equal(writers[i](&b, tmp_path("three"), err, sizeof err), RPT_OK);
        size_t n1, n2, n3;
        char *x1 = read_all(tmp_path("one"), &n1), *x2 = read_all(tmp_path("two"), &n2),
             *x3 = read_all(tmp_path("three"), &n3);
        assert_int_equal(n1, n2);
        assert_int_equal(n1, n3);
        assert_memory_equal(x1, x2, n1);
        assert_memory_equal(x1, x3, n1);
        free(x1);
        free(x2);
        free(x3);
    }
    assert_no_temporaries(tmpdir);
    rpt_run_free(&a);
    rpt_run_free(&b);
}

static void writers_replace_an_existing_report(void **state)
{
    rpt_run_t run;
    build(&run);
    char err[256];
    const char *p = tmp_path("report.xml");
    write_text(p, "old report\n");
    chmod(p, 0640);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(writers[i](&run, p, err, sizeof err), RPT_OK);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0640);          /* permissions kept */
        assert_true(st.st_size > 1000);
    }
    assert_no_temporaries(tmpdir);
    rpt_run_free(&run);
}

static void writing_into_a_missing_directory_is_an_io_error(void **state)
{
    rpt_run_t run;
    build(&run);
    for (size_t i = 0; i < 3; i++) {
        char err[256] = "";
        assert_int_equal(writers[i](&run, tmp_path("missing/report"), err, sizeof err), RPT_ERR_IO);
        assert_non_null(strstr(err, "missing/report"));
        assert_null(strchr(err, '\n'));
        assert_int_equal(writers[i](&run, tmp_path("dir/"), err, sizeof err), RPT_ERR_IO);
        assert_int_equal(writers[i](&run, "", err, sizeof err), RPT_ERR_IO);
        assert_int_equal(writers[i](&run, NULL, NULL, 0), RPT_ERR_IO);
    }
    assert_no_temporaries(tmpdir);
    rpt_run_free(&run);
}

/* rename() cannot replace a directory: the temporary was written and must be removed again. */
static void a_failed_rename_removes_the_temporary(void **state)
{
    rpt_run_t run;
    build(&run);
    const char *d = tmp_path("report.xml");
    assert_int_equal(mkdir(d, 0700), 0);
    write_text(tmp_path("report.xml/keep"), "keep\n");
    for (size_t i = 0; i < 3; i++) {
        char err[256] = "";
        assert_int_equal(writers[i](&run, d, err, sizeof err), RPT_ERR_IO);
        assert_non_null(strstr(err, "rename"));
    }
    assert_no_temporaries(tmpdir);
    char *k = read_all(tmp_path("report.xml/keep"), NULL);
    assert_string_equal(k, "keep\n");
    free(k);
    rpt_run_free(&run);
}

/* A write that fails half-way (file size limit: EFBIG, works for root too) leaves the old file
 * as it was and no temporary. */
static void a_failed_write_leaves_the_old_file_untouched(void **state)
{
    rpt_run_t run;
    build(&run);
    const char *p = tmp_path("report.out");
    write_text(p, "old report\n");
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc[3];
    char err[3][256];
    for (size_t i = 0; i < 3; i++)
        rc[i] = writers[i](&run, p, err[i], sizeof err[i]);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(rc[i], RPT_ERR_IO);
        assert_non_null(strstr(err[i], "write failed"));
    }
    char *t = read_all(p, NULL);
    assert_string_equal(t, "old report\n");
    free(t);
    assert_no_temporaries(tmpdir);
    rpt_run_free(&run);
}

static void an_unwritable_directory_leaves_the_old_file_untouched(void **state)
{
    if (geteuid() == 0)
        skip();                                  /* root writes anyway */
    rpt_run_t run;
    build(&run);
    const char *p = tmp_path("report.xml");
    write_text(p, "old report\n");
    assert_int_equal(chmod(tmpdir, 0500), 0);
    int rc[3];
    char err[256];
    for (size_t i = 0; i < 3; i++)
        rc[i] = writers[i](&run, p, err, sizeof err);
    chmod(tmpdir, 0700);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(rc[i], RPT_ERR_IO);
    char *t = read_all(p, NULL);
    assert_string_equal(t, "old report\n");
    free(t);
    assert_no_temporaries(tmpdir);
    rpt_run_free(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(helpers_copy_strings_and_count_cases),
        cmocka_unit_test(helpers_grow_arrays_past_their_capacity),
        cmocka_unit_test(text_clean_repairs_utf8_and_cuts_on_a_character),
        cmocka_unit_test_setup_teardown(junit_has_the_counts_and_attributes_viewers_read, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(junit_escapes_and_strips_what_xml_cannot_hold, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(junit_keeps_the_tail_of_a_long_console, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(junit_message_is_one_short_line, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(junit_makes_classname_and_name_unique, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(junit_is_well_formed_for_xmllint, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(json_reads_back_as_the_model, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(json_writes_a_seed_beyond_int64_as_a_string, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(html_puts_failures_first_and_escapes_everything, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(writers_are_deterministic, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(writers_replace_an_existing_report, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(writing_into_a_missing_directory_is_an_io_error, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(a_failed_rename_removes_the_temporary, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(a_failed_write_leaves_the_old_file_untouched, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(an_unwritable_directory_leaves_the_old_file_untouched,
                                        setup_tmp, teardown_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
