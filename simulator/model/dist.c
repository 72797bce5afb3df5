/*
 * Service-time shapes for the model. Each sampler is the textbook
 * inversion of its distribution function, driven by the scenario's one
 * seeded generator, so a run stays the same bit for bit.
 */
#include "simulator/model/dist.h"

#include <math.h>
#include <string.h>

static const char *const kind_names[DIST_NKINDS] = {"const", "exp", "bimodal",
                                                    "lognormal", "pareto"};

const char *dist_kind_name(enum dist_kind kind)
{
    return kind < DIST_NKINDS ? kind_names[kind] : "?";
}

int dist_kind_parse(const char *name, enum dist_kind *out)
{
    for (int i = 0; i < DIST_NKINDS; i++)
        if (!strcmp(name, kind_names[i])) {
            *out = (enum dist_kind)i;
            return 0;
        }
    return -1;
}

/* A standard normal sample (Box-Muller; the second value is dropped so
 * that each call uses a fixed two draws and runs stay reproducible). */
static double normal(struct rng *r)
{
    double u1 = 1.0 - rng_uniform(r); /* (0, 1]: log never sees 0 */
    double u2 = rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

//! [dist sample]
int64_t dist_sample_ns(const struct dist *d, struct rng *r)
{
    double m = d->mean_ns, v = m;
    if (m <= 0 && d->kind != DIST_BIMODAL)
        return 0; /* no draw, as the model always did for a zero mean */
    switch (d->kind) {
    case DIST_CONST:
    case DIST_NKINDS:
        return (int64_t)m; /* truncated, as the model always did */
    case DIST_EXP:
        v = -m * log(1.0 - rng_uniform(r));
        break;
    case DIST_BIMODAL:
        v = rng_uniform(r) < d->slow_fraction ? d->slow_ns : m;
        break;
    case DIST_LOGNORMAL:
        /* E[e^X] = e^(mu + sigma^2/2) for X ~ N(mu, sigma^2): pick mu so
         * that the mean is the scenario's service_us. */
        v = exp(log(m) - d->sigma * d->sigma / 2 + d->sigma * normal(r));
        break;
    case DIST_PARETO: {
        /* Scale x_m so that the mean alpha x_m / (alpha - 1) is m; then
         * x_m / U^(1/alpha) has P(S > x) = (x_m / x)^alpha. */
        double xm = m * (d->alpha - 1) / d->alpha;
        v = xm / pow(1.0 - rng_uniform(r), 1.0 / d->alpha);
        break;
    }
    }
    /* A Pareto sample can exceed any int64; a day is long enough. */
    return v > 8.64e13 ? (int64_t)8.64e13 : (int64_t)llround(v);
}
//! [dist sample]

double dist_mean_ns(const struct dist *d)
{
    if (d->kind == DIST_BIMODAL)
        return (1 - d->slow_fraction) * d->mean_ns +
               d->slow_fraction * d->slow_ns;
    return d->mean_ns;
}

//! [dist moment2]
double dist_moment2_ns2(const struct dist *d)
{
    double m = d->mean_ns;
    switch (d->kind) {
    case DIST_EXP:
        return 2 * m * m;
    case DIST_BIMODAL:
        return (1 - d->slow_fraction) * m * m +
               d->slow_fraction * d->slow_ns * d->slow_ns;
    case DIST_LOGNORMAL:
        return m * m * exp(d->sigma * d->sigma);
    case DIST_PARETO: {
        if (d->alpha <= 2)
            return INFINITY;
        double xm = m * (d->alpha - 1) / d->alpha;
        return d->alpha * xm * xm / (d->alpha - 2);
    }
    case DIST_CONST:
    case DIST_NKINDS:
        break;
    }
    return m * m;
}
//! [dist moment2]
