/* Mbed metadata header codec: see mbed_header.h for the contract. */
#include "mbed_header.h"

#include <string.h>

#if defined(MBED_HEADER_USE_ZLIB)
#include <zlib.h>
uint32_t mbed_hdr_crc32(const uint8_t *data, size_t len)
{
    return (uint32_t)crc32(0UL, data, (uInt)len);
}
#else
/* CRC-32 as zlib computes it: reflected, polynomial 0xEDB88320, init and final xor all ones.
 * Bitwise so the bootloader carries no 1 KiB table. */
uint32_t mbed_hdr_crc32(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}
#endif

const char *mbed_hdr_strerror(int err)
{
    switch (err) {
    case MBED_HDR_OK: return "ok";
    case MBED_HDR_ERR_MAGIC: return "bad magic";
    case MBED_HDR_ERR_VERSION: return "bad header version";
    case MBED_HDR_ERR_CRC: return "bad header CRC";
    case MBED_HDR_ERR_SHORT: return "truncated header";
    default: return "unknown header error";
    }
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}
static uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint64_t get_be64(const uint8_t *p)
{
    return ((uint64_t)get_be32(p) << 32) | get_be32(p + 4);
}
static uint32_t get_le32(const uint8_t *p)
{
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}
static uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

void mbed_hdr_v2_init(mbed_hdr_v2_t *h, uint64_t version, uint64_t size, const uint8_t sha[32])
{
    memset(h, 0, sizeof *h);
    h->magic = MBED_HDR_V2_MAGIC;
    h->header_version = MBED_HDR_V2_VERSION;
    h->firmware_version = version;
    h->firmware_size = size;
    memcpy(h->firmware_hash, sha, MBED_HDR_HASH_SIZE);
}

void mbed_hdr_v2_encode_raw(const mbed_hdr_v2_t *h, uint8_t out[MBED_HDR_V2_SIZE])
{
    put_be32(out + 0, h->magic);
    put_be32(out + 4, h->header_version);
    put_be64(out + 8, h->firmware_version);
    put_be64(out + 16, h->firmware_size);
    memcpy(out + 24, h->firmware_hash, 64);
    memcpy(out + 88, h->campaign, 16);
    put_be32(out + 104, h->signature_size);
    put_be32(out + 108, h->crc);
}

void mbed_hdr_v2_encode(mbed_hdr_v2_t *h, uint8_t out[MBED_HDR_V2_SIZE])
{
    mbed_hdr_v2_encode_raw(h, out);
    h->crc = mbed_hdr_crc32(out, 108);
    put_be32(out + 108, h->crc);
}

int mbed_hdr_v2_decode(const uint8_t *in, size_t len, mbed_hdr_v2_t *h)
{
    if (len < MBED_HDR_V2_SIZE)
        return MBED_HDR_ERR_SHORT;
    h->magic = get_be32(in);
    h->header_version = get_be32(in + 4);
    h->firmware_version = get_be64(in + 8);
    h->firmware_size = get_be64(in + 16);
    memcpy(h->firmware_hash, in + 24, 64);
    memcpy(h->campaign, in + 88, 16);
    h->signature_size = get_be32(in + 104);
    h->crc = get_be32(in + 108);
    if (h->magic != MBED_HDR_V2_MAGIC)
        return MBED_HDR_ERR_MAGIC;
    if (h->header_version != MBED_HDR_V2_VERSION)
        return MBED_HDR_ERR_VERSION;
    if (mbed_hdr_crc32(in, 108) != h->crc)
        return MBED_HDR_ERR_CRC;
    return MBED_HDR_OK;
}

mbed_hdr_format_t mbed_hdr_detect(const uint8_t *p, size_t len)
{
    if (len < 4)
        return MBED_HDR_FMT_UNKNOWN;
    if (get_be32(p) == MBED_HDR_V2_MAGIC)
        return MBED_HDR_FMT_V2;
    if (get_le32(p) == MBED_HDR_V3_MAGIC)
        return MBED_HDR_FMT_V3;
    size_t n = len < MBED_HDR_V2_SIZE ? len : MBED_HDR_V2_SIZE;
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return MBED_HDR_FMT_UNKNOWN;
    return MBED_HDR_FMT_ERASED;
}

int mbed_hdr_v3_decode(const uint8_t *in, size_t len, mbed_hdr_v3_t *h)
{
    if (len < MBED_HDR_V3_SIZE)
        return MBED_HDR_ERR_SHORT;
    h->magic = get_le32(in);
    h->fw_size = get_le32(in + 4);
    h->version = ((uint64_t)get_le32(in + 12) << 32) | get_le32(in + 8);
    memcpy(h->digest, in + 16, 32);
    h->flags = in[113];
    h->external_header_size = get_le16(in + 114);
    h->block_size = get_le16(in + 116);
    memcpy(h->precursor, in + 118, 32);
    h->footer = get_le32(in + 152);
    if (h->magic != MBED_HDR_V3_MAGIC || h->footer != MBED_HDR_V3_MAGIC)
        return MBED_HDR_ERR_MAGIC;
    return MBED_HDR_OK;
}
