/* Manifest keys and ECDSA P-256 signatures on the host, over Mbed TLS (manifest.h "keys"). */
#define _GNU_SOURCE      /* memmem */
#include "codec/manifest.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pem.h>
#include <mbedtls/hmac_drbg.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "codec/input.h"
#include "fileio.h"

#define seterr fileio_seterr

/* A failure of Mbed TLS: what we were doing, then the library's code (its own text is for its
 * developers, not our users). */
static void mbed_err(char *err, size_t errlen, const char *what, int ret)
{
    seterr(err, errlen, "%s (mbedtls -0x%04X)", what, (unsigned)-ret);
}

static bool mbed_oom(int ret)
{
    return ret == MBEDTLS_ERR_PK_ALLOC_FAILED || ret == MBEDTLS_ERR_PEM_ALLOC_FAILED ||
           ret == MBEDTLS_ERR_ECP_ALLOC_FAILED || ret == MBEDTLS_ERR_MPI_ALLOC_FAILED;
}

/* What is wrong with key bytes Mbed TLS refused (ret: its error, high-level part and low-level
 * part added), in our words. public_text: the bytes say "PUBLIC KEY". */
static const char *key_problem(int ret, bool public_text)
{
    int high = -(-ret & 0x7F80);     /* the module's code, without the ASN.1 / base64 detail */
    switch (high) {
    case MBEDTLS_ERR_PK_PASSWORD_REQUIRED:
    case MBEDTLS_ERR_PK_PASSWORD_MISMATCH:
    case MBEDTLS_ERR_PEM_PASSWORD_REQUIRED:
    case MBEDTLS_ERR_PEM_PASSWORD_MISMATCH:
    case MBEDTLS_ERR_PEM_UNKNOWN_ENC_ALG:
    case MBEDTLS_ERR_PEM_INVALID_ENC_IV:
        return "an encrypted private key; fwemu takes keys without a password";
    case MBEDTLS_ERR_PK_UNKNOWN_PK_ALG:
    case MBEDTLS_ERR_PK_INVALID_ALG:
        return "a key of an algorithm other than EC (ECDSA P-256 keys only)";
    case MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE:
    case MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE:
    case MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE:
        return "an EC key on a curve other than P-256 (secp256r1)";
    case MBEDTLS_ERR_PK_INVALID_PUBKEY:
    case MBEDTLS_ERR_ECP_INVALID_KEY:
        return "an EC key whose public point is not on its curve";
    case MBEDTLS_ERR_PEM_INVALID_DATA:
    case MBEDTLS_ERR_PEM_BAD_INPUT_DATA:
        return "a PEM block whose contents do not decode (damaged base64)";
    default:
        return public_text ? "not a PEM or DER EC public key" : "not a PEM or DER EC private key";
    }
}

struct mf_key {
    mbedtls_pk_context pk;
};

static const mbedtls_ecp_keypair *key_ec(const mf_key_t *k)
{
    return mbedtls_pk_ec(k->pk);
}

static int key_check_p256(mf_key_t *k, const char *name, char *err, size_t errlen)
{
    if (mbedtls_pk_get_type(&k->pk) != MBEDTLS_PK_ECKEY) {
        seterr(err, errlen, "%s: not an EC key (%s)", name, mbedtls_pk_get_name(&k->pk));
        return MF_ERR_KEY;
    }
    if (key_ec(k)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
        const mbedtls_ecp_curve_info *ci = mbedtls_ecp_curve_info_from_grp_id(key_ec(k)->grp.id);
        seterr(err, errlen, "%s: curve %s, expected secp256r1 (P-256)", name, ci ? ci->name : "unknown");
        return MF_ERR_KEY;
    }
    return MF_OK;
}

