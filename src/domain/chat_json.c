/* domain/chat_json: chat JSON shapes and rich text. See chat_json.h. */
#include "domain/chat_json.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "domain/time.h"

#include <stdlib.h>
#include <string.h>

#define PREVIEW_MAX 3

json_t *chat_rich_text_from_body(const char *body)
{
    /* One paragraph per line, as an editor would have made it. */
    json_t *content = json_array();
    const char *p = body;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_t *para = json_pack("{s:s}", "type", "paragraph");
        if (n > 0)
            json_object_set_new(para, "content",
                                json_pack("[{s:s, s:s%}]", "type", "text", "text", p, n));
        json_array_append_new(content, para);
        if (!nl) break;
        p = nl + 1;
    }
    return json_pack("{s:s, s:o}", "type", "doc", "content", content);
}

static void append_text(buf_t *out, const json_t *node, int *first_block)
{
    const char *type = json_string_value(json_object_get(node, "type"));
    if (!type) return;
    if (strcmp(type, "text") == 0) {
        json_t *t = json_object_get(node, "text");
        if (json_is_string(t)) buf_append(out, json_string_value(t), json_string_length(t));
        return;
    }
    if (strcmp(type, "mention") == 0) {
        json_t *attrs = json_object_get(node, "attrs");
        const char *label = json_string_value(json_object_get(attrs, "label"));
        buf_puts(out, "@");
        if (label) buf_puts(out, label);
        return;
    }
    if (strcmp(type, "hardBreak") == 0) {
        buf_puts(out, "\n");
        return;
    }
    int block = strcmp(type, "paragraph") == 0 || strcmp(type, "heading") == 0 ||
                strcmp(type, "listItem") == 0 || strcmp(type, "blockquote") == 0 ||
                strcmp(type, "codeBlock") == 0;
    if (block) {
        if (!*first_block) buf_puts(out, "\n");
        *first_block = 0;
    }
    size_t i;
    json_t *child;
    json_array_foreach(json_object_get(node, "content"), i, child)
        append_text(out, child, first_block);
}

/* 1 when 'v' nests arrays and objects at most 'left' levels deep. Stops
 * descending past the limit, so the stack stays bounded too. */
static int depth_within(const json_t *v, int left)
{
    if (!json_is_object(v) && !json_is_array(v)) return 1;
    if (left == 0) return 0;
    if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child) if (!depth_within(child, left - 1)) return 0;
        return 1;
    }
    const char *key;
    json_t *child;
    json_object_foreach((json_t *)v, key, child) if (!depth_within(child, left - 1)) return 0;
    return 1;
}

char *chat_body_from_rich_text(const json_t *doc)
{
    if (!json_is_object(doc) || !depth_within(doc, CHAT_RICH_TEXT_MAX_DEPTH)) return NULL;
    const char *type = json_string_value(json_object_get(doc, "type"));
    if (!type || strcmp(type, "doc") != 0 || !json_is_array(json_object_get(doc, "content")))
        return NULL;
    buf_t b = BUF_INIT;
    int first = 1;
    size_t i;
    json_t *child;
    json_array_foreach(json_object_get(doc, "content"), i, child) append_text(&b, child, &first);
    char *out = xstrndup(b.len ? buf_head(&b) : "", b.len);
    buf_deinit(&b);
    return out;
}

static void walk_mentions(const json_t *node, void (*cb)(void *, long long), void *ud, int depth)
{
    if (!json_is_object(node) || depth > 32) return;
    const char *type = json_string_value(json_object_get(node, "type"));
    if (type && strcmp(type, "mention") == 0) {
        json_t *id = json_object_get(json_object_get(node, "attrs"), "id");
        long long v = 0;
        if (json_is_integer(id))
            v = json_integer_value(id);
        else if (json_is_string(id))
            v = strtoll(json_string_value(id), NULL, 10);
        if (v > 0) cb(ud, v);
    }
    size_t i;
    json_t *child;
    json_array_foreach(json_object_get(node, "content"), i, child)
        walk_mentions(child, cb, ud, depth + 1);
}

void chat_rich_text_mentions(const json_t *doc, void (*cb)(void *ud, long long member_id), void *ud)
{
    walk_mentions(doc, cb, ud, 0);
}

static json_t *time_or_null(int64_t ms)
{
    if (!ms) return json_null();
    char t[32];
    domain_time_iso(ms, t);
    return json_string(t);
}

/* {id, name, avatar_url, community_member_id} of a member; 'id' is the
 * participant id when there is one. */
static json_t *person_json(store_t *s, long long community_id, long long member_id,
                           long long participant_id)
{
    store_member_t m;
    int found = s->ops->member_get(s, community_id, member_id, &m) == 0;
    json_t *o = json_pack("{s:I, s:s?, s:s?, s:I}", "id",
                          (json_int_t)(participant_id ? participant_id : member_id), "name",
                          found ? m.name : NULL, "avatar_url", found ? m.avatar_url : NULL,
                          "community_member_id", (json_int_t)member_id);
    if (found) store_member_clear(&m);
    return o;
}

