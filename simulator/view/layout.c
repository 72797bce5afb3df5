/*
 * The window's geometry, top to bottom:
 *
 *   +-- HUD: four lines of text, CPU bars | plot ------------------------+
 *   | clients |  [pool only: shared queue 12 | lock | . . . . . . . ]    |
 *   | column  | core 0 | t0 accept  [queue] [cpu]             | follow   |
 *   |         | core 1 | t1 request  [cpu] [ready] [interest] | panel    |
 *   +-- legend: a swatch and a word per colour; the keys ----------------+
 *
 * Every text gets a box of its own here, and draw.c never draws outside
 * it: so a layout whose boxes do not overlap draws a picture whose texts
 * do not overlap. Boxes that do not fit are left empty (w 0), and their
 * text is not drawn.
 */
#include "simulator/view/layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct client_marks layout_client_marks(const struct layout *l, int n)
{
    struct client_marks m = {.size = 8, .per = 1};
    SDL_Rect c = l->clients;
    while (m.size > 2 && (c.w / (m.size + 1)) * (c.h / (m.size + 1)) < n)
        m.size--;
    m.cols = c.w / (m.size + 1);
    int lines = c.h / (m.size + 1);
    if (n <= 0 || m.cols <= 0 || lines <= 0)
        return (struct client_marks){0};
    m.per = (n + m.cols * lines - 1) / (m.cols * lines);
    m.marks = (n + m.per - 1) / m.per;
    return m;
}

SDL_Rect layout_client_mark(const struct layout *l,
                            const struct client_marks *m, int i)
{
    int cols = m->cols > 0 ? m->cols : 1;
    return (SDL_Rect){l->clients.x + (i % cols) * (m->size + 1),
                      l->clients.y + (i / cols) * (m->size + 1), m->size,
                      m->size};
}

bool layout_accepts(enum view_role r)
{
    return r == VIEW_ACCEPT || r == VIEW_BOTH || r == VIEW_LOOP;
}

bool layout_room_for_flows(const struct layout *l)
{
    if (l->aggregate || l->nrows == 0)
        return false;
    for (int i = 0; i < l->nrows; i++)
        if (l->rows[i].box.h < LAYOUT_FLOW_ROW_H)
            return false;
    return true;
}

bool layout_holds_fds(enum view_role r)
{
    return r == VIEW_REQUEST || r == VIEW_BOTH || r == VIEW_LOOP;
}

int layout_area_count(const struct area *a)
{
    int n = a->over;
    for (int i = 0; i < a->cap; i++)
        n += a->used[i];
    return n;
}

static void area_set(struct area *a, SDL_Rect box, int size)
{
    if (box.w < 0 || box.h < 0)
        box = (SDL_Rect){0, 0, 0, 0};
    a->box = box, a->size = size;
    int cols = box.w > 2 + size ? (box.w - 2) / (size + 2) : 0;
    int lines = box.h > 2 + size ? (box.h - 2) / (size + 2) : 0;
    int cap = cols > 0 && lines > 0 ? cols * lines : 0;
    if (cap != a->cap) {
        free(a->used);
        free(a->who);
        a->used = cap ? calloc((size_t)cap, 1) : NULL;
        a->who = cap ? calloc((size_t)cap, sizeof *a->who) : NULL;
        a->cap = a->used && a->who ? cap : 0;
    } else if (a->used) {
        memset(a->used, 0, (size_t)cap);
    }
    a->over = 0;
    a->cols = cols, a->lines = lines;
}

static const SDL_Rect none = {0, 0, 0, 0};

/* The right edge of the lanes: the follow panel takes the rest. */
static int lanes_right(const struct layout *l)
{
    return l->panel_on ? l->panel.x - 6 : l->w - 10;
}

