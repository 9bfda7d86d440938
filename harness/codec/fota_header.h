/*
 * FOTA-era header codec: the headers of the Pelion FOTA client (mbed-cloud-client 4.x, fota/)
 * and of mbed-bootloader at 95fa885 (June 2021), as the K64F internal-flash build lays them out.
 *
 * Sources (read at the commits named; "the sources win" over the project's README, see the end):
 *   BL  = PelionIoT/mbed-bootloader @95fa885: fota/fota_header_info.h (fota_header_info_t,
 *         fota_candidate_ready_header_t), fota/fota_header_info_v3.c (serialize = memcpy of the
 *         struct; deserialize checks only magic), fota/fota_candidate.c (how the candidate is
 *         read), upgrade.c at the repository root (what the bootloader checks and writes),
 *         fota/fota_config.h, fota/fota_component_defs.h, fota/fota_crypto_defs.h,
 *         presets/TARGET_K64F/TARGET_BL_INTERNAL_FLASH/mbed_app.json (the build's settings).
 *   MCC = PelionIoT/mbed-cloud-client @e526be9 (4.10.0): fota/fota.c prepare_and_program_header()
 *         and write_candidate_ready() (what the client writes into the candidate storage).
 *   OS  = ARMmbed/mbed-os tools/regions.py _fill_header() (the app-side header the build makes).
 * The struct is stored by memcpy on a little-endian Cortex-M4: every integer is little-endian and
 * the padding is the C padding of the struct (AAPCS: uint64_t aligned to 8). The K64F build has
 * no signed-image support, no encryption, FOTA_MANIFEST_VENDOR_DATA_SIZE 0, so `signature`,
 * `vendor_data` and the encrypted-key fields are absent (BL fota_config.h, mbed_app.json).
 *
 * 1. App-side header (active header address 0x8000, application at 0x8200), 112 bytes =
 *    offsetof(fota_header_info_t, internal_header_barrier) (BL upgrade.c INTERNAL_HEADER_SIZE):
 *      0 magic u32 = 0x5c0253a3 (FOTA_FW_HEADER_MAGIC) | 4 fw_size u32 | 8 version u64 |
 *      16 digest[32] = SHA-256 of the fw_size application bytes | 48 reserved[64]
 *    The bootloader reads these 112 bytes and checks only the magic (read_installed_fw_header),
 *    then hashes fw_size bytes from 0x8200 and compares with digest (validate_installed_fw).
 *    After an install it writes the candidate header's first 112 bytes here, zero-padded to the
 *    flash page (8 on K64F: still 112 bytes), after the body (install_finish).
 *    A header made by the mbed-os build (OS, header_format of the K64F mbed_lib.json template):
 *    the 0x200-byte region zero-filled, then magic, firmwareSize (32le), firmwareVersion (64le,
 *    const 0), firmwareDigest, precursorDigest = SHA-256 of the application again, packed: so
 *    the "precursor" of the app header is reserved[0..32) (offset 48), not the v3 precursor.
 *
 * 2. The candidate in candidate storage (0x88000 on K64F), program size 8, read size 1:
 *    +0x00 fota_candidate_ready_header_t, sizeof 20: 0 magic u32 = 0xfed54e01
 *          (FOTA_CANDIDATE_READY_MAGIC) | 4 comp_name char[9] (FOTA_COMPONENT_MAX_NAME_SIZE),
 *          "MAIN" NUL-padded (MCC strncpy of at most 8) | 13 padding[3] | 16 footer u32 = 0xfed54e01.
 *          The reader advances by ALIGN_UP(ALIGN_UP(20, read 1), prog 8) = 24 (BL fota_candidate.c
 *          fota_candidate_read_candidate_ready_header); the client writes that slot from a zeroed
 *          buffer (MCC candidate_header_size = ALIGN_UP(20, prog), calloc).
 *    +0x18 fota_header_info_t v3, sizeof 160:
 *          0 magic u32 = 0x5c0253a3 | 4 fw_size u32 | 8 version u64 | 16 digest[32] |
 *          48 reserved[64] (FOTA_INTERNAL_HEADER_RESERVED_FIELD_SIZE 0x40) |
 *          112 internal_header_barrier u8 | 113 flags u8 | 114 external_header_size u16 |
 *          116 block_size u16 | 118 precursor[32] | 150 padding[2] | 152 footer u32 = 0x5c0253a3 |
 *          156 padding[4] (struct aligned to 8)
 *          The client writes external_header_size = 160 - 112 = 48, block_size = candidate block
 *          size (1024), flags = 0x02 (SUPPORT_RESUME) only when built with resume support
 *          "FOTA_RESUME_SUPPORT_RESUME" (the fota library default), 0x01 (ENCRYPTED) only with
 *          encryption; every other byte 0 (MCC: `header_info = { 0 }`).
 *    +0xB8 the payload. Its offset is 24 + ALIGN_UP(max(160, 112 + external_header_size), 8)
 *          (BL fota_candidate_read_header: a larger external header moves the payload).
 *          flags 0: the fw_size raw bytes. flags & 0x02 (not encrypted): blocks of block_size
 *          bytes, each a u16 LE checksum (sum of the data bytes) then block_size - 2 data bytes,
 *          the last block shorter; a block whose checksum fails is skipped, not an error.
 *
 * What the bootloader checks, in order (BL upgrade.c, fota_candidate.c):
 *   - candidate: ready magic == 0xfed54e01, else "Candidate not found" (the ready footer is NOT
 *     checked by the bootloader; the client checks both when resuming);
 *   - comp_name starts with "MAIN" (strncmp over strlen("MAIN") = 4 bytes: "MAINX" passes);
 *   - v3 magic == 0x5c0253a3 (the v3 footer is NOT checked);
 *   - flags & ENCRYPTED: rejected (this build has no encryption support);
 *   - the payload (and each block) ends inside the candidate storage;
 *   - SHA-256 of the payload == digest ("Hash mismatch - corrupted candidate");
 *   - precursor == digest of the installed header, and installed magic valid
 *     (FOTA_STATUS_MANIFEST_PRECURSOR_MISMATCH), then installed version < candidate version,
 *     strictly (FOTA_STATUS_MANIFEST_VERSION_REJECTED). Both are skipped on the second attempt
 *     made after a failed install left the installed image invalid (check_version = false);
 *   - install: erase [0x8000, 0x8200 + fw_size) by sector, program the body, header last;
 *     the candidate is not erased (so after an install the version check refuses it again);
 *   - boot: installed header magic, SHA-256 of fw_size bytes at 0x8200 == digest.
 *
 * Differences from the project's README (section 95fa885), the sources winning:
 *   - the app header's "precursorDigest" of mbed_lib.json sits at offset 48, inside reserved,
 *     and holds the app's own digest; the bootloader never reads it;
 *   - flags are 0 only for a client built without resume support (library default sets 0x02);
 *   - neither footer is checked by the bootloader; the component name check is a prefix check.
 *
 * Errors: one negative enum; decoders fill every field even when they return an error, so a tool
 * can show them; every function is total on its input.
 */
