/*
 * fwemu run: run scenario suites (YAML) and sweeps; print failures with their evidence and the
 * command that replays them; write JUnit / JSON / HTML reports. Exit 0 all passed, 1 some
 * failed, 2 usage or scenario error, 3 internal error.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "report.h"
#include "sweep/sweep.h"
#include "scenario/scenario.h"

#ifndef FWEMU_SCENARIO_DIR
#define FWEMU_SCENARIO_DIR "scenarios"
#endif

static const char who[] = "fwemu run";

static const char run_usage[] =
    "usage: fwemu run [PATH...] [options]\n"
    "\n"
    "Run scenario files (YAML; a directory means every *.yaml and *.yml file in it, sorted, and\n"
    "one without any is an error, exit 2). With no PATH, the bundled suite (" FWEMU_SCENARIO_DIR ",\n"
    "or $FWEMU_SCENARIOS). The whole suite is validated before anything runs. Format:\n"
    "scenarios/README.md.\n"
    "\n"
    "Scenarios drive the device's flash and power (setup, corrupt, stage, power_loss) and the\n"
    "update server the app talks to (publish a signed manifest + full or delta payload, notify,\n"
    "server faults: link drops, stalls, truncation, corruption). A sweep cuts power at every\n"
    "selected flash operation and checks the recovery; cut points whose state after the cut is\n"
    "identical to an earlier one's share its recovery (marked 'state of ...'), and a recovery\n"
    "that starts from the power-on state of a finished passing one (compared only where that\n"
    "one used the flash before erasing it) or reaches the exact state (time aside) it was in at\n"
    "an erase ends there with its verdict (reports are the same as with every recovery run in\n"
    "full).\n"
    "\n"
    "  -j, --jobs N         run on N threads (results are identical to -j 1); default 1\n"
    "      --filter GLOB    only scenarios whose name matches GLOB (fnmatch)\n"
    "  -l, --list           list the scenarios (name, file, tags) and exit\n"
    "      --seed N         override every scenario's device seed\n"
    "      --shard I/N      run only shard I of N (0-based); also GTEST_SHARD_INDEX and\n"
    "                       GTEST_TOTAL_SHARDS; scenarios and sweep cut points are split\n"
    "      --replay ID      run one sweep cut point alone (ID as printed: NAME@12t) with full logs\n"
    "      --no-share       run every cut point's recovery in full (no sharing; slower)\n"
    "      --bootloader B   run every scenario with this bootloader instead of its own:\n"
    "                       bundled, bundled:<variant> (the deliberately broken ones) or a file\n"
    "      --layout L       load every scenario in this flash layout instead of its own\n"
    "                       device.layout: a bundled name (mbed-classic, mbed-fota) or a file\n"
    "      --junit FILE     write a JUnit XML report\n"
    "      --json FILE      write a JSON report (with every sweep's table of cut points)\n"
    "      --html FILE      write an HTML report\n"
    "  -v, --verbose        print the console and the event log of every scenario\n"
    "      --color WHEN     auto (default), always or never; NO_COLOR disables it\n"
    "  -h, --help           this text\n"
    "\n"
    "The last line is 'N passed, N failed' (', N skipped' when any).\n"
    "Exit status: 0 all passed, 1 some failed, 2 usage or scenario error, 3 internal error.\n";

typedef struct run_args {
    int jobs;
    const char *bootloader, *filter, *replay, *junit, *json, *html, *color;
    const char *layout_arg;       /* --layout as given (NULL: none) */
    fw_layout_t layout;           /* ... resolved */
    bool list, verbose, has_seed, has_shard, no_share;
    uint64_t seed;
    unsigned shard_i, shard_n;
} run_args_t;

