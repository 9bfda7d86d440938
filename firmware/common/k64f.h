/*
 * NXP Kinetis K64F (MK64FN1M0VLL12) registers used by the fwemu firmware, and the few Cortex-M4
 * core intrinsics we need (no CMSIS dependency).
 *
 * Offsets and bits come from NXP's MK64F12.h / SVD and the ARMv7-M Architecture Reference Manual
 * (cited per block); see also /work/shared/reference/k64f.md. Only what the firmware touches is
 * defined: every register listed here is one the emulator must model (README.md, "Emulator
 * requirements").
 */
#ifndef FW_K64F_H
#define FW_K64F_H

#include <stdint.h>

#define REG8(addr) (*(volatile uint8_t *)(addr))
#define REG16(addr) (*(volatile uint16_t *)(addr))
#define REG32(addr) (*(volatile uint32_t *)(addr))

/* ---- clocks --------------------------------------------------------------------------------- */
/* Out of reset the MCG is in FEI: core/system and bus clock = 32768 Hz x 640 (DCO range 0,
 * DMX32 = 0) = 20.97152 MHz. Start-up (startup.c -> fw_clock_init -> clock_init, clock.h) moves
 * it to PEE from the FRDM-K64F's 50 MHz external clock, as Mbed OS's K64F SystemInit does, right
 * after fw_early_init(): every frequency below except K64F_FEI_CLOCK_HZ holds from then on, so in
 * main() and everything it calls. */
#define K64F_FEI_CLOCK_HZ 20971520u      /* reset clock (FEI), before clock_init() */
#define K64F_EXTAL_CLOCK_HZ 50000000u    /* EXTAL0: 50 MHz from the Ethernet PHY oscillator */
#define K64F_CORE_CLOCK_HZ 120000000u    /* core/system: CPU, SysTick (CLKSOURCE = 1), UART0/1 */
#define K64F_BUS_CLOCK_HZ 60000000u      /* bus: UART2-5, PIT, WDOG alternate clock */
#define K64F_FLEXBUS_CLOCK_HZ 40000000u
#define K64F_FLASH_CLOCK_HZ 24000000u    /* flash clock (datasheet max 25 MHz) */

/* ---- MCG (base 0x4006_4000, 8-bit registers) and OSC0 (0x4006_5000) ------------------------ */
#define MCG_BASE 0x40064000u
#define MCG_C1 REG8(MCG_BASE + 0x00u)
#define MCG_C1_IRCLKEN (1u << 1)
#define MCG_C1_IREFS (1u << 2)
#define MCG_C1_FRDIV(n) ((uint32_t)(n) << 3)     /* FLL external reference divider */
#define MCG_C1_CLKS(n) ((uint32_t)(n) << 6)      /* 0 = FLL/PLL, 1 = internal, 2 = external */
#define MCG_C1_CLKS_MASK (3u << 6)
#define MCG_C2 REG8(MCG_BASE + 0x01u)
#define MCG_C2_IRCS (1u << 0)
#define MCG_C2_LP (1u << 1)
#define MCG_C2_EREFS0 (1u << 2)                  /* 0 = external clock, 1 = crystal */
#define MCG_C2_HGO0 (1u << 3)
#define MCG_C2_RANGE0(n) ((uint32_t)(n) << 4)    /* 2 = very high frequency (> 8 MHz) */
#define MCG_C2_RANGE0_MASK (3u << 4)
#define MCG_C5 REG8(MCG_BASE + 0x04u)
#define MCG_C5_PRDIV0(n) ((uint32_t)(n) << 0)    /* PLL reference divide = PRDIV0 + 1 */
#define MCG_C5_PRDIV0_MASK 0x1Fu
#define MCG_C5_PLLCLKEN0 (1u << 6)
#define MCG_C6 REG8(MCG_BASE + 0x05u)
#define MCG_C6_VDIV0(n) ((uint32_t)(n) << 0)     /* VCO multiply = VDIV0 + 24 */
#define MCG_C6_VDIV0_MASK 0x1Fu
#define MCG_C6_PLLS (1u << 6)                    /* 1 = PLL selected (not FLL) */
#define MCG_S REG8(MCG_BASE + 0x06u)
#define MCG_S_OSCINIT0 (1u << 1)
#define MCG_S_CLKST_SHIFT 2u
#define MCG_S_CLKST_MASK (3u << 2)               /* 0 FLL, 1 internal, 2 external, 3 PLL */
#define MCG_S_IREFST (1u << 4)
#define MCG_S_PLLST (1u << 5)
#define MCG_S_LOCK0 (1u << 6)
#define OSC_CR REG8(0x40065000u)
#define OSC_CR_ERCLKEN (1u << 7)                 /* OSCERCLK (external reference) enable */

