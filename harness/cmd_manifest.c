/* placeholder: replaced by the manifest/keys implementation */
#include <stdio.h>
#include "cmds.h"
int cmd_manifest(int argc, char **argv) { (void)argc; (void)argv; fputs("fwemu manifest: not built yet\n", stderr); return FWEMU_EXIT_INTERNAL; }
int cmd_keys(int argc, char **argv) { (void)argc; (void)argv; fputs("fwemu keys: not built yet\n", stderr); return FWEMU_EXIT_INTERNAL; }
