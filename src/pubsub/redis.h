/* pubsub/redis: the cluster adapter, over Redis pub/sub (Debian's hiredis,
 * its async API on a libuv loop of our own).
 *
 * Wire format: Action Cable's Redis adapter's. A message for stream S is
 *
 *   PUBLISH <prefix>S <JSON text>
 *
 * so a Rails application's ActionCable.server.broadcast(S, payload) on the
 * same Redis (with the same channel prefix), or `redis-cli PUBLISH`, reaches
 * cabled's subscribers, and cabled's events reach Action Cable servers. A
 * node SUBSCRIBEs a stream's channel while it has subscribers of it, so a
 * broadcast crosses Redis once per node that needs it. Received messages
 * are re-encoded as Action Cable re-encodes them (compact, HTML-safe
 * escapes, numbers as written); one that is not JSON is logged and dropped.
 *
 * Threads: the adapter runs its own thread and loop with two connections,
 * one subscribed and one for PUBLISH (a subscribed Redis connection takes no
 * other command). Calls from other threads only queue work for it, so no
 * call ever blocks a WebSocket loop.
 *
 * Outages: a lost connection is retried with backoff (100 ms doubling to
 * 1 s); every wanted channel is subscribed again when it returns. While the
 * link is down, publishes wait in a queue bounded in bytes (oldest dropped
 * past the bound, counted in pubsub_dropped_total) and go out 1.5 s after
 * it is back (the other nodes have subscribed again by then), followed by
 * what was published meanwhile, in order;
 * /health reports the node degraded with the reason. A Redis that stops
 * answering (a PING every second, none answered for 3 s) counts as lost.
 *
 * The extended protocol (pubsub.h, state/state.h): a broadcast kept in
 * history is published by a script that gives it its stream's next offset,
 * keeps it in a bounded Redis stream, and PUBLISHes its position on the
 * stream's cabled channel then the message, unchanged, on Action Cable's
 * (redis_scripts.h): Rails still reads exactly what it always did, and
 * every node gets the same offset for the same message. Whispers and
 * presence events travel on the cabled channel only. A node subscribes a
 * stream's two channels together. A message another application PUBLISHes
 * itself has no position: it is delivered as it is, and not kept.
 * pubsub_redis_state() keeps history, sessions and presence in the same
 * Redis, so a client that reconnects to another node recovers. */
#ifndef PUBSUB_REDIS_H
#define PUBSUB_REDIS_H

#include "pubsub/pubsub.h"

#include <stddef.h>

typedef struct pubsub_redis_url {
    char host[256];
    int port;
    int db;
    char password[256];        /* "" when none */
} pubsub_redis_url_t;

typedef struct pubsub_redis_config {
    const char *url;           /* redis://[[user]:password@]host[:port][/db] */
    const char *prefix;        /* channel prefix, "" for none */
    size_t queue_bytes;        /* publishes kept while the link is down */
    unsigned history_limit;    /* broadcasts kept per stream; 0: none, plain PUBLISH */
    unsigned history_ttl_s;    /* and for how long */
} pubsub_redis_config_t;

/* Parse a redis:// URL. Returns 0, or ERR_INVAL with *why saying what is
 * wrong. The port defaults to 6379 and the database to 0. */
int pubsub_redis_parse_url(const char *url, pubsub_redis_url_t *out, const char **why);
/* Start the adapter ('events'/'ud' borrowed for its lifetime): its thread
 * starts connecting at once. Returns owned, or NULL with a message in 'err'
 * when the URL is invalid. An unreachable Redis is not an error here: the
 * node starts degraded and keeps trying. */
pubsub_t *pubsub_redis_new(const pubsub_redis_config_t *cfg, const pubsub_events_t *events,
                           void *ud, char *err, size_t err_cap);
struct state;
struct state_config;

/* Return owned the state (state/state.h) kept in the Redis of 'ps' (a redis
 * adapter, borrowed: destroy the state first), with 'cfg' (copied). Its
 * callbacks run on the loop thread that made the call; while Redis is
 * unreachable, reads fail (a history is rejected, a session not found). */
struct state *pubsub_redis_state(pubsub_t *ps, const struct state_config *cfg);

#endif
