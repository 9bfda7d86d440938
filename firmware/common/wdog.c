/* K64F WDOG: see wdog.h for the contract. */
#include "wdog.h"

#include "k64f.h"

static inline void wdog_unlock(void)
{
    WDOG_UNLOCK = WDOG_UNLOCK_KEY1;
    WDOG_UNLOCK = WDOG_UNLOCK_KEY2;
    cpu_nop(); /* one bus clock before the first configuration write: 2 core clocks at */
    cpu_nop(); /* 120/60 MHz, 2 bus clocks in FEI (core = bus) */
}

static void wdog_write_config(uint16_t stctrlh, uint32_t timeout_ms)
{
    uint32_t primask = irq_save();
    wdog_unlock();
    WDOG_TOVALH = (uint16_t)(timeout_ms >> 16);
    WDOG_TOVALL = (uint16_t)timeout_ms;
    WDOG_PRESC = 0; /* PRESCVAL 0: LPO / 1 = 1 kHz, TOVAL counts milliseconds */
    WDOG_STCTRLH = stctrlh;
    irq_restore(primask);
}

void wdog_init(uint32_t timeout_ms, bool allow_update)
{
    if (timeout_ms < 4u)
        timeout_ms = 4u; /* RM: TOVAL must be at least 4 */
    if (timeout_ms > 0xFFFFu)
        timeout_ms = 0xFFFFu;
    uint16_t ctrl = WDOG_STCTRLH_WDOGEN | WDOG_STCTRLH_WAITEN | WDOG_STCTRLH_STOPEN |
                    WDOG_STCTRLH_RESERVED8 | WDOG_STCTRLH_DISTESTWDOG;
    /* CLKSRC = 0 (LPO), DBGEN = 0 (paused in debug halt), WINEN = 0, IRQRSTEN = 0 */
    if (allow_update)
        ctrl |= WDOG_STCTRLH_ALLOWUPDATE;
    wdog_write_config(ctrl, timeout_ms);
}

void wdog_refresh(void)
{
    uint32_t primask = irq_save();
    WDOG_REFRESH = WDOG_REFRESH_KEY1;
    WDOG_REFRESH = WDOG_REFRESH_KEY2;
    irq_restore(primask);
}

void wdog_disable(void)
{
    wdog_write_config(WDOG_STCTRLH_WAITEN | WDOG_STCTRLH_STOPEN | WDOG_STCTRLH_RESERVED8 |
                          WDOG_STCTRLH_ALLOWUPDATE | WDOG_STCTRLH_DISTESTWDOG,
                      0xFFFFu);
}
