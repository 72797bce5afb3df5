/*
 * Replay and live view. Both keep a time-ordered array of events and a
 * cursor: each frame plays the events whose time has come. A replay's
 * clock is the trace's time scaled by --speed; a live view's is the wall
 * clock LIVE_DELAY_S behind fastd, so that every thread's buffer has
 * arrived before its events are drawn.
 */
#include "simulator/replay.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simulator/hud.h"
#include "simulator/live.h"
#include "simulator/model/report.h"
#include "simulator/model/tally.h"
#include "simulator/model/tracefile.h"
#include "simulator/view/view.h"

#define LIVE_DELAY_S    0.25    /* behind fastd: its flushes come every 20 ms */
#define LIVE_MAX_EVENTS 1000000 /* waiting to be drawn; beyond: dropped */

struct player {
    struct view *view;
    struct trace tr;    /* header and events; live: a growing window */
    size_t next;        /* the next event to play */
    struct tally tally; /* figures so far */
    int64_t origin;     /* trace time of the first event */
    double pos;         /* trace seconds played */
    double speed;
    bool paused, help, laid_out;
    char narration[160], message[256], stats[256];
    double message_age;
    double *util;
    long long drops; /* live: lost by fastd and by us */
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void to_view(void *ctx, const struct fd_event *ev)
{
    struct player *p = ctx;
    view_event(p->view, ev);
    tally_event(&p->tally, ev);
}

/* Threads, cores and roles from the trace's header and its first events. */
static int lay_out(struct player *p, char *err, size_t errlen)
{
    const struct trace *tr = &p->tr;
    int n = tr->threads, cores = tr->cores > 0 ? tr->cores : 1;
    int *core = calloc((size_t)n, sizeof *core);
    enum view_role *role = calloc((size_t)n, sizeof *role);
    double *util = realloc(p->util, (size_t)cores * sizeof *util);
    if (util)
        p->util = util;
    tally_free(&p->tally);
    if (!core || !role || !util || tally_init(&p->tally, n) < 0) {
        free(core);
        free(role);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    bool staged = !strcmp(tr->arch, "staged");
    for (int t = 0; t < n; t++) {
        core[t] = t % cores;
        role[t] = staged ? VIEW_REQUEST : VIEW_BOTH;
    }
    for (size_t i = 0; i < tr->len && i < 100000; i++) {
        const struct fd_event *e = &tr->events[i];
        if (e->core >= 0 && e->core < cores)
            core[e->thread] = e->core; /* trust where it ran */
        if (staged && e->kind == FD_HANDOFF)
            role[e->thread] = VIEW_ACCEPT;
    }
    if (staged) { /* fastd numbers its accept threads first */
        bool any = false;
        for (int t = 0; t < n; t++)
            any |= role[t] == VIEW_ACCEPT;
        if (!any && n > 1)
            role[0] = VIEW_ACCEPT;
    }
    view_layout(p->view, n, cores, core, role);
    free(core);
    free(role);
    p->laid_out = true;
    return 0;
}

/* Play one event, with the ready events a wake-up implies. */
static void play_event(struct player *p, size_t i)
{
    const struct fd_event *ev = &p->tr.events[i];
    to_view(p, ev);
    trace_infer_ready(p->tr.events, p->tr.len, i, to_view, p);
    if (ev->kind == FD_DROP)
        p->drops += ev->arg;
    if (ev->kind != FD_WAKE && ev->kind != FD_DROP)
        hud_narrate(ev, p->narration, sizeof p->narration);
}

/* Play every event up to trace time pos (seconds from the first). */
static void play_until(struct player *p, double pos)
{
    while (p->next < p->tr.len &&
           (double)(p->tr.events[p->next].t_ns - p->origin) / 1e9 <= pos)
        play_event(p, p->next++);
}

static void say(struct player *p, const char *msg)
{
    snprintf(p->message, sizeof p->message, "%s", msg);
    p->message_age = 0;
}

/* Keys. Returns false on q. */
static bool handle_key(struct player *p, enum view_key k, bool live)
{
    char msg[64], err[256];
    static int shots;
    switch (k) {
    case KEY_QUIT:
        return false;
    case KEY_ESCAPE: /* the help first, then the window */
        if (!p->help)
            return false;
        p->help = false;
        break;
    case KEY_FOLLOW:
        view_follow_next(p->view);
        break;
    case KEY_CLICK: {
        int x, y;
        view_click(p->view, &x, &y);
        view_follow_at(p->view, x, y);
        break;
    }
    case KEY_PAUSE:
        p->paused = !p->paused;
        break;
    case KEY_STEP:
        p->paused = true;
        if (p->next < p->tr.len) {
            p->pos = (double)(p->tr.events[p->next].t_ns - p->origin) / 1e9;
            play_event(p, p->next++);
        }
        break;
    case KEY_SLOWER:
    case KEY_FASTER:
        if (live)
            say(p, "live: the speed is fastd's own (x1)");
        else if (k == KEY_FASTER && p->speed * 2 > 1e3)
            say(p, "fastest replay speed: x1000");
        else if (k == KEY_SLOWER && p->speed / 2 < 1e-9)
            say(p, "slowest replay speed: x1e-9");
        else
            p->speed *= k == KEY_FASTER ? 2 : 0.5;
        break;
    case KEY_HELP:
        p->help = !p->help;
        break;
    case KEY_SCREENSHOT:
        snprintf(msg, sizeof msg, "fastsim-%d.png", ++shots);
        if (view_png(p->view, msg, err, sizeof err) == 0) {
            printf("fastsim: saved %s\n", msg);
            snprintf(err, sizeof err, "saved %s", msg);
        }
        say(p, err);
        break;
    case KEY_NONE:
        break;
    default:
        say(p, "a trace is what happened: 1-4, up/down, +/- and r change "
               "the model only");
        break;
    }
    return true;
}

static void draw(struct player *p, const char *title, enum hud_mode mode,
                 double dt)
{
    struct hud h = {.title = title, .arch = p->tr.arch, .mode = mode};
    const struct tally *t = &p->tally;
    h.sim_s = p->next ? (double)(p->tr.events[p->next - 1].t_ns) / 1e9 : 0;
    h.speed = mode == HUD_LIVE ? 1 : p->speed;
    h.paused = p->paused, h.help = p->help;
    h.throughput_rps = tally_rps(t);
    h.p50_us = hist_quantile(&t->latency, 0.5) / 1e3;
    h.p99_us = hist_quantile(&t->latency, 0.99) / 1e3;
    h.completed = (unsigned long)t->answered;
    h.handoffs = (unsigned long)t->handoffs;
    h.drops = p->drops;
    int cores = p->tr.cores > 0 ? p->tr.cores : 1;
    for (int c = 0; c < cores; c++)
        p->util[c] = 0;
    int len = snprintf(p->stats, sizeof p->stats, "busy / ready list:");
    for (int i = 0; i < t->threads; i++) {
        double b = tally_busy(t, i);
        int c = i % cores;
        p->util[c] = fmin(1, p->util[c] + b);
        if (len < (int)sizeof p->stats - 32)
            len +=
                snprintf(p->stats + len, sizeof p->stats - (size_t)len,
                         "  t%d %.0f%% / %.1f", i, 100 * b, tally_queue(t, i));
    }
    h.util = p->util, h.cores = cores;
    h.stats = p->stats;
    h.narration = p->narration[0] ? p->narration : NULL;
    p->message_age += dt;
    if (p->message[0] && p->message_age < 4)
        h.message = p->message;
    view_sample(p->view, h.throughput_rps, h.p99_us);
    view_draw(p->view, &h, dt);
}

static int save(struct view *v, const char *path, int frame)
{
    char name[4096], err[256];
    snprintf(name, sizeof name, path, frame);
    if (view_png(v, name, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        return -1;
    }
    return 0;
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

static void tally_sink(void *ctx, const struct fd_event *ev)
{
    tally_event(ctx, ev);
}

static void report(const struct cli *cli, const char *name,
                   const struct trace *tr, const struct tally *t, double wall)
{
    if (cli->report != REPORT_NONE)
        report_trace(stdout, cli->report == REPORT_JSON, name, tr, t, wall);
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
        if (!p.view || lay_out(&p, err, sizeof err) < 0) {
            fprintf(stderr, "fastsim: %s\n", err);
            trace_free(&p.tr);
            view_close(p.view);
            return 1;
        }
    }
    if (picture && cli->headless && !cli->frames) {
        /* One picture, taken while the most fds are open: the moves of
         * the last few events are still under way in it. */
        size_t at = busiest(&p.tr), settled = at > 12 ? at - 12 : 0;
        while (p.next < settled)
            play_event(&p, p.next++);
        draw(&p, cli->replay, HUD_REPLAY, 10.0);
        while (p.next < at)
            play_event(&p, p.next++);
        draw(&p, cli->replay, HUD_REPLAY, 0.12);
        if (cli->png && save(p.view, cli->png, 0) < 0)
            rc = 1;
    } else if (picture) {
        double last = wall_now();
        for (int frame = 0;; frame++) {
            double dt = cli->headless ? 1.0 / 30 : wall_now() - last;
            last += dt;
            enum view_key k;
            bool on = true;
            while (on && (k = view_poll(p.view)) != KEY_NONE)
                on = handle_key(&p, k, false);
            if (!on)
                break;
            if (!p.paused)
                p.pos += dt * p.speed;
            play_until(&p, p.pos);
            draw(&p, cli->replay, HUD_REPLAY, dt);
            if (cli->frames && cli->png && strchr(cli->png, '%') &&
                save(p.view, cli->png, frame) < 0)
                rc = 1;
            if ((cli->frames && frame + 1 >= cli->frames) ||
                (!cli->frames && cli->png && p.next == p.tr.len))
                break;
        }
        if (cli->png && !strchr(cli->png, '%') && save(p.view, cli->png, 0))
            rc = 1;
    }
    /* The report counts the whole trace, whatever the picture showed. */
    struct tally all;
    if (tally_init(&all, p.tr.threads) == 0) {
        struct player q = {.tr = p.tr, .tally = all};
        for (size_t i = 0; i < p.tr.len; i++) {
            tally_event(&q.tally, &p.tr.events[i]);
            trace_infer_ready(p.tr.events, p.tr.len, i, tally_sink, &q.tally);
        }
        report(cli, cli->replay, &p.tr, &q.tally, wall_now() - t0);
        tally_free(&q.tally);
    }
    tally_free(&p.tally);
    free(p.util);
    trace_free(&p.tr);
    view_close(p.view);
    return rc;
}

/* ---- live ---------------------------------------------------------------- */

static volatile sig_atomic_t live_stop;

static void on_signal(int sig)
{
    (void)sig;
    live_stop = 1;
}

/* Room for n more events, dropping played ones first. */
static bool live_room(struct player *p, size_t n)
{
    struct trace *tr = &p->tr;
    if (p->next > 0 && tr->len + n > LIVE_MAX_EVENTS / 2) {
        memmove(tr->events, tr->events + p->next,
                (tr->len - p->next) * sizeof *tr->events);
        tr->len -= p->next;
        p->next = 0;
    }
    if (tr->len + n > LIVE_MAX_EVENTS)
        return false;
    static size_t cap;
    if (tr->len + n > cap || !tr->events) {
        size_t want = (tr->len + n) * 2 + 4096;
        struct fd_event *grown = realloc(tr->events, want * sizeof *grown);
        if (!grown)
            return false;
        tr->events = grown;
        cap = want;
    }
    return true;
}

/* Insert one datagram's events (in time order, one thread's) into the
 * unplayed part, keeping it in time order and ties in arrival order. */
static void live_insert(struct player *p, const struct fd_event *ev, size_t n)
{
    if (!live_room(p, n)) {
        p->drops += (long long)n;
        return;
    }
    struct trace *tr = &p->tr;
    for (size_t i = 0; i < n; i++) {
        size_t at = tr->len;
        while (at > p->next && tr->events[at - 1].t_ns > ev[i].t_ns)
            at--;
        memmove(tr->events + at + 1, tr->events + at,
                (tr->len - at) * sizeof *tr->events);
        tr->events[at] = ev[i];
        tr->len++;
    }
}

/* Parse one datagram: a header line, then events. */
static void live_datagram(struct player *p, char *text)
{
    static struct fd_event batch[4096];
    size_t n = 0;
    char *save = NULL, err[128];
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            struct trace head = {0};
            if (trace_parse_header(&head, line) == 0 &&
                (!p->laid_out || head.threads != p->tr.threads ||
                 head.cores != p->tr.cores)) {
                memcpy(p->tr.arch, head.arch, sizeof head.arch);
                p->tr.threads = head.threads, p->tr.cores = head.cores;
                p->tr.len = p->next = 0;
                lay_out(p, err, sizeof err);
            }
            continue;
        }
        struct fd_event ev;
        if (!p->laid_out ||
            trace_parse_line(line, p->tr.threads, &ev, err, sizeof err) < 0)
            continue; /* a stream is not a file: skip what does not parse */
        if (n == sizeof batch / sizeof *batch) {
            live_insert(p, batch, n);
            n = 0;
        }
        batch[n++] = ev;
    }
    live_insert(p, batch, n);
}

int live_run(const struct cli *cli)
{
    char err[512];
    static char buf[1 << 17];
    struct live l;
    struct player p = {.speed = 1};
    if (live_open(&l, cli->live, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        return 1;
    }
    p.view = view_open(cli->width, cli->height, cli->headless, err, sizeof err);
    if (!p.view) {
        fprintf(stderr, "fastsim: %s\n", err);
        live_close(&l);
        return 1;
    }
    snprintf(p.tr.arch, sizeof p.tr.arch, "?");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fprintf(stderr, "fastsim: waiting for fastd --trace unix:%s\n", cli->live);
    double start = wall_now(), last = start, wall0 = 0;
    int frame = 0, rc = 0;
    bool on = true;
    while (on && !live_stop) {
        double now = wall_now(), dt = now - last;
        last = now;
        long n;
        while ((n = live_read(&l, buf, sizeof buf)) > 0)
            live_datagram(&p, buf);
        if (n < 0)
            break;
        enum view_key k;
        while (on && (k = view_poll(p.view)) != KEY_NONE)
            on = handle_key(&p, k, true);
        if (p.laid_out && p.tr.len > 0 && wall0 == 0) {
            wall0 = now; /* fastd's clock starts here, LIVE_DELAY_S behind */
            p.origin = p.tr.events[p.next].t_ns;
        }
        if (wall0 > 0 && !p.paused)
            play_until(&p, now - wall0 - LIVE_DELAY_S);
        if (p.laid_out)
            draw(&p, cli->live, HUD_LIVE, dt);
        if (cli->frames && cli->png && strchr(cli->png, '%') && p.laid_out &&
            save(p.view, cli->png, frame) < 0)
            rc = 1;
        frame++;
        if ((cli->seconds > 0 && now - start >= cli->seconds) ||
            (cli->frames && frame >= cli->frames))
            break;
        struct timespec tick = {0, 1000000000L / 60}; /* ~60 frames/s */
        nanosleep(&tick, NULL);
    }
    play_until(&p, 1e18); /* what arrived counts in the report */
    if (cli->png && !strchr(cli->png, '%') && p.laid_out &&
        save(p.view, cli->png, 0) < 0)
        rc = 1;
    report(cli, cli->live, &p.tr, &p.tally, wall_now() - start);
    tally_free(&p.tally);
    free(p.util);
    trace_free(&p.tr);
    view_close(p.view);
    live_close(&l);
    return rc;
}
