/* Unit tests for domain/notifications and the SQLite notification
 * operations under it, on a real in-memory store with the local pub/sub
 * adapter recording every publish: the exact event bytes on the exact
 * stream, the Notification object, the new-notifications count through
 * sequences of notify / mark read / reset / mark all, paging and status
 * filters, and that one member never reaches another's notifications.
 *
 * The domain calls behind the API (create for a member, the page envelope
 * newest or oldest first, reset, mark all, mark one) are driven the same
 * way; their error paths go through a store that forwards to the real one
 * and fails a chosen operation on demand, or inserts a notification in the
 * middle of an oldest-first page. */
#include "test.h"

#include "core/err.h"
#include "domain/notifications.h"
#include "domain/time.h"
#include "recorder.h"
#include "store/sqlite.h"

#include <jansson.h>

#define MAX_PUBLISHED 16

static struct {
    char stream[96];
    char data[2048];
} published[MAX_PUBLISHED];
static size_t npublished;

static void record(const char *stream, size_t len, payload_t *msg)
{
    if (npublished == MAX_PUBLISHED) return;
    snprintf(published[npublished].stream, sizeof published[npublished].stream, "%.*s", (int)len,
             stream);
    snprintf(published[npublished].data, sizeof published[npublished].data, "%.*s", (int)msg->len,
             msg->data);
    npublished++;
}

struct fixture {
    store_t *store;
    recorder_t rec;
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
    if (recorder_start(&f->rec, record) != 0) return -1;
    return 0;
}

static void teardown(struct fixture *f)
{
    store_destroy(f->store);
    recorder_stop(&f->rec);
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
    int rc = domain_notify(f->store, f->rec.hub, &n);
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
    ASSERT_EQ(domain_notify(f.store, f.rec.hub, &n), 0);
    ASSERT_EQ(n.id, 1);
    ASSERT(n.created_at > 1600000000000LL);
    ASSERT_EQ(n.read_at, 0);
    char at[32], expected[2048], stream[64];
    domain_time_iso(n.created_at, at);
    snprintf(stream, sizeof stream, "notification-channel-%lld", f.a);
    snprintf(expected, sizeof expected,
             "{\"event\":\"newNotification\",\"data\":{\"id\":1,\"created_at\":\"%s\","
             "\"read_at\":null,\"action\":\"mention\",\"notifiable_id\":42,"
             "\"display_action\":\"mentioned you\",\"notification_text_structure\":"
             "[\"actor_name\",\"display_action\",\"notifiable_title\"],"
             "\"actor_name\":\"Bea \\\"B\\\"\","
             "\"notifiable_title\":\"Room \\u003c1\\u003e \\u0026 co\",\"actor_image\":null,"
             "\"second_actor_image\":null,\"second_actor_name\":null,"
             "\"notifiable_type\":\"ChatRoomMessage\","
             "\"action_web_url\":\"https://x.io/a?b=1\\u0026c=2\","
             "\"notifiable\":{\"id\":42,\"community_id\":1},\"community_member_id\":%lld,"
             "\"actor_id\":%lld,\"notification_type\":null,\"archived_at\":null,"
             "\"space_id\":7,\"tags\":[\"a\",null]}}",
             at, f.a, f.b);
    ASSERT_EQ(npublished, 2);
    ASSERT_STR_EQ(published[0].stream, stream);
    ASSERT_STR_EQ(published[0].data, expected);
    ASSERT_STR_EQ(published[1].stream, stream);
    ASSERT_STR_EQ(
        published[1].data,
        "{\"event\":\"updateNewNotificationCount\",\"data\":{\"new_notifications_count\":1}}");

    /* The second one counts 2, and goes to the same stream only. */
    npublished = 0;
    ASSERT_EQ(notify(&f, f.a), 2);
    ASSERT_EQ(npublished, 2);
    ASSERT_STR_EQ(published[1].stream, stream);
    ASSERT_STR_EQ(
        published[1].data,
        "{\"event\":\"updateNewNotificationCount\",\"data\":{\"new_notifications_count\":2}}");
    teardown(&f);
}

