/*
 * The scenario room (harness/scenario/): YAML -> a validated scenario (this header; the loader's
 * parts in load_int.h), the step engine that drives the machine through it (session.h), its
 * expectations and always-on oracles, and the verdict model (verdict.h). May include emu/,
 * codec/, server/ and util/; never sweep/ or cli/ (the sweep room attaches hooks instead).
 *
 * Scenarios: what a device starts with, what happens to it, and what must hold at the end.
 * scenario_load() turns one YAML file (libyaml) into a validated scenario_t; every error names
 * file:line:column. The format is documented in scenarios/README.md.
 *
 * The structs are plain data owned by the scenario (free with scenario_free). Every node keeps
 * the line/column of its YAML key so failures and JUnit reports can point at it. Durations are
 * in emulated nanoseconds; "unset" is marked explicitly (has_* flags or 0 where 0 is not a
 * meaningful value, as documented per field).
 *
 * What the loader guarantees (so the runner need not re-check):
 *   - every enum holds one of its listed values; every string is non-empty and NUL-free;
 *   - defaults that have one meaning are filled in: name (file stem when absent), power-loss
 *     off_time (100 ms), sweep modes ([before, after]) and max_boots (3), flash-op selector kind
 *     (any) and from (step); "unset" stays unset where the runner keeps the machine's own default
 *     (device fields: -1 / 0; until.timeout_ns: 0 = 20 s);
 *   - values are in range: counts >= 1 where 0 would be meaningless, durations > 0, offsets and
 *     lengths inside their region of the scenario's layout (scenario_t.layout), bundled image
 *     and bootloader variant names exist (bundled.h), console patterns compile (pattern.h);
 *   - the sequence of steps is possible: `run` and `reset` never follow a point where the device
 *     is off (the start, or power_loss with stay_off: true) without a `boot` in between.
 */
#ifndef FWEMU_SCENARIO_H
#define FWEMU_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/layout.h"

typedef enum scn_err {
    SCN_OK = 0,
    SCN_ERR_IO = -1,          /* cannot read the file */
    SCN_ERR_SYNTAX = -2,      /* YAML syntax error */
    SCN_ERR_SCHEMA = -3,      /* unknown key, wrong type, bad value, missing required key */
    SCN_ERR_NOMEM = -4,
} scn_err_t;

typedef struct scn_pos { int line, column; } scn_pos_t;   /* 1-based, of the key; 0 = absent */

#define SCN_MAX_REPEAT_DEPTH 8    /* repeat inside repeat: at most this many levels */

/* Where flash lives, by region name (fw_layout names) or absolute address. */
typedef enum scn_region {
    SCN_REGION_NONE = 0,      /* no region restriction / use address */
    SCN_REGION_BOOTLOADER, SCN_REGION_ACTIVE_HEADER, SCN_REGION_ACTIVE_APP, SCN_REGION_KVSTORE,
    SCN_REGION_CANDIDATE_HEADER, SCN_REGION_CANDIDATE_PAYLOAD,
    SCN_REGION_ACTIVE,        /* active-header + active-app */
    SCN_REGION_CANDIDATE,     /* candidate-header + candidate-payload */
} scn_region_t;

/* Header fields that can be overridden or corrupted. */
typedef enum scn_field {
    SCN_FIELD_NONE = 0, SCN_FIELD_MAGIC, SCN_FIELD_HEADER_VERSION, SCN_FIELD_VERSION,
    SCN_FIELD_SIZE, SCN_FIELD_DIGEST, SCN_FIELD_CRC, SCN_FIELD_SIGNATURE_SIZE, SCN_FIELD_CAMPAIGN,
} scn_field_t;

/* ---- device settings ---------------------------------------------------------------- */
typedef struct scn_device {
    bool has_seed; uint64_t seed;
    int ram_fill;             /* -1 unset, else emu_ram_fill_t */
    int watchdog;             /* -1 unset, 0 off, 1 on (enabled out of reset) */
    int unmapped;             /* -1 unset, else emu_unmapped_t */
    int on_reprogram;         /* -1 unset, else flash_reprogram_t */
    uint64_t program_time_ns, erase_sector_time_ns, erase_block_time_ns; /* 0 = default */
    uint32_t sector_size;     /* 0 = default (4 KiB); geometry override: uniform sectors */
    uint32_t program_unit;    /* 0 = default (8) */
    char *bootloader;         /* "bundled" (default), "bundled:<variant>" or a file path (relative
                               * to the scenario file); NULL when absent; never set together with
                               * setup flash: erased / dump (load error: it would be ignored) */
    char *layout;             /* device.layout as written: a bundled layout name or a layout file
                               * (relative to the scenario file); NULL when absent */
    scn_pos_t pos;
} scn_device_t;

