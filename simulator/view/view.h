/**
 * \file
 * \brief The SDL2 view: every stage of the server is a place on screen,
 *        every hop of an fd a visible move.
 *
 * The view knows nothing of the model. It is told the threads (their core
 * and role) and then fed fd events - from the model live, from a trace
 * fastd recorded, or from a running fastd - and it draws where each fd
 * is. For each thread, left to right: its accept queue (connections the
 * kernel holds for it, acceptors only), its CPU slot (the fd it works
 * on), its ready list (fds readable, waiting for the CPU: bright) and its
 * interest set (idle fds in its epoll set: dim). A hand-off is a flight,
 * in its own colour, from the accept slot to the target thread. The pool
 * has one shared queue, with its lock, above the lanes.
 *
 * Each connection's moves are played one after the other, never skipped:
 * an fd that is accepted and handed off in the same instant is first seen
 * in the accept slot, then in flight, then waiting. When moves pile up (a
 * fast speed) they play faster, so the picture never lags far behind. A
 * connection is drawn from its arrival (FD_ARRIVE, the model's only: it
 * leaves the client column for the accept queue, with no fd yet) to its
 * close; a square is always the colour of the state of the place it is
 * drawn in, and carries its fd number when it is large enough.
 *
 * One connection can be followed (view_follow_next, view_follow_at): the
 * view draws its trail through every place it has been and lists its hops
 * with their model times in a panel on the right, and the HUD's line says
 * each hop in words as it starts, while the square makes it. The caller
 * decides the pace (play.c holds each hop long enough to read, and the
 * tour slows the followed square's moves, view_set_follow_glide).
 *
 * Where everything goes is layout.c's: every text has a box there, so
 * tests can check that nothing overlaps (view_text_boxes,
 * view_square_places), and what a frame drew is listed (view_items).
 *
 * Up to 64 cores each gets a lane (compact lanes from 17); beyond that,
 * or beyond 256 threads, the view draws an aggregate: one cell per core.
 */
#ifndef FASTSIM_VIEW_H
#define FASTSIM_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simulator/model/fdevent.h"

struct view;

/** Where the numbers in the HUD come from: keys differ between them. */
enum hud_mode {
    HUD_MODEL,  /**< the model runs in the window: every key works */
    HUD_REPLAY, /**< a recorded trace plays: model keys do not apply */
    HUD_LIVE,   /**< a running fastd: model keys do not apply */
};

/** The numbers the heads-up display shows. */
struct hud {
    const char *title;          /**< scenario or trace name */
    const char *arch;           /**< architecture */
    enum hud_mode mode;         /**< model, replay or live */
    double sim_s;               /**< simulated (or trace) time, s */
    double speed;               /**< simulated s per wall s */
    bool paused;                /**< shows "paused" */
    double warmup_s;            /**< the warm-up's length; 0 = none */
    double throughput_rps;      /**< so far (a trace: over rate_span_s) */
    double rate_span_s;         /**< a trace: the seconds its rates cover
                                     (1, less early on; 0: one second) */
    double p50_us;              /**< so far */
    double p99_us;              /**< so far */
    unsigned long completed;    /**< requests answered so far */
    unsigned long handoffs;     /**< so far */
    unsigned long cache_misses; /**< after the warm-up (the model's) */
    bool measured;              /**< the warm-up is over: the two below are
                                     set (the model's) */
    unsigned long measured_completed; /**< answered after the warm-up, as
                                           --report counts them */
    unsigned long measured_handoffs;  /**< hand-offs after the warm-up */
    int clients;                      /**< closed-loop clients (0: not shown) */
    bool clients_counted;  /**< the model counted clients_waiting (else the
                                view counts the squares of fds that ask) */
    int clients_waiting;   /**< requests sent and not answered yet: the
                                clients waiting (the rest think); the
                                column shows no fewer than the squares
                                that ask */
    const double *util;    /**< per core, 0..1 */
    int cores;             /**< entries in util */
    const int *backlog;    /**< per thread: connections waiting to
                                be accepted; NULL when unknown */
    int shared_len;        /**< pool: jobs in the shared queue */
    bool lock_held;        /**< pool: the shared queue's lock is taken */
    long long drops;       /**< live: events lost so far */
    const char *narration; /**< the current event in words, or NULL */
    const char *message;   /**< a short note (a key clamped), or NULL */
    const char *stats;     /**< an extra line of figures, or NULL */
    bool help;             /**< draw the keys overlay */
    bool bars_now;         /**< CPU bars show the slots now (busy or
                                not), not the utilisation */
    const char *card;      /**< a card over the window (lines split
                                by newlines), or NULL */
};

