/*
 * fwemu NOR flash engine.
 *
 * The memory array of a NOR flash, with the rules a firmware must live by:
 *   - erased value is 0xFF; erase sets a whole sector to 0xFF and counts one erase cycle;
 *   - program can only clear bits: new = old AND data (Zephyr flash simulator, littlefs emubd);
 *   - programming a program unit that is not fully erased is a firmware defect: it is recorded
 *     (flash_stats_t.defects, an op-log flag) and cfg.on_reprogram chooses the physical outcome;
 *   - every operation is appended to an operation log and announced to an optional hook, before
 *     and after it is applied, so a fault injector can cut power before, tear it, or cut after.
 *
 * The engine owns no Unicorn state: the machine maps `flash_mem()` into the CPU with
 * uc_mem_map_ptr and invalidates translated code itself after host-side changes (the
 * `on_change` callback tells it which range changed).
 *
 * Errors: one enum, negative values (STYLE.md). Functions return FLASH_OK or a flash_err_t.
 */
#ifndef FWEMU_FLASH_H
#define FWEMU_FLASH_H

#include "emu_types.h"

typedef enum flash_err {
    FLASH_OK = 0,
    FLASH_ERR_RANGE = -1,     /* address/length outside the array */
    FLASH_ERR_ALIGN = -2,     /* not aligned to the program unit / sector */
    FLASH_ERR_CUT = -3,       /* the hook cut power: the operation was not (fully) applied */
    FLASH_ERR_NOMEM = -4,
    FLASH_ERR_CONFIG = -5,    /* bad geometry */
} flash_err_t;

const char *flash_strerror(int err);

/* One run of equal-size sectors. Regions are listed in address order, contiguous from base. */
typedef struct flash_region {
    uint32_t sector_size;     /* bytes, power of two */
    uint32_t count;           /* number of sectors in this run */
} flash_region_t;

#define FLASH_MAX_REGIONS 4

/* What programming a not-erased unit does physically (the defect is recorded either way). */
typedef enum flash_reprogram {
    FLASH_REPROGRAM_AND = 0,  /* new = old AND data (what the bits do on most parts) */
    FLASH_REPROGRAM_CORRUPT,  /* the unit reads back as garbage derived from the seed */
} flash_reprogram_t;

typedef struct flash_cfg {
    uint32_t base;            /* CPU address of byte 0 (0 for K64F) */
    flash_region_t regions[FLASH_MAX_REGIONS];
    uint32_t region_count;
    uint32_t program_unit;    /* bytes, e.g. 8 (K64F phrase) */
    uint32_t block_size;      /* bytes of one read-while-write plane (512 KiB on K64F); 0 = whole */
    /* durations in emulated ns (datasheet typ values are GUESSES on K64F: see k64f.md) */
    uint64_t t_program_unit_ns;  /* per program unit */
    uint64_t t_erase_sector_ns;
    uint64_t t_erase_block_ns;
    flash_reprogram_t on_reprogram;
    uint64_t seed;            /* for CORRUPT outcomes and torn operations */
} flash_cfg_t;

/* K64F defaults: 1 MiB, 256 x 4 KiB, 8-byte phrase, 2 x 512 KiB blocks, 90 us / 15 ms / 400 ms. */
void flash_cfg_k64f(flash_cfg_t *cfg);

/* Log of every operation (bounded ring: the newest entries are kept, `total` counts all). */
typedef struct flash_op {
    flash_op_kind_t kind;
    uint32_t addr, len;       /* CPU addresses */
    uint64_t time_ns;         /* emulated time at launch */
    uint64_t insns;           /* instruction count at launch */
    uint32_t pc;              /* PC of the launching code (block start) */
    uint32_t seq;             /* 0-based index since power-on of the flash object */
    uint8_t defect;           /* 1: programmed a unit that was not erased */
    uint8_t cut;              /* 0 = completed, 1 = cut before, 2 = torn, 3 = cut after */
} flash_op_t;

/* Fault-injection hook decision, returned from the BEFORE call. */
typedef enum flash_hook_action {
    FLASH_HOOK_PROCEED = 0,   /* apply the operation */
    FLASH_HOOK_CUT_BEFORE,    /* do not apply; the engine returns FLASH_ERR_CUT */
    FLASH_HOOK_TORN,          /* apply part of it (seeded), return FLASH_ERR_CUT */
    FLASH_HOOK_CUT_AFTER,     /* apply all of it, then return FLASH_ERR_CUT */
} flash_hook_action_t;

typedef enum flash_hook_phase { FLASH_HOOK_BEFORE = 0, FLASH_HOOK_AFTER = 1 } flash_hook_phase_t;

/* Called before each operation (its return value decides) and after it (return ignored).
 * `op` is the log entry being made. The hook must not call back into the engine. */
typedef flash_hook_action_t (*flash_hook_fn)(void *ctx, flash_hook_phase_t phase, const flash_op_t *op);

