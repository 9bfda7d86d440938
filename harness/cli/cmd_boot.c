/*
 * fwemu boot: power on the emulated device and run it; stream the console; report the events
 * and the final state (human text or JSON).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicorn/unicorn.h>

#include "cli/cmds.h"
#include "scenario/device.h"
#include "elf.h"
#include "codec/image.h"
#include "codec/layout.h"

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
    "Outcomes: app_running, no_bootable_image, fault, lockup, timeout, halted.\n"
    "Exit status: 0 app running (with --elf: the semihosting exit code, or 0 when the app runs),\n"
    "1 any other outcome, 2 bad arguments or files, 3 internal error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "fwemu boot: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'fwemu boot --help')\n");
    return FWEMU_EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

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

typedef struct boot_outcome {
    const char *outcome;
    bool fault, lockup;
} boot_outcome_t;

static const char *classify(emu_machine_t *m, const emu_result_t *res, const fw_layout_t *l,
                            bool elf_mode)
{
    if (emu_app_running(m))
        return "app_running";
    if (res->reason == EMU_STOP_FAULT)
        return "fault";
    uint32_t ipsr = emu_reg(m, UC_ARM_REG_IPSR) & 0x1FF;
    if (ipsr >= 3 && ipsr <= 6)
        return "fault";                 /* ended inside a fault handler (e.g. spinning there) */
    if (res->reason == EMU_STOP_LOCKUP)
        return "lockup";
    for (size_t i = emu_event_count(m); i-- > 0;) {
        const emu_event_t *ev = emu_event_get(m, i);
        if (ev->kind == EMU_EV_LOCKUP)
            return "lockup";
        if (ev->kind == EMU_EV_RESET && ev->a.reset.kind != EMU_RESET_LOCKUP)
            break;
    }
    uint32_t pc = res->pc;
    bool in_boot = !elf_mode && pc >= l->bootloader_start && pc < l->bootloader_start + l->bootloader_size;
    if (in_boot && (res->reason == EMU_STOP_HALT || res->reason == EMU_STOP_TIME ||
                    res->reason == EMU_STOP_BUDGET))
        return "no_bootable_image";
    if (res->reason == EMU_STOP_HALT)
        return "halted";
    if (res->reason == EMU_STOP_SEMIHOST_EXIT)
        return "halted";
    return "timeout";
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

