#include "simulator/model/tally.h"

#include <stdlib.h>
#include <string.h>

/* fds beyond this are counted but not timed (traces state the same). */
#define TALLY_MAX_FD (1 << 20)

int tally_init(struct tally *t, int threads)
{
    memset(t, 0, sizeof *t);
    t->threads = threads > 0 ? threads : 1;
    t->thread = calloc((size_t)t->threads, sizeof *t->thread);
    if (!t->thread)
        return -1;
    for (int i = 0; i < t->threads; i++)
        t->thread[i].batch_start = -1;
    t->first_ns = -1;
    return 0;
}

static bool fd_room(struct tally *t, int fd)
{
    if (fd < 0 || fd > TALLY_MAX_FD)
        return false;
    if (fd < t->nfds)
        return true;
    int n = t->nfds ? t->nfds : 1024;
    while (n <= fd)
        n *= 2;
    int64_t *start = realloc(t->start, (size_t)n * sizeof *start);
    if (!start)
        return false;
    t->start = start;
    int *ready_on = realloc(t->ready_on, (size_t)n * sizeof *ready_on);
    if (!ready_on)
        return false;
    t->ready_on = ready_on;
    for (int i = t->nfds; i < n; i++)
        t->start[i] = -1, t->ready_on[i] = 0;
    t->nfds = n;
    return true;
}

static void ready_change(struct tally_thread *th, int64_t now, int delta)
{
    /* A live stream may deliver a record late: time never runs back. */
    if (now > th->ready_since) {
        th->ready_area += (double)th->ready * (double)(now - th->ready_since);
        th->ready_since = now;
    }
    th->ready += delta;
    if (th->ready < 0) /* cannot happen: an fd is counted once */
        th->ready = 0;
}

/* Take fd out of whichever ready list counts it. */
static void ready_leave(struct tally *t, int fd, int64_t now)
{
    int on = t->ready_on[fd] - 1;
    t->ready_on[fd] = 0;
    if (on >= 0 && on < t->threads)
        ready_change(&t->thread[on], now, -1);
}

void tally_lost(struct tally *t, int kind, uint64_t n)
{
    t->drops += n;
    if (kind < 0 || kind >= FD_NKINDS)
        return; /* an older fastd: a total, kinds unknown */
    t->lost[kind] += n;
    switch ((enum fd_kind)kind) {
    case FD_ACCEPT:
        t->accepts += n;
        break;
    case FD_HANDOFF:
        t->handoffs += n;
        break;
    case FD_WAKE:
        t->wakes += n;
        break;
    case FD_REQUEST:
        t->requests += n;
        break;
    case FD_CLOSE:
        t->closes += n;
        break;
    default:
        break;
    }
}

uint64_t tally_count(const struct tally *t, enum fd_kind kind)
{
    uint64_t seen = kind == FD_ACCEPT    ? t->accepts
                    : kind == FD_HANDOFF ? t->handoffs
                    : kind == FD_REQUEST ? t->requests
                    : kind == FD_CLOSE   ? t->closes
                                         : 0;
    uint64_t total = (unsigned)kind < FD_NKINDS ? t->total[kind] : 0;
    return total > seen ? total : seen;
}

/* A batch's time on its core, within the span of work the shares divide
 * by: a batch that began with a wake-up before the first work (an idle
 * tick, or the start of a trace cut from a longer run) counts from that
 * first work, so no thread is ever more than 100% busy. */
static int64_t batch_ns(const struct tally *t, const struct tally_thread *th)
{
    if (th->batch_start < 0 || t->first_ns < 0)
        return 0;
    int64_t from =
        th->batch_start > t->first_ns ? th->batch_start : t->first_ns;
    int64_t to = th->batch_last < t->last_ns ? th->batch_last : t->last_ns;
    return to > from ? to - from : 0;
}

