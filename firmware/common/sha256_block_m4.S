/*
 * SHA-256 compression of one 64-byte block for the Cortex-M4 (ARMv7E-M, Thumb-2):
 *
 *     int fw_sha256_block(uint32_t state[8], const uint8_t data[64]);   returns 0
 *
 * The FIPS 180-4 rounds, fully unrolled, for sha256_process.c (Mbed TLS's
 * MBEDTLS_SHA256_PROCESS_ALT). Written for few memory stores, the costly operation both on the
 * device (a store stalls the M4's bus more than an ALU operation) and under Unicorn 2.0.1 (every
 * guest RAM store takes a slow path there):
 *   - the working variables a..h live in r4-r11 for the whole block, the round constants are
 *     read through r0 (post-increment) from the table in front of the code, the data pointer stays in r1;
 *   - the 16 message words are read from `data` (any alignment: LDR is unaligned-capable on
 *     the M4, then REV) each time the schedule needs them, and never stored;
 *   - the 48 scheduled words W[16..63] go to a 16-word ring on the stack.
 * Stores per block: 9 (register saves) + 1 (state pointer) + 48 (schedule) + 8 (state) = 66;
 * Mbed TLS 2.28's C version built with -Os makes about 220.
 * Σ1(e) = ROR6(e ^ ROR5(e) ^ ROR19(e)) and Σ0(a) = ROR2(a ^ ROR11(a) ^ ROR20(a)) use the
 * barrel shifter on the second operand; Ch(e,f,g) = ((f ^ g) & e) ^ g;
 * Maj(a,b,c) = ((a | b) & c) | (a & b).
 *
 * Registers: r0 round-constant pointer, r1 data, r2 r3 r12 scratch, lr W[i], r4-r11 the eight
 * working variables (their roles rotate from round to round: no moves).
 */
    .syntax unified
    .thumb
    .text

    .equ RING, 0            @ sp + 0 .. 63: W[i] for i >= 16 at slot i % 16
    .equ STATEP, 64         @ sp + 64: the state pointer
    .equ FRAME, 68          @ 9 saved registers (36 bytes) + 68 = 104: sp stays 8-byte aligned

/* \reg = message word j (0 <= j < 16) from data, big-endian */
.macro LOADW_INPUT reg, j
    ldr     \reg, [r1, #(4 * (\j))]
    rev     \reg, \reg
.endm

/* \reg = W[j] for any j < i: from data when j < 16, else from the ring */
.macro LOADW reg, j
    .if (\j) < 16
        LOADW_INPUT \reg, \j
    .else
        ldr     \reg, [sp, #(RING + 4 * ((\j) % 16))]
    .endif
.endm

/* lr = W[i] (computed and stored in the ring when i >= 16) */
.macro SCHED i
    .if (\i) < 16
        LOADW_INPUT lr, \i
    .else
        LOADW   r3, (\i) - 15                   @ sigma0(W[i-15])
        lsr     r2, r3, #3
        eor     r2, r2, r3, ror #7
        eor     r2, r2, r3, ror #18
        LOADW   lr, (\i) - 16
        add     lr, lr, r2
        LOADW   r3, (\i) - 7
        add     lr, lr, r3
        LOADW   r3, (\i) - 2                    @ sigma1(W[i-2])
        lsr     r2, r3, #10
        eor     r2, r2, r3, ror #17
        eor     r2, r2, r3, ror #19
        add     lr, lr, r2
        str     lr, [sp, #(RING + 4 * ((\i) % 16))]
    .endif
.endm

/* One round i with the roles a..h given as registers */
.macro ROUND a, b, c, d, e, f, g, h, i
    SCHED   \i
    ldr     r2, [r0], #4                        @ K[i]
    add     \h, \h, lr
    add     \h, \h, r2
    eor     r2, \e, \e, ror #5                  @ + Sigma1(e)
    eor     r2, r2, \e, ror #19
    add     \h, \h, r2, ror #6
    eor     r2, \f, \g                          @ + Ch(e, f, g)
    and     r2, r2, \e
    eor     r2, r2, \g
    add     \h, \h, r2                          @ h = T1
    add     \d, \d, \h                          @ d += T1
    eor     r2, \a, \a, ror #11                 @ h += Sigma0(a)
    eor     r2, r2, \a, ror #20
    add     \h, \h, r2, ror #2
    orr     r2, \a, \b                          @ h += Maj(a, b, c)
    and     r2, r2, \c
    and     r3, \a, \b
    orr     r2, r2, r3
    add     \h, \h, r2
.endm

/* Eight rounds from i: after them the roles are back where they started */
.macro ROUNDS8 i
    ROUND   r4, r5, r6, r7, r8, r9, r10, r11, (\i) + 0
    ROUND   r11, r4, r5, r6, r7, r8, r9, r10, (\i) + 1
    ROUND   r10, r11, r4, r5, r6, r7, r8, r9, (\i) + 2
    ROUND   r9, r10, r11, r4, r5, r6, r7, r8, (\i) + 3
    ROUND   r8, r9, r10, r11, r4, r5, r6, r7, (\i) + 4
    ROUND   r7, r8, r9, r10, r11, r4, r5, r6, (\i) + 5
    ROUND   r6, r7, r8, r9, r10, r11, r4, r5, (\i) + 6
    ROUND   r5, r6, r7, r8, r9, r10, r11, r4, (\i) + 7
.endm

    .section .text.fw_sha256_block, "ax", %progbits
    .align  2
.Lk:                                            @ K[0..63], just before the code (adr reach)
    .word   0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5
    .word   0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174
    .word   0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA
    .word   0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967
    .word   0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85
    .word   0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070
    .word   0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3
    .word   0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2
    .global fw_sha256_block
    .type   fw_sha256_block, %function
    .thumb_func
fw_sha256_block:
    push    {r4-r11, lr}
    sub     sp, sp, #FRAME
    str     r0, [sp, #STATEP]
    ldm     r0, {r4-r11}                        @ a..h
    adr     r0, .Lk

    ROUNDS8 0
    ROUNDS8 8
    ROUNDS8 16
    ROUNDS8 24
    ROUNDS8 32
    ROUNDS8 40
    ROUNDS8 48
    ROUNDS8 56

    ldr     r0, [sp, #STATEP]                   @ state += a..h
    ldm     r0, {r1, r2, r3, r12}
    add     r4, r4, r1
    add     r5, r5, r2
    add     r6, r6, r3
    add     r7, r7, r12
    ldr     r1, [r0, #16]
    ldr     r2, [r0, #20]
    ldr     r3, [r0, #24]
    ldr     r12, [r0, #28]
    add     r8, r8, r1
    add     r9, r9, r2
    add     r10, r10, r3
    add     r11, r11, r12
    stm     r0, {r4-r11}
    movs    r0, #0
    add     sp, sp, #FRAME
    pop     {r4-r11, pc}

    .size   fw_sha256_block, . - fw_sha256_block
