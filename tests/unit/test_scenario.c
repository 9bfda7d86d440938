/*
 * The scenario loader (harness/scenario.c): the README's example parses to the values it says,
 * defaults are filled in as scenario.h promises, every class of mistake is reported at its
 * file:line:column with its message, and no input (every prefix of the example, every line
 * dropped, bytes replaced) crashes or leaks (run under ASan: scenario_free must free it all).
 * Each test writes its YAML to a temporary file (mkstemps) and removes it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "emu.h"
#include "codec/delta.h"
#include "codec/bundled.h"
#include "scenario/scenario.h"

/* ---- fixtures ---------------------------------------------------------------------------------- */

static char path[64];          /* the file of the last load (messages start with it) */

static void write_tmp(const char *text, size_t len)
{
    snprintf(path, sizeof path, "/tmp/fwemu_scn_XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        assert_true(w > 0);
        off += (size_t)w;
    }
    close(fd);
}

static int load_n(const char *yaml, size_t len, scenario_t *s, char *err, size_t errlen)
{
    write_tmp(yaml, len);
    int rc = scenario_load(path, s, err, errlen);
    unlink(path);
    return rc;
}

static int load(const char *yaml, scenario_t *s, char *err, size_t errlen)
{
    return load_n(yaml, strlen(yaml), s, err, errlen);
}

/* The load fails with rc and exactly "<file>:<where_msg>"; the scenario is left zeroed. */
static void expect_error(const char *yaml, int rc, const char *where_msg)
{
    scenario_t s;
    char err[1024], want[1200];
    memset(&s, 0x5a, sizeof s);
    int got = load(yaml, &s, err, sizeof err);
    snprintf(want, sizeof want, "%s:%s", path, where_msg);
    assert_string_equal(err, want);
    assert_int_equal(got, rc);
    assert_null(s.name);
    assert_null(s.steps);
    assert_null(s.file);
    scenario_free(&s);                               /* harmless on the zeroed struct */
}

static void expect_schema(const char *yaml, const char *where_msg)
{
    expect_error(yaml, SCN_ERR_SCHEMA, where_msg);
}

/* The first ```yaml block of scenarios/README.md (malloc'd), found from this file's path. */
static char *readme_example(void)
{
    char p[1024];
    snprintf(p, sizeof p, "%s", __FILE__);
    char *cut = strstr(p, "tests/unit/test_scenario.c");
    assert_non_null(cut);
    snprintf(cut, sizeof p - (size_t)(cut - p), "scenarios/README.md");
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *start = strstr(buf, "```yaml\n");
    assert_non_null(start);
    start += 8;
    char *end = strstr(start, "\n```");
    assert_non_null(end);
    return strndup(start, (size_t)(end - start) + 1);
}

