#include "codec/bundled.h"

#include <pthread.h>
#include <string.h>

/* Symbols from bundled_fw.S (harness/codec/bundled_fw.S.in): one .incbin per firmware .bin. */
#define BUNDLED_SYMS(sym) extern const uint8_t fwemu_bundled_##sym[], fwemu_bundled_##sym##_end[]
BUNDLED_SYMS(bootloader);
BUNDLED_SYMS(bootloader_erase_candidate_early);
BUNDLED_SYMS(bootloader_header_first);
BUNDLED_SYMS(bootloader_no_verify);
BUNDLED_SYMS(bootloader_no_size_bound);
BUNDLED_SYMS(bootloader_no_watchdog_refresh);
BUNDLED_SYMS(app_v1);
BUNDLED_SYMS(app_v2);
BUNDLED_SYMS(app_v3);
BUNDLED_SYMS(app64_v1);
BUNDLED_SYMS(app64_v2);

/* .size is filled in by init() from the end symbols. */
#define BOOTLOADER(sym, variant_, summary_)                                                    \
    { .name = #sym, .data = fwemu_bundled_##sym, .version = 0, .kind = BUNDLED_BOOTLOADER,       \
      .variant = variant_, .family = NULL, .summary = summary_ }
#define APP(family_, v, summary_)                                                              \
    { .name = #family_ "_v" #v, .data = fwemu_bundled_##family_##_v##v, .version = v,            \
      .kind = BUNDLED_APP, .variant = NULL, .family = #family_, .summary = summary_ }

static bundled_image_t images[] = {
    BOOTLOADER(bootloader, NULL, "reference bootloader (power-loss safe install)"),
    BOOTLOADER(bootloader_erase_candidate_early, "erase_candidate_early",
               "BROKEN: erases the candidate after the copy, before verify + header"),
    BOOTLOADER(bootloader_header_first, "header_first",
               "BROKEN: header before body, boot trusts a valid header (no body hash)"),
    BOOTLOADER(bootloader_no_verify, "no_verify",
               "BROKEN: installs the candidate without checking its SHA-256 first"),
    BOOTLOADER(bootloader_no_size_bound, "no_size_bound",
               "BROKEN: trusts firmwareSize, no bound against the slot"),
    BOOTLOADER(bootloader_no_watchdog_refresh, "no_watchdog_refresh",
               "BROKEN: no watchdog refresh during erase + copy"),
    APP(app, 1, "application v1"),
    APP(app, 2, "application v2"),
    APP(app, 3, "application v3"),
    APP(app64, 1, "application v1 (with update client) + 29 KiB table (~63 KiB)"),
    APP(app64, 2, "application v2 (with update client) + 29 KiB table (~63 KiB)"),
};

static const uint8_t *const ends[] = {
    fwemu_bundled_bootloader_end,
    fwemu_bundled_bootloader_erase_candidate_early_end,
    fwemu_bundled_bootloader_header_first_end,
    fwemu_bundled_bootloader_no_verify_end,
    fwemu_bundled_bootloader_no_size_bound_end,
    fwemu_bundled_bootloader_no_watchdog_refresh_end,
    fwemu_bundled_app_v1_end,
    fwemu_bundled_app_v2_end,
    fwemu_bundled_app_v3_end,
    fwemu_bundled_app64_v1_end,
    fwemu_bundled_app64_v2_end,
};
_Static_assert(sizeof ends / sizeof ends[0] == sizeof images / sizeof images[0],
               "one end symbol per bundled image");

/* The sizes come from the linker (end - start), once, whichever thread asks first (a sweep's
 * workers all do). */
static pthread_once_t sized = PTHREAD_ONCE_INIT;

static void size_images(void)
{
    for (size_t i = 0; i < sizeof images / sizeof images[0]; i++)
        images[i].size = (size_t)(ends[i] - images[i].data);
}

static void init(void)
{
    pthread_once(&sized, size_images);
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
    for (size_t i = 0; name && i < bundled_count(); i++)
        if (strcmp(images[i].name, name) == 0)
            return &images[i];
    return NULL;
}

const bundled_image_t *bundled_find_bootloader(const char *variant)
{
    init();
    for (size_t i = 0; i < bundled_count(); i++) {
        const bundled_image_t *b = &images[i];
        if (b->kind != BUNDLED_BOOTLOADER)
            continue;
        if ((!variant || !variant[0]) ? b->variant == NULL
                                      : (b->variant && strcmp(b->variant, variant) == 0))
            return b;
    }
    return NULL;
}

const bundled_image_t *bundled_find_app(const char *family, uint32_t version)
{
    init();
    for (size_t i = 0; family && i < bundled_count(); i++) {
        const bundled_image_t *b = &images[i];
        if (b->kind == BUNDLED_APP && b->version == version && strcmp(b->family, family) == 0)
            return b;
    }
    return NULL;
}

extern const uint8_t fwemu_bundled_dev_key[], fwemu_bundled_dev_key_end[];

const uint8_t *bundled_dev_key(size_t *len)
{
    *len = (size_t)(fwemu_bundled_dev_key_end - fwemu_bundled_dev_key);
    return fwemu_bundled_dev_key;
}
