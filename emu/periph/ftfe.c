/*
 * fwemu K64F FTFE flash controller (register map and commands: k64f.md "FTFE registers").
 *
 * Contract (periph.h): registers at offsets 0x00..0x17, any of them with 8-, 16- or 32-bit
 * accesses (little-endian; a wide access is split into bytes, FSTAT handled last so that one
 * 32-bit store at 0x00 writes FCNFG before it launches). Commands run on the flash engine
 * (flash.h) at launch; the controller then stays busy (CCIF = 0) for the engine's duration.
 *
 * Model choices (GUESS where k64f.md marks them so):
 *   - flash command addresses (FCCOB1..3) are offsets into the program flash: CPU address =
 *     flash_config()->base + address (base is 0 on K64F);
 *   - a read of FSTAT while busy fast-forwards: bus->stall_until(completion), then CCIF = 1;
 *   - read-while-write (RM "Read-while-write"): at launch, a launching PC (bus->pc, block start)
 *     inside a 512 KiB block the command works on sets RDCOLERR (+ EMU_EV_FLASH_RDCOL); the
 *     command still runs. IFR commands (Read Resource, Read/Program Once, Verify Backdoor Key)
 *     count as working on block 0;
 *   - Program Once field: 8 records x 8 bytes (index in FCCOB1, data at registers 0x08..0x0F as for
 *     Program Phrase); they survive resets (they are flash) and live in the snapshot state;
 *   - Read Resource returns zeros; margin levels > 2 are ACCERR;
 *   - interrupts (MK64F12.h): IRQ 18 = command complete (FCNFG.CCIE && CCIF), IRQ 19 = read
 *     collision (FCNFG.RDCOLLIE && RDCOLERR), level-driven through bus->irq.
 */
#include "flash.h"
#include "periph.h"

#include <stdlib.h>
#include <string.h>

/* Register offsets (k64f.md) */
#define FTFE_FSTAT  0x00u
#define FTFE_FCNFG  0x01u
#define FTFE_FSEC   0x02u
#define FTFE_FOPT   0x03u
#define FTFE_FCCOB  0x04u   /* 0x04..0x0F: FCCOB3,2,1,0, 7,6,5,4, B,A,9,8 */
#define FTFE_FPROT  0x10u   /* 0x10..0x13: FPROT3..FPROT0 */
#define FTFE_FEPROT 0x16u
#define FTFE_FDPROT 0x17u
#define FTFE_REGS   0x18u
#define FTFE_SPACE  0x1000u

/* FSTAT bits */
#define FSTAT_CCIF     0x80u
#define FSTAT_RDCOLERR 0x40u
#define FSTAT_ACCERR   0x20u
#define FSTAT_FPVIOL   0x10u
#define FSTAT_MGSTAT0  0x01u
#define FSTAT_W1C      (FSTAT_RDCOLERR | FSTAT_ACCERR | FSTAT_FPVIOL)

/* FCNFG bits: CCIE, RDCOLLIE, ERSSUSP writable; RAMRDY read-only */
#define FCNFG_CCIE     0x80u
#define FCNFG_RDCOLLIE 0x40u
#define FCNFG_ERSSUSP  0x10u
#define FCNFG_RAMRDY   0x02u
#define FCNFG_WMASK    (FCNFG_CCIE | FCNFG_RDCOLLIE | FCNFG_ERSSUSP)

/* Flash Configuration Field (k64f.md) */
#define FCF_KEY   0x400u
#define FCF_FPROT 0x408u
#define FCF_FSEC  0x40Cu
#define FCF_FOPT  0x40Du
#define FCF_FEPROT 0x40Eu
#define FCF_FDPROT 0x40Fu
#define FSEC_UNSECURE 0xFEu

