/*
 * reset_vectors: reset state and vector table relocation.
 *  - the core started at vector[1] with SP = MSP = vector[0], LR = 0xFFFFFFFF, thread mode,
 *    privileged, CONTROL = 0, PRIMASK/FAULTMASK/BASEPRI = 0
 *  - CPUID is a Cortex-M4 (0x410FC24x), VTOR = 0, CCR = 0x200 (STKALIGN), AIRCR reads
 *    VECTKEYSTAT 0xFA05 and PRIGROUP 0, SHCSR = 0, CFSR = HFSR = 0, ICSR has nothing pending
 *  - SVC and PendSV go through the flash table; after VTOR is set to a RAM copy of the table
 *    (512-byte aligned) they go through the RAM table (different handlers), an external IRQ too;
 *    after VTOR is set back to 0 the flash table is used again.
 *
 * Exit codes: see the CHECK lines (first argument); 1 = unexpected exception.
 */
#include "fwtest.h"

FW_TEST_NAME("reset_vectors");

#define TEST_IRQ 25

static volatile uint32_t flash_svc, ram_svc, flash_pendsv, ram_pendsv, ram_irq;
static volatile uint32_t last_ipsr;

/* RAM vector table: 102 entries -> next power of two is 128 words = 512 bytes alignment. */
static uint32_t ram_vectors[FW_NUM_VECTORS] __attribute__((aligned(512)));

void SVC_Handler(void) { flash_svc++; last_ipsr = get_ipsr(); }
void PendSV_Handler(void) { flash_pendsv++; last_ipsr = get_ipsr(); }
static void ram_svc_handler(void) { ram_svc++; last_ipsr = get_ipsr(); }
static void ram_pendsv_handler(void) { ram_pendsv++; last_ipsr = get_ipsr(); }
static void ram_irq_handler(void) { ram_irq++; last_ipsr = get_ipsr(); }

extern uint32_t _estack;
void Reset_Handler(void);

