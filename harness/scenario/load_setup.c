/*
 * The schema walk, part 1: device settings and the setup (flash contents, slots). Contract in
 * load_int.h; the format in scenarios/README.md.
 */
#include "scenario/load_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bundled.h"

void scn_region_range(const fw_layout_t *l, scn_region_t r, uint32_t *a, uint32_t *b)
{
    uint32_t pay = l->candidate_start + l->candidate_payload_offset;
    switch (r) {
    case SCN_REGION_BOOTLOADER: *a = l->bootloader_start; *b = l->bootloader_start + l->bootloader_size; return;
    case SCN_REGION_ACTIVE_HEADER: *a = l->active_header; *b = l->app_start; return;
    case SCN_REGION_ACTIVE_APP: *a = l->app_start; *b = l->app_start + l->app_max_size; return;
    case SCN_REGION_KVSTORE: *a = l->kvstore_start; *b = l->kvstore_start + l->kvstore_size; return;
    case SCN_REGION_CANDIDATE_HEADER: *a = l->candidate_start; *b = pay; return;
    case SCN_REGION_CANDIDATE_PAYLOAD: *a = pay; *b = l->candidate_start + l->candidate_size; return;
    case SCN_REGION_ACTIVE: *a = l->active_header; *b = l->app_start + l->app_max_size; return;
    case SCN_REGION_CANDIDATE: *a = l->candidate_start; *b = l->candidate_start + l->candidate_size; return;
    default: *a = l->flash_base; *b = l->flash_base + l->flash_size; return;
    }
}

/* A bundled application by name (the images a slot or stage may hold). */
static const bundled_image_t *ld_find_app(const char *name)
{
    const bundled_image_t *b = bundled_find(name);
    return b && b->kind == BUNDLED_APP ? b : NULL;
}

static void ld_app_list(char *out, size_t n)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < bundled_count() && o < n; i++) {
        const bundled_image_t *b = bundled_get(i);
        if (b && b->kind == BUNDLED_APP) {
            int w = snprintf(out + o, n - o, "%s%s", o ? ", " : "", b->name);
            if (w < 0)
                break;
            o += (size_t)w;
        }
    }
}

int ld_get_app_image(ctx_t *c, const ynode_t *k, const ynode_t *v, char **out, const bundled_image_t **img)
{
    if (ld_get_str(c, k, v, out))
        return c->rc;
    *img = ld_find_app(*out);
    if (!*img) {
        char list[256], t[80];
        ld_app_list(list, sizeof list);
        return ld_err_at(c, v, "'%s': no bundled application '%s' (bundled: %s; use 'file' for your own)", KEY(k),
                      ld_shown(v, t), list);
    }
    return 0;
}

/* ---- device ------------------------------------------------------------------------------------ */