int cmd_boot(int argc, char **argv)
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
        { "help", no_argument, 0, 'h' },            { 0, 0, 0, 0 },
    };
    fw_layout_t layout;
    fw_layout_default(&layout);
    emu_config_t cfg;
    device_config(&cfg, &layout);
    const char *elf_path = NULL, *app_symbol = NULL;
    bool json = false, quiet = false, verbose = false;
    uint64_t max_time = 10ull * 1000000000ull, max_insns = 2000000000ull, max_resets = 16, after_app = 100000000ull;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'e': elf_path = optarg; break;
        case 'j': json = true; break;
        case 'T': if (parse_seconds(optarg, &max_time)) return usage_error("--max-time: '%s' is not a number of seconds", optarg); break;
        case 'I': if (parse_u64(optarg, &max_insns) || !max_insns) return usage_error("--max-insns: '%s' is not a positive number", optarg); break;
        case 'R': if (parse_u64(optarg, &max_resets)) return usage_error("--max-resets: '%s' is not a number", optarg); break;
        case 'A': if (parse_seconds(optarg, &after_app)) return usage_error("--after-app: '%s' is not a number of seconds", optarg); break;
        case 's': if (parse_u64(optarg, &cfg.seed)) return usage_error("--seed: '%s' is not a number", optarg); break;
        case 'r':
            if (!strcmp(optarg, "zero")) cfg.ram_fill = EMU_RAM_ZERO;
            else if (!strcmp(optarg, "random")) cfg.ram_fill = EMU_RAM_RANDOM;
            else if (!strcmp(optarg, "retain")) cfg.ram_fill = EMU_RAM_RETAIN;
            else return usage_error("--ram-fill: '%s' is not one of zero, random, retain", optarg);
            break;
        case 'u':
            if (!strcmp(optarg, "raz")) cfg.unmapped = EMU_UNMAPPED_RAZ_WI;
            else if (!strcmp(optarg, "fault")) cfg.unmapped = EMU_UNMAPPED_BUSFAULT;
            else return usage_error("--unmapped: '%s' is not one of raz, fault", optarg);
            break;
        case 'W': cfg.wdog_enabled = false; break;
        case 'F': cfg.fault_stops = true; break;
        case 't': cfg.trace_code = true; break;
        case 'x': cfg.app_console_text = optarg; break;
        case 'y': app_symbol = optarg; break;
        case 'q': quiet = true; break;
        case 'v': verbose = true; break;
        case 'h': fputs(boot_usage, stdout); return FWEMU_EXIT_OK;
        case ':': return usage_error("%s needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    const char *flash_path = NULL;
    if (optind < argc)
        flash_path = argv[optind++];
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (flash_path && elf_path)
        return usage_error("give either FLASH.bin or --elf, not both (%s)", flash_path);
    if (app_symbol && !elf_path)
        return usage_error("--app-symbol %s needs --elf", app_symbol);

    char err[512];
    uint8_t *flash = NULL;
    size_t flash_len = 0;
    uint32_t sym_addr = 0;
    if (elf_path) {
        elf_image_t img;
        if (elf_load_file(elf_path, &img, err, sizeof err) != ELF_OK) {
            fprintf(stderr, "fwemu boot: %s\n", err);
            return FWEMU_EXIT_USAGE;
        }
        if (app_symbol && elf_symbol(&img, app_symbol, &sym_addr) != ELF_OK) {
            elf_free(&img);
            fprintf(stderr, "fwemu boot: %s: no symbol '%s'\n", elf_path, app_symbol);
            return FWEMU_EXIT_USAGE;
        }
        elf_free(&img);
        cfg.app_region_start = cfg.app_region_end = 0;   /* a plain ELF has no update layout */
        cfg.app_symbol_addr = sym_addr;
    } else if (flash_path) {
        if (image_read_file(flash_path, IMAGE_MAX_FILE, &flash, &flash_len, err, sizeof err) != IMAGE_OK) {
            fprintf(stderr, "fwemu boot: %s\n", err);
            return FWEMU_EXIT_USAGE;
        }
        if (flash_len != layout.flash_size) {
            fprintf(stderr, "fwemu boot: %s: %zu bytes, expected %u (the K64F's 1 MiB flash)\n",
                    flash_path, flash_len, layout.flash_size);
            free(flash);
            return FWEMU_EXIT_USAGE;
        }
    } else {
        flash_len = layout.flash_size;
        flash = malloc(flash_len);
        if (!flash)
            return FWEMU_EXIT_INTERNAL;
        if (device_bundled_image(&layout, flash, flash_len, 1, 2, err, sizeof err) != DEVICE_OK) {
            fprintf(stderr, "fwemu boot: bundled image: %s\n", err);
            free(flash);
            return FWEMU_EXIT_INTERNAL;
        }
    }
    if (!json && !quiet) {
        cfg.console_cb = stream_console;
    }
    emu_machine_t *m = NULL;
    if (emu_create(&cfg, &m) != EMU_OK) {
        fprintf(stderr, "fwemu boot: cannot create the machine: %s\n", emu_create_error());
        free(flash);
        return FWEMU_EXIT_INTERNAL;
    }
    if (elf_path) {
        if (emu_load_elf(m, elf_path) != EMU_OK) {
            fprintf(stderr, "fwemu boot: %s\n", emu_last_error(m));
            emu_destroy(m);
            return FWEMU_EXIT_USAGE;
        }
    } else {
        flash_host_write(emu_flash(m), layout.flash_base, flash, (uint32_t)flash_len);
        free(flash);
        flash = NULL;
    }

    double t0 = now_s();
    emu_power_on(m);
    emu_stop_t stop;
    memset(&stop, 0, sizeof stop);
    stop.app_running = !elf_path || sym_addr || cfg.app_console_text;
    stop.time_ns = max_time;
    stop.max_insns = max_insns;
    stop.resets = (uint32_t)max_resets;
    emu_result_t res;
    int rc = emu_run(m, &stop, &res);
    if (rc == EMU_OK && res.reason == EMU_STOP_APP_RUNNING && after_app) {
        emu_stop_t more = stop;
        more.app_running = false;
        more.time_ns = emu_time_ns(m) + after_app;
        more.max_insns = max_insns;
        rc = emu_run(m, &more, &res);
        if (res.reason == EMU_STOP_TIME && emu_app_running(m))
            res.reason = EMU_STOP_APP_RUNNING;
    }
    double wall = now_s() - t0;
    if (rc != EMU_OK) {
        fflush(stdout);
        fprintf(stderr, "fwemu boot: internal error: %s\n", emu_last_error(m));
        emu_destroy(m);
        return FWEMU_EXIT_INTERNAL;
    }
    const char *outcome = classify(m, &res, &layout, elf_path != NULL);
    device_running_t run;
    device_running_info(m, &layout, &run);
    flash_stats_t fs;
    flash_stats(emu_flash(m), &fs);
    uint32_t nres = 0;
    for (int k = 0; k < EMU_RESET_KIND_COUNT; k++)
        nres += emu_reset_count(m, (emu_reset_kind_t)k);

    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "outcome", json_string(outcome));
        json_object_set_new(o, "stop_reason", json_string(emu_stop_reason_name(res.reason)));
        if (!strcmp(outcome, "app_running") && !elf_path) {
            char addr[16];
            snprintf(addr, sizeof addr, "0x%08x", run.address);
            json_t *r = json_object();
            json_object_set_new(r, "address", json_string(addr));
            json_object_set_new(r, "version", run.header_valid ? json_integer((json_int_t)run.version) : json_null());
            json_object_set_new(r, "digest", run.digest[0] ? json_string(run.digest) : json_null());
            json_object_set_new(r, "digest_matches_header", json_boolean(run.digest_matches));
            json_object_set_new(r, "marker", json_integer(emu_app_marker(m)));
            json_object_set_new(o, "running", r);
        } else if (!strcmp(outcome, "app_running")) {
            json_t *r = json_object();
            json_object_set_new(r, "marker", json_integer(emu_app_marker(m)));
            json_object_set_new(o, "running", r);
        } else {
            json_object_set_new(o, "running", json_null());
        }
        if (elf_path && res.reason == EMU_STOP_SEMIHOST_EXIT)
            json_object_set_new(o, "exit_code", json_integer(res.exit_code));
        json_t *resets = json_array(), *faults = json_array();
        for (size_t i = 0; i < emu_event_count(m); i++) {
            const emu_event_t *ev = emu_event_get(m, i);
            if (ev->kind == EMU_EV_RESET) {
                json_t *r = json_object();
                json_object_set_new(r, "reason", json_string(emu_reset_kind_name(ev->a.reset.kind)));
                json_object_set_new(r, "time_ns", json_integer((json_int_t)ev->time_ns));
                json_array_append_new(resets, r);
            } else if (ev->kind == EMU_EV_FAULT || ev->kind == EMU_EV_LOCKUP) {
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
                json_array_append_new(faults, f);
            }
        }
        json_object_set_new(o, "resets", resets);
        json_t *rc_o = json_object();
        for (int k = 0; k < EMU_RESET_KIND_COUNT; k++)
            json_object_set_new(rc_o, emu_reset_kind_name((emu_reset_kind_t)k),
                                json_integer(emu_reset_count(m, (emu_reset_kind_t)k)));
        json_object_set_new(o, "reset_counts", rc_o);
        json_object_set_new(o, "faults", faults);
        json_t *fo = json_object();
        json_object_set_new(fo, "programs", json_integer((json_int_t)fs.programs));
        json_object_set_new(fo, "erases", json_integer((json_int_t)fs.erases));
        json_object_set_new(fo, "bytes_programmed", json_integer((json_int_t)fs.bytes_programmed));
        json_object_set_new(fo, "non_erased_programs", json_integer((json_int_t)fs.defects));
        json_object_set_new(fo, "max_sector_erases", json_integer(fs.max_sector_erases));
        json_object_set_new(o, "flash", fo);
        json_object_set_new(o, "time_ns", json_integer((json_int_t)emu_time_ns(m)));
        json_object_set_new(o, "instructions", json_integer((json_int_t)emu_insns(m)));
        size_t clen;
        const char *con = emu_console(m, &clen);
        json_object_set_new(o, "console", json_stringn(con, clen));
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!s) {
            emu_destroy(m);
            return FWEMU_EXIT_INTERNAL;
        }
        puts(s);
        free(s);
    } else {
        fflush(stdout);
        printf("--- fwemu boot: %s (stopped: %s)\n", outcome, emu_stop_reason_name(res.reason));
        if (!strcmp(outcome, "app_running") && !elf_path) {
            if (run.header_valid)
                printf("running:  app v%" PRIu64 " at 0x%08x, sha256 %s (%s header)\n", run.version,
                       run.address, run.digest, run.digest_matches ? "matches" : "DOES NOT MATCH");
            else
                printf("running:  app at 0x%08x without a valid header\n", run.address);
        }
        if (elf_path && res.reason == EMU_STOP_SEMIHOST_EXIT)
            printf("exit:     %d (semihosting)\n", res.exit_code);
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
        if (verbose) {
            printf("events (%zu kept of %" PRIu64 "):\n", emu_event_count(m), emu_event_total(m));
            for (size_t i = 0; i < emu_event_count(m); i++)
                print_event(stdout, emu_event_get(m, i));
        }
    }
    int code;
    if (elf_path && res.reason == EMU_STOP_SEMIHOST_EXIT)
        code = res.exit_code & 0xFF;
    else
        code = !strcmp(outcome, "app_running") ? FWEMU_EXIT_OK : FWEMU_EXIT_FAIL;
    emu_destroy(m);
    return code;
}
