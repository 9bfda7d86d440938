/*
 * Mbed TLS 2.28 configuration for the fwemu firmware (selected with
 * -DMBEDTLS_CONFIG_FILE="mbedtls_config.h"; mbed-update-design.md section 7).
 *
 * Enables SHA-256 (bootloader image hashes) and ECDSA P-256 verification with ASN.1 parsing
 * (the update client's manifest signatures). Everything is built into one static library; the
 * linker's --gc-sections keeps only what an image calls, so the bootloader carries SHA-256 only.
 * Bare metal: no entropy source, no time, no file system, no network.
 */
#ifndef FWEMU_MBEDTLS_CONFIG_H
#define FWEMU_MBEDTLS_CONFIG_H

/* System support */
#define MBEDTLS_HAVE_ASM              /* bn_mul.h Thumb-2 / DSP multiply-accumulate */
#define MBEDTLS_NO_PLATFORM_ENTROPY   /* no /dev/urandom */
#define MBEDTLS_PLATFORM_C            /* calloc/free from newlib (heap: startup.c _sbrk) */

/* SHA-256 */
#define MBEDTLS_SHA256_C
/* The compression function is ours (sha256_process.c): Mbed TLS's, even unrolled (SMALLER
 * off), keeps its 64-word schedule in RAM and wipes it after every block, ~220 stores per
 * block; ours keeps a 16-word ring, ~90 (firmware/README.md "Hashing"). Mbed TLS still does the
 * context, buffering, padding and API. */
#define MBEDTLS_SHA256_PROCESS_ALT

/* ECDSA P-256 verify + ASN.1 */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM        /* fast reduction modulo the NIST prime */
#define MBEDTLS_ECP_NO_INTERNAL_RNG   /* no DRBG module: verify needs no randomness */
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C          /* required by MBEDTLS_ECDSA_C */

/* Sizes for a single 256-bit curve (as Mbed TLS's configs/config-suite-b.h does for 384) */
#define MBEDTLS_ECP_MAX_BITS 256
#define MBEDTLS_MPI_MAX_SIZE 32
#define MBEDTLS_ECP_WINDOW_SIZE 4     /* comb method: 19.6 M instructions per verify (bignum/ecp at -O2), +3.2 KiB heap; 5 and 6 no faster */
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0 /* no cached precomputation of G (RAM) */
/* MBEDTLS_ECP_RESTARTABLE is left off: one P-256 verify measured on fwemu takes 19.6 M
 * instructions (0.163 s at 120 MHz; bignum.c/ecp.c/ecp_curves.c built with -O2) with window 4
 * and 3.1 KiB of heap: under a quarter of the app's 1 s watchdog, so the update client
 * verifies in one piece with a refresh before and after (firmware/README.md "Update client"). */

#include "mbedtls/check_config.h"

#endif
