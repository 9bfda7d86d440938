/* Image checks: see image.h for the contract. */
#include "image.h"

#include <string.h>

#include "layout.h"
#include "mbedtls/sha256.h"
#include "wdog.h"

const char *image_strerror(int err)
{
    switch (err) {
    case IMAGE_OK: return "ok";
    case IMAGE_ERR_ERASED: return "erased";
    case IMAGE_ERR_MAGIC: return mbed_hdr_strerror(MBED_HDR_ERR_MAGIC);
    case IMAGE_ERR_HDR_VERSION: return mbed_hdr_strerror(MBED_HDR_ERR_VERSION);
    case IMAGE_ERR_CRC: return mbed_hdr_strerror(MBED_HDR_ERR_CRC);
    case IMAGE_ERR_EMPTY: return "empty";
    case IMAGE_ERR_TOO_LARGE: return "too large";
    case IMAGE_ERR_VECTORS: return "bad vector table";
    case IMAGE_ERR_HASH: return "hash mismatch";
    default: return "unknown image error";
    }
}

void image_sha256(uint32_t addr, uint32_t len, uint8_t out[32])
{
    mbedtls_sha256_context ctx;
    mbedtls_sha256_init(&ctx);
    /* With the software implementation these calls cannot fail (no hardware accelerator,
     * no allocation): their return values carry no information here. */
    (void)mbedtls_sha256_starts_ret(&ctx, 0);
    const uint8_t *p = (const uint8_t *)(uintptr_t)addr;
    while (len > 0) {
        uint32_t n = len < IMAGE_HASH_CHUNK ? len : IMAGE_HASH_CHUNK;
        (void)mbedtls_sha256_update_ret(&ctx, p, n);
        p += n;
        len -= n;
        wdog_refresh();
    }
    (void)mbedtls_sha256_finish_ret(&ctx, out);
    mbedtls_sha256_free(&ctx);
}

static int check_vectors(const image_t *img)
{
    const uint8_t *v = (const uint8_t *)(uintptr_t)img->payload_addr;
    uint32_t sp, pc;
    memcpy(&sp, v, 4);
    memcpy(&pc, v + 4, 4);
    uint32_t size = (uint32_t)img->hdr.firmware_size;
    if (size < 8u)
        return IMAGE_ERR_VECTORS;
    /* Initial SP: full-descending, so the top of RAM itself is a valid value. */
    if ((sp & 3u) != 0 || sp <= LAYOUT_SRAM_L_BASE || sp > LAYOUT_SRAM_U_BASE + LAYOUT_SRAM_U_SIZE)
        return IMAGE_ERR_VECTORS;
    /* Reset vector: Thumb bit set, inside the image where it will run. */
    uint32_t entry = pc & ~1u;
    if ((pc & 1u) == 0 || entry < img->exec_addr || entry - img->exec_addr >= size)
        return IMAGE_ERR_VECTORS;
    return IMAGE_OK;
}

int image_check(image_t *img, image_check_depth_t depth)
{
    memcpy(img->raw, (const void *)(uintptr_t)img->header_addr, sizeof img->raw);
    if (mbed_hdr_detect(img->raw, sizeof img->raw) == MBED_HDR_FMT_ERASED)
        return IMAGE_ERR_ERASED;
    switch (mbed_hdr_v2_decode(img->raw, sizeof img->raw, &img->hdr)) {
    case MBED_HDR_OK: break;
    case MBED_HDR_ERR_VERSION: return IMAGE_ERR_HDR_VERSION;
    case MBED_HDR_ERR_CRC: return IMAGE_ERR_CRC;
    default: return IMAGE_ERR_MAGIC;
    }
    if (img->hdr.firmware_size == 0)
        return IMAGE_ERR_EMPTY;
    if (img->hdr.firmware_size > img->max_size)
        return IMAGE_ERR_TOO_LARGE;
    if (depth == IMAGE_CHECK_HEADER_ONLY)
        return IMAGE_OK;

    int err = check_vectors(img);
    if (err || depth == IMAGE_CHECK_NO_HASH)
        return err;
    uint8_t digest[32];
    image_sha256(img->payload_addr, (uint32_t)img->hdr.firmware_size, digest);
    if (memcmp(digest, img->hdr.firmware_hash, sizeof digest) != 0)
        return IMAGE_ERR_HASH;
    return IMAGE_OK;
}
