/* fwemu layout: show a flash layout (bundled, from a file, or derived from an Mbed config). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "codec/layout.h"

static void usage(FILE *f)
{
    fputs("usage: fwemu layout [NAME|FILE] [--json]\n"
          "       fwemu layout --from-mbed CONFIG.json [--target TARGET] [--json]\n"
          "\n"
          "Show a flash layout: its regions with the Mbed configuration keys that place them,\n"
          "their addresses and sizes, and the metadata header format. NAME is a bundled layout\n"
          "(mbed-classic, the default: mbed-bootloader v4.1.0's internal-flash layout; mbed-fota:\n"
          "the FOTA client's internal-flash layout); FILE is a layout file (JSON, the form --json\n"
          "prints). --from-mbed derives one from an Mbed JSON configuration (mbed_app.json or\n"
          "mbed_lib.json), evaluating its integer expressions for the target.\n"
          "\n"
          "options:\n"
          "      --from-mbed CONFIG  derive the layout from this Mbed configuration\n"
          "      --target TARGET     the Mbed target whose overrides apply (default K64F)\n"
          "  -j, --json              print the layout file form (loads back as FILE)\n"
          "  -h, --help              show this help and exit\n"
          "\n"
          "exit status: 0 shown, 2 usage error, unknown layout or a configuration that does not\n"
          "evaluate (the message names the file and the key), 3 internal error\n", f);
}

static void print_text(const fw_layout_t *l)
{
    static const char *const placed_by[FW_REGION_COUNT] = {
        "mbed-bootloader.bootloader-size",
        "update-client.application-details",
        "mbed-bootloader.application-start-address, mbed-bootloader.max-application-size",
        "storage_tdb_internal.internal_base_address, storage_tdb_internal.internal_size",
        "update-client.storage-address",
        "update-client.storage-size, update-client.storage-page",
    };
    printf("layout %s: header format %s; flash 0x%08X, %u KiB, %u-byte sectors, %u-byte pages\n",
           l->name, fw_hdr_format_name(l->header_format), l->flash_base, l->flash_size / 1024,
           l->sector_size, l->program_unit);
    printf("%-18s %-10s %-10s %-8s %s\n", "region", "start", "end", "size", "placed by");
    for (int i = 0; i < FW_REGION_COUNT; i++) {
        fw_region_t r;
        fw_layout_region_by_id(l, (fw_region_id_t)i, &r);
        printf("%-18s 0x%08X 0x%08X 0x%-6X %s\n", r.name, r.start, r.end, r.end - r.start, placed_by[i]);
    }
    printf("largest candidate body: 0x%X bytes\n", fw_layout_candidate_max(l));
}

int cmd_layout(int argc, char **argv)
{
    static const char who[] = "fwemu layout";
    static const struct option opts[] = {
        { "from-mbed", required_argument, NULL, 'm' },
        { "target", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *mbed = NULL, *target = NULL;
    int json = 0;
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
        switch (c) {
        case 'm': mbed = optarg; break;
        case 't': target = optarg; break;
        case 'j': json = 1; break;
        case 'h':
            usage(stdout);
            return FWEMU_EXIT_OK;
        default:
            return cli_opt_error(who, "layout", c, argv);
        }
    }
    if (argc - optind > 1 || (mbed && argc - optind > 0))
        return cli_usage(who, "layout", "unexpected argument '%s': one NAME or FILE, or --from-mbed",
                         argv[argc - 1]);
    if (target && !mbed)
        return cli_usage(who, "layout", "--target goes with --from-mbed");
    fw_layout_t l;
    char err[512];
    int rc = mbed ? fw_layout_from_mbed(mbed, target, NULL, &l, err, sizeof err)
                  : fw_layout_resolve(optind < argc ? argv[optind] : NULL, NULL, &l, err, sizeof err);
    if (rc)
        return cli_fail(rc == FW_LAYOUT_ERR_NOMEM ? FWEMU_EXIT_INTERNAL : FWEMU_EXIT_USAGE, who, "%s", err);
    if (json) {
        char *s = fw_layout_to_json(&l);
        if (!s)
            return cli_fail(FWEMU_EXIT_INTERNAL, who, "out of memory");
        puts(s);
        free(s);
    } else {
        print_text(&l);
    }
    return fflush(stdout) == 0 ? FWEMU_EXIT_OK : FWEMU_EXIT_INTERNAL;
}
