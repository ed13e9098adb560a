/* channels/member: the three channels that stream one member's private
 * events: notifications, chat-room updates and thread updates. They share
 * one rule, so they share this code and differ only in the stream name. */
#include "channels/channels.h"

#include "cable/channel.h"
#include "cable/protocol.h"
#include "channels/streams.h"
#include "core/err.h"

#include <stdio.h>

static int member_subscribe(cable_sub_t *sub, const json_t *params, const char *prefix,
                            const char *suffix)
{
    long long member = cable_conn_member_id(sub->conn);
    long long asked = 0;
    int rc = cable_param_id(params, "community_member_id", &asked);
    if (rc < 0 || (rc == 1 && asked != member)) return ERR_FORBIDDEN;
    char stream[96];
    snprintf(stream, sizeof stream, "%s%lld%s", prefix, member, suffix);
    return streams_add(sub, stream);
}

static int notification_subscribe(cable_sub_t *sub, const json_t *params)
{
    return member_subscribe(sub, params, "notification-channel-", "");
}

static int chat_room_subscribe(cable_sub_t *sub, const json_t *params)
{
    return member_subscribe(sub, params, "chat-room-channel-", "");
}

static int threads_subscribe(cable_sub_t *sub, const json_t *params)
{
    return member_subscribe(sub, params, "chat-community-member-", "-threads-channel");
}

const cable_channel_t channels__notification = {
    .name = "NotificationChannel",
    .subscribe = notification_subscribe,
    .unsubscribe = streams_remove,
};

const cable_channel_t channels__chat_room = {
    .name = "ChatRoomChannel",
    .subscribe = chat_room_subscribe,
    .unsubscribe = streams_remove,
};

const cable_channel_t channels__member_threads = {
    .name = "Chats::CommunityMemberThreadsChannel",
    .subscribe = threads_subscribe,
    .unsubscribe = streams_remove,
};
