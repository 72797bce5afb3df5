/* The view, headless: pictures are checked by what is drawn where (colours
 * in regions), never pixel for pixel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

#include "simulator/hud.h"
#include "simulator/model/scenario.h"
#include "simulator/play.h"
#include "simulator/player.h"
#include "simulator/view/flow.h"
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

/* Pixels of a legend colour inside a rectangle (x, y, w, h). */
static int in_place(const struct picture *p, const int r[4], enum view_colour c)
{
    unsigned char rgb[3];
    view_colour_rgb(c, rgb);
    return count_colour(p, r[0], r[1], r[0] + r[2], r[1] + r[3], rgb[0], rgb[1],
                        rgb[2]);
}

static struct {
    int idle[4], ready[4], t0[4];
} v_rects;

static void ev(struct view *v, int thread, enum fd_kind kind, int fd, long arg)
{
    struct fd_event e = {0, thread, thread, kind, fd, arg};
    view_event(v, &e);
}

/* An 800x600 view of a staged pair: t0 accepts, t1 serves. */
/* A headless view of w x h pixels, or the test fails saying why. */
static struct view *headless(int w, int h)
{
    char err[256];
    struct view *v = view_open(w, h, true, err, sizeof err);
    if (!v)
        fail_msg("%s", err);
    return v;
}

static struct view *staged_pair(void)
{
    struct view *v = headless(800, 600);
    int core[] = {0, 1};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST};
    view_layout(v, 2, 2, core, role);
    return v;
}

/* The view's picture as a PNG written and read back; closes the view. */
static struct picture picture_of(struct view *v)
{
    char err[256], path[] = "/tmp/fastsim-view-XXXXXX.png";
    int fd = mkstemps(path, 4);
    close(fd);
    assert_int_equal(view_png(v, path, err, sizeof err), 0);
    view_close(v);
    struct picture p = load(path);
    unlink(path);
    return p;
}

static void test_tokens_where_they_belong(void **state)
{
    (void)state;
    struct view *v = staged_pair();
    /* fd 5: accepted by t0, handed to t1, served, idle (dim blue). */
    ev(v, 0, FD_ACCEPT, 5, 3);
    ev(v, 0, FD_HANDOFF, 5, 1);
    ev(v, 1, FD_RECV, 5, 78);
    ev(v, 1, FD_REQUEST, 5, 1);
    ev(v, 1, FD_SEND, 5, 130);
    /* fd 6: accepted, handed off and readable: in t1's ready list. */
    ev(v, 0, FD_ACCEPT, 6, 3);
    ev(v, 0, FD_HANDOFF, 6, 1);
    ev(v, 1, FD_READY, 6, 0);
    struct hud h = {.title = "test", .arch = "staged", .cores = 2};
    view_draw(v, &h, 10.0); /* long enough for every glide to finish */
    view_place_rect(v, 1, PLACE_IDLE, v_rects.idle);
    view_place_rect(v, 1, PLACE_READY, v_rects.ready);
    view_place_rect(v, 0, PLACE_LANE, v_rects.t0);
    assert_int_equal(view_tokens(v), 2);
    struct picture p = picture_of(v);
    assert_int_equal(p.w, 800);
    assert_int_equal(p.h, 600);
    /* Lanes: the lane colour (40,44,52) fills much of the lower part. */
    assert_true(count_colour(&p, 160, 130, 800, 600, 40, 44, 52) > 5000);
    /* The HUD text is drawn (light pixels at the top left). */
    assert_true(count_colour(&p, 0, 0, 400, 24, 225, 228, 235) > 20);
    /* The idle fd is in t1's interest set, the ready one in its ready
     * list, in their own colours; neither is in t0's row. */
    assert_true(in_place(&p, v_rects.idle, VC_IDLE) >= 30);
    assert_true(in_place(&p, v_rects.ready, VC_READY) >= 30);
    assert_int_equal(in_place(&p, v_rects.ready, VC_IDLE), 0);
    assert_int_equal(in_place(&p, v_rects.t0, VC_IDLE), 0);
    assert_int_equal(in_place(&p, v_rects.t0, VC_READY), 0);
    stbi_image_free(p.px);
}

static void test_closed_token_fades(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(640, 480, true, err, sizeof err);
    assert_non_null(v);
    int core[] = {0};
    enum view_role role[] = {VIEW_BOTH};
    view_layout(v, 1, 1, core, role);
    ev(v, 0, FD_ACCEPT, 7, 3);
    ev(v, 0, FD_CLOSE, 7, 0);
    struct hud h = {.cores = 1};
    view_draw(v, &h, 1.0); /* glide home */
    view_draw(v, &h, 1.0); /* fade out */
    assert_int_equal(view_tokens(v), 0);
    /* Events that move no fd draw no token (the listener is no client). */
    ev(v, 0, FD_WASTED, 3, 0);
    ev(v, 0, FD_DROP, -1, 12);
    ev(v, 0, FD_WAKE, -1, 1);
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
    /* Run to its end, staged.ini leaves its keep-alive fds idle. */
    unsigned char idle[3];
    view_colour_rgb(VC_IDLE, idle);
    assert_true(
        count_colour(&p, 160, 120, 960, 540, idle[0], idle[1], idle[2]) > 50);
    stbi_image_free(p.px);

    char err[256];
    struct view *v = view_open(1280, 720, true, err, sizeof err);
    int core[] = {0, 1, 2, 3};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST, VIEW_REQUEST,
                             VIEW_REQUEST};
    view_layout(v, 4, 4, core, role);
    for (int i = 0; i < 2000; i++) {
        ev(v, 0, FD_ACCEPT, 5 + i, 3);
        ev(v, 0, FD_HANDOFF, 5 + i, 1 + i % 3);
    }
    struct hud h = {.title = "fps", .cores = 4};
    view_draw(v, &h, 10.0); /* every token in its place first */
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

/* churn.ini, animated headless frame by frame as the window would: the
 * accept lane holds accepted fds, hand-off flights cross between lanes,
 * ready fds are drawn unlike idle ones, and the legend is on every frame. */
static void test_churn_frames_show_every_hop(void **state)
{
    (void)state;
    char err[256];
    struct scenario sc;
    scenario_defaults(&sc);
    if (scenario_load(&sc, "simulator/scenarios/churn.ini", err, sizeof err))
        fail_msg("%s", err);
    struct view *v = view_open(1280, 720, true, err, sizeof err);
    assert_non_null(v);
    struct play pl;
    assert_int_equal(play_open(&pl, &sc, v, 1e-5, err, sizeof err), 0);
    struct picture p = {malloc(1280 * 720 * 4), 1280, 720};
    int accept_cpu[4], accept_queue[4], t0[4], legend[4];
    assert_int_equal(view_place_rect(v, 0, PLACE_CPU, accept_cpu), 0);
    assert_int_equal(view_place_rect(v, 0, PLACE_ACCEPT_QUEUE, accept_queue),
                     0);
    assert_int_equal(view_place_rect(v, 0, PLACE_LANE, t0), 0);
    assert_int_equal(view_place_rect(v, 0, PLACE_LEGEND, legend), 0);
    int accepting = 0, backlog = 0, flights_out = 0, ready = 0, idle = 0;
    int frames = 120;
    for (int f = 0; f < frames; f++) {
        play_frame(&pl, 1.0 / 30);
        assert_int_equal(view_read(v, p.px, err, sizeof err), 0);
        for (int c = 0; c < VC_NCOLOURS; c++)
            if (in_place(&p, legend, (enum view_colour)c) < 40)
                fail_msg("frame %d: colour %d missing from the legend", f, c);
        accepting += in_place(&p, accept_cpu, VC_ACCEPTING) > 10;
        backlog += in_place(&p, accept_queue, VC_BACKLOG) > 20;
        /* A flight below t0's row: on its way to another lane. */
        int below[4] = {t0[0], t0[1] + t0[3] + 2, t0[2],
                        legend[1] - (t0[1] + t0[3] + 2)};
        flights_out += in_place(&p, below, VC_FLIGHT) > 10;
        for (int t = 1; t < 4; t++) {
            int r[4], i[4];
            view_place_rect(v, t, PLACE_READY, r);
            view_place_rect(v, t, PLACE_LANE, i);
            ready += in_place(&p, r, VC_READY) > 10;
            /* Under churn an fd is idle only on its way out. */
            idle += in_place(&p, i, VC_IDLE) > 10;
        }
        if (getenv("DEBUG_VIEW") && f == atoi(getenv("DEBUG_VIEW")))
            view_png(v, "/tmp/simf/debug.png", err, sizeof err);
    }
    printf("churn, %d frames: accepting %d, backlog %d, flights across %d, "
           "ready %d, idle %d\n",
           frames, accepting, backlog, flights_out, ready, idle);
    assert_true(accepting >= 5);
    assert_true(backlog >= frames / 2);
    assert_true(flights_out >= 3);
    assert_true(ready >= 3);
    assert_true(idle >= 1);
    unsigned char a[3], b[3];
    view_colour_rgb(VC_READY, a);
    view_colour_rgb(VC_IDLE, b);
    assert_true(abs(a[0] - b[0]) + abs(a[1] - b[1]) + abs(a[2] - b[2]) > 150);
    free(p.px);
    play_close(&pl);
    view_close(v);
}

/* Pixels of the queue colour in t0's accept queue once `arrive`
 * connections have joined it and the first `accept` of them were taken. */
