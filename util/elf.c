/*
 * ELF32 little-endian ARM executable reader: see elf.h for the contract.
 *
 * Everything read from the file is bounds-checked against the file size in 64-bit arithmetic
 * before use, so no field value can make us read outside the buffer or overflow an addition.
 * The structure offsets below are those of the System V gABI, ELF32 (Elf32_Ehdr 52 bytes,
 * Elf32_Phdr 32, Elf32_Shdr 40, Elf32_Sym 16).
 *
 * Error texts: "<name>: <where>: <what>", name = the path (elf_load_file) or "<memory>"
 * (elf_parse). Every failure of the file's contents is ELF_ERR_FORMAT. elf_to_binary's texts carry
 * no name (the image has none): "segment 1 [0x..., 0x...) crosses the window [...)"; callers prefix.
 * elf_to_binary with no segment bytes in the window returns ELF_OK, *out = NULL, *len = 0.
 * Segments that map the ELF headers are trimmed (see trim_header_bytes).
 * elf_symbol returns st_value as stored (Thumb functions have bit 0 set); a global binding wins
 * over a local one of the same name.
 */
#include "elf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EHDR_SIZE 52u
#define PHDR_SIZE 32u
#define SHDR_SIZE 40u
#define SYM_SIZE 16u

#define ET_EXEC 2u
#define EM_ARM 40u
#define PT_LOAD 1u
#define SHT_SYMTAB 2u
#define SHT_STRTAB 3u
#define SHT_NOBITS 8u
#define SHF_ALLOC 0x2u
#define SHN_UNDEF 0u
#define STB_LOCAL 0u

/* Largest file elf_load_file accepts: firmware ELFs with debug info stay far below this. */
#define ELF_MAX_FILE (256u * 1024u * 1024u)

static const char ELF_MEMORY_NAME[] = "<memory>";

