/* K64F start-up: see startup.h for the contract. */
#include "startup.h"

#include <errno.h>
#include <stddef.h>

#include "clock.h"
#include "k64f.h"

/* ---- exception handlers --------------------------------------------------------------------- */
/* Unhandled exceptions and faults spin: the watchdog then resets the chip, which the bootloader
 * reads from RCM as a watchdog reset (crash-loop detection, bootstate.h). A spin is used rather
 * than WFI so that a fault with all interrupts masked can never look like a deliberate halt. */
void Default_Handler(void);
void Default_Handler(void)
{
    for (;;) {
    }
}

#define WEAK_HANDLER(name) void name(void) __attribute__((weak, alias("Default_Handler")))

WEAK_HANDLER(NMI_Handler);
WEAK_HANDLER(HardFault_Handler);
WEAK_HANDLER(MemManage_Handler);
WEAK_HANDLER(BusFault_Handler);
WEAK_HANDLER(UsageFault_Handler);
WEAK_HANDLER(SVC_Handler);
WEAK_HANDLER(DebugMon_Handler);
WEAK_HANDLER(PendSV_Handler);
WEAK_HANDLER(SysTick_Handler);

WEAK_HANDLER(DMA0_IRQHandler);
WEAK_HANDLER(DMA1_IRQHandler);
WEAK_HANDLER(DMA2_IRQHandler);
WEAK_HANDLER(DMA3_IRQHandler);
WEAK_HANDLER(DMA4_IRQHandler);
WEAK_HANDLER(DMA5_IRQHandler);
WEAK_HANDLER(DMA6_IRQHandler);
WEAK_HANDLER(DMA7_IRQHandler);
WEAK_HANDLER(DMA8_IRQHandler);
WEAK_HANDLER(DMA9_IRQHandler);
WEAK_HANDLER(DMA10_IRQHandler);
WEAK_HANDLER(DMA11_IRQHandler);
WEAK_HANDLER(DMA12_IRQHandler);
WEAK_HANDLER(DMA13_IRQHandler);
WEAK_HANDLER(DMA14_IRQHandler);
WEAK_HANDLER(DMA15_IRQHandler);
WEAK_HANDLER(DMA_Error_IRQHandler);
WEAK_HANDLER(MCM_IRQHandler);
WEAK_HANDLER(FTFE_IRQHandler);
WEAK_HANDLER(Read_Collision_IRQHandler);
WEAK_HANDLER(LVD_LVW_IRQHandler);
WEAK_HANDLER(LLWU_IRQHandler);
WEAK_HANDLER(WDOG_EWM_IRQHandler);
WEAK_HANDLER(RNG_IRQHandler);
WEAK_HANDLER(I2C0_IRQHandler);
WEAK_HANDLER(I2C1_IRQHandler);
WEAK_HANDLER(SPI0_IRQHandler);
WEAK_HANDLER(SPI1_IRQHandler);
WEAK_HANDLER(I2S0_Tx_IRQHandler);
WEAK_HANDLER(I2S0_Rx_IRQHandler);
WEAK_HANDLER(UART0_LON_IRQHandler);
WEAK_HANDLER(UART0_RX_TX_IRQHandler);
WEAK_HANDLER(UART0_ERR_IRQHandler);
WEAK_HANDLER(UART1_RX_TX_IRQHandler);
WEAK_HANDLER(UART1_ERR_IRQHandler);
WEAK_HANDLER(UART2_RX_TX_IRQHandler);
WEAK_HANDLER(UART2_ERR_IRQHandler);
WEAK_HANDLER(UART3_RX_TX_IRQHandler);
WEAK_HANDLER(UART3_ERR_IRQHandler);
WEAK_HANDLER(ADC0_IRQHandler);
WEAK_HANDLER(CMP0_IRQHandler);
WEAK_HANDLER(CMP1_IRQHandler);
WEAK_HANDLER(FTM0_IRQHandler);
WEAK_HANDLER(FTM1_IRQHandler);
WEAK_HANDLER(FTM2_IRQHandler);
WEAK_HANDLER(CMT_IRQHandler);
WEAK_HANDLER(RTC_IRQHandler);
WEAK_HANDLER(RTC_Seconds_IRQHandler);
WEAK_HANDLER(PIT0_IRQHandler);
WEAK_HANDLER(PIT1_IRQHandler);
WEAK_HANDLER(PIT2_IRQHandler);
WEAK_HANDLER(PIT3_IRQHandler);
WEAK_HANDLER(PDB0_IRQHandler);
WEAK_HANDLER(USB0_IRQHandler);
WEAK_HANDLER(USBDCD_IRQHandler);
WEAK_HANDLER(Reserved71_IRQHandler);
WEAK_HANDLER(DAC0_IRQHandler);
WEAK_HANDLER(MCG_IRQHandler);
WEAK_HANDLER(LPTMR0_IRQHandler);
WEAK_HANDLER(PORTA_IRQHandler);
WEAK_HANDLER(PORTB_IRQHandler);
WEAK_HANDLER(PORTC_IRQHandler);
WEAK_HANDLER(PORTD_IRQHandler);
WEAK_HANDLER(PORTE_IRQHandler);
WEAK_HANDLER(SWI_IRQHandler);
WEAK_HANDLER(SPI2_IRQHandler);
WEAK_HANDLER(UART4_RX_TX_IRQHandler);
WEAK_HANDLER(UART4_ERR_IRQHandler);
WEAK_HANDLER(UART5_RX_TX_IRQHandler);
WEAK_HANDLER(UART5_ERR_IRQHandler);
WEAK_HANDLER(CMP2_IRQHandler);
WEAK_HANDLER(FTM3_IRQHandler);
WEAK_HANDLER(DAC1_IRQHandler);
WEAK_HANDLER(ADC1_IRQHandler);
WEAK_HANDLER(I2C2_IRQHandler);
WEAK_HANDLER(CAN0_ORed_Message_buffer_IRQHandler);
WEAK_HANDLER(CAN0_Bus_Off_IRQHandler);
WEAK_HANDLER(CAN0_Error_IRQHandler);
WEAK_HANDLER(CAN0_Tx_Warning_IRQHandler);
WEAK_HANDLER(CAN0_Rx_Warning_IRQHandler);
WEAK_HANDLER(CAN0_Wake_Up_IRQHandler);
WEAK_HANDLER(SDHC_IRQHandler);
WEAK_HANDLER(ENET_1588_Timer_IRQHandler);
WEAK_HANDLER(ENET_Transmit_IRQHandler);
WEAK_HANDLER(ENET_Receive_IRQHandler);
WEAK_HANDLER(ENET_Error_IRQHandler);

