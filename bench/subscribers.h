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
 * so the publisher may be another process) into the latency histogram, and
 * sets bit 'seq' in the subscriber's bitmap; a bit already set is a
 * duplicate. Nothing is allocated per message: libuv reads into one
 * loop-wide buffer, frames are parsed in place, and only a frame split
 * across reads is copied into the subscriber's carry buffer, which keeps its
 * storage. */
#ifndef BENCH_SUBSCRIBERS_H
#define BENCH_SUBSCRIBERS_H

#include "core/clock.h"
#include "hist.h"

#include <stdint.h>

typedef struct subs_stats {
    uint32_t ready;          /* subscribers confirmed */
    uint32_t dropped;        /* subscribers the server closed after confirming */
    uint64_t delivered;      /* distinct (subscriber, seq) pairs */
    uint64_t dups;           /* deliveries of a seq the subscriber already had */
    uint64_t bad;            /* data frames without a readable t and seq */
    mono_us_t first_t;       /* smallest publish time a delivery carried: the publish start */
    mono_us_t last_delivery; /* receipt time of the latest delivery */
    hist_t latency;          /* publish to receipt, µs */
} subs_stats_t;

extern subs_stats_t subs_stats;

/* Allocate the subscribers and build the requests from fanout_opt. Returns
 * 0, or -1 when out of memory. */
int subs_init(void);

/* Start connecting. fanout_on_ready runs once every subscriber is
 * confirmed; fanout_on_first_delivery at the first data frame;
 * fanout_on_all_delivered once every subscriber has every broadcast. */
void subs_start(void);

/* Subscribers missing at least one broadcast. */
uint32_t subs_short(void);

/* Free what subs_init allocated, after the loop has closed every handle. */
void subs_deinit(void);

#endif
