/*
 * Exercise 03, layer (b): the accept stage's cases from fastd's own
 * integration tests, run against the learner's fastd ($FASTD_BIN).
 */
#include "exercises/grader/graded.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* The harness is compiled in: the grader builds this file alone. */
#include "tests/server/fastd_harness.c"

#define HELLO_GET "GET / HTTP/1.1\r\nHost: t\r\n\r\n"

static struct fastd f;

static void start(const char *const *args, long nofile)
{
    fastd_io_timeout_ms = 2000;
    if (fastd_start(&f, args, nofile) < 0)
        fail_msg("fastd did not start");
}

static void test_serves_get(void **state)
{
    (void)state;
    start(NULL, 0);
    char body[64];
    assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
    assert_string_equal(body, "Hello, World!");
    fastd_stop(&f, NULL, 0);
}

/* Count thread 0's (the accept thread's) events of one kind. */
static int trace_count(const char *path, const char *event)
{
    FILE *t = fopen(path, "r");
    if (!t)
        return -1;
    char line[256], ev[16];
    int n = 0, thread;
    while (fgets(line, sizeof line, t))
        if (sscanf(line, "%*u %d %*d %15s", &thread, ev) == 2 && thread == 0 &&
            strcmp(ev, event) == 0)
            n++;
    fclose(t);
    return n;
}

/* Wait (up to 5 s) until every thread of fastd has stopped: SIGSTOP takes
 * effect when each thread next runs, which a loaded machine delays. */
static void wait_stopped(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)proc_pid(pid));
    for (int i = 0; i < 1000; i++) {
        DIR *d = opendir(dir);
        if (!d)
            return;
        int running = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char path[320], buf[512];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s/stat", dir, e->d_name);
            FILE *f = fopen(path, "r");
            if (!f)
                continue;
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            const char *p = strrchr(buf, ')');
            running += p && p[1] == ' ' && p[2] != 'T' && p[2] != 't';
        }
        closedir(d);
        if (!running)
            return;
        usleep(5 * 1000);
    }
}

static void test_burst_in_few_wakeups(void **state)
{
    (void)state;
    char trace[] = "/tmp/fastd-ex03-XXXXXX";
    int tfd = mkstemp(trace);
    close(tfd);
    const char *args[] = {"--threads", "2", "--trace", trace, NULL};
    start(args, 0);
    /* Stopped, fastd cannot accept: the kernel queues 30 connections
     * (with their requests), and one wake-up finds them all. */
    kill(f.pid, SIGSTOP);
    wait_stopped(f.pid);
    enum { N = 30 };
    int fds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = fastd_connect(&f);
        assert_true(fds[i] >= 0);
        send_all(fds[i], HELLO_GET, strlen(HELLO_GET));
    }
    /* Every connection queued (not a guessed sleep) before fastd runs. */
    graded_wait_accept_queue(f.port, N, 5000);
    kill(f.pid, SIGCONT);
    int answered = 0;
    for (int i = 0; i < N; i++) {
        char buf[512];
        answered += recv(fds[i], buf, sizeof buf, 0) > 0;
        close(fds[i]);
    }
    assert_int_equal(answered, N);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
    int accepts = trace_count(trace, "accept"),
        wakes = trace_count(trace, "wake");
    unlink(trace);
    if (accepts != N && wakes <= N / 4)
        fail_msg("all %d connections were answered, but the trace holds %d "
                 "accept events of the accept thread: each connection "
                 "accepted is traced once (TRACE(self->trace, TRACE_ACCEPT, "
                 "fd, listen_fd), as the starter does)",
                 N, accepts);
    if (accepts != N || wakes > N / 4)
        fail_msg("the accept thread woke %d times for %d queued connections "
                 "(%d accepted): one wake-up should take them all",
                 wakes, N, accepts);
}

static long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)proc_pid(pid));
    FILE *s = fopen(path, "r");
    if (!s)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, s);
    fclose(s);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');
    long utime = 0, stime = 0;
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld",
               &utime, &stime) != 2)
        return -1;
    return utime + stime;
}

/* Once fastd has seen the clients that held its fds go, it serves as
 * before (within 2 s), and stops. */
static void expect_serves_again(void)
{
    char body[64];
    int status = -1;
    for (int i = 0; i < 20 && status != 200; i++) {
        usleep(100 * 1000);
        status = fastd_get(&f, "/", body, sizeof body);
    }
    assert_int_equal(status, 200);
    fastd_stop(&f, NULL, 0);
}

