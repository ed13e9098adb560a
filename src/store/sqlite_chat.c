/* store/sqlite_chat: chat rooms, participants and messages in SQLite. The
 * operations of store.h's chat section; connections and helpers are in
 * store/sqlite.c. */
#include "core/alloc.h"
#include "core/err.h"
#include "store/sqlite_internal.h"
#include "store/sqlite_chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(base) ((struct store_sqlite *)(base))

static void clear_room(void *row)
{
    store_room_clear(row);
}

static void clear_message(void *row)
{
    store_message_clear(row);
}

static void read_id(sqlite3_stmt *st, void *row)
{
    *(long long *)row = sqlite3_column_int64(st, 0);
}

/* ---- rooms --------------------------------------------------------------- */

static void read_room(sqlite3_stmt *st, void *row)
{
    store_room_t *r = row;
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    snprintf(r->uuid, sizeof r->uuid, "%s", (const char *)sqlite3_column_text(st, 1));
    r->community_id = sqlite3_column_int64(st, 2);
    snprintf(r->kind, sizeof r->kind, "%s", (const char *)sqlite3_column_text(st, 3));
    r->identifier = sqlite__col_text(st, 4);
    r->name = sqlite__col_text(st, 5);
    r->description = sqlite__col_text(st, 6);
    r->show_history = sqlite3_column_int(st, 7);
    r->pinned_message_id = sqlite3_column_int64(st, 8);
    r->creator_id = sqlite3_column_int64(st, 9);
    r->created_at = sqlite3_column_int64(st, 10);
    r->updated_at = sqlite3_column_int64(st, 11);
}

static int one_room(sqlite3_stmt *st, store_room_t *out, const char *what)
{
    return sqlite__one(st, read_room, out, what);
}

static int message_insert(struct store_sqlite *s, store_message_t *m, int64_t now);

int sqlite__room_create(store_t *base, store_room_t *room, const long long *members, size_t count,
                        store_message_t *first)
{
    struct store_sqlite *s = S(base);
    int rc = sqlite__simple(s, STMT_BEGIN);
    if (rc) return rc;
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt(s, STMT_ROOM_INSERT, &db);
    int64_t now = sqlite__now_ms();
    if (!st) goto fail;
    sqlite__bind_text(st, 1, room->uuid);
    sqlite3_bind_int64(st, 2, room->community_id);
    sqlite__bind_text(st, 3, room->kind);
    sqlite__bind_text(st, 4, room->identifier);
    sqlite__bind_text(st, 5, room->name);
    sqlite__bind_text(st, 6, room->description);
    sqlite3_bind_int(st, 7, room->show_history);
    sqlite3_bind_int64(st, 8, room->creator_id);
    sqlite3_bind_int64(st, 9, now);
    if ((rc = sqlite__run(st, "room_insert")) != 0) goto fail;
    room->id = sqlite3_last_insert_rowid(db);
    room->created_at = room->updated_at = now;
    for (size_t i = 0; i < count; i++) {
        st = sqlite__stmt(s, STMT_PARTICIPANT_INSERT, NULL);
        if (!st) goto fail;
        sqlite3_bind_int64(st, 1, room->id);
        sqlite3_bind_int64(st, 2, members[i]);
        sqlite3_bind_int64(st, 3, now);
        if ((rc = sqlite__run(st, "participant_insert")) != 0) goto fail;
        if (first && members[i] == first->sender_id)
            first->participant_id = sqlite3_last_insert_rowid(db);
    }
    if (first) {
        first->room_id = room->id;
        if ((rc = message_insert(s, first, now)) != 0) goto fail;
    }
    return sqlite__simple(s, STMT_COMMIT);
fail:
    sqlite__simple(s, STMT_ROLLBACK);
    return rc ? rc : ERR_STORE;
}

int sqlite__room_get(store_t *base, long long community_id, long long id, const char *uuid,
                     store_room_t *out)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), id > 0 ? STMT_ROOM_BY_ID : STMT_ROOM_BY_UUID, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    if (id > 0)
        sqlite3_bind_int64(st, 2, id);
    else
        sqlite__bind_text(st, 2, uuid ? uuid : "");
    return one_room(st, out, "room_get");
}

