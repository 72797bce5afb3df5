#include "simulator/model/hist.h"

#include <math.h>

/* Bucket 0 holds the zeros (a request that cost nothing: every cost and
 * the service time set to 0); bucket i > 0 holds [1.01^(i-1), 1.01^i). */
void hist_add(struct hist *h, int64_t ns)
{
    int i = ns <= 0 ? 0 : 1 + (int)(log((double)ns) / log(1.01));
    if (i >= HIST_BUCKETS)
        i = HIST_BUCKETS - 1;
    h->bucket[i]++;
    h->count++;
    h->sum += (double)ns;
}

double hist_mean(const struct hist *h)
{
    return h->count ? h->sum / (double)h->count : 0;
}

double hist_quantile(const struct hist *h, double p)
{
    if (!h->count)
        return 0;
    uint64_t want = (uint64_t)ceil(p * (double)h->count), seen = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= want && h->bucket[i])
            return i == 0 ? 0 : pow(1.01, i - 0.5); /* the bucket's middle */
    }
    return pow(1.01, HIST_BUCKETS - 1);
}
