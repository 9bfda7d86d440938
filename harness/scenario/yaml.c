/*
 * The loader's first pass and its vocabulary: libyaml events -> a tree of our own (ynode_t),
 * positions and error messages, and the typed getters every part of the schema walk uses.
 * Contract in load_int.h.
 */
#include "scenario/load_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <yaml.h>

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







void ld_yn_free(ynode_t *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        ld_yn_free(n->kid[i]);       /* depth <= SCN_MAX_NESTING */
    free(n->kid);
    free(n->str);
    free(n);
}



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

int ld_err_at(ctx_t *c, const ynode_t *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int ld_err_at(ctx_t *c, const ynode_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verr(c, SCN_ERR_SCHEMA, at ? at->line : 1, at ? at->col : 1, fmt, ap);
    va_end(ap);
    return rc;
}

int ld_err_pos(ctx_t *c, int rc, int line, int col, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

int ld_err_pos(ctx_t *c, int rc, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rc = verr(c, rc, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

int ld_nomem(ctx_t *c)
{
    return ld_err_pos(c, SCN_ERR_NOMEM, 1, 1, "out of memory");
}

/* A scalar's text for messages: printable, at most ~60 characters. */
const char *ld_shown(const ynode_t *n, char buf[80])
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
const char *ld_kind_of(const ynode_t *n, char buf[96])
{
    if (n->type == YN_MAP)
        return "a mapping";
    if (n->type == YN_SEQ)
        return "a sequence";
    char t[80];
    snprintf(buf, 96, "'%s'", ld_shown(n, t));
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
        return ld_nomem(c);
    if (p->error == YAML_READER_ERROR) {
        int line, col;
        offset_pos(buf, len, p->problem_offset, &line, &col);
        return ld_err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML syntax error: %s (byte 0x%02x at offset %zu)", problem,
                       p->problem_offset < len ? buf[p->problem_offset] : 0, p->problem_offset);
    }
    int line = (int)p->problem_mark.line + 1, col = (int)p->problem_mark.column + 1;
    if (p->context)
        return ld_err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML syntax error: %s (%s at line %d, column %d)", problem,
                       p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return ld_err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML syntax error: %s", problem);
}

int ld_build_tree(ctx_t *c, const unsigned char *buf, size_t len, ynode_t **root)
{
    yaml_parser_t p;
    ynode_t *stack[SCN_MAX_NESTING];
    int depth = 0, docs = 0;
    ynode_t *top = NULL;
    bool done = false;
    *root = NULL;
    if (!yaml_parser_initialize(&p))
        return ld_nomem(c);
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
                ld_err_pos(c, SCN_ERR_SYNTAX, line, col, "a second YAML document: a scenario file holds one "
                        "document (remove the '---' or split the file)");
            break;
        case YAML_ALIAS_EVENT:
            ld_err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML aliases (*%.40s) are not supported: write the value out",
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
            ld_yn_free(node);
            break;
        }
        if (!node) {
            ld_nomem(c);
            break;
        }
        if (depth == 0 ? (top != NULL) : yn_add(stack[depth - 1], node) != 0) {
            ld_yn_free(node);
            if (depth == 0)
                ld_err_pos(c, SCN_ERR_SYNTAX, line, col, "unexpected second root node");
            else
                ld_nomem(c);
            break;
        }
        if (depth == 0)
            top = node;
        if (tagged) {
            ld_err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML tags (!...) are not supported: remove the tag");
            break;
        }
        if (opens) {
            if (depth == SCN_MAX_NESTING) {
                ld_err_pos(c, SCN_ERR_SYNTAX, line, col, "YAML nested deeper than %d levels", SCN_MAX_NESTING);
                break;
            }
            stack[depth++] = node;
        }
    }
    yaml_parser_delete(&p);
    if (c->rc) {
        ld_yn_free(top);
        return c->rc;
    }
    *root = top;
    return SCN_OK;
}

/* ---- pass 2: schema helpers ------------------------------------------------------------------ */

bool ld_is_null(const ynode_t *n)
{
    if (n->type != YN_SCALAR || n->quoted)
        return false;
    return n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
           !strcmp(n->str, "NULL");
}

bool ld_str_is(const ynode_t *n, const char *s)
{
    return n->type == YN_SCALAR && n->len == strlen(s) && !memcmp(n->str, s, n->len);
}

scn_pos_t ld_pos_of(const ynode_t *n)
{
    return (scn_pos_t){ n->line, n->col };
}

void ld_join(char *out, size_t n, const char *const *names, size_t count, const char *sep)
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

static size_t ld_count_names(const char *const *names)
{
    size_t n = 0;
    while (names[n])
        n++;
    return n;
}


static int ld_want_map(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    char b[96];
    if (v->type == YN_MAP)
        return 0;
    if (ld_is_null(v))
        return ld_err_at(c, v, "'%s' has no value (expected a mapping)", KEY(k));
    return ld_err_at(c, v, "'%s' must be a mapping (got %s)", KEY(k), ld_kind_of(v, b));
}

int ld_want_seq(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    char b[96];
    if (v->type == YN_SEQ)
        return 0;
    if (ld_is_null(v))
        return ld_err_at(c, v, "'%s' has no value (expected a sequence)", KEY(k));
    return ld_err_at(c, v, "'%s' must be a sequence (got %s)", KEY(k), ld_kind_of(v, b));
}

/* A mapping whose keys are all in `keys` (NULL-terminated), each at most once. `what` names the
 * mapping in messages (NULL: the top level). */
int ld_check_map(ctx_t *c, const ynode_t *k, const ynode_t *map, const char *what, const char *const *keys)
{
    if (ld_want_map(c, k, map))
        return c->rc;
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const ynode_t *key = map->kid[i];
        char b[96], list[512];
        if (key->type != YN_SCALAR)
            return ld_err_at(c, key, "a key must be a plain word (got %s)", ld_kind_of(key, b));
        size_t j;
        for (j = 0; keys[j]; j++)
            if (ld_str_is(key, keys[j]))
                break;
        if (!keys[j]) {
            char t[80];
            ld_join(list, sizeof list, keys, ld_count_names(keys), ", ");
            if (what)
                return ld_err_at(c, key, "unknown key '%s' in '%s' (expected one of: %s)", ld_shown(key, t), what, list);
            return ld_err_at(c, key, "unknown key '%s' at the top level (expected one of: %s)", ld_shown(key, t), list);
        }
        for (size_t p = 0; p < i; p += 2) {
            const ynode_t *first = map->kid[p];
            if (!ld_str_is(first, keys[j]))
                continue;
            if (what)
                return ld_err_at(c, key, "duplicate key '%s' in '%s' (first at line %d, column %d)", keys[j], what,
                              first->line, first->col);
            return ld_err_at(c, key, "duplicate key '%s' at the top level (first at line %d, column %d)", keys[j],
                          first->line, first->col);
        }
    }
    return 0;
}

