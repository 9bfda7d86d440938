/* fwemu delta create|apply|show: PELION/BSDIFF001 delta payloads (codec/delta.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>

#include "cli/cli.h"
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

/* The options of every sub-command, parsed together so that a create option given to apply is
 * named as such. */
typedef struct delta_args {
    const char *sub, *who;
    const char *output;
    delta_opts_t o;
    int mutate;                       /* -1: none */
    int json, have_block, have_ratio;
    const char *p1, *p2;              /* OLD NEW | OLD PATCH | PATCH */
} delta_args_t;

static int read_raw(const delta_args_t *a, const char *what, const char *path, uint8_t **data, size_t *len)
{
    int rc = cli_read_file(a->who, NULL, path, MAX_INPUT, data, len);
    if (rc)
        return rc;
    const uint8_t *d = *data;
    if (*len >= 4 && d[0] == 0x7f && d[1] == 'E' && d[2] == 'L' && d[3] == 'F') {
        free(*data);
        *data = NULL;
        return cli_fail(FWEMU_EXIT_USAGE, a->who, "%s: %s is an ELF file; give the raw binary (.bin)", path, what);
    }
    return FWEMU_EXIT_OK;
}

static int write_out(const delta_args_t *a, const uint8_t *d, size_t n)
{
    char err[512];
    int rc = fileio_write_atomic(a->output, d, n, err, sizeof err);
    if (rc == FILEIO_OK)
        return FWEMU_EXIT_OK;
    return cli_fail(rc == FILEIO_ERR_IO ? FWEMU_EXIT_USAGE : FWEMU_EXIT_INTERNAL, a->who, "%s", err);
}

/* An error from delta_apply / delta_info on PATCH: malformed -> 1, else 3. */
static int patch_error(const delta_args_t *a, const char *path, int rc, const char *err)
{
    const char *reason = delta_reason(rc);
    if (reason)
        return cli_fail(FWEMU_EXIT_FAIL, a->who, "%s: %s: %s", path, reason, err);
    return cli_fail(FWEMU_EXIT_INTERNAL, a->who, "%s: %s", path, err[0] ? err : delta_strerror(rc));
}

static int parse_block(const char *who, const char *s, uint32_t *v)
{
    uint64_t x;
    if (cli_parse_u64(s, 10, &x) || x < DELTA_BLOCK_MIN || x > DELTA_BLOCK_MAX)
        return cli_fail(FWEMU_EXIT_USAGE, who, "--block-size: '%s' is not a number in %u..%u", s,
                        DELTA_BLOCK_MIN, DELTA_BLOCK_MAX);
    *v = (uint32_t)x;
    return FWEMU_EXIT_OK;
}

static int parse_ratio(const char *who, const char *s, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (!s[0] || errno || *end || !isfinite(x) || !(x > 0))
        return cli_fail(FWEMU_EXIT_USAGE, who, "--max-ratio: '%s' is not a positive number", s);
    *v = x;
    return FWEMU_EXIT_OK;
}

/* Options and operands of sub-command a->sub (argv[0]). Returns an exit status; -1 after --help. */
static int parse_args(int argc, char **argv, delta_args_t *a)
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
    cli_getopt_reset();
    int c, rc;
    while ((c = getopt_long(argc, argv, ":o:b:r:m:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->output = optarg; break;
        case 'b':
            if ((rc = parse_block(a->who, optarg, &a->o.block_size)))
                return rc;
            a->have_block = 1;
            break;
        case 'r':
            if ((rc = parse_ratio(a->who, optarg, &a->o.max_ratio)))
                return rc;
            a->have_ratio = 1;
            break;
        case 'm':
            a->mutate = delta_mutation_parse(optarg);
            if (a->mutate < 0)
                return cli_fail(FWEMU_EXIT_USAGE, a->who, "--mutate: unknown kind '%s' (magic, "
                                "header, varint, sizes, seek, frame, lz4, truncated)", optarg);
            break;
        case 'j': a->json = 1; break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            return cli_opt_error(a->who, "delta", c, argv);
        }
    }
    bool show = !strcmp(a->sub, "show"), apply = !strcmp(a->sub, "apply");
    int npos = argc - optind, want = show ? 1 : 2;
    if (npos != want)
        return cli_usage(a->who, "delta", "expected %s, got %d argument%s",
                         show ? "PATCH" : apply ? "OLD PATCH" : "OLD NEW", npos, npos == 1 ? "" : "s");
    if (!show && !a->output)
        return cli_usage(a->who, "delta", "missing -o/--output");
    if (show && a->output)
        return cli_fail(FWEMU_EXIT_USAGE, a->who, "-o/--output is not used by show");
    if (strcmp(a->sub, "create") && (a->have_block || a->have_ratio || a->mutate >= 0))
        return cli_fail(FWEMU_EXIT_USAGE, a->who, "--block-size, --max-ratio and --mutate are options of create");
    if (apply && a->json)
        return cli_fail(FWEMU_EXIT_USAGE, a->who, "--json is an option of create and show");
    a->p1 = argv[optind];
    a->p2 = npos > 1 ? argv[optind + 1] : NULL;
    return FWEMU_EXIT_OK;
}

