/* domain/events: how the domain tells clients what changed.
 *
 * Every event is {"event":"<name>","data":<object>}, published on one
 * stream after the change is committed. The payload is encoded once here
 * (Action Cable's escaping, core/json.h) and fanned out by the pub/sub
 * adapter; subscribers receive it inside their identifier's message frame.
 *
 *   notification-channel-{member}                    NotificationChannel
 *   chat-room-channel-{member}                       ChatRoomChannel
 *   chat-room-{room}-channel                         Chats::RoomChannel
 *   chat-community-member-{member}-threads-channel   Chats::CommunityMemberThreadsChannel */
#ifndef DOMAIN_EVENTS_H
#define DOMAIN_EVENTS_H

#include "pubsub/pubsub.h"

#include <jansson.h>

#define DOMAIN_STREAM_MAX 96

void domain_stream_notifications(char out[DOMAIN_STREAM_MAX], long long member_id);
void domain_stream_member_rooms(char out[DOMAIN_STREAM_MAX], long long member_id);
void domain_stream_room(char out[DOMAIN_STREAM_MAX], long long room_id);
void domain_stream_member_threads(char out[DOMAIN_STREAM_MAX], long long member_id);

/* Publish {"event": event, "data": data} on 'stream'. 'data' is borrowed.
 * Returns 0 or the adapter's error (logged). */
int domain_event_publish(pubsub_t *ps, const char *stream, const char *event, const json_t *data);

#endif
