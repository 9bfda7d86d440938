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
#include "scenario/scenario.h"

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
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

#define SCN_MAX_FILE (1u << 20)       /* bytes: a scenario is a few KiB */
#define SCN_MAX_NESTING 64            /* YAML collections inside collections */
#define SCN_NAME_MAX 64
#define SCN_DEFAULT_TIMEOUT_NS (20ull * 1000000000ull)
#define SCN_DEFAULT_OFF_NS (100ull * 1000000ull)

/* ---- names ------------------------------------------------------------------------------- */

static const char *const region_names[] = {
    [SCN_REGION_NONE] = "flash",
    [SCN_REGION_BOOTLOADER] = "bootloader",
    [SCN_REGION_ACTIVE_HEADER] = "active-header",
    [SCN_REGION_ACTIVE_APP] = "active-app",
    [SCN_REGION_KVSTORE] = "kvstore",
    [SCN_REGION_CANDIDATE_HEADER] = "candidate-header",
    [SCN_REGION_CANDIDATE_PAYLOAD] = "candidate-payload",
    [SCN_REGION_ACTIVE] = "active",
    [SCN_REGION_CANDIDATE] = "candidate",
};
#define NREGIONS (sizeof region_names / sizeof region_names[0])

static const char *const cut_mode_names[] = { "before", "after", "torn" };
static const char *const step_names[] = { "boot", "run", "power_loss", "reset", "corrupt", "stage", "repeat",
                                          "publish", "notify", "server" };
static const char *const field_names[] = {
    [SCN_FIELD_NONE] = "?", [SCN_FIELD_MAGIC] = "magic", [SCN_FIELD_HEADER_VERSION] = "header_version",
    [SCN_FIELD_VERSION] = "version", [SCN_FIELD_SIZE] = "size", [SCN_FIELD_DIGEST] = "digest",
    [SCN_FIELD_CRC] = "crc", [SCN_FIELD_SIGNATURE_SIZE] = "signature_size", [SCN_FIELD_CAMPAIGN] = "campaign",
};
static const char *const op_filter_names[] = { "any", "erase", "program" };
static const char *const hdr_state_names[] = { "any", "valid", "invalid", "erased" };

#define NAME_OF(table, v) ((unsigned)(v) < sizeof table / sizeof table[0] ? table[v] : "?")

const char *scn_region_name(scn_region_t r) { return NAME_OF(region_names, r); }
const char *scn_cut_mode_name(scn_cut_mode_t m) { return NAME_OF(cut_mode_names, m); }
const char *scn_step_kind_name(scn_step_kind_t k) { return NAME_OF(step_names, k); }
const char *scn_field_name(scn_field_t f) { return NAME_OF(field_names, f); }
const char *scn_op_filter_name(scn_op_filter_t k) { return NAME_OF(op_filter_names, k); }
const char *scn_hdr_state_name(scn_hdr_state_t s) { return NAME_OF(hdr_state_names, s); }

/* ---- the YAML tree ------------------------------------------------------------------------ */

typedef enum yn_type { YN_SCALAR = 0, YN_SEQ, YN_MAP } yn_type_t;

typedef struct ynode ynode_t;
struct ynode {
    yn_type_t type;
    int line, col;                /* 1-based start */
    char *str; size_t len;        /* scalar text (NUL-terminated; may contain NULs) */
    bool quoted;                  /* scalar written with quotes or as a block scalar */
    ynode_t **kid; size_t n, cap; /* sequence items; mapping: key, value, key, value ... */
};

static void yn_free(ynode_t *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        yn_free(n->kid[i]);       /* depth <= SCN_MAX_NESTING */
    free(n->kid);
    free(n->str);
    free(n);
}

/* ---- loader context and errors -------------------------------------------------------------- */

typedef struct ctx {
    const char *path;
    char *err; size_t errlen;
    int rc;                       /* first error (SCN_OK while none) */
    scenario_t *s;
    fw_layout_t l;
} ctx_t;

static int verr(ctx_t *c, int rc, int line, int col, const char *fmt, va_list ap)
{
    if (c->rc)
        return c->rc;             /* the first error wins */
    c->rc = rc;
    if (c->err && c->errlen) {
        int n = snprintf(c->err, c->errlen, "%s:%d:%d: ", c->path, line, col);
        if (n >= 0 && (size_t)n < c->errlen)
            vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    }
    return rc;
}

static int err_at(ctx_t *c, const ynode_t *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int err_at(ctx_t *c, const ynode_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verr(c, SCN_ERR_SCHEMA, at ? at->line : 1, at ? at->col : 1, fmt, ap);
    va_end(ap);
    return rc;
}

static int err_pos(ctx_t *c, int rc, int line, int col, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int err_pos(ctx_t *c, int rc, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rc = verr(c, rc, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

static int nomem(ctx_t *c)
{
    return err_pos(c, SCN_ERR_NOMEM, 1, 1, "out of memory");
}

/* A scalar's text for messages: printable, at most ~60 characters. */
static const char *shown(const ynode_t *n, char buf[80])
{
    size_t o = 0;
    for (size_t i = 0; i < n->len && o < 60; i++) {
        unsigned char ch = (unsigned char)n->str[i];
        buf[o++] = (ch >= 0x20 && ch < 0x7f) || ch >= 0x80 ? (char)ch : '?';
    }
    if (o < n->len)
        buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
    buf[o] = 0;
    return buf;
}

/* "a mapping", "a sequence", "'text'" */
static const char *kind_of(const ynode_t *n, char buf[96])
{
    if (n->type == YN_MAP)
        return "a mapping";
    if (n->type == YN_SEQ)
        return "a sequence";
    char t[80];
    snprintf(buf, 96, "'%s'", shown(n, t));
    return buf;
}

/* ---- pass 1: events -> tree ------------------------------------------------------------------ */

static ynode_t *yn_new(yn_type_t type, yaml_mark_t m)
{
    ynode_t *n = calloc(1, sizeof *n);
    if (n) {
        n->type = type;
        n->line = (int)(m.line < 0x7fffffff ? m.line + 1 : 0x7fffffff);
        n->col = (int)(m.column < 0x7fffffff ? m.column + 1 : 0x7fffffff);
    }
    return n;
}

static int yn_add(ynode_t *parent, ynode_t *kid)
{
    if (parent->n == parent->cap) {
        size_t nc = parent->cap ? parent->cap * 2 : 8;
        ynode_t **nk = realloc(parent->kid, nc * sizeof *nk);
        if (!nk)
            return -1;
        parent->kid = nk;
        parent->cap = nc;
    }
    parent->kid[parent->n++] = kid;
    return 0;
}

/* Line and column of a byte offset (reader errors carry only the offset). */
static void offset_pos(const unsigned char *buf, size_t len, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            ++*line;
            *col = 1;
        } else if ((buf[i] & 0xC0) != 0x80) {
            ++*col;
        }
    }
}

static int syntax_error(ctx_t *c, yaml_parser_t *p, const unsigned char *buf, size_t len)
{
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_MEMORY_ERROR)
        return nomem(c);
    if (p->error == YAML_READER_ERROR) {
        int line, col;
        offset_pos(buf, len, p->problem_offset, &line, &col);
        return err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML syntax error: %s (byte 0x%02x at offset %zu)", problem,
                       p->problem_offset < len ? buf[p->problem_offset] : 0, p->problem_offset);
    }
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    if (p->context)
        return err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML syntax error: %s (%s at line %d, column %d)", problem,
                       p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML syntax error: %s", problem);
}

static int build_tree(ctx_t *c, const unsigned char *buf, size_t len, ynode_t **root)
{
    yaml_parser_t p;
    ynode_t *stack[SCN_MAX_NESTING];
    int depth = 0, docs = 0;
    ynode_t *top = NULL;
    bool done = false;
    *root = NULL;
    if (!yaml_parser_initialize(&p))
        return nomem(c);
    yaml_parser_set_input_string(&p, buf, len);
    while (!done && !c->rc) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            syntax_error(c, &p, buf, len);
            break;
        }
        yaml_mark_t m = ev.start_mark;
        int line = (int)m.line + 1, col = (int)m.column + 1;
        ynode_t *node = NULL;
        bool tagged = false;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (docs++)
                err_pos(c, SCN_ERR_SYNTAX, line, col, "a second YAML document: a scenario file holds one "
                        "document (remove the '---' or split the file)");
            break;
        case YAML_ALIAS_EVENT:
            err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML aliases (*%.40s) are not supported: write the value out",
                    ev.data.alias.anchor ? (const char *)ev.data.alias.anchor : "");
            break;
        case YAML_SCALAR_EVENT:
            tagged = ev.data.scalar.tag != NULL;
            node = yn_new(YN_SCALAR, m);
            if (node) {
                node->str = malloc(ev.data.scalar.length + 1);
                if (node->str) {
                    memcpy(node->str, ev.data.scalar.value, ev.data.scalar.length);
                    node->str[ev.data.scalar.length] = 0;
                    node->len = ev.data.scalar.length;
                    node->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
                } else {
                    free(node);
                    node = NULL;
                }
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
            tagged = ev.data.sequence_start.tag != NULL;
            node = yn_new(YN_SEQ, m);
            break;
        case YAML_MAPPING_START_EVENT:
            tagged = ev.data.mapping_start.tag != NULL;
            node = yn_new(YN_MAP, m);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
        bool opens = ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT;
        bool makes = opens || ev.type == YAML_SCALAR_EVENT;
        yaml_event_delete(&ev);
        if (!makes)
            continue;
        if (c->rc) {
            yn_free(node);
            break;
        }
        if (!node) {
            nomem(c);
            break;
        }
        if (depth == 0 ? (top != NULL) : yn_add(stack[depth - 1], node) != 0) {
            yn_free(node);
            if (depth == 0)
                err_pos(c, SCN_ERR_SYNTAX, line, col, "unexpected second root node");
            else
                nomem(c);
            break;
        }
        if (depth == 0)
            top = node;
        if (tagged) {
            err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML tags (!...) are not supported: remove the tag");
            break;
        }
        if (opens) {
            if (depth == SCN_MAX_NESTING) {
                err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML nested deeper than %d levels", SCN_MAX_NESTING);
                break;
            }
            stack[depth++] = node;
        }
    }
    yaml_parser_delete(&p);
    if (c->rc) {
        yn_free(top);
        return c->rc;
    }
    *root = top;
    return SCN_OK;
}

/* ---- pass 2: schema helpers ------------------------------------------------------------------ */

static bool is_null(const ynode_t *n)
{
    if (n->type != YN_SCALAR || n->quoted)
        return false;
    return n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
           !strcmp(n->str, "NULL");
}

static bool str_is(const ynode_t *n, const char *s)
{
    return n->type == YN_SCALAR && n->len == strlen(s) && !memcmp(n->str, s, n->len);
}

static scn_pos_t pos_of(const ynode_t *n)
{
    return (scn_pos_t){ n->line, n->col };
}

