/* Flash layout of the device as the host sees it: see layout.h. */
#include "codec/layout.h"

#include <string.h>

#include "mbed_header.h"

static const char *const region_names[FW_REGION_COUNT] = {
    "bootloader", "active-header", "active-app", "kvstore", "candidate-header", "candidate-payload",
};

uint32_t fw_layout_round_up(uint32_t v, uint32_t unit)
{
    return unit ? (v + unit - 1) / unit * unit : v;
}

void fw_layout_default(fw_layout_t *l)
{
    memset(l, 0, sizeof *l);
    l->flash_base = 0;
    l->flash_size = 0x100000;
    l->sector_size = 0x1000;
    l->program_unit = 8;
    l->bootloader_start = 0;
    l->bootloader_size = 0x8000;
    l->active_header = 0x8000;
    l->app_start = 0x8400;
    l->kvstore_start = 0x88000;
    l->kvstore_size = 0x8000;
    l->app_max_size = l->kvstore_start - l->app_start;
    l->candidate_start = 0x90000;
    l->candidate_size = 0x100000 - 0x90000;
    l->candidate_payload_offset = fw_layout_round_up(MBED_HDR_V2_SIZE, l->program_unit);
}

const char *fw_region_name(fw_region_id_t id)
{
    return (unsigned)id < FW_REGION_COUNT ? region_names[id] : NULL;
}

int fw_layout_region_by_id(const fw_layout_t *l, fw_region_id_t id, fw_region_t *out)
{
    uint32_t s, e;
    switch (id) {
    case FW_REGION_BOOTLOADER:
        s = l->bootloader_start; e = l->bootloader_start + l->bootloader_size; break;
    case FW_REGION_ACTIVE_HEADER:
        s = l->active_header; e = l->app_start; break;
    case FW_REGION_ACTIVE_APP:
        s = l->app_start; e = l->app_start + l->app_max_size; break;
    case FW_REGION_KVSTORE:
        s = l->kvstore_start; e = l->kvstore_start + l->kvstore_size; break;
    case FW_REGION_CANDIDATE_HEADER:
        s = l->candidate_start; e = l->candidate_start + l->candidate_payload_offset; break;
    case FW_REGION_CANDIDATE_PAYLOAD:
        s = l->candidate_start + l->candidate_payload_offset;
        e = l->candidate_start + l->candidate_size;
        break;
    default:
        return FW_LAYOUT_ERR_NOTFOUND;
    }
    out->name = region_names[id];
    out->start = s;
    out->end = e;
    return FW_LAYOUT_OK;
}

int fw_layout_region(const fw_layout_t *l, const char *name, uint32_t *start, uint32_t *end)
{
    for (int i = 0; i < FW_REGION_COUNT && name; i++) {
        if (strcmp(region_names[i], name) != 0)
            continue;
        fw_region_t r;
        fw_layout_region_by_id(l, (fw_region_id_t)i, &r);
        if (start)
            *start = r.start;
        if (end)
            *end = r.end;
        return FW_LAYOUT_OK;
    }
    return FW_LAYOUT_ERR_NOTFOUND;
}

uint32_t fw_layout_candidate_max(const fw_layout_t *l)
{
    uint32_t room = l->candidate_size > l->candidate_payload_offset
                        ? l->candidate_size - l->candidate_payload_offset : 0;
    return room < l->app_max_size ? room : l->app_max_size;
}