static void place_footer(struct layout *l)
{
    int per = (l->w - 20) / LEGEND_W;
    per = per < 1 ? 1 : per;
    int legend_lines = (VC_NCOLOURS + per - 1) / per;
    bool wide_keys = l->w >= 900;
    int key_lines = wide_keys ? 1 : 2;
    int foot = legend_lines * (SMALL_H + 2) + key_lines * TEXT_H + 8;
    l->foot_top = l->h - foot;
    int step = (l->w - 20) / per;
    for (int c = 0; c < VC_NCOLOURS; c++) {
        int x = 10 + (c % per) * step, y = l->foot_top + 4 + (c / per) * 15;
        l->legend_sw[c] = (SDL_Rect){x, y + 2, 10, 10};
        l->legend_word[c] = (SDL_Rect){x + 14, y, step - 18, SMALL_H};
    }
    int ky = l->foot_top + 6 + legend_lines * (SMALL_H + 2);
    if (wide_keys) {
        l->keys[0] = (SDL_Rect){10, ky, (l->w - 20) * 6 / 10 - 10, TEXT_H};
        l->keys[1] = (SDL_Rect){10 + (l->w - 20) * 6 / 10, ky,
                                (l->w - 20) * 4 / 10, TEXT_H};
    } else {
        l->keys[0] = (SDL_Rect){10, ky, l->w - 20, TEXT_H};
        l->keys[1] = (SDL_Rect){10, ky + TEXT_H, l->w - 20, TEXT_H};
    }
}

static void place_hud(struct layout *l)
{
    int pw = l->w >= 1200 ? 320 : l->w >= 800 ? 200 : 140;
    int tw = l->w - pw - 30;
    for (int i = 0; i < 4; i++)
        l->hud_line[i] = (SDL_Rect){10, 4 + 18 * i, tw - 10, TEXT_H};
    l->warm_bar = (SDL_Rect){10, 42, tw > 400 ? 200 : tw / 3, 12};
    l->warm_text = (SDL_Rect){l->warm_bar.x + l->warm_bar.w + 10, 40,
                              tw - l->warm_bar.w - 20, TEXT_H};
    l->bars = (SDL_Rect){10, 78, tw - 10, 18};
    l->bar_names = l->cores * 60 <= l->bars.w;
    l->bar_figures = l->bar_names && l->cores * 110 <= l->bars.w;
    /* Too many cores to name each bar: one caption says which cores the
     * row of bars stands for (16 cores drew 16 bars and no word). */
    l->bars_caption = (SDL_Rect){0, 0, 0, 0};
    if (!l->bar_names) {
        l->bars_caption = (SDL_Rect){l->bars.x, l->bars.y + 3, 56, SMALL_H};
        l->bars.x += 60, l->bars.w -= 60;
    }
    l->nbars = l->bar_names
                   ? l->cores
                   : (l->cores < l->bars.w / 3 ? l->cores : l->bars.w / 3);
    l->plot = (SDL_Rect){l->w - pw - 10, 6, pw, HUD_H - 12};
    /* Each curve's label says what its top stands for: its scale. */
    for (int i = 0; i < 2; i++)
        l->plot_label[i] =
            (SDL_Rect){l->plot.x + 4, l->plot.y + 2 + i * (SMALL_H + 1),
                       l->plot.w - 8, SMALL_H};
    l->clients_bg = (SDL_Rect){4, HUD_H + 4, POOL_W, l->foot_top - HUD_H - 6};
    l->clients_label = (SDL_Rect){12, HUD_H + 6, POOL_W - 16, TEXT_H};
    for (int i = 0; i < 3; i++)
        l->clients_line[i] = (SDL_Rect){12, HUD_H + 26 + i * (SMALL_H + 1),
                                        POOL_W - 16, SMALL_H};
    int top = HUD_H + 28 + 3 * (SMALL_H + 1);
    int h = l->foot_top - 6 - top;
    l->clients = (SDL_Rect){8, top, POOL_W - 8, h > 0 ? h : 0};
}

static void place_panel(struct layout *l)
{
    l->panel = none;
    l->panel_lines = 0;
    if (!l->panel_on)
        return;
    int pw = l->w / 4 < 180 ? 180 : l->w / 4 > 320 ? 320 : l->w / 4;
    l->panel =
        (SDL_Rect){l->w - pw - 6, HUD_H + 4, pw, l->foot_top - HUD_H - 8};
    int n = (l->panel.h - 8) / (SMALL_H + 2);
    n = n > MAX_PANEL ? MAX_PANEL : n < 0 ? 0 : n;
    for (int i = 0; i < n; i++)
        l->panel_line[i] =
            (SDL_Rect){l->panel.x + 6, l->panel.y + 4 + i * (SMALL_H + 2),
                       l->panel.w - 12, SMALL_H};
    l->panel_lines = n;
}

