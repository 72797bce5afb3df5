/**
 * \file
 * \brief The event vocabulary of the course, written once: what can happen
 *        to an fd, and why a connection closes.
 *
 * fastd writes these events to its fdtrace (trace.h); fastsim's model
 * emits the same events live and its view plays them (simulator/model/
 * fdevent.h). Both include this header, so a new event is added here, in
 * the enum and in fd_kind_name(), and nowhere else.
 *
 * fdtrace v1 lines are `<t_ns> <thread> <core> <event> <fd> <arg>`; the
 * event column is fd_kind_name() of the kind.
 */
#ifndef FDTRACE_H
#define FDTRACE_H

/* [fd kinds] */
/** Event kinds, named as in fdtrace v1. */
enum fd_kind {
    FD_ACCEPT,  /**< fd accepted; arg: listener fd */
    FD_HANDOFF, /**< fd handed to another thread; arg: target thread */
    FD_WAKE,    /**< a thread's epoll_wait returned; fd -1; arg: events */
    FD_RECV,    /**< bytes read; arg: bytes */
    FD_REQUEST, /**< requests parsed; arg: count */
    FD_SEND,    /**< bytes written; arg: bytes */
    FD_CLOSE,   /**< fd closed; arg: an enum close_reason */
    FD_READY,   /**< fd readable, waiting in its thread's ready list (the
                     model knows; a replay infers it from the next wake) */
    FD_DROP,    /**< a live stream lost events; fd -1; arg: how many */
    FD_WASTED,  /**< an accept thread woke and found nothing to accept
                     (the thundering herd); fd: the listener; arg: 0 */
    FD_TOTAL,   /**< a live stream's running total, server-wide, as
                     /stats counts it: fd: the kind counted (accept,
                     handoff, request, close); arg: how many so far */
    FD_ARRIVE,  /**< a connection joined a thread's accept queue (the model
                     knows; fastd cannot see it); fd -1; arg: connection */
    FD_NKINDS   /**< how many kinds there are */
};
/* [fd kinds] */

/** Why a connection was closed (the close event's argument). */
enum close_reason {
    CLOSE_NORMAL = 0,  /**< the client closed or asked to */
    CLOSE_ERROR = 1,   /**< I/O error or bad input */
    CLOSE_TIMEOUT = 2, /**< idle for longer than --idle-timeout */
};

/** The kind's name in fdtrace ("accept", ...), "?" if out of range. */
static inline const char *fd_kind_name(enum fd_kind kind)
{
    static const char *const names[FD_NKINDS] = {
        [FD_ACCEPT] = "accept",   [FD_HANDOFF] = "handoff",
        [FD_WAKE] = "wake",       [FD_RECV] = "recv",
        [FD_REQUEST] = "request", [FD_SEND] = "send",
        [FD_CLOSE] = "close",     [FD_READY] = "ready",
        [FD_DROP] = "drop",       [FD_WASTED] = "wasted",
        [FD_TOTAL] = "total",     [FD_ARRIVE] = "arrive",
    };
    return (unsigned)kind < FD_NKINDS ? names[kind] : "?";
}

#endif
