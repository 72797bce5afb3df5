/*
 * Painting the heads-up display: the title, the figures and the counts
 * --report prints, the warm-up, what happens now in words, the CPU bars
 * and the plot over time.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "simulator/view/draw.h"
#include "simulator/view/drawn.h"
#include "simulator/view/paint.h"

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
    paint_fill(v, box, lane_bg);
    double max_rps = 1, max_p99 = 1;
    for (int i = 0; i < v->nplot; i++) {
        max_rps = fmax(max_rps, v->plot_rps[i]);
        max_p99 = fmax(max_p99, v->plot_p99[i]);
    }
    /* The curves stay below the labels, so no line crosses them. */
    int top = v->l.plot_label[1].y + v->l.plot_label[1].h - box.y + 3;
    int span = box.h - 4 - top > 1 ? box.h - 4 - top : 1;
    int base = box.y + box.h - 2;
    paint_fill(v, (SDL_Rect){box.x + 2, base, box.w - 4, 1}, grey_fg);
    paint_fill(v, (SDL_Rect){box.x + 2, base - span, box.w - 4, 1}, grey_fg);
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
    paint_text(v, v->small, v->l.plot_label[0], view_colours[VC_SERVING], line,
               -2);
    time_short(fig, sizeof fig, max_p99);
    snprintf(line, sizeof line, "p99 latency");
    if (some)
        snprintf(line, sizeof line, "p99 latency 0-%s", fig);
    paint_text(v, v->small, v->l.plot_label[1], p99_fg, line, -2);
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
        paint_text(v, v->small, l->bars_caption, dim_fg, name, -2);
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
            paint_text(v, v->small, (SDL_Rect){x, l->bars.y, 34, SMALL_H},
                       dim_fg, name, -2);
            bar = (SDL_Rect){x + 36, l->bars.y + 3,
                             gw - 42 - (l->bar_figures ? 36 : 0), 9};
            /* the share of time busy (a bar of "busy now" has no figure
             * to give: it is full or empty) */
            if (l->bar_figures && !h->bars_now) {
                snprintf(name, sizeof name, "%.0f%%", 100 * u);
                paint_text(
                    v, v->small,
                    (SDL_Rect){bar.x + bar.w + 4, l->bars.y, 32, SMALL_H},
                    dim_fg, name, -2);
            }
        } else {
            bar = (SDL_Rect){x, l->bars.y, gw > 2 ? gw - 1 : 1, l->bars.h};
        }
        paint_fill(v, bar, lane_bg);
        if (l->bar_names)
            bar.w = (int)(bar.w * u);
        else
            bar.y += bar.h - (int)(bar.h * u), bar.h = (int)(bar.h * u);
        /* Green is "on CPU now"; a utilisation (a mean since the warm-up)
         * is drawn dimmer, so that it never claims an empty slot busy. */
        paint_fill(v, bar,
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

void draw_hud(struct view *v, const struct hud *h)
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
    paint_text(v, v->font, l->hud_line[0], text_fg, line, -2);
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
    paint_text(v, v->font, l->hud_line[1], text_fg, line, -2);
    if (warming) { /* the warm-up, as a warm-up: a progress bar */
        double f = h->sim_s / h->warmup_s;
        SDL_Rect bar = l->warm_bar;
        paint_fill(v, bar, lane_bg);
        bar.w = (int)(bar.w * f);
        paint_fill(v, bar, note_fg);
        snprintf(line, sizeof line, "warming up: %.0f%% of %g ms%s", 100 * f,
                 h->warmup_s * 1e3,
                 l->warm_text.w >= 420 ? " (the report counts after it)" : "");
        paint_text(v, v->font, l->warm_text, note_fg, line, -2);
    } else if (h->stats) {
        paint_text(v, v->font, l->hud_line[2], dim_fg, h->stats, -2);
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
        paint_text(v, l->hud_line[2].w < 640 ? v->small : v->font,
                   l->hud_line[2], dim_fg, line, -2);
    } else if (h->clients) {
        snprintf(line, sizeof line, "clients %d   connections on screen %d",
                 h->clients, v->live);
        paint_text(v, v->font, l->hud_line[2], dim_fg, line, -2);
    }
    char said[200];
    const char *now = h->narration;
    if (!now && view_said(v, said, sizeof said))
        now = said;
    if (h->message)
        paint_text(v, paint_font_fitting(v, l->hud_line[3], h->message),
                   l->hud_line[3], note_fg, h->message, -2);
    else if (now) /* "...; fd 5 goes back to idle in its interest..." */
        paint_text(v, paint_font_fitting(v, l->hud_line[3], now),
                   l->hud_line[3], white, now, -2);
    draw_cpu_bars(v, h);
    draw_plot(v);
}

/* Marks in a batch of one colour. */
