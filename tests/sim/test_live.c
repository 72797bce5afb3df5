/* Live mode: fastd --trace unix:PATH streams its events to fastsim --live
 * PATH. The live view counts the requests curl sent; under a load of new
 * connections and of keep-alive requests its counts are what the clients
 * did (answers = requests sent, hand-offs <= accepts, no negative ready
 * list) and it says when fastd stops; records lost while the reader
 * stalls come back as counts per kind, so the counts stay exact; a
 * viewer killed with SIGKILL leaves fastd serving (it drops and counts
 * instead of waiting). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "simulator/live.h"
#include "simulator/recent.h"
#include "simulator/model/tally.h"
#include "tests/server/fastd_harness.h"

static long json_number(const char *json, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(json, k);
    return p ? atol(p + strlen(k)) : -1;
}

/* fastsim --live sock --headless, its stdout to out (and its stderr to
 * err, if not NULL); waits until its socket exists. */
static pid_t start_viewer_err(const char *sock, const char *out,
                              const char *err)
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        if (!freopen(out, "w", stdout) || (err && !freopen(err, "w", stderr)))
            _exit(127);
        execl(FASTSIM_BIN, FASTSIM_BIN, "--live", sock, "--headless",
              "--seconds", "120", "--report", "json", (char *)NULL);
        _exit(127);
    }
    struct stat st;
    for (int i = 0; i < 1000 && stat(sock, &st) < 0; i++)
        usleep(10000);
    assert_int_equal(stat(sock, &st), 0);
    return pid;
}

static pid_t start_viewer(const char *sock, const char *out)
{
    return start_viewer_err(sock, out, NULL);
}

static void read_file(const char *path, char *buf, size_t cap)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t len = fread(buf, 1, cap - 1, fp);
    fclose(fp);
    buf[len] = 0;
}

/* One GET on a connection; true when a whole 200 answer came back. */
static bool get_one(int fd, bool close_it)
{
    const char *req = close_it ? "GET / HTTP/1.1\r\nHost: t\r\n"
                                 "Connection: close\r\n\r\n"
                               : "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    if (send_all(fd, req, strlen(req)) < 0)
        return false;
    char buf[1024];
    size_t got = 0;
    for (;;) { /* the head, then Content-Length bytes of body */
        ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (n <= 0)
            return false;
        got += (size_t)n;
        buf[got] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        char *cl = strstr(buf, "Content-Length: ");
        if (end && cl && got >= (size_t)(end + 4 - buf) + (size_t)atol(cl + 16))
            return strncmp(buf, "HTTP/1.1 200", 12) == 0;
        if (got == sizeof buf - 1)
            return false;
    }
}

/* n requests, each on a new connection (Connection: close), or all on
 * one keep-alive connection. Returns the 200s received. */
static int load(const struct fastd *f, int n, bool churn)
{
    int ok = 0, fd = churn ? -1 : fastd_connect(f);
    for (int i = 0; i < n; i++) {
        if (churn)
            fd = fastd_connect(f);
        if (fd < 0)
            return ok;
        ok += get_one(fd, churn);
        if (churn)
            close(fd);
    }
    if (!churn && fd >= 0)
        close(fd);
    return ok;
}

/* Clients in parallel, forked: churn ones and keep-alive ones, n requests
 * each. Returns the 200s they received in all. */
static int load_parallel(const struct fastd *f, int churners, int keepers,
                         int n)
{
    pid_t kids[16];
    int k = 0, ok = 0;
    for (; k < churners + keepers && k < 16; k++) {
        kids[k] = fork();
        if (kids[k] == 0)
            _exit(load(f, n, k < churners) == n ? 0 : 1);
    }
    for (int i = 0; i < k; i++) {
        int status;
        waitpid(kids[i], &status, 0);
        ok += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? n : 0;
    }
    return ok;
}

static void curl_n(const struct fastd *f, int n)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "for i in $(seq %d); do curl -sf -o /dev/null "
             "http://127.0.0.1:%d/ || exit 1; done",
             n, f->port);
    assert_int_equal(system(cmd), 0);
}

