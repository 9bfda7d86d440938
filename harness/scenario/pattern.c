/*
 * Console patterns (pattern.h): parse to a small tree, size it (saturating, nothing expanded
 * yet), then emit a program for a Pike VM without captures, which is a plain NFA simulation:
 * a set of program counters per text position, each state visited at most once per position.
 */
#include "scenario/pattern.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the tree ------------------------------------------------------------------------------------ */

enum { N_EMPTY, N_BYTE, N_ANY, N_SET, N_BOL, N_EOL, N_CAT, N_ALT, N_REP };
#define REP_INF 0xFFFF
#define NONE 0xFFFFu       /* no state (the program has at most PAT_MAX_STATES) */

typedef struct node {
    uint8_t type, byte;
    uint16_t min, max;     /* N_REP */
    uint16_t set;          /* N_SET: index into sets */
    int child, next;       /* first child (N_CAT, N_ALT, N_REP), next sibling; -1 = none */
    size_t off;            /* where it starts in the pattern (for N_REP: the operator) */
} node_t;

typedef struct set { uint8_t bits[32]; } set_t;

/* ---- the program ----------------------------------------------------------------------------------- */

enum { I_BYTE, I_ANY, I_SET, I_BOL, I_EOL, I_JMP, I_SPLIT, I_MATCH };

typedef struct insn {
    uint8_t op, byte;
    uint16_t x, y;         /* I_SET: set; I_JMP: x; I_SPLIT: x, y; I_BOL, I_EOL: x = offset in the pattern */
} insn_t;

struct pat {
    size_t n;
    insn_t *prog;
    set_t *sets;
};

/* ---- parsing --------------------------------------------------------------------------------------- */

typedef struct parser {
    const char *s;
    size_t len, pos;
    node_t *nodes;
    size_t nnodes, capnodes;
    set_t *sets;
    size_t nsets, capsets;
    int rc;
    size_t err_off;
    char *err;
    size_t errlen;
} parser_t;

