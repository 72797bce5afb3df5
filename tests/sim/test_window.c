/* The window as a newcomer sees it, rendered headless frame by frame:
 * the tour follows one fd through every hop in order, every square's
 * colour is the state of the place it is drawn in (every scenario), no
 * text overlaps another or a place where squares sit (every listed size,
 * 1 to 64 cores), every scenario leaves its warm-up within 10 s at its
 * own speed, and counters never go back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "simulator/hud.h"
#include "simulator/play.h"
#include "simulator/view/view.h"

static struct view *open_view(int w, int h)
{
    char err[256];
    struct view *v = view_open(w, h, true, err, sizeof err);
    if (!v)
        fail_msg("%s", err);
    return v;
}

static void load(struct scenario *sc, const char *path)
{
    char err[256];
    scenario_defaults(sc);
    if (scenario_load(sc, path, err, sizeof err) < 0)
        fail_msg("%s", err);
}

static glob_t scenarios(void)
{
    glob_t g;
    assert_int_equal(glob("simulator/scenarios/*.ini", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 10);
    return g;
}

/* ---- the tour ---------------------------------------------------------- */

/* The words each hop of the followed connection must say, in order. */
static const char *const tour_hops[] = {
    "arrived",        "queued in t0's accept queue",
    "accepted by t0", "epoll_ctl(ADD)",
    "ready in t",     "on CPU",
    "parsed",         "answered",
};

static void test_tour_watched_without_a_key(void **state)
{
    (void)state;
    struct view *v = open_view(800, 600);
    struct scenario sc;
    load(&sc, "simulator/scenarios/tour.ini");
    struct play p;
    char err[256];
    assert_int_equal(
        play_open(&p, &sc, v, play_default_speed(&sc), err, sizeof err), 0);
    int frames = 0, fd = -1, numbered = 0, at_rest = 0, said = 0;
    for (; frames < 4000 && !p.card; frames++) {
        play_frame(&p, 1.0 / 30);
        const char *hop;
        while ((hop = view_follow_hop(v, said, NULL)) != NULL)
            print_message("frame %4d: %s\n", frames, hop), said++;
        if (view_follow_fd(v) >= 0)
            fd = view_follow_fd(v);
        /* The followed square, at rest with an fd, carries its number. */
        const struct view_item *it;
        int n = view_items(v, &it);
        for (int i = 0; i < n; i++) {
            if (it[i].text || it[i].fd != fd || fd < 0 || it[i].moving ||
                it[i].colour == VC_CLOSING) /* fading out: shrinks */
                continue;
            at_rest++;
            for (int j = 0; j < n; j++)
                if (it[j].text && it[j].fd == fd && it[j].x >= it[i].x &&
                    it[j].x + it[j].w <= it[i].x + it[i].w) {
                    numbered++;
                    break;
                }
            break;
        }
    }
    assert_true(p.card);   /* it ends on a card, not a bare PAUSED */
    assert_true(p.paused); /* ...that waits for the reader */
    assert_true(fd >= 0);
    assert_true(at_rest > 100);
    assert_int_equal(numbered, at_rest);
    /* Its hops, in order: arrival, wait, accept, hand-off, ready, CPU,
     * ..., close. */
    int n = 0;
    const char *hop;
    size_t want = 0;
    while ((hop = view_follow_hop(v, n, NULL)) != NULL) {
        if (want < sizeof tour_hops / sizeof *tour_hops &&
            strstr(hop, tour_hops[want]))
            want++;
        n++;
    }
    if (want != sizeof tour_hops / sizeof *tour_hops) {
        for (int i = 0; i < n; i++)
            print_message("hop %d: %s\n", i, view_follow_hop(v, i, NULL));
        fail_msg("the tour's hops stop matching at '%s'", tour_hops[want]);
    }
    assert_non_null(strstr(view_follow_hop(v, n - 1, NULL), "closed"));
    /* Each hop had time to be read: about 2 s each, not a blur. */
    assert_true(frames > n * 50);
    print_message("tour: fd %d, %d hops in %d frames (%.0f s)\n", fd, n, frames,
                  frames / 30.0);
    play_close(&p);
    view_close(v);
}