static void test_live_counts_curl_requests(void **state)
{
    (void)state;
    char sock[] = "/tmp/fastsim-live-XXXXXX", out[] = "/tmp/fastsim-live-"
                                                      "XXXXXX.json";
    assert_non_null(mkdtemp(sock));
    char path[64], arg[80];
    snprintf(path, sizeof path, "%s/s", sock);
    snprintf(arg, sizeof arg, "unix:%s", path);
    close(mkstemps(out, 5));
    pid_t viewer = start_viewer(path, out);
    const char *args[] = {"--threads", "3", "--trace", arg, NULL};
    struct fastd f;
    assert_int_equal(fastd_start(&f, args, 0), 0);
    curl_n(&f, 20);
    /* fastd flushes every buffer as it stops; then the view stops. */
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
    usleep(500000);
    kill(viewer, SIGTERM);
    int status;
    assert_int_equal(waitpid(viewer, &status, 0), viewer);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char json[8192] = {0};
    FILE *fp = fopen(out, "r");
    assert_non_null(fp);
    size_t len = fread(json, 1, sizeof json - 1, fp);
    fclose(fp);
    json[len] = 0;
    printf("live view: %s", json);
    assert_int_equal(json_number(json, "requests"), 20);
    assert_int_equal(json_number(json, "connections"), 20);
    assert_int_equal(json_number(json, "dropped"), 0);
    unlink(out);
    rmdir(sock);
}

static long lost_total(const char *json)
{
    const char *p = strstr(json, "\"lost\":{");
    long sum = 0;
    for (p = p ? strchr(p, ':') + 1 : NULL; p && *p != '}';) {
        const char *colon = strchr(p, ':');
        if (!colon)
            break;
        sum += atol(colon + 1);
        p = colon + 1 + strspn(colon + 1, "0123456789");
        p += *p == ',';
    }
    return sum;
}

/* Two churning clients (a connection per request) and two keep-alive
 * ones, 400 requests each, against a staged fastd with one request
 * thread; the view's report is what they did, whatever was lost. */
static void test_live_counts_are_the_clients(void **state)
{
    (void)state;
    char dir[] = "/tmp/fastsim-live-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64], arg[80], out[80], err[80];
    snprintf(path, sizeof path, "%s/s", dir);
    snprintf(arg, sizeof arg, "unix:%s", path);
    snprintf(out, sizeof out, "%s/out.json", dir);
    snprintf(err, sizeof err, "%s/err.txt", dir);
    pid_t viewer = start_viewer_err(path, out, err);
    const char *args[] = {"--threads", "2", "--trace", arg, NULL};
    struct fastd f;
    assert_int_equal(fastd_start(&f, args, 0), 0);
    assert_int_equal(load_parallel(&f, 2, 2, 400), 1600);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
    /* The view notices that fastd has gone, and says so. */
    char text[8192] = {0};
    for (int i = 0; i < 200 && !strstr(text, "has stopped"); i++) {
        usleep(50000);
        read_file(err, text, sizeof text);
    }
    assert_non_null(strstr(text, "has stopped"));
    kill(viewer, SIGTERM);
    int status;
    assert_int_equal(waitpid(viewer, &status, 0), viewer);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char json[8192];
    read_file(out, json, sizeof json);
    printf("live view: %s", json);
    long conns = json_number(json, "connections");
    assert_int_equal(json_number(json, "requests"), 1600);
    assert_int_equal(conns, 2 * 400 + 2);
    assert_true(json_number(json, "handoffs") <= conns);
    assert_int_equal(json_number(json, "closes"), conns);
    /* Every loss is explained: the total is the sum of its kinds. */
    assert_int_equal(json_number(json, "dropped"), lost_total(json));
    const char *q = json;
    while ((q = strstr(q, "\"ready_mean\":"))) {
        q += 13;
        assert_true(atof(q) >= 0);
    }
    unlink(out);
    unlink(err);
    rmdir(dir);
}

/* A live reader on a socket in a fresh folder dir (mkdtemp's template),
 * and fastd --threads 2 streaming its trace to it. */
static void live_beside_fastd(char *dir, struct live *l, struct fastd *f)
{
    char err[256], path[64], arg[80];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s", dir);
    snprintf(arg, sizeof arg, "unix:%s", path);
    assert_int_equal(live_open(l, path, err, sizeof err), 0);
    const char *args[] = {"--threads", "2", "--trace", arg, NULL};
    assert_int_equal(fastd_start(f, args, 0), 0);
}

/* The reader stalls while 1,500 connections come and go: the kernel's
 * queue fills and fastd drops records. It reports what it lost, kind by
 * kind, so counting what arrived plus what was lost gives the clients'
 * figures exactly. */