TEST(domain_notifications_json_nulls_and_defaults)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    /* No action: "notification"; no actor, no notifiable id: null. */
    store_notification_t n = {.community_id = 1, .member_id = f.b};
    ASSERT_EQ(domain_notify(f.store, f.rec.hub, &n), 0);
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
    char expected[1024];
    snprintf(expected, sizeof expected,
             "{\"id\":%lld,\"created_at\":\"2023-11-14T22:13:20.000Z\","
             "\"read_at\":\"2023-11-14T22:13:20.123Z\",\"action\":\"notification\","
             "\"display_action\":\"\",\"notification_text_structure\":[\"actor_name\","
             "\"display_action\",\"notifiable_title\"],\"actor_name\":\"\","
             "\"notifiable_title\":\"\",\"actor_image\":null,\"second_actor_image\":null,"
             "\"second_actor_name\":null,\"notifiable_type\":\"\",\"action_web_url\":\"\","
             "\"community_member_id\":%lld,\"actor_id\":null,\"notification_type\":null,"
             "\"archived_at\":null}",
             n.id, f.b);
    ASSERT_STR_EQ(text, expected);
    free(text);
    json_decref(j);
    store_notification_clear(&got);

    /* A broken extra is left out rather than failing the object. */
    store_notification_t bad = {.id = 5, .member_id = 1, .action = "a", .extra = "[1,"};
    j = domain_notification_json(&bad);
    ASSERT_EQ(json_object_size(j), 17);
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
    ASSERT_EQ(s->ops->notifications_mark_all_read(s, f.a, NULL, NULL, 0, 4000), 0);
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
    ASSERT_EQ(s->ops->notifications_list(s, f.a, "seen", 0, 10, &rows, &count, &total), ERR_INVAL);
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
    ASSERT_EQ(s->ops->notifications_mark_all_read(s, f.a, NULL, NULL, 0, 2000), 0);
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

/* ---- the calls behind the API ---------------------------------------------------------------- */

/* A store in front of the real one: the member and notification
 * operations are forwarded, except the one named by 'fail_op', which
 * returns 'fail_code'. A count-only list (limit 0) creates a notification
 * for 'insert_for' afterwards while 'inserts' lasts, as if one arrived
 * between counting and reading. */
enum {
    OP_NONE,
    OP_MEMBER_GET,
    OP_CREATE,
    OP_GET,
    OP_LIST,
    OP_MARK,
    OP_MARK_ALL,
    OP_COUNT,
    OP_RESET
};

struct faulty {
    store_t base; /* first: the domain sees a store_t */
    struct store_ops ops;
    store_t *inner;
    int fail_op, fail_code;
    int inserts;
    long long insert_for;
};

#define FAULTY(s) ((struct faulty *)(s))
#define FAIL_IF(s, op)                                                                             \
    do {                                                                                           \
        if (FAULTY(s)->fail_op == (op)) return FAULTY(s)->fail_code;                               \
    } while (0)

static int f_member_get(store_t *s, long long community_id, long long id, store_member_t *out)
{
    FAIL_IF(s, OP_MEMBER_GET);
    store_t *in = FAULTY(s)->inner;
    return in->ops->member_get(in, community_id, id, out);
}

static int f_create(store_t *s, store_notification_t *n)
{
    FAIL_IF(s, OP_CREATE);
    store_t *in = FAULTY(s)->inner;
    return in->ops->notification_create(in, n);
}

static int f_get(store_t *s, long long member_id, long long id, store_notification_t *out)
{
    FAIL_IF(s, OP_GET);
    store_t *in = FAULTY(s)->inner;
    return in->ops->notification_get(in, member_id, id, out);
}

static int f_list(store_t *s, long long member_id, const char *status, long long offset,
                  long long limit, store_notification_t **rows, size_t *count, long long *total)
{
    FAIL_IF(s, OP_LIST);
    struct faulty *f = FAULTY(s);
    int rc = f->inner->ops->notifications_list(f->inner, member_id, status, offset, limit, rows,
                                               count, total);
    if (rc == 0 && limit == 0 && f->inserts > 0) {
        f->inserts--;
        store_notification_t n = {
            .community_id = 1, .member_id = f->insert_for, .action = "notification"};
        rc = f->inner->ops->notification_create(f->inner, &n);
    }
    return rc;
}

