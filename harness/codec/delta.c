/*
 * PELION/BSDIFF001 delta codec (see delta.h).
 *
 * Creation: a suffix array of the old image (libdivsufsort), then a bsdiff-style greedy scan over
 * the new image: at each position the longest exact match in the old image is found by binary
 * search on the suffix array; a match only starts a new control when it beats the current
 * alignment (old offset) by more than a few bytes, and the runs either side of it are extended
 * with an approximate score (matching bytes minus mismatching ones) so that diff runs absorb
 * small changes (changed constants, moved branch targets), which the byte-wise difference then
 * turns into mostly zeros for LZ4.
 *
 * Serialisation and parsing share the framing rules: every diff and extra run is cut into frames
 * of min(block, remaining) decoded bytes, each one raw LZ4 block behind a uvarint length.
 */
#include "codec/delta.h"

#include <divsufsort.h>
#include <inttypes.h>
#include <lz4.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

/* ---- errors ---------------------------------------------------------------------------- */

const char *delta_strerror(int err)
{
    switch (err) {
    case DELTA_OK: return "ok";
    case DELTA_ERR_NOMEM: return "out of memory";
    case DELTA_ERR_ARG: return "bad argument";
    case DELTA_ERR_MAGIC: return "not a PELION/BSDIFF001 patch (bad magic)";
    case DELTA_ERR_HEADER: return "bad patch header (sizes, block size or max compressed size)";
    case DELTA_ERR_VARINT: return "bad varint (longer than 10 bytes, over 64 bits, or cut by the end)";
    case DELTA_ERR_SIZES: return "controls do not produce exactly the declared new size";
    case DELTA_ERR_SEEK: return "a diff run reads outside the old image";
    case DELTA_ERR_FRAME: return "a frame is larger than the declared maximum compressed size";
    case DELTA_ERR_LZ4: return "an LZ4 block does not decode to its frame's size";
    case DELTA_ERR_TRUNCATED: return "the patch ends inside a frame";
    case DELTA_ERR_TOO_BIG: return "the patch is too large relative to the new image";
    default: return "unknown delta error";
    }
}

const char *delta_reason(int err)
{
    switch (err) {
    case DELTA_ERR_MAGIC: return "delta-magic";
    case DELTA_ERR_HEADER: return "delta-header";
    case DELTA_ERR_VARINT: return "delta-varint";
    case DELTA_ERR_SIZES: return "delta-sizes";
    case DELTA_ERR_SEEK: return "delta-seek";
    case DELTA_ERR_FRAME: return "delta-frame";
    case DELTA_ERR_LZ4: return "delta-lz4";
    case DELTA_ERR_TRUNCATED: return "delta-truncated";
    default: return NULL;
    }
}

static const char *const MUT_NAMES[DELTA_MUT_COUNT] = {
    "magic", "header", "varint", "sizes", "seek", "frame", "lz4", "truncated",
};

const char *delta_mutation_name(delta_mutation_t m)
{
    return (unsigned)m < DELTA_MUT_COUNT ? MUT_NAMES[m] : NULL;
}

int delta_mutation_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < DELTA_MUT_COUNT; i++)
        if (!strcmp(name, MUT_NAMES[i]))
            return i;
    return -1;
}

int delta_mutation_error(delta_mutation_t m)
{
    static const int errs[DELTA_MUT_COUNT] = {
        DELTA_ERR_MAGIC, DELTA_ERR_HEADER, DELTA_ERR_VARINT, DELTA_ERR_SIZES, DELTA_ERR_SEEK,
        DELTA_ERR_FRAME, DELTA_ERR_LZ4, DELTA_ERR_TRUNCATED,
    };
    return (unsigned)m < DELTA_MUT_COUNT ? errs[m] : DELTA_ERR_ARG;
}

/* ---- growable byte buffer and integer encodings -------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
    int oom;
} buf_t;

static int buf_reserve(buf_t *b, size_t more)
{
    if (b->oom)
        return -1;
    if (more <= b->cap - b->len)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static void buf_put(buf_t *b, const void *d, size_t n)
{
    if (n && !buf_reserve(b, n)) {
        memcpy(b->p + b->len, d, n);
        b->len += n;
    }
}

static void buf_uvarint(buf_t *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    do {
        t[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            t[n] |= 0x80;
        n++;
    } while (v);
    buf_put(b, t, n);
}

/* The same value in 11 bytes (10 continuation bytes): a varint the decoder must refuse. */
static void buf_uvarint_overlong(buf_t *b, uint64_t v)
{
    uint8_t t[11];
    for (int i = 0; i < 10; i++)
        t[i] = (uint8_t)(((i * 7 < 64 ? v >> (i * 7) : 0) & 0x7f) | 0x80);
    t[10] = 0;
    buf_put(b, t, sizeof t);
}

