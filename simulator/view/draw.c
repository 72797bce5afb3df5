/*
 * Painting one frame: the HUD (figures, what happens now, CPU bars, a
 * plot), the places of every thread, the tokens where view.c has moved
 * them, the followed connection's trail and panel, the legend and the
 * keys. Every text goes into a box layout.c computed, clipped to it. The
 * legend is on every frame: a learner should never need `h` to know what
 * a colour means.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "simulator/view/draw.h"
#include "simulator/view/drawn.h"

static const SDL_Color bg = {22, 24, 29, 255}, lane_bg = {40, 44, 52, 255},
                       row_bg = {48, 53, 63, 255}, ready_bg = {36, 62, 74, 255},
                       text_fg = {225, 228, 235, 255},
                       dim_fg = {150, 155, 165, 255},
                       grey_fg = {85, 90, 100, 255},
                       note_fg = {255, 210, 120, 255},
                       p99_fg = {240, 150, 60, 255},
                       white = {255, 255, 255, 255};

/* A rendered string, from the cache when it was drawn before (rendering a
 * string with FreeType costs more than drawing 2,000 tokens). */
static struct text_tex *text_get(struct view *v, TTF_Font *font, SDL_Color c,
                                 const char *s)
{
    Uint32 rgba =
        (Uint32)c.r << 24 | (Uint32)c.g << 16 | (Uint32)c.b << 8 | c.a;
    struct text_tex *old = &v->texts[0];
    if (strlen(s) >= sizeof old->s)
        return NULL;
    for (int i = 0; i < TEXT_CACHE; i++) {
        struct text_tex *e = &v->texts[i];
        if (e->tex && e->font == font && e->colour == rgba && !strcmp(e->s, s))
            return e;
        if (!e->tex || e->used < old->used)
            old = e;
    }
    SDL_Surface *surf = TTF_RenderUTF8_Blended(font, s, c);
    if (!surf)
        return NULL;
    SDL_Texture *tex = SDL_CreateTextureFromSurface(v->ren, surf);
    SDL_FreeSurface(surf);
    if (!tex)
        return NULL;
    if (old->tex)
        SDL_DestroyTexture(old->tex);
    old->tex = tex, old->font = font, old->colour = rgba;
    snprintf(old->s, sizeof old->s, "%s", s);
    SDL_QueryTexture(tex, NULL, NULL, &old->w, &old->h);
    return old;
}

/* Draw a string in a box the layout gave, cut short (with "...") when it
 * is too wide, left out when the box is too low for the font. fd: the
 * square it labels, or -2. */
static void text_box(struct view *v, TTF_Font *font, SDL_Rect box, SDL_Color c,
                     const char *s, int fd)
{
    if (!font || !s || !*s || box.w <= 0 || TTF_FontHeight(font) > box.h + 1)
        return;
    char buf[132];
    snprintf(buf, 128, "%s", s);
    int w, h;
    if (TTF_SizeUTF8(font, buf, &w, &h) < 0)
        return;
    size_t n = strlen(buf);
    bool cut = w > box.w;
    while (w > box.w && n > 0) { /* cut at a character boundary */
        do
            n--;
        while (n > 0 && (buf[n] & 0xC0) == 0x80);
        memcpy(buf + n, "...", 4);
        if (TTF_SizeUTF8(font, buf, &w, &h) < 0)
            return;
    }
    if (w > box.w)
        return;
    struct text_tex *e = text_get(v, font, c, buf);
    if (!e)
        return;
    e->used = v->frame;
    int th = e->h < box.h ? e->h : box.h;
    SDL_Rect dst = {box.x, box.y, e->w, th};
    SDL_Rect src = {0, 0, e->w, th};
    SDL_RenderCopy(v->ren, e->tex, &src, &dst);
    view_item_add(v, &(struct view_item){.text = true,
                                         .x = dst.x,
                                         .y = dst.y,
                                         .w = dst.w,
                                         .h = dst.h,
                                         .fd = fd,
                                         .cut = cut});
}

/* The font for a box: the HUD's when it is tall enough. */
static TTF_Font *font_for(struct view *v, SDL_Rect box)
{
    return box.h >= TEXT_H && v->font ? v->font : v->small;
}

/* The font, or the small one where the text would be cut in it: a line
 * of words read whole in small letters rather than cut. */
