/*
 * The host manifest codec (harness/codec/manifest.c, manifest_keys.c): Pelion manifest v3 DER,
 * ECDSA P-256 (RFC 6979), keys, uuid5, the payload describer (raw and delta).
 *
 * KAT_DELTA below was made by an independent implementation (Python: a hand-written DER encoder
 * and the `cryptography` package's deterministic ECDSA, RFC 6979) from the bundled dev key, so
 * the byte-for-byte comparison checks our DER, the hash input and the RFC 6979 nonce at once.
 */
#define _GNU_SOURCE     /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "codec/bundled.h"
#include "codec/delta.h"
#include "codec/manifest.h"

/* The public point compiled into the firmware (firmware/keys/dev-signing-key.pem). */
static const uint8_t DEV_PUB[65] = {
    0x04, 0x73, 0x36, 0x59, 0x70, 0x69, 0xf5, 0x8c, 0x57, 0x7d, 0x9a, 0xc8, 0x60, 0xa7, 0x24, 0x9a,
    0x4b, 0x20, 0x6a, 0xb8, 0x23, 0x02, 0x47, 0xb8, 0xe8, 0xc5, 0x51, 0x70, 0x8c, 0x94, 0x18, 0x00,
    0x87, 0xb1, 0x4a, 0x8b, 0x0c, 0x57, 0xe8, 0x81, 0x8c, 0x2f, 0xf3, 0x33, 0x06, 0x63, 0x16, 0x0d,
    0x93, 0xef, 0x39, 0xd6, 0x40, 0x29, 0x74, 0x4a, 0x8f, 0x29, 0x17, 0xb4, 0x3c, 0x88, 0x54, 0x4b,
    0x2b,
};

/* Default ids, "MAIN", version "2", payload-digest 00..1f, payload-size 1752, uri "payload",
 * arm-patch-stream, installed-signature empty, metadata { 70000, 20..3f, 40..5f }, signed with
 * the bundled dev key. */
static const uint8_t KAT_DELTA[250] = {
    0x30, 0x81, 0xf7, 0x0a, 0x01, 0x03, 0x30, 0x81, 0xaf, 0x04, 0x10, 0x06, 0xa5, 0x1b, 0xd6, 0xa8,
    0x1f, 0x54, 0x36, 0x9f, 0x79, 0x68, 0x89, 0x45, 0xd2, 0x83, 0x90, 0x04, 0x10, 0xf7, 0xf2, 0xc1,
    0xcc, 0xc2, 0x93, 0x5f, 0xd3, 0xb7, 0xf7, 0x1f, 0x37, 0x81, 0x7b, 0x35, 0x49, 0x02, 0x01, 0x00,
    0x0c, 0x04, 0x4d, 0x41, 0x49, 0x4e, 0x0c, 0x01, 0x32, 0x04, 0x20, 0x00, 0x01, 0x02, 0x03, 0x04,
    0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
    0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x02, 0x02, 0x06, 0xd8, 0x0c,
    0x07, 0x70, 0x61, 0x79, 0x6c, 0x6f, 0x61, 0x64, 0x0a, 0x01, 0x05, 0x04, 0x00, 0x30, 0x49, 0x02,
    0x03, 0x01, 0x11, 0x70, 0x04, 0x20, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
    0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x04, 0x20, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
    0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57,
    0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x04, 0x40, 0x6f, 0xf5, 0xd2, 0x51, 0x95, 0xb9,
    0x60, 0xe1, 0x2a, 0x97, 0x19, 0xb4, 0x14, 0xee, 0xef, 0x9d, 0x56, 0x68, 0x0a, 0x59, 0xb5, 0x7e,
    0x33, 0xfd, 0x9c, 0xc5, 0xde, 0xf2, 0x65, 0x1a, 0x76, 0x59, 0x7c, 0x44, 0x3e, 0x0c, 0x19, 0x17,
    0x88, 0x20, 0xec, 0x4c, 0xee, 0x23, 0xd0, 0x1d, 0x9a, 0x00, 0x40, 0x3e, 0xba, 0xa7, 0x2f, 0xd6,
    0xaf, 0x33, 0x2c, 0x19, 0x0d, 0x0d, 0xcb, 0xbd, 0x20, 0x57,
};
enum { KAT_MANIFEST_OFF = 6, KAT_MANIFEST_LEN = 3 + 0xaf, KAT_SIG_OFF = 186 };

static mf_key_t *dev_key(void)
{
    size_t len = 0;
    const uint8_t *pem = bundled_dev_key(&len);
    mf_key_t *k = NULL;
    char err[256];
    assert_int_equal(mf_key_parse(pem, len, "dev", &k, err, sizeof err), MF_OK);
    return k;
}

static void kat_manifest(manifest_t *m)
{
    mf_init(m);
    strcpy(m->version, "2");
    for (int i = 0; i < 32; i++) {
        m->payload_digest[i] = (uint8_t)i;
        m->installed_digest[i] = (uint8_t)(0x20 + i);
        m->precursor_digest[i] = (uint8_t)(0x40 + i);
    }
    m->payload_digest_len = m->installed_digest_len = m->precursor_digest_len = 32;
    m->payload_size = 1752;
    m->format = MF_FORMAT_DELTA;
    m->has_metadata = m->has_precursor = true;
    m->installed_size = 70000;
}

/* Every field of a and b equal (strings by value). */
static void assert_manifest_equal(const manifest_t *a, const manifest_t *b)
{
    assert_int_equal(a->manifest_version, b->manifest_version);
    assert_int_equal(a->vendor_id_len, b->vendor_id_len);
    assert_memory_equal(a->vendor_id, b->vendor_id, a->vendor_id_len);
    assert_int_equal(a->class_id_len, b->class_id_len);
    assert_memory_equal(a->class_id, b->class_id, a->class_id_len);
    assert_true(a->update_priority == b->update_priority);
    assert_string_equal(a->component, b->component);
    assert_string_equal(a->version, b->version);
    assert_int_equal(a->payload_digest_len, b->payload_digest_len);
    assert_memory_equal(a->payload_digest, b->payload_digest, a->payload_digest_len);
    assert_true(a->payload_size == b->payload_size);
    assert_string_equal(a->uri, b->uri);
    assert_int_equal(a->format, b->format);
    assert_int_equal(a->installed_signature_len, b->installed_signature_len);
    assert_memory_equal(a->installed_signature, b->installed_signature, a->installed_signature_len);
    assert_int_equal(a->has_metadata, b->has_metadata);
    if (a->has_metadata) {
        assert_true(a->installed_size == b->installed_size);
        assert_int_equal(a->installed_digest_len, b->installed_digest_len);
        assert_memory_equal(a->installed_digest, b->installed_digest, a->installed_digest_len);
        assert_int_equal(a->has_precursor, b->has_precursor);
        if (a->has_precursor) {
            assert_int_equal(a->precursor_digest_len, b->precursor_digest_len);
            assert_memory_equal(a->precursor_digest, b->precursor_digest, a->precursor_digest_len);
        }
    }
    assert_int_equal(a->signature_len, b->signature_len);
    assert_memory_equal(a->signature, b->signature, a->signature_len);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("'%s' not in '%s'", needle, hay);
}