#ifndef FWEMU_FOTA_HEADER_H
#define FWEMU_FOTA_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FOTA_HDR_MAGIC 0x5c0253a3u           /* FOTA_FW_HEADER_MAGIC: magic and v3 footer */
#define FOTA_HDR_READY_MAGIC 0xfed54e01u     /* FOTA_CANDIDATE_READY_MAGIC: magic and footer */
#define FOTA_HDR_HASH_SIZE 32u               /* FOTA_CRYPTO_HASH_SIZE */
#define FOTA_HDR_RESERVED_SIZE 64u           /* FOTA_INTERNAL_HEADER_RESERVED_FIELD_SIZE */
#define FOTA_HDR_COMP_NAME_SIZE 9u           /* FOTA_COMPONENT_MAX_NAME_SIZE */
#define FOTA_HDR_MAIN_NAME "MAIN"            /* FOTA_COMPONENT_MAIN_COMPONENT_NAME */
#define FOTA_HDR_FLAG_ENCRYPTED 0x01u        /* FOTA_HEADER_ENCRYPTED_FLAG */
#define FOTA_HDR_FLAG_RESUME 0x02u           /* FOTA_HEADER_SUPPORT_RESUME_FLAG */
#define FOTA_HDR_BLOCK_SIZE_DEFAULT 1024u    /* fota.candidate-block-size */
#define FOTA_HDR_K64F_PROG_SIZE 8u           /* FTFE phrase: flash page and BD program size */

