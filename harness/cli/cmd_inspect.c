/* fwemu inspect: decode a flash dump and tell what the bootloader will do with it. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "codec/inspect.h"
#include "codec/layout.h"

static void usage(FILE *f, const fw_layout_t *l)
{
    fprintf(f,
        "usage: fwemu inspect FILE [--json] [--layout L]\n"
        "\n"
        "Decode a %" PRIu32 "-byte flash dump in the layout %s (or --layout's): the layout regions, the active header slot (0x%08" PRIx32 ")\n"
        "and the candidate slot (0x%08" PRIx32 ") with their CRC, size and digest checks, and what the\n"
        "bootloader will do: boot the active image, install the candidate, ignore it, or nothing.\n"
        "\n"
        "options:\n"
        "  -j, --json    print one JSON object instead of text\n"
        "      --layout L  the flash layout: a bundled name (mbed-classic, the default) or a\n"
        "                layout file; v2 header layouts only\n"
        "  -h, --help    show this help and exit\n"
        "\n"
        "exit status: 0 decoded (whatever the verdict), 2 usage error or unreadable or wrong-size\n"
        "dump, 3 internal error\n",
        l->flash_size, l->name, l->active_header, l->candidate_start);
}

int cmd_inspect(int argc, char **argv)
{
    static const char who[] = "fwemu inspect";
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "layout", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    fw_layout_t l;
    fw_layout_default(&l);
    int json = 0;

    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'L':
            if ((c = cli_layout(who, optarg, &l)))
                return c;
            break;
        case 'h':
            usage(stdout, &l);
            return FWEMU_EXIT_OK;
        default:
            return cli_opt_error(who, "inspect", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage(who, "inspect", "missing FILE");
    if (argc - optind > 1)
        return cli_usage(who, "inspect", "unexpected argument '%s': one FILE only", argv[optind + 1]);

    inspect_result_t r;
    char err[512];
    int rc = inspect_file(argv[optind], &l, &r, err, sizeof err);
    if (rc != INSPECT_OK)
        return cli_fail(rc == INSPECT_ERR_NOMEM ? FWEMU_EXIT_INTERNAL : FWEMU_EXIT_USAGE, who, "%s", err);
    if (json) {
        rc = inspect_print_json(stdout, &r);
        if (rc != INSPECT_OK)
            return cli_fail(FWEMU_EXIT_INTERNAL, who, "cannot write JSON: %s", inspect_strerror(rc));
    } else {
        inspect_print_text(stdout, &r);
    }
    return fflush(stdout) == 0 ? FWEMU_EXIT_OK : FWEMU_EXIT_INTERNAL;
}