json_t *chat_message_json(store_t *s, const store_room_t *room, const store_message_t *m)
{
    char created[32];
    domain_time_iso(m->created_at, created);
    json_t *rich = m->rich_text_body ? json_loads(m->rich_text_body, 0, NULL) : NULL;
    if (!rich) rich = json_null();
    /* The thread this message belongs to or starts: its replies, their
     * writers. */
    long long thread_id = m->parent_id ? m->parent_id : (m->replies_count ? m->id : 0);
    long long thread_replies = m->replies_count;
    json_t *preview = json_array();
    size_t writers = 0;
    if (thread_id) {
        if (m->parent_id) {
            store_message_t parent;
            if (s->ops->message_get(s, m->room_id, m->parent_id, &parent) == 0) {
                thread_replies = parent.replies_count;
                store_message_clear(&parent);
            }
        }
        long long *ids;
        if (s->ops->thread_senders(s, thread_id, &ids, &writers) == 0) {
            for (size_t i = 0; i < writers && i < PREVIEW_MAX; i++) {
                /* Writers are shown as participants, like the sender. */
                store_participant_t p;
                long long pid = s->ops->participant_get(s, m->room_id, ids[i], &p) == 0 ? p.id : 0;
                json_array_append_new(preview, person_json(s, room->community_id, ids[i], pid));
            }
            free(ids);
        }
    }
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:I, s:s, s:o, s:s, s:s, s:o, s:s?, s:o, s:o, s:n, s:o, s:I, s:I, s:o, "
        "s:I}",
        "id", (json_int_t)m->id, "chat_room_uuid", room->uuid, "chat_room_kind", room->kind,
        "chat_room_participant_id", (json_int_t)m->participant_id, "body", m->body ? m->body : "",
        "rich_text_body", rich, "sent_at", created, "created_at", created, "sender",
        person_json(s, room->community_id, m->sender_id, m->participant_id), "creation_uuid",
        m->creation_uuid, "chat_thread_id", thread_id ? json_integer(thread_id) : json_null(),
        "parent_message_id", m->parent_id ? json_integer(m->parent_id) : json_null(), "lesson_id",
        "edited_at", time_or_null(m->edited_at), "replies_count",
        (json_int_t)(m->parent_id ? 0 : m->replies_count), "total_thread_participants_count",
        (json_int_t)writers, "thread_participants_preview", preview, "chat_thread_replies_count",
        (json_int_t)thread_replies);
    return o;
}

/* The room's name as 'viewer' sees it: its own name, or the other
 * participants' names for a room without one (a direct room). */
static json_t *room_name(store_t *s, const store_room_t *room, long long viewer,
                         json_t **others_preview, size_t *participants)
{
    store_participant_t *ps;
    size_t n;
    json_t *preview = json_array();
    buf_t names = BUF_INIT;
    *participants = 0;
    if (s->ops->participants(s, room->id, &ps, &n) == 0) {
        *participants = n;
        for (size_t i = 0; i < n; i++) {
            if (ps[i].member_id == viewer) continue;
            json_t *p = person_json(s, room->community_id, ps[i].member_id, ps[i].id);
            const char *nm = json_string_value(json_object_get(p, "name"));
            if (nm) {
                if (names.len) buf_puts(&names, ", ");
                buf_puts(&names, nm);
            }
            if (json_array_size(preview) < PREVIEW_MAX)
                json_array_append_new(preview, p);
            else
                json_decref(p);
        }
        free(ps);
    }
    *others_preview = preview;
    json_t *name = room->name && room->name[0] ? json_string(room->name)
                   : names.len                 ? json_stringn(buf_head(&names), names.len)
                                               : json_null();
    buf_deinit(&names);
    return name;
}

json_t *chat_room_json(store_t *s, const store_room_t *room, long long viewer)
{
    json_t *others;
    size_t participants;
    json_t *name = room_name(s, room, viewer, &others, &participants);
    store_participant_t me;
    json_t *current = json_null();
    long long unread = 0;
    if (s->ops->participant_get(s, room->id, viewer, &me) == 0) {
        current = person_json(s, room->community_id, viewer, me.id);
        json_object_set_new(current, "last_read_message_id",
                            me.last_read_message_id ? json_integer(me.last_read_message_id)
                                                    : json_null());
        json_object_set_new(current, "pinned_at", time_or_null(me.pinned_at));
        unread = s->ops->unread_count(s, room->id, viewer, me.last_read_message_id);
        if (unread < 0) unread = 0;
    }
    store_message_t last;
    json_t *last_json = json_null();
    if (s->ops->message_last(s, room->id, &last) == 0) {
        last_json = chat_message_json(s, room, &last);
        store_message_clear(&last);
    }
    return json_pack("{s:I, s:s, s:s?, s:I, s:s, s:o, s:s?, s:b, s:I, s:o, s:o, s:o}", "id",
                     (json_int_t)room->id, "uuid", room->uuid, "identifier", room->identifier,
                     "unread_messages_count", (json_int_t)unread, "chat_room_kind", room->kind,
                     "chat_room_name", name, "chat_room_description", room->description,
                     "chat_room_show_history", room->show_history, "chat_room_participants_count",
                     (json_int_t)participants, "other_participants_preview", others,
                     "current_participant", current, "last_message", last_json);
}

json_t *chat_room_simple_json(store_t *s, const store_room_t *room, long long viewer)
{
    json_t *others;
    size_t participants;
    json_t *name = room_name(s, room, viewer, &others, &participants);
    json_decref(others);
    json_t *pinned = json_null();
    store_message_t m;
    if (room->pinned_message_id &&
        s->ops->message_get(s, room->id, room->pinned_message_id, &m) == 0) {
        pinned = chat_message_json(s, room, &m);
        store_message_clear(&m);
    }
    return json_pack("{s:s, s:o, s:s?, s:b, s:o}", "uuid", room->uuid, "chat_room_name", name,
                     "chat_room_description", room->description, "chat_room_show_history",
                     room->show_history, "pinned_message", pinned);
}

json_t *chat_participant_json(store_t *s, long long community_id, const store_participant_t *p)
{
    return person_json(s, community_id, p->member_id, p->id);
}
