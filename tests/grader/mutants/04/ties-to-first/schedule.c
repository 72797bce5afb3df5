/* mutant: least: ties always go to the first thread (a herd when counts lag) */
/*
 * The hand-off policy: which request thread gets the next connection.
 * Exercise 04 replaces this file; handoff.c keeps the hand-off itself.
 */
#include "reference-server/handoff.h"

/* splitmix64's finaliser: a well-mixed value from a counter, so that p2c
 * needs no random state beyond the round-robin cursor it already has. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

//! [schedule pick]
struct thread *schedule_pick(struct thread *self)
{
    struct server *srv = self->srv;
    unsigned n = (unsigned)srv->nworkers, start = self->next_rr++ % n;
    if (srv->opt.schedule == SCHEDULE_RR || n == 1)
        return srv->workers[start];
    if (srv->opt.schedule == SCHEDULE_P2C) {
        /* Two distinct threads at random; the less loaded wins (ties: the
         * first). Two samples avoid the herd that "least" sends to one
         * thread whose count is stale, at a fraction of its scan. */
        uint64_t r = mix(self->next_rr + ((uint64_t)self->id << 32));
        unsigned a = (unsigned)(r % n);
        unsigned b = (a + 1 + (unsigned)((r >> 32) % (n - 1))) % n;
        struct thread *ta = srv->workers[a], *tb = srv->workers[b];
        return stats_open_conns(&tb->stats) < stats_open_conns(&ta->stats) ? tb
                                                                           : ta;
    }
    (void)start;
    struct thread *best = srv->workers[0];
    uint64_t best_open = stats_open_conns(&best->stats);
    for (unsigned i = 1; i < n && best_open > 0; i++) {
        struct thread *t = srv->workers[i];
        uint64_t open = stats_open_conns(&t->stats);
        if (open < best_open) {
            best = t;
            best_open = open;
        }
    }
    return best;
}
//! [schedule pick]