/* Commands (k64f.md command table) */
enum {
    FTFE_CMD_READ1S_BLOCK = 0x00,
    FTFE_CMD_READ1S_SECTION = 0x01,
    FTFE_CMD_PROGRAM_CHECK = 0x02,
    FTFE_CMD_READ_RESOURCE = 0x03,
    FTFE_CMD_PROGRAM_PHRASE = 0x07,
    FTFE_CMD_ERASE_BLOCK = 0x08,
    FTFE_CMD_ERASE_SECTOR = 0x09,
    FTFE_CMD_PROGRAM_SECTION = 0x0B,
    FTFE_CMD_READ1S_ALL = 0x40,
    FTFE_CMD_READ_ONCE = 0x41,
    FTFE_CMD_PROGRAM_ONCE = 0x43,
    FTFE_CMD_ERASE_ALL = 0x44,
    FTFE_CMD_VERIFY_KEY = 0x45,
};

#define FTFE_PHRASE 8u
#define FTFE_SECTION_UNIT 16u
#define FTFE_PROT_REGIONS 32u
#define FTFE_ONCE_RECORDS 8u
#define FTFE_ONCE_SIZE 8u
#define FTFE_IRQ_CMD 18
#define FTFE_IRQ_RDCOL 19

/* Durations of commands that do not change the array (GUESS; K64 data sheet max values as
 * remembered, not read: see k64f.md "Timings"). */
#define FTFE_T_CMD_NS          1000ull     /* fixed part of Read 1s Section */
#define FTFE_T_READ1S_KIB_NS   60000ull    /* Read 1s Section, per KiB */
#define FTFE_T_READ1S_BLOCK_NS 1800000ull  /* Read 1s Block, per 512 KiB block */
#define FTFE_T_PROGRAM_CHECK_NS 45000ull
#define FTFE_T_READ_RESOURCE_NS 30000ull
#define FTFE_T_READ_ONCE_NS    30000ull
#define FTFE_T_PROGRAM_ONCE_NS 90000ull
#define FTFE_T_VERIFY_KEY_NS   30000ull

/* Plain state (snapshot): no pointers. */
typedef struct ftfe_state {
    uint8_t regs[FTFE_REGS];     /* register image; regs[FSTAT] holds error bits and MGSTAT0 only */
    uint8_t busy;                /* 1 while a command runs (CCIF reads 0) */
    uint8_t pending;             /* FSTAT bits to set at completion (MGSTAT0) */
    uint8_t cmd;                 /* last launched command code */
    uint8_t key_failed;          /* Verify Backdoor Key failed: refused until reset (RM) */
    uint8_t irq_cmd, irq_rdcol;  /* levels last driven */
    uint8_t once_used[FTFE_ONCE_RECORDS];
    uint8_t once[FTFE_ONCE_RECORDS][FTFE_ONCE_SIZE];
    uint32_t cmd_addr, cmd_len;  /* target of the last launched command (CPU address) */
    uint32_t cmd_seq;            /* flash_log_total at launch */
    uint64_t done_ns;            /* completion time while busy */
} ftfe_state_t;

typedef struct ftfe {
    periph_t p;                  /* first: periph_t * <-> ftfe_t * */
    flash_t *flash;
    uint8_t *flexram;
    uint32_t flexram_size;
    ftfe_state_t s;
} ftfe_t;

/* A validated command: what it works on. */
typedef struct ftfe_cmd {
    uint8_t code;
    uint32_t off, len;           /* flash array offset/length worked on (for RDCOL and events) */
    uint64_t busy_ns;
} ftfe_cmd_t;

static ftfe_t *ftfe_of(periph_t *p) { return (ftfe_t *)p; }

/* FCCOBn -> register offset: each 32-bit group holds its four FCCOBs big-endian. */
static uint8_t ftfe_fccob(const ftfe_state_t *s, unsigned n)
{
    return s->regs[FTFE_FCCOB + (n & ~3u) + (3u - (n & 3u))];
}

