/*
 * Painting one frame: the places of every thread, the tokens where view.c
 * has moved them, the client column, the followed connection's trail and
 * panel, the legend, the keys and the cards; the HUD is hud_draw.c's,
 * the brushes paint.c's. Every text goes into a box layout.c computed,
 * clipped to it. The legend is on every frame: a learner should never
 * need `h` to know what a colour means.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "simulator/view/draw.h"
#include "simulator/view/drawn.h"
#include "simulator/view/paint.h"

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
    paint_fill(v, l->clients_bg, lane_bg);
    paint_text(v, v->font, l->clients_label, dim_fg, "clients", -2);
    if (h->clients <= 0) {
        bool model = h->mode == HUD_MODEL;
        paint_text(v, v->small, l->clients_line[0], dim_fg,
                   model ? "open loop: no" : "a trace records", -2);
        paint_text(v, v->small, l->clients_line[1], dim_fg,
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
    paint_text(v, v->small, l->clients_line[0], wait_fg, s, -2);
    snprintf(s, sizeof s, "thinking %d", n - waiting);
    paint_text(v, v->small, l->clients_line[1], think_fg, s, -2);
    /* The largest marks that fit them all (layout_client_marks; arrivals
     * leave from them). */
    struct client_marks m = layout_client_marks(l, n);
    if (m.marks == 0)
        return;
    if (m.per > 1) {
        snprintf(s, sizeof s, "a mark: %d clients", m.per);
        paint_text(v, v->small, l->clients_line[2], dim_fg, s, -2);
    }
    int lit = (waiting + m.per - 1) / m.per;
    static SDL_Rect batch[1024];
    int nb = 0;
    for (int i = 0; i < m.marks; i++) {
        batch[nb++] = layout_client_mark(l, &m, i);
        if (nb == 1024 || i + 1 == m.marks || i + 1 == lit) {
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
            paint_text(v, v->small, v->l.legend_word[c], grey_fg,
                       "(no hand-offs here)", -2);
            continue;
        }
        paint_fill(v, v->l.legend_sw[c], view_colours[c]);
        paint_text(v, v->small, v->l.legend_word[c], text_fg, word, -2);
    }
}

/* The keys, the model's own greyed out when a trace plays. */
static void draw_keys(struct view *v, const struct hud *h)
{
    bool model = h->mode == HUD_MODEL;
    paint_text(v, v->font, v->l.keys[0], dim_fg,
               "h help  space pause  . step  f follow  <- -> speed  s shot  "
               "v flows  q quit",
               -2);
    paint_text(v, v->font, v->l.keys[1], model ? dim_fg : grey_fg,
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
    paint_fill(v, box, (SDL_Color){10, 12, 16, 250});
    SDL_SetRenderDrawBlendMode(v->ren, SDL_BLENDMODE_NONE);
    paint_outline(v, box, dim_fg);
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
            paint_text(v, v->font, (SDL_Rect){r.x, r.y, 104, TEXT_H}, c, key,
                       -2);
            r.x += 110, r.w -= 110, rest = tab + 1;
        }
        paint_text(v, v->font, r, c, rest, -2);
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
    paint_fill(v, r->queue.box, bg);
    paint_outline(v, r->queue.box, view_colours[VC_BACKLOG]);
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
    paint_text(v, v->small, r->count_box, dim_fg, num, -2);
}

static void draw_rows(struct view *v)
{
    const struct layout *l = &v->l;
    for (int c = 0; c < l->cores && c < MAX_LANES; c++) {
        const struct lane *ln = &l->lanes[c];
        paint_fill(v, ln->box, lane_bg);
        char name[16];
        snprintf(name, sizeof name, l->compact ? "c%d" : "core %d", c);
        paint_text(v, paint_font_for(v, ln->name), ln->name, text_fg, name, -2);
        paint_text(v, paint_font_for(v, ln->note), ln->note, dim_fg,
                   "no thread runs on this core: it stays idle", -2);
    }
    for (int i = 0; i < l->nrows; i++) {
        const struct row *r = &l->rows[i];
        paint_fill(v, r->box, row_bg);
        if (r->ready.box.w)
            paint_fill(v, r->ready.box, ready_bg);
        paint_fill(v, r->slot, bg);
        paint_outline(v, r->slot, view_colours[VC_SERVING]);
        if (r->queue.box.w)
            draw_queue(v, r, i);
        paint_text(v, paint_font_for(v, r->label_box), r->label_box, text_fg,
                   r->label, -2);
        /* Flows hide the squares, and their gauges say the number. */
        bool counts = !v->flow.on;
        char cap[48];
        snprintf(cap, sizeof cap, "ready list %d",
                 layout_area_count(&r->ready));
        if (!counts)
            snprintf(cap, sizeof cap, "ready list");
        paint_text(v, v->small, r->ready_cap, dim_fg, cap, -2);
        snprintf(cap, sizeof cap, "interest set (epoll) %d",
                 layout_area_count(&r->idle));
        if (!counts)
            snprintf(cap, sizeof cap, "interest set (epoll)");
        int cw = 0, ch = 0;
        if (counts && TTF_SizeUTF8(v->small, cap, &cw, &ch) == 0 &&
            cw > r->idle_cap.w) /* narrow: the count matters more */
            snprintf(cap, sizeof cap, "interest set %d",
                     layout_area_count(&r->idle));
        paint_text(v, v->small, r->idle_cap, dim_fg, cap, -2);
    }
}

