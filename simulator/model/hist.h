/**
 * \file
 * \brief A latency histogram with buckets 1% wide: percentiles within 1%,
 *        in constant memory, whatever the number of samples.
 */
#ifndef FASTSIM_HIST_H
#define FASTSIM_HIST_H

#include <stdint.h>

/** Buckets: 1.01^2999 ns (about 2.5 hours) is far beyond any latency
 *  we simulate. */
#define HIST_BUCKETS 3000

/** The histogram; zero-initialise it. */
struct hist {
    uint64_t count;                /**< samples */
    double sum;                    /**< their sum, for an exact mean */
    uint64_t bucket[HIST_BUCKETS]; /**< bucket 0 holds the zeros, bucket
                                        i > 0 [1.01^(i-1), 1.01^i) */
};

/** Add one sample (ns). */
void hist_add(struct hist *h, int64_t ns);

/** The mean (exact), 0 if empty. */
double hist_mean(const struct hist *h);

/** The p-th quantile (0 < p < 1): the middle of the bucket that holds
 *  the sample of rank ceil(p count), so within 0.5% of it (0 if that
 *  sample is 0); 0 if empty. */
double hist_quantile(const struct hist *h, double p);

#endif
