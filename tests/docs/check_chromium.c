/* The site in headless Chromium: the index and a chapter open with nothing
 * on the console, and their screenshots are not blank; so does chapter 4
 * as a forge renders it (docs/forge-preview.sh). */
#include "tests/docs/checks.h"
#include "tests/docs/supervisor.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Time limit of one Chromium run, in seconds. */
#define CHROMIUM_SECONDS 60

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_HDR
#include <stb/stb_image.h>

/* ---- the site in headless Chromium ------------------------------------ */

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* How much is drawn in the content area (right of the navigation tree,
 * below the title): distinct colours (4 bits a channel) and the share of
 * pixels that are not the background (the most common colour). */
static void ink(const unsigned char *px, int w, int h, int *colours,
                double *share)
{
    int hist[4096] = {0};
    int x0 = w / 4, y0 = h / 8, total = 0, top = 0;
    *colours = 0;
    for (int y = y0; y < h; y++)
        for (int x = x0; x < w; x++) {
            const unsigned char *q =
                px + 4 * ((size_t)y * (size_t)w + (size_t)x);
            int bin = (q[0] >> 4) << 8 | (q[1] >> 4) << 4 | q[2] >> 4;
            if (hist[bin]++ == 0)
                (*colours)++;
            total++;
        }
    for (int i = 0; i < 4096; i++)
        if (hist[i] > hist[top])
            top = i;
    *share = total ? 1.0 - (double)hist[top] / total : 0;
}

/* Open URL (named PAGE in the report and the screenshot's name). */
static void check_url(const struct docs *d, struct report *r,
                      const char *chromium, const char *page, const char *url)
{
    char png[PATH_MAX + 64], log[PATH_MAX + 64];
    char profile[PATH_MAX + 64], a_profile[PATH_MAX + 96], a_png[PATH_MAX + 96];
    snprintf(png, sizeof png, "%s/test-logs/docs-%s.png", d->build, page);
    snprintf(log, sizeof log, "%s/test-logs/docs-%s.chromium.log", d->build,
             page);
    snprintf(profile, sizeof profile, "%s/test-logs", d->build);
    make_dir(profile);
    snprintf(profile, sizeof profile, "%s/test-logs/chromium-XXXXXX", d->build);
    assert_non_null(mkdtemp(profile));
    snprintf(a_profile, sizeof a_profile, "--user-data-dir=%s", profile);
    snprintf(a_png, sizeof a_png, "--screenshot=%s", png);
    remove(png);
    const char *const argv[] = {
        chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", a_profile,
        "--enable-logging=stderr", "--v=0", "--window-size=1280,900",
        /* let the navigation tree's script run */
        "--virtual-time-budget=5000", a_png, url, NULL};
    struct run res = run_bounded(argv, d->root, log, NULL, CHROMIUM_SECONDS);
    nftw(profile, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    char why[128];
    describe(&res, CHROMIUM_SECONDS, why, sizeof why);

    /* The console: Doxygen's pages log nothing. */
    char *out = slurp(log, NULL);
    int console = 0;
    for (char *line = out ? strtok(out, "\n") : NULL; line;
         line = strtok(NULL, "\n"))
        if (strstr(line, ":CONSOLE")) {
            report(r, "%s: console: %s", page, line);
            console++;
        }
    free(out);

    int w, h, n;
    unsigned char *px = stbi_load(png, &w, &h, &n, 4);
    if (!px) {
        report(r, "%s: no screenshot %s (Chromium: %s); its log %s ends:", page,
               png, why, log);
        tail_into(r, log, 10);
        return;
    }
    int colours;
    double share;
    ink(px, w, h, &colours, &share);
    stbi_image_free(px);
    print_message("  %s: %dx%d, %d colours, %.1f%% ink in the content area, "
                  "%d console message(s), %.1f s (%s)\n",
                  page, w, h, colours, share * 100, console, res.seconds, png);
    if (colours < 8 || share < 0.01)
        report(r,
               "%s: the screenshot %s looks blank: %d colour(s), %.2f%% of "
               "the content area drawn (needs 8 colours and 1%%)",
               page, png, colours, share * 100);
}

static void check_page(const struct docs *d, struct report *r,
                       const char *chromium, const char *page)
{
    char url[PATH_MAX + 64];
    snprintf(url, sizeof url, "file://%s/%s", d->html, page);
    check_url(d, r, chromium, page, url);
}

/* Chapter 4 as a forge shows it: docs/forge-preview.sh renders it with
 * cmark-gfm (test_pages_on_a_forge checks its text and links); here it
 * must open in Chromium with nothing on the console and not be blank. */
static void check_forge_page(const struct docs *d, struct report *r,
                             const char *chromium)
{
    const char *md = "chapters/04-accept-and-handoff.md";
    char src[PATH_MAX + 64], log[PATH_MAX + 64], env_build[PATH_MAX + 16];
    snprintf(src, sizeof src, "%s/%s", d->root, md);
    if (!exists(src))
        return;
    snprintf(log, sizeof log, "%s/test-logs/forge-preview.log", d->build);
    snprintf(env_build, sizeof env_build, "BUILD=%s", d->build);
    const char *const argv[] = {"docs/forge-preview.sh", md, NULL};
    const char *const env[] = {env_build, NULL};
    struct run res = run_bounded(argv, d->root, log, env, CHROMIUM_SECONDS);
    if (res.timed_out || !WIFEXITED(res.status) || WEXITSTATUS(res.status)) {
        char why[128];
        describe(&res, CHROMIUM_SECONDS, why, sizeof why);
        report(r, "docs/forge-preview.sh %s failed (%s); its log %s ends:", md,
               why, log);
        tail_into(r, log, 10);
        return;
    }
    char url[PATH_MAX + 96];
    snprintf(url, sizeof url, "file://%s/forge-preview/%s.html", d->build, md);
    check_url(d, r, chromium, "forge-ch04.html", url);
}

void test_site_in_chromium(void **state)
{
    const struct docs *d = *state;
    char chromium[PATH_MAX];
    if (!find_program("chromium", chromium, sizeof chromium) &&
        !find_program("chromium-browser", chromium, sizeof chromium))
        fail_msg("chromium is not installed: run 'make deps'");
    char index[PATH_MAX + 32];
    snprintf(index, sizeof index, "%s/index.html", d->html);
    if (!exists(index))
        fail_msg("%s: missing; run 'make docs'", index);

    /* A chapter page: chapter 4 (the hand-off, the heart of the course),
     * else the first there is. */
    char chapter[32] = "";
    for (int k = -1; k < COURSE_CHAPTERS && !chapter[0]; k++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/ch%02d.html", d->html, k < 0 ? 4 : k);
        if (exists(path))
            snprintf(chapter, sizeof chapter, "ch%02d.html", k < 0 ? 4 : k);
    }
    struct report r = {0};
    check_page(d, &r, chromium, "index.html");
    check_forge_page(d, &r, chromium);
    if (chapter[0])
        check_page(d, &r, chromium, chapter);
    else
        print_message("no chapter page in %s yet: only the index was "
                      "opened\n",
                      d->html);
    report_done(&r, "problem(s) with the site in headless Chromium");
}
