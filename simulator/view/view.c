/*
 * The view's places and tokens. The screen (draw.c paints it):
 *
 *   +-- HUD: time, speed, figures, what happens now, CPU bars, plot ------+
 *   | client |  [pool only: lock | shared queue . . . . . . . . . . . ]   |
 *   |  pool  | core 0 | t0 accept  [queue 12] [cpu]                       |
 *   |        | core 1 | t1 request          [cpu] [ready] [interest set]  |
 *   +-- legend: one word per colour; keys -------------------------------+
 *
 * An fd is a token. Each event gives it a move (a hop) to a place; the
 * hops of one token play in order, GLIDE_S wall seconds each, faster when
 * several wait, so every stage an fd passes through is seen.
 *
 * Headless runs draw into a memory surface with SDL's software renderer,
 * so no video driver, display or GPU is needed at all.
 */
#include "simulator/view/view_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

#define FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

const SDL_Color view_colours[VC_NCOLOURS] = {
    [VC_BACKLOG] = {245, 150, 50, 255}, [VC_ACCEPTING] = {240, 215, 60, 255},
    [VC_FLIGHT] = {205, 90, 250, 255},  [VC_IDLE] = {50, 85, 140, 255},
    [VC_READY] = {80, 225, 255, 255},   [VC_SERVING] = {80, 210, 110, 255},
    [VC_CLOSING] = {230, 80, 70, 255},
};

void view_colour_rgb(enum view_colour c, unsigned char rgb[3])
{
    SDL_Color k = view_colours[c < VC_NCOLOURS ? c : 0];
    rgb[0] = k.r, rgb[1] = k.g, rgb[2] = k.b;
}

static void set_err(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, SDL_GetError());
}

struct view *view_open(int width, int height, bool headless, char *err,
                       size_t errlen)
{
    struct view *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    v->w = width, v->h = height, v->headless = headless;
    if (headless) {
        v->surface = SDL_CreateRGBSurfaceWithFormat(0, width, height, 32,
                                                    SDL_PIXELFORMAT_RGBA32);
        if (!v->surface || !(v->ren = SDL_CreateSoftwareRenderer(v->surface))) {
            set_err(err, errlen, "software renderer");
            view_close(v);
            return NULL;
        }
    } else {
        if (SDL_Init(SDL_INIT_VIDEO) < 0) {
            set_err(err, errlen, "SDL_Init");
            free(v);
            return NULL;
        }
        v->win = SDL_CreateWindow("fastsim", SDL_WINDOWPOS_CENTERED,
                                  SDL_WINDOWPOS_CENTERED, width, height,
                                  SDL_WINDOW_RESIZABLE);
        if (!v->win || !(v->ren = SDL_CreateRenderer(
                             v->win, -1, SDL_RENDERER_PRESENTVSYNC))) {
            if (v->win && !v->ren) /* no accelerated renderer: software */
                v->ren = SDL_CreateRenderer(v->win, -1, SDL_RENDERER_SOFTWARE);
            if (!v->ren) {
                set_err(err, errlen, "SDL window");
                view_close(v);
                return NULL;
            }
        }
    }
    /* Opaque fills: blending every pixel of every lane costs frames. */
    SDL_SetRenderDrawBlendMode(v->ren, SDL_BLENDMODE_NONE);
    if (TTF_Init() == 0) {
        v->font = TTF_OpenFont(FONT_PATH, 14);
        v->small = TTF_OpenFont(FONT_PATH, 10);
    }
    if (!v->font)
        fprintf(stderr, "fastsim: no font (%s): drawing without text\n",
                FONT_PATH);
    return v;
}

/* ---- places ------------------------------------------------------------ */

static void area_set(struct area *a, SDL_Rect box, int tok)
{
    a->box = box;
    int cols = box.w > 4 ? (box.w - 2) / (tok + 2) : 0;
    int lines = box.h > 4 ? (box.h - 2) / (tok + 2) : 0;
    int cap = cols > 0 && lines > 0 ? cols * lines : 0;
    if (cap != a->cap) {
        free(a->used);
        a->used = cap ? calloc((size_t)cap, 1) : NULL;
        a->cap = a->used ? cap : 0;
    } else if (a->used) {
        memset(a->used, 0, (size_t)cap);
    }
    a->cols = cols, a->lines = lines;
}

static bool accepts(enum view_role r)
{
    return r == VIEW_ACCEPT || r == VIEW_BOTH || r == VIEW_LOOP;
}

