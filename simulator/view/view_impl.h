/**
 * \file
 * \brief The view's insides, shared by view.c (tokens and their moves)
 *        and draw.c (painting a frame). Geometry is layout.h's.
 *
 * Dependencies run one way: layout.c knows nothing of the others;
 * drawn.c says what a token looks like where it is; flow.c counts events
 * and paints the flow view from the layout and drawn.c; draw.c paints
 * from the layout, the tokens, drawn.c and flow.c; view.c moves the
 * tokens and calls draw.c to paint.
 */
#ifndef FASTSIM_VIEW_IMPL_H
#define FASTSIM_VIEW_IMPL_H

#include <SDL.h>
#include <SDL_ttf.h>

#include "simulator/view/flow.h"
#include "simulator/view/layout.h"
#include "simulator/view/view.h"

#define GLIDE_S    0.3 /**< wall seconds one hop takes */
#define FADE_S     1.0 /**< wall seconds a closed token takes to go */
#define PLOT_N     240 /**< samples in the over-time plot */
#define MAX_HOPS   8   /**< moves a token may have queued */
#define TEXT_CACHE 128 /**< rendered strings kept as textures */
#define MAX_LOG    64  /**< hops of the followed connection kept */
#define MAX_TRAIL  64  /**< points of its trail */

/** One move of a token: to which place, and why. */
struct hop {
    signed char place;  /**< enum view_place it goes to */
    signed char c;      /**< enum view_colour on the way */
    bool arc;           /**< fly on an arc (a hand-off) */
    bool said;          /**< ev is worth a line of narration */
    short row;          /**< the thread whose place it is, or -1 */
    struct fd_event ev; /**< the event that caused it */
};

/** A token: one connection on screen (an fd, or an arrival not yet
 *  accepted, which has no fd). */
struct token {
    bool live;                 /**< on screen */
    bool closing;              /**< fading out once its moves are done */
    int fd;                    /**< its fd, -1 before its accept */
    int owner;                 /**< the thread whose epoll set holds it */
    signed char area_place;    /**< the place of the cell it holds */
    int area_row;              /**< that place's thread, or -1 */
    int cell;                  /**< the cell it holds, or -1 */
    int size;                  /**< its square now */
    float x;                   /**< drawn here now: x */
    float y;                   /**< drawn here now: y */
    float sx;                  /**< where the current move started: x */
    float sy;                  /**< where the current move started: y */
    float tx;                  /**< where it ends: x */
    float ty;                  /**< where it ends: y */
    float t;                   /**< the current move's progress, 0..1 */
    float life;                /**< fades 1 -> 0 once closed */
    struct hop cur;            /**< the current move */
    signed char from_place;    /**< where the current move started */
    signed char from_c;        /**< its colour there */
    short from_row;            /**< and its thread */
    struct hop pend[MAX_HOPS]; /**< moves waiting their turn */
    int npend;                 /**< how many */
};

/** Arrivals waiting in one accept queue, oldest first (anon indexes). */
struct arrivals {
    int *items; /**< ring */
    int cap;    /**< its size */
    int head;   /**< oldest */
    int len;    /**< how many */
};

/** The connection the view follows, and what it has done. */
struct follow {
    bool pending; /**< follow the next one to arrive */
    int fd;       /**< its fd, or -1 */
    int anon;     /**< or, before its accept, its arrival */
    bool done;    /**< it closed and its last move ended */
    int nlog;     /**< hops in log */
    struct {
        int64_t t_ns;           /**< model time */
        char text[120];         /**< what happened */
    } log[MAX_LOG];             /**< its hops, oldest first */
    int ntrail;                 /**< points in trail */
    SDL_Point trail[MAX_TRAIL]; /**< every place it has been */
    bool handed[MAX_TRAIL];     /**< reached by a hand-off's flight */
};

/** A rendered string, kept: most labels are the same every frame. */
struct text_tex {
    void *font;         /**< which font */
    Uint32 colour;      /**< RGBA packed */
    char s[128];        /**< the string */
    SDL_Texture *tex;   /**< its texture, or NULL if the slot is free */
    int w;              /**< its width */
    int h;              /**< its height */
    unsigned long used; /**< the frame it was last drawn in */
};

/** The view. */
struct view {
    SDL_Window *win;               /**< the window, or NULL when headless */
    SDL_Renderer *ren;             /**< its renderer */
    SDL_Surface *surface;          /**< headless target */
    TTF_Font *font;                /**< HUD text */
    TTF_Font *small;               /**< labels */
    bool headless;                 /**< no window */
    struct layout l;               /**< where everything goes */
    struct token *toks;            /**< indexed by fd */
    int ntok;                      /**< room in toks */
    struct token *anon;            /**< arrivals not yet accepted */
    int nanon;                     /**< room in anon */
    int *anon_free;                /**< anon slots free, a stack */
    int nanon_free;                /**< how many */
    struct arrivals arr[MAX_ROWS]; /**< per thread: its queue's arrivals */
    bool arrivals;                 /**< arrivals are drawn (the model's) */
    int live;                      /**< tokens on screen */
    struct follow fol;             /**< the followed connection */
    view_narrate_fn narrate;       /**< puts an event in words, or NULL */
    struct fd_event said;          /**< the latest hop narrated */
    bool has_said;                 /**< said is set */
    double follow_glide_s;         /**< the followed hop's glide, or 0 */
    bool busy[1024];               /**< per core: its slot holds a token */
    int counts[VC_NCOLOURS];       /**< tokens per colour, last frame */
    double plot_rps[PLOT_N];       /**< throughput over time */
    double plot_p99[PLOT_N];       /**< p99 over time */
    int nplot;                     /**< samples */
    struct hud last;               /**< for view_png's redraw */
    char last_text[4][1024];       /**< its strings, copied */
    double util[1024];             /**< copy of the HUD's per-core figures */
    int backlog[MAX_ROWS];         /**< copy of the HUD's per-thread queues */
    bool has_backlog;              /**< backlog is known */
    struct view_item *items;       /**< what the last frame drew */
    int nitems;                    /**< how many */
    int items_cap;                 /**< room */
    int click_x;                   /**< the last mouse click: x */
    int click_y;                   /**< and y */
    struct text_tex texts[TEXT_CACHE]; /**< rendered strings */
    unsigned long frame;               /**< frames drawn */
    struct flow flow;                  /**< the flow view (flow.h) */
};

#endif
