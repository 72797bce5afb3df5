/**
 * \file
 * \brief What a token looks like where it is drawn, and the list of what
 *        a frame drew (drawn.c): read by view.c and draw.c alike.
 */
#ifndef FASTSIM_DRAWN_H
#define FASTSIM_DRAWN_H

#include "simulator/view/view_impl.h"

/** The legend's colours. */
extern const SDL_Color view_colours[VC_NCOLOURS];

/** A client's mark: [1] waiting for an answer, [0] thinking. */
extern const SDL_Color view_client_colours[2];

/**
 * A token's colour now: the state of the place it is drawn in. A token on
 * its way across a place that is neither where it comes from nor where it
 * goes is drawn hollow (*hollow set), in the colour it will have; a
 * hand-off in flight is filled with its own colour.
 */
int view_token_colour(const struct view *v, const struct token *k,
                      bool *hollow);

/**
 * Whether a token is left out of the frame: flows are drawn (flow.h) and
 * it is neither the flow view's sampled fd nor the followed connection.
 */
bool view_token_hidden(const struct view *v, const struct token *k);

/**
 * The length of thread t's accept queue as the window states it: the
 * squares drawn there when the model's arrivals are drawn as squares,
 * else the model's own count (flows hide squares that lag behind it);
 * -1 when nobody counted it (a trace: the kernel's queue).
 */
int view_queue_length(const struct view *v, int t);

/** Note one drawn thing in the frame's list (for tests). */
void view_item_add(struct view *v, const struct view_item *it);

#endif
