/*
 * The view's tokens: one square per connection, moved from place to
 * place by the events it is fed (layout.c says where the places are,
 * draw.c paints them).
 *
 * An event gives its connection a move (a hop) to a place; the hops of
 * one token play in order, GLIDE_S wall seconds each (faster when several
 * wait), so every place a connection passes through is seen, even when
 * the model did several things at the same instant. The target of a hop
 * is worked out when the hop starts, so a token never reserves a cell it
 * has not reached, and a new layout (a resized window, the follow panel)
 * only moves the tokens where they are.
 *
 * A square's colour is the state of the place it is drawn in (an accept
 * queue is waiting, a CPU slot is on CPU, a ready list is ready...), never
 * a state it had or will have elsewhere; only a hand-off in flight, which
 * is between places, has a colour of its own.
 *
 * Headless runs draw into a memory surface with SDL's software renderer,
 * so no video driver, display or GPU is needed at all.
 */
#include "simulator/view/view_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulator/view/draw.h"
#include "simulator/view/drawn.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

#define FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

void view_colour_rgb(enum view_colour c, unsigned char rgb[3])
{
    SDL_Color k = view_colours[c < VC_NCOLOURS ? c : 0];
    rgb[0] = k.r, rgb[1] = k.g, rgb[2] = k.b;
}

void view_client_rgb(bool waiting, unsigned char rgb[3])
{
    SDL_Color k = view_client_colours[waiting];
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
    v->l.w = width, v->l.h = height, v->headless = headless;
    v->fol.fd = v->fol.anon = -1;
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

static struct token *followed(struct view *v);
static void tokens_resettle(struct view *v);

void view_expect(struct view *v, int connections)
{
    v->l.expect = connections > 0 ? connections : 0;
}

void view_layout(struct view *v, int threads, int cores, const int *core,
                 const enum view_role *role)
{
    view_clear(v);
    layout_compute(&v->l, v->l.w, v->l.h, threads, cores, core, role);
    flow_layout(&v->flow, v->l.nrows); /* flow view (flow.h) */
}

/* A new size or panel: places move, tokens keep their place. */
static void relayout(struct view *v)
{
    layout_redo(&v->l);
    tokens_resettle(v);
}

int view_resize(struct view *v, int width, int height, char *err, size_t errlen)
{
    width = width < 320 ? 320 : width > 7680 ? 7680 : width;
    height = height < 240 ? 240 : height > 4320 ? 4320 : height;
    if (width == v->l.w && height == v->l.h)
        return 0;
    if (v->headless) { /* a new surface, and a renderer drawing into it */
        SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, width, height, 32,
                                                        SDL_PIXELFORMAT_RGBA32);
        SDL_Renderer *r = s ? SDL_CreateSoftwareRenderer(s) : NULL;
        if (!r) {
            set_err(err, errlen, "software renderer");
            if (s)
                SDL_FreeSurface(s);
            return -1;
        }
        for (int i = 0; i < TEXT_CACHE; i++) /* the old renderer's */
            if (v->texts[i].tex) {
                SDL_DestroyTexture(v->texts[i].tex);
                v->texts[i].tex = NULL;
            }
        SDL_DestroyRenderer(v->ren);
        SDL_FreeSurface(v->surface);
        v->surface = s, v->ren = r;
        SDL_SetRenderDrawBlendMode(v->ren, SDL_BLENDMODE_NONE);
    }
    v->l.w = width, v->l.h = height;
    relayout(v);
    return 0;
}

int view_place_rect(const struct view *v, int thread, enum view_place p,
                    int rect[4])
{
    const struct layout *l = &v->l;
    SDL_Rect r = {0, 0, 0, 0};
    if (p == PLACE_SHARED)
        r = l->pool ? l->shared.box : r;
    else if (p == PLACE_LEGEND)
        r = (SDL_Rect){0, l->foot_top, l->w, l->h - l->foot_top};
    else if (p == PLACE_CLIENTS)
        r = l->clients;
    else if (p == PLACE_PANEL)
        r = l->panel;
    else if (!l->aggregate && thread >= 0 && thread < l->nrows) {
        const struct row *w = &l->rows[thread];
        r = p == PLACE_LANE           ? w->box
            : p == PLACE_ACCEPT_QUEUE ? w->queue.box
            : p == PLACE_CPU          ? w->slot
            : p == PLACE_READY        ? w->ready.box
            : p == PLACE_IDLE         ? w->idle.box
                                      : r;
    }
    rect[0] = r.x, rect[1] = r.y, rect[2] = r.w, rect[3] = r.h;
    return r.w > 0 && r.h > 0 ? 0 : -1;
}

static int copy_rects(const SDL_Rect *in, int n, int (*rects)[4], int max)
{
    int k = n < max ? n : max;
    for (int i = 0; i < k; i++) {
        rects[i][0] = in[i].x, rects[i][1] = in[i].y;
        rects[i][2] = in[i].w, rects[i][3] = in[i].h;
    }
    return k;
}