/* ---- ids --------------------------------------------------------------------------------- */

static void uuid5_known_values(void **state)
{
    (void)state;
    uint8_t id[16], want[16];
    char text[37];
    assert_int_equal(mf_uuid5(mf_namespace_dns, "fwemu.invalid", id), MF_OK);
    mf_format_uuid(id, text);
    assert_string_equal(text, "06a51bd6-a81f-5436-9f79-688945d28390");
    assert_memory_equal(id, mf_default_vendor_id, 16);
    assert_int_equal(mf_uuid5(id, "fwemu-k64f-app", id), MF_OK);
    mf_format_uuid(id, text);
    assert_string_equal(text, "f7f2c1cc-c293-5fd3-b7f7-1f37817b3549");
    assert_memory_equal(id, mf_default_class_id, 16);
    /* Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") */
    assert_int_equal(mf_uuid5(mf_namespace_dns, "python.org", id), MF_OK);
    assert_int_equal(mf_parse_uuid("886313e1-3b8a-5372-9b90-0c9aee199e5d", want), MF_OK);
    assert_memory_equal(id, want, 16);
}

static void parse_uuid_forms(void **state)
{
    (void)state;
    uint8_t a[16], b[16];
    assert_int_equal(mf_parse_uuid("06a51bd6-a81f-5436-9f79-688945d28390", a), MF_OK);
    assert_memory_equal(a, mf_default_vendor_id, 16);
    assert_int_equal(mf_parse_uuid("06A51BD6A81F54369F79688945D28390", b), MF_OK);
    assert_memory_equal(b, mf_default_vendor_id, 16);
    static const char *bad[] = {
        "", "06a51bd6", "06a51bd6-a81f-5436-9f79-688945d2839", "06a51bd6-a81f-5436-9f79-688945d283900",
        "06a51bd6xa81f-5436-9f79-688945d28390", "06a51bd6-a81f-5436-9f79-688945d2839g",
        "06a51bd6a81f54369f79688945d2839", "-6a51bd6-a81f-5436-9f79-688945d28390",
        "06a51bd6a-81f-5436-9f79-688945d28390", "06a51bd6a81f54369f79688945d2839 ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(mf_parse_uuid(bad[i], a), MF_ERR_ARG);
}

static void format_names(void **state)
{
    (void)state;
    assert_string_equal(mf_format_name(1), "raw-binary");
    assert_string_equal(mf_format_name(5), "arm-patch-stream");
    assert_string_equal(mf_format_name(6), "combined");
    assert_string_equal(mf_format_name(257), "encrypted-raw");
    assert_string_equal(mf_format_name(262), "encrypted-combined");
    assert_string_equal(mf_format_name(2), "unknown");
    for (int e = MF_ERR_IO; e <= MF_OK; e++)
        assert_string_not_equal(mf_strerror(e), "unknown error");
}

/* ---- keys -------------------------------------------------------------------------------- */

static void bundled_key_matches_firmware(void **state)
{
    (void)state;
    mf_key_t *k = dev_key();
    assert_true(mf_key_has_private(k));
    uint8_t pt[65];
    assert_int_equal(mf_key_public_point(k, pt), MF_OK);
    assert_memory_equal(pt, DEV_PUB, 65);
    mf_key_free(k);
}

static void generated_keys_round_trip_as_pem(void **state)
{
    (void)state;
    char err[256];
    mf_key_t *k = NULL, *priv = NULL, *pub = NULL;
    assert_int_equal(mf_key_generate(&k, err, sizeof err), MF_OK);
    assert_true(mf_key_has_private(k));
    char *ppem = NULL, *upem = NULL;
    assert_int_equal(mf_key_pem(k, true, &ppem), MF_OK);
    assert_int_equal(mf_key_pem(k, false, &upem), MF_OK);
    assert_non_null(strstr(ppem, "-----BEGIN EC PRIVATE KEY-----"));
    assert_non_null(strstr(upem, "-----BEGIN PUBLIC KEY-----"));
    assert_int_equal(mf_key_parse((uint8_t *)ppem, strlen(ppem) + 1, "priv", &priv, err, sizeof err), MF_OK);
    assert_int_equal(mf_key_parse((uint8_t *)upem, strlen(upem) + 1, "pub", &pub, err, sizeof err), MF_OK);
    assert_true(mf_key_has_private(priv));
    assert_false(mf_key_has_private(pub));
    uint8_t a[65], b[65], c[65];
    assert_int_equal(mf_key_public_point(k, a), MF_OK);
    assert_int_equal(mf_key_public_point(priv, b), MF_OK);
    assert_int_equal(mf_key_public_point(pub, c), MF_OK);
    assert_memory_equal(a, b, 65);
    assert_memory_equal(a, c, 65);
    char *x = NULL;
    assert_int_equal(mf_key_pem(pub, true, &x), MF_ERR_KEY);   /* no private half */
    assert_null(x);

    /* mf_key_load: PEM and DER files, private and public */
    char dir[] = "/tmp/test_manifest_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/k.pem", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(ppem, f);
    fclose(f);
    mf_key_t *l = NULL;
    assert_int_equal(mf_key_load(path, &l, err, sizeof err), MF_OK);
    assert_true(mf_key_has_private(l));
    mf_key_free(l);
    unlink(path);
    /* DER of the public key through mbedtls */
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    assert_int_equal(mbedtls_pk_parse_public_key(&pk, (const unsigned char *)upem, strlen(upem) + 1), 0);
    unsigned char der[256];
    int n = mbedtls_pk_write_pubkey_der(&pk, der, sizeof der);
    assert_true(n > 0);
    mbedtls_pk_free(&pk);
    snprintf(path, sizeof path, "%s/p.der", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(der + sizeof der - n, 1, (size_t)n, f);
    fclose(f);
    assert_int_equal(mf_key_load(path, &l, err, sizeof err), MF_OK);
    assert_false(mf_key_has_private(l));
    assert_int_equal(mf_key_public_point(l, b), MF_OK);
    assert_memory_equal(a, b, 65);
    mf_key_free(l);
    unlink(path);
    snprintf(path, sizeof path, "%s/none.pem", dir);
    assert_int_equal(mf_key_load(path, &l, err, sizeof err), MF_ERR_IO);
    assert_null(l);
    assert_contains(err, "none.pem");
    rmdir(dir);

    free(ppem);
    free(upem);
    mf_key_free(k);
    mf_key_free(priv);
    mf_key_free(pub);
}

static void bad_keys_are_refused(void **state)
{
    (void)state;
    char err[256];
    mf_key_t *k = NULL;
    static const char junk[] = "-----BEGIN EC PRIVATE KEY-----\nnot base64\n-----END EC PRIVATE KEY-----\n";
    assert_int_equal(mf_key_parse((const uint8_t *)junk, sizeof junk, "junk.pem", &k, err, sizeof err),
                     MF_ERR_KEY);
    assert_null(k);
    assert_contains(err, "junk.pem");
    assert_int_equal(mf_key_parse((const uint8_t *)"\x30\x03\x02\x01\x01", 5, "x.der", &k, err, sizeof err),
                     MF_ERR_KEY);
    /* A P-384 key: parses in mbedtls, refused here (wrong curve). */
    mbedtls_pk_context pk;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0), 0);
    assert_int_equal(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP384R1, mbedtls_pk_ec(pk),
                                         mbedtls_ctr_drbg_random, &drbg), 0);
    unsigned char der[512];
    int n = mbedtls_pk_write_key_der(&pk, der, sizeof der);
    assert_true(n > 0);
    assert_int_equal(mf_key_parse(der + sizeof der - n, (size_t)n, "p384.der", &k, err, sizeof err),
                     MF_ERR_KEY);
    assert_contains(err, "secp384r1");
    mbedtls_pk_free(&pk);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
}

