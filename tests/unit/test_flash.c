/*
 * Unit tests of the NOR flash engine (emu/flash.h): NOR rules, geometry, wear, defects, the
 * fault-injection hook (cut before / torn / cut after), change callbacks, log ring, snapshots,
 * dependence tracking (the first event of each granule).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flash.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static flash_t *new_k64f(uint64_t seed, flash_reprogram_t outcome)
{
    flash_cfg_t cfg;
    flash_cfg_k64f(&cfg);
    cfg.seed = seed;
    cfg.on_reprogram = outcome;
    flash_t *f = NULL;
    assert_int_equal(flash_create(&cfg, &f), FLASH_OK);
    assert_non_null(f);
    return f;
}

typedef struct hook_rec {
    flash_hook_action_t action;    /* returned from BEFORE */
    int before, after;
    flash_op_t last_before, last_after;
} hook_rec_t;

static flash_hook_action_t rec_hook(void *ctx, flash_hook_phase_t phase, const flash_op_t *op)
{
    hook_rec_t *r = ctx;
    if (phase == FLASH_HOOK_BEFORE) {
        r->before++;
        r->last_before = *op;
        return r->action;
    }
    r->after++;
    r->last_after = *op;
    return FLASH_HOOK_PROCEED;
}

typedef struct change_rec {
    int n;
    uint32_t addr[16], len[16];
} change_rec_t;

static void rec_change(void *ctx, uint32_t addr, uint32_t len)
{
    change_rec_t *c = ctx;
    if (c->n < 16) {
        c->addr[c->n] = addr;
        c->len[c->n] = len;
    }
    c->n++;
}

static void fill(uint8_t *buf, size_t n, uint8_t v) { memset(buf, v, n); }

/* ---- configuration and geometry ----------------------------------------------------------- */

static void test_k64f_defaults(void **state)
{
    flash_cfg_t cfg;
    flash_cfg_k64f(&cfg);
    assert_int_equal(cfg.base, 0);
    assert_int_equal(cfg.region_count, 1);
    assert_int_equal(cfg.regions[0].sector_size, 4096);
    assert_int_equal(cfg.regions[0].count, 256);
    assert_int_equal(cfg.program_unit, 8);
    assert_int_equal(cfg.block_size, 512 * 1024);
    assert_int_equal(cfg.t_program_unit_ns, 90000);
    assert_int_equal(cfg.t_erase_sector_ns, 15000000);
    assert_int_equal(cfg.t_erase_block_ns, 400000000);
    assert_int_equal(cfg.on_reprogram, FLASH_REPROGRAM_AND);

    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    assert_int_equal(flash_size(f), 1024 * 1024);
    assert_int_equal(flash_sector_count(f), 256);
    assert_true(flash_is_erased(f, 0, flash_size(f)));
    assert_int_equal(flash_log_total(f), 0);
    flash_destroy(f);
}

static void test_multi_region_geometry(void **state)
{
    /* STM32F4-like: 4 x 16 KiB, 1 x 64 KiB, 7 x 128 KiB at 0x08000000 */
    flash_cfg_t cfg;
    flash_cfg_k64f(&cfg);
    cfg.base = 0x08000000;
    cfg.regions[0] = (flash_region_t){ 16384, 4 };
    cfg.regions[1] = (flash_region_t){ 65536, 1 };
    cfg.regions[2] = (flash_region_t){ 131072, 7 };
    cfg.region_count = 3;
    cfg.program_unit = 4;
    cfg.block_size = 0;
    flash_t *f = NULL;
    assert_int_equal(flash_create(&cfg, &f), FLASH_OK);
    assert_int_equal(flash_size(f), 1024 * 1024);
    assert_int_equal(flash_sector_count(f), 12);

    uint32_t start, size;
    assert_int_equal(flash_sector_of(f, 0x08000000, &start, &size), FLASH_OK);
    assert_int_equal(start, 0x08000000);
    assert_int_equal(size, 16384);
    assert_int_equal(flash_sector_of(f, 0x0800C123, &start, &size), FLASH_OK);
    assert_int_equal(start, 0x0800C000);
    assert_int_equal(size, 16384);
    assert_int_equal(flash_sector_of(f, 0x0801FFFF, &start, &size), FLASH_OK);
    assert_int_equal(start, 0x08010000);
    assert_int_equal(size, 65536);
    assert_int_equal(flash_sector_of(f, 0x080E0001, &start, &size), FLASH_OK);
    assert_int_equal(start, 0x080E0000);
    assert_int_equal(size, 131072);
    assert_int_equal(flash_sector_of(f, 0x08100000, &start, &size), FLASH_ERR_RANGE);
    assert_int_equal(flash_sector_of(f, 0x07FFFFFF, &start, &size), FLASH_ERR_RANGE);

    /* erase inside the 64 KiB sector: exactly that sector, sector index 4 wears */
    uint8_t data[8];
    fill(data, sizeof data, 0x00);
    assert_int_equal(flash_program(f, 0x0800FFF8, data, 8, NULL), FLASH_OK);
    assert_int_equal(flash_program(f, 0x08010000, data, 8, NULL), FLASH_OK);
    assert_int_equal(flash_program(f, 0x0801FFF8, data, 8, NULL), FLASH_OK);
    assert_int_equal(flash_program(f, 0x08020000, data, 8, NULL), FLASH_OK);
    uint64_t busy = 0;
    assert_int_equal(flash_erase_sector(f, 0x08012345, &busy), FLASH_OK);
    assert_int_equal(busy, cfg.t_erase_sector_ns);
    assert_true(flash_is_erased(f, 0x08010000, 65536));
    assert_false(flash_is_erased(f, 0x0800FFF8, 8));
    assert_false(flash_is_erased(f, 0x08020000, 8));
    for (uint32_t i = 0; i < 12; i++)
        assert_int_equal(flash_sector_erases(f, i), i == 4 ? 1 : 0);
    const flash_op_t *op = flash_log_get(f, flash_log_total(f) - 1);
    assert_non_null(op);
    assert_int_equal(op->kind, FLASH_OP_ERASE_SECTOR);
    assert_int_equal(op->addr, 0x08010000);
    assert_int_equal(op->len, 65536);
    flash_destroy(f);
}

