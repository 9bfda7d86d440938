/*
 * fwtest startup, vector table, flash configuration field and semihosting helpers.
 * See fwtest.h.
 */
#include "fwtest.h"

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;

fw_boot_info_t fw_boot;

void Reset_Handler(void);
void Default_Handler(void);
void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("Default_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ0_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ1_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ2_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ3_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ4_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ5_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ6_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ7_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ8_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ9_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ10_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ11_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ12_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ13_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ14_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ15_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ16_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ17_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ18_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ19_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ20_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ21_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ22_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ23_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ24_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ25_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ26_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ27_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ28_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ29_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ30_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ31_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ32_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ33_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ34_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ35_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ36_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ37_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ38_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ39_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ40_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ41_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ42_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ43_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ44_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ45_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ46_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ47_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ48_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ49_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ50_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ51_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ52_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ53_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ54_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ55_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ56_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ57_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ58_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ59_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ60_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ61_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ62_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ63_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ64_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ65_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ66_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ67_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ68_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ69_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ70_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ71_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ72_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ73_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ74_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ75_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ76_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ77_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ78_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ79_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ80_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ81_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ82_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ83_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ84_Handler(void) __attribute__((weak, alias("Default_Handler")));
void IRQ85_Handler(void) __attribute__((weak, alias("Default_Handler")));

__attribute__((section(".vectors"), used))
const uint32_t fw_vectors[FW_NUM_VECTORS] = {
    (uint32_t)&_estack,
    (uint32_t)Reset_Handler,
    (uint32_t)NMI_Handler,
    (uint32_t)HardFault_Handler,
    (uint32_t)MemManage_Handler,
    (uint32_t)BusFault_Handler,
    (uint32_t)UsageFault_Handler,
    0, 0, 0, 0,
    (uint32_t)SVC_Handler,
    (uint32_t)DebugMon_Handler,
    0,
    (uint32_t)PendSV_Handler,
    (uint32_t)SysTick_Handler,
    (uint32_t)IRQ0_Handler,
    (uint32_t)IRQ1_Handler,
    (uint32_t)IRQ2_Handler,
    (uint32_t)IRQ3_Handler,
    (uint32_t)IRQ4_Handler,
    (uint32_t)IRQ5_Handler,
    (uint32_t)IRQ6_Handler,
    (uint32_t)IRQ7_Handler,
    (uint32_t)IRQ8_Handler,
    (uint32_t)IRQ9_Handler,
    (uint32_t)IRQ10_Handler,
    (uint32_t)IRQ11_Handler,
    (uint32_t)IRQ12_Handler,
    (uint32_t)IRQ13_Handler,
    (uint32_t)IRQ14_Handler,
    (uint32_t)IRQ15_Handler,
    (uint32_t)IRQ16_Handler,
    (uint32_t)IRQ17_Handler,
    (uint32_t)IRQ18_Handler,
    (uint32_t)IRQ19_Handler,
    (uint32_t)IRQ20_Handler,
    (uint32_t)IRQ21_Handler,
    (uint32_t)IRQ22_Handler,
    (uint32_t)IRQ23_Handler,
    (uint32_t)IRQ24_Handler,
    (uint32_t)IRQ25_Handler,
    (uint32_t)IRQ26_Handler,
    (uint32_t)IRQ27_Handler,
    (uint32_t)IRQ28_Handler,
    (uint32_t)IRQ29_Handler,
    (uint32_t)IRQ30_Handler,
    (uint32_t)IRQ31_Handler,
    (uint32_t)IRQ32_Handler,
    (uint32_t)IRQ33_Handler,
    (uint32_t)IRQ34_Handler,
    (uint32_t)IRQ35_Handler,
    (uint32_t)IRQ36_Handler,
    (uint32_t)IRQ37_Handler,
    (uint32_t)IRQ38_Handler,
    (uint32_t)IRQ39_Handler,
    (uint32_t)IRQ40_Handler,
    (uint32_t)IRQ41_Handler,
    (uint32_t)IRQ42_Handler,
    (uint32_t)IRQ43_Handler,
    (uint32_t)IRQ44_Handler,
    (uint32_t)IRQ45_Handler,
    (uint32_t)IRQ46_Handler,
    (uint32_t)IRQ47_Handler,
    (uint32_t)IRQ48_Handler,
    (uint32_t)IRQ49_Handler,
    (uint32_t)IRQ50_Handler,
    (uint32_t)IRQ51_Handler,
    (uint32_t)IRQ52_Handler,
    (uint32_t)IRQ53_Handler,
    (uint32_t)IRQ54_Handler,
    (uint32_t)IRQ55_Handler,
    (uint32_t)IRQ56_Handler,
    (uint32_t)IRQ57_Handler,
    (uint32_t)IRQ58_Handler,
    (uint32_t)IRQ59_Handler,
    (uint32_t)IRQ60_Handler,
    (uint32_t)IRQ61_Handler,
    (uint32_t)IRQ62_Handler,
    (uint32_t)IRQ63_Handler,
    (uint32_t)IRQ64_Handler,
    (uint32_t)IRQ65_Handler,
    (uint32_t)IRQ66_Handler,
    (uint32_t)IRQ67_Handler,
    (uint32_t)IRQ68_Handler,
    (uint32_t)IRQ69_Handler,
    (uint32_t)IRQ70_Handler,
    (uint32_t)IRQ71_Handler,
    (uint32_t)IRQ72_Handler,
    (uint32_t)IRQ73_Handler,
    (uint32_t)IRQ74_Handler,
    (uint32_t)IRQ75_Handler,
    (uint32_t)IRQ76_Handler,
    (uint32_t)IRQ77_Handler,
    (uint32_t)IRQ78_Handler,
    (uint32_t)IRQ79_Handler,
    (uint32_t)IRQ80_Handler,
    (uint32_t)IRQ81_Handler,
    (uint32_t)IRQ82_Handler,
    (uint32_t)IRQ83_Handler,
    (uint32_t)IRQ84_Handler,
    (uint32_t)IRQ85_Handler,
};

/* Kinetis flash configuration field at 0x400: backdoor key, FPROT all unprotected,
 * FSEC = 0xFE (unsecured), FOPT/FEPROT/FDPROT = 0xFF. */
__attribute__((section(".fcf"), used))
const uint8_t fw_fcf[16] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF,
};

