/*
 * fwemu machine: one emulated Cortex-M4 board, chosen by name (emu_config_t.board: "k64f"; the
 * boards are emu/board/<name>.c, emu/board.h).
 *
 * Lifecycle:  emu_config_defaults(&cfg) -> emu_create(&cfg, &m) -> load flash (emu_flash())
 *             -> emu_power_on(m) -> emu_run(m, &stop, &result) ... -> emu_destroy(m).
 *
 * The machine knows nothing of scenarios, YAML or reports. It executes, keeps an event log and
 * stops when asked. Everything it does is deterministic from its inputs and cfg.seed.
 *
 * Emulated time = executed instructions / core_hz (1 instruction = 1 cycle: a documented
 * approximation; the M4 averages 1.2-1.5 CPI on flash code with wait states) + stall time
 * (flash busy waits fast-forwarded, WFI sleeps skipped to the next timer deadline).
 */
#ifndef FWEMU_EMU_H
#define FWEMU_EMU_H

#include "emu_types.h"
#include "flash.h"

typedef enum emu_err {
    EMU_OK = 0,
    EMU_ERR_NOMEM = -1,
    EMU_ERR_UNICORN = -2,     /* the CPU library failed (details in emu_last_error) */
    EMU_ERR_ARG = -3,
    EMU_ERR_STATE = -4,       /* e.g. run before power on */
    EMU_ERR_IMAGE = -5,       /* bad ELF/binary for loading */
    EMU_ERR_BOARD = -6,       /* no board has the name emu_config_t.board */
} emu_err_t;

const char *emu_strerror(int err);

typedef enum emu_ram_fill {
    EMU_RAM_ZERO = 0,         /* power-on SRAM reads 0 */
    EMU_RAM_RANDOM,           /* power-on SRAM from the seed */
    EMU_RAM_RETAIN,           /* power-on keeps whatever SRAM held */
} emu_ram_fill_t;

typedef enum emu_unmapped {
    EMU_UNMAPPED_RAZ_WI = 0,  /* peripheral space: read as zero, ignore writes (+ event) */
    EMU_UNMAPPED_BUSFAULT,    /* raise a BusFault (+ event) */
} emu_unmapped_t;

#define EMU_BOARD_DEFAULT "k64f"

typedef struct emu_config {
    const char *board;        /* a board's name (emu/board/<name>.c); NULL = EMU_BOARD_DEFAULT */
    uint64_t seed;
    emu_ram_fill_t ram_fill;
    emu_unmapped_t unmapped;
    bool fault_stops;         /* true: stop at the first fault instead of running HardFault */
    bool wdog_enabled;        /* WDOG enabled out of reset (true on the real part) */
    uint32_t core_hz;         /* 120000000 */
    flash_cfg_t flash;        /* place, geometry and timing: the board's (emu_config_board) */
    size_t event_capacity;    /* events kept (ring, newest kept); 0 = 4096 */
    size_t console_capacity;  /* console bytes kept (newest); 0 = 64 KiB */
    /* "app running" recognition without our marker (0 / NULL = off) */
    uint32_t app_region_start, app_region_end; /* CPU executes here after VTOR moved here */
    const char *app_console_text;              /* console contains this text */
    uint32_t app_symbol_addr;                  /* execution reaches this address (ELF symbol) */
    bool trace_code;          /* exact PCs: UC_HOOK_CODE on every instruction (slow) */
    /* Console bytes as they are transmitted (UART0 and semihosting), for streaming. */
    void (*console_cb)(void *ctx, uint8_t byte);
    void *console_ctx;
} emu_config_t;

void emu_config_defaults(emu_config_t *cfg);   /* K64F board, zero fill, watchdog on */
/* Choose the board: sets cfg->board and cfg->flash to that board's flash. EMU_ERR_BOARD (cfg
 * unchanged) when no board has that name. */
int emu_config_board(emu_config_t *cfg, const char *board);

