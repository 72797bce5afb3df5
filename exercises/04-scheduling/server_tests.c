/*
 * Exercise 04, layer (b): fastd's --schedule cases, run against the
 * learner's fastd ($FASTD_BIN). Two request threads; connection A, then
 * B, then B closes, then C: the trace's hand-off lines say where each
 * went. Round-robin sends C where A is; least and p2c send it to B's
 * thread, now the idle one.
 */
#include "exercises/grader/graded.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* The harness is compiled in: the grader builds this file alone. */
#include "tests/server/fastd_harness.c"

#define HELLO_GET "GET / HTTP/1.1\r\nHost: t\r\n\r\n"

static struct fastd f;
static int fd_target;

static bool fds_at_target(const struct fastd *s)
{
    return proc_fd_count(s->pid) == fd_target;
}

static int keepalive_conn(void)
{
    int fd = fastd_connect(&f);
    char buf[512];
    assert_true(fd >= 0);
    assert_int_equal(send_all(fd, HELLO_GET, strlen(HELLO_GET)), 0);
    assert_true(recv(fd, buf, sizeof buf, 0) > 0);
    return fd;
}

/* The targets of the first three hand-offs, into t[]. */
static void run(const char *schedule, int *t)
{
    char trace[] = "/tmp/fastd-ex04-XXXXXX";
    int tfd = mkstemp(trace);
    close(tfd);
    const char *args[] = {"--threads", "3",       "--no-pin", "--schedule",
                          schedule,    "--trace", trace,      NULL};
    fastd_io_timeout_ms = 2000;
    if (fastd_start(&f, args, 0) < 0)
        fail_msg("fastd --schedule %s did not start", schedule);
    int base = proc_fd_count(f.pid);
    int a = keepalive_conn(), b = keepalive_conn();
    close(b);
    fd_target = base + 1; /* wait until fastd has closed B */
    assert_true(wait_for(fds_at_target, &f, 3000));
    int c = keepalive_conn();
    close(a);
    close(c);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
    FILE *tr = fopen(trace, "r");
    assert_non_null(tr);
    char line[256], ev[16];
    int n = 0;
    long arg;
    while (n < 3 && fgets(line, sizeof line, tr))
        if (sscanf(line, "%*u %*d %*d %15s %*d %ld", ev, &arg) == 2 &&
            strcmp(ev, "handoff") == 0)
            t[n++] = (int)arg;
    fclose(tr);
    unlink(trace);
    assert_int_equal(n, 3);
}

static void test_rr_alternates(void **state)
{
    (void)state;
    int t[3];
    run("rr", t);
    assert_int_not_equal(t[0], t[1]);
    assert_int_equal(t[2], t[0]);
}

static void check_refill(const char *schedule)
{
    int t[3];
    run(schedule, t);
    if (t[0] == t[1] || t[2] != t[1])
        fail_msg("--schedule %s: A went to thread %d, B to %d, and after B "
                 "closed C went to %d (the idle thread is %d)",
                 schedule, t[0], t[1], t[2], t[1]);
}

static void test_least_refills(void **state)
{
    (void)state;
    check_refill("least");
}

static void test_p2c_refills(void **state)
{
    (void)state;
    check_refill("p2c");
}

static const struct graded table[] = {
    GRADED(test_rr_alternates, 1, 1),
    GRADED(test_least_refills, 3, 1),
    GRADED(test_p2c_refills, 2, 3),
};
GRADED_MAIN(table)