/* The value of `key` in a checked mapping (NULL if absent); *kn receives the key node. */
const ynode_t *ld_get(const ynode_t *map, const char *key, const ynode_t **kn)
{
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (ld_str_is(map->kid[i], key)) {
            if (kn)
                *kn = map->kid[i];
            return map->kid[i + 1];
        }
    if (kn)
        *kn = NULL;
    return NULL;
}

int ld_missing(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, const char *key)
{
    return ld_err_at(c, k ? k : v, "missing key '%s' in '%s'", key, what);
}

int ld_want_scalar(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *expected)
{
    char b[96];
    if (v->type != YN_SCALAR)
        return ld_err_at(c, v, "'%s' must be %s (got %s)", KEY(k), expected, ld_kind_of(v, b));
    if (ld_is_null(v))
        return ld_err_at(c, v, "'%s' has no value (expected %s)", KEY(k), expected);
    return 0;
}

/* A non-empty string without NUL bytes (malloc'd). */
int ld_get_str(ctx_t *c, const ynode_t *k, const ynode_t *v, char **out)
{
    if (ld_want_scalar(c, k, v, "a string"))
        return c->rc;
    if (memchr(v->str, 0, v->len))
        return ld_err_at(c, v, "'%s' contains a NUL character", KEY(k));
    *out = strdup(v->str);
    return *out ? 0 : ld_nomem(c);
}

/* Decimal (no leading zeros) or 0x hex. 0 ok, -1 not a number, -2 out of uint64 range. */
static int ld_parse_u64(const char *s, size_t len, uint64_t *out)
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

static int ld_number_error(ctx_t *c, const ynode_t *k, const ynode_t *v, int why, uint64_t max, const char *what)
{
    char t[80];
    if (why == -2)
        return ld_err_at(c, v, "'%s': %s is out of range (at most %" PRIu64 ")", KEY(k), ld_shown(v, t), max);
    return ld_err_at(c, v, "'%s': '%s' is not %s", KEY(k), ld_shown(v, t), what);
}

