/* domain/chat_json: chat JSON shapes, pure functions over a snapshot.
 * See chat_json.h. */
#include "domain/chat_json.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "domain/chat_text.h"
#include "domain/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a member that is gone is called (Circle types names as strings). */
#define GONE_NAME "Deleted member"

static json_t *time_or_null(int64_t ms)
{
    if (!ms) return json_null();
    char t[32];
    domain_time_iso(ms, t);
    return json_string(t);
}

static json_t *id_or_null(long long id)
{
    return id ? json_integer(id) : json_null();
}

json_t *chat_person_json(const chat_person_t *p)
{
    return json_pack("{s:I, s:s, s:s?, s:I}", "id",
                     (json_int_t)(p->participant_id ? p->participant_id : p->member_id), "name",
                     p->name ? p->name : GONE_NAME, "avatar_url", p->avatar_url,
                     "community_member_id", (json_int_t)p->member_id);
}

/* Circle's reactions: one entry per emoji, in the order the rows come. */
static json_t *reactions_json(const chat_reactions_t *r)
{
    json_t *out = json_array();
    json_t *cur = NULL;
    const char *emoji = NULL;
    for (size_t i = 0; i < r->count; i++) {
        const store_reaction_t *x = &r->rows[i];
        if (!emoji || strcmp(emoji, x->emoji) != 0) {
            cur = json_pack("{s:s, s:i, s:[]}", "emoji", x->emoji, "count", 0,
                            "community_member_ids");
            json_array_append_new(out, cur);
            emoji = x->emoji;
        }
        json_array_append_new(json_object_get(cur, "community_member_ids"),
                              json_integer(x->member_id));
        json_object_set_new(cur, "count",
                            json_integer((json_int_t)json_array_size(
                                json_object_get(cur, "community_member_ids"))));
    }
    return out;
}

json_t *chat_message_json(const domain_sgid_key_t *k, const store_room_t *room,
                          const chat_message_view_t *v)
{
    const store_message_t *m = v->m;
    char created[32];
    domain_time_iso(m->created_at, created);
    char uid[9];
    domain_public_uid(m->sender_id, uid);
    long long thread_id = m->parent_id ? m->parent_id : (m->replies_count ? m->id : 0);
    json_t *sender = chat_person_json(&v->sender);
    json_object_set_new(sender, "user_public_uid", json_string(uid));
    json_t *preview = json_array();
    for (size_t i = 0; i < v->preview_count; i++)
        json_array_append_new(preview, chat_person_json(&v->preview[i]));
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(m->id));
    json_object_set_new(o, "chat_room_uuid", json_string(room->uuid));
    json_object_set_new(o, "chat_room_kind", json_string(room->kind));
    json_object_set_new(o, "chat_room_participant_id", json_integer(m->participant_id));
    json_object_set_new(o, "body", json_string(m->body ? m->body : ""));
    json_object_set_new(o, "rich_text_body",
                        chat_text_json(m->rich_text_body, m->body, k, v->attachments));
    json_object_set_new(o, "sent_at", json_string(created));
    json_object_set_new(o, "created_at", json_string(created));
    json_object_set_new(o, "edited_at", time_or_null(m->edited_at));
    json_object_set_new(o, "sender", sender);
    json_object_set_new(o, "creation_uuid",
                        m->creation_uuid ? json_string(m->creation_uuid) : json_null());
    json_object_set_new(o, "chat_thread_id", id_or_null(thread_id));
    json_object_set_new(o, "parent_message_id", id_or_null(m->parent_id));
    json_object_set_new(o, "bookmark_id", json_null());
    json_object_set_new(o, "lesson_id", json_null());
    json_object_set_new(o, "replies_count", json_integer(m->parent_id ? 0 : m->replies_count));
    json_object_set_new(o, "last_reply_at", time_or_null(m->parent_id ? 0 : v->last_reply_at));
    json_object_set_new(o, "total_thread_participants_count",
                        json_integer((json_int_t)v->writers_count));
    json_object_set_new(o, "thread_participants_preview", preview);
    json_object_set_new(o, "chat_thread_replies_count", json_integer(v->thread_replies));
    json_object_set_new(o, "reactions", reactions_json(&v->reactions));
    json_object_set_new(o, "embedded_chat_message_access", json_array());
    return o;
}

/* ---- rooms -------------------------------------------------------------------------------- */

char *chat_room_identifier(const char *kind, const char *uuid, const long long *ids, size_t n)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, kind);
    if (strcmp(kind, "direct") == 0 || strcmp(kind, "group_chat") == 0) {
        for (size_t i = 0; i < n; i++) {
            char num[24];
            snprintf(num, sizeof num, "-%lld", ids[i]);
            buf_puts(&b, num);
        }
    } else {
        buf_puts(&b, "-");
        buf_puts(&b, uuid);
    }
    char *out = xstrndup(buf_head(&b), b.len);
    buf_deinit(&b);
    return out;
}

/* The fields Circle shows of a participant, in chat_room_participant and in
 * a room's previews. */
