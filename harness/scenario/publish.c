/*
 * Update-server steps: publish (a signed manifest and a full or delta payload, built on the host
 * once per session) and server (faults, link, campaign). Contract in session.h; the device/server
 * contract in docs/update-flow.md.
 */
#include "scenario/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bundled.h"
#include "codec/delta.h"
#include "codec/image.h"
#include "codec/manifest.h"
#include "server/server.h"

/* ---- update server steps --------------------------------------------------------------------- */

static int read_scn_file(session_t *ss, const char *name, uint8_t **out, size_t *len, char *err, size_t errlen)
{
    char path[2048];
    sess_path_in_dir(ss, name, path, sizeof path);
    return image_read_file(path, 0, out, len, err, errlen) == IMAGE_OK ? 0 : -1;
}

/* Build the manifest and payload a publish step describes (docs/update-flow.md section 3). */
static int build_publish(session_t *ss, const scn_publish_t *p, pub_cache_t *pc, char *err, size_t errlen)
{
    uint8_t *img = NULL, *old = NULL;
    size_t imglen = 0, oldlen = 0;
    uint64_t bver = 0, oldver = 0;
    int rc = -1;
    mf_key_t *key = NULL;
    if ((p->image || p->file) &&
        sess_load_body(ss, p->image, p->file, ss->l.app_start, &img, &imglen, &bver, err, errlen))
        goto out;
    pc->has_version = p->has_version || p->image;
    pc->version = p->has_version ? p->version : bver;
    bool delta = p->delta_from_image || p->delta_from_file;
    if (delta && sess_load_body(ss, p->delta_from_image, p->delta_from_file, ss->l.app_start, &old, &oldlen, &oldver,
                           err, errlen))
        goto out;
    /* the payload */
    if (p->payload_file) {
        if (read_scn_file(ss, p->payload_file, &pc->payload, &pc->payload_len, err, errlen))
            goto out;
    } else if (delta) {
        delta_opts_t o = { .block_size = p->block_size, .max_ratio = 1.0 };
        int e = p->mutate >= 0
            ? delta_mutate(old, oldlen, img, imglen, &o, (delta_mutation_t)p->mutate, &pc->payload, &pc->payload_len,
                           err, errlen)
            : delta_create(old, oldlen, img, imglen, &o, &pc->payload, &pc->payload_len, err, errlen);
        if (e != DELTA_OK)
            goto out;
    } else if (img) {
        pc->payload = img;
        pc->payload_len = imglen;
        img = NULL;
    }
    /* the manifest */
    if (p->manifest_file) {
        if (read_scn_file(ss, p->manifest_file, &pc->manifest, &pc->manifest_len, err, errlen))
            goto out;
        manifest_t m;
        char e2[128];
        pc->has_version = false;
        if (mf_decode(pc->manifest, pc->manifest_len, &m, e2, sizeof e2) == MF_OK &&
            sscanf(m.version, "%" SCNu64, &pc->version) == 1)
            pc->has_version = true;
        rc = 0;
        goto out;
    }
    manifest_t m;
    mf_init(&m);
    /* version, payload digest and size; the delta metadata comes from the images we hold (a
     * mutated patch does not rebuild NEW, so it cannot be derived by applying the patch) */
    if (mf_describe_payload(&m, pc->version, pc->payload, pc->payload_len, NULL, 0, err, errlen) != MF_OK)
        goto out;
    if (delta) {
        m.format = MF_FORMAT_DELTA;
        m.has_metadata = true;
        m.installed_size = imglen;
        image_sha256(img, imglen, m.installed_digest);
        m.installed_digest_len = 32;
        m.has_precursor = true;
        image_sha256(old, oldlen, m.precursor_digest);
        m.precursor_digest_len = 32;
    }
    if (p->m.has_vendor_id) { memcpy(m.vendor_id, p->m.vendor_id, 16); m.vendor_id_len = 16; }
    if (p->m.has_class_id) { memcpy(m.class_id, p->m.class_id, 16); m.class_id_len = 16; }
    if (p->m.has_version) {
        snprintf(m.version, sizeof m.version, "%" PRIu64, p->m.version);
        pc->version = p->m.version;
        pc->has_version = true;
    }
    if (p->m.has_payload_size) m.payload_size = p->m.payload_size;
    if (p->m.has_payload_digest) memcpy(m.payload_digest, p->m.payload_digest, 32);
    if (p->m.has_format) m.format = p->m.format;
    if (p->m.has_precursor_digest) {
        memcpy(m.precursor_digest, p->m.precursor_digest, 32);
        m.precursor_digest_len = 32;
        m.has_precursor = m.has_metadata = true;
    }
    if (p->m.has_installed_digest) {
        memcpy(m.installed_digest, p->m.installed_digest, 32);
        m.installed_digest_len = 32;
        m.has_metadata = true;
    }
    if (p->m.has_installed_size) {
        m.installed_size = p->m.installed_size;
        m.has_metadata = true;
    }
    if (p->key) {
        char path[2048];
        sess_path_in_dir(ss, p->key, path, sizeof path);
        if (mf_key_load(path, &key, err, errlen) != MF_OK)
            goto out;
    } else {
        size_t klen;
        const uint8_t *k = bundled_dev_key(&klen);
        if (mf_key_parse(k, klen, "bundled development key", &key, err, errlen) != MF_OK)
            goto out;
    }
    if (mf_encode(&m, key, &pc->manifest, &pc->manifest_len, err, errlen) != MF_OK)
        goto out;
    if (p->corrupt_signature && pc->manifest_len)
        pc->manifest[pc->manifest_len - 1] ^= 0x01;   /* the signature is the last field */
    rc = 0;
out:
    mf_key_free(key);
    free(img);
    free(old);
    return rc;
}

