/*
 * fwemu peripheral interface.
 *
 * A peripheral is a small struct that starts with `periph_t` and a table of operations. The board
 * file creates peripherals and maps each one at a base address (board.h); the machine routes MMIO
 * accesses to read/write with the offset from that base. Peripherals never call each other: they
 * reach the rest of the machine only through `emu_bus_t` (interrupts, reset requests, events,
 * console, emulated time, stalls).
 *
 * Contracts:
 *   - read/write get offset (from base) and size 1, 2 or 4; values are little-endian as seen by
 *     the CPU. A peripheral decides per register what a sized access means.
 *   - reset(kind) puts every register at its reset value (K64F RM / k64f.md); it is called on
 *     every reset, power-on included, before the CPU fetches its vectors.
 *   - deadline() is the emulated time (ns) at which tick() must run next, UINT64_MAX for never.
 *     The machine calls tick(now) from its block hook once now >= deadline(); it re-reads
 *     deadline() after every read/write/tick/reset of that peripheral.
 *   - the snapshot is the peripheral's plain state: save/load copy `state_size` bytes. The state
 *     must hold no pointers.
 *   - a peripheral's functions are called from Unicorn callbacks: no allocation, no I/O.
 */
#ifndef FWEMU_PERIPH_H
#define FWEMU_PERIPH_H

#include "emu_types.h"

typedef struct emu_bus emu_bus_t;

/* Services the machine offers a peripheral. `m` is opaque to the peripheral. */
struct emu_bus {
    void *m;
    uint64_t (*now_ns)(void *m);                       /* emulated time */
    uint64_t (*insns)(void *m);                        /* instructions executed so far */
    uint64_t core_hz;                                  /* core clock (120 MHz on K64F) */
    void (*irq)(void *m, int irq, bool level);         /* external IRQ line (NVIC number) */
    void (*reset_request)(void *m, emu_reset_kind_t kind, const char *why);
    void (*event)(void *m, const emu_event_t *ev);     /* append to the event log (time/PC filled) */
    void (*console)(void *m, int port, uint8_t byte);  /* UART transmit */
    /* Busy-wait fast-forward: the CPU stalls until `until_ns` (used when firmware polls a busy
     * flag: the time it would have spun is added to emulated time at once). */
    void (*stall_until)(void *m, uint64_t until_ns);
    /* Ask the machine to stop the CPU at the next opportunity (e.g. flash hook cut power). */
    void (*power_cut)(void *m);
    /* PC of the code currently running (block start). */
    uint32_t (*pc)(void *m);
    /* Bus-master access to SRAM (DMA): 0 when [addr, addr+len) lies inside one RAM region,
     * else -1 and nothing is copied. dma_write with data NULL only checks the range. */
    int (*dma_read)(void *m, uint32_t addr, void *buf, uint32_t len);
    int (*dma_write)(void *m, uint32_t addr, const void *data, uint32_t len);
};

typedef struct periph periph_t;

typedef struct periph_ops {
    const char *name;
    uint32_t size;                                     /* bytes of register space */
    uint32_t (*read)(periph_t *p, uint32_t off, unsigned size);
    void (*write)(periph_t *p, uint32_t off, unsigned size, uint32_t value);
    void (*reset)(periph_t *p, emu_reset_kind_t kind);
    uint64_t (*deadline)(periph_t *p);                 /* may be NULL: never */
    void (*tick)(periph_t *p, uint64_t now_ns);        /* may be NULL */
    void (*destroy)(periph_t *p);                      /* frees p */
    size_t state_size;
    void *(*state)(periph_t *p);                       /* pointer to the plain state to copy */
    /* What decides the peripheral's behaviour from now on (emu_fingerprint), times relative to
     * now_ns, statistics left out. NULL: the plain state as it is (right whenever the state
     * holds no absolute time: a state that does only never matches another machine's). */
    void (*fingerprint)(periph_t *p, uint64_t now_ns, emu_feed_fn feed, void *ctx);
} periph_ops_t;

struct periph {
    const periph_ops_t *ops;
    emu_bus_t *bus;
    uint32_t base;                                     /* set by the board */
};

/* Blocks of 32-bit registers: split an access of any size and alignment into aligned word
 * reads, or word writes with the byte mask of the bytes it covers (little-endian). */
typedef uint32_t (*periph_read32_fn)(periph_t *p, uint32_t off);
typedef void (*periph_write32_fn)(periph_t *p, uint32_t off, uint32_t val, uint32_t mask);
uint32_t periph_read_split(periph_t *p, uint32_t off, unsigned size, periph_read32_fn rd);
void periph_write_split(periph_t *p, uint32_t off, unsigned size, uint32_t value, periph_write32_fn wr);

/* Constructors (emu/periph/<name>.c). Each returns NULL only when out of memory. */
typedef struct flash flash_t;
periph_t *ftfe_create(emu_bus_t *bus, flash_t *flash, uint8_t *flexram, uint32_t flexram_size);
periph_t *uart_create(emu_bus_t *bus, int port, int irq);
periph_t *wdog_create(emu_bus_t *bus, bool enabled_out_of_reset);
periph_t *rcm_create(emu_bus_t *bus);
periph_t *sim_create(emu_bus_t *bus, uint32_t flash_size);
periph_t *mcg_create(emu_bus_t *bus);
periph_t *fmc_create(emu_bus_t *bus);
periph_t *pit_create(emu_bus_t *bus, int first_irq);
/* RTC (VBAT domain: kept across warm resets); irq = alarm/overflow/invalid, seconds_irq = TSIE */
periph_t *rtc_create(emu_bus_t *bus, int irq, int seconds_irq);
periph_t *lptmr_create(emu_bus_t *bus, int irq);   /* reset only at power-on */
/* NETU network device; backend_slot points at the machine's current backend (may hold NULL). */
periph_t *netdev_create(emu_bus_t *bus, const emu_net_backend_t *const *backend_slot, int irq);
/* A plain register file for blocks whose behaviour the firmware does not depend on (PORT pin
 * muxing, GPIO, PMC, SMC, OSC, the K64F system MPU): reads return what was written, reset
 * values from the given table (offset, value pairs, may be NULL). */
typedef struct regfile_init { uint32_t off, value; } regfile_init_t;
periph_t *regfile_create(emu_bus_t *bus, const char *name, uint32_t size,
                         const regfile_init_t *init, size_t ninit);

/* Host-facing extras (called by the machine / harness, never by other peripherals). */
void rcm_note_reset(periph_t *rcm, emu_reset_kind_t kind);   /* before reset(): latch SRS0/1 */
int uart_rx_push(periph_t *uart, const uint8_t *data, size_t len); /* bytes the harness types */
void netdev_notify(periph_t *netdev);
void netdev_link_changed(periph_t *netdev);
/* WDOG statistics for reports */
uint64_t wdog_refresh_count(periph_t *wdog);

#endif
