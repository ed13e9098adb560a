/* channels/member: the three channels that stream one member's private
 * events: notifications, chat-room updates and thread updates. They share
 * one rule, so they share this code and differ only in the stream name. */
#include "channels/channels.h"
#include "channels/channels_internal.h"

#include "cable/protocol.h"
#include "core/err.h"
#include "hub/streams.h"

/* community_member_id, a number or a numeric string, must be the token's
 * member, or be absent. */
static int member_subscribe(cable_sub_t *sub, const json_t *params, char stream[HUB_STREAM_MAX],
                            void (*name)(char *out, long long member_id))
{
    long long member = cable_conn_member_id(sub->conn);
    long long asked = 0;
    int rc = cable_param_id(params, "community_member_id", &asked);
    if (rc < 0 || (rc == 1 && asked != member)) return ERR_FORBIDDEN;
    name(stream, member);
    return 0;
}

static int notification_subscribe(cable_sub_t *sub, const json_t *params,
                                  char stream[HUB_STREAM_MAX])
{
    return member_subscribe(sub, params, stream, hub_stream_notifications);
}

static int chat_room_subscribe(cable_sub_t *sub, const json_t *params, char stream[HUB_STREAM_MAX])
{
    return member_subscribe(sub, params, stream, hub_stream_member_rooms);
}

static int threads_subscribe(cable_sub_t *sub, const json_t *params, char stream[HUB_STREAM_MAX])
{
    return member_subscribe(sub, params, stream, hub_stream_member_threads);
}

const cable_channel_t channels__notification = {
    .name = "NotificationChannel",
    .subscribe = notification_subscribe,
};

const cable_channel_t channels__chat_room = {
    .name = "ChatRoomChannel",
    .subscribe = chat_room_subscribe,
};

const cable_channel_t channels__member_threads = {
    .name = "Chats::CommunityMemberThreadsChannel",
    .subscribe = threads_subscribe,
};