static uint64_t ftfe_now(ftfe_t *t) { return t->p.bus->now_ns(t->p.bus->m); }

static uint8_t ftfe_fcnfg(const ftfe_t *t)
{
    return (uint8_t)(t->s.regs[FTFE_FCNFG] | (t->flexram && t->flexram_size ? FCNFG_RAMRDY : 0));
}

static flash_op_kind_t ftfe_op_kind(uint8_t code)
{
    switch (code) {
    case FTFE_CMD_ERASE_SECTOR: return FLASH_OP_ERASE_SECTOR;
    case FTFE_CMD_ERASE_BLOCK: return FLASH_OP_ERASE_BLOCK;
    case FTFE_CMD_ERASE_ALL: return FLASH_OP_ERASE_ALL;
    case FTFE_CMD_PROGRAM_PHRASE:
    case FTFE_CMD_PROGRAM_SECTION:
    case FTFE_CMD_PROGRAM_ONCE: return FLASH_OP_PROGRAM;
    default: return FLASH_OP_READ;    /* the read/check commands, and unknown codes (refused) */
    }
}

static void ftfe_event(ftfe_t *t, emu_event_kind_t kind, int32_t code)
{
    emu_bus_t *bus = t->p.bus;
    if (!bus->event)
        return;
    static const char hex[] = "0123456789abcdef";
    emu_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.time_ns = bus->now_ns(bus->m);
    ev.insns = bus->insns ? bus->insns(bus->m) : 0;
    ev.pc = bus->pc ? bus->pc(bus->m) : 0;
    ev.a.flash.op = ftfe_op_kind(t->s.cmd);
    ev.a.flash.addr = t->s.cmd_addr;
    ev.a.flash.len = t->s.cmd_len;
    ev.a.flash.seq = t->s.cmd_seq;
    ev.a.flash.code = code;
    memcpy(ev.detail, "FTFE cmd 0x", 11);
    ev.detail[11] = hex[t->s.cmd >> 4];
    ev.detail[12] = hex[t->s.cmd & 15];
    bus->event(bus->m, &ev);
}

static void ftfe_irq_update(ftfe_t *t)
{
    emu_bus_t *bus = t->p.bus;
    uint8_t cmd = (t->s.regs[FTFE_FCNFG] & FCNFG_CCIE) && !t->s.busy;
    uint8_t rdcol = (t->s.regs[FTFE_FCNFG] & FCNFG_RDCOLLIE) && (t->s.regs[FTFE_FSTAT] & FSTAT_RDCOLERR);
    if (cmd != t->s.irq_cmd && bus->irq)
        bus->irq(bus->m, FTFE_IRQ_CMD, cmd);
    if (rdcol != t->s.irq_rdcol && bus->irq)
        bus->irq(bus->m, FTFE_IRQ_RDCOL, rdcol);
    t->s.irq_cmd = cmd;
    t->s.irq_rdcol = rdcol;
}

/* Byte of the flash array, 0xFF beyond its end (e.g. an FCF on a tiny test array). */
static uint8_t ftfe_flash_byte(ftfe_t *t, uint32_t off)
{
    if (off >= flash_size(t->flash))
        return 0xFF;
    flash_track_use(t->flash, flash_config(t->flash)->base + off, 1);
    return flash_mem(t->flash)[off];
}

/* RM: FPROT region n (size = flash size / 32) is protected when bit n of FPROT3..0 reads 0. */
static bool ftfe_protected(const ftfe_t *t, uint32_t off, uint32_t len)
{
    uint32_t rs = flash_size(t->flash) / FTFE_PROT_REGIONS;
    if (rs == 0 || len == 0)
        return false;
    for (uint32_t n = off / rs; n <= (off + len - 1) / rs && n < FTFE_PROT_REGIONS; n++)
        if (!(t->s.regs[FTFE_FPROT + n / 8] & (1u << (n % 8))))
            return true;
    return false;
}