/* Options into a; optind is left at the first PATH. Returns an exit status, -1 after --help. */
static int parse_args(int argc, char **argv, run_args_t *a)
{
    static const struct option opts[] = {
        { "jobs", required_argument, 0, 'j' },   { "filter", required_argument, 0, 'f' },
        { "list", no_argument, 0, 'l' },         { "seed", required_argument, 0, 's' },
        { "shard", required_argument, 0, 'S' },  { "replay", required_argument, 0, 'r' },
        { "junit", required_argument, 0, 'J' },  { "json", required_argument, 0, 'O' },
        { "html", required_argument, 0, 'H' },   { "verbose", no_argument, 0, 'v' },
        { "color", required_argument, 0, 'c' },  { "help", no_argument, 0, 'h' },
        { "bootloader", required_argument, 0, 'B' }, { "no-share", no_argument, 0, 'N' },
        { "layout", required_argument, 0, 'L' },
        { 0, 0, 0, 0 },
    };
    *a = (run_args_t){ .jobs = 1, .color = "auto", .shard_n = 1 };
    cli_getopt_reset();
    int c;
    while ((c = getopt_long(argc, argv, ":j:lvh", opts, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case 'j':
            if (cli_parse_u64(optarg, 10, &v) || v < 1 || v > 256)
                return cli_usage(who, "run", "-j: '%s' is not a number of jobs (1-256)", optarg);
            a->jobs = (int)v;
            break;
        case 'f': a->filter = optarg; break;
        case 'l': a->list = true; break;
        case 's':
            if (cli_parse_u64(optarg, 0, &a->seed))
                return cli_usage(who, "run", "--seed: '%s' is not a number", optarg);
            a->has_seed = true;
            break;
        case 'S':
            if (sscanf(optarg, "%u/%u", &a->shard_i, &a->shard_n) != 2 || a->shard_n == 0 ||
                a->shard_i >= a->shard_n)
                return cli_usage(who, "run", "--shard: '%s' is not I/N with 0 <= I < N", optarg);
            a->has_shard = true;
            break;
        case 'r': a->replay = optarg; break;
        case 'J': a->junit = optarg; break;
        case 'O': a->json = optarg; break;
        case 'H': a->html = optarg; break;
        case 'v': a->verbose = true; break;
        case 'B': a->bootloader = optarg; break;
        case 'N': a->no_share = true; break;
        case 'L': {
            int rc = cli_layout(who, optarg, &a->layout);
            if (rc)
                return rc;
            if (a->layout.header_format != FW_HDR_V2)
                return cli_usage(who, "run", "--layout: '%s' uses the %s header format; scenarios run v2 "
                                 "header layouts only (so far)", a->layout.name,
                                 fw_hdr_format_name(a->layout.header_format));
            a->layout_arg = optarg;
            break;
        }
        case 'c':
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
                return cli_usage(who, "run", "--color: '%s' is not one of auto, always, never", optarg);
            a->color = optarg;
            break;
        case 'h': fputs(run_usage, stdout); return -1;
        default: return cli_opt_error(who, "run", c, argv);
        }
    }
    if (!a->has_shard) {
        const char *ti = getenv("GTEST_SHARD_INDEX"), *tn = getenv("GTEST_TOTAL_SHARDS");
        if (ti && tn && *ti && *tn) {
            char *e1, *e2;
            long i = strtol(ti, &e1, 10), n = strtol(tn, &e2, 10);
            if (*e1 || *e2 || n < 1 || i < 0 || i >= n)
                return cli_usage(who, "run", "GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS: '%s' is not a valid shard", ti);
            a->shard_i = (unsigned)i;
            a->shard_n = (unsigned)n;
        }
    }
    return FWEMU_EXIT_OK;
}

static int paths_add(cli_paths_t *l, char *p)
{
    if (!p)
        return CLI_ERR_NOMEM;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        char **nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) {
            free(p);
            return CLI_ERR_NOMEM;
        }
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = p;
    return CLI_OK;
}