/* ---- encoding ---------------------------------------------------------------------------- */

static void kat_bytes_match_an_independent_implementation(void **state)
{
    (void)state;
    manifest_t m;
    kat_manifest(&m);
    mf_key_t *k = dev_key();
    uint8_t *der = NULL;
    size_t len = 0;
    char err[256];
    assert_int_equal(mf_encode(&m, k, &der, &len, err, sizeof err), MF_OK);
    /* the expected start: SEQUENCE, ENUMERATED 3, SEQUENCE, OCTET STRING 16 */
    assert_true(len > 12);
    assert_int_equal(der[0], 0x30);
    assert_int_equal(der[1], 0x81);
    static const uint8_t head[] = { 0x0a, 0x01, 0x03, 0x30, 0x81, 0xaf, 0x04, 0x10 };
    assert_memory_equal(der + 3, head, sizeof head);
    assert_int_equal(len, sizeof KAT_DELTA);
    assert_memory_equal(der, KAT_DELTA, len);
    assert_int_equal(m.signature_len, 64);
    assert_memory_equal(m.signature, KAT_DELTA + KAT_SIG_OFF, 64);
    assert_int_equal(mf_verify(der, len, k, err, sizeof err), MF_OK);
    free(der);
    mf_key_free(k);
}

static void raw_manifest_layout(void **state)
{
    (void)state;
    manifest_t m, d;
    mf_init(&m);
    uint8_t payload[1752];
    memset(payload, 0xA5, sizeof payload);
    char err[256];
    assert_int_equal(mf_describe_payload(&m, 2, payload, sizeof payload, NULL, 0, err, sizeof err), MF_OK);
    mf_key_t *k = dev_key();
    uint8_t *der = NULL;
    size_t len = 0;
    assert_int_equal(mf_encode(&m, k, &der, &len, err, sizeof err), MF_OK);
    /* 30 81 ab | 0a 01 03 | 30 64 ... : a raw manifest has no payload-metadata */
    static const uint8_t head[] = { 0x30, 0x81, 0xab, 0x0a, 0x01, 0x03, 0x30, 0x64, 0x04, 0x10 };
    assert_int_equal(len, 174);
    assert_memory_equal(der, head, sizeof head);
    /* installed-signature empty, then the signature right after the Manifest */
    assert_int_equal(der[106], 0x04);
    assert_int_equal(der[107], 0x00);
    assert_int_equal(der[108], 0x04);
    assert_int_equal(der[109], 0x40);
    assert_int_equal(mf_decode(der, len, &d, err, sizeof err), MF_OK);
    assert_manifest_equal(&m, &d);
    assert_false(d.has_metadata);
    assert_int_equal(mf_check(&d, err, sizeof err), MF_OK);
    free(der);
    mf_key_free(k);
}

static void round_trip(const manifest_t *m, const mf_key_t *key)
{
    manifest_t in = *m, out;
    uint8_t *der = NULL;
    size_t len = 0;
    char err[256];
    assert_int_equal(mf_encode(&in, key, &der, &len, err, sizeof err), MF_OK);
    if (mf_decode(der, len, &out, err, sizeof err) != MF_OK)
        fail_msg("decode: %s", err);
    assert_manifest_equal(&in, &out);
    if (key)
        assert_int_equal(mf_verify(der, len, key, err, sizeof err), MF_OK);
    /* encode(decode(x)) == x */
    uint8_t *again = NULL;
    size_t alen = 0;
    assert_int_equal(mf_encode(&out, NULL, &again, &alen, err, sizeof err), MF_OK);
    assert_int_equal(alen, len);
    assert_memory_equal(again, der, len);
    free(again);
    free(der);
}

static void every_field_round_trips(void **state)
{
    (void)state;
    mf_key_t *k = dev_key();
    manifest_t m;
    /* raw, defaults */
    mf_init(&m);
    round_trip(&m, k);
    round_trip(&m, NULL);
    /* every field away from its default */
    mf_init(&m);
    m.vendor_id_len = 64;
    for (int i = 0; i < 64; i++)
        m.vendor_id[i] = (uint8_t)(0xFF - i);
    m.class_id_len = 3;
    m.update_priority = -129;
    strcpy(m.component, "COMPONENT-NAME-\xc3\xa9-\xe2\x82\xac-longer-than-eight");
    strcpy(m.version, "18446744073709551615");
    m.payload_digest_len = 31;
    memset(m.payload_digest, 0x80, 31);
    m.payload_size = UINT64_MAX;
    memset(m.uri, 'u', 127);
    m.uri[127] = 0;
    m.format = MF_FORMAT_ENC_COMBINED;
    m.installed_signature_len = 64;
    memset(m.installed_signature, 0x5A, 64);
    round_trip(&m, k);
    /* signature of any length when not signing */
    m.signature_len = 128;
    memset(m.signature, 0x33, 128);
    round_trip(&m, NULL);
    m.signature_len = 0;
    round_trip(&m, NULL);
    /* delta with and without precursor */
    kat_manifest(&m);
    round_trip(&m, k);
    m.has_precursor = false;
    round_trip(&m, k);
    m.installed_size = (uint64_t)1 << 63;
    m.installed_digest_len = 0;
    round_trip(&m, k);
    mf_key_free(k);
}

