/* domain/chat_read: reading what chat views show, before shaping them.
 *
 * The rules (domain/chat.c) read a room once as a snapshot: the room row
 * and every participant with its member, in one statement (room_people).
 * Messages are then read with what their JSON needs besides their rows
 * (senders who left the room, threads, reactions), a few statements per
 * batch of messages, never one per participant. domain/chat_json.c shapes
 * the result without touching the store again. Creating a room of N
 * members thus reads the store a constant number of times and shapes N
 * views, each in time independent of N.
 *
 * Blocking (store I/O): worker threads only. */
#ifndef DOMAIN_CHAT_READ_H
#define DOMAIN_CHAT_READ_H

#include "domain/chat.h"
#include "domain/chat_json.h"

/* A room and its people, read together. Owned; release with
 * chat_snapshot_clear. */
typedef struct chat_snapshot {
    store_room_t room;
    store_person_t *people; /* every participant, in the order they joined */
    size_t count;
    const store_person_t **_by_member; /* the same, sorted by member id */
} chat_snapshot_t;

/* Read room 'room_id' (or, when 0, the room with 'uuid') of the community,
 * and its people with the unread counts of 'viewer' (0: of everyone).
 * Returns 0, ERR_NOT_FOUND or a store error (*out then holds nothing). */
int chat_snapshot_read(const domain_chat_t *d, long long room_id, const char *uuid,
                       long long viewer, chat_snapshot_t *out);
/* Read the people of out->room again (after a change of its participants). */
int chat_snapshot_reload(const domain_chat_t *d, chat_snapshot_t *s, long long viewer);
void chat_snapshot_clear(chat_snapshot_t *s);
/* The participant 'member_id' of the snapshot, or NULL. */
const store_person_t *chat_snapshot_person(const chat_snapshot_t *s, long long member_id);

/* Views of messages of a snapshot's room, with what they borrow. Owned;
 * release with chat_views_clear. */
typedef struct chat_views {
    chat_message_view_t *v; /* one per message, in the order given */
    size_t count;
    store_member_t *_members; /* senders and writers who are not participants */
    size_t _members_count;
    store_reaction_t *_reactions;
    size_t _reactions_count;
    json_t *_attachments; /* per message: the attachment objects, or null */
} chat_views_t;

/* Read what the views of 'rows' (messages of s->room, borrowed: they must
 * outlive *out) need. Returns 0 or a store error. */
int chat_views_read(const domain_chat_t *d, const chat_snapshot_t *s, const store_message_t *rows,
                    size_t n, chat_views_t *out);
void chat_views_clear(chat_views_t *v);

/* The signing key of the community of 'd'. */
void chat_key(const domain_chat_t *d, domain_sgid_key_t *k);

#endif