static TTF_Font *font_fitting(struct view *v, SDL_Rect box, const char *s)
{
    int w = 0, h = 0;
    if (v->font && TTF_SizeUTF8(v->font, s, &w, &h) == 0 && w > box.w)
        return v->small;
    return v->font;
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

/* A figure short enough for the plot's labels: 950, 12.3k, 1.5M. */
static void figure_short(char *out, size_t len, double x)
{
    if (x < 1e3)
        snprintf(out, len, "%.0f", x);
    else if (x < 1e6)
        snprintf(out, len, "%.3gk", x / 1e3);
    else
        snprintf(out, len, "%.3gM", x / 1e6);
}

/* A time in the unit that reads best: 850 us, 1.8 ms, 2.1 s. */
static void time_short(char *out, size_t len, double us)
{
    if (us < 1e3)
        snprintf(out, len, "%.0f us", us);
    else if (us < 1e6)
        snprintf(out, len, "%.3g ms", us / 1e3);
    else
        snprintf(out, len, "%.3g s", us / 1e6);
}

/* Throughput and p99 over time, each scaled to its own largest value:
 * a label says what the top of its curve stands for, and a baseline is
 * zero, so that a flat line reads as steady and not as 0 or as full. */
static void draw_plot(struct view *v)
{
    SDL_Rect box = v->l.plot;
    fill(v, box, lane_bg);
    double max_rps = 1, max_p99 = 1;
    for (int i = 0; i < v->nplot; i++) {
        max_rps = fmax(max_rps, v->plot_rps[i]);
        max_p99 = fmax(max_p99, v->plot_p99[i]);
    }
    /* The curves stay below the labels, so no line crosses them. */
    int top = v->l.plot_label[1].y + v->l.plot_label[1].h - box.y + 3;
    int span = box.h - 4 - top > 1 ? box.h - 4 - top : 1;
    int base = box.y + box.h - 2;
    fill(v, (SDL_Rect){box.x + 2, base, box.w - 4, 1}, grey_fg);
    fill(v, (SDL_Rect){box.x + 2, base - span, box.w - 4, 1}, grey_fg);
    for (int which = 0; which < 2; which++) {
        const double *data = which ? v->plot_p99 : v->plot_rps;
        double max = which ? max_p99 : max_rps;
        SDL_Color c = which ? p99_fg : view_colours[VC_SERVING];
        SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, 255);
        /* The samples so far span the width: a short run is not a
         * sliver at the left edge. */
        int last = v->nplot > 1 ? v->nplot - 1 : 1, w = box.w - 4;
        for (int i = 1; i < v->nplot; i++) {
            int x0 = box.x + 2 + (i - 1) * w / last;
            int x1 = box.x + 2 + i * w / last;
            int y0 = base - (int)(data[i - 1] / max * span);
            int y1 = base - (int)(data[i] / max * span);
            SDL_RenderDrawLine(v->ren, x0, y0, x1, y1);
        }
    }
    /* No figure yet (the floor of 1 is no scale): the names alone. */
    bool some = false;
    for (int i = 0; i < v->nplot && !some; i++)
        some = v->plot_rps[i] > 0 || v->plot_p99[i] > 0;
    char fig[32], line[64] = "throughput";
    figure_short(fig, sizeof fig, max_rps);
    if (some)
        snprintf(line, sizeof line, "throughput 0-%s req/s", fig);
    text_box(v, v->small, v->l.plot_label[0], view_colours[VC_SERVING], line,
             -2);
    time_short(fig, sizeof fig, max_p99);
    snprintf(line, sizeof line, "p99 latency");
    if (some)
        snprintf(line, sizeof line, "p99 latency 0-%s", fig);
    text_box(v, v->small, v->l.plot_label[1], p99_fg, line, -2);
}

/* One bar per core, named when they fit; else thin bars, and the mean of
 * each group of cores when even those do not fit. With bars_now they say
 * whether the core's slot holds a connection now (green); else they are
 * the utilisation since the warm-up (dim). */
static void draw_cpu_bars(struct view *v, const struct hud *h)
{
    const struct layout *l = &v->l;
    int n = h->cores, groups = l->nbars;
    if ((!h->util && !h->bars_now) || n <= 0 || groups <= 0)
        return;
    char name[16];
    if (l->bars_caption.w) {
        snprintf(name, sizeof name, "cpu0-%d", n - 1);
        text_box(v, v->small, l->bars_caption, dim_fg, name, -2);
    }
    int gw = l->bars.w / groups;
    for (int g = 0; g < groups; g++) {
        int from = g * n / groups, to = (g + 1) * n / groups;
        double u = 0;
        for (int c = from; c < to; c++) {
            double x = h->bars_now ? (c < 1024 && v->busy[c])
                                   : fmin(1, fmax(0, h->util[c]));
            u += x / (to - from);
        }
        int x = l->bars.x + g * gw;
        SDL_Rect bar;
        if (l->bar_names) {
            snprintf(name, sizeof name, "cpu%d", g);
            text_box(v, v->small, (SDL_Rect){x, l->bars.y, 34, SMALL_H}, dim_fg,
                     name, -2);
            bar = (SDL_Rect){x + 36, l->bars.y + 3,
                             gw - 42 - (l->bar_figures ? 36 : 0), 9};
            /* the share of time busy (a bar of "busy now" has no figure
             * to give: it is full or empty) */
            if (l->bar_figures && !h->bars_now) {
                snprintf(name, sizeof name, "%.0f%%", 100 * u);
                text_box(v, v->small,
                         (SDL_Rect){bar.x + bar.w + 4, l->bars.y, 32, SMALL_H},
                         dim_fg, name, -2);
            }
        } else {
            bar = (SDL_Rect){x, l->bars.y, gw > 2 ? gw - 1 : 1, l->bars.h};
        }
        fill(v, bar, lane_bg);
        if (l->bar_names)
            bar.w = (int)(bar.w * u);
        else
            bar.y += bar.h - (int)(bar.h * u), bar.h = (int)(bar.h * u);
        /* Green is "on CPU now"; a utilisation (a mean since the warm-up)
         * is drawn dimmer, so that it never claims an empty slot busy. */
        fill(v, bar,
             h->bars_now ? view_colours[VC_SERVING]
                         : (SDL_Color){70, 115, 85, 255});
        if (to - from == 1)
            view_item_add(v, &(struct view_item){.x = bar.x,
                                                 .y = bar.y,
                                                 .w = bar.w,
                                                 .h = bar.h,
                                                 .colour = h->bars_now,
                                                 .fd = -2,
                                                 .bar = from + 1});
    }
}

