/* tests/unit/store/store_cases.c: the store contract as cases shared by
 * the adapters' tests; see store_cases.h. Each case opens its databases
 * through the fixture and removes them at the end. */
#include "store_cases.h"
#include "test.h"

#include "core/err.h"

#include <stdlib.h>
#include <unistd.h>

static int add_member(store_t *s, const char *email, const char *sso, long long *id)
{
    store_member_t m = {
        .community_id = 1, .email = (char *)email, .name = (char *)"N", .sso_user_id = (char *)sso};
    int rc = s->ops->member_create(s, &m);
    *id = m.id;
    return rc;
}

static int revoked_seen;
static void count_revoked(void *ud, const char *jti, int64_t exp)
{
    (void)ud, (void)exp;
    if (strcmp(jti, "live") == 0) revoked_seen++;
    if (strcmp(jti, "old") == 0) revoked_seen += 100;
}

void store_case_community_roundtrip(const store_fixture_t *f)
{
    store_t *s = f->open();
    ASSERT_NOT_NULL(s);
    store_community_t c;
    ASSERT_EQ(s->ops->community_get(s, 1, &c), ERR_NOT_FOUND);
    store_community_t in = {.id = 1, .name = "Acme", .secret_len = 3, .origins_count = 2};
    memcpy(in.secret, "k\0y", 3);
    strcpy(in.app_token_sha256, "ab");
    in.origins[0] = "https://a.example";
    in.origins[1] = "https://b.example";
    ASSERT_EQ(s->ops->community_put(s, &in), 0);
    ASSERT_EQ(s->ops->community_get(s, 1, &c), 0);
    ASSERT_STR_EQ(c.name, "Acme");
    ASSERT_EQ(c.secret_len, 3);
    ASSERT_MEM_EQ(c.secret, "k\0y", 3);
    ASSERT_STR_EQ(c.app_token_sha256, "ab");
    ASSERT_EQ(c.origins_count, 2);
    ASSERT_STR_EQ(c.origins[1], "https://b.example");
    store_community_clear(&c);
    /* Replacing the whitelist drops the old entries. */
    in.origins_count = 1;
    in.origins[0] = "https://c.example";
    ASSERT_EQ(s->ops->community_put(s, &in), 0);
    ASSERT_EQ(s->ops->community_get(s, 1, &c), 0);
    ASSERT_EQ(c.origins_count, 1);
    ASSERT_STR_EQ(c.origins[0], "https://c.example");
    store_community_clear(&c);
    store_destroy(s);
    f->remove();
}

void store_case_members_unique_and_paged(const store_fixture_t *f)
{
    store_t *s = f->open();
    ASSERT_NOT_NULL(s);
    store_community_t in = {.id = 1, .name = "Acme", .secret_len = 1};
    ASSERT_EQ(s->ops->community_put(s, &in), 0);
    long long id1, id2, id;
    ASSERT_EQ(add_member(s, "a@x.io", "sso-1", &id1), 0);
    ASSERT_EQ(add_member(s, "b@x.io", NULL, &id2), 0);
    ASSERT(id2 > id1);
    ASSERT_EQ(add_member(s, "a@x.io", NULL, &id), ERR_CONFLICT);
    ASSERT_EQ(add_member(s, "c@x.io", "sso-1", &id), ERR_CONFLICT);
    /* Several members without an sso_user_id are fine. */
    ASSERT_EQ(add_member(s, "d@x.io", NULL, &id), 0);

    store_member_t m;
    ASSERT_EQ(s->ops->member_get(s, 1, id1, &m), 0);
    ASSERT_STR_EQ(m.email, "a@x.io");
    ASSERT_STR_EQ(m.sso_user_id, "sso-1");
    ASSERT_NULL(m.avatar_url);
    ASSERT(m.created_at > 0);
    store_member_clear(&m);
    ASSERT_EQ(s->ops->member_get(s, 2, id1, &m), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->member_find(s, 1, "sso_user_id", "sso-1", &m), 0);
    ASSERT_EQ(m.id, id1);
    store_member_clear(&m);
    ASSERT_EQ(s->ops->member_find(s, 1, "email", "zz@x.io", &m), ERR_NOT_FOUND);

    store_member_t *rows;
    size_t n;
    long long total;
    ASSERT_EQ(s->ops->member_list(s, 1, 1, 2, &rows, &n, &total), 0);
    ASSERT_EQ(total, 3);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(rows[0].id, id2);
    store_members_free(rows, n);
    ASSERT_EQ(s->ops->member_count(s, 1), 3);
    store_destroy(s);
    f->remove();
}

