/*
 * Painting one frame: the HUD (figures, what happens now, CPU bars, a
 * plot), the places of every thread, the tokens, the legend and the keys.
 * The legend is on every frame: a learner should never need `h` to know
 * what a colour means.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "simulator/view/view_impl.h"

static const SDL_Color bg = {22, 24, 29, 255}, lane_bg = {40, 44, 52, 255},
                       row_bg = {48, 53, 63, 255}, ready_bg = {36, 62, 74, 255},
                       text_fg = {225, 228, 235, 255},
                       dim_fg = {150, 155, 165, 255},
                       grey_fg = {85, 90, 100, 255},
                       note_fg = {255, 210, 120, 255},
                       p99_fg = {240, 150, 60, 255};

/* Draw a string, from the cache when it was drawn before (rendering a
 * string with FreeType costs more than drawing 2,000 tokens). */
static void text_in(struct view *v, TTF_Font *font, int x, int y, SDL_Color c,
                    const char *s)
{
    if (!font || !s || !*s)
        return;
    Uint32 rgba =
        (Uint32)c.r << 24 | (Uint32)c.g << 16 | (Uint32)c.b << 8 | c.a;
    struct text_tex *hit = NULL, *old = &v->texts[0];
    bool cacheable = strlen(s) < sizeof old->s;
    for (int i = 0; i < TEXT_CACHE && cacheable; i++) {
        struct text_tex *e = &v->texts[i];
        if (e->tex && e->font == font && e->colour == rgba &&
            !strcmp(e->s, s)) {
            hit = e;
            break;
        }
        if (!e->tex || e->used < old->used)
            old = e;
    }
    if (!hit) {
        SDL_Surface *surf = TTF_RenderUTF8_Blended(font, s, c);
        if (!surf)
            return;
        SDL_Texture *tex = SDL_CreateTextureFromSurface(v->ren, surf);
        SDL_FreeSurface(surf);
        if (!tex)
            return;
        if (!cacheable) {
            int w, h;
            SDL_QueryTexture(tex, NULL, NULL, &w, &h);
            SDL_RenderCopy(v->ren, tex, NULL, &(SDL_Rect){x, y, w, h});
            SDL_DestroyTexture(tex);
            return;
        }
        if (old->tex)
            SDL_DestroyTexture(old->tex);
        hit = old;
        hit->tex = tex, hit->font = font, hit->colour = rgba;
        snprintf(hit->s, sizeof hit->s, "%s", s);
        SDL_QueryTexture(tex, NULL, NULL, &hit->w, &hit->h);
    }
    hit->used = v->frame;
    SDL_RenderCopy(v->ren, hit->tex, NULL, &(SDL_Rect){x, y, hit->w, hit->h});
}

static void text(struct view *v, int x, int y, SDL_Color c, const char *s)
{
    text_in(v, v->font, x, y, c, s);
}

static void fill(struct view *v, SDL_Rect r, SDL_Color c)
{
    SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(v->ren, &r);
}

static void outline(struct view *v, SDL_Rect r, SDL_Color c)
{
    SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
    SDL_RenderDrawRect(v->ren, &r);
}

static void draw_plot(struct view *v, SDL_Rect box)
{
    fill(v, box, lane_bg);
    double max_rps = 1, max_p99 = 1;
    for (int i = 0; i < v->nplot; i++) {
        max_rps = fmax(max_rps, v->plot_rps[i]);
        max_p99 = fmax(max_p99, v->plot_p99[i]);
    }
    for (int which = 0; which < 2; which++) {
        const double *data = which ? v->plot_p99 : v->plot_rps;
        double max = which ? max_p99 : max_rps;
        SDL_Color c = which ? p99_fg : view_colours[VC_SERVING];
        SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, 255);
        for (int i = 1; i < v->nplot; i++) {
            int x0 = box.x + (i - 1) * box.w / PLOT_N;
            int x1 = box.x + i * box.w / PLOT_N;
            int y0 = box.y + box.h - 2 - (int)(data[i - 1] / max * (box.h - 4));
            int y1 = box.y + box.h - 2 - (int)(data[i] / max * (box.h - 4));
            SDL_RenderDrawLine(v->ren, x0, y0, x1, y1);
        }
    }
    text(v, box.x + 4, box.y + 2, view_colours[VC_SERVING], "throughput");
    text(v, box.x + 100, box.y + 2, p99_fg, "p99");
}

/* One bar per core: full bars with names up to 16 cores, thin ones up to
 * 64, and beyond that the mean of each group of cores. */