static void test_bad_geometry_rejected(void **state)
{
    flash_cfg_t cfg;
    flash_t *f = (flash_t *)1;

    flash_cfg_k64f(&cfg);
    cfg.region_count = 0;
    assert_int_equal(flash_create(&cfg, &f), FLASH_ERR_CONFIG);
    assert_null(f);

    flash_cfg_k64f(&cfg);
    cfg.regions[0].sector_size = 3000;
    assert_int_equal(flash_create(&cfg, &f), FLASH_ERR_CONFIG);

    flash_cfg_k64f(&cfg);
    cfg.program_unit = 6;
    assert_int_equal(flash_create(&cfg, &f), FLASH_ERR_CONFIG);

    flash_cfg_k64f(&cfg);
    cfg.region_count = FLASH_MAX_REGIONS + 1;
    assert_int_equal(flash_create(&cfg, &f), FLASH_ERR_CONFIG);

    /* a block boundary that falls inside a sector */
    flash_cfg_k64f(&cfg);
    cfg.regions[0] = (flash_region_t){ 4096, 3 };
    cfg.regions[1] = (flash_region_t){ 65536, 2 };
    cfg.region_count = 2;
    cfg.block_size = 65536;
    assert_int_equal(flash_create(&cfg, &f), FLASH_ERR_CONFIG);

    /* base + size beyond 4 GiB */
    flash_cfg_k64f(&cfg);
    cfg.base = 0xFFF80000u;
    assert_int_equal(flash_create(&cfg, &f), FLASH_ERR_CONFIG);
}

static void test_contains_and_is_erased(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    assert_true(flash_contains(f, 0, 1024 * 1024));
    assert_true(flash_contains(f, 0xFFFF8, 8));
    assert_false(flash_contains(f, 0xFFFF9, 8));
    assert_false(flash_contains(f, 0x100000, 1));
    assert_false(flash_contains(f, 0xFFFFFFF0u, 0x20));  /* wrap-around */
    uint8_t b = 0x7F;
    assert_int_equal(flash_host_write(f, 0x1234, &b, 1), FLASH_OK);
    assert_false(flash_is_erased(f, 0x1230, 8));
    assert_true(flash_is_erased(f, 0x1235, 8));
    assert_false(flash_is_erased(f, 0xFFFF8, 16));   /* outside: not erased */
    flash_destroy(f);
}

static void test_strerror_names_every_error(void **state)
{
    const int errs[] = { FLASH_OK, FLASH_ERR_RANGE, FLASH_ERR_ALIGN, FLASH_ERR_CUT,
                         FLASH_ERR_NOMEM, FLASH_ERR_CONFIG };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        assert_non_null(flash_strerror(errs[i]));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(flash_strerror(errs[i]), flash_strerror(errs[j]));
    }
}

/* ---- NOR rules ---------------------------------------------------------------------------- */

static void test_program_clears_bits_only(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    uint8_t d[16] = { 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0,
                      0x00, 0x01, 0x02, 0x03, 0xF4, 0xF5, 0xF6, 0xF7 };
    uint64_t busy = 0;
    assert_int_equal(flash_program(f, 0x2000, d, 16, &busy), FLASH_OK);
    assert_int_equal(busy, 2 * 90000);
    assert_memory_equal(flash_mem(f) + 0x2000, d, 16);
    assert_true(flash_is_erased(f, 0x2010, 16));
    assert_true(flash_is_erased(f, 0x1FF0, 16));

    flash_stats_t st;
    flash_stats(f, &st);
    assert_int_equal(st.programs, 1);
    assert_int_equal(st.defects, 0);
    assert_int_equal(st.bytes_programmed, 16);
    const flash_op_t *op = flash_log_get(f, 0);
    assert_non_null(op);
    assert_int_equal(op->kind, FLASH_OP_PROGRAM);
    assert_int_equal(op->addr, 0x2000);
    assert_int_equal(op->len, 16);
    assert_int_equal(op->seq, 0);
    assert_int_equal(op->defect, 0);
    assert_int_equal(op->cut, 0);
    flash_destroy(f);
}

