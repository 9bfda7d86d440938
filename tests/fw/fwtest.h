/*
 * fwtest: shared startup, semihosting and check helpers for the bare-metal ARMv7-M exception
 * test programs in tests/fw. Each program checks one area of exception behaviour from inside
 * itself and reports through ARM semihosting:
 *   - success: SYS_EXIT_EXTENDED(ADP_Stopped_ApplicationExit, 0)
 *   - failure: SYS_WRITE0("FAIL <code>: <what> got=.. want=..") then SYS_EXIT_EXTENDED(.., code)
 * Exit code 1 is reserved for "an exception nobody expected" (Default_Handler).
 * Only core peripherals (SCS: NVIC, SCB, SysTick) are used, so the same ELF runs on the K64F
 * model and on QEMU mps2-an386.
 *
 * Build with -DFWTEST_BREAK=<code> to force the check with that code to fail (to verify that a
 * failure really reaches the exit code).
 */
#ifndef FWTEST_H
#define FWTEST_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#ifndef FWTEST_BREAK
#define FWTEST_BREAK 0
#endif

#define REG32(a) (*(volatile uint32_t *)(a))
#define REG8(a) (*(volatile uint8_t *)(a))

/* ---- System control space ------------------------------------------------------------------ */
#define ICTR        REG32(0xE000E004u)
#define ACTLR       REG32(0xE000E008u)
#define SYST_CSR    REG32(0xE000E010u)
#define SYST_RVR    REG32(0xE000E014u)
#define SYST_CVR    REG32(0xE000E018u)
#define SYST_CALIB  REG32(0xE000E01Cu)
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define NVIC_ISPR(n) REG32(0xE000E200u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))
#define NVIC_IABR(n) REG32(0xE000E300u + 4u * (n))
#define NVIC_IPR8(n) REG8(0xE000E400u + (n))
#define CPUID       REG32(0xE000ED00u)
#define ICSR        REG32(0xE000ED04u)
#define VTOR        REG32(0xE000ED08u)
#define AIRCR       REG32(0xE000ED0Cu)
#define SCR         REG32(0xE000ED10u)
#define CCR         REG32(0xE000ED14u)
#define SHPR1       REG32(0xE000ED18u)
#define SHPR2       REG32(0xE000ED1Cu)
#define SHPR3       REG32(0xE000ED20u)
#define SHPR8(n)    REG8(0xE000ED14u + (n)) /* n = exception number 4..15 */
#define SHCSR       REG32(0xE000ED24u)
#define CFSR        REG32(0xE000ED28u)
#define HFSR        REG32(0xE000ED2Cu)
#define MMFAR       REG32(0xE000ED34u)
#define BFAR        REG32(0xE000ED38u)
#define CPACR       REG32(0xE000ED88u)
#define STIR        REG32(0xE000EF00u)
#define FPCCR       REG32(0xE000EF34u)
#define FPCAR       REG32(0xE000EF38u)
#define FPDSCR      REG32(0xE000EF3Cu)

/* ICSR */
#define ICSR_NMIPENDSET  (1u << 31)
#define ICSR_PENDSVSET   (1u << 28)
#define ICSR_PENDSVCLR   (1u << 27)
#define ICSR_PENDSTSET   (1u << 26)
#define ICSR_PENDSTCLR   (1u << 25)
#define ICSR_ISRPENDING  (1u << 22)
#define ICSR_VECTPENDING(v) (((v) >> 12) & 0x1FFu)
#define ICSR_RETTOBASE   (1u << 11)
#define ICSR_VECTACTIVE(v) ((v) & 0x1FFu)
/* AIRCR */
#define AIRCR_VECTKEY    0x05FA0000u
#define AIRCR_PRIGROUP(v) (((v) >> 8) & 7u)
/* CCR */
#define CCR_NONBASETHRDENA (1u << 0)
#define CCR_USERSETMPEND (1u << 1)
#define CCR_UNALIGN_TRP  (1u << 3)
#define CCR_DIV_0_TRP    (1u << 4)
#define CCR_BFHFNMIGN    (1u << 8)
#define CCR_STKALIGN     (1u << 9)
/* SHCSR */
#define SHCSR_MEMFAULTACT  (1u << 0)
#define SHCSR_BUSFAULTACT  (1u << 1)
#define SHCSR_USGFAULTACT  (1u << 3)
#define SHCSR_SVCALLACT    (1u << 7)
#define SHCSR_MONITORACT   (1u << 8)
#define SHCSR_PENDSVACT    (1u << 10)
#define SHCSR_SYSTICKACT   (1u << 11)
#define SHCSR_USGFAULTPENDED (1u << 12)
#define SHCSR_MEMFAULTPENDED (1u << 13)
#define SHCSR_BUSFAULTPENDED (1u << 14)
#define SHCSR_SVCALLPENDED (1u << 15)
#define SHCSR_MEMFAULTENA  (1u << 16)
#define SHCSR_BUSFAULTENA  (1u << 17)
#define SHCSR_USGFAULTENA  (1u << 18)
#define SHCSR_ACT_MASK     0x00000D8Bu
/* CFSR: MMFSR [7:0], BFSR [15:8], UFSR [31:16] */
#define CFSR_IACCVIOL    (1u << 0)
#define CFSR_DACCVIOL    (1u << 1)
#define CFSR_MMARVALID   (1u << 7)
#define CFSR_IBUSERR     (1u << 8)
#define CFSR_PRECISERR   (1u << 9)
#define CFSR_IMPRECISERR (1u << 10)
#define CFSR_BFARVALID   (1u << 15)
#define CFSR_UNDEFINSTR  (1u << 16)
#define CFSR_INVSTATE    (1u << 17)
#define CFSR_INVPC       (1u << 18)
#define CFSR_NOCP        (1u << 19)
#define CFSR_UNALIGNED   (1u << 24)
#define CFSR_DIVBYZERO   (1u << 25)
/* HFSR */
#define HFSR_VECTTBL     (1u << 1)
#define HFSR_FORCED      (1u << 30)
#define HFSR_DEBUGEVT    (1u << 31)
/* SysTick CSR */
#define SYST_ENABLE      (1u << 0)
#define SYST_TICKINT     (1u << 1)
#define SYST_CLKSOURCE   (1u << 2)
#define SYST_COUNTFLAG   (1u << 16)

