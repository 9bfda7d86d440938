/*
 * For the unit tests: one temporary directory per test program (tmpdir_make .. tmpdir_remove,
 * or the cmocka group fixtures tmpdir_setup / tmpdir_teardown), paths and files in it.
 */
#ifndef FWEMU_TEST_CODEC_TMPDIR_H
#define FWEMU_TEST_CODEC_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

/* "/tmp/fwemu_test_WHO.XXXXXX", made; 0 or -1. */
static inline int tmpdir_make(const char *who)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/fwemu_test_%s.XXXXXX", who);
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* path and, for a directory, everything below it. */
static inline int tmpdir_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    struct dirent *e;
    int rc = 0;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p)
            abort();
        snprintf(p, n, "%s/%s", path, e->d_name);
        rc |= tmpdir_remove_tree(p);
        free(p);
    }
    if (d)
        closedir(d);
    return rc | rmdir(path);
}

/* tmpdir and everything in it. */
static inline int tmpdir_remove(void)
{
    return tmpdir_remove_tree(tmpdir);
}

static inline int tmpdir_setup(void **state)
{
    (void)state;
    return tmpdir_make("unit");
}

static inline int tmpdir_teardown(void **state)
{
    (void)state;
    return tmpdir_remove();
}

/* tmpdir/name; the last four results stay valid. */
static inline const char *tmp_path(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

/* len bytes of data as the whole file path (fails the test when it cannot). */
static inline void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

#endif