void view_title(const struct hud *h, bool narrow, char *out, size_t len)
{
    static const char *const modes[] = {"model", "replay", "live"};
    /* The scenario's name is often an arch's ("staged" run with --arch
     * shared-nothing): a bare name beside the arch read as the arch. */
    static const char *const what[] = {"scenario ", "trace ", ""};
    const char *title = h->title ? h->title : "";
    const char *arch = h->arch ? h->arch : "?";
    /* The name comes last, where a cut costs least: the arch, the time,
     * the speed and PAUSED must show. */
    if (!narrow)
        snprintf(out, len,
                 "fastsim %s  |  arch %s  |  t = %.6f s  |  speed x%g%s  |  "
                 "%s%s",
                 modes[h->mode], arch, h->sim_s, h->speed,
                 h->paused ? "  |  PAUSED" : "", what[h->mode], title);
    else /* narrow: a name that only repeats the arch goes */
        snprintf(out, len, "arch %s | t %.6f s | speed x%g%s%s%s%s", arch,
                 h->sim_s, h->speed, h->paused ? " | PAUSED" : "",
                 strcmp(title, arch) ? " | " : "",
                 strcmp(title, arch) ? what[h->mode] : "",
                 strcmp(title, arch) ? title : "");
}

static void draw_hud(struct view *v, const struct hud *h)
{
    const struct layout *l = &v->l;
    char line[320];
    view_title(h, l->hud_line[0].w < 640, line, sizeof line);
    /* Too long, the scenario's name (last) goes whole rather than cut to
     * "scenari..." (shared-nothing at 640x360, paused) */
    int tw = 0, th = 0;
    char *name = strrchr(line, '|');
    if (name && h->title && *h->title && strstr(name, h->title) &&
        TTF_SizeUTF8(v->font, line, &tw, &th) == 0 && tw > l->hud_line[0].w) {
        while (name > line && name[-1] == ' ')
            name--;
        *name = 0;
    }
    text_box(v, v->font, l->hud_line[0], text_fg, line, -2);
    bool warming = h->warmup_s > 0 && h->sim_s < h->warmup_s;
    if (h->completed == 0) {
        snprintf(line, sizeof line, "no request answered yet%s",
                 warming ? "" : " - figures appear with the first");
    } else if (l->hud_line[1].w < 640) {
        /* narrow: the rates first; the counts get the next line */
        snprintf(line, sizeof line, "%.0f req/s  p50 %.0f us  p99 %.0f us",
                 h->throughput_rps, h->p50_us, h->p99_us);
        if (h->mode != HUD_MODEL || !h->measured)
            snprintf(line + strlen(line), sizeof line - strlen(line),
                     "  hand-offs %lu", h->handoffs);
    } else {
        /* The model's counts here run from t = 0 (they never go back);
         * the next line has the ones --report prints. */
        char span[32] = "";
        if (h->mode != HUD_MODEL)
            view_span_words(h->rate_span_s, span, sizeof span);
        snprintf(line, sizeof line,
                 "%s%.0f req/s%s   p50 %.1f us   p99 %.1f us   answered %lu   "
                 "hand-offs %lu%s",
                 warming ? "so far: " : "", h->throughput_rps, span, h->p50_us,
                 h->p99_us, h->completed, h->handoffs,
                 h->mode == HUD_MODEL ? "   (since t = 0)" : "");
    }
    if (h->mode == HUD_LIVE)
        snprintf(line + strlen(line), sizeof line - strlen(line),
                 "   dropped %lld", h->drops > 0 ? h->drops : 0);
    text_box(v, v->font, l->hud_line[1], text_fg, line, -2);
    if (warming) { /* the warm-up, as a warm-up: a progress bar */
        double f = h->sim_s / h->warmup_s;
        SDL_Rect bar = l->warm_bar;
        fill(v, bar, lane_bg);
        bar.w = (int)(bar.w * f);
        fill(v, bar, note_fg);
        snprintf(line, sizeof line, "warming up: %.0f%% of %g ms%s", 100 * f,
                 h->warmup_s * 1e3,
                 l->warm_text.w >= 420 ? " (the report counts after it)" : "");
        text_box(v, v->font, l->warm_text, note_fg, line, -2);
    } else if (h->stats) {
        text_box(v, v->font, l->hud_line[2], dim_fg, h->stats, -2);
    } else if (h->mode == HUD_MODEL && h->measured) {
        /* what --report prints for this run, and the cache penalties,
         * which the model only counts after the warm-up */
        if (l->hud_line[2].w >= 640 && l->hud_line[2].w < 900)
            snprintf(line, sizeof line,
                     "after the warm-up (as --report): answered %lu   "
                     "hand-offs %lu   cache penalties %lu",
                     h->measured_completed, h->measured_handoffs,
                     h->cache_misses);
        else if (l->hud_line[2].w < 640)
            snprintf(line, sizeof line,
                     "after warm-up: answered %lu  hand-offs %lu  cache %lu",
                     h->measured_completed, h->measured_handoffs,
                     h->cache_misses);
        else
            snprintf(line, sizeof line,
                     "after the warm-up, as --report counts: answered %lu   "
                     "hand-offs %lu   cache penalties %lu",
                     h->measured_completed, h->measured_handoffs,
                     h->cache_misses);
        /* Narrow, in the small font: the exact counts --report prints
         * for 16 cores ran past the line ("cache 120..." at 640x360). */
        text_box(v, l->hud_line[2].w < 640 ? v->small : v->font, l->hud_line[2],
                 dim_fg, line, -2);
    } else if (h->clients) {
        snprintf(line, sizeof line, "clients %d   connections on screen %d",
                 h->clients, v->live);
        text_box(v, v->font, l->hud_line[2], dim_fg, line, -2);
    }
    char said[200];
    const char *now = h->narration;
    if (!now && v->has_said && v->narrate) {
        v->narrate(&v->said, said, sizeof said);
        now = said;
    }
    if (h->message)
        text_box(v, font_fitting(v, l->hud_line[3], h->message), l->hud_line[3],
                 note_fg, h->message, -2);
    else if (now) /* "...; fd 5 goes back to idle in its interest..." */
        text_box(v, font_fitting(v, l->hud_line[3], now), l->hud_line[3], white,
                 now, -2);
    draw_cpu_bars(v, h);
    draw_plot(v);
}

