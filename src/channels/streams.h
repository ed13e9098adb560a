/* channels/streams: the stream -> subscriptions index and broadcast
 * fan-out.
 *
 * Each loop keeps its own index (thread-local), so subscribing, delivering
 * and unsubscribing never take a lock:
 *
 *   stream "chat-room-42-channel"
 *     └─ identifier group "{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":42}"
 *          └─ subscriptions (one per connection)
 *
 * A broadcast reaches streams_deliver (from the pub/sub adapter, on any
 * thread) with its message as JSON text. It is posted, by reference, to
 * every loop. Each loop looks the stream up and, per identifier group,
 * fetches the data frame {"identifier":…,"message":…} from the broadcast's
 * frame cache: the first loop that needs a given identifier builds and
 * frames it, every other loop and every subscriber reuses the same bytes.
 *
 * A process-wide count per stream tells the pub/sub adapter when this node
 * gains its first subscriber of a stream and loses its last. */
#ifndef CHANNELS_STREAMS_H
#define CHANNELS_STREAMS_H

#include "cable/channel.h"
#include "pubsub/pubsub.h"

/* Use 'ps' for subscribe / unsubscribe notifications. Call at start. */
void streams_init(pubsub_t *ps);
/* Per-loop index setup and teardown, on the loop thread. */
void streams_thread_init(void);
void streams_thread_deinit(void);
/* Start delivering 'stream' to 'sub' (one stream per subscription; sets
 * sub->data). Returns 0. */
int streams_add(cable_sub_t *sub, const char *stream);
/* Stop delivering to 'sub'; no-op when it has no stream. */
void streams_remove(cable_sub_t *sub);
/* On this loop: stop delivering 'stream' to every subscription for which
 * 'match' returns 1. Returns how many were dropped. */
size_t streams_drop(const char *stream, int (*match)(cable_sub_t *sub, void *ud), void *ud);
/* The pub/sub deliver callback: fan 'message' out to every subscriber of
 * 'stream' on every loop. Thread-safe; 'message' is borrowed. */
void streams_deliver(void *ud, const char *stream, size_t stream_len, payload_t *message);
/* Streams with subscribers on this node (all loops). */
size_t streams_count(void);

#endif
