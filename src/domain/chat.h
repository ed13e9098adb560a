/* domain/chat: the rules of chat rooms, messages, threads and reactions,
 * and the events each change produces (SPEC §2.5, docs/events.md),
 * published after the change is committed:
 *
 *   room created      chatRoomCreated (each participant's own view) -> member chat-room streams;
 *                     with a first message, its newMessage too
 *   message sent      newMessage -> room stream; + member chat-room streams (top-level, direct or
 *                     group room); + member threads streams of the thread's writers (reply)
 *   message edited    updatedMessage -> room stream (+ threads streams of its thread, the parent
 *                     of one included)
 *   message deleted   deletedMessage {id, parent_message, chat_thread_id, deleted_reply_ids} ->
 *                     room stream (+ threads streams of its thread)
 *   reaction          newReaction / deletedReaction {reactionable_type, reactionable_id,
 *                     community_member_id, emoji, chat_room_uuid, parent_message_id,
 *                     chat_thread_id, reactions} -> room stream (+ threads streams)
 *   room changed      chatRoomUpdated (SimplifiedChatRoom) -> room stream; a non-embedded
 *                     room's new name also -> member chat-room streams
 *   room deleted      chatRoomDeleted {chat_room_uuid} -> member chat-room streams
 *   room read         chatRoomRead {chat_room_uuid} -> the reader's member chat-room stream
 *   room pinned       chatRoomPinned {chat_room_id, pinned_at} / chatRoomUnPinned {chat_room_id},
 *                     and chatRoomUpdated -> the member's chat-room stream
 *   thread read       chatThreadRead {chat_thread_id} -> the reader's threads stream
 *
 * A thread is a top-level message with replies; its id is the parent
 * message's id, and its writers are the parent's author and everyone who
 * replied. A mention in rich_text_body and a reply notify the member
 * concerned (never the sender, never a member who muted the room, every
 * mentioned member however many).
 *
 * Every function acts for 'actor' (a community member) and checks that the
 * actor may: rooms they are not in are ERR_NOT_FOUND, a message that is
 * not there ERR_NO_MESSAGE, another record of the room (a participant, a
 * reaction) ERR_NO_RECORD, actions reserved to others ERR_FORBIDDEN. Bad
 * input is ERR_INVAL with *why naming the field (and *problem, where
 * given, saying what is wrong), and nothing is written. JSON results are
 * returned owned in *out (json_decref) on success only.
 * Blocking (store I/O): worker threads only. */
#ifndef DOMAIN_CHAT_H
#define DOMAIN_CHAT_H

#include "auth/community.h"
#include "hub/hub.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct domain_chat {
    store_t *store;
    hub_t *hub;
    long long community_id;
    const auth_community_t *community; /* its secret signs sgids; NULL: an empty key (tests) */
} domain_chat_t;

typedef struct domain_page {
    long long page; /* from 1 */
    long long per_page;
} domain_page_t;

/* Rooms. create: kind "direct" (exactly one other member) or "group_chat"
 * from the Member API; any kind (also "space", "lesson", "event") when
 * 'admin' (then 'actor' may be 0: the host application). A direct room
 * that exists for the pair is returned with *created = 0. 'first' (may be
 * NULL) is an object with the room's first message (rich_text_body or
 * body), sent by the actor in the same transaction as the room. *out is the
 * chat_room as the actor sees it (admin: as the first member sees it). */
int domain_chat_room_create(const domain_chat_t *d, long long actor, const char *kind,
                            const char *name, const long long *members, size_t count, int admin,
                            const json_t *first, json_t **out, int *created, const char **why,
                            const char **problem);
/* A page of the actor's rooms: {page, per_page, has_next_page, count, page_count, records}. */
int domain_chat_rooms(const domain_chat_t *d, long long actor, domain_page_t pg, json_t **out);
int domain_chat_room_show(const domain_chat_t *d, long long actor, const char *uuid, json_t **out);
/* Change name, description, show_history (the creator of a group room;
 * with 'actor' 0, the host application, of any room it created or any
 * embedded room) and pinned_message_id (any participant, except in rooms
 * the host application created). *out is the room as the actor (the host:
 * its first participant) sees it. */
int domain_chat_room_update(const domain_chat_t *d, long long actor, const char *uuid,
                            const json_t *fields, json_t **out, const char **why);
int domain_chat_room_delete(const domain_chat_t *d, long long actor, const char *uuid,
                            const char **why);
int domain_chat_room_read(const domain_chat_t *d, long long actor, const char *uuid);
int domain_chat_room_pin(const domain_chat_t *d, long long actor, const char *uuid, int pin,
                         json_t **out);