static bool holds_fds(enum view_role r)
{
    return r == VIEW_REQUEST || r == VIEW_BOTH || r == VIEW_LOOP;
}

/* The boxes of every row for a token size; areas are set by the caller. */
static void place_rows(struct view *v, SDL_Rect ready[], SDL_Rect idle[])
{
    int top = HUD_H + 4 + (v->pool ? SHARED_H : 0);
    int bottom = v->h - FOOT_H;
    int lanes = v->cores > 0 ? v->cores : 1;
    int lane_h = (bottom - top) / lanes;
    int lw = v->compact ? 40 : 64;
    for (int c = 0; c < v->cores; c++) {
        int n = 0, k = 0;
        for (int i = 0; i < v->nrows; i++)
            n += v->rows[i].core == c;
        for (int i = 0; i < v->nrows; i++) {
            struct row *r = &v->rows[i];
            if (r->core != c)
                continue;
            int rh = (lane_h - 2) / (n ? n : 1);
            r->box = (SDL_Rect){POOL_W + 16 + lw, top + c * lane_h + 1 + k * rh,
                                v->w - POOL_W - 28 - lw, rh > 2 ? rh - 2 : 1};
            int s = r->box.h - 4 < 22 ? r->box.h - 4 : 22;
            if (s < 2)
                s = 2;
            int x = r->box.x + (v->compact || rh < 24 ? 4 : 96);
            int y = r->box.y + (r->box.h - s) / 2;
            r->queue = (SDL_Rect){0, 0, 0, 0};
            if (accepts(r->role)) {
                r->queue = (SDL_Rect){x, y, v->compact ? 36 : 70, s};
                x += r->queue.w + 6;
            }
            r->slot = (SDL_Rect){x, y, s, s};
            x += s + 8;
            int rest = r->box.x + r->box.w - x - 4;
            ready[i] = idle[i] = (SDL_Rect){0, 0, 0, 0};
            if (holds_fds(r->role) && rest > 20) {
                /* The pool's loop has no ready list: the shared queue is. */
                int rw = r->role == VIEW_LOOP ? 0 : rest * 3 / 10;
                ready[i] = (SDL_Rect){x, r->box.y + 1, rw, r->box.h - 2};
                idle[i] = (SDL_Rect){x + rw + (rw ? 6 : 0), r->box.y + 1,
                                     rest - rw - (rw ? 6 : 0), r->box.h - 2};
                if (!rw)
                    ready[i] = (SDL_Rect){0, 0, 0, 0};
            }
            k++;
        }
    }
}

void view_relayout(struct view *v)
{
    static SDL_Rect ready[MAX_ROWS], idle[MAX_ROWS];
    v->aggregate = v->cores > MAX_LANES || v->threads > MAX_ROWS;
    v->compact = v->cores > 16;
    if (v->aggregate)
        return;
    place_rows(v, ready, idle);
    if (v->pool) {
        int x = POOL_W + 16;
        v->lock = (SDL_Rect){x + 110, HUD_H + 8, 44, SHARED_H - 10};
        area_set(&v->shared,
                 (SDL_Rect){x + 162, HUD_H + 6, v->w - x - 172, SHARED_H - 6},
                 6);
    }
    /* One token size for all rows: the largest that gives every interest
     * set room for a few hundred fds. */
    for (int size = 12; size >= 3; size--) {
        bool fits = true;
        for (int i = 0; i < v->nrows && fits; i++) {
            if (!idle[i].w)
                continue;
            int cells =
                ((idle[i].w - 2) / (size + 2)) * ((idle[i].h - 2) / (size + 2));
            fits = cells >= 400;
        }
        v->tok = size;
        if (fits)
            break;
    }
    for (int i = 0; i < v->nrows; i++) {
        area_set(&v->rows[i].ready, ready[i], v->tok);
        area_set(&v->rows[i].idle, idle[i], v->tok);
    }
    /* Cells were forgotten: tokens re-take theirs on their next move. */
    for (int fd = 0; fd < v->ntok; fd++)
        v->toks[fd].cell = -1;
}

