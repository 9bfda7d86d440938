/*
 * The verdict model of one `fwemu run` and its writers (JUnit XML, JSON, HTML).
 * Writers never run anything: they turn a finished rpt_run_t into a file. Every writer writes
 * the whole report or nothing (temporary file in the same directory, fsync, rename).
 *
 * Strings are owned by the model (rpt_run_free frees everything); NULL means absent. Strings may
 * hold anything (control characters, invalid UTF-8): the writers sanitise what they emit.
 *
 * Arrays grow only through the rpt_add_* helpers (their capacity is implied by the count: 4, then
 * the next power of two), so do not fill an array by hand and then add to it. A pointer returned
 * by an rpt_add_* helper stays valid until the next add to the same array (realloc).
 *
 * What the writers make of the model:
 * - JUnit: <testsuites> with the run's counts; one <testsuite> per suite with run-wide properties
 *   (tool, command, seed); one <testcase> per case with its properties (plus "tags" and, for
 *   sweeps, "cut_points" / "cut_points_failed"), <failure>/<error>/<skipped> carrying message
 *   (one line, at most RPT_MESSAGE_MAX bytes) and details, <system-out> with the console (its last
 *   RPT_CONSOLE_MAX bytes, after a marker line). classname + name are made unique (" #2", ...).
 *   Cut tables are not in JUnit: the runner adds failing cut points as cases of their own.
 * - JSON: the whole model, consoles untruncated; absent strings and line <= 0 are null; a seed
 *   above INT64_MAX is written as a decimal string; duplicate property names: the last wins.
 *   The same model always gives the same bytes.
 * - HTML: one static page; consoles truncated like JUnit.
 * Counts in every report are computed from the cases (rpt_count is for the caller's own use).
 */
#ifndef FWEMU_REPORT_H
#define FWEMU_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum rpt_err {
    RPT_OK = 0,
    RPT_ERR_IO = -1,          /* cannot write the file (message in err) */
    RPT_ERR_NOMEM = -2,
} rpt_err_t;

typedef enum rpt_status { RPT_PASS = 0, RPT_FAIL, RPT_ERROR, RPT_SKIP } rpt_status_t;

typedef struct rpt_prop { char *name, *value; } rpt_prop_t;

/* One cut point of a sweep (JSON carries the full table; JUnit only the failing ones, as cases). */
typedef struct rpt_cut {
    char *id;                 /* replay id, e.g. "install-sweep@12t" */
    uint32_t op_seq;          /* flash operation index (from power-on of the recording run) */
    char *op_kind;            /* "program", "erase_sector", ... */
    uint32_t addr, len;
    char *mode;               /* "before", "after", "torn" (nested: "after/torn") */
    char *outcome;            /* e.g. "app v2 running after 1 boot", "bricked" */
    uint32_t boots;           /* boots after the cut until expect held (or the limit) */
    bool pass;
    char *message;            /* one line when failed */
} rpt_cut_t;

typedef struct rpt_case {
    char *classname;          /* unique with name: "scenarios.<file stem>" */
    char *name;               /* scenario name, or "<name>@<cut id>" for a failing cut point */
    char *file;               /* scenario YAML path */
    int line;                 /* line of the failing step / expectation (else the scenario) */
    rpt_status_t status;
    char *message;            /* one line: what failed (failure@message) */
    char *details;            /* expected vs found, event log tail, replay command */
    char *console;            /* system-out (console of the device, may be long) */
    double time_s;            /* wall time */
    rpt_prop_t *props; size_t nprops;   /* seed, firmware digests, cut point, replay command */
    rpt_cut_t *cuts; size_t ncuts;      /* sweep table (JSON only) */
    char **tags; size_t ntags;
} rpt_case_t;

typedef struct rpt_suite {
    char *name;               /* "scenarios.<file stem>" */
    char *file;
    rpt_case_t *cases; size_t ncases;
} rpt_suite_t;

typedef struct rpt_run {
    char *tool;               /* "fwemu 0.1" */
    char *command;            /* the command line that produced it */
    uint64_t seed;
    double time_s;
    rpt_suite_t *suites; size_t nsuites;
    size_t passed, failed, errors, skipped;   /* counts of cases */
} rpt_run_t;

