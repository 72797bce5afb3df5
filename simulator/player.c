/*
 * The figures and the HUD of a replay or a live view. Counts (accepted,
 * handed off, answered, closed) are fastd's own: records a live stream
 * lost come back as counts per kind. Rates, busy shares and ready lists
 * are over the last second of trace time, so they mean what the server
 * does now, not a mean since the first event.
 */
#include "simulator/player.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulator/hud.h"

int player_lay_out(struct player *p, char *err, size_t errlen)
{
    const struct trace *tr = &p->tr;
    int n = tr->threads, cores = tr->cores > 0 ? tr->cores : 1;
    int *core = calloc((size_t)n, sizeof *core);
    enum view_role *role = calloc((size_t)n, sizeof *role);
    double *util = realloc(p->util, (size_t)cores * sizeof *util);
    if (util)
        p->util = util;
    tally_free(&p->tally);
    recent_free(&p->recent);
    if (!core || !role || !util || tally_init(&p->tally, n) < 0 ||
        recent_init(&p->recent, n) < 0) {
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
    if (p->view)
        view_layout(p->view, n, cores, core, role);
    free(core);
    free(role);
    p->laid_out = true;
    p->totals = false;
    p->narration[0] = p->lost[0] = 0;
    return 0;
}

static void to_view(void *ctx, const struct fd_event *ev)
{
    struct player *p = ctx;
    if (p->view)
        view_event(p->view, ev);
    tally_event(&p->tally, ev);
}

void player_event(struct player *p, const struct fd_event *ev)
{
    to_view(p, ev);
    if (ev->t_ns > p->clock_ns)
        p->clock_ns = ev->t_ns;
    if (ev->kind == FD_TOTAL && !p->totals) {
        /* fastd's counts since it started arrive at once: the rates of
         * the last second start from here. */
        p->totals = true;
        p->recent.n = 0, p->recent.next = 0;
    }
    if (ev->kind != FD_WAKE && ev->kind != FD_DROP && ev->kind != FD_TOTAL)
        hud_narrate(ev, p->narration, sizeof p->narration);
}

static void ready_sink(void *ctx, const struct fd_event *ev)
{
    player_event(ctx, ev);
}

void player_replay_event(struct player *p, size_t i)
{
    player_event(p, &p->tr.events[i]);
    trace_infer_ready(p->tr.events, p->tr.len, i, ready_sink, p);
}

void player_replay_until(struct player *p, double pos)
{
    while (p->next < p->tr.len &&
           (double)(p->tr.events[p->next].t_ns - p->origin) / 1e9 <= pos)
        player_replay_event(p, p->next++);
    /* The clock is where the replay is, up to the trace's last event: it
     * stopped at the last event played, and a gap in the load (or --at
     * between events) kept the HUD's time and its rates of the last
     * second where the events stopped (--at 600 said t = 0.4 s). */
    if (!p->tr.len)
        return;
    int64_t at = p->origin + (int64_t)(pos * 1e9),
            end = p->tr.events[p->tr.len - 1].t_ns;
    at = at < end ? at : end;
    if (at > p->clock_ns)
        p->clock_ns = at;
}

void player_say(struct player *p, const char *msg)
{
    snprintf(p->message, sizeof p->message, "%s", msg);
    p->message_age = 0;
}

bool player_key(struct player *p, enum view_key k, bool live)
{
    char msg[64], err[256];
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
    case KEY_SLOWER:
    case KEY_FASTER:
        if (live)
            player_say(p, "live: the speed is fastd's own (x1)");
        else if (k == KEY_FASTER && p->speed * 2 > 1e3)
            player_say(p, "fastest replay speed: x1000");
        else if (k == KEY_SLOWER && p->speed / 2 < 1e-9)
            player_say(p, "slowest replay speed: x1e-9");
        else
            p->speed *= k == KEY_FASTER ? 2 : 0.5;
        break;
    case KEY_HELP:
        p->help = !p->help;
        break;
    case KEY_FLOW:
        if (!view_flow_toggle(p->view))
            player_say(p, VIEW_FLOWS_NO_ROOM);
        break;
    case KEY_SCREENSHOT:
        snprintf(msg, sizeof msg, "fastsim-%d.png", ++p->shots);
        if (view_png(p->view, msg, err, sizeof err) == 0) {
            printf("fastsim: saved %s\n", msg);
            snprintf(err, sizeof err, "saved %s", msg);
        }
        player_say(p, err);
        break;
    case KEY_NONE:
    case KEY_STEP: /* the caller's: it knows where the next event is */
        break;
    default:
        player_say(p, "a trace is what happened: 1-4, up/down, +/- and r "
                      "change the model only");
        break;
    }
    return true;
}

