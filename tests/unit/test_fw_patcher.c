/*
 * The firmware's streaming PELION/BSDIFF001 patcher (firmware/app/delta_patch.c), compiled into
 * this test as is and run on the host against hand-built patches (frames compressed here with
 * the host's liblz4; the patcher decodes with the same LZ4_decompress_safe):
 *   - correct patches rebuild the expected image when fed in chunks of 1, 7, 4096 bytes and
 *     whole;
 *   - every malformed kind of docs/update-flow.md section 5 gives its reason string;
 *   - the write callback never receives more than the declared new size (it asserts its bounds);
 *   - a seeded fuzz loop of mutated patches, fed in random chunk sizes, never crashes or writes
 *     out of bounds (run it in the ASan build: build-fw-asan/tests/test_fw_patcher).
 * It does not use the host delta codec (harness/delta.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lz4.h>

#include "../../firmware/app/delta_patch.c"

/* ---- a growable byte buffer and a patch builder ---------------------------------------------- */
typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf_t;

static void buf_put(buf_t *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}
static void buf_byte(buf_t *b, uint8_t v) { buf_put(b, &v, 1); }
static void buf_free(buf_t *b) { free(b->p); memset(b, 0, sizeof *b); }

static void put_off(buf_t *b, uint64_t v) /* offtout: little-endian, sign in bit 63 */
{
    for (int i = 0; i < 8; i++)
        buf_byte(b, (uint8_t)(v >> (8 * i)));
}
static void put_uvarint(buf_t *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7F;
        v >>= 7;
        buf_byte(b, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}
static void put_svarint(buf_t *b, int64_t v)
{
    uint64_t mag = v < 0 ? (uint64_t)(-v) : (uint64_t)v;
    put_uvarint(b, (mag << 1) | (v < 0));
}
static void put_header(buf_t *b, uint64_t new_size, uint64_t block, uint64_t max_comp)
{
    buf_put(b, DELTA_MAGIC, 16);
    put_off(b, new_size);
    put_off(b, block);
    put_off(b, max_comp);
}
/* One run as frames of min(block, remaining) bytes. */
static void put_frames(buf_t *b, const uint8_t *data, size_t n, size_t block)
{
    char comp[LZ4_COMPRESSBOUND(DELTA_BLOCK_MAX)];
    for (size_t off = 0; off < n;) {
        size_t f = n - off < block ? n - off : block;
        int c = LZ4_compress_default((const char *)data + off, comp, (int)f, (int)sizeof comp);
        assert_true(c > 0);
        put_uvarint(b, (uint64_t)c);
        buf_put(b, comp, (size_t)c);
        off += f;
    }
}

/* ---- a model of the patch: controls over an old image, giving the expected new image ---------- */
typedef struct ctrl {
    uint32_t diff, extra;
    int64_t seek;
} ctrl_t;

typedef struct patch {
    buf_t bytes;       /* the patch */
    buf_t expect;      /* the image it must rebuild */
} patch_t;

static uint32_t rng_state;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Build a patch from controls: diff bytes are chosen so that new = old + diff has few changes
 * (compressible diff), extra bytes are random. */
static void build_patch(patch_t *pt, const uint8_t *old, size_t old_size, const ctrl_t *c,
                        size_t nctrl, uint32_t block)
{
    memset(pt, 0, sizeof *pt);
    size_t new_size = 0;
    for (size_t i = 0; i < nctrl; i++)
        new_size += c[i].diff + c[i].extra;
    put_header(&pt->bytes, new_size, block, LZ4_COMPRESSBOUND(block));
    int64_t oldpos = 0;
    for (size_t i = 0; i < nctrl; i++) {
        put_uvarint(&pt->bytes, c[i].diff);
        put_uvarint(&pt->bytes, c[i].extra);
        put_svarint(&pt->bytes, c[i].seek);
        uint8_t *diff = malloc(c[i].diff + 1), *extra = malloc(c[i].extra + 1);
        for (uint32_t k = 0; k < c[i].diff; k++) {
            diff[k] = (rnd() % 16 == 0) ? (uint8_t)rnd() : 0;
            assert_true(oldpos >= 0 && (size_t)oldpos + k < old_size);
            uint8_t v = (uint8_t)(old[oldpos + k] + diff[k]);
            buf_byte(&pt->expect, v);
        }
        put_frames(&pt->bytes, diff, c[i].diff, block);
        for (uint32_t k = 0; k < c[i].extra; k++)
            extra[k] = (uint8_t)rnd();
        buf_put(&pt->expect, extra, c[i].extra);
        put_frames(&pt->bytes, extra, c[i].extra, block);
        oldpos += c[i].diff + c[i].seek;
        free(diff);
        free(extra);
    }
    assert_int_equal(pt->expect.len, new_size);
}

/* ---- the sink: asserts it never gets more than the declared size ------------------------------ */
typedef struct sink {
    uint8_t *p;
    size_t len, room;   /* room: the buffer */
    const delta_patch_t *d; /* its declared new size is the candidate area */
    int fail_at;        /* fail the n-th write (1-based); 0 = never */
    int writes;
} sink_t;

static int sink_write(void *ctx, const uint8_t *data, size_t len)
{
    sink_t *s = ctx;
    assert_true(len > 0 && len <= DELTA_BLOCK_MAX);
    assert_true(delta_patch_new_size(s->d) > 0);
    assert_true(s->len + len <= delta_patch_new_size(s->d)); /* never outside the candidate */
    assert_true(s->len + len <= s->room);
    if (s->fail_at && ++s->writes == s->fail_at)
        return -1;
    memcpy(s->p + s->len, data, len);
    s->len += len;
    return 0;
}

/* Apply `patch` fed in pieces of `chunk` bytes (0: random sizes 1..5000). */
static delta_err_t apply(const uint8_t *old, size_t old_size, const uint8_t *patch, size_t n,
                         size_t chunk, uint32_t max_new, uint32_t expected_new, sink_t *s)
{
    static delta_patch_t d; /* about 2.2 KiB, as on the device (static, not on the stack) */
    delta_patch_init(&d, old, (uint32_t)old_size, expected_new, max_new, sink_write, s);
    s->d = &d;
    delta_err_t e = DELTA_OK;
    for (size_t off = 0; off < n;) {
        size_t k = chunk ? chunk : 1 + rnd() % 5000;
        if (k > n - off)
            k = n - off;
        e = delta_patch_push(&d, patch + off, k);
        if (e != DELTA_OK)
            break;
        off += k;
    }
    delta_err_t f = delta_patch_finish(&d);
    if (e != DELTA_OK)
        assert_int_equal(f, e); /* sticky */
    assert_true(delta_patch_written(&d) == s->len || f == DELTA_ERR_WRITE);
    return f;
}

static uint8_t *make_old(size_t n, uint32_t seed)
{
    uint8_t *old = malloc(n);
    rng_state = seed;
    for (size_t i = 0; i < n; i++)
        old[i] = (uint8_t)rnd();
    return old;
}

static sink_t sink_new(size_t room)
{
    sink_t s = {0};
    s.p = malloc(room + 1);
    s.room = room;
    return s;
}

/* A realistic patch: several controls, negative and positive seeks, runs longer than a block,
 * runs not a multiple of the block, empty runs. */
static const ctrl_t good_ctrls[] = {
    {3000, 500, 200},  {1000, 0, -4000}, {0, 100, 4100}, {700, 1300, -50}, {1, 1, 0},
};
#define OLD_SIZE 6000u
#define MC512 LZ4_COMPRESSBOUND(512) /* 530 */

static void good_patch_in_chunks(uint32_t block, size_t chunk)
{
    uint8_t *old = make_old(OLD_SIZE, 1);
    patch_t pt;
    build_patch(&pt, old, OLD_SIZE, good_ctrls, sizeof good_ctrls / sizeof good_ctrls[0], block);
    sink_t s = sink_new(pt.expect.len);
    delta_err_t e = apply(old, OLD_SIZE, pt.bytes.p, pt.bytes.len, chunk, 0x6FF90, 0, &s);
    assert_string_equal(delta_patch_strerror(e), "ok");
    assert_int_equal(s.len, pt.expect.len);
    assert_memory_equal(s.p, pt.expect.p, pt.expect.len);
    free(s.p);
    buf_free(&pt.bytes);
    buf_free(&pt.expect);
    free(old);
}

static void good_patch_applies_in_chunks_of_1_7_4096_and_whole(void **state)
{
    (void)state;
    static const size_t chunks[] = {1, 7, 4096, 1u << 30, 0};
    static const uint32_t blocks[] = {128, 512, 1000, 1024};
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++)
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++)
            good_patch_in_chunks(blocks[b], chunks[c]);
}

