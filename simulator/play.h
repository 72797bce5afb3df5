/**
 * \file
 * \brief The frame loop of the model in a window (or headless frames):
 *        keys, time, and one frame at a time.
 *
 * The model runs ahead by whole events; what it emits waits in a buffer
 * and is shown one event at a time, in the model's order, so that events
 * of one instant are all seen. When a connection is followed (`f`, a
 * click, or a scenario with `tour = 1`) the model waits while each hop of
 * that connection plays and stays on screen long enough to read; `.`
 * then steps from one of its hops to the next.
 *
 * Every key is safe: a key that would build a model the architecture
 * cannot run is clamped to what it allows, and the HUD says so; clients
 * stay within 1 to 1,000,000; one frame runs a bounded number of events,
 * so the window always answers `q`.
 */
#ifndef FASTSIM_PLAY_H
#define FASTSIM_PLAY_H

#include <stdbool.h>

#include "simulator/model/sim.h"
#include "simulator/model/tally.h"
#include "simulator/view/view.h"

/** Most clients the keys allow (as a scenario file does). */
#define PLAY_MAX_CLIENTS 1000000

/** Most model events one frame runs. */
#define PLAY_EVENTS_PER_FRAME 200000

/** The model being played. */
struct play {
    struct scenario sc;    /**< what runs (keys change it) */
    struct sim sim;        /**< the model */
    struct view *view;     /**< where it is drawn */
    struct tally so_far;   /**< figures before the warm-up ends */
    double speed;          /**< simulated s per wall s */
    bool paused;           /**< not advancing */
    bool help;             /**< the keys overlay */
    bool running;          /**< false after q */
    bool ended;            /**< the scenario's end was reached */
    int shots;             /**< screenshots saved */
    unsigned long emitted; /**< events the model emitted */
    char narration[160];   /**< the latest event in words */
    char message[256];     /**< a note after a key */
    double message_age;    /**< wall s the note has been shown */
    double *util;          /**< per core, for the HUD */
    int *backlog;          /**< per thread, for the HUD */
    struct fd_event *buf;  /**< events the model emitted, not yet shown */
    int buf_cap;           /**< room in buf (a power of two) */
    int buf_head;          /**< the oldest */
    int buf_len;           /**< how many */
    int64_t shown_ns;      /**< model time of the last event shown */
    double hold;           /**< wall s left to read the followed hop */
    double hold_s;         /**< wall s each followed hop is held */
    bool card;             /**< the tour's closing card is shown */
    char card_text[800];   /**< what it says */
};

/**
 * The speed a scenario opens at: its `speed` key, else one that plays
 * the warm-up in 8 wall seconds (simulated s per wall s).
 */
double play_default_speed(const struct scenario *sc);

/**
 * Build the model for sc and draw it on v.
 * \return 0, or -1 with a message in err.
 */
int play_open(struct play *p, const struct scenario *sc, struct view *v,
              double speed, char *err, size_t errlen);

/** Apply one key (never exits; q only clears p->running). */
void play_key(struct play *p, enum view_key key);

/** Run the model dt wall seconds further (at p->speed) and draw a frame. */
void play_frame(struct play *p, double dt);

/**
 * Run the model to simulated time at_ns (or its end), sampling the plot
 * every simulated 10 ms, then draw every move completed with the model
 * held there: the picture of that moment, before the frames of --at.
 */
void play_run_to(struct play *p, int64_t at_ns);

/**
 * The model as --report should measure it: a shallow copy (it shares the
 * model's memory: read it, never free it) whose measured span ends where
 * the run stopped. A run held at --at before the scenario's end divided
 * its counts by the whole planned span (--at 40 of a 60 ms run said
 * 61420 req/s and 60% busy beside the HUD's 101942 req/s and 100%).
 * \return true if anything was measured (the warm-up is over).
 */
bool play_measured(const struct play *p, struct sim *out);

/** Free the model (not the view). */
void play_close(struct play *p);

#endif
