/*
 * Whole input files (harness/codec/input.c): the bytes of a file, and one clear message naming
 * the path for each way a path can be wrong (missing, a directory, too large).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "codec/image.h"
#include "codec/input.h"
#include "test_codec_tmpdir.h"

static void a_file_is_read_whole(void **state)
{
    (void)state;
    uint8_t big[200000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    write_file(tmp_path("big.bin"), big, sizeof big);
    uint8_t *d = NULL;
    size_t n = 0;
    char err[256] = "";
    assert_int_equal(input_read_file(tmp_path("big.bin"), 0, &d, &n, err, sizeof err), INPUT_OK);
    assert_int_equal(n, sizeof big);
    assert_memory_equal(d, big, sizeof big);
    free(d);
}

static void an_empty_file_is_zero_bytes_not_an_error(void **state)
{
    (void)state;
    write_file(tmp_path("empty.bin"), "", 0);
    uint8_t *d = NULL;
    size_t n = 99;
    assert_int_equal(input_read_file(tmp_path("empty.bin"), 16, &d, &n, NULL, 0), INPUT_OK);
    assert_non_null(d);
    assert_int_equal(n, 0);
    free(d);
}

static void a_missing_file_says_cannot_open_and_names_it(void **state)
{
    (void)state;
    uint8_t *d = (uint8_t *)1;
    size_t n = 1;
    char err[256] = "";
    assert_int_equal(input_read_file(tmp_path("none.bin"), 0, &d, &n, err, sizeof err), INPUT_ERR_IO);
    assert_null(d);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err, "none.bin: cannot open: No such file or directory"));
}

static void a_directory_says_it_is_a_directory(void **state)
{
    (void)state;
    uint8_t *d = NULL;
    size_t n = 0;
    char err[256] = "";
    assert_int_equal(input_read_file(tmpdir, 0, &d, &n, err, sizeof err), INPUT_ERR_IO);
    assert_null(d);
    char want[300];
    snprintf(want, sizeof want, "%s: is a directory, not a file", tmpdir);
    assert_string_equal(err, want);
}

static void the_limit_is_inclusive(void **state)
{
    (void)state;
    write_file(tmp_path("16.bin"), "0123456789abcdef", 16);
    uint8_t *d = NULL;
    size_t n = 0;
    char err[256] = "";
    assert_int_equal(input_read_file(tmp_path("16.bin"), 16, &d, &n, err, sizeof err), INPUT_OK);
    assert_int_equal(n, 16);
    free(d);
    assert_int_equal(input_read_file(tmp_path("16.bin"), 15, &d, &n, err, sizeof err), INPUT_ERR_SIZE);
    assert_null(d);
    assert_non_null(strstr(err, "16.bin: file larger than 15 bytes"));
}

static void image_read_file_takes_zero_as_the_default_limit(void **state)
{
    (void)state;
    write_file(tmp_path("x.bin"), "abc", 3);
    uint8_t *d = NULL;
    size_t n = 0;
    char err[256] = "";
    assert_int_equal(image_read_file(tmp_path("x.bin"), 0, &d, &n, err, sizeof err), IMAGE_OK);
    assert_int_equal(n, 3);
    free(d);
    assert_int_equal(image_read_file(tmpdir, 0, &d, &n, err, sizeof err), IMAGE_ERR_IO);
    assert_non_null(strstr(err, "is a directory"));
}

static void every_error_has_a_text(void **state)
{
    (void)state;
    for (int e = INPUT_ERR_ARG; e <= INPUT_OK; e++)
        assert_string_not_equal(input_strerror(e), "unknown input error");
    assert_int_equal(input_read_file(NULL, 0, NULL, NULL, NULL, 0), INPUT_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_file_is_read_whole),
        cmocka_unit_test(an_empty_file_is_zero_bytes_not_an_error),
        cmocka_unit_test(a_missing_file_says_cannot_open_and_names_it),
        cmocka_unit_test(a_directory_says_it_is_a_directory),
        cmocka_unit_test(the_limit_is_inclusive),
        cmocka_unit_test(image_read_file_takes_zero_as_the_default_limit),
        cmocka_unit_test(every_error_has_a_text),
    };
    return cmocka_run_group_tests_name("input", tests, tmpdir_setup, tmpdir_teardown);
}
