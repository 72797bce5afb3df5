/* Exercise 08's graded tests. Where io_uring is unavailable (an old
 * kernel, io_uring_disabled, a seccomp sandbox) they are skipped with the
 * reason, not failed. */
#include "exercises/grader/graded.h"

#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "uring.h"

static void need_io_uring(void)
{
    struct io_uring ring;
    int rc = io_uring_queue_init(4, &ring, 0);
    if (rc < 0) {
        print_message("SKIPPED: io_uring is unavailable here "
                      "(io_uring_queue_init: %s)\n",
                      strerror(-rc));
        skip();
    }
    io_uring_queue_exit(&ring);
}

struct server {
    int lfd, port, responses, result;
    pthread_t th;
};

static void *run(void *arg)
{
    struct server *s = arg;
    s->result = uring_serve(s->lfd, s->responses);
    return NULL;
}

static void start(struct server *s, int responses)
{
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t len = sizeof sa;
    bind(s->lfd, (struct sockaddr *)&sa, sizeof sa);
    listen(s->lfd, 128);
    getsockname(s->lfd, (struct sockaddr *)&sa, &len);
    s->port = ntohs(sa.sin_port);
    s->responses = responses;
    s->result = -2;
    pthread_create(&s->th, NULL, run, s);
}

static int dial(const struct server *s)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {.tv_sec = 2};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)s->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    return c;
}

static void request(int c, int which)
{
    const char *req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    assert_int_equal(send(c, req, strlen(req), 0), (ssize_t)strlen(req));
    char buf[512];
    size_t want = strlen(RESPONSE), have = 0;
    while (have < want) {
        ssize_t n = recv(c, buf + have, want - have, 0);
        if (n <= 0)
            fail_msg("request %d: %s after %zu of %zu response bytes", which,
                     n == 0 ? "connection closed" : "no answer within 2 s",
                     have, want);
        have += (size_t)n;
    }
    assert_memory_equal(buf, RESPONSE, want);
}

static void test_one_request(void **state)
{
    (void)state;
    need_io_uring();
    struct server s;
    start(&s, 1);
    int c = dial(&s);
    request(c, 1);
    pthread_join(s.th, NULL);
    assert_int_equal(s.result, 0);
    close(c);
}

static void test_keep_alive(void **state)
{
    (void)state;
    need_io_uring();
    struct server s;
    start(&s, 5);
    int c = dial(&s);
    for (int i = 1; i <= 5; i++)
        request(c, i);
    pthread_join(s.th, NULL);
    assert_int_equal(s.result, 0);
    close(c);
}

static void test_many_clients(void **state)
{
    (void)state;
    need_io_uring();
    struct server s;
    start(&s, 20);
    int c[20];
    for (int i = 0; i < 20; i++)
        c[i] = dial(&s);
    for (int i = 0; i < 20; i++)
        request(c[i], i + 1);
    pthread_join(s.th, NULL);
    for (int i = 0; i < 20; i++)
        close(c[i]);
}

static const struct graded table[] = {
    GRADED(test_one_request, 3, 1),
    GRADED(test_keep_alive, 3, 2),
    GRADED(test_many_clients, 4, 3),
};
GRADED_MAIN(table)
