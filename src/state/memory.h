/* state/memory: the in-process back-end of state.h, for a single node
 * (the local pub/sub adapter). Everything lives in this process and is
 * gone with it: a restart starts every stream under a new epoch, so
 * clients holding old positions are told to refetch (reject_history)
 * rather than given a wrong catch-up.
 *
 *   history   per stream: a ring of the last history_limit messages
 *             (payload references, no copies), its epoch (8 random
 *             characters, new whenever the stream's history starts over)
 *             and its last offset. The local adapter calls
 *             state_memory_keep under its own lock, so offsets are given
 *             out in delivery order. Messages older than history_ttl_s are
 *             dropped by the tick; a stream idle for ten times that is
 *             forgotten, and starts over under a new epoch.
 *   sessions  by session id, until they expire or are taken.
 *   presence  per stream, records by member with their connections; a
 *             dropped connection leaves when presence_ttl_s has passed.
 *
 * Thread-safe: one lock per part, never held while calling back, except
 * that presence events are announced under the presence lock so that
 * every node sees a member's joins and leaves in the order they happened. */
#ifndef STATE_MEMORY_H
#define STATE_MEMORY_H

#include "state/state.h"

/* Announce a presence event (JSON text, borrowed) on 'stream'. Any
 * thread; must not call back into the state. */
typedef void (*state_announce_cb)(void *ud, const char *stream, payload_t *event);

/* Return owned an in-memory state with 'cfg' (copied). 'announce' and 'ud'
 * are borrowed for its lifetime. */
state_t *state_memory_new(const state_config_t *cfg, state_announce_cb announce, void *ud);
/* pubsub_history_t.keep for the local adapter ('ud' is the state). */
void state_memory_keep(void *ud, const pubsub_names_t *streams, payload_t *message,
                       pubsub_pos_t *out);

#endif
