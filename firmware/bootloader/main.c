/*
 * fwemu reference bootloader for the K64F (mbed-update-design.md section 4, made power-loss safe).
 *
 * Decisions, each printed as one "[BOOT] ..." line on UART0 (README.md lists them all):
 *   1. Reset reason and boot counter (bootstate.h): consecutive watchdog/lockup resets of the
 *      application are counted in retained RAM.
 *   2. Active image (header 0x8000, code 0x8400): header magic/version/CRC, 0 < size <= max
 *      application size, vector table, SHA-256 of the code (image.h).
 *   3. Crash loop: a valid active image that failed BOOT_MAX_BOOT_RETRIES starts in a row is not
 *      preferred any more; a different valid candidate, even an older one, may replace it.
 *   4. Candidate (header 0x88000, payload 0x88070): considered only when its version is greater
 *      than the preferred active image's (or > 0 if there is none) and it is not the very image
 *      already installed; then header, bounds, vector table and SHA-256 are checked.
 *   5. Install (install_candidate) if the candidate qualifies, then boot the active image, or
 *      halt with "no bootable image".
 *
 * Power-loss argument for the install (the candidate is never erased or written by the
 * bootloader, so it stays valid throughout):
 *   - the first flash operation erases the active header's sector; from then on, until the last
 *     step, the active slot has no valid header (all 0xFF, or a torn erase/program that fails the
 *     magic/CRC check and, failing that, the SHA-256 check);
 *   - the body is copied and its SHA-256 verified in flash BEFORE the header is written, and the
 *     header is written LAST (one 112-byte program), so a valid header only ever describes a
 *     complete, verified body;
 *   - hence after a power loss at any point the next boot finds either the complete new image
 *     (and boots it: the candidate is then "not newer") or an invalid active image and the
 *     intact candidate (and installs again). Power loss resets the boot counter (power-on).
 *
 * Watchdog: configured first thing (fw_early_init, before .data/.bss) to BOOT_WDOG_TIMEOUT_MS on
 * the 1 kHz LPO, updatable by the application, and refreshed between every bounded piece of work
 * (a 1 KiB hash chunk, one sector erase, one 1 KiB program); a hung bootloader resets within the
 * timeout. It is refreshed once more just before the jump, and disabled only when halting
 * deliberately ("no bootable image") so that the device does not reset-loop.
 *
 * Clocks: start-up (fw_clock_init, right after fw_early_init) switches to PEE 120 MHz from the
 * 50 MHz external clock (clock.h); the bootloader leaves it so for the application.
 *
 * Deliberately broken variants: the same source built with one -DBOOT_BUG_<NAME>=1 (never the
 * default) gives bootloader_<name>, a reproduction of a known class of field-bricking bug for
 * the harness to catch (README.md "Broken bootloader variants"). Each prints
 * "[BOOT] variant: <name>" after its first line; every BOOT_BUG_ block below is the bug.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bootstate.h"
#include "flash_k64f.h"
#include "image.h"
#include "k64f.h"
#include "layout.h"
#include "mbed_header.h"
#include "startup.h"
#include "uart.h"
#include "wdog.h"

/* Watchdog timeout while the bootloader runs, in ms. The longest unrefreshed step is one sector
 * erase (datasheet max ~115 ms, GUESS) or one 1 KiB hash chunk (well under 1 ms at 120 MHz). */
#ifndef BOOT_WDOG_TIMEOUT_MS
#define BOOT_WDOG_TIMEOUT_MS 2000u
#endif
/* mbed-bootloader max-boot-retries; 0 disables crash-loop detection. */
#ifndef BOOT_MAX_BOOT_RETRIES
#define BOOT_MAX_BOOT_RETRIES 3u
#endif
/* mbed-bootloader max-copy-retries: further install attempts after a failed one. */
#ifndef BOOT_MAX_COPY_RETRIES
#define BOOT_MAX_COPY_RETRIES 1u
#endif
/* 1 = write-protect FPROT region 0 (the bootloader, FCF included) until the next reset before
 * jumping, so that application code cannot erase the bootloader. */
#ifndef BOOT_PROTECT_BOOTLOADER
#define BOOT_PROTECT_BOOTLOADER 1
#endif

#define BOOT_COPY_CHUNK 1024u