static void test_reprogram_is_defect_and_ands(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    uint8_t a[8], b[8];
    fill(a, 8, 0xF0);
    fill(b, 8, 0x3C);
    assert_int_equal(flash_program(f, 0x3000, a, 8, NULL), FLASH_OK);
    assert_int_equal(flash_program(f, 0x3000, b, 8, NULL), FLASH_OK);
    for (int i = 0; i < 8; i++)
        assert_int_equal(flash_mem(f)[0x3000 + i], 0x30);
    flash_stats_t st;
    flash_stats(f, &st);
    assert_int_equal(st.defects, 1);
    assert_int_equal(flash_log_get(f, 0)->defect, 0);
    assert_int_equal(flash_log_get(f, 1)->defect, 1);
    /* programming 0xFF over a programmed unit is still a reprogram */
    fill(b, 8, 0xFF);
    assert_int_equal(flash_program(f, 0x3000, b, 8, NULL), FLASH_OK);
    assert_int_equal(flash_log_get(f, 2)->defect, 1);
    flash_destroy(f);
}

static void program_corrupt(uint64_t seed, uint8_t out[16])
{
    flash_t *f = new_k64f(seed, FLASH_REPROGRAM_CORRUPT);
    uint8_t a[16], b[16];
    fill(a, 16, 0xFF);
    a[0] = 0xF0;                   /* only the first unit is programmed before */
    fill(b, 16, 0x0F);
    assert_int_equal(flash_program(f, 0x4000, a, 16, NULL), FLASH_OK);
    assert_int_equal(flash_program(f, 0x4000, b, 16, NULL), FLASH_OK);
    flash_stats_t st;
    flash_stats(f, &st);
    assert_int_equal(st.defects, 1);
    assert_int_equal(flash_log_get(f, 1)->defect, 1);
    memcpy(out, flash_mem(f) + 0x4000, 16);
    flash_destroy(f);
}

static void test_reprogram_corrupt_is_seeded_garbage(void **state)
{
    uint8_t r1[16], r2[16], r3[16];
    program_corrupt(1, r1);
    program_corrupt(1, r2);
    program_corrupt(2, r3);
    assert_memory_equal(r1, r2, 16);          /* deterministic */
    assert_memory_not_equal(r1, r3, 8);       /* seed-dependent */
    uint8_t and_unit[8] = { 0x00, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F, 0x0F };
    assert_memory_not_equal(r1, and_unit, 8); /* not the AND outcome */
    uint8_t good[8];
    fill(good, 8, 0x0F);
    assert_memory_equal(r1 + 8, good, 8);     /* the erased unit of the same op programs fine */
}

static void test_alignment_and_range_errors(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    uint8_t d[32];
    fill(d, sizeof d, 0);
    uint64_t busy = 77;
    assert_int_equal(flash_program(f, 0x1004, d, 8, &busy), FLASH_ERR_ALIGN);
    assert_int_equal(busy, 0);
    assert_int_equal(flash_program(f, 0x1000, d, 12, NULL), FLASH_ERR_ALIGN);
    assert_int_equal(flash_program(f, 0x1000, d, 0, NULL), FLASH_ERR_ALIGN);
    assert_int_equal(flash_program(f, 0xFFFF8, d, 16, NULL), FLASH_ERR_RANGE);
    assert_int_equal(flash_program(f, 0x100000, d, 8, NULL), FLASH_ERR_RANGE);
    assert_int_equal(flash_erase_sector(f, 0x100000, NULL), FLASH_ERR_RANGE);
    assert_int_equal(flash_erase_block(f, 0x200000, NULL), FLASH_ERR_RANGE);
    assert_int_equal(flash_host_write(f, 0xFFFFF, d, 2), FLASH_ERR_RANGE);
    assert_int_equal(flash_host_erase(f, 0xFFFFF, 2), FLASH_ERR_RANGE);
    assert_true(flash_is_erased(f, 0, flash_size(f)));
    assert_int_equal(flash_log_total(f), 0);   /* refused ops are not operations */
    flash_destroy(f);
}

static void test_erase_sector_and_wear(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    uint8_t d[8];
    fill(d, 8, 0x00);
    assert_int_equal(flash_program(f, 0x5000, d, 8, NULL), FLASH_OK);
    assert_int_equal(flash_program(f, 0x5FF8, d, 8, NULL), FLASH_OK);
    assert_int_equal(flash_program(f, 0x6000, d, 8, NULL), FLASH_OK);
    uint64_t busy = 0;
    assert_int_equal(flash_erase_sector(f, 0x5A5A, &busy), FLASH_OK);
    assert_int_equal(busy, 15000000);
    assert_true(flash_is_erased(f, 0x5000, 4096));
    assert_false(flash_is_erased(f, 0x6000, 8));
    assert_int_equal(flash_erase_sector(f, 0x5000, NULL), FLASH_OK);
    assert_int_equal(flash_sector_erases(f, 5), 2);
    assert_int_equal(flash_sector_erases(f, 4), 0);
    assert_int_equal(flash_sector_erases(f, 6), 0);
    assert_int_equal(flash_sector_erases(f, 9999), 0);
    flash_stats_t st;
    flash_stats(f, &st);
    assert_int_equal(st.erases, 2);
    assert_int_equal(st.max_sector_erases, 2);
    const flash_op_t *op = flash_log_get(f, 3);
    assert_int_equal(op->kind, FLASH_OP_ERASE_SECTOR);
    assert_int_equal(op->addr, 0x5000);
    assert_int_equal(op->len, 4096);
    /* a programmed unit after erase is no defect */
    assert_int_equal(flash_program(f, 0x5000, d, 8, NULL), FLASH_OK);
    assert_int_equal(flash_log_get(f, flash_log_total(f) - 1)->defect, 0);
    flash_destroy(f);
}