/* ---- setup: flash contents ------------------------------------------------------------ */
typedef struct scn_header_override {   /* any subset; has_* marks what is set */
    bool has_magic, has_header_version, has_version, has_size, has_digest, has_crc, has_sigsize;
    uint32_t magic, header_version, crc, signature_size;
    uint64_t version, size;
    uint8_t digest[32];
} scn_header_override_t;

typedef struct scn_slot {            /* active or candidate */
    bool present;             /* false: leave erased */
    char *image;              /* bundled name ("app_v2") or NULL */
    char *file;               /* path (relative to the scenario file) or NULL; exactly one of
                               * image / file is set when present */
    bool has_version; uint64_t version;   /* header firmwareVersion (default: bundled version;
                               * required with file unless no_header) */
    bool no_header;           /* write the body without a header */
    scn_header_override_t hdr;
    scn_pos_t pos;
} scn_slot_t;

typedef struct scn_setup {
    enum { SCN_BASE_IMAGES = 0, SCN_BASE_ERASED, SCN_BASE_DUMP } base;
    char *dump;               /* SCN_BASE_DUMP: 1 MiB flash dump file (relative to the scenario) */
    scn_slot_t active, candidate;   /* applied over the base (for DUMP only when present);
                                     * never present with SCN_BASE_ERASED (load error) */
    scn_pos_t pos;
} scn_setup_t;

/* ---- steps ---------------------------------------------------------------------------- */
typedef enum scn_op_filter { SCN_OPS_ANY = 0, SCN_OPS_ERASE, SCN_OPS_PROGRAM } scn_op_filter_t;

/* "The Nth flash operation" selector (N is 1-based). */
typedef struct scn_flash_sel {
    uint32_t n;
    scn_op_filter_t kind;
    scn_region_t region;
    bool from_power_on;       /* count from power-on (default: from the start of the step) */
} scn_flash_sel_t;

/* A run-until condition (boot / run steps). Exactly one kind. */
typedef enum scn_until_kind {
    SCN_UNTIL_APP_RUNNING = 0, SCN_UNTIL_RESETS, SCN_UNTIL_TIME, SCN_UNTIL_FLASH_OP,
    SCN_UNTIL_CONSOLE, SCN_UNTIL_HALT,
} scn_until_kind_t;

typedef struct scn_until {
    scn_until_kind_t kind;
    bool has_version; uint64_t version;   /* APP_RUNNING: a given version must run */
    uint32_t resets;          /* RESETS */
    uint64_t time_ns;         /* TIME: emulated time from the start of the step */
    scn_flash_sel_t op;       /* FLASH_OP */
    char *text;               /* CONSOLE */
    uint64_t timeout_ns;      /* give up after this much emulated time (0 = default 20 s). For
                               * TIME the loader raises an absent timeout to time_ns when that is
                               * longer than 20 s (a given timeout < time is a load error) */
} scn_until_t;

typedef enum scn_cut_mode { SCN_CUT_BEFORE = 0, SCN_CUT_AFTER, SCN_CUT_TORN } scn_cut_mode_t;

typedef enum scn_at_kind { SCN_AT_NOW = 0, SCN_AT_FLASH_OP, SCN_AT_TIME, SCN_AT_INSNS } scn_at_kind_t;

typedef enum scn_step_kind {
    SCN_STEP_BOOT = 0,        /* power on (if off) and run until */
    SCN_STEP_RUN,             /* run until (machine must be on) */
    SCN_STEP_POWER_LOSS,
    SCN_STEP_RESET,
    SCN_STEP_CORRUPT,
    SCN_STEP_STAGE,
    SCN_STEP_REPEAT,
    SCN_STEP_PUBLISH,         /* put a manifest and a payload on the update server */
    SCN_STEP_NOTIFY,          /* start the campaign: the server notifies the device */
    SCN_STEP_SERVER,          /* server faults and link settings */
} scn_step_kind_t;