void store_case_members_deactivate_and_delete(const store_fixture_t *f)
{
    store_t *s = f->open();
    ASSERT_NOT_NULL(s);
    store_community_t in = {.id = 1, .name = "Acme", .secret_len = 1};
    ASSERT_EQ(s->ops->community_put(s, &in), 0);
    long long a, b;
    ASSERT_EQ(add_member(s, "a@x.io", NULL, &a), 0);
    ASSERT_EQ(add_member(s, "b@x.io", NULL, &b), 0);
    store_room_t room = {.community_id = 1, .uuid = "u-1", .kind = "group_chat", .creator_id = a};
    long long ids[] = {a, b};
    ASSERT_EQ(s->ops->room_create(s, &room, ids, 2, NULL), 0);
    uint8_t h[32] = {9};
    ASSERT_EQ(s->ops->refresh_create(s, h, 1, b, 5000), 0);
    store_notification_t n = {.community_id = 1, .member_id = b, .action = "x"};
    ASSERT_EQ(s->ops->notification_create(s, &n), 0);

    /* Deactivated: still there, marked, and only once. */
    ASSERT_EQ(s->ops->member_deactivate(s, 1, a, 1234), 0);
    ASSERT_EQ(s->ops->member_deactivate(s, 1, a, 1300), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->member_deactivate(s, 2, b, 1300), ERR_NOT_FOUND);
    store_member_t m;
    ASSERT_EQ(s->ops->member_get(s, 1, a, &m), 0);
    ASSERT_EQ(m.deactivated_at, 1234);
    store_member_clear(&m);
    ASSERT_EQ(s->ops->member_get(s, 1, b, &m), 0);
    ASSERT_EQ(m.deactivated_at, 0);
    store_member_clear(&m);

    /* Deleted: gone, with its participation, refresh tokens and notifications. */
    ASSERT_EQ(s->ops->member_delete(s, 2, b), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->member_delete(s, 1, b), 0);
    ASSERT_EQ(s->ops->member_delete(s, 1, b), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->member_get(s, 1, b, &m), ERR_NOT_FOUND);
    store_participant_t *ps;
    size_t np;
    ASSERT_EQ(s->ops->participants(s, room.id, &ps, &np), 0);
    ASSERT_EQ(np, 1);
    ASSERT_EQ(ps[0].member_id, a);
    free(ps);
    store_refresh_t r;
    ASSERT_EQ(s->ops->refresh_get(s, h, &r), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->notifications_new_count(s, b), 0);
    ASSERT_EQ(s->ops->member_count(s, 1), 1);
    store_room_clear(&room);
    store_destroy(s);
    f->remove();
}

void store_case_tokens_and_reopen(const store_fixture_t *f)
{
    store_t *s = f->open();
    ASSERT_NOT_NULL(s);
    uint8_t h[32] = {1, 2, 3};
    store_refresh_t r;
    ASSERT_EQ(s->ops->refresh_get(s, h, &r), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->refresh_create(s, h, 1, 7, 5000), 0);
    ASSERT_EQ(s->ops->refresh_get(s, h, &r), 0);
    ASSERT_EQ(r.member_id, 7);
    ASSERT_EQ(r.expires_at, 5000);
    ASSERT_EQ(r.revoked_at, 0);
    ASSERT_EQ(s->ops->refresh_revoke(s, h, 100), 0);
    ASSERT_EQ(s->ops->refresh_revoke(s, h, 101), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->access_revoke(s, "live", 1, 2000), 0);
    ASSERT_EQ(s->ops->access_revoke(s, "live", 1, 2000), ERR_CONFLICT);
    ASSERT_EQ(s->ops->access_revoke(s, "old", 1, 10), 0);
    store_destroy(s);

    /* Everything is stored: a new process sees it. */
    s = f->reopen();
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(s->ops->refresh_get(s, h, &r), 0);
    ASSERT_EQ(r.revoked_at, 100);
    revoked_seen = 0;
    ASSERT_EQ(s->ops->access_revoked_each(s, 1000, count_revoked, NULL), 0);
    ASSERT_EQ(revoked_seen, 1);
    store_destroy(s);
    f->remove();
}

