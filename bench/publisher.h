/* bench/publisher: M broadcasts to chat-room-<room>-channel over one
 * keep-alive HTTP connection to POST /api/v1/broadcast.
 *
 * Each broadcast's data is {"t": <CLOCK_MONOTONIC µs at send>, "seq": k}
 * (plus "pad": "xxx…" with --payload-bytes), k counting from --first-seq. With --rate, requests
 * leave on a fixed schedule and up to --pipeline may be in flight, so a slow 202 does not delay the
 * next send; with --rate 0 the next request leaves as soon as a 202 frees a slot of the pipeline.
 * Responses come back in request order (HTTP/1.1), which times each one from its send to its
 * answer. */
#ifndef BENCH_PUBLISHER_H
#define BENCH_PUBLISHER_H

#include "core/clock.h"

#include <stdint.h>

typedef struct pub_stats {
    uint32_t sent;       /* requests written */
    uint32_t acked;      /* responses read, whatever their status */
    uint32_t refused;    /* responses other than 202 */
    uint64_t ack_sum_us; /* send to response, summed over every request */
    uint64_t ack_max_us;
    mono_us_t start;    /* the publisher connection is up, the first send follows */
    mono_us_t last_ack; /* the latest response arrived */
} pub_stats_t;

extern pub_stats_t pub_stats;

/* Allocate the request slots from fanout_opt. Returns 0, or -1 when out of
 * memory. */
int pub_init(void);

/* Open the publisher connection (a fresh one, so an idle keep-alive
 * connection cannot have been dropped meanwhile) and publish.
 * fanout_on_publish_start runs when connected, fanout_on_published once
 * every broadcast is answered; a lost connection fails the run. */
void pub_start(void);

/* Free what pub_init allocated, after the loop has closed every handle. */
void pub_deinit(void);

#endif