void view_layout(struct view *v, int threads, int cores, const int *core,
                 const enum view_role *role)
{
    v->threads = threads;
    v->nrows = threads < MAX_ROWS ? threads : MAX_ROWS;
    v->cores = cores > 0 ? cores : 1;
    v->pool = false;
    for (int t = 0; t < v->nrows; t++) {
        struct row *r = &v->rows[t];
        r->core = core[t] >= 0 && core[t] < v->cores ? core[t] : 0;
        r->role = role[t];
        v->pool |= role[t] == VIEW_WORKER;
        static const char *const names[] = {"accept", "request", "serve",
                                            "event loop", "worker"};
        snprintf(r->label, sizeof r->label, "t%d %s", t, names[role[t]]);
    }
    view_clear(v);
    view_relayout(v);
    flow_layout(&v->flow, v->nrows); /* flow view (flow.h) */
}

int view_place_rect(const struct view *v, int thread, enum view_place p,
                    int rect[4])
{
    SDL_Rect r = {0, 0, 0, 0};
    if (p == PLACE_SHARED)
        r = v->pool ? v->shared.box : r;
    else if (p == PLACE_LEGEND)
        r = (SDL_Rect){0, v->h - FOOT_H, v->w, FOOT_H / 2};
    else if (!v->aggregate && thread >= 0 && thread < v->nrows) {
        const struct row *w = &v->rows[thread];
        r = p == PLACE_LANE           ? w->box
            : p == PLACE_ACCEPT_QUEUE ? w->queue
            : p == PLACE_CPU          ? w->slot
            : p == PLACE_READY        ? w->ready.box
                                      : w->idle.box;
    }
    rect[0] = r.x, rect[1] = r.y, rect[2] = r.w, rect[3] = r.h;
    return r.w > 0 && r.h > 0 ? 0 : -1;
}

/* ---- tokens ------------------------------------------------------------ */

void view_clear(struct view *v)
{
    free(v->toks);
    v->toks = NULL;
    v->ntok = v->live = 0;
    v->nplot = 0;
    for (int i = 0; i < v->nrows; i++) {
        struct area *a[] = {&v->rows[i].ready, &v->rows[i].idle};
        for (int j = 0; j < 2; j++)
            if (a[j]->used)
                memset(a[j]->used, 0, (size_t)a[j]->cap);
    }
    if (v->shared.used)
        memset(v->shared.used, 0, (size_t)v->shared.cap);
}

static struct token *token_at(struct view *v, int fd)
{
    if (fd < 0 || fd > VIEW_MAX_FD)
        return NULL;
    if (fd >= v->ntok) {
        int n = v->ntok ? v->ntok : 256;
        while (n <= fd)
            n *= 2;
        struct token *grown = realloc(v->toks, (size_t)n * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + v->ntok, 0, (size_t)(n - v->ntok) * sizeof *grown);
        v->toks = grown;
        v->ntok = n;
    }
    return &v->toks[fd];
}

/* A point in the client pool for this fd (scattered, stable per fd). */
static void pool_point(const struct view *v, int fd, float *x, float *y)
{
    unsigned h = (unsigned)fd * 2654435761u;
    int ph = v->h - HUD_H - FOOT_H - 30;
    *x = 12 + (float)(h % (POOL_W - 24));
    *y = HUD_H + 24 + (float)((h >> 12) % (unsigned)(ph > 1 ? ph : 1));
}

static struct area *area_of(struct view *v, int row, int kind)
{
    if (kind == 2)
        return &v->shared;
    if (row < 0 || row >= v->nrows)
        return NULL;
    return kind == 0 ? &v->rows[row].ready : &v->rows[row].idle;
}

static void cell_release(struct view *v, struct token *k)
{
    struct area *a = area_of(v, k->area_row, k->area_kind);
    if (a && k->cell >= 0 && k->cell < a->cap)
        a->used[k->cell] = 0;
    k->cell = -1;
}

/* Take a cell in an area; false if the area is not drawn. */
static bool cell_take(struct view *v, struct token *k, int row, int kind,
                      float *x, float *y)
{
    struct area *a = area_of(v, row, kind);
    cell_release(v, k);
    if (!a || a->cap == 0)
        return false;
    int cell = a->cap - 1; /* overflow shares the last cell */
    for (int i = 0; i < a->cap; i++)
        if (!a->used[i]) {
            cell = i;
            break;
        }
    a->used[cell] = 1;
    k->cell = cell, k->area_row = row, k->area_kind = (signed char)kind;
    int size = kind == 2 ? 6 : v->tok;
    *x = (float)(a->box.x + 2 + (cell % a->cols) * (size + 2));
    *y = (float)(a->box.y + 2 + (cell / a->cols % a->lines) * (size + 2));
    return true;
}

