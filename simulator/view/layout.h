/**
 * \file
 * \brief Where everything on the window goes: every place a square can
 *        sit and every box a text may use, computed from the window's
 *        size, the threads and their roles, before anything is drawn.
 *
 * The layout depends on nothing else of the view: view.c (tokens) and
 * draw.c (painting) both read it, and it reads neither. Text is only ever
 * drawn inside a box the layout gave it (draw.c clips it to the box), so
 * checking the boxes here - none overlaps another, none overlaps a place
 * where squares sit - checks the whole picture (tests/sim/test_view.c does,
 * at several window sizes and core counts).
 */
#ifndef FASTSIM_LAYOUT_H
#define FASTSIM_LAYOUT_H

#include <stdbool.h>

#include <SDL.h>

#include "simulator/view/view.h"

#define HUD_H     100 /**< the heads-up display's height */
#define POOL_W    120 /**< the client column's width */
#define SHARED_H  34  /**< the pool's shared queue band */
#define TEXT_H    18  /**< a line of the HUD font (14 pt) */
#define SMALL_H   13  /**< a line of the small font (10 pt) */
#define MAX_ROWS  256 /**< threads drawn as rows; beyond: aggregate */
#define MAX_LANES 64  /**< cores drawn as lanes; beyond: aggregate */
#define LEGEND_W  150 /**< room for one legend entry */
#define MAX_PANEL 24  /**< lines in the follow panel */

/** A grid of cells that squares sit in (a queue, a ready list...). */
struct area {
    SDL_Rect box;        /**< where it is drawn */
    int size;            /**< a cell's square, in pixels */
    int cols;            /**< cells per line */
    int lines;           /**< lines */
    int cap;             /**< cols * lines */
    unsigned char *used; /**< which cells are taken */
    int *who;            /**< per cell taken: the token in it (view.c's
                              name for it: its fd, or -1 - its slot) */
    int over;            /**< tokens beyond cap, drawn on the last cell */
};

/** A thread's row and its places. */
struct row {
    int core;            /**< its lane */
    enum view_role role; /**< what it does */
    char label[32];      /**< "t0 accept" */
    SDL_Rect box;        /**< the whole row */
    SDL_Rect label_box;  /**< where the label goes (w 0: none) */
    struct area queue;   /**< its accept queue (box.w 0: none) */
    SDL_Rect count_box;  /**< the queue's length, as a number (w 0: none) */
    SDL_Rect slot;       /**< its CPU slot */
    struct area ready;   /**< its ready list */
    struct area idle;    /**< its interest set */
    SDL_Rect ready_cap;  /**< "ready list" (w 0: none) */
    SDL_Rect idle_cap;   /**< "interest set (epoll)" (w 0: none) */
};

/** A core's lane. */
struct lane {
    SDL_Rect box;  /**< the lane */
    SDL_Rect name; /**< "core 3" (w 0: no room) */
    SDL_Rect note; /**< why it is empty, when no thread runs on it (w 0:
                        it has threads, or no room) */
};