static bool ftfe_in_flash(const ftfe_t *t, uint32_t off, uint32_t len)
{
    return (uint64_t)off + len <= flash_size(t->flash);
}

static uint32_t ftfe_block_len(const ftfe_t *t)
{
    uint32_t bl = flash_config(t->flash)->block_size;
    return bl ? bl : flash_size(t->flash);
}

static bool ftfe_all_ones(ftfe_t *t, uint32_t off, uint32_t len)
{
    return flash_is_erased(t->flash, flash_config(t->flash)->base + off, len);
}

/* Check the FCCOB fields of the loaded command. Returns FSTAT error bits (0 = valid) and fills
 * what the command works on. RM: ACCERR for a bad field, FPVIOL for a protected target. */
static uint8_t ftfe_validate(ftfe_t *t, ftfe_cmd_t *c)
{
    const ftfe_state_t *s = &t->s;
    uint32_t a = (uint32_t)ftfe_fccob(s, 1) << 16 | (uint32_t)ftfe_fccob(s, 2) << 8 | ftfe_fccob(s, 3);
    uint32_t count = (uint32_t)ftfe_fccob(s, 4) << 8 | ftfe_fccob(s, 5);
    uint32_t size = flash_size(t->flash), bl = ftfe_block_len(t);
    c->code = ftfe_fccob(s, 0);
    c->off = a;
    c->len = 0;
    c->busy_ns = 0;
    switch (c->code) {
    case FTFE_CMD_READ1S_BLOCK:
        if (a % FTFE_SECTION_UNIT || a >= size || ftfe_fccob(s, 4) > 2)
            return FSTAT_ACCERR;
        c->off = a / bl * bl;
        c->len = size - c->off < bl ? size - c->off : bl;
        c->busy_ns = FTFE_T_READ1S_BLOCK_NS;
        return 0;
    case FTFE_CMD_READ1S_SECTION:
        c->len = count * FTFE_SECTION_UNIT;
        if (a % FTFE_SECTION_UNIT || count == 0 || ftfe_fccob(s, 6) > 2 || !ftfe_in_flash(t, a, c->len)
            || a / bl != (a + c->len - 1) / bl)
            return FSTAT_ACCERR;
        c->busy_ns = FTFE_T_CMD_NS + FTFE_T_READ1S_KIB_NS * c->len / 1024;
        return 0;
    case FTFE_CMD_PROGRAM_CHECK:
        c->len = 4;
        if (a % 4 || !ftfe_in_flash(t, a, 4) || ftfe_fccob(s, 4) > 2)
            return FSTAT_ACCERR;
        c->busy_ns = FTFE_T_PROGRAM_CHECK_NS;
        return 0;
    case FTFE_CMD_READ_RESOURCE:
        if (a % 8)
            return FSTAT_ACCERR;
        c->off = 0;
        c->len = 0;
        c->busy_ns = FTFE_T_READ_RESOURCE_NS;
        return 0;
    case FTFE_CMD_PROGRAM_PHRASE:
        c->len = FTFE_PHRASE;
        if (a % FTFE_PHRASE || !ftfe_in_flash(t, a, c->len))
            return FSTAT_ACCERR;
        return ftfe_protected(t, a, c->len) ? FSTAT_FPVIOL : 0;
    case FTFE_CMD_ERASE_BLOCK:
        if (a % FTFE_SECTION_UNIT || a >= size)
            return FSTAT_ACCERR;
        c->off = a / bl * bl;
        c->len = size - c->off < bl ? size - c->off : bl;
        return ftfe_protected(t, c->off, c->len) ? FSTAT_FPVIOL : 0;
    case FTFE_CMD_ERASE_SECTOR: {
        uint32_t start, ssize;
        uint32_t base = flash_config(t->flash)->base;
        if (a % FTFE_SECTION_UNIT || a >= size || flash_sector_of(t->flash, base + a, &start, &ssize))
            return FSTAT_ACCERR;
        c->off = start - base;
        c->len = ssize;
        return ftfe_protected(t, c->off, c->len) ? FSTAT_FPVIOL : 0;
    }
    case FTFE_CMD_PROGRAM_SECTION: {
        uint32_t start, ssize;
        uint32_t base = flash_config(t->flash)->base;
        c->len = count * FTFE_SECTION_UNIT;
        if (a % FTFE_SECTION_UNIT || count == 0 || !ftfe_in_flash(t, a, c->len)
            || !(ftfe_fcnfg(t) & FCNFG_RAMRDY) || c->len > t->flexram_size
            || flash_sector_of(t->flash, base + a, &start, &ssize)
            || (uint64_t)a + c->len > (uint64_t)(start - base) + ssize)
            return FSTAT_ACCERR;
        return ftfe_protected(t, a, c->len) ? FSTAT_FPVIOL : 0;
    }
    case FTFE_CMD_READ1S_ALL:
        if (ftfe_fccob(s, 1) > 2)
            return FSTAT_ACCERR;
        c->off = 0;
        c->len = size;
        c->busy_ns = FTFE_T_READ1S_BLOCK_NS * ((size + (uint64_t)bl - 1) / bl);
        return 0;
    case FTFE_CMD_READ_ONCE:
    case FTFE_CMD_PROGRAM_ONCE: {
        uint8_t i = ftfe_fccob(s, 1);
        c->off = 0;
        if (i >= FTFE_ONCE_RECORDS || (c->code == FTFE_CMD_PROGRAM_ONCE && s->once_used[i]))
            return FSTAT_ACCERR;
        c->busy_ns = c->code == FTFE_CMD_READ_ONCE ? FTFE_T_READ_ONCE_NS : FTFE_T_PROGRAM_ONCE_NS;
        return 0;
    }
    case FTFE_CMD_ERASE_ALL:
        c->off = 0;
        c->len = size;
        return ftfe_protected(t, 0, size) ? FSTAT_FPVIOL : 0;
    case FTFE_CMD_VERIFY_KEY: {
        /* RM: refused unless FSEC.KEYEN = 0b10; a key of all 0x00 or all 0xFF is never valid;
         * after one failed attempt, refused until the next reset. */
        bool zeros = true, ones = true, match = true;
        for (unsigned i = 0; i < 8; i++) {
            uint8_t k = ftfe_fccob(s, 4 + i);
            zeros = zeros && k == 0x00;
            ones = ones && k == 0xFF;
            match = match && k == ftfe_flash_byte(t, FCF_KEY + i);
        }
        c->off = 0;
        if (((s->regs[FTFE_FSEC] >> 6) & 3u) != 2u || s->key_failed || zeros || ones)
            return FSTAT_ACCERR;
        if (!match) {
            t->s.key_failed = 1;
            return FSTAT_ACCERR;
        }
        c->busy_ns = FTFE_T_VERIFY_KEY_NS;
        return 0;
    }
    default: /* 0x06 Program Longword is not on this part; unknown codes */
        return FSTAT_ACCERR;
    }
}

