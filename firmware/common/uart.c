/* UART0 polling console: see uart.h. Registers: k64f.md "UART0", K64 RM chapter UART. */
#include "uart.h"

#include "k64f.h"

#ifndef FW_UART_CRLF
#define FW_UART_CRLF 0
#endif

/* Baud = clock / (16 x (SBR + BRFA / 32)), so SBR + BRFA / 32 in 1/32 units is
 * 32 x clock / (16 x baud) = 2 x clock / baud, rounded. UART0 (like UART1) is clocked from the
 * core/system clock (K64 RM "UART clocking"; the SDK's UART0_CLK_SRC is kCLOCK_CoreSysClk), not
 * from the bus clock that UART2-5 use: 120 MHz / 115200 -> SBR 65, BRFA 3 (115,220 baud,
 * +0.017 %). */
#define UART_CLOCK_HZ K64F_CORE_CLOCK_HZ
#define UART_DIV32 ((4u * UART_CLOCK_HZ + UART_BAUD) / (2u * UART_BAUD))
#define UART_SBR (UART_DIV32 / 32u)
#define UART_BRFA (UART_DIV32 % 32u)
_Static_assert(UART_CLOCK_HZ <= 0xFFFFFFFFu / 4u, "UART_DIV32 overflows");
_Static_assert(UART_SBR > 0 && UART_SBR < 8192, "SBR is 13 bits");
_Static_assert(UART_SBR == 65 && UART_BRFA == 3, "115200 baud at 120 MHz");
/* within 1 %: |2 x clock - DIV32 x baud| <= DIV32 x baud / 100 */
_Static_assert((2ull * UART_CLOCK_HZ > (unsigned long long)UART_DIV32 * UART_BAUD
                    ? 2ull * UART_CLOCK_HZ - (unsigned long long)UART_DIV32 * UART_BAUD
                    : (unsigned long long)UART_DIV32 * UART_BAUD - 2ull * UART_CLOCK_HZ) * 100u <=
                   (unsigned long long)UART_DIV32 * UART_BAUD,
               "baud rate error above 1 %");

void uart_init(void)
{
    SIM_SCGC5 |= SIM_SCGC5_PORTB;
    SIM_SCGC4 |= SIM_SCGC4_UART0;
    PORTB_PCR(16) = PORT_PCR_MUX(3);
    PORTB_PCR(17) = PORT_PCR_MUX(3);

    UART0_C2 = 0; /* baud and format change only with TE = RE = 0 */
    UART0_C1 = 0; /* 8N1 */
    UART0_BDH = (uint8_t)((UART_SBR >> 8) & 0x1Fu); /* BDH first: the BDL write latches both */
    UART0_BDL = (uint8_t)(UART_SBR & 0xFFu);
    UART0_C4 = (uint8_t)UART_BRFA;
    UART0_C2 = UART_C2_TE | UART_C2_RE;
}

void uart_deinit(void)
{
    uart_flush();
    UART0_C2 = 0;
    UART0_C4 = 0;
    UART0_BDH = 0;
    UART0_BDL = 0x04; /* reset values */
    PORTB_PCR(16) = 0;
    PORTB_PCR(17) = 0;
    SIM_SCGC4 &= ~SIM_SCGC4_UART0;
    SIM_SCGC5 &= ~SIM_SCGC5_PORTB;
}

static void uart_tx(uint8_t b)
{
    while (!(UART0_S1 & UART_S1_TDRE)) {
    }
    UART0_D = b;
}

void uart_putc(char c)
{
    if (FW_UART_CRLF && c == '\n')
        uart_tx('\r');
    uart_tx((uint8_t)c);
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

void uart_put_u64(uint64_t v)
{
    char buf[21];
    int i = (int)sizeof buf - 1;
    buf[i] = '\0';
    do {
        /* 64-bit division pulls in __aeabi_uldivmod (~0.5 KiB); versions are printed rarely. */
        buf[--i] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0);
    uart_puts(&buf[i]);
}

void uart_put_hex32(uint32_t v)
{
    uart_puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4)
        uart_putc("0123456789abcdef"[(v >> shift) & 0xFu]);
}

void uart_flush(void)
{
    while (!(UART0_S1 & UART_S1_TC)) {
    }
}

bool uart_getc_nonblock(char *c)
{
    if (!(UART0_S1 & UART_S1_RDRF))
        return false;
    *c = (char)UART0_D;
    return true;
}
