/*
 * Chapter 3 experiment: what SO_LINGER does to close() and to the peer.
 *
 * For each setting, a server socket on loopback fills its send buffer
 * towards a client that does not read (the write is non-blocking, as in
 * fastd), sets SO_LINGER and calls close(). The program prints how long
 * close() took, then lets the client read: how many of the bytes written
 * it got, and how its stream ended (EOF, or ECONNRESET).
 *
 * usage: 03-linger [SECONDS]   (the N of {1, N}; default 1)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* A connected pair over loopback: *server is the accepted end. */
static void pair(int *client, int *server)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&a, &len) < 0)
        die("listener");
    *client = socket(AF_INET, SOCK_STREAM, 0);
    if (*client < 0 || connect(*client, (struct sockaddr *)&a, sizeof a) < 0)
        die("connect");
    *server = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    if (*server < 0)
        die("accept4");
    close(l);
}

static void run(const char *name, int onoff, int seconds)
{
    int c, s;
    pair(&c, &s);
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    long written = 0;
    for (;;) {
        ssize_t n = send(s, buf, sizeof buf, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0)
            die("send");
        written += n;
    }
    struct linger lg = {.l_onoff = onoff, .l_linger = seconds};
    if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
        die("SO_LINGER");
    double t0 = now();
    close(s);
    double took = now() - t0;

    long got = 0;
    const char *end = "EOF";
    for (;;) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n > 0) {
            got += n;
            continue;
        }
        if (n < 0)
            end = errno == ECONNRESET ? "ECONNRESET" : strerror(errno);
        break;
    }
    close(c);
    printf("%-12s close() took %5.2f s; the client read %8ld of %8ld bytes, "
           "then %s\n",
           name, took, got, written, end);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    char name[32];
    snprintf(name, sizeof name, "{1, %d}", n);
    run("{0, 0}", 0, 0);
    run("{1, 0}", 1, 0);
    run(name, 1, n);
    return 0;
}
