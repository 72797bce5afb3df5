/*
 * Drawing fds. The screen:
 *
 *   +-- HUD: time, speed, throughput, latency, per-core bars, plot -----+
 *   | client |  core 0  | t0 accept  [slot] . . . . . . . . . . . . .   |
 *   |  pool  |----------+--------------------------------------------   |
 *   |  ....  |  core 1  | t1 request [slot] o o o o o o o o o . . . .   |
 *   +-------------------------------------------------------------------+
 *
 * Each thread has a row in its core's lane: a service slot (the fd it is
 * working on) and a grid of the fds it owns (its epoll set). A token's
 * colour says what is happening to it: yellow accepted, purple handed off,
 * green being served, blue waiting in its owner's epoll set, red closing.
 *
 * Headless runs draw into a memory surface with SDL's software renderer,
 * so no video driver, display or GPU is needed at all.
 */
#include "simulator/view/view.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb/stb_image_write.h>

#define FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define HUD_H     116
#define POOL_W    150
#define GLIDE_S   0.3
#define PLOT_N    240
#define MAX_ROWS  256

enum tstate { T_ACCEPTED, T_HANDOFF, T_SERVING, T_PARKED, T_CLOSING };

static const SDL_Color state_colour[] = {
    [T_ACCEPTED] = {240, 200, 60, 255}, [T_HANDOFF] = {190, 110, 240, 255},
    [T_SERVING] = {80, 210, 110, 255},  [T_PARKED] = {70, 140, 230, 255},
    [T_CLOSING] = {230, 80, 70, 255},
};
static const SDL_Color bg = {22, 24, 29, 255}, lane_bg = {40, 44, 52, 255},
                       row_bg = {48, 53, 63, 255},
                       text_fg = {225, 228, 235, 255},
                       dim_fg = {150, 155, 165, 255};

struct token {
    bool live;
    enum tstate st;
    int thread;   /* owner (or accepting thread) */
    int slot;     /* index in the owner's grid, -1 if none */
    float x, y;   /* where it is drawn now */
    float sx, sy; /* where the current glide started */
    float tx, ty; /* where it is going */
    float t;      /* glide progress 0..1 */
    bool arc;     /* glide on an arc (hand-off) */
    float life;   /* closing tokens fade out */
};

struct row {
    int core;
    char label[48];
    SDL_Rect box;            /* the whole row */
    SDL_Rect slot;           /* the service slot */
    int gx, gy, cols, lines; /* the grid of owned fds */
    unsigned char *used;     /* grid cells taken */
    int cap;                 /* cells */
    float flash;             /* a wake-up lights the row for a moment */
};

struct view {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Surface *surface; /* headless target */
    TTF_Font *font;
    int w, h, tok_size;
    bool headless;
    struct token *tok;
    int ntok, live;
    struct row rows[MAX_ROWS];
    int nrows, cores;
    double plot_rps[PLOT_N], plot_p99[PLOT_N];
    int nplot;
    struct hud last; /* for view_png's redraw */
    double util[64];
};

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
    SDL_SetRenderDrawBlendMode(v->ren, SDL_BLENDMODE_BLEND);
    if (TTF_Init() == 0)
        v->font = TTF_OpenFont(FONT_PATH, 14);
    if (!v->font)
        fprintf(stderr, "fastsim: no font (%s): drawing without text\n",
                FONT_PATH);
    return v;
}

static void row_free(struct row *r)
{
    free(r->used);
    r->used = NULL;
}

