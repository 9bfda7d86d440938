/*
 * fwemu machine internals, shared by the machine's source files. Not a public header: emu.h is
 * the machine's contract; boards see only board.h.
 *
 * The machine's files, one concern each:
 *   machine.c         lifecycle (names, configuration, boards, create/destroy, power, reset),
 *                     the run loop (emu_run, sleeping, CPU errors as faults), ELF loading
 *   machine_bus.c     bus services (emu_bus_t, cm_host_t, DMA), memories and the flash mapping,
 *                     MMIO (peripherals, unmodelled pages, test device, SCS, PPB, bit-band), the
 *                     board's services (emu_board_ctx_t)
 *   machine_exec.c    the clock and deadlines, the Unicorn hooks (block, slow path, code, invalid
 *                     memory, CPU exceptions), semihosting
 *   machine_events.c  the event log, the console, "app running" recognition, stop requests
 *   machine_state.c   snapshots, fingerprints, flash dependence tracking
 */
#ifndef FWEMU_MACHINE_INT_H
#define FWEMU_MACHINE_INT_H

#include <unicorn/unicorn.h>

#include "board.h"
#include "cortexm.h"
#include "emu.h"
#include "periph.h"

#define EMU_MAX_PERIPH 24
#define EMU_MAX_RAM 4
#define EMU_PERIPH_BASE 0x40000000u
#define EMU_PERIPH_PAGES 256u            /* 0x40000000..0x400FFFFF in 4 KiB pages */

typedef struct emu_ram {
    const char *name;
    uint32_t base, size;
    uint8_t *mem;
} emu_ram_t;

typedef struct emu_unmodelled {      /* one run of unmodelled peripheral pages */
    struct emu_machine *m;
    uint32_t base;
} emu_unmodelled_t;

typedef struct emu_loadseg {          /* ELF RAM segments, reloaded at each power-on */
    uint32_t addr, len;
    uint8_t *data;
} emu_loadseg_t;

/* Everything that changes while the machine runs and is not in a buffer: snapshotted as is. */
typedef struct emu_dyn {
    uint64_t insns;                   /* instructions executed (time base) */
    uint64_t stall_ns;                /* emulated time not spent executing (flash busy, sleep) */
    /* Execution time is exec_base_ns + (insns - insn_base) * 1e9 / core_hz, rounded down; the
     * base moves to "now" at every power-on, so that the rounding from then on depends only on
     * what ran since power-on (two power-ons run alike whatever ran before: emu_fingerprint). */
    uint64_t insn_base, exec_base_ns;
    uint32_t resets[EMU_RESET_KIND_COUNT];
    bool powered;
    bool app_running;
    uint32_t marker;
    bool vtor_in_app;                 /* VTOR moved into the app region: watch for the jump */
    size_t console_len;               /* bytes in console buffer */
    uint64_t console_total;
    size_t con_match;                 /* chars of app_console_text matched so far */
    uint64_t faults, lockups;
    size_t ev_head, ev_count;         /* event ring */
    uint64_t ev_total;
} emu_dyn_t;

struct emu_machine {
    emu_config_t cfg;
    const emu_board_t *board;         /* cfg.board's descriptor */
    char *app_console_text;           /* owned copy */
    uc_engine *uc;
    char err[256];

    flash_t *flash;
    uint32_t flash_base, flash_len;   /* cached for the per-block path */
    uint8_t *flash_mem;
    emu_ram_t ram[EMU_MAX_RAM];
    int nram;

    periph_t *periph[EMU_MAX_PERIPH];
    int nperiph;
    uint8_t page_owner[EMU_PERIPH_PAGES];   /* index+1 into periph[], 0 = unmodelled */
    emu_unmodelled_t unm[EMU_PERIPH_PAGES / 2 + 1];
    int nunm;
    periph_t *role[EMU_ROLE_COUNT];  /* the board's peripherals by role (board.h) */
    const emu_net_backend_t *net_backend;
    emu_bus_t bus;
    cortexm_t cm;

    emu_loadseg_t *segs;
    int nsegs;

    emu_dyn_t d;
    emu_event_t *ev;                  /* ring of cfg.event_capacity */
    char *console;                    /* cfg.console_capacity + 1 */

