/*
 * SHA-256 compression function for the fwemu firmware (Mbed TLS MBEDTLS_SHA256_PROCESS_ALT:
 * Mbed TLS keeps the context, buffering, padding and API; this file provides only
 * mbedtls_internal_sha256_process, one 64-byte block).
 *
 * Why not Mbed TLS's own: hashing dominates the bootloader (every boot hashes the active image,
 * an install hashes the candidate and the copy) and the update client. Mbed TLS 2.28's version,
 * built with -Os for the M4, keeps the 64-word message schedule and the working variables in
 * RAM and wipes both after every block (mbedtls_platform_zeroize, 296 bytes): about 220 stores
 * and 2,600 instructions per block. Stores are what costs most, on the device and far more
 * under Unicorn 2.0.1 (firmware/README.md "Hashing").
 *
 * Two implementations of the same FIPS 180-4 function:
 *   - on the M4 (ARMv7E-M Thumb-2), sha256_block_m4.S: registers only but for a 16-word
 *     schedule ring, 66 stores per block;
 *   - elsewhere, the portable C below (the host unit test runs it; built for the M4 with -O2 it
 *     makes about 100 stores per block).
 * tests/unit/test_fw_sha256.c checks the C version against FIPS 180-4 examples and the host's
 * Mbed TLS; the testfw program sha256_m4 runs the assembly under the emulator against the same
 * examples, and every bootloader scenario checks it against digests computed on the host.
 *
 * What neither does: wipe the schedule after each block. The firmware hashes only public data
 * (firmware images, manifests, payloads), never a secret, so the wipe buys nothing here; do not
 * reuse this for HMAC keys or other secret inputs without adding it back.
 *
 * Contract (as Mbed TLS's): `data` is any 64 bytes (no alignment needed: the M4 loads words
 * unaligned), ctx->state is updated in place, the return value is always 0.
 */
#include <stdint.h>
#include <string.h>

#include "mbedtls/sha256.h"

#if defined(MBEDTLS_SHA256_PROCESS_ALT)

#if defined(__ARM_ARCH_7EM__) && defined(__thumb2__)

int fw_sha256_block(uint32_t state[8], const unsigned char data[64]); /* sha256_block_m4.S */

int mbedtls_internal_sha256_process(mbedtls_sha256_context *ctx, const unsigned char data[64])
{
    return fw_sha256_block(ctx->state, data);
}

#else /* portable C */

static const uint32_t sha256_k[64] = {
    0x428A2F98u, 0x71374491u, 0xB5C0FBCFu, 0xE9B5DBA5u, 0x3956C25Bu, 0x59F111F1u, 0x923F82A4u,
    0xAB1C5ED5u, 0xD807AA98u, 0x12835B01u, 0x243185BEu, 0x550C7DC3u, 0x72BE5D74u, 0x80DEB1FEu,
    0x9BDC06A7u, 0xC19BF174u, 0xE49B69C1u, 0xEFBE4786u, 0x0FC19DC6u, 0x240CA1CCu, 0x2DE92C6Fu,
    0x4A7484AAu, 0x5CB0A9DCu, 0x76F988DAu, 0x983E5152u, 0xA831C66Du, 0xB00327C8u, 0xBF597FC7u,
    0xC6E00BF3u, 0xD5A79147u, 0x06CA6351u, 0x14292967u, 0x27B70A85u, 0x2E1B2138u, 0x4D2C6DFCu,
    0x53380D13u, 0x650A7354u, 0x766A0ABBu, 0x81C2C92Eu, 0x92722C85u, 0xA2BFE8A1u, 0xA81A664Bu,
    0xC24B8B70u, 0xC76C51A3u, 0xD192E819u, 0xD6990624u, 0xF40E3585u, 0x106AA070u, 0x19A4C116u,
    0x1E376C08u, 0x2748774Cu, 0x34B0BCB5u, 0x391C0CB3u, 0x4ED8AA4Au, 0x5B9CCA4Fu, 0x682E6FF3u,
    0x748F82EEu, 0x78A5636Fu, 0x84C87814u, 0x8CC70208u, 0x90BEFFFAu, 0xA4506CEBu, 0xBEF9A3F7u,
    0xC67178F2u,
};

