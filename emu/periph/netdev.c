/*
 * NETU: fwemu's message-level network device (docs/update-flow.md section 1).
 *
 *   0x00 ID      RO   0x4E455455
 *   0x04 CTRL    RW   bit0 IE
 *   0x08 STATUS  RO/W1C  bit0 BUSY, bit1 DONE (W1C), bit2 NOTIFY (level from the server),
 *                     bit3 LINK, bit4 NOTIFIED (W1C, latched by a notification)
 *   0x0C CMD     WO   1 GET, 2 POST, 3 ABORT
 *   0x10 URI, 0x14 OFFSET, 0x18 ADDR, 0x1C LEN   RW request parameters
 *   0x20 RESULT, 0x24 XFERLEN, 0x28 SIZE         RO outcome of the last request
 * IRQ level = IE && (DONE || NOTIFIED).
 *
 * The device knows nothing of the server: it asks the backend (emu_net_backend_t, set by the
 * host through the machine) for the reply when the request starts; the backend says how many
 * bytes arrive, with which result, at what emulated time. The bytes wait in the device's own
 * buffer (part of the snapshotted state) and are DMA'd into SRAM when the request completes
 * (tick at the completion deadline). No backend = link down.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "periph.h"

#define NET_SPACE 0x1000u
#define NET_ID 0x4E455455u
#define NET_MAX_GET 4096u
#define NET_MAX_POST 256u
#define NET_MAX_URI 63u

enum { R_ID = 0x00, R_CTRL = 0x04, R_STATUS = 0x08, R_CMD = 0x0C, R_URI = 0x10, R_OFFSET = 0x14,
       R_ADDR = 0x18, R_LEN = 0x1C, R_RESULT = 0x20, R_XFERLEN = 0x24, R_SIZE = 0x28 };
enum { ST_BUSY = 1u << 0, ST_DONE = 1u << 1, ST_NOTIFY = 1u << 2, ST_LINK = 1u << 3,
       ST_NOTIFIED = 1u << 4 };
enum { CMD_GET = 1, CMD_POST = 2, CMD_ABORT = 3 };
#define CTRL_IE 1u

typedef struct net_state {
    uint32_t ctrl, latched;            /* latched: ST_DONE | ST_NOTIFIED */
    uint32_t uri, offset, addr, len;
    uint32_t result, xferlen, size;
    bool busy;
    uint32_t cmd;
    uint64_t done_ns;
    uint32_t pend_result, pend_len, pend_total;
    bool irq_level;
    uint32_t nreq;
    uint8_t buf[NET_MAX_GET];
} net_state_t;

typedef struct netdev {
    periph_t p;
    const emu_net_backend_t *const *backend;   /* the machine's slot: may change between runs */
    int irq;
    net_state_t s;
} netdev_t;

static const emu_net_backend_t *backend(netdev_t *d)
{
    const emu_net_backend_t *b = d->backend ? *d->backend : NULL;
    return b && b->get ? b : NULL;
}

static void update_irq(netdev_t *d)
{
    bool level = (d->s.ctrl & CTRL_IE) && (d->s.latched & (ST_DONE | ST_NOTIFIED));
    if (level != d->s.irq_level) {
        d->s.irq_level = level;
        d->p.bus->irq(d->p.bus->m, d->irq, level);
    }
}

static void net_event(netdev_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void net_event(netdev_t *d, const char *fmt, ...)
{
    emu_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = EMU_EV_NET;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev.detail, sizeof ev.detail, fmt, ap);
    va_end(ap);
    d->p.bus->event(d->p.bus->m, &ev);
}

static const char *result_name(uint32_t r)
{
    static const char *n[] = { "ok", "not-found", "link-down", "bad-request", "aborted", "range" };
    return r < sizeof n / sizeof n[0] ? n[r] : "?";
}

/* Complete the request now with what is pending. */
static void complete(netdev_t *d)
{
    net_state_t *s = &d->s;
    if (!s->busy)
        return;
    if (s->cmd == CMD_GET && s->pend_len) {
        if (d->p.bus->dma_write(d->p.bus->m, s->addr, s->buf, s->pend_len) != 0) {
            s->pend_result = EMU_NET_BAD_REQUEST;
            s->pend_len = 0;
        }
    }
    s->busy = false;
    s->result = s->pend_result;
    s->xferlen = s->cmd == CMD_GET ? s->pend_len : 0;
    s->size = s->pend_total;
    s->latched |= ST_DONE;
    net_event(d, "#%u done %s %u/%u", s->nreq, result_name(s->result), s->xferlen, s->size);
    update_irq(d);
}

