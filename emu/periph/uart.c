/*
 * K64F UART (UART0 is the FRDM-K64F console): K64 Sub-Family Reference Manual, chapter
 * "Universal Asynchronous Receiver/Transmitter (UART)", memory map; k64f.md "UART0".
 *
 * Model:
 *   - transmit is instant: S1.TDRE and S1.TC always read 1, TCFIFO reads 0, SFIFO.TXEMPT 1.
 *     A write to D while C2.TE = 1 goes to bus->console(port, byte). With C2.TE = 0 the real
 *     transmitter is off and the byte is lost: we drop it too (counted in tx_dropped).
 *   - receive: the harness pushes bytes with uart_rx_push() into a host-side line buffer of
 *     UART_RX_CAPACITY bytes. It stands for the wire plus the UART FIFO; bytes wait there (no
 *     overrun, no framing) and become visible only while C2.RE = 1: S1.RDRF = (RE && count > 0),
 *     RCFIFO = min(count, 255), SFIFO.RXEMPT = !RDRF. Reading D pops one byte.
 *   - CFIFO.TXFLUSH / RXFLUSH are accepted and read 0; they do not discard the line buffer
 *     (SDK UART_Init flushes at init, before the harness' bytes would count as received).
 *   - interrupt (status IRQ, 31 for UART0): level = (RDRF && C2.RIE) || (TDRE && C2.TIE) ||
 *     (TC && C2.TCIE). With TIE or TCIE set the line stays asserted, as on hardware.
 *   - no baud-rate timing, no error flags, no ISO-7816 behaviour (its registers read back).
 *
 * All registers are 8 bits wide; wider accesses cover consecutive registers, little-endian.
 */
#include <stdlib.h>
#include <string.h>

#include "periph.h"

#define UART_RX_CAPACITY 256u
#define UART_SPACE 0x20u               /* 0x00-0x1F: UART0 has the ISO-7816 block at 0x18 */

/* Register offsets (RM UART memory map). */
enum {
    UART_BDH = 0x00, UART_BDL = 0x01, UART_C1 = 0x02, UART_C2 = 0x03,
    UART_S1 = 0x04, UART_S2 = 0x05, UART_C3 = 0x06, UART_D = 0x07,
    UART_MA1 = 0x08, UART_MA2 = 0x09, UART_C4 = 0x0A, UART_C5 = 0x0B,
    UART_ED = 0x0C, UART_MODEM = 0x0D, UART_IR = 0x0E,
    UART_PFIFO = 0x10, UART_CFIFO = 0x11, UART_SFIFO = 0x12, UART_TWFIFO = 0x13,
    UART_TCFIFO = 0x14, UART_RWFIFO = 0x15, UART_RCFIFO = 0x16,
    UART_C7816 = 0x18,                 /* 0x18-0x1F: ISO-7816 registers (plain storage) */
};

/* C2 bits */
#define UART_C2_RE 0x04u
#define UART_C2_TE 0x08u
#define UART_C2_RIE 0x20u
#define UART_C2_TCIE 0x40u
#define UART_C2_TIE 0x80u
/* S1 bits */
#define UART_S1_TDRE 0x80u
#define UART_S1_TC 0x40u
#define UART_S1_RDRF 0x20u
/* SFIFO bits */
#define UART_SFIFO_TXEMPT 0x80u
#define UART_SFIFO_RXEMPT 0x40u

/* PFIFO reset: TXFIFOSIZE/RXFIFOSIZE = 0b010 (8 entries) on UART0 and UART1, 0 (1 entry) on
 * the others (RM UART chapter introduction: "UART0 and UART1 have 8-entry FIFOs"). */
#define UART_PFIFO_RESET_8DEEP 0x22u

typedef struct uart_state {
    uint8_t reg[UART_SPACE];           /* plain storage of the read/write registers */
    uint8_t rx_buf[UART_RX_CAPACITY];  /* host line buffer (ring) */
    uint16_t rx_head;
    uint16_t rx_count;
    uint8_t d_last;                    /* D reads this when nothing is pending */
    bool irq_level;                    /* last level driven on the IRQ line */
    uint64_t tx_bytes;                 /* bytes sent to the console */
    uint64_t tx_dropped;               /* bytes written to D while C2.TE = 0 */
} uart_state_t;

typedef struct uart {
    periph_t base;
    uart_state_t s;
    int port;
    int irq;
} uart_t;

static bool uart_rdrf(const uart_t *u)
{
    return (u->s.reg[UART_C2] & UART_C2_RE) && u->s.rx_count > 0;
}

static void uart_update_irq(uart_t *u, bool force)
{
    uint8_t c2 = u->s.reg[UART_C2];
    bool level = (uart_rdrf(u) && (c2 & UART_C2_RIE)) || (c2 & UART_C2_TIE) ||
                 (c2 & UART_C2_TCIE);   /* TDRE and TC are always 1 */
    if (level != u->s.irq_level || force) {
        u->s.irq_level = level;
        if (u->base.bus->irq)
            u->base.bus->irq(u->base.bus->m, u->irq, level);
    }
}

