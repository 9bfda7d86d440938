/* K64F clock set-up: see clock.h for the contract and the frequencies. */
#include "clock.h"

static uint32_t clkst(void)
{
    return ((uint32_t)MCG_S & MCG_S_CLKST_MASK) >> MCG_S_CLKST_SHIFT;
}

bool clock_is_pee_120mhz(void)
{
    uint32_t s = MCG_S;
    return ((s & MCG_S_CLKST_MASK) >> MCG_S_CLKST_SHIFT) == 3u && (s & MCG_S_PLLST) &&
           (s & MCG_S_LOCK0) && !(s & MCG_S_IREFST) &&
           (MCG_C5 & MCG_C5_PRDIV0_MASK) == CLOCK_PRDIV0 &&
           (MCG_C6 & MCG_C6_VDIV0_MASK) == CLOCK_VDIV0 && SIM_CLKDIV1 == CLOCK_SIM_CLKDIV1;
}

bool clock_init(void)
{
    if (clock_is_pee_120mhz())
        return false; /* the bootloader did it: leave the running PLL alone */

    /* Dividers first (the SDK's CLOCK_SetSimSafeDivs): 1/2/3/5 keep bus <= 60 MHz, FlexBus
     * <= 50 MHz and flash <= 25 MHz for every MCGOUTCLK on the way (20.97, 50, 120 MHz). */
    SIM_CLKDIV1 = CLOCK_SIM_CLKDIV1;

    /* OSC0: OSCERCLK on. The 50 MHz arrives on EXTAL0 as a clock: C2 RANGE0 = very high,
     * EREFS0 = 0 (external reference, no crystal oscillator to start, OSCINIT0 not awaited),
     * HGO0/LP/IRCS = 0; LOCRE0 and the FCFTRIM bit are kept. */
    OSC_CR = OSC_CR_ERCLKEN;
    MCG_C2 = (uint8_t)((MCG_C2 & ~(MCG_C2_RANGE0_MASK | MCG_C2_HGO0 | MCG_C2_EREFS0 | MCG_C2_LP |
                                   MCG_C2_IRCS)) |
                       MCG_C2_RANGE0(2));

    /* FEI -> FBE: MCGOUTCLK = the external reference (CLKS = 2), FLL reference external
     * (IREFS = 0, FRDIV /1536), internal reference clock kept enabled (IRCLKEN). From PEE this
     * is PEE -> PBE, from PBE/FBE it changes nothing. */
    MCG_C1 = (uint8_t)(MCG_C1_CLKS(2) | MCG_C1_FRDIV(CLOCK_FRDIV) | MCG_C1_IRCLKEN);
    while (MCG_S & MCG_S_IREFST) {
    }
    while (clkst() != 2u) {
    }
    /* A PLL left running by someone else (PBE) is switched off before it is reprogrammed. */
    if (MCG_C6 & MCG_C6_PLLS) {
        MCG_C6 = (uint8_t)(MCG_C6 & ~MCG_C6_PLLS);
        while (MCG_S & MCG_S_PLLST) {
        }
    }

    /* FBE -> PBE: PLL reference /20, VCO x48, then select the PLL (PLLS) and wait for the PLLS
     * clock mux (PLLST) and for lock (LOCK0). MCGOUTCLK is still the 50 MHz external clock. */
    MCG_C5 = (uint8_t)MCG_C5_PRDIV0(CLOCK_PRDIV0);
    MCG_C6 = (uint8_t)MCG_C6_VDIV0(CLOCK_VDIV0);
    MCG_C6 = (uint8_t)(MCG_C6_VDIV0(CLOCK_VDIV0) | MCG_C6_PLLS);
    while (!(MCG_S & MCG_S_PLLST)) {
    }
    while (!(MCG_S & MCG_S_LOCK0)) {
    }

    /* PBE -> PEE: MCGOUTCLK = PLL (CLKS = 0 with PLLS = 1). */
    MCG_C1 = (uint8_t)(MCG_C1 & ~MCG_C1_CLKS_MASK);
    while (clkst() != 3u) {
    }
    return true;
}
