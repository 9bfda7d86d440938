/*
 * De-duplication of cut points: the state after a cut, hashed; cuts with the same state share one
 * recovery. Contract in sweep_int.h.
 */
#include "sweep/sweep_int.h"

#include <string.h>

#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

/* What decides the outcome of the recovery after a cut, hashed (XXH3, 128 bits: the
 * hash runs over 1 MiB of flash per cut point, ~40 us; SHA-256 took ~5 ms): two cuts with the same
 * hash run the same recovery (shifted in time) and get the same verdict, so a sweep runs it once.
 * Typical pair: "after operation N" and "before operation N+1" when the firmware did nothing
 * durable in between. Hashed: the whole flash; SRAM only when it survives power-off (ram_fill
 * retain); the console (expectations read it); fault, lockup and flash defect counts; the
 * versions that ran; the update server's state without its statistics, its link window taken
 * relative to now. Not used when an expectation depends on more (max_time, max_wear) or for
 * nested sweeps (see run_sweep). */
/* The update server's state without its statistics, its link window relative to now, and the
 * results the device posted (expectations read them). */
void hash_server(session_t *ss, XXH3_state_t *hp)
{
    const srv_state_t *st = srv_state_get(ss->srv);
    uint64_t now = emu_time_ns(ss->m);
    for (int i = 0; i < st->nres; i++) {
        XXH3_128bits_update(hp, (const uint8_t *)st->res[i].name, strlen(st->res[i].name) + 1);
        XXH3_128bits_update(hp, (const uint8_t *)&st->res[i].pool, sizeof st->res[i].pool);
    }
    uint64_t sv[7] = { (uint64_t)st->nres, st->notify, st->has_campaign_version, st->campaign_version,
                       st->link_forced_down, st->link_down_until > now ? st->link_down_until - now : 0,
                       st->latency_ns };
    uint64_t rate = st->rate;
    XXH3_128bits_update(hp, (const uint8_t *)&rate, sizeof rate);
    XXH3_128bits_update(hp, (const uint8_t *)sv, sizeof sv);
    for (int i = 0; i < st->nfaults; i++) {
        const srv_fault_t *fa = &st->faults[i];
        uint64_t fv[6] = { fa->kind, fa->offset, fa->length, fa->xor_mask, fa->for_ns, fa->fired };
        XXH3_128bits_update(hp, (const uint8_t *)fv, sizeof fv);
        XXH3_128bits_update(hp, (const uint8_t *)fa->resource, strlen(fa->resource) + 1);
        XXH3_128bits_update(hp, (const uint8_t *)fa->with, strlen(fa->with) + 1);
    }
    for (size_t i = 0; i < srv_result_count(ss->srv); i++) {
        const char *r = srv_result(ss->srv, i, NULL);
        XXH3_128bits_update(hp, (const uint8_t *)r, strlen(r) + 1);
    }
}

void cut_state_hash(session_t *ss, uint8_t out[CUT_HASH_SIZE])
{
    XXH3_state_t h;
    XXH3_INITSTATE(&h);
    XXH3_128bits_reset(&h);
    emu_machine_t *m = ss->m;
    flash_t *f = emu_flash(m);
    XXH3_128bits_update(&h, flash_mem(f), flash_size(f));
    if (emu_config(m)->ram_fill == EMU_RAM_RETAIN) {
        static const uint32_t sram[2] = { 0x1FFF0000u, 0x40000u };
        uint8_t buf[4096];
        for (uint32_t off = 0; off < sram[1]; off += sizeof buf)
            if (emu_mem_read(m, sram[0] + off, buf, sizeof buf) == EMU_OK)
                XXH3_128bits_update(&h, buf, sizeof buf);
    }
    size_t clen;
    const char *con = emu_console(m, &clen);
    XXH3_128bits_update(&h, (const uint8_t *)con, clen);
    flash_stats_t fs;
    flash_stats(f, &fs);
    uint64_t nums[4] = { emu_fault_count(m), emu_lockup_count(m), fs.defects, ss->nversions };
    XXH3_128bits_update(&h, (const uint8_t *)nums, sizeof nums);
    XXH3_128bits_update(&h, (const uint8_t *)ss->versions_ran, ss->nversions * sizeof ss->versions_ran[0]);
    hash_server(ss, &h);
    XXH128_canonicalFromHash((XXH128_canonical_t *)(void *)out, XXH3_128bits_digest(&h));
}

/* The cut whose recovery stands for cut i: the first cut with the same state (i itself if none). */
size_t representative(const worker_t *w, size_t i)
{
    if (!w->dedupe || !w->hashed[i])
        return i;
    for (size_t j = 0; j < i; j++)
        if (w->hashed[j] && !memcmp(w->hash[j], w->hash[i], CUT_HASH_SIZE))
            return j;
    return i;
}
