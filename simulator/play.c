#include "simulator/play.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulator/hud.h"

#define TOUR_HOLD_S   2.5 /* wall s the tour holds each hop: one line */
#define FOLLOW_HOLD_S 1.0 /* the same for a connection followed by hand */
#define TOUR_GLIDE_S                                                           \
    1.2 /* wall s each of its moves takes in the tour: the                     \
         * hand-off's flight lasted 0.3 s, a blink */

/* The model emitted an event: keep it until it is its turn on screen. */
static void on_event(void *ctx, const struct fd_event *ev)
{
    struct play *p = ctx;
    if (ev->kind != FD_ARRIVE) /* fastd's traces have none: same figures */
        tally_event(&p->so_far, ev);
    p->emitted++;
    if (p->buf_len == p->buf_cap) {
        int n = p->buf_cap ? p->buf_cap * 2 : 1024;
        struct fd_event *grown = malloc((size_t)n * sizeof *grown);
        if (!grown) { /* cannot keep it: show it now */
            view_event(p->view, ev);
            return;
        }
        for (int i = 0; i < p->buf_len; i++)
            grown[i] = p->buf[(p->buf_head + i) & (p->buf_cap - 1)];
        free(p->buf);
        p->buf = grown, p->buf_cap = n, p->buf_head = 0;
    }
    p->buf[(p->buf_head + p->buf_len++) & (p->buf_cap - 1)] = *ev;
}

