/*
 * fastsim - the course's simulator: a discrete-event model of the staged
 * server and its rivals, an SDL2 view that shows every hop of every fd,
 * replay of traces recorded by fastd, and a live view of a running fastd.
 *
 * Where to start reading:
 *   model/sim.h       the model: cores, threads, queues, costs
 *   model/sim.c       its engine, and how each architecture places work
 *   model/policy.c    hand-off policies (add yours: exercise 09)
 *   model/scenario.c  the INI scenarios
 *   view/view.h       the places on screen, and how an fd moves
 *   view/layout.c     where each place and text goes
 *   view/draw.c       painting a frame (hud_draw.c the HUD, paint.c
 *                     the brushes)
 *   cli.c             the command line
 *   play.c            the model's frame loop and its keys
 *   player.c          what a replay and a live view share: figures, HUD
 *   replay.c          playing a trace (--replay)
 *   live_view.c       fastd live (--live); live.c reads its socket
 *   recent.c          figures over the last second
 *   view/flow.c       flows instead of squares under load
 *   hud.c             what the heads-up display says
 *   main.c            this file: which of them runs
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simulator/cli.h"
#include "simulator/model/report.h"
#include "simulator/model/sim.h"
#include "simulator/play.h"
#include "simulator/replay.h"
#include "simulator/view/view.h"

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run without a view: the fastest path, and the one the tests measure. */
static int run_model(const struct scenario *base, const struct cli *cli)
{
    int n = cli->replications;
    double rps[1000], mean[1000], p99[1000];
    /* Per-core means over the runs (a scenario has at most 256 cores). */
    static double util[256], queue[256];
    struct sim s;
    struct sim_report r = {0}, sum = {0};
    char err[256];
    double t0 = wall_now();
    for (int i = 0; i < n; i++) {
        struct scenario sc = *base;
        sc.seed = base->seed + (uint64_t)i;
        if (i > 0)
            sim_free(&s);
        if (sim_init(&s, &sc, err, sizeof err) < 0) {
            fprintf(stderr, "fastsim: %s\n", err);
            return 1;
        }
        sim_run_until(&s, sc.duration_ns);
        sim_report(&s, &r);
        rps[i] = r.throughput_rps, mean[i] = r.mean_us, p99[i] = r.p99_us;
        sum.throughput_rps += r.throughput_rps / n;
        sum.mean_us += r.mean_us / n;
        sum.p50_us += r.p50_us / n;
        sum.p99_us += r.p99_us / n;
        sum.mean_in_system += r.mean_in_system / n;
        sum.mean_serving += r.mean_serving / n;
        sum.mean_waiting += r.mean_waiting / n;
        sum.offered_rps += r.offered_rps / n;
        sum.in_system_end = r.in_system_end;
        sum.dropped += r.dropped;
        sum.offered += r.offered;
        /* A run that saturated a core is enough to call the load too much. */
        if (r.busiest_util > sum.busiest_util)
            sum.busiest_util = r.busiest_util;
        sum.completed += r.completed;
        sum.handoffs += r.handoffs;
        sum.cache_misses += r.cache_misses;
        sum.events += r.events;
        for (int c = 0; c < sc.cores && c < 256; c++) {
            util[c] = (i ? util[c] : 0) + sim_core_util(&s, c) / n;
            queue[c] = (i ? queue[c] : 0) + sim_core_queue(&s, c) / n;
        }
    }
    sum.sim_time_s = r.sim_time_s;
    struct report_ci ci = {.replications = n};
    if (n > 1) {
        ci.util = util;
        ci.queue = queue;
        double v[3] = {0};
        for (int i = 0; i < n; i++) {
            v[0] += pow(rps[i] - sum.throughput_rps, 2);
            v[1] += pow(mean[i] - sum.mean_us, 2);
            v[2] += pow(p99[i] - sum.p99_us, 2);
        }
        ci.rps_ci = report_ci95(sqrt(v[0] / (n - 1)), n);
        ci.mean_us_ci = report_ci95(sqrt(v[1] / (n - 1)), n);
        ci.p99_us_ci = report_ci95(sqrt(v[2] / (n - 1)), n);
    }
    report_sim(stdout, cli->report == REPORT_JSON, &s, n > 1 ? &sum : &r, &ci,
               wall_now() - t0);
    sim_free(&s);
    return 0;
}