static void hop_push(struct token *k, float x, float y, enum view_colour c,
                     bool arc)
{
    struct hop h = {x, y, (signed char)c, arc};
    if (k->npend == MAX_HOPS) { /* too many waiting: skip the oldest */
        memmove(k->pend, k->pend + 1, (MAX_HOPS - 1) * sizeof *k->pend);
        k->npend--;
    }
    k->pend[k->npend++] = h;
}

static void slot_point(const struct view *v, int t, float *x, float *y)
{
    const SDL_Rect *s = &v->rows[t].slot;
    *x = (float)(s->x + s->w / 2 - v->tok / 2);
    *y = (float)(s->y + s->h / 2 - v->tok / 2);
}

/* A token for an fd first seen after its accept (a live view that joined
 * late, a trace that starts mid-way): it appears in the client pool. */
static struct token *token_new(struct view *v, struct token *k, int fd,
                               int owner)
{
    if (k->live)
        cell_release(v, k);
    else
        v->live++;
    *k = (struct token){.live = true,
                        .owner = owner,
                        .cell = -1,
                        .t = 1,
                        .life = 1,
                        .area_row = -1};
    pool_point(v, fd, &k->x, &k->y);
    k->cur = (struct hop){k->x, k->y, VC_ACCEPTING, false};
    return k;
}

void view_event(struct view *v, const struct fd_event *ev)
{
    int t = ev->thread;
    if (t < 0 || t >= v->nrows)
        return;
    flow_event(&v->flow, ev); /* flow view (flow.h) */
    if (ev->kind == FD_WAKE) {
        v->rows[t].flash = 1;
        return;
    }
    if (ev->kind == FD_DROP || ev->kind == FD_WASTED ||
        ev->kind == FD_TOTAL) /* no fd moves */
        return;
    struct token *k = token_at(v, ev->fd);
    if (!k)
        return;
    float x, y;
    if (ev->kind == FD_ACCEPT) {
        token_new(v, k, ev->fd, t);
        const SDL_Rect *q = &v->rows[t].queue;
        if (q->w) /* out of the accept queue */
            k->x = (float)(q->x + q->w - v->tok), k->y = (float)q->y;
        k->cur.x = k->x, k->cur.y = k->y;
        slot_point(v, t, &x, &y);
        hop_push(k, x, y, VC_ACCEPTING, false);
        return;
    }
    if (!k->live && ev->kind == FD_CLOSE)
        return;
    if (!k->live)
        token_new(v, k, ev->fd, t);
    if (k->closing)
        return;
    switch (ev->kind) {
    case FD_HANDOFF: {
        int to = (int)ev->arg;
        if (to < 0 || to >= v->nrows)
            break;
        k->owner = to;
        if (!cell_take(v, k, to, 1, &x, &y))
            slot_point(v, to, &x, &y);
        hop_push(k, x, y, VC_FLIGHT, true);
        break;
    }
    case FD_READY:
        if (v->pool && v->rows[t].role == VIEW_LOOP) {
            if (!cell_take(v, k, 0, 2, &x, &y))
                break;
        } else if (!cell_take(v, k, t, 0, &x, &y)) {
            break;
        }
        hop_push(k, x, y, VC_READY, false);
        break;
    case FD_RECV:
    case FD_REQUEST: {
        int last = k->npend ? k->pend[k->npend - 1].c : k->cur.c;
        float sx, sy;
        slot_point(v, t, &sx, &sy);
        float lx = k->npend ? k->pend[k->npend - 1].x : k->cur.x;
        if (last == VC_SERVING && lx == sx)
            break; /* already there */
        cell_release(v, k);
        hop_push(k, sx, sy, VC_SERVING, false);
        break;
    }
    case FD_SEND: {
        int home = k->owner >= 0 && k->owner < v->nrows &&
                           holds_fds(v->rows[k->owner].role)
                       ? k->owner
                       : t;
        if (!cell_take(v, k, home, 1, &x, &y))
            break;
        hop_push(k, x, y, VC_IDLE, false);
        break;
    }
    case FD_CLOSE:
        cell_release(v, k);
        pool_point(v, ev->fd, &x, &y);
        hop_push(k, x, y, VC_CLOSING, false);
        k->closing = true;
        break;
    default:
        break;
    }
}

