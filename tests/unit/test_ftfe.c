/*
 * Unit tests of the K64F FTFE flash controller model (emu/periph/ftfe.c) over the real flash
 * engine and a fake machine bus that records what the controller asks of the machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flash.h"
#include "periph.h"

/* ---- fake machine ------------------------------------------------------------------------- */

#define MAX_EV 64
#define MAX_IRQ 64

typedef struct fake {
    uint64_t now, insns;
    uint32_t pc;
    int nirq;
    int irq_num[MAX_IRQ];
    bool irq_level[MAX_IRQ];
    int nev;
    emu_event_t ev[MAX_EV];
    int stalls;
    uint64_t stall_to;
    int power_cuts;
} fake_t;

static uint64_t fk_now(void *m) { return ((fake_t *)m)->now; }
static uint64_t fk_insns(void *m) { return ((fake_t *)m)->insns; }
static uint32_t fk_pc(void *m) { return ((fake_t *)m)->pc; }

static void fk_irq(void *m, int irq, bool level)
{
    fake_t *f = m;
    if (f->nirq < MAX_IRQ) {
        f->irq_num[f->nirq] = irq;
        f->irq_level[f->nirq] = level;
    }
    f->nirq++;
}

static void fk_reset_request(void *m, emu_reset_kind_t kind, const char *why) { fail(); }

static void fk_event(void *m, const emu_event_t *ev)
{
    fake_t *f = m;
    if (f->nev < MAX_EV)
        f->ev[f->nev] = *ev;
    f->nev++;
}

static void fk_console(void *m, int port, uint8_t byte) { fail(); }

static void fk_stall(void *m, uint64_t until)
{
    fake_t *f = m;
    f->stalls++;
    f->stall_to = until;
    if (until > f->now)
        f->now = until;   /* what the machine does: time jumps */
}

static void fk_power_cut(void *m) { ((fake_t *)m)->power_cuts++; }

/* ---- fixture ------------------------------------------------------------------------------ */

typedef struct fx {
    fake_t fk;
    emu_bus_t bus;
    flash_t *flash;
    uint8_t flexram[4096];
    periph_t *p;
} fx_t;

static fx_t *fx_new(uint32_t flexram_size)
{
    fx_t *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->bus = (emu_bus_t){
        .m = &x->fk, .now_ns = fk_now, .insns = fk_insns, .core_hz = 120000000, .irq = fk_irq,
        .reset_request = fk_reset_request, .event = fk_event, .console = fk_console,
        .stall_until = fk_stall, .power_cut = fk_power_cut, .pc = fk_pc,
    };
    x->fk.pc = 0x1FFF0100;     /* launching code runs from RAM unless a test says otherwise */
    x->fk.now = 1000;
    flash_cfg_t cfg;
    flash_cfg_k64f(&cfg);
    assert_int_equal(flash_create(&cfg, &x->flash), FLASH_OK);
    x->p = ftfe_create(&x->bus, x->flash, flexram_size ? x->flexram : NULL, flexram_size);
    assert_non_null(x->p);
    x->p->ops->reset(x->p, EMU_RESET_POWER_ON);
    return x;
}

static int fx_setup(void **state)
{
    *state = fx_new(sizeof(((fx_t *)0)->flexram));
    return 0;
}

static int fx_teardown(void **state)
{
    fx_t *x = *state;
    x->p->ops->destroy(x->p);
    flash_destroy(x->flash);
    free(x);
    return 0;
}

static uint32_t rd(fx_t *x, uint32_t off, unsigned size) { return x->p->ops->read(x->p, off, size); }
static void wr(fx_t *x, uint32_t off, unsigned size, uint32_t v) { x->p->ops->write(x->p, off, size, v); }

#define FSTAT_CCIF 0x80u
#define FSTAT_RDCOLERR 0x40u
#define FSTAT_ACCERR 0x20u
#define FSTAT_FPVIOL 0x10u
#define FSTAT_MGSTAT0 0x01u

/* The SDK's sequence (k64f.md): clear errors, load FCCOB as words, launch, poll CCIF. */
static uint8_t run_cmd(fx_t *x, uint8_t cmd, uint32_t addr, uint32_t w2, uint32_t w3)
{
    wr(x, 0x00, 1, 0x70);
    wr(x, 0x04, 4, (uint32_t)cmd << 24 | (addr & 0xFFFFFF));
    wr(x, 0x08, 4, w2);
    wr(x, 0x0C, 4, w3);
    wr(x, 0x00, 1, 0x80);
    uint8_t st;
    while (!((st = (uint8_t)rd(x, 0x00, 1)) & FSTAT_CCIF))
        ;
    return st;
}

static void write_fcf(fx_t *x, const uint8_t fcf[16])
{
    assert_int_equal(flash_host_write(x->flash, 0x400, fcf, 16), FLASH_OK);
    x->p->ops->reset(x->p, EMU_RESET_PIN);
}

static int count_events(fx_t *x, emu_event_kind_t kind)
{
    int n = 0;
    for (int i = 0; i < x->fk.nev && i < MAX_EV; i++)
        n += x->fk.ev[i].kind == kind;
    return n;
}

