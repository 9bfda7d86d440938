/* The update server (server.h). */
#include "server/server.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pool_ent { uint8_t *data; size_t len; } pool_ent_t;

struct srv {
    srv_state_t st;
    pool_ent_t *pool;
    size_t npool, cappool;
    emu_net_backend_t be;
};

const char *srv_fault_kind_name(srv_fault_kind_t k)
{
    static const char *n[] = { "drop", "stall", "truncate", "corrupt", "serve" };
    return (unsigned)k < sizeof n / sizeof n[0] ? n[k] : "?";
}

static int res_find(const srv_state_t *st, const char *name)
{
    for (int i = 0; i < st->nres; i++)
        if (!strcmp(st->res[i].name, name))
            return i;
    return -1;
}

static const pool_ent_t *res_get(const srv_t *s, const char *name)
{
    int i = res_find(&s->st, name);
    if (i < 0 || s->st.res[i].pool < 0 || (size_t)s->st.res[i].pool >= s->npool)
        return NULL;
    return &s->pool[s->st.res[i].pool];
}

const uint8_t *srv_resource(const srv_t *s, const char *name, size_t *len)
{
    const pool_ent_t *p = res_get(s, name);
    if (!p)
        return NULL;
    *len = p->len;
    return p->data;
}

bool srv_link_up(const srv_t *s, uint64_t now)
{
    return !s->st.link_forced_down && now >= s->st.link_down_until;
}

static uint64_t xfer_ns(const srv_state_t *st, uint64_t bytes)
{
    return st->rate ? bytes * 1000000000ull / st->rate : 0;
}

/* Every reply: nothing yet, one latency from now; false (LINK_DOWN) when the link is down. */
static bool reply_begin(const srv_t *s, uint64_t now, emu_net_reply_t *r)
{
    r->len = 0;
    r->total = 0;
    r->done_ns = now + s->st.latency_ns;
    r->result = srv_link_up(s, now) ? EMU_NET_OK : EMU_NET_LINK_DOWN;
    return r->result == EMU_NET_OK;
}

static void be_get(void *ctx, uint64_t now, const char *uri, uint32_t offset, uint8_t *buf, uint32_t max,
                   emu_net_reply_t *r)
{
    srv_t *s = ctx;
    srv_state_t *st = &s->st;
    st->gets++;
    if (!reply_begin(s, now, r))
        return;
    const char *src = uri;
    for (int i = 0; i < st->nfaults; i++)
        if (st->faults[i].kind == SRV_FAULT_SERVE && !strcmp(st->faults[i].resource, uri))
            src = st->faults[i].with;
    const pool_ent_t *p = res_get(s, src);
    if (!p) {
        r->result = EMU_NET_NOT_FOUND;
        return;
    }
    size_t size = p->len;
    for (int i = 0; i < st->nfaults; i++)
        if (st->faults[i].kind == SRV_FAULT_TRUNCATE && !strcmp(st->faults[i].resource, uri) &&
            st->faults[i].length < size)
            size = st->faults[i].length;
    r->total = (uint32_t)size;
    if (offset > size || (offset == size && size > 0)) {
        r->result = EMU_NET_RANGE;
        return;
    }
    uint32_t n = (uint32_t)(size - offset < max ? size - offset : max);
    memcpy(buf, p->data + offset, n);
    for (int i = 0; i < st->nfaults; i++) {
        const srv_fault_t *f = &st->faults[i];
        if (f->kind == SRV_FAULT_CORRUPT && !strcmp(f->resource, uri) && f->offset >= offset &&
            f->offset < offset + n)
            buf[f->offset - offset] ^= f->xor_mask;
    }
    r->result = EMU_NET_OK;
    uint64_t extra = 0;
    for (int i = 0; i < st->nfaults; i++) {
        srv_fault_t *f = &st->faults[i];
        if (f->fired || strcmp(f->resource, uri))
            continue;
        bool covers = f->offset >= offset && f->offset < offset + (n ? n : 1);
        if (!covers)
            continue;
        if (f->kind == SRV_FAULT_STALL) {
            f->fired = true;
            extra += f->for_ns;
        } else if (f->kind == SRV_FAULT_DROP) {
            f->fired = true;
            n = f->offset - offset;             /* the bytes before the drop arrive */
            r->result = EMU_NET_LINK_DOWN;
            uint64_t at = now + st->latency_ns + extra + xfer_ns(st, n);
            if (at + f->for_ns > st->link_down_until)
                st->link_down_until = at + f->for_ns;
            break;
        }
    }
    r->len = n;
    r->done_ns = now + st->latency_ns + extra + xfer_ns(st, n);
    st->bytes_served += n;
}