static void join(char *out, size_t n, const char *const *names, size_t count, const char *sep)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < count && o < n; i++) {
        int w = snprintf(out + o, n - o, "%s%s", i ? sep : "", names[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

static size_t count_names(const char *const *names)
{
    size_t n = 0;
    while (names[n])
        n++;
    return n;
}

/* The key that introduces a value: for messages. */
#define KEY(k) ((k) ? (k)->str : "value")

static int want_map(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    char b[96];
    if (v->type == YN_MAP)
        return 0;
    if (is_null(v))
        return err_at(c, v, "'%s' has no value (expected a mapping)", KEY(k));
    return err_at(c, v, "'%s' must be a mapping (got %s)", KEY(k), kind_of(v, b));
}

static int want_seq(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    char b[96];
    if (v->type == YN_SEQ)
        return 0;
    if (is_null(v))
        return err_at(c, v, "'%s' has no value (expected a sequence)", KEY(k));
    return err_at(c, v, "'%s' must be a sequence (got %s)", KEY(k), kind_of(v, b));
}

/* A mapping whose keys are all in `keys` (NULL-terminated), each at most once. `what` names the
 * mapping in messages (NULL: the top level). */
static int check_map(ctx_t *c, const ynode_t *k, const ynode_t *map, const char *what, const char *const *keys)
{
    if (want_map(c, k, map))
        return c->rc;
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const ynode_t *key = map->kid[i];
        char b[96], list[512];
        if (key->type != YN_SCALAR)
            return err_at(c, key, "a key must be a plain word (got %s)", kind_of(key, b));
        size_t j;
        for (j = 0; keys[j]; j++)
            if (str_is(key, keys[j]))
                break;
        if (!keys[j]) {
            char t[80];
            join(list, sizeof list, keys, count_names(keys), ", ");
            if (what)
                return err_at(c, key, "unknown key '%s' in '%s' (expected one of: %s)", shown(key, t), what, list);
            return err_at(c, key, "unknown key '%s' at the top level (expected one of: %s)", shown(key, t), list);
        }
        for (size_t p = 0; p < i; p += 2) {
            const ynode_t *first = map->kid[p];
            if (!str_is(first, keys[j]))
                continue;
            if (what)
                return err_at(c, key, "duplicate key '%s' in '%s' (first at line %d, column %d)", keys[j], what,
                              first->line, first->col);
            return err_at(c, key, "duplicate key '%s' at the top level (first at line %d, column %d)", keys[j],
                          first->line, first->col);
        }
    }
    return 0;
}

/* The value of `key` in a checked mapping (NULL if absent); *kn receives the key node. */
static const ynode_t *get(const ynode_t *map, const char *key, const ynode_t **kn)
{
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (str_is(map->kid[i], key)) {
            if (kn)
                *kn = map->kid[i];
            return map->kid[i + 1];
        }
    if (kn)
        *kn = NULL;
    return NULL;
}

static int missing(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, const char *key)
{
    return err_at(c, k ? k : v, "missing key '%s' in '%s'", key, what);
}

static int want_scalar(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *expected)
{
    char b[96];
    if (v->type != YN_SCALAR)
        return err_at(c, v, "'%s' must be %s (got %s)", KEY(k), expected, kind_of(v, b));
    if (is_null(v))
        return err_at(c, v, "'%s' has no value (expected %s)", KEY(k), expected);
    return 0;
}

/* A non-empty string without NUL bytes (malloc'd). */
static int get_str(ctx_t *c, const ynode_t *k, const ynode_t *v, char **out)
{
    if (want_scalar(c, k, v, "a string"))
        return c->rc;
    if (memchr(v->str, 0, v->len))
        return err_at(c, v, "'%s' contains a NUL character", KEY(k));
    *out = strdup(v->str);
    return *out ? 0 : nomem(c);
}

/* Decimal (no leading zeros) or 0x hex. 0 ok, -1 not a number, -2 out of uint64 range. */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -1;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        for (size_t i = 2; i < len; i++) {
            char ch = s[i];
            unsigned d = ch >= '0' && ch <= '9' ? (unsigned)(ch - '0')
                       : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
                       : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10) : 16u;
            if (d > 15)
                return -1;
            if (v >> 60)
                return -2;
            v = (v << 4) | d;
        }
        *out = v;
        return 0;
    }
    if (len > 1 && s[0] == '0')
        return -1;                                /* 010: octal in YAML 1.1; refuse to guess */
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int number_error(ctx_t *c, const ynode_t *k, const ynode_t *v, int why, uint64_t max, const char *what)
{
    char t[80];
    if (why == -2)
        return err_at(c, v, "'%s': %s is out of range (at most %" PRIu64 ")", KEY(k), shown(v, t), max);
    return err_at(c, v, "'%s': '%s' is not %s", KEY(k), shown(v, t), what);
}

/* An unsigned number in [min, max]. */
static int get_num(ctx_t *c, const ynode_t *k, const ynode_t *v, uint64_t min, uint64_t max, uint64_t *out)
{
    if (want_scalar(c, k, v, "a number"))
        return c->rc;
    char t[80];
    if (v->quoted)
        return err_at(c, v, "'%s' must be a number, not a quoted string (write %s without quotes)", KEY(k),
                      shown(v, t));
    uint64_t x = 0;
    int r = parse_u64(v->str, v->len, &x);
    if (r == 0 && x > max)
        r = -2;
    if (r)
        return number_error(c, k, v, r, max, "a number (decimal without leading zeros, or 0x hex)");
    if (x < min)
        return err_at(c, v, "'%s' must be at least %" PRIu64 " (got %" PRIu64 ")", KEY(k), min, x);
    *out = x;
    return 0;
}

static int get_u32(ctx_t *c, const ynode_t *k, const ynode_t *v, uint32_t min, uint32_t *out)
{
    uint64_t x = 0;
    if (get_num(c, k, v, min, UINT32_MAX, &x))
        return c->rc;
    *out = (uint32_t)x;
    return 0;
}

/* A size: a number, optionally followed by KiB or MiB ("4KiB", "4 KiB", "0x1000"). */
static int get_size(ctx_t *c, const ynode_t *k, const ynode_t *v, uint64_t min, uint64_t max, uint64_t *out)
{
    if (want_scalar(c, k, v, "a size"))
        return c->rc;
    char t[80];
    if (v->quoted)
        return err_at(c, v, "'%s' must be a size, not a quoted string (write %s without quotes)", KEY(k),
                      shown(v, t));
    size_t n = v->len;
    unsigned shift = 0;
    if (n > 3 && !memcmp(v->str + n - 3, "KiB", 3))
        shift = 10, n -= 3;
    else if (n > 3 && !memcmp(v->str + n - 3, "MiB", 3))
        shift = 20, n -= 3;
    while (shift && n > 0 && v->str[n - 1] == ' ')
        n--;
    uint64_t x = 0;
    int r = parse_u64(v->str, n, &x);
    if (r == 0 && shift && x > (UINT64_MAX >> shift))
        r = -2;
    if (r == 0)
        x <<= shift;
    if (r == 0 && x > max)
        r = -2;
    if (r)
        return number_error(c, k, v, r, max, "a size (examples: 4096, 0x1000, 4KiB)");
    if (x < min)
        return err_at(c, v, "'%s' must be at least %" PRIu64 " (got %" PRIu64 ")", KEY(k), min, x);
    *out = x;
    return 0;
}

/* A duration with a unit: "100ms", "2s", "1.5 s", "50us", "800ns". Result in ns, > 0. */
static int get_dur(ctx_t *c, const ynode_t *k, const ynode_t *v, uint64_t *out)
{
    static const struct { const char *u; uint64_t ns; unsigned digits; } units[] = {
        { "ns", 1, 0 }, { "us", 1000, 3 }, { "ms", 1000000, 6 }, { "s", 1000000000, 9 },
    };
    if (want_scalar(c, k, v, "a duration"))
        return c->rc;
    char t[80];
    const char *s = v->str;
    size_t n = v->len, i = 0;
    uint64_t whole = 0, frac = 0;
    unsigned nfrac = 0;
    bool ok = true, any = false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = true) {
        if (whole > (UINT64_MAX - 9) / 10)
            ok = false;
        whole = whole * 10 + (uint64_t)(s[i] - '0');
    }
    size_t fstart = i;
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = true)
            if (nfrac < 18)
                frac = frac * 10 + (uint64_t)(s[i] - '0'), nfrac++;
            else if (s[i] != '0')
                nfrac = 99;                       /* more precision than a nanosecond */
        if (i == fstart + 1)
            any = false;
    }
    while (i < n && s[i] == ' ')
        i++;
    if (any && !ok)
        return err_at(c, v, "'%s': '%s' is too long (at most about 584 years)", KEY(k), shown(v, t));
    if (!any)
        goto bad;
    if (i == n)
        return err_at(c, v, "'%s': '%s' is not a duration: a unit is required (examples: 100ms, 2s, 50us)", KEY(k),
                      shown(v, t));
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        if (n - i != strlen(units[u].u) || memcmp(s + i, units[u].u, n - i))
            continue;
        if (nfrac > units[u].digits) {
            /* allowed only when the extra digits are zeros */
            uint64_t drop = 1;
            for (unsigned d = units[u].digits; d < nfrac && d < 18; d++)
                drop *= 10;
            if (nfrac > 18 || frac % drop)
                return err_at(c, v, "'%s': '%s' is finer than a nanosecond", KEY(k), shown(v, t));
            frac /= drop;
            nfrac = units[u].digits;
        }
        uint64_t scale = units[u].ns;
        for (unsigned d = nfrac; d < units[u].digits; d++)
            frac *= 10;
        if (whole > (UINT64_MAX - frac) / scale)
            return err_at(c, v, "'%s': '%s' is too long (at most about 584 years)", KEY(k), shown(v, t));
        uint64_t ns = whole * scale + (units[u].digits ? frac : 0);
        if (ns == 0)
            return err_at(c, v, "'%s' must be longer than 0", KEY(k));
        *out = ns;
        return 0;
    }
bad:
    return err_at(c, v, "'%s': '%s' is not a duration (examples: 100ms, 2s, 50us)", KEY(k), shown(v, t));
}

static int get_bool(ctx_t *c, const ynode_t *k, const ynode_t *v, bool *out)
{
    if (want_scalar(c, k, v, "true or false"))
        return c->rc;
    char t[80];
    if (!v->quoted && str_is(v, "true"))
        *out = true;
    else if (!v->quoted && str_is(v, "false"))
        *out = false;
    else
        return err_at(c, v, "'%s' must be true or false (got '%s')", KEY(k), shown(v, t));
    return 0;
}