/* Exception numbers */
enum {
    EXC_RESET = 1, EXC_NMI = 2, EXC_HARDFAULT = 3, EXC_MEMMANAGE = 4, EXC_BUSFAULT = 5,
    EXC_USAGEFAULT = 6, EXC_SVCALL = 11, EXC_DEBUGMON = 12, EXC_PENDSV = 14, EXC_SYSTICK = 15,
    EXC_IRQ0 = 16,
};

#define EXC_RETURN_HANDLER     0xFFFFFFF1u
#define EXC_RETURN_THREAD_MSP  0xFFFFFFF9u
#define EXC_RETURN_THREAD_PSP  0xFFFFFFFDu
#define EXC_RETURN_HANDLER_FP  0xFFFFFFE1u
#define EXC_RETURN_THREAD_MSP_FP 0xFFFFFFE9u
#define EXC_RETURN_THREAD_PSP_FP 0xFFFFFFEDu

/* Number of external interrupts in the vector table (K64F: 86). */
#define FW_NUM_IRQS 86
#define FW_NUM_VECTORS (16 + FW_NUM_IRQS)

/* An address that faults (BusFault on a load) on both targets: K64F FlexBus space with no chip
 * select configured / QEMU mps2-an386 unmapped system memory. Outside the 0x40000000-0x5FFFFFFF
 * peripheral window so fwemu's "unmapped peripheral reads as zero" mode does not apply. */
#define FW_BAD_ADDR 0x60000000u

/* ---- Core register access ------------------------------------------------------------------ */
static inline uint32_t get_ipsr(void) { uint32_t v; __asm volatile("mrs %0, ipsr" : "=r"(v)); return v; }
static inline uint32_t get_xpsr(void) { uint32_t v; __asm volatile("mrs %0, xpsr" : "=r"(v)); return v; }
static inline uint32_t get_control(void) { uint32_t v; __asm volatile("mrs %0, control" : "=r"(v)); return v; }
static inline void set_control(uint32_t v) { __asm volatile("msr control, %0\n isb" : : "r"(v) : "memory"); }
static inline uint32_t get_msp(void) { uint32_t v; __asm volatile("mrs %0, msp" : "=r"(v)); return v; }
static inline uint32_t get_psp(void) { uint32_t v; __asm volatile("mrs %0, psp" : "=r"(v)); return v; }
static inline void set_psp(uint32_t v) { __asm volatile("msr psp, %0" : : "r"(v) : "memory"); }
static inline uint32_t get_sp(void) { uint32_t v; __asm volatile("mov %0, sp" : "=r"(v)); return v; }
static inline uint32_t get_primask(void) { uint32_t v; __asm volatile("mrs %0, primask" : "=r"(v)); return v; }
static inline uint32_t get_faultmask(void) { uint32_t v; __asm volatile("mrs %0, faultmask" : "=r"(v)); return v; }
static inline uint32_t get_basepri(void) { uint32_t v; __asm volatile("mrs %0, basepri" : "=r"(v)); return v; }
static inline void set_basepri(uint32_t v) { __asm volatile("msr basepri, %0\n isb" : : "r"(v) : "memory"); }
static inline void set_basepri_max(uint32_t v) { __asm volatile("msr basepri_max, %0\n isb" : : "r"(v) : "memory"); }
static inline void irq_disable(void) { __asm volatile("cpsid i" : : : "memory"); }
static inline void irq_enable(void) { __asm volatile("cpsie i\n isb" : : : "memory"); }
static inline void fault_disable(void) { __asm volatile("cpsid f" : : : "memory"); }
static inline void fault_enable(void) { __asm volatile("cpsie f\n isb" : : : "memory"); }
static inline void dsb_isb(void) { __asm volatile("dsb\n isb" : : : "memory"); }
static inline void barrier(void) { __asm volatile("" : : : "memory"); }