static void test_lost_records_are_counted(void **state)
{
    (void)state;
    char dir[] = "/tmp/fastsim-live-XXXXXX", err[256];
    struct live l;
    struct fastd f;
    live_beside_fastd(dir, &l, &f);
    assert_int_equal(load_parallel(&f, 3, 0, 500), 1500);
    assert_int_equal(live_start(&l, err, sizeof err), 0);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0); /* each thread flushes */
    usleep(300000);
    live_stop_reader(&l);
    struct live_batch b = {0};
    assert_int_equal(live_take(&l, &b), 0);
    assert_int_equal(b.head.threads, 2);
    assert_true(b.head.pid == f.pid || f.pid == 0);
    struct tally t;
    assert_int_equal(tally_init(&t, b.head.threads), 0);
    for (size_t i = 0; i < b.len; i++)
        tally_event(&t, &b.events[i]);
    for (int k = 0; k < FD_NKINDS; k++)
        tally_lost(&t, k, b.over[k]);
    printf("arrived %zu records; lost %llu (accept %llu, request %llu)\n",
           b.len, (unsigned long long)t.drops,
           (unsigned long long)t.lost[FD_ACCEPT],
           (unsigned long long)t.lost[FD_REQUEST]);
    assert_true(t.drops > 0); /* else the stall did not stall anything */
    assert_int_equal(t.accepts, 1500);
    assert_int_equal(t.handoffs, 1500);
    assert_int_equal(t.requests, 1500);
    assert_int_equal(t.closes, 1500);
    /* fastd's own totals say the same. */
    assert_int_equal(t.total[FD_ACCEPT], 1500);
    assert_int_equal(t.total[FD_REQUEST], 1500);
    tally_free(&t);
    free(b.events);
    live_close(&l);
    rmdir(dir);
}

/* Keep-alive clients connect while the reader stalls: the accept thread
 * cannot send, keeps its records, and then sleeps (no new connection
 * comes) holding them. The counts must still be right while fastd runs:
 * the request thread's datagrams carry the server's totals. */
static void test_sleeping_acceptor_still_counted(void **state)
{
    (void)state;
    char dir[] = "/tmp/fastsim-live-XXXXXX", err[256];
    struct live l;
    struct fastd f;
    live_beside_fastd(dir, &l, &f);
    enum { CONNS = 40 };
    int fds[CONNS];
    for (int i = 0; i < CONNS; i++) { /* the queue fills while they come */
        fds[i] = fastd_connect(&f);
        assert_true(fds[i] >= 0);
        assert_true(get_one(fds[i], false));
    }
    assert_int_equal(live_start(&l, err, sizeof err), 0);
    usleep(100000);
    for (int round = 0; round < 5; round++) { /* only t1 has work now */
        for (int i = 0; i < CONNS; i++)
            assert_true(get_one(fds[i], false));
        usleep(30000); /* past t1's 20 ms: it sends */
    }
    /* t1 now sleeps too, holding the last round's records; its idle
     * clock wakes it within a second, and it sends them with the totals. */
    struct live_batch b = {0};
    struct tally t;
    assert_int_equal(tally_init(&t, 2), 0);
    for (int i = 0; i < 100 && tally_count(&t, FD_REQUEST) < 6 * CONNS; i++) {
        usleep(50000);
        assert_int_equal(live_take(&l, &b), 0);
        for (size_t j = 0; j < b.len; j++)
            tally_event(&t, &b.events[j]);
        b.len = 0;
    }
    printf("accept records %llu, fastd's total %llu\n",
           (unsigned long long)t.accepts,
           (unsigned long long)t.total[FD_ACCEPT]);
    assert_int_equal(tally_count(&t, FD_ACCEPT), CONNS);
    assert_int_equal(tally_count(&t, FD_HANDOFF), CONNS);
    assert_int_equal(tally_count(&t, FD_REQUEST), 6 * CONNS);
    tally_free(&t);
    free(b.events);
    for (int i = 0; i < CONNS; i++)
        close(fds[i]);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
    live_close(&l);
    rmdir(dir);
}

static void test_killed_viewer_leaves_fastd_serving(void **state)
{
    (void)state;
    char sock[] = "/tmp/fastsim-live-XXXXXX";
    assert_non_null(mkdtemp(sock));
    char path[64], arg[80];
    snprintf(path, sizeof path, "%s/s", sock);
    snprintf(arg, sizeof arg, "unix:%s", path);
    pid_t viewer = start_viewer(path, "/dev/null");
    const char *args[] = {"--threads", "2", "--trace", arg, NULL};
    struct fastd f;
    assert_int_equal(fastd_start(&f, args, 0), 0);
    curl_n(&f, 5);
    kill(viewer, SIGKILL);
    waitpid(viewer, NULL, 0);
    unlink(path);   /* gone, as a crashed viewer's socket may be */
    curl_n(&f, 20); /* each answered: curl -f fails on anything else */
    char body[128];
    assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
    assert_int_equal(fastd_total(&f, "requests") >= 26, 1);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
    rmdir(sock);
}

/* The HUD's "last 1 s" rates (recent.c). A view that starts within the
 * trace's first second knows the counts at time 0 (none), so its first
 * frame already has a rate: a replay picture taken at 50 ms of trace must
 * not say 0 req/s. A view that joins a trace later has no such note and
 * says 0 until it has watched for a while. */
