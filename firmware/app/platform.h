/*
 * The application's platform (platform.c): what the app's modules (netdev.c, update_client.c)
 * use from the application around them, implemented in one place. main.c starts it and runs the
 * main loop; the modules only call the two functions below.
 *
 * Contract:
 *   - Time base: SysTick at APP_TICK_MS (app_tick_start(), from main() before the update client
 *     starts); app_millis() counts from it in APP_TICK_MS steps and wraps at 2^32 ms (compare
 *     times as `app_millis() - start >= ms`, never `now >= deadline`). A SysTick interrupt wakes
 *     every WFI at least every APP_TICK_MS, so a wait loop of WFI + app_background() sees time
 *     advance.
 *   - app_background(): task-level housekeeping, never from an interrupt handler. Refreshes the
 *     watchdog (APP_WDOG_TIMEOUT_MS, configured before .data/.bss by fw_early_init) and, once the
 *     app has run healthily for APP_CONFIRM_MS, confirms the boot (bootstate_confirm(), console
 *     line "[APP] boot confirmed"). Every blocking loop calls it after each wake-up and between
 *     bounded pieces of work, so no task may go APP_WDOG_TIMEOUT_MS without it; it returns
 *     quickly and is safe to call at any rate.
 */
#ifndef FW_APP_PLATFORM_H
#define FW_APP_PLATFORM_H

#include <stdint.h>

#include "k64f.h"

#ifndef APP_WDOG_TIMEOUT_MS
#define APP_WDOG_TIMEOUT_MS 1000u
#endif
#ifndef APP_TICK_MS
#define APP_TICK_MS 10u
#endif
#ifndef APP_CONFIRM_MS
#define APP_CONFIRM_MS 1000u
#endif

/* SysTick from the processor clock: 24-bit reload. */
#define APP_SYST_RELOAD (K64F_CORE_CLOCK_HZ / (1000u / APP_TICK_MS) - 1u)
_Static_assert(1000u % APP_TICK_MS == 0, "APP_TICK_MS must divide 1000");
_Static_assert(APP_SYST_RELOAD >= 1u && APP_SYST_RELOAD <= 0xFFFFFFu, "SysTick reload is 24 bits");

/* Milliseconds since app_tick_start() (APP_TICK_MS resolution, wraps at 2^32). */
uint32_t app_millis(void);
/* Task-level housekeeping after every wake-up and between bounded pieces of work: watchdog
 * refresh, boot confirmation once healthy long enough. */
void app_background(void);

/* Start the time base: SysTick every APP_TICK_MS from the core clock, with its interrupt. */
static inline void app_tick_start(void)
{
    SYST_RVR = APP_SYST_RELOAD; /* 1,199,999 at 120 MHz, 10 ms */
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

#endif
