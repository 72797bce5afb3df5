#include "simulator/play.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulator/hud.h"

static void on_event(void *ctx, const struct fd_event *ev)
{
    struct play *p = ctx;
    view_event(p->view, ev);
    tally_event(&p->so_far, ev);
    p->emitted++;
    if (ev->kind != FD_WAKE && ev->kind != FD_DROP)
        hud_narrate(ev, p->narration, sizeof p->narration);
}

static int build(struct play *p, char *err, size_t errlen)
{
    if (scenario_check(&p->sc, err, errlen) < 0 ||
        sim_init(&p->sim, &p->sc, err, errlen) < 0)
        return -1;
    int n = p->sim.nthreads, c = p->sc.cores;
    double *util = realloc(p->util, (size_t)c * sizeof *util);
    int *backlog = realloc(p->backlog, (size_t)n * sizeof *backlog);
    if (util)
        p->util = util;
    if (backlog)
        p->backlog = backlog;
    tally_free(&p->so_far);
    if (!util || !backlog || tally_init(&p->so_far, n) < 0) {
        sim_free(&p->sim);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    view_clear(p->view);
    hud_layout_sim(p->view, &p->sim);
    sim_set_emitter(&p->sim, on_event, p);
    p->narration[0] = 0;
    p->ended = false;
    return 0;
}

int play_open(struct play *p, const struct scenario *sc, struct view *v,
              double speed, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->sc = *sc;
    p->view = v;
    p->speed = speed;
    p->running = true;
    return build(p, err, errlen);
}

static void say(struct play *p, const char *msg)
{
    snprintf(p->message, sizeof p->message, "%s", msg);
    p->message_age = 0;
}

/* The fewest cores an architecture runs on with this scenario. */
static int min_cores(const struct scenario *sc)
{
    return sc->arch == SIM_STAGED && !sc->threads ? sc->accept_threads + 1 : 1;
}

/* Rebuild the model with next; on failure keep the old one and say why. */
static void rebuild(struct play *p, const struct scenario *next)
{
    struct scenario old = p->sc;
    char err[256];
    p->sc = *next;
    if (p->sc.arch == SIM_STAGED && p->sc.threads &&
        p->sc.threads <= p->sc.accept_threads)
        p->sc.threads = 0; /* one thread per core again */
    sim_free(&p->sim);
    if (build(p, err, sizeof err) == 0)
        return;
    say(p, err);
    p->sc = old;
    if (build(p, err, sizeof err) < 0) { /* cannot happen: it ran before */
        fprintf(stderr, "fastsim: %s\n", err);
        abort();
    }
}

static void step_one(struct play *p)
{
    unsigned long before = p->emitted;
    for (int i = 0; i < 100000 && p->emitted == before; i++)
        if (!sim_step(&p->sim)) {
            p->ended = true;
            break;
        }
}

void play_key(struct play *p, enum view_key k)
{
    struct scenario next = p->sc;
    char msg[256];
    switch (k) {
    case KEY_QUIT:
        p->running = false;
        return;
    case KEY_PAUSE:
        p->paused = !p->paused;
        return;
    case KEY_STEP:
        p->paused = true;
        step_one(p);
        return;
    case KEY_SLOWER:
        if (p->speed / 2 < 1e-9)
            say(p, "slowest speed: x1e-9");
        else
            p->speed /= 2;
        return;
    case KEY_FASTER:
        if (p->speed * 2 > 10)
            say(p, "fastest speed: x10 (10 simulated s per second)");
        else
            p->speed *= 2;
        return;
    case KEY_ARCH1:
    case KEY_ARCH2:
    case KEY_ARCH3:
    case KEY_ARCH4:
        next.arch = (enum sim_arch)(k - KEY_ARCH1);
        if (next.cores < min_cores(&next)) {
            snprintf(msg, sizeof msg, "%s needs at least %d cores: using %d",
                     sim_arch_name(next.arch), min_cores(&next),
                     min_cores(&next));
            next.cores = min_cores(&next);
            rebuild(p, &next);
            say(p, msg);
            return;
        }
        break;
    case KEY_MORE_CORES:
        if (next.cores >= 256) {
            say(p, "the model has at most 256 cores");
            return;
        }
        next.cores++;
        break;
    case KEY_FEWER_CORES:
        if (next.cores <= min_cores(&next)) {
            snprintf(msg, sizeof msg, "%s needs at least %d core%s",
                     sim_arch_name(next.arch), min_cores(&next),
                     min_cores(&next) > 1 ? "s" : "");
            say(p, msg);
            return;
        }
        next.cores--;
        break;
    case KEY_MORE_CLIENTS:
        if (next.open_loop) {
            say(p, "open-loop load: arrivals have a rate, not a client count");
            return;
        }
        if (next.clients >= PLAY_MAX_CLIENTS) {
            say(p, "clients are capped at 1,000,000");
            return;
        }
        next.clients = next.clients * 2 > PLAY_MAX_CLIENTS ? PLAY_MAX_CLIENTS
                                                           : next.clients * 2;
        break;
    case KEY_FEWER_CLIENTS:
        if (next.open_loop) {
            say(p, "open-loop load: arrivals have a rate, not a client count");
            return;
        }
        if (next.clients <= 1) {
            say(p, "at least one client");
            return;
        }
        next.clients /= 2;
        break;
    case KEY_RESET:
        break;
    case KEY_SCREENSHOT: {
        char name[64], err[200];
        snprintf(name, sizeof name, "fastsim-%d.png", ++p->shots);
        if (view_png(p->view, name, err, sizeof err) == 0)
            snprintf(msg, sizeof msg, "saved %s", name);
        else
            snprintf(msg, sizeof msg, "%s", err);
        say(p, msg);
        printf("fastsim: %s\n", msg);
        return;
    }
    case KEY_HELP:
        p->help = !p->help;
        return;
    case KEY_FLOW: /* flow view (flow.h) */
        view_flow_toggle(p->view);
        return;
    default:
        return;
    }
    rebuild(p, &next);
}

/* Run the model to `until`, at most PLAY_EVENTS_PER_FRAME events. */
static void advance(struct play *p, int64_t until)
{
    struct sim *s = &p->sim;
    for (int i = 0; i < PLAY_EVENTS_PER_FRAME; i++) {
        if (s->events.len == 0 || s->events.items[0].time > s->sc.duration_ns) {
            sim_run_until(s, until); /* the end: settles s->now */
            p->ended = true;
            return;
        }
        if (s->events.items[0].time > until) {
            s->now = until > s->now ? until : s->now;
            return;
        }
        sim_step(s);
    }
    say(p, "the model runs behind the clock at this speed (<- slows down)");
}

void play_frame(struct play *p, double dt)
{
    if (!p->paused && !p->ended)
        advance(p, p->sim.now + (int64_t)(dt * p->speed * 1e9));
    if (p->ended)
        p->paused = true; /* the end: keep showing the last state */
    struct hud h = {0};
    hud_from_sim(&p->sim, &p->so_far, &h, p->util, p->backlog);
    h.speed = p->speed, h.paused = p->paused, h.help = p->help;
    h.narration = p->narration[0] ? p->narration : NULL;
    p->message_age += dt;
    if (p->message[0] && p->message_age < 4)
        h.message = p->message;
    view_sample(p->view, h.throughput_rps, h.p99_us);
    view_draw(p->view, &h, dt);
}

void play_close(struct play *p)
{
    sim_free(&p->sim);
    tally_free(&p->so_far);
    free(p->util);
    free(p->backlog);
    p->util = NULL, p->backlog = NULL;
}
