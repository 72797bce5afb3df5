/*
 * fastd --idle-clock timerfd (reference-server/idle_timer.c): the same
 * idle timeouts, lingering closes and drain as the default clock, with a
 * timerfd in each request thread's epoll set instead of an epoll_wait()
 * timeout. Every test drives a real fastd; the CPU check is behaviour (a
 * timerfd left unread makes a busy loop), not a performance goal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/server/fastd_harness.h"

#define HELLO_GET "GET / HTTP/1.1\r\nHost: t\r\n\r\n"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int teardown(void **state)
{
    struct fastd *f = *state;
    if (f && f->pid > 0)
        fastd_stop(f, NULL, 0);
    free(f);
    *state = NULL;
    return 0;
}

/* Start fastd; a test may start a second one once the first is stopped. */
static struct fastd *start(void **state, const char *const *args)
{
    struct fastd *f = *state ? *state : calloc(1, sizeof *f);
    assert_non_null(f);
    *state = f;
    if (fastd_start(f, args, 0) < 0)
        fail_msg("fastd did not start");
    return f;
}

/* A keep-alive connection that has had one answer: fastd knows it. */
static int warm_conn(const struct fastd *f)
{
    int fd = fastd_connect(f);
    assert_true(fd >= 0);
    char buf[512];
    assert_int_equal(send_all(fd, HELLO_GET, strlen(HELLO_GET)), 0);
    assert_true(recv(fd, buf, sizeof buf, 0) > 0);
    return fd;
}

/* Wait up to ms for fastd to close fd: true if it did (a FIN or a reset),
 * false if fd is still open then. Bytes that arrive are discarded. */
static bool closed_within(int fd, int ms)
{
    long deadline = now_ms() + ms;
    for (;;) {
        long left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) == 0)
            return false;
        char buf[512];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return true;
    }
}

/* Wait up to ms for fastd to hold at most n fds. Watching /proc rather
 * than asking /stats matters: a request would wake the thread, and every
 * wake-up runs the expiry pass, timer or not. */
static bool fds_down_to(const struct fastd *f, int n, int ms)
{
    for (long end = now_ms() + ms; now_ms() < end; usleep(50 * 1000))
        if (proc_fd_count(f->pid) <= n)
            return true;
    return proc_fd_count(f->pid) <= n;
}

/* How many timerfds fastd holds, from the targets of /proc/PID/fd. */
static int timerfd_count(const struct fastd *f)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)proc_pid(f->pid));
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[400], target[128];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = 0;
        n += strcmp(target, "anon_inode:[timerfd]") == 0;
    }
    closedir(d);
    return n;
}

