/* bench/subscribers: N WebSocket subscribers of one stream, each checking
 * that it receives every broadcast exactly once.
 *
 * Connecting: at most --connect-concurrency handshakes in flight (so the
 * listen backlog never overflows), spread over --sources loopback source
 * addresses (wsc.h). Each sends the upgrade, checks the 101, then speaks
 * the protocol of --protocol: with Action Cable it waits for the welcome,
 * sends the subscribe command and waits for confirm_subscription; with the
 * plain protocol of the peer servers (bench/peers/) it sends the same
 * subscribe command right after the upgrade and waits for the same
 * confirmation. A refusal fails the run.
 *
 * Receiving: every data frame gives latency = now - t, where t is the
 * time the publisher *scheduled* the broadcast for (CLOCK_MONOTONIC µs, in
 * the payload). A publisher that falls behind its schedule therefore shows
 * up in the latency instead of hiding it (coordinated omission). The
 * latency goes into the histogram of the round 'seq' belongs to, and bit
 * 'seq' is set in the subscriber's bitmap; a bit already set is a duplicate.
 * The bitmap spans every round, so a broadcast delivered again during
 * another round still counts. Nothing is allocated per message: one
 * loop-wide read buffer, frames parsed in place, and only a frame split
 * across reads is copied into the subscriber's carry buffer.
 *
 * Stalled subscribers (--stalled K, the last K): they subscribe like the
 * others with a small receive buffer, then stop reading. Their deliveries
 * are not expected. Once the others have everything, they read again and
 * drop what they get until the server's end of the connection or a
 * deadline: a server that closed a slow client has its close (and FIN)
 * waiting behind the bytes it had already sent, so only reading shows it. */
#ifndef BENCH_SUBSCRIBERS_H
#define BENCH_SUBSCRIBERS_H

#include "core/clock.h"
#include "fanout.h"
#include "hist.h"

#include <stdint.h>

/* The deliveries of one round's sequence numbers. */
typedef struct subs_round {
    uint64_t delivered;       /* distinct (subscriber, seq) pairs */
    uint64_t dups;            /* deliveries of a seq the subscriber already had */
    mono_us_t first_t;        /* smallest scheduled time a delivery carried */
    mono_us_t first_delivery; /* receipt time of the earliest delivery */
    mono_us_t last_delivery;  /* receipt time of the latest delivery */
    hist_t latency;           /* scheduled send to receipt, µs */
} subs_round_t;

typedef struct subs_stats {
    uint32_t ready;          /* subscribers confirmed */
    uint32_t dropped;        /* reading subscribers the server closed after confirming */
    uint32_t stalled_closed; /* stalled subscribers the server closed */
    uint64_t stalled_bytes;  /* bytes the stalled subscribers read when draining */
    uint64_t bad;            /* data frames without a readable t and an expected seq */
    uint64_t other;          /* chat publisher: room events that are not our messages */
    uint64_t pings;          /* {"type":"ping"} messages received */
    uint64_t reads;          /* read() calls that returned bytes */
    uint64_t data_frames;    /* broadcast deliveries counted, and */
    uint64_t data_bytes;     /* ... their frames' bytes on the wire (header included) */
    uint64_t compressed;     /* ... how many of them came compressed (RSV1) */
    subs_round_t rounds[FANOUT_ROUNDS_MAX];
} subs_stats_t;

extern subs_stats_t subs_stats;

/* Allocate the subscribers and build the requests from fanout_opt. Returns
 * 0, or -1 when out of memory. */
int subs_init(void);

/* Start connecting. fanout_on_ready runs once every subscriber is
 * confirmed; fanout_on_first_delivery at the first data frame of each
 * round; fanout_on_round_delivered once every reading subscriber has every
 * broadcast of a round. */
void subs_start(void);

/* Stop reading on the stalled subscribers (once every subscriber is ready). */
void subs_stall(void);

/* Broadcast 'seq': the time it was scheduled for (as its deliveries carry
 * it; 0 before any), and the mean latency of its deliveries in µs (-1
 * before any). */
mono_us_t subs_seq_scheduled(uint32_t seq);
double subs_seq_mean_latency(uint32_t seq);

/* Make the stalled subscribers read again, dropping what they read, until
 * the server closes them; fanout_on_stalled_drained runs when the last one
 * is closed. Returns how many there are (0: the hook will not run). */
uint32_t subs_drain_stalled(void);

/* Reading subscribers (all but the stalled). */
uint32_t subs_reading(void);

/* Reading subscribers missing at least one broadcast of round 'round'. */
uint32_t subs_short(uint32_t round);

/* Deliveries of round 'round' never received: reading subscribers x its
 * broadcasts, minus those delivered. */
uint64_t subs_lost(uint32_t round);

/* Close every connection with a reset (no TIME_WAIT left behind). */
void subs_close_all(void);

/* Free what subs_init allocated. */
void subs_deinit(void);

#endif