__attribute__((format(printf, 4, 5))) static int fail(parser_t *p, int rc, size_t off, const char *fmt, ...)
{
    if (p->rc)
        return -1;
    p->rc = rc;
    p->err_off = off;
    if (p->err && p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, p->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Room for one more element in *arr (of *cap), or an error. */
static bool grow(parser_t *p, void **arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 16;
    void *na = realloc(*arr, c * size);
    if (!na)
        return fail(p, PAT_ERR_NOMEM, p->pos, "out of memory"), false;
    *arr = na;
    *cap = c;
    return true;
}

static int new_node(parser_t *p, int type, size_t off)
{
    if (!grow(p, (void **)&p->nodes, p->nnodes, &p->capnodes, sizeof *p->nodes))
        return -1;
    p->nodes[p->nnodes] = (node_t){ .type = (uint8_t)type, .child = -1, .next = -1, .off = off };
    return (int)p->nnodes++;
}

/* "\\x" for messages: the byte itself when printable, else its hex code. */
static const char *show(char buf[8], unsigned char c)
{
    snprintf(buf, 8, isprint(c) ? "%c" : "\\x%02x", c);
    return buf;
}

static const struct { const char *name; int (*is)(int); } classes[] = {
    { "alpha", isalpha }, { "digit", isdigit }, { "alnum", isalnum }, { "upper", isupper },
    { "lower", islower }, { "space", isspace }, { "blank", isblank }, { "punct", ispunct },
    { "print", isprint }, { "graph", isgraph }, { "cntrl", iscntrl }, { "xdigit", isxdigit },
};

static void set_add(set_t *st, unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++)
        st->bits[c >> 3] |= (uint8_t)(1u << (c & 7));
}

/* At p->pos just after '['. */
static int parse_set(parser_t *p, size_t open)
{
    if (!grow(p, (void **)&p->sets, p->nsets, &p->capsets, sizeof *p->sets))
        return -1;
    set_t *st = &p->sets[p->nsets];
    memset(st, 0, sizeof *st);
    const char *s = p->s;
    bool neg = s[p->pos] == '^';
    p->pos += neg;
    size_t first = p->pos;
    for (;;) {
        size_t at = p->pos;
        unsigned char c = (unsigned char)s[at];
        if (at == p->len)
            return fail(p, PAT_ERR_SYNTAX, open, "unbalanced '['");
        if (c == ']' && at > first)
            break;
        if (c == '[' && (s[at + 1] == '=' || s[at + 1] == '.'))
            return fail(p, PAT_ERR_UNSUPPORTED, at, "equivalence classes and collating symbols are not supported");
        if (c == '[' && s[at + 1] == ':') {
            const char *end = strstr(s + at + 2, ":]");
            if (!end)
                return fail(p, PAT_ERR_SYNTAX, at, "unterminated character class '[:'");
            size_t k, nl = (size_t)(end - (s + at + 2));
            for (k = 0; k < sizeof classes / sizeof classes[0]; k++)
                if (strlen(classes[k].name) == nl && !memcmp(classes[k].name, s + at + 2, nl))
                    break;
            if (k == sizeof classes / sizeof classes[0])
                return fail(p, PAT_ERR_SYNTAX, at, "unknown character class '%.*s'", (int)(nl + 4), s + at);
            for (unsigned b = 0; b < 128; b++)          /* ASCII: the C locale's classes */
                if (classes[k].is((int)b))
                    set_add(st, b, b);
            p->pos = (size_t)(end - s) + 2;             /* a '-' after it is caught below */
            continue;
        }
        if (c == '-' && at > first && s[at + 1] != ']')
            return fail(p, PAT_ERR_SYNTAX, at, "'-' must be first or last in a bracket expression");
        unsigned hi = c;
        p->pos++;
        if (s[p->pos] == '-' && s[p->pos + 1] != ']' && p->pos + 1 < p->len) {
            hi = (unsigned char)s[p->pos + 1];
            if (hi == '[' && (s[p->pos + 2] == ':' || s[p->pos + 2] == '=' || s[p->pos + 2] == '.'))
                return fail(p, PAT_ERR_SYNTAX, p->pos + 1, "a range cannot start or end with a class");
            if (hi < c) {
                char b1[8], b2[8];
                return fail(p, PAT_ERR_SYNTAX, at, "invalid range '%s-%s' (end before start)", show(b1, c),
                            show(b2, (unsigned char)hi));
            }
            p->pos += 2;
        }
        set_add(st, c, hi);
    }
    p->pos++;                                           /* the ']' */
    if (neg)
        for (int i = 0; i < 32; i++)
            st->bits[i] = (uint8_t)~st->bits[i];
    int n = new_node(p, N_SET, open);
    if (n >= 0)
        p->nodes[n].set = (uint16_t)p->nsets++;
    return n;
}

static int parse_list(parser_t *p, int type, int depth);

static int parse_atom(parser_t *p, int depth)
{
    size_t at = p->pos;
    unsigned char c = (unsigned char)p->s[at];
    p->pos++;
    switch (c) {
    case '.': return new_node(p, N_ANY, at);
    case '^': return new_node(p, N_BOL, at);
    case '$': return new_node(p, N_EOL, at);
    case '[': return parse_set(p, at);
    case '(': {
        if (depth >= PAT_MAX_DEPTH)
            return fail(p, PAT_ERR_TOO_BIG, at, "nested too deeply (limit %d)", PAT_MAX_DEPTH);
        int n = parse_list(p, N_ALT, depth + 1);
        if (n < 0)
            return -1;
        if (p->s[p->pos] != ')')
            return fail(p, PAT_ERR_SYNTAX, at, "unbalanced '('");
        p->pos++;
        return n;
    }
    case '*': case '+': case '?': case '{':
        return fail(p, PAT_ERR_SYNTAX, at, "nothing to repeat before '%c'", c);
    case '\\': {
        unsigned char e = (unsigned char)p->s[p->pos];
        char b[8];
        if (p->pos == p->len)
            return fail(p, PAT_ERR_SYNTAX, at, "trailing backslash");
        if (e >= '1' && e <= '9')
            return fail(p, PAT_ERR_UNSUPPORTED, at, "back-references are not supported");
        if (!strchr(".[]()|*+?{}^$\\", e))
            return fail(p, PAT_ERR_UNSUPPORTED, at,
                        "unsupported escape '\\%s' (only one of .[]()|*+?{}^$\\ may follow '\\')", show(b, e));
        p->pos++;
        c = e;
    } /* fall through */
    default: {
        int n = new_node(p, N_BYTE, at);
        if (n >= 0)
            p->nodes[n].byte = c;
        return n;
    }
    }
}

static bool read_count(parser_t *p, unsigned *v)
{
    if (!isdigit((unsigned char)p->s[p->pos]))
        return false;
    *v = 0;
    while (isdigit((unsigned char)p->s[p->pos]) && *v <= PAT_MAX_REPEAT)
        *v = *v * 10 + (unsigned)(p->s[p->pos++] - '0');
    while (isdigit((unsigned char)p->s[p->pos]))
        p->pos++;
    return true;
}

/* An atom and the repetitions that follow it; each one wraps the node so far (a** = (a*)*). */
static int parse_repeat(parser_t *p, int depth)
{
    char first = p->s[p->pos];
    int n = parse_atom(p, depth);
    while (n >= 0 && p->s[p->pos] && strchr("*+?{", p->s[p->pos])) {
        size_t at = p->pos++;
        unsigned min = 0, max = REP_INF;
        if (first == '^' || first == '$')                /* (^)* is fine, ^* is not */
            return fail(p, PAT_ERR_SYNTAX, at, "nothing to repeat before '%c'", p->s[at]);
        if (++depth > PAT_MAX_DEPTH)
            return fail(p, PAT_ERR_TOO_BIG, at, "nested too deeply (limit %d)", PAT_MAX_DEPTH);
        if (p->s[at] == '+')
            min = 1;
        else if (p->s[at] == '?')
            max = 1;
        else if (p->s[at] == '{') {
            if (!read_count(p, &min))
                return fail(p, PAT_ERR_SYNTAX, at, "invalid repetition bound after '{' (a literal '{' is written \\{)");
            if (p->s[p->pos] != ',')
                max = min;
            else if (p->pos++, !read_count(p, &max))
                max = REP_INF;
            if (p->s[p->pos] != '}')
                return fail(p, PAT_ERR_SYNTAX, at, "invalid repetition bound: '{' without its '}'");
            p->pos++;
            if ((min > PAT_MAX_REPEAT) || (max != REP_INF && max > PAT_MAX_REPEAT))
                return fail(p, PAT_ERR_TOO_BIG, at, "repetition count over %d", PAT_MAX_REPEAT);
            if (max < min)
                return fail(p, PAT_ERR_SYNTAX, at, "invalid repetition bound: {%u,%u} has max < min", min, max);
        }
        int r = new_node(p, N_REP, at);
        if (r < 0)
            return -1;
        p->nodes[r].child = n;
        p->nodes[r].min = (uint16_t)min;
        p->nodes[r].max = (uint16_t)max;
        n = r;
    }
    return n;
}

/* A node of type `type` over a list of children, or the child itself when there is one. */
static int parse_list(parser_t *p, int type, int depth)
{
    size_t at = p->pos;
    int first = -1, last = -1, count = 0;
    for (;;) {
        char c = p->s[p->pos];
        int n;
        if (type == N_CAT) {
            if (p->pos == p->len || c == '|' || c == ')')
                break;
            n = parse_repeat(p, depth);
        } else {
            n = parse_list(p, N_CAT, depth);
        }
        if (n < 0)
            return -1;
        if (last >= 0)
            p->nodes[last].next = n;
        else
            first = n;
        last = n;
        count++;
        if (type == N_ALT) {
            if (p->s[p->pos] != '|')
                break;
            p->pos++;
        }
    }
    if (count == 1)
        return first;
    int l = new_node(p, count ? type : N_EMPTY, at);
    if (l >= 0)
        p->nodes[l].child = first;
    return l;
}

/* ---- sizing and code -------------------------------------------------------------------------------- */

static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }
static uint64_t sat_mul(uint64_t a, uint64_t b) { return b && a > UINT64_MAX / b ? UINT64_MAX : a * b; }

