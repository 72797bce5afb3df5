/* Exercise 04: which request thread gets the next connection. You edit
 * schedule.c. */
#ifndef EX04_SCHEDULE_H
#define EX04_SCHEDULE_H

#include <stdint.h>

struct sched {
    int n;           /* request threads */
    const int *open; /* open[i]: connections thread i holds now */
    unsigned cursor; /* yours to use (round-robin position) */
    uint64_t rng;    /* yours to use: call sched_random() */
};

/* A random number in [0, bound), from s->rng (given). */
unsigned sched_random(struct sched *s, unsigned bound);

/* Round-robin: 0, 1, ..., n-1, 0, 1, ... whatever the load. */
int pick_rr(struct sched *s);

/* Least loaded: the thread with the fewest open connections; on a tie,
 * the lowest index. */
int pick_least(struct sched *s);

/* Power of two choices: two different threads at random, the less loaded
 * of the two (the first of them on a tie). */
int pick_p2c(struct sched *s);

#endif
