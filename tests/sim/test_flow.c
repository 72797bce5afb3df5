/* The flow view, headless: under a high rate the view draws flows by
 * itself, the arrows' widths follow the measured hand-off rates, one fd
 * stays visible and ringed, `v` forces squares, and a quiet stream goes
 * back to squares. Pictures are checked by colours in regions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "simulator/view/flow.h"
#include "simulator/view/view.h"

static void ev(struct view *v, int64_t t, int thread, enum fd_kind kind, int fd,
               long arg)
{
    struct fd_event e = {t, thread, thread, kind, fd, arg};
    view_event(v, &e);
}

/* Connections for one trace second: t0 accepts each and hands three in
 * four to t1, the rest to t2; each is served and closed. */
static void load_second(struct view *v, int64_t start, int n)
{
    for (int i = 0; i < n; i++) {
        int64_t t = start + (int64_t)i * 1000000000 / n;
        int fd = 100 + i % 50, to = i % 4 == 3 ? 2 : 1;
        ev(v, t, 0, FD_ACCEPT, fd, 3);
        ev(v, t, 0, FD_HANDOFF, fd, to);
        ev(v, t + 1000, to, FD_READY, fd, 0);
        ev(v, t + 2000, to, FD_RECV, fd, 80);
        ev(v, t + 2000, to, FD_REQUEST, fd, 1);
        ev(v, t + 3000, to, FD_SEND, fd, 130);
        ev(v, t + 4000, to, FD_CLOSE, fd, 0);
    }
}

/* Flight-coloured pixels in the band above a request thread's CPU slot,
 * left of the accept slot's column: the arrow's horizontal leg. */
static int arrow_pixels(struct view *v, const unsigned char *px, int w, int to)
{
    int acc[4], slot[4];
    view_place_rect(v, 0, PLACE_CPU, acc);
    view_place_rect(v, to, PLACE_CPU, slot);
    unsigned char rgb[3];
    view_colour_rgb(VC_FLIGHT, rgb);
    int n = 0, x1 = acc[0] - 6;
    for (int y = slot[1] - 30; y < slot[1]; y++)
        for (int x = slot[0] + slot[2] + 4; x < x1; x++) {
            const unsigned char *q = px + 4 * (y * w + x);
            n += abs(q[0] - rgb[0]) < 12 && abs(q[1] - rgb[1]) < 12 &&
                 abs(q[2] - rgb[2]) < 12;
        }
    return n;
}

static void test_flows_follow_the_rates(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(1280, 720, true, err, sizeof err);
    if (!v)
        fail_msg("%s", err);
    int core[] = {0, 1, 2};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST, VIEW_REQUEST};
    view_layout(v, 3, 3, core, role);
    struct hud h = {.title = "flow", .arch = "staged", .mode = HUD_LIVE};
    assert_false(view_flows(v));
    /* 4,000 connections a second: 28,000 moves in a tenth of a second of
     * wall time is far beyond what squares can show. */
    for (int s = 0; s < 3; s++) {
        load_second(v, (int64_t)s * 1000000000, 4000);
        view_draw(v, &h, 0.1);
    }
    assert_true(view_flows(v)); /* chosen by itself */
    int w, hh;
    view_size(v, &w, &hh);
    unsigned char *px = malloc((size_t)w * (size_t)hh * 4);
    assert_non_null(px);
    assert_int_equal(view_read(v, px, err, sizeof err), 0);
    int to1 = arrow_pixels(v, px, w, 1), to2 = arrow_pixels(v, px, w, 2);
    printf("arrow pixels: to t1 %d, to t2 %d\n", to1, to2);
    /* t1 gets three times t2's hand-offs: a wider arrow, both drawn. */
    assert_true(to2 > 0);
    assert_true(to1 > to2);
    /* Squares are hidden but one: the sample. */
    assert_true(view_tokens(v) >= 1);
    /* v: squares, even at this rate. */
    view_flow_toggle(v);
    load_second(v, 3000000000, 4000);
    view_draw(v, &h, 0.1);
    assert_false(view_flows(v));
    view_flow_toggle(v);
    view_draw(v, &h, 0.1);
    assert_true(view_flows(v));
    free(px);
    view_close(v);
}