static void test_erase_block_and_all(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    uint8_t d[8];
    fill(d, 8, 0x00);
    assert_int_equal(flash_program(f, 0x7FFF8, d, 8, NULL), FLASH_OK);
    assert_int_equal(flash_program(f, 0x80000, d, 8, NULL), FLASH_OK);
    assert_int_equal(flash_program(f, 0xFFFF8, d, 8, NULL), FLASH_OK);
    uint64_t busy = 0;
    assert_int_equal(flash_erase_block(f, 0x80000 + 12345, &busy), FLASH_OK);
    assert_int_equal(busy, 400000000);
    assert_true(flash_is_erased(f, 0x80000, 0x80000));
    assert_false(flash_is_erased(f, 0x7FFF8, 8));
    assert_int_equal(flash_sector_erases(f, 127), 0);
    assert_int_equal(flash_sector_erases(f, 128), 1);
    assert_int_equal(flash_sector_erases(f, 255), 1);
    const flash_op_t *op = flash_log_get(f, 3);
    assert_int_equal(op->kind, FLASH_OP_ERASE_BLOCK);
    assert_int_equal(op->addr, 0x80000);
    assert_int_equal(op->len, 0x80000);

    assert_int_equal(flash_erase_all(f, &busy), FLASH_OK);
    assert_int_equal(busy, 2ull * 400000000);
    assert_true(flash_is_erased(f, 0, flash_size(f)));
    for (uint32_t i = 0; i < 256; i++)
        assert_int_equal(flash_sector_erases(f, i), i >= 128 ? 2 : 1);
    op = flash_log_get(f, 4);
    assert_int_equal(op->kind, FLASH_OP_ERASE_ALL);
    assert_int_equal(op->addr, 0);
    assert_int_equal(op->len, 1024 * 1024);
    flash_stats_t st;
    flash_stats(f, &st);
    assert_int_equal(st.max_sector_erases, 2);
    flash_destroy(f);
}

static void test_host_access_is_not_an_operation(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    hook_rec_t h = { .action = FLASH_HOOK_CUT_BEFORE };
    flash_set_hook(f, rec_hook, &h);
    uint8_t d[3] = { 1, 2, 3 };
    assert_int_equal(flash_host_write(f, 0x10001, d, 3), FLASH_OK);   /* no alignment rule */
    assert_memory_equal(flash_mem(f) + 0x10001, d, 3);
    assert_int_equal(flash_host_erase(f, 0x10002, 1), FLASH_OK);
    assert_int_equal(flash_mem(f)[0x10002], 0xFF);
    assert_int_equal(flash_mem(f)[0x10001], 1);
    assert_int_equal(h.before, 0);
    assert_int_equal(flash_log_total(f), 0);
    assert_int_equal(flash_sector_erases(f, 16), 0);
    flash_destroy(f);
}

/* ---- hook and change callback ------------------------------------------------------------- */

static void test_hook_sees_op_before_and_after(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    hook_rec_t h = { .action = FLASH_HOOK_PROCEED };
    flash_set_hook(f, rec_hook, &h);
    flash_set_clock(f, 123456789, 4242, 0x1FFF0100);
    uint8_t d[8];
    fill(d, 8, 0xA5);
    assert_int_equal(flash_program(f, 0x8000, d, 8, NULL), FLASH_OK);
    assert_int_equal(h.before, 1);
    assert_int_equal(h.after, 1);
    assert_int_equal(h.last_before.kind, FLASH_OP_PROGRAM);
    assert_int_equal(h.last_before.addr, 0x8000);
    assert_int_equal(h.last_before.len, 8);
    assert_int_equal(h.last_before.seq, 0);
    assert_int_equal(h.last_before.time_ns, 123456789);
    assert_int_equal(h.last_before.insns, 4242);
    assert_int_equal(h.last_before.pc, 0x1FFF0100);
    assert_int_equal(h.last_before.defect, 0);
    assert_int_equal(h.last_after.seq, 0);
    assert_int_equal(h.last_after.cut, 0);

    /* the BEFORE call already knows a reprogram is a defect */
    assert_int_equal(flash_program(f, 0x8000, d, 8, NULL), FLASH_OK);
    assert_int_equal(h.last_before.seq, 1);
    assert_int_equal(h.last_before.defect, 1);

    assert_int_equal(flash_erase_sector(f, 0x8000, NULL), FLASH_OK);
    assert_int_equal(h.last_after.kind, FLASH_OP_ERASE_SECTOR);
    assert_int_equal(h.last_after.seq, 2);
    assert_int_equal(h.after, 3);
    flash_destroy(f);
}