#define SHA_ROR(x, n) (((x) >> (n)) | ((x) << (32u - (n))))
#define SHA_BSIG0(x) (SHA_ROR(x, 2u) ^ SHA_ROR(x, 13u) ^ SHA_ROR(x, 22u))
#define SHA_BSIG1(x) (SHA_ROR(x, 6u) ^ SHA_ROR(x, 11u) ^ SHA_ROR(x, 25u))
#define SHA_SSIG0(x) (SHA_ROR(x, 7u) ^ SHA_ROR(x, 18u) ^ ((x) >> 3u))
#define SHA_SSIG1(x) (SHA_ROR(x, 17u) ^ SHA_ROR(x, 19u) ^ ((x) >> 10u))
#define SHA_CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))
#define SHA_MAJ(a, b, c) (((a) & (b)) | ((c) & ((a) | (b))))

/* One round; the caller rotates the roles of a..h instead of moving values. */
#define SHA_ROUND(a, b, c, d, e, f, g, h, kw)                                                       \
    do {                                                                                           \
        uint32_t t1_ = (h) + SHA_BSIG1(e) + SHA_CH(e, f, g) + (kw);                                \
        (d) += t1_;                                                                                \
        (h) = t1_ + SHA_BSIG0(a) + SHA_MAJ(a, b, c);                                               \
    } while (0)

/* Schedule word i (i >= 16) in the ring w[16], in place of word i - 16. */
#define SHA_SCHED(w, i)                                                                            \
    ((w)[(i) & 15u] += SHA_SSIG1((w)[((i) - 2u) & 15u]) + (w)[((i) - 7u) & 15u] +                 \
                       SHA_SSIG0((w)[((i) - 15u) & 15u]))

/* Sixteen rounds j = 0..15 of a group; W(j) yields the schedule word, k the group's constants. */
#define SHA_16_ROUNDS(W, k)                                                                        \
    do {                                                                                           \
        SHA_ROUND(a, b, c, d, e, f, g, h, (k)[0] + W(0));                                          \
        SHA_ROUND(h, a, b, c, d, e, f, g, (k)[1] + W(1));                                          \
        SHA_ROUND(g, h, a, b, c, d, e, f, (k)[2] + W(2));                                          \
        SHA_ROUND(f, g, h, a, b, c, d, e, (k)[3] + W(3));                                          \
        SHA_ROUND(e, f, g, h, a, b, c, d, (k)[4] + W(4));                                          \
        SHA_ROUND(d, e, f, g, h, a, b, c, (k)[5] + W(5));                                          \
        SHA_ROUND(c, d, e, f, g, h, a, b, (k)[6] + W(6));                                          \
        SHA_ROUND(b, c, d, e, f, g, h, a, (k)[7] + W(7));                                          \
        SHA_ROUND(a, b, c, d, e, f, g, h, (k)[8] + W(8));                                          \
        SHA_ROUND(h, a, b, c, d, e, f, g, (k)[9] + W(9));                                          \
        SHA_ROUND(g, h, a, b, c, d, e, f, (k)[10] + W(10));                                        \
        SHA_ROUND(f, g, h, a, b, c, d, e, (k)[11] + W(11));                                        \
        SHA_ROUND(e, f, g, h, a, b, c, d, (k)[12] + W(12));                                        \
        SHA_ROUND(d, e, f, g, h, a, b, c, (k)[13] + W(13));                                        \
        SHA_ROUND(c, d, e, f, g, h, a, b, (k)[14] + W(14));                                        \
        SHA_ROUND(b, c, d, e, f, g, h, a, (k)[15] + W(15));                                        \
    } while (0)

static inline uint32_t sha_load_be32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v); /* one LDR on the M4 (unaligned loads are allowed) */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

int mbedtls_internal_sha256_process(mbedtls_sha256_context *ctx, const unsigned char data[64])
{
    uint32_t w[16];
    uint32_t a = ctx->state[0], b = ctx->state[1], c = ctx->state[2], d = ctx->state[3];
    uint32_t e = ctx->state[4], f = ctx->state[5], g = ctx->state[6], h = ctx->state[7];

    for (unsigned i = 0; i < 16u; i++)
        w[i] = sha_load_be32(data + 4u * i);

#define SHA_W_INPUT(j) w[j]
    SHA_16_ROUNDS(SHA_W_INPUT, sha256_k);
#undef SHA_W_INPUT

#define SHA_W_NEXT(j) SHA_SCHED(w, (j) + 16u)
    for (const uint32_t *k = sha256_k + 16; k != sha256_k + 64; k += 16)
        SHA_16_ROUNDS(SHA_W_NEXT, k);
#undef SHA_W_NEXT

    ctx->state[0] += a;
    ctx->state[1] += b;
    ctx->state[2] += c;
    ctx->state[3] += d;
    ctx->state[4] += e;
    ctx->state[5] += f;
    ctx->state[6] += g;
    ctx->state[7] += h;
    return 0;
}

#endif /* portable C */
#endif /* MBEDTLS_SHA256_PROCESS_ALT */
