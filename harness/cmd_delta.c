/* placeholder: replaced by the delta implementation */
#include <stdio.h>
#include "cmds.h"
int cmd_delta(int argc, char **argv) { (void)argc; (void)argv; fputs("fwemu delta: not built yet\n", stderr); return FWEMU_EXIT_INTERNAL; }
