/*
 * A layout derived from an Mbed JSON configuration (layout.h, fw_layout_from_mbed).
 *
 * Symbols: every setting of target_overrides ("*" first, then the target, later wins) under its
 * key ("update-client.storage-address") and its macro (MBED_CONF_UPDATE_CLIENT_STORAGE_ADDRESS,
 * or the macro_name the library declares: kvstore-size -> KVSTORE_SIZE from the config's own
 * "config" section, mbed-bootloader.bootloader-size -> MBED_BOOTLOADER_SIZE from mbed-bootloader's
 * mbed_lib.json); "macros" and target.macros_add NAME=EXPR; MBED_ROM_START / MBED_ROM_SIZE of the
 * target; and, for a bootloader build (target.restrict_size without target.header_offset), the
 * regions Mbed's tools define: APPLICATION_ADDR = MBED_ROM_START and APPLICATION_SIZE =
 * restrict_size rounded down to a sector boundary (tools/config Config._generate_bootloader_build;
 * build_api adds <REGION>_ADDR / _SIZE). So in internal_flash_no_rot.json the bootloader's size
 * is mbed-bootloader.bootloader-size = APPLICATION_SIZE = 0x8000.
 *
 * Values are evaluated on demand (a macro nobody uses, such as MBED_CLOUD_CLIENT_UPDATE_STORAGE =
 * ARM_UCP_FLASHIAP, is never evaluated): integers, or strings holding + - * / % ( ) expressions
 * over numbers (decimal, 0x hex, u/l suffixes) and symbols.
 */
#include "codec/layout.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fileio.h"

#define seterr fileio_seterr

typedef struct sym {
    char *name;          /* macro name */
    char *key;           /* config key, or NULL */
    char *expr;          /* the value as text */
    int state;           /* 0 unevaluated, 1 evaluating, 2 done */
    long long value;
} sym_t;

typedef struct mctx {
    sym_t *s;
    size_t n, cap;
    const char *path;
    char *err;
    size_t errlen;
    int rc;
} mctx_t;

static const struct { const char *target; uint32_t rom_start, rom_size, sector; } targets[] = {
    { "K64F", 0, 0x100000, 0x1000 },
};

/* Library settings whose macro is not MBED_CONF_<LIB>_<KEY> (their mbed_lib.json macro_name). */
static const struct { const char *key, *macro; } lib_macro_names[] = {
    { "mbed-bootloader.bootloader-size", "MBED_BOOTLOADER_SIZE" },
};

static sym_t *sym_find(mctx_t *c, const char *name)
{
    for (size_t i = c->n; i-- > 0;)
        if (!strcmp(c->s[i].name, name) || (c->s[i].key && !strcmp(c->s[i].key, name)))
            return &c->s[i];
    return NULL;
}

static int sym_set(mctx_t *c, const char *name, const char *key, const char *expr)
{
    sym_t *s = sym_find(c, name);
    if (!s) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 32;
            sym_t *ns = realloc(c->s, cap * sizeof *ns);
            if (!ns)
                return FW_LAYOUT_ERR_NOMEM;
            c->s = ns;
            c->cap = cap;
        }
        s = &c->s[c->n++];
        memset(s, 0, sizeof *s);
        s->name = strdup(name);
        s->key = key ? strdup(key) : NULL;
    } else {
        free(s->expr);
    }
    s->expr = strdup(expr);
    s->state = 0;
    return s->name && s->expr && (!key || s->key) ? FW_LAYOUT_OK : FW_LAYOUT_ERR_NOMEM;
}

/* MBED_CONF_<LIB>_<KEY>: upper case, '-' and '.' as '_'. */
static void conf_macro(const char *key, char *out, size_t n)
{
    size_t j = (size_t)snprintf(out, n, "MBED_CONF_");
    for (const char *p = key; *p && j + 1 < n; p++)
        out[j++] = (*p == '-' || *p == '.') ? '_' : (char)toupper((unsigned char)*p);
    out[j] = 0;
}

