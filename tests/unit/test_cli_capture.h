/*
 * For the CLI tests: run a verb in this process with its stdout and stderr captured, and read
 * back what it printed. Not thread-safe (it moves fds 1 and 2).
 */
#ifndef FWEMU_TEST_CLI_CAPTURE_H
#define FWEMU_TEST_CLI_CAPTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct captured {
    int status;
    char *out, *err;          /* NUL-terminated, malloc'ed */
} captured_t;

static inline char *capture_slurp(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    char *s = malloc(n > 0 ? (size_t)n + 1 : 1);
    if (!s)
        abort();
    rewind(f);
    size_t got = n > 0 ? fread(s, 1, (size_t)n, f) : 0;
    s[got] = 0;
    return s;
}

/* Starts redirecting fds 1 and 2 into temporary files; capture_end restores them. */
typedef struct capture_state {
    FILE *fo, *fe;
    int saved_out, saved_err;
} capture_state_t;

static inline void capture_begin(capture_state_t *st)
{
    fflush(stdout);
    fflush(stderr);
    st->fo = tmpfile();
    st->fe = tmpfile();
    if (!st->fo || !st->fe)
        abort();
    st->saved_out = dup(1);
    st->saved_err = dup(2);
    dup2(fileno(st->fo), 1);
    dup2(fileno(st->fe), 2);
}

static inline void capture_end(capture_state_t *st, captured_t *c)
{
    fflush(stdout);
    fflush(stderr);
    dup2(st->saved_out, 1);
    dup2(st->saved_err, 2);
    close(st->saved_out);
    close(st->saved_err);
    fseek(st->fo, 0, SEEK_END);
    fseek(st->fe, 0, SEEK_END);
    c->out = capture_slurp(st->fo);
    c->err = capture_slurp(st->fe);
    fclose(st->fo);
    fclose(st->fe);
}

/* cmd(argv...) with the arguments up to NULL; the verb's name is argv[0]. */
static inline captured_t capture_cmd(int (*cmd)(int, char **), const char *a0, ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, a0);
    for (const char *s = a0; s && argc < 63; s = va_arg(ap, const char *))
        argv[argc++] = (char *)s;
    va_end(ap);
    argv[argc] = NULL;
    capture_state_t st;
    captured_t c;
    capture_begin(&st);
    c.status = cmd(argc, argv);
    capture_end(&st, &c);
    return c;
}

static inline void captured_free(captured_t *c)
{
    free(c->out);
    free(c->err);
    c->out = c->err = NULL;
}

#endif
