/*
 * The FOTA-era header codec (harness/codec/fota_header.c): hand-computed byte layouts of the
 * app header, the candidate-ready header, fota_header_info_t v3 and a whole candidate; round
 * trips; the field tables; each malformed field giving its own error; the bootloader's install
 * checks; the detector on every kind and on erased flash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mbedtls/sha256.h>

#include "codec/fota_header.h"
#include "mbed_header.h"

static int unhex(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

/* Hex with spaces ignored into out; returns the byte count. */
static size_t from_hex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (const char *p = hex; *p; p++) {
        if (*p == ' ')
            continue;
        out[n++] = (uint8_t)(unhex(p[0]) << 4 | unhex(p[1]));
        p++;
    }
    return n;
}

static void fill(uint8_t *p, size_t n, uint8_t start, uint8_t step)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(start + i * step);
}

#define H32_11 "1111111111111111111111111111111111111111111111111111111111111111"
#define H32_22 "2222222222222222222222222222222222222222222222222222222222222222"
#define H32_00 "0000000000000000000000000000000000000000000000000000000000000000"
#define H32_SEQ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* version 0x0102030405060708, size 0x1234, digest 00..1f, reserved 0. */
static const char APP_KAT[] =
    "a353025c 34120000 0807060504030201 " H32_SEQ " " H32_00 H32_00;

/* "MAIN": magic, name[9], 3 bytes of struct padding, footer. */
static const char READY_KAT[] = "014ed5fe 4d41494e0000000000 000000 014ed5fe";

/* version 2, size 0x100, digest 11.., flags RESUME, ext 48, block 1024, precursor 22... */
static const char V3_KAT[] =
    "a353025c 00010000 0200000000000000 " H32_11 " " H32_00 H32_00
    " 00 02 3000 0004 " H32_22 " 0000 a353025c 00000000";

static void layout_sizes_and_offsets_are_the_structs(void **state)
{
    (void)state;
    assert_int_equal(FOTA_HDR_READY_SIZE, 20);
    assert_int_equal(FOTA_HDR_V3_SIZE, 160);
    assert_int_equal(FOTA_HDR_APP_SIZE, 112);
    assert_int_equal(FOTA_HDR_V3_EXT_SIZE, 48);
    assert_int_equal(FOTA_HDR_CAND_V3_OFFSET, 0x18);
    assert_int_equal(FOTA_HDR_CAND_PAYLOAD_OFFSET, 0xB8);
    assert_int_equal(fota_hdr_payload_offset(48, 8), 0xB8);
    assert_int_equal(fota_hdr_payload_offset(0, 8), 0xB8);
    assert_int_equal(fota_hdr_payload_offset(100, 8), 24 + 216);  /* 112 + 100 = 212 -> 216 */
    assert_int_equal(fota_hdr_payload_offset(48, 1), 20 + 160);
}

static void app_header_encodes_to_the_hand_computed_bytes(void **state)
{
    (void)state;
    uint8_t want[FOTA_HDR_APP_SIZE], got[FOTA_HDR_APP_SIZE], digest[32];
    assert_int_equal(from_hex(APP_KAT, want), FOTA_HDR_APP_SIZE);
    fill(digest, 32, 0, 1);
    fota_hdr_app_t h;
    fota_hdr_app_init(&h, 0x0102030405060708ull, 0x1234, digest);
    fota_hdr_app_encode(&h, got);
    assert_memory_equal(got, want, FOTA_HDR_APP_SIZE);

    fota_hdr_app_t d;
    memset(&d, 0xEE, sizeof d);
    assert_int_equal(fota_hdr_app_decode(got, sizeof got, &d), FOTA_HDR_OK);
    assert_memory_equal(&d, &h, sizeof d);
}

static void app_header_as_built_has_the_digest_again_at_48(void **state)
{
    (void)state;
    uint8_t digest[32], out[FOTA_HDR_APP_SIZE];
    fill(digest, 32, 0x40, 3);
    fota_hdr_app_t h;
    fota_hdr_app_init_built(&h, 0x400, digest);
    fota_hdr_app_encode(&h, out);
    assert_int_equal(h.version, 0);
    assert_memory_equal(out + 16, digest, 32);
    assert_memory_equal(out + 48, digest, 32);
    const fota_hdr_field_t *f = fota_hdr_field_find(FOTA_HDR_STRUCT_APP, "precursor");
    assert_non_null(f);
    assert_memory_equal(out + f->offset, digest, f->size);
    for (size_t i = 80; i < FOTA_HDR_APP_SIZE; i++)
        assert_int_equal(out[i], 0);
}