static void expected_new_size_is_enforced(void **state)
{
    (void)state;
    uint8_t *old = make_old(OLD_SIZE, 2);
    patch_t pt;
    build_patch(&pt, old, OLD_SIZE, good_ctrls, 2, 512);
    sink_t s = sink_new(pt.expect.len);
    assert_int_equal(apply(old, OLD_SIZE, pt.bytes.p, pt.bytes.len, 7, 0x6FF90,
                           (uint32_t)pt.expect.len, &s), DELTA_OK);
    s.len = 0;
    assert_int_equal(apply(old, OLD_SIZE, pt.bytes.p, pt.bytes.len, 7, 0x6FF90,
                           (uint32_t)pt.expect.len + 1, &s), DELTA_ERR_SIZES);
    assert_int_equal(s.len, 0);
    assert_int_equal(apply(old, OLD_SIZE, pt.bytes.p, pt.bytes.len, 7,
                           (uint32_t)pt.expect.len - 1, 0, &s), DELTA_ERR_SIZES);
    assert_int_equal(s.len, 0);
    free(s.p);
    buf_free(&pt.bytes);
    buf_free(&pt.expect);
    free(old);
}

/* ---- malformed patches ------------------------------------------------------------------------ */
/* Run `patch` in chunks of 1, 7 and 4096 and check the reason is the same each time. */
static void expect_reason(const uint8_t *old, size_t old_size, const buf_t *patch, const char *why)
{
    static const size_t chunks[] = {1, 7, 4096};
    for (size_t c = 0; c < 3; c++) {
        sink_t s = sink_new(1u << 20);
        delta_err_t e = apply(old, old_size, patch->p, patch->len, chunks[c], 1u << 20, 0, &s);
        if (strcmp(delta_patch_strerror(e), why) != 0)
            fail_msg("chunk %zu: got %s, expected %s", chunks[c], delta_patch_strerror(e), why);
        free(s.p);
    }
}

