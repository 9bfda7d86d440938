/* Layout files: JSON objects keyed by Mbed's configuration names, in and out (layout.h). */
#include "codec/layout.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codec/input.h"
#include "fileio.h"

#define seterr fileio_seterr

/* The integer keys, in the order `fwemu layout --json` prints them. */
static const struct lkey {
    const char *key;
    size_t off;
    bool optional;
    uint32_t dflt;
} lkeys[] = {
    { "target.mbed_rom_start", offsetof(fw_layout_t, flash_base), true, 0 },
    { "target.mbed_rom_size", offsetof(fw_layout_t, flash_size), true, 0x100000 },
    { "flash.sector-size", offsetof(fw_layout_t, sector_size), true, 0x1000 },
    { "mbed-bootloader.bootloader-size", offsetof(fw_layout_t, bootloader_size), false, 0 },
    { "update-client.application-details", offsetof(fw_layout_t, active_header), false, 0 },
    { "mbed-bootloader.active-header-region-size", offsetof(fw_layout_t, active_header_size), true, 0 },
    { "mbed-bootloader.application-start-address", offsetof(fw_layout_t, app_start), false, 0 },
    { "mbed-bootloader.max-application-size", offsetof(fw_layout_t, app_max_size), false, 0 },
    { "storage_tdb_internal.internal_base_address", offsetof(fw_layout_t, kvstore_start), false, 0 },
    { "storage_tdb_internal.internal_size", offsetof(fw_layout_t, kvstore_size), false, 0 },
    { "update-client.storage-address", offsetof(fw_layout_t, candidate_start), false, 0 },
    { "update-client.storage-size", offsetof(fw_layout_t, candidate_size), false, 0 },
    { "update-client.storage-page", offsetof(fw_layout_t, program_unit), true, 8 },
};
#define N_LKEYS (sizeof lkeys / sizeof lkeys[0])

static void put(fw_layout_t *l, size_t i, uint32_t v)
{
    memcpy((char *)l + lkeys[i].off, &v, sizeof v);
}

static uint32_t get(const fw_layout_t *l, size_t i)
{
    uint32_t v;
    memcpy(&v, (const char *)l + lkeys[i].off, sizeof v);
    return v;
}

/* A JSON number or a string "0x..." / decimal, 0 .. 0xFFFFFFFF. */
static bool json_u32(const json_t *v, uint32_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > 0xFFFFFFFFll)
            return false;
        *out = (uint32_t)i;
        return true;
    }
    if (!json_is_string(v) || !*json_string_value(v))
        return false;
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    unsigned long long u = strtoull(s, &end, 0);
    if (errno || *end || s[0] == '-' || u > 0xFFFFFFFFull)
        return false;
    *out = (uint32_t)u;
    return true;
}

static void stem(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t len = strlen(b);
    if (len > 5 && !strcmp(b + len - 5, ".json"))
        len -= 5;
    if (len >= n)
        len = n - 1;
    memcpy(out, b, len);
    out[len] = 0;
}

static int from_json(const char *path, json_t *o, fw_layout_t *l, char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        bool known = !strcmp(k, "name") || !strcmp(k, "header-format");
        for (size_t i = 0; i < N_LKEYS && !known; i++)
            known = !strcmp(k, lkeys[i].key);
        if (!known) {
            seterr(err, errlen, "%s: unknown key \"%s\"", path, k);
            return FW_LAYOUT_ERR_KEY;
        }
    }
    for (size_t i = 0; i < N_LKEYS; i++) {
        v = json_object_get(o, lkeys[i].key);
        if (!v && lkeys[i].optional) {
            put(l, i, lkeys[i].dflt);
            continue;
        }
        uint32_t u = 0;
        if (v && json_u32(v, &u))
            put(l, i, u);
        else {
            seterr(err, errlen, "%s: \"%s\": %s", path, lkeys[i].key,
                   v ? "not an integer 0..0xFFFFFFFF (a number or a \"0x...\" string)" : "missing");
            return FW_LAYOUT_ERR_KEY;
        }
    }
    v = json_object_get(o, "name");
    if (v && (!json_is_string(v) || !*json_string_value(v) ||
              strlen(json_string_value(v)) >= sizeof l->name)) {
        seterr(err, errlen, "%s: \"name\": a non-empty string of at most %zu characters", path,
               sizeof l->name - 1);
        return FW_LAYOUT_ERR_KEY;
    }
    if (v)
        strcpy(l->name, json_string_value(v));
    else
        stem(path, l->name, sizeof l->name);
    v = json_object_get(o, "header-format");
    if (v && (!json_is_string(v) || fw_hdr_format_parse(json_string_value(v), &l->header_format))) {
        seterr(err, errlen, "%s: \"header-format\": \"v2\" or \"fota\"", path);
        return FW_LAYOUT_ERR_KEY;
    }
    int rc = fw_layout_validate(l, err, errlen);
    if (rc) {   /* prefix the file */
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s", err ? err : "");
        seterr(err, errlen, "%s: %s", path, tmp);
    }
    return rc;
}

int fw_layout_load(const char *path, fw_layout_t *l, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    if (input_read_file(path, 1 << 20, &buf, &len, err, errlen))
        return FW_LAYOUT_ERR_IO;
    json_error_t je;
    json_t *o = json_loadb((const char *)buf, len, 0, &je);
    free(buf);
    if (!o || !json_is_object(o)) {
        if (o)
            seterr(err, errlen, "%s: a layout file is one JSON object", path);
        else
            seterr(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        json_decref(o);
        return FW_LAYOUT_ERR_SYNTAX;
    }
    memset(l, 0, sizeof *l);
    int rc = from_json(path, o, l, err, errlen);
    json_decref(o);
    return rc;
}

char *fw_layout_to_json(const fw_layout_t *l)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "name", json_string(l->name));
    json_object_set_new(o, "header-format", json_string(fw_hdr_format_name(l->header_format)));
    for (size_t i = 0; i < N_LKEYS; i++) {
        char hex[16];
        snprintf(hex, sizeof hex, "0x%X", get(l, i));
        json_object_set_new(o, lkeys[i].key, json_string(hex));
    }
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}