static json_t *participant_fields(const domain_sgid_key_t *k, const store_room_t *room,
                                  const store_person_t *p)
{
    char uid[9], sgid[DOMAIN_SGID_MAX];
    domain_public_uid(p->p.member_id, uid);
    domain_sgid_make(k, "CommunityMember", p->p.member_id, sgid);
    return json_pack("{s:I, s:I, s:s, s:s, s:s?, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:I, "
                     "s:b, s:b, s:b, s:n, s:s}",
                     "id", (json_int_t)p->p.id, "community_member_id", (json_int_t)p->p.member_id,
                     "name", p->name ? p->name : GONE_NAME, "user_public_uid", uid, "avatar_url",
                     p->avatar_url, "muted", p->p.muted == STORE_MUTED_ALL, "archived",
                     p->p.archived,
                     "last_seen_text", "", "status", "offline", "headline", "", "bio", "",
                     "location", "", "email", p->email ? p->email : "", "user_id",
                     (json_int_t)p->p.member_id, "admin",
                     strcmp(room->kind, "group_chat") == 0 && room->creator_id != 0 &&
                         room->creator_id == p->p.member_id,
                     "community_admin", 0, "moderator", 0, "deleted_at", "sgid", sgid);
}

json_t *chat_participant_json(const domain_sgid_key_t *k, const store_room_t *room,
                              const store_person_t *p)
{
    return participant_fields(k, room, p);
}

/* The room's name as 'viewer' sees it: its own name, or the names of up to
 * CHAT_PREVIEW_MAX other participants for a room without one (a direct
 * room), so naming a room costs the same whatever its size. */
static json_t *room_name(const chat_room_view_t *v, long long viewer)
{
    if (v->room->name && v->room->name[0]) return json_string(v->room->name);
    buf_t names = BUF_INIT;
    size_t shown = 0;
    for (size_t i = 0; i < v->count && shown < CHAT_PREVIEW_MAX; i++) {
        if (v->people[i].p.member_id == viewer) continue;
        if (names.len) buf_puts(&names, ", ");
        buf_puts(&names, v->people[i].name ? v->people[i].name : GONE_NAME);
        shown++;
    }
    json_t *name = json_stringn(names.len ? buf_head(&names) : "", names.len);
    buf_deinit(&names);
    return name;
}

json_t *chat_room_json(const domain_sgid_key_t *k, const chat_room_view_t *v, long long viewer)
{
    const store_room_t *room = v->room;
    json_t *others = json_array();
    json_t *current = json_null();
    long long unread = 0, first_unread = 0;
    for (size_t i = 0; i < v->count; i++) {
        const store_person_t *p = &v->people[i];
        if (p->p.member_id == viewer) {
            json_decref(current);
            current = participant_fields(k, room, p);
            json_object_del(current, "status");
            json_object_set_new(current, "can_send_message", json_true());
            json_object_set_new(current, "last_read_message_id",
                                id_or_null(p->p.last_read_message_id));
            json_object_set_new(current, "pinned_at", time_or_null(p->p.pinned_at));
            unread = p->unread_count;
            first_unread = p->first_unread_id;
        } else if (json_array_size(others) < CHAT_PREVIEW_MAX) {
            json_t *o = participant_fields(k, room, p);
            json_object_set_new(o, "can_send_message", json_true());
            json_array_append_new(others, o);
        }
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(room->id));
    json_object_set_new(o, "uuid", json_string(room->uuid));
    json_object_set_new(o, "identifier", json_string(room->identifier ? room->identifier : ""));
    json_object_set_new(o, "unread_messages_count", json_integer(unread));
    json_object_set_new(o, "chat_room_kind", json_string(room->kind));
    json_object_set_new(o, "chat_room_name", room_name(v, viewer));
    json_object_set_new(o, "chat_room_description",
                        json_string(room->description ? room->description : ""));
    json_object_set_new(o, "chat_room_show_history", json_boolean(room->show_history));
    json_object_set_new(o, "chat_room_participants_count", json_integer((json_int_t)v->count));
    json_object_set_new(o, "other_participants_preview", others);
    json_object_set_new(o, "current_participant", current);
    /* Circle leaves last_message out of a room without messages. */
    if (v->last) json_object_set_new(o, "last_message", chat_message_json(k, room, v->last));
    json_object_set_new(o, "first_unread_message_id", id_or_null(first_unread));
    json_object_set_new(o, "pinned_message_id", id_or_null(room->pinned_message_id));
    return o;
}

json_t *chat_room_simple_json(const domain_sgid_key_t *k, const chat_room_view_t *v,
                              long long viewer)
{
    const store_room_t *room = v->room;
    return json_pack("{s:s, s:o, s:s, s:b, s:o}", "uuid", room->uuid, "chat_room_name",
                     room_name(v, viewer), "chat_room_description",
                     room->description ? room->description : "", "chat_room_show_history",
                     room->show_history, "pinned_message",
                     v->pinned ? chat_message_json(k, room, v->pinned) : json_null());
}