/* ---- chat ---- */

static store_t *open_chat(const store_fixture_t *f)
{
    store_t *s = f->open();
    if (!s) return NULL;
    store_community_t c = {.id = 1, .name = "t", .secret_len = 1};
    if (s->ops->community_put(s, &c) != 0) return NULL;
    return s;
}

static long long room(store_t *s, const char *kind, const char *identifier, long long a,
                      long long b, int *rc)
{
    static int n;
    store_room_t r = {
        .community_id = 1, .identifier = (char *)identifier, .show_history = 1, .creator_id = a};
    snprintf(r.uuid, sizeof r.uuid, "uuid-%d", ++n);
    snprintf(r.kind, sizeof r.kind, "%s", kind);
    long long members[2] = {a, b};
    *rc = s->ops->room_create(s, &r, members, 2, NULL);
    return r.id;
}

static long long say(store_t *s, long long room_id, long long sender, long long parent)
{
    store_participant_t p;
    if (s->ops->participant_get(s, room_id, sender, &p) != 0) return -1;
    store_message_t m = {.room_id = room_id,
                         .participant_id = p.id,
                         .sender_id = sender,
                         .body = "hi",
                         .rich_text_body = "{}",
                         .parent_id = parent};
    if (s->ops->message_create(s, &m) != 0) return -1;
    return m.id;
}

void store_case_chat_rooms_and_participants(const store_fixture_t *f)
{
    store_t *s = open_chat(f);
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
    f->remove();
}

void store_case_chat_messages_threads_unread(const store_fixture_t *f)
{
    store_t *s = open_chat(f);
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
    f->remove();
}

/* Thread read positions only move forward; thread and room listings keep
 * their order; a repeated participant is no error; Origins come back in
 * the order they were given. */
