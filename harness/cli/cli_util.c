/* What the verbs share: option errors, numbers, input files, hex, JSON out (cli.h). */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bundled.h"
#include "codec/input.h"
#include "codec/layout.h"
#include "codec/manifest.h"

void cli_getopt_reset(void)
{
    optind = 0;
    opterr = 0;
}

int cli_usage(const char *who, const char *verb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", who);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'fwemu %s --help')\n", verb);
    va_end(ap);
    return FWEMU_EXIT_USAGE;
}

int cli_fail(int status, const char *who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", who);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return status;
}

int cli_opt_error(const char *who, const char *verb, int c, char **argv)
{
    if (c == ':')
        return cli_usage(who, verb, "option '%s' needs a value", argv[optind - 1]);
    if (optopt && optopt < 256)
        return cli_usage(who, verb, "unknown option '-%c'", optopt);
    return cli_usage(who, verb, "unknown or ambiguous option '%s'", argv[optind - 1]);
}

int cli_parse_u64(const char *s, int base, uint64_t *v)
{
    if (!s || !(s[0] >= '0' && s[0] <= '9'))
        return CLI_ERR_NUMBER;
    if (base == 10)
        for (const char *p = s; *p; p++)
            if (*p < '0' || *p > '9')
                return CLI_ERR_NUMBER;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, base);
    if (*end)
        return CLI_ERR_NUMBER;
    if (errno == ERANGE)
        return CLI_ERR_RANGE;
    *v = (uint64_t)x;
    return CLI_OK;
}

int cli_number(const char *who, const char *opt, const char *s, uint64_t *v)
{
    switch (cli_parse_u64(s, 10, v)) {
    case CLI_OK:
        return FWEMU_EXIT_OK;
    case CLI_ERR_RANGE:
        return cli_fail(FWEMU_EXIT_USAGE, who, "%s: '%s' is out of range (at most %" PRIu64 ")", opt, s,
                        UINT64_MAX);
    default:
        return cli_fail(FWEMU_EXIT_USAGE, who, "%s: '%s' is not a number", opt, s);
    }
}

int cli_read_file(const char *who, const char *opt, const char *path, size_t max, uint8_t **out,
                  size_t *len)
{
    char err[512];
    int rc = input_read_file(path, max, out, len, err, sizeof err);
    if (rc == INPUT_OK)
        return FWEMU_EXIT_OK;
    int status = rc == INPUT_ERR_NOMEM ? FWEMU_EXIT_INTERNAL : FWEMU_EXIT_USAGE;
    if (opt)
        return cli_fail(status, who, "%s: %s", opt, err);
    return cli_fail(status, who, "%s", err);
}

static int unknown_bundled(const char *who, const char *opt, const char *name)
{
    fprintf(stderr, "%s: ", who);
    if (opt)
        fprintf(stderr, "%s: ", opt);
    fprintf(stderr, "no bundled image '%s' (have:", name);
    for (size_t i = 0; i < bundled_count(); i++)
        fprintf(stderr, "%s %s", i ? "," : "", bundled_get(i)->name);
    fprintf(stderr, ")\n");
    return FWEMU_EXIT_USAGE;
}

int cli_read_input(const char *who, const char *opt, const char *arg, size_t max, uint8_t **out,
                   size_t *len)
{
    static const size_t plen = sizeof CLI_BUNDLED_PREFIX - 1;
    if (strncmp(arg, CLI_BUNDLED_PREFIX, plen) != 0)
        return cli_read_file(who, opt, arg, max, out, len);
    *out = NULL;
    *len = 0;
    const bundled_image_t *b = bundled_find(arg + plen);
    if (!b)
        return unknown_bundled(who, opt, arg + plen);
    *out = malloc(b->size ? b->size : 1);
    if (!*out)
        return cli_fail(FWEMU_EXIT_INTERNAL, who, "out of memory");
    memcpy(*out, b->data, b->size);
    *len = b->size;
    return FWEMU_EXIT_OK;
}

int cli_load_key(const char *who, const char *path, struct mf_key **key, const char **name)
{
    char err[512];
    int rc;
    if (!path || !strcmp(path, "bundled:dev")) {
        size_t len = 0;
        const uint8_t *pem = bundled_dev_key(&len);
        rc = mf_key_parse(pem, len, CLI_BUNDLED_KEY_NAME, key, err, sizeof err);
        *name = CLI_BUNDLED_KEY_NAME;
    } else {
        rc = mf_key_load(path, key, err, sizeof err);
        *name = path;
    }
    if (rc)
        return cli_fail(rc == MF_ERR_NOMEM ? FWEMU_EXIT_INTERNAL : FWEMU_EXIT_USAGE, who, "%s", err);
    return FWEMU_EXIT_OK;
}

void cli_hex(char *out, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = 0;
}

int cli_print_json(json_t *o)
{
    int rc = o ? json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : -1;
    json_decref(o);
    if (rc)
        return FWEMU_EXIT_INTERNAL;
    fputc('\n', stdout);
    return FWEMU_EXIT_OK;
}

int cli_dispatch(const char *verb, void (*usage)(FILE *), const cli_sub_t *subs, size_t nsubs,
                 int argc, char **argv)
{
    char who[64], names[128] = "";
    snprintf(who, sizeof who, "fwemu %s", verb);
    for (size_t i = 0; i < nsubs; i++) {
        size_t n = strlen(names);
        snprintf(names + n, sizeof names - n, "%s%s", i ? (i + 1 == nsubs ? " or " : ", ") : "",
                 subs[i].name);
    }
    if (argc < 2)
        return cli_usage(who, verb, "missing sub-command: %s", names);
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
        usage(stdout);
        return FWEMU_EXIT_OK;
    }
    for (size_t i = 0; i < nsubs; i++)
        if (!strcmp(sub, subs[i].name))
            return subs[i].run(argc - 1, argv + 1);
    return cli_usage(who, verb, "unknown sub-command '%s': %s", sub, names);
}

int cli_layout(const char *who, const char *arg, fw_layout_t *l)
{
    char err[512];
    int rc = fw_layout_resolve(arg, NULL, l, err, sizeof err);
    if (rc == FW_LAYOUT_ERR_NOMEM)
        return cli_fail(FWEMU_EXIT_INTERNAL, who, "--layout: %s", err);
    return rc ? cli_fail(FWEMU_EXIT_USAGE, who, "--layout: %s", err) : FWEMU_EXIT_OK;
}
