/*
 * fwemu NOR flash engine (contract: flash.h).
 *
 * Layout of the object: one byte array (flash_mem), one erase counter per sector, and an operation
 * log ring of FLASH_LOG_CAPACITY entries allocated at create. Program and erase paths never allocate
 * and do no I/O: they run inside CPU callbacks (periph.h).
 *
 * Determinism: every "random" outcome (CORRUPT reprogram, TORN program/erase) is a pure function of
 * cfg.seed, the op sequence number and the byte address, through flash_mix() below. The same seed
 * and the same op sequence give the same array, run after run.
 */
#include "flash.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Entries kept in the op log ring (power of two; the newest are kept). */
#define FLASH_LOG_CAPACITY 65536u

/* Values of flash_op_t.cut */
enum { FLASH_CUT_NONE = 0, FLASH_CUT_BEFORE = 1, FLASH_CUT_TORN = 2, FLASH_CUT_AFTER = 3 };

#define FLASH_SNAP_MAGIC 0x46534E50u   /* "FSNP" */

struct flash {
    flash_cfg_t cfg;
    uint32_t size;                      /* bytes of the whole array */
    uint32_t sector_count;
    uint32_t region_off[FLASH_MAX_REGIONS];    /* array offset of each region */
    uint32_t region_first[FLASH_MAX_REGIONS];  /* index of each region's first sector */
    uint8_t *mem;
    uint32_t *erases;                   /* per sector */
    flash_op_t *log;                    /* ring, FLASH_LOG_CAPACITY entries */
    uint32_t total;                     /* ops ever logged = next seq */
    flash_stats_t stats;
    flash_hook_fn hook;
    void *hook_ctx;
    flash_change_fn change;
    void *change_ctx;
    uint64_t now_ns, insns;             /* clock set by flash_set_clock */
    uint32_t pc;
    uint8_t *track;                     /* per granule: flash_track_t (flash_track_begin) */
    uint32_t track_shift, track_count;
    bool tracking;
};

/* Plain header of a snapshot; followed by the array and the erase counters. */
typedef struct flash_snap_hdr {
    uint32_t magic;
    uint32_t size;
    uint32_t sector_count;
    uint32_t log_total;
    flash_stats_t stats;
} flash_snap_hdr_t;

const char *flash_strerror(int err)
{
    switch (err) {
    case FLASH_OK: return "ok";
    case FLASH_ERR_RANGE: return "address/length outside the flash array";
    case FLASH_ERR_ALIGN: return "not aligned to the program unit";
    case FLASH_ERR_CUT: return "power cut during a flash operation";
    case FLASH_ERR_NOMEM: return "out of memory";
    case FLASH_ERR_CONFIG: return "bad flash geometry";
    default: return "unknown flash error";
    }
}

void flash_cfg_k64f(flash_cfg_t *cfg)
{
    /* k64f.md "Memory map" and "Timings" (timings are GUESSES: settings). */
    memset(cfg, 0, sizeof(*cfg));
    cfg->base = 0;
    cfg->regions[0].sector_size = 4096;
    cfg->regions[0].count = 256;
    cfg->region_count = 1;
    cfg->program_unit = 8;
    cfg->block_size = 512u * 1024u;
    cfg->t_program_unit_ns = 90000;
    cfg->t_erase_sector_ns = 15000000;
    cfg->t_erase_block_ns = 400000000;
    cfg->on_reprogram = FLASH_REPROGRAM_AND;
    cfg->seed = 0;
}

/* ---- deterministic noise ------------------------------------------------------------------ */

/* splitmix64 finaliser (Steele, Lea, Flood 2014): a good 64-bit mixer for counters. */
static uint64_t flash_splitmix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Noise for (seed, seq, salt): the only source of "randomness" in the engine. */
static uint64_t flash_mix(uint64_t seed, uint32_t seq, uint64_t salt)
{
    return flash_splitmix(flash_splitmix(seed ^ 0x666C617368ull) ^ ((uint64_t)seq << 32)
                          ^ flash_splitmix(salt));
}

/* Salts that keep the independent choices of one op apart. */
#define FLASH_SALT_TORN_POINT 0x100000000ull
#define FLASH_SALT_TORN_STYLE 0x200000000ull
#define FLASH_SALT_TORN_BITS  0x300000000ull
#define FLASH_SALT_GARBAGE    0x400000000ull
#define FLASH_SALT_RANDOM     0x500000000ull

