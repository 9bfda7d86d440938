/* fwemu delta: create, apply or show a PELION/BSDIFF001 delta payload (harness/delta.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lz4.h>

#include "cli/cmds.h"
#include "codec/delta.h"
#include "fileio.h"

#define MAX_INPUT ((size_t)256 << 20)

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fwemu delta create OLD NEW -o PATCH [--block-size N] [--max-ratio R] [--mutate KIND] [--json]\n"
        "       fwemu delta apply OLD PATCH -o NEW\n"
        "       fwemu delta show PATCH [--json]\n"
        "\n"
        "Make, apply or decode a delta payload in the Pelion \"arm-patch-stream\" format (file magic\n"
        "PELION/BSDIFF001: bsdiff controls, diff and extra runs cut into LZ4-compressed frames of the\n"
        "block size; docs/update-flow.md section 5). OLD and NEW are raw binaries, exactly the bytes of\n"
        "the firmware (an ELF is not handled here: give the .bin).\n"
        "\n"
        "create   write PATCH, which rebuilds NEW from OLD; one line of statistics on stdout. Refused\n"
        "         (exit 1) when the patch would be at least R x NEW's size, like Pelion's tool.\n"
        "apply    rebuild NEW from OLD and PATCH; a malformed patch fails with exit 1 and the device's\n"
        "         reason (delta-magic, delta-header, delta-varint, delta-sizes, delta-seek, delta-frame,\n"
        "         delta-lz4, delta-truncated) and the patch offset at fault.\n"
        "show     decode PATCH's header and every frame (no old image: seeks are not checked) and print\n"
        "         its statistics.\n"
        "\n"
        "options:\n"
        "  -o, --output FILE     the file to write (replaced atomically)\n"
        "  -b, --block-size N    frame size, %u..%u (default %u; the device accepts up to %u)\n"
        "  -r, --max-ratio R     refuse patches of R x NEW's size or more (default %.1f; >= 1: no limit)\n"
        "  -m, --mutate KIND     write a deliberately malformed patch for tests, broken in one way:\n"
        "                        magic, header, varint, sizes, seek, frame, lz4 or truncated\n"
        "                        (apply then fails with delta-KIND); no ratio limit\n"
        "  -j, --json            print one JSON object instead of text (create, show)\n"
        "  -h, --help            show this help and exit\n"
        "\n"
        "exit status: 0 ok, 1 patch refused (too big) or malformed, 2 usage or input error,\n"
        "3 internal error\n",
        DELTA_BLOCK_MIN, DELTA_BLOCK_MAX, DELTA_BLOCK_DEFAULT, DELTA_BLOCK_DEVICE_MAX,
        DELTA_MAX_RATIO_DEFAULT);
}

/* Read a whole file (at most MAX_INPUT bytes). Returns an exit status. */
static int read_file(const char *sub, const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fwemu delta %s: %s: cannot open: %s\n", sub, path, strerror(errno));
        return FWEMU_EXIT_USAGE;
    }
    size_t cap = 0, n = 0;
    uint8_t *buf = NULL;
    for (;;) {
        if (n == cap) {
            if (cap >= MAX_INPUT) {
                fprintf(stderr, "fwemu delta %s: %s: larger than %zu bytes\n", sub, path, MAX_INPUT);
                free(buf);
                fclose(f);
                return FWEMU_EXIT_USAGE;
            }
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                fprintf(stderr, "fwemu delta %s: %s: out of memory\n", sub, path);
                free(buf);
                fclose(f);
                return FWEMU_EXIT_INTERNAL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                fprintf(stderr, "fwemu delta %s: %s: read error: %s\n", sub, path, strerror(errno));
                free(buf);
                fclose(f);
                return FWEMU_EXIT_USAGE;
            }
            break;
        }
    }
    fclose(f);
    *data = buf;
    *len = n;
    return FWEMU_EXIT_OK;
}

static int is_elf(const uint8_t *d, size_t n)
{
    return n >= 4 && d[0] == 0x7f && d[1] == 'E' && d[2] == 'L' && d[3] == 'F';
}

static int read_raw(const char *sub, const char *what, const char *path, uint8_t **data, size_t *len)
{
    int rc = read_file(sub, path, data, len);
    if (rc)
        return rc;
    if (is_elf(*data, *len)) {
        fprintf(stderr, "fwemu delta %s: %s: %s is an ELF file; give the raw binary (.bin)\n", sub, path,
                what);
        free(*data);
        *data = NULL;
        return FWEMU_EXIT_USAGE;
    }
    return FWEMU_EXIT_OK;
}