/* Marks in a batch of one colour. */
static void marks_fill(struct view *v, const SDL_Rect *r, int n, SDL_Color c)
{
    SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
    SDL_RenderFillRects(v->ren, r, n);
}

/* The client column: a mark per closed-loop client, light while it waits
 * for an answer (its connection is queued, accepted, in flight, ready or
 * on a CPU) and dim while it thinks (its connection idle in an interest
 * set, or closed until its next one). The two counts add up to the
 * clients the HUD names; the light ones are at least the squares of
 * those states. An open loop or a trace has no fixed clients: it says so. */
static void draw_clients(struct view *v, const struct hud *h)
{
    const struct layout *l = &v->l;
    const SDL_Color wait_fg = view_client_colours[1],
                    think_fg = view_client_colours[0];
    fill(v, l->clients_bg, lane_bg);
    text_box(v, v->font, l->clients_label, dim_fg, "clients", -2);
    if (h->clients <= 0) {
        bool model = h->mode == HUD_MODEL;
        text_box(v, v->small, l->clients_line[0], dim_fg,
                 model ? "open loop: no" : "a trace records", -2);
        text_box(v, v->small, l->clients_line[1], dim_fg,
                 model ? "fixed clients" : "no clients", -2);
        return;
    }
    int n = h->clients, waiting = 0;
    static const int asking[] = {VC_BACKLOG, VC_ACCEPTING, VC_FLIGHT, VC_READY,
                                 VC_SERVING};
    for (size_t i = 0; i < sizeof asking / sizeof *asking; i++)
        waiting += v->counts[asking[i]];
    /* The model's count adds the clients whose request is on its way (an
     * fd just landed idle, its request already sent); but the squares
     * glide behind the model, and a square still asking must not sit
     * beside "waiting 0" (one client: its fd drawn in the ready list, the
     * model already past the answer): never fewer than the squares. */
    if (h->clients_counted && h->clients_waiting > waiting)
        waiting = h->clients_waiting;
    waiting = waiting < n ? waiting : n;
    char s[48];
    snprintf(s, sizeof s, "waiting %d", waiting);
    text_box(v, v->small, l->clients_line[0], wait_fg, s, -2);
    snprintf(s, sizeof s, "thinking %d", n - waiting);
    text_box(v, v->small, l->clients_line[1], think_fg, s, -2);
    /* The largest marks that fit them all; below 2 pixels a mark stands
     * for several clients. */
    SDL_Rect c = l->clients;
    int size = 8;
    while (size > 2 && (c.w / (size + 1)) * (c.h / (size + 1)) < n)
        size--;
    int cols = c.w / (size + 1), lines = c.h / (size + 1);
    if (cols <= 0 || lines <= 0)
        return;
    int per = (n + cols * lines - 1) / (cols * lines);
    if (per > 1) {
        snprintf(s, sizeof s, "a mark: %d clients", per);
        text_box(v, v->small, l->clients_line[2], dim_fg, s, -2);
    }
    int marks = (n + per - 1) / per, lit = (waiting + per - 1) / per;
    static SDL_Rect batch[1024];
    int nb = 0;
    for (int i = 0; i < marks; i++) {
        batch[nb++] = (SDL_Rect){c.x + (i % cols) * (size + 1),
                                 c.y + (i / cols) * (size + 1), size, size};
        if (nb == 1024 || i + 1 == marks || i + 1 == lit) {
            marks_fill(v, batch, nb, i < lit ? wait_fg : think_fg);
            nb = 0;
        }
    }
}

