/*
 * Building flash images on the host: firmware files (ELF or raw binary) -> bodies, v2 headers
 * for bodies, and the 1 MiB flash image the device boots from (layout.h):
 *
 *   bootloader at 0 | active v2 header at active_header, body at app_start |
 *   optional candidate v2 header at candidate_start, payload at candidate_start + payload offset |
 *   everything else erased (0xFF).
 *
 * Headers are build-time headers (campaign zero, signature size 0); the hash is SHA-256 from the
 * host Mbed TLS, the CRC from the shared codec (mbed_header.h), so they are exactly what the
 * update client writes on the device.
 *
 * Errors: one enum, negative values; every function that can fail writes one line naming the
 * file / image and the field at fault into err (may be NULL).
 */
#ifndef FWEMU_IMAGE_H
#define FWEMU_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "codec/layout.h"
#include "mbed_header.h"

typedef enum image_err {
    IMAGE_OK = 0,
    IMAGE_ERR_IO = -1,       /* cannot read or write a file */
    IMAGE_ERR_FORMAT = -2,   /* bad ELF, empty file, ELF with nothing for the slot */
    IMAGE_ERR_NOMEM = -3,
    IMAGE_ERR_SIZE = -4,     /* a part does not fit its region, or a buffer of the wrong size */
    IMAGE_ERR_ARG = -5,      /* caller error (NULL where data is required) */
    IMAGE_ERR_HEADER_FORMAT = -6, /* the layout's header format is not one image makes (v2 only) */
} image_err_t;

const char *image_strerror(int err);

/* Largest firmware file image_load_fw / image_read_file accept by default. */
#define IMAGE_MAX_FILE (64u * 1024u * 1024u)

/* Load a firmware body from a file. An ELF (by magic) is flattened with elf_to_binary over the
 * window [link_base, end of flash of the default layout): bytes start at link_base, gaps are 0xFF,
 * segments outside flash (RAM) are ignored; a flash segment below link_base or crossing the end
 * is an error (the ELF is linked for another slot). Anything else is a raw binary taken as is.
 * An empty result is an error. *out is malloc'ed (free it). */
int image_load_fw(const char *path, uint32_t link_base, uint8_t **out, size_t *len, char *err,
                  size_t errlen);
/* The same for bytes in memory; `name` is used in error texts (e.g. "bundled:app_v2"). */
int image_load_fw_buf(const char *name, const uint8_t *data, size_t size, uint32_t link_base,
                      uint8_t **out, size_t *len, char *err, size_t errlen);

/* Whole file into a malloc'ed buffer (input_read_file, input.h: its messages name the path);
 * files larger than max bytes (0: IMAGE_MAX_FILE) are refused (IMAGE_ERR_SIZE). */
int image_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err,
                    size_t errlen);
/* Write atomically (fileio_write_atomic, fileio.h): a temporary file in the same directory, fsync,
 * rename over path, fsync the directory. On failure the temporary is removed and path is left as
 * it was. */
int image_write_atomic(const char *path, const uint8_t *data, size_t len, char *err, size_t errlen);

void image_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
/* A build-time v2 header for `len` bytes of body: version, size, SHA-256, zero campaign, CRC. */
void image_make_header(uint64_t version, const uint8_t *body, size_t len,
                       uint8_t out[MBED_HDR_V2_SIZE]);

typedef struct image_part {
    const char *name;        /* for error texts ("app_v2.elf", "bundled:app_v2"); NULL: the role */
    const uint8_t *data;     /* NULL: the slot is left erased (no header either) */
    size_t len;              /* 0 with data: a valid header for an empty image (size 0) */
    uint64_t version;        /* header firmwareVersion (active and candidate) */
} image_part_t;

typedef struct image_parts {
    image_part_t bootloader; /* at bootloader_start, at most bootloader_size bytes */
    image_part_t active;     /* at most app_max_size bytes */
    image_part_t candidate;  /* at most fw_layout_candidate_max() bytes */
} image_parts_t;

/* Fill flash (flash_size must equal l->flash_size) with 0xFF and place the parts. Size errors
 * name the part: "active image 'big.bin' is 600000 bytes; the active app slot holds 523264". */
int image_assemble(const fw_layout_t *l, const image_parts_t *parts, uint8_t *flash,
                   size_t flash_size, char *err, size_t errlen);

#endif