/* publish: what the update server offers (docs/update-flow.md). The harness builds the payload
 * (the image, or a delta from a precursor) and a manifest signed with the bundled development key
 * unless told otherwise; the manifest overrides lie on purpose (wrong ids, sizes, digests...). */
typedef struct scn_publish {
    char *image, *file;                  /* the new image: bundled name or raw binary (one set) */
    bool has_version; uint64_t version;  /* manifest version (default: the bundled image's) */
    char *delta_from_image, *delta_from_file;   /* delta payload from this precursor (or none) */
    uint32_t block_size;                 /* delta frame size (0: 512) */
    int mutate;                          /* -1 none; else delta_mutation_t (a malformed patch) */
    char *payload_file;                  /* serve these bytes as the payload instead */
    char *manifest_file;                 /* serve this file as the manifest (nothing signed) */
    char *key;                           /* sign with this private key file (default: dev key) */
    bool corrupt_signature;              /* flip a bit of the signature after signing */
    struct {                             /* manifest fields that lie (has_* marks what is set) */
        bool has_vendor_id, has_class_id, has_version, has_payload_size, has_payload_digest,
            has_format, has_precursor_digest, has_installed_digest, has_installed_size;
        uint8_t vendor_id[16], class_id[16];
        uint64_t version, payload_size, installed_size;
        uint8_t payload_digest[32], precursor_digest[32], installed_digest[32];
        uint32_t format;
    } m;
} scn_publish_t;

typedef enum scn_fault_kind {
    SCN_FAULT_DROP = 0, SCN_FAULT_STALL, SCN_FAULT_TRUNCATE, SCN_FAULT_CORRUPT, SCN_FAULT_SERVE,
} scn_fault_kind_t;

typedef struct scn_fault {
    scn_fault_kind_t kind;
    char *resource;                      /* "manifest", "payload" */
    char *with;                          /* SERVE: the resource served instead */
    uint32_t offset;                     /* DROP/STALL: where; CORRUPT: which byte */
    uint32_t length;                     /* TRUNCATE */
    uint8_t xor_mask;                    /* CORRUPT (default 0xff) */
    uint64_t for_ns;                     /* DROP: link down this long; STALL: delay */
    scn_pos_t pos;
} scn_fault_t;

typedef struct scn_server {
    int link;                            /* -1 unchanged, 0 up, 1 down until link: up */
    uint64_t link_down_for_ns;           /* > 0: the link drops now for this long */
    bool has_rate; uint32_t rate;        /* bytes per emulated second (0: unlimited) */
    bool has_latency; uint64_t latency_ns;
    bool clear_faults;                   /* remove earlier faults first */
    scn_fault_t *faults; size_t nfaults;
} scn_server_t;

typedef enum scn_corrupt_kind {
    SCN_CORRUPT_SET_FIELD = 0, SCN_CORRUPT_XOR_FIELD, SCN_CORRUPT_FLIP, SCN_CORRUPT_ERASE_SECTOR,
    SCN_CORRUPT_WRITE, SCN_CORRUPT_TRUNCATE,
} scn_corrupt_kind_t;

typedef struct scn_step scn_step_t;

