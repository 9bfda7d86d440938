/* Layouts as data (codec/layout.h): the bundled ones, layout files, Mbed configurations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/image.h"
#include "codec/inspect.h"
#include "codec/layout.h"
#include "test_codec_tmpdir.h"

static char err[512];

static const char *put(const char *name, const char *text)
{
    const char *p = tmp_path(name);
    write_file(p, text, strlen(text));
    return p;
}

static void bundled_layouts_are_found_by_name_and_valid(void **state)
{
    fw_layout_t l, d;
    for (size_t i = 0; fw_layout_bundled_name(i); i++) {
        assert_int_equal(fw_layout_find(fw_layout_bundled_name(i), &l, err, sizeof err), FW_LAYOUT_OK);
        assert_string_equal(l.name, fw_layout_bundled_name(i));
        assert_int_equal(fw_layout_validate(&l, err, sizeof err), FW_LAYOUT_OK);
    }
    fw_layout_default(&d);
    assert_string_equal(d.name, FW_LAYOUT_DEFAULT_NAME);
    assert_int_equal(fw_layout_find("mbed-fota", &l, err, sizeof err), FW_LAYOUT_OK);
    assert_int_equal(l.header_format, FW_HDR_FOTA);
    assert_int_equal(l.app_start, 0x8200);
    assert_int_equal(l.app_max_size, 0x77E00);
    assert_int_equal(l.candidate_start, 0x88000);
    assert_int_equal(l.candidate_start + l.candidate_size, 0x100000);
    assert_int_equal(fw_layout_find("nope", &l, err, sizeof err), FW_LAYOUT_ERR_NOTFOUND);
    assert_non_null(strstr(err, "unknown layout 'nope' (bundled: mbed-classic, mbed-fota"));
}

static void mbed_classic_is_the_genuine_v4_1_0_layout(void **state)
{
    fw_layout_t l;
    fw_layout_default(&l);
    assert_int_equal(l.header_format, FW_HDR_V2);
    assert_int_equal(l.bootloader_size, 0x8000);
    assert_int_equal(l.active_header, 0x8000);
    assert_int_equal(l.active_header_size, 1024);
    assert_int_equal(l.app_start, 0x8400);
    assert_int_equal(l.app_max_size, 0x80000 - 0x8400);
    assert_int_equal(l.kvstore_start, 0x80000);
    assert_int_equal(l.kvstore_size, 2 * 16 * 1024);
    assert_int_equal(l.candidate_start, 0x88000);
    assert_int_equal(l.candidate_size, 0x78000);
    assert_int_equal(l.program_unit, 8);
    assert_int_equal(l.candidate_payload_offset, 0x70);
}

static void a_layout_file_round_trips_through_its_json_form(void **state)
{
    fw_layout_t a, b;
    assert_int_equal(fw_layout_find("mbed-fota", &a, err, sizeof err), FW_LAYOUT_OK);
    char *j = fw_layout_to_json(&a);
    assert_non_null(j);
    const char *p = put("fota.json", j);
    free(j);
    assert_int_equal(fw_layout_load(p, &b, err, sizeof err), FW_LAYOUT_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(fw_layout_resolve("fota.json", tmpdir, &b, err, sizeof err), FW_LAYOUT_OK);
    assert_string_equal(b.name, "mbed-fota");
}

#define CLASSIC_KEYS                                                                              \
    "\"mbed-bootloader.bootloader-size\": \"0x8000\", \"update-client.application-details\": 32768,\n" \
    "\"mbed-bootloader.application-start-address\": \"0x8400\",\n"                             \
    "\"storage_tdb_internal.internal_base_address\": \"0x80000\",\n"                           \
    "\"storage_tdb_internal.internal_size\": \"0x8000\", \"update-client.storage-address\": \"0x88000\",\n" \
    "\"update-client.storage-size\": \"0x78000\""

static void layout_file_errors_name_the_file_and_the_key(void **state)
{
    fw_layout_t l;
    const char *p = put("a.json", "{" CLASSIC_KEYS ", \"mbed-bootloader.max-application-size\": \"0x77C00\"}");
    assert_int_equal(fw_layout_load(p, &l, err, sizeof err), FW_LAYOUT_OK);
    assert_string_equal(l.name, "a");
    assert_int_equal(l.active_header_size, 0x400);
    p = put("b.json", "{" CLASSIC_KEYS "}");
    assert_int_equal(fw_layout_load(p, &l, err, sizeof err), FW_LAYOUT_ERR_KEY);
    assert_non_null(strstr(err, "b.json: \"mbed-bootloader.max-application-size\": missing"));
    p = put("c.json", "{" CLASSIC_KEYS ", \"mbed-bootloader.max-application-size\": \"lots\"}");
    assert_int_equal(fw_layout_load(p, &l, err, sizeof err), FW_LAYOUT_ERR_KEY);
    assert_non_null(strstr(err, "\"mbed-bootloader.max-application-size\": not an integer"));
    p = put("d.json", "{" CLASSIC_KEYS ", \"mbed-bootloader.max-application-size\": 1, \"typo\": 1}");
    assert_int_equal(fw_layout_load(p, &l, err, sizeof err), FW_LAYOUT_ERR_KEY);
    assert_non_null(strstr(err, "d.json: unknown key \"typo\""));
    p = put("e.json", "{" CLASSIC_KEYS ", \"mbed-bootloader.max-application-size\": \"0x78000\"}");
    assert_int_equal(fw_layout_load(p, &l, err, sizeof err), FW_LAYOUT_ERR_INVALID);
    assert_non_null(strstr(err, "storage_tdb_internal.internal_base_address [0x80000, 0x88000) overlaps "
                                "mbed-bootloader.max-application-size [0x8400, 0x80400)"));
    p = put("f.json", "{\"x\": ");
    assert_int_equal(fw_layout_load(p, &l, err, sizeof err), FW_LAYOUT_ERR_SYNTAX);
    assert_non_null(strstr(err, "f.json:1:"));
    assert_int_equal(fw_layout_load(tmp_path("absent.json"), &l, err, sizeof err), FW_LAYOUT_ERR_IO);
}

static void validation_refuses_misaligned_and_out_of_flash_regions(void **state)
{
    fw_layout_t l;
    fw_layout_default(&l);
    l.candidate_start = 0x88100;
    assert_int_equal(fw_layout_validate(&l, err, sizeof err), FW_LAYOUT_ERR_INVALID);
    assert_non_null(strstr(err, "update-client.storage-address 0x88100 is not a multiple of 0x1000"));
    fw_layout_default(&l);
    l.candidate_size = 0x79000;
    assert_int_equal(fw_layout_validate(&l, err, sizeof err), FW_LAYOUT_ERR_INVALID);
    assert_non_null(strstr(err, "update-client.storage-address: [0x88000, 0x101000) is outside flash"));
}

static const char mbed_cfg[] =
    "{\"config\": {\"kvstore-size\": {\"macro_name\": \"KVSTORE_SIZE\", \"required\": true}},\n"
    " \"macros\": [\"MBED_BOOTLOADER_ACTIVE_HEADER_REGION_SIZE=1024\", \"BANK=MBED_ROM_SIZE/2\",\n"
    "             \"UNUSED=ARM_UCP_FLASHIAP\"],\n"
    " \"target_overrides\": {\"*\": {\n"
    "   \"mbed-bootloader.bootloader-size\": \"APPLICATION_SIZE\", \"target.restrict_size\": \"0x8fff\",\n"
    "   \"kvstore-size\": \"2*64*1024\", \"update-client.storage-page\": 1,\n"
    "   \"update-client.application-details\": \"(MBED_ROM_START + MBED_BOOTLOADER_SIZE)\",\n"
    "   \"mbed-bootloader.application-start-address\": \"(MBED_CONF_UPDATE_CLIENT_APPLICATION_DETAILS + "
    "MBED_BOOTLOADER_ACTIVE_HEADER_REGION_SIZE)\",\n"
    "   \"mbed-bootloader.max-application-size\": \"(MBED_ROM_START + BANK - "
    "MBED_CONF_MBED_BOOTLOADER_APPLICATION_START_ADDRESS)\",\n"
    "   \"update-client.storage-address\": \"(MBED_ROM_START + BANK + KVSTORE_SIZE)\",\n"
    "   \"update-client.storage-size\": \"(BANK - KVSTORE_SIZE)\"},\n"
    "  \"K64F\": {\"kvstore-size\": \"2*16*1024\", \"update-client.storage-page\": 8}}}\n";

static void an_mbed_config_evaluates_for_its_target(void **state)
{
    fw_layout_t l, d;
    const char *p = put("cfg.json", mbed_cfg);
    assert_int_equal(fw_layout_from_mbed(p, "K64F", NULL, &l, err, sizeof err), FW_LAYOUT_OK);
    fw_layout_default(&d);
    assert_string_equal(l.name, "cfg");
    strcpy(l.name, d.name);
    assert_memory_equal(&l, &d, sizeof l);   /* restrict_size 0x8fff rounds down to 0x8000 */
    assert_int_equal(fw_layout_from_mbed(p, "NRF52", NULL, &l, err, sizeof err), FW_LAYOUT_ERR_NOTFOUND);
    assert_non_null(strstr(err, "unknown target 'NRF52'"));
}