static const emu_event_t *last_event(fx_t *x, emu_event_kind_t kind)
{
    for (int i = (x->fk.nev < MAX_EV ? x->fk.nev : MAX_EV) - 1; i >= 0; i--)
        if (x->fk.ev[i].kind == kind)
            return &x->fk.ev[i];
    return NULL;
}

/* ---- registers ---------------------------------------------------------------------------- */

static void test_reset_values(void **state)
{
    fx_t *x = *state;
    assert_int_equal(rd(x, 0x00, 1), FSTAT_CCIF);
    assert_int_equal(rd(x, 0x01, 1) & 0x02, 0x02);          /* RAMRDY */
    assert_int_equal(rd(x, 0x02, 1), 0xFF);                 /* erased FCF: FSEC 0xFF */
    assert_int_equal(rd(x, 0x10, 4), 0xFFFFFFFF);           /* no protection */
    assert_int_equal(x->p->ops->deadline(x->p), UINT64_MAX);
    assert_int_equal(rd(x, 0x14, 2), 0);                    /* reserved */
    assert_string_equal(x->p->ops->name, "ftfe");
    assert_true(x->p->ops->size >= 0x18);
}

static void test_fccob_byte_order_32bit_store(void **state)
{
    fx_t *x = *state;
    wr(x, 0x04, 4, 0x09123456);
    assert_int_equal(rd(x, 0x07, 1), 0x09);   /* FCCOB0 = command */
    assert_int_equal(rd(x, 0x06, 1), 0x12);   /* FCCOB1 = addr[23:16] */
    assert_int_equal(rd(x, 0x05, 1), 0x34);   /* FCCOB2 = addr[15:8] */
    assert_int_equal(rd(x, 0x04, 1), 0x56);   /* FCCOB3 = addr[7:0] */
    wr(x, 0x08, 4, 0xA1B2C3D4);
    assert_int_equal(rd(x, 0x0B, 1), 0xA1);   /* FCCOB4 */
    assert_int_equal(rd(x, 0x08, 1), 0xD4);   /* FCCOB7 */
    assert_int_equal(rd(x, 0x08, 2), 0xC3D4);
    assert_int_equal(rd(x, 0x0A, 2), 0xA1B2);
}

static void test_fccob_byte_writes_launch_program_phrase(void **state)
{
    fx_t *x = *state;
    /* FCCOB0..3 one byte at a time: command 0x07 at address 0x002008 */
    wr(x, 0x07, 1, 0x07);
    wr(x, 0x06, 1, 0x00);
    wr(x, 0x05, 1, 0x20);
    wr(x, 0x04, 1, 0x08);
    assert_int_equal(rd(x, 0x04, 4), 0x07002008);
    for (unsigned i = 0; i < 8; i++)
        wr(x, 0x08 + i, 1, 0x10 + i);
    wr(x, 0x00, 1, 0x80);
    assert_int_equal(rd(x, 0x00, 1), FSTAT_CCIF);
    const uint8_t want[8] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17 };
    assert_memory_equal(flash_mem(x->flash) + 0x2008, want, 8);
}

