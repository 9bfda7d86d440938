/* fwemu manifest create|show and fwemu keys create|show (manifest.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "codec/bundled.h"
#include "cli/cmds.h"
#include "fileio.h"
#include "codec/image.h"
#include "codec/manifest.h"

#define BUNDLED_PREFIX "bundled:"
#define BUNDLED_KEY_NAME "bundled dev key (TEST)"
#define MANIFEST_MAX_FILE (1u << 20)

static const char manifest_usage[] =
    "usage: fwemu manifest create --payload FILE --version N -o OUT [--key KEY.pem]\n"
    "                             [--precursor OLD.bin] [--vendor-id UUID | --vendor-domain DOMAIN]\n"
    "                             [--class-id UUID | --model-name NAME] [--uri NAME] [--json]\n"
    "       fwemu manifest show FILE [--key KEY.pem | --no-verify] [--json]\n"
    "\n"
    "Create or show a signed update manifest: Pelion manifest v3 (ASN.1 DER), ECDSA P-256 over\n"
    "SHA-256 of the DER Manifest, raw 64-byte r||s, signed deterministically (RFC 6979): the same\n"
    "inputs give the same bytes. Choices as docs/update-flow.md section 3.\n"
    "\n"
    "create options:\n"
    "      --payload FILE         the bytes the server serves (raw image, or a PELION/BSDIFF001 patch\n"
    "                             with --precursor); FILE may be bundled:NAME (a bundled app binary)\n"
    "      --version N            payload-version (unsigned 64-bit decimal, the image header's version)\n"
    "  -o, --output OUT           the manifest to write (DER, replaced atomically)\n"
    "      --key KEY.pem          the private signing key (PEM or DER); without it the manifest is\n"
    "                             signed with the bundled development key: a TEST key, the one the\n"
    "                             bundled apps trust; never use it for real devices\n"
    "      --precursor OLD.bin    make a delta manifest (arm-patch-stream): the patch is applied to\n"
    "                             OLD.bin to get installed-size/-digest; precursor-digest = SHA-256(OLD)\n"
    "      --vendor-id UUID       vendor-id (default 06a51bd6-a81f-5436-9f79-688945d28390)\n"
    "      --vendor-domain DOMAIN vendor-id = uuid5(NAMESPACE_DNS, DOMAIN)\n"
    "      --class-id UUID        class-id (default f7f2c1cc-c293-5fd3-b7f7-1f37817b3549)\n"
    "      --model-name NAME      class-id = uuid5(vendor-id, NAME)\n"
    "      --uri NAME             payload-uri, the server resource name (default \"payload\"; 1..63 chars)\n"
    "      --json                 print the manifest as JSON instead of a one-line summary\n"
    "\n"
    "show options:\n"
    "      --key KEY.pem          verify with this key, public or private (default: the bundled dev key)\n"
    "      --no-verify            do not verify the signature\n"
    "      --json                 JSON output\n"
    "  -h, --help                 show this help and exit\n"
    "\n"
    "exit status: 0 ok (show: signature valid or not checked), 1 signature INVALID, 2 usage or\n"
    "input error (the message names the file and the field), 3 internal error\n";

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

static int exit_for(int mf_rc)
{
    switch (mf_rc) {
    case MF_OK: return FWEMU_EXIT_OK;
    case MF_ERR_SIGNATURE: return FWEMU_EXIT_FAIL;
    case MF_ERR_NOMEM: return FWEMU_EXIT_INTERNAL;
    default: return FWEMU_EXIT_USAGE;
    }
}

/* getopt error reporting shared by the sub-verbs; returns the exit status. */
static int opt_error(const char *who, const char *help, int c, char **argv)
{
    if (c == ':')
        fprintf(stderr, "%s: option '%s' needs an argument (see '%s')\n", who, argv[optind - 1], help);
    else if (optopt && optopt < 256)
        fprintf(stderr, "%s: unknown option '-%c' (see '%s')\n", who, optopt, help);
    else
        fprintf(stderr, "%s: unknown or ambiguous option '%s' (see '%s')\n", who, argv[optind - 1], help);
    return FWEMU_EXIT_USAGE;
}

