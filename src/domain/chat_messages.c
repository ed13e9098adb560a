/* domain/chat_messages: the rules of messages, threads and reactions, the
 * events they produce and the notifications they make. See chat.h. */
#include "domain/chat_internal.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/utf8.h"
#include "domain/chat_text.h"
#include "domain/notifications.h"
#include "domain/time.h"
#include "domain/uploads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CREATION_UUID_MAX 64

/* ---- notifications -------------------------------------------------------------------------- */

/* Who hears of a new message: a reply's parent author and every member it
 * mentions, each once, never the sender, only participants of the room
 * who have not muted it, however many they are. */
struct notify_ctx {
    const domain_chat_t *d;
    domain_room_t *r;
    const store_message_t *m;
    long long *done;
    size_t ndone, cap;
};

static void notify_member(struct notify_ctx *c, long long member, const char *kind,
                          const char *action, const char *display)
{
    if (member == c->m->sender_id) return;
    for (size_t i = 0; i < c->ndone; i++)
        if (c->done[i] == member) return;
    const store_person_t *p = chat_snapshot_person(&c->r->snap, member);
    if (!p || p->p.muted == STORE_MUTED_ALL) return;
    if (p->p.muted == STORE_MUTED_BUT_MENTIONS && strcmp(kind, "mention") != 0) return;
    if (c->ndone == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->done = xrealloc(c->done, c->cap * sizeof *c->done);
    }
    c->done[c->ndone++] = member;
    const store_person_t *sender = chat_snapshot_person(&c->r->snap, c->m->sender_id);
    const store_room_t *room = &c->r->snap.room;
    store_notification_t n = {
        .community_id = c->d->community_id,
        .member_id = member,
        .actor_id = c->m->sender_id,
        .actor_name = sender ? sender->name : NULL,
        .action = (char *)action,
        .display_action = (char *)display,
        .notifiable_type = "ChatRoomMessage",
        .notifiable_id = c->m->id,
        .notifiable_title = room->name && room->name[0] ? room->name : c->m->body,
        .kind = (char *)kind,
        .parent_type = "ChatRoom",
        .parent_id = room->id,
    };
    domain_notify(c->d->store, c->d->hub, &n);
}

/* ---- sending -------------------------------------------------------------------------------- */

/* A message's text from a request, its attachments uploads of the sender
 * whose bytes are there (kept as their attachable sgids). */
static int read_text(const domain_chat_t *d, long long actor, const json_t *in,
                     const domain_sgid_key_t *k, chat_text_t *text, const char **why,
                     const char **problem)
{
    int rc = chat_text_read(in, k, text, why, problem);
    if (rc || json_array_size(text->attachments) == 0) return rc;
    json_t *kept = NULL;
    if ((rc = domain_uploads_check(d, actor, text->attachments, &kept, problem)) != 0) {
        *why = "rich_text_body";
        chat_text_clear(text);
        return rc;
    }
    json_t *stored = json_loads(text->stored, 0, NULL);
    json_object_set_new(stored, "attachments", kept);
    free(text->stored);
    text->stored = json_dumps(stored, JSON_COMPACT);
    json_decref(stored);
    return 0;
}

void domain__new_message_clear(struct domain_new_message *nm)
{
    store_message_clear(&nm->m);
    free(nm->mentions);
    memset(nm, 0, sizeof *nm);
}

