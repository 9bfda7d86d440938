/*
 * cli/: the fwemu verbs, thin: arguments in, the rooms below called, an exit status out.
 *
 * What it may include: the rooms below it (sweep/, scenario/, codec/; server/ through
 * scenario/), emu/ for `boot`, reports/ and util/. Nothing but main.c and the tests includes cli/.
 * What it offers: this header only. One file per verb (cmd_<verb>.c); what several verbs share
 * (option errors, numbers, reading FILE or bundled:NAME, hex, JSON out) is in cli_util.c.
 *
 * Each verb takes its own argv (argv[0] = the verb name, e.g. "image"), parses it with
 * getopt_long (cli_getopt_reset first, so verbs can be called repeatedly), prints machine output
 * on stdout and one line per error on stderr, and returns the exit status. Error lines start
 * with who is speaking ("fwemu manifest show: ") and name the file and the field at fault.
 */
#ifndef FWEMU_CLI_H
#define FWEMU_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* Exit statuses (ci-conventions.md). */
enum {
    FWEMU_EXIT_OK = 0,         /* success / all passed */
    FWEMU_EXIT_FAIL = 1,       /* some test or check failed */
    FWEMU_EXIT_USAGE = 2,      /* usage or input error (bad flag, bad file, bad number) */
    FWEMU_EXIT_INTERNAL = 3,   /* internal error (out of memory, our bug) */
    FWEMU_EXIT_SKIP = 77,      /* skipped */
};

/* ---- the verbs ------------------------------------------------------------------------------ */

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
/* fwemu manifest create|show ... */
int cmd_manifest(int argc, char **argv);
/* fwemu keys create|show ... */
int cmd_keys(int argc, char **argv);
/* fwemu delta create|apply|show ... */
int cmd_delta(int argc, char **argv);
/* fwemu layout [NAME|FILE] [--from-mbed CONFIG.json [--target T]] [--json] */
int cmd_layout(int argc, char **argv);

/* ---- shared helpers (cli_util.c) ------------------------------------------------------------ */

typedef enum cli_err {
    CLI_OK = 0,
    CLI_ERR_NUMBER = -1,       /* not a number (empty, a sign, junk) */
    CLI_ERR_RANGE = -2,        /* a number beyond 64 bits */
    CLI_ERR_PATH = -3,         /* a path that cannot be read (missing, no permission) */
    CLI_ERR_EMPTY = -4,        /* a directory without scenarios */
    CLI_ERR_NOMEM = -5,
} cli_err_t;

/* Reset getopt_long (glibc: optind 0 re-initialises it) and silence its own messages. */
void cli_getopt_reset(void);