static void malformed_header_kinds(void **state)
{
    (void)state;
    uint8_t old[256] = {0};
    buf_t b = {0};

    expect_reason(old, sizeof old, &b, "delta-magic");          /* empty */
    buf_put(&b, "PELION/BSDIFF00", 15);
    expect_reason(old, sizeof old, &b, "delta-magic");          /* ends inside the magic */
    buf_free(&b);
    buf_put(&b, "PELION/BSDIFF002", 16);
    put_off(&b, 10); put_off(&b, 512); put_off(&b, 530);
    expect_reason(old, sizeof old, &b, "delta-magic");
    buf_free(&b);
    buf_put(&b, "XELION", 6);
    expect_reason(old, sizeof old, &b, "delta-magic");          /* first byte */
    buf_free(&b);

    buf_put(&b, DELTA_MAGIC, 16);
    put_off(&b, 10);
    expect_reason(old, sizeof old, &b, "delta-header");         /* ends inside the header */
    buf_free(&b);

    const struct { uint64_t ns, bs, mc; } bad[] = {
        {10, 127, 200}, {10, 1025, 1100}, {10, 0, 16}, {10, 512, 0},
        {10, 512, LZ4_COMPRESSBOUND(512) + 1}, {10, 128, LZ4_COMPRESSBOUND(128) + 1},
        {1ull << 63 | 10, 512, 530}, {10, 1ull << 63 | 512, 600}, {10, 512, 1ull << 63 | 530},
        {10, 1ull << 40, 530},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_header(&b, bad[i].ns, bad[i].bs, bad[i].mc);
        expect_reason(old, sizeof old, &b, "delta-header");
        buf_free(&b);
    }
    /* the limits themselves are fine */
    put_header(&b, 0, 128, LZ4_COMPRESSBOUND(128));
    expect_reason(old, sizeof old, &b, "ok");
    buf_free(&b);
    put_header(&b, 0, 1024, LZ4_COMPRESSBOUND(1024));
    expect_reason(old, sizeof old, &b, "ok");
    buf_free(&b);
    /* new size beyond the candidate (max_new_size = 1 MiB in expect_reason) */
    put_header(&b, (1u << 20) + 1, 512, MC512);
    expect_reason(old, sizeof old, &b, "delta-sizes");
    buf_free(&b);
}