static int write_out(const char *sub, const char *path, const uint8_t *d, size_t n)
{
    char err[512];
    int rc = fileio_write_atomic(path, d, n, err, sizeof err);
    if (rc == FILEIO_OK)
        return FWEMU_EXIT_OK;
    fprintf(stderr, "fwemu delta %s: %s\n", sub, err);
    return rc == FILEIO_ERR_IO ? FWEMU_EXIT_USAGE : FWEMU_EXIT_INTERNAL;
}

/* An error from delta_apply / delta_info on PATCH: malformed -> 1, else 3. */
static int patch_error(const char *sub, const char *path, int rc, const char *err)
{
    const char *reason = delta_reason(rc);
    if (reason) {
        fprintf(stderr, "fwemu delta %s: %s: %s: %s\n", sub, path, reason, err);
        return FWEMU_EXIT_FAIL;
    }
    fprintf(stderr, "fwemu delta %s: %s: %s\n", sub, path, err[0] ? err : delta_strerror(rc));
    return FWEMU_EXIT_INTERNAL;
}

static int print_json(json_t *o)
{
    int rc = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (rc)
        return FWEMU_EXIT_INTERNAL;
    fputc('\n', stdout);
    return FWEMU_EXIT_OK;
}

static int parse_block(const char *s, uint32_t *v)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        goto bad;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end || x < DELTA_BLOCK_MIN || x > DELTA_BLOCK_MAX)
        goto bad;
    *v = (uint32_t)x;
    return 0;
bad:
    fprintf(stderr, "fwemu delta create: --block-size: '%s' is not a number in %u..%u\n", s,
            DELTA_BLOCK_MIN, DELTA_BLOCK_MAX);
    return -1;
}

static int parse_ratio(const char *s, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (!s[0] || errno || *end || !isfinite(x) || !(x > 0)) {
        fprintf(stderr, "fwemu delta create: --max-ratio: '%s' is not a positive number\n", s);
        return -1;
    }
    *v = x;
    return 0;
}

enum { SUB_CREATE, SUB_APPLY, SUB_SHOW };