int domain__message_prepare(const domain_chat_t *d, const domain_sgid_key_t *k,
                            const chat_snapshot_t *snap, long long actor, const json_t *in,
                            struct domain_new_message *out, const char **why, const char **problem)
{
    memset(out, 0, sizeof *out);
    chat_text_t text;
    int rc = read_text(d, actor, in, k, &text, why, problem);
    if (rc) return rc;
    store_message_t *m = &out->m;
    m->sender_id = actor;
    m->body = text.body;
    m->rich_text_body = text.stored;
    out->mentions = text.mentions;
    out->mentions_count = text.mentions_count;
    text.body = text.stored = NULL;
    text.mentions = NULL;
    chat_text_clear(&text);
    if (snap) {
        const store_person_t *me = chat_snapshot_person(snap, actor);
        m->room_id = snap->room.id;
        m->participant_id = me ? me->p.id : 0;
    }
    /* Circle's clients match their optimistic copy by creation_uuid: echo
     * theirs, or make one. */
    json_t *creation = json_object_get(in, "creation_uuid");
    if (creation && !json_is_null(creation)) {
        if (!json_is_string(creation) || json_string_length(creation) == 0 ||
            json_string_length(creation) > CREATION_UUID_MAX ||
            !utf8_valid(json_string_value(creation), json_string_length(creation))) {
            *why = "creation_uuid";
            *problem = "is invalid";
            domain__new_message_clear(out);
            return ERR_INVAL;
        }
        m->creation_uuid = xstrdup(json_string_value(creation));
    } else {
        char uuid[40];
        domain__uuid(uuid);
        m->creation_uuid = xstrdup(uuid);
    }
    json_t *parent_id = json_object_get(in, "parent_message_id");
    if (parent_id && !json_is_null(parent_id)) {
        long long pid = json_is_integer(parent_id) ? json_integer_value(parent_id) : 0;
        store_message_t parent;
        /* Replies hang off top-level messages of the same room. */
        rc = pid > 0 && snap ? d->store->ops->message_get(d->store, snap->room.id, pid, &parent)
                             : ERR_NOT_FOUND;
        if (rc && rc != ERR_NOT_FOUND) {
            domain__new_message_clear(out);
            return rc;
        }
        int top = rc == 0 && parent.parent_id == 0;
        if (rc == 0) store_message_clear(&parent);
        if (!top) {
            *why = "parent_message_id";
            *problem = "is not a top-level message of this room";
            domain__new_message_clear(out);
            return ERR_INVAL;
        }
        m->parent_id = pid;
    }
    return 0;
}

/* A message event on the room stream and, for a message of a thread, on
 * the threads streams of the thread's writers. */
static void publish_message_event(const domain_chat_t *d, const chat_snapshot_t *s,
                                  long long thread_id, const char *event, const json_t *data)
{
    hub_streams_t streams = HUB_STREAMS_INIT;
    hub_streams_add_room(&streams, s->room.id);
    if (thread_id) domain__add_thread_streams(d, s, thread_id, &streams);
    domain__publish(d, &streams, event, data);
    hub_streams_deinit(&streams);
}

void domain__message_announce(const domain_chat_t *d, domain_room_t *r,
                              const struct domain_new_message *nm)
{
    const store_message_t *m = &nm->m;
    chat_views_t views;
    if (chat_views_read(d, &r->snap, m, 1, &views) != 0) return;
    json_t *msg = chat_message_json(&r->key, &r->snap.room, &views.v[0]);
    chat_views_clear(&views);
    /* One event for the room stream, every participant's own chat-room
     * stream (a top-level message of a direct or group room) and the
     * thread's writers' threads streams (a reply). */
    hub_streams_t streams = HUB_STREAMS_INIT;
    hub_streams_add_room(&streams, r->snap.room.id);
    if (!m->parent_id && !domain__is_embedded(r->snap.room.kind))
        for (size_t i = 0; i < r->snap.count; i++)
            hub_streams_add_member_rooms(&streams, r->snap.people[i].p.member_id);
    if (m->parent_id) domain__add_thread_streams(d, &r->snap, m->parent_id, &streams);
    domain__publish(d, &streams, "newMessage", msg);
    hub_streams_deinit(&streams);
    json_decref(msg);
    struct notify_ctx nc = {.d = d, .r = r, .m = m};
    if (m->parent_id) {
        store_message_t parent;
        if (d->store->ops->message_get(d->store, m->room_id, m->parent_id, &parent) == 0) {
            notify_member(&nc, parent.sender_id, "comment_reply", "reply",
                          "replied to your message");
            store_message_clear(&parent);
        }
    }
    for (size_t i = 0; i < nm->mentions_count; i++)
        notify_member(&nc, nm->mentions[i], "mention", "mention", "mentioned you");
    free(nc.done);
}

