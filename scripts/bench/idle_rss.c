/*
 * idle_rss PORT N PID... - what an idle keep-alive connection costs a
 * server in resident memory. Opens 100 warm-up connections, reads the
 * summed RSS of the PIDs (a server's processes), opens N more keep-alive
 * connections on 127.0.0.1:PORT, each answered once (GET /plaintext), reads
 * the RSS again and prints the difference per connection in bytes:
 *
 *     idle_rss: 10000 connections, 111 B RSS each (2027520 -> 3137536)
 *
 * make bench builds and runs it (scripts/bench.sh); it needs 2 x N fds
 * on the machine and raises its own RLIMIT_NOFILE to the hard limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define WARM 100
#define REQ  "GET /plaintext HTTP/1.1\r\nHost: bench\r\n\r\n"

static long rss_of(int npids, char **pids)
{
    long total = 0;
    for (int i = 0; i < npids; i++) {
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/%s/smaps_rollup", pids[i]);
        FILE *f = fopen(path, "r");
        if (!f) {
            fprintf(stderr, "idle_rss: %s: %s\n", path, strerror(errno));
            exit(1);
        }
        long kb = 0;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "Rss: %ld kB", &kb) == 1)
                break;
        fclose(f);
        total += kb * 1024;
    }
    return total;
}

/* One keep-alive connection, answered once; -1 on failure. */
static int open_one(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    char buf[1024];
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        send(fd, REQ, strlen(REQ), MSG_NOSIGNAL) != (ssize_t)strlen(REQ) ||
        recv(fd, buf, sizeof buf, 0) <= 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: idle_rss PORT N PID...\n");
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[2]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    for (int i = 0; i < WARM; i++)
        if (open_one(port) < 0) {
            fprintf(stderr, "idle_rss: warm-up connection %d failed\n", i);
            return 1;
        }
    usleep(300000);
    long before = rss_of(argc - 3, argv + 3);
    for (int i = 0; i < n; i++)
        if (open_one(port) < 0) {
            fprintf(stderr, "idle_rss: connection %d of %d failed: %s\n", i, n,
                    strerror(errno));
            return 1;
        }
    usleep(300000);
    long after = rss_of(argc - 3, argv + 3);
    printf("idle_rss: %d connections, %ld B RSS each (%ld -> %ld)\n", n,
           (after - before) / n, before, after);
    return 0; /* exit closes every connection */
}