/* The tour's hand-off is on screen with its name: while the followed
 * square flies (the flight's colour), the HUD's line says the hand-off and
 * the panel's newest hop is it, for long enough to be seen, and a line in
 * the flight's colour joins the square to t0's CPU slot. The hop was said
 * as it ended: the square flew for 9 frames under "t0 accepts a
 * connection: fd 5", and its name came once it sat idle in t1's interest
 * set. Counted in frames of 1/30 s, never timed. */
static void test_tour_names_the_handoff_in_flight(void **state)
{
    (void)state;
    struct view *v = open_view(1280, 720);
    struct scenario sc;
    load(&sc, "simulator/scenarios/tour.ini");
    struct play p;
    char err[256], said[200];
    assert_int_equal(
        play_open(&p, &sc, v, play_default_speed(&sc), err, sizeof err), 0);
    int flying = 0, leg = 0;
    static unsigned char px[1280 * 720 * 4];
    unsigned char purple[3];
    view_colour_rgb(VC_FLIGHT, purple);
    for (int frames = 0; frames < 4000 && !p.card; frames++) {
        play_frame(&p, 1.0 / 30);
        int fd = view_follow_fd(v), n = 0;
        const struct view_item *it;
        int ni = view_items(v, &it), sq = -1;
        for (int i = 0; i < ni; i++)
            if (!it[i].text && it[i].flight && fd >= 0 && it[i].fd == fd)
                sq = i;
        if (sq < 0)
            continue;
        flying++;
        while (view_follow_hop(v, n, NULL))
            n++;
        assert_true(n > 0);
        if (!strstr(view_follow_hop(v, n - 1, NULL), "epoll_ctl(ADD)"))
            fail_msg("frame %d: fd %d in flight, the panel's newest hop "
                     "says '%s'",
                     frames, fd, view_follow_hop(v, n - 1, NULL));
        if (!view_said(v, said, sizeof said) || !strstr(said, "hands fd"))
            fail_msg("frame %d: fd %d in flight, the line says '%s'", frames,
                     fd, view_said(v, said, sizeof said) ? said : "nothing");
        /* The flown leg: flight-coloured pixels outside the square, above
         * the legend (whose swatch is the flight colour too). */
        int legend[4];
        assert_int_equal(view_place_rect(v, 0, PLACE_LEGEND, legend), 0);
        assert_int_equal(view_read(v, px, err, sizeof err), 0);
        int line = 0;
        for (int y = 0; y < legend[1]; y++)
            for (int x = 0; x < 1280; x++) {
                const unsigned char *q = px + 4 * (y * 1280 + x);
                bool on_sq = x >= it[sq].x - 4 && x < it[sq].x + it[sq].w + 4 &&
                             y >= it[sq].y - 4 && y < it[sq].y + it[sq].h + 4;
                line += !on_sq && abs(q[0] - purple[0]) < 12 &&
                        abs(q[1] - purple[1]) < 12 &&
                        abs(q[2] - purple[2]) < 12;
            }
        leg += line >= 10;
    }
    assert_true(p.card);
    print_message("hand-off: %d frames in flight, %d with the leg drawn\n",
                  flying, leg);
    if (flying < 20) /* 0.3 s, a blink, before */
        fail_msg("the hand-off flew for %d frames only", flying);
    /* Its first frames have no length of line yet. */
    assert_true(leg >= flying - 3);
    play_close(&p);
    view_close(v);
}

