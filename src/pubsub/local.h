/* pubsub/local: the in-process adapter. Publishing delivers at once, on
 * the publisher's thread, to this node's subscribers; nothing leaves the
 * process, and every stream is ready as soon as it is subscribed.
 *
 * Broadcasts are kept in the in-memory history given at creation: under
 * one lock the history gives each stream's offset and the message is
 * handed to the hub, so every loop sees a stream's offsets in increasing
 * order. Reserved streams (hub/streams.h, "_cabled:") and transient
 * messages are not kept. */
#ifndef PUBSUB_LOCAL_H
#define PUBSUB_LOCAL_H

#include "pubsub/pubsub.h"

/* Return owned a local adapter that hands every publish to events->deliver
 * ('events' and 'ud' borrowed for the adapter's lifetime). 'history'
 * (copied; NULL: none) keeps broadcasts and gives their positions. */
pubsub_t *pubsub_local_new(const pubsub_events_t *events, void *ud,
                           const pubsub_history_t *history);

#endif