/* Place rows in lanes and size the grids for the current window size. */
static void relayout(struct view *v)
{
    int top = HUD_H + 8, left = POOL_W + 16, right = v->w - 10;
    int lane_h = (v->h - top - 10) / (v->cores > 0 ? v->cores : 1);
    int total = 0;
    for (int i = 0; i < v->nrows; i++)
        total++;
    v->tok_size = 8;
    for (int c = 0; c < v->cores; c++) {
        int n = 0;
        for (int i = 0; i < v->nrows; i++)
            n += v->rows[i].core == c;
        int k = 0;
        for (int i = 0; i < v->nrows; i++) {
            struct row *r = &v->rows[i];
            if (r->core != c)
                continue;
            int rh = (lane_h - 8) / (n ? n : 1);
            r->box = (SDL_Rect){left + 70, top + c * lane_h + 4 + k * rh,
                                right - left - 70, rh - 4};
            r->slot = (SDL_Rect){r->box.x + 110, r->box.y + 6, 22, 22};
            r->gx = r->box.x + 150, r->gy = r->box.y + 6;
            k++;
        }
    }
    /* One token size for all rows: the largest that fits every grid. */
    for (int size = 8; size >= 3; size--) {
        bool fits = true;
        for (int i = 0; i < v->nrows && fits; i++) {
            struct row *r = &v->rows[i];
            int cols = (r->box.x + r->box.w - r->gx - 4) / (size + 2);
            int lines = (r->box.y + r->box.h - r->gy - 2) / (size + 2);
            fits = cols * lines >= 1000 || size == 3;
        }
        v->tok_size = size;
        if (fits)
            break;
    }
    for (int i = 0; i < v->nrows; i++) {
        struct row *r = &v->rows[i];
        r->cols = (r->box.x + r->box.w - r->gx - 4) / (v->tok_size + 2);
        r->lines = (r->box.y + r->box.h - r->gy - 2) / (v->tok_size + 2);
        if (r->cols < 1)
            r->cols = 1;
        if (r->lines < 1)
            r->lines = 1;
        int cap = r->cols * r->lines;
        if (cap != r->cap) {
            unsigned char *used = calloc((size_t)cap, 1);
            if (used) {
                row_free(r);
                r->used = used;
                r->cap = cap;
            }
        }
    }
    (void)total;
}

void view_layout(struct view *v, int threads, int cores, const int *core,
                 const char *const *label)
{
    for (int i = 0; i < v->nrows; i++)
        row_free(&v->rows[i]);
    memset(v->rows, 0, sizeof v->rows);
    v->nrows = threads < MAX_ROWS ? threads : MAX_ROWS;
    v->cores = cores;
    for (int t = 0; t < v->nrows; t++) {
        v->rows[t].core = core[t] >= 0 && core[t] < cores ? core[t] : 0;
        snprintf(v->rows[t].label, sizeof v->rows[t].label, "t%d %s", t,
                 label[t]);
    }
    relayout(v);
}

void view_clear(struct view *v)
{
    free(v->tok);
    v->tok = NULL;
    v->ntok = v->live = 0;
    v->nplot = 0;
    for (int i = 0; i < v->nrows; i++)
        if (v->rows[i].used)
            memset(v->rows[i].used, 0, (size_t)v->rows[i].cap);
}

static struct token *token_at(struct view *v, int fd)
{
    if (fd < 0 || fd > 1 << 22)
        return NULL;
    if (fd >= v->ntok) {
        int n = v->ntok ? v->ntok : 256;
        while (n <= fd)
            n *= 2;
        struct token *grown = realloc(v->tok, (size_t)n * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + v->ntok, 0, (size_t)(n - v->ntok) * sizeof *grown);
        v->tok = grown;
        v->ntok = n;
    }
    return &v->tok[fd];
}

/* A point in the client pool for this fd (scattered, stable per fd). */
static void pool_point(const struct view *v, int fd, float *x, float *y)
{
    unsigned h = (unsigned)fd * 2654435761u;
    int ph = v->h - HUD_H - 30;
    *x = 14 + (float)(h % (POOL_W - 28));
    *y = HUD_H + 22 + (float)((h >> 12) % (unsigned)(ph > 1 ? ph : 1));
}

static void glide_to(struct token *k, float x, float y, bool arc)
{
    k->sx = k->x, k->sy = k->y;
    k->tx = x, k->ty = y;
    k->t = 0;
    k->arc = arc;
}

