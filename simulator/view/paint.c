/*
 * The view's brushes: texts in the boxes layout.c gives (kept as
 * textures: rendering a string costs more than drawing 2,000 tokens),
 * fills and outlines. draw.c and hud_draw.c paint with them.
 */
#include <stdio.h>
#include <string.h>

#include "simulator/view/drawn.h"
#include "simulator/view/paint.h"

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
void paint_text(struct view *v, TTF_Font *font, SDL_Rect box, SDL_Color c,
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
TTF_Font *paint_font_for(struct view *v, SDL_Rect box)
{
    return box.h >= TEXT_H && v->font ? v->font : v->small;
}

/* The font, or the small one where the text would be cut in it: a line
 * of words read whole in small letters rather than cut. */
TTF_Font *paint_font_fitting(struct view *v, SDL_Rect box, const char *s)
{
    int w = 0, h = 0;
    if (v->font && TTF_SizeUTF8(v->font, s, &w, &h) == 0 && w > box.w)
        return v->small;
    return v->font;
}

void paint_fill(struct view *v, SDL_Rect r, SDL_Color c)
{
    if (r.w <= 0 || r.h <= 0) /* SDL fills it as a line: a CPU bar at 0%
                               * and the warm-up at 0% showed a sliver */
        return;
    SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
    SDL_RenderFillRect(v->ren, &r);
}

void paint_outline(struct view *v, SDL_Rect r, SDL_Color c)
{
    SDL_SetRenderDrawColor(v->ren, c.r, c.g, c.b, c.a);
    SDL_RenderDrawRect(v->ren, &r);
}
