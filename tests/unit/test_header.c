/*
 * The v2 header codec (firmware/common/mbed_header.c) against the known-answer vector of
 * mbed-update-design.md section 1, and the target's bitwise CRC-32 against zlib.
 *
 * The codec is linked as the host builds it (zlib CRC). A second copy is compiled into this test
 * as the target builds it (bitwise CRC), its symbols renamed with a tgt_ prefix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mbedtls/sha256.h>
#include <zlib.h>

#include "mbed_header.h"

#undef MBED_HEADER_USE_ZLIB
#define mbed_hdr_crc32 tgt_mbed_hdr_crc32
#define mbed_hdr_strerror tgt_mbed_hdr_strerror
#define mbed_hdr_v2_init tgt_mbed_hdr_v2_init
#define mbed_hdr_v2_encode_raw tgt_mbed_hdr_v2_encode_raw
#define mbed_hdr_v2_encode tgt_mbed_hdr_v2_encode
#define mbed_hdr_v2_decode tgt_mbed_hdr_v2_decode
#define mbed_hdr_detect tgt_mbed_hdr_detect
#define mbed_hdr_v3_decode tgt_mbed_hdr_v3_decode
#include "mbed_header.c"
#undef mbed_hdr_crc32
#undef mbed_hdr_strerror
#undef mbed_hdr_v2_init
#undef mbed_hdr_v2_encode_raw
#undef mbed_hdr_v2_encode
#undef mbed_hdr_v2_decode
#undef mbed_hdr_detect
#undef mbed_hdr_v3_decode

/* mbed-update-design.md section 1: version 1600000000, size 4096, firmware bytes i & 0xff,
 * campaign a0..af, signature size 0. */
static const char KAT_HEX[] =
    "5a51b3d400000002000000005f5e1000" "0000000000001000c8f5d0341d54d951"
    "a71b136e6e2afcb14d11ed8489a7ae12" "6a8fee0df6ecf1930000000000000000"
    "00000000000000000000000000000000" "0000000000000000a0a1a2a3a4a5a6a7"
    "a8a9aaabacadaeaf00000000fe6232b7";
#define KAT_VERSION 1600000000ull
#define KAT_SIZE 4096u
#define KAT_CRC 0xfe6232b7u

static uint8_t kat[MBED_HDR_V2_SIZE];
static uint8_t kat_fw[KAT_SIZE];
static uint8_t kat_sha[32];

