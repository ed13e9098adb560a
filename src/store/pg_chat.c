/* store/pg_chat: chat rooms, participants and messages in PostgreSQL. The
 * operations of store.h's chat section, statement for statement those of
 * store/sqlite_chat.c; the pool and the helpers are in store/pg.c. The
 * writes that touch several rows (a room with its participants, a message
 * with its parent's count and its room's activity, a message with its
 * replies) are one transaction on one borrowed connection. */
#include "core/alloc.h"
#include "core/err.h"
#include "store/pg_chat.h"
#include "store/pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(base) ((struct store_pg *)(base))

static void read_id(const PGresult *r, int row, void *out)
{
    *(long long *)out = pg__col_int(r, row, 0);
}

/* ---- rooms ------------------------------------------------------------------------------------
 */

static void read_room(const PGresult *r, int row, void *out)
{
    store_room_t *m = out;
    memset(m, 0, sizeof *m);
    m->id = pg__col_int(r, row, 0);
    pg__col_copy(r, row, 1, m->uuid, sizeof m->uuid);
    m->community_id = pg__col_int(r, row, 2);
    pg__col_copy(r, row, 3, m->kind, sizeof m->kind);
    m->identifier = pg__col_text(r, row, 4);
    m->name = pg__col_text(r, row, 5);
    m->description = pg__col_text(r, row, 6);
    m->show_history = (int)pg__col_int(r, row, 7);
    m->pinned_message_id = pg__col_int(r, row, 8);
    m->creator_id = pg__col_int(r, row, 9);
    m->created_at = pg__col_int(r, row, 10);
    m->updated_at = pg__col_int(r, row, 11);
}

static int message_insert(struct store_pg *s, struct pg_conn *c, store_message_t *m, int64_t now);

int pg__room_create(store_t *base, store_room_t *room, const long long *members, size_t count,
                    store_message_t *first)
{
    struct store_pg *s = S(base);
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    int64_t now = pg__now_ms();
    pg_params_t p = {0};
    pg__text(&p, room->uuid);
    pg__int(&p, room->community_id);
    pg__text(&p, room->kind);
    pg__text(&p, room->identifier);
    pg__text(&p, room->name);
    pg__text(&p, room->description);
    pg__int(&p, room->show_history);
    pg__int(&p, room->creator_id);
    pg__int(&p, now);
    long long id = 0;
    if ((rc = pg__run(s, c, PG_STMT_BEGIN, NULL, NULL, "begin")) != 0 ||
        (rc = pg__one(s, c, PG_STMT_ROOM_INSERT, &p, read_id, &id, "room_insert")) != 0)
        goto fail;
    for (size_t i = 0; i < count; i++) {
        pg_params_t q = {0};
        pg__int(&q, id);
        pg__int(&q, members[i]);
        pg__int(&q, now);
        if (first && members[i] == first->sender_id) {
            if ((rc = pg__one(s, c, PG_STMT_PARTICIPANT_INSERT_ID, &q, read_id,
                              &first->participant_id, "participant_insert")) != 0)
                goto fail;
        } else if ((rc = pg__run(s, c, PG_STMT_PARTICIPANT_INSERT, &q, NULL,
                                 "participant_insert")) != 0) {
            goto fail;
        }
    }
    if (first) {
        first->room_id = id;
        if ((rc = message_insert(s, c, first, now)) != 0) goto fail;
    }
    if ((rc = pg__run(s, c, PG_STMT_COMMIT, NULL, NULL, "commit")) == 0) {
        room->id = id;
        room->created_at = room->updated_at = now;
    }
    pg__release(s, c);
    return rc;
fail:
    rc = pg__abort(s, c, rc);
    pg__release(s, c);
    return rc;
}

int pg__room_get(store_t *base, long long community_id, long long id, const char *uuid,
                 store_room_t *out)
{
    pg_params_t p = {0};
    pg__int(&p, community_id);
    if (id > 0)
        pg__int(&p, id);
    else
        pg__text(&p, uuid ? uuid : "");
    return pg__one_op(S(base), id > 0 ? PG_STMT_ROOM_BY_ID : PG_STMT_ROOM_BY_UUID, &p, read_room,
                      out, "room_get");
}

