/*
 * What fwemu manifest, keys, delta, image and inspect say about a bad input path or a bad key
 * (harness/cli/cmd_manifest.c, cmd_keys.c, ...): the path as given and what is wrong with it in
 * our words; never a placeholder ("FILE:") or a library's internal text.
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

#include "cli/cli.h"
#include "test_cli_capture.h"
#include "test_codec_tmpdir.h"

static int setup(void **state)
{
    (void)state;
    if (tmpdir_make("cli_manifest"))
        return -1;
    mkdir(tmp_path("adir"), 0755);
    write_file(tmp_path("empty"), "", 0);
    static const char junk[] = "this is not a key\n";
    write_file(tmp_path("junk.pem"), junk, sizeof junk - 1);
    return 0;
}

/* The verb's stderr must be exactly want (one line). */
static void expect_err(captured_t c, int status, const char *want)
{
    if (c.status != status || strcmp(c.err, want) != 0)
        fail_msg("exit %d, stderr:\n%s\nexpected exit %d, stderr:\n%s", c.status, c.err, status, want);
    captured_free(&c);
}

static char want[1024];

static void manifest_show_of_a_directory_names_it_without_a_placeholder(void **state)
{
    (void)state;
    snprintf(want, sizeof want, "fwemu manifest show: %s: is a directory, not a file\n", tmp_path("adir"));
    expect_err(capture_cmd(cmd_manifest, "manifest", "show", tmp_path("adir"), NULL), FWEMU_EXIT_USAGE, want);
}

static void manifest_show_of_a_missing_file_names_it(void **state)
{
    (void)state;
    snprintf(want, sizeof want, "fwemu manifest show: %s: cannot open: No such file or directory\n",
             tmp_path("none.der"));
    expect_err(capture_cmd(cmd_manifest, "manifest", "show", tmp_path("none.der"), NULL), FWEMU_EXIT_USAGE,
               want);
}

static void manifest_show_of_an_empty_file_says_it_is_empty(void **state)
{
    (void)state;
    snprintf(want, sizeof want, "fwemu manifest show: %s: SignedResource: empty input (0 bytes), not a manifest\n",
             tmp_path("empty"));
    expect_err(capture_cmd(cmd_manifest, "manifest", "show", "--no-verify", tmp_path("empty"), NULL),
               FWEMU_EXIT_USAGE, want);
}

static void a_junk_key_is_described_in_our_words_with_the_library_code(void **state)
{
    (void)state;
    snprintf(want, sizeof want, "fwemu keys show: %s: not a PEM or DER EC private key (mbedtls -0x3D00)\n",
             tmp_path("junk.pem"));
    expect_err(capture_cmd(cmd_keys, "keys", "show", tmp_path("junk.pem"), NULL), FWEMU_EXIT_USAGE, want);
}

static void a_junk_verification_key_is_described_the_same_way(void **state)
{
    (void)state;
    const char *m = tmp_path("m.der");
    captured_t c = capture_cmd(cmd_manifest, "manifest", "create", "--payload", "bundled:app_v2", "--version",
                               "2", "-o", m, NULL);
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    captured_free(&c);
    snprintf(want, sizeof want, "fwemu manifest show: %s: not a PEM or DER EC private key (mbedtls -0x3D00)\n",
             tmp_path("junk.pem"));
    expect_err(capture_cmd(cmd_manifest, "manifest", "show", "--key", tmp_path("junk.pem"), m, NULL),
               FWEMU_EXIT_USAGE, want);
}

static void a_key_that_is_a_directory_or_empty_says_so(void **state)
{
    (void)state;
    snprintf(want, sizeof want, "fwemu keys show: %s: is a directory, not a file\n", tmp_path("adir"));
    expect_err(capture_cmd(cmd_keys, "keys", "show", tmp_path("adir"), NULL), FWEMU_EXIT_USAGE, want);
    snprintf(want, sizeof want, "fwemu keys show: %s: empty file, not a key\n", tmp_path("empty"));
    expect_err(capture_cmd(cmd_keys, "keys", "show", tmp_path("empty"), NULL), FWEMU_EXIT_USAGE, want);
}

static void other_verbs_name_a_directory_the_same_way(void **state)
{
    (void)state;
    const char *d = tmp_path("adir");
    snprintf(want, sizeof want, "fwemu delta show: %s: is a directory, not a file\n", d);
    expect_err(capture_cmd(cmd_delta, "delta", "show", d, NULL), FWEMU_EXIT_USAGE, want);
    snprintf(want, sizeof want, "fwemu inspect: %s: is a directory, not a file\n", d);
    expect_err(capture_cmd(cmd_inspect, "inspect", d, NULL), FWEMU_EXIT_USAGE, want);
    snprintf(want, sizeof want, "fwemu manifest create: --payload: %s: is a directory, not a file\n", d);
    expect_err(capture_cmd(cmd_manifest, "manifest", "create", "--payload", d, "--version", "2", "-o",
                           tmp_path("x.der"), NULL), FWEMU_EXIT_USAGE, want);
    snprintf(want, sizeof want, "fwemu image: --active: %s: is a directory, not a file\n", d);
    expect_err(capture_cmd(cmd_image, "image", "-o", tmp_path("x.bin"), "--bootloader", "bundled:bootloader",
                           "--active", d, "--active-version", "1", NULL), FWEMU_EXIT_USAGE, want);
    snprintf(want, sizeof want, "fwemu boot: %s: is a directory, not a file\n", d);
    expect_err(capture_cmd(cmd_boot, "boot", d, NULL), FWEMU_EXIT_USAGE, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manifest_show_of_a_directory_names_it_without_a_placeholder),
        cmocka_unit_test(manifest_show_of_a_missing_file_names_it),
        cmocka_unit_test(manifest_show_of_an_empty_file_says_it_is_empty),
        cmocka_unit_test(a_junk_key_is_described_in_our_words_with_the_library_code),
        cmocka_unit_test(a_junk_verification_key_is_described_the_same_way),
        cmocka_unit_test(a_key_that_is_a_directory_or_empty_says_so),
        cmocka_unit_test(other_verbs_name_a_directory_the_same_way),
    };
    return cmocka_run_group_tests_name("cli_manifest", tests, setup, tmpdir_teardown);
}
