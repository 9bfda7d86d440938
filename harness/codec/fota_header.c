/* FOTA-era header codec: see fota_header.h for the layouts, their sources and the contracts. */
#include "codec/fota_header.h"

#include <string.h>

#include <mbedtls/sha256.h>

#include "mbed_header.h"

/* The layouts the header documents, as the compiler computes them from the target's structs. */
_Static_assert(offsetof(fota_hdr_ready_wire_t, comp_name) == 4, "ready comp_name at 4");
_Static_assert(offsetof(fota_hdr_ready_wire_t, footer) == 16, "ready footer at 16");
_Static_assert(sizeof(fota_hdr_ready_wire_t) == 20, "ready header is 20 bytes");
_Static_assert(offsetof(fota_hdr_v3_wire_t, fw_size) == 4, "v3 fw_size at 4");
_Static_assert(offsetof(fota_hdr_v3_wire_t, version) == 8, "v3 version at 8");
_Static_assert(offsetof(fota_hdr_v3_wire_t, digest) == 16, "v3 digest at 16");
_Static_assert(offsetof(fota_hdr_v3_wire_t, reserved) == 48, "v3 reserved at 48");
_Static_assert(offsetof(fota_hdr_v3_wire_t, internal_header_barrier) == 112, "v3 barrier at 112");
_Static_assert(offsetof(fota_hdr_v3_wire_t, flags) == 113, "v3 flags at 113");
_Static_assert(offsetof(fota_hdr_v3_wire_t, external_header_size) == 114, "v3 ext size at 114");
_Static_assert(offsetof(fota_hdr_v3_wire_t, block_size) == 116, "v3 block_size at 116");
_Static_assert(offsetof(fota_hdr_v3_wire_t, precursor) == 118, "v3 precursor at 118");
_Static_assert(offsetof(fota_hdr_v3_wire_t, footer) == 152, "v3 footer at 152");
_Static_assert(sizeof(fota_hdr_v3_wire_t) == 160, "v3 header is 160 bytes");
_Static_assert(FOTA_HDR_CAND_V3_OFFSET == 0x18 && FOTA_HDR_CAND_PAYLOAD_OFFSET == 0xB8,
               "candidate v3 header at 0x18, payload at 0xB8");

#define OFF(f) ((uint16_t)offsetof(fota_hdr_v3_wire_t, f))
#define RDY(f) ((uint16_t)offsetof(fota_hdr_ready_wire_t, f))
#define FSIZE(T, f) ((uint16_t)sizeof(((T *)0)->f))
#define V3SZ(f) FSIZE(fota_hdr_v3_wire_t, f)
#define RDYSZ(f) FSIZE(fota_hdr_ready_wire_t, f)
#define CV3 ((uint16_t)FOTA_HDR_CAND_V3_OFFSET)

const char *fota_hdr_strerror(int err)
{
    switch (err) {
    case FOTA_HDR_OK: return "ok";
    case FOTA_HDR_ERR_SHORT: return "truncated FOTA header (or body shorter than fw_size)";
    case FOTA_HDR_ERR_MAGIC: return "bad FOTA header magic (expected 0x5c0253a3)";
    case FOTA_HDR_ERR_FOOTER: return "bad FOTA header footer (expected 0x5c0253a3 at offset 152)";
    case FOTA_HDR_ERR_READY_MAGIC: return "bad candidate-ready magic (expected 0xfed54e01)";
    case FOTA_HDR_ERR_READY_FOOTER: return "bad candidate-ready footer (expected 0xfed54e01 at offset 16)";
    case FOTA_HDR_ERR_COMP_NAME: return "bad candidate component name (expected \"MAIN\", NUL-terminated)";
    case FOTA_HDR_ERR_SIZE: return "FOTA header fw_size out of range";
    case FOTA_HDR_ERR_STORAGE: return "candidate payload runs past the end of candidate storage";
    case FOTA_HDR_ERR_FLAGS: return "FOTA header flags: encrypted candidate not supported";
    case FOTA_HDR_ERR_BLOCK_SIZE: return "FOTA header block_size unusable (resume needs a non-zero multiple of 8)";
    case FOTA_HDR_ERR_DIGEST: return "FOTA header digest differs from the SHA-256 of the firmware";
    case FOTA_HDR_ERR_PRECURSOR: return "FOTA candidate precursor differs from the installed digest";
    case FOTA_HDR_ERR_VERSION: return "FOTA candidate version not newer than the installed one";
    case FOTA_HDR_ERR_ARG: return "bad argument";
    default: return "unknown FOTA header error";
    }
}

