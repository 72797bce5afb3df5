/**
 * \file
 * \brief Per-thread counters, readable from any thread, and the /stats JSON.
 *
 * Each counter has one writer (the thread that owns it), except
 * stats::conns_in, which every accept thread adds to. Readers (/stats, the
 * least-loaded scheduler, the exit summary) run on other threads, so every
 * counter is atomic; see counter_add() for why that costs nothing extra.
 */
#ifndef FASTD_STATS_H
#define FASTD_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "reference-server/fdtrace.h"

/** A counter written by one thread and read by any. */
typedef struct {
    _Atomic uint64_t value; /**< the count; use counter_add()/counter_get() */
} counter;

/* [counter add] */
/**
 * Add n to a counter that only the calling thread writes. A relaxed load
 * and store compile to plain `mov`s on x86-64 and arm64, where
 * atomic_fetch_add would be a locked read-modify-write (~20 cycles): with
 * one writer there is no lost update to guard against, and readers still
 * see whole values, never torn ones.
 */
static inline void counter_add(counter *c, uint64_t n)
{
    uint64_t v = atomic_load_explicit(&c->value, memory_order_relaxed);
    atomic_store_explicit(&c->value, v + n, memory_order_relaxed);
}
/* [counter add] */

/** Add n to a counter that several threads write (a locked add). */
static inline void counter_add_shared(counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}

/** Read a counter from any thread. */
static inline uint64_t counter_get(const counter *c)
{
    return atomic_load_explicit(&c->value, memory_order_relaxed);
}

/** Take n back from a counter that several threads write (locked). */
static inline void counter_sub_shared(counter *c, uint64_t n)
{
    atomic_fetch_sub_explicit(&c->value, n, memory_order_relaxed);
}

/* [struct stats] */
/**
 * The counters of one thread; /stats reports them under these names. The
 * owner writes the others on every request (fixed_bytes once, at set-up);
 * conns_in is written by every accept thread, so it has a cache line of its
 * own: sharing one, each hand-off would take the line away from the owner in
 * the middle of its requests (false sharing).
 */
struct stats {
    counter accepted;       /**< connections this thread accepted */
    counter handed_off;     /**< of those, handed to another thread */
    counter requests;       /**< requests answered */
    counter bytes_in;       /**< bytes read from clients */
    counter bytes_out;      /**< bytes written to clients */
    counter fixed_bytes;    /**< memory the thread holds whatever its
                                 connections: --io uring's receive buffers
                                 and their ring (uring_recv.h); 0 on epoll */
    counter closed_normal;  /**< closed by either side after a clean end */
    counter closed_error;   /**< closed after an I/O error or bad input */
    counter closed_timeout; /**< closed by the idle timeout */
    counter wasted_wakes;   /**< accept-thread wake-ups that found no
                                 connection to accept (the herd) */
    /** Connections given to this thread to serve (by any accept thread). */
    _Alignas(64) counter conns_in;
};
/* [struct stats] */

/** Connections this thread serves now: given to it minus closed. */
uint64_t stats_open_conns(const struct stats *s);

struct server;

/**
 * The server's counts so far, for a live trace's `total` lines (a
 * trace_totals_fn; srv is the struct server): accepts, hand-offs,
 * requests and closes, summed over every thread. Hand-offs and closes
 * never exceed accepts, however the loads are ordered.
 */
void stats_totals(void *srv, uint64_t out[FD_NKINDS]);

/** Room for one thread's entry in the /stats body (11 counters of 20
 *  digits plus their names). */
#define STATS_THREAD_MAX 480

/**
 * Write the /stats body: {"arch":..,"threads":[{..},..],"total":{..}}.
 * \return bytes written, or 0 if cap was too small.
 */
size_t stats_write_json(const struct server *srv, char *out, size_t cap);

/** Print the exit summary table, one line per thread, to the stream. */
void stats_print_summary(const struct server *srv, FILE *stream);

#endif