static int f_mark(store_t *s, long long member_id, long long id, int64_t now)
{
    FAIL_IF(s, OP_MARK);
    store_t *in = FAULTY(s)->inner;
    return in->ops->notification_mark_read(in, member_id, id, now);
}

static int f_mark_all(store_t *s, long long member_id, const char *kind, const char *parent_type,
                      long long parent_id, int64_t now)
{
    FAIL_IF(s, OP_MARK_ALL);
    store_t *in = FAULTY(s)->inner;
    return in->ops->notifications_mark_all_read(in, member_id, kind, parent_type, parent_id, now);
}

static long long f_count(store_t *s, long long member_id)
{
    FAIL_IF(s, OP_COUNT);
    store_t *in = FAULTY(s)->inner;
    return in->ops->notifications_new_count(in, member_id);
}

static int f_reset(store_t *s, long long member_id)
{
    FAIL_IF(s, OP_RESET);
    store_t *in = FAULTY(s)->inner;
    return in->ops->notifications_reset(in, member_id);
}

/* Put a faulty store in front of 'inner'. Nothing to free: it lives in
 * 'fs', and the real store is torn down with the fixture. */
static store_t *faulty_init(struct faulty *fs, store_t *inner)
{
    memset(fs, 0, sizeof *fs);
    fs->ops = *inner->ops;
    fs->ops.member_get = f_member_get;
    fs->ops.notification_create = f_create;
    fs->ops.notification_get = f_get;
    fs->ops.notifications_list = f_list;
    fs->ops.notification_mark_read = f_mark;
    fs->ops.notifications_mark_all_read = f_mark_all;
    fs->ops.notifications_new_count = f_count;
    fs->ops.notifications_reset = f_reset;
    fs->base.ops = &fs->ops;
    fs->base.name = "faulty";
    fs->inner = inner;
    return &fs->base;
}

/* The envelope of a page without its records, as compact JSON (owned). */
static char *envelope_head(const json_t *page)
{
    json_t *copy = json_copy((json_t *)page);
    json_object_del(copy, "records");
    char *text = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    return text;
}

/* The ids of a page's records, "3,2,1", into 'out'. */
static const char *record_ids(const json_t *page, char *out, size_t cap)
{
    json_t *records = json_object_get(page, "records");
    size_t len = 0, i;
    json_t *r;
    out[0] = '\0';
    json_array_foreach(records, i, r)
    {
        len += (size_t)snprintf(out + len, cap - len, "%s%lld", i ? "," : "",
                                (long long)json_integer_value(json_object_get(r, "id")));
        if (len >= cap) break;
    }
    return out;
}

/* List a page and check its envelope and record ids. */
#define ASSERT_PAGE(f, member, status, oldest, page, per_page, head, ids)                          \
    do {                                                                                           \
        json_t *out_ = NULL;                                                                       \
        char ids_[512];                                                                            \
        ASSERT_EQ(                                                                                 \
            domain_notifications_list((f)->store, member, status, oldest, page, per_page, &out_),  \
            0);                                                                                    \
        char *head_ = envelope_head(out_);                                                         \
        int same_ = strcmp(head_, head) == 0;                                                      \
        if (!same_) fprintf(stderr, "# envelope %s\n", head_);                                     \
        free(head_);                                                                               \
        ASSERT(same_);                                                                             \
        ASSERT(json_is_array(json_object_get(out_, "records")));                                   \
        ASSERT_STR_EQ(record_ids(out_, ids_, sizeof ids_), ids);                                   \
        json_decref(out_);                                                                         \
    } while (0)

static const char RESET_EVENT[] =
    "{\"event\":\"resetNewNotificationCount\",\"data\":{\"new_notifications_count\":0}}";

