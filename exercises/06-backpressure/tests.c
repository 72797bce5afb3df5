/* Exercise 06's graded tests: a real TCP connection with a tiny send
 * buffer, a reader that is slow or stops, and the CPU time the writer
 * burns meanwhile. */
#include "exercises/grader/graded.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pump.h"

/* A connected pair: *server non-blocking with a 4 KiB send buffer. */
static void tcp_pair(int *server, int *client)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t len = sizeof sa;
    assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    listen(l, 1);
    getsockname(l, (struct sockaddr *)&sa, &len);
    *client = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(*client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    assert_int_equal(connect(*client, (struct sockaddr *)&sa, sizeof sa), 0);
    *server = accept(l, NULL, NULL);
    close(l);
    setsockopt(*server, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    fcntl(*server, F_SETFL, O_NONBLOCK);
}

static char *pattern(size_t len)
{
    char *p = malloc(len);
    for (size_t i = 0; i < len; i++)
        p[i] = (char)('a' + (i * 7 + i / 1000) % 26);
    return p;
}

static void test_returns_when_full(void **state)
{
    (void)state;
    int s, c;
    tcp_pair(&s, &c);
    size_t len = 8 << 20;
    char *data = pattern(len);
    struct pump p = {s, data, len, 0};
    int r = pump_write(&p); /* nobody reads: the socket fills up */
    if (r != 0)
        fail_msg("pump_write on a full socket: expected 0 (wait for "
                 "EPOLLOUT), observed %d",
                 r);
    assert_true(p.sent > 0 && p.sent < len);
    close(s);
    close(c);
    free(data);
}

static void test_error_when_peer_gone(void **state)
{
    (void)state;
    int s, c;
    tcp_pair(&s, &c);
    struct linger rst = {1, 0};
    setsockopt(c, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
    close(c); /* a reset */
    usleep(50000);
    size_t len = 1 << 20;
    char *data = pattern(len);
    struct pump p = {s, data, len, 0};
    int r = pump_write(&p);
    if (r == 0) /* the first send may still succeed: try once more */
        r = pump_write(&p);
    if (r != -1)
        fail_msg("writing to a reset connection: expected -1, observed %d", r);
    close(s);
    free(data);
}

struct writer {
    int fd;
    const char *data;
    size_t len;
    int result;
    double cpu_s;
};

static void *write_all(void *arg)
{
    struct writer *w = arg;
    w->result = pump_all(w->fd, w->data, w->len);
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    w->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    return NULL;
}

/* Read everything, slowly, after a stall; check every byte. */
static void slow_read(int c, const char *want, size_t len, int stall_ms)
{
    usleep((useconds_t)stall_ms * 1000);
    char *got = malloc(len);
    size_t have = 0;
    while (have < len) {
        ssize_t n =
            recv(c, got + have, len - have < 65536 ? len - have : 65536, 0);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    if (have != len || memcmp(got, want, len) != 0)
        fail_msg("received %zu of %zu bytes%s", have, len,
                 have == len ? ", but not the bytes sent" : "");
    free(got);
}

static void test_every_byte_arrives(void **state)
{
    (void)state;
    int s, c;
    tcp_pair(&s, &c);
    size_t len = 4 << 20;
    char *data = pattern(len);
    struct writer w = {s, data, len, -2, 0};
    pthread_t th;
    pthread_create(&th, NULL, write_all, &w);
    slow_read(c, data, len, 200);
    pthread_join(th, NULL);
    assert_int_equal(w.result, 0);
    close(s);
    close(c);
    free(data);
}

static void test_no_busy_loop(void **state)
{
    (void)state;
    int s, c;
    tcp_pair(&s, &c);
    size_t len = 4 << 20;
    char *data = pattern(len);
    struct writer w = {s, data, len, -2, 0};
    pthread_t th;
    pthread_create(&th, NULL, write_all, &w);
    slow_read(c, data, len, 1500); /* the writer waits 1.5 s for room */
    pthread_join(th, NULL);
    if (w.cpu_s > 0.5)
        fail_msg("the writer used %.2f s of CPU while the reader stalled "
                 "for 1.5 s: it should sleep in epoll_wait, not spin",
                 w.cpu_s);
    close(s);
    close(c);
    free(data);
}

static const struct graded table[] = {
    GRADED(test_returns_when_full, 3, 1),
    GRADED(test_error_when_peer_gone, 2, 1),
    GRADED(test_every_byte_arrives, 3, 2),
    GRADED(test_no_busy_loop, 4, 3),
};
GRADED_MAIN(table)