int mf_key_parse(const uint8_t *buf, size_t len, const char *name, mf_key_t **out, char *err,
                 size_t errlen)
{
    if (!name)
        name = "key";
    if (!out || (!buf && len)) {
        seterr(err, errlen, "%s: no key data", name);
        return MF_ERR_ARG;
    }
    *out = NULL;
    if (len == 0 || (len == 1 && buf[0] == 0)) {
        seterr(err, errlen, "%s: empty, not a key", name);
        return MF_ERR_KEY;
    }
    mf_key_t *k = calloc(1, sizeof *k);
    if (!k) {
        seterr(err, errlen, "%s: out of memory", name);
        return MF_ERR_NOMEM;
    }
    mbedtls_pk_init(&k->pk);
    int ret = mbedtls_pk_parse_key(&k->pk, buf, len, NULL, 0);
    if (ret) {
        mbedtls_pk_free(&k->pk);
        mbedtls_pk_init(&k->pk);
        int ret2 = mbedtls_pk_parse_public_key(&k->pk, buf, len);
        if (ret2) {
            mbedtls_pk_free(&k->pk);
            free(k);
            /* Report the private-key error unless the text says it is a public key. */
            bool public_text = len && memmem(buf, len, "PUBLIC KEY", 10);
            int shown = public_text ? ret2 : ret;
            char what[300];
            snprintf(what, sizeof what, "%s: %s", name,
                     mbed_oom(shown) ? "out of memory" : key_problem(shown, public_text));
            mbed_err(err, errlen, what, shown);
            return mbed_oom(shown) ? MF_ERR_NOMEM : MF_ERR_KEY;
        }
    }
    int rc = key_check_p256(k, name, err, errlen);
    if (rc) {
        mf_key_free(k);
        return rc;
    }
    *out = k;
    return MF_OK;
}

int mf_key_load(const char *path, mf_key_t **out, char *err, size_t errlen)
{
    if (!path || !out) {
        seterr(err, errlen, "key: no path");
        return MF_ERR_ARG;
    }
    *out = NULL;
    enum { MAX_KEY_FILE = 64 * 1024 };
    uint8_t *buf = NULL;
    size_t n = 0;
    switch (input_read_file(path, MAX_KEY_FILE, &buf, &n, err, errlen)) {
    case INPUT_OK: break;
    case INPUT_ERR_NOMEM: return MF_ERR_NOMEM;
    case INPUT_ERR_SIZE:
        seterr(err, errlen, "%s: more than %d bytes: not a key", path, MAX_KEY_FILE);
        return MF_ERR_KEY;
    default: return MF_ERR_IO;
    }
    if (n == 0) {
        free(buf);
        seterr(err, errlen, "%s: empty file, not a key", path);
        return MF_ERR_KEY;
    }
    size_t len = n;
    if (memmem(buf, n, "-----BEGIN", 10)) {
        uint8_t *nb = realloc(buf, n + 1);     /* PEM: the NUL is part of the input for mbedtls */
        if (!nb) {
            free(buf);
            seterr(err, errlen, "%s: out of memory", path);
            return MF_ERR_NOMEM;
        }
        buf = nb;
        buf[n] = 0;
        len = n + 1;
    }
    int rc = mf_key_parse(buf, len, path, out, err, errlen);
    free(buf);
    return rc;
}

int mf_key_generate(mf_key_t **out, char *err, size_t errlen)
{
    if (!out)
        return MF_ERR_ARG;
    *out = NULL;
    mf_key_t *k = calloc(1, sizeof *k);
    if (!k) {
        seterr(err, errlen, "key: out of memory");
        return MF_ERR_NOMEM;
    }
    mbedtls_pk_init(&k->pk);
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    static const char pers[] = "fwemu keys create";
    int rc = MF_OK;
    int ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, (const unsigned char *)pers,
                                    sizeof pers - 1);
    if (ret) {
        mbed_err(err, errlen, "key: seeding the random generator failed", ret);
        rc = MF_ERR_KEY;
        goto done;
    }
    ret = mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (!ret)
        ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k->pk),
                                  mbedtls_ctr_drbg_random, &drbg);
    if (ret) {
        mbed_err(err, errlen, "key: generating a P-256 key failed", ret);
        rc = mbed_oom(ret) ? MF_ERR_NOMEM : MF_ERR_KEY;
    }
done:
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    if (rc) {
        mf_key_free(k);
        return rc;
    }
    *out = k;
    return MF_OK;
}

bool mf_key_has_private(const mf_key_t *k)
{
    return k && mbedtls_mpi_cmp_int(&key_ec(k)->d, 0) != 0;
}

int mf_key_pem(const mf_key_t *k, bool private_key, char **pem)
{
    if (!k || !pem)
        return MF_ERR_ARG;
    *pem = NULL;
    if (private_key && !mf_key_has_private(k))
        return MF_ERR_KEY;
    enum { PEM_MAX = 2048 };
    unsigned char *buf = calloc(1, PEM_MAX);
    if (!buf)
        return MF_ERR_NOMEM;
    /* The write functions only read the context; 2.28 declares it non-const. */
    mbedtls_pk_context *pk = (mbedtls_pk_context *)&k->pk;
    int ret = private_key ? mbedtls_pk_write_key_pem(pk, buf, PEM_MAX)
                          : mbedtls_pk_write_pubkey_pem(pk, buf, PEM_MAX);
    if (ret) {
        free(buf);
        return MF_ERR_KEY;
    }
    *pem = (char *)buf;
    return MF_OK;
}

