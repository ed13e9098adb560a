/* domain/chat: chat rules and their events. See chat.h. */
#include "domain/chat.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/utf8.h"
#include "domain/chat_json.h"
#include "domain/notifications.h"
#include "domain/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN        255
#define DESCRIPTION_MAX_LEN 2000
#define BODY_MAX_LEN        65536
#define GROUP_MAX_MEMBERS   500

/* ---- helpers -------------------------------------------------------------------------------- */

static int is_embedded(const char *kind)
{
    return strcmp(kind, "direct") != 0 && strcmp(kind, "group_chat") != 0;
}

static int kind_valid(const char *kind)
{
    static const char *const kinds[] = {"direct", "group_chat", "space", "lesson", "event"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kind, kinds[i]) == 0) return 1;
    return 0;
}

static void new_uuid(char out[40])
{
    uint8_t b[16];
    rand_bytes(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* One event, serialized once, on every stream of 'streams'. */
static void publish(const domain_chat_t *d, const hub_streams_t *streams, const char *event,
                    const json_t *data)
{
    hub_publish_event(d->hub, streams, event, data);
}

/* One event on one stream, for events whose data differs per member. */
static void publish_one(const domain_chat_t *d, void (*add)(hub_streams_t *, long long),
                        long long id, const char *event, const json_t *data)
{
    hub_streams_t streams = HUB_STREAMS_INIT;
    add(&streams, id);
    publish(d, &streams, event, data);
    hub_streams_deinit(&streams);
}

/* The room 'uuid' if 'actor' participates in it. ERR_NOT_FOUND otherwise:
 * a room the actor is not in does not exist for them. */
static int room_for(const domain_chat_t *d, long long actor, const char *uuid, store_room_t *room,
                    store_participant_t *me)
{
    int rc = d->store->ops->room_get(d->store, d->community_id, 0, uuid, room);
    if (rc) return rc;
    store_participant_t p;
    rc = d->store->ops->participant_get(d->store, room->id, actor, me ? me : &p);
    if (rc) {
        store_room_clear(room);
        return rc == ERR_NOT_FOUND ? ERR_NOT_FOUND : rc;
    }
    return 0;
}

/* The threads streams of a thread's participants: its parent's author and
 * every replier who is still in the room (a member removed from the room
 * hears nothing more of its threads). */
static void add_thread_streams(const domain_chat_t *d, long long room_id, long long parent_id,
                               hub_streams_t *streams)
{
    long long *ids;
    size_t n;
    if (d->store->ops->thread_senders(d->store, parent_id, &ids, &n) != 0) return;
    for (size_t i = 0; i < n; i++) {
        store_participant_t p;
        if (d->store->ops->participant_get(d->store, room_id, ids[i], &p) == 0)
            hub_streams_add_member_threads(streams, ids[i]);
    }
    free(ids);
}

/* The member who joined room 'room_id' first (0 when none): whose view of
 * the room the host application gets. */
static long long first_participant(const domain_chat_t *d, long long room_id)
{
    store_participant_t *ps;
    size_t n;
    long long id = 0;
    if (d->store->ops->participants(d->store, room_id, &ps, &n) == 0) {
        if (n) id = ps[0].member_id;
        free(ps);
    }
    return id;
}

static long long page_offset(domain_page_t pg)
{
    return (pg.page - 1) * pg.per_page;
}

static json_t *page_json(domain_page_t pg, long long total, json_t *records)
{
    long long pages = (total + pg.per_page - 1) / pg.per_page;
    return json_pack("{s:I, s:I, s:b, s:I, s:I, s:o}", "page", (json_int_t)pg.page, "per_page",
                     (json_int_t)pg.per_page, "has_next_page", pg.page < pages, "count",
                     (json_int_t)total, "page_count", (json_int_t)pages, "records", records);
}

/* ---- rooms ---------------------------------------------------------------------------------- */

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

int domain_chat_room_create(const domain_chat_t *d, long long actor, const char *kind,
                            const char *name, const long long *members, size_t count, int admin,
                            json_t **out, int *created, const char **why)
{
    *out = NULL;
    *created = 0;
    if (!kind_valid(kind) || (!admin && is_embedded(kind))) {
        *why = "kind";
        return ERR_INVAL;
    }
    if (name && (strlen(name) > NAME_MAX_LEN || !utf8_valid(name, strlen(name)))) {
        *why = "name";
        return ERR_INVAL;
    }
    /* The participants: the actor and the listed members, once each. */
    size_t n = 0;
    long long *ids = xmalloc((count + 1) * sizeof *ids);
    if (actor) ids[n++] = actor;
    for (size_t i = 0; i < count; i++) ids[n++] = members[i];
    qsort(ids, n, sizeof *ids, cmp_ll);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || ids[u - 1] != ids[i]) ids[u++] = ids[i];
    n = u;
    int rc = 0;
    if (n == 0 || n > GROUP_MAX_MEMBERS || ids[0] <= 0 || (strcmp(kind, "direct") == 0 && n != 2)) {
        *why = "community_member_ids";
        rc = ERR_INVAL;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        store_member_t m;
        if ((rc = d->store->ops->member_get(d->store, d->community_id, ids[i], &m)) != 0) {
            if (rc == ERR_NOT_FOUND) {
                *why = "community_member_ids";
                rc = ERR_INVAL;
            }
            goto done;
        }
        store_member_clear(&m);
    }
    /* A room the host application creates (admin, no actor) has no member
     * creator: nobody gets a creator's rights over it. */
    store_room_t room = {.community_id = d->community_id, .show_history = 1, .creator_id = actor};
    snprintf(room.kind, sizeof room.kind, "%s", kind);
    char identifier[64];
    if (strcmp(kind, "direct") == 0) {
        snprintf(identifier, sizeof identifier, "direct-%lld-%lld", ids[0], ids[1]);
        room.identifier = identifier;
        /* One direct room per pair: give back the one that exists. */
        store_room_t existing;
        if (d->store->ops->room_find_identifier(d->store, d->community_id, identifier, &existing) ==
            0) {
            *out = chat_room_json(d->store, &existing, actor ? actor : ids[0]);
            store_room_clear(&existing);
            goto done;
        }
    } else {
        room.name = (char *)name;
    }
    new_uuid(room.uuid);
    rc = d->store->ops->room_create(d->store, &room, ids, n);
    if (rc == ERR_CONFLICT && room.identifier) {
        /* Created meanwhile by the other member. */
        store_room_t existing;
        if ((rc = d->store->ops->room_find_identifier(d->store, d->community_id, identifier,
                                                      &existing)) == 0) {
            *out = chat_room_json(d->store, &existing, actor ? actor : ids[0]);
            store_room_clear(&existing);
        }
        goto done;
    }
    if (rc) goto done;
    *created = 1;
    /* Committed: every participant of a direct or group room hears of it,
     * each with their own view. */
    if (!is_embedded(kind)) {
        for (size_t i = 0; i < n; i++) {
            json_t *view = chat_room_json(d->store, &room, ids[i]);
            publish_one(d, hub_streams_add_member_rooms, ids[i], "chatRoomCreated", view);
            json_decref(view);
        }
    }
    *out = chat_room_json(d->store, &room, actor ? actor : ids[0]);
done:
    free(ids);
    return rc;
}

int domain_chat_rooms(const domain_chat_t *d, long long actor, domain_page_t pg, json_t **out)
{
    store_room_t *rooms;
    size_t n;
    long long total;
    int rc = d->store->ops->rooms_of_member(d->store, d->community_id, actor, page_offset(pg),
                                            pg.per_page, &rooms, &n, &total);
    if (rc) return rc;
    json_t *records = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(records, chat_room_json(d->store, &rooms[i], actor));
    store_rooms_free(rooms, n);
    *out = page_json(pg, total, records);
    return 0;
}

int domain_chat_room_show(const domain_chat_t *d, long long actor, const char *uuid, json_t **out)
{
    store_room_t room;
    int rc = room_for(d, actor, uuid, &room, NULL);
    if (rc) return rc;
    *out = chat_room_json(d->store, &room, actor);
    store_room_clear(&room);
    return 0;
}

/* Read an optional string attribute into *dst (replacing it). */
static int take_string(const json_t *fields, const char *key, size_t max, char **dst, int *changed,
                       const char **why)
{
    json_t *v = json_object_get(fields, key);
    if (!v) return 0;
    if (!json_is_string(v) && !json_is_null(v)) {
        *why = key;
        return ERR_INVAL;
    }
    const char *s = json_string_value(v);
    if (s && (strlen(s) > max || !utf8_valid(s, strlen(s)))) {
        *why = key;
        return ERR_INVAL;
    }
    if ((s == NULL) != (*dst == NULL) || (s && strcmp(s, *dst) != 0)) {
        free(*dst);
        *dst = s ? xstrdup(s) : NULL;
        *changed = 1;
    }
    return 0;
}

int domain_chat_room_update(const domain_chat_t *d, long long actor, const char *uuid,
                            const json_t *fields, json_t **out, const char **why)
{
    store_room_t room;
    /* The host application (actor 0) reaches every room of the community. */
    int rc = actor ? room_for(d, actor, uuid, &room, NULL)
                   : d->store->ops->room_get(d->store, d->community_id, 0, uuid, &room);
    if (rc) return rc;
    int renamed = 0, other = 0;
    json_t *v;
    if (json_object_get(fields, "name") || json_object_get(fields, "description") ||
        json_object_get(fields, "show_history")) {
        /* Direct rooms have no attributes of their own; a group room's
         * belong to its creator (the host application's rooms: to it). */
        if (strcmp(room.kind, "direct") == 0) {
            *why = "direct rooms cannot be renamed";
            rc = ERR_INVAL;
            goto done;
        }
        if (room.creator_id != actor) {
            rc = ERR_FORBIDDEN;
            goto done;
        }
    }
    /* The pinned message is the participants' to share, except in rooms the
     * host application created, whose attributes are all its own. */
    if (actor && json_object_get(fields, "pinned_message_id") && room.creator_id == 0 &&
        strcmp(room.kind, "direct") != 0) {
        *why = "only the host application changes this room";
        rc = ERR_FORBIDDEN;
        goto done;
    }
    if ((rc = take_string(fields, "name", NAME_MAX_LEN, &room.name, &renamed, why)) != 0 ||
        (rc = take_string(fields, "description", DESCRIPTION_MAX_LEN, &room.description, &other,
                          why)) != 0)
        goto done;
    if ((v = json_object_get(fields, "show_history"))) {
        if (!json_is_boolean(v)) {
            *why = "show_history";
            rc = ERR_INVAL;
            goto done;
        }
        if (json_is_true(v) != room.show_history) {
            room.show_history = json_is_true(v);
            other = 1;
        }
    }
    if ((v = json_object_get(fields, "pinned_message_id"))) {
        long long id = json_is_null(v) ? 0 : json_is_integer(v) ? json_integer_value(v) : -1;
        store_message_t m;
        if (id < 0 || (id > 0 && d->store->ops->message_get(d->store, room.id, id, &m) != 0)) {
            *why = "pinned_message_id";
            rc = ERR_INVAL;
            goto done;
        }
        if (id > 0) store_message_clear(&m);
        if (id != room.pinned_message_id) {
            room.pinned_message_id = id;
            other = 1;
        }
    }
    if (renamed || other) {
        if ((rc = d->store->ops->room_update(d->store, &room)) != 0) goto done;
        json_t *simple = chat_room_simple_json(d->store, &room, actor ? actor : room.creator_id);
        publish_one(d, hub_streams_add_room, room.id, "chatRoomUpdated", simple);
        json_decref(simple);
        if (renamed && !is_embedded(room.kind)) {
            store_participant_t *ps;
            size_t n;
            if (d->store->ops->participants(d->store, room.id, &ps, &n) == 0) {
                for (size_t i = 0; i < n; i++) {
                    json_t *view = chat_room_simple_json(d->store, &room, ps[i].member_id);
                    publish_one(d, hub_streams_add_member_rooms, ps[i].member_id,
                                "chatRoomUpdated", view);
                    json_decref(view);
                }
                free(ps);
            }
        }
    }
    *out = chat_room_json(d->store, &room, actor ? actor : first_participant(d, room.id));
done:
    store_room_clear(&room);
    return rc;
}

int domain_chat_room_delete(const domain_chat_t *d, long long actor, const char *uuid,
                            const char **why)
{
    store_room_t room;
    int rc = room_for(d, actor, uuid, &room, NULL);
    if (rc) return rc;
    if (strcmp(room.kind, "group_chat") != 0 || room.creator_id != actor) {
        store_room_clear(&room);
        *why = "only the creator of a group room can delete it";
        return ERR_FORBIDDEN;
    }
    store_participant_t *ps = NULL;
    size_t n = 0;
    d->store->ops->participants(d->store, room.id, &ps, &n);
    rc = d->store->ops->room_delete(d->store, room.id);
    if (rc == 0) {
        /* Subscriptions to the room stop receiving at once, on every node. */
        hub_revoke_room_access(d->hub, room.id, 0);
        hub_streams_t streams = HUB_STREAMS_INIT;
        for (size_t i = 0; i < n; i++) hub_streams_add_member_rooms(&streams, ps[i].member_id);
        json_t *data = json_pack("{s:s}", "chat_room_uuid", room.uuid);
        publish(d, &streams, "chatRoomDeleted", data);
        json_decref(data);
        hub_streams_deinit(&streams);
    }
    free(ps);
    store_room_clear(&room);
    return rc;
}

int domain_chat_room_read(const domain_chat_t *d, long long actor, const char *uuid)
{
    store_room_t room;
    store_participant_t me;
    int rc = room_for(d, actor, uuid, &room, &me);
    if (rc) return rc;
    store_message_t last;
    if (d->store->ops->message_last(d->store, room.id, &last) == 0) {
        if (last.id > me.last_read_message_id) {
            me.last_read_message_id = last.id;
            rc = d->store->ops->participant_update(d->store, &me);
        }
        store_message_clear(&last);
    }
    if (rc == 0) {
        json_t *data = json_pack("{s:s}", "chat_room_uuid", room.uuid);
        publish_one(d, hub_streams_add_member_rooms, actor, "chatRoomRead", data);
        json_decref(data);
    }
    store_room_clear(&room);
    return rc;
}

int domain_chat_room_pin(const domain_chat_t *d, long long actor, const char *uuid, int pin,
                         json_t **out)
{
    store_room_t room;
    store_participant_t me;
    int rc = room_for(d, actor, uuid, &room, &me);
    if (rc) return rc;
    int changed = pin ? me.pinned_at == 0 : me.pinned_at != 0;
    if (changed) {
        me.pinned_at = pin ? domain_now_ms() : 0;
        rc = d->store->ops->participant_update(d->store, &me);
    }
    if (rc == 0 && changed) {
        json_t *data;
        if (pin) {
            char at[32];
            domain_time_iso(me.pinned_at, at);
            data = json_pack("{s:I, s:s}", "chat_room_id", (json_int_t)room.id, "pinned_at", at);
        } else {
            data = json_pack("{s:I}", "chat_room_id", (json_int_t)room.id);
        }
        publish_one(d, hub_streams_add_member_rooms, actor,
                    pin ? "chatRoomPinned" : "chatRoomUnPinned", data);
        json_decref(data);
        if (pin) {
            json_t *simple = chat_room_simple_json(d->store, &room, actor);
            publish_one(d, hub_streams_add_member_rooms, actor, "chatRoomUpdated", simple);
            json_decref(simple);
        }
    }
    if (rc == 0) *out = chat_room_json(d->store, &room, actor);
    store_room_clear(&room);
    return rc;
}

int domain_chat_unread_rooms(const domain_chat_t *d, long long actor, json_t **out)
{
    store_room_t *rooms;
    size_t n;
    long long total;
    int rc = d->store->ops->rooms_of_member(d->store, d->community_id, actor, 0, 1000, &rooms, &n,
                                            &total);
    if (rc) return rc;
    json_t *uuids = json_array();
    for (size_t i = 0; i < n; i++) {
        store_participant_t me;
        if (d->store->ops->participant_get(d->store, rooms[i].id, actor, &me) != 0) continue;
        if (d->store->ops->unread_count(d->store, rooms[i].id, actor, me.last_read_message_id) > 0)
            json_array_append_new(uuids, json_string(rooms[i].uuid));
    }
    store_rooms_free(rooms, n);
    *out = json_pack("{s:o}", "chat_rooms", uuids);
    return 0;
}

int domain_chat_participants(const domain_chat_t *d, long long actor, const char *uuid,
                             domain_page_t pg, json_t **out)
{
    store_room_t room;
    int rc = room_for(d, actor, uuid, &room, NULL);
    if (rc) return rc;
    store_participant_t *ps;
    size_t n;
    rc = d->store->ops->participants(d->store, room.id, &ps, &n);
    if (rc == 0) {
        json_t *records = json_array();
        long long off = page_offset(pg);
        for (long long i = off; i < (long long)n && i < off + pg.per_page; i++)
            json_array_append_new(records,
                                  chat_participant_json(d->store, d->community_id, &ps[i]));
        *out = page_json(pg, (long long)n, records);
        free(ps);
    }
    store_room_clear(&room);
    return rc;
}

int domain_chat_participant_remove(const domain_chat_t *d, long long actor, const char *uuid,
                                   long long member, const char **why)
{
    store_room_t room;
    int rc = room_for(d, actor, uuid, &room, NULL);
    if (rc) return rc;
    if (strcmp(room.kind, "group_chat") != 0) {
        *why = "only group rooms change their members";
        rc = ERR_INVAL;
    } else if (actor != member && actor != room.creator_id) {
        *why = "only the creator of a group room can remove others";
        rc = ERR_FORBIDDEN;
    } else {
        rc = d->store->ops->participant_remove(d->store, room.id, member);
    }
    /* Committed: the member's subscriptions to the room go quiet now. */
    if (rc == 0) hub_revoke_room_access(d->hub, room.id, member);
    store_room_clear(&room);
    return rc;
}

/* ---- messages ------------------------------------------------------------------------------- */

int domain_chat_messages(const domain_chat_t *d, long long actor, const char *uuid, long long id,
                         long long before, long long after, json_t **out)
{
    store_room_t room;
    int rc = room_for(d, actor, uuid, &room, NULL);
    if (rc) return rc;
    store_message_t *older = NULL, *newer = NULL, center;
    size_t n_old = 0, n_new = 0;
    int have_center = 0;
    /* One more than asked on each side tells whether more lie beyond. */
    if (id > 0) {
        if ((rc = d->store->ops->message_get(d->store, room.id, id, &center)) != 0) {
            if (rc == ERR_NOT_FOUND) rc = ERR_NO_MESSAGE;
            goto done;
        }
        have_center = 1;
        rc = d->store->ops->messages_page(d->store, room.id, center.parent_id, id, 0, before + 1,
                                          &older, &n_old);
        if (rc == 0)
            rc = d->store->ops->messages_page(d->store, room.id, center.parent_id, id, 1, after + 1,
                                              &newer, &n_new);
    } else {
        /* No anchor: the newest messages. */
        rc = d->store->ops->messages_page(d->store, room.id, 0, (long long)1 << 62, 0, before + 1,
                                          &older, &n_old);
    }
    if (rc) goto done;
    int more_before = (long long)n_old > before, more_after = (long long)n_new > after;
    /* Older rows come ascending: the extra one is the first. */
    size_t skip_old = more_before ? 1 : 0;
    if (more_after) n_new--;
    json_t *records = json_array();
    for (size_t i = skip_old; i < n_old; i++)
        json_array_append_new(records, chat_message_json(d->store, &room, &older[i]));
    if (have_center) json_array_append_new(records, chat_message_json(d->store, &room, &center));
    for (size_t i = 0; i < n_new; i++)
        json_array_append_new(records, chat_message_json(d->store, &room, &newer[i]));
    /* Circle's window: the reference id, the ids of the first and last
     * records, and how many top-level messages (or replies) there are. */
    size_t nrec = json_array_size(records);
    json_t *first = json_object_get(json_array_get(records, 0), "id");
    json_t *last = json_object_get(json_array_get(records, nrec ? nrec - 1 : 0), "id");
    long long total =
        d->store->ops->messages_count(d->store, room.id, have_center ? center.parent_id : 0);
    *out =
        json_pack("{s:o, s:b, s:b, s:O, s:O, s:I, s:o}", "id",
                  have_center ? json_integer(center.id) : (last ? json_incref(last) : json_null()),
                  "has_previous_page", more_before, "has_next_page", more_after, "first_id",
                  first ? first : json_null(), "last_id", last ? last : json_null(), "total_count",
                  (json_int_t)(total > 0 ? total : 0), "records", records);
    if (more_after) n_new++;
done:
    if (have_center) store_message_clear(&center);
    store_messages_free(older, n_old);
    store_messages_free(newer, n_new);
    store_room_clear(&room);
    return rc;
}

struct notify_ctx {
    const domain_chat_t *d;
    const store_room_t *room;
    const store_message_t *m;
    long long skip;     /* the sender */
    long long done[16]; /* members already notified for this message */
    size_t ndone;
};

static void notify_member(struct notify_ctx *c, long long member, const char *action,
                          const char *display)
{
    if (member == c->skip) return;
    for (size_t i = 0; i < c->ndone; i++)
        if (c->done[i] == member) return;
    if (c->ndone == sizeof c->done / sizeof c->done[0]) return;
    /* Only members of the room hear of it. */
    store_participant_t p;
    if (c->d->store->ops->participant_get(c->d->store, c->room->id, member, &p) != 0) return;
    c->done[c->ndone++] = member;
    store_member_t sender;
    int have_sender = c->d->store->ops->member_get(c->d->store, c->d->community_id, c->m->sender_id,
                                                   &sender) == 0;
    store_notification_t n = {
        .community_id = c->d->community_id,
        .member_id = member,
        .actor_id = c->m->sender_id,
        .actor_name = have_sender ? sender.name : NULL,
        .action = (char *)action,
        .display_action = (char *)display,
        .notifiable_type = "ChatRoomMessage",
        .notifiable_id = c->m->id,
        .notifiable_title = c->room->name,
    };
    domain_notify(c->d->store, c->d->hub, &n);
    free(n.extra);
    if (have_sender) store_member_clear(&sender);
}

static void on_mention(void *ud, long long member)
{
    notify_member(ud, member, "mention", "mentioned you");
}

/* The text of a message from a request: rich_text_body (an object, or a
 * JSON string of one) wins over body; a plain body becomes a minimal
 * document. Fills *body and *rich (owned JSON text) and returns 0, or
 * ERR_INVAL with *why naming the field. */
static int message_text(const json_t *in, char **body, char **rich, const char **why)
{
    json_t *r = json_object_get(in, "rich_text_body");
    json_t *b = json_object_get(in, "body");
    *body = *rich = NULL;
    if (r && !json_is_null(r)) {
        json_t *doc = json_is_string(r) ? json_loads(json_string_value(r), 0, NULL)
                                        : json_incref((json_t *)r);
        *body = chat_body_from_rich_text(doc);
        if (*body) *rich = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        *why = "rich_text_body";
    } else if (json_is_string(b) && json_string_length(b) > 0) {
        *body = xstrdup(json_string_value(b));
        json_t *doc = chat_rich_text_from_body(*body);
        *rich = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        *why = "body";
    } else {
        *why = "body";
    }
    if (!*body || !*rich || strlen(*body) > BODY_MAX_LEN || strlen(*rich) > 4 * BODY_MAX_LEN ||
        !utf8_valid(*body, strlen(*body))) {
        free(*body);
        free(*rich);
        *body = *rich = NULL;
        return ERR_INVAL;
    }
    return 0;
}

/* The message 'id' of room 'uuid' if 'actor' may change it: a participant
 * and its sender. ERR_NOT_FOUND (room), ERR_NO_MESSAGE, ERR_FORBIDDEN. */
static int own_message(const domain_chat_t *d, long long actor, const char *uuid, long long id,
                       store_room_t *room, store_message_t *m)
{
    int rc = room_for(d, actor, uuid, room, NULL);
    if (rc) return rc;
    rc = d->store->ops->message_get(d->store, room->id, id, m);
    if (rc == 0 && m->sender_id != actor) {
        store_message_clear(m);
        rc = ERR_FORBIDDEN;
    }
    if (rc) {
        store_room_clear(room);
        return rc == ERR_NOT_FOUND ? ERR_NO_MESSAGE : rc;
    }
    return 0;
}

int domain_chat_message_send(const domain_chat_t *d, long long actor, const char *uuid,
                             const json_t *in, json_t **out, const char **why)
{
    store_room_t room;
    store_participant_t me;
    int rc = room_for(d, actor, uuid, &room, &me);
    if (rc) return rc;
    store_message_t m = {.room_id = room.id, .participant_id = me.id, .sender_id = actor};
    store_message_t parent = {0};
    json_t *parent_id = json_object_get(in, "parent_message_id");
    json_t *creation = json_object_get(in, "creation_uuid");
    if ((rc = message_text(in, &m.body, &m.rich_text_body, why)) != 0) goto done;
    if (creation && !json_is_null(creation)) {
        if (!json_is_string(creation) || json_string_length(creation) > 64) {
            *why = "creation_uuid";
            rc = ERR_INVAL;
            goto done;
        }
        m.creation_uuid = xstrdup(json_string_value(creation));
    }
    if (parent_id && !json_is_null(parent_id)) {
        long long pid = json_is_integer(parent_id) ? json_integer_value(parent_id) : 0;
        /* Replies hang off top-level messages of the same room. */
        if (pid <= 0 || d->store->ops->message_get(d->store, room.id, pid, &parent) != 0 ||
            parent.parent_id != 0) {
            *why = "parent_message_id";
            rc = ERR_INVAL;
            goto done;
        }
        m.parent_id = pid;
    }
    if ((rc = d->store->ops->message_create(d->store, &m)) != 0) goto done;

    /* Committed. One event for the room stream, every participant's own
     * chat-room stream (a top-level message of a direct or group room) and
     * the thread's participants' threads streams (a reply). */
    json_t *msg = chat_message_json(d->store, &room, &m);
    hub_streams_t streams = HUB_STREAMS_INIT;
    hub_streams_add_room(&streams, room.id);
    if (!m.parent_id && !is_embedded(room.kind)) {
        store_participant_t *ps;
        size_t n;
        if (d->store->ops->participants(d->store, room.id, &ps, &n) == 0) {
            for (size_t i = 0; i < n; i++) hub_streams_add_member_rooms(&streams, ps[i].member_id);
            free(ps);
        }
    }
    if (m.parent_id) add_thread_streams(d, room.id, m.parent_id, &streams);
    publish(d, &streams, "newMessage", msg);
    hub_streams_deinit(&streams);
    json_decref(msg);
    /* Notifications: the parent's author for a reply, and every member
     * mentioned; never the sender, at most once each. */
    struct notify_ctx nc = {.d = d, .room = &room, .m = &m, .skip = actor};
    if (m.parent_id) notify_member(&nc, parent.sender_id, "reply", "replied to your message");
    json_t *doc = json_loads(m.rich_text_body, 0, NULL);
    chat_rich_text_mentions(doc, on_mention, &nc);
    json_decref(doc);

    char sent[32];
    domain_time_iso(m.created_at, sent);
    *out = json_pack("{s:s?, s:o, s:s, s:I}", "creation_uuid", m.creation_uuid, "parent_message_id",
                     m.parent_id ? json_integer(m.parent_id) : json_null(), "sent_at", sent, "id",
                     (json_int_t)m.id);
done:
    store_message_clear(&m);
    store_message_clear(&parent);
    store_room_clear(&room);
    return rc;
}

int domain_chat_message_show(const domain_chat_t *d, long long actor, const char *uuid,
                             long long id, json_t **out)
{
    store_room_t room;
    int rc = room_for(d, actor, uuid, &room, NULL);
    if (rc) return rc;
    store_message_t m;
    if ((rc = d->store->ops->message_get(d->store, room.id, id, &m)) == 0) {
        *out = chat_message_json(d->store, &room, &m);
        store_message_clear(&m);
    } else if (rc == ERR_NOT_FOUND) {
        rc = ERR_NO_MESSAGE;
    }
    store_room_clear(&room);
    return rc;
}

/* A message event on the room stream and, for a reply, on the threads
 * streams of the thread's participants. */
static void publish_message_event(const domain_chat_t *d, const store_room_t *room,
                                  long long parent_id, const char *event, json_t *data)
{
    hub_streams_t streams = HUB_STREAMS_INIT;
    hub_streams_add_room(&streams, room->id);
    if (parent_id) add_thread_streams(d, room->id, parent_id, &streams);
    publish(d, &streams, event, data);
    hub_streams_deinit(&streams);
}

int domain_chat_message_edit(const domain_chat_t *d, long long actor, const char *uuid,
                             long long id, const json_t *in, json_t **out, const char **why)
{
    store_room_t room;
    store_message_t m;
    int rc = own_message(d, actor, uuid, id, &room, &m);
    if (rc) return rc;
    char *body, *rich;
    if ((rc = message_text(in, &body, &rich, why)) != 0) goto done;
    free(m.body);
    free(m.rich_text_body);
    m.body = body;
    m.rich_text_body = rich;
    m.edited_at = domain_now_ms();
    if ((rc = d->store->ops->message_update(d->store, &m)) != 0) goto done;
    json_t *msg = chat_message_json(d->store, &room, &m);
    publish_message_event(d, &room, m.parent_id, "updatedMessage", msg);
    *out = msg;
done:
    store_message_clear(&m);
    store_room_clear(&room);
    return rc;
}

int domain_chat_message_delete(const domain_chat_t *d, long long actor, const char *uuid,
                               long long id)
{
    store_room_t room;
    store_message_t m;
    int rc = own_message(d, actor, uuid, id, &room, &m);
    if (rc) return rc;
    /* The streams, read before the reply is gone: its author may have been
     * the thread's only other participant. */
    hub_streams_t streams = HUB_STREAMS_INIT;
    hub_streams_add_room(&streams, room.id);
    if (m.parent_id) add_thread_streams(d, room.id, m.parent_id, &streams);
    if ((rc = d->store->ops->message_delete(d->store, &m)) != 0) {
        hub_streams_deinit(&streams);
        goto done;
    }
    json_t *parent = json_null();
    store_message_t p;
    if (m.parent_id && d->store->ops->message_get(d->store, room.id, m.parent_id, &p) == 0) {
        parent = chat_message_json(d->store, &room, &p);
        store_message_clear(&p);
    }
    json_t *data = json_pack("{s:I, s:o}", "id", (json_int_t)m.id, "parent_message", parent);
    publish(d, &streams, "deletedMessage", data);
    json_decref(data);
    hub_streams_deinit(&streams);
done:
    store_message_clear(&m);
    store_room_clear(&room);
    return rc;
}

/* ---- threads -------------------------------------------------------------------------------- */

static json_t *thread_json(const domain_chat_t *d, long long actor, const store_message_t *parent)
{
    store_room_t room;
    if (d->store->ops->room_get(d->store, d->community_id, parent->room_id, NULL, &room) != 0)
        return NULL;
    long long last_read = d->store->ops->thread_read_get(d->store, parent->id, actor);
    long long unread = d->store->ops->thread_unread_count(d->store, parent->id, actor,
                                                          last_read > 0 ? last_read : 0);
    json_t *o =
        json_pack("{s:I, s:s, s:I, s:I, s:o}", "id", (json_int_t)parent->id, "chat_room_uuid",
                  room.uuid, "replies_count", (json_int_t)parent->replies_count,
                  "unread_messages_count", (json_int_t)(unread > 0 ? unread : 0), "parent_message",
                  chat_message_json(d->store, &room, parent));
    store_room_clear(&room);
    return o;
}

int domain_chat_threads(const domain_chat_t *d, long long actor, domain_page_t pg, json_t **out)
{
    store_message_t *rows;
    size_t n;
    /* One more than a page tells whether another page follows. */
    int rc = d->store->ops->threads_of_member(d->store, d->community_id, actor, page_offset(pg),
                                              pg.per_page + 1, &rows, &n);
    if (rc) return rc;
    json_t *records = json_array();
    for (size_t i = 0; i < n && (long long)i < pg.per_page; i++) {
        json_t *t = thread_json(d, actor, &rows[i]);
        if (t) json_array_append_new(records, t);
    }
    *out = json_pack("{s:I, s:I, s:b, s:o}", "page", (json_int_t)pg.page, "per_page",
                     (json_int_t)pg.per_page, "has_next_page", (long long)n > pg.per_page,
                     "records", records);
    store_messages_free(rows, n);
    return 0;
}

/* The thread 'id' (a parent message) if 'actor' is in its room. */
static int thread_for(const domain_chat_t *d, long long actor, long long id, store_message_t *out)
{
    int rc = d->store->ops->message_find(d->store, id, out);
    if (rc) return rc;
    store_room_t room;
    store_participant_t p;
    if (out->parent_id != 0 ||
        d->store->ops->room_get(d->store, d->community_id, out->room_id, NULL, &room) != 0) {
        store_message_clear(out);
        return ERR_NOT_FOUND;
    }
    rc = d->store->ops->participant_get(d->store, room.id, actor, &p);
    store_room_clear(&room);
    if (rc) store_message_clear(out);
    return rc;
}

int domain_chat_thread_show(const domain_chat_t *d, long long actor, long long id, json_t **out)
{
    store_message_t parent;
    int rc = thread_for(d, actor, id, &parent);
    if (rc) return rc;
    json_t *t = thread_json(d, actor, &parent);
    if (!t) {
        store_message_clear(&parent);
        return ERR_NOT_FOUND;
    }
    store_room_t room;
    store_message_t *replies;
    size_t n;
    if (d->store->ops->room_get(d->store, d->community_id, parent.room_id, NULL, &room) == 0) {
        if (d->store->ops->messages_page(d->store, parent.room_id, parent.id, 0, 1, 1000, &replies,
                                         &n) == 0) {
            json_t *arr = json_array();
            for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, chat_message_json(d->store, &room, &replies[i]));
            json_object_set_new(t, "replies", arr);
            store_messages_free(replies, n);
        }
        store_room_clear(&room);
    }
    store_message_clear(&parent);
    *out = t;
    return 0;
}