/* Building helpers (copy their string arguments; NULL stays NULL). Those returning a pointer
 * return NULL when out of memory, those returning int return RPT_OK or RPT_ERR_NOMEM. */
rpt_suite_t *rpt_add_suite(rpt_run_t *run, const char *name, const char *file);
/* A zeroed case (RPT_PASS) whose file is a copy of the suite's file. */
rpt_case_t *rpt_add_case(rpt_suite_t *s, const char *classname, const char *name);
/* Sets the status and replaces message and details (the old strings are freed). */
int rpt_case_set(rpt_case_t *c, rpt_status_t st, const char *message, const char *details);
int rpt_add_prop(rpt_case_t *c, const char *name, const char *value);
int rpt_add_tag(rpt_case_t *c, const char *tag);
/* A zeroed cut point; fill its strings with rpt_strdup. */
rpt_cut_t *rpt_add_cut(rpt_case_t *c);
char *rpt_strdup(const char *s);
void rpt_count(rpt_run_t *run);            /* fill passed/failed/errors/skipped */
void rpt_run_free(rpt_run_t *run);         /* frees contents; run itself may be on the stack */

/* Writers. err gets one line on failure. RPT_ERR_IO also covers a NULL/empty path or one that
 * ends in '/'; on any error the file at path is left as it was. */
int rpt_write_junit(const rpt_run_t *run, const char *path, char *err, size_t errlen);
int rpt_write_json(const rpt_run_t *run, const char *path, char *err, size_t errlen);
int rpt_write_html(const rpt_run_t *run, const char *path, char *err, size_t errlen);

/* ---- Shared by the writers in reports/; not for callers --------------------------------- */

#define RPT_CONSOLE_MAX (64u * 1024u)   /* console bytes kept in JUnit / HTML (the tail) */
#define RPT_MESSAGE_MAX 300u            /* bytes of a one-line message attribute */

enum {
    RPT_TEXT_XML = 1,       /* drop characters XML 1.0 forbids (controls but \t \n \r, U+FFFE/F) */
    RPT_TEXT_ONELINE = 2,   /* \t \r \n become spaces, leading/trailing blanks go */
};
/* A malloc'ed copy of s (NULL -> "") that is valid UTF-8 (each invalid byte becomes '?'), filtered
 * by flags, and cut at a character boundary to at most max bytes with "..." (max 0: no limit).
 * NULL when out of memory. */
char *rpt_text_clean(const char *s, unsigned flags, size_t max);
/* Write clean text with & < > " ' and \r escaped (&#13;); in attributes also \t and \n, so that
 * parsers keep them (XML 1.0 sections 2.11, 3.3.3). */
void rpt_fput_escaped(FILE *f, const char *clean, bool attr);
/* The console as the JUnit/HTML reports show it: cleaned (RPT_TEXT_XML) and, beyond
 * RPT_CONSOLE_MAX bytes, only its tail after a marker line. NULL when out of memory. */
char *rpt_console_tail(const char *console);
/* counts[st] = cases of suite s with status st. */
void rpt_tally(const rpt_suite_t *s, size_t counts[4]);
/* Seconds with millisecond precision, locale-independent ("12.345"); NaN/negative -> "0.000". */
void rpt_fmt_seconds(double s, char out[32]);
/* One atomic write for every writer (fileio_write_atomic); RPT_OK, RPT_ERR_IO or RPT_ERR_NOMEM. */
int rpt_write_file(const char *path, const char *data, size_t len, char *err, size_t errlen);
/* Close a document built with open_memstream (f may be NULL when it could not be opened) and
 * write it whole with rpt_write_file; oom: the writer already ran out of memory. *buf and
 * *size are the open_memstream variables (valid only after the close). Frees *buf.
 * `what` names the report in messages ("JUnit", "HTML"). */
int rpt_finish_stream(FILE *f, char **buf, size_t *size, bool oom, const char *what, const char *path,
                      char *err, size_t errlen);

#endif