/* The structures as the target's compiler lays them out; the offsets below are taken from them
 * and pinned by static assertions in fota_header.c (a host with another uint64_t alignment
 * fails to build rather than mis-encode). Wire layout only: use the decoded types below. */
typedef struct fota_hdr_ready_wire {
    uint32_t magic;
    char comp_name[FOTA_HDR_COMP_NAME_SIZE];
    uint32_t footer;
} fota_hdr_ready_wire_t;

typedef struct fota_hdr_v3_wire {
    uint32_t magic;
    uint32_t fw_size;
    uint64_t version;
    uint8_t digest[FOTA_HDR_HASH_SIZE];
    uint8_t reserved[FOTA_HDR_RESERVED_SIZE];
    uint8_t internal_header_barrier;
    uint8_t flags;
    uint16_t external_header_size;
    uint16_t block_size;
    uint8_t precursor[FOTA_HDR_HASH_SIZE];
    uint32_t footer;
} fota_hdr_v3_wire_t;

#define FOTA_HDR_READY_SIZE sizeof(fota_hdr_ready_wire_t)                          /* 20 */
#define FOTA_HDR_V3_SIZE sizeof(fota_hdr_v3_wire_t)                                /* 160 */
#define FOTA_HDR_APP_SIZE offsetof(fota_hdr_v3_wire_t, internal_header_barrier)    /* 112 */
#define FOTA_HDR_V3_EXT_SIZE (FOTA_HDR_V3_SIZE - FOTA_HDR_APP_SIZE)                /* 48 */
#define FOTA_HDR_ALIGN_UP(v, a) ((((v) + (a) - 1) / (a)) * (a))
/* Candidate offsets for program size 8: v3 header at 0x18, payload at 0xB8. */
#define FOTA_HDR_CAND_V3_OFFSET FOTA_HDR_ALIGN_UP(FOTA_HDR_READY_SIZE, FOTA_HDR_K64F_PROG_SIZE)
#define FOTA_HDR_CAND_PAYLOAD_OFFSET (FOTA_HDR_CAND_V3_OFFSET + FOTA_HDR_V3_SIZE)

typedef enum fota_hdr_err {
    FOTA_HDR_OK = 0,
    FOTA_HDR_ERR_SHORT = -1,        /* fewer bytes than the structure (or than fw_size of body) */
    FOTA_HDR_ERR_MAGIC = -2,        /* fota_header_info_t magic is not 0x5c0253a3 */
    FOTA_HDR_ERR_FOOTER = -3,       /* v3 footer is not 0x5c0253a3 */
    FOTA_HDR_ERR_READY_MAGIC = -4,  /* candidate-ready magic is not 0xfed54e01 */
    FOTA_HDR_ERR_READY_FOOTER = -5, /* candidate-ready footer is not 0xfed54e01 */
    FOTA_HDR_ERR_COMP_NAME = -6,    /* component name not NUL-terminated, or not the one expected */
    FOTA_HDR_ERR_SIZE = -7,         /* fw_size outside the caller's range */
    FOTA_HDR_ERR_STORAGE = -8,      /* the stored payload runs past the end of candidate storage */
    FOTA_HDR_ERR_FLAGS = -9,        /* ENCRYPTED set: unsupported by this bootloader build */
    FOTA_HDR_ERR_BLOCK_SIZE = -10,  /* block_size unusable for the flags (see fota_hdr_v3_decode) */
    FOTA_HDR_ERR_DIGEST = -11,      /* SHA-256 of the body differs from digest */
    FOTA_HDR_ERR_PRECURSOR = -12,   /* candidate precursor != installed digest (or no installed) */
    FOTA_HDR_ERR_VERSION = -13,     /* candidate version not newer than the installed one */
    FOTA_HDR_ERR_ARG = -14,         /* bad argument (NULL, output buffer too small) */
} fota_hdr_err_t;

/* "ok", or a message naming the field at fault; "unknown FOTA header error" otherwise. */
const char *fota_hdr_strerror(int err);