static int unhex(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

static int setup_kat(void **state)
{
    for (size_t i = 0; i < MBED_HDR_V2_SIZE; i++)
        kat[i] = (uint8_t)(unhex(KAT_HEX[2 * i]) << 4 | unhex(KAT_HEX[2 * i + 1]));
    for (size_t i = 0; i < KAT_SIZE; i++)
        kat_fw[i] = (uint8_t)(i & 0xff);
    mbedtls_sha256_ret(kat_fw, KAT_SIZE, kat_sha, 0);
    return 0;
}

static void kat_header(mbed_hdr_v2_t *h)
{
    mbed_hdr_v2_init(h, KAT_VERSION, KAT_SIZE, kat_sha);
    for (int i = 0; i < 16; i++)
        h->campaign[i] = (uint8_t)(0xa0 + i);
}

/* Deterministic PRNG (xorshift64*) so failures replay. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void sha256_of_firmware_matches_the_vector(void **state)
{
    assert_memory_equal(kat_sha, kat + 24, 32);
    for (int i = 56; i < 88; i++)
        assert_int_equal(kat[i], 0);
}

static void encode_gives_the_known_answer_bytes(void **state)
{
    mbed_hdr_v2_t h;
    uint8_t out[MBED_HDR_V2_SIZE];
    kat_header(&h);
    mbed_hdr_v2_encode(&h, out);
    assert_memory_equal(out, kat, MBED_HDR_V2_SIZE);
    assert_int_equal(h.crc, KAT_CRC);
}

static void decode_gives_the_known_answer_fields(void **state)
{
    mbed_hdr_v2_t h;
    memset(&h, 0x55, sizeof h);
    assert_int_equal(mbed_hdr_v2_decode(kat, sizeof kat, &h), MBED_HDR_OK);
    assert_int_equal(h.magic, MBED_HDR_V2_MAGIC);
    assert_int_equal(h.header_version, 2);
    assert_true(h.firmware_version == KAT_VERSION);
    assert_true(h.firmware_size == KAT_SIZE);
    assert_memory_equal(h.firmware_hash, kat_sha, 32);
    for (int i = 32; i < 64; i++)
        assert_int_equal(h.firmware_hash[i], 0);
    for (int i = 0; i < 16; i++)
        assert_int_equal(h.campaign[i], 0xa0 + i);
    assert_int_equal(h.signature_size, 0);
    assert_int_equal(h.crc, KAT_CRC);

    uint8_t again[MBED_HDR_V2_SIZE];
    mbed_hdr_v2_encode(&h, again);
    assert_memory_equal(again, kat, sizeof kat);
}

static void flipping_any_byte_makes_decode_fail_with_the_field_at_fault(void **state)
{
    for (size_t i = 0; i < MBED_HDR_V2_SIZE; i++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t b[MBED_HDR_V2_SIZE];
            mbed_hdr_v2_t h;
            memcpy(b, kat, sizeof b);
            b[i] ^= (uint8_t)(1u << bit);
            int want = i < 4 ? MBED_HDR_ERR_MAGIC : i < 8 ? MBED_HDR_ERR_VERSION : MBED_HDR_ERR_CRC;
            int got = mbed_hdr_v2_decode(b, sizeof b, &h);
            if (got != want)
                fail_msg("byte %zu bit %d: decode gave %d (%s), expected %d", i, bit, got,
                         mbed_hdr_strerror(got), want);
            assert_int_equal(tgt_mbed_hdr_v2_decode(b, sizeof b, &h), want);
        }
    }
}

static void decode_of_a_short_buffer_is_refused(void **state)
{
    mbed_hdr_v2_t h;
    for (size_t n = 0; n < MBED_HDR_V2_SIZE; n++)
        assert_int_equal(mbed_hdr_v2_decode(kat, n, &h), MBED_HDR_ERR_SHORT);
}

static void decode_fills_the_fields_even_when_the_crc_is_wrong(void **state)
{
    mbed_hdr_v2_t h;
    uint8_t b[MBED_HDR_V2_SIZE];
    kat_header(&h);
    h.crc = 0x12345678;
    mbed_hdr_v2_encode_raw(&h, b);
    memset(&h, 0, sizeof h);
    assert_int_equal(mbed_hdr_v2_decode(b, sizeof b, &h), MBED_HDR_ERR_CRC);
    assert_int_equal(h.crc, 0x12345678);
    assert_true(h.firmware_version == KAT_VERSION);
}

static void target_crc_gives_the_known_crc(void **state)
{
    assert_int_equal(tgt_mbed_hdr_crc32(kat, 108), KAT_CRC);
    assert_int_equal(mbed_hdr_crc32(kat, 108), KAT_CRC);
    /* mbed-os #9750: a CRC >= 2^31 must survive encode/decode unchanged (this one is) */
    assert_true(KAT_CRC >= 0x80000000u);
    assert_int_equal(tgt_mbed_hdr_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
}

static void target_crc_agrees_with_zlib_on_random_data(void **state)
{
    static uint8_t buf[4096];
    for (int round = 0; round < 300; round++) {
        size_t n = round < 64 ? (size_t)round : rnd() % sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rnd();
        uint32_t z = (uint32_t)crc32(0UL, buf, (uInt)n);
        if (tgt_mbed_hdr_crc32(buf, n) != z)
            fail_msg("round %d, %zu bytes: target 0x%08x, zlib 0x%08x", round, n,
                     tgt_mbed_hdr_crc32(buf, n), z);
        assert_int_equal(mbed_hdr_crc32(buf, n), z);
    }
}

static void target_codec_encodes_the_same_bytes(void **state)
{
    mbed_hdr_v2_t h;
    uint8_t out[MBED_HDR_V2_SIZE];
    tgt_mbed_hdr_v2_init(&h, KAT_VERSION, KAT_SIZE, kat_sha);
    for (int i = 0; i < 16; i++)
        h.campaign[i] = (uint8_t)(0xa0 + i);
    tgt_mbed_hdr_v2_encode(&h, out);
    assert_memory_equal(out, kat, sizeof kat);
    assert_int_equal(tgt_mbed_hdr_v2_decode(out, sizeof out, &h), MBED_HDR_OK);
}

static void make_v3(uint8_t b[MBED_HDR_V3_SIZE])
{
    memset(b, 0, MBED_HDR_V3_SIZE);
    b[0] = 0xa3; b[1] = 0x53; b[2] = 0x02; b[3] = 0x5c;          /* magic, little-endian */
    b[4] = 0x00; b[5] = 0x10; b[6] = 0x01; b[7] = 0x00;          /* fw_size 0x11000 */
    uint64_t v = 1ull << 55 | 1ull << 40 | 2ull << 16 | 3;       /* 1.2.3 */
    for (int i = 0; i < 8; i++)
        b[8 + i] = (uint8_t)(v >> (8 * i));
    for (int i = 0; i < 32; i++)
        b[16 + i] = (uint8_t)(0x40 + i);
    b[112] = 0x01;                                               /* barrier */
    b[113] = 0x02;                                               /* flags: resume */
    b[114] = 0x34; b[115] = 0x12;                                /* external_header_size */
    b[116] = 0x00; b[117] = 0x02;                                /* block_size 512 */
    for (int i = 0; i < 32; i++)
        b[118 + i] = (uint8_t)(0x80 + i);
    b[152] = 0xa3; b[153] = 0x53; b[154] = 0x02; b[155] = 0x5c;  /* footer */
}

static void detect_tells_v2_v3_erased_and_unknown_apart(void **state)
{
    uint8_t b[MBED_HDR_V3_SIZE];
    assert_int_equal(mbed_hdr_detect(kat, sizeof kat), MBED_HDR_FMT_V2);
    make_v3(b);
    assert_int_equal(mbed_hdr_detect(b, sizeof b), MBED_HDR_FMT_V3);
    memset(b, 0xff, sizeof b);
    assert_int_equal(mbed_hdr_detect(b, sizeof b), MBED_HDR_FMT_ERASED);
    assert_int_equal(tgt_mbed_hdr_detect(b, sizeof b), MBED_HDR_FMT_ERASED);
    b[MBED_HDR_V2_SIZE - 1] = 0xfe;
    assert_int_equal(mbed_hdr_detect(b, sizeof b), MBED_HDR_FMT_UNKNOWN);
    memset(b, 0, sizeof b);
    assert_int_equal(mbed_hdr_detect(b, sizeof b), MBED_HDR_FMT_UNKNOWN);
    assert_int_equal(mbed_hdr_detect(kat, 3), MBED_HDR_FMT_UNKNOWN);
    /* v2 magic stored little-endian is not a v2 header */
    const uint8_t le[4] = { 0xd4, 0xb3, 0x51, 0x5a };
    assert_int_equal(mbed_hdr_detect(le, sizeof le), MBED_HDR_FMT_UNKNOWN);
}

static void v3_decode_reads_the_little_endian_fields(void **state)
{
    uint8_t b[MBED_HDR_V3_SIZE];
    mbed_hdr_v3_t h;
    make_v3(b);
    assert_int_equal(mbed_hdr_v3_decode(b, sizeof b, &h), MBED_HDR_OK);
    assert_int_equal(h.magic, MBED_HDR_V3_MAGIC);
    assert_int_equal(h.fw_size, 0x11000);
    assert_true(h.version == (1ull << 55 | 1ull << 40 | 2ull << 16 | 3));
    assert_int_equal(h.digest[0], 0x40);
    assert_int_equal(h.digest[31], 0x5f);
    assert_int_equal(h.flags, 0x02);
    assert_int_equal(h.external_header_size, 0x1234);
    assert_int_equal(h.block_size, 512);
    assert_int_equal(h.precursor[0], 0x80);
    assert_int_equal(h.footer, MBED_HDR_V3_MAGIC);

    b[152] ^= 1;
    assert_int_equal(mbed_hdr_v3_decode(b, sizeof b, &h), MBED_HDR_ERR_MAGIC);
    assert_int_equal(mbed_hdr_v3_decode(b, MBED_HDR_V3_SIZE - 1, &h), MBED_HDR_ERR_SHORT);
    assert_int_equal(mbed_hdr_v3_decode(kat, sizeof kat, &h), MBED_HDR_ERR_SHORT);
}

static void every_error_has_a_text(void **state)
{
    const int errs[] = { MBED_HDR_OK, MBED_HDR_ERR_MAGIC, MBED_HDR_ERR_VERSION, MBED_HDR_ERR_CRC,
                         MBED_HDR_ERR_SHORT };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        assert_string_not_equal(mbed_hdr_strerror(errs[i]), "unknown header error");
    assert_string_equal(mbed_hdr_strerror(-99), "unknown header error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_of_firmware_matches_the_vector),
        cmocka_unit_test(encode_gives_the_known_answer_bytes),
        cmocka_unit_test(decode_gives_the_known_answer_fields),
        cmocka_unit_test(flipping_any_byte_makes_decode_fail_with_the_field_at_fault),
        cmocka_unit_test(decode_of_a_short_buffer_is_refused),
        cmocka_unit_test(decode_fills_the_fields_even_when_the_crc_is_wrong),
        cmocka_unit_test(target_crc_gives_the_known_crc),
        cmocka_unit_test(target_crc_agrees_with_zlib_on_random_data),
        cmocka_unit_test(target_codec_encodes_the_same_bytes),
        cmocka_unit_test(detect_tells_v2_v3_erased_and_unknown_apart),
        cmocka_unit_test(v3_decode_reads_the_little_endian_fields),
        cmocka_unit_test(every_error_has_a_text),
    };
    return cmocka_run_group_tests(tests, setup_kat, NULL);
}