static void seterr(char *err, size_t errlen, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void seterr(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    int n = snprintf(err, errlen, "%s: ", name);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* [off, off+len) lies inside a buffer of `size` bytes (no overflow: 64-bit sums of 32-bit values). */
static int in_file(uint64_t off, uint64_t len, size_t size)
{
    return off <= (uint64_t)size && len <= (uint64_t)size - off;
}

int elf_is_elf(const uint8_t *data, size_t size)
{
    return data && size >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
}

void elf_free(elf_image_t *img)
{
    if (!img)
        return;
    free(img->file);
    memset(img, 0, sizeof *img);
}

/* Section table: where it is and how many entries (0 when the file has none). */
typedef struct shtab {
    uint32_t off;
    uint32_t num;
} shtab_t;

static int check_ehdr(const uint8_t *d, size_t size, const char *name, char *err, size_t errlen)
{
    if (size < EHDR_SIZE) {
        if (elf_is_elf(d, size))
            seterr(err, errlen, name, "ELF header truncated (%zu bytes, need %u)", size, EHDR_SIZE);
        else
            seterr(err, errlen, name, "not an ELF file (%zu bytes)", size);
        return ELF_ERR_FORMAT;
    }
    if (!elf_is_elf(d, size)) {
        seterr(err, errlen, name, "e_ident: not an ELF file (bad magic)");
        return ELF_ERR_FORMAT;
    }
    if (d[4] != 1) {
        seterr(err, errlen, name, "e_ident[EI_CLASS] = %u: not ELF32", d[4]);
        return ELF_ERR_FORMAT;
    }
    if (d[5] != 1) {
        seterr(err, errlen, name, "e_ident[EI_DATA] = %u: not little-endian", d[5]);
        return ELF_ERR_FORMAT;
    }
    if (d[6] != 1) {
        seterr(err, errlen, name, "e_ident[EI_VERSION] = %u, expected 1", d[6]);
        return ELF_ERR_FORMAT;
    }
    if (rd16(d + 16) != ET_EXEC) {
        seterr(err, errlen, name, "e_type = %u: not an executable (ET_EXEC)", rd16(d + 16));
        return ELF_ERR_FORMAT;
    }
    if (rd16(d + 18) != EM_ARM) {
        seterr(err, errlen, name, "e_machine = %u: not ARM (40)", rd16(d + 18));
        return ELF_ERR_FORMAT;
    }
    if (rd32(d + 20) != 1) {
        seterr(err, errlen, name, "e_version = %u, expected 1", rd32(d + 20));
        return ELF_ERR_FORMAT;
    }
    if (rd16(d + 40) < EHDR_SIZE) {
        seterr(err, errlen, name, "e_ehsize = %u, smaller than an ELF32 header", rd16(d + 40));
        return ELF_ERR_FORMAT;
    }
    return ELF_OK;
}

static int parse_segments(const uint8_t *d, size_t size, elf_image_t *img, const char *name,
                          char *err, size_t errlen)
{
    uint32_t phoff = rd32(d + 28);
    uint32_t phentsize = rd16(d + 42);
    uint32_t phnum = rd16(d + 44);

    if (phnum == 0) {
        seterr(err, errlen, name, "e_phnum = 0: no program headers");
        return ELF_ERR_FORMAT;
    }
    if (phentsize != PHDR_SIZE) {
        seterr(err, errlen, name, "e_phentsize = %u, expected %u", phentsize, PHDR_SIZE);
        return ELF_ERR_FORMAT;
    }
    if (!in_file(phoff, (uint64_t)phnum * PHDR_SIZE, size)) {
        seterr(err, errlen, name, "e_phoff + e_phnum * e_phentsize beyond end of file (e_phoff 0x%x, "
               "%u entries, file %zu bytes)", phoff, phnum, size);
        return ELF_ERR_FORMAT;
    }
    img->nseg = 0;
    for (uint32_t i = 0; i < phnum; i++) {
        const uint8_t *ph = d + phoff + (size_t)i * PHDR_SIZE;
        if (rd32(ph) != PT_LOAD)
            continue;
        uint32_t off = rd32(ph + 4), vaddr = rd32(ph + 8), paddr = rd32(ph + 12);
        uint32_t filesz = rd32(ph + 16), memsz = rd32(ph + 20);
        if (filesz > memsz) {
            seterr(err, errlen, name, "program header %u: p_filesz 0x%x > p_memsz 0x%x", i, filesz, memsz);
            return ELF_ERR_FORMAT;
        }
        if ((uint64_t)vaddr + memsz > 0x100000000ull) {
            seterr(err, errlen, name, "program header %u: p_vaddr + p_memsz wraps past 4 GiB "
                   "(0x%x + 0x%x)", i, vaddr, memsz);
            return ELF_ERR_FORMAT;
        }
        if (filesz == 0)
            continue;
        if (!in_file(off, filesz, size)) {
            seterr(err, errlen, name, "program header %u: p_offset + p_filesz beyond end of file "
                   "(0x%x + 0x%x > %zu)", i, off, filesz, size);
            return ELF_ERR_FORMAT;
        }
        if ((uint64_t)paddr + filesz > 0x100000000ull) {
            seterr(err, errlen, name, "program header %u: p_paddr + p_filesz wraps past 4 GiB "
                   "(0x%x + 0x%x)", i, paddr, filesz);
            return ELF_ERR_FORMAT;
        }
        if (img->nseg >= ELF_MAX_SEGMENTS) {
            seterr(err, errlen, name, "program header %u: more than %d loadable segments", i,
                   ELF_MAX_SEGMENTS);
            return ELF_ERR_FORMAT;
        }
        elf_segment_t *s = &img->seg[img->nseg++];
        s->paddr = paddr;
        s->vaddr = vaddr;
        s->filesz = filesz;
        s->memsz = memsz;
        s->data = img->file + off;
    }
    if (img->nseg == 0) {
        seterr(err, errlen, name, "no PT_LOAD program header with file bytes (p_filesz > 0)");
        return ELF_ERR_FORMAT;
    }
    return ELF_OK;
}

/* The section header table, or num = 0 when there is none. Checks its bounds only. */
static int section_table(const uint8_t *d, size_t size, shtab_t *t, const char *name, char *err,
                         size_t errlen)
{
    uint32_t shoff = rd32(d + 32);
    uint32_t shentsize = rd16(d + 46);
    uint32_t shnum = rd16(d + 48);

    t->off = shoff;
    t->num = 0;
    if (shnum == 0 || shoff == 0)
        return ELF_OK;     /* stripped of sections (extended numbering is not used by firmware) */
    if (shentsize != SHDR_SIZE) {
        seterr(err, errlen, name, "e_shentsize = %u, expected %u", shentsize, SHDR_SIZE);
        return ELF_ERR_FORMAT;
    }
    if (!in_file(shoff, (uint64_t)shnum * SHDR_SIZE, size)) {
        seterr(err, errlen, name, "e_shoff + e_shnum * e_shentsize beyond end of file (e_shoff 0x%x, "
               "%u entries, file %zu bytes)", shoff, shnum, size);
        return ELF_ERR_FORMAT;
    }
    t->num = shnum;
    return ELF_OK;
}

static const uint8_t *shdr(const uint8_t *d, const shtab_t *t, uint32_t i)
{
    return d + t->off + (size_t)i * SHDR_SIZE;
}

/* A symbol table and its linked string table, all bounds-checked. */
typedef struct symtab {
    const uint8_t *sym;
    uint32_t nsym;
    const char *str;
    uint32_t strsize;
} symtab_t;

/* Check section i (of type SHT_SYMTAB) and its string table; fill *st. */
static int symtab_of(const uint8_t *d, size_t size, const shtab_t *t, uint32_t i, symtab_t *st,
                     const char *name, char *err, size_t errlen)
{
    const uint8_t *sh = shdr(d, t, i);
    uint32_t off = rd32(sh + 16), sz = rd32(sh + 20), link = rd32(sh + 24), entsize = rd32(sh + 36);
    if (entsize != SYM_SIZE) {
        seterr(err, errlen, name, "section %u (SHT_SYMTAB): sh_entsize = %u, expected %u", i, entsize,
               SYM_SIZE);
        return ELF_ERR_FORMAT;
    }
    if (!in_file(off, sz, size)) {
        seterr(err, errlen, name, "section %u (SHT_SYMTAB): sh_offset + sh_size beyond end of file", i);
        return ELF_ERR_FORMAT;
    }
    if (link == 0 || link >= t->num) {
        seterr(err, errlen, name, "section %u (SHT_SYMTAB): sh_link = %u is not a section (%u sections)",
               i, link, t->num);
        return ELF_ERR_FORMAT;
    }
    const uint8_t *ss = shdr(d, t, link);
    if (rd32(ss + 4) != SHT_STRTAB) {
        seterr(err, errlen, name, "section %u (SHT_SYMTAB): sh_link = %u is not a string table", i, link);
        return ELF_ERR_FORMAT;
    }
    uint32_t soff = rd32(ss + 16), ssz = rd32(ss + 20);
    if (!in_file(soff, ssz, size)) {
        seterr(err, errlen, name, "section %u (SHT_STRTAB): sh_offset + sh_size beyond end of file", link);
        return ELF_ERR_FORMAT;
    }
    st->sym = d + off;
    st->nsym = sz / SYM_SIZE;
    st->str = (const char *)(d + soff);
    st->strsize = ssz;
    return ELF_OK;
}

static int parse_sections(const uint8_t *d, size_t size, const char *name, char *err, size_t errlen)
{
    shtab_t t;
    int rc = section_table(d, size, &t, name, err, errlen);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < t.num; i++) {
        const uint8_t *sh = shdr(d, &t, i);
        uint32_t type = rd32(sh + 4), off = rd32(sh + 16), sz = rd32(sh + 20);
        if (type != SHT_NOBITS && i != 0 && !in_file(off, sz, size)) {
            seterr(err, errlen, name, "section %u: sh_offset + sh_size beyond end of file "
                   "(0x%x + 0x%x > %zu)", i, off, sz, size);
            return ELF_ERR_FORMAT;
        }
        if (type == SHT_SYMTAB) {
            symtab_t st;
            rc = symtab_of(d, size, &t, i, &st, name, err, errlen);
            if (rc)
                return rc;
        }
    }
    return ELF_OK;
}

/*
 * GNU ld puts the ELF and program headers into the first PT_LOAD when they fit below the first
 * section in its page (an app linked at 0x8400 gets a segment from 0x8000 holding the headers).
 * Those bytes are not firmware: loading them would write ELF headers over the active header.
 * A segment whose file range starts inside the headers is trimmed to its first allocated section
 * with contents (or, without a section table, to the end of the program header table); a
 * segment left with no bytes is dropped. objcopy -O binary gives the same bytes (it goes by
 * sections).
 */
static void trim_header_bytes(elf_image_t *img)
{
    const uint8_t *d = img->file;
    uint64_t hdr_end = (uint64_t)rd32(d + 28) + (uint64_t)rd16(d + 44) * PHDR_SIZE;
    if (hdr_end < EHDR_SIZE)
        hdr_end = EHDR_SIZE;
    shtab_t t;
    if (section_table(d, img->size, &t, "", NULL, 0))
        t.num = 0;
    int out = 0;
    for (int i = 0; i < img->nseg; i++) {
        elf_segment_t s = img->seg[i];
        uint64_t off = (uint64_t)(s.data - d), end = off + s.filesz;
        if (off < hdr_end) {
            uint64_t cut = end;
            if (t.num == 0) {
                cut = hdr_end < end ? hdr_end : end;
            } else {
                for (uint32_t k = 1; k < t.num; k++) {
                    const uint8_t *sh = shdr(d, &t, k);
                    uint32_t type = rd32(sh + 4), flags = rd32(sh + 8);
                    uint32_t so = rd32(sh + 16), sz = rd32(sh + 20);
                    if (type == SHT_NOBITS || !(flags & SHF_ALLOC) || sz == 0)
                        continue;
                    if (so >= off && so < end && so < cut)
                        cut = so;
                }
            }
            uint32_t k = (uint32_t)(cut - off);
            s.paddr += k;
            s.vaddr += k;
            s.filesz -= k;
            s.memsz -= k;
            s.data += k;
            if (s.filesz == 0)
                continue;
        }
        img->seg[out++] = s;
    }
    img->nseg = out;
}

static int parse_named(const uint8_t *data, size_t size, const char *name, elf_image_t *img,
                       char *err, size_t errlen)
{
    memset(img, 0, sizeof *img);
    if (!data && size) {
        seterr(err, errlen, name, "no data");
        return ELF_ERR_FORMAT;
    }
    int rc = check_ehdr(data, size, name, err, errlen);
    if (rc)
        return rc;
    img->file = malloc(size);
    if (!img->file) {
        seterr(err, errlen, name, "out of memory (%zu bytes)", size);
        return ELF_ERR_NOMEM;
    }
    memcpy(img->file, data, size);
    img->size = size;
    img->entry = rd32(img->file + 24);
    rc = parse_segments(img->file, size, img, name, err, errlen);
    if (!rc)
        rc = parse_sections(img->file, size, name, err, errlen);
    if (!rc) {
        trim_header_bytes(img);
        if (img->nseg == 0) {
            seterr(err, errlen, name, "no PT_LOAD program header with bytes beyond the ELF headers");
            rc = ELF_ERR_FORMAT;
        }
    }
    if (rc)
        elf_free(img);
    return rc;
}

int elf_parse(const uint8_t *data, size_t size, elf_image_t *img, char *err, size_t errlen)
{
    return parse_named(data, size, ELF_MEMORY_NAME, img, err, errlen);
}

int elf_load_file(const char *path, elf_image_t *img, char *err, size_t errlen)
{
    memset(img, 0, sizeof *img);
    FILE *f = fopen(path, "rb");
    if (!f) {
        seterr(err, errlen, path, "cannot open: %s", strerror(errno));
        return ELF_ERR_IO;
    }
    size_t cap = 64 * 1024, len = 0;
    uint8_t *buf = malloc(cap);
    int rc = ELF_OK;
    if (!buf) {
        seterr(err, errlen, path, "out of memory");
        rc = ELF_ERR_NOMEM;
        goto done;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= ELF_MAX_FILE) {
                seterr(err, errlen, path, "file larger than %u MiB", ELF_MAX_FILE >> 20);
                rc = ELF_ERR_FORMAT;
                goto done;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                seterr(err, errlen, path, "out of memory");
                rc = ELF_ERR_NOMEM;
                goto done;
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                seterr(err, errlen, path, "read error: %s", strerror(errno));
                rc = ELF_ERR_IO;
                goto done;
            }
            break;
        }
    }
    rc = parse_named(buf, len, path, img, err, errlen);
