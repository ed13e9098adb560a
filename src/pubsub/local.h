/* pubsub/local: the in-process adapter. Publishing delivers at once, on
 * the publisher's thread, to this node's subscribers; nothing leaves the
 * process, and every stream is ready as soon as it is subscribed. */
#ifndef PUBSUB_LOCAL_H
#define PUBSUB_LOCAL_H

#include "pubsub/pubsub.h"

/* Return owned a local adapter that hands every publish to events->deliver
 * ('events' and 'ud' borrowed for the adapter's lifetime). */
pubsub_t *pubsub_local_new(const pubsub_events_t *events, void *ud);

#endif