int domain_chat_message_send(const domain_chat_t *d, long long actor, const char *uuid,
                             const json_t *in, json_t **out, const char **why, const char **problem)
{
    domain_room_t r;
    int rc = domain__room_read(d, actor, 0, uuid, actor, &r);
    if (rc) return rc;
    struct domain_new_message nm;
    if ((rc = domain__message_prepare(d, &r.key, &r.snap, actor, in, &nm, why, problem)) != 0)
        goto done;
    if ((rc = d->store->ops->message_create(d->store, &nm.m)) != 0) goto out;
    /* Committed. */
    domain__message_announce(d, &r, &nm);
    char sent[32];
    domain_time_iso(nm.m.created_at, sent);
    *out =
        json_pack("{s:s, s:o, s:s, s:I}", "creation_uuid", nm.m.creation_uuid, "parent_message_id",
                  nm.m.parent_id ? json_integer(nm.m.parent_id) : json_null(), "sent_at", sent,
                  "id", (json_int_t)nm.m.id);
out:
    domain__new_message_clear(&nm);
done:
    domain__room_clear(&r);
    return rc;
}

/* ---- reading -------------------------------------------------------------------------------- */

/* JSON of messages of a snapshot's room. Returns a new array, or NULL with *rc set. */
static json_t *messages_json(const domain_chat_t *d, const domain_room_t *r,
                             const store_message_t *rows, size_t n, int *rc)
{
    chat_views_t views;
    if ((*rc = chat_views_read(d, &r->snap, rows, n, &views)) != 0) return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, chat_message_json(&r->key, &r->snap.room, &views.v[i]));
    chat_views_clear(&views);
    return arr;
}

int domain_chat_messages(const domain_chat_t *d, long long actor, const char *uuid, long long id,
                         long long before, long long after, json_t **out)
{
    domain_room_t r;
    int rc = domain__room_read(d, actor, 0, uuid, actor, &r);
    if (rc) return rc;
    store_message_t *older = NULL, *newer = NULL, *all = NULL;
    size_t n_old = 0, n_new = 0;
    store_message_t center;
    int have_center = 0;
    long long room_id = r.snap.room.id;
    /* One more than asked on each side tells whether more lie beyond. */
    if (id > 0) {
        if ((rc = d->store->ops->message_get(d->store, room_id, id, &center)) != 0) {
            if (rc == ERR_NOT_FOUND) rc = ERR_NO_MESSAGE;
            goto done;
        }
        have_center = 1;
        rc = d->store->ops->messages_page(d->store, room_id, center.parent_id, id, 0, before + 1,
                                          &older, &n_old);
        if (rc == 0)
            rc = d->store->ops->messages_page(d->store, room_id, center.parent_id, id, 1, after + 1,
                                              &newer, &n_new);
    } else {
        /* No anchor: the newest messages. */
        rc = d->store->ops->messages_page(d->store, room_id, 0, (long long)1 << 62, 0, before + 1,
                                          &older, &n_old);
    }
    if (rc) goto done;
    int more_before = (long long)n_old > before, more_after = (long long)n_new > after;
    /* Older rows come ascending: the extra one is the first. */
    size_t skip_old = more_before ? 1 : 0;
    size_t keep_new = more_after ? n_new - 1 : n_new;
    size_t total_rows = (n_old - skip_old) + (size_t)have_center + keep_new;
    /* One array of rows, borrowed from the pages, in the order shown. */
    all = xcalloc(total_rows + 1, sizeof *all);
    size_t k = 0;
    for (size_t i = skip_old; i < n_old; i++) all[k++] = older[i];
    if (have_center) all[k++] = center;
    for (size_t i = 0; i < keep_new; i++) all[k++] = newer[i];
    json_t *records = messages_json(d, &r, all, k, &rc);
    if (!records) goto done;
    /* Circle's window: the reference id, the ids of the first and last
     * records, and how many top-level messages (or replies) there are. */
    long long total =
        d->store->ops->messages_count(d->store, room_id, have_center ? center.parent_id : 0);
    long long first = k ? all[0].id : 0, last = k ? all[k - 1].id : 0;
    *out =
        json_pack("{s:o, s:b, s:b, s:o, s:o, s:I, s:o}", "id",
                  have_center ? json_integer(center.id) : (last ? json_integer(last) : json_null()),
                  "has_previous_page", more_before, "has_next_page", more_after, "first_id",
                  first ? json_integer(first) : json_null(), "last_id",
                  last ? json_integer(last) : json_null(), "total_count",
                  (json_int_t)(total > 0 ? total : 0), "records", records);
done:
    free(all);
    if (have_center) store_message_clear(&center);
    store_messages_free(older, n_old);
    store_messages_free(newer, n_new);
    domain__room_clear(&r);
    return rc;
}