/* 1-based line of the first line of text that starts with `prefix` (after indentation). */
static int line_of(const char *text, const char *prefix)
{
    int line = 1;
    for (const char *p = text; *p; line++) {
        const char *q = p;
        while (*q == ' ')
            q++;
        if (!strncmp(q, prefix, strlen(prefix)))
            return line;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    fail_msg("no line starts with '%s'", prefix);
    return 0;
}


/* ---- the update flow steps ---------------------------------------------------------------------- */

static void test_update_steps_parse_to_their_values(void **state)
{
    (void)state;
    scenario_t s;
    char err[512];
    int rc = load("steps:\n"
                  "  - boot\n"
                  "  - publish:\n"
                  "      image: app_v3\n"
                  "      version: 9\n"
                  "      delta_from: app_v1\n"
                  "      block_size: 256\n"
                  "      mutate: seek\n"
                  "      key: k.pem\n"
                  "      corrupt_signature: true\n"
                  "      manifest: {vendor_id: 06a51bd6-a81f-5436-9f79-688945d28390, class_id: "
                  "f7f2c1ccc2935fd3b7f71f37817b3549, version: 7, payload_size: 4KiB, format: raw-binary}\n"
                  "  - notify\n"
                  "  - server: {link: down, link_down_for: 2s, rate: 1000, latency: 1ms, clear_faults: true,\n"
                  "             drop: {at: 100, for: 1s}, stall: {resource: manifest, at: 0, for: 5ms},\n"
                  "             truncate: {length: 10}, corrupt: {offset: 3}, serve: {resource: payload, with: manifest}}\n"
                  "expect: {update_result: [\"running 1\", \"installing 9\"], no_update_result: \"failed link\"}\n",
                  &s, err, sizeof err);
    assert_int_equal(rc, SCN_OK);
    assert_int_equal(s.nsteps, 4);
    const scn_publish_t *p = &s.steps[1].u.publish;
    assert_int_equal(s.steps[1].kind, SCN_STEP_PUBLISH);
    assert_string_equal(p->image, "app_v3");
    assert_true(p->has_version);
    assert_int_equal(p->version, 9);
    assert_string_equal(p->delta_from_image, "app_v1");
    assert_int_equal(p->block_size, 256);
    assert_int_equal(p->mutate, DELTA_MUT_SEEK);
    assert_string_equal(p->key, "k.pem");
    assert_true(p->corrupt_signature);
    assert_true(p->m.has_vendor_id && p->m.has_class_id && p->m.has_version && p->m.has_payload_size);
    assert_int_equal(p->m.vendor_id[0], 0x06);
    assert_int_equal(p->m.class_id[15], 0x49);
    assert_int_equal(p->m.version, 7);
    assert_int_equal(p->m.payload_size, 4096);
    assert_int_equal(p->m.format, 1);
    assert_int_equal(s.steps[2].kind, SCN_STEP_NOTIFY);
    const scn_server_t *sv = &s.steps[3].u.server;
    assert_int_equal(s.steps[3].kind, SCN_STEP_SERVER);
    assert_int_equal(sv->link, 1);
    assert_int_equal(sv->link_down_for_ns, 2000000000ull);
    assert_true(sv->has_rate && sv->rate == 1000);
    assert_true(sv->has_latency && sv->latency_ns == 1000000ull);
    assert_true(sv->clear_faults);
    assert_int_equal(sv->nfaults, 5);
    assert_int_equal(sv->faults[0].kind, SCN_FAULT_DROP);
    assert_string_equal(sv->faults[0].resource, "payload");     /* the default resource */
    assert_int_equal(sv->faults[0].offset, 100);
    assert_int_equal(sv->faults[1].kind, SCN_FAULT_STALL);
    assert_string_equal(sv->faults[1].resource, "manifest");
    assert_int_equal(sv->faults[1].for_ns, 5000000ull);
    assert_int_equal(sv->faults[2].length, 10);
    assert_int_equal(sv->faults[3].xor_mask, 0xFF);
    assert_string_equal(sv->faults[4].with, "manifest");
    assert_int_equal(s.expect.nupdate_results, 2);
    assert_string_equal(s.expect.update_results[1], "installing 9");
    assert_int_equal(s.expect.nno_update_results, 1);
    scenario_free(&s);
}

static void test_update_steps_reject_bad_values(void **state)
{
    (void)state;
    expect_schema("steps:\n  - publish: {image: app_v2, mutate: seek}\n",
                  "2:30: 'mutate' makes a malformed delta payload: it needs 'delta_from'");
    expect_schema("steps:\n  - publish: {image: app_v2, delta_from: app_v1, mutate: sideways}\n",
                  "2:58: unknown delta mutation 'sideways' (expected one of: magic, header, varint, sizes, seek, "
                  "frame, lz4, truncated)");
    expect_schema("steps:\n  - publish: {image: app_v2, manifest: {vendor_id: acme}}\n",
                  "2:52: 'vendor_id' must be a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx or 32 hex digits), got "
                  "'acme'");
    expect_schema("steps:\n  - publish: {file: x.bin}\n",
                  "2:21: 'publish' with 'file' needs 'version' (the manifest's payload-version)");
    expect_schema("steps:\n  - publish: {image: app_v2, block_size: 512}\n",
                  "2:30: 'block_size' applies to a delta payload (give 'delta_from')");
    expect_schema("steps:\n  - server: {drop: {at: 5}}\n",
                  "2:14: missing key 'for' in 'drop'");
    expect_schema("steps:\n  - server: {link: sideways}\n",
                  "2:20: 'link' must be one of up, down (got 'sideways')");
    expect_schema("steps:\n  - notify: {now: true}\n",
                  "2:13: 'notify' takes no options (write - notify)");
    expect_schema("expect: {eventually: {version: 2, within: 1s, within_boots: 2}}\n"
                  "sweep: {modes: [before]}\n",
                  "1:35: 'within' (emulated time, no power cycles) and 'within_boots' exclude each other");
}

/* ---- the README's example --------------------------------------------------------------------- */

static void test_readme_example_parses_to_its_values(void **state)
{
    char *y = readme_example();
    scenario_t s;
    char err[1024];
    int rc = load(y, &s, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    assert_string_equal(s.file, path);
    assert_string_equal(s.name, "format-tour");
    assert_non_null(s.description);
    assert_true(!strncmp(s.description, "v1 runs;", 8));
    assert_int_equal(s.ntags, 3);
    assert_string_equal(s.tags[0], "example");
    assert_string_equal(s.tags[2], "power-loss");
    assert_int_equal(s.pos.line, 1);

    const scn_device_t *d = &s.device;
    assert_true(d->has_seed);
    assert_int_equal(d->seed, 7);
    assert_int_equal(d->ram_fill, EMU_RAM_RANDOM);
    assert_int_equal(d->watchdog, 1);
    assert_int_equal(d->unmapped, EMU_UNMAPPED_RAZ_WI);
    assert_int_equal(d->on_reprogram, FLASH_REPROGRAM_AND);
    assert_int_equal(d->program_time_ns, 90000);
    assert_int_equal(d->erase_sector_time_ns, 15000000);
    assert_int_equal(d->erase_block_time_ns, 400000000);
    assert_int_equal(d->sector_size, 4096);
    assert_int_equal(d->program_unit, 8);
    assert_string_equal(d->bootloader, "bundled");
    assert_int_equal(d->pos.line, line_of(y, "device:"));
    assert_int_equal(d->pos.column, 1);

    const scn_setup_t *su = &s.setup;
    assert_int_equal(su->base, SCN_BASE_IMAGES);
    assert_true(su->active.present);
    assert_string_equal(su->active.image, "app_v1");
    assert_null(su->active.file);
    assert_true(su->active.has_version);
    assert_int_equal(su->active.version, 1);
    assert_true(su->active.hdr.has_magic && su->active.hdr.has_header_version && su->active.hdr.has_sigsize);
    assert_int_equal(su->active.hdr.magic, 0x5a51b3d4);
    assert_int_equal(su->active.hdr.header_version, 2);
    assert_int_equal(su->active.hdr.signature_size, 0);
    assert_false(su->active.hdr.has_crc || su->active.hdr.has_size || su->active.hdr.has_digest);
    assert_false(su->active.no_header);
    assert_true(su->candidate.present);
    assert_string_equal(su->candidate.image, "app_v2");
    assert_false(su->candidate.has_version);
    assert_true(su->candidate.no_header);
    assert_int_equal(su->candidate.pos.line, line_of(y, "candidate:"));
    assert_int_equal(su->candidate.pos.column, 3);

    assert_int_equal(s.nsteps, 30);
    const scn_step_t *st = s.steps;
    assert_int_equal(st[0].kind, SCN_STEP_BOOT);
    assert_int_equal(st[0].pos.line, line_of(y, "- boot: {until: app_running, version: 1"));
    assert_int_equal(st[0].pos.column, 5);
    assert_int_equal(st[0].u.until.kind, SCN_UNTIL_APP_RUNNING);
    assert_true(st[0].u.until.has_version);
    assert_int_equal(st[0].u.until.version, 1);
    assert_int_equal(st[0].u.until.timeout_ns, 5000000000ull);
    assert_int_equal(st[1].kind, SCN_STEP_RUN);
    assert_int_equal(st[1].u.until.kind, SCN_UNTIL_CONSOLE);
    assert_string_equal(st[1].u.until.text, "[APP] boot confirmed");
    assert_int_equal(st[1].u.until.timeout_ns, 0);
    assert_int_equal(st[2].kind, SCN_STEP_POWER_LOSS);
    assert_int_equal(st[2].u.power.at, SCN_AT_TIME);
    assert_int_equal(st[2].u.power.time_ns, 20000000);
    assert_int_equal(st[2].u.power.off_time_ns, 10000000);
    assert_false(st[2].u.power.stay_off);
    assert_int_equal(st[3].u.until.kind, SCN_UNTIL_TIME);
    assert_int_equal(st[3].u.until.time_ns, 50000000);
    assert_int_equal(st[4].u.power.at, SCN_AT_INSNS);
    assert_int_equal(st[4].u.power.insns, 20000);
    assert_int_equal(st[4].u.power.off_time_ns, 100000000);        /* the default, filled in */
    assert_int_equal(st[5].u.until.version, 1);
    assert_int_equal(st[6].kind, SCN_STEP_RESET);
    assert_int_equal(st[6].u.reset.kind, EMU_RESET_SOFTWARE);
    assert_int_equal(st[7].u.until.kind, SCN_UNTIL_APP_RUNNING);
    assert_false(st[7].u.until.has_version);
    assert_int_equal(st[8].kind, SCN_STEP_CORRUPT);
    assert_int_equal(st[8].u.corrupt.kind, SCN_CORRUPT_TRUNCATE);
    assert_int_equal(st[8].u.corrupt.region, SCN_REGION_ACTIVE_APP);
    assert_int_equal(st[8].u.corrupt.length, 0);
    assert_int_equal(st[9].u.until.kind, SCN_UNTIL_RESETS);
    assert_int_equal(st[9].u.until.resets, 1);
    assert_int_equal(st[9].u.until.timeout_ns, 3000000000ull);
    assert_int_equal(st[10].u.power.at, SCN_AT_NOW);
    assert_true(st[10].u.power.stay_off);
    assert_int_equal(st[11].u.corrupt.kind, SCN_CORRUPT_ERASE_SECTOR);
    assert_int_equal(st[11].u.corrupt.address, 0);
    assert_int_equal(st[12].u.corrupt.kind, SCN_CORRUPT_WRITE);
    assert_int_equal(st[12].u.corrupt.region, SCN_REGION_KVSTORE);
    assert_int_equal(st[12].u.corrupt.address, 16);
    assert_int_equal(st[12].u.corrupt.nbytes, 4);
    assert_memory_equal(st[12].u.corrupt.bytes, "\xde\xad\xbe\xef", 4);
    assert_int_equal(st[13].u.corrupt.region, SCN_REGION_NONE);
    assert_int_equal(st[13].u.corrupt.address, 0x88100);
    assert_memory_equal(st[13].u.corrupt.bytes, "\x00\x11\x22\x33", 4);
    assert_int_equal(st[14].kind, SCN_STEP_STAGE);
    assert_string_equal(st[14].u.stage.image, "app_v2");
    assert_true(st[14].u.stage.has_version);
    assert_true(st[14].u.stage.incomplete);
    assert_int_equal(st[14].u.stage.written, 1024);
    assert_false(st[14].u.stage.no_header);                         /* incomplete, header: true */
    assert_true(st[14].u.stage.hdr.has_size);
    assert_int_equal(st[14].u.stage.hdr.size, 1752);
    assert_int_equal(st[15].u.until.kind, SCN_UNTIL_HALT);
    assert_string_equal(st[16].u.stage.file, "../build/firmware/app_v2.bin");
    assert_null(st[16].u.stage.image);
    assert_int_equal(st[16].u.stage.version, 2);
    assert_int_equal(st[17].u.corrupt.kind, SCN_CORRUPT_XOR_FIELD);
    assert_int_equal(st[17].u.corrupt.field, SCN_FIELD_VERSION);
    assert_int_equal(st[17].u.corrupt.region, SCN_REGION_CANDIDATE_HEADER);
    assert_int_equal(st[17].u.corrupt.value, 0x100);
    assert_int_equal(st[18].u.reset.kind, EMU_RESET_PIN);
    assert_true(st[20].u.stage.no_header);
    assert_false(st[20].u.stage.incomplete);
    assert_int_equal(st[21].u.corrupt.kind, SCN_CORRUPT_SET_FIELD);
    assert_int_equal(st[21].u.corrupt.field, SCN_FIELD_CRC);
    assert_int_equal(st[21].u.corrupt.value, 0x12345678);
    assert_int_equal(st[22].u.corrupt.kind, SCN_CORRUPT_FLIP);
    assert_int_equal(st[22].u.corrupt.region, SCN_REGION_CANDIDATE_PAYLOAD);
    assert_int_equal(st[22].u.corrupt.address, 100);
    assert_int_equal(st[22].u.corrupt.value, 1);
    assert_true(st[23].u.stage.hdr.has_digest && st[23].u.stage.hdr.has_crc);
    assert_int_equal(st[23].u.stage.hdr.digest[31], 1);
    assert_int_equal(st[23].u.stage.hdr.digest[0], 0);
    assert_int_equal(st[23].u.stage.hdr.crc, 0x1234);
    assert_int_equal(st[25].u.reset.kind, EMU_RESET_WATCHDOG);
    assert_int_equal(st[26].u.power.at, SCN_AT_FLASH_OP);
    assert_int_equal(st[26].u.power.op.n, 2);
    assert_int_equal(st[26].u.power.op.kind, SCN_OPS_PROGRAM);
    assert_int_equal(st[26].u.power.op.region, SCN_REGION_ACTIVE_APP);
    assert_true(st[26].u.power.op.from_power_on);
    assert_int_equal(st[26].u.power.mode, SCN_CUT_TORN);
    assert_int_equal(st[26].u.power.off_time_ns, 50000000);
    assert_int_equal(st[27].u.until.kind, SCN_UNTIL_FLASH_OP);
    assert_int_equal(st[27].u.until.op.kind, SCN_OPS_ERASE);
    assert_int_equal(st[27].u.until.op.region, SCN_REGION_ACTIVE);
    assert_false(st[27].u.until.op.from_power_on);
    assert_int_equal(st[28].kind, SCN_STEP_REPEAT);
    assert_int_equal(st[28].u.repeat.count, 2);
    assert_int_equal(st[28].u.repeat.nsteps, 1);
    const scn_step_t *in = &st[28].u.repeat.steps[0];
    assert_int_equal(in->kind, SCN_STEP_POWER_LOSS);
    assert_int_equal(in->u.power.op.n, 1);
    assert_int_equal(in->u.power.op.kind, SCN_OPS_PROGRAM);
    assert_int_equal(in->u.power.op.region, SCN_REGION_NONE);
    assert_int_equal(in->u.power.mode, SCN_CUT_AFTER);
    assert_int_equal(in->pos.line, line_of(y, "- power_loss: {at: {flash_op: {n: 1, kind: program}}"));
    assert_int_equal(in->pos.column, 11);
    assert_int_equal(st[29].u.until.version, 2);

    const scn_expect_t *e = &s.expect;
    assert_true(e->has_running_version);
    assert_int_equal(e->running_version, 2);
    assert_string_equal(e->running_image, "app_v2");
    assert_true(e->has_running_digest);
    assert_int_equal(e->running_digest[0], 0x31);
    assert_int_equal(e->running_digest[31], 0xd3);
    assert_int_equal(e->active, SCN_HDR_VALID);
    assert_int_equal(e->candidate, SCN_HDR_VALID);
    assert_false(e->has_resets);
    assert_true(e->has_max_resets);
    assert_int_equal(e->max_resets, 11);
    assert_int_equal(e->reset_reasons[EMU_RESET_POWER_ON], 7);
    assert_int_equal(e->reset_reasons[EMU_RESET_PIN], 1);
    assert_int_equal(e->reset_reasons[EMU_RESET_SOFTWARE], 1);
    assert_int_equal(e->reset_reasons[EMU_RESET_WATCHDOG], 1);
    assert_int_equal(e->reset_reasons[EMU_RESET_LOCKUP], 1);
    assert_int_equal(e->ncontains, 2);
    assert_string_equal(e->contains[1], "[BOOT] jumping to 0x8400");
    assert_int_equal(e->nnot_contains, 1);
    assert_string_equal(e->not_contains[0], "[BOOT] install gave up");
    assert_string_equal(e->matches, "installing v2.*jumping to");
    assert_false(e->no_faults);
    assert_true(e->no_reprogram);
    assert_true(e->has_max_time);
    assert_int_equal(e->max_time_ns, 20000000000ull);
    assert_true(e->has_max_wear);
    assert_int_equal(e->max_wear, 8);
    assert_int_equal(e->bricked, 0);
    assert_int_equal(e->n_one_of, 2);
    assert_int_equal(e->one_of[0], 1);
    assert_int_equal(e->one_of[1], 2);
    assert_true(e->has_eventually);
    assert_int_equal(e->eventually_version, 2);
    assert_int_equal(e->eventually_boots, 3);
    assert_int_equal(e->at.running.line, line_of(y, "running:"));
    assert_int_equal(e->at.running.column, 3);
    assert_int_equal(e->at.max_wear.line, line_of(y, "max_wear:"));
    assert_int_equal(e->at.no_faults.line, line_of(y, "no_faults:"));

    const scn_sweep_t *w = &s.sweep;
    assert_true(w->enabled);
    assert_string_equal(w->from_text, "[BOOT] installing");
    assert_string_equal(w->to_text, "[BOOT] install verified");
    assert_int_equal(w->select, SCN_SWEEP_EVERY_NTH);
    assert_int_equal(w->n, 3);
    assert_int_equal(w->kind, SCN_OPS_ERASE);
    assert_int_equal(w->region, SCN_REGION_ACTIVE);
    assert_true(w->modes[SCN_CUT_BEFORE] && w->modes[SCN_CUT_AFTER] && w->modes[SCN_CUT_TORN]);
    assert_int_equal(w->nested_depth, 1);
    assert_int_equal(w->max_boots, 3);
    assert_int_equal(w->pos.line, line_of(y, "sweep:"));

    scenario_free(&s);
    assert_null(s.steps);
    scenario_free(&s);                                /* twice is harmless */
    free(y);
}

/* ---- defaults ------------------------------------------------------------------------------------ */

static void test_minimal_scenario_gets_the_documented_defaults(void **state)
{
    scenario_t s;
    char err[512];
    assert_int_equal(load("setup:\n  active: {image: app_v1}\n", &s, err, sizeof err), SCN_OK);
    char stem[64];
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(path) - strlen("/tmp/") - strlen(".yaml")), path + 5);
    assert_string_equal(s.name, stem);                /* the file stem */
    assert_null(s.description);
    assert_int_equal(s.ntags, 0);
    assert_false(s.device.has_seed);
    assert_int_equal(s.device.ram_fill, -1);
    assert_int_equal(s.device.watchdog, -1);
    assert_int_equal(s.device.unmapped, -1);
    assert_int_equal(s.device.on_reprogram, -1);
    assert_int_equal(s.device.sector_size, 0);
    assert_null(s.device.bootloader);
    assert_int_equal(s.setup.base, SCN_BASE_IMAGES);
    assert_true(s.setup.active.present);
    assert_false(s.setup.active.has_version);          /* the runner takes the bundled version */
    assert_false(s.setup.candidate.present);
    assert_int_equal(s.nsteps, 0);                     /* the runner's default boot */
    assert_int_equal(s.expect.bricked, -1);
    for (int i = 0; i < 5; i++)
        assert_int_equal(s.expect.reset_reasons[i], -1);
    assert_int_equal(s.expect.active, SCN_HDR_ANY);
    assert_int_equal(s.expect.at.running.line, 0);
    assert_false(s.sweep.enabled);
    scenario_free(&s);
}

