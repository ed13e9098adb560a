/* domain/chat_internal.h: what the files of domain/chat share (chat.c:
 * rooms and participants; chat_messages.c: messages, threads, reactions).
 * Included by those files only. */
#ifndef DOMAIN_CHAT_INTERNAL_H
#define DOMAIN_CHAT_INTERNAL_H

#include "domain/chat.h"
#include "domain/chat_json.h"
#include "domain/chat_read.h"

/* A room ready to be shown: its snapshot, its newest top-level message and
 * its pinned message with their views. Owned; release with
 * domain__room_clear. */
typedef struct domain_room {
    chat_snapshot_t snap;
    store_message_t _msgs[2]; /* the last message, the pinned one */
    size_t _nmsgs;
    chat_views_t _views;
    chat_room_view_t view; /* what chat_json shapes */
    domain_sgid_key_t key;
} domain_room_t;

/* Read room 'uuid' (or id 'room_id' when not 0) for 'actor' (a participant,
 * else ERR_NOT_FOUND; actor 0: the host application, any room), with the
 * unread counts of 'viewer' (0: everyone's). Returns 0 or an error. */
int domain__room_read(const domain_chat_t *d, long long actor, long long room_id, const char *uuid,
                      long long viewer, domain_room_t *out);
/* Read the last and pinned messages of r->snap again and the view. */
int domain__room_refresh(const domain_chat_t *d, domain_room_t *r);
void domain__room_clear(domain_room_t *r);

/* One event, serialized once, on every stream of 'streams'. */
void domain__publish(const domain_chat_t *d, const hub_streams_t *streams, const char *event,
                     const json_t *data);
/* One event on one stream (events whose data differs per member). */
void domain__publish_one(const domain_chat_t *d, void (*add)(hub_streams_t *, long long),
                         long long id, const char *event, const json_t *data);
/* The threads streams of a thread's writers still in the room. */
int domain__add_thread_streams(const domain_chat_t *d, const chat_snapshot_t *s,
                               long long parent_id, hub_streams_t *streams);
int domain__is_embedded(const char *kind);
/* A new version 4 UUID. */
void domain__uuid(char out[40]);

/* Store a message of 'actor' in the room of 'snap' from the request 'in'
 * (its text, parent_message_id, creation_uuid), or, when 'create' is not
 * NULL, check it only and leave it in *create for the room's creation.
 * Declared here for domain_chat_room_create. */
struct domain_new_message {
    store_message_t m;
    long long *mentions;
    size_t mentions_count;
};
int domain__message_prepare(const domain_chat_t *d, const domain_sgid_key_t *k,
                            const chat_snapshot_t *snap, long long actor, const json_t *in,
                            struct domain_new_message *out, const char **why, const char **problem);
void domain__new_message_clear(struct domain_new_message *nm);
/* After 'nm' is committed in the room of 'r' (r->snap current): newMessage
 * on its streams and the notifications it makes. */
void domain__message_announce(const domain_chat_t *d, domain_room_t *r,
                              const struct domain_new_message *nm);

#endif
