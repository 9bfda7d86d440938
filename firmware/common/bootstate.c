/* Boot state in retained RAM: see bootstate.h for the protocol. */
#include "bootstate.h"

#include <stdbool.h>

#include "k64f.h"

__attribute__((section(".noinit.bootstate"), used)) volatile bootstate_t fw_bootstate;

static uint32_t bootstate_check(uint32_t phase, uint32_t count)
{
    return ~(BOOTSTATE_MAGIC ^ phase ^ count);
}

static bool bootstate_valid(void)
{
    return fw_bootstate.magic == BOOTSTATE_MAGIC &&
           fw_bootstate.check == bootstate_check(fw_bootstate.phase, fw_bootstate.crash_count);
}

static void bootstate_write(uint32_t phase, uint32_t count)
{
    fw_bootstate.magic = BOOTSTATE_MAGIC;
    fw_bootstate.phase = phase;
    fw_bootstate.crash_count = count;
    fw_bootstate.check = bootstate_check(phase, count);
}

bootstate_reset_t bootstate_reset_reason(void)
{
    uint8_t srs0 = RCM_SRS0, srs1 = RCM_SRS1;
    if (srs0 & (RCM_SRS0_POR | RCM_SRS0_LVD))
        return BOOTSTATE_RESET_POWER_ON;
    if (srs0 & RCM_SRS0_WDOG)
        return BOOTSTATE_RESET_WATCHDOG;
    if (srs1 & RCM_SRS1_LOCKUP)
        return BOOTSTATE_RESET_LOCKUP;
    if (srs0 & RCM_SRS0_PIN)
        return BOOTSTATE_RESET_PIN;
    if (srs1 & RCM_SRS1_SW)
        return BOOTSTATE_RESET_SOFTWARE;
    return BOOTSTATE_RESET_OTHER;
}

const char *bootstate_reset_name(bootstate_reset_t r)
{
    switch (r) {
    case BOOTSTATE_RESET_POWER_ON: return "power-on";
    case BOOTSTATE_RESET_WATCHDOG: return "watchdog";
    case BOOTSTATE_RESET_LOCKUP: return "lockup";
    case BOOTSTATE_RESET_PIN: return "pin";
    case BOOTSTATE_RESET_SOFTWARE: return "software";
    default: return "other";
    }
}

bootstate_reset_t bootstate_on_reset(void)
{
    bootstate_reset_t reason = bootstate_reset_reason();
    uint32_t count = 0;
    if (reason != BOOTSTATE_RESET_POWER_ON && bootstate_valid()) {
        count = fw_bootstate.crash_count;
        if (reason == BOOTSTATE_RESET_WATCHDOG || reason == BOOTSTATE_RESET_LOCKUP) {
            if (fw_bootstate.phase == BOOTSTATE_PHASE_APP && count < 0xFFu)
                count++;
        } else {
            count = 0;
        }
    }
    bootstate_write(BOOTSTATE_PHASE_BOOTLOADER, count);
    return reason;
}

uint32_t bootstate_crash_count(void)
{
    return bootstate_valid() ? fw_bootstate.crash_count : 0;
}

void bootstate_clear_crashes(void)
{
    bootstate_write(BOOTSTATE_PHASE_BOOTLOADER, 0);
}

void bootstate_enter_app(void)
{
    bootstate_write(BOOTSTATE_PHASE_APP, bootstate_crash_count());
}

void bootstate_confirm(void)
{
    bootstate_write(BOOTSTATE_PHASE_APP, 0);
}