/* `.` moves the followed connection one hop: one new line per press. */
static void test_step_is_one_hop(void **state)
{
    (void)state;
    struct view *v = open_view(640, 480);
    struct scenario sc;
    load(&sc, "simulator/scenarios/tour.ini");
    struct play p;
    char err[256];
    assert_int_equal(play_open(&p, &sc, v, 1e-5, err, sizeof err), 0);
    int before = 0;
    for (int press = 0; press < 12; press++) {
        play_key(&p, KEY_STEP);
        /* Its move plays (1.2 s in the tour), the model waits. */
        for (int f = 0; f < 30 || (f < 120 && !view_follow_settled(v)); f++)
            play_frame(&p, 1.0 / 30);
        int n = 0;
        while (view_follow_hop(v, n, NULL))
            n++;
        /* An arrival says two lines: it arrived, and it waits. */
        assert_true(n == before + 1 || (press == 0 && n == 2));
        before = n;
    }
    assert_true(p.paused);
    play_close(&p);
    view_close(v);
}

/* ---- colour is the place ----------------------------------------------- */

static bool inside(const int r[4], int x, int y)
{
    return r[2] > 0 && x >= r[0] && x < r[0] + r[2] && y >= r[1] &&
           y < r[1] + r[3];
}

/* The colours a square may have in a place. */
static bool allowed(enum view_place p, int c)
{
    switch (p) {
    case PLACE_CLIENTS:
    case PLACE_ACCEPT_QUEUE:
        return c == VC_BACKLOG;
    case PLACE_CPU:
        return c == VC_ACCEPTING || c == VC_SERVING || c == VC_CLOSING;
    case PLACE_READY:
    case PLACE_SHARED:
        return c == VC_READY;
    case PLACE_IDLE:
        return c == VC_IDLE;
    default:
        return true;
    }
}

/* Every filled square of this frame against the place it is drawn in
 * (found from the places' rectangles, not from the view's own answer).
 * Returns the squares checked. */
static int check_colours(struct view *v, int threads, const char *what,
                         int frame)
{
    static const enum view_place kinds[] = {PLACE_ACCEPT_QUEUE, PLACE_CPU,
                                            PLACE_READY, PLACE_IDLE};
    const struct view_item *it;
    int n = view_items(v, &it), checked = 0;
    for (int i = 0; i < n; i++) {
        if (it[i].text || it[i].flight || it[i].hollow || it[i].bar)
            continue;
        int x = it[i].x + it[i].w / 2, y = it[i].y + it[i].h / 2, r[4];
        enum view_place p = PLACE_NONE;
        if (view_place_rect(v, -1, PLACE_CLIENTS, r) == 0 && inside(r, x, y))
            p = PLACE_CLIENTS;
        if (view_place_rect(v, -1, PLACE_SHARED, r) == 0 && inside(r, x, y))
            p = PLACE_SHARED;
        for (int t = 0; t < threads && p == PLACE_NONE; t++)
            for (int k = 0; k < 4; k++)
                if (view_place_rect(v, t, kinds[k], r) == 0 && inside(r, x, y))
                    p = kinds[k];
        if (!allowed(p, it[i].colour))
            fail_msg("%s, frame %d: fd %d drawn in place %d with colour %d",
                     what, frame, it[i].fd, p, it[i].colour);
        checked++;
    }
    return checked;
}

/* A CPU bar that shows "busy now" is full exactly when a square sits in
 * the CPU slot of a thread on its core, or is on its way into one (its
 * move ends there: the thread is already at work). */
static void check_bars(struct view *v, const struct sim *s, const char *what,
                       int frame)
{
    const struct view_item *it;
    int n = view_items(v, &it);
    for (int i = 0; i < n; i++) {
        if (!it[i].bar || !it[i].colour)
            continue;
        int core = it[i].bar - 1;
        bool busy = it[i].w > 0 && it[i].h > 0, slot = false;
        for (int t = 0; t < s->nthreads && !slot; t++) {
            int r[4];
            if (s->threads[t].core != core ||
                view_place_rect(v, t, PLACE_CPU, r) < 0)
                continue;
            for (int j = 0; j < n && !slot; j++)
                slot = !it[j].text && !it[j].bar && !it[j].hollow &&
                       !it[j].flight &&
                       inside(r, it[j].to_x + it[j].w / 2,
                              it[j].to_y + it[j].h / 2);
        }
        if (busy != slot)
            fail_msg("%s, frame %d: core %d's bar says %s, its slot %s", what,
                     frame, core, busy ? "busy" : "idle",
                     slot ? "holds a square" : "is empty");
    }
}