void Reset_Handler(void);

typedef void (*vector_t)(void);

/* 16 system + 86 K64F interrupt vectors (MK64F12.h IRQn order). The linker script places
 * .vectors first in the image and checks its size (0x198 bytes). */
__attribute__((section(".vectors"), used))
const vector_t fw_vectors[16 + K64F_IRQ_COUNT] = {
    (vector_t)(uintptr_t)__StackTop,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0, 0, 0, 0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
    /* IRQ 0.. */
    DMA0_IRQHandler, DMA1_IRQHandler, DMA2_IRQHandler, DMA3_IRQHandler,
    DMA4_IRQHandler, DMA5_IRQHandler, DMA6_IRQHandler, DMA7_IRQHandler,
    DMA8_IRQHandler, DMA9_IRQHandler, DMA10_IRQHandler, DMA11_IRQHandler,
    DMA12_IRQHandler, DMA13_IRQHandler, DMA14_IRQHandler, DMA15_IRQHandler,
    DMA_Error_IRQHandler,            /* 16 */
    MCM_IRQHandler,
    FTFE_IRQHandler,
    Read_Collision_IRQHandler,
    LVD_LVW_IRQHandler,              /* 20 */
    LLWU_IRQHandler,
    WDOG_EWM_IRQHandler,
    RNG_IRQHandler,
    I2C0_IRQHandler,
    I2C1_IRQHandler,                 /* 25 */
    SPI0_IRQHandler,
    SPI1_IRQHandler,
    I2S0_Tx_IRQHandler,
    I2S0_Rx_IRQHandler,
    UART0_LON_IRQHandler,            /* 30 */
    UART0_RX_TX_IRQHandler,
    UART0_ERR_IRQHandler,
    UART1_RX_TX_IRQHandler,
    UART1_ERR_IRQHandler,
    UART2_RX_TX_IRQHandler,          /* 35 */
    UART2_ERR_IRQHandler,
    UART3_RX_TX_IRQHandler,
    UART3_ERR_IRQHandler,
    ADC0_IRQHandler,
    CMP0_IRQHandler,                 /* 40 */
    CMP1_IRQHandler,
    FTM0_IRQHandler,
    FTM1_IRQHandler,
    FTM2_IRQHandler,
    CMT_IRQHandler,                  /* 45 */
    RTC_IRQHandler,
    RTC_Seconds_IRQHandler,
    PIT0_IRQHandler,
    PIT1_IRQHandler,
    PIT2_IRQHandler,                 /* 50 */
    PIT3_IRQHandler,
    PDB0_IRQHandler,
    USB0_IRQHandler,
    USBDCD_IRQHandler,
    Reserved71_IRQHandler,           /* 55 */
    DAC0_IRQHandler,
    MCG_IRQHandler,
    LPTMR0_IRQHandler,
    PORTA_IRQHandler,
    PORTB_IRQHandler,                /* 60 */
    PORTC_IRQHandler,
    PORTD_IRQHandler,
    PORTE_IRQHandler,
    SWI_IRQHandler,
    SPI2_IRQHandler,                 /* 65 */
    UART4_RX_TX_IRQHandler,
    UART4_ERR_IRQHandler,
    UART5_RX_TX_IRQHandler,
    UART5_ERR_IRQHandler,
    CMP2_IRQHandler,                 /* 70 */
    FTM3_IRQHandler,
    DAC1_IRQHandler,
    ADC1_IRQHandler,
    I2C2_IRQHandler,
    CAN0_ORed_Message_buffer_IRQHandler, /* 75 */
    CAN0_Bus_Off_IRQHandler,
    CAN0_Error_IRQHandler,
    CAN0_Tx_Warning_IRQHandler,
    CAN0_Rx_Warning_IRQHandler,
    CAN0_Wake_Up_IRQHandler,         /* 80 */
    SDHC_IRQHandler,
    ENET_1588_Timer_IRQHandler,
    ENET_Transmit_IRQHandler,
    ENET_Receive_IRQHandler,
    ENET_Error_IRQHandler,           /* 85 */
};

