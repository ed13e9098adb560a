/* bench/publisher: broadcasts on a schedule, over one connection.
 *
 * Broadcast k of a round carries {"t": T_k, "seq": k}, where T_k is the time
 * it was *scheduled* for: the round's start + (k - first) / rate, on
 * CLOCK_MONOTONIC. Subscribers measure latency from T_k, so when the
 * publisher (or the server's acknowledgements) fall behind the schedule,
 * the delay is charged to the deliveries rather than silently dropped from
 * the measurement (coordinated omission). With --rate 0 there is no
 * schedule: each broadcast leaves as soon as the pipeline allows and T_k is
 * its send time.
 *
 * At every tick of the schedule, every broadcast that is due leaves at once,
 * in one write, without waiting for an acknowledgement:
 *
 *   http   POST --publish-path with a JSON array of up to --batch
 *          {"stream":…,"data":…} items (cabled's POST /api/v1/broadcast, or
 *          the same endpoint of a peer), keep-alive, up to --pipeline
 *          requests in flight; each 2xx acknowledges its items
 *   ws     one text frame per broadcast on a WebSocket to --publish-path,
 *          holding the exact frame the subscribers should receive; the
 *          server publishes it as it is; there is no acknowledgement
 *   chat   POST a chat message ({"chat_room_message":{"body":"bench_t=…
 *          bench_seq=…"}}) per broadcast through cabled's REST API with the
 *          member's token, pipelined like http
 *
 * HTTP/1.1 answers in request order, which times each request from its send
 * to its answer. */
#ifndef BENCH_PUBLISHER_H
#define BENCH_PUBLISHER_H

#include "core/clock.h"

#include <stdint.h>

typedef struct pub_stats {
    uint32_t sent;       /* broadcasts written */
    uint32_t requests;   /* HTTP requests written */
    uint32_t acked;      /* broadcasts answered, whatever the status (ws: written) */
    uint32_t refused;    /* broadcasts answered with something other than 2xx */
    uint32_t reconnects; /* http: new connections after the server closed one */
    uint64_t ack_sum_us; /* send to response, summed over every request */
    uint64_t ack_max_us;
    uint64_t late_max_us; /* most a broadcast left after its scheduled time */
    mono_us_t start;      /* the first round's first send */
    mono_us_t last_ack;   /* the latest response arrived (ws: the last write) */
} pub_stats_t;

extern pub_stats_t pub_stats;

/* Allocate from fanout_opt. Returns 0, or -1 when out of memory. */
int pub_init(void);

/* Open the publisher connection (a fresh one, so an idle keep-alive
 * connection cannot have been dropped meanwhile) and publish round 0.
 * fanout_on_publish_start runs when connected, fanout_on_published once
 * the round is sent and answered; a lost connection fails the run. */
void pub_start(void);

/* Publish round 'round' (of a ramp) on the open connection, starting now. */
void pub_start_round(uint32_t round);

/* Close the connection. */
void pub_close(void);

/* Free what pub_init allocated. */
void pub_deinit(void);

#endif
