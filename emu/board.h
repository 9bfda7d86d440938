/*
 * fwemu boards: what a machine builds around its CPU core and flash engine, looked up by name
 * (emu_config_t.board). Internal to emu/: the machine and the board files include it.
 *
 * Adding a board is adding one file, emu/board/<name>.c (<name> a C identifier), that defines
 *     const emu_board_t emu_board_<name> = { .name = "<name>", ... };
 * The build generates the board table from the files in emu/board/ (emu/CMakeLists.txt,
 * emu/board/table.c.in): no other file names a board. The table refers to every descriptor, so
 * the linker takes each board's object file from the static library (nothing registers itself
 * at start-up: a static library's unreferenced objects would be left out).
 *
 * Contracts:
 *   - flash_defaults(cfg) fills the flash's place in the memory map and its geometry and timing
 *     (emu_config_defaults / emu_config_board); it may not be NULL.
 *   - build(ctx) is called once, from emu_create, after the flash is mapped at cfg->flash.base
 *     and before the machine maps its system regions (test device EMU_TESTDEV_BASE, SCS, PPB,
 *     bit-band aliases) and the unmodelled pages of 0x40000000-0x400FFFFF around the board's
 *     peripherals. build() maps its RAMs and peripherals through ctx only, never reaches into
 *     the machine, and returns EMU_OK or the first error a service returned (emu_err_t). On an
 *     error the machine destroys whatever was mapped and added so far.
 *   - map_ram(m, name, base, size, &mem): zeroed RAM the CPU reads, writes and executes; `mem`
 *     (may be NULL) receives the host buffer (a peripheral may keep it: FlexRAM for the FTFE).
 *     Power-on fills it per cfg.ram_fill; snapshots and fingerprints include it.
 *   - add_periph(m, p, base, role): maps the peripheral's register block (ops->size rounded up
 *     to 4 KiB) at base. From this call on the machine owns p, also when it fails; p NULL (a
 *     constructor out of memory) returns EMU_ERR_NOMEM. Peripherals the board created and has
 *     not passed yet are the board's to destroy when it gives up.
 *   - roles name the peripherals the machine's own API drives (at most one each; a second one
 *     is EMU_ERR_ARG): EMU_ROLE_CONSOLE, a UART (uart_create) emu_uart_rx pushes into;
 *     EMU_ROLE_RESET_CTL, an RCM (rcm_create) told every reset's kind before the reset;
 *     EMU_ROLE_NETDEV, a NETU device (netdev_create) emu_net_notify / emu_net_link_changed
 *     reach. A board without one of them simply lacks that function (emu_uart_rx returns
 *     EMU_ERR_STATE).
 */
#ifndef FWEMU_BOARD_H
#define FWEMU_BOARD_H

#include "emu.h"
#include "periph.h"

typedef enum emu_periph_role {
    EMU_ROLE_NONE = 0,
    EMU_ROLE_CONSOLE,
    EMU_ROLE_RESET_CTL,
    EMU_ROLE_NETDEV,
    EMU_ROLE_COUNT
} emu_periph_role_t;

/* What the machine lends a board's build function. `m` is opaque to the board. */
typedef struct emu_board_ctx {
    void *m;
    const emu_config_t *cfg;          /* the machine's configuration, defaults applied */
    emu_bus_t *bus;                   /* for every peripheral constructor */
    flash_t *flash;                   /* the flash engine, mapped at cfg->flash.base */
    const emu_net_backend_t *const *net_backend;   /* the backend slot netdev_create reads */
    int (*map_ram)(void *m, const char *name, uint32_t base, uint32_t size, uint8_t **mem);
    int (*add_periph)(void *m, periph_t *p, uint32_t base, emu_periph_role_t role);
} emu_board_ctx_t;

typedef struct emu_board {
    const char *name;                 /* emu_config_t.board */
    const char *summary;              /* one line: the part it models */
    void (*flash_defaults)(flash_cfg_t *cfg);
    int (*build)(const emu_board_ctx_t *ctx);
} emu_board_t;

/* The board table (generated: emu/board/table.c.in), in file name order. */
extern const emu_board_t *const emu_boards[];
extern const size_t emu_board_count;

/* The board called `name`; NULL when there is none. */
const emu_board_t *emu_board_find(const char *name);

#endif
