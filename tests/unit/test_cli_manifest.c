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

static char dir[] = "/tmp/test_cli_manifest_XXXXXX";

static const char *path_of(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_bytes(const char *name, const void *d, size_t n)
{
    FILE *f = fopen(path_of(name), "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(d, 1, n, f), n);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    mkdir(path_of("adir"), 0755);
    write_bytes("empty", "", 0);
    static const char junk[] = "this is not a key\n";
    write_bytes("junk.pem", junk, sizeof junk - 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
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
    snprintf(want, sizeof want, "fwemu manifest show: %s: is a directory, not a file\n", path_of("adir"));
    expect_err(capture_cmd(cmd_manifest, "manifest", "show", path_of("adir"), NULL), FWEMU_EXIT_USAGE, want);
}

static void manifest_show_of_a_missing_file_names_it(void **state)
{
    (void)state;
    snprintf(want, sizeof want, "fwemu manifest show: %s: cannot open: No such file or directory\n",
             path_of("none.der"));
    expect_err(capture_cmd(cmd_manifest, "manifest", "show", path_of("none.der"), NULL), FWEMU_EXIT_USAGE,
               want);
}

static void manifest_show_of_an_empty_file_says_it_is_empty(void **state)
{
    (void)state;
    snprintf(want, sizeof want, "fwemu manifest show: %s: SignedResource: empty input (0 bytes), not a manifest\n",
             path_of("empty"));
    expect_err(capture_cmd(cmd_manifest, "manifest", "show", "--no-verify", path_of("empty"), NULL),
               FWEMU_EXIT_USAGE, want);
}

static void a_junk_key_is_described_in_our_words_with_the_library_code(void **state)
{
    (void)state;
    snprintf(want, sizeof want, "fwemu keys show: %s: not a PEM or DER EC private key (mbedtls -0x3D00)\n",
             path_of("junk.pem"));
    expect_err(capture_cmd(cmd_keys, "keys", "show", path_of("junk.pem"), NULL), FWEMU_EXIT_USAGE, want);
}

static void a_junk_verification_key_is_described_the_same_way(void **state)
{
    (void)state;
    const char *m = path_of("m.der");
    captured_t c = capture_cmd(cmd_manifest, "manifest", "create", "--payload", "bundled:app_v2", "--version",
                               "2", "-o", m, NULL);
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    captured_free(&c);
    snprintf(want, sizeof want, "fwemu manifest show: %s: not a PEM or DER EC private key (mbedtls -0x3D00)\n",
             path_of("junk.pem"));
    expect_err(capture_cmd(cmd_manifest, "manifest", "show", "--key", path_of("junk.pem"), m, NULL),
               FWEMU_EXIT_USAGE, want);
}

static void a_key_that_is_a_directory_or_empty_says_so(void **state)
{
    (void)state;
    snprintf(want, sizeof want, "fwemu keys show: %s: is a directory, not a file\n", path_of("adir"));
    expect_err(capture_cmd(cmd_keys, "keys", "show", path_of("adir"), NULL), FWEMU_EXIT_USAGE, want);
    snprintf(want, sizeof want, "fwemu keys show: %s: empty file, not a key\n", path_of("empty"));
    expect_err(capture_cmd(cmd_keys, "keys", "show", path_of("empty"), NULL), FWEMU_EXIT_USAGE, want);
}

static void other_verbs_name_a_directory_the_same_way(void **state)
{
    (void)state;
    const char *d = path_of("adir");
    snprintf(want, sizeof want, "fwemu delta show: %s: is a directory, not a file\n", d);
    expect_err(capture_cmd(cmd_delta, "delta", "show", d, NULL), FWEMU_EXIT_USAGE, want);
    snprintf(want, sizeof want, "fwemu inspect: %s: is a directory, not a file\n", d);
    expect_err(capture_cmd(cmd_inspect, "inspect", d, NULL), FWEMU_EXIT_USAGE, want);
    snprintf(want, sizeof want, "fwemu manifest create: --payload: %s: is a directory, not a file\n", d);
    expect_err(capture_cmd(cmd_manifest, "manifest", "create", "--payload", d, "--version", "2", "-o",
                           path_of("x.der"), NULL), FWEMU_EXIT_USAGE, want);
    snprintf(want, sizeof want, "fwemu image: --active: %s: is a directory, not a file\n", d);
    expect_err(capture_cmd(cmd_image, "image", "-o", path_of("x.bin"), "--bootloader", "bundled:bootloader",
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
    return cmocka_run_group_tests_name("cli_manifest", tests, setup, teardown);
}