static uint64_t svarint_of(int64_t v)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return (mag << 1) | (v < 0 ? 1u : 0u);
}

/* bsdiff offtout: little-endian magnitude, sign in bit 63 (we only write non-negative values). */
static void put_offt(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- parsing --------------------------------------------------------------------------- */

typedef struct parser {
    const uint8_t *p;
    size_t len, pos;
    char *err;
    size_t errlen;
} parser_t;

static int rd_uvarint(parser_t *ps, const char *what, uint64_t *v)
{
    size_t start = ps->pos;
    uint64_t x = 0;
    for (unsigned i = 0;; i++) {
        if (i == 10) {
            fileio_seterr(ps->err, ps->errlen, "patch offset %zu: %s varint is longer than 10 bytes",
                          start, what);
            return DELTA_ERR_VARINT;
        }
        if (i >= ps->len - start) {
            fileio_seterr(ps->err, ps->errlen,
                          "patch offset %zu: %s varint is cut by the end of the patch (%zu bytes)",
                          start, what, ps->len);
            return DELTA_ERR_VARINT;
        }
        uint8_t b = ps->p[start + i];
        if (i == 9 && (b & 0x7f) > 1) {
            fileio_seterr(ps->err, ps->errlen, "patch offset %zu: %s varint overflows 64 bits",
                          start, what);
            return DELTA_ERR_VARINT;
        }
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            ps->pos = start + i + 1;
            *v = x;
            return DELTA_OK;
        }
    }
}

typedef struct header {
    uint64_t new_size;
    uint32_t block, max_comp;
} header_t;

static int parse_header(parser_t *ps, header_t *h)
{
    size_t n = ps->len < 16 ? ps->len : 16;
    for (size_t i = 0; i < n; i++) {
        if (ps->p[i] != (uint8_t)DELTA_MAGIC[i]) {
            fileio_seterr(ps->err, ps->errlen, "patch offset %zu: magic is not '%s' (byte 0x%02x)", i,
                          DELTA_MAGIC, ps->p[i]);
            return DELTA_ERR_MAGIC;
        }
    }
    if (ps->len < 16) {
        fileio_seterr(ps->err, ps->errlen, "patch offset %zu: the patch ends inside the magic (%zu bytes)",
                      ps->len, ps->len);
        return DELTA_ERR_MAGIC;
    }
    if (ps->len < DELTA_HEADER_SIZE) {
        fileio_seterr(ps->err, ps->errlen, "patch offset %zu: header cut short (%zu of %d bytes)",
                      ps->len, ps->len, DELTA_HEADER_SIZE);
        return DELTA_ERR_HEADER;
    }
    uint64_t ns = get_u64le(ps->p + 16), bs = get_u64le(ps->p + 24), mc = get_u64le(ps->p + 32);
    if (ns >> 63) {
        fileio_seterr(ps->err, ps->errlen, "patch offset 16: new size is negative (sign bit set)");
        return DELTA_ERR_HEADER;
    }
    if (bs >> 63 || bs < DELTA_BLOCK_MIN || bs > DELTA_BLOCK_MAX) {
        fileio_seterr(ps->err, ps->errlen, "patch offset 24: block size %s%" PRIu64 " is outside %u..%u",
                      bs >> 63 ? "-" : "", bs & ~((uint64_t)1 << 63), DELTA_BLOCK_MIN, DELTA_BLOCK_MAX);
        return DELTA_ERR_HEADER;
    }
    uint64_t bound = (uint64_t)LZ4_COMPRESSBOUND((int)bs);
    if (mc >> 63 || mc == 0 || mc > bound) {
        fileio_seterr(ps->err, ps->errlen,
                      "patch offset 32: max compressed frame size %s%" PRIu64
                      " is outside 1..LZ4_COMPRESSBOUND(%" PRIu64 ") = %" PRIu64,
                      mc >> 63 ? "-" : "", mc & ~((uint64_t)1 << 63), bs, bound);
        return DELTA_ERR_HEADER;
    }
    h->new_size = ns;
    h->block = (uint32_t)bs;
    h->max_comp = (uint32_t)mc;
    ps->pos = DELTA_HEADER_SIZE;
    return DELTA_OK;
}

