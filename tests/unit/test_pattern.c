/*
 * Console patterns (harness/scenario/pattern.c): every construct of the subset, every error with
 * its offset and message, the pathological patterns (rejected at compile time or matched in one
 * pass, never hanging), and agreement with glibc regcomp(REG_EXTENDED | REG_NOSUB) + regexec,
 * the runner's flags, on a table, on random patterns, and on every `matches:` in scenarios/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <glob.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scenario/pattern.h"

/* ---- helpers ----------------------------------------------------------------------------------- */

static bool match(const char *pattern, const char *text)
{
    pat_t *p;
    char err[160];
    size_t off;
    int rc = pat_compile(pattern, &p, &off, err, sizeof err);
    if (rc != PAT_OK)
        print_error("pattern /%s/: %s at %zu\n", pattern, err, off);
    assert_int_equal(rc, PAT_OK);
    bool m = pat_search(p, text, strlen(text));
    pat_free(p);
    return m;
}

static void rejects(const char *pattern, int want_rc, size_t want_off, const char *want_msg)
{
    pat_t *p = (pat_t *)&p;
    char err[160];
    size_t off = 12345;
    int rc = pat_compile(pattern, &p, &off, err, sizeof err);
    if (rc != want_rc || off != want_off || strcmp(err, want_msg))
        print_error("pattern /%s/: rc %d at %zu \"%s\"\n", pattern, rc, off, err);
    assert_int_equal(rc, want_rc);
    assert_null(p);
    assert_int_equal(off, want_off);
    assert_string_equal(err, want_msg);
}

/* glibc's verdict with the runner's flags, or -1 when glibc does not compile the pattern. */
static int glibc_match(const char *pattern, const char *text)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB))
        return -1;
    int m = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return m;
}

static unsigned rng = 12345;                    /* a fixed sequence: failures reproduce */
static unsigned rnd(unsigned n)
{
    rng = rng * 1103515245u + 12345u;
    return (rng >> 16) % n;
}

static const char *const consoles[] = {
    "",
    "[BOOT] active: v1 valid\n[BOOT] jumping to 0x8400\n",
    ("[BOOT] candidate: v2 valid\n[BOOT] installing v2\n[BOOT] install verified\n[BOOT] jumping to 0x8400\n"
     "[UC] idle\n"),
    "[BOOT] installing v2\n[BOOT] reset: watchdog\n[BOOT] install gave up\n",
    "[UC] rejected: signature\n",
    "a\nb", "ab", "abc", "aab", "x{y}z ]", "tab\there", "caf\xc3\xa9 0x7F",
};

static void agrees(const char *pattern, const char *text)
{
    int want = glibc_match(pattern, text);
    if (want < 0)
        print_error("glibc rejects /%s/\n", pattern);
    assert_true(want >= 0);
    if (match(pattern, text) != want) {
        print_error("/%s/ on \"%s\": glibc says %d\n", pattern, text, want);
        fail();
    }
}

/* ---- the constructs ---------------------------------------------------------------------------- */

static void literals_dot_and_escapes(void **state)
{
    assert_true(match("install", "[BOOT] installing v2"));
    assert_false(match("Install", "[BOOT] installing v2"));         /* case-sensitive */
    assert_true(match("", ""));
    assert_true(match("", "anything"));
    assert_true(match("a.c", "abc"));
    assert_true(match("a.c", "a\nc"));                              /* no REG_NEWLINE */
    assert_false(match("a.c", "ac"));
    assert_true(match("\\[BOOT\\] x", "[BOOT] x"));
    assert_false(match("\\[BOOT\\]", "B"));
    assert_true(match("\\.\\*\\+\\?\\(\\)\\{\\}\\|\\^\\$\\\\\\]", ".*+?(){}|^$\\]"));
    assert_true(match("a]b}", "a]b}"));                             /* ordinary on their own */
    assert_true(match("caf\xc3\xa9", "un caf\xc3\xa9"));            /* bytes */
    assert_false(match("x", "abc"));
}

