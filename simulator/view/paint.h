/**
 * \file
 * \brief The view's brushes (paint.c): its colours, texts clipped to
 *        their boxes, fills and outlines, shared by draw.c and
 *        hud_draw.c.
 */
#ifndef FASTSIM_PAINT_H
#define FASTSIM_PAINT_H

#include "simulator/view/view_impl.h"

/* The view's own colours (the legend's are view_colours). */
static const SDL_Color bg = {22, 24, 29, 255}, lane_bg = {40, 44, 52, 255},
                       row_bg = {48, 53, 63, 255}, ready_bg = {36, 62, 74, 255},
                       text_fg = {225, 228, 235, 255},
                       dim_fg = {150, 155, 165, 255},
                       grey_fg = {85, 90, 100, 255},
                       note_fg = {255, 210, 120, 255},
                       p99_fg = {240, 150, 60, 255},
                       white = {255, 255, 255, 255};

/**
 * Draw a string in a box the layout gave, cut short (with "...") when it
 * is too wide, left out when the box is too low for the font; it is
 * listed in the frame's items. fd: the square it labels, or -2.
 */
void paint_text(struct view *v, TTF_Font *font, SDL_Rect box, SDL_Color c,
                const char *s, int fd);

/** The font for a box: the HUD's when the box is tall enough for it. */
TTF_Font *paint_font_for(struct view *v, SDL_Rect box);

/** The HUD's font, or the small one where s would be cut in it. */
TTF_Font *paint_font_fitting(struct view *v, SDL_Rect box, const char *s);

/** Fill a rectangle. */
void paint_fill(struct view *v, SDL_Rect r, SDL_Color c);

/** Outline a rectangle. */
void paint_outline(struct view *v, SDL_Rect r, SDL_Color c);

#endif