int sqlite__room_find_identifier(store_t *base, long long community_id, const char *identifier,
                                 store_room_t *out)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_ROOM_BY_IDENTIFIER, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite__bind_text(st, 2, identifier);
    return one_room(st, out, "room_find_identifier");
}

int sqlite__room_update(store_t *base, store_room_t *room)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_ROOM_UPDATE, NULL);
    if (!st) return ERR_STORE;
    room->updated_at = sqlite__now_ms();
    sqlite3_bind_int64(st, 1, room->id);
    sqlite__bind_text(st, 2, room->name);
    sqlite__bind_text(st, 3, room->description);
    sqlite3_bind_int(st, 4, room->show_history);
    sqlite3_bind_int64(st, 5, room->pinned_message_id);
    sqlite3_bind_int64(st, 6, room->updated_at);
    return sqlite__run(st, "room_update");
}

int sqlite__room_delete(store_t *base, long long id)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_ROOM_DELETE, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    return sqlite__run(st, "room_delete");
}

int sqlite__rooms_of_member(store_t *base, long long community_id, long long member_id,
                            long long offset, long long limit, store_room_t **rows, size_t *count,
                            long long *total)
{
    struct store_sqlite *s = S(base);
    *rows = NULL;
    *count = 0;
    sqlite3_stmt *st = sqlite__stmt(s, STMT_ROOMS_OF_MEMBER_COUNT, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite3_bind_int64(st, 2, member_id);
    if (sqlite3_step(st) != SQLITE_ROW) return sqlite__fail(st, "rooms_of_member_count");
    *total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    st = sqlite__stmt(s, STMT_ROOMS_OF_MEMBER, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite3_bind_int64(st, 3, limit);
    sqlite3_bind_int64(st, 4, offset);
    int rc;
    *rows =
        sqlite__collect(st, sizeof **rows, read_room, clear_room, count, &rc, "rooms_of_member");
    return rc;
}

/* ---- participants -------------------------------------------------------- */

static void read_participant(sqlite3_stmt *st, void *row)
{
    store_participant_t *p = row;
    p->id = sqlite3_column_int64(st, 0);
    p->room_id = sqlite3_column_int64(st, 1);
    p->member_id = sqlite3_column_int64(st, 2);
    p->last_read_message_id = sqlite3_column_int64(st, 3);
    p->pinned_at = sqlite3_column_int64(st, 4);
    p->created_at = sqlite3_column_int64(st, 5);
    p->muted = sqlite3_column_int(st, 6);
    p->archived = sqlite3_column_int(st, 7);
}

static void read_person(sqlite3_stmt *st, void *row)
{
    store_person_t *p = row;
    p->p.id = sqlite3_column_int64(st, 0);
    p->p.member_id = sqlite3_column_int64(st, 1);
    p->name = sqlite__col_text(st, 2);
    p->email = sqlite__col_text(st, 3);
    p->avatar_url = sqlite__col_text(st, 4);
    p->p.last_read_message_id = sqlite3_column_int64(st, 5);
    p->p.pinned_at = sqlite3_column_int64(st, 6);
    p->p.created_at = sqlite3_column_int64(st, 7);
    p->p.muted = sqlite3_column_int(st, 8);
    p->p.archived = sqlite3_column_int(st, 9);
    p->unread_count = sqlite3_column_int64(st, 10);
    p->first_unread_id = sqlite3_column_int64(st, 11);
}

static void clear_person(void *row)
{
    store_person_clear(row);
}

int sqlite__room_people(store_t *base, long long room_id, long long viewer, store_person_t **rows,
                        size_t *count)
{
    *rows = NULL;
    *count = 0;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_ROOM_PEOPLE, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, room_id);
    sqlite3_bind_int64(st, 2, viewer);
    int rc;
    *rows =
        sqlite__collect(st, sizeof **rows, read_person, clear_person, count, &rc, "room_people");
    if (rc) return rc;
    for (size_t i = 0; i < *count; i++) (*rows)[i].p.room_id = room_id;
    return 0;
}

int sqlite__participants(store_t *base, long long room_id, store_participant_t **rows,
                         size_t *count)
{
    *rows = NULL;
    *count = 0;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_PARTICIPANTS, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, room_id);
    int rc;
    *rows = sqlite__collect(st, sizeof **rows, read_participant, NULL, count, &rc, "participants");
    return rc;
}