static void test_program_phrase(void **state)
{
    fx_t *x = *state;
    uint8_t st = run_cmd(x, 0x07, 0x1000, 0x44332211, 0x88776655);
    assert_int_equal(st, FSTAT_CCIF);
    const uint8_t want[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
    assert_memory_equal(flash_mem(x->flash) + 0x1000, want, 8);
    assert_true(flash_is_erased(x->flash, 0x0FF8, 8));
    assert_true(flash_is_erased(x->flash, 0x1008, 8));
    assert_int_equal(flash_log_total(x->flash), 1);
    const flash_op_t *op = flash_log_get(x->flash, 0);
    assert_int_equal(op->kind, FLASH_OP_PROGRAM);
    assert_int_equal(op->addr, 0x1000);
    assert_int_equal(op->len, 8);
    assert_int_equal(op->pc, 0x1FFF0100);     /* the clock was set from the bus */
    assert_int_equal(op->time_ns, 1000);
    assert_int_equal(count_events(x, EMU_EV_FLASH_ERROR), 0);
    assert_int_equal(count_events(x, EMU_EV_FLASH_OP), 0);  /* the machine makes those */
}

static void test_erase_sector(void **state)
{
    fx_t *x = *state;
    assert_int_equal(run_cmd(x, 0x07, 0x2000, 0, 0), FSTAT_CCIF);
    assert_int_equal(run_cmd(x, 0x07, 0x2FF8, 0, 0), FSTAT_CCIF);
    assert_int_equal(run_cmd(x, 0x07, 0x3000, 0, 0), FSTAT_CCIF);
    assert_int_equal(run_cmd(x, 0x09, 0x2010, 0, 0), FSTAT_CCIF);  /* any 16-aligned addr inside */
    assert_true(flash_is_erased(x->flash, 0x2000, 4096));
    assert_false(flash_is_erased(x->flash, 0x3000, 8));
    assert_int_equal(flash_sector_erases(x->flash, 2), 1);
    assert_int_equal(flash_sector_erases(x->flash, 3), 0);
}

static void test_erase_block(void **state)
{
    fx_t *x = *state;
    assert_int_equal(run_cmd(x, 0x07, 0x7FFF8, 0, 0), FSTAT_CCIF);
    assert_int_equal(run_cmd(x, 0x07, 0x80000, 0, 0), FSTAT_CCIF);
    assert_int_equal(run_cmd(x, 0x08, 0x80000, 0, 0), FSTAT_CCIF);
    assert_true(flash_is_erased(x->flash, 0x80000, 0x80000));
    assert_false(flash_is_erased(x->flash, 0x7FFF8, 8));
}

static void test_program_section_from_flexram(void **state)
{
    fx_t *x = *state;
    for (int i = 0; i < 64; i++)
        x->flexram[i] = (uint8_t)(i * 7 + 1);
    /* FCCOB4:5 = 4 units of 16 bytes (FCCOB4 at 0x0B = high byte, FCCOB5 at 0x0A = low byte) */
    assert_int_equal(run_cmd(x, 0x0B, 0x4000, 0x0004FFFF, 0), FSTAT_CCIF);
    assert_memory_equal(flash_mem(x->flash) + 0x4000, x->flexram, 64);
    assert_true(flash_is_erased(x->flash, 0x4040, 16));
    const flash_op_t *op = flash_log_get(x->flash, 0);
    assert_int_equal(op->len, 64);

    /* across a sector boundary: ACCERR, nothing programmed */
    uint8_t st = run_cmd(x, 0x0B, 0x4FF0, 0x0002FFFF, 0);
    assert_int_equal(st, FSTAT_CCIF | FSTAT_ACCERR);
    assert_true(flash_is_erased(x->flash, 0x4FF0, 16));
    /* count 0 and misaligned address: ACCERR */
    assert_int_equal(run_cmd(x, 0x0B, 0x5000, 0x0000FFFF, 0), FSTAT_CCIF | FSTAT_ACCERR);
    assert_int_equal(run_cmd(x, 0x0B, 0x5008, 0x0001FFFF, 0), FSTAT_CCIF | FSTAT_ACCERR);
    assert_int_equal(flash_log_total(x->flash), 1);
}

static void test_program_section_needs_flexram(void **state)
{
    fx_t *x = fx_new(32);                    /* a FlexRAM of 32 bytes only */
    assert_int_equal(run_cmd(x, 0x0B, 0x4000, 0x0002FFFF, 0), FSTAT_CCIF);
    assert_int_equal(run_cmd(x, 0x0B, 0x5000, 0x0003FFFF, 0), FSTAT_CCIF | FSTAT_ACCERR);
    assert_true(flash_is_erased(x->flash, 0x5000, 48));
    void *st = x;
    fx_teardown(&st);

    x = fx_new(0);                           /* no FlexRAM: RAMRDY reads 0 */
    assert_int_equal(rd(x, 0x01, 1) & 0x02, 0);
    assert_int_equal(run_cmd(x, 0x0B, 0x4000, 0x0001FFFF, 0), FSTAT_CCIF | FSTAT_ACCERR);
    st = x;
    fx_teardown(&st);
}

static void test_read1s_section_mgstat0(void **state)
{
    fx_t *x = *state;
    /* margin FCCOB6 (0x09) = 1, count 0x100 units = 4 KiB */
    assert_int_equal(run_cmd(x, 0x01, 0x6000, 0x010001FF, 0), FSTAT_CCIF);
    uint8_t b = 0xFE;
    assert_int_equal(flash_host_write(x->flash, 0x6FFF, &b, 1), FLASH_OK);
    assert_int_equal(run_cmd(x, 0x01, 0x6000, 0x010001FF, 0), FSTAT_CCIF | FSTAT_MGSTAT0);
    const emu_event_t *ev = last_event(x, EMU_EV_FLASH_ERROR);
    assert_non_null(ev);
    assert_int_equal(ev->a.flash.code, FSTAT_MGSTAT0);
    assert_int_equal(ev->a.flash.addr, 0x6000);
    assert_int_equal(ev->a.flash.op, FLASH_OP_READ);      /* Read 1s Section, not a program */
    /* MGSTAT0 is cleared by the next launch, not by writing it */
    wr(x, 0x00, 1, 0x01);
    assert_int_equal(rd(x, 0x00, 1) & FSTAT_MGSTAT0, FSTAT_MGSTAT0);
    assert_int_equal(run_cmd(x, 0x01, 0x6000, 0x00FF00FF, 0), FSTAT_CCIF);  /* 0xFF units */
    /* Read 1s Block and Read 1s All Blocks see the same byte */
    assert_int_equal(run_cmd(x, 0x00, 0x80000, 0, 0), FSTAT_CCIF);
    assert_int_equal(run_cmd(x, 0x00, 0x00000, 0, 0), FSTAT_CCIF | FSTAT_MGSTAT0);
    assert_int_equal(run_cmd(x, 0x40, 0, 0, 0), FSTAT_CCIF | FSTAT_MGSTAT0);
}

static void test_program_check_mgstat0(void **state)
{
    fx_t *x = *state;
    assert_int_equal(run_cmd(x, 0x07, 0x7000, 0xDDCCBBAA, 0x11223344), FSTAT_CCIF);
    /* margin FCCOB4 = 1; expected data: register byte 0x0C+i = flash addr+i */
    assert_int_equal(run_cmd(x, 0x02, 0x7000, 0x01FFFFFF, 0xDDCCBBAA), FSTAT_CCIF);
    assert_int_equal(run_cmd(x, 0x02, 0x7004, 0x01FFFFFF, 0x11223344), FSTAT_CCIF);
    assert_int_equal(run_cmd(x, 0x02, 0x7000, 0x01FFFFFF, 0xDDCCBBAB), FSTAT_CCIF | FSTAT_MGSTAT0);
    assert_int_equal(run_cmd(x, 0x02, 0x7002, 0x01FFFFFF, 0), FSTAT_CCIF | FSTAT_ACCERR);
    /* the error event of a command that only checks is labelled as one, not as a program */
    const emu_event_t *ev = last_event(x, EMU_EV_FLASH_ERROR);
    assert_non_null(ev);
    assert_int_equal(ev->a.flash.op, FLASH_OP_READ);
    assert_string_equal(flash_op_kind_name(ev->a.flash.op), "read");
}

static void test_accerr_for_bad_commands(void **state)
{
    fx_t *x = *state;
    assert_int_equal(run_cmd(x, 0x07, 0x1004, 0, 0), FSTAT_CCIF | FSTAT_ACCERR);   /* misaligned */
    assert_int_equal(run_cmd(x, 0x09, 0x1008, 0, 0), FSTAT_CCIF | FSTAT_ACCERR);   /* misaligned */
    assert_int_equal(run_cmd(x, 0x07, 0x100000, 0, 0), FSTAT_CCIF | FSTAT_ACCERR); /* past the end */
    assert_int_equal(run_cmd(x, 0x09, 0x800000, 0, 0), FSTAT_CCIF | FSTAT_ACCERR); /* no FlexNVM */
    assert_int_equal(run_cmd(x, 0x06, 0x1000, 0, 0), FSTAT_CCIF | FSTAT_ACCERR);   /* Program Longword */
    assert_int_equal(run_cmd(x, 0x7F, 0x1000, 0, 0), FSTAT_CCIF | FSTAT_ACCERR);   /* unknown */
    assert_int_equal(flash_log_total(x->flash), 0);
    assert_true(flash_is_erased(x->flash, 0, flash_size(x->flash)));
    const emu_event_t *ev = last_event(x, EMU_EV_FLASH_ERROR);
    assert_non_null(ev);
    assert_int_equal(ev->a.flash.code, FSTAT_ACCERR);
    assert_int_equal(count_events(x, EMU_EV_FLASH_ERROR), 6);
    /* no busy time for a refused command */
    assert_int_equal(x->p->ops->deadline(x->p), UINT64_MAX);
}

static void test_launch_ignored_while_error_set(void **state)
{
    fx_t *x = *state;
    assert_int_equal(run_cmd(x, 0x7F, 0, 0, 0), FSTAT_CCIF | FSTAT_ACCERR);
    wr(x, 0x04, 4, 0x07001000);
    wr(x, 0x08, 4, 0);
    wr(x, 0x0C, 4, 0);
    wr(x, 0x00, 1, 0x80);                        /* ACCERR still set: no launch */
    assert_true(flash_is_erased(x->flash, 0x1000, 8));
    assert_int_equal(flash_log_total(x->flash), 0);
    wr(x, 0x00, 1, 0x20);                        /* write 1 to clear ACCERR */
    assert_int_equal(rd(x, 0x00, 1), FSTAT_CCIF);
    wr(x, 0x00, 1, 0x80);
    assert_int_equal(rd(x, 0x00, 1), FSTAT_CCIF);
    assert_false(flash_is_erased(x->flash, 0x1000, 8));
}

static void test_fpviol_from_fcf(void **state)
{
    fx_t *x = *state;
    /* FPROT3 (0x408) bit 0 = 0: region 0 (0x00000-0x07FFF) protected;
     * FPROT0 (0x40B) bit 7 = 0: region 31 (0xF8000-0xFFFFF) protected */
    const uint8_t fcf[16] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                              0xFE, 0xFF, 0xFF, 0x7F, 0xFE, 0xFF, 0xFF, 0xFF };
    write_fcf(x, fcf);
    assert_int_equal(rd(x, 0x10, 1), 0xFE);
    assert_int_equal(rd(x, 0x13, 1), 0x7F);
    assert_int_equal(rd(x, 0x10, 4), 0x7FFFFFFE);
    assert_int_equal(run_cmd(x, 0x07, 0x1000, 0, 0), FSTAT_CCIF | FSTAT_FPVIOL);
    assert_int_equal(run_cmd(x, 0x09, 0x7000, 0, 0), FSTAT_CCIF | FSTAT_FPVIOL);
    assert_int_equal(run_cmd(x, 0x07, 0xFFFF8, 0, 0), FSTAT_CCIF | FSTAT_FPVIOL);
    assert_int_equal(run_cmd(x, 0x08, 0x80000, 0, 0), FSTAT_CCIF | FSTAT_FPVIOL);
    assert_int_equal(run_cmd(x, 0x44, 0, 0, 0), FSTAT_CCIF | FSTAT_FPVIOL);
    assert_true(flash_is_erased(x->flash, 0x1000, 8));
    assert_true(flash_is_erased(x->flash, 0xFFFF8, 8));
    assert_int_equal(flash_log_total(x->flash), 0);
    const emu_event_t *ev = last_event(x, EMU_EV_FLASH_ERROR);
    assert_non_null(ev);
    assert_int_equal(ev->a.flash.code, FSTAT_FPVIOL);
    /* region 1 is not protected */
    assert_int_equal(run_cmd(x, 0x07, 0x8000, 0, 0), FSTAT_CCIF);
    assert_false(flash_is_erased(x->flash, 0x8000, 8));
    /* a launch while FPVIOL is set is ignored */
    assert_int_equal(run_cmd(x, 0x07, 0x1000, 0, 0), FSTAT_CCIF | FSTAT_FPVIOL);
    wr(x, 0x04, 4, 0x07009000);
    wr(x, 0x00, 1, 0x80);
    assert_true(flash_is_erased(x->flash, 0x9000, 8));
}