static void test_survives_emfile(void **state)
{
    (void)state;
    /* 32 fds: a handful for fastd itself, the rest for clients. */
    start(NULL, 32);
    enum { N = 60 };
    int fds[N];
    struct pollfd p[N];
    for (int i = 0; i < N; i++) {
        fds[i] = fastd_connect(&f);
        assert_true(fds[i] >= 0);
        send_all(fds[i], HELLO_GET, strlen(HELLO_GET));
        p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    }
    /* Within 2 s every client is answered or shed (closed): none hangs. */
    for (int waited = 0; waited < 2000; waited += 50) {
        usleep(50 * 1000);
        if (poll(p, N, 0) == N)
            break;
    }
    int answered = 0, shed = 0, hung = 0;
    for (int i = 0; i < N; i++) {
        char buf[512];
        ssize_t n =
            p[i].revents ? recv(fds[i], buf, sizeof buf, MSG_DONTWAIT) : -1;
        if (n > 0)
            answered++;
        else if (p[i].revents)
            shed++;
        else
            hung++;
    }
    if (hung > 0)
        fail_msg("out of fds: %d clients answered, %d shed, %d left hanging",
                 answered, shed, hung);
    assert_true(answered > 0);
    /* Holding the fds: fastd must sleep, not spin on the full listener. */
    long before = cpu_ticks(f.pid);
    usleep(500 * 1000);
    long used = cpu_ticks(f.pid) - before;
    if (used > sysconf(_SC_CLK_TCK) / 4)
        fail_msg("fastd used %ld ticks of CPU in 0.5 s while out of fds", used);
    for (int i = 0; i < N; i++)
        close(fds[i]);
    expect_serves_again();
}

/*
 * Out of fds with several threads accepting (shared-nothing, four
 * threads, one fd table): 100 connections hold half a request each (no
 * idle timeout), then 10 rounds of 40 new clients each. Every new client
 * must be answered or shed within 2 s. A spare that one thread frees can
 * be taken by another thread's accept4(): with a spare per thread and no
 * shared pool under a lock (chapter 4, "Shedding on EMFILE"), a thread
 * that lost its spare never gets one back while the others hold the
 * slots, and the clients in its queue wait for nothing.
 */
static void test_emfile_several_acceptors(void **state)
{
    (void)state;
    const char *args[] = {"--arch",   "shared-nothing", "--threads", "4",
                          "--no-pin", "--idle-timeout", "0",         NULL};
    start(args, 64);
    enum { HOLD = 100, NEW = 40, ROUNDS = 10 };
    int hold[HOLD];
    for (int i = 0; i < HOLD; i++) {
        hold[i] = fastd_connect(&f);
        if (hold[i] >= 0)
            send_all(hold[i], "GET / HTTP/1.1\r\n", 16);
    }
    usleep(300 * 1000);
    int hung = 0, round = 0;
    for (; round < ROUNDS && hung == 0; round++) {
        int fds[NEW];
        struct pollfd p[NEW];
        for (int i = 0; i < NEW; i++) {
            fds[i] = fastd_connect(&f);
            if (fds[i] >= 0)
                send_all(fds[i], HELLO_GET, strlen(HELLO_GET));
            /* Refused at connect (fd -1): fine, poll skips it. */
            p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
        }
        int open = 0;
        for (int i = 0; i < NEW; i++)
            open += fds[i] >= 0;
        for (int waited = 0; waited < 2000; waited += 50) {
            usleep(50 * 1000);
            if (poll(p, NEW, 0) == open)
                break;
        }
        for (int i = 0; i < NEW; i++) {
            if (fds[i] >= 0 && !p[i].revents)
                hung++;
            if (fds[i] >= 0)
                close(fds[i]);
        }
    }
    for (int i = 0; i < HOLD; i++)
        if (hold[i] >= 0)
            close(hold[i]);
    if (hung > 0)
        fail_msg(
            "out of fds with 4 threads accepting: in round %d, %d of %d "
            "new clients got nothing for 2 s (neither answered nor shed). "
            "Is the spare one pool for every thread, taken under one lock, "
            "so that no thread's accept4() takes a slot another freed to "
            "shed? (chapter 4, Shedding on EMFILE)",
            round, hung, NEW);
    expect_serves_again();
}

static const struct graded table[] = {
    GRADED(test_serves_get, 1, 1),
    GRADED(test_burst_in_few_wakeups, 3, 1),
    GRADED(test_survives_emfile, 4, 3),
    GRADED(test_emfile_several_acceptors, 2, 3),
};
GRADED_MAIN(table)
