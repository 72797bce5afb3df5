/*
 * make bench MINE=1 at both ends of the course (issue 22): with the
 * untouched starters it exits 0 and every row of its table is either
 * measured or names the exercise that unlocks it (pipelining and
 * Connection: close: 05; the shared-nothing listeners: 02; a slow reader
 * of 64 KiB bodies: 06; io_uring: 08); with every solution in place
 * (MINE_SRC = a copy of exercises/ with solution/ copied over the
 * starters) every row shows the learner's figure beside the reference's,
 * and the memory line has both. Short runs: BENCH_SECONDS=1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

/* The rows scripts/bench/mine.sh prints, in its order. */
static const char *const rows[] = {
    "staged keep-alive",
    "staged pipelined",
    "staged churn",
    "staged body64k",
    "shared-nothing keep-alive",
    "shared-nothing churn",
    "staged-uring keep-alive",
    "staged-uring pipelined",
};
#define NROWS (sizeof rows / sizeof rows[0])

struct bench {
    int status;
    char *out;
};

/* Run make bench MINE=1 with the learner's files from src, building into
 * build; returns its exit status and its output. */
static struct bench run_bench(const char *src, const char *build)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN BENCH_SECONDS=1 "
             "BENCH_TW_WAIT=0 BENCH_MEM_CONNS=200 make --no-print-directory "
             "bench MINE=1 MINE_SRC=%s BUILD=%s REF_BUILD=" BUILD_DIR " 2>&1",
             src, build);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, n;
    char *out = malloc(cap);
    while ((n = fread(out + len, 1, cap - 1 - len, p)) > 0) {
        len += n;
        if (len + 1 == cap)
            out = realloc(out, cap *= 2);
    }
    out[len] = 0;
    int st = pclose(p);
    print_message("%s", out);
    return (struct bench){WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

/* The summary table's line for a row ("staged churn   123   456  0.27x"
 * or "staged churn   -   456   needs exercise 05 (...)"). */
static const char *table_line(const char *out, const char *row)
{
    const char *t = strstr(out, "row (req/s)");
    if (!t)
        fail_msg("no summary table in make bench MINE=1's output");
    for (const char *p = t; (p = strstr(p, row)) != NULL; p++)
        if (p[-1] == '\n' && p[strlen(row)] == ' ')
            return p + strlen(row);
    fail_msg("the summary table has no row '%s'", row);
    return NULL;
}

/* Does the row's line show a figure for mine (not "-")? */
static bool mine_measured(const char *line)
{
    long mine = -1, ref = -1;
    return sscanf(line, "%ld %ld", &mine, &ref) == 2 && mine > 0 && ref > 0;
}

static bool uring_unavailable(const char *out)
{
    return strstr(out, "io_uring is unavailable here") != NULL;
}

static void want_memory_line(const char *out, bool mine_too)
{
    const char *m = table_line(out, "memory");
    char a[32], b[32];
    assert_int_equal(sscanf(m, "%31s %31s", a, b), 2);
    if (atol(b) <= 0)
        fail_msg("no memory figure for the reference: '%s' '%s'", a, b);
    if (mine_too && atol(a) <= 0)
        fail_msg("no memory figure for the learner's fastd: '%s'", a);
}

static void starters_explain_every_row(void **state)
{
    (void)state;
    struct bench b = run_bench("exercises", BUILD_DIR "/bench-mine");
    assert_int_equal(b.status, 0);
    /* What each locked row must name: the starters cannot serve it. */
    const char *const unlock[NROWS] = {
        NULL,          "exercise 05", "exercise 05", "exercise 06",
        "exercise 02", "exercise 02", "exercise 08", "exercise 08",
    };
    for (size_t i = 0; i < NROWS; i++) {
        const char *line = table_line(b.out, rows[i]);
        const char *eol = strchr(line, '\n');
        int len = eol ? (int)(eol - line) : (int)strlen(line);
        if (!unlock[i]) {
            if (!mine_measured(line))
                fail_msg("row '%s': the starters serve it, but it shows "
                         "no figure for them:%.*s",
                         rows[i], len, line);
            continue;
        }
        if (strstr(rows[i], "uring") && uring_unavailable(b.out))
            continue;
        char *seg = strndup(line, (size_t)len);
        if (mine_measured(seg) || !strstr(seg, unlock[i]))
            fail_msg("row '%s': the starters cannot serve it, and the row "
                     "should name %s:%s",
                     rows[i], unlock[i], seg);
        free(seg);
    }
    want_memory_line(b.out, true);
    free(b.out);
}

static void solutions_fill_every_row(void **state)
{
    (void)state;
    char dir[] = "/tmp/bench-solutions.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[1024];
    /* -L: a solution/ file is a link to the reference's file. */
    snprintf(cmd, sizeof cmd,
             "cp -rL exercises/. %s/ && for d in %s/[0-9][0-9]-*/; do "
             "[ -d \"$d/solution\" ] && cp \"$d\"/solution/* \"$d\"/; done",
             dir, dir);
    assert_int_equal(system(cmd), 0);
    /* The same tree as the starters': only the exercises' files differ
     * (and a MINE build relinks when MINE_SRC changes). */
    struct bench b = run_bench(dir, BUILD_DIR "/bench-mine");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        print_message("could not remove %s\n", dir);
    assert_int_equal(b.status, 0);
    for (size_t i = 0; i < NROWS; i++) {
        const char *line = table_line(b.out, rows[i]);
        if (strstr(rows[i], "uring") && uring_unavailable(b.out))
            continue;
        if (!mine_measured(line))
            fail_msg("row '%s': every solution is in place, yet the row "
                     "has no figure for the learner's fastd:%.*s",
                     rows[i], (int)strcspn(line, "\n"), line);
    }
    assert_null(strstr(b.out, "unlocks it"));
    want_memory_line(b.out, true);
    free(b.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(starters_explain_every_row),
        cmocka_unit_test(solutions_fill_every_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
