/* channels/access_cache: the room subscriptions this node has allowed, so
 * a member who subscribes to a room again (another tab, a reconnect, a
 * thousand clients of one member) is answered from memory instead of by a
 * store lookup on a worker.
 *
 * Only answers "allowed" are kept, each with the room's access version
 * (hub.h) at the time of the check: a removal moves the version, which
 * makes every entry of the room stale at once, on every node, so a member
 * removed from a room is never let in from the cache. A member added to a
 * room simply misses and is checked. Room uuids are remembered with their
 * id (a uuid never changes room). Thread-safe (a read-write lock); bounded:
 * past ACCESS_CACHE_MAX entries it starts over. */
#ifndef CHANNELS_ACCESS_CACHE_H
#define CHANNELS_ACCESS_CACHE_H

#include <stdint.h>

#define ACCESS_CACHE_MAX 1000000

/* 1 when 'member' was allowed in room 'room_id' at access version
 * 'version' (the room's current one). */
int access_cache_allowed(long long room_id, long long member, uint64_t version);
/* Remember that 'member' was allowed in 'room_id' at 'version'. */
void access_cache_allow(long long room_id, long long member, uint64_t version);
/* The id of the room with 'uuid', or 0 when not known here. */
long long access_cache_room(const char *uuid);
void access_cache_room_add(const char *uuid, long long room_id);
/* Forget everything (at exit, and between tests). */
void access_cache_clear(void);

#endif