/* Three ways to watch: at the scenario's own speed as a user would (the
 * view chooses squares or flows), then 100 times faster (a burst of hops)
 * with squares pinned, and with flows pinned: the flow view (flow.h) still
 * draws its sampled fd's square, and that square obeys the same rule. The
 * CPU bars are checked against the slots only where squares are drawn: a
 * flow view's slots show rates, not squares. */
static void test_colour_is_the_place(void **state)
{
    (void)state;
    glob_t g = scenarios();
    struct view *v[3] = {open_view(800, 600), open_view(800, 600),
                         open_view(800, 600)};
    view_set_flows(v[1], false);
    view_set_flows(v[2], true);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct scenario sc;
        load(&sc, g.gl_pathv[i]);
        for (int how = 0; how < 3; how++) {
            struct play p;
            char err[256];
            double speed = play_default_speed(&sc) * (how ? 100 : 1);
            assert_int_equal(play_open(&p, &sc, v[how], speed, err, sizeof err),
                             0);
            long squares = 0;
            for (int f = 0; f < 45; f++) {
                play_frame(&p, 1.0 / 30);
                squares +=
                    check_colours(v[how], p.sim.nthreads, g.gl_pathv[i], f);
                if (!view_flows(v[how]))
                    check_bars(v[how], &p.sim, g.gl_pathv[i], f);
            }
            if (how == 0)
                assert_true(squares > 0);
            if (how != 1)
                print_message("%-44s %s: %s, %ld squares checked\n",
                              g.gl_pathv[i], how ? "x100" : "own speed",
                              view_flows(v[how]) ? "flows" : "squares",
                              squares);
            assert_true(how == 2 ? view_flows(v[how]) : true);
            assert_true(how == 1 ? !view_flows(v[how]) : true);
            play_close(&p);
        }
    }
    for (int how = 0; how < 3; how++)
        view_close(v[how]);
    globfree(&g);
}

/* The pool's narration: a readable fd goes to the shared queue, not to a
 * ready list of its own (the pool has none); every other event is told
 * as in the other archs (play_open() picks this narrator for the pool). */
static void test_pool_narration(void **state)
{
    (void)state;
    struct fd_event ready = {.kind = FD_READY, .thread = 0, .fd = 260};
    char pool[160], other[160];
    hud_narrate_pool(&ready, pool, sizeof pool);
    hud_narrate(&ready, other, sizeof other);
    assert_non_null(strstr(pool, "shared queue"));
    assert_null(strstr(pool, "ready list"));
    assert_non_null(strstr(other, "ready list"));
    struct fd_event acc = {.kind = FD_ACCEPT, .thread = 0, .fd = 9};
    hud_narrate_pool(&acc, pool, sizeof pool);
    hud_narrate(&acc, other, sizeof other);
    assert_string_equal(pool, other);
}

/* ---- layout ----------------------------------------------------------- */

static bool overlap(const int a[4], const int b[4])
{
    return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] &&
           b[1] < a[1] + a[3];
}

static int texts[8192][4], places[4096][4];

/* The layout's boxes: no two texts overlap, no text overlaps a place
 * where squares sit; and every text drawn lies in one of the boxes. */
