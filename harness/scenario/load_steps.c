/*
 * The schema walk, part 2: steps (boot, run, power_loss, corrupt, stage, publish, server, repeat)
 * and the check that the sequence is possible. Contract in load_int.h; the format in
 * scenarios/README.md.
 */
#include "scenario/load_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bundled.h"
#include "codec/delta.h"
#include "codec/manifest.h"
#include "server/server.h"

/* ---- steps ------------------------------------------------------------------------------------- */

static int ld_parse_flash_sel(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_flash_sel_t *sel)
{
    static const char *const keys[] = { "n", "kind", "region", "from", NULL };
    static const char *const kinds[] = { "any", "erase", "program", NULL };
    static const char *const froms[] = { "step", "power_on", NULL };
    const ynode_t *kn, *x;
    if (ld_check_map(c, k, v, "flash_op", keys))
        return c->rc;
    if (!(x = ld_get(v, "n", &kn)))
        return ld_missing(c, k, v, "flash_op", "n");
    if (ld_get_u32(c, kn, x, 1, &sel->n))
        return c->rc;
    int e = 0;
    if ((x = ld_get(v, "kind", &kn)) && ld_get_enum(c, kn, x, kinds, &e) == 0)
        sel->kind = (scn_op_filter_t)e;
    if ((x = ld_get(v, "region", &kn)))
        ld_get_region(c, kn, x, &sel->region);
    if ((x = ld_get(v, "from", &kn)) && ld_get_enum(c, kn, x, froms, &e) == 0)
        sel->from_power_on = e == 1;
    return c->rc;
}

static int parse_until_value(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_until_t *u)
{
    static const char *const words[] = { "app_running", "halt", NULL };
    static const char *const kinds[] = { "resets", "time", "flash_op", "console", NULL };
    if (v->type == YN_SCALAR) {
        int e = 0;
        char list[128];
        if (ld_is_null(v))
            return ld_err_at(c, v, "'until' has no value (expected app_running, halt, or one of {resets: N}, "
                          "{time: D}, {flash_op: {...}}, {console: TEXT})");
        if (!ld_str_is(v, "app_running") && !ld_str_is(v, "halt")) {
            char t[80];
            ld_join(list, sizeof list, kinds, 4, ", ");
            return ld_err_at(c, v, "'until' must be app_running, halt or a mapping with one of %s (got '%s')", list,
                          ld_shown(v, t));
        }
        ld_get_enum(c, k, v, words, &e);
        u->kind = e == 0 ? SCN_UNTIL_APP_RUNNING : SCN_UNTIL_HALT;
        return c->rc;
    }
    int which = 0;
    const ynode_t *kk, *kv;
    if (v->type == YN_SEQ)
        return ld_err_at(c, v, "'until' must be app_running, halt or a mapping with one of resets, time, flash_op, "
                      "console (got a sequence)");
    if (ld_one_of_keys(c, k, v, "until", kinds, &which, &kk, &kv))
        return c->rc;
    switch (which) {
    case 0:
        u->kind = SCN_UNTIL_RESETS;
        return ld_get_u32(c, kk, kv, 1, &u->resets);
    case 1:
        u->kind = SCN_UNTIL_TIME;
        return ld_get_dur(c, kk, kv, &u->time_ns);
    case 2:
        u->kind = SCN_UNTIL_FLASH_OP;
        return ld_parse_flash_sel(c, kk, kv, &u->op);
    default:
        u->kind = SCN_UNTIL_CONSOLE;
        return ld_get_str(c, kk, kv, &u->text);
    }
}

/* boot / run: null (defaults) or {until, version, timeout}. */
static int ld_parse_until(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_until_t *u)
{
    static const char *const keys[] = { "until", "version", "timeout", NULL };
    const char *what = k->str;
    u->kind = SCN_UNTIL_APP_RUNNING;
    if (ld_is_null(v))
        return 0;
    if (ld_check_map(c, k, v, what, keys))
        return c->rc;
    const ynode_t *uk, *uv = ld_get(v, "until", &uk), *vk, *vv = ld_get(v, "version", &vk), *tk, *tv = ld_get(v, "timeout", &tk);
    if (uv && parse_until_value(c, uk, uv, u))
        return c->rc;
    if (vv) {
        if (u->kind != SCN_UNTIL_APP_RUNNING)
            return ld_err_at(c, vk, "'version' applies only to 'until: app_running' (the version that must run)");
        if (ld_get_num(c, vk, vv, 0, UINT64_MAX, &u->version))
            return c->rc;
        u->has_version = true;
    }
    if (tv && ld_get_dur(c, tk, tv, &u->timeout_ns))
        return c->rc;
    if (u->kind == SCN_UNTIL_TIME) {
        if (tv && u->timeout_ns < u->time_ns)
            return ld_err_at(c, tv, "'timeout' is shorter than 'until: {time: ...}': the step could never succeed");
        if (!tv && u->time_ns > SCN_DEFAULT_TIMEOUT_NS)
            u->timeout_ns = u->time_ns;
    }
    return c->rc;
}

