/*
 * Unit tests of the NETU network device (emu/periph/netdev.c) together with the update server
 * (harness/server.c) as its backend, on a fake bus with 8 KiB of "SRAM" for DMA and an emulated
 * time the test sets (docs/update-flow.md sections 1 and 2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emu.h"
#include "periph.h"
#include "server/server.h"

#define RAM_BASE 0x20000000u
#define RAM_SIZE 0x2000u
#define IRQ 84

enum { R_ID = 0x00, R_CTRL = 0x04, R_STATUS = 0x08, R_CMD = 0x0C, R_URI = 0x10, R_OFFSET = 0x14,
       R_ADDR = 0x18, R_LEN = 0x1C, R_RESULT = 0x20, R_XFERLEN = 0x24, R_SIZE = 0x28 };
enum { ST_BUSY = 1, ST_DONE = 2, ST_NOTIFY = 4, ST_LINK = 8, ST_NOTIFIED = 16 };

typedef struct fake {
    emu_bus_t bus;
    uint64_t now;
    bool irq;
    uint8_t ram[RAM_SIZE];
    int events;
    char last_event[48];
    periph_t *p;
    srv_t *srv;
    const emu_net_backend_t *slot;
} fake_t;

static fake_t F;

static uint64_t fake_now(void *m) { return ((fake_t *)m)->now; }
static void fake_irq(void *m, int irq, bool level)
{
    assert_int_equal(irq, IRQ);
    ((fake_t *)m)->irq = level;
}
static void fake_event(void *m, const emu_event_t *ev)
{
    fake_t *f = m;
    f->events++;
    memcpy(f->last_event, ev->detail, sizeof f->last_event);
}
static int fake_dma_read(void *m, uint32_t addr, void *buf, uint32_t len)
{
    fake_t *f = m;
    if (addr < RAM_BASE || len > RAM_SIZE || addr - RAM_BASE > RAM_SIZE - len)
        return -1;
    memcpy(buf, f->ram + (addr - RAM_BASE), len);
    return 0;
}
static int fake_dma_write(void *m, uint32_t addr, const void *data, uint32_t len)
{
    fake_t *f = m;
    if (addr < RAM_BASE || len > RAM_SIZE || addr - RAM_BASE > RAM_SIZE - len)
        return -1;
    if (data)
        memcpy(f->ram + (addr - RAM_BASE), data, len);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    F.bus = (emu_bus_t){ .m = &F, .now_ns = fake_now, .core_hz = 120000000u, .irq = fake_irq,
                         .event = fake_event, .dma_read = fake_dma_read, .dma_write = fake_dma_write };
    assert_int_equal(srv_create(&F.srv), SRV_OK);
    F.slot = srv_backend(F.srv);
    F.p = netdev_create(&F.bus, &F.slot, IRQ);
    assert_non_null(F.p);
    F.p->ops->reset(F.p, EMU_RESET_POWER_ON);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    F.p->ops->destroy(F.p);
    srv_destroy(F.srv);
    return 0;
}

static uint32_t rd(uint32_t off) { return F.p->ops->read(F.p, off, 4); }
static void wr(uint32_t off, uint32_t v) { F.p->ops->write(F.p, off, 4, v); }

/* Let emulated time pass to the device's deadline (as the machine's block hook would). */
static void run_to_deadline(void)
{
    uint64_t d = F.p->ops->deadline(F.p);
    if (d != UINT64_MAX) {
        if (d > F.now)
            F.now = d;
        F.p->ops->tick(F.p, F.now);
    }
}

static void put_uri(const char *name)
{
    strcpy((char *)F.ram, name);
    wr(R_URI, RAM_BASE);
}

static void get(const char *name, uint32_t off, uint32_t len)
{
    put_uri(name);
    wr(R_OFFSET, off);
    wr(R_ADDR, RAM_BASE + 0x100);
    wr(R_LEN, len);
    wr(R_CMD, 1);
}

static void post(const char *text)
{
    put_uri("result");
    memcpy(F.ram + 0x80, text, strlen(text));
    wr(R_ADDR, RAM_BASE + 0x80);
    wr(R_LEN, (uint32_t)strlen(text));
    wr(R_CMD, 2);
    run_to_deadline();
}

static uint8_t blob[6000];

static void publish_blob(void)
{
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (uint8_t)(i * 7 + 3);
    assert_int_equal(srv_publish(F.srv, "payload", blob, sizeof blob), SRV_OK);
}

