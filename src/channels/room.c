/* channels/room: Chats::RoomChannel, the events every participant of one
 * room sees, and the registration of all channels.
 *
 * Whether a member participates in a room is in the store, so the answer
 * comes from a worker thread: subscribe returns ERR_AGAIN, the lookup runs
 * on libuv's pool, and the loop confirms (after starting the stream) or
 * rejects. A member removed from a room, or a deleted room, stops
 * receiving at once: the control message reaches every loop, which drops
 * the stream of each matching subscription (the subscription itself stays,
 * silent, as the client still holds it). */
#include "channels/channels.h"

#include "cable/channel.h"
#include "cable/protocol.h"
#include "channels/streams.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "net/loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const cable_channel_t channels__notification;
extern const cable_channel_t channels__chat_room;
extern const cable_channel_t channels__member_threads;

static const domain_chat_t *chat;

struct access_job {
    uv_work_t w;
    cable_sub_t *sub;
    long long member;
    long long room_id; /* asked, then resolved */
    char uuid[40];
    int allowed;
};

static void on_access_work(uv_work_t *w)
{
    struct access_job *j = w->data;
    long long resolved = 0;
    j->allowed = domain_chat_room_access(chat, j->member, j->room_id, j->uuid, &resolved);
    j->room_id = resolved;
}

static void on_access_done(uv_work_t *w, int status)
{
    struct access_job *j = w->data;
    int ok = status == 0 && j->allowed;
    if (ok && cable_sub_alive(j->sub)) {
        char stream[64];
        snprintf(stream, sizeof stream, "chat-room-%lld-channel", j->room_id);
        ok = streams_add(j->sub, stream) == 0;
    } else {
        ok = 0;
    }
    cable_sub_resolve(j->sub, ok);
    free(j);
}

static int room_subscribe(cable_sub_t *sub, const json_t *params)
{
    long long room = 0;
    int by_id = cable_param_id(params, "chat_room_id", &room);
    const char *uuid = json_string_value(json_object_get(params, "chat_room_uuid"));
    if (by_id < 0 || (by_id == 0 && (!uuid || !uuid[0] || strlen(uuid) >= 40)))
        return ERR_FORBIDDEN;
    net_loop_t *loop = net_loop_current();
    if (!loop) return ERR_FORBIDDEN;
    struct access_job *j = xcalloc(1, sizeof *j);
    j->w.data = j;
    j->sub = sub;
    j->member = cable_conn_member_id(sub->conn);
    j->room_id = by_id == 1 ? room : 0;
    if (by_id == 0) snprintf(j->uuid, sizeof j->uuid, "%s", uuid);
    if (uv_queue_work(&loop->uv, &j->w, on_access_work, on_access_done) != 0) {
        free(j);
        return ERR_FORBIDDEN;
    }
    return ERR_AGAIN;
}

static const cable_channel_t channels__room = {
    .name = "Chats::RoomChannel",
    .subscribe = room_subscribe,
    .unsubscribe = streams_remove,
};

/* ---- access revoked ------------------------------------------------------ */

struct revoke {
    long long room_id;
    long long member_id;
};

static int revoke_match(cable_sub_t *sub, void *ud)
{
    const struct revoke *r = ud;
    return r->member_id == 0 || cable_conn_member_id(sub->conn) == r->member_id;
}

static void revoke_on_loop(net_loop_t *loop, void *arg)
{
    (void)loop;
    struct revoke *r = arg;
    char stream[64];
    snprintf(stream, sizeof stream, "chat-room-%lld-channel", r->room_id);
    size_t n = streams_drop(stream, revoke_match, r);
    if (n)
        log_info("channels room=%lld member=%lld access revoked subscriptions=%zu", r->room_id,
                 r->member_id, n);
    free(r);
}

void channels_room_revoke(long long room_id, long long member_id)
{
    for (unsigned i = 0; i < net_loops_count(); i++) {
        struct revoke *r = xmalloc(sizeof *r);
        r->room_id = room_id;
        r->member_id = member_id;
        if (net_loop_post(net_loops_get(i), revoke_on_loop, r) != 0) free(r);
    }
}

void channels_register(const domain_chat_t *c)
{
    chat = c;
    cable_channel_register(&channels__notification);
    cable_channel_register(&channels__chat_room);
    cable_channel_register(&channels__member_threads);
    cable_channel_register(&channels__room);
}