/* Advance a token's moves by dt wall seconds; false once it is gone. */
static bool token_advance(struct view *v, struct token *k, double dt)
{
    double step = dt / GLIDE_S * (k->npend > 1 ? k->npend : 1);
    while (step > 0) {
        if (k->t >= 1) {
            if (k->npend == 0)
                break;
            k->sx = k->x, k->sy = k->y;
            k->cur = k->pend[0];
            memmove(k->pend, k->pend + 1, (size_t)--k->npend * sizeof *k->pend);
            k->t = 0;
        }
        double need = 1 - k->t;
        k->t = (float)(step >= need ? 1 : k->t + step);
        step -= need;
        float e = k->t * k->t * (3 - 2 * k->t); /* smoothstep */
        k->x = k->sx + (k->cur.x - k->sx) * e;
        k->y = k->sy + (k->cur.y - k->sy) * e;
        if (k->cur.arc) /* a hand-off leaves its lane on an arc */
            k->x += (float)(80 * sin(M_PI * k->t));
    }
    if (k->closing && k->t >= 1 && k->npend == 0) {
        k->life -= (float)(step > 0 ? step * GLIDE_S : dt) / (float)GLIDE_S;
        if (k->life <= 0) {
            k->live = false;
            v->live--;
            return false;
        }
    }
    return true;
}

/* What colour a token shows now: a hand-off lands as idle. */
static int token_colour(const struct token *k)
{
    if (k->cur.c == VC_FLIGHT && k->t >= 1)
        return VC_IDLE;
    return k->cur.c;
}

void view_draw_tokens(struct view *v, double dt)
{
    /* Batch by colour: one SDL_RenderFillRects call per colour. */
    static SDL_Rect batch[VC_NCOLOURS][2048];
    int nb[VC_NCOLOURS] = {0};
    for (int fd = 0; fd < v->ntok; fd++) {
        struct token *k = &v->toks[fd];
        if (!k->live || !token_advance(v, k, dt) || v->aggregate ||
            flow_hides(&v->flow, fd)) /* flow view (flow.h) */
            continue;
        int c = token_colour(k);
        int s = k->area_kind == 2 && k->cell >= 0 && c == VC_READY ? 6 : v->tok;
        if (c == VC_FLIGHT)
            s = v->tok + 2; /* flights stand out */
        if (nb[c] == 2048) {
            SDL_Color col = view_colours[c];
            SDL_SetRenderDrawColor(v->ren, col.r, col.g, col.b, col.a);
            SDL_RenderFillRects(v->ren, batch[c], nb[c]);
            nb[c] = 0;
        }
        batch[c][nb[c]++] = (SDL_Rect){(int)k->x, (int)k->y, s, s};
    }
    for (int c = 0; c < VC_NCOLOURS; c++) {
        SDL_Color col = view_colours[c];
        SDL_SetRenderDrawColor(v->ren, col.r, col.g, col.b, col.a);
        SDL_RenderFillRects(v->ren, batch[c], nb[c]);
    }
}

int view_tokens(const struct view *v)
{
    return v->live;
}

int view_tokens_in(const struct view *v, enum view_colour c)
{
    int n = 0;
    for (int fd = 0; fd < v->ntok; fd++)
        n += v->toks[fd].live && token_colour(&v->toks[fd]) == (int)c;
    return n;
}

/* ---- frames, pictures, keys --------------------------------------------- */

void view_draw(struct view *v, const struct hud *hud, double dt)
{
    v->last = *hud;
    int n = hud->cores < 1024 ? hud->cores : 1024;
    if (hud->util)
        memcpy(v->util, hud->util, (size_t)n * sizeof *v->util);
    v->last.util = v->util;
    v->has_backlog = hud->backlog != NULL;
    if (hud->backlog)
        memcpy(v->backlog, hud->backlog, (size_t)v->nrows * sizeof(int));
    v->last.backlog = NULL;
    /* Strings the caller owns may not outlive this call: the redraw for a
     * PNG keeps only the numbers. */
    view_render(v, hud, dt);
    v->last.narration = v->last.message = v->last.stats = NULL;
    if (v->win)
        SDL_RenderPresent(v->ren);
}

void view_sample(struct view *v, double throughput_rps, double p99_us)
{
    if (v->nplot == PLOT_N) {
        memmove(v->plot_rps, v->plot_rps + 1, (PLOT_N - 1) * sizeof(double));
        memmove(v->plot_p99, v->plot_p99 + 1, (PLOT_N - 1) * sizeof(double));
        v->nplot--;
    }
    v->plot_rps[v->nplot] = throughput_rps;
    v->plot_p99[v->nplot++] = p99_us;
}