/* RM read-while-write: the launching code runs from a block the command works on. */
static void ftfe_check_rdcol(ftfe_t *t, const ftfe_cmd_t *c)
{
    emu_bus_t *bus = t->p.bus;
    if (!bus->pc)
        return;
    uint32_t base = flash_config(t->flash)->base;
    uint32_t pc = bus->pc(bus->m);
    if (!flash_contains(t->flash, pc, 1))
        return;
    uint32_t bl = ftfe_block_len(t);
    uint32_t pcb = (pc - base) / bl;
    uint32_t first = c->off / bl, last = (c->off + (c->len ? c->len - 1 : 0)) / bl;
    if (pcb < first || pcb > last)
        return;
    t->s.regs[FTFE_FSTAT] |= FSTAT_RDCOLERR;
    ftfe_event(t, EMU_EV_FLASH_RDCOL, FSTAT_RDCOLERR);
}

static void ftfe_complete(ftfe_t *t)
{
    t->s.busy = 0;
    if (t->s.pending) {
        t->s.regs[FTFE_FSTAT] |= t->s.pending;
        ftfe_event(t, EMU_EV_FLASH_ERROR, t->s.pending);
        t->s.pending = 0;
    }
}

/* FSTAT[CCIF] written with 1 while idle and no ACCERR/FPVIOL (RM "Command sequence"). */
static void ftfe_launch(ftfe_t *t)
{
    emu_bus_t *bus = t->p.bus;
    ftfe_state_t *s = &t->s;
    flash_t *f = t->flash;
    uint32_t base = flash_config(f)->base;
    ftfe_cmd_t c;

    s->regs[FTFE_FSTAT] &= (uint8_t)~FSTAT_MGSTAT0;
    uint8_t err = ftfe_validate(t, &c);
    s->cmd = c.code;
    s->cmd_addr = base + c.off;
    s->cmd_len = c.len;
    s->cmd_seq = flash_log_total(f);
    if (err) {
        s->regs[FTFE_FSTAT] |= err;
        ftfe_event(t, EMU_EV_FLASH_ERROR, err);
        return;
    }
    ftfe_check_rdcol(t, &c);

    int rc = FLASH_OK;
    uint8_t mg = 0;
    bool changes = c.code == FTFE_CMD_PROGRAM_PHRASE || c.code == FTFE_CMD_PROGRAM_SECTION
                   || c.code == FTFE_CMD_ERASE_SECTOR || c.code == FTFE_CMD_ERASE_BLOCK
                   || c.code == FTFE_CMD_ERASE_ALL;
    if (changes)
        flash_set_clock(f, bus->now_ns(bus->m), bus->insns ? bus->insns(bus->m) : 0,
                        bus->pc ? bus->pc(bus->m) : 0);
    switch (c.code) {
    case FTFE_CMD_READ1S_BLOCK:
    case FTFE_CMD_READ1S_SECTION:
    case FTFE_CMD_READ1S_ALL:
        if (!ftfe_all_ones(t, c.off, c.len))
            mg = FSTAT_MGSTAT0;
        break;
    case FTFE_CMD_PROGRAM_CHECK:
        /* expected data: register byte 0x0C+i against flash byte addr+i (k64f.md) */
        for (unsigned i = 0; i < 4; i++)
            if (s->regs[0x0C + i] != ftfe_flash_byte(t, c.off + i))
                mg = FSTAT_MGSTAT0;
        break;
    case FTFE_CMD_READ_RESOURCE:
        memset(&s->regs[0x08], 0, 8);
        break;
    case FTFE_CMD_PROGRAM_PHRASE:
        /* flash byte addr+i = register byte 0x08+i (k64f.md) */
        rc = flash_program(f, base + c.off, &s->regs[0x08], FTFE_PHRASE, &c.busy_ns);
        break;
    case FTFE_CMD_ERASE_BLOCK:
        rc = flash_erase_block(f, base + c.off, &c.busy_ns);
        break;
    case FTFE_CMD_ERASE_SECTOR:
        rc = flash_erase_sector(f, base + c.off, &c.busy_ns);
        break;
    case FTFE_CMD_PROGRAM_SECTION:
        rc = flash_program(f, base + c.off, t->flexram, c.len, &c.busy_ns);
        break;
    case FTFE_CMD_READ_ONCE:
        memcpy(&s->regs[0x08], s->once[ftfe_fccob(s, 1)], FTFE_ONCE_SIZE);
        break;
    case FTFE_CMD_PROGRAM_ONCE:
        memcpy(s->once[ftfe_fccob(s, 1)], &s->regs[0x08], FTFE_ONCE_SIZE);
        s->once_used[ftfe_fccob(s, 1)] = 1;
        break;
    case FTFE_CMD_ERASE_ALL:
        rc = flash_erase_all(f, &c.busy_ns);
        /* RM Erase All Blocks: security is released (FSEC = 0xFE) until the next reset, when FSEC
         * reloads from the now erased FCF. */
        if (rc == FLASH_OK)
            s->regs[FTFE_FSEC] = FSEC_UNSECURE;
        break;
    case FTFE_CMD_VERIFY_KEY:
        s->regs[FTFE_FSEC] = (uint8_t)((s->regs[FTFE_FSEC] & ~3u) | 2u);  /* SEC = 0b10 */
        break;
    default:
        break;
    }
    if (rc == FLASH_ERR_CUT) {
        if (bus->power_cut)
            bus->power_cut(bus->m);
    } else if (rc != FLASH_OK) { /* validated above: only a model bug gets here */
        s->regs[FTFE_FSTAT] |= FSTAT_ACCERR;
        ftfe_event(t, EMU_EV_FLASH_ERROR, FSTAT_ACCERR);
        return;
    }
    s->busy = 1;
    s->pending = rc == FLASH_OK ? mg : 0;
    s->done_ns = bus->now_ns(bus->m) + c.busy_ns;
}