/* One frame of min(block, left in the run) bytes, decoded into scratch; ps->pos moves past it. */
static int parse_frame(parser_t *ps, const header_t *h, size_t fn, uint8_t *scratch, int run,
                       uint32_t ctl, uint64_t done, uint64_t total)
{
    size_t foff = ps->pos;
    uint64_t clen;
    int rc;
    if (ps->pos == ps->len) {
        fileio_seterr(ps->err, ps->errlen,
                      "patch offset %zu: the patch ends inside control %" PRIu32 "'s %s run (%" PRIu64
                      " of %" PRIu64 " bytes)", foff, ctl, run == 0 ? "diff" : "extra", done, total);
        return DELTA_ERR_TRUNCATED;
    }
    if ((rc = rd_uvarint(ps, "frame length", &clen)))
        return rc;
    if (clen == 0) {
        fileio_seterr(ps->err, ps->errlen, "patch offset %zu: frame of 0 compressed bytes", foff);
        return DELTA_ERR_FRAME;
    }
    if (clen > h->max_comp) {
        fileio_seterr(ps->err, ps->errlen,
                      "patch offset %zu: frame of %" PRIu64
                      " compressed bytes exceeds the declared maximum %" PRIu32, foff, clen, h->max_comp);
        return DELTA_ERR_FRAME;
    }
    if (clen > ps->len - ps->pos) {
        fileio_seterr(ps->err, ps->errlen,
                      "patch offset %zu: frame of %" PRIu64
                      " compressed bytes is cut by the end of the patch (%zu bytes left)",
                      foff, clen, ps->len - ps->pos);
        return DELTA_ERR_TRUNCATED;
    }
    int r = LZ4_decompress_safe((const char *)ps->p + ps->pos, (char *)scratch, (int)clen, (int)fn);
    if (r != (int)fn) {
        if (r < 0)
            fileio_seterr(ps->err, ps->errlen,
                          "patch offset %zu: invalid LZ4 block (%" PRIu64 " bytes) for a frame of %zu bytes",
                          ps->pos, clen, fn);
        else
            fileio_seterr(ps->err, ps->errlen,
                          "patch offset %zu: LZ4 block decodes to %d bytes, the frame needs %zu",
                          ps->pos, r, fn);
        return DELTA_ERR_LZ4;
    }
    ps->pos += (size_t)clen;
    return DELTA_OK;
}

/* The frames of one run of control ctl (run 0: diff, added to old from oldpos; 1: extra, copied).
 * ob != NULL: the decoded bytes are appended to the new image (old and oldpos were checked). */
static int parse_run(parser_t *ps, const header_t *h, uint8_t *scratch, int run, uint64_t total,
                     uint32_t ctl, const uint8_t *old, int64_t oldpos, buf_t *ob, uint32_t *frames)
{
    for (uint64_t done = 0; done < total;) {
        size_t fn = total - done < h->block ? (size_t)(total - done) : h->block;
        int rc = parse_frame(ps, h, fn, scratch, run, ctl, done, total);
        if (rc)
            return rc;
        (*frames)++;
        if (ob) {
            if (buf_reserve(ob, fn))
                return DELTA_ERR_NOMEM;
            uint8_t *o = ob->p + ob->len;
            if (run == 0) {
                const uint8_t *src = old + oldpos + done;
                for (size_t i = 0; i < fn; i++)
                    o[i] = (uint8_t)(scratch[i] + src[i]);
            } else {
                memcpy(o, scratch, fn);
            }
            ob->len += fn;
        }
        done += fn;
    }
    return DELTA_OK;
}

/* The whole patch. old == NULL and !check_old: info only (seeks unchecked, nothing written).
 * out != NULL: the new image is built there. */
