/*
 * The helpers every fwemu verb shares (harness/cli/cli_util.c): numbers, option errors, input
 * files and bundled:NAME, sub-command dispatch, hex and JSON out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "codec/bundled.h"
#include "codec/manifest.h"
#include "test_cli_capture.h"

static void numbers_are_digits_only_in_base_10(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(cli_parse_u64("42", 10, &v), CLI_OK);
    assert_true(v == 42);
    assert_int_equal(cli_parse_u64("18446744073709551615", 10, &v), CLI_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(cli_parse_u64("18446744073709551616", 10, &v), CLI_ERR_RANGE);
    assert_int_equal(cli_parse_u64("0x10", 10, &v), CLI_ERR_NUMBER);
    assert_int_equal(cli_parse_u64("12x", 10, &v), CLI_ERR_NUMBER);
    assert_int_equal(cli_parse_u64("-1", 10, &v), CLI_ERR_NUMBER);
    assert_int_equal(cli_parse_u64("+1", 10, &v), CLI_ERR_NUMBER);
    assert_int_equal(cli_parse_u64(" 1", 10, &v), CLI_ERR_NUMBER);
    assert_int_equal(cli_parse_u64("", 10, &v), CLI_ERR_NUMBER);
    assert_int_equal(cli_parse_u64(NULL, 10, &v), CLI_ERR_NUMBER);
}

static void base_0_also_takes_hex(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(cli_parse_u64("0x10", 0, &v), CLI_OK);
    assert_true(v == 16);
    assert_int_equal(cli_parse_u64("0xfffffffffffffffff", 0, &v), CLI_ERR_RANGE);
    assert_int_equal(cli_parse_u64("0x", 0, &v), CLI_ERR_NUMBER);
    assert_int_equal(cli_parse_u64("-0x1", 0, &v), CLI_ERR_NUMBER);
}

static int number_verb(int argc, char **argv)
{
    uint64_t v;
    return cli_number("fwemu t", "--n", argc > 1 ? argv[1] : "", &v);
}

static void a_bad_number_names_the_option_and_the_text(void **state)
{
    (void)state;
    captured_t c = capture_cmd(number_verb, "t", "12x", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    assert_string_equal(c.err, "fwemu t: --n: '12x' is not a number\n");
    captured_free(&c);
    c = capture_cmd(number_verb, "t", "99999999999999999999", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    assert_non_null(strstr(c.err, "is out of range (at most 18446744073709551615)"));
    captured_free(&c);
    c = capture_cmd(number_verb, "t", "7", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    assert_string_equal(c.err, "");
    captured_free(&c);
}

static int getopt_verb(int argc, char **argv)
{
    static const struct option opts[] = { { "value", required_argument, NULL, 'x' }, { 0, 0, 0, 0 } };
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, ":x:", opts, NULL)) != -1)
        if (c != 'x')
            return cli_opt_error("fwemu t", "t", c, argv);
    return FWEMU_EXIT_OK;
}

static void option_errors_say_what_and_point_at_help(void **state)
{
    (void)state;
    captured_t c = capture_cmd(getopt_verb, "t", "--value", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    assert_string_equal(c.err, "fwemu t: option '--value' needs a value (see 'fwemu t --help')\n");
    captured_free(&c);
    c = capture_cmd(getopt_verb, "t", "--nope", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    assert_string_equal(c.err, "fwemu t: unknown or ambiguous option '--nope' (see 'fwemu t --help')\n");
    captured_free(&c);
    c = capture_cmd(getopt_verb, "t", "-q", NULL);
    assert_string_equal(c.err, "fwemu t: unknown option '-q' (see 'fwemu t --help')\n");
    captured_free(&c);
    c = capture_cmd(getopt_verb, "t", "-x", "1", NULL);        /* getopt starts afresh */
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    captured_free(&c);
}

static const char *g_opt;
static const char *g_path;
static size_t g_len;

static int read_verb(int argc, char **argv)
{
    uint8_t *d = NULL;
    int rc = cli_read_input("fwemu t", g_opt, argv[1], 0, &d, &g_len);
    free(d);
    return rc;
}

