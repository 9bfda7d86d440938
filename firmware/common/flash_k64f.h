/*
 * K64F program flash driver (FTFE), for the bootloader and for the update client.
 *
 * Every command is launched, and its completion polled, by a function that runs from RAM
 * (section .ramfunc, copied by start-up) with interrupts masked: while the FTFE works on a block,
 * fetches and reads from that block collide (RDCOLERR, undefined data), and the bootloader's and
 * application's code live in block 0. The same function invalidates the FMC cache and prefetch
 * buffers before returning, so that reads after a command see the new flash content.
 *
 * Checks made by every call (VERIFY-style: bad input returns an error, nothing is launched):
 *   - the range lies inside the 1 MiB program flash and does not wrap;
 *   - the range does not touch [0, FLASH_K64F_WRITABLE_START) (default: the bootloader, which
 *     includes the Flash Configuration Field; a torn erase of sector 0 leaves the chip secured);
 *   - alignment: erase takes sector-aligned addresses; program takes phrase (8-byte) aligned
 *     addresses and any length (the last phrase is padded with 0xFF, which leaves those bytes
 *     erased);
 *   - program refuses a target that is not erased (programming a phrase twice is illegal on this
 *     part: k64f.md) and reports it as FLASH_K64F_ERR_NOT_ERASED.
 * And after the command:
 *   - erase verifies the sector with Read 1s Section (0x01, normal margin);
 *   - program verifies by reading the flash back and comparing with the source.
 *
 * Duration: interrupts stay masked for one command: up to one sector erase (datasheet max
 * ~115 ms; GUESS) or one Program Section of 1 KiB. The caller services the watchdog between calls.
 */
#ifndef FW_FLASH_K64F_H
#define FW_FLASH_K64F_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#ifndef FLASH_K64F_WRITABLE_START
#define FLASH_K64F_WRITABLE_START (LAYOUT_BOOTLOADER_ADDR + LAYOUT_BOOTLOADER_SIZE)
#endif
/* 1 = program 16-byte aligned runs with Program Section (0x0B) through FlexRAM, in passes of at
 * most FLASH_K64F_SECTION_MAX bytes that never cross a sector; 0 = Program Phrase (0x07) only.
 * Program Section is also skipped when FCNFG.RAMRDY says the FlexRAM is not available as RAM. */
#ifndef FLASH_K64F_USE_PROGRAM_SECTION
#define FLASH_K64F_USE_PROGRAM_SECTION 1
#endif
#define FLASH_K64F_SECTION_MAX 1024u

typedef enum flash_k64f_err {
    FLASH_K64F_OK = 0,
    FLASH_K64F_ERR_ARG = -1,        /* out of range, misaligned or zero-length */
    FLASH_K64F_ERR_GUARDED = -2,    /* inside [0, FLASH_K64F_WRITABLE_START) */
    FLASH_K64F_ERR_NOT_ERASED = -3, /* program target holds programmed bits (caller bug) */
    FLASH_K64F_ERR_ACCESS = -4,     /* FSTAT.ACCERR: the controller refused the command */
    FLASH_K64F_ERR_PROTECTED = -5,  /* FSTAT.FPVIOL: the region is write-protected (FPROT) */
    FLASH_K64F_ERR_FAILED = -6,     /* FSTAT.MGSTAT0: command failed (erase left non-1 bits) */
    FLASH_K64F_ERR_VERIFY = -7,     /* read-back differs from what was programmed */
    FLASH_K64F_ERR_COLLISION = -8,  /* FSTAT.RDCOLERR: a read collided with the command */
} flash_k64f_err_t;

const char *flash_k64f_strerror(int err);

/* Erase the 4 KiB sector starting at `addr` and verify it reads all ones. */
int flash_k64f_erase_sector(uint32_t addr);

/* Program `len` bytes from `src` (any memory, flash included, any alignment) at `addr`
 * (8-byte aligned), which must be erased; verify by read-back. */
int flash_k64f_program(uint32_t addr, const void *src, size_t len);

/* True when [addr, addr + len) reads all 0xFF (CPU read, no flash command). */
int flash_k64f_is_erased(uint32_t addr, size_t len);

/* Write-protect the 32 KiB regions whose bits are set in `region_mask` (bit n = region n =
 * [n x 32 KiB, (n+1) x 32 KiB)) until the next reset (FPROT bits can only be cleared by software). */
void flash_k64f_protect(uint32_t region_mask);

#endif