static void malformed_varints(void **state)
{
    (void)state;
    uint8_t old[256] = {0};
    buf_t b = {0};

    put_header(&b, 10, 512, MC512);
    for (int i = 0; i < 10; i++)
        buf_byte(&b, 0x80);
    buf_byte(&b, 0x00);                                          /* 11 bytes */
    expect_reason(old, sizeof old, &b, "delta-varint");
    buf_free(&b);

    put_header(&b, 10, 512, MC512);
    for (int i = 0; i < 9; i++)
        buf_byte(&b, 0xFF);
    buf_byte(&b, 0x02);                                          /* bit 64: overflow */
    expect_reason(old, sizeof old, &b, "delta-varint");
    buf_free(&b);

    put_header(&b, 10, 512, MC512);
    put_uvarint(&b, 0);
    put_uvarint(&b, 10);
    for (int i = 0; i < 9; i++)
        buf_byte(&b, 0xFF);
    buf_byte(&b, 0x03);                                          /* seek: overflow */
    expect_reason(old, sizeof old, &b, "delta-varint");
    buf_free(&b);

    put_header(&b, 10, 512, MC512);
    buf_byte(&b, 0x85);                                          /* cut inside diff_len */
    expect_reason(old, sizeof old, &b, "delta-varint");
    buf_free(&b);

    put_header(&b, 10, 512, MC512);
    put_uvarint(&b, 0);                                          /* cut before extra_len */
    expect_reason(old, sizeof old, &b, "delta-varint");
    put_uvarint(&b, 10);                                         /* cut before seek */
    expect_reason(old, sizeof old, &b, "delta-varint");
    put_svarint(&b, 0);
    buf_byte(&b, 0x81);                                          /* cut inside a frame length */
    expect_reason(old, sizeof old, &b, "delta-varint");
    buf_free(&b);

    /* the largest 10-byte varint is accepted as a varint (then too large for any size) */
    put_header(&b, 10, 512, MC512);
    for (int i = 0; i < 9; i++)
        buf_byte(&b, 0xFF);
    buf_byte(&b, 0x01);
    expect_reason(old, sizeof old, &b, "delta-varint");           /* the control is not complete */
    put_uvarint(&b, 0);
    put_svarint(&b, 0);
    expect_reason(old, sizeof old, &b, "delta-sizes");            /* complete: checked, too large */
    buf_free(&b);
}

