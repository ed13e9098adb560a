/* bench/hist: log-linear latency histogram. See hist.h. */
#include "hist.h"

#include <inttypes.h>

static size_t hist_index(uint64_t v)
{
    if (v < HIST_LINEAR) return (size_t)v;
    unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
    if (shift > HIST_MAX_SHIFT) return HIST_BUCKETS - 1;
    return HIST_LINEAR + (shift - 1) * (1u << HIST_SUB_BITS) +
           (size_t)((v >> shift) - (1u << HIST_SUB_BITS));
}

/* The lowest value that lands in bucket 'i'. */
static uint64_t hist_value(size_t i)
{
    if (i < HIST_LINEAR) return i;
    size_t k = i - HIST_LINEAR;
    unsigned shift = (unsigned)(k >> HIST_SUB_BITS) + 1;
    return ((uint64_t)(k & ((1u << HIST_SUB_BITS) - 1)) + (1u << HIST_SUB_BITS)) << shift;
}

void hist_record(hist_t *h, uint64_t v)
{
    h->buckets[hist_index(v)]++;
    h->count++;
    h->sum += v;
    if (v > h->max) h->max = v;
}

uint64_t hist_quantile(const hist_t *h, double q)
{
    if (!h->count) return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) return hist_value(i) < h->max ? hist_value(i) : h->max;
    }
    return h->max;
}

double hist_mean(const hist_t *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0;
}

void hist_write(const hist_t *h, FILE *f)
{
    for (size_t i = 0; i < HIST_BUCKETS; i++)
        if (h->buckets[i]) fprintf(f, "hist %zu %" PRIu64 "\n", i, h->buckets[i]);
}

int hist_add(hist_t *h, size_t index, uint64_t count)
{
    if (index >= HIST_BUCKETS) return -1;
    h->buckets[index] += count;
    h->count += count;
    return 0;
}