static int parse_u64(const char *who, const char *opt, const char *s, uint64_t *v)
{
    bool ok = s[0] != 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            ok = false;
    if (!ok) {
        fprintf(stderr, "%s: %s: '%s' is not a number\n", who, opt, s);
        return -1;
    }
    errno = 0;
    unsigned long long x = strtoull(s, NULL, 10);
    if (errno == ERANGE) {
        fprintf(stderr, "%s: %s: '%s' is out of range (at most %" PRIu64 ")\n", who, opt, s, UINT64_MAX);
        return -1;
    }
    *v = (uint64_t)x;
    return 0;
}

/* A file or bundled:NAME, whole. Returns an exit status. */
static int read_input(const char *who, const char *opt, const char *arg, size_t max, uint8_t **out,
                      size_t *len)
{
    *out = NULL;
    *len = 0;
    if (strncmp(arg, BUNDLED_PREFIX, strlen(BUNDLED_PREFIX)) == 0) {
        const bundled_image_t *b = bundled_find(arg + strlen(BUNDLED_PREFIX));
        if (!b) {
            fprintf(stderr, "%s: %s: no bundled image '%s'\n", who, opt, arg + strlen(BUNDLED_PREFIX));
            return FWEMU_EXIT_USAGE;
        }
        *out = malloc(b->size ? b->size : 1);
        if (!*out) {
            fprintf(stderr, "%s: out of memory\n", who);
            return FWEMU_EXIT_INTERNAL;
        }
        memcpy(*out, b->data, b->size);
        *len = b->size;
        return FWEMU_EXIT_OK;
    }
    char err[512];
    int rc = image_read_file(arg, max, out, len, err, sizeof err);
    if (rc == IMAGE_OK)
        return FWEMU_EXIT_OK;
    fprintf(stderr, "%s: %s: %s\n", who, opt, err);
    return rc == IMAGE_ERR_NOMEM ? FWEMU_EXIT_INTERNAL : FWEMU_EXIT_USAGE;
}

/* --key FILE, "bundled:dev", or NULL = the bundled dev key. */
static int load_key(const char *who, const char *path, mf_key_t **key, const char **name)
{
    char err[512];
    int rc;
    if (!path || !strcmp(path, "bundled:dev")) {
        size_t len = 0;
        const uint8_t *pem = bundled_dev_key(&len);
        rc = mf_key_parse(pem, len, BUNDLED_KEY_NAME, key, err, sizeof err);
        *name = BUNDLED_KEY_NAME;
    } else {
        rc = mf_key_load(path, key, err, sizeof err);
        *name = path;
    }
    if (rc) {
        fprintf(stderr, "%s: %s\n", who, err);
        return rc == MF_ERR_NOMEM ? FWEMU_EXIT_INTERNAL : FWEMU_EXIT_USAGE;
    }
    return FWEMU_EXIT_OK;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = 0;
}

/* An id: a UUID when it has 16 bytes, else hex (scenarios make wrong ones). */
static void id_text(char out[160], const uint8_t *p, size_t n)
{
    if (n == 16)
        mf_format_uuid(p, out);
    else
        hex(out, p, n);
}

