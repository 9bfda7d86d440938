/*
 * K64F WDOG driver (k64f.md "WDOG"; K64 RM chapter WDOG).
 *
 * The WDOG runs out of reset (FEI bus clock / 5, TOVAL 0x4C4B4C: about 1.2 s). wdog_init() moves it to
 * the 1 kHz LPO so a timeout in milliseconds is independent of the core clock (the MCUXpresso SDK
 * default), prescaler 1, no window, running in Wait (WFI) and Stop, paused while a debugger halts
 * the core, and functional test mode disabled.
 *
 * Timing rules the functions honour: the two unlock writes and the two refresh writes each land
 * within 20 bus clocks of each other (interrupts masked around them), and the configuration is
 * written within the 256-bus-clock window (WCT) after the unlock. A wrong key or a late write
 * resets the chip.
 */
#ifndef FW_WDOG_H
#define FW_WDOG_H

#include <stdbool.h>
#include <stdint.h>

/* Enable with a timeout of `timeout_ms` (4..65535 ms, LPO clock). allow_update = true keeps the
 * configuration writable (after another unlock) until the next reset; false locks it. Safe to call
 * before .data/.bss are initialised. Requires ALLOWUPDATE = 1 in the current configuration (true
 * out of reset and as the fwemu bootloader leaves it). */
void wdog_init(uint32_t timeout_ms, bool allow_update);
/* Service the watchdog. Cheap; callable from any context. */
void wdog_refresh(void);
/* Disable the watchdog until the next reset (needs ALLOWUPDATE = 1). */
void wdog_disable(void);

#endif