int view_text_boxes(const struct view *v, int (*rects)[4], int max)
{
    static SDL_Rect boxes[4 * MAX_ROWS + 512];
    int n = layout_texts(&v->l, boxes, (int)(sizeof boxes / sizeof *boxes));
    return copy_rects(boxes, n, rects, max);
}

int view_square_places(const struct view *v, int (*rects)[4], int max)
{
    static SDL_Rect boxes[4 * MAX_ROWS + 8];
    int n = layout_places(&v->l, boxes, (int)(sizeof boxes / sizeof *boxes));
    return copy_rects(boxes, n, rects, max);
}

/* ---- tokens ------------------------------------------------------------ */

void view_clear(struct view *v)
{
    free(v->toks);
    free(v->anon);
    free(v->anon_free);
    v->toks = v->anon = NULL;
    v->anon_free = NULL;
    v->ntok = v->nanon = v->nanon_free = v->live = 0;
    v->arrivals = false;
    for (int i = 0; i < MAX_ROWS; i++)
        v->arr[i].head = v->arr[i].len = 0;
    v->nplot = 0;
    v->has_said = false;
    bool panel = v->l.panel_on;
    v->fol = (struct follow){.fd = -1, .anon = -1};
    v->l.panel_on = false;
    if (panel)
        layout_redo(&v->l);
    struct area *areas[] = {&v->l.shared};
    for (size_t j = 0; j < 1; j++)
        if (areas[j]->used)
            memset(areas[j]->used, 0, (size_t)areas[j]->cap),
                areas[j]->over = 0;
    for (int i = 0; i < v->l.nrows; i++) {
        struct area *a[] = {&v->l.rows[i].queue, &v->l.rows[i].ready,
                            &v->l.rows[i].idle};
        for (int j = 0; j < 3; j++)
            if (a[j]->used)
                memset(a[j]->used, 0, (size_t)a[j]->cap), a[j]->over = 0;
    }
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

/* A free slot for a token with no fd (an arrival, or a closing token
 * whose fd was given to a new connection). -1 when out of memory. */
static int anon_new(struct view *v)
{
    if (v->nanon_free > 0)
        return v->anon_free[--v->nanon_free];
    int n = v->nanon ? v->nanon * 2 : 64;
    struct token *grown = realloc(v->anon, (size_t)n * sizeof *grown);
    if (!grown)
        return -1;
    v->anon = grown;
    int *fgrown = realloc(v->anon_free, (size_t)n * sizeof *fgrown);
    if (!fgrown)
        return -1;
    v->anon_free = fgrown;
    memset(grown + v->nanon, 0, (size_t)(n - v->nanon) * sizeof *grown);
    int first = v->nanon;
    for (int i = n - 1; i > first; i--) /* the lowest first */
        v->anon_free[v->nanon_free++] = i;
    v->nanon = n;
    return first;
}

/* An anon slot is free again (its token went, or became an fd's). */
static void anon_release(struct view *v, int a)
{
    v->anon[a].live = false;
    if (v->nanon_free < v->nanon)
        v->anon_free[v->nanon_free++] = a;
}

static bool arrivals_push(struct arrivals *a, int idx)
{
    if (a->len == a->cap) {
        int n = a->cap ? a->cap * 2 : 64;
        int *grown = malloc((size_t)n * sizeof *grown);
        if (!grown)
            return false;
        for (int i = 0; i < a->len; i++)
            grown[i] = a->items[(a->head + i) % a->cap];
        free(a->items);
        a->items = grown, a->cap = n, a->head = 0;
    }
    a->items[(a->head + a->len++) % a->cap] = idx;
    return true;
}

static int arrivals_pop(struct arrivals *a)
{
    if (a->len == 0)
        return -1;
    int idx = a->items[a->head];
    a->head = (a->head + 1) % a->cap;
    a->len--;
    return idx;
}

/* A point in the client column for a connection (scattered, stable). */
static void pool_point(const struct view *v, int id, float *x, float *y)
{
    const SDL_Rect *c = &v->l.clients;
    unsigned h = (unsigned)id * 2654435761u;
    int s = v->l.tok;
    /* With the clients known, a connection leaves from (and returns to) a
     * client's mark: the tour's trail began at a blank spot under them. */
    struct client_marks m = layout_client_marks(&v->l, v->l.expect);
    if (m.marks > 0) {
        SDL_Rect r =
            layout_client_mark(&v->l, &m, (int)(h % (unsigned)m.marks));
        *x = (float)(r.x + r.w / 2 - s / 2);
        *y = (float)(r.y + r.h / 2 - s / 2);
        return;
    }
    *x = (float)(c->x + 2 +
                 (int)(h % (unsigned)(c->w > s + 4 ? c->w - s - 4 : 1)));
    *y =
        (float)(c->y + 2 +
                (int)((h >> 12) % (unsigned)(c->h > s + 4 ? c->h - s - 4 : 1)));
}

static struct area *area_of(struct view *v, int place, int row)
{
    if (place == PLACE_SHARED)
        return &v->l.shared;
    if (row < 0 || row >= v->l.nrows)
        return NULL;
    struct row *r = &v->l.rows[row];
    return place == PLACE_ACCEPT_QUEUE ? &r->queue
           : place == PLACE_READY      ? &r->ready
           : place == PLACE_IDLE       ? &r->idle
                                       : NULL;
}

static void cell_point(const struct area *a, int cell, float *x, float *y)
{
    *x = (float)(a->box.x + 2 + (cell % a->cols) * (a->size + 2));
    *y = (float)(a->box.y + 2 + (cell / a->cols % a->lines) * (a->size + 2));
}

/* A token's name in an area's cell map: its fd, or -1 - its anon slot
 * (an index, not a pointer: both arrays move when they grow). */
static int token_id(const struct view *v, const struct token *k)
{
    if (v->toks && k >= v->toks && k < v->toks + v->ntok)
        return (int)(k - v->toks);
    return -1 - (int)(k - v->anon);
}

static struct token *token_of(struct view *v, int id)
{
    if (id >= 0)
        return id < v->ntok ? &v->toks[id] : NULL;
    return -1 - id < v->nanon ? &v->anon[-1 - id] : NULL;
}

/* An accept queue, a ready list and the shared queue are FIFOs, drawn as
 * such; an interest set is a set. */
static bool place_is_queue(int place)
{
    return place == PLACE_ACCEPT_QUEUE || place == PLACE_READY ||
           place == PLACE_SHARED;
}

/* Put a token in a cell: it goes on gliding there if it is on its way,
 * and steps there if it was at rest. */
static void cell_give(struct view *v, struct area *a, int cell, struct token *m)
{
    a->used[cell] = 1;
    a->who[cell] = token_id(v, m);
    m->cell = cell;
    cell_point(a, cell, &m->tx, &m->ty);
    if (m->t >= 1)
        m->x = m->sx = m->tx, m->y = m->sy = m->ty;
}

/* A live token that shares an area's last cell without being the one
 * that holds it (the area has more tokens than cells). */
static struct token *overflow_token(struct view *v, const struct area *a,
                                    int place, int row)
{
    int holder = a->who[a->cap - 1];
    for (int pass = 0; pass < 2; pass++) {
        int n = pass ? v->nanon : v->ntok;
        for (int i = 0; i < n; i++) {
            struct token *k = pass ? &v->anon[i] : &v->toks[i];
            if (k->live && k->cell == a->cap - 1 && k->area_place == place &&
                k->area_row == row && token_id(v, k) != holder)
                return k;
        }
    }
    return NULL;
}

/* A token leaves its cell. In a queue every token behind it moves one
 * cell forward, as in the queue itself: a FIFO drawn with holes where
 * the served ones were, or with a newcomer in front of older ones, says
 * something false. When more tokens wait than the area has cells, the
 * extra ones share the last cell, and one of them takes the cell that
 * frees up: an area that holds more than it can draw stays full on
 * screen instead of showing one square for a queue of 45. */
static void cell_release(struct view *v, struct token *k)
{
    struct area *a = area_of(v, k->area_place, k->area_row);
    int cell = k->cell;
    k->cell = -1;
    if (!a || cell < 0 || cell >= a->cap)
        return;
    if (a->who[cell] != token_id(v, k)) { /* it only shared the last cell */
        a->over -= a->over > 0;
        return;
    }
    int empty = cell;
    if (place_is_queue(k->area_place))
        for (; empty + 1 < a->cap && a->used[empty + 1]; empty++) {
            struct token *m = token_of(v, a->who[empty + 1]);
            if (!m)
                break;
            cell_give(v, a, empty, m);
        }
    struct token *m =
        a->over > 0 ? overflow_token(v, a, k->area_place, k->area_row) : NULL;
    if (m) {
        a->over--;
        cell_give(v, a, empty, m);
        return;
    }
    a->over = 0;
    a->used[empty] = 0;
}

/* A token was copied to another slot (an arrival got its fd, a closing
 * fd became a ghost): the cell it holds names the copy. */
static void cell_rename(struct view *v, struct token *k, int old_id)
{
    struct area *a = area_of(v, k->area_place, k->area_row);
    if (a && k->cell >= 0 && k->cell < a->cap && a->who[k->cell] == old_id)
        a->who[k->cell] = token_id(v, k);
}

/* Take a cell in an area: the first free one, which in a queue is its
 * end. False if the area is not drawn. */
static bool cell_take(struct view *v, struct token *k, int place, int row,
                      float *x, float *y, int *size)
{
    struct area *a = area_of(v, place, row);
    cell_release(v, k);
    if (!a || a->cap == 0)
        return false;
    int cell = a->cap - 1; /* overflow shares the last cell */
    for (int i = 0; i < a->cap; i++)
        if (!a->used[i]) {
            cell = i;
            break;
        }
    k->cell = cell, k->area_row = row, k->area_place = (signed char)place;
    if (a->used[cell])
        a->over++;
    else
        a->used[cell] = 1, a->who[cell] = token_id(v, k);
    *size = a->size;
    cell_point(a, cell, x, y);
    return true;
}

static void slot_point(const struct view *v, int t, int size, float *x,
                       float *y)
{
    const SDL_Rect *s = &v->l.rows[t].slot;
    *x = (float)(s->x + s->w / 2 - size / 2);
    *y = (float)(s->y + s->h / 2 - size / 2);
}

/* Where a hop ends (its cell is taken now, as it starts). */
static void hop_target(struct view *v, struct token *k, const struct hop *h,
                       int id)
{
    float x = k->x, y = k->y;
    int size = v->l.tok;
    bool ok = false;
    switch (h->place) {
    case PLACE_ACCEPT_QUEUE:
    case PLACE_READY:
    case PLACE_IDLE:
    case PLACE_SHARED:
        ok = cell_take(v, k, h->place, h->row, &x, &y, &size);
        break;
    case PLACE_CLIENTS:
        cell_release(v, k);
        pool_point(v, id, &x, &y);
        ok = true;
        break;
    default:
        break;
    }
    if (!ok && h->row >= 0 && h->row < v->l.nrows) {
        /* the CPU, or a place too small to be drawn: the thread's slot */
        cell_release(v, k);
        size = v->l.tok;
        slot_point(v, h->row, size, &x, &y);
    }
    k->tx = x, k->ty = y, k->size = size;
}

static void hop_push(struct token *k, int place, int row, enum view_colour c,
                     bool arc, const struct fd_event *ev, bool said)
{
    struct hop h = {
        (signed char)place, (signed char)c, arc, said, (short)row, *ev};
    if (k->npend == MAX_HOPS) { /* too many waiting: skip the oldest */
        memmove(k->pend, k->pend + 1, (MAX_HOPS - 1) * sizeof *k->pend);
        k->npend--;
    }
    k->pend[k->npend++] = h;
}

/* A new token, drawn at x, y and resting there. */
static void token_init(struct view *v, struct token *k, int fd, int owner,
                       float x, float y)
{
    if (k->live)
        cell_release(v, k);
    else
        v->live++;
    *k = (struct token){.live = true,
                        .owner = owner,
                        .fd = fd,
                        .cell = -1,
                        .area_row = -1,
                        .area_place = PLACE_NONE,
                        .size = v->l.tok,
                        .t = 1,
                        .life = 1};
    k->x = k->sx = k->tx = x, k->y = k->sy = k->ty = y;
    k->cur = (struct hop){.place = PLACE_CLIENTS, .c = VC_BACKLOG, .row = -1};
    k->from_place = PLACE_CLIENTS, k->from_row = -1, k->from_c = VC_BACKLOG;
}

/* The token an fd's event is about, moving a closing token that still
 * has moves to play out of the way when its fd is given again. */
static struct token *token_for_accept(struct view *v, int fd)
{
    struct token *k = token_at(v, fd);
    if (!k || !k->live)
        return k;
    /* Only the followed connection plays its last moves out as a ghost:
     * at speed, thousands of ghosts would pile up behind the model. */
    bool keep = v->fol.fd == fd && !v->fol.done;
    if (!keep || (k->npend == 0 && k->t >= 1 && !k->closing)) {
        cell_release(v, k);
        k->live = false;
        v->live--;
        return k;
    }
    int a = anon_new(v);
    k = token_at(v, fd); /* anon_new does not move toks, but be plain */
    if (a < 0) {
        cell_release(v, k);
        k->live = false;
        v->live--;
        return k;
    }
    v->anon[a] = *k; /* its cell goes with it */
    cell_rename(v, &v->anon[a], fd);
    if (v->fol.fd == fd && !v->fol.done)
        v->fol.fd = -1, v->fol.anon = a;
    k->live = false; /* the count stays: the ghost is still on screen */
    return k;
}

static struct token *followed(struct view *v)
{
    if (v->fol.anon >= 0 && v->fol.anon < v->nanon)
        return &v->anon[v->fol.anon];
    if (v->fol.fd >= 0 && v->fol.fd < v->ntok && !v->fol.done)
        return &v->toks[v->fol.fd];
    return NULL;
}

/* Short words for the follow panel. */
static void hop_words(const struct hop *h, bool arrived, char *out, size_t len)
{
    const struct fd_event *e = &h->ev;
    switch (e->kind) {
    case FD_ARRIVE:
        if (arrived)
            snprintf(out, len, "queued in t%d's accept queue", e->thread);
        else
            snprintf(out, len, "arrived (a client connects)");
        break;
    case FD_ACCEPT:
        snprintf(out, len, "accepted by t%d: fd %d", e->thread, e->fd);
        break;
    case FD_HANDOFF:
        snprintf(out, len, "handed to t%ld: epoll_ctl(ADD)", e->arg);
        break;
    case FD_READY:
        snprintf(out, len, "ready in t%d's ready list", e->thread);
        break;
    case FD_RECV:
        snprintf(out, len, "on CPU: t%d reads it", e->thread);
        break;
    case FD_REQUEST:
        snprintf(out, len, "parsed by t%d", e->thread);
        break;
    case FD_SEND:
        snprintf(out, len, "answered; idle in the interest set");
        break;
    case FD_CLOSE:
        snprintf(out, len, "closed by t%d", e->thread);
        break;
    default:
        snprintf(out, len, "%s", fd_kind_name(e->kind));
        break;
    }
}

static void follow_log(struct view *v, const struct hop *h, bool arrived)
{
    struct follow *f = &v->fol;
    if (f->nlog == MAX_LOG) {
        memmove(f->log, f->log + 1, (MAX_LOG - 1) * sizeof *f->log);
        f->nlog--;
    }
    f->log[f->nlog].t_ns = h->ev.t_ns;
    hop_words(h, arrived, f->log[f->nlog].text, sizeof f->log[0].text);
    f->nlog++;
}

static void follow_point(struct view *v, const struct token *k)
{
    struct follow *f = &v->fol;
    SDL_Point p = {(int)k->x + k->size / 2, (int)k->y + k->size / 2};
    if (f->ntrail && f->trail[f->ntrail - 1].x == p.x &&
        f->trail[f->ntrail - 1].y == p.y)
        return;
    if (f->ntrail == MAX_TRAIL) {
        memmove(f->trail, f->trail + 1, (MAX_TRAIL - 1) * sizeof *f->trail);
        memmove(f->handed, f->handed + 1, (MAX_TRAIL - 1) * sizeof *f->handed);
        f->ntrail--;
    }
    f->handed[f->ntrail] = k->cur.arc && k->t >= 1;
    f->trail[f->ntrail++] = p;
}

/* Show or hide the follow panel: the lanes make room for it. */
static void panel_show(struct view *v, bool on)
{
    if (v->l.panel_on == on)
        return;
    v->l.panel_on = on;
    relayout(v);
}

void view_follow_next(struct view *v)
{
    v->fol = (struct follow){.pending = true, .fd = -1, .anon = -1};
    panel_show(v, true);
}

void view_follow_stop(struct view *v)
{
    v->fol = (struct follow){.fd = -1, .anon = -1};
    panel_show(v, false);
}

static bool token_hit(const struct token *k, int x, int y)
{
    int pad = 3;
    return k->live && x >= (int)k->x - pad && x < (int)k->x + k->size + pad &&
           y >= (int)k->y - pad && y < (int)k->y + k->size + pad;
}

bool view_follow_at(struct view *v, int x, int y)
{
    for (int fd = 0; fd < v->ntok; fd++)
        if (token_hit(&v->toks[fd], x, y) && !v->toks[fd].closing) {
            v->fol = (struct follow){.fd = fd, .anon = -1};
            follow_point(v, &v->toks[fd]);
            panel_show(v, true);
            return true;
        }
    for (int a = 0; a < v->nanon; a++)
        if (token_hit(&v->anon[a], x, y) && v->anon[a].fd < 0) {
            v->fol = (struct follow){.fd = -1, .anon = a};
            follow_point(v, &v->anon[a]);
            panel_show(v, true);
            return true;
        }
    return false;
}

bool view_following(const struct view *v)
{
    return v->fol.pending || v->fol.fd >= 0 || v->fol.anon >= 0;
}

bool view_follow_settled(const struct view *v)
{
    struct token *k = followed((struct view *)v);
    return !k || (k->npend == 0 && k->t >= 1);
}

bool view_follow_done(const struct view *v)
{
    return v->fol.done;
}

int view_follow_fd(const struct view *v)
{
    return v->fol.fd;
}

const char *view_follow_hop(const struct view *v, int i, int64_t *t_ns)
{
    if (i < 0 || i >= v->fol.nlog)
        return NULL;
    if (t_ns)
        *t_ns = v->fol.log[i].t_ns;
    return v->fol.log[i].text;
}

void view_set_narrator(struct view *v, view_narrate_fn fn)
{
    v->narrate = fn;
}

bool view_said(const struct view *v, char *out, size_t len)
{
    if (!v->has_said || !v->narrate)
        return false;
    v->narrate(&v->said, out, len);
    return true;
}

void view_set_follow_glide(struct view *v, double seconds)
{
    v->follow_glide_s = seconds > 0 ? seconds : 0;
}

static bool is_followed(struct view *v, const struct token *k)
{
    return k && k == followed(v);
}

/* An arrival: a new token leaves the client column for the accept queue. */
static bool arrive(struct view *v, const struct fd_event *ev)
{
    int t = ev->thread;
    v->arrivals = true;
    int a = anon_new(v);
    if (a < 0 || !arrivals_push(&v->arr[t], a))
        return false;
    struct token *k = &v->anon[a];
    float x, y;
    pool_point(v, (int)ev->arg, &x, &y);
    token_init(v, k, -1, t, x, y);
    hop_push(k, PLACE_ACCEPT_QUEUE, t, VC_BACKLOG, false, ev, true);
    if (v->fol.pending) {
        v->fol.pending = false;
        v->fol.anon = a;
        follow_point(v, k);
        follow_log(v, &k->pend[0], false);
        return true;
    }
    return false;
}

static bool accept_fd(struct view *v, const struct fd_event *ev)
{
    int t = ev->thread;
    struct token *k = token_for_accept(v, ev->fd);
    if (!k)
        return false;
    int a = arrivals_pop(&v->arr[t]);
    bool fol = false;
    if (a >= 0 && a < v->nanon && v->anon[a].live) {
        *k = v->anon[a];
        anon_release(v, a);
        k->fd = ev->fd;
        cell_rename(v, k, -1 - a);
        if (v->fol.anon == a)
            v->fol.anon = -1, v->fol.fd = ev->fd, fol = true;
    } else { /* no arrival drawn (a trace): it appears at the queue */
        const SDL_Rect *q = &v->l.rows[t].queue.box;
        float x, y;
        pool_point(v, ev->fd, &x, &y);
        if (q->w)
            x = (float)(q->x + q->w - v->l.tok), y = (float)q->y;
        token_init(v, k, ev->fd, t, x, y);
        if (v->fol.pending) {
            v->fol = (struct follow){.fd = ev->fd, .anon = -1};
            follow_point(v, k);
            fol = true;
        }
    }
    k->owner = t;
    hop_push(k, PLACE_CPU, t, VC_ACCEPTING, false, ev, true);
    return fol;
}

bool view_event(struct view *v, const struct fd_event *ev)
{
    int t = ev->thread;
    if (t < 0 || t >= v->l.nrows)
        return false;
    flow_event(&v->flow, ev); /* flow view (flow.h) */
    switch (ev->kind) {
    case FD_WAKE:
    case FD_DROP:
    case FD_WASTED:
    case FD_TOTAL: /* flow view (flow.h): no fd moves */
        return false;
    case FD_ARRIVE:
        return arrive(v, ev);
    case FD_ACCEPT:
        return accept_fd(v, ev);
    default:
        break;
    }
    struct token *k = token_at(v, ev->fd);
    if (!k || (!k->live && ev->kind == FD_CLOSE))
        return false;
    if (!k->live) { /* first seen mid-way (a trace): from the clients */
        float x, y;
        pool_point(v, ev->fd, &x, &y);
        token_init(v, k, ev->fd, t, x, y);
    }
    if (k->closing)
        return false;
    int home = k->owner >= 0 && k->owner < v->l.nrows &&
                       layout_holds_fds(v->l.rows[k->owner].role)
                   ? k->owner
                   : t;
    switch (ev->kind) {
    case FD_HANDOFF: {
        int to = (int)ev->arg;
        if (to < 0 || to >= v->l.nrows)
            return false;
        k->owner = to;
        hop_push(k, PLACE_IDLE, to, VC_FLIGHT, true, ev, true);
        break;
    }
    case FD_READY:
        if (v->l.pool && v->l.rows[t].role == VIEW_LOOP)
            hop_push(k, PLACE_SHARED, t, VC_READY, false, ev, true);
        else
            hop_push(k, PLACE_READY, t, VC_READY, false, ev, true);
        break;
    case FD_RECV:
    case FD_REQUEST:
        hop_push(k, PLACE_CPU, t, VC_SERVING, false, ev, true);
        break;
    case FD_SEND:
        hop_push(k, PLACE_IDLE, home, VC_IDLE, false, ev, true);
        break;
    case FD_CLOSE: /* close() runs on the CPU; the square fades there */
        hop_push(k, PLACE_CPU, t, VC_CLOSING, false, ev, true);
        k->closing = true;
        break;
    default:
        return false;
    }
    return is_followed(v, k);
}

/* A hop starts: say it (the followed connection's, or any when none is
 * followed) while the square makes the move. Said as it ended, the
 * tour's hand-off flew under "t0 accepts a connection: fd 5" and was
 * named only once the square sat idle in t1's interest set: the flight
 * the staged design is about was never on screen with its name. */
static void hop_started(struct view *v, struct token *k)
{
    if (!k->cur.said)
        return;
    bool fol = is_followed(v, k);
    if (fol)
        follow_log(v, &k->cur, true);
    if (fol || !view_following(v)) {
        v->said = k->cur.ev;
        v->has_said = true;
    }
}

/* A hop ended: mark the trail where the followed square landed. */
static void hop_ended(struct view *v, struct token *k)
{
    if (!k->cur.said)
        return;
    k->cur.said = false;
    if (is_followed(v, k)) {
        follow_point(v, k);
        if (k->cur.ev.kind == FD_CLOSE)
            v->fol.done = true;
    }
}

/* Wall seconds one hop of this token takes: the followed one's may be
 * slower (view_set_follow_glide). */
static double glide_s(struct view *v, const struct token *k)
{
    return v->follow_glide_s > 0 && is_followed(v, k) ? v->follow_glide_s
                                                      : GLIDE_S;
}

/* How far right a hand-off's arc swings: 80 pixels, or what its lane
 * leaves of them (at 640x360 the tour's fd 5 swung off the lanes and
 * flew hidden behind the follow panel). */
static float arc_room(const struct view *v, const struct token *k)
{
    int row = k->cur.row;
    if (row < 0 || row >= v->l.nrows)
        return 0;
    const SDL_Rect *b = &v->l.rows[row].box;
    float room = (float)(b->x + b->w - k->size) - fmaxf(k->sx, k->tx);
    return room < 0 ? 0 : room > 80 ? 80 : room;
}

/* Advance a token's moves by dt wall seconds; false once it is gone. */
static bool token_advance(struct view *v, struct token *k, int id, double dt)
{
    double step = dt / glide_s(v, k) * (k->npend > 1 ? k->npend : 1);
    while (step > 0) {
        if (k->t >= 1) {
            if (k->npend == 0)
                break;
            k->sx = k->x, k->sy = k->y;
            k->from_place = k->cur.place, k->from_row = k->cur.row;
            k->from_c = k->cur.c;
            k->cur = k->pend[0];
            memmove(k->pend, k->pend + 1, (size_t)--k->npend * sizeof *k->pend);
            k->t = 0;
            hop_target(v, k, &k->cur, id);
            hop_started(v, k);
        }
        double need = 1 - k->t;
        k->t = (float)(step >= need ? 1 : k->t + step);
        step -= need;
        float e = k->t * k->t * (3 - 2 * k->t); /* smoothstep */
        k->x = k->sx + (k->tx - k->sx) * e;
        k->y = k->sy + (k->ty - k->sy) * e;
        if (k->cur.arc) /* a hand-off leaves its lane on an arc */
            k->x += (float)(arc_room(v, k) * sin(M_PI * k->t));
        if (k->t >= 1)
            hop_ended(v, k);
    }
    if (k->closing && k->t >= 1 && k->npend == 0) {
        k->life -= (float)(dt / FADE_S);
        if (k->life <= 0) {
            cell_release(v, k);
            k->live = false;
            v->live--;
            return false;
        }
    }
    return true;
}

/* After a new layout: tokens at rest go to the same kind of place. */
static void tokens_resettle(struct view *v)
{
    for (int pass = 0; pass < 2; pass++) {
        struct token *arr = pass ? v->anon : v->toks;
        int n = pass ? v->nanon : v->ntok;
        for (int i = 0; i < n; i++) {
            struct token *k = &arr[i];
            k->cell = -1; /* the areas were emptied */
            if (!k->live)
                continue;
            hop_target(v, k, &k->cur, pass ? -1 - i : i);
            if (k->t >= 1)
                k->x = k->sx = k->tx, k->y = k->sy = k->ty;
            else
                k->sx = k->x, k->sy = k->y;
        }
    }
}

int view_tokens(const struct view *v)
{
    return v->live;
}

int view_tokens_in(const struct view *v, enum view_colour c)
{
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        const struct token *arr = pass ? v->anon : v->toks;
        int len = pass ? v->nanon : v->ntok;
        bool hollow;
        for (int i = 0; i < len; i++)
            n +=
                arr[i].live && view_token_colour(v, &arr[i], &hollow) == (int)c;
    }
    return n;
}

