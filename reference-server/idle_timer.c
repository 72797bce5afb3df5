/*
 * `--idle-clock timerfd`: the request thread's timerfd (idle_timer.h is
 * the contract). The expiry pass itself is conns_expire() either way.
 *
 * One-shot at the next deadline, not a periodic tick. A tick (say every
 * second, which is what the default epoll_wait() timeout amounts to) needs
 * one timerfd_settime() in all, but wakes every request thread every
 * second for as long as fastd runs, idle or not; a thread with nothing due
 * should sleep until something is. Here the timer is armed for the first
 * second at which a connection can expire, and a thread with no
 * connection (or only young ones under a 60 s timeout) stays asleep.
 *
 * What that costs, and why it is cheap: a deadline moves every time the
 * oldest connection makes progress, and a timerfd_settime() per move would
 * be a syscall per request. It is not needed. The oldest connection's
 * last_active never goes back (the activity list is in time order), so the
 * earliest deadline only ever moves later, except when a connection starts
 * lingering (a 2 s deadline under a longer idle timeout). The timer is
 * therefore re-armed only when it is disarmed or when the new deadline is
 * earlier than the armed one; otherwise it fires early, the expiry pass
 * finds the oldest fresh, and the timer is armed again for the deadline as
 * it is then. That is at most one early wake-up, one read() and one
 * timerfd_settime() a second per thread, and only while the thread holds
 * connections: the default's cadence at worst, and no wake-up at all when
 * there is nothing to expire. (conns_trim(), right after the pass, then
 * gives memory freed in a quiet second back at the next wake-up, not
 * within the second.)
 *
 * The drain is short (DRAIN_SECONDS at most) and polls: the grace period
 * ends on a millisecond clock, and it looks for connections that have
 * become idle. There the timer ticks every IDLE_TIMER_DRAIN_MS, as the
 * default's epoll_wait() timeout does.
 */
#include "reference-server/idle_timer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "reference-server/server.h"

/*
 * The timer fires this long after the start of a deadline's second.
 * self->now reads CLOCK_MONOTONIC_COARSE (server.c), which lags the
 * timer's CLOCK_MONOTONIC by up to one kernel tick (10 ms at HZ=100): a
 * timer set for the very start of second S could wake the thread while
 * self->now still says S - 1, the pass would expire nothing, and the
 * timer, armed again for S (now in the past), would fire again at once
 * until the coarse clock caught up.
 */
#define IDLE_TIMER_SLACK_NS 20000000L

//! [idle timer open]
int idle_timer_open(struct thread *self)
{
    self->timer = (struct idle_timer){.fd = -1};
    if (self->srv->opt.idle_clock != IDLE_CLOCK_TIMERFD)
        return 0;
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "fastd: thread %d: timerfd_create: %s\n", self->id,
                strerror(errno));
        return -1;
    }
    /* Level-triggered, like the stop eventfd: ready until read. */
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (epoll_ctl(self->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fprintf(stderr, "fastd: thread %d: epoll_ctl(ADD timerfd %d): %s\n",
                self->id, fd, strerror(errno));
        close(fd);
        return -1;
    }
    self->timer.fd = fd;
    return 0;
}
//! [idle timer open]

//! [idle timer read]
void idle_timer_read(struct thread *self)
{
    /* The read is what clears the readiness: without it the timerfd stays
     * readable, and every epoll_wait() returns at once, for ever. */
    uint64_t expirations;
    if (read(self->timer.fd, &expirations, sizeof expirations) < 0) {
        if (errno != EAGAIN && errno != EINTR)
            thread_warn(self, "read(timerfd): %s", strerror(errno));
        return;
    }
    self->timer.armed_for = 0; /* one-shot: the kernel disarmed it */
}
//! [idle timer read]

static bool timer_set(struct thread *self, const struct itimerspec *when,
                      int flags)
{
    if (timerfd_settime(self->timer.fd, flags, when, NULL) == 0)
        return true;
    thread_warn(self, "timerfd_settime: %s", strerror(errno));
    return false;
}

/* The first second at which conns_expire() may close one of self's
 * connections, or 0 if none can expire. */
static long next_deadline(const struct thread *self)
{
    long due = 0, timeout = self->srv->opt.idle_timeout;
    if (timeout > 0 && self->conns.oldest) /* idle longer than timeout */
        due = self->conns.oldest->last_active + timeout + 1;
    if (self->conns.linger_oldest) {
        long linger =
            self->conns.linger_oldest->last_active + CONN_LINGER_SECONDS;
        if (!due || linger < due)
            due = linger;
    }
    return due;
}

//! [idle timer arm]
void idle_timer_arm(struct thread *self)
{
    struct idle_timer *timer = &self->timer;
    if (timer->fd < 0 || timer->ticking)
        return;
    if (self->draining) {
        const struct timespec tick = {.tv_nsec =
                                          IDLE_TIMER_DRAIN_MS * 1000000L};
        timer->ticking = timer_set(self, &(struct itimerspec){tick, tick}, 0);
        return;
    }
    long due = next_deadline(self);
    if (!due)
        return; /* nothing can expire: if armed, it fires once for nothing */
    /* Never for a second already passed: had the pass left a connection
     * past its deadline open, the timer would fire again at once. */
    if (due <= self->now)
        due = self->now + 1;
    if (timer->armed_for && timer->armed_for <= due)
        return; /* it fires early, and is armed again then */
    const struct itimerspec at = {
        .it_value = {.tv_sec = due, .tv_nsec = IDLE_TIMER_SLACK_NS}};
    if (timer_set(self, &at, TFD_TIMER_ABSTIME))
        timer->armed_for = due;
}
//! [idle timer arm]

void idle_timer_close(struct thread *self)
{
    if (self->timer.fd >= 0)
        close(self->timer.fd);
    self->timer.fd = -1;
}