static int parse_patch(const uint8_t *old, size_t oldlen, int check_old, const uint8_t *patch,
                       size_t patchlen, size_t max_out, uint8_t **out, size_t *outlen,
                       delta_info_t *info, char *err, size_t errlen)
{
    parser_t ps = { .p = patch, .len = patchlen, .pos = 0, .err = err, .errlen = errlen };
    header_t h;
    int rc = parse_header(&ps, &h);
    if (rc)
        return rc;
    if (max_out && h.new_size > max_out) {
        fileio_seterr(err, errlen, "patch offset 16: new size %" PRIu64 " exceeds the limit of %zu bytes",
                      h.new_size, max_out);
        return DELTA_ERR_SIZES;
    }
    delta_info_t in = { .new_size = h.new_size, .block_size = h.block, .max_compressed = h.max_comp };
    uint8_t *scratch = malloc(h.block);
    buf_t ob = { 0 };
    if (!scratch)
        return DELTA_ERR_NOMEM;
    uint64_t produced = 0;
    int64_t oldpos = 0;
    rc = DELTA_OK;

    while (produced < h.new_size) {
        if (ps.pos == ps.len) {
            fileio_seterr(err, errlen,
                          "patch offset %zu: the patch ends after producing %" PRIu64
                          " of the declared %" PRIu64 " bytes", ps.pos, produced, h.new_size);
            rc = DELTA_ERR_SIZES;
            goto finish;
        }
        size_t coff = ps.pos;
        uint64_t dlen, elen, sraw;
        if ((rc = rd_uvarint(&ps, "diff_len", &dlen)) || (rc = rd_uvarint(&ps, "extra_len", &elen))
            || (rc = rd_uvarint(&ps, "old_seek", &sraw)))
            goto finish;
        uint64_t left = h.new_size - produced;
        if (dlen > left || elen > left - dlen) {
            fileio_seterr(err, errlen,
                          "patch offset %zu: control %" PRIu32 " wants %" PRIu64 " + %" PRIu64
                          " bytes but only %" PRIu64 " of the declared new size %" PRIu64 " are left",
                          coff, in.controls, dlen, elen, left, h.new_size);
            rc = DELTA_ERR_SIZES;
            goto finish;
        }
        int64_t seek = (sraw & 1) ? -(int64_t)(sraw >> 1) : (int64_t)(sraw >> 1);
        if (check_old && dlen > 0
            && (oldpos < 0 || (uint64_t)oldpos > oldlen || dlen > oldlen - (uint64_t)oldpos)) {
            fileio_seterr(err, errlen,
                          "patch offset %zu: control %" PRIu32 " diff run of %" PRIu64
                          " bytes at old position %" PRId64 " reads outside the old image of %zu bytes",
                          coff, in.controls, dlen, oldpos, oldlen);
            rc = DELTA_ERR_SEEK;
            goto finish;
        }
        in.controls++;
        if ((rc = parse_run(&ps, &h, scratch, 0, dlen, in.controls - 1, old, oldpos, out ? &ob : NULL,
                            &in.frames)) ||
            (rc = parse_run(&ps, &h, scratch, 1, elen, in.controls - 1, NULL, 0, out ? &ob : NULL,
                            &in.frames)))
            goto finish;
        produced += dlen + elen;
        in.diff_bytes += dlen;
        in.extra_bytes += elen;
        if (check_old) {
            /* dlen <= oldlen here when it was non-zero, so this cannot overflow */
            int64_t np;
            if (__builtin_add_overflow(oldpos, (int64_t)dlen, &np)
                || __builtin_add_overflow(np, seek, &np)) {
                fileio_seterr(err, errlen, "patch offset %zu: control %" PRIu32 " old_seek %" PRId64
                              " overflows the old position", coff, in.controls - 1, seek);
                rc = DELTA_ERR_SEEK;
                goto finish;
            }
            oldpos = np;
        }
    }
    if (ps.pos != ps.len) {
        fileio_seterr(err, errlen,
                      "patch offset %zu: %zu bytes after the end of the patch (the declared new size %"
                      PRIu64 " is already produced)", ps.pos, ps.len - ps.pos, h.new_size);
        rc = DELTA_ERR_SIZES;
        goto finish;
    }
finish:
    free(scratch);
    if (rc) {
        free(ob.p);
        return rc;
    }
    if (out) {
        if (!ob.p && !(ob.p = malloc(1)))
            return DELTA_ERR_NOMEM;
        *out = ob.p;
        *outlen = ob.len;
    }
    if (info)
        *info = in;
    return DELTA_OK;
}

int delta_apply(const uint8_t *old, size_t oldlen, const uint8_t *patch, size_t patchlen,
                size_t max_out, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    if ((!old && oldlen) || (!patch && patchlen) || !out || !outlen) {
        fileio_seterr(err, errlen, "delta_apply: bad arguments");
        return DELTA_ERR_ARG;
    }
    *out = NULL;
    *outlen = 0;
    static const uint8_t none[1];
    return parse_patch(old ? old : none, oldlen, 1, patch ? patch : none, patchlen,
                       max_out ? max_out : DELTA_MAX_OUT_DEFAULT, out, outlen, NULL, err, errlen);
}

