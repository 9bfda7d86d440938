/* Whole input files into memory: see input.h for the contract. */
#include "codec/input.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

const char *input_strerror(int err)
{
    switch (err) {
    case INPUT_OK: return "ok";
    case INPUT_ERR_IO: return "cannot read the file";
    case INPUT_ERR_SIZE: return "file too large";
    case INPUT_ERR_NOMEM: return "out of memory";
    case INPUT_ERR_ARG: return "bad argument";
    default: return "unknown input error";
    }
}

/* Read f to its end into a buffer growing up to max + 1 bytes (one more than allowed tells a
 * file that is too large from one that fits exactly). */
static int read_all(FILE *f, const char *path, size_t max, uint8_t **out, size_t *len, char *err,
                    size_t errlen)
{
    size_t cap = max < 65536 ? max + 1 : 65536, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        fileio_seterr(err, errlen, "%s: out of memory", path);
        return INPUT_ERR_NOMEM;
    }
    for (;;) {
        if (n == cap) {
            if (n > max) {
                free(buf);
                fileio_seterr(err, errlen, "%s: file larger than %zu bytes", path, max);
                return INPUT_ERR_SIZE;
            }
            size_t ncap = cap > max / 2 ? max + 1 : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fileio_seterr(err, errlen, "%s: out of memory", path);
                return INPUT_ERR_NOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno;
                free(buf);
                fileio_seterr(err, errlen, "%s: cannot read: %s", path, strerror(e));
                return INPUT_ERR_IO;
            }
            break;
        }
    }
    if (n > max) {
        free(buf);
        fileio_seterr(err, errlen, "%s: file larger than %zu bytes", path, max);
        return INPUT_ERR_SIZE;
    }
    *out = buf;
    *len = n;
    return INPUT_OK;
}

int input_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err,
                    size_t errlen)
{
    if (!out || !len) {
        fileio_seterr(err, errlen, "input_read_file: NULL argument");
        return INPUT_ERR_ARG;
    }
    *out = NULL;
    *len = 0;
    if (!path) {
        fileio_seterr(err, errlen, "no input path");
        return INPUT_ERR_ARG;
    }
    if (max == 0)
        max = INPUT_MAX_DEFAULT;
    if (max == SIZE_MAX)
        max--;                          /* read_all needs room for one byte more */
    FILE *f = fopen(path, "rb");
    if (!f) {
        fileio_seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return INPUT_ERR_IO;
    }
    struct stat st;
    int rc;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fileio_seterr(err, errlen, "%s: is a directory, not a file", path);
        rc = INPUT_ERR_IO;
    } else {
        rc = read_all(f, path, max, out, len, err, errlen);
    }
    fclose(f);
    return rc;
}
