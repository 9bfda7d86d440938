/* Streaming PELION/BSDIFF001 patcher: see delta_patch.h for the format and the contract. */
#include "delta_patch.h"

#include <string.h>

enum {
    ST_HEADER = 0,   /* collecting the 40-byte header */
    ST_CTRL_DIFF,    /* uvarint diff_len */
    ST_CTRL_EXTRA,   /* uvarint extra_len */
    ST_CTRL_SEEK,    /* svarint old_seek */
    ST_FRAME_LEN,    /* uvarint compressed length of the next frame */
    ST_FRAME_DATA,   /* compressed bytes of the frame */
    ST_END,          /* new size produced at a control boundary: nothing more may come */
    ST_ERROR,
};
enum { PH_DIFF = 0, PH_EXTRA = 1 };

const char *delta_patch_strerror(delta_err_t err)
{
    switch (err) {
    case DELTA_OK: return "ok";
    case DELTA_ERR_MAGIC: return "delta-magic";
    case DELTA_ERR_HEADER: return "delta-header";
    case DELTA_ERR_VARINT: return "delta-varint";
    case DELTA_ERR_SIZES: return "delta-sizes";
    case DELTA_ERR_SEEK: return "delta-seek";
    case DELTA_ERR_FRAME: return "delta-frame";
    case DELTA_ERR_LZ4: return "delta-lz4";
    case DELTA_ERR_TRUNCATED: return "delta-truncated";
    case DELTA_ERR_WRITE: return "delta-write";
    default: return "delta-unknown";
    }
}

void delta_patch_init(delta_patch_t *d, const uint8_t *old, uint32_t old_size,
                      uint32_t expected_new_size, uint32_t max_new_size, delta_write_fn write,
                      void *write_ctx)
{
    memset(d, 0, offsetof(delta_patch_t, comp)); /* the buffers need no clearing */
    d->old = old;
    d->old_size = old_size;
    d->expected_new_size = expected_new_size;
    d->max_new_size = max_new_size;
    d->write = write;
    d->write_ctx = write_ctx;
    d->state = ST_HEADER;
}

uint32_t delta_patch_new_size(const delta_patch_t *d)
{
    return d->state == ST_HEADER ? 0u : d->new_size;
}

uint32_t delta_patch_written(const delta_patch_t *d)
{
    return d->out;
}

static delta_err_t set_error(delta_patch_t *d, delta_err_t err)
{
    d->state = ST_ERROR;
    d->err = (int8_t)err;
    return err;
}

/* bsdiff offtout: little-endian magnitude, bit 63 = sign. Negative: invalid here. */
static int offtin(const uint8_t *p, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | p[i];
    if (x >> 63)
        return -1;
    *v = x;
    return 0;
}

static delta_err_t parse_header(delta_patch_t *d)
{
    uint64_t new_size, block, max_comp;
    if (offtin(d->hdr + 16, &new_size) || offtin(d->hdr + 24, &block) ||
        offtin(d->hdr + 32, &max_comp))
        return set_error(d, DELTA_ERR_HEADER);
    if (block < DELTA_BLOCK_MIN || block > DELTA_BLOCK_MAX)
        return set_error(d, DELTA_ERR_HEADER);
    if (max_comp == 0 || max_comp > LZ4_COMPRESSBOUND((uint32_t)block))
        return set_error(d, DELTA_ERR_HEADER);
    if (new_size > d->max_new_size ||
        (d->expected_new_size != 0 && new_size != d->expected_new_size))
        return set_error(d, DELTA_ERR_SIZES);
    d->new_size = (uint32_t)new_size;
    d->block_size = (uint32_t)block;
    d->max_comp = (uint32_t)max_comp;
    d->state = d->new_size == 0 ? ST_END : ST_CTRL_DIFF;
    return DELTA_OK;
}

