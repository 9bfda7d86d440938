/* fwemu manifest create|show: signed update manifests (codec/manifest.h). */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "codec/image.h"
#include "codec/manifest.h"
#include "fileio.h"

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

static void usage(FILE *f) { fputs(manifest_usage, f); }

static int exit_for(int mf_rc)
{
    switch (mf_rc) {
    case MF_OK: return FWEMU_EXIT_OK;
    case MF_ERR_SIGNATURE: return FWEMU_EXIT_FAIL;
    case MF_ERR_NOMEM: return FWEMU_EXIT_INTERNAL;
    default: return FWEMU_EXIT_USAGE;
    }
}

/* An id: a UUID when it has 16 bytes, else hex (scenarios make wrong ones). */
static void id_text(char out[160], const uint8_t *p, size_t n)
{
    if (n == 16)
        mf_format_uuid(p, out);
    else
        cli_hex(out, p, n);
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
    cli_hex(buf, m->payload_digest, m->payload_digest_len);
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
    cli_hex(buf, m->installed_signature, m->installed_signature_len);
    json_object_set_new(o, "installed-signature", json_string(buf));
    if (m->has_metadata) {
        json_t *md = json_object();
        if (m->installed_size <= INT64_MAX)
            json_object_set_new(md, "installed-size", json_integer((json_int_t)m->installed_size));
        else {
            snprintf(buf, sizeof buf, "%" PRIu64, m->installed_size);
            json_object_set_new(md, "installed-size", json_string(buf));
        }
        cli_hex(buf, m->installed_digest, m->installed_digest_len);
        json_object_set_new(md, "installed-digest", json_string(buf));
        if (m->has_precursor) {
            cli_hex(buf, m->precursor_digest, m->precursor_digest_len);
            json_object_set_new(md, "precursor-digest", json_string(buf));
        } else {
            json_object_set_new(md, "precursor-digest", json_null());
        }
        json_object_set_new(o, "payload-metadata", md);
    } else {
        json_object_set_new(o, "payload-metadata", json_null());
    }
    cli_hex(buf, m->signature, m->signature_len);
    json_object_set_new(o, "signature", json_string(buf));
    return o;
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
    cli_hex(buf, m->payload_digest, m->payload_digest_len);
    printf("payload-digest:      %s\n", m->payload_digest_len ? buf : "(empty)");
    printf("payload-size:        %" PRIu64 "\n", m->payload_size);
    printf("payload-uri:         %s\n", m->uri);
    printf("payload-format:      %s (%" PRIu32 ")\n", mf_format_name(m->format), m->format);
    cli_hex(buf, m->installed_signature, m->installed_signature_len);
    printf("installed-signature: %s\n", m->installed_signature_len ? buf : "(empty)");
    if (m->has_metadata) {
        printf("payload-metadata:\n");
        printf("  installed-size:    %" PRIu64 "\n", m->installed_size);
        cli_hex(buf, m->installed_digest, m->installed_digest_len);
        printf("  installed-digest:  %s\n", m->installed_digest_len ? buf : "(empty)");
        cli_hex(buf, m->precursor_digest, m->precursor_digest_len);
        printf("  precursor-digest:  %s\n", m->has_precursor ? buf : "(absent)");
    } else {
        printf("payload-metadata:    (absent)\n");
    }
    cli_hex(buf, m->signature, m->signature_len);
    printf("signature-value:     %s (%zu bytes)\n", m->signature_len ? buf : "(empty)", m->signature_len);
}

/* ---- manifest create --------------------------------------------------------------------- */

enum {
    OPT_PAYLOAD = 256, OPT_VERSION, OPT_KEY, OPT_PRECURSOR, OPT_VENDOR_ID, OPT_VENDOR_DOMAIN,
    OPT_CLASS_ID, OPT_MODEL_NAME, OPT_URI, OPT_JSON, OPT_NO_VERIFY,
};

typedef struct create_args {
    const char *payload, *output, *key, *precursor;
    const char *vendor_id, *vendor_domain, *class_id, *model, *uri;
    uint64_t version;
    bool have_version, json;
} create_args_t;