int domain_chat_unread_threads(const domain_chat_t *d, long long actor, json_t **out)
{
    store_message_t *rows;
    size_t n;
    int rc = d->store->ops->threads_of_member(d->store, d->community_id, actor, 0, 1000, &rows, &n);
    if (rc) return rc;
    json_t *ids = json_array();
    for (size_t i = 0; i < n; i++) {
        long long last = d->store->ops->thread_read_get(d->store, rows[i].id, actor);
        if (d->store->ops->thread_unread_count(d->store, rows[i].id, actor, last > 0 ? last : 0) >
            0)
            json_array_append_new(ids, json_integer(rows[i].id));
    }
    store_messages_free(rows, n);
    *out = json_pack("{s:o}", "chat_thread_ids", ids);
    return 0;
}

int domain_chat_thread_read(const domain_chat_t *d, long long actor, long long id)
{
    store_message_t parent;
    int rc = thread_for(d, actor, id, &parent);
    if (rc) return rc;
    long long last = d->store->ops->thread_last_reply(d->store, parent.id);
    if (last > 0) rc = d->store->ops->thread_read_set(d->store, parent.id, actor, last);
    store_message_clear(&parent);
    if (rc) return rc;
    json_t *data = json_pack("{s:I}", "chat_thread_id", (json_int_t)id);
    publish_one(d, hub_streams_add_member_threads, actor, "chatThreadRead", data);
    json_decref(data);
    return 0;
}

/* ---- access --------------------------------------------------------------------------------- */

int domain_chat_room_access(const domain_chat_t *d, long long member, long long *room_id,
                            const char *uuid, uint64_t *version)
{
    store_room_t room;
    if (d->store->ops->room_get(d->store, d->community_id, *room_id, uuid, &room) != 0) return 0;
    *room_id = room.id;
    store_room_clear(&room);
    /* Read before the check: a removal committed after this moves it. */
    *version = hub_access_version(d->hub, *room_id);
    store_participant_t p;
    return d->store->ops->participant_get(d->store, *room_id, member, &p) == 0;
}
