/*
 * ELF reader (emu/elf.c), flash image assembly (harness/codec/image.c), dump inspection and the
 * bootloader verdict (harness/codec/inspect.c), and the image / inspect CLI verbs.
 *
 * The ELF is built by hand in memory: three program headers (flash text at 0x8400, .data loaded
 * at 0x8418 and run at 0x20000000, .bss), a symbol table with its string table, a .text section,
 * and the section header table last, so that every truncation cuts something the reader needs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "cli/cli.h"
#include "elf.h"
#include "codec/image.h"
#include "codec/inspect.h"      /* also brings codec/layout.h (firmware/common has a layout.h too) */
#include "mbed_header.h"
#include "test_cli_capture.h"
#include "test_codec_tmpdir.h"

/* ---- a hand-built ELF ------------------------------------------------------------------ */

enum {
    PH_OFF = 52, PH_NUM = 4,
    TEXT_OFF = 180, TEXT_LEN = 16,
    DATA_OFF = 196, DATA_LEN = 8,
    SYM_OFF = 204, SYM_NUM = 4,
    STR_OFF = SYM_OFF + SYM_NUM * 16,   /* 268 */
    STR_LEN = 28,
    SH_OFF = 296, SH_NUM = 4,
    ELF_LEN = SH_OFF + SH_NUM * 40,     /* 456 */
};
static const char STRTAB[STR_LEN] = "\0Reset_Handler\0g_local\0ext\0";

static uint8_t elf[ELF_LEN];

static void w16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, v); w16(p + 2, v >> 16); }

static void phdr(int i, uint32_t type, uint32_t off, uint32_t vaddr, uint32_t paddr, uint32_t filesz,
                 uint32_t memsz)
{
    uint8_t *p = elf + PH_OFF + 32 * i;
    w32(p, type); w32(p + 4, off); w32(p + 8, vaddr); w32(p + 12, paddr);
    w32(p + 16, filesz); w32(p + 20, memsz); w32(p + 24, 5); w32(p + 28, 4);
}

static void sym(int i, uint32_t name, uint32_t value, uint8_t info, uint16_t shndx)
{
    uint8_t *p = elf + SYM_OFF + 16 * i;
    w32(p, name); w32(p + 4, value); w32(p + 8, 4); p[12] = info; p[13] = 0; w16(p + 14, shndx);
}

static void shdr(int i, uint32_t type, uint32_t flags, uint32_t off, uint32_t size, uint32_t link,
                 uint32_t entsize)
{
    uint8_t *p = elf + SH_OFF + 40 * i;
    memset(p, 0, 40);
    w32(p + 4, type); w32(p + 8, flags); w32(p + 16, off); w32(p + 20, size); w32(p + 24, link);
    w32(p + 36, entsize);
}

static void build_elf(void)
{
    memset(elf, 0, sizeof elf);
    memcpy(elf, "\x7f" "ELF", 4);
    elf[4] = 1; elf[5] = 1; elf[6] = 1;
    w16(elf + 16, 2);            /* ET_EXEC */
    w16(elf + 18, 40);           /* EM_ARM */
    w32(elf + 20, 1);
    w32(elf + 24, 0x8401);       /* e_entry */
    w32(elf + 28, PH_OFF);
    w32(elf + 32, SH_OFF);
    w32(elf + 36, 0x05000200);
    w16(elf + 40, 52); w16(elf + 42, 32); w16(elf + 44, PH_NUM);
    w16(elf + 46, 40); w16(elf + 48, SH_NUM); w16(elf + 50, 0);
    phdr(0, 1, TEXT_OFF, 0x8400, 0x8400, TEXT_LEN, TEXT_LEN);               /* text */
    phdr(1, 1, DATA_OFF, 0x20000000, 0x8418, DATA_LEN, 32);                 /* .data */
    phdr(2, 1, 0, 0x20000020, 0x20000020, 0, 64);                           /* .bss */
    phdr(3, 0x6474e551, 0, 0, 0, 0, 0);                                     /* GNU_STACK */
    for (int i = 0; i < TEXT_LEN; i++)
        elf[TEXT_OFF + i] = (uint8_t)(0xA0 + i);
    for (int i = 0; i < DATA_LEN; i++)
        elf[DATA_OFF + i] = (uint8_t)(0xD0 + i);
    sym(0, 0, 0, 0, 0);
    sym(1, 1, 0x8401, 0x12, 1);  /* Reset_Handler: GLOBAL FUNC */
    sym(2, 15, 0x20000000, 0x01, 2);   /* g_local: LOCAL OBJECT */
    sym(3, 23, 0, 0x10, 0);      /* ext: GLOBAL, undefined */
    memcpy(elf + STR_OFF, STRTAB, STR_LEN);
    shdr(0, 0, 0, 0, 0, 0, 0);
    shdr(1, 2, 0, SYM_OFF, SYM_NUM * 16, 2, 16);
    shdr(2, 3, 0, STR_OFF, STR_LEN, 0, 0);
    shdr(3, 1, 0x6, TEXT_OFF, TEXT_LEN, 0, 0);   /* .text: PROGBITS, ALLOC | EXECINSTR */
}

