/*
 * Mbed internal metadata header v2 codec (and a v3 reader), shared by the firmware and the host.
 *
 * Byte layout (mbed-update-design.md section 1; every integer big-endian), 112 bytes:
 *   0 magic 0x5a51b3d4 | 4 headerVersion 2 | 8 firmwareVersion u64 | 16 firmwareSize u64 |
 *   24 firmwareHash[64] (SHA-256 in the first 32) | 88 campaign[16] | 104 signatureSize u32 |
 *   108 headerCRC u32 = CRC-32 (zlib) over bytes [0,108).
 * FOTA v3 (little-endian, 160 bytes) is decoded for inspection only.
 *
 * This file is compiled for the target (no libc beyond string.h) and for the host. The CRC is
 * zlib's crc32 on the host (MBED_HEADER_USE_ZLIB) and a bitwise CRC-32 on the target; a unit test
 * checks both against the known-answer vector.
 */
#ifndef MBED_HEADER_H
#define MBED_HEADER_H

#include <stddef.h>
#include <stdint.h>

#define MBED_HDR_V2_SIZE 112u
#define MBED_HDR_V2_MAGIC 0x5a51b3d4u
#define MBED_HDR_V2_VERSION 2u
#define MBED_HDR_V3_SIZE 160u
#define MBED_HDR_V3_MAGIC 0x5c0253a3u
#define MBED_HDR_HASH_SIZE 32u

typedef enum mbed_hdr_err {
    MBED_HDR_OK = 0,
    MBED_HDR_ERR_MAGIC = -1,     /* not a v2 header (see mbed_hdr_detect for what it is) */
    MBED_HDR_ERR_VERSION = -2,   /* magic right, headerVersion not 2 */
    MBED_HDR_ERR_CRC = -3,       /* stored CRC differs from the computed one */
    MBED_HDR_ERR_SHORT = -4,     /* fewer bytes than a header */
} mbed_hdr_err_t;

const char *mbed_hdr_strerror(int err);

typedef enum mbed_hdr_format {
    MBED_HDR_FMT_UNKNOWN = 0,
    MBED_HDR_FMT_V2,
    MBED_HDR_FMT_V3,
    MBED_HDR_FMT_ERASED,         /* all 0xFF */
} mbed_hdr_format_t;

typedef struct mbed_hdr_v2 {
    uint32_t magic;
    uint32_t header_version;
    uint64_t firmware_version;
    uint64_t firmware_size;
    uint8_t firmware_hash[64];
    uint8_t campaign[16];
    uint32_t signature_size;
    uint32_t crc;                /* as stored (decode) or as written (encode) */
} mbed_hdr_v2_t;

typedef struct mbed_hdr_v3 {
    uint32_t magic;
    uint32_t fw_size;
    uint64_t version;
    uint8_t digest[32];
    uint8_t flags;
    uint16_t external_header_size, block_size;
    uint8_t precursor[32];
    uint32_t footer;
} mbed_hdr_v3_t;

uint32_t mbed_hdr_crc32(const uint8_t *data, size_t len);

/* Fill a v2 header for firmware of `size` bytes with SHA-256 `sha` (32 bytes), zero campaign. */
void mbed_hdr_v2_init(mbed_hdr_v2_t *h, uint64_t version, uint64_t size, const uint8_t sha[32]);
/* Encode; computes the CRC over [0,108) and stores it in out and h->crc. */
void mbed_hdr_v2_encode(mbed_hdr_v2_t *h, uint8_t out[MBED_HDR_V2_SIZE]);
/* Encode with h->crc written as given (for deliberately corrupt headers). */
void mbed_hdr_v2_encode_raw(const mbed_hdr_v2_t *h, uint8_t out[MBED_HDR_V2_SIZE]);
/* Decode and check magic, headerVersion and CRC (in that order). Fields are filled even on
 * MBED_HDR_ERR_VERSION / MBED_HDR_ERR_CRC so a tool can show them. */
int mbed_hdr_v2_decode(const uint8_t *in, size_t len, mbed_hdr_v2_t *h);

mbed_hdr_format_t mbed_hdr_detect(const uint8_t *p, size_t len);
int mbed_hdr_v3_decode(const uint8_t *in, size_t len, mbed_hdr_v3_t *h); /* MAGIC if not v3 */

#endif