/** What a thread does, for its row's places. */
enum view_role {
    VIEW_ACCEPT,  /**< staged accept stage: accept queue and slot */
    VIEW_REQUEST, /**< staged request stage: slot, ready, interest set */
    VIEW_BOTH,    /**< shared-nothing or single: all of them */
    VIEW_LOOP,    /**< pool event loop: accepts, holds idle fds */
    VIEW_WORKER,  /**< pool worker: a slot; its work is the shared queue */
};

/** The colours of the legend, for tests that look at pictures. */
enum view_colour {
    VC_BACKLOG,   /**< a connection waiting in an accept queue */
    VC_ACCEPTING, /**< an fd being accepted */
    VC_FLIGHT,    /**< an fd in a hand-off flight */
    VC_IDLE,      /**< an fd idle in an interest set */
    VC_READY,     /**< an fd in a ready list (or the pool's queue) */
    VC_SERVING,   /**< an fd on a CPU */
    VC_CLOSING,   /**< an fd closing */
    VC_NCOLOURS   /**< how many */
};

/** The places on screen (for tests and the legend). */
enum view_place {
    PLACE_LANE,         /**< the thread's whole row */
    PLACE_ACCEPT_QUEUE, /**< its accept queue (acceptors) */
    PLACE_CPU,          /**< its CPU slot */
    PLACE_READY,        /**< its ready list */
    PLACE_IDLE,         /**< its interest set */
    PLACE_SHARED,       /**< the pool's shared queue (thread ignored) */
    PLACE_LEGEND,       /**< the legend line (thread ignored) */
    PLACE_CLIENTS,      /**< the client column (thread ignored) */
    PLACE_PANEL,        /**< the follow panel (thread ignored) */
    PLACE_NONE = -1,    /**< between places */
};

/** Puts one event in words (the HUD's narration). */
typedef void (*view_narrate_fn)(const struct fd_event *ev, char *out,
                                size_t len);

/** One thing the last frame drew, for tests: a square or a text. */
struct view_item {
    bool text;   /**< a text (else a token's square) */
    int x;       /**< its box: x */
    int y;       /**< y */
    int w;       /**< width */
    int h;       /**< height */
    int colour;  /**< a square's enum view_colour */
    int fd;      /**< a square's fd (-1: an arrival not yet accepted);
                      a text on a square: that fd; a flow view's
                      label (flow.h): -3; other texts: -2 */
    bool moving; /**< a square on its way between places */
    int to_x;    /**< a square: where its current move ends (x, y of its
                      top-left corner; where it is if it is not moving) */
    int to_y;    /**< (see to_x) */
    bool flight; /**< a square in a hand-off flight */
    bool hollow; /**< an outline: crossing a place on its way elsewhere */
    int bar;     /**< a CPU bar: its core + 1 (0: not a bar); x, y, w, h
                      are its fill; colour is 1 when it shows the core
                      busy now (not a utilisation) */
    bool cut;    /**< a text cut short (with "...") to fit its box */
};

/**
 * What the last frame drew (squares and texts, in drawing order).
 * \return how many; *items points at them until the next frame.
 */
int view_items(const struct view *v, const struct view_item **items);

/**
 * The text boxes the layout computed (every text is drawn inside one of
 * them), as x, y, w, h. \return how many (at most max).
 */
int view_text_boxes(const struct view *v, int (*rects)[4], int max);

/**
 * The places where squares sit, as x, y, w, h. \return how many.
 */
int view_square_places(const struct view *v, int (*rects)[4], int max);

