/*
 * fastsim - the course's simulator: a discrete-event model of the staged
 * server and its rivals, an SDL2 view that animates fds moving between
 * cores, and replay of traces recorded by fastd.
 *
 * Where to start reading:
 *   model/sim.h       the model: cores, threads, queues, costs
 *   model/sim.c       its engine, and how each architecture places work
 *   model/policy.c    hand-off policies (add yours: exercise 09)
 *   model/scenario.c  the INI scenarios
 *   view/view.c       drawing, from a stream of fd events
 *   main.c            this file: the command line and the frame loop
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simulator/model/report.h"
#include "simulator/model/scenario.h"
#include "simulator/model/sim.h"
#include "simulator/model/tracefile.h"
#include "simulator/view/view.h"

static const char usage[] =
    "usage: fastsim [SCENARIO.ini] [options]\n"
    "  --arch A          staged | shared-nothing | single | pool\n"
    "  --cores N         CPUs in the model\n"
    "  --clients N       closed-loop clients\n"
    "  --seed S          PRNG seed (same seed, same run)\n"
    "  --duration MS     simulated milliseconds\n"
    "  --replications N  run N seeds, report means and 95% intervals\n"
    "  --replay TRACE    play an fdtrace file recorded by fastd --trace\n"
    "  --headless        no window: render off-screen (with --png)\n"
    "  --png FILE        save the last frame as a PNG\n"
    "  --size WxH        window or picture size (default 1280x720)\n"
    "  --report text|json  print what was measured\n"
    "  --speed X         simulated seconds per wall second (window)\n"
    "Keys: space pause, . step, left/right speed, 1-4 architecture,\n"
    "      up/down cores, +/- clients, r reset, s screenshot, h help, q quit\n";

struct cli {
    const char *scenario, *replay, *png;
    enum { REPORT_NONE, REPORT_TEXT, REPORT_JSON } report;
    bool headless;
    double speed;
    int width, height, replications;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "fastsim: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, " (see --help)\n");
    return 2;
}

/* Parse the command line into cli and overrides into sc. */
static int parse_cli(int argc, char **argv, struct cli *cli,
                     struct scenario *sc)
{
    static const struct option longopts[] = {
        {"arch", required_argument, NULL, 'a'},
        {"cores", required_argument, NULL, 'c'},
        {"clients", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'},
        {"replications", required_argument, NULL, 'R'},
        {"replay", required_argument, NULL, 'r'},
        {"headless", no_argument, NULL, 'H'},
        {"png", required_argument, NULL, 'p'},
        {"size", required_argument, NULL, 'S'},
        {"report", required_argument, NULL, 'o'},
        {"speed", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    /* Overrides are applied after the scenario file is read. */
    const char *over[8][3];
    int nover = 0, c, idx = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, &idx)) != -1) {
        char *end;
        switch (c) {
        case 'a':
            over[nover][0] = "scenario", over[nover][1] = "arch";
            over[nover++][2] = optarg;
            break;
        case 'c':
            over[nover][0] = "scenario", over[nover][1] = "cores";
            over[nover++][2] = optarg;
            break;
        case 'n':
            over[nover][0] = "load", over[nover][1] = "clients";
            over[nover++][2] = optarg;
            break;
        case 's':
            over[nover][0] = "scenario", over[nover][1] = "seed";
            over[nover++][2] = optarg;
            break;
        case 'd':
            over[nover][0] = "scenario", over[nover][1] = "duration_ms";
            over[nover++][2] = optarg;
            break;
        case 'R': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1000)
                return usage_error("bad value '%s' for --%s", optarg,
                                   "replications");
            cli->replications = (int)v;
            break;
        }
        case 'r':
            cli->replay = optarg;
            break;
        case 'H':
            cli->headless = true;
            break;
        case 'p':
            cli->png = optarg;
            break;
        case 'S':
            if (sscanf(optarg, "%dx%d", &cli->width, &cli->height) != 2 ||
                cli->width < 320 || cli->height < 240 || cli->width > 7680 ||
                cli->height > 4320)
                return usage_error("bad value '%s' for --%s (WxH, from "
                                   "320x240)",
                                   optarg, "size");
            break;
        case 'o':
            if (!strcmp(optarg, "text"))
                cli->report = REPORT_TEXT;
            else if (!strcmp(optarg, "json"))
                cli->report = REPORT_JSON;
            else
                return usage_error("bad value '%s' for --%s (text or json)",
                                   optarg, "report");
            break;
        case 'x':
            cli->speed = strtod(optarg, &end);
            if (*end || !(cli->speed > 0) || cli->speed > 1e6)
                return usage_error("bad value '%s' for --%s", optarg, "speed");
            break;
        case 'h':
            fputs(usage, stdout);
            return 1;
        case ':':
            return usage_error("%s needs a value%s", argv[optind - 1], "");
        default:
            return usage_error("unknown option '%s'%s", argv[optind - 1], "");
        }
        if (nover == 8) /* a flag repeated many times: the last wins */
            nover = 7;
    }
    if (optind < argc)
        cli->scenario = argv[optind++];
    if (optind < argc)
        return usage_error("unexpected argument '%s'%s", argv[optind], "");
    char err[512];
    if (cli->scenario && scenario_load(sc, cli->scenario, err, sizeof err)) {
        fprintf(stderr, "fastsim: %s\n", err);
        return 2;
    }
    for (int i = 0; i < nover; i++)
        if (scenario_set(sc, over[i][0], over[i][1], over[i][2], err,
                         sizeof err) < 0) {
            fprintf(stderr, "fastsim: --%s\n", err);
            return 2;
        }
    /* A --duration shorter than the scenario's warm-up: keep a tenth. */
    for (int i = 0; i < nover; i++)
        if (!strcmp(over[i][1], "duration_ms") &&
            sc->warmup_ns >= sc->duration_ns)
            sc->warmup_ns = sc->duration_ns / 10;
    if (scenario_check(sc, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        return 2;
    }
    return 0;
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

static void feed_view(void *ctx, const struct fd_event *ev)
{
    view_event(ctx, ev);
}

static const char *role_label(enum sim_role role)
{
    static const char *const labels[] = {"accept", "request", "accept+serve",
                                         "event loop", "pool worker"};
    return labels[role];
}

static void layout_sim(struct view *v, const struct sim *s)
{
    int core[1024];
    const char *label[1024];
    int n = s->nthreads < 1024 ? s->nthreads : 1024;
    for (int t = 0; t < n; t++) {
        core[t] = s->threads[t].core;
        label[t] = role_label(s->threads[t].role);
    }
    view_layout(v, n, s->sc.cores, core, label);
}

static void hud_from_sim(const struct sim *s, struct hud *h, double *util)
{
    struct sim_report r;
    sim_report(s, &r);
    double measured_s = (double)(s->now - s->sc.warmup_ns) / 1e9;
    h->title = s->sc.name;
    h->arch = sim_arch_name(s->sc.arch);
    h->sim_s = (double)s->now / 1e9;
    h->throughput_rps = measured_s > 0 ? (double)s->completed / measured_s : 0;
    h->p50_us = r.p50_us;
    h->p99_us = r.p99_us;
    h->handoffs = (unsigned long)s->handoffs;
    h->cache_misses = (unsigned long)s->cache_misses;
    h->clients = s->sc.open_loop ? 0 : s->sc.clients;
    h->cores = s->sc.cores < 64 ? s->sc.cores : 64;
    for (int c = 0; c < h->cores; c++) {
        double u = s->now > s->sc.warmup_ns ? sim_core_util(s, c) : 0;
        util[c] =
            u * (double)(s->sc.duration_ns - s->sc.warmup_ns) /
            (double)(s->now > s->sc.warmup_ns ? s->now - s->sc.warmup_ns : 1);
    }
    h->util = util;
}

static int save_png(struct view *v, const char *path)
{
    char err[256];
    if (view_png(v, path, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        return -1;
    }
    return 0;
}

/* Animate the model (window) or render it once it has run (headless). */
static int run_sim_view(struct scenario *sc, const struct cli *cli)
{
    char err[256];
    struct view *v =
        view_open(cli->width, cli->height, cli->headless, err, sizeof err);
    if (!v) {
        fprintf(stderr, "fastsim: %s\n", err);
        return 1;
    }
    struct sim s;
    if (sim_init(&s, sc, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        view_close(v);
        return 1;
    }
    layout_sim(v, &s);
    sim_set_emitter(&s, feed_view, v);
    double util[64], t0 = wall_now(), speed = cli->speed, last = t0;
    struct hud h = {.speed = speed};
    bool paused = false, help = false, running = true;
    int shots = 0;
    if (cli->headless) {
        /* Run to the end, sampling the plot every simulated 10 ms. */
        for (int64_t t = 0; sim_run_until(&s, t); t += 10000000) {
            hud_from_sim(&s, &h, util);
            view_sample(v, h.throughput_rps, h.p99_us);
        }
        hud_from_sim(&s, &h, util);
        h.speed = speed;
        view_draw(v, &h, 10.0);
        running = false;
    }
    while (running) {
        double now = wall_now(), dt = now - last;
        last = now;
        enum view_key k;
        while ((k = view_poll(v)) != KEY_NONE) {
            bool rebuild = false;
            switch (k) {
            case KEY_QUIT:
                running = false;
                break;
            case KEY_PAUSE:
                paused = !paused;
                break;
            case KEY_STEP:
                paused = true, sim_step(&s);
                break;
            case KEY_SLOWER:
                speed /= 2;
                break;
            case KEY_FASTER:
                speed *= 2;
                break;
            case KEY_ARCH1:
            case KEY_ARCH2:
            case KEY_ARCH3:
            case KEY_ARCH4:
                sc->arch = (enum sim_arch)(k - KEY_ARCH1);
                rebuild = true;
                break;
            case KEY_MORE_CORES:
                sc->cores++, rebuild = true;
                break;
            case KEY_FEWER_CORES:
                if (sc->cores > 1)
                    sc->cores--, rebuild = true;
                break;
            case KEY_MORE_CLIENTS:
                sc->clients *= 2, rebuild = true;
                break;
            case KEY_FEWER_CLIENTS:
                if (sc->clients > 1)
                    sc->clients /= 2, rebuild = true;
                break;
            case KEY_RESET:
                rebuild = true;
                break;
            case KEY_SCREENSHOT: {
                char name[64];
                snprintf(name, sizeof name, "fastsim-%d.png", ++shots);
                if (save_png(v, name) == 0)
                    printf("fastsim: saved %s\n", name);
                break;
            }
            case KEY_HELP:
                help = !help;
                break;
            default:
                break;
            }
            if (rebuild) {
                if (sc->arch == SIM_STAGED && sc->threads &&
                    sc->threads <= sc->accept_threads)
                    sc->threads = 0;
                sim_free(&s);
                if (scenario_check(sc, err, sizeof err) < 0 ||
                    sim_init(&s, sc, err, sizeof err) < 0) {
                    fprintf(stderr, "fastsim: %s\n", err);
                    view_close(v);
                    return 1;
                }
                view_clear(v);
                layout_sim(v, &s);
                sim_set_emitter(&s, feed_view, v);
            }
        }
        if (!paused && !sim_run_until(&s, s.now + (int64_t)(dt * speed * 1e9)))
            paused = true; /* the end: keep showing the last state */
        hud_from_sim(&s, &h, util);
        h.speed = speed, h.paused = paused, h.help = help;
        view_sample(v, h.throughput_rps, h.p99_us);
        view_draw(v, &h, dt);
        if (cli->png && (!running || wall_now() - t0 > 3600))
            break;
    }
    int rc = 0;
    if (cli->png && save_png(v, cli->png) < 0)
        rc = 1;
    if (cli->report != REPORT_NONE) {
        struct sim_report r;
        sim_report(&s, &r);
        struct report_ci ci = {.replications = 1};
        report_sim(stdout, cli->report == REPORT_JSON, &s, &r, &ci,
                   wall_now() - t0);
    }
    sim_free(&s);
    view_close(v);
    return rc;
}

/* Play a trace: all of it at once when headless, in real time scaled by
 * --speed in a window. */
static int run_replay(const struct cli *cli)
{
    char err[512];
    struct trace tr;
    double t0 = wall_now();
    if (trace_load(&tr, cli->replay, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (cli->headless || cli->png || cli->report == REPORT_NONE) {
        struct view *v =
            view_open(cli->width, cli->height, cli->headless, err, sizeof err);
        if (!v) {
            fprintf(stderr, "fastsim: %s\n", err);
            trace_free(&tr);
            return 1;
        }
        int core[1024];
        const char *label[1024];
        int n = tr.threads < 1024 ? tr.threads : 1024;
        bool staged = !strcmp(tr.arch, "staged");
        for (int t = 0; t < n; t++) {
            core[t] = t % (tr.cores > 0 ? tr.cores : 1);
            label[t] =
                staged ? (t == 0 ? "accept" : "request") : "accept+serve";
        }
        for (size_t i = 0; i < tr.len; i++) /* trust what the trace says */
            if (tr.events[i].thread < n && tr.events[i].core >= 0 &&
                tr.events[i].core < tr.cores)
                core[tr.events[i].thread] = tr.events[i].core;
        view_layout(v, n, tr.cores > 0 ? tr.cores : 1, core, label);
        struct hud h = {.title = cli->replay, .arch = tr.arch};
        double speed = cli->speed, last = wall_now(), pos = 0;
        size_t next = 0;
        int64_t origin = tr.len ? tr.events[0].t_ns : 0;
        bool paused = false, help = false;
        unsigned long handoffs = 0;
        for (;;) {
            double now = wall_now(), dt = now - last;
            last = now;
            enum view_key k = KEY_NONE;
            while (!cli->headless && (k = view_poll(v)) != KEY_NONE &&
                   k != KEY_QUIT) {
                if (k == KEY_PAUSE)
                    paused = !paused;
                else if (k == KEY_SLOWER)
                    speed /= 2;
                else if (k == KEY_FASTER)
                    speed *= 2;
                else if (k == KEY_HELP)
                    help = !help;
                else if (k == KEY_STEP && next < tr.len)
                    paused = true,
                    pos = (double)(tr.events[next].t_ns - origin) / 1e9;
            }
            if (k == KEY_QUIT)
                break;
            if (cli->headless)
                pos = 1e18;
            else if (!paused)
                pos += dt * speed;
            while (next < tr.len &&
                   (double)(tr.events[next].t_ns - origin) / 1e9 <= pos) {
                handoffs += tr.events[next].kind == FD_HANDOFF;
                view_event(v, &tr.events[next++]);
            }
            h.sim_s =
                next ? (double)(tr.events[next - 1].t_ns - origin) / 1e9 : 0;
            h.speed = speed, h.paused = paused, h.help = help;
            h.handoffs = handoffs;
            view_draw(v, &h, cli->headless ? 10.0 : dt);
            if (cli->headless || (cli->png && next == tr.len))
                break;
        }
        if (cli->png && save_png(v, cli->png) < 0)
            rc = 1;
        view_close(v);
    }
    if (cli->report != REPORT_NONE)
        report_trace(stdout, cli->report == REPORT_JSON, cli->replay, &tr,
                     wall_now() - t0);
    trace_free(&tr);
    return rc;
}

int main(int argc, char **argv)
{
    struct scenario sc;
    scenario_defaults(&sc);
    struct cli cli = {.width = 1280, .height = 720, .replications = 1};
    int rc = parse_cli(argc, argv, &cli, &sc);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (cli.png && !cli.headless && !getenv("DISPLAY") &&
        !getenv("WAYLAND_DISPLAY"))
        cli.headless = true;
    if (cli.speed == 0)
        cli.speed = cli.replay ? 0.01 : 0.001;
    if (cli.replay)
        return run_replay(&cli);
    /* A report with no picture asked for: run the model alone. */
    if (cli.report != REPORT_NONE && !cli.png && !cli.headless)
        return run_model(&sc, &cli);
    if (cli.replications > 1) {
        fprintf(stderr, "fastsim: --replications goes with --report\n");
        return 2;
    }
    if (!cli.headless && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) {
        fprintf(stderr, "fastsim: no display; use --headless --png FILE "
                        "or --report text\n");
        return 1;
    }
    return run_sim_view(&sc, &cli);
}
