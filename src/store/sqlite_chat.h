/* store/sqlite_chat.h: the chat operations of the SQLite adapter, plugged
 * into its ops table by store/sqlite.c. Included by store/sqlite*.c only. */
#ifndef STORE_SQLITE_CHAT_H
#define STORE_SQLITE_CHAT_H

#include "store/store.h"

int sqlite__room_create(store_t *s, store_room_t *room, const long long *members, size_t count,
                        store_message_t *first);
int sqlite__room_people(store_t *s, long long room_id, long long viewer, store_person_t **rows,
                        size_t *count);
int sqlite__room_get(store_t *s, long long community_id, long long id, const char *uuid,
                     store_room_t *out);
int sqlite__room_find_identifier(store_t *s, long long community_id, const char *identifier,
                                 store_room_t *out);
int sqlite__room_update(store_t *s, store_room_t *room);
int sqlite__room_delete(store_t *s, long long id);
int sqlite__rooms_of_member(store_t *s, long long community_id, long long member_id,
                            long long offset, long long limit, store_room_t **rows,
                            size_t *count, long long *total);
int sqlite__participants(store_t *s, long long room_id, store_participant_t **rows,
                         size_t *count);
int sqlite__participant_get(store_t *s, long long room_id, long long member_id,
                            store_participant_t *out);
int sqlite__participant_add(store_t *s, long long room_id, long long member_id);
int sqlite__participant_remove(store_t *s, long long room_id, long long member_id);
int sqlite__participant_update(store_t *s, const store_participant_t *p);
long long sqlite__unread_count(store_t *s, long long room_id, long long member_id,
                               long long last_read);
int sqlite__message_create(store_t *s, store_message_t *m);
int sqlite__message_get(store_t *s, long long room_id, long long id, store_message_t *out);
int sqlite__message_find(store_t *s, long long id, store_message_t *out);
int sqlite__message_last(store_t *s, long long room_id, store_message_t *out);
int sqlite__messages_page(store_t *s, long long room_id, long long parent_id, long long from_id,
                          int after, long long limit, store_message_t **rows, size_t *count);
int sqlite__message_update(store_t *s, const store_message_t *m);
int sqlite__message_delete(store_t *s, const store_message_t *m);
int sqlite__thread_senders(store_t *s, long long parent_id, long long **ids, size_t *count);

long long sqlite__thread_read_get(store_t *s, long long parent_id, long long member_id);
int sqlite__thread_read_set(store_t *s, long long parent_id, long long member_id,
                            long long last_read);

int sqlite__threads_of_member(store_t *s, long long community_id, long long member_id,
                              long long offset, long long limit, store_message_t **rows,
                              size_t *count);
long long sqlite__thread_unread_count(store_t *s, long long parent_id, long long member_id,
                                      long long last_read);
long long sqlite__messages_count(store_t *s, long long room_id, long long parent_id);
long long sqlite__thread_last_reply(store_t *s, long long parent_id);
long long sqlite__thread_last_reply_at(store_t *s, long long parent_id);
int sqlite__reaction_add(store_t *s, long long message_id, long long member_id, const char *emoji);
int sqlite__reaction_remove(store_t *s, long long message_id, long long member_id,
                            const char *emoji);
int sqlite__reactions_of(store_t *s, const long long *ids, size_t count, store_reaction_t **rows,
                         size_t *n);

int sqlite__upload_create(store_t *s, store_upload_t *u);
int sqlite__upload_get(store_t *s, long long community_id, long long id, store_upload_t *out);
int sqlite__upload_done(store_t *s, long long id, int64_t now);
int sqlite__uploads_of(store_t *s, long long community_id, const long long *ids, size_t count,
                    store_upload_t **rows, size_t *n);

#endif
