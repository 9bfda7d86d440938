/*
 * The fwemu CLI verbs. Each takes the verb's own argv (argv[0] = the verb name, e.g. "image"),
 * parses it with getopt_long (resetting getopt's state first, so verbs can be called repeatedly),
 * prints machine output on stdout and one line per error on stderr, and returns the exit status.
 */
#ifndef FWEMU_CMDS_H
#define FWEMU_CMDS_H

/* Exit statuses (ci-conventions.md). */
enum {
    FWEMU_EXIT_OK = 0,         /* success / all passed */
    FWEMU_EXIT_FAIL = 1,       /* some test or check failed */
    FWEMU_EXIT_USAGE = 2,      /* usage or input error (bad flag, bad file, bad number) */
    FWEMU_EXIT_INTERNAL = 3,   /* internal error (out of memory, our bug) */
    FWEMU_EXIT_SKIP = 77,      /* skipped */
};

/* fwemu image -o FLASH.bin --bootloader FILE --active FILE --active-version N
 *             [--candidate FILE --candidate-version N] [--help] */
int cmd_image(int argc, char **argv);
/* fwemu inspect FILE [--json] [--help] */
int cmd_inspect(int argc, char **argv);
/* fwemu boot [FLASH.bin] [--elf FILE] [--json] [limits] */
int cmd_boot(int argc, char **argv);
/* fwemu run [PATH...] [-j N] [--filter GLOB] [--list] [--seed N] [--shard I/N] [--replay ID]
 *           [--junit F] [--json F] [--html F] [-v] [--color WHEN] */
int cmd_run(int argc, char **argv);

/* fwemu manifest create|show ... (cmd_manifest.c) */
int cmd_manifest(int argc, char **argv);
/* fwemu keys create -o KEY.pem [--pub PUB.pem] (cmd_manifest.c) */
int cmd_keys(int argc, char **argv);
/* fwemu delta create|apply|show ... (cmd_delta.c) */
int cmd_delta(int argc, char **argv);

#endif
