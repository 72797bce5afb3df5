/* correct: least keeps the last of the tied threads in rotation order;
 * p2c draws its pair with another generator (right, but different from
 * the solution; it must score full marks) */
#include "reference-server/handoff.h"

static uint64_t draw(struct thread *self)
{
    /* xorshift64* of the cursor and the thread: no state of its own. */
    uint64_t x = ((uint64_t)self->next_rr << 20) ^ (uint64_t)self->id ^
                 0x2545f4914f6cdd1dULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545f4914f6cdd1dULL;
}

struct thread *schedule_pick(struct thread *self)
{
    struct server *srv = self->srv;
    unsigned n = (unsigned)srv->nworkers;
    unsigned start = self->next_rr % n;
    uint64_t r = draw(self);
    self->next_rr++;
    switch (srv->opt.schedule) {
    case SCHEDULE_LEAST: {
        /* "<=": of the tied, the last one after the cursor. */
        struct thread *best = srv->workers[start];
        uint64_t best_open = stats_open_conns(&best->stats);
        for (unsigned i = 1; i < n; i++) {
            struct thread *t = srv->workers[(start + i) % n];
            uint64_t open = stats_open_conns(&t->stats);
            if (open <= best_open) {
                best = t;
                best_open = open;
            }
        }
        return best;
    }
    case SCHEDULE_P2C: {
        if (n < 2)
            return srv->workers[0];
        unsigned a = (unsigned)((r >> 33) % n);
        unsigned b = (unsigned)((r & 0xffffffffu) % (n - 1));
        if (b >= a)
            b++;
        struct thread *ta = srv->workers[a], *tb = srv->workers[b];
        return stats_open_conns(&tb->stats) <= stats_open_conns(&ta->stats)
                   ? tb
                   : ta;
    }
    case SCHEDULE_RR:
    default:
        return srv->workers[start];
    }
}