static void test_fprot_software_can_only_clear(void **state)
{
    fx_t *x = *state;
    wr(x, 0x11, 1, 0x0F);                        /* FPROT2: regions 8..15 */
    assert_int_equal(rd(x, 0x11, 1), 0x0F);
    wr(x, 0x11, 1, 0xF1);                        /* cannot set bits back */
    assert_int_equal(rd(x, 0x11, 1), 0x01);
    wr(x, 0x12, 2, 0x7FFF);                      /* 16-bit: FPROT1 unchanged, FPROT0 bit 7 cleared */
    assert_int_equal(rd(x, 0x13, 1), 0x7F);
    assert_int_equal(rd(x, 0x12, 1), 0xFF);
    /* region 12 (bit 4 of FPROT2) = 0x60000 protected now; region 8 (bit 0) is not */
    assert_int_equal(run_cmd(x, 0x07, 0x60000, 0, 0), FSTAT_CCIF | FSTAT_FPVIOL);
    wr(x, 0x00, 1, 0x10);
    assert_int_equal(run_cmd(x, 0x07, 0x40000, 0, 0), FSTAT_CCIF);
    /* reset reloads from the (erased) FCF */
    x->p->ops->reset(x->p, EMU_RESET_SOFTWARE);
    assert_int_equal(rd(x, 0x10, 4), 0xFFFFFFFF);
    assert_int_equal(rd(x, 0x00, 1), FSTAT_CCIF);  /* errors cleared by reset */
    assert_int_equal(run_cmd(x, 0x07, 0x60000, 0, 0), FSTAT_CCIF);
}