/* What lost records do to the figures, in words (empty when none). */
static void explain_lost(struct player *p)
{
    const struct tally *t = &p->tally;
    if (!t->drops) {
        p->lost[0] = 0;
        return;
    }
    double seen = (double)t->events;
    snprintf(p->lost, sizeof p->lost,
             "%llu records lost on the way (%.1f%%): the counts include "
             "them (fastd counted them); latency, busy and ready lists are "
             "measured on the rest",
             (unsigned long long)t->drops,
             100.0 * (double)t->drops / (seen + (double)t->drops));
}

void player_draw(struct player *p, const char *title, enum hud_mode mode,
                 double dt)
{
    if (!p->view)
        return;
    struct hud h = {.title = title, .arch = p->tr.arch, .mode = mode};
    const struct tally *t = &p->tally;
    int64_t now = p->clock_ns;
    recent_tick(&p->recent, t, now);
    h.sim_s = (double)now / 1e9;
    h.speed = mode == HUD_LIVE ? 1 : p->speed;
    h.paused = p->paused, h.help = p->help;
    h.throughput_rps = recent_rps(&p->recent, t, now);
    h.rate_span_s = recent_span_s(&p->recent, now);
    char span[32];
    view_span_words(h.rate_span_s, span, sizeof span);
    h.p50_us = hist_quantile(&t->latency, 0.5) / 1e3;
    h.p99_us = hist_quantile(&t->latency, 0.99) / 1e3;
    /* fastd answers every request it parses: a request record is answers */
    h.completed = (unsigned long)tally_count(t, FD_REQUEST);
    h.handoffs = (unsigned long)tally_count(t, FD_HANDOFF);
    h.drops = (long long)t->drops;
    int cores = p->tr.cores > 0 ? p->tr.cores : 1;
    for (int c = 0; c < cores; c++)
        p->util[c] = 0;
    /* " (last 0.4 s)" as "last 0.4 s" */
    int len = snprintf(p->stats, sizeof p->stats,
                       "accepted %llu  closed %llu  |  %.*s, busy / "
                       "ready list:",
                       (unsigned long long)tally_count(t, FD_ACCEPT),
                       (unsigned long long)tally_count(t, FD_CLOSE),
                       (int)strlen(span) - 3, span + 2);
    for (int i = 0; i < t->threads; i++) {
        double b = recent_busy(&p->recent, t, i, now);
        int c = i % cores;
        p->util[c] = fmin(1, p->util[c] + b);
        if (len < (int)sizeof p->stats - 32)
            len += snprintf(p->stats + len, sizeof p->stats - (size_t)len,
                            "  t%d %.0f%% / %.1f", i, 100 * b,
                            recent_queue(&p->recent, t, i, now));
    }
    h.util = p->util, h.cores = cores;
    h.stats = p->stats;
    explain_lost(p);
    if (p->note[0] && p->lost[0]) /* the note takes the narration's line */
        h.stats = p->lost;
    h.narration = p->lost[0] ? p->lost : p->narration[0] ? p->narration : NULL;
    p->message_age += dt;
    if (p->message[0] && p->message_age < 4)
        h.message = p->message;
    else if (p->note[0])
        h.message = p->note;
    view_sample(p->view, h.throughput_rps, h.p99_us);
    view_draw(p->view, &h, dt);
}

int player_save(struct player *p, const char *path, int frame)
{
    char name[4096], err[256];
    snprintf(name, sizeof name, path, frame);
    if (view_png(p->view, name, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        return -1;
    }
    return 0;
}

void player_free(struct player *p)
{
    tally_free(&p->tally);
    recent_free(&p->recent);
    free(p->util);
    p->util = NULL;
    trace_free(&p->tr);
}

void player_replay_to(struct player *p, double at_s, const char *title)
{
    while (p->pos < at_s && p->next < p->tr.len) {
        p->pos = fmin(at_s, p->pos + 0.01);
        player_replay_until(p, p->pos);
        /* at the model's pace in play_run_to(): 10 ms of trace a
         * hundredth of a wall second, so the flows measure as they do */
        player_draw(p, title, HUD_REPLAY, 0.01);
    }
    if (p->view)
        view_measure_flows(p->view);
    /* Every move ends, held there: ten wall seconds with no event would
     * read as a quiet trace, and the arrows fell to 0/s. */
    bool paused = p->paused;
    p->paused = true;
    player_draw(p, title, HUD_REPLAY, 10.0);
    p->paused = paused;
}