static void test_step_and_sweep_defaults_are_filled_in(void **state)
{
    scenario_t s;
    char err[512];
    int rc = load("name: d\n"
                  "steps:\n"
                  "  - boot\n"
                  "  - run:\n"
                  "  - power_loss: {at: {flash_op: {n: 1}}}\n"
                  "  - boot: {until: {time: 30s}}\n"
                  "  - boot: {until: {time: 2s}}\n"
                  "sweep: {}\n", &s, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(s.nsteps, 5);
    assert_int_equal(s.steps[0].kind, SCN_STEP_BOOT);
    assert_int_equal(s.steps[0].u.until.kind, SCN_UNTIL_APP_RUNNING);
    assert_int_equal(s.steps[0].pos.line, 3);
    assert_int_equal(s.steps[0].pos.column, 5);
    assert_int_equal(s.steps[1].kind, SCN_STEP_RUN);
    assert_int_equal(s.steps[1].u.until.timeout_ns, 0);
    assert_int_equal(s.steps[2].u.power.mode, SCN_CUT_BEFORE);
    assert_int_equal(s.steps[2].u.power.off_time_ns, 100000000);
    assert_int_equal(s.steps[2].u.power.op.kind, SCN_OPS_ANY);
    assert_int_equal(s.steps[2].u.power.op.region, SCN_REGION_NONE);
    assert_false(s.steps[2].u.power.op.from_power_on);
    assert_int_equal(s.steps[3].u.until.timeout_ns, 30000000000ull);   /* raised to the time */
    assert_int_equal(s.steps[4].u.until.timeout_ns, 0);                /* 20 s is enough */
    assert_true(s.sweep.enabled);
    assert_true(s.sweep.modes[SCN_CUT_BEFORE] && s.sweep.modes[SCN_CUT_AFTER]);
    assert_false(s.sweep.modes[SCN_CUT_TORN]);
    assert_int_equal(s.sweep.max_boots, 3);
    assert_int_equal(s.sweep.select, SCN_SWEEP_EVERY);
    assert_null(s.sweep.from_text);
    assert_int_equal(s.sweep.pos.line, 8);
    scenario_free(&s);
}

static void test_values_in_every_notation(void **state)
{
    scenario_t s;
    char err[512];
    int rc = load("name: v\n"
                  "device:\n"
                  "  seed: 18446744073709551615\n"
                  "  flash: {program_time: 1.5us, erase_sector_time: 2 ms, erase_block_time: 0.25s,\n"
                  "          sector_size: 0x2000, program_unit: 16}\n"
                  "setup:\n"
                  "  candidate: {file: x.bin, version: 0xFFFFFFFFFFFFFFFF, header: {size: 1 MiB, crc: 0xffffffff}}\n"
                  "steps:\n"
                  "  - corrupt: {region: candidate-header, field: digest,\n"
                  "              set: \"C8F5D0341D54D951A71B136E6E2AFCB14D11ED8489A7AE126A8FEE0DF6ECF193\"}\n"
                  "  - corrupt: {region: candidate, field: campaign, set: a0a1a2a3a4a5a6a7a8a9aaabacadaeaf}\n"
                  "  - corrupt: {address: 0xFFFFF, write: ff}\n"
                  "  - boot: {until: {console: 'it''s \"here\": yes'}, timeout: 800ns}\n"
                  "expect:\n"
                  "  resets: 0\n"
                  "  console: {contains: only one}\n", &s, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(s.device.seed, UINT64_MAX);
    assert_int_equal(s.device.program_time_ns, 1500);
    assert_int_equal(s.device.erase_sector_time_ns, 2000000);
    assert_int_equal(s.device.erase_block_time_ns, 250000000);
    assert_int_equal(s.device.sector_size, 0x2000);
    assert_int_equal(s.device.program_unit, 16);
    assert_int_equal(s.setup.candidate.version, UINT64_MAX);
    assert_int_equal(s.setup.candidate.hdr.size, 1u << 20);
    assert_int_equal(s.setup.candidate.hdr.crc, 0xffffffffu);
    assert_int_equal(s.steps[0].u.corrupt.digest[0], 0xc8);
    assert_int_equal(s.steps[0].u.corrupt.digest[31], 0x93);
    assert_int_equal(s.steps[1].u.corrupt.field, SCN_FIELD_CAMPAIGN);
    assert_int_equal(s.steps[1].u.corrupt.digest[15], 0xaf);
    assert_int_equal(s.steps[2].u.corrupt.address, 0xFFFFF);
    assert_string_equal(s.steps[3].u.until.text, "it's \"here\": yes");
    assert_int_equal(s.steps[3].u.until.timeout_ns, 800);
    assert_true(s.expect.has_resets);
    assert_int_equal(s.expect.resets, 0);
    assert_int_equal(s.expect.ncontains, 1);
    assert_string_equal(s.expect.contains[0], "only one");
    scenario_free(&s);
}

static void test_every_bundled_scenario_loads(void **state)
{
    static const char *const files[] = { "install-sweep.yaml", "power-loss-repeated.yaml",
                                         "watchdog-reset-during-install.yaml", "candidate-bad-digest.yaml",
                                         "brick-no-candidate.yaml" };
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *cut = strstr(dir, "tests/unit/test_scenario.c");
    assert_non_null(cut);
    *cut = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[1200], err[1024];
        struct stat st;
        snprintf(p, sizeof p, "%sscenarios/%s", dir, files[i]);
        if (stat(p, &st) != 0)
            continue;                                 /* the suite changes; the format does not */
        scenario_t s;
        if (scenario_load(p, &s, err, sizeof err) != SCN_OK)
            fail_msg("%s", err);
        scenario_free(&s);
    }
}

/* ---- errors: one test per class ------------------------------------------------------------------ */

static void test_unknown_key_names_the_key_its_mapping_and_the_expected_ones(void **state)
{
    expect_schema("name: x\n"
                  "steps:\n"
                  "  - boot: {untill: app_running}\n",
                  "3:12: unknown key 'untill' in 'boot' (expected one of: until, version, timeout)");
    expect_schema("name: x\nstepz: []\n",
                  "2:1: unknown key 'stepz' at the top level (expected one of: name, description, tags, device, "
                  "setup, steps, expect, sweep, budget)");
    expect_schema("steps:\n  - bot: {}\n",
                  "2:5: unknown step 'bot' (expected one of: boot, run, power_loss, reset, corrupt, stage, repeat, publish, notify, server)");
}

static void test_wrong_type_says_what_was_expected_and_what_was_found(void **state)
{
    expect_schema("name: x\nsetup: [a, b]\n", "2:8: 'setup' must be a mapping (got a sequence)");
    expect_schema("steps: {boot: {}}\n", "1:8: 'steps' must be a sequence (got a mapping)");
    expect_schema("expect:\n  running: 2\n", "2:12: 'running' must be a mapping (got '2')");
    expect_schema("device:\n  seed: [1]\n", "2:9: 'seed' must be a number (got a sequence)");
    expect_schema("expect: {active: {a: 1}}\n",
                  "1:18: 'active' must be one of valid, invalid, erased (got a mapping)");
    expect_schema("device: {seed: \"7\"}\n",
                  "1:16: 'seed' must be a number, not a quoted string (write 7 without quotes)");
    expect_schema("device: {watchdog: yes}\n", "1:20: 'watchdog' must be true or false (got 'yes')");
    expect_schema("setup:\n", "1:7: 'setup' has no value (expected a mapping)");
    expect_schema("steps:\n  - boot: {until: [a]}\n",
                  "2:19: 'until' must be app_running, halt or a mapping with one of resets, time, flash_op, console "
                  "(got a sequence)");
    expect_schema("expect: {resets: [1]}\n",
                  "1:18: 'resets' must be a number or a mapping of max, power_on, pin, software, watchdog, lockup "
                  "(got a sequence)");
}

static void test_bad_enum_value_lists_the_allowed_values(void **state)
{
    expect_schema("steps:\n"
                  "  - power_loss: {at: {flash_op: {n: 1}}, mode: tron}\n",
                  "2:48: 'mode' must be one of before, after, torn (got 'tron')");
    expect_schema("steps:\n  - reset: hard\n", "2:12: 'reset' must be one of pin, software, watchdog (got 'hard')");
    expect_schema("sweep: {region: app}\n",
                  "1:17: 'region' must be one of bootloader, active-header, active-app, kvstore, candidate-header, "
                  "candidate-payload, active, candidate (got 'app')");
}

static void test_bad_duration_needs_a_unit(void **state)
{
    expect_schema("steps:\n  - power_loss: {at: now, off_time: 10xs}\n",
                  "2:37: 'off_time': '10xs' is not a duration (examples: 100ms, 2s, 50us)");
    expect_schema("steps:\n  - power_loss: {at: now, off_time: 100}\n",
                  "2:37: 'off_time': '100' is not a duration: a unit is required (examples: 100ms, 2s, 50us)");
    expect_schema("expect: {max_time: 1.5ns}\n", "1:20: 'max_time': '1.5ns' is finer than a nanosecond");
    expect_schema("expect: {max_time: 0s}\n", "1:20: 'max_time' must be longer than 0");
    expect_schema("expect: {max_time: 99999999999999999999s}\n",
                  "1:20: 'max_time': '99999999999999999999s' is too long (at most about 584 years)");
    expect_schema("expect: {max_time: 18446744074s}\n",
                  "1:20: 'max_time': '18446744074s' is too long (at most about 584 years)");
}

static void test_bad_number_and_overflow_are_reported(void **state)
{
    expect_schema("device: {seed: 12ab}\n",
                  "1:16: 'seed': '12ab' is not a number (decimal without leading zeros, or 0x hex)");
    expect_schema("device: {seed: 010}\n",
                  "1:16: 'seed': '010' is not a number (decimal without leading zeros, or 0x hex)");
    expect_schema("device: {seed: -1}\n",
                  "1:16: 'seed': '-1' is not a number (decimal without leading zeros, or 0x hex)");
    expect_schema("device: {seed: 18446744073709551616}\n",
                  "1:16: 'seed': 18446744073709551616 is out of range (at most 18446744073709551615)");
    expect_schema("device: {seed: 0x10000000000000000}\n",
                  "1:16: 'seed': 0x10000000000000000 is out of range (at most 18446744073709551615)");
    expect_schema("steps:\n  - repeat: {count: 0x100000000, steps: [boot]}\n",
                  "2:21: 'count': 0x100000000 is out of range (at most 4294967295)");
    expect_schema("steps:\n  - repeat: {count: 0, steps: [boot]}\n", "2:21: 'count' must be at least 1 (got 0)");
    expect_schema("setup:\n  active: {image: app_v1, header: {magic: 0x123456789}}\n",
                  "2:43: 'magic': 0x123456789 is out of range (at most 4294967295)");
    expect_schema("steps:\n  - stage: {image: app64_v1, incomplete: {written: 4KB}}\n",
                  "2:52: 'written': '4KB' is not a size (examples: 4096, 0x1000, 4KiB)");
}

static void test_missing_required_key_is_reported_at_its_parent(void **state)
{
    expect_schema("steps:\n  - repeat: {steps: [boot]}\n", "2:5: missing key 'count' in 'repeat'");
    expect_schema("steps:\n  - power_loss: {mode: torn}\n", "2:5: missing key 'at' in 'power_loss'");
    expect_schema("steps:\n  - boot: {until: {flash_op: {kind: erase}}}\n", "2:20: missing key 'n' in 'flash_op'");
    expect_schema("setup:\n  active: {version: 1}\n",
                  "2:3: 'active' needs 'image' (a bundled application) or 'file' (a path)");
    expect_schema("setup:\n  candidate: {file: a.bin}\n",
                  "2:21: 'candidate' with 'file' needs 'version' (the header's firmwareVersion)");
    expect_schema("expect:\n  eventually: {within_boots: 2}\nsweep: {}\n",
                  "2:3: missing key 'version' in 'eventually'");
}

static void test_duplicate_key_points_at_the_second_and_the_first(void **state)
{
    expect_schema("name: a\ndescription: b\nname: c\n",
                  "3:1: duplicate key 'name' at the top level (first at line 1, column 1)");
    expect_schema("steps:\n  - power_loss: {at: now, off_time: 1s, off_time: 2s}\n",
                  "2:41: duplicate key 'off_time' in 'power_loss' (first at line 2, column 27)");
}

static void test_yaml_syntax_error_gives_libyaml_position(void **state)
{
    expect_error("name: x\nsteps: [boot\n", SCN_ERR_SYNTAX,
                 "3:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 2, "
                 "column 8)");
    expect_error("name: x\n  bad: indent\n", SCN_ERR_SYNTAX,
                 "2:6: YAML syntax error: mapping values are not allowed in this context");
    expect_error("name: x\x01\n", SCN_ERR_SYNTAX,
                 "1:8: YAML syntax error: control characters are not allowed (byte 0x01 at offset 7)");
    expect_error("name: a\n---\nname: b\n", SCN_ERR_SYNTAX,
                 "2:1: a second YAML document: a scenario file holds one document (remove the '---' or split the "
                 "file)");
    expect_error("setup: &s {flash: images}\nexpect: *s\n", SCN_ERR_SYNTAX,
                 "2:9: YAML aliases (*s) are not supported: write the value out");
    expect_error("name: !!str x\n", SCN_ERR_SYNTAX, "1:7: YAML tags (!...) are not supported: remove the tag");
}

static void test_repeat_nested_too_deep(void **state)
{
    char y[4096];
    size_t o = (size_t)snprintf(y, sizeof y, "steps:\n");
    for (int i = 0; i <= SCN_MAX_REPEAT_DEPTH; i++)
        o += (size_t)snprintf(y + o, sizeof y - o, "%*s- repeat:\n%*scount: 1\n%*ssteps:\n", 2 + 4 * i, "",
                              6 + 4 * i, "", 6 + 4 * i, "");
    snprintf(y + o, sizeof y - o, "%*s- boot\n", 2 + 4 * (SCN_MAX_REPEAT_DEPTH + 1), "");
    char want[128];
    snprintf(want, sizeof want, "%d:%d: 'repeat' nested more than %d deep", 2 + 3 * SCN_MAX_REPEAT_DEPTH,
             5 + 4 * SCN_MAX_REPEAT_DEPTH, SCN_MAX_REPEAT_DEPTH);
    expect_schema(y, want);

    /* exactly the limit loads */
    o = (size_t)snprintf(y, sizeof y, "steps:\n");
    for (int i = 0; i < SCN_MAX_REPEAT_DEPTH; i++)
        o += (size_t)snprintf(y + o, sizeof y - o, "%*s- repeat:\n%*scount: 1\n%*ssteps:\n", 2 + 4 * i, "",
                              6 + 4 * i, "", 6 + 4 * i, "");
    snprintf(y + o, sizeof y - o, "%*s- boot\n", 2 + 4 * SCN_MAX_REPEAT_DEPTH, "");
    scenario_t s;
    char err[512];
    if (load(y, &s, err, sizeof err))
        fail_msg("%s", err);
    scenario_free(&s);
}

static void test_deep_yaml_nesting_is_refused_without_recursion(void **state)
{
    size_t n = 100000;
    char *y = malloc(n + 16);
    assert_non_null(y);
    memcpy(y, "steps: ", 7);
    memset(y + 7, '[', n);
    y[7 + n] = 0;
    expect_error(y, SCN_ERR_SYNTAX, "1:71: YAML nested deeper than 64 levels");
    free(y);
}

static void test_empty_file_and_comment_only_file(void **state)
{
    expect_schema("", "1:1: empty scenario (expected a mapping with keys such as name, setup, steps, expect)");
    expect_schema("# nothing here\n\n",
                  "1:1: empty scenario (expected a mapping with keys such as name, setup, steps, expect)");
    expect_schema("---\n", "1:1: empty scenario (expected a mapping with keys such as name, setup, steps, expect)");
}

static void test_file_that_is_not_a_mapping(void **state)
{
    expect_schema("- boot\n- run\n",
                  "1:1: a scenario must be a mapping of name, description, tags, device, setup, steps, expect, "
                  "sweep (got a sequence)");
    expect_schema("just words\n",
                  "1:1: a scenario must be a mapping of name, description, tags, device, setup, steps, expect, "
                  "sweep (got 'just words')");
}

static void test_missing_file_is_an_io_error(void **state)
{
    scenario_t s;
    char err[512];
    assert_int_equal(scenario_load("/nonexistent/x.yaml", &s, err, sizeof err), SCN_ERR_IO);
    assert_string_equal(err, "/nonexistent/x.yaml: cannot open: No such file or directory");
    assert_int_equal(scenario_load("/tmp", &s, err, sizeof err), SCN_ERR_IO);
    assert_string_equal(err, "/tmp: not a regular file");
    assert_int_equal(scenario_load("/nonexistent/x.yaml", &s, NULL, 0), SCN_ERR_IO);   /* no buffer: fine */
}

static void test_a_step_with_two_keys_explains_the_indentation(void **state)
{
    expect_schema("steps:\n  - boot:\n    until: app_running\n",
                  "3:5: a step has exactly one key, the step kind 'boot'; 'until' is another key at the same level "
                  "(indent its options under 'boot', or write - boot: {...})");
    expect_schema("steps:\n  - reset\n", "2:5: step 'reset' needs a value (e.g. - reset: pin)");
}

static void test_conflicting_and_impossible_combinations(void **state)
{
    expect_schema("steps:\n  - run: {until: app_running}\n",
                  "2:5: 'run' needs the device powered on, but it is off here (a scenario starts powered off); use "
                  "'boot'");
    expect_schema("steps:\n  - boot\n  - power_loss: {at: now, stay_off: true}\n"
                  "  - repeat: {count: 2, steps: [reset: pin]}\n",
                  "4:32: 'reset' needs the device powered on, but it is off here (an earlier power_loss has "
                  "stay_off: true); use 'boot'");
    expect_schema("steps:\n  - power_loss: {at: {time: 1ms}, mode: torn}\n",
                  "2:35: 'mode' applies only to 'at: {flash_op: ...}' (a cut at a time or an instruction count "
                  "interrupts no flash operation)");
    expect_schema("steps:\n  - corrupt: {region: kvstore, address: 0x80000, flip: 1}\n",
                  "2:32: 'region' and 'address' exclude each other (use region + offset, or address)");
    expect_schema("steps:\n  - corrupt: {region: kvstore, flip: 1, write: 00}\n",
                  "2:41: 'corrupt' does one thing: 'flip' and 'write' exclude each other");
    expect_schema("steps:\n  - corrupt: {region: active-app, field: crc, set: 1}\n",
                  "2:23: 'field' needs a region that starts with a header: active-header, candidate-header, active "
                  "or candidate (got 'active-app')");
    expect_schema("steps:\n  - corrupt: {region: active, field: crc, set: 1, xor: 2}\n",
                  "2:51: 'set' and 'xor' exclude each other");
    expect_schema("setup:\n  active: {image: app_v1, no_header: true, header: {crc: 1}}\n",
                  "2:44: 'header' overrides a header that 'no_header: true' leaves out");
    expect_schema("setup:\n  flash: erased\n  active: {image: app_v1}\n",
                  "3:3: 'active' cannot be used with 'flash: erased' (all of flash stays erased; use 'flash: images' "
                  "for a bootloader plus slots)");
    expect_schema("expect: {bricked: true, running: {version: 1}}\n",
                  "1:10: 'bricked: true' contradicts 'running' (a bricked device runs no app)");
    expect_schema("expect: {eventually: {version: 2}}\n",
                  "1:10: 'eventually' applies only to sweeps (after each cut); without a sweep use 'running: "
                  "{version: N}'");
    expect_schema("steps:\n  - stage: {image: app_v2, incomplete: {written: 100}, header: {crc: 1}}\n",
                  "2:56: 'header' overrides a header that is not written (an incomplete stage has none unless "
                  "incomplete: {header: true})");
    expect_schema("steps:\n  - boot: {until: halt, version: 2}\n",
                  "2:25: 'version' applies only to 'until: app_running' (the version that must run)");
    expect_schema("steps:\n  - boot: {until: {time: 5s}, timeout: 1s}\n",
                  "2:40: 'timeout' is shorter than 'until: {time: ...}': the step could never succeed");
    expect_schema("device: {bootloader: bundled:header_first}\nsetup: {flash: {dump: d.bin}}\n",
                  "1:10: 'bootloader' has no effect with setup 'flash: {dump: ...}' (the flash comes from the dump)");
    expect_schema("steps:\n  - boot\n  - power_loss: {at: now, stay_off: true}\nexpect: {running: {version: 1}}\n",
                  "4:10: 'running' can never hold: the steps end with the device powered off (stay_off: true); add "
                  "a boot step");
}

static void test_values_checked_against_the_world(void **state)
{
    expect_schema("setup:\n  active: {image: app_v9}\n",
                  "2:19: 'image': no bundled application 'app_v9' (bundled: app_v1, app_v2, app_v3, app64_v1, "
                  "app64_v2; use 'file' for your own)");
    expect_schema("device: {bootloader: \"bundled:nope\"}\n",
                  "1:22: 'bootloader': no bundled variant 'bundled:nope' (expected bundled, a file, or "
                  "bundled:<variant> with one of: erase_candidate_early, header_first, no_verify, no_size_bound, "
                  "no_watchdog_refresh)");
    expect_schema("expect: {console: {matches: \"a(b\"}}\n",
                  "1:31: 'matches': unbalanced '(' (character 2 of the pattern; the subset is in "
                  "scenarios/README.md)");
    /* patterns are safe by construction: no blow-up at load, no back-references */
    expect_schema("expect: {console: {matches: 'a{1,255}{1,255}{1,255}{1,255}'}}\n",
                  "1:38: 'matches': pattern too large: expands to 8456501250 states (limit 2048) (character 9 of "
                  "the pattern; the subset is in scenarios/README.md)");
    expect_schema("expect: {console: {matches: '(a)\\1'}}\n",
                  "1:33: 'matches': back-references are not supported (character 4 of the pattern; the subset is "
                  "in scenarios/README.md)");
    expect_schema("steps:\n  - corrupt: {region: candidate-header, erase_sector: 1}\n",
                  "2:55: 'erase_sector': the candidate-header has 1 sector of 4096 bytes (0..0), not 1");
    expect_schema("steps:\n  - corrupt: {region: candidate-header, offset: 110, write: 010203}\n",
                  "2:61: 'write': 3 bytes do not fit (at most 2 here)");
    expect_schema("steps:\n  - corrupt: {region: kvstore, offset: 32KiB, flip: 1}\n",
                  "2:40: 'offset': 32KiB is out of range (at most 32767)");
    expect_schema("steps:\n  - corrupt: {address: 0x100000, flip: 1}\n",
                  "2:24: 'address': 0x100000 is out of range (at most 1048575)");
    expect_schema("steps:\n  - corrupt: {region: kvstore, write: \"de ad b\"}\n",
                  "2:39: 'write' must be whole bytes of hex (got 5 hex digits)");
    expect_schema("steps:\n  - corrupt: {region: kvstore, write: \"de:ad\"}\n",
                  "2:39: 'write': 'de:ad' is not hex bytes (examples: \"de ad be ef\", \"deadbeef\"): character 3 "
                  "is not a hex digit");
    expect_schema("steps:\n  - corrupt: {region: kvstore, truncate: 32KiB}\n",
                  "2:42: 'truncate': the kvstore is 32768 bytes; keeping 32768 erases nothing");
    expect_schema("expect: {running: {digest: abc}}\n",
                  "1:28: 'digest' must be 64 hex digits (a SHA-256), got 'abc' (3 characters)");
    expect_schema("name: \"has space\"\n",
                  "1:7: 'name': 'has space' is not a scenario name (1-64 characters of A-Z a-z 0-9 . _ -; it "
                  "becomes part of replay ids and test names)");
    {
        /* the message names the bundled image's size (it changes with every firmware build) */
        const bundled_image_t *v1 = bundled_find("app_v1");
        assert_non_null(v1);
        char msg[160];
        snprintf(msg, sizeof msg,
                 "2:50: 'written': 65536 bytes is the whole of app_v1 (%zu bytes): the stage would be complete",
                 v1->size);
        expect_schema("steps:\n  - stage: {image: app_v1, incomplete: {written: 64KiB}}\n", msg);
    }
    expect_schema("sweep: {modes: [torn, torn]}\n", "1:23: 'modes' lists 'torn' twice");
    expect_schema("sweep: {nested: {depth: 2}}\n",
                  "1:25: 'depth' must be 0 or 1 (one more cut during the recovery; got 2)");
    expect_schema("device: {flash: {sector_size: 3000}}\n", "1:31: 'sector_size' must be a power of two (got 3000)");
    expect_schema("steps: []\n",
                  "1:8: 'steps' is empty (leave 'steps' out for the default: one boot until app_running)");
    expect_schema("expect: {console: {contains: \"a\\0b\"}}\n", "1:30: 'contains' contains a NUL character");
}

/* ---- robustness --------------------------------------------------------------------------------- */

static void load_any(const char *text, size_t len)
{
    scenario_t s;
    char err[256];
    if (load_n(text, len, &s, err, sizeof err) == SCN_OK) {
        assert_non_null(s.name);
        scenario_free(&s);
    } else {
        assert_true(err[0] != 0);
        assert_null(s.name);
    }
}

static void test_every_prefix_of_the_example_loads_or_fails_cleanly(void **state)
{
    char *y = readme_example();
    size_t len = strlen(y);
    for (size_t i = 0; i <= len; i++)
        load_any(y, i);
    free(y);
}

static void test_every_line_prefix_and_every_dropped_line_loads_or_fails_cleanly(void **state)
{
    char *y = readme_example();
    size_t len = strlen(y);
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    for (size_t i = 0; i <= len; i++) {
        if (i != len && y[i] != '\n')
            continue;
        load_any(y, i + (i < len));                   /* the first lines, newline included */
        size_t start = i < len ? i + 1 : len, next = start;   /* drop the line after this newline */
        while (next < len && y[next] != '\n')
            next++;
        size_t o = 0;
        memcpy(buf, y, start);
        o = start;
        if (next < len) {
            memcpy(buf + o, y + next + 1, len - next - 1);
            o += len - next - 1;
        }
        load_any(buf, o);
    }
    free(buf);
    free(y);
}

static void test_replaced_bytes_load_or_fail_cleanly(void **state)
{
    static const char repl[] = { ' ', ':', '{', '-', '\0', '9' };
    char *y = readme_example();
    size_t len = strlen(y);
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++) {                 /* one replacement per byte, in turn */
        memcpy(buf, y, len);
        buf[i] = repl[i % sizeof repl];
        load_any(buf, len);
    }
    free(buf);
    free(y);
}

