/*
 * The bundled firmware (harness/codec/bundled.c): every image is there under its documented
 * name, the look-ups by variant and by family/version find the right one, and the development
 * key is a NUL-terminated PEM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "codec/bundled.h"

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static void every_image_has_bytes_and_a_vector_table(void **state)
{
    (void)state;
    assert_true(bundled_count() >= 11);
    for (size_t i = 0; i < bundled_count(); i++) {
        const bundled_image_t *b = bundled_get(i);
        assert_non_null(b);
        assert_true(b->size >= 8);
        uint32_t sp = rd32(b->data), reset = rd32(b->data + 4);
        assert_true(sp >= 0x1FFF0000u && sp <= 0x20030000u);   /* K64F SRAM */
        assert_true(reset & 1u);                                /* Thumb */
        assert_non_null(b->summary);
    }
    assert_null(bundled_get(bundled_count()));
}

static void names_are_unique_and_found(void **state)
{
    (void)state;
    for (size_t i = 0; i < bundled_count(); i++) {
        const bundled_image_t *b = bundled_get(i);
        assert_ptr_equal(bundled_find(b->name), b);
        for (size_t j = i + 1; j < bundled_count(); j++)
            assert_string_not_equal(b->name, bundled_get(j)->name);
    }
    assert_null(bundled_find("nope"));
    assert_null(bundled_find(NULL));
}

static void bootloaders_are_found_by_variant(void **state)
{
    (void)state;
    const bundled_image_t *ref = bundled_find_bootloader(NULL);
    assert_non_null(ref);
    assert_string_equal(ref->name, "bootloader");
    assert_ptr_equal(bundled_find_bootloader(""), ref);
    const bundled_image_t *hf = bundled_find_bootloader("header_first");
    assert_non_null(hf);
    assert_string_equal(hf->name, "bootloader_header_first");
    assert_int_equal(hf->kind, BUNDLED_BOOTLOADER);
    assert_null(bundled_find_bootloader("no_such_bug"));
}

static void apps_are_found_by_family_and_version(void **state)
{
    (void)state;
    const bundled_image_t *a = bundled_find_app("app", 2);
    assert_non_null(a);
    assert_string_equal(a->name, "app_v2");
    assert_int_equal(a->version, 2);
    assert_int_equal(a->kind, BUNDLED_APP);
    assert_string_equal(bundled_find_app("app64", 1)->name, "app64_v1");
    assert_null(bundled_find_app("app", 99));
    assert_null(bundled_find_app(NULL, 1));
}

static void the_dev_key_is_a_nul_terminated_pem(void **state)
{
    (void)state;
    size_t len = 0;
    const uint8_t *k = bundled_dev_key(&len);
    assert_true(len > 100);
    assert_int_equal(k[len - 1], 0);
    assert_int_equal(strlen((const char *)k), len - 1);
    assert_non_null(strstr((const char *)k, "-----BEGIN EC PRIVATE KEY-----"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_image_has_bytes_and_a_vector_table),
        cmocka_unit_test(names_are_unique_and_found),
        cmocka_unit_test(bootloaders_are_found_by_variant),
        cmocka_unit_test(apps_are_found_by_family_and_version),
        cmocka_unit_test(the_dev_key_is_a_nul_terminated_pem),
    };
    return cmocka_run_group_tests_name("bundled", tests, NULL, NULL);
}
