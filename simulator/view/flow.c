/*
 * The flow view (flow.h): rates measured from the events the view is fed,
 * painted over the places the squares would move between.
 */
#include "simulator/view/flow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulator/view/drawn.h"

#define RATE_SPAN_NS 250000000 /* rates are measured over 250 ms of trace */

static void thread_free(struct flow *f)
{
    for (int i = 0; i < f->threads; i++) {
        free(f->thread[i].to);
        free(f->thread[i].to_rps);
    }
    free(f->thread);
    free(f->mark);
    f->thread = NULL, f->mark = NULL, f->threads = 0;
}

void flow_layout(struct flow *f, int threads)
{
    thread_free(f);
    if (f->where)
        memset(f->where, 0, (size_t)f->nfds * sizeof *f->where);
    if (f->ready)
        memset(f->ready, 0, (size_t)f->nfds);
    f->sample = -1;
    f->now_ns = f->mark_ns = 0;
    f->marked = false;
    f->thread = calloc((size_t)threads, sizeof *f->thread);
    f->mark = calloc((size_t)threads * (size_t)(threads + 2), sizeof *f->mark);
    if (!f->thread || !f->mark) {
        thread_free(f);
        return;
    }
    f->threads = threads;
    for (int i = 0; i < threads; i++) {
        f->thread[i].to = calloc((size_t)threads, sizeof(uint64_t));
        f->thread[i].to_rps = calloc((size_t)threads, sizeof(double));
        if (!f->thread[i].to || !f->thread[i].to_rps) {
            thread_free(f);
            return;
        }
    }
}

static bool fd_room(struct flow *f, int fd)
{
    if (fd < 0 || fd > FLOW_MAX_FD)
        return false;
    if (fd < f->nfds)
        return true;
    int n = f->nfds ? f->nfds : 1024;
    while (n <= fd)
        n *= 2;
    int *where = realloc(f->where, (size_t)n * sizeof *where);
    if (!where)
        return false;
    f->where = where;
    signed char *ready = realloc(f->ready, (size_t)n);
    if (!ready)
        return false;
    f->ready = ready;
    memset(f->where + f->nfds, 0, (size_t)(n - f->nfds) * sizeof *where);
    memset(f->ready + f->nfds, 0, (size_t)(n - f->nfds));
    f->nfds = n;
    return true;
}

/* Move fd's count to thread t (-1: nowhere). */
static void hold(struct flow *f, int fd, int t)
{
    int was = f->where[fd] - 1;
    if (was >= 0 && was < f->threads)
        f->thread[was].open--;
    f->where[fd] = t + 1;
    if (t >= 0)
        f->thread[t].open++;
}

static void unready(struct flow *f, int fd)
{
    int t = f->ready[fd] - 1;
    if (t >= 0 && t < f->threads && f->thread[t].ready > 0)
        f->thread[t].ready--;
    f->ready[fd] = 0;
}

/* A drop report (fd: the kind lost, arg: how many): add what the lost
 * records would have added. Lost hand-offs name no target: they are
 * shared out as the thread's hand-offs so far were. */
static void lost(struct flow *f, struct flow_thread *th,
                 const struct fd_event *ev)
{
    uint64_t n = ev->arg > 0 ? (uint64_t)ev->arg : 0, all = 0, given = 0;
    if (ev->fd == FD_ACCEPT)
        th->accepts += n;
    else if (ev->fd == FD_REQUEST)
        th->requests += n;
    if (ev->fd != FD_HANDOFF)
        return;
    for (int j = 0; j < f->threads; j++)
        all += th->to[j];
    for (int j = 0; j < f->threads && all; j++) {
        uint64_t share = n * th->to[j] / all;
        th->to[j] += share;
        given += share;
    }
    for (int j = 0; j < f->threads && given < n && all; j++)
        if (th->to[j]) { /* the remainder, to the first target */
            th->to[j] += n - given;
            break;
        }
}