/* Rows and their places for a token size tok. */
static void place_rows(struct layout *l, int tok)
{
    int x0 = POOL_W + 16, right = lanes_right(l);
    int top = HUD_H + 4 + (l->pool ? SHARED_H : 0);
    int bottom = l->foot_top - 2;
    int lanes = l->cores > 0 ? l->cores : 1;
    int lane_h = (bottom - top) / lanes;
    int lw = l->compact ? 40 : 64;
    /* Names need SMALL_H: with thinner lanes name every k-th lane. */
    int every = lane_h >= SMALL_H + 1 ? 1 : (SMALL_H + lane_h) / lane_h;
    for (int c = 0; c < l->cores && c < MAX_LANES; c++) {
        struct lane *ln = &l->lanes[c];
        ln->box = (SDL_Rect){x0, top + c * lane_h, right - x0,
                             lane_h > 2 ? lane_h - 2 : 1};
        int nh = lane_h - 2 >= TEXT_H ? TEXT_H : SMALL_H;
        ln->name = c % every == 0 && top + c * lane_h + nh <= bottom
                       ? (SDL_Rect){x0 + 4, ln->box.y + 1, lw - 8, nh}
                       : none;
    }
    for (int c = 0; c < l->cores; c++) {
        int n = 0, k = 0;
        for (int i = 0; i < l->nrows; i++)
            n += l->rows[i].core == c;
        if (c < MAX_LANES) { /* an idle core says why it is empty */
            struct lane *ln = &l->lanes[c];
            int nh = ln->name.h ? ln->name.h : 0;
            ln->note = n == 0 && nh ? (SDL_Rect){x0 + lw, ln->name.y,
                                                 right - x0 - lw - 8, nh}
                                    : none;
        }
        for (int i = 0; i < l->nrows; i++) {
            struct row *r = &l->rows[i];
            if (r->core != c)
                continue;
            int rh = (lane_h - 2) / (n ? n : 1);
            r->box = (SDL_Rect){x0 + lw, top + c * lane_h + 1 + k * rh,
                                right - x0 - lw - 2, rh > 2 ? rh - 2 : 1};
            k++;
            int s = r->box.h - 4 < 22 ? r->box.h - 4 : 22;
            if (tok + 6 > s && tok + 6 <= r->box.h - 4)
                s = tok + 6;
            s = s < 2 ? 2 : s;
            int x;
            r->label_box = none;
            if (!l->compact && r->box.h >= TEXT_H + 4) {
                /* room for "t0 event loop" */
                r->label_box =
                    (SDL_Rect){r->box.x + 6, r->box.y + 4, 100, TEXT_H};
                x = r->box.x + 110;
            } else if (r->box.h >= SMALL_H) {
                r->label_box = (SDL_Rect){r->box.x + 2,
                                          r->box.y + (r->box.h - SMALL_H) / 2,
                                          44, SMALL_H};
                x = r->box.x + 48;
            } else {
                x = r->box.x + 4;
            }
            int y = r->box.y + (r->box.h - s) / 2;
            area_set(&r->queue, none, 6);
            r->count_box = none;
            if (layout_accepts(r->role)) {
                int qs = tok >= 12 ? tok : 6;
                int qw = l->compact ? 36 : 70;
                if (qw < 3 * (qs + 2) + 4)
                    qw = 3 * (qs + 2) + 4;
                area_set(&r->queue, (SDL_Rect){x, y, qw, s}, qs);
                if (y - r->box.y >= SMALL_H + 1)
                    r->count_box =
                        (SDL_Rect){x, y - SMALL_H - 1, qw + 6 + s, SMALL_H};
                x += qw + 6;
            }
            r->slot = (SDL_Rect){x, y, s, s};
            if (r->role == VIEW_ACCEPT && r->queue.box.w && !r->count_box.w &&
                r->box.h >= SMALL_H)
                /* A short row has no room above its queue for the count,
                 * and an accept thread's row is empty right of its slot:
                 * the count goes there (16 cores under churn drew a queue
                 * of 1,019 as its sixteen cells and no number). */
                r->count_box =
                    (SDL_Rect){x + s + 8, r->box.y + (r->box.h - SMALL_H) / 2,
                               r->box.x + r->box.w - x - s - 12 < 160
                                   ? r->box.x + r->box.w - x - s - 12
                                   : 160,
                               SMALL_H};
            x += s + 8;
            int rest = r->box.x + r->box.w - x - 4;
            SDL_Rect ready = none, idle = none;
            r->ready_cap = r->idle_cap = none;
            if (layout_holds_fds(r->role) && rest > 20) {
                /* The pool's loop has no ready list: the shared queue is. */
                int rw = r->role == VIEW_LOOP ? 0 : rest * 3 / 10;
                /* Room for "ready list 12" where the row can spare it: one
                 * client's large squares widen the accept queue, and at
                 * 640x360 the caption read "ready lis...". */
                if (rw && rw < LAYOUT_READY_MIN_W)
                    rw = rest * 45 / 100 < LAYOUT_READY_MIN_W
                             ? rest * 45 / 100
                             : LAYOUT_READY_MIN_W;
                rw = rw > rest * 3 / 10 ? rw : rest * 3 / 10;
                int ah = r->box.h - 2;
                bool caps = !l->compact && r->box.h >= 60;
                if (caps)
                    ah -= SMALL_H + 2;
                if (rw)
                    ready = (SDL_Rect){x, r->box.y + 1, rw, ah};
                idle = (SDL_Rect){x + rw + (rw ? 6 : 0), r->box.y + 1,
                                  rest - rw - (rw ? 6 : 0), ah};
                if (caps) {
                    int cy = r->box.y + r->box.h - SMALL_H - 1;
                    if (rw)
                        r->ready_cap = (SDL_Rect){
                            ready.x + 2, cy, rw > 114 ? 110 : rw - 4, SMALL_H};
                    r->idle_cap =
                        (SDL_Rect){idle.x + 2, cy,
                                   idle.w > 184 ? 180 : idle.w - 4, SMALL_H};
                }
            }
            area_set(&r->ready, ready, tok);
            area_set(&r->idle, idle, tok);
        }
    }
    if (l->pool) {
        l->shared_band = (SDL_Rect){x0, HUD_H + 4, right - x0, SHARED_H - 2};
        l->shared_label = (SDL_Rect){x0 + 6, HUD_H + 10, 150, TEXT_H};
        l->lock = (SDL_Rect){x0 + 160, HUD_H + 8, 44, SHARED_H - 10};
        l->lock_label = (SDL_Rect){l->lock.x + 6, l->lock.y + 5, 34, SMALL_H};
        area_set(
            &l->shared,
            (SDL_Rect){x0 + 212, HUD_H + 6, right - x0 - 216, SHARED_H - 6}, 6);
    } else {
        l->shared_band = l->shared_label = l->lock = l->lock_label = none;
        area_set(&l->shared, none, 6);
    }
}

