/* Flash layouts as data: the bundled ones, validation, regions (layout.h). Files: layout_file.c;
 * Mbed configurations: layout_mbed.c. */
#include "codec/layout.h"

#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "mbed_header.h"

#define seterr fileio_seterr

static const char *const region_names[FW_REGION_COUNT] = {
    "bootloader", "active-header", "active-app", "kvstore", "candidate-header", "candidate-payload",
};

/* The FOTA candidate: a 24-byte "candidate ready" header, then the 160-byte fota_header_info_t
 * v3; the payload follows (mbed-bootloader README, "95fa885"). */
#define FOTA_CANDIDATE_PAYLOAD_OFFSET 0xB8u

const char *fw_layout_strerror(int err)
{
    switch (err) {
    case FW_LAYOUT_OK: return "ok";
    case FW_LAYOUT_ERR_NOTFOUND: return "no such layout or region";
    case FW_LAYOUT_ERR_IO: return "cannot read the layout file";
    case FW_LAYOUT_ERR_SYNTAX: return "layout file syntax error";
    case FW_LAYOUT_ERR_KEY: return "unknown, missing or ill-typed layout key";
    case FW_LAYOUT_ERR_EXPR: return "Mbed expression does not evaluate";
    case FW_LAYOUT_ERR_INVALID: return "invalid layout";
    case FW_LAYOUT_ERR_NOMEM: return "out of memory";
    default: return "unknown layout error";
    }
}

static const char *const hdr_format_names[] = { "v2", "fota" };

const char *fw_hdr_format_name(fw_hdr_format_t f)
{
    return (unsigned)f < sizeof hdr_format_names / sizeof hdr_format_names[0] ? hdr_format_names[f] : NULL;
}

int fw_hdr_format_parse(const char *name, fw_hdr_format_t *out)
{
    for (unsigned i = 0; name && i < sizeof hdr_format_names / sizeof hdr_format_names[0]; i++)
        if (strcmp(name, hdr_format_names[i]) == 0) {
            *out = (fw_hdr_format_t)i;
            return FW_LAYOUT_OK;
        }
    return FW_LAYOUT_ERR_NOTFOUND;
}

uint32_t fw_layout_round_up(uint32_t v, uint32_t unit)
{
    return unit ? (v + unit - 1) / unit * unit : v;
}

/* The bundled layouts; fw_layout_validate fills candidate_payload_offset. */
static const fw_layout_t bundled[] = {
    {   /* mbed-bootloader v4.1.0 configs/internal_flash_no_rot.json, K64F */
        .name = "mbed-classic", .header_format = FW_HDR_V2,
        .flash_base = 0, .flash_size = 0x100000, .sector_size = 0x1000, .program_unit = 8,
        .bootloader_start = 0, .bootloader_size = 0x8000,
        .active_header = 0x8000, .active_header_size = 0x400,
        .app_start = 0x8400, .app_max_size = 0x80000 - 0x8400,
        .kvstore_start = 0x80000, .kvstore_size = 0x8000,
        .candidate_start = 0x88000, .candidate_size = 0x78000,
    },
    {   /* the FOTA client's prebuilt-bl TARGET_K64F/TARGET_BL_INTERNAL_FLASH mbed_lib.json */
        .name = "mbed-fota", .header_format = FW_HDR_FOTA,
        .flash_base = 0, .flash_size = 0x100000, .sector_size = 0x1000, .program_unit = 8,
        .bootloader_start = 0, .bootloader_size = 0x8000,
        .active_header = 0x8000, .active_header_size = 0x200,
        .app_start = 0x8200, .app_max_size = 0x77E00,
        .kvstore_start = 0x80000, .kvstore_size = 0x8000,
        .candidate_start = 0x88000, .candidate_size = 0x78000,
    },
};
#define N_BUNDLED (sizeof bundled / sizeof bundled[0])

const char *fw_layout_bundled_name(size_t i)
{
    return i < N_BUNDLED ? bundled[i].name : NULL;
}

static void bundled_get(size_t i, fw_layout_t *l)
{
    *l = bundled[i];
    fw_layout_validate(l, NULL, 0);   /* bundled layouts are valid (tests/unit/test_layout.c) */
}

void fw_layout_default(fw_layout_t *l)
{
    bundled_get(0, l);
}

int fw_layout_find(const char *name, fw_layout_t *l, char *err, size_t errlen)
{
    for (size_t i = 0; name && i < N_BUNDLED; i++)
        if (strcmp(bundled[i].name, name) == 0) {
            bundled_get(i, l);
            return FW_LAYOUT_OK;
        }
    char known[128] = "";
    for (size_t i = 0; i < N_BUNDLED; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 bundled[i].name);
    seterr(err, errlen, "unknown layout '%s' (bundled: %s; or a layout file path)",
           name ? name : "", known);
    return FW_LAYOUT_ERR_NOTFOUND;
}

