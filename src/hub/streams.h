/* hub/streams: the names of every stream, in one place, and lists of them.
 *
 * A stream is what a subscription listens to and what an event is
 * published on. The channels (SPEC §2.4) and the domain's events use these
 * functions, never their own spelling:
 *
 *   notification-channel-{member}                    NotificationChannel
 *   chat-room-channel-{member}                       ChatRoomChannel
 *   chat-room-{room}-channel                         Chats::RoomChannel
 *   chat-community-member-{member}-threads-channel   Chats::CommunityMemberThreadsChannel
 *   _cabled:control                                  control messages between nodes
 *
 * Names beginning "_cabled:" are reserved: no channel streams from them and
 * the broadcast API refuses them. A host application may broadcast to any
 * other name (up to HUB_STREAM_NAME_MAX bytes). */
#ifndef HUB_STREAMS_H
#define HUB_STREAMS_H

#include "core/buf.h"
#include "pubsub/pubsub.h"

#include <stddef.h>

/* Room for any name this file makes, NUL included. */
#define HUB_STREAM_MAX 96
/* Longest stream name accepted from outside (the broadcast API, Redis). */
#define HUB_STREAM_NAME_MAX 512

#define HUB_STREAM_RESERVED_PREFIX "_cabled:"
#define HUB_STREAM_CONTROL "_cabled:control"

void hub_stream_notifications(char out[HUB_STREAM_MAX], long long member_id);
void hub_stream_member_rooms(char out[HUB_STREAM_MAX], long long member_id);
void hub_stream_room(char out[HUB_STREAM_MAX], long long room_id);
void hub_stream_member_threads(char out[HUB_STREAM_MAX], long long member_id);
/* 1 when the name is reserved for the server itself. */
int hub_stream_reserved(const char *name, size_t len);
/* 1 when 'name' may be published on from outside: 1..HUB_STREAM_NAME_MAX
 * bytes, no NUL, not reserved. */
int hub_stream_name_valid(const char *name, size_t len);

/* A list of streams that one message goes to, each name once. */
typedef struct hub_streams {
    buf_t _names;              /* the names, each followed by a NUL */
    size_t count;
} hub_streams_t;

#define HUB_STREAMS_INIT {BUF_INIT, 0}

void hub_streams_init(hub_streams_t *s);
void hub_streams_deinit(hub_streams_t *s);
/* Add 'name' ('len' bytes, no NUL) unless it is already on the list. */
void hub_streams_add(hub_streams_t *s, const char *name, size_t len);
void hub_streams_add_room(hub_streams_t *s, long long room_id);
void hub_streams_add_member_rooms(hub_streams_t *s, long long member_id);
void hub_streams_add_member_threads(hub_streams_t *s, long long member_id);
void hub_streams_add_notifications(hub_streams_t *s, long long member_id);
/* The list as the pub/sub interface takes it (borrowing 's'). */
static inline pubsub_names_t hub_streams_names(const hub_streams_t *s)
{
    return (pubsub_names_t){buf_head(&s->_names), s->_names.len, s->count};
}
/* Walk a name list: start with *pos = 0; returns the next name (its length
 * in *len) or NULL at the end. */
const char *hub_names_next(const pubsub_names_t *names, size_t *pos, size_t *len);

#endif
