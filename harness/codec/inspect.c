/*
 * Flash dump decoder and the bootloader's verdict: see inspect.h for the rules.
 *
 * JSON shape (inspect_to_json), snake_case keys; quantities and addresses are numbers, magic
 * values and CRCs "0x%08x" strings, hashes lowercase hex strings; a u64 above 2^63-1 (JSON
 * integers are signed in jansson) is written as a decimal string:
 * {
 *   "file": "flash.bin", "size": 1048576, "flash_size": 1048576, "layout": "mbed-classic",
 *   "regions": [ {"name": "bootloader", "start": 0, "end": 32768, "size": 32768,
 *                 "erased": false, "used": 24576}, ... ],
 *   "active": {
 *     "header_address": 32768, "body_address": 33792, "body_max": 523264,
 *     "format": "v2" | "v3" | "erased" | "unknown", "present": true,
 *     -- v2 --
 *     "magic": "0x5a51b3d4", "header_version": 2, "version": 1, "size": 12288, "size_ok": true,
 *     "digest": "<hex of the header's SHA-256>", "digest_computed": "<hex>" | null,
 *     "digest_ok": true, "campaign": "<hex>", "signature_size": 0,
 *     "crc": "0xfe6232b7", "crc_computed": "0xfe6232b7", "crc_ok": true,
 *     -- v3 --
 *     "version": ..., "semver": "1.2.3" | null, "size": ..., "digest": "<hex>", "flags": 0,
 *     "external_header_size": 0, "block_size": 0, "precursor": "<hex>", "footer_ok": true,
 *     --
 *     "status": "valid" | "invalid" | "absent" (candidate slot erased),
 *     "valid": true, "reason": null | "digest mismatch ..."
 *   },
 *   "candidate": { ... the same keys, plus "newer": true | false | null },
 *   "decision": {"action": "boot" | "install" | "ignore" | "none",
 *                "version": <the version that runs afterwards> | null, "text": "..."}
 * }
 */
#include "codec/inspect.h"
#include "fileio.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codec/image.h"


const char *inspect_strerror(int err)
{
    switch (err) {
    case INSPECT_OK: return "ok";
    case INSPECT_ERR_IO: return "cannot read the dump";
    case INSPECT_ERR_SIZE: return "dump size differs from the flash size";
    case INSPECT_ERR_NOMEM: return "out of memory";
    case INSPECT_ERR_ARG: return "bad argument";
    case INSPECT_ERR_HEADER_FORMAT: return "header format not supported";
    default: return "unknown inspect error";
    }
}

const char *inspect_action_name(inspect_action_t a)
{
    switch (a) {
    case INSPECT_ACT_BOOT: return "boot";
    case INSPECT_ACT_INSTALL: return "install";
    case INSPECT_ACT_IGNORE: return "ignore";
    case INSPECT_ACT_NONE: return "none";
    }
    return "?";
}

static const char *format_name(mbed_hdr_format_t f)
{
    switch (f) {
    case MBED_HDR_FMT_V2: return "v2";
    case MBED_HDR_FMT_V3: return "v3";
    case MBED_HDR_FMT_ERASED: return "erased";
    case MBED_HDR_FMT_UNKNOWN: break;
    }
    return "unknown";
}

