/*
 * Whole input files into memory: the one reader of the codec room and the CLI, so that every
 * verb says the same thing about the same bad path, in our words and naming the path:
 *
 *   "PATH: cannot open: No such file or directory"     (INPUT_ERR_IO, errno's text)
 *   "PATH: is a directory, not a file"                 (INPUT_ERR_IO)
 *   "PATH: cannot read: <errno text>"                  (INPUT_ERR_IO)
 *   "PATH: file larger than MAX bytes"                 (INPUT_ERR_SIZE)
 *
 * An empty file is not an error here (each format says what an empty input means to it).
 * Errors: input_err_t, negative; err (may be NULL / errlen 0) gets one line as above.
 */
#ifndef FWEMU_INPUT_H
#define FWEMU_INPUT_H

#include <stddef.h>
#include <stdint.h>

typedef enum input_err {
    INPUT_OK = 0,
    INPUT_ERR_IO = -1,       /* cannot open or read; a directory */
    INPUT_ERR_SIZE = -2,     /* larger than the limit */
    INPUT_ERR_NOMEM = -3,
    INPUT_ERR_ARG = -4,      /* NULL path or out pointers */
} input_err_t;

const char *input_strerror(int err);

/* The limit when the caller gives 0. */
#define INPUT_MAX_DEFAULT ((size_t)64 << 20)

/* Read path whole into *out (malloc'ed, never NULL on success, even for an empty file; the
 * caller frees it), its size in *len. Files of more than max bytes (0: INPUT_MAX_DEFAULT) are
 * refused. On failure *out is NULL and *len 0. */
int input_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *err,
                    size_t errlen);

#endif