static int queue_pixels(int arrive, int accept)
{
    struct view *v = staged_pair();
    struct hud h = {.title = "queue", .arch = "staged", .cores = 2};
    for (int i = 0; i < arrive; i++)
        ev(v, 0, FD_ARRIVE, -1, i);
    view_draw(v, &h, 10.0);
    for (int i = 0; i < accept; i++) {
        ev(v, 0, FD_ACCEPT, 5 + i, 3);
        ev(v, 0, FD_HANDOFF, 5 + i, 1);
        view_draw(v, &h, 1.0);
    }
    view_draw(v, &h, 10.0);
    int q[4];
    assert_int_equal(view_place_rect(v, 0, PLACE_ACCEPT_QUEUE, q), 0);
    struct picture p = picture_of(v);
    int n = in_place(&p, q, VC_BACKLOG);
    stbi_image_free(p.px);
    return n;
}

/* A queue longer than its box can draw keeps the box full, and once it
 * is short enough again shows a square per connection: the ones that did
 * not fit move into the cells freed (they used to stay piled on the last
 * cell: one square drawn for a queue of 45). */
static void test_long_queue_drawn_whole(void **state)
{
    (void)state;
    int empty = queue_pixels(0, 0), one = queue_pixels(1, 0);
    int ten = queue_pixels(10, 0);
    assert_true(one > empty);
    assert_true(ten > one);
    /* 300 arrive (far more than the box holds), 290 are accepted: the
     * 10 left are drawn as 10 squares, not fewer. */
    assert_int_equal(queue_pixels(300, 290), ten);
    /* Full: every cell drawn, whatever the overflow. */
    int full = queue_pixels(300, 0);
    assert_true(full > ten);
    assert_int_equal(queue_pixels(600, 300), full);
}

/* The squares of a colour at rest in a place, in reading order (line by
 * line, left to right): their fds into fds[], their boxes into at[]. */
static int squares_in(struct view *v, const int r[4], enum view_colour c,
                      int *fds, int (*at)[2], int max)
{
    const struct view_item *it;
    int n = view_items(v, &it), k = 0;
    for (int i = 0; i < n && k < max; i++) {
        int x = it[i].x + it[i].w / 2, y = it[i].y + it[i].h / 2;
        if (it[i].text || it[i].moving || it[i].bar || it[i].colour != (int)c ||
            x < r[0] || x >= r[0] + r[2] || y < r[1] || y >= r[1] + r[3])
            continue;
        int j = k++;
        for (; j > 0 && (at[j - 1][1] > it[i].y ||
                         (at[j - 1][1] == it[i].y && at[j - 1][0] > it[i].x));
             j--) {
            fds[j] = fds[j - 1];
            at[j][0] = at[j - 1][0], at[j][1] = at[j - 1][1];
        }
        fds[j] = it[i].fd, at[j][0] = it[i].x, at[j][1] = it[i].y;
    }
    return k;
}

/* A queue is drawn as a queue: from its first cell, oldest first, with no
 * hole where the ones served have left. The cells they left used to stay
 * empty (an accept queue of 4 drawn as 4 squares after two empty cells),
 * and a newcomer took the first empty cell, in front of older ones. */
static void test_queues_drawn_in_order(void **state)
{
    (void)state;
    struct view *v = staged_pair();
    struct hud h = {.title = "fifo", .arch = "staged", .cores = 2};
    int fds[16], at[16][2], q[4], r[4];
    assert_int_equal(view_place_rect(v, 0, PLACE_ACCEPT_QUEUE, q), 0);
    assert_int_equal(view_place_rect(v, 1, PLACE_READY, r), 0);
    /* Six connections wait in t0's accept queue; t0 accepts two. */
    for (int i = 0; i < 6; i++)
        ev(v, 0, FD_ARRIVE, -1, i);
    view_draw(v, &h, 10.0);
    for (int fd = 5; fd < 7; fd++) {
        ev(v, 0, FD_ACCEPT, fd, 3);
        ev(v, 0, FD_HANDOFF, fd, 1);
    }
    view_draw(v, &h, 10.0);
    int n = squares_in(v, q, VC_BACKLOG, fds, at, 16);
    assert_int_equal(n, 4);
    assert_int_equal(at[0][0], q[0] + 2); /* the first cell */
    assert_int_equal(at[0][1], q[1] + 2);
    /* Six fds ready in t1's ready list; t1 serves the two oldest, then
     * one more gets ready: it joins the end. */
    for (int fd = 10; fd < 16; fd++) {
        ev(v, 0, FD_ACCEPT, fd, 3);
        ev(v, 0, FD_HANDOFF, fd, 1);
        ev(v, 1, FD_READY, fd, 0);
    }
    view_draw(v, &h, 10.0);
    for (int fd = 10; fd < 12; fd++) {
        ev(v, 1, FD_RECV, fd, 78);
        ev(v, 1, FD_SEND, fd, 130);
    }
    view_draw(v, &h, 10.0);
    ev(v, 0, FD_ACCEPT, 16, 3);
    ev(v, 0, FD_HANDOFF, 16, 1);
    ev(v, 1, FD_READY, 16, 0);
    view_draw(v, &h, 10.0);
    n = squares_in(v, r, VC_READY, fds, at, 16);
    assert_int_equal(n, 5);
    assert_int_equal(at[0][0], r[0] + 2);
    assert_int_equal(at[0][1], r[1] + 2);
    for (int i = 0; i < n; i++)
        assert_int_equal(fds[i], 12 + i);
    view_close(v);
}

/* The client column shows the clients: a mark each, light while it waits
 * for an answer, dim while it thinks, so many of each as the squares say
 * (it used to stay empty while hundreds of clients ran). */
/* The client column's light (waiting) and dim (thinking) pixels after one
 * frame of 8 clients: fd 5 waits in t1's ready list, fd 6 was answered and
 * is idle; with @p counted the model says @p waiting clients wait. */
static void client_marks(bool counted, int waiting, int *lit, int *dim)
{
    struct view *v = staged_pair();
    ev(v, 0, FD_ACCEPT, 5, 3);
    ev(v, 0, FD_HANDOFF, 5, 1);
    ev(v, 1, FD_READY, 5, 0);
    ev(v, 0, FD_ACCEPT, 6, 3);
    ev(v, 0, FD_HANDOFF, 6, 1);
    ev(v, 1, FD_RECV, 6, 78);
    ev(v, 1, FD_SEND, 6, 130);
    struct hud h = {.title = "clients",
                    .arch = "staged",
                    .cores = 2,
                    .clients = 8,
                    .clients_counted = counted,
                    .clients_waiting = waiting};
    view_draw(v, &h, 10.0);
    int c[4];
    assert_int_equal(view_place_rect(v, -1, PLACE_CLIENTS, c), 0);
    struct picture p = picture_of(v);
    unsigned char w[3], t[3];
    view_client_rgb(true, w);
    view_client_rgb(false, t);
    *lit = count_colour(&p, c[0], c[1], c[0] + c[2], c[1] + c[3], w[0], w[1],
                        w[2]);
    *dim = count_colour(&p, c[0], c[1], c[0] + c[2], c[1] + c[3], t[0], t[1],
                        t[2]);
    stbi_image_free(p.px);
}

static void test_clients_drawn(void **state)
{
    (void)state;
    int lit, dim;
    client_marks(false, 0, &lit, &dim);
    assert_true(lit > 0);
    assert_int_equal(dim, 7 * lit); /* one waits, seven think */
    /* The model's count, when it gives one, is what the column shows (in
     * the tour, an fd lands idle in an interest set while its client's
     * request is on its way: that client waits, it does not think). */
    int lit2, dim2;
    client_marks(true, 3, &lit2, &dim2);
    assert_int_equal(lit2, 3 * lit);
    assert_int_equal(dim2, 5 * lit); /* three wait, five think */
    /* ... but never fewer than the squares still asking: they glide
     * behind the model, and one client's fd drawn in the ready list sat
     * beside "waiting 0" (single.ini, one client, --at 20: the model was
     * already past the answer). */
    client_marks(true, 0, &lit2, &dim2);
    assert_int_equal(lit2, lit);
    assert_int_equal(dim2, 7 * lit);
}

/* The widths of the texts a frame drew inside the plot (top right). */
static int plot_text_width(double rps, double p99)
{
    struct view *v = staged_pair();
    struct hud h = {.title = "plot", .arch = "staged", .cores = 2};
    for (int i = 1; i <= 20; i++)
        view_sample(v, rps * i / 20, p99 * i / 20);
    view_draw(v, &h, 0.1);
    const struct view_item *it;
    int n = view_items(v, &it), w = 0;
    for (int i = 0; i < n; i++)
        if (it[i].text && it[i].x >= 560 && it[i].y < 100)
            w += it[i].w;
    view_close(v);
    return w;
}

/* The plot says its scale: what the top of each curve stands for (its
 * labels were "throughput" and "p99" whatever the figures). */
static void test_plot_has_a_scale(void **state)
{
    (void)state;
    int small = plot_text_width(5, 10), large = plot_text_width(900000, 2500);
    assert_true(small > 0);
    assert_true(large > small);
}

/* The width of the caption under t1's ready list with n fds ready. */
static int ready_caption_width(int n)
{
    struct view *v = staged_pair();
    struct hud h = {.title = "ready", .arch = "staged", .cores = 2};
    for (int fd = 5; fd < 5 + n; fd++) {
        ev(v, 0, FD_ACCEPT, fd, 3);
        ev(v, 0, FD_HANDOFF, fd, 1);
        ev(v, 1, FD_READY, fd, 0);
    }
    view_draw(v, &h, 10.0);
    int r[4];
    assert_int_equal(view_place_rect(v, 1, PLACE_READY, r), 0);
    const struct view_item *it;
    int k = view_items(v, &it), w = 0;
    for (int i = 0; i < k; i++)
        if (it[i].text && it[i].x == r[0] + 2 && it[i].y >= r[1] + r[3])
            w = it[i].w;
    view_close(v);
    return w;
}

/* A list says how many it holds: a full one draws only its cells, and
 * 1,000 ready fds looked like 120 (the caption said "ready list"). */