/* "WHO: MESSAGE (see 'fwemu VERB --help')" on stderr; returns FWEMU_EXIT_USAGE. */
int cli_usage(const char *who, const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "WHO: MESSAGE" on stderr; returns status. */
int cli_fail(int status, const char *who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The error getopt_long reported as c (':' a missing value, else an unknown option), as a
 * cli_usage line; returns FWEMU_EXIT_USAGE. */
int cli_opt_error(const char *who, const char *verb, int c, char **argv);

/* An unsigned 64-bit number: base 10 takes decimal digits only; base 0 also 0x hex and 0 octal.
 * No sign, no spaces, no junk. CLI_ERR_NUMBER or CLI_ERR_RANGE (beyond UINT64_MAX). */
int cli_parse_u64(const char *s, int base, uint64_t *v);
/* The same in base 10 for option opt, with the error printed as
 * "WHO: OPT: 'S' is not a number" / "... is out of range (at most 18446744073709551615)".
 * Returns FWEMU_EXIT_OK or FWEMU_EXIT_USAGE. */
int cli_number(const char *who, const char *opt, const char *s, uint64_t *v);

/* A whole file (input_read_file, codec/input.h). opt names the option the path came from
 * ("--payload"), NULL for a positional argument; errors are printed as "WHO: OPT: PATH: ..." or
 * "WHO: PATH: ...". Returns an exit status (FWEMU_EXIT_USAGE, or INTERNAL when out of memory). */
int cli_read_file(const char *who, const char *opt, const char *path, size_t max, uint8_t **out,
                  size_t *len);
/* cli_read_file, or a bundled image for "bundled:NAME" (copied; an unknown NAME lists the
 * bundled ones). */
int cli_read_input(const char *who, const char *opt, const char *arg, size_t max, uint8_t **out,
                   size_t *len);
#define CLI_BUNDLED_PREFIX "bundled:"

/* A signing key (codec/manifest.h): a file (PEM or DER, private or public), or "bundled:dev" or
 * NULL for the bundled development (TEST) key; *name is how messages name it. Errors are printed
 * as "WHO: ..."; returns an exit status. */
struct mf_key;
int cli_load_key(const char *who, const char *path, struct mf_key **key, const char **name);
#define CLI_BUNDLED_KEY_NAME "bundled dev key (TEST)"

/* --layout NAME|FILE (codec/layout.h fw_layout_resolve; a relative FILE from the working
 * directory). Errors are printed as "WHO: --layout: ..."; returns an exit status. */
struct fw_layout;
int cli_layout(const char *who, const char *arg, struct fw_layout *l);


/* n bytes as lower-case hex into out[2n + 1]. */
void cli_hex(char *out, const uint8_t *p, size_t n);
/* Print o (indented, in insertion order) and a newline on stdout, then release it. Returns
 * FWEMU_EXIT_OK, or FWEMU_EXIT_INTERNAL when it cannot be printed. */
int cli_print_json(json_t *o);

/* A verb made of sub-commands ("fwemu delta create ..."): argv[1] picks subs[i].name, which gets
 * argv from argv[1] on. -h, --help and help print the usage on stdout (exit 0); a missing or
 * unknown sub-command is a usage error that lists the names. */
typedef struct cli_sub {
    const char *name;
    int (*run)(int argc, char **argv);
} cli_sub_t;
int cli_dispatch(const char *verb, void (*usage)(FILE *), const cli_sub_t *subs, size_t nsubs,
                 int argc, char **argv);

/* ---- fwemu boot's outcome (cmd_boot.c) ------------------------------------------------------- */

/* What the device did by the time the run stopped: the only inputs of the outcome. Where the PC
 * happened to be is not evidence (a limit can stop a healthy boot in the bootloader). */
typedef struct cli_boot_evidence {
    int stop;                  /* emu_stop_reason_t: why the run ended */
    bool app_running;          /* the app reached its running marker (or --app-text / --app-symbol) */
    bool in_fault_handler;     /* it ended inside HardFault..UsageFault (IPSR 3..6) */
    bool locked_up;            /* it locked up since the last reset that was not a lockup reset */
    bool update_layout;        /* the flash follows the update layout (not --elf) */
    bool said_no_image;        /* the bootloader's last decision on the console was
                                * "[BOOT] no bootable image" */
    bool flash_unbootable;     /* the flash it ended with holds no image the bootloader may boot
                                * (inspect.h decision: none) */
} cli_boot_evidence_t;

/* "app_running"; "fault" (stopped on a fault or ended in a fault handler); "lockup";
 * "no_bootable_image" (update layout only: the bootloader said so, or the device halted with no
 * bootable image in flash); "halted" (halted otherwise, or a semihosting exit); "timeout" (a limit
 * stopped it first: time, instructions or resets). */
const char *cli_boot_outcome(const cli_boot_evidence_t *e);

/* ---- fwemu run's scenario files (cmd_run.c) ------------------------------------------------- */

typedef struct cli_paths {
    char **v;
    size_t n, cap;
} cli_paths_t;

/* Append the scenario files path stands for to out: path itself when it is not a directory; for
 * a directory every *.yaml and *.yml entry in it (not hidden ones; no descent into
 * subdirectories), sorted by name. A directory without any is CLI_ERR_EMPTY ("no scenarios in
 * DIR (no *.yaml or *.yml files)"); a path that cannot be read is CLI_ERR_PATH ("PATH: <errno
 * text>"). err gets one line. */
int cli_run_collect(const char *path, cli_paths_t *out, char *err, size_t errlen);
void cli_paths_free(cli_paths_t *p);

#endif