static void integer_edges_round_trip(void **state)
{
    (void)state;
    static const int64_t prio[] = { INT64_MIN, INT64_MIN + 1, -32769, -32768, -129, -128, -1, 0, 1,
                                    127, 128, 255, 256, 32767, 32768, INT64_MAX };
    static const uint64_t sizes[] = { 0, 1, 127, 128, 255, 256, 65535, 65536, (uint64_t)INT64_MAX,
                                      (uint64_t)INT64_MAX + 1, UINT64_MAX };
    static const uint32_t formats[] = { 0, 1, 5, 127, 128, 255, 256, 257, 262, UINT32_MAX };
    manifest_t m;
    for (size_t i = 0; i < sizeof prio / sizeof prio[0]; i++) {
        mf_init(&m);
        m.update_priority = prio[i];
        round_trip(&m, NULL);
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        mf_init(&m);
        m.payload_size = sizes[i];
        m.has_metadata = true;
        m.installed_size = sizes[i];
        round_trip(&m, NULL);
    }
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        mf_init(&m);
        m.format = formats[i];
        round_trip(&m, NULL);
    }
    /* exact minimal encodings */
    uint8_t *der = NULL;
    size_t len = 0;
    char err[256];
    mf_init(&m);
    m.payload_size = 128;        /* 02 02 00 80 */
    m.update_priority = -128;    /* 02 01 80 */
    assert_int_equal(mf_encode(&m, NULL, &der, &len, err, sizeof err), MF_OK);
    static const uint8_t prio_enc[] = { 0x02, 0x01, 0x80, 0x0c, 0x04, 'M', 'A', 'I', 'N' };
    static const uint8_t size_enc[] = { 0x02, 0x02, 0x00, 0x80, 0x0c, 0x07, 'p' };
    assert_non_null(memmem(der, len, prio_enc, sizeof prio_enc));
    assert_non_null(memmem(der, len, size_enc, sizeof size_enc));
    free(der);
}

static void encode_refuses_bad_arguments(void **state)
{
    (void)state;
    manifest_t m;
    uint8_t *der = NULL;
    size_t len = 0;
    char err[256];
    mf_init(&m);
    m.vendor_id_len = 65;
    assert_int_equal(mf_encode(&m, NULL, &der, &len, err, sizeof err), MF_ERR_ARG);
    assert_contains(err, "manifest.vendor-id");
    assert_null(der);
    mf_init(&m);
    memset(m.component, 'x', sizeof m.component);
    assert_int_equal(mf_encode(&m, NULL, &der, &len, err, sizeof err), MF_ERR_ARG);
    assert_contains(err, "component-name");
    mf_init(&m);
    m.signature_len = 129;
    assert_int_equal(mf_encode(&m, NULL, &der, &len, err, sizeof err), MF_ERR_ARG);
    /* a public key cannot sign */
    mf_key_t *k = dev_key(), *pub = NULL;
    char *pem = NULL;
    assert_int_equal(mf_key_pem(k, false, &pem), MF_OK);
    assert_int_equal(mf_key_parse((uint8_t *)pem, strlen(pem) + 1, "pub", &pub, err, sizeof err), MF_OK);
    mf_init(&m);
    assert_int_equal(mf_encode(&m, pub, &der, &len, err, sizeof err), MF_ERR_KEY);
    assert_null(der);
    free(pem);
    mf_key_free(pub);
    mf_key_free(k);
}

/* ---- signatures -------------------------------------------------------------------------- */

static void signatures_are_deterministic(void **state)
{
    (void)state;
    char err[256];
    mf_key_t *k = NULL;
    assert_int_equal(mf_key_generate(&k, err, sizeof err), MF_OK);
    manifest_t a, b;
    kat_manifest(&a);
    kat_manifest(&b);
    uint8_t *da = NULL, *db = NULL;
    size_t la = 0, lb = 0;
    assert_int_equal(mf_encode(&a, k, &da, &la, err, sizeof err), MF_OK);
    assert_int_equal(mf_encode(&b, k, &db, &lb, err, sizeof err), MF_OK);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    /* a different manifest gets a different signature */
    strcpy(b.version, "3");
    free(db);
    assert_int_equal(mf_encode(&b, k, &db, &lb, err, sizeof err), MF_OK);
    assert_memory_not_equal(a.signature, b.signature, 64);
    free(da);
    free(db);
    mf_key_free(k);
}

static void verify_detects_every_change(void **state)
{
    (void)state;
    char err[256];
    mf_key_t *dev = dev_key(), *other = NULL, *pub = NULL;
    assert_int_equal(mf_key_generate(&other, err, sizeof err), MF_OK);
    char *pem = NULL;
    assert_int_equal(mf_key_pem(dev, false, &pem), MF_OK);
    assert_int_equal(mf_key_parse((uint8_t *)pem, strlen(pem) + 1, "pub", &pub, err, sizeof err), MF_OK);
    free(pem);

    assert_int_equal(mf_verify(KAT_DELTA, sizeof KAT_DELTA, dev, err, sizeof err), MF_OK);
    assert_int_equal(mf_verify(KAT_DELTA, sizeof KAT_DELTA, pub, err, sizeof err), MF_OK);
    assert_int_equal(mf_verify(KAT_DELTA, sizeof KAT_DELTA, other, err, sizeof err), MF_ERR_SIGNATURE);
    assert_contains(err, "signature");

    uint8_t buf[sizeof KAT_DELTA];
    manifest_t m;
    /* one flipped byte anywhere in the Manifest: never verifies; when it still decodes, the
     * signature is what fails */
    int sig_fails = 0;
    for (size_t i = KAT_MANIFEST_OFF; i < KAT_MANIFEST_OFF + KAT_MANIFEST_LEN; i++) {
        memcpy(buf, KAT_DELTA, sizeof buf);
        buf[i] ^= 0x01;
        int rc = mf_verify(buf, sizeof buf, dev, err, sizeof err);
        assert_int_not_equal(rc, MF_OK);
        if (mf_decode(buf, sizeof buf, &m, err, sizeof err) == MF_OK) {
            assert_int_equal(rc, MF_ERR_SIGNATURE);
            sig_fails++;
        }
    }
    assert_true(sig_fails > 120);
    /* flipped signature bytes */
    for (size_t i = KAT_SIG_OFF; i < sizeof KAT_DELTA; i++) {
        memcpy(buf, KAT_DELTA, sizeof buf);
        buf[i] ^= 0x80;
        assert_int_equal(mf_verify(buf, sizeof buf, dev, err, sizeof err), MF_ERR_SIGNATURE);
    }
    /* a signature of the wrong length */
    kat_manifest(&m);
    uint8_t *der = NULL;
    size_t len = 0;
    assert_int_equal(mf_encode(&m, dev, &der, &len, err, sizeof err), MF_OK);
    free(der);
    m.signature_len = 63;
    assert_int_equal(mf_encode(&m, NULL, &der, &len, err, sizeof err), MF_OK);
    assert_int_equal(mf_verify(der, len, dev, err, sizeof err), MF_ERR_SIGNATURE);
    assert_contains(err, "signature: 63 bytes");
    free(der);
    /* r = 0, s = 0 */
    memset(m.signature, 0, 64);
    m.signature_len = 64;
    assert_int_equal(mf_encode(&m, NULL, &der, &len, err, sizeof err), MF_OK);
    assert_int_equal(mf_verify(der, len, dev, err, sizeof err), MF_ERR_SIGNATURE);
    free(der);
    /* malformed input: a DER error, not a signature error */
    assert_int_equal(mf_verify(KAT_DELTA, sizeof KAT_DELTA - 1, dev, err, sizeof err), MF_ERR_DER);
    mf_key_free(dev);
    mf_key_free(other);
    mf_key_free(pub);
}

