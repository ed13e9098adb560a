/* store/store.h: what cabled keeps on disk, behind one interface.
 *
 * Rows are plain structs; strings in them are owned by the row and freed
 * with the row's _clear function. Every operation may block (it is disk
 * I/O) and is therefore called only from worker threads, never from an
 * event loop; operations are thread-safe. Adapters (store/sqlite.c,
 * store/pg.c) embed 'store_t' first and are created only by main.c.
 *
 * Return values: 0 on success; ERR_NOT_FOUND when the row does not exist;
 * ERR_CONFLICT when a unique field is taken; ERR_STORE when the database
 * failed (logged by the adapter); ERR_UNAVAILABLE when the database cannot
 * be reached for now (a server-based store during an outage: the same call
 * may succeed later, and callers answer 503). Operations returning a count
 * return one of these negative codes instead on failure. */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

#define STORE_SECRET_MAX 64
#define STORE_ORIGINS_MAX 32

typedef struct store_community {
    long long id;
    char *name;
    uint8_t secret[STORE_SECRET_MAX];  /* HS256 key of member access tokens */
    size_t secret_len;
    char app_token_sha256[65];         /* hex SHA-256 of the app token, "" when none */
    char *origins[STORE_ORIGINS_MAX];  /* whitelisted Origins */
    size_t origins_count;
} store_community_t;

typedef struct store_member {
    long long id;
    long long community_id;
    char *email;
    char *name;
    char *sso_user_id;                 /* NULL when none */
    char *avatar_url;                  /* NULL when none */
    int64_t created_at;                /* unix milliseconds */
    int64_t updated_at;
    int64_t deactivated_at;            /* unix milliseconds, 0 while active */
} store_member_t;

typedef struct store_refresh {
    long long community_id;
    long long member_id;
    int64_t expires_at;                /* unix seconds */
    int64_t revoked_at;                /* 0 when live */
} store_refresh_t;

/* Chat rooms. kind is "direct", "group_chat", or an embedded kind
 * ("space", "lesson", "event"). identifier is "direct-{a}-{b}" for direct
 * rooms (unique per community), NULL otherwise. */
typedef struct store_room {
    long long id;
    char uuid[40];
    long long community_id;
    char kind[16];
    char *identifier;
    char *name;
    char *description;
    int show_history;
    long long pinned_message_id;       /* 0 when none */
    long long creator_id;              /* 0: created by the host application (admin API) */
    int64_t created_at;                /* unix milliseconds */
    int64_t updated_at;
} store_room_t;

typedef struct store_participant {
    long long id;
    long long room_id;
    long long member_id;
    long long last_read_message_id;    /* 0 when nothing read */
    int64_t pinned_at;                 /* unix milliseconds, 0 when not pinned */
    int64_t created_at;
    int muted;                         /* STORE_MUTED_*: which notifications the room makes */
    int archived;                      /* 1: out of the member's inbox and unread rooms */
} store_participant_t;

/* A participant's choice of notifications from its room (Circle's "all",
 * "never", "mention" for spaces; a muted chat is "never"). */
enum { STORE_MUTED_NO = 0, STORE_MUTED_ALL = 1, STORE_MUTED_BUT_MENTIONS = 2 };

/* A participant of a room with the member it is: what every view of the
 * room shows of its people, read in one statement (room_people). */
typedef struct store_person {
    store_participant_t p;
    char *name;                        /* NULL when the member is gone */
    char *email;
    char *avatar_url;                  /* NULL when none */
    long long unread_count;            /* top-level messages of others after p.last_read_message_id */
    long long first_unread_id;         /* the first of those, 0 when none */
} store_person_t;

typedef struct store_message {
    long long id;
    long long room_id;
    long long participant_id;
    long long sender_id;               /* community member */
    char *body;
    char *rich_text_body;              /* JSON text */
    char *creation_uuid;               /* NULL when the client sent none */
    long long parent_id;               /* 0 for a top-level message */
    long long replies_count;
    int64_t edited_at;                 /* 0 when never edited */
    int64_t created_at;
} store_message_t;

/* One member's reaction to a message: an emoji, once per member. */
#define STORE_EMOJI_MAX 64
typedef struct store_reaction {
    long long message_id;
    long long member_id;
    char emoji[STORE_EMOJI_MAX];       /* a short name ("heart") or the character itself */
    int64_t created_at;                /* unix milliseconds */
} store_reaction_t;