static void test_full_list_says_its_length(void **state)
{
    (void)state;
    int few = ready_caption_width(3), many = ready_caption_width(1000);
    assert_true(few > 0);
    assert_true(many > few);
}

/* At 640x360 the pool's rows and the HUD's figures are not cut short:
 * "t0 event l..." was, and so were the hand-offs and cache penalties,
 * the figures that tell the designs apart. */
static void small_window_cuts_no_label(int w, int ht, bool big)
{
    char err[256];
    struct view *v = view_open(w, ht, true, err, sizeof err);
    assert_non_null(v);
    int core[] = {0, 1, 2, 3};
    enum view_role role[] = {VIEW_LOOP, VIEW_WORKER, VIEW_WORKER, VIEW_WORKER};
    view_layout(v, 4, 4, core, role);
    double util[4] = {0.1, 0.9, 0.9, 0.9};
    struct hud h = {.title = "pool",
                    .arch = "pool",
                    .sim_s = 0.2,
                    .speed = 0.0125,
                    .paused = true,
                    .throughput_rps = 358400,
                    .p50_us = 513.7,
                    .p99_us = 561.8,
                    .completed = 71632,
                    .handoffs = 0,
                    .cache_misses = 26182,
                    .measured = true,
                    .measured_completed = 35816,
                    .measured_handoffs = 0,
                    .clients = 256,
                    .util = util,
                    .cores = 4,
                    .shared_len = 182};
    if (big) { /* 16 cores' counts ("... cache 120..." at 640x360) */
        h.throughput_rps = 1202489, h.completed = 391794;
        h.handoffs = 19708, h.measured_completed = 242001;
        h.measured_handoffs = 12091, h.cache_misses = 12045;
    }
    view_draw(v, &h, 0.1);
    const struct view_item *it;
    int n = view_items(v, &it);
    for (int i = 0; i < n; i++)
        if (it[i].text && it[i].cut)
            fail_msg("%dx%d: a text at %d,%d %dx%d is cut short", w, ht,
                     it[i].x, it[i].y, it[i].w, it[i].h);
    view_close(v);
}

static void test_small_window_cuts_no_label(void **state)
{
    (void)state;
    small_window_cuts_no_label(640, 360, false);
    small_window_cuts_no_label(960, 540, false);
    small_window_cuts_no_label(640, 360, true);
    small_window_cuts_no_label(960, 540, true);
    /* the warm-up's line at 800x600 ("the report counts af...") */
    char err[256];
    struct view *v = view_open(800, 600, true, err, sizeof err);
    assert_non_null(v);
    int core[] = {0, 1};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST};
    view_layout(v, 2, 2, core, role);
    struct hud h = {.title = "staged",
                    .arch = "staged",
                    .sim_s = 0.01,
                    .warmup_s = 0.1,
                    .speed = 2e-5,
                    .cores = 2};
    view_draw(v, &h, 0.1);
    const struct view_item *it;
    int n = view_items(v, &it);
    for (int i = 0; i < n; i++)
        if (it[i].text && it[i].cut)
            fail_msg("800x600, warming up: a text at %d,%d is cut short",
                     it[i].x, it[i].y);
    view_close(v);
}

/* A core no thread runs on says so: the single loop's three idle cores
 * were three empty lanes, with nothing to tell a learner why. */
static void test_idle_core_says_why(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(1280, 720, true, err, sizeof err);
    assert_non_null(v);
    int core[] = {0};
    enum view_role role[] = {VIEW_BOTH};
    view_layout(v, 1, 4, core, role);
    double util[4] = {1, 0, 0, 0};
    struct hud h = {
        .title = "single", .arch = "single", .cores = 4, .util = util};
    view_draw(v, &h, 0.1);
    int lane[4], texts = 0, wide = 0;
    assert_int_equal(view_place_rect(v, 0, PLACE_LANE, lane), 0);
    const struct view_item *it;
    int n = view_items(v, &it);
    /* lane 1 lies right below t0's row */
    int top = lane[1] + lane[3] + 4, bottom = top + 100;
    for (int i = 0; i < n; i++)
        if (it[i].text && it[i].y >= top && it[i].y < bottom) {
            texts++;
            wide += it[i].w > 150;
        }
    assert_int_equal(texts, 2); /* "core 1" and why it is idle */
    assert_int_equal(wide, 1);
    view_close(v);
}

/* After the warm-up the HUD shows the counts --report prints for the
 * same run, beside its counts since t = 0: it showed "answered 85642
 * hand-offs 4399" (since t = 0) next to "cache penalties 2113" (after
 * the warm-up), where the report said 42777, 2111 and 2113. */
static void test_hud_counts_agree_with_report(void **state)
{
    (void)state;
    char err[256];
    struct scenario sc;
    scenario_defaults(&sc);
    if (scenario_load(&sc, "simulator/scenarios/staged.ini", err, sizeof err))
        fail_msg("%s", err);
    sc.duration_ns = 2 * sc.warmup_ns;
    struct view *v = view_open(640, 480, true, err, sizeof err);
    assert_non_null(v);
    struct play pl;
    assert_int_equal(play_open(&pl, &sc, v, 0.02, err, sizeof err), 0);
    sim_run_until(&pl.sim, sc.duration_ns);
    struct hud h = {0};
    double util[16];
    int backlog[16];
    hud_from_sim(&pl.sim, &pl.so_far, &h, util, backlog);
    struct sim_report r;
    sim_report(&pl.sim, &r);
    assert_true(h.measured);
    assert_true(r.completed > 0 && r.handoffs > 0);
    assert_int_equal(h.measured_completed, r.completed);
    assert_int_equal(h.measured_handoffs, r.handoffs);
    assert_int_equal(h.cache_misses, r.cache_misses);
    play_close(&pl);
    view_close(v);
}

/* The HUD's OVERLOAD line follows the report's rule on the span run so
 * far. Its own rule (5% more sent than answered, plus 100) never spoke
 * at rho 1.02, where --report printed OVERLOAD: 0.9 s after the warm-up
 * the backlog has grown by ~1,800 (sd ~430). At rho 0.9 it must stay
 * quiet at every check, early ones (few arrivals) included. */
static void test_hud_overload_as_report(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(640, 480, true, err, sizeof err);
    assert_non_null(v);
    for (int i = 0; i < 2; i++) {
        struct scenario sc;
        scenario_defaults(&sc);
        if (scenario_load(&sc, "simulator/scenarios/mm1.ini", err, sizeof err))
            fail_msg("%s", err);
        sc.rate = i ? 102000 : 90000;
        sc.warmup_ns = 100000000, sc.duration_ns = 2000000000;
        struct play pl;
        assert_int_equal(play_open(&pl, &sc, v, 0.02, err, sizeof err), 0);
        struct hud h = {0};
        double util[4];
        int backlog[4];
        for (int64_t at = 101000000; at <= 1000000000; at += 11000000) {
            sim_run_until(&pl.sim, at);
            h.stats = NULL;
            hud_from_sim(&pl.sim, &pl.so_far, &h, util, backlog);
            if (!i && h.stats && strstr(h.stats, "OVERLOAD"))
                fail_msg("rho 0.9, %.3f s: the HUD said '%s'", (double)at / 1e9,
                         h.stats);
        }
        struct sim_report r;
        assert_true(sim_report_so_far(&pl.sim, &r));
        assert_int_equal(sim_overloaded(&r), i == 1);
        if (i && !(h.stats && strstr(h.stats, "OVERLOAD")))
            fail_msg("rho 1.02, 1 s: %llu sent, %llu answered after the "
                     "warm-up, and the HUD said no OVERLOAD",
                     (unsigned long long)r.offered,
                     (unsigned long long)r.completed);
        play_close(&pl);
    }
    view_close(v);
}

/* Each CPU bar says its utilisation in figures where there is room: the
 * chapters quote "under half busy" and "18%", and a bar alone cannot be
 * read to the percent. */
static void test_cpu_bars_say_percent(void **state)
{
    (void)state;
    struct view *v = staged_pair();
    double util[2] = {0.42, 1.0};
    struct hud h = {
        .title = "bars", .arch = "staged", .cores = 2, .util = util};
    view_draw(v, &h, 0.1);
    int bars[2][4] = {{0}}, texts[2] = {0};
    const struct view_item *it;
    int n = view_items(v, &it);
    for (int i = 0; i < n; i++)
        if (it[i].bar >= 1 && it[i].bar <= 2) {
            bars[it[i].bar - 1][0] = it[i].x, bars[it[i].bar - 1][1] = it[i].y;
            bars[it[i].bar - 1][2] = it[i].w, bars[it[i].bar - 1][3] = it[i].h;
        }
    /* a text on each bar's line, right of where its fill starts (the
     * next bar's name, 36 pixels left of its fill, is not one) */
    for (int i = 0; i < n; i++)
        for (int b = 0; b < 2; b++)
            if (it[i].text && it[i].x > bars[b][0] &&
                it[i].y <= bars[b][1] + bars[b][3] &&
                it[i].y + it[i].h >= bars[b][1] &&
                (b == 1 || it[i].x < bars[1][0] - 36)) /* not "cpu1" */
                texts[b]++;
    assert_int_equal(texts[0], 1);
    assert_int_equal(texts[1], 1);
    view_close(v);
    /* A bar at 0% has no fill at all: SDL filled its 0-wide rectangle
     * as a line, a sliver of "busy" beside "0%". */
    v = staged_pair();
    util[0] = 0;
    view_draw(v, &h, 0.1);
    n = view_items(v, &it);
    int at[4] = {0};
    for (int i = 0; i < n; i++)
        if (it[i].bar == 1)
            at[0] = it[i].x - 2, at[1] = it[i].y, at[2] = 12, at[3] = it[i].h;
    assert_true(at[3] > 0);
    struct picture p = picture_of(v);
    int sliver = count_colour(&p, at[0], at[1], at[0] + at[2], at[1] + at[3],
                              70, 115, 85);
    stbi_image_free(p.px);
    if (sliver)
        fail_msg("cpu0 at 0%%: %d pixels of its fill", sliver);
}

