/*
 * lockup: a fault inside the HardFault handler locks the core up; on the K64F a lockup resets
 * the chip (RCM_SRS1.LOCKUP). NOT FOR QEMU: QEMU does not model lockup (it aborts with
 * "Lockup: can't escalate 3 to HardFault"). Run it on fwemu only.
 *
 * Boot 1: changes SCS state that a reset must restore (VTOR, CCR, SHCSR, SHPR, PRIGROUP, NVIC
 *   enable/pending/priority), then a load from FW_BAD_ADDR with BusFault disabled -> HardFault;
 *   the HardFault handler does another bad load -> lockup -> reset. A word in the no-init RAM area
 *   (top 256 bytes of RAM, not touched by startup or any ELF segment) records the stage.
 * Boot 2: checks the stage word survived, the reset came from the lockup (RCM_SRS1.LOCKUP on the
 *   K64F; the only non-core register these programs touch) and that the core and SCS are in
 *   their reset state; exits 0.
 *
 * Exit codes: see the CHECK lines (first argument); 1 = unexpected exception.
 */
#include "fwtest.h"

FW_TEST_NAME("lockup");

#define LOCKUP_MAGIC 0x4C4F434Bu   /* "LOCK" */
#define STAGE_BOOT1 1u
#define STAGE_IN_HARDFAULT 2u
#define STAGE_NO_LOCKUP 3u
#define TEST_IRQ 24

#define RCM_SRS1 REG8(0x4007F001u)
#define RCM_SRS1_LOCKUP (1u << 1)

/* State kept across the reset in the no-init RAM area (see fwtest.ld). */
typedef struct {
    uint32_t magic, stage, boots, hf_cfsr, hf_hfsr;
} lockup_state_t;
#define ST ((volatile lockup_state_t *)_noinit_start)
#define magic (ST->magic)
#define stage (ST->stage)
#define boots (ST->boots)
#define hf_cfsr (ST->hf_cfsr)
#define hf_hfsr (ST->hf_hfsr)

static uint32_t ram_vectors[FW_NUM_VECTORS] __attribute__((aligned(512)));

static uint32_t bad_load(uint32_t addr)
{
    uint32_t v;
    __asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
    return v;
}

void HardFault_Handler(void)
{
    if (stage != STAGE_BOOT1)
        fw_fail(1, "unexpected HardFault (CFSR)", CFSR, 0);
    hf_cfsr = CFSR;
    hf_hfsr = HFSR;
    stage = STAGE_IN_HARDFAULT;
    dsb_isb();
    /* A precise BusFault at priority -1 cannot be escalated: lockup. */
    (void)bad_load(FW_BAD_ADDR);
    stage = STAGE_NO_LOCKUP;
    fw_fail(3, "bad load in HardFault did not lock up (returned)", 0, 1);
}

static void boot1(void)
{
    magic = LOCKUP_MAGIC;
    stage = STAGE_BOOT1;
    boots = 1;
    fw_puts("lockup: boot 1, faulting inside HardFault\n");

    for (unsigned i = 0; i < FW_NUM_VECTORS; i++)
        ram_vectors[i] = fw_vectors[i];
    VTOR = (uint32_t)ram_vectors;
    CCR |= CCR_DIV_0_TRP | CCR_UNALIGN_TRP;
    SHCSR = SHCSR_USGFAULTENA | SHCSR_MEMFAULTENA;
    SHPR2 = 0x80u << 24;
    SHPR3 = 0x40404040u;
    AIRCR = AIRCR_VECTKEY | (3u << 8);
    NVIC_IPR8(TEST_IRQ) = 0xA0;
    irq_disable();
    nvic_enable(TEST_IRQ);
    nvic_pend(TEST_IRQ);
    dsb_isb();

    (void)bad_load(FW_BAD_ADDR);   /* BusFault disabled -> HardFault */
    fw_fail(2, "bad load did not fault", 0, 1);
}

static void boot2(void)
{
    fw_puts("lockup: boot 2 after reset\n");
    CHECK_EQ(10, stage, STAGE_IN_HARDFAULT, "stage word: reset came from inside the HardFault handler");
    CHECK_EQ(11, hf_hfsr, HFSR_FORCED, "boot 1 HardFault was FORCED");
    CHECK_EQ(12, hf_cfsr, CFSR_PRECISERR | CFSR_BFARVALID, "boot 1 HardFault CFSR");
    CHECK(13, RCM_SRS1 & RCM_SRS1_LOCKUP, "RCM_SRS1.LOCKUP: the reset was caused by the lockup");

    CHECK_EQ(20, fw_boot.sp, fw_vectors[0], "SP = vector[0] after the lockup reset");
    CHECK_EQ(21, fw_boot.lr, 0xFFFFFFFFu, "LR after reset");
    CHECK_EQ(22, fw_boot.control, 0, "CONTROL after reset");
    CHECK_EQ(23, fw_boot.xpsr & 0x1FF, 0, "thread mode after reset");
    CHECK_EQ(24, fw_boot.primask, 0, "PRIMASK after reset");
    CHECK_EQ(25, fw_boot.faultmask, 0, "FAULTMASK after reset");
    CHECK_EQ(26, VTOR, 0, "VTOR after reset");
    CHECK_EQ(27, CCR, CCR_STKALIGN, "CCR after reset");
    CHECK_EQ(28, SHCSR, 0, "SHCSR after reset (nothing active or enabled)");
    CHECK_EQ(29, SHPR2 | SHPR3, 0, "SHPR after reset");
    CHECK_EQ(30, AIRCR, 0xFA050000u, "AIRCR (PRIGROUP) after reset");
    CHECK_EQ(31, CFSR, 0, "CFSR after reset");
    CHECK_EQ(32, HFSR, 0, "HFSR after reset");
    CHECK_EQ(33, NVIC_ISER(0), 0, "NVIC enables after reset");
    CHECK_EQ(34, NVIC_ISPR(0), 0, "NVIC pending after reset");
    CHECK_EQ(35, NVIC_IABR(0), 0, "NVIC active after reset");
    CHECK_EQ(36, NVIC_IPR8(TEST_IRQ), 0, "NVIC priority after reset");
    CHECK_EQ(37, ICSR & ~ICSR_RETTOBASE, 0, "ICSR after reset");

    magic = 0;
    stage = 0;
    fw_pass();
}

int main(void)
{
    if (magic != LOCKUP_MAGIC) {
        boot1();
    } else {
        boots = boots + 1;
        CHECK(4, boots == 2, "more than one reset (reset loop)");
        boot2();
    }
    return 99;
}