done:
    free(buf);
    fclose(f);
    return rc;
}

int elf_symbol(const elf_image_t *img, const char *name, uint32_t *addr)
{
    if (!img || !img->file || !name || img->size < EHDR_SIZE)
        return ELF_ERR_NOTFOUND;
    const uint8_t *d = img->file;
    shtab_t t;
    if (section_table(d, img->size, &t, "", NULL, 0))
        return ELF_ERR_FORMAT;
    size_t want = strlen(name);
    if (want == 0)
        return ELF_ERR_NOTFOUND;
    int found_local = 0;
    uint32_t local_value = 0;
    for (uint32_t i = 0; i < t.num; i++) {
        if (rd32(shdr(d, &t, i) + 4) != SHT_SYMTAB)
            continue;
        symtab_t st;
        if (symtab_of(d, img->size, &t, i, &st, "", NULL, 0))
            return ELF_ERR_FORMAT;
        for (uint32_t k = 1; k < st.nsym; k++) {
            const uint8_t *s = st.sym + (size_t)k * SYM_SIZE;
            uint32_t nm = rd32(s);
            if (rd16(s + 14) == SHN_UNDEF || nm >= st.strsize)
                continue;
            /* name must be NUL-terminated inside the string table */
            if ((uint64_t)want >= (uint64_t)st.strsize - nm)
                continue;
            if (memcmp(st.str + nm, name, want) != 0 || st.str[nm + want] != '\0')
                continue;
            if ((s[12] >> 4) != STB_LOCAL) {
                if (addr)
                    *addr = rd32(s + 4);
                return ELF_OK;
            }
            if (!found_local) {
                found_local = 1;
                local_value = rd32(s + 4);
            }
        }
    }
    if (found_local) {
        if (addr)
            *addr = local_value;
        return ELF_OK;
    }
    return ELF_ERR_NOTFOUND;
}

