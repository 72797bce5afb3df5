/*
 * make progress (scripts/progress.sh, issue 22): from a grade folder
 * (results.json and the history.jsonl the grader appends to), it prints
 * the scores and writes a page with each exercise's score, its failing
 * tests with their messages (HTML-escaped: a message is the learner's
 * program's output), and gnuplot plots over time; the page, opened in
 * headless Chromium, shows the table and a plot (its screenshot is kept
 * in build/test-logs/progress.png).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_HDR
#include <stb/stb_image.h>

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif

static char dir[] = "/tmp/progress-test.XXXXXX";

static void write_file(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *rel)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *s = calloc(1, 1 << 20);
    size_t n = fread(s, 1, (1 << 20) - 1, f);
    s[n] = 0;
    fclose(f);
    return s;
}

/* Run the command, keep its output in OUT; return its exit status. */
static int sh(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *s = calloc(1, 1 << 16);
    size_t n = fread(s, 1, (1 << 16) - 1, p);
    s[n] = 0;
    int st = pclose(p);
    if (out)
        *out = s;
    else
        free(s);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One exercise's entry as grade.sh writes it. */
#define EX_FIELDS(name, pts, max, status, measured, tests)                     \
    "\"exercise\":\"" name "\",\"title\":\"T " name "\",\"points\":" #pts      \
    ",\"max\":" #max ",\"status\":\"" status "\",\"message\":\"\","            \
    "\"measured\":\"" measured "\",\"tests\":[" tests "]}"
/* results.json's entry; a history.jsonl line is {"graded_at":...,FIELDS. */
#define EX(...) "{" EX_FIELDS(__VA_ARGS__)
#define AT(t, ...)                                                             \
    "{\"graded_at\":\"2026-12-07T" t "Z\"," EX_FIELDS(__VA_ARGS__) "\n"
#define FAILED(name, msg)                                                      \
    "{\"name\":\"" name "\",\"suite\":\"unit\",\"points\":0,\"max\":2,"        \
    "\"status\":\"fail\",\"verdict\":\"fail\",\"time\":0.1,\"cpu\":0.1,"       \
    "\"message\":\"" msg "\",\"hint\":1}"
#define PASSED(name)                                                           \
    "{\"name\":\"" name "\",\"suite\":\"unit\",\"points\":2,\"max\":2,"        \
    "\"status\":\"pass\",\"verdict\":\"pass\",\"time\":0.1,\"cpu\":0.1,"       \
    "\"message\":\"\",\"hint\":1}"
#define SLOW(r, lo, hi)                                                        \
    "slow-reader: mine/reference " r "x (median of 5 rounds, spread " lo       \
    "x-" hi "x): worse than the reference in every round; delivered"

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/grade", dir);
    assert_int_equal(system(cmd), 0);
    write_file(
        "grade/results.json",
        "{\"solutions\":false,\"graded_at\":\"2026-12-07T03:00:00Z\","
        "\"points\":23,\"max\":28,\"complete\":1,\"exercises_total\":2,"
        "\"exercises\":[" EX(
            "03-accept-handoff", 16, 16, "complete", "",
            PASSED(
                "burst_drains")) "," EX("06-backpressure", 7, 12, "incomplete",
                                        SLOW("0.97", "0.91", "1.04"),
                                        PASSED("short_write") "," FAILED(
                                            "eagain_keeps_rest",
                                            "expected out_sent 4096, saw 0 "
                                            "<script>alert(1)</script>")) "]}"
                                                                          "\n");
    /* Three runs of 06: dropped readers, then fixed; one line of 03
     * without a measurement; one measurement the grader could not take. */
    write_file(
        "grade/history.jsonl",
        AT("01:00:00", "06-backpressure", 3, 12, "incomplete",
           SLOW("0.00", "0.00", "0.01"), "")
            AT("01:30:00", "03-accept-handoff", 16, 16, "complete", "", "")
                AT("02:00:00", "06-backpressure", 5, 12, "incomplete",
                   "slow-reader: not measured: another measurement "
                   "holds the lock",
                   "") AT("03:00:00", "06-backpressure", 7, 12, "incomplete",
                          SLOW("0.97", "0.91", "1.04"), ""));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void summary_and_page(void **state)
{
    (void)state;
    char cmd[300], *out;
    snprintf(cmd, sizeof cmd, "scripts/progress.sh %s 2>&1", dir);
    int rc = sh(cmd, &out);
    print_message("%s", out);
    assert_int_equal(rc, 0);
    /* The terminal: the totals, each exercise, the failing test. */
    assert_non_null(strstr(out, "1/2 complete, 23/28 points"));
    assert_non_null(strstr(out, "06-backpressure"));
    assert_non_null(strstr(out, "FAIL eagain_keeps_rest: expected out_sent"));
    free(out);

    char *html = slurp("progress/index.html");
    assert_non_null(html);
    assert_non_null(strstr(html, "23/28 points"));
    assert_non_null(strstr(html, "7/12"));
    assert_non_null(strstr(html, "eagain_keeps_rest"));
    /* The learner's output is text on the page, never markup. */
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;"));
    assert_non_null(strstr(html, "src=\"slow-reader.svg\""));
    assert_non_null(strstr(html, "src=\"points.svg\""));
    free(html);

    /* The plot holds the two runs that were measured, not the third. */
    char *dat = slurp("progress/slow-reader.dat");
    assert_non_null(dat);
    int lines = 0;
    for (char *p = dat; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2);
    assert_non_null(strstr(dat, "2026-12-07T03:00:00Z 0.97 0.91 1.04"));
    free(dat);
    char *svg = slurp("progress/slow-reader.svg");
    assert_non_null(svg);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "<path"));
    free(svg);
}

