/*
 * Exercise 02, layer (a): your listener_open, listener_backlog and
 * nofile_raise, checked with getsockopt, ss and real connections.
 */
#include "exercises/grader/graded.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reference-server/listener.h"

static int open_or_fail(bool reuseport, int port)
{
    char err[256] = "";
    int fd = listener_open("127.0.0.1", port, reuseport, err, sizeof err);
    if (fd < 0)
        fail_msg("listener_open: %s", err);
    return fd;
}

static int opt_int(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    getsockopt(fd, level, name, &v, &len);
    return v;
}

static void test_nofile_raised(void **state)
{
    (void)state;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_max < 256)
        skip();
    rl.rlim_cur = 128;
    setrlimit(RLIMIT_NOFILE, &rl);
    long got = nofile_raise();
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != rl.rlim_max)
        fail_msg("soft limit %ld, hard %ld: not raised", (long)rl.rlim_cur,
                 (long)rl.rlim_max);
    if (rl.rlim_max != RLIM_INFINITY)
        assert_int_equal(got, (long)rl.rlim_cur);
}

static void test_backlog_is_somaxconn(void **state)
{
    (void)state;
    int want = 4096;
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
    if (f) {
        if (fscanf(f, "%d", &want) != 1)
            want = 4096;
        fclose(f);
    }
    assert_int_equal(listener_backlog(), want);
    /* And the listener really has it: ss shows a listener's backlog as
     * its Send-Q. */
    int fd = open_or_fail(false, 0);
    char cmd[128], line[256] = "";
    snprintf(cmd, sizeof cmd, "ss -Hltn 'sport = :%d'", listener_port(fd));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(line, sizeof line, p))
        line[0] = 0;
    pclose(p);
    close(fd);
    int recvq = -1, sendq = -1;
    if (sscanf(line, "%*s %d %d", &recvq, &sendq) != 2)
        skip(); /* no ss here */
    if (sendq != want)
        fail_msg("the listener's backlog is %d, somaxconn is %d", sendq, want);
}

static void test_lingering_off(void **state)
{
    (void)state;
    int fd = open_or_fail(false, 0);
    struct linger l = {-1, -1};
    socklen_t len = sizeof l;
    getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len);
    close(fd);
    if (l.l_onoff != 0)
        fail_msg("SO_LINGER {%d, %d}: close() would %s", l.l_onoff, l.l_linger,
                 l.l_linger == 0 ? "reset connections, dropping unsent data"
                                 : "block");
}

static void test_defer_accept(void **state)
{
    (void)state;
    int fd = open_or_fail(false, 0);
    int v = opt_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT);
    close(fd);
    if (v <= 0)
        fail_msg("TCP_DEFER_ACCEPT is off: the accept stage is woken for "
                 "clients that have sent nothing");
}

static void test_nodelay_reuseaddr(void **state)
{
    (void)state;
    int fd = open_or_fail(false, 0);
    assert_true(opt_int(fd, SOL_SOCKET, SO_REUSEADDR) > 0);
    if (opt_int(fd, IPPROTO_TCP, TCP_NODELAY) <= 0)
        fail_msg("TCP_NODELAY is off on the listener (accepted sockets "
                 "inherit it)");
    close(fd);
}

static void test_nonblocking_cloexec(void **state)
{
    (void)state;
    int fd = open_or_fail(false, 0);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
}

static void test_reuseport(void **state)
{
    (void)state;
    int a = open_or_fail(true, 0);
    assert_true(opt_int(a, SOL_SOCKET, SO_REUSEPORT) > 0);
    char err[256] = "";
    int b = listener_open("127.0.0.1", listener_port(a), true, err, sizeof err);
    if (b < 0)
        fail_msg("a second listener with reuseport on the same port: %s", err);
    close(b);
    close(a);
    a = open_or_fail(false, 0);
    assert_int_equal(opt_int(a, SOL_SOCKET, SO_REUSEPORT), 0);
    close(a);
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void test_errors_close_and_say(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(listener_open("not-an-address", 0, false, err, sizeof err),
                     -1);
    assert_true(strlen(err) > 0);
    int a = open_or_fail(false, 0), before = open_fds();
    err[0] = 0;
    /* The port is taken, and neither socket allows sharing it. */
    assert_int_equal(
        listener_open("127.0.0.1", listener_port(a), false, err, sizeof err),
        -1);
    if (!strstr(err, "bind") || !strstr(err, "127.0.0.1"))
        fail_msg("error message '%s' should name the call (bind) and the "
                 "address",
                 err);
    if (open_fds() != before)
        fail_msg("a failed listener_open left its socket open");
    close(a);
}

static const struct graded table[] = {
    GRADED(test_nofile_raised, 2, 1),
    GRADED(test_backlog_is_somaxconn, 1, 1),
    GRADED(test_lingering_off, 1, 2),
    GRADED(test_defer_accept, 2, 2),
    GRADED(test_nodelay_reuseaddr, 1, 2),
    GRADED(test_nonblocking_cloexec, 1, 2),
    GRADED(test_reuseport, 2, 3),
    GRADED(test_errors_close_and_say, 2, 3),
};
GRADED_MAIN(table)