typedef struct emu_machine emu_machine_t;

/* EMU_ERR_BOARD when no board has the name cfg->board (emu_create_error lists the known ones). */
int emu_create(const emu_config_t *cfg, emu_machine_t **out);
const char *emu_create_error(void);      /* why the last emu_create in this thread failed */
void emu_destroy(emu_machine_t *m);
const char *emu_last_error(const emu_machine_t *m);
const emu_config_t *emu_config(const emu_machine_t *m);

flash_t *emu_flash(emu_machine_t *m);
/* The fault injector's flash hook (chained behind the machine's own, which logs events and
 * checks stop.flash_ops). NULL removes it. */
void emu_set_flash_hook(emu_machine_t *m, flash_hook_fn fn, void *ctx);

/* Load a Cortex-M ELF: PT_LOAD segments inside flash are written to flash (host write);
 * segments in RAM are written to RAM (loaded again at each power-on, like a debugger load).
 * Returns EMU_ERR_IMAGE with a message in emu_last_error for bad files. */
int emu_load_elf(emu_machine_t *m, const char *path);

/* Power and reset. power_on: fill RAM per cfg, reset every peripheral, load MSP/PC. */
int emu_power_on(emu_machine_t *m);
void emu_power_off(emu_machine_t *m);          /* logs POWER_OFF; CPU stops */
int emu_reset(emu_machine_t *m, emu_reset_kind_t kind);  /* warm resets keep SRAM */
bool emu_powered(const emu_machine_t *m);

/* Why emu_run returned. */
typedef enum emu_stop_reason {
    EMU_STOP_APP_RUNNING = 0, /* the app reached its running marker (or a recognition rule) */
    EMU_STOP_RESETS,          /* stop.resets resets happened */
    EMU_STOP_TIME,            /* emulated time reached stop.time_ns (emu_run: "Time stop") */
    EMU_STOP_FLASH_OP,        /* the flash op count reached stop.flash_ops */
    EMU_STOP_FAULT,           /* a fault (only when cfg.fault_stops or stop.on_fault) */
    EMU_STOP_LOCKUP,          /* the core locked up (when stop.on_lockup; else it resets) */
    EMU_STOP_HALT,            /* WFI with nothing that can wake the core */
    EMU_STOP_BUDGET,          /* instruction budget used up */
    EMU_STOP_POWER_CUT,       /* a flash hook cut power */
    EMU_STOP_SEMIHOST_EXIT,   /* SYS_EXIT / SYS_EXIT_EXTENDED */
    EMU_STOP_CONSOLE,         /* stop.console_text written since stop.console_from */
    EMU_STOP_ERROR,           /* internal error (emu_last_error) */
    EMU_STOP_REASON_COUNT
} emu_stop_reason_t;

const char *emu_stop_reason_name(emu_stop_reason_t r);

/* Stop conditions for one emu_run. Zero means "not a condition" for every field. */
typedef struct emu_stop {
    bool app_running;           /* stop when the app is recognised as running */
    uint32_t resets;            /* stop after this many resets during this run */
    uint64_t time_ns;           /* absolute emulated time (emu_run: "Time stop") */
    uint64_t flash_ops;         /* absolute flash op count (flash_log_total) */
    bool on_fault;
    bool on_lockup;
    uint64_t max_insns;         /* budget for this run; 0 = 10^10 */
    /* Console stop (EMU_STOP_CONSOLE): console_text in text written at or after console_from,
     * an absolute console offset as emu_console_total counts (0: everything kept). A match must
     * start at or after console_from: text that straddles it does not count, nor does text that
     * only ended before it, nor text no longer kept (the newest console_capacity bytes are).
     * Checked when the run begins and whenever a newline is written, over the text up to the
     * newest newline: the run stops before any instruction when a match already ends at or
     * before the last newline, else at the block boundary after the newline that ends or
     * follows a match ("" = any newline). A run with the same stop after EMU_STOP_CONSOLE
     * returns it at once; pass the new emu_console_total to wait for new text. */
    const char *console_text;
    uint64_t console_from;
} emu_stop_t;