static void test_fsec_fopt_reload_at_reset(void **state)
{
    fx_t *x = *state;
    uint8_t fcf[16];
    memset(fcf, 0xFF, 16);
    fcf[12] = 0xFE;                              /* FSEC: unsecure */
    fcf[13] = 0xF9;                              /* FOPT */
    fcf[14] = 0xAB;                              /* FEPROT */
    fcf[15] = 0xCD;                              /* FDPROT */
    write_fcf(x, fcf);
    assert_int_equal(rd(x, 0x02, 1), 0xFE);
    assert_int_equal(rd(x, 0x03, 1), 0xF9);
    assert_int_equal(rd(x, 0x16, 1), 0xAB);
    assert_int_equal(rd(x, 0x17, 1), 0xCD);
    wr(x, 0x02, 2, 0x0000);                      /* read-only */
    assert_int_equal(rd(x, 0x02, 2), 0xF9FE);
    uint8_t b = 0x64;
    assert_int_equal(flash_host_write(x->flash, 0x40C, &b, 1), FLASH_OK);
    assert_int_equal(rd(x, 0x02, 1), 0xFE);      /* only a reset reloads */
    x->p->ops->reset(x->p, EMU_RESET_WATCHDOG);
    assert_int_equal(rd(x, 0x02, 1), 0x64);
}

static void test_erase_all_releases_security(void **state)
{
    fx_t *x = *state;
    uint8_t fcf[16];
    memset(fcf, 0xFF, 16);
    fcf[12] = 0x64;                              /* secured */
    write_fcf(x, fcf);
    assert_int_equal(run_cmd(x, 0x07, 0x90000, 0, 0), FSTAT_CCIF);
    assert_int_equal(rd(x, 0x02, 1), 0x64);
    assert_int_equal(run_cmd(x, 0x44, 0, 0, 0), FSTAT_CCIF);
    assert_true(flash_is_erased(x->flash, 0, flash_size(x->flash)));
    assert_int_equal(rd(x, 0x02, 1), 0xFE);
    assert_int_equal(flash_sector_erases(x->flash, 0), 1);
    assert_int_equal(flash_sector_erases(x->flash, 255), 1);
    /* the next reset reads the erased FCF: secured again (0xFF) */
    x->p->ops->reset(x->p, EMU_RESET_POWER_ON);
    assert_int_equal(rd(x, 0x02, 1), 0xFF);
}