static int setup_elf(void **state)
{
    build_elf();
    return 0;
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void elf_parse_reads_segments_entry_and_symbols(void **state)
{
    elf_image_t img;
    char err[256] = "";
    assert_int_equal(elf_parse(elf, sizeof elf, &img, err, sizeof err), ELF_OK);
    assert_int_equal(img.entry, 0x8401);
    assert_int_equal(img.nseg, 2);                 /* .bss has no file bytes */
    assert_int_equal(img.seg[0].paddr, 0x8400);
    assert_int_equal(img.seg[0].filesz, TEXT_LEN);
    assert_memory_equal(img.seg[0].data, elf + TEXT_OFF, TEXT_LEN);
    assert_int_equal(img.seg[1].paddr, 0x8418);
    assert_int_equal(img.seg[1].vaddr, 0x20000000);
    assert_int_equal(img.seg[1].memsz, 32);

    uint32_t a = 0;
    assert_int_equal(elf_symbol(&img, "Reset_Handler", &a), ELF_OK);
    assert_int_equal(a, 0x8401);
    assert_int_equal(elf_symbol(&img, "g_local", &a), ELF_OK);
    assert_int_equal(a, 0x20000000);
    assert_int_equal(elf_symbol(&img, "ext", &a), ELF_ERR_NOTFOUND);      /* undefined */
    assert_int_equal(elf_symbol(&img, "Reset", &a), ELF_ERR_NOTFOUND);    /* prefix only */
    assert_int_equal(elf_symbol(&img, "nope", &a), ELF_ERR_NOTFOUND);
    assert_int_equal(elf_symbol(&img, "", &a), ELF_ERR_NOTFOUND);
    elf_free(&img);
}

static void elf_without_sections_still_loads(void **state)
{
    w16(elf + 48, 0);
    elf_image_t img;
    assert_int_equal(elf_parse(elf, sizeof elf, &img, NULL, 0), ELF_OK);
    uint32_t a;
    assert_int_equal(elf_symbol(&img, "Reset_Handler", &a), ELF_ERR_NOTFOUND);
    elf_free(&img);
}

/* GNU ld maps the ELF headers into the first PT_LOAD when they fit below the first section. */
static void elf_segment_mapping_the_headers_is_trimmed_to_the_first_section(void **state)
{
    elf_image_t img;
    phdr(0, 1, 0, 0x8400 - TEXT_OFF, 0x8400 - TEXT_OFF, TEXT_OFF + TEXT_LEN, TEXT_OFF + TEXT_LEN);
    assert_int_equal(elf_parse(elf, sizeof elf, &img, NULL, 0), ELF_OK);
    assert_int_equal(img.nseg, 2);
    assert_int_equal(img.seg[0].paddr, 0x8400);
    assert_int_equal(img.seg[0].vaddr, 0x8400);
    assert_int_equal(img.seg[0].filesz, TEXT_LEN);
    assert_memory_equal(img.seg[0].data, elf + TEXT_OFF, TEXT_LEN);
    elf_free(&img);

    w16(elf + 48, 0);            /* no section table: trimmed after the program headers */
    assert_int_equal(elf_parse(elf, sizeof elf, &img, NULL, 0), ELF_OK);
    assert_int_equal(img.seg[0].paddr, 0x8400);
    assert_int_equal(img.seg[0].filesz, TEXT_LEN);
    elf_free(&img);

    w16(elf + 48, SH_NUM);       /* a segment of headers only is dropped */
    phdr(0, 1, 0, 0x8400 - TEXT_OFF, 0x8400 - TEXT_OFF, TEXT_OFF, TEXT_OFF);
    assert_int_equal(elf_parse(elf, sizeof elf, &img, NULL, 0), ELF_OK);
    assert_int_equal(img.nseg, 1);
    assert_int_equal(img.seg[0].paddr, 0x8418);
    elf_free(&img);
}

static void elf_truncated_at_any_length_is_a_format_error(void **state)
{
    for (size_t n = 0; n < sizeof elf; n++) {
        uint8_t *copy = malloc(n ? n : 1);     /* exact size so ASan sees any overread */
        memcpy(copy, elf, n);
        elf_image_t img;
        char err[256] = "";
        int rc = elf_parse(copy, n, &img, err, sizeof err);
        if (rc != ELF_ERR_FORMAT)
            fail_msg("truncated to %zu bytes: rc %d (%s)", n, rc, err);
        assert_true(strncmp(err, "<memory>: ", 10) == 0);
        free(copy);
    }
}

typedef struct corruption {
    const char *what;
    uint32_t off;
    int width;               /* 1, 2 or 4 bytes */
    uint32_t value;
    const char *expect;      /* text the error must contain */
} corruption_t;

#define PH(i, f) (PH_OFF + 32 * (i) + (f))
#define SH(i, f) (SH_OFF + 40 * (i) + (f))

static const corruption_t corruptions[] = {
    { "magic", 1, 1, 'X', "not an ELF" },
    { "class", 4, 1, 2, "EI_CLASS" },
    { "data", 5, 1, 2, "EI_DATA" },
    { "ident version", 6, 1, 0, "EI_VERSION" },
    { "type", 16, 2, 1, "e_type" },
    { "machine", 18, 2, 3, "e_machine" },
    { "version", 20, 4, 0, "e_version" },
    { "ehsize", 40, 2, 10, "e_ehsize" },
    { "phoff huge", 28, 4, 0xFFFFFFF0u, "e_phoff" },
    { "phoff near end", 28, 4, ELF_LEN - 10, "e_phoff" },
    { "phentsize", 42, 2, 31, "e_phentsize" },
    { "phnum zero", 44, 2, 0, "e_phnum" },
    { "phnum huge", 44, 2, 0xFFFF, "e_phoff" },
    { "p_offset wraps", PH(0, 4), 4, 0xFFFFFFF8u, "program header 0: p_offset + p_filesz beyond end of file" },
    { "p_offset past end", PH(1, 4), 4, ELF_LEN - 4, "program header 1: p_offset + p_filesz" },
    { "p_filesz > p_memsz", PH(0, 16), 4, 0x100, "program header 0: p_filesz" },
    { "p_paddr wraps", PH(0, 12), 4, 0xFFFFFFF8u, "program header 0: p_paddr" },
    { "p_vaddr wraps", PH(2, 8), 4, 0xFFFFFFF0u, "program header 2: p_vaddr" },
    { "no loadable segment", PH(0, 0), 4, 6, "" },   /* patched with PH(1) below */
    { "shoff huge", 32, 4, 0xFFFFFFFFu, "e_shoff" },
    { "shentsize", 46, 2, 39, "e_shentsize" },
    { "shnum huge", 48, 2, 0xFFFF, "e_shoff" },
    { "symtab offset", SH(1, 16), 4, 0xFFFFFF00u, "section 1" },
    { "symtab size", SH(1, 20), 4, 0x7FFFFFFFu, "section 1" },
    { "symtab entsize", SH(1, 36), 4, 15, "sh_entsize" },
    { "symtab link zero", SH(1, 24), 4, 0, "sh_link" },
    { "symtab link huge", SH(1, 24), 4, 99, "sh_link" },
    { "strtab type", SH(2, 4), 4, 1, "not a string table" },
    { "strtab offset", SH(2, 16), 4, ELF_LEN, "section 2" },
    { "strtab size wraps", SH(2, 20), 4, 0xFFFFFFFFu, "section 2" },
};

static void elf_each_corrupted_field_is_a_format_error_naming_it(void **state)
{
    for (size_t i = 0; i < sizeof corruptions / sizeof corruptions[0]; i++) {
        const corruption_t *c = &corruptions[i];
        build_elf();
        if (c->width == 1)
            elf[c->off] = (uint8_t)c->value;
        else if (c->width == 2)
            w16(elf + c->off, c->value);
        else
            w32(elf + c->off, c->value);
        if (strcmp(c->what, "no loadable segment") == 0)
            w32(elf + PH(1, 0), 6);
        elf_image_t img;
        char err[256] = "";
        int rc = elf_parse(elf, sizeof elf, &img, err, sizeof err);
        if (rc != ELF_ERR_FORMAT)
            fail_msg("%s: rc %d, expected ELF_ERR_FORMAT (%s)", c->what, rc, err);
        if (!strstr(err, c->expect))
            fail_msg("%s: error '%s' does not mention '%s'", c->what, err, c->expect);
    }
    build_elf();
}

static void elf_random_corruption_never_crashes(void **state)
{
    for (int round = 0; round < 20000; round++) {
        build_elf();
        int flips = 1 + (int)(rnd() % 4);
        for (int k = 0; k < flips; k++) {
            uint32_t off = rnd() % ELF_LEN;
            elf[off] = (uint8_t)(rnd() % 3 == 0 ? 0xFF : rnd());
        }
        size_t n = rnd() % 8 == 0 ? rnd() % ELF_LEN : ELF_LEN;
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, elf, n);
        elf_image_t img;
        char err[128];
        if (elf_parse(copy, n, &img, err, sizeof err) == ELF_OK) {
            uint32_t a;
            uint8_t *bin;
            size_t len;
            (void)elf_symbol(&img, "Reset_Handler", &a);
            (void)elf_symbol(&img, "g_local", &a);
            if (elf_to_binary(&img, 0x8400, 0x100000 - 0x8400, &bin, &len, err, sizeof err) == ELF_OK)
                free(bin);
            elf_free(&img);
        }
        free(copy);
    }
    build_elf();
}