TEST(domain_notifications_create_checks_member)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    /* A member of another community is not found in this one. */
    store_community_t c2 = {.id = 2, .name = "u", .secret_len = 6};
    memcpy(c2.secret, "secret", 6);
    ASSERT_EQ(f.store->ops->community_put(f.store, &c2), 0);
    store_member_t other = {.community_id = 2, .email = "c@x.io", .name = "C"};
    ASSERT_EQ(f.store->ops->member_create(f.store, &other), 0);

    store_notification_t n = {.member_id = other.id, .notifiable_title = "Hi"};
    ASSERT_EQ(domain_notifications_create(f.store, f.rec.hub, 1, &n), ERR_NOT_FOUND);
    n.member_id = 9999;
    ASSERT_EQ(domain_notifications_create(f.store, f.rec.hub, 1, &n), ERR_NOT_FOUND);
    ASSERT_EQ(n.id, 0);
    ASSERT_EQ(npublished, 0);
    ASSERT_EQ(new_count(&f, f.a), 0);

    /* A member of this community: stored in it and announced to them. */
    n = (store_notification_t){.member_id = f.a, .notifiable_title = "Hi"};
    ASSERT_EQ(domain_notifications_create(f.store, f.rec.hub, 1, &n), 0);
    ASSERT_EQ(n.id, 1);
    ASSERT_EQ(n.community_id, 1);
    ASSERT(n.created_at > 0);
    ASSERT_NULL(n.action); /* the caller's row is left as it was given */
    ASSERT_EQ(npublished, 2);
    char stream[64];
    snprintf(stream, sizeof stream, "notification-channel-%lld", f.a);
    ASSERT_STR_EQ(published[0].stream, stream);
    ASSERT(strncmp(published[0].data, "{\"event\":\"newNotification\",\"data\":{\"id\":1,", 42) ==
           0);
    ASSERT_STR_EQ(
        published[1].data,
        "{\"event\":\"updateNewNotificationCount\",\"data\":{\"new_notifications_count\":1}}");
    store_notification_t got;
    ASSERT_EQ(f.store->ops->notification_get(f.store, f.a, 1, &got), 0);
    ASSERT_STR_EQ(got.action, "notification");
    ASSERT_STR_EQ(got.notifiable_title, "Hi");
    store_notification_clear(&got);
    teardown(&f);
}

TEST(domain_notifications_create_store_failures)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    struct faulty fs;
    store_t *s = faulty_init(&fs, f.store);
    store_notification_t n = {.member_id = f.a};
    fs.fail_op = OP_MEMBER_GET, fs.fail_code = ERR_STORE;
    ASSERT_EQ(domain_notifications_create(s, f.rec.hub, 1, &n), ERR_STORE);
    /* Past the member check, a "not found" from the store is a failure of
     * the store, never a missing member. */
    fs.fail_op = OP_CREATE, fs.fail_code = ERR_NOT_FOUND;
    ASSERT_EQ(domain_notifications_create(s, f.rec.hub, 1, &n), ERR_STORE);
    fs.fail_code = ERR_STORE;
    ASSERT_EQ(domain_notifications_create(s, f.rec.hub, 1, &n), ERR_STORE);
    ASSERT_EQ(npublished, 0);
    ASSERT_EQ(new_count(&f, f.a), 0);
    teardown(&f);
}