static void test_busy_until_tick(void **state)
{
    fx_t *x = *state;
    x->fk.now = 5000;
    wr(x, 0x01, 1, 0x80);                        /* CCIE: the command-complete IRQ shows CCIF */
    assert_int_equal(x->fk.nirq, 1);
    assert_int_equal(x->fk.irq_num[0], 18);
    assert_true(x->fk.irq_level[0]);
    wr(x, 0x04, 4, 0x09003000);
    wr(x, 0x00, 1, 0x80);
    assert_int_equal(x->fk.nirq, 2);
    assert_false(x->fk.irq_level[1]);            /* CCIF = 0 */
    assert_int_equal(x->p->ops->deadline(x->p), 5000 + 15000000);
    /* FCCOB writes are ignored while busy */
    wr(x, 0x04, 4, 0x07001000);
    assert_int_equal(rd(x, 0x04, 4), 0x09003000);
    /* a launch while busy does nothing */
    wr(x, 0x00, 1, 0x80);
    assert_int_equal(flash_log_total(x->flash), 1);
    x->p->ops->tick(x->p, 5000 + 15000000 - 1);
    assert_int_equal(x->p->ops->deadline(x->p), 5000 + 15000000);
    assert_int_equal(x->fk.nirq, 2);
    x->fk.now = 5000 + 15000000;
    x->p->ops->tick(x->p, x->fk.now);
    assert_int_equal(x->p->ops->deadline(x->p), UINT64_MAX);
    assert_int_equal(x->fk.nirq, 3);
    assert_true(x->fk.irq_level[2]);
    assert_int_equal(rd(x, 0x00, 1), FSTAT_CCIF);
    assert_int_equal(x->fk.stalls, 0);           /* completed by tick, nothing to fast-forward */
}

static void test_fstat_read_while_busy_stalls(void **state)
{
    fx_t *x = *state;
    x->fk.now = 1000;
    wr(x, 0x04, 4, 0x07001000);
    wr(x, 0x00, 1, 0x80);
    assert_int_equal(x->p->ops->deadline(x->p), 1000 + 90000);
    assert_int_equal(rd(x, 0x00, 1), FSTAT_CCIF);
    assert_int_equal(x->fk.stalls, 1);
    assert_int_equal(x->fk.stall_to, 1000 + 90000);
    assert_int_equal(x->p->ops->deadline(x->p), UINT64_MAX);
    /* Read 1s Section also takes time and fast-forwards */
    wr(x, 0x04, 4, 0x01000000);
    wr(x, 0x08, 4, 0x000100FF);                  /* 1 unit, margin 0 */
    wr(x, 0x00, 1, 0x80);
    uint64_t dl = x->p->ops->deadline(x->p);
    assert_true(dl > x->fk.now && dl != UINT64_MAX);
    assert_int_equal(rd(x, 0x00, 4) & 0xFF, FSTAT_CCIF);   /* a 32-bit read includes FSTAT */
    assert_int_equal(x->fk.stalls, 2);
    assert_int_equal(x->fk.stall_to, dl);
}

static void test_rdcol_when_launching_from_the_busy_block(void **state)
{
    fx_t *x = *state;
    x->fk.pc = 0x00000400 + 0x1000;              /* code in block 0 */
    assert_int_equal(run_cmd(x, 0x09, 0x4000, 0, 0), FSTAT_CCIF | FSTAT_RDCOLERR);
    assert_int_equal(count_events(x, EMU_EV_FLASH_RDCOL), 1);
    const emu_event_t *ev = last_event(x, EMU_EV_FLASH_RDCOL);
    assert_int_equal(ev->a.flash.addr, 0x4000);
    assert_int_equal(ev->a.flash.op, FLASH_OP_ERASE_SECTOR);
    assert_int_equal(flash_sector_erases(x->flash, 4), 1);   /* the command still ran */
    wr(x, 0x00, 1, 0x40);                        /* write 1 to clear */
    assert_int_equal(rd(x, 0x00, 1), FSTAT_CCIF);
    /* block 1 target from block 0 code: fine */
    assert_int_equal(run_cmd(x, 0x09, 0x80000, 0, 0), FSTAT_CCIF);
    /* from RAM: fine */
    x->fk.pc = 0x1FFF8000;
    assert_int_equal(run_cmd(x, 0x09, 0x4000, 0, 0), FSTAT_CCIF);
    /* code in block 1 erasing block 1 */
    x->fk.pc = 0x000C0000;
    assert_int_equal(run_cmd(x, 0x07, 0x80010, 0, 0), FSTAT_CCIF | FSTAT_RDCOLERR);
    assert_int_equal(count_events(x, EMU_EV_FLASH_RDCOL), 2);
}

