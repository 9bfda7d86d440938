/*
 * The app64 images' constant table (app_table.c): APP_TABLE_KIB KiB of deterministic
 * pseudo-random words, different for every APP_VERSION, that make a normal application a ~64 KiB
 * one for install/sweep benchmarks. Only built when APP_TABLE_KIB > 0 (app64_vN).
 */
#ifndef FW_APP_TABLE_H
#define FW_APP_TABLE_H

#include <stdint.h>

#ifndef APP_TABLE_KIB
#define APP_TABLE_KIB 0
#endif
#define APP_TABLE_WORDS (APP_TABLE_KIB * 256u)

#if APP_TABLE_KIB > 0
/* word i = fmix32((i x 0x9E3779B1) ^ APP_TABLE_SEED), seed = APP_VERSION x 0x01000193 + 0x811C9DC5 */
extern const uint32_t app_table[APP_TABLE_WORDS];
/* 32-bit wrap-around sum of all words (reads the whole table from flash). */
uint32_t app_table_sum(void);
#endif

#endif