/* ---- deliberately broken variants (README.md "Broken bootloader variants") ------------------ */
#ifndef BOOT_BUG_ERASE_CANDIDATE_EARLY
#define BOOT_BUG_ERASE_CANDIDATE_EARLY 0 /* "free" the candidate before the new image is committed */
#endif
#ifndef BOOT_BUG_HEADER_FIRST
#define BOOT_BUG_HEADER_FIRST 0          /* header before body + boot trusts a valid header */
#endif
#ifndef BOOT_BUG_NO_VERIFY
#define BOOT_BUG_NO_VERIFY 0             /* candidate SHA-256 not checked before the install */
#endif
#ifndef BOOT_BUG_NO_SIZE_BOUND
#define BOOT_BUG_NO_SIZE_BOUND 0         /* firmwareSize not bounded by the slot */
#endif
#ifndef BOOT_BUG_NO_WATCHDOG_REFRESH
#define BOOT_BUG_NO_WATCHDOG_REFRESH 0   /* no watchdog refresh during erase + copy */
#endif
#define BOOT_BUG_COUNT                                                                          \
    ((BOOT_BUG_ERASE_CANDIDATE_EARLY != 0) + (BOOT_BUG_HEADER_FIRST != 0) +                     \
     (BOOT_BUG_NO_VERIFY != 0) + (BOOT_BUG_NO_SIZE_BOUND != 0) + (BOOT_BUG_NO_WATCHDOG_REFRESH != 0))
#if BOOT_BUG_COUNT > 1
#error "one BOOT_BUG_* per variant: a harness verdict must have one cause"
#endif
#if BOOT_BUG_ERASE_CANDIDATE_EARLY
#define BOOT_VARIANT "erase_candidate_early"
#elif BOOT_BUG_HEADER_FIRST
#define BOOT_VARIANT "header_first"
#elif BOOT_BUG_NO_VERIFY
#define BOOT_VARIANT "no_verify"
#elif BOOT_BUG_NO_SIZE_BOUND
#define BOOT_VARIANT "no_size_bound"
#elif BOOT_BUG_NO_WATCHDOG_REFRESH
#define BOOT_VARIANT "no_watchdog_refresh"
#endif

/* Boot-time verdict on the active slot. BUG header_first: a header with good magic, version and
 * CRC is trusted; neither the vector table nor the SHA-256 of the body is looked at. */
#define BOOT_ACTIVE_CHECK (BOOT_BUG_HEADER_FIRST ? IMAGE_CHECK_HEADER_ONLY : IMAGE_CHECK_FULL)
/* Verdict on a candidate before installing it. BUG no_verify: header, bounds and vector table
 * only; the payload's SHA-256 is not computed, a corrupt download is installed. */
#define BOOT_CANDIDATE_CHECK (BOOT_BUG_NO_VERIFY ? IMAGE_CHECK_NO_HASH : IMAGE_CHECK_FULL)
/* Largest firmwareSize accepted. BUG no_size_bound: any 32-bit size, whatever the slot holds, so
 * the hash (and an install) follows the header past the end of the slot. */
#define BOOT_MAX_SIZE(slot_max) (BOOT_BUG_NO_SIZE_BOUND ? 0xFFFFFFFFu : (slot_max))

/* Watchdog refresh between the install's flash operations. BUG no_watchdog_refresh: none; the
 * erase and copy phase then has to fit in one watchdog period (BOOT_WDOG_TIMEOUT_MS). */
#if BOOT_BUG_NO_WATCHDOG_REFRESH
#define install_refresh() ((void)0)
#else
#define install_refresh() wdog_refresh()
#endif

/* Runs before .data/.bss exist (startup.h): constants only. Start-up then calls fw_clock_init
 * (PEE 120 MHz), whose polling loops this watchdog covers. */
void fw_early_init(void)
{
    wdog_init(BOOT_WDOG_TIMEOUT_MS, true);
}

/* ---- log ------------------------------------------------------------------------------------ */
static void log_start(const char *s)
{
    uart_puts("[BOOT] ");
    uart_puts(s);
}
static void log_end(const char *s)
{
    uart_puts(s);
    uart_putc('\n');
}
static void log_line(const char *s)
{
    log_start(s);
    log_end("");
}
static void log_version(const char *before, uint64_t version, const char *after)
{
    log_start(before);
    uart_putc('v');
    uart_put_u64(version);
    log_end(after);
}
static void log_reason(const char *before, const char *reason)
{
    log_start(before);
    uart_puts(" (");
    uart_puts(reason);
    log_end(")");
}
static void put_hex(uint32_t v)
{
    char buf[11];
    int i = (int)sizeof buf - 1;
    buf[i] = '\0';
    do {
        buf[--i] = "0123456789abcdef"[v & 0xFu];
        v >>= 4;
    } while (v != 0);
    buf[--i] = 'x';
    buf[--i] = '0';
    uart_puts(&buf[i]);
}

