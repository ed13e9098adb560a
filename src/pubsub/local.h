/* pubsub/local: the in-process adapter. Publishing delivers at once to this
 * node's subscribers; nothing leaves the process. */
#ifndef PUBSUB_LOCAL_H
#define PUBSUB_LOCAL_H

#include "pubsub/pubsub.h"

/* Return owned a local adapter that hands every publish to 'deliver'. */
pubsub_t *pubsub_local_new(pubsub_deliver_cb deliver, void *ud);

#endif