int sqlite__participant_get(store_t *base, long long room_id, long long member_id,
                            store_participant_t *out)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_PARTICIPANT_GET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, room_id);
    sqlite3_bind_int64(st, 2, member_id);
    return sqlite__one(st, read_participant, out, "participant_get");
}

int sqlite__participant_add(store_t *base, long long room_id, long long member_id)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_PARTICIPANT_INSERT, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, room_id);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite3_bind_int64(st, 3, sqlite__now_ms());
    return sqlite__run(st, "participant_add");
}

int sqlite__participant_remove(store_t *base, long long room_id, long long member_id)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_PARTICIPANT_DELETE, &db);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, room_id);
    sqlite3_bind_int64(st, 2, member_id);
    int rc = sqlite__run(st, "participant_remove");
    if (rc) return rc;
    return sqlite3_changes(db) ? 0 : ERR_NOT_FOUND;
}

int sqlite__participant_update(store_t *base, const store_participant_t *p)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_PARTICIPANT_UPDATE, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, p->id);
    sqlite3_bind_int64(st, 2, p->last_read_message_id);
    sqlite3_bind_int64(st, 3, p->pinned_at);
    sqlite3_bind_int(st, 4, p->muted);
    sqlite3_bind_int(st, 5, p->archived);
    return sqlite__run(st, "participant_update");
}

long long sqlite__unread_count(store_t *base, long long room_id, long long member_id,
                               long long last_read)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_UNREAD_COUNT, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, room_id);
    sqlite3_bind_int64(st, 2, last_read);
    sqlite3_bind_int64(st, 3, member_id);
    long long n = ERR_STORE;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return n;
}

/* ---- messages ------------------------------------------------------------ */

static void read_message(sqlite3_stmt *st, void *row)
{
    store_message_t *m = row;
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    m->room_id = sqlite3_column_int64(st, 1);
    m->participant_id = sqlite3_column_int64(st, 2);
    m->sender_id = sqlite3_column_int64(st, 3);
    m->body = sqlite__col_text(st, 4);
    m->rich_text_body = sqlite__col_text(st, 5);
    m->creation_uuid = sqlite__col_text(st, 6);
    m->parent_id = sqlite3_column_int64(st, 7);
    m->replies_count = sqlite3_column_int64(st, 8);
    m->edited_at = sqlite3_column_int64(st, 9);
    m->created_at = sqlite3_column_int64(st, 10);
}

static int one_message(sqlite3_stmt *st, store_message_t *out, const char *what)
{
    return sqlite__one(st, read_message, out, what);
}

static int replies_add(struct store_sqlite *s, long long parent, int delta)
{
    sqlite3_stmt *st = sqlite__stmt(s, STMT_MESSAGE_REPLIES_ADD, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, parent);
    sqlite3_bind_int(st, 2, delta);
    return sqlite__run(st, "message_replies_add");
}

/* Insert 'm' inside the caller's transaction: the message, its parent's
 * reply count, its room's activity. */
