/*
 * The live view: a running fastd, drawn as it serves.
 *
 * The reader thread (live.c) gathers each thread's records as they come;
 * here they wait in one queue per fastd thread (each arrives in time
 * order) and are played, merged by time, a quarter of a second behind
 * fastd: by then every thread's buffer has arrived. The clock is fastd's
 * own, read from when its records arrive, so it neither drifts nor waits
 * for the first event.
 *
 * What cannot be drawn is still counted: records fastd lost come back as
 * counts per kind (its `drop` lines), and so do those this view had no
 * room for. The view says how many were lost and what that does to the
 * figures, and says when fastd has stopped (the stream's header names its
 * pid).
 */
#include "simulator/replay.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "simulator/live.h"
#include "simulator/model/report.h"
#include "simulator/player.h"

#define LIVE_DELAY_NS                                                          \
    250000000                   /* behind fastd: a thread flushes every        \
                                   20 ms while it works */
#define LIVE_MAX_EVENTS 1000000 /* waiting to be drawn; beyond: counted */
#define LIVE_QUIET_S    2.0     /* no records this long: say so */

/* One fastd thread's records, in time order, not yet played. */
struct queue {
    struct fd_event *ev;
    size_t head, len, cap;
    bool seen; /* a record other than a drop report arrived */
};

struct live_player {
    struct player p;
    struct live_batch in;
    struct queue *q;
    int nq;
    size_t pending;
    unsigned generation;
    long pid;
    bool stopped;
    double next_check;
};

static volatile sig_atomic_t live_stop;

