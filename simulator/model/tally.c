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
    bool *ready = realloc(t->ready, (size_t)n * sizeof *ready);
    if (!ready)
        return false;
    t->ready = ready;
    for (int i = t->nfds; i < n; i++)
        t->start[i] = -1, t->ready[i] = false;
    t->nfds = n;
    return true;
}

static void ready_change(struct tally_thread *th, int64_t now, int delta)
{
    if (th->ready_since > 0 || th->ready > 0)
        th->ready_area += (double)th->ready * (double)(now - th->ready_since);
    th->ready_since = now;
    th->ready += delta;
}

void tally_event(struct tally *t, const struct fd_event *ev)
{
    t->events += ev->kind != FD_READY;
    t->wakes += ev->kind == FD_WAKE;
    if (t->first_ns < 0)
        t->first_ns = ev->t_ns;
    if (ev->t_ns > t->last_ns)
        t->last_ns = ev->t_ns;
    struct tally_thread *th = ev->thread >= 0 && ev->thread < t->threads
                                  ? &t->thread[ev->thread]
                                  : NULL;
    if (th) {
        if (ev->kind == FD_WAKE) {
            if (th->batch_start >= 0)
                th->busy_ns += th->batch_last - th->batch_start;
            th->batch_start = th->batch_last = ev->t_ns;
        } else if (th->batch_start >= 0) {
            th->batch_last = ev->t_ns;
        }
    }
    bool timed = fd_room(t, ev->fd);
    switch (ev->kind) {
    case FD_ACCEPT:
        t->accepts++;
        break;
    case FD_HANDOFF:
        t->handoffs++;
        break;
    case FD_DROP:
        t->drops += ev->arg > 0 ? (uint64_t)ev->arg : 0;
        break;
    case FD_READY:
        if (timed && t->start[ev->fd] < 0)
            t->start[ev->fd] = ev->t_ns;
        if (timed && th && !t->ready[ev->fd]) {
            t->ready[ev->fd] = true;
            ready_change(th, ev->t_ns, +1);
        }
        break;
    case FD_RECV:
        if (timed && t->start[ev->fd] < 0)
            t->start[ev->fd] = ev->t_ns;
        if (timed && th && t->ready[ev->fd]) {
            t->ready[ev->fd] = false;
            ready_change(th, ev->t_ns, -1);
        }
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
        if (timed)
            t->start[ev->fd] = -1;
        break;
    default:
        break;
    }
}

double tally_rps(const struct tally *t)
{
    int64_t span = t->last_ns - t->first_ns;
    return t->first_ns >= 0 && span > 0 ? (double)t->requests * 1e9 / span : 0;
}

double tally_busy(const struct tally *t, int i)
{
    int64_t span = t->last_ns - t->first_ns;
    if (i < 0 || i >= t->threads || span <= 0)
        return 0;
    const struct tally_thread *th = &t->thread[i];
    int64_t busy = th->busy_ns;
    if (th->batch_start >= 0)
        busy += th->batch_last - th->batch_start;
    return (double)busy / (double)span;
}

double tally_queue(const struct tally *t, int i)
{
    int64_t span = t->last_ns - t->first_ns;
    if (i < 0 || i >= t->threads || span <= 0)
        return 0;
    const struct tally_thread *th = &t->thread[i];
    double area = th->ready_area;
    if (th->ready > 0)
        area += (double)th->ready * (double)(t->last_ns - th->ready_since);
    return area / (double)span;
}

void tally_free(struct tally *t)
{
    free(t->thread);
    free(t->start);
    free(t->ready);
    memset(t, 0, sizeof *t);
}
