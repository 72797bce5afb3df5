/**
 * \file
 * \brief fdtrace v1: what each thread did with each fd, for fastsim replay.
 *
 * A trace is a text file: a header line, then one event per line,
 *
 *     # fdtrace 1 arch=staged threads=2 cores=2
 *     <t_ns> <thread> <core> <event> <fd> <arg>
 *
 * with t_ns in CLOCK_MONOTONIC nanoseconds since the server started.
 * Each thread formats events into its own buffer and appends whole
 * buffers to the file (O_APPEND), so the hot path takes no lock. Lines
 * from different threads are therefore interleaved by buffer; trace_sort()
 * puts the file in time order when the server stops.
 *
 * A trace can also be a stream, `--trace unix:PATH`: each buffer goes as
 * one datagram to the unix socket `fastsim --live PATH` binds, led by the
 * header line, and is sent when it holds 16 KiB, when its oldest event is
 * 20 ms old, or after a hand-off (an accept thread may then sleep long).
 * A stream never blocks the server: when the reader is slow or gone the
 * buffer is dropped and counted, and the next datagram that gets through
 * starts with `drop` events saying what was lost, one per kind:
 * `<t_ns> <thread> <core> drop <kind> <n>`, kind being the fd_kind number
 * of the lost events and n what they add to the figures (events; for
 * `request`, the requests they counted). A reader adds them back, so its
 * counts stay exact and only latencies and pictures miss the lost part.
 * A stream's header also names fastd's pid (`pid=N`), so that a reader
 * can tell when fastd has stopped. And each datagram ends with `total`
 * lines, the server's counts so far (trace_set_totals()): a thread that
 * sleeps keeps its last records until its next event, but any thread
 * that sends carries every thread's counts.
 *
 * When tracing is off a thread's trace pointer is NULL and TRACE() is one
 * well-predicted branch.
 */
#ifndef FASTD_TRACE_H
#define FASTD_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "reference-server/fdtrace.h"

/*
 * fastd's code spells the vocabulary's kinds (fdtrace.h) TRACE_*; these
 * are the same values, not a second list.
 */
#define TRACE_ACCEPT  FD_ACCEPT  /**< see fd_kind */
#define TRACE_HANDOFF FD_HANDOFF /**< see fd_kind */
#define TRACE_WAKE    FD_WAKE    /**< see fd_kind */
#define TRACE_RECV    FD_RECV    /**< see fd_kind */
#define TRACE_REQUEST FD_REQUEST /**< see fd_kind */
#define TRACE_SEND    FD_SEND    /**< see fd_kind */
#define TRACE_CLOSE   FD_CLOSE   /**< see fd_kind */

/** One thread's trace buffer. */
struct trace_buf {
    int fd;            /**< the trace file, shared by all threads */
    int thread;        /**< this thread's index */
    int core;          /**< pinned core, or -1: ask sched_getcpu() */
    uint64_t origin;   /**< CLOCK_MONOTONIC ns at server start */
    uint64_t since;    /**< when the oldest buffered event happened */
    uint64_t dropped;  /**< stream: events lost since the last datagram */
    uint64_t last_try; /**< stream: when a datagram was last sent (tried) */
    int behind;        /**< stream: the last send found the reader behind */
    uint32_t held[FD_NKINDS]; /**< stream: what buf holds, per kind (as
                                   the drop lines count it) */
    uint64_t lost[FD_NKINDS]; /**< stream: lost since the last datagram,
                                   per kind */
    int stream;               /**< 1: fd is a unix datagram socket */
    size_t len;               /**< bytes waiting in buf */
    char buf[1 << 16];        /**< formatted lines not yet written */
};

/* [trace macro] */
/** Emit an event if tracing is on; free (one branch) when it is off. */
#define TRACE(tb, event, fd, arg)                                              \
    do {                                                                       \
        if (__builtin_expect((tb) != NULL, 0))                                 \
            trace_emit((tb), (event), (fd), (arg));                            \
    } while (0)
/* [trace macro] */

/**
 * Create the trace file and write its header; for `unix:PATH`, open a
 * datagram socket that sends to PATH (a reader need not be there yet).
 * Call once, before the threads start.
 * \return the fd, or -1 with a message in err.
 */
int trace_open(const char *path, const char *arch, int threads, int cores,
               char *err, size_t errlen);

/** Fills out[kind] with the server's count of that kind so far (accept,
 *  handoff, request, close); ctx is trace_set_totals()'s. */
typedef void (*trace_totals_fn)(void *ctx, uint64_t out[FD_NKINDS]);

/**
 * What a stream's datagrams report as `total` lines. Call once, before
 * the threads start; fn must be safe to call from any thread.
 */
void trace_set_totals(trace_totals_fn fn, void *ctx);

/** Allocate a thread's buffer; NULL on out-of-memory. */
struct trace_buf *trace_buf_new(int fd, int thread, int core, uint64_t origin);

/** Format one event into the buffer, writing the buffer out when full
 *  (or, for a stream, when it is due). */
void trace_emit(struct trace_buf *tb, enum fd_kind event, int fd, long arg);

/** Write out what is buffered. Call before the thread exits: a stream
 *  whose reader is there but behind is given up to 100 ms to take it. */
void trace_flush(struct trace_buf *tb);

/**
 * Rewrite the file with its events in time order (a stable sort, so one
 * thread's events keep their order). Keeps the header line first. A
 * `unix:` stream has no file: nothing to do.
 * \return 0, or -1 with a message in err.
 */
int trace_sort(const char *path, char *err, size_t errlen);

/** CLOCK_MONOTONIC in nanoseconds. */
uint64_t trace_now_ns(void);

#endif