/* States node n emits; the first place where the running total passes the limit is noted. */
static uint64_t size_of(parser_t *p, int n)
{
    const node_t *x = &p->nodes[n];
    uint64_t s = 0;
    switch (x->type) {
    case N_EMPTY: return 0;
    case N_CAT:
    case N_ALT:
        for (int c = x->child; c >= 0; c = p->nodes[c].next) {
            s = sat_add(s, size_of(p, c));
            if (x->type == N_ALT && p->nodes[c].next >= 0)
                s = sat_add(s, 2);                      /* SPLIT before, JMP after */
            if (s >= PAT_MAX_STATES && !p->err_off)
                p->err_off = p->nodes[c].off + 1;       /* +1: 0 means "not yet" */
        }
        return s;
    case N_REP: {
        uint64_t e = size_of(p, x->child);
        if (x->max == REP_INF)                          /* e..e e+ or SPLIT e JMP */
            s = x->min ? sat_add(sat_mul(x->min, e), 1) : sat_add(e, 2);
        else                                            /* e..e (SPLIT e)..(SPLIT e) */
            s = sat_add(sat_mul(x->min, e), sat_mul((uint64_t)(x->max - x->min), sat_add(e, 1)));
        if (s >= PAT_MAX_STATES && !p->err_off)
            p->err_off = x->off + 1;
        return s;
    }
    default: return 1;
    }
}

