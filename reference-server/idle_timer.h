/**
 * \file
 * \brief `--idle-clock timerfd`: a request thread's timerfd wakes it when
 *        the next connection is due to expire.
 *
 * By default (`--idle-clock wait`) a request thread finds its expired
 * connections by giving epoll_wait() a timeout (worker.c): it wakes once
 * a second while the idle timeout is on, whether or not anything is due.
 * With `--idle-clock timerfd` the thread owns a timerfd (timerfd_create(2),
 * CLOCK_MONOTONIC) in its epoll set instead, and epoll_wait() blocks with
 * no timeout at all: time becomes one more fd that gets ready.
 *
 * The contract, in the order the request loop (worker.c) uses it:
 *
 * 1. idle_timer_open() at thread set-up (pool.c) creates the timerfd and
 *    adds it to the thread's epoll set, level-triggered.
 * 2. When epoll_wait() reports idle_timer::fd, the loop calls
 *    idle_timer_read(): the timerfd stays readable until it is read, so a
 *    handler that skips the read() turns the loop into a busy loop.
 * 3. After each batch, conns_expire() closes what is due (the same
 *    expiry pass as with the default clock, conn_expire.c), then
 *    idle_timer_arm() arms the timer for the next deadline, if it is not
 *    armed for an earlier one already.
 * 4. idle_timer_close() at thread exit.
 *
 * Deadlines are whole seconds, like conn::last_active: a connection idle
 * past `--idle-timeout` is closed at the same second with either clock.
 * With `--idle-clock wait` every function here does nothing (fd is -1).
 */
#ifndef FASTD_IDLE_TIMER_H
#define FASTD_IDLE_TIMER_H

#include <stdbool.h>

struct thread;

/** A request thread's timerfd and what it is armed for. */
struct idle_timer {
    int fd;         /**< the timerfd, or -1 (`--idle-clock wait`) */
    long armed_for; /**< CLOCK_MONOTONIC second it fires at; 0 = disarmed */
    bool ticking;   /**< firing every IDLE_TIMER_DRAIN_MS (draining) */
};

/** While draining, the timer ticks this often (as worker.c's wait does). */
#define IDLE_TIMER_DRAIN_MS 50

/**
 * Create self's timerfd (CLOCK_MONOTONIC, non-blocking, close-on-exec) and
 * add it to self->epfd, when the server runs `--idle-clock timerfd`;
 * otherwise set self->timer.fd to -1 and do nothing else.
 * \return 0, or -1 after printing which call failed and why (the thread's
 *         set-up then fails, and fastd exits with that message).
 */
int idle_timer_open(struct thread *self);

/**
 * The timerfd is readable: read its expiration count, which clears the
 * readiness, and note that the timer is no longer armed. Cheap when a
 * spurious wake-up finds nothing to read (EAGAIN).
 */
void idle_timer_read(struct thread *self);

/**
 * Arm the timer for the earliest deadline among self's connections (the
 * oldest on the activity list, the oldest lingering one), after the
 * expiry pass. A timer already armed for that deadline or an earlier one
 * is left alone: see idle_timer.c for why that is enough and what it
 * saves. While draining, it ticks every IDLE_TIMER_DRAIN_MS instead.
 * Does nothing with `--idle-clock wait`.
 */
void idle_timer_arm(struct thread *self);

/** Close the timerfd, if there is one (thread exit). */
void idle_timer_close(struct thread *self);

#endif