int pg__room_find_identifier(store_t *base, long long community_id, const char *identifier,
                             store_room_t *out)
{
    pg_params_t p = {0};
    pg__int(&p, community_id);
    pg__text(&p, identifier);
    return pg__one_op(S(base), PG_STMT_ROOM_BY_IDENTIFIER, &p, read_room, out,
                      "room_find_identifier");
}

int pg__room_update(store_t *base, store_room_t *room)
{
    room->updated_at = pg__now_ms();
    pg_params_t p = {0};
    pg__int(&p, room->id);
    pg__text(&p, room->name);
    pg__text(&p, room->description);
    pg__int(&p, room->show_history);
    pg__int(&p, room->pinned_message_id);
    pg__int(&p, room->updated_at);
    return pg__run_op(S(base), PG_STMT_ROOM_UPDATE, &p, NULL, "room_update");
}

int pg__room_delete(store_t *base, long long id)
{
    pg_params_t p = {0};
    pg__int(&p, id);
    return pg__run_op(S(base), PG_STMT_ROOM_DELETE, &p, NULL, "room_delete");
}

int pg__rooms_of_member(store_t *base, long long community_id, long long member_id,
                        long long offset, long long limit, store_room_t **rows, size_t *count,
                        long long *total)
{
    struct store_pg *s = S(base);
    *rows = NULL;
    *count = 0;
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    pg_params_t p = {0};
    pg__int(&p, community_id);
    pg__int(&p, member_id);
    *total = pg__value(s, c, PG_STMT_ROOMS_OF_MEMBER_COUNT, &p, "rooms_of_member_count");
    if (*total < 0) {
        rc = (int)*total;
    } else {
        pg__int(&p, limit);
        pg__int(&p, offset);
        *rows = pg__collect(s, c, PG_STMT_ROOMS_OF_MEMBER, &p, sizeof **rows, read_room, count, &rc,
                            "rooms_of_member");
    }
    pg__release(s, c);
    return rc;
}

/* ---- participants -----------------------------------------------------------------------------
 */

static void read_participant(const PGresult *r, int row, void *out)
{
    store_participant_t *p = out;
    p->id = pg__col_int(r, row, 0);
    p->room_id = pg__col_int(r, row, 1);
    p->member_id = pg__col_int(r, row, 2);
    p->last_read_message_id = pg__col_int(r, row, 3);
    p->pinned_at = pg__col_int(r, row, 4);
    p->created_at = pg__col_int(r, row, 5);
    p->muted = (int)pg__col_int(r, row, 6);
    p->archived = (int)pg__col_int(r, row, 7);
}

static void read_person(const PGresult *r, int row, void *out)
{
    store_person_t *p = out;
    p->p.id = pg__col_int(r, row, 0);
    p->p.member_id = pg__col_int(r, row, 1);
    p->name = pg__col_text(r, row, 2);
    p->email = pg__col_text(r, row, 3);
    p->avatar_url = pg__col_text(r, row, 4);
    p->p.last_read_message_id = pg__col_int(r, row, 5);
    p->p.pinned_at = pg__col_int(r, row, 6);
    p->p.created_at = pg__col_int(r, row, 7);
    p->p.muted = (int)pg__col_int(r, row, 8);
    p->p.archived = (int)pg__col_int(r, row, 9);
    p->unread_count = pg__col_int(r, row, 10);
    p->first_unread_id = pg__col_int(r, row, 11);
}

int pg__room_people(store_t *base, long long room_id, long long viewer, store_person_t **rows,
                    size_t *count)
{
    pg_params_t p = {0};
    pg__int(&p, room_id);
    pg__int(&p, viewer);
    int rc;
    *rows = pg__collect_op(S(base), PG_STMT_ROOM_PEOPLE, &p, sizeof **rows, read_person, count, &rc,
                           "room_people");
    if (rc) return rc;
    for (size_t i = 0; i < *count; i++) (*rows)[i].p.room_id = room_id;
    return 0;
}

