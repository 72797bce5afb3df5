/**
 * \file
 * \brief Printing what a run measured: one JSON object, or a text table.
 */
#ifndef FASTSIM_REPORT_H
#define FASTSIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "simulator/model/sim.h"
#include "simulator/model/tally.h"
#include "simulator/model/tracefile.h"

/** Means and 95% confidence half-widths over replications. */
struct report_ci {
    int replications;    /**< runs; 1 means no intervals */
    double rps_ci;       /**< throughput_rps half-width */
    double mean_us_ci;   /**< latency mean half-width */
    double p99_us_ci;    /**< latency p99 half-width */
    const double *util;  /**< per-core utilisation, mean over runs (or NULL) */
    const double *queue; /**< per-core mean queue, mean over runs (or NULL) */
};

/**
 * Print a simulation's report. r holds the values (means when
 * replications > 1), s the last run. Per-core figures come from
 * ci->util and ci->queue when set (means over the runs), else from s.
 * With replications, "seed" is the first seed of the range.
 */
void report_sim(FILE *out, bool json, const struct sim *s,
                const struct sim_report *r, const struct report_ci *ci,
                double wall_s);

/**
 * Print what a replayed trace (or a live stream) adds up to: tr gives the
 * header (arch, threads, cores), t the counts and figures.
 */
void report_trace(FILE *out, bool json, const char *path,
                  const struct trace *tr, const struct tally *t, double wall_s);

/**
 * The half-width of a 95% confidence interval for the mean of n samples
 * with sample standard deviation sd (Student's t).
 */
double report_ci95(double sd, int n);

#endif