/* ---- periph_ops ---------------------------------------------------------------------------- */

static uint8_t ftfe_read_byte(ftfe_t *t, uint32_t off)
{
    ftfe_state_t *s = &t->s;
    switch (off) {
    case FTFE_FSTAT:
        if (s->busy) {
            /* fast-forward the firmware's polling loop to the completion */
            uint64_t now = ftfe_now(t);
            if (now < s->done_ns && t->p.bus->stall_until)
                t->p.bus->stall_until(t->p.bus->m, s->done_ns);
            ftfe_complete(t);
        }
        return (uint8_t)(s->regs[FTFE_FSTAT] | (s->busy ? 0 : FSTAT_CCIF));
    case FTFE_FCNFG:
        return ftfe_fcnfg(t);
    default:
        return off < FTFE_REGS ? s->regs[off] : 0;
    }
}

static void ftfe_write_byte(ftfe_t *t, uint32_t off, uint8_t v)
{
    ftfe_state_t *s = &t->s;
    if (off == FTFE_FSTAT) {
        s->regs[FTFE_FSTAT] &= (uint8_t)~(v & FSTAT_W1C);
        if ((v & FSTAT_CCIF) && !s->busy && !(s->regs[FTFE_FSTAT] & (FSTAT_ACCERR | FSTAT_FPVIOL)))
            ftfe_launch(t);
    } else if (off == FTFE_FCNFG) {
        s->regs[FTFE_FCNFG] = v & FCNFG_WMASK;
    } else if (off >= FTFE_FCCOB && off < FTFE_FPROT) {
        if (!s->busy) /* RM: FCCOB writes are ignored while CCIF = 0 */
            s->regs[off] = v;
    } else if ((off >= FTFE_FPROT && off < FTFE_FPROT + 4) || off == FTFE_FEPROT || off == FTFE_FDPROT) {
        s->regs[off] &= v; /* software can only clear protection bits until the next reset */
    }
    /* FSEC, FOPT and reserved offsets are read-only */
}