bool view_core_busy(const struct view *v, int c)
{
    return c >= 0 && c < 1024 && v->busy[c];
}

/* Advance every token, and note which cores' slots hold one. */
static void tokens_advance(struct view *v, double dt)
{
    memset(v->busy, 0, sizeof v->busy);
    memset(v->counts, 0, sizeof v->counts);
    for (int pass = 0; pass < 2; pass++) {
        int n = pass ? v->nanon : v->ntok;
        for (int i = 0; i < n; i++) {
            struct token *k = pass ? &v->anon[i] : &v->toks[i];
            if (!k->live)
                continue;
            if (!token_advance(v, k, pass ? -1 - i : i, dt)) {
                if (pass)
                    anon_release(v, i);
                continue;
            }
            bool hollow;
            int c = view_token_colour(v, k, &hollow);
            v->counts[c]++;
            /* A square in a CPU slot, or on its way into one, makes its
             * core busy now: the model's thread began the job when the
             * move began, the square only catches up over a few frames
             * (without this, chapter 4's accept core, the bottleneck,
             * showed an empty bar while its square glided in). One
             * leaving the slot no longer counts: the job is done. */
            bool moving = k->t < 1;
            float cx = moving ? k->tx : k->x, cy = moving ? k->ty : k->y;
            int to_c = moving ? k->cur.c : c; /* its colour where it goes */
            if (!hollow && (to_c == VC_ACCEPTING || to_c == VC_SERVING ||
                            to_c == VC_CLOSING)) {
                int t;
                if (layout_place_at(&v->l, (int)cx + k->size / 2,
                                    (int)cy + k->size / 2, &t) == PLACE_CPU &&
                    t >= 0) {
                    int core = v->l.rows[t].core;
                    if (core < 1024)
                        v->busy[core] = true;
                }
            }
        }
    }
}