static int message_insert(struct store_sqlite *s, store_message_t *m, int64_t now)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt(s, STMT_MESSAGE_INSERT, &db);
    int rc;
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, m->room_id);
    sqlite3_bind_int64(st, 2, m->participant_id);
    sqlite3_bind_int64(st, 3, m->sender_id);
    sqlite__bind_text(st, 4, m->body);
    sqlite__bind_text(st, 5, m->rich_text_body);
    sqlite__bind_text(st, 6, m->creation_uuid);
    sqlite3_bind_int64(st, 7, m->parent_id);
    sqlite3_bind_int64(st, 8, now);
    if ((rc = sqlite__run(st, "message_insert")) != 0) return rc;
    m->id = sqlite3_last_insert_rowid(db);
    m->created_at = now;
    if (m->parent_id && (rc = replies_add(s, m->parent_id, 1)) != 0) return rc;
    st = sqlite__stmt(s, STMT_ROOM_TOUCH, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, m->room_id);
    sqlite3_bind_int64(st, 2, now);
    return sqlite__run(st, "room_touch");
}

int sqlite__message_create(store_t *base, store_message_t *m)
{
    struct store_sqlite *s = S(base);
    int rc = sqlite__simple(s, STMT_BEGIN);
    if (rc) return rc;
    if ((rc = message_insert(s, m, sqlite__now_ms())) != 0) goto fail;
    return sqlite__simple(s, STMT_COMMIT);
fail:
    sqlite__simple(s, STMT_ROLLBACK);
    return rc ? rc : ERR_STORE;
}

int sqlite__message_get(store_t *base, long long room_id, long long id, store_message_t *out)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_MESSAGE_GET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, room_id);
    sqlite3_bind_int64(st, 2, id);
    return one_message(st, out, "message_get");
}

int sqlite__message_find(store_t *base, long long id, store_message_t *out)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_MESSAGE_FIND, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    return one_message(st, out, "message_find");
}

int sqlite__message_last(store_t *base, long long room_id, store_message_t *out)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_MESSAGE_LAST, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, room_id);
    return one_message(st, out, "message_last");
}

int sqlite__messages_page(store_t *base, long long room_id, long long parent_id, long long from_id,
                          int after, long long limit, store_message_t **rows, size_t *count)
{
    *rows = NULL;
    *count = 0;
    sqlite3_stmt *st =
        sqlite__stmt(S(base), after ? STMT_MESSAGES_AFTER : STMT_MESSAGES_BEFORE, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, room_id);
    sqlite3_bind_int64(st, 2, parent_id);
    sqlite3_bind_int64(st, 3, from_id);
    sqlite3_bind_int64(st, 4, limit);
    int rc;
    *rows = sqlite__collect(st, sizeof **rows, read_message, clear_message, count, &rc,
                            "messages_page");
    if (rc) return rc;
    if (!after) {
        /* Fetched newest first to take the nearest ones; callers get
         * ascending order. */
        for (size_t i = 0; i < *count / 2; i++) {
            store_message_t t = (*rows)[i];
            (*rows)[i] = (*rows)[*count - 1 - i];
            (*rows)[*count - 1 - i] = t;
        }
    }
    return 0;
}

int sqlite__message_update(store_t *base, const store_message_t *m)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_MESSAGE_UPDATE, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, m->id);
    sqlite__bind_text(st, 2, m->body);
    sqlite__bind_text(st, 3, m->rich_text_body);
    sqlite3_bind_int64(st, 4, m->edited_at);
    return sqlite__run(st, "message_update");
}

int sqlite__message_delete(store_t *base, const store_message_t *m)
{
    struct store_sqlite *s = S(base);
    int rc = sqlite__simple(s, STMT_BEGIN);
    if (rc) return rc;
    sqlite3_stmt *st = sqlite__stmt(s, STMT_MESSAGE_DELETE, NULL);
    if (!st) goto fail;
    sqlite3_bind_int64(st, 1, m->id);
    if ((rc = sqlite__run(st, "message_delete")) != 0) goto fail;
    if (m->parent_id && (rc = replies_add(s, m->parent_id, -1)) != 0) goto fail;
    return sqlite__simple(s, STMT_COMMIT);
fail:
    sqlite__simple(s, STMT_ROLLBACK);
    return rc ? rc : ERR_STORE;
}

int sqlite__thread_senders(store_t *base, long long parent_id, long long **ids, size_t *count)
{
    *ids = NULL;
    *count = 0;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_THREAD_SENDERS, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, parent_id);
    int rc;
    *ids = sqlite__collect(st, sizeof **ids, read_id, NULL, count, &rc, "thread_senders");
    return rc;
}