static void test_cut_before_leaves_flash_unchanged(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    uint8_t d[8];
    fill(d, 8, 0x00);
    assert_int_equal(flash_program(f, 0x9000, d, 8, NULL), FLASH_OK);
    hook_rec_t h = { .action = FLASH_HOOK_CUT_BEFORE };
    change_rec_t c = { 0 };
    flash_set_hook(f, rec_hook, &h);
    flash_set_change_cb(f, rec_change, &c);

    assert_int_equal(flash_program(f, 0x9008, d, 8, NULL), FLASH_ERR_CUT);
    assert_true(flash_is_erased(f, 0x9008, 8));
    uint64_t busy = 0;
    assert_int_equal(flash_erase_sector(f, 0x9000, &busy), FLASH_ERR_CUT);
    assert_int_equal(busy, 15000000);
    assert_false(flash_is_erased(f, 0x9000, 8));
    assert_int_equal(flash_sector_erases(f, 9), 0);
    assert_int_equal(h.before, 2);
    assert_int_equal(h.after, 0);           /* never AFTER for a cut before */
    assert_int_equal(c.n, 0);               /* nothing changed */
    assert_int_equal(flash_log_total(f), 3);
    assert_int_equal(flash_log_get(f, 1)->cut, 1);
    assert_int_equal(flash_log_get(f, 2)->cut, 1);
    flash_stats_t st;
    flash_stats(f, &st);
    assert_int_equal(st.cuts, 2);
    flash_destroy(f);
}

static void test_cut_after_applies(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    hook_rec_t h = { .action = FLASH_HOOK_CUT_AFTER };
    change_rec_t c = { 0 };
    flash_set_hook(f, rec_hook, &h);
    flash_set_change_cb(f, rec_change, &c);
    uint8_t d[16];
    fill(d, 16, 0x5A);
    assert_int_equal(flash_program(f, 0xA000, d, 16, NULL), FLASH_ERR_CUT);
    assert_memory_equal(flash_mem(f) + 0xA000, d, 16);
    assert_int_equal(h.after, 1);
    assert_int_equal(h.last_after.cut, 3);
    assert_int_equal(flash_log_get(f, 0)->cut, 3);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.addr[0], 0xA000);
    assert_int_equal(c.len[0], 16);
    assert_int_equal(flash_erase_sector(f, 0xA000, NULL), FLASH_ERR_CUT);
    assert_true(flash_is_erased(f, 0xA000, 4096));
    assert_int_equal(flash_sector_erases(f, 10), 1);
    flash_stats_t st;
    flash_stats(f, &st);
    assert_int_equal(st.cuts, 2);
    flash_destroy(f);
}

/* Torn program of 256 zero bytes at 0xB000 on a fresh flash with `seed`. */
static void torn_program(uint64_t seed, uint8_t out[256], int *after)
{
    flash_t *f = new_k64f(seed, FLASH_REPROGRAM_AND);
    hook_rec_t h = { .action = FLASH_HOOK_TORN };
    flash_set_hook(f, rec_hook, &h);
    uint8_t d[256];
    fill(d, sizeof d, 0x00);
    uint64_t busy = 0;
    assert_int_equal(flash_program(f, 0xB000, d, 256, &busy), FLASH_ERR_CUT);
    assert_int_equal(busy, 32 * 90000);
    assert_int_equal(flash_log_get(f, 0)->cut, 2);
    assert_true(flash_is_erased(f, 0xB100, 16));   /* outside the op: untouched */
    memcpy(out, flash_mem(f) + 0xB000, 256);
    *after = h.after;
    flash_destroy(f);
}

static void test_torn_program_is_seeded_mix(void **state)
{
    uint8_t a[256], b[256], c[256], zero[256], ones[256];
    int after = 0;
    fill(zero, 256, 0x00);
    fill(ones, 256, 0xFF);
    torn_program(11, a, &after);
    assert_int_equal(after, 1);                    /* AFTER is called for a torn op */
    torn_program(11, b, &after);
    torn_program(12, c, &after);
    assert_memory_equal(a, b, 256);
    assert_memory_not_equal(a, c, 256);
    assert_memory_not_equal(a, zero, 256);         /* not complete */
    assert_memory_not_equal(a, ones, 256);         /* not untouched */
    /* a programmed prefix, then old bytes: once a 0xFF unit appears, the rest is 0xFF too */
    int i = 0;
    while (i < 256 && a[i] == 0x00)
        i++;
    int j = (i / 8 + 1) * 8;                       /* after the unit the program stopped in */
    for (; j < 256; j++)
        assert_int_equal(a[j], 0xFF);
}

/* Torn erase of sector 12 (programmed with zeros) on a fresh flash with `seed`. */
static void torn_erase(uint64_t seed, uint8_t *out)
{
    flash_t *f = new_k64f(seed, FLASH_REPROGRAM_AND);
    uint8_t zero[4096];
    fill(zero, sizeof zero, 0x00);
    assert_int_equal(flash_program(f, 0xC000, zero, 4096, NULL), FLASH_OK);
    hook_rec_t h = { .action = FLASH_HOOK_TORN };
    flash_set_hook(f, rec_hook, &h);
    assert_int_equal(flash_erase_sector(f, 0xC000, NULL), FLASH_ERR_CUT);
    assert_int_equal(h.after, 1);
    assert_int_equal(flash_sector_erases(f, 12), 1);
    memcpy(out, flash_mem(f) + 0xC000, 4096);
    flash_destroy(f);
}

