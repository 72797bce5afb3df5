/**
 * \file
 * \brief Figures from a stream of fd events: what a replay, a live view
 *        and the model's warm-up show, with no model behind them.
 *
 * Throughput is requests parsed per second between the first event on an
 * fd (accept, hand-off, read, request, send or close) and
 * the last. Latency runs from the moment a request's fd became ready (a
 * `ready` event; in a trace from fastd, the wake-up that returned it) or,
 * failing that, from its first read, to the send that answers it. A
 * thread is busy from each wake-up to its last event before the next
 * one. A ready list's length is the fds ready and not yet read; it is
 * never negative: an fd is counted in one thread's list at most, and a
 * read, an accept or a close of that fd takes it out.
 *
 * A live stream may lose records; fastd then sends `drop` events saying
 * how many of each kind were lost (fd: the kind, arg: how many, or -1 and
 * a total when the kind is unknown). The counters add them back, so
 * accepts, hand-offs, requests and closes are fastd's own counts; only
 * latency, busy time and ready lists are measured on what arrived.
 * fastd also sends its own counts so far (`total` events): a thread that
 * sleeps holds its last records, but the counts come with any thread's
 * datagram. tally_count() is the larger of the two.
 */
#ifndef FASTSIM_TALLY_H
#define FASTSIM_TALLY_H

#include <stdbool.h>
#include <stdint.h>

#include "simulator/model/fdevent.h"
#include "simulator/model/hist.h"

/** Per-thread figures. */
struct tally_thread {
    int64_t busy_ns;     /**< closed batches' time */
    int64_t batch_start; /**< the open batch's wake-up, or -1 */
    int64_t batch_last;  /**< its last event */
    int ready;           /**< fds ready, not yet read */
    double ready_area;   /**< integral of ready over time */
    int64_t ready_since; /**< when ready last changed */
    uint64_t requests;   /**< requests it parsed */
};

/** The running figures. */
struct tally {
    int threads;                 /**< entries in thread */
    struct tally_thread *thread; /**< per thread */
    int64_t first_ns;            /**< the first fd event's time, or -1 */
    int64_t last_ns;             /**< the last fd event's time */
    uint64_t events;             /**< events counted (ready ones too) */
    uint64_t wakes;              /**< wake-ups */
    uint64_t requests;           /**< requests parsed */
    uint64_t answered;           /**< sends that closed a latency */
    uint64_t accepts;            /**< connections accepted */
    uint64_t handoffs;           /**< hand-offs */
    uint64_t closes;             /**< connections closed */
    uint64_t drops;              /**< events a live stream lost */
    uint64_t total[FD_NKINDS];   /**< fastd's own counts (`total` events),
                                      by kind: the largest seen */
    uint64_t lost[FD_NKINDS];    /**< of those, by kind (a drop event's fd);
                                      requests: the requests they counted */
    struct hist latency;         /**< ready (or read) to send, ns */
    int64_t *start;              /**< per fd: its request's start, or -1 */
    int *ready_on;               /**< per fd: 1 + the thread whose ready
                                      list counts it, or 0 */
    int nfds;                    /**< room in start and ready */
};

/** Start counting for this many threads. \return 0, or -1 (memory). */
int tally_init(struct tally *t, int threads);

/** Count one event. */
void tally_event(struct tally *t, const struct fd_event *ev);

/**
 * Count n lost events of a kind (-1: of unknown kinds) into the figures,
 * as a `drop` event does, without touching the time: for losses reported
 * out of time order (before a live view started, or by the view itself).
 */
void tally_lost(struct tally *t, int kind, uint64_t n);

/**
 * What fastd did so far, of a kind: accepts, hand-offs, requests (the
 * requests answered) or closes; the events counted (with those reported
 * lost), or fastd's own total if that is larger.
 */
uint64_t tally_count(const struct tally *t, enum fd_kind kind);

/** Requests per second so far (0 before two events). */
double tally_rps(const struct tally *t);

/** A thread's share of the time it was busy, 0..1. */
double tally_busy(const struct tally *t, int thread);

/** A thread's mean ready-list length. */
double tally_queue(const struct tally *t, int thread);

/** Free what tally_init allocated. */
void tally_free(struct tally *t);

#endif
