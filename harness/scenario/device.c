#include "scenario/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bundled.h"
#include "codec/image.h"
#include "mbed_header.h"

void device_config(emu_config_t *cfg, const fw_layout_t *l)
{
    emu_config_defaults(cfg);
    device_config_layout(cfg, l);
}

void device_config_layout(emu_config_t *cfg, const fw_layout_t *l)
{
    cfg->app_region_start = l->app_start;
    cfg->app_region_end = l->app_start + l->app_max_size;
}

int device_bundled_image(const fw_layout_t *l, uint8_t *flash, size_t size, unsigned active_version,
                         unsigned candidate_version, char *err, size_t errlen)
{
    char name[32];
    const bundled_image_t *bl = bundled_find("bootloader");
    snprintf(name, sizeof name, "app_v%u", active_version);
    const bundled_image_t *act = active_version ? bundled_find(name) : NULL;
    snprintf(name, sizeof name, "app_v%u", candidate_version);
    const bundled_image_t *cand = candidate_version ? bundled_find(name) : NULL;
    if (!bl || (active_version && !act) || (candidate_version && !cand)) {
        snprintf(err, errlen, "no bundled image for app version %u (bundled: app_v1..app_v3)",
                 (active_version && !act) ? active_version : candidate_version);
        return DEVICE_ERR_IMAGE;
    }
    image_parts_t parts;
    memset(&parts, 0, sizeof parts);
    parts.bootloader = (image_part_t){ "bundled:bootloader", bl->data, bl->size, 0 };
    if (act)
        parts.active = (image_part_t){ "bundled:app", act->data, act->size, active_version };
    if (cand)
        parts.candidate = (image_part_t){ "bundled:app", cand->data, cand->size, candidate_version };
    if (image_assemble(l, &parts, flash, size, err, errlen) != IMAGE_OK)
        return DEVICE_ERR_IMAGE;
    return DEVICE_OK;
}

void device_running_info(emu_machine_t *m, const fw_layout_t *l, device_running_t *out)
{
    memset(out, 0, sizeof *out);
    out->address = l->app_start;
    uint8_t hdr[MBED_HDR_V2_SIZE];
    mbed_hdr_v2_t h;
    if (emu_mem_read(m, l->active_header, hdr, sizeof hdr) != EMU_OK)
        return;
    if (mbed_hdr_v2_decode(hdr, sizeof hdr, &h) != MBED_HDR_OK)
        return;
    out->header_valid = true;
    out->version = h.firmware_version;
    out->size = h.firmware_size;
    uint64_t n = h.firmware_size;
    if (n > l->app_max_size)
        n = l->app_max_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return;
    if (emu_mem_read(m, l->app_start, buf, (uint32_t)n) == EMU_OK) {
        uint8_t sha[32];
        image_sha256(buf, n, sha);
        for (int i = 0; i < 32; i++)
            snprintf(out->digest + 2 * i, 3, "%02x", sha[i]);
        out->digest_matches = n == h.firmware_size && memcmp(sha, h.firmware_hash, 32) == 0;
    }
    free(buf);
}