    /* run control (not snapshotted: only meaningful inside emu_run) */
    const emu_stop_t *stop;
    uint64_t run_budget_end;          /* instruction count that ends this run */
    uint64_t check_insns;             /* slow path when insns >= this */
    uint64_t next_deadline_ns;
    bool attention;                   /* something may need the slow path at the next block */
    bool spinning;                    /* the core is in a "b ." loop */
    bool stop_now;                    /* stop at the next block boundary (machine_request_stop) */
    bool boundary_stop;               /* the block hook ended uc_emu_start (at a block boundary) */
    emu_stop_reason_t stop_reason;
    int exit_code;
    emu_reset_kind_t pending_reset;
    bool reset_pending;
    bool power_cut;
    bool bus_fault_pending;           /* unmodelled peripheral access with BUSFAULT setting */
    uint32_t bus_fault_addr;
    uint32_t cur_block;               /* start address of the block being executed */
    uc_hook hooks[8];
    int nhooks;
    flash_hook_fn user_flash_hook;
    void *user_flash_ctx;
    uint8_t code_pages[256];          /* flash 4 KiB pages with translated code (1 MiB max) */
    bool tracking;                    /* emu_track_begin: flash mapped without read permission */
    uint32_t page_size;               /* the CPU's page (UC_QUERY_PAGE_SIZE): tracking granule */
    struct { uint32_t addr, size_n; } icache[4096];  /* flash blocks: addr -> size<<16 | insns */
    uint32_t last_insn_pc;            /* exact PC in trace_code mode */
    uint32_t mem_fault_addr;          /* address of the last invalid access */
    uint64_t con_scan;                /* console stop: absolute offset where a match may start */
    size_t con_text_len;              /* strlen(stop->console_text) */
    int mem_fault_type;               /* uc_mem_type of it */
};

/* Host pointer to [addr, addr+len) when it lies inside the flash or one RAM; NULL otherwise. */
static inline uint8_t *machine_host_ptr(emu_machine_t *m, uint32_t addr, uint32_t len)
{
    uint32_t fb = m->flash_base;
    if (addr - fb < m->flash_len && len <= m->flash_len - (addr - fb))
        return m->flash_mem + (addr - fb);
    for (int i = 0; i < m->nram; i++) {
        emu_ram_t *r = &m->ram[i];
        if (addr - r->base < r->size && len <= r->size - (addr - r->base))
            return r->mem + (addr - r->base);
    }
    return NULL;
}

/* ---- machine_bus.c: set-up steps of emu_create, in this order ---- */
/* Fill m->bus and initialise the core (cm_init) with the machine's services. Needs m->uc. */
void machine_bus_init(emu_machine_t *m);
/* Attach the flash engine (change callback, operation hook) and map it at cfg.flash.base. */
int machine_map_flash(emu_machine_t *m);
/* The services a board's build() gets (board.h). */
void machine_board_ctx(emu_machine_t *m, emu_board_ctx_t *ctx);
/* After the board: the test device, the unmodelled pages of the peripheral space, the SCS, the
 * rest of the PPB and the bit-band aliases. */
int machine_map_system(emu_machine_t *m);

/* ---- machine_exec.c ---- */
/* All Unicorn hooks; before the first uc_emu_start (unicorn-2.0.1.md: later hooks are ignored). */
int machine_add_hooks(emu_machine_t *m);
/* Execution time at instruction count insns (>= d.insn_base), without stalls. */
uint64_t machine_insns_to_ns(const emu_machine_t *m, uint64_t insns);
/* Recompute check_insns, the instruction count at which the block hook takes its slow path:
 * the earliest of the run's budget end, the next deadline and the run's stop time. */
void machine_update_check(emu_machine_t *m);
/* Re-read every deadline (core and peripherals) into next_deadline_ns, then update_check. */
void machine_recompute_deadline(emu_machine_t *m);
/* Tick every peripheral (and the core) whose deadline is due at the current time. */
void machine_service_deadlines(emu_machine_t *m);
/* After cm_fault & co.: stop the run when the core asked to (fault_stops) or stop.on_fault. */
void machine_after_fault(emu_machine_t *m);

/* ---- machine_events.c ---- */
/* Append to the event ring (time, instruction count and, when ev->pc is 0, PC filled in);
 * counts faults and lockups. */
void machine_event(emu_machine_t *m, const emu_event_t *ev);
/* An event with only a kind and a detail text (may be NULL). */
void machine_note(emu_machine_t *m, emu_event_kind_t kind, const char *detail);
/* Stop the current run at the next block boundary with this reason; the first request wins. It
 * only asks (stop_now, attention): the block hook ends uc_emu_start at the next block, so the
 * block asking, and the MMIO store in it that asked, complete once (emu.h emu_request_stop).
 * uc_emu_stop from an MMIO callback would leave the block right after the access with PC back
 * at the block's start (Unicorn checks for a stop after every load and store), and resuming would
 * execute the block's first instructions and stores again. Safe from any hook and between runs. */
void machine_request_stop(emu_machine_t *m, emu_stop_reason_t why);
/* The app is recognised as running (how: the event's detail); stops the run when
 * stop.app_running. Nothing happens when it already runs. */
void machine_mark_app_running(emu_machine_t *m, const char *how);
/* A console byte (UART or semihosting): kept, streamed, matched against app_console_text and
 * stop.console_text (checked at each newline, over the text since the last check: emu.h). */
void machine_console_put(emu_machine_t *m, uint8_t c);
/* At the start of emu_run (m->stop set): arm the console stop; true when it already holds (emu.h:
 * the text since stop.console_from, up to the last newline written). */
bool machine_console_stop_begin(emu_machine_t *m);

#endif
