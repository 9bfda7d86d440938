/*
 * The device under test as the harness sees it: an emulated K64F machine configured for the
 * Mbed update layout (fw_layout_t), the bundled firmware images, and what "running" means.
 */
#ifndef FWEMU_DEVICE_H
#define FWEMU_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "emu.h"
#include "codec/layout.h"

typedef enum device_err {
    DEVICE_OK = 0,
    DEVICE_ERR_IMAGE = -1,      /* a bundled image is missing or does not fit */
    DEVICE_ERR_NOMEM = -2,
} device_err_t;

/* Machine defaults for the layout: K64F, watchdog on, the active app region as the
 * "app running" region (VTOR moved there and the CPU executing there). */
void device_config(emu_config_t *cfg, const fw_layout_t *l);
/* Only the fields of cfg that come from the layout (the app region), the rest left as it is. */
void device_config_layout(emu_config_t *cfg, const fw_layout_t *l);

/* Assemble the bundled flash image: bundled bootloader, bundled app_v<active_version> as the
 * active image, and app_v<candidate_version> in candidate storage (0 = no candidate). */
int device_bundled_image(const fw_layout_t *l, uint8_t *flash, size_t size, unsigned active_version,
                         unsigned candidate_version, char *err, size_t errlen);

/* What runs: the app at the layout's app start, with its header's version and the SHA-256 of
 * the image bytes (header firmwareSize, bounded by the slot). */
typedef struct device_running {
    bool header_valid;          /* active v2 header decodes (magic, version, CRC) */
    uint32_t address;           /* app start */
    uint64_t version;           /* from the active header */
    uint64_t size;
    char digest[65];            /* lowercase hex SHA-256 of the image in flash ("" if unknown) */
    bool digest_matches;        /* equals the header's firmwareHash */
} device_running_t;

void device_running_info(emu_machine_t *m, const fw_layout_t *l, device_running_t *out);

#endif