void store_case_chat_reads_and_order(const store_fixture_t *f)
{
    store_t *s = open_chat(f);
    ASSERT_NOT_NULL(s);
    int rc;
    long long g = room(s, "group_chat", NULL, 1, 2, &rc);
    ASSERT_EQ(rc, 0);
    usleep(3000);
    long long h = room(s, "group_chat", NULL, 1, 3, &rc);
    ASSERT_EQ(rc, 0);
    usleep(3000);
    long long m1 = say(s, g, 1, 0);
    long long r1 = say(s, g, 2, m1);
    long long r2 = say(s, g, 1, m1);
    ASSERT(m1 > 0 && r1 > m1 && r2 > r1);

    ASSERT_EQ(s->ops->thread_read_get(s, m1, 1), 0);
    ASSERT_EQ(s->ops->thread_read_set(s, m1, 1, r2), 0);
    ASSERT_EQ(s->ops->thread_read_get(s, m1, 1), r2);
    ASSERT_EQ(s->ops->thread_read_set(s, m1, 1, r1), 0);
    ASSERT_EQ(s->ops->thread_read_get(s, m1, 1), r2);
    ASSERT_EQ(s->ops->thread_last_reply(s, m1), r2);
    ASSERT_EQ(s->ops->thread_last_reply(s, r1), 0);
    ASSERT_EQ(s->ops->thread_unread_count(s, m1, 1, 0), 1);
    ASSERT_EQ(s->ops->thread_unread_count(s, m1, 2, 0), 1);
    ASSERT_EQ(s->ops->messages_count(s, g, 0), 1);
    ASSERT_EQ(s->ops->messages_count(s, g, m1), 2);

    store_message_t *msgs;
    size_t n;
    ASSERT_EQ(s->ops->threads_of_member(s, 1, 2, 0, 10, &msgs, &n), 0);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(msgs[0].id, m1);
    ASSERT_EQ(msgs[0].replies_count, 2);
    ASSERT_STR_EQ(msgs[0].rich_text_body, "{}");
    ASSERT_NULL(msgs[0].creation_uuid);
    store_messages_free(msgs, n);
    ASSERT_EQ(s->ops->threads_of_member(s, 1, 3, 0, 10, &msgs, &n), 0);
    ASSERT_EQ(n, 0);
    store_messages_free(msgs, n);
    store_message_t m;
    ASSERT_EQ(s->ops->message_find(s, r1, &m), 0);
    ASSERT_EQ(m.parent_id, m1);
    ASSERT_EQ(m.sender_id, 2);
    ASSERT(m.created_at > 0);
    store_message_clear(&m);

    /* Writers of a thread in ascending member order. */
    long long *ids;
    ASSERT_EQ(s->ops->thread_senders(s, m1, &ids, &n), 0);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(ids[0], 1);
    ASSERT_EQ(ids[1], 2);
    free(ids);

    /* Adding a participant twice keeps one. */
    ASSERT_EQ(s->ops->participant_add(s, g, 1), 0);
    store_participant_t *ps;
    ASSERT_EQ(s->ops->participants(s, g, &ps, &n), 0);
    ASSERT_EQ(n, 2);
    free(ps);

    /* The room with the latest message comes first, though created first;
     * an offset past the end is an empty page with the total. */
    store_room_t *rooms;
    long long total;
    ASSERT_EQ(s->ops->rooms_of_member(s, 1, 1, 0, 10, &rooms, &n, &total), 0);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(rooms[0].id, g);
    ASSERT_EQ(rooms[1].id, h);
    ASSERT(rooms[0].updated_at >= rooms[1].updated_at);
    ASSERT_EQ(rooms[0].show_history, 1);
    ASSERT_NULL(rooms[0].identifier);
    store_rooms_free(rooms, n);
    ASSERT_EQ(s->ops->rooms_of_member(s, 1, 1, 5, 10, &rooms, &n, &total), 0);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(total, 2);
    store_rooms_free(rooms, n);

    /* Room updates keep the row and move updated_at. */
    store_room_t r;
    ASSERT_EQ(s->ops->room_get(s, 1, h, NULL, &r), 0);
    free(r.name);
    r.name = strdup("Renamed");
    r.show_history = 0;
    r.pinned_message_id = 77;
    int64_t created = r.created_at;
    ASSERT_EQ(s->ops->room_update(s, &r), 0);
    store_room_clear(&r);
    ASSERT_EQ(s->ops->room_get(s, 1, h, NULL, &r), 0);
    ASSERT_STR_EQ(r.name, "Renamed");
    ASSERT_EQ(r.show_history, 0);
    ASSERT_EQ(r.pinned_message_id, 77);
    ASSERT_EQ(r.created_at, created);
    ASSERT(r.updated_at >= created);
    store_room_clear(&r);

    /* Origins in the order given, not sorted. */
    store_community_t in = {.id = 2, .name = "o", .secret_len = 1, .origins_count = 3};
    in.origins[0] = "https://z.example";
    in.origins[1] = "https://a.example";
    in.origins[2] = "https://m.example";
    ASSERT_EQ(s->ops->community_put(s, &in), 0);
    store_community_t c;
    ASSERT_EQ(s->ops->community_get(s, 2, &c), 0);
    ASSERT_EQ(c.origins_count, 3);
    ASSERT_STR_EQ(c.origins[0], "https://z.example");
    ASSERT_STR_EQ(c.origins[2], "https://m.example");
    store_community_clear(&c);
    store_destroy(s);
    f->remove();
}

/* ---- notifications ---- */

