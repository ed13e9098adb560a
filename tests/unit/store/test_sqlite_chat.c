/* Unit tests for the chat part of store/sqlite: rooms with participants,
 * the unique direct-room identifier, messages with replies counted on the
 * parent, paging in both directions, unread counts, thread senders, and
 * cascading deletes. */
#include "test.h"

#include "core/err.h"
#include "store/sqlite.h"

static store_t *open_chat(void)
{
    char err[128];
    store_t *s = store_sqlite_open(":memory:", err, sizeof err);
    if (!s) return NULL;
    store_community_t c = {.id = 1, .name = "t", .secret_len = 1};
    if (s->ops->community_put(s, &c) != 0) return NULL;
    return s;
}

static long long room(store_t *s, const char *kind, const char *identifier, long long a,
                      long long b, int *rc)
{
    static int n;
    store_room_t r = {.community_id = 1, .identifier = (char *)identifier, .show_history = 1,
                      .creator_id = a};
    snprintf(r.uuid, sizeof r.uuid, "uuid-%d", ++n);
    snprintf(r.kind, sizeof r.kind, "%s", kind);
    long long members[2] = {a, b};
    *rc = s->ops->room_create(s, &r, members, 2);
    return r.id;
}

static long long say(store_t *s, long long room_id, long long sender, long long parent)
{
    store_participant_t p;
    if (s->ops->participant_get(s, room_id, sender, &p) != 0) return -1;
    store_message_t m = {.room_id = room_id, .participant_id = p.id, .sender_id = sender,
                         .body = "hi", .rich_text_body = "{}", .parent_id = parent};
    if (s->ops->message_create(s, &m) != 0) return -1;
    return m.id;
}

TEST(store_sqlite_chat_rooms_and_participants)
{
    store_t *s = open_chat();
    ASSERT_NOT_NULL(s);
    int rc;
    long long d = room(s, "direct", "direct-1-2", 1, 2, &rc);
    ASSERT_EQ(rc, 0);
    room(s, "direct", "direct-1-2", 1, 2, &rc);
    ASSERT_EQ(rc, ERR_CONFLICT);
    long long g = room(s, "group_chat", NULL, 1, 3, &rc);
    ASSERT_EQ(rc, 0);

    store_room_t r;
    ASSERT_EQ(s->ops->room_find_identifier(s, 1, "direct-1-2", &r), 0);
    ASSERT_EQ(r.id, d);
    ASSERT_STR_EQ(r.kind, "direct");
    char uuid[40];
    snprintf(uuid, sizeof uuid, "%s", r.uuid);
    store_room_clear(&r);
    ASSERT_EQ(s->ops->room_get(s, 1, 0, uuid, &r), 0);
    ASSERT_EQ(r.id, d);
    store_room_clear(&r);
    ASSERT_EQ(s->ops->room_get(s, 2, d, NULL, &r), ERR_NOT_FOUND);

    store_participant_t *ps;
    size_t n;
    ASSERT_EQ(s->ops->participants(s, g, &ps, &n), 0);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(ps[1].member_id, 3);
    free(ps);
    ASSERT_EQ(s->ops->participant_add(s, g, 4), 0);
    ASSERT_EQ(s->ops->participant_remove(s, g, 3), 0);
    ASSERT_EQ(s->ops->participant_remove(s, g, 3), ERR_NOT_FOUND);

    store_room_t *rooms;
    long long total;
    ASSERT_EQ(s->ops->rooms_of_member(s, 1, 1, 0, 10, &rooms, &n, &total), 0);
    ASSERT_EQ(total, 2);
    ASSERT_EQ(n, 2);
    store_rooms_free(rooms, n);
    ASSERT_EQ(s->ops->rooms_of_member(s, 1, 3, 0, 10, &rooms, &n, &total), 0);
    ASSERT_EQ(total, 0);
    store_rooms_free(rooms, n);

    /* Pinning puts a room first. */
    store_participant_t p;
    ASSERT_EQ(s->ops->participant_get(s, d, 1, &p), 0);
    p.pinned_at = 123;
    ASSERT_EQ(s->ops->participant_update(s, &p), 0);
    ASSERT_EQ(s->ops->rooms_of_member(s, 1, 1, 0, 1, &rooms, &n, &total), 0);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(rooms[0].id, d);
    store_rooms_free(rooms, n);
    store_destroy(s);
}