typedef struct emu_result {
    emu_stop_reason_t reason;
    int exit_code;              /* semihosting exit code */
    uint64_t time_ns, insns;
    uint32_t pc;
} emu_result_t;

/* Run until a stop condition. stop.app_running stops at the moment the app is recognised as
 * running (a transition: when it already runs, the run goes on until the next recognition,
 * e.g. after a reset).
 *
 * Time stop (stop.time_ns = T, any T, 1 ns away or more, from any phase of the instruction
 * clock): the CPU executes whole translated blocks (straight-line code up to a branch), so the
 * run ends at the first block boundary at which emu_time_ns >= T, with reason EMU_STOP_TIME and
 * res.time_ns == emu_time_ns(m) >= T. The block during which time reaches T runs to its end
 * (res.time_ns - T is under one block's duration); a WFI or "b ." sleep across T ends at exactly
 * T; a T at or before now ends the run before any instruction. A condition met first, in that
 * block or at that boundary (a reset, a flash operation, a fault, the app running...), ends the
 * run with its own reason; time may then already be >= T, and a run with the same T returns
 * EMU_STOP_TIME at once. So whenever the reason is EMU_STOP_TIME, emu_time_ns(m) >= T: a caller
 * that passes the earliest of several times (a deadline, a tick) tells which came by comparing
 * each with emu_time_ns. */
int emu_run(emu_machine_t *m, const emu_stop_t *stop, emu_result_t *res);
/* From a hook (flash hook, console callback, any MMIO access): stop the current run at the next
 * block boundary with this reason; the first request of a run wins. The access that asked
 * completes exactly once, and so does the rest of its block (every instruction of it runs and is
 * counted once): the run ends before the next block, whose first instruction has not run, or,
 * when the block ends in a WFI, with PC on that WFI, not yet executed (resuming executes it and
 * sleeps). A reset the same block asks for after the request is taken before the run ends. Every
 * condition emu_run checks while a block runs (stop.console_text, stop.flash_ops, the app's
 * marker...) stops this way. */
void emu_request_stop(emu_machine_t *m, emu_stop_reason_t why);
/* While powered off: let emulated time pass (power-off time). */
void emu_advance_time(emu_machine_t *m, uint64_t ns);
/* Faults and lockups logged since creation (not bounded by the event ring). */
uint64_t emu_fault_count(const emu_machine_t *m);
uint64_t emu_lockup_count(const emu_machine_t *m);
uint64_t emu_console_total(const emu_machine_t *m);   /* console bytes ever transmitted */

/* Observation */
uint64_t emu_time_ns(const emu_machine_t *m);
uint64_t emu_insns(const emu_machine_t *m);
size_t emu_event_count(const emu_machine_t *m);        /* events kept */
uint64_t emu_event_total(const emu_machine_t *m);      /* events ever logged */
const emu_event_t *emu_event_get(const emu_machine_t *m, size_t i);  /* i < count, oldest first */
const char *emu_console(const emu_machine_t *m, size_t *len);        /* NUL-terminated */
uint32_t emu_reset_count(const emu_machine_t *m, emu_reset_kind_t kind);
bool emu_app_running(const emu_machine_t *m);
uint32_t emu_app_marker(const emu_machine_t *m);       /* last marker value (app version) */
uint32_t emu_vtor(const emu_machine_t *m);
uint32_t emu_reg(emu_machine_t *m, int uc_reg);        /* UC_ARM_REG_* */
int emu_mem_read(emu_machine_t *m, uint32_t addr, void *buf, uint32_t len);
int emu_mem_write(emu_machine_t *m, uint32_t addr, const void *buf, uint32_t len);
/* Push bytes into the console UART's receive FIFO: returns how many it took (it may be full),
 * EMU_ERR_STATE when the board has no console UART. */