static void test_program_once_twice_is_accerr(void **state)
{
    fx_t *x = *state;
    /* Read Once of a blank record: all ones, returned at 0x08..0x0F */
    assert_int_equal(run_cmd(x, 0x41, 0x030000, 0, 0), FSTAT_CCIF);
    assert_int_equal(rd(x, 0x08, 4), 0xFFFFFFFF);
    assert_int_equal(run_cmd(x, 0x43, 0x030000, 0x04030201, 0x08070605), FSTAT_CCIF);
    assert_int_equal(run_cmd(x, 0x41, 0x030000, 0, 0), FSTAT_CCIF);
    assert_int_equal(rd(x, 0x08, 4), 0x04030201);
    assert_int_equal(rd(x, 0x0C, 4), 0x08070605);
    assert_int_equal(run_cmd(x, 0x43, 0x030000, 0, 0), FSTAT_CCIF | FSTAT_ACCERR);
    wr(x, 0x00, 1, 0x20);
    assert_int_equal(run_cmd(x, 0x43, 0x080000, 0, 0), FSTAT_CCIF | FSTAT_ACCERR);  /* index 8 */
    wr(x, 0x00, 1, 0x20);
    /* records are flash: a reset keeps them */
    x->p->ops->reset(x->p, EMU_RESET_POWER_ON);
    assert_int_equal(run_cmd(x, 0x43, 0x030000, 0, 0), FSTAT_CCIF | FSTAT_ACCERR);
    wr(x, 0x00, 1, 0x20);
    assert_int_equal(run_cmd(x, 0x43, 0x020000, 0, 0), FSTAT_CCIF);   /* another record is free */
}

static void test_read_resource_returns_zeros(void **state)
{
    fx_t *x = *state;
    assert_int_equal(run_cmd(x, 0x03, 0x000008, 0x01FFFFFF, 0xFFFFFFFF), FSTAT_CCIF);
    assert_int_equal(rd(x, 0x08, 4), 0);
    assert_int_equal(rd(x, 0x0C, 4), 0);
    assert_int_equal(run_cmd(x, 0x03, 0x000004, 0, 0), FSTAT_CCIF | FSTAT_ACCERR);
}

static void test_verify_backdoor_key(void **state)
{
    fx_t *x = *state;
    uint8_t fcf[16] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                        0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF };
    /* KEYEN = 0b01: disabled */
    write_fcf(x, fcf);
    assert_int_equal(run_cmd(x, 0x45, 0, 0x01020304, 0x05060708), FSTAT_CCIF | FSTAT_ACCERR);
    /* KEYEN = 0b10, SEC = 0b11 (secured): key byte i in FCCOB4+i */
    fcf[12] = 0xBF;
    write_fcf(x, fcf);
    assert_int_equal(run_cmd(x, 0x45, 0, 0x01020304, 0x05060708), FSTAT_CCIF);
    assert_int_equal(rd(x, 0x02, 1), 0xBE);      /* SEC = 0b10: unsecured */
    /* a wrong key fails, and then even the right key fails until reset */
    x->p->ops->reset(x->p, EMU_RESET_PIN);
    assert_int_equal(run_cmd(x, 0x45, 0, 0x01020304, 0x05060709), FSTAT_CCIF | FSTAT_ACCERR);
    wr(x, 0x00, 1, 0x20);
    assert_int_equal(run_cmd(x, 0x45, 0, 0x01020304, 0x05060708), FSTAT_CCIF | FSTAT_ACCERR);
    assert_int_equal(rd(x, 0x02, 1), 0xBF);
    x->p->ops->reset(x->p, EMU_RESET_PIN);
    assert_int_equal(run_cmd(x, 0x45, 0, 0x01020304, 0x05060708), FSTAT_CCIF);
}

static flash_hook_action_t cut_hook(void *ctx, flash_hook_phase_t phase, const flash_op_t *op)
{
    return phase == FLASH_HOOK_BEFORE ? *(flash_hook_action_t *)ctx : FLASH_HOOK_PROCEED;
}

static void test_hook_cut_stops_the_machine(void **state)
{
    fx_t *x = *state;
    flash_hook_action_t action = FLASH_HOOK_CUT_BEFORE;
    flash_set_hook(x->flash, cut_hook, &action);
    wr(x, 0x04, 4, 0x07001000);
    wr(x, 0x08, 4, 0);
    wr(x, 0x0C, 4, 0);
    wr(x, 0x00, 1, 0x80);
    assert_int_equal(x->fk.power_cuts, 1);
    assert_true(flash_is_erased(x->flash, 0x1000, 8));
    assert_int_equal(count_events(x, EMU_EV_FLASH_ERROR), 0);
    /* a cut after also stops it, with the phrase programmed */
    x->p->ops->reset(x->p, EMU_RESET_POWER_ON);
    action = FLASH_HOOK_CUT_AFTER;
    wr(x, 0x04, 4, 0x07001000);
    wr(x, 0x00, 1, 0x80);
    assert_int_equal(x->fk.power_cuts, 2);
    assert_false(flash_is_erased(x->flash, 0x1000, 8));
    /* a proceeding hook does not */
    x->p->ops->reset(x->p, EMU_RESET_POWER_ON);
    action = FLASH_HOOK_PROCEED;
    assert_int_equal(run_cmd(x, 0x09, 0x1000, 0, 0), FSTAT_CCIF);
    assert_int_equal(x->fk.power_cuts, 2);
}