static void an_mbed_config_error_names_the_key_and_the_unknown_name(void **state)
{
    fw_layout_t l;
    char *bad = strdup(mbed_cfg);
    char *s = strstr(bad, "(BANK - KVSTORE_SIZE)");
    memcpy(s, "(BONK", 5);
    const char *p = put("bad.json", bad);
    assert_int_equal(fw_layout_from_mbed(p, NULL, NULL, &l, err, sizeof err), FW_LAYOUT_ERR_EXPR);
    assert_non_null(strstr(err, "bad.json: \"update-client.storage-size\": unknown name 'BONK' in "
                                "\"(BONK - KVSTORE_SIZE)\""));
    strcpy(bad, mbed_cfg);
    s = strstr(bad, "(BANK - KVSTORE_SIZE)");
    memcpy(s, "(BANK / 0)           ", 21);
    p = put("bad2.json", bad);
    assert_int_equal(fw_layout_from_mbed(p, NULL, NULL, &l, err, sizeof err), FW_LAYOUT_ERR_EXPR);
    assert_non_null(strstr(err, "\"update-client.storage-size\": division by zero"));
    free(bad);
    p = put("loop.json", "{\"macros\": [\"A=B+1\", \"B=A\"], \"target_overrides\": {\"*\": "
                         "{\"update-client.application-details\": \"A\"}}}");
    assert_int_equal(fw_layout_from_mbed(p, NULL, NULL, &l, err, sizeof err), FW_LAYOUT_ERR_EXPR);
    assert_non_null(strstr(err, "defined in terms of itself"));
    p = put("none.json", "{\"target_overrides\": {}}");
    assert_int_equal(fw_layout_from_mbed(p, NULL, NULL, &l, err, sizeof err), FW_LAYOUT_ERR_KEY);
    assert_non_null(strstr(err, "none of \"update-client.application-details\" or \"target.header_offset\" is set"));
}