struct scn_step {
    scn_step_kind_t kind;
    scn_pos_t pos;
    union {
        scn_until_t until;                       /* BOOT, RUN */
        struct {
            scn_at_kind_t at;
            scn_flash_sel_t op;                  /* AT_FLASH_OP */
            uint64_t time_ns;                    /* AT_TIME: from the step start */
            uint64_t insns;                      /* AT_INSNS: from the step start */
            scn_cut_mode_t mode;                 /* AT_FLASH_OP only (default BEFORE) */
            uint64_t off_time_ns;                /* power returns after this; always > 0 (the
                                                  * loader fills in the default 100 ms) */
            bool stay_off;                       /* power does not return (next step: boot) */
        } power;
        struct { int kind; } reset;              /* emu_reset_kind_t: PIN, SOFTWARE, WATCHDOG */
        /* Where: `region` NONE = `address` is an absolute CPU address; else `address` is an
         * offset into the region, except for ERASE_SECTOR (region always set): `address` is the
         * sector index N (0-based: the sector holding region start + N x 4 KiB), and TRUNCATE
         * (region always set, `address` 0). SET/XOR_FIELD: a header starts at the target
         * (region: active-header, candidate-header, active or candidate, or an address). */
        struct {
            scn_corrupt_kind_t kind;
            scn_region_t region;                 /* NONE: use address */
            uint32_t address;                    /* absolute, or offset inside region */
            scn_field_t field;                   /* SET_FIELD / XOR_FIELD (header regions) */
            uint64_t value;                      /* SET/XOR value (fits the field: u32 fields
                                                  * <= 0xffffffff); FLIP: bit mask 1..0xff */
            uint8_t digest[32];                  /* SET_FIELD digest (32 bytes); campaign: the
                                                  * first 16 bytes */
            uint8_t *bytes; size_t nbytes;       /* WRITE (nbytes >= 1, fits the region) */
            uint32_t length;                     /* TRUNCATE: bytes kept of the region's image
                                                  * (< region size) */
        } corrupt;
        struct {
            char *image; char *file;             /* what the update client would have written
                                                  * (exactly one is set) */
            bool has_version; uint64_t version;
            bool incomplete; uint32_t written;   /* stop after this many payload bytes */
            bool no_header;                      /* THE rule for the header: not written when
                                                  * true. Set by `no_header: true` and by
                                                  * `incomplete` unless `incomplete: {header:
                                                  * true}`; the header always describes the
                                                  * whole image (size, digest) */
            scn_header_override_t hdr;           /* only when the header is written */
        } stage;
        struct { uint32_t count; scn_step_t *steps; size_t nsteps; } repeat;  /* count >= 1,
                                                  * nsteps >= 1 */
        scn_publish_t publish;
        scn_server_t server;
    } u;
};

/* ---- expectations --------------------------------------------------------------------- */
typedef enum scn_hdr_state { SCN_HDR_ANY = 0, SCN_HDR_VALID, SCN_HDR_INVALID, SCN_HDR_ERASED } scn_hdr_state_t;

/* Who launched a flash operation (the write oracle): the bootloader until an app is recognised
 * running after a reset, the app after. */
typedef enum scn_writer { SCN_WRITER_BOOTLOADER = 0, SCN_WRITER_APP } scn_writer_t;

typedef struct scn_expect {
    bool has_running_version; uint64_t running_version;
    bool has_running_digest; uint8_t running_digest[32];
    char *running_image;      /* bundled name whose digest must run (e.g. "app_v2") */
    scn_hdr_state_t active, candidate;
    bool has_resets; uint32_t resets;              /* total resets after power-on(s)... exact */
    bool has_max_resets; uint32_t max_resets;
    int reset_reasons[5];                          /* -1 unset, else exact count per emu_reset_kind_t */
    char **contains; size_t ncontains;
    char **not_contains; size_t nnot_contains;
    char *matches;                                 /* a pattern (pattern.h) over the console */
    bool no_faults;
    bool no_reprogram;                             /* no program of non-erased units */
    bool has_max_time; uint64_t max_time_ns;
    bool has_max_wear; uint32_t max_wear;          /* max erases of any sector */
    int bricked;                                   /* -1 unset, 0 false, 1 true */
    /* for sweeps: after the cut, power returns and the device must run one of these versions,
     * and the newest within K boots */
    uint64_t *one_of; size_t n_one_of;               /* versions allowed to run after power returns */
    bool has_eventually; uint64_t eventually_version; uint32_t eventually_boots; /* boots: 0 =
                                                     * sweep.max_boots; only with a sweep */
    uint64_t eventually_within_ns;                 /* > 0: no power cycles during recovery; the
                                                     * version must run within this emulated time
                                                     * (updates that reboot by themselves) */
    char **update_results; size_t nupdate_results; /* each must have been posted to the server */
    char **no_update_results; size_t nno_update_results; /* none of these may have been posted */
    uint32_t may_write[2];    /* SCN_WRITER_*: bitmask of 1 << scn_region_t the writer may also
                               * write besides its defaults (the write oracle, session.c) */
    scn_pos_t pos;
    struct {                                       /* where each key is (line 0: absent) */
        scn_pos_t running, active, candidate, resets, console, no_faults, no_reprogram, max_time,
            max_wear, bricked, one_of, eventually, update_result;
    } at;
} scn_expect_t;

