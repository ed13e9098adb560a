/* domain/chat: the rules of rooms and participants and their events.
 * Messages, threads and reactions are in chat_messages.c. See chat.h.
 *
 * Every rule reads the room once (domain/chat_read.h), decides, writes, and
 * shapes what it answers and publishes from what it read: a room of N
 * members costs a fixed number of statements and N views of constant size. */
#include "domain/chat_internal.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/rand.h"
#include "core/utf8.h"
#include "domain/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN        255
#define DESCRIPTION_MAX_LEN 2000
#define GROUP_MAX_MEMBERS   500

/* ---- helpers -------------------------------------------------------------------------------- */

int domain__is_embedded(const char *kind)
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

void domain__uuid(char out[40])
{
    uint8_t b[16];
    rand_bytes(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

void domain__publish(const domain_chat_t *d, const hub_streams_t *streams, const char *event,
                     const json_t *data)
{
    hub_publish_event(d->hub, streams, event, data);
}

void domain__publish_one(const domain_chat_t *d, void (*add)(hub_streams_t *, long long),
                         long long id, const char *event, const json_t *data)
{
    hub_streams_t streams = HUB_STREAMS_INIT;
    add(&streams, id);
    domain__publish(d, &streams, event, data);
    hub_streams_deinit(&streams);
}

int domain__add_thread_streams(const domain_chat_t *d, const chat_snapshot_t *s,
                               long long parent_id, hub_streams_t *streams)
{
    /* A member removed from the room hears nothing more of its threads. */
    long long *ids;
    size_t n;
    int rc = d->store->ops->thread_senders(d->store, parent_id, &ids, &n);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++)
        if (chat_snapshot_person(s, ids[i])) hub_streams_add_member_threads(streams, ids[i]);
    free(ids);
    return 0;
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
                     (json_int_t)total, "page_count", (json_int_t)(pages ? pages : 1), "records",
                     records);
}

/* ---- reading a room ------------------------------------------------------------------------- */

int domain__room_refresh(const domain_chat_t *d, domain_room_t *r)
{
    chat_views_clear(&r->_views);
    for (size_t i = 0; i < r->_nmsgs; i++) store_message_clear(&r->_msgs[i]);
    r->_nmsgs = 0;
    int rc = d->store->ops->message_last(d->store, r->snap.room.id, &r->_msgs[0]);
    int has_last = rc == 0;
    if (rc && rc != ERR_NOT_FOUND) return rc;
    if (has_last) r->_nmsgs++;
    int has_pinned = 0;
    long long pin = r->snap.room.pinned_message_id;
    if (pin && has_last && r->_msgs[0].id == pin) {
        has_pinned = 2; /* the last one */
    } else if (pin) {
        rc = d->store->ops->message_get(d->store, r->snap.room.id, pin, &r->_msgs[r->_nmsgs]);
        if (rc && rc != ERR_NOT_FOUND) return rc;
        if (rc == 0) {
            r->_nmsgs++;
            has_pinned = 1;
        }
    }
    if ((rc = chat_views_read(d, &r->snap, r->_msgs, r->_nmsgs, &r->_views)) != 0) return rc;
    r->view = (chat_room_view_t){
        .room = &r->snap.room,
        .people = r->snap.people,
        .count = r->snap.count,
        .last = has_last ? &r->_views.v[0] : NULL,
        .pinned = has_pinned == 2 ? &r->_views.v[0]
                  : has_pinned    ? &r->_views.v[r->_nmsgs - 1]
                                  : NULL,
    };
    return 0;
}

int domain__room_read(const domain_chat_t *d, long long actor, long long room_id, const char *uuid,
                      long long viewer, domain_room_t *out)
{
    memset(out, 0, sizeof *out);
    chat_key(d, &out->key);
    int rc = chat_snapshot_read(d, room_id, uuid, viewer, &out->snap);
    if (rc) return rc;
    /* A room the actor is not in does not exist for them. */
    if (actor && !chat_snapshot_person(&out->snap, actor)) rc = ERR_NOT_FOUND;
    if (rc == 0) rc = domain__room_refresh(d, out);
    if (rc) domain__room_clear(out);
    return rc;
}

