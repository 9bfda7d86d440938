/* The update client: see update_client.h and docs/update-flow.md. */
#include "update_client.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "delta_patch.h"
#include "flash_k64f.h"
#include "image.h"
#include "k64f.h"
#include "layout.h"
#include "manifest.h"
#include "mbed_header.h"
#include "mbedtls/sha256.h"
#include "netdev.h"
#include "platform.h"
#include "uart.h"
#include "update_default_resources.h"
#include "wdog.h"

#define UC_CHUNK 1024u                /* bytes per GET */
#define UC_REQUEST_TIMEOUT_MS 2000u   /* a GET/POST without DONE by then is aborted */
#define UC_RETRIES 8u                 /* per request, after link drops / timeouts */
#define UC_BACKOFF_FIRST_MS 100u      /* doubling up to UC_BACKOFF_MAX_MS */
#define UC_BACKOFF_MAX_MS 1600u
#define UC_RECHECK_MS 5000u           /* after a failure: look at NOTIFY again this much later */

#define SCB_AIRCR REG32(0xE000ED0Cu)
#define SCB_AIRCR_SYSRESETREQ (0x05FA0000u | (1u << 2))

static const char RESULT_URI[] = "result";
static const char MANIFEST_URI[] = "manifest";

typedef enum uc_outcome {
    UC_DONE = 0,       /* candidate written (we reset before returning) */
    UC_REJECTED,       /* reason in uc.reason */
    UC_FAILED,         /* "link", "timeout", "flash": try again later */
} uc_outcome_t;

static struct {
    bool enabled;
    bool ready_shown;
    uint32_t post_at;        /* app_millis() before which a pending message is not re-sent */
    bool blocked;            /* after a rejection: wait for a new notification */
    uint32_t retry_at;       /* app_millis() before which NOTIFY is not acted on */
    uint64_t fallback_version;
    const char *reason;
} uc;

/* Big buffers: static (.bss), see README.md "Update client" for the RAM budget. */
static uint8_t manifest_buf[MANIFEST_MAX_SIZE];
static uint8_t net_buf[UC_CHUNK];
static char uri_buf[MANIFEST_URI_MAX + 1];
static delta_patch_t patcher;

/* ---- console and result messages ------------------------------------------------------------- */
static void line(const char *a, const char *b)
{
    uart_puts("[UC] ");
    uart_puts(a);
    if (b)
        uart_puts(b);
    uart_putc('\n');
}

static void line_u64(const char *a, uint64_t v, const char *b)
{
    uart_puts("[UC] ");
    uart_puts(a);
    uart_put_u64(v);
    uart_puts(b);
    uart_putc('\n');
}

static char *append(char *p, char *end, const char *s)
{
    while (*s && p < end)
        *p++ = *s++;
    return p;
}