static size_t emit(pat_t *r, int op, unsigned x, unsigned y)
{
    r->prog[r->n] = (insn_t){ .op = (uint8_t)op, .x = (uint16_t)x, .y = (uint16_t)y };
    return r->n++;
}

/* Point every instruction of a chain (linked through x, or y when `which`) at the next one. */
static void patch(pat_t *r, unsigned pending, int which)
{
    while (pending != NONE) {
        uint16_t *f = which ? &r->prog[pending].y : &r->prog[pending].x;
        pending = *f;
        *f = (uint16_t)r->n;
    }
}

static void gen(const parser_t *p, pat_t *r, int n)
{
    const node_t *x = &p->nodes[n];
    switch (x->type) {
    case N_EMPTY: return;
    case N_BYTE: r->prog[emit(r, I_BYTE, 0, 0)].byte = x->byte; return;
    case N_ANY: emit(r, I_ANY, 0, 0); return;
    case N_SET: emit(r, I_SET, x->set, 0); return;
    case N_BOL: emit(r, I_BOL, (unsigned)x->off, 0); return;      /* x: where it is, for messages */
    case N_EOL: emit(r, I_EOL, (unsigned)x->off, 0); return;
    case N_CAT:
        for (int c = x->child; c >= 0; c = p->nodes[c].next)
            gen(p, r, c);
        return;
    case N_ALT: {                   /* SPLIT a,b'; a; JMP end; b': SPLIT b,c'; b; JMP end; c'': c */
        unsigned pending = NONE;     /* the JMPs to patch, chained through their x */
        for (int c = x->child; c >= 0; c = p->nodes[c].next) {
            size_t split = p->nodes[c].next >= 0 ? emit(r, I_SPLIT, r->n + 1, 0) : 0;
            gen(p, r, c);
            if (p->nodes[c].next >= 0) {
                pending = (unsigned)emit(r, I_JMP, pending, 0);
                r->prog[split].y = (uint16_t)r->n;
            }
        }
        patch(r, pending, 0);
        return;
    }
    case N_REP: {
        unsigned copies = x->min ? x->min - (x->max == REP_INF) : 0;
        for (unsigned i = 0; i < copies; i++)
            gen(p, r, x->child);
        if (x->max == REP_INF && x->min) {              /* L: e; SPLIT L, next */
            size_t l = r->n;
            gen(p, r, x->child);
            emit(r, I_SPLIT, l, r->n + 1);
        } else if (x->max == REP_INF) {                 /* L: SPLIT L+1, end; e; JMP L */
            size_t l = emit(r, I_SPLIT, r->n + 1, 0);
            gen(p, r, x->child);
            emit(r, I_JMP, l, 0);
            r->prog[l].y = (uint16_t)r->n;
        } else {                                        /* (SPLIT e)..: every SPLIT skips to the end */
            unsigned pending = NONE;                    /* chained through their y */
            for (unsigned i = x->min; i < x->max; i++) {
                pending = (unsigned)emit(r, I_SPLIT, r->n + 1, pending);
                gen(p, r, x->child);
            }
            patch(r, pending, 1);
        }
        return;
    }
    }
}