static inline void nvic_enable(unsigned irq) { NVIC_ISER(irq / 32) = 1u << (irq % 32); dsb_isb(); }
static inline void nvic_disable(unsigned irq) { NVIC_ICER(irq / 32) = 1u << (irq % 32); dsb_isb(); }
static inline void nvic_pend(unsigned irq) { NVIC_ISPR(irq / 32) = 1u << (irq % 32); dsb_isb(); }
static inline void nvic_unpend(unsigned irq) { NVIC_ICPR(irq / 32) = 1u << (irq % 32); dsb_isb(); }
static inline bool nvic_is_pending(unsigned irq) { return (NVIC_ISPR(irq / 32) >> (irq % 32)) & 1u; }
static inline bool nvic_is_enabled(unsigned irq) { return (NVIC_ISER(irq / 32) >> (irq % 32)) & 1u; }
static inline bool nvic_is_active(unsigned irq) { return (NVIC_IABR(irq / 32) >> (irq % 32)) & 1u; }

/* ---- Semihosting --------------------------------------------------------------------------- */
#define SYS_WRITE0 0x04
#define SYS_EXIT_EXTENDED 0x20
#define ADP_Stopped_ApplicationExit 0x20026u

static inline uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void fw_puts(const char *s);                     /* SYS_WRITE0 */
void fw_put_hex(uint32_t v);                     /* "0x%08x" */
void fw_put_dec(uint32_t v);
__attribute__((noreturn)) void fw_exit(uint32_t code);
__attribute__((noreturn)) void fw_pass(void);    /* prints "PASS <name>" and exits 0 */
void fw_fail(uint32_t code, const char *what, uint32_t got, uint32_t want);

/* Program name for messages; each program defines it with FW_TEST_NAME("name"). */
extern const char fw_test_name[];
/* FWEMU_GAPS(72, 73): check codes reported as known gaps under fwemu (see fwtest.c). */
extern const uint16_t fw_fwemu_gaps[];
#define FWEMU_GAPS(...) const uint16_t fw_fwemu_gaps[] = { __VA_ARGS__, 0 }
#define FW_TEST_NAME(s) const char fw_test_name[] = s

/* CHECK(code, cond, what): fail with <code> unless cond.
 * CHECK_EQ(code, got, want, what): fail with <code> unless got == want (both printed). */
#define CHECK(code, cond, what) do { \
        if (!(cond) || (code) == FWTEST_BREAK) fw_fail((code), (what), 0, 0); \
    } while (0)
#define CHECK_EQ(code, got, want, what) do { \
        uint32_t got_ = (uint32_t)(got), want_ = (uint32_t)(want); \
        if (got_ != want_ || (code) == FWTEST_BREAK) fw_fail((code), (what), got_, want_); \
    } while (0)

/* Values captured by the reset handler before anything touched the registers. */
typedef struct fw_boot_info {
    uint32_t sp, lr, control, xpsr, primask, faultmask, basepri;
} fw_boot_info_t;
extern fw_boot_info_t fw_boot;

/* The flash vector table (at address 0). */
extern const uint32_t fw_vectors[FW_NUM_VECTORS];

/* 256 bytes at the top of RAM (above the initial SP) that startup never clears and no ELF
 * segment covers: they keep their contents across a warm reset. */
extern uint32_t _noinit_start[];
#define FW_NOINIT_SIZE 0x100u

/* Busy wait (a loop of roughly n iterations, not optimised away). */
void fw_delay(uint32_t n);

/*
 * FW_FRAME_HANDLER(name, cfunc): defines an exception handler `name` that calls
 *     uint32_t cfunc(uint32_t *frame, uint32_t exc_return)
 * with the stacked exception frame (from MSP or PSP according to EXC_RETURN bit 2) and returns
 * with the EXC_RETURN value cfunc returns (normally exc_return itself).
 */
#define FW_FRAME_HANDLER(name, cfunc) \
    uint32_t cfunc(uint32_t *frame, uint32_t exc_return); \
    __attribute__((naked)) void name(void) \
    { \
        __asm volatile( \
            "tst lr, #4\n" \
            "ite eq\n" \
            "mrseq r0, msp\n" \
            "mrsne r0, psp\n" \
            "mov r1, lr\n" \
            "push {r1, lr}\n" \
            "bl " #cfunc "\n" \
            "pop {r1, r2}\n" \
            "bx r0\n"); \
    }

int main(void);

#endif
