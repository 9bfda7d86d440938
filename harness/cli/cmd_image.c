/* fwemu image: build a flash image from a bootloader, an active firmware and a candidate. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "codec/bundled.h"
#include "codec/image.h"
#include "codec/layout.h"

static const char who[] = "fwemu image";

static void usage(FILE *f, const fw_layout_t *l)
{
    fprintf(f,
        "usage: fwemu image -o FLASH.bin --bootloader FILE --active FILE --active-version N\n"
        "                   [--candidate FILE --candidate-version N] [--layout L]\n"
        "\n"
        "Build a %" PRIu32 " MiB flash image in the layout %s (or --layout's): the bootloader at 0x%08" PRIx32 ", a v2 header for the active\n"
        "firmware at 0x%08" PRIx32 " and its body at 0x%08" PRIx32 ", and optionally a v2 header for a\n"
        "candidate at 0x%08" PRIx32 " with its payload at 0x%08" PRIx32 ". Everything else is erased (0xFF).\n"
        "\n"
        "options:\n"
        "  -o, --output FILE          the flash image to write (replaced atomically)\n"
        "      --bootloader FILE      the bootloader, linked at 0x%08" PRIx32 " (at most %" PRIu32 " bytes)\n"
        "      --active FILE          the active firmware, linked at 0x%08" PRIx32 " (at most %" PRIu32 " bytes)\n"
        "      --active-version N     firmwareVersion of the active header (unsigned 64-bit decimal)\n"
        "      --candidate FILE       a candidate firmware, linked at 0x%08" PRIx32 " (at most %" PRIu32 " bytes)\n"
        "      --candidate-version N  firmwareVersion of the candidate header (unsigned 64-bit decimal)\n"
        "      --layout L             the flash layout: a bundled name (mbed-classic, the default;\n"
        "                             mbed-fota) or a layout file; v2 header layouts only\n"
        "  -h, --help                 show this help and exit\n"
        "\n"
        "FILE is an ELF (its flash segments are flattened from the link address, gaps 0xFF), a raw\n"
        "binary, or bundled:NAME for an image built into fwemu:\n ",
        l->flash_size >> 20, l->name, l->bootloader_start, l->active_header, l->app_start, l->candidate_start,
        l->candidate_start + l->candidate_payload_offset,
        l->bootloader_start, l->bootloader_size, l->app_start, l->app_max_size,
        l->app_start, fw_layout_candidate_max(l));
    for (size_t i = 0; i < bundled_count(); i++) {
        const bundled_image_t *b = bundled_get(i);
        if (b)
            fprintf(f, "%s bundled:%s", i ? "," : "", b->name);
    }
    fprintf(f, ".\n"
        "\n"
        "exit status: 0 written, 2 usage or input error, 3 internal error\n");
}

/* A FILE argument (a path or bundled:NAME) as the body for link_base. Returns an exit status. */
static int load_part(const char *opt, const char *arg, uint32_t link_base, uint8_t **out,
                     size_t *len)
{
    uint8_t *file = NULL;
    size_t n = 0;
    int rc = cli_read_input(who, opt, arg, IMAGE_MAX_FILE, &file, &n);
    if (rc)
        return rc;
    char err[512];
    int irc = image_load_fw_buf(arg, file, n, link_base, out, len, err, sizeof err);
    free(file);
    if (irc == IMAGE_OK)
        return FWEMU_EXIT_OK;
    return cli_fail(irc == IMAGE_ERR_NOMEM ? FWEMU_EXIT_INTERNAL : FWEMU_EXIT_USAGE, who, "%s: %s", opt, err);
}

enum { OPT_BOOTLOADER = 256, OPT_ACTIVE, OPT_ACTIVE_VERSION, OPT_CANDIDATE, OPT_CANDIDATE_VERSION, OPT_LAYOUT };

