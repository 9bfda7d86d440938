/*
 * The device's flash layout as data: where the bootloader, the active header and application,
 * the KVStore and the candidate storage live, and which header format the slots carry.
 *
 * A layout is named (one of the bundled ones, fw_layout_find) or read from a file
 * (fw_layout_load: JSON whose keys are Mbed's own configuration names, see below), or derived
 * from an Mbed JSON configuration (fw_layout_from_mbed, layout_mbed.c). The bundled layouts:
 *
 *   "mbed-classic" (the default): mbed-bootloader v4.1.0 internal_flash_no_rot.json on K64F
 *     0x00000 bootloader                                        [0x00000, 0x08000)
 *     0x08000 active header  update-client.application-details  [0x08000, 0x08400) (1 KiB region)
 *     0x08400 active app     mbed-bootloader.application-start-address [0x08400, 0x80000)
 *     0x80000 KVStore        storage_tdb_internal.internal_base_address [0x80000, 0x88000)
 *     0x88000 candidate      update-client.storage-address      [0x88000, 0x100000), page 8:
 *             v2 header at the slot start, payload at slot + round_up(112, page) = +0x70.
 *   "mbed-fota": the FOTA client's K64F internal-flash config (mbed_lib.json at 95fa885)
 *     header 0x8000 (target.header_offset, 0x200 region), app 0x8200 (target.app_offset, at most
 *     target.restrict_size 0x77E00), KVStore 0x80000 (32 KiB), candidate storage 0x88000 to the
 *     end of flash, FOTA header format (candidate-ready header + fota_header_info_t v3: the
 *     payload at slot + 0xB8).
 *
 * A layout file (fw_layout_load) is one JSON object; integers are JSON numbers or strings
 * "0x..." / decimal. Keys (all but the ones marked optional are required):
 *   "name"                                        optional; default: the file name's stem
 *   "header-format"                               "v2" | "fota"; optional, default "v2"
 *   "target.mbed_rom_start", "target.mbed_rom_size"   optional, default 0 and 0x100000 (K64F)
 *   "flash.sector-size"                           optional, default 0x1000
 *   "mbed-bootloader.bootloader-size"             (the bootloader starts at mbed_rom_start)
 *   "update-client.application-details"           the active header's address
 *   "mbed-bootloader.active-header-region-size"   optional; default app start - header address
 *   "mbed-bootloader.application-start-address"
 *   "mbed-bootloader.max-application-size"
 *   "storage_tdb_internal.internal_base_address", "storage_tdb_internal.internal_size"
 *   "update-client.storage-address", "update-client.storage-size"
 *   "update-client.storage-page"                  optional, default 8 (the K64F phrase)
 * Unknown keys are errors (a misspelt key must not silently keep a default). `fwemu layout
 * --json` prints exactly this form, so its output loads back.
 *
 * Every layout handed out has passed fw_layout_validate: regions inside flash, in this order and
 * not overlapping, the active header and the candidate slot sector-aligned (the bootloader erases
 * them by sector), the application start 512-byte aligned (VTOR).
 *
 * All addresses are CPU addresses; an offset into a flash dump is address - flash_base.
 * Errors: fw_layout_err_t, negative; messages name the file and the key at fault.
 */
#ifndef FWEMU_LAYOUT_H
#define FWEMU_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

typedef enum fw_layout_err {
    FW_LAYOUT_OK = 0,
    FW_LAYOUT_ERR_NOTFOUND = -1,   /* no region / layout of that name */
    FW_LAYOUT_ERR_IO = -2,         /* cannot read the file */
    FW_LAYOUT_ERR_SYNTAX = -3,     /* not JSON, or not the expected shape */
    FW_LAYOUT_ERR_KEY = -4,        /* unknown, missing or ill-typed key */
    FW_LAYOUT_ERR_EXPR = -5,       /* an Mbed expression that does not evaluate (unknown name...) */
    FW_LAYOUT_ERR_INVALID = -6,    /* the numbers do not make a usable layout */
    FW_LAYOUT_ERR_NOMEM = -7,
} fw_layout_err_t;

const char *fw_layout_strerror(int err);

/* The metadata header format of the active and candidate slots. */
typedef enum fw_hdr_format {
    FW_HDR_V2 = 0,     /* Mbed update-client header v2 (112 bytes), mbed_header.h */
    FW_HDR_FOTA,       /* the FOTA client's fota_header_info_t (codec elsewhere) */
} fw_hdr_format_t;

const char *fw_hdr_format_name(fw_hdr_format_t f);             /* "v2", "fota"; NULL if unknown */
int fw_hdr_format_parse(const char *name, fw_hdr_format_t *out); /* FW_LAYOUT_ERR_NOTFOUND */