static void fail_now(netdev_t *d, uint32_t result)
{
    d->s.busy = true;
    d->s.pend_result = result;
    d->s.pend_len = 0;
    d->s.pend_total = 0;
    complete(d);
}

static void start(netdev_t *d, uint32_t cmd)
{
    net_state_t *s = &d->s;
    emu_bus_t *bus = d->p.bus;
    uint64_t now = bus->now_ns(bus->m);
    if (s->busy) {
        net_event(d, "cmd %u while busy: ignored", cmd);
        return;
    }
    s->cmd = cmd;
    s->nreq++;
    s->latched &= ~ST_DONE;
    update_irq(d);
    char uri[NET_MAX_URI + 1];
    memset(uri, 0, sizeof uri);
    bool uri_ok = false;
    for (uint32_t i = 0; i < NET_MAX_URI + 1; i++) {      /* NUL within 64 bytes, all in SRAM */
        if (bus->dma_read(bus->m, s->uri + i, &uri[i], 1) != 0)
            break;
        if (!uri[i]) {
            uri_ok = true;
            break;
        }
    }
    if (!uri_ok || !uri[0]) {
        net_event(d, "#%u bad uri at 0x%08x", s->nreq, s->uri);
        fail_now(d, EMU_NET_BAD_REQUEST);
        return;
    }
    const emu_net_backend_t *b = backend(d);
    emu_net_reply_t r = { .result = EMU_NET_LINK_DOWN, .len = 0, .total = 0, .done_ns = now };
    if (cmd == CMD_GET) {
        if (s->len == 0 || s->len > NET_MAX_GET || bus->dma_write(bus->m, s->addr, NULL, s->len) != 0) {
            net_event(d, "#%u GET %.20s bad len/addr", s->nreq, uri);
            fail_now(d, EMU_NET_BAD_REQUEST);
            return;
        }
        net_event(d, "#%u GET %.16s @%u+%u", s->nreq, uri, s->offset, s->len);
        if (b)
            b->get(b->ctx, now, uri, s->offset, s->buf, s->len, &r);
        if (r.len > s->len)
            r.len = s->len;
    } else {
        uint8_t msg[NET_MAX_POST];
        if (s->len > NET_MAX_POST || (s->len && bus->dma_read(bus->m, s->addr, msg, s->len) != 0)) {
            net_event(d, "#%u POST %.20s bad len/addr", s->nreq, uri);
            fail_now(d, EMU_NET_BAD_REQUEST);
            return;
        }
        net_event(d, "#%u POST %.16s %u bytes", s->nreq, uri, s->len);
        if (b && b->post)
            b->post(b->ctx, now, uri, msg, s->len, &r);
        r.len = 0;
    }
    s->busy = true;
    s->pend_result = (uint32_t)r.result;
    s->pend_len = r.len;
    s->pend_total = r.total;
    s->done_ns = r.done_ns > now ? r.done_ns : now;
    if (s->done_ns == now)
        complete(d);
}

static uint32_t status(netdev_t *d)
{
    const emu_net_backend_t *b = backend(d);
    uint64_t now = d->p.bus->now_ns(d->p.bus->m);
    bool link = b && b->link_up && b->link_up(b->ctx, now);
    bool notify = link && b->notify_pending && b->notify_pending(b->ctx, now);
    return (d->s.busy ? ST_BUSY : 0) | (d->s.latched & (ST_DONE | ST_NOTIFIED)) |
           (notify ? ST_NOTIFY : 0) | (link ? ST_LINK : 0);
}

static uint32_t net_read32(periph_t *p, uint32_t off)
{
    netdev_t *d = (netdev_t *)p;
    switch (off) {
    case R_ID: return NET_ID;
    case R_CTRL: return d->s.ctrl;
    case R_STATUS: return status(d);
    case R_URI: return d->s.uri;
    case R_OFFSET: return d->s.offset;
    case R_ADDR: return d->s.addr;
    case R_LEN: return d->s.len;
    case R_RESULT: return d->s.result;
    case R_XFERLEN: return d->s.xferlen;
    case R_SIZE: return d->s.size;
    default: return 0;
    }
}