int domain_chat_message_show(const domain_chat_t *d, long long actor, const char *uuid,
                             long long id, json_t **out)
{
    domain_room_t r;
    int rc = domain__room_read(d, actor, 0, uuid, actor, &r);
    if (rc) return rc;
    store_message_t m;
    if ((rc = d->store->ops->message_get(d->store, r.snap.room.id, id, &m)) == 0) {
        json_t *arr = messages_json(d, &r, &m, 1, &rc);
        if (arr) *out = json_incref(json_array_get(arr, 0));
        json_decref(arr);
        store_message_clear(&m);
    } else if (rc == ERR_NOT_FOUND) {
        rc = ERR_NO_MESSAGE;
    }
    domain__room_clear(&r);
    return rc;
}

/* ---- changing ------------------------------------------------------------------------------- */

/* The message 'id' of the room of 'r' if 'actor' may change it: its
 * sender. ERR_NO_MESSAGE, ERR_FORBIDDEN. */
static int own_message(const domain_chat_t *d, const domain_room_t *r, long long actor,
                       long long id, store_message_t *m)
{
    int rc = d->store->ops->message_get(d->store, r->snap.room.id, id, m);
    if (rc == ERR_NOT_FOUND) return ERR_NO_MESSAGE;
    if (rc) return rc;
    if (m->sender_id != actor) {
        store_message_clear(m);
        return ERR_FORBIDDEN;
    }
    return 0;
}

/* The thread a message belongs to or starts (0: none). */
static long long thread_of(const store_message_t *m)
{
    return m->parent_id ? m->parent_id : (m->replies_count ? m->id : 0);
}

int domain_chat_message_edit(const domain_chat_t *d, long long actor, const char *uuid,
                             long long id, const json_t *in, json_t **out, const char **why,
                             const char **problem)
{
    domain_room_t r;
    int rc = domain__room_read(d, actor, 0, uuid, actor, &r);
    if (rc) return rc;
    store_message_t m;
    if ((rc = own_message(d, &r, actor, id, &m)) != 0) goto done;
    chat_text_t text;
    if ((rc = read_text(d, actor, in, &r.key, &text, why, problem)) != 0) goto out;
    free(m.body);
    free(m.rich_text_body);
    m.body = text.body;
    m.rich_text_body = text.stored;
    text.body = text.stored = NULL;
    chat_text_clear(&text);
    m.edited_at = domain_now_ms();
    if ((rc = d->store->ops->message_update(d->store, &m)) != 0) goto out;
    json_t *arr = messages_json(d, &r, &m, 1, &rc);
    if (!arr) goto out;
    json_t *msg = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    /* A thread's parent changes on its thread too. */
    publish_message_event(d, &r.snap, thread_of(&m), "updatedMessage", msg);
    *out = msg;
out:
    store_message_clear(&m);
done:
    domain__room_clear(&r);
    return rc;
}

