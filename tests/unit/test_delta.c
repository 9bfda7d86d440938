/*
 * The PELION/BSDIFF001 delta codec (harness/codec/delta.c): varints and headers through hand-built
 * patches, create -> apply round trips (synthetic inputs and the bundled app binaries), every
 * mutation and its device reason, delta_info, and a deterministic fuzz loop over damaged patches.
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

#include "codec/delta.h"

/* ---- helpers --------------------------------------------------------------------------- */

static uint64_t rng_state;
static uint32_t rnd(void)
{
    /* xorshift64*: deterministic across runs */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint8_t *random_bytes(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
    return p;
}

static uint8_t *read_fw(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FWEMU_FW_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* A hand-built patch. */
typedef struct hp {
    uint8_t b[8192];
    size_t n;
} hp_t;

static void hp_u64(hp_t *h, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        h->b[h->n++] = (uint8_t)(v >> (8 * i));
}

static void hp_header(hp_t *h, uint64_t new_size, uint64_t block, uint64_t maxc)
{
    h->n = 0;
    memcpy(h->b, DELTA_MAGIC, 16);
    h->n = 16;
    hp_u64(h, new_size);
    hp_u64(h, block);
    hp_u64(h, maxc);
}

static void hp_bytes(hp_t *h, const void *d, size_t n)
{
    memcpy(h->b + h->n, d, n);
    h->n += n;
}

static void hp_uv(hp_t *h, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        h->b[h->n++] = (uint8_t)(c | (v ? 0x80 : 0));
    } while (v);
}

static void hp_sv(hp_t *h, int64_t v)
{
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    hp_uv(h, (m << 1) | (v < 0));
}

/* one frame: uvarint(len) + LZ4 block of data */
static void hp_frame(hp_t *h, const uint8_t *d, size_t n)
{
    char c[LZ4_COMPRESSBOUND(1024)];
    int r = LZ4_compress_default((const char *)d, c, (int)n, (int)sizeof c);
    assert_true(r > 0);
    hp_uv(h, (uint64_t)r);
    hp_bytes(h, c, (size_t)r);
}

static int apply_hp(const hp_t *h, const uint8_t *old, size_t oldlen, uint8_t **out, size_t *outlen,
                    char *err, size_t errlen)
{
    *out = NULL;
    return delta_apply(old, oldlen, h->b, h->n, 0, out, outlen, err, errlen);
}

static void expect_fail(const hp_t *h, const uint8_t *old, size_t oldlen, int want, const char *msg)
{
    uint8_t *out = NULL;
    size_t outlen = 0;
    char err[512] = "";
    int rc = apply_hp(h, old, oldlen, &out, &outlen, err, sizeof err);
    if (rc != want)
        fail_msg("%s: got %d (%s), expected %d", msg, rc, err, want);
    assert_null(out);
    assert_non_null(strstr(err, "patch offset"));
}

/* ---- varints --------------------------------------------------------------------------- */

static const uint8_t OLD8[8] = { 10, 20, 30, 40, 50, 60, 70, 80 };

static void test_varint_forms(void **state)
{
    (void)state;
    hp_t h;
    uint8_t *out;
    size_t outlen;
    char err[512];
    const uint8_t extra[3] = { 'a', 'b', 'c' };

    /* extra_len 3 written as a 10-byte (redundant) varint: accepted */
    hp_header(&h, 3, 128, LZ4_COMPRESSBOUND(128));
    hp_uv(&h, 0);
    const uint8_t three10[10] = { 0x83, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
    hp_bytes(&h, three10, sizeof three10);
    hp_sv(&h, 0);
    hp_frame(&h, extra, 3);
    assert_int_equal(apply_hp(&h, OLD8, 8, &out, &outlen, err, sizeof err), DELTA_OK);
    assert_int_equal(outlen, 3);
    assert_memory_equal(out, "abc", 3);
    free(out);

    /* 11 bytes: refused at the control's offset */
    hp_header(&h, 3, 128, LZ4_COMPRESSBOUND(128));
    const uint8_t eleven[11] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
    hp_bytes(&h, eleven, sizeof eleven);
    expect_fail(&h, OLD8, 8, DELTA_ERR_VARINT, "11-byte varint");

    /* 10th byte above 1: overflows 64 bits */
    hp_header(&h, 3, 128, LZ4_COMPRESSBOUND(128));
    const uint8_t ovf[10] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
    hp_bytes(&h, ovf, sizeof ovf);
    expect_fail(&h, OLD8, 8, DELTA_ERR_VARINT, "65-bit varint");

    /* UINT64_MAX parses (10 bytes, last = 1) and then is far too many bytes: sizes */
    hp_header(&h, 3, 128, LZ4_COMPRESSBOUND(128));
    hp_uv(&h, UINT64_MAX);
    assert_int_equal(h.n, 40 + 10);
    hp_uv(&h, 0);
    hp_sv(&h, 0);
    expect_fail(&h, OLD8, 8, DELTA_ERR_SIZES, "UINT64_MAX diff_len");

    /* cut by the end of the patch: in a control and in a frame length */
    hp_header(&h, 3, 128, LZ4_COMPRESSBOUND(128));
    h.b[h.n++] = 0x80;
    expect_fail(&h, OLD8, 8, DELTA_ERR_VARINT, "cut control varint");
    hp_header(&h, 3, 128, LZ4_COMPRESSBOUND(128));
    hp_uv(&h, 0);
    hp_uv(&h, 3);
    hp_sv(&h, 0);
    h.b[h.n++] = 0x81;
    expect_fail(&h, OLD8, 8, DELTA_ERR_VARINT, "cut frame length varint");
}

static void test_svarint_seek(void **state)
{
    (void)state;
    hp_t h;
    uint8_t *out;
    size_t outlen;
    char err[512];
    /* control 1: diff 3 from old[0] (+1 each), seek -2 (back to old[1]); control 2: diff 2 from
     * old[1] (+0, +5), extra "z", seek "-0" (svarint 1, i.e. 0) */
    const uint8_t d1[3] = { 1, 1, 1 }, d2[2] = { 0, 5 };
    hp_header(&h, 6, 128, LZ4_COMPRESSBOUND(128));
    hp_uv(&h, 3);
    hp_uv(&h, 0);
    hp_sv(&h, -2);
    hp_frame(&h, d1, 3);
    hp_uv(&h, 2);
    hp_uv(&h, 1);
    hp_uv(&h, 1);       /* svarint "-0" = 0 */
    hp_frame(&h, d2, 2);
    hp_frame(&h, (const uint8_t *)"z", 1);
    assert_int_equal(apply_hp(&h, OLD8, 8, &out, &outlen, err, sizeof err), DELTA_OK);
    const uint8_t want[6] = { 11, 21, 31, 20, 35, 'z' };
    assert_int_equal(outlen, 6);
    assert_memory_equal(out, want, 6);
    free(out);

    /* a seek to -1 makes the next diff run read before the old image */
    hp_header(&h, 2, 128, LZ4_COMPRESSBOUND(128));
    hp_uv(&h, 1);
    hp_uv(&h, 0);
    hp_sv(&h, -2);
    hp_frame(&h, d1, 1);
    size_t c2 = h.n;
    hp_uv(&h, 1);
    hp_uv(&h, 0);
    hp_sv(&h, 0);
    hp_frame(&h, d1, 1);
    char e2[512] = "";
    assert_int_equal(apply_hp(&h, OLD8, 8, &out, &outlen, e2, sizeof e2), DELTA_ERR_SEEK);
    char at[64];
    snprintf(at, sizeof at, "patch offset %zu:", c2);
    assert_non_null(strstr(e2, at));
    /* past the end: a diff run of 2 at old position 7 of 8 */
    hp_header(&h, 2, 128, LZ4_COMPRESSBOUND(128));
    hp_uv(&h, 0);
    hp_uv(&h, 0);
    hp_sv(&h, 7);
    hp_uv(&h, 2);
    hp_uv(&h, 0);
    hp_sv(&h, 0);
    hp_frame(&h, d1, 2);
    expect_fail(&h, OLD8, 8, DELTA_ERR_SEEK, "diff run past the end");
    /* a huge seek that overflows the old position */
    hp_header(&h, 2, 128, LZ4_COMPRESSBOUND(128));
    hp_uv(&h, 1);
    hp_uv(&h, 0);
    hp_sv(&h, INT64_MAX);
    hp_frame(&h, d1, 1);
    expect_fail(&h, OLD8, 8, DELTA_ERR_SEEK, "overflowing seek");
    /* delta_info does not check seeks */
    delta_info_t in;
    assert_int_equal(delta_info(h.b, h.n, &in, err, sizeof err), DELTA_ERR_SIZES);   /* ends early */
}

/* ---- headers --------------------------------------------------------------------------- */

static void test_header_edges(void **state)
{
    (void)state;
    hp_t h;
    uint8_t *out;
    size_t outlen;
    char err[512];

    /* empty new image: header only (max compressed 0 is refused like the device does) */
    hp_header(&h, 0, 512, 0);
    expect_fail(&h, NULL, 0, DELTA_ERR_HEADER, "max compressed 0");
    hp_header(&h, 0, 512, 1);
    assert_int_equal(apply_hp(&h, NULL, 0, &out, &outlen, err, sizeof err), DELTA_OK);
    assert_non_null(out);
    assert_int_equal(outlen, 0);
    free(out);
    /* ... with a trailing byte */
    h.b[h.n++] = 0;
    expect_fail(&h, NULL, 0, DELTA_ERR_SIZES, "trailing byte");

    /* block sizes: 127 and 65537 refused, 128 and 65536 accepted */
    hp_header(&h, 0, 127, 1);
    expect_fail(&h, NULL, 0, DELTA_ERR_HEADER, "block 127");
    hp_header(&h, 0, 65537, 1);
    expect_fail(&h, NULL, 0, DELTA_ERR_HEADER, "block 65537");
    hp_header(&h, 0, (1ULL << 63) | 512, 1);
    expect_fail(&h, NULL, 0, DELTA_ERR_HEADER, "negative block");
    hp_header(&h, 0, 65536, LZ4_COMPRESSBOUND(65536));
    assert_int_equal(apply_hp(&h, NULL, 0, &out, &outlen, err, sizeof err), DELTA_OK);
    free(out);
    /* max compressed: the bound is fine, one more is not */
    hp_header(&h, 0, 128, LZ4_COMPRESSBOUND(128) + 1);
    expect_fail(&h, NULL, 0, DELTA_ERR_HEADER, "max compressed above the bound");
    /* negative new size (sign bit), even "-0" */
    hp_header(&h, (1ULL << 63) | 5, 512, 1);
    expect_fail(&h, NULL, 0, DELTA_ERR_HEADER, "negative size");
    hp_header(&h, 1ULL << 63, 512, 1);
    expect_fail(&h, NULL, 0, DELTA_ERR_HEADER, "negative zero size");

    /* magic and short headers */
    hp_header(&h, 0, 512, 1);
    h.b[15] = '2';
    expect_fail(&h, NULL, 0, DELTA_ERR_MAGIC, "magic last byte");
    assert_int_equal(delta_apply(NULL, 0, (const uint8_t *)"PELX", 4, 0, &out, &outlen, err, sizeof err),
                     DELTA_ERR_MAGIC);
    assert_non_null(strstr(err, "patch offset 3"));
    assert_int_equal(delta_apply(NULL, 0, (const uint8_t *)"PELION", 6, 0, &out, &outlen, err, sizeof err),
                     DELTA_ERR_MAGIC);
    assert_int_equal(delta_apply(NULL, 0, NULL, 0, 0, &out, &outlen, err, sizeof err), DELTA_ERR_MAGIC);
    hp_header(&h, 0, 512, 1);
    assert_int_equal(delta_apply(NULL, 0, h.b, 16, 0, &out, &outlen, err, sizeof err), DELTA_ERR_HEADER);
    assert_int_equal(delta_apply(NULL, 0, h.b, 39, 0, &out, &outlen, err, sizeof err), DELTA_ERR_HEADER);

    /* max_out */
    hp_header(&h, 1000, 512, 1);
    assert_int_equal(delta_apply(NULL, 0, h.b, h.n, 999, &out, &outlen, err, sizeof err), DELTA_ERR_SIZES);
    hp_header(&h, (uint64_t)65 << 20, 512, 1);
    assert_int_equal(delta_apply(NULL, 0, h.b, h.n, 0, &out, &outlen, err, sizeof err), DELTA_ERR_SIZES);
    /* declared size not produced: the patch ends after the header */
    hp_header(&h, 1, 512, 1);
    expect_fail(&h, NULL, 0, DELTA_ERR_SIZES, "nothing after the header");

    /* frames: too big for the header, a block decoding to the wrong size, cut */
    const uint8_t z[200] = { 0 };
    hp_header(&h, 200, 128, 2);
    hp_uv(&h, 0);
    hp_uv(&h, 200);
    hp_sv(&h, 0);
    hp_frame(&h, z, 128);
    expect_fail(&h, NULL, 0, DELTA_ERR_FRAME, "frame above max compressed");
    hp_header(&h, 200, 128, 100);
    hp_uv(&h, 0);
    hp_uv(&h, 200);
    hp_sv(&h, 0);
    hp_frame(&h, z, 100);       /* 100 bytes where the frame must be 128 */
    expect_fail(&h, NULL, 0, DELTA_ERR_LZ4, "short frame");
    hp_header(&h, 200, 128, 100);
    hp_uv(&h, 0);
    hp_uv(&h, 200);
    hp_sv(&h, 0);
    hp_frame(&h, z, 128);
    hp_frame(&h, z, 73);        /* one byte too many for the last frame */
    expect_fail(&h, NULL, 0, DELTA_ERR_LZ4, "long frame");
    hp_header(&h, 200, 128, 100);
    hp_uv(&h, 0);
    hp_uv(&h, 200);
    hp_sv(&h, 0);
    hp_frame(&h, z, 128);
    hp_uv(&h, 0);               /* a frame of 0 compressed bytes (as the device: delta-frame) */
    expect_fail(&h, NULL, 0, DELTA_ERR_FRAME, "empty block");
    /* the patch ending between two frames of a run, or right after the control: truncated */
    hp_header(&h, 200, 128, 100);
    hp_uv(&h, 0);
    hp_uv(&h, 200);
    hp_sv(&h, 0);
    expect_fail(&h, NULL, 0, DELTA_ERR_TRUNCATED, "no frame after the control");
    hp_frame(&h, z, 128);
    expect_fail(&h, NULL, 0, DELTA_ERR_TRUNCATED, "run missing its last frame");
    h.b[h.n++] = 0x80;
    expect_fail(&h, NULL, 0, DELTA_ERR_VARINT, "cut in the frame length");
    hp_header(&h, 200, 128, 100);
    hp_uv(&h, 0);
    hp_uv(&h, 200);
    hp_sv(&h, 0);
    hp_frame(&h, z, 128);
    hp_frame(&h, z, 72);
    h.n--;
    expect_fail(&h, NULL, 0, DELTA_ERR_TRUNCATED, "cut block");
    h.n++;
    assert_int_equal(apply_hp(&h, NULL, 0, &out, &outlen, err, sizeof err), DELTA_OK);
    assert_int_equal(outlen, 200);
    free(out);
    /* a control asking for more than the declared size */
    hp_header(&h, 200, 128, 100);
    hp_uv(&h, 0);
    hp_uv(&h, 201);
    hp_sv(&h, 0);
    expect_fail(&h, NULL, 0, DELTA_ERR_SIZES, "control beyond the size");
}

/* ---- round trips ----------------------------------------------------------------------- */

static const uint32_t BLOCKS[] = { 128, 512, 1024 };

/* The size of a patch of newlen unchanged bytes: every frame costs ~10-14 bytes even all zeros. */
static size_t small(size_t newlen, uint32_t bs)
{
    return (newlen + bs - 1) / bs * 16 + 300;
}

/* create (no ratio limit) -> apply == new; delta_info agrees; deterministic. Returns the size. */
static size_t roundtrip(const uint8_t *old, size_t oldlen, const uint8_t *nw, size_t newlen,
                        uint32_t block, const char *what)
{
    delta_opts_t o = { .block_size = block, .max_ratio = 1 };
    uint8_t *p = NULL, *p2 = NULL, *out = NULL;
    size_t plen = 0, plen2 = 0, outlen = 0;
    char err[512] = "";
    int rc = delta_create(old, oldlen, nw, newlen, &o, &p, &plen, err, sizeof err);
    if (rc)
        fail_msg("%s (block %u): create: %d %s", what, block, rc, err);
    rc = delta_apply(old, oldlen, p, plen, 0, &out, &outlen, err, sizeof err);
    if (rc)
        fail_msg("%s (block %u): apply: %d %s", what, block, rc, err);
    assert_int_equal(outlen, newlen);
    if (newlen)
        assert_memory_equal(out, nw, newlen);
    assert_int_equal(delta_create(old, oldlen, nw, newlen, &o, &p2, &plen2, err, sizeof err), DELTA_OK);
    assert_int_equal(plen2, plen);
    assert_memory_equal(p2, p, plen);

    delta_info_t in;
    assert_int_equal(delta_info(p, plen, &in, err, sizeof err), DELTA_OK);
    assert_int_equal(in.new_size, newlen);
    assert_int_equal(in.block_size, block);
    assert_int_equal(in.diff_bytes + in.extra_bytes, newlen);
    assert_true(in.max_compressed <= (uint32_t)LZ4_COMPRESSBOUND(block));
    assert_true(in.frames >= (newlen + block - 1) / block);
    assert_true(in.frames <= newlen);
    assert_true(newlen == 0 ? in.controls == 0 : in.controls >= 1);
    assert_int_equal(memcmp(p, DELTA_MAGIC, 16), 0);
    free(p);
    free(p2);
    free(out);
    return plen;
}

static void test_roundtrip_synthetic(void **state)
{
    (void)state;
    const size_t N = 20000;
    uint8_t *a = random_bytes(N, 1);
    uint8_t *b = random_bytes(N, 2);
    uint8_t *big = malloc(2 * N + 100);
    assert_non_null(big);
    for (size_t k = 0; k < sizeof BLOCKS / sizeof BLOCKS[0]; k++) {
        uint32_t bs = BLOCKS[k];
        size_t s;
        s = roundtrip(a, N, a, N, bs, "identical");
        assert_true(s < small(N, bs));
        /* appended */
        memcpy(big, a, N);
        memcpy(big + N, b, 777);
        s = roundtrip(a, N, big, N + 777, bs, "appended");
        assert_true(s < small(N, bs) + 900);
        /* prepended (everything shifted by 333) */
        memcpy(big, b, 333);
        memcpy(big + 333, a, N);
        s = roundtrip(a, N, big, N + 333, bs, "prepended");
        assert_true(s < small(N, bs) + 450);
        /* a piece cut out and another inserted: shifted halves */
        memcpy(big, a, 5000);
        memcpy(big + 5000, b, 100);
        memcpy(big + 5100, a + 6000, N - 6000);
        roundtrip(a, N, big, N - 900, bs, "shifted");
        /* one byte changed in the middle */
        memcpy(big, a, N);
        big[N / 2] ^= 0x5a;
        s = roundtrip(a, N, big, N, bs, "one byte");
        assert_true(s < small(N, bs));
        /* unrelated random, empty old, empty new, both empty, tiny */
        roundtrip(a, N, b, N, bs, "random");
        roundtrip(NULL, 0, b, 1000, bs, "empty old");
        roundtrip(a, N, NULL, 0, bs, "empty new");
        roundtrip(NULL, 0, NULL, 0, bs, "both empty");
        roundtrip(a, 1, b, 1, bs, "one byte each");
        roundtrip(a, N, a + 100, 1, bs, "one byte new");
        /* exact multiples of the block and one over */
        roundtrip(a, N, b, bs, bs, "one block");
        roundtrip(a, N, b, bs + 1, bs, "one block + 1");
    }
    /* structured data with small edits at many places (firmware-like: constants move) */
    uint8_t *c = malloc(N), *d = malloc(N);
    assert_non_null(c);
    assert_non_null(d);
    for (size_t i = 0; i < N; i++)
        c[i] = (uint8_t)((i % 64) < 8 ? i / 64 : a[i % 4096]);
    memcpy(d, c, N);
    for (size_t i = 100; i < N; i += 1500)
        d[i] += 3;
    size_t s = roundtrip(c, N, d, N, 512, "scattered edits");
    assert_true(s < N / 10);
    free(c);
    free(d);
    free(a);
    free(b);
    free(big);
}

static void test_roundtrip_bundled(void **state)
{
    (void)state;
    size_t l1 = 0, l2 = 0;
    uint8_t *v1 = read_fw("app_v1.bin", &l1), *v2 = read_fw("app_v2.bin", &l2);
    if (!v1 || !v2) {
        free(v1);
        free(v2);
        skip();
    }
    for (size_t k = 0; k < sizeof BLOCKS / sizeof BLOCKS[0]; k++) {
        size_t s = roundtrip(v1, l1, v2, l2, BLOCKS[k], "app_v1 -> app_v2");
        print_message("app_v1 -> app_v2, block %u: %zu bytes of %zu\n", BLOCKS[k], s, l2);
        assert_true(s * 5 < l2);
        roundtrip(v2, l2, v1, l1, BLOCKS[k], "app_v2 -> app_v1");
        roundtrip(v1, l1, v1, l1, BLOCKS[k], "app_v1 -> app_v1");
    }
    /* the default options accept it */
    uint8_t *p = NULL;
    size_t plen = 0;
    char err[512];
    assert_int_equal(delta_create(v1, l1, v2, l2, NULL, &p, &plen, err, sizeof err), DELTA_OK);
    free(p);
    free(v1);
    free(v2);
}

static void test_create_limits(void **state)
{
    (void)state;
    uint8_t *a = random_bytes(4096, 7), *b = random_bytes(4096, 8);
    uint8_t *p = (uint8_t *)1;
    size_t plen = 1;
    char err[512] = "";
    /* unrelated random data: refused by default (>= 60 %), and at 0.99 */
    assert_int_equal(delta_create(a, 4096, b, 4096, NULL, &p, &plen, err, sizeof err), DELTA_ERR_TOO_BIG);
    assert_null(p);
    assert_non_null(strstr(err, "%"));
    delta_opts_t o = { .max_ratio = 0.99 };
    assert_int_equal(delta_create(a, 4096, b, 4096, &o, &p, &plen, err, sizeof err), DELTA_ERR_TOO_BIG);
    o.max_ratio = 2;
    assert_int_equal(delta_create(a, 4096, b, 4096, &o, &p, &plen, err, sizeof err), DELTA_OK);
    free(p);
    /* identical data passes the default limit */
    assert_int_equal(delta_create(a, 4096, a, 4096, NULL, &p, &plen, err, sizeof err), DELTA_OK);
    free(p);
    /* bad options and arguments */
    o = (delta_opts_t){ .block_size = 64 };
    assert_int_equal(delta_create(a, 4096, a, 4096, &o, &p, &plen, err, sizeof err), DELTA_ERR_ARG);
    o = (delta_opts_t){ .block_size = 65537 };
    assert_int_equal(delta_create(a, 4096, a, 4096, &o, &p, &plen, err, sizeof err), DELTA_ERR_ARG);
    o = (delta_opts_t){ .max_ratio = -1 };
    assert_int_equal(delta_create(a, 4096, a, 4096, &o, &p, &plen, err, sizeof err), DELTA_ERR_ARG);
    assert_int_equal(delta_create(NULL, 5, a, 4096, NULL, &p, &plen, err, sizeof err), DELTA_ERR_ARG);
    assert_int_equal(delta_create(a, 4096, a, 4096, NULL, NULL, &plen, err, sizeof err), DELTA_ERR_ARG);
    uint8_t *out;
    size_t outlen;
    assert_int_equal(delta_apply(a, 10, a, 10, 0, NULL, &outlen, err, sizeof err), DELTA_ERR_ARG);
    assert_int_equal(delta_apply(a, 10, NULL, 10, 0, &out, &outlen, err, sizeof err), DELTA_ERR_ARG);
    assert_int_equal(delta_info(a, 10, NULL, err, sizeof err), DELTA_ERR_ARG);
    free(a);
    free(b);
}

/* ---- mutations ------------------------------------------------------------------------- */

static void check_mutations(const uint8_t *old, size_t oldlen, const uint8_t *nw, size_t newlen,
                            uint32_t block, const char *what)
{
    delta_opts_t o = { .block_size = block };
    for (int m = 0; m < DELTA_MUT_COUNT; m++) {
        uint8_t *p = NULL, *p2 = NULL, *out = NULL;
        size_t plen = 0, plen2 = 0, outlen = 0;
        char err[512] = "";
        int rc = delta_mutate(old, oldlen, nw, newlen, &o, (delta_mutation_t)m, &p, &plen, err, sizeof err);
        if (rc)
            fail_msg("%s: mutate %s: %d %s", what, delta_mutation_name((delta_mutation_t)m), rc, err);
        assert_int_equal(delta_mutate(old, oldlen, nw, newlen, &o, (delta_mutation_t)m, &p2, &plen2, err,
                                      sizeof err), DELTA_OK);
        assert_int_equal(plen, plen2);
        assert_memory_equal(p, p2, plen);
        int want = delta_mutation_error((delta_mutation_t)m);
        err[0] = 0;
        rc = delta_apply(old, oldlen, p, plen, 0, &out, &outlen, err, sizeof err);
        if (rc != want)
            fail_msg("%s: mutation %s: apply gave %d (%s), expected %d", what,
                     delta_mutation_name((delta_mutation_t)m), rc, err, want);
        assert_null(out);
        assert_non_null(strstr(err, "patch offset"));
        char reason[64];
        snprintf(reason, sizeof reason, "delta-%s", delta_mutation_name((delta_mutation_t)m));
        assert_string_equal(delta_reason(rc), reason);
        /* info finds the same fault, except seeks (not checked without the old image) */
        delta_info_t in;
        rc = delta_info(p, plen, &in, err, sizeof err);
        if (m == DELTA_MUT_SEEK)
            assert_int_equal(rc, DELTA_OK);
        else
            assert_int_equal(rc, want);
        free(p);
        free(p2);
    }
}

static void test_mutations(void **state)
{
    (void)state;
    static const char *const names[] = { "magic", "header", "varint", "sizes", "seek", "frame", "lz4",
                                          "truncated" };
    for (int m = 0; m < DELTA_MUT_COUNT; m++) {
        assert_string_equal(delta_mutation_name((delta_mutation_t)m), names[m]);
        assert_int_equal(delta_mutation_parse(names[m]), m);
    }
    assert_int_equal(delta_mutation_parse("nope"), -1);
    assert_int_equal(delta_mutation_parse(NULL), -1);
    assert_null(delta_mutation_name(DELTA_MUT_COUNT));
    assert_null(delta_reason(DELTA_OK));
    assert_null(delta_reason(DELTA_ERR_TOO_BIG));
    assert_null(delta_reason(DELTA_ERR_NOMEM));
    for (int e = 0; e >= -12; e--)
        assert_non_null(delta_strerror(e));

    uint8_t *a = random_bytes(5000, 11), *b = random_bytes(5000, 12);
    uint8_t *c = malloc(5000);
    assert_non_null(c);
    memcpy(c, a, 5000);
    c[2500] ^= 1;
    for (size_t k = 0; k < sizeof BLOCKS / sizeof BLOCKS[0]; k++) {
        check_mutations(a, 5000, c, 5000, BLOCKS[k], "one byte changed");   /* one control */
        check_mutations(a, 5000, b, 5000, BLOCKS[k], "random");
        check_mutations(NULL, 0, b, 300, BLOCKS[k], "empty old");
        check_mutations(a, 5000, b, 1, BLOCKS[k], "one-byte new");
        check_mutations(a, 1, b, 1, BLOCKS[k], "one byte each");
    }
    /* the seek mutation keeps the natural diff bytes: about the size of the real patch */
    uint8_t *p0 = NULL, *p1 = NULL;
    size_t n0 = 0, n1 = 0;
    char e0[512];
    assert_int_equal(delta_create(a, 5000, c, 5000, NULL, &p0, &n0, e0, sizeof e0), DELTA_OK);
    assert_int_equal(delta_mutate(a, 5000, c, 5000, NULL, DELTA_MUT_SEEK, &p1, &n1, e0, sizeof e0), DELTA_OK);
    assert_true(n1 < n0 + 64);
    free(p0);
    free(p1);
    size_t l1 = 0, l2 = 0;
    uint8_t *v1 = read_fw("app_v1.bin", &l1), *v2 = read_fw("app_v2.bin", &l2);
    if (v1 && v2)
        check_mutations(v1, l1, v2, l2, 512, "app_v1 -> app_v2");
    free(v1);
    free(v2);
    /* an empty new image supports only magic, header and sizes */
    uint8_t *p = NULL;
    size_t plen = 0;
    char err[512];
    assert_int_equal(delta_mutate(a, 10, NULL, 0, NULL, DELTA_MUT_SIZES, &p, &plen, err, sizeof err), DELTA_OK);
    free(p);
    assert_int_equal(delta_mutate(a, 10, NULL, 0, NULL, DELTA_MUT_LZ4, &p, &plen, err, sizeof err), DELTA_ERR_ARG);
    assert_int_equal(delta_mutate(a, 10, b, 10, NULL, DELTA_MUT_COUNT, &p, &plen, err, sizeof err), DELTA_ERR_ARG);
    free(a);
    free(b);
    free(c);
}

/* ---- fuzz ------------------------------------------------------------------------------ */

static void fuzz_one(const uint8_t *old, size_t oldlen, const uint8_t *patch, size_t plen, unsigned iters,
                     uint64_t seed)
{
    uint8_t *buf = malloc(plen + 16);
    assert_non_null(buf);
    rng_state = seed;
    unsigned ok = 0;
    for (unsigned it = 0; it < iters; it++) {
        memcpy(buf, patch, plen);
        size_t n = plen;
        uint32_t what = rnd() % 4;
        if (what != 1) {        /* flip 1..4 bytes (biased towards the header and first controls) */
            unsigned flips = 1 + rnd() % 4;
            for (unsigned f = 0; f < flips; f++) {
                size_t at = (rnd() & 1) ? rnd() % (n < 80 ? n : 80) : rnd() % n;
                buf[at] ^= (uint8_t)(1u << (rnd() % 8));
                if (rnd() % 4 == 0)
                    buf[at] = (uint8_t)rnd();
            }
        }
        if (what >= 1)          /* truncate */
            n = rnd() % (plen + 1);
        uint8_t *out = NULL;
        size_t outlen = 0;
        char err[256];
        int rc = delta_apply(old, oldlen, buf, n, 1 << 20, &out, &outlen, err, sizeof err);
        if (rc == DELTA_OK) {
            ok++;
            assert_non_null(out);
            free(out);
        } else {
            assert_null(out);
            assert_non_null(delta_reason(rc));
        }
        delta_info_t in;
        rc = delta_info(buf, n, &in, err, sizeof err);
        assert_true(rc == DELTA_OK || delta_reason(rc) != NULL);
    }
    (void)ok;
    free(buf);
}

static void test_fuzz(void **state)
{
    (void)state;
    uint8_t *a = random_bytes(3000, 21);
    uint8_t *c = malloc(3300);
    assert_non_null(c);
    memcpy(c, a, 1000);
    memset(c + 1000, 0x42, 300);
    memcpy(c + 1300, a + 1000, 2000);
    c[2000] ^= 0xff;
    uint8_t *p = NULL;
    size_t plen = 0;
    char err[512];
    delta_opts_t o = { .block_size = 128, .max_ratio = 1 };
    assert_int_equal(delta_create(a, 3000, c, 3300, &o, &p, &plen, err, sizeof err), DELTA_OK);
    fuzz_one(a, 3000, p, plen, 3000, 0xF00D);
    free(p);
    size_t l1 = 0, l2 = 0;
    uint8_t *v1 = read_fw("app_v1.bin", &l1), *v2 = read_fw("app_v2.bin", &l2);
    if (v1 && v2) {
        assert_int_equal(delta_create(v1, l1, v2, l2, NULL, &p, &plen, err, sizeof err), DELTA_OK);
        fuzz_one(v1, l1, p, plen, 3000, 0xBEEF);
        free(p);
    }
    /* the mutated patches themselves, damaged further */
    for (int m = 0; m < DELTA_MUT_COUNT; m++) {
        assert_int_equal(delta_mutate(a, 3000, c, 3300, &o, (delta_mutation_t)m, &p, &plen, err, sizeof err),
                         DELTA_OK);
        fuzz_one(a, 3000, p, plen, 300, 0x1234 + (uint64_t)m);
        free(p);
    }
    free(v1);
    free(v2);
    free(a);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_forms),
        cmocka_unit_test(test_svarint_seek),
        cmocka_unit_test(test_header_edges),
        cmocka_unit_test(test_roundtrip_synthetic),
        cmocka_unit_test(test_roundtrip_bundled),
        cmocka_unit_test(test_create_limits),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