void flow_event(struct flow *f, const struct fd_event *ev)
{
    int t = ev->thread;
    if (t < 0 || t >= f->threads)
        return;
    struct flow_thread *th = &f->thread[t];
    if (ev->kind == FD_TOTAL)
        return;
    f->moves++;
    if (ev->t_ns > f->now_ns)
        f->now_ns = ev->t_ns;
    bool known = fd_room(f, ev->fd);
    /* Follow the next fd that moves (its accept may not be in the stream:
     * a view that joined late, a record lost). */
    bool moves = ev->kind == FD_ACCEPT || ev->kind == FD_HANDOFF ||
                 ev->kind == FD_READY || ev->kind == FD_RECV ||
                 ev->kind == FD_REQUEST || ev->kind == FD_SEND;
    if (known && moves && f->sample < 0)
        f->sample = ev->fd;
    switch (ev->kind) {
    case FD_ACCEPT:
        th->accepts++;
        if (!known)
            break;
        unready(f, ev->fd);
        hold(f, ev->fd, t);
        break;
    case FD_HANDOFF:
        if (ev->arg >= 0 && ev->arg < f->threads) {
            th->to[ev->arg]++;
            if (known)
                hold(f, ev->fd, (int)ev->arg);
        }
        break;
    case FD_READY:
        if (known && !f->ready[ev->fd]) {
            f->ready[ev->fd] = (signed char)(t + 1 > 127 ? 127 : t + 1);
            th->ready++;
        }
        break;
    case FD_RECV:
        if (known)
            unready(f, ev->fd);
        break;
    case FD_REQUEST:
        th->requests += ev->arg > 0 ? (uint64_t)ev->arg : 0;
        break;
    case FD_DROP: /* records lost on the way: counted, so rates are right */
        lost(f, th, ev);
        break;
    case FD_CLOSE:
        if (!known)
            break;
        unready(f, ev->fd);
        hold(f, ev->fd, -1);
        if (ev->fd == f->sample)
            f->sample = -1;
        break;
    default:
        break;
    }
}

/* A rate: the old one moved a share fresh (0..1) toward the new. */
static double smooth(double old, double now, double fresh)
{
    return (1 - fresh) * old + fresh * now;
}

/* Measure the rates over the trace time since the last mark; all_new:
 * the new rates replace the old (else they are smoothed). */
static void measure(struct flow *f, bool all_new)
{
    /* A trace watched from its first second (a replay, the model, a fresh
     * fastd live): its counts at time 0 were none, a mark to measure the
     * first rates from, taken as they are (a picture taken at once showed
     * 0/s on every arrow). */
    bool first = !f->marked && f->now_ns > 0 && f->now_ns <= 1000000000;
    if (first) {
        f->marked = true;
        f->mark_ns = 0;
    }
    double span = (double)(f->now_ns - f->mark_ns) / 1e9;
    /* The new rate's share: a half after a quarter of a wall second (the
     * window's pace: arrows that do not flicker), all of it after a
     * longer wait, the first time, or when asked. */
    double fresh = first || all_new ? 1 : 1 - exp(-f->since_measure_s / 0.36);
    int n = f->threads;
    uint64_t *m = f->mark;
    for (int i = 0; i < n; i++) {
        struct flow_thread *th = &f->thread[i];
        uint64_t *row = m + (size_t)i * (size_t)(n + 2);
        if (f->marked) {
            th->accept_rps = smooth(
                th->accept_rps, (double)(th->accepts - row[0]) / span, fresh);
            th->request_rps = smooth(
                th->request_rps, (double)(th->requests - row[1]) / span, fresh);
            for (int j = 0; j < n; j++)
                th->to_rps[j] =
                    smooth(th->to_rps[j],
                           (double)(th->to[j] - row[2 + j]) / span, fresh);
        }
        row[0] = th->accepts, row[1] = th->requests;
        for (int j = 0; j < n; j++)
            row[2 + j] = th->to[j];
    }
    f->mark_ns = f->now_ns;
    f->marked = true;
}

