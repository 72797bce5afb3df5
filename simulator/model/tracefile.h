/**
 * \file
 * \brief Reading an fdtrace v1 file (written by `fastd --trace`) into
 *        events the view can play and the report can count.
 */
#ifndef FASTSIM_TRACEFILE_H
#define FASTSIM_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "simulator/model/fdevent.h"

/** A whole trace in memory, in time order. */
struct trace {
    char arch[32];           /**< from the header: arch=... */
    int threads;             /**< from the header: threads=... */
    int cores;               /**< from the header: cores=... */
    struct fd_event *events; /**< the events, sorted by time */
    size_t len;              /**< how many */
};

/**
 * Parse trace text; name is used in messages. A malformed line is an
 * error naming "name:line: what is wrong"; nothing is ever trusted (thread
 * and core numbers are checked against the header).
 * \return 0, or -1 with the message in err.
 */
int trace_parse(struct trace *tr, const char *text, size_t len,
                const char *name, char *err, size_t errlen);

/** Read and parse a file. \return 0, or -1 with a message in err. */
int trace_load(struct trace *tr, const char *path, char *err, size_t errlen);

/** The highest fd number a trace may name (a bound on memory). */
#define TRACE_MAX_FD (1 << 20)

/**
 * Parse one event line against a header's thread count. The same checks
 * as trace_parse: fd -1 to TRACE_MAX_FD, arguments in their ranges.
 * \return 0, or -1 with what is wrong in err.
 */
int trace_parse_line(const char *line, int threads, struct fd_event *ev,
                     char *err, size_t errlen);

/**
 * Parse a header line ("# fdtrace 1 arch=A threads=N cores=N") into tr's
 * arch, threads and cores. \return 0, or -1 if it is not one.
 */
int trace_parse_header(struct trace *tr, const char *line);

/** Receives an event from trace_infer_ready(). */
typedef void (*trace_sink)(void *ctx, const struct fd_event *ev);

/**
 * fastd cannot know when an fd became readable, only when a wake-up
 * returned it: for the wake-up at events[i], give sink a `ready` event
 * (at the wake-up's time) for each fd its thread reads before its next
 * wake-up. Does nothing if events[i] is not a wake-up.
 */
void trace_infer_ready(const struct fd_event *events, size_t len, size_t i,
                       trace_sink sink, void *ctx);

/** Free a trace's events. */
void trace_free(struct trace *tr);

/** What a trace adds up to. */
struct trace_counts {
    uint64_t connections; /**< accept events */
    uint64_t requests;    /**< sum of request events' counts */
    uint64_t handoffs;    /**< handoff events */
    uint64_t closes;      /**< close events */
    uint64_t wakes;       /**< wake events */
    double duration_s;    /**< from the first event to the last */
};

/** Count a trace's events. */
void trace_count(const struct trace *tr, struct trace_counts *out);

#endif