static char *append_u64(char *p, char *end, uint64_t v)
{
    char tmp[21];
    int i = (int)sizeof tmp;
    tmp[--i] = '\0';
    do {
        tmp[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    return append(p, end, &tmp[i]);
}

/* The `result` message not yet delivered (one slot: a newer message replaces an undelivered
 * one). Messages are queued and sent when the link is up, so that "failed link" reaches the server
 * once the link is back; no update starts while one is pending (the server sees them in order). */
static char pending_msg[48];
static uint32_t pending_len;

static void queue_result(const char *word, const char *text, uint64_t number)
{
    char *end = pending_msg + sizeof pending_msg;
    char *p = append(pending_msg, end, word);
    p = append(p, end, " ");
    p = text ? append(p, end, text) : append_u64(p, end, number);
    pending_len = (uint32_t)(p - pending_msg);
}

/* POST the pending message if there is one; true when nothing is pending any more. */
static bool flush_result(void)
{
    if (pending_len == 0)
        return true;
    if (!netdev_link_up())
        return false;
    if (netdev_post(RESULT_URI, pending_msg, pending_len, UC_REQUEST_TIMEOUT_MS) != NETDEV_OK)
        return false;
    pending_len = 0;
    return true;
}

/* ---- time ------------------------------------------------------------------------------------ */
static void sleep_ms(uint32_t ms)
{
    uint32_t start = app_millis();
    while (app_millis() - start < ms) {
        cpu_wfi();
        app_background();
    }
}

/* ---- the running image ----------------------------------------------------------------------- */
static bool active_header(mbed_hdr_v2_t *h)
{
    return mbed_hdr_v2_decode((const uint8_t *)(uintptr_t)LAYOUT_ACTIVE_HEADER_ADDR,
                              MBED_HDR_V2_SIZE, h) == MBED_HDR_OK &&
           h->firmware_size > 0 && h->firmware_size <= LAYOUT_APP_MAX_SIZE;
}

static uint64_t running_version(void)
{
    mbed_hdr_v2_t h;
    return active_header(&h) ? h.firmware_version : uc.fallback_version;
}

/* ---- network with retries -------------------------------------------------------------------- */
/* One GET with the retry policy: link drops and timeouts are retried (backoff 100 ms doubling to
 * 1.6 s, at most UC_RETRIES times); bytes that arrived before a drop count (*got > 0 returns
 * NETDEV_OK: the caller continues from the new offset). Returns NETDEV_OK, or the failure
 * (NETDEV_LINK_DOWN / NETDEV_TIMEOUT when the retries ran out, else the server's result). */
static int get_retry(const char *uri, uint32_t offset, uint8_t *buf, uint32_t len, uint32_t *got,
                     uint32_t *total)
{
    uint32_t backoff = UC_BACKOFF_FIRST_MS;
    for (uint32_t attempt = 0;; attempt++) {
        int r = netdev_get(uri, offset, buf, len, got, total, UC_REQUEST_TIMEOUT_MS);
        if (r == NETDEV_OK || (r == NETDEV_LINK_DOWN && *got > 0))
            return NETDEV_OK;
        if (r != NETDEV_LINK_DOWN && r != NETDEV_TIMEOUT && r != NETDEV_ABORTED)
            return r;
        if (attempt == UC_RETRIES)
            return r == NETDEV_TIMEOUT ? NETDEV_TIMEOUT : NETDEV_LINK_DOWN;
        line_u64("link down, retry ", attempt + 1u, "");
        sleep_ms(backoff);
        if (backoff < UC_BACKOFF_MAX_MS)
            backoff *= 2u;
    }
}

static uc_outcome_t net_failure(int r)
{
    uc.reason = r == NETDEV_TIMEOUT ? "timeout" : "link";
    return UC_FAILED;
}

static uc_outcome_t reject(const char *reason)
{
    uc.reason = reason;
    return UC_REJECTED;
}

static uc_outcome_t flash_failure(void)
{
    uc.reason = "flash";
    return UC_FAILED;
}

/* ---- candidate writer: 1 KiB staging, phrase-aligned programs -------------------------------- */
typedef struct writer {
    uint32_t addr;      /* next flash address to program (16-byte aligned) */
    uint32_t end;       /* LAYOUT_CANDIDATE_PAYLOAD_ADDR + image size: never written past */
    uint32_t staged;
    uint8_t stage[UC_CHUNK];
} writer_t;

static writer_t writer;

_Static_assert(LAYOUT_CANDIDATE_PAYLOAD_ADDR % 16 == 0, "Program Section needs 16-byte alignment");
_Static_assert(UC_CHUNK % 16 == 0, "staging keeps the alignment");

static int writer_flush(writer_t *w)
{
    if (w->staged == 0)
        return 0;
    int err = flash_k64f_program(w->addr, w->stage, w->staged);
    wdog_refresh();
    if (err)
        return err;
    w->addr += w->staged;
    w->staged = 0;
    return 0;
}

static int writer_put(void *ctx, const uint8_t *data, size_t len)
{
    writer_t *w = ctx;
    if (len > w->end - w->addr - w->staged)
        return -1; /* beyond the image: nothing is written */
    while (len > 0) {
        size_t n = sizeof w->stage - w->staged;
        if (n > len)
            n = len;
        memcpy(w->stage + w->staged, data, n);
        w->staged += (uint32_t)n;
        data += n;
        len -= n;
        if (w->staged == sizeof w->stage && writer_flush(w))
            return -1;
    }
    return 0;
}

/* Erase the header sector first (an older candidate is invalid from then on), then the sectors
 * the image needs, refreshing the watchdog after each. */
static int prepare_slot(uint32_t image_size)
{
    uint32_t end = (LAYOUT_CANDIDATE_PAYLOAD_ADDR + image_size + LAYOUT_FLASH_SECTOR_SIZE - 1u) &
                   ~(uint32_t)(LAYOUT_FLASH_SECTOR_SIZE - 1u);
    for (uint32_t a = LAYOUT_CANDIDATE_ADDR; a < end; a += LAYOUT_FLASH_SECTOR_SIZE) {
        int err = flash_k64f_erase_sector(a);
        app_background();
        if (err)
            return err;
    }
    return 0;
}

/* ---- one update ------------------------------------------------------------------------------ */
static uc_outcome_t fetch_manifest(uint32_t *len)
{
    uint32_t have = 0, size = 0;
    do {
        uint32_t got, total;
        uint32_t want = size ? size - have : UC_CHUNK;
        if (want > UC_CHUNK)
            want = UC_CHUNK;
        int r = get_retry(MANIFEST_URI, have, manifest_buf + have, want, &got, &total);
        if (r == NETDEV_NOT_FOUND || r == NETDEV_BAD_REQUEST)
            return net_failure(NETDEV_LINK_DOWN);
        if (r == NETDEV_RANGE)
            return reject("manifest");
        if (r != NETDEV_OK)
            return net_failure(r);
        if (size == 0) {
            if (total == 0 || total > MANIFEST_MAX_SIZE)
                return reject("manifest");
            size = total;
        } else if (total != size) {
            return reject("manifest"); /* changed while we read it */
        }
        if (got > size - have)
            got = size - have;
        if (got == 0)
            return reject("manifest");
        have += got;
    } while (have < size);
    *len = size;
    return UC_DONE;
}

static uc_outcome_t run_update(void)
{
    line("notified", NULL);

    uint32_t mlen;
    uc_outcome_t o = fetch_manifest(&mlen);
    if (o != UC_DONE)
        return o;

    mbed_hdr_v2_t active;
    bool have_active = active_header(&active);
    manifest_device_t dev = {
        .vendor_id = update_vendor_id,
        .class_id = update_class_id,
        .public_key = update_public_key,
        .running_version = have_active ? active.firmware_version : uc.fallback_version,
        .active_digest = have_active ? active.firmware_hash : NULL,
    };
    manifest_t m;
    app_background();
    const char *why = manifest_check(manifest_buf, mlen, &dev, &m); /* ECDSA: see README */
    app_background();
    if (why)
        return reject(why);
    const bool delta = m.payload_format == MANIFEST_FORMAT_DELTA;
    const uint32_t image_size = (uint32_t)m.installed_size;
    const uint32_t payload_size = (uint32_t)m.payload_size;
    uart_puts("[UC] manifest v");
    uart_put_u64(m.version);
    uart_puts(delta ? " delta " : " raw ");
    uart_put_u64(payload_size);
    uart_puts(" bytes\n");
    memcpy(uri_buf, m.payload_uri.p, m.payload_uri.len);
    uri_buf[m.payload_uri.len] = '\0';

    if (prepare_slot(image_size))
        return flash_failure();

    writer.addr = LAYOUT_CANDIDATE_PAYLOAD_ADDR;
    writer.end = LAYOUT_CANDIDATE_PAYLOAD_ADDR + image_size;
    writer.staged = 0;
    if (delta)
        delta_patch_init(&patcher, (const uint8_t *)(uintptr_t)LAYOUT_APP_ADDR,
                         (uint32_t)active.firmware_size, image_size, image_size, writer_put,
                         &writer);

    line_u64("downloading ", payload_size, " bytes");
    mbedtls_sha256_context sha;
    mbedtls_sha256_init(&sha);
    (void)mbedtls_sha256_starts_ret(&sha, 0);
    delta_err_t derr = DELTA_OK;
    uint32_t off = 0;
    while (off < payload_size) {
        uint32_t want = payload_size - off < UC_CHUNK ? payload_size - off : UC_CHUNK;
        uint32_t got, total;
        int r = get_retry(uri_buf, off, net_buf, want, &got, &total);
        if (r == NETDEV_RANGE || (r == NETDEV_OK && got == 0))
            break; /* the resource is shorter than payload-size: the digest check says so */
        if (r != NETDEV_OK) {
            mbedtls_sha256_free(&sha);
            return r == NETDEV_NOT_FOUND || r == NETDEV_BAD_REQUEST ? net_failure(NETDEV_LINK_DOWN)
                                                                    : net_failure(r);
        }
        if (got > want)
            got = want;
        (void)mbedtls_sha256_update_ret(&sha, net_buf, got);
        if (!delta) {
            if (writer_put(&writer, net_buf, got)) {
                mbedtls_sha256_free(&sha);
                return flash_failure();
            }
        } else if (derr == DELTA_OK) {
            /* After a patch error the rest is still downloaded (not applied) so that a payload
             * that is not the signed one is reported as "digest", not as a patch error. */
            derr = delta_patch_push(&patcher, net_buf, got);
            if (derr == DELTA_ERR_WRITE) {
                mbedtls_sha256_free(&sha);
                return flash_failure();
            }
        }
        off += got;
        app_background();
    }
    uint8_t digest[32];
    (void)mbedtls_sha256_finish_ret(&sha, digest);
    mbedtls_sha256_free(&sha);
    if (off < payload_size || memcmp(digest, m.payload_digest.p, sizeof digest) != 0)
        return reject("digest");
    line("payload verified", NULL);

    if (delta) {
        if (derr == DELTA_OK)
            derr = delta_patch_finish(&patcher);
        if (derr == DELTA_ERR_WRITE)
            return flash_failure();
        if (derr != DELTA_OK)
            return reject(delta_patch_strerror(derr));
    }
    if (writer_flush(&writer))
        return flash_failure();
    if (writer.addr != writer.end)
        return delta ? reject("delta-sizes") : flash_failure(); /* cannot happen: checked above */
    if (delta)
        line_u64("delta applied ", image_size, " bytes");

    /* Read the image back from flash: it must have the digest the header will claim. */
    image_sha256(LAYOUT_CANDIDATE_PAYLOAD_ADDR, image_size, digest);
    if (memcmp(digest, m.installed_digest.p, sizeof digest) != 0)
        return delta ? reject("digest") : flash_failure();

    /* The header last: from here on the bootloader sees a valid candidate. */
    mbed_hdr_v2_t h;
    uint8_t raw[MBED_HDR_V2_SIZE];
    mbed_hdr_v2_init(&h, m.version, image_size, digest);
    mbed_hdr_v2_encode(&h, raw);
    int err = flash_k64f_program(LAYOUT_CANDIDATE_ADDR, raw, sizeof raw);
    wdog_refresh();
    if (err)
        return flash_failure();

    queue_result("installing", NULL, m.version);
    (void)flush_result(); /* best effort: the reboot does not wait for the server */
    line("candidate ready, rebooting", NULL);
    uart_flush();
    cpu_dsb();
    SCB_AIRCR = SCB_AIRCR_SYSRESETREQ;
    cpu_dsb();
    for (;;) {
    }
}

/* ---- main-loop interface --------------------------------------------------------------------- */
void update_client_init(uint64_t fallback_version)
{
    memset(&uc, 0, sizeof uc);
    uc.fallback_version = fallback_version;
    if (!netdev_init()) {
        line("no network device", NULL);
        return;
    }
    uc.enabled = true;
    uc.retry_at = app_millis();
    queue_result("running", NULL, running_version());
    if (netdev_link_up()) {
        (void)flush_result();
        line_u64("ready v", running_version(), "");
        uc.ready_shown = true;
    } else {
        line("idle (link down)", NULL);
    }
}

void update_client_poll(void)
{
    if (!uc.enabled || !netdev_link_up())
        return;
    bool notified = netdev_take_notified();
    if (notified)
        uc.blocked = false; /* a new notification: a new campaign may follow a rejected one */
    uint32_t now = app_millis();
    if (pending_len != 0) {
        if ((int32_t)(now - uc.post_at) < 0)
            return;
        if (!flush_result()) {
            uc.post_at = now + 1000u; /* the server did not take it: try again in 1 s */
            return;
        }
        if (!uc.ready_shown) {
            line_u64("ready v", running_version(), ""); /* the link came up after boot */
            uc.ready_shown = true;
        }
    }
    bool pending = netdev_notify_pending();
    if (!pending)
        uc.blocked = false; /* the campaign ended */
    bool waiting = (int32_t)(uc.retry_at - now) > 0 && !notified;
    if (!pending || uc.blocked || waiting)
        return;

    /* The result goes to the server first, then the console line: whoever waits for the line
     * sees the server already informed (when the link is up). */
    uc_outcome_t o = run_update();
    queue_result(o == UC_REJECTED ? "rejected" : "failed", uc.reason, 0);
    (void)flush_result();
    uc.post_at = app_millis() + 1000u;
    if (o == UC_REJECTED) {
        line("rejected: ", uc.reason);
        uc.blocked = true;
    } else {
        line("failed: ", uc.reason);
        uc.retry_at = app_millis() + UC_RECHECK_MS;
    }
    (void)netdev_take_notified(); /* notifications during this attempt are this campaign's */
}