static int fail(mctx_t *c, int rc, const char *fmt, const char *a, const char *b, const char *d)
{
    if (!c->rc) {
        char msg[400];
        snprintf(msg, sizeof msg, fmt, a, b, d);
        seterr(c->err, c->errlen, "%s: %s", c->path, msg);
        c->rc = rc;
    }
    return c->rc;
}

/* ---- expressions --------------------------------------------------------------------------- */
typedef struct lex { const char *p; mctx_t *c; const sym_t *in; } lex_t;

static int eval_sym(mctx_t *c, sym_t *s, long long *out);
static int expr_sum(lex_t *x, long long *v);

static void skip(lex_t *x)
{
    while (isspace((unsigned char)*x->p))
        x->p++;
}

static int expr_bad(lex_t *x, const char *why)
{
    return fail(x->c, FW_LAYOUT_ERR_EXPR, "\"%s\": %s in \"%s\"", x->in->key ? x->in->key : x->in->name,
                why, x->in->expr);
}

static int expr_atom(lex_t *x, long long *v)
{
    skip(x);
    if (*x->p == '(') {
        x->p++;
        if (expr_sum(x, v))
            return x->c->rc;
        skip(x);
        if (*x->p != ')')
            return expr_bad(x, "')' expected");
        x->p++;
        return 0;
    }
    if (*x->p == '-' || *x->p == '+') {
        int neg = *x->p++ == '-';
        if (expr_atom(x, v))
            return x->c->rc;
        *v = neg ? -*v : *v;
        return 0;
    }
    if (isdigit((unsigned char)*x->p)) {
        char *end;
        *v = (long long)strtoull(x->p, &end, 0);
        while (*end == 'u' || *end == 'U' || *end == 'l' || *end == 'L')
            end++;
        if (isalnum((unsigned char)*end) || *end == '_')
            return expr_bad(x, "a malformed number");
        x->p = end;
        return 0;
    }
    if (isalpha((unsigned char)*x->p) || *x->p == '_') {
        char name[128];
        size_t n = 0;
        while ((isalnum((unsigned char)*x->p) || *x->p == '_') && n + 1 < sizeof name)
            name[n++] = *x->p++;
        name[n] = 0;
        sym_t *s = sym_find(x->c, name);
        if (!s) {
            char why[192];
            snprintf(why, sizeof why, "unknown name '%s'", name);
            return expr_bad(x, why);
        }
        return eval_sym(x->c, s, v);
    }
    return expr_bad(x, *x->p ? "unexpected character" : "unexpected end");
}

/* Binary operators by precedence: level 0 + -, level 1 * / %, then atoms; left associative. */
static int expr_level(lex_t *x, long long *v, int level)
{
    static const char *const ops[] = { "+-", "*/%" };
    if (level == 2 ? expr_atom(x, v) : expr_level(x, v, level + 1))
        return x->c->rc;
    if (level == 2)
        return 0;
    for (;;) {
        skip(x);
        char op = *x->p;
        if (!op || !strchr(ops[level], op))
            return 0;
        x->p++;
        long long r;
        if (expr_level(x, &r, level + 1))
            return x->c->rc;
        if ((op == '/' || op == '%') && r == 0)
            return expr_bad(x, "division by zero");
        *v = op == '+' ? *v + r : op == '-' ? *v - r : op == '*' ? *v * r : op == '/' ? *v / r : *v % r;
    }
}

static int expr_sum(lex_t *x, long long *v)
{
    return expr_level(x, v, 0);
}

static int eval_sym(mctx_t *c, sym_t *s, long long *out)
{
    if (s->state == 2) {
        *out = s->value;
        return 0;
    }
    if (s->state == 1)
        return fail(c, FW_LAYOUT_ERR_EXPR, "\"%s\": defined in terms of itself (\"%s\")%s",
                    s->key ? s->key : s->name, s->expr, "");
    s->state = 1;
    lex_t x = { s->expr, c, s };
    long long v = 0;
    if (!expr_sum(&x, &v)) {
        skip(&x);
        if (*x.p)
            expr_bad(&x, "trailing text");
    }
    s->state = c->rc ? 0 : 2;
    s->value = v;
    *out = v;
    return c->rc;
}

