/**
 * \file
 * \brief The view's insides, shared by its two files: view.c (places and
 *        tokens) and draw.c (painting a frame).
 */
#ifndef FASTSIM_VIEW_IMPL_H
#define FASTSIM_VIEW_IMPL_H

#include <SDL.h>
#include <SDL_ttf.h>

#include "simulator/view/flow.h"
#include "simulator/view/view.h"

#define HUD_H      100 /**< the heads-up display's height */
#define FOOT_H     44  /**< the legend and the keys line at the bottom */
#define POOL_W     120 /**< the client pool's width */
#define SHARED_H   34  /**< the pool's shared queue band */
#define GLIDE_S    0.3 /**< wall seconds one hop takes */
#define PLOT_N     240 /**< samples in the over-time plot */
#define MAX_ROWS   256 /**< threads drawn as rows; beyond: aggregate */
#define MAX_LANES  64  /**< cores drawn as lanes; beyond: aggregate */
#define MAX_HOPS   6   /**< moves an fd may have queued */
#define TEXT_CACHE 96  /**< rendered strings kept as textures */

/** A grid of cells that tokens sit in (a ready list, an interest set). */
struct area {
    SDL_Rect box;        /**< where it is drawn */
    int cols;            /**< cells per line */
    int lines;           /**< lines */
    int cap;             /**< cols * lines */
    unsigned char *used; /**< which cells are taken */
};

/** One move of a token: where to, and what it is once there. */
struct hop {
    float x;       /**< target x */
    float y;       /**< target y */
    signed char c; /**< enum view_colour during the move */
    bool arc;      /**< fly on an arc (a hand-off) */
};

/** A token: one fd on screen. */
struct token {
    bool live;                 /**< on screen */
    bool closing;              /**< fading out once its moves are done */
    int owner;                 /**< the thread whose epoll set holds it */
    int area_row;              /**< the row of the cell it holds, or -1 */
    signed char area_kind;     /**< 0 ready, 1 idle, 2 shared */
    int cell;                  /**< the cell it holds, or -1 */
    float x;                   /**< drawn here now: x */
    float y;                   /**< drawn here now: y */
    float sx;                  /**< where the current move started: x */
    float sy;                  /**< where the current move started: y */
    float t;                   /**< the current move's progress, 0..1 */
    float life;                /**< fades 1 -> 0 once closed */
    struct hop cur;            /**< the current move */
    struct hop pend[MAX_HOPS]; /**< moves waiting their turn */
    int npend;                 /**< how many */
};

/** A thread's row and its places. */
struct row {
    int core;            /**< its lane */
    enum view_role role; /**< what it does */
    char label[32];      /**< "t0 accept" */
    SDL_Rect box;        /**< the whole row */
    SDL_Rect queue;      /**< its accept queue (w 0: none) */
    SDL_Rect slot;       /**< its CPU slot */
    struct area ready;   /**< its ready list */
    struct area idle;    /**< its interest set */
    float flash;         /**< a wake-up lights the row for a moment */
};

/** A rendered string, kept: most labels are the same every frame. */
struct text_tex {
    void *font;         /**< which font */
    Uint32 colour;      /**< RGBA packed */
    char s[96];         /**< the string */
    SDL_Texture *tex;   /**< its texture, or NULL if the slot is free */
    int w;              /**< its width */
    int h;              /**< its height */
    unsigned long used; /**< the frame it was last drawn in */
};

/** The view. */
struct view {
    SDL_Window *win;           /**< the window, or NULL when headless */
    SDL_Renderer *ren;         /**< its renderer */
    SDL_Surface *surface;      /**< headless target */
    TTF_Font *font;            /**< HUD text */
    TTF_Font *small;           /**< labels in compact lanes */
    int w;                     /**< width in pixels */
    int h;                     /**< height in pixels */
    int tok;                   /**< token size in pixels */
    bool headless;             /**< no window */
    bool aggregate;            /**< too many cores or threads for lanes */
    bool compact;              /**< small lanes: fewer words */
    bool pool;                 /**< draw the shared queue band */
    struct token *toks;        /**< indexed by fd */
    int ntok;                  /**< room in toks */
    int live;                  /**< tokens on screen */
    struct row rows[MAX_ROWS]; /**< one per thread */
    int nrows;                 /**< threads */
    int threads;               /**< threads, even beyond MAX_ROWS */
    int cores;                 /**< lanes */
    struct area shared;        /**< pool: the shared queue */
    SDL_Rect lock;             /**< pool: the lock */
    double plot_rps[PLOT_N];   /**< throughput over time */
    double plot_p99[PLOT_N];   /**< p99 over time */
    int nplot;                 /**< samples */
    struct hud last;           /**< for view_png's redraw */
    double util[1024];         /**< copy of the HUD's per-core figures */
    int backlog[MAX_ROWS];     /**< copy of the HUD's per-thread queues */
    bool has_backlog;          /**< backlog is known */
    struct text_tex texts[TEXT_CACHE]; /**< rendered strings */
    unsigned long frame;               /**< frames drawn */
    struct flow flow;                  /**< the flow view (flow.h) */
};

/** The legend's colours. */
extern const SDL_Color view_colours[VC_NCOLOURS];

/** Paint a whole frame (draw.c); advances glides by dt. */
void view_render(struct view *v, const struct hud *h, double dt);

/** Advance every token's move by dt and paint the tokens (view.c). */
void view_draw_tokens(struct view *v, double dt);

/** Recompute places for the window size (view.c). */
void view_relayout(struct view *v);

#endif
