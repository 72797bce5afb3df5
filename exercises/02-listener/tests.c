/* Exercise 02's graded tests: getrlimit, getsockopt, ss and real
 * connections say what the socket does. */
#include "exercises/grader/graded.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listener.h"

static int port_of(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    return ntohs(sa.sin_port);
}

static int open_or_fail(bool reuseport, int port)
{
    char err[256];
    int fd = listener_open("127.0.0.1", port, reuseport, err, sizeof err);
    if (fd < 0)
        fail_msg("listener_open: %s", err);
    return fd;
}

static int dial(int port)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    return c;
}

static void test_nofile_raised(void **state)
{
    (void)state;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max > 64 ? 64 : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    long got = nofile_raise();
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != rl.rlim_max)
        fail_msg("soft limit %ld after nofile_raise(), hard limit %ld",
                 (long)rl.rlim_cur, (long)rl.rlim_max);
    assert_int_equal(got, (long)rl.rlim_cur);
}

static void test_backlog_is_somaxconn(void **state)
{
    (void)state;
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
    int want = 4096;
    if (f) {
        assert_int_equal(fscanf(f, "%d", &want), 1);
        fclose(f);
    }
    if (listener_backlog() != want)
        fail_msg("listener_backlog(): expected %d, observed %d", want,
                 listener_backlog());
    /* ss shows a listener's backlog in its Send-Q column. */
    int fd = open_or_fail(false, 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ss -Hltn 'sport = :%d'", port_of(fd));
    FILE *p = popen(cmd, "r");
    char state_[32];
    int recvq = -1, sendq = -1;
    if (!p || fscanf(p, "%31s %d %d", state_, &recvq, &sendq) != 3)
        sendq = -1;
    if (p)
        pclose(p);
    close(fd);
    if (sendq != -1 && sendq != want)
        fail_msg("ss says the listener's backlog is %d, expected %d", sendq,
                 want);
}

static void test_lingering_off(void **state)
{
    (void)state;
    int fd = open_or_fail(false, 0);
    struct linger lg;
    socklen_t len = sizeof lg;
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
    if (lg.l_onoff)
        fail_msg("SO_LINGER is on (l_linger %d): close() would reset "
                 "connections and drop unsent responses",
                 lg.l_linger);
    close(fd);
}

static void test_defer_accept(void **state)
{
    (void)state;
    int fd = open_or_fail(false, 0), v = 0;
    socklen_t len = sizeof v;
    getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, &len);
    if (v <= 0)
        fail_msg("TCP_DEFER_ACCEPT is %d: accept() would wake for clients "
                 "that have sent nothing",
                 v);
    /* Behaviour: no data, no accept; data, accept. */
    int c = dial(port_of(fd));
    usleep(100000);
    assert_int_equal(accept(fd, NULL, NULL), -1);
    assert_int_equal(send(c, "GET", 3, 0), 3);
    int a = -1;
    for (int i = 0; i < 100 && a < 0; i++, usleep(10000))
        a = accept(fd, NULL, NULL);
    assert_true(a >= 0);
    close(a);
    close(c);
    close(fd);
}

static void test_reuseport(void **state)
{
    (void)state;
    int a = open_or_fail(true, 0), v = 0;
    socklen_t len = sizeof v;
    getsockopt(a, SOL_SOCKET, SO_REUSEPORT, &v, &len);
    if (!v)
        fail_msg("SO_REUSEPORT is off on a listener opened with "
                 "reuseport=true");
    char err[256];
    int b = listener_open("127.0.0.1", port_of(a), true, err, sizeof err);
    if (b < 0)
        fail_msg("a second SO_REUSEPORT listener on port %d failed: %s",
                 port_of(a), err);
    close(b);
    int c = open_or_fail(false, 0);
    getsockopt(c, SOL_SOCKET, SO_REUSEPORT, &v, &len);
    assert_int_equal(v, 0); /* only when asked */
    close(c);
    close(a);
}

static const struct graded table[] = {
    GRADED(test_nofile_raised, 2, 1), GRADED(test_backlog_is_somaxconn, 2, 1),
    GRADED(test_lingering_off, 3, 2), GRADED(test_defer_accept, 3, 3),
    GRADED(test_reuseport, 3, 3),
};
GRADED_MAIN(table)