static int parse_power_loss(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_step_t *st)
{
    static const char *const keys[] = { "at", "mode", "off_time", "stay_off", NULL };
    static const char *const at_kinds[] = { "flash_op", "time", "insns", NULL };
    static const char *const modes[] = { "before", "after", "torn", NULL };
    const ynode_t *kn, *x;
    st->u.power.off_time_ns = SCN_DEFAULT_OFF_NS;
    if (ld_check_map(c, k, v, "power_loss", keys))
        return c->rc;
    const ynode_t *ak, *av = ld_get(v, "at", &ak);
    if (!av)
        return ld_missing(c, k, v, "power_loss", "at");
    if (av->type == YN_SCALAR) {
        if (!ld_str_is(av, "now")) {
            char b[96];
            if (ld_is_null(av))
                return ld_err_at(c, av, "'at' has no value (expected now, {flash_op: {...}}, {time: D} or {insns: N})");
            return ld_err_at(c, av, "'at' must be now, {flash_op: {...}}, {time: D} or {insns: N} (got %s)",
                          ld_kind_of(av, b));
        }
        st->u.power.at = SCN_AT_NOW;
    } else if (av->type == YN_SEQ) {
        return ld_err_at(c, av, "'at' must be now, {flash_op: {...}}, {time: D} or {insns: N} (got a sequence)");
    } else {
        int which = 0;
        const ynode_t *kk, *kv;
        if (ld_one_of_keys(c, ak, av, "at", at_kinds, &which, &kk, &kv))
            return c->rc;
        if (which == 0) {
            st->u.power.at = SCN_AT_FLASH_OP;
            if (ld_parse_flash_sel(c, kk, kv, &st->u.power.op))
                return c->rc;
        } else if (which == 1) {
            st->u.power.at = SCN_AT_TIME;
            if (ld_get_dur(c, kk, kv, &st->u.power.time_ns))
                return c->rc;
        } else {
            st->u.power.at = SCN_AT_INSNS;
            if (ld_get_num(c, kk, kv, 1, UINT64_MAX, &st->u.power.insns))
                return c->rc;
        }
    }
    int e = 0;
    if ((x = ld_get(v, "mode", &kn))) {
        if (st->u.power.at != SCN_AT_FLASH_OP)
            return ld_err_at(c, kn, "'mode' applies only to 'at: {flash_op: ...}' (a cut at a time or an "
                          "instruction count interrupts no flash operation)");
        if (ld_get_enum(c, kn, x, modes, &e))
            return c->rc;
        st->u.power.mode = (scn_cut_mode_t)e;
    }
    if ((x = ld_get(v, "off_time", &kn)))
        ld_get_dur(c, kn, x, &st->u.power.off_time_ns);
    if ((x = ld_get(v, "stay_off", &kn)))
        ld_get_bool(c, kn, x, &st->u.power.stay_off);
    return c->rc;
}