/* Options into a. Returns an exit status, -1 after --help. */
static int create_parse(int argc, char **argv, create_args_t *a)
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
    memset(a, 0, sizeof *a);
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_PAYLOAD: a->payload = optarg; break;
        case 'o': a->output = optarg; break;
        case OPT_KEY: a->key = optarg; break;
        case OPT_PRECURSOR: a->precursor = optarg; break;
        case OPT_VENDOR_ID: a->vendor_id = optarg; break;
        case OPT_VENDOR_DOMAIN: a->vendor_domain = optarg; break;
        case OPT_CLASS_ID: a->class_id = optarg; break;
        case OPT_MODEL_NAME: a->model = optarg; break;
        case OPT_URI: a->uri = optarg; break;
        case OPT_JSON: a->json = true; break;
        case OPT_VERSION:
            if (cli_number(who, "--version", optarg, &a->version))
                return FWEMU_EXIT_USAGE;
            a->have_version = true;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            return cli_opt_error(who, "manifest", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage(who, "manifest", "unexpected argument '%s'", argv[optind]);
    const char *missing = !a->payload ? "--payload" : !a->have_version ? "--version"
                          : !a->output ? "-o/--output" : NULL;
    if (missing)
        return cli_usage(who, "manifest", "missing %s", missing);
    if (a->vendor_id && a->vendor_domain)
        return cli_fail(FWEMU_EXIT_USAGE, who, "--vendor-id and --vendor-domain exclude each other");
    if (a->class_id && a->model)
        return cli_fail(FWEMU_EXIT_USAGE, who, "--class-id and --model-name exclude each other");
    return FWEMU_EXIT_OK;
}

/* The ids and the uri of the options into m (after mf_init). Returns an exit status. */
static int create_ids(const create_args_t *a, manifest_t *m)
{
    static const char who[] = "fwemu manifest create";
    if (a->vendor_id && mf_parse_uuid(a->vendor_id, m->vendor_id))
        return cli_fail(FWEMU_EXIT_USAGE, who,
                        "--vendor-id: '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", a->vendor_id);
    if (a->vendor_domain && (!a->vendor_domain[0] || mf_uuid5(mf_namespace_dns, a->vendor_domain, m->vendor_id)))
        return cli_fail(FWEMU_EXIT_USAGE, who, "--vendor-domain: empty domain");
    if (a->class_id && mf_parse_uuid(a->class_id, m->class_id))
        return cli_fail(FWEMU_EXIT_USAGE, who,
                        "--class-id: '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", a->class_id);
    if (a->model && (!a->model[0] || mf_uuid5(m->vendor_id, a->model, m->class_id)))
        return cli_fail(FWEMU_EXIT_USAGE, who, "--model-name: empty name");
    if (a->uri) {
        size_t n = strlen(a->uri);
        if (n < 1 || n > 63)
            return cli_fail(FWEMU_EXIT_USAGE, who, "--uri: '%s' is %zu characters; the device takes 1..63",
                            a->uri, n);
        memcpy(m->uri, a->uri, n + 1);
    }
    return FWEMU_EXIT_OK;
}

static void create_summary(const create_args_t *a, const manifest_t *m, size_t der_len, const char *key_name)
{
    if (a->json) {
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(a->output));
        json_object_set_new(o, "size", json_integer((json_int_t)der_len));
        json_object_set_new(o, "key", json_string(key_name));
        json_object_set_new(o, "manifest", manifest_json(m));
        cli_print_json(o);
        return;
    }
    char dig[65];
    cli_hex(dig, m->payload_digest, 32);
    printf("wrote %s (%zu bytes): v%s %s, payload %" PRIu64 " B sha256 %s", a->output, der_len,
           m->version, mf_format_name(m->format), m->payload_size, dig);
    if (m->has_metadata)
        printf(", installs %" PRIu64 " B", m->installed_size);
    printf(", signed with %s\n", key_name);
}

static int manifest_create(int argc, char **argv)
{
    static const char who[] = "fwemu manifest create";
    create_args_t a;
    int rc = create_parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? FWEMU_EXIT_OK : rc;
    manifest_t m;
    mf_init(&m);
    if ((rc = create_ids(&a, &m)))
        return rc;

    uint8_t *payload = NULL, *precursor = NULL, *der = NULL;
    size_t payload_len = 0, precursor_len = 0, der_len = 0;
    mf_key_t *key = NULL;
    const char *key_name = NULL;
    char err[512];
    rc = cli_read_input(who, "--payload", a.payload, IMAGE_MAX_FILE, &payload, &payload_len);
    if (!rc && a.precursor)
        rc = cli_read_input(who, "--precursor", a.precursor, IMAGE_MAX_FILE, &precursor, &precursor_len);
    if (!rc)
        rc = cli_load_key(who, a.key, &key, &key_name);
    if (rc)
        goto done;
    if (!mf_key_has_private(key)) {
        rc = cli_fail(FWEMU_EXIT_USAGE, who, "--key: %s is a public key; signing needs the private key", key_name);
        goto done;
    }
    int mrc = mf_describe_payload(&m, a.version, payload, payload_len, precursor,
                                  precursor ? precursor_len : 0, err, sizeof err);
    if (mrc) {
        rc = cli_fail(exit_for(mrc), who, "%s: %s", a.payload, err);
        goto done;
    }
    /* the inputs were checked: a failure here is our bug or no memory */
    if ((mrc = mf_encode(&m, key, &der, &der_len, err, sizeof err))) {
        rc = cli_fail(FWEMU_EXIT_INTERNAL, who, "%s", err);
        goto done;
    }
    if (fileio_write_atomic(a.output, der, der_len, err, sizeof err)) {
        rc = cli_fail(FWEMU_EXIT_USAGE, who, "%s", err);
        goto done;
    }
    create_summary(&a, &m, der_len, key_name);
    rc = FWEMU_EXIT_OK;
done:
    free(payload);
    free(precursor);
    free(der);
    mf_key_free(key);
    return rc;
}

