/* Flash images on the host: see image.h for the contract. */
#include "codec/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "codec/input.h"
#include "elf.h"
#include "fileio.h"


const char *image_strerror(int err)
{
    switch (err) {
    case IMAGE_OK: return "ok";
    case IMAGE_ERR_IO: return "I/O error";
    case IMAGE_ERR_FORMAT: return "bad firmware file";
    case IMAGE_ERR_NOMEM: return "out of memory";
    case IMAGE_ERR_SIZE: return "does not fit";
    case IMAGE_ERR_ARG: return "bad argument";
    case IMAGE_ERR_HEADER_FORMAT: return "header format not supported";
    default: return "unknown image error";
    }
}

void image_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    static const uint8_t empty[1];
    mbedtls_sha256_ret(len ? data : empty, len, out, 0);
}

void image_make_header(uint64_t version, const uint8_t *body, size_t len,
                       uint8_t out[MBED_HDR_V2_SIZE])
{
    uint8_t sha[32];
    mbed_hdr_v2_t h;
    image_sha256(body, len, sha);
    mbed_hdr_v2_init(&h, version, (uint64_t)len, sha);
    mbed_hdr_v2_encode(&h, out);
}

/* One reader for every input (input.c); image errors keep their own codes. */
int image_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err,
                    size_t errlen)
{
    switch (input_read_file(path, max, out, len, err, errlen)) {
    case INPUT_OK: return IMAGE_OK;
    case INPUT_ERR_SIZE: return IMAGE_ERR_SIZE;
    case INPUT_ERR_NOMEM: return IMAGE_ERR_NOMEM;
    case INPUT_ERR_ARG: return IMAGE_ERR_ARG;
    default: return IMAGE_ERR_IO;
    }
}

/* elf_parse names the buffer "<memory>": put our name in its place. */
static void rename_elf_err(char *err, size_t errlen, const char *name, const char *msg)
{
    static const char mem[] = "<memory>: ";
    if (strncmp(msg, mem, sizeof mem - 1) == 0)
        msg += sizeof mem - 1;
    fileio_seterr(err, errlen, "%s: %s", name, msg);
}

static int map_elf_err(int rc)
{
    switch (rc) {
    case ELF_ERR_NOMEM: return IMAGE_ERR_NOMEM;
    case ELF_ERR_IO: return IMAGE_ERR_IO;
    default: return IMAGE_ERR_FORMAT;
    }
}

static int flatten_elf(const char *name, const uint8_t *data, size_t size, uint32_t link_base,
                       uint8_t **out, size_t *len, char *err, size_t errlen)
{
    fw_layout_t l;
    fw_layout_default(&l);
    uint64_t fbase = l.flash_base, fend = (uint64_t)l.flash_base + l.flash_size;
    char msg[256] = "";
    elf_image_t img;

    int rc = elf_parse(data, size, &img, msg, sizeof msg);
    if (rc) {
        rename_elf_err(err, errlen, name, msg);
        return map_elf_err(rc);
    }
    if (link_base < fbase || link_base >= fend) {
        fileio_seterr(err, errlen, "%s: link base 0x%08x is outside flash [0x%08llx, 0x%08llx)", name,
               link_base, (unsigned long long)fbase, (unsigned long long)fend);
        elf_free(&img);
        return IMAGE_ERR_ARG;
    }
    for (int i = 0; i < img.nseg; i++) {
        const elf_segment_t *s = &img.seg[i];
        uint64_t a = s->paddr, e = a + s->filesz;
        if (e <= fbase || a >= fend)
            continue;               /* not flash (RAM, peripherals): not part of the image */
        if (a < link_base || e > fend) {
            fileio_seterr(err, errlen, "%s: loadable segment %d at [0x%08llx, 0x%08llx) lies outside "
                   "[0x%08x, 0x%08llx): is the ELF linked for this slot?", name, i,
                   (unsigned long long)a, (unsigned long long)e, link_base,
                   (unsigned long long)fend);
            elf_free(&img);
            return IMAGE_ERR_FORMAT;
        }
    }
    rc = elf_to_binary(&img, link_base, (uint32_t)(fend - link_base), out, len, msg, sizeof msg);
    elf_free(&img);
    if (rc) {
        fileio_seterr(err, errlen, "%s: %s", name, msg);
        return map_elf_err(rc);
    }
    if (*len == 0) {
        fileio_seterr(err, errlen, "%s: no loadable bytes in flash at [0x%08x, 0x%08llx)", name, link_base,
               (unsigned long long)fend);
        return IMAGE_ERR_FORMAT;
    }
    return IMAGE_OK;
}