int cmd_image(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "bootloader", required_argument, NULL, OPT_BOOTLOADER },
        { "active", required_argument, NULL, OPT_ACTIVE },
        { "active-version", required_argument, NULL, OPT_ACTIVE_VERSION },
        { "candidate", required_argument, NULL, OPT_CANDIDATE },
        { "candidate-version", required_argument, NULL, OPT_CANDIDATE_VERSION },
        { "layout", required_argument, NULL, OPT_LAYOUT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    fw_layout_t l;
    fw_layout_default(&l);
    const char *output = NULL, *boot = NULL, *active = NULL, *cand = NULL;
    uint64_t active_ver = 0, cand_ver = 0;
    int have_active_ver = 0, have_cand_ver = 0;

    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_BOOTLOADER: boot = optarg; break;
        case OPT_ACTIVE: active = optarg; break;
        case OPT_CANDIDATE: cand = optarg; break;
        case OPT_LAYOUT:
            if ((c = cli_layout(who, optarg, &l)))
                return c;
            break;
        case OPT_ACTIVE_VERSION:
            if (cli_number(who, "--active-version", optarg, &active_ver))
                return FWEMU_EXIT_USAGE;
            have_active_ver = 1;
            break;
        case OPT_CANDIDATE_VERSION:
            if (cli_number(who, "--candidate-version", optarg, &cand_ver))
                return FWEMU_EXIT_USAGE;
            have_cand_ver = 1;
            break;
        case 'h':
            usage(stdout, &l);
            return FWEMU_EXIT_OK;
        default:
            return cli_opt_error(who, "image", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage(who, "image", "unexpected argument '%s'", argv[optind]);
    const char *missing = !output ? "-o/--output" : !boot ? "--bootloader" : !active ? "--active"
                          : !have_active_ver ? "--active-version" : NULL;
    if (missing)
        return cli_usage(who, "image", "missing %s", missing);
    if (cand && !have_cand_ver)
        return cli_fail(FWEMU_EXIT_USAGE, who, "--candidate needs --candidate-version");
    if (!cand && have_cand_ver)
        return cli_fail(FWEMU_EXIT_USAGE, who, "--candidate-version given without --candidate");

    uint8_t *bl = NULL, *ab = NULL, *cb = NULL, *flash = NULL;
    size_t bl_len = 0, ab_len = 0, cb_len = 0;
    int rc = load_part("--bootloader", boot, l.bootloader_start, &bl, &bl_len);
    if (!rc)
        rc = load_part("--active", active, l.app_start, &ab, &ab_len);
    if (!rc && cand)
        rc = load_part("--candidate", cand, l.app_start, &cb, &cb_len);
    if (rc)
        goto done;

    image_parts_t parts = {
        .bootloader = { .name = boot, .data = bl, .len = bl_len },
        .active = { .name = active, .data = ab, .len = ab_len, .version = active_ver },
        .candidate = { .name = cand, .data = cb, .len = cb_len, .version = cand_ver },
    };
    flash = malloc(l.flash_size);
    if (!flash) {
        rc = cli_fail(FWEMU_EXIT_INTERNAL, who, "out of memory (%" PRIu32 " bytes)", l.flash_size);
        goto done;
    }
    char err[512];
    int irc = image_assemble(&l, &parts, flash, l.flash_size, err, sizeof err);
    if (irc == IMAGE_OK)
        irc = image_write_atomic(output, flash, l.flash_size, err, sizeof err);
    if (irc != IMAGE_OK) {
        rc = cli_fail(irc == IMAGE_ERR_NOMEM || irc == IMAGE_ERR_ARG ? FWEMU_EXIT_INTERNAL : FWEMU_EXIT_USAGE,
                      who, "%s", err);
        goto done;
    }
    printf("wrote %s (%" PRIu32 " bytes): bootloader %zu B, active v%" PRIu64 " %zu B", output,
           l.flash_size, bl_len, active_ver, ab_len);
    if (cand)
        printf(", candidate v%" PRIu64 " %zu B", cand_ver, cb_len);
    printf("\n");
    rc = FWEMU_EXIT_OK;
done:
    free(bl);
    free(ab);
    free(cb);
    free(flash);
    return rc;
}