static void ready_header_encodes_to_the_hand_computed_bytes(void **state)
{
    (void)state;
    uint8_t want[FOTA_HDR_READY_SIZE], got[FOTA_HDR_READY_SIZE];
    assert_int_equal(from_hex(READY_KAT, want), FOTA_HDR_READY_SIZE);
    fota_hdr_ready_t r, d;
    fota_hdr_ready_init(&r, "MAIN");
    fota_hdr_ready_encode(&r, got);
    assert_memory_equal(got, want, FOTA_HDR_READY_SIZE);
    assert_int_equal(fota_hdr_ready_decode(got, sizeof got, &d), FOTA_HDR_OK);
    assert_string_equal(d.comp_name, "MAIN");
    assert_int_equal(d.magic, FOTA_HDR_READY_MAGIC);
    assert_int_equal(d.footer, FOTA_HDR_READY_MAGIC);
}

static void ready_header_keeps_at_most_8_name_characters(void **state)
{
    (void)state;
    uint8_t out[FOTA_HDR_READY_SIZE];
    fota_hdr_ready_t r, d;
    fota_hdr_ready_init(&r, "ABCDEFGHIJ");
    fota_hdr_ready_encode(&r, out);
    assert_int_equal(fota_hdr_ready_decode(out, sizeof out, &d), FOTA_HDR_OK);
    assert_string_equal(d.comp_name, "ABCDEFGH");
    assert_int_equal(out[4 + 8], 0);
}

static void v3_header_encodes_to_the_hand_computed_bytes(void **state)
{
    (void)state;
    uint8_t want[FOTA_HDR_V3_SIZE], got[FOTA_HDR_V3_SIZE], digest[32], pre[32];
    assert_int_equal(from_hex(V3_KAT, want), FOTA_HDR_V3_SIZE);
    memset(digest, 0x11, 32);
    memset(pre, 0x22, 32);
    fota_hdr_v3_t h, d;
    fota_hdr_v3_init(&h, 2, 0x100, digest, pre);
    assert_int_equal(h.external_header_size, 48);
    assert_int_equal(h.block_size, 1024);
    assert_int_equal(h.flags, 0);
    h.flags = FOTA_HDR_FLAG_RESUME;
    fota_hdr_v3_encode(&h, got);
    assert_memory_equal(got, want, FOTA_HDR_V3_SIZE);
    memset(&d, 0, sizeof d);              /* the struct's own padding is not compared by value */
    assert_int_equal(fota_hdr_v3_decode(got, sizeof got, &d), FOTA_HDR_OK);
    assert_memory_equal(&d, &h, sizeof d);
}

static void candidate_is_ready_header_padding_then_v3_at_0x18(void **state)
{
    (void)state;
    uint8_t want[0xB8], got[0x200], digest[32], pre[32];
    from_hex(READY_KAT, want);
    memset(want + 20, 0, 4);
    from_hex(V3_KAT, want + 0x18);
    memset(digest, 0x11, 32);
    memset(pre, 0x22, 32);
    fota_hdr_candidate_t c, d;
    fota_hdr_candidate_init(&c, 2, 0x100, digest, pre);
    c.info.flags = FOTA_HDR_FLAG_RESUME;
    memset(got, 0xFF, sizeof got);
    assert_int_equal(fota_hdr_candidate_encode(&c, got, sizeof got), 0xB8);
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(got[0xB8], 0xFF);

    assert_int_equal(fota_hdr_candidate_decode(got, sizeof got, &d), FOTA_HDR_OK);
    assert_int_equal(d.payload_offset, 0xB8);
    assert_string_equal(d.ready.comp_name, "MAIN");
    assert_memory_equal(&d.info, &c.info, sizeof d.info);
    assert_int_equal(fota_hdr_candidate_encode(&c, got, 0xB7), FOTA_HDR_ERR_ARG);
}

