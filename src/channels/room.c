/* channels/room: Chats::RoomChannel, the events every participant of one
 * room sees, and the registration of all channels.
 *
 * Whether a member participates in a room is in the store, so the answer
 * comes from a worker thread: subscribe returns ERR_AGAIN, the lookup runs
 * on libuv's pool, and the loop allows (naming the room's stream) or
 * rejects. A removal can land while the lookup runs: the lookup reads the
 * room's access version (hub.h) before it checks, and when the version has
 * moved by the time the answer is back on the loop, it checks again, so a
 * subscription never outlives a removal it raced. A member removed later
 * stops receiving at once: the hub drops the stream from their
 * subscriptions on every node. A member this node already allowed in the
 * room, with no removal since, is answered at once from memory
 * (access_cache.h).
 *
 * On the extended protocol, participants may whisper to each other on the
 * room (typing indicators) and take part in its presence, shown by their
 * public fields (domain/presence.h). */
#include "channels/channels.h"
#include "channels/access_cache.h"
#include "channels/channels_internal.h"

#include "cable/protocol.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "domain/presence.h"
#include "hub/streams.h"
#include "net/loop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Checks of one subscribe that may each be overtaken by a removal; a room
 * whose access changes this often is refused rather than checked forever. */
#define MAX_CHECKS 8

static const domain_chat_t *chat;
/* Fault injection for tests (CABLED_FAULT_ROOM_CHECK_DELAY_MS): hold every
 * finished access check this long before it reports, as a preempted
 * worker would, so a test can make removals overtake checks at will. */
static unsigned check_delay_us;

struct access_job {
    uv_work_t w;
    cable_sub_t *sub;
    long long member;
    long long room_id;         /* asked (0: by uuid), then resolved */
    char uuid[40];
    uint64_t version;          /* the room's access version, read before the check */
    int allowed;
    int checks;
};

static void on_access_work(uv_work_t *w)
{
    struct access_job *j = w->data;
    j->allowed = domain_chat_room_access(chat, j->member, &j->room_id, j->uuid, &j->version);
    if (check_delay_us) usleep(check_delay_us);
}

static void on_access_done(uv_work_t *w, int status)
{
    struct access_job *j = w->data;
    int ok = status == 0 && j->allowed && cable_sub_alive(j->sub);
    if (ok && hub_access_version(chat->hub, j->room_id) != j->version) {
        /* Access to the room changed while we looked: look again. */
        if (++j->checks < MAX_CHECKS &&
            uv_queue_work(w->loop, &j->w, on_access_work, on_access_done) == 0)
            return;
        log_info("channels room=%lld member=%lld subscribe refused: access keeps changing",
                 j->room_id, j->member);
        ok = 0;
    }
    char stream[HUB_STREAM_MAX];
    if (ok) {
        hub_stream_room(stream, j->room_id);
        access_cache_allow(j->room_id, j->member, j->version);
        if (j->uuid[0]) access_cache_room_add(j->uuid, j->room_id);
    }
    cable_sub_resolve(j->sub, ok, ok ? stream : NULL);
    free(j);
}

static int room_subscribe(cable_sub_t *sub, const json_t *params, char stream[HUB_STREAM_MAX])
{
    long long room = 0;
    int by_id = cable_param_id(params, "chat_room_id", &room);
    const char *uuid = json_string_value(json_object_get(params, "chat_room_uuid"));
    if (by_id < 0 || (by_id == 0 && (!uuid || !uuid[0] || strlen(uuid) >= 40)))
        return ERR_FORBIDDEN;
    long long known = by_id == 1 ? room : access_cache_room(uuid);
    long long member = cable_conn_member_id(sub->conn);
    if (known > 0 && access_cache_allowed(known, member, hub_access_version(chat->hub, known))) {
        hub_stream_room(stream, known);
        return 0;
    }
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

/* cable_channel_t.presence_record, on a worker. */
static char *room_presence_record(long long community_id, long long member_id)
{
    return domain_presence_record(chat->store, community_id, member_id);
}

static const cable_channel_t channels__room = {
    .name = "Chats::RoomChannel",
    .subscribe = room_subscribe,
    .whisper = 1,
    .presence_record = room_presence_record,
};

void channels_register(const domain_chat_t *c)
{
    chat = c;
    const char *delay = getenv("CABLED_FAULT_ROOM_CHECK_DELAY_MS");
    if (delay) check_delay_us = (unsigned)strtoul(delay, NULL, 10) * 1000u;
    cable_channel_register(&channels__notification);
    cable_channel_register(&channels__chat_room);
    cable_channel_register(&channels__member_threads);
    cable_channel_register(&channels__room);
}