/* ---- images --------------------------------------------------------------------------------- */
static void active_init(image_t *img)
{
    memset(img, 0, sizeof *img);
    img->header_addr = LAYOUT_ACTIVE_HEADER_ADDR;
    img->payload_addr = LAYOUT_APP_ADDR;
    img->exec_addr = LAYOUT_APP_ADDR;
    img->max_size = BOOT_MAX_SIZE(LAYOUT_APP_MAX_SIZE);
}

static void candidate_init(image_t *img)
{
    memset(img, 0, sizeof *img);
    img->header_addr = LAYOUT_CANDIDATE_ADDR;
    img->payload_addr = LAYOUT_CANDIDATE_PAYLOAD_ADDR;
    img->exec_addr = LAYOUT_APP_ADDR;
    img->max_size = BOOT_MAX_SIZE(LAYOUT_APP_MAX_SIZE < LAYOUT_CANDIDATE_MAX_PAYLOAD
                                      ? LAYOUT_APP_MAX_SIZE
                                      : LAYOUT_CANDIDATE_MAX_PAYLOAD);
}

static bool same_image(const image_t *a, const image_t *b)
{
    return a->hdr.firmware_version == b->hdr.firmware_version &&
           a->hdr.firmware_size == b->hdr.firmware_size &&
           memcmp(a->hdr.firmware_hash, b->hdr.firmware_hash, MBED_HDR_HASH_SIZE) == 0;
}

static int check_active(image_t *active)
{
    active_init(active);
    int err = image_check(active, BOOT_ACTIVE_CHECK);
    if (err == IMAGE_OK)
        log_version("active: ", active->hdr.firmware_version, " valid");
    else
        log_reason("active: invalid", image_strerror(err));
    return err;
}

/* True when the candidate should be installed. `floor`: the candidate's version must exceed it.
 * `installed`: the valid active image, or NULL when there is none. */
static bool candidate_qualifies(image_t *cand, uint64_t floor, const image_t *installed)
{
    candidate_init(cand);
    int err = image_check(cand, IMAGE_CHECK_HEADER_ONLY);
    if (err == IMAGE_OK && cand->hdr.firmware_version <= floor) {
        log_line("candidate: ignored (not newer)");
        return false;
    }
    /* A crash-looping image is never re-installed over itself (mbed-bootloader #72). */
    if (err == IMAGE_OK && installed != NULL && same_image(cand, installed)) {
        log_line("candidate: ignored (same as active)");
        return false;
    }
    if (err == IMAGE_OK)
        err = image_check(cand, BOOT_CANDIDATE_CHECK);
    if (err != IMAGE_OK) {
        log_reason("candidate: invalid", image_strerror(err));
        return false;
    }
    log_version("candidate: ", cand->hdr.firmware_version, " valid");
    return true;
}

/* ---- install -------------------------------------------------------------------------------- */
typedef struct install_fail {
    const char *stage;
    uint32_t addr;
    const char *reason;
} install_fail_t;

static int fail(install_fail_t *f, const char *stage, uint32_t addr, const char *reason, int err)
{
    f->stage = stage;
    f->addr = addr;
    f->reason = reason;
    return err;
}