int fw_layout_resolve(const char *name_or_path, const char *base_dir, fw_layout_t *l, char *err,
                      size_t errlen)
{
    if (!name_or_path || !*name_or_path) {
        fw_layout_default(l);
        return FW_LAYOUT_OK;
    }
    if (!strchr(name_or_path, '/') && !strstr(name_or_path, ".json"))
        return fw_layout_find(name_or_path, l, err, errlen);
    if (name_or_path[0] == '/' || !base_dir || !*base_dir)
        return fw_layout_load(name_or_path, l, err, errlen);
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", base_dir, name_or_path) >= sizeof path) {
        seterr(err, errlen, "%s: layout path too long", name_or_path);
        return FW_LAYOUT_ERR_IO;
    }
    return fw_layout_load(path, l, err, errlen);
}

/* One region to check: its extent and the key that placed it. */
typedef struct span { const char *key; uint64_t s, e; } span_t;

static int check_spans(const fw_layout_t *l, const span_t *sp, size_t n, char *err, size_t errlen)
{
    uint64_t fs = l->flash_base, fe = (uint64_t)l->flash_base + l->flash_size;
    for (size_t i = 0; i < n; i++) {
        if (sp[i].s < fs || sp[i].e > fe || sp[i].e < sp[i].s) {
            seterr(err, errlen, "layout '%s': %s: [0x%llX, 0x%llX) is outside flash [0x%llX, 0x%llX)",
                   l->name, sp[i].key, (unsigned long long)sp[i].s, (unsigned long long)sp[i].e,
                   (unsigned long long)fs, (unsigned long long)fe);
            return FW_LAYOUT_ERR_INVALID;
        }
        for (size_t j = 0; j < i; j++)
            if (sp[i].s < sp[j].e && sp[j].s < sp[i].e) {
                seterr(err, errlen, "layout '%s': %s [0x%llX, 0x%llX) overlaps %s [0x%llX, 0x%llX)",
                       l->name, sp[i].key, (unsigned long long)sp[i].s, (unsigned long long)sp[i].e,
                       sp[j].key, (unsigned long long)sp[j].s, (unsigned long long)sp[j].e);
                return FW_LAYOUT_ERR_INVALID;
            }
    }
    return FW_LAYOUT_OK;
}

static int pow2(uint32_t v) { return v && !(v & (v - 1)); }

int fw_layout_validate(fw_layout_t *l, char *err, size_t errlen)
{
    if (!pow2(l->sector_size) || !pow2(l->program_unit) || l->program_unit > l->sector_size) {
        seterr(err, errlen, "layout '%s': flash.sector-size 0x%X and update-client.storage-page %u "
               "must be powers of two, the page no larger than the sector", l->name, l->sector_size,
               l->program_unit);
        return FW_LAYOUT_ERR_INVALID;
    }
    l->bootloader_start = l->flash_base;
    if (!l->active_header_size && l->app_start > l->active_header)
        l->active_header_size = l->app_start - l->active_header;
    l->candidate_payload_offset = l->header_format == FW_HDR_FOTA
                                      ? FOTA_CANDIDATE_PAYLOAD_OFFSET
                                      : fw_layout_round_up(MBED_HDR_V2_SIZE, l->program_unit);
    const struct { const char *key; uint32_t v, align; } al[] = {
        { "update-client.application-details", l->active_header, l->sector_size },
        { "update-client.storage-address", l->candidate_start, l->sector_size },
        { "mbed-bootloader.application-start-address (VTOR)", l->app_start, 512 },
    };
    for (size_t i = 0; i < sizeof al / sizeof al[0]; i++)
        if (al[i].v % al[i].align) {
            seterr(err, errlen, "layout '%s': %s 0x%X is not a multiple of 0x%X", l->name,
                   al[i].key, al[i].v, al[i].align);
            return FW_LAYOUT_ERR_INVALID;
        }
    if (l->active_header_size < MBED_HDR_V2_SIZE ||
        (uint64_t)l->active_header + l->active_header_size > l->app_start) {
        seterr(err, errlen, "layout '%s': the active header region [0x%X, +0x%X) must hold %u bytes "
               "and end at or before mbed-bootloader.application-start-address 0x%X", l->name,
               l->active_header, l->active_header_size, (unsigned)MBED_HDR_V2_SIZE, l->app_start);
        return FW_LAYOUT_ERR_INVALID;
    }
    if (!l->bootloader_size || !l->app_max_size || l->candidate_size <= l->candidate_payload_offset) {
        seterr(err, errlen, "layout '%s': mbed-bootloader.bootloader-size, max-application-size "
               "and update-client.storage-size (beyond its header) must be non-zero", l->name);
        return FW_LAYOUT_ERR_INVALID;
    }
    const span_t sp[] = {
        { "mbed-bootloader.bootloader-size", l->bootloader_start,
          (uint64_t)l->bootloader_start + l->bootloader_size },
        { "update-client.application-details", l->active_header, l->app_start },
        { "mbed-bootloader.max-application-size", l->app_start, (uint64_t)l->app_start + l->app_max_size },
        { "storage_tdb_internal.internal_base_address", l->kvstore_start,
          (uint64_t)l->kvstore_start + l->kvstore_size },
        { "update-client.storage-address", l->candidate_start,
          (uint64_t)l->candidate_start + l->candidate_size },
    };
    return check_spans(l, sp, sizeof sp / sizeof sp[0], err, errlen);
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