/* The help names every key the footer does: v (squares or flows) was
 * missing. */
static void test_help_names_every_key(void **state)
{
    (void)state;
    static const char *const keys[] = {"space", ".", "f", "<-", "v", "1",
                                       "up",    "+", "r", "s",  "h", "q"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        bool found = false;
        for (int i = 0; view_help_lines[i] && !found; i++) {
            const char *tab = strchr(view_help_lines[i], '\t');
            if (!tab)
                continue;
            /* a key is a word of the first column */
            for (const char *p = view_help_lines[i]; p < tab && !found;) {
                size_t len = strcspn(p, " \t");
                found = len == strlen(keys[k]) && !strncmp(p, keys[k], len);
                p += len;
                while (*p == ' ')
                    p++;
            }
        }
        if (!found)
            fail_msg("the help does not name the key '%s'", keys[k]);
    }
}

/* The help's keys and what they do are two columns: every description
 * starts at the same x, with nothing in the gap before it (they were
 * aligned with spaces, which a proportional font does not keep). */
static void test_help_in_two_columns(void **state)
{
    (void)state;
    struct view *v = staged_pair();
    struct hud h = {
        .title = "help", .arch = "staged", .cores = 2, .help = true};
    view_draw(v, &h, 0.1);
    struct picture p = picture_of(v);
    /* 800x600: the card is 600 wide at x 100, 13 lines of 24 from the
     * middle; texts start at x 116, descriptions 110 further. */
    int top = 300 - (13 * 24 + 24) / 2 + 12;
    for (int line = 1; line <= 9; line++) {
        int y0 = top + line * 24, gap = 0, start = 0;
        for (int y = y0; y < y0 + 18; y++)
            for (int x = 212; x < 236; x++) {
                const unsigned char *q = p.px + 4 * (y * p.w + x);
                bool ink = q[0] > 110 || q[1] > 110 || q[2] > 110;
                gap += ink && x < 225;
                start += ink && x >= 226;
            }
        if (gap || !start)
            fail_msg("help line %d: %d pixels in the gap, %d where its "
                     "description starts",
                     line, gap, start);
    }
    stbi_image_free(p.px);
}

/* In flows the pool's shared queue is still drawn as full as it is (its
 * squares are hidden like every other, and the band stood empty while
 * its label said 176). */
static void test_pool_queue_in_flows(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(800, 600, true, err, sizeof err);
    assert_non_null(v);
    int core[] = {0, 1};
    enum view_role role[] = {VIEW_LOOP, VIEW_WORKER};
    view_layout(v, 2, 2, core, role);
    view_set_flows(v, true);
    for (int fd = 5; fd < 45; fd++) {
        ev(v, 0, FD_ACCEPT, fd, 3);
        ev(v, 0, FD_READY, fd, 0);
    }
    struct hud h = {
        .title = "pool", .arch = "pool", .cores = 2, .shared_len = 40};
    view_draw(v, &h, 10.0);
    int q[4], ready[4], bar[4];
    assert_int_equal(view_place_rect(v, -1, PLACE_SHARED, q), 0);
    /* ...and only there: the loop's ready list gauge counted them too
     * ("ready 61" under "shared queue 61"). */
    assert_int_equal(view_place_rect(v, 0, PLACE_READY, ready), 0);
    flow_gauge_bar(ready, bar);
    assert_true(bar[2] > 0);
    struct picture p = picture_of(v);
    assert_true(in_place(&p, q, VC_READY) > 100);
    int twice = in_place(&p, bar, VC_READY);
    stbi_image_free(p.px);
    if (twice > 0)
        fail_msg("bar %d,%d %dx%d: %d pixels of t0's ready-list gauge filled: "
                 "the shared "
                 "queue's fds counted twice",
                 bar[0], bar[1], bar[2], bar[3], twice);
}

/* Idle-colour pixels in fastsim's picture of a small trace, run with
 * these arguments after --replay TRACE. */
static int idle_in_replay(const char *trace, const char *args)
{
    char path[] = "/tmp/fastsim-at-XXXXXX.png", cmd[1024];
    int fd = mkstemps(path, 4);
    close(fd);
    snprintf(cmd, sizeof cmd,
             "%s --replay %s --headless %s --png %s "
             ">/dev/null 2>&1",
             FASTSIM_BIN, trace, args, path);
    assert_int_equal(system(cmd), 0);
    struct picture p = load(path);
    unlink(path);
    unsigned char idle[3];
    view_colour_rgb(VC_IDLE, idle);
    /* above the legend (its swatch is always that colour) */
    int n = count_colour(&p, 0, 0, p.w, p.h * 4 / 5, idle[0], idle[1], idle[2]);
    stbi_image_free(p.px);
    return n;
}

/* A count from fastsim's --report json of a replay of trace, run with
 * these arguments (and a picture). */
static long replay_report_count(const char *trace, const char *args,
                                const char *key)
{
    char path[] = "/tmp/fastsim-at-XXXXXX.png", cmd[1024], json[4096] = {0};
    int fd = mkstemps(path, 4);
    close(fd);
    snprintf(cmd, sizeof cmd,
             "%s --replay %s --headless %s --png %s --report json "
             "2>/dev/null",
             FASTSIM_BIN, trace, args, path);
    FILE *out = popen(cmd, "r");
    assert_non_null(out);
    size_t n = fread(json, 1, sizeof json - 1, out);
    assert_int_equal(pclose(out), 0);
    unlink(path);
    json[n] = 0;
    const char *at = strstr(json, key);
    if (!at)
        fail_msg("no %s in '%s'", key, json);
    return atol(at + strlen(key));
}

/* --at runs a replay to that moment, as it runs the model: it was
 * ignored, and a picture asked for at 600 ms showed the trace's first
 * instant ("no request answered yet"). fd 5 is served at 400 ms, then
 * idles in t1's interest set until 900 ms. */
static void test_replay_starts_at(void **state)
{
    (void)state;
    char trace[] = "/tmp/fastsim-at-XXXXXX.fdt";
    int fd = mkstemps(trace, 4);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "# fdtrace 1 arch=staged threads=2 cores=2\n"
               "1000 0 0 wake -1 1\n"
               "300000000 0 0 accept 5 3\n"
               "300001000 0 0 handoff 5 1\n"
               "400000000 1 1 wake -1 1\n"
               "400001000 1 1 recv 5 78\n"
               "400002000 1 1 request 5 1\n"
               "400003000 1 1 send 5 130\n"
               "900000000 1 1 close 5 0\n");
    fclose(f);
    /* The replay's clock is where it is, not the last event played (the
     * HUD said t = 0.4 s at 600 ms), and stops at the trace's end. */
    char err[512];
    struct player pl = {.speed = 0.01};
    assert_int_equal(trace_load(&pl.tr, trace, err, sizeof err), 0);
    pl.origin = pl.tr.events[0].t_ns;
    assert_int_equal(player_lay_out(&pl, err, sizeof err), 0);
    player_replay_until(&pl, 0.6);
    assert_int_equal(pl.clock_ns, 1000 + 600000000);
    player_replay_until(&pl, 5.0);
    assert_int_equal(pl.clock_ns, 900000000);
    player_free(&pl);
    int at0 = idle_in_replay(trace, "--frames 1");
    int at600 = idle_in_replay(trace, "--at 600 --frames 1");
    /* Its squares are sized for the connections the trace holds (one),
     * not for the 400 a view expects when it does not know: at 640x360
     * fd 5 was a dot of 2 by 2 pixels. */
    int small = idle_in_replay(trace, "--at 600 --frames 1 --size 640x360");
    /* --report with that picture counts what it shows (fd 5 served, not
     * closed: the HUD's "answered 1  closed 0"); it counted the whole
     * trace, a close the picture had not reached. */
    long closes_at600 =
             replay_report_count(trace, "--at 600 --frames 1", "\"closes\":"),
         closes_all = replay_report_count(trace, "", "\"closes\":"),
         requests_at600 =
             replay_report_count(trace, "--at 600 --frames 1", "\"requests\":");
    unlink(trace);
    assert_int_equal(closes_all, 1);
    assert_int_equal(requests_at600, 1);
    if (closes_at600 != 0)
        fail_msg("--at 600: the report counts %ld closes, the picture 0",
                 closes_at600);
    if (!(at600 > at0 + 100))
        fail_msg("idle pixels: %d at the start, %d at 600 ms", at0, at600);
    if (small < 100)
        fail_msg("640x360: fd 5 idle is %d pixels", small);
}

/* A replay skips a stretch where nothing moves: fastd started by hand
 * wakes once a second until the load comes, and a replay of the
 * README's recipe showed an empty window for 190 s at x0.01 before its
 * first connection. Here the first comes 2 s into the trace. */
static void test_replay_skips_the_quiet(void **state)
{
    (void)state;
    char trace[] = "/tmp/fastsim-quiet-XXXXXX.fdt";
    int fd = mkstemps(trace, 4);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "# fdtrace 1 arch=staged threads=2 cores=2\n"
               "1000 1 1 wake -1 0\n"
               "1000001000 1 1 wake -1 0\n"
               "2000000000 0 0 accept 5 3\n"
               "2000001000 0 0 handoff 5 1\n"
               "2000100000 1 1 wake -1 1\n"
               "2000101000 1 1 recv 5 78\n"
               "2000102000 1 1 request 5 1\n"
               "2000103000 1 1 send 5 130\n"
               "2900000000 1 1 wake -1 1\n"
               "2900001000 1 1 close 5 0\n");
    fclose(f);
    /* A second of frames: to where the picture stopped, the report
     * counts the connection (0 before: 10 ms of the quiet played). */
    long conns = replay_report_count(trace, "--frames 30", "\"connections\":");
    unlink(trace);
    if (conns != 1)
        fail_msg("after 1 s of frames, %ld connections: the replay is still "
                 "in the quiet before the first",
                 conns);
}

