/*
 * Firmware image checks shared by the bootloader and the update client: an image is a v2 metadata
 * header (mbed_header.h) at `header_addr` plus `firmwareSize` payload bytes at `payload_addr`,
 * both in memory-mapped flash.
 *
 * image_check() runs, in this order, stopping at the first failure:
 *   1. header: magic, headerVersion, CRC (mbed_hdr_v2_decode); an all-0xFF header is "erased";
 *   2. size bounds: 0 < firmwareSize <= max_size ("empty" / "too large"); the hash check never
 *      reads past max_size bytes, so a corrupt size cannot run the hash off the end of flash;
 *   3. vector table: initial SP inside SRAM and word-aligned, reset vector a Thumb address
 *      inside [exec_addr, exec_addr + firmwareSize) (a mislinked image is refused before anyone
 *      jumps to it; a candidate is checked against the slot it will run from);
 *   4. SHA-256 of the payload equals the header's firmwareHash (first 32 bytes).
 * Steps 3-4 can be skipped (IMAGE_CHECK_HEADER_ONLY) for a cheap first look, e.g. to compare
 * versions before hashing; IMAGE_CHECK_NO_HASH stops after step 3: the bootloader uses it for
 * the read-back after an install whose body it has just hashed in flash, and the deliberately
 * broken header_first variant as its (insufficient) boot verdict (bootloader/main.c).
 *
 * The hash streams straight from flash in IMAGE_HASH_CHUNK pieces and refreshes the watchdog
 * between pieces (wdog.h), so any image size stays within the watchdog timeout.
 */
#ifndef FW_IMAGE_H
#define FW_IMAGE_H

#include <stdint.h>

#include "mbed_header.h"

#define IMAGE_HASH_CHUNK 1024u

typedef enum image_err {
    IMAGE_OK = 0,
    IMAGE_ERR_ERASED = -1,      /* header area all 0xFF: no image */
    IMAGE_ERR_MAGIC = -2,       /* the MBED_HDR_ERR_* codes, shifted */
    IMAGE_ERR_HDR_VERSION = -3,
    IMAGE_ERR_CRC = -4,
    IMAGE_ERR_EMPTY = -5,       /* valid header, firmwareSize 0 */
    IMAGE_ERR_TOO_LARGE = -6,   /* firmwareSize > max_size */
    IMAGE_ERR_VECTORS = -7,     /* vector table cannot start this image */
    IMAGE_ERR_HASH = -8,        /* SHA-256 of the payload differs from the header */
} image_err_t;

typedef enum image_check_depth {
    IMAGE_CHECK_HEADER_ONLY = 0, /* steps 1-2 */
    IMAGE_CHECK_FULL = 1,        /* steps 1-4 */
    IMAGE_CHECK_NO_HASH = 2,     /* steps 1-3 */
} image_check_depth_t;

typedef struct image {
    uint32_t header_addr;
    uint32_t payload_addr;
    uint32_t exec_addr;                 /* where the payload runs (its vector table address) */
    uint32_t max_size;                  /* largest firmwareSize accepted */
    uint8_t raw[MBED_HDR_V2_SIZE];      /* header bytes as read (filled from step 1 on) */
    mbed_hdr_v2_t hdr;                  /* decoded header (valid when step 1 passed) */
} image_t;

/* Text for the UART log: "erased", "bad magic", "bad header version", "bad header CRC",
 * "empty", "too large", "bad vector table", "hash mismatch". */
const char *image_strerror(int err);

/* Fill img->raw / img->hdr from img->header_addr and check up to `depth`. */
int image_check(image_t *img, image_check_depth_t depth);

/* SHA-256 of [addr, addr + len) of memory-mapped flash, refreshing the watchdog per chunk. */
void image_sha256(uint32_t addr, uint32_t len, uint8_t out[32]);

#endif