static void hex(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* v3 version packing: 1<<55 | major<<40 | minor<<16 | patch (mbed-update-design.md section 2). */
static bool v3_semver(uint64_t v, char *out, size_t n)
{
    if (!(v >> 55 & 1))
        return false;
    snprintf(out, n, "%u.%u.%u", (unsigned)(v >> 40 & 0x7fff), (unsigned)(v >> 16 & 0xffffff),
             (unsigned)(v & 0xffff));
    return true;
}

static void check_slot(const fw_layout_t *l, const uint8_t *flash, inspect_slot_t *s)
{
    const uint8_t *hp = flash + (s->header_addr - l->flash_base);
    size_t room = l->flash_size - (s->header_addr - l->flash_base);

    s->format = mbed_hdr_detect(hp, room);
    s->present = s->format != MBED_HDR_FMT_ERASED;
    s->valid = false;
    switch (s->format) {
    case MBED_HDR_FMT_ERASED:
        snprintf(s->reason, sizeof s->reason, "slot erased");
        return;
    case MBED_HDR_FMT_UNKNOWN:
        snprintf(s->reason, sizeof s->reason, "no header (unknown bytes %02x %02x %02x %02x)",
                 hp[0], hp[1], hp[2], hp[3]);
        return;
    case MBED_HDR_FMT_V3:
        s->v3_rc = mbed_hdr_v3_decode(hp, room, &s->v3);
        snprintf(s->reason, sizeof s->reason, "v3 (FOTA) header: the classic bootloader reads v2 only");
        return;
    case MBED_HDR_FMT_V2:
        break;
    }

    s->decode_rc = mbed_hdr_v2_decode(hp, room, &s->v2);
    s->crc_computed = mbed_hdr_crc32(hp, 108);
    s->crc_ok = s->crc_computed == s->v2.crc;
    uint64_t size = s->v2.firmware_size;
    s->size_ok = size > 0 && size <= s->body_max;
    if (s->size_ok) {
        image_sha256(flash + (s->body_addr - l->flash_base), (size_t)size, s->digest_computed);
        s->digest_checked = true;
        s->digest_ok = memcmp(s->digest_computed, s->v2.firmware_hash, MBED_HDR_HASH_SIZE) == 0;
    }

    if (s->decode_rc == MBED_HDR_ERR_VERSION)
        snprintf(s->reason, sizeof s->reason, "header version %" PRIu32 ", expected 2",
                 s->v2.header_version);
    else if (s->decode_rc == MBED_HDR_ERR_CRC)
        snprintf(s->reason, sizeof s->reason, "header CRC mismatch (stored 0x%08" PRIx32
                 ", computed 0x%08" PRIx32 ")", s->v2.crc, s->crc_computed);
    else if (s->decode_rc != MBED_HDR_OK)
        snprintf(s->reason, sizeof s->reason, "%s", mbed_hdr_strerror(s->decode_rc));
    else if (size == 0)
        snprintf(s->reason, sizeof s->reason, "empty (firmware size 0)");
    else if (!s->size_ok)
        snprintf(s->reason, sizeof s->reason, "firmware size %" PRIu64 " exceeds the slot (max %" PRIu32 ")",
                 size, s->body_max);
    else if (!s->digest_ok)
        snprintf(s->reason, sizeof s->reason, "digest mismatch (SHA-256 over %" PRIu64
                 " bytes at 0x%08" PRIx32 ")", size, s->body_addr);
    else {
        s->valid = true;
        s->reason[0] = '\0';
    }
}

static void decide(inspect_result_t *r)
{
    const inspect_slot_t *a = &r->active, *c = &r->candidate;
    bool cand_hdr = c->format == MBED_HDR_FMT_V2 && c->decode_rc == MBED_HDR_OK;
    uint64_t floor = a->valid ? a->v2.firmware_version : 0;
    r->candidate_newer = cand_hdr && c->v2.firmware_version > floor;
    bool install = r->candidate_newer && c->valid;
    uint64_t cv = c->v2.firmware_version, av = a->v2.firmware_version;

    if (install) {
        r->decision.action = INSPECT_ACT_INSTALL;
        r->decision.has_version = true;
        r->decision.version = cv;
        if (a->valid)
            snprintf(r->decision.text, sizeof r->decision.text,
                     "install candidate v%" PRIu64 " then boot it", cv);
        else
            snprintf(r->decision.text, sizeof r->decision.text,
                     "install candidate v%" PRIu64 " (active invalid)", cv);
    } else if (!a->valid) {
        r->decision.action = INSPECT_ACT_NONE;
        r->decision.has_version = false;
        r->decision.version = 0;
        snprintf(r->decision.text, sizeof r->decision.text, "no bootable image");
    } else if (cand_hdr && !r->candidate_newer) {
        r->decision.action = INSPECT_ACT_IGNORE;
        r->decision.has_version = true;
        r->decision.version = av;
        snprintf(r->decision.text, sizeof r->decision.text,
                 "ignore candidate (not newer), boot active v%" PRIu64, av);
    } else {
        r->decision.action = INSPECT_ACT_BOOT;
        r->decision.has_version = true;
        r->decision.version = av;
        snprintf(r->decision.text, sizeof r->decision.text, "boot active v%" PRIu64, av);
    }
}

int inspect_flash(const fw_layout_t *l, const uint8_t *flash, size_t size, const char *file,
                  inspect_result_t *out, char *err, size_t errlen)
{
    if (!l || !flash || !out) {
        fileio_seterr(err, errlen, "inspect_flash: missing layout, flash or result");
        return INSPECT_ERR_ARG;
    }
    const char *name = file && *file ? file : "flash dump";
    if (l->header_format != FW_HDR_V2) {
        fileio_seterr(err, errlen, "%s: layout '%s' uses the %s header format; inspect decodes v2 "
                      "headers only", name, l->name, fw_hdr_format_name(l->header_format));
        return INSPECT_ERR_HEADER_FORMAT;
    }
    if (size != l->flash_size) {
        fileio_seterr(err, errlen, "%s: %zu bytes, expected %" PRIu32 " (the flash size)", name, size,
               l->flash_size);
        return INSPECT_ERR_SIZE;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->file, sizeof out->file, "%s", file ? file : "");
    out->size = size;
    out->layout = *l;

    for (int i = 0; i < FW_REGION_COUNT; i++) {
        fw_region_t rg;
        inspect_region_t *ir = &out->regions[i];
        fw_layout_region_by_id(l, (fw_region_id_t)i, &rg);
        ir->name = rg.name;
        ir->start = rg.start;
        ir->end = rg.end;
        uint32_t last = 0;
        for (uint32_t a = rg.start; a < rg.end; a++)
            if (flash[a - l->flash_base] != 0xFF)
                last = a - rg.start + 1;
        ir->used = last;
        ir->erased = last == 0;
    }

    out->active.name = "active";
    out->active.header_addr = l->active_header;
    out->active.body_addr = l->app_start;
    out->active.body_max = l->app_max_size;
    check_slot(l, flash, &out->active);

    out->candidate.name = "candidate";
    out->candidate.header_addr = l->candidate_start;
    out->candidate.body_addr = l->candidate_start + l->candidate_payload_offset;
    out->candidate.body_max = fw_layout_candidate_max(l);
    check_slot(l, flash, &out->candidate);

    decide(out);
    return INSPECT_OK;
}

int inspect_file(const char *path, const fw_layout_t *l, inspect_result_t *out, char *err,
                 size_t errlen)
{
    uint8_t *buf;
    size_t n;
    int rc = image_read_file(path, IMAGE_MAX_FILE, &buf, &n, err, errlen);
    if (rc == IMAGE_ERR_NOMEM)
        return INSPECT_ERR_NOMEM;
    if (rc == IMAGE_ERR_SIZE) {
        fileio_seterr(err, errlen, "%s: more than %u bytes, expected %" PRIu32 " (the flash size)", path,
               IMAGE_MAX_FILE, l->flash_size);
        return INSPECT_ERR_SIZE;
    }
    if (rc)
        return INSPECT_ERR_IO;
    rc = inspect_flash(l, buf, n, path, out, err, errlen);
    free(buf);
    return rc;
}

/* ---- text -------------------------------------------------------------------------------- */

static void print_slot_text(FILE *f, const inspect_slot_t *s, const inspect_result_t *r)
{
    char h[2 * 64 + 1];
    fprintf(f, "%s header @ 0x%08" PRIx32 ": %s\n", s->name, s->header_addr, format_name(s->format));
    if (s->format == MBED_HDR_FMT_V2) {
        const mbed_hdr_v2_t *v = &s->v2;
        fprintf(f, "  magic             0x%08" PRIx32 "\n", v->magic);
        fprintf(f, "  header version    %" PRIu32 "%s\n", v->header_version,
                v->header_version == MBED_HDR_V2_VERSION ? "" : " (expected 2)");
        fprintf(f, "  firmware version  %" PRIu64 "\n", v->firmware_version);
        fprintf(f, "  firmware size     %" PRIu64 " (max %" PRIu32 "): %s\n", v->firmware_size,
                s->body_max, s->size_ok ? "ok" : v->firmware_size == 0 ? "empty" : "too large");
        hex(h, v->firmware_hash, MBED_HDR_HASH_SIZE);
        fprintf(f, "  hash              %s\n", h);
        hex(h, v->campaign, sizeof v->campaign);
        fprintf(f, "  campaign          %s\n", h);
        fprintf(f, "  signature size    %" PRIu32 "\n", v->signature_size);
        fprintf(f, "  crc               stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ": %s\n",
                v->crc, s->crc_computed, s->crc_ok ? "ok" : "MISMATCH");
        if (s->digest_checked) {
            hex(h, s->digest_computed, 32);
            fprintf(f, "  digest            %s over %" PRIu64 " bytes @ 0x%08" PRIx32 ": %s\n", h,
                    v->firmware_size, s->body_addr, s->digest_ok ? "ok" : "MISMATCH");
        } else {
            fprintf(f, "  digest            not checked (size out of bounds)\n");
        }
    } else if (s->format == MBED_HDR_FMT_V3) {
        const mbed_hdr_v3_t *v = &s->v3;
        char sv[48];
        bool semver = v3_semver(v->version, sv, sizeof sv);
        fprintf(f, "  version           0x%016" PRIx64 "%s%s\n", v->version, semver ? " = " : "",
                semver ? sv : "");
        fprintf(f, "  firmware size     %" PRIu32 "\n", v->fw_size);
        hex(h, v->digest, 32);
        fprintf(f, "  digest            %s\n", h);
        fprintf(f, "  flags             0x%02x%s%s\n", v->flags, v->flags & 1 ? " encrypted" : "",
                v->flags & 2 ? " resume" : "");
        fprintf(f, "  ext header size   %u\n", (unsigned)v->external_header_size);
        fprintf(f, "  block size        %u\n", (unsigned)v->block_size);
        hex(h, v->precursor, 32);
        fprintf(f, "  precursor         %s\n", h);
        fprintf(f, "  footer            0x%08" PRIx32 ": %s\n", v->footer,
                v->footer == MBED_HDR_V3_MAGIC ? "ok" : "MISMATCH");
    }
    if (s == &r->candidate && s->format == MBED_HDR_FMT_V2 && s->decode_rc == MBED_HDR_OK)
        fprintf(f, "  newer             %s\n", r->candidate_newer ? "yes" : "no");
    if (s->valid)
        fprintf(f, "  verdict           valid\n");
    else
        fprintf(f, "  verdict           %s (%s)\n",
                s == &r->candidate && !s->present ? "absent" : "invalid", s->reason);
}

void inspect_print_text(FILE *f, const inspect_result_t *r)
{
    fprintf(f, "%s: %zu bytes\n", r->file[0] ? r->file : "flash dump", r->size);
    fprintf(f, "regions (layout %s):\n", r->layout.name);
    for (int i = 0; i < FW_REGION_COUNT; i++) {
        const inspect_region_t *g = &r->regions[i];
        fprintf(f, "  %-18s 0x%08" PRIx32 "-0x%08" PRIx32 " %8" PRIu32 " B  ", g->name, g->start,
                g->end, g->end - g->start);
        if (g->erased)
            fprintf(f, "erased\n");
        else
            fprintf(f, "used %" PRIu32 " B\n", g->used);
    }
    print_slot_text(f, &r->active, r);
    print_slot_text(f, &r->candidate, r);
    fprintf(f, "decision: %s\n", r->decision.text);
}

/* ---- JSON -------------------------------------------------------------------------------- */

static json_t *ju64(uint64_t v)
{
    if (v <= (uint64_t)INT64_MAX)
        return json_integer((json_int_t)v);
    char b[24];
    snprintf(b, sizeof b, "%" PRIu64, v);
    return json_string(b);
}

static json_t *jhex(const uint8_t *p, size_t n)
{
    char b[2 * 64 + 1];
    if (n > 64)
        n = 64;
    hex(b, p, n);
    return json_string(b);
}

static json_t *jx32(uint32_t v)
{
    char b[12];
    snprintf(b, sizeof b, "0x%08" PRIx32, v);
    return json_string(b);
}

/* A string that may not be UTF-8 (a file name): bytes >= 0x80 become '?' when it is not. */
static json_t *jstr_lossy(const char *str)
{
    json_t *j = json_string(str);
    if (j)
        return j;
    size_t n = strlen(str);
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        c[i] = (unsigned char)str[i] >= 0x80 ? '?' : str[i];
    j = json_string(c);
    free(c);
    return j;
}

/* json_object_set_new that remembers a failure (a NULL value or a failed insert). */
static void put(json_t *o, const char *k, json_t *v, int *bad)
{
    if (!v || json_object_set_new(o, k, v) != 0)
        *bad = 1;
}

static json_t *slot_json(const inspect_slot_t *s, const inspect_result_t *r, int *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = 1;
        return NULL;
    }
    put(o, "header_address", json_integer(s->header_addr), bad);
    put(o, "body_address", json_integer(s->body_addr), bad);
    put(o, "body_max", json_integer(s->body_max), bad);
    put(o, "format", json_string(format_name(s->format)), bad);
    put(o, "present", json_boolean(s->present), bad);
    if (s->format == MBED_HDR_FMT_V2) {
        const mbed_hdr_v2_t *v = &s->v2;
        put(o, "magic", jx32(v->magic), bad);
        put(o, "header_version", json_integer(v->header_version), bad);
        put(o, "version", ju64(v->firmware_version), bad);
        put(o, "size", ju64(v->firmware_size), bad);
        put(o, "size_ok", json_boolean(s->size_ok), bad);
        put(o, "digest", jhex(v->firmware_hash, MBED_HDR_HASH_SIZE), bad);
        put(o, "digest_computed", s->digest_checked ? jhex(s->digest_computed, 32) : json_null(), bad);
        put(o, "digest_ok", json_boolean(s->digest_ok), bad);
        put(o, "campaign", jhex(v->campaign, sizeof v->campaign), bad);
        put(o, "signature_size", json_integer(v->signature_size), bad);
        put(o, "crc", jx32(v->crc), bad);
        put(o, "crc_computed", jx32(s->crc_computed), bad);
        put(o, "crc_ok", json_boolean(s->crc_ok), bad);
    } else if (s->format == MBED_HDR_FMT_V3) {
        const mbed_hdr_v3_t *v = &s->v3;
        char sv[48];
        put(o, "version", ju64(v->version), bad);
        put(o, "semver", v3_semver(v->version, sv, sizeof sv) ? json_string(sv) : json_null(), bad);
        put(o, "size", json_integer(v->fw_size), bad);
        put(o, "digest", jhex(v->digest, 32), bad);
        put(o, "flags", json_integer(v->flags), bad);
        put(o, "external_header_size", json_integer(v->external_header_size), bad);
        put(o, "block_size", json_integer(v->block_size), bad);
        put(o, "precursor", jhex(v->precursor, 32), bad);
        put(o, "footer_ok", json_boolean(v->footer == MBED_HDR_V3_MAGIC), bad);
    }
    if (s == &r->candidate) {
        bool hdr = s->format == MBED_HDR_FMT_V2 && s->decode_rc == MBED_HDR_OK;
        put(o, "newer", hdr ? json_boolean(r->candidate_newer) : json_null(), bad);
    }
    put(o, "status", json_string(s->valid ? "valid" : s == &r->candidate && !s->present ? "absent"
                                                                                    : "invalid"), bad);
    put(o, "valid", json_boolean(s->valid), bad);
    put(o, "reason", s->valid ? json_null() : json_string(s->reason), bad);
    return o;
}