/* One more varint byte. Returns 1 when the value is complete (in d->var), 0 when more bytes are
 * needed, or an error. 10 bytes of 7 bits: the 10th may only carry bit 63. */
static int varint_byte(delta_patch_t *d, uint8_t b)
{
    if (d->var_len == 0)
        d->var = 0;
    unsigned shift = 7u * d->var_len;
    uint64_t group = b & 0x7Fu;
    if (d->var_len == DELTA_VARINT_MAX - 1u && (group > 1u || (b & 0x80u)))
        return DELTA_ERR_VARINT;
    d->var |= group << shift;
    d->var_len++;
    if (b & 0x80u)
        return 0;
    d->var_len = 0;
    return 1;
}

/* The next run of the current control, or the end of the control (seek applied). */
static delta_err_t next_run(delta_patch_t *d)
{
    if (d->phase == PH_DIFF && d->diff_left > 0) {
        d->state = ST_FRAME_LEN;
        return DELTA_OK;
    }
    d->phase = PH_EXTRA;
    if (d->extra_left > 0) {
        d->state = ST_FRAME_LEN;
        return DELTA_OK;
    }
    /* Control done: oldpos already advanced by the diff run; now the seek. */
    if (__builtin_add_overflow(d->oldpos, d->seek, &d->oldpos))
        return set_error(d, DELTA_ERR_SEEK);
    d->state = d->out == d->new_size ? ST_END : ST_CTRL_DIFF;
    return DELTA_OK;
}

/* Control complete: check it against the sizes and the old image before anything is written. */
static delta_err_t control_done(delta_patch_t *d, uint64_t diff_len, uint64_t extra_len)
{
    uint32_t room = d->new_size - d->out;
    if (diff_len > room || extra_len > room - diff_len)
        return set_error(d, DELTA_ERR_SIZES);
    if (diff_len > 0) {
        int64_t end;
        if (d->oldpos < 0 ||
            __builtin_add_overflow(d->oldpos, (int64_t)diff_len, &end) || end > d->old_size)
            return set_error(d, DELTA_ERR_SEEK);
    }
    d->diff_left = (uint32_t)diff_len;
    d->extra_left = (uint32_t)extra_len;
    d->phase = PH_DIFF;
    return next_run(d);
}

/* A complete frame is in d->comp: decode, apply, write. */
static delta_err_t frame_done(delta_patch_t *d)
{
    int n = LZ4_decompress_safe((const char *)d->comp, (char *)d->dec, (int)d->comp_len,
                                (int)d->frame_len);
    if (n < 0 || (uint32_t)n != d->frame_len)
        return set_error(d, DELTA_ERR_LZ4);
    if (d->phase == PH_DIFF) {
        const uint8_t *o = d->old + d->oldpos; /* in range: checked by control_done */
        for (uint32_t i = 0; i < d->frame_len; i++)
            d->dec[i] = (uint8_t)(d->dec[i] + o[i]);
        d->oldpos += d->frame_len;
        d->diff_left -= d->frame_len;
    } else {
        d->extra_left -= d->frame_len;
    }
    /* Cannot exceed the new size (control_done), checked again as the last line of defence. */
    if (d->frame_len > d->new_size - d->out)
        return set_error(d, DELTA_ERR_SIZES);
    if (d->write(d->write_ctx, d->dec, d->frame_len) != 0)
        return set_error(d, DELTA_ERR_WRITE);
    d->out += d->frame_len;
    return next_run(d);
}

