/* Replay: a trace recorded from a real fastd, inside this test, replays to
 * the connection and request counts fastd's /stats reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "simulator/model/tracefile.h"
#include "tests/server/fastd_harness.h"

static long json_number(const char *json, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(json, k);
    return p ? atol(p + strlen(k)) : -1;
}

static void test_replay_matches_stats(void **state)
{
    (void)state;
    char trace[] = "/tmp/fastsim-replay-XXXXXX";
    int tfd = mkstemp(trace);
    close(tfd);
    const char *args[] = {"--threads", "2", "--trace", trace, NULL};
    struct fastd f;
    assert_int_equal(fastd_start(&f, args, 0), 0);
    char body[128], resp[8192];
    for (int i = 0; i < 30; i++) /* 30 connections, one request each */
        assert_int_equal(fastd_get(&f, "/", body, sizeof body), 200);
    /* 5 more connections with 3 pipelined requests each */
    for (int i = 0; i < 5; i++)
        fastd_request(&f,
                      "GET / HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET / HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                      resp, sizeof resp);
    char stats[32768];
    assert_int_equal(fastd_get(&f, "/stats", stats, sizeof stats), 200);
    assert_int_equal(fastd_stop(&f, NULL, 0), 0);
    const char *total = strstr(stats, "\"total\":");
    assert_non_null(total);
    long accepted = json_number(total, "accepted");
    long requests = json_number(total, "requests");
    assert_int_equal(accepted, 36);
    assert_int_equal(requests, 45);

    /* The model's reader agrees... */
    struct trace tr;
    char err[256];
    assert_int_equal(trace_load(&tr, trace, err, sizeof err), 0);
    struct trace_counts n;
    trace_count(&tr, &n);
    assert_int_equal(n.connections, accepted);
    /* /stats counts its own request only once answered: the trace has it. */
    assert_int_equal(n.requests, requests + 1);
    assert_int_equal(n.handoffs, accepted);
    trace_free(&tr);

    /* ...and so does fastsim, replaying it headless to a picture. */
    char cmd[512], out[4096] = {0}, png[] = "/tmp/fastsim-replay-XXXXXX.png";
    int pfd = mkstemps(png, 4);
    close(pfd);
    snprintf(cmd, sizeof cmd,
             "%s --replay %s --headless --png %s --report json", FASTSIM_BIN,
             trace, png);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = 0;
    assert_int_equal(pclose(p), 0);
    assert_int_equal(json_number(out, "connections"), accepted);
    assert_int_equal(json_number(out, "requests"), requests + 1);
    assert_true(access(png, R_OK) == 0);
    unlink(png);
    unlink(trace);
}

static void test_replay_bad_file(void **state)
{
    (void)state;
    char path[] = "/tmp/fastsim-bad-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "# fdtrace 1 arch=staged threads=2 cores=2\n"
                       "1 0 0 accept 9 3\n2 0 0 teleport 9 1\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[512], out[1024] = {0};
    snprintf(cmd, sizeof cmd, "%s --replay %s --report text 2>&1", FASTSIM_BIN,
             path);
    FILE *p = popen(cmd, "r");
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = 0;
    int rc = pclose(p);
    unlink(path);
    assert_int_not_equal(rc, 0);
    char want[128];
    snprintf(want, sizeof want, "%s:3: unknown event", path);
    assert_non_null(strstr(out, want));
}

/* Run fastsim with arguments; its exit status and what it printed. */
static int fastsim(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", FASTSIM_BIN, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, cap - 1, p);
    out[len] = 0;
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* A trace is what happened: the model's knobs are refused, not ignored. */
static void test_replay_refuses_model_options(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"simulator/scenarios/staged.ini --replay t.fdt", "scenario file"},
        {"--replay t.fdt --arch pool", "--arch does not apply"},
        {"--replay t.fdt --cores 8", "--cores does not apply"},
        {"--replay t.fdt --replications 3", "--replications does not apply"},
        {"--live /tmp/x.sock --clients 3", "--clients does not apply"},
        {"--live /tmp/x.sock --at 100", "--at does not apply"},
        {"/tmp", "/tmp:1: is a directory"},
        /* a bad value names the option typed, not the scenario's key
         * (it said "--duration_ms: ...") */
        {"--duration 0.01 --report text", "--duration: '0.01'"},
    };
    char out[2048];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(fastsim(cases[i][0], out, sizeof out), 2);
        if (!strstr(out, cases[i][1]))
            fail_msg("fastsim %s: expected '%s' in '%s'", cases[i][0],
                     cases[i][1], out);
    }
}

/* No display and no --headless: a window nobody can see would run until
 * killed (a replay and a live view did, with only SDL's complaint about
 * XDG_RUNTIME_DIR), so fastsim says so and exits, whatever it was asked
 * to play. `timeout` bounds the old behaviour: it fails, not hangs. */
static void test_window_without_display_refused(void **state)
{
    (void)state;
    char trace[] = "/tmp/fastsim-no-display-XXXXXX";
    int fd = mkstemp(trace);
    assert_true(fd >= 0);
    const char *text = "# fdtrace 1 arch=staged threads=2 cores=2\n"
                       "1 0 0 accept 9 3\n2 0 0 handoff 9 1\n"
                       "3 1 1 close 9 0\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    const char *const cases[] = {
        "--replay", /* the trace above */
        "--live /tmp/fastsim-no-display.sock",
        "--live /tmp/fastsim-no-display.sock --report text",
        "simulator/scenarios/tour.ini",
    };
    char cmd[1024], out[2048];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(cmd, sizeof cmd,
                 "timeout 20 env -u DISPLAY -u WAYLAND_DISPLAY "
                 "-u SDL_VIDEODRIVER %s %s %s 2>&1",
                 FASTSIM_BIN, cases[i], i == 0 ? trace : "");
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t len = fread(out, 1, sizeof out - 1, p);
        out[len] = 0;
        int status = pclose(p);
        int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (rc != 1 || !strstr(out, "no display")) {
            unlink(trace);
            fail_msg("fastsim %s with no display: exit %d, '%s' (expected 1 "
                     "and 'no display')",
                     cases[i], rc, out);
        }
    }
    unlink("/tmp/fastsim-no-display.sock");
    unlink(trace);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_matches_stats),
        cmocka_unit_test(test_replay_bad_file),
        cmocka_unit_test(test_replay_refuses_model_options),
        cmocka_unit_test(test_window_without_display_refused),
    };
    return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