/* A file a member uploads (Circle's direct upload): its record; the bytes
 * are a file named 'key' under the data directory. */
typedef struct store_upload {
    long long id;
    long long community_id;
    long long member_id;               /* who uploads it */
    char key[32];                      /* random, names the file */
    char *filename;
    char *content_type;
    long long byte_size;
    char *checksum;                    /* base64 of its MD5 */
    char *metadata;                    /* a JSON object, or NULL */
    int64_t created_at;                /* unix milliseconds */
    int64_t uploaded_at;               /* when its bytes were kept, 0 until then */
} store_upload_t;

/* An in-app notification of one member. action is what happened
 * ("mention", "reply", or the host application's own words); extra is a
 * JSON object of further fields the host sent, or NULL. */
typedef struct store_notification {
    long long id;
    long long community_id;
    long long member_id;               /* the recipient */
    long long actor_id;                /* 0 when the host application */
    char *actor_name;
    char *action;
    char *display_action;
    char *notifiable_type;
    long long notifiable_id;
    char *notifiable_title;
    char *action_web_url;
    char *extra;
    int64_t created_at;                /* unix milliseconds */
    int64_t read_at;                   /* 0 when unread */
    char *kind;                        /* its preference kind ("mention", ...), NULL: none */
    char *parent_type;                 /* what its notifiable belongs to ("ChatRoom"), or NULL */
    long long parent_id;
    int64_t archived_at;               /* 0 while in the inbox */
} store_notification_t;

/* One notification preference of a member: a kind enabled or muted. */
typedef struct store_preference {
    char kind[32];
    int enabled;
} store_preference_t;

enum { STORE_MEMBERS_ACTIVE, STORE_MEMBERS_INACTIVE, STORE_MEMBERS_ALL };
enum { STORE_ORDER_OLDEST, STORE_ORDER_LATEST, STORE_ORDER_ALPHABETICAL };

struct store_ops {
    /* Communities. put inserts or replaces (id, name, secret, app token
     * hash and the whole Origin list) in one transaction. */
    int (*community_get)(store_t *s, long long id, store_community_t *out);
    int (*community_put)(store_t *s, const store_community_t *c);

    /* Members. create fills m->id, created_at, updated_at. find looks a
     * member up by "email" or "sso_user_id". list returns owned rows
     * (free with store_members_free) ordered by id, and the total count. */
    int (*member_create)(store_t *s, store_member_t *m);
    int (*member_get)(store_t *s, long long community_id, long long id, store_member_t *out);
    int (*member_find)(store_t *s, long long community_id, const char *field, const char *value,
                       store_member_t *out);
    int (*member_list)(store_t *s, long long community_id, long long offset, long long limit,
                       store_member_t **rows, size_t *count, long long *total);
    long long (*member_count)(store_t *s, long long community_id);
    /* Members matching a query: 'text' (NULL: all) found in the name or the
     * email, case-insensitively; 'status' STORE_MEMBERS_ACTIVE, _INACTIVE
     * (deactivated) or _ALL; 'order' STORE_ORDER_OLDEST (by id),
     * _LATEST or _ALPHABETICAL (by name). Owned rows and the total. */
    int (*members_search)(store_t *s, long long community_id, const char *text, int status,
                          int order, long long offset, long long limit, store_member_t **rows,
                          size_t *count, long long *total);
    /* Deactivate a member (deactivated_at = now): it stays, but may no
     * longer sign in. ERR_NOT_FOUND when there is no such member or it is
     * deactivated already. */
    int (*member_deactivate)(store_t *s, long long community_id, long long id, int64_t now);
    /* Delete a member with what is theirs, in one transaction: room
     * participations, refresh tokens, notifications, read positions. The
     * messages they wrote stay. ERR_NOT_FOUND when there is no such member. */
    int (*member_delete)(store_t *s, long long community_id, long long id);

    /* Refresh tokens, kept only as the SHA-256 of the token. */
    int (*refresh_create)(store_t *s, const uint8_t hash[32], long long community_id,
                          long long member_id, int64_t expires_at);
    int (*refresh_get)(store_t *s, const uint8_t hash[32], store_refresh_t *out);
    /* ERR_NOT_FOUND when unknown or already revoked. */
    int (*refresh_revoke)(store_t *s, const uint8_t hash[32], int64_t now);