void cli_paths_free(cli_paths_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    memset(p, 0, sizeof *p);
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool is_scenario_name(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.')
        return false;                 /* hidden files (editors' and tools' scratch copies) */
    return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The scenario files of directory path, sorted, into found. */
static int collect_dir(const char *path, cli_paths_t *found, char *err, size_t errlen)
{
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CLI_ERR_PATH;
    }
    int rc = CLI_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d)))
        if (is_scenario_name(e->d_name))
            rc = paths_add(found, join_path(path, e->d_name));
    closedir(d);
    if (rc) {
        snprintf(err, errlen, "%s: out of memory", path);
        return rc;
    }
    if (!found->n) {
        snprintf(err, errlen, "no scenarios in %s (no *.yaml or *.yml files)", path);
        return CLI_ERR_EMPTY;
    }
    qsort(found->v, found->n, sizeof *found->v, cmpstr);
    return CLI_OK;
}

int cli_run_collect(const char *path, cli_paths_t *out, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CLI_ERR_PATH;
    }
    if (!S_ISDIR(st.st_mode)) {
        int rc = paths_add(out, strdup(path));
        if (rc)
            snprintf(err, errlen, "%s: out of memory", path);
        return rc;
    }
    cli_paths_t found = { 0 };
    int rc = collect_dir(path, &found, err, errlen);
    for (size_t i = 0; i < found.n; i++) {
        if (!rc)
            rc = paths_add(out, found.v[i]);
        else
            free(found.v[i]);
    }
    free(found.v);
    if (rc == CLI_ERR_NOMEM)
        snprintf(err, errlen, "%s: out of memory", path);
    return rc;
}

static int collect(const char *path, cli_paths_t *out)
{
    char err[4200];
    int rc = cli_run_collect(path, out, err, sizeof err);
    if (rc)
        return cli_fail(rc == CLI_ERR_NOMEM ? FWEMU_EXIT_INTERNAL : FWEMU_EXIT_USAGE, who, "%s", err);
    return FWEMU_EXIT_OK;
}

/* The scenario files of the PATH operands (or the bundled suite). Returns an exit status. */
static int collect_all(int argc, char **argv, cli_paths_t *files)
{
    int rc = FWEMU_EXIT_OK;
    if (optind >= argc) {
        const char *dir = getenv("FWEMU_SCENARIOS");
        rc = collect(dir && *dir ? dir : FWEMU_SCENARIO_DIR, files);
    }
    for (int i = optind; i < argc && !rc; i++)
        rc = collect(argv[i], files);
    return rc;
}

/* The loaded suite: every file validated before anything runs. */
typedef struct suite {
    cli_paths_t files;
    const fw_layout_t *layout;    /* --layout, or NULL */
    scenario_t *sc;
    bool *loaded;
} suite_t;

static void suite_free(suite_t *su)
{
    for (size_t i = 0; i < su->files.n; i++)
        if (su->loaded && su->loaded[i])
            scenario_free(&su->sc[i]);
    cli_paths_free(&su->files);
    free(su->sc);
    free(su->loaded);
}

/* Load and validate every file (all errors printed). Returns an exit status. */
static int suite_load(suite_t *su)
{
    su->sc = calloc(su->files.n, sizeof *su->sc);
    su->loaded = calloc(su->files.n, sizeof *su->loaded);
    if (!su->sc || !su->loaded)
        return FWEMU_EXIT_INTERNAL;
    int bad = 0;
    for (size_t i = 0; i < su->files.n; i++) {
        char err[1024];
        if (scenario_load_layout(su->files.v[i], su->layout, &su->sc[i], err, sizeof err) != SCN_OK) {
            fprintf(stderr, "%s\n", err);
            bad++;
        } else {
            su->loaded[i] = true;
        }
    }
    for (size_t i = 0; i < su->files.n && !bad; i++)
        for (size_t j = i + 1; j < su->files.n; j++)
            if (!strcmp(su->sc[i].name, su->sc[j].name)) {
                fprintf(stderr, "%s:%d:%d: scenario name '%s' is also used by %s\n", su->files.v[j],
                        su->sc[j].pos.line, su->sc[j].pos.column, su->sc[j].name, su->files.v[i]);
                bad++;
            }
    if (bad)
        return cli_fail(FWEMU_EXIT_USAGE, who, "%d scenario file%s invalid; nothing was run", bad,
                        bad > 1 ? "s are" : " is");
    return FWEMU_EXIT_OK;
}