#define FW_LAYOUT_NAME_MAX 64

typedef struct fw_layout {
    char name[FW_LAYOUT_NAME_MAX]; /* "mbed-classic", or a file's stem */
    fw_hdr_format_t header_format;
    uint32_t flash_base;           /* CPU address of flash byte 0 (MBED_ROM_START) */
    uint32_t flash_size;           /* bytes (MBED_ROM_SIZE) */
    uint32_t sector_size;          /* erase unit (4 KiB) */
    uint32_t program_unit;         /* write unit, update-client.storage-page (8) */
    uint32_t bootloader_start;     /* flash_base */
    uint32_t bootloader_size;      /* mbed-bootloader.bootloader-size */
    uint32_t active_header;        /* update-client.application-details (sector aligned) */
    uint32_t active_header_size;   /* its region: [active_header, + this) <= app_start */
    uint32_t app_start;            /* mbed-bootloader.application-start-address */
    uint32_t app_max_size;         /* mbed-bootloader.max-application-size */
    uint32_t kvstore_start;        /* storage_tdb_internal.internal_base_address */
    uint32_t kvstore_size;         /* storage_tdb_internal.internal_size */
    uint32_t candidate_start;      /* update-client.storage-address */
    uint32_t candidate_size;       /* update-client.storage-size: slot bytes, header included */
    uint32_t candidate_payload_offset; /* v2: round_up(112, program_unit); fota: 0xB8 */
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

#define FW_LAYOUT_DEFAULT_NAME "mbed-classic"

/* The default layout ("mbed-classic"). */
void fw_layout_default(fw_layout_t *l);

/* A bundled layout by name. FW_LAYOUT_ERR_NOTFOUND (and "unknown layout 'X' (known: ...)" in
 * err) for another name. fw_layout_bundled_name(i) lists them (NULL past the end). */
int fw_layout_find(const char *name, fw_layout_t *l, char *err, size_t errlen);
const char *fw_layout_bundled_name(size_t i);

/* A layout file (the JSON form above). Errors: IO, SYNTAX, KEY, INVALID, each naming path and
 * key. */
int fw_layout_load(const char *path, fw_layout_t *l, char *err, size_t errlen);

/* NAME_OR_PATH: a file when it contains '/' or ".json" (a relative path from base_dir when
 * base_dir is non-NULL), else a bundled name (so a file "mine" is given as "./mine"). NULL or ""
 * gives the default. */
int fw_layout_resolve(const char *name_or_path, const char *base_dir, fw_layout_t *l, char *err,
                      size_t errlen);

/* Derive a layout from an Mbed JSON configuration (mbed_app.json / mbed_lib.json style: "macros",
 * "config", "target_overrides" with "*" then target). Integer expressions (+ - * / parentheses,
 * names) are evaluated over MBED_ROM_START / MBED_ROM_SIZE of the target, the config's macros and
 * target.macros_add, its own settings as MBED_CONF_<LIB>_<KEY> or their macro_name, and the
 * regions a bootloader build defines (APPLICATION_ADDR / APPLICATION_SIZE from
 * target.restrict_size). name: the layout's name (NULL: the file's stem). Errors name the file
 * and the key, and the unknown name. */
int fw_layout_from_mbed(const char *path, const char *target, const char *name, fw_layout_t *l,
                        char *err, size_t errlen);

/* Check the numbers (see the top of this file); fills candidate_payload_offset from the header
 * format and page, and active_header_size when it is 0. FW_LAYOUT_ERR_INVALID, naming the key. */
int fw_layout_validate(fw_layout_t *l, char *err, size_t errlen);

/* The layout file form (JSON text, malloc'ed; NULL on no memory). */
char *fw_layout_to_json(const fw_layout_t *l);

/* Region by name or id: [start, end). FW_LAYOUT_ERR_NOTFOUND for an unknown name/id. */
int fw_layout_region(const fw_layout_t *l, const char *name, uint32_t *start, uint32_t *end);
int fw_layout_region_by_id(const fw_layout_t *l, fw_region_id_t id, fw_region_t *out);
const char *fw_region_name(fw_region_id_t id);     /* NULL for an unknown id */

/* Largest firmware body the candidate slot can hold and the bootloader accepts:
 * min(app_max_size, candidate_size - candidate_payload_offset). */
uint32_t fw_layout_candidate_max(const fw_layout_t *l);

uint32_t fw_layout_round_up(uint32_t v, uint32_t unit);   /* unit > 0 */

#endif