static long long notify(store_t *s, long long member, const char *action, const char *extra)
{
    store_notification_t n = {.community_id = 1,
                              .member_id = member,
                              .actor_id = 3,
                              .actor_name = (char *)"Ann",
                              .action = (char *)action,
                              .notifiable_type = (char *)"Post",
                              .notifiable_id = 9,
                              .extra = (char *)extra};
    if (s->ops->notification_create(s, &n) != 0 || n.created_at <= 0 || n.read_at != 0) return -1;
    return n.id;
}

void store_case_notifications(const store_fixture_t *f)
{
    store_t *s = open_chat(f);
    ASSERT_NOT_NULL(s);
    long long a = notify(s, 7, "mention", "{\"space_id\":1}");
    long long b = notify(s, 7, "reply", NULL);
    long long other = notify(s, 8, "mention", NULL);
    ASSERT(a > 0 && b > a && other > b);

    /* Newest first, with every field as created. */
    store_notification_t *rows;
    size_t n;
    long long total;
    ASSERT_EQ(s->ops->notifications_list(s, 7, "all", 0, 10, &rows, &n, &total), 0);
    ASSERT_EQ(total, 2);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(rows[0].id, b);
    ASSERT_STR_EQ(rows[0].action, "reply");
    ASSERT_NULL(rows[0].extra);
    ASSERT_NULL(rows[0].display_action);
    ASSERT_STR_EQ(rows[1].extra, "{\"space_id\":1}");
    ASSERT_STR_EQ(rows[1].actor_name, "Ann");
    ASSERT_EQ(rows[1].actor_id, 3);
    ASSERT_EQ(rows[1].notifiable_id, 9);
    ASSERT_EQ(rows[1].member_id, 7);
    ASSERT_EQ(rows[1].community_id, 1);
    store_notifications_free(rows, n);

    /* Another member's notification does not exist for this one. */
    store_notification_t one;
    ASSERT_EQ(s->ops->notification_get(s, 8, a, &one), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->notification_mark_read(s, 8, a, 500), ERR_NOT_FOUND);

    /* New count: unread and above the last reset. */
    ASSERT_EQ(s->ops->notifications_new_count(s, 7), 2);
    ASSERT_EQ(s->ops->notifications_reset(s, 7), 0);
    ASSERT_EQ(s->ops->notifications_new_count(s, 7), 0);
    ASSERT_EQ(s->ops->notifications_reset(s, 7), 0);
    long long c = notify(s, 7, "mention", NULL);
    ASSERT(c > other);
    ASSERT_EQ(s->ops->notifications_new_count(s, 7), 1);
    ASSERT_EQ(s->ops->notifications_new_count(s, 8), 1);

    /* Marking read keeps the first time; a second mark is no error. */
    ASSERT_EQ(s->ops->notification_mark_read(s, 7, a, 500), 0);
    ASSERT_EQ(s->ops->notification_mark_read(s, 7, a, 600), 0);
    ASSERT_EQ(s->ops->notification_get(s, 7, a, &one), 0);
    ASSERT_EQ(one.read_at, 500);
    store_notification_clear(&one);

    ASSERT_EQ(s->ops->notifications_list(s, 7, "read", 0, 10, &rows, &n, &total), 0);
    ASSERT_EQ(total, 1);
    ASSERT_EQ(rows[0].id, a);
    store_notifications_free(rows, n);
    ASSERT_EQ(s->ops->notifications_list(s, 7, "unread", 0, 10, &rows, &n, &total), 0);
    ASSERT_EQ(total, 2);
    ASSERT_EQ(rows[0].id, c);
    ASSERT_EQ(rows[1].id, b);
    store_notifications_free(rows, n);
    /* A page by offset, and a count alone. */
    ASSERT_EQ(s->ops->notifications_list(s, 7, "all", 1, 1, &rows, &n, &total), 0);
    ASSERT_EQ(total, 3);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(rows[0].id, b);
    store_notifications_free(rows, n);
    ASSERT_EQ(s->ops->notifications_list(s, 7, "all", 0, 0, &rows, &n, &total), 0);
    ASSERT_EQ(total, 3);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(s->ops->notifications_list(s, 7, "bogus", 0, 10, &rows, &n, &total), ERR_INVAL);

    ASSERT_EQ(s->ops->notifications_mark_all_read(s, 7, NULL, NULL, 0, 700), 0);
    ASSERT_EQ(s->ops->notifications_list(s, 7, "unread", 0, 10, &rows, &n, &total), 0);
    ASSERT_EQ(total, 0);
    store_notifications_free(rows, n);
    ASSERT_EQ(s->ops->notifications_new_count(s, 7), 0);
    ASSERT_EQ(s->ops->notification_get(s, 7, b, &one), 0);
    ASSERT_EQ(one.read_at, 700);
    store_notification_clear(&one);
    store_destroy(s);
    f->remove();
}