static void elf_to_binary_flattens_flash_segments_with_ff_gaps(void **state)
{
    elf_image_t img;
    uint8_t *bin;
    size_t len;
    char err[256] = "";
    assert_int_equal(elf_parse(elf, sizeof elf, &img, NULL, 0), ELF_OK);
    assert_int_equal(elf_to_binary(&img, 0x8400, 0x100000 - 0x8400, &bin, &len, err, sizeof err), ELF_OK);
    assert_int_equal(len, 0x20);
    assert_memory_equal(bin, elf + TEXT_OFF, TEXT_LEN);
    for (int i = 16; i < 24; i++)
        assert_int_equal(bin[i], 0xFF);
    assert_memory_equal(bin + 24, elf + DATA_OFF, DATA_LEN);
    free(bin);

    /* a segment crossing the window */
    assert_int_equal(elf_to_binary(&img, 0x8408, 0x1000, &bin, &len, err, sizeof err), ELF_ERR_RANGE);
    assert_non_null(strstr(err, "segment 0"));
    /* a window holding nothing */
    assert_int_equal(elf_to_binary(&img, 0x40000, 0x1000, &bin, &len, err, sizeof err), ELF_OK);
    assert_int_equal(len, 0);
    assert_null(bin);
    elf_free(&img);
}