void flow_tick(struct flow *f, double dt)
{
    if (!f->threads)
        return;
    /* Over 250 ms of trace time, or of wall time when the trace runs
     * slower than the clock (the model at a low speed). */
    f->since_measure_s += dt;
    if (!f->marked || f->now_ns - f->mark_ns >= RATE_SPAN_NS ||
        (f->since_measure_s >= 0.25 && f->now_ns > f->mark_ns)) {
        measure(f, false);
        f->since_measure_s = 0;
    }
    /* No event for a second of wall time: nothing flows (the rates were
     * measured between events, and no event comes to measure the pause). */
    f->quiet_s = f->moves > 0 ? 0 : f->quiet_s + dt;
    if (f->quiet_s > 1)
        for (int i = 0; i < f->threads; i++) {
            struct flow_thread *th = &f->thread[i];
            th->accept_rps = th->request_rps = 0;
            for (int j = 0; j < f->threads; j++)
                th->to_rps[j] = 0;
        }
    if (dt > 0) { /* moves per wall second, smoothed over half a second */
        double a = 1 - exp(-dt / 0.5);
        f->wall_rate = (1 - a) * f->wall_rate + a * (f->moves / dt);
        f->moves = 0;
    }
    if (f->mode == FLOW_AUTO) {
        if (!f->on && f->wall_rate > FLOW_AUTO_ON)
            f->on = true;
        else if (f->on && f->wall_rate < FLOW_AUTO_OFF)
            f->on = false;
    } else {
        f->on = f->mode == FLOW_FLOWS;
    }
    if (!f->room) /* bands and labels would pile on each other */
        f->on = false;
    for (int i = 0; i < f->threads; i++) { /* pulses: faster when busier */
        struct flow_thread *th = &f->thread[i];
        double r = th->accept_rps;
        for (int j = 0; j < f->threads; j++)
            r = fmax(r, th->to_rps[j]);
        th->pulse = fmod(th->pulse + dt * (0.2 + 0.3 * log10(1 + r)), 1.0);
    }
}

void flow_measure_now(struct flow *f)
{
    if (f->threads && f->now_ns > f->mark_ns) {
        measure(f, true);
        f->since_measure_s = 0;
    }
    /* The run here went at its own pace (10 ms of model a frame): the
     * moves per wall second start over with the frames that follow (in
     * squares until they choose), or chapter 4's picture at x2e-5 came
     * out in flows. */
    f->wall_rate = 0;
    f->moves = 0;
    if (f->mode == FLOW_AUTO)
        f->on = false;
}

void flow_toggle(struct flow *f)
{
    f->mode = f->on ? FLOW_SQUARES : FLOW_FLOWS;
    f->on = f->mode == FLOW_FLOWS;
}

bool flow_hides(const struct flow *f, int fd)
{
    return f->on && (fd < 0 || fd != f->sample);
}

/* ---- painting ------------------------------------------------------------ */

static void fill(struct view *v, SDL_Rect r, SDL_Color c)
{
    if (r.w <= 0 || r.h <= 0) /* SDL would fill it as a line */
        return;
    SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(v->ren, &r);
}

/* What a label may not cover this frame: the layout's text boxes, the
 * labels drawn so far, the squares still drawn (the sample's, the
 * followed connection's). A label with no room is left out, as the
 * layout leaves out a text it has no box for. */
#define MAX_TAKEN 4096
static SDL_Rect taken[MAX_TAKEN];
static int ntaken;

static void take(SDL_Rect r)
{
    if (ntaken < MAX_TAKEN)
        taken[ntaken++] = r;
}

static void take_token(const struct token *k)
{
    if (k->live)
        take(
            (SDL_Rect){(int)k->x - 4, (int)k->y - 4, k->size + 8, k->size + 8});
}

static SDL_Rect gauge_bar(SDL_Rect box)
{
    int b[4], r[4] = {box.x, box.y, box.w, box.h};
    flow_gauge_bar(r, b);
    return (SDL_Rect){b[0], b[1], b[2], b[3]};
}

