/*
 * Driver for fwemu's NETU network device (docs/update-flow.md section 1): a message-level
 * network interface at 0x400FD000, IRQ 84 (the K64F's ENET receive slot, vector 100).
 *
 * The interrupt (CTRL.IE) is enabled so that WFI wakes up on DONE and on a server notification;
 * ENET_Receive_IRQHandler only acknowledges (W1C of DONE/NOTIFIED, which drops the level) and
 * records what it saw in netdev_events; the task-level code polls that and STATUS. The blocking
 * helpers sleep in WFI (the platform's SysTick wakes them every APP_TICK_MS), time out with
 * app_millis() and call app_background() on every wake-up (platform.h).
 *
 * On real K64F silicon 0x400FD000 is reserved: netdev_init() reads the ID register and the
 * update client stays disabled unless it reads 0x4E455455 (on the emulator without the device
 * model, an unmapped read gives 0).
 */
#ifndef FW_APP_NETDEV_H
#define FW_APP_NETDEV_H

#include <stdbool.h>
#include <stdint.h>

#define NETDEV_BASE 0x400FD000u
#define NETDEV_IRQ 84u
#define NETDEV_ID_VALUE 0x4E455455u      /* "UTEN" little-endian */
#define NETDEV_MAX_GET 4096u
#define NETDEV_MAX_POST 256u
#define NETDEV_MAX_URI 63u

/* RESULT register values, and the driver's own outcomes (negative). */
typedef enum netdev_result {
    NETDEV_OK = 0,
    NETDEV_NOT_FOUND = 1,
    NETDEV_LINK_DOWN = 2,
    NETDEV_BAD_REQUEST = 3,
    NETDEV_ABORTED = 4,
    NETDEV_RANGE = 5,
    NETDEV_TIMEOUT = -1,     /* no DONE within the timeout: the request was aborted */
    NETDEV_ARG = -2,         /* bad arguments (URI too long, length out of range) */
    NETDEV_ABSENT = -3,      /* no device */
} netdev_result_t;

/* Probe the ID register; if present, enable its interrupt (CTRL.IE and the NVIC). */
bool netdev_init(void);
bool netdev_present(void);
bool netdev_link_up(void);
/* NOTIFY level (an update is waiting for this device and the link is up). */
bool netdev_notify_pending(void);
/* True once if a notification was latched since the last call (NOTIFIED edge). */
bool netdev_take_notified(void);

/* GET up to `len` (1..4096) bytes of resource `uri` from `offset` into `buf` (SRAM). Waits for
 * DONE; after `timeout_ms` without it, ABORTs and returns NETDEV_TIMEOUT. On return *got holds
 * the bytes received (also for LINK_DOWN after some bytes) and *total the resource size as the
 * server reports it (0 if unknown). Returns the RESULT value or a negative driver outcome. */
int netdev_get(const char *uri, uint32_t offset, void *buf, uint32_t len, uint32_t *got,
               uint32_t *total, uint32_t timeout_ms);
/* POST `len` (0..256) bytes of `msg` to `uri`; same waiting and timeout rules. */
int netdev_post(const char *uri, const void *msg, uint32_t len, uint32_t timeout_ms);

const char *netdev_strresult(int r);

#endif