static int parse_corrupt(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_step_t *st)
{
    static const char *const keys[] = { "region", "address", "offset", "field", "set", "xor", "flip",
                                        "erase_sector", "write", "truncate", NULL };
    static const char *const actions[] = { "field", "flip", "erase_sector", "write", "truncate", NULL };
    static const char *const fields[] = { "magic", "header_version", "version", "size", "digest", "crc",
                                          "signature_size", "campaign", NULL };
    __typeof__(st->u.corrupt) *cr = &st->u.corrupt;
    const fw_layout_t *l = &c->l;
    if (ld_check_map(c, k, v, "corrupt", keys))
        return c->rc;

    /* the action: exactly one */
    const ynode_t *act_k = NULL, *act_v = NULL;
    int act = -1;
    for (int i = 0; actions[i]; i++) {
        const ynode_t *kn, *x = ld_get(v, actions[i], &kn);
        if (!x)
            continue;
        if (act_k)
            return ld_err_at(c, kn, "'corrupt' does one thing: '%s' and '%s' exclude each other", act_k->str, actions[i]);
        act = i, act_k = kn, act_v = x;
    }
    if (!act_k)
        return ld_err_at(c, k, "'corrupt' needs one of: field (with set or xor), flip, erase_sector, write, truncate");

    /* the target */
    const ynode_t *rk, *rv = ld_get(v, "region", &rk), *adk, *adv = ld_get(v, "address", &adk),
                  *ok, *ov = ld_get(v, "offset", &ok);
    if (rv && adv)
        return ld_err_at(c, adk, "'region' and 'address' exclude each other (use region + offset, or address)");
    if (!rv && !adv)
        return ld_err_at(c, k, "'corrupt' needs 'region' (with an optional 'offset') or 'address'");
    if (ov && !rv)
        return ld_err_at(c, ok, "'offset' is relative to 'region'; with 'address' give the absolute address");
    uint32_t a = l->flash_base, b = l->flash_base + l->flash_size, off = 0;
    if (rv) {
        if (ld_get_region(c, rk, rv, &cr->region))
            return c->rc;
        scn_region_range(l, cr->region, &a, &b);
        uint64_t o = 0;
        if (ov) {
            if (act == 2 || act == 4)
                return ld_err_at(c, ok, "'offset' does not apply to '%s' (it counts from the region's start)", act_k->str);
            if (act == 0)
                return ld_err_at(c, ok, "'offset' does not apply to 'field' (the header is at the region's start)");
            if (ld_get_size(c, ok, ov, 0, b - a - 1, &o))
                return c->rc;
        }
        off = (uint32_t)o;
        cr->address = off;
    } else {
        uint64_t x = 0;
        if (act == 2 || act == 4)
            return ld_err_at(c, adk, "'%s' needs 'region' (it counts from the region's start), not 'address'",
                          act_k->str);
        if (ld_get_num(c, adk, adv, l->flash_base, (uint64_t)l->flash_base + l->flash_size - 1, &x))
            return c->rc;
        cr->address = (uint32_t)x;
        a = cr->address;
    }
    uint32_t room = b - (a + off);                /* bytes from the target to the region's end */

    const ynode_t *sk, *sv = ld_get(v, "set", &sk), *xk, *xv = ld_get(v, "xor", &xk);
    if (act != 0 && (sv || xv))
        return ld_err_at(c, sv ? sk : xk, "'%s' applies only to 'field'", sv ? "set" : "xor");
    switch (act) {
    case 0: {                                      /* field + set | xor */
        int f = 0;
        if (ld_get_enum(c, act_k, act_v, fields, &f))
            return c->rc;
        cr->field = (scn_field_t)(f + 1);
        if (rv && cr->region != SCN_REGION_ACTIVE_HEADER && cr->region != SCN_REGION_CANDIDATE_HEADER &&
            cr->region != SCN_REGION_ACTIVE && cr->region != SCN_REGION_CANDIDATE)
            return ld_err_at(c, rv, "'field' needs a region that starts with a header: active-header, "
                          "candidate-header, active or candidate (got '%s')", scn_region_name(cr->region));
        if (room < 112)
            return ld_err_at(c, adv, "'address': a 112-byte header does not fit before the end of flash");
        if (sv && xv)
            return ld_err_at(c, xk, "'set' and 'xor' exclude each other");
        if (!sv && !xv)
            return ld_err_at(c, act_k, "'field' needs 'set: VALUE' or 'xor: MASK'");
        bool wide = cr->field == SCN_FIELD_VERSION || cr->field == SCN_FIELD_SIZE;
        bool bytes = cr->field == SCN_FIELD_DIGEST || cr->field == SCN_FIELD_CAMPAIGN;
        if (sv) {
            cr->kind = SCN_CORRUPT_SET_FIELD;
            if (bytes)
                return ld_get_hex_fixed(c, sk, sv, cr->digest, cr->field == SCN_FIELD_DIGEST ? 32 : 16,
                                     cr->field == SCN_FIELD_DIGEST ? "a SHA-256" : "a 16-byte campaign id");
            return ld_get_num(c, sk, sv, 0, wide || bytes ? UINT64_MAX : UINT32_MAX, &cr->value);
        }
        cr->kind = SCN_CORRUPT_XOR_FIELD;
        if (ld_get_num(c, xk, xv, 1, wide || bytes ? UINT64_MAX : UINT32_MAX, &cr->value))
            return c->rc;
        return 0;
    }
    case 1: {                                      /* flip */
        uint64_t m = 0;
        cr->kind = SCN_CORRUPT_FLIP;
        if (ld_get_num(c, act_k, act_v, 1, 0xff, &m))
            return c->rc;
        cr->value = m;
        return 0;
    }
    case 2: {                                      /* erase_sector: N */
        uint64_t n = 0;
        cr->kind = SCN_CORRUPT_ERASE_SECTOR;
        uint32_t nsec = (b - a + l->sector_size - 1) / l->sector_size;
        if (ld_get_num(c, act_k, act_v, 0, UINT32_MAX, &n))
            return c->rc;
        if (n >= nsec)
            return ld_err_at(c, act_v, "'erase_sector': the %s has %u sector%s of %u bytes (0..%u), not %" PRIu64,
                          scn_region_name(cr->region), nsec, nsec == 1 ? "" : "s", l->sector_size, nsec - 1, n);
        cr->address = (uint32_t)n;
        return 0;
    }
    case 3:                                        /* write */
        cr->kind = SCN_CORRUPT_WRITE;
        return ld_get_hex_bytes(c, act_k, act_v, room, &cr->bytes, &cr->nbytes);
    default: {                                     /* truncate: N bytes kept */
        uint64_t n = 0;
        cr->kind = SCN_CORRUPT_TRUNCATE;
        if (ld_get_size(c, act_k, act_v, 0, UINT32_MAX, &n))
            return c->rc;
        if (n >= b - a)
            return ld_err_at(c, act_v, "'truncate': the %s is %u bytes; keeping %" PRIu64 " erases nothing",
                          scn_region_name(cr->region), b - a, n);
        cr->length = (uint32_t)n;
        cr->address = 0;
        return 0;
    }
    }
}