static void test_recent_rate_from_the_start(void **state)
{
    (void)state;
    struct tally t;
    struct recent r;
    assert_int_equal(tally_init(&t, 1), 0);
    assert_int_equal(recent_init(&r, 1), 0);
    for (int i = 0; i < 500; i++) { /* 500 requests in 50 ms: 10,000/s */
        struct fd_event e = {(int64_t)i * 100000, 0, 0, FD_REQUEST, 7, 1};
        tally_event(&t, &e);
    }
    recent_tick(&r, &t, 50000000);
    double rps = recent_rps(&r, &t, 50000000);
    if (rps < 9900 || rps > 10100)
        fail_msg("50 ms into a trace with 500 requests: %.0f req/s, not "
                 "10,000",
                 rps);
    /* ... and says it measured over those 50 ms, not a second */
    assert_true(recent_span_s(&r, 50000000) == 0.05);
    recent_free(&r);
    tally_free(&t);

    /* Joined 5 s in: nothing is known of the second before. */
    assert_int_equal(tally_init(&t, 1), 0);
    assert_int_equal(recent_init(&r, 1), 0);
    struct fd_event late = {5000000000, 0, 0, FD_REQUEST, 7, 1};
    tally_event(&t, &late);
    recent_tick(&r, &t, 5000000000);
    assert_true(recent_rps(&r, &t, 5000000000) == 0);
    recent_free(&r);
    tally_free(&t);
}

/* With frames slower than a note's step (300 ms apart: a loaded machine,
 * a headless run writing PNGs), the rates still cover about a second:
 * they covered the ring's eleven notes, 3 s, so 1.5 s after the last
 * request a live view still said 3,300 req/s "(last 1 s)". */
static void test_recent_rate_with_slow_frames(void **state)
{
    (void)state;
    struct tally t;
    struct recent r;
    assert_int_equal(tally_init(&t, 1), 0);
    assert_int_equal(recent_init(&r, 1), 0);
    int64_t now = 0;
    for (int frame = 0; frame <= 15; frame++) { /* 0 .. 4.5 s */
        now = (int64_t)frame * 300000000;
        for (int i = 0; i < 1000 && now <= 3000000000; i++) {
            /* 10,000 requests a second until 3 s */
            struct fd_event e = {
                now + (int64_t)i * 300000, 0, 0, FD_REQUEST, 7, 1};
            tally_event(&t, &e);
        }
        recent_tick(&r, &t, now);
    }
    double rps = recent_rps(&r, &t, now), span = recent_span_s(&r, now);
    recent_free(&r);
    tally_free(&t);
    if (rps != 0 || span < 0.95 || span > 1.35)
        fail_msg("1.2 s after the last request: %.0f req/s over %.2f s (a "
                 "second or a frame more, and nothing in it)",
                 rps, span);
}

/* A thread's busy share is of the span of work, and so at most 100%: a
 * batch that began with a wake-up long before the first work (a trace cut
 * from a longer run: thread 0 woke at 0 s, the work is at 1 s) counts only
 * from that work. It read 100,050% before. */
static void test_busy_within_the_span(void **state)
{
    (void)state;
    struct tally t;
    assert_int_equal(tally_init(&t, 2), 0);
    const struct fd_event ev[] = {
        {0, 0, 0, FD_WAKE, -1, 1},           {1000000000, 1, 1, FD_WAKE, -1, 1},
        {1000000000, 1, 1, FD_ACCEPT, 7, 3}, {1000500000, 0, 0, FD_RECV, 8, 60},
        {1001000000, 1, 1, FD_CLOSE, 7, 0},
    };
    for (size_t i = 0; i < sizeof ev / sizeof *ev; i++)
        tally_event(&t, &ev[i]);
    double b0 = tally_busy(&t, 0), b1 = tally_busy(&t, 1);
    if (b0 < 0.49 || b0 > 0.51 || b1 < 0.99 || b1 > 1.0)
        fail_msg("busy %.4f and %.4f over the 1 ms of work: thread 0 worked "
                 "its second half (0.5), thread 1 all of it (1.0)",
                 b0, b1);
    tally_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recent_rate_from_the_start),
        cmocka_unit_test(test_busy_within_the_span),
        cmocka_unit_test(test_recent_rate_with_slow_frames),
        cmocka_unit_test(test_live_counts_curl_requests),
        cmocka_unit_test(test_live_counts_are_the_clients),
        cmocka_unit_test(test_lost_records_are_counted),
        cmocka_unit_test(test_sleeping_acceptor_still_counted),
        cmocka_unit_test(test_killed_viewer_leaves_fastd_serving),
    };
    return cmocka_run_group_tests_name("live", tests, NULL, NULL);
}