/* ---- SIM (base 0x4004_7000; the gates live in the 0x1000 page) ------------------------------ */
#define SIM_SCGC4 REG32(0x40048034u)
#define SIM_SCGC4_UART0 (1u << 10)
#define SIM_SCGC5 REG32(0x40048038u)
#define SIM_SCGC5_PORTB (1u << 10)
#define SIM_SCGC6 REG32(0x4004803Cu)
#define SIM_SCGC6_FTF (1u << 0)        /* reset value 1: flash controller clocked */
/* OUTDIV1 (31:28) core/system, OUTDIV2 (27:24) bus, OUTDIV3 (23:20) FlexBus, OUTDIV4 (19:16)
 * flash; each clock = MCGOUTCLK / (OUTDIVn + 1). Reset value 0x00010000. */
#define SIM_CLKDIV1 REG32(0x40048044u)
#define SIM_CLKDIV1_OUTDIV(core, bus, flexbus, flash) \
    (((uint32_t)(core) << 28) | ((uint32_t)(bus) << 24) | ((uint32_t)(flexbus) << 20) | \
     ((uint32_t)(flash) << 16))

/* ---- PORTB pin control (base 0x4004_A000): UART0 on PTB16 (RX) / PTB17 (TX), ALT3 ----------- */
#define PORTB_PCR(n) REG32(0x4004A000u + 4u * (n))
#define PORT_PCR_MUX(n) ((uint32_t)(n) << 8)

/* ---- UART0 (base 0x4006_A000, 8-bit registers) ---------------------------------------------- */
#define UART0_BASE 0x4006A000u
#define UART0_BDH REG8(UART0_BASE + 0x00u)
#define UART0_BDL REG8(UART0_BASE + 0x01u)
#define UART0_C1 REG8(UART0_BASE + 0x02u)
#define UART0_C2 REG8(UART0_BASE + 0x03u)
#define UART_C2_RE (1u << 2)
#define UART_C2_TE (1u << 3)
#define UART0_S1 REG8(UART0_BASE + 0x04u)
#define UART_S1_RDRF (1u << 5)
#define UART_S1_TC (1u << 6)
#define UART_S1_TDRE (1u << 7)
#define UART0_D REG8(UART0_BASE + 0x07u)
#define UART0_C4 REG8(UART0_BASE + 0x0Au)   /* BRFA[4:0]: baud fine adjust in 1/32 */

/* ---- WDOG (base 0x4005_2000, 16-bit registers) ---------------------------------------------- */
#define WDOG_BASE 0x40052000u
#define WDOG_STCTRLH REG16(WDOG_BASE + 0x00u)
#define WDOG_STCTRLH_WDOGEN (1u << 0)
#define WDOG_STCTRLH_CLKSRC (1u << 1)        /* 0 = LPO 1 kHz, 1 = alternate (bus) clock */
#define WDOG_STCTRLH_ALLOWUPDATE (1u << 4)
#define WDOG_STCTRLH_DBGEN (1u << 5)
#define WDOG_STCTRLH_STOPEN (1u << 6)
#define WDOG_STCTRLH_WAITEN (1u << 7)
#define WDOG_STCTRLH_RESERVED8 (1u << 8)     /* reads 1 out of reset; written back as 1 */
#define WDOG_STCTRLH_DISTESTWDOG (1u << 14)
#define WDOG_TOVALH REG16(WDOG_BASE + 0x04u)
#define WDOG_TOVALL REG16(WDOG_BASE + 0x06u)
#define WDOG_REFRESH REG16(WDOG_BASE + 0x0Cu)
#define WDOG_UNLOCK REG16(WDOG_BASE + 0x0Eu)
#define WDOG_PRESC REG16(WDOG_BASE + 0x16u)  /* PRESCVAL[10:8]: clock / (PRESCVAL + 1) */
#define WDOG_UNLOCK_KEY1 0xC520u
#define WDOG_UNLOCK_KEY2 0xD928u
#define WDOG_REFRESH_KEY1 0xA602u
#define WDOG_REFRESH_KEY2 0xB480u