/* ---- strict decoding --------------------------------------------------------------------- */

/* A SignedResource built from parts, so each test changes one element (any bytes). */
typedef struct tb {
    uint8_t b[1024];
    size_t n;
} tb_t;

static void tb_raw(tb_t *t, const void *p, size_t n)
{
    assert_true(t->n + n <= sizeof t->b);
    memcpy(t->b + t->n, p, n);
    t->n += n;
}

static void tb_tlv(tb_t *t, uint8_t tag, const void *p, size_t n)
{
    uint8_t h[4] = { tag };
    size_t hn = 2;
    if (n < 0x80) {
        h[1] = (uint8_t)n;
    } else if (n < 0x100) {
        h[1] = 0x81;
        h[2] = (uint8_t)n;
        hn = 3;
    } else {
        h[1] = 0x82;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hn = 4;
    }
    tb_raw(t, h, hn);
    tb_raw(t, p, n);
}

enum { E_VER, E_VENDOR, E_CLASS, E_PRIO, E_COMP, E_PVER, E_DIGEST, E_SIZE, E_URI, E_FORMAT,
       E_ISIG, E_META, E_VDATA, E_SIG, E_COUNT };

typedef struct parts {
    tb_t e[E_COUNT];
} parts_t;

static void parts_default(parts_t *p)
{
    memset(p, 0, sizeof *p);
    static const uint8_t d32[32] = { 1 }, sig[64] = { 2 };
    tb_raw(&p->e[E_VER], "\x0a\x01\x03", 3);
    tb_tlv(&p->e[E_VENDOR], 0x04, mf_default_vendor_id, 16);
    tb_tlv(&p->e[E_CLASS], 0x04, mf_default_class_id, 16);
    tb_raw(&p->e[E_PRIO], "\x02\x01\x00", 3);
    tb_tlv(&p->e[E_COMP], 0x0c, "MAIN", 4);
    tb_tlv(&p->e[E_PVER], 0x0c, "2", 1);
    tb_tlv(&p->e[E_DIGEST], 0x04, d32, 32);
    tb_raw(&p->e[E_SIZE], "\x02\x02\x06\xd8", 4);
    tb_tlv(&p->e[E_URI], 0x0c, "payload", 7);
    tb_raw(&p->e[E_FORMAT], "\x0a\x01\x01", 3);
    tb_raw(&p->e[E_ISIG], "\x04\x00", 2);
    tb_tlv(&p->e[E_SIG], 0x04, sig, 64);
}

static void set_part(parts_t *p, int i, const void *bytes, size_t n)
{
    p->e[i].n = 0;
    tb_raw(&p->e[i], bytes, n);
}

static void parts_build(const parts_t *p, tb_t *out)
{
    tb_t man = { .n = 0 }, sr = { .n = 0 };
    for (int i = E_VENDOR; i <= E_VDATA; i++)
        tb_raw(&man, p->e[i].b, p->e[i].n);
    tb_raw(&sr, p->e[E_VER].b, p->e[E_VER].n);
    tb_tlv(&sr, 0x30, man.b, man.n);
    tb_raw(&sr, p->e[E_SIG].b, p->e[E_SIG].n);
    out->n = 0;
    tb_tlv(out, 0x30, sr.b, sr.n);
}

/* Decode p: expect rc and a message containing want. */
static void expect_decode(const parts_t *p, int rc, const char *want)
{
    tb_t t;
    parts_build(p, &t);
    manifest_t m;
    char err[256] = "";
    int got = mf_decode(t.b, t.n, &m, err, sizeof err);
    if (got != rc)
        fail_msg("expected %d ('%s'), got %d: %s", rc, want ? want : "(none)", got, err);
    if (want)
        assert_contains(err, want);
}

static void parts_decode_and_metadata(void **state)
{
    (void)state;
    parts_t p;
    parts_default(&p);
    expect_decode(&p, MF_OK, NULL);
    /* metadata with and without precursor; vendor-data is accepted and skipped */
    static const uint8_t d32[32] = { 0 };
    tb_t md = { .n = 0 };
    tb_raw(&md, "\x02\x01\x10", 3);
    tb_tlv(&md, 0x04, d32, 32);
    tb_t e = { .n = 0 };
    tb_tlv(&e, 0x30, md.b, md.n);
    set_part(&p, E_META, e.b, e.n);
    expect_decode(&p, MF_OK, NULL);
    set_part(&p, E_VDATA, "\x04\x03xyz", 5);
    expect_decode(&p, MF_OK, NULL);
    /* an extra element in the metadata */
    tb_raw(&md, "\x04\x00", 2);
    tb_raw(&md, "\x04\x00", 2);
    e.n = 0;
    tb_tlv(&e, 0x30, md.b, md.n);
    set_part(&p, E_META, e.b, e.n);
    expect_decode(&p, MF_ERR_DER, "manifest.payload-metadata: 2 unexpected bytes after precursor-digest");
    /* metadata: installed-size missing */
    set_part(&p, E_META, "\x30\x00", 2);
    expect_decode(&p, MF_ERR_DER, "manifest.payload-metadata.installed-size: missing");
    /* an element after vendor-data */
    parts_default(&p);
    set_part(&p, E_VDATA, "\x04\x00\x04\x00", 4);
    expect_decode(&p, MF_ERR_DER, "manifest: unexpected element (tag 0x04, 2 bytes left) after vendor-data");
    parts_default(&p);
    set_part(&p, E_META, "\x31\x00", 2);
    expect_decode(&p, MF_ERR_DER, "after installed-signature");
}