void store_case_chat_people_and_reactions(const store_fixture_t *f)
{
    store_t *s = open_chat(f);
    ASSERT_NOT_NULL(s);
    long long a, b, c;
    ASSERT_EQ(add_member(s, "a@x.io", NULL, &a), 0);
    ASSERT_EQ(add_member(s, "b@x.io", NULL, &b), 0);
    ASSERT_EQ(add_member(s, "c@x.io", NULL, &c), 0);
    /* A room with its first message, in one transaction. */
    store_room_t r = {
        .community_id = 1, .show_history = 1, .creator_id = b, .identifier = "group_chat-1-2-3"};
    snprintf(r.uuid, sizeof r.uuid, "uuid-people");
    snprintf(r.kind, sizeof r.kind, "group_chat");
    long long members[3] = {a, b, c};
    store_message_t first = {.sender_id = b, .body = "hi", .rich_text_body = "{}"};
    ASSERT_EQ(s->ops->room_create(s, &r, members, 3, &first), 0);
    ASSERT(first.id > 0);
    ASSERT_EQ(first.room_id, r.id);
    ASSERT(first.participant_id > 0);
    /* Group rooms may share an identifier; direct rooms may not. */
    store_room_t r2 = r;
    r2.id = 0;
    snprintf(r2.uuid, sizeof r2.uuid, "uuid-people-2");
    ASSERT_EQ(s->ops->room_create(s, &r2, members, 3, NULL), 0);

    /* Everyone with their member, unread counts for everyone or one viewer. */
    store_person_t *people;
    size_t n;
    ASSERT_EQ(s->ops->room_people(s, r.id, 0, &people, &n), 0);
    ASSERT_EQ(n, 3);
    ASSERT_EQ(people[0].p.member_id, a);
    ASSERT_STR_EQ(people[0].email, "a@x.io");
    ASSERT_STR_EQ(people[0].name, "N");
    ASSERT_EQ(people[0].unread_count, 1);
    ASSERT_EQ(people[0].first_unread_id, first.id);
    ASSERT_EQ(people[1].p.id, first.participant_id);
    ASSERT_EQ(people[1].unread_count, 0);
    ASSERT_EQ(people[1].first_unread_id, 0);
    store_people_free(people, n);
    ASSERT_EQ(s->ops->room_people(s, r.id, c, &people, &n), 0);
    ASSERT_EQ(people[0].unread_count, 0);
    ASSERT_EQ(people[2].unread_count, 1);
    store_people_free(people, n);

    /* Mute and archive are kept. */
    store_participant_t p;
    ASSERT_EQ(s->ops->participant_get(s, r.id, a, &p), 0);
    ASSERT_EQ(p.muted, 0);
    p.muted = 1;
    p.archived = 1;
    ASSERT_EQ(s->ops->participant_update(s, &p), 0);
    ASSERT_EQ(s->ops->participant_get(s, r.id, a, &p), 0);
    ASSERT_EQ(p.muted, 1);
    ASSERT_EQ(p.archived, 1);

    /* Reactions: once per member and emoji, listed by message then emoji. */
    ASSERT_EQ(s->ops->reaction_add(s, first.id, a, "heart"), 0);
    ASSERT_EQ(s->ops->reaction_add(s, first.id, a, "heart"), ERR_CONFLICT);
    ASSERT_EQ(s->ops->reaction_add(s, first.id, c, "heart"), 0);
    ASSERT_EQ(s->ops->reaction_add(s, first.id, c, "+1"), 0);
    long long ids[2] = {first.id, 999};
    store_reaction_t *rx;
    ASSERT_EQ(s->ops->reactions_of(s, ids, 2, &rx, &n), 0);
    ASSERT_EQ(n, 3);
    ASSERT_STR_EQ(rx[0].emoji, "+1");
    ASSERT_STR_EQ(rx[1].emoji, "heart");
    ASSERT_EQ(rx[1].member_id, a);
    ASSERT_EQ(rx[2].member_id, c);
    free(rx);
    ASSERT_EQ(s->ops->reaction_remove(s, first.id, a, "heart"), 0);
    ASSERT_EQ(s->ops->reaction_remove(s, first.id, a, "heart"), ERR_NOT_FOUND);
    /* Deleting the message deletes its reactions. */
    ASSERT_EQ(s->ops->message_delete(s, &first), 0);
    ASSERT_EQ(s->ops->reactions_of(s, ids, 1, &rx, &n), 0);
    ASSERT_EQ(n, 0);
    free(rx);
    ASSERT(s->ops->thread_last_reply_at(s, first.id) == 0);
    store_destroy(s);
    f->remove();
}