static void release_slot(struct view *v, struct token *k)
{
    if (k->slot >= 0 && k->thread >= 0 && k->thread < v->nrows &&
        k->slot < v->rows[k->thread].cap)
        v->rows[k->thread].used[k->slot] = 0;
    k->slot = -1;
}

/* Move a token into thread t's grid (its epoll set). */
static void park(struct view *v, struct token *k, int t, bool arc)
{
    if (t < 0 || t >= v->nrows)
        return;
    struct row *r = &v->rows[t];
    if (k->slot < 0 || k->thread != t) {
        release_slot(v, k);
        k->thread = t;
        k->slot = r->cap - 1; /* overflow shares the last cell */
        for (int i = 0; i < r->cap; i++)
            if (!r->used[i]) {
                k->slot = i;
                break;
            }
        if (r->cap)
            r->used[k->slot] = 1;
    }
    float x = (float)(r->gx + (k->slot % r->cols) * (v->tok_size + 2));
    float y =
        (float)(r->gy + (k->slot / r->cols % r->lines) * (v->tok_size + 2));
    glide_to(k, x, y, arc);
}

static void to_slot(struct view *v, struct token *k, int t)
{
    if (t < 0 || t >= v->nrows)
        return;
    struct row *r = &v->rows[t];
    glide_to(k, (float)r->slot.x + 7, (float)r->slot.y + 7, false);
}

void view_event(struct view *v, const struct fd_event *ev)
{
    if (ev->kind == FD_WAKE) {
        if (ev->thread >= 0 && ev->thread < v->nrows)
            v->rows[ev->thread].flash = 1;
        return;
    }
    struct token *k = token_at(v, ev->fd);
    if (!k)
        return;
    switch (ev->kind) {
    case FD_ACCEPT:
        if (k->live)
            release_slot(v, k);
        else
            v->live++;
        *k = (struct token){.live = true,
                            .st = T_ACCEPTED,
                            .slot = -1,
                            .thread = ev->thread,
                            .life = 1};
        pool_point(v, ev->fd, &k->x, &k->y);
        to_slot(v, k, ev->thread);
        break;
    case FD_HANDOFF:
        if (!k->live)
            break;
        k->st = T_HANDOFF;
        park(v, k, (int)ev->arg, true);
        break;
    case FD_RECV:
    case FD_REQUEST:
        if (!k->live)
            break;
        if (k->thread != ev->thread)
            park(v, k, ev->thread, false);
        k->st = T_SERVING;
        to_slot(v, k, ev->thread);
        break;
    case FD_SEND:
        if (!k->live)
            break;
        k->st = T_PARKED;
        park(v, k, ev->thread, false);
        break;
    case FD_CLOSE:
        if (!k->live)
            break;
        release_slot(v, k);
        k->st = T_CLOSING;
        k->life = 1;
        float x, y;
        pool_point(v, ev->fd, &x, &y);
        glide_to(k, x, y, false);
        break;
    default:
        break;
    }
}

static void text(struct view *v, int x, int y, SDL_Color c, const char *s)
{
    if (!v->font || !*s)
        return;
    SDL_Surface *surf = TTF_RenderUTF8_Blended(v->font, s, c);
    if (!surf)
        return;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(v->ren, surf);
    if (tex) {
        SDL_Rect dst = {x, y, surf->w, surf->h};
        SDL_RenderCopy(v->ren, tex, NULL, &dst);
        SDL_DestroyTexture(tex);
    }
    SDL_FreeSurface(surf);
}

static void fill(struct view *v, SDL_Rect r, SDL_Color c)
{
    SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(v->ren, &r);
}