int delta_info(const uint8_t *patch, size_t patchlen, delta_info_t *info, char *err, size_t errlen)
{
    if ((!patch && patchlen) || !info) {
        fileio_seterr(err, errlen, "delta_info: bad arguments");
        return DELTA_ERR_ARG;
    }
    static const uint8_t none[1];
    return parse_patch(NULL, 0, 0, patch ? patch : none, patchlen, 0, NULL, NULL, info, err, errlen);
}

/* ---- the matcher ----------------------------------------------------------------------- */

typedef struct ctrl {
    uint64_t diff, extra;
    int64_t seek;
    int64_t data_shift;     /* seek mutation only: diff bytes computed at oldpos + data_shift */
} ctrl_t;

typedef struct ctrls {
    ctrl_t *v;
    size_t n, cap;
} ctrls_t;

static int ctrls_push(ctrls_t *c, uint64_t diff, uint64_t extra, int64_t seek)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        ctrl_t *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return DELTA_ERR_NOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (ctrl_t){ diff, extra, seek, 0 };
    return DELTA_OK;
}

/* Longest match lengths are capped: it bounds the cost of one search (the scan may search at
 * every byte of a region) without changing the result much (a longer match is found again in
 * the next step at the same alignment). */
#define MATCH_CAP 4096

static int64_t common_len(const uint8_t *a, int64_t alen, const uint8_t *b, int64_t blen)
{
    int64_t n = alen < blen ? alen : blen;
    if (n > MATCH_CAP)
        n = MATCH_CAP;
    int64_t i = 0;
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

/* Longest (capped) match of nw[0..nlen) among the suffixes of old; *pos gets its start. */
static int64_t sa_longest(const saidx_t *sa, const uint8_t *old, int64_t oldlen, const uint8_t *nw,
                         int64_t nlen, int64_t *pos)
{
    *pos = 0;
    if (oldlen == 0 || nlen == 0)
        return 0;
    int64_t lo = 0, hi = oldlen - 1;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        int64_t s = sa[mid];
        int64_t n = oldlen - s < nlen ? oldlen - s : nlen;
        if (n > MATCH_CAP)
            n = MATCH_CAP;
        if (memcmp(old + s, nw, (size_t)n) < 0)
            lo = mid;
        else
            hi = mid;
    }
    int64_t l1 = common_len(old + sa[lo], oldlen - sa[lo], nw, nlen);
    int64_t l2 = common_len(old + sa[hi], oldlen - sa[hi], nw, nlen);
    if (l2 > l1) {
        *pos = sa[hi];
        return l2;
    }
    *pos = sa[lo];
    return l1;
}

static inline int same_at(const uint8_t *old, int64_t oldlen, int64_t opos, uint8_t b)
{
    return opos >= 0 && opos < oldlen && old[opos] == b;
}