/* ---- collecting the symbols ---------------------------------------------------------------- */
/* A JSON value as expression text: integers in decimal, strings as they are, true/false 1/0;
 * anything else (arrays, objects) is not a value we evaluate (NULL). */
static const char *value_text(const json_t *v, char *buf, size_t n)
{
    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "1" : "0";
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int add_macro(mctx_t *c, const char *def)
{
    char name[128];
    const char *eq = strchr(def, '=');
    size_t n = eq ? (size_t)(eq - def) : strlen(def);
    if (!n || n >= sizeof name)
        return fail(c, FW_LAYOUT_ERR_KEY, "macro \"%s\": not NAME=VALUE%s%s", def, "", "");
    memcpy(name, def, n);
    name[n] = 0;
    return sym_set(c, name, NULL, eq ? eq + 1 : "1");
}

static int add_macros(mctx_t *c, const json_t *arr, const char *where)
{
    if (!arr)
        return 0;
    if (!json_is_array(arr))
        return fail(c, FW_LAYOUT_ERR_KEY, "\"%s\": a list of \"NAME=VALUE\" strings%s%s", where, "", "");
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m) {
        if (!json_is_string(m))
            return fail(c, FW_LAYOUT_ERR_KEY, "\"%s\": a list of \"NAME=VALUE\" strings%s%s", where, "", "");
        int rc = add_macro(c, json_string_value(m));
        if (rc)
            return rc;
    }
    return 0;
}

/* The macro of a setting: a declared macro_name, else MBED_CONF_<LIB>_<KEY> (a key without a
 * library prefix belongs to the config itself, named by its "name", "app" by default). */
static void setting_macro(const json_t *root, const char *key, char *out, size_t n)
{
    const json_t *own = json_object_get(json_object_get(root, "config"), key);
    const json_t *mn = json_object_get(own, "macro_name");
    if (json_is_string(mn)) {
        snprintf(out, n, "%s", json_string_value(mn));
        return;
    }
    for (size_t i = 0; i < sizeof lib_macro_names / sizeof lib_macro_names[0]; i++)
        if (!strcmp(key, lib_macro_names[i].key)) {
            snprintf(out, n, "%s", lib_macro_names[i].macro);
            return;
        }
    char full[256];
    const char *lib = json_string_value(json_object_get(root, "name"));
    if (!strchr(key, '.'))
        snprintf(full, sizeof full, "%s.%s", lib ? lib : "app", key);
    else
        snprintf(full, sizeof full, "%s", key);
    conf_macro(full, out, n);
}

/* One setting k = v under its key and its macro; values that are not integers, strings or
 * booleans (lists, objects) are not settings we evaluate and are skipped. */
static int add_setting(mctx_t *c, const json_t *root, const char *k, const json_t *v)
{
    char buf[32], macro[256];
    const char *text = value_text(v, buf, sizeof buf);
    if (!text)
        return 0;
    setting_macro(root, k, macro, sizeof macro);
    if (sym_set(c, macro, k, text))
        return fail(c, FW_LAYOUT_ERR_NOMEM, "out of memory%s%s%s", "", "", "");
    return 0;
}

static int add_settings(mctx_t *c, const json_t *root, const json_t *block)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)block, k, v) {
        if (!strcmp(k, "target.macros_add")) {
            if (add_macros(c, v, k))
                return c->rc;
            continue;
        }
        if (add_setting(c, root, k, v))
            return c->rc;
    }
    return 0;
}

/* The config's own parameters' defaults ("config": {"key": {"value": ...}}). */
static int add_config_defaults(mctx_t *c, const json_t *root)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(root, "config"), k, v) {
        if (add_setting(c, root, k, json_is_object(v) ? json_object_get(v, "value") : v))
            return c->rc;
    }
    return 0;
}

static void hex(char *buf, size_t n, unsigned long long v)
{
    snprintf(buf, n, "0x%llX", v);
}