/* The counts of a parsed patch, the last members of show's and create's JSON. */
static void add_counts(json_t *j, const delta_info_t *in)
{
    json_object_set_new(j, "controls", json_integer(in->controls));
    json_object_set_new(j, "frames", json_integer(in->frames));
    json_object_set_new(j, "diff_bytes", json_integer((json_int_t)in->diff_bytes));
    json_object_set_new(j, "extra_bytes", json_integer((json_int_t)in->extra_bytes));
}

static int do_show(const delta_args_t *a)
{
    uint8_t *d = NULL;
    size_t n = 0;
    char err[512] = "";
    delta_info_t in;
    int rc = cli_read_file(a->who, NULL, a->p1, MAX_INPUT, &d, &n);
    if (rc)
        return rc;
    int drc = delta_info(d, n, &in, err, sizeof err);
    free(d);
    if (drc)
        return patch_error(a, a->p1, drc, err);
    uint32_t bound = (uint32_t)LZ4_COMPRESSBOUND((int)in.block_size);
    if (a->json) {
        json_t *j = json_object();
        json_object_set_new(j, "file", json_string(a->p1));
        json_object_set_new(j, "format", json_string(DELTA_MAGIC));
        json_object_set_new(j, "patch_size", json_integer((json_int_t)n));
        json_object_set_new(j, "new_size", json_integer((json_int_t)in.new_size));
        json_object_set_new(j, "block_size", json_integer(in.block_size));
        json_object_set_new(j, "device_accepts_block", json_boolean(in.block_size <= DELTA_BLOCK_DEVICE_MAX));
        json_object_set_new(j, "max_compressed", json_integer(in.max_compressed));
        json_object_set_new(j, "compress_bound", json_integer(bound));
        add_counts(j, &in);
        return cli_print_json(j);
    }
    printf("%s: %s delta, %zu bytes\n", a->p1, DELTA_MAGIC, n);
    printf("new size:        %" PRIu64 " bytes\n", in.new_size);
    printf("block size:      %" PRIu32 "%s\n", in.block_size, in.block_size > DELTA_BLOCK_DEVICE_MAX
           ? " (above the device's 1024: it rejects this patch, delta-header)" : "");
    printf("max compressed:  %" PRIu32 " bytes (bound for the block size: %" PRIu32 ")\n",
           in.max_compressed, bound);
    printf("controls:        %" PRIu32 "\n", in.controls);
    printf("frames:          %" PRIu32 "\n", in.frames);
    printf("diff bytes:      %" PRIu64 "\n", in.diff_bytes);
    printf("extra bytes:     %" PRIu64 "\n", in.extra_bytes);
    return FWEMU_EXIT_OK;
}

static int do_apply(const delta_args_t *a)
{
    uint8_t *old = NULL, *patch = NULL, *res = NULL;
    size_t oldlen = 0, patchlen = 0, rlen = 0;
    char err[512] = "";
    int rc = read_raw(a, "OLD", a->p1, &old, &oldlen);
    if (!rc)
        rc = cli_read_file(a->who, NULL, a->p2, MAX_INPUT, &patch, &patchlen);
    if (!rc) {
        int drc = delta_apply(old, oldlen, patch, patchlen, 0, &res, &rlen, err, sizeof err);
        rc = drc ? patch_error(a, a->p2, drc, err) : write_out(a, res, rlen);
    }
    if (!rc)
        printf("%s: %zu bytes from %s (%zu bytes) and %s (%zu bytes)\n", a->output, rlen, a->p1, oldlen,
               a->p2, patchlen);
    free(old);
    free(patch);
    free(res);
    return rc;
}

