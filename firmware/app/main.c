/*
 * fwemu test application (app_v1/v2/v3 are this file built with -DAPP_VERSION=1/2/3).
 *
 * Runs from the active slot at 0x8400, started by the bootloader (or any loader that jumps to its
 * reset vector): start-up sets MSP and VTOR from this image's own vector table, so it does not
 * depend on the state the loader left them in.
 *
 *   1. fw_early_init: watchdog APP_WDOG_TIMEOUT_MS on the LPO, configuration locked until reset;
 *   2. prints "[APP] fwemu app v<N> running" on UART0 and waits until it has left the UART;
 *   3. writes APP_VERSION to the fwemu marker register (FWEMU_MARKER, see below);
 *   4. SysTick every APP_TICK_MS; the main loop sleeps in WFI, and after each wake-up refreshes the
 *      watchdog (at task level, not in the interrupt, so a stuck main loop still resets);
 *   5. after APP_CONFIRM_MS of healthy running, clears the bootloader's crash counter
 *      (bootstate_confirm) and prints "[APP] boot confirmed";
 *   6. the update client (update_client.h, README.md "Update client") runs from the main loop
 *      after every wake-up; its blocking steps call app_background() (watchdog refresh and the
 *      confirmation of step 5) after every wake-up and between bounded pieces of work.
 *
 * app_v3 differs from app_v2 in one function besides the version: app_log() (the formatting
 * helper of the "[APP] ..." lines after the banner) builds the line in a buffer and sends it in
 * one go instead of in three calls; the console output is the same. It makes a realistic small
 * code change for delta updates (v2 -> v3).
 *
 * Clocks: start-up's fw_clock_init (clock.h) runs after fw_early_init. Started by the bootloader
 * the MCG is already in PEE at 120 MHz and clock_init() returns without touching it; started on
 * its own (an ELF loaded by a debugger) the app walks FEI -> PEE itself. Either way
 * K64F_CORE_CLOCK_HZ (120 MHz) clocks SysTick and UART0 from main() on.
 *
 * app64_vN (-DAPP_TABLE_KIB=60, app_table.c): the same program plus a 60 KiB constant table
 * (different per version) for ~64 KiB install benchmarks; after the marker it prints
 * "[APP] table <n> KiB sum 0x<sum>", which reads the whole table (so section GC keeps it and a
 * damaged copy shows).
 *
 * FWEMU_MARKER (default 1): a 32-bit store of APP_VERSION to 0x400FE000, the fwemu test device's
 * MARKER register, tells the emulator "application running". On real K64F silicon this address
 * is reserved (a store may fault): build with -DFWEMU_MARKER=0 for hardware.
 */
#include <stddef.h>
#include <stdint.h>

#include "app_table.h"
#include "bootstate.h"
#include "k64f.h"
#include "startup.h"
#include "netdev.h"
#include "uart.h"
#include "update_client.h"
#include "wdog.h"

#ifndef APP_VERSION
#error "build with -DAPP_VERSION=<n>"
#endif
#ifndef FWEMU_MARKER
#define FWEMU_MARKER 1
#endif
#ifndef APP_WDOG_TIMEOUT_MS
#define APP_WDOG_TIMEOUT_MS 1000u
#endif
#ifndef APP_TICK_MS
#define APP_TICK_MS 10u
#endif
#ifndef APP_CONFIRM_MS
#define APP_CONFIRM_MS 1000u
#endif

#define STR_(x) #x
#define STR(x) STR_(x)

/* SysTick from the processor clock: 24-bit reload. */
#define APP_SYST_RELOAD (K64F_CORE_CLOCK_HZ / (1000u / APP_TICK_MS) - 1u)
_Static_assert(1000u % APP_TICK_MS == 0, "APP_TICK_MS must divide 1000");
_Static_assert(APP_SYST_RELOAD >= 1u && APP_SYST_RELOAD <= 0xFFFFFFu, "SysTick reload is 24 bits");

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

/* Task-level housekeeping after every wake-up (main loop and the update client's waits):
 * refresh the watchdog (a stuck task still resets), confirm the boot once healthy long enough. */
void app_background(void)
{
    wdog_refresh();
    if (!confirmed && ticks >= APP_CONFIRM_MS / APP_TICK_MS) {
        bootstate_confirm();
        confirmed = 1;
        app_log("boot confirmed");
    }
}

int main(void)
{
    wdog_refresh();
    uart_init();
    uart_puts("[APP] fwemu app v" STR(APP_VERSION) " running\n");
    uart_flush();
#if FWEMU_MARKER
    FWEMU_TESTDEV_MARKER = (uint32_t)(APP_VERSION);
#endif
#if APP_TABLE_KIB > 0
    uart_puts("[APP] table " STR(APP_TABLE_KIB) " KiB sum ");
    uart_put_hex32(app_table_sum());
    uart_putc('\n');
#endif

    SYST_RVR = APP_SYST_RELOAD; /* 1,199,999 at 120 MHz, 10 ms */
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;

    update_client_init(APP_VERSION);
    for (;;) {
        update_client_poll();
        cpu_wfi();
        app_background();
    }
}
