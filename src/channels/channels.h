/* channels: the four channels of SPEC §2.4.
 *
 *   NotificationChannel                   notification-channel-{member}
 *   ChatRoomChannel                       chat-room-channel-{member}
 *   Chats::CommunityMemberThreadsChannel  chat-community-member-{member}-threads-channel
 *   Chats::RoomChannel                    chat-room-{room}-channel
 *
 * A channel only decides and names the stream (hub/streams.h spells every
 * name); the cable layer and the hub do the subscribing. The member
 * channels decide from the token alone: community_member_id, a number or a
 * numeric string, must be the token's member, or be absent. The room
 * channel asks the store, through domain/chat, whether the member
 * participates in the room. */
#ifndef CHANNELS_CHANNELS_H
#define CHANNELS_CHANNELS_H

#include "domain/chat.h"

/* Register the four channels with the cable layer; 'chat' (borrowed for
 * the process lifetime) answers who may receive which room. Call at start. */
void channels_register(const domain_chat_t *chat);

#endif