/* Offsets written out by hand from fota_header_info_t / fota_candidate_ready_header_t. */
typedef struct { const char *name; uint16_t offset, size; } want_field_t;

static void check_table(fota_hdr_struct_t s, const want_field_t *w, size_t nw)
{
    size_t n = 0;
    const fota_hdr_field_t *t = fota_hdr_fields(s, &n);
    assert_non_null(t);
    assert_int_equal(n, nw);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(t[i].name, w[i].name);
        assert_int_equal(t[i].offset, w[i].offset);
        assert_int_equal(t[i].size, w[i].size);
        assert_ptr_equal(fota_hdr_field_find(s, w[i].name), &t[i]);
    }
}

static void field_tables_name_each_field_at_its_offset(void **state)
{
    (void)state;
    static const want_field_t app[] = {
        { "magic", 0, 4 }, { "size", 4, 4 }, { "version", 8, 8 }, { "digest", 16, 32 },
        { "reserved", 48, 64 }, { "precursor", 48, 32 },
    };
    static const want_field_t ready[] = { { "magic", 0, 4 }, { "comp_name", 4, 9 }, { "footer", 16, 4 } };
    static const want_field_t v3[] = {
        { "magic", 0, 4 }, { "size", 4, 4 }, { "version", 8, 8 }, { "digest", 16, 32 },
        { "reserved", 48, 64 }, { "barrier", 112, 1 }, { "flags", 113, 1 },
        { "external_header_size", 114, 2 }, { "block_size", 116, 2 }, { "precursor", 118, 32 },
        { "footer", 152, 4 },
    };
    static const want_field_t cand[] = {
        { "ready_magic", 0, 4 }, { "comp_name", 4, 9 }, { "ready_footer", 16, 4 },
        { "magic", 24, 4 }, { "size", 28, 4 }, { "version", 32, 8 }, { "digest", 40, 32 },
        { "reserved", 72, 64 }, { "barrier", 136, 1 }, { "flags", 137, 1 },
        { "external_header_size", 138, 2 }, { "block_size", 140, 2 }, { "precursor", 142, 32 },
        { "footer", 176, 4 },
    };
    check_table(FOTA_HDR_STRUCT_APP, app, sizeof app / sizeof *app);
    check_table(FOTA_HDR_STRUCT_READY, ready, sizeof ready / sizeof *ready);
    check_table(FOTA_HDR_STRUCT_V3, v3, sizeof v3 / sizeof *v3);
    check_table(FOTA_HDR_STRUCT_CANDIDATE, cand, sizeof cand / sizeof *cand);
    assert_null(fota_hdr_field_find(FOTA_HDR_STRUCT_V3, "crc"));
    assert_null(fota_hdr_field_find(FOTA_HDR_STRUCT_V3, NULL));
    size_t n = 7;
    assert_null(fota_hdr_fields((fota_hdr_struct_t)99, &n));
    assert_int_equal(n, 0);
}

/* Each field of the table holds the encoder's bytes for that member. */
static void encoder_puts_each_member_where_the_table_says(void **state)
{
    (void)state;
    uint8_t digest[32], pre[32], out[0xB8];
    fill(digest, 32, 0x80, 1);
    fill(pre, 32, 0xC0, 1);
    fota_hdr_candidate_t c;
    fota_hdr_candidate_init(&c, 0x1122334455667788ull, 0xA1B2C3D4u, digest, pre);
    fill(c.info.reserved, 64, 0x30, 1);
    c.info.internal_header_barrier = 0x5A;
    c.info.flags = 0x02;
    c.info.external_header_size = 0xBEEF;
    c.info.block_size = 0xCAFE;
    fota_hdr_candidate_encode(&c, out, sizeof out);
    const fota_hdr_field_t *f;
#define AT(name) (f = fota_hdr_field_find(FOTA_HDR_STRUCT_CANDIDATE, name), assert_non_null(f), out + f->offset)
    assert_memory_equal(AT("ready_magic"), "\x01\x4e\xd5\xfe", 4);
    assert_memory_equal(AT("comp_name"), "MAIN\0\0\0\0", 9);
    assert_memory_equal(AT("ready_footer"), "\x01\x4e\xd5\xfe", 4);
    assert_memory_equal(AT("magic"), "\xa3\x53\x02\x5c", 4);
    assert_memory_equal(AT("size"), "\xd4\xc3\xb2\xa1", 4);
    assert_memory_equal(AT("version"), "\x88\x77\x66\x55\x44\x33\x22\x11", 8);
    assert_memory_equal(AT("digest"), digest, 32);
    assert_memory_equal(AT("reserved"), c.info.reserved, 64);
    assert_int_equal(*AT("barrier"), 0x5A);
    assert_int_equal(*AT("flags"), 0x02);
    assert_memory_equal(AT("external_header_size"), "\xef\xbe", 2);
    assert_memory_equal(AT("block_size"), "\xfe\xca", 2);
    assert_memory_equal(AT("precursor"), pre, 32);
    assert_memory_equal(AT("footer"), "\xa3\x53\x02\x5c", 4);
#undef AT
}

