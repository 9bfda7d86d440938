/*
 * NXP Kinetis K64F (MK64FN1M0VLL12, FRDM-K64F) board: memory map and peripherals
 * (../shared/reference/k64f.md "Memory map"). The board only assembles: the flash array is the
 * machine's flash engine (emu_config_t.flash, by default flash_cfg_k64f), the rest is listed
 * here and mapped through the machine's services (board.h).
 */
#include "board.h"

#define K64F_SRAM_BASE 0x1FFF0000u      /* SRAM_L 64 KiB + SRAM_U 192 KiB, contiguous */
#define K64F_SRAM_SIZE 0x40000u
#define K64F_FLEXRAM_BASE 0x14000000u
#define K64F_FLEXRAM_SIZE 0x1000u

/* K64F IRQ numbers (RM chapter 3, interrupt vector assignments) */
#define K64F_IRQ_UART0_STATUS 31
#define K64F_IRQ_RTC 46
#define K64F_IRQ_RTC_SECONDS 47
#define K64F_IRQ_PIT0 48
#define K64F_IRQ_LPTMR0 58
#define K64F_IRQ_ENET_RX 84            /* the NETU device uses this vector slot */
#define FWEMU_NETU_BASE 0x400FD000u

static const regfile_init_t mpu_init[] = { { 0x000, 0x00815101u } };   /* MPU_CESR: VLD=1 */
static const regfile_init_t pmc_init[] = { { 0x000, 0x10u }, { 0x001, 0x00u }, { 0x002, 0x04u } };

static int k64f_build(const emu_board_ctx_t *c)
{
    int rc;
    uint8_t *flexram = NULL;
    if ((rc = c->map_ram(c->m, "SRAM", K64F_SRAM_BASE, K64F_SRAM_SIZE, NULL)))
        return rc;
    if ((rc = c->map_ram(c->m, "FlexRAM", K64F_FLEXRAM_BASE, K64F_FLEXRAM_SIZE, &flexram)))
        return rc;
    emu_bus_t *b = c->bus;
    struct { periph_t *p; uint32_t base; emu_periph_role_t role; } list[] = {
        { regfile_create(b, "MPU", 0x1000, mpu_init, 1), 0x4000D000u, EMU_ROLE_NONE },
        { fmc_create(b), 0x4001F000u, EMU_ROLE_NONE },
        { ftfe_create(b, c->flash, flexram, K64F_FLEXRAM_SIZE), 0x40020000u, EMU_ROLE_NONE },
        { pit_create(b, K64F_IRQ_PIT0), 0x40037000u, EMU_ROLE_NONE },
        { rtc_create(b, K64F_IRQ_RTC, K64F_IRQ_RTC_SECONDS), 0x4003D000u, EMU_ROLE_NONE },
        { lptmr_create(b, K64F_IRQ_LPTMR0), 0x40040000u, EMU_ROLE_NONE },
        { sim_create(b, flash_size(c->flash)), 0x40047000u, EMU_ROLE_NONE },
        { regfile_create(b, "PORTA", 0x1000, NULL, 0), 0x40049000u, EMU_ROLE_NONE },
        { regfile_create(b, "PORTB", 0x1000, NULL, 0), 0x4004A000u, EMU_ROLE_NONE },
        { regfile_create(b, "PORTC", 0x1000, NULL, 0), 0x4004B000u, EMU_ROLE_NONE },
        { regfile_create(b, "PORTD", 0x1000, NULL, 0), 0x4004C000u, EMU_ROLE_NONE },
        { regfile_create(b, "PORTE", 0x1000, NULL, 0), 0x4004D000u, EMU_ROLE_NONE },
        { wdog_create(b, c->cfg->wdog_enabled), 0x40052000u, EMU_ROLE_NONE },
        { mcg_create(b), 0x40064000u, EMU_ROLE_NONE },
        { regfile_create(b, "OSC", 0x1000, NULL, 0), 0x40065000u, EMU_ROLE_NONE },
        { uart_create(b, 0, K64F_IRQ_UART0_STATUS), 0x4006A000u, EMU_ROLE_CONSOLE },
        { regfile_create(b, "PMC", 0x1000, pmc_init, 3), 0x4007D000u, EMU_ROLE_NONE },
        { regfile_create(b, "SMC", 0x1000, NULL, 0), 0x4007E000u, EMU_ROLE_NONE },
        { rcm_create(b), 0x4007F000u, EMU_ROLE_RESET_CTL },
        /* fwemu's network device (docs/update-flow.md) */
        { netdev_create(b, c->net_backend, K64F_IRQ_ENET_RX), FWEMU_NETU_BASE, EMU_ROLE_NETDEV },
        { regfile_create(b, "GPIO", 0x1000, NULL, 0), 0x400FF000u, EMU_ROLE_NONE },
    };
    size_t n = sizeof list / sizeof list[0];
    for (size_t i = 0; i < n; i++) {
        if ((rc = c->add_periph(c->m, list[i].p, list[i].base, list[i].role))) {
            for (size_t j = i + 1; j < n; j++)
                if (list[j].p)
                    list[j].p->ops->destroy(list[j].p);
            return rc;
        }
    }
    return EMU_OK;
}

const emu_board_t emu_board_k64f = {
    .name = "k64f",
    .summary = "NXP Kinetis K64F (MK64FN1M0VLL12): 1 MiB flash, 256 KiB SRAM, 4 KiB FlexRAM",
    .flash_defaults = flash_cfg_k64f,
    .build = k64f_build,
};