static int make_controls(const uint8_t *old, int64_t oldlen, const uint8_t *nw, int64_t newlen,
                         ctrls_t *out)
{
    saidx_t *sa = NULL;
    if (oldlen > 0) {
        sa = malloc((size_t)oldlen * sizeof *sa);
        if (!sa)
            return DELTA_ERR_NOMEM;
        if (divsufsort(old, sa, (saidx_t)oldlen) != 0) {
            free(sa);
            return DELTA_ERR_NOMEM;
        }
    }
    int rc = DELTA_OK;
    int64_t scan = 0, len = 0, pos = 0;
    int64_t lastscan = 0, lastpos = 0, lastoffset = 0;
    while (scan < newlen) {
        int64_t score = 0;      /* bytes of new[scan..scan+len) that match at the current alignment */
        int64_t scored = scan + len;
        scan += len;
        for (; scan < newlen; scan++) {
            len = sa_longest(sa, old, oldlen, nw + scan, newlen - scan, &pos);
            for (; scored < scan + len; scored++)
                score += same_at(old, oldlen, scored + lastoffset, nw[scored]);
            /* stop at a match that is the current alignment itself, or clearly better than it */
            if ((len == score && len != 0) || len > score + 8)
                break;
            score -= same_at(old, oldlen, scan + lastoffset, nw[scan]);
        }
        if (len == score && scan != newlen)
            continue;   /* still on the current alignment: keep scanning */

        /* extend the previous match forward from lastscan (approximately) */
        int64_t lenf = 0;
        {
            int64_t s = 0, best = 0;
            for (int64_t i = 0; lastscan + i < scan && lastpos + i < oldlen;) {
                s += old[lastpos + i] == nw[lastscan + i];
                i++;
                if (s * 2 - i > best * 2 - lenf) {
                    best = s;
                    lenf = i;
                }
            }
        }
        /* and the new match backward from scan */
        int64_t lenb = 0;
        if (scan < newlen) {
            int64_t s = 0, best = 0;
            for (int64_t i = 1; scan >= lastscan + i && pos >= i; i++) {
                s += old[pos - i] == nw[scan - i];
                if (s * 2 - i > best * 2 - lenb) {
                    best = s;
                    lenb = i;
                }
            }
        }
        /* where the two extensions overlap, cut at the point that keeps most matching bytes */
        if (lastscan + lenf > scan - lenb) {
            int64_t overlap = (lastscan + lenf) - (scan - lenb);
            int64_t s = 0, best = 0, cut = 0;
            for (int64_t i = 0; i < overlap; i++) {
                s += nw[lastscan + lenf - overlap + i] == old[lastpos + lenf - overlap + i];
                s -= nw[scan - lenb + i] == old[pos - lenb + i];
                if (s > best) {
                    best = s;
                    cut = i + 1;
                }
            }
            lenf += cut - overlap;
            lenb -= cut;
        }
        uint64_t extra = (uint64_t)((scan - lenb) - (lastscan + lenf));
        int64_t seek = scan < newlen ? (pos - lenb) - (lastpos + lenf) : 0;
        if (lenf == 0 && extra == 0 && out->n > 0) {
            out->v[out->n - 1].seek += seek;    /* a pure repositioning: fold into the previous */
        } else if ((rc = ctrls_push(out, (uint64_t)lenf, extra, seek))) {
            break;
        }
        lastscan = scan - lenb;
        lastpos = pos - lenb;
        lastoffset = pos - scan;
    }
    free(sa);
    return rc;
}

/* ---- serialisation --------------------------------------------------------------------- */

typedef struct ser_opts {
    int overlong_first;     /* the first control's diff_len as an 11-byte varint */
    int bad_first_block;    /* the first frame's LZ4 block replaced by an invalid one */
} ser_opts_t;

typedef struct ser_stats {
    uint32_t frames;
    uint32_t max_comp;
    size_t last_block_off, last_block_len;  /* where the last frame's LZ4 block lies */
} ser_stats_t;

/* 1 literal, then a match at offset 2 when only 1 byte has been produced. */
static const uint8_t BAD_LZ4_BLOCK[4] = { 0x10, 0x00, 0x02, 0x00 };

static void put_frame(buf_t *b, const uint8_t *src, size_t n, char *cbuf, int cap, int bad,
                      ser_stats_t *st)
{
    const uint8_t *blk = BAD_LZ4_BLOCK;
    size_t clen = sizeof BAD_LZ4_BLOCK;
    if (!bad) {
        int r = LZ4_compress_default((const char *)src, cbuf, (int)n, cap);
        if (r <= 0) {
            b->oom = 1;     /* cannot happen with cap = LZ4_COMPRESSBOUND(block) */
            return;
        }
        blk = (const uint8_t *)cbuf;
        clen = (size_t)r;
    }
    buf_uvarint(b, clen);
    st->last_block_off = b->len;
    st->last_block_len = clen;
    buf_put(b, blk, clen);
    st->frames++;
    if (clen > st->max_comp)
        st->max_comp = (uint32_t)clen;
}