/** The whole window's geometry. */
struct layout {
    int w;                           /**< window width */
    int h;                           /**< window height */
    int tok;                         /**< a token's square, in pixels */
    int expect;                      /**< connections expected (0: unknown) */
    bool aggregate;                  /**< too many cores or threads for lanes */
    bool compact;                    /**< small lanes: fewer words */
    bool pool;                       /**< the shared queue band is drawn */
    bool panel_on;                   /**< the follow panel is drawn */
    int threads;                     /**< threads, even beyond MAX_ROWS */
    int nrows;                       /**< rows drawn */
    int cores;                       /**< lanes */
    struct row rows[MAX_ROWS];       /**< one per thread */
    struct lane lanes[MAX_LANES];    /**< one per core */
    SDL_Rect hud_line[4];            /**< title, figures, stats, narration */
    SDL_Rect warm_bar;               /**< the warm-up's progress bar */
    SDL_Rect warm_text;              /**< beside it */
    SDL_Rect bars;                   /**< the CPU bars */
    bool bar_names;                  /**< bars carry names */
    bool bar_figures;                /**< ... and their figure, right */
    int nbars;                       /**< bars drawn */
    SDL_Rect bars_caption;           /**< unnamed bars: which cores they
                                          are ("cpu0-15"; w 0: named) */
    SDL_Rect plot;                   /**< the over-time plot */
    SDL_Rect plot_label[2];          /**< "throughput", "p99" */
    SDL_Rect clients;                /**< the client column (squares) */
    SDL_Rect clients_bg;             /**< its background */
    SDL_Rect clients_label;          /**< "clients" */
    SDL_Rect clients_line[3];        /**< under it: how many wait, how many
                                          think, what a mark stands for */
    SDL_Rect shared_band;            /**< pool: the band */
    SDL_Rect shared_label;           /**< pool: "shared queue 12" */
    SDL_Rect lock;                   /**< pool: the lock */
    SDL_Rect lock_label;             /**< pool: "lock" */
    struct area shared;              /**< pool: the shared queue */
    SDL_Rect panel;                  /**< the follow panel */
    int panel_lines;                 /**< lines it holds */
    SDL_Rect panel_line[MAX_PANEL];  /**< each line's box */
    int foot_top;                    /**< where the legend starts */
    SDL_Rect legend_sw[VC_NCOLOURS]; /**< each colour's swatch */
    SDL_Rect legend_word[VC_NCOLOURS]; /**< its word */
    SDL_Rect keys[2];                  /**< the keys lines */
    SDL_Rect agg_line;                 /**< aggregate: the caption */
};

/**
 * Compute every place and text box for a window of w x h and these
 * threads (thread t on core[t] in role[t]). Areas' cells are all free
 * afterwards.
 */
void layout_compute(struct layout *l, int w, int h, int threads, int cores,
                    const int *core, const enum view_role *role);

/** Compute again after a size or panel change; keeps the threads. */
void layout_redo(struct layout *l);

/** Free the areas' cell maps. */
void layout_free(struct layout *l);

/**
 * How many tokens an area holds: one per cell taken, and those beyond its
 * cells (piled on the last one), which a full area cannot draw.
 */
int layout_area_count(const struct area *a);

/**
 * Whether flows fit (flow.h): lanes, not the aggregate, and every row
 * at least LAYOUT_FLOW_ROW_H pixels tall. In shorter rows the hand-off
 * bands crossed the next row's labels and the accept band the row's
 * name (16 cores at 1280x720).
 */
bool layout_room_for_flows(const struct layout *l);

/** The narrowest ready list, where a row has room for it: its caption
 *  ("ready list 12") fits. */
#define LAYOUT_READY_MIN_W 80

/** The shortest row that flows are drawn in. */
#define LAYOUT_FLOW_ROW_H 40

/** How the client column draws n clients' marks. */
struct client_marks {
    int size;  /**< a mark's side, pixels */
    int cols;  /**< marks a line */
    int per;   /**< clients a mark stands for (1 unless they are many) */
    int marks; /**< marks drawn (0: the column has no room) */
};

/**
 * The client column's marks for n clients: the largest that fit them all
 * (below 2 pixels a mark stands for several clients).
 */
struct client_marks layout_client_marks(const struct layout *l, int n);

/** Where mark i of m is drawn. */
SDL_Rect layout_client_mark(const struct layout *l,
                            const struct client_marks *m, int i);

/** Whether a thread's role accepts connections (has an accept queue). */
bool layout_accepts(enum view_role r);

/** Whether a thread's role keeps fds in its own epoll set. */
bool layout_holds_fds(enum view_role r);

/**
 * Every text box of the layout (empty ones left out), into out[0..max).
 * \return how many there are.
 */
int layout_texts(const struct layout *l, SDL_Rect *out, int max);

/**
 * Every place where squares sit (queues, slots, lists, sets, the shared
 * queue, the client column), into out[0..max). \return how many.
 */
int layout_places(const struct layout *l, SDL_Rect *out, int max);

/**
 * The place at a point: which thread's which place (PLACE_NONE when the
 * point is in none). thread gets -1 for places of no thread.
 */
enum view_place layout_place_at(const struct layout *l, int x, int y,
                                int *thread);

#endif
