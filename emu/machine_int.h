/*
 * fwemu machine internals, shared by the machine's source files. Not a public header: emu.h is
 * the machine's contract; boards see only board.h.
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
    bool stop_now;                    /* stop at the next block boundary */
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
    int mem_fault_type;               /* uc_mem_type of it */
};

#endif
