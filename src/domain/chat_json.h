/* domain/chat_json: the JSON shapes of chat, as Circle's Member API
 * documents them and its WebSocket guide adds to them:
 *
 *   chat_room_message   a message (every message event, lists, threads)
 *   chat_room           a room as one participant sees it (chatRoomCreated, GET)
 *   SimplifiedChatRoom  the room attributes (chatRoomUpdated)
 *   chat_room_participant
 *
 * Pure functions over a snapshot the caller read beforehand (domain/chat_read.h):
 * no store, no I/O, so shaping N views of one room costs N times the work
 * of one, whatever N is. Strings Circle types as strings are never null
 * here (an empty string stands for "none"); Circle's nullable fields are. */
#ifndef DOMAIN_CHAT_JSON_H
#define DOMAIN_CHAT_JSON_H

#include "domain/sgid.h"
#include "store/store.h"

#include <jansson.h>

/* Writers of a thread a message view shows (Circle: thread_participants_preview). */
#define CHAT_PREVIEW_MAX 3

/* A member as a message shows it. Borrowed from the snapshot. */
typedef struct chat_person {
    long long member_id;
    long long participant_id; /* 0 when not a participant of the room (any more) */
    const char *name;         /* NULL when the member is gone */
    const char *avatar_url;
} chat_person_t;

/* The reactions of one message, from its rows (store order: by emoji, then
 * by when each member reacted). Borrowed. */
typedef struct chat_reactions {
    const store_reaction_t *rows;
    size_t count;
} chat_reactions_t;

/* One message and what its JSON needs besides its row. Borrowed pointers. */
typedef struct chat_message_view {
    const store_message_t *m;
    chat_person_t sender;
    long long thread_replies; /* replies of the thread it starts or belongs to */
    int64_t last_reply_at;    /* the newest of them, 0 when none */
    size_t writers_count;     /* members who wrote in that thread */
    size_t preview_count;     /* at most CHAT_PREVIEW_MAX of them: */
    chat_person_t preview[CHAT_PREVIEW_MAX];
    chat_reactions_t reactions;
    const json_t *attachments; /* the attachment objects of its text, or NULL */
} chat_message_view_t;

/* A room, everything each participant's view needs. Borrowed. */
typedef struct chat_room_view {
    const store_room_t *room;
    const store_person_t *people; /* every participant, in the order they joined */
    size_t count;
    const chat_message_view_t *last;   /* the newest top-level message, or NULL */
    const chat_message_view_t *pinned; /* the pinned message, or NULL */
} chat_room_view_t;

/* chat_room_message of 'v' in 'room'. Returns a new reference. */
json_t *chat_message_json(const domain_sgid_key_t *k, const store_room_t *room,
                          const chat_message_view_t *v);
/* {id, name, avatar_url, community_member_id} of a person ('id' is the
 * participant id, else the member id). */
json_t *chat_person_json(const chat_person_t *p);
/* chat_room as 'viewer' (a participant of v) sees it. */
json_t *chat_room_json(const domain_sgid_key_t *k, const chat_room_view_t *v, long long viewer);
/* SimplifiedChatRoom, named as 'viewer' sees it. */
json_t *chat_room_simple_json(const domain_sgid_key_t *k, const chat_room_view_t *v,
                              long long viewer);
/* chat_room_participant of a person of 'room'. */
json_t *chat_participant_json(const domain_sgid_key_t *k, const store_room_t *room,
                              const store_person_t *p);
/* A room's identifier as Circle spells it: "direct-1-2", "group_chat-1-2-3"
 * (the members' ids in ascending order), or "<kind>-<uuid>" for the others.
 * 'ids' sorted ascending. Returns owned. */
char *chat_room_identifier(const char *kind, const char *uuid, const long long *ids, size_t n);

#endif