/* The indexes of the scenarios --filter / --replay select into sel (files.n long); *nsel. */
static int suite_select(const suite_t *su, const run_args_t *a, size_t *sel, size_t *nsel)
{
    char replay_name[256] = "";
    if (a->replay) {
        const char *at = strrchr(a->replay, '@');
        if (!at)
            return cli_usage(who, "run", "--replay: '%s' is not NAME@CUT", a->replay);
        snprintf(replay_name, sizeof replay_name, "%.*s", (int)(at - a->replay), a->replay);
    }
    *nsel = 0;
    for (size_t i = 0; i < su->files.n; i++) {
        if (a->filter && fnmatch(a->filter, su->sc[i].name, 0) != 0)
            continue;
        if (a->replay && strcmp(su->sc[i].name, replay_name))
            continue;
        sel[(*nsel)++] = i;
    }
    if (a->replay && !*nsel)
        return cli_fail(FWEMU_EXIT_USAGE, who, "--replay: no scenario named '%s'", replay_name);
    return FWEMU_EXIT_OK;
}

static void print_list(const suite_t *su, const size_t *sel, size_t nsel)
{
    for (size_t k = 0; k < nsel; k++) {
        const scenario_t *s = &su->sc[sel[k]];
        printf("%-48s %s", s->name, s->file);
        if (s->ntags) {
            printf("  [");
            for (size_t t = 0; t < s->ntags; t++)
                printf("%s%s", t ? ", " : "", s->tags[t]);
            printf("]");
        }
        printf("%s\n", s->sweep.enabled ? "  (sweep)" : "");
    }
}

typedef struct job {
    const scenario_t *s;
    const run_opts_t *o;
    int jobs;
    uint32_t shard_i, shard_n, shard_base;
    bool replay; const char *replay_id;
    bool pooled;                      /* a plain scenario: runs on the thread pool */
    bool skip;                        /* another shard's */
    run_verdict_t v;
    int rc;
    bool ran;
} job_t;

typedef struct pool { job_t *jobs; size_t n, next; pthread_mutex_t lock; } pool_t;

static void *pool_main(void *arg)
{
    pool_t *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next;
        while (i < p->n && !p->jobs[i].pooled)
            i++;                      /* sweeps run afterwards, with all threads each */
        p->next = i + 1;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n)
            return NULL;
        job_t *j = &p->jobs[i];
        j->rc = run_scenario(j->s, j->o, 1, j->shard_i, j->shard_n, j->shard_base, &j->v);
        j->ran = true;
    }
}

static bool use_color;
static const char *C(const char *code) { return use_color ? code : ""; }

static void progress(void *ctx, const char *name, size_t done, size_t total)
{
    (void)ctx;
    static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lk);
    fprintf(stderr, "\r  sweep %s: %zu/%zu cut points%s", name, done, total, done == total ? "\n" : "");
    fflush(stderr);
    pthread_mutex_unlock(&lk);
}

static char *stem_of(const char *file)
{
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    char *s = strdup(b);
    if (s) {
        char *dot = strrchr(s, '.');
        if (dot) *dot = 0;
    }
    return s;
}

static char *join_args(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = calloc(1, n + 6);
    if (!s) return NULL;
    strcat(s, "fwemu");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, i == 0 ? "run" : argv[i]);
    }
    return s;
}