static void brackets(void **state)
{
    assert_true(match("v[0-9]", "v2"));
    assert_false(match("v[0-9]", "vx"));
    assert_true(match("[a-cx]+$", "zzabcx"));
    assert_true(match("[^a]", "a\n"));                              /* newline is not excluded */
    assert_false(match("[^a]", "aaa"));
    assert_true(match("[]a]", "]"));
    assert_true(match("[^]a]", "b"));
    assert_false(match("[^]a]", "]a"));
    assert_true(match("[a-]", "-"));
    assert_true(match("[-a]", "-"));
    assert_true(match("[\\]", "\\"));                               /* '\' is a member */
    assert_true(match("[.*]", "*"));
    assert_false(match("[.*]", "x"));
    assert_true(match("0x[[:xdigit:]]+", "0x7F"));
    assert_true(match("^[[:upper:]][[:lower:]]+[[:digit:]][[:space:]]$", "Abc1\n"));
    assert_true(match("[[:alpha:]_][[:alnum:]_]*", "_x1"));
    assert_true(match("[[:punct:]]", "!"));
    assert_false(match("[[:punct:][:cntrl:]]", "a b"));
    assert_true(match("[[:blank:]]", "\t"));
    assert_false(match("[[:print:]]", "\x01\x7f\xc3"));
    assert_true(match("[[:graph:]]", " x "));
}

static void anchors(void **state)
{
    assert_true(match("^\\[BOOT\\]", "[BOOT] a\n"));
    assert_false(match("^b", "a\nb"));                              /* the text's start, not a line's */
    assert_false(match("a$", "a\nb"));
    assert_true(match("b$", "a\nb"));
    assert_true(match("^$", ""));
    assert_false(match("^$", "\n"));
    assert_true(match("(^|x)a", "a"));
    assert_true(match("(^|x)a", "bxa"));
    assert_false(match("(^|x)a", "ba"));
    assert_true(match("a($|b)", "cab"));
    assert_true(match("a($|b)", "ca"));
    assert_true(match("(^|\n)b", "a\nb"));                        /* the line-start idiom */
    assert_true(match("a(\n|$)", "ba"));
    assert_true(match("a{0}^b$c{0}", "b"));
    assert_true(match("$^", ""));
}

/* glibc's regexec lets `^` match right after a newline the pattern itself reads, and `$` right
 * before one; POSIX does not. Anchors a byte may precede / follow are refused instead. */
static void anchors_that_never_match_are_refused(void **state)
{
    static const char bol[] = "'^' after a byte never matches: it is the start of the whole console, not of a "
                              "line (for a line start write (^|\\n))";
    static const char eol[] = "'$' before a byte never matches: it is the end of the whole console, not of a "
                              "line (for a line end write ($|\\n))";
    assert_int_equal(glibc_match("\n^b", "a\nb"), 1);
    assert_int_equal(glibc_match(".^b", "a\nb"), 1);
    assert_int_equal(glibc_match("^b", "a\nb"), 0);
    assert_int_equal(glibc_match("a$.", "a\nb"), 1);
    assert_int_equal(glibc_match("a$", "a\nb"), 0);
    rejects("a^b", PAT_ERR_UNSUPPORTED, 1, bol);
    rejects("\n^b", PAT_ERR_UNSUPPORTED, 1, bol);
    rejects("x?^b", PAT_ERR_UNSUPPORTED, 2, bol);
    rejects("(a|(b|^))+", PAT_ERR_UNSUPPORTED, 6, bol);
    rejects("a$\n", PAT_ERR_UNSUPPORTED, 1, eol);
    rejects("(a$)*", PAT_ERR_UNSUPPORTED, 2, eol);
    rejects("(x|a)$b?", PAT_ERR_UNSUPPORTED, 5, eol);
}

static void alternation_and_groups(void **state)
{
    assert_true(match("installing|jumping", "jumping to"));
    assert_false(match("installing|jumping", "idle"));
    assert_true(match("(ab|a)(c|bcd)$", "abcd"));
    assert_true(match("((a|b)(c|(d|e)))+f", "xacbdaef"));
    assert_false(match("((a|b)(c|(d|e)))+f", "xacbdaxf"));
    assert_true(match("a(|b)c", "ac"));                             /* empty alternative */
    assert_true(match("a(|b)c", "abc"));
    assert_true(match("a()c", "ac"));
    assert_true(match("x|", "y"));
}

