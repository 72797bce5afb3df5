/**
 * \file
 * \brief A small seeded PRNG (xoshiro256**), so that a scenario and a seed
 *        give the same run, bit for bit, on every machine.
 */
#ifndef FASTSIM_RNG_H
#define FASTSIM_RNG_H

#include <stdint.h>

/** Generator state; seed it with rng_seed(). */
struct rng {
    uint64_t s[4]; /**< xoshiro256** state */
};

/** Seed the generator (splitmix64 expands the seed into the state). */
void rng_seed(struct rng *r, uint64_t seed);

/** The next 64 random bits. */
uint64_t rng_next(struct rng *r);

/** A uniform double in [0, 1). */
double rng_uniform(struct rng *r);

/** An exponential sample with the given mean (0 if mean <= 0). */
double rng_exp(struct rng *r, double mean);

/** An exponential sample with the given mean, rounded to whole ns. */
int64_t rng_exp_ns(struct rng *r, double mean_ns);

#endif