static void images_and_inspect_refuse_a_header_format_they_do_not_make(void **state)
{
    fw_layout_t l;
    assert_int_equal(fw_layout_find("mbed-fota", &l, err, sizeof err), FW_LAYOUT_OK);
    static uint8_t flash[0x100000];
    image_parts_t p = { 0 };
    assert_int_equal(image_assemble(&l, &p, flash, sizeof flash, err, sizeof err), IMAGE_ERR_HEADER_FORMAT);
    assert_non_null(strstr(err, "layout 'mbed-fota' uses the fota header format"));
    static inspect_result_t r;
    assert_int_equal(inspect_flash(&l, flash, sizeof flash, "d.bin", &r, err, sizeof err), INSPECT_ERR_HEADER_FORMAT);
    assert_non_null(strstr(err, "d.bin: layout 'mbed-fota' uses the fota header format"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bundled_layouts_are_found_by_name_and_valid),
        cmocka_unit_test(mbed_classic_is_the_genuine_v4_1_0_layout),
        cmocka_unit_test(a_layout_file_round_trips_through_its_json_form),
        cmocka_unit_test(layout_file_errors_name_the_file_and_the_key),
        cmocka_unit_test(validation_refuses_misaligned_and_out_of_flash_regions),
        cmocka_unit_test(an_mbed_config_evaluates_for_its_target),
        cmocka_unit_test(an_mbed_config_error_names_the_key_and_the_unknown_name),
        cmocka_unit_test(images_and_inspect_refuse_a_header_format_they_do_not_make),
    };
    return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