/* ---- 1. App-side header (112 bytes at the active header address) ---- */
typedef struct fota_hdr_app {
    uint32_t magic;
    uint32_t fw_size;
    uint64_t version;
    uint8_t digest[FOTA_HDR_HASH_SIZE];
    uint8_t reserved[FOTA_HDR_RESERVED_SIZE];
} fota_hdr_app_t;

/* Header as the bootloader writes it after an install of a client-made candidate: reserved 0. */
void fota_hdr_app_init(fota_hdr_app_t *h, uint64_t version, uint32_t size,
                       const uint8_t digest[FOTA_HDR_HASH_SIZE]);
/* Header as the mbed-os build makes it: version 0, reserved[0..32) = digest (precursorDigest). */
void fota_hdr_app_init_built(fota_hdr_app_t *h, uint32_t size, const uint8_t digest[FOTA_HDR_HASH_SIZE]);
void fota_hdr_app_encode(const fota_hdr_app_t *h, uint8_t out[FOTA_HDR_APP_SIZE]);
/* SHORT if len < 112, MAGIC. */
int fota_hdr_app_decode(const uint8_t *in, size_t len, fota_hdr_app_t *h);
/* MAGIC, then SIZE unless min_size <= fw_size <= max_size (K64F: max 0x77E00, restrict_size). */
int fota_hdr_app_validate(const fota_hdr_app_t *h, uint32_t min_size, uint32_t max_size);
/* SHA-256 of body[0, fw_size) against digest: SHORT if len < fw_size, DIGEST on mismatch. */
int fota_hdr_check_digest(uint32_t fw_size, const uint8_t digest[FOTA_HDR_HASH_SIZE],
                          const uint8_t *body, size_t len);

/* ---- 2. Candidate: ready header at +0, fota_header_info_t v3 at +0x18, payload after ---- */
typedef struct fota_hdr_ready {
    uint32_t magic;
    char comp_name[FOTA_HDR_COMP_NAME_SIZE + 1];   /* the 9 stored bytes, always NUL-terminated */
    uint32_t footer;
} fota_hdr_ready_t;

typedef struct fota_hdr_v3 {
    uint32_t magic;
    uint32_t fw_size;
    uint64_t version;
    uint8_t digest[FOTA_HDR_HASH_SIZE];
    uint8_t reserved[FOTA_HDR_RESERVED_SIZE];
    uint8_t internal_header_barrier;
    uint8_t flags;
    uint16_t external_header_size;
    uint16_t block_size;
    uint8_t precursor[FOTA_HDR_HASH_SIZE];
    uint32_t footer;
} fota_hdr_v3_t;

typedef struct fota_hdr_candidate {
    fota_hdr_ready_t ready;
    fota_hdr_v3_t info;
    size_t payload_offset;          /* decode: from external_header_size (fota_hdr_payload_offset) */
} fota_hdr_candidate_t;

/* Both magics and footers set; comp_name: at most 8 characters are kept (as the client does). */
void fota_hdr_ready_init(fota_hdr_ready_t *r, const char *comp_name);
void fota_hdr_ready_encode(const fota_hdr_ready_t *r, uint8_t out[FOTA_HDR_READY_SIZE]);
/* SHORT, READY_MAGIC, READY_FOOTER, COMP_NAME (no NUL in the 9 bytes). */
int fota_hdr_ready_decode(const uint8_t *in, size_t len, fota_hdr_ready_t *r);

/* As the client writes it: external_header_size 48, block_size 1024, flags 0, reserved 0. */
void fota_hdr_v3_init(fota_hdr_v3_t *h, uint64_t version, uint32_t size,
                      const uint8_t digest[FOTA_HDR_HASH_SIZE],
                      const uint8_t precursor[FOTA_HDR_HASH_SIZE]);
void fota_hdr_v3_encode(const fota_hdr_v3_t *h, uint8_t out[FOTA_HDR_V3_SIZE]);
/* SHORT, MAGIC, FOOTER, FLAGS (ENCRYPTED set; other unknown bits are ignored, as by the
 * bootloader), BLOCK_SIZE (RESUME set and block_size not a non-zero multiple of the K64F page 8:
 * the bootloader asserts block_size % page == 0 and needs room for the 2-byte checksum). */
int fota_hdr_v3_decode(const uint8_t *in, size_t len, fota_hdr_v3_t *h);

