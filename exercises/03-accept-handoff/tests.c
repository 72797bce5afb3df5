/* Exercise 03's graded tests: real connections, real epoll sets. */
#include "exercises/grader/graded.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acceptor.h"

static int listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 1024), 0);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    return fd;
}

static int dial(int port)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(c, (struct sockaddr *)&sa, sizeof sa) < 0)
        fail_msg("connect: %s", strerror(errno));
    send(c, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL);
    return c;
}

/* The fds an epoll set reports (they were handed to it). */
static int ready(int epfd, int *fds, int max)
{
    struct epoll_event ev[64];
    int n = epoll_wait(epfd, ev, max < 64 ? max : 64, 200);
    for (int i = 0; i < n; i++)
        fds[i] = ev[i].data.fd;
    return n < 0 ? 0 : n;
}

struct setup {
    int lfd, port, epfds[2], clients[10];
    struct acceptor a;
};

static void start(struct setup *s, int nclients)
{
    s->lfd = listener(&s->port);
    s->epfds[0] = epoll_create1(0);
    s->epfds[1] = epoll_create1(0);
    assert_int_equal(acceptor_init(&s->a, s->lfd, s->epfds, 2), 0);
    for (int i = 0; i < nclients; i++)
        s->clients[i] = dial(s->port);
    usleep(50000); /* let the handshakes finish */
}

static void test_accepts_all_pending(void **state)
{
    (void)state;
    struct setup s;
    start(&s, 10);
    int n = accept_burst(&s.a);
    if (n != 10)
        fail_msg("10 connections were waiting; accept_burst handed off %d", n);
    int again = accept_burst(&s.a); /* empty queue: returns, no hang */
    assert_int_equal(again, 0);
}

static void test_nonblocking_cloexec(void **state)
{
    (void)state;
    struct setup s;
    start(&s, 4);
    accept_burst(&s.a);
    int fds[64], n = ready(s.epfds[0], fds, 64);
    n += ready(s.epfds[1], fds + n, 64 - n);
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        if (!(fcntl(fds[i], F_GETFL) & O_NONBLOCK))
            fail_msg("fd %d is blocking: one slow client would stall its "
                     "thread",
                     fds[i]);
        if (!(fcntl(fds[i], F_GETFD) & FD_CLOEXEC))
            fail_msg("fd %d is not close-on-exec", fds[i]);
    }
}

static void test_round_robin_handoff(void **state)
{
    (void)state;
    struct setup s;
    start(&s, 10);
    accept_burst(&s.a);
    int fds[64];
    int n0 = ready(s.epfds[0], fds, 64), n1 = ready(s.epfds[1], fds, 64);
    if (n0 != 5 || n1 != 5)
        fail_msg("10 connections over 2 threads: expected 5 and 5 in their "
                 "epoll sets, observed %d and %d",
                 n0, n1);
}

static void test_survives_emfile(void **state)
{
    (void)state;
    struct setup s;
    start(&s, 0);
    /* Clients in another process, so that only the server runs out. */
    pid_t child = fork();
    if (child == 0) {
        int c[40];
        for (int i = 0; i < 40; i++)
            c[i] = dial(s.port);
        sleep(3);
        (void)c;
        _exit(0);
    }
    usleep(300000);
    /* Leave room for 5 more fds only. */
    struct rlimit rl, saved;
    getrlimit(RLIMIT_NOFILE, &saved);
    int top = dup(0);
    close(top);
    rl = saved;
    rl.rlim_cur = (rlim_t)top + 5;
    setrlimit(RLIMIT_NOFILE, &rl);
    int n = accept_burst(&s.a); /* must return: not hang, not spin */
    setrlimit(RLIMIT_NOFILE, &saved);
    assert_true(n >= 1 && n <= 5);
    /* The rest were shed: the queue is empty now. */
    int left = accept4(s.lfd, NULL, NULL, SOCK_NONBLOCK);
    int err = errno;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    if (left >= 0)
        fail_msg("connections are still waiting in the listen queue after "
                 "EMFILE: they should have been shed (accepted and closed)");
    assert_int_equal(err, EAGAIN);
}

static const struct graded table[] = {
    GRADED(test_accepts_all_pending, 4, 1),
    GRADED(test_nonblocking_cloexec, 2, 1),
    GRADED(test_round_robin_handoff, 4, 2),
    GRADED(test_survives_emfile, 4, 3),
};
GRADED_MAIN(table)