static int parse_stage(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_step_t *st)
{
    static const char *const keys[] = { "image", "file", "version", "incomplete", "header", "no_header", NULL };
    static const char *const inc_keys[] = { "written", "header", NULL };
    __typeof__(st->u.stage) *sg = &st->u.stage;
    const bundled_image_t *img = NULL;
    const ynode_t *kn, *x;
    if (ld_check_map(c, k, v, "stage", keys))
        return c->rc;
    if (ld_parse_source(c, k, v, "stage", &sg->image, &sg->file, &sg->has_version, &sg->version, &img))
        return c->rc;
    if (img && img->size > fw_layout_candidate_max(&c->l))
        return ld_err_at(c, ld_get(v, "image", NULL), "'image': %s is %zu bytes; the candidate slot holds %u", img->name,
                      img->size, fw_layout_candidate_max(&c->l));
    bool no_header = false, inc_header = false;
    if ((x = ld_get(v, "no_header", &kn)) && ld_get_bool(c, kn, x, &no_header))
        return c->rc;
    const ynode_t *ik, *iv = ld_get(v, "incomplete", &ik);
    if (iv) {
        uint64_t w = 0;
        if (ld_check_map(c, ik, iv, "incomplete", inc_keys))
            return c->rc;
        if (!(x = ld_get(iv, "written", &kn)))
            return ld_missing(c, ik, iv, "incomplete", "written");
        if (ld_get_size(c, kn, x, 0, UINT32_MAX, &w))
            return c->rc;
        if (img && w >= img->size)
            return ld_err_at(c, x, "'written': %" PRIu64 " bytes is the whole of %s (%zu bytes): the stage would be "
                          "complete", w, img->name, img->size);
        const ynode_t *hk, *hv = ld_get(iv, "header", &hk);
        if (hv && ld_get_bool(c, hk, hv, &inc_header))
            return c->rc;
        if (inc_header && no_header)
            return ld_err_at(c, hk, "'header: true' contradicts 'no_header: true'");
        sg->incomplete = true;
        sg->written = (uint32_t)w;
    }
    sg->no_header = no_header || (sg->incomplete && !inc_header);
    const ynode_t *hk, *h = ld_get(v, "header", &hk);
    if (h) {
        if (sg->no_header)
            return ld_err_at(c, hk, "'header' overrides a header that is not written (%s)",
                          no_header ? "no_header: true"
                                    : "an incomplete stage has none unless incomplete: {header: true}");
        if (ld_parse_hdr_override(c, hk, h, &sg->hdr))
            return c->rc;
    }
    if (sg->file && !sg->has_version && !sg->no_header)
        return ld_err_at(c, ld_get(v, "file", NULL), "'stage' with 'file' needs 'version' (the header's firmwareVersion)");
    return c->rc;
}

/* ---- update server steps --------------------------------------------------------------------- */

static int ld_get_uuid(ctx_t *c, const ynode_t *k, const ynode_t *v, uint8_t out[16])
{
    char t[80];
    if (ld_want_scalar(c, k, v, "a UUID"))
        return c->rc;
    if (mf_parse_uuid(v->str, out) != 0)
        return ld_err_at(c, v, "'%s' must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx or 32 hex digits), got '%s'",
                      KEY(k), ld_shown(v, t));
    return 0;
}