/* ---- thread reads -------------------------------------------------------- */

long long sqlite__thread_read_get(store_t *base, long long parent_id, long long member_id)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_THREAD_READ_GET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, parent_id);
    sqlite3_bind_int64(st, 2, member_id);
    int rc = sqlite3_step(st);
    long long v = 0;
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        return sqlite__fail(st, "thread_read_get");
    sqlite3_reset(st);
    return v;
}

int sqlite__thread_read_set(store_t *base, long long parent_id, long long member_id,
                            long long last_read)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_THREAD_READ_SET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, parent_id);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite3_bind_int64(st, 3, last_read);
    return sqlite__run(st, "thread_read_set");
}

int sqlite__threads_of_member(store_t *base, long long community_id, long long member_id,
                              long long offset, long long limit, store_message_t **rows,
                              size_t *count)
{
    *rows = NULL;
    *count = 0;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_THREADS_OF_MEMBER, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite3_bind_int64(st, 3, limit);
    sqlite3_bind_int64(st, 4, offset);
    int rc;
    *rows = sqlite__collect(st, sizeof **rows, read_message, clear_message, count, &rc,
                            "threads_of_member");
    return rc;
}

static long long single_int(struct store_sqlite *s, enum stmt_id id, long long a, long long b,
                            long long c, int nparams)
{
    sqlite3_stmt *st = sqlite__stmt(s, id, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, a);
    if (nparams > 1) sqlite3_bind_int64(st, 2, b);
    if (nparams > 2) sqlite3_bind_int64(st, 3, c);
    long long v = ERR_STORE;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

long long sqlite__thread_unread_count(store_t *base, long long parent_id, long long member_id,
                                      long long last_read)
{
    return single_int(S(base), STMT_THREAD_UNREAD, parent_id, last_read, member_id, 3);
}

long long sqlite__messages_count(store_t *base, long long room_id, long long parent_id)
{
    return single_int(S(base), STMT_MESSAGES_COUNT, room_id, parent_id, 0, 2);
}

long long sqlite__thread_last_reply(store_t *base, long long parent_id)
{
    return single_int(S(base), STMT_THREAD_LAST_REPLY, parent_id, 0, 0, 1);
}

long long sqlite__thread_last_reply_at(store_t *base, long long parent_id)
{
    return single_int(S(base), STMT_THREAD_LAST_REPLY_AT, parent_id, 0, 0, 1);
}

/* ---- reactions ------------------------------------------------------------------------------ */

int sqlite__reaction_add(store_t *base, long long message_id, long long member_id,
                         const char *emoji)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_REACTION_INSERT, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, message_id);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite__bind_text(st, 3, emoji);
    sqlite3_bind_int64(st, 4, sqlite__now_ms());
    return sqlite__run(st, "reaction_add");
}

int sqlite__reaction_remove(store_t *base, long long message_id, long long member_id,
                            const char *emoji)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_REACTION_DELETE, &db);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, message_id);
    sqlite3_bind_int64(st, 2, member_id);
    sqlite__bind_text(st, 3, emoji);
    int rc = sqlite__run(st, "reaction_remove");
    if (rc) return rc;
    return sqlite3_changes(db) ? 0 : ERR_NOT_FOUND;
}

static void read_reaction(sqlite3_stmt *st, void *row)
{
    store_reaction_t *r = row;
    r->message_id = sqlite3_column_int64(st, 0);
    r->member_id = sqlite3_column_int64(st, 1);
    snprintf(r->emoji, sizeof r->emoji, "%s", (const char *)sqlite3_column_text(st, 2));
    r->created_at = sqlite3_column_int64(st, 3);
}