int pg__participants(store_t *base, long long room_id, store_participant_t **rows, size_t *count)
{
    pg_params_t p = {0};
    pg__int(&p, room_id);
    int rc;
    *rows = pg__collect_op(S(base), PG_STMT_PARTICIPANTS, &p, sizeof **rows, read_participant,
                           count, &rc, "participants");
    return rc;
}

int pg__participant_get(store_t *base, long long room_id, long long member_id,
                        store_participant_t *out)
{
    pg_params_t p = {0};
    pg__int(&p, room_id);
    pg__int(&p, member_id);
    return pg__one_op(S(base), PG_STMT_PARTICIPANT_GET, &p, read_participant, out,
                      "participant_get");
}

int pg__participant_add(store_t *base, long long room_id, long long member_id)
{
    pg_params_t p = {0};
    pg__int(&p, room_id);
    pg__int(&p, member_id);
    pg__int(&p, pg__now_ms());
    return pg__run_op(S(base), PG_STMT_PARTICIPANT_INSERT, &p, NULL, "participant_add");
}

int pg__participant_remove(store_t *base, long long room_id, long long member_id)
{
    pg_params_t p = {0};
    pg__int(&p, room_id);
    pg__int(&p, member_id);
    long long changed = 0;
    int rc = pg__run_op(S(base), PG_STMT_PARTICIPANT_DELETE, &p, &changed, "participant_remove");
    if (rc) return rc;
    return changed ? 0 : ERR_NOT_FOUND;
}

int pg__participant_update(store_t *base, const store_participant_t *pt)
{
    pg_params_t p = {0};
    pg__int(&p, pt->id);
    pg__int(&p, pt->last_read_message_id);
    pg__int(&p, pt->pinned_at);
    pg__int(&p, pt->muted);
    pg__int(&p, pt->archived);
    return pg__run_op(S(base), PG_STMT_PARTICIPANT_UPDATE, &p, NULL, "participant_update");
}

long long pg__unread_count(store_t *base, long long room_id, long long member_id,
                           long long last_read)
{
    pg_params_t p = {0};
    pg__int(&p, room_id);
    pg__int(&p, last_read);
    pg__int(&p, member_id);
    return pg__value_op(S(base), PG_STMT_UNREAD_COUNT, &p, "unread_count");
}

/* ---- messages ---------------------------------------------------------------------------------
 */

static void read_message(const PGresult *r, int row, void *out)
{
    store_message_t *m = out;
    memset(m, 0, sizeof *m);
    m->id = pg__col_int(r, row, 0);
    m->room_id = pg__col_int(r, row, 1);
    m->participant_id = pg__col_int(r, row, 2);
    m->sender_id = pg__col_int(r, row, 3);
    m->body = pg__col_text(r, row, 4);
    m->rich_text_body = pg__col_text(r, row, 5);
    m->creation_uuid = pg__col_text(r, row, 6);
    m->parent_id = pg__col_int(r, row, 7);
    m->replies_count = pg__col_int(r, row, 8);
    m->edited_at = pg__col_int(r, row, 9);
    m->created_at = pg__col_int(r, row, 10);
}

static int replies_add(struct store_pg *s, struct pg_conn *c, long long parent, int delta)
{
    pg_params_t p = {0};
    pg__int(&p, parent);
    pg__int(&p, delta);
    return pg__run(s, c, PG_STMT_MESSAGE_REPLIES_ADD, &p, NULL, "message_replies_add");
}

/* Insert 'm' inside the caller's transaction on 'c': the message, its
 * parent's reply count, its room's activity. */