void store_case_notification_kinds_and_preferences(const store_fixture_t *f)
{
    store_t *s = open_chat(f);
    ASSERT_NOT_NULL(s);
    store_notification_t m1 = {.community_id = 1,
                               .member_id = 7,
                               .action = "mention",
                               .kind = "mention",
                               .parent_type = "ChatRoom",
                               .parent_id = 3};
    store_notification_t r1 = {.community_id = 1,
                               .member_id = 7,
                               .action = "reply",
                               .kind = "comment_reply",
                               .parent_type = "ChatRoom",
                               .parent_id = 4};
    store_notification_t h1 = {.community_id = 1, .member_id = 7, .action = "x"};
    ASSERT_EQ(s->ops->notification_create(s, &m1), 0);
    ASSERT_EQ(s->ops->notification_create(s, &r1), 0);
    ASSERT_EQ(s->ops->notification_create(s, &h1), 0);
    store_notification_t got;
    ASSERT_EQ(s->ops->notification_get(s, 7, m1.id, &got), 0);
    ASSERT_STR_EQ(got.kind, "mention");
    ASSERT_STR_EQ(got.parent_type, "ChatRoom");
    ASSERT_EQ(got.parent_id, 3);
    ASSERT_EQ(got.archived_at, 0);
    store_notification_clear(&got);
    ASSERT_EQ(s->ops->notifications_new_count(s, 7), 3);
    ASSERT_EQ(s->ops->notifications_new_count_of(s, 7, "mention"), 1);
    /* Marking by kind, then by what the notifiables belong to. */
    ASSERT_EQ(s->ops->notifications_mark_all_read(s, 7, "mention", NULL, 0, 100), 0);
    ASSERT_EQ(s->ops->notifications_new_count(s, 7), 2);
    ASSERT_EQ(s->ops->notifications_mark_all_read(s, 7, NULL, "ChatRoom", 3, 100), 0);
    ASSERT_EQ(s->ops->notifications_new_count(s, 7), 2);
    ASSERT_EQ(s->ops->notifications_mark_all_read(s, 7, NULL, "ChatRoom", 4, 100), 0);
    ASSERT_EQ(s->ops->notifications_new_count(s, 7), 1);
    /* Archived: out of the inbox and the counts; deleted: gone. */
    ASSERT_EQ(s->ops->notification_archive(s, 7, h1.id, 200), 0);
    ASSERT_EQ(s->ops->notification_archive(s, 8, h1.id, 200), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->notifications_new_count(s, 7), 0);
    store_notification_t *rows;
    size_t n;
    long long total;
    ASSERT_EQ(s->ops->notifications_list(s, 7, "all", 0, 10, &rows, &n, &total), 0);
    ASSERT_EQ(total, 2);
    store_notifications_free(rows, n);
    ASSERT_EQ(s->ops->notification_get(s, 7, h1.id, &got), 0);
    ASSERT_EQ(got.archived_at, 200);
    store_notification_clear(&got);
    ASSERT_EQ(s->ops->notification_delete(s, 8, m1.id), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->notification_delete(s, 7, m1.id), 0);
    ASSERT_EQ(s->ops->notification_get(s, 7, m1.id, &got), ERR_NOT_FOUND);

    /* Preferences per medium, set and changed. */
    store_preference_t *prefs;
    ASSERT_EQ(s->ops->preferences_get(s, 7, "in_app", &prefs, &n), 0);
    ASSERT_EQ(n, 0);
    free(prefs);
    ASSERT_EQ(s->ops->preference_set(s, 7, "in_app", "mention", 0), 0);
    ASSERT_EQ(s->ops->preference_set(s, 7, "in_app", "comment_reply", 0), 0);
    ASSERT_EQ(s->ops->preference_set(s, 7, "in_app", "comment_reply", 1), 0);
    ASSERT_EQ(s->ops->preference_set(s, 7, "mobile", "mention", 1), 0);
    ASSERT_EQ(s->ops->preferences_get(s, 7, "in_app", &prefs, &n), 0);
    ASSERT_EQ(n, 2);
    ASSERT_STR_EQ(prefs[0].kind, "comment_reply");
    ASSERT_EQ(prefs[0].enabled, 1);
    ASSERT_STR_EQ(prefs[1].kind, "mention");
    ASSERT_EQ(prefs[1].enabled, 0);
    free(prefs);
    store_destroy(s);
    f->remove();
}