static void draw_cpu_bars(struct view *v, const struct hud *h, int y, int w)
{
    int n = h->cores, groups = n <= 64 ? n : 64;
    if (!h->util || n <= 0)
        return;
    char name[40];
    for (int g = 0; g < groups; g++) {
        int from = g * n / groups, to = (g + 1) * n / groups;
        double u = 0;
        for (int c = from; c < to; c++)
            u += fmin(1, fmax(0, h->util[c])) / (to - from);
        SDL_Rect bar;
        if (n <= 16) {
            int x = 10 + (g % 8) * (w / 8);
            bar = (SDL_Rect){x + 42, y + (g / 8) * 16 + 4, w / 8 - 52, 9};
            snprintf(name, sizeof name, "cpu%d", g);
            text_in(v, v->small, x, y + (g / 8) * 16 + 2, dim_fg, name);
        } else {
            int bw = (w - 10) / groups;
            bar = (SDL_Rect){10 + g * bw, y + 2, bw > 3 ? bw - 2 : 1, 26};
        }
        fill(v, bar, lane_bg);
        if (n <= 16)
            bar.w = (int)(bar.w * u);
        else
            bar.y += bar.h - (int)(bar.h * u), bar.h = (int)(bar.h * u);
        fill(v, bar, view_colours[VC_SERVING]);
    }
    if (n > 64) {
        snprintf(name, sizeof name, "%d cores in 64 bars", n);
        text_in(v, v->small, w + 14, y + 10, dim_fg, name);
    }
}

static void draw_hud(struct view *v, const struct hud *h)
{
    char line[320];
    static const char *const modes[] = {"model", "replay", "live"};
    snprintf(line, sizeof line,
             "fastsim %s  |  %s  |  arch %s  |  t = %.6f s"
             "  |  speed x%g%s",
             modes[h->mode], h->title ? h->title : "", h->arch ? h->arch : "?",
             h->sim_s, h->speed, h->paused ? "  |  PAUSED" : "");
    text(v, 10, 4, text_fg, line);
    bool warming = h->warmup_s > 0 && h->sim_s < h->warmup_s;
    if (h->completed == 0) {
        snprintf(line, sizeof line, "no request answered yet%s",
                 warming ? "" : " - figures appear with the first");
    } else {
        snprintf(line, sizeof line,
                 "%s%.0f req/s%s   p50 %.1f us   p99 %.1f us   answered %lu   "
                 "hand-offs %lu",
                 warming ? "so far: " : "", h->throughput_rps,
                 h->mode == HUD_MODEL ? "" : " (last 1 s)", h->p50_us,
                 h->p99_us, h->completed, h->handoffs);
        if (h->mode == HUD_MODEL) /* a trace cannot see caches */
            snprintf(line + strlen(line), sizeof line - strlen(line),
                     "   cache penalties %lu", h->cache_misses);
    }
    if (h->mode == HUD_LIVE)
        snprintf(line + strlen(line), sizeof line - strlen(line),
                 "   dropped %lld", h->drops > 0 ? h->drops : 0);
    text(v, 10, 22, text_fg, line);
    if (warming) { /* the warm-up, as a warm-up: a progress bar */
        double f = h->sim_s / h->warmup_s;
        SDL_Rect bar = {10, 42, 200, 12};
        fill(v, bar, lane_bg);
        bar.w = (int)(200 * f);
        fill(v, bar, note_fg);
        snprintf(line, sizeof line,
                 "warming up: %.0f%% of %.0f ms (the report counts after it)",
                 100 * f, h->warmup_s * 1e3);
        text(v, 220, 40, note_fg, line);
    } else if (h->stats) {
        text(v, 10, 40, dim_fg, h->stats);
    } else if (h->clients) {
        snprintf(line, sizeof line, "clients %d   fds on screen %d", h->clients,
                 v->live);
        text(v, 10, 40, dim_fg, line);
    }
    if (h->message)
        text(v, 10, 58, note_fg, h->message);
    else if (h->narration)
        text(v, 10, 58, (SDL_Color){255, 255, 255, 255}, h->narration);
    int pw = v->w >= 1200 ? 320 : 200; /* the plot leaves the text room */
    draw_cpu_bars(v, h, 76, v->w - pw - 30);
    draw_plot(v, (SDL_Rect){v->w - pw - 10, 6, pw, HUD_H - 12});
}

/* The legend: one word per colour, always on screen. */
static void draw_legend(struct view *v)
{
    static const char *const words[VC_NCOLOURS] = {
        [VC_BACKLOG] = "waiting to be accepted",
        [VC_ACCEPTING] = "being accepted",
        [VC_FLIGHT] = "hand-off flight",
        [VC_IDLE] = "idle (interest set)",
        [VC_READY] = "ready (ready list)",
        [VC_SERVING] = "on CPU",
        [VC_CLOSING] = "closing",
    };
    int y = v->h - FOOT_H + 4, x = 10, step = (v->w - 20) / VC_NCOLOURS;
    fill(v, (SDL_Rect){0, v->h - FOOT_H, v->w, FOOT_H / 2}, bg);
    for (int c = 0; c < VC_NCOLOURS; c++) {
        fill(v, (SDL_Rect){x, y + 3, 10, 10}, view_colours[c]);
        text_in(v, v->small ? v->small : v->font, x + 14, y + 1, text_fg,
                words[c]);
        x += step;
    }
}