static void taken_reset(struct view *v)
{
    const struct flow *f = &v->flow;
    ntaken = layout_texts(&v->l, taken, MAX_TAKEN);
    /* Every gauge's bar, before any label: at 640x360 the sample's words
     * covered t0's interest-set gauge, a hand-off rate t1's ready list. */
    for (int i = 0; i < v->l.nrows; i++) {
        SDL_Rect ready = gauge_bar(v->l.rows[i].ready.box),
                 idle = gauge_bar(v->l.rows[i].idle.box);
        if (ready.w > 0)
            take(ready);
        if (idle.w > 0)
            take(idle);
    }
    if (f->sample >= 0 && f->sample < v->ntok)
        take_token(&v->toks[f->sample]);
    if (v->fol.anon >= 0 && v->fol.anon < v->nanon)
        take_token(&v->anon[v->fol.anon]);
    else if (v->fol.fd >= 0 && v->fol.fd < v->ntok && !v->fol.done)
        take_token(&v->toks[v->fol.fd]);
}

static bool room_for(SDL_Rect r)
{
    for (int i = 0; i < ntaken; i++)
        if (SDL_HasIntersection(&r, &taken[i]))
            return false;
    return true;
}

/* A label (a few a frame: not worth the text cache), left or right of
 * x; left out where it would cover a text or a square. */
static bool label(struct view *v, int x, int y, SDL_Color c, const char *s,
                  bool right)
{
    TTF_Font *font = v->small ? v->small : v->font;
    int w, h;
    if (!font || !*s || TTF_SizeUTF8(font, s, &w, &h) < 0 ||
        !room_for((SDL_Rect){(right ? x - w : x) - 2, y, w + 4, h}))
        return false;
    SDL_Surface *surf = TTF_RenderUTF8_Blended(font, s, c);
    if (!surf)
        return false;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(v->ren, surf);
    if (tex) {
        SDL_Rect r = {right ? x - surf->w : x, y, surf->w, surf->h};
        take((SDL_Rect){r.x - 2, r.y, r.w + 4, r.h});
        fill(v, (SDL_Rect){r.x - 2, r.y, r.w + 4, r.h},
             (SDL_Color){22, 24, 29, 255});
        SDL_RenderCopy(v->ren, tex, NULL, &r);
        view_item_add(v, &(struct view_item){.text = true,
                                             .x = r.x,
                                             .y = r.y,
                                             .w = r.w,
                                             .h = r.h,
                                             .fd = -3});
        SDL_DestroyTexture(tex);
    }
    SDL_FreeSurface(surf);
    return true;
}

/* An arrow's width for a rate: 1 px at nothing, 16 at 100,000/s. */
static int width_of(double rps)
{
    return rps <= 0 ? 1 : 2 + (int)(14 * fmin(1, log10(1 + rps) / 5));
}

static void rate_text(char *out, size_t len, double rps, const char *unit)
{
    if (rps >= 10000)
        snprintf(out, len, "%.1fk %s", rps / 1000, unit);
    else
        snprintf(out, len, "%.0f %s", rps, unit);
}

/* A horizontal band from x0 to x1 at y, w thick, with pulses moving
 * toward x1. */
static void band_h(struct view *v, int x0, int x1, int y, int w, double pulse,
                   SDL_Color c)
{
    int a = x0 < x1 ? x0 : x1, b = x0 < x1 ? x1 : x0;
    fill(v, (SDL_Rect){a, y - w / 2, b - a, w}, c);
    SDL_Color light = {255, 255, 255, 255};
    for (int x = 0; x < b - a; x += 28) {
        int at = (int)(x + pulse * 28) % (b - a > 0 ? b - a : 1);
        int px = x0 < x1 ? a + at : b - at;
        fill(v, (SDL_Rect){px - 2, y - (w + 2) / 2, 4, w + 2}, light);
    }
    /* the head */
    int dir = x1 > x0 ? 1 : -1;
    for (int i = 0; i < 6; i++)
        fill(v,
             (SDL_Rect){x1 - dir * i - (dir < 0 ? 1 : 0), y - (w / 2 + 6 - i),
                        1, w + 12 - 2 * i},
             c);
}

