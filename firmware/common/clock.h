/*
 * K64F clock set-up: 120 MHz from the FRDM-K64F's 50 MHz external clock, the configuration of
 * Mbed OS's K64F SystemInit / BOARD_BootClockRUN (k64f.md "MCG"; K64 RM chapter MCG, "MCG mode
 * state diagram" and "Example: moving from FEI to PEE mode").
 *
 *   EXTAL0 50 MHz (the Ethernet PHY's oscillator output; an external clock, not a crystal:
 *   C2.EREFS0 = 0, so there is no oscillator start-up and no OSCINIT0 to wait for)
 *     -> PLL reference 50 MHz / (PRDIV0 19 + 1) = 2.5 MHz   (datasheet range 2-4 MHz)
 *     -> VCO / MCGOUTCLK 2.5 MHz x (VDIV0 24 + 24) = 120 MHz
 *     -> SIM_CLKDIV1 0x01240000: core/system 120 MHz (/1), bus 60 MHz (/2),
 *        FlexBus 40 MHz (/3), flash 24 MHz (/5)
 *
 * clock_init() walks FEI -> FBE -> PBE -> PEE, polling MCG_S after every step exactly as the
 * SDK does (IREFST clears, CLKST = 2, PLLST sets, LOCK0 sets, CLKST = 3). The loops are not
 * bounded: on a board without the 50 MHz clock they hang, and the watchdog, which every image
 * configures first (fw_early_init runs before this), resets the chip, as with Mbed.
 *
 * Idempotent: when the MCG is already in PEE with this PLL configuration and these dividers
 * (the bootloader set it up and jumped; resets put the MCG back in FEI, so this happens only
 * after a jump) it returns at once without touching anything: reprogramming PRDIV0/VDIV0 of a
 * PLL that clocks the core is not allowed. Any other mode (FEI out of reset, or FBE/PBE/PEE
 * left by a foreign loader) is first brought to FBE, the PLL disabled, and then walked to PEE.
 *
 * Touches: SIM_CLKDIV1, OSC0_CR (ERCLKEN), MCG C1/C2/C5/C6. Left alone: MCG C4 (trims), C7
 * (OSCSEL 0 = OSC0, its reset value), SIM_SOPT1/SOPT2 (32 kHz and peripheral clock selects:
 * nothing here uses them), RTC, SMC. Uses no RAM (safe before .data/.bss exist).
 */
#ifndef FW_CLOCK_H
#define FW_CLOCK_H

#include <stdbool.h>

#include "k64f.h"

#define CLOCK_PRDIV0 19u                 /* 50 MHz / 20 = 2.5 MHz */
#define CLOCK_VDIV0 24u                  /* x (24 + 24) = 48 */
#define CLOCK_FRDIV 7u                   /* FLL reference 50 MHz / 1536 = 32.55 kHz (RANGE0 = 2) */
#define CLOCK_SIM_CLKDIV1 SIM_CLKDIV1_OUTDIV(0, 1, 2, 4)   /* 0x01240000 */

#define CLOCK_PLL_REF_HZ (K64F_EXTAL_CLOCK_HZ / (CLOCK_PRDIV0 + 1u))
#define CLOCK_MCGOUT_HZ (CLOCK_PLL_REF_HZ * (CLOCK_VDIV0 + 24u))

_Static_assert(CLOCK_PLL_REF_HZ >= 2000000u && CLOCK_PLL_REF_HZ <= 4000000u,
               "PLL reference outside 2-4 MHz");
_Static_assert(CLOCK_MCGOUT_HZ == K64F_CORE_CLOCK_HZ, "PLL output is not the core clock");
_Static_assert(CLOCK_SIM_CLKDIV1 == 0x01240000u, "SIM_CLKDIV1");
_Static_assert(CLOCK_MCGOUT_HZ / 2u == K64F_BUS_CLOCK_HZ && CLOCK_MCGOUT_HZ / 3u ==
               K64F_FLEXBUS_CLOCK_HZ && CLOCK_MCGOUT_HZ / 5u == K64F_FLASH_CLOCK_HZ,
               "SIM_CLKDIV1 does not give the documented clocks");

/* Switch to PEE 120 MHz (see above). Returns true if it changed the clock configuration, false
 * if PEE 120 MHz was already in force. */
bool clock_init(void);

/* True when the MCG runs the core from the PLL configured as above (PEE, locked). */
bool clock_is_pee_120mhz(void);

#endif