/* The jobs of the selection; NULL when out of memory (ros then too, free both). */
static job_t *make_jobs(const suite_t *su, const size_t *sel, size_t nsel, const run_args_t *a,
                        run_opts_t **ros_out)
{
    run_opts_t ro = { .has_seed = a->has_seed, .seed = a->seed, .verbose = a->verbose || a->replay,
                      .program = "fwemu", .bootloader = a->bootloader, .no_share = a->no_share,
                      .layout = a->layout_arg };
    job_t *jl = calloc(nsel ? nsel : 1, sizeof *jl);
    run_opts_t *ros = calloc(nsel ? nsel : 1, sizeof *ros);
    *ros_out = ros;
    if (!jl || !ros)
        return jl;
    for (size_t k = 0; k < nsel; k++) {
        ros[k] = ro;
        ros[k].scenario_arg = su->sc[sel[k]].file;
        jl[k] = (job_t){ .s = &su->sc[sel[k]], .o = &ros[k], .jobs = a->jobs, .shard_i = a->shard_i,
                         .shard_n = a->shard_n, .shard_base = (uint32_t)k, .replay = a->replay != NULL,
                         .replay_id = a->replay };
    }
    return jl;
}

/* Plain scenarios of this shard on a pool of threads; sweeps and replays then use every thread
 * each. */
static void run_jobs(job_t *jl, size_t nsel, const run_args_t *a)
{
    for (size_t k = 0; k < nsel; k++) {
        bool plain = !jl[k].s->sweep.enabled && !jl[k].replay;
        jl[k].skip = plain && a->shard_n > 1 && k % a->shard_n != a->shard_i;
        jl[k].pooled = plain && !jl[k].skip;
    }
    pool_t p = { .jobs = jl, .n = nsel, .next = 0, .lock = PTHREAD_MUTEX_INITIALIZER };
    pthread_t th[256];
    int started = 0;
    if (a->jobs > 1)
        for (int t = 0; t < a->jobs; t++)
            if (pthread_create(&th[t], NULL, pool_main, &p) == 0)
                started++;
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    if (!started)
        pool_main(&p);
    for (size_t k = 0; k < nsel; k++) {
        job_t *j = &jl[k];
        if (j->skip || j->ran)
            continue;
        if (j->replay)
            j->rc = run_replay(j->s, j->o, j->replay_id, &j->v);
        else
            j->rc = run_scenario(j->s, j->o, a->jobs, a->shard_i, a->shard_n, (uint32_t)k, &j->v);
        j->ran = true;
    }
}

/* A report case per failed cut point of a sweep, beside the sweep's own case. */
static void report_failed_cut(rpt_suite_t *su, const char *cls, const scenario_t *s, const run_verdict_t *v,
                              const run_cut_t *cu, const char *modes)
{
    rpt_case_t *fc = rpt_add_case(su, cls, cu->id);
    if (!fc)
        return;
    char b[1024];
    fc->line = s->sweep.pos.line;
    rpt_case_set(fc, RPT_FAIL, cu->message, cu->details);
    snprintf(b, sizeof b, "%u %s", cu->seq, modes);
    rpt_add_prop(fc, "cut_point", b);
    snprintf(b, sizeof b, "%" PRIu64, v->seed);
    rpt_add_prop(fc, "seed", b);
    snprintf(b, sizeof b, "fwemu run %s --seed %" PRIu64 " --replay '%s' -v", s->file, v->seed, cu->id);
    rpt_add_prop(fc, "replay", b);
}

/* The sweep's table of cut points on case rc_index of su (adding cases may move su->cases). */
static void report_cuts(rpt_suite_t *su, size_t rc_index, const char *cls, const scenario_t *s,
                        const run_verdict_t *v)
{
    for (size_t i = 0; i < v->ncuts; i++) {
        const run_cut_t *cu = &v->cuts[i];
        rpt_cut_t *rcut = rpt_add_cut(&su->cases[rc_index]);
        if (!rcut)
            break;
        char modes[16];
        if (cu->seq2)
            snprintf(modes, sizeof modes, "%s/%s", scn_cut_mode_name(cu->mode), scn_cut_mode_name(cu->mode2));
        else
            snprintf(modes, sizeof modes, "%s", scn_cut_mode_name(cu->mode));
        rcut->id = rpt_strdup(cu->id);
        rcut->op_seq = cu->seq;
        rcut->op_kind = rpt_strdup(flash_op_kind_name(cu->kind));
        rcut->addr = cu->addr;
        rcut->len = cu->len;
        rcut->mode = rpt_strdup(modes);
        rcut->outcome = rpt_strdup(cu->outcome);
        rcut->boots = cu->boots;
        rcut->pass = cu->pass;
        rcut->message = cu->message ? rpt_strdup(cu->message) : NULL;
        if (!cu->pass)
            report_failed_cut(su, cls, s, v, cu, modes);
    }
}