static int setup_tmp(void **state)
{
    build_elf();
    return tmpdir_make("image");
}

static int teardown_tmp(void **state) { return tmpdir_remove(); }

static void elf_load_file_names_the_file(void **state)
{
    elf_image_t img;
    char err[512] = "";
    const char *p = tmp_path("broken.elf");
    assert_int_equal(elf_load_file(tmp_path("missing.elf"), &img, err, sizeof err), ELF_ERR_IO);
    assert_non_null(strstr(err, "missing.elf: cannot open"));
    w32(elf + PH(1, 4), ELF_LEN - 4);
    write_file(p, elf, sizeof elf);
    build_elf();
    assert_int_equal(elf_load_file(p, &img, err, sizeof err), ELF_ERR_FORMAT);
    assert_non_null(strstr(err, "broken.elf: program header 1: p_offset + p_filesz beyond end of file"));
    write_file(p, elf, sizeof elf);
    assert_int_equal(elf_load_file(p, &img, err, sizeof err), ELF_OK);
    assert_int_equal(img.nseg, 2);
    elf_free(&img);
}

static void image_load_fw_flattens_an_elf_and_takes_raw_as_is(void **state)
{
    uint8_t *b;
    size_t n;
    char err[512] = "";
    write_file(tmp_path("app.elf"), elf, sizeof elf);
    assert_int_equal(image_load_fw(tmp_path("app.elf"), 0x8400, &b, &n, err, sizeof err), IMAGE_OK);
    assert_int_equal(n, 0x20);
    assert_memory_equal(b, elf + TEXT_OFF, TEXT_LEN);
    free(b);

    /* linked for another slot: a flash segment below the link base */
    assert_int_equal(image_load_fw(tmp_path("app.elf"), 0x8410, &b, &n, err, sizeof err),
                     IMAGE_ERR_FORMAT);
    assert_non_null(strstr(err, "app.elf: loadable segment 0"));

    const uint8_t raw[5] = { 1, 2, 3, 4, 5 };
    write_file(tmp_path("app.bin"), raw, sizeof raw);
    assert_int_equal(image_load_fw(tmp_path("app.bin"), 0x8400, &b, &n, err, sizeof err), IMAGE_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(b, raw, 5);
    free(b);

    write_file(tmp_path("empty.bin"), raw, 0);
    assert_int_equal(image_load_fw(tmp_path("empty.bin"), 0x8400, &b, &n, err, sizeof err),
                     IMAGE_ERR_FORMAT);
    assert_non_null(strstr(err, "empty.bin: empty file"));

    w16(elf + 18, 3);
    assert_int_equal(image_load_fw_buf("bundled:x", elf, sizeof elf, 0x8400, &b, &n, err, sizeof err),
                     IMAGE_ERR_FORMAT);
    assert_string_equal(err, "bundled:x: e_machine = 3: not ARM (40)");
    build_elf();
}

/* ---- headers, assembly, inspection ------------------------------------------------------ */

static void image_make_header_matches_the_known_answer_fields(void **state)
{
    static uint8_t fw[4096];
    for (int i = 0; i < 4096; i++)
        fw[i] = (uint8_t)i;
    uint8_t h[MBED_HDR_V2_SIZE];
    image_make_header(1600000000ull, fw, sizeof fw, h);
    /* mbed-update-design.md section 1, bytes [0,88): magic .. SHA-256 */
    static const uint8_t want[56] = {
        0x5a, 0x51, 0xb3, 0xd4, 0, 0, 0, 2, 0, 0, 0, 0, 0x5f, 0x5e, 0x10, 0x00,
        0, 0, 0, 0, 0, 0, 0x10, 0x00, 0xc8, 0xf5, 0xd0, 0x34, 0x1d, 0x54, 0xd9, 0x51,
        0xa7, 0x1b, 0x13, 0x6e, 0x6e, 0x2a, 0xfc, 0xb1, 0x4d, 0x11, 0xed, 0x84, 0x89, 0xa7, 0xae, 0x12,
        0x6a, 0x8f, 0xee, 0x0d, 0xf6, 0xec, 0xf1, 0x93,
    };
    assert_memory_equal(h, want, sizeof want);
    for (int i = 56; i < 108; i++)
        assert_int_equal(h[i], 0);
    mbed_hdr_v2_t d;
    assert_int_equal(mbed_hdr_v2_decode(h, sizeof h, &d), MBED_HDR_OK);
}

static uint8_t *flash;
static fw_layout_t L;
static inspect_result_t R;
static uint8_t body1[5000], body2[7000], bootl[3000];

static int setup_flash(void **state)
{
    fw_layout_default(&L);
    flash = malloc(L.flash_size);
    for (size_t i = 0; i < sizeof body1; i++)
        body1[i] = (uint8_t)rnd();
    for (size_t i = 0; i < sizeof body2; i++)
        body2[i] = (uint8_t)rnd();
    for (size_t i = 0; i < sizeof bootl; i++)
        bootl[i] = (uint8_t)rnd();
    return flash ? setup_tmp(state) : -1;
}

static int teardown_flash(void **state)
{
    free(flash);
    return teardown_tmp(state);
}

static void assemble(const uint8_t *a, size_t alen, uint64_t av, const uint8_t *c, size_t clen,
                     uint64_t cv)
{
    image_parts_t p = {
        .bootloader = { .name = "boot.bin", .data = bootl, .len = sizeof bootl },
        .active = { .name = "a.bin", .data = a, .len = alen, .version = av },
        .candidate = { .name = "c.bin", .data = c, .len = clen, .version = cv },
    };
    char err[256] = "";
    int rc = image_assemble(&L, &p, flash, L.flash_size, err, sizeof err);
    if (rc)
        fail_msg("image_assemble: %s", err);
}

static void inspect_now(void)
{
    char err[256] = "";
    int rc = inspect_flash(&L, flash, L.flash_size, "t.bin", &R, err, sizeof err);
    if (rc)
        fail_msg("inspect_flash: %s", err);
}

static void layout_default_is_the_k64f_internal_flash_layout(void **state)
{
    uint32_t s, e;
    assert_int_equal(L.flash_size, 0x100000);
    assert_int_equal(L.candidate_payload_offset, 0x70);
    assert_int_equal(L.app_max_size, 0x80000 - 0x8400);
    const struct { const char *n; uint32_t s, e; } want[] = {
        { "bootloader", 0, 0x8000 }, { "active-header", 0x8000, 0x8400 },
        { "active-app", 0x8400, 0x80000 }, { "kvstore", 0x80000, 0x88000 },
        { "candidate-header", 0x88000, 0x88070 }, { "candidate-payload", 0x88070, 0x100000 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(fw_layout_region(&L, want[i].n, &s, &e), FW_LAYOUT_OK);
        assert_int_equal(s, want[i].s);
        assert_int_equal(e, want[i].e);
        assert_string_equal(fw_region_name((fw_region_id_t)i), want[i].n);
    }
    assert_int_equal(fw_layout_region(&L, "nope", &s, &e), FW_LAYOUT_ERR_NOTFOUND);
    assert_int_equal(fw_layout_candidate_max(&L), 0x80000 - 0x8400);   /* max-application-size bounds it */
}

static void assemble_places_bootloader_headers_and_bodies(void **state)
{
    assemble(body1, sizeof body1, 1, body2, sizeof body2, 2);
    assert_memory_equal(flash, bootl, sizeof bootl);
    assert_int_equal(flash[sizeof bootl], 0xFF);
    uint8_t h[MBED_HDR_V2_SIZE];
    image_make_header(1, body1, sizeof body1, h);
    assert_memory_equal(flash + 0x8000, h, sizeof h);
    assert_memory_equal(flash + 0x8400, body1, sizeof body1);
    image_make_header(2, body2, sizeof body2, h);
    assert_memory_equal(flash + 0x88000, h, sizeof h);
    assert_memory_equal(flash + 0x88070, body2, sizeof body2);
    for (uint32_t a = 0x80000; a < 0x88000; a++)
        assert_int_equal(flash[a], 0xFF);
}

static void assemble_refuses_parts_that_do_not_fit_naming_them(void **state)
{
    char err[256] = "";
    static uint8_t big[0x80000];
    image_parts_t p = { .active = { .name = "big.bin", .data = big, .len = sizeof big } };
    assert_int_equal(image_assemble(&L, &p, flash, L.flash_size, err, sizeof err), IMAGE_ERR_SIZE);
    assert_non_null(strstr(err, "active image 'big.bin' is 524288 bytes"));
    image_parts_t q = { .candidate = { .name = "c.bin", .data = big, .len = 0x77C01 } };
    assert_int_equal(image_assemble(&L, &q, flash, L.flash_size, err, sizeof err), IMAGE_ERR_SIZE);
    assert_non_null(strstr(err, "candidate image 'c.bin'"));
    image_parts_t r = { .bootloader = { .name = "bl.bin", .data = big, .len = 0x8001 } };
    assert_int_equal(image_assemble(&L, &r, flash, L.flash_size, err, sizeof err), IMAGE_ERR_SIZE);
    assert_non_null(strstr(err, "bootloader image 'bl.bin'"));
    assert_int_equal(image_assemble(&L, &r, flash, 4096, err, sizeof err), IMAGE_ERR_SIZE);
}

static void active_only_boots_the_active_image(void **state)
{
    assemble(body1, sizeof body1, 1, NULL, 0, 0);
    inspect_now();
    assert_int_equal(R.active.format, MBED_HDR_FMT_V2);
    assert_true(R.active.crc_ok);
    assert_true(R.active.digest_ok);
    assert_true(R.active.valid);
    assert_int_equal(R.candidate.format, MBED_HDR_FMT_ERASED);
    assert_false(R.candidate.present);
    assert_int_equal(R.decision.action, INSPECT_ACT_BOOT);
    assert_true(R.decision.version == 1);
    assert_string_equal(R.decision.text, "boot active v1");
}

static void newer_candidate_is_installed(void **state)
{
    assemble(body1, sizeof body1, 1, body2, sizeof body2, 2);
    inspect_now();
    assert_true(R.candidate.valid);
    assert_true(R.candidate_newer);
    assert_int_equal(R.decision.action, INSPECT_ACT_INSTALL);
    assert_true(R.decision.version == 2);
    assert_string_equal(R.decision.text, "install candidate v2 then boot it");
}

static void older_candidate_is_ignored(void **state)
{
    assemble(body1, sizeof body1, 2, body2, sizeof body2, 1);
    inspect_now();
    assert_true(R.candidate.valid);
    assert_false(R.candidate_newer);
    assert_int_equal(R.decision.action, INSPECT_ACT_IGNORE);
    assert_true(R.decision.version == 2);
    assert_string_equal(R.decision.text, "ignore candidate (not newer), boot active v2");

    assemble(body1, sizeof body1, 2, body2, sizeof body2, 2);     /* equal is not newer */
    inspect_now();
    assert_int_equal(R.decision.action, INSPECT_ACT_IGNORE);
}

static void corrupted_active_body_fails_the_digest_and_the_candidate_is_installed(void **state)
{
    assemble(body1, sizeof body1, 1, body2, sizeof body2, 2);
    flash[0x8400 + 100] ^= 0x01;
    inspect_now();
    assert_true(R.active.crc_ok);
    assert_true(R.active.size_ok);
    assert_true(R.active.digest_checked);
    assert_false(R.active.digest_ok);
    assert_false(R.active.valid);
    assert_non_null(strstr(R.active.reason, "digest mismatch"));
    assert_int_equal(R.decision.action, INSPECT_ACT_INSTALL);
    assert_string_equal(R.decision.text, "install candidate v2 (active invalid)");
}

static void invalid_active_accepts_an_older_candidate(void **state)
{
    assemble(body1, sizeof body1, 5, body2, sizeof body2, 3);
    flash[0x8400] ^= 0xFF;
    inspect_now();
    assert_true(R.candidate_newer);
    assert_int_equal(R.decision.action, INSPECT_ACT_INSTALL);
    assert_true(R.decision.version == 3);
}

static void newer_but_corrupt_candidate_leaves_the_active_booting(void **state)
{
    assemble(body1, sizeof body1, 1, body2, sizeof body2, 2);
    flash[0x88070 + 6999] ^= 0x80;
    inspect_now();
    assert_false(R.candidate.valid);
    assert_non_null(strstr(R.candidate.reason, "digest mismatch"));
    assert_int_equal(R.decision.action, INSPECT_ACT_BOOT);
    assert_string_equal(R.decision.text, "boot active v1");
}

static void nothing_valid_means_no_bootable_image(void **state)
{
    assemble(body1, sizeof body1, 1, NULL, 0, 0);
    flash[0x8000 + 20] ^= 0x04;            /* inside firmwareSize: the CRC no longer matches */
    inspect_now();
    assert_false(R.active.crc_ok);
    assert_false(R.active.valid);
    assert_non_null(strstr(R.active.reason, "header CRC mismatch"));
    assert_int_equal(R.decision.action, INSPECT_ACT_NONE);
    assert_false(R.decision.has_version);
    assert_string_equal(R.decision.text, "no bootable image");

    /* a valid candidate with version 0 is not > 0 */
    assemble(body1, sizeof body1, 1, body2, sizeof body2, 0);
    flash[0x8400] ^= 1;
    inspect_now();
    assert_int_equal(R.decision.action, INSPECT_ACT_NONE);
}

static void empty_and_oversized_headers_are_invalid(void **state)
{
    assemble(body1, 0, 1, NULL, 0, 0);
    inspect_now();
    assert_int_equal(R.active.format, MBED_HDR_FMT_V2);
    assert_false(R.active.valid);
    assert_non_null(strstr(R.active.reason, "empty"));

    mbed_hdr_v2_t h;
    uint8_t sha[32] = { 0 };
    mbed_hdr_v2_init(&h, 1, 0x80000, sha);
    mbed_hdr_v2_encode(&h, flash + 0x8000);
    inspect_now();
    assert_false(R.active.size_ok);
    assert_false(R.active.digest_checked);
    assert_non_null(strstr(R.active.reason, "exceeds the slot"));

    h.header_version = 3;
    mbed_hdr_v2_encode(&h, flash + 0x8000);
    inspect_now();
    assert_non_null(strstr(R.active.reason, "header version 3"));
}

static void v3_header_is_recognised_and_not_booted(void **state)
{
    assemble(body1, sizeof body1, 1, NULL, 0, 0);
    uint8_t *p = flash + 0x88000;
    memset(p, 0, MBED_HDR_V3_SIZE);
    p[0] = 0xa3; p[1] = 0x53; p[2] = 0x02; p[3] = 0x5c;
    p[4] = 0x88; p[5] = 0x13;                                   /* fw_size 5000 */
    uint64_t v = 1ull << 55 | 2ull << 40 | 0ull << 16 | 7;      /* 2.0.7 */
    for (int i = 0; i < 8; i++)
        p[8 + i] = (uint8_t)(v >> (8 * i));
    p[152] = 0xa3; p[153] = 0x53; p[154] = 0x02; p[155] = 0x5c;
    inspect_now();
    assert_int_equal(R.candidate.format, MBED_HDR_FMT_V3);
    assert_int_equal(R.candidate.v3_rc, MBED_HDR_OK);
    assert_int_equal(R.candidate.v3.fw_size, 5000);
    assert_true(R.candidate.v3.version == v);
    assert_false(R.candidate.valid);
    assert_non_null(strstr(R.candidate.reason, "v3"));
    assert_int_equal(R.decision.action, INSPECT_ACT_BOOT);

    json_t *j = inspect_to_json(&R);
    assert_non_null(j);
    json_t *c = json_object_get(j, "candidate");
    assert_string_equal(json_string_value(json_object_get(c, "format")), "v3");
    assert_string_equal(json_string_value(json_object_get(c, "semver")), "2.0.7");
    json_decref(j);
}

static void erased_flash_has_no_bootable_image(void **state)
{
    memset(flash, 0xFF, L.flash_size);
    inspect_now();
    assert_int_equal(R.active.format, MBED_HDR_FMT_ERASED);
    assert_false(R.active.present);
    assert_int_equal(R.candidate.format, MBED_HDR_FMT_ERASED);
    for (int i = 0; i < FW_REGION_COUNT; i++)
        assert_true(R.regions[i].erased);
    assert_int_equal(R.decision.action, INSPECT_ACT_NONE);

    memset(flash + 0x8000, 0x00, 16);
    inspect_now();
    assert_int_equal(R.active.format, MBED_HDR_FMT_UNKNOWN);
    assert_true(R.active.present);
}

static void inspect_refuses_a_dump_of_the_wrong_size(void **state)
{
    char err[256] = "";
    assert_int_equal(inspect_flash(&L, flash, 524288, "half.bin", &R, err, sizeof err), INSPECT_ERR_SIZE);
    assert_string_equal(err, "half.bin: 524288 bytes, expected 1048576 (the flash size)");
    write_file(tmp_path("long.bin"), flash, 4096);
    assert_int_equal(inspect_file(tmp_path("long.bin"), &L, &R, err, sizeof err), INSPECT_ERR_SIZE);
    assert_non_null(strstr(err, "4096 bytes, expected 1048576"));
}

static void json_has_the_documented_shape(void **state)
{
    assemble(body1, sizeof body1, 1, body2, sizeof body2, 2);
    inspect_now();
    json_t *j = inspect_to_json(&R);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "file")), "t.bin");
    assert_int_equal(json_integer_value(json_object_get(j, "size")), 1048576);
    assert_int_equal(json_array_size(json_object_get(j, "regions")), FW_REGION_COUNT);
    json_t *a = json_object_get(j, "active");
    assert_string_equal(json_string_value(json_object_get(a, "format")), "v2");
    assert_int_equal(json_integer_value(json_object_get(a, "version")), 1);
    assert_int_equal(json_integer_value(json_object_get(a, "size")), sizeof body1);
    assert_true(json_is_true(json_object_get(a, "digest_ok")));
    assert_true(json_is_true(json_object_get(a, "crc_ok")));
    assert_true(json_is_true(json_object_get(a, "valid")));
    assert_true(json_is_null(json_object_get(a, "reason")));
    assert_int_equal(strlen(json_string_value(json_object_get(a, "digest"))), 64);
    json_t *c = json_object_get(j, "candidate");
    assert_true(json_is_true(json_object_get(c, "newer")));
    json_t *d = json_object_get(j, "decision");
    assert_string_equal(json_string_value(json_object_get(d, "action")), "install");
    assert_int_equal(json_integer_value(json_object_get(d, "version")), 2);
    assert_string_equal(json_string_value(json_object_get(d, "text")), "install candidate v2 then boot it");
    json_decref(j);

    memset(flash, 0xFF, L.flash_size);
    inspect_now();
    j = inspect_to_json(&R);
    d = json_object_get(j, "decision");
    assert_string_equal(json_string_value(json_object_get(d, "action")), "none");
    assert_true(json_is_null(json_object_get(d, "version")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "candidate"), "format")),
                        "erased");
    json_decref(j);
}