static void draw_tokens(struct view *v, double dt)
{
    /* Batch by colour: one SDL_RenderFillRects call per state. */
    static SDL_Rect batch[5][4096];
    int nb[5] = {0};
    int s = v->tok_size;
    for (int fd = 0; fd < v->ntok; fd++) {
        struct token *k = &v->tok[fd];
        if (!k->live)
            continue;
        if (k->t < 1) {
            k->t = (float)fmin(1.0, k->t + dt / GLIDE_S);
            float e = k->t * k->t * (3 - 2 * k->t); /* smoothstep */
            k->x = k->sx + (k->tx - k->sx) * e;
            k->y = k->sy + (k->ty - k->sy) * e;
            if (k->arc) /* hand-offs jump across lanes on an arc */
                k->x -= (float)(60 * sin(M_PI * k->t));
        }
        if (k->st == T_CLOSING && k->t >= 1) {
            k->life -= (float)(dt / GLIDE_S);
            if (k->life <= 0) {
                k->live = false;
                v->live--;
                continue;
            }
        }
        if (k->st == T_ACCEPTED && k->t >= 1 && k->thread >= 0 &&
            k->thread < v->nrows && v->rows[k->thread].core >= 0) {
            /* shared-nothing and single: accepted is also where it lives */
        }
        int st = k->st;
        if (nb[st] == 4096) {
            SDL_Color c = state_colour[st];
            SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
            SDL_RenderFillRects(v->ren, batch[st], nb[st]);
            nb[st] = 0;
        }
        batch[st][nb[st]++] = (SDL_Rect){(int)k->x, (int)k->y, s, s};
    }
    for (int st = 0; st < 5; st++) {
        SDL_Color c = state_colour[st];
        SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
        SDL_RenderFillRects(v->ren, batch[st], nb[st]);
    }
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
        SDL_Color c =
            which ? (SDL_Color){240, 150, 60, 255} : state_colour[T_SERVING];
        SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, 255);
        for (int i = 1; i < v->nplot; i++) {
            int x0 = box.x + (i - 1) * box.w / PLOT_N;
            int x1 = box.x + i * box.w / PLOT_N;
            int y0 = box.y + box.h - 2 - (int)(data[i - 1] / max * (box.h - 4));
            int y1 = box.y + box.h - 2 - (int)(data[i] / max * (box.h - 4));
            SDL_RenderDrawLine(v->ren, x0, y0, x1, y1);
        }
    }
    text(v, box.x + 4, box.y + 2, state_colour[T_SERVING], "throughput");
    text(v, box.x + 100, box.y + 2, (SDL_Color){240, 150, 60, 255}, "p99");
}

static void draw_hud(struct view *v, const struct hud *h)
{
    char line[256];
    snprintf(line, sizeof line,
             "fastsim  |  %s  |  arch %s  |  t = %.6f s  |"
             "  speed x%g%s",
             h->title ? h->title : "", h->arch ? h->arch : "?", h->sim_s,
             h->speed, h->paused ? "  |  PAUSED" : "");
    text(v, 10, 6, text_fg, line);
    snprintf(line, sizeof line,
             "throughput %.0f req/s   p50 %.1f us   p99 %.1f us   "
             "hand-offs %lu   cache penalties %lu%s",
             h->throughput_rps, h->p50_us, h->p99_us, h->handoffs,
             h->cache_misses, "");
    text(v, 10, 28, text_fg, line);
    if (h->clients) {
        snprintf(line, sizeof line, "clients %d   fds on screen %d", h->clients,
                 v->live);
    } else {
        snprintf(line, sizeof line, "fds on screen %d", v->live);
    }
    text(v, 10, 50, dim_fg, line);
    for (int c = 0; c < h->cores && h->util && c < 16; c++) {
        int x = 10 + (c % 8) * 120, y = 74 + (c / 8) * 20;
        SDL_Rect bar = {x + 48, y + 4, 60, 10};
        fill(v, bar, lane_bg);
        double u = fmin(1, fmax(0, h->util[c]));
        bar.w = (int)(60 * u);
        fill(v, bar, state_colour[T_SERVING]);
        snprintf(line, sizeof line, "cpu%d", c);
        text(v, x, y, dim_fg, line);
    }
    draw_plot(v, (SDL_Rect){v->w - 330, 8, 320, HUD_H - 16});
    text(v, 10, v->h - 20, dim_fg,
         "h help   space pause   . step   <- -> speed   1-4 arch   "
         "up/down cores   +/- clients   r reset   s screenshot");
}