/* ---- the layout ---------------------------------------------------------------------------- */
/* The first of names that is defined, evaluated into *out (1); 0 if none is defined. */
static int lookup(mctx_t *c, const char *const *names, uint32_t *out)
{
    for (; *names; names++) {
        sym_t *s = sym_find(c, *names);
        if (!s)
            continue;
        long long v = 0;
        if (eval_sym(c, s, &v))
            return -1;
        if (v < 0 || v > 0xFFFFFFFFll)
            return fail(c, FW_LAYOUT_ERR_EXPR, "\"%s\": %s = \"%s\" is outside 0..0xFFFFFFFF",
                        s->key ? s->key : s->name, s->name, s->expr), -1;
        *out = (uint32_t)v;
        return 1;
    }
    return 0;
}

static int need(mctx_t *c, const char *const *names, uint32_t *out)
{
    int r = lookup(c, names, out);
    if (r == 0) {
        char list[256] = "";
        for (size_t i = 0; names[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"", i ? " or " : "", names[i]);
        fail(c, FW_LAYOUT_ERR_KEY, "none of %s is set%s%s", list, "", "");
    }
    return r == 1 ? 0 : -1;
}

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

static int header_format(mctx_t *c, const json_t *fmt, fw_layout_t *l)
{
    uint32_t hv = 2;
    l->header_format = FW_HDR_V2;
    if (lookup(c, NAMES("update-client.firmware-header-version"), &hv) < 0)
        return -1;
    if (hv != 2)
        return fail(c, FW_LAYOUT_ERR_KEY, "\"%s\": header version %s is not supported (2%s)",
                    "update-client.firmware-header-version", hv == 3 ? "3" : "other", " only");
    /* target.header_format: [["magic", "const", "32le", "0x5c0253a3"], ...] */
    const json_t *magic = json_array_get(json_array_get(fmt, 0), 3);
    if (!fmt)
        return 0;
    if (json_is_string(magic) && strtoul(json_string_value(magic), NULL, 0) == 0x5c0253a3ul) {
        l->header_format = FW_HDR_FOTA;
        return 0;
    }
    return fail(c, FW_LAYOUT_ERR_KEY, "\"%s\": a header whose first field is not the FOTA magic "
                "0x5c0253a3%s%s", "target.header_format", "", "");
}

static int derive(mctx_t *c, const json_t *fmt, fw_layout_t *l)
{
    uint32_t rom_start = l->flash_base;
    if (header_format(c, fmt, l) ||
        need(c, NAMES("update-client.application-details", "target.header_offset"), &l->active_header) ||
        need(c, NAMES("mbed-bootloader.application-start-address", "target.app_offset"), &l->app_start))
        return c->rc;
    int app_side = sym_find(c, "target.header_offset") != NULL;   /* restrict_size bounds the app */
    if (need(c, app_side ? NAMES("mbed-bootloader.max-application-size", "target.restrict_size")
                         : NAMES("mbed-bootloader.max-application-size"), &l->app_max_size))
        return c->rc;
    int r = lookup(c, NAMES("mbed-bootloader.bootloader-size", "MBED_BOOTLOADER_SIZE"), &l->bootloader_size);
    if (r < 0)
        return c->rc;
    if (r == 0)   /* an application's config: the bootloader image fills flash below the header */
        l->bootloader_size = l->active_header - rom_start;
    if (lookup(c, NAMES("MBED_BOOTLOADER_ACTIVE_HEADER_REGION_SIZE"), &l->active_header_size) < 0 ||
        need(c, NAMES("storage_tdb_internal.internal_size", "MBED_CONF_STORAGE_TDB_INTERNAL_INTERNAL_SIZE",
                      "KVSTORE_SIZE"), &l->kvstore_size))
        return c->rc;
    /* Without an explicit base, the KVStore starts where the active application ends (the
     * classic config's own documentation: "from the beginning of the second bank"). */
    r = lookup(c, NAMES("storage_tdb_internal.internal_base_address",
                        "MBED_CONF_STORAGE_TDB_INTERNAL_INTERNAL_BASE_ADDRESS"), &l->kvstore_start);
    if (r < 0)
        return c->rc;
    if (r == 0)
        l->kvstore_start = l->app_start + l->app_max_size;
    if (need(c, NAMES("update-client.storage-address", "MBED_CLOUD_CLIENT_FOTA_STORAGE_START_ADDR"),
             &l->candidate_start) ||
        need(c, NAMES("update-client.storage-size", "MBED_CLOUD_CLIENT_FOTA_STORAGE_SIZE"),
             &l->candidate_size) ||
        lookup(c, NAMES("update-client.storage-page"), &l->program_unit) < 0)
        return c->rc;
    return 0;
}

static int collect(mctx_t *c, const json_t *root, const char *target, size_t ti, const json_t **fmt)
{
    char buf[32];
    hex(buf, sizeof buf, targets[ti].rom_start);
    sym_set(c, "MBED_ROM_START", NULL, buf);
    hex(buf, sizeof buf, targets[ti].rom_size);
    sym_set(c, "MBED_ROM_SIZE", NULL, buf);
    if (add_macros(c, json_object_get(root, "macros"), "macros") || add_config_defaults(c, root))
        return c->rc;
    const json_t *ov = json_object_get(root, "target_overrides");
    const char *blocks[] = { "*", target };
    *fmt = NULL;
    for (size_t b = 0; b < 2; b++) {
        const json_t *blk = json_object_get(ov, blocks[b]);
        if (blk && add_settings(c, root, blk))
            return c->rc;
        if (json_object_get(blk, "target.header_format"))
            *fmt = json_object_get(blk, "target.header_format");
    }
    /* A bootloader build: the "application" region is the bootloader, restrict_size rounded down
     * to a sector (Mbed tools' Config._generate_bootloader_build). */
    uint32_t rs;
    if (!sym_find(c, "target.header_offset") && lookup(c, NAMES("target.restrict_size"), &rs) == 1) {
        uint32_t sz = (targets[ti].rom_start + rs) / targets[ti].sector * targets[ti].sector - targets[ti].rom_start;
        hex(buf, sizeof buf, targets[ti].rom_start);
        sym_set(c, "APPLICATION_ADDR", NULL, buf);
        hex(buf, sizeof buf, sz);
        sym_set(c, "APPLICATION_SIZE", NULL, buf);
    }
    return c->rc;
}

int fw_layout_from_mbed(const char *path, const char *target, const char *name, fw_layout_t *l,
                        char *err, size_t errlen)
{
    if (!target)
        target = "K64F";
    size_t ti = 0;
    while (ti < sizeof targets / sizeof targets[0] && strcmp(targets[ti].target, target))
        ti++;
    if (ti == sizeof targets / sizeof targets[0]) {
        seterr(err, errlen, "%s: unknown target '%s' (known: K64F)", path, target);
        return FW_LAYOUT_ERR_NOTFOUND;
    }
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root || !json_is_object(root)) {
        if (!root && je.line < 0)
            seterr(err, errlen, "%s: cannot read: %s", path, je.text);
        else if (!root)
            seterr(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        else
            seterr(err, errlen, "%s: an Mbed configuration is one JSON object", path);
        json_decref(root);
        return root || je.line >= 0 ? FW_LAYOUT_ERR_SYNTAX : FW_LAYOUT_ERR_IO;
    }
    mctx_t c = { .path = path, .err = err, .errlen = errlen };
    memset(l, 0, sizeof *l);
    l->flash_base = targets[ti].rom_start;
    l->flash_size = targets[ti].rom_size;
    l->sector_size = targets[ti].sector;
    l->program_unit = 8;
    const json_t *fmt = NULL;
    int rc = collect(&c, root, target, ti, &fmt);
    if (!rc)
        rc = derive(&c, fmt, l);
    if (!rc) {
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        size_t n = strlen(b);
        if (n > 5 && !strcmp(b + n - 5, ".json"))
            n -= 5;
        snprintf(l->name, sizeof l->name, "%.*s", (int)n, name ? name : b);
        if (name)
            snprintf(l->name, sizeof l->name, "%s", name);
        rc = fw_layout_validate(l, err, errlen);
    }
    for (size_t i = 0; i < c.n; i++) {
        free(c.s[i].name);
        free(c.s[i].key);
        free(c.s[i].expr);
    }
    free(c.s);
    json_decref(root);
    return rc;
}