int domain_chat_message_delete(const domain_chat_t *d, long long actor, const char *uuid,
                               long long id)
{
    domain_room_t r;
    int rc = domain__room_read(d, actor, 0, uuid, actor, &r);
    if (rc) return rc;
    store_message_t m;
    if ((rc = own_message(d, &r, actor, id, &m)) != 0) goto done;
    long long thread = thread_of(&m);
    /* The streams and the replies, read before they are gone: a reply's
     * author may have been the thread's only other writer. */
    hub_streams_t streams = HUB_STREAMS_INIT;
    hub_streams_add_room(&streams, r.snap.room.id);
    store_message_t *replies = NULL;
    size_t nreplies = 0;
    if (thread) rc = domain__add_thread_streams(d, &r.snap, thread, &streams);
    if (rc == 0 && !m.parent_id && m.replies_count)
        rc = d->store->ops->messages_page(d->store, r.snap.room.id, m.id, 0, 1, -1, &replies,
                                          &nreplies);
    if (rc == 0) rc = d->store->ops->message_delete(d->store, &m);
    if (rc == 0) {
        /* Committed: deleting a parent deletes its thread; say which replies went. */
        json_t *parent = json_null();
        store_message_t p;
        if (m.parent_id &&
            d->store->ops->message_get(d->store, r.snap.room.id, m.parent_id, &p) == 0) {
            json_t *arr = messages_json(d, &r, &p, 1, &rc);
            if (arr) parent = json_incref(json_array_get(arr, 0));
            json_decref(arr);
            store_message_clear(&p);
            rc = 0;
        }
        json_t *gone = json_array();
        for (size_t i = 0; i < nreplies; i++)
            json_array_append_new(gone, json_integer(replies[i].id));
        json_t *data =
            json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)m.id, "parent_message", parent,
                      "chat_thread_id", thread ? json_integer(thread) : json_null(),
                      "deleted_reply_ids", gone);
        domain__publish(d, &streams, "deletedMessage", data);
        json_decref(data);
    }
    store_messages_free(replies, nreplies);
    hub_streams_deinit(&streams);
    store_message_clear(&m);
done:
    domain__room_clear(&r);
    return rc;
}

/* ---- reactions ------------------------------------------------------------------------------ */

/* The emoji of a reaction request: a short name ("heart", "+1") or the
 * character itself, 1 to STORE_EMOJI_MAX - 1 bytes of printable UTF-8. */
static int emoji_valid(const char *e)
{
    size_t n = strlen(e);
    if (n == 0 || n >= STORE_EMOJI_MAX || !utf8_valid(e, n)) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)e[i] <= ' ' || e[i] == 0x7f) return 0;
    return 1;
}

int domain_chat_reaction(const domain_chat_t *d, long long actor, long long message_id,
                         const char *emoji, int add, json_t **out, const char **why)
{
    if (!emoji || !emoji_valid(emoji)) {
        *why = "emoji";
        return ERR_INVAL;
    }
    store_message_t m;
    int rc = d->store->ops->message_find(d->store, message_id, &m);
    if (rc == ERR_NOT_FOUND) return ERR_NO_MESSAGE;
    if (rc) return rc;
    domain_room_t r;
    rc = domain__room_read(d, actor, m.room_id, NULL, actor, &r);
    if (rc == ERR_NOT_FOUND) rc = ERR_NO_MESSAGE; /* a room the actor is not in */
    if (rc) {
        store_message_clear(&m);
        return rc;
    }
    rc = add ? d->store->ops->reaction_add(d->store, m.id, actor, emoji)
             : d->store->ops->reaction_remove(d->store, m.id, actor, emoji);
    if (rc == ERR_CONFLICT && add) rc = 0; /* reacting twice is reacting once */
    if (rc == ERR_NOT_FOUND) rc = ERR_NO_RECORD;
    if (rc == 0) {
        /* Committed: every subscriber of the room (and of the thread) sees
         * the message's reactions as they are now. */
        json_t *arr = messages_json(d, &r, &m, 1, &rc);
        if (arr) {
            json_t *msg = json_array_get(arr, 0);
            json_t *data = json_pack("{s:s, s:I, s:I, s:s, s:s, s:O, s:O, s:O}",
                                     "reactionable_type", "ChatRoomMessage", "reactionable_id",
                                     (json_int_t)m.id, "community_member_id", (json_int_t)actor,
                                     "emoji", emoji, "chat_room_uuid", r.snap.room.uuid,
                                     "parent_message_id", json_object_get(msg, "parent_message_id"),
                                     "chat_thread_id", json_object_get(msg, "chat_thread_id"),
                                     "reactions", json_object_get(msg, "reactions"));
            publish_message_event(d, &r.snap, thread_of(&m),
                                  add ? "newReaction" : "deletedReaction", data);
            json_decref(data);
            json_decref(arr);
            *out = json_pack("{s:b, s:s, s:{s:s, s:I, s:I, s:s}}", "success", 1, "message",
                             add ? "Reaction created" : "Reaction deleted", "reaction",
                             "reactionable_type", "ChatRoomMessage", "reactionable_id",
                             (json_int_t)m.id, "community_member_id", (json_int_t)actor, "emoji",
                             emoji);
        }
    }
    domain__room_clear(&r);
    store_message_clear(&m);
    return rc;
}