static json_t *manifest_json(const manifest_t *m)
{
    char buf[300];
    json_t *o = json_object();
    json_object_set_new(o, "manifest-version", json_integer(m->manifest_version));
    id_text(buf, m->vendor_id, m->vendor_id_len);
    json_object_set_new(o, "vendor-id", json_string(buf));
    id_text(buf, m->class_id, m->class_id_len);
    json_object_set_new(o, "class-id", json_string(buf));
    json_object_set_new(o, "update-priority", json_integer(m->update_priority));
    json_object_set_new(o, "component-name", json_string(m->component));
    json_object_set_new(o, "payload-version", json_string(m->version));
    hex(buf, m->payload_digest, m->payload_digest_len);
    json_object_set_new(o, "payload-digest", json_string(buf));
    /* JSON integers are int64: sizes above that (only in hand-made manifests) become strings. */
    if (m->payload_size <= INT64_MAX)
        json_object_set_new(o, "payload-size", json_integer((json_int_t)m->payload_size));
    else {
        snprintf(buf, sizeof buf, "%" PRIu64, m->payload_size);
        json_object_set_new(o, "payload-size", json_string(buf));
    }
    json_object_set_new(o, "payload-uri", json_string(m->uri));
    json_object_set_new(o, "payload-format", json_string(mf_format_name(m->format)));
    json_object_set_new(o, "payload-format-value", json_integer(m->format));
    hex(buf, m->installed_signature, m->installed_signature_len);
    json_object_set_new(o, "installed-signature", json_string(buf));
    if (m->has_metadata) {
        json_t *md = json_object();
        if (m->installed_size <= INT64_MAX)
            json_object_set_new(md, "installed-size", json_integer((json_int_t)m->installed_size));
        else {
            snprintf(buf, sizeof buf, "%" PRIu64, m->installed_size);
            json_object_set_new(md, "installed-size", json_string(buf));
        }
        hex(buf, m->installed_digest, m->installed_digest_len);
        json_object_set_new(md, "installed-digest", json_string(buf));
        if (m->has_precursor) {
            hex(buf, m->precursor_digest, m->precursor_digest_len);
            json_object_set_new(md, "precursor-digest", json_string(buf));
        } else {
            json_object_set_new(md, "precursor-digest", json_null());
        }
        json_object_set_new(o, "payload-metadata", md);
    } else {
        json_object_set_new(o, "payload-metadata", json_null());
    }
    hex(buf, m->signature, m->signature_len);
    json_object_set_new(o, "signature", json_string(buf));
    return o;
}

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) {
        printf("%s\n", s);
        free(s);
    }
}

static void print_manifest(const manifest_t *m)
{
    char buf[300];
    printf("manifest-version:    %d\n", m->manifest_version);
    id_text(buf, m->vendor_id, m->vendor_id_len);
    printf("vendor-id:           %s%s\n", buf, m->vendor_id_len == 16 ? "" : " (not 16 bytes)");
    id_text(buf, m->class_id, m->class_id_len);
    printf("class-id:            %s%s\n", buf, m->class_id_len == 16 ? "" : " (not 16 bytes)");
    printf("update-priority:     %" PRId64 "\n", m->update_priority);
    printf("component-name:      %s\n", m->component);
    printf("payload-version:     %s\n", m->version);
    hex(buf, m->payload_digest, m->payload_digest_len);
    printf("payload-digest:      %s\n", m->payload_digest_len ? buf : "(empty)");
    printf("payload-size:        %" PRIu64 "\n", m->payload_size);
    printf("payload-uri:         %s\n", m->uri);
    printf("payload-format:      %s (%" PRIu32 ")\n", mf_format_name(m->format), m->format);
    hex(buf, m->installed_signature, m->installed_signature_len);
    printf("installed-signature: %s\n", m->installed_signature_len ? buf : "(empty)");
    if (m->has_metadata) {
        printf("payload-metadata:\n");
        printf("  installed-size:    %" PRIu64 "\n", m->installed_size);
        hex(buf, m->installed_digest, m->installed_digest_len);
        printf("  installed-digest:  %s\n", m->installed_digest_len ? buf : "(empty)");
        hex(buf, m->precursor_digest, m->precursor_digest_len);
        printf("  precursor-digest:  %s\n", m->has_precursor ? buf : "(absent)");
    } else {
        printf("payload-metadata:    (absent)\n");
    }
    hex(buf, m->signature, m->signature_len);
    printf("signature-value:     %s (%zu bytes)\n", m->signature_len ? buf : "(empty)", m->signature_len);
}

/* ---- manifest create --------------------------------------------------------------------- */