/* ---- Flash Configuration Field (k64f.md "Flash Configuration Field") ------------------------ */
/* Loaded into the FTFE at every reset. Only images linked at address 0 keep it (the bootloader
 * script places .flash_config at 0x400; the application script discards it). Any other FSEC
 * value can lock the part: 0xFE = SEC 0b10 unsecure, FSLACC and MEEN = 0b11 (mass erase
 * enabled), KEYEN = 0b11 (backdoor key disabled). */
__attribute__((section(".flash_config"), used))
const uint8_t fw_flash_config[16] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, /* 0x400 backdoor comparison key */
    0xFF, 0xFF, 0xFF, 0xFF,                         /* 0x408 FPROT3..0: nothing protected */
    0xFE,                                           /* 0x40C FSEC: unsecure */
    0xFF,                                           /* 0x40D FOPT: defaults (NMI, EzPort on) */
    0xFF,                                           /* 0x40E FEPROT */
    0xFF,                                           /* 0x40F FDPROT */
};

/* ---- reset ---------------------------------------------------------------------------------- */
extern uint32_t __data_load__[], __data_start__[], __data_end__[];
extern uint32_t __ramfunc_load__[], __ramfunc_start__[], __ramfunc_end__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

__attribute__((weak)) void fw_early_init(void)
{
}

/* Mbed's SystemInit step: PEE 120 MHz (clock.h). A no-op when the bootloader already did it. */
__attribute__((weak)) void fw_clock_init(void)
{
    (void)clock_init();
}

static void copy_words(uint32_t *dst, const uint32_t *src, const uint32_t *end)
{
    while (dst < end)
        *dst++ = *src++;
}

__attribute__((noreturn, used)) static void reset_c(void)
{
    SCB_VTOR = (uint32_t)(uintptr_t)__vector_table;
    cpu_dsb();
    cpu_isb();

    fw_early_init();
    fw_clock_init();

    copy_words(__data_start__, __data_load__, __data_end__);
    copy_words(__ramfunc_start__, __ramfunc_load__, __ramfunc_end__);
    for (uint32_t *p = __bss_start__; p < __bss_end__; p++)
        *p = 0;
    cpu_dsb();
    cpu_isb(); /* .ramfunc code was written as data: synchronise before it is fetched */

    for (void (**f)(void) = __init_array_start; f < __init_array_end; f++)
        (*f)();

    (void)main();
    for (;;) {
    }
}

/* Naked so that nothing touches the stack before MSP is set from the linker script: a debugger
 * or a bootloader may enter here with any SP. */
__attribute__((naked, noreturn)) void Reset_Handler(void)
{
    __asm volatile(
        "ldr r0, =__StackTop\n"
        "msr msp, r0\n"
        "b reset_c\n"
        ".ltorg\n");
}

/* ---- newlib heap ---------------------------------------------------------------------------- */
/* Bounded sbrk over [__HeapBase, __HeapLimit) for malloc (Mbed TLS bignum/ECP use calloc). Kept in
 * this always-linked object so that it wins over libnosys' unbounded one. */
void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr)
{
    static char *brk;
    if (brk == NULL)
        brk = (char *)__HeapBase;
    if (incr > (char *)__HeapLimit - brk || incr < (char *)__HeapBase - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *prev = brk;
    brk += incr;
    return prev;
}