/* One of `names` (NULL-terminated); *out = its index. */
static int get_enum(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *const *names, int *out)
{
    char list[256], t[80];
    join(list, sizeof list, names, count_names(names), ", ");
    if (v->type != YN_SCALAR || is_null(v)) {
        char b[96];
        if (is_null(v) && v->type == YN_SCALAR)
            return err_at(c, v, "'%s' has no value (expected one of %s)", KEY(k), list);
        return err_at(c, v, "'%s' must be one of %s (got %s)", KEY(k), list, kind_of(v, b));
    }
    for (int i = 0; names[i]; i++)
        if (str_is(v, names[i])) {
            *out = i;
            return 0;
        }
    return err_at(c, v, "'%s' must be one of %s (got '%s')", KEY(k), list, shown(v, t));
}

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* Exactly 2*n hex digits. */
static int get_hex_fixed(ctx_t *c, const ynode_t *k, const ynode_t *v, uint8_t *out, size_t n, const char *what)
{
    if (want_scalar(c, k, v, what))
        return c->rc;
    bool hex = v->len == 2 * n;
    for (size_t i = 0; hex && i < v->len; i++)
        hex = hexval(v->str[i]) >= 0;
    if (!hex) {
        char t[80];
        return err_at(c, v, "'%s' must be %zu hex digits (%s), got '%s' (%zu characters)", KEY(k), 2 * n, what,
                      shown(v, t), v->len);
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(hexval(v->str[2 * i]) << 4 | hexval(v->str[2 * i + 1]));
    return 0;
}

/* Hex bytes, optionally separated by spaces: "de ad be ef", "deadbeef". */
static int get_hex_bytes(ctx_t *c, const ynode_t *k, const ynode_t *v, size_t max, uint8_t **out, size_t *nout)
{
    if (want_scalar(c, k, v, "hex bytes"))
        return c->rc;
    size_t digits = 0;
    for (size_t i = 0; i < v->len; i++) {
        char ch = v->str[i];
        if (ch == ' ' || ch == '\t' || ch == '\n')
            continue;
        if (hexval(ch) < 0) {
            char t[80];
            return err_at(c, v, "'%s': '%s' is not hex bytes (examples: \"de ad be ef\", \"deadbeef\"): "
                          "character %zu is not a hex digit", KEY(k), shown(v, t), i + 1);
        }
        digits++;
    }
    if (digits == 0 || digits % 2)
        return err_at(c, v, "'%s' must be whole bytes of hex (got %zu hex digit%s)", KEY(k), digits,
                      digits == 1 ? "" : "s");
    if (digits / 2 > max)
        return err_at(c, v, "'%s': %zu bytes do not fit (at most %zu here)", KEY(k), digits / 2, max);
    uint8_t *b = malloc(digits / 2);
    if (!b)
        return nomem(c);
    size_t o = 0;
    int hi = -1;
    for (size_t i = 0; i < v->len; i++) {
        int d = hexval(v->str[i]);
        if (d < 0)
            continue;
        if (hi < 0) {
            hi = d;
        } else {
            b[o++] = (uint8_t)(hi << 4 | d);
            hi = -1;
        }
    }
    *out = b;
    *nout = o;
    return 0;
}

/* A mapping with exactly one key out of `kinds`: *which = its index, *kk / *kv = key, value. */
static int one_of_keys(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, const char *const *kinds,
                       int *which, const ynode_t **kk, const ynode_t **kv)
{
    if (check_map(c, k, v, what, kinds))
        return c->rc;
    char list[256];
    join(list, sizeof list, kinds, count_names(kinds), ", ");
    if (v->n != 2) {
        if (v->n == 0)
            return err_at(c, v, "'%s' needs one of: %s", what, list);
        return err_at(c, v->kid[2], "'%s' takes exactly one of %s (found '%s' and '%s')", what, list,
                      v->kid[0]->str, v->kid[2]->str);
    }
    for (int i = 0; kinds[i]; i++)
        if (str_is(v->kid[0], kinds[i]))
            *which = i;
    *kk = v->kid[0];
    *kv = v->kid[1];
    return 0;
}

static const char *const region_keys[] = { "bootloader", "active-header", "active-app", "kvstore",
                                            "candidate-header", "candidate-payload", "active", "candidate", NULL };

static int get_region(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_region_t *out)
{
    int i = 0;
    if (get_enum(c, k, v, region_keys, &i))
        return c->rc;
    *out = (scn_region_t)(i + 1);
    return 0;
}

void scn_region_range(const fw_layout_t *l, scn_region_t r, uint32_t *a, uint32_t *b)
{
    uint32_t pay = l->candidate_start + l->candidate_payload_offset;
    switch (r) {
    case SCN_REGION_BOOTLOADER: *a = l->bootloader_start; *b = l->bootloader_start + l->bootloader_size; return;
    case SCN_REGION_ACTIVE_HEADER: *a = l->active_header; *b = l->app_start; return;
    case SCN_REGION_ACTIVE_APP: *a = l->app_start; *b = l->app_start + l->app_max_size; return;
    case SCN_REGION_KVSTORE: *a = l->kvstore_start; *b = l->kvstore_start + l->kvstore_size; return;
    case SCN_REGION_CANDIDATE_HEADER: *a = l->candidate_start; *b = pay; return;
    case SCN_REGION_CANDIDATE_PAYLOAD: *a = pay; *b = l->candidate_start + l->candidate_size; return;
    case SCN_REGION_ACTIVE: *a = l->active_header; *b = l->app_start + l->app_max_size; return;
    case SCN_REGION_CANDIDATE: *a = l->candidate_start; *b = l->candidate_start + l->candidate_size; return;
    default: *a = l->flash_base; *b = l->flash_base + l->flash_size; return;
    }
}

/* A bundled application by name (the images a slot or stage may hold). */
static const bundled_image_t *find_app(const char *name)
{
    const bundled_image_t *b = bundled_find(name);
    return b && b->kind == BUNDLED_APP ? b : NULL;
}

static void app_list(char *out, size_t n)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < bundled_count() && o < n; i++) {
        const bundled_image_t *b = bundled_get(i);
        if (b && b->kind == BUNDLED_APP) {
            int w = snprintf(out + o, n - o, "%s%s", o ? ", " : "", b->name);
            if (w < 0)
                break;
            o += (size_t)w;
        }
    }
}

static int get_app_image(ctx_t *c, const ynode_t *k, const ynode_t *v, char **out, const bundled_image_t **img)
{
    if (get_str(c, k, v, out))
        return c->rc;
    *img = find_app(*out);
    if (!*img) {
        char list[256], t[80];
        app_list(list, sizeof list);
        return err_at(c, v, "'%s': no bundled application '%s' (bundled: %s; use 'file' for your own)", KEY(k),
                      shown(v, t), list);
    }
    return 0;
}

/* ---- device ------------------------------------------------------------------------------------ */

static int parse_device(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    static const char *const keys[] = { "seed", "ram_fill", "watchdog", "unmapped", "flash", "bootloader", NULL };
    static const char *const fkeys[] = { "program_time", "erase_sector_time", "erase_block_time", "on_reprogram",
                                         "sector_size", "program_unit", NULL };
    static const char *const ram_fill[] = { "zero", "random", "retain", NULL };
    static const char *const unmapped[] = { "raz", "fault", NULL };
    static const char *const reprogram[] = { "and", "corrupt", NULL };
    scn_device_t *d = &c->s->device;
    const ynode_t *kn, *x;
    d->pos = pos_of(k);
    if (check_map(c, k, v, "device", keys))
        return c->rc;
    if ((x = get(v, "seed", &kn)) && get_num(c, kn, x, 0, UINT64_MAX, &d->seed) == 0)
        d->has_seed = true;
    int e = 0;
    if ((x = get(v, "ram_fill", &kn)) && get_enum(c, kn, x, ram_fill, &e) == 0)
        d->ram_fill = e == 0 ? EMU_RAM_ZERO : e == 1 ? EMU_RAM_RANDOM : EMU_RAM_RETAIN;
    bool b = false;
    if ((x = get(v, "watchdog", &kn)) && get_bool(c, kn, x, &b) == 0)
        d->watchdog = b;
    if ((x = get(v, "unmapped", &kn)) && get_enum(c, kn, x, unmapped, &e) == 0)
        d->unmapped = e == 0 ? EMU_UNMAPPED_RAZ_WI : EMU_UNMAPPED_BUSFAULT;
    if ((x = get(v, "bootloader", &kn)) && get_str(c, kn, x, &d->bootloader) == 0 &&
        !strncmp(d->bootloader, "bundled:", 8)) {
        const char *variant = d->bootloader + 8;
        if (!*variant || !bundled_find_bootloader(variant) || !strcmp(variant, "bootloader")) {
            char list[512] = "";
            size_t o = 0;
            for (size_t i = 0; i < bundled_count() && o < sizeof list; i++) {
                const bundled_image_t *bi = bundled_get(i);
                if (bi && bi->kind == BUNDLED_BOOTLOADER && bi->variant) {
                    int w = snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", bi->variant);
                    if (w < 0)
                        break;
                    o += (size_t)w;
                }
            }
            char t[80];
            return err_at(c, x, "'bootloader': no bundled variant '%s' (expected bundled, a file, or bundled:<variant> "
                          "with one of: %s)", shown(x, t), list);
        }
    }
    const ynode_t *fk, *f = get(v, "flash", &fk);
    if (!f || c->rc)
        return c->rc;
    if (check_map(c, fk, f, "flash", fkeys))
        return c->rc;
    if ((x = get(f, "program_time", &kn)))
        get_dur(c, kn, x, &d->program_time_ns);
    if ((x = get(f, "erase_sector_time", &kn)))
        get_dur(c, kn, x, &d->erase_sector_time_ns);
    if ((x = get(f, "erase_block_time", &kn)))
        get_dur(c, kn, x, &d->erase_block_time_ns);
    if ((x = get(f, "on_reprogram", &kn)) && get_enum(c, kn, x, reprogram, &e) == 0)
        d->on_reprogram = e == 0 ? FLASH_REPROGRAM_AND : FLASH_REPROGRAM_CORRUPT;
    uint64_t n = 0;
    const ynode_t *uk, *u = get(f, "program_unit", &uk);
    if (u && get_size(c, uk, u, 1, 4096, &n) == 0) {
        if (n & (n - 1))
            return err_at(c, u, "'program_unit' must be a power of two (got %" PRIu64 ")", n);
        d->program_unit = (uint32_t)n;
    }
    if ((x = get(f, "sector_size", &kn)) && get_size(c, kn, x, 1, 32768, &n) == 0) {
        uint32_t unit = d->program_unit ? d->program_unit : 8;
        if (n & (n - 1))
            return err_at(c, x, "'sector_size' must be a power of two (got %" PRIu64 ")", n);
        if (n < unit)
            return err_at(c, x, "'sector_size' (%" PRIu64 ") is smaller than the program unit (%u)", n, unit);
        d->sector_size = (uint32_t)n;
    }
    return c->rc;
}

/* ---- setup --------------------------------------------------------------------------------------- */

static int parse_hdr_override(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_header_override_t *h)
{
    static const char *const keys[] = { "magic", "header_version", "size", "digest", "crc", "signature_size", NULL };
    const ynode_t *kn, *x;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    if (check_map(c, k, v, "header", keys))
        return c->rc;
    if (v->n == 0)
        return err_at(c, v, "'header' is empty (give the fields to override: %s)",
                      "magic, header_version, size, digest, crc, signature_size");
    if ((x = get(v, "magic", &kn)) && get_u32(c, kn, x, 0, &u32) == 0)
        h->has_magic = true, h->magic = u32;
    if ((x = get(v, "header_version", &kn)) && get_u32(c, kn, x, 0, &u32) == 0)
        h->has_header_version = true, h->header_version = u32;
    if ((x = get(v, "size", &kn)) && get_size(c, kn, x, 0, UINT64_MAX, &u64) == 0)
        h->has_size = true, h->size = u64;
    if ((x = get(v, "digest", &kn)) && get_hex_fixed(c, kn, x, h->digest, 32, "a SHA-256") == 0)
        h->has_digest = true;
    if ((x = get(v, "crc", &kn)) && get_u32(c, kn, x, 0, &u32) == 0)
        h->has_crc = true, h->crc = u32;
    if ((x = get(v, "signature_size", &kn)) && get_u32(c, kn, x, 0, &u32) == 0)
        h->has_sigsize = true, h->signature_size = u32;
    return c->rc;
}