static int save_png(struct view *v, const char *pattern, int frame)
{
    char name[4096], err[256];
    snprintf(name, sizeof name, pattern, frame);
    if (view_png(v, name, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        return -1;
    }
    return 0;
}

/* The model in a window, as headless frames, or run to its end and drawn
 * once (headless without --frames). */
static int run_sim_view(const struct scenario *sc, const struct cli *cli)
{
    char err[256];
    struct view *v =
        view_open(cli->width, cli->height, cli->headless, err, sizeof err);
    if (!v) {
        fprintf(stderr, "fastsim: %s\n", err);
        return 1;
    }
    struct play p;
    if (play_open(&p, sc, v, cli->speed, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        play_close(&p);
        view_close(v);
        return 1;
    }
    double t0 = wall_now(), last = t0;
    int rc = 0;
    bool every = cli->png && strchr(cli->png, '%');
    if (cli->headless && (!cli->frames || cli->at_ms > 0)) {
        /* Run to the end (or to --at), with every move completed. */
        play_run_to(&p, cli->frames ? (int64_t)(cli->at_ms * 1e6) : INT64_MAX);
    }
    for (int frame = 0; cli->frames || !cli->headless; frame++) {
        double dt = cli->headless ? 1.0 / 30 : wall_now() - last;
        last += dt;
        enum view_key k;
        while ((k = view_poll(v)) != KEY_NONE)
            play_key(&p, k);
        if (!p.running)
            break;
        play_frame(&p, dt);
        if (every && save_png(v, cli->png, frame) < 0)
            rc = 1;
        if (cli->frames && frame + 1 >= cli->frames)
            break;
    }
    if (cli->png && !every && save_png(v, cli->png, 0) < 0)
        rc = 1;
    if (cli->report != REPORT_NONE) {
        /* Measured to where the picture is (--at), as the HUD is. */
        struct sim m;
        if (!play_measured(&p, &m))
            fprintf(stderr,
                    "fastsim: the run stopped at %.3f ms, in the warm-up "
                    "(%.3f ms): the report measures after it, so nothing "
                    "yet (the window's figures are the warm-up's so far)\n",
                    (double)m.now / 1e6, (double)m.sc.warmup_ns / 1e6);
        struct sim_report r;
        sim_report(&m, &r);
        struct report_ci ci = {.replications = 1};
        report_sim(stdout, cli->report == REPORT_JSON, &m, &r, &ci,
                   wall_now() - t0);
    }
    play_close(&p);
    view_close(v);
    return rc;
}

int main(int argc, char **argv)
{
    struct scenario sc;
    scenario_defaults(&sc);
    struct cli cli = {.width = 1280, .height = 720, .replications = 1};
    int rc = cli_parse(argc, argv, &cli, &sc);
    if (rc)
        return rc == 1 ? 0 : rc;
    bool display = getenv("DISPLAY") || getenv("WAYLAND_DISPLAY");
    if ((cli.png || cli.frames) && !cli.headless && !display)
        cli.headless = true;
    if (cli.speed == 0) /* a scenario's own pace: see play_default_speed */
        cli.speed = cli.replay ? 0.01
                    : cli.live ? 1e-5
                               : play_default_speed(&sc);
    /* With no display SDL still opens a window on a fallback driver that
     * nobody sees, and a replay or a live view then runs until killed:
     * say so instead. SDL_VIDEODRIVER set means someone chose a driver
     * (the tests' dummy, a framebuffer), so the window is theirs. */
    bool window = !cli.headless && (cli.live || cli.report == REPORT_NONE);
    if (window && !display && !getenv("SDL_VIDEODRIVER")) {
        fprintf(stderr,
                "fastsim: no display (DISPLAY and WAYLAND_DISPLAY unset): "
                "use --headless with --png FILE or --report text\n");
        return 1;
    }
    if (cli.live)
        return live_run(&cli);
    if (cli.replay)
        return replay_run(&cli);
    /* A report with no picture asked for: run the model alone. */
    if (cli.report != REPORT_NONE && !cli.png && !cli.headless)
        return run_model(&sc, &cli);
    if (cli.replications > 1) {
        fprintf(stderr, "fastsim: --replications goes with --report\n");
        return 2;
    }
    return run_sim_view(&sc, &cli);
}