/* ---- threads -------------------------------------------------------------------------------- */

/* Circle's chat_thread: the parent, the room it is in, the reader's unread
 * count; with 'replies', the replies too. */
static int thread_json(const domain_chat_t *d, long long actor, const store_message_t *parent,
                       int with_replies, json_t **out)
{
    domain_room_t r;
    int rc = domain__room_read(d, actor, parent->room_id, NULL, actor, &r);
    if (rc) return rc;
    long long last_read = d->store->ops->thread_read_get(d->store, parent->id, actor);
    long long unread = d->store->ops->thread_unread_count(d->store, parent->id, actor,
                                                          last_read > 0 ? last_read : 0);
    json_t *parent_arr = messages_json(d, &r, parent, 1, &rc);
    json_t *replies = NULL;
    if (parent_arr && with_replies) {
        store_message_t *rows;
        size_t n;
        if ((rc = d->store->ops->messages_page(d->store, parent->room_id, parent->id, 0, 1, 1000,
                                               &rows, &n)) == 0) {
            replies = messages_json(d, &r, rows, n, &rc);
            store_messages_free(rows, n);
        }
    }
    if (rc == 0) {
        const store_room_t *room = &r.snap.room;
        json_t *name = room->name && room->name[0] ? json_string(room->name) : NULL;
        if (!name) {
            json_t *view = chat_room_simple_json(&r.key, &r.view, actor);
            name = json_incref(json_object_get(view, "chat_room_name"));
            json_decref(view);
        }
        *out = json_pack("{s:I, s:s, s:I, s:I, s:O, s:{s:s, s:o, s:s, s:n, s:n}}", "id",
                         (json_int_t)parent->id, "chat_room_uuid", room->uuid, "replies_count",
                         (json_int_t)parent->replies_count, "unread_messages_count",
                         (json_int_t)(unread > 0 ? unread : 0), "parent_message",
                         json_array_get(parent_arr, 0), "chat_room", "kind", room->kind, "name",
                         name, "uuid", room->uuid, "embedded_space", "lesson");
        if (replies) json_object_set_new(*out, "replies", json_incref(replies));
    }
    json_decref(parent_arr);
    json_decref(replies);
    domain__room_clear(&r);
    return rc;
}

int domain_chat_threads(const domain_chat_t *d, long long actor, domain_page_t pg, json_t **out)
{
    store_message_t *rows;
    size_t n;
    /* One more than a page tells whether another page follows. */
    int rc = d->store->ops->threads_of_member(
        d->store, d->community_id, actor, (pg.page - 1) * pg.per_page, pg.per_page + 1, &rows, &n);
    if (rc) return rc;
    json_t *records = json_array();
    for (size_t i = 0; i < n && (long long)i < pg.per_page && rc == 0; i++) {
        json_t *t = NULL;
        rc = thread_json(d, actor, &rows[i], 0, &t);
        if (rc == ERR_NOT_FOUND) rc = 0; /* left meanwhile */
        if (t) json_array_append_new(records, t);
    }
    store_messages_free(rows, n);
    if (rc) {
        json_decref(records);
        return rc;
    }
    *out = json_pack("{s:I, s:I, s:b, s:o}", "page", (json_int_t)pg.page, "per_page",
                     (json_int_t)pg.per_page, "has_next_page", (long long)n > pg.per_page,
                     "records", records);
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
    rc = thread_json(d, actor, &parent, 1, out);
    store_message_clear(&parent);
    return rc;
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
    domain__publish_one(d, hub_streams_add_member_threads, actor, "chatThreadRead", data);
    json_decref(data);
    return 0;
}
