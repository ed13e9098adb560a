/* bench/subscribers: N WebSocket subscribers of one Chats::RoomChannel, each
 * checking that it receives every broadcast exactly once.
 *
 * Connecting: at most --connect-concurrency handshakes in flight (so the
 * listen backlog never overflows), each a hand-rolled RFC 6455 client: a
 * fixed upgrade request, the 101 found by its "\r\n\r\n" and checked for the
 * expected Sec-WebSocket-Accept, then server frames parsed with ws/frame.
 * After the welcome each subscribes to --room and waits for the
 * confirmation; a refusal fails the run.
 *
 * Receiving: every data frame gives latency = now - t (t is the publisher's
 * CLOCK_MONOTONIC send time in the payload; CLOCK_MONOTONIC is machine-wide,
 * so the publisher may be another process) into the latency histogram of
 * the round 'seq' belongs to, and sets bit 'seq' in the subscriber's bitmap;
 * a bit already set is a duplicate. The bitmap spans every round, so a
 * broadcast of one round delivered again during another still counts as a
 * duplicate. Nothing is allocated per message: libuv reads into one
 * loop-wide buffer, frames are parsed in place, and only a frame split
 * across reads is copied into the subscriber's carry buffer, which keeps its
 * storage. */
#ifndef BENCH_SUBSCRIBERS_H
#define BENCH_SUBSCRIBERS_H

#include "core/clock.h"
#include "fanout.h"
#include "hist.h"

#include <stdint.h>

/* The deliveries of one round's sequence numbers. */
typedef struct subs_round {
    uint64_t delivered;      /* distinct (subscriber, seq) pairs */
    uint64_t dups;           /* deliveries of a seq the subscriber already had */
    mono_us_t first_t;       /* smallest publish time a delivery carried: the publish start */
    mono_us_t last_delivery; /* receipt time of the latest delivery */
    hist_t latency;          /* publish to receipt, µs */
} subs_round_t;

typedef struct subs_stats {
    uint32_t ready;   /* subscribers confirmed */
    uint32_t dropped; /* subscribers the server closed after confirming */
    uint64_t bad;     /* data frames without a readable t and an expected seq */
    subs_round_t rounds[FANOUT_ROUNDS_MAX];
} subs_stats_t;

extern subs_stats_t subs_stats;

/* Allocate the subscribers and build the requests from fanout_opt. Returns
 * 0, or -1 when out of memory. */
int subs_init(void);

/* Start connecting. fanout_on_ready runs once every subscriber is
 * confirmed; fanout_on_first_delivery at the first data frame of each
 * round; fanout_on_round_delivered once every subscriber has every
 * broadcast of a round. */
void subs_start(void);

/* Subscribers missing at least one broadcast of round 'round'. */
uint32_t subs_short(uint32_t round);

/* Deliveries of round 'round' never received: subscribers x its broadcasts,
 * minus those delivered. */
uint64_t subs_lost(uint32_t round);

/* Free what subs_init allocated, after the loop has closed every handle. */
void subs_deinit(void);

#endif