static void a_missing_file_is_named_with_its_option(void **state)
{
    (void)state;
    g_opt = "--payload";
    captured_t c = capture_cmd(read_verb, "t", "/nonexistent/x.bin", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    assert_string_equal(c.err, "fwemu t: --payload: /nonexistent/x.bin: cannot open: No such file or directory\n");
    captured_free(&c);
}

static void a_positional_path_has_no_option_prefix(void **state)
{
    (void)state;
    g_opt = NULL;
    g_path = "/tmp";
    captured_t c = capture_cmd(read_verb, "t", g_path, NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    assert_string_equal(c.err, "fwemu t: /tmp: is a directory, not a file\n");
    captured_free(&c);
}

static void bundled_names_give_the_bundled_bytes(void **state)
{
    (void)state;
    g_opt = "--x";
    captured_t c = capture_cmd(read_verb, "t", "bundled:app_v1", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    assert_int_equal(g_len, bundled_find("app_v1")->size);
    captured_free(&c);
    c = capture_cmd(read_verb, "t", "bundled:nope", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    assert_non_null(strstr(c.err, "fwemu t: --x: no bundled image 'nope' (have: bootloader,"));
    captured_free(&c);
}

static int g_sub_argc;
static const char *g_sub_arg0;
static int sub_a(int argc, char **argv)
{
    g_sub_argc = argc;
    g_sub_arg0 = argv[0];
    return 42;
}
static void usage_t(FILE *f) { fputs("usage: fwemu t a|b\n", f); }
static int dispatch_verb(int argc, char **argv)
{
    static const cli_sub_t subs[] = { { "a", sub_a }, { "b", sub_a } };
    return cli_dispatch("t", usage_t, subs, 2, argc, argv);
}

static void sub_commands_are_dispatched_and_checked(void **state)
{
    (void)state;
    captured_t c = capture_cmd(dispatch_verb, "t", "b", "x", NULL);
    assert_int_equal(c.status, 42);
    assert_int_equal(g_sub_argc, 2);
    assert_string_equal(g_sub_arg0, "b");
    captured_free(&c);
    c = capture_cmd(dispatch_verb, "t", "--help", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    assert_string_equal(c.out, "usage: fwemu t a|b\n");
    captured_free(&c);
    c = capture_cmd(dispatch_verb, "t", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    assert_string_equal(c.err, "fwemu t: missing sub-command: a or b (see 'fwemu t --help')\n");
    captured_free(&c);
    c = capture_cmd(dispatch_verb, "t", "zz", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    assert_string_equal(c.err, "fwemu t: unknown sub-command 'zz': a or b (see 'fwemu t --help')\n");
    captured_free(&c);
}

static void hex_is_lower_case(void **state)
{
    (void)state;
    char out[9];
    cli_hex(out, (const uint8_t *)"\x00\xab\x10\xff", 4);
    assert_string_equal(out, "00ab10ff");
    cli_hex(out, NULL, 0);
    assert_string_equal(out, "");
}

static int json_verb(int argc, char **argv)
{
    json_t *o = json_object();
    json_object_set_new(o, "b", json_integer(1));
    json_object_set_new(o, "a", json_string("x"));
    return cli_print_json(o);
}

static void json_keeps_the_insertion_order(void **state)
{
    (void)state;
    captured_t c = capture_cmd(json_verb, "t", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    assert_string_equal(c.out, "{\n  \"b\": 1,\n  \"a\": \"x\"\n}\n");
    captured_free(&c);
}

static int key_verb(int argc, char **argv)
{
    mf_key_t *k = NULL;
    const char *name = NULL;
    int rc = cli_load_key("fwemu t", argc > 1 ? argv[1] : NULL, &k, &name);
    if (!rc)
        printf("%s %d\n", name, mf_key_has_private(k));
    mf_key_free(k);
    return rc;
}

static void no_key_means_the_bundled_dev_key(void **state)
{
    (void)state;
    captured_t c = capture_cmd(key_verb, "t", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    assert_string_equal(c.out, CLI_BUNDLED_KEY_NAME " 1\n");
    captured_free(&c);
    c = capture_cmd(key_verb, "t", "bundled:dev", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    captured_free(&c);
    c = capture_cmd(key_verb, "t", "/nonexistent/k.pem", NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    assert_string_equal(c.err, "fwemu t: /nonexistent/k.pem: cannot open: No such file or directory\n");
    captured_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_are_digits_only_in_base_10),
        cmocka_unit_test(base_0_also_takes_hex),
        cmocka_unit_test(a_bad_number_names_the_option_and_the_text),
        cmocka_unit_test(option_errors_say_what_and_point_at_help),
        cmocka_unit_test(a_missing_file_is_named_with_its_option),
        cmocka_unit_test(a_positional_path_has_no_option_prefix),
        cmocka_unit_test(bundled_names_give_the_bundled_bytes),
        cmocka_unit_test(sub_commands_are_dispatched_and_checked),
        cmocka_unit_test(hex_is_lower_case),
        cmocka_unit_test(json_keeps_the_insertion_order),
        cmocka_unit_test(no_key_means_the_bundled_dev_key),
    };
    return cmocka_run_group_tests_name("cli_util", tests, NULL, NULL);
}
