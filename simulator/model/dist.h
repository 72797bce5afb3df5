/**
 * \file
 * \brief Service-time distributions: the shapes a request's application
 *        time can take in the model, with their first two moments.
 *
 * Constant and exponential service say little about the critics' claim
 * that one slow request stalls a single event loop. Two more shapes do:
 * **bimodal** (most requests fast, a fraction slow, each kind a fixed
 * time - what fastd's `/work?us=N` endpoint produces on the real server)
 * and two **heavy-tailed** ones, lognormal and Pareto, where rare very
 * long requests carry much of the total work.
 *
 * Each shape reports its mean and its second moment E[S^2], because the
 * mean wait of an M/G/1 queue depends on nothing else
 * (Pollaczek-Khinchine): W = E[S] + lambda E[S^2] / (2 (1 - rho)). The
 * tests hold the simulator to that formula for every shape.
 */
#ifndef FASTSIM_DIST_H
#define FASTSIM_DIST_H

#include <stdint.h>

#include "simulator/model/rng.h"

/** The shapes a service time can take. */
enum dist_kind {
    DIST_CONST,     /**< always mean_ns */
    DIST_EXP,       /**< exponential with mean mean_ns */
    DIST_BIMODAL,   /**< mean_ns, or slow_ns with probability slow_fraction */
    DIST_LOGNORMAL, /**< lognormal with mean mean_ns and shape sigma */
    DIST_PARETO,    /**< Pareto with mean mean_ns and tail index alpha */
    DIST_NKINDS
};

/** One service-time distribution. Times are in nanoseconds. */
struct dist {
    enum dist_kind kind;  /**< its shape */
    double mean_ns;       /**< the mean; for bimodal the fast requests' time */
    double slow_fraction; /**< bimodal: share of slow requests, 0 to 1 */
    double slow_ns;       /**< bimodal: a slow request's time */
    double sigma;         /**< lognormal: sd of the underlying normal (> 0) */
    double alpha;         /**< Pareto: tail index (> 1; E[S^2] finite if > 2) */
};

/** One sample, rounded to whole ns (never negative). */
int64_t dist_sample_ns(const struct dist *d, struct rng *r);

/** The distribution's mean E[S], in ns. */
double dist_mean_ns(const struct dist *d);

/**
 * The second moment E[S^2], in ns^2; INFINITY for a Pareto tail with
 * alpha <= 2 (the M/G/1 mean wait is then infinite too).
 */
double dist_moment2_ns2(const struct dist *d);

/** The shape's name as scenarios spell it ("bimodal", ...). */
const char *dist_kind_name(enum dist_kind kind);

/** Parse a shape's name. \return 0, or -1 if unknown. */
int dist_kind_parse(const char *name, enum dist_kind *out);

#endif