/* One attempt; see the power-loss argument at the top. `cand` passed BOOT_CANDIDATE_CHECK. */
static int install_once(const image_t *cand, install_fail_t *f)
{
    const uint32_t size = (uint32_t)cand->hdr.firmware_size;
    const uint32_t first = LAYOUT_ACTIVE_HEADER_ADDR; /* sector-aligned (layout.h) */
    const uint32_t end = (LAYOUT_APP_ADDR + size + LAYOUT_FLASH_SECTOR_SIZE - 1u) &
                         ~(uint32_t)(LAYOUT_FLASH_SECTOR_SIZE - 1u);
    int err;

    /* 1. Erase, lowest sector first: that is the header's sector (it also holds the first 3 KiB
     *    of the application), so the old header is gone before anything else changes. */
    for (uint32_t a = first; a < end; a += LAYOUT_FLASH_SECTOR_SIZE) {
        err = flash_k64f_erase_sector(a);
        install_refresh();
        if (err)
            return fail(f, "erase", a, flash_k64f_strerror(err), err);
    }

#if BOOT_BUG_HEADER_FIRST
    /* BUG header_first (the classic Mbed order, section 4.4 of the design): the new header goes
     * in before the body. Harmless only while every boot re-hashes the body; this variant's boot
     * check does not (BOOT_ACTIVE_CHECK), so a power loss from here until the copy is complete
     * leaves a "valid" active image that is half erased flash, and the next boot jumps into it
     * (the candidate is then "not newer" than the header that claims to be installed). */
    err = flash_k64f_program(LAYOUT_ACTIVE_HEADER_ADDR, cand->raw, sizeof cand->raw);
    install_refresh();
    if (err)
        return fail(f, "header", LAYOUT_ACTIVE_HEADER_ADDR, flash_k64f_strerror(err), err);
#endif

    /* 2. Copy the body from the candidate payload (read-only for the bootloader). */
    for (uint32_t off = 0; off < size; off += BOOT_COPY_CHUNK) {
        uint32_t n = size - off < BOOT_COPY_CHUNK ? size - off : BOOT_COPY_CHUNK;
        err = flash_k64f_program(LAYOUT_APP_ADDR + off,
                                 (const void *)(uintptr_t)(LAYOUT_CANDIDATE_PAYLOAD_ADDR + off), n);
        install_refresh();
        if (err)
            return fail(f, "copy", LAYOUT_APP_ADDR + off, flash_k64f_strerror(err), err);
    }

#if BOOT_BUG_ERASE_CANDIDATE_EARLY
    /* BUG erase_candidate_early: the candidate is "consumed" (its slot erased, so it is not
     * considered again) as soon as it has been copied, before the copy is verified and before
     * the header that makes it bootable exists. A power loss from the first erase below until
     * the header is written leaves no active header and no candidate: "no bootable image". A
     * failed verification below retries from an erased candidate. */
    {
        const uint32_t cand_end = (LAYOUT_CANDIDATE_PAYLOAD_ADDR + size + LAYOUT_FLASH_SECTOR_SIZE -
                                   1u) & ~(uint32_t)(LAYOUT_FLASH_SECTOR_SIZE - 1u);
        for (uint32_t a = LAYOUT_CANDIDATE_ADDR; a < cand_end; a += LAYOUT_FLASH_SECTOR_SIZE) {
            err = flash_k64f_erase_sector(a);
            install_refresh();
            if (err)
                return fail(f, "erase candidate", a, flash_k64f_strerror(err), err);
        }
    }
#endif

    /* 3. The body in the active slot must hash to the header's value before the header exists. */
    uint8_t digest[32];
    image_sha256(LAYOUT_APP_ADDR, size, digest);
    if (memcmp(digest, cand->hdr.firmware_hash, sizeof digest) != 0)
        return fail(f, "verify body", LAYOUT_APP_ADDR, image_strerror(IMAGE_ERR_HASH), IMAGE_ERR_HASH);

#if !BOOT_BUG_HEADER_FIRST
    /* 4. The header, last: the bytes validated in RAM, identical to the candidate's header. */
    err = flash_k64f_program(LAYOUT_ACTIVE_HEADER_ADDR, cand->raw, sizeof cand->raw);
    install_refresh();
    if (err)
        return fail(f, "header", LAYOUT_ACTIVE_HEADER_ADDR, flash_k64f_strerror(err), err);
#endif

    /* 5. Check the active slot as the next boot will: header, bounds and vector table read back
     * from flash, and the header bytes identical to the validated candidate's. The body's hash
     * was checked in flash in step 3 and programming the header touches no body byte, so the
     * hash is not computed a second time (one hash pass less per install: installs and power-
     * loss recoveries are dominated by hashing). */
    image_t check;
    active_init(&check);
    err = image_check(&check, BOOT_BUG_HEADER_FIRST ? IMAGE_CHECK_FULL : IMAGE_CHECK_NO_HASH);
    if (err == IMAGE_OK && memcmp(check.raw, cand->raw, sizeof check.raw) != 0)
        err = IMAGE_ERR_HASH;
    if (err)
        return fail(f, "verify", LAYOUT_ACTIVE_HEADER_ADDR, image_strerror(err), err);
    return 0;
}

static int install_candidate(const image_t *cand)
{
    int err = 0;
    log_version("installing ", cand->hdr.firmware_version, "");
    for (uint32_t attempt = 0; attempt <= BOOT_MAX_COPY_RETRIES; attempt++) {
        if (attempt > 0)
            log_line("install retry");
        install_fail_t f;
        err = install_once(cand, &f);
        if (err == 0) {
            log_line("install verified");
            return 0;
        }
        log_start("install failed (");
        uart_puts(f.stage);
        uart_puts(" at ");
        uart_put_hex32(f.addr);
        uart_puts(": ");
        uart_puts(f.reason);
        log_end(")");
    }
    log_line("install gave up");
    return err;
}