int image_load_fw_buf(const char *name, const uint8_t *data, size_t size, uint32_t link_base,
                      uint8_t **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    if (!name)
        name = "<image>";
    if (!data || size == 0) {
        fileio_seterr(err, errlen, "%s: empty file", name);
        return IMAGE_ERR_FORMAT;
    }
    if (elf_is_elf(data, size))
        return flatten_elf(name, data, size, link_base, out, len, err, errlen);
    uint8_t *b = malloc(size);
    if (!b) {
        fileio_seterr(err, errlen, "%s: out of memory (%zu bytes)", name, size);
        return IMAGE_ERR_NOMEM;
    }
    memcpy(b, data, size);
    *out = b;
    *len = size;
    return IMAGE_OK;
}

int image_load_fw(const char *path, uint32_t link_base, uint8_t **out, size_t *len, char *err,
                  size_t errlen)
{
    uint8_t *file;
    size_t n;
    *out = NULL;
    *len = 0;
    int rc = image_read_file(path, IMAGE_MAX_FILE, &file, &n, err, errlen);
    if (rc)
        return rc;
    rc = image_load_fw_buf(path, file, n, link_base, out, len, err, errlen);
    free(file);
    return rc;
}

/* One implementation of the atomic write (fileio.c); image errors keep their own codes. */
int image_write_atomic(const char *path, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    switch (fileio_write_atomic(path, data, len, err, errlen)) {
    case FILEIO_OK: return IMAGE_OK;
    case FILEIO_ERR_NOMEM: return IMAGE_ERR_NOMEM;
    case FILEIO_ERR_ARG: return IMAGE_ERR_ARG;
    default: return IMAGE_ERR_IO;
    }
}

/* Check one part against its limit; describe it as "<role> image '<name>'". */
static int check_part(const image_part_t *p, const char *role, const char *region, uint64_t limit,
                      char *err, size_t errlen)
{
    if (!p->data)
        return IMAGE_OK;
    if ((uint64_t)p->len > limit) {
        fileio_seterr(err, errlen, "%s image '%s' is %zu bytes; the %s holds %llu (0x%llx)", role,
               p->name ? p->name : role, p->len, region, (unsigned long long)limit,
               (unsigned long long)limit);
        return IMAGE_ERR_SIZE;
    }
    return IMAGE_OK;
}

static void place_slot(uint8_t *flash, uint32_t base, uint32_t hdr_addr, uint32_t body_addr,
                       const image_part_t *p)
{
    uint8_t hdr[MBED_HDR_V2_SIZE];
    image_make_header(p->version, p->data, p->len, hdr);
    memcpy(flash + (hdr_addr - base), hdr, sizeof hdr);
    if (p->len)
        memcpy(flash + (body_addr - base), p->data, p->len);
}

int image_assemble(const fw_layout_t *l, const image_parts_t *parts, uint8_t *flash,
                   size_t flash_size, char *err, size_t errlen)
{
    if (!l || !parts || !flash) {
        fileio_seterr(err, errlen, "image_assemble: missing layout, parts or flash buffer");
        return IMAGE_ERR_ARG;
    }
    if (flash_size != l->flash_size) {
        fileio_seterr(err, errlen, "flash buffer is %zu bytes, the layout needs %u", flash_size,
               l->flash_size);
        return IMAGE_ERR_SIZE;
    }
    if (l->header_format != FW_HDR_V2) {
        fileio_seterr(err, errlen, "layout '%s' uses the %s header format; images are made with v2 "
                      "headers only", l->name, fw_hdr_format_name(l->header_format));
        return IMAGE_ERR_HEADER_FORMAT;
    }
    int rc = check_part(&parts->bootloader, "bootloader", "bootloader region", l->bootloader_size,
                        err, errlen);
    if (!rc)
        rc = check_part(&parts->active, "active", "active app slot", l->app_max_size, err, errlen);
    if (!rc)
        rc = check_part(&parts->candidate, "candidate", "candidate slot", fw_layout_candidate_max(l),
                        err, errlen);
    if (rc)
        return rc;

    memset(flash, 0xFF, flash_size);
    const uint32_t b = l->flash_base;
    if (parts->bootloader.data && parts->bootloader.len)
        memcpy(flash + (l->bootloader_start - b), parts->bootloader.data, parts->bootloader.len);
    if (parts->active.data)
        place_slot(flash, b, l->active_header, l->app_start, &parts->active);
    if (parts->candidate.data)
        place_slot(flash, b, l->candidate_start, l->candidate_start + l->candidate_payload_offset,
                   &parts->candidate);
    return IMAGE_OK;
}