static void draw_help(struct view *v)
{
    SDL_Rect box = {v->w / 2 - 260, v->h / 2 - 150, 520, 300};
    fill(v, box, (SDL_Color){10, 12, 16, 230});
    static const char *const lines[] = {
        "Keys",
        "space      pause / run",
        ".          one event at a time",
        "<- ->      half / double speed",
        "1 2 3 4    staged, shared-nothing, single, pool",
        "up down    more / fewer cores",
        "+ -        more / fewer clients",
        "r          reset     s  screenshot (PNG)     h  this help",
        "Colours: yellow accepted, purple handed off, green served,",
        "         blue waiting in its thread's epoll set, red closing"};
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        text(v, box.x + 20, box.y + 16 + (int)i * 26, text_fg, lines[i]);
}

static void render(struct view *v, const struct hud *h, double dt)
{
    if (v->win) {
        int w, hh;
        SDL_GetRendererOutputSize(v->ren, &w, &hh);
        if (w != v->w || hh != v->h) {
            v->w = w, v->h = hh;
            relayout(v);
        }
    }
    SDL_SetRenderDrawColor(v->ren, bg.r, bg.g, bg.b, 255);
    SDL_RenderClear(v->ren);
    fill(v, (SDL_Rect){4, HUD_H + 4, POOL_W, v->h - HUD_H - 30}, lane_bg);
    text(v, 12, HUD_H + 6, dim_fg, "clients");
    int top = HUD_H + 8;
    int lane_h = (v->h - top - 10) / (v->cores > 0 ? v->cores : 1);
    for (int c = 0; c < v->cores; c++) {
        SDL_Rect lane = {POOL_W + 16, top + c * lane_h, v->w - POOL_W - 26,
                         lane_h - 4};
        fill(v, lane, lane_bg);
        char name[16];
        snprintf(name, sizeof name, "core %d", c);
        text(v, lane.x + 8, lane.y + 6, text_fg, name);
    }
    for (int i = 0; i < v->nrows; i++) {
        struct row *r = &v->rows[i];
        SDL_Color rb = row_bg;
        if (r->flash > 0) { /* a wake-up: brighten for a moment */
            rb.r = (Uint8)(rb.r + 30 * r->flash);
            rb.g = (Uint8)(rb.g + 30 * r->flash);
            rb.b = (Uint8)(rb.b + 30 * r->flash);
            r->flash = (float)fmax(0, r->flash - dt * 4);
        }
        fill(v, r->box, rb);
        fill(v, r->slot, bg);
        text(v, r->box.x + 6, r->box.y + 8, text_fg, r->label);
    }
    draw_tokens(v, dt);
    if (h)
        draw_hud(v, h);
    if (h && h->help)
        draw_help(v);
}

void view_draw(struct view *v, const struct hud *hud, double dt)
{
    v->last = *hud;
    int n = hud->cores < 64 ? hud->cores : 64;
    if (hud->util)
        memcpy(v->util, hud->util, (size_t)n * sizeof *v->util);
    v->last.util = v->util;
    render(v, hud, dt);
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

int view_png(struct view *v, const char *path, char *err, size_t errlen)
{
    /* Redraw the last frame and read it back before any present. */
    render(v, &v->last, 0);
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

int view_tokens(const struct view *v)
{
    return v->live;
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
    for (int i = 0; i < v->nrows; i++)
        row_free(&v->rows[i]);
    free(v->tok);
    if (v->font)
        TTF_CloseFont(v->font);
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
