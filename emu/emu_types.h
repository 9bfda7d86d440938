/*
 * fwemu emu/ shared types: time, reset kinds, events.
 *
 * Contract: everything here is plain data (no pointers to host objects inside events), so that an
 * event log can be copied, snapshotted and written to a report without the machine around.
 */
#ifndef FWEMU_EMU_TYPES_H
#define FWEMU_EMU_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reset kinds. POWER_ON fills SRAM per the ram_fill setting; all others keep SRAM. */
typedef enum emu_reset_kind {
    EMU_RESET_POWER_ON = 0,
    EMU_RESET_PIN,
    EMU_RESET_SOFTWARE,     /* AIRCR.SYSRESETREQ */
    EMU_RESET_WATCHDOG,
    EMU_RESET_LOCKUP,
    EMU_RESET_KIND_COUNT
} emu_reset_kind_t;

const char *emu_reset_kind_name(emu_reset_kind_t k);

/* Flash operation kinds, as launched by the flash controller (or by the host). */
typedef enum flash_op_kind {
    FLASH_OP_PROGRAM = 0,   /* program phrase / section: bits can only go 1 -> 0 */
    FLASH_OP_ERASE_SECTOR,
    FLASH_OP_ERASE_BLOCK,
    FLASH_OP_ERASE_ALL,
    FLASH_OP_READ,          /* a controller command that only reads or checks the array (Read 1s,
                             * Program Check, Read Resource, Read Once, Verify Backdoor Key): it
                             * appears in events (a flash_error), never as an operation on the array */
    FLASH_OP_KIND_COUNT
} flash_op_kind_t;

const char *flash_op_kind_name(flash_op_kind_t k);

/* Event kinds. Each event carries emulated time, instruction count and PC. */
typedef enum emu_event_kind {
    EMU_EV_RESET = 0,        /* a.reset.kind: the reset that just happened (machine restarted) */
    EMU_EV_FLASH_OP,         /* a.flash: one completed (or cut) flash operation */
    EMU_EV_FLASH_DEFECT,     /* a.flash: program of a unit that was not erased */
    EMU_EV_FLASH_RDCOL,      /* a.flash: read/fetch from a block while a command ran on it */
    EMU_EV_FLASH_ERROR,      /* a.flash + a.code: command ended with ACCERR/FPVIOL/MGSTAT0 */
    EMU_EV_FAULT,            /* a.fault: an exception escalated (HardFault, UsageFault, ...) */
    EMU_EV_LOCKUP,           /* a.fault: fault while in HardFault/NMI: core locked up */
    EMU_EV_UNMAPPED,         /* a.access: access to an address nothing models */
    EMU_EV_WDOG_REFRESH,     /* watchdog refreshed (counted, not logged one by one) */
    EMU_EV_MARKER,           /* a.marker: firmware raised a test marker (value) */
    EMU_EV_APP_RUNNING,      /* a.marker: the harness decided the app runs (how: see detail) */
    EMU_EV_SEMIHOST_EXIT,    /* a.marker.value = exit code */
    EMU_EV_HALT,             /* WFI with nothing that can wake the core */
    EMU_EV_POWER_OFF,        /* the host cut power */
    EMU_EV_NOTE,             /* free text in detail (e.g. host actions) */
    EMU_EV_NET,              /* network device request/completion (detail) */
    EMU_EV_KIND_COUNT
} emu_event_kind_t;

const char *emu_event_kind_name(emu_event_kind_t k);

typedef struct emu_event {
    emu_event_kind_t kind;
    uint64_t time_ns;        /* emulated time since power-on of this machine (monotonic) */
    uint64_t insns;          /* instructions executed since machine creation */
    uint32_t pc;             /* PC (block start: see unicorn-2.0.1.md), 0 for host-side events */
    union {
        struct { emu_reset_kind_t kind; } reset;
        struct {
            flash_op_kind_t op;
            uint32_t addr, len;
            uint32_t seq;    /* index in the flash operation log */
            int32_t code;    /* error flags for FLASH_ERROR */
        } flash;
        struct {
            uint32_t exc;    /* exception number taken, 3 = HardFault */
            uint32_t cfsr, hfsr, addr; /* fault status and faulting address (BFAR/MMFAR) */
        } fault;
        struct { uint32_t addr; uint8_t size; bool write; uint32_t value; } access;
        struct { uint32_t value; } marker;
    } a;
    char detail[48];         /* short text: reason names, console-free */
} emu_event_t;

/* The update server behind the NETU network device: see emu_set_net_backend (emu.h). */
typedef enum emu_net_result {
    EMU_NET_OK = 0, EMU_NET_NOT_FOUND = 1, EMU_NET_LINK_DOWN = 2, EMU_NET_BAD_REQUEST = 3,
    EMU_NET_ABORTED = 4, EMU_NET_RANGE = 5,
} emu_net_result_t;
typedef struct emu_net_reply {
    int result;
    uint32_t len, total;
    uint64_t done_ns;
} emu_net_reply_t;
typedef struct emu_net_backend {
    void *ctx;
    void (*get)(void *ctx, uint64_t now_ns, const char *uri, uint32_t offset, uint8_t *buf,
                uint32_t max, emu_net_reply_t *r);
    void (*post)(void *ctx, uint64_t now_ns, const char *uri, const uint8_t *msg, uint32_t len,
                 emu_net_reply_t *r);
    bool (*link_up)(void *ctx, uint64_t now_ns);
    bool (*notify_pending)(void *ctx, uint64_t now_ns);
} emu_net_backend_t;

/* Receives the bytes of a fingerprint (emu_fingerprint, periph_ops.fingerprint). */
typedef void (*emu_feed_fn)(void *ctx, const void *data, size_t len);

#endif