int view_read(struct view *v, unsigned char *rgba, char *err, size_t errlen)
{
    if (SDL_RenderReadPixels(v->ren, NULL, SDL_PIXELFORMAT_RGBA32, rgba,
                             v->w * 4) < 0) {
        set_err(err, errlen, "SDL_RenderReadPixels");
        return -1;
    }
    return 0;
}

void view_size(const struct view *v, int *w, int *h)
{
    *w = v->w, *h = v->h;
}

int view_png(struct view *v, const char *path, char *err, size_t errlen)
{
    /* A headless frame is still in the surface: read it as it was drawn.
     * A window's back buffer was presented: redraw it first. */
    if (v->win)
        view_render(v, &v->last, 0);
    unsigned char *px = malloc((size_t)v->w * (size_t)v->h * 4);
    if (!px) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (SDL_RenderReadPixels(v->ren, NULL, SDL_PIXELFORMAT_RGBA32, px,
                             v->w * 4) < 0) {
        set_err(err, errlen, "SDL_RenderReadPixels");
        free(px);
        return -1;
    }
    int ok = stbi_write_png(path, v->w, v->h, 4, px, v->w * 4);
    free(px);
    if (!ok) {
        snprintf(err, errlen, "cannot write PNG %s", path);
        return -1;
    }
    if (v->win)
        SDL_RenderPresent(v->ren);
    return 0;
}

/* ---- flow view (flow.h) ------------------------------------------------- */

void view_flow_toggle(struct view *v)
{
    flow_toggle(&v->flow);
}

void view_set_flows(struct view *v, bool flows)
{
    v->flow.mode = flows ? FLOW_FLOWS : FLOW_SQUARES;
    v->flow.on = flows;
}

bool view_flows(const struct view *v)
{
    return v->flow.on;
}

enum view_key view_poll(struct view *v)
{
    if (!v->win)
        return KEY_NONE;
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        if (e.type == SDL_QUIT)
            return KEY_QUIT;
        if (e.type != SDL_KEYDOWN)
            continue;
        switch (e.key.keysym.sym) {
        case SDLK_q:
        case SDLK_ESCAPE:
            return KEY_QUIT;
        case SDLK_SPACE:
            return KEY_PAUSE;
        case SDLK_PERIOD:
            return KEY_STEP;
        case SDLK_LEFT:
            return KEY_SLOWER;
        case SDLK_RIGHT:
            return KEY_FASTER;
        case SDLK_1:
            return KEY_ARCH1;
        case SDLK_2:
            return KEY_ARCH2;
        case SDLK_3:
            return KEY_ARCH3;
        case SDLK_4:
            return KEY_ARCH4;
        case SDLK_UP:
            return KEY_MORE_CORES;
        case SDLK_DOWN:
            return KEY_FEWER_CORES;
        case SDLK_PLUS:
        case SDLK_EQUALS:
        case SDLK_KP_PLUS:
            return KEY_MORE_CLIENTS;
        case SDLK_MINUS:
        case SDLK_KP_MINUS:
            return KEY_FEWER_CLIENTS;
        case SDLK_r:
            return KEY_RESET;
        case SDLK_s:
            return KEY_SCREENSHOT;
        case SDLK_h:
            return KEY_HELP;
        case SDLK_v: /* flow view (flow.h) */
            return KEY_FLOW;
        default:
            break;
        }
    }
    return KEY_NONE;
}

void view_close(struct view *v)
{
    if (!v)
        return;
    for (int i = 0; i < MAX_ROWS; i++) {
        free(v->rows[i].ready.used);
        free(v->rows[i].idle.used);
    }
    free(v->shared.used);
    free(v->toks);
    flow_free(&v->flow); /* flow view (flow.h) */
    for (int i = 0; i < TEXT_CACHE; i++)
        if (v->texts[i].tex)
            SDL_DestroyTexture(v->texts[i].tex);
    if (v->font)
        TTF_CloseFont(v->font);
    if (v->small)
        TTF_CloseFont(v->small);
    if (TTF_WasInit())
        TTF_Quit();
    if (v->ren)
        SDL_DestroyRenderer(v->ren);
    if (v->surface)
        SDL_FreeSurface(v->surface);
    if (v->win) {
        SDL_DestroyWindow(v->win);
        SDL_Quit();
    }
    free(v);
}