static void good_candidate(uint8_t *buf, size_t len)
{
    uint8_t digest[32], pre[32];
    memset(digest, 0x11, 32);
    memset(pre, 0x22, 32);
    fota_hdr_candidate_t c;
    fota_hdr_candidate_init(&c, 2, 0x100, digest, pre);
    memset(buf, 0xFF, len);
    fota_hdr_candidate_encode(&c, buf, len);
}

/* Corrupt one named field of a good candidate with `byte` and decode. */
static int corrupt_and_decode(const char *name, uint8_t byte, fota_hdr_candidate_t *c)
{
    uint8_t buf[0x200];
    good_candidate(buf, sizeof buf);
    const fota_hdr_field_t *f = fota_hdr_field_find(FOTA_HDR_STRUCT_CANDIDATE, name);
    assert_non_null(f);
    memset(buf + f->offset, byte, f->size);
    return fota_hdr_candidate_decode(buf, sizeof buf, c);
}

static void each_bad_field_gives_its_own_error(void **state)
{
    (void)state;
    fota_hdr_candidate_t c;
    assert_int_equal(corrupt_and_decode("ready_magic", 0x00, &c), FOTA_HDR_ERR_READY_MAGIC);
    assert_int_equal(corrupt_and_decode("ready_footer", 0xFF, &c), FOTA_HDR_ERR_READY_FOOTER);
    assert_int_equal(corrupt_and_decode("comp_name", 'M', &c), FOTA_HDR_ERR_COMP_NAME);
    assert_int_equal(corrupt_and_decode("magic", 0xFF, &c), FOTA_HDR_ERR_MAGIC);
    assert_int_equal(c.info.magic, 0xFFFFFFFFu);     /* fields are filled on error */
    assert_int_equal(c.info.fw_size, 0x100);
    assert_int_equal(corrupt_and_decode("footer", 0x00, &c), FOTA_HDR_ERR_FOOTER);
    assert_int_equal(corrupt_and_decode("flags", FOTA_HDR_FLAG_ENCRYPTED, &c), FOTA_HDR_ERR_FLAGS);
    assert_int_equal(corrupt_and_decode("flags", 0x80, &c), FOTA_HDR_OK);   /* ignored, as by the BL */
    /* both ready and v3 bad: the ready header's error wins */
    uint8_t buf[0x200];
    good_candidate(buf, sizeof buf);
    buf[0] ^= 1;
    buf[0x18] ^= 1;
    assert_int_equal(fota_hdr_candidate_decode(buf, sizeof buf, &c), FOTA_HDR_ERR_READY_MAGIC);
}

static void short_buffers_are_errors(void **state)
{
    (void)state;
    uint8_t buf[0x200];
    good_candidate(buf, sizeof buf);
    fota_hdr_candidate_t c;
    fota_hdr_app_t a;
    fota_hdr_ready_t r;
    fota_hdr_v3_t v;
    assert_int_equal(fota_hdr_candidate_decode(buf, 0xB7, &c), FOTA_HDR_ERR_SHORT);
    assert_int_equal(fota_hdr_candidate_decode(buf, 0x10, &c), FOTA_HDR_ERR_SHORT);
    assert_int_equal(fota_hdr_ready_decode(buf, 19, &r), FOTA_HDR_ERR_SHORT);
    assert_int_equal(fota_hdr_v3_decode(buf + 0x18, 159, &v), FOTA_HDR_ERR_SHORT);
    assert_int_equal(fota_hdr_app_decode(buf + 0x18, 111, &a), FOTA_HDR_ERR_SHORT);
    assert_int_equal(fota_hdr_app_decode(NULL, 112, &a), FOTA_HDR_ERR_ARG);
}