static void id_and_reset_values(void **state)
{
    (void)state;
    assert_int_equal(rd(R_ID), 0x4E455455u);
    assert_int_equal(rd(R_CTRL), 0);
    assert_int_equal(rd(R_STATUS), ST_LINK);        /* server up, no campaign */
    assert_int_equal(F.p->ops->deadline(F.p), UINT64_MAX);
    /* byte access to ID (split) */
    assert_int_equal(F.p->ops->read(F.p, R_ID + 1, 1), 0x54);
}

static void no_backend_means_link_down(void **state)
{
    (void)state;
    F.slot = NULL;
    assert_int_equal(rd(R_STATUS) & ST_LINK, 0);
    wr(R_CTRL, 1);
    get("manifest", 0, 64);
    assert_int_equal(rd(R_STATUS) & (ST_BUSY | ST_DONE), ST_DONE);   /* at once, no latency */
    assert_int_equal(rd(R_RESULT), EMU_NET_LINK_DOWN);
    assert_true(F.irq);
}

static void get_delivers_after_latency_and_rate(void **state)
{
    (void)state;
    publish_blob();
    srv_set_rate(F.srv, 100000, 2000000);          /* 100 kB/s, 2 ms */
    F.now = 1000;
    wr(R_CTRL, 1);
    get("payload", 1000, 1024);
    assert_int_equal(rd(R_STATUS) & ST_BUSY, ST_BUSY);
    assert_false(F.irq);
    assert_int_equal(F.p->ops->deadline(F.p), 1000 + 2000000 + 1024ull * 1000000000ull / 100000);
    assert_int_equal(F.ram[0x100], 0);             /* nothing before completion */
    run_to_deadline();
    assert_int_equal(rd(R_STATUS) & (ST_BUSY | ST_DONE), ST_DONE);
    assert_int_equal(rd(R_RESULT), EMU_NET_OK);
    assert_int_equal(rd(R_XFERLEN), 1024);
    assert_int_equal(rd(R_SIZE), sizeof blob);
    assert_memory_equal(F.ram + 0x100, blob + 1000, 1024);
    assert_true(F.irq);
    wr(R_STATUS, ST_DONE);                         /* W1C */
    assert_int_equal(rd(R_STATUS) & ST_DONE, 0);
    assert_false(F.irq);
}

static void get_short_at_end_and_range_and_not_found(void **state)
{
    (void)state;
    publish_blob();
    get("payload", 5000, 4096);
    run_to_deadline();
    assert_int_equal(rd(R_RESULT), EMU_NET_OK);
    assert_int_equal(rd(R_XFERLEN), 1000);
    get("payload", 6000, 16);
    run_to_deadline();
    assert_int_equal(rd(R_RESULT), EMU_NET_RANGE);
    get("nothing", 0, 16);
    run_to_deadline();
    assert_int_equal(rd(R_RESULT), EMU_NET_NOT_FOUND);
}

static void bad_requests(void **state)
{
    (void)state;
    publish_blob();
    get("payload", 0, 0);                          /* LEN 0 */
    assert_int_equal(rd(R_RESULT), EMU_NET_BAD_REQUEST);
    get("payload", 0, 4097);                       /* LEN too large */
    assert_int_equal(rd(R_RESULT), EMU_NET_BAD_REQUEST);
    put_uri("payload");
    wr(R_ADDR, RAM_BASE + RAM_SIZE - 8);           /* DMA range leaves SRAM */
    wr(R_LEN, 64);
    wr(R_CMD, 1);
    assert_int_equal(rd(R_RESULT), EMU_NET_BAD_REQUEST);
    wr(R_URI, 0x10000000u);                        /* URI not in SRAM */
    wr(R_ADDR, RAM_BASE + 0x100);
    wr(R_CMD, 1);
    assert_int_equal(rd(R_RESULT), EMU_NET_BAD_REQUEST);
    memset(F.ram, 'a', 100);                       /* URI without a NUL in 64 bytes */
    wr(R_URI, RAM_BASE);
    wr(R_CMD, 1);
    assert_int_equal(rd(R_RESULT), EMU_NET_BAD_REQUEST);
    assert_int_equal(rd(R_STATUS) & ST_BUSY, 0);
}

