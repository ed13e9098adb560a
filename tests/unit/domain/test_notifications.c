/* Unit tests for domain/notifications and the SQLite notification
 * operations under it, on a real in-memory store with the local pub/sub
 * adapter recording every publish: the exact event bytes on the exact
 * stream, the Notification object, the new-notifications count through
 * sequences of notify / mark read / reset / mark all, paging and status
 * filters, and that one member never reaches another's notifications. */
#include "test.h"

#include "core/err.h"
#include "domain/notifications.h"
#include "domain/time.h"
#include "pubsub/local.h"
#include "store/sqlite.h"

#include <jansson.h>

#define MAX_PUBLISHED 16

static struct {
    char stream[96];
    char data[2048];
} published[MAX_PUBLISHED];
static size_t npublished;

static void record(void *ud, const char *stream, size_t len, payload_t *msg)
{
    (void)ud;
    if (npublished == MAX_PUBLISHED) return;
    snprintf(published[npublished].stream, sizeof published[npublished].stream, "%.*s", (int)len,
             stream);
    snprintf(published[npublished].data, sizeof published[npublished].data, "%.*s",
             (int)msg->len, msg->data);
    npublished++;
}

struct fixture {
    store_t *store;
    pubsub_t *ps;
    long long a, b; /* two members */
};

static int setup(struct fixture *f)
{
    char err[128];
    memset(f, 0, sizeof *f);
    npublished = 0;
    f->store = store_sqlite_open(":memory:", err, sizeof err);
    if (!f->store) return -1;
    store_community_t c = {.id = 1, .name = "t", .secret_len = 6};
    memcpy(c.secret, "secret", 6);
    if (f->store->ops->community_put(f->store, &c) != 0) return -1;
    store_member_t m = {.community_id = 1, .email = "a@x.io", .name = "A"};
    if (f->store->ops->member_create(f->store, &m) != 0) return -1;
    f->a = m.id;
    m = (store_member_t){.community_id = 1, .email = "b@x.io", .name = "B"};
    if (f->store->ops->member_create(f->store, &m) != 0) return -1;
    f->b = m.id;
    f->ps = pubsub_local_new(record, NULL);
    return 0;
}

static void teardown(struct fixture *f)
{
    store_destroy(f->store);
    pubsub_destroy(f->ps);
}

/* A plain notification for 'member'; returns its id, or a negative error. */
static long long notify(struct fixture *f, long long member)
{
    store_notification_t n = {
        .community_id = 1,
        .member_id = member,
        .action = "notification",
        .notifiable_title = "Hello",
    };
    int rc = domain_notify(f->store, f->ps, &n);
    return rc ? rc : n.id;
}

static long long new_count(struct fixture *f, long long member)
{
    return f->store->ops->notifications_new_count(f->store, member);
}