static void band_v(struct view *v, int x, int y0, int y1, int w, double pulse,
                   SDL_Color c)
{
    int a = y0 < y1 ? y0 : y1, b = y0 < y1 ? y1 : y0;
    fill(v, (SDL_Rect){x - w / 2, a, w, b - a + w / 2}, c);
    SDL_Color light = {255, 255, 255, 255};
    for (int y = 0; y < b - a; y += 28) {
        int at = (int)(y + pulse * 28) % (b - a > 0 ? b - a : 1);
        int py = y0 < y1 ? a + at : b - at;
        fill(v, (SDL_Rect){x - (w + 2) / 2, py - 2, w + 2, 4}, light);
    }
}

/* The height of the band from the clients into row r's accept queue:
 * the queue's middle, or lower where the row is short, under the row's
 * and its lane's names (it ran through "core 0 t0 accept" at 960x540
 * with 8 cores); it still enters the queue from the left. */
static int band_y(const struct view *v, const struct row *r, int w)
{
    const SDL_Rect *q = &r->queue.box, *name = &v->l.lanes[r->core].name;
    int y = q->y + q->h / 2, under = 0;
    if (r->label_box.w)
        under = r->label_box.y + r->label_box.h;
    if (name->w && name->y + name->h > under)
        under = name->y + name->h;
    if (under && y - (w + 1) / 2 < under + 1)
        y = under + 1 + (w + 1) / 2;
    return y < q->y + q->h - 2 ? y : q->y + q->h - 2;
}

/* Where that band starts: at the client column, or right of the row's
 * name where it still crosses it (a row too short to pass under). */
static int band_start(const struct view *v, const struct row *r, int w)
{
    int y = band_y(v, r, w), x = POOL_W + 4;
    const SDL_Rect *b = &r->label_box;
    if (b->w && y - (w + 1) / 2 < b->y + b->h && y + (w + 1) / 2 > b->y)
        x = b->x + b->w;
    return x;
}

/* A gauge over an area: how many fds are in it, as a bar and a number. */
static void gauge(struct view *v, SDL_Rect box, int n, int cap, SDL_Color c,
                  const char *what)
{
    SDL_Rect bar = gauge_bar(box);
    if (bar.w <= 0)
        return;
    double full = cap > 0 ? fmin(1, (double)n / cap) : 0;
    int y = bar.y;
    fill(v, bar, (SDL_Color){30, 33, 40, 255});
    bar.w = n > 0 ? (int)fmax(2, bar.w * full) : 0;
    fill(v, bar, c); /* none at 0: "ready 0" had a sliver (fill()) */
    char s[64];
    snprintf(s, sizeof s, "%s %d", what, n);
    label(v, box.x + 4, y + 14, (SDL_Color){225, 228, 235, 255}, s, false);
}

/* The pool's path, in the shared queue's colour: up from the event
 * loop's CPU slot into the shared queue (what it finds readable), down a
 * trunk from the queue's middle and into each worker's slot (what each
 * takes, one job a request). Drawn first: the rows' gauges and labels
 * stay on top. Without it the workers' rates floated beside slots that
 * nothing led to, and the queue looked like a gauge of its own. */
static void draw_pool_path(struct view *v)
{
    const struct layout *l = &v->l;
    const struct flow *f = &v->flow;
    const SDL_Rect *q = &l->shared.box;
    SDL_Color c = view_colours[VC_READY];
    int tx = q->x + q->w / 2, low = -1, loop = -1;
    double all = 0;
    for (int i = 0; i < l->nrows; i++) {
        const struct row *r = &l->rows[i];
        if (r->role == VIEW_LOOP)
            loop = i;
        if (r->role != VIEW_WORKER)
            continue;
        double rps = f->thread[i].request_rps;
        int y = r->slot.y + r->slot.h / 2;
        band_h(v, tx, r->slot.x + r->slot.w + 2, y, width_of(rps),
               f->thread[i].pulse, c);
        all += rps;
        low = y > low ? y : low;
    }
    if (low < 0)
        return;
    double pulse = loop >= 0 ? f->thread[loop].pulse : 0;
    band_v(v, tx, q->y + q->h, low, width_of(all), pulse, c);
    if (loop >= 0) {
        const SDL_Rect *s = &l->rows[loop].slot;
        band_v(v, s->x + s->w / 2, s->y - 2, q->y + q->h, width_of(all), pulse,
               c);
    }
}