static void busy_ignores_commands_and_abort_ends(void **state)
{
    (void)state;
    publish_blob();
    get("payload", 0, 1024);
    uint64_t d = F.p->ops->deadline(F.p);
    get("payload", 2048, 16);                      /* ignored while busy */
    assert_int_equal(F.p->ops->deadline(F.p), d);
    wr(R_CMD, 3);                                  /* ABORT */
    assert_int_equal(rd(R_STATUS) & (ST_BUSY | ST_DONE), ST_DONE);
    assert_int_equal(rd(R_RESULT), EMU_NET_ABORTED);
    assert_int_equal(rd(R_XFERLEN), 0);
    assert_int_equal(F.ram[0x100], 0);
    assert_int_equal(F.p->ops->deadline(F.p), UINT64_MAX);
}

static void drop_fault_delivers_prefix_then_link_down_window(void **state)
{
    (void)state;
    publish_blob();
    srv_set_rate(F.srv, 0, 0);                     /* instant, to see the window exactly */
    srv_fault_t f = { .kind = SRV_FAULT_DROP, .offset = 1500, .for_ns = 1000000000ull };
    strcpy(f.resource, "payload");
    assert_int_equal(srv_add_fault(F.srv, &f), SRV_OK);
    F.now = 5000;
    get("payload", 1024, 1024);
    run_to_deadline();
    assert_int_equal(rd(R_RESULT), EMU_NET_LINK_DOWN);
    assert_int_equal(rd(R_XFERLEN), 1500 - 1024);
    assert_memory_equal(F.ram + 0x100, blob + 1024, 1500 - 1024);
    assert_int_equal(rd(R_STATUS) & ST_LINK, 0);
    F.now += 999999999ull;
    assert_int_equal(rd(R_STATUS) & ST_LINK, 0);
    F.now += 1;
    assert_int_equal(rd(R_STATUS) & ST_LINK, ST_LINK);
    get("payload", 1500, 1024);                    /* fired once: the resume succeeds */
    run_to_deadline();
    assert_int_equal(rd(R_RESULT), EMU_NET_OK);
    assert_int_equal(rd(R_XFERLEN), 1024);
}

static void stall_truncate_corrupt_serve(void **state)
{
    (void)state;
    publish_blob();
    uint8_t other[100];
    memset(other, 0x5A, sizeof other);
    assert_int_equal(srv_publish(F.srv, "other", other, sizeof other), SRV_OK);
    srv_set_rate(F.srv, 0, 0);
    srv_fault_t st = { .kind = SRV_FAULT_STALL, .offset = 10, .for_ns = 7000 };
    strcpy(st.resource, "payload");
    srv_fault_t tr = { .kind = SRV_FAULT_TRUNCATE, .length = 3000 };
    strcpy(tr.resource, "payload");
    srv_fault_t co = { .kind = SRV_FAULT_CORRUPT, .offset = 20, .xor_mask = 0xFF };
    strcpy(co.resource, "payload");
    assert_int_equal(srv_add_fault(F.srv, &st), SRV_OK);
    assert_int_equal(srv_add_fault(F.srv, &tr), SRV_OK);
    assert_int_equal(srv_add_fault(F.srv, &co), SRV_OK);
    F.now = 100;
    get("payload", 0, 4096);
    assert_int_equal(F.p->ops->deadline(F.p), 100 + 7000);
    run_to_deadline();
    assert_int_equal(rd(R_XFERLEN), 3000);
    assert_int_equal(rd(R_SIZE), 3000);
    assert_int_equal(F.ram[0x100 + 20], (uint8_t)(blob[20] ^ 0xFF));
    assert_int_equal(F.ram[0x100 + 21], blob[21]);
    get("payload", 0, 64);                         /* the stall fired once: done at once */
    assert_int_equal(rd(R_STATUS) & (ST_BUSY | ST_DONE), ST_DONE);
    srv_clear_faults(F.srv);
    srv_fault_t sv = { .kind = SRV_FAULT_SERVE };
    strcpy(sv.resource, "payload");
    strcpy(sv.with, "other");
    assert_int_equal(srv_add_fault(F.srv, &sv), SRV_OK);
    get("payload", 0, 4096);
    run_to_deadline();
    assert_int_equal(rd(R_XFERLEN), 100);
    assert_int_equal(F.ram[0x100], 0x5A);
}