/**
 * How a trace's rates name the span they cover, in the HUD: " (last 1 s)",
 * or early in a trace " (last 0.4 s)" (it said a second while it
 * measured 0.4 s), or with slow frames " (last 1.3 s)". span_s 0 or
 * from 0.95 to 1.05 reads as a second.
 */
void view_span_words(double span_s, char *out, size_t len);

/**
 * The pool's shared queue's length as its caption states it: the squares
 * drawn there, or in flows (its squares hidden, and lagging the model at
 * such rates) the model's count, which its bar shows (squares said
 * "shared queue 0" over a band of them).
 */
int view_shared_length(const struct view *v);

/**
 * The help card's lines, NULL-terminated: "key\twhat it does" (two
 * columns), then what the picture shows.
 */
extern const char *const view_help_lines[];

/**
 * The legend's word for colour c as this layout draws it: the pool's
 * ready fds are in its shared queue ("ready (shared queue)"), and where
 * no thread hands connections off (every arch but staged) there is no
 * flight to name: NULL, and the legend says so instead of showing a
 * colour that never appears.
 */
const char *view_legend_word(const struct view *v, enum view_colour c);

/**
 * The HUD's first line: mode, arch, time, speed (PAUSED), then the
 * scenario, named as one ("scenario staged": a bare name beside "arch
 * shared-nothing" read as the arch), or the trace. The name comes last,
 * where a cut costs least. narrow: the short form, under 640 pixels.
 */
void view_title(const struct hud *h, bool narrow, char *out, size_t len);

/** An RGB colour of the legend. */
void view_colour_rgb(enum view_colour c, unsigned char rgb[3]);

/**
 * The RGB colour of a client's mark in the client column: light while it
 * waits for an answer (waiting), dim while it thinks.
 */
void view_client_rgb(bool waiting, unsigned char rgb[3]);

/**
 * Where a place is drawn, as x, y, w, h in pixels.
 * \return 0, or -1 if this thread has no such place (or none is drawn).
 */
int view_place_rect(const struct view *v, int thread, enum view_place p,
                    int rect[4]);

/**
 * Open a window, or an off-screen renderer when headless (software
 * rendering into memory: no display, driver or GPU needed).
 * \return the view, or NULL with a message in err.
 */
struct view *view_open(int width, int height, bool headless, char *err,
                       size_t errlen);

/**
 * A new size (the window was resized; 320x240 to 7680x4320): every place
 * is laid out again, and the squares keep theirs. Headless, the picture
 * gets the new size.
 * \return 0, or -1 with a message in err (the old size kept).
 */
int view_resize(struct view *v, int width, int height, char *err,
                size_t errlen);

/** Set the threads: thread t runs on core[t] in role[t]. */
void view_layout(struct view *v, int threads, int cores, const int *core,
                 const enum view_role *role);

/**
 * Apply one fd event to the picture: the fd gets a move, played after the
 * moves it already has. FD_ARRIVE (fd -1) puts a new connection in the
 * thread's accept queue; the thread's next FD_ACCEPT gives it its fd.
 * \return true if the event moved the connection the view follows.
 */
bool view_event(struct view *v, const struct fd_event *ev);

/** How events are put in words (NULL: no narration from the view). */
void view_set_narrator(struct view *v, view_narrate_fn fn);

/**
 * The hop the HUD's line says now, in the narrator's words (the followed
 * connection's latest, said as its move starts). \return false if none.
 */
bool view_said(const struct view *v, char *out, size_t len);

/** Wall seconds each move of the followed connection takes (0: as any
 *  other square's, a fraction of a second). */
void view_set_follow_glide(struct view *v, double seconds);

/**
 * How many connections to expect (closed-loop clients; 0 = unknown): with
 * few, squares are drawn large enough to carry their fd number. Call
 * before view_layout.
 */
void view_expect(struct view *v, int connections);

/** Follow the next connection to arrive (or, with no arrivals drawn, to
 *  be accepted): its trail, and its hops in a side panel. */
void view_follow_next(struct view *v);

/** Follow the connection drawn at x, y. \return false if none is. */
bool view_follow_at(struct view *v, int x, int y);