/* ---- anchors that cannot match --------------------------------------------------------------------- */

static bool consumes(int op) { return op == I_BYTE || op == I_ANY || op == I_SET; }

/* From the state after every byte-reading state (or after every `$`, when from_eol), follow the
 * moves that read nothing; return the first `^` (or byte-reading state) reached and in *origin
 * the state it was reached from, or -1. Each state is visited once: linear in the program. */
static int reach(const pat_t *r, uint16_t *work, uint16_t *from, bool from_eol, uint16_t *origin)
{
    size_t n = 0;
    memset(from, 0xFF, r->n * sizeof *from);            /* NONE: not visited */
    for (size_t i = 0; i + 1 < r->n; i++)
        if ((from_eol ? r->prog[i].op == I_EOL : consumes(r->prog[i].op)) && from[i + 1] == NONE) {
            from[i + 1] = (uint16_t)i;
            work[n++] = (uint16_t)(i + 1);
        }
    while (n) {
        uint16_t pc = work[--n];
        const insn_t *in = &r->prog[pc];
        if (from_eol ? consumes(in->op) : in->op == I_BOL) {
            *origin = from[pc];
            return pc;
        }
        if (consumes(in->op) || in->op == I_MATCH)
            continue;
        uint16_t next[2] = { in->op == I_JMP || in->op == I_SPLIT ? in->x : (uint16_t)(pc + 1), in->y };
        for (int i = 0; i < 1 + (in->op == I_SPLIT); i++)
            if (from[next[i]] == NONE) {
                from[next[i]] = from[pc];
                work[n++] = next[i];
            }
    }
    return -1;
}

/* POSIX (and this matcher) read ^ and $ as the ends of the text, so a `^` that may come after a
 * byte, or a `$` that a byte may follow, never matches there. glibc's regexec (REG_NOSUB, no
 * REG_NEWLINE) does match them next to a newline the pattern itself reads: `\n^b` and `.^b`
 * match "a\nb" while `^b` does not; `a$.` matches it while `a$` does not. Rather than keep that
 * or silently drop it, such anchors are refused with a hint. */
static void check_anchors(parser_t *p, const pat_t *r)
{
    uint16_t *work = malloc(r->n * sizeof *work), *from = malloc(r->n * sizeof *from), origin;
    int at;
    if (!work || !from)
        fail(p, PAT_ERR_NOMEM, 0, "out of memory");
    else if ((at = reach(r, work, from, false, &origin)) >= 0)
        fail(p, PAT_ERR_UNSUPPORTED, r->prog[at].x, "'^' after a byte never matches: it is the start of the whole "
             "console, not of a line (for a line start write (^|\\n))");
    else if (reach(r, work, from, true, &origin) >= 0)
        fail(p, PAT_ERR_UNSUPPORTED, r->prog[origin].x, "'$' before a byte never matches: it is the end of the whole "
             "console, not of a line (for a line end write ($|\\n))");
    free(work);
    free(from);
}

/* ---- the API ---------------------------------------------------------------------------------------- */

const char *pat_strerror(int err)
{
    switch (err) {
    case PAT_OK: return "ok";
    case PAT_ERR_SYNTAX: return "invalid pattern";
    case PAT_ERR_UNSUPPORTED: return "unsupported pattern syntax";
    case PAT_ERR_TOO_BIG: return "pattern too large";
    case PAT_ERR_NOMEM: return "out of memory";
    default: return "unknown error";
    }
}

