/*
 * Replay: a trace file in memory, played with a cursor. Each frame plays
 * the events whose time has come; the clock is the trace's time scaled by
 * --speed. The report counts the whole trace, whatever the picture
 * showed.
 */
#include "simulator/replay.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simulator/model/report.h"
#include "simulator/player.h"

#define QUIET_WALL_S 2.0 /* wall s of nothing moving that a replay skips */

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void play_event(struct player *p, size_t i)
{
    player_replay_event(p, i);
}

static void play_until(struct player *p, double pos)
{
    player_replay_until(p, pos);
}

/* The event at which the most connections are open (a busy picture);
 * of equally busy moments, the one nearest the middle of the trace, so
 * that the HUD has figures by then. */
static size_t busiest(const struct trace *tr)
{
    long open = 0, best = -1;
    size_t at = tr->len, mid = tr->len / 2;
    for (size_t i = 0; i < tr->len; i++) {
        open += tr->events[i].kind == FD_ACCEPT;
        open -= tr->events[i].kind == FD_CLOSE;
        size_t d = i + 1 > mid ? i + 1 - mid : mid - i - 1;
        size_t dbest = at > mid ? at - mid : mid - at;
        if (open > best || (open == best && d < dbest))
            best = open, at = i + 1;
    }
    return at;
}

/* The most connections open at once in the trace: the view sizes its
 * squares for them (a trace of a few connections drew 2-pixel dots at
 * 640x360, sized for the 400 a view expects when it does not know). */
static int most_open(const struct trace *tr)
{
    long open = 0, most = 0;
    for (size_t i = 0; i < tr->len; i++) {
        open += tr->events[i].kind == FD_ACCEPT;
        open -= tr->events[i].kind == FD_CLOSE;
        most = open > most ? open : most;
    }
    return most < 1000000 ? (int)most : 1000000;
}

/* The first event from i on that moves a square (fastd's idle wakes
 * move none). */
static size_t next_moving(const struct trace *tr, size_t i)
{
    while (i < tr->len &&
           (tr->events[i].kind == FD_WAKE || tr->events[i].kind == FD_DROP ||
            tr->events[i].kind == FD_TOTAL))
        i++;
    return i;
}

/* A stretch of trace where no square moves for QUIET_WALL_S at this
 * speed is skipped, to half a wall second before the next move, and the
 * HUD says so: fastd started by hand wakes once a second until the load
 * comes, and the README's recipe (start it, load it, stop it) gave a
 * window that stayed empty for 190 s at x0.01 before the first
 * connection (1.9 s of trace). */
static void skip_quiet(struct player *p)
{
    size_t i = next_moving(&p->tr, p->next);
    if (i >= p->tr.len || p->speed <= 0)
        return;
    double at = (double)(p->tr.events[i].t_ns - p->origin) / 1e9;
    double to = at - 0.5 * p->speed;
    if (at - p->pos <= QUIET_WALL_S * p->speed || to <= p->pos)
        return;
    char msg[96];
    snprintf(msg, sizeof msg, "skipped %.3g s of trace where nothing moved",
             to - p->pos);
    p->pos = to;
    player_say(p, msg);
}

static void tally_sink(void *ctx, const struct fd_event *ev)
{
    tally_event(ctx, ev);
}

/* The headless picture, or the frames of a window or of --frames. */
static int show(struct player *p, const struct cli *cli)
{
    int rc = 0;
    if (cli->headless && !cli->frames) {
        /* One picture, taken while the most fds are open: the moves of
         * the last few events are still under way in it. */
        size_t at = busiest(&p->tr), settled = at > 12 ? at - 12 : 0;
        while (p->next < settled)
            play_event(p, p->next++);
        player_draw(p, cli->replay, HUD_REPLAY, 10.0);
        while (p->next < at)
            play_event(p, p->next++);
        player_draw(p, cli->replay, HUD_REPLAY, 0.12);
        return cli->png && player_save(p, cli->png, 0) < 0 ? 1 : 0;
    }
    if (cli->headless && cli->at_ms > 0) /* the frames start mid-run */
        player_replay_to(p, cli->at_ms / 1e3, cli->replay);
    double last = wall_now();
    for (int frame = 0;; frame++) {
        double dt = cli->headless ? 1.0 / 30 : wall_now() - last;
        last += dt;
        enum view_key k;
        bool on = true;
        while (on && (k = view_poll(p->view)) != KEY_NONE) {
            on = player_key(p, k, false);
            if (k == KEY_STEP) {
                p->paused = true;
                if (p->next < p->tr.len) {
                    p->pos =
                        (double)(p->tr.events[p->next].t_ns - p->origin) / 1e9;
                    play_event(p, p->next++);
                }
            }
        }
        if (!on)
            break;
        if (!p->paused) {
            p->pos += dt * p->speed;
            skip_quiet(p);
        }
        play_until(p, p->pos);
        player_draw(p, cli->replay, HUD_REPLAY, dt);
        if (cli->frames && cli->png && strchr(cli->png, '%') &&
            player_save(p, cli->png, frame) < 0)
            rc = 1;
        if ((cli->frames && frame + 1 >= cli->frames) ||
            (!cli->frames && cli->png && p->next == p->tr.len))
            break;
    }
    if (cli->png && !strchr(cli->png, '%') && player_save(p, cli->png, 0))
        rc = 1;
    return rc;
}

int replay_run(const struct cli *cli)
{
    char err[512];
    struct player p = {.speed = cli->speed};
    double t0 = wall_now();
    if (trace_load(&p.tr, cli->replay, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        return 1;
    }
    p.origin = p.tr.len ? p.tr.events[0].t_ns : 0;
    int rc = 0;
    bool picture = cli->headless || cli->png || cli->report == REPORT_NONE;
    if (picture) {
        p.view =
            view_open(cli->width, cli->height, cli->headless, err, sizeof err);
        if (p.view)
            view_expect(p.view, most_open(&p.tr));
        if (!p.view || player_lay_out(&p, err, sizeof err) < 0) {
            fprintf(stderr, "fastsim: %s\n", err);
            player_free(&p);
            view_close(p.view);
            return 1;
        }
        rc = show(&p, cli);
    }
    /* The report counts the whole trace; a picture asked for at a moment
     * (--at, --frames) that stopped before the end is reported to there,
     * as its HUD counts (--at 300 showed "closed 1" beside a report of
     * 65 closed). */
    size_t upto = p.tr.len;
    if (cli->report != REPORT_NONE && picture &&
        (cli->frames || cli->at_ms > 0) && p.next < p.tr.len) {
        upto = p.next;
        fprintf(stderr,
                "fastsim: the report covers the trace to where the picture "
                "stopped (%zu of its %zu events); without --at and "
                "--frames, all of it\n",
                upto, p.tr.len);
    }
    struct tally all;
    if (cli->report != REPORT_NONE && tally_init(&all, p.tr.threads) == 0) {
        for (size_t i = 0; i < upto; i++) {
            tally_event(&all, &p.tr.events[i]);
            trace_infer_ready(p.tr.events, upto, i, tally_sink, &all);
        }
        report_trace(stdout, cli->report == REPORT_JSON, cli->replay, &p.tr,
                     &all, wall_now() - t0);
        tally_free(&all);
    }
    player_free(&p);
    view_close(p.view);
    return rc;
}
