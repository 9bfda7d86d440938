/*
 * Files on the host, written whole or not at all.
 *
 * fileio_write_atomic is the one place that replaces a file: flash images (image.h) and the
 * reports (report.h) both go through it. The data goes to a temporary "<path>.tmpXXXXXX" in the
 * same directory (mkstemp), is fsync'ed, renamed over path, and the directory is fsync'ed so the
 * rename survives a power cut. On any failure the temporary is removed and path is left exactly
 * as it was (absent, or the old contents).
 *
 * The new file keeps the permission bits of the file it replaces; a new file gets 0666 minus the
 * umask (as fopen would give it), not mkstemp's 0600.
 *
 * Errors: one enum, negative values; err (may be NULL) gets one line naming the path and the
 * system call at fault.
 */
#ifndef FWEMU_FILEIO_H
#define FWEMU_FILEIO_H

#include <stddef.h>
#include <stdint.h>

typedef enum fileio_err {
    FILEIO_OK = 0,
    FILEIO_ERR_IO = -1,      /* a system call failed (create, write, fsync, close, rename) */
    FILEIO_ERR_NOMEM = -2,
    FILEIO_ERR_ARG = -3,     /* NULL or empty path, a path ending in '/', NULL data with len > 0 */
} fileio_err_t;

const char *fileio_strerror(int err);

/* Replace path with len bytes of data (data may be NULL when len is 0). Not safe against a
 * concurrent writer of the same path (the last rename wins, but each result is whole). */
int fileio_write_atomic(const char *path, const uint8_t *data, size_t len, char *err, size_t errlen);

/* Write a one-line error into err (may be NULL / errlen 0): shared by the host file tools. */
void fileio_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