/* One job into the report: a suite per scenario file, a case for the scenario. */
static void report_job(rpt_run_t *rr, const job_t *j, const run_args_t *a, bool err)
{
    const scenario_t *s = j->s;
    const run_verdict_t *v = &j->v;
    char *stem = stem_of(s->file);
    char cls[512];
    snprintf(cls, sizeof cls, "scenarios.%s", stem ? stem : "x");
    free(stem);
    rpt_suite_t *su = rpt_add_suite(rr, cls, s->file);
    char cname[512];
    if (a->shard_n > 1 && s->sweep.enabled)
        snprintf(cname, sizeof cname, "%s [shard %u/%u]", s->name, a->shard_i, a->shard_n);
    else
        snprintf(cname, sizeof cname, "%s", a->replay ? a->replay : s->name);
    rpt_case_t *rc = su ? rpt_add_case(su, cls, cname) : NULL;
    if (!rc)
        return;
    rc->line = v->line;
    rc->time_s = v->wall_s;
    rpt_case_set(rc, err ? RPT_ERROR : (v->pass ? RPT_PASS : RPT_FAIL), v->pass && !err ? NULL : v->message,
                 v->details);
    if (v->console) rc->console = rpt_strdup(v->console);
    char b[1024];
    snprintf(b, sizeof b, "%" PRIu64, v->seed);
    rpt_add_prop(rc, "seed", b);
    rpt_add_prop(rc, "bootloader_sha256", v->bootloader_digest);
    rpt_add_prop(rc, "active_slot_sha256", v->active_digest);
    rpt_add_prop(rc, "candidate_slot_sha256", v->candidate_digest);
    snprintf(b, sizeof b, "fwemu run %s --seed %" PRIu64 " --filter '%s' -v", s->file, v->seed, s->name);
    rpt_add_prop(rc, "replay", b);
    for (size_t t = 0; t < s->ntags; t++) {
        char **nt = realloc(rc->tags, (rc->ntags + 1) * sizeof *nt);
        if (nt) { rc->tags = nt; rc->tags[rc->ntags++] = rpt_strdup(s->tags[t]); }
    }
    report_cuts(su, (size_t)(rc - su->cases), cls, s, v);
}

/* One job on stdout: PASS/FAIL/ERROR, and what failed with its evidence. */
static void print_job(const job_t *j, const run_args_t *a, bool err)
{
    const scenario_t *s = j->s;
    const run_verdict_t *v = &j->v;
    const char *tag = err ? "ERROR" : (v->pass ? "PASS" : "FAIL");
    const char *col = err ? "\033[33m" : (v->pass ? "\033[32m" : "\033[31m");
    printf("%s%-5s%s %s", C(col), tag, C("\033[0m"), a->replay ? a->replay : s->name);
    if (v->ncuts)
        printf(" (%zu cut points, %zu failed)", v->ncuts, v->cuts_failed);
    printf(" [%.2f s]\n", v->wall_s);
    if (!v->pass || err) {
        printf("      %s:%d: %s\n", s->file, v->line, v->message);
        for (const char *p = v->details; p && *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            printf("      %.*s\n", (int)n, p);
            p += n + (nl ? 1 : 0);
        }
        if (v->cuts_failed > 1) {
            printf("      failing cut points:");
            size_t shown = 0;
            for (size_t i = 0; i < v->ncuts && shown < 20; i++)
                if (!v->cuts[i].pass) { printf(" %s", v->cuts[i].id); shown++; }
            printf("%s\n", v->cuts_failed > shown ? " ..." : "");
        }
    } else if (a->verbose && v->details) {
        fputs(v->details, stdout);
    }
    if (a->verbose && v->console && v->pass)
        printf("      console:\n%s\n", v->console);
}