static void app_header_checks_magic_size_and_digest(void **state)
{
    (void)state;
    uint8_t body[1000], digest[32], out[FOTA_HDR_APP_SIZE];
    fill(body, sizeof body, 7, 13);
    mbedtls_sha256_ret(body, sizeof body, digest, 0);
    fota_hdr_app_t h, d;
    fota_hdr_app_init(&h, 5, sizeof body, digest);
    assert_int_equal(fota_hdr_app_validate(&h, 1, 0x77E00), FOTA_HDR_OK);
    assert_int_equal(fota_hdr_app_validate(&h, 1000, 1000), FOTA_HDR_OK);
    assert_int_equal(fota_hdr_app_validate(&h, 1001, 0x77E00), FOTA_HDR_ERR_SIZE);
    assert_int_equal(fota_hdr_app_validate(&h, 1, 999), FOTA_HDR_ERR_SIZE);
    assert_int_equal(fota_hdr_check_digest(h.fw_size, h.digest, body, sizeof body), FOTA_HDR_OK);
    assert_int_equal(fota_hdr_check_digest(h.fw_size, h.digest, body, 999), FOTA_HDR_ERR_SHORT);
    body[500] ^= 1;
    assert_int_equal(fota_hdr_check_digest(h.fw_size, h.digest, body, sizeof body), FOTA_HDR_ERR_DIGEST);

    fota_hdr_app_encode(&h, out);
    out[3] = 0x5d;
    assert_int_equal(fota_hdr_app_decode(out, sizeof out, &d), FOTA_HDR_ERR_MAGIC);
    assert_int_equal(fota_hdr_app_validate(&d, 1, 0x77E00), FOTA_HDR_ERR_MAGIC);
}

static void v3_block_size_matters_only_with_resume(void **state)
{
    (void)state;
    uint8_t digest[32] = { 0 }, out[FOTA_HDR_V3_SIZE];
    fota_hdr_v3_t h, d;
    fota_hdr_v3_init(&h, 1, 3000, digest, digest);
    h.block_size = 0;
    fota_hdr_v3_encode(&h, out);
    assert_int_equal(fota_hdr_v3_decode(out, sizeof out, &d), FOTA_HDR_OK);
    assert_int_equal(fota_hdr_stored_payload_size(&d), 3000);
    h.flags = FOTA_HDR_FLAG_RESUME;
    fota_hdr_v3_encode(&h, out);
    assert_int_equal(fota_hdr_v3_decode(out, sizeof out, &d), FOTA_HDR_ERR_BLOCK_SIZE);
    h.block_size = 1022;
    fota_hdr_v3_encode(&h, out);
    assert_int_equal(fota_hdr_v3_decode(out, sizeof out, &d), FOTA_HDR_ERR_BLOCK_SIZE);
    h.block_size = 1024;
    fota_hdr_v3_encode(&h, out);
    assert_int_equal(fota_hdr_v3_decode(out, sizeof out, &d), FOTA_HDR_OK);
    /* 3000 bytes in blocks of 1022 data bytes: 3 blocks, 3 checksums */
    assert_int_equal(fota_hdr_stored_payload_size(&d), 3006);
}