static uint32_t ftfe_read(periph_t *p, uint32_t off, unsigned size)
{
    ftfe_t *t = ftfe_of(p);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)ftfe_read_byte(t, off + i) << (8 * i);
    ftfe_irq_update(t);
    return v;
}

static void ftfe_write(periph_t *p, uint32_t off, unsigned size, uint32_t value)
{
    ftfe_t *t = ftfe_of(p);
    /* FSTAT last: a 32-bit store at 0x00 sets FCNFG before it launches */
    for (unsigned i = 0; i < size; i++)
        if (off + i != FTFE_FSTAT)
            ftfe_write_byte(t, off + i, (uint8_t)(value >> (8 * i)));
    if (off == FTFE_FSTAT)
        ftfe_write_byte(t, FTFE_FSTAT, (uint8_t)value);
    ftfe_irq_update(t);
}

/* Any reset (k64f.md FCF): FSEC/FOPT/FPROT/FEPROT/FDPROT reload from flash 0x408..0x40F. */
static void ftfe_reset(periph_t *p, emu_reset_kind_t kind)
{
    ftfe_t *t = ftfe_of(p);
    ftfe_state_t *s = &t->s;
    memset(s->regs, 0, sizeof(s->regs));
    for (unsigned i = 0; i < 4; i++)
        s->regs[FTFE_FPROT + i] = ftfe_flash_byte(t, FCF_FPROT + i);
    s->regs[FTFE_FSEC] = ftfe_flash_byte(t, FCF_FSEC);
    s->regs[FTFE_FOPT] = ftfe_flash_byte(t, FCF_FOPT);
    s->regs[FTFE_FEPROT] = ftfe_flash_byte(t, FCF_FEPROT);
    s->regs[FTFE_FDPROT] = ftfe_flash_byte(t, FCF_FDPROT);
    s->busy = 0;
    s->pending = 0;
    s->key_failed = 0;
    s->done_ns = 0;
    ftfe_irq_update(t);
}