/* Offset of the payload from the start of candidate storage, as fota_candidate.c advances. */
size_t fota_hdr_payload_offset(uint16_t external_header_size, uint32_t prog_size);
/* Bytes the payload occupies in storage: fw_size, plus 2 per block_size block with RESUME. */
size_t fota_hdr_stored_payload_size(const fota_hdr_v3_t *h);

/* Init both parts for component "MAIN" (payload_offset 0xB8). */
void fota_hdr_candidate_init(fota_hdr_candidate_t *c, uint64_t version, uint32_t size,
                             const uint8_t digest[FOTA_HDR_HASH_SIZE],
                             const uint8_t precursor[FOTA_HDR_HASH_SIZE]);
/* Writes the ready header, zero padding to 0x18, the v3 header; returns the bytes written
 * (0xB8) or ARG if cap is smaller. The payload is the caller's. */
int fota_hdr_candidate_encode(const fota_hdr_candidate_t *c, uint8_t *out, size_t cap);
/* Decodes both (ready first: its error wins) and sets payload_offset for program size 8. */
int fota_hdr_candidate_decode(const uint8_t *in, size_t len, fota_hdr_candidate_t *c);
/* COMP_NAME unless the name starts with "MAIN" (the bootloader's prefix compare), SIZE unless
 * min_size <= fw_size <= max_size, STORAGE unless payload_offset + stored size <= storage_size. */
int fota_hdr_candidate_validate(const fota_hdr_candidate_t *c, uint32_t min_size, uint32_t max_size,
                                size_t storage_size);
/* The bootloader's install checks (upgrade.c install_start): PRECURSOR unless installed is
 * non-NULL with the right magic and its digest equals the candidate's precursor; then VERSION
 * unless installed->version < candidate version. */
int fota_hdr_install_check(const fota_hdr_app_t *installed, const fota_hdr_v3_t *candidate);

/* ---- 3. Fields by name, for corrupting headers in scenarios ---- */
typedef enum fota_hdr_struct {
    FOTA_HDR_STRUCT_APP = 0,    /* the 112-byte app header */
    FOTA_HDR_STRUCT_READY,      /* the 20-byte candidate-ready header */
    FOTA_HDR_STRUCT_V3,         /* the 160-byte fota_header_info_t */
    FOTA_HDR_STRUCT_CANDIDATE,  /* ready fields as ready_magic, comp_name, ready_footer; then the
                                 * v3 fields under their names, offsets from the candidate start */
} fota_hdr_struct_t;

typedef struct fota_hdr_field {
    const char *name;
    uint16_t offset;
    uint16_t size;
} fota_hdr_field_t;

/* App: magic size version digest reserved precursor (48..80, the build's precursorDigest, inside
 * reserved). V3: magic size version digest reserved barrier flags external_header_size block_size
 * precursor footer. Ready: magic comp_name footer. Returns the table and its length in *n, or
 * NULL for an unknown structure. */
const fota_hdr_field_t *fota_hdr_fields(fota_hdr_struct_t s, size_t *n);
/* The named field, or NULL. */
const fota_hdr_field_t *fota_hdr_field_find(fota_hdr_struct_t s, const char *name);

/* ---- 4. What sits at a header address ---- */
typedef enum fota_hdr_kind {
    FOTA_HDR_KIND_UNKNOWN = 0,
    FOTA_HDR_KIND_CLASSIC_V2,   /* big-endian 0x5a51b3d4 (firmware/common/mbed_header.h) */
    FOTA_HDR_KIND_APP,          /* little-endian 0x5c0253a3: app header (or a bare v3 header) */
    FOTA_HDR_KIND_CANDIDATE,    /* little-endian 0xfed54e01: candidate-ready header */
    FOTA_HDR_KIND_ERASED,       /* the first min(len, 0xB8) bytes all 0xFF */
} fota_hdr_kind_t;

/* By the first word; UNKNOWN if len < 4. Says nothing about the rest's validity: decode for that. */
fota_hdr_kind_t fota_hdr_detect(const uint8_t *p, size_t len);
const char *fota_hdr_kind_name(fota_hdr_kind_t k);   /* "classic-v2", "fota-app", ... */

#endif
