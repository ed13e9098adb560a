/* pubsub/pubsub.h: the publish/subscribe interface between this node and
 * the others.
 *
 * A broadcast is published under a stream name with its message as JSON
 * text. Every node subscribed to that stream (including this one) gets it
 * back through the 'deliver' callback and fans it out to its own
 * subscribers. The adapter decides how messages travel: 'local' calls
 * deliver directly, 'redis' goes through Redis PUBLISH / SUBSCRIBE in the
 * format of Action Cable's Redis adapter. The stream index tells the adapter
 * which streams have local subscribers (subscribe on the first, unsubscribe
 * after the last), so a node only receives what it needs.
 *
 * Adapters embed 'pubsub_t' first and are created only by main.c. */
#ifndef PUBSUB_PUBSUB_H
#define PUBSUB_PUBSUB_H

#include "core/payload.h"

#include <stddef.h>

typedef struct pubsub pubsub_t;

/* Called by the adapter for every message on a subscribed stream, on any
 * thread. 'message' is borrowed: take a reference to keep it. */
typedef void (*pubsub_deliver_cb)(void *ud, const char *stream, size_t stream_len,
                                  payload_t *message);

struct pubsub_ops {
    /* Start / stop receiving a stream. Thread-safe. Returns 0 or an error. */
    int (*subscribe)(pubsub_t *ps, const char *stream, size_t len);
    int (*unsubscribe)(pubsub_t *ps, const char *stream, size_t len);
    /* Send 'message' (JSON text; borrowed) to every node's subscribers of
     * 'stream'. Thread-safe. Returns 0 or an error. */
    int (*publish)(pubsub_t *ps, const char *stream, size_t len, payload_t *message);
    void (*destroy)(pubsub_t *ps);
};

struct pubsub {
    const struct pubsub_ops *ops;
    const char *name;            /* "local", "redis" */
    pubsub_deliver_cb deliver;
    void *deliver_ud;
};

static inline int pubsub_subscribe(pubsub_t *ps, const char *stream, size_t len)
{
    return ps->ops->subscribe(ps, stream, len);
}
static inline int pubsub_unsubscribe(pubsub_t *ps, const char *stream, size_t len)
{
    return ps->ops->unsubscribe(ps, stream, len);
}
static inline int pubsub_publish(pubsub_t *ps, const char *stream, size_t len, payload_t *message)
{
    return ps->ops->publish(ps, stream, len, message);
}
static inline void pubsub_destroy(pubsub_t *ps)
{
    if (ps) ps->ops->destroy(ps);
}

#endif