/* Report and print every job that ran, write the report files, print the summary line.
 * Returns the exit status. */
static int finish(job_t *jl, size_t nsel, const run_args_t *a, int argc, char **argv, double time_s)
{
    rpt_run_t rr;
    memset(&rr, 0, sizeof rr);
    rr.tool = rpt_strdup("fwemu 0.1");
    rr.command = join_args(argc, argv);
    rr.seed = a->seed;
    rr.time_s = time_s;
    size_t passed = 0, failed = 0, errors = 0, cutfail = 0;
    for (size_t k = 0; k < nsel; k++) {
        const job_t *j = &jl[k];
        if (!j->ran)
            continue;
        bool err = j->v.setup_error || j->rc == RUN_ERR_INTERNAL;
        if (err) errors++; else if (j->v.pass) passed++; else failed++;
        cutfail += j->v.cuts_failed;
        report_job(&rr, j, a, err);
        print_job(j, a, err);
    }
    rpt_count(&rr);
    int code = FWEMU_EXIT_OK;
    char err[512];
    if (a->junit && rpt_write_junit(&rr, a->junit, err, sizeof err) != RPT_OK)
        code = cli_fail(FWEMU_EXIT_INTERNAL, who, "--junit: %s", err);
    if (a->json && rpt_write_json(&rr, a->json, err, sizeof err) != RPT_OK)
        code = cli_fail(FWEMU_EXIT_INTERNAL, who, "--json: %s", err);
    if (a->html && rpt_write_html(&rr, a->html, err, sizeof err) != RPT_OK)
        code = cli_fail(FWEMU_EXIT_INTERNAL, who, "--html: %s", err);
    rpt_run_free(&rr);
    if (cutfail)
        printf("(%zu failing cut points)\n", cutfail);
    if (errors)
        printf("%zu passed, %zu failed, %zu errors\n", passed, failed + errors, errors);
    else
        printf("%zu passed, %zu failed\n", passed, failed);
    if (code == FWEMU_EXIT_OK)
        code = failed ? FWEMU_EXIT_FAIL : errors ? FWEMU_EXIT_USAGE : FWEMU_EXIT_OK;
    return code;
}

static int run_selection(const suite_t *su, const size_t *sel, size_t nsel, const run_args_t *a, int argc,
                         char **argv)
{
    run_opts_t *ros = NULL;
    job_t *jl = make_jobs(su, sel, nsel, a, &ros);
    if (!jl || !ros) {
        free(jl);
        free(ros);
        return FWEMU_EXIT_INTERNAL;
    }
    if (isatty(2))
        run_set_progress(progress, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_jobs(jl, nsel, a);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double time_s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    int code = finish(jl, nsel, a, argc, argv, time_s);
    for (size_t k = 0; k < nsel; k++)
        run_verdict_free(&jl[k].v);
    free(jl);
    free(ros);
    return code;
}

int cmd_run(int argc, char **argv)
{
    run_args_t a;
    int code = parse_args(argc, argv, &a);
    if (code)
        return code < 0 ? FWEMU_EXIT_OK : code;
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    use_color = !strcmp(a.color, "always") ||
                (!strcmp(a.color, "auto") && isatty(1) && !(nc && *nc) && !(term && !strcmp(term, "dumb")));

    suite_t su = { .layout = a.layout_arg ? &a.layout : NULL };
    size_t *sel = NULL, nsel = 0;
    if ((code = collect_all(argc, argv, &su.files)) || (code = suite_load(&su)))
        goto done;
    sel = calloc(su.files.n, sizeof *sel);
    if (!sel) {
        code = FWEMU_EXIT_INTERNAL;
        goto done;
    }
    if ((code = suite_select(&su, &a, sel, &nsel)))
        goto done;
    if (a.list)
        print_list(&su, sel, nsel);
    else
        code = run_selection(&su, sel, nsel, &a, argc, argv);
done:
    free(sel);
    suite_free(&su);
    return code;
}
