/* channels: the four channels of SPEC §2.4.
 *
 *   NotificationChannel                   notification-channel-{member}
 *   ChatRoomChannel                       chat-room-channel-{member}
 *   Chats::CommunityMemberThreadsChannel  chat-community-member-{member}-threads-channel
 *   Chats::RoomChannel                    chat-room-{room}-channel
 *
 * The member channels decide from the token alone: community_member_id, a
 * number or a numeric string, must be the token's member, or be absent.
 * The room channel asks the room-access function whether the member may
 * read the room. */
#ifndef CHANNELS_CHANNELS_H
#define CHANNELS_CHANNELS_H

/* Whether 'member_id' of 'community_id' may receive room 'room_id'.
 * Returns 1 allowed, 0 refused. Called on a loop thread: must not block. */
typedef int (*channels_room_access_cb)(long long community_id, long long member_id,
                                       long long room_id, void *ud);

/* Register the four channels with the cable layer. Call at start. */
void channels_register(channels_room_access_cb room_access, void *ud);

/* The access rule until rooms are stored: any member of the community. */
int channels_room_access_any_member(long long community_id, long long member_id,
                                    long long room_id, void *ud);

#endif