TEST(domain_notifications_notify_publishes_exact_events)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    store_notification_t n = {
        .community_id = 1,
        .member_id = f.a,
        .actor_id = f.b,
        .actor_name = "Bea \"B\"",
        .action = "mention",
        .display_action = "mentioned you",
        .notifiable_type = "ChatRoomMessage",
        .notifiable_id = 42,
        .notifiable_title = "Room <1> & co",
        .action_web_url = "https://x.io/a?b=1&c=2",
        .extra = "{\"space_id\":7,\"id\":999,\"action\":\"x\",\"tags\":[\"a\",null]}",
    };
    ASSERT_EQ(domain_notify(f.store, f.ps, &n), 0);
    ASSERT_EQ(n.id, 1);
    ASSERT(n.created_at > 1600000000000LL);
    ASSERT_EQ(n.read_at, 0);
    char at[32], expected[1024], stream[64];
    domain_time_iso(n.created_at, at);
    snprintf(stream, sizeof stream, "notification-channel-%lld", f.a);
    snprintf(expected, sizeof expected,
             "{\"event\":\"newNotification\",\"data\":{\"id\":1,\"created_at\":\"%s\","
             "\"read_at\":null,\"action\":\"mention\",\"notifiable_type\":\"ChatRoomMessage\","
             "\"notifiable_id\":42,\"actor_name\":\"Bea \\\"B\\\"\","
             "\"notifiable_title\":\"Room \\u003c1\\u003e \\u0026 co\","
             "\"display_action\":\"mentioned you\","
             "\"action_web_url\":\"https://x.io/a?b=1\\u0026c=2\",\"community_member_id\":%lld,"
             "\"actor_id\":%lld,\"space_id\":7,\"tags\":[\"a\",null]}}",
             at, f.a, f.b);
    ASSERT_EQ(npublished, 2);
    ASSERT_STR_EQ(published[0].stream, stream);
    ASSERT_STR_EQ(published[0].data, expected);
    ASSERT_STR_EQ(published[1].stream, stream);
    ASSERT_STR_EQ(published[1].data,
                  "{\"event\":\"updateNewNotificationCount\",\"data\":{\"new_notifications_count\":1}}");

    /* The second one counts 2, and goes to the same stream only. */
    npublished = 0;
    ASSERT_EQ(notify(&f, f.a), 2);
    ASSERT_EQ(npublished, 2);
    ASSERT_STR_EQ(published[1].stream, stream);
    ASSERT_STR_EQ(published[1].data,
                  "{\"event\":\"updateNewNotificationCount\",\"data\":{\"new_notifications_count\":2}}");
    teardown(&f);
}

TEST(domain_notifications_json_nulls_and_defaults)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    /* No action: "notification"; no actor, no notifiable id: null. */
    store_notification_t n = {.community_id = 1, .member_id = f.b};
    ASSERT_EQ(domain_notify(f.store, f.ps, &n), 0);
    ASSERT_NULL(n.action);
    store_notification_t got;
    ASSERT_EQ(f.store->ops->notification_get(f.store, f.b, n.id, &got), 0);
    ASSERT_STR_EQ(got.action, "notification");
    ASSERT_EQ(f.store->ops->notification_mark_read(f.store, f.b, n.id, 1700000000123LL), 0);
    store_notification_clear(&got);
    ASSERT_EQ(f.store->ops->notification_get(f.store, f.b, n.id, &got), 0);
    ASSERT_EQ(got.read_at, 1700000000123LL);
    got.created_at = 1700000000000LL;
    json_t *j = domain_notification_json(&got);
    char *text = json_dumps(j, JSON_COMPACT);
    char expected[512];
    snprintf(expected, sizeof expected,
             "{\"id\":%lld,\"created_at\":\"2023-11-14T22:13:20.000Z\","
             "\"read_at\":\"2023-11-14T22:13:20.123Z\",\"action\":\"notification\","
             "\"notifiable_type\":null,\"notifiable_id\":null,\"actor_name\":null,"
             "\"notifiable_title\":null,\"display_action\":null,\"action_web_url\":null,"
             "\"community_member_id\":%lld,\"actor_id\":null}",
             n.id, f.b);
    ASSERT_STR_EQ(text, expected);
    free(text);
    json_decref(j);
    store_notification_clear(&got);

    /* A broken extra is left out rather than failing the object. */
    store_notification_t bad = {.id = 5, .member_id = 1, .action = "a", .extra = "[1,"};
    j = domain_notification_json(&bad);
    ASSERT_EQ(json_object_size(j), 12);
    json_decref(j);
    teardown(&f);
}