int cmd_delta(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "block-size", required_argument, NULL, 'b' },
        { "max-ratio", required_argument, NULL, 'r' },
        { "mutate", required_argument, NULL, 'm' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *sub = argc > 1 ? argv[1] : NULL;
    int which;
    if (!sub) {
        fprintf(stderr, "fwemu delta: missing sub-command create, apply or show (see 'fwemu delta --help')\n");
        return FWEMU_EXIT_USAGE;
    }
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
        usage(stdout);
        return FWEMU_EXIT_OK;
    }
    if (!strcmp(sub, "create"))
        which = SUB_CREATE;
    else if (!strcmp(sub, "apply"))
        which = SUB_APPLY;
    else if (!strcmp(sub, "show"))
        which = SUB_SHOW;
    else {
        fprintf(stderr, "fwemu delta: unknown sub-command '%s' (create, apply or show; see 'fwemu delta --help')\n",
                sub);
        return FWEMU_EXIT_USAGE;
    }
    argc--;
    argv++;

    const char *output = NULL;
    delta_opts_t o = { 0 };
    int mutate = -1, json = 0, have_block = 0, have_ratio = 0;
    optind = 0;     /* full re-initialisation of getopt (glibc), verbs may run more than once */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:b:r:m:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'b':
            if (parse_block(optarg, &o.block_size))
                return FWEMU_EXIT_USAGE;
            have_block = 1;
            break;
        case 'r':
            if (parse_ratio(optarg, &o.max_ratio))
                return FWEMU_EXIT_USAGE;
            have_ratio = 1;
            break;
        case 'm':
            mutate = delta_mutation_parse(optarg);
            if (mutate < 0) {
                fprintf(stderr, "fwemu delta create: --mutate: unknown kind '%s' (magic, header, varint, "
                        "sizes, seek, frame, lz4, truncated)\n", optarg);
                return FWEMU_EXIT_USAGE;
            }
            break;
        case 'j': json = 1; break;
        case 'h':
            usage(stdout);
            return FWEMU_EXIT_OK;
        case ':':
            fprintf(stderr, "fwemu delta %s: option '%s' needs an argument (see 'fwemu delta --help')\n",
                    sub, argv[optind - 1]);
            return FWEMU_EXIT_USAGE;
        default:
            if (optopt && optopt < 256)
                fprintf(stderr, "fwemu delta %s: unknown option '-%c' (see 'fwemu delta --help')\n", sub,
                        optopt);
            else
                fprintf(stderr, "fwemu delta %s: unknown or ambiguous option '%s' (see 'fwemu delta --help')\n",
                        sub, argv[optind - 1]);
            return FWEMU_EXIT_USAGE;
        }
    }
    int npos = argc - optind, want = which == SUB_SHOW ? 1 : 2;
    if (npos != want) {
        fprintf(stderr, "fwemu delta %s: expected %s, got %d argument%s (see 'fwemu delta --help')\n", sub,
                which == SUB_CREATE ? "OLD NEW" : which == SUB_APPLY ? "OLD PATCH" : "PATCH", npos,
                npos == 1 ? "" : "s");
        return FWEMU_EXIT_USAGE;
    }
    if (which != SUB_SHOW && !output) {
        fprintf(stderr, "fwemu delta %s: missing -o/--output (see 'fwemu delta --help')\n", sub);
        return FWEMU_EXIT_USAGE;
    }
    if (which == SUB_SHOW && output) {
        fprintf(stderr, "fwemu delta show: -o/--output is not used by show\n");
        return FWEMU_EXIT_USAGE;
    }
    if (which != SUB_CREATE && (have_block || have_ratio || mutate >= 0)) {
        fprintf(stderr, "fwemu delta %s: --block-size, --max-ratio and --mutate are options of create\n", sub);
        return FWEMU_EXIT_USAGE;
    }
    if (which == SUB_APPLY && json) {
        fprintf(stderr, "fwemu delta apply: --json is an option of create and show\n");
        return FWEMU_EXIT_USAGE;
    }

    char err[512] = "";
    uint8_t *a = NULL, *b = NULL, *res = NULL;
    size_t alen = 0, blen = 0, rlen = 0;
    int rc, drc;
    const char *p1 = argv[optind], *p2 = npos > 1 ? argv[optind + 1] : NULL;

    if (which == SUB_SHOW) {
        if ((rc = read_file(sub, p1, &a, &alen)))
            goto done;
        delta_info_t in;
        drc = delta_info(a, alen, &in, err, sizeof err);
        if (drc) {
            rc = patch_error(sub, p1, drc, err);
            goto done;
        }
        uint32_t bound = (uint32_t)LZ4_COMPRESSBOUND((int)in.block_size);
        if (json) {
            json_t *j = json_object();
            json_object_set_new(j, "file", json_string(p1));
            json_object_set_new(j, "format", json_string(DELTA_MAGIC));
            json_object_set_new(j, "patch_size", json_integer((json_int_t)alen));
            json_object_set_new(j, "new_size", json_integer((json_int_t)in.new_size));
            json_object_set_new(j, "block_size", json_integer(in.block_size));
            json_object_set_new(j, "device_accepts_block", json_boolean(in.block_size <= DELTA_BLOCK_DEVICE_MAX));
            json_object_set_new(j, "max_compressed", json_integer(in.max_compressed));
            json_object_set_new(j, "compress_bound", json_integer(bound));
            json_object_set_new(j, "controls", json_integer(in.controls));
            json_object_set_new(j, "frames", json_integer(in.frames));
            json_object_set_new(j, "diff_bytes", json_integer((json_int_t)in.diff_bytes));
            json_object_set_new(j, "extra_bytes", json_integer((json_int_t)in.extra_bytes));
            rc = print_json(j);
        } else {
            printf("%s: %s delta, %zu bytes\n", p1, DELTA_MAGIC, alen);
            printf("new size:        %" PRIu64 " bytes\n", in.new_size);
            printf("block size:      %" PRIu32 "%s\n", in.block_size,
                   in.block_size > DELTA_BLOCK_DEVICE_MAX ? " (above the device's 1024: it rejects this patch, delta-header)" : "");
            printf("max compressed:  %" PRIu32 " bytes (bound for the block size: %" PRIu32 ")\n",
                   in.max_compressed, bound);
            printf("controls:        %" PRIu32 "\n", in.controls);
            printf("frames:          %" PRIu32 "\n", in.frames);
            printf("diff bytes:      %" PRIu64 "\n", in.diff_bytes);
            printf("extra bytes:     %" PRIu64 "\n", in.extra_bytes);
            rc = FWEMU_EXIT_OK;
        }
        goto done;
    }

    if (which == SUB_APPLY) {
        if ((rc = read_raw(sub, "OLD", p1, &a, &alen)) || (rc = read_file(sub, p2, &b, &blen)))
            goto done;
        drc = delta_apply(a, alen, b, blen, 0, &res, &rlen, err, sizeof err);
        if (drc) {
            rc = patch_error(sub, p2, drc, err);
            goto done;
        }
        if ((rc = write_out(sub, output, res, rlen)))
            goto done;
        printf("%s: %zu bytes from %s (%zu bytes) and %s (%zu bytes)\n", output, rlen, p1, alen, p2, blen);
        rc = FWEMU_EXIT_OK;
        goto done;
    }

    /* create */
    if ((rc = read_raw(sub, "OLD", p1, &a, &alen)) || (rc = read_raw(sub, "NEW", p2, &b, &blen)))
        goto done;
    if (mutate >= 0)
        drc = delta_mutate(a, alen, b, blen, &o, (delta_mutation_t)mutate, &res, &rlen, err, sizeof err);
    else
        drc = delta_create(a, alen, b, blen, &o, &res, &rlen, err, sizeof err);
    if (drc) {
        fprintf(stderr, "fwemu delta create: %s: %s\n", output, err[0] ? err : delta_strerror(drc));
        rc = drc == DELTA_ERR_TOO_BIG ? FWEMU_EXIT_FAIL
             : drc == DELTA_ERR_ARG && mutate >= 0 ? FWEMU_EXIT_USAGE : FWEMU_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = write_out(sub, output, res, rlen)))
        goto done;
    double pct = blen ? 100.0 * (double)rlen / (double)blen : 0.0;
    uint32_t block = o.block_size ? o.block_size : DELTA_BLOCK_DEFAULT;
    if (mutate >= 0) {
        const char *kind = delta_mutation_name((delta_mutation_t)mutate);
        fprintf(stderr, "fwemu delta create: warning: %s is deliberately malformed (%s): apply fails with %s\n",
                output, kind, delta_reason(delta_mutation_error((delta_mutation_t)mutate)));
        if (json) {
            json_t *j = json_object();
            json_object_set_new(j, "patch", json_string(output));
            json_object_set_new(j, "patch_size", json_integer((json_int_t)rlen));
            json_object_set_new(j, "new_size", json_integer((json_int_t)blen));
            json_object_set_new(j, "block_size", json_integer(block));
            json_object_set_new(j, "mutation", json_string(kind));
            json_object_set_new(j, "expect", json_string(delta_reason(delta_mutation_error((delta_mutation_t)mutate))));
            rc = print_json(j);
        } else {
            printf("%s: %zu bytes, deliberately malformed (%s), block %" PRIu32 "\n", output, rlen, kind, block);
            rc = FWEMU_EXIT_OK;
        }
        goto done;
    }
    delta_info_t in;
    drc = delta_info(res, rlen, &in, err, sizeof err);
    if (drc) {  /* our own patch must parse */
        fprintf(stderr, "fwemu delta create: %s: internal error: the new patch does not parse: %s\n", output, err);
        rc = FWEMU_EXIT_INTERNAL;
        goto done;
    }
    if (json) {
        json_t *j = json_object();
        json_object_set_new(j, "patch", json_string(output));
        json_object_set_new(j, "patch_size", json_integer((json_int_t)rlen));
        json_object_set_new(j, "new", json_string(p2));
        json_object_set_new(j, "new_size", json_integer((json_int_t)blen));
        json_object_set_new(j, "old_size", json_integer((json_int_t)alen));
        json_object_set_new(j, "percent", json_real((double)(long long)(pct * 10 + 0.5) / 10));
        json_object_set_new(j, "block_size", json_integer(in.block_size));
        json_object_set_new(j, "max_compressed", json_integer(in.max_compressed));
        json_object_set_new(j, "controls", json_integer(in.controls));
        json_object_set_new(j, "frames", json_integer(in.frames));
        json_object_set_new(j, "diff_bytes", json_integer((json_int_t)in.diff_bytes));
        json_object_set_new(j, "extra_bytes", json_integer((json_int_t)in.extra_bytes));
        rc = print_json(j);
    } else {
        printf("%s: %zu bytes (%.1f%% of %s's %zu bytes), block %" PRIu32 ", %" PRIu32 " controls, %" PRIu32
               " frames\n", output, rlen, pct, p2, blen, in.block_size, in.controls, in.frames);
        rc = FWEMU_EXIT_OK;
    }
done:
    free(a);
    free(b);
    free(res);
    return rc;
}
