/*
 * C runtime start-up for K64F images (startup.c): vector table, Flash Configuration Field,
 * Reset_Handler, default exception handlers, heap for newlib.
 *
 * Reset_Handler, in order:
 *   1. MSP = __StackTop (the image sets up its own stack whoever jumped to it);
 *   2. VTOR = this image's vector table (0 for the bootloader, 0x8400 for the application);
 *   3. fw_early_init()  -- supplied by the image; runs with NO initialised .data/.bss;
 *   4. fw_clock_init()  -- clocks to PEE 120 MHz (clock.h; weak, an image may replace it), also
 *                          before .data/.bss, like Mbed's SystemInit; the watchdog configured
 *                          in step 3 covers its polling loops;
 *   5. copy .data and .ramfunc from flash, zero .bss (the .noinit section is left alone);
 *   6. run .init_array (constructors), then main(); if main returns, spin until the watchdog.
 *
 * Interrupt state at main(): as the core left it (PRIMASK 0 after a hardware reset and after the
 * fwemu bootloader's jump). No peripheral is touched by start-up except what fw_early_init and
 * fw_clock_init do (MCG, OSC0_CR, SIM_CLKDIV1).
 */
#ifndef FW_STARTUP_H
#define FW_STARTUP_H

#include <stdint.h>

/* Image hook, called before .data/.bss exist: it may only use constants, locals and registers.
 * Its job is the watchdog (the K64F WDOG runs out of reset with ~1.2 s). The weak default in
 * startup.c does nothing, i.e. leaves the WDOG as reset or as the bootloader left it. */
void fw_early_init(void);

/* Clock hook, called right after fw_early_init(), also before .data/.bss. The weak default calls
 * clock_init() (PEE 120 MHz, K64F_CORE_CLOCK_HZ); an image that must stay in the reset clock
 * mode (FEI, 20.97 MHz) defines an empty fw_clock_init(). */
void fw_clock_init(void);

int main(void);

/* Linker-script symbols (k64f_bootloader.ld / k64f_app.ld). */
extern const uint32_t __vector_table[];
extern uint32_t __StackTop[], __StackLimit[];
extern uint32_t __HeapBase[], __HeapLimit[];

#endif