static uint64_t ftfe_deadline(periph_t *p)
{
    ftfe_t *t = ftfe_of(p);
    return t->s.busy ? t->s.done_ns : UINT64_MAX;
}

static void ftfe_tick(periph_t *p, uint64_t now_ns)
{
    ftfe_t *t = ftfe_of(p);
    if (t->s.busy && now_ns >= t->s.done_ns) {
        ftfe_complete(t);
        ftfe_irq_update(t);
    }
}

static void ftfe_destroy(periph_t *p) { free(p); }

static void *ftfe_state(periph_t *p) { return &ftfe_of(p)->s; }

/* The completion time relative to now (while busy), the launch's op-log position relative to the
 * log's end (it names the operation in events). The last command's code and target only matter
 * while it runs (its completion event names them): left out when idle, so that two devices that
 * last programmed different places are alike after a reset. The FlexRAM is machine RAM: the
 * machine feeds it. */
static void ftfe_fingerprint(periph_t *p, uint64_t now, emu_feed_fn feed, void *ctx)
{
    ftfe_t *t = ftfe_of(p);
    ftfe_state_t s;
    memcpy(&s, &t->s, sizeof s);
    s.done_ns = s.done_ns > now ? s.done_ns - now : 0;
    s.cmd_seq = flash_log_total(t->flash) - s.cmd_seq;
    if (!s.busy)
        s.cmd = 0, s.cmd_addr = s.cmd_len = s.cmd_seq = 0;
    feed(ctx, &s, sizeof s);
}

static const periph_ops_t ftfe_ops = {
    .name = "ftfe",
    .size = FTFE_SPACE,
    .read = ftfe_read,
    .write = ftfe_write,
    .reset = ftfe_reset,
    .deadline = ftfe_deadline,
    .tick = ftfe_tick,
    .destroy = ftfe_destroy,
    .state_size = sizeof(ftfe_state_t),
    .state = ftfe_state,
    .fingerprint = ftfe_fingerprint,
};

periph_t *ftfe_create(emu_bus_t *bus, flash_t *flash, uint8_t *flexram, uint32_t flexram_size)
{
    ftfe_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->p.ops = &ftfe_ops;
    t->p.bus = bus;
    t->flash = flash;
    t->flexram = flexram;
    t->flexram_size = flexram ? flexram_size : 0;
    memset(t->s.once, 0xFF, sizeof(t->s.once));
    ftfe_reset(&t->p, EMU_RESET_POWER_ON);
    return &t->p;
}