void layout_redo(struct layout *l)
{
    l->aggregate = l->cores > MAX_LANES || l->threads > MAX_ROWS;
    l->compact = l->cores > 16;
    place_footer(l);
    place_hud(l);
    place_panel(l);
    l->agg_line = (SDL_Rect){POOL_W + 16, HUD_H + 6,
                             lanes_right(l) - POOL_W - 16, TEXT_H};
    if (l->aggregate) {
        for (int i = 0; i < l->nrows; i++) {
            struct row *r = &l->rows[i];
            r->box = r->label_box = r->count_box = r->slot = none;
            r->ready_cap = r->idle_cap = none;
            area_set(&r->queue, none, 6);
            area_set(&r->ready, none, 6);
            area_set(&r->idle, none, 6);
        }
        memset(l->lanes, 0, sizeof l->lanes);
        l->shared_band = l->shared_label = l->lock = l->lock_label = none;
        area_set(&l->shared, none, 6);
        return;
    }
    /* One token size for all rows: the largest that gives every interest
     * set room for the connections expected (400 when unknown); above 12
     * pixels only when the count is known, so that the fd number fits. */
    int need = l->expect > 0 && l->expect < 100 ? 4 * l->expect : 400;
    int tok = 3;
    for (int size = l->expect > 0 && l->expect < 100 ? 24 : 12; size >= 3;
         size--) {
        place_rows(l, size);
        bool fits = true;
        for (int i = 0; i < l->nrows && fits; i++) {
            const struct row *r = &l->rows[i];
            if (r->slot.h < size + 2 && size > 3)
                fits = false;
            else if (r->idle.box.w)
                fits = r->idle.cap >= need;
        }
        tok = size;
        if (fits)
            break;
    }
    l->tok = tok;
    place_rows(l, tok);
}

void layout_compute(struct layout *l, int w, int h, int threads, int cores,
                    const int *core, const enum view_role *role)
{
    static const char *const names[] = {"accept", "request", "serve",
                                        "event loop", "worker"};
    l->w = w, l->h = h;
    l->threads = threads;
    l->nrows = threads < MAX_ROWS ? threads : MAX_ROWS;
    l->cores = cores > 0 ? cores : 1;
    l->pool = false;
    for (int t = 0; t < l->nrows; t++) {
        struct row *r = &l->rows[t];
        r->core = core[t] >= 0 && core[t] < l->cores ? core[t] : 0;
        r->role = role[t];
        l->pool |= role[t] == VIEW_WORKER;
        snprintf(r->label, sizeof r->label, "t%d %s", t, names[role[t]]);
    }
    layout_redo(l);
}