static void test_torn_erase_is_seeded_mix(void **state)
{
    static uint8_t a[4096], b[4096], c[4096];
    torn_erase(21, a);
    torn_erase(21, b);
    torn_erase(22, c);
    assert_memory_equal(a, b, 4096);
    assert_memory_not_equal(a, c, 4096);
    int ff = 0;
    for (int i = 0; i < 4096; i++)
        ff += a[i] == 0xFF;
    assert_true(ff > 0);
    assert_true(ff < 4096);
    /* over several seeds, both styles of rest appear: old bytes (0x00) and random bytes */
    bool saw_old = false, saw_random = false;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        torn_erase(seed, a);
        int i = 0;
        while (i < 4096 && a[i] == 0xFF)
            i++;
        bool all_zero = true;
        for (int k = i; k < 4096; k++)
            all_zero = all_zero && a[k] == 0x00;
        if (all_zero)
            saw_old = true;
        else
            saw_random = true;
    }
    assert_true(saw_old);
    assert_true(saw_random);
}

static void test_torn_block_erase_stops_in_one_sector(void **state)
{
    flash_t *f = new_k64f(5, FLASH_REPROGRAM_AND);
    static uint8_t zero[0x80000];
    fill(zero, sizeof zero, 0x00);
    assert_int_equal(flash_host_write(f, 0x80000, zero, sizeof zero), FLASH_OK);
    hook_rec_t h = { .action = FLASH_HOOK_TORN };
    flash_set_hook(f, rec_hook, &h);
    assert_int_equal(flash_erase_block(f, 0x80000, NULL), FLASH_ERR_CUT);
    /* sectors: k fully erased, then one torn, then untouched */
    uint32_t s = 128;
    while (s < 256 && flash_is_erased(f, s * 4096, 4096))
        s++;
    assert_true(s < 256);
    for (uint32_t i = 128; i < 256; i++)
        assert_int_equal(flash_sector_erases(f, i), i <= s ? 1 : 0);
    for (uint32_t i = s + 1; i < 256; i++)
        assert_int_equal(flash_mem(f)[i * 4096], 0x00);
    flash_destroy(f);
}

static void test_change_callback_ranges(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    change_rec_t c = { 0 };
    flash_set_change_cb(f, rec_change, &c);
    uint8_t d[24];
    fill(d, sizeof d, 0x11);
    assert_int_equal(flash_program(f, 0xD010, d, 24, NULL), FLASH_OK);
    assert_int_equal(flash_erase_sector(f, 0xE123, NULL), FLASH_OK);
    assert_int_equal(flash_host_write(f, 0xF001, d, 5), FLASH_OK);
    assert_int_equal(flash_host_erase(f, 0xF002, 2), FLASH_OK);
    assert_int_equal(flash_erase_block(f, 0x1234, NULL), FLASH_OK);
    assert_int_equal(flash_erase_all(f, NULL), FLASH_OK);
    assert_int_equal(c.n, 6);
    const uint32_t addr[] = { 0xD010, 0xE000, 0xF001, 0xF002, 0, 0 };
    const uint32_t len[] = { 24, 4096, 5, 2, 0x80000, 0x100000 };
    for (int i = 0; i < 6; i++) {
        assert_int_equal(c.addr[i], addr[i]);
        assert_int_equal(c.len[i], len[i]);
    }
    flash_destroy(f);
}

/* ---- log and snapshot --------------------------------------------------------------------- */

static void test_log_ring_keeps_newest(void **state)
{
    flash_cfg_t cfg;
    flash_cfg_k64f(&cfg);
    cfg.regions[0] = (flash_region_t){ 64, 4 };   /* tiny: cheap erases */
    cfg.block_size = 0;
    flash_t *f = NULL;
    assert_int_equal(flash_create(&cfg, &f), FLASH_OK);
    const uint32_t n = 65536 + 100;
    for (uint32_t i = 0; i < n; i++) {
        flash_set_clock(f, i, i, 0);
        assert_int_equal(flash_erase_sector(f, (i % 4) * 64, NULL), FLASH_OK);
    }
    assert_int_equal(flash_log_total(f), n);
    assert_null(flash_log_get(f, 0));
    assert_null(flash_log_get(f, 99));
    assert_null(flash_log_get(f, n));
    const flash_op_t *op = flash_log_get(f, 100);
    assert_non_null(op);
    assert_int_equal(op->seq, 100);
    assert_int_equal(op->time_ns, 100);
    assert_int_equal(op->addr, 0);
    op = flash_log_get(f, n - 1);
    assert_non_null(op);
    assert_int_equal(op->seq, n - 1);
    assert_int_equal(op->addr, ((n - 1) % 4) * 64);
    assert_int_equal(flash_sector_erases(f, 0), n / 4);
    flash_stats_t st;
    flash_stats(f, &st);
    assert_int_equal(st.erases, n);
    flash_destroy(f);
}