/* image/file + version: shared by setup slots and stage steps. */
static int parse_source(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, char **image, char **file,
                        bool *has_version, uint64_t *version, const bundled_image_t **img)
{
    const ynode_t *ik, *iv = get(v, "image", &ik), *fk, *fv = get(v, "file", &fk), *vk, *vv = get(v, "version", &vk);
    *img = NULL;
    if (iv && fv)
        return err_at(c, fk, "'image' and 'file' exclude each other in '%s'", what);
    if (!iv && !fv)
        return err_at(c, k, "'%s' needs 'image' (a bundled application) or 'file' (a path)", what);
    if (iv && get_app_image(c, ik, iv, image, img))
        return c->rc;
    if (fv && get_str(c, fk, fv, file))
        return c->rc;
    if (vv && get_num(c, vk, vv, 0, UINT64_MAX, version) == 0)
        *has_version = true;
    return c->rc;
}

static int parse_slot(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, scn_slot_t *slot,
                      uint32_t max_body)
{
    static const char *const keys[] = { "image", "file", "version", "header", "no_header", NULL };
    const ynode_t *kn, *x;
    const bundled_image_t *img = NULL;
    slot->pos = pos_of(k);
    if (check_map(c, k, v, what, keys))
        return c->rc;
    slot->present = true;
    if (parse_source(c, k, v, what, &slot->image, &slot->file, &slot->has_version, &slot->version, &img))
        return c->rc;
    if (img && img->size > max_body)
        return err_at(c, get(v, "image", NULL), "'image': %s is %zu bytes; the %s slot holds %u", img->name,
                      img->size, what, max_body);
    if ((x = get(v, "no_header", &kn)))
        get_bool(c, kn, x, &slot->no_header);
    const ynode_t *hk, *h = get(v, "header", &hk);
    if (h && !c->rc) {
        if (slot->no_header)
            return err_at(c, hk, "'header' overrides a header that 'no_header: true' leaves out");
        parse_hdr_override(c, hk, h, &slot->hdr);
    }
    if (!c->rc && slot->file && !slot->has_version && !slot->no_header)
        return err_at(c, get(v, "file", NULL), "'%s' with 'file' needs 'version' (the header's firmwareVersion)", what);
    return c->rc;
}

static int parse_setup(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    static const char *const keys[] = { "flash", "active", "candidate", NULL };
    static const char *const bases[] = { "images", "erased", NULL };
    static const char *const dump_keys[] = { "dump", NULL };
    scn_setup_t *su = &c->s->setup;
    const ynode_t *kn, *x;
    su->pos = pos_of(k);
    if (check_map(c, k, v, "setup", keys))
        return c->rc;
    const ynode_t *fk, *f = get(v, "flash", &fk);
    if (f && f->type == YN_MAP) {
        if (check_map(c, fk, f, "flash", dump_keys))
            return c->rc;
        if (!(x = get(f, "dump", &kn)))
            return missing(c, fk, f, "flash", "dump");
        if (get_str(c, kn, x, &su->dump))
            return c->rc;
        su->base = SCN_BASE_DUMP;
    } else if (f) {
        int e = 0;
        char b[96];
        if (f->type != YN_SCALAR)
            return err_at(c, f, "'flash' must be images, erased or {dump: FILE} (got %s)", kind_of(f, b));
        if (get_enum(c, fk, f, bases, &e))
            return c->rc;
        su->base = e == 0 ? SCN_BASE_IMAGES : SCN_BASE_ERASED;
    }
    const ynode_t *ak, *a = get(v, "active", &ak), *ck, *cv = get(v, "candidate", &ck);
    if (su->base == SCN_BASE_ERASED && (a || cv))
        return err_at(c, a ? ak : ck, "'%s' cannot be used with 'flash: erased' (all of flash stays erased; use "
                      "'flash: images' for a bootloader plus slots)", a ? "active" : "candidate");
    if (a && parse_slot(c, ak, a, "active", &su->active, c->l.app_max_size))
        return c->rc;
    if (cv && parse_slot(c, ck, cv, "candidate", &su->candidate, fw_layout_candidate_max(&c->l)))
        return c->rc;
    return c->rc;
}

/* ---- steps ------------------------------------------------------------------------------------- */

static int parse_flash_sel(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_flash_sel_t *sel)
{
    static const char *const keys[] = { "n", "kind", "region", "from", NULL };
    static const char *const kinds[] = { "any", "erase", "program", NULL };
    static const char *const froms[] = { "step", "power_on", NULL };
    const ynode_t *kn, *x;
    if (check_map(c, k, v, "flash_op", keys))
        return c->rc;
    if (!(x = get(v, "n", &kn)))
        return missing(c, k, v, "flash_op", "n");
    if (get_u32(c, kn, x, 1, &sel->n))
        return c->rc;
    int e = 0;
    if ((x = get(v, "kind", &kn)) && get_enum(c, kn, x, kinds, &e) == 0)
        sel->kind = (scn_op_filter_t)e;
    if ((x = get(v, "region", &kn)))
        get_region(c, kn, x, &sel->region);
    if ((x = get(v, "from", &kn)) && get_enum(c, kn, x, froms, &e) == 0)
        sel->from_power_on = e == 1;
    return c->rc;
}

static int parse_until_value(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_until_t *u)
{
    static const char *const words[] = { "app_running", "halt", NULL };
    static const char *const kinds[] = { "resets", "time", "flash_op", "console", NULL };
    if (v->type == YN_SCALAR) {
        int e = 0;
        char list[128];
        if (is_null(v))
            return err_at(c, v, "'until' has no value (expected app_running, halt, or one of {resets: N}, "
                          "{time: D}, {flash_op: {...}}, {console: TEXT})");
        if (!str_is(v, "app_running") && !str_is(v, "halt")) {
            char t[80];
            join(list, sizeof list, kinds, 4, ", ");
            return err_at(c, v, "'until' must be app_running, halt or a mapping with one of %s (got '%s')", list,
                          shown(v, t));
        }
        get_enum(c, k, v, words, &e);
        u->kind = e == 0 ? SCN_UNTIL_APP_RUNNING : SCN_UNTIL_HALT;
        return c->rc;
    }
    int which = 0;
    const ynode_t *kk, *kv;
    if (v->type == YN_SEQ)
        return err_at(c, v, "'until' must be app_running, halt or a mapping with one of resets, time, flash_op, "
                      "console (got a sequence)");
    if (one_of_keys(c, k, v, "until", kinds, &which, &kk, &kv))
        return c->rc;
    switch (which) {
    case 0:
        u->kind = SCN_UNTIL_RESETS;
        return get_u32(c, kk, kv, 1, &u->resets);
    case 1:
        u->kind = SCN_UNTIL_TIME;
        return get_dur(c, kk, kv, &u->time_ns);
    case 2:
        u->kind = SCN_UNTIL_FLASH_OP;
        return parse_flash_sel(c, kk, kv, &u->op);
    default:
        u->kind = SCN_UNTIL_CONSOLE;
        return get_str(c, kk, kv, &u->text);
    }
}

/* boot / run: null (defaults) or {until, version, timeout}. */
static int parse_until(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_until_t *u)
{
    static const char *const keys[] = { "until", "version", "timeout", NULL };
    const char *what = k->str;
    u->kind = SCN_UNTIL_APP_RUNNING;
    if (is_null(v))
        return 0;
    if (check_map(c, k, v, what, keys))
        return c->rc;
    const ynode_t *uk, *uv = get(v, "until", &uk), *vk, *vv = get(v, "version", &vk), *tk, *tv = get(v, "timeout", &tk);
    if (uv && parse_until_value(c, uk, uv, u))
        return c->rc;
    if (vv) {
        if (u->kind != SCN_UNTIL_APP_RUNNING)
            return err_at(c, vk, "'version' applies only to 'until: app_running' (the version that must run)");
        if (get_num(c, vk, vv, 0, UINT64_MAX, &u->version))
            return c->rc;
        u->has_version = true;
    }
    if (tv && get_dur(c, tk, tv, &u->timeout_ns))
        return c->rc;
    if (u->kind == SCN_UNTIL_TIME) {
        if (tv && u->timeout_ns < u->time_ns)
            return err_at(c, tv, "'timeout' is shorter than 'until: {time: ...}': the step could never succeed");
        if (!tv && u->time_ns > SCN_DEFAULT_TIMEOUT_NS)
            u->timeout_ns = u->time_ns;
    }
    return c->rc;
}

static int parse_power_loss(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_step_t *st)
{
    static const char *const keys[] = { "at", "mode", "off_time", "stay_off", NULL };
    static const char *const at_kinds[] = { "flash_op", "time", "insns", NULL };
    static const char *const modes[] = { "before", "after", "torn", NULL };
    const ynode_t *kn, *x;
    st->u.power.off_time_ns = SCN_DEFAULT_OFF_NS;
    if (check_map(c, k, v, "power_loss", keys))
        return c->rc;
    const ynode_t *ak, *av = get(v, "at", &ak);
    if (!av)
        return missing(c, k, v, "power_loss", "at");
    if (av->type == YN_SCALAR) {
        if (!str_is(av, "now")) {
            char b[96];
            if (is_null(av))
                return err_at(c, av, "'at' has no value (expected now, {flash_op: {...}}, {time: D} or {insns: N})");
            return err_at(c, av, "'at' must be now, {flash_op: {...}}, {time: D} or {insns: N} (got %s)",
                          kind_of(av, b));
        }
        st->u.power.at = SCN_AT_NOW;
    } else if (av->type == YN_SEQ) {
        return err_at(c, av, "'at' must be now, {flash_op: {...}}, {time: D} or {insns: N} (got a sequence)");
    } else {
        int which = 0;
        const ynode_t *kk, *kv;
        if (one_of_keys(c, ak, av, "at", at_kinds, &which, &kk, &kv))
            return c->rc;
        if (which == 0) {
            st->u.power.at = SCN_AT_FLASH_OP;
            if (parse_flash_sel(c, kk, kv, &st->u.power.op))
                return c->rc;
        } else if (which == 1) {
            st->u.power.at = SCN_AT_TIME;
            if (get_dur(c, kk, kv, &st->u.power.time_ns))
                return c->rc;
        } else {
            st->u.power.at = SCN_AT_INSNS;
            if (get_num(c, kk, kv, 1, UINT64_MAX, &st->u.power.insns))
                return c->rc;
        }
    }
    int e = 0;
    if ((x = get(v, "mode", &kn))) {
        if (st->u.power.at != SCN_AT_FLASH_OP)
            return err_at(c, kn, "'mode' applies only to 'at: {flash_op: ...}' (a cut at a time or an "
                          "instruction count interrupts no flash operation)");
        if (get_enum(c, kn, x, modes, &e))
            return c->rc;
        st->u.power.mode = (scn_cut_mode_t)e;
    }
    if ((x = get(v, "off_time", &kn)))
        get_dur(c, kn, x, &st->u.power.off_time_ns);
    if ((x = get(v, "stay_off", &kn)))
        get_bool(c, kn, x, &st->u.power.stay_off);
    return c->rc;
}