static void check_layout(struct view *v, const char *what, bool drawn)
{
    int nt = view_text_boxes(v, texts, 8192);
    int np = view_square_places(v, places, 4096);
    for (int i = 0; i < nt; i++) {
        for (int j = i + 1; j < nt; j++)
            if (overlap(texts[i], texts[j]))
                fail_msg("%s: text boxes %d,%d %dx%d and %d,%d %dx%d overlap",
                         what, texts[i][0], texts[i][1], texts[i][2],
                         texts[i][3], texts[j][0], texts[j][1], texts[j][2],
                         texts[j][3]);
        for (int j = 0; j < np; j++)
            if (overlap(texts[i], places[j]))
                fail_msg("%s: text box %d,%d %dx%d overlaps place %d,%d %dx%d",
                         what, texts[i][0], texts[i][1], texts[i][2],
                         texts[i][3], places[j][0], places[j][1], places[j][2],
                         places[j][3]);
    }
    if (!drawn)
        return;
    const struct view_item *it;
    int n = view_items(v, &it);
    for (int i = 0; i < n; i++) {
        if (!it[i].text || it[i].fd != -2) /* fd numbers sit on squares */
            continue;
        int box[4] = {it[i].x, it[i].y, it[i].w, it[i].h};
        bool in_one = false;
        for (int j = 0; j < nt && !in_one; j++)
            in_one = box[0] >= texts[j][0] && box[1] >= texts[j][1] &&
                     box[0] + box[2] <= texts[j][0] + texts[j][2] &&
                     box[1] + box[3] <= texts[j][1] + texts[j][3];
        if (!in_one)
            fail_msg("%s: a text drawn at %d,%d %dx%d is in no layout box",
                     what, box[0], box[1], box[2], box[3]);
        for (int j = 0; j < n; j++)
            if (!it[j].text && !it[j].moving) {
                int sq[4] = {it[j].x, it[j].y, it[j].w, it[j].h};
                if (overlap(box, sq))
                    fail_msg("%s: a text at %d,%d overlaps fd %d's square",
                             what, box[0], box[1], it[j].fd);
            }
    }
}

static void test_layout_no_overlap(void **state)
{
    (void)state;
    static const int sizes[][2] = {
        {640, 480}, {800, 600}, {1280, 720}, {1920, 1080}};
    static int core[256];
    static enum view_role role[256];
    char what[128];
    int checked = 0;
    for (size_t s = 0; s < 4; s++) {
        struct view *v = open_view(sizes[s][0], sizes[s][1]);
        for (int cores = 1; cores <= 64; cores++) {
            for (int arch = 0; arch < 3; arch++) {
                /* staged: t0 accepts, one request thread per other core;
                 * shared-nothing: one thread per core; pool: a loop and
                 * workers (the shared queue's band). */
                int n = arch == 0 ? (cores > 1 ? cores : 2) : cores;
                for (int t = 0; t < n; t++) {
                    core[t] = arch == 0 && cores == 1 ? 0 : t % cores;
                    role[t] = arch == 0   ? (t ? VIEW_REQUEST : VIEW_ACCEPT)
                              : arch == 1 ? VIEW_BOTH
                                          : (t ? VIEW_WORKER : VIEW_LOOP);
                }
                view_expect(v, cores == 3 ? 4 : 0); /* the tour's big squares */
                view_layout(v, n, cores, core, role);
                for (int follow = 0; follow < 2; follow++) {
                    if (follow)
                        view_follow_next(v);
                    /* Draw a frame where it is cheap enough to: a few
                     * core counts; the boxes are checked for all. */
                    bool draw = cores <= 4 || cores % 16 == 0 || cores == 17;
                    if (draw) {
                        double util[64] = {0};
                        int backlog[64] = {0};
                        struct hud h = {
                            .title = "a-long-scenario-name",
                            .arch = "shared-nothing",
                            .sim_s = 123.456789,
                            .speed = 1.2345e-5,
                            .paused = true,
                            .completed = 123456789,
                            .throughput_rps = 1234567,
                            .p50_us = 12345.6,
                            .p99_us = 123456.7,
                            .handoffs = 987654321,
                            .cache_misses = 123456,
                            .clients = 1000000,
                            .util = util,
                            .cores = cores,
                            .backlog = backlog,
                            .shared_len = 100000,
                            .narration = "t12 hands fd 123456 to t34: "
                                         "epoll_ctl(ADD) on t34's epoll fd "
                                         "and a little more to be cut",
                        };
                        view_draw(v, &h, 0.1);
                    }
                    snprintf(what, sizeof what, "%dx%d, %d cores, %s%s",
                             sizes[s][0], sizes[s][1], cores,
                             (const char *[]){"staged", "shared-nothing",
                                              "pool"}[arch],
                             follow ? ", following" : "");
                    check_layout(v, what, draw);
                    checked++;
                    if (follow)
                        view_follow_stop(v);
                }
            }
        }
        view_close(v);
    }
    print_message("layout: %d layouts checked\n", checked);
}