static void candidate_validate_checks_name_size_and_storage(void **state)
{
    (void)state;
    uint8_t digest[32] = { 0 };
    fota_hdr_candidate_t c;
    fota_hdr_candidate_init(&c, 1, 0x1000, digest, digest);
    assert_int_equal(fota_hdr_candidate_validate(&c, 1, 0x77E00, 0x78000), FOTA_HDR_OK);
    assert_int_equal(fota_hdr_candidate_validate(&c, 0x1001, 0x77E00, 0x78000), FOTA_HDR_ERR_SIZE);
    assert_int_equal(fota_hdr_candidate_validate(&c, 1, 0xFFF, 0x78000), FOTA_HDR_ERR_SIZE);
    assert_int_equal(fota_hdr_candidate_validate(&c, 1, 0x77E00, 0x10B8), FOTA_HDR_OK);
    assert_int_equal(fota_hdr_candidate_validate(&c, 1, 0x77E00, 0x10B7), FOTA_HDR_ERR_STORAGE);
    assert_int_equal(fota_hdr_candidate_validate(&c, 1, 0x77E00, 0x10), FOTA_HDR_ERR_STORAGE);
    c.info.flags = FOTA_HDR_FLAG_RESUME;   /* 4096 = 4 x 1022 + 8: 5 blocks, 10 checksum bytes */
    assert_int_equal(fota_hdr_candidate_validate(&c, 1, 0x77E00, 0x10B8 + 9), FOTA_HDR_ERR_STORAGE);
    assert_int_equal(fota_hdr_candidate_validate(&c, 1, 0x77E00, 0x10B8 + 10), FOTA_HDR_OK);
    c.info.flags = 0;
    strcpy(c.ready.comp_name, "MAINX");    /* the bootloader compares only strlen("MAIN") */
    assert_int_equal(fota_hdr_candidate_validate(&c, 1, 0x77E00, 0x78000), FOTA_HDR_OK);
    strcpy(c.ready.comp_name, "BOOT");
    assert_int_equal(fota_hdr_candidate_validate(&c, 1, 0x77E00, 0x78000), FOTA_HDR_ERR_COMP_NAME);
    strcpy(c.ready.comp_name, "MAI");
    assert_int_equal(fota_hdr_candidate_validate(&c, 1, 0x77E00, 0x78000), FOTA_HDR_ERR_COMP_NAME);
}

static void install_needs_the_precursor_then_a_newer_version(void **state)
{
    (void)state;
    uint8_t installed_digest[32], other[32];
    memset(installed_digest, 0x5A, 32);
    memset(other, 0xA5, 32);
    fota_hdr_app_t inst;
    fota_hdr_app_init(&inst, 10, 100, installed_digest);
    fota_hdr_v3_t cand;
    fota_hdr_v3_init(&cand, 11, 100, other, installed_digest);
    assert_int_equal(fota_hdr_install_check(&inst, &cand), FOTA_HDR_OK);
    assert_int_equal(fota_hdr_install_check(NULL, &cand), FOTA_HDR_ERR_PRECURSOR);
    cand.version = 10;
    assert_int_equal(fota_hdr_install_check(&inst, &cand), FOTA_HDR_ERR_VERSION);
    cand.version = 9;
    assert_int_equal(fota_hdr_install_check(&inst, &cand), FOTA_HDR_ERR_VERSION);
    memcpy(cand.precursor, other, 32);     /* precursor is checked first */
    assert_int_equal(fota_hdr_install_check(&inst, &cand), FOTA_HDR_ERR_PRECURSOR);
    memcpy(cand.precursor, installed_digest, 32);
    cand.version = 11;
    inst.magic = 0;
    assert_int_equal(fota_hdr_install_check(&inst, &cand), FOTA_HDR_ERR_PRECURSOR);
}