static int parse_corrupt(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_step_t *st)
{
    static const char *const keys[] = { "region", "address", "offset", "field", "set", "xor", "flip",
                                        "erase_sector", "write", "truncate", NULL };
    static const char *const actions[] = { "field", "flip", "erase_sector", "write", "truncate", NULL };
    static const char *const fields[] = { "magic", "header_version", "version", "size", "digest", "crc",
                                          "signature_size", "campaign", NULL };
    __typeof__(st->u.corrupt) *cr = &st->u.corrupt;
    const fw_layout_t *l = &c->l;
    if (check_map(c, k, v, "corrupt", keys))
        return c->rc;

    /* the action: exactly one */
    const ynode_t *act_k = NULL, *act_v = NULL;
    int act = -1;
    for (int i = 0; actions[i]; i++) {
        const ynode_t *kn, *x = get(v, actions[i], &kn);
        if (!x)
            continue;
        if (act_k)
            return err_at(c, kn, "'corrupt' does one thing: '%s' and '%s' exclude each other", act_k->str, actions[i]);
        act = i, act_k = kn, act_v = x;
    }
    if (!act_k)
        return err_at(c, k, "'corrupt' needs one of: field (with set or xor), flip, erase_sector, write, truncate");

    /* the target */
    const ynode_t *rk, *rv = get(v, "region", &rk), *adk, *adv = get(v, "address", &adk),
                  *ok, *ov = get(v, "offset", &ok);
    if (rv && adv)
        return err_at(c, adk, "'region' and 'address' exclude each other (use region + offset, or address)");
    if (!rv && !adv)
        return err_at(c, k, "'corrupt' needs 'region' (with an optional 'offset') or 'address'");
    if (ov && !rv)
        return err_at(c, ok, "'offset' is relative to 'region'; with 'address' give the absolute address");
    uint32_t a = l->flash_base, b = l->flash_base + l->flash_size, off = 0;
    if (rv) {
        if (get_region(c, rk, rv, &cr->region))
            return c->rc;
        scn_region_range(l, cr->region, &a, &b);
        uint64_t o = 0;
        if (ov) {
            if (act == 2 || act == 4)
                return err_at(c, ok, "'offset' does not apply to '%s' (it counts from the region's start)", act_k->str);
            if (act == 0)
                return err_at(c, ok, "'offset' does not apply to 'field' (the header is at the region's start)");
            if (get_size(c, ok, ov, 0, b - a - 1, &o))
                return c->rc;
        }
        off = (uint32_t)o;
        cr->address = off;
    } else {
        uint64_t x = 0;
        if (act == 2 || act == 4)
            return err_at(c, adk, "'%s' needs 'region' (it counts from the region's start), not 'address'",
                          act_k->str);
        if (get_num(c, adk, adv, l->flash_base, (uint64_t)l->flash_base + l->flash_size - 1, &x))
            return c->rc;
        cr->address = (uint32_t)x;
        a = cr->address;
    }
    uint32_t room = b - (a + off);                /* bytes from the target to the region's end */

    const ynode_t *sk, *sv = get(v, "set", &sk), *xk, *xv = get(v, "xor", &xk);
    if (act != 0 && (sv || xv))
        return err_at(c, sv ? sk : xk, "'%s' applies only to 'field'", sv ? "set" : "xor");
    switch (act) {
    case 0: {                                      /* field + set | xor */
        int f = 0;
        if (get_enum(c, act_k, act_v, fields, &f))
            return c->rc;
        cr->field = (scn_field_t)(f + 1);
        if (rv && cr->region != SCN_REGION_ACTIVE_HEADER && cr->region != SCN_REGION_CANDIDATE_HEADER &&
            cr->region != SCN_REGION_ACTIVE && cr->region != SCN_REGION_CANDIDATE)
            return err_at(c, rv, "'field' needs a region that starts with a header: active-header, "
                          "candidate-header, active or candidate (got '%s')", scn_region_name(cr->region));
        if (room < 112)
            return err_at(c, adv, "'address': a 112-byte header does not fit before the end of flash");
        if (sv && xv)
            return err_at(c, xk, "'set' and 'xor' exclude each other");
        if (!sv && !xv)
            return err_at(c, act_k, "'field' needs 'set: VALUE' or 'xor: MASK'");
        bool wide = cr->field == SCN_FIELD_VERSION || cr->field == SCN_FIELD_SIZE;
        bool bytes = cr->field == SCN_FIELD_DIGEST || cr->field == SCN_FIELD_CAMPAIGN;
        if (sv) {
            cr->kind = SCN_CORRUPT_SET_FIELD;
            if (bytes)
                return get_hex_fixed(c, sk, sv, cr->digest, cr->field == SCN_FIELD_DIGEST ? 32 : 16,
                                     cr->field == SCN_FIELD_DIGEST ? "a SHA-256" : "a 16-byte campaign id");
            return get_num(c, sk, sv, 0, wide || bytes ? UINT64_MAX : UINT32_MAX, &cr->value);
        }
        cr->kind = SCN_CORRUPT_XOR_FIELD;
        if (get_num(c, xk, xv, 1, wide || bytes ? UINT64_MAX : UINT32_MAX, &cr->value))
            return c->rc;
        return 0;
    }
    case 1: {                                      /* flip */
        uint64_t m = 0;
        cr->kind = SCN_CORRUPT_FLIP;
        if (get_num(c, act_k, act_v, 1, 0xff, &m))
            return c->rc;
        cr->value = m;
        return 0;
    }
    case 2: {                                      /* erase_sector: N */
        uint64_t n = 0;
        cr->kind = SCN_CORRUPT_ERASE_SECTOR;
        uint32_t nsec = (b - a + l->sector_size - 1) / l->sector_size;
        if (get_num(c, act_k, act_v, 0, UINT32_MAX, &n))
            return c->rc;
        if (n >= nsec)
            return err_at(c, act_v, "'erase_sector': the %s has %u sector%s of %u bytes (0..%u), not %" PRIu64,
                          scn_region_name(cr->region), nsec, nsec == 1 ? "" : "s", l->sector_size, nsec - 1, n);
        cr->address = (uint32_t)n;
        return 0;
    }
    case 3:                                        /* write */
        cr->kind = SCN_CORRUPT_WRITE;
        return get_hex_bytes(c, act_k, act_v, room, &cr->bytes, &cr->nbytes);
    default: {                                     /* truncate: N bytes kept */
        uint64_t n = 0;
        cr->kind = SCN_CORRUPT_TRUNCATE;
        if (get_size(c, act_k, act_v, 0, UINT32_MAX, &n))
            return c->rc;
        if (n >= b - a)
            return err_at(c, act_v, "'truncate': the %s is %u bytes; keeping %" PRIu64 " erases nothing",
                          scn_region_name(cr->region), b - a, n);
        cr->length = (uint32_t)n;
        cr->address = 0;
        return 0;
    }
    }
}

static int parse_stage(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_step_t *st)
{
    static const char *const keys[] = { "image", "file", "version", "incomplete", "header", "no_header", NULL };
    static const char *const inc_keys[] = { "written", "header", NULL };
    __typeof__(st->u.stage) *sg = &st->u.stage;
    const bundled_image_t *img = NULL;
    const ynode_t *kn, *x;
    if (check_map(c, k, v, "stage", keys))
        return c->rc;
    if (parse_source(c, k, v, "stage", &sg->image, &sg->file, &sg->has_version, &sg->version, &img))
        return c->rc;
    if (img && img->size > fw_layout_candidate_max(&c->l))
        return err_at(c, get(v, "image", NULL), "'image': %s is %zu bytes; the candidate slot holds %u", img->name,
                      img->size, fw_layout_candidate_max(&c->l));
    bool no_header = false, inc_header = false;
    if ((x = get(v, "no_header", &kn)) && get_bool(c, kn, x, &no_header))
        return c->rc;
    const ynode_t *ik, *iv = get(v, "incomplete", &ik);
    if (iv) {
        uint64_t w = 0;
        if (check_map(c, ik, iv, "incomplete", inc_keys))
            return c->rc;
        if (!(x = get(iv, "written", &kn)))
            return missing(c, ik, iv, "incomplete", "written");
        if (get_size(c, kn, x, 0, UINT32_MAX, &w))
            return c->rc;
        if (img && w >= img->size)
            return err_at(c, x, "'written': %" PRIu64 " bytes is the whole of %s (%zu bytes): the stage would be "
                          "complete", w, img->name, img->size);
        const ynode_t *hk, *hv = get(iv, "header", &hk);
        if (hv && get_bool(c, hk, hv, &inc_header))
            return c->rc;
        if (inc_header && no_header)
            return err_at(c, hk, "'header: true' contradicts 'no_header: true'");
        sg->incomplete = true;
        sg->written = (uint32_t)w;
    }
    sg->no_header = no_header || (sg->incomplete && !inc_header);
    const ynode_t *hk, *h = get(v, "header", &hk);
    if (h) {
        if (sg->no_header)
            return err_at(c, hk, "'header' overrides a header that is not written (%s)",
                          no_header ? "no_header: true"
                                    : "an incomplete stage has none unless incomplete: {header: true}");
        if (parse_hdr_override(c, hk, h, &sg->hdr))
            return c->rc;
    }
    if (sg->file && !sg->has_version && !sg->no_header)
        return err_at(c, get(v, "file", NULL), "'stage' with 'file' needs 'version' (the header's firmwareVersion)");
    return c->rc;
}

static int parse_steps(ctx_t *c, const ynode_t *k, const ynode_t *v, int depth, scn_step_t **out, size_t *nout);

/* ---- update server steps --------------------------------------------------------------------- */

static int get_uuid(ctx_t *c, const ynode_t *k, const ynode_t *v, uint8_t out[16])
{
    char t[80];
    if (want_scalar(c, k, v, "a UUID"))
        return c->rc;
    if (mf_parse_uuid(v->str, out) != 0)
        return err_at(c, v, "'%s' must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx or 32 hex digits), got '%s'",
                      KEY(k), shown(v, t));
    return 0;
}

