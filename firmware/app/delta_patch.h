/*
 * Streaming PELION/BSDIFF001 patcher in bounded RAM (docs/update-flow.md section 5,
 * mbed-update-design.md section 6).
 *
 * Pure C: no hardware access, no allocation. The caller owns one delta_patch_t (about 2.2 KiB:
 * a compressed-frame buffer of LZ4_COMPRESSBOUND(1024) = 1044 bytes and a decoded-frame buffer of
 * 1024 bytes, "about 2 x block size", plus the state machine), feeds the patch with
 * delta_patch_push() in chunks of any size (1 byte at a time works), and calls
 * delta_patch_finish() after the last byte. The old image is read through a pointer + size (the
 * active application in memory-mapped flash); the rebuilt image leaves through the write
 * callback, in order, in pieces of at most one block.
 *
 * Patch format: "PELION/BSDIFF001", then three 8-byte bsdiff offtout integers (little-endian
 * magnitude, sign in bit 63; negative is invalid): new size, block size (128..1024), max
 * compressed frame size (1..LZ4_COMPRESSBOUND(block size)); then controls
 * uvarint(diff_len) uvarint(extra_len) svarint(old_seek), each followed by the diff run and the
 * extra run cut into frames of exactly min(block size, remaining) decoded bytes, each frame
 * uvarint(compressed_len) + one raw LZ4 block. Diff bytes are added (mod 256) to the old image at
 * oldpos; after the control oldpos += diff_len + old_seek.
 *
 * Errors (sticky: once set, push and finish return it):
 *   DELTA_ERR_MAGIC      "delta-magic"      the first 16 bytes are not the magic (or the patch
 *                                           ends before 16 bytes)
 *   DELTA_ERR_HEADER     "delta-header"     negative header integer, block size outside
 *                                           128..1024, max compressed frame 0 or above
 *                                           LZ4_COMPRESSBOUND(block size), patch ends in the header
 *   DELTA_ERR_VARINT     "delta-varint"     varint longer than 10 bytes, above 64 bits, or cut by
 *                                           the end of the patch
 *   DELTA_ERR_SIZES      "delta-sizes"      declared new size above max_new_size or different from
 *                                           expected_new_size; a control whose runs go beyond the
 *                                           new size (detected before any of it is written); the
 *                                           patch ends with complete controls before the new size
 *                                           is produced; any byte after the end
 *   DELTA_ERR_SEEK       "delta-seek"       a diff run reading old bytes outside [0, old size), or
 *                                           oldpos overflowing 64 bits
 *   DELTA_ERR_FRAME      "delta-frame"      compressed frame length 0 or above the declared maximum
 *   DELTA_ERR_LZ4        "delta-lz4"        an LZ4 block that does not decode to exactly its
 *                                           frame's size
 *   DELTA_ERR_TRUNCATED  "delta-truncated"  the patch ends inside a frame, or between two frames of
 *                                           a run that is not complete
 *   DELTA_ERR_WRITE      "delta-write"      the write callback failed (not a patch error: the
 *                                           update client reports it as a flash failure)
 */
#ifndef FW_DELTA_PATCH_H
#define FW_DELTA_PATCH_H

#include <stddef.h>
#include <stdint.h>

#include "lz4.h"

#define DELTA_MAGIC "PELION/BSDIFF001"
#define DELTA_MAGIC_LEN 16u
#define DELTA_HEADER_LEN 40u
#define DELTA_BLOCK_MIN 128u
#define DELTA_BLOCK_MAX 1024u
#define DELTA_COMP_MAX LZ4_COMPRESSBOUND(DELTA_BLOCK_MAX)   /* 1044 */
#define DELTA_VARINT_MAX 10u

typedef enum delta_err {
    DELTA_OK = 0,
    DELTA_ERR_MAGIC = -1,
    DELTA_ERR_HEADER = -2,
    DELTA_ERR_VARINT = -3,
    DELTA_ERR_SIZES = -4,
    DELTA_ERR_SEEK = -5,
    DELTA_ERR_FRAME = -6,
    DELTA_ERR_LZ4 = -7,
    DELTA_ERR_TRUNCATED = -8,
    DELTA_ERR_WRITE = -9,
} delta_err_t;

/* Receives the rebuilt image in order; returns 0 on success, anything else stops the patch with
 * DELTA_ERR_WRITE. Never called with more than the declared new size in total. */
typedef int (*delta_write_fn)(void *ctx, const uint8_t *data, size_t len);

typedef struct delta_patch {
    /* configuration (delta_patch_init) */
    const uint8_t *old;
    uint32_t old_size;
    uint32_t expected_new_size; /* 0: any size up to max_new_size */
    uint32_t max_new_size;
    delta_write_fn write;
    void *write_ctx;
    /* state */
    uint8_t state;
    uint8_t phase;              /* frames of the diff or of the extra run */
    uint8_t var_len;            /* bytes of the varint being read */
    int8_t err;
    uint32_t hdr_len;
    uint8_t hdr[DELTA_HEADER_LEN];
    uint64_t var;
    uint32_t new_size, block_size, max_comp;
    uint32_t out;               /* bytes written so far */
    int64_t oldpos;
    uint32_t diff_left, extra_left;
    uint64_t ctl_diff, ctl_extra;        /* the control being read (checked when complete) */
    int64_t seek;
    uint32_t comp_len, comp_have, frame_len;
    uint8_t comp[DELTA_COMP_MAX];
    uint8_t dec[DELTA_BLOCK_MAX];
} delta_patch_t;

/* Prepare `d` for one patch against [old, old + old_size). */
void delta_patch_init(delta_patch_t *d, const uint8_t *old, uint32_t old_size,
                      uint32_t expected_new_size, uint32_t max_new_size, delta_write_fn write,
                      void *write_ctx);
/* Feed the next `len` patch bytes. */
delta_err_t delta_patch_push(delta_patch_t *d, const uint8_t *data, size_t len);
/* After the last byte: DELTA_OK when the patch was complete and produced exactly the new size. */
delta_err_t delta_patch_finish(delta_patch_t *d);
/* The reason strings of docs/update-flow.md ("delta-magic", ...); "ok" for DELTA_OK. */
const char *delta_patch_strerror(delta_err_t err);
/* The declared new size (0 until the header is complete) and the bytes written so far. */
uint32_t delta_patch_new_size(const delta_patch_t *d);
uint32_t delta_patch_written(const delta_patch_t *d);

#endif
