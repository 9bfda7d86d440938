/*
 * fwemu boot: power on the emulated device and run it; stream the console; report the events
 * and the final state (human text or JSON).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

#include "cli/cli.h"
#include "codec/image.h"
#include "codec/inspect.h"
#include "codec/layout.h"
#include "elf.h"
#include "scenario/device.h"

static const char who[] = "fwemu boot";

static const char boot_usage[] =
    "usage: fwemu boot [FLASH.bin] [options]\n"
    "\n"
    "Power on the emulated K64F and run it until the app runs (or a limit is hit). The console\n"
    "(UART0 and semihosting) is streamed to stdout, then the events and the final state.\n"
    "\n"
    "  FLASH.bin            a 1 MiB flash image or dump (default: the bundled image: bundled\n"
    "                       bootloader, app v1 active, app v2 in candidate storage)\n"
    "  --elf FILE           run any Cortex-M ELF on the board instead (flash and RAM loaded from\n"
    "                       its segments, like qemu -kernel); a semihosting exit code becomes\n"
    "                       the exit code\n"
    "  --json               print the final state as JSON (the console is not streamed)\n"
    "  --layout L           the flash layout: a bundled name (mbed-classic, the default;\n"
    "                       mbed-fota) or a layout file (fwemu layout --help); it places the\n"
    "                       bundled image and says where the app runs and its header is\n"
    "  --max-time SECONDS   emulated time limit (default 10)\n"
    "  --max-insns N        instruction budget (default 2000000000)\n"
    "  --max-resets N       stop after N resets after power-on (default 16)\n"
    "  --after-app SECONDS  keep running this long once the app runs, so it can print its\n"
    "                       banner and raise its marker (default 0.1)\n"
    "  --seed N             seed for power-on RAM and torn operations (default 0)\n"
    "  --ram-fill MODE      power-on SRAM: zero, random or retain (default zero)\n"
    "  --unmapped MODE      unmodelled peripheral access: raz (read as zero, ignore writes)\n"
    "                       or fault (BusFault); both log an event (default raz)\n"
    "  --no-watchdog        the WDOG starts disabled (the real part starts it enabled)\n"
    "  --fault-stop         stop at the first fault instead of running the HardFault handler\n"
    "  --trace              exact PCs for faults and events (slower)\n"
    "  --app-text TEXT      also recognise \"app running\" when the console shows TEXT\n"
    "  --app-symbol NAME    with --elf: recognise \"app running\" when execution reaches NAME\n"
    "  -q, --quiet          do not stream the console\n"
    "  -v, --verbose        list every event\n"
    "  -h, --help           this text\n"
    "\n"
    "Outcomes, from what the device did (never from where a limit stopped it):\n"
    "  app_running        the app runs (its marker, --app-text or --app-symbol)\n"
    "  fault, lockup      it stopped on a fault or ended in a fault handler; it locked up\n"
    "  no_bootable_image  the bootloader's last decision was \"[BOOT] no bootable image\", or the\n"
    "                     device halted with no image in flash the bootloader may boot (as\n"
    "                     fwemu inspect decides); never with --elf\n"
    "  halted             it halted otherwise (WFI with nothing to wake it), or exited\n"
    "                     (semihosting)\n"
    "  timeout            a limit stopped it first: --max-time, --max-insns or --max-resets\n"
    "                     (stop_reason says which: time, budget, resets), wherever the PC was\n"
    "Exit status: 0 app running (with --elf: the semihosting exit code, or 0 when the app runs),\n"
    "1 any other outcome, 2 bad arguments or files, 3 internal error.\n";

static int parse_seconds(const char *s, uint64_t *ns)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= 0) || v > 1e6)
        return -1;
    *ns = (uint64_t)(v * 1e9);
    return 0;
}

static void stream_console(void *ctx, uint8_t c)
{
    (void)ctx;
    fputc(c, stdout);
    if (c == '\n')
        fflush(stdout);
}

typedef struct boot_args {
    fw_layout_t layout;
    emu_config_t cfg;
    const char *flash_path, *elf_path, *app_symbol;
    bool json, quiet, verbose;
    uint64_t max_time, max_insns, max_resets, after_app;
} boot_args_t;

const char *cli_boot_outcome(const cli_boot_evidence_t *e)
{
    if (e->app_running)
        return "app_running";
    if (e->stop == EMU_STOP_FAULT || e->in_fault_handler)
        return "fault";
    if (e->stop == EMU_STOP_LOCKUP || e->locked_up)
        return "lockup";
    if (e->update_layout && (e->said_no_image || (e->stop == EMU_STOP_HALT && e->flash_unbootable)))
        return "no_bootable_image";
    if (e->stop == EMU_STOP_HALT || e->stop == EMU_STOP_SEMIHOST_EXIT)
        return "halted";
    return "timeout";
}

/* The bootloader's last "[BOOT] " line is its verdict "no bootable image". */
static bool console_says_no_image(emu_machine_t *m)
{
    static const char tag[] = "[BOOT] ", verdict[] = "[BOOT] no bootable image";
    size_t len = 0;
    const char *con = emu_console(m, &len), *last = NULL;
    for (const char *p = con; (p = strstr(p, tag)); p += sizeof tag - 1)
        last = p;
    return last && !strncmp(last, verdict, sizeof verdict - 1);
}

