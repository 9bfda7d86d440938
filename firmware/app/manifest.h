/*
 * Manifest v3 on the device (docs/update-flow.md sections 3-4, mbed-update-design.md section 5):
 * strict DER decode with Mbed TLS's ASN.1 parser, ECDSA P-256 signature check, and the device's
 * policy checks in the contract's order.
 *
 *   SignedResource ::= SEQUENCE { manifest-version ENUMERATED { v3(3) }, manifest Manifest,
 *                                 signature OCTET STRING }          -- raw 64-byte r||s
 *   Manifest ::= SEQUENCE { vendor-id OCTET STRING, class-id OCTET STRING,
 *     update-priority INTEGER, component-name UTF8String, payload-version UTF8String,
 *     payload-digest OCTET STRING, payload-size INTEGER, payload-uri UTF8String,
 *     payload-format ENUMERATED, installed-signature OCTET STRING,
 *     payload-metadata PayloadMetadata OPTIONAL, vendor-data OCTET STRING OPTIONAL }
 *   PayloadMetadata ::= SEQUENCE { installed-size INTEGER, installed-digest OCTET STRING,
 *                                  precursor-digest OCTET STRING OPTIONAL }
 *
 * Strict DER: definite lengths in their shortest form, every element inside its parent, no
 * bytes after the SignedResource, none left inside a SEQUENCE, the tags exactly as above.
 * The decoded manifest keeps pointers into the caller's DER buffer, which must outlive it.
 *
 * Reasons (manifest_check, in this order; the first failure wins):
 *   "manifest"   does not parse; manifest-version not 3; a digest not 32 bytes; component-name
 *                9+ characters; installed-signature neither empty nor 64 bytes; payload-version
 *                not 1..20 decimal digits fitting 64 bits; payload-size / installed-size
 *                negative or above 64 bits; payload-uri empty or longer than 63 bytes
 *   "signature"  ECDSA P-256 verify of SHA-256(DER Manifest element) fails (also: signature
 *                not 64 bytes)
 *   "vendor-id", "class-id"   differ from the device's 16-byte ids
 *   "format"     not raw-binary(1) / arm-patch-stream(5), or a delta without payload-metadata
 *   "size"       installed size (payload-size for raw) 0 or above MANIFEST_MAX_IMAGE_SIZE;
 *                for a delta also the patch (payload-size): 0 or above that size
 *   "rollback"   version <= the running image's version
 *   "precursor"  delta: precursor-digest (absent counts as different) differs from the active
 *                header's digest
 */
#ifndef FW_APP_MANIFEST_H
#define FW_APP_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#define MANIFEST_MAX_SIZE 1024u      /* largest manifest the device accepts (bytes of DER) */
#define MANIFEST_VERSION_V3 3
#define MANIFEST_FORMAT_RAW 1
#define MANIFEST_FORMAT_DELTA 5      /* arm-patch-stream */
#define MANIFEST_DIGEST_SIZE 32u
#define MANIFEST_SIG_SIZE 64u
#define MANIFEST_URI_MAX 63u
/* The largest image: the candidate's payload area and the active slot both hold it. */
#define MANIFEST_MAX_IMAGE_SIZE \
    (LAYOUT_CANDIDATE_MAX_PAYLOAD < LAYOUT_APP_MAX_SIZE ? LAYOUT_CANDIDATE_MAX_PAYLOAD : LAYOUT_APP_MAX_SIZE)

typedef struct manifest_bytes {
    const uint8_t *p;
    size_t len;
} manifest_bytes_t;

typedef struct manifest {
    manifest_bytes_t signed_part;     /* the DER Manifest element, tag and length included */
    manifest_bytes_t signature;
    manifest_bytes_t vendor_id, class_id;
    manifest_bytes_t component_name;
    manifest_bytes_t payload_digest;  /* 32 bytes */
    manifest_bytes_t payload_uri;
    manifest_bytes_t installed_digest;/* 32 bytes when has_metadata */
    manifest_bytes_t precursor_digest;/* 32 bytes or len 0 (absent) */
    uint64_t version;                 /* payload-version */
    uint64_t payload_size;
    uint64_t installed_size;          /* the image: installed-size (delta) or payload-size (raw,
                                         set so by manifest_check; installed_digest likewise) */
    int payload_format;
    int has_metadata;
} manifest_t;

/* What the device knows about itself for the policy checks. */
typedef struct manifest_device {
    const uint8_t *vendor_id;         /* 16 bytes */
    const uint8_t *class_id;          /* 16 bytes */
    const uint8_t *public_key;        /* 65 bytes, uncompressed SEC1 point */
    uint64_t running_version;
    const uint8_t *active_digest;     /* 32 bytes, NULL when the active header is unreadable */
} manifest_device_t;

/* Strict DER decode of a SignedResource into m (pointers into der). 0 or -1 ("manifest"). */
int manifest_decode(const uint8_t *der, size_t len, manifest_t *m);
/* ECDSA P-256 / SHA-256 verify of m->signed_part with m->signature. 0 when valid. Uses the
 * Mbed TLS heap (calloc) and takes MANIFEST_VERIFY_* time: see README.md "Update client". */
int manifest_verify_signature(const manifest_t *m, const uint8_t public_key[65]);
/* Decode, verify and check; NULL when the update is acceptable, else the reason string. */
const char *manifest_check(const uint8_t *der, size_t len, const manifest_device_t *dev,
                           manifest_t *m);

#endif