int pat_compile(const char *src, pat_t **out, size_t *err_off, char *err, size_t errlen)
{
    parser_t p = { .s = src, .err = err, .errlen = errlen };
    pat_t *r = NULL;
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!src) {
        fail(&p, PAT_ERR_SYNTAX, 0, "no pattern");
        goto done;
    }
    p.len = strnlen(src, PAT_MAX_LEN + 1);
    if (p.len > PAT_MAX_LEN) {
        fail(&p, PAT_ERR_TOO_BIG, PAT_MAX_LEN, "pattern too long: over %d bytes", PAT_MAX_LEN);
        goto done;
    }
    int root = parse_list(&p, N_ALT, 0);
    if (root >= 0 && p.pos < p.len)                     /* it stops only at a stray ')' */
        fail(&p, PAT_ERR_SYNTAX, p.pos, "unbalanced ')'");
    if (p.rc)
        goto done;
    uint64_t states = sat_add(size_of(&p, root), 1);    /* + MATCH */
    if (states > PAT_MAX_STATES) {
        size_t off = p.err_off ? p.err_off - 1 : p.len;
        p.err_off = 0;
        char num[24] = "over 10^19";                    /* saturated */
        if (states < UINT64_MAX)
            snprintf(num, sizeof num, "%llu", (unsigned long long)states);
        fail(&p, PAT_ERR_TOO_BIG, off, "pattern too large: expands to %s states (limit %d)", num, PAT_MAX_STATES);
        goto done;
    }
    r = calloc(1, sizeof *r);
    if (!r || !(r->prog = malloc((size_t)states * sizeof *r->prog))) {
        fail(&p, PAT_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    gen(&p, r, root);
    emit(r, I_MATCH, 0, 0);
    assert(r->n == states);                             /* size_of and gen agree */
    check_anchors(&p, r);
    if (p.rc)
        goto done;
    r->sets = p.sets;                                   /* the program refers to them by index */
    p.sets = NULL;
    *out = r;
    r = NULL;
done:
    pat_free(r);
    free(p.nodes);
    free(p.sets);
    if (err_off)
        *err_off = p.rc ? p.err_off : 0;
    return p.rc;
}

size_t pat_states(const pat_t *p) { return p->n; }

void pat_free(pat_t *p)
{
    if (!p)
        return;
    free(p->prog);
    free(p->sets);
    free(p);
}

/* ---- matching --------------------------------------------------------------------------------------- */

/* At each position: enter the states on stack[0, sp) (each marked with gen), follow the moves
 * that read nothing (^ holds at 0, $ at len), list the states that read a byte, and push the
 * successors of those that accept this position's byte for the next. */
#define PUSH(pc) do { uint16_t pc_ = (pc); if (mark[pc_] != gen) { mark[pc_] = gen; stack[sp++] = pc_; } } while (0)

bool pat_search(const pat_t *p, const char *text, size_t len)
{
    uint32_t mark[PAT_MAX_STATES] = { 0 }, gen = 1;     /* == gen: entered at this position */
    uint16_t stack[PAT_MAX_STATES], list[PAT_MAX_STATES];
    size_t sp = 0;
    for (size_t pos = 0;; pos++) {
        size_t n = 0;
        PUSH(0);                                        /* a match may start at every position */
        while (sp) {
            uint16_t pc = stack[--sp];
            const insn_t *in = &p->prog[pc];
            switch (in->op) {
            case I_JMP: PUSH(in->x); break;
            case I_SPLIT: PUSH(in->y); PUSH(in->x); break;
            case I_BOL: if (pos == 0) PUSH(pc + 1); break;
            case I_EOL: if (pos == len) PUSH(pc + 1); break;
            case I_MATCH: return true;
            default: list[n++] = pc; break;
            }
        }
        if (pos == len)
            return false;
        if (++gen == 0) {                               /* after 2^32 positions */
            memset(mark, 0, sizeof mark);
            gen = 1;
        }
        unsigned char c = (unsigned char)text[pos];
        for (size_t i = 0; i < n; i++) {
            const insn_t *in = &p->prog[list[i]];
            if ((in->op == I_BYTE && in->byte == c) || in->op == I_ANY ||
                (in->op == I_SET && (p->sets[in->x].bits[c >> 3] >> (c & 7) & 1)))
                PUSH(list[i] + 1);
        }
    }
}
