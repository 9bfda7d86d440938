/*
 * UART0 polling console (FRDM-K64F: PTB17 TX / PTB16 RX, routed to the OpenSDA USB serial port).
 *
 * 115200 8N1 from the 120 MHz core/system clock (K64F_CORE_CLOCK_HZ: start-up's clock_init() must
 * have run, see clock.h). Transmit waits for S1.TDRE before each
 * byte; uart_flush() waits for S1.TC (the last stop bit left the wire). No interrupts, no FIFO
 * configuration, no buffering: safe to use from any context, blocking.
 *
 * Line ending: "\n" is sent as is (grep-friendly console logs). Build with -DFW_UART_CRLF=1 to
 * send "\r\n" for terminals that need it.
 */
#ifndef FW_UART_H
#define FW_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_BAUD 115200u

/* Gate the UART0 and PORTB clocks, mux PTB16/17 to UART0, set the baud rate, enable TE and RE. */
void uart_init(void);
/* Wait for the transmitter to go idle, then put UART0, the pins and the clock gates back to their
 * reset state (what a bootloader does before handing over). */
void uart_deinit(void);

void uart_putc(char c);
void uart_puts(const char *s);
void uart_put_u64(uint64_t v);        /* decimal */
void uart_put_hex32(uint32_t v);      /* "0x" and 8 hex digits */
void uart_flush(void);                /* returns once S1.TC = 1 */
/* Non-blocking receive: true and *c when a byte was waiting. */
bool uart_getc_nonblock(char *c);

#endif