static void notify_level_latch_and_campaign_end(void **state)
{
    (void)state;
    wr(R_CTRL, 1);
    srv_campaign(F.srv, true, 2);
    assert_int_equal(rd(R_STATUS) & ST_NOTIFY, ST_NOTIFY);
    assert_false(F.irq);                           /* a level, the latch comes with the notification */
    netdev_notify(F.p);
    assert_int_equal(rd(R_STATUS) & ST_NOTIFIED, ST_NOTIFIED);
    assert_true(F.irq);
    wr(R_STATUS, ST_NOTIFIED);
    assert_false(F.irq);
    assert_int_equal(rd(R_STATUS) & ST_NOTIFY, ST_NOTIFY);  /* still pending */
    post("running 1");
    assert_int_equal(rd(R_RESULT), EMU_NET_OK);
    assert_true(srv_has_result(F.srv, "running 1"));
    assert_int_equal(rd(R_STATUS) & ST_NOTIFY, ST_NOTIFY);  /* not the campaign's version */
    post("running 2");
    assert_int_equal(rd(R_STATUS) & ST_NOTIFY, 0);
    srv_campaign(F.srv, true, 3);
    post("rejected signature");
    assert_int_equal(rd(R_STATUS) & ST_NOTIFY, 0);
    assert_int_equal(srv_result_count(F.srv), 3);
    assert_string_equal(srv_result(F.srv, 2, NULL), "rejected signature");
    /* NOTIFY needs the link */
    srv_campaign(F.srv, true, 3);
    srv_set_link(F.srv, true, 0);
    assert_int_equal(rd(R_STATUS) & (ST_NOTIFY | ST_LINK), 0);
}

static void link_change_ends_request_in_flight(void **state)
{
    (void)state;
    publish_blob();
    get("payload", 0, 1024);
    assert_int_equal(rd(R_STATUS) & ST_BUSY, ST_BUSY);
    srv_set_link(F.srv, true, 0);
    netdev_link_changed(F.p);
    assert_int_equal(rd(R_STATUS) & (ST_BUSY | ST_DONE), ST_DONE);
    assert_int_equal(rd(R_RESULT), EMU_NET_LINK_DOWN);
}

static void server_state_restores_fired_faults_and_results(void **state)
{
    (void)state;
    publish_blob();
    srv_set_rate(F.srv, 0, 0);
    srv_fault_t f = { .kind = SRV_FAULT_DROP, .offset = 10, .for_ns = 1 };
    strcpy(f.resource, "payload");
    srv_add_fault(F.srv, &f);
    srv_state_t saved = *srv_state_get(F.srv);
    get("payload", 0, 64);
    run_to_deadline();
    assert_int_equal(rd(R_RESULT), EMU_NET_LINK_DOWN);
    post("failed link");
    srv_state_set(F.srv, &saved);                 /* as a sweep restores a snapshot */
    assert_false(srv_has_result(F.srv, "failed link"));
    F.now += 10;
    get("payload", 0, 64);
    run_to_deadline();
    assert_int_equal(rd(R_RESULT), EMU_NET_LINK_DOWN);   /* the drop fires again */
}

static void reset_clears_and_lowers_irq(void **state)
{
    (void)state;
    publish_blob();
    wr(R_CTRL, 1);
    get("payload", 0, 64);
    run_to_deadline();
    assert_true(F.irq);
    get("payload", 0, 64);
    F.p->ops->reset(F.p, EMU_RESET_PIN);
    assert_false(F.irq);
    assert_int_equal(rd(R_CTRL), 0);
    assert_int_equal(rd(R_STATUS) & (ST_BUSY | ST_DONE | ST_NOTIFIED), 0);
    assert_int_equal(F.p->ops->deadline(F.p), UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(id_and_reset_values, setup, teardown),
        cmocka_unit_test_setup_teardown(no_backend_means_link_down, setup, teardown),
        cmocka_unit_test_setup_teardown(get_delivers_after_latency_and_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(get_short_at_end_and_range_and_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(busy_ignores_commands_and_abort_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(drop_fault_delivers_prefix_then_link_down_window, setup, teardown),
        cmocka_unit_test_setup_teardown(stall_truncate_corrupt_serve, setup, teardown),
        cmocka_unit_test_setup_teardown(notify_level_latch_and_campaign_end, setup, teardown),
        cmocka_unit_test_setup_teardown(link_change_ends_request_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(server_state_restores_fired_faults_and_results, setup, teardown),
        cmocka_unit_test_setup_teardown(reset_clears_and_lowers_irq, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