int elf_to_binary(const elf_image_t *img, uint32_t base, uint32_t limit, uint8_t **out, size_t *len,
                  char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    uint64_t lo = base, hi_win = (uint64_t)base + limit;
    uint64_t hi = lo;
    for (int i = 0; i < img->nseg; i++) {
        const elf_segment_t *s = &img->seg[i];
        uint64_t a = s->paddr, e = (uint64_t)s->paddr + s->filesz;
        if (e <= lo || a >= hi_win)
            continue;
        if (a < lo || e > hi_win) {
            if (err && errlen)
                snprintf(err, errlen, "segment %d [0x%08x, 0x%08llx) crosses the window "
                         "[0x%08x, 0x%08llx)", i, s->paddr, (unsigned long long)e, base,
                         (unsigned long long)hi_win);
            return ELF_ERR_RANGE;
        }
        if (e > hi)
            hi = e;
    }
    if (hi == lo)
        return ELF_OK;     /* nothing in the window: *out = NULL, *len = 0 */
    size_t n = (size_t)(hi - lo);
    uint8_t *b = malloc(n);
    if (!b) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory (%zu bytes)", n);
        return ELF_ERR_NOMEM;
    }
    memset(b, 0xFF, n);
    for (int i = 0; i < img->nseg; i++) {
        const elf_segment_t *s = &img->seg[i];
        uint64_t a = s->paddr, e = (uint64_t)s->paddr + s->filesz;
        if (e <= lo || a >= hi_win)
            continue;
        memcpy(b + (a - lo), s->data, s->filesz);
    }
    *out = b;
    *len = n;
    return ELF_OK;
}