static void detector_names_each_kind(void **state)
{
    (void)state;
    uint8_t buf[0x200], digest[32] = { 0 };
    fota_hdr_app_t a;
    fota_hdr_app_init(&a, 1, 4, digest);
    memset(buf, 0, sizeof buf);
    fota_hdr_app_encode(&a, buf);
    assert_int_equal(fota_hdr_detect(buf, sizeof buf), FOTA_HDR_KIND_APP);

    fota_hdr_v3_t v;
    fota_hdr_v3_init(&v, 1, 4, digest, digest);
    fota_hdr_v3_encode(&v, buf);
    assert_int_equal(fota_hdr_detect(buf, sizeof buf), FOTA_HDR_KIND_APP);

    good_candidate(buf, sizeof buf);
    assert_int_equal(fota_hdr_detect(buf, sizeof buf), FOTA_HDR_KIND_CANDIDATE);

    mbed_hdr_v2_t c;
    mbed_hdr_v2_init(&c, 1, 4, digest);
    mbed_hdr_v2_encode(&c, buf);
    assert_int_equal(fota_hdr_detect(buf, sizeof buf), FOTA_HDR_KIND_CLASSIC_V2);

    memset(buf, 0xFF, sizeof buf);
    assert_int_equal(fota_hdr_detect(buf, sizeof buf), FOTA_HDR_KIND_ERASED);
    assert_int_equal(fota_hdr_detect(buf, 4), FOTA_HDR_KIND_ERASED);
    buf[0xB7] = 0xFE;
    assert_int_equal(fota_hdr_detect(buf, sizeof buf), FOTA_HDR_KIND_UNKNOWN);
    buf[0xB7] = 0xFF;
    buf[0xB8] = 0x00;                      /* past the bytes the detector looks at */
    assert_int_equal(fota_hdr_detect(buf, sizeof buf), FOTA_HDR_KIND_ERASED);

    memset(buf, 0, sizeof buf);
    assert_int_equal(fota_hdr_detect(buf, sizeof buf), FOTA_HDR_KIND_UNKNOWN);
    assert_int_equal(fota_hdr_detect(buf, 3), FOTA_HDR_KIND_UNKNOWN);
    assert_int_equal(fota_hdr_detect(NULL, 100), FOTA_HDR_KIND_UNKNOWN);

    assert_string_equal(fota_hdr_kind_name(FOTA_HDR_KIND_CLASSIC_V2), "classic-v2");
    assert_string_equal(fota_hdr_kind_name(FOTA_HDR_KIND_APP), "fota-app");
    assert_string_equal(fota_hdr_kind_name(FOTA_HDR_KIND_CANDIDATE), "fota-candidate");
    assert_string_equal(fota_hdr_kind_name(FOTA_HDR_KIND_ERASED), "erased");
    assert_string_equal(fota_hdr_kind_name(FOTA_HDR_KIND_UNKNOWN), "unknown");
}

static void every_error_has_its_own_message(void **state)
{
    (void)state;
    const char *unknown = fota_hdr_strerror(1);
    assert_string_equal(unknown, "unknown FOTA header error");
    assert_string_equal(fota_hdr_strerror(FOTA_HDR_OK), "ok");
    for (int e = FOTA_HDR_ERR_SHORT; e >= FOTA_HDR_ERR_ARG; e--) {
        assert_string_not_equal(fota_hdr_strerror(e), unknown);
        for (int f = e - 1; f >= FOTA_HDR_ERR_ARG; f--)
            assert_string_not_equal(fota_hdr_strerror(e), fota_hdr_strerror(f));
    }
    assert_string_equal(fota_hdr_strerror(FOTA_HDR_ERR_ARG - 1), unknown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_sizes_and_offsets_are_the_structs),
        cmocka_unit_test(app_header_encodes_to_the_hand_computed_bytes),
        cmocka_unit_test(app_header_as_built_has_the_digest_again_at_48),
        cmocka_unit_test(ready_header_encodes_to_the_hand_computed_bytes),
        cmocka_unit_test(ready_header_keeps_at_most_8_name_characters),
        cmocka_unit_test(v3_header_encodes_to_the_hand_computed_bytes),
        cmocka_unit_test(candidate_is_ready_header_padding_then_v3_at_0x18),
        cmocka_unit_test(field_tables_name_each_field_at_its_offset),
        cmocka_unit_test(encoder_puts_each_member_where_the_table_says),
        cmocka_unit_test(each_bad_field_gives_its_own_error),
        cmocka_unit_test(short_buffers_are_errors),
        cmocka_unit_test(app_header_checks_magic_size_and_digest),
        cmocka_unit_test(v3_block_size_matters_only_with_resume),
        cmocka_unit_test(candidate_validate_checks_name_size_and_storage),
        cmocka_unit_test(install_needs_the_precursor_then_a_newer_version),
        cmocka_unit_test(detector_names_each_kind),
        cmocka_unit_test(every_error_has_its_own_message),
    };
    return cmocka_run_group_tests_name("codec_fota", tests, NULL, NULL);
}
