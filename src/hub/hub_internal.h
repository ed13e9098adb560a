/* hub/hub_internal.h: what the files of the hub share: the hub itself, the
 * process-wide stream table, the broadcast in flight, and the per-loop
 * entry points. Included by the files of src/hub/ only (and unit tests). */
#ifndef HUB_HUB_INTERNAL_H
#define HUB_HUB_INTERNAL_H

#include "hub/hub.h"

#include <pthread.h>
#include <stdatomic.h>
#include <uthash.h>

/* Loops are named by a bit in a 64-bit mask. */
#define HUB_MAX_LOOPS 64
/* Room access versions: one counter per slot, rooms share slots by id. A
 * shared slot only causes an extra check, never a missed one. */
#define HUB_ACCESS_SLOTS 256

/* A stream with subscribers on this node, in the process-wide table. */
struct hub__stream {
    char *name;
    size_t len;
    uint64_t loops;            /* bit i: loop i has subscribers */
    uint64_t gen;              /* this subscription of the node, not an earlier one */
    int ready;                 /* the adapter delivers it */
    UT_hash_handle hh;
};

struct hub__loop;

struct hub {
    const hub_output_t *out;
    pubsub_t *ps;
    unsigned nloops;
    struct hub__loop *loops[HUB_MAX_LOOPS]; /* each set and used by its own thread */
    pthread_mutex_t lock;      /* guards 'streams' and 'next_gen'; never held across I/O */
    struct hub__stream *streams;
    uint64_t next_gen;
    atomic_int link_up;
    atomic_int stopped;        /* hub_stop: the adapter's events are ignored */
    atomic_int active;         /* adapter events being handled right now */
    _Atomic uint64_t access[HUB_ACCESS_SLOTS];
};

/* Frame variants of one identifier: the plain data frame, the presence
 * frame, and the positioned frame of stream i (HUB_VARIANT_STREAM + i). */
enum { HUB_VARIANT_PLAIN = 0, HUB_VARIANT_PRESENCE = 1, HUB_VARIANT_STREAM = 2 };

/* A message on its way to the loops that have subscribers of its streams:
 * one allocation, with one post per loop inside. */
struct hub__broadcast {
    atomic_uint refs;          /* the deliverer's, plus one per loop posted to */
    hub_t *hub;
    uint64_t received_us;      /* clock_mono_us() when the hub took it: delivery latency */
    payload_t *message;        /* JSON text */
    enum pubsub_kind kind;
    pubsub_pos_t *pos;         /* one per stream, after the posts; NULL when none */
    char exclude[32];          /* WHISPER: the sender's session id */
    pubsub_names_t streams;    /* points into 'names' below */
    char *names;               /* the stream names, after the posts (and positions) */
    net_post_t posts[];        /* one per loop, indexed by loop->index */
};

/* ---- in hub.c: the stream table (any thread) ---- */

/* Loop 'index' has its first subscriber of 'name'. Subscribes the node when
 * it is the first loop. Returns 1 when the stream is ready, 0 when it waits
 * for the adapter; *gen identifies this subscription of the node. */
int hub__table_join(hub_t *h, unsigned index, const char *name, size_t len, uint64_t *gen);
/* Loop 'index' lost its last subscriber of 'name'. */
void hub__table_leave(hub_t *h, unsigned index, const char *name, size_t len);
/* Drop one reference to a broadcast; frees it on the last. */
void hub__broadcast_unref(struct hub__broadcast *b);

/* ---- in index.c: work posted to a loop (loop thread) ---- */

/* Fan broadcast 'post' out to this loop's subscribers, then drop the
 * loop's reference. */
void hub__deliver_on_loop(net_loop_t *loop, net_post_t *post);
/* Stream 'name' of subscription 'gen' is ready: its waiting subscribers
 * become active. */
void hub__ready_on_loop(hub_t *h, net_loop_t *loop, const char *name, uint64_t gen);
/* The adapter is down: every waiting subscriber becomes active now (the
 * adapter restores the streams when it is back). */
void hub__release_on_loop(hub_t *h, net_loop_t *loop);
/* Drop the room stream from the subscriptions of 'member_id' (0: all). */
void hub__drop_on_loop(hub_t *h, net_loop_t *loop, long long room_id, long long member_id);

#endif
