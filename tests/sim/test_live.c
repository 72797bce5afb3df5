/* Live mode: fastd --trace unix:PATH streams its events to fastsim --live
 * PATH. The live view counts the requests curl sent; a viewer killed with
 * SIGKILL leaves fastd serving (it drops and counts instead of waiting). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/server/fastd_harness.h"

static long json_number(const char *json, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(json, k);
    return p ? atol(p + strlen(k)) : -1;
}

/* fastsim --live sock --headless, its stdout to out; waits until its
 * socket exists. */
static pid_t start_viewer(const char *sock, const char *out)
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        if (!freopen(out, "w", stdout))
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live_counts_curl_requests),
        cmocka_unit_test(test_killed_viewer_leaves_fastd_serving),
    };
    return cmocka_run_group_tests_name("live", tests, NULL, NULL);
}