/* Where the sample's square is now, in words (its colour's meaning). */
static const char *colour_words(int c)
{
    static const char *const words[VC_NCOLOURS] = {
        [VC_BACKLOG] = "waiting to be accepted",
        [VC_ACCEPTING] = "being accepted",
        [VC_FLIGHT] = "handed off (epoll_ctl ADD)",
        [VC_IDLE] = "idle in the interest set",
        [VC_READY] = "ready, waiting for the CPU",
        [VC_SERVING] = "on CPU",
        [VC_CLOSING] = "closing",
    };
    return c >= 0 && c < VC_NCOLOURS ? words[c] : "";
}

void flow_draw(struct view *v)
{
    struct flow *f = &v->flow;
    const struct layout *l = &v->l;
    if (!f->on || l->aggregate || f->threads < l->nrows)
        return;
    taken_reset(v);
    SDL_Color text_fg = {225, 228, 235, 255};
    char s[96];
    if (l->pool && l->shared.box.w > 4)
        draw_pool_path(v);
    for (int i = 0; i < l->nrows; i++) {
        const struct row *r = &l->rows[i];
        struct flow_thread *th = &f->thread[i];
        const SDL_Rect *q = &r->queue.box;
        int cy = r->slot.y + r->slot.h / 2;
        if (q->w) { /* clients -> accept queue */
            int w = width_of(th->accept_rps);
            band_h(v, band_start(v, r, w), q->x - 2, band_y(v, r, w), w,
                   th->pulse, view_colours[VC_BACKLOG]);
            rate_text(s, sizeof s, th->accept_rps, "conn/s");
            label(v, POOL_W + 8, q->y - 16, text_fg, s, false);
            /* Its squares are hidden too: a bar as full as the queue its
             * caption counts (full: more than its squares would fill). */
            int len = view_queue_length(v, i);
            if (len > 0)
                fill(v,
                     (SDL_Rect){
                         q->x + 2, q->y + 2,
                         (int)fmax(2, (q->w - 4) *
                                          fmin(1, (double)len /
                                                      fmax(1, r->queue.cap))),
                         q->h - 4},
                     view_colours[VC_BACKLOG]);
        }
        /* hand-offs: down (or up) from the accept slot, then to the slot */
        int sx = r->slot.x + r->slot.w / 2;
        for (int j = 0; j < l->nrows; j++) {
            if (j == i || th->to[j] == 0)
                continue;
            const struct row *to = &l->rows[j];
            int w = width_of(th->to_rps[j]);
            /* Down the accept slot's column, across above the target's
             * slot, into it from above: clear of its gauges. */
            int tx = to->slot.x + to->slot.w / 2;
            int ty = to->slot.y - 10 - w / 2;
            band_v(v, sx, r->slot.y + (ty > cy ? r->slot.h : 0), ty, w,
                   th->pulse, view_colours[VC_FLIGHT]);
            band_h(v, sx, tx, ty, w, th->pulse, view_colours[VC_FLIGHT]);
            band_v(v, tx, ty, to->slot.y - 2, w, th->pulse,
                   view_colours[VC_FLIGHT]);
            rate_text(s, sizeof s, th->to_rps[j], "hand-offs/s");
            label(v, sx + w / 2 + 6, ty - 7, text_fg, s, false);
        }
        /* The pool's loop puts what it finds readable in the shared
         * queue at once (its squares go there, and the band counts them):
         * counted in its ready list too, the pool at 1920x1080 said
         * "ready 61" under "shared queue 61", each fd twice. */
        int ready = l->pool && r->role == VIEW_LOOP ? 0 : th->ready;
        gauge(v, r->ready.box, ready, r->ready.cap > 0 ? r->ready.cap : 64,
              view_colours[VC_READY], "ready");
        gauge(v, r->idle.box, th->open, r->idle.cap > 0 ? r->idle.cap : 400,
              view_colours[VC_IDLE], "open fds");
        /* A rate of requests where they are answered: not under an
         * accept slot, nor the pool's loop (it said "0 req/s" there,
         * while its workers answer them all). */
        if (th->requests || (r->role != VIEW_ACCEPT && r->role != VIEW_LOOP)) {
            rate_text(s, sizeof s, th->request_rps, "req/s");
            if (q->w) /* left of the slot is the accept queue */
                label(v, r->slot.x, r->slot.y + r->slot.h + 2, text_fg, s,
                      false);
            else
                label(v, r->slot.x - 6, r->slot.y + r->slot.h / 2 - 6, text_fg,
                      s, true);
        }
    }
    if (l->pool && l->shared.box.w > 4) {
        /* The pool's shared queue: its squares are hidden with the rest
         * (and lag behind the model at this rate), so a bar as full as
         * the queue its caption counts: the model's. */
        const SDL_Rect *b = &l->shared.box;
        int n = view_shared_length(v);
        double full =
            l->shared.cap > 0 ? fmin(1, (double)n / l->shared.cap) : 0;
        SDL_Rect bar = {b->x + 2, b->y + b->h / 2 - 6, b->w - 4, 12};
        fill(v, bar, (SDL_Color){30, 33, 40, 255});
        bar.w = n > 0 ? (int)fmax(2, bar.w * full) : 0;
        fill(v, bar, view_colours[VC_READY]);
    }
    if (l->nrows > 0) {
        const struct row *r = &l->rows[0];
        label(v, r->box.x + r->box.w - 6, r->box.y + 4, text_fg,
              "flows: width and pulses = measured rate, bars = fds waiting, "
              "ringed = one sampled fd  (v: squares)",
              true);
    }
}