__attribute__((noreturn, used)) void fw_start(uint32_t sp, uint32_t lr, uint32_t control, uint32_t xpsr,
                                         uint32_t primask, uint32_t faultmask, uint32_t basepri)
{
    volatile uint32_t *src = &_sidata;
    for (volatile uint32_t *dst = &_sdata; dst < &_edata;)
        *dst++ = *src++;
    for (volatile uint32_t *dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    fw_boot.sp = sp;
    fw_boot.lr = lr;
    fw_boot.control = control;
    fw_boot.xpsr = xpsr;
    fw_boot.primask = primask;
    fw_boot.faultmask = faultmask;
    fw_boot.basepri = basepri;
    fw_exit((uint32_t)main());
}

/* Captures SP, LR, CONTROL, xPSR and the mask registers exactly as reset left them. */
__attribute__((naked, noreturn)) void Reset_Handler(void)
{
    __asm volatile(
        "mov r0, sp\n"
        "mov r1, lr\n"
        "mrs r2, control\n"
        "mrs r3, xpsr\n"
        "mrs r4, primask\n"
        "mrs r5, faultmask\n"
        "mrs r6, basepri\n"
        "push {r4, r5, r6, r7}\n"   /* args 5..7 on the stack (r7 = padding) */
        "bl fw_start\n");
}

/* A failure reported from unprivileged thread mode: semihosting may trap there (QEMU treats
 * BKPT 0xAB from unprivileged code as a debug event -> HardFault); the fault handler then reports
 * it from handler mode. */
static volatile struct {
    uint32_t code, got, want;
    const char *what;
} fw_pending;

__attribute__((used)) void fw_unexpected(uint32_t *frame, uint32_t exc_return)
{
    uint32_t ipsr = get_ipsr() & 0x1FF;
    if (fw_pending.code) {
        uint32_t code = fw_pending.code;
        fw_pending.code = 0;
        fw_fail(code, fw_pending.what, fw_pending.got, fw_pending.want);
    }
    fw_puts("FAIL 1: unexpected exception ");
    fw_put_dec(ipsr);
    fw_puts(" EXC_RETURN=");
    fw_put_hex(exc_return);
    fw_puts(" stacked PC=");
    fw_put_hex(frame[6]);
    fw_puts(" CFSR=");
    fw_put_hex(CFSR);
    fw_puts(" HFSR=");
    fw_put_hex(HFSR);
    fw_puts(" BFAR=");
    fw_put_hex(BFAR);
    fw_puts(" [");
    fw_puts(fw_test_name);
    fw_puts("]\n");
    fw_exit(1);
}

__attribute__((naked)) void Default_Handler(void)
{
    __asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "mov r1, lr\n"
        "b fw_unexpected\n");
}