static int parse_publish(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_step_t *st)
{
    static const char *const keys[] = { "image", "file", "version", "delta_from", "delta_from_file", "block_size",
                                        "mutate", "payload_file", "manifest_file", "key", "corrupt_signature",
                                        "manifest", NULL };
    static const char *const mkeys[] = { "vendor_id", "class_id", "version", "payload_size", "payload_digest",
                                         "format", "precursor_digest", "installed_digest", "installed_size", NULL };
    static const char *const formats[] = { "raw-binary", "arm-patch-stream", NULL };
    scn_publish_t *p = &st->u.publish;
    const bundled_image_t *img = NULL;
    const ynode_t *kn, *x;
    p->mutate = -1;
    if (ld_check_map(c, k, v, "publish", keys))
        return c->rc;
    const ynode_t *mfk, *mfv = ld_get(v, "manifest_file", &mfk), *pfk, *pfv = ld_get(v, "payload_file", &pfk);
    if (mfv && ld_get_str(c, mfk, mfv, &p->manifest_file))
        return c->rc;
    if (pfv && ld_get_str(c, pfk, pfv, &p->payload_file))
        return c->rc;
    bool raw_both = mfv && pfv;
    if (ld_get(v, "image", NULL) || ld_get(v, "file", NULL) || !raw_both) {
        if (ld_parse_source(c, k, v, "publish", &p->image, &p->file, &p->has_version, &p->version, &img))
            return c->rc;
        if (p->file && !p->has_version)
            return ld_err_at(c, ld_get(v, "file", NULL), "'publish' with 'file' needs 'version' (the manifest's payload-version)");
    }
    const ynode_t *dk, *dv = ld_get(v, "delta_from", &dk), *dfk, *dfv = ld_get(v, "delta_from_file", &dfk);
    if (dv && dfv)
        return ld_err_at(c, dfk, "'delta_from' and 'delta_from_file' exclude each other");
    if (dv && ld_get_app_image(c, dk, dv, &p->delta_from_image, &img))
        return c->rc;
    if (dfv && ld_get_str(c, dfk, dfv, &p->delta_from_file))
        return c->rc;
    bool delta = dv || dfv;
    if ((x = ld_get(v, "block_size", &kn))) {
        uint64_t b;
        if (!delta)
            return ld_err_at(c, kn, "'block_size' applies to a delta payload (give 'delta_from')");
        if (ld_get_num(c, kn, x, 128, 65536, &b))
            return c->rc;
        p->block_size = (uint32_t)b;
    }
    if ((x = ld_get(v, "mutate", &kn))) {
        char t[80];
        if (!delta)
            return ld_err_at(c, kn, "'mutate' makes a malformed delta payload: it needs 'delta_from'");
        if (ld_want_scalar(c, kn, x, "a delta mutation"))
            return c->rc;
        p->mutate = delta_mutation_parse(x->str);
        if (p->mutate < 0) {
            char list[256] = "";
            for (int i = 0; i < DELTA_MUT_COUNT; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, delta_mutation_name((delta_mutation_t)i), sizeof list - strlen(list) - 1);
            }
            return ld_err_at(c, x, "unknown delta mutation '%s' (expected one of: %s)", ld_shown(x, t), list);
        }
    }
    if (pfv && delta)
        return ld_err_at(c, pfk, "'payload_file' replaces the payload: it excludes 'delta_from'");
    if ((x = ld_get(v, "key", &kn)) && ld_get_str(c, kn, x, &p->key))
        return c->rc;
    if ((x = ld_get(v, "corrupt_signature", &kn)) && ld_get_bool(c, kn, x, &p->corrupt_signature))
        return c->rc;
    const ynode_t *mk, *mv = ld_get(v, "manifest", &mk);
    if (mv) {
        if (mfv)
            return ld_err_at(c, mk, "'manifest' overrides fields of the manifest fwemu builds; 'manifest_file' serves "
                          "a ready one");
        if (ld_check_map(c, mk, mv, "manifest", mkeys))
            return c->rc;
        if ((x = ld_get(mv, "vendor_id", &kn)) && ld_get_uuid(c, kn, x, p->m.vendor_id) == 0)
            p->m.has_vendor_id = true;
        if ((x = ld_get(mv, "class_id", &kn)) && ld_get_uuid(c, kn, x, p->m.class_id) == 0)
            p->m.has_class_id = true;
        if ((x = ld_get(mv, "version", &kn)) && ld_get_num(c, kn, x, 0, UINT64_MAX, &p->m.version) == 0)
            p->m.has_version = true;
        if ((x = ld_get(mv, "payload_size", &kn)) && ld_get_size(c, kn, x, 0, UINT32_MAX, &p->m.payload_size) == 0)
            p->m.has_payload_size = true;
        if ((x = ld_get(mv, "installed_size", &kn)) && ld_get_size(c, kn, x, 0, UINT32_MAX, &p->m.installed_size) == 0)
            p->m.has_installed_size = true;
        if ((x = ld_get(mv, "payload_digest", &kn)) && ld_get_hex_fixed(c, kn, x, p->m.payload_digest, 32, "a SHA-256") == 0)
            p->m.has_payload_digest = true;
        if ((x = ld_get(mv, "precursor_digest", &kn)) &&
            ld_get_hex_fixed(c, kn, x, p->m.precursor_digest, 32, "a SHA-256") == 0)
            p->m.has_precursor_digest = true;
        if ((x = ld_get(mv, "installed_digest", &kn)) &&
            ld_get_hex_fixed(c, kn, x, p->m.installed_digest, 32, "a SHA-256") == 0)
            p->m.has_installed_digest = true;
        if ((x = ld_get(mv, "format", &kn)) && !c->rc) {
            uint64_t f;
            if (x->type == YN_SCALAR && x->len && x->str[0] >= '0' && x->str[0] <= '9') {
                if (ld_get_num(c, kn, x, 0, UINT32_MAX, &f))
                    return c->rc;
                p->m.format = (uint32_t)f;
            } else {
                int e = 0;
                if (ld_get_enum(c, kn, x, formats, &e))
                    return c->rc;
                p->m.format = e == 0 ? 1u : 5u;
            }
            p->m.has_format = true;
        }
    }
    return c->rc;
}

