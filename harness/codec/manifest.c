/* Pelion manifest v3 on the host: the DER codec, the device's shape checks, uuid5 ids
 * (manifest.h). Keys and the ECDSA arithmetic are in manifest_keys.c. */
#include "codec/manifest.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

#include "codec/delta.h"
#include "fileio.h"

#define seterr fileio_seterr

const uint8_t mf_namespace_dns[16] = {
    0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
};
/* uuid5(NAMESPACE_DNS, "fwemu.invalid") = 06a51bd6-a81f-5436-9f79-688945d28390 */
const uint8_t mf_default_vendor_id[16] = {
    0x06, 0xa5, 0x1b, 0xd6, 0xa8, 0x1f, 0x54, 0x36, 0x9f, 0x79, 0x68, 0x89, 0x45, 0xd2, 0x83, 0x90,
};
/* uuid5(vendor-id, "fwemu-k64f-app") = f7f2c1cc-c293-5fd3-b7f7-1f37817b3549 */
const uint8_t mf_default_class_id[16] = {
    0xf7, 0xf2, 0xc1, 0xcc, 0xc2, 0x93, 0x5f, 0xd3, 0xb7, 0xf7, 0x1f, 0x37, 0x81, 0x7b, 0x35, 0x49,
};

const char *mf_strerror(int err)
{
    switch (err) {
    case MF_OK: return "ok";
    case MF_ERR_NOMEM: return "out of memory";
    case MF_ERR_ARG: return "bad argument";
    case MF_ERR_DER: return "malformed DER";
    case MF_ERR_FIELD: return "bad field value";
    case MF_ERR_KEY: return "bad key";
    case MF_ERR_SIGNATURE: return "signature does not verify";
    case MF_ERR_IO: return "I/O error";
    default: return "unknown error";
    }
}

const char *mf_format_name(uint32_t f)
{
    switch (f) {
    case MF_FORMAT_RAW: return "raw-binary";
    case MF_FORMAT_DELTA: return "arm-patch-stream";
    case MF_FORMAT_COMBINED: return "combined";
    case MF_FORMAT_ENC_RAW: return "encrypted-raw";
    case MF_FORMAT_ENC_COMBINED: return "encrypted-combined";
    default: return "unknown";
    }
}

/* ---- ids --------------------------------------------------------------------------------- */