static void test_quiet_stream_goes_back_to_squares(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(800, 600, true, err, sizeof err);
    assert_non_null(v);
    int core[] = {0, 1};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST};
    view_layout(v, 2, 2, core, role);
    struct hud h = {.arch = "staged", .cores = 2};
    load_second(v, 0, 2000);
    view_draw(v, &h, 0.1);
    assert_true(view_flows(v));
    for (int i = 0; i < 120; i++) /* four seconds with no event */
        view_draw(v, &h, 1.0 / 30);
    assert_false(view_flows(v));
    /* A few connections a second stay squares. */
    load_second(v, 2000000000, 5);
    view_draw(v, &h, 1.0);
    assert_false(view_flows(v));
    view_close(v);
}

/* With flows drawn, the squares left are the sampled fd's and the
 * followed connection's (`f` works in the flow view too): under a rate
 * that hides all the rest, following a connection draws it, with its fd,
 * until it closes. */
static void test_followed_square_stays_in_flows(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(1280, 720, true, err, sizeof err);
    if (!v)
        fail_msg("%s", err);
    int core[] = {0, 1, 2};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST, VIEW_REQUEST};
    view_layout(v, 3, 3, core, role);
    view_set_flows(v, true);
    struct hud h = {.title = "t", .arch = "staged", .cores = 3};
    /* Many connections open at once (each stays idle in its set). */
    for (int i = 0; i < 200; i++) {
        ev(v, i * 1000, 0, FD_ACCEPT, 100 + i, 3);
        ev(v, i * 1000 + 10, 0, FD_HANDOFF, 100 + i, 1 + i % 2);
    }
    view_follow_next(v);
    ev(v, 300000, 0, FD_ACCEPT, 400, 3);
    ev(v, 300010, 0, FD_HANDOFF, 400, 2);
    for (int f = 0; f < 60; f++) /* their moves end */
        view_draw(v, &h, 1.0 / 30);
    assert_true(view_flows(v));
    assert_int_equal(view_follow_fd(v), 400);
    const struct view_item *it;
    int n = view_items(v, &it), squares = 0;
    bool followed = false;
    for (int i = 0; i < n; i++) {
        if (it[i].text || it[i].bar)
            continue;
        squares++;
        followed |= it[i].fd == 400;
    }
    assert_true(followed);
    assert_true(squares <= 2); /* the followed one and the sample */
    view_close(v);
}

static bool overlap(const int a[4], const int b[4])
{
    return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] &&
           b[1] < a[1] + a[3];
}

/* The flow view's labels (rates, gauges, the sample's words) overlap no
 * other label of theirs, no text of the layout's boxes, no gauge's bar
 * and no square still drawn, at the window sizes test_window checks and
 * 640x360, staged and shared-nothing, 1 to 8 cores. They may lie over a
 * place: its squares are not drawn in flows. At 640x360 the sample's
 * words covered t0's interest-set gauge, and "0 hand-offs/s" t1's ready
 * list gauge. */