static void malformed_sizes_and_seeks(void **state)
{
    (void)state;
    uint8_t *old = make_old(1000, 3);
    uint8_t data[600];
    memset(data, 0, sizeof data);
    buf_t b = {0};

    put_header(&b, 100, 512, MC512);                               /* diff + extra > new size */
    put_uvarint(&b, 60); put_uvarint(&b, 41); put_svarint(&b, 0);
    put_frames(&b, data, 60, 512);
    put_frames(&b, data, 41, 512);
    expect_reason(old, 1000, &b, "delta-sizes");
    buf_free(&b);

    put_header(&b, 100, 512, MC512);                               /* ends short of the new size */
    put_uvarint(&b, 60); put_uvarint(&b, 0); put_svarint(&b, 0);
    put_frames(&b, data, 60, 512);
    expect_reason(old, 1000, &b, "delta-sizes");
    buf_free(&b);

    put_header(&b, 60, 512, MC512);                                /* bytes after the end */
    put_uvarint(&b, 60); put_uvarint(&b, 0); put_svarint(&b, 0);
    put_frames(&b, data, 60, 512);
    buf_byte(&b, 0);
    expect_reason(old, 1000, &b, "delta-sizes");
    buf_free(&b);

    put_header(&b, 60, 512, MC512);                                /* an empty control after it */
    put_uvarint(&b, 60); put_uvarint(&b, 0); put_svarint(&b, 0);
    put_frames(&b, data, 60, 512);
    put_uvarint(&b, 0); put_uvarint(&b, 0); put_svarint(&b, 0);
    expect_reason(old, 1000, &b, "delta-sizes");
    buf_free(&b);

    put_header(&b, 600, 512, MC512);                               /* diff run past the old end */
    put_uvarint(&b, 500); put_uvarint(&b, 0); put_svarint(&b, 600);
    put_frames(&b, data, 500, 512);
    put_uvarint(&b, 100); put_uvarint(&b, 0); put_svarint(&b, 0);
    put_frames(&b, data, 100, 512);
    expect_reason(old, 1000, &b, "delta-seek");
    buf_free(&b);

    put_header(&b, 600, 512, MC512);                               /* exactly to the old end: ok */
    put_uvarint(&b, 500); put_uvarint(&b, 0); put_svarint(&b, 400);
    put_frames(&b, data, 500, 512);
    put_uvarint(&b, 100); put_uvarint(&b, 0); put_svarint(&b, 0);
    put_frames(&b, data, 100, 512);
    expect_reason(old, 1000, &b, "ok");
    buf_free(&b);

    put_header(&b, 600, 512, MC512);                               /* negative oldpos, diff */
    put_uvarint(&b, 10); put_uvarint(&b, 0); put_svarint(&b, -11);
    put_frames(&b, data, 10, 512);
    put_uvarint(&b, 10); put_uvarint(&b, 0); put_svarint(&b, 0);
    put_frames(&b, data, 10, 512);
    expect_reason(old, 1000, &b, "delta-seek");
    buf_free(&b);

    put_header(&b, 20, 512, MC512);                                /* negative oldpos, extra only */
    put_uvarint(&b, 10); put_uvarint(&b, 0); put_svarint(&b, -11);
    put_frames(&b, data, 10, 512);
    put_uvarint(&b, 0); put_uvarint(&b, 10); put_svarint(&b, 0);
    put_frames(&b, data, 10, 512);
    expect_reason(old, 1000, &b, "ok");
    buf_free(&b);

    put_header(&b, 20, 512, MC512);                                /* oldpos overflow */
    put_uvarint(&b, 0); put_uvarint(&b, 10); put_svarint(&b, INT64_MAX);
    put_frames(&b, data, 10, 512);
    put_uvarint(&b, 0); put_uvarint(&b, 10); put_svarint(&b, INT64_MAX);
    put_frames(&b, data, 10, 512);
    expect_reason(old, 1000, &b, "delta-seek");
    buf_free(&b);
    free(old);
}

