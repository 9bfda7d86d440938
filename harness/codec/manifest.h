/*
 * Pelion manifest v3 on the host: DER codec, ECDSA P-256 signing and verification, keys, uuid5.
 *
 * Schema (docs/update-flow.md section 3, ../shared/reference/mbed-update-design.md section 5):
 *   SignedResource ::= SEQUENCE { manifest-version ENUMERATED { v3(3) }, manifest Manifest,
 *                                 signature OCTET STRING }                 -- raw 64-byte r||s
 *   Manifest ::= SEQUENCE { vendor-id OCTET STRING, class-id OCTET STRING, update-priority INTEGER,
 *     component-name UTF8String, payload-version UTF8String, payload-digest OCTET STRING,
 *     payload-size INTEGER, payload-uri UTF8String, payload-format ENUMERATED,
 *     installed-signature OCTET STRING, payload-metadata PayloadMetadata OPTIONAL,
 *     vendor-data OCTET STRING OPTIONAL }
 *   PayloadMetadata ::= SEQUENCE { installed-size INTEGER, installed-digest OCTET STRING,
 *                                  precursor-digest OCTET STRING OPTIONAL }
 * The signature is ECDSA P-256 over SHA-256 of the DER Manifest (tag and length included), signed
 * deterministically (RFC 6979), so the same inputs always give the same bytes.
 *
 * Sources: manifest.c (the DER codec, the shape checks, ids), manifest_keys.c (keys, ECDSA).
 *
 * Errors: negative mf_err_t values; err (may be NULL / errlen 0) gets one line naming the field
 * at fault ("manifest.payload-size: ..."). Everything here is thread-safe as long as each
 * manifest_t is used by one thread; a mf_key_t may be shared by threads for mf_encode/mf_verify.
 */
#ifndef FWEMU_MANIFEST_H
#define FWEMU_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mf_err {
    MF_OK = 0,
    MF_ERR_NOMEM = -1,
    MF_ERR_ARG = -2,         /* caller error, or a bad argument (uuid text, delta payload) */
    MF_ERR_DER = -3,         /* malformed DER */
    MF_ERR_FIELD = -4,       /* a field has a bad value */
    MF_ERR_KEY = -5,         /* key does not parse, is not P-256, or has no private half */
    MF_ERR_SIGNATURE = -6,   /* does not verify */
    MF_ERR_IO = -7,
} mf_err_t;

const char *mf_strerror(int err);

/* ---- keys -------------------------------------------------------------------------------- */

typedef struct mf_key mf_key_t;   /* opaque, wraps mbedtls_pk_context */

/* PEM or DER, private (SEC1 or PKCS#8) or public (SubjectPublicKeyInfo); P-256 only. */
int mf_key_load(const char *path, mf_key_t **out, char *err, size_t errlen);
/* The same from memory; PEM needs its NUL counted in len, like mbedtls_pk_parse_key. `name` is
 * used in messages. */
int mf_key_parse(const uint8_t *buf, size_t len, const char *name, mf_key_t **out, char *err,
                 size_t errlen);
/* A fresh random P-256 key (entropy + CTR_DRBG). */
int mf_key_generate(mf_key_t **out, char *err, size_t errlen);
/* PEM text (malloc'ed, NUL-terminated): "EC PRIVATE KEY" (SEC1) when private_key (MF_ERR_KEY if
 * the key has no private half), else "PUBLIC KEY" (SubjectPublicKeyInfo). */
int mf_key_pem(const mf_key_t *k, bool private_key, char **pem);
/* The public point, uncompressed: 0x04 || X || Y. */
int mf_key_public_point(const mf_key_t *k, uint8_t out[65]);
bool mf_key_has_private(const mf_key_t *k);
void mf_key_free(mf_key_t *k);     /* NULL is fine */
/* ECDSA P-256 over SHA-256(data), deterministic (RFC 6979): raw r||s into sig. MF_ERR_KEY for a
 * key without its private half. */
int mf_key_sign(const mf_key_t *k, const uint8_t *data, size_t len, uint8_t sig[64], char *err,
                size_t errlen);
/* MF_OK when sig (raw r||s) is k's signature of SHA-256(data), else MF_ERR_SIGNATURE. */
int mf_key_verify(const mf_key_t *k, const uint8_t *data, size_t len, const uint8_t sig[64],
                  char *err, size_t errlen);

/* ---- the manifest ------------------------------------------------------------------------ */

typedef enum mf_format {
    MF_FORMAT_RAW = 1,
    MF_FORMAT_DELTA = 5,            /* arm-patch-stream */
    MF_FORMAT_COMBINED = 6,
    MF_FORMAT_ENC_RAW = 257,
    MF_FORMAT_ENC_COMBINED = 262,
} mf_format_t;