/* ---- what was drawn ---------------------------------------------------- */

int view_items(const struct view *v, const struct view_item **items)
{
    *items = v->items;
    return v->nitems;
}

/* ---- frames, pictures, keys --------------------------------------------- */

void view_draw(struct view *v, const struct hud *hud, double dt)
{
    if (v->win) {
        int w, h;
        SDL_GetRendererOutputSize(v->ren, &w, &h);
        if (w != v->l.w || h != v->l.h) {
            v->l.w = w, v->l.h = h;
            relayout(v);
        }
    }
    tokens_advance(v, dt);
    v->flow.room = layout_room_for_flows(&v->l);
    /* Paused, the flows keep their rates: no wall time passes for them
     * (after a second with no event they fell to 0/s on every arrow). */
    flow_tick(&v->flow, hud->paused ? 0 : dt);
    v->last = *hud;
    int n = hud->cores < 1024 ? hud->cores : 1024;
    if (hud->util)
        memcpy(v->util, hud->util, (size_t)n * sizeof *v->util);
    v->last.util = v->util;
    v->has_backlog = hud->backlog != NULL;
    if (hud->backlog)
        memcpy(v->backlog, hud->backlog, (size_t)v->l.nrows * sizeof(int));
    v->last.backlog = NULL;
    v->nitems = 0;
    draw_frame(v, hud);
    /* Strings the caller owns may not outlive this call: the redraw for a
     * PNG draws copies. */
    const char **keep[4] = {&v->last.narration, &v->last.message,
                            &v->last.stats, &v->last.card};
    for (int i = 0; i < 4; i++)
        if (*keep[i]) {
            snprintf(v->last_text[i], sizeof v->last_text[i], "%s", *keep[i]);
            *keep[i] = v->last_text[i];
        }
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
                             v->l.w * 4) < 0) {
        set_err(err, errlen, "SDL_RenderReadPixels");
        return -1;
    }
    return 0;
}

