#include "simulator/recent.h"

#include <stdlib.h>
#include <string.h>

int recent_init(struct recent *r, int threads)
{
    memset(r, 0, sizeof *r);
    r->threads = threads > 0 ? threads : 1;
    for (int i = 0; i < RECENT_NOTES; i++) {
        r->note[i].busy_ns = calloc((size_t)r->threads, sizeof(int64_t));
        r->note[i].area = calloc((size_t)r->threads, sizeof(double));
        if (!r->note[i].busy_ns || !r->note[i].area) {
            recent_free(r);
            return -1;
        }
    }
    return 0;
}

/* A thread's busy time up to now, its open batch included. */
static int64_t busy_at(const struct tally *t, int i)
{
    const struct tally_thread *th = &t->thread[i];
    return th->busy_ns +
           (th->batch_start >= 0 ? th->batch_last - th->batch_start : 0);
}

/* A thread's ready-list area (fd-ns) up to now. */
static double area_at(const struct tally *t, int i, int64_t now)
{
    const struct tally_thread *th = &t->thread[i];
    double a = th->ready_area;
    if (th->ready > 0 && now > th->ready_since)
        a += (double)th->ready * (double)(now - th->ready_since);
    return a;
}

static int threads_of(const struct recent *r, const struct tally *t)
{
    return r->threads < t->threads ? r->threads : t->threads;
}

void recent_tick(struct recent *r, const struct tally *t, int64_t now_ns)
{
    if (!r->note[0].busy_ns)
        return;
    /* A view that starts within the trace's first second (a replay, or a
     * live view of a fresh fastd) knows the counts at time 0: none. That
     * note gives a rate from the first frame on; without it a picture
     * taken before a second of trace time said 0 req/s. */
    if (!r->n && now_ns > 0 && now_ns <= RECENT_STEP_NS * (RECENT_NOTES - 1)) {
        struct recent_note *z = &r->note[0];
        z->t_ns = 0;
        z->requests = z->accepts = z->handoffs = 0;
        for (int i = 0; i < r->threads; i++) {
            z->busy_ns[i] = 0;
            z->area[i] = 0;
        }
        r->next = 1;
        r->n = 1;
    }
    int last = (r->next + RECENT_NOTES - 1) % RECENT_NOTES;
    if (r->n && now_ns - r->note[last].t_ns < RECENT_STEP_NS &&
        now_ns >= r->note[last].t_ns)
        return;
    struct recent_note *n = &r->note[r->next];
    n->t_ns = now_ns;
    n->requests = tally_count(t, FD_REQUEST);
    n->accepts = tally_count(t, FD_ACCEPT);
    n->handoffs = tally_count(t, FD_HANDOFF);
    for (int i = 0; i < threads_of(r, t); i++) {
        n->busy_ns[i] = busy_at(t, i);
        n->area[i] = area_at(t, i, now_ns);
    }
    r->next = (r->next + 1) % RECENT_NOTES;
    if (r->n < RECENT_NOTES)
        r->n++;
}

/* The note the rates are measured from: the newest one a second old or
 * more, else (early on) the oldest; NULL before a note. Notes are taken
 * at frames, so frames slower than a step (a loaded machine, a headless
 * run writing PNGs) made the ring's oldest 3 s old: "last 1 s" measured
 * over 3 s, and a live view's rate went on falling for seconds after
 * fastd stopped. */
static const struct recent_note *oldest(const struct recent *r, int64_t now)
{
    const struct recent_note *best = NULL, *first = NULL;
    int64_t second = now - RECENT_STEP_NS * (RECENT_NOTES - 1);
    for (int i = 0; i < r->n; i++) {
        const struct recent_note *n = &r->note[i];
        if (n->t_ns >= now)
            continue;
        if (!first || n->t_ns < first->t_ns)
            first = n;
        if (n->t_ns <= second && (!best || n->t_ns > best->t_ns))
            best = n;
    }
    return best ? best : first;
}

double recent_span_s(const struct recent *r, int64_t now_ns)
{
    const struct recent_note *n = oldest(r, now_ns);
    return n ? (double)(now_ns - n->t_ns) / 1e9 : 0;
}

double recent_rps(const struct recent *r, const struct tally *t, int64_t now)
{
    const struct recent_note *n = oldest(r, now);
    return n ? (double)(tally_count(t, FD_REQUEST) - n->requests) * 1e9 /
                   (double)(now - n->t_ns)
             : 0;
}

double recent_accept_rate(const struct recent *r, const struct tally *t,
                          int64_t now)
{
    const struct recent_note *n = oldest(r, now);
    return n ? (double)(tally_count(t, FD_ACCEPT) - n->accepts) * 1e9 /
                   (double)(now - n->t_ns)
             : 0;
}

double recent_busy(const struct recent *r, const struct tally *t, int i,
                   int64_t now)
{
    const struct recent_note *n = oldest(r, now);
    if (!n || i < 0 || i >= threads_of(r, t))
        return 0;
    double b =
        (double)(busy_at(t, i) - n->busy_ns[i]) / (double)(now - n->t_ns);
    return b < 0 ? 0 : b > 1 ? 1 : b;
}

double recent_queue(const struct recent *r, const struct tally *t, int i,
                    int64_t now)
{
    const struct recent_note *n = oldest(r, now);
    if (!n || i < 0 || i >= threads_of(r, t))
        return 0;
    double q = (area_at(t, i, now) - n->area[i]) / (double)(now - n->t_ns);
    return q < 0 ? 0 : q;
}

void recent_free(struct recent *r)
{
    for (int i = 0; i < RECENT_NOTES; i++) {
        free(r->note[i].busy_ns);
        free(r->note[i].area);
        r->note[i].busy_ns = NULL, r->note[i].area = NULL;
    }
    r->n = 0;
}
