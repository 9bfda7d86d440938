/* K64F FTFE driver: see flash_k64f.h for the contract; command set and FCCOB byte order from
 * k64f.md "FTFE registers" (MCUXpresso SDK fsl_ftfx_flash.c does the same). */
#include "flash_k64f.h"

#include <stdbool.h>
#include <string.h>

#include "k64f.h"

#define FTFE_ERROR_FLAGS (FTFE_FSTAT_RDCOLERR | FTFE_FSTAT_ACCERR | FTFE_FSTAT_FPVIOL)

const char *flash_k64f_strerror(int err)
{
    switch (err) {
    case FLASH_K64F_OK: return "ok";
    case FLASH_K64F_ERR_ARG: return "bad address or length";
    case FLASH_K64F_ERR_GUARDED: return "bootloader region";
    case FLASH_K64F_ERR_NOT_ERASED: return "target not erased";
    case FLASH_K64F_ERR_ACCESS: return "access error";
    case FLASH_K64F_ERR_PROTECTED: return "protection violation";
    case FLASH_K64F_ERR_FAILED: return "command failed";
    case FLASH_K64F_ERR_VERIFY: return "verify mismatch";
    case FLASH_K64F_ERR_COLLISION: return "read collision";
    default: return "unknown flash error";
    }
}

/* Launch the command loaded in FCCOB and wait for it. Runs from RAM and must not call anything
 * in flash (no literal pools or helpers outside .ramfunc: it only touches peripherals); the
 * caller masks interrupts. long_call: RAM is out of BL range of flash. Returns FSTAT. */
__attribute__((section(".ramfunc"), noinline, long_call)) static uint8_t ftfe_launch_from_ram(void)
{
    FTFE_FSTAT = FTFE_FSTAT_CCIF; /* write 1 to CCIF: launch */
    while (!(FTFE_FSTAT & FTFE_FSTAT_CCIF)) {
    }
    /* The flash changed under the FMC: drop cached lines and the speculation buffer before any
     * code or data is read from flash again. */
    FMC_PFB0CR |= FMC_PFB0CR_CINV_WAY | FMC_PFB0CR_S_B_INV;
    cpu_dsb();
    cpu_isb();
    return FTFE_FSTAT;
}

/* One command: w0 = (cmd << 24) | addr, w1/w2 = FCCOB4..B as the words at +0x08 / +0x0C. */
static int ftfe_command(uint32_t w0, uint32_t w1, uint32_t w2)
{
    while (!(FTFE_FSTAT & FTFE_FSTAT_CCIF)) {
        /* a previous command cannot still run (we always wait), but never load FCCOB while busy */
    }
    FTFE_FSTAT = FTFE_ERROR_FLAGS; /* write-1-to-clear: a command cannot launch with these set */
    FTFE_FCCOB_W0 = w0;
    FTFE_FCCOB_W1 = w1;
    FTFE_FCCOB_W2 = w2;

    uint32_t primask = irq_save();
    uint8_t fstat = ftfe_launch_from_ram();
    irq_restore(primask);

    if (fstat & FTFE_FSTAT_ACCERR)
        return FLASH_K64F_ERR_ACCESS;
    if (fstat & FTFE_FSTAT_FPVIOL)
        return FLASH_K64F_ERR_PROTECTED;
    if (fstat & FTFE_FSTAT_RDCOLERR)
        return FLASH_K64F_ERR_COLLISION;
    if (fstat & FTFE_FSTAT_MGSTAT0)
        return FLASH_K64F_ERR_FAILED;
    return FLASH_K64F_OK;
}