static int parse_publish(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_step_t *st)
{
    static const char *const keys[] = { "image", "file", "version", "delta_from", "delta_from_file", "block_size",
                                        "mutate", "payload_file", "manifest_file", "key", "corrupt_signature",
                                        "manifest", NULL };
    static const char *const mkeys[] = { "vendor_id", "class_id", "version", "payload_size", "payload_digest",
                                         "format", "precursor_digest", "installed_digest", "installed_size", NULL };
    static const char *const formats[] = { "raw-binary", "arm-patch-stream", NULL };
    scn_publish_t *p = &st->u.publish;
    const bundled_image_t *img = NULL;
    const ynode_t *kn, *x;
    p->mutate = -1;
    if (check_map(c, k, v, "publish", keys))
        return c->rc;
    const ynode_t *mfk, *mfv = get(v, "manifest_file", &mfk), *pfk, *pfv = get(v, "payload_file", &pfk);
    if (mfv && get_str(c, mfk, mfv, &p->manifest_file))
        return c->rc;
    if (pfv && get_str(c, pfk, pfv, &p->payload_file))
        return c->rc;
    bool raw_both = mfv && pfv;
    if (get(v, "image", NULL) || get(v, "file", NULL) || !raw_both) {
        if (parse_source(c, k, v, "publish", &p->image, &p->file, &p->has_version, &p->version, &img))
            return c->rc;
        if (p->file && !p->has_version)
            return err_at(c, get(v, "file", NULL), "'publish' with 'file' needs 'version' (the manifest's payload-version)");
    }
    const ynode_t *dk, *dv = get(v, "delta_from", &dk), *dfk, *dfv = get(v, "delta_from_file", &dfk);
    if (dv && dfv)
        return err_at(c, dfk, "'delta_from' and 'delta_from_file' exclude each other");
    if (dv && get_app_image(c, dk, dv, &p->delta_from_image, &img))
        return c->rc;
    if (dfv && get_str(c, dfk, dfv, &p->delta_from_file))
        return c->rc;
    bool delta = dv || dfv;
    if ((x = get(v, "block_size", &kn))) {
        uint64_t b;
        if (!delta)
            return err_at(c, kn, "'block_size' applies to a delta payload (give 'delta_from')");
        if (get_num(c, kn, x, 128, 65536, &b))
            return c->rc;
        p->block_size = (uint32_t)b;
    }
    if ((x = get(v, "mutate", &kn))) {
        char t[80];
        if (!delta)
            return err_at(c, kn, "'mutate' makes a malformed delta payload: it needs 'delta_from'");
        if (want_scalar(c, kn, x, "a delta mutation"))
            return c->rc;
        p->mutate = delta_mutation_parse(x->str);
        if (p->mutate < 0) {
            char list[256] = "";
            for (int i = 0; i < DELTA_MUT_COUNT; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, delta_mutation_name((delta_mutation_t)i), sizeof list - strlen(list) - 1);
            }
            return err_at(c, x, "unknown delta mutation '%s' (expected one of: %s)", shown(x, t), list);
        }
    }
    if (pfv && delta)
        return err_at(c, pfk, "'payload_file' replaces the payload: it excludes 'delta_from'");
    if ((x = get(v, "key", &kn)) && get_str(c, kn, x, &p->key))
        return c->rc;
    if ((x = get(v, "corrupt_signature", &kn)) && get_bool(c, kn, x, &p->corrupt_signature))
        return c->rc;
    const ynode_t *mk, *mv = get(v, "manifest", &mk);
    if (mv) {
        if (mfv)
            return err_at(c, mk, "'manifest' overrides fields of the manifest fwemu builds; 'manifest_file' serves "
                          "a ready one");
        if (check_map(c, mk, mv, "manifest", mkeys))
            return c->rc;
        if ((x = get(mv, "vendor_id", &kn)) && get_uuid(c, kn, x, p->m.vendor_id) == 0)
            p->m.has_vendor_id = true;
        if ((x = get(mv, "class_id", &kn)) && get_uuid(c, kn, x, p->m.class_id) == 0)
            p->m.has_class_id = true;
        if ((x = get(mv, "version", &kn)) && get_num(c, kn, x, 0, UINT64_MAX, &p->m.version) == 0)
            p->m.has_version = true;
        if ((x = get(mv, "payload_size", &kn)) && get_size(c, kn, x, 0, UINT32_MAX, &p->m.payload_size) == 0)
            p->m.has_payload_size = true;
        if ((x = get(mv, "installed_size", &kn)) && get_size(c, kn, x, 0, UINT32_MAX, &p->m.installed_size) == 0)
            p->m.has_installed_size = true;
        if ((x = get(mv, "payload_digest", &kn)) && get_hex_fixed(c, kn, x, p->m.payload_digest, 32, "a SHA-256") == 0)
            p->m.has_payload_digest = true;
        if ((x = get(mv, "precursor_digest", &kn)) &&
            get_hex_fixed(c, kn, x, p->m.precursor_digest, 32, "a SHA-256") == 0)
            p->m.has_precursor_digest = true;
        if ((x = get(mv, "installed_digest", &kn)) &&
            get_hex_fixed(c, kn, x, p->m.installed_digest, 32, "a SHA-256") == 0)
            p->m.has_installed_digest = true;
        if ((x = get(mv, "format", &kn)) && !c->rc) {
            uint64_t f;
            if (x->type == YN_SCALAR && x->len && x->str[0] >= '0' && x->str[0] <= '9') {
                if (get_num(c, kn, x, 0, UINT32_MAX, &f))
                    return c->rc;
                p->m.format = (uint32_t)f;
            } else {
                int e = 0;
                if (get_enum(c, kn, x, formats, &e))
                    return c->rc;
                p->m.format = e == 0 ? 1u : 5u;
            }
            p->m.has_format = true;
        }
    }
    return c->rc;
}

static int get_resource(ctx_t *c, const ynode_t *map, char **out)
{
    const ynode_t *kn, *x = get(map, "resource", &kn);
    if (!x) {
        *out = strdup("payload");
        return *out ? 0 : nomem(c);
    }
    if (get_str(c, kn, x, out))
        return c->rc;
    if (strlen(*out) > SRV_NAME_MAX)
        return err_at(c, x, "'resource': a name of at most %d characters", SRV_NAME_MAX);
    return 0;
}

static int parse_server(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_step_t *st)
{
    static const char *const keys[] = { "link", "link_down_for", "rate", "latency", "clear_faults", "drop", "stall",
                                        "truncate", "corrupt", "serve", NULL };
    static const char *const links[] = { "up", "down", NULL };
    static const char *const fkeys[][5] = {
        { "resource", "at", "for", NULL }, { "resource", "at", "for", NULL }, { "resource", "length", NULL },
        { "resource", "offset", "xor", NULL }, { "resource", "with", NULL } };
    static const char *const fnames[] = { "drop", "stall", "truncate", "corrupt", "serve" };
    scn_server_t *sv = &st->u.server;
    const ynode_t *kn, *x;
    sv->link = -1;
    if (check_map(c, k, v, "server", keys))
        return c->rc;
    if (v->n == 0)
        return err_at(c, v, "'server' is empty (give one of: link, link_down_for, rate, latency, clear_faults, "
                      "drop, stall, truncate, corrupt, serve)");
    if ((x = get(v, "link", &kn)) && get_enum(c, kn, x, links, &sv->link))
        return c->rc;
    if ((x = get(v, "link_down_for", &kn)) && get_dur(c, kn, x, &sv->link_down_for_ns))
        return c->rc;
    if ((x = get(v, "rate", &kn))) {
        uint64_t r;
        if (get_num(c, kn, x, 0, UINT32_MAX, &r))
            return c->rc;
        sv->has_rate = true;
        sv->rate = (uint32_t)r;
    }
    if ((x = get(v, "latency", &kn))) {
        if (get_dur(c, kn, x, &sv->latency_ns))
            return c->rc;
        sv->has_latency = true;
    }
    if ((x = get(v, "clear_faults", &kn)) && get_bool(c, kn, x, &sv->clear_faults))
        return c->rc;
    size_t nf = 0;
    for (int i = 0; i < 5; i++)
        nf += get(v, fnames[i], NULL) != NULL;
    if (nf) {
        sv->faults = calloc(nf, sizeof *sv->faults);
        if (!sv->faults)
            return nomem(c);
    }
    for (int i = 0; i < 5; i++) {
        const ynode_t *fk, *fv = get(v, fnames[i], &fk);
        if (!fv)
            continue;
        scn_fault_t *f = &sv->faults[sv->nfaults++];
        f->kind = (scn_fault_kind_t)i;
        f->pos = pos_of(fk);
        f->xor_mask = 0xFF;
        if (check_map(c, fk, fv, fnames[i], fkeys[i]))
            return c->rc;
        if (get_resource(c, fv, &f->resource))
            return c->rc;
        uint64_t n;
        switch (f->kind) {
        case SCN_FAULT_DROP:
        case SCN_FAULT_STALL:
            if (!(x = get(fv, "at", &kn)))
                return missing(c, fk, fv, fnames[i], "at");
            if (get_size(c, kn, x, 0, UINT32_MAX, &n))
                return c->rc;
            f->offset = (uint32_t)n;
            if (!(x = get(fv, "for", &kn)))
                return missing(c, fk, fv, fnames[i], "for");
            if (get_dur(c, kn, x, &f->for_ns))
                return c->rc;
            break;
        case SCN_FAULT_TRUNCATE:
            if (!(x = get(fv, "length", &kn)))
                return missing(c, fk, fv, fnames[i], "length");
            if (get_size(c, kn, x, 0, UINT32_MAX, &n))
                return c->rc;
            f->length = (uint32_t)n;
            break;
        case SCN_FAULT_CORRUPT:
            if (!(x = get(fv, "offset", &kn)))
                return missing(c, fk, fv, fnames[i], "offset");
            if (get_size(c, kn, x, 0, UINT32_MAX, &n))
                return c->rc;
            f->offset = (uint32_t)n;
            if ((x = get(fv, "xor", &kn))) {
                if (get_num(c, kn, x, 1, 0xFF, &n))
                    return c->rc;
                f->xor_mask = (uint8_t)n;
            }
            break;
        case SCN_FAULT_SERVE:
            if (!(x = get(fv, "with", &kn)))
                return missing(c, fk, fv, fnames[i], "with");
            if (get_str(c, kn, x, &f->with))
                return c->rc;
            if (strlen(f->with) > SRV_NAME_MAX)
                return err_at(c, x, "'with': a name of at most %d characters", SRV_NAME_MAX);
            break;
        }
    }
    return c->rc;
}

static int parse_repeat(ctx_t *c, const ynode_t *k, const ynode_t *v, int depth, scn_step_t *st)
{
    static const char *const keys[] = { "count", "steps", NULL };
    const ynode_t *ck, *cv, *sk, *sv;
    if (depth >= SCN_MAX_REPEAT_DEPTH)
        return err_at(c, k, "'repeat' nested more than %d deep", SCN_MAX_REPEAT_DEPTH);
    if (check_map(c, k, v, "repeat", keys))
        return c->rc;
    if (!(cv = get(v, "count", &ck)))
        return missing(c, k, v, "repeat", "count");
    if (get_u32(c, ck, cv, 1, &st->u.repeat.count))
        return c->rc;
    if (!(sv = get(v, "steps", &sk)))
        return missing(c, k, v, "repeat", "steps");
    return parse_steps(c, sk, sv, depth + 1, &st->u.repeat.steps, &st->u.repeat.nsteps);
}

static int parse_step(ctx_t *c, const ynode_t *item, int depth, scn_step_t *st)
{
    static const char *const kinds[] = { "boot", "run", "power_loss", "reset", "corrupt", "stage", "repeat",
                                         "publish", "notify", "server", NULL };
    static const char *const resets[] = { "pin", "software", "watchdog", NULL };
    char list[256], t[80];
    join(list, sizeof list, kinds, 10, ", ");
    if (item->type == YN_SCALAR) {
        /* "- boot" / "- run": the defaults */
        st->pos = pos_of(item);
        if (str_is(item, "boot") || str_is(item, "run")) {
            st->kind = str_is(item, "boot") ? SCN_STEP_BOOT : SCN_STEP_RUN;
            st->u.until.kind = SCN_UNTIL_APP_RUNNING;
            return 0;
        }
        if (str_is(item, "notify")) {
            st->kind = SCN_STEP_NOTIFY;
            return 0;
        }
        for (int i = 2; kinds[i]; i++)
            if (str_is(item, kinds[i]))
                return err_at(c, item, "step '%s' needs a value (e.g. - %s)", kinds[i],
                              i == 2 ? "power_loss: {at: now}" : i == 3 ? "reset: pin"
                              : i == 4 ? "corrupt: {region: active-app, offset: 0, flip: 0x01}"
                              : i == 5 ? "stage: {image: app_v2}" : i == 6 ? "repeat: {count: 2, steps: [...]}"
                              : i == 7 ? "publish: {image: app_v2}" : "server: {link: down}");
        if (is_null(item))
            return err_at(c, item, "empty step (expected one of: %s)", list);
        return err_at(c, item, "unknown step '%s' (expected one of: %s)", shown(item, t), list);
    }
    if (item->type != YN_MAP)
        return err_at(c, item, "a step must be a mapping with one key, the step kind (got a sequence)");
    if (item->n == 0)
        return err_at(c, item, "empty step (expected one of: %s)", list);
    const ynode_t *k = item->kid[0], *v = item->kid[1];
    int which = -1;
    for (int i = 0; kinds[i] && k->type == YN_SCALAR; i++)
        if (str_is(k, kinds[i]))
            which = i;
    if (which < 0) {
        char b[96];
        if (k->type != YN_SCALAR)
            return err_at(c, k, "a step kind must be a word (got %s)", kind_of(k, b));
        return err_at(c, k, "unknown step '%s' (expected one of: %s)", shown(k, t), list);
    }
    if (item->n > 2) {
        const ynode_t *k2 = item->kid[2];
        char b[96];
        return err_at(c, k2, "a step has exactly one key, the step kind '%s'; %s is another key at the same level "
                      "(indent its options under '%s', or write - %s: {...})", k->str, kind_of(k2, b), k->str, k->str);
    }
    st->kind = (scn_step_kind_t)which;
    st->pos = pos_of(k);
    int e = 0;
    switch (st->kind) {
    case SCN_STEP_BOOT:
    case SCN_STEP_RUN:
        return parse_until(c, k, v, &st->u.until);
    case SCN_STEP_POWER_LOSS:
        return parse_power_loss(c, k, v, st);
    case SCN_STEP_RESET:
        if (get_enum(c, k, v, resets, &e))
            return c->rc;
        st->u.reset.kind = e == 0 ? EMU_RESET_PIN : e == 1 ? EMU_RESET_SOFTWARE : EMU_RESET_WATCHDOG;
        return 0;
    case SCN_STEP_CORRUPT:
        return parse_corrupt(c, k, v, st);
    case SCN_STEP_STAGE:
        return parse_stage(c, k, v, st);
    case SCN_STEP_REPEAT:
        return parse_repeat(c, k, v, depth, st);
    case SCN_STEP_PUBLISH:
        return parse_publish(c, k, v, st);
    case SCN_STEP_NOTIFY:
        if (!is_null(v) && !(v->type == YN_MAP && v->n == 0))
            return err_at(c, v, "'notify' takes no options (write - notify)");
        return 0;
    case SCN_STEP_SERVER:
        return parse_server(c, k, v, st);
    }
    return 0;
}

