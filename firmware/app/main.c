/*
 * fwemu test application (app_v1/v2/v3 are this file, platform.c and the update client built
 * with -DAPP_VERSION=1/2/3).
 *
 * Runs from the active slot at 0x8400, started by the bootloader (or any loader that jumps to its
 * reset vector): start-up sets MSP and VTOR from this image's own vector table, so it does not
 * depend on the state the loader left them in.
 *
 *   1. fw_early_init (platform.c): watchdog APP_WDOG_TIMEOUT_MS, configuration locked until reset;
 *   2. prints "[APP] fwemu app v<N> running" on UART0 and waits until it has left the UART;
 *   3. writes APP_VERSION to the fwemu marker register (FWEMU_MARKER, see below);
 *   4. starts the platform's time base (app_tick_start: SysTick every APP_TICK_MS); the main loop
 *      sleeps in WFI and after each wake-up calls app_background() (platform.h: watchdog refresh
 *      at task level, so a stuck main loop still resets; after APP_CONFIRM_MS of healthy running
 *      the boot confirmation, "[APP] boot confirmed");
 *   5. the update client (update_client.h, README.md "Update client") runs from the main loop
 *      after every wake-up; its blocking steps, and the network driver's, call app_background()
 *      after every wake-up and between bounded pieces of work.
 *
 * app_v3 differs from app_v2 in one function besides the version, the platform's app_log()
 * (platform.c); the console output is the same.
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
#include <stdint.h>

#include "app_table.h"
#include "k64f.h"
#include "platform.h"
#include "startup.h"
#include "uart.h"
#include "update_client.h"
#include "wdog.h"

#ifndef APP_VERSION
#error "build with -DAPP_VERSION=<n>"
#endif
#ifndef FWEMU_MARKER
#define FWEMU_MARKER 1
#endif

#define STR_(x) #x
#define STR(x) STR_(x)

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

    app_tick_start();

    update_client_init(APP_VERSION);
    for (;;) {
        update_client_poll();
        cpu_wfi();
        app_background();
    }
}
