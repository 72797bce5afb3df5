/*
 * What a square looks like where it is, and the list of what a frame
 * drew: shared by view.c (which moves tokens) and draw.c (which paints
 * them), so that neither needs the other.
 */
#include "simulator/view/drawn.h"

#include <stdio.h>
#include <stdlib.h>

const SDL_Color view_colours[VC_NCOLOURS] = {
    [VC_BACKLOG] = {245, 150, 50, 255}, [VC_ACCEPTING] = {240, 215, 60, 255},
    [VC_FLIGHT] = {205, 90, 250, 255},  [VC_IDLE] = {50, 85, 140, 255},
    [VC_READY] = {80, 225, 255, 255},   [VC_SERVING] = {80, 210, 110, 255},
    [VC_CLOSING] = {230, 80, 70, 255},
};

/* Greys, unlike every state of a connection: a client is not one. */
const SDL_Color view_client_colours[2] = {{105, 112, 125, 255},
                                          {215, 220, 230, 255}};

static int place_colour(int place, int c)
{
    switch (place) {
    case PLACE_CLIENTS:
    case PLACE_ACCEPT_QUEUE:
        return VC_BACKLOG;
    case PLACE_CPU:
        return c == VC_ACCEPTING || c == VC_SERVING || c == VC_CLOSING
                   ? c
                   : VC_SERVING;
    case PLACE_READY:
    case PLACE_SHARED:
        return VC_READY;
    case PLACE_IDLE:
        return VC_IDLE;
    default:
        return c == VC_FLIGHT ? VC_IDLE : c; /* a landed flight is idle */
    }
}

int view_token_colour(const struct view *v, const struct token *k, bool *hollow)
{
    *hollow = false;
    if (k->cur.arc && k->t < 1)
        return VC_FLIGHT; /* between places: the hand-off's own colour */
    int t;
    int place = layout_place_at(&v->l, (int)k->x + k->size / 2,
                                (int)k->y + k->size / 2, &t);
    if (k->t >= 1 || place == PLACE_NONE)
        return place_colour(place, k->cur.c);
    /* On the way: the state of where it comes from or where it goes,
     * hollow while it crosses any other place. */
    if (place == k->cur.place && (t == k->cur.row || t < 0))
        return place_colour(place, k->cur.c);
    if (place == k->from_place && (t == k->from_row || t < 0))
        return place_colour(place, k->from_c);
    if (place == PLACE_CPU && k->cur.place == PLACE_IDLE && t == k->cur.row)
        return place_colour(place, k->cur.c); /* no idle area: the slot */
    *hollow = true;
    return k->cur.c == VC_FLIGHT ? VC_IDLE : k->cur.c;
}

bool view_token_hidden(const struct view *v, const struct token *k)
{
    if (!v->flow.on)
        return false;
    if (v->fol.anon >= 0 && v->fol.anon < v->nanon &&
        k == &v->anon[v->fol.anon])
        return false;
    if (k->fd >= 0 && k->fd == v->fol.fd && !v->fol.done)
        return false;
    return flow_hides(&v->flow, k->fd);
}

void view_item_add(struct view *v, const struct view_item *it)
{
    if (v->nitems == v->items_cap) {
        int n = v->items_cap ? v->items_cap * 2 : 1024;
        struct view_item *grown = realloc(v->items, (size_t)n * sizeof *grown);
        if (!grown)
            return;
        v->items = grown, v->items_cap = n;
    }
    v->items[v->nitems++] = *it;
}

int view_queue_length(const struct view *v, int t)
{
    if (v->arrivals && (!v->flow.on || !v->has_backlog))
        return v->arr[t].len; /* drawn: the number is what is drawn */
    return v->has_backlog ? v->backlog[t] : -1;
}

void view_span_words(double span_s, char *out, size_t len)
{
    if (span_s <= 0 || (span_s >= 0.95 && span_s < 1.05))
        snprintf(out, len, " (last 1 s)");
    else if (span_s >= 0.1)
        snprintf(out, len, " (last %.1f s)", span_s);
    else
        snprintf(out, len, " (last %.2g ms)", span_s * 1e3);
}

int view_shared_length(const struct view *v)
{
    return v->flow.on ? v->last.shared_len : layout_area_count(&v->l.shared);
}
