/*
 * sha256_m4: the firmware's SHA-256 block function in M4 assembly
 * (firmware/common/sha256_block_m4.S, fw_sha256_block) run on the emulated core against FIPS
 * 180-4 examples, with a minimal driver here (padding, length, big-endian output):
 *  - "abc" (one block) and the 56-byte two-block example;
 *  - 1,000 bytes 'a' read from an odd address (the function loads words unaligned);
 *  - r4-r11 and SP are preserved across the call (AAPCS callee-saved registers).
 * The host test tests/unit/test_fw_sha256.c checks the portable C version the same way.
 *
 * Exit codes: see the CHECK lines (first argument); 1 = unexpected exception.
 */
#include "fwtest.h"

FW_TEST_NAME("sha256_m4");

int fw_sha256_block(uint32_t state[8], const unsigned char data[64]);

static void sha256(const unsigned char *msg, uint32_t len, uint8_t out[32])
{
    uint32_t st[8] = { 0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
                       0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u };
    uint32_t off = 0;
    for (; len - off >= 64u; off += 64u)
        fw_sha256_block(st, msg + off);
    unsigned char tail[128];
    for (uint32_t i = 0; i < sizeof tail; i++)
        tail[i] = 0;
    uint32_t rest = len - off;
    for (uint32_t i = 0; i < rest; i++)
        tail[i] = msg[off + i];
    tail[rest] = 0x80u;
    uint32_t blocks = rest + 9u <= 64u ? 1u : 2u;
    uint32_t bits = len * 8u;
    for (uint32_t i = 0; i < 4u; i++)
        tail[blocks * 64u - 1u - i] = (unsigned char)(bits >> (8u * i));
    for (uint32_t b = 0; b < blocks; b++)
        fw_sha256_block(st, tail + 64u * b);
    for (uint32_t i = 0; i < 8u; i++) {
        out[4 * i] = (uint8_t)(st[i] >> 24);
        out[4 * i + 1] = (uint8_t)(st[i] >> 16);
        out[4 * i + 2] = (uint8_t)(st[i] >> 8);
        out[4 * i + 3] = (uint8_t)st[i];
    }
}

/* First and last words of the expected digests, big-endian. */
static uint32_t word(const uint8_t *d, uint32_t i)
{
    return ((uint32_t)d[4 * i] << 24) | ((uint32_t)d[4 * i + 1] << 16) | ((uint32_t)d[4 * i + 2] << 8) |
           d[4 * i + 3];
}

static unsigned char buf[1001];

/* fw_sha256_block with r4-r11 set to known values; returns nonzero if any changed or SP moved */
uint32_t call_preserving(uint32_t *st, const unsigned char *data);
__asm(
    ".text\n.thumb\n.syntax unified\n"
    ".global call_preserving\n.type call_preserving, %function\n.thumb_func\n"
    "call_preserving:\n"
    "push {r4-r11, lr}\n"
    "ldr r4, =0x44444444\n ldr r5, =0x55555555\n ldr r6, =0x66666666\n ldr r7, =0x77777777\n"
    "ldr r8, =0x88888888\n ldr r9, =0x99999999\n ldr r10, =0xAAAAAAAA\n ldr r11, =0xBBBBBBBB\n"
    "mov r12, sp\n"
    "push {r12}\n"
    "push {r12}\n"
    "bl fw_sha256_block\n"
    "pop {r12}\n"
    "pop {r12}\n"
    "movs r0, #0\n"
    "cmp r12, sp\n it ne\n orrne r0, r0, #1\n"
    "ldr r1, =0x44444444\n cmp r4, r1\n it ne\n orrne r0, r0, #2\n"
    "ldr r1, =0x55555555\n cmp r5, r1\n it ne\n orrne r0, r0, #2\n"
    "ldr r1, =0x66666666\n cmp r6, r1\n it ne\n orrne r0, r0, #2\n"
    "ldr r1, =0x77777777\n cmp r7, r1\n it ne\n orrne r0, r0, #2\n"
    "ldr r1, =0x88888888\n cmp r8, r1\n it ne\n orrne r0, r0, #2\n"
    "ldr r1, =0x99999999\n cmp r9, r1\n it ne\n orrne r0, r0, #2\n"
    "ldr r1, =0xAAAAAAAA\n cmp r10, r1\n it ne\n orrne r0, r0, #2\n"
    "ldr r1, =0xBBBBBBBB\n cmp r11, r1\n it ne\n orrne r0, r0, #2\n"
    "pop {r4-r11, pc}\n"
    ".ltorg\n");

int main(void)
{
    uint8_t d[32];
    sha256((const unsigned char *)"abc", 3, d);
    CHECK_EQ(2, word(d, 0), 0xba7816bfu, "SHA-256(\"abc\") word 0");
    CHECK_EQ(3, word(d, 7), 0xf20015adu, "SHA-256(\"abc\") word 7");

    static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256((const unsigned char *)two, sizeof two - 1u, d);
    CHECK_EQ(4, word(d, 0), 0x248d6a61u, "two-block example word 0");
    CHECK_EQ(5, word(d, 7), 0x19db06c1u, "two-block example word 7");

    for (uint32_t i = 0; i < sizeof buf; i++)
        buf[i] = 'a';
    sha256(buf + 1, 1000, d); /* odd address */
    /* SHA-256 of 1000 x 'a' = 41edece4 2d63e8d9 bf515a9b a6932e1c 20cbc9f5 a5d13464 5adb5db1 b9737ea3 */
    CHECK_EQ(6, word(d, 0), 0x41edece4u, "1000 x 'a' (unaligned) word 0");
    CHECK_EQ(7, word(d, 7), 0xb9737ea3u, "1000 x 'a' (unaligned) word 7");

    uint32_t st[8] = { 0 };
    CHECK_EQ(8, call_preserving(st, buf), 0, "r4-r11 and SP preserved");

    fw_exit(0);
}