static uint8_t uart_read8(uart_t *u, uint32_t off)
{
    switch (off) {
    case UART_S1:
        return UART_S1_TDRE | UART_S1_TC | (uart_rdrf(u) ? UART_S1_RDRF : 0);
    case UART_D:
        if (uart_rdrf(u)) {
            u->s.d_last = u->s.rx_buf[u->s.rx_head];
            u->s.rx_head = (uint16_t)((u->s.rx_head + 1) % UART_RX_CAPACITY);
            u->s.rx_count--;
            uart_update_irq(u, false);
        }
        return u->s.d_last;
    case UART_CFIFO:
        return u->s.reg[off] & 0x07u;  /* TXFLUSH/RXFLUSH (bits 7:6) read 0 */
    case UART_SFIFO:
        return UART_SFIFO_TXEMPT | (uart_rdrf(u) ? 0 : UART_SFIFO_RXEMPT);
    case UART_TCFIFO:
        return 0;
    case UART_RCFIFO:
        if (!(u->s.reg[UART_C2] & UART_C2_RE))
            return 0;
        return u->s.rx_count > 255 ? 255 : (uint8_t)u->s.rx_count;
    case 0x0F: case 0x17:
        return 0;                      /* reserved */
    default:
        return off < UART_SPACE ? u->s.reg[off] : 0;
    }
}

static void uart_write8(uart_t *u, uint32_t off, uint8_t v)
{
    switch (off) {
    case UART_S1: case UART_TCFIFO: case UART_RCFIFO: case 0x0F: case 0x17:
        return;                        /* read-only / reserved */
    case UART_S2:
        u->s.reg[off] = v & 0x3Eu;     /* LBKDIF/RXEDGIF w1c (never set), RAF read-only */
        return;
    case UART_D:
        if (u->s.reg[UART_C2] & UART_C2_TE) {
            u->s.tx_bytes++;
            if (u->base.bus->console)
                u->base.bus->console(u->base.bus->m, u->port, v);
        } else {
            u->s.tx_dropped++;
        }
        return;
    case UART_PFIFO:
        /* TXFIFOSIZE (6:4) and RXFIFOSIZE (2:0) are read-only. */
        u->s.reg[off] = (uint8_t)((u->s.reg[off] & 0x77u) | (v & 0x88u));
        return;
    case UART_SFIFO:
        return;                        /* TXOF/RXUF/RXOF w1c: never set */
    case UART_C2:
        u->s.reg[off] = v;
        uart_update_irq(u, false);
        return;
    default:
        if (off < UART_SPACE)
            u->s.reg[off] = v;
        return;
    }
}

static uint32_t uart_read(periph_t *p, uint32_t off, unsigned size)
{
    uart_t *u = (uart_t *)p;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)uart_read8(u, off + i) << (8 * i);
    return v;
}

static void uart_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    uart_t *u = (uart_t *)p;
    for (unsigned i = 0; i < size; i++)
        uart_write8(u, off + i, (uint8_t)(value >> (8 * i)));
}

/* Reset values: RM UART register descriptions (BDL 0x04, S1 0xC0, SFIFO 0xC0, RWFIFO 0x01,
 * PFIFO per FIFO depth, everything else 0). The host line buffer is not a register: bytes the
 * harness typed survive a reset, as they would on the wire. */
static void uart_regs_reset(uart_t *u)
{
    memset(u->s.reg, 0, sizeof u->s.reg);
    u->s.reg[UART_BDL] = 0x04;
    u->s.reg[UART_S1] = 0xC0;
    u->s.reg[UART_PFIFO] = (u->port == 0 || u->port == 1) ? UART_PFIFO_RESET_8DEEP : 0;
    u->s.reg[UART_SFIFO] = 0xC0;
    u->s.reg[UART_RWFIFO] = 0x01;
    u->s.d_last = 0;
}

static void uart_reset(periph_t *p, emu_reset_kind_t kind)
{
    uart_t *u = (uart_t *)p;
    uart_regs_reset(u);
    uart_update_irq(u, true);
}

static void uart_destroy(periph_t *p)
{
    free(p);
}

static void *uart_state(periph_t *p)
{
    return &((uart_t *)p)->s;
}

/* Statistics left out (the console itself is in the machine's fingerprint). */
static void uart_fingerprint(periph_t *p, uint64_t now, emu_feed_fn feed, void *ctx)
{
    (void)now;
    uart_state_t s;
    memcpy(&s, &((uart_t *)p)->s, sizeof s);
    s.tx_bytes = s.tx_dropped = 0;
    feed(ctx, &s, sizeof s);
}

static const periph_ops_t uart_ops = {
    .name = "uart",
    .size = UART_SPACE,
    .read = uart_read,
    .write = uart_write,
    .reset = uart_reset,
    .deadline = NULL,
    .tick = NULL,
    .destroy = uart_destroy,
    .state_size = sizeof(uart_state_t),
    .state = uart_state,
    .fingerprint = uart_fingerprint,
};

periph_t *uart_create(emu_bus_t *bus, int port, int irq)
{
    uart_t *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->base.ops = &uart_ops;
    u->base.bus = bus;
    u->port = port;
    u->irq = irq;
    uart_regs_reset(u);
    return &u->base;
}

int uart_rx_push(periph_t *uart, const uint8_t *data, size_t len)
{
    uart_t *u = (uart_t *)uart;
    size_t n = 0;
    while (n < len && u->s.rx_count < UART_RX_CAPACITY) {
        u->s.rx_buf[(u->s.rx_head + u->s.rx_count) % UART_RX_CAPACITY] = data[n++];
        u->s.rx_count++;
    }
    uart_update_irq(u, false);
    return (int)n;
}