static uint8_t flash_noise_byte(const flash_t *f, uint32_t seq, uint64_t salt, uint32_t addr)
{
    return (uint8_t)(flash_mix(f->cfg.seed, seq, salt + addr) >> 24);
}

/* ---- geometry ------------------------------------------------------------------------------ */

static bool is_pow2(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

/* Sector index, start offset and size of array offset `off` (off < size). */
static uint32_t flash_sector_index(const flash_t *f, uint32_t off, uint32_t *start, uint32_t *size)
{
    uint32_t r = f->cfg.region_count - 1;
    while (r > 0 && off < f->region_off[r])
        r--;
    uint32_t ss = f->cfg.regions[r].sector_size;
    uint32_t i = (off - f->region_off[r]) / ss;
    if (start)
        *start = f->region_off[r] + i * ss;
    if (size)
        *size = ss;
    return f->region_first[r] + i;
}

static uint32_t flash_block_len(const flash_t *f)
{
    return f->cfg.block_size ? f->cfg.block_size : f->size;
}

int flash_create(const flash_cfg_t *cfg, flash_t **out)
{
    *out = NULL;
    if (cfg->region_count == 0 || cfg->region_count > FLASH_MAX_REGIONS
        || !is_pow2(cfg->program_unit))
        return FLASH_ERR_CONFIG;
    uint64_t size = 0, sectors = 0;
    for (uint32_t r = 0; r < cfg->region_count; r++) {
        const flash_region_t *rg = &cfg->regions[r];
        if (!is_pow2(rg->sector_size) || rg->count == 0 || rg->sector_size < cfg->program_unit)
            return FLASH_ERR_CONFIG;
        size += (uint64_t)rg->sector_size * rg->count;
        sectors += rg->count;
    }
    if (size > UINT32_MAX || (uint64_t)cfg->base + size > (uint64_t)UINT32_MAX + 1)
        return FLASH_ERR_CONFIG;

    flash_t *f = calloc(1, sizeof(*f));
    if (!f)
        return FLASH_ERR_NOMEM;
    f->cfg = *cfg;
    f->size = (uint32_t)size;
    f->sector_count = (uint32_t)sectors;
    uint32_t off = 0, first = 0;
    for (uint32_t r = 0; r < cfg->region_count; r++) {
        f->region_off[r] = off;
        f->region_first[r] = first;
        off += cfg->regions[r].sector_size * cfg->regions[r].count;
        first += cfg->regions[r].count;
    }
    /* A read-while-write block must start and end on sector boundaries. */
    if (cfg->block_size) {
        for (uint64_t b = cfg->block_size; b < size; b += cfg->block_size) {
            uint32_t start;
            flash_sector_index(f, (uint32_t)b, &start, NULL);
            if (start != b) {
                free(f);
                return FLASH_ERR_CONFIG;
            }
        }
    }
    f->mem = malloc(f->size);
    f->erases = calloc(f->sector_count, sizeof(*f->erases));
    f->log = calloc(FLASH_LOG_CAPACITY, sizeof(*f->log));
    if (!f->mem || !f->erases || !f->log) {
        flash_destroy(f);
        return FLASH_ERR_NOMEM;
    }
    memset(f->mem, 0xFF, f->size);
    *out = f;
    return FLASH_OK;
}

void flash_destroy(flash_t *f)
{
    if (!f)
        return;
    free(f->mem);
    free(f->erases);
    free(f->log);
    free(f->track);
    free(f);
}

const flash_cfg_t *flash_config(const flash_t *f) { return &f->cfg; }
uint8_t *flash_mem(flash_t *f) { return f->mem; }
uint32_t flash_size(const flash_t *f) { return f->size; }
uint32_t flash_sector_count(const flash_t *f) { return f->sector_count; }

bool flash_contains(const flash_t *f, uint32_t addr, uint32_t len)
{
    if (addr < f->cfg.base)
        return false;
    return (uint64_t)(addr - f->cfg.base) + len <= f->size;
}

int flash_sector_of(const flash_t *f, uint32_t addr, uint32_t *start, uint32_t *size)
{
    if (!flash_contains(f, addr, 1))
        return FLASH_ERR_RANGE;
    uint32_t s, sz;
    flash_sector_index(f, addr - f->cfg.base, &s, &sz);
    if (start)
        *start = f->cfg.base + s;
    if (size)
        *size = sz;
    return FLASH_OK;
}

uint32_t flash_sector_erases(const flash_t *f, uint32_t index)
{
    return index < f->sector_count ? f->erases[index] : 0;
}

void flash_set_hook(flash_t *f, flash_hook_fn fn, void *ctx)
{
    f->hook = fn;
    f->hook_ctx = ctx;
}

void flash_set_change_cb(flash_t *f, flash_change_fn fn, void *ctx)
{
    f->change = fn;
    f->change_ctx = ctx;
}

void flash_set_clock(flash_t *f, uint64_t time_ns, uint64_t insns, uint32_t pc)
{
    f->now_ns = time_ns;
    f->insns = insns;
    f->pc = pc;
}

/* ---- dependence tracking ------------------------------------------------------------------ */

int flash_track_begin(flash_t *f, uint32_t granule)
{
    if (!is_pow2(granule) || granule < f->cfg.program_unit)
        return FLASH_ERR_CONFIG;
    uint32_t shift = 0;
    while ((1u << shift) < granule)
        shift++;
    uint32_t count = (uint32_t)(((uint64_t)f->size + granule - 1) >> shift);
    if (!f->track || count != f->track_count) {
        uint8_t *t = realloc(f->track, count);
        if (!t)
            return FLASH_ERR_NOMEM;
        f->track = t;
    }
    memset(f->track, FLASH_TRACK_NONE, count);
    f->track_shift = shift;
    f->track_count = count;
    f->tracking = true;
    return FLASH_OK;
}

void flash_track_end(flash_t *f) { f->tracking = false; }

const uint8_t *flash_track_states(const flash_t *f, uint32_t *count, uint32_t *granule)
{
    if (count)
        *count = f->track ? f->track_count : 0;
    if (granule)
        *granule = f->track ? 1u << f->track_shift : 0;
    return f->track;
}

/* The first event of the granules overlapping array range [off, off+len): `erased` marks those
 * the range covers whole as ERASED and the others USED; otherwise all are USED. (The states are
 * bookkeeping, not the array: flash_is_erased records through a const flash.) */
static void track_mark(const flash_t *f, uint32_t off, uint32_t len, bool erased)
{
    if (!f->tracking || !len || off >= f->size)
        return;
    if (len > f->size - off)
        len = f->size - off;
    uint32_t g0 = off >> f->track_shift, g1 = (off + len - 1) >> f->track_shift;
    uint32_t gsz = 1u << f->track_shift;
    for (uint32_t g = g0; g <= g1; g++) {
        if (f->track[g] != FLASH_TRACK_NONE)
            continue;
        uint32_t gs = g << f->track_shift;
        bool whole = off <= gs && (uint64_t)off + len >= (uint64_t)gs + gsz;
        f->track[g] = erased && whole ? FLASH_TRACK_ERASED : FLASH_TRACK_USED;
    }
}

void flash_track_use(flash_t *f, uint32_t addr, uint32_t len)
{
    if (f->tracking && addr - f->cfg.base < f->size)
        track_mark(f, addr - f->cfg.base, len, false);
}

bool flash_is_erased(const flash_t *f, uint32_t addr, uint32_t len)
{
    if (!flash_contains(f, addr, len))
        return false;
    track_mark(f, addr - f->cfg.base, len, false);
    const uint8_t *p = f->mem + (addr - f->cfg.base);
    for (uint32_t i = 0; i < len; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

static void flash_changed(flash_t *f, uint32_t off, uint32_t len)
{
    if (f->change && len)
        f->change(f->change_ctx, f->cfg.base + off, len);
}

/* ---- op log and hook ---------------------------------------------------------------------- */

/* Append the entry for a new op and ask the hook what to do. Returns the slot (still updatable). */
static flash_op_t *flash_op_begin(flash_t *f, flash_op_kind_t kind, uint32_t off, uint32_t len,
                                  uint8_t defect, flash_hook_action_t *action)
{
    flash_op_t *op = &f->log[f->total & (FLASH_LOG_CAPACITY - 1)];
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    op->addr = f->cfg.base + off;
    op->len = len;
    op->time_ns = f->now_ns;
    op->insns = f->insns;
    op->pc = f->pc;
    op->seq = f->total++;
    op->defect = defect;
    *action = f->hook ? f->hook(f->hook_ctx, FLASH_HOOK_BEFORE, op) : FLASH_HOOK_PROCEED;
    if (*action > FLASH_HOOK_CUT_AFTER)
        *action = FLASH_HOOK_PROCEED;
    switch (*action) {
    case FLASH_HOOK_CUT_BEFORE: op->cut = FLASH_CUT_BEFORE; break;
    case FLASH_HOOK_TORN: op->cut = FLASH_CUT_TORN; break;
    case FLASH_HOOK_CUT_AFTER: op->cut = FLASH_CUT_AFTER; break;
    default: op->cut = FLASH_CUT_NONE; break;
    }
    if (kind == FLASH_OP_PROGRAM)
        f->stats.programs++;
    else
        f->stats.erases++;
    if (defect)
        f->stats.defects++;
    return op;
}

/* After an op was applied (fully or torn): change callback, then the AFTER hook; map to result. */
static int flash_op_end(flash_t *f, const flash_op_t *op, uint32_t off, uint32_t len,
                        flash_hook_action_t action)
{
    if (action == FLASH_HOOK_CUT_BEFORE) {
        f->stats.cuts++;
        return FLASH_ERR_CUT;
    }
    flash_changed(f, off, len);
    if (f->hook)
        (void)f->hook(f->hook_ctx, FLASH_HOOK_AFTER, op);
    if (action == FLASH_HOOK_PROCEED)
        return FLASH_OK;
    f->stats.cuts++;
    return FLASH_ERR_CUT;
}

/* ---- program ------------------------------------------------------------------------------ */

/* Program one unit at array offset `off`: new = old AND data. `defect` (unit not erased) with the
 * CORRUPT outcome makes the unit read back seeded garbage instead. `partial` (the unit a torn
 * program stops in): only a seeded subset of the bits to clear gets cleared. */
static void flash_program_unit(flash_t *f, uint32_t seq, uint32_t off, const uint8_t *data,
                               bool defect, bool partial)
{
    uint32_t unit = f->cfg.program_unit;
    uint8_t *p = f->mem + off;
    if (defect && f->cfg.on_reprogram == FLASH_REPROGRAM_CORRUPT) {
        for (uint32_t i = 0; i < unit; i++)
            p[i] = flash_noise_byte(f, seq, FLASH_SALT_GARBAGE, f->cfg.base + off + i);
        return;
    }
    for (uint32_t i = 0; i < unit; i++) {
        uint8_t d = data[i];
        if (partial) /* bits not yet pulled down keep their old value */
            d |= (uint8_t)~flash_noise_byte(f, seq, FLASH_SALT_TORN_BITS, f->cfg.base + off + i);
        p[i] &= d;
    }
}

static bool flash_unit_erased(const flash_t *f, uint32_t off)
{
    for (uint32_t i = 0; i < f->cfg.program_unit; i++)
        if (f->mem[off + i] != 0xFF)
            return false;
    return true;
}

int flash_program(flash_t *f, uint32_t addr, const uint8_t *data, uint32_t len, uint64_t *busy_ns)
{
    uint32_t unit = f->cfg.program_unit;
    if (busy_ns)
        *busy_ns = 0;
    if (!flash_contains(f, addr, len))
        return FLASH_ERR_RANGE;
    uint32_t off = addr - f->cfg.base;
    if (len == 0 || off % unit || len % unit)
        return FLASH_ERR_ALIGN;
    uint32_t units = len / unit;
    if (busy_ns)
        *busy_ns = (uint64_t)units * f->cfg.t_program_unit_ns;
    track_mark(f, off, len, false);      /* the defect check and the AND read the old bits */

    bool defect = false;
    for (uint32_t u = 0; u < units && !defect; u++)
        defect = !flash_unit_erased(f, off + u * unit);

    flash_hook_action_t action;
    flash_op_t *op = flash_op_begin(f, FLASH_OP_PROGRAM, off, len, defect, &action);
    if (action == FLASH_HOOK_CUT_BEFORE)
        return flash_op_end(f, op, off, len, action);

    /* Torn: units [0, stop) complete, unit `stop` partly (some bits), the rest untouched. */
    uint32_t stop = units;
    if (action == FLASH_HOOK_TORN)
        stop = (uint32_t)(flash_mix(f->cfg.seed, op->seq, FLASH_SALT_TORN_POINT) % units);
    for (uint32_t u = 0; u < units && u <= stop; u++) {
        uint32_t uo = off + u * unit;
        bool unit_defect = !flash_unit_erased(f, uo);
        flash_program_unit(f, op->seq, uo, data + u * unit, unit_defect, u == stop);
    }
    f->stats.bytes_programmed += (action == FLASH_HOOK_TORN) ? (uint64_t)stop * unit : len;
    return flash_op_end(f, op, off, len, action);
}

/* ---- erase -------------------------------------------------------------------------------- */

static void flash_count_erase(flash_t *f, uint32_t index)
{
    uint32_t n = ++f->erases[index];
    if (n > f->stats.max_sector_erases)
        f->stats.max_sector_erases = n;
}

/* Torn erase of one sector: a seeded prefix reads 0xFF, the rest keeps its old bytes or reads
 * random bytes (seeded choice: an interrupted erase pulse leaves cells anywhere in between). */
static void flash_erase_torn(flash_t *f, uint32_t seq, uint32_t start, uint32_t size)
{
    uint32_t done = (uint32_t)(flash_mix(f->cfg.seed, seq, FLASH_SALT_TORN_POINT + 1 + start)
                               % size);
    bool random_rest = flash_mix(f->cfg.seed, seq, FLASH_SALT_TORN_STYLE + start) & 1;
    memset(f->mem + start, 0xFF, done);
    if (random_rest)
        for (uint32_t i = done; i < size; i++)
            f->mem[start + i] = flash_noise_byte(f, seq, FLASH_SALT_RANDOM, f->cfg.base + start + i);
}

/* Erase whole sectors covering array range [off, off+len) (sector-aligned). */
static int flash_erase_range(flash_t *f, flash_op_kind_t kind, uint32_t off, uint32_t len)
{
    flash_hook_action_t action;
    flash_op_t *op = flash_op_begin(f, kind, off, len, 0, &action);
    if (action == FLASH_HOOK_CUT_BEFORE)
        return flash_op_end(f, op, off, len, action);

    uint32_t first = flash_sector_index(f, off, NULL, NULL);
    uint32_t last = flash_sector_index(f, off + len - 1, NULL, NULL);
    if (action == FLASH_HOOK_TORN) {
        /* sectors before `stop` erased, sector `stop` torn, the rest untouched */
        uint32_t stop = first + (uint32_t)(flash_mix(f->cfg.seed, op->seq, FLASH_SALT_TORN_POINT)
                                           % (last - first + 1));
        uint32_t s = off;
        for (uint32_t i = first; i <= stop; i++) {
            uint32_t start, size;
            flash_sector_index(f, s, &start, &size);
            if (i < stop)
                memset(f->mem + start, 0xFF, size);
            else
                flash_erase_torn(f, op->seq, start, size);
            track_mark(f, start, size, i < stop);
            flash_count_erase(f, i);
            s = start + size;
        }
    } else {
        memset(f->mem + off, 0xFF, len);
        track_mark(f, off, len, true);
        for (uint32_t i = first; i <= last; i++)
            flash_count_erase(f, i);
    }
    return flash_op_end(f, op, off, len, action);
}

int flash_erase_sector(flash_t *f, uint32_t addr, uint64_t *busy_ns)
{
    if (busy_ns)
        *busy_ns = 0;
    if (!flash_contains(f, addr, 1))
        return FLASH_ERR_RANGE;
    uint32_t start, size;
    flash_sector_index(f, addr - f->cfg.base, &start, &size);
    if (busy_ns)
        *busy_ns = f->cfg.t_erase_sector_ns;
    return flash_erase_range(f, FLASH_OP_ERASE_SECTOR, start, size);
}

int flash_erase_block(flash_t *f, uint32_t addr, uint64_t *busy_ns)
{
    if (busy_ns)
        *busy_ns = 0;
    if (!flash_contains(f, addr, 1))
        return FLASH_ERR_RANGE;
    uint32_t bl = flash_block_len(f);
    uint32_t start = (addr - f->cfg.base) / bl * bl;
    uint32_t len = f->size - start < bl ? f->size - start : bl;
    if (busy_ns)
        *busy_ns = f->cfg.t_erase_block_ns;
    return flash_erase_range(f, FLASH_OP_ERASE_BLOCK, start, len);
}

int flash_erase_all(flash_t *f, uint64_t *busy_ns)
{
    uint32_t bl = flash_block_len(f);
    if (busy_ns)
        *busy_ns = f->cfg.t_erase_block_ns * ((f->size + (uint64_t)bl - 1) / bl);
    return flash_erase_range(f, FLASH_OP_ERASE_ALL, 0, f->size);
}

/* ---- host side ---------------------------------------------------------------------------- */

int flash_host_write(flash_t *f, uint32_t addr, const uint8_t *data, uint32_t len)
{
    if (!flash_contains(f, addr, len))
        return FLASH_ERR_RANGE;
    track_mark(f, addr - f->cfg.base, len, false);
    memcpy(f->mem + (addr - f->cfg.base), data, len);
    flash_changed(f, addr - f->cfg.base, len);
    return FLASH_OK;
}

int flash_host_erase(flash_t *f, uint32_t addr, uint32_t len)
{
    if (!flash_contains(f, addr, len))
        return FLASH_ERR_RANGE;
    track_mark(f, addr - f->cfg.base, len, false);
    memset(f->mem + (addr - f->cfg.base), 0xFF, len);
    flash_changed(f, addr - f->cfg.base, len);
    return FLASH_OK;
}

/* ---- log, stats, snapshot ----------------------------------------------------------------- */

uint32_t flash_log_total(const flash_t *f) { return f->total; }

/* A slot is returned only if it still holds entry `seq`: after a snapshot load, entries of the
 * snapshot's past stay readable when this object lived that past, and never-written slots (zeroed
 * at create: len 0, which no logged op has) are not mistaken for entries. */
const flash_op_t *flash_log_get(const flash_t *f, uint32_t seq)
{
    if (seq >= f->total || f->total - seq > FLASH_LOG_CAPACITY)
        return NULL;
    const flash_op_t *op = &f->log[seq & (FLASH_LOG_CAPACITY - 1)];
    return op->len != 0 && op->seq == seq ? op : NULL;
}

void flash_stats(const flash_t *f, flash_stats_t *out) { *out = f->stats; }

size_t flash_snapshot_size(const flash_t *f)
{
    return sizeof(flash_snap_hdr_t) + f->size + (size_t)f->sector_count * sizeof(uint32_t);
}

void flash_snapshot_save(const flash_t *f, void *buf)
{
    flash_snap_hdr_t h;
    memset(&h, 0, sizeof(h));
    h.magic = FLASH_SNAP_MAGIC;
    h.size = f->size;
    h.sector_count = f->sector_count;
    h.log_total = f->total;
    h.stats = f->stats;
    uint8_t *p = buf;
    memcpy(p, &h, sizeof(h));
    memcpy(p + sizeof(h), f->mem, f->size);
    memcpy(p + sizeof(h) + f->size, f->erases, (size_t)f->sector_count * sizeof(uint32_t));
}

void flash_snapshot_load(flash_t *f, const void *buf)
{
    const uint8_t *p = buf;
    flash_snap_hdr_t h;
    memcpy(&h, p, sizeof(h));
    /* A snapshot of another geometry is a caller bug (ASSERT); release builds ignore it. */
    assert(h.magic == FLASH_SNAP_MAGIC && h.size == f->size && h.sector_count == f->sector_count);
    if (h.magic != FLASH_SNAP_MAGIC || h.size != f->size || h.sector_count != f->sector_count)
        return;
    const uint8_t *mem = p + sizeof(h);
    /* Report only the range that really changed (the machine invalidates translated code there). */
    uint32_t lo = 0, hi = f->size;
    enum { STEP = 256 }; /* memcmp a block at a time, then bytes inside the differing block */
    while (hi - lo >= STEP && memcmp(f->mem + lo, mem + lo, STEP) == 0)
        lo += STEP;
    while (lo < hi && f->mem[lo] == mem[lo])
        lo++;
    while (hi - lo >= STEP && memcmp(f->mem + hi - STEP, mem + hi - STEP, STEP) == 0)
        hi -= STEP;
    while (hi > lo && f->mem[hi - 1] == mem[hi - 1])
        hi--;
    track_mark(f, 0, f->size, false);
    memcpy(f->mem, mem, f->size);
    memcpy(f->erases, mem + f->size, (size_t)f->sector_count * sizeof(uint32_t));
    f->stats = h.stats;
    f->total = h.log_total;
    flash_changed(f, lo, hi - lo);
}