static int parse_steps(ctx_t *c, const ynode_t *k, const ynode_t *v, int depth, scn_step_t **out, size_t *nout)
{
    if (want_seq(c, k, v))
        return c->rc;
    if (v->n == 0)
        return err_at(c, v, "'steps' is empty (leave 'steps' out for the default: one boot until app_running)");
    scn_step_t *steps = calloc(v->n, sizeof *steps);
    if (!steps)
        return nomem(c);
    *out = steps;                        /* owned by the scenario from now on (freed on error too) */
    *nout = 0;
    for (size_t i = 0; i < v->n; i++) {
        *nout = i + 1;
        if (parse_step(c, v->kid[i], depth, &steps[i]))
            return c->rc;
    }
    return 0;
}

/* Power state along the steps: run and reset need the device on. */
typedef enum pstate { PS_OFF_START = 0, PS_ON, PS_OFF_STAYED } pstate_t;

static int check_power(ctx_t *c, const scn_step_t *steps, size_t n, pstate_t *ps)
{
    for (size_t i = 0; i < n && !c->rc; i++) {
        const scn_step_t *st = &steps[i];
        switch (st->kind) {
        case SCN_STEP_BOOT:
            *ps = PS_ON;
            break;
        case SCN_STEP_RUN:
        case SCN_STEP_RESET:
            if (*ps != PS_ON)
                return err_pos(c, SCN_ERR_SCHEMA, st->pos.line, st->pos.column,
                               "'%s' needs the device powered on, but it is off here (%s); use 'boot'",
                               scn_step_kind_name(st->kind),
                               *ps == PS_OFF_START ? "a scenario starts powered off"
                                                   : "an earlier power_loss has stay_off: true");
            break;
        case SCN_STEP_POWER_LOSS:
            *ps = st->u.power.stay_off ? PS_OFF_STAYED : PS_ON;
            break;
        case SCN_STEP_REPEAT: {
            pstate_t in = *ps;
            if (check_power(c, st->u.repeat.steps, st->u.repeat.nsteps, ps))
                return c->rc;
            if (st->u.repeat.count > 1 && *ps != in && check_power(c, st->u.repeat.steps, st->u.repeat.nsteps, ps))
                return c->rc;
            break;
        }
        default:
            break;
        }
    }
    return c->rc;
}

/* ---- expect ------------------------------------------------------------------------------------- */

static int get_str_list(ctx_t *c, const ynode_t *k, const ynode_t *v, char ***out, size_t *n)
{
    if (v->type == YN_SCALAR) {
        char *s = NULL;
        if (get_str(c, k, v, &s))
            return c->rc;
        *out = malloc(sizeof **out);
        if (!*out) {
            free(s);
            return nomem(c);
        }
        (*out)[0] = s;
        *n = 1;
        return 0;
    }
    if (want_seq(c, k, v))
        return c->rc;
    if (v->n == 0)
        return err_at(c, v, "'%s' is empty", KEY(k));
    *out = calloc(v->n, sizeof **out);
    if (!*out)
        return nomem(c);
    for (size_t i = 0; i < v->n; i++) {
        if (get_str(c, k, v->kid[i], &(*out)[i]))
            return c->rc;
        *n = i + 1;
    }
    return 0;
}

static int parse_expect(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    static const char *const keys[] = { "running", "active", "candidate", "resets", "console", "no_faults",
                                        "no_reprogram", "max_time", "max_wear", "bricked", "one_of", "eventually",
                                        "update_result", "no_update_result", NULL };
    static const char *const run_keys[] = { "version", "digest", "image", NULL };
    static const char *const states[] = { "valid", "invalid", "erased", NULL };
    static const char *const reset_keys[] = { "max", "power_on", "pin", "software", "watchdog", "lockup", NULL };
    static const char *const con_keys[] = { "contains", "not_contains", "matches", NULL };
    static const char *const ev_keys[] = { "version", "within_boots", "within", NULL };
    scn_expect_t *e = &c->s->expect;
    const ynode_t *kn, *x;
    e->pos = pos_of(k);
    if (check_map(c, k, v, "expect", keys))
        return c->rc;

    if ((x = get(v, "running", &kn))) {
        e->at.running = pos_of(kn);
        if (check_map(c, kn, x, "running", run_keys))
            return c->rc;
        if (x->n == 0)
            return err_at(c, x, "'running' needs at least one of: version, digest, image");
        const ynode_t *k2, *x2;
        if ((x2 = get(x, "version", &k2)) && get_num(c, k2, x2, 0, UINT64_MAX, &e->running_version) == 0)
            e->has_running_version = true;
        if ((x2 = get(x, "digest", &k2)) && get_hex_fixed(c, k2, x2, e->running_digest, 32, "a SHA-256") == 0)
            e->has_running_digest = true;
        const bundled_image_t *img;
        if ((x2 = get(x, "image", &k2)))
            get_app_image(c, k2, x2, &e->running_image, &img);
        if (c->rc)
            return c->rc;
    }
    int s = 0;
    if ((x = get(v, "active", &kn))) {
        e->at.active = pos_of(kn);
        if (get_enum(c, kn, x, states, &s))
            return c->rc;
        e->active = (scn_hdr_state_t)(s + 1);
    }
    if ((x = get(v, "candidate", &kn))) {
        e->at.candidate = pos_of(kn);
        if (get_enum(c, kn, x, states, &s))
            return c->rc;
        e->candidate = (scn_hdr_state_t)(s + 1);
    }
    if ((x = get(v, "resets", &kn))) {
        e->at.resets = pos_of(kn);
        if (x->type == YN_SCALAR) {
            if (get_u32(c, kn, x, 0, &e->resets))
                return c->rc;
            e->has_resets = true;
        } else if (x->type == YN_SEQ) {
            return err_at(c, x, "'resets' must be a number or a mapping of max, power_on, pin, software, watchdog, "
                          "lockup (got a sequence)");
        } else {
            if (check_map(c, kn, x, "resets", reset_keys))
                return c->rc;
            if (x->n == 0)
                return err_at(c, x, "'resets' needs at least one of: max, power_on, pin, software, watchdog, lockup");
            const ynode_t *k2, *x2;
            if ((x2 = get(x, "max", &k2))) {
                if (get_u32(c, k2, x2, 0, &e->max_resets))
                    return c->rc;
                e->has_max_resets = true;
            }
            static const int kind_of_key[] = { -1, EMU_RESET_POWER_ON, EMU_RESET_PIN, EMU_RESET_SOFTWARE,
                                               EMU_RESET_WATCHDOG, EMU_RESET_LOCKUP };
            for (int i = 1; reset_keys[i]; i++) {
                uint64_t n = 0;
                if ((x2 = get(x, reset_keys[i], &k2))) {
                    if (get_num(c, k2, x2, 0, INT32_MAX, &n))
                        return c->rc;
                    e->reset_reasons[kind_of_key[i]] = (int)n;
                }
            }
        }
    }
    if ((x = get(v, "console", &kn))) {
        e->at.console = pos_of(kn);
        if (check_map(c, kn, x, "console", con_keys))
            return c->rc;
        if (x->n == 0)
            return err_at(c, x, "'console' needs at least one of: contains, not_contains, matches");
        const ynode_t *k2, *x2;
        if ((x2 = get(x, "contains", &k2)) && get_str_list(c, k2, x2, &e->contains, &e->ncontains))
            return c->rc;
        if ((x2 = get(x, "not_contains", &k2)) && get_str_list(c, k2, x2, &e->not_contains, &e->nnot_contains))
            return c->rc;
        if ((x2 = get(x, "matches", &k2))) {
            if (get_str(c, k2, x2, &e->matches))
                return c->rc;
            regex_t re;
            int rc = regcomp(&re, e->matches, REG_EXTENDED | REG_NOSUB);
            if (rc) {
                char msg[160];
                regerror(rc, &re, msg, sizeof msg);
                return err_at(c, x2, "'matches' is not a valid POSIX extended regular expression: %s", msg);
            }
            regfree(&re);
        }
    }
    if ((x = get(v, "no_faults", &kn))) {
        e->at.no_faults = pos_of(kn);
        get_bool(c, kn, x, &e->no_faults);
    }
    if ((x = get(v, "no_reprogram", &kn))) {
        e->at.no_reprogram = pos_of(kn);
        get_bool(c, kn, x, &e->no_reprogram);
    }
    if ((x = get(v, "max_time", &kn))) {
        e->at.max_time = pos_of(kn);
        if (get_dur(c, kn, x, &e->max_time_ns) == 0)
            e->has_max_time = true;
    }
    if ((x = get(v, "max_wear", &kn))) {
        e->at.max_wear = pos_of(kn);
        if (get_u32(c, kn, x, 0, &e->max_wear) == 0)
            e->has_max_wear = true;
    }
    if ((x = get(v, "bricked", &kn))) {
        bool b = false;
        e->at.bricked = pos_of(kn);
        if (get_bool(c, kn, x, &b) == 0)
            e->bricked = b;
    }
    if (c->rc)
        return c->rc;
    if ((x = get(v, "one_of", &kn))) {
        e->at.one_of = pos_of(kn);
        if (want_seq(c, kn, x))
            return c->rc;
        if (x->n == 0)
            return err_at(c, x, "'one_of' is empty (list the versions allowed to run)");
        e->one_of = calloc(x->n, sizeof *e->one_of);
        if (!e->one_of)
            return nomem(c);
        for (size_t i = 0; i < x->n; i++) {
            if (get_num(c, kn, x->kid[i], 0, UINT64_MAX, &e->one_of[i]))
                return c->rc;
            e->n_one_of = i + 1;
        }
    }
    if ((x = get(v, "eventually", &kn))) {
        e->at.eventually = pos_of(kn);
        if (check_map(c, kn, x, "eventually", ev_keys))
            return c->rc;
        const ynode_t *k2, *x2;
        if (!(x2 = get(x, "version", &k2)))
            return missing(c, kn, x, "eventually", "version");
        if (get_num(c, k2, x2, 0, UINT64_MAX, &e->eventually_version))
            return c->rc;
        if ((x2 = get(x, "within_boots", &k2)) && get_u32(c, k2, x2, 1, &e->eventually_boots))
            return c->rc;
        if ((x2 = get(x, "within", &k2))) {
            if (get(x, "within_boots", NULL))
                return err_at(c, k2, "'within' (emulated time, no power cycles) and 'within_boots' exclude each other");
            if (get_dur(c, k2, x2, &e->eventually_within_ns))
                return c->rc;
        }
        e->has_eventually = true;
    }
    if ((x = get(v, "update_result", &kn))) {
        e->at.update_result = pos_of(kn);
        if (x->type == YN_SCALAR) {
            e->update_results = calloc(1, sizeof *e->update_results);
            if (!e->update_results)
                return nomem(c);
            e->nupdate_results = 1;
            if (get_str(c, kn, x, &e->update_results[0]))
                return c->rc;
        } else if (get_str_list(c, kn, x, &e->update_results, &e->nupdate_results)) {
            return c->rc;
        }
    }
    if ((x = get(v, "no_update_result", &kn))) {
        if (x->type == YN_SCALAR) {
            e->no_update_results = calloc(1, sizeof *e->no_update_results);
            if (!e->no_update_results)
                return nomem(c);
            e->nno_update_results = 1;
            if (get_str(c, kn, x, &e->no_update_results[0]))
                return c->rc;
        } else if (get_str_list(c, kn, x, &e->no_update_results, &e->nno_update_results)) {
            return c->rc;
        }
    }
    if (e->bricked == 1) {
        const char *clash = e->at.running.line ? "running" : e->at.one_of.line ? "one_of"
                          : e->at.eventually.line ? "eventually" : NULL;
        if (clash)
            return err_pos(c, SCN_ERR_SCHEMA, e->at.bricked.line, e->at.bricked.column,
                           "'bricked: true' contradicts '%s' (a bricked device runs no app)", clash);
    }
    return c->rc;
}