/* Every bar says what its caption counts, every caption what is drawn.
 * Shared-nothing's accept queues stood empty beside "accept queue 9" (their
 * squares are hidden, and only ready lists and interest sets had bars); the
 * pool's shared queue was filled by squares that lag the model at such rates,
 * a seventh full beside "shared queue 0" with 64 clients, and in squares
 * the caption said the model's 0 over a band of squares. */
static void test_flow_bars_agree_with_captions(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(800, 600, true, err, sizeof err);
    assert_non_null(v);
    int core[] = {0, 1};
    enum view_role role[] = {VIEW_BOTH, VIEW_BOTH};
    view_layout(v, 2, 2, core, role);
    view_set_flows(v, true);
    int backlog[2] = {9, 0};
    struct hud h = {.title = "sn",
                    .arch = "shared-nothing",
                    .cores = 2,
                    .backlog = backlog};
    view_draw(v, &h, 0.1);
    int q[2][4];
    for (int t = 0; t < 2; t++) {
        assert_int_equal(view_place_rect(v, t, PLACE_ACCEPT_QUEUE, q[t]), 0);
        q[t][0] += 2, q[t][1] += 2, q[t][2] -= 4, q[t][3] -= 4; /* inside */
    }
    struct picture p = picture_of(v);
    int full = in_place(&p, q[0], VC_BACKLOG),
        empty = in_place(&p, q[1], VC_BACKLOG);
    stbi_image_free(p.px);
    if (full < q[0][2] * q[0][3] / 4 || empty > 0)
        fail_msg("accept queue 9: %d orange pixels inside; queue 0: %d", full,
                 empty);

    v = view_open(800, 600, true, err, sizeof err);
    assert_non_null(v);
    enum view_role pool[] = {VIEW_LOOP, VIEW_WORKER};
    view_layout(v, 2, 2, core, pool);
    view_set_flows(v, true);
    for (int fd = 5; fd < 45; fd++) {
        ev(v, 0, FD_ACCEPT, fd, 3);
        ev(v, 0, FD_READY, fd, 0);
    }
    struct hud ph = {.title = "pool", .arch = "pool", .cores = 2};
    view_draw(v, &ph, 10.0); /* the model's queue is empty */
    assert_int_equal(view_shared_length(v), 0);
    /* In squares the caption counts the squares it is drawn over. */
    view_set_flows(v, false);
    view_draw(v, &ph, 0.1);
    assert_int_equal(view_shared_length(v), 40);
    view_set_flows(v, true);
    view_draw(v, &ph, 0.1);
    int sq[4];
    assert_int_equal(view_place_rect(v, -1, PLACE_SHARED, sq), 0);
    p = picture_of(v);
    int lit = in_place(&p, sq, VC_READY);
    stbi_image_free(p.px);
    if (lit > 100) /* (the ringed sample's square may be there) */
        fail_msg("shared queue 0: its bar has %d pixels lit", lit);
}

/* A staged view of n cores (t0 accepts) at w x h, flows asked for. */
static struct view *staged_flows(int n, int w, int h)
{
    char err[256];
    struct view *v = view_open(w, h, true, err, sizeof err);
    assert_non_null(v);
    int core[16];
    enum view_role role[16];
    for (int i = 0; i < n; i++)
        core[i] = i, role[i] = i ? VIEW_REQUEST : VIEW_ACCEPT;
    view_layout(v, n, n, core, role);
    view_set_flows(v, true);
    for (int fd = 5; fd < 200; fd++) {
        ev(v, 0, FD_ACCEPT, fd, 3);
        ev(v, 0, FD_HANDOFF, fd, 1 + fd % (n - 1));
    }
    struct hud hd = {.title = "flows", .arch = "staged", .cores = n};
    view_draw(v, &hd, 0.1);
    return v;
}

/* Flows need rows tall enough for a band, its label and a gauge: at 16
 * cores in 1280x720 (rows of 33 pixels) hand-off bands crossed the next
 * row's labels, so the view keeps squares there; and where flows are
 * drawn the band into the accept queue passes under the row's names (it
 * ran through "core 0 t0 accept" at 960x540 with 8 cores). */
static void test_flows_need_room(void **state)
{
    (void)state;
    struct view *v = staged_flows(16, 1280, 720);
    assert_false(view_flows(v));
    view_close(v);
    v = staged_flows(4, 1280, 720);
    assert_true(view_flows(v));
    view_close(v);

    v = staged_flows(8, 960, 540);
    assert_true(view_flows(v));
    int lane[4], q[4], texts[64][4];
    assert_int_equal(view_place_rect(v, 0, PLACE_LANE, lane), 0);
    assert_int_equal(view_place_rect(v, 0, PLACE_ACCEPT_QUEUE, q), 0);
    int nt = view_text_boxes(v, texts, 64);
    struct picture p = picture_of(v);
    int crossed = 0, names = 0;
    for (int i = 0; i < nt; i++)
        if (texts[i][1] >= lane[1] - 2 && texts[i][1] < lane[1] + lane[3] &&
            texts[i][0] + texts[i][2] <= q[0]) { /* "core 0", "t0 accept" */
            names++;
            texts[i][2] -= 6; /* the band's arrow head may touch its end */
            crossed += in_place(&p, texts[i], VC_BACKLOG);
        }
    stbi_image_free(p.px);
    assert_true(names >= 1);
    if (crossed)
        fail_msg("the accept band crosses row 0's names: %d pixels", crossed);
}

/* --at MS is the moment the picture shows, drawn as at --speed: the frame that
 * lets every move end ran the model on at --speed for its ten seconds, and a
 * picture asked for at 300 ms showed 425 ms (staged.ini, x0.0125). The
 * flows' rates are the ones of that moment: idle-accept-core accepts its
 * 16 connections in the first 10 ms and none after, and its arrows said
 * "800 conn/s" at 150 ms (the burst, halved once). */
static void test_run_to_stops_there(void **state)
{
    (void)state;
    char err[256];
    struct scenario sc;
    scenario_defaults(&sc);
    if (scenario_load(&sc, "simulator/scenarios/idle-accept-core.ini", err,
                      sizeof err))
        fail_msg("%s", err);
    struct view *v = view_open(1280, 720, true, err, sizeof err);
    assert_non_null(v);
    struct play pl;
    assert_int_equal(play_open(&pl, &sc, v, 0.0125, err, sizeof err), 0);
    play_run_to(&pl, 150000000);
    if (pl.sim.now > 150000000 + 1000000)
        fail_msg("asked for 150 ms, the model is at %.3f ms", pl.sim.now / 1e6);
    /* The run's own pace (10 ms of model a frame) does not choose flows:
     * the frames at --speed that follow do (chapter 4's picture at x2e-5
     * came out in flows). */
    assert_false(view_flows(v));
    if (view_flow_accept_rate(v, 0) != 0)
        fail_msg("t0's arrow says %.0f conn/s at 150 ms",
                 view_flow_accept_rate(v, 0));
    play_close(&pl);
    view_close(v);
}

/* In flows the pool draws its path: the loop's slot up into the shared
 * queue, a trunk down from it and a branch into each worker's slot, in
 * the queue's colour (the workers' rates floated beside slots nothing
 * led to). */
static void test_pool_path_in_flows(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(960, 540, true, err, sizeof err);
    assert_non_null(v);
    int core[] = {0, 1, 2, 3};
    enum view_role role[] = {VIEW_LOOP, VIEW_WORKER, VIEW_WORKER, VIEW_WORKER};
    view_layout(v, 4, 4, core, role);
    view_set_flows(v, true);
    for (int i = 0; i < 4000; i++) {
        int64_t t = (int64_t)i * 250000; /* a second of 4,000 requests */
        int fd = 5 + i % 40, w = 1 + i % 2;
        struct fd_event e[] = {{t, 0, 0, FD_READY, fd, 0},
                               {t + 1000, w, w, FD_RECV, fd, 78},
                               {t + 2000, w, w, FD_REQUEST, fd, 1},
                               {t + 3000, w, w, FD_SEND, fd, 130}};
        for (int k = 0; k < 4; k++)
            view_event(v, &e[k]);
        if (i % 1000 == 999) {
            struct hud h = {.title = "pool", .arch = "pool", .cores = 4};
            view_draw(v, &h, 0.3);
        }
    }
    /* The loop answers no request: no "0 req/s" under its slot. */
    int ls[4];
    assert_int_equal(view_place_rect(v, 0, PLACE_CPU, ls), 0);
    const struct view_item *it;
    int ni = view_items(v, &it);
    for (int i = 0; i < ni; i++)
        if (it[i].text && it[i].fd == -3 && it[i].y >= ls[1] + ls[3] &&
            it[i].y <= ls[1] + ls[3] + 4 && it[i].x >= ls[0] - 2 &&
            it[i].x <= ls[0] + 2)
            fail_msg("a rate under the loop's slot, at %d,%d", it[i].x,
                     it[i].y);
    int lane[2][4], slot[2][4];
    for (int t = 1; t <= 2; t++) {
        assert_int_equal(view_place_rect(v, t, PLACE_LANE, lane[t - 1]), 0);
        assert_int_equal(view_place_rect(v, t, PLACE_CPU, slot[t - 1]), 0);
    }
    struct picture p = picture_of(v);
    for (int t = 0; t < 2; t++) {
        /* right of the worker's slot, across its row */
        int right[4] = {slot[t][0] + slot[t][2] + 2, lane[t][1],
                        lane[t][0] + lane[t][2] - slot[t][0] - slot[t][2] - 2,
                        lane[t][3]};
        int n = in_place(&p, right, VC_READY);
        if (n < 200)
            fail_msg("worker t%d: %d pixels of the path into "
                     "its slot",
                     t + 1, n);
    }
    stbi_image_free(p.px);
}