static void be_post(void *ctx, uint64_t now, const char *uri, const uint8_t *msg, uint32_t len, emu_net_reply_t *r)
{
    srv_t *s = ctx;
    srv_state_t *st = &s->st;
    st->posts++;
    if (!reply_begin(s, now, r))
        return;
    if (strcmp(uri, "result")) {
        r->result = EMU_NET_NOT_FOUND;
        return;
    }
    char text[SRV_RESULT_MAX + 1];
    size_t n = len < SRV_RESULT_MAX ? len : SRV_RESULT_MAX;
    for (size_t i = 0; i < n; i++)
        text[i] = (msg[i] >= 0x20 && msg[i] < 0x7F) ? (char)msg[i] : '?';
    text[n] = 0;
    uint32_t slot = st->nresults % SRV_MAX_RESULTS;
    memcpy(st->results[slot], text, n + 1);
    st->result_time[slot] = now;
    st->nresults++;
    if (!strncmp(text, "rejected ", 9)) {
        st->notify = false;
    } else if (st->has_campaign_version && !strncmp(text, "running ", 8) && text[8] >= '0' && text[8] <= '9') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text + 8, &end, 10);   /* the whole rest, decimal */
        if (!errno && !*end && v == st->campaign_version)
            st->notify = false;
    }
    r->result = EMU_NET_OK;
}

static bool be_link_up(void *ctx, uint64_t now) { return srv_link_up(ctx, now); }
static bool be_notify(void *ctx, uint64_t now) { (void)now; return ((srv_t *)ctx)->st.notify; }

int srv_create(srv_t **out)
{
    srv_t *s = calloc(1, sizeof *s);
    if (!s)
        return SRV_ERR_NOMEM;
    s->st.rate = SRV_DEFAULT_RATE;
    s->st.latency_ns = SRV_DEFAULT_LATENCY_NS;
    s->be = (emu_net_backend_t){ .ctx = s, .get = be_get, .post = be_post, .link_up = be_link_up,
                                 .notify_pending = be_notify };
    *out = s;
    return SRV_OK;
}

void srv_destroy(srv_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->npool; i++)
        free(s->pool[i].data);
    free(s->pool);
    free(s);
}

const emu_net_backend_t *srv_backend(srv_t *s) { return &s->be; }

int srv_publish(srv_t *s, const char *name, const uint8_t *data, size_t len)
{
    if (!name || !*name || strlen(name) > SRV_NAME_MAX || len > UINT32_MAX)
        return SRV_ERR_ARG;
    int pool = -1;
    for (size_t i = 0; i < s->npool; i++)
        if (s->pool[i].len == len && (!len || !memcmp(s->pool[i].data, data, len)))
            pool = (int)i;
    if (pool < 0) {
        if (s->npool == s->cappool) {
            size_t nc = s->cappool ? s->cappool * 2 : 8;
            pool_ent_t *np = realloc(s->pool, nc * sizeof *np);
            if (!np)
                return SRV_ERR_NOMEM;
            s->pool = np;
            s->cappool = nc;
        }
        uint8_t *copy = malloc(len ? len : 1);
        if (!copy)
            return SRV_ERR_NOMEM;
        if (len)
            memcpy(copy, data, len);
        s->pool[s->npool] = (pool_ent_t){ copy, len };
        pool = (int)s->npool++;
    }
    int i = res_find(&s->st, name);
    if (i < 0) {
        if (s->st.nres >= SRV_MAX_RES)
            return SRV_ERR_ARG;
        i = s->st.nres++;
        snprintf(s->st.res[i].name, sizeof s->st.res[i].name, "%s", name);
    }
    s->st.res[i].pool = pool;
    return SRV_OK;
}

void srv_campaign(srv_t *s, bool has_version, uint64_t version)
{
    s->st.notify = true;
    s->st.has_campaign_version = has_version;
    s->st.campaign_version = version;
}

int srv_add_fault(srv_t *s, const srv_fault_t *f)
{
    if (s->st.nfaults >= SRV_MAX_FAULTS)
        return SRV_ERR_ARG;
    s->st.faults[s->st.nfaults] = *f;
    s->st.faults[s->st.nfaults].fired = false;
    s->st.nfaults++;
    return SRV_OK;
}

void srv_clear_faults(srv_t *s) { s->st.nfaults = 0; }

void srv_set_link(srv_t *s, bool forced_down, uint64_t down_until_ns)
{
    s->st.link_forced_down = forced_down;
    s->st.link_down_until = down_until_ns;
}

void srv_set_rate(srv_t *s, uint32_t bytes_per_s, uint64_t latency_ns)
{
    s->st.rate = bytes_per_s;
    s->st.latency_ns = latency_ns;
}

size_t srv_result_count(const srv_t *s)
{
    return s->st.nresults < SRV_MAX_RESULTS ? s->st.nresults : SRV_MAX_RESULTS;
}

const char *srv_result(const srv_t *s, size_t i, uint64_t *time_ns)
{
    size_t n = srv_result_count(s);
    if (i >= n)
        return NULL;
    size_t first = s->st.nresults - n;
    size_t slot = (first + i) % SRV_MAX_RESULTS;
    if (time_ns)
        *time_ns = s->st.result_time[slot];
    return s->st.results[slot];
}

bool srv_has_result(const srv_t *s, const char *text)
{
    for (size_t i = 0; i < srv_result_count(s); i++)
        if (!strcmp(srv_result(s, i, NULL), text))
            return true;
    return false;
}

const srv_state_t *srv_state_get(const srv_t *s) { return &s->st; }
void srv_state_set(srv_t *s, const srv_state_t *st) { s->st = *st; }