int mf_uuid5(const uint8_t ns[16], const char *name, uint8_t out[16])
{
    if (!ns || !name || !out)
        return MF_ERR_ARG;
    mbedtls_sha1_context c;
    uint8_t h[20];
    mbedtls_sha1_init(&c);
    int ret = mbedtls_sha1_starts_ret(&c);
    if (!ret)
        ret = mbedtls_sha1_update_ret(&c, ns, 16);
    if (!ret)
        ret = mbedtls_sha1_update_ret(&c, (const unsigned char *)name, strlen(name));
    if (!ret)
        ret = mbedtls_sha1_finish_ret(&c, h);
    mbedtls_sha1_free(&c);
    if (ret)
        return MF_ERR_ARG;
    memcpy(out, h, 16);
    out[6] = (uint8_t)((out[6] & 0x0F) | 0x50);    /* version 5 */
    out[8] = (uint8_t)((out[8] & 0x3F) | 0x80);    /* RFC 4122 variant */
    return MF_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int mf_parse_uuid(const char *text, uint8_t out[16])
{
    if (!text || !out)
        return MF_ERR_ARG;
    size_t n = strlen(text);
    bool dashed = n == 36;
    if (n != 36 && n != 32)
        return MF_ERR_ARG;
    uint8_t tmp[16];
    size_t j = 0;
    for (size_t i = 0; i < n;) {
        if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (text[i] != '-')
                return MF_ERR_ARG;
            i++;
            continue;
        }
        int hi = hexval(text[i]), lo = hexval(text[i + 1]);
        if (hi < 0 || lo < 0 || j >= 16)
            return MF_ERR_ARG;
        tmp[j++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    if (j != 16)
        return MF_ERR_ARG;
    memcpy(out, tmp, 16);
    return MF_OK;
}

void mf_format_uuid(const uint8_t id[16], char out[37])
{
    static const char hx[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hx[id[i] >> 4];
        out[o++] = hx[id[i] & 15];
    }
    out[o] = 0;
}

/* ---- the manifest ------------------------------------------------------------------------ */

void mf_init(manifest_t *m)
{
    memset(m, 0, sizeof *m);
    m->manifest_version = 3;
    memcpy(m->vendor_id, mf_default_vendor_id, 16);
    m->vendor_id_len = 16;
    memcpy(m->class_id, mf_default_class_id, 16);
    m->class_id_len = 16;
    m->update_priority = 0;
    strcpy(m->component, "MAIN");
    strcpy(m->uri, "payload");
    m->format = MF_FORMAT_RAW;
}

enum {
    TAG_INTEGER = 0x02,
    TAG_OCTETS = 0x04,
    TAG_ENUM = 0x0A,
    TAG_UTF8 = 0x0C,
    TAG_SEQ = 0x30,
};

static const char *tag_name(unsigned tag)
{
    switch (tag) {
    case TAG_INTEGER: return "INTEGER";
    case TAG_OCTETS: return "OCTET STRING";
    case TAG_ENUM: return "ENUMERATED";
    case TAG_UTF8: return "UTF8String";
    case TAG_SEQ: return "SEQUENCE";
    default: return "?";
    }
}

/* -- writer (forward, growing buffer) -- */

typedef struct wbuf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} wbuf_t;

static void wb_put(wbuf_t *b, const void *d, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void wb_hdr(wbuf_t *b, uint8_t tag, size_t len)
{
    uint8_t h[10];
    size_t n = 0;
    h[n++] = tag;
    if (len < 0x80) {
        h[n++] = (uint8_t)len;
    } else {
        uint8_t l[8];
        size_t k = 0;
        for (size_t v = len; v; v >>= 8)
            l[k++] = (uint8_t)v;
        h[n++] = (uint8_t)(0x80 | k);
        while (k)
            h[n++] = l[--k];
    }
    wb_put(b, h, n);
}

static void wb_tlv(wbuf_t *b, uint8_t tag, const void *d, size_t n)
{
    wb_hdr(b, tag, n);
    wb_put(b, d, n);
}

/* Minimal two's complement of a value given as sign + 64-bit pattern (neg: v is the int64). */
static void wb_int(wbuf_t *b, uint8_t tag, uint64_t v, bool neg)
{
    uint8_t c[9];
    c[0] = neg ? 0xFF : 0x00;
    for (int i = 0; i < 8; i++)
        c[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    size_t s = 0;
    while (s < 8 && ((c[s] == 0x00 && !(c[s + 1] & 0x80)) || (c[s] == 0xFF && (c[s + 1] & 0x80))))
        s++;
    wb_tlv(b, tag, c + s, 9 - s);
}

static void wb_uint(wbuf_t *b, uint8_t tag, uint64_t v) { wb_int(b, tag, v, false); }
static void wb_sint(wbuf_t *b, uint8_t tag, int64_t v) { wb_int(b, tag, (uint64_t)v, v < 0); }

static void wb_wrap(wbuf_t *dst, uint8_t tag, const wbuf_t *inner)
{
    if (inner->oom) {
        dst->oom = true;
        return;
    }
    wb_tlv(dst, tag, inner->p, inner->len);
}

static bool str_ok(const char *s, size_t cap) { return memchr(s, 0, cap) != NULL; }

static int check_encodable(const manifest_t *m, char *err, size_t errlen)
{
#define LEN_OK(field, name)                                                                      \
    if (m->field##_len > sizeof m->field) {                                                      \
        seterr(err, errlen, "%s: length %zu exceeds the %zu bytes manifest_t holds", name,        \
               m->field##_len, sizeof m->field);                                                 \
        return MF_ERR_ARG;                                                                       \
    }
    LEN_OK(vendor_id, "manifest.vendor-id")
    LEN_OK(class_id, "manifest.class-id")
    LEN_OK(payload_digest, "manifest.payload-digest")
    LEN_OK(installed_signature, "manifest.installed-signature")
    LEN_OK(installed_digest, "manifest.payload-metadata.installed-digest")
    LEN_OK(precursor_digest, "manifest.payload-metadata.precursor-digest")
    LEN_OK(signature, "signature")
#undef LEN_OK
    if (!str_ok(m->component, sizeof m->component)) {
        seterr(err, errlen, "manifest.component-name: not NUL-terminated");
        return MF_ERR_ARG;
    }
    if (!str_ok(m->version, sizeof m->version)) {
        seterr(err, errlen, "manifest.payload-version: not NUL-terminated");
        return MF_ERR_ARG;
    }
    if (!str_ok(m->uri, sizeof m->uri)) {
        seterr(err, errlen, "manifest.payload-uri: not NUL-terminated");
        return MF_ERR_ARG;
    }
    return MF_OK;
}

/* The DER Manifest (tag and length included) into out. */
static void encode_manifest(const manifest_t *m, wbuf_t *out)
{
    wbuf_t c = { 0 };
    wb_tlv(&c, TAG_OCTETS, m->vendor_id, m->vendor_id_len);
    wb_tlv(&c, TAG_OCTETS, m->class_id, m->class_id_len);
    wb_sint(&c, TAG_INTEGER, m->update_priority);
    wb_tlv(&c, TAG_UTF8, m->component, strlen(m->component));
    wb_tlv(&c, TAG_UTF8, m->version, strlen(m->version));
    wb_tlv(&c, TAG_OCTETS, m->payload_digest, m->payload_digest_len);
    wb_uint(&c, TAG_INTEGER, m->payload_size);
    wb_tlv(&c, TAG_UTF8, m->uri, strlen(m->uri));
    wb_uint(&c, TAG_ENUM, m->format);
    wb_tlv(&c, TAG_OCTETS, m->installed_signature, m->installed_signature_len);
    if (m->has_metadata) {
        wbuf_t md = { 0 };
        wb_uint(&md, TAG_INTEGER, m->installed_size);
        wb_tlv(&md, TAG_OCTETS, m->installed_digest, m->installed_digest_len);
        if (m->has_precursor)
            wb_tlv(&md, TAG_OCTETS, m->precursor_digest, m->precursor_digest_len);
        wb_wrap(&c, TAG_SEQ, &md);
        free(md.p);
    }
    wb_wrap(out, TAG_SEQ, &c);
    free(c.p);
}

int mf_encode(manifest_t *m, const mf_key_t *key, uint8_t **der, size_t *derlen, char *err,
              size_t errlen)
{
    if (!m || !der || !derlen) {
        seterr(err, errlen, "mf_encode: NULL argument");
        return MF_ERR_ARG;
    }
    *der = NULL;
    *derlen = 0;
    int rc = check_encodable(m, err, errlen);
    if (rc)
        return rc;
    if (key && !mf_key_has_private(key)) {
        seterr(err, errlen, "signature: the key has no private half (a public key cannot sign)");
        return MF_ERR_KEY;
    }
    wbuf_t man = { 0 };
    encode_manifest(m, &man);
    if (man.oom) {
        free(man.p);
        seterr(err, errlen, "manifest: out of memory");
        return MF_ERR_NOMEM;
    }
    if (key) {
        rc = mf_key_sign(key, man.p, man.len, m->signature, err, errlen);
        if (rc) {
            free(man.p);
            return rc;
        }
        m->signature_len = 64;
    }
    wbuf_t sr = { 0 }, out = { 0 };
    wb_sint(&sr, TAG_ENUM, m->manifest_version);
    wb_put(&sr, man.p, man.len);
    wb_tlv(&sr, TAG_OCTETS, m->signature, m->signature_len);
    wb_wrap(&out, TAG_SEQ, &sr);
    free(man.p);
    free(sr.p);
    if (out.oom) {
        free(out.p);
        seterr(err, errlen, "SignedResource: out of memory");
        return MF_ERR_NOMEM;
    }
    *der = out.p;
    *derlen = out.len;
    return MF_OK;
}

/* -- reader (strict DER) -- */

typedef struct rd {
    const uint8_t *p, *end;
} rd_t;

/* One TLV with the expected tag; *c / *clen its content. */
static int rd_tlv(rd_t *r, unsigned tag, const char *field, const uint8_t **c, size_t *clen,
                  char *err, size_t errlen)
{
    size_t left = (size_t)(r->end - r->p);
    if (!left) {
        seterr(err, errlen, "%s: missing (input ends where the %s was expected)", field, tag_name(tag));
        return MF_ERR_DER;
    }
    if (r->p[0] != tag) {
        seterr(err, errlen, "%s: tag 0x%02x, expected 0x%02x (%s)", field, r->p[0], tag, tag_name(tag));
        return MF_ERR_DER;
    }
    if (left < 2) {
        seterr(err, errlen, "%s: truncated (no length)", field);
        return MF_ERR_DER;
    }
    const uint8_t *p = r->p + 2;
    size_t len = r->p[1];
    if (len == 0x80) {
        seterr(err, errlen, "%s: indefinite length (not DER)", field);
        return MF_ERR_DER;
    }
    if (len > 0x80) {
        size_t n = len & 0x7F;
        if (n > 4) {
            seterr(err, errlen, "%s: length of %zu bytes is too large", field, n);
            return MF_ERR_DER;
        }
        if ((size_t)(r->end - p) < n) {
            seterr(err, errlen, "%s: truncated (length bytes)", field);
            return MF_ERR_DER;
        }
        if (p[0] == 0) {
            seterr(err, errlen, "%s: non-minimal length encoding (not DER)", field);
            return MF_ERR_DER;
        }
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = len << 8 | p[i];
        p += n;
        if (len < 0x80) {
            seterr(err, errlen, "%s: non-minimal length encoding (not DER)", field);
            return MF_ERR_DER;
        }
    }
    size_t avail = (size_t)(r->end - p);
    if (len > avail) {
        seterr(err, errlen, "%s: length %zu exceeds the %zu bytes left", field, len, avail);
        return MF_ERR_DER;
    }
    *c = p;
    *clen = len;
    r->p = p + len;
    return MF_OK;
}

static int int_minimal(const uint8_t *c, size_t n, const char *field, char *err, size_t errlen)
{
    if (!n) {
        seterr(err, errlen, "%s: empty integer", field);
        return MF_ERR_DER;
    }
    if (n >= 2 && ((c[0] == 0x00 && !(c[1] & 0x80)) || (c[0] == 0xFF && (c[1] & 0x80)))) {
        seterr(err, errlen, "%s: non-minimal integer encoding (not DER)", field);
        return MF_ERR_DER;
    }
    return MF_OK;
}

static int rd_uint(rd_t *r, unsigned tag, const char *field, uint64_t max, uint64_t *v, char *err,
                   size_t errlen)
{
    const uint8_t *c;
    size_t n;
    int rc = rd_tlv(r, tag, field, &c, &n, err, errlen);
    if (!rc)
        rc = int_minimal(c, n, field, err, errlen);
    if (rc)
        return rc;
    if (c[0] & 0x80) {
        seterr(err, errlen, "%s: negative", field);
        return MF_ERR_FIELD;
    }
    if (n > 9) {
        seterr(err, errlen, "%s: %zu-byte integer, more than 64 bits", field, n);
        return MF_ERR_FIELD;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = x << 8 | c[i];
    if (x > max) {
        seterr(err, errlen, "%s: %" PRIu64 " is out of range (at most %" PRIu64 ")", field, x, max);
        return MF_ERR_FIELD;
    }
    *v = x;
    return MF_OK;
}

static int rd_sint(rd_t *r, unsigned tag, const char *field, int64_t *v, char *err, size_t errlen)
{
    const uint8_t *c;
    size_t n;
    int rc = rd_tlv(r, tag, field, &c, &n, err, errlen);
    if (!rc)
        rc = int_minimal(c, n, field, err, errlen);
    if (rc)
        return rc;
    if (n > 8) {
        seterr(err, errlen, "%s: %zu-byte integer, more than 64 bits", field, n);
        return MF_ERR_FIELD;
    }
    uint64_t x = (c[0] & 0x80) ? UINT64_MAX : 0;
    for (size_t i = 0; i < n; i++)
        x = x << 8 | c[i];
    *v = (int64_t)x;
    return MF_OK;
}

static int rd_octets(rd_t *r, const char *field, uint8_t *out, size_t cap, size_t *len, char *err,
                     size_t errlen)
{
    const uint8_t *c;
    size_t n;
    int rc = rd_tlv(r, TAG_OCTETS, field, &c, &n, err, errlen);
    if (rc)
        return rc;
    if (n > cap) {
        seterr(err, errlen, "%s: %zu bytes, at most %zu", field, n, cap);
        return MF_ERR_FIELD;
    }
    if (n)
        memcpy(out, c, n);
    *len = n;
    return MF_OK;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        size_t k;
        uint32_t cp, min;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            k = 1; cp = b & 0x1F; min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            k = 2; cp = b & 0x0F; min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            k = 3; cp = b & 0x07; min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

static int rd_string(rd_t *r, const char *field, char *out, size_t cap, char *err, size_t errlen)
{
    const uint8_t *c;
    size_t n;
    int rc = rd_tlv(r, TAG_UTF8, field, &c, &n, err, errlen);
    if (rc)
        return rc;
    if (n >= cap) {
        seterr(err, errlen, "%s: %zu bytes, at most %zu", field, n, cap - 1);
        return MF_ERR_FIELD;
    }
    if (memchr(c, 0, n)) {
        seterr(err, errlen, "%s: contains a NUL byte", field);
        return MF_ERR_FIELD;
    }
    if (!utf8_valid(c, n)) {
        seterr(err, errlen, "%s: not valid UTF-8", field);
        return MF_ERR_FIELD;
    }
    memcpy(out, c, n);
    out[n] = 0;
    return MF_OK;
}

/* Decode, and give the span of the DER Manifest (for the signature). */
static int decode(const uint8_t *der, size_t len, manifest_t *m, const uint8_t **mspan,
                  size_t *mspan_len, char *err, size_t errlen)
{
    if (!der && len) {
        seterr(err, errlen, "SignedResource: no data");
        return MF_ERR_ARG;
    }
    memset(m, 0, sizeof *m);
    if (len == 0) {
        seterr(err, errlen, "SignedResource: empty input (0 bytes), not a manifest");
        return MF_ERR_DER;
    }
    rd_t top = { der, der + len };
    const uint8_t *c;
    size_t n;
    int rc = rd_tlv(&top, TAG_SEQ, "SignedResource", &c, &n, err, errlen);
    if (rc)
        return rc;
    if (top.p != top.end) {
        seterr(err, errlen, "SignedResource: %zu trailing bytes after it", (size_t)(top.end - top.p));
        return MF_ERR_DER;
    }
    rd_t sr = { c, c + n };
    int64_t ver;
    if ((rc = rd_sint(&sr, TAG_ENUM, "manifest-version", &ver, err, errlen)))
        return rc;
    if (ver != 3) {
        seterr(err, errlen, "manifest-version: %" PRId64 ", expected 3 (v3)", ver);
        return MF_ERR_FIELD;
    }
    m->manifest_version = 3;
    const uint8_t *mstart = sr.p;
    if ((rc = rd_tlv(&sr, TAG_SEQ, "manifest", &c, &n, err, errlen)))
        return rc;
    *mspan = mstart;
    *mspan_len = (size_t)(sr.p - mstart);
    rd_t mr = { c, c + n };
    uint64_t u;
    if ((rc = rd_octets(&mr, "manifest.vendor-id", m->vendor_id, sizeof m->vendor_id,
                        &m->vendor_id_len, err, errlen)) ||
        (rc = rd_octets(&mr, "manifest.class-id", m->class_id, sizeof m->class_id,
                        &m->class_id_len, err, errlen)) ||
        (rc = rd_sint(&mr, TAG_INTEGER, "manifest.update-priority", &m->update_priority, err,
                      errlen)) ||
        (rc = rd_string(&mr, "manifest.component-name", m->component, sizeof m->component, err,
                        errlen)) ||
        (rc = rd_string(&mr, "manifest.payload-version", m->version, sizeof m->version, err,
                        errlen)) ||
        (rc = rd_octets(&mr, "manifest.payload-digest", m->payload_digest,
                        sizeof m->payload_digest, &m->payload_digest_len, err, errlen)) ||
        (rc = rd_uint(&mr, TAG_INTEGER, "manifest.payload-size", UINT64_MAX, &m->payload_size,
                      err, errlen)) ||
        (rc = rd_string(&mr, "manifest.payload-uri", m->uri, sizeof m->uri, err, errlen)) ||
        (rc = rd_uint(&mr, TAG_ENUM, "manifest.payload-format", UINT32_MAX, &u, err, errlen)))
        return rc;
    m->format = (uint32_t)u;
    if ((rc = rd_octets(&mr, "manifest.installed-signature", m->installed_signature,
                        sizeof m->installed_signature, &m->installed_signature_len, err, errlen)))
        return rc;
    const char *last = "installed-signature";
    if (mr.p < mr.end && mr.p[0] == TAG_SEQ) {
        if ((rc = rd_tlv(&mr, TAG_SEQ, "manifest.payload-metadata", &c, &n, err, errlen)))
            return rc;
        m->has_metadata = true;
        rd_t md = { c, c + n };
        if ((rc = rd_uint(&md, TAG_INTEGER, "manifest.payload-metadata.installed-size", UINT64_MAX,
                          &m->installed_size, err, errlen)) ||
            (rc = rd_octets(&md, "manifest.payload-metadata.installed-digest", m->installed_digest,
                            sizeof m->installed_digest, &m->installed_digest_len, err, errlen)))
            return rc;
        if (md.p < md.end) {
            if ((rc = rd_octets(&md, "manifest.payload-metadata.precursor-digest",
                                m->precursor_digest, sizeof m->precursor_digest,
                                &m->precursor_digest_len, err, errlen)))
                return rc;
            m->has_precursor = true;
        }
        if (md.p != md.end) {
            seterr(err, errlen, "manifest.payload-metadata: %zu unexpected bytes after precursor-digest",
                   (size_t)(md.end - md.p));
            return MF_ERR_DER;
        }
        last = "payload-metadata";
    }
    if (mr.p < mr.end && mr.p[0] == TAG_OCTETS) {
        if ((rc = rd_tlv(&mr, TAG_OCTETS, "manifest.vendor-data", &c, &n, err, errlen)))
            return rc;
        last = "vendor-data";
    }
    if (mr.p != mr.end) {
        seterr(err, errlen, "manifest: unexpected element (tag 0x%02x, %zu bytes left) after %s",
               mr.p[0], (size_t)(mr.end - mr.p), last);
        return MF_ERR_DER;
    }
    if ((rc = rd_octets(&sr, "signature", m->signature, sizeof m->signature, &m->signature_len,
                        err, errlen)))
        return rc;
    if (sr.p != sr.end) {
        seterr(err, errlen, "SignedResource: %zu unexpected bytes after the signature",
               (size_t)(sr.end - sr.p));
        return MF_ERR_DER;
    }
    return MF_OK;
}

int mf_decode(const uint8_t *der, size_t len, manifest_t *m, char *err, size_t errlen)
{
    if (!m) {
        seterr(err, errlen, "mf_decode: NULL manifest");
        return MF_ERR_ARG;
    }
    const uint8_t *span;
    size_t span_len;
    return decode(der, len, m, &span, &span_len, err, errlen);
}

int mf_verify(const uint8_t *der, size_t len, const mf_key_t *key, char *err, size_t errlen)
{
    if (!key) {
        seterr(err, errlen, "signature: no key to verify with");
        return MF_ERR_ARG;
    }
    manifest_t *m = malloc(sizeof *m);
    if (!m) {
        seterr(err, errlen, "manifest: out of memory");
        return MF_ERR_NOMEM;
    }
    const uint8_t *span = NULL;
    size_t span_len = 0;
    int rc = decode(der, len, m, &span, &span_len, err, errlen);
    if (!rc && m->signature_len != 64) {
        seterr(err, errlen, "signature: %zu bytes, expected 64 (raw r||s)", m->signature_len);
        rc = MF_ERR_SIGNATURE;
    }
    if (!rc)
        rc = mf_key_verify(key, span, span_len, m->signature, err, errlen);
    free(m);
    return rc;
}

static bool version_ok(const char *v)
{
    size_t n = strlen(v);
    if (n < 1 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    /* 20 digits: must not exceed 18446744073709551615 */
    return n < 20 || strcmp(v, "18446744073709551615") <= 0;
}

int mf_check(const manifest_t *m, char *err, size_t errlen)
{
    if (!m)
        return MF_ERR_ARG;
    if (m->manifest_version != 3) {
        seterr(err, errlen, "manifest-version: %d, expected 3 (v3)", m->manifest_version);
        return MF_ERR_FIELD;
    }
    if (m->payload_digest_len != 32) {
        seterr(err, errlen, "manifest.payload-digest: %zu bytes, expected 32", m->payload_digest_len);
        return MF_ERR_FIELD;
    }
    size_t cn = strnlen(m->component, sizeof m->component);
    if (cn > 8) {
        seterr(err, errlen, "manifest.component-name: %zu characters, at most 8", cn);
        return MF_ERR_FIELD;
    }
    if (m->installed_signature_len != 0 && m->installed_signature_len != 64) {
        seterr(err, errlen, "manifest.installed-signature: %zu bytes, expected 0 or 64",
               m->installed_signature_len);
        return MF_ERR_FIELD;
    }
    if (!str_ok(m->version, sizeof m->version) || !version_ok(m->version)) {
        seterr(err, errlen, "manifest.payload-version: '%.63s' is not a decimal 64-bit version",
               m->version);
        return MF_ERR_FIELD;
    }
    if (m->has_metadata && m->installed_digest_len != 32) {
        seterr(err, errlen, "manifest.payload-metadata.installed-digest: %zu bytes, expected 32",
               m->installed_digest_len);
        return MF_ERR_FIELD;
    }
    if (m->has_metadata && m->has_precursor && m->precursor_digest_len != 32) {
        seterr(err, errlen, "manifest.payload-metadata.precursor-digest: %zu bytes, expected 32",
               m->precursor_digest_len);
        return MF_ERR_FIELD;
    }
    if (m->signature_len != 64) {
        seterr(err, errlen, "signature: %zu bytes, expected 64", m->signature_len);
        return MF_ERR_FIELD;
    }
    return MF_OK;
}

int mf_describe_payload(manifest_t *m, uint64_t version, const uint8_t *payload, size_t len,
                        const uint8_t *precursor, size_t precursor_len, char *err, size_t errlen)
{
    if (!m || (!payload && len) || (!precursor && precursor_len)) {
        seterr(err, errlen, "mf_describe_payload: NULL argument");
        return MF_ERR_ARG;
    }
    if (precursor) {
        uint8_t *img = NULL;
        size_t imglen = 0;
        char derr[256] = "";
        int drc = delta_apply(precursor, precursor_len, payload, len, MF_MAX_INSTALLED, &img,
                              &imglen, derr, sizeof derr);
        if (drc != 0) {
            free(img);
            const char *why = derr[0] ? derr : delta_reason(drc);
            seterr(err, errlen, "payload: the patch does not apply to the precursor: %s",
                   why ? why : delta_strerror(drc));
            return drc == DELTA_ERR_NOMEM ? MF_ERR_NOMEM : MF_ERR_ARG;
        }
        m->has_metadata = true;
        m->installed_size = imglen;
        mbedtls_sha256_ret(img, imglen, m->installed_digest, 0);
        m->installed_digest_len = 32;
        free(img);
        m->has_precursor = true;
        mbedtls_sha256_ret(precursor, precursor_len, m->precursor_digest, 0);
        m->precursor_digest_len = 32;
        m->format = MF_FORMAT_DELTA;
    } else {
        m->has_metadata = false;
        m->has_precursor = false;
        m->installed_size = 0;
        m->installed_digest_len = 0;
        m->precursor_digest_len = 0;
        m->format = MF_FORMAT_RAW;
    }
    mbedtls_sha256_ret(payload, len, m->payload_digest, 0);
    m->payload_digest_len = 32;
    m->payload_size = len;
    snprintf(m->version, sizeof m->version, "%" PRIu64, version);
    return MF_OK;
}
