/*
 * Flash and RAM layout of the fwemu K64F firmware: the single source of truth.
 *
 * This header is included by C code AND by the linker scripts (they are run through the C
 * preprocessor with FW_LINKER_SCRIPT defined, see firmware/CMakeLists.txt), so the part above the
 * `#ifndef FW_LINKER_SCRIPT` line may hold only `#define NAME <integer literal or expression>`
 * lines whose values GNU ld can parse: no `u` suffixes, no casts.
 *
 * Flash (1 MiB at 0, 4 KiB sectors, 8-byte phrases, two 512 KiB read-while-write blocks), the
 * layout of mbed-bootloader v4.1.0's configs/internal_flash_no_rot.json exactly (the host's
 * "mbed-classic" layout, harness/codec/layout.c): executables in the first block, storage in the
 * second.
 *
 *   0x100000 +-----------------------------------+
 *            | firmware candidate storage         |  update-client.storage-address = 0x88000
 *            |   payload at 0x88070               |  (slot start + round_up(112, storage-page 8))
 *            |   v2 header (112 B) at 0x88000     |  update-client.storage-size = 0x78000
 *   0x088000 +-----------------------------------+
 *            | KVSTORE (2 x 16 KiB)               |  storage_tdb_internal.internal_base_address
 *   0x080000 +-----------------------------------+
 *            | active application                 |  mbed-bootloader.application-start-address
 *   0x008400 |   (vector table first)             |    = 0x8400, max size 0x80000 - 0x8400
 *            | active metadata header (1 KiB      |  update-client.application-details = 0x8000
 *            |   region, 112 B used)              |
 *   0x008000 +-----------------------------------+
 *            | bootloader (32 KiB, FCF at 0x400)  |
 *   0x000000 +-----------------------------------+
 *
 * Contract that the install flow depends on: the active header shares its 4 KiB sector
 * [0x8000, 0x9000) with the first 3 KiB of the application, so erasing the header also erases the
 * start of the application; the header sector is always the lowest sector of the active slot.
 *
 * The host has its own copy of these numbers (its default layout, "mbed-classic"); it may model
 * other layouts, this firmware is built for this one.
 */
#ifndef FW_LAYOUT_H
#define FW_LAYOUT_H

/* ---- K64F geometry (k64f.md "Memory map") ---------------------------------------------------- */
#define LAYOUT_FLASH_BASE 0x00000000
#define LAYOUT_FLASH_SIZE 0x00100000          /* 1 MiB */
#define LAYOUT_FLASH_SECTOR_SIZE 0x1000       /* 4 KiB erase unit */
#define LAYOUT_FLASH_PHRASE_SIZE 8            /* program unit (update-client.storage-page) */
#define LAYOUT_FLASH_BLOCK_SIZE 0x80000       /* read-while-write plane */
#define LAYOUT_FLASH_PROT_REGION_SIZE 0x8000  /* FPROT: 32 regions of 32 KiB */
#define LAYOUT_FCF_ADDR 0x400                 /* Flash Configuration Field, 16 bytes */
#define LAYOUT_FCF_SIZE 0x10

#define LAYOUT_FLEXRAM_BASE 0x14000000        /* 4 KiB; Program Section source buffer */
#define LAYOUT_FLEXRAM_SIZE 0x1000

#define LAYOUT_SRAM_L_BASE 0x1FFF0000         /* 64 KiB */
#define LAYOUT_SRAM_L_SIZE 0x10000
#define LAYOUT_SRAM_U_BASE 0x20000000         /* 192 KiB */
#define LAYOUT_SRAM_U_SIZE 0x30000

/* ---- flash partitions (Mbed config names in the comments) ----------------------------------- */
/* The bootloader, [0, 0x8000). Exactly FPROT region 0, which it write-protects before jumping. */
#define LAYOUT_BOOTLOADER_ADDR 0x00000000
#define LAYOUT_BOOTLOADER_SIZE 0x00008000

/* update-client.application-details: the active image's v2 metadata header (112 bytes). */
#define LAYOUT_ACTIVE_HEADER_ADDR 0x00008000
/* mbed-bootloader.application-start-address: the active image's vector table. */
#define LAYOUT_APP_ADDR 0x00008400
/* End of the active slot = end of the first flash block = start of KVSTORE. */
#define LAYOUT_APP_END 0x00080000
/* mbed-bootloader.max-application-size */
#define LAYOUT_APP_MAX_SIZE (LAYOUT_APP_END - LAYOUT_APP_ADDR)