int emu_uart_rx(emu_machine_t *m, const uint8_t *data, size_t len);

/* The update server behind the NETU network device (docs/update-flow.md section 1). The machine
 * calls the backend from inside emu_run (no allocation, no I/O there, please); now_ns is the
 * emulated time. get() fills at most `max` bytes of `buf` and says how many arrive (len), the
 * resource's total size, the result (emu_net_result_t) and the absolute emulated time the
 * request completes (done_ns >= now_ns). post() gets the message; its reply's len is ignored.
 * link_up()/notify_pending() are levels the device shows in STATUS. */
/* (types emu_net_* in emu_types.h) */
/* Attach the backend (NULL: none, the link is down). The struct must outlive its use. */
void emu_set_net_backend(emu_machine_t *m, const emu_net_backend_t *b);
/* The server notifies the device (NOTIFIED latched, interrupt if enabled). */
void emu_net_notify(emu_machine_t *m);
/* The backend's link state changed: a request in flight over a link now down ends (LINK_DOWN). */
void emu_net_link_changed(emu_machine_t *m);

/* Fingerprint: feeds `feed` with everything that decides how the machine goes on from now:
 * CPU registers, every RAM, the flash contents, the core (NVIC/SCB/SysTick) and peripheral
 * states with their times taken relative to now (periph_ops.fingerprint), the console, the
 * counters expectations read (resets by kind, faults, lockups, app marker) and the phase of the
 * instruction-count time base. Left out: absolute time and instruction count, flash wear and
 * statistics, the event log, peripheral statistics. Two machines fed alike run alike from now
 * on, shifted in time (the sweep runner shares recoveries on it). Deterministic; no allocation. */
#define EMU_FP_NO_FLASH_DATA 1u        /* flags: leave the flash contents out (the caller compares
                                          them itself, e.g. only where a run used them) */
void emu_fingerprint(emu_machine_t *m, unsigned flags, emu_feed_fn feed, void *ctx);

/* Flash dependence tracking (flash.h "Dependence tracking"): from emu_track_begin on, every flash
 * granule (emu_track_granule bytes: the CPU's page, 1 KiB) records whether its contents were
 * used before a complete erase overwrote them. Uses seen: CPU loads (the first load of a page
 * after begin traps once: loads cost nothing more afterwards), instruction fetches (the block
 * hook), vector and exception-frame reads, emu_mem_read, and every flash engine operation. Host
 * code that reads flash_mem() itself must report with emu_track_use. emu_track_end stops it (the
 * states stay readable through flash_track_states). Call both between runs (not from inside
 * emu_run). Costs ~0.3 ms at begin. */
int emu_track_begin(emu_machine_t *m);
void emu_track_end(emu_machine_t *m);
void emu_track_use(emu_machine_t *m, uint32_t addr, uint32_t len);
uint32_t emu_track_granule(const emu_machine_t *m);

/* Snapshots: whole machine (CPU, RAM, flash, peripherals, NVIC/SCS, time, counters). */
typedef struct emu_snapshot emu_snapshot_t;
int emu_snapshot_save(emu_machine_t *m, emu_snapshot_t **out);
int emu_snapshot_restore(emu_machine_t *m, const emu_snapshot_t *s);
void emu_snapshot_free(emu_snapshot_t *s);

/* Test register block (our marker device) at EMU_TESTDEV_BASE:
 *   +0x0 MARKER (w): app writes its version => "app running" marker, event MARKER
 *   +0x4 EXIT (w): stop with exit code (like semihosting SYS_EXIT)
 *   +0x8 ID (r): 0x46574D55 ("FWMU") so firmware can tell it runs under fwemu */
#define EMU_TESTDEV_BASE 0x400FE000u
#define EMU_TESTDEV_ID 0x46574D55u

#endif