int main(void)
{
    /* ---- reset state -------------------------------------------------------------------- */
    CHECK_EQ(2, fw_vectors[0], (uint32_t)&_estack, "vector[0] is the initial SP");
    CHECK_EQ(3, fw_boot.sp, fw_vectors[0], "SP at reset == vector[0]");
    CHECK_EQ(4, fw_vectors[1], (uint32_t)Reset_Handler, "vector[1] is Reset_Handler (thumb bit)");
    CHECK_EQ(5, *(volatile uint32_t *)0, fw_vectors[0], "vector table is at address 0");
    CHECK_EQ(6, fw_boot.lr, 0xFFFFFFFFu, "LR at reset");
    CHECK_EQ(7, fw_boot.control, 0, "CONTROL at reset (privileged, MSP)");
    CHECK_EQ(8, fw_boot.xpsr & 0x1FF, 0, "IPSR at reset (thread mode)");
    CHECK_EQ(9, fw_boot.primask, 0, "PRIMASK at reset");
    CHECK_EQ(10, fw_boot.faultmask, 0, "FAULTMASK at reset");
    CHECK_EQ(11, fw_boot.basepri, 0, "BASEPRI at reset");
    CHECK_EQ(12, get_msp(), get_sp(), "thread mode uses MSP");

    uint32_t cpuid = CPUID;
    CHECK_EQ(13, cpuid & 0xFFFFFFF0u, 0x410FC240u, "CPUID is Cortex-M4 (0x410FC24x)");
    CHECK_EQ(14, VTOR, 0, "VTOR at reset");
    CHECK_EQ(15, CCR, CCR_STKALIGN, "CCR at reset (0x200: STKALIGN)");
    CHECK_EQ(16, AIRCR, 0xFA050000u, "AIRCR at reset (VECTKEYSTAT, PRIGROUP 0)");
    CHECK_EQ(17, SHCSR, 0, "SHCSR at reset");
    CHECK_EQ(18, CFSR, 0, "CFSR at reset");
    CHECK_EQ(19, HFSR, 0, "HFSR at reset");
    /* RETTOBASE is UNKNOWN in thread mode (QEMU reads 1): ignored */
    CHECK_EQ(20, ICSR & ~ICSR_RETTOBASE, 0, "ICSR at reset (nothing pending or active)");
    CHECK_EQ(21, SHPR1 | SHPR2 | SHPR3, 0, "system handler priorities at reset");
    CHECK_EQ(22, NVIC_ISER(0), 0, "no IRQ enabled at reset");
    CHECK_EQ(23, NVIC_IPR8(TEST_IRQ), 0, "IRQ priority at reset");

    /* ---- through the flash table -------------------------------------------------------- */
    __asm volatile("svc #0" ::: "memory");
    CHECK_EQ(24, flash_svc, 1, "SVC through the flash vector table");
    CHECK_EQ(25, last_ipsr, EXC_SVCALL, "IPSR in the SVC handler");
    ICSR = ICSR_PENDSVSET;
    dsb_isb();
    CHECK_EQ(26, flash_pendsv, 1, "PendSV through the flash vector table");
    CHECK_EQ(27, last_ipsr, EXC_PENDSV, "IPSR in the PendSV handler");

    /* ---- relocate to RAM ---------------------------------------------------------------- */
    for (unsigned i = 0; i < FW_NUM_VECTORS; i++)
        ram_vectors[i] = fw_vectors[i];
    ram_vectors[EXC_SVCALL] = (uint32_t)ram_svc_handler;
    ram_vectors[EXC_PENDSV] = (uint32_t)ram_pendsv_handler;
    ram_vectors[EXC_IRQ0 + TEST_IRQ] = (uint32_t)ram_irq_handler;
    CHECK_EQ(28, (uint32_t)ram_vectors & 0x1FF, 0, "RAM table alignment");
    dsb_isb();
    VTOR = (uint32_t)ram_vectors;
    dsb_isb();
    CHECK_EQ(29, VTOR, (uint32_t)ram_vectors, "VTOR reads back the RAM table address");

    __asm volatile("svc #1" ::: "memory");
    CHECK_EQ(30, ram_svc, 1, "SVC through the relocated (RAM) table");
    CHECK_EQ(31, flash_svc, 1, "flash SVC handler not used after relocation");
    CHECK_EQ(32, last_ipsr, EXC_SVCALL, "IPSR in the RAM SVC handler");
    ICSR = ICSR_PENDSVSET;
    dsb_isb();
    CHECK_EQ(33, ram_pendsv, 1, "PendSV through the relocated table");
    CHECK_EQ(34, flash_pendsv, 1, "flash PendSV handler not used after relocation");

    nvic_enable(TEST_IRQ);
    nvic_pend(TEST_IRQ);
    CHECK_EQ(35, ram_irq, 1, "external IRQ through the relocated table");
    CHECK_EQ(36, last_ipsr, EXC_IRQ0 + TEST_IRQ, "IPSR in the IRQ handler");
    nvic_disable(TEST_IRQ);

    /* A vector changed in the RAM table after relocation takes effect. */
    ram_vectors[EXC_SVCALL] = (uint32_t)SVC_Handler;
    dsb_isb();
    __asm volatile("svc #2" ::: "memory");
    CHECK_EQ(37, flash_svc, 2, "modified RAM vector entry is used");
    CHECK_EQ(38, ram_svc, 1, "old RAM vector entry not used");

    /* ---- back to flash ------------------------------------------------------------------ */
    ram_vectors[EXC_SVCALL] = (uint32_t)ram_svc_handler;
    VTOR = 0;
    dsb_isb();
    CHECK_EQ(39, VTOR, 0, "VTOR back to 0");
    __asm volatile("svc #3" ::: "memory");
    CHECK_EQ(40, flash_svc, 3, "SVC through the flash table again");
    CHECK_EQ(41, ram_svc, 1, "RAM table no longer used");

    CHECK_EQ(42, SHCSR & SHCSR_ACT_MASK, 0, "no exception active at the end");
    fw_pass();
}