/* A trace's rates name the span they cover: early in a replay the HUD
 * said "(last 1 s)" over 0.4 s of trace (and the stats line "last 1 s"). */
static void test_trace_rates_say_their_span(void **state)
{
    (void)state;
    char s[32];
    view_span_words(0.4, s, sizeof s);
    assert_string_equal(s, " (last 0.4 s)");
    view_span_words(0.02, s, sizeof s);
    assert_string_equal(s, " (last 20 ms)");
    view_span_words(1.0, s, sizeof s);
    assert_string_equal(s, " (last 1 s)");
    view_span_words(0, s, sizeof s); /* no note yet */
    assert_string_equal(s, " (last 1 s)");
}

/* Too many cores to name each CPU bar: a caption says which cores the
 * row stands for (16 cores at 1280x720 drew 16 bars and no word). */
static void test_unnamed_bars_have_a_caption(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(1280, 720, true, err, sizeof err);
    assert_non_null(v);
    int core[16];
    enum view_role role[16];
    double util[16];
    for (int i = 0; i < 16; i++)
        core[i] = i, role[i] = i ? VIEW_REQUEST : VIEW_ACCEPT, util[i] = 0.5;
    view_layout(v, 16, 16, core, role);
    struct hud h = {
        .title = "bars", .arch = "staged", .cores = 16, .util = util};
    view_draw(v, &h, 0.1);
    const struct view_item *it;
    int n = view_items(v, &it), first = -1, words = 0;
    for (int i = 0; i < n; i++)
        if (it[i].bar == 1)
            first = i;
    assert_true(first >= 0);
    int bx = it[first].x, by = it[first].y, bh = it[first].h;
    for (int i = 0; i < n; i++)
        words += it[i].text && it[i].x + it[i].w <= bx && it[i].y < by + bh &&
                 it[i].y + it[i].h > by - 18;
    assert_int_equal(words, 1);
    view_close(v);
}

/* The legend names only what the arch can draw: a hand-off flight's
 * colour stood in the legend of shared-nothing, single and the pool,
 * where no square ever flies; the pool's ready fds wait in its shared
 * queue, not in a ready list. */
static void test_legend_names_what_the_arch_draws(void **state)
{
    (void)state;
    static const struct {
        const char *arch;
        int threads;
        enum view_role role[3];
    } archs[] = {
        {"staged", 3, {VIEW_ACCEPT, VIEW_REQUEST, VIEW_REQUEST}},
        {"shared-nothing", 3, {VIEW_BOTH, VIEW_BOTH, VIEW_BOTH}},
        {"single", 1, {VIEW_BOTH}},
        {"pool", 3, {VIEW_LOOP, VIEW_WORKER, VIEW_WORKER}},
    };
    char err[256];
    for (size_t a = 0; a < sizeof archs / sizeof *archs; a++) {
        struct view *v = view_open(640, 360, true, err, sizeof err);
        if (!v)
            fail_msg("%s", err);
        int core[] = {0, 1, 2};
        view_layout(v, archs[a].threads, 3, core, archs[a].role);
        struct hud h = {.title = "test", .arch = archs[a].arch, .cores = 3};
        view_draw(v, &h, 0.1);
        int legend[4];
        assert_int_equal(view_place_rect(v, 0, PLACE_LEGEND, legend), 0);
        struct picture p = {malloc(640 * 360 * 4), 640, 360};
        assert_int_equal(view_read(v, p.px, err, sizeof err), 0);
        bool staged = a == 0;
        int flight = in_place(&p, legend, VC_FLIGHT);
        if (staged ? flight < 40 : flight > 0)
            fail_msg("%s: %d pixels of the flight colour in the legend",
                     archs[a].arch, flight);
        assert_int_equal(view_legend_word(v, VC_FLIGHT) != NULL, staged);
        const char *ready = view_legend_word(v, VC_READY);
        bool pool = a == 3;
        if (!ready || !strstr(ready, pool ? "shared queue" : "ready list"))
            fail_msg("%s: the ready colour reads '%s'", archs[a].arch,
                     ready ? ready : "(none)");
        free(p.px);
        view_close(v);
    }
}

/* The title names the scenario as one, after the arch: "staged | arch
 * shared-nothing" (staged.ini run with --arch shared-nothing) read as if
 * the arch were staged; and the name, last, is what a cut takes. */
static void test_title_names_the_scenario(void **state)
{
    (void)state;
    struct hud h = {.title = "staged",
                    .arch = "shared-nothing",
                    .mode = HUD_MODEL,
                    .paused = true,
                    .sim_s = 0.5,
                    .speed = 0.00625};
    for (int narrow = 0; narrow < 2; narrow++) {
        char line[320];
        view_title(&h, narrow, line, sizeof line);
        const char *arch = strstr(line, "arch shared-nothing");
        const char *name = strstr(line, "scenario staged");
        const char *paused = strstr(line, "PAUSED");
        if (!arch || !name || !paused || name < arch || name < paused)
            fail_msg("title '%s': the arch, PAUSED, then 'scenario staged'",
                     line);
    }
    /* at 640x360 a name that does not fit goes whole: no cut title */
    {
        char err2[256];
        struct view *s = view_open(640, 360, true, err2, sizeof err2);
        if (!s)
            fail_msg("%s", err2);
        int c1[] = {0};
        enum view_role r1[] = {VIEW_BOTH};
        view_layout(s, 1, 1, c1, r1);
        view_draw(s, &h, 0.1);
        const struct view_item *si;
        int sn = view_items(s, &si);
        for (int i = 0; i < sn; i++)
            if (si[i].text && si[i].y < 20 && si[i].x < 20 && si[i].cut)
                fail_msg("640x360: the title is cut short");
        view_close(s);
    }
    /* chapter 9's scenario at 960x540, paused: PAUSED is not cut */
    struct view *v = headless(960, 540);
    int core[] = {0, 1};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST};
    view_layout(v, 2, 2, core, role);
    h.title = "hand-off cache penalty";
    h.arch = "pool";
    char line[320];
    view_title(&h, false, line, sizeof line);
    view_draw(v, &h, 0.1);
    const struct view_item *it;
    int n = view_items(v, &it);
    bool found = false;
    for (int i = 0; i < n; i++)
        if (it[i].text && it[i].y < 20 && it[i].x < 20) {
            found = true;
            /* cut or not, the cut never reaches PAUSED: the name is last */
            assert_ptr_not_equal(strstr(line, "PAUSED"), NULL);
            assert_true(strstr(line, "PAUSED") < strstr(line, "scenario"));
        }
    assert_true(found);
    view_close(v);
}

/* One client at 640x360: its large squares widen the accept queue, and
 * the ready list's caption, squeezed, read "ready lis..." (staged.ini
 * --arch shared-nothing --cores 1 --clients 1 --size 640x360); neither
 * it nor the interest set's is cut. */
static void test_one_client_cuts_no_caption(void **state)
{
    (void)state;
    struct view *v = headless(640, 360);
    view_expect(v, 1);
    int core[] = {0};
    enum view_role role[] = {VIEW_BOTH};
    view_layout(v, 1, 1, core, role);
    double util[] = {0.04};
    struct hud h = {.title = "staged",
                    .arch = "shared-nothing",
                    .util = util,
                    .cores = 1,
                    .clients = 1};
    ev(v, 0, FD_ACCEPT, 5, 3);
    view_draw(v, &h, 10.0);
    int ready[4], lane[4];
    assert_int_equal(view_place_rect(v, 0, PLACE_READY, ready), 0);
    assert_int_equal(view_place_rect(v, 0, PLACE_LANE, lane), 0);
    const struct view_item *it;
    int n = view_items(v, &it), below = 0;
    for (int i = 0; i < n; i++) {
        if (!it[i].text || it[i].y < ready[1] + ready[3] ||
            it[i].y >= lane[1] + lane[3] || it[i].x < ready[0])
            continue;
        below++;
        if (it[i].cut)
            fail_msg("the caption at %d,%d (%dx%d) is cut short", it[i].x,
                     it[i].y, it[i].w, it[i].h);
    }
    assert_int_equal(below, 2); /* the ready list's, the interest set's */
    view_close(v);
}

/* A run held at --at before its end: --report measures to where the
 * picture is, as the HUD does (it divided by the whole planned span:
 * pool.ini --at 102 said 1839 req/s and 0.2% busy beside the HUD's
 * 794401 req/s and 100%). */
static void test_report_at_agrees_with_hud(void **state)
{
    (void)state;
    char err[256];
    struct scenario sc;
    scenario_defaults(&sc);
    if (scenario_load(&sc, "simulator/scenarios/staged.ini", err, sizeof err))
        fail_msg("%s", err);
    sc.duration_ns = 4 * sc.warmup_ns;
    struct view *v = view_open(640, 360, true, err, sizeof err);
    assert_non_null(v);
    struct play pl;
    assert_int_equal(play_open(&pl, &sc, v, 0.02, err, sizeof err), 0);
    struct sim m;
    assert_false(play_measured(&pl, &m)); /* t = 0: nothing measured */
    play_run_to(&pl, 2 * sc.warmup_ns);
    struct hud h = {0};
    double util[16];
    int backlog[16];
    hud_from_sim(&pl.sim, &pl.so_far, &h, util, backlog);
    assert_true(play_measured(&pl, &m));
    struct sim_report r;
    sim_report(&m, &r);
    assert_true(r.completed > 0);
    if (fabs(r.throughput_rps - h.throughput_rps) > 1e-6 * h.throughput_rps)
        fail_msg("at %.0f ms: the report says %.0f req/s, the HUD %.0f",
                 (double)pl.sim.now / 1e6, r.throughput_rps, h.throughput_rps);
    for (int c = 0; c < sc.cores; c++)
        if (fabs(sim_core_util(&m, c) - util[c]) > 1e-9)
            fail_msg("core %d: the report says %.3f busy, the HUD %.3f", c,
                     sim_core_util(&m, c), util[c]);
    play_close(&pl);
    view_close(v);
}