TEST(domain_notifications_list_envelope_and_sort)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    for (int i = 0; i < 25; i++) ASSERT_EQ(notify(&f, f.a), i + 1);
    ASSERT_EQ(notify(&f, f.b), 26); /* never listed for a */
    npublished = 0;

    /* Newest first. */
    ASSERT_PAGE(&f, f.a, "all", 0, 1, 10,
                "{\"page\":1,\"per_page\":10,\"has_next_page\":true,\"count\":25,"
                "\"page_count\":3}",
                "25,24,23,22,21,20,19,18,17,16");
    ASSERT_PAGE(&f, f.a, "all", 0, 3, 10,
                "{\"page\":3,\"per_page\":10,\"has_next_page\":false,\"count\":25,"
                "\"page_count\":3}",
                "5,4,3,2,1");
    ASSERT_PAGE(&f, f.a, "all", 0, 4, 10,
                "{\"page\":4,\"per_page\":10,\"has_next_page\":false,\"count\":25,"
                "\"page_count\":3}",
                "");
    /* Oldest first: the mirrored window, each page in ascending order. */
    ASSERT_PAGE(&f, f.a, "all", 1, 1, 10,
                "{\"page\":1,\"per_page\":10,\"has_next_page\":true,\"count\":25,"
                "\"page_count\":3}",
                "1,2,3,4,5,6,7,8,9,10");
    ASSERT_PAGE(&f, f.a, "all", 1, 2, 10,
                "{\"page\":2,\"per_page\":10,\"has_next_page\":true,\"count\":25,"
                "\"page_count\":3}",
                "11,12,13,14,15,16,17,18,19,20");
    ASSERT_PAGE(&f, f.a, "all", 1, 3, 10,
                "{\"page\":3,\"per_page\":10,\"has_next_page\":false,\"count\":25,"
                "\"page_count\":3}",
                "21,22,23,24,25");
    ASSERT_PAGE(&f, f.a, "all", 1, 4, 10,
                "{\"page\":4,\"per_page\":10,\"has_next_page\":false,\"count\":25,"
                "\"page_count\":3}",
                "");
    ASSERT_PAGE(&f, f.a, "all", 1, 1, 100,
                "{\"page\":1,\"per_page\":100,\"has_next_page\":false,\"count\":25,"
                "\"page_count\":1}",
                "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25");
    /* NULL status is all. */
    ASSERT_PAGE(&f, f.a, NULL, 0, 5, 6,
                "{\"page\":5,\"per_page\":6,\"has_next_page\":false,\"count\":25,"
                "\"page_count\":5}",
                "1");
    /* A member with nothing: an empty first page. */
    store_member_t m = {.community_id = 1, .email = "c@x.io", .name = "C"};
    ASSERT_EQ(f.store->ops->member_create(f.store, &m), 0);
    ASSERT_PAGE(&f, m.id, "all", 1, 1, 20,
                "{\"page\":1,\"per_page\":20,\"has_next_page\":false,\"count\":0,"
                "\"page_count\":0}",
                "");

    /* The records are Notification objects. */
    json_t *out = NULL;
    ASSERT_EQ(domain_notifications_list(f.store, f.a, "all", 0, 1, 1, &out), 0);
    store_notification_t got;
    ASSERT_EQ(f.store->ops->notification_get(f.store, f.a, 25, &got), 0);
    json_t *want = domain_notification_json(&got);
    ASSERT(json_equal(json_array_get(json_object_get(out, "records"), 0), want));
    json_decref(want);
    json_decref(out);
    store_notification_clear(&got);

    /* Bad arguments leave *out alone. */
    out = NULL;
    ASSERT_EQ(domain_notifications_list(f.store, f.a, "all", 0, 0, 10, &out), ERR_INVAL);
    ASSERT_EQ(domain_notifications_list(f.store, f.a, "all", 0, 1, 0, &out), ERR_INVAL);
    ASSERT_EQ(domain_notifications_list(f.store, f.a, "seen", 1, 1, 10, &out), ERR_INVAL);
    ASSERT_EQ(domain_notifications_list(f.store, f.a, "all", 0, 1LL << 62, 100, &out), ERR_INVAL);
    ASSERT_NULL(out);
    ASSERT_EQ(npublished, 0);
    teardown(&f);
}