static void write_atomic_replaces_the_file_and_leaves_no_temporary(void **state)
{
    char err[256] = "";
    const char *p = tmp_path("flash.bin");
    const uint8_t a[3] = { 1, 2, 3 }, b[2] = { 9, 8 };
    assert_int_equal(image_write_atomic(p, a, sizeof a, err, sizeof err), IMAGE_OK);
    assert_int_equal(image_write_atomic(p, b, sizeof b, err, sizeof err), IMAGE_OK);
    uint8_t *got;
    size_t n;
    assert_int_equal(image_read_file(p, 16, &got, &n, err, sizeof err), IMAGE_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(got, b, 2);
    free(got);
    assert_int_equal(image_write_atomic(tmpdir, a, sizeof a, err, sizeof err), IMAGE_ERR_IO);
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "flash.bin.tmp", 13) == 0)
            fail_msg("temporary left behind: %s", e->d_name);
    closedir(d);
}

/* ---- CLI ---------------------------------------------------------------------------------- */

/* A verb's exit status (its output captured and dropped). */
static int status_of(captured_t c)
{
    captured_free(&c);
    return c.status;
}
#define run(...) status_of(capture_cmd(__VA_ARGS__))

static void cli_image_then_inspect(void **state)
{
    write_file(tmp_path("bl.bin"), bootl, sizeof bootl);
    write_file(tmp_path("a.bin"), body1, sizeof body1);
    write_file(tmp_path("c.elf"), elf, sizeof elf);
    const char *out = tmp_path("cli.bin");
    assert_int_equal(run(cmd_image, "image", "-o", out, "--bootloader", tmp_path("bl.bin"), "--active",
                         tmp_path("a.bin"), "--active-version", "7", "--candidate", tmp_path("c.elf"),
                         "--candidate-version", "8", NULL), 0);
    char err[256];
    assert_int_equal(inspect_file(out, &L, &R, err, sizeof err), INSPECT_OK);
    assert_true(R.active.valid);
    assert_true(R.candidate.valid);
    assert_true(R.candidate.v2.firmware_size == 0x20);
    assert_int_equal(R.decision.action, INSPECT_ACT_INSTALL);
    assert_true(R.decision.version == 8);
    assert_int_equal(run(cmd_inspect, "inspect", out, NULL), 0);
    assert_int_equal(run(cmd_inspect, "inspect", "--json", out, NULL), 0);
}