    /* Revoked access tokens, kept until they would have expired anyway.
     * ERR_CONFLICT when already revoked. */
    int (*access_revoke)(store_t *s, const char *jti, long long community_id, int64_t expires_at);
    /* Call 'cb' for every revoked token that has not expired by 'now'. */
    int (*access_revoked_each)(store_t *s, int64_t now,
                               void (*cb)(void *ud, const char *jti, int64_t expires_at),
                               void *ud);

    /* Chat rooms. create inserts the room and its participants in one
     * transaction and fills id and the times; with 'first' (may be NULL),
     * also that message of member first->sender_id (a participant), whose
     * room_id, participant_id, id and created_at it fills. ERR_CONFLICT
     * when a direct room with the same identifier exists (nothing is
     * written). get finds by id when id > 0, else by uuid. rooms_of_member
     * lists a member's rooms, pinned first, then by latest activity. */
    int (*room_create)(store_t *s, store_room_t *room, const long long *members, size_t count,
                       store_message_t *first);
    int (*room_get)(store_t *s, long long community_id, long long id, const char *uuid,
                    store_room_t *out);
    int (*room_find_identifier)(store_t *s, long long community_id, const char *identifier,
                                store_room_t *out);
    int (*room_update)(store_t *s, store_room_t *room);
    int (*room_delete)(store_t *s, long long id);
    int (*rooms_of_member)(store_t *s, long long community_id, long long member_id,
                           long long offset, long long limit, store_room_t **rows, size_t *count,
                           long long *total);

    /* Participants. people: every participant of the room with its member,
     * in the order they joined, in one statement; the unread counts are
     * those of 'viewer' only (0: of everyone; the others' are 0). Free the
     * rows with store_people_free. update writes last_read_message_id,
     * pinned_at, muted and archived. */
    int (*participants)(store_t *s, long long room_id, store_participant_t **rows, size_t *count);
    int (*room_people)(store_t *s, long long room_id, long long viewer, store_person_t **rows,
                       size_t *count);
    int (*participant_get)(store_t *s, long long room_id, long long member_id,
                           store_participant_t *out);
    int (*participant_add)(store_t *s, long long room_id, long long member_id);
    int (*participant_remove)(store_t *s, long long room_id, long long member_id);
    int (*participant_update)(store_t *s, const store_participant_t *p);
    /* Top-level messages after 'last_read' sent by others than the member. */
    long long (*unread_count)(store_t *s, long long room_id, long long member_id,
                              long long last_read);

    /* Messages. create fills id and created_at, and in the same
     * transaction counts a reply on its parent and marks the room active.
     * page lists a room's top-level messages (parent_id 0) or a thread's
     * replies, 'limit' of them before 'from_id' (after = 0) or after it
     * (after = 1), always in ascending id order. delete removes a message
     * with its replies, and uncounts a reply on its parent. */
    int (*message_create)(store_t *s, store_message_t *m);
    int (*message_get)(store_t *s, long long room_id, long long id, store_message_t *out);
    /* A message by id alone (the caller then checks its room). */
    int (*message_find)(store_t *s, long long id, store_message_t *out);
    int (*message_last)(store_t *s, long long room_id, store_message_t *out);
    int (*messages_page)(store_t *s, long long room_id, long long parent_id, long long from_id,
                         int after, long long limit, store_message_t **rows, size_t *count);
    /* Top-level messages of a room (parent_id 0), or a thread's replies. */
    long long (*messages_count)(store_t *s, long long room_id, long long parent_id);
    int (*message_update)(store_t *s, const store_message_t *m);
    int (*message_delete)(store_t *s, const store_message_t *m);
    /* The members who wrote a thread: its parent's author and every replier. */
    int (*thread_senders)(store_t *s, long long parent_id, long long **ids, size_t *count);
    /* When the newest reply of a thread was sent (0 when none), or an error. */
    long long (*thread_last_reply_at)(store_t *s, long long parent_id);

    /* Reactions. add: ERR_CONFLICT when the member has that one already;
     * remove: ERR_NOT_FOUND when not. of: the reactions of 'count' messages
     * (ids borrowed), by message, then emoji, then time; owned rows. */
    int (*reaction_add)(store_t *s, long long message_id, long long member_id, const char *emoji);
    int (*reaction_remove)(store_t *s, long long message_id, long long member_id,
                           const char *emoji);
    int (*reactions_of)(store_t *s, const long long *message_ids, size_t count,
                        store_reaction_t **rows, size_t *n);