void domain__room_clear(domain_room_t *r)
{
    chat_views_clear(&r->_views);
    for (size_t i = 0; i < r->_nmsgs; i++) store_message_clear(&r->_msgs[i]);
    chat_snapshot_clear(&r->snap);
    memset(r, 0, sizeof *r);
}

/* The member whose view the host application gets: the first to join. */
static long long first_member(const domain_room_t *r)
{
    return r->snap.count ? r->snap.people[0].p.member_id : 0;
}

/* ---- rooms ---------------------------------------------------------------------------------- */

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* Publish chatRoomCreated to every participant of a new direct or group
 * room, each with their own view. */
static void announce_created(const domain_chat_t *d, domain_room_t *r)
{
    if (domain__is_embedded(r->snap.room.kind)) return;
    for (size_t i = 0; i < r->snap.count; i++) {
        long long member = r->snap.people[i].p.member_id;
        json_t *view = chat_room_json(&r->key, &r->view, member);
        domain__publish_one(d, hub_streams_add_member_rooms, member, "chatRoomCreated", view);
        json_decref(view);
    }
}

/* An existing direct room asked for again: its view, and the first message
 * sent into it when there is one. */
static int existing_direct(const domain_chat_t *d, long long actor, long long viewer,
                           const char *identifier, const json_t *first, json_t **out,
                           const char **why, const char **problem)
{
    store_room_t existing;
    int rc = d->store->ops->room_find_identifier(d->store, d->community_id, identifier, &existing);
    if (rc) return rc;
    domain_room_t r;
    rc = domain__room_read(d, 0, existing.id, NULL, viewer, &r);
    store_room_clear(&existing);
    if (rc) return rc;
    if (first) {
        struct domain_new_message nm;
        rc = domain__message_prepare(d, &r.key, &r.snap, actor, first, &nm, why, problem);
        if (rc == 0 && (rc = d->store->ops->message_create(d->store, &nm.m)) == 0) {
            /* Committed: the room as it is now, for the answer and the events. */
            if ((rc = chat_snapshot_reload(d, &r.snap, viewer)) == 0 &&
                (rc = domain__room_refresh(d, &r)) == 0)
                domain__message_announce(d, &r, &nm);
        }
        domain__new_message_clear(&nm);
    }
    if (rc == 0) *out = chat_room_json(&r.key, &r.view, viewer);
    domain__room_clear(&r);
    return rc;
}