static int message_insert(struct store_pg *s, struct pg_conn *c, store_message_t *m, int64_t now)
{
    pg_params_t p = {0};
    pg__int(&p, m->room_id);
    pg__int(&p, m->participant_id);
    pg__int(&p, m->sender_id);
    pg__text(&p, m->body);
    pg__text(&p, m->rich_text_body);
    pg__text(&p, m->creation_uuid);
    pg__int(&p, m->parent_id);
    pg__int(&p, now);
    pg_params_t touch = {0};
    pg__int(&touch, m->room_id);
    pg__int(&touch, now);
    long long id = 0;
    int rc;
    if ((rc = pg__one(s, c, PG_STMT_MESSAGE_INSERT, &p, read_id, &id, "message_insert")) != 0 ||
        (m->parent_id && (rc = replies_add(s, c, m->parent_id, 1)) != 0) ||
        (rc = pg__run(s, c, PG_STMT_ROOM_TOUCH, &touch, NULL, "room_touch")) != 0)
        return rc;
    m->id = id;
    m->created_at = now;
    return 0;
}

int pg__message_create(store_t *base, store_message_t *m)
{
    struct store_pg *s = S(base);
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    if ((rc = pg__run(s, c, PG_STMT_BEGIN, NULL, NULL, "begin")) != 0 ||
        (rc = message_insert(s, c, m, pg__now_ms())) != 0) {
        m->id = 0;
        m->created_at = 0;
        rc = pg__abort(s, c, rc);
        pg__release(s, c);
        return rc;
    }
    rc = pg__run(s, c, PG_STMT_COMMIT, NULL, NULL, "commit");
    if (rc) m->id = m->created_at = 0;
    pg__release(s, c);
    return rc;
}

int pg__message_get(store_t *base, long long room_id, long long id, store_message_t *out)
{
    pg_params_t p = {0};
    pg__int(&p, room_id);
    pg__int(&p, id);
    return pg__one_op(S(base), PG_STMT_MESSAGE_GET, &p, read_message, out, "message_get");
}

int pg__message_find(store_t *base, long long id, store_message_t *out)
{
    pg_params_t p = {0};
    pg__int(&p, id);
    return pg__one_op(S(base), PG_STMT_MESSAGE_FIND, &p, read_message, out, "message_find");
}

int pg__message_last(store_t *base, long long room_id, store_message_t *out)
{
    pg_params_t p = {0};
    pg__int(&p, room_id);
    return pg__one_op(S(base), PG_STMT_MESSAGE_LAST, &p, read_message, out, "message_last");
}

