/*
 * The delta payload codec: PELION/BSDIFF001 ("arm-patch-stream"), docs/update-flow.md section 5.
 *
 *   offset 0   16 bytes  ASCII "PELION/BSDIFF001"
 *   offset 16   8 bytes  new image size (bsdiff offtout: little-endian magnitude, sign in bit 63)
 *   offset 24   8 bytes  max frame size = block size (host: 128..65536, device: 128..1024)
 *   offset 32   8 bytes  max compressed frame size (1..LZ4_COMPRESSBOUND(block size); we write
 *                        the largest frame's, 1 when there is none)
 *   offset 40  ...       until the new size is produced: control = uvarint(diff_len),
 *                        uvarint(extra_len), svarint(old_seek); then the diff run's frames and the
 *                        extra run's frames, each frame = uvarint(compressed_len) + one raw LZ4 block
 *                        decoding to exactly min(block size, bytes left in the run).
 *
 * bsdiff semantics: new = old[oldpos..] + diff bytes (mod 256); oldpos += diff_len; the extra bytes
 * are copied; then oldpos += old_seek. A diff run reading outside [0, old size) is invalid.
 *
 * Error classes follow the device's patcher (firmware/app/delta_patch.h): a patch shorter than the
 * magic is delta-magic, one ending in the rest of the header delta-header; max compressed 0 is
 * delta-header; a frame of 0 compressed bytes is delta-frame; the patch ending inside a varint is
 * delta-varint, between complete controls short of the new size delta-sizes, and inside a run
 * (in a frame's block or between two of its frames) delta-truncated.
 *
 * Every function is total on its input: a malformed patch gives an error (never a crash or an
 * out-of-bounds read), and err gets one line naming the patch offset at fault.
 */
#ifndef FWEMU_DELTA_H
#define FWEMU_DELTA_H

#include <stddef.h>
#include <stdint.h>

#define DELTA_MAGIC "PELION/BSDIFF001"
#define DELTA_HEADER_SIZE 40
#define DELTA_BLOCK_DEFAULT 512u
#define DELTA_BLOCK_MIN 128u
#define DELTA_BLOCK_MAX 65536u          /* host limit; the device accepts 128..1024 */
#define DELTA_BLOCK_DEVICE_MAX 1024u
#define DELTA_MAX_OUT_DEFAULT ((size_t)64 << 20)
#define DELTA_MAX_RATIO_DEFAULT 0.6

typedef enum delta_err {
    DELTA_OK = 0, DELTA_ERR_NOMEM = -1, DELTA_ERR_ARG = -2,
    DELTA_ERR_MAGIC = -3, DELTA_ERR_HEADER = -4, DELTA_ERR_VARINT = -5, DELTA_ERR_SIZES = -6,
    DELTA_ERR_SEEK = -7, DELTA_ERR_FRAME = -8, DELTA_ERR_LZ4 = -9, DELTA_ERR_TRUNCATED = -10,
    DELTA_ERR_TOO_BIG = -11,   /* delta_create: patch >= max_ratio x new size */
} delta_err_t;

/* One line describing err. */
const char *delta_strerror(int err);
/* The device's rejection reason for a malformed patch ("delta-magic", "delta-header",
 * "delta-varint", "delta-sizes", "delta-seek", "delta-frame", "delta-lz4", "delta-truncated";
 * docs/update-flow.md sections 4/5), NULL for the other codes. */
const char *delta_reason(int err);

typedef struct delta_opts {
    uint32_t block_size;    /* 0 = 512; else 128..65536 */
    double max_ratio;       /* 0 = 0.6; >= 1 = no limit */
} delta_opts_t;

/* Make a patch from old to new_ (old may be NULL when oldlen is 0; likewise new_). Deterministic.
 * *patch is malloc'ed (caller frees). DELTA_ERR_TOO_BIG when the patch would be >= max_ratio x
 * newlen (then *patch is NULL). o may be NULL (defaults). */
int delta_create(const uint8_t *old, size_t oldlen, const uint8_t *new_, size_t newlen,
                 const delta_opts_t *o, uint8_t **patch, size_t *patchlen, char *err, size_t errlen);

/* Apply patch to old. max_out: refuse (DELTA_ERR_SIZES) a declared new size above this
 * (0 = 64 MiB). *out is malloc'ed (never NULL on success, even for an empty image). */
int delta_apply(const uint8_t *old, size_t oldlen, const uint8_t *patch, size_t patchlen,
                size_t max_out, uint8_t **out, size_t *outlen, char *err, size_t errlen);

typedef struct delta_info {
    uint64_t new_size;
    uint32_t block_size, max_compressed;
    uint32_t controls, frames;
    uint64_t diff_bytes, extra_bytes;
} delta_info_t;

/* Parse the whole patch (every frame is decoded; no old image needed, so seeks are not checked). */
int delta_info(const uint8_t *patch, size_t patchlen, delta_info_t *info, char *err, size_t errlen);

/* Malformed patches for tests and scenarios: a patch from old to new_ that is broken in exactly
 * one way, such that delta_apply(old, ...) fails with the matching error. Deterministic.
 *   magic      first byte changed
 *   header     block size 64
 *   varint     the first control's diff_len varint is 11 bytes long
 *   sizes      declared new size + 1000
 *   seek       an old_seek that sends the next diff run outside the old image
 *   frame      header max compressed lowered below the largest frame
 *   lz4        the first frame's block replaced by one with a match offset before the start
 *   truncated  the patch ends inside its last frame's LZ4 block
 * All but magic, header and sizes need a non-empty new image (DELTA_ERR_ARG otherwise). No ratio
 * limit applies. */
typedef enum delta_mutation {
    DELTA_MUT_MAGIC = 0, DELTA_MUT_HEADER, DELTA_MUT_VARINT, DELTA_MUT_SIZES, DELTA_MUT_SEEK,
    DELTA_MUT_FRAME, DELTA_MUT_LZ4, DELTA_MUT_TRUNCATED, DELTA_MUT_COUNT
} delta_mutation_t;

/* "magic","header","varint","sizes","seek","frame","lz4","truncated" (NULL if out of range) */
const char *delta_mutation_name(delta_mutation_t m);
/* -1 if unknown */
int delta_mutation_parse(const char *name);
/* The error delta_apply gives for a patch made with mutation m (DELTA_ERR_MAGIC, ...). */
int delta_mutation_error(delta_mutation_t m);
int delta_mutate(const uint8_t *old, size_t oldlen, const uint8_t *new_, size_t newlen,
                 const delta_opts_t *o, delta_mutation_t m, uint8_t **patch, size_t *patchlen,
                 char *err, size_t errlen);

#endif
