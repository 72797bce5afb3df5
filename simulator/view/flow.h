/**
 * \file
 * \brief The flow view: the same places, drawn as flows when single
 *        squares would blur.
 *
 * Above a few hundred moves per wall second a square per fd is a smear
 * (a live fastd under load serves thousands of connections a second).
 * The flow view draws the same places with measured rates instead: an
 * arrow from the clients into each accept queue and from each accept
 * thread to each request thread, its width and the pulses along it the
 * rate of accepts or hand-offs; each ready list and interest set a gauge
 * of how many fds are in it; each CPU slot its requests per second. One
 * sampled fd is still drawn as its square, ringed and labelled, so its
 * hops can be followed; when it closes, the next accepted fd is sampled.
 *
 * `v` switches between squares and flows; until it is pressed the view
 * chooses by itself, flows above FLOW_AUTO_ON moves per wall second,
 * squares again below FLOW_AUTO_OFF. Flows need rows tall enough for a
 * band, its label and a gauge (layout_room_for_flows): where rows are
 * shorter (16 cores in 720 lines) the view keeps squares.
 */
#ifndef FASTSIM_VIEW_FLOW_H
#define FASTSIM_VIEW_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "simulator/model/fdevent.h"

struct view;

/** Moves per wall second above which the view draws flows by itself. */
#define FLOW_AUTO_ON 400
/** ... and below which it draws squares again. */
#define FLOW_AUTO_OFF 150

/** How the view chooses. */
enum flow_mode {
    FLOW_AUTO,    /**< by the rate (the default) */
    FLOW_SQUARES, /**< always squares (after `v`) */
    FLOW_FLOWS,   /**< always flows (after `v`) */
};

/** Per-thread counts of the flow view. */
struct flow_thread {
    uint64_t accepts;   /**< connections it accepted */
    uint64_t requests;  /**< requests it answered */
    int ready;          /**< fds in its ready list now */
    int open;           /**< fds in its interest set now */
    uint64_t *to;       /**< hand-offs to each thread */
    double accept_rps;  /**< measured: accepts per trace second */
    double request_rps; /**< measured: requests per trace second */
    double *to_rps;     /**< measured: hand-offs per trace second, by target */
    double pulse;       /**< where its pulses are along the arrows, 0..1 */
};

/** The flow view's state (in struct view). */
struct flow {
    enum flow_mode mode;        /**< how it is chosen */
    bool on;                    /**< drawing flows now */
    bool room;                  /**< the rows are tall enough for flows
                                     (else squares, whatever the mode) */
    int threads;                /**< entries in thread */
    struct flow_thread *thread; /**< per thread */
    int *where;                 /**< per fd (up to FLOW_MAX_FD): 1 + the
                                     thread holding it, 0 if none */
    signed char *ready;         /**< per fd: counted in a ready list */
    int nfds;                   /**< room in where and ready */
    int sample;                 /**< the fd followed, or -1 */
    int64_t now_ns;             /**< the latest event's time */
    int64_t mark_ns;            /**< when the rates were last measured */
    bool marked;      /**< mark holds counts (a first measure was taken) */
    uint64_t *mark;   /**< counts then: accepts, requests and
                           hand-offs of each thread, in a row */
    double moves;     /**< events since the last tick */
    double wall_rate; /**< moves per wall second (smoothed) */
    double quiet_s;   /**< wall seconds with no event */
    double since_measure_s; /**< wall s since the rates were measured */
};

/** The highest fd the flow view keeps track of. */
#define FLOW_MAX_FD (1 << 20)

/** Start over for this many threads (after view_layout). */
void flow_layout(struct flow *f, int threads);

/** Count one event. */
void flow_event(struct flow *f, const struct fd_event *ev);

/**
 * The rates over the trace since they were last measured, replacing
 * those (a picture of this moment, after a run to --at: the last
 * measure could be 250 ms of trace old, from a burst since ended); the
 * moves per wall second, which choose squares or flows, start over.
 */
void flow_measure_now(struct flow *f);

/** Advance dt wall seconds: measure the rates, choose squares or flows. */
void flow_tick(struct flow *f, double dt);

/** `v`: squares, flows, squares... (the choice is then the user's). */
void flow_toggle(struct flow *f);

/** Whether a token is hidden (flows are drawn, and it is not the sample). */
bool flow_hides(const struct flow *f, int fd);

/** Paint the flows over the places, under the squares still drawn (a
 *  no-op when squares are drawn). */
void flow_draw(struct view *v);

/** Ring the sampled fd's square and say where it is (after the squares). */
void flow_draw_sample(struct view *v);

/**
 * Where the gauge of a ready list or interest set drawn at box (x, y, w,
 * h) has its bar, in flows (its words go under it); w 0: no gauge. Labels
 * keep off it.
 */
void flow_gauge_bar(const int box[4], int bar[4]);

/** Free what it holds. */
void flow_free(struct flow *f);

#endif