int domain_chat_room_create(const domain_chat_t *d, long long actor, const char *kind,
                            const char *name, const long long *members, size_t count, int admin,
                            const json_t *first, json_t **out, int *created, const char **why,
                            const char **problem)
{
    *out = NULL;
    *created = 0;
    *problem = "is invalid";
    if (!kind_valid(kind) || (!admin && domain__is_embedded(kind))) {
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
    char *identifier = NULL;
    struct domain_new_message nm;
    memset(&nm, 0, sizeof nm);
    domain_room_t r;
    memset(&r, 0, sizeof r);
    long long viewer = actor ? actor : (n ? ids[0] : 0);
    if (n == 0 || n > GROUP_MAX_MEMBERS || ids[0] <= 0 || (strcmp(kind, "direct") == 0 && n != 2)) {
        *why = "community_member_ids";
        rc = ERR_INVAL;
        goto done;
    }
    if (first && !actor) {
        *why = "rich_text_body";
        *problem = "needs a sender: only members send messages";
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
    char uuid[40];
    domain__uuid(uuid);
    identifier = chat_room_identifier(kind, uuid, ids, n);
    /* One direct room per pair: give back the one that exists. */
    if (strcmp(kind, "direct") == 0) {
        rc = existing_direct(d, actor, viewer, identifier, first, out, why, problem);
        if (rc != ERR_NOT_FOUND) goto done;
    }
    domain_sgid_key_t key;
    chat_key(d, &key);
    if (first &&
        (rc = domain__message_prepare(d, &key, NULL, actor, first, &nm, why, problem)) != 0)
        goto done;
    /* A room the host application creates (admin, no actor) has no member
     * creator: nobody gets a creator's rights over it. */
    store_room_t room = {.community_id = d->community_id, .show_history = 1, .creator_id = actor};
    snprintf(room.kind, sizeof room.kind, "%s", kind);
    memcpy(room.uuid, uuid, sizeof room.uuid);
    room.identifier = identifier;
    room.name = strcmp(kind, "direct") == 0 ? NULL : (char *)name;
    rc = d->store->ops->room_create(d->store, &room, ids, n, first ? &nm.m : NULL);
    if (rc == ERR_CONFLICT && strcmp(kind, "direct") == 0) {
        /* Created meanwhile by the other member. */
        rc = existing_direct(d, actor, viewer, identifier, first, out, why, problem);
        goto done;
    }
    if (rc) goto done;
    *created = 1;
    /* Committed: one read of the room, then every participant's own view. */
    if ((rc = domain__room_read(d, 0, room.id, NULL, 0, &r)) != 0) goto done;
    announce_created(d, &r);
    if (first) domain__message_announce(d, &r, &nm);
    *out = chat_room_json(&r.key, &r.view, viewer);
done:
    domain__room_clear(&r);
    domain__new_message_clear(&nm);
    free(identifier);
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
    for (size_t i = 0; i < n && rc == 0; i++) {
        domain_room_t r;
        rc = domain__room_read(d, actor, rooms[i].id, NULL, actor, &r);
        if (rc == ERR_NOT_FOUND) { /* left meanwhile */
            rc = 0;
            continue;
        }
        if (rc == 0) json_array_append_new(records, chat_room_json(&r.key, &r.view, actor));
        domain__room_clear(&r);
    }
    store_rooms_free(rooms, n);
    if (rc) {
        json_decref(records);
        return rc;
    }
    *out = page_json(pg, total, records);
    return 0;
}

int domain_chat_room_show(const domain_chat_t *d, long long actor, const char *uuid, json_t **out)
{
    domain_room_t r;
    int rc = domain__room_read(d, actor, 0, uuid, actor, &r);
    if (rc) return rc;
    *out = chat_room_json(&r.key, &r.view, actor);
    domain__room_clear(&r);
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
    domain_room_t r;
    /* The host application (actor 0) reaches every room of the community. */
    int rc = domain__room_read(d, actor, 0, uuid, actor, &r);
    if (rc) return rc;
    store_room_t *room = &r.snap.room;
    int renamed = 0, other = 0;
    json_t *v;
    if (json_object_get(fields, "name") || json_object_get(fields, "description") ||
        json_object_get(fields, "show_history")) {
        /* Direct rooms have no attributes of their own; a group room's
         * belong to its creator (the host application's rooms: to it). */
        if (strcmp(room->kind, "direct") == 0) {
            *why = "direct rooms cannot be renamed";
            rc = ERR_INVAL;
            goto done;
        }
        if (room->creator_id != actor) {
            rc = ERR_FORBIDDEN;
            goto done;
        }
    }
    /* The pinned message is the participants' to share, except in rooms the
     * host application created, whose attributes are all its own. */
    if (actor && json_object_get(fields, "pinned_message_id") && room->creator_id == 0 &&
        strcmp(room->kind, "direct") != 0) {
        *why = "only the host application changes this room";
        rc = ERR_FORBIDDEN;
        goto done;
    }
    if ((rc = take_string(fields, "name", NAME_MAX_LEN, &room->name, &renamed, why)) != 0 ||
        (rc = take_string(fields, "description", DESCRIPTION_MAX_LEN, &room->description, &other,
                          why)) != 0)
        goto done;
    if ((v = json_object_get(fields, "show_history"))) {
        if (!json_is_boolean(v)) {
            *why = "show_history";
            rc = ERR_INVAL;
            goto done;
        }
        if (json_is_true(v) != room->show_history) {
            room->show_history = json_is_true(v);
            other = 1;
        }
    }
    if ((v = json_object_get(fields, "pinned_message_id"))) {
        long long id = json_is_null(v) ? 0 : json_is_integer(v) ? json_integer_value(v) : -1;
        store_message_t m;
        if (id < 0 || (id > 0 && d->store->ops->message_get(d->store, room->id, id, &m) != 0)) {
            *why = "pinned_message_id";
            rc = ERR_INVAL;
            goto done;
        }
        if (id > 0) store_message_clear(&m);
        if (id != room->pinned_message_id) {
            room->pinned_message_id = id;
            other = 1;
        }
    }
    long long viewer = actor ? actor : first_member(&r);
    if (renamed || other) {
        if ((rc = d->store->ops->room_update(d->store, room)) != 0) goto done;
        if ((rc = domain__room_refresh(d, &r)) != 0) goto done;
        json_t *simple = chat_room_simple_json(&r.key, &r.view, actor ? actor : room->creator_id);
        domain__publish_one(d, hub_streams_add_room, room->id, "chatRoomUpdated", simple);
        json_decref(simple);
        if (renamed && !domain__is_embedded(room->kind)) {
            for (size_t i = 0; i < r.snap.count; i++) {
                long long member = r.snap.people[i].p.member_id;
                json_t *view = chat_room_simple_json(&r.key, &r.view, member);
                domain__publish_one(d, hub_streams_add_member_rooms, member, "chatRoomUpdated",
                                    view);
                json_decref(view);
            }
        }
    }
    *out = chat_room_json(&r.key, &r.view, viewer);
done:
    domain__room_clear(&r);
    return rc;
}

int domain_chat_room_delete(const domain_chat_t *d, long long actor, const char *uuid,
                            const char **why)
{
    chat_snapshot_t s;
    int rc = chat_snapshot_read(d, 0, uuid, actor, &s);
    if (rc) return rc;
    if (!chat_snapshot_person(&s, actor)) {
        rc = ERR_NOT_FOUND;
    } else if (strcmp(s.room.kind, "group_chat") != 0 || s.room.creator_id != actor) {
        *why = "only the creator of a group room can delete it";
        rc = ERR_FORBIDDEN;
    } else if ((rc = d->store->ops->room_delete(d->store, s.room.id)) == 0) {
        /* Subscriptions to the room stop receiving at once, on every node. */
        hub_revoke_room_access(d->hub, s.room.id, 0);
        hub_streams_t streams = HUB_STREAMS_INIT;
        for (size_t i = 0; i < s.count; i++)
            hub_streams_add_member_rooms(&streams, s.people[i].p.member_id);
        json_t *data = json_pack("{s:s}", "chat_room_uuid", s.room.uuid);
        domain__publish(d, &streams, "chatRoomDeleted", data);
        json_decref(data);
        hub_streams_deinit(&streams);
    }
    chat_snapshot_clear(&s);
    return rc;
}

/* The actor's own participant in a snapshot (the caller checked there is one). */
static store_participant_t *mine(chat_snapshot_t *s, long long actor)
{
    return (store_participant_t *)&chat_snapshot_person(s, actor)->p;
}

int domain_chat_room_read(const domain_chat_t *d, long long actor, const char *uuid)
{
    chat_snapshot_t s;
    int rc = chat_snapshot_read(d, 0, uuid, actor, &s);
    if (rc) return rc;
    if (!chat_snapshot_person(&s, actor)) {
        chat_snapshot_clear(&s);
        return ERR_NOT_FOUND;
    }
    store_participant_t *me = mine(&s, actor);
    store_message_t last;
    if ((rc = d->store->ops->message_last(d->store, s.room.id, &last)) == 0) {
        if (last.id > me->last_read_message_id) {
            me->last_read_message_id = last.id;
            rc = d->store->ops->participant_update(d->store, me);
        }
        store_message_clear(&last);
    } else if (rc == ERR_NOT_FOUND) {
        rc = 0;
    }
    if (rc == 0) {
        json_t *data = json_pack("{s:s}", "chat_room_uuid", s.room.uuid);
        domain__publish_one(d, hub_streams_add_member_rooms, actor, "chatRoomRead", data);
        json_decref(data);
    }
    chat_snapshot_clear(&s);
    return rc;
}

int domain_chat_room_pin(const domain_chat_t *d, long long actor, const char *uuid, int pin,
                         json_t **out)
{
    domain_room_t r;
    int rc = domain__room_read(d, actor, 0, uuid, actor, &r);
    if (rc) return rc;
    store_participant_t *me = mine(&r.snap, actor);
    int changed = pin ? me->pinned_at == 0 : me->pinned_at != 0;
    if (changed) {
        me->pinned_at = pin ? domain_now_ms() : 0;
        rc = d->store->ops->participant_update(d->store, me);
    }
    if (rc == 0 && changed) {
        json_t *data;
        if (pin) {
            char at[32];
            domain_time_iso(me->pinned_at, at);
            data = json_pack("{s:I, s:s}", "chat_room_id", (json_int_t)r.snap.room.id, "pinned_at",
                             at);
        } else {
            data = json_pack("{s:I}", "chat_room_id", (json_int_t)r.snap.room.id);
        }
        domain__publish_one(d, hub_streams_add_member_rooms, actor,
                            pin ? "chatRoomPinned" : "chatRoomUnPinned", data);
        json_decref(data);
        if (pin) {
            json_t *simple = chat_room_simple_json(&r.key, &r.view, actor);
            domain__publish_one(d, hub_streams_add_member_rooms, actor, "chatRoomUpdated", simple);
            json_decref(simple);
        }
    }
    if (rc == 0) *out = chat_room_json(&r.key, &r.view, actor);
    domain__room_clear(&r);
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
        /* Muted and archived rooms are out of the member's inbox. */
        if (me.muted == STORE_MUTED_ALL || me.archived) continue;
        if (d->store->ops->unread_count(d->store, rooms[i].id, actor, me.last_read_message_id) > 0)
            json_array_append_new(uuids, json_string(rooms[i].uuid));
    }
    store_rooms_free(rooms, n);
    *out = json_pack("{s:o}", "chat_rooms", uuids);
    return 0;
}

int domain_chat_inbox_count(const domain_chat_t *d, long long actor, long long *out)
{
    json_t *rooms = NULL;
    int rc = domain_chat_unread_rooms(d, actor, &rooms);
    if (rc) return rc;
    *out = (long long)json_array_size(json_object_get(rooms, "chat_rooms"));
    json_decref(rooms);
    return 0;
}

int domain_chat_participants(const domain_chat_t *d, long long actor, const char *uuid,
                             domain_page_t pg, json_t **out)
{
    chat_snapshot_t s;
    int rc = chat_snapshot_read(d, 0, uuid, actor, &s);
    if (rc) return rc;
    if (!chat_snapshot_person(&s, actor)) {
        chat_snapshot_clear(&s);
        return ERR_NOT_FOUND;
    }
    domain_sgid_key_t key;
    chat_key(d, &key);
    json_t *records = json_array();
    long long off = page_offset(pg);
    for (long long i = off; i < (long long)s.count && i < off + pg.per_page; i++)
        json_array_append_new(records, chat_participant_json(&key, &s.room, &s.people[i]));
    *out = page_json(pg, (long long)s.count, records);
    chat_snapshot_clear(&s);
    return 0;
}

int domain_chat_participant_update(const domain_chat_t *d, long long actor, const char *uuid,
                                   long long participant_id, const json_t *fields, json_t **out,
                                   const char **why)
{
    domain_room_t r;
    int rc = domain__room_read(d, actor, 0, uuid, actor, &r);
    if (rc) return rc;
    store_participant_t *me = mine(&r.snap, actor);
    json_t *muted = json_object_get(fields, "muted");
    json_t *archived = json_object_get(fields, "archived");
    if (me->id != participant_id) {
        /* Mute and archive are each member's own; nobody changes another's. */
        int other = 0;
        for (size_t i = 0; i < r.snap.count; i++) other |= r.snap.people[i].p.id == participant_id;
        rc = other ? ERR_FORBIDDEN : ERR_NO_RECORD;
        *why = "You can only change your own participation";
    } else if (json_object_get(fields, "admin")) {
        rc = ERR_FORBIDDEN;
        *why = "Only admin is eligible to set/reset this";
    } else if ((muted && !json_is_boolean(muted)) || (archived && !json_is_boolean(archived))) {
        rc = ERR_INVAL;
        *why = muted && !json_is_boolean(muted) ? "muted" : "archived";
    } else {
        if (muted) me->muted = json_is_true(muted) ? STORE_MUTED_ALL : STORE_MUTED_NO;
        if (archived) me->archived = json_is_true(archived);
        rc = d->store->ops->participant_update(d->store, me);
    }
    if (rc == 0) *out = chat_room_json(&r.key, &r.view, actor);
    domain__room_clear(&r);
    return rc;
}

int domain_chat_participant_remove(const domain_chat_t *d, long long actor, const char *uuid,
                                   long long member, const char **why)
{
    chat_snapshot_t s;
    int rc = chat_snapshot_read(d, 0, uuid, actor, &s);
    if (rc) return rc;
    if (!chat_snapshot_person(&s, actor)) {
        rc = ERR_NOT_FOUND;
    } else if (strcmp(s.room.kind, "group_chat") != 0) {
        *why = "only group rooms change their members";
        rc = ERR_INVAL;
    } else if (actor != member && actor != s.room.creator_id) {
        *why = "only the creator of a group room can remove others";
        rc = ERR_FORBIDDEN;
    } else {
        rc = d->store->ops->participant_remove(d->store, s.room.id, member);
    }
    /* Committed: the member's subscriptions to the room go quiet now. */
    if (rc == 0) hub_revoke_room_access(d->hub, s.room.id, member);
    chat_snapshot_clear(&s);
    return rc;
}

/* ---- space notification choices -------------------------------------------------------------- */

static const char *const choices[] = {"all", "never", "mention"}; /* by STORE_MUTED_* */

static int choice_of(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, choices[i]) == 0) return i;
    return -1;
}