/* ---- hand-over ------------------------------------------------------------------------------ */
/* Start the active application as the hardware would start it from reset, except: VTOR = 0x8400;
 * WDOG enabled (BOOT_WDOG_TIMEOUT_MS, ALLOWUPDATE = 1) and just refreshed; bootloader flash region
 * write-protected (BOOT_PROTECT_BOOTLOADER); clocks left in PEE 120 MHz (clock.h: the
 * application's own clock_init() sees that and keeps them). Every peripheral the
 * bootloader used is back at its reset state, all NVIC interrupts disabled and not pending,
 * SysTick off, MSP = the application's word 0, PRIMASK = 0, Thread mode, privileged, MSP. */
__attribute__((noreturn)) static void boot_active(void)
{
    const volatile uint32_t *vectors = (const volatile uint32_t *)(uintptr_t)LAYOUT_APP_ADDR;
    uint32_t sp = vectors[0];
    uint32_t entry = vectors[1];

    log_start("jumping to ");
    put_hex(LAYOUT_APP_ADDR);
    log_end("");
    uart_deinit(); /* waits for the last byte to leave */

    FTFE_FSTAT = FTFE_FSTAT_RDCOLERR | FTFE_FSTAT_ACCERR | FTFE_FSTAT_FPVIOL;
#if BOOT_PROTECT_BOOTLOADER
    flash_k64f_protect((1u << (LAYOUT_BOOTLOADER_SIZE / LAYOUT_FLASH_PROT_REGION_SIZE)) - 1u);
#endif

    irq_disable();
    SYST_CSR = 0;
    SCB_ICSR = SCB_ICSR_PENDSTCLR | SCB_ICSR_PENDSVCLR;
    for (uint32_t i = 0; i < (K64F_IRQ_COUNT + 31u) / 32u; i++) {
        NVIC_ICER(i) = 0xFFFFFFFFu;
        NVIC_ICPR(i) = 0xFFFFFFFFu;
    }
    bootstate_enter_app();
    wdog_refresh();
    SCB_VTOR = LAYOUT_APP_ADDR;
    cpu_dsb();
    cpu_isb();
    __asm volatile(
        "msr msp, %0\n"
        "cpsie i\n"
        "bx %1\n"
        :
        : "r"(sp), "r"(entry)
        : "memory");
    __builtin_unreachable();
}

/* Deliberate halt: no reset loop (watchdog off), nothing can wake the core; a power cycle, a pin
 * reset or a debugger gets the device out. */
__attribute__((noreturn)) static void halt_no_image(void)
{
    log_line("no bootable image");
    uart_flush();
    wdog_disable();
    irq_disable();
    for (;;)
        cpu_wfi();
}

int main(void)
{
    wdog_refresh(); /* the configuration from fw_early_init is in force: start a full period */
    uart_init();
    log_line("fwemu bootloader");
#ifdef BOOT_VARIANT
    log_line("variant: " BOOT_VARIANT);
#endif

    bootstate_reset_t reset = bootstate_on_reset();
    log_start("reset: ");
    log_end(bootstate_reset_name(reset));
    uint32_t crashes = bootstate_crash_count();
    if (crashes > 0) {
        log_start("crash count: ");
        uart_put_u64(crashes);
        log_end("");
    }

    image_t active, cand;
    int active_err = check_active(&active);
    bool crash_loop = BOOT_MAX_BOOT_RETRIES > 0 && active_err == IMAGE_OK &&
                      crashes >= BOOT_MAX_BOOT_RETRIES;
    if (crash_loop)
        log_line("crash loop: active not preferred");

    /* The floor is the version of the image we would otherwise boot (section 4.3/4.7). */
    uint64_t floor = (active_err == IMAGE_OK && !crash_loop) ? active.hdr.firmware_version : 0;
    if (candidate_qualifies(&cand, floor, active_err == IMAGE_OK ? &active : NULL)) {
        if (install_candidate(&cand) == 0) {
            bootstate_clear_crashes();
            boot_active();
        }
        /* The install failed twice. Whatever the slot holds now is only booted if it checks out. */
        active_err = check_active(&active);
    } else if (crash_loop) {
        log_line("crash loop: no alternative, booting active");
    }

    if (active_err == IMAGE_OK)
        boot_active();
    halt_no_image();
}
