/* bench/hist: a log-linear latency histogram that never allocates.
 *
 * Values below 2048 have a bucket each; above, every power of two is cut
 * into 1024 buckets, so a reported quantile is within 0.1% of the truth.
 * Histograms of several processes merge exactly: bench_fanout writes the
 * non-empty buckets of its histogram into its report file and the merge adds
 * them bucket by bucket (hist_add), so percentiles across generators come
 * from the union of their samples, not from averaging percentiles. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS  10
#define HIST_LINEAR    (2u << HIST_SUB_BITS)
#define HIST_MAX_SHIFT 30 /* values up to 2^41, far beyond any timeout in µs */
#define HIST_BUCKETS   (HIST_LINEAR + HIST_MAX_SHIFT * (1u << HIST_SUB_BITS))

typedef struct hist {
    uint64_t buckets[HIST_BUCKETS];
    uint64_t count; /* samples */
    uint64_t sum;   /* of every sample, for the mean */
    uint64_t max;   /* largest sample, exact */
} hist_t;

/* Record one sample. */
void hist_record(hist_t *h, uint64_t v);

/* The value at quantile 'q' (0..1), or 0 with no samples. */
uint64_t hist_quantile(const hist_t *h, double q);

/* The mean of the samples, or 0 with none. */
double hist_mean(const hist_t *h);

/* Write one line "hist INDEX COUNT" per non-empty bucket to 'f'. */
void hist_write(const hist_t *h, FILE *f);

/* Add 'count' samples to bucket 'index', as read back from hist_write's
 * lines. The caller adds the sum and max it saved separately. Returns 0, or
 * -1 if 'index' is out of range. */
int hist_add(hist_t *h, size_t index, uint64_t count);

#endif