/* ---- manifest show ----------------------------------------------------------------------- */

typedef struct shown {
    const char *path, *key_name;
    size_t size;
    bool no_verify;
    int crc, vrc;                 /* mf_check, mf_verify */
    char cerr[512], verr[512];
    char pthex[131];              /* the key's public point */
} shown_t;

static void show_print(const manifest_t *m, const shown_t *r, bool json)
{
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(r->path));
        json_object_set_new(o, "size", json_integer((json_int_t)r->size));
        json_object_set_new(o, "manifest", manifest_json(m));
        json_object_set_new(o, "check", r->crc ? json_string(r->cerr) : json_null());
        if (r->no_verify || r->crc) {
            json_object_set_new(o, "signature", json_string("not checked"));
        } else {
            json_object_set_new(o, "signature", json_string(r->vrc == MF_OK ? "valid" : "INVALID"));
            json_object_set_new(o, "key", json_string(r->key_name));
            json_object_set_new(o, "key-public", json_string(r->pthex));
        }
        cli_print_json(o);
        return;
    }
    printf("file:                %s (%zu bytes)\n", r->path, r->size);
    print_manifest(m);
    if (r->crc)
        ;
    else if (r->no_verify)
        printf("signature: not checked (--no-verify)\n");
    else if (r->vrc == MF_OK)
        printf("signature: valid (key %s, public %.16s...)\n", r->key_name, r->pthex);
    else if (r->vrc == MF_ERR_SIGNATURE)
        printf("signature: INVALID (key %s, public %.16s...)\n", r->key_name, r->pthex);
}

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
    bool json = false;
    shown_t r;
    memset(&r, 0, sizeof r);
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_KEY: key_path = optarg; break;
        case OPT_NO_VERIFY: r.no_verify = true; break;
        case OPT_JSON: json = true; break;
        case 'h':
            usage(stdout);
            return FWEMU_EXIT_OK;
        default:
            return cli_opt_error(who, "manifest", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage(who, "manifest", "missing FILE");
    if (argc - optind > 1)
        return cli_usage(who, "manifest", "unexpected argument '%s'", argv[optind + 1]);
    if (key_path && r.no_verify)
        return cli_fail(FWEMU_EXIT_USAGE, who, "--key and --no-verify exclude each other");
    r.path = argv[optind];
    uint8_t *der = NULL;
    mf_key_t *key = NULL;
    char err[512];
    manifest_t m;
    int rc = cli_read_input(who, NULL, r.path, MANIFEST_MAX_FILE, &der, &r.size);
    if (!rc && !r.no_verify)
        rc = cli_load_key(who, key_path, &key, &r.key_name);
    if (rc)
        goto done;
    int mrc = mf_decode(der, r.size, &m, err, sizeof err);
    if (mrc) {
        rc = cli_fail(exit_for(mrc), who, "%s: %s", r.path, err);
        goto done;
    }
    r.crc = mf_check(&m, r.cerr, sizeof r.cerr);
    if (!r.crc && !r.no_verify)
        r.vrc = mf_verify(der, r.size, key, r.verr, sizeof r.verr);
    uint8_t pt[65];
    if (key && mf_key_public_point(key, pt) == MF_OK)
        cli_hex(r.pthex, pt, 65);
    show_print(&m, &r, json);
    if (r.crc)
        rc = cli_fail(exit_for(r.crc), who, "%s: %s", r.path, r.cerr);
    else if (r.vrc && r.vrc != MF_ERR_SIGNATURE)
        rc = cli_fail(exit_for(r.vrc), who, "%s: %s", r.path, r.verr);
    else
        rc = exit_for(r.vrc);
done:
    free(der);
    mf_key_free(key);
    return rc;
}

int cmd_manifest(int argc, char **argv)
{
    static const cli_sub_t subs[] = { { "create", manifest_create }, { "show", manifest_show } };
    return cli_dispatch("manifest", usage, subs, sizeof subs / sizeof subs[0], argc, argv);
}