delta_err_t delta_patch_push(delta_patch_t *d, const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        int r;
        switch (d->state) {
        case ST_HEADER: {
            size_t n = DELTA_HEADER_LEN - d->hdr_len;
            if (n > len - i)
                n = len - i;
            memcpy(d->hdr + d->hdr_len, data + i, n);
            /* the magic is checked as soon as its bytes are there */
            size_t m = d->hdr_len < DELTA_MAGIC_LEN ? d->hdr_len : DELTA_MAGIC_LEN;
            size_t mend = d->hdr_len + n < DELTA_MAGIC_LEN ? d->hdr_len + n : DELTA_MAGIC_LEN;
            if (memcmp(d->hdr + m, &DELTA_MAGIC[m], mend - m) != 0)
                return set_error(d, DELTA_ERR_MAGIC);
            d->hdr_len += (uint32_t)n;
            i += n;
            if (d->hdr_len == DELTA_HEADER_LEN && parse_header(d) != DELTA_OK)
                return (delta_err_t)d->err;
            break;
        }
        case ST_CTRL_DIFF:
        case ST_CTRL_EXTRA:
        case ST_CTRL_SEEK:
            r = varint_byte(d, data[i++]);
            if (r < 0)
                return set_error(d, (delta_err_t)r);
            if (r == 0)
                break;
            /* sizes are checked once the whole control is read (control_done), as the host
             * codec does: a huge diff_len followed by a cut varint is delta-varint on both */
            if (d->state == ST_CTRL_DIFF) {
                d->ctl_diff = d->var;
                d->state = ST_CTRL_EXTRA;
            } else if (d->state == ST_CTRL_EXTRA) {
                d->ctl_extra = d->var;
                d->state = ST_CTRL_SEEK;
            } else {
                uint64_t mag = d->var >> 1;
                d->seek = (d->var & 1u) ? -(int64_t)mag : (int64_t)mag;
                if (control_done(d, d->ctl_diff, d->ctl_extra) != DELTA_OK)
                    return (delta_err_t)d->err;
            }
            break;
        case ST_FRAME_LEN:
            r = varint_byte(d, data[i++]);
            if (r < 0)
                return set_error(d, (delta_err_t)r);
            if (r == 0)
                break;
            if (d->var == 0 || d->var > d->max_comp)
                return set_error(d, DELTA_ERR_FRAME);
            d->comp_len = (uint32_t)d->var;
            d->comp_have = 0;
            {
                uint32_t left = d->phase == PH_DIFF ? d->diff_left : d->extra_left;
                d->frame_len = left < d->block_size ? left : d->block_size;
            }
            d->state = ST_FRAME_DATA;
            break;
        case ST_FRAME_DATA: {
            size_t n = d->comp_len - d->comp_have;
            if (n > len - i)
                n = len - i;
            memcpy(d->comp + d->comp_have, data + i, n);
            d->comp_have += (uint32_t)n;
            i += n;
            if (d->comp_have == d->comp_len && frame_done(d) != DELTA_OK)
                return (delta_err_t)d->err;
            break;
        }
        case ST_END:
            return set_error(d, DELTA_ERR_SIZES); /* bytes after the end */
        default:
            return (delta_err_t)d->err;
        }
    }
    return d->state == ST_ERROR ? (delta_err_t)d->err : DELTA_OK;
}

delta_err_t delta_patch_finish(delta_patch_t *d)
{
    switch (d->state) {
    case ST_END:
        return DELTA_OK;
    case ST_ERROR:
        return (delta_err_t)d->err;
    case ST_HEADER:
        return set_error(d, d->hdr_len < DELTA_MAGIC_LEN ? DELTA_ERR_MAGIC : DELTA_ERR_HEADER);
    case ST_CTRL_DIFF:
        /* between controls: complete, but short of the new size (else we would be in ST_END) */
        return set_error(d, d->var_len ? DELTA_ERR_VARINT : DELTA_ERR_SIZES);
    case ST_CTRL_EXTRA:
    case ST_CTRL_SEEK:
        return set_error(d, DELTA_ERR_VARINT);
    case ST_FRAME_LEN:
        return set_error(d, d->var_len ? DELTA_ERR_VARINT : DELTA_ERR_TRUNCATED);
    default: /* ST_FRAME_DATA */
        return set_error(d, DELTA_ERR_TRUNCATED);
    }
}