static void test_snapshot_round_trip(void **state)
{
    flash_t *f = new_k64f(0, FLASH_REPROGRAM_AND);
    uint8_t d[8];
    fill(d, 8, 0x42);
    assert_int_equal(flash_program(f, 0x1000, d, 8, NULL), FLASH_OK);
    assert_int_equal(flash_erase_sector(f, 0x3000, NULL), FLASH_OK);
    assert_int_equal(flash_program(f, 0x1000, d, 8, NULL), FLASH_OK);  /* a defect */
    flash_stats_t st0;
    flash_stats(f, &st0);
    size_t n = flash_snapshot_size(f);
    assert_true(n >= flash_size(f) + 256 * sizeof(uint32_t));
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    flash_snapshot_save(f, buf);

    fill(d, 8, 0x00);
    assert_int_equal(flash_program(f, 0x20000, d, 8, NULL), FLASH_OK);
    assert_int_equal(flash_erase_sector(f, 0x3000, NULL), FLASH_OK);
    assert_int_equal(flash_erase_sector(f, 0x1000, NULL), FLASH_OK);
    assert_int_equal(flash_log_total(f), 6);

    change_rec_t c = { 0 };
    flash_set_change_cb(f, rec_change, &c);
    flash_snapshot_load(f, buf);
    assert_int_equal(flash_log_total(f), 3);
    assert_int_equal(flash_mem(f)[0x1000], 0x42);
    assert_true(flash_is_erased(f, 0x20000, 8));
    assert_int_equal(flash_sector_erases(f, 3), 1);
    assert_int_equal(flash_sector_erases(f, 1), 0);
    flash_stats_t st1;
    flash_stats(f, &st1);
    assert_memory_equal(&st0, &st1, sizeof st0);
    /* the change callback covers exactly the bytes that differed: 0x1000..0x20007 */
    assert_int_equal(c.n, 1);
    assert_int_equal(c.addr[0], 0x1000);
    assert_int_equal(c.len[0], 0x20008 - 0x1000);
    /* the log of the snapshot's past is still there; its future is gone */
    assert_non_null(flash_log_get(f, 2));
    assert_int_equal(flash_log_get(f, 2)->defect, 1);
    assert_null(flash_log_get(f, 3));
    /* numbering continues from the snapshot */
    assert_int_equal(flash_erase_sector(f, 0x5000, NULL), FLASH_OK);
    assert_int_equal(flash_log_get(f, 3)->kind, FLASH_OP_ERASE_SECTOR);
    assert_int_equal(flash_log_get(f, 3)->addr, 0x5000);

    /* loading an identical image reports no change */
    flash_snapshot_save(f, buf);
    c.n = 0;
    flash_snapshot_load(f, buf);
    assert_int_equal(c.n, 0);

    /* loaded into another object, the position moves but that object never logged those ops */
    flash_t *g = new_k64f(0, FLASH_REPROGRAM_AND);
    flash_snapshot_load(g, buf);
    assert_int_equal(flash_log_total(g), 4);
    assert_memory_equal(flash_mem(g), flash_mem(f), flash_size(f));
    assert_int_equal(flash_sector_erases(g, 3), 1);
    for (uint32_t seq = 0; seq < 4; seq++)
        assert_null(flash_log_get(g, seq));
    flash_destroy(g);
    free(buf);
    flash_destroy(f);
}

/* ---- dependence tracking ------------------------------------------------------------------- */

static uint8_t track_of(const flash_t *f, uint32_t addr)
{
    uint32_t n, g;
    const uint8_t *st = flash_track_states(f, &n, &g);
    assert_non_null(st);
    assert_true(addr / g < n);
    return st[addr / g];
}

/* The first event wins: a complete erase first means the old contents never mattered; a read,
 * a blank check or a program first means they did; what comes after does not change it. */