/* The summary of a deliberately malformed patch (create --mutate). */
static int mutated_summary(const delta_args_t *a, size_t rlen, size_t newlen)
{
    uint32_t block = a->o.block_size ? a->o.block_size : DELTA_BLOCK_DEFAULT;
    const char *kind = delta_mutation_name((delta_mutation_t)a->mutate);
    const char *expect = delta_reason(delta_mutation_error((delta_mutation_t)a->mutate));
    fprintf(stderr, "fwemu delta create: warning: %s is deliberately malformed (%s): apply fails with %s\n",
            a->output, kind, expect);
    if (a->json) {
        json_t *j = json_object();
        json_object_set_new(j, "patch", json_string(a->output));
        json_object_set_new(j, "patch_size", json_integer((json_int_t)rlen));
        json_object_set_new(j, "new_size", json_integer((json_int_t)newlen));
        json_object_set_new(j, "block_size", json_integer(block));
        json_object_set_new(j, "mutation", json_string(kind));
        json_object_set_new(j, "expect", json_string(expect));
        return cli_print_json(j);
    }
    printf("%s: %zu bytes, deliberately malformed (%s), block %" PRIu32 "\n", a->output, rlen, kind, block);
    return FWEMU_EXIT_OK;
}

static int created_summary(const delta_args_t *a, const uint8_t *patch, size_t rlen, size_t oldlen,
                           size_t newlen)
{
    char err[512] = "";
    delta_info_t in;
    if (delta_info(patch, rlen, &in, err, sizeof err))   /* our own patch must parse */
        return cli_fail(FWEMU_EXIT_INTERNAL, a->who, "%s: internal error: the new patch does not parse: %s",
                        a->output, err);
    double pct = newlen ? 100.0 * (double)rlen / (double)newlen : 0.0;
    if (a->json) {
        json_t *j = json_object();
        json_object_set_new(j, "patch", json_string(a->output));
        json_object_set_new(j, "patch_size", json_integer((json_int_t)rlen));
        json_object_set_new(j, "new", json_string(a->p2));
        json_object_set_new(j, "new_size", json_integer((json_int_t)newlen));
        json_object_set_new(j, "old_size", json_integer((json_int_t)oldlen));
        json_object_set_new(j, "percent", json_real((double)(long long)(pct * 10 + 0.5) / 10));
        json_object_set_new(j, "block_size", json_integer(in.block_size));
        json_object_set_new(j, "max_compressed", json_integer(in.max_compressed));
        add_counts(j, &in);
        return cli_print_json(j);
    }
    printf("%s: %zu bytes (%.1f%% of %s's %zu bytes), block %" PRIu32 ", %" PRIu32 " controls, %" PRIu32
           " frames\n", a->output, rlen, pct, a->p2, newlen, in.block_size, in.controls, in.frames);
    return FWEMU_EXIT_OK;
}

static int do_create(const delta_args_t *a)
{
    uint8_t *old = NULL, *new_ = NULL, *res = NULL;
    size_t oldlen = 0, newlen = 0, rlen = 0;
    char err[512] = "";
    int rc = read_raw(a, "OLD", a->p1, &old, &oldlen);
    if (!rc)
        rc = read_raw(a, "NEW", a->p2, &new_, &newlen);
    if (rc)
        goto done;
    int drc = a->mutate >= 0
                  ? delta_mutate(old, oldlen, new_, newlen, &a->o, (delta_mutation_t)a->mutate, &res, &rlen,
                                 err, sizeof err)
                  : delta_create(old, oldlen, new_, newlen, &a->o, &res, &rlen, err, sizeof err);
    if (drc) {
        rc = cli_fail(drc == DELTA_ERR_TOO_BIG ? FWEMU_EXIT_FAIL
                      : drc == DELTA_ERR_ARG && a->mutate >= 0 ? FWEMU_EXIT_USAGE : FWEMU_EXIT_INTERNAL,
                      a->who, "%s: %s", a->output, err[0] ? err : delta_strerror(drc));
        goto done;
    }
    if ((rc = write_out(a, res, rlen)))
        goto done;
    rc = a->mutate >= 0 ? mutated_summary(a, rlen, newlen) : created_summary(a, res, rlen, oldlen, newlen);
done:
    free(old);
    free(new_);
    free(res);
    return rc;
}

static int run_sub(int argc, char **argv, int (*fn)(const delta_args_t *))
{
    char who[64];
    snprintf(who, sizeof who, "fwemu delta %s", argv[0]);
    delta_args_t a = { .sub = argv[0], .who = who, .mutate = -1 };
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? FWEMU_EXIT_OK : rc;
    return fn(&a);
}

static int sub_create(int argc, char **argv) { return run_sub(argc, argv, do_create); }
static int sub_apply(int argc, char **argv) { return run_sub(argc, argv, do_apply); }
static int sub_show(int argc, char **argv) { return run_sub(argc, argv, do_show); }

int cmd_delta(int argc, char **argv)
{
    static const cli_sub_t subs[] = { { "create", sub_create }, { "apply", sub_apply }, { "show", sub_show } };
    return cli_dispatch("delta", usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}