TEST(domain_notifications_list_status)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    /* 1..10; 2, 5 and 8 read. */
    for (int i = 1; i <= 10; i++) ASSERT_EQ(notify(&f, f.a), i);
    for (int i = 2; i <= 8; i += 3)
        ASSERT_EQ(f.store->ops->notification_mark_read(f.store, f.a, i, 1000), 0);
    ASSERT_PAGE(&f, f.a, "read", 0, 1, 2,
                "{\"page\":1,\"per_page\":2,\"has_next_page\":true,\"count\":3,"
                "\"page_count\":2}",
                "8,5");
    ASSERT_PAGE(&f, f.a, "read", 1, 1, 2,
                "{\"page\":1,\"per_page\":2,\"has_next_page\":true,\"count\":3,"
                "\"page_count\":2}",
                "2,5");
    ASSERT_PAGE(&f, f.a, "read", 1, 2, 2,
                "{\"page\":2,\"per_page\":2,\"has_next_page\":false,\"count\":3,"
                "\"page_count\":2}",
                "8");
    ASSERT_PAGE(&f, f.a, "unread", 0, 1, 5,
                "{\"page\":1,\"per_page\":5,\"has_next_page\":true,\"count\":7,"
                "\"page_count\":2}",
                "10,9,7,6,4");
    ASSERT_PAGE(&f, f.a, "unread", 1, 2, 5,
                "{\"page\":2,\"per_page\":5,\"has_next_page\":false,\"count\":7,"
                "\"page_count\":2}",
                "9,10");
    ASSERT_PAGE(&f, f.a, "all", 1, 1, 3,
                "{\"page\":1,\"per_page\":3,\"has_next_page\":true,\"count\":10,"
                "\"page_count\":4}",
                "1,2,3");
    teardown(&f);
}

TEST(domain_notifications_list_oldest_retries_window)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    for (int i = 1; i <= 5; i++) ASSERT_EQ(notify(&f, f.a), i);
    struct faulty fs;
    store_t *s = faulty_init(&fs, f.store);
    fs.insert_for = f.a;

    /* One arrives after the count: the window is taken again, over 6. */
    fs.inserts = 1;
    json_t *out = NULL;
    char ids[128], *head;
    ASSERT_EQ(domain_notifications_list(s, f.a, "all", 1, 1, 2, &out), 0);
    ASSERT_STR_EQ(record_ids(out, ids, sizeof ids), "1,2");
    head = envelope_head(out);
    ASSERT_STR_EQ(head, "{\"page\":1,\"per_page\":2,\"has_next_page\":true,\"count\":6,"
                        "\"page_count\":3}");
    free(head);
    json_decref(out);

    /* New ones after every count: the third window read is kept. 6 now, so
     * the windows are over 6 (7 stored), 7 (8) and 8 (9 stored): the third
     * reads offset 8 - 2 = 6 of 9 newest first, ids 3 and 2. */
    fs.inserts = 3;
    out = NULL;
    ASSERT_EQ(domain_notifications_list(s, f.a, "all", 1, 1, 2, &out), 0);
    ASSERT_STR_EQ(record_ids(out, ids, sizeof ids), "2,3");
    head = envelope_head(out);
    ASSERT_STR_EQ(head, "{\"page\":1,\"per_page\":2,\"has_next_page\":true,\"count\":9,"
                        "\"page_count\":5}");
    free(head);
    json_decref(out);

    /* Newest first reads once: nothing is inserted. */
    fs.inserts = 0;
    out = NULL;
    ASSERT_EQ(domain_notifications_list(s, f.a, "all", 0, 1, 2, &out), 0);
    ASSERT_STR_EQ(record_ids(out, ids, sizeof ids), "9,8");
    json_decref(out);

    /* A failing store: its code, *out untouched. */
    fs.fail_op = OP_LIST, fs.fail_code = ERR_STORE;
    out = NULL;
    ASSERT_EQ(domain_notifications_list(s, f.a, "all", 1, 1, 2, &out), ERR_STORE);
    ASSERT_EQ(domain_notifications_list(s, f.a, "all", 0, 1, 2, &out), ERR_STORE);
    ASSERT_NULL(out);
    teardown(&f);
}