static void draw_shared(struct view *v, const struct hud *h)
{
    const struct layout *l = &v->l;
    paint_fill(v, l->shared_band, lane_bg);
    char label[48];
    snprintf(label, sizeof label, "shared queue %d", view_shared_length(v));
    paint_text(v, v->font, l->shared_label, text_fg, label, -2);
    paint_fill(v, l->lock, h->lock_held ? view_colours[VC_CLOSING] : bg);
    paint_text(v, v->small, l->lock_label, h->lock_held ? bg : dim_fg, "lock",
               -2);
    paint_fill(v, l->shared.box, ready_bg);
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
    paint_text(v, v->font, l->agg_line, text_fg, line, -2);
    for (int c = 0; c < n && h->util; c++) {
        double u = fmin(1, fmax(0, h->util[c]));
        SDL_Color col = {(Uint8)(40 + 40 * u), (Uint8)(44 + 166 * u),
                         (Uint8)(52 + 58 * u), 255};
        paint_fill(v,
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
            if (hollow) { /* crossing a place on its way: an outline, two
                           * pixels wide (one was lost on the ready list) */
                paint_outline(v, r, view_colours[c]);
                paint_outline(v, (SDL_Rect){r.x + 1, r.y + 1, r.w - 2, r.h - 2},
                              view_colours[c]);
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
            /* A hollow square has no fill to be dark on: its number is
             * light (the tour's fd 5 crossed t1's ready list as an empty
             * box, its "5" dark on dark). */
            bool hollow;
            view_token_colour(v, k, &hollow);
            paint_text(v, v->small,
                       (SDL_Rect){(int)k->x + (k->size - w) / 2,
                                  (int)k->y + (k->size - h) / 2, w, h},
                       hollow ? text_fg : bg, num, k->fd);
        }
    }
    if (fol && fol->live) {
        SDL_Rect r = {(int)fol->x - 3, (int)fol->y - 3, fol->size + 6,
                      fol->size + 6};
        paint_outline(v, r, white);
        paint_outline(v, (SDL_Rect){r.x - 1, r.y - 1, r.w + 2, r.h + 2}, white);
    }
}

/* One leg of the trail: thick in the flight's colour for a hand-off. */
static void draw_leg(struct view *v, SDL_Point a, SDL_Point b, bool handed)
{
    SDL_Color c = handed ? view_colours[VC_FLIGHT] : white;
    SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, 255);
    for (int d = handed ? -1 : 0; d <= (handed ? 1 : 0); d++)
        SDL_RenderDrawLine(v->ren, a.x + d, a.y, b.x + d, b.y);
}

/* The followed connection's trail: a line through every place it has
 * been, to where it is now. The hand-off's leg is drawn thick in the
 * flight's colour: once it has landed (the tour's hand-off picture)
 * nothing else showed which leg was the hand-off, the hop the staged
 * design is about. The leg being flown is drawn too, from the last
 * place to the square: the flight was a square alone in the lane, its
 * line appearing only once it had landed. */
static void draw_trail(struct view *v)
{
    const struct follow *f = &v->fol;
    if (f->ntrail == 0)
        return;
    for (int i = 1; i < f->ntrail; i++)
        draw_leg(v, f->trail[i - 1], f->trail[i], f->handed[i]);
    const struct token *k = NULL;
    if (f->anon >= 0 && f->anon < v->nanon)
        k = &v->anon[f->anon];
    else if (f->fd >= 0 && f->fd < v->ntok && !f->done)
        k = &v->toks[f->fd];
    if (k && k->live && k->t < 1)
        draw_leg(v, f->trail[f->ntrail - 1],
                 (SDL_Point){(int)k->x + k->size / 2, (int)k->y + k->size / 2},
                 k->cur.arc);
    for (int i = 0; i < f->ntrail; i++)
        paint_fill(v, (SDL_Rect){f->trail[i].x - 2, f->trail[i].y - 2, 5, 5},
                   white);
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
    paint_fill(v, l->panel, lane_bg);
    paint_outline(v, l->panel, dim_fg);
    char line[160];
    const struct follow *f = &v->fol;
    if (f->pending)
        snprintf(line, sizeof line, "following the next connection");
    else if (f->fd >= 0)
        snprintf(line, sizeof line, "following fd %d%s", f->fd,
                 f->done ? " (closed)" : "");
    else
        snprintf(line, sizeof line, "following a connection (no fd yet)");
    paint_text(v, v->small, l->panel_line[0], white, line, -2);
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
        paint_text(v, v->small, l->panel_line[1 + j],
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