/* The keys, the model's own greyed out when a trace plays. */
static void draw_keys(struct view *v, const struct hud *h)
{
    bool model = h->mode == HUD_MODEL;
    int x = 10, y = v->h - 20;
    text(v, x, y, dim_fg,
         "h help  space pause  . step  <- -> speed  s shot  v flows");
    x += 400;
    text(v, x, y, model ? dim_fg : grey_fg,
         model ? "1-4 arch  up/down cores  +/- clients  r reset"
               : "1-4 up/down +/- r: model only (a trace is what it is)");
}

static void draw_help(struct view *v, const struct hud *h)
{
    SDL_Rect box = {v->w / 2 - 280, v->h / 2 - 150, 560, 300};
    SDL_SetRenderDrawBlendMode(v->ren, SDL_BLENDMODE_BLEND);
    fill(v, box, (SDL_Color){10, 12, 16, 235});
    SDL_SetRenderDrawBlendMode(v->ren, SDL_BLENDMODE_NONE);
    static const char *const lines[] = {
        "Keys",
        "space      pause / run",
        ".          one event at a time (pauses)",
        "<- ->      half / double speed",
        "1 2 3 4    staged, shared-nothing, single, pool",
        "up down    more / fewer cores (within what the arch allows)",
        "+ -        more / fewer clients (1 to 1,000,000)",
        "r          reset     s  screenshot (PNG)     h  this help",
        "Each thread, left to right: accept queue, CPU, ready list,",
        "interest set. The legend below names every colour."};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        bool model_only = i >= 4 && i <= 6;
        text(v, box.x + 20, box.y + 14 + (int)i * 26,
             model_only && h->mode != HUD_MODEL ? grey_fg : text_fg, lines[i]);
    }
}

static void draw_queue(struct view *v, const struct row *r, int t)
{
    fill(v, r->queue, bg);
    outline(v, r->queue, view_colours[VC_BACKLOG]);
    if (!v->has_backlog) {
        text_in(v, v->small, r->queue.x + 3, r->queue.y + 2, dim_fg, "kernel");
        return;
    }
    int n = v->backlog[t], shown = n;
    int per = (r->queue.w - 4) / 5;
    if (shown > per * (r->queue.h > 12 ? 2 : 1))
        shown = per * (r->queue.h > 12 ? 2 : 1);
    for (int i = 0; i < shown; i++) /* the newest at the left */
        fill(v,
             (SDL_Rect){r->queue.x + r->queue.w - 6 - (i % per) * 5,
                        r->queue.y + 3 + (i / per) * 6, 4, 4},
             view_colours[VC_BACKLOG]);
    if (r->queue.h >= 14) {
        char num[16];
        snprintf(num, sizeof num, "%d", n);
        text_in(v, v->small, r->queue.x + 3, r->queue.y + r->queue.h - 13,
                text_fg, num);
    }
}

static void draw_rows(struct view *v, double dt)
{
    int top = HUD_H + 4 + (v->pool ? SHARED_H : 0);
    int lane_h = (v->h - FOOT_H - top) / (v->cores > 0 ? v->cores : 1);
    for (int c = 0; c < v->cores; c++) {
        SDL_Rect lane = {POOL_W + 16, top + c * lane_h, v->w - POOL_W - 26,
                         lane_h - 2};
        fill(v, lane, lane_bg);
        char name[16];
        snprintf(name, sizeof name, v->compact ? "c%d" : "core %d", c);
        text_in(v, lane_h < 20 ? v->small : v->font, lane.x + 6, lane.y + 2,
                text_fg, name);
    }
    for (int i = 0; i < v->nrows; i++) {
        struct row *r = &v->rows[i];
        SDL_Color rb = row_bg;
        r->flash = (float)fmax(0, r->flash - dt * 4);
        if (r->flash > 0) { /* a wake-up: brighten for a moment */
            rb.r = (Uint8)(rb.r + 24 * r->flash);
            rb.g = (Uint8)(rb.g + 24 * r->flash);
            rb.b = (Uint8)(rb.b + 24 * r->flash);
        }
        fill(v, r->box, rb);
        if (r->ready.box.w)
            fill(v, r->ready.box, ready_bg);
        fill(v, r->slot, bg);
        outline(v, r->slot, view_colours[VC_SERVING]);
        if (r->queue.w)
            draw_queue(v, r, i);
        if (!v->compact && r->box.h >= 24)
            text(v, r->box.x + 6, r->box.y + 4, text_fg, r->label);
        else if (r->box.h >= 12 && r->queue.w == 0 && r->slot.x > r->box.x + 30)
            text_in(v, v->small, r->box.x + 2, r->box.y, text_fg, r->label);
        if (!v->compact && r->box.h >= 60 && r->ready.box.w)
            text_in(v, v->small, r->ready.box.x + 2,
                    r->ready.box.y + r->ready.box.h - 12, dim_fg, "ready list");
        if (!v->compact && r->box.h >= 60 && r->idle.box.w) {
            text_in(v, v->small, r->idle.box.x + 2,
                    r->idle.box.y + r->idle.box.h - 12, dim_fg,
                    "interest set (epoll)");
        }
    }
}

