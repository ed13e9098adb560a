/* channels/room: Chats::RoomChannel, the events every participant of one
 * room sees, and the registration of all channels. */
#include "channels/channels.h"

#include "cable/channel.h"
#include "cable/protocol.h"
#include "channels/streams.h"
#include "core/err.h"

#include <stdio.h>

extern const cable_channel_t channels__notification;
extern const cable_channel_t channels__chat_room;
extern const cable_channel_t channels__member_threads;

static channels_room_access_cb room_access;
static void *room_access_ud;

int channels_room_access_any_member(long long community_id, long long member_id,
                                    long long room_id, void *ud)
{
    (void)community_id, (void)member_id, (void)room_id, (void)ud;
    return 1;
}

static int room_subscribe(cable_sub_t *sub, const json_t *params)
{
    long long room = 0;
    /* Rooms are addressed by id until rooms are stored; a chat_room_uuid
     * cannot be resolved yet and is refused. */
    if (cable_param_id(params, "chat_room_id", &room) != 1) return ERR_FORBIDDEN;
    if (!room_access(cable_conn_community_id(sub->conn), cable_conn_member_id(sub->conn), room,
                     room_access_ud))
        return ERR_FORBIDDEN;
    char stream[64];
    snprintf(stream, sizeof stream, "chat-room-%lld-channel", room);
    return streams_add(sub, stream);
}

static const cable_channel_t channels__room = {
    .name = "Chats::RoomChannel",
    .subscribe = room_subscribe,
    .unsubscribe = streams_remove,
};

void channels_register(channels_room_access_cb access, void *ud)
{
    room_access = access;
    room_access_ud = ud;
    cable_channel_register(&channels__notification);
    cable_channel_register(&channels__chat_room);
    cable_channel_register(&channels__member_threads);
    cable_channel_register(&channels__room);
}
