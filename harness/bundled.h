/* The bundled firmware images linked into fwemu (raw binaries from the firmware build). */
#ifndef FWEMU_BUNDLED_H
#define FWEMU_BUNDLED_H
#include <stddef.h>
#include <stdint.h>

typedef struct bundled_image {
    const char *name;          /* "bootloader", "app_v1", "app_v2", "app_v3" */
    const uint8_t *data;
    size_t size;
    uint32_t version;          /* app version compiled in (0 for the bootloader) */
} bundled_image_t;

/* NULL when no image has that name. */
const bundled_image_t *bundled_find(const char *name);
size_t bundled_count(void);
const bundled_image_t *bundled_get(size_t i);
#endif