TEST(store_sqlite_chat_messages_threads_unread)
{
    store_t *s = open_chat();
    ASSERT_NOT_NULL(s);
    int rc;
    long long g = room(s, "group_chat", NULL, 1, 2, &rc);
    ASSERT_EQ(rc, 0);
    long long m1 = say(s, g, 1, 0);
    long long m2 = say(s, g, 2, 0);
    long long r1 = say(s, g, 2, m1);
    long long r2 = say(s, g, 1, m1);
    long long m3 = say(s, g, 2, 0);
    ASSERT(m1 > 0 && m2 > m1 && r1 > m2 && r2 > r1 && m3 > r2);

    store_message_t m;
    ASSERT_EQ(s->ops->message_get(s, g, m1, &m), 0);
    ASSERT_EQ(m.replies_count, 2);
    store_message_clear(&m);
    ASSERT_EQ(s->ops->message_last(s, g, &m), 0);
    ASSERT_EQ(m.id, m3);
    store_message_clear(&m);

    /* Member 1 has read nothing: two top-level messages of member 2. */
    ASSERT_EQ(s->ops->unread_count(s, g, 1, 0), 2);
    ASSERT_EQ(s->ops->unread_count(s, g, 1, m2), 1);
    ASSERT_EQ(s->ops->unread_count(s, g, 2, 0), 1);

    store_message_t *rows;
    size_t n;
    ASSERT_EQ(s->ops->messages_page(s, g, 0, m3 + 1, 0, 2, &rows, &n), 0);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(rows[0].id, m2);
    ASSERT_EQ(rows[1].id, m3);
    store_messages_free(rows, n);
    ASSERT_EQ(s->ops->messages_page(s, g, 0, m1, 1, 10, &rows, &n), 0);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(rows[0].id, m2);
    store_messages_free(rows, n);
    ASSERT_EQ(s->ops->messages_page(s, g, m1, 0, 1, 10, &rows, &n), 0);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(rows[0].id, r1);
    ASSERT_EQ(rows[1].id, r2);
    store_messages_free(rows, n);

    long long *ids;
    ASSERT_EQ(s->ops->thread_senders(s, m1, &ids, &n), 0);
    ASSERT_EQ(n, 2);
    free(ids);

    /* Deleting a reply uncounts it; deleting the parent takes the thread. */
    ASSERT_EQ(s->ops->message_get(s, g, r1, &m), 0);
    ASSERT_EQ(s->ops->message_delete(s, &m), 0);
    store_message_clear(&m);
    ASSERT_EQ(s->ops->message_get(s, g, m1, &m), 0);
    ASSERT_EQ(m.replies_count, 1);
    ASSERT_EQ(s->ops->message_delete(s, &m), 0);
    store_message_clear(&m);
    ASSERT_EQ(s->ops->message_get(s, g, r2, &m), ERR_NOT_FOUND);

    /* Edits keep the row. */
    ASSERT_EQ(s->ops->message_get(s, g, m2, &m), 0);
    free(m.body);
    m.body = strdup("edited");
    m.edited_at = 42;
    ASSERT_EQ(s->ops->message_update(s, &m), 0);
    store_message_clear(&m);
    ASSERT_EQ(s->ops->message_get(s, g, m2, &m), 0);
    ASSERT_STR_EQ(m.body, "edited");
    ASSERT_EQ(m.edited_at, 42);
    store_message_clear(&m);

    /* Deleting the room takes its messages and participants. */
    ASSERT_EQ(s->ops->room_delete(s, g), 0);
    ASSERT_EQ(s->ops->message_get(s, g, m2, &m), ERR_NOT_FOUND);
    store_participant_t p;
    ASSERT_EQ(s->ops->participant_get(s, g, 1, &p), ERR_NOT_FOUND);
    store_destroy(s);
}