static void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}
static uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t get_le64(const uint8_t *p) { return get_le32(p) | ((uint64_t)get_le32(p + 4) << 32); }

/* ---- app header ---- */

void fota_hdr_app_init(fota_hdr_app_t *h, uint64_t version, uint32_t size,
                       const uint8_t digest[FOTA_HDR_HASH_SIZE])
{
    memset(h, 0, sizeof *h);
    h->magic = FOTA_HDR_MAGIC;
    h->fw_size = size;
    h->version = version;
    memcpy(h->digest, digest, FOTA_HDR_HASH_SIZE);
}

void fota_hdr_app_init_built(fota_hdr_app_t *h, uint32_t size, const uint8_t digest[FOTA_HDR_HASH_SIZE])
{
    fota_hdr_app_init(h, 0, size, digest);
    memcpy(h->reserved, digest, FOTA_HDR_HASH_SIZE);
}

/* The first 112 bytes are common to the app header and the v3 header. */
static void put_common(uint8_t *out, uint32_t magic, uint32_t size, uint64_t version,
                       const uint8_t *digest, const uint8_t *reserved)
{
    put_le32(out + OFF(magic), magic);
    put_le32(out + OFF(fw_size), size);
    put_le64(out + OFF(version), version);
    memcpy(out + OFF(digest), digest, FOTA_HDR_HASH_SIZE);
    memcpy(out + OFF(reserved), reserved, FOTA_HDR_RESERVED_SIZE);
}

void fota_hdr_app_encode(const fota_hdr_app_t *h, uint8_t out[FOTA_HDR_APP_SIZE])
{
    put_common(out, h->magic, h->fw_size, h->version, h->digest, h->reserved);
}

int fota_hdr_app_decode(const uint8_t *in, size_t len, fota_hdr_app_t *h)
{
    if (!in || !h)
        return FOTA_HDR_ERR_ARG;
    if (len < FOTA_HDR_APP_SIZE)
        return FOTA_HDR_ERR_SHORT;
    h->magic = get_le32(in + OFF(magic));
    h->fw_size = get_le32(in + OFF(fw_size));
    h->version = get_le64(in + OFF(version));
    memcpy(h->digest, in + OFF(digest), FOTA_HDR_HASH_SIZE);
    memcpy(h->reserved, in + OFF(reserved), FOTA_HDR_RESERVED_SIZE);
    return h->magic == FOTA_HDR_MAGIC ? FOTA_HDR_OK : FOTA_HDR_ERR_MAGIC;
}

int fota_hdr_app_validate(const fota_hdr_app_t *h, uint32_t min_size, uint32_t max_size)
{
    if (h->magic != FOTA_HDR_MAGIC)
        return FOTA_HDR_ERR_MAGIC;
    if (h->fw_size < min_size || h->fw_size > max_size)
        return FOTA_HDR_ERR_SIZE;
    return FOTA_HDR_OK;
}

int fota_hdr_check_digest(uint32_t fw_size, const uint8_t digest[FOTA_HDR_HASH_SIZE],
                          const uint8_t *body, size_t len)
{
    static const uint8_t empty[1];
    uint8_t got[FOTA_HDR_HASH_SIZE];
    if (len < fw_size)
        return FOTA_HDR_ERR_SHORT;
    mbedtls_sha256_ret(fw_size ? body : empty, fw_size, got, 0);
    return memcmp(got, digest, FOTA_HDR_HASH_SIZE) ? FOTA_HDR_ERR_DIGEST : FOTA_HDR_OK;
}

/* ---- candidate-ready header ---- */

void fota_hdr_ready_init(fota_hdr_ready_t *r, const char *comp_name)
{
    memset(r, 0, sizeof *r);
    r->magic = FOTA_HDR_READY_MAGIC;
    r->footer = FOTA_HDR_READY_MAGIC;
    strncpy(r->comp_name, comp_name, FOTA_HDR_COMP_NAME_SIZE - 1);
}

void fota_hdr_ready_encode(const fota_hdr_ready_t *r, uint8_t out[FOTA_HDR_READY_SIZE])
{
    memset(out, 0, FOTA_HDR_READY_SIZE);
    put_le32(out + RDY(magic), r->magic);
    memcpy(out + RDY(comp_name), r->comp_name, FOTA_HDR_COMP_NAME_SIZE);
    put_le32(out + RDY(footer), r->footer);
}