static void repetition(void **state)
{
    assert_true(match("ab*c", "ac"));
    assert_true(match("ab*c", "abbbc"));
    assert_false(match("ab+c", "ac"));
    assert_true(match("ab+c", "abbc"));
    assert_true(match("^ab?c$", "ac"));
    assert_false(match("^ab?c$", "abbc"));
    assert_true(match("^a{3}$", "aaa"));
    assert_false(match("^a{3}$", "aa"));
    assert_false(match("^a{3}$", "aaaa"));
    assert_true(match("^a{2,}$", "aaaaa"));
    assert_false(match("^a{2,}$", "a"));
    assert_true(match("^a{2,4}$", "aaaa"));
    assert_false(match("^a{2,4}$", "aaaaa"));
    assert_true(match("^x(ab){0}y$", "xy"));
    assert_true(match("^(a|bc){2,3}$", "bca"));
    assert_true(match("^(a|bc){2,3}$", "abcbc"));
    assert_false(match("^(a|bc){2,3}$", "abcbca"));
    assert_true(match("^([0-9a-f]{2}:){3}[0-9a-f]{2}$", "de:ad:be:ef"));
    assert_true(match("^a**$", "aaa"));                            /* stacked: (a*)* */
    assert_true(match("^(a{2}){2}$", "aaaa"));
    assert_false(match("^(a{2}){2}$", "aaa"));
    assert_true(match("^a{0,255}$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    assert_true(match("^(a*)*$", ""));                              /* empty loops end */
    assert_true(match("^(a*|b)+c$", "abbaac"));
    assert_true(match("^(()|a)+$", "aa"));
}

/* ---- errors ------------------------------------------------------------------------------------ */

static void errors_name_the_offset(void **state)
{
    rejects("(a)\\1", PAT_ERR_UNSUPPORTED, 3, "back-references are not supported");
    rejects("x\\9", PAT_ERR_UNSUPPORTED, 1, "back-references are not supported");
    rejects("a\\w", PAT_ERR_UNSUPPORTED, 1, "unsupported escape '\\w' (only one of .[]()|*+?{}^$\\ may follow '\\')");
    rejects("a\\n", PAT_ERR_UNSUPPORTED, 1, "unsupported escape '\\n' (only one of .[]()|*+?{}^$\\ may follow '\\')");
    rejects("a\\", PAT_ERR_SYNTAX, 1, "trailing backslash");
    rejects("a(b", PAT_ERR_SYNTAX, 1, "unbalanced '('");
    rejects("a)b", PAT_ERR_SYNTAX, 1, "unbalanced ')'");
    rejects("(a))", PAT_ERR_SYNTAX, 3, "unbalanced ')'");
    rejects("ab[cd", PAT_ERR_SYNTAX, 2, "unbalanced '['");
    rejects("[]", PAT_ERR_SYNTAX, 0, "unbalanced '['");
    rejects("[z-a]", PAT_ERR_SYNTAX, 1, "invalid range 'z-a' (end before start)");
    rejects("[a-c-e]", PAT_ERR_SYNTAX, 4, "'-' must be first or last in a bracket expression");
    rejects("[[:digit:]-z]", PAT_ERR_SYNTAX, 10, "'-' must be first or last in a bracket expression");
    rejects("[+-[:digit:]]", PAT_ERR_SYNTAX, 3, "a range cannot start or end with a class");
    rejects("[[:word:]]", PAT_ERR_SYNTAX, 1, "unknown character class '[:word:]'");
    rejects("[[:digit]", PAT_ERR_SYNTAX, 1, "unterminated character class '[:'");
    rejects("[[=a=]]", PAT_ERR_UNSUPPORTED, 1, "equivalence classes and collating symbols are not supported");
    rejects("*a", PAT_ERR_SYNTAX, 0, "nothing to repeat before '*'");
    rejects("a|+b", PAT_ERR_SYNTAX, 2, "nothing to repeat before '+'");
    rejects("(?:a)", PAT_ERR_SYNTAX, 1, "nothing to repeat before '?'");
    rejects("^*", PAT_ERR_SYNTAX, 1, "nothing to repeat before '*'");
    rejects("a{", PAT_ERR_SYNTAX, 1, "invalid repetition bound after '{' (a literal '{' is written \\{)");
    rejects("a{,3}", PAT_ERR_SYNTAX, 1, "invalid repetition bound after '{' (a literal '{' is written \\{)");
    rejects("a{2", PAT_ERR_SYNTAX, 1, "invalid repetition bound: '{' without its '}'");
    rejects("a{3,2}", PAT_ERR_SYNTAX, 1, "invalid repetition bound: {3,2} has max < min");
    rejects("ab{256}", PAT_ERR_TOO_BIG, 2, "repetition count over 255");
    rejects("a{1,99999999999999999999}", PAT_ERR_TOO_BIG, 1, "repetition count over 255");
    assert_string_equal(pat_strerror(PAT_ERR_TOO_BIG), "pattern too large");
    assert_string_equal(pat_strerror(PAT_ERR_UNSUPPORTED), "unsupported pattern syntax");
    assert_string_equal(pat_strerror(1), "unknown error");
}

static void limits(void **state)
{
    pat_t *p;
    /* exactly PAT_MAX_STATES: 255 * 8 + 7 bytes + MATCH; one more byte is over, at that byte */
    assert_int_equal(pat_compile("a{255}{8}aaaaaaa", &p, NULL, NULL, 0), PAT_OK);
    assert_int_equal(pat_states(p), PAT_MAX_STATES);
    assert_true(pat_search(p, "aaaa", 4) == false);
    pat_free(p);
    rejects("a{255}{8}aaaaaaaa", PAT_ERR_TOO_BIG, 16, "pattern too large: expands to 2049 states (limit 2048)");

    char deep[2 * PAT_MAX_DEPTH + 8];          /* 32 groups deep is fine, 33 is not */
    for (int extra = 0; extra < 2; extra++) {
        int d = PAT_MAX_DEPTH + extra;
        memset(deep, '(', (size_t)d);
        memset(deep + d, ')', (size_t)d);
        deep[2 * d] = '\0';
        if (extra)
            rejects(deep, PAT_ERR_TOO_BIG, PAT_MAX_DEPTH, "nested too deeply (limit 32)");
        else
            assert_true(match(deep, ""));
        memset(deep, '*', sizeof deep);           /* the same for stacked repetitions */
        deep[0] = 'a';
        deep[d + 1] = '\0';
        if (extra)
            rejects(deep, PAT_ERR_TOO_BIG, PAT_MAX_DEPTH + 1, "nested too deeply (limit 32)");
        else
            assert_true(match(deep, "aa"));
    }

    char *big = malloc(PAT_MAX_LEN + 2);
    assert_non_null(big);
    memset(big, 'x', PAT_MAX_LEN + 1);
    big[PAT_MAX_LEN + 1] = '\0';
    rejects(big, PAT_ERR_TOO_BIG, PAT_MAX_LEN, "pattern too long: over 4096 bytes");
    big[PAT_MAX_LEN] = '\0';                   /* 4096 literal bytes: within the length, over the states */
    rejects(big, PAT_ERR_TOO_BIG, PAT_MAX_STATES - 1, "pattern too large: expands to 4097 states (limit 2048)");
    free(big);
    rejects(NULL, PAT_ERR_SYNTAX, 0, "no pattern");
}

/* ---- the pathological patterns ----------------------------------------------------------------- */

static void bounded_repeats_are_sized_before_they_are_expanded(void **state)
{
    /* glibc would expand this to ~8.5e9 copies; here it is refused at the second '{' */
    rejects("a{1,255}{1,255}{1,255}{1,255}", PAT_ERR_TOO_BIG, 8,
            "pattern too large: expands to 8456501250 states (limit 2048)");
    rejects("(((((((((a{255}){255}){255}){255}){255}){255}){255}){255}){255})", PAT_ERR_TOO_BIG, 16,
            "pattern too large: expands to over 10^19 states (limit 2048)");
    rejects("(x|y{0,255}){255}", PAT_ERR_TOO_BIG, 12, "pattern too large: expands to 130816 states (limit 2048)");
}

static void nested_stars_run_in_one_pass(void **state)
{
    size_t n = 100 * 1024;
    char *t = malloc(n + 2);
    assert_non_null(t);
    memset(t, 'a', n);
    t[n] = '\0';
    assert_false(match("(a*)*b", t));          /* exponential for a backtracker */
    assert_false(match("(a|aa)*c", t));
    assert_false(match("^(a|a)*b", t));
    assert_true(match("^(a|aa)*$", t));
    assert_true(match("(a*)*a{200}$", t));
    t[n] = 'b';
    t[n + 1] = '\0';
    assert_true(match("(a*)*b", t));
    assert_true(match("^(a?){20}a{20}", t));
    free(t);
}

/* Any bytes: an answer, never a crash (run under ASan/UBSan); a compiled pattern searches any text. */
static void no_input_crashes(void **state)
{
    static const char alphabet[] = "ab.[]^-$()|*+?{}\\,019:=\n\xff";
    char pattern[24], text[24];
    for (int i = 0; i < 50000; i++) {
        size_t n = rnd(sizeof pattern), t = rnd(sizeof text);
        for (size_t c = 0; c < n; c++)
            pattern[c] = alphabet[rnd(sizeof alphabet - 1)];
        pattern[n] = '\0';
        for (size_t c = 0; c < t; c++)
            text[c] = (char)rnd(256);          /* NUL included: pat_search takes a length */
        pat_t *p;
        size_t off;
        char err[96];
        int rc = pat_compile(pattern, &p, &off, err, sizeof err);
        if (rc == PAT_OK) {
            assert_true(pat_states(p) <= PAT_MAX_STATES);
            (void)pat_search(p, text, t);
            pat_free(p);
        } else {
            assert_true(rc < 0 && off <= n && err[0]);
        }
    }
    pat_t *p;
    assert_int_equal(pat_compile("b\\.c$", &p, NULL, NULL, 0), PAT_OK);
    assert_true(pat_search(p, "a\0b.c", 5));
    assert_false(pat_search(p, "a\0b.c", 4));
    assert_false(pat_search(p, NULL, 0));
    pat_free(p);
}

/* ---- agreement with glibc ------------------------------------------------------------------------ */

static void agrees_with_glibc_on_a_table(void **state)
{
    static const char *const patterns[] = {
        "installing v2.*jumping to",          /* scenarios/README.md */
        "^\\[BOOT\\]", "verified$", "0x[0-9a-f]+", "0x[[:xdigit:]]{4}", "v[[:digit:]]+ valid",
        "(install|jump)ing", "install(ing v[0-9]|ed)", "^(\\[[A-Z]+\\] [^\n]*\n)*$", "gave up\n$",
        "rejected: (signature|digest|size)", "a.b", "^b", "a$", "[^a]", "^a{1,2}b", "x\\{y\\}",
        "[]x]", "caf.", "[^[:print:]]", "\t", "(a|ab)(c|bcd)?$", "^((a)|b)*c?$", "[.]", "v2.*v2",
        "^$", "[[:space:]]{2}", "idle$|^a", "install gave up", "(^|\n)\\[UC\\]",
    };
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++)
        for (size_t j = 0; j < sizeof consoles / sizeof *consoles; j++)
            agrees(patterns[i], consoles[j]);
}

/* Random patterns over a, b, newline: every construct, nested; both must compile and agree. */

static void gen_random(char *out, size_t *k, int depth)
{
    int items = 1 + (int)rnd(3);
    for (int i = 0; i < items; i++) {
        unsigned kind = rnd(depth ? 12 : 9);
        static const char *const atoms[] = { "a", "b", ".", "\n", "[ab]", "[^a]", "^", "$", "a" };
        if (kind < 9) {
            *k += (size_t)sprintf(out + *k, "%s", atoms[kind]);
            if (kind == 6 || kind == 7)
                continue;                      /* anchors are not repeated */
        } else {
            out[(*k)++] = '(';
            gen_random(out, k, depth - 1);
            if (rnd(2)) {
                out[(*k)++] = '|';
                gen_random(out, k, depth - 1);
            }
            out[(*k)++] = ')';
        }
        static const char *const reps[] = { "", "", "", "*", "+", "?", "{2}", "{0,2}", "{1,}", "{0}" };
        *k += (size_t)sprintf(out + *k, "%s", reps[rnd(10)]);
    }
}

static void agrees_with_glibc_on_random_patterns(void **state)
{
    char pattern[512], text[16];
    int compared = 0;
    for (int i = 0; i < 3000; i++) {
        size_t k = 0;
        gen_random(pattern, &k, 3);
        pattern[k] = '\0';
        pat_t *p;
        int rc = pat_compile(pattern, &p, NULL, NULL, 0);
        if (glibc_match(pattern, "") < 0 || rc == PAT_ERR_UNSUPPORTED)
            continue;                          /* glibc refuses it, or an anchor may follow a byte */
        if (rc != PAT_OK)
            print_error("/%s/: %d\n", pattern, rc);
        assert_int_equal(rc, PAT_OK);
        for (int j = 0; j < 12; j++) {
            size_t n = rnd(9);
            for (size_t c = 0; c < n; c++)
                text[c] = "ab\n"[rnd(3)];
            text[n] = '\0';
            int want = glibc_match(pattern, text);
            if (pat_search(p, text, n) != want) {
                print_error("/%s/ on \"%s\": glibc says %d\n", pattern, text, want);
                fail();
            }
        }
        pat_free(p);
        compared++;
    }
    assert_true(compared > 1500);
}

/* Every `matches:` in the bundled scenarios and their README (double-quoted, single-quoted or plain). */
static void agrees_with_glibc_on_the_bundled_patterns(void **state)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *cut = strstr(dir, "tests/unit/");
    if (!cut)
        skip();
    size_t found = 0;
    const char *globs[] = { "scenarios/*.yaml", "scenarios/README.md" };
    for (int g = 0; g < 2; g++) {
        glob_t gl;
        snprintf(cut, sizeof dir - (size_t)(cut - dir), "%s", globs[g]);
        if (glob(dir, 0, NULL, &gl))
            continue;
        for (size_t f = 0; f < gl.gl_pathc; f++) {
            FILE *fp = fopen(gl.gl_pathv[f], "r");
            char line[1024];
            while (fp && fgets(line, sizeof line, fp)) {
                char *m = strstr(line, "matches: "), pat[1024];
                size_t n = 0;
                if (!m)
                    continue;
                m += 9;
                char q = *m == '"' || *m == '\'' ? *m++ : 0;
                for (; *m && *m != '\n'; m++) {
                    if (q == '"' && *m == '\\' && m[1])
                        m++;
                    else if (q == '\'' && *m == '\'' && m[1] == '\'')
                        m++;
                    else if (q ? *m == q : strchr(",}#", *m) != NULL)
                        break;
                    pat[n++] = *m;
                }
                pat[n] = '\0';
                for (size_t j = 0; j < sizeof consoles / sizeof *consoles; j++)
                    agrees(pat, consoles[j]);
                found++;
            }
            if (fp)
                fclose(fp);
        }
        globfree(&gl);
    }
    assert_true(found >= 1);                   /* at least the README's example */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(literals_dot_and_escapes),
        cmocka_unit_test(brackets),
        cmocka_unit_test(anchors),
        cmocka_unit_test(anchors_that_never_match_are_refused),
        cmocka_unit_test(alternation_and_groups),
        cmocka_unit_test(repetition),
        cmocka_unit_test(errors_name_the_offset),
        cmocka_unit_test(limits),
        cmocka_unit_test(bounded_repeats_are_sized_before_they_are_expanded),
        cmocka_unit_test(nested_stars_run_in_one_pass),
        cmocka_unit_test(no_input_crashes),
        cmocka_unit_test(agrees_with_glibc_on_a_table),
        cmocka_unit_test(agrees_with_glibc_on_random_patterns),
        cmocka_unit_test(agrees_with_glibc_on_the_bundled_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
