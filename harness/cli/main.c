/* fwemu: command-line entry. Each verb lives in harness/cli/cmd_<verb>.c (cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: fwemu <verb> [options]   (fwemu <verb> --help for each verb)\n"
    "\n"
    "fwemu emulates a Cortex-M4 device (NXP K64F) running its real bootloader and app, to test\n"
    "firmware updates: power loss, corrupt headers, bad candidates.\n"
    "\n"
    "verbs:\n"
    "  run       run scenario suites (YAML) and power-loss sweeps; JUnit/JSON/HTML reports\n"
    "  boot      power on the device (a flash image, an ELF, or the bundled image) and run it\n"
    "  image     assemble a flash image from a bootloader and app binaries (ELF or raw)\n"
    "  inspect   decode a flash dump: regions, headers, digests, what the bootloader will do\n"
    "  manifest  create or show a signed update manifest (Pelion manifest v3, ECDSA P-256)\n"
    "  keys      create an ECDSA P-256 signing key pair\n"
    "  delta     create, apply or show a delta payload (PELION/BSDIFF001)\n"
    "  layout    show a flash layout, or derive one from an Mbed JSON configuration\n"
    "\n"
    "Exit status: 0 success, 1 a check failed, 2 bad arguments or input, 3 internal error.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return FWEMU_EXIT_USAGE;
    }
    const char *verb = argv[1];
    if (!strcmp(verb, "-h") || !strcmp(verb, "--help") || !strcmp(verb, "help")) {
        fputs(usage, stdout);
        return FWEMU_EXIT_OK;
    }
    if (!strcmp(verb, "boot"))
        return cmd_boot(argc - 1, argv + 1);
    if (!strcmp(verb, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(verb, "image"))
        return cmd_image(argc - 1, argv + 1);
    if (!strcmp(verb, "inspect"))
        return cmd_inspect(argc - 1, argv + 1);
    if (!strcmp(verb, "manifest"))
        return cmd_manifest(argc - 1, argv + 1);
    if (!strcmp(verb, "keys"))
        return cmd_keys(argc - 1, argv + 1);
    if (!strcmp(verb, "layout"))
        return cmd_layout(argc - 1, argv + 1);
    if (!strcmp(verb, "delta"))
        return cmd_delta(argc - 1, argv + 1);
    fprintf(stderr, "fwemu: unknown verb '%s'\n\n%s", verb, usage);
    return FWEMU_EXIT_USAGE;
}