static void test_track_first_event(void **state)
{
    flash_t *f = new_k64f(1, FLASH_REPROGRAM_AND);
    assert_null(flash_track_states(f, NULL, NULL));
    assert_int_equal(flash_track_begin(f, 1000), FLASH_ERR_CONFIG);     /* not a power of two */
    assert_int_equal(flash_track_begin(f, 4), FLASH_ERR_CONFIG);        /* below the program unit */
    assert_int_equal(flash_track_begin(f, 1024), FLASH_OK);
    uint32_t n, g;
    flash_track_states(f, &n, &g);
    assert_int_equal(n, 1024);
    assert_int_equal(g, 1024);
    for (uint32_t a = 0; a < 0x100000; a += 1024)
        assert_int_equal(track_of(f, a), FLASH_TRACK_NONE);

    uint8_t d[8] = { 0 };
    flash_track_use(f, 0x1000, 4);                                      /* a read */
    assert_int_equal(flash_erase_sector(f, 0x1000, NULL), FLASH_OK);    /* then an erase */
    assert_int_equal(track_of(f, 0x1000), FLASH_TRACK_USED);
    assert_int_equal(track_of(f, 0x1400), FLASH_TRACK_ERASED);          /* same sector, unread */
    assert_int_equal(track_of(f, 0x1C00), FLASH_TRACK_ERASED);
    flash_track_use(f, 0x1400, 4);                                      /* read after the erase */
    assert_int_equal(flash_program(f, 0x1800, d, 8, NULL), FLASH_OK);
    assert_int_equal(track_of(f, 0x1400), FLASH_TRACK_ERASED);
    assert_int_equal(track_of(f, 0x1800), FLASH_TRACK_ERASED);
    assert_int_equal(track_of(f, 0x2000), FLASH_TRACK_NONE);            /* next sector */

    assert_int_equal(flash_program(f, 0x3000, d, 8, NULL), FLASH_OK);   /* program first */
    assert_int_equal(flash_erase_sector(f, 0x3000, NULL), FLASH_OK);
    assert_int_equal(track_of(f, 0x3000), FLASH_TRACK_USED);
    assert_int_equal(track_of(f, 0x3400), FLASH_TRACK_ERASED);
    assert_true(flash_is_erased(f, 0x4000 - 8, 16));                     /* blank check across two */
    assert_int_equal(track_of(f, 0x3C00), FLASH_TRACK_ERASED);          /* erased before: stays */
    assert_int_equal(track_of(f, 0x4000), FLASH_TRACK_USED);
    uint8_t x = 0x5A;
    assert_int_equal(flash_host_write(f, 0x5000, &x, 1), FLASH_OK);     /* host writes count */
    assert_int_equal(track_of(f, 0x5000), FLASH_TRACK_USED);
    flash_track_use(f, 0x200000, 4);                                    /* outside: ignored */

    flash_track_end(f);                                                 /* stops recording */
    flash_track_use(f, 0x6000, 4);
    assert_int_equal(flash_erase_sector(f, 0x7000, NULL), FLASH_OK);
    assert_int_equal(track_of(f, 0x6000), FLASH_TRACK_NONE);
    assert_int_equal(track_of(f, 0x7000), FLASH_TRACK_NONE);
    assert_int_equal(track_of(f, 0x1000), FLASH_TRACK_USED);            /* the result stays */
    assert_int_equal(flash_track_begin(f, 2048), FLASH_OK);             /* begin starts afresh */
    assert_int_equal(track_of(f, 0x1000), FLASH_TRACK_NONE);
    flash_destroy(f);
}

/* An erase that does not finish saw the old contents (a torn sector keeps some of them); the
 * sectors a torn block erase completed are ERASED; a cut before the erase touched nothing. */
static void test_track_cut_erases(void **state)
{
    flash_t *f = new_k64f(5, FLASH_REPROGRAM_AND);
    hook_rec_t h = { .action = FLASH_HOOK_CUT_BEFORE };
    flash_set_hook(f, rec_hook, &h);
    assert_int_equal(flash_track_begin(f, 1024), FLASH_OK);
    assert_int_equal(flash_erase_sector(f, 0x8000, NULL), FLASH_ERR_CUT);
    for (uint32_t a = 0x8000; a < 0x9000; a += 1024)
        assert_int_equal(track_of(f, a), FLASH_TRACK_NONE);
    h.action = FLASH_HOOK_TORN;
    assert_int_equal(flash_erase_sector(f, 0x8000, NULL), FLASH_ERR_CUT);
    for (uint32_t a = 0x8000; a < 0x9000; a += 1024)
        assert_int_equal(track_of(f, a), FLASH_TRACK_USED);
    assert_int_equal(flash_erase_block(f, 0x80000, NULL), FLASH_ERR_CUT);
    uint32_t s = 128;                                  /* the torn sector: the first one not erased */
    while (s < 256 && track_of(f, s * 4096) == FLASH_TRACK_ERASED)
        s++;
    assert_true(s < 256);
    for (uint32_t i = 128; i < 256; i++)
        for (uint32_t a = i * 4096; a < (i + 1) * 4096; a += 1024)
            assert_int_equal(track_of(f, a), i < s ? FLASH_TRACK_ERASED : i == s ? FLASH_TRACK_USED
                                                                              : FLASH_TRACK_NONE);
    flash_destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_k64f_defaults),
        cmocka_unit_test(test_multi_region_geometry),
        cmocka_unit_test(test_bad_geometry_rejected),
        cmocka_unit_test(test_contains_and_is_erased),
        cmocka_unit_test(test_strerror_names_every_error),
        cmocka_unit_test(test_program_clears_bits_only),
        cmocka_unit_test(test_reprogram_is_defect_and_ands),
        cmocka_unit_test(test_reprogram_corrupt_is_seeded_garbage),
        cmocka_unit_test(test_alignment_and_range_errors),
        cmocka_unit_test(test_erase_sector_and_wear),
        cmocka_unit_test(test_erase_block_and_all),
        cmocka_unit_test(test_host_access_is_not_an_operation),
        cmocka_unit_test(test_hook_sees_op_before_and_after),
        cmocka_unit_test(test_cut_before_leaves_flash_unchanged),
        cmocka_unit_test(test_cut_after_applies),
        cmocka_unit_test(test_torn_program_is_seeded_mix),
        cmocka_unit_test(test_torn_erase_is_seeded_mix),
        cmocka_unit_test(test_torn_block_erase_stops_in_one_sector),
        cmocka_unit_test(test_change_callback_ranges),
        cmocka_unit_test(test_log_ring_keeps_newest),
        cmocka_unit_test(test_snapshot_round_trip),
        cmocka_unit_test(test_track_first_event),
        cmocka_unit_test(test_track_cut_erases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
