/* The view, headless: pictures are checked by what is drawn where (colours
 * in regions), never pixel for pixel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include "simulator/view/view.h"

struct picture {
    unsigned char *px;
    int w, h;
};

static struct picture load(const char *path)
{
    struct picture p = {0};
    int n;
    p.px = stbi_load(path, &p.w, &p.h, &n, 4);
    if (!p.px)
        fail_msg("cannot read back %s", path);
    return p;
}

/* Pixels in the rectangle close to the colour (each channel within 12). */
static int count_colour(const struct picture *p, int x0, int y0, int x1, int y1,
                        int r, int g, int b)
{
    int n = 0;
    for (int y = y0; y < y1 && y < p->h; y++)
        for (int x = x0; x < x1 && x < p->w; x++) {
            const unsigned char *q = p->px + 4 * (y * p->w + x);
            if (abs(q[0] - r) < 12 && abs(q[1] - g) < 12 && abs(q[2] - b) < 12)
                n++;
        }
    return n;
}

static void ev(struct view *v, int thread, enum fd_kind kind, int fd, long arg)
{
    struct fd_event e = {0, thread, thread, kind, fd, arg};
    view_event(v, &e);
}

static void test_tokens_where_they_belong(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(800, 600, true, err, sizeof err);
    if (!v)
        fail_msg("%s", err);
    int core[] = {0, 1};
    const char *label[] = {"accept", "request"};
    view_layout(v, 2, 2, core, label);
    /* fd 5: accepted by t0, handed to t1, served, waiting (blue). */
    ev(v, 0, FD_ACCEPT, 5, 3);
    ev(v, 0, FD_HANDOFF, 5, 1);
    ev(v, 1, FD_RECV, 5, 78);
    ev(v, 1, FD_REQUEST, 5, 1);
    ev(v, 1, FD_SEND, 5, 130);
    /* fd 6: accepted and handed off, not yet served (purple). */
    ev(v, 0, FD_ACCEPT, 6, 3);
    ev(v, 0, FD_HANDOFF, 6, 1);
    struct hud h = {.title = "test", .arch = "staged", .cores = 2};
    view_draw(v, &h, 10.0); /* long enough for every glide to finish */
    assert_int_equal(view_tokens(v), 2);
    char path[] = "/tmp/fastsim-view-XXXXXX.png";
    int fd = mkstemps(path, 4);
    close(fd);
    assert_int_equal(view_png(v, path, err, sizeof err), 0);
    view_close(v);
    struct picture p = load(path);
    unlink(path);
    assert_int_equal(p.w, 800);
    assert_int_equal(p.h, 600);
    /* Lanes: the lane colour (40,44,52) fills much of the lower part. */
    assert_true(count_colour(&p, 160, 130, 800, 600, 40, 44, 52) > 5000);
    /* The HUD text is drawn (light pixels at the top left). */
    assert_true(count_colour(&p, 0, 0, 400, 24, 225, 228, 235) > 20);
    /* Layout: core 1's lane is the lower half of the lane area; t1's grid
     * starts 150 px into its row. Blue and purple tokens are there... */
    int mid = 116 + (600 - 116) / 2;
    assert_true(count_colour(&p, 380, mid, 800, 600, 70, 140, 230) >= 30);
    assert_true(count_colour(&p, 380, mid, 800, 600, 190, 110, 240) >= 30);
    /* ...and not in core 0's lane, nor in the client pool. */
    assert_int_equal(count_colour(&p, 160, 116, 800, mid - 10, 70, 140, 230),
                     0);
    assert_int_equal(count_colour(&p, 0, 116, 150, 600, 70, 140, 230), 0);
    stbi_image_free(p.px);
}

static void test_closed_token_fades(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(640, 480, true, err, sizeof err);
    assert_non_null(v);
    int core[] = {0};
    const char *label[] = {"accept+serve"};
    view_layout(v, 1, 1, core, label);
    ev(v, 0, FD_ACCEPT, 7, 3);
    ev(v, 0, FD_CLOSE, 7, 0);
    struct hud h = {.cores = 1};
    view_draw(v, &h, 1.0); /* glide home */
    view_draw(v, &h, 1.0); /* fade out */
    assert_int_equal(view_tokens(v), 0);
    view_close(v);
}

/* fastsim itself, headless, at a requested size: the file is that size
 * and shows lanes and served or waiting tokens. Also reports the frame
 * rate with 2,000 tokens (a figure, not an assertion). */
static void test_fastsim_headless_png(void **state)
{
    (void)state;
    char path[] = "/tmp/fastsim-run-XXXXXX.png", cmd[512];
    int fd = mkstemps(path, 4);
    close(fd);
    snprintf(cmd, sizeof cmd,
             "%s simulator/scenarios/staged.ini --headless --duration 50 "
             "--size 960x540 --png %s > /dev/null",
             FASTSIM_BIN, path);
    assert_int_equal(system(cmd), 0);
    struct picture p = load(path);
    unlink(path);
    assert_int_equal(p.w, 960);
    assert_int_equal(p.h, 540);
    assert_true(count_colour(&p, 160, 120, 960, 540, 40, 44, 52) > 5000);
    assert_true(count_colour(&p, 160, 120, 960, 540, 70, 140, 230) > 50);
    stbi_image_free(p.px);

    char err[256];
    struct view *v = view_open(1280, 720, true, err, sizeof err);
    int core[] = {0, 1, 2, 3};
    const char *label[] = {"accept", "request", "request", "request"};
    view_layout(v, 4, 4, core, label);
    for (int i = 0; i < 2000; i++) {
        ev(v, 0, FD_ACCEPT, 5 + i, 3);
        ev(v, 0, FD_HANDOFF, 5 + i, 1 + i % 3);
    }
    struct hud h = {.title = "fps", .cores = 4};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int frames = 60;
    for (int i = 0; i < frames; i++) {
        if (i % 2)
            ev(v, 1 + i % 3, FD_RECV, 5 + i, 78);
        view_draw(v, &h, 1.0 / 60);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    assert_int_equal(view_tokens(v), 2000);
    printf("view: %d tokens, software renderer 1280x720: %.0f frames/s\n",
           view_tokens(v), frames / secs);
    view_close(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_where_they_belong),
        cmocka_unit_test(test_closed_token_fades),
        cmocka_unit_test(test_fastsim_headless_png),
    };
    return cmocka_run_group_tests_name("view", tests, NULL, NULL);
}
