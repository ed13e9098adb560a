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
 * Adapters embed 'pubsub_t' first and are created only by main.c. */
#ifndef PUBSUB_PUBSUB_H
#define PUBSUB_PUBSUB_H

#include "core/payload.h"

#include <stddef.h>

typedef struct pubsub pubsub_t;

/* A list of stream names: 'count' names, each followed by a NUL, back to
 * back in 'data' ('len' bytes in all). Borrowed by every call that takes
 * one. */
typedef struct pubsub_names {
    const char *data;
    size_t len;
    size_t count;
} pubsub_names_t;

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
     * keep it). */
    void (*deliver)(void *ud, const pubsub_names_t *streams, payload_t *message);
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
    /* Send 'message' (JSON text; the adapter takes its own reference) to
     * every node's subscribers of each of 'streams'. Thread-safe, never
     * blocks; 'done' (may be NULL) reports the outcome. Returns 0 ('done'
     * will run) or an error ('done' never runs). */
    int (*publish)(pubsub_t *ps, const pubsub_names_t *streams, payload_t *message,
                   pubsub_done_t *done);
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
                                 pubsub_done_t *done)
{
    return ps->ops->publish(ps, streams, message, done);
}
static inline void pubsub_destroy(pubsub_t *ps)
{
    if (ps) ps->ops->destroy(ps);
}

#endif