static int get_resource(ctx_t *c, const ynode_t *map, char **out)
{
    const ynode_t *kn, *x = ld_get(map, "resource", &kn);
    if (!x) {
        *out = strdup("payload");
        return *out ? 0 : ld_nomem(c);
    }
    if (ld_get_str(c, kn, x, out))
        return c->rc;
    if (strlen(*out) > SRV_NAME_MAX)
        return ld_err_at(c, x, "'resource': a name of at most %d characters", SRV_NAME_MAX);
    return 0;
}

static int parse_server(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_step_t *st)
{
    static const char *const keys[] = { "link", "link_down_for", "rate", "latency", "clear_faults", "drop", "stall",
                                        "truncate", "corrupt", "serve", NULL };
    static const char *const links[] = { "up", "down", NULL };
    static const char *const fkeys[][5] = {
        { "resource", "at", "for", NULL }, { "resource", "at", "for", NULL }, { "resource", "length", NULL },
        { "resource", "offset", "xor", NULL }, { "resource", "with", NULL } };
    static const char *const fnames[] = { "drop", "stall", "truncate", "corrupt", "serve" };
    scn_server_t *sv = &st->u.server;
    const ynode_t *kn, *x;
    sv->link = -1;
    if (ld_check_map(c, k, v, "server", keys))
        return c->rc;
    if (v->n == 0)
        return ld_err_at(c, v, "'server' is empty (give one of: link, link_down_for, rate, latency, clear_faults, "
                      "drop, stall, truncate, corrupt, serve)");
    if ((x = ld_get(v, "link", &kn)) && ld_get_enum(c, kn, x, links, &sv->link))
        return c->rc;
    if ((x = ld_get(v, "link_down_for", &kn)) && ld_get_dur(c, kn, x, &sv->link_down_for_ns))
        return c->rc;
    if ((x = ld_get(v, "rate", &kn))) {
        uint64_t r;
        if (ld_get_num(c, kn, x, 0, UINT32_MAX, &r))
            return c->rc;
        sv->has_rate = true;
        sv->rate = (uint32_t)r;
    }
    if ((x = ld_get(v, "latency", &kn))) {
        if (ld_get_dur(c, kn, x, &sv->latency_ns))
            return c->rc;
        sv->has_latency = true;
    }
    if ((x = ld_get(v, "clear_faults", &kn)) && ld_get_bool(c, kn, x, &sv->clear_faults))
        return c->rc;
    size_t nf = 0;
    for (int i = 0; i < 5; i++)
        nf += ld_get(v, fnames[i], NULL) != NULL;
    if (nf) {
        sv->faults = calloc(nf, sizeof *sv->faults);
        if (!sv->faults)
            return ld_nomem(c);
    }
    for (int i = 0; i < 5; i++) {
        const ynode_t *fk, *fv = ld_get(v, fnames[i], &fk);
        if (!fv)
            continue;
        scn_fault_t *f = &sv->faults[sv->nfaults++];
        f->kind = (scn_fault_kind_t)i;
        f->pos = ld_pos_of(fk);
        f->xor_mask = 0xFF;
        if (ld_check_map(c, fk, fv, fnames[i], fkeys[i]))
            return c->rc;
        if (get_resource(c, fv, &f->resource))
            return c->rc;
        uint64_t n;
        switch (f->kind) {
        case SCN_FAULT_DROP:
        case SCN_FAULT_STALL:
            if (!(x = ld_get(fv, "at", &kn)))
                return ld_missing(c, fk, fv, fnames[i], "at");
            if (ld_get_size(c, kn, x, 0, UINT32_MAX, &n))
                return c->rc;
            f->offset = (uint32_t)n;
            if (!(x = ld_get(fv, "for", &kn)))
                return ld_missing(c, fk, fv, fnames[i], "for");
            if (ld_get_dur(c, kn, x, &f->for_ns))
                return c->rc;
            break;
        case SCN_FAULT_TRUNCATE:
            if (!(x = ld_get(fv, "length", &kn)))
                return ld_missing(c, fk, fv, fnames[i], "length");
            if (ld_get_size(c, kn, x, 0, UINT32_MAX, &n))
                return c->rc;
            f->length = (uint32_t)n;
            break;
        case SCN_FAULT_CORRUPT:
            if (!(x = ld_get(fv, "offset", &kn)))
                return ld_missing(c, fk, fv, fnames[i], "offset");
            if (ld_get_size(c, kn, x, 0, UINT32_MAX, &n))
                return c->rc;
            f->offset = (uint32_t)n;
            if ((x = ld_get(fv, "xor", &kn))) {
                if (ld_get_num(c, kn, x, 1, 0xFF, &n))
                    return c->rc;
                f->xor_mask = (uint8_t)n;
            }
            break;
        case SCN_FAULT_SERVE:
            if (!(x = ld_get(fv, "with", &kn)))
                return ld_missing(c, fk, fv, fnames[i], "with");
            if (ld_get_str(c, kn, x, &f->with))
                return c->rc;
            if (strlen(f->with) > SRV_NAME_MAX)
                return ld_err_at(c, x, "'with': a name of at most %d characters", SRV_NAME_MAX);
            break;
        }
    }
    return c->rc;
}