static void decode_rejects_truncation_and_trailing_bytes(void **state)
{
    (void)state;
    manifest_t m;
    char err[256];
    for (size_t n = 0; n < sizeof KAT_DELTA; n++) {
        err[0] = 0;
        assert_int_equal(mf_decode(KAT_DELTA, n, &m, err, sizeof err), MF_ERR_DER);
        assert_true(err[0] != 0);
    }
    assert_int_equal(mf_decode(KAT_DELTA, 0, &m, err, sizeof err), MF_ERR_DER);
    assert_contains(err, "SignedResource: empty input (0 bytes), not a manifest");
    assert_int_equal(mf_decode(KAT_DELTA, 100, &m, err, sizeof err), MF_ERR_DER);
    assert_contains(err, "SignedResource: length 247 exceeds the 97 bytes left");
    assert_int_equal(mf_decode(NULL, 0, &m, err, sizeof err), MF_ERR_DER);

    /* truncation inside each element, the enclosing lengths kept consistent */
    parts_t p;
    for (int i = E_VER; i <= E_SIG; i++) {
        parts_default(&p);
        if (!p.e[i].n)
            continue;
        for (size_t cut = 0; cut < p.e[i].n; cut++) {
            parts_t q = p;
            q.e[i].n = cut;
            tb_t t;
            parts_build(&q, &t);
            assert_int_not_equal(mf_decode(t.b, t.n, &m, err, sizeof err), MF_OK);
        }
    }
    parts_default(&p);
    p.e[E_SIG].n = 10;    /* 04 40 + 8 bytes: the signature cut */
    expect_decode(&p, MF_ERR_DER, "signature: length 64 exceeds the 8 bytes left");

    uint8_t buf[sizeof KAT_DELTA + 1];
    memcpy(buf, KAT_DELTA, sizeof KAT_DELTA);
    buf[sizeof KAT_DELTA] = 0;
    assert_int_equal(mf_decode(buf, sizeof buf, &m, err, sizeof err), MF_ERR_DER);
    assert_contains(err, "SignedResource: 1 trailing bytes");
    /* bytes after the signature inside SignedResource */
    parts_default(&p);
    tb_raw(&p.e[E_SIG], "\x05\x00", 2);
    expect_decode(&p, MF_ERR_DER, "SignedResource: 2 unexpected bytes after the signature");
    assert_int_equal(mf_decode(KAT_DELTA, sizeof KAT_DELTA, &m, err, sizeof err), MF_OK);
}

static void decode_rejects_wrong_versions_and_tags(void **state)
{
    (void)state;
    parts_t p;
    parts_default(&p);
    set_part(&p, E_VER, "\x0a\x01\x04", 3);
    expect_decode(&p, MF_ERR_FIELD, "manifest-version: 4, expected 3");
    set_part(&p, E_VER, "\x0a\x01\x02", 3);
    expect_decode(&p, MF_ERR_FIELD, "manifest-version: 2, expected 3");
    set_part(&p, E_VER, "\x02\x01\x03", 3);       /* INTEGER, not ENUMERATED */
    expect_decode(&p, MF_ERR_DER, "manifest-version: tag 0x02, expected 0x0a (ENUMERATED)");
    parts_default(&p);
    set_part(&p, E_VENDOR, "\x0c\x01x", 3);
    expect_decode(&p, MF_ERR_DER, "manifest.vendor-id: tag 0x0c, expected 0x04 (OCTET STRING)");
    parts_default(&p);
    set_part(&p, E_PRIO, "\x0a\x01\x00", 3);
    expect_decode(&p, MF_ERR_DER, "manifest.update-priority: tag 0x0a, expected 0x02 (INTEGER)");
    parts_default(&p);
    set_part(&p, E_COMP, "\x13\x04MAIN", 6);       /* PrintableString */
    expect_decode(&p, MF_ERR_DER, "manifest.component-name: tag 0x13, expected 0x0c (UTF8String)");
    parts_default(&p);
    set_part(&p, E_FORMAT, "\x02\x01\x01", 3);
    expect_decode(&p, MF_ERR_DER, "manifest.payload-format: tag 0x02, expected 0x0a");
    parts_default(&p);
    set_part(&p, E_SIG, "\x03\x01\x00", 3);        /* BIT STRING */
    expect_decode(&p, MF_ERR_DER, "signature: tag 0x03, expected 0x04");
    /* missing elements */
    parts_default(&p);
    p.e[E_ISIG].n = 0;
    expect_decode(&p, MF_ERR_DER, "manifest.installed-signature: missing");
    parts_default(&p);
    p.e[E_SIG].n = 0;
    expect_decode(&p, MF_ERR_DER, "signature: missing");
    /* outer tags */
    uint8_t buf[sizeof KAT_DELTA];
    manifest_t m;
    char err[256];
    memcpy(buf, KAT_DELTA, sizeof buf);
    buf[0] = 0x31;
    assert_int_equal(mf_decode(buf, sizeof buf, &m, err, sizeof err), MF_ERR_DER);
    assert_contains(err, "SignedResource: tag 0x31, expected 0x30 (SEQUENCE)");
    memcpy(buf, KAT_DELTA, sizeof buf);
    buf[KAT_MANIFEST_OFF] = 0x04;
    assert_int_equal(mf_decode(buf, sizeof buf, &m, err, sizeof err), MF_ERR_DER);
    assert_contains(err, "manifest: tag 0x04, expected 0x30");
}

