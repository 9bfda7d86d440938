/* Whole-or-nothing file writes: see fileio.h for the contract. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void fileio_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *fileio_strerror(int err)
{
    switch (err) {
    case FILEIO_OK: return "ok";
    case FILEIO_ERR_IO: return "I/O error";
    case FILEIO_ERR_NOMEM: return "out of memory";
    case FILEIO_ERR_ARG: return "bad argument";
    default: return "unknown file error";
    }
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The process umask without changing it: umask() can only be read by setting it, which races
 * with other threads creating files, so Linux's /proc/self/status (4.7+) comes first. */
static mode_t current_umask(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[128];
        unsigned m;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "Umask: %o", &m) == 1) {
                fclose(f);
                return (mode_t)(m & 0777);
            }
        }
        fclose(f);
    }
    mode_t um = umask(022);
    umask(um);
    return um;
}

int fileio_write_atomic(const char *path, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    if (!path || !*path) {
        fileio_seterr(err, errlen, "no output path");
        return FILEIO_ERR_ARG;
    }
    if (!data && len) {
        fileio_seterr(err, errlen, "%s: no data", path);
        return FILEIO_ERR_ARG;
    }
    size_t plen = strlen(path);
    if (path[plen - 1] == '/') {
        fileio_seterr(err, errlen, "%s: not a file name", path);
        return FILEIO_ERR_ARG;
    }
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    char *tmp = malloc(plen + sizeof ".tmpXXXXXX");
    if (!dir || !tmp) {
        free(dir);
        free(tmp);
        fileio_seterr(err, errlen, "%s: out of memory", path);
        return FILEIO_ERR_NOMEM;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmpXXXXXX", sizeof ".tmpXXXXXX");

    struct stat old;
    mode_t mode = stat(path, &old) == 0 && S_ISREG(old.st_mode) ? (old.st_mode & 07777)
                                                                  : (0666 & ~current_umask());
    int rc = FILEIO_OK;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fileio_seterr(err, errlen, "%s: cannot create a temporary file in %s: %s", path, dir, strerror(errno));
        rc = FILEIO_ERR_IO;
        goto done;
    }
    const char *what = NULL;
    if (fchmod(fd, mode) != 0)
        what = "chmod";
    else if (write_all(fd, data, len) != 0)
        what = "write";
    else if (fsync(fd) != 0)
        what = "fsync";
    int saved = errno;
    if (close(fd) != 0 && !what) {
        what = "close";
        saved = errno;
    }
    if (!what && rename(tmp, path) != 0) {
        what = "rename";
        saved = errno;
    }
    if (what) {
        unlink(tmp);
        fileio_seterr(err, errlen, "%s: %s failed: %s", path, what, strerror(saved));
        rc = FILEIO_ERR_IO;
        goto done;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);          /* makes the rename durable; best effort (not all fs allow it) */
        close(dfd);
    }
done:
    free(dir);
    free(tmp);
    return rc;
}
