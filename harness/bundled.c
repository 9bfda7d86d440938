#include "bundled.h"

#include <string.h>

extern const uint8_t fwemu_bundled_bootloader[], fwemu_bundled_bootloader_end[];
extern const uint8_t fwemu_bundled_app_v1[], fwemu_bundled_app_v1_end[];
extern const uint8_t fwemu_bundled_app_v2[], fwemu_bundled_app_v2_end[];
extern const uint8_t fwemu_bundled_app_v3[], fwemu_bundled_app_v3_end[];

static bundled_image_t images[4];
static int ready;

static void init(void)
{
    if (ready)
        return;
    images[0] = (bundled_image_t){ "bootloader", fwemu_bundled_bootloader,
                                   (size_t)(fwemu_bundled_bootloader_end - fwemu_bundled_bootloader), 0 };
    images[1] = (bundled_image_t){ "app_v1", fwemu_bundled_app_v1,
                                   (size_t)(fwemu_bundled_app_v1_end - fwemu_bundled_app_v1), 1 };
    images[2] = (bundled_image_t){ "app_v2", fwemu_bundled_app_v2,
                                   (size_t)(fwemu_bundled_app_v2_end - fwemu_bundled_app_v2), 2 };
    images[3] = (bundled_image_t){ "app_v3", fwemu_bundled_app_v3,
                                   (size_t)(fwemu_bundled_app_v3_end - fwemu_bundled_app_v3), 3 };
    ready = 1;
}

size_t bundled_count(void) { return sizeof images / sizeof images[0]; }

const bundled_image_t *bundled_get(size_t i)
{
    init();
    return i < bundled_count() ? &images[i] : NULL;
}

const bundled_image_t *bundled_find(const char *name)
{
    init();
    for (size_t i = 0; i < bundled_count(); i++)
        if (strcmp(images[i].name, name) == 0)
            return &images[i];
    return NULL;
}