int fota_hdr_ready_decode(const uint8_t *in, size_t len, fota_hdr_ready_t *r)
{
    if (!in || !r)
        return FOTA_HDR_ERR_ARG;
    if (len < FOTA_HDR_READY_SIZE)
        return FOTA_HDR_ERR_SHORT;
    r->magic = get_le32(in + RDY(magic));
    memcpy(r->comp_name, in + RDY(comp_name), FOTA_HDR_COMP_NAME_SIZE);
    r->comp_name[FOTA_HDR_COMP_NAME_SIZE] = '\0';
    r->footer = get_le32(in + RDY(footer));
    if (r->magic != FOTA_HDR_READY_MAGIC)
        return FOTA_HDR_ERR_READY_MAGIC;
    if (r->footer != FOTA_HDR_READY_MAGIC)
        return FOTA_HDR_ERR_READY_FOOTER;
    if (!memchr(in + RDY(comp_name), '\0', FOTA_HDR_COMP_NAME_SIZE))
        return FOTA_HDR_ERR_COMP_NAME;
    return FOTA_HDR_OK;
}

/* ---- fota_header_info_t v3 ---- */

void fota_hdr_v3_init(fota_hdr_v3_t *h, uint64_t version, uint32_t size,
                      const uint8_t digest[FOTA_HDR_HASH_SIZE],
                      const uint8_t precursor[FOTA_HDR_HASH_SIZE])
{
    memset(h, 0, sizeof *h);
    h->magic = FOTA_HDR_MAGIC;
    h->footer = FOTA_HDR_MAGIC;
    h->fw_size = size;
    h->version = version;
    memcpy(h->digest, digest, FOTA_HDR_HASH_SIZE);
    memcpy(h->precursor, precursor, FOTA_HDR_HASH_SIZE);
    h->external_header_size = (uint16_t)FOTA_HDR_V3_EXT_SIZE;
    h->block_size = FOTA_HDR_BLOCK_SIZE_DEFAULT;
}

void fota_hdr_v3_encode(const fota_hdr_v3_t *h, uint8_t out[FOTA_HDR_V3_SIZE])
{
    memset(out, 0, FOTA_HDR_V3_SIZE);
    put_common(out, h->magic, h->fw_size, h->version, h->digest, h->reserved);
    out[OFF(internal_header_barrier)] = h->internal_header_barrier;
    out[OFF(flags)] = h->flags;
    put_le16(out + OFF(external_header_size), h->external_header_size);
    put_le16(out + OFF(block_size), h->block_size);
    memcpy(out + OFF(precursor), h->precursor, FOTA_HDR_HASH_SIZE);
    put_le32(out + OFF(footer), h->footer);
}

int fota_hdr_v3_decode(const uint8_t *in, size_t len, fota_hdr_v3_t *h)
{
    if (!in || !h)
        return FOTA_HDR_ERR_ARG;
    if (len < FOTA_HDR_V3_SIZE)
        return FOTA_HDR_ERR_SHORT;
    h->magic = get_le32(in + OFF(magic));
    h->fw_size = get_le32(in + OFF(fw_size));
    h->version = get_le64(in + OFF(version));
    memcpy(h->digest, in + OFF(digest), FOTA_HDR_HASH_SIZE);
    memcpy(h->reserved, in + OFF(reserved), FOTA_HDR_RESERVED_SIZE);
    h->internal_header_barrier = in[OFF(internal_header_barrier)];
    h->flags = in[OFF(flags)];
    h->external_header_size = get_le16(in + OFF(external_header_size));
    h->block_size = get_le16(in + OFF(block_size));
    memcpy(h->precursor, in + OFF(precursor), FOTA_HDR_HASH_SIZE);
    h->footer = get_le32(in + OFF(footer));
    if (h->magic != FOTA_HDR_MAGIC)
        return FOTA_HDR_ERR_MAGIC;
    if (h->footer != FOTA_HDR_MAGIC)
        return FOTA_HDR_ERR_FOOTER;
    if (h->flags & FOTA_HDR_FLAG_ENCRYPTED)
        return FOTA_HDR_ERR_FLAGS;
    if ((h->flags & FOTA_HDR_FLAG_RESUME) &&
        (h->block_size == 0 || h->block_size % FOTA_HDR_K64F_PROG_SIZE))
        return FOTA_HDR_ERR_BLOCK_SIZE;
    return FOTA_HDR_OK;
}

