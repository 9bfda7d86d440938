/*
 * The firmware's SHA-256 compression function (firmware/common/sha256_process.c, Mbed TLS's
 * MBEDTLS_SHA256_PROCESS_ALT), compiled into this test as is and checked on the host:
 *   - the FIPS 180-4 examples ("abc", the two-block message, one million 'a') through a
 *     minimal driver (padding here, compression from the firmware file);
 *   - against the host's Mbed TLS over seeded random messages of every length 0..300 and at
 *     unaligned addresses (the firmware hashes payloads at any offset).
 * The firmware's version is renamed so that it cannot interpose the host library's own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <mbedtls/sha256.h>

#define MBEDTLS_SHA256_PROCESS_ALT
#define mbedtls_internal_sha256_process fw_sha256_process
#include "../../firmware/common/sha256_process.c"
#undef mbedtls_internal_sha256_process

/* A whole SHA-256 with the firmware's compression: padding and length as FIPS 180-4 5.1.1. */
static void fw_sha256(const uint8_t *msg, size_t len, uint8_t out[32])
{
    static const uint32_t iv[8] = { 0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
                                    0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u };
    mbedtls_sha256_context ctx;
    memset(&ctx, 0, sizeof ctx);
    memcpy(ctx.state, iv, sizeof iv);
    size_t off = 0;
    for (; len - off >= 64; off += 64)
        assert_int_equal(fw_sha256_process(&ctx, msg + off), 0);
    uint8_t tail[128] = { 0 };
    size_t rest = len - off;
    memcpy(tail, msg + off, rest);
    tail[rest] = 0x80;
    size_t blocks = rest + 1 + 8 <= 64 ? 1 : 2;
    uint64_t bits = (uint64_t)len * 8u;
    for (int i = 0; i < 8; i++)
        tail[blocks * 64 - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
    for (size_t b = 0; b < blocks; b++)
        assert_int_equal(fw_sha256_process(&ctx, tail + 64 * b), 0);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(ctx.state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(ctx.state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(ctx.state[i] >> 8);
        out[4 * i + 3] = (uint8_t)ctx.state[i];
    }
}

static void hex32(const char *hex, uint8_t out[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void test_fips_examples(void **state)
{
    (void)state;
    uint8_t got[32], want[32];
    fw_sha256((const uint8_t *)"abc", 3, got);
    hex32("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want);
    assert_memory_equal(got, want, 32);

    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    fw_sha256((const uint8_t *)two, strlen(two), got);
    hex32("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", want);
    assert_memory_equal(got, want, 32);

    uint8_t *million = malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    fw_sha256(million, 1000000, got);
    hex32("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", want);
    assert_memory_equal(got, want, 32);
    free(million);
}

static void test_matches_host_mbedtls(void **state)
{
    (void)state;
    uint8_t buf[300 + 3];
    uint32_t x = 12345u;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t misalign = 0; misalign < 4; misalign++) {
        for (size_t len = 0; len + misalign <= sizeof buf && len <= 300; len++) {
            uint8_t got[32], want[32];
            fw_sha256(buf + misalign, len, got);
            assert_int_equal(mbedtls_sha256_ret(buf + misalign, len, want, 0), 0);
            if (memcmp(got, want, 32) != 0)
                fail_msg("length %zu at offset %zu differs from the host's Mbed TLS", len, misalign);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_examples),
        cmocka_unit_test(test_matches_host_mbedtls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