static int parse_repeat(ctx_t *c, const ynode_t *k, const ynode_t *v, int depth, scn_step_t *st)
{
    static const char *const keys[] = { "count", "steps", NULL };
    const ynode_t *ck, *cv, *sk, *sv;
    if (depth >= SCN_MAX_REPEAT_DEPTH)
        return ld_err_at(c, k, "'repeat' nested more than %d deep", SCN_MAX_REPEAT_DEPTH);
    if (ld_check_map(c, k, v, "repeat", keys))
        return c->rc;
    if (!(cv = ld_get(v, "count", &ck)))
        return ld_missing(c, k, v, "repeat", "count");
    if (ld_get_u32(c, ck, cv, 1, &st->u.repeat.count))
        return c->rc;
    if (st->u.repeat.count > SCN_MAX_REPEAT_COUNT)
        return ld_err_at(c, cv, "'count': %u is over %u (a repeat runs its steps at most %u times; budget.steps "
                         "bounds the whole run)", st->u.repeat.count, SCN_MAX_REPEAT_COUNT, SCN_MAX_REPEAT_COUNT);
    if (!(sv = ld_get(v, "steps", &sk)))
        return ld_missing(c, k, v, "repeat", "steps");
    return ld_parse_steps(c, sk, sv, depth + 1, &st->u.repeat.steps, &st->u.repeat.nsteps);
}

