/* The bundled firmware images linked into fwemu (raw binaries from the firmware build). */
#ifndef FWEMU_BUNDLED_H
#define FWEMU_BUNDLED_H
#include <stddef.h>
#include <stdint.h>

typedef enum bundled_kind {
    BUNDLED_BOOTLOADER = 0,    /* linked at flash 0 */
    BUNDLED_APP = 1,           /* linked at the application start (0x8400), no header */
} bundled_kind_t;

/* Names: "bootloader" (the reference bootloader), "bootloader_<variant>" for each deliberately
 * broken variant (firmware/README.md "Broken bootloader variants"), "<family>_v<version>" for the
 * applications: family "app" (v1..v3, ~34 KiB with the update client) and "app64" (v1, v2, ~63 KiB: the app plus a
  * 29 KiB constant table). */
typedef struct bundled_image {
    const char *name;
    const uint8_t *data;
    size_t size;
    uint32_t version;          /* app version compiled in (0 for bootloaders) */
    bundled_kind_t kind;
    const char *variant;       /* bootloaders: NULL for the reference one, else the bug name
                                * ("header_first", ...: name = "bootloader_" variant); apps: NULL */
    const char *family;        /* apps: "app" or "app64" (name = family "_v" version); else NULL */
    const char *summary;       /* one line for listings */
} bundled_image_t;

/* NULL when no image has that name. */
const bundled_image_t *bundled_find(const char *name);
size_t bundled_count(void);
const bundled_image_t *bundled_get(size_t i);   /* 0 <= i < bundled_count(), else NULL */

/* The bootloader with this variant: NULL or "" = the reference bootloader. NULL if unknown. */
const bundled_image_t *bundled_find_bootloader(const char *variant);
/* The application of this family ("app", "app64") and version. NULL if there is none. */
const bundled_image_t *bundled_find_app(const char *family, uint32_t version);
/* The development signing key (PEM, private; the bundled apps trust its public half), with its
 * terminating NUL counted in *len (what mbedtls_pk_parse_key expects). A TEST key. */
const uint8_t *bundled_dev_key(size_t *len);
#endif