void tally_event(struct tally *t, const struct fd_event *ev)
{
    if (ev->kind == FD_TOTAL) { /* a count, not an event: time stays */
        if (ev->fd >= 0 && ev->fd < FD_NKINDS && ev->arg > 0 &&
            (uint64_t)ev->arg > t->total[ev->fd])
            t->total[ev->fd] = (uint64_t)ev->arg;
        return;
    }
    t->events += ev->kind != FD_READY;
    t->wakes += ev->kind == FD_WAKE;
    /* The span is that of work on fds: wake-ups of an idle thread (its
     * idle clock ticks every second) and drop reports (sent later than
     * what they report) would stretch it past the load. */
    bool work = ev->kind == FD_ACCEPT || ev->kind == FD_HANDOFF ||
                ev->kind == FD_RECV || ev->kind == FD_REQUEST ||
                ev->kind == FD_SEND || ev->kind == FD_CLOSE;
    if (work && t->first_ns < 0)
        t->first_ns = ev->t_ns;
    if (work && ev->t_ns > t->last_ns)
        t->last_ns = ev->t_ns;
    struct tally_thread *th = ev->thread >= 0 && ev->thread < t->threads
                                  ? &t->thread[ev->thread]
                                  : NULL;
    if (th) {
        if (ev->kind == FD_WAKE) {
            th->busy_ns += batch_ns(t, th);
            th->batch_start = th->batch_last = ev->t_ns;
        } else if (th->batch_start >= 0) {
            th->batch_last = ev->t_ns;
        }
    }
    bool timed = fd_room(t, ev->fd);
    switch (ev->kind) {
    case FD_ACCEPT:
        t->accepts++;
        if (timed) /* a new connection on a reused number */
            ready_leave(t, ev->fd, ev->t_ns), t->start[ev->fd] = -1;
        break;
    case FD_HANDOFF:
        t->handoffs++;
        break;
    case FD_DROP: /* what was lost is added back to the counts */
        tally_lost(t, ev->fd, ev->arg > 0 ? (uint64_t)ev->arg : 0);
        break;
    case FD_READY:
        if (timed && t->start[ev->fd] < 0)
            t->start[ev->fd] = ev->t_ns;
        if (timed && th && !t->ready_on[ev->fd]) {
            t->ready_on[ev->fd] = ev->thread + 1;
            ready_change(th, ev->t_ns, +1);
        }
        break;
    case FD_RECV:
        if (timed && t->start[ev->fd] < 0)
            t->start[ev->fd] = ev->t_ns;
        if (timed)
            ready_leave(t, ev->fd, ev->t_ns);
        break;
    case FD_REQUEST:
        if (ev->arg > 0) {
            t->requests += (uint64_t)ev->arg;
            if (th)
                th->requests += (uint64_t)ev->arg;
        }
        break;
    case FD_SEND:
        if (timed && t->start[ev->fd] >= 0) {
            hist_add(&t->latency, ev->t_ns - t->start[ev->fd]);
            t->answered++;
            t->start[ev->fd] = -1;
        }
        break;
    case FD_CLOSE:
        t->closes++;
        if (timed) {
            t->start[ev->fd] = -1;
            ready_leave(t, ev->fd, ev->t_ns);
        }
        break;
    default:
        break;
    }
}

double tally_rps(const struct tally *t)
{
    int64_t span = t->last_ns - t->first_ns;
    return t->first_ns >= 0 && span > 0
               ? (double)tally_count(t, FD_REQUEST) * 1e9 / (double)span
               : 0;
}

double tally_busy(const struct tally *t, int i)
{
    int64_t span = t->last_ns - t->first_ns;
    if (i < 0 || i >= t->threads || span <= 0)
        return 0;
    const struct tally_thread *th = &t->thread[i];
    double share = (double)(th->busy_ns + batch_ns(t, th)) / (double)span;
    return share < 1 ? share : 1; /* batches of one thread never overlap */
}

double tally_queue(const struct tally *t, int i)
{
    int64_t span = t->last_ns - t->first_ns;
    if (i < 0 || i >= t->threads || span <= 0)
        return 0;
    const struct tally_thread *th = &t->thread[i];
    double area = th->ready_area;
    if (th->ready > 0 && t->last_ns > th->ready_since)
        area += (double)th->ready * (double)(t->last_ns - th->ready_since);
    return area / (double)span;
}

void tally_free(struct tally *t)
{
    free(t->thread);
    free(t->start);
    free(t->ready_on);
    memset(t, 0, sizeof *t);
}