void fw_puts(const char *s)
{
    semihost(SYS_WRITE0, s);
}

void fw_put_hex(uint32_t v)
{
    char buf[11];
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 8; i++)
        buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xF];
    buf[10] = 0;
    fw_puts(buf);
}

void fw_put_dec(uint32_t v)
{
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    fw_puts(&buf[i]);
}

void fw_exit(uint32_t code)
{
    static volatile uint32_t block[2];
    block[0] = ADP_Stopped_ApplicationExit;
    block[1] = code;
    for (;;)
        semihost(SYS_EXIT_EXTENDED, (const void *)block);
}

void fw_pass(void)
{
    fw_puts("PASS ");
    fw_puts(fw_test_name);
    fw_puts("\n");
    fw_exit(0);
}

/* Checks that fwemu cannot pass because its CPU library (Unicorn 2.0.1) does not model the
 * behaviour (4-bit BASEPRI, CPACR/NOCP, CCR.DIV_0_TRP/UNALIGN_TRP, unaligned LDM/STRD faults;
 * README.md "Known gaps"). Each program lists them with FWEMU_GAPS(...); under fwemu (detected
 * through its test device ID register) they are reported as GAP and the program goes on; on
 * QEMU and hardware they are ordinary checks. */
__attribute__((weak)) const uint16_t fw_fwemu_gaps[] = { 0 };

static int fw_is_gap(uint32_t code)
{
    if (*(volatile uint32_t *)0x400FE008u != 0x46574D55u)
        return 0;
    for (const uint16_t *g = fw_fwemu_gaps; *g; g++)
        if (*g == code)
            return 1;
    return 0;
}

void fw_fail(uint32_t code, const char *what, uint32_t got, uint32_t want)
{
    if (code != FWTEST_BREAK && fw_is_gap(code)) {
        fw_puts("GAP ");
        fw_put_dec(code);
        fw_puts(": ");
        fw_puts(what);
        fw_puts(" (not modelled by fwemu's CPU library)\n");
        return;
    }
    if ((get_control() & 1u) && (get_ipsr() & 0x1FF) == 0) {
        fw_pending.what = what;
        fw_pending.got = got;
        fw_pending.want = want;
        fw_pending.code = code;
    }
    fw_puts("FAIL ");
    fw_put_dec(code);
    fw_puts(": ");
    fw_puts(what);
    if (got != want) {
        fw_puts(" got=");
        fw_put_hex(got);
        fw_puts(" want=");
        fw_put_hex(want);
    }
    fw_puts(" [");
    fw_puts(fw_test_name);
    fw_puts("]\n");
    fw_exit(code);
}

void fw_delay(uint32_t n)
{
    for (volatile uint32_t i = 0; i < n; i++)
        ;
}

/* The compiler may emit calls to these even with -ffreestanding. */
void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *dp = d;
    while (n--)
        *dp++ = (uint8_t)c;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if (dp < sp) {
        while (n--)
            *dp++ = *sp++;
    } else {
        while (n--)
            dp[n] = sp[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *ap = a, *bp = b;
    for (; n; n--, ap++, bp++)
        if (*ap != *bp)
            return *ap < *bp ? -1 : 1;
    return 0;
}