/* Call 'cb' for each of the actor's participations in a room of kind
 * "space" (stopping at a non-zero return, which it returns). */
static int each_space(const domain_chat_t *d, long long actor,
                      int (*cb)(const domain_chat_t *d, store_room_t *room, store_participant_t *p,
                                void *ud),
                      void *ud)
{
    store_room_t *rooms;
    size_t n;
    long long total;
    int rc = d->store->ops->rooms_of_member(d->store, d->community_id, actor, 0, -1, &rooms, &n,
                                            &total);
    if (rc) return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (strcmp(rooms[i].kind, "space") != 0) continue;
        store_participant_t p;
        if ((rc = d->store->ops->participant_get(d->store, rooms[i].id, actor, &p)) == ERR_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc == 0) rc = cb(d, &rooms[i], &p, ud);
    }
    store_rooms_free(rooms, n);
    return rc;
}

struct space_op {
    long long participant_id; /* 0: every space */
    int set;                  /* the choice to set, -1: read */
    json_t *out;
    int found;
};

static int on_space(const domain_chat_t *d, store_room_t *room, store_participant_t *p, void *ud)
{
    struct space_op *op = ud;
    if (op->participant_id && p->id != op->participant_id) return 0;
    op->found = 1;
    if (op->set >= 0 && p->muted != op->set) {
        p->muted = op->set;
        int rc = d->store->ops->participant_update(d->store, p);
        if (rc) return rc;
    }
    const char *choice = choices[p->muted >= 0 && p->muted < 3 ? p->muted : 0];
    if (op->participant_id) {
        /* cabled sends no push notifications: one choice stands for both mediums. */
        op->out = json_pack("{s:s, s:s}", "in_app", choice, "push", choice);
    } else if (op->out) {
        json_array_append_new(op->out, json_pack("{s:I, s:I, s:s, s:s, s:b}", "id",
                                                 (json_int_t)p->id, "space_id",
                                                 (json_int_t)room->id, "space_name",
                                                 room->name ? room->name : "", "choice", choice,
                                                 "is_chat_space", 1));
    }
    return 0;
}

int domain_chat_space_choice(const domain_chat_t *d, long long actor, long long participant_id,
                             const char *set, json_t **out)
{
    struct space_op op = {.participant_id = participant_id, .set = set ? choice_of(set) : -1};
    if (set && op.set < 0) return ERR_INVAL;
    if (!participant_id) op.out = json_array();
    int rc = each_space(d, actor, on_space, &op);
    if (rc == 0 && participant_id && !op.found) rc = ERR_NOT_FOUND;
    if (rc) {
        json_decref(op.out);
        return rc;
    }
    if (out)
        *out = op.out;
    else
        json_decref(op.out);
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