static void net_write32(periph_t *p, uint32_t off, uint32_t v, uint32_t mask)
{
    netdev_t *d = (netdev_t *)p;
    net_state_t *s = &d->s;
    switch (off) {
    case R_CTRL:
        s->ctrl = (s->ctrl & ~mask) | (v & mask & CTRL_IE);
        update_irq(d);
        break;
    case R_STATUS:
        s->latched &= ~(v & mask & (ST_DONE | ST_NOTIFIED));
        update_irq(d);
        break;
    case R_CMD:
        if ((mask & 0xFF) != 0xFF)
            break;
        if ((v & 0xFF) == CMD_GET || (v & 0xFF) == CMD_POST) {
            start(d, v & 0xFF);
        } else if ((v & 0xFF) == CMD_ABORT && s->busy) {
            s->pend_result = EMU_NET_ABORTED;
            s->pend_len = 0;
            complete(d);
        }
        break;
    case R_URI: s->uri = (s->uri & ~mask) | (v & mask); break;
    case R_OFFSET: s->offset = (s->offset & ~mask) | (v & mask); break;
    case R_ADDR: s->addr = (s->addr & ~mask) | (v & mask); break;
    case R_LEN: s->len = (s->len & ~mask) | (v & mask); break;
    default: break;
    }
}

static uint32_t net_read(periph_t *p, uint32_t off, unsigned size)
{
    return periph_read_split(p, off, size, net_read32);
}

static void net_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    periph_write_split(p, off, size, value, net_write32);
}

static void net_reset(periph_t *p, emu_reset_kind_t kind)
{
    netdev_t *d = (netdev_t *)p;
    (void)kind;
    uint32_t nreq = d->s.nreq;
    bool level = d->s.irq_level;
    memset(&d->s, 0, sizeof d->s);
    d->s.nreq = nreq;
    if (level)
        d->p.bus->irq(d->p.bus->m, d->irq, false);
}

static uint64_t net_deadline(periph_t *p)
{
    netdev_t *d = (netdev_t *)p;
    return d->s.busy ? d->s.done_ns : UINT64_MAX;
}

static void net_tick(periph_t *p, uint64_t now)
{
    netdev_t *d = (netdev_t *)p;
    if (d->s.busy && now >= d->s.done_ns)
        complete(d);
}

static void *net_state(periph_t *p) { return &((netdev_t *)p)->s; }
static void net_destroy(periph_t *p) { free(p); }

/* The completion time relative to now (while busy); the request counter only numbers events. */
static void netdev_fingerprint(periph_t *p, uint64_t now, emu_feed_fn feed, void *ctx)
{
    net_state_t s;
    memcpy(&s, &((netdev_t *)p)->s, sizeof s);
    s.done_ns = s.busy && s.done_ns > now ? s.done_ns - now : 0;
    s.nreq = 0;
    feed(ctx, &s, sizeof s);
}

static const periph_ops_t netdev_ops = {
    .name = "NETU", .size = NET_SPACE, .read = net_read, .write = net_write, .reset = net_reset,
    .deadline = net_deadline, .tick = net_tick, .destroy = net_destroy,
    .state_size = sizeof(net_state_t), .state = net_state,
    .fingerprint = netdev_fingerprint,
};

periph_t *netdev_create(emu_bus_t *bus, const emu_net_backend_t *const *backend_slot, int irq)
{
    netdev_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->p.ops = &netdev_ops;
    d->p.bus = bus;
    d->backend = backend_slot;
    d->irq = irq;
    return &d->p;
}

void netdev_notify(periph_t *p)
{
    netdev_t *d = (netdev_t *)p;
    d->s.latched |= ST_NOTIFIED;
    net_event(d, "notified");
    update_irq(d);
}

void netdev_link_changed(periph_t *p)
{
    netdev_t *d = (netdev_t *)p;
    const emu_net_backend_t *b = backend(d);
    uint64_t now = d->p.bus->now_ns(d->p.bus->m);
    bool link = b && b->link_up && b->link_up(b->ctx, now);
    if (!link && d->s.busy) {
        d->s.pend_result = EMU_NET_LINK_DOWN;
        d->s.pend_len = 0;
        complete(d);
    }
}
