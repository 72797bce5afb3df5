/* The report of a replayed trace or a live stream: apart from report.c so
 * that what links the model alone (exercise 09) need not link tally.c. */
#include "simulator/model/report.h"

void report_trace(FILE *out, bool json, const char *path,
                  const struct trace *tr, const struct tally *t, double wall_s)
{
    double span =
        t->first_ns >= 0 ? (double)(t->last_ns - t->first_ns) / 1e9 : 0;
    double p50 = hist_quantile(&t->latency, 0.5) / 1e3;
    double p99 = hist_quantile(&t->latency, 0.99) / 1e3;
    if (json) {
        fprintf(out,
                "{\"replay\":\"%s\",\"arch\":\"%s\",\"threads\":%d,"
                "\"cores\":%d,\"connections\":%llu,\"requests\":%llu,"
                "\"handoffs\":%llu,\"closes\":%llu,\"wakes\":%llu,"
                "\"dropped\":%llu,\"throughput_rps\":%.3f,"
                "\"latency_us\":{\"mean\":%.3f,\"p50\":%.3f,\"p99\":%.3f},"
                "\"per_thread\":[",
                path, tr->arch, tr->threads, tr->cores,
                (unsigned long long)tally_count(t, FD_ACCEPT),
                (unsigned long long)tally_count(t, FD_REQUEST),
                (unsigned long long)tally_count(t, FD_HANDOFF),
                (unsigned long long)tally_count(t, FD_CLOSE),
                (unsigned long long)t->wakes, (unsigned long long)t->drops,
                tally_rps(t), hist_mean(&t->latency) / 1e3, p50, p99);
        for (int i = 0; i < t->threads; i++)
            fprintf(out, "%s{\"busy\":%.4f,\"ready_mean\":%.4f}", i ? "," : "",
                    tally_busy(t, i), tally_queue(t, i));
        fprintf(out, "],\"lost\":{");
        for (int k = 0; k < FD_NKINDS; k++)
            fprintf(out, "%s\"%s\":%llu", k ? "," : "", fd_kind_name(k),
                    (unsigned long long)t->lost[k]);
        fprintf(out, "}");
        fprintf(out, ",\"events\":%llu,\"sim_time_s\":%.6f,\"wall_s\":%.3f}\n",
                (unsigned long long)t->events, span, wall_s);
        return;
    }
    fprintf(out,
            "replay       %s (arch %s, %d threads, %d cores)\n"
            "connections  %llu accepted, %llu handed off, %llu closed\n"
            "requests     %llu in %.3f s of server time: %.0f req/s\n"
            "latency      ready to send: mean %.1f us, p50 %.1f us, "
            "p99 %.1f us\n"
            "wake-ups     %llu; %llu events",
            path, tr->arch, tr->threads, tr->cores,
            (unsigned long long)tally_count(t, FD_ACCEPT),
            (unsigned long long)tally_count(t, FD_HANDOFF),
            (unsigned long long)tally_count(t, FD_CLOSE),
            (unsigned long long)tally_count(t, FD_REQUEST), span, tally_rps(t),
            hist_mean(&t->latency) / 1e3, p50, p99,
            (unsigned long long)t->wakes, (unsigned long long)t->events);
    if (t->drops)
        fprintf(out, "; %llu lost on the way (counted back in)",
                (unsigned long long)t->drops);
    fprintf(out, "\n");
    for (int i = 0; i < t->threads; i++)
        fprintf(out,
                "thread %-5d %5.1f%% busy, %.2f fds in its ready list on "
                "average\n",
                i, 100 * tally_busy(t, i), tally_queue(t, i));
}