static int parse_step(ctx_t *c, const ynode_t *item, int depth, scn_step_t *st)
{
    static const char *const kinds[] = { "boot", "run", "power_loss", "reset", "corrupt", "stage", "repeat",
                                         "publish", "notify", "server", NULL };
    static const char *const resets[] = { "pin", "software", "watchdog", NULL };
    char list[256], t[80];
    ld_join(list, sizeof list, kinds, 10, ", ");
    if (item->type == YN_SCALAR) {
        /* "- boot" / "- run": the defaults */
        st->pos = ld_pos_of(item);
        if (ld_str_is(item, "boot") || ld_str_is(item, "run")) {
            st->kind = ld_str_is(item, "boot") ? SCN_STEP_BOOT : SCN_STEP_RUN;
            st->u.until.kind = SCN_UNTIL_APP_RUNNING;
            return 0;
        }
        if (ld_str_is(item, "notify")) {
            st->kind = SCN_STEP_NOTIFY;
            return 0;
        }
        for (int i = 2; kinds[i]; i++)
            if (ld_str_is(item, kinds[i]))
                return ld_err_at(c, item, "step '%s' needs a value (e.g. - %s)", kinds[i],
                              i == 2 ? "power_loss: {at: now}" : i == 3 ? "reset: pin"
                              : i == 4 ? "corrupt: {region: active-app, offset: 0, flip: 0x01}"
                              : i == 5 ? "stage: {image: app_v2}" : i == 6 ? "repeat: {count: 2, steps: [...]}"
                              : i == 7 ? "publish: {image: app_v2}" : "server: {link: down}");
        if (ld_is_null(item))
            return ld_err_at(c, item, "empty step (expected one of: %s)", list);
        return ld_err_at(c, item, "unknown step '%s' (expected one of: %s)", ld_shown(item, t), list);
    }
    if (item->type != YN_MAP)
        return ld_err_at(c, item, "a step must be a mapping with one key, the step kind (got a sequence)");
    if (item->n == 0)
        return ld_err_at(c, item, "empty step (expected one of: %s)", list);
    const ynode_t *k = item->kid[0], *v = item->kid[1];
    int which = -1;
    for (int i = 0; kinds[i] && k->type == YN_SCALAR; i++)
        if (ld_str_is(k, kinds[i]))
            which = i;
    if (which < 0) {
        char b[96];
        if (k->type != YN_SCALAR)
            return ld_err_at(c, k, "a step kind must be a word (got %s)", ld_kind_of(k, b));
        return ld_err_at(c, k, "unknown step '%s' (expected one of: %s)", ld_shown(k, t), list);
    }
    if (item->n > 2) {
        const ynode_t *k2 = item->kid[2];
        char b[96];
        return ld_err_at(c, k2, "a step has exactly one key, the step kind '%s'; %s is another key at the same level "
                      "(indent its options under '%s', or write - %s: {...})", k->str, ld_kind_of(k2, b), k->str, k->str);
    }
    st->kind = (scn_step_kind_t)which;
    st->pos = ld_pos_of(k);
    int e = 0;
    switch (st->kind) {
    case SCN_STEP_BOOT:
    case SCN_STEP_RUN:
        return ld_parse_until(c, k, v, &st->u.until);
    case SCN_STEP_POWER_LOSS:
        return parse_power_loss(c, k, v, st);
    case SCN_STEP_RESET:
        if (ld_get_enum(c, k, v, resets, &e))
            return c->rc;
        st->u.reset.kind = e == 0 ? EMU_RESET_PIN : e == 1 ? EMU_RESET_SOFTWARE : EMU_RESET_WATCHDOG;
        return 0;
    case SCN_STEP_CORRUPT:
        return parse_corrupt(c, k, v, st);
    case SCN_STEP_STAGE:
        return parse_stage(c, k, v, st);
    case SCN_STEP_REPEAT:
        return parse_repeat(c, k, v, depth, st);
    case SCN_STEP_PUBLISH:
        return parse_publish(c, k, v, st);
    case SCN_STEP_NOTIFY:
        if (!ld_is_null(v) && !(v->type == YN_MAP && v->n == 0))
            return ld_err_at(c, v, "'notify' takes no options (write - notify)");
        return 0;
    case SCN_STEP_SERVER:
        return parse_server(c, k, v, st);
    }
    return 0;
}

int ld_parse_steps(ctx_t *c, const ynode_t *k, const ynode_t *v, int depth, scn_step_t **out, size_t *nout)
{
    if (ld_want_seq(c, k, v))
        return c->rc;
    if (v->n == 0)
        return ld_err_at(c, v, "'steps' is empty (leave 'steps' out for the default: one boot until app_running)");
    scn_step_t *steps = calloc(v->n, sizeof *steps);
    if (!steps)
        return ld_nomem(c);
    *out = steps;                        /* owned by the scenario from now on (freed on error too) */
    *nout = 0;
    for (size_t i = 0; i < v->n; i++) {
        *nout = i + 1;
        if (parse_step(c, v->kid[i], depth, &steps[i]))
            return c->rc;
    }
    return 0;
}

/* Power state along the steps: run and reset need the device on. */

int ld_check_power(ctx_t *c, const scn_step_t *steps, size_t n, pstate_t *ps)
{
    for (size_t i = 0; i < n && !c->rc; i++) {
        const scn_step_t *st = &steps[i];
        switch (st->kind) {
        case SCN_STEP_BOOT:
            *ps = PS_ON;
            break;
        case SCN_STEP_RUN:
        case SCN_STEP_RESET:
            if (*ps != PS_ON)
                return ld_err_pos(c, SCN_ERR_SCHEMA, st->pos.line, st->pos.column,
                               "'%s' needs the device powered on, but it is off here (%s); use 'boot'",
                               scn_step_kind_name(st->kind),
                               *ps == PS_OFF_START ? "a scenario starts powered off"
                                                   : "an earlier power_loss has stay_off: true");
            break;
        case SCN_STEP_POWER_LOSS:
            *ps = st->u.power.stay_off ? PS_OFF_STAYED : PS_ON;
            break;
        case SCN_STEP_REPEAT: {
            pstate_t in = *ps;
            if (ld_check_power(c, st->u.repeat.steps, st->u.repeat.nsteps, ps))
                return c->rc;
            if (st->u.repeat.count > 1 && *ps != in && ld_check_power(c, st->u.repeat.steps, st->u.repeat.nsteps, ps))
                return c->rc;
            break;
        }
        default:
            break;
        }
    }
    return c->rc;
}