TEST(domain_notifications_count_sequences)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    store_t *s = f.store;
    ASSERT_EQ(new_count(&f, f.a), 0);
    long long n1 = notify(&f, f.a), n2 = notify(&f, f.a), n3 = notify(&f, f.a);
    ASSERT(n1 > 0 && n2 > n1 && n3 > n2);
    ASSERT_EQ(new_count(&f, f.a), 3);

    /* Marking read takes one off; marking it again changes nothing. */
    ASSERT_EQ(s->ops->notification_mark_read(s, f.a, n2, 1000), 0);
    ASSERT_EQ(new_count(&f, f.a), 2);
    ASSERT_EQ(s->ops->notification_mark_read(s, f.a, n2, 2000), 0);
    ASSERT_EQ(new_count(&f, f.a), 2);
    store_notification_t got;
    ASSERT_EQ(s->ops->notification_get(s, f.a, n2, &got), 0);
    ASSERT_EQ(got.read_at, 1000);
    store_notification_clear(&got);

    /* Reset: 0, though n1 and n3 stay unread. */
    ASSERT_EQ(s->ops->notifications_reset(s, f.a), 0);
    ASSERT_EQ(new_count(&f, f.a), 0);
    long long unread_total;
    store_notification_t *rows;
    size_t count;
    ASSERT_EQ(s->ops->notifications_list(s, f.a, "unread", 0, 10, &rows, &count, &unread_total), 0);
    ASSERT_EQ(unread_total, 2);
    store_notifications_free(rows, count);

    /* A new one counts; reading an old one from before the reset does not. */
    long long n4 = notify(&f, f.a);
    ASSERT_EQ(new_count(&f, f.a), 1);
    ASSERT_EQ(s->ops->notification_mark_read(s, f.a, n1, 3000), 0);
    ASSERT_EQ(new_count(&f, f.a), 1);
    ASSERT_EQ(s->ops->notification_mark_read(s, f.a, n4, 3000), 0);
    ASSERT_EQ(new_count(&f, f.a), 0);

    /* Mark all: nothing unread, count 0; a reset twice in a row is fine. */
    notify(&f, f.a);
    notify(&f, f.a);
    ASSERT_EQ(new_count(&f, f.a), 2);
    ASSERT_EQ(s->ops->notifications_mark_all_read(s, f.a, 4000), 0);
    ASSERT_EQ(new_count(&f, f.a), 0);
    ASSERT_EQ(s->ops->notifications_list(s, f.a, "unread", 0, 10, &rows, &count, &unread_total), 0);
    ASSERT_EQ(unread_total, 0);
    ASSERT_EQ(count, 0);
    store_notifications_free(rows, count);
    ASSERT_EQ(s->ops->notification_get(s, f.a, n3, &got), 0);
    ASSERT_EQ(got.read_at, 4000);
    store_notification_clear(&got);
    ASSERT_EQ(s->ops->notifications_reset(s, f.a), 0);
    ASSERT_EQ(s->ops->notifications_reset(s, f.a), 0);
    ASSERT_EQ(new_count(&f, f.a), 0);
    notify(&f, f.a);
    ASSERT_EQ(new_count(&f, f.a), 1);
    /* A member without notifications resets to 0 too. */
    ASSERT_EQ(s->ops->notifications_reset(s, f.b), 0);
    ASSERT_EQ(new_count(&f, f.b), 0);
    teardown(&f);
}