/* ---- RCM reset reason (base 0x4007_F000, read-only) ----------------------------------------- */
#define RCM_SRS0 REG8(0x4007F000u)
#define RCM_SRS0_LVD (1u << 1)
#define RCM_SRS0_WDOG (1u << 5)
#define RCM_SRS0_PIN (1u << 6)
#define RCM_SRS0_POR (1u << 7)
#define RCM_SRS1 REG8(0x4007F001u)
#define RCM_SRS1_LOCKUP (1u << 1)
#define RCM_SRS1_SW (1u << 2)
#define RCM_SRS1_MDM_AP (1u << 3)

/* ---- FTFE flash controller (base 0x4002_0000, 8-bit registers; FCCOB also 32-bit) ----------- */
#define FTFE_BASE 0x40020000u
#define FTFE_FSTAT REG8(FTFE_BASE + 0x00u)
#define FTFE_FSTAT_MGSTAT0 (1u << 0)
#define FTFE_FSTAT_FPVIOL (1u << 4)
#define FTFE_FSTAT_ACCERR (1u << 5)
#define FTFE_FSTAT_RDCOLERR (1u << 6)
#define FTFE_FSTAT_CCIF (1u << 7)
#define FTFE_FCNFG REG8(FTFE_BASE + 0x01u)
#define FTFE_FCNFG_RAMRDY (1u << 1)          /* FlexRAM available as traditional RAM */
/* FCCOB as three little-endian words: +0x04 = (cmd << 24) | addr24; +0x08 byte i = FCCOB(7 - i)
 * i.e. phrase byte i for Program Phrase; +0x0C = phrase bytes 4..7 (k64f.md "FTFE registers"). */
#define FTFE_FCCOB_W0 REG32(FTFE_BASE + 0x04u)
#define FTFE_FCCOB_W1 REG32(FTFE_BASE + 0x08u)
#define FTFE_FCCOB_W2 REG32(FTFE_BASE + 0x0Cu)
#define FTFE_FPROT3 REG8(FTFE_BASE + 0x10u)  /* bit n = 32 KiB region n (0 = protected) */
#define FTFE_CMD_READ_1S_SECTION 0x01u
#define FTFE_CMD_PROGRAM_PHRASE 0x07u
#define FTFE_CMD_ERASE_SECTOR 0x09u
#define FTFE_CMD_PROGRAM_SECTION 0x0Bu

/* ---- FMC flash memory controller (base 0x4001_F000): cache / prefetch buffer invalidation --- */
#define FMC_PFB0CR REG32(0x4001F004u)
#define FMC_PFB0CR_S_B_INV (1u << 19)        /* invalidate prefetch speculation buffer */
#define FMC_PFB0CR_CINV_WAY (0xFu << 20)     /* invalidate all cache ways */

/* ---- fwemu test device (the emulator's marker register block; reserved on real silicon) ----- */
#define FWEMU_TESTDEV_MARKER REG32(0x400FE000u)

/* ---- Cortex-M4 System Control Space (ARMv7-M ARM B3.2) -------------------------------------- */
#define SCB_ICSR REG32(0xE000ED04u)
#define SCB_ICSR_PENDSTCLR (1u << 25)
#define SCB_ICSR_PENDSVCLR (1u << 27)
#define SCB_VTOR REG32(0xE000ED08u)
#define SYST_CSR REG32(0xE000E010u)           /* B3.3.3 SysTick */
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)          /* 1 = processor clock */
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))  /* B3.4.4 */
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))  /* B3.4.7 */
#define K64F_IRQ_COUNT 86u

/* ---- core intrinsics ------------------------------------------------------------------------ */
static inline uint32_t irq_save(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    return primask;
}
static inline void irq_restore(uint32_t primask)
{
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}
static inline void irq_disable(void) { __asm volatile("cpsid i" ::: "memory"); }
static inline void irq_enable(void) { __asm volatile("cpsie i" ::: "memory"); }
static inline void cpu_dsb(void) { __asm volatile("dsb" ::: "memory"); }
static inline void cpu_isb(void) { __asm volatile("isb" ::: "memory"); }
static inline void cpu_wfi(void) { __asm volatile("wfi" ::: "memory"); }
static inline void cpu_nop(void) { __asm volatile("nop"); }

#endif