static void malformed_frames(void **state)
{
    (void)state;
    uint8_t *old = make_old(2000, 4);
    uint8_t data[1500];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)rnd();   /* incompressible: frames near the bound */
    buf_t b = {0};

    put_header(&b, 512, 512, 100);                               /* frame above the maximum */
    put_uvarint(&b, 0); put_uvarint(&b, 512); put_svarint(&b, 0);
    put_frames(&b, data, 512, 512);
    expect_reason(old, 2000, &b, "delta-frame");
    buf_free(&b);

    put_header(&b, 10, 512, MC512);                                /* zero-length frame */
    put_uvarint(&b, 0); put_uvarint(&b, 10); put_svarint(&b, 0);
    put_uvarint(&b, 0);
    expect_reason(old, 2000, &b, "delta-frame");
    buf_free(&b);

    /* a frame that decodes to fewer bytes than its run needs (100 compressed as a 128 frame) */
    put_header(&b, 128, 128, LZ4_COMPRESSBOUND(128));
    put_uvarint(&b, 0); put_uvarint(&b, 128); put_svarint(&b, 0);
    put_frames(&b, data, 100, 128);
    expect_reason(old, 2000, &b, "delta-lz4");
    buf_free(&b);

    /* a frame that would decode to more than its frame size (a 512-byte block in a 128 frame) */
    put_header(&b, 128, 512, MC512);
    put_uvarint(&b, 0); put_uvarint(&b, 128); put_svarint(&b, 0);
    put_frames(&b, data, 512, 512);
    expect_reason(old, 2000, &b, "delta-lz4");
    buf_free(&b);

    /* garbage LZ4: a match offset before the start of the block */
    put_header(&b, 128, 128, LZ4_COMPRESSBOUND(128));
    put_uvarint(&b, 0); put_uvarint(&b, 128); put_svarint(&b, 0);
    {
        const uint8_t g[] = {0x1F, 0xAA, 0xFF, 0x00, 0x60, 0x55};
        put_uvarint(&b, sizeof g);
        buf_put(&b, g, sizeof g);
    }
    expect_reason(old, 2000, &b, "delta-lz4");
    buf_free(&b);

    put_header(&b, 1500, 512, MC512);                              /* ends inside a frame */
    put_uvarint(&b, 0); put_uvarint(&b, 1500); put_svarint(&b, 0);
    put_frames(&b, data, 1500, 512);
    b.len -= 5;
    expect_reason(old, 2000, &b, "delta-truncated");
    buf_free(&b);

    put_header(&b, 1500, 512, MC512);                              /* ends between two frames */
    put_uvarint(&b, 0); put_uvarint(&b, 1500); put_svarint(&b, 0);
    put_frames(&b, data, 1024, 512);
    expect_reason(old, 2000, &b, "delta-truncated");
    buf_free(&b);

    put_header(&b, 1000, 512, MC512);                              /* diff ends between frames */
    put_uvarint(&b, 1000); put_uvarint(&b, 0); put_svarint(&b, 0);
    put_frames(&b, data, 512, 512);
    expect_reason(old, 2000, &b, "delta-truncated");
    buf_free(&b);
    free(old);
}

static void write_failure_stops_the_patch(void **state)
{
    (void)state;
    uint8_t *old = make_old(OLD_SIZE, 5);
    patch_t pt;
    build_patch(&pt, old, OLD_SIZE, good_ctrls, 2, 512);
    sink_t s = sink_new(pt.expect.len);
    s.fail_at = 3;
    assert_int_equal(apply(old, OLD_SIZE, pt.bytes.p, pt.bytes.len, 7, 0x6FF90, 0, &s),
                     DELTA_ERR_WRITE);
    assert_string_equal(delta_patch_strerror(DELTA_ERR_WRITE), "delta-write");
    assert_int_equal(s.len, 2 * 512);
    free(s.p);
    buf_free(&pt.bytes);
    buf_free(&pt.expect);
    free(old);
}