typedef struct manifest {
    int manifest_version;                 /* 3 */
    uint8_t vendor_id[64]; size_t vendor_id_len;   /* any length is encodable */
    uint8_t class_id[64]; size_t class_id_len;
    int64_t update_priority;
    char component[64];
    char version[64];                     /* payload-version text */
    uint8_t payload_digest[64]; size_t payload_digest_len;
    uint64_t payload_size;
    char uri[128];
    uint32_t format;                      /* mf_format_t values, any number encodable */
    uint8_t installed_signature[64]; size_t installed_signature_len;
    bool has_metadata; uint64_t installed_size; uint8_t installed_digest[64]; size_t installed_digest_len;
    bool has_precursor; uint8_t precursor_digest[64]; size_t precursor_digest_len;
    uint8_t signature[128]; size_t signature_len;
} manifest_t;

/* Our defaults: version 3, default vendor/class ids, priority 0, "MAIN", uri "payload", format
 * raw-binary, empty installed-signature, no metadata, no digest, no signature. */
void mf_init(manifest_t *m);

/* Encode SignedResource into *der (malloc'ed). key != NULL: sign (needs a private key,
 * MF_ERR_KEY otherwise) and store the 64-byte signature in m->signature; key == NULL: use
 * m->signature as is (any length). MF_ERR_ARG for lengths beyond the arrays or strings that are
 * not NUL-terminated within them; manifest_version is encoded as given. */
int mf_encode(manifest_t *m, const mf_key_t *key, uint8_t **der, size_t *derlen, char *err,
              size_t errlen);

/* Strict DER decode (definite, minimal lengths, minimal INTEGERs, no trailing bytes, UTF-8
 * strings without NUL): MF_ERR_DER for malformed DER, MF_ERR_FIELD for a value that does not fit
 * (manifest-version other than 3, negative sizes, fields longer than manifest_t holds). err names
 * the field ("manifest.payload-size: ..."). vendor-data, if present, is checked and skipped.
 * Does NOT verify the signature or check the device policy (mf_check does). */
int mf_decode(const uint8_t *der, size_t len, manifest_t *m, char *err, size_t errlen);

/* Verify the signature of an encoded SignedResource (decoded strictly first: MF_ERR_DER /
 * MF_ERR_FIELD as mf_decode) with a public or private key. MF_ERR_SIGNATURE when it does not
 * verify (including a signature that is not 64 bytes). */
int mf_verify(const uint8_t *der, size_t len, const mf_key_t *key, char *err, size_t errlen);

/* The shape checks of our device (docs/update-flow.md section 4, reason `manifest`): digests
 * 32 bytes (installed/precursor only when present), component-name at most 8 characters,
 * installed-signature empty or 64 bytes, payload-version 1..20 decimal digits fitting 64 bits,
 * signature 64 bytes. MF_ERR_FIELD with e.g. "manifest.payload-digest: 31 bytes, expected 32".
 * Ids, format, sizes and versions are left to the device (they are not shape errors). */
int mf_check(const manifest_t *m, char *err, size_t errlen);

/* ---- ids --------------------------------------------------------------------------------- */

int mf_uuid5(const uint8_t ns[16], const char *name, uint8_t out[16]);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" or 32 hex digits (either case); MF_ERR_ARG otherwise. */
int mf_parse_uuid(const char *text, uint8_t out[16]);
/* 16 bytes as "xxxxxxxx-xxxx-..." (lower case) into out[37]. */
void mf_format_uuid(const uint8_t id[16], char out[37]);
extern const uint8_t mf_namespace_dns[16];                 /* 6ba7b810-9dad-11d1-80b4-00c04fd430c8 */
extern const uint8_t mf_default_vendor_id[16], mf_default_class_id[16];

/* "raw-binary", "arm-patch-stream", "combined", "encrypted-raw", "encrypted-combined", else
 * "unknown". */
const char *mf_format_name(uint32_t f);

/* Build a manifest for a payload (the common path of the CLI and the scenario runner):
 * payload = the bytes to serve. precursor != NULL makes a delta manifest: payload must be a
 * PELION/BSDIFF001 patch; it is applied to precursor with delta_apply (codec/delta.h) to compute
 * installed-size/-digest, and precursor-digest = SHA-256(precursor). Sets payload-digest/-size,
 * version (decimal text), format (raw-binary / arm-patch-stream) and the metadata in m; other
 * fields stay as the caller set them (e.g. after mf_init). A patch that does not apply is
 * MF_ERR_ARG with "payload: <delta reason>...". */
int mf_describe_payload(manifest_t *m, uint64_t version, const uint8_t *payload, size_t len,
                        const uint8_t *precursor, size_t precursor_len, char *err, size_t errlen);

/* Largest image mf_describe_payload lets a patch rebuild. */
#define MF_MAX_INSTALLED (64u * 1024u * 1024u)

#endif
