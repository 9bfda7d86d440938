/* fwemu keys create|show: ECDSA P-256 signing keys (codec/manifest.h "keys"). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "codec/manifest.h"
#include "fileio.h"

enum { OPT_PUBLIC = 256, OPT_C };

static const char keys_usage[] =
    "usage: fwemu keys create -o KEY.pem [--public PUB.pem]\n"
    "       fwemu keys show KEY.pem [--c NAME]\n"
    "\n"
    "create: write a new random ECDSA P-256 private key (PEM, SEC1 \"EC PRIVATE KEY\", mode 0600)\n"
    "        and optionally its public key (PEM \"PUBLIC KEY\").\n"
    "show:   print the public point (uncompressed, 04||X||Y, 65 bytes) in hex; KEY.pem may be\n"
    "        private or public, PEM or DER, or bundled:dev for the bundled development (TEST) key.\n"
    "\n"
    "options:\n"
    "  -o, --output KEY.pem       (create) the private key to write\n"
    "      --public PUB.pem       (create) also write the public key\n"
    "      --c NAME               (show) print a C array: const uint8_t NAME[65] = {...};\n"
    "  -h, --help                 show this help and exit\n"
    "\n"
    "exit status: 0 ok, 2 usage or input error, 3 internal error\n";

static void usage(FILE *f) { fputs(keys_usage, f); }

/* Write a private key file: mode 0600 from the start (fileio_write_atomic keeps the mode of the
 * file it replaces, so the file is created 0600 first when it does not exist). */
static int write_private(const char *who, const char *path, const char *pem)
{
    char err[512];
    bool created = false;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        created = true;
    } else if (errno == EEXIST) {
        fd = open(path, O_WRONLY | O_CLOEXEC);
    }
    if (fd < 0 || fchmod(fd, 0600) != 0) {
        cli_fail(FWEMU_EXIT_USAGE, who, "%s: cannot create: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        if (created)
            unlink(path);
        return FWEMU_EXIT_USAGE;
    }
    close(fd);
    if (fileio_write_atomic(path, (const uint8_t *)pem, strlen(pem), err, sizeof err)) {
        cli_fail(FWEMU_EXIT_USAGE, who, "%s", err);
        if (created)
            unlink(path);
        return FWEMU_EXIT_USAGE;
    }
    return FWEMU_EXIT_OK;
}

static int keys_create(int argc, char **argv)
{
    static const char who[] = "fwemu keys create";
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "public", required_argument, NULL, OPT_PUBLIC },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *output = NULL, *pub = NULL;
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_PUBLIC: pub = optarg; break;
        case 'h':
            usage(stdout);
            return FWEMU_EXIT_OK;
        default:
            return cli_opt_error(who, "keys", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage(who, "keys", "unexpected argument '%s'", argv[optind]);
    if (!output)
        return cli_usage(who, "keys", "missing -o/--output");
    if (pub && !strcmp(pub, output))
        return cli_fail(FWEMU_EXIT_USAGE, who, "--public and -o name the same file");
    char err[512];
    mf_key_t *key = NULL;
    char *priv_pem = NULL, *pub_pem = NULL;
    int rc = mf_key_generate(&key, err, sizeof err);
    if (rc)
        return cli_fail(FWEMU_EXIT_INTERNAL, who, "%s", err);
    if (mf_key_pem(key, true, &priv_pem) || mf_key_pem(key, false, &pub_pem)) {
        rc = cli_fail(FWEMU_EXIT_INTERNAL, who, "cannot write the key as PEM");
        goto done;
    }
    rc = write_private(who, output, priv_pem);
    if (rc)
        goto done;
    if (pub && fileio_write_atomic(pub, (const uint8_t *)pub_pem, strlen(pub_pem), err, sizeof err)) {
        rc = cli_fail(FWEMU_EXIT_USAGE, who, "%s", err);
        goto done;
    }
    uint8_t pt[65];
    char pthex[131] = "";
    if (mf_key_public_point(key, pt) == MF_OK)
        cli_hex(pthex, pt, 65);
    printf("wrote %s (P-256 private key, mode 0600)", output);
    if (pub)
        printf(" and %s (public key)", pub);
    printf("; public point %s\n", pthex);
    rc = FWEMU_EXIT_OK;
done:
    if (priv_pem) {
        memset(priv_pem, 0, strlen(priv_pem));
        free(priv_pem);
    }
    free(pub_pem);
    mf_key_free(key);
    return rc;
}

static bool c_identifier(const char *s)
{
    if (!s[0] || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (const char *p = s; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return true;
}

static int keys_show(int argc, char **argv)
{
    static const char who[] = "fwemu keys show";
    static const struct option opts[] = {
        { "c", required_argument, NULL, OPT_C },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *cname = NULL;
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_C: cname = optarg; break;
        case 'h':
            usage(stdout);
            return FWEMU_EXIT_OK;
        default:
            return cli_opt_error(who, "keys", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage(who, "keys", "missing KEY.pem");
    if (argc - optind > 1)
        return cli_usage(who, "keys", "unexpected argument '%s'", argv[optind + 1]);
    if (cname && !c_identifier(cname))
        return cli_fail(FWEMU_EXIT_USAGE, who, "--c: '%s' is not a C identifier", cname);
    mf_key_t *key = NULL;
    const char *name = NULL;
    int rc = cli_load_key(who, argv[optind], &key, &name);
    if (rc)
        return rc;
    uint8_t pt[65];
    if (mf_key_public_point(key, pt)) {
        mf_key_free(key);
        return cli_fail(FWEMU_EXIT_INTERNAL, who, "%s: cannot encode the public point", name);
    }
    if (cname) {
        printf("/* P-256 public key (uncompressed 04||X||Y) of %s */\n", name);
        printf("const uint8_t %s[65] = {", cname);
        for (int i = 0; i < 65; i++)
            printf("%s0x%02x%s", i % 12 == 0 ? "\n    " : " ", pt[i], i < 64 ? "," : "");
        printf("\n};\n");
    } else {
        char pthex[131];
        cli_hex(pthex, pt, 65);
        printf("%s\n", pthex);
    }
    mf_key_free(key);
    return FWEMU_EXIT_OK;
}

int cmd_keys(int argc, char **argv)
{
    static const cli_sub_t subs[] = { { "create", keys_create }, { "show", keys_show } };
    return cli_dispatch("keys", usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}