static int serialize(const uint8_t *old, size_t oldlen, const uint8_t *nw, size_t newlen,
                     const ctrls_t *c, uint32_t block, const ser_opts_t *so, uint8_t **patch,
                     size_t *patchlen, ser_stats_t *st)
{
    buf_t b = { 0 };
    int cap = LZ4_COMPRESSBOUND((int)block);
    char *cbuf = malloc((size_t)cap);
    uint8_t *diff = malloc(block);
    memset(st, 0, sizeof *st);
    if (!cbuf || !diff) {
        free(cbuf);
        free(diff);
        return DELTA_ERR_NOMEM;
    }
    uint8_t hdr[DELTA_HEADER_SIZE] = { 0 };
    buf_put(&b, hdr, sizeof hdr);
    int64_t op = 0;
    size_t np = 0;
    for (size_t k = 0; k < c->n && !b.oom; k++) {
        const ctrl_t *ct = &c->v[k];
        if (k == 0 && so->overlong_first)
            buf_uvarint_overlong(&b, ct->diff);
        else
            buf_uvarint(&b, ct->diff);
        buf_uvarint(&b, ct->extra);
        buf_uvarint(&b, svarint_of(ct->seek));
        for (uint64_t done = 0; done < ct->diff && !b.oom;) {
            size_t fn = ct->diff - done < block ? (size_t)(ct->diff - done) : block;
            for (size_t i = 0; i < fn; i++) {
                int64_t o = op + ct->data_shift + (int64_t)done + (int64_t)i;
                uint8_t ob = o >= 0 && (uint64_t)o < oldlen ? old[o] : 0;
                diff[i] = (uint8_t)(nw[np + done + i] - ob);
            }
            put_frame(&b, diff, fn, cbuf, cap, so->bad_first_block && st->frames == 0, st);
            done += fn;
        }
        np += ct->diff;
        for (uint64_t done = 0; done < ct->extra && !b.oom;) {
            size_t fn = ct->extra - done < block ? (size_t)(ct->extra - done) : block;
            put_frame(&b, nw + np + done, fn, cbuf, cap, so->bad_first_block && st->frames == 0, st);
            done += fn;
        }
        np += ct->extra;
        op += (int64_t)ct->diff + ct->seek;
    }
    free(cbuf);
    free(diff);
    if (b.oom) {
        free(b.p);
        return DELTA_ERR_NOMEM;
    }
    (void)newlen;
    memcpy(b.p, DELTA_MAGIC, 16);
    put_offt(b.p + 16, np);
    put_offt(b.p + 24, block);
    put_offt(b.p + 32, st->max_comp ? st->max_comp : 1);   /* 0 is invalid even without frames */
    *patch = b.p;
    *patchlen = b.len;
    return DELTA_OK;
}

static int check_inputs(const uint8_t *old, size_t oldlen, const uint8_t *new_, size_t newlen,
                        const delta_opts_t *o, uint8_t **patch, size_t *patchlen, uint32_t *block,
                        double *ratio, char *err, size_t errlen)
{
    if ((!old && oldlen) || (!new_ && newlen) || !patch || !patchlen) {
        fileio_seterr(err, errlen, "delta_create: bad arguments");
        return DELTA_ERR_ARG;
    }
    if (oldlen >= (size_t)INT32_MAX || newlen >= (size_t)INT32_MAX) {
        fileio_seterr(err, errlen, "delta_create: images of 2 GiB or more are not supported");
        return DELTA_ERR_ARG;
    }
    *block = o && o->block_size ? o->block_size : DELTA_BLOCK_DEFAULT;
    if (*block < DELTA_BLOCK_MIN || *block > DELTA_BLOCK_MAX) {
        fileio_seterr(err, errlen, "block size %" PRIu32 " is outside %u..%u", *block, DELTA_BLOCK_MIN,
                      DELTA_BLOCK_MAX);
        return DELTA_ERR_ARG;
    }
    *ratio = o && o->max_ratio != 0 ? o->max_ratio : DELTA_MAX_RATIO_DEFAULT;
    if (!(*ratio > 0)) {    /* also NaN */
        fileio_seterr(err, errlen, "max ratio %g is not positive", *ratio);
        return DELTA_ERR_ARG;
    }
    *patch = NULL;
    *patchlen = 0;
    return DELTA_OK;
}

static const uint8_t EMPTY[1];

int delta_create(const uint8_t *old, size_t oldlen, const uint8_t *new_, size_t newlen,
                 const delta_opts_t *o, uint8_t **patch, size_t *patchlen, char *err, size_t errlen)
{
    uint32_t block;
    double ratio;
    int rc = check_inputs(old, oldlen, new_, newlen, o, patch, patchlen, &block, &ratio, err, errlen);
    if (rc)
        return rc;
    if (!old)
        old = EMPTY;
    if (!new_)
        new_ = EMPTY;
    ctrls_t c = { 0 };
    rc = make_controls(old, (int64_t)oldlen, new_, (int64_t)newlen, &c);
    uint8_t *p = NULL;
    size_t plen = 0;
    ser_stats_t st;
    ser_opts_t so = { 0 };
    if (!rc)
        rc = serialize(old, oldlen, new_, newlen, &c, block, &so, &p, &plen, &st);
    free(c.v);
    if (rc) {
        fileio_seterr(err, errlen, "delta_create: %s", delta_strerror(rc));
        return rc;
    }
    if (ratio < 1 && (double)plen >= ratio * (double)newlen) {
        fileio_seterr(err, errlen,
                      "patch of %zu bytes is %.1f%% of the new image's %zu bytes (limit: under %.1f%%)",
                      plen, newlen ? 100.0 * (double)plen / (double)newlen : INFINITY, newlen,
                      100.0 * ratio);
        free(p);
        return DELTA_ERR_TOO_BIG;
    }
    *patch = p;
    *patchlen = plen;
    return DELTA_OK;
}