int mf_key_public_point(const mf_key_t *k, uint8_t out[65])
{
    if (!k || !out)
        return MF_ERR_ARG;
    const mbedtls_ecp_keypair *ec = key_ec(k);
    size_t olen = 0;
    int ret = mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen,
                                             out, 65);
    return ret || olen != 65 ? MF_ERR_KEY : MF_OK;
}

void mf_key_free(mf_key_t *k)
{
    if (!k)
        return;
    mbedtls_pk_free(&k->pk);
    free(k);
}

/* ---- ECDSA P-256 / SHA-256 -------------------------------------------------------------- */

/* The group is loaded locally so that a key shared by threads is never written to. */
int mf_key_sign(const mf_key_t *key, const uint8_t *data, size_t len, uint8_t sig[64], char *err,
                size_t errlen)
{
    if (!key || (!data && len) || !sig) {
        seterr(err, errlen, "signature: no key, data or signature buffer");
        return MF_ERR_ARG;
    }
    if (!mf_key_has_private(key)) {
        seterr(err, errlen, "signature: the key has no private half (a public key cannot sign)");
        return MF_ERR_KEY;
    }
    uint8_t hash[32];
    mbedtls_sha256_ret(data, len, hash, 0);
    const mbedtls_ecp_keypair *ec = key_ec(key);
    mbedtls_ecp_group grp;
    mbedtls_mpi d, r, s;
    mbedtls_hmac_drbg_context blind;
    mbedtls_ecp_group_init(&grp);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    mbedtls_hmac_drbg_init(&blind);
    /* Blinding only (it does not change the signature): seeded from the key and the hash. */
    uint8_t seed[64];
    int ret = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1);
    if (!ret)
        ret = mbedtls_mpi_copy(&d, &ec->d);
    if (!ret)
        ret = mbedtls_mpi_write_binary(&d, seed, 32);
    if (!ret) {
        memcpy(seed + 32, hash, 32);
        ret = mbedtls_hmac_drbg_seed_buf(&blind, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), seed,
                                         sizeof seed);
    }
    if (!ret)
        ret = mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &d, hash, sizeof hash, MBEDTLS_MD_SHA256,
                                         mbedtls_hmac_drbg_random, &blind);
    if (!ret)
        ret = mbedtls_mpi_write_binary(&r, sig, 32);
    if (!ret)
        ret = mbedtls_mpi_write_binary(&s, sig + 32, 32);
    memset(seed, 0, sizeof seed);
    mbedtls_hmac_drbg_free(&blind);
    mbedtls_mpi_free(&d);
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_group_free(&grp);
    if (ret) {
        mbed_err(err, errlen, "signature: signing failed", ret);
        return mbed_oom(ret) ? MF_ERR_NOMEM : MF_ERR_KEY;
    }
    return MF_OK;
}

int mf_key_verify(const mf_key_t *key, const uint8_t *data, size_t len, const uint8_t sig[64],
                  char *err, size_t errlen)
{
    if (!key || (!data && len) || !sig) {
        seterr(err, errlen, "signature: no key, data or signature to verify");
        return MF_ERR_ARG;
    }
    uint8_t hash[32];
    mbedtls_sha256_ret(data, len, hash, 0);
    const mbedtls_ecp_keypair *ec = key_ec(key);
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    int rc = MF_OK;
    int ret = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1);
    if (!ret)
        ret = mbedtls_ecp_copy(&q, &ec->Q);
    if (!ret)
        ret = mbedtls_mpi_read_binary(&r, sig, 32);
    if (!ret)
        ret = mbedtls_mpi_read_binary(&s, sig + 32, 32);
    if (ret) {
        mbed_err(err, errlen, "signature: setting up the verification failed", ret);
        rc = mbed_oom(ret) ? MF_ERR_NOMEM : MF_ERR_KEY;
    } else {
        ret = mbedtls_ecdsa_verify(&grp, hash, sizeof hash, &q, &r, &s);
        if (mbed_oom(ret)) {
            seterr(err, errlen, "signature: out of memory");
            rc = MF_ERR_NOMEM;
        } else if (ret) {
            seterr(err, errlen, "signature: does not verify with this key");
            rc = MF_ERR_SIGNATURE;
        }
    }
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return rc;
}