void flow_draw_sample(struct view *v)
{
    struct flow *f = &v->flow;
    if (!f->on || v->l.aggregate || f->threads < v->l.nrows || f->sample < 0 ||
        f->sample >= v->ntok || !v->toks[f->sample].live)
        return; /* (else flow_draw ran: taken is this frame's) */
    /* Its square is drawn with the others (its colour the place's, like
     * every square's); here: a ring, and where it is in words. */
    const struct token *k = &v->toks[f->sample];
    bool hollow;
    int c = view_token_colour(v, k, &hollow);
    SDL_Rect ring = {(int)k->x - 3, (int)k->y - 3, k->size + 6, k->size + 6};
    SDL_SetRenderDrawColor(v->ren, 255, 255, 255, 255);
    SDL_RenderDrawRect(v->ren, &ring);
    char s[96];
    snprintf(s, sizeof s, "ringed: fd %d, %s%s", f->sample,
             k->t < 1 ? "moving on: " : "", colour_words(c));
    /* Under the caption, not beside the square: a square moves over
     * other labels, a fixed line does not. */
    const struct row *r = &v->l.rows[0];
    SDL_Color c_words = {255, 255, 255, 255};
    /* Where the flows' caption was left out for room (640x360), its line
     * is free: the words go there rather than over a gauge. */
    if (!label(v, r->box.x + r->box.w - 6, r->box.y + 18, c_words, s, true))
        label(v, r->box.x + r->box.w - 6, r->box.y + 4, c_words, s, true);
}

void flow_gauge_bar(const int box[4], int bar[4])
{
    bar[0] = bar[1] = bar[2] = bar[3] = 0;
    if (box[2] <= 4)
        return;
    /* Low in the area, under the arrows that come in at the slot's top. */
    bar[0] = box[0] + 2;
    bar[1] = box[3] >= 60 ? box[1] + box[3] - 46 : box[1] + box[3] / 2 - 6;
    bar[2] = box[2] - 4;
    bar[3] = 12;
}

void flow_free(struct flow *f)
{
    thread_free(f);
    free(f->where);
    free(f->ready);
    f->where = NULL, f->ready = NULL, f->nfds = 0;
}
