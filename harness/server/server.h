/*
 * The update server the harness runs inside the emulator process (docs/update-flow.md
 * section 2): named resources (the manifest, payloads), a campaign that notifies the device,
 * the results the device posts, and injected faults (link drops, stalls, truncation, corruption,
 * a different resource served, a slow link).
 *
 * It is the backend of the machine's NETU device (emu_net_backend_t). Its state is split in two:
 *   - a pool of resource contents, append-only while the server lives (never snapshotted);
 *   - srv_state_t, plain data that says which pool entries are published under which names,
 *     the campaign, faults and the result log. The runner saves and restores it together with
 *     machine snapshots (srv_state_get / srv_state_set), so a sweep cut point sees exactly the
 *     server the recording saw at that point.
 * Everything is a function of the state and the emulated time: deterministic.
 */
#ifndef FWEMU_SERVER_H
#define FWEMU_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu.h"

typedef enum srv_err {
    SRV_OK = 0,
    SRV_ERR_NOMEM = -1,
    SRV_ERR_ARG = -2,          /* name too long, too many resources/faults */
} srv_err_t;

#define SRV_NAME_MAX 31
#define SRV_MAX_RES 8
#define SRV_MAX_FAULTS 16
#define SRV_MAX_RESULTS 32
#define SRV_RESULT_MAX 63

typedef enum srv_fault_kind {
    SRV_FAULT_DROP = 0,        /* the link drops when a GET of `resource` reaches `offset`, for `for_ns` */
    SRV_FAULT_STALL,           /* the GET that reaches `offset` is late by `for_ns` */
    SRV_FAULT_TRUNCATE,        /* `resource` looks `length` bytes long */
    SRV_FAULT_CORRUPT,         /* byte `offset` of `resource` is served XORed with `xor_mask` */
    SRV_FAULT_SERVE,           /* GETs of `resource` get the bytes of `with` */
} srv_fault_kind_t;

typedef struct srv_fault {
    srv_fault_kind_t kind;
    char resource[SRV_NAME_MAX + 1];
    char with[SRV_NAME_MAX + 1];
    uint32_t offset, length;
    uint8_t xor_mask;
    uint64_t for_ns;
    bool fired;                /* DROP / STALL act once */
} srv_fault_t;

typedef struct srv_state {
    struct { char name[SRV_NAME_MAX + 1]; int pool; } res[SRV_MAX_RES];
    int nres;
    bool notify;               /* campaign active: the device sees NOTIFY */
    bool has_campaign_version; uint64_t campaign_version;
    bool link_forced_down;     /* `link: down` until `link: up` */
    uint64_t link_down_until;  /* absolute emulated ns; 0 = none */
    uint32_t rate;             /* bytes per emulated second; 0 = unlimited */
    uint64_t latency_ns;       /* per request */
    srv_fault_t faults[SRV_MAX_FAULTS];
    int nfaults;
    char results[SRV_MAX_RESULTS][SRV_RESULT_MAX + 1];   /* the last SRV_MAX_RESULTS posted */
    uint32_t nresults;         /* posted in all */
    uint64_t result_time[SRV_MAX_RESULTS];
    uint32_t gets, posts;
    uint64_t bytes_served;
} srv_state_t;

typedef struct srv srv_t;

int srv_create(srv_t **out);
void srv_destroy(srv_t *s);
/* The backend to give emu_set_net_backend (valid while s lives). */
const emu_net_backend_t *srv_backend(srv_t *s);

/* Publish (or replace) a resource; the bytes are copied (identical contents share one copy). */
int srv_publish(srv_t *s, const char *name, const uint8_t *data, size_t len);
/* Bytes of a published resource (NULL if none). */
const uint8_t *srv_resource(const srv_t *s, const char *name, size_t *len);
/* Start a campaign: NOTIFY goes high; it ends when the device posts "rejected ..." or
 * "running <version>" (version: has_version). */
void srv_campaign(srv_t *s, bool has_version, uint64_t version);
int srv_add_fault(srv_t *s, const srv_fault_t *f);
void srv_clear_faults(srv_t *s);
void srv_set_link(srv_t *s, bool forced_down, uint64_t down_until_ns);
void srv_set_rate(srv_t *s, uint32_t bytes_per_s, uint64_t latency_ns);
bool srv_link_up(const srv_t *s, uint64_t now_ns);

/* Posted results, oldest kept first: i < srv_result_count. */
size_t srv_result_count(const srv_t *s);
const char *srv_result(const srv_t *s, size_t i, uint64_t *time_ns);
bool srv_has_result(const srv_t *s, const char *text);

const srv_state_t *srv_state_get(const srv_t *s);
void srv_state_set(srv_t *s, const srv_state_t *st);

const char *srv_fault_kind_name(srv_fault_kind_t k);

/* Defaults: 250 000 bytes/s, 5 ms latency per request. */
#define SRV_DEFAULT_RATE 250000u
#define SRV_DEFAULT_LATENCY_NS 5000000ull

#endif
