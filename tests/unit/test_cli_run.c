/*
 * fwemu run's scenario collection (harness/cli/cmd_run.c): which files a PATH stands for, and
 * what an empty directory does (a clear usage error, exit 2; it used to hand qsort a NULL array,
 * which the sanitizer build aborts on).
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

static void write_text(const char *name, const char *text)
{
    write_file(tmp_path(name), text, strlen(text));
}

static const char *scenario(const char *name)
{
    static char y[256];
    snprintf(y, sizeof y,
             "name: %s\nsetup:\n  active: {image: app_v1, version: 1}\nsteps:\n"
             "  - boot: {until: app_running, version: 1, timeout: 3s}\n", name);
    return y;
}

static int setup(void **state)
{
    (void)state;
    if (tmpdir_make("cli_run"))
        return -1;
    mkdir(tmp_path("empty"), 0755);
    mkdir(tmp_path("mixed"), 0755);
    write_text("mixed/b.yaml", scenario("b"));
    write_text("mixed/a.yml", scenario("a"));
    write_text("mixed/.hidden.yaml", scenario("hidden"));
    write_text("mixed/notes.txt", "not a scenario\n");
    write_text("mixed/yml", "not a scenario either\n");
    return 0;
}

static void running_an_empty_directory_is_a_usage_error_naming_it(void **state)
{
    (void)state;
    const char *empty = tmp_path("empty");
    captured_t c = capture_cmd(cmd_run, "run", empty, NULL);
    assert_int_equal(c.status, FWEMU_EXIT_USAGE);
    char want[400];
    snprintf(want, sizeof want, "fwemu run: no scenarios in %s (no *.yaml or *.yml files)\n", empty);
    assert_string_equal(c.err, want);
    assert_string_equal(c.out, "");
    captured_free(&c);
}

static void a_directory_means_its_yaml_and_yml_files_sorted(void **state)
{
    (void)state;
    captured_t c = capture_cmd(cmd_run, "run", "--list", tmp_path("mixed"), NULL);
    assert_int_equal(c.status, FWEMU_EXIT_OK);
    char *a = strstr(c.out, "a.yml"), *b = strstr(c.out, "b.yaml");
    if (!a || !b)
        fail_msg("--list printed:\n%s\nstderr:\n%s", c.out, c.err);
    assert_true(a < b);
    assert_null(strstr(c.out, "hidden"));
    assert_null(strstr(c.out, "notes"));
    captured_free(&c);
}

static void collect_takes_yaml_and_yml_sorted_and_skips_the_rest(void **state)
{
    (void)state;
    cli_paths_t out = { 0 };
    char err[512] = "";
    assert_int_equal(cli_run_collect(tmp_path("mixed"), &out, err, sizeof err), CLI_OK);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.v[0], tmp_path("mixed/a.yml"));
    assert_string_equal(out.v[1], tmp_path("mixed/b.yaml"));
    cli_paths_free(&out);
    assert_null(out.v);
}

static void collect_of_an_empty_directory_is_an_error_and_adds_nothing(void **state)
{
    (void)state;
    cli_paths_t out = { 0 };
    char err[512] = "";
    assert_int_equal(cli_run_collect(tmp_path("empty"), &out, err, sizeof err), CLI_ERR_EMPTY);
    assert_int_equal(out.n, 0);
    char want[400];
    snprintf(want, sizeof want, "no scenarios in %s (no *.yaml or *.yml files)", tmp_path("empty"));
    assert_string_equal(err, want);
    cli_paths_free(&out);
}

static void collect_of_a_file_is_that_file_whatever_its_name(void **state)
{
    (void)state;
    cli_paths_t out = { 0 };
    char err[512] = "";
    assert_int_equal(cli_run_collect(tmp_path("mixed/notes.txt"), &out, err, sizeof err), CLI_OK);
    assert_int_equal(cli_run_collect(tmp_path("mixed/b.yaml"), &out, err, sizeof err), CLI_OK);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.v[0], tmp_path("mixed/notes.txt"));
    cli_paths_free(&out);
}

static void collect_of_a_missing_path_names_it(void **state)
{
    (void)state;
    cli_paths_t out = { 0 };
    char err[512] = "";
    assert_int_equal(cli_run_collect(tmp_path("nope"), &out, err, sizeof err), CLI_ERR_PATH);
    char want[400];
    snprintf(want, sizeof want, "%s: No such file or directory", tmp_path("nope"));
    assert_string_equal(err, want);
    assert_int_equal(out.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(running_an_empty_directory_is_a_usage_error_naming_it),
        cmocka_unit_test(a_directory_means_its_yaml_and_yml_files_sorted),
        cmocka_unit_test(collect_takes_yaml_and_yml_sorted_and_skips_the_rest),
        cmocka_unit_test(collect_of_an_empty_directory_is_an_error_and_adds_nothing),
        cmocka_unit_test(collect_of_a_file_is_that_file_whatever_its_name),
        cmocka_unit_test(collect_of_a_missing_path_names_it),
    };
    return cmocka_run_group_tests_name("cli_run", tests, setup, tmpdir_teardown);
}
