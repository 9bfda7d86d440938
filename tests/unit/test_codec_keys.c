/*
 * Bad signing keys (harness/codec/manifest_keys.c): every refusal says what is wrong in our words,
 * names the key, and keeps Mbed TLS's code in parentheses, never its internal text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "codec/bundled.h"
#include "codec/manifest.h"
#include "test_codec_tmpdir.h"

static char err[512];

/* mf_key_parse of text (its NUL counted, like a PEM file) must be refused with rc and err. */
static void expect_text(const char *text, int rc, const char *want)
{
    mf_key_t *k = (mf_key_t *)1;
    memset(err, 0, sizeof err);
    assert_int_equal(mf_key_parse((const uint8_t *)text, strlen(text) + 1, "k.pem", &k, err, sizeof err), rc);
    assert_null(k);
    if (!strstr(err, want))
        fail_msg("'%s' does not contain '%s'", err, want);
    assert_null(strstr(err, " - "));       /* Mbed TLS's "PK - ..." / "BASE64 - ..." texts */
}

static void junk_text_is_not_a_pem_or_der_key(void **state)
{
    (void)state;
    expect_text("this is not a key\n", MF_ERR_KEY, "k.pem: not a PEM or DER EC private key (mbedtls -0x3D00)");
}

static void junk_that_says_public_key_is_not_a_public_key(void **state)
{
    (void)state;
    expect_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", MF_ERR_KEY,
                "k.pem: not a PEM or DER EC public key (mbedtls -0x");
}

static void a_pem_block_with_damaged_base64_says_so(void **state)
{
    (void)state;
    expect_text("-----BEGIN EC PRIVATE KEY-----\nnot base64!\n-----END EC PRIVATE KEY-----\n", MF_ERR_KEY,
                "k.pem: a PEM block whose contents do not decode (damaged base64) (mbedtls -0x");
}

static void an_encrypted_key_asks_for_an_unencrypted_one(void **state)
{
    (void)state;
    expect_text("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n"
                "AAAAAAAAAAAAAAAAAAAAAA==\n-----END EC PRIVATE KEY-----\n",
                MF_ERR_KEY, "k.pem: an encrypted private key; fwemu takes keys without a password (mbedtls -0x");
}

static void an_ed25519_key_is_not_an_ec_key(void **state)
{
    (void)state;
    /* PEM PKCS#8 OneAsymmetricKey with the Ed25519 OID 1.3.101.112 and a 32-byte seed */
    expect_text("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\n"
                "-----END PRIVATE KEY-----\n",
                MF_ERR_KEY, "k.pem: a key of an algorithm other than EC (ECDSA P-256 keys only) (mbedtls -0x");
}

static void empty_key_data_is_empty(void **state)
{
    (void)state;
    mf_key_t *k = NULL;
    assert_int_equal(mf_key_parse((const uint8_t *)"", 0, "k.pem", &k, err, sizeof err), MF_ERR_KEY);
    assert_string_equal(err, "k.pem: empty, not a key");
    assert_int_equal(mf_key_parse((const uint8_t *)"", 1, "k.pem", &k, err, sizeof err), MF_ERR_KEY);
    assert_string_equal(err, "k.pem: empty, not a key");
}

static void key_files_that_are_not_keys_say_why(void **state)
{
    (void)state;
    assert_int_equal(tmpdir_make("codec_keys"), 0);
    mf_key_t *k = NULL;
    char want[400];

    mkdir(tmp_path("d"), 0755);
    assert_int_equal(mf_key_load(tmp_path("d"), &k, err, sizeof err), MF_ERR_IO);
    snprintf(want, sizeof want, "%s: is a directory, not a file", tmp_path("d"));
    assert_string_equal(err, want);

    write_file(tmp_path("empty.pem"), "", 0);
    assert_int_equal(mf_key_load(tmp_path("empty.pem"), &k, err, sizeof err), MF_ERR_KEY);
    snprintf(want, sizeof want, "%s: empty file, not a key", tmp_path("empty.pem"));
    assert_string_equal(err, want);

    size_t len = 0;
    const uint8_t *pem = bundled_dev_key(&len);
    write_file(tmp_path("half.pem"), pem, len / 2);            /* a PEM cut in the middle */
    assert_int_equal(mf_key_load(tmp_path("half.pem"), &k, err, sizeof err), MF_ERR_KEY);
    snprintf(want, sizeof want, "%s: not a PEM or DER EC private key (mbedtls -0x", tmp_path("half.pem"));
    assert_non_null(strstr(err, want));

    write_file(tmp_path("whole.pem"), pem, len - 1);
    assert_int_equal(mf_key_load(tmp_path("whole.pem"), &k, err, sizeof err), MF_OK);
    assert_true(mf_key_has_private(k));
    mf_key_free(k);

    assert_int_equal(tmpdir_remove(), 0);
}

static void sign_and_verify_round_trip_and_a_public_key_cannot_sign(void **state)
{
    (void)state;
    size_t len = 0;
    const uint8_t *pem = bundled_dev_key(&len);
    mf_key_t *k = NULL, *pub = NULL;
    assert_int_equal(mf_key_parse(pem, len, "dev", &k, err, sizeof err), MF_OK);
    uint8_t sig[64], sig2[64];
    assert_int_equal(mf_key_sign(k, (const uint8_t *)"abc", 3, sig, err, sizeof err), MF_OK);
    assert_int_equal(mf_key_sign(k, (const uint8_t *)"abc", 3, sig2, err, sizeof err), MF_OK);
    assert_memory_equal(sig, sig2, 64);                 /* RFC 6979: deterministic */
    assert_int_equal(mf_key_verify(k, (const uint8_t *)"abc", 3, sig, err, sizeof err), MF_OK);
    assert_int_equal(mf_key_verify(k, (const uint8_t *)"abd", 3, sig, err, sizeof err), MF_ERR_SIGNATURE);
    char *upem = NULL;
    assert_int_equal(mf_key_pem(k, false, &upem), MF_OK);
    assert_int_equal(mf_key_parse((const uint8_t *)upem, strlen(upem) + 1, "pub", &pub, err, sizeof err), MF_OK);
    assert_int_equal(mf_key_verify(pub, (const uint8_t *)"abc", 3, sig, err, sizeof err), MF_OK);
    assert_int_equal(mf_key_sign(pub, (const uint8_t *)"abc", 3, sig2, err, sizeof err), MF_ERR_KEY);
    assert_non_null(strstr(err, "no private half"));
    free(upem);
    mf_key_free(k);
    mf_key_free(pub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(junk_text_is_not_a_pem_or_der_key),
        cmocka_unit_test(junk_that_says_public_key_is_not_a_public_key),
        cmocka_unit_test(a_pem_block_with_damaged_base64_says_so),
        cmocka_unit_test(an_encrypted_key_asks_for_an_unencrypted_one),
        cmocka_unit_test(an_ed25519_key_is_not_an_ec_key),
        cmocka_unit_test(empty_key_data_is_empty),
        cmocka_unit_test(key_files_that_are_not_keys_say_why),
        cmocka_unit_test(sign_and_verify_round_trip_and_a_public_key_cannot_sign),
    };
    return cmocka_run_group_tests_name("keys", tests, NULL, NULL);
}