TEST(domain_notifications_list_pages_and_status)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    store_t *s = f.store;
    long long ids[25];
    for (int i = 0; i < 25; i++) {
        ids[i] = notify(&f, f.a);
        ASSERT(ids[i] > 0);
        if (i % 3 == 0) ASSERT_EQ(s->ops->notification_mark_read(s, f.a, ids[i], 1000 + i), 0);
    }
    notify(&f, f.b); /* never listed for a */
    store_notification_t *rows;
    size_t count;
    long long total;
    ASSERT_EQ(s->ops->notifications_list(s, f.a, "all", 0, 10, &rows, &count, &total), 0);
    ASSERT_EQ(total, 25);
    ASSERT_EQ(count, 10);
    for (size_t i = 0; i < count; i++) ASSERT_EQ(rows[i].id, ids[24 - i]); /* newest first */
    ASSERT_EQ(rows[0].member_id, f.a);
    ASSERT_STR_EQ(rows[0].notifiable_title, "Hello");
    store_notifications_free(rows, count);

    ASSERT_EQ(s->ops->notifications_list(s, f.a, NULL, 20, 10, &rows, &count, &total), 0);
    ASSERT_EQ(total, 25);
    ASSERT_EQ(count, 5);
    ASSERT_EQ(rows[4].id, ids[0]);
    store_notifications_free(rows, count);

    ASSERT_EQ(s->ops->notifications_list(s, f.a, "all", 30, 10, &rows, &count, &total), 0);
    ASSERT_EQ(total, 25);
    ASSERT_EQ(count, 0);
    store_notifications_free(rows, count);

    /* 0, 3, ..., 24 are read: 9 of them. */
    ASSERT_EQ(s->ops->notifications_list(s, f.a, "read", 0, 100, &rows, &count, &total), 0);
    ASSERT_EQ(total, 9);
    ASSERT_EQ(count, 9);
    for (size_t i = 0; i < count; i++) {
        ASSERT_NE(rows[i].read_at, 0);
        ASSERT_EQ(rows[i].id, ids[24 - 3 * i]);
    }
    store_notifications_free(rows, count);
    ASSERT_EQ(s->ops->notifications_list(s, f.a, "unread", 0, 5, &rows, &count, &total), 0);
    ASSERT_EQ(total, 16);
    ASSERT_EQ(count, 5);
    ASSERT_EQ(rows[0].id, ids[23]);
    ASSERT_EQ(rows[1].id, ids[22]);
    ASSERT_EQ(rows[2].id, ids[20]);
    for (size_t i = 0; i < count; i++) ASSERT_EQ(rows[i].read_at, 0);
    store_notifications_free(rows, count);

    /* A limit of 0 only counts. */
    ASSERT_EQ(s->ops->notifications_list(s, f.a, "unread", 0, 0, &rows, &count, &total), 0);
    ASSERT_EQ(total, 16);
    ASSERT_EQ(count, 0);
    ASSERT_NULL(rows);
    ASSERT_EQ(s->ops->notifications_list(s, f.a, "seen", 0, 10, &rows, &count, &total),
              ERR_INVAL);
    ASSERT_EQ(count, 0);
    teardown(&f);
}

TEST(domain_notifications_other_member_not_found)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    store_t *s = f.store;
    long long mine = notify(&f, f.a);
    npublished = 0;
    long long theirs = notify(&f, f.b);
    /* b's events went to b's stream only. */
    ASSERT_EQ(npublished, 2);
    char stream[64];
    snprintf(stream, sizeof stream, "notification-channel-%lld", f.b);
    ASSERT_STR_EQ(published[0].stream, stream);
    ASSERT_STR_EQ(published[1].stream, stream);

    store_notification_t got;
    ASSERT_EQ(s->ops->notification_get(s, f.a, theirs, &got), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->notification_mark_read(s, f.a, theirs, 1000), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->notification_get(s, f.a, 9999, &got), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->notification_mark_read(s, f.a, 9999, 1000), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->notification_get(s, f.b, theirs, &got), 0);
    ASSERT_EQ(got.read_at, 0);
    store_notification_clear(&got);
    ASSERT_EQ(new_count(&f, f.b), 1);

    /* a's mark all and reset leave b alone. */
    ASSERT_EQ(s->ops->notifications_mark_all_read(s, f.a, 2000), 0);
    ASSERT_EQ(s->ops->notifications_reset(s, f.a), 0);
    ASSERT_EQ(new_count(&f, f.b), 1);
    ASSERT_EQ(s->ops->notification_get(s, f.b, theirs, &got), 0);
    ASSERT_EQ(got.read_at, 0);
    store_notification_clear(&got);
    ASSERT_EQ(s->ops->notification_get(s, f.a, mine, &got), 0);
    ASSERT_EQ(got.read_at, 2000);
    store_notification_clear(&got);

    /* b's reset reaches b's newest notification, not a's. */
    long long mine2 = notify(&f, f.a);
    ASSERT(mine2 > theirs);
    ASSERT_EQ(s->ops->notifications_reset(s, f.b), 0);
    ASSERT_EQ(new_count(&f, f.b), 0);
    ASSERT_EQ(new_count(&f, f.a), 1);
    teardown(&f);
}
