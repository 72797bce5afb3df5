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
 * The trace may also be a pipe or a FIFO (`--trace /dev/stdout | cat`,
 * `--trace fifo`), or a device: those are written without blocking, a
 * pipe in whole lines of at most PIPE_BUF bytes at a time, and are not
 * sorted. Whatever cannot be written (a reader behind or gone, a full
 * disk) is dropped and counted, with one warning a second at most per
 * thread: tracing never stops the server, nor its exit.
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

#include <stdbool.h>
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
    uint64_t dropped;  /**< events lost: a stream's since its last
                            datagram; a file's or pipe's in all */
    uint64_t last_try; /**< stream: when a datagram was last sent (tried) */
    int behind;        /**< stream: the last send found the reader behind */
    uint32_t held[FD_NKINDS]; /**< stream: what buf holds, per kind (as
                                   the drop lines count it) */
    uint64_t lost[FD_NKINDS]; /**< stream: lost since the last datagram,
                                   per kind */
    int stream;               /**< 1: fd is a unix datagram socket */
    int pipe;                 /**< 1: fd is a pipe or FIFO (written PIPE_BUF
                                   bytes at a time, never blocking) */
    long warned_at;           /**< second of the last write warning, or -1 */
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
 * Rewrite the file with its events in time order, keeping the header
 * line first; one thread's events keep their order, and events of
 * different threads at the same nanosecond go in thread order. Each
 * thread's lines are already in time order in the file (it stamps them
 * as it writes them), so this is a merge, one cursor per thread reading
 * the file from the start, into a new file that then replaces it: the
 * memory it takes is a read buffer per thread (TRACE_SORT_BUF), whatever
 * the file's size. A `unix:` stream, a pipe, a FIFO or a device is left
 * alone (nothing to reopen: reading it would block or take what a reader
 * is owed).
 * \param path   the trace file (`--trace`'s value)
 * \param stop   called now and then (with arg) while sorting; when it
 *               returns true the sort stops and the file is left as written
 * \param arg    passed to stop
 * \param err    where a failure's message goes
 * \param errlen its size
 * \return 0 (sorted, or nothing to do), 1 if stop() stopped it, or -1
 *         with a message in err (the file is left as written).
 */
int trace_sort(const char *path, bool (*stop)(void *arg), void *arg, char *err,
               size_t errlen);

/** Bytes of read buffer trace_sort() takes per thread in the trace. */
#define TRACE_SORT_BUF (64 << 10)

/** CLOCK_MONOTONIC in nanoseconds. */
uint64_t trace_now_ns(void);

#endif
