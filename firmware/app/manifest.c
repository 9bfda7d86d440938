/* Manifest v3 decode, signature and policy checks: see manifest.h. */
#include "manifest.h"

#include <string.h>

#include "mbedtls/asn1.h"
#include "mbedtls/bignum.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/sha256.h"

/* ---- strict DER on top of mbedtls_asn1_get_tag ----------------------------------------------- */
/* One element with exactly `tag`; its length must be in the shortest form (DER). On success *p
 * is at the content, *len its length (inside end: mbedtls_asn1_get_len checks it). */
static int der_tag(unsigned char **p, const unsigned char *end, size_t *len, int tag)
{
    const unsigned char *start = *p;
    if (mbedtls_asn1_get_tag(p, end, len, tag) != 0)
        return -1;
    size_t hdr = (size_t)(*p - start);
    size_t need = *len < 0x80u ? 2u : *len < 0x100u ? 3u : *len < 0x10000u ? 4u : 5u;
    return hdr == need ? 0 : -1;
}

static int der_bytes(unsigned char **p, const unsigned char *end, manifest_bytes_t *b, int tag)
{
    size_t len;
    if (der_tag(p, end, &len, tag))
        return -1;
    b->p = *p;
    b->len = len;
    *p += len;
    return 0;
}

/* A DER INTEGER (minimal, non-empty). *neg = 1 for a negative value; *v gets the value when it is
 * non-negative and fits 64 bits (else -1 for a too-large non-negative value). */
static int der_integer(unsigned char **p, const unsigned char *end, uint64_t *v, int *neg)
{
    manifest_bytes_t b;
    if (der_bytes(p, end, &b, MBEDTLS_ASN1_INTEGER) || b.len == 0)
        return -1;
    if (b.len > 1 && ((b.p[0] == 0x00 && !(b.p[1] & 0x80)) || (b.p[0] == 0xFF && (b.p[1] & 0x80))))
        return -1; /* not the shortest form */
    *neg = (b.p[0] & 0x80) != 0;
    *v = 0;
    if (*neg)
        return 0;
    size_t i = b.p[0] == 0x00 ? 1u : 0u;
    if (b.len - i > 8u)
        return -1;
    for (; i < b.len; i++)
        *v = (*v << 8) | b.p[i];
    return 0;
}

static int der_size(unsigned char **p, const unsigned char *end, uint64_t *v)
{
    int neg;
    if (der_integer(p, end, v, &neg) || neg)
        return -1;
    return 0;
}

/* payload-version: 1..20 decimal digits, value within 64 bits. */
static int parse_version(const manifest_bytes_t *b, uint64_t *v)
{
    if (b->len == 0 || b->len > 20u)
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < b->len; i++) {
        uint8_t c = b->p[i];
        if (c < '0' || c > '9')
            return -1;
        uint64_t d = (uint64_t)(c - '0');
        if (x > (UINT64_MAX - d) / 10u)
            return -1;
        x = x * 10u + d;
    }
    *v = x;
    return 0;
}

/* UTF-8 characters (bytes that are not continuation bytes). */
static size_t utf8_chars(const manifest_bytes_t *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += (b->p[i] & 0xC0u) != 0x80u;
    return n;
}

