/* fastd's /work teaching endpoint (reference-server/work.h): off by default,
 * bounded when on, and no way to pin a server that did not enable it;
 * and --incoming-cpu, the thread chosen by the core that processed the
 * connection's packets (reference-server/steer.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/server/fastd_harness.h"

static struct fastd f;

static int stop_fastd(void **state)
{
    (void)state;
    if (f.pid > 0)
        fastd_stop(&f, NULL, 0);
    return 0;
}

static void start(const char *const *args)
{
    assert_int_equal(fastd_start(&f, args, 0), 0);
}

/* CPU seconds (user + system) fastd has used so far, from /proc. */
static double fastd_cpu_seconds(void)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)f.pid);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    assert_non_null(p);
    unsigned long ut = 0, st = 0;
    /* Fields after the command: state is 3rd, utime 14th, stime 15th. */
    assert_int_equal(sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                            "%*u %lu %lu",
                            &ut, &st),
                     2);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* conns connections at once, each pipelining per requests for path; the
 * status lines of all answers are counted into ok (200), refused (400)
 * and unknown (404). */
static void flood(const char *path, int conns, int per, int *ok, int *refused,
                  int *unknown)
{
    int fds[64];
    assert_true(conns <= 64);
    char req[256], *batch = malloc((size_t)per * sizeof req);
    char *resp = malloc(1 << 20);
    assert_non_null(batch);
    assert_non_null(resp);
    int len =
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    for (int k = 0; k < per; k++)
        memcpy(batch + (size_t)k * (size_t)len, req, (size_t)len);
    for (int i = 0; i < conns; i++) {
        fds[i] = fastd_connect(&f);
        assert_true(fds[i] >= 0);
        /* The last request asks to close, so that every answer ends. */
        assert_int_equal(
            send_all(fds[i], batch, (size_t)(per - 1) * (size_t)len), 0);
        char last[256];
        int n = snprintf(last, sizeof last,
                         "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close"
                         "\r\n\r\n",
                         path);
        assert_int_equal(send_all(fds[i], last, (size_t)n), 0);
    }
    *ok = *refused = *unknown = 0;
    for (int i = 0; i < conns; i++) {
        recv_until_close(fds[i], resp, 1 << 20);
        *ok += count_substr(resp, "HTTP/1.1 200");
        *refused += count_substr(resp, "HTTP/1.1 400");
        *unknown += count_substr(resp, "HTTP/1.1 404");
        close(fds[i]);
    }
    free(batch);
    free(resp);
}

/* A server started without --work-max-us does no work for /work: 64
 * connections each asking for 20 seconds of spinning get 404s, and fastd
 * uses a small fraction of the 1280 s of CPU that would have cost. */