static void draw_shared(struct view *v, const struct hud *h)
{
    int x = POOL_W + 16;
    fill(v, (SDL_Rect){x, HUD_H + 4, v->w - x - 10, SHARED_H - 2}, lane_bg);
    text(v, x + 6, HUD_H + 10, text_fg, "shared queue");
    fill(v, v->lock, h->lock_held ? view_colours[VC_CLOSING] : bg);
    text_in(v, v->small, v->lock.x + 6, v->lock.y + 6,
            h->lock_held ? bg : dim_fg, "lock");
    fill(v, v->shared.box, ready_bg);
    char num[32];
    snprintf(num, sizeof num, "%d", h->shared_len);
    text_in(v, v->small, v->shared.box.x + v->shared.box.w - 40,
            v->shared.box.y + 2, text_fg, num);
}

/* Beyond 64 cores or 256 threads: a cell per core, lit by utilisation,
 * and how many fds are in each state. */
static void draw_aggregate(struct view *v, const struct hud *h)
{
    int top = HUD_H + 30, left = POOL_W + 16;
    int cw = v->w - left - 10, chh = v->h - FOOT_H - top - 10;
    int n = h->cores > 0 ? h->cores : 1;
    int cols = (int)ceil(sqrt((double)n * cw / (chh > 1 ? chh : 1)));
    cols = cols < 1 ? 1 : cols;
    int lines = (n + cols - 1) / cols, size = cw / cols;
    if (lines * size > chh)
        size = chh / (lines ? lines : 1);
    char line[160];
    snprintf(line, sizeof line,
             "aggregate view: %d cores, %d threads (lanes are drawn up to %d "
             "cores and %d threads)",
             h->cores, v->threads, MAX_LANES, MAX_ROWS);
    text(v, left, HUD_H + 6, text_fg, line);
    for (int c = 0; c < n && h->util; c++) {
        double u = fmin(1, fmax(0, h->util[c]));
        SDL_Color col = {(Uint8)(40 + 40 * u), (Uint8)(44 + 166 * u),
                         (Uint8)(52 + 58 * u), 255};
        fill(v,
             (SDL_Rect){left + (c % cols) * size, top + (c / cols) * size,
                        size > 2 ? size - 1 : 1, size > 2 ? size - 1 : 1},
             col);
    }
    int y = v->h - FOOT_H - 22, x = 10;
    for (int c = VC_ACCEPTING; c < VC_NCOLOURS; c++) {
        snprintf(line, sizeof line, "%d", view_tokens_in(v, c));
        fill(v, (SDL_Rect){x, y + 4, 10, 10}, view_colours[c]);
        text(v, x + 14, y, text_fg, line);
        x += 90;
    }
}

void view_render(struct view *v, const struct hud *h, double dt)
{
    if (v->win) {
        int w, hh;
        SDL_GetRendererOutputSize(v->ren, &w, &hh);
        if (w != v->w || hh != v->h) {
            v->w = w, v->h = hh;
            view_relayout(v);
        }
    }
    v->frame++;
    SDL_SetRenderDrawColor(v->ren, bg.r, bg.g, bg.b, 255);
    SDL_RenderClear(v->ren);
    fill(v, (SDL_Rect){4, HUD_H + 4, POOL_W, v->h - HUD_H - FOOT_H - 6},
         lane_bg);
    text(v, 12, HUD_H + 6, dim_fg, "clients");
    flow_tick(&v->flow, dt); /* flow view (flow.h): squares or flows */
    if (v->aggregate) {
        view_draw_tokens(v, dt); /* moves still advance, unseen */
        draw_aggregate(v, h);
    } else {
        if (v->pool)
            draw_shared(v, h);
        draw_rows(v, dt);
        view_draw_tokens(v, dt);
        flow_draw(v); /* flow view (flow.h) */
    }
    draw_hud(v, h);
    draw_legend(v);
    draw_keys(v, h);
    if (h->help)
        draw_help(v, h);
}