double play_default_speed(const struct scenario *sc)
{
    if (sc->speed > 0)
        return sc->speed;
    double s = (double)sc->warmup_ns / 1e9 / 8; /* the warm-up in 8 s */
    if (s <= 0)
        s = (double)sc->duration_ns / 1e9 / 30;
    return s < 1e-9 ? 1e-9 : s > 10 ? 10 : s;
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
    view_expect(p->view, p->sc.open_loop ? 0 : p->sc.clients);
    view_set_narrator(p->view,
                      p->sc.arch == SIM_POOL ? hud_narrate_pool : hud_narrate);
    hud_layout_sim(p->view, &p->sim);
    sim_set_emitter(&p->sim, on_event, p);
    p->narration[0] = 0;
    p->ended = false;
    p->buf_len = p->buf_head = 0;
    p->shown_ns = 0;
    p->hold = 0;
    p->card = false;
    p->hold_s = p->sc.tour ? TOUR_HOLD_S : FOLLOW_HOLD_S;
    view_set_follow_glide(p->view, p->sc.tour ? TOUR_GLIDE_S : 0);
    if (p->sc.tour)
        view_follow_next(p->view);
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

/* Rebuild the model with next; on failure keep the old one and say why.
 * A connection followed before goes with its model; the new one's next
 * is followed instead (f then 2 dropped the panel, and the line still
 * said "following the next connection"): that is what the tour's card
 * promises of its 2, the same life on another arch. */
static void rebuild(struct play *p, const struct scenario *next)
{
    struct scenario old = p->sc;
    char err[256];
    bool following = view_following(p->view);
    p->sc = *next;
    if (p->sc.arch == SIM_STAGED && p->sc.threads &&
        p->sc.threads <= p->sc.accept_threads)
        p->sc.threads = 0; /* one thread per core again */
    sim_free(&p->sim);
    if (build(p, err, sizeof err) < 0) {
        say(p, err);
        p->sc = old;
        if (build(p, err, sizeof err) < 0) { /* cannot: it ran before */
            fprintf(stderr, "fastsim: %s\n", err);
            abort();
        }
    }
    if (following && !view_following(p->view))
        view_follow_next(p->view);
}

/* What play_until stops at. */
enum stop_at {
    STOP_TIME,     /* the model's time passes `until` */
    STOP_FOLLOWED, /* ... or an event moves the followed connection */
    STOP_VISIBLE,  /* ... or any event that moves a square */
};

/* Show buffered events in order, running the model for more when the
 * buffer is empty, until `stop` says so or PLAY_EVENTS_PER_FRAME events
 * were shown. \return true if it stopped at an event. */
static bool play_until(struct play *p, int64_t until, enum stop_at stop)
{
    struct sim *s = &p->sim;
    for (int i = 0; i < PLAY_EVENTS_PER_FRAME; i++) {
        if (p->buf_len == 0) {
            if (s->events.len == 0 ||
                s->events.items[0].time > s->sc.duration_ns) {
                sim_run_until(s, until); /* the end: settles s->now */
                p->ended = true;
                return false;
            }
            if (s->events.items[0].time > until) {
                s->now = until > s->now ? until : s->now;
                return false;
            }
            sim_step(s);
            continue;
        }
        struct fd_event ev = p->buf[p->buf_head];
        if (stop == STOP_FOLLOWED && ev.t_ns > until)
            return false; /* its time has not come */
        p->buf_head = (p->buf_head + 1) & (p->buf_cap - 1);
        p->buf_len--;
        p->shown_ns = ev.t_ns;
        bool fol = view_event(p->view, &ev);
        if (fol && stop != STOP_TIME)
            return true;
        if (stop == STOP_VISIBLE && ev.kind != FD_WAKE && ev.kind != FD_DROP &&
            ev.kind != FD_WASTED)
            return true;
    }
    say(p, "the model runs behind the clock at this speed (<- slows down)");
    return false;
}

/* `.`: one hop of the followed connection, or one event that moves a
 * square; the model runs as far as it takes. */
static void step_one(struct play *p)
{
    bool fol = view_following(p->view) && !view_follow_done(p->view);
    play_until(p, p->sc.duration_ns, fol ? STOP_FOLLOWED : STOP_VISIBLE);
    p->hold = 0;
}

static void set_speed(struct play *p, double want)
{
    char msg[96];
    if (want < 1e-9 || want > 10) {
        double lim = want < 1e-9 ? 1e-9 : 10;
        if (p->speed != lim) {
            p->speed = lim;
            return;
        }
        snprintf(msg, sizeof msg, "%s speed: x%g%s",
                 lim < 1 ? "slowest" : "fastest", lim,
                 lim < 1 ? "" : " (10 simulated s per second)");
        say(p, msg);
        return;
    }
    p->speed = want;
}

void play_key(struct play *p, enum view_key k)
{
    struct scenario next = p->sc;
    char msg[256];
    switch (k) {
    case KEY_QUIT:
        p->running = false;
        return;
    case KEY_ESCAPE: /* closes what is open first */
        if (p->help)
            p->help = false;
        else if (p->card)
            p->card = false;
        else
            p->running = false;
        return;
    case KEY_PAUSE:
        if (p->card) { /* the tour is over: run on freely */
            p->card = false;
            view_follow_stop(p->view);
            p->paused = false;
            return;
        }
        p->paused = !p->paused;
        return;
    case KEY_STEP:
        p->paused = true;
        p->card = false;
        step_one(p);
        return;
    case KEY_FOLLOW:
        p->card = false;
        view_follow_next(p->view);
        p->hold = 0;
        say(p, "following the next connection to arrive (. steps hop by "
               "hop)");
        return;
    case KEY_CLICK: {
        int x, y;
        view_click(p->view, &x, &y);
        if (view_follow_at(p->view, x, y)) {
            p->hold = 0;
            p->card = false;
        }
        return;
    }
    case KEY_SLOWER:
        set_speed(p, p->speed / 2);
        return;
    case KEY_FASTER:
        set_speed(p, p->speed * 2);
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
        if (!view_flow_toggle(p->view))
            say(p, VIEW_FLOWS_NO_ROOM);
        return;
    default:
        return;
    }
    rebuild(p, &next);
}

/* The tour's last card: what was seen, what to try next. */
static void tour_card(struct play *p)
{
    snprintf(p->card_text, sizeof p->card_text,
             "The tour is over: you followed fd %d from start to end.\n"
             "It waited in the accept thread's queue (no fd yet), was\n"
             "accepted (accept4 gave it its fd), and handed to a request\n"
             "thread with epoll_ctl(ADD) on that thread's own epoll fd.\n"
             "There it waited in the ready list, ran on the CPU, rested\n"
             "in the interest set between requests, and was closed.\n"
             "Try next:  f  follows another connection (. steps its hops)\n"
             "           2  shared-nothing: the same life, no hand-off\n"
             "           space  runs on freely;  h  every key;  q  quits",
             view_follow_fd(p->view));
    p->card = true;
    p->paused = true;
}

void play_frame(struct play *p, double dt)
{
    struct view *v = p->view;
    bool fol = view_following(v) && !view_follow_done(v);
    if (!p->paused && !p->card && !(p->ended && p->buf_len == 0)) {
        if (fol && !view_follow_settled(v)) {
            /* its move is playing: the model waits */
        } else if (fol && p->hold > 0) {
            p->hold -= dt;
        } else {
            int64_t from = p->buf_len ? p->shown_ns : p->sim.now;
            int64_t until = from + (int64_t)(dt * p->speed * 1e9);
            if (play_until(p, until, fol ? STOP_FOLLOWED : STOP_TIME))
                p->hold = p->hold_s;
        }
    }
    if (p->sc.tour && !p->card && view_follow_done(v) &&
        view_follow_settled(v)) {
        p->hold -= dt;
        if (p->hold <= 0 && view_following(v))
            tour_card(p);
    }
    if (p->ended && p->buf_len == 0 && !p->paused)
        p->paused = true; /* the end: keep showing the last state */
    struct hud h = {0};
    hud_from_sim(&p->sim, &p->so_far, &h, p->util, p->backlog);
    if (p->buf_len) /* the picture is at the last event shown */
        h.sim_s = (double)p->shown_ns / 1e9;
    h.speed = p->speed, h.paused = p->paused, h.help = p->help;
    h.narration = NULL; /* the view says each hop as it starts */
    h.bars_now = h.sim_s < h.warmup_s || view_following(v) || p->speed < 1e-4;
    h.card = p->card ? p->card_text : NULL;
    p->message_age += dt;
    if (p->message[0] && p->message_age < 4)
        h.message = p->message;
    view_sample(v, h.throughput_rps, h.p99_us);
    view_draw(v, &h, dt);
}

void play_run_to(struct play *p, int64_t at_ns)
{
    double speed = p->speed;
    p->speed = 1;
    for (int i = 0; !p->ended && p->sim.now < at_ns && i < 10000000; i++)
        play_frame(p, fmin(0.01, (double)(at_ns - p->sim.now) / 1e9));
    p->speed = speed;
    /* Ten seconds for the moves to end, the model held: at --speed it
     * ran on ten seconds' worth (a picture asked for at 300 ms showed
     * 425 ms at x0.0125). The flows' rates are this moment's. */
    view_measure_flows(p->view);
    p->paused = true;
    play_frame(p, 10.0);
    p->paused = p->ended;
}

bool play_measured(const struct play *p, struct sim *out)
{
    *out = p->sim;
    if (out->now <= out->sc.warmup_ns)
        return false;
    if (out->now < out->sc.duration_ns) /* the span that ran, as the HUD */
        out->sc.duration_ns = out->now;
    return true;
}

void play_close(struct play *p)
{
    sim_free(&p->sim);
    tally_free(&p->so_far);
    free(p->util);
    free(p->backlog);
    free(p->buf);
    p->util = NULL, p->backlog = NULL, p->buf = NULL;
    p->buf_cap = p->buf_len = 0;
}