void store_case_uploads(const store_fixture_t *f)
{
    store_t *s = open_chat(f);
    ASSERT_NOT_NULL(s);
    store_upload_t u = {.community_id = 1, .member_id = 3, .filename = "a b.png",
                        .content_type = "image/png", .byte_size = 5,
                        .checksum = "XUFAKrxLKna5cZ2REBfFkg==", .metadata = "{\"identified\":true}"};
    snprintf(u.key, sizeof u.key, "key-one");
    ASSERT_EQ(s->ops->upload_create(s, &u), 0);
    ASSERT(u.id > 0);
    ASSERT(u.created_at > 0);
    store_upload_t v = u;
    v.id = 0;
    ASSERT_EQ(s->ops->upload_create(s, &v), ERR_CONFLICT); /* the key is unique */
    snprintf(v.key, sizeof v.key, "key-two");
    ASSERT_EQ(s->ops->upload_create(s, &v), 0);
    store_upload_t got;
    ASSERT_EQ(s->ops->upload_get(s, 1, u.id, &got), 0);
    ASSERT_STR_EQ(got.key, "key-one");
    ASSERT_STR_EQ(got.filename, "a b.png");
    ASSERT_STR_EQ(got.metadata, "{\"identified\":true}");
    ASSERT_EQ(got.byte_size, 5);
    ASSERT_EQ(got.uploaded_at, 0);
    store_upload_clear(&got);
    ASSERT_EQ(s->ops->upload_get(s, 2, u.id, &got), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->upload_done(s, u.id, 77), 0);
    ASSERT_EQ(s->ops->upload_done(s, u.id, 78), ERR_NOT_FOUND);
    long long ids[3] = {v.id, u.id, 999};
    store_upload_t *rows;
    size_t n;
    ASSERT_EQ(s->ops->uploads_of(s, 1, ids, 3, &rows, &n), 0);
    ASSERT_EQ(n, 2);
    int done = rows[0].id == u.id ? 0 : 1;
    ASSERT_EQ(rows[done].uploaded_at, 77);
    store_uploads_free(rows, n);
    store_destroy(s);
    f->remove();
}
