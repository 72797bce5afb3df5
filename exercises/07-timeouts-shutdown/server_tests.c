/*
 * Exercise 07, layer (b): the idle timeout and the drain, from fastd's own
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

static void start(const char *const *args)
{
    fastd_io_timeout_ms = 3000;
    if (fastd_start(&f, args, 0) < 0)
        fail_msg("fastd did not start");
}

static void test_serves_get(void **state)
{
    (void)state;
    start(NULL);
    char body[64];
    assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
    assert_string_equal(body, "Hello, World!");
    fastd_stop(&f, NULL, 0);
}

/* An idle keep-alive connection, closed as a timeout by fastd run with
 * these arguments. */
static void check_idle_closed(const char *const *args)
{
    start(args);
    int fd = fastd_connect(&f);
    char buf[512];
    assert_int_equal(send_all(fd, HELLO_GET, strlen(HELLO_GET)), 0);
    assert_true(recv(fd, buf, sizeof buf, 0) > 0);
    /* Closed by the server 1 to 2 s later (3 s receive timeout). */
    if (recv(fd, buf, sizeof buf, 0) != 0)
        fail_msg("an idle keep-alive connection outlived --idle-timeout 1");
    close(fd);
    assert_int_equal(fastd_total(&f, "closed_timeout"), 1);
    fastd_stop(&f, NULL, 0);
}

static void test_idle_closed(void **state)
{
    (void)state;
    const char *args[] = {"--idle-timeout", "1", NULL};
    check_idle_closed(args);
}

/* Beyond the reference: a timerfd in each request thread's epoll set,
 * armed for the next deadline, wakes fastd instead of epoll_wait()'s
 * timeout. It only decides when your conns_expire() runs: the same pass
 * must close the connection. */
static void test_idle_closed_timerfd(void **state)
{
    (void)state;
    const char *args[] = {"--idle-timeout", "1", "--idle-clock", "timerfd",
                          NULL};
    check_idle_closed(args);
}

static void test_slowloris_cut_off(void **state)
{
    (void)state;
    const char *args[] = {"--idle-timeout", "1", NULL};
    start(args);
    int fd = fastd_connect(&f);
    assert_int_equal(send_all(fd, "GET / HTTP/1.1\r\n", 16), 0);
    const char *head = "X-Slow: aaaaaaaaaaaa";
    /* Then one byte every 200 ms for 4 s: never idle for a second, never
     * finished. */
    bool cut = false;
    for (size_t i = 0; i < strlen(head) && !cut; i++) {
        if (send(fd, head + i, 1, MSG_NOSIGNAL) != 1)
            cut = true;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) == 1) {
            char buf[64];
            cut = recv(fd, buf, sizeof buf, 0) <= 0;
        }
    }
    close(fd);
    if (!cut)
        fail_msg("a client trickling a request byte by byte was never cut");
    fastd_stop(&f, NULL, 0);
}

static void test_active_client_stays(void **state)
{
    (void)state;
    const char *args[] = {"--idle-timeout", "1", NULL};
    start(args);
    int fd = fastd_connect(&f);
    char buf[512];
    /* A request every 250 ms for 1.5 s: busy, never idle for 1 s. */
    for (int i = 0; i < 6; i++) {
        assert_int_equal(send_all(fd, HELLO_GET, strlen(HELLO_GET)), 0);
        if (recv(fd, buf, sizeof buf, 0) <= 0)
            fail_msg("an active client was cut after %d requests", i);
        usleep(250 * 1000);
    }
    close(fd);
    fastd_stop(&f, NULL, 0);
}

static void test_sigterm_drains_in_flight(void **state)
{
    (void)state;
    start(NULL);
    int idle = fastd_connect(&f), busy = fastd_connect(&f);
    assert_true(idle >= 0 && busy >= 0);
    char buf[1024];
    assert_int_equal(send_all(idle, HELLO_GET, strlen(HELLO_GET)), 0);
    assert_true(recv(idle, buf, sizeof buf, 0) > 0);
    assert_int_equal(send_all(busy, "GET / HTTP/1.1\r\n", 16), 0);
    usleep(200 * 1000);
    kill(f.pid, SIGTERM);
    usleep(200 * 1000);
    /* The idle one is closed at once, the busy one is answered. */
    assert_int_equal(recv(idle, buf, sizeof buf, 0), 0);
    if (send_all(busy, "Host: t\r\n\r\n", 11) != 0)
        fail_msg("the connection with a request in flight was cut");
    size_t n = recv_until_close(busy, buf, sizeof buf);
    if (n == 0 || !strstr(buf, "Hello, World!"))
        fail_msg("the request in flight at SIGTERM was not answered");
    assert_non_null(strstr(buf, "Connection: close"));
    close(idle);
    close(busy);
    /* Already told to stop: a second SIGTERM would cut the drain short. */
    assert_int_equal(fastd_wait(&f, NULL, 0), 0);
}

static const struct graded table[] = {
    GRADED(test_serves_get, 1, 1),
    GRADED(test_idle_closed, 2, 1),
    GRADED(test_idle_closed_timerfd, 1, 1),
    GRADED(test_slowloris_cut_off, 3, 1),
    GRADED(test_active_client_stays, 1, 1),
    GRADED(test_sigterm_drains_in_flight, 3, 2),
};
GRADED_MAIN(table)