size_t fota_hdr_payload_offset(uint16_t external_header_size, uint32_t prog_size)
{
    size_t prog = prog_size ? prog_size : 1;
    size_t ext = (size_t)external_header_size + FOTA_HDR_APP_SIZE;
    size_t hdr = ext > FOTA_HDR_V3_SIZE ? ext : FOTA_HDR_V3_SIZE;
    return FOTA_HDR_ALIGN_UP(FOTA_HDR_READY_SIZE, prog) + FOTA_HDR_ALIGN_UP(hdr, prog);
}

size_t fota_hdr_stored_payload_size(const fota_hdr_v3_t *h)
{
    if (!(h->flags & FOTA_HDR_FLAG_RESUME) || h->block_size <= 2)
        return h->fw_size;
    size_t data = (size_t)h->block_size - 2;
    size_t blocks = ((size_t)h->fw_size + data - 1) / data;
    return (size_t)h->fw_size + 2 * blocks;
}

/* ---- the candidate ---- */

void fota_hdr_candidate_init(fota_hdr_candidate_t *c, uint64_t version, uint32_t size,
                             const uint8_t digest[FOTA_HDR_HASH_SIZE],
                             const uint8_t precursor[FOTA_HDR_HASH_SIZE])
{
    memset(c, 0, sizeof *c);
    fota_hdr_ready_init(&c->ready, FOTA_HDR_MAIN_NAME);
    fota_hdr_v3_init(&c->info, version, size, digest, precursor);
    c->payload_offset = FOTA_HDR_CAND_PAYLOAD_OFFSET;
}

int fota_hdr_candidate_encode(const fota_hdr_candidate_t *c, uint8_t *out, size_t cap)
{
    if (!c || !out || cap < FOTA_HDR_CAND_PAYLOAD_OFFSET)
        return FOTA_HDR_ERR_ARG;
    memset(out, 0, FOTA_HDR_CAND_V3_OFFSET);
    fota_hdr_ready_encode(&c->ready, out);
    fota_hdr_v3_encode(&c->info, out + FOTA_HDR_CAND_V3_OFFSET);
    return (int)FOTA_HDR_CAND_PAYLOAD_OFFSET;
}

int fota_hdr_candidate_decode(const uint8_t *in, size_t len, fota_hdr_candidate_t *c)
{
    if (!in || !c)
        return FOTA_HDR_ERR_ARG;
    memset(c, 0, sizeof *c);
    int err = fota_hdr_ready_decode(in, len, &c->ready);
    int err3 = len < FOTA_HDR_CAND_V3_OFFSET
                   ? FOTA_HDR_ERR_SHORT
                   : fota_hdr_v3_decode(in + FOTA_HDR_CAND_V3_OFFSET, len - FOTA_HDR_CAND_V3_OFFSET,
                                        &c->info);
    c->payload_offset = fota_hdr_payload_offset(c->info.external_header_size, FOTA_HDR_K64F_PROG_SIZE);
    return err ? err : err3;
}

int fota_hdr_candidate_validate(const fota_hdr_candidate_t *c, uint32_t min_size, uint32_t max_size,
                                size_t storage_size)
{
    if (strncmp(c->ready.comp_name, FOTA_HDR_MAIN_NAME, strlen(FOTA_HDR_MAIN_NAME)))
        return FOTA_HDR_ERR_COMP_NAME;
    if (c->info.fw_size < min_size || c->info.fw_size > max_size)
        return FOTA_HDR_ERR_SIZE;
    size_t stored = fota_hdr_stored_payload_size(&c->info);
    if (c->payload_offset > storage_size || stored > storage_size - c->payload_offset)
        return FOTA_HDR_ERR_STORAGE;
    return FOTA_HDR_OK;
}

int fota_hdr_install_check(const fota_hdr_app_t *installed, const fota_hdr_v3_t *candidate)
{
    if (!installed || installed->magic != FOTA_HDR_MAGIC ||
        memcmp(installed->digest, candidate->precursor, FOTA_HDR_HASH_SIZE))
        return FOTA_HDR_ERR_PRECURSOR;
    if (!(installed->version < candidate->version))
        return FOTA_HDR_ERR_VERSION;
    return FOTA_HDR_OK;
}

/* ---- fields by name ---- */

static const fota_hdr_field_t app_fields[] = {
    { "magic", OFF(magic), V3SZ(magic) },
    { "size", OFF(fw_size), V3SZ(fw_size) },
    { "version", OFF(version), V3SZ(version) },
    { "digest", OFF(digest), V3SZ(digest) },
    { "reserved", OFF(reserved), V3SZ(reserved) },
    { "precursor", OFF(reserved), FOTA_HDR_HASH_SIZE },
};