/* Whether any thread hands connections off (staged: an accept thread),
 * so that a hand-off flight can be drawn at all. */
static bool hands_off(const struct view *v)
{
    for (int i = 0; i < v->l.nrows; i++)
        if (v->l.rows[i].role == VIEW_ACCEPT)
            return true;
    return false;
}

const char *view_legend_word(const struct view *v, enum view_colour c)
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
    if (c < 0 || c >= VC_NCOLOURS)
        return NULL;
    if (c == VC_FLIGHT && !hands_off(v))
        return NULL;
    /* the pool's readable fds wait in its shared queue: it has no ready
     * list for the legend to name */
    if (c == VC_READY && v->l.pool)
        return "ready (shared queue)";
    return words[c];
}

/* The legend: one word per colour that this arch can draw. A colour it
 * never draws (a flight where nothing is handed off) would send the eye
 * looking for it: its entry says instead that there is none. */
static void draw_legend(struct view *v)
{
    for (int c = 0; c < VC_NCOLOURS; c++) {
        const char *word = view_legend_word(v, (enum view_colour)c);
        if (!word) {
            text_box(v, v->small, v->l.legend_word[c], grey_fg,
                     "(no hand-offs here)", -2);
            continue;
        }
        fill(v, v->l.legend_sw[c], view_colours[c]);
        text_box(v, v->small, v->l.legend_word[c], text_fg, word, -2);
    }
}

/* The keys, the model's own greyed out when a trace plays. */
static void draw_keys(struct view *v, const struct hud *h)
{
    bool model = h->mode == HUD_MODEL;
    text_box(v, v->font, v->l.keys[0], dim_fg,
             "h help  space pause  . step  f follow  <- -> speed  s shot  "
             "v flows  q quit",
             -2);
    text_box(v, v->font, v->l.keys[1], model ? dim_fg : grey_fg,
             model ? "1-4 arch  up/down cores  +/- clients  r reset"
                   : "1-4 up/down +/- r: model only (a trace is what it is)",
             -2);
}

/* A box over the middle of the window, with lines of text. */
static void draw_card(struct view *v, const char *const *lines, int n,
                      const bool *grey)
{
    int w = v->l.w - 40 < 600 ? v->l.w - 40 : 600;
    int h = n * 24 + 24;
    if (h > v->l.h - 20)
        h = v->l.h - 20;
    SDL_Rect box = {v->l.w / 2 - w / 2, v->l.h / 2 - h / 2, w, h};
    SDL_SetRenderDrawBlendMode(v->ren, SDL_BLENDMODE_BLEND);
    fill(v, box, (SDL_Color){10, 12, 16, 250});
    SDL_SetRenderDrawBlendMode(v->ren, SDL_BLENDMODE_NONE);
    outline(v, box, dim_fg);
    int before = v->nitems;
    for (int i = 0; i < n && 12 + (i + 1) * 24 <= h; i++) {
        /* "key\twhat it does": two columns, which spaces in a
         * proportional font do not keep */
        char key[64];
        const char *tab = strchr(lines[i], '\t'), *rest = lines[i];
        SDL_Color c = grey && grey[i] ? grey_fg : text_fg;
        SDL_Rect r = {box.x + 16, box.y + 12 + i * 24, w - 32, TEXT_H};
        if (tab && tab - lines[i] < (int)sizeof key) {
            snprintf(key, sizeof key, "%.*s", (int)(tab - lines[i]), lines[i]);
            text_box(v, v->font, (SDL_Rect){r.x, r.y, 104, TEXT_H}, c, key, -2);
            r.x += 110, r.w -= 110, rest = tab + 1;
        }
        text_box(v, v->font, r, c, rest, -2);
    }
    v->nitems = before; /* a card lies over the picture: not in the list */
}

/* Every key the window takes (v was missing: the footer named it, the
 * help did not say what it does); 13 lines, as many as 640x360 holds. */
