/*
 * The scenario loader's internal contract (yaml.c, load_setup.c, load_steps.c, load.c). The
 * public contract is scenario.h.
 *
 * Pass 1 (yaml.c): libyaml events -> ynode_t tree (aliases, tags, extra documents and nesting
 * deeper than SCN_MAX_NESTING refused with their position). Pass 2 (the other files): the schema
 * walk over the tree, filling scenario_t. Every ld_ function that can fail returns 0 or the
 * loader's first error (ctx_t.rc, an scn_err_t): the first error wins and later calls return it
 * unchanged, so callers write `if (ld_get_u32(...)) return c->rc;`.
 */
#ifndef FWEMU_LOAD_INT_H
#define FWEMU_LOAD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu.h"
#include "codec/bundled.h"
#include "codec/layout.h"
#include "scenario/scenario.h"

#define SCN_MAX_FILE (1u << 20)       /* bytes: a scenario is a few KiB */
#define SCN_MAX_NESTING 64            /* YAML collections inside collections */
#define SCN_NAME_MAX 64
#define SCN_DEFAULT_TIMEOUT_NS (20ull * 1000000000ull)
#define SCN_DEFAULT_OFF_NS (100ull * 1000000ull)

/* ---- the YAML tree ------------------------------------------------------------------------ */

typedef enum yn_type { YN_SCALAR = 0, YN_SEQ, YN_MAP } yn_type_t;
typedef struct ynode ynode_t;
struct ynode {
    yn_type_t type;
    int line, col;                /* 1-based start */
    char *str; size_t len;        /* scalar text (NUL-terminated; may contain NULs) */
    bool quoted;                  /* scalar written with quotes or as a block scalar */
    ynode_t **kid; size_t n, cap; /* sequence items; mapping: key, value, key, value ... */
};

/* ---- loader context and errors -------------------------------------------------------------- */

typedef struct ctx {
    const char *path;
    char *err; size_t errlen;
    int rc;                       /* first error (SCN_OK while none) */
    scenario_t *s;
    fw_layout_t l;                /* the scenario's layout (set before setup and steps are parsed) */
    const fw_layout_t *override;  /* scenario_load_layout's, or NULL */
} ctx_t;

/* Power state along the steps (ld_check_power): off at the start, on, off after stay_off. */
typedef enum pstate { PS_OFF_START = 0, PS_ON, PS_OFF_STAYED } pstate_t;

/* The key that introduces a value: for messages. */
#define KEY(k) ((k) ? (k)->str : "value")

/* ---- yaml.c ---- */
void ld_yn_free(ynode_t *n);
int ld_err_at(ctx_t *c, const ynode_t *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int ld_err_pos(ctx_t *c, int rc, int line, int col, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int ld_nomem(ctx_t *c);
const char *ld_shown(const ynode_t *n, char buf[80]);
const char *ld_kind_of(const ynode_t *n, char buf[96]);
int ld_build_tree(ctx_t *c, const unsigned char *buf, size_t len, ynode_t **root);
bool ld_is_null(const ynode_t *n);
bool ld_str_is(const ynode_t *n, const char *s);
scn_pos_t ld_pos_of(const ynode_t *n);
void ld_join(char *out, size_t n, const char *const *names, size_t count, const char *sep);
int ld_want_seq(ctx_t *c, const ynode_t *k, const ynode_t *v);
int ld_check_map(ctx_t *c, const ynode_t *k, const ynode_t *map, const char *what, const char *const *keys);
const ynode_t *ld_get(const ynode_t *map, const char *key, const ynode_t **kn);
int ld_missing(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, const char *key);
int ld_want_scalar(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *expected);
int ld_get_str(ctx_t *c, const ynode_t *k, const ynode_t *v, char **out);
int ld_get_num(ctx_t *c, const ynode_t *k, const ynode_t *v, uint64_t min, uint64_t max, uint64_t *out);
int ld_get_u32(ctx_t *c, const ynode_t *k, const ynode_t *v, uint32_t min, uint32_t *out);
int ld_get_size(ctx_t *c, const ynode_t *k, const ynode_t *v, uint64_t min, uint64_t max, uint64_t *out);
int ld_get_dur(ctx_t *c, const ynode_t *k, const ynode_t *v, uint64_t *out);
int ld_get_bool(ctx_t *c, const ynode_t *k, const ynode_t *v, bool *out);
int ld_get_enum(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *const *names, int *out);
int ld_get_hex_fixed(ctx_t *c, const ynode_t *k, const ynode_t *v, uint8_t *out, size_t n, const char *what);
int ld_get_hex_bytes(ctx_t *c, const ynode_t *k, const ynode_t *v, size_t max, uint8_t **out, size_t *nout);
int ld_one_of_keys(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, const char *const *kinds,
                       int *which, const ynode_t **kk, const ynode_t **kv);
int ld_get_region(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_region_t *out);
int ld_get_region(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_region_t *out);

/* ---- load_setup.c ---- */
int ld_get_app_image(ctx_t *c, const ynode_t *k, const ynode_t *v, char **out, const bundled_image_t **img);
int ld_parse_device(ctx_t *c, const ynode_t *k, const ynode_t *v);
int ld_parse_hdr_override(ctx_t *c, const ynode_t *k, const ynode_t *v, scn_header_override_t *h);
int ld_parse_source(ctx_t *c, const ynode_t *k, const ynode_t *v, const char *what, char **image, char **file,
                        bool *has_version, uint64_t *version, const bundled_image_t **img);
int ld_parse_setup(ctx_t *c, const ynode_t *k, const ynode_t *v);

/* ---- load_steps.c ---- */
int ld_parse_steps(ctx_t *c, const ynode_t *k, const ynode_t *v, int depth, scn_step_t **out, size_t *nout);
int ld_check_power(ctx_t *c, const scn_step_t *steps, size_t n, pstate_t *ps);

#endif