void view_size(const struct view *v, int *w, int *h)
{
    *w = v->l.w, *h = v->l.h;
}

void view_click(const struct view *v, int *x, int *y)
{
    *x = v->click_x, *y = v->click_y;
}

int view_png(struct view *v, const char *path, char *err, size_t errlen)
{
    /* A headless frame is still in the surface: read it as it was drawn.
     * A window's back buffer was presented: redraw it first. */
    if (v->win) {
        v->nitems = 0;
        draw_frame(v, &v->last);
    }
    int w = v->l.w, h = v->l.h;
    unsigned char *px = malloc((size_t)w * (size_t)h * 4);
    if (!px) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (SDL_RenderReadPixels(v->ren, NULL, SDL_PIXELFORMAT_RGBA32, px, w * 4) <
        0) {
        set_err(err, errlen, "SDL_RenderReadPixels");
        free(px);
        return -1;
    }
    int ok = stbi_write_png(path, w, h, 4, px, w * 4);
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

bool view_flow_toggle(struct view *v)
{
    flow_toggle(&v->flow);
    return layout_room_for_flows(&v->l) || v->flow.mode != FLOW_FLOWS;
}

void view_set_flows(struct view *v, bool flows)
{
    v->flow.mode = flows ? FLOW_FLOWS : FLOW_SQUARES;
    v->flow.on = flows;
}

void view_measure_flows(struct view *v)
{
    flow_measure_now(&v->flow);
}

double view_flow_accept_rate(const struct view *v, int t)
{
    return t >= 0 && t < v->flow.threads ? v->flow.thread[t].accept_rps : 0;
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
        /* The window is resizable: the layout follows it (it stayed at
         * the size it opened at, cropped or beside a black margin). */
        if (e.type == SDL_WINDOWEVENT &&
            e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            char err[128];
            if (view_resize(v, e.window.data1, e.window.data2, err,
                            sizeof err) < 0)
                fprintf(stderr, "fastsim: %s\n", err);
            continue;
        }
        if (e.type == SDL_MOUSEBUTTONDOWN &&
            e.button.button == SDL_BUTTON_LEFT) {
            v->click_x = e.button.x, v->click_y = e.button.y;
            return KEY_CLICK;
        }
        if (e.type != SDL_KEYDOWN)
            continue;
        SDL_Keycode sym = e.key.keysym.sym;
        /* A held key repeats: fine for speed, not for pictures or toggles. */
        if (e.key.repeat && sym != SDLK_LEFT && sym != SDLK_RIGHT &&
            sym != SDLK_PERIOD)
            continue;
        switch (sym) {
        case SDLK_q:
            return KEY_QUIT;
        case SDLK_ESCAPE:
            return KEY_ESCAPE;
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
        case SDLK_f:
            return KEY_FOLLOW;
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
    layout_free(&v->l);
    for (int i = 0; i < MAX_ROWS; i++)
        free(v->arr[i].items);
    free(v->toks);
    flow_free(&v->flow); /* flow view (flow.h) */
    free(v->anon);
    free(v->anon_free);
    free(v->items);
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