static void test_flow_labels_do_not_overlap(void **state)
{
    (void)state;
    static const int sizes[][2] = {
        {640, 360}, {640, 480}, {800, 600}, {1280, 720}, {1920, 1080}};
    static int boxes[4096][4];
    char err[256];
    int checked = 0;
    for (int s = 0; s < 5; s++) {
        struct view *v =
            view_open(sizes[s][0], sizes[s][1], true, err, sizeof err);
        if (!v)
            fail_msg("%s", err);
        view_set_flows(v, true);
        for (int cores = 1; cores <= 8; cores++)
            for (int arch = 0; arch < 2; arch++) {
                int n = arch == 0 ? (cores > 1 ? cores : 2) : cores;
                int core[8];
                enum view_role role[8];
                for (int t = 0; t < n; t++) {
                    core[t] = arch == 0 && cores == 1 ? 0 : t % cores;
                    role[t] = arch == 0 ? (t ? VIEW_REQUEST : VIEW_ACCEPT)
                                        : VIEW_BOTH;
                }
                view_layout(v, n, cores, core, role);
                struct hud h = {.title = "t", .arch = "staged", .cores = cores};
                for (int i = 0; i < 400; i++) { /* a second of load */
                    int64_t t = (int64_t)i * 2500000;
                    int fd = 100 + i % 50, by = arch ? i % n : 0;
                    int to = arch ? by : 1 + i % (n - 1 > 0 ? n - 1 : 1);
                    ev(v, t, by, FD_ACCEPT, fd, 3);
                    if (!arch)
                        ev(v, t, 0, FD_HANDOFF, fd, to);
                    ev(v, t + 1000, to, FD_READY, fd, 0);
                    ev(v, t + 2000, to, FD_REQUEST, fd, 1);
                    if (i % 3 == 0)
                        ev(v, t + 3000, to, FD_CLOSE, fd, 0);
                    if (i % 40 == 0)
                        view_draw(v, &h, 1.0 / 30);
                }
                view_draw(v, &h, 1.0 / 30);
                int nb = view_text_boxes(v, boxes, 4096);
                const struct view_item *it;
                int ni = view_items(v, &it);
                for (int i = 0; i < ni; i++) {
                    if (!it[i].text || it[i].fd != -3)
                        continue;
                    int a[4] = {it[i].x, it[i].y, it[i].w, it[i].h};
                    for (int j = 0; j < ni; j++) {
                        int b[4] = {it[j].x, it[j].y, it[j].w, it[j].h};
                        bool other =
                            it[j].text ? it[j].fd == -3 && j > i : !it[j].bar;
                        if (other && overlap(a, b))
                            fail_msg("%dx%d, %d cores, %s: a flow label at "
                                     "%d,%d %dx%d overlaps %s at %d,%d "
                                     "%dx%d",
                                     sizes[s][0], sizes[s][1], cores,
                                     arch ? "shared-nothing" : "staged", a[0],
                                     a[1], a[2], a[3],
                                     it[j].text ? "another" : "a square", b[0],
                                     b[1], b[2], b[3]);
                    }
                    for (int t = 0; t < n; t++)
                        for (int p = 0; p < 2; p++) {
                            int box[4], bar[4];
                            if (view_place_rect(v, t,
                                                p ? PLACE_IDLE : PLACE_READY,
                                                box) != 0)
                                continue;
                            flow_gauge_bar(box, bar);
                            if (bar[2] > 0 && overlap(a, bar))
                                fail_msg("%dx%d, %d cores, %s: a flow label "
                                         "at %d,%d %dx%d overlaps t%d's %s "
                                         "gauge at %d,%d %dx%d",
                                         sizes[s][0], sizes[s][1], cores,
                                         arch ? "shared-nothing" : "staged",
                                         a[0], a[1], a[2], a[3], t,
                                         p ? "interest set" : "ready list",
                                         bar[0], bar[1], bar[2], bar[3]);
                        }
                    for (int j = 0; j < nb; j++)
                        if (overlap(a, boxes[j]))
                            fail_msg("%dx%d, %d cores, %s: a flow label at "
                                     "%d,%d %dx%d overlaps a text box at "
                                     "%d,%d %dx%d",
                                     sizes[s][0], sizes[s][1], cores,
                                     arch ? "shared-nothing" : "staged", a[0],
                                     a[1], a[2], a[3], boxes[j][0], boxes[j][1],
                                     boxes[j][2], boxes[j][3]);
                    checked++;
                }
            }
        view_close(v);
    }
    print_message("flow labels checked: %d\n", checked);
    assert_true(checked > 100);
}

/* Paused, the arrows keep their rates: after a second of a paused
 * window (no event comes) every arrow fell to 0/s, as if the server had
 * stopped. Unpaused, a quiet stream still does. */
static void test_pause_keeps_the_rates(void **state)
{
    (void)state;
    char err[256];
    struct view *v = view_open(800, 600, true, err, sizeof err);
    assert_non_null(v);
    int core[] = {0, 1};
    enum view_role role[] = {VIEW_ACCEPT, VIEW_REQUEST};
    view_layout(v, 2, 2, core, role);
    struct hud h = {.arch = "staged", .cores = 2};
    for (int s = 0; s < 2; s++) {
        load_second(v, (int64_t)s * 1000000000, 2000);
        view_draw(v, &h, 0.3);
    }
    double before = view_flow_accept_rate(v, 0);
    assert_true(before > 1000);
    h.paused = true;
    for (int i = 0; i < 90; i++) /* three seconds paused */
        view_draw(v, &h, 1.0 / 30);
    if (view_flow_accept_rate(v, 0) != before)
        fail_msg("paused: %.0f conn/s, then %.0f", before,
                 view_flow_accept_rate(v, 0));
    h.paused = false;
    for (int i = 0; i < 90; i++)
        view_draw(v, &h, 1.0 / 30);
    assert_true(view_flow_accept_rate(v, 0) == 0);
    view_close(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flows_follow_the_rates),
        cmocka_unit_test(test_quiet_stream_goes_back_to_squares),
        cmocka_unit_test(test_pause_keeps_the_rates),
        cmocka_unit_test(test_followed_square_stays_in_flows),
        cmocka_unit_test(test_flow_labels_do_not_overlap),
    };
    return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