TEST(domain_notifications_reset_and_mark_all_events)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    char stream[64];
    snprintf(stream, sizeof stream, "notification-channel-%lld", f.a);
    notify(&f, f.a);
    notify(&f, f.a);
    notify(&f, f.b);
    ASSERT_EQ(domain_notifications_new_count(f.store, f.a), 2);
    ASSERT_EQ(domain_notifications_new_count(f.store, f.b), 1);

    /* Reset: one event to a only; a's notifications stay unread. */
    npublished = 0;
    ASSERT_EQ(domain_notifications_reset(f.store, f.rec.hub, f.a), 0);
    ASSERT_EQ(npublished, 1);
    ASSERT_STR_EQ(published[0].stream, stream);
    ASSERT_STR_EQ(published[0].data, RESET_EVENT);
    ASSERT_EQ(domain_notifications_new_count(f.store, f.a), 0);
    ASSERT_EQ(domain_notifications_new_count(f.store, f.b), 1);
    ASSERT_PAGE(&f, f.a, "unread", 0, 1, 10,
                "{\"page\":1,\"per_page\":10,\"has_next_page\":false,\"count\":2,"
                "\"page_count\":1}",
                "2,1");
    /* Again, with nothing new: the same event again. */
    npublished = 0;
    ASSERT_EQ(domain_notifications_reset(f.store, f.rec.hub, f.a), 0);
    ASSERT_EQ(npublished, 1);
    ASSERT_STR_EQ(published[0].data, RESET_EVENT);

    /* Mark all: nothing unread, count 0, the reset event. */
    notify(&f, f.a);
    ASSERT_EQ(domain_notifications_new_count(f.store, f.a), 1);
    npublished = 0;
    ASSERT_EQ(domain_notifications_mark_all_read(f.store, f.rec.hub, f.a, NULL, NULL, 0), 0);
    ASSERT_EQ(npublished, 1);
    ASSERT_STR_EQ(published[0].stream, stream);
    ASSERT_STR_EQ(published[0].data, RESET_EVENT);
    ASSERT_EQ(domain_notifications_new_count(f.store, f.a), 0);
    ASSERT_PAGE(&f, f.a, "unread", 0, 1, 10,
                "{\"page\":1,\"per_page\":10,\"has_next_page\":false,\"count\":0,"
                "\"page_count\":0}",
                "");
    ASSERT_PAGE(&f, f.b, "unread", 0, 1, 10,
                "{\"page\":1,\"per_page\":10,\"has_next_page\":false,\"count\":1,"
                "\"page_count\":1}",
                "3");
    store_notification_t got;
    ASSERT_EQ(f.store->ops->notification_get(f.store, f.a, 1, &got), 0);
    ASSERT(got.read_at >= got.created_at);
    store_notification_clear(&got);

    /* Failures publish nothing and return the store's code. */
    struct faulty fs;
    store_t *s = faulty_init(&fs, f.store);
    npublished = 0;
    fs.fail_op = OP_RESET, fs.fail_code = ERR_STORE;
    ASSERT_EQ(domain_notifications_reset(s, f.rec.hub, f.a), ERR_STORE);
    fs.fail_op = OP_MARK_ALL;
    ASSERT_EQ(domain_notifications_mark_all_read(s, f.rec.hub, f.a, NULL, NULL, 0), ERR_STORE);
    fs.fail_op = OP_COUNT;
    ASSERT_EQ(domain_notifications_new_count(s, f.a), ERR_STORE);
    ASSERT_EQ(npublished, 0);
    teardown(&f);
}