int manifest_decode(const uint8_t *der, size_t len, manifest_t *m)
{
    memset(m, 0, sizeof *m);
    unsigned char *p = (unsigned char *)(uintptr_t)der; /* Mbed TLS's parser never writes */
    const unsigned char *end = der + len;
    const int seq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
    size_t n;
    int v, neg;
    uint64_t u;

    /* SignedResource: the whole buffer, nothing after it */
    if (der_tag(&p, end, &n, seq) || p + n != end)
        return -1;
    if (mbedtls_asn1_get_enum(&p, end, &v) || v != MANIFEST_VERSION_V3)
        return -1;

    /* Manifest */
    const unsigned char *mstart = p;
    if (der_tag(&p, end, &n, seq))
        return -1;
    const unsigned char *mend = p + n;
    m->signed_part.p = mstart;
    m->signed_part.len = (size_t)(mend - mstart);

    manifest_bytes_t name, version, inst_sig;
    if (der_bytes(&p, mend, &m->vendor_id, MBEDTLS_ASN1_OCTET_STRING) ||
        der_bytes(&p, mend, &m->class_id, MBEDTLS_ASN1_OCTET_STRING) ||
        der_integer(&p, mend, &u, &neg) || /* update-priority: any value */
        der_bytes(&p, mend, &name, MBEDTLS_ASN1_UTF8_STRING) ||
        der_bytes(&p, mend, &version, MBEDTLS_ASN1_UTF8_STRING) ||
        der_bytes(&p, mend, &m->payload_digest, MBEDTLS_ASN1_OCTET_STRING) ||
        der_size(&p, mend, &m->payload_size) ||
        der_bytes(&p, mend, &m->payload_uri, MBEDTLS_ASN1_UTF8_STRING))
        return -1;
    /* payload-format: ENUMERATED; values beyond an int do not parse (none is defined) */
    if (mbedtls_asn1_get_enum(&p, mend, &m->payload_format))
        return -1;
    if (der_bytes(&p, mend, &inst_sig, MBEDTLS_ASN1_OCTET_STRING))
        return -1;
    m->installed_size = m->payload_size;
    if (p < mend && *p == seq) {
        if (der_tag(&p, mend, &n, seq))
            return -1;
        const unsigned char *pmend = p + n;
        if (der_size(&p, pmend, &m->installed_size) ||
            der_bytes(&p, pmend, &m->installed_digest, MBEDTLS_ASN1_OCTET_STRING))
            return -1;
        if (p < pmend && der_bytes(&p, pmend, &m->precursor_digest, MBEDTLS_ASN1_OCTET_STRING))
            return -1;
        if (p != pmend)
            return -1;
        m->has_metadata = 1;
        if (m->installed_digest.len != MANIFEST_DIGEST_SIZE ||
            (m->precursor_digest.p != NULL && m->precursor_digest.len != MANIFEST_DIGEST_SIZE))
            return -1;
    }
    if (p < mend) {
        manifest_bytes_t vendor_data;
        if (der_bytes(&p, mend, &vendor_data, MBEDTLS_ASN1_OCTET_STRING))
            return -1;
    }
    if (p != mend)
        return -1;

    /* signature, then the end of the SignedResource */
    if (der_bytes(&p, end, &m->signature, MBEDTLS_ASN1_OCTET_STRING) || p != end)
        return -1;

    /* field rules that make a manifest malformed */
    if (m->payload_digest.len != MANIFEST_DIGEST_SIZE || utf8_chars(&name) > 8u ||
        (inst_sig.len != 0 && inst_sig.len != MANIFEST_SIG_SIZE) ||
        parse_version(&version, &m->version) || m->payload_uri.len == 0 ||
        m->payload_uri.len > MANIFEST_URI_MAX || memchr(m->payload_uri.p, 0, m->payload_uri.len))
        return -1;
    m->component_name = name;
    return 0;
}

int manifest_verify_signature(const manifest_t *m, const uint8_t public_key[65])
{
    if (m->signature.len != MANIFEST_SIG_SIZE)
        return -1;
    uint8_t hash[32];
    if (mbedtls_sha256_ret(m->signed_part.p, m->signed_part.len, hash, 0) != 0)
        return -1;

    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    int ret = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1);
    if (ret == 0)
        ret = mbedtls_ecp_point_read_binary(&grp, &q, public_key, 65);
    if (ret == 0)
        ret = mbedtls_mpi_read_binary(&r, m->signature.p, 32);
    if (ret == 0)
        ret = mbedtls_mpi_read_binary(&s, m->signature.p + 32, 32);
    if (ret == 0)
        ret = mbedtls_ecdsa_verify(&grp, hash, sizeof hash, &q, &r, &s);
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return ret == 0 ? 0 : -1;
}

static int bytes_equal(const manifest_bytes_t *b, const uint8_t *want, size_t len)
{
    return b->len == len && memcmp(b->p, want, len) == 0;
}

const char *manifest_check(const uint8_t *der, size_t len, const manifest_device_t *dev,
                           manifest_t *m)
{
    if (manifest_decode(der, len, m))
        return "manifest";
    if (manifest_verify_signature(m, dev->public_key))
        return "signature";
    if (!bytes_equal(&m->vendor_id, dev->vendor_id, 16))
        return "vendor-id";
    if (!bytes_equal(&m->class_id, dev->class_id, 16))
        return "class-id";
    if (m->payload_format != MANIFEST_FORMAT_RAW && m->payload_format != MANIFEST_FORMAT_DELTA)
        return "format";
    if (m->payload_format == MANIFEST_FORMAT_DELTA && !m->has_metadata)
        return "format";
    if (m->payload_format == MANIFEST_FORMAT_RAW) {
        /* the image is the payload (any payload-metadata is ignored) */
        m->installed_size = m->payload_size;
        m->installed_digest = m->payload_digest;
    }
    if (m->installed_size == 0 || m->installed_size > MANIFEST_MAX_IMAGE_SIZE ||
        m->payload_size == 0 || m->payload_size > MANIFEST_MAX_IMAGE_SIZE)
        return "size";
    if (m->version <= dev->running_version)
        return "rollback";
    if (m->payload_format == MANIFEST_FORMAT_DELTA &&
        (dev->active_digest == NULL ||
         !bytes_equal(&m->precursor_digest, dev->active_digest, MANIFEST_DIGEST_SIZE)))
        return "precursor";
    return NULL;
}