enum {
    OPT_PAYLOAD = 256, OPT_VERSION, OPT_KEY, OPT_PRECURSOR, OPT_VENDOR_ID, OPT_VENDOR_DOMAIN,
    OPT_CLASS_ID, OPT_MODEL_NAME, OPT_URI, OPT_JSON, OPT_NO_VERIFY, OPT_PUBLIC, OPT_C,
};

static int manifest_create(int argc, char **argv)
{
    static const char who[] = "fwemu manifest create";
    static const struct option opts[] = {
        { "payload", required_argument, NULL, OPT_PAYLOAD },
        { "version", required_argument, NULL, OPT_VERSION },
        { "output", required_argument, NULL, 'o' },
        { "key", required_argument, NULL, OPT_KEY },
        { "precursor", required_argument, NULL, OPT_PRECURSOR },
        { "vendor-id", required_argument, NULL, OPT_VENDOR_ID },
        { "vendor-domain", required_argument, NULL, OPT_VENDOR_DOMAIN },
        { "class-id", required_argument, NULL, OPT_CLASS_ID },
        { "model-name", required_argument, NULL, OPT_MODEL_NAME },
        { "uri", required_argument, NULL, OPT_URI },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *payload_path = NULL, *output = NULL, *key_path = NULL, *precursor_path = NULL;
    const char *vendor_id = NULL, *vendor_domain = NULL, *class_id = NULL, *model = NULL;
    const char *uri = NULL;
    uint64_t version = 0;
    bool have_version = false, json = false;

    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_PAYLOAD: payload_path = optarg; break;
        case 'o': output = optarg; break;
        case OPT_KEY: key_path = optarg; break;
        case OPT_PRECURSOR: precursor_path = optarg; break;
        case OPT_VENDOR_ID: vendor_id = optarg; break;
        case OPT_VENDOR_DOMAIN: vendor_domain = optarg; break;
        case OPT_CLASS_ID: class_id = optarg; break;
        case OPT_MODEL_NAME: model = optarg; break;
        case OPT_URI: uri = optarg; break;
        case OPT_JSON: json = true; break;
        case OPT_VERSION:
            if (parse_u64(who, "--version", optarg, &version))
                return FWEMU_EXIT_USAGE;
            have_version = true;
            break;
        case 'h':
            fputs(manifest_usage, stdout);
            return FWEMU_EXIT_OK;
        default:
            return opt_error(who, "fwemu manifest --help", c, argv);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see 'fwemu manifest --help')\n", who, argv[optind]);
        return FWEMU_EXIT_USAGE;
    }
    const char *missing = !payload_path ? "--payload" : !have_version ? "--version"
                          : !output ? "-o/--output" : NULL;
    if (missing) {
        fprintf(stderr, "%s: missing %s (see 'fwemu manifest --help')\n", who, missing);
        return FWEMU_EXIT_USAGE;
    }
    if (vendor_id && vendor_domain) {
        fprintf(stderr, "%s: --vendor-id and --vendor-domain exclude each other\n", who);
        return FWEMU_EXIT_USAGE;
    }
    if (class_id && model) {
        fprintf(stderr, "%s: --class-id and --model-name exclude each other\n", who);
        return FWEMU_EXIT_USAGE;
    }
    manifest_t m;
    mf_init(&m);
    if (vendor_id && mf_parse_uuid(vendor_id, m.vendor_id)) {
        fprintf(stderr, "%s: --vendor-id: '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n",
                who, vendor_id);
        return FWEMU_EXIT_USAGE;
    }
    if (vendor_domain && (!vendor_domain[0] || mf_uuid5(mf_namespace_dns, vendor_domain, m.vendor_id))) {
        fprintf(stderr, "%s: --vendor-domain: empty domain\n", who);
        return FWEMU_EXIT_USAGE;
    }
    if (class_id && mf_parse_uuid(class_id, m.class_id)) {
        fprintf(stderr, "%s: --class-id: '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n",
                who, class_id);
        return FWEMU_EXIT_USAGE;
    }
    if (model && (!model[0] || mf_uuid5(m.vendor_id, model, m.class_id))) {
        fprintf(stderr, "%s: --model-name: empty name\n", who);
        return FWEMU_EXIT_USAGE;
    }
    if (uri) {
        size_t n = strlen(uri);
        if (n < 1 || n > 63) {
            fprintf(stderr, "%s: --uri: '%s' is %zu characters; the device takes 1..63\n", who, uri, n);
            return FWEMU_EXIT_USAGE;
        }
        memcpy(m.uri, uri, n + 1);
    }

    uint8_t *payload = NULL, *precursor = NULL, *der = NULL;
    size_t payload_len = 0, precursor_len = 0, der_len = 0;
    mf_key_t *key = NULL;
    const char *key_name = NULL;
    char err[512];
    int rc = read_input(who, "--payload", payload_path, IMAGE_MAX_FILE, &payload, &payload_len);
    if (!rc && precursor_path)
        rc = read_input(who, "--precursor", precursor_path, IMAGE_MAX_FILE, &precursor, &precursor_len);
    if (!rc)
        rc = load_key(who, key_path, &key, &key_name);
    if (rc)
        goto done;
    if (!mf_key_has_private(key)) {
        fprintf(stderr, "%s: --key: %s is a public key; signing needs the private key\n", who, key_name);
        rc = FWEMU_EXIT_USAGE;
        goto done;
    }
    int mrc = mf_describe_payload(&m, version, payload, payload_len, precursor,
                                  precursor ? precursor_len : 0, err, sizeof err);
    if (mrc) {
        fprintf(stderr, "%s: %s: %s\n", who, payload_path, err);
        rc = exit_for(mrc);
        goto done;
    }
    mrc = mf_encode(&m, key, &der, &der_len, err, sizeof err);
    if (mrc) {
        fprintf(stderr, "%s: %s\n", who, err);
        rc = FWEMU_EXIT_INTERNAL;   /* the inputs were checked: our bug or no memory */
        goto done;
    }
    if (fileio_write_atomic(output, der, der_len, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", who, err);
        rc = FWEMU_EXIT_USAGE;
        goto done;
    }
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(output));
        json_object_set_new(o, "size", json_integer((json_int_t)der_len));
        json_object_set_new(o, "key", json_string(key_name));
        json_object_set_new(o, "manifest", manifest_json(&m));
        print_json(o);
        json_decref(o);
    } else {
        char dig[65];
        hex(dig, m.payload_digest, 32);
        printf("wrote %s (%zu bytes): v%s %s, payload %" PRIu64 " B sha256 %s", output, der_len,
               m.version, mf_format_name(m.format), m.payload_size, dig);
        if (m.has_metadata)
            printf(", installs %" PRIu64 " B", m.installed_size);
        printf(", signed with %s\n", key_name);
    }
    rc = FWEMU_EXIT_OK;
