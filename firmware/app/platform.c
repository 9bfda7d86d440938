/*
 * The application's platform (platform.h): the watchdog from start-up on, the SysTick time base
 * (app_millis) and the task-level housekeeping (app_background: watchdog refresh, boot
 * confirmation). Built into every app version with -DAPP_VERSION=N, like main.c.
 *
 *   - fw_early_init (startup.h): watchdog APP_WDOG_TIMEOUT_MS on the LPO, configuration locked
 *     until reset;
 *   - SysTick every APP_TICK_MS (started by main() with app_tick_start()) counts ticks; the main
 *     loop and every wait of the update client and the network driver sleep in WFI and call
 *     app_background() after each wake-up, which refreshes the watchdog at task level (not in the
 *     interrupt, so a stuck task still resets);
 *   - after APP_CONFIRM_MS of healthy running, app_background() clears the bootloader's crash
 *     counter (bootstate_confirm) and prints "[APP] boot confirmed".
 *
 * app_v3 differs from app_v2 in one function besides the version: app_log() (the formatting
 * helper of the "[APP] ..." lines after the banner) builds the line in a buffer and sends it in
 * one go instead of in three calls; the console output is the same. It makes a realistic small
 * code change for delta updates (v2 -> v3).
 */
#include "platform.h"

#include <stddef.h>
#include <stdint.h>

#include "bootstate.h"
#include "startup.h"
#include "uart.h"
#include "wdog.h"

#ifndef APP_VERSION
#error "build with -DAPP_VERSION=<n>"
#endif

static volatile uint32_t ticks;
static int confirmed;

/* Before .data/.bss (startup.h). The bootloader left ALLOWUPDATE = 1; lock it now. */
void fw_early_init(void)
{
    wdog_init(APP_WDOG_TIMEOUT_MS, false);
}

void SysTick_Handler(void); /* overrides the weak alias in startup.c */
void SysTick_Handler(void)
{
    ticks++;
}

/* "[APP] <text>" and a newline. */
static void app_log(const char *text)
{
#if APP_VERSION >= 3
    char line[64];
    size_t n = 0;
    for (const char *p = "[APP] "; *p; p++)
        line[n++] = *p;
    while (*text && n < sizeof line - 2u)
        line[n++] = *text++;
    line[n++] = '\n';
    line[n] = '\0';
    uart_puts(line);
#else
    uart_puts("[APP] ");
    uart_puts(text);
    uart_putc('\n');
#endif
}

uint32_t app_millis(void)
{
    return ticks * APP_TICK_MS;
}

void app_background(void)
{
    wdog_refresh();
    if (!confirmed && ticks >= APP_CONFIRM_MS / APP_TICK_MS) {
        bootstate_confirm();
        confirmed = 1;
        app_log("boot confirmed");
    }
}