/** Stop following (the panel goes). */
void view_follow_stop(struct view *v);

/** A connection is followed (or about to be). */
bool view_following(const struct view *v);

/** The followed connection has played every move it was given. */
bool view_follow_settled(const struct view *v);

/** The followed connection was closed and its last move has played. */
bool view_follow_done(const struct view *v);

/** The followed connection's fd (-1: none yet). */
int view_follow_fd(const struct view *v);

/**
 * The followed connection's i-th hop in words, with its model time.
 * \return NULL past the last.
 */
const char *view_follow_hop(const struct view *v, int i, int64_t *t_ns);

/** Where the last mouse click was. */
void view_click(const struct view *v, int *x, int *y);

/** Whether a token sits in the CPU slot of a thread on core c now. */
bool view_core_busy(const struct view *v, int c);

/** Forget every token (after a reset). */
void view_clear(struct view *v);

/** Draw one frame; dt is wall seconds since the last one (for gliding). */
void view_draw(struct view *v, const struct hud *hud, double dt);

/** Record the HUD's throughput and p99 for the over-time plot. */
void view_sample(struct view *v, double throughput_rps, double p99_us);

/** Save the last frame as a PNG. \return 0, or -1 with err. */
int view_png(struct view *v, const char *path, char *err, size_t errlen);

/**
 * Copy the frame drawn last (headless) as RGBA bytes, w * h * 4 of them.
 * \return 0, or -1 with err.
 */
int view_read(struct view *v, unsigned char *rgba, char *err, size_t errlen);

/** The picture's size. */
void view_size(const struct view *v, int *w, int *h);

/** Tokens on screen now. */
int view_tokens(const struct view *v);

/** Tokens on screen now in a colour (e.g. VC_FLIGHT: flights). */
int view_tokens_in(const struct view *v, enum view_colour c);

/** The highest fd the view draws (larger fds are ignored). */
#define VIEW_MAX_FD (1 << 20)

/** Keys the program reacts to. */
enum view_key {
    KEY_NONE,
    KEY_QUIT,
    KEY_PAUSE,
    KEY_STEP,
    KEY_SLOWER,
    KEY_FASTER,
    KEY_ARCH1,
    KEY_ARCH2,
    KEY_ARCH3,
    KEY_ARCH4,
    KEY_MORE_CORES,
    KEY_FEWER_CORES,
    KEY_MORE_CLIENTS,
    KEY_FEWER_CLIENTS,
    KEY_RESET,
    KEY_SCREENSHOT,
    KEY_HELP,
    KEY_FLOW,   /**< v: squares or flows (flow.h) */
    KEY_FOLLOW, /**< f: follow the next connection */
    KEY_CLICK,  /**< a mouse click: view_click() says where */
    KEY_ESCAPE, /**< Esc: close the help or card, else quit */
};

/**
 * `v`: switch between squares and flows (the choice is then the user's).
 * False when flows were asked for and the rows are too short for them
 * (the view keeps squares: the caller says so).
 */
bool view_flow_toggle(struct view *v);

/** What the caller says when view_flow_toggle() keeps squares. */
#define VIEW_FLOWS_NO_ROOM                                                     \
    "flows need taller rows: fewer cores or a larger window (squares kept)"

/**
 * Measure the flows' rates now, over the trace since they were last
 * measured (the moment a run to --at stops at; the next frames measure
 * on as usual), and forget the pace of the run there: squares or flows
 * is chosen again from the frames that follow.
 */
void view_measure_flows(struct view *v);

/**
 * The accept rate thread t's arrow from the clients says in flows
 * (connections per trace second, as last measured).
 */
double view_flow_accept_rate(const struct view *v, int t);

/** Draw flows (true) or squares (false) from now on, whatever the rate. */
void view_set_flows(struct view *v, bool flows);

/** Whether the last frame drew flows. */
bool view_flows(const struct view *v);

/** The next key pressed (or window closed), KEY_NONE if none. */
enum view_key view_poll(struct view *v);

/** Close the window and free everything. */
void view_close(struct view *v);

#endif