/* storage_tdb_internal.internal_base_address / _size: KVSTORE (the bootloader never touches it). */
#define LAYOUT_KVSTORE_ADDR 0x00080000
#define LAYOUT_KVSTORE_SIZE 0x00008000

/* update-client.storage-address / storage-size (0x78000): one candidate slot to the end of flash. */
#define LAYOUT_CANDIDATE_ADDR 0x00088000
#define LAYOUT_CANDIDATE_SIZE (LAYOUT_FLASH_SIZE - LAYOUT_CANDIDATE_ADDR)
/* Candidate payload = slot start + round_up(112, storage-page). */
#define LAYOUT_CANDIDATE_PAYLOAD_ADDR (LAYOUT_CANDIDATE_ADDR + ((112 + LAYOUT_FLASH_PHRASE_SIZE - 1) / LAYOUT_FLASH_PHRASE_SIZE) * LAYOUT_FLASH_PHRASE_SIZE)
/* Largest payload the slot can hold. */
#define LAYOUT_CANDIDATE_MAX_PAYLOAD (LAYOUT_FLASH_SIZE - LAYOUT_CANDIDATE_PAYLOAD_ADDR)

/* ---- RAM ------------------------------------------------------------------------------------ */
/* Retained RAM: [0x20000000, +0x100) is never initialised by either image's startup code, so it
 * survives warm resets (software, watchdog, lockup, pin). It is undefined after power-on. The
 * boot state record (bootstate.h) sits at its start; an application may use the rest for its own
 * .noinit data. Both linker scripts place their .noinit section here. */
#define LAYOUT_RAM_RETAINED_ADDR LAYOUT_SRAM_U_BASE
#define LAYOUT_RAM_RETAINED_SIZE 0x100

/* Main stack: the top of SRAM_U (initial MSP = 0x20030000), sizes reserved per image. */
#define LAYOUT_STACK_TOP (LAYOUT_SRAM_U_BASE + LAYOUT_SRAM_U_SIZE)
#define LAYOUT_BOOTLOADER_STACK_SIZE 0x1000
#define LAYOUT_APP_STACK_SIZE 0x2000

#ifndef FW_LINKER_SCRIPT
/* ---- C-only checks -------------------------------------------------------------------------- */
_Static_assert(LAYOUT_ACTIVE_HEADER_ADDR % LAYOUT_FLASH_SECTOR_SIZE == 0,
               "the active header must start a sector (erase-aligned)");
_Static_assert(LAYOUT_ACTIVE_HEADER_ADDR + 112 <= LAYOUT_APP_ADDR, "header overlaps the app");
_Static_assert(LAYOUT_ACTIVE_HEADER_ADDR >= LAYOUT_BOOTLOADER_ADDR + LAYOUT_BOOTLOADER_SIZE,
               "header inside the bootloader");
_Static_assert(LAYOUT_APP_ADDR % 512 == 0, "VTOR needs a 512-byte aligned vector table");
_Static_assert(LAYOUT_APP_ADDR % 16 == 0, "Program Section needs 16-byte alignment");
_Static_assert(LAYOUT_APP_END % LAYOUT_FLASH_SECTOR_SIZE == 0, "active slot end not erase-aligned");
_Static_assert(LAYOUT_APP_END <= LAYOUT_KVSTORE_ADDR, "active slot overlaps KVSTORE");
_Static_assert(LAYOUT_KVSTORE_ADDR + LAYOUT_KVSTORE_SIZE <= LAYOUT_CANDIDATE_ADDR,
               "KVSTORE overlaps the candidate slot");
_Static_assert(LAYOUT_CANDIDATE_ADDR % LAYOUT_FLASH_SECTOR_SIZE == 0, "candidate slot not erase-aligned");
_Static_assert(LAYOUT_CANDIDATE_PAYLOAD_ADDR == 0x88070, "candidate payload address");
_Static_assert(LAYOUT_BOOTLOADER_SIZE == LAYOUT_FLASH_PROT_REGION_SIZE,
               "bootloader self-protection assumes it is exactly FPROT region 0");
#endif

#endif
