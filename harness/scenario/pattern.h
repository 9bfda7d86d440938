/*
 * Console patterns: the part of POSIX extended regular expressions that scenarios need
 * (`expect: {console: {matches: P}}`), matched in time linear in the text and memory bounded by
 * the pattern, by construction.
 *
 * Why: the runner and loader used glibc regcomp/regexec. regcomp expands a bounded repetition
 * into copies of its operand with no cap, so `a{1,255}{1,255}{1,255}{1,255}` (8.5e9 states)
 * hangs the loader while memory grows; with back-references regexec's time explodes
 * (`(.*)(.*)(.*)\3\2\1c` takes 5.6 s on 65 bytes here, ~50x per doubling, and the console is
 * 64 KiB). A scenario file must not be able to do either to a test run.
 *
 * Why not a library: PCRE2 (libpcre2-dev) speaks Perl syntax, not the POSIX ERE the scenarios
 * document, and its usual matcher backtracks, stopped only by a match limit. RE2 (libre2-dev)
 * has the right guarantee but is C++. TRE (libtre-dev, Debian 0.8.0) expands every bounded
 * repetition into copies with no cap, as glibc does (tre_expand_ast), and matches back-references
 * by backtracking. The subset below is a few hundred lines (pattern.c).
 *
 * Syntax (bytes, case-sensitive; anything not listed is an error, never a guess):
 *   c          a byte other than  . [ ( ) | * + ? { ^ $ \  matches itself; `]` and `}` on their
 *              own are ordinary, as in POSIX ERE
 *   \c         c itself, for c one of  . [ ] ( ) | * + ? { } ^ $ \  ; every other escape is
 *              refused: ``..`\9` ("back-references are not supported"), GNU `\w \s  \< ...`,
 *              and `
` `	` (glibc reads them as plain `n` `t`; YAML "
" gives a real newline)
 *   .          any byte, newline included
 *   [set]      one byte in the set; [^set] one byte not in it, newline included. Members: bytes;
 *              ranges `a-z` by byte value (first <= last); [:alpha:] [:digit:] [:alnum:]
 *              [:upper:] [:lower:] [:space:] [:blank:] [:punct:] [:print:] [:graph:] [:cntrl:]
 *              [:xdigit:] (ASCII, the C locale). `]` is a member when first (after any `^`), `-`
 *              when first or last; `\` is an ordinary member. [=x=] and [.x.] are refused.
 *   ^  $       start / end of the whole text, not of a line (the flags were REG_EXTENDED |
 *              REG_NOSUB, no REG_NEWLINE). A `^` that may come after a byte, or a `$` that a byte
 *              may follow (`a^b`, `x?^b`, `
^b`, `a$.`), is refused: POSIX says it never
 *              matches, glibc matches it next to a newline the pattern reads; the message
 *              suggests `(^|
)` / `($|
)`
 *   (P)        grouping; `()` and empty alternatives match the empty string
 *   P|Q        alternation
 *   P* P+ P?   repetition; P{m} P{m,} P{m,n}, 0 <= m <= n <= 255; stacked repetitions nest
 *              (a** is (a*)*). A repetition needs an operand: `*a`, `(*a)`, `a|+b`, `^*` are
 *              errors, and so is a `{` that does not start a bound (write `\{`).
 * The pattern may match anywhere in the text (regexec without REG_NOTBOL / REG_NOTEOL). On every
 * pattern both accept, pat_search agrees with regcomp(REG_EXTENDED | REG_NOSUB) + regexec in the
 * C locale: tests/unit/test_pattern.c compares a table, ~2000 random patterns, and every
 * `matches:` in scenarios/.
 *
 * Complexity: pat_compile is linear in the pattern and the program; it sizes the expansion
 * (saturating arithmetic) before expanding anything. pat_search simulates the NFA (Thompson /
 * Pike VM: a set of states per text position, each state entered at most once per position; no
 * backtracking, no recursion): O(len x states) time, ~16 KiB of stack, no allocation, so several
 * threads may search with one pat_t. Worst case measured: 2042 live states over 64 KiB, 0.25 s.
 *
 * Limits (each a compile error, with the offset of the construct at fault):
 *   PAT_MAX_LEN     bytes of pattern
 *   PAT_MAX_STATES  states after expanding repetitions: one per byte / set / anchor, two more per
 *                   `|`, one or two per `*` `+` `?` and per optional copy of {m,n}, one to
 *                   accept. `[0-9a-f]{64}` costs 65, `.{0,255}` 511; the limit keeps the worst
 *                   search of the default 64 KiB console under a second.
 *   PAT_MAX_DEPTH   nesting of groups and stacked repetitions (the compiler recurses on it)
 *   PAT_MAX_REPEAT  a repetition count (POSIX's minimum RE_DUP_MAX)
 */
#ifndef FWEMU_PATTERN_H
#define FWEMU_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define PAT_MAX_LEN 4096
#define PAT_MAX_STATES 2048
#define PAT_MAX_DEPTH 32
#define PAT_MAX_REPEAT 255

typedef enum pat_err {
    PAT_OK = 0,
    PAT_ERR_SYNTAX = -1,       /* not valid: unbalanced ( ) [, bad bound or range, nothing to repeat */
    PAT_ERR_UNSUPPORTED = -2,  /* not in the subset: back-references, other escapes, [=x=], ^ / $
                                  next to a byte */
    PAT_ERR_TOO_BIG = -3,      /* over PAT_MAX_LEN, PAT_MAX_STATES, PAT_MAX_DEPTH, or a count > 255 */
    PAT_ERR_NOMEM = -4,
} pat_err_t;

typedef struct pat pat_t;

const char *pat_strerror(int err);

/* Compile src (NUL-terminated). On success *out is the pattern (pat_free it) and PAT_OK is
 * returned. On failure *out is NULL, a pat_err_t is returned, *err_off (may be NULL) is the
 * 0-based byte offset in src of the problem, and err (may be NULL / errlen 0) gets one line
 * without the offset, e.g. "back-references are not supported" or "pattern too large: expands
 * to 8456501250 states (limit 2048)". */
int pat_compile(const char *src, pat_t **out, size_t *err_off, char *err, size_t errlen);

/* Does the pattern match anywhere in text[0, len)? Every byte counts, NUL included; to mirror
 * regexec on a C string pass strlen(text). text may be NULL when len is 0. */
bool pat_search(const pat_t *p, const char *text, size_t len);

/* States of the compiled program (<= PAT_MAX_STATES). */
size_t pat_states(const pat_t *p);

void pat_free(pat_t *p);

#endif