static void decode_rejects_bad_lengths_and_integers(void **state)
{
    (void)state;
    parts_t p;
    parts_default(&p);
    set_part(&p, E_VENDOR, "\x04\x7f\x00", 3);        /* oversized length */
    expect_decode(&p, MF_ERR_DER, "manifest.vendor-id: length 127 exceeds");
    set_part(&p, E_VENDOR, "\x04\x84\xff\xff\xff\xff", 6);
    expect_decode(&p, MF_ERR_DER, "manifest.vendor-id: length 4294967295 exceeds");
    set_part(&p, E_VENDOR, "\x04\x85\x01\x00\x00\x00\x00", 7);
    expect_decode(&p, MF_ERR_DER, "manifest.vendor-id: length of 5 bytes is too large");
    set_part(&p, E_VENDOR, "\x04\x80\x00\x00", 4);
    expect_decode(&p, MF_ERR_DER, "manifest.vendor-id: indefinite length");
    set_part(&p, E_VENDOR, "\x04\x81\x01x", 4);      /* long form for a short length */
    expect_decode(&p, MF_ERR_DER, "manifest.vendor-id: non-minimal length");
    set_part(&p, E_VENDOR, "\x04\x82\x00\x01x", 5);
    expect_decode(&p, MF_ERR_DER, "manifest.vendor-id: non-minimal length");
    parts_default(&p);
    set_part(&p, E_SIG, "\x04", 1);
    expect_decode(&p, MF_ERR_DER, "signature: truncated (no length)");
    set_part(&p, E_SIG, "\x04\x82\x01", 3);
    expect_decode(&p, MF_ERR_DER, "signature: truncated (length bytes)");
    parts_default(&p);
    /* a 65-byte id does not fit manifest_t */
    uint8_t big[65] = { 0 };
    tb_t e = { .n = 0 };
    tb_tlv(&e, 0x04, big, 65);
    set_part(&p, E_VENDOR, e.b, e.n);
    expect_decode(&p, MF_ERR_FIELD, "manifest.vendor-id: 65 bytes, at most 64");
    /* any id length up to 64 decodes (the device rejects it, not the codec) */
    set_part(&p, E_VENDOR, "\x04\x00", 2);
    expect_decode(&p, MF_OK, NULL);

    parts_default(&p);
    set_part(&p, E_SIZE, "\x02\x00", 2);
    expect_decode(&p, MF_ERR_DER, "manifest.payload-size: empty integer");
    set_part(&p, E_SIZE, "\x02\x02\x00\x10", 4);
    expect_decode(&p, MF_ERR_DER, "manifest.payload-size: non-minimal integer");
    set_part(&p, E_SIZE, "\x02\x02\xff\x80", 4);
    expect_decode(&p, MF_ERR_DER, "manifest.payload-size: non-minimal integer");
    set_part(&p, E_SIZE, "\x02\x02\x86\xd8", 4);
    expect_decode(&p, MF_ERR_FIELD, "manifest.payload-size: negative");
    set_part(&p, E_SIZE, "\x02\x0a\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
    expect_decode(&p, MF_ERR_FIELD, "manifest.payload-size: 10-byte integer, more than 64 bits");
    set_part(&p, E_SIZE, "\x02\x09\x00\xff\xff\xff\xff\xff\xff\xff\xff", 11);
    expect_decode(&p, MF_OK, NULL);                   /* UINT64_MAX */
    parts_default(&p);
    set_part(&p, E_PRIO, "\x02\x09\x00\x80\x00\x00\x00\x00\x00\x00\x00", 11);
    expect_decode(&p, MF_ERR_FIELD, "manifest.update-priority: 9-byte integer");
    set_part(&p, E_PRIO, "\x02\x01\xff", 3);
    expect_decode(&p, MF_OK, NULL);                   /* -1 */
    parts_default(&p);
    set_part(&p, E_FORMAT, "\x0a\x05\x01\x00\x00\x00\x00", 7);
    expect_decode(&p, MF_ERR_FIELD, "manifest.payload-format: 4294967296 is out of range");
    set_part(&p, E_FORMAT, "\x0a\x01\xff", 3);
    expect_decode(&p, MF_ERR_FIELD, "manifest.payload-format: negative");
    set_part(&p, E_FORMAT, "\x0a\x02\x01\x06", 4);
    expect_decode(&p, MF_OK, NULL);                   /* 262 */
    parts_default(&p);
    set_part(&p, E_VER, "\x0a\x00", 2);
    expect_decode(&p, MF_ERR_DER, "manifest-version: empty integer");

    /* strings */
    parts_default(&p);
    set_part(&p, E_COMP, "\x0c\x04MA\0N", 6);
    expect_decode(&p, MF_ERR_FIELD, "manifest.component-name: contains a NUL byte");
    set_part(&p, E_COMP, "\x0c\x02\xc3\x28", 4);
    expect_decode(&p, MF_ERR_FIELD, "manifest.component-name: not valid UTF-8");
    set_part(&p, E_COMP, "\x0c\x02\xc0\x80", 4);      /* overlong NUL */
    expect_decode(&p, MF_ERR_FIELD, "not valid UTF-8");
    set_part(&p, E_COMP, "\x0c\x03\xed\xa0\x80", 5);  /* surrogate */
    expect_decode(&p, MF_ERR_FIELD, "not valid UTF-8");
    set_part(&p, E_COMP, "\x0c\x03\xe2\x82\xac", 5);  /* euro sign */
    expect_decode(&p, MF_OK, NULL);
    char s64[64];
    memset(s64, 'v', sizeof s64);
    e.n = 0;
    tb_tlv(&e, 0x0c, s64, 64);
    parts_default(&p);
    set_part(&p, E_PVER, e.b, e.n);
    expect_decode(&p, MF_ERR_FIELD, "manifest.payload-version: 64 bytes, at most 63");
    e.n = 0;
    tb_tlv(&e, 0x0c, s64, 63);
    set_part(&p, E_PVER, e.b, e.n);
    expect_decode(&p, MF_OK, NULL);
}

static void check_applies_the_device_shape_rules(void **state)
{
    (void)state;
    manifest_t m, base;
    char err[256];
    kat_manifest(&base);
    base.signature_len = 64;
    assert_int_equal(mf_check(&base, err, sizeof err), MF_OK);
    m = base;
    m.payload_digest_len = 31;
    assert_int_equal(mf_check(&m, err, sizeof err), MF_ERR_FIELD);
    assert_string_equal(err, "manifest.payload-digest: 31 bytes, expected 32");
    m = base;
    strcpy(m.component, "ABCDEFGHI");
    assert_int_equal(mf_check(&m, err, sizeof err), MF_ERR_FIELD);
    assert_contains(err, "manifest.component-name");
    strcpy(m.component, "ABCDEFGH");
    assert_int_equal(mf_check(&m, err, sizeof err), MF_OK);
    m = base;
    m.installed_signature_len = 63;
    assert_int_equal(mf_check(&m, err, sizeof err), MF_ERR_FIELD);
    m.installed_signature_len = 64;
    assert_int_equal(mf_check(&m, err, sizeof err), MF_OK);
    static const char *badv[] = { "", "2a", "-1", " 2", "0x10", "18446744073709551616",
                                  "123456789012345678901" };
    for (size_t i = 0; i < sizeof badv / sizeof badv[0]; i++) {
        m = base;
        strcpy(m.version, badv[i]);
        assert_int_equal(mf_check(&m, err, sizeof err), MF_ERR_FIELD);
        assert_contains(err, "manifest.payload-version");
    }
    m = base;
    strcpy(m.version, "18446744073709551615");
    assert_int_equal(mf_check(&m, err, sizeof err), MF_OK);
    m = base;
    m.installed_digest_len = 0;
    assert_int_equal(mf_check(&m, err, sizeof err), MF_ERR_FIELD);
    assert_contains(err, "installed-digest");
    m = base;
    m.precursor_digest_len = 20;
    assert_int_equal(mf_check(&m, err, sizeof err), MF_ERR_FIELD);
    assert_contains(err, "precursor-digest");
    m.has_precursor = false;
    assert_int_equal(mf_check(&m, err, sizeof err), MF_OK);
    m = base;
    m.signature_len = 0;
    assert_int_equal(mf_check(&m, err, sizeof err), MF_ERR_FIELD);
    assert_contains(err, "signature: 0 bytes, expected 64");
}

/* Random flips, truncations and insertions of a valid manifest never crash (run under ASan),
 * and nothing changed ever verifies. */
static void fuzz_never_crashes(void **state)
{
    (void)state;
    mf_key_t *dev = dev_key();
    uint64_t x = 0x9E3779B97F4A7C15ull;      /* fixed seed: reproducible */
#define RND() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    uint8_t buf[sizeof KAT_DELTA + 8];
    manifest_t m;
    char err[256];
    int decoded = 0, verified = 0, reencoded_shorter = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, KAT_DELTA, sizeof KAT_DELTA);
        size_t n = sizeof KAT_DELTA;
        int flips = 1 + (int)(RND() % 4);
        for (int f = 0; f < flips; f++) {
            size_t pos = RND() % n;
            uint8_t v = (uint8_t)RND();
            if (!v)
                v = 1;
            buf[pos] ^= (RND() & 1) ? v : (uint8_t)(1u << (v & 7));
        }
        switch (RND() % 8) {
        case 0: n = RND() % n; break;
        case 1: buf[n++] = (uint8_t)RND(); break;
        default: break;
        }
        bool same = n == sizeof KAT_DELTA && !memcmp(buf, KAT_DELTA, n);
        /* exact-size heap copy so ASan sees any read past the end */
        uint8_t *h = malloc(n ? n : 1);
        assert_non_null(h);
        memcpy(h, buf, n);
        if (mf_decode(h, n, &m, err, sizeof err) == MF_OK) {
            decoded++;
            if (decoded % 16 == 0 || same) {
                verified++;
                int rc = mf_verify(h, n, dev, err, sizeof err);
                if (same)
                    assert_int_equal(rc, MF_OK);
                else
                    assert_int_equal(rc, MF_ERR_SIGNATURE);
            }
            manifest_t again = m;
            uint8_t *der = NULL;
            size_t len = 0;
            /* what decodes re-encodes to the same bytes (DER is canonical), unless a vendor-data
             * element appeared (decoded and dropped) */
            assert_int_equal(mf_encode(&again, NULL, &der, &len, err, sizeof err), MF_OK);
            if (len != n || memcmp(der, h, n)) {
                assert_true(len < n);
                reencoded_shorter++;
            }
            free(der);
        }
        free(h);
    }
