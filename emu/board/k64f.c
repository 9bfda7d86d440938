/*
 * NXP Kinetis K64F (MK64FN1M0VLL12, FRDM-K64F) board: memory map and peripherals
 * (../shared/reference/k64f.md "Memory map"). The board only assembles: the flash array is the
 * machine's flash engine (geometry from emu_config_t.flash), the rest is listed here.
 */
#include "machine_int.h"

#define K64F_SRAM_BASE 0x1FFF0000u      /* SRAM_L 64 KiB + SRAM_U 192 KiB, contiguous */
#define K64F_SRAM_SIZE 0x40000u
#define K64F_FLEXRAM_BASE 0x14000000u
#define K64F_FLEXRAM_SIZE 0x1000u

/* K64F IRQ numbers (RM chapter 3, interrupt vector assignments) */
#define K64F_IRQ_UART0_STATUS 31
#define K64F_IRQ_PIT0 48
#define K64F_IRQ_ENET_RX 84            /* the NETU device uses this vector slot */
#define FWEMU_NETU_BASE 0x400FD000u

static const regfile_init_t mpu_init[] = { { 0x000, 0x00815101u } };   /* MPU_CESR: VLD=1 */
static const regfile_init_t pmc_init[] = { { 0x000, 0x10u }, { 0x001, 0x00u }, { 0x002, 0x04u } };

int board_k64f_build(emu_machine_t *m)
{
    int rc;
    uint8_t *sram = NULL;
    if ((rc = emu_map_ram(m, "SRAM", K64F_SRAM_BASE, K64F_SRAM_SIZE, &sram)))
        return rc;
    if ((rc = emu_map_ram(m, "FlexRAM", K64F_FLEXRAM_BASE, K64F_FLEXRAM_SIZE, &m->flexram)))
        return rc;
    emu_bus_t *b = &m->bus;
    periph_t *uart0 = uart_create(b, 0, K64F_IRQ_UART0_STATUS);
    periph_t *rcm = rcm_create(b);
    periph_t *wdog = wdog_create(b, m->cfg.wdog_enabled);
    periph_t *netdev = netdev_create(b, &m->net_backend, K64F_IRQ_ENET_RX);
    struct { periph_t *p; uint32_t base; } list[] = {
        { regfile_create(b, "MPU", 0x1000, mpu_init, 1), 0x4000D000u },
        { fmc_create(b), 0x4001F000u },
        { ftfe_create(b, m->flash, m->flexram, K64F_FLEXRAM_SIZE), 0x40020000u },
        { pit_create(b, K64F_IRQ_PIT0), 0x40037000u },
        { regfile_create(b, "LPTMR0", 0x1000, NULL, 0), 0x40040000u },
        { sim_create(b, flash_size(m->flash)), 0x40047000u },
        { regfile_create(b, "PORTA", 0x1000, NULL, 0), 0x40049000u },
        { regfile_create(b, "PORTB", 0x1000, NULL, 0), 0x4004A000u },
        { regfile_create(b, "PORTC", 0x1000, NULL, 0), 0x4004B000u },
        { regfile_create(b, "PORTD", 0x1000, NULL, 0), 0x4004C000u },
        { regfile_create(b, "PORTE", 0x1000, NULL, 0), 0x4004D000u },
        { wdog, 0x40052000u },
        { mcg_create(b), 0x40064000u },
        { regfile_create(b, "OSC", 0x1000, NULL, 0), 0x40065000u },
        { uart0, 0x4006A000u },
        { regfile_create(b, "PMC", 0x1000, pmc_init, 3), 0x4007D000u },
        { regfile_create(b, "SMC", 0x1000, NULL, 0), 0x4007E000u },
        { rcm, 0x4007F000u },
        { netdev, FWEMU_NETU_BASE },   /* fwemu's network device (docs/update-flow.md) */
        { regfile_create(b, "GPIO", 0x1000, NULL, 0), 0x400FF000u },
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        if ((rc = emu_add_periph(m, list[i].p, list[i].base))) {
            for (size_t j = i + 1; j < sizeof list / sizeof list[0]; j++)
                if (list[j].p)
                    list[j].p->ops->destroy(list[j].p);
            return rc;
        }
    }
    m->uart_console = uart0;
    m->rcm = rcm;
    m->wdog = wdog;
    m->netdev = netdev;
    return EMU_OK;
}