static void on_signal(int sig)
{
    (void)sig;
    live_stop = 1;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool queue_push(struct queue *q, const struct fd_event *ev)
{
    if (q->head > 0 && q->len == q->cap) { /* played ones make room */
        memmove(q->ev, q->ev + q->head, (q->len - q->head) * sizeof *q->ev);
        q->len -= q->head;
        q->head = 0;
    }
    if (q->len == q->cap) {
        size_t want = q->cap ? q->cap * 2 : 4096;
        struct fd_event *grown = realloc(q->ev, want * sizeof *grown);
        if (!grown)
            return false;
        q->ev = grown, q->cap = want;
    }
    q->ev[q->len++] = *ev;
    return true;
}

static void queues_free(struct live_player *lp)
{
    for (int i = 0; i < lp->nq; i++)
        free(lp->q[i].ev);
    free(lp->q);
    lp->q = NULL, lp->nq = 0, lp->pending = 0;
}

/* A new header: a new fastd. Start again with its threads. */
static void restart(struct live_player *lp, char *err, size_t errlen)
{
    struct player *p = &lp->p;
    const struct live_head *h = &lp->in.head;
    queues_free(lp);
    memcpy(p->tr.arch, h->arch, sizeof p->tr.arch);
    p->tr.threads = h->threads, p->tr.cores = h->cores;
    p->clock_ns = 0;
    lp->generation = lp->in.generation;
    lp->pid = h->pid;
    lp->stopped = false;
    p->note[0] = 0;
    lp->q = calloc((size_t)h->threads, sizeof *lp->q);
    if (!lp->q || player_lay_out(p, err, errlen) < 0) {
        p->laid_out = false;
        return;
    }
    lp->nq = h->threads;
}

/* What the reader gathered: into the queues, or counted. */
static void take(struct live_player *lp, struct live *l, char *err,
                 size_t errlen)
{
    struct player *p = &lp->p;
    if (live_take(l, &lp->in) < 0)
        snprintf(p->note, sizeof p->note, "reading the trace socket: %s",
                 strerror(l->error));
    if (lp->in.generation != lp->generation && lp->in.head.threads > 0)
        restart(lp, err, errlen);
    if (!p->laid_out)
        return;
    for (size_t i = 0; i < lp->in.len; i++) {
        const struct fd_event *ev = &lp->in.events[i];
        struct queue *q = &lp->q[ev->thread];
        if (ev->kind == FD_DROP && !q->seen) {
            /* Lost before this view saw the thread (fastd ran before the
             * view, or the view was behind): counted, but outside the
             * last second's rates. */
            tally_lost(&p->tally, ev->fd, ev->arg > 0 ? (uint64_t)ev->arg : 0);
            p->recent.n = 0, p->recent.next = 0;
            continue;
        }
        q->seen |= ev->kind != FD_DROP;
        if (lp->pending >= LIVE_MAX_EVENTS || !queue_push(q, ev)) {
            tally_lost(&p->tally, ev->kind == FD_DROP ? ev->fd : (int)ev->kind,
                       ev->kind == FD_DROP ? (uint64_t)ev->arg
                       : ev->kind == FD_REQUEST && ev->arg > 0
                           ? (uint64_t)ev->arg
                           : 1);
            continue;
        }
        lp->pending++;
    }
    lp->in.len = 0;
    for (int k = 0; k < FD_NKINDS; k++)
        if (lp->in.over[k]) { /* the reader had no room: counted only */
            tally_lost(&p->tally, k == FD_DROP ? -1 : k, lp->in.over[k]);
            lp->in.over[k] = 0;
        }
}

static void ready_sink(void *ctx, const struct fd_event *ev)
{
    player_event(ctx, ev);
}

/* Play the earliest waiting record. \return false if none is due. */
static bool play_next(struct live_player *lp, int64_t until)
{
    int best = -1;
    for (int i = 0; i < lp->nq; i++) {
        const struct queue *q = &lp->q[i];
        if (q->head < q->len && q->ev[q->head].t_ns <= until &&
            (best < 0 ||
             q->ev[q->head].t_ns < lp->q[best].ev[lp->q[best].head].t_ns))
            best = i;
    }
    if (best < 0)
        return false;
    struct queue *q = &lp->q[best];
    player_event(&lp->p, &q->ev[q->head]);
    /* A wake-up: the fds its thread reads before its next one were
     * ready at it (fastd cannot see them become ready). */
    trace_infer_ready(q->ev + q->head, q->len - q->head, 0, ready_sink, &lp->p);
    q->head++;
    lp->pending--;
    return true;
}

/* Is fastd still there? Says so on screen and on stderr once it is not. */
static void check_fastd(struct live_player *lp, double now)
{
    struct player *p = &lp->p;
    if (now < lp->next_check || lp->stopped)
        return;
    lp->next_check = now + 0.25;
    double quiet = lp->in.last_arrival > 0 ? now - lp->in.last_arrival : 0;
    /* No such process, and nothing arriving (its last buffers come as it
     * exits; a fastd in another pid namespace keeps sending). */
    if (lp->pid > 0 && quiet > 0.3 && kill((pid_t)lp->pid, 0) < 0 &&
        errno == ESRCH) {
        lp->stopped = true;
        snprintf(p->note, sizeof p->note,
                 "fastd (pid %ld) has stopped: everything it sent is counted, "
                 "the figures are final (q quits)",
                 lp->pid);
        fprintf(stderr, "fastsim: fastd (pid %ld) has stopped\n", lp->pid);
        return;
    }
    if (quiet > LIVE_QUIET_S)
        snprintf(p->note, sizeof p->note,
                 "no records from fastd for %.0f s: it is idle%s", quiet,
                 lp->pid > 0 ? ""
                             : " (or it stopped: an older fastd does "
                               "not say)");
    else
        p->note[0] = 0;
}

static void key(struct live_player *lp, enum view_key k, bool *on)
{
    *on = player_key(&lp->p, k, true);
    if (k == KEY_STEP) {
        lp->p.paused = true;
        play_next(lp, INT64_MAX);
    }
}

int live_run(const struct cli *cli)
{
    char err[512];
    struct live l;
    struct live_player lp = {.p = {.speed = 1}};
    struct player *p = &lp.p;
    if (live_open(&l, cli->live, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        return 1;
    }
    p->view =
        view_open(cli->width, cli->height, cli->headless, err, sizeof err);
    if (!p->view || live_start(&l, err, sizeof err) < 0) {
        fprintf(stderr, "fastsim: %s\n", err);
        view_close(p->view);
        live_close(&l);
        return 1;
    }
    snprintf(p->tr.arch, sizeof p->tr.arch, "?");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    fprintf(stderr, "fastsim: waiting for fastd --trace unix:%s\n", cli->live);
    double start = wall_now(), last = start;
    int frame = 0, rc = 0;
    bool on = true;
    while (on && !live_stop) {
        double now = wall_now(), dt = now - last;
        last = now;
        take(&lp, &l, err, sizeof err);
        enum view_key k;
        while (on && (k = view_poll(p->view)) != KEY_NONE)
            key(&lp, k, &on);
        if (p->laid_out && !p->paused && lp.in.offset_ns != INT64_MAX) {
            int64_t clock =
                (int64_t)(now * 1e9) - lp.in.offset_ns - LIVE_DELAY_NS;
            while (play_next(&lp, clock))
                ;
            if (clock > p->clock_ns)
                p->clock_ns = clock;
        }
        check_fastd(&lp, now);
        if (p->laid_out)
            player_draw(p, cli->live, HUD_LIVE, dt);
        if (cli->frames && cli->png && strchr(cli->png, '%') && p->laid_out &&
            player_save(p, cli->png, frame) < 0)
            rc = 1;
        frame++;
        if ((cli->seconds > 0 && now - start >= cli->seconds) ||
            (cli->frames && frame >= cli->frames))
            break;
        struct timespec tick = {0, 1000000000L / 60}; /* ~60 frames/s */
        nanosleep(&tick, NULL);
    }
    live_stop_reader(&l); /* what it has gathered is final */
    take(&lp, &l, err, sizeof err);
    live_close(&l);
    while (play_next(&lp, INT64_MAX)) /* what arrived counts in the report */
        ;
    if (cli->png && !strchr(cli->png, '%') && p->laid_out &&
        player_save(p, cli->png, 0) < 0)
        rc = 1;
    if (lp.in.bad_lines)
        fprintf(stderr, "fastsim: %llu trace lines did not parse\n",
                (unsigned long long)lp.in.bad_lines);
    if (cli->report != REPORT_NONE)
        report_trace(stdout, cli->report == REPORT_JSON, cli->live, &p->tr,
                     &p->tally, wall_now() - start);
    queues_free(&lp);
    free(lp.in.events);
    player_free(p);
    view_close(p->view);
    return rc;
}