/* The flash the device ended with, judged as `fwemu inspect` judges a dump. */
static bool flash_unbootable(emu_machine_t *m, const fw_layout_t *l)
{
    flash_t *f = emu_flash(m);
    inspect_result_t *r = malloc(sizeof *r);
    bool none = r && inspect_flash(l, flash_mem(f), flash_size(f), NULL, r, NULL, 0) == INSPECT_OK &&
                r->decision.action == INSPECT_ACT_NONE;
    free(r);
    return none;
}

static bool locked_up_since_reset(emu_machine_t *m)
{
    for (size_t i = emu_event_count(m); i-- > 0;) {
        const emu_event_t *ev = emu_event_get(m, i);
        if (ev->kind == EMU_EV_LOCKUP)
            return true;
        if (ev->kind == EMU_EV_RESET && ev->a.reset.kind != EMU_RESET_LOCKUP)
            return false;
    }
    return false;
}

static const char *classify(emu_machine_t *m, const emu_result_t *res, const boot_args_t *a)
{
    uint32_t ipsr = emu_reg(m, UC_ARM_REG_IPSR) & 0x1FF;
    cli_boot_evidence_t e = {
        .stop = res->reason,
        .app_running = emu_app_running(m),
        .in_fault_handler = ipsr >= 3 && ipsr <= 6,
        .locked_up = locked_up_since_reset(m),
        .update_layout = !a->elf_path,
    };
    if (e.update_layout && !e.app_running) {
        e.said_no_image = console_says_no_image(m);
        e.flash_unbootable = flash_unbootable(m, &a->layout);
    }
    return cli_boot_outcome(&e);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void print_event(FILE *f, const emu_event_t *ev)
{
    fprintf(f, "  %10.6f s  %-13s pc=0x%08x", ev->time_ns * 1e-9, emu_event_kind_name(ev->kind), ev->pc);
    switch (ev->kind) {
    case EMU_EV_FLASH_OP: case EMU_EV_FLASH_DEFECT: case EMU_EV_FLASH_RDCOL: case EMU_EV_FLASH_ERROR:
        fprintf(f, " #%u %s 0x%08x+%u", ev->a.flash.seq, flash_op_kind_name(ev->a.flash.op),
                ev->a.flash.addr, ev->a.flash.len);
        break;
    case EMU_EV_FAULT: case EMU_EV_LOCKUP:
        fprintf(f, " exc=%u cfsr=0x%08x hfsr=0x%08x addr=0x%08x", ev->a.fault.exc, ev->a.fault.cfsr,
                ev->a.fault.hfsr, ev->a.fault.addr);
        break;
    default:
        break;
    }
    if (ev->detail[0])
        fprintf(f, " %s", ev->detail);
    fputc('\n', f);
}

/* One option of cmd_boot into a. Returns an exit status. */
static int parse_option(int c, char **argv, boot_args_t *a)
{
    emu_config_t *cfg = &a->cfg;
    switch (c) {
    case 'e': a->elf_path = optarg; break;
    case 'j': a->json = true; break;
    case 'T':
        if (parse_seconds(optarg, &a->max_time))
            return cli_usage(who, "boot", "--max-time: '%s' is not a number of seconds", optarg);
        break;
    case 'I':
        if (cli_parse_u64(optarg, 0, &a->max_insns) || !a->max_insns)
            return cli_usage(who, "boot", "--max-insns: '%s' is not a positive number", optarg);
        break;
    case 'R':
        if (cli_parse_u64(optarg, 0, &a->max_resets))
            return cli_usage(who, "boot", "--max-resets: '%s' is not a number", optarg);
        break;
    case 'A':
        if (parse_seconds(optarg, &a->after_app))
            return cli_usage(who, "boot", "--after-app: '%s' is not a number of seconds", optarg);
        break;
    case 's':
        if (cli_parse_u64(optarg, 0, &cfg->seed))
            return cli_usage(who, "boot", "--seed: '%s' is not a number", optarg);
        break;
    case 'r':
        if (!strcmp(optarg, "zero")) cfg->ram_fill = EMU_RAM_ZERO;
        else if (!strcmp(optarg, "random")) cfg->ram_fill = EMU_RAM_RANDOM;
        else if (!strcmp(optarg, "retain")) cfg->ram_fill = EMU_RAM_RETAIN;
        else return cli_usage(who, "boot", "--ram-fill: '%s' is not one of zero, random, retain", optarg);
        break;
    case 'u':
        if (!strcmp(optarg, "raz")) cfg->unmapped = EMU_UNMAPPED_RAZ_WI;
        else if (!strcmp(optarg, "fault")) cfg->unmapped = EMU_UNMAPPED_BUSFAULT;
        else return cli_usage(who, "boot", "--unmapped: '%s' is not one of raz, fault", optarg);
        break;
    case 'W': cfg->wdog_enabled = false; break;
    case 'F': cfg->fault_stops = true; break;
    case 't': cfg->trace_code = true; break;
    case 'x': cfg->app_console_text = optarg; break;
    case 'y': a->app_symbol = optarg; break;
    case 'L': {
        int rc = cli_layout(who, optarg, &a->layout);
        if (rc)
            return rc;
        device_config_layout(cfg, &a->layout);
        break;
    }
    case 'q': a->quiet = true; break;
    case 'v': a->verbose = true; break;
    default: return cli_opt_error(who, "boot", c, argv);
    }
    return FWEMU_EXIT_OK;
}

/* Returns an exit status, -1 after --help. */
static int parse_args(int argc, char **argv, boot_args_t *a)
{
    static const struct option opts[] = {
        { "elf", required_argument, 0, 'e' },       { "json", no_argument, 0, 'j' },
        { "max-time", required_argument, 0, 'T' },  { "max-insns", required_argument, 0, 'I' },
        { "max-resets", required_argument, 0, 'R' }, { "after-app", required_argument, 0, 'A' },
        { "seed", required_argument, 0, 's' },      { "ram-fill", required_argument, 0, 'r' },
        { "unmapped", required_argument, 0, 'u' },  { "no-watchdog", no_argument, 0, 'W' },
        { "fault-stop", no_argument, 0, 'F' },      { "trace", no_argument, 0, 't' },
        { "app-text", required_argument, 0, 'x' },  { "app-symbol", required_argument, 0, 'y' },
        { "quiet", no_argument, 0, 'q' },           { "verbose", no_argument, 0, 'v' },
        { "layout", required_argument, 0, 'L' },
        { "help", no_argument, 0, 'h' },            { 0, 0, 0, 0 },
    };
    memset(a, 0, sizeof *a);
    fw_layout_default(&a->layout);
    device_config(&a->cfg, &a->layout);
    a->max_time = 10ull * 1000000000ull;
    a->max_insns = 2000000000ull;
    a->max_resets = 16;
    a->after_app = 100000000ull;
    cli_getopt_reset();
    int c, rc;
    while ((c = getopt_long(argc, argv, ":qvh", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(boot_usage, stdout);
            return -1;
        }
        if ((rc = parse_option(c, argv, a)))
            return rc;
    }
    if (optind < argc)
        a->flash_path = argv[optind++];
    if (optind < argc)
        return cli_usage(who, "boot", "unexpected argument '%s'", argv[optind]);
    if (a->flash_path && a->elf_path)
        return cli_usage(who, "boot", "give either FLASH.bin or --elf, not both (%s)", a->flash_path);
    if (a->app_symbol && !a->elf_path)
        return cli_usage(who, "boot", "--app-symbol %s needs --elf", a->app_symbol);
    return FWEMU_EXIT_OK;
}

/* --elf: the ELF must load and have the --app-symbol; a plain ELF has no update layout. */
static int prepare_elf(boot_args_t *a)
{
    char err[512];
    elf_image_t img;
    uint32_t sym_addr = 0;
    uint8_t *file = NULL;
    size_t n = 0;
    int rc = cli_read_file(who, NULL, a->elf_path, IMAGE_MAX_FILE, &file, &n);  /* one text for bad paths */
    free(file);
    if (rc)
        return rc;
    if (elf_load_file(a->elf_path, &img, err, sizeof err) != ELF_OK)
        return cli_fail(FWEMU_EXIT_USAGE, who, "%s", err);
    if (a->app_symbol && elf_symbol(&img, a->app_symbol, &sym_addr) != ELF_OK) {
        elf_free(&img);
        return cli_fail(FWEMU_EXIT_USAGE, who, "%s: no symbol '%s'", a->elf_path, a->app_symbol);
    }
    elf_free(&img);
    a->cfg.app_region_start = a->cfg.app_region_end = 0;
    a->cfg.app_symbol_addr = sym_addr;
    return FWEMU_EXIT_OK;
}

/* The flash image to boot: FLASH.bin (exactly the flash size) or the bundled image. */
static int load_flash(const boot_args_t *a, uint8_t **flash)
{
    char err[512];
    size_t len = 0;
    const fw_layout_t *l = &a->layout;
    if (a->flash_path) {
        if (image_read_file(a->flash_path, IMAGE_MAX_FILE, flash, &len, err, sizeof err) != IMAGE_OK)
            return cli_fail(FWEMU_EXIT_USAGE, who, "%s", err);
        if (len != l->flash_size) {
            free(*flash);
            *flash = NULL;
            return cli_fail(FWEMU_EXIT_USAGE, who, "%s: %zu bytes, expected %u (the K64F's 1 MiB flash)",
                            a->flash_path, len, l->flash_size);
        }
        return FWEMU_EXIT_OK;
    }
    *flash = malloc(l->flash_size);
    if (!*flash)
        return FWEMU_EXIT_INTERNAL;
    if (device_bundled_image(l, *flash, l->flash_size, 1, 2, err, sizeof err) != DEVICE_OK) {
        free(*flash);
        *flash = NULL;
        /* in the default layout our bug; in another the user's choice of layout */
        return cli_fail(strcmp(l->name, FW_LAYOUT_DEFAULT_NAME) ? FWEMU_EXIT_USAGE : FWEMU_EXIT_INTERNAL,
                        who, "bundled image: %s", err);
    }
    return FWEMU_EXIT_OK;
}

/* Create the machine and load what to run into it. Returns an exit status. */
static int make_machine(boot_args_t *a, emu_machine_t **m)
{
    uint8_t *flash = NULL;
    int rc = a->elf_path ? prepare_elf(a) : load_flash(a, &flash);
    if (rc)
        return rc;
    if (!a->json && !a->quiet)
        a->cfg.console_cb = stream_console;
    if (emu_create(&a->cfg, m) != EMU_OK) {
        free(flash);
        return cli_fail(FWEMU_EXIT_INTERNAL, who, "cannot create the machine: %s", emu_create_error());
    }
    if (a->elf_path && emu_load_elf(*m, a->elf_path) != EMU_OK) {
        rc = cli_fail(FWEMU_EXIT_USAGE, who, "%s", emu_last_error(*m));
        emu_destroy(*m);
        *m = NULL;
        return rc;
    }
    if (flash)
        flash_host_write(emu_flash(*m), a->layout.flash_base, flash, a->layout.flash_size);
    free(flash);
    return FWEMU_EXIT_OK;
}

/* Power on and run to the first stop; once the app runs, on for --after-app. */
static int boot_run(emu_machine_t *m, const boot_args_t *a, emu_result_t *res)
{
    emu_power_on(m);
    emu_stop_t stop;
    memset(&stop, 0, sizeof stop);
    stop.app_running = !a->elf_path || a->cfg.app_symbol_addr || a->cfg.app_console_text;
    stop.time_ns = a->max_time;
    stop.max_insns = a->max_insns;
    stop.resets = (uint32_t)a->max_resets;
    int rc = emu_run(m, &stop, res);
    if (rc == EMU_OK && res->reason == EMU_STOP_APP_RUNNING && a->after_app) {
        emu_stop_t more = stop;
        more.app_running = false;
        more.time_ns = emu_time_ns(m) + a->after_app;
        more.max_insns = a->max_insns;
        rc = emu_run(m, &more, res);
        if (res->reason == EMU_STOP_TIME && emu_app_running(m))
            res->reason = EMU_STOP_APP_RUNNING;
    }
    return rc;
}

static json_t *running_json(emu_machine_t *m, const boot_args_t *a)
{
    json_t *r = json_object();
    if (!a->elf_path) {
        device_running_t run;
        device_running_info(m, &a->layout, &run);
        char addr[16];
        snprintf(addr, sizeof addr, "0x%08x", run.address);
        json_object_set_new(r, "address", json_string(addr));
        json_object_set_new(r, "version", run.header_valid ? json_integer((json_int_t)run.version) : json_null());
        json_object_set_new(r, "digest", run.digest[0] ? json_string(run.digest) : json_null());
        json_object_set_new(r, "digest_matches_header", json_boolean(run.digest_matches));
    }
    json_object_set_new(r, "marker", json_integer(emu_app_marker(m)));
    return r;
}

static json_t *fault_json(const emu_event_t *ev)
{
    json_t *f = json_object();
    char b[16];
    json_object_set_new(f, "kind", json_string(emu_event_kind_name(ev->kind)));
    json_object_set_new(f, "exception", json_integer(ev->a.fault.exc));
    json_object_set_new(f, "cause", json_string(ev->detail));
    snprintf(b, sizeof b, "0x%08x", ev->pc);
    json_object_set_new(f, "pc", json_string(b));
    snprintf(b, sizeof b, "0x%08x", ev->a.fault.cfsr);
    json_object_set_new(f, "cfsr", json_string(b));
    snprintf(b, sizeof b, "0x%08x", ev->a.fault.addr);
    json_object_set_new(f, "address", json_string(b));
    json_object_set_new(f, "time_ns", json_integer((json_int_t)ev->time_ns));
    return f;
}

static json_t *flash_json(emu_machine_t *m)
{
    flash_stats_t fs;
    flash_stats(emu_flash(m), &fs);
    json_t *fo = json_object();
    json_object_set_new(fo, "programs", json_integer((json_int_t)fs.programs));
    json_object_set_new(fo, "erases", json_integer((json_int_t)fs.erases));
    json_object_set_new(fo, "bytes_programmed", json_integer((json_int_t)fs.bytes_programmed));
    json_object_set_new(fo, "non_erased_programs", json_integer((json_int_t)fs.defects));
    json_object_set_new(fo, "max_sector_erases", json_integer(fs.max_sector_erases));
    return fo;
}

static int print_json_result(emu_machine_t *m, const boot_args_t *a, const emu_result_t *res,
                             const char *outcome)
{
    json_t *o = json_object();
    json_object_set_new(o, "outcome", json_string(outcome));
    json_object_set_new(o, "stop_reason", json_string(emu_stop_reason_name(res->reason)));
    json_object_set_new(o, "running", !strcmp(outcome, "app_running") ? running_json(m, a) : json_null());
    if (a->elf_path && res->reason == EMU_STOP_SEMIHOST_EXIT)
        json_object_set_new(o, "exit_code", json_integer(res->exit_code));
    json_t *resets = json_array(), *faults = json_array();
    for (size_t i = 0; i < emu_event_count(m); i++) {
        const emu_event_t *ev = emu_event_get(m, i);
        if (ev->kind == EMU_EV_RESET) {
            json_t *r = json_object();
            json_object_set_new(r, "reason", json_string(emu_reset_kind_name(ev->a.reset.kind)));
            json_object_set_new(r, "time_ns", json_integer((json_int_t)ev->time_ns));
            json_array_append_new(resets, r);
        } else if (ev->kind == EMU_EV_FAULT || ev->kind == EMU_EV_LOCKUP) {
            json_array_append_new(faults, fault_json(ev));
        }
    }
    json_object_set_new(o, "resets", resets);
    json_t *rc_o = json_object();
    for (int k = 0; k < EMU_RESET_KIND_COUNT; k++)
        json_object_set_new(rc_o, emu_reset_kind_name((emu_reset_kind_t)k),
                            json_integer(emu_reset_count(m, (emu_reset_kind_t)k)));
    json_object_set_new(o, "reset_counts", rc_o);
    json_object_set_new(o, "faults", faults);
    json_object_set_new(o, "flash", flash_json(m));
    json_object_set_new(o, "time_ns", json_integer((json_int_t)emu_time_ns(m)));
    json_object_set_new(o, "instructions", json_integer((json_int_t)emu_insns(m)));
    size_t clen;
    const char *con = emu_console(m, &clen);
    json_object_set_new(o, "console", json_stringn(con, clen));
    return cli_print_json(o);
}

static void print_text_result(emu_machine_t *m, const boot_args_t *a, const emu_result_t *res,
                              const char *outcome, double wall)
{
    fflush(stdout);
    printf("--- fwemu boot: %s (stopped: %s)\n", outcome, emu_stop_reason_name(res->reason));
    if (!strcmp(outcome, "app_running") && !a->elf_path) {
        device_running_t run;
        device_running_info(m, &a->layout, &run);
        if (run.header_valid)
            printf("running:  app v%" PRIu64 " at 0x%08x, sha256 %s (%s header)\n", run.version,
                   run.address, run.digest, run.digest_matches ? "matches" : "DOES NOT MATCH");
        else
            printf("running:  app at 0x%08x without a valid header\n", run.address);
    }
    if (a->elf_path && res->reason == EMU_STOP_SEMIHOST_EXIT)
        printf("exit:     %d (semihosting)\n", res->exit_code);
    uint32_t nres = 0;
    for (int k = 0; k < EMU_RESET_KIND_COUNT; k++)
        nres += emu_reset_count(m, (emu_reset_kind_t)k);
    printf("resets:   %u (", nres);
    bool first = true;
    for (int k = 0; k < EMU_RESET_KIND_COUNT; k++) {
        uint32_t n = emu_reset_count(m, (emu_reset_kind_t)k);
        if (n) {
            printf("%s%s %u", first ? "" : ", ", emu_reset_kind_name((emu_reset_kind_t)k), n);
            first = false;
        }
    }
    printf(")\n");
    flash_stats_t fs;
    flash_stats(emu_flash(m), &fs);
    printf("flash:    %" PRIu64 " erases, %" PRIu64 " programs (%" PRIu64 " bytes), %" PRIu64
           " programs of non-erased units\n", fs.erases, fs.programs, fs.bytes_programmed, fs.defects);
    size_t nf = 0;
    for (size_t i = 0; i < emu_event_count(m); i++) {
        const emu_event_t *ev = emu_event_get(m, i);
        if (ev->kind == EMU_EV_FAULT || ev->kind == EMU_EV_LOCKUP) {
            if (!nf++)
                printf("faults:\n");
            print_event(stdout, ev);
        }
    }
    printf("time:     %.6f s emulated, %" PRIu64 " instructions, %.3f s wall (%.1f MIPS)\n",
           emu_time_ns(m) * 1e-9, emu_insns(m), wall, wall > 0 ? emu_insns(m) / wall / 1e6 : 0.0);
    if (a->verbose) {
        printf("events (%zu kept of %" PRIu64 "):\n", emu_event_count(m), emu_event_total(m));
        for (size_t i = 0; i < emu_event_count(m); i++)
            print_event(stdout, emu_event_get(m, i));
    }
}

int cmd_boot(int argc, char **argv)
{
    boot_args_t a;
    emu_machine_t *m = NULL;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? FWEMU_EXIT_OK : rc;
    if ((rc = make_machine(&a, &m)))
        return rc;
    double t0 = now_s();
    emu_result_t res;
    if (boot_run(m, &a, &res) != EMU_OK) {
        fflush(stdout);
        rc = cli_fail(FWEMU_EXIT_INTERNAL, who, "internal error: %s", emu_last_error(m));
        emu_destroy(m);
        return rc;
    }
    double wall = now_s() - t0;
    const char *outcome = classify(m, &res, &a);
    if (a.json) {
        if ((rc = print_json_result(m, &a, &res, outcome))) {
            emu_destroy(m);
            return rc;
        }
    } else {
        print_text_result(m, &a, &res, outcome, wall);
    }
    if (a.elf_path && res.reason == EMU_STOP_SEMIHOST_EXIT)
        rc = res.exit_code & 0xFF;
    else
        rc = !strcmp(outcome, "app_running") ? FWEMU_EXIT_OK : FWEMU_EXIT_FAIL;
    emu_destroy(m);
    return rc;
}
