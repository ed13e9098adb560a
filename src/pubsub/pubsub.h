/* pubsub/pubsub.h: the publish/subscribe interface between this node and
 * the others.
 *
 * A message (JSON text) is published on one or more streams. Every node
 * subscribed to one of those streams, this one included, gets it back
 * through the 'deliver' event and fans it out to its own subscribers. The
 * adapter decides how messages travel: 'local' delivers in-process at once;
 * 'redis' goes through Redis PUBLISH / SUBSCRIBE in the wire format of
 * Action Cable's Redis adapter, so a node only receives the streams it
 * asked for, once per node.
 *
 *   hub ──publish(streams, message, done)──► adapter ──► every node
 *   hub ◄──deliver(streams, message)──────── adapter
 *   hub ──subscribe(stream)──► adapter ──ready(stream)──► hub
 *
 * The hub (src/hub/) is the only user: it calls subscribe when this node
 * gains its first subscriber of a stream and unsubscribe after the last,
 * and waits for 'ready' before confirming a subscription, so nothing
 * published after a confirmation can be missed.
 *
 * Every message has a kind (pubsub_meta_t). An ordinary broadcast is kept
 * in each of its streams' history and gets a position there (an epoch and
 * an offset, the same on every node): the local adapter asks the in-memory
 * history (pubsub_history_t) under its lock, so positions and deliveries
 * keep one order; the redis adapter has Redis assign them, atomically with
 * the PUBLISH (redis.h). Whispers and presence events are transient: never
 * kept, no position, only for clients of the extended protocol.
 *
 * Adapters embed 'pubsub_t' first and are created only by main.c. */
#ifndef PUBSUB_PUBSUB_H
#define PUBSUB_PUBSUB_H

#include "core/payload.h"

#include <stddef.h>
#include <stdint.h>

typedef struct pubsub pubsub_t;

/* A list of stream names: 'count' names, each followed by a NUL, back to
 * back in 'data' ('len' bytes in all). Borrowed by every call that takes
 * one. */
typedef struct pubsub_names {
    const char *data;
    size_t len;
    size_t count;
} pubsub_names_t;

/* Bytes of an epoch, its NUL included: a short random name for one
 * lifetime of a stream's history. */
#define PUBSUB_EPOCH_MAX 16

enum pubsub_kind {
    PUBSUB_BROADCAST = 0, /* kept in each stream's history, with a position */
    PUBSUB_TRANSIENT,     /* as it came: not kept, no position (another application's PUBLISH) */
    PUBSUB_WHISPER,       /* extended clients only, never the sender's connection; not kept */
    PUBSUB_PRESENCE,      /* a presence event (join, leave), extended clients only; not kept */
};

/* Where a kept message stands in one stream's history. */
typedef struct pubsub_pos {
    uint64_t offset;            /* from 1, one more per kept message; 0: not kept */
    int64_t time;               /* unix seconds when it was kept */
    char epoch[PUBSUB_EPOCH_MAX];
} pubsub_pos_t;

/* What travels with a message besides its streams. Borrowed by every call
 * that takes one. */
typedef struct pubsub_meta {
    enum pubsub_kind kind;
    const pubsub_pos_t *pos;    /* deliver, BROADCAST: one per stream, in the list's order;
                                   NULL when no history is kept (publish: always NULL) */
    const char *exclude;        /* WHISPER: the session id of the sender's connection */
} pubsub_meta_t;

/* The in-memory history the local adapter keeps broadcasts in. 'keep' runs
 * under the adapter's lock, so offsets are given out in delivery order: it
 * keeps 'message' (takes a reference) in the history of each of 'streams'
 * and writes each one's position to out[i]. */
typedef struct pubsub_history {
    void (*keep)(void *ud, const pubsub_names_t *streams, payload_t *message, pubsub_pos_t *out);
    void *ud;
} pubsub_history_t;


/* Completion of a publish, embedded in the caller's object. 'cb' runs
 * exactly once, on any thread: status 0 once every node can see the
 * message (local: before publish returns; redis: when Redis has answered
 * every PUBLISH), ERR_AGAIN when the message waits in the adapter's queue
 * for the connection to return, or another error when it was dropped. */
typedef struct pubsub_done {
    void (*cb)(struct pubsub_done *done, int status);
} pubsub_done_t;

/* What the adapter tells the hub. Any thread; 'ud' is the adapter's. */
typedef struct pubsub_events {
    /* A message for 'streams' (borrowed; take a reference to 'message' to
     * keep it), of the kind 'meta' says (borrowed). */
    void (*deliver)(void *ud, const pubsub_names_t *streams, payload_t *message,
                    const pubsub_meta_t *meta);
    /* 'stream' (borrowed) is subscribed: what is published from now on
     * arrives. Called once per subscribe that returned ERR_AGAIN, unless
     * the stream was unsubscribed meanwhile or the adapter went down. */
    void (*ready)(void *ud, const char *stream, size_t len);
    /* The adapter lost (up = 0) or regained (up = 1) its connection. While
     * down, no 'ready' comes; once up again, every subscribed stream is
     * restored by the adapter itself. */
    void (*link)(void *ud, int up);
} pubsub_events_t;

struct pubsub_ops {
    /* Start / stop receiving 'stream'. Must not block: the hub calls them
     * under its lock, in the order the changes happen. subscribe returns 0
     * when messages arrive from now on, ERR_AGAIN when 'ready' will say so,
     * or an error. */
    int (*subscribe)(pubsub_t *ps, const char *stream, size_t len);
    int (*unsubscribe)(pubsub_t *ps, const char *stream, size_t len);
    /* Send 'message' (JSON text; the adapter takes its own reference) of
     * kind meta->kind to every node's subscribers of each of 'streams'.
     * Thread-safe, never blocks; 'done' (may be NULL) reports the outcome.
     * Returns 0 ('done' will run) or an error ('done' never runs). */
    int (*publish)(pubsub_t *ps, const pubsub_names_t *streams, payload_t *message,
                   const pubsub_meta_t *meta, pubsub_done_t *done);
    /* Stop and free. No event fires after it returns. */
    void (*destroy)(pubsub_t *ps);
};

struct pubsub {
    const struct pubsub_ops *ops;
    const char *name;            /* "local", "redis" */
    const pubsub_events_t *events;
    void *events_ud;
};

static inline int pubsub_subscribe(pubsub_t *ps, const char *stream, size_t len)
{
    return ps->ops->subscribe(ps, stream, len);
}
static inline int pubsub_unsubscribe(pubsub_t *ps, const char *stream, size_t len)
{
    return ps->ops->unsubscribe(ps, stream, len);
}
static inline int pubsub_publish(pubsub_t *ps, const pubsub_names_t *streams, payload_t *message,
                                 const pubsub_meta_t *meta, pubsub_done_t *done)
{
    return ps->ops->publish(ps, streams, message, meta, done);
}
static inline void pubsub_destroy(pubsub_t *ps)
{
    if (ps) ps->ops->destroy(ps);
}

#endif