static void area_free(struct area *a)
{
    free(a->used);
    free(a->who);
    a->used = NULL, a->who = NULL;
    a->cap = 0;
}

void layout_free(struct layout *l)
{
    for (int i = 0; i < MAX_ROWS; i++) {
        area_free(&l->rows[i].queue);
        area_free(&l->rows[i].ready);
        area_free(&l->rows[i].idle);
    }
    area_free(&l->shared);
}

static void add(SDL_Rect *out, int max, int *n, SDL_Rect r)
{
    if (r.w > 0 && r.h > 0 && *n < max)
        out[(*n)++] = r;
}

int layout_texts(const struct layout *l, SDL_Rect *out, int max)
{
    int n = 0;
    for (int i = 0; i < 4; i++)
        add(out, max, &n, l->hud_line[i]);
    for (int i = 0; i < 2; i++)
        add(out, max, &n, l->plot_label[i]);
    add(out, max, &n, l->clients_label);
    for (int i = 0; i < 3; i++)
        add(out, max, &n, l->clients_line[i]);
    for (int c = 0; c < VC_NCOLOURS; c++)
        add(out, max, &n, l->legend_word[c]);
    add(out, max, &n, l->keys[0]);
    add(out, max, &n, l->keys[1]);
    for (int i = 0; i < l->panel_lines; i++)
        add(out, max, &n, l->panel_line[i]);
    add(out, max, &n, l->bars_caption);
    if (l->aggregate) {
        add(out, max, &n, l->agg_line);
        return n;
    }
    if (l->bar_names) /* "cpu3" left of each bar, "42%" right of it */
        for (int g = 0; g < l->nbars; g++) {
            int x = l->bars.x + g * (l->bars.w / l->nbars);
            add(out, max, &n, (SDL_Rect){x, l->bars.y, 34, SMALL_H});
            if (l->bar_figures)
                add(out, max, &n,
                    (SDL_Rect){x + l->bars.w / l->nbars - 38, l->bars.y, 32,
                               SMALL_H});
        }
    add(out, max, &n, l->shared_label);
    add(out, max, &n, l->lock_label);
    for (int c = 0; c < l->cores && c < MAX_LANES; c++) {
        add(out, max, &n, l->lanes[c].name);
        add(out, max, &n, l->lanes[c].note);
    }
    for (int i = 0; i < l->nrows; i++) {
        const struct row *r = &l->rows[i];
        add(out, max, &n, r->label_box);
        add(out, max, &n, r->count_box);
        add(out, max, &n, r->ready_cap);
        add(out, max, &n, r->idle_cap);
    }
    return n;
}

int layout_places(const struct layout *l, SDL_Rect *out, int max)
{
    int n = 0;
    add(out, max, &n, l->clients);
    add(out, max, &n, l->shared.box);
    for (int i = 0; i < l->nrows && !l->aggregate; i++) {
        const struct row *r = &l->rows[i];
        add(out, max, &n, r->queue.box);
        add(out, max, &n, r->slot);
        add(out, max, &n, r->ready.box);
        add(out, max, &n, r->idle.box);
    }
    return n;
}

static bool in(SDL_Rect r, int x, int y)
{
    return r.w > 0 && x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

enum view_place layout_place_at(const struct layout *l, int x, int y,
                                int *thread)
{
    *thread = -1;
    if (in(l->clients, x, y))
        return PLACE_CLIENTS;
    if (l->aggregate)
        return PLACE_NONE;
    if (in(l->shared.box, x, y))
        return PLACE_SHARED;
    for (int i = 0; i < l->nrows; i++) {
        const struct row *r = &l->rows[i];
        if (!in(r->box, x, y))
            continue;
        *thread = i;
        if (in(r->slot, x, y))
            return PLACE_CPU;
        if (in(r->queue.box, x, y))
            return PLACE_ACCEPT_QUEUE;
        if (in(r->ready.box, x, y))
            return PLACE_READY;
        if (in(r->idle.box, x, y))
            return PLACE_IDLE;
        *thread = -1;
        return PLACE_NONE;
    }
    return PLACE_NONE;
}