done:
    free(payload);
    free(precursor);
    free(der);
    mf_key_free(key);
    return rc;
}

/* ---- manifest show ----------------------------------------------------------------------- */

static int manifest_show(int argc, char **argv)
{
    static const char who[] = "fwemu manifest show";
    static const struct option opts[] = {
        { "key", required_argument, NULL, OPT_KEY },
        { "no-verify", no_argument, NULL, OPT_NO_VERIFY },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *key_path = NULL;
    bool json = false, no_verify = false;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_KEY: key_path = optarg; break;
        case OPT_NO_VERIFY: no_verify = true; break;
        case OPT_JSON: json = true; break;
        case 'h':
            fputs(manifest_usage, stdout);
            return FWEMU_EXIT_OK;
        default:
            return opt_error(who, "fwemu manifest --help", c, argv);
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: missing FILE (see 'fwemu manifest --help')\n", who);
        return FWEMU_EXIT_USAGE;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "%s: unexpected argument '%s' (see 'fwemu manifest --help')\n", who, argv[optind + 1]);
        return FWEMU_EXIT_USAGE;
    }
    if (key_path && no_verify) {
        fprintf(stderr, "%s: --key and --no-verify exclude each other\n", who);
        return FWEMU_EXIT_USAGE;
    }
    const char *path = argv[optind];
    uint8_t *der = NULL;
    size_t der_len = 0;
    mf_key_t *key = NULL;
    const char *key_name = NULL;
    char err[512];
    manifest_t m;
    int rc = read_input(who, "FILE", path, MANIFEST_MAX_FILE, &der, &der_len);
    if (!rc && !no_verify)
        rc = load_key(who, key_path, &key, &key_name);
    if (rc)
        goto done;
    int mrc = mf_decode(der, der_len, &m, err, sizeof err);
    if (mrc) {
        fprintf(stderr, "%s: %s: %s\n", who, path, err);
        rc = exit_for(mrc);
        goto done;
    }
    char cerr[512] = "";
    int crc = mf_check(&m, cerr, sizeof cerr);
    int vrc = MF_OK;
    char verr[512] = "";
    if (!crc && !no_verify)
        vrc = mf_verify(der, der_len, key, verr, sizeof verr);
    uint8_t pt[65];
    char pthex[131] = "";
    if (key && mf_key_public_point(key, pt) == MF_OK)
        hex(pthex, pt, 65);

    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(path));
        json_object_set_new(o, "size", json_integer((json_int_t)der_len));
        json_object_set_new(o, "manifest", manifest_json(&m));
        json_object_set_new(o, "check", crc ? json_string(cerr) : json_null());
        if (no_verify || crc) {
            json_object_set_new(o, "signature", json_string("not checked"));
        } else {
            json_object_set_new(o, "signature", json_string(vrc == MF_OK ? "valid" : "INVALID"));
            json_object_set_new(o, "key", json_string(key_name));
            json_object_set_new(o, "key-public", json_string(pthex));
        }
        print_json(o);
        json_decref(o);
    } else {
        printf("file:                %s (%zu bytes)\n", path, der_len);
        print_manifest(&m);
        if (crc)
            ;
        else if (no_verify)
            printf("signature: not checked (--no-verify)\n");
        else if (vrc == MF_OK)
            printf("signature: valid (key %s, public %.16s...)\n", key_name, pthex);
        else if (vrc == MF_ERR_SIGNATURE)
            printf("signature: INVALID (key %s, public %.16s...)\n", key_name, pthex);
    }
    if (crc) {
        fprintf(stderr, "%s: %s: %s\n", who, path, cerr);
        rc = exit_for(crc);
    } else if (vrc) {
        if (vrc != MF_ERR_SIGNATURE)
            fprintf(stderr, "%s: %s: %s\n", who, path, verr);
        rc = exit_for(vrc);
    } else {
        rc = FWEMU_EXIT_OK;
    }
