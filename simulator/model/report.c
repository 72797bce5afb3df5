#include "simulator/model/report.h"

#include <math.h>

double report_ci95(double sd, int n)
{
    /* Student's t at 97.5% for n-1 degrees of freedom. */
    static const double t[] = {0,     12.71, 4.303, 3.182, 2.776, 2.571, 2.447,
                               2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
                               2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086};
    if (n < 2)
        return 0;
    double tv = n - 1 < (int)(sizeof t / sizeof t[0]) ? t[n - 1] : 1.96;
    return tv * sd / sqrt((double)n);
}

static double core_util(const struct sim *s, const struct report_ci *ci, int c)
{
    return ci && ci->util ? ci->util[c] : sim_core_util(s, c);
}

static double core_queue(const struct sim *s, const struct report_ci *ci, int c)
{
    return ci && ci->queue ? ci->queue[c] : sim_core_queue(s, c);
}

void report_sim(FILE *out, bool json, const struct sim *s,
                const struct sim_report *r, const struct report_ci *ci,
                double wall_s)
{
    const struct scenario *sc = &s->sc;
    bool reps = ci && ci->replications > 1;
    /* s is the last run: with replications its seed ends the range. */
    unsigned long long last = (unsigned long long)sc->seed;
    unsigned long long first =
        reps ? last - (unsigned long long)(ci->replications - 1) : last;
    if (json) {
        fprintf(
            out,
            "{\"scenario\":\"%s\",\"arch\":\"%s\",\"cores\":%d,"
            "\"seed\":%llu,\"throughput_rps\":%.3f,"
            "\"latency_us\":{\"mean\":%.3f,\"p50\":%.3f,\"p99\":%.3f},"
            "\"completed\":%llu,\"handoffs\":%llu,\"cache_misses\":%llu,"
            "\"accepted\":%llu,\"wasted_wakes\":%llu,"
            "\"mean_in_system\":%.4f,\"mean_waiting\":%.4f,"
            "\"mean_serving\":%.4f,\"dropped\":%llu,\"per_core\":[",
            sc->name, sim_arch_name(sc->arch), sc->cores, first,
            r->throughput_rps, r->mean_us, r->p50_us, r->p99_us,
            (unsigned long long)r->completed, (unsigned long long)r->handoffs,
            (unsigned long long)r->cache_misses,
            (unsigned long long)r->accepted,
            (unsigned long long)r->wasted_wakes, r->mean_in_system,
            r->mean_waiting, r->mean_serving, (unsigned long long)r->dropped);
        for (int c = 0; c < sc->cores; c++)
            fprintf(out, "%s{\"util\":%.4f,\"queue_mean\":%.4f}", c ? "," : "",
                    core_util(s, ci, c), core_queue(s, ci, c));
        fprintf(out,
                "],\"shared_queue_mean\":%.4f,\"offered_rps\":%.3f,"
                "\"overload\":%s,\"events\":%llu,"
                "\"sim_time_s\":%.3f,\"warmup_s\":%.3f,\"wall_s\":%.3f",
                sim_shared_queue(s), r->offered_rps,
                sim_overloaded(r) ? "true" : "false",
                (unsigned long long)r->events, r->sim_time_s,
                (double)sc->warmup_ns / 1e9, wall_s);
        if (ci && ci->replications > 1)
            fprintf(out,
                    ",\"replications\":%d,\"ci95\":{\"throughput_rps\":%.3f,"
                    "\"mean_us\":%.3f,\"p99_us\":%.3f}",
                    ci->replications, ci->rps_ci, ci->mean_us_ci,
                    ci->p99_us_ci);
        fprintf(out, "}\n");
        return;
    }
    if (reps)
        fprintf(out, "scenario     %s (arch %s, %d cores, seeds %llu-%llu)\n",
                sc->name, sim_arch_name(sc->arch), sc->cores, first, last);
    else
        fprintf(out, "scenario     %s (arch %s, %d cores, seed %llu)\n",
                sc->name, sim_arch_name(sc->arch), sc->cores, last);
    /* Every figure below but the events is over this window alone. */
    fprintf(out,
            "measured     %.3f s of simulated time, after a %.3f s "
            "warm-up\n",
            (double)(sc->duration_ns - sc->warmup_ns) / 1e9,
            (double)sc->warmup_ns / 1e9);
    fprintf(out, "throughput   %.0f req/s", r->throughput_rps);
    if (reps)
        fprintf(out, " +- %.0f (95%%, %d runs)", ci->rps_ci, ci->replications);
    if (r->completed == 0) {
        /* No sample: a mean or percentile of 0 us would be a figure. */
        fprintf(out, "\nlatency      none: no request was answered after "
                     "the warm-up");
    } else {
        fprintf(out, "\nlatency      mean %.1f us", r->mean_us);
        if (reps)
            fprintf(out, " +- %.1f", ci->mean_us_ci);
        fprintf(out, ", p50 %.1f us, p99 %.1f us", r->p50_us, r->p99_us);
        if (reps)
            fprintf(out, " +- %.1f", ci->p99_us_ci);
        fprintf(out, " (request sent to answered)");
    }
    /* Counts add up over the runs; rates and means are per run. */
    fprintf(out,
            "\nrequests     %llu answered%s, %.2f in the system on average "
            "(%.2f waiting, %.2f on a core)\n"
            "hand-offs    %llu, cache penalties %llu\n",
            (unsigned long long)r->completed, reps ? " in all runs" : "",
            r->mean_in_system, r->mean_waiting, r->mean_serving,
            (unsigned long long)r->handoffs,
            (unsigned long long)r->cache_misses);
    if (sim_overloaded(r))
        fprintf(out,
                "OVERLOAD     %.0f req/s offered, %.0f answered: %lld left "
                "waiting at the end;\n"
                "             no steady state - latency grows with the run\n",
                r->offered_rps, r->throughput_rps, (long long)r->in_system_end);
    if (r->dropped)
        fprintf(out,
                "DROPPED      %llu arrivals: the model holds at most %d "
                "connections at once\n",
                (unsigned long long)r->dropped, SIM_MAX_CONNS);
    if (sc->arch == SIM_POOL) /* the pool's queue is no core's */
        fprintf(out, "shared queue %.2f jobs waiting on average (pool)\n",
                sim_shared_queue(s));
    for (int c = 0; c < sc->cores; c++)
        fprintf(out,
                "core %-7d %5.1f%% busy, %.2f jobs queued on average "
                "(accepts, requests, closes)\n",
                c, 100 * core_util(s, ci, c), core_queue(s, ci, c));
    fprintf(out, "events       %llu in %.3f s of wall time (%.1f M/s)\n",
            (unsigned long long)r->events, wall_s,
            wall_s > 0 ? (double)r->events / wall_s / 1e6 : 0);
}
