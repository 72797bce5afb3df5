/**
 * \file
 * \brief Figures over the last second: what a live view's HUD shows.
 *
 * A tally (model/tally.h) counts from the first event, so its rates are
 * means since then: after a pause in the load they read half of what the
 * server does. The HUD's rates are over the last second instead: the
 * tally is noted every 100 ms of trace time, and a rate is the change
 * since the note about a second old, divided by the time between.
 */
#ifndef FASTSIM_RECENT_H
#define FASTSIM_RECENT_H

#include <stdint.h>

#include "simulator/model/tally.h"

/** Notes kept: one a RECENT_STEP_NS, over a second. */
#define RECENT_NOTES 11

/** The span of one note, in ns. */
#define RECENT_STEP_NS 100000000

/** One note of the tally. */
struct recent_note {
    int64_t t_ns;      /**< trace time of the note */
    uint64_t requests; /**< requests by then */
    uint64_t accepts;  /**< accepts by then */
    uint64_t handoffs; /**< hand-offs by then */
    int64_t *busy_ns;  /**< per thread: busy time by then */
    double *area;      /**< per thread: ready-list area by then */
};

/** The notes. */
struct recent {
    int threads; /**< per-thread entries */
    int n;       /**< notes taken, up to RECENT_NOTES */
    int next;    /**< where the next note goes */
    struct recent_note note[RECENT_NOTES]; /**< a ring */
};

/** Start with no notes. \return 0, or -1 (memory). */
int recent_init(struct recent *r, int threads);

/** Note the tally at trace time now if a step has passed. */
void recent_tick(struct recent *r, const struct tally *t, int64_t now_ns);

/**
 * The trace seconds the rates below cover: a second, less early on (a
 * replay 0.4 s from fastd's start measures over those 0.4 s), a little
 * more when frames (and so notes) come slower than a step, 0 before a
 * note.
 */
double recent_span_s(const struct recent *r, int64_t now_ns);

/** Requests per second over the last second (0 before a note). */
double recent_rps(const struct recent *r, const struct tally *t,
                  int64_t now_ns);

/** Connections accepted per second over the last second. */
double recent_accept_rate(const struct recent *r, const struct tally *t,
                          int64_t now_ns);

/** A thread's busy share over the last second, 0..1. */
double recent_busy(const struct recent *r, const struct tally *t, int thread,
                   int64_t now_ns);

/** A thread's mean ready-list length over the last second. */
double recent_queue(const struct recent *r, const struct tally *t, int thread,
                    int64_t now_ns);

/** Free the notes. */
void recent_free(struct recent *r);

#endif