/* Pixels close to gnuplot's first line colour (#9400d3). */
static int plot_pixels(const unsigned char *px, int w, int h)
{
    int n = 0;
    for (int i = 0; i < w * h; i++) {
        const unsigned char *q = px + 4 * (size_t)i;
        n += abs(q[0] - 0x94) < 40 && q[1] < 60 && abs(q[2] - 0xd3) < 40;
    }
    return n;
}

static void page_in_chromium(void **state)
{
    (void)state;
    char png[256], cmd[1024], *out;
    snprintf(cmd, sizeof cmd, "mkdir -p %s/test-logs", BUILD_DIR);
    assert_int_equal(system(cmd), 0);
    snprintf(png, sizeof png, "%s/test-logs/progress.png", BUILD_DIR);
    unlink(png);
    snprintf(cmd, sizeof cmd,
             "timeout 60 chromium --headless --no-sandbox --disable-gpu "
             "--no-first-run --disable-background-networking "
             "--disable-component-update --disable-sync "
             "--user-data-dir=%s/chromium --window-size=1280,1100 "
             "--screenshot=%s file://%s/progress/index.html 2>&1",
             dir, png, dir);
    int rc = sh(cmd, &out);
    if (rc != 0)
        fail_msg("chromium exited with %d: %s", rc, out);
    free(out);
    int w, h, n;
    unsigned char *px = stbi_load(png, &w, &h, &n, 4);
    if (!px)
        fail_msg("chromium wrote no screenshot %s", png);
    int plotted = plot_pixels(px, w, h);
    stbi_image_free(px);
    print_message("  %s: %dx%d, %d pixels of the plot's line colour\n", png, w,
                  h, plotted);
    if (plotted < 50)
        fail_msg("the screenshot %s shows no plot line (%d pixels of "
                 "#9400d3)",
                 png, plotted);
}

static void no_grades_yet(void **state)
{
    (void)state;
    char empty[] = "/tmp/progress-empty.XXXXXX", cmd[300], *out;
    assert_non_null(mkdtemp(empty));
    snprintf(cmd, sizeof cmd, "scripts/progress.sh %s 2>&1", empty);
    int rc = sh(cmd, &out);
    snprintf(cmd, sizeof cmd, "rm -rf %s", empty);
    assert_int_equal(system(cmd), 0);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "run 'make grade' first"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(summary_and_page),
        cmocka_unit_test(page_in_chromium),
        cmocka_unit_test(no_grades_yet),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
