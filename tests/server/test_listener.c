/* The listening socket's options, the fd limit, and the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "reference-server/listener.h"
#include "reference-server/options.h"

static int getint(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof v;
    assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
    return v;
}

static void test_listener_options(void **state)
{
    (void)state;
    char err[256];
    int fd = listener_open("127.0.0.1", 0, false, err, sizeof err);
    assert_true(fd >= 0);
    assert_true(listener_port(fd) > 0);
    assert_int_equal(getint(fd, SOL_SOCKET, SO_REUSEADDR), 1);
    assert_int_equal(getint(fd, SOL_SOCKET, SO_REUSEPORT), 0);
    assert_true(getint(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT) > 0);
    struct linger lg = {.l_onoff = 1};
    socklen_t len = sizeof lg;
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
    assert_int_equal(lg.l_onoff, 0);
    assert_true(listener_backlog() > 0);
    close(fd);
}

/* fastd skips a setsockopt per connection because accepted sockets
 * inherit TCP_NODELAY from the listener; prove it on this kernel. */
static void test_nodelay_inherited(void **state)
{
    (void)state;
    char err[256];
    int lfd = listener_open("127.0.0.1", 0, false, err, sizeof err);
    assert_true(lfd >= 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)listener_port(lfd))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    /* TCP_DEFER_ACCEPT holds the connection until data arrives. */
    assert_int_equal(send(c, "x", 1, 0), 1);
    int a = -1;
    for (int i = 0; i < 200 && a < 0; i++) {
        a = accept(lfd, NULL, NULL);
        if (a < 0)
            usleep(10000);
    }
    assert_true(a >= 0);
    assert_int_equal(getint(a, IPPROTO_TCP, TCP_NODELAY), 1);
    close(a);
    close(c);
    close(lfd);
}

static void test_reuseport_pair(void **state)
{
    (void)state;
    char err[256];
    int a = listener_open("127.0.0.1", 0, true, err, sizeof err);
    assert_true(a >= 0);
    int b = listener_open("127.0.0.1", listener_port(a), true, err, sizeof err);
    assert_true(b >= 0);
    assert_int_equal(getint(b, SOL_SOCKET, SO_REUSEPORT), 1);
    /* Without SO_REUSEPORT the port is taken, and the error says so. */
    int c =
        listener_open("127.0.0.1", listener_port(a), false, err, sizeof err);
    assert_int_equal(c, -1);
    assert_non_null(strstr(err, "bind(127.0.0.1 port"));
    close(a);
    close(b);
}

static void test_listener_bad_address(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(listener_open("not-an-ip", 0, false, err, sizeof err), -1);
    assert_non_null(strstr(err, "not-an-ip"));
    int fd = listener_open("::1", 0, false, err, sizeof err);
    if (fd >= 0) /* IPv6 may be off on a machine; it must not crash */
        close(fd);
}

static void test_nofile_raised(void **state)
{
    (void)state;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max > 256 ? 256 : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    long n = nofile_raise();
    getrlimit(RLIMIT_NOFILE, &rl);
    assert_int_equal((long)rl.rlim_cur, n);
    assert_int_equal(rl.rlim_cur, rl.rlim_max);
}

static enum options_result run(struct options *opt, char *err, const char *a1,
                               const char *a2, const char *a3)
{
    char *argv[] = {"fastd", (char *)a1, (char *)a2, (char *)a3, NULL};
    int argc = 1 + (a1 != NULL) + (a2 != NULL) + (a3 != NULL);
    return options_parse(argc, argv, opt, err, 256);
}

static void test_options(void **state)
{
    (void)state;
    struct options opt;
    char err[256];
    assert_int_equal(run(&opt, err, NULL, NULL, NULL), OPTIONS_RUN);
    assert_int_equal(opt.port, 8080);
    assert_string_equal(opt.bind, "127.0.0.1");
    assert_int_equal(opt.arch, ARCH_STAGED);
    assert_true(opt.pin);
    assert_int_equal(run(&opt, err, "--arch", "shared-nothing", "--no-pin"),
                     OPTIONS_RUN);
    assert_int_equal(opt.arch, ARCH_SHARED_NOTHING);
    assert_false(opt.pin);
    assert_int_equal(run(&opt, err, "--port=0", "--schedule", "least"),
                     OPTIONS_RUN);
    assert_int_equal(opt.port, 0);
    assert_int_equal(opt.schedule, SCHEDULE_LEAST);

    assert_int_equal(run(&opt, err, "--threads", "abc", NULL), OPTIONS_ERROR);
    assert_string_equal(err, "bad value 'abc' for --threads (see --help)");
    assert_int_equal(run(&opt, err, "--port", "70000", NULL), OPTIONS_ERROR);
    assert_non_null(strstr(err, "--port"));
    assert_int_equal(run(&opt, err, "--arch", "fast", NULL), OPTIONS_ERROR);
    assert_int_equal(run(&opt, err, "--bogus", NULL, NULL), OPTIONS_ERROR);
    assert_non_null(strstr(err, "--bogus"));
    assert_int_equal(run(&opt, err, "--port", NULL, NULL), OPTIONS_ERROR);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(run(&opt, err, "extra", NULL, NULL), OPTIONS_ERROR);
    assert_int_equal(run(&opt, err, "--arch", "single", "--threads=2"),
                     OPTIONS_ERROR);
}

static void test_options_idle_clock(void **state)
{
    (void)state;
    struct options opt;
    char err[256];
    assert_int_equal(run(&opt, err, NULL, NULL, NULL), OPTIONS_RUN);
    assert_int_equal(opt.idle_clock, IDLE_CLOCK_WAIT);
    assert_int_equal(run(&opt, err, "--idle-clock", "timerfd", NULL),
                     OPTIONS_RUN);
    assert_int_equal(opt.idle_clock, IDLE_CLOCK_TIMERFD);
    assert_int_equal(run(&opt, err, "--idle-clock=wait", NULL, NULL),
                     OPTIONS_RUN);
    assert_int_equal(opt.idle_clock, IDLE_CLOCK_WAIT);
    assert_int_equal(run(&opt, err, "--idle-clock", "tick", NULL),
                     OPTIONS_ERROR);
    assert_string_equal(err, "bad value 'tick' for --idle-clock (see --help)");
    assert_int_equal(run(&opt, err, "--idle-clock", NULL, NULL), OPTIONS_ERROR);
    assert_non_null(strstr(err, "needs a value"));
    /* io_uring threads do not wait in epoll_wait(): refused, not ignored. */
    assert_int_equal(run(&opt, err, "--io=uring", "--idle-clock", "timerfd"),
                     OPTIONS_ERROR);
    assert_non_null(strstr(err, "--idle-clock timerfd"));
    assert_non_null(strstr(err, "--io epoll"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listener_options),
        cmocka_unit_test(test_nodelay_inherited),
        cmocka_unit_test(test_reuseport_pair),
        cmocka_unit_test(test_listener_bad_address),
        cmocka_unit_test(test_nofile_raised),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_options_idle_clock),
    };
    return cmocka_run_group_tests_name("listener", tests, NULL, NULL);
}