int pg__messages_page(store_t *base, long long room_id, long long parent_id, long long from_id,
                      int after, long long limit, store_message_t **rows, size_t *count)
{
    pg_params_t p = {0};
    pg__int(&p, room_id);
    pg__int(&p, parent_id);
    pg__int(&p, from_id);
    pg__int(&p, limit);
    int rc;
    *rows = pg__collect_op(S(base), after ? PG_STMT_MESSAGES_AFTER : PG_STMT_MESSAGES_BEFORE, &p,
                           sizeof **rows, read_message, count, &rc, "messages_page");
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

int pg__message_update(store_t *base, const store_message_t *m)
{
    pg_params_t p = {0};
    pg__int(&p, m->id);
    pg__text(&p, m->body);
    pg__text(&p, m->rich_text_body);
    pg__int(&p, m->edited_at);
    return pg__run_op(S(base), PG_STMT_MESSAGE_UPDATE, &p, NULL, "message_update");
}

int pg__message_delete(store_t *base, const store_message_t *m)
{
    struct store_pg *s = S(base);
    int rc;
    struct pg_conn *c = pg__acquire(s, &rc);
    if (!c) return rc;
    pg_params_t p = {0};
    pg__int(&p, m->id);
    if ((rc = pg__run(s, c, PG_STMT_BEGIN, NULL, NULL, "begin")) != 0 ||
        (rc = pg__run(s, c, PG_STMT_MESSAGE_DELETE, &p, NULL, "message_delete")) != 0 ||
        (m->parent_id && (rc = replies_add(s, c, m->parent_id, -1)) != 0)) {
        rc = pg__abort(s, c, rc);
        pg__release(s, c);
        return rc;
    }
    rc = pg__run(s, c, PG_STMT_COMMIT, NULL, NULL, "commit");
    pg__release(s, c);
    return rc;
}

int pg__thread_senders(store_t *base, long long parent_id, long long **ids, size_t *count)
{
    pg_params_t p = {0};
    pg__int(&p, parent_id);
    int rc;
    *ids = pg__collect_op(S(base), PG_STMT_THREAD_SENDERS, &p, sizeof **ids, read_id, count, &rc,
                          "thread_senders");
    return rc;
}

/* ---- threads ----------------------------------------------------------------------------------
 */

long long pg__thread_read_get(store_t *base, long long parent_id, long long member_id)
{
    pg_params_t p = {0};
    pg__int(&p, parent_id);
    pg__int(&p, member_id);
    return pg__value_op(S(base), PG_STMT_THREAD_READ_GET, &p, "thread_read_get");
}

int pg__thread_read_set(store_t *base, long long parent_id, long long member_id,
                        long long last_read)
{
    pg_params_t p = {0};
    pg__int(&p, parent_id);
    pg__int(&p, member_id);
    pg__int(&p, last_read);
    return pg__run_op(S(base), PG_STMT_THREAD_READ_SET, &p, NULL, "thread_read_set");
}

int pg__threads_of_member(store_t *base, long long community_id, long long member_id,
                          long long offset, long long limit, store_message_t **rows, size_t *count)
{
    pg_params_t p = {0};
    pg__int(&p, community_id);
    pg__int(&p, member_id);
    pg__int(&p, limit);
    pg__int(&p, offset);
    int rc;
    *rows = pg__collect_op(S(base), PG_STMT_THREADS_OF_MEMBER, &p, sizeof **rows, read_message,
                           count, &rc, "threads_of_member");
    return rc;
}

long long pg__thread_unread_count(store_t *base, long long parent_id, long long member_id,
                                  long long last_read)
{
    pg_params_t p = {0};
    pg__int(&p, parent_id);
    pg__int(&p, last_read);
    pg__int(&p, member_id);
    return pg__value_op(S(base), PG_STMT_THREAD_UNREAD, &p, "thread_unread_count");
}

long long pg__messages_count(store_t *base, long long room_id, long long parent_id)
{
    pg_params_t p = {0};
    pg__int(&p, room_id);
    pg__int(&p, parent_id);
    return pg__value_op(S(base), PG_STMT_MESSAGES_COUNT, &p, "messages_count");
}

long long pg__thread_last_reply(store_t *base, long long parent_id)
{
    pg_params_t p = {0};
    pg__int(&p, parent_id);
    return pg__value_op(S(base), PG_STMT_THREAD_LAST_REPLY, &p, "thread_last_reply");
}

long long pg__thread_last_reply_at(store_t *base, long long parent_id)
{
    pg_params_t p = {0};
    pg__int(&p, parent_id);
    return pg__value_op(S(base), PG_STMT_THREAD_LAST_REPLY_AT, &p, "thread_last_reply_at");
}

/* ---- reactions --------------------------------------------------------------------------------
 */

int pg__reaction_add(store_t *base, long long message_id, long long member_id, const char *emoji)
{
    pg_params_t p = {0};
    pg__int(&p, message_id);
    pg__int(&p, member_id);
    pg__text(&p, emoji);
    pg__int(&p, pg__now_ms());
    return pg__run_op(S(base), PG_STMT_REACTION_INSERT, &p, NULL, "reaction_add");
}

int pg__reaction_remove(store_t *base, long long message_id, long long member_id, const char *emoji)
{
    pg_params_t p = {0};
    pg__int(&p, message_id);
    pg__int(&p, member_id);
    pg__text(&p, emoji);
    long long changed = 0;
    int rc = pg__run_op(S(base), PG_STMT_REACTION_DELETE, &p, &changed, "reaction_remove");
    if (rc) return rc;
    return changed ? 0 : ERR_NOT_FOUND;
}

static void read_reaction(const PGresult *r, int row, void *out)
{
    store_reaction_t *x = out;
    x->message_id = pg__col_int(r, row, 0);
    x->member_id = pg__col_int(r, row, 1);
    pg__col_copy(r, row, 2, x->emoji, sizeof x->emoji);
    x->created_at = pg__col_int(r, row, 3);
}

int pg__reactions_of(store_t *base, const long long *ids, size_t count, store_reaction_t **rows,
                     size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (count == 0) return 0;
    char *list = xmalloc(count * 21 + 3);
    size_t o = 0;
    list[o++] = '{';
    for (size_t i = 0; i < count; i++)
        o += (size_t)sprintf(list + o, "%s%lld", i ? "," : "", ids[i]);
    list[o++] = '}';
    list[o] = '\0';
    pg_params_t p = {0};
    pg__text(&p, list);
    int rc;
    *rows = pg__collect_op(S(base), PG_STMT_REACTIONS_OF, &p, sizeof **rows, read_reaction, n, &rc,
                           "reactions_of");
    free(list);
    return rc;
}

/* ---- uploads ----------------------------------------------------------------------------------
 */

static void read_upload(const PGresult *r, int row, void *out)
{
    store_upload_t *u = out;
    memset(u, 0, sizeof *u);
    u->id = pg__col_int(r, row, 0);
    u->community_id = pg__col_int(r, row, 1);
    u->member_id = pg__col_int(r, row, 2);
    pg__col_copy(r, row, 3, u->key, sizeof u->key);
    u->filename = pg__col_text(r, row, 4);
    u->content_type = pg__col_text(r, row, 5);
    u->byte_size = pg__col_int(r, row, 6);
    u->checksum = pg__col_text(r, row, 7);
    u->metadata = pg__col_text(r, row, 8);
    u->created_at = pg__col_int(r, row, 9);
    u->uploaded_at = pg__col_int(r, row, 10);
}

int pg__upload_create(store_t *base, store_upload_t *u)
{
    int64_t now = pg__now_ms();
    pg_params_t p = {0};
    pg__int(&p, u->community_id);
    pg__int(&p, u->member_id);
    pg__text(&p, u->key);
    pg__text(&p, u->filename);
    pg__text(&p, u->content_type);
    pg__int(&p, u->byte_size);
    pg__text(&p, u->checksum);
    pg__text(&p, u->metadata);
    pg__int(&p, now);
    long long id = 0;
    int rc = pg__one_op(S(base), PG_STMT_UPLOAD_INSERT, &p, read_id, &id, "upload_insert");
    if (rc) return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
    u->id = id;
    u->created_at = now;
    return 0;
}

int pg__upload_get(store_t *base, long long community_id, long long id, store_upload_t *out)
{
    pg_params_t p = {0};
    pg__int(&p, community_id);
    pg__int(&p, id);
    return pg__one_op(S(base), PG_STMT_UPLOAD_GET, &p, read_upload, out, "upload_get");
}

int pg__upload_done(store_t *base, long long id, int64_t now)
{
    pg_params_t p = {0};
    pg__int(&p, id);
    pg__int(&p, now);
    long long changed = 0;
    int rc = pg__run_op(S(base), PG_STMT_UPLOAD_DONE, &p, &changed, "upload_done");
    if (rc) return rc;
    return changed == 1 ? 0 : ERR_NOT_FOUND;
}

int pg__uploads_of(store_t *base, long long community_id, const long long *ids, size_t count,
                   store_upload_t **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if (count == 0) return 0;
    char *list = xmalloc(count * 21 + 3);
    size_t o = 0;
    list[o++] = '{';
    for (size_t i = 0; i < count; i++)
        o += (size_t)sprintf(list + o, "%s%lld", i ? "," : "", ids[i]);
    list[o++] = '}';
    list[o] = '\0';
    pg_params_t p = {0};
    pg__int(&p, community_id);
    pg__text(&p, list);
    int rc;
    *rows = pg__collect_op(S(base), PG_STMT_UPLOADS_OF, &p, sizeof **rows, read_upload, n, &rc,
                           "uploads_of");
    free(list);
    return rc;
}