/* An accept queue's count is never cut: an open loop far above capacity
 * held 4,185,324 connections, and the caption read "accept queue 418..."
 * (a learner reads 418). */
static void test_long_queue_count_not_cut(void **state)
{
    (void)state;
    for (int w = 640; w <= 1280; w += 640) {
        char err[256];
        struct view *v = view_open(w, w * 9 / 16, true, err, sizeof err);
        assert_non_null(v);
        int core[] = {0};
        enum view_role role[] = {VIEW_BOTH};
        view_layout(v, 1, 1, core, role);
        view_set_flows(v, true); /* the model's count, no squares */
        int backlog[] = {4185324};
        struct hud h = {.title = "overload",
                        .arch = "single",
                        .cores = 1,
                        .backlog = backlog};
        view_draw(v, &h, 0.1);
        int q[4];
        assert_int_equal(view_place_rect(v, 0, PLACE_ACCEPT_QUEUE, q), 0);
        const struct view_item *it;
        int n = view_items(v, &it), found = 0;
        for (int i = 0; i < n; i++)
            if (it[i].text && it[i].x == q[0] && it[i].y < q[1] &&
                it[i].y >= q[1] - 20) {
                found++;
                if (it[i].cut)
                    fail_msg("%d px wide: the queue's count is cut", w);
            }
        assert_int_equal(found, 1);
        view_close(v);
    }
}

/* Sixteen cores at 1280x720: the accept thread's short row has no room
 * above its queue for the count, so it went without one (chapter 11's
 * bottleneck, a queue of 1,021, drew as sixteen cells and no number);
 * the count now stands right of the slot, where that row is empty. */
static void test_short_accept_row_counts_its_queue(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(1280, 720, true, err, sizeof err);
    assert_non_null(v);
    int core[16];
    enum view_role role[16];
    for (int t = 0; t < 16; t++)
        core[t] = t, role[t] = t ? VIEW_REQUEST : VIEW_ACCEPT;
    view_layout(v, 16, 16, core, role);
    for (int k = 0; k < 30; k++) {
        struct fd_event e = {0, 0, 0, FD_ARRIVE, -1, k};
        view_event(v, &e);
    }
    struct hud h = {.title = "churn", .arch = "staged", .cores = 16};
    view_draw(v, &h, 10.0);
    int slot[4], lane[4];
    assert_int_equal(view_place_rect(v, 0, PLACE_CPU, slot), 0);
    assert_int_equal(view_place_rect(v, 0, PLACE_LANE, lane), 0);
    assert_true(lane[3] < 40); /* a short row */
    const struct view_item *it;
    int n = view_items(v, &it), counts = 0;
    for (int i = 0; i < n; i++)
        counts += it[i].text && !it[i].cut && it[i].x > slot[0] + slot[2] &&
                  it[i].y >= lane[1] && it[i].y + it[i].h <= lane[1] + lane[3];
    assert_int_equal(counts, 1);
    view_close(v);
}

/* The followed connection's hand-off leg stays in the flight's colour
 * once it has landed: the tour's hand-off picture (an fd landed idle in
 * t1's interest set) showed no purple anywhere, and a white trail like
 * every other leg. */
static void test_trail_shows_the_handoff(void **state)
{
    (void)state;
    struct view *v = staged_pair();
    view_follow_next(v);
    ev(v, 0, FD_ACCEPT, 5, 3);
    ev(v, 0, FD_HANDOFF, 5, 1);
    struct hud h = {.title = "trail", .arch = "staged", .cores = 2};
    for (int i = 0; i < 4; i++) /* every move ends */
        view_draw(v, &h, 10.0);
    assert_int_equal(view_tokens_in(v, VC_FLIGHT), 0); /* it has landed */
    int legend[4];
    assert_int_equal(view_place_rect(v, 0, PLACE_LEGEND, legend), 0);
    struct picture p = picture_of(v);
    int above[4] = {0, 0, p.w, legend[1]}; /* all but the legend */
    int n = in_place(&p, above, VC_FLIGHT);
    stbi_image_free(p.px);
    if (n < 20)
        fail_msg("%d pixels of the flight colour: the hand-off leg is not "
                 "drawn in it",
                 n);
}

/* A hand-off's flight stays on the lanes: its arc swung 80 pixels right,
 * and at 640x360, the follow panel open, the tour's fd 5 flew hidden
 * behind the panel (only the end of its leg showed, going under it). */
static void test_flight_stays_on_the_lanes(void **state)
{
    (void)state;
    struct view *v = headless(640, 360);
    int core[] = {0, 1, 2};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST, VIEW_REQUEST};
    view_expect(v, 4); /* the tour's big squares */
    view_layout(v, 3, 3, core, role);
    view_follow_next(v);
    ev(v, 0, FD_ACCEPT, 5, 3);
    struct hud h = {.title = "arc", .arch = "staged", .cores = 3};
    view_draw(v, &h, 10.0); /* in t0's slot */
    ev(v, 0, FD_HANDOFF, 5, 1);
    int panel[4], seen = 0;
    assert_int_equal(view_place_rect(v, 0, PLACE_PANEL, panel), 0);
    for (int f = 0; f < 40; f++) {
        view_draw(v, &h, 0.01);
        const struct view_item *it;
        int n = view_items(v, &it);
        for (int i = 0; i < n; i++)
            if (!it[i].text && it[i].flight) {
                seen++;
                if (it[i].x + it[i].w > panel[0])
                    fail_msg("frame %d: the flight at x %d..%d, the panel "
                             "from x %d",
                             f, it[i].x, it[i].x + it[i].w, panel[0]);
            }
    }
    assert_true(seen > 10);
    view_close(v);
}

/* A square crossing a place on its way elsewhere is an outline, and its
 * number still reads: the tour's fd 5, answered, crossed t1's ready list
 * on its way to the interest set as an empty box, its "5" drawn dark on
 * the dark lane. */
static void test_hollow_square_keeps_its_number(void **state)
{
    (void)state;
    struct view *v = staged_pair();
    view_expect(v, 4); /* squares large enough for numbers */
    int core[] = {0, 1};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST};
    view_layout(v, 2, 2, core, role);
    ev(v, 0, FD_ACCEPT, 5, 3);
    ev(v, 0, FD_HANDOFF, 5, 1);
    ev(v, 1, FD_READY, 5, 0);
    ev(v, 1, FD_RECV, 5, 78);
    struct hud h = {.title = "hollow", .arch = "staged", .cores = 2};
    view_draw(v, &h, 10.0);    /* on t1's CPU */
    ev(v, 1, FD_SEND, 5, 130); /* to the interest set, over the ready list */
    static unsigned char px[800 * 600 * 4];
    char err[256];
    int light = -1;
    for (int f = 0; f < 60 && light < 0; f++) {
        view_draw(v, &h, 0.005);
        const struct view_item *it;
        int n = view_items(v, &it);
        for (int i = 0; i < n; i++) {
            if (it[i].text || !it[i].hollow || it[i].fd != 5)
                continue;
            assert_int_equal(view_read(v, px, err, sizeof err), 0);
            light = 0; /* inside the two-pixel outline */
            for (int y = it[i].y + 2; y < it[i].y + it[i].h - 2; y++)
                for (int x = it[i].x + 2; x < it[i].x + it[i].w - 2; x++) {
                    const unsigned char *q = px + 4 * (y * 800 + x);
                    light += q[0] > 150 && q[1] > 150 && q[2] > 150;
                }
            break;
        }
    }
    view_close(v);
    if (light < 0)
        fail_msg("fd 5 never crossed the ready list as an outline");
    if (light < 3)
        fail_msg("fd 5 hollow: %d light pixels in it, its number unread",
                 light);
}

/* At 640x360 the HUD's line in words is not cut: "t0 answers fd 5 (130
 * bytes); fd 5 goes back to idle in its interest..." (one core, one
 * client, shared-nothing); too long for the font, it takes the small
 * one. */
static void test_narration_not_cut(void **state)
{
    (void)state;
    struct view *v = headless(640, 360);
    int core[] = {0};
    enum view_role role[] = {VIEW_BOTH};
    view_layout(v, 1, 1, core, role);
    view_set_narrator(v, hud_narrate);
    ev(v, 0, FD_ACCEPT, 5, 3);
    ev(v, 0, FD_RECV, 5, 78);
    ev(v, 0, FD_REQUEST, 5, 1);
    ev(v, 0, FD_SEND, 5, 130);
    struct hud h = {.title = "t", .arch = "shared-nothing", .cores = 1};
    view_draw(v, &h, 10.0);
    const struct view_item *it;
    int n = view_items(v, &it), lines = 0;
    for (int i = 0; i < n; i++)
        if (it[i].text && it[i].y >= 50 && it[i].y < 80 && it[i].x < 20) {
            lines++;
            if (it[i].cut)
                fail_msg("the line in words at %d,%d is cut", it[i].x, it[i].y);
        }
    assert_int_equal(lines, 1);
    view_close(v);
}

/* The follow panel at 640x360 cuts no hop: "5.00 us  handed to t1:
 * epoll_c..." lost the call the tour is about; a long hop takes two
 * lines. */
