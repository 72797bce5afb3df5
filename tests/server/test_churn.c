/*
 * Connection churn: many clients at once, each opening a new connection
 * for one keep-alive request, against fresh fastds. Every one of them
 * must get its answer, by either --io kind (`make test` runs it as
 * test_churn and test_churn_uring). Written for issue 13, whose flake
 * looked like fastd --io uring closing new connections; it never failed
 * here (70 runs against the fastd of then), and the flake turned out to be
 * the tests' own io_uring probe (fastd_harness.c). It stays as the
 * churn check of both paths: accept, hand-off, one answer, close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/server/fastd_harness.h"

#define HELLO_GET "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n"

/* Fresh fastds, client threads per fastd, connections per client. */
enum { ROUNDS = 6, CLIENTS = 6, CONNS = 250 };

struct client {
    const struct fastd *f;
    int answered;
    int fin, reset, timeout, refused; /* how the others ended */
};

/* One connection, one request, its whole answer; then close. */
static void *client_main(void *arg)
{
    struct client *cl = arg;
    for (int i = 0; i < CONNS; i++) {
        int fd = fastd_connect(cl->f);
        if (fd < 0) {
            cl->refused++;
            continue;
        }
        char buf[512];
        size_t len = 0;
        ssize_t n = 0;
        if (send_all(fd, HELLO_GET, strlen(HELLO_GET)) == 0) {
            while (len < sizeof buf - 1) {
                n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
                if (n <= 0)
                    break;
                len += (size_t)n;
                buf[len] = 0;
                if (strstr(buf, "Hello, World!"))
                    break;
            }
        }
        if (len > 0 && strstr(buf, "Hello, World!"))
            cl->answered++;
        else if (n == 0)
            cl->fin++;
        else if (errno == EAGAIN)
            cl->timeout++;
        else
            cl->reset++;
        close(fd);
    }
    return NULL;
}

static void check_churn(const char *arch, const char *threads)
{
    for (int round = 0; round < ROUNDS; round++) {
        struct fastd f;
        const char *args[] = {"--arch", arch,       "--threads",
                              threads,  "--no-pin", NULL};
        if (fastd_start(&f, args, 0) < 0)
            fail_msg("fastd did not start");
        pthread_t th[CLIENTS];
        struct client cl[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            cl[i] = (struct client){.f = &f};
            pthread_create(&th[i], NULL, client_main, &cl[i]);
        }
        struct client sum = {0};
        for (int i = 0; i < CLIENTS; i++) {
            pthread_join(th[i], NULL);
            sum.answered += cl[i].answered;
            sum.fin += cl[i].fin;
            sum.reset += cl[i].reset;
            sum.timeout += cl[i].timeout;
            sum.refused += cl[i].refused;
        }
        int status = fastd_stop(&f, NULL, 0);
        if (sum.answered != CLIENTS * CONNS)
            fail_msg("round %d (%s): %d of %d new connections answered; "
                     "the others: %d closed (FIN), %d reset, %d timed out, "
                     "%d refused",
                     round, arch, sum.answered, CLIENTS * CONNS, sum.fin,
                     sum.reset, sum.timeout, sum.refused);
        assert_int_equal(status, 0);
    }
}

static void test_churn_staged(void **state)
{
    (void)state;
    check_churn("staged", "2");
}

static void test_churn_shared_nothing(void **state)
{
    (void)state;
    check_churn("shared-nothing", "2");
}

/* usage: test_churn [PATTERN] - run only the tests matching PATTERN. */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    if (fastd_suite_skips())
        return 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_churn_staged),
        cmocka_unit_test(test_churn_shared_nothing),
    };
    return cmocka_run_group_tests_name("churn", tests, NULL, NULL);
}