int delta_mutate(const uint8_t *old, size_t oldlen, const uint8_t *new_, size_t newlen,
                 const delta_opts_t *o, delta_mutation_t m, uint8_t **patch, size_t *patchlen,
                 char *err, size_t errlen)
{
    uint32_t block;
    double ratio;
    int rc = check_inputs(old, oldlen, new_, newlen, o, patch, patchlen, &block, &ratio, err, errlen);
    if (rc)
        return rc;
    if ((unsigned)m >= DELTA_MUT_COUNT) {
        fileio_seterr(err, errlen, "delta_mutate: unknown mutation %d", (int)m);
        return DELTA_ERR_ARG;
    }
    if (newlen == 0 && m != DELTA_MUT_MAGIC && m != DELTA_MUT_HEADER && m != DELTA_MUT_SIZES) {
        fileio_seterr(err, errlen, "mutation '%s' needs a non-empty new image", delta_mutation_name(m));
        return DELTA_ERR_ARG;
    }
    if (!old)
        old = EMPTY;
    if (!new_)
        new_ = EMPTY;
    ctrls_t c = { 0 };
    rc = make_controls(old, (int64_t)oldlen, new_, (int64_t)newlen, &c);
    if (!rc && m == DELTA_MUT_SEEK) {
        /* the first control after the first with a diff run: move the old position to the end of
         * the old image just before it, so that its diff run starts at old size */
        size_t k;
        int64_t op = 0;
        for (k = 0; k < c.n; k++) {
            if (k > 0 && c.v[k].diff > 0)
                break;
            op += (int64_t)c.v[k].diff + c.v[k].seek;
        }
        if (k < c.n) {
            int64_t moved = (int64_t)oldlen - op;
            c.v[k - 1].seek += moved;
            for (size_t j = k; j < c.n; j++)    /* keep the diff bytes of the natural patch */
                c.v[j].data_shift = -moved;
        } else {
            /* no natural candidate: a valid diff run of one byte whose seek goes to the end of the
             * old image, then the rest as a diff run from there (with an empty old image or a
             * one-byte new one: a control with only the seek, then the whole image) */
            uint64_t first = oldlen > 0 && newlen > 1 ? 1 : 0;
            c.n = 0;
            if (!(rc = ctrls_push(&c, first, 0, (int64_t)oldlen - (int64_t)first))
                && !(rc = ctrls_push(&c, newlen - first, 0, 0)))
                c.v[1].data_shift = (int64_t)first - (int64_t)oldlen;  /* diff against old[1..] */
        }
    }
    ser_opts_t so = { .overlong_first = m == DELTA_MUT_VARINT, .bad_first_block = m == DELTA_MUT_LZ4 };
    ser_stats_t st;
    uint8_t *p = NULL;
    size_t plen = 0;
    if (!rc)
        rc = serialize(old, oldlen, new_, newlen, &c, block, &so, &p, &plen, &st);
    free(c.v);
    if (rc) {
        fileio_seterr(err, errlen, "delta_mutate: %s", delta_strerror(rc));
        return rc;
    }
    switch (m) {
    case DELTA_MUT_MAGIC: p[0] = (uint8_t)'p'; break;
    case DELTA_MUT_HEADER: put_offt(p + 24, 64); break;
    case DELTA_MUT_SIZES: put_offt(p + 16, (uint64_t)newlen + 1000); break;
    case DELTA_MUT_FRAME: put_offt(p + 32, st.max_comp - 1); break;
    case DELTA_MUT_TRUNCATED: plen = st.last_block_off + st.last_block_len / 2; break;
    case DELTA_MUT_VARINT: case DELTA_MUT_SEEK: case DELTA_MUT_LZ4: default: break;
    }
    *patch = p;
    *patchlen = plen;
    return DELTA_OK;
}