static void test_panel_cuts_no_hop(void **state)
{
    (void)state;
    struct view *v = headless(640, 360);
    int core[] = {0, 1, 2};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST, VIEW_REQUEST};
    view_layout(v, 3, 3, core, role);
    view_follow_next(v);
    ev(v, 0, FD_ACCEPT, 5, 3);
    ev(v, 0, FD_HANDOFF, 5, 1);
    ev(v, 1, FD_READY, 5, 0);
    struct hud h = {.title = "tour", .arch = "staged", .cores = 3};
    for (int i = 0; i < 4; i++)
        view_draw(v, &h, 10.0);
    int panel[4];
    assert_int_equal(view_place_rect(v, -1, PLACE_PANEL, panel), 0);
    const struct view_item *it;
    int n = view_items(v, &it), lines = 0;
    for (int i = 0; i < n; i++)
        if (it[i].text && it[i].x >= panel[0] &&
            it[i].x < panel[0] + panel[2] && it[i].y >= panel[1] &&
            it[i].y < panel[1] + panel[3]) {
            lines++;
            if (it[i].cut)
                fail_msg("a panel line at %d,%d is cut", it[i].x, it[i].y);
        }
    assert_true(lines >= 4); /* the title and the hops */
    view_close(v);
}

/* The window is resizable, and the layout follows a new size: it stayed
 * at the size it opened at (a larger window drew it beside a black
 * margin, a smaller one cut it). Headless, view_resize() is what the
 * window's resize event calls: the squares keep their places, the
 * picture and every text box fit the new size. */
static void test_resize_lays_out_again(void **state)
{
    (void)state;
    struct view *v = staged_pair(); /* 800x600 */
    ev(v, 0, FD_ACCEPT, 5, 3);
    ev(v, 0, FD_HANDOFF, 5, 1);
    ev(v, 1, FD_READY, 5, 0);
    struct hud h = {.title = "resize", .arch = "staged", .cores = 2};
    view_draw(v, &h, 10.0);
    char err[256];
    static const int sizes[][2] = {{1280, 720}, {640, 360}};
    for (int i = 0; i < 2; i++) {
        int w = sizes[i][0], ht = sizes[i][1];
        assert_int_equal(view_resize(v, w, ht, err, sizeof err), 0);
        view_draw(v, &h, 10.0);
        int gw, gh;
        view_size(v, &gw, &gh);
        assert_int_equal(gw, w);
        assert_int_equal(gh, ht);
        int legend[4], ready[4];
        assert_int_equal(view_place_rect(v, 0, PLACE_LEGEND, legend), 0);
        if (legend[1] + legend[3] != ht || legend[2] != w)
            fail_msg("%dx%d: the legend is at %d,%d %dx%d", w, ht, legend[0],
                     legend[1], legend[2], legend[3]);
        int rects[512][4];
        int n = view_text_boxes(v, rects, 512);
        for (int j = 0; j < n; j++)
            if (rects[j][0] + rects[j][2] > w || rects[j][1] + rects[j][3] > ht)
                fail_msg("%dx%d: a text box at %d,%d %dx%d runs off it", w, ht,
                         rects[j][0], rects[j][1], rects[j][2], rects[j][3]);
        /* fd 5 is still drawn in t1's ready list, now where it is */
        assert_int_equal(view_place_rect(v, 1, PLACE_READY, ready), 0);
        const struct view_item *it;
        int k = view_items(v, &it), inside = 0;
        for (int j = 0; j < k; j++)
            inside += !it[j].text && it[j].fd == 5 && it[j].x >= ready[0] &&
                      it[j].x + it[j].w <= ready[0] + ready[2] &&
                      it[j].y >= ready[1] &&
                      it[j].y + it[j].h <= ready[1] + ready[3];
        if (inside != 1)
            fail_msg("%dx%d: fd 5 is not drawn in t1's ready list", w, ht);
        struct picture p = {malloc((size_t)w * ht * 4), w, ht};
        assert_int_equal(view_read(v, p.px, err, sizeof err), 0);
        assert_true(in_place(&p, ready, VC_READY) > 0);
        free(p.px);
    }
    view_close(v);
}

/* A replay run to --at measures its arrows as the model's run does, over
 * their usual span: each 10 ms of trace was drawn as ten wall seconds,
 * so an arrow gave the last 10 ms alone (a real trace's 17.0k req/s
 * beside the HUD's 57439). Here a connection a millisecond for 480 ms,
 * then 20 quiet ms: at 500 ms the arrow said 0 conn/s. */
static void test_replay_at_measures_arrows(void **state)
{
    (void)state;
    char trace[] = "/tmp/fastsim-at-XXXXXX.fdt";
    int fd = mkstemps(trace, 4);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "# fdtrace 1 arch=staged threads=2 cores=2\n");
    for (long i = 1; i <= 480; i++)
        fprintf(f,
                "%ld 0 0 accept 5 3\n%ld 0 0 handoff 5 1\n"
                "%ld 1 1 close 5 0\n",
                i * 1000000, i * 1000000 + 1000, i * 1000000 + 2000);
    fprintf(f, "600000000 1 1 wake -1 1\n"); /* the trace goes on */
    fclose(f);
    char err[512];
    struct player pl = {.speed = 0.01};
    assert_int_equal(trace_load(&pl.tr, trace, err, sizeof err), 0);
    unlink(trace);
    pl.origin = pl.tr.events[0].t_ns;
    pl.view = view_open(960, 540, true, err, sizeof err);
    assert_non_null(pl.view);
    view_expect(pl.view, 1);
    assert_int_equal(player_lay_out(&pl, err, sizeof err), 0);
    view_set_flows(pl.view, true);
    player_replay_to(&pl, 0.5, "trace");
    double rate = view_flow_accept_rate(pl.view, 0);
    if (rate < 500 || rate > 1100)
        fail_msg("at 500 ms the accept arrow says %.0f conn/s (1000 a "
                 "second until 480 ms)",
                 rate);
    view_close(pl.view);
    player_free(&pl);
}

/* A connection leaves from a client's mark: the tour's trail (and every
 * arrival) began at a blank spot of the client column, under the four
 * marks of its four clients. */
static void test_arrival_leaves_a_mark(void **state)
{
    (void)state;
    struct view *v = headless(960, 540);
    view_expect(v, 4);
    int core[] = {0, 1, 2};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST, VIEW_REQUEST};
    view_layout(v, 3, 3, core, role);
    int c[4];
    assert_int_equal(view_place_rect(v, -1, PLACE_CLIENTS, c), 0);
    for (long k = 0; k < 4; k++) {
        struct fd_event e = {0, 0, 0, FD_ARRIVE, -1, k};
        view_event(v, &e);
    }
    struct hud h = {
        .title = "tour", .arch = "staged", .cores = 3, .clients = 4};
    view_draw(v, &h, 0); /* where they start */
    const struct view_item *it;
    int n = view_items(v, &it), seen = 0;
    for (int i = 0; i < n; i++) {
        if (it[i].text || it[i].fd != -1)
            continue;
        seen++;
        /* four marks of 8 pixels, a pixel apart, on the column's first
         * line */
        int cx = it[i].x + it[i].w / 2, cy = it[i].y + it[i].h / 2;
        if (cx < c[0] || cx >= c[0] + 4 * 9 || cy < c[1] || cy >= c[1] + 8)
            fail_msg("an arrival starts at %d,%d, off the marks at %d,%d", cx,
                     cy, c[0], c[1]);
    }
    assert_int_equal(seen, 4);
    view_close(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_where_they_belong),
        cmocka_unit_test(test_closed_token_fades),
        cmocka_unit_test(test_fastsim_headless_png),
        cmocka_unit_test(test_churn_frames_show_every_hop),
        cmocka_unit_test(test_long_queue_drawn_whole),
        cmocka_unit_test(test_queues_drawn_in_order),
        cmocka_unit_test(test_clients_drawn),
        cmocka_unit_test(test_plot_has_a_scale),
        cmocka_unit_test(test_full_list_says_its_length),
        cmocka_unit_test(test_small_window_cuts_no_label),
        cmocka_unit_test(test_idle_core_says_why),
        cmocka_unit_test(test_hud_counts_agree_with_report),
        cmocka_unit_test(test_hud_overload_as_report),
        cmocka_unit_test(test_cpu_bars_say_percent),
        cmocka_unit_test(test_unnamed_bars_have_a_caption),
        cmocka_unit_test(test_help_in_two_columns),
        cmocka_unit_test(test_help_names_every_key),
        cmocka_unit_test(test_pool_queue_in_flows),
        cmocka_unit_test(test_replay_starts_at),
        cmocka_unit_test(test_replay_skips_the_quiet),
        cmocka_unit_test(test_flow_bars_agree_with_captions),
        cmocka_unit_test(test_flows_need_room),
        cmocka_unit_test(test_run_to_stops_there),
        cmocka_unit_test(test_pool_path_in_flows),
        cmocka_unit_test(test_trace_rates_say_their_span),
        cmocka_unit_test(test_legend_names_what_the_arch_draws),
        cmocka_unit_test(test_title_names_the_scenario),
        cmocka_unit_test(test_one_client_cuts_no_caption),
        cmocka_unit_test(test_report_at_agrees_with_hud),
        cmocka_unit_test(test_long_queue_count_not_cut),
        cmocka_unit_test(test_short_accept_row_counts_its_queue),
        cmocka_unit_test(test_trail_shows_the_handoff),
        cmocka_unit_test(test_flight_stays_on_the_lanes),
        cmocka_unit_test(test_hollow_square_keeps_its_number),
        cmocka_unit_test(test_narration_not_cut),
        cmocka_unit_test(test_panel_cuts_no_hop),
        cmocka_unit_test(test_resize_lays_out_again),
        cmocka_unit_test(test_replay_at_measures_arrows),
        cmocka_unit_test(test_arrival_leaves_a_mark),
    };
    return cmocka_run_group_tests_name("view", tests, NULL, NULL);
}