#undef RND
    assert_true(decoded > 1000);
    assert_true(verified > 50);
    assert_true(reencoded_shorter < decoded / 100);
    mf_key_free(dev);
}

/* ---- mf_describe_payload ----------------------------------------------------------------- */

static void describe_raw_payload(void **state)
{
    (void)state;
    uint8_t payload[3000], want[32];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    mbedtls_sha256_ret(payload, sizeof payload, want, 0);
    manifest_t m;
    char err[256];
    mf_init(&m);
    m.update_priority = 9;    /* kept */
    assert_int_equal(mf_describe_payload(&m, UINT64_MAX, payload, sizeof payload, NULL, 0, err, sizeof err),
                     MF_OK);
    assert_string_equal(m.version, "18446744073709551615");
    assert_int_equal(m.payload_size, sizeof payload);
    assert_int_equal(m.payload_digest_len, 32);
    assert_memory_equal(m.payload_digest, want, 32);
    assert_int_equal(m.format, MF_FORMAT_RAW);
    assert_false(m.has_metadata);
    assert_true(m.update_priority == 9);
    assert_string_equal(m.component, "MAIN");
    assert_string_equal(m.uri, "payload");
    mf_key_t *k = dev_key();
    m.update_priority = 0;
    round_trip(&m, k);
    mf_key_free(k);
}

static void describe_delta_payload(void **state)
{
    (void)state;
    enum { OLD = 4000, NEW = 4500 };
    uint8_t *old = malloc(OLD), *new_ = malloc(NEW);
    assert_non_null(old);
    assert_non_null(new_);
    uint32_t x = 12345;
    for (size_t i = 0; i < OLD; i++) {
        x = x * 1103515245u + 12345u;
        old[i] = (uint8_t)(x >> 16);
    }
    memcpy(new_, old, OLD);
    for (size_t i = 100; i < OLD; i += 250)
        new_[i] ^= 0x55;
    for (size_t i = OLD; i < NEW; i++)
        new_[i] = (uint8_t)i;
    delta_opts_t o = { .block_size = 0, .max_ratio = 1.0 };
    uint8_t *patch = NULL;
    size_t plen = 0;
    char err[256];
    int drc = delta_create(old, OLD, new_, NEW, &o, &patch, &plen, err, sizeof err);
    if (drc)
        fail_msg("delta_create: %s", err);
    uint8_t dnew[32], dold[32], dpatch[32];
    mbedtls_sha256_ret(new_, NEW, dnew, 0);
    mbedtls_sha256_ret(old, OLD, dold, 0);
    mbedtls_sha256_ret(patch, plen, dpatch, 0);
    manifest_t m;
    mf_init(&m);
    assert_int_equal(mf_describe_payload(&m, 7, patch, plen, old, OLD, err, sizeof err), MF_OK);
    assert_string_equal(m.version, "7");
    assert_int_equal(m.format, MF_FORMAT_DELTA);
    assert_int_equal(m.payload_size, plen);
    assert_memory_equal(m.payload_digest, dpatch, 32);
    assert_true(m.has_metadata);
    assert_true(m.has_precursor);
    assert_int_equal(m.installed_size, NEW);
    assert_int_equal(m.installed_digest_len, 32);
    assert_memory_equal(m.installed_digest, dnew, 32);
    assert_int_equal(m.precursor_digest_len, 32);
    assert_memory_equal(m.precursor_digest, dold, 32);
    mf_key_t *k = dev_key();
    round_trip(&m, k);
    m.signature_len = 64;
    assert_int_equal(mf_check(&m, err, sizeof err), MF_OK);

    /* the same manifest re-described as raw drops the metadata */
    assert_int_equal(mf_describe_payload(&m, 7, new_, NEW, NULL, 0, err, sizeof err), MF_OK);
    assert_false(m.has_metadata);
    assert_int_equal(m.format, MF_FORMAT_RAW);

    /* not a patch */
    old[0] ^= 1;
    int rc = mf_describe_payload(&m, 7, new_, NEW, old, OLD, err, sizeof err);
    assert_int_equal(rc, MF_ERR_ARG);
    assert_contains(err, "payload:");
    free(patch);
    free(old);
    free(new_);
    mf_key_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uuid5_known_values),
        cmocka_unit_test(parse_uuid_forms),
        cmocka_unit_test(format_names),
        cmocka_unit_test(bundled_key_matches_firmware),
        cmocka_unit_test(generated_keys_round_trip_as_pem),
        cmocka_unit_test(bad_keys_are_refused),
        cmocka_unit_test(kat_bytes_match_an_independent_implementation),
        cmocka_unit_test(raw_manifest_layout),
        cmocka_unit_test(every_field_round_trips),
        cmocka_unit_test(integer_edges_round_trip),
        cmocka_unit_test(encode_refuses_bad_arguments),
        cmocka_unit_test(signatures_are_deterministic),
        cmocka_unit_test(verify_detects_every_change),
        cmocka_unit_test(parts_decode_and_metadata),
        cmocka_unit_test(decode_rejects_truncation_and_trailing_bytes),
        cmocka_unit_test(decode_rejects_wrong_versions_and_tags),
        cmocka_unit_test(decode_rejects_bad_lengths_and_integers),
        cmocka_unit_test(check_applies_the_device_shape_rules),
        cmocka_unit_test(fuzz_never_crashes),
        cmocka_unit_test(describe_raw_payload),
        cmocka_unit_test(describe_delta_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