    /* Threads (top-level messages with replies) that 'member_id' wrote or
     * replied in, in rooms they are still in, newest first. */
    int (*threads_of_member)(store_t *s, long long community_id, long long member_id,
                             long long offset, long long limit, store_message_t **rows,
                             size_t *count);
    /* Replies after 'last_read' in a thread by others than the member. */
    long long (*thread_unread_count)(store_t *s, long long parent_id, long long member_id,
                                     long long last_read);
    long long (*thread_last_reply)(store_t *s, long long parent_id);
    /* Thread read positions: the newest reply a member has read in the
     * thread of 'parent_id' (0 when none). */
    long long (*thread_read_get)(store_t *s, long long parent_id, long long member_id);
    int (*thread_read_set)(store_t *s, long long parent_id, long long member_id,
                           long long last_read);

    /* Notifications. create fills id and created_at. list pages a member's
     * notifications in the inbox (not archived) newest first ('status'
     * "all", "read" or "unread"). mark_all_read marks those of 'kind' (NULL:
     * any) belonging to 'parent_type' 'parent_id' (NULL: any). The
     * new-notifications count is the number of unread notifications in the
     * inbox newer than the member's last reset, of 'kind' for
     * new_count_of (NULL: any); reset moves that mark to now. archive
     * takes one out of the inbox; delete removes it. Both ERR_NOT_FOUND
     * when it is not the member's. */
    int (*notification_create)(store_t *s, store_notification_t *n);
    int (*notification_get)(store_t *s, long long member_id, long long id,
                            store_notification_t *out);
    int (*notifications_list)(store_t *s, long long member_id, const char *status,
                              long long offset, long long limit, store_notification_t **rows,
                              size_t *count, long long *total);
    int (*notification_mark_read)(store_t *s, long long member_id, long long id, int64_t now);
    int (*notifications_mark_all_read)(store_t *s, long long member_id, const char *kind,
                                       const char *parent_type, long long parent_id, int64_t now);
    long long (*notifications_new_count)(store_t *s, long long member_id);
    long long (*notifications_new_count_of)(store_t *s, long long member_id, const char *kind);
    int (*notifications_reset)(store_t *s, long long member_id);
    int (*notification_archive)(store_t *s, long long member_id, long long id, int64_t now);
    int (*notification_delete)(store_t *s, long long member_id, long long id);
    /* Notification preferences of a medium ("in_app", "mobile"): the kinds
     * the member set, by kind (owned rows); a kind not listed is enabled. */
    int (*preferences_get)(store_t *s, long long member_id, const char *medium,
                           store_preference_t **rows, size_t *count);
    int (*preference_set)(store_t *s, long long member_id, const char *medium, const char *kind,
                          int enabled);

    /* Uploads. create fills id and created_at; get finds one of the
     * community; done marks its bytes kept (ERR_NOT_FOUND when it is not
     * there or they are already); of reads those of 'count' ids (borrowed),
     * owned rows in no particular order. */
    int (*upload_create)(store_t *s, store_upload_t *u);
    int (*upload_get)(store_t *s, long long community_id, long long id, store_upload_t *out);
    int (*upload_done)(store_t *s, long long id, int64_t now);
    int (*uploads_of)(store_t *s, long long community_id, const long long *ids, size_t count,
                      store_upload_t **rows, size_t *n);

    void (*destroy)(store_t *s);
};

struct store {
    const struct store_ops *ops;
    const char *name;                  /* "sqlite", "postgres" */
};

void store_community_clear(store_community_t *c);
void store_member_clear(store_member_t *m);
void store_members_free(store_member_t *rows, size_t count);
void store_room_clear(store_room_t *r);
void store_rooms_free(store_room_t *rows, size_t count);
void store_message_clear(store_message_t *m);
void store_messages_free(store_message_t *rows, size_t count);
void store_upload_clear(store_upload_t *u);
void store_uploads_free(store_upload_t *rows, size_t count);
void store_person_clear(store_person_t *p);
void store_people_free(store_person_t *rows, size_t count);
void store_notification_clear(store_notification_t *n);
void store_notifications_free(store_notification_t *rows, size_t count);

static inline void store_destroy(store_t *s)
{
    if (s) s->ops->destroy(s);
}

#endif