done:
    free(der);
    mf_key_free(key);
    return rc;
}

int cmd_manifest(int argc, char **argv)
{
    if (argc < 2) {
        fputs(manifest_usage, stderr);
        return FWEMU_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
        fputs(manifest_usage, stdout);
        return FWEMU_EXIT_OK;
    }
    if (!strcmp(sub, "create"))
        return manifest_create(argc - 1, argv + 1);
    if (!strcmp(sub, "show"))
        return manifest_show(argc - 1, argv + 1);
    fprintf(stderr, "fwemu manifest: unknown sub-command '%s' (create, show; see 'fwemu manifest --help')\n", sub);
    return FWEMU_EXIT_USAGE;
}

/* ---- keys -------------------------------------------------------------------------------- */

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
        fprintf(stderr, "%s: %s: cannot create: %s\n", who, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        if (created)
            unlink(path);
        return FWEMU_EXIT_USAGE;
    }
    close(fd);
    if (fileio_write_atomic(path, (const uint8_t *)pem, strlen(pem), err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", who, err);
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
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_PUBLIC: pub = optarg; break;
        case 'h':
            fputs(keys_usage, stdout);
            return FWEMU_EXIT_OK;
        default:
            return opt_error(who, "fwemu keys --help", c, argv);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see 'fwemu keys --help')\n", who, argv[optind]);
        return FWEMU_EXIT_USAGE;
    }
    if (!output) {
        fprintf(stderr, "%s: missing -o/--output (see 'fwemu keys --help')\n", who);
        return FWEMU_EXIT_USAGE;
    }
    if (pub && !strcmp(pub, output)) {
        fprintf(stderr, "%s: --public and -o name the same file\n", who);
        return FWEMU_EXIT_USAGE;
    }
    char err[512];
    mf_key_t *key = NULL;
    char *priv_pem = NULL, *pub_pem = NULL;
    int rc = mf_key_generate(&key, err, sizeof err);
    if (rc) {
        fprintf(stderr, "%s: %s\n", who, err);
        return FWEMU_EXIT_INTERNAL;
    }
    if (mf_key_pem(key, true, &priv_pem) || mf_key_pem(key, false, &pub_pem)) {
        fprintf(stderr, "%s: cannot write the key as PEM\n", who);
        rc = FWEMU_EXIT_INTERNAL;
        goto done;
    }
    rc = write_private(who, output, priv_pem);
    if (rc)
        goto done;
    if (pub && fileio_write_atomic(pub, (const uint8_t *)pub_pem, strlen(pub_pem), err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", who, err);
        rc = FWEMU_EXIT_USAGE;
        goto done;
    }
    uint8_t pt[65];
    char pthex[131] = "";
    if (mf_key_public_point(key, pt) == MF_OK)
        hex(pthex, pt, 65);
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
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_C: cname = optarg; break;
        case 'h':
            fputs(keys_usage, stdout);
            return FWEMU_EXIT_OK;
        default:
            return opt_error(who, "fwemu keys --help", c, argv);
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: missing KEY.pem (see 'fwemu keys --help')\n", who);
        return FWEMU_EXIT_USAGE;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "%s: unexpected argument '%s' (see 'fwemu keys --help')\n", who, argv[optind + 1]);
        return FWEMU_EXIT_USAGE;
    }
    if (cname && !c_identifier(cname)) {
        fprintf(stderr, "%s: --c: '%s' is not a C identifier\n", who, cname);
        return FWEMU_EXIT_USAGE;
    }
    mf_key_t *key = NULL;
    const char *name = NULL;
    int rc = load_key(who, argv[optind], &key, &name);
    if (rc)
        return rc;
    uint8_t pt[65];
    if (mf_key_public_point(key, pt)) {
        fprintf(stderr, "%s: %s: cannot encode the public point\n", who, name);
        mf_key_free(key);
        return FWEMU_EXIT_INTERNAL;
    }
    if (cname) {
        printf("/* P-256 public key (uncompressed 04||X||Y) of %s */\n", name);
        printf("const uint8_t %s[65] = {", cname);
        for (int i = 0; i < 65; i++)
            printf("%s0x%02x%s", i % 12 == 0 ? "\n    " : " ", pt[i], i < 64 ? "," : "");
        printf("\n};\n");
    } else {
        char pthex[131];
        hex(pthex, pt, 65);
        printf("%s\n", pthex);
    }
    mf_key_free(key);
    return FWEMU_EXIT_OK;
}

int cmd_keys(int argc, char **argv)
{
    if (argc < 2) {
        fputs(keys_usage, stderr);
        return FWEMU_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
        fputs(keys_usage, stdout);
        return FWEMU_EXIT_OK;
    }
    if (!strcmp(sub, "create"))
        return keys_create(argc - 1, argv + 1);
    if (!strcmp(sub, "show"))
        return keys_show(argc - 1, argv + 1);
    fprintf(stderr, "fwemu keys: unknown sub-command '%s' (create, show; see 'fwemu keys --help')\n", sub);
    return FWEMU_EXIT_USAGE;
}