static const fota_hdr_field_t ready_fields[] = {
    { "magic", RDY(magic), RDYSZ(magic) },
    { "comp_name", RDY(comp_name), RDYSZ(comp_name) },
    { "footer", RDY(footer), RDYSZ(footer) },
};

#define V3_FIELDS(base)                                                                  \
    { "magic", (uint16_t)((base) + OFF(magic)), V3SZ(magic) },                           \
    { "size", (uint16_t)((base) + OFF(fw_size)), V3SZ(fw_size) },                        \
    { "version", (uint16_t)((base) + OFF(version)), V3SZ(version) },                     \
    { "digest", (uint16_t)((base) + OFF(digest)), V3SZ(digest) },                        \
    { "reserved", (uint16_t)((base) + OFF(reserved)), V3SZ(reserved) },                  \
    { "barrier", (uint16_t)((base) + OFF(internal_header_barrier)),                      \
      V3SZ(internal_header_barrier) },                                                   \
    { "flags", (uint16_t)((base) + OFF(flags)), V3SZ(flags) },                           \
    { "external_header_size", (uint16_t)((base) + OFF(external_header_size)),            \
      V3SZ(external_header_size) },                                                      \
    { "block_size", (uint16_t)((base) + OFF(block_size)), V3SZ(block_size) },            \
    { "precursor", (uint16_t)((base) + OFF(precursor)), V3SZ(precursor) },               \
    { "footer", (uint16_t)((base) + OFF(footer)), V3SZ(footer) }

static const fota_hdr_field_t v3_fields[] = { V3_FIELDS(0) };

static const fota_hdr_field_t candidate_fields[] = {
    { "ready_magic", RDY(magic), RDYSZ(magic) },
    { "comp_name", RDY(comp_name), RDYSZ(comp_name) },
    { "ready_footer", RDY(footer), RDYSZ(footer) },
    V3_FIELDS(CV3),
};

const fota_hdr_field_t *fota_hdr_fields(fota_hdr_struct_t s, size_t *n)
{
    const fota_hdr_field_t *t = NULL;
    size_t count = 0;
    switch (s) {
    case FOTA_HDR_STRUCT_APP: t = app_fields; count = sizeof app_fields / sizeof *app_fields; break;
    case FOTA_HDR_STRUCT_READY: t = ready_fields; count = sizeof ready_fields / sizeof *ready_fields; break;
    case FOTA_HDR_STRUCT_V3: t = v3_fields; count = sizeof v3_fields / sizeof *v3_fields; break;
    case FOTA_HDR_STRUCT_CANDIDATE:
        t = candidate_fields;
        count = sizeof candidate_fields / sizeof *candidate_fields;
        break;
    }
    if (n)
        *n = count;
    return t;
}

const fota_hdr_field_t *fota_hdr_field_find(fota_hdr_struct_t s, const char *name)
{
    size_t n;
    const fota_hdr_field_t *t = fota_hdr_fields(s, &n);
    for (size_t i = 0; name && i < n; i++)
        if (!strcmp(t[i].name, name))
            return &t[i];
    return NULL;
}

/* ---- detector ---- */

fota_hdr_kind_t fota_hdr_detect(const uint8_t *p, size_t len)
{
    if (!p || len < 4)
        return FOTA_HDR_KIND_UNKNOWN;
    uint32_t le = get_le32(p);
    uint32_t be = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    if (be == MBED_HDR_V2_MAGIC)
        return FOTA_HDR_KIND_CLASSIC_V2;
    if (le == FOTA_HDR_MAGIC)
        return FOTA_HDR_KIND_APP;
    if (le == FOTA_HDR_READY_MAGIC)
        return FOTA_HDR_KIND_CANDIDATE;
    size_t n = len < FOTA_HDR_CAND_PAYLOAD_OFFSET ? len : FOTA_HDR_CAND_PAYLOAD_OFFSET;
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return FOTA_HDR_KIND_UNKNOWN;
    return FOTA_HDR_KIND_ERASED;
}

const char *fota_hdr_kind_name(fota_hdr_kind_t k)
{
    switch (k) {
    case FOTA_HDR_KIND_CLASSIC_V2: return "classic-v2";
    case FOTA_HDR_KIND_APP: return "fota-app";
    case FOTA_HDR_KIND_CANDIDATE: return "fota-candidate";
    case FOTA_HDR_KIND_ERASED: return "erased";
    case FOTA_HDR_KIND_UNKNOWN: break;
    }
    return "unknown";
}