const char *const view_help_lines[] = {
    "space\tpause / run",
    ".\tone step (following: one hop of that connection)",
    "f or click\tfollow a connection: its trail and its hops",
    "<- ->\thalf / double speed",
    "v\tsquares or flows (arrows as wide as the rates)",
    "1 2 3 4\tstaged, shared-nothing, single, pool",
    "up down\tmore / fewer cores (within what the arch allows)",
    "+ -\tmore / fewer clients (1 to 1,000,000)",
    "r  s  h\treset, screenshot (PNG), this help",
    "q  Esc\tquit; Esc closes this help first",
    "Each thread, left to right: accept queue, CPU, ready list,",
    "interest set. The legend below names every colour.",
    "Clients, left: light ones wait for an answer, dim ones think.",
    NULL};

static void draw_help(struct view *v, const struct hud *h)
{
    int n = 0;
    while (view_help_lines[n])
        n++;
    bool grey[16] = {0};
    for (int i = 5; i <= 8; i++) /* the model's keys */
        grey[i] = h->mode != HUD_MODEL;
    draw_card(v, view_help_lines, n < 16 ? n : 16, grey);
}

/* A card: the text's lines, split at newlines. */
static void draw_text_card(struct view *v, const char *text)
{
    char buf[1024];
    const char *lines[24];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", text);
    for (char *p = buf, *nl; p && n < 24; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        lines[n++] = p;
    }
    draw_card(v, lines, n, NULL);
}

static void draw_queue(struct view *v, const struct row *r, int t)
{
    fill(v, r->queue.box, bg);
    outline(v, r->queue.box, view_colours[VC_BACKLOG]);
    char num[32];
    int len = view_queue_length(v, t);
    if (len < 0) {
        snprintf(num, sizeof num, "kernel queue");
    } else {
        /* The longest words that fit with the whole number: an overloaded
         * queue of 4185324 read "accept queue 418..." */
        static const char *const words[] = {"accept queue ", "queue ", ""};
        for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
            snprintf(num, sizeof num, "%s%d", words[i], len);
            int w = 0, h = 0;
            if (TTF_SizeUTF8(v->small, num, &w, &h) == 0 && w <= r->count_box.w)
                break;
        }
    }
    text_box(v, v->small, r->count_box, dim_fg, num, -2);
}

static void draw_rows(struct view *v)
{
    const struct layout *l = &v->l;
    for (int c = 0; c < l->cores && c < MAX_LANES; c++) {
        const struct lane *ln = &l->lanes[c];
        fill(v, ln->box, lane_bg);
        char name[16];
        snprintf(name, sizeof name, l->compact ? "c%d" : "core %d", c);
        text_box(v, font_for(v, ln->name), ln->name, text_fg, name, -2);
        text_box(v, font_for(v, ln->note), ln->note, dim_fg,
                 "no thread runs on this core: it stays idle", -2);
    }
    for (int i = 0; i < l->nrows; i++) {
        const struct row *r = &l->rows[i];
        fill(v, r->box, row_bg);
        if (r->ready.box.w)
            fill(v, r->ready.box, ready_bg);
        fill(v, r->slot, bg);
        outline(v, r->slot, view_colours[VC_SERVING]);
        if (r->queue.box.w)
            draw_queue(v, r, i);
        text_box(v, font_for(v, r->label_box), r->label_box, text_fg, r->label,
                 -2);
        /* Flows hide the squares, and their gauges say the number. */
        bool counts = !v->flow.on;
        char cap[48];
        snprintf(cap, sizeof cap, "ready list %d",
                 layout_area_count(&r->ready));
        if (!counts)
            snprintf(cap, sizeof cap, "ready list");
        text_box(v, v->small, r->ready_cap, dim_fg, cap, -2);
        snprintf(cap, sizeof cap, "interest set (epoll) %d",
                 layout_area_count(&r->idle));
        if (!counts)
            snprintf(cap, sizeof cap, "interest set (epoll)");
        int cw = 0, ch = 0;
        if (counts && TTF_SizeUTF8(v->small, cap, &cw, &ch) == 0 &&
            cw > r->idle_cap.w) /* narrow: the count matters more */
            snprintf(cap, sizeof cap, "interest set %d",
                     layout_area_count(&r->idle));
        text_box(v, v->small, r->idle_cap, dim_fg, cap, -2);
    }
}

static void draw_shared(struct view *v, const struct hud *h)
{
    const struct layout *l = &v->l;
    fill(v, l->shared_band, lane_bg);
    char label[48];
    snprintf(label, sizeof label, "shared queue %d", view_shared_length(v));
    text_box(v, v->font, l->shared_label, text_fg, label, -2);
    fill(v, l->lock, h->lock_held ? view_colours[VC_CLOSING] : bg);
    text_box(v, v->small, l->lock_label, h->lock_held ? bg : dim_fg, "lock",
             -2);
    fill(v, l->shared.box, ready_bg);
}