static void every_error_has_its_reason(void **state)
{
    (void)state;
    assert_string_equal(delta_patch_strerror(DELTA_ERR_MAGIC), "delta-magic");
    assert_string_equal(delta_patch_strerror(DELTA_ERR_HEADER), "delta-header");
    assert_string_equal(delta_patch_strerror(DELTA_ERR_VARINT), "delta-varint");
    assert_string_equal(delta_patch_strerror(DELTA_ERR_SIZES), "delta-sizes");
    assert_string_equal(delta_patch_strerror(DELTA_ERR_SEEK), "delta-seek");
    assert_string_equal(delta_patch_strerror(DELTA_ERR_FRAME), "delta-frame");
    assert_string_equal(delta_patch_strerror(DELTA_ERR_LZ4), "delta-lz4");
    assert_string_equal(delta_patch_strerror(DELTA_ERR_TRUNCATED), "delta-truncated");
    assert_true(sizeof(delta_patch_t) <= LZ4_COMPRESSBOUND(1024) + 1024 + 176);
}

/* ---- fuzz: mutated good patches never crash, never write out of bounds ------------------------ */
#define FUZZ_MAX_NEW (64u * 1024u)
static void fuzz_mutated_patches(void **state)
{
    (void)state;
    const char *env = getenv("FW_PATCHER_FUZZ_ITERS");
    unsigned iters = env ? (unsigned)strtoul(env, NULL, 0) : 20000u;
    uint8_t *old = make_old(OLD_SIZE, 6);
    patch_t pt;
    build_patch(&pt, old, OLD_SIZE, good_ctrls, sizeof good_ctrls / sizeof good_ctrls[0], 256);
    uint8_t *m = malloc(pt.bytes.len + 64);
    unsigned outcomes[16] = {0};
    rng_state = 0x5EED1234u;
    for (unsigned it = 0; it < iters; it++) {
        size_t n = pt.bytes.len;
        memcpy(m, pt.bytes.p, n);
        unsigned muts = 1 + rnd() % 4;
        for (unsigned k = 0; k < muts; k++) {
            size_t at = rnd() % n;
            switch (rnd() % 6) {
            case 0: m[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
            case 1: m[at] = (uint8_t)rnd(); break;
            case 2: m[at] = (rnd() & 1) ? 0xFF : 0x00; break;
            case 3: n = at + 1; break;                               /* truncate */
            case 4:                                                  /* header field */
                m[16 + rnd() % 24] = (uint8_t)rnd();
                break;
            default:                                                 /* insert a byte */
                if (n < pt.bytes.len + 64) {
                    memmove(m + at + 1, m + at, n - at);
                    m[at] = (uint8_t)rnd();
                    n++;
                }
                break;
            }
        }
        sink_t s = sink_new(FUZZ_MAX_NEW);
        delta_err_t e = apply(old, OLD_SIZE, m, n, 1 + rnd() % 300, FUZZ_MAX_NEW, 0, &s);
        assert_true(e <= 0 && e >= DELTA_ERR_WRITE);
        assert_true(s.len <= delta_patch_new_size(s.d));
        outcomes[-e]++;
        free(s.p);
    }
    printf("fuzz: %u patches:", iters);
    for (int i = 0; i < 10; i++)
        if (outcomes[i])
            printf(" %s %u", delta_patch_strerror((delta_err_t)-i), outcomes[i]);
    printf("\n");
    free(m);
    buf_free(&pt.bytes);
    buf_free(&pt.expect);
    free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_patch_applies_in_chunks_of_1_7_4096_and_whole),
        cmocka_unit_test(expected_new_size_is_enforced),
        cmocka_unit_test(malformed_header_kinds),
        cmocka_unit_test(malformed_varints),
        cmocka_unit_test(malformed_sizes_and_seeks),
        cmocka_unit_test(malformed_frames),
        cmocka_unit_test(write_failure_stops_the_patch),
        cmocka_unit_test(every_error_has_its_reason),
        cmocka_unit_test(fuzz_mutated_patches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