/* An unsigned number in [min, max]. */
int ld_get_num(ctx_t *c, const ynode_t *k, const ynode_t *v, uint64_t min, uint64_t max, uint64_t *out)
{
    if (ld_want_scalar(c, k, v, "a number"))
        return c->rc;
    char t[80];
    if (v->quoted)
        return ld_err_at(c, v, "'%s' must be a number, not a quoted string (write %s without quotes)", KEY(k),
                      ld_shown(v, t));
    uint64_t x = 0;
    int r = ld_parse_u64(v->str, v->len, &x);
    if (r == 0 && x > max)
        r = -2;
    if (r)
        return ld_number_error(c, k, v, r, max, "a number (decimal without leading zeros, or 0x hex)");
    if (x < min)
        return ld_err_at(c, v, "'%s' must be at least %" PRIu64 " (got %" PRIu64 ")", KEY(k), min, x);
    *out = x;
    return 0;
}

int ld_get_u32(ctx_t *c, const ynode_t *k, const ynode_t *v, uint32_t min, uint32_t *out)
{
    uint64_t x = 0;
    if (ld_get_num(c, k, v, min, UINT32_MAX, &x))
        return c->rc;
    *out = (uint32_t)x;
    return 0;
}

/* A size: a number, optionally followed by KiB or MiB ("4KiB", "4 KiB", "0x1000"). */
int ld_get_size(ctx_t *c, const ynode_t *k, const ynode_t *v, uint64_t min, uint64_t max, uint64_t *out)
{
    if (ld_want_scalar(c, k, v, "a size"))
        return c->rc;
    char t[80];
    if (v->quoted)
        return ld_err_at(c, v, "'%s' must be a size, not a quoted string (write %s without quotes)", KEY(k),
                      ld_shown(v, t));
    size_t n = v->len;
    unsigned shift = 0;
    if (n > 3 && !memcmp(v->str + n - 3, "KiB", 3))
        shift = 10, n -= 3;
    else if (n > 3 && !memcmp(v->str + n - 3, "MiB", 3))
        shift = 20, n -= 3;
    while (shift && n > 0 && v->str[n - 1] == ' ')
        n--;
    uint64_t x = 0;
    int r = ld_parse_u64(v->str, n, &x);
    if (r == 0 && shift && x > (UINT64_MAX >> shift))
        r = -2;
    if (r == 0)
        x <<= shift;
    if (r == 0 && x > max)
        r = -2;
    if (r)
        return ld_number_error(c, k, v, r, max, "a size (examples: 4096, 0x1000, 4KiB)");
    if (x < min)
        return ld_err_at(c, v, "'%s' must be at least %" PRIu64 " (got %" PRIu64 ")", KEY(k), min, x);
    *out = x;
    return 0;
}

/* A duration with a unit: "100ms", "2s", "1.5 s", "50us", "800ns". Result in ns, > 0. */
int ld_get_dur(ctx_t *c, const ynode_t *k, const ynode_t *v, uint64_t *out)
{
    static const struct { const char *u; uint64_t ns; unsigned digits; } units[] = {
        { "ns", 1, 0 }, { "us", 1000, 3 }, { "ms", 1000000, 6 }, { "s", 1000000000, 9 },
    };
    if (ld_want_scalar(c, k, v, "a duration"))
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
        return ld_err_at(c, v, "'%s': '%s' is too long (at most about 584 years)", KEY(k), ld_shown(v, t));
    if (!any)
        goto bad;
    if (i == n)
        return ld_err_at(c, v, "'%s': '%s' is not a duration: a unit is required (examples: 100ms, 2s, 50us)", KEY(k),
                      ld_shown(v, t));
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        if (n - i != strlen(units[u].u) || memcmp(s + i, units[u].u, n - i))
            continue;
        if (nfrac > units[u].digits) {
            /* allowed only when the extra digits are zeros */
            uint64_t drop = 1;
            for (unsigned d = units[u].digits; d < nfrac && d < 18; d++)
                drop *= 10;
            if (nfrac > 18 || frac % drop)
                return ld_err_at(c, v, "'%s': '%s' is finer than a nanosecond", KEY(k), ld_shown(v, t));
            frac /= drop;
            nfrac = units[u].digits;
        }
        uint64_t scale = units[u].ns;
        for (unsigned d = nfrac; d < units[u].digits; d++)
            frac *= 10;
        if (whole > (UINT64_MAX - frac) / scale)
            return ld_err_at(c, v, "'%s': '%s' is too long (at most about 584 years)", KEY(k), ld_shown(v, t));
        uint64_t ns = whole * scale + (units[u].digits ? frac : 0);
        if (ns == 0)
            return ld_err_at(c, v, "'%s' must be longer than 0", KEY(k));
        *out = ns;
        return 0;
    }
bad:
    return ld_err_at(c, v, "'%s': '%s' is not a duration (examples: 100ms, 2s, 50us)", KEY(k), ld_shown(v, t));
}

