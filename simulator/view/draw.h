/**
 * \file
 * \brief Painting one frame of the view (draw.c): the HUD (hud_draw.c), the
 * places, the tokens where view.c has moved them, the follow panel, the legend
 * and the keys.
 */
#ifndef FASTSIM_DRAW_H
#define FASTSIM_DRAW_H

#include "simulator/view/view_impl.h"

/** Paint a whole frame from the layout and the tokens as they are. */
void draw_frame(struct view *v, const struct hud *h);

/**
 * Paint the heads-up display (hud_draw.c): title, figures, the counts
 * --report prints, the warm-up, the line in words, CPU bars and plot.
 */
void draw_hud(struct view *v, const struct hud *h);

#endif