static uint32_t cmd_word(uint32_t cmd, uint32_t addr)
{
    return (cmd << 24) | (addr & 0x00FFFFFFu);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int check_range(uint32_t addr, size_t len)
{
    if (len == 0 || addr >= LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE ||
        len > LAYOUT_FLASH_BASE + LAYOUT_FLASH_SIZE - addr)
        return FLASH_K64F_ERR_ARG;
    if (addr < FLASH_K64F_WRITABLE_START)
        return FLASH_K64F_ERR_GUARDED;
    return FLASH_K64F_OK;
}

int flash_k64f_is_erased(uint32_t addr, size_t len)
{
    const uint8_t *p = (const uint8_t *)(uintptr_t)addr;
    size_t i = 0;
    /* Word by word where aligned (a 1 KiB program checks its destination first). */
    for (; i < len && ((addr + i) & 3u) != 0; i++)
        if (p[i] != 0xFFu)
            return 0;
    for (; len - i >= 4u; i += 4u)
        if (*(const uint32_t *)(const void *)(p + i) != 0xFFFFFFFFu)
            return 0;
    for (; i < len; i++)
        if (p[i] != 0xFFu)
            return 0;
    return 1;
}

int flash_k64f_erase_sector(uint32_t addr)
{
    int err = check_range(addr, LAYOUT_FLASH_SECTOR_SIZE);
    if (err)
        return err;
    if (addr % LAYOUT_FLASH_SECTOR_SIZE)
        return FLASH_K64F_ERR_ARG;
    err = ftfe_command(cmd_word(FTFE_CMD_ERASE_SECTOR, addr), 0, 0);
    if (err)
        return err;
    /* Read 1s Section: FCCOB4:5 = number of 16-byte units, FCCOB6 = margin 0 (normal). */
    err = ftfe_command(cmd_word(FTFE_CMD_READ_1S_SECTION, addr),
                       (uint32_t)(LAYOUT_FLASH_SECTOR_SIZE / 16u) << 16, 0);
    if (err == FLASH_K64F_ERR_FAILED)
        return FLASH_K64F_ERR_VERIFY;
    return err;
}

/* Bytes [i, i + n) of the source, with 0xFF beyond `len`. */
static void fetch(uint8_t *dst, const uint8_t *src, size_t len, size_t i, size_t n)
{
    for (size_t k = 0; k < n; k++)
        dst[k] = (i + k < len) ? src[i + k] : 0xFFu;
}

static int program_phrase(uint32_t addr, const uint8_t *src, size_t len, size_t i)
{
    uint8_t ph[8];
    fetch(ph, src, len, i, sizeof ph);
    /* flash byte addr + k = FCCOB register byte 0x08 + k: a little-endian word store does it */
    return ftfe_command(cmd_word(FTFE_CMD_PROGRAM_PHRASE, addr + (uint32_t)i), le32(ph), le32(ph + 4));
}

#if FLASH_K64F_USE_PROGRAM_SECTION
/* Program `n` bytes (multiple of 16, within one sector, <= 1 KiB) from source offset i through
 * FlexRAM. */
static int program_section(uint32_t addr, const uint8_t *src, size_t len, size_t i, size_t n)
{
    volatile uint32_t *flexram = (volatile uint32_t *)(uintptr_t)LAYOUT_FLEXRAM_BASE;
    size_t k = 0;
    /* Whole source words straight from the source (the M4 loads words unaligned), the padded
     * tail through fetch(). */
    for (; k < n && i + k + 4u <= len; k += 4) {
        uint32_t v;
        memcpy(&v, src + i + k, sizeof v);
        flexram[k / 4] = v;
    }
    for (; k < n; k += 4) {
        uint8_t w[4];
        fetch(w, src, len, i + k, sizeof w);
        flexram[k / 4] = le32(w);
    }
    return ftfe_command(cmd_word(FTFE_CMD_PROGRAM_SECTION, addr + (uint32_t)i),
                        (uint32_t)(n / 16u) << 16, 0);
}
#endif

int flash_k64f_program(uint32_t addr, const void *src_v, size_t len)
{
    const uint8_t *src = src_v;
    size_t padded = (len + LAYOUT_FLASH_PHRASE_SIZE - 1u) & ~(size_t)(LAYOUT_FLASH_PHRASE_SIZE - 1u);
    int err = check_range(addr, padded);
    if (err)
        return err;
    if (addr % LAYOUT_FLASH_PHRASE_SIZE)
        return FLASH_K64F_ERR_ARG;
    if (!flash_k64f_is_erased(addr, padded))
        return FLASH_K64F_ERR_NOT_ERASED;

#if FLASH_K64F_USE_PROGRAM_SECTION
    bool section_ok = (FTFE_FCNFG & FTFE_FCNFG_RAMRDY) != 0;
#endif
    size_t i = 0;
    while (i < padded) {
        uint32_t at = addr + (uint32_t)i;
#if FLASH_K64F_USE_PROGRAM_SECTION
        size_t to_sector_end = LAYOUT_FLASH_SECTOR_SIZE - (at % LAYOUT_FLASH_SECTOR_SIZE);
        size_t n = padded - i;
        if (n > to_sector_end)
            n = to_sector_end;
        if (n > FLASH_K64F_SECTION_MAX)
            n = FLASH_K64F_SECTION_MAX;
        n &= ~(size_t)15u;
        if (section_ok && at % 16u == 0 && n >= 16u) {
            err = program_section(addr, src, len, i, n);
            if (err)
                return err;
            i += n;
            continue;
        }
#endif
        err = program_phrase(addr, src, len, i);
        if (err)
            return err;
        i += LAYOUT_FLASH_PHRASE_SIZE;
    }

    const uint8_t *flash = (const uint8_t *)(uintptr_t)addr;
    if (memcmp(flash, src, len) != 0)
        return FLASH_K64F_ERR_VERIFY;
    if (!flash_k64f_is_erased(addr + (uint32_t)len, padded - len))
        return FLASH_K64F_ERR_VERIFY;
    return FLASH_K64F_OK;
}

void flash_k64f_protect(uint32_t region_mask)
{
    /* FTFE 0x10 (FPROT3) holds regions 0-7, 0x11 regions 8-15, ... (little-endian word). */
    for (uint32_t i = 0; i < 4u; i++) {
        uint8_t bits = (uint8_t)(region_mask >> (8u * i));
        if (bits)
            REG8(FTFE_BASE + 0x10u + i) = (uint8_t)(REG8(FTFE_BASE + 0x10u + i) & ~bits);
    }
}
