/* NETU network device driver: see netdev.h. */
#include "netdev.h"

#include <stddef.h>
#include <string.h>

#include "k64f.h"
#include "platform.h"

#define NET_REG(off) REG32(NETDEV_BASE + (off))
#define NET_ID NET_REG(0x00u)
#define NET_CTRL NET_REG(0x04u)
#define NET_STATUS NET_REG(0x08u)
#define NET_CMD NET_REG(0x0Cu)
#define NET_URI NET_REG(0x10u)
#define NET_OFFSET NET_REG(0x14u)
#define NET_ADDR NET_REG(0x18u)
#define NET_LEN NET_REG(0x1Cu)
#define NET_RESULT NET_REG(0x20u)
#define NET_XFERLEN NET_REG(0x24u)
#define NET_SIZE NET_REG(0x28u)

#define NET_CTRL_IE (1u << 0)
#define NET_ST_BUSY (1u << 0)
#define NET_ST_DONE (1u << 1)
#define NET_ST_NOTIFY (1u << 2)
#define NET_ST_LINK (1u << 3)
#define NET_ST_NOTIFIED (1u << 4)
#define NET_CMD_GET 1u
#define NET_CMD_POST 2u
#define NET_CMD_ABORT 3u

/* NVIC set-enable (ARMv7-M B3.4.3); k64f.h has the clear registers only. */
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))

static bool present;
/* DONE / NOTIFIED bits acknowledged by the interrupt handler, consumed by task-level code. */
static volatile uint32_t netdev_events;
/* The URI is handed to the device by address: a NUL-terminated copy in SRAM. */
static char uri_buf[NETDEV_MAX_URI + 1];

void ENET_Receive_IRQHandler(void); /* overrides the weak alias in startup.c (IRQ 84) */
void ENET_Receive_IRQHandler(void)
{
    uint32_t st = NET_STATUS & (NET_ST_DONE | NET_ST_NOTIFIED);
    NET_STATUS = st; /* W1C: drops the interrupt level */
    netdev_events |= st;
}

bool netdev_init(void)
{
    present = NET_ID == NETDEV_ID_VALUE;
    if (!present)
        return false;
    NET_STATUS = NET_ST_DONE | NET_ST_NOTIFIED;
    netdev_events = 0;
    NET_CTRL = NET_CTRL_IE;
    NVIC_ICPR(NETDEV_IRQ / 32u) = 1u << (NETDEV_IRQ % 32u);
    NVIC_ISER(NETDEV_IRQ / 32u) = 1u << (NETDEV_IRQ % 32u);
    return true;
}

bool netdev_present(void)
{
    return present;
}

bool netdev_link_up(void)
{
    return present && (NET_STATUS & NET_ST_LINK) != 0;
}

bool netdev_notify_pending(void)
{
    return present && (NET_STATUS & NET_ST_NOTIFY) != 0;
}

/* Take `bits` out of the events recorded by the handler (and any still pending in STATUS). */
static uint32_t take_events(uint32_t bits)
{
    uint32_t primask = irq_save();
    uint32_t st = NET_STATUS & bits & (NET_ST_DONE | NET_ST_NOTIFIED);
    if (st)
        NET_STATUS = st;
    uint32_t ev = (netdev_events | st) & bits;
    netdev_events &= ~bits;
    irq_restore(primask);
    return ev;
}

bool netdev_take_notified(void)
{
    return present && take_events(NET_ST_NOTIFIED) != 0;
}

/* Wait for DONE of the request just started; on timeout, ABORT (which completes at once). */
static int wait_done(uint32_t timeout_ms)
{
    uint32_t start = app_millis();
    for (;;) {
        if (take_events(NET_ST_DONE))
            return (int)NET_RESULT;
        if (app_millis() - start >= timeout_ms)
            break;
        cpu_wfi();
        app_background();
    }
    NET_CMD = NET_CMD_ABORT;
    start = app_millis();
    while (!take_events(NET_ST_DONE) && (NET_STATUS & NET_ST_BUSY)) {
        if (app_millis() - start >= 100u)
            break; /* a device that does not abort: give up waiting, report the timeout */
        cpu_wfi();
        app_background();
    }
    return NETDEV_TIMEOUT;
}

static int start(uint32_t cmd, const char *uri, uint32_t offset, const void *buf, uint32_t len)
{
    size_t n = strlen(uri);
    if (n == 0 || n > NETDEV_MAX_URI)
        return NETDEV_ARG;
    memcpy(uri_buf, uri, n + 1);
    /* A previous request that timed out and was not aborted would make this one be ignored. */
    if (NET_STATUS & NET_ST_BUSY) {
        NET_CMD = NET_CMD_ABORT;
        (void)take_events(NET_ST_DONE);
    }
    (void)take_events(NET_ST_DONE); /* a stale DONE must not end the new request */
    NET_URI = (uint32_t)(uintptr_t)uri_buf;
    NET_OFFSET = offset;
    NET_ADDR = (uint32_t)(uintptr_t)buf;
    NET_LEN = len;
    cpu_dsb(); /* the URI and the POST body are in SRAM before the device reads them */
    NET_CMD = cmd;
    return NETDEV_OK;
}

int netdev_get(const char *uri, uint32_t offset, void *buf, uint32_t len, uint32_t *got,
               uint32_t *total, uint32_t timeout_ms)
{
    *got = 0;
    *total = 0;
    if (!present)
        return NETDEV_ABSENT;
    if (len == 0 || len > NETDEV_MAX_GET)
        return NETDEV_ARG;
    int r = start(NET_CMD_GET, uri, offset, buf, len);
    if (r != NETDEV_OK)
        return r;
    r = wait_done(timeout_ms);
    if (r == NETDEV_OK || r == NETDEV_LINK_DOWN) {
        uint32_t x = NET_XFERLEN;
        *got = x <= len ? x : len;
        *total = NET_SIZE;
    }
    return r;
}

int netdev_post(const char *uri, const void *msg, uint32_t len, uint32_t timeout_ms)
{
    if (!present)
        return NETDEV_ABSENT;
    if (len > NETDEV_MAX_POST)
        return NETDEV_ARG;
    int r = start(NET_CMD_POST, uri, 0, msg, len);
    if (r != NETDEV_OK)
        return r;
    return wait_done(timeout_ms);
}

const char *netdev_strresult(int r)
{
    switch (r) {
    case NETDEV_OK: return "ok";
    case NETDEV_NOT_FOUND: return "not found";
    case NETDEV_LINK_DOWN: return "link down";
    case NETDEV_BAD_REQUEST: return "bad request";
    case NETDEV_ABORTED: return "aborted";
    case NETDEV_RANGE: return "range";
    case NETDEV_TIMEOUT: return "timeout";
    case NETDEV_ARG: return "bad argument";
    case NETDEV_ABSENT: return "no device";
    default: return "unknown";
    }
}
