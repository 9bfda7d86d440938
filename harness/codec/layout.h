/*
 * The host's description of the device's flash layout (K64F, classic Mbed internal-flash update
 * config; mbed-update-design.md section 3). The firmware has its own copy of these numbers in its
 * config; the host does not include firmware headers other than the header codec.
 *
 *   0x00000 bootloader                                  [0x00000, 0x08000)
 *   0x08000 active header  update-client.application-details       (112 bytes used, to 0x08400)
 *   0x08400 active app     mbed-bootloader.application-start-address  [0x08400, 0x88000)
 *   0x88000 KVSTORE        storage_tdb_internal.internal_base_address [0x88000, 0x90000)
 *   0x90000 candidate slot update-client.storage-address             [0x90000, 0x100000):
 *           v2 header at the slot start, payload at slot + round_up(112, program unit) = +0x70.
 *
 * All addresses are CPU addresses (flash_base is 0 on K64F); an offset into a flash dump is
 * address - flash_base.
 */
#ifndef FWEMU_LAYOUT_H
#define FWEMU_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

typedef enum fw_layout_err {
    FW_LAYOUT_OK = 0,
    FW_LAYOUT_ERR_NOTFOUND = -1,   /* no region of that name / id */
} fw_layout_err_t;

typedef struct fw_layout {
    uint32_t flash_base;           /* CPU address of flash byte 0 */
    uint32_t flash_size;           /* bytes (1 MiB) */
    uint32_t sector_size;          /* erase unit (4 KiB) */
    uint32_t program_unit;         /* write unit, update-client.storage-page (8) */
    uint32_t bootloader_start;     /* 0 */
    uint32_t bootloader_size;      /* 0x8000 */
    uint32_t active_header;        /* update-client.application-details (sector aligned) */
    uint32_t app_start;            /* mbed-bootloader.application-start-address */
    uint32_t app_max_size;         /* mbed-bootloader.max-application-size = kvstore_start - app_start */
    uint32_t kvstore_start;        /* storage_tdb_internal.internal_base_address */
    uint32_t kvstore_size;
    uint32_t candidate_start;      /* update-client.storage-address */
    uint32_t candidate_size;       /* slot bytes, header included */
    uint32_t candidate_payload_offset; /* round_up(112, program_unit) from the slot start */
} fw_layout_t;

/* Region ids in address order; names as printed by `fwemu inspect`. */
typedef enum fw_region_id {
    FW_REGION_BOOTLOADER = 0,      /* "bootloader" */
    FW_REGION_ACTIVE_HEADER,       /* "active-header": [active_header, app_start) */
    FW_REGION_ACTIVE_APP,          /* "active-app": [app_start, app_start + app_max_size) */
    FW_REGION_KVSTORE,             /* "kvstore" */
    FW_REGION_CANDIDATE_HEADER,    /* "candidate-header": [slot, slot + payload offset) */
    FW_REGION_CANDIDATE_PAYLOAD,   /* "candidate-payload": [slot + payload offset, slot end) */
    FW_REGION_COUNT
} fw_region_id_t;

typedef struct fw_region {
    const char *name;
    uint32_t start, end;           /* [start, end), CPU addresses */
} fw_region_t;

/* The K64F layout above. */
void fw_layout_default(fw_layout_t *l);

/* Region by name or id: [start, end). FW_LAYOUT_ERR_NOTFOUND for an unknown name/id. */
int fw_layout_region(const fw_layout_t *l, const char *name, uint32_t *start, uint32_t *end);
int fw_layout_region_by_id(const fw_layout_t *l, fw_region_id_t id, fw_region_t *out);
const char *fw_region_name(fw_region_id_t id);     /* NULL for an unknown id */

/* Largest firmware body the candidate slot can hold and the bootloader accepts:
 * min(app_max_size, candidate_size - candidate_payload_offset). */
uint32_t fw_layout_candidate_max(const fw_layout_t *l);

uint32_t fw_layout_round_up(uint32_t v, uint32_t unit);   /* unit > 0 */

#endif
