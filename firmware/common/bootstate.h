/*
 * Boot state shared by the bootloader and the application through retained RAM (crash-loop
 * detection, mbed-update-design.md section 4.2).
 *
 * The record lives at LAYOUT_RAM_RETAINED_ADDR (0x20000000, the first object of the .noinit
 * section in both linker scripts). Start-up code never initialises it; it survives software,
 * watchdog, lockup and pin resets and is garbage after power-on, hence the magic and check word.
 *
 * Protocol:
 *   - the bootloader calls bootstate_on_reset() first thing: it reads the RCM reset reason and
 *       * power-on / low-voltage, or an invalid record      -> crash_count = 0
 *       * watchdog or lockup while the APPLICATION ran      -> crash_count + 1 (saturating)
 *       * watchdog or lockup while the BOOTLOADER ran        -> unchanged (not the app's fault:
 *         a reset during an install must not count against the new image, mbed-bootloader #72)
 *       * any other reset (pin, software, debugger)          -> crash_count = 0
 *     and records phase = BOOTLOADER;
 *   - the bootloader calls bootstate_enter_app() just before jumping (phase = APPLICATION) and
 *     bootstate_clear_crashes() after installing a new image (a new image gets fresh retries);
 *   - the application calls bootstate_confirm() once it considers itself healthy; this clears
 *     crash_count, so only consecutive failed starts accumulate.
 */
#ifndef FW_BOOTSTATE_H
#define FW_BOOTSTATE_H

#include <stdint.h>

#define BOOTSTATE_MAGIC 0xB007C0DEu

typedef enum bootstate_phase {
    BOOTSTATE_PHASE_BOOTLOADER = 0x424F4F54, /* "BOOT" */
    BOOTSTATE_PHASE_APP = 0x41505020,        /* "APP " */
} bootstate_phase_t;

typedef struct bootstate {
    uint32_t magic;       /* BOOTSTATE_MAGIC */
    uint32_t phase;       /* bootstate_phase_t: who ran when the last reset came */
    uint32_t crash_count; /* consecutive watchdog/lockup resets of the application */
    uint32_t check;       /* ~(magic ^ phase ^ crash_count) */
} bootstate_t;

/* Reset causes, decoded from RCM SRS0/SRS1 (several may be set; highest priority first). */
typedef enum bootstate_reset {
    BOOTSTATE_RESET_POWER_ON = 0, /* POR or LVD: RAM content undefined */
    BOOTSTATE_RESET_WATCHDOG,
    BOOTSTATE_RESET_LOCKUP,
    BOOTSTATE_RESET_PIN,
    BOOTSTATE_RESET_SOFTWARE,     /* SYSRESETREQ */
    BOOTSTATE_RESET_OTHER,        /* debugger (MDM-AP), clock loss, ... */
} bootstate_reset_t;

/* The record itself (section .noinit.bootstate). */
extern volatile bootstate_t fw_bootstate;

bootstate_reset_t bootstate_reset_reason(void);
const char *bootstate_reset_name(bootstate_reset_t r);

/* Bootloader side; see the protocol above. Returns the reset reason it acted on. */
bootstate_reset_t bootstate_on_reset(void);
uint32_t bootstate_crash_count(void);
void bootstate_clear_crashes(void);
void bootstate_enter_app(void);

/* Application side: "I am healthy". */
void bootstate_confirm(void);

#endif