TEST(domain_notifications_mark_read_events_and_counts)
{
    struct fixture f;
    ASSERT_EQ(setup(&f), 0);
    char stream[64];
    snprintf(stream, sizeof stream, "notification-channel-%lld", f.a);
    long long n1 = notify(&f, f.a), n2 = notify(&f, f.a), n3 = notify(&f, f.a);
    long long theirs = notify(&f, f.b);

    /* An unread one: the count goes 3 -> 2, announced; *out is the read row. */
    npublished = 0;
    json_t *out = NULL;
    ASSERT_EQ(domain_notification_mark_read(f.store, f.rec.hub, f.a, n2, &out), 0);
    ASSERT_EQ(npublished, 1);
    ASSERT_STR_EQ(published[0].stream, stream);
    ASSERT_STR_EQ(
        published[0].data,
        "{\"event\":\"updateNewNotificationCount\",\"data\":{\"new_notifications_count\":2}}");
    store_notification_t got;
    ASSERT_EQ(f.store->ops->notification_get(f.store, f.a, n2, &got), 0);
    ASSERT_NE(got.read_at, 0);
    json_t *want = domain_notification_json(&got);
    ASSERT(json_equal(out, want));
    ASSERT(json_is_string(json_object_get(out, "read_at")));
    json_decref(want);
    json_decref(out);

    /* Already read: the same object, no event, the first read_at kept. */
    npublished = 0;
    out = NULL;
    ASSERT_EQ(domain_notification_mark_read(f.store, f.rec.hub, f.a, n2, &out), 0);
    ASSERT_EQ(npublished, 0);
    want = domain_notification_json(&got);
    ASSERT(json_equal(out, want));
    json_decref(want);
    json_decref(out);
    store_notification_clear(&got);

    /* From before the last reset: read, but the count stays 0, no event. */
    ASSERT_EQ(domain_notifications_reset(f.store, f.rec.hub, f.a), 0);
    npublished = 0;
    out = NULL;
    ASSERT_EQ(domain_notification_mark_read(f.store, f.rec.hub, f.a, n1, &out), 0);
    ASSERT_EQ(npublished, 0);
    ASSERT(json_is_string(json_object_get(out, "read_at")));
    json_decref(out);
    ASSERT_EQ(domain_notifications_new_count(f.store, f.a), 0);

    /* A newer one counts again, and reading it announces 0. */
    long long n5 = notify(&f, f.a);
    npublished = 0;
    out = NULL;
    ASSERT_EQ(domain_notification_mark_read(f.store, f.rec.hub, f.a, n5, &out), 0);
    ASSERT_EQ(npublished, 1);
    ASSERT_STR_EQ(
        published[0].data,
        "{\"event\":\"updateNewNotificationCount\",\"data\":{\"new_notifications_count\":0}}");
    json_decref(out);

    /* Another member's and a missing one: not found, untouched, silent. */
    npublished = 0;
    out = NULL;
    ASSERT_EQ(domain_notification_mark_read(f.store, f.rec.hub, f.a, theirs, &out), ERR_NOT_FOUND);
    ASSERT_EQ(domain_notification_mark_read(f.store, f.rec.hub, f.a, 9999, &out), ERR_NOT_FOUND);
    ASSERT_NULL(out);
    ASSERT_EQ(npublished, 0);
    ASSERT_EQ(f.store->ops->notification_get(f.store, f.b, theirs, &got), 0);
    ASSERT_EQ(got.read_at, 0);
    store_notification_clear(&got);
    ASSERT_EQ(domain_notifications_new_count(f.store, f.b), 1);

    /* Store failures: their code (a row that cannot be read back after
     * marking is the store's failure, not "not found"); nothing published. */
    long long n6 = notify(&f, f.a);
    npublished = 0;
    struct faulty fs;
    store_t *s = faulty_init(&fs, f.store);
    fs.fail_code = ERR_STORE;
    fs.fail_op = OP_COUNT;
    ASSERT_EQ(domain_notification_mark_read(s, f.rec.hub, f.a, n6, &out), ERR_STORE);
    fs.fail_op = OP_MARK;
    ASSERT_EQ(domain_notification_mark_read(s, f.rec.hub, f.a, n6, &out), ERR_STORE);
    ASSERT_EQ(domain_notifications_new_count(f.store, f.a), 1);
    fs.fail_op = OP_GET, fs.fail_code = ERR_NOT_FOUND;
    ASSERT_EQ(domain_notification_mark_read(s, f.rec.hub, f.a, n6, &out), ERR_STORE);
    ASSERT_EQ(domain_notifications_new_count(f.store, f.a), 0); /* marked all the same */
    fs.fail_op = OP_NONE;
    ASSERT_EQ(domain_notification_mark_read(s, f.rec.hub, f.a, n3, &out), 0);
    ASSERT_EQ(npublished, 0);
    ASSERT_NOT_NULL(out);
    json_decref(out);
    teardown(&f);
}