/* ---- pacing ------------------------------------------------------------ */

struct seen {
    int64_t last_visible; /* model time of the latest event that moves */
    int64_t longest_gap;  /* the longest time with nothing moving */
};

static void on_event(void *ctx, const struct fd_event *ev)
{
    struct seen *s = ctx;
    if (ev->kind == FD_WAKE || ev->kind == FD_DROP || ev->kind == FD_WASTED)
        return;
    if (ev->t_ns - s->last_visible > s->longest_gap)
        s->longest_gap = ev->t_ns - s->last_visible;
    s->last_visible = ev->t_ns;
}

/* At its own speed every scenario leaves its warm-up within 10 wall s,
 * and something moves in every wall second on the way (computed from the
 * model's times and the speed, not timed). */
static void test_warmup_within_ten_seconds(void **state)
{
    (void)state;
    glob_t g = scenarios();
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct scenario sc;
        load(&sc, g.gl_pathv[i]);
        double speed = play_default_speed(&sc);
        double warm_wall = (double)sc.warmup_ns / 1e9 / speed;
        if (warm_wall > 10)
            fail_msg("%s: warm-up %.3g ms takes %.1f s at x%g", g.gl_pathv[i],
                     sc.warmup_ns / 1e6, warm_wall, speed);
        struct sim s;
        char err[256];
        assert_int_equal(sim_init(&s, &sc, err, sizeof err), 0);
        struct seen seen = {0};
        sim_set_emitter(&s, on_event, &seen);
        int64_t until =
            sc.warmup_ns > 0 ? sc.warmup_ns : (int64_t)(speed * 1e9);
        sim_run_until(&s, until);
        if (until - seen.last_visible > seen.longest_gap)
            seen.longest_gap = until - seen.last_visible;
        double gap_wall = (double)seen.longest_gap / 1e9 / speed;
        if (gap_wall > 1)
            fail_msg("%s: nothing moves for %.1f s at x%g", g.gl_pathv[i],
                     gap_wall, speed);
        print_message("%-44s x%-8g warm-up %4.1f s, longest still %.2f s\n",
                      g.gl_pathv[i], speed, warm_wall, gap_wall);
        sim_free(&s);
    }
    globfree(&g);
}

/* The HUD's counts go on across the warm-up's end (they were 28, then 1). */
static void test_counts_never_go_back(void **state)
{
    (void)state;
    struct scenario sc;
    load(&sc, "simulator/scenarios/staged.ini");
    struct view *v = open_view(640, 480);
    struct play p;
    char err[256];
    assert_int_equal(play_open(&p, &sc, v, 0.02, err, sizeof err), 0);
    unsigned long answered = 0, handoffs = 0;
    double util[256];
    int backlog[256];
    bool crossed = false;
    for (int f = 0; f < 400 && !crossed; f++) {
        play_frame(&p, 1.0 / 30);
        struct hud h = {0};
        hud_from_sim(&p.sim, &p.so_far, &h, util, backlog);
        assert_true(h.completed >= answered);
        assert_true(h.handoffs >= handoffs);
        answered = h.completed, handoffs = h.handoffs;
        crossed = p.sim.now > sc.warmup_ns + sc.warmup_ns / 2;
    }
    assert_true(crossed);
    assert_true(handoffs > 10);
    play_close(&p);
    view_close(v);
}

