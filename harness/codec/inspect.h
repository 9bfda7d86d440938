/*
 * Decode a flash dump: the regions of the layout, both header slots, and what the bundled
 * bootloader will do with them (mbed-update-design.md section 4):
 *
 *   active    v2 header, magic / headerVersion / CRC, then 0 < size <= app_max_size, then
 *             SHA-256 over size bytes at app_start == the header's hash. Size 0 means "empty"
 *             (a valid header, nothing to boot): not bootable.
 *   candidate v2 header at candidate_start, the same checks with the payload at
 *             candidate_start + payload offset and size <= fw_layout_candidate_max(). It is
 *             eligible when its version > the active version, or > 0 when the active is invalid
 *             (strict >: no rollback check beyond that).
 *   decision  active valid + eligible valid candidate -> install it, then boot it;
 *             active invalid + eligible valid candidate -> install it (active invalid);
 *             active valid + candidate not newer        -> ignore the candidate, boot active;
 *             active valid otherwise                    -> boot active;
 *             neither                                   -> no bootable image.
 * The boot counter (crash-loop detection) lives in RAM and is not visible in a dump.
 * v3 (FOTA) headers are decoded for display; the classic bootloader treats them as invalid.
 */
#ifndef FWEMU_INSPECT_H
#define FWEMU_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "codec/layout.h"
#include "mbed_header.h"

typedef enum inspect_err {
    INSPECT_OK = 0,
    INSPECT_ERR_IO = -1,      /* cannot read the dump */
    INSPECT_ERR_SIZE = -2,    /* dump size differs from the flash size */
    INSPECT_ERR_NOMEM = -3,
    INSPECT_ERR_ARG = -4,
    INSPECT_ERR_HEADER_FORMAT = -5, /* the layout's header format is not decoded here (v2 only) */
} inspect_err_t;

const char *inspect_strerror(int err);

typedef struct inspect_region {
    const char *name;         /* layout.h region name */
    uint32_t start, end;      /* [start, end) */
    bool erased;              /* every byte 0xFF */
    uint32_t used;            /* bytes up to the last non-0xFF byte (0 when erased) */
} inspect_region_t;

typedef struct inspect_slot {
    const char *name;         /* "active" / "candidate" */
    uint32_t header_addr;
    uint32_t body_addr;       /* where the firmware bytes are */
    uint32_t body_max;        /* largest size accepted in this slot */
    mbed_hdr_format_t format;
    /* v2 (format == MBED_HDR_FMT_V2) */
    int decode_rc;            /* mbed_hdr_v2_decode result */
    mbed_hdr_v2_t v2;
    uint32_t crc_computed;
    bool crc_ok;
    bool size_ok;             /* 0 < size <= body_max */
    bool digest_checked;      /* the body was hashed (size within the slot) */
    uint8_t digest_computed[32];
    bool digest_ok;
    /* v3 (format == MBED_HDR_FMT_V3) */
    int v3_rc;                /* mbed_hdr_v3_decode result (MAGIC when the footer is wrong) */
    mbed_hdr_v3_t v3;
    /* verdict */
    bool present;             /* not erased */
    bool valid;               /* the bootloader's integrity checks pass */
    char reason[128];         /* why not valid ("" when valid) */
} inspect_slot_t;

typedef enum inspect_action {
    INSPECT_ACT_BOOT = 0,     /* "boot": boot the active image */
    INSPECT_ACT_INSTALL,      /* "install": copy the candidate into the active slot, boot it */
    INSPECT_ACT_IGNORE,       /* "ignore": candidate not newer, boot the active image */
    INSPECT_ACT_NONE,         /* "none": no bootable image, the bootloader never jumps */
} inspect_action_t;

const char *inspect_action_name(inspect_action_t a);

typedef struct inspect_result {
    char file[256];           /* as given (may be "") */
    size_t size;              /* dump bytes */
    fw_layout_t layout;
    inspect_region_t regions[FW_REGION_COUNT];
    inspect_slot_t active, candidate;
    bool candidate_newer;     /* candidate version > active version (or > 0, active invalid) */
    struct {
        inspect_action_t action;
        bool has_version;     /* false for NONE */
        uint64_t version;     /* the version that runs afterwards */
        char text[160];       /* "boot active v1", "install candidate v2 then boot it", ... */
    } decision;
} inspect_result_t;

/* Decode `size` bytes of flash (must be l->flash_size). `file` names the dump in texts (NULL ok). */
int inspect_flash(const fw_layout_t *l, const uint8_t *flash, size_t size, const char *file,
                  inspect_result_t *out, char *err, size_t errlen);
/* Read and decode a dump file. Errors: "x.bin: 524288 bytes, expected 1048576 (the flash size)". */
int inspect_file(const char *path, const fw_layout_t *l, inspect_result_t *out, char *err,
                 size_t errlen);

void inspect_print_text(FILE *f, const inspect_result_t *r);
/* JSON object (see inspect.c for the shape); NULL when out of memory. Caller json_decref()s. */
struct json_t;
struct json_t *inspect_to_json(const inspect_result_t *r);
/* Prints the JSON document and a newline. INSPECT_ERR_NOMEM / INSPECT_ERR_IO on failure. */
int inspect_print_json(FILE *f, const inspect_result_t *r);

#endif