/* device.layout: a bundled name or a layout file relative to the scenario file. */
static int parse_layout(ctx_t *c, const ynode_t *x, const char *arg)
{
    char dir[1024], msg[512] = "";
    snprintf(dir, sizeof dir, "%s", c->path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    if (fw_layout_resolve(arg, dir, &c->l, msg, sizeof msg))
        return ld_err_at(c, x, "'layout': %s", msg);
    if (c->l.header_format != FW_HDR_V2)
        return ld_err_at(c, x, "'layout': '%s' uses the %s header format; scenarios run v2 header layouts only "
                         "(so far)", c->l.name, fw_hdr_format_name(c->l.header_format));
    return 0;
}

int ld_parse_device(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    static const char *const keys[] = { "seed", "ram_fill", "watchdog", "unmapped", "flash", "bootloader", "layout",
                                        NULL };
    static const char *const fkeys[] = { "program_time", "erase_sector_time", "erase_block_time", "on_reprogram",
                                         "sector_size", "program_unit", NULL };
    static const char *const ram_fill[] = { "zero", "random", "retain", NULL };
    static const char *const unmapped[] = { "raz", "fault", NULL };
    static const char *const reprogram[] = { "and", "corrupt", NULL };
    scn_device_t *d = &c->s->device;
    const ynode_t *kn, *x;
    d->pos = ld_pos_of(k);
    if (ld_check_map(c, k, v, "device", keys))
        return c->rc;
    if ((x = ld_get(v, "seed", &kn)) && ld_get_num(c, kn, x, 0, UINT64_MAX, &d->seed) == 0)
        d->has_seed = true;
    int e = 0;
    if ((x = ld_get(v, "ram_fill", &kn)) && ld_get_enum(c, kn, x, ram_fill, &e) == 0)
        d->ram_fill = e == 0 ? EMU_RAM_ZERO : e == 1 ? EMU_RAM_RANDOM : EMU_RAM_RETAIN;
    bool b = false;
    if ((x = ld_get(v, "watchdog", &kn)) && ld_get_bool(c, kn, x, &b) == 0)
        d->watchdog = b;
    if ((x = ld_get(v, "unmapped", &kn)) && ld_get_enum(c, kn, x, unmapped, &e) == 0)
        d->unmapped = e == 0 ? EMU_UNMAPPED_RAZ_WI : EMU_UNMAPPED_BUSFAULT;
    if ((x = ld_get(v, "bootloader", &kn)) && ld_get_str(c, kn, x, &d->bootloader) == 0 &&
        !strncmp(d->bootloader, "bundled:", 8)) {
        const char *variant = d->bootloader + 8;
        if (!*variant || !bundled_find_bootloader(variant) || !strcmp(variant, "bootloader")) {
            char list[512] = "";
            size_t o = 0;
            for (size_t i = 0; i < bundled_count() && o < sizeof list; i++) {
                const bundled_image_t *bi = bundled_get(i);
                if (bi && bi->kind == BUNDLED_BOOTLOADER && bi->variant) {
                    int w = snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", bi->variant);
                    if (w < 0)
                        break;
                    o += (size_t)w;
                }
            }
            char t[80];
            return ld_err_at(c, x, "'bootloader': no bundled variant '%s' (expected bundled, a file, or bundled:<variant> "
                          "with one of: %s)", ld_shown(x, t), list);
        }
    }
    if ((x = ld_get(v, "layout", &kn)) && ld_get_str(c, kn, x, &d->layout) == 0 && !c->override &&
        parse_layout(c, x, d->layout))
        return c->rc;
    const ynode_t *fk, *f = ld_get(v, "flash", &fk);
    if (!f || c->rc)
        return c->rc;
    if (ld_check_map(c, fk, f, "flash", fkeys))
        return c->rc;
    if ((x = ld_get(f, "program_time", &kn)))
        ld_get_dur(c, kn, x, &d->program_time_ns);
    if ((x = ld_get(f, "erase_sector_time", &kn)))
        ld_get_dur(c, kn, x, &d->erase_sector_time_ns);
    if ((x = ld_get(f, "erase_block_time", &kn)))
        ld_get_dur(c, kn, x, &d->erase_block_time_ns);
    if ((x = ld_get(f, "on_reprogram", &kn)) && ld_get_enum(c, kn, x, reprogram, &e) == 0)
        d->on_reprogram = e == 0 ? FLASH_REPROGRAM_AND : FLASH_REPROGRAM_CORRUPT;
    uint64_t n = 0;
    const ynode_t *uk, *u = ld_get(f, "program_unit", &uk);
    if (u && ld_get_size(c, uk, u, 1, 4096, &n) == 0) {
        if (n & (n - 1))
            return ld_err_at(c, u, "'program_unit' must be a power of two (got %" PRIu64 ")", n);
        d->program_unit = (uint32_t)n;
    }
    if ((x = ld_get(f, "sector_size", &kn)) && ld_get_size(c, kn, x, 1, 32768, &n) == 0) {
        uint32_t unit = d->program_unit ? d->program_unit : 8;
        if (n & (n - 1))
            return ld_err_at(c, x, "'sector_size' must be a power of two (got %" PRIu64 ")", n);
        if (n < unit)
            return ld_err_at(c, x, "'sector_size' (%" PRIu64 ") is smaller than the program unit (%u)", n, unit);
        d->sector_size = (uint32_t)n;
    }
    return c->rc;
}

/* ---- setup --------------------------------------------------------------------------------------- */

int ld_parse_hdr_override(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_header_override_t *h)
{
    static const char *const keys[] = { "magic", "header_version", "size", "digest", "crc", "signature_size", NULL };
    const ynode_t *kn, *x;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    if (ld_check_map(c, k, v, "header", keys))
        return c->rc;
    if (v->n == 0)
        return ld_err_at(c, v, "'header' is empty (give the fields to override: %s)",
                      "magic, header_version, size, digest, crc, signature_size");
    if ((x = ld_get(v, "magic", &kn)) && ld_get_u32(c, kn, x, 0, &u32) == 0)
        h->has_magic = true, h->magic = u32;
    if ((x = ld_get(v, "header_version", &kn)) && ld_get_u32(c, kn, x, 0, &u32) == 0)
        h->has_header_version = true, h->header_version = u32;
    if ((x = ld_get(v, "size", &kn)) && ld_get_size(c, kn, x, 0, UINT64_MAX, &u64) == 0)
        h->has_size = true, h->size = u64;
    if ((x = ld_get(v, "digest", &kn)) && ld_get_hex_fixed(c, kn, x, h->digest, 32, "a SHA-256") == 0)
        h->has_digest = true;
    if ((x = ld_get(v, "crc", &kn)) && ld_get_u32(c, kn, x, 0, &u32) == 0)
        h->has_crc = true, h->crc = u32;
    if ((x = ld_get(v, "signature_size", &kn)) && ld_get_u32(c, kn, x, 0, &u32) == 0)
        h->has_sigsize = true, h->signature_size = u32;
    return c->rc;
}

/* image/file + version: shared by setup slots and stage steps. */
int ld_parse_source(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, char **image, char **file,
                        bool *has_version, uint64_t *version, const bundled_image_t **img)
{
    const ynode_t *ik, *iv = ld_get(v, "image", &ik), *fk, *fv = ld_get(v, "file", &fk), *vk, *vv = ld_get(v, "version", &vk);
    *img = NULL;
    if (iv && fv)
        return ld_err_at(c, fk, "'image' and 'file' exclude each other in '%s'", what);
    if (!iv && !fv)
        return ld_err_at(c, k, "'%s' needs 'image' (a bundled application) or 'file' (a path)", what);
    if (iv && ld_get_app_image(c, ik, iv, image, img))
        return c->rc;
    if (fv && ld_get_str(c, fk, fv, file))
        return c->rc;
    if (vv && ld_get_num(c, vk, vv, 0, UINT64_MAX, version) == 0)
        *has_version = true;
    return c->rc;
}

static int parse_slot(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, scn_slot_t *slot,
                      uint32_t max_body)
{
    static const char *const keys[] = { "image", "file", "version", "header", "no_header", NULL };
    const ynode_t *kn, *x;
    const bundled_image_t *img = NULL;
    slot->pos = ld_pos_of(k);
    if (ld_check_map(c, k, v, what, keys))
        return c->rc;
    slot->present = true;
    if (ld_parse_source(c, k, v, what, &slot->image, &slot->file, &slot->has_version, &slot->version, &img))
        return c->rc;
    if (img && img->size > max_body)
        return ld_err_at(c, ld_get(v, "image", NULL), "'image': %s is %zu bytes; the %s slot holds %u", img->name,
                      img->size, what, max_body);
    if ((x = ld_get(v, "no_header", &kn)))
        ld_get_bool(c, kn, x, &slot->no_header);
    const ynode_t *hk, *h = ld_get(v, "header", &hk);
    if (h && !c->rc) {
        if (slot->no_header)
            return ld_err_at(c, hk, "'header' overrides a header that 'no_header: true' leaves out");
        ld_parse_hdr_override(c, hk, h, &slot->hdr);
    }
    if (!c->rc && slot->file && !slot->has_version && !slot->no_header)
        return ld_err_at(c, ld_get(v, "file", NULL), "'%s' with 'file' needs 'version' (the header's firmwareVersion)", what);
    return c->rc;
}

int ld_parse_setup(ctx_t *c, const ynode_t *k, const ynode_t *v)
{
    static const char *const keys[] = { "flash", "active", "candidate", NULL };
    static const char *const bases[] = { "images", "erased", NULL };
    static const char *const dump_keys[] = { "dump", NULL };
    scn_setup_t *su = &c->s->setup;
    const ynode_t *kn, *x;
    su->pos = ld_pos_of(k);
    if (ld_check_map(c, k, v, "setup", keys))
        return c->rc;
    const ynode_t *fk, *f = ld_get(v, "flash", &fk);
    if (f && f->type == YN_MAP) {
        if (ld_check_map(c, fk, f, "flash", dump_keys))
            return c->rc;
        if (!(x = ld_get(f, "dump", &kn)))
            return ld_missing(c, fk, f, "flash", "dump");
        if (ld_get_str(c, kn, x, &su->dump))
            return c->rc;
        su->base = SCN_BASE_DUMP;
    } else if (f) {
        int e = 0;
        char b[96];
        if (f->type != YN_SCALAR)
            return ld_err_at(c, f, "'flash' must be images, erased or {dump: FILE} (got %s)", ld_kind_of(f, b));
        if (ld_get_enum(c, fk, f, bases, &e))
            return c->rc;
        su->base = e == 0 ? SCN_BASE_IMAGES : SCN_BASE_ERASED;
    }
    const ynode_t *ak, *a = ld_get(v, "active", &ak), *ck, *cv = ld_get(v, "candidate", &ck);
    if (su->base == SCN_BASE_ERASED && (a || cv))
        return ld_err_at(c, a ? ak : ck, "'%s' cannot be used with 'flash: erased' (all of flash stays erased; use "
                      "'flash: images' for a bootloader plus slots)", a ? "active" : "candidate");
    if (a && parse_slot(c, ak, a, "active", &su->active, c->l.app_max_size))
        return c->rc;
    if (cv && parse_slot(c, ck, cv, "candidate", &su->candidate, fw_layout_candidate_max(&c->l)))
        return c->rc;
    return c->rc;
}