/* ---- keys ------------------------------------------------------------- */

static void test_escape_closes_help_first(void **state)
{
    (void)state;
    struct view *v = open_view(640, 480);
    struct scenario sc;
    load(&sc, "simulator/scenarios/staged.ini");
    struct play p;
    char err[256];
    assert_int_equal(play_open(&p, &sc, v, 1e-5, err, sizeof err), 0);
    play_key(&p, KEY_HELP);
    play_frame(&p, 1.0 / 30);
    play_key(&p, KEY_ESCAPE);
    assert_false(p.help);
    assert_true(p.running);
    play_key(&p, KEY_ESCAPE);
    assert_false(p.running);
    play_close(&p);
    view_close(v);
}

/* The message at a speed limit names the speed the title shows. */
static void test_speed_message_agrees(void **state)
{
    (void)state;
    struct view *v = open_view(640, 480);
    struct scenario sc;
    load(&sc, "simulator/scenarios/staged.ini");
    struct play p;
    char err[256], title[32];
    assert_int_equal(play_open(&p, &sc, v, 3e-5, err, sizeof err), 0);
    for (int dir = 0; dir < 2; dir++) {
        for (int i = 0; i < 80; i++)
            play_key(&p, dir ? KEY_SLOWER : KEY_FASTER);
        snprintf(title, sizeof title, "x%g", p.speed); /* as the title */
        assert_non_null(strstr(p.message, title));
        assert_true(dir ? p.speed == 1e-9 : p.speed == 10);
    }
    play_close(&p);
    view_close(v);
}

/* Holding a key: the first press counts, its repeats do not (one
 * screenshot per press, not one per repeat); the arrows do repeat. */
static void test_held_key_is_one_press(void **state)
{
    (void)state;
    setenv("SDL_VIDEODRIVER", "dummy", 1); /* a window with no display */
    char err[256];
    struct view *v = view_open(640, 480, false, err, sizeof err);
    if (!v)
        skip(); /* no dummy video driver in this SDL */
    SDL_Keycode keys[] = {SDLK_s, SDLK_RIGHT};
    enum view_key want[] = {KEY_SCREENSHOT, KEY_FASTER};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 5; i++) {
            SDL_Event e = {.type = SDL_KEYDOWN};
            e.key.keysym.sym = keys[k];
            e.key.repeat = i > 0;
            e.key.state = SDL_PRESSED;
            assert_int_equal(SDL_PushEvent(&e), 1);
        }
        int got = 0;
        enum view_key key;
        while ((key = view_poll(v)) != KEY_NONE)
            got += key == want[k];
        assert_int_equal(got, k == 0 ? 1 : 5);
    }
    SDL_Event esc = {.type = SDL_KEYDOWN};
    esc.key.keysym.sym = SDLK_ESCAPE;
    assert_int_equal(SDL_PushEvent(&esc), 1);
    assert_int_equal(view_poll(v), KEY_ESCAPE); /* not a bare quit */
    view_close(v);
}

int main(int argc, char **argv)
{
    if (argc > 1) /* one test by name, when looking into one */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tour_watched_without_a_key),
        cmocka_unit_test(test_tour_names_the_handoff_in_flight),
        cmocka_unit_test(test_step_is_one_hop),
        cmocka_unit_test(test_colour_is_the_place),
        cmocka_unit_test(test_pool_narration),
        cmocka_unit_test(test_layout_no_overlap),
        cmocka_unit_test(test_warmup_within_ten_seconds),
        cmocka_unit_test(test_counts_never_go_back),
        cmocka_unit_test(test_escape_closes_help_first),
        cmocka_unit_test(test_speed_message_agrees),
        cmocka_unit_test(test_held_key_is_one_press),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
