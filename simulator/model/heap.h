/**
 * \file
 * \brief The event queue: a binary min-heap ordered by (time, sequence).
 *
 * The sequence number breaks ties in insertion order, which keeps runs
 * deterministic when two events fall on the same nanosecond.
 */
#ifndef FASTSIM_HEAP_H
#define FASTSIM_HEAP_H

#include <stddef.h>
#include <stdint.h>

/** One scheduled event. */
struct event {
    int64_t time; /**< simulated ns */
    uint64_t seq; /**< insertion order, for ties */
    int kind;     /**< what happens (sim.c's enum) */
    int a;        /**< first argument (a client, a core...) */
    int b;        /**< second argument */
};

/** The queue. Zero-initialise, then heap_push(). */
struct heap {
    struct event *items; /**< heap-ordered array */
    size_t len;          /**< events queued */
    size_t cap;          /**< allocated entries */
    uint64_t next_seq;   /**< sequence for the next push */
};

/** Queue an event. \return 0, or -1 when out of memory. */
int heap_push(struct heap *h, int64_t time, int kind, int a, int b);

/** Take the earliest event. \return 0, or -1 if the queue is empty. */
int heap_pop(struct heap *h, struct event *out);

/** Free the queue's memory. */
void heap_free(struct heap *h);

#endif