static void test_fcnfg_writable_bits(void **state)
{
    fx_t *x = *state;
    wr(x, 0x01, 1, 0xFF);
    assert_int_equal(rd(x, 0x01, 1), 0x80 | 0x40 | 0x10 | 0x02);  /* CCIE, RDCOLLIE, ERSSUSP, RAMRDY */
    wr(x, 0x01, 1, 0x00);
    assert_int_equal(rd(x, 0x01, 1), 0x02);
    /* a 32-bit store at 0x00 writes FCNFG and launches from FSTAT */
    wr(x, 0x04, 4, 0x07001000);
    wr(x, 0x00, 4, 0x00004080);
    assert_int_equal(rd(x, 0x01, 1), 0x42);
    assert_false(flash_is_erased(x->flash, 0x1000, 8));
}

static void test_state_snapshot_restores_busy(void **state)
{
    fx_t *x = *state;
    const periph_ops_t *ops = x->p->ops;
    assert_true(ops->state_size > 0);
    void *saved = malloc(ops->state_size);
    assert_non_null(saved);
    wr(x, 0x04, 4, 0x09005000);
    wr(x, 0x00, 1, 0x80);
    uint64_t dl = ops->deadline(x->p);
    memcpy(saved, ops->state(x->p), ops->state_size);
    assert_int_equal(rd(x, 0x00, 1), FSTAT_CCIF);
    assert_int_equal(ops->deadline(x->p), UINT64_MAX);
    memcpy(ops->state(x->p), saved, ops->state_size);
    assert_int_equal(ops->deadline(x->p), dl);
    assert_int_equal(rd(x, 0x04, 4), 0x09005000);
    free(saved);
}

/* The fingerprint (what the sweep runner compares states with): the last command's target only
 * counts while the command runs, so two devices that last programmed different places are alike
 * after a reset. */
static void fp_feed(void *ctx, const void *d, size_t n)
{
    uint64_t *h = ctx;
    const uint8_t *p = d;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ p[i]) * 0x100000001B3ull;
}

static uint64_t ftfe_fp(fx_t *x)
{
    uint64_t h = 0xCBF29CE484222325ull;
    x->p->ops->fingerprint(x->p, x->fk.now, fp_feed, &h);
    return h;
}

static void test_fingerprint_leaves_out_an_idle_target(void **state)
{
    (void)state;
    fx_t *a = fx_new(sizeof(((fx_t *)0)->flexram)), *b = fx_new(sizeof(((fx_t *)0)->flexram));
    assert_int_equal(run_cmd(a, 0x07, 0x1000, 0, 0), FSTAT_CCIF);
    assert_int_equal(run_cmd(b, 0x07, 0x2000, 0, 0), FSTAT_CCIF);
    assert_int_equal(a->fk.now, b->fk.now);
    a->p->ops->reset(a->p, EMU_RESET_POWER_ON);
    b->p->ops->reset(b->p, EMU_RESET_POWER_ON);
    assert_int_equal(ftfe_fp(a), ftfe_fp(b));
    /* running: erase sectors 0x3000 and 0x3000 alike, then 0x4000 instead */
    wr(a, 0x04, 4, 0x09003000);
    wr(a, 0x00, 1, 0x80);
    wr(b, 0x04, 4, 0x09003000);
    wr(b, 0x00, 1, 0x80);
    assert_int_equal(ftfe_fp(a), ftfe_fp(b));
    b->fk.now = a->fk.now = a->p->ops->deadline(a->p);
    a->p->ops->tick(a->p, a->fk.now);
    b->p->ops->tick(b->p, b->fk.now);
    wr(a, 0x04, 4, 0x09005000);
    wr(a, 0x00, 1, 0x80);
    wr(b, 0x04, 4, 0x09006000);
    wr(b, 0x00, 1, 0x80);
    assert_true(ftfe_fp(a) != ftfe_fp(b));
    fx_teardown((void **)&a);
    fx_teardown((void **)&b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_reset_values),
        T(test_fccob_byte_order_32bit_store),
        T(test_fccob_byte_writes_launch_program_phrase),
        T(test_program_phrase),
        T(test_erase_sector),
        T(test_erase_block),
        T(test_program_section_from_flexram),
        cmocka_unit_test(test_program_section_needs_flexram),
        T(test_read1s_section_mgstat0),
        T(test_program_check_mgstat0),
        T(test_accerr_for_bad_commands),
        T(test_launch_ignored_while_error_set),
        T(test_fpviol_from_fcf),
        T(test_fprot_software_can_only_clear),
        T(test_fsec_fopt_reload_at_reset),
        T(test_erase_all_releases_security),
        T(test_busy_until_tick),
        T(test_fstat_read_while_busy_stalls),
        T(test_rdcol_when_launching_from_the_busy_block),
        T(test_program_once_twice_is_accerr),
        T(test_read_resource_returns_zeros),
        T(test_verify_backdoor_key),
        T(test_hook_cut_stops_the_machine),
        T(test_fcnfg_writable_bits),
        T(test_state_snapshot_restores_busy),
        cmocka_unit_test(test_fingerprint_leaves_out_an_idle_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