static void test_off_by_default(void **state)
{
    (void)state;
    start(NULL);
    char body[256];
    assert_int_equal(fastd_get(&f, "/work?us=1000", body, sizeof body), 404);
    double cpu0 = fastd_cpu_seconds(), t0 = now_s();
    int ok, refused, unknown;
    flood("/work?us=1000000", 64, 20, &ok, &refused, &unknown);
    assert_int_equal(ok, 0);
    assert_true(unknown >= 64); /* at least one 404 per connection */
    double cpu = fastd_cpu_seconds() - cpu0;
    if (cpu > 5.0)
        fail_msg("fastd used %.2f s of CPU for requests it should refuse "
                 "(%.2f s wall)",
                 cpu, now_s() - t0);
    /* And it still serves. */
    assert_int_equal(fastd_get(&f, "/plaintext", body, sizeof body), 200);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

/* Enabled with a cap: N up to the cap is done (and takes at least N us,
 * since it spins on the clock); above it, or malformed, is refused
 * before any work. */
static void test_bounded_when_on(void **state)
{
    (void)state;
    start((const char *[]){"--work-max-us", "20000", NULL});
    char body[256];
    double t0 = now_s();
    assert_int_equal(fastd_get(&f, "/work?us=15000", body, sizeof body), 200);
    assert_true(now_s() - t0 >= 0.015);
    assert_string_equal(body, "worked 15000 us\n");
    assert_int_equal(fastd_get(&f, "/work?us=0", body, sizeof body), 200);
    assert_int_equal(fastd_get(&f, "/work?us=20000", body, sizeof body), 200);
    static const char *const bad[] = {
        "/work?us=20001", "/work?us=99999999999999999999999999999999",
        "/work?us=-5",    "/work?us=",
        "/work?us=12abc", "/work?us=10&us=20",
        "/work?n=10",     "/work",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (fastd_get(&f, bad[i], body, sizeof body) != 400)
            fail_msg("%s was not refused with 400", bad[i]);
    /* HEAD does the work and sends no body. */
    char resp[1024];
    assert_int_equal(fastd_request(&f,
                                   "HEAD /work?us=10 HTTP/1.1\r\nHost: t\r\n"
                                   "Connection: close\r\n\r\n",
                                   resp, sizeof resp),
                     200);
    assert_null(strstr(resp, "worked"));
    /* Many huge requests at once on an enabled server: all refused, and
     * refusing them is cheap. */
    double cpu0 = fastd_cpu_seconds();
    int ok, refused, unknown;
    flood("/work?us=999999999", 64, 20, &ok, &refused, &unknown);
    assert_int_equal(ok, 0);
    assert_true(refused >= 64);
    assert_true(fastd_cpu_seconds() - cpu0 < 5.0);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

/* Many allowed requests at once: each is bounded by the cap, so the whole
 * flood costs at most conns x per x cap of CPU, and fastd answers them all. */
static void test_many_allowed_are_answered(void **state)
{
    (void)state;
    start((const char *[]){"--work-max-us", "1000", NULL});
    int ok, refused, unknown;
    flood("/work?us=1000", 16, 10, &ok, &refused, &unknown);
    assert_int_equal(ok, 160);
    assert_int_equal(refused + unknown, 0);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

static int run_fastd(const char *arg1, const char *arg2)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        freopen("/dev/null", "w", stdout);
        execl(FASTD_BIN, FASTD_BIN, arg1, arg2, "--help", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_flag_values(void **state)
{
    (void)state;
    assert_int_equal(run_fastd("--work-max-us", "1000001"), 2);
    assert_int_equal(run_fastd("--work-max-us", "-1"), 2);
    assert_int_equal(run_fastd("--work-max-us", "lots"), 2);
    assert_int_equal(run_fastd("--work-max-us", "1000000"), 0); /* --help */
}

/* Pin this process to cpu, make n connections with one request each. */
static void requests_from(int cpu, int n)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    assert_int_equal(sched_setaffinity(0, sizeof set, &set), 0);
    char body[64];
    for (int i = 0; i < n; i++)
        assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
}

static void unpin(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c = 0; c < CPU_SETSIZE; c++)
        CPU_SET(c, &set);
    sched_setaffinity(0, sizeof set, &set);
}

/* On loopback the kernel processes a client's packets on the client's
 * CPU, so a pinned client decides SO_INCOMING_CPU. With --incoming-cpu
 * every connection must be served by the thread on that core: for staged
 * the acceptor picks it, for shared-nothing the kernel's reuseport group. */
static void check_incoming_cpu(const char *arch, const char *threads,
                               int served_cpu1, int served_cpu0)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t mine;
    if (cpus < 2 || sched_getaffinity(0, sizeof mine, &mine) < 0 ||
        !CPU_ISSET(0, &mine) || !CPU_ISSET(1, &mine))
        skip(); /* needs cpu0 and cpu1 */
    start((const char *[]){"--arch", arch, "--threads", threads,
                           "--incoming-cpu", NULL});
    requests_from(1, 20);
    requests_from(0, 10);
    unpin();
    char json[32768];
    assert_int_equal(fastd_get(&f, "/stats", json, sizeof json), 200);
    /* served_cpuN: the id of the thread pinned there that serves. */
    long on1 = stats_counter(json, served_cpu1, "requests");
    long on0 = stats_counter(json, served_cpu0, "requests");
    if (on1 != 20 || on0 != 10)
        fail_msg("%s: thread on cpu1 served %ld (want 20), on cpu0 %ld "
                 "(want 10): %s",
                 arch, on1, on0, f.banner);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
}

static void test_incoming_cpu_staged(void **state)
{
    (void)state;
    /* t0 accepts on cpu0, t1 serves on cpu1, t2 serves on cpu0. Round-
     * robin alone would split 15/15. */
    check_incoming_cpu("staged", "3", 1, 2);
}

static void test_incoming_cpu_shared_nothing(void **state)
{
    (void)state;
    check_incoming_cpu("shared-nothing", "2", 1, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_off_by_default, stop_fastd),
        cmocka_unit_test_teardown(test_bounded_when_on, stop_fastd),
        cmocka_unit_test_teardown(test_many_allowed_are_answered, stop_fastd),
        cmocka_unit_test(test_flag_values),
        cmocka_unit_test_teardown(test_incoming_cpu_staged, stop_fastd),
        cmocka_unit_test_teardown(test_incoming_cpu_shared_nothing, stop_fastd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
