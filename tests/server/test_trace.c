/*
 * trace.c on its own (issue 24): the exit-time merge puts interleaved
 * per-thread runs in time order without losing or adding a line, stops
 * when asked, and leaves alone what is not a regular file; a trace whose
 * writes fail drops and counts its events instead of blocking or
 * flooding stderr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reference-server/trace.h"

/* A temporary folder per test, removed with what is in it. */
static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/fastd-trace-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/t.fdt", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write a trace as fastd does: the header, then buffers of each thread's
 * lines (each run in time order) interleaved, threads taking turns. */
static void write_interleaved(int threads, int per_thread, int run)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# fdtrace 1 arch=staged threads=%d cores=2\n", threads);
    int next[8] = {0};
    for (int done = 0; done < threads;) {
        done = 0;
        for (int t = 0; t < threads; t++) {
            if (next[t] >= per_thread) {
                done++;
                continue;
            }
            /* Thread t's i-th event at t_ns = 10 i + t: the threads'
             * times interleave finely, their buffers coarsely. */
            for (int k = 0; k < run && next[t] < per_thread; k++, next[t]++)
                fprintf(f, "%d %d 0 recv 7 %d\n", 10 * next[t] + t, t, next[t]);
        }
    }
    fclose(f);
}

static void test_sort_merges_runs(void **state)
{
    (void)state;
    write_interleaved(3, 5000, 700);
    char err[256];
    assert_int_equal(trace_sort(path, NULL, NULL, err, sizeof err), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[128];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "# fdtrace 1 arch=staged threads=3 cores=2\n");
    long want = 0, n = 0;
    while (fgets(line, sizeof line, f)) {
        long t = strtol(line, NULL, 10);
        /* Every time 0 .. 3 * 5000 * 10 that some thread had, in order. */
        while (want % 10 >= 3)
            want++;
        if (t != want)
            fail_msg("line %ld of the sorted trace has time %ld, not %ld", n, t,
                     want);
        want++;
        n++;
    }
    fclose(f);
    assert_int_equal(n, 3 * 5000);
}

/* A lying header (fewer threads than wrote) loses no line either. */
static void test_sort_keeps_unknown_threads(void **state)
{
    (void)state;
    write_interleaved(3, 100, 30);
    /* Say threads=2: thread 2's lines have no cursor of their own. */
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "# fdtrace 1 arch=staged threads=2", 33, 0),
                     33);
    close(fd);
    char err[256];
    assert_int_equal(trace_sort(path, NULL, NULL, err, sizeof err), 0);
    FILE *f = fopen(path, "r");
    char line[128];
    int n = -1;
    while (fgets(line, sizeof line, f))
        n++;
    fclose(f);
    assert_int_equal(n, 300);
}

static bool stop_now(void *arg)
{
    int *calls = arg;
    (*calls)++;
    return true;
}

/* Stopped, the sort leaves the trace as written and nothing beside it. */
static void test_sort_stops_when_asked(void **state)
{
    (void)state;
    write_interleaved(2, 20000, 1000);
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    char err[256];
    int calls = 0;
    assert_int_equal(trace_sort(path, stop_now, &calls, err, sizeof err), 1);
    assert_int_equal(calls, 1);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(after.st_size, before.st_size);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
}

/* A FIFO is not reopened to be read (that would wait for a writer). */
static void test_sort_leaves_fifo(void **state)
{
    (void)state;
    assert_int_equal(mkfifo(path, 0600), 0);
    char err[256];
    assert_int_equal(trace_sort(path, NULL, NULL, err, sizeof err), 0);
}

/* /dev/full: the trace opens (fastd serves), every flush fails, the
 * events are counted as dropped and the warning comes once a second at
 * most, not once per flush. */
static void test_write_errors_drop_and_warn_once(void **state)
{
    (void)state;
    char err[256];
    int fd = trace_open("/dev/full", "staged", 1, 1, err, sizeof err);
    assert_true(fd >= 0);
    struct trace_buf *tb = trace_buf_new(fd, 0, 0, trace_now_ns());
    assert_non_null(tb);
    /* stderr into a file, to count the warnings. */
    char log[160];
    snprintf(log, sizeof log, "%s/stderr", dir);
    int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(logfd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(logfd, STDERR_FILENO);
    for (int i = 0; i < 10; i++) {
        for (int k = 0; k < 100; k++)
            trace_emit(tb, FD_RECV, 7, k);
        trace_flush(tb);
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(logfd);
    assert_int_equal(tb->dropped, 1000);
    free(tb);
    close(fd);
    FILE *f = fopen(log, "r");
    char line[256];
    int warnings = 0;
    while (fgets(line, sizeof line, f))
        warnings++;
    fclose(f);
    /* Ten flushes within a second or two: one or two lines. */
    if (warnings < 1 || warnings > 2)
        fail_msg("%d warnings for 10 failed flushes", warnings);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sort_merges_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sort_keeps_unknown_threads, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sort_stops_when_asked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sort_leaves_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_errors_drop_and_warn_once,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