/* device.layout: a bundled name or a file relative to the scenario; the loader's override wins. */
static void test_device_layout_places_the_scenario(void **state)
{
    const char *lpath = "/tmp/fwemu_scn_layout.json";
    FILE *f = fopen(lpath, "w");
    assert_non_null(f);
    fputs("{\"mbed-bootloader.bootloader-size\": \"0x8000\", \"update-client.application-details\": \"0x8000\",\n"
          " \"mbed-bootloader.application-start-address\": \"0x8400\",\n"
          " \"mbed-bootloader.max-application-size\": \"0x7FC00\",\n"
          " \"storage_tdb_internal.internal_base_address\": \"0x88000\", \"storage_tdb_internal.internal_size\": \"0x8000\",\n"
          " \"update-client.storage-address\": \"0x90000\", \"update-client.storage-size\": \"0x70000\"}\n", f);
    fclose(f);
    scenario_t s;
    char err[1024];
    assert_int_equal(load("device: {layout: fwemu_scn_layout.json}\nsteps:\n  - boot\n", &s, err, sizeof err), SCN_OK);
    assert_string_equal(s.layout.name, "fwemu_scn_layout");
    assert_int_equal(s.layout.candidate_start, 0x90000);
    scenario_free(&s);
    fw_layout_t classic;
    fw_layout_default(&classic);
    const char *yaml = "device: {layout: fwemu_scn_layout.json}\n";
    write_tmp(yaml, strlen(yaml));
    assert_int_equal(scenario_load_layout(path, &classic, &s, err, sizeof err), SCN_OK);
    unlink(path);
    assert_int_equal(s.layout.candidate_start, 0x88000);
    scenario_free(&s);
    unlink(lpath);
    assert_int_equal(load("device: {layout: mbed-classic}\n", &s, err, sizeof err), SCN_OK);
    assert_string_equal(s.layout.name, "mbed-classic");
    scenario_free(&s);
    expect_schema("device: {layout: mbed-nope}\n", "1:18: 'layout': unknown layout 'mbed-nope' (bundled: mbed-classic, "
                  "mbed-fota; or a layout file path)");
    expect_schema("device: {layout: mbed-fota}\n", "1:18: 'layout': 'mbed-fota' uses the fota header format; "
                  "scenarios run v2 header layouts only (so far)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_example_parses_to_its_values),
        cmocka_unit_test(test_minimal_scenario_gets_the_documented_defaults),
        cmocka_unit_test(test_step_and_sweep_defaults_are_filled_in),
        cmocka_unit_test(test_values_in_every_notation),
        cmocka_unit_test(test_every_bundled_scenario_loads),
        cmocka_unit_test(test_unknown_key_names_the_key_its_mapping_and_the_expected_ones),
        cmocka_unit_test(test_wrong_type_says_what_was_expected_and_what_was_found),
        cmocka_unit_test(test_bad_enum_value_lists_the_allowed_values),
        cmocka_unit_test(test_bad_duration_needs_a_unit),
        cmocka_unit_test(test_bad_number_and_overflow_are_reported),
        cmocka_unit_test(test_missing_required_key_is_reported_at_its_parent),
        cmocka_unit_test(test_duplicate_key_points_at_the_second_and_the_first),
        cmocka_unit_test(test_yaml_syntax_error_gives_libyaml_position),
        cmocka_unit_test(test_repeat_nested_too_deep),
        cmocka_unit_test(test_deep_yaml_nesting_is_refused_without_recursion),
        cmocka_unit_test(test_empty_file_and_comment_only_file),
        cmocka_unit_test(test_file_that_is_not_a_mapping),
        cmocka_unit_test(test_missing_file_is_an_io_error),
        cmocka_unit_test(test_a_step_with_two_keys_explains_the_indentation),
        cmocka_unit_test(test_conflicting_and_impossible_combinations),
        cmocka_unit_test(test_values_checked_against_the_world),
        cmocka_unit_test(test_update_steps_parse_to_their_values),
        cmocka_unit_test(test_update_steps_reject_bad_values),
        cmocka_unit_test(test_every_prefix_of_the_example_loads_or_fails_cleanly),
        cmocka_unit_test(test_every_line_prefix_and_every_dropped_line_loads_or_fails_cleanly),
        cmocka_unit_test(test_replaced_bytes_load_or_fail_cleanly),
        cmocka_unit_test(test_device_layout_places_the_scenario),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
