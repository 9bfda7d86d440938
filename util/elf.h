/*
 * Minimal ELF32 little-endian ARM reader for firmware images (host side, shared by the machine
 * loader and the image tools). Validates everything it reads: a bad file gives an error text
 * naming the field at fault, never a crash.
 */
#ifndef FWEMU_ELF_H
#define FWEMU_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 32

typedef enum elf_err {
    ELF_OK = 0,
    ELF_ERR_IO = -1,        /* cannot open/read the file */
    ELF_ERR_FORMAT = -2,    /* not an ELF32 LE ARM executable, or a field out of bounds */
    ELF_ERR_NOMEM = -3,
    ELF_ERR_NOTFOUND = -4,  /* symbol not found */
    ELF_ERR_RANGE = -5,     /* segments outside the requested window */
} elf_err_t;

typedef struct elf_segment {
    uint32_t paddr;         /* load (physical) address: where the bytes live in flash/RAM */
    uint32_t vaddr;
    uint32_t filesz, memsz;
    const uint8_t *data;    /* filesz bytes inside the image's file buffer */
} elf_segment_t;

typedef struct elf_image {
    uint8_t *file;          /* owned copy of the file */
    size_t size;
    uint32_t entry;
    elf_segment_t seg[ELF_MAX_SEGMENTS];   /* PT_LOAD segments with filesz > 0, file order */
    int nseg;
} elf_image_t;

/* err (may be NULL) receives a one-line message such as "fw.elf: e_phoff points past the end". */
int elf_load_file(const char *path, elf_image_t *img, char *err, size_t errlen);
int elf_parse(const uint8_t *data, size_t size, elf_image_t *img, char *err, size_t errlen); /* copies */
void elf_free(elf_image_t *img);
int elf_symbol(const elf_image_t *img, const char *name, uint32_t *addr);
/* True when data starts with the ELF magic. */
int elf_is_elf(const uint8_t *data, size_t size);
/* Flatten segments whose paddr lies in [base, base+limit) into a raw binary starting at base,
 * gaps filled with 0xFF. *out is malloc'ed; *len = highest end - base. ELF_ERR_RANGE if a
 * segment with bytes crosses the window. Segments wholly outside the window are ignored. */
int elf_to_binary(const elf_image_t *img, uint32_t base, uint32_t limit, uint8_t **out, size_t *len,
                  char *err, size_t errlen);

#endif