struct json_t *inspect_to_json(const inspect_result_t *r)
{
    int bad = 0;
    json_t *root = json_object();
    if (!root)
        return NULL;
    put(root, "file", jstr_lossy(r->file), &bad);
    put(root, "size", json_integer((json_int_t)r->size), &bad);
    put(root, "flash_size", json_integer(r->layout.flash_size), &bad);
    put(root, "layout", jstr_lossy(r->layout.name), &bad);
    json_t *regions = json_array();
    for (int i = 0; regions && i < FW_REGION_COUNT; i++) {
        const inspect_region_t *g = &r->regions[i];
        json_t *o = json_object();
        if (!o) {
            bad = 1;
            break;
        }
        put(o, "name", json_string(g->name), &bad);
        put(o, "start", json_integer(g->start), &bad);
        put(o, "end", json_integer(g->end), &bad);
        put(o, "size", json_integer(g->end - g->start), &bad);
        put(o, "erased", json_boolean(g->erased), &bad);
        put(o, "used", json_integer(g->used), &bad);
        if (json_array_append_new(regions, o) != 0)
            bad = 1;
    }
    put(root, "regions", regions, &bad);
    put(root, "active", slot_json(&r->active, r, &bad), &bad);
    put(root, "candidate", slot_json(&r->candidate, r, &bad), &bad);
    json_t *d = json_object();
    if (d) {
        put(d, "action", json_string(inspect_action_name(r->decision.action)), &bad);
        put(d, "version", r->decision.has_version ? ju64(r->decision.version) : json_null(), &bad);
        put(d, "text", json_string(r->decision.text), &bad);
    }
    put(root, "decision", d, &bad);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

int inspect_print_json(FILE *f, const inspect_result_t *r)
{
    json_t *j = inspect_to_json(r);
    if (!j)
        return INSPECT_ERR_NOMEM;
    int rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (rc != 0 || fputc('\n', f) == EOF)
        return INSPECT_ERR_IO;
    return INSPECT_OK;
}