/* ---- sweep ---------------------------------------------------------------------------- */
typedef enum scn_sweep_select { SCN_SWEEP_EVERY = 0, SCN_SWEEP_EVERY_NTH, SCN_SWEEP_RANDOM } scn_sweep_select_t;

typedef struct scn_sweep {
    bool enabled;
    /* stretch: flash operations between two console texts (NULL: from the start / to the end
     * of the scenario's steps) */
    char *from_text, *to_text;
    scn_sweep_select_t select;
    uint32_t n;               /* EVERY_NTH: N; RANDOM: how many (seeded) */
    scn_op_filter_t kind;     /* only erases / only programs */
    scn_region_t region;      /* only operations touching this region */
    bool modes[3];            /* indexed by scn_cut_mode_t; at least one set (loader default:
                               * before and after) */
    uint32_t nested_depth;    /* 0: single cuts; 1: also cut once more during recovery */
    uint32_t max_boots;       /* boots allowed for recovery after the cut (>= 1; loader fills 3) */
    bool allow_empty;         /* a plan with no cut point passes (default: it fails) */
    scn_pos_t pos;
} scn_sweep_t;

/* What one run of the steps may use (a sweep: the recording and each cut point's run): beyond it
 * the scenario fails. Loader defaults: SCN_DEFAULT_BUDGET_*. */
typedef struct scn_budget {
    uint64_t time_ns;         /* emulated time since power-on of the device, in all */
    uint32_t steps;           /* steps executed (a repeat's steps count every time) */
    scn_pos_t pos;            /* of the key (line 0: defaults) */
} scn_budget_t;

#define SCN_DEFAULT_BUDGET_TIME_NS (3600ull * 1000000000ull)   /* one hour of emulated time */
#define SCN_DEFAULT_BUDGET_STEPS 100000u
#define SCN_MAX_REPEAT_COUNT 100000u

typedef struct scenario {
    char *file;               /* path as given */
    char *name, *description; /* name: never NULL, [A-Za-z0-9._-], at most 64 characters (the
                               * file stem when absent); description may be NULL */
    char **tags; size_t ntags;
    scn_pos_t pos;            /* of the document */
    scn_device_t device;
    scn_setup_t setup;
    scn_step_t *steps; size_t nsteps;
    scn_expect_t expect;
    scn_sweep_t sweep;
    scn_budget_t budget;
    fw_layout_t layout;       /* the flash layout everything above is placed in: the loader's
                               * override, else device.layout, else the default (mbed-classic) */
} scenario_t;

/* Load and validate one file. On error returns <0 (scn_err_t) and writes "file:line:column:
 * message" into err (an I/O error: "file: message"); *out is then left zeroed, so scenario_free
 * on it is harmless. The scenario must be freed with scenario_free on success. The loader reads
 * no file other than `path` and a device.layout file (image, dump and bootloader files are the
 * runner's business). */
int scenario_load(const char *path, scenario_t *out, char *err, size_t errlen);
/* scenario_load with a layout that replaces every scenario's device.layout (NULL: none), as
 * `fwemu run --layout` does. */
int scenario_load_layout(const char *path, const fw_layout_t *layout, scenario_t *out, char *err,
                         size_t errlen);
void scenario_free(scenario_t *s);

/* Names used in the YAML (also for messages and reports); "?" for a value out of range. */
const char *scn_region_name(scn_region_t r);
/* [*start, *end) of a region in the layout (SCN_REGION_NONE: the whole flash). */
void scn_region_range(const fw_layout_t *l, scn_region_t r, uint32_t *start, uint32_t *end);          /* NONE: "flash" */
const char *scn_cut_mode_name(scn_cut_mode_t m);
const char *scn_step_kind_name(scn_step_kind_t k);
const char *scn_field_name(scn_field_t f);            /* NONE: "?" */
const char *scn_op_filter_name(scn_op_filter_t k);    /* "any", "erase", "program" */
const char *scn_hdr_state_name(scn_hdr_state_t s);    /* "any", "valid", "invalid", "erased" */

#endif