static void cli_rejects_bad_arguments_with_status_2(void **state)
{
    const char *bl = tmp_path("bl.bin"), *a = tmp_path("a.bin"), *o = tmp_path("bad.bin");
    write_file(bl, bootl, sizeof bootl);
    write_file(a, body1, sizeof body1);
    assert_int_equal(run(cmd_image, "image", "-o", o, "--bootloader", bl, "--active", a,
                         "--active-version", "12x", NULL), 2);
    assert_int_equal(run(cmd_image, "image", "-o", o, "--bootloader", bl, "--active", a,
                         "--active-version", "18446744073709551616", NULL), 2);
    assert_int_equal(run(cmd_image, "image", "-o", o, "--bootloader", bl, "--active", a, NULL), 2);
    assert_int_equal(run(cmd_image, "image", "-o", o, "--bootloader", bl, "--active", a,
                         "--active-version", "1", "--candidate", a, NULL), 2);
    assert_int_equal(run(cmd_image, "image", "-o", o, "--bootloader", "bundled:nope", "--active", a,
                         "--active-version", "1", NULL), 2);
    assert_int_equal(run(cmd_image, "image", "--frobnicate", NULL), 2);
    assert_int_equal(access(o, F_OK), -1);      /* nothing written */
    assert_int_equal(run(cmd_image, "image", "--help", NULL), 0);
    assert_int_equal(run(cmd_inspect, "inspect", NULL), 2);
    assert_int_equal(run(cmd_inspect, "inspect", a, NULL), 2);        /* wrong size */
    assert_int_equal(run(cmd_inspect, "inspect", "--help", NULL), 0);
}