/* Beyond 64 cores or 256 threads: a cell per core, lit by utilisation. */
static void draw_aggregate(struct view *v, const struct hud *h)
{
    const struct layout *l = &v->l;
    int top = HUD_H + 30, left = POOL_W + 16;
    int cw = l->agg_line.w, chh = l->foot_top - top - 10;
    int n = h->cores > 0 ? h->cores : 1;
    int cols = (int)ceil(sqrt((double)n * cw / (chh > 1 ? chh : 1)));
    cols = cols < 1 ? 1 : cols;
    int lines = (n + cols - 1) / cols, size = cw / cols;
    if (lines * size > chh)
        size = chh / (lines ? lines : 1);
    char line[200];
    snprintf(line, sizeof line,
             "aggregate view: %d cores, %d threads; on CPU %d, ready %d, "
             "idle %d",
             h->cores, l->threads, v->counts[VC_SERVING], v->counts[VC_READY],
             v->counts[VC_IDLE]);
    text_box(v, v->font, l->agg_line, text_fg, line, -2);
    for (int c = 0; c < n && h->util; c++) {
        double u = fmin(1, fmax(0, h->util[c]));
        SDL_Color col = {(Uint8)(40 + 40 * u), (Uint8)(44 + 166 * u),
                         (Uint8)(52 + 58 * u), 255};
        fill(v,
             (SDL_Rect){left + (c % cols) * size, top + (c / cols) * size,
                        size > 2 ? size - 1 : 1, size > 2 ? size - 1 : 1},
             col);
    }
}

/* Every token, batched by colour; the followed one outlined, its number
 * on each square that is large enough. */
static void draw_tokens(struct view *v)
{
    static SDL_Rect batch[VC_NCOLOURS][2048];
    int nb[VC_NCOLOURS] = {0};
    bool numbers = v->l.tok >= 14 && v->live <= 400;
    const struct token *fol = NULL;
    if (v->fol.anon >= 0 && v->fol.anon < v->nanon)
        fol = &v->anon[v->fol.anon];
    else if (v->fol.fd >= 0 && v->fol.fd < v->ntok && !v->fol.done)
        fol = &v->toks[v->fol.fd];
    for (int pass = 0; pass < 2; pass++) {
        int n = pass ? v->nanon : v->ntok;
        for (int i = 0; i < n; i++) {
            const struct token *k = pass ? &v->anon[i] : &v->toks[i];
            if (!k->live || view_token_hidden(v, k)) /* flow view */
                continue;
            bool hollow;
            int c = view_token_colour(v, k, &hollow);
            int s = k->size;
            bool flight = c == VC_FLIGHT;
            if (flight)
                s += 2; /* flights stand out */
            if (k->closing && k->t >= 1 && k->npend == 0)
                s = (int)(s * (k->life > 0.3f ? k->life : 0.3f));
            s = s < 2 ? 2 : s;
            SDL_Rect r = {(int)k->x, (int)k->y, s, s};
            view_item_add(
                v, &(struct view_item){.x = r.x,
                                       .y = r.y,
                                       .w = r.w,
                                       .h = r.h,
                                       .colour = c,
                                       .fd = k->fd,
                                       .moving = k->t < 1 || k->npend > 0,
                                       .to_x = (int)(k->t < 1 ? k->tx : k->x),
                                       .to_y = (int)(k->t < 1 ? k->ty : k->y),
                                       .flight = flight,
                                       .hollow = hollow});
            if (hollow) { /* crossing a place on its way: an outline */
                outline(v, r, view_colours[c]);
                continue;
            }
            if (nb[c] == 2048) {
                SDL_Color col = view_colours[c];
                SDL_SetRenderDrawColor(v->ren, col.r, col.g, col.b, col.a);
                SDL_RenderFillRects(v->ren, batch[c], nb[c]);
                nb[c] = 0;
            }
            batch[c][nb[c]++] = r;
        }
    }
    for (int c = 0; c < VC_NCOLOURS; c++) {
        SDL_Color col = view_colours[c];
        SDL_SetRenderDrawColor(v->ren, col.r, col.g, col.b, col.a);
        SDL_RenderFillRects(v->ren, batch[c], nb[c]);
    }
    if (numbers) {
        char num[16];
        for (int i = 0; i < v->ntok; i++) {
            const struct token *k = &v->toks[i];
            if (!k->live || k->size < 14 || k->fd < 0 ||
                view_token_hidden(v, k)) /* flow view (flow.h) */
                continue;
            snprintf(num, sizeof num, "%d", k->fd);
            int w = 0, h = 0;
            TTF_SizeUTF8(v->small, num, &w, &h);
            text_box(v, v->small,
                     (SDL_Rect){(int)k->x + (k->size - w) / 2,
                                (int)k->y + (k->size - h) / 2, w, h},
                     bg, num, k->fd);
        }
    }
    if (fol && fol->live) {
        SDL_Rect r = {(int)fol->x - 3, (int)fol->y - 3, fol->size + 6,
                      fol->size + 6};
        outline(v, r, white);
        outline(v, (SDL_Rect){r.x - 1, r.y - 1, r.w + 2, r.h + 2}, white);
    }
}