int ld_get_bool(ctx_t *c, const ynode_t *k, const ynode_t *v, bool *out)
{
    if (ld_want_scalar(c, k, v, "true or false"))
        return c->rc;
    char t[80];
    if (!v->quoted && ld_str_is(v, "true"))
        *out = true;
    else if (!v->quoted && ld_str_is(v, "false"))
        *out = false;
    else
        return ld_err_at(c, v, "'%s' must be true or false (got '%s')", KEY(k), ld_shown(v, t));
    return 0;
}

/* One of `names` (NULL-terminated); *out = its index. */
int ld_get_enum(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *const *names, int *out)
{
    char list[256], t[80];
    ld_join(list, sizeof list, names, ld_count_names(names), ", ");
    if (v->type != YN_SCALAR || ld_is_null(v)) {
        char b[96];
        if (ld_is_null(v) && v->type == YN_SCALAR)
            return ld_err_at(c, v, "'%s' has no value (expected one of %s)", KEY(k), list);
        return ld_err_at(c, v, "'%s' must be one of %s (got %s)", KEY(k), list, ld_kind_of(v, b));
    }
    for (int i = 0; names[i]; i++)
        if (ld_str_is(v, names[i])) {
            *out = i;
            return 0;
        }
    return ld_err_at(c, v, "'%s' must be one of %s (got '%s')", KEY(k), list, ld_shown(v, t));
}

static int ld_hexval(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* Exactly 2*n hex digits. */
int ld_get_hex_fixed(ctx_t *c, const ynode_t *k, const ynode_t *v, uint8_t *out, size_t n, const char *what)
{
    if (ld_want_scalar(c, k, v, what))
        return c->rc;
    bool hex = v->len == 2 * n;
    for (size_t i = 0; hex && i < v->len; i++)
        hex = ld_hexval(v->str[i]) >= 0;
    if (!hex) {
        char t[80];
        return ld_err_at(c, v, "'%s' must be %zu hex digits (%s), got '%s' (%zu characters)", KEY(k), 2 * n, what,
                      ld_shown(v, t), v->len);
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(ld_hexval(v->str[2 * i]) << 4 | ld_hexval(v->str[2 * i + 1]));
    return 0;
}

/* Hex bytes, optionally separated by spaces: "de ad be ef", "deadbeef". */
int ld_get_hex_bytes(ctx_t *c, const ynode_t *k, const ynode_t *v, size_t max, uint8_t **out, size_t *nout)
{
    if (ld_want_scalar(c, k, v, "hex bytes"))
        return c->rc;
    size_t digits = 0;
    for (size_t i = 0; i < v->len; i++) {
        char ch = v->str[i];
        if (ch == ' ' || ch == '\t' || ch == '\n')
            continue;
        if (ld_hexval(ch) < 0) {
            char t[80];
            return ld_err_at(c, v, "'%s': '%s' is not hex bytes (examples: \"de ad be ef\", \"deadbeef\"): "
                          "character %zu is not a hex digit", KEY(k), ld_shown(v, t), i + 1);
        }
        digits++;
    }
    if (digits == 0 || digits % 2)
        return ld_err_at(c, v, "'%s' must be whole bytes of hex (got %zu hex digit%s)", KEY(k), digits,
                      digits == 1 ? "" : "s");
    if (digits / 2 > max)
        return ld_err_at(c, v, "'%s': %zu bytes do not fit (at most %zu here)", KEY(k), digits / 2, max);
    uint8_t *b = malloc(digits / 2);
    if (!b)
        return ld_nomem(c);
    size_t o = 0;
    int hi = -1;
    for (size_t i = 0; i < v->len; i++) {
        int d = ld_hexval(v->str[i]);
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
int ld_one_of_keys(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, const char *const *kinds,
                       int *which, const ynode_t **kk, const ynode_t **kv)
{
    if (ld_check_map(c, k, v, what, kinds))
        return c->rc;
    char list[256];
    ld_join(list, sizeof list, kinds, ld_count_names(kinds), ", ");
    if (v->n != 2) {
        if (v->n == 0)
            return ld_err_at(c, v, "'%s' needs one of: %s", what, list);
        return ld_err_at(c, v->kid[2], "'%s' takes exactly one of %s (found '%s' and '%s')", what, list,
                      v->kid[0]->str, v->kid[2]->str);
    }
    for (int i = 0; kinds[i]; i++)
        if (ld_str_is(v->kid[0], kinds[i]))
            *which = i;
    *kk = v->kid[0];
    *kv = v->kid[1];
    return 0;
}

static const char *const region_keys[] = { "bootloader", "active-header", "active-app", "kvstore",
                                            "candidate-header", "candidate-payload", "active", "candidate", NULL };

int ld_get_region(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_region_t *out)
{
    int i = 0;
    if (ld_get_enum(c, k, v, region_keys, &i))
        return c->rc;
    *out = (scn_region_t)(i + 1);
    return 0;
}