/* The CPU time fastd has used (user + system), in ms, from /proc/PID/stat. */
static long cpu_ms(const struct fastd *f)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)proc_pid(f->pid));
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    size_t len = fread(line, 1, sizeof line - 1, in);
    fclose(in);
    line[len] = 0;
    /* Fields 14 and 15 (utime, stime), counted after the command's ")":
     * the name itself may hold spaces. */
    const char *p = strrchr(line, ')');
    assert_non_null(p);
    unsigned long utime, stime;
    assert_int_equal(sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                            "%lu %lu",
                            &utime, &stime),
                     2);
    return (long)((utime + stime) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

/* One request thread per serving thread holds a timerfd; the default
 * clock has none, nor do accept threads. */
static void test_timerfd_per_request_thread(void **state)
{
    const char *args[] = {"--threads", "3", "--idle-clock", "timerfd", NULL};
    struct fastd *f = start(state, args);
    assert_int_equal(timerfd_count(f), 2); /* t0 accepts, t1 and t2 serve */
    assert_int_equal(fastd_stop(f, NULL, 0), 0);

    const char *wait_args[] = {"--threads", "3", NULL};
    f = start(state, wait_args);
    assert_int_equal(timerfd_count(f), 0);
    assert_int_equal(fastd_stop(f, NULL, 0), 0);
}

static void check_idle_closed(void **state, const char *arch)
{
    const char *args[] = {
        "--arch",         arch, "--threads", "2", "--idle-clock", "timerfd",
        "--idle-timeout", "1",  NULL};
    struct fastd *f = start(state, args);
    int fd = warm_conn(f);
    /* Idle for more than 1 s, at a whole second: closed within 2 s
     * (4 s allowed: the machine is shared). */
    if (!closed_within(fd, 4000))
        fail_msg("%s: an idle connection outlived --idle-timeout 1", arch);
    close(fd);
    assert_int_equal(fastd_total(f, "closed_timeout"), 1);
    assert_int_equal(fastd_stop(f, NULL, 0), 0);
}

static void test_idle_closed_staged(void **state)
{
    check_idle_closed(state, "staged");
}

static void test_idle_closed_shared_nothing(void **state)
{
    check_idle_closed(state, "shared-nothing");
}

/* A request every 250 ms for 2.5 s: never idle for a second, so the
 * timer's wake-ups (the oldest connection's deadline keeps moving) must
 * find it fresh every time. */
static void test_active_client_stays(void **state)
{
    const char *args[] = {"--idle-clock", "timerfd", "--idle-timeout", "1",
                          NULL};
    struct fastd *f = start(state, args);
    int fd = fastd_connect(f);
    assert_true(fd >= 0);
    char buf[512];
    for (int i = 0; i < 10; i++) {
        assert_int_equal(send_all(fd, HELLO_GET, strlen(HELLO_GET)), 0);
        if (recv(fd, buf, sizeof buf, 0) <= 0)
            fail_msg("an active client was cut after %d requests", i);
        usleep(250 * 1000);
    }
    close(fd);
    assert_int_equal(fastd_total(f, "closed_timeout"), 0);
    assert_int_equal(fastd_stop(f, NULL, 0), 0);
}

/* The timer fires for connection a, and must then be armed again for b,
 * which has a later deadline (at least a second later: whole seconds). */
static void test_expiry_rearms_for_the_next(void **state)
{
    const char *args[] = {
        "--threads", "2", "--idle-clock", "timerfd", "--idle-timeout",
        "1",         NULL};
    struct fastd *f = start(state, args);
    int a = warm_conn(f);
    usleep(1100 * 1000);
    int b = warm_conn(f);
    if (!closed_within(a, 4000))
        fail_msg("connection a outlived --idle-timeout 1");
    if (!closed_within(b, 4000))
        fail_msg("connection b outlived --idle-timeout 1: the timer was "
                 "not armed again after it fired for a");
    close(a);
    close(b);
    assert_int_equal(fastd_total(f, "closed_timeout"), 2);
    assert_int_equal(fastd_stop(f, NULL, 0), 0);
}

/* The classic timerfd mistake is not to read it when it fires: it stays
 * readable, level-triggered, and epoll_wait() returns at once for ever
 * (until the timer is armed again, which resets it: so test a thread left
 * with nothing to arm for). With no idle timeout, a lingering connection's
 * deadline fires the timer; then fastd's CPU time over 1.5 s, with an
 * idle keep-alive connection open, must stay far below the wall time: a
 * thread that sleeps uses almost none, a busy loop about a core. */
static void test_no_busy_loop_while_idle(void **state)
{
    const char *args[] = {
        "--threads", "2", "--idle-clock", "timerfd", "--idle-timeout",
        "0",         NULL};
    struct fastd *f = start(state, args);
    int idle = warm_conn(f);
    int fds = proc_fd_count(f->pid), bad = fastd_connect(f);
    assert_true(bad >= 0);
    assert_int_equal(send_all(bad, "BLAH\r\n\r\n", 8), 0);
    char buf[512];
    assert_true(recv(bad, buf, sizeof buf, 0) > 0);
    if (!fds_down_to(f, fds, 5000))
        fail_msg("a lingering connection was not closed in 5 s");
    long cpu0 = cpu_ms(f), t0 = now_ms();
    usleep(1500 * 1000);
    long cpu = cpu_ms(f) - cpu0, wall = now_ms() - t0;
    print_message("idle, timer fired: %ld ms of CPU in %ld ms\n", cpu, wall);
    if (cpu * 5 > wall)
        fail_msg("fastd used %ld ms of CPU in %ld ms with nothing to do", cpu,
                 wall);
    assert_int_equal(send_all(idle, HELLO_GET, strlen(HELLO_GET)), 0);
    assert_true(recv(idle, buf, sizeof buf, 0) > 0);
    close(idle);
    close(bad);
    assert_int_equal(fastd_stop(f, NULL, 0), 0);
}

/* Trace an idle fastd with one open connection for 1.5 s and count the
 * epoll_wait() calls that returned no event (`wake -1 0`: a timeout). */
static int count_empty_wakes(void **state, const char *clock)
{
    char trace[] = "/tmp/fastd-idle-clock-XXXXXX";
    int tfd = mkstemp(trace);
    assert_true(tfd >= 0);
    close(tfd);
    const char *args[] = {"--threads", "2", "--idle-clock", clock, "--trace",
                          trace,       NULL};
    struct fastd *f = start(state, args);
    int fd = warm_conn(f);
    usleep(1500 * 1000);
    close(fd);
    assert_int_equal(fastd_stop(f, NULL, 0), 0);
    FILE *in = fopen(trace, "r");
    assert_non_null(in);
    char line[256];
    int empty = 0;
    while (fgets(line, sizeof line, in)) {
        int n;
        if (sscanf(line, "%*u %*d %*d wake -1 %d", &n) == 1)
            empty += n == 0;
    }
    fclose(in);
    unlink(trace);
    return empty;
}

/* With the timerfd, epoll_wait() has no timeout: a request thread whose
 * connections are far from their deadline (60 s) sleeps. The default
 * clock wakes it once a second for nothing (the control: this test can
 * tell the two apart). */
static void test_idle_thread_sleeps(void **state)
{
    assert_int_equal(count_empty_wakes(state, "timerfd"), 0);
    assert_true(count_empty_wakes(state, "wait") >= 1);
}

/* A bad request is answered, then the connection lingers for 2 s at
 * most. The timer was armed for an idle connection's 60 s deadline: it
 * must be brought forward for the lingering one. */
static void test_lingering_close_expires(void **state)
{
    const char *args[] = {"--idle-clock", "timerfd", NULL};
    struct fastd *f = start(state, args);
    int idle = warm_conn(f);
    int fds = proc_fd_count(f->pid), bad = fastd_connect(f);
    assert_true(bad >= 0);
    assert_int_equal(send_all(bad, "BLAH\r\n\r\n", 8), 0);
    char buf[512];
    assert_true(recv(bad, buf, sizeof buf, 0) > 0);
    assert_int_equal(strncmp(buf, "HTTP/1.1 400", 12), 0);
    /* We never send our FIN, nor anything that would wake fastd: only the
     * timer, at the linger deadline, can close it. */
    if (!fds_down_to(f, fds, 5000))
        fail_msg("a lingering connection was not closed in 5 s");
    assert_int_equal(fastd_total(f, "closed_error"), 1);
    /* The idle one is far from its deadline and still served. */
    assert_int_equal(send_all(idle, HELLO_GET, strlen(HELLO_GET)), 0);
    assert_true(recv(idle, buf, sizeof buf, 0) > 0);
    close(idle);
    close(bad);
    assert_int_equal(fastd_stop(f, NULL, 0), 0);
}

/* SIGTERM: the idle connection goes after the grace period, the request
 * in flight is answered, fastd exits 0. The drain's checks come from the
 * timer's ticks: no event would wake the thread for the idle one. */
static void test_drain_answers_in_flight(void **state)
{
    const char *args[] = {"--idle-clock", "timerfd", NULL};
    struct fastd *f = start(state, args);
    int idle = warm_conn(f), busy = fastd_connect(f);
    assert_true(busy >= 0);
    assert_int_equal(send_all(busy, "GET / HTTP/1.1\r\n", 16), 0);
    usleep(200 * 1000);
    kill(f->pid, SIGTERM);
    if (!closed_within(idle, 3000))
        fail_msg("the drain left an idle connection open");
    assert_int_equal(send_all(busy, "Host: t\r\n\r\n", 11), 0);
    char buf[1024];
    recv_until_close(busy, buf, sizeof buf);
    assert_non_null(strstr(buf, "Hello, World!"));
    assert_non_null(strstr(buf, "Connection: close"));
    close(idle);
    close(busy);
    assert_int_equal(fastd_wait(f, NULL, 0), 0);
}

/* A request that never completes holds the drain until its 5 s
 * deadline, which only the timer's ticks can notice: fastd still ends,
 * on its own, with status 0 (fastd_wait() allows 10 s). */
static void test_drain_gives_up_at_deadline(void **state)
{
    const char *args[] = {"--idle-clock", "timerfd", NULL};
    struct fastd *f = start(state, args);
    int stuck = fastd_connect(f);
    assert_true(stuck >= 0);
    assert_int_equal(send_all(stuck, "GET / HTTP/1.1\r\n", 16), 0);
    usleep(200 * 1000);
    kill(f->pid, SIGTERM);
    if (!closed_within(stuck, 8000))
        fail_msg("the drain never gave up on an unfinished request");
    close(stuck);
    assert_int_equal(fastd_wait(f, NULL, 0), 0);
}

/* usage: test_idle_clock [PATTERN] - run only the tests matching PATTERN. */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    /* The timerfd is an epoll setting: fastd refuses it with --io uring. */
    if (strcmp(fastd_io(), "") != 0 && strcmp(fastd_io(), "epoll") != 0) {
        printf("[  SKIPPED ] every test: --idle-clock timerfd needs --io "
               "epoll, not %s\n",
               fastd_io());
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_timerfd_per_request_thread, teardown),
        cmocka_unit_test_teardown(test_idle_closed_staged, teardown),
        cmocka_unit_test_teardown(test_idle_closed_shared_nothing, teardown),
        cmocka_unit_test_teardown(test_active_client_stays, teardown),
        cmocka_unit_test_teardown(test_expiry_rearms_for_the_next, teardown),
        cmocka_unit_test_teardown(test_no_busy_loop_while_idle, teardown),
        cmocka_unit_test_teardown(test_idle_thread_sleeps, teardown),
        cmocka_unit_test_teardown(test_lingering_close_expires, teardown),
        cmocka_unit_test_teardown(test_drain_answers_in_flight, teardown),
        cmocka_unit_test_teardown(test_drain_gives_up_at_deadline, teardown),
    };
    return cmocka_run_group_tests_name("idle_clock", tests, NULL, NULL);
}