int main(void)
{
    const struct CMUnitTest elf_tests[] = {
        cmocka_unit_test_setup(elf_parse_reads_segments_entry_and_symbols, setup_elf),
        cmocka_unit_test_setup(elf_without_sections_still_loads, setup_elf),
        cmocka_unit_test_setup(elf_segment_mapping_the_headers_is_trimmed_to_the_first_section, setup_elf),
        cmocka_unit_test_setup(elf_truncated_at_any_length_is_a_format_error, setup_elf),
        cmocka_unit_test_setup(elf_each_corrupted_field_is_a_format_error_naming_it, setup_elf),
        cmocka_unit_test_setup(elf_random_corruption_never_crashes, setup_elf),
        cmocka_unit_test_setup(elf_to_binary_flattens_flash_segments_with_ff_gaps, setup_elf),
        cmocka_unit_test_setup(elf_load_file_names_the_file, setup_elf),
        cmocka_unit_test_setup(image_load_fw_flattens_an_elf_and_takes_raw_as_is, setup_elf),
    };
    const struct CMUnitTest image_tests[] = {
        cmocka_unit_test(image_make_header_matches_the_known_answer_fields),
        cmocka_unit_test(layout_default_is_the_k64f_internal_flash_layout),
        cmocka_unit_test(assemble_places_bootloader_headers_and_bodies),
        cmocka_unit_test(assemble_refuses_parts_that_do_not_fit_naming_them),
        cmocka_unit_test(active_only_boots_the_active_image),
        cmocka_unit_test(newer_candidate_is_installed),
        cmocka_unit_test(older_candidate_is_ignored),
        cmocka_unit_test(corrupted_active_body_fails_the_digest_and_the_candidate_is_installed),
        cmocka_unit_test(invalid_active_accepts_an_older_candidate),
        cmocka_unit_test(newer_but_corrupt_candidate_leaves_the_active_booting),
        cmocka_unit_test(nothing_valid_means_no_bootable_image),
        cmocka_unit_test(empty_and_oversized_headers_are_invalid),
        cmocka_unit_test(v3_header_is_recognised_and_not_booted),
        cmocka_unit_test(erased_flash_has_no_bootable_image),
        cmocka_unit_test(inspect_refuses_a_dump_of_the_wrong_size),
        cmocka_unit_test(json_has_the_documented_shape),
        cmocka_unit_test(write_atomic_replaces_the_file_and_leaves_no_temporary),
        cmocka_unit_test_setup(cli_image_then_inspect, setup_elf),
        cmocka_unit_test(cli_rejects_bad_arguments_with_status_2),
    };
    int fails = cmocka_run_group_tests_name("elf", elf_tests, setup_tmp, teardown_tmp);
    fails += cmocka_run_group_tests_name("image", image_tests, setup_flash, teardown_flash);
    return fails ? 1 : 0;
}