int sess_publish_step(session_t *ss, const scn_step_t *st)
{
    pub_cache_t *pc = NULL;
    for (size_t i = 0; i < ss->npubs; i++)
        if (ss->pubs[i].step == st)
            pc = &ss->pubs[i];
    if (!pc) {
        pub_cache_t *np = realloc(ss->pubs, (ss->npubs + 1) * sizeof *np);
        if (!np) {
            sess_fail(ss, st->pos, "publish: out of memory");
            return -1;
        }
        ss->pubs = np;
        pc = &ss->pubs[ss->npubs];
        memset(pc, 0, sizeof *pc);
        pc->step = st;
        char err[512] = "";
        if (build_publish(ss, &st->u.publish, pc, err, sizeof err)) {
            free(pc->manifest);
            free(pc->payload);
            sess_fail(ss, st->pos, "publish: %s", err[0] ? err : "cannot build the update");
            ss->setup_error = true;
            return -1;
        }
        ss->npubs++;
    }
    if (srv_publish(ss->srv, "manifest", pc->manifest, pc->manifest_len) != SRV_OK ||
        srv_publish(ss->srv, "payload", pc->payload ? pc->payload : (const uint8_t *)"", pc->payload_len) != SRV_OK) {
        sess_fail(ss, st->pos, "publish: out of memory");
        return -1;
    }
    srv_state_t sst = *srv_state_get(ss->srv);
    sst.has_campaign_version = pc->has_version;
    sst.campaign_version = pc->version;
    srv_state_set(ss->srv, &sst);
    return 0;
}

_Static_assert((int)SCN_FAULT_DROP == (int)SRV_FAULT_DROP && (int)SCN_FAULT_STALL == (int)SRV_FAULT_STALL &&
               (int)SCN_FAULT_TRUNCATE == (int)SRV_FAULT_TRUNCATE && (int)SCN_FAULT_CORRUPT == (int)SRV_FAULT_CORRUPT &&
               (int)SCN_FAULT_SERVE == (int)SRV_FAULT_SERVE, "scenario and server fault kinds in the same order");

void sess_server_step(session_t *ss, const scn_step_t *st)
{
    const scn_server_t *sv = &st->u.server;
    srv_t *s = ss->srv;
    const srv_state_t *cur = srv_state_get(s);
    uint64_t now = emu_time_ns(ss->m);
    if (sv->clear_faults)
        srv_clear_faults(s);
    if (sv->has_rate || sv->has_latency)
        srv_set_rate(s, sv->has_rate ? sv->rate : cur->rate, sv->has_latency ? sv->latency_ns : cur->latency_ns);
    bool down = cur->link_forced_down;
    uint64_t until = cur->link_down_until;
    if (sv->link >= 0)
        down = sv->link == 1;
    if (sv->link_down_for_ns)
        until = now + sv->link_down_for_ns;
    srv_set_link(s, down, until);
    for (size_t i = 0; i < sv->nfaults; i++) {
        const scn_fault_t *f = &sv->faults[i];
        srv_fault_t sf;
        memset(&sf, 0, sizeof sf);
        sf.kind = (srv_fault_kind_t)f->kind;   /* same order (scenario.h / server.h) */
        snprintf(sf.resource, sizeof sf.resource, "%s", f->resource);
        if (f->with)
            snprintf(sf.with, sizeof sf.with, "%s", f->with);
        sf.offset = f->offset;
        sf.length = f->length;
        sf.xor_mask = f->xor_mask;
        sf.for_ns = f->for_ns;
        if (srv_add_fault(s, &sf) != SRV_OK)
            sess_fail(ss, f->pos, "server: more than %d faults at once (use clear_faults)", SRV_MAX_FAULTS);
    }
    emu_net_link_changed(ss->m);
}