/* ---- sweep -------------------------------------------------------------------------------------- */

static int parse_sweep(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    static const char *const keys[] = { "between", "select", "kind", "region", "modes", "nested", "max_boots", NULL };
    static const char *const between_keys[] = { "from", "to", NULL };
    static const char *const select_kinds[] = { "every", "random", NULL };
    static const char *const kinds[] = { "any", "erase", "program", NULL };
    static const char *const modes[] = { "before", "after", "torn", NULL };
    static const char *const nested_keys[] = { "depth", NULL };
    scn_sweep_t *sw = &c->s->sweep;
    const ynode_t *kn, *x;
    sw->pos = pos_of(k);
    sw->enabled = true;
    sw->modes[SCN_CUT_BEFORE] = sw->modes[SCN_CUT_AFTER] = true;
    sw->max_boots = 3;
    if (check_map(c, k, v, "sweep", keys))
        return c->rc;
    if ((x = get(v, "between", &kn))) {
        if (x->type == YN_SCALAR && str_is(x, "all")) {
            /* from / to stay NULL */
        } else if (x->type == YN_MAP) {
            if (check_map(c, kn, x, "between", between_keys))
                return c->rc;
            if (x->n == 0)
                return err_at(c, x, "'between' needs 'from', 'to' or both (console texts), or is 'all'");
            const ynode_t *k2, *x2;
            if ((x2 = get(x, "from", &k2)) && get_str(c, k2, x2, &sw->from_text))
                return c->rc;
            if ((x2 = get(x, "to", &k2)) && get_str(c, k2, x2, &sw->to_text))
                return c->rc;
        } else {
            char b[96];
            return err_at(c, x, "'between' must be all or {from: TEXT, to: TEXT} (got %s)", kind_of(x, b));
        }
    }
    if ((x = get(v, "select", &kn))) {
        if (x->type == YN_SCALAR && str_is(x, "every")) {
            sw->select = SCN_SWEEP_EVERY;
        } else if (x->type == YN_MAP) {
            int which = 0;
            const ynode_t *k2, *x2;
            if (one_of_keys(c, kn, x, "select", select_kinds, &which, &k2, &x2))
                return c->rc;
            sw->select = which == 0 ? SCN_SWEEP_EVERY_NTH : SCN_SWEEP_RANDOM;
            if (get_u32(c, k2, x2, 1, &sw->n))
                return c->rc;
        } else {
            char b[96];
            return err_at(c, x, "'select' must be every, {every: N} or {random: N} (got %s)", kind_of(x, b));
        }
    }
    int e = 0;
    if ((x = get(v, "kind", &kn)) && get_enum(c, kn, x, kinds, &e) == 0)
        sw->kind = (scn_op_filter_t)e;
    if ((x = get(v, "region", &kn)))
        get_region(c, kn, x, &sw->region);
    if (c->rc)
        return c->rc;
    if ((x = get(v, "modes", &kn))) {
        if (want_seq(c, kn, x))
            return c->rc;
        if (x->n == 0)
            return err_at(c, x, "'modes' is empty (give one or more of before, after, torn)");
        sw->modes[0] = sw->modes[1] = sw->modes[2] = false;
        for (size_t i = 0; i < x->n; i++) {
            if (get_enum(c, kn, x->kid[i], modes, &e))
                return c->rc;
            if (sw->modes[e])
                return err_at(c, x->kid[i], "'modes' lists '%s' twice", modes[e]);
            sw->modes[e] = true;
        }
    }
    if ((x = get(v, "nested", &kn))) {
        if (check_map(c, kn, x, "nested", nested_keys))
            return c->rc;
        const ynode_t *k2, *x2;
        if (!(x2 = get(x, "depth", &k2)))
            return missing(c, kn, x, "nested", "depth");
        if (get_u32(c, k2, x2, 0, &sw->nested_depth))
            return c->rc;
        if (sw->nested_depth > 1)
            return err_at(c, x2, "'depth' must be 0 or 1 (one more cut during the recovery; got %u)",
                          sw->nested_depth);
    }
    if ((x = get(v, "max_boots", &kn)))
        get_u32(c, kn, x, 1, &sw->max_boots);
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

static int parse_root(ctx_t *c, const ynode_t *root)
{
    static const char *const keys[] = { "name", "description", "tags", "device", "setup", "steps", "expect",
                                        "sweep", NULL };
    scenario_t *s = c->s;
    const ynode_t *kn, *x;
    char b[96];
    s->pos = pos_of(root);
    if (root->type == YN_SCALAR && is_null(root))
        return err_pos(c, SCN_ERR_SCHEMA, 1, 1, "empty scenario (expected a mapping with keys such as name, setup, "
                       "steps, expect)");
    if (root->type != YN_MAP)
        return err_at(c, root, "a scenario must be a mapping of name, description, tags, device, setup, steps, "
                      "expect, sweep (got %s)", kind_of(root, b));
    if (check_map(c, NULL, root, NULL, keys))
        return c->rc;
    if ((x = get(root, "name", &kn))) {
        if (get_str(c, kn, x, &s->name))
            return c->rc;
        if (!name_ok(s->name)) {
            char t[80];
            return err_at(c, x, "'name': '%s' is not a scenario name (1-%d characters of A-Z a-z 0-9 . _ -; it "
                          "becomes part of replay ids and test names)", shown(x, t), SCN_NAME_MAX);
        }
    } else {
        s->name = stem_name(c->path);
        if (!s->name)
            return err_at(c, root, "missing key 'name' (and the file name is not a valid scenario name)");
    }
    if ((x = get(root, "description", &kn)) && get_str(c, kn, x, &s->description))
        return c->rc;
    if ((x = get(root, "tags", &kn))) {
        if (want_seq(c, kn, x))
            return c->rc;
        s->tags = calloc(x->n ? x->n : 1, sizeof *s->tags);
        if (!s->tags)
            return nomem(c);
        for (size_t i = 0; i < x->n; i++) {
            if (get_str(c, kn, x->kid[i], &s->tags[i]))
                return c->rc;
            s->ntags = i + 1;
            if (!name_ok(s->tags[i])) {
                char t[80];
                return err_at(c, x->kid[i], "'tags': '%s' is not a tag (1-%d characters of A-Z a-z 0-9 . _ -)",
                              shown(x->kid[i], t), SCN_NAME_MAX);
            }
        }
    }
    if ((x = get(root, "device", &kn)) && parse_device(c, kn, x))
        return c->rc;
    if ((x = get(root, "setup", &kn)) && parse_setup(c, kn, x))
        return c->rc;
    if (s->device.bootloader && s->setup.base != SCN_BASE_IMAGES) {
        const ynode_t *dk, *dv = get(root, "device", NULL);
        get(dv, "bootloader", &dk);
        return err_at(c, dk, "'bootloader' has no effect with setup 'flash: %s' (the flash %s)",
                      s->setup.base == SCN_BASE_DUMP ? "{dump: ...}" : "erased",
                      s->setup.base == SCN_BASE_DUMP ? "comes from the dump" : "stays erased");
    }
    if ((x = get(root, "steps", &kn)) && parse_steps(c, kn, x, 0, &s->steps, &s->nsteps))
        return c->rc;
    if ((x = get(root, "expect", &kn)) && parse_expect(c, kn, x))
        return c->rc;
    if ((x = get(root, "sweep", &kn)) && parse_sweep(c, kn, x))
        return c->rc;
    if (s->expect.has_eventually && !s->sweep.enabled) {
        const ynode_t *ek, *ev = get(root, "expect", NULL);
        get(ev, "eventually", &ek);
        return err_at(c, ek, "'eventually' applies only to sweeps (after each cut); without a sweep use "
                      "'running: {version: N}'");
    }
    pstate_t ps = PS_OFF_START;
    if (check_power(c, s->steps, s->nsteps, &ps))
        return c->rc;
    if (s->nsteps && ps == PS_OFF_STAYED && (s->expect.at.running.line || s->expect.at.one_of.line)) {
        const scn_pos_t p = s->expect.at.running.line ? s->expect.at.running : s->expect.at.one_of;
        return err_pos(c, SCN_ERR_SCHEMA, p.line, p.column, "'%s' can never hold: the steps end with the device "
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
        return nomem(c);
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
    char dummy[1];
    ctx_t c = { .path = path ? path : "(null)", .err = err && errlen ? err : dummy,
                .errlen = err && errlen ? errlen : sizeof dummy };
    c.err[0] = 0;
    if (!out)
        return SCN_ERR_IO;
    init_defaults(out);
    c.s = out;
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
    if (build_tree(&c, buf, len, &root) == SCN_OK) {
        out->file = strdup(path);
        if (!out->file)
            nomem(&c);
        else if (!root)
            err_pos(&c, SCN_ERR_SCHEMA, 1, 1, "empty scenario (expected a mapping with keys such as name, setup, "
                    "steps, expect)");
        else
            parse_root(&c, root);
    }
    yn_free(root);
    free(buf);
    if (c.rc) {
        scenario_free(out);
        return c.rc;
    }
    return SCN_OK;
}
