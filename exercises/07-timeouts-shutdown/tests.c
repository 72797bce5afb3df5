/* Exercise 07's graded tests: a server thread, real clients, real time. */
#include "exercises/grader/graded.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mini.h"

struct server {
    int lfd, port, stop_fd, result;
    bool returned;
    pthread_t th;
};

static void *run(void *arg)
{
    struct server *s = arg;
    s->result = mini_serve(s->lfd, 500, s->stop_fd);
    __atomic_store_n(&s->returned, true, __ATOMIC_RELEASE);
    return NULL;
}

static void start(struct server *s)
{
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t len = sizeof sa;
    bind(s->lfd, (struct sockaddr *)&sa, sizeof sa);
    listen(s->lfd, 64);
    getsockname(s->lfd, (struct sockaddr *)&sa, &len);
    s->port = ntohs(sa.sin_port);
    s->stop_fd = eventfd(0, EFD_NONBLOCK);
    s->returned = false;
    pthread_create(&s->th, NULL, run, s);
}

static int dial(const struct server *s)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    return c;
}

/* Wait up to ms for input; returns recv's result, or -2 on timeout. */
static ssize_t recv_within(int fd, char *buf, size_t cap, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) != 1)
        return -2;
    return recv(fd, buf, cap, 0);
}

static void test_ping_pong(void **state)
{
    (void)state;
    struct server s;
    start(&s);
    int c = dial(&s);
    send(c, "ping\nping\n", 10, 0);
    char buf[64];
    size_t have = 0;
    while (have < 10) {
        ssize_t n = recv_within(c, buf + have, sizeof buf - have, 2000);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    assert_int_equal(have, 10);
    assert_memory_equal(buf, "pong\npong\n", 10);
    close(c);
}

static void test_slowloris_cut_off(void **state)
{
    (void)state;
    struct server s;
    start(&s);
    int c = dial(&s);
    /* A byte every 100 ms, never a whole line. */
    const char *trickle = "pppppppppppppppppppppppppppppp";
    bool closed = false;
    for (int i = 0; i < 30 && !closed; i++) {
        if (send(c, trickle + i, 1, MSG_NOSIGNAL) != 1)
            closed = true;
        char buf[16];
        ssize_t n = recv_within(c, buf, sizeof buf, 100);
        if (n == 0 || n == -1)
            closed = true;
    }
    close(c);
    if (!closed)
        fail_msg("a client trickling a byte every 100 ms without finishing "
                 "a line was still connected after 3 s (idle timeout: "
                 "500 ms)");
}

static void test_active_client_stays(void **state)
{
    (void)state;
    struct server s;
    start(&s);
    int c = dial(&s);
    /* A ping every 200 ms for 1.8 s, well past the timeout: 300 ms of
     * slack against the 500 ms timeout, so a busy machine that delays
     * this thread a little does not fail a right solution. */
    for (int i = 0; i < 9; i++) {
        usleep(200000);
        assert_int_equal(send(c, "ping\n", 5, MSG_NOSIGNAL), 5);
        char buf[8];
        ssize_t n = recv_within(c, buf, 5, 2000);
        if (n != 5)
            fail_msg("ping %d: no pong (connection closed while active?)",
                     i + 1);
    }
    close(c);
}

static void test_stop_closes_and_returns(void **state)
{
    (void)state;
    struct server s;
    start(&s);
    int c = dial(&s);
    send(c, "ping\n", 5, 0);
    char buf[8];
    assert_int_equal(recv_within(c, buf, 5, 2000), 5);
    uint64_t one = 1;
    assert_int_equal(write(s.stop_fd, &one, sizeof one), 8);
    for (int i = 0; i < 100 && !__atomic_load_n(&s.returned, __ATOMIC_ACQUIRE);
         i++)
        usleep(10000);
    if (!__atomic_load_n(&s.returned, __ATOMIC_ACQUIRE))
        fail_msg("mini_serve did not return within 1 s of the stop eventfd");
    pthread_join(s.th, NULL);
    assert_int_equal(s.result, 0);
    assert_int_equal(recv_within(c, buf, sizeof buf, 1000), 0);
    close(c);
}

static const struct graded table[] = {
    GRADED(test_ping_pong, 1, 1),
    GRADED(test_slowloris_cut_off, 4, 1),
    GRADED(test_active_client_stays, 3, 2),
    GRADED(test_stop_closes_and_returns, 4, 3),
};
GRADED_MAIN(table)