/* {"chat_rooms": [uuid...]}: the actor's rooms with unread messages, muted
 * and archived ones left out. */
int domain_chat_unread_rooms(const domain_chat_t *d, long long actor, json_t **out);
/* How many rooms domain_chat_unread_rooms lists (the inbox count). */
int domain_chat_inbox_count(const domain_chat_t *d, long long actor, long long *out);
int domain_chat_participants(const domain_chat_t *d, long long actor, const char *uuid,
                             domain_page_t pg, json_t **out);
/* Mute or archive the room for the actor: 'participant_id' must be the
 * actor's own participant (another's: ERR_FORBIDDEN; none: ERR_NO_RECORD),
 * 'fields' {muted?, archived?} booleans; `admin` is refused (ERR_FORBIDDEN).
 * A muted room notifies the actor of nothing; a muted or archived room
 * leaves the unread rooms and the inbox count. *out: the room as the actor
 * sees it. */
int domain_chat_participant_update(const domain_chat_t *d, long long actor, const char *uuid,
                                   long long participant_id, const json_t *fields, json_t **out,
                                   const char **why);
/* Notification choices for spaces (embedded rooms of kind "space"), as
 * Circle's space notification preferences: "all", "mention" (only mentions
 * notify), "never" (the room is muted). With 'participant_id' (the actor's
 * own participation in a space, else ERR_NOT_FOUND), that one's: *out (may
 * be NULL) is {in_app, push}; with 0, every space of the actor's: *out is
 * [{id, space_id, space_name, choice, is_chat_space}]. 'set' (NULL: only
 * read) changes the choice first; ERR_INVAL for another word. */
int domain_chat_space_choice(const domain_chat_t *d, long long actor, long long participant_id,
                             const char *set, json_t **out);
/* Remove 'member' from a group room: its creator removes anyone, any
 * participant may leave. Direct and embedded rooms keep their members
 * (ERR_INVAL with *why). The member's room subscriptions stop receiving at
 * once, on every node. */
int domain_chat_participant_remove(const domain_chat_t *d, long long actor, const char *uuid,
                                   long long member, const char **why);

/* Messages. list: around 'id' (0: the newest), 'before' older and 'after'
 * newer ones, in ascending order, as {id, has_previous_page, has_next_page,
 * first_id, last_id, total_count, records}. send: rich_text_body or body,
 * parent_message_id, creation_uuid (made when not sent); *out is
 * {creation_uuid, parent_message_id, sent_at, id}. edit: a new text. */
int domain_chat_messages(const domain_chat_t *d, long long actor, const char *uuid, long long id,
                         long long before, long long after, json_t **out);
int domain_chat_message_send(const domain_chat_t *d, long long actor, const char *uuid,
                             const json_t *in, json_t **out, const char **why,
                             const char **problem);
int domain_chat_message_show(const domain_chat_t *d, long long actor, const char *uuid,
                             long long id, json_t **out);
int domain_chat_message_edit(const domain_chat_t *d, long long actor, const char *uuid,
                             long long id, const json_t *in, json_t **out, const char **why,
                             const char **problem);
int domain_chat_message_delete(const domain_chat_t *d, long long actor, const char *uuid,
                               long long id);
/* Add ('add' 1) or remove the actor's reaction 'emoji' to message
 * 'message_id' of a room they are in (else ERR_NO_MESSAGE). Adding twice
 * is adding once; removing one that is not there is ERR_NO_RECORD. *out
 * is Circle's create_reaction_response. */
int domain_chat_reaction(const domain_chat_t *d, long long actor, long long message_id,
                         const char *emoji, int add, json_t **out, const char **why);

/* Threads the actor takes part in. */
int domain_chat_threads(const domain_chat_t *d, long long actor, domain_page_t pg, json_t **out);
int domain_chat_thread_show(const domain_chat_t *d, long long actor, long long id, json_t **out);
int domain_chat_unread_threads(const domain_chat_t *d, long long actor, json_t **out);
int domain_chat_thread_read(const domain_chat_t *d, long long actor, long long id);

/* Whether 'member' may receive room *room_id (or, when it is 0, the room
 * with 'uuid'). Sets *room_id to the room's id and *version to the room's
 * access version (hub_access_version) as it was before the check, so the
 * caller can tell whether a removal overtook it. Returns 1 allowed, 0 not. */
int domain_chat_room_access(const domain_chat_t *d, long long member, long long *room_id,
                            const char *uuid, uint64_t *version);

#endif