/* The followed connection's trail: a line through every place it has
 * been, to where it is now. The hand-off's leg is drawn thick in the
 * flight's colour: its flight lasts a quarter of a second, and once it
 * has landed (the tour's hand-off picture) nothing else showed which
 * leg was the hand-off, the hop the staged design is about. */
static void draw_trail(struct view *v)
{
    const struct follow *f = &v->fol;
    if (f->ntrail == 0)
        return;
    for (int i = 1; i < f->ntrail; i++) {
        SDL_Point a = f->trail[i - 1], b = f->trail[i];
        SDL_Color c = f->handed[i] ? view_colours[VC_FLIGHT] : white;
        SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, 255);
        for (int d = f->handed[i] ? -1 : 0; d <= (f->handed[i] ? 1 : 0); d++)
            SDL_RenderDrawLine(v->ren, a.x + d, a.y, b.x + d, b.y);
    }
    for (int i = 0; i < f->ntrail; i++)
        fill(v, (SDL_Rect){f->trail[i].x - 2, f->trail[i].y - 2, 5, 5}, white);
}

/* A hop's line in the follow panel, in two where the panel is too narrow
 * for it (640x360 cut "5.00 us  handed to t1: epoll_c..."): the words
 * that fit, then the rest, indented. \return the lines (1 or 2). */
static int hop_split(struct view *v, const char *s, int w, char out[2][160])
{
    int tw = 0, th = 0;
    size_t n = strlen(s), cut = 0;
    snprintf(out[0], 160, "%s", s);
    if (!v->small || TTF_SizeUTF8(v->small, s, &tw, &th) < 0 || tw <= w)
        return 1;
    char head[160];
    for (size_t i = 1; i < n && i < sizeof head; i++) {
        if (s[i] != ' ' || s[i - 1] == ' ')
            continue;
        memcpy(head, s, i);
        head[i] = 0;
        if (TTF_SizeUTF8(v->small, head, &tw, &th) < 0 || tw > w)
            break;
        cut = i;
    }
    if (cut == 0)
        return 1;
    snprintf(out[0], 160, "%.*s", (int)cut, s);
    snprintf(out[1], 160, "            %s", s + cut + strspn(s + cut, " "));
    return 2;
}

static void draw_panel(struct view *v)
{
    const struct layout *l = &v->l;
    if (!l->panel_on || l->panel_lines == 0)
        return;
    fill(v, l->panel, lane_bg);
    outline(v, l->panel, dim_fg);
    char line[160];
    const struct follow *f = &v->fol;
    if (f->pending)
        snprintf(line, sizeof line, "following the next connection");
    else if (f->fd >= 0)
        snprintf(line, sizeof line, "following fd %d%s", f->fd,
                 f->done ? " (closed)" : "");
    else
        snprintf(line, sizeof line, "following a connection (no fd yet)");
    text_box(v, v->small, l->panel_line[0], white, line, -2);
    /* The newest hops that fit, each on one line or two: the rows are
     * filled from the newest hop back, then drawn oldest first. */
    static char shown[MAX_PANEL][160];
    bool newest[MAX_PANEL];
    int rows = l->panel_lines - 1, n = 0;
    for (int i = f->nlog - 1; i >= 0 && n < rows; i--) {
        double us = (double)f->log[i].t_ns / 1e3;
        if (us < 1e4)
            snprintf(line, sizeof line, "%8.2f us  %s", us, f->log[i].text);
        else
            snprintf(line, sizeof line, "%8.3f ms  %s", us / 1e3,
                     f->log[i].text);
        char two[2][160];
        int k = hop_split(v, line, l->panel_line[0].w, two);
        if (n + k > rows)
            break;
        for (int j = k - 1; j >= 0; j--) { /* backwards: reversed below */
            snprintf(shown[n], sizeof shown[n], "%s", two[j]);
            newest[n++] = i == f->nlog - 1;
        }
    }
    for (int j = 0; j < n; j++)
        text_box(v, v->small, l->panel_line[1 + j],
                 newest[n - 1 - j] ? text_fg : dim_fg, shown[n - 1 - j], -2);
}

void draw_frame(struct view *v, const struct hud *h)
{
    const struct layout *l = &v->l;
    v->frame++;
    SDL_SetRenderDrawColor(v->ren, bg.r, bg.g, bg.b, 255);
    SDL_RenderClear(v->ren);
    draw_clients(v, h);
    if (l->aggregate) {
        draw_aggregate(v, h);
    } else {
        if (l->pool)
            draw_shared(v, h);
        draw_rows(v);
        flow_draw(v); /* flow view (flow.h): under the squares it keeps */
        draw_trail(v);
        draw_tokens(v);
        flow_draw_sample(v); /* flow view (flow.h) */
    }
    draw_panel(v);
    draw_hud(v, h);
    draw_legend(v);
    draw_keys(v, h);
    if (h->card)
        draw_text_card(v, h->card);
    if (h->help)
        draw_help(v, h);
}
