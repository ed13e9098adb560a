/* store/pg_chat.h: the chat operations of the PostgreSQL adapter, plugged
 * into its ops table by store/pg.c. Included by store/pg*.c only. */
#ifndef STORE_PG_CHAT_H
#define STORE_PG_CHAT_H

#include "store/store.h"

int pg__room_create(store_t *s, store_room_t *room, const long long *members, size_t count,
                    store_message_t *first);
int pg__room_people(store_t *s, long long room_id, long long viewer, store_person_t **rows,
                    size_t *count);
int pg__room_get(store_t *s, long long community_id, long long id, const char *uuid,
                     store_room_t *out);
int pg__room_find_identifier(store_t *s, long long community_id, const char *identifier,
                                 store_room_t *out);
int pg__room_update(store_t *s, store_room_t *room);
int pg__room_delete(store_t *s, long long id);
int pg__rooms_of_member(store_t *s, long long community_id, long long member_id,
                            long long offset, long long limit, store_room_t **rows,
                            size_t *count, long long *total);
int pg__participants(store_t *s, long long room_id, store_participant_t **rows,
                         size_t *count);
int pg__participant_get(store_t *s, long long room_id, long long member_id,
                            store_participant_t *out);
int pg__participant_add(store_t *s, long long room_id, long long member_id);
int pg__participant_remove(store_t *s, long long room_id, long long member_id);
int pg__participant_update(store_t *s, const store_participant_t *p);
long long pg__unread_count(store_t *s, long long room_id, long long member_id,
                               long long last_read);
int pg__message_create(store_t *s, store_message_t *m);
int pg__message_get(store_t *s, long long room_id, long long id, store_message_t *out);
int pg__message_find(store_t *s, long long id, store_message_t *out);
int pg__message_last(store_t *s, long long room_id, store_message_t *out);
int pg__messages_page(store_t *s, long long room_id, long long parent_id, long long from_id,
                          int after, long long limit, store_message_t **rows, size_t *count);
int pg__message_update(store_t *s, const store_message_t *m);
int pg__message_delete(store_t *s, const store_message_t *m);
int pg__thread_senders(store_t *s, long long parent_id, long long **ids, size_t *count);

long long pg__thread_read_get(store_t *s, long long parent_id, long long member_id);
int pg__thread_read_set(store_t *s, long long parent_id, long long member_id,
                            long long last_read);

int pg__threads_of_member(store_t *s, long long community_id, long long member_id,
                              long long offset, long long limit, store_message_t **rows,
                              size_t *count);
long long pg__thread_unread_count(store_t *s, long long parent_id, long long member_id,
                                      long long last_read);
long long pg__messages_count(store_t *s, long long room_id, long long parent_id);
long long pg__thread_last_reply(store_t *s, long long parent_id);
long long pg__thread_last_reply_at(store_t *s, long long parent_id);
int pg__reaction_add(store_t *s, long long message_id, long long member_id, const char *emoji);
int pg__reaction_remove(store_t *s, long long message_id, long long member_id, const char *emoji);
int pg__reactions_of(store_t *s, const long long *ids, size_t count, store_reaction_t **rows,
                     size_t *n);

int pg__upload_create(store_t *s, store_upload_t *u);
int pg__upload_get(store_t *s, long long community_id, long long id, store_upload_t *out);
int pg__upload_done(store_t *s, long long id, int64_t now);
int pg__uploads_of(store_t *s, long long community_id, const long long *ids, size_t count,
                store_upload_t **rows, size_t *n);

#endif