int sqlite__reactions_of(store_t *base, const long long *ids, size_t count, store_reaction_t **rows,
                         size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (count == 0) return 0;
    char *list = xmalloc(count * 21 + 3);
    size_t o = 0;
    list[o++] = '[';
    for (size_t i = 0; i < count; i++)
        o += (size_t)sprintf(list + o, "%s%lld", i ? "," : "", ids[i]);
    list[o++] = ']';
    list[o] = '\0';
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_REACTIONS_OF, NULL);
    if (!st) {
        free(list);
        return ERR_STORE;
    }
    sqlite3_bind_text(st, 1, list, (int)o, SQLITE_TRANSIENT);
    free(list);
    int rc;
    *rows = sqlite__collect(st, sizeof **rows, read_reaction, NULL, n, &rc, "reactions_of");
    return rc;
}

/* ---- uploads -------------------------------------------------------------------------------- */

static void read_upload(sqlite3_stmt *st, void *row)
{
    store_upload_t *u = row;
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(st, 0);
    u->community_id = sqlite3_column_int64(st, 1);
    u->member_id = sqlite3_column_int64(st, 2);
    snprintf(u->key, sizeof u->key, "%s", (const char *)sqlite3_column_text(st, 3));
    u->filename = sqlite__col_text(st, 4);
    u->content_type = sqlite__col_text(st, 5);
    u->byte_size = sqlite3_column_int64(st, 6);
    u->checksum = sqlite__col_text(st, 7);
    u->metadata = sqlite__col_text(st, 8);
    u->created_at = sqlite3_column_int64(st, 9);
    u->uploaded_at = sqlite3_column_int64(st, 10);
}

static void clear_upload(void *row)
{
    store_upload_clear(row);
}

int sqlite__upload_create(store_t *base, store_upload_t *u)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_UPLOAD_INSERT, &db);
    if (!st) return ERR_STORE;
    int64_t now = sqlite__now_ms();
    sqlite3_bind_int64(st, 1, u->community_id);
    sqlite3_bind_int64(st, 2, u->member_id);
    sqlite__bind_text(st, 3, u->key);
    sqlite__bind_text(st, 4, u->filename);
    sqlite__bind_text(st, 5, u->content_type);
    sqlite3_bind_int64(st, 6, u->byte_size);
    sqlite__bind_text(st, 7, u->checksum);
    sqlite__bind_text(st, 8, u->metadata);
    sqlite3_bind_int64(st, 9, now);
    int rc = sqlite__run(st, "upload_insert");
    if (rc) return rc;
    u->id = sqlite3_last_insert_rowid(db);
    u->created_at = now;
    return 0;
}

int sqlite__upload_get(store_t *base, long long community_id, long long id, store_upload_t *out)
{
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_UPLOAD_GET, NULL);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, community_id);
    sqlite3_bind_int64(st, 2, id);
    return sqlite__one(st, read_upload, out, "upload_get");
}

int sqlite__upload_done(store_t *base, long long id, int64_t now)
{
    sqlite3 *db;
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_UPLOAD_DONE, &db);
    if (!st) return ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite__run(st, "upload_done");
    if (rc) return rc;
    return sqlite3_changes(db) == 1 ? 0 : ERR_NOT_FOUND;
}

int sqlite__uploads_of(store_t *base, long long community_id, const long long *ids, size_t count,
                       store_upload_t **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (count == 0) return 0;
    char *list = xmalloc(count * 21 + 3);
    size_t o = 0;
    list[o++] = '[';
    for (size_t i = 0; i < count; i++)
        o += (size_t)sprintf(list + o, "%s%lld", i ? "," : "", ids[i]);
    list[o++] = ']';
    list[o] = '\0';
    sqlite3_stmt *st = sqlite__stmt(S(base), STMT_UPLOADS_OF, NULL);
    if (!st) {
        free(list);
        return ERR_STORE;
    }
    sqlite3_bind_int64(st, 1, community_id);
    sqlite3_bind_text(st, 2, list, (int)o, SQLITE_TRANSIENT);
    free(list);
    int rc;
    *rows = sqlite__collect(st, sizeof **rows, read_upload, clear_upload, n, &rc, "uploads_of");
    return rc;
}