/* Called after bytes [addr, addr+len) changed (program, erase, host write, restore). */
typedef void (*flash_change_fn)(void *ctx, uint32_t addr, uint32_t len);

typedef struct flash_stats {
    uint64_t programs, erases, defects, cuts;
    uint64_t bytes_programmed;
    uint32_t max_sector_erases;
} flash_stats_t;

typedef struct flash flash_t;

int flash_create(const flash_cfg_t *cfg, flash_t **out);
void flash_destroy(flash_t *f);
const flash_cfg_t *flash_config(const flash_t *f);

uint8_t *flash_mem(flash_t *f);          /* the array, size flash_size() */
uint32_t flash_size(const flash_t *f);
bool flash_contains(const flash_t *f, uint32_t addr, uint32_t len);

/* Sector containing addr: start address and size. FLASH_ERR_RANGE if outside. */
int flash_sector_of(const flash_t *f, uint32_t addr, uint32_t *start, uint32_t *size);
uint32_t flash_sector_count(const flash_t *f);
/* Erase count of sector index i (0-based over the whole array). */
uint32_t flash_sector_erases(const flash_t *f, uint32_t index);

void flash_set_hook(flash_t *f, flash_hook_fn fn, void *ctx);
void flash_set_change_cb(flash_t *f, flash_change_fn fn, void *ctx);
/* Time/PC source used to stamp log entries: the machine sets it. */
void flash_set_clock(flash_t *f, uint64_t time_ns, uint64_t insns, uint32_t pc);

/* Device operations (as launched by a flash controller). `addr` is a CPU address.
 * program: len multiple of program_unit, aligned; erase_sector: any address inside the sector.
 * Return FLASH_OK, FLASH_ERR_CUT (hook cut power: caller must stop the machine), or an error.
 * *busy_ns receives the emulated duration (also when torn). */
int flash_program(flash_t *f, uint32_t addr, const uint8_t *data, uint32_t len, uint64_t *busy_ns);
int flash_erase_sector(flash_t *f, uint32_t addr, uint64_t *busy_ns);
int flash_erase_block(flash_t *f, uint32_t addr, uint64_t *busy_ns);   /* the block_size plane */
int flash_erase_all(flash_t *f, uint64_t *busy_ns);

/* True when every byte of [addr, addr+len) is 0xFF. */
bool flash_is_erased(const flash_t *f, uint32_t addr, uint32_t len);

/* Host-side access (no log, no hook, no wear): loading images, corrupting for scenarios. */
int flash_host_write(flash_t *f, uint32_t addr, const uint8_t *data, uint32_t len);
int flash_host_erase(flash_t *f, uint32_t addr, uint32_t len);  /* set range to 0xFF */

/* Operation log: entries [first, total) are available, first = total - min(total, capacity). */
uint32_t flash_log_total(const flash_t *f);
const flash_op_t *flash_log_get(const flash_t *f, uint32_t seq); /* NULL if not kept */
void flash_stats(const flash_t *f, flash_stats_t *out);

/* Dependence tracking: which parts of the array a stretch of a run depended on. Between
 * flash_track_begin and flash_track_end every granule (a power of two >= the program unit)
 * records the first thing that happened to it:
 *   FLASH_TRACK_USED   its old contents mattered: read (flash_track_use: the machine reports CPU
 *                      loads and fetches and host reads), blank-checked, programmed (the result
 *                      depends on the old bits), erased only in part (torn, or a sector smaller
 *                      than the granule), or written or restored by the host;
 *   FLASH_TRACK_ERASED a complete erase came first: nothing that followed saw the old contents;
 *   FLASH_TRACK_NONE   nothing yet.
 * Only the first event counts, so a reporter may report a granule's reads once. Two states that
 * differ only in granules a run leaves NONE or ERASED lead to the same run (the caller still has
 * to treat NONE as used if anything reads the array after the stretch). */
typedef enum flash_track {
    FLASH_TRACK_NONE = 0,
    FLASH_TRACK_USED = 1,
    FLASH_TRACK_ERASED = 2,
} flash_track_t;

int flash_track_begin(flash_t *f, uint32_t granule);   /* FLASH_ERR_CONFIG: bad granule */
void flash_track_end(flash_t *f);                      /* stop recording; the states stay readable */
void flash_track_use(flash_t *f, uint32_t addr, uint32_t len);   /* CPU address; outside: ignored */
/* The states (NULL before the first begin), their count and the granule size. */
const uint8_t *flash_track_states(const flash_t *f, uint32_t *count, uint32_t *granule);

/* Snapshot: contents, wear counters, stats, log position (not the log ring itself). */
size_t flash_snapshot_size(const flash_t *f);
void flash_snapshot_save(const flash_t *f, void *buf);
void flash_snapshot_load(flash_t *f, const void *buf);

#endif
