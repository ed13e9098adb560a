/* Unit tests for domain/chat on a real in-memory store, with the local
 * pub/sub adapter recording every published event: which event reaches
 * which stream for room creation, messages, replies, edits, deletes,
 * reads and pins, and the access rules. */
#include "test.h"

#include "core/err.h"
#include "domain/chat.h"
#include "recorder.h"
#include "store/sqlite.h"

#include <jansson.h>

#define MAX_EVENTS 64

static struct {
    char stream[96];
    char event[40];
    json_t *data;
} events[MAX_EVENTS];
static size_t nevents;

static void record(const char *stream, size_t len, payload_t *msg)
{
    if (nevents == MAX_EVENTS) return;
    json_t *root = json_loadb(msg->data, msg->len, 0, NULL);
    const char *ev = json_string_value(json_object_get(root, "event"));
    snprintf(events[nevents].stream, sizeof events[nevents].stream, "%.*s", (int)len, stream);
    snprintf(events[nevents].event, sizeof events[nevents].event, "%s", ev ? ev : "");
    events[nevents].data = json_incref(json_object_get(root, "data"));
    json_decref(root);
    nevents++;
}

static void reset_events(void)
{
    for (size_t i = 0; i < nevents; i++) json_decref(events[i].data);
    nevents = 0;
}

/* How many events named 'event' went to 'stream'. */
static int count(const char *stream, const char *event)
{
    int n = 0;
    for (size_t i = 0; i < nevents; i++)
        n += strcmp(events[i].stream, stream) == 0 && strcmp(events[i].event, event) == 0;
    return n;
}

static json_t *find(const char *stream, const char *event)
{
    for (size_t i = 0; i < nevents; i++)
        if (strcmp(events[i].stream, stream) == 0 && strcmp(events[i].event, event) == 0)
            return events[i].data;
    return NULL;
}

struct fx {
    store_t *store;
    recorder_t rec;
    domain_chat_t chat;
};

static int setup(struct fx *f)
{
    char err[128];
    f->store = store_sqlite_open(":memory:", err, sizeof err);
    if (!f->store) return -1;
    store_community_t c = {.id = 1, .name = "t", .secret_len = 1};
    if (f->store->ops->community_put(f->store, &c)) return -1;
    static const char *names[] = {"Ada One", "Bob Two", "Cy Three"};
    for (int i = 0; i < 3; i++) {
        char email[32];
        snprintf(email, sizeof email, "m%d@x.io", i + 1);
        store_member_t m = {.community_id = 1, .email = email, .name = (char *)names[i]};
        if (f->store->ops->member_create(f->store, &m)) return -1;
    }
    if (recorder_start(&f->rec, record) != 0) return -1;
    f->chat = (domain_chat_t){f->store, f->rec.hub, 1, NULL};
    reset_events();
    return 0;
}

static void teardown(struct fx *f)
{
    reset_events();
    store_destroy(f->store);
    recorder_stop(&f->rec);
}

static char *create_group(struct fx *f, long long *room_id)
{
    long long others[] = {2};
    json_t *out = NULL;
    int created = 0;
    const char *why = NULL, *problem = NULL;
    if (domain_chat_room_create(&f->chat, 1, "group_chat", "Team", others, 1, 0, NULL, &out,
                                &created, &why, &problem) != 0)
        return NULL;
    char *uuid = strdup(json_string_value(json_object_get(out, "uuid")));
    *room_id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    return uuid;
}

TEST(domain_chat_room_created_each_own_view)
{
    struct fx f;
    ASSERT_EQ(setup(&f), 0);
    long long room;
    char *uuid = create_group(&f, &room);
    ASSERT_NOT_NULL(uuid);
    ASSERT_EQ(count("chat-room-channel-1", "chatRoomCreated"), 1);
    ASSERT_EQ(count("chat-room-channel-2", "chatRoomCreated"), 1);
    ASSERT_EQ(count("chat-room-channel-3", "chatRoomCreated"), 0);
    json_t *v2 = find("chat-room-channel-2", "chatRoomCreated");
    ASSERT_EQ(json_integer_value(json_object_get(json_object_get(v2, "current_participant"),
                                                 "community_member_id")),
              2);
    json_t *others = json_object_get(v2, "other_participants_preview");
    ASSERT_EQ(json_array_size(others), 1);
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(others, 0), "community_member_id")),
              1);
    ASSERT_STR_EQ(json_string_value(json_object_get(v2, "chat_room_name")), "Team");
    free(uuid);

    /* One direct room per pair, whoever asks. */
    reset_events();
    long long two = 2, one = 1;
    json_t *a = NULL, *b = NULL;
    int created = 0;
    const char *why = NULL, *problem = NULL;
    ASSERT_EQ(domain_chat_room_create(&f.chat, 1, "direct", NULL, &two, 1, 0, NULL, &a, &created,
                                      &why, &problem),
              0);
    ASSERT_EQ(created, 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "identifier")), "direct-1-2");
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "chat_room_name")), "Bob Two");
    ASSERT_EQ(domain_chat_room_create(&f.chat, 2, "direct", NULL, &one, 1, 0, NULL, &b, &created,
                                      &why, &problem),
              0);
    ASSERT_EQ(created, 0);
    ASSERT_EQ(json_integer_value(json_object_get(a, "id")),
              json_integer_value(json_object_get(b, "id")));
    json_decref(a);
    json_decref(b);
    ASSERT_EQ(count("chat-room-channel-1", "chatRoomCreated"), 1);
    /* Members cannot make embedded rooms; a direct room needs exactly one other. */
    long long pair[] = {2, 3};
    ASSERT_EQ(domain_chat_room_create(&f.chat, 1, "space", NULL, &two, 1, 0, NULL, &a, &created,
                                      &why, &problem),
              ERR_INVAL);
    ASSERT_EQ(domain_chat_room_create(&f.chat, 1, "direct", NULL, pair, 2, 0, NULL, &a, &created,
                                      &why, &problem),
              ERR_INVAL);
    long long ghost = 99;
    ASSERT_EQ(domain_chat_room_create(&f.chat, 1, "group_chat", NULL, &ghost, 1, 0, NULL, &a,
                                      &created, &why, &problem),
              ERR_INVAL);
    teardown(&f);
}

TEST(domain_chat_message_streams)
{
    struct fx f;
    ASSERT_EQ(setup(&f), 0);
    long long room;
    char *uuid = create_group(&f, &room);
    ASSERT_NOT_NULL(uuid);
    char room_stream[64];
    snprintf(room_stream, sizeof room_stream, "chat-room-%lld-channel", room);
    reset_events();

    json_t *in = json_pack("{s:s, s:s}", "body", "hello", "creation_uuid", "c-1");
    json_t *out = NULL;
    const char *why = NULL, *problem = NULL;
    ASSERT_EQ(domain_chat_message_send(&f.chat, 1, uuid, in, &out, &why, &problem), 0);
    json_decref(in);
    ASSERT_STR_EQ(json_string_value(json_object_get(out, "creation_uuid")), "c-1");
    long long parent = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    ASSERT_EQ(count(room_stream, "newMessage"), 1);
    ASSERT_EQ(count("chat-room-channel-1", "newMessage"), 1);
    ASSERT_EQ(count("chat-room-channel-2", "newMessage"), 1);
    ASSERT_EQ(count("chat-community-member-1-threads-channel", "newMessage"), 0);
    json_t *msg = find(room_stream, "newMessage");
    ASSERT_STR_EQ(json_string_value(json_object_get(msg, "body")), "hello");
    ASSERT_STR_EQ(
        json_string_value(json_object_get(
            json_array_get(
                json_object_get(
                    json_array_get(
                        json_object_get(
                            json_object_get(json_object_get(msg, "rich_text_body"), "body"),
                            "content"),
                        0),
                    "content"),
                0),
            "text")),
        "hello");
    ASSERT(json_is_null(json_object_get(msg, "parent_message_id")));

    /* A reply: the room stream and the thread's participants, not the
     * members' chat-room streams. */
    reset_events();
    in = json_pack("{s:s, s:I}", "body", "re", "parent_message_id", (json_int_t)parent);
    ASSERT_EQ(domain_chat_message_send(&f.chat, 2, uuid, in, &out, &why, &problem), 0);
    json_decref(in);
    long long reply = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    ASSERT_EQ(count(room_stream, "newMessage"), 1);
    ASSERT_EQ(count("chat-room-channel-1", "newMessage"), 0);
    ASSERT_EQ(count("chat-room-channel-2", "newMessage"), 0);
    ASSERT_EQ(count("chat-community-member-1-threads-channel", "newMessage"), 1);
    ASSERT_EQ(count("chat-community-member-2-threads-channel", "newMessage"), 1);
    msg = find(room_stream, "newMessage");
    ASSERT_EQ(json_integer_value(json_object_get(msg, "chat_thread_id")), parent);
    ASSERT_EQ(json_integer_value(json_object_get(msg, "chat_thread_replies_count")), 1);
    ASSERT_EQ(json_integer_value(json_object_get(msg, "total_thread_participants_count")), 2);

    /* Only the sender edits; the edit goes to the room and the thread. */
    reset_events();
    in = json_pack("{s:s}", "body", "edited");
    ASSERT_EQ(domain_chat_message_edit(&f.chat, 1, uuid, reply, in, &out, &why, &problem),
              ERR_FORBIDDEN);
    ASSERT_EQ(domain_chat_message_edit(&f.chat, 2, uuid, reply, in, &out, &why, &problem), 0);
    json_decref(in);
    ASSERT(!json_is_null(json_object_get(out, "edited_at")));
    json_decref(out);
    ASSERT_EQ(count(room_stream, "updatedMessage"), 1);
    ASSERT_EQ(count("chat-community-member-1-threads-channel", "updatedMessage"), 1);

    /* Deleting the reply: deletedMessage with the parent's new counts. */
    reset_events();
    ASSERT_EQ(domain_chat_message_delete(&f.chat, 1, uuid, reply), ERR_FORBIDDEN);
    ASSERT_EQ(domain_chat_message_delete(&f.chat, 2, uuid, reply), 0);
    json_t *del = find(room_stream, "deletedMessage");
    ASSERT_NOT_NULL(del);
    ASSERT_EQ(json_integer_value(json_object_get(del, "id")), reply);
    ASSERT_EQ(json_integer_value(
                  json_object_get(json_object_get(del, "parent_message"), "replies_count")),
              0);
    ASSERT_EQ(count("chat-community-member-2-threads-channel", "deletedMessage"), 1);

    /* A member who is not in the room sees nothing of it. */
    ASSERT_EQ(domain_chat_room_show(&f.chat, 3, uuid, &out), ERR_NOT_FOUND);
    long long resolved = room;
    uint64_t version = 99;
    ASSERT_EQ(domain_chat_room_access(&f.chat, 3, &resolved, NULL, &version), 0);
    resolved = 0;
    ASSERT_EQ(domain_chat_room_access(&f.chat, 2, &resolved, uuid, &version), 1);
    ASSERT_EQ(resolved, room);
    ASSERT_EQ(version, hub_access_version(f.rec.hub, room));
    free(uuid);
    teardown(&f);
}

TEST(domain_chat_reads_pins_updates_delete)
{
    struct fx f;
    ASSERT_EQ(setup(&f), 0);
    long long room;
    char *uuid = create_group(&f, &room);
    json_t *in = json_pack("{s:s}", "body", "one");
    json_t *out = NULL;
    const char *why = NULL, *problem = NULL;
    ASSERT_EQ(domain_chat_message_send(&f.chat, 1, uuid, in, &out, &why, &problem), 0);
    json_decref(in);
    json_decref(out);
    ASSERT_EQ(domain_chat_room_show(&f.chat, 2, uuid, &out), 0);
    ASSERT_EQ(json_integer_value(json_object_get(out, "unread_messages_count")), 1);
    json_decref(out);

    reset_events();
    ASSERT_EQ(domain_chat_room_read(&f.chat, 2, uuid), 0);
    ASSERT_EQ(count("chat-room-channel-2", "chatRoomRead"), 1);
    ASSERT_EQ(count("chat-room-channel-1", "chatRoomRead"), 0);
    ASSERT_EQ(domain_chat_room_show(&f.chat, 2, uuid, &out), 0);
    ASSERT_EQ(json_integer_value(json_object_get(out, "unread_messages_count")), 0);
    json_decref(out);

    reset_events();
    ASSERT_EQ(domain_chat_room_pin(&f.chat, 2, uuid, 1, &out), 0);
    json_decref(out);
    json_t *pinned = find("chat-room-channel-2", "chatRoomPinned");
    ASSERT_NOT_NULL(pinned);
    ASSERT_EQ(json_integer_value(json_object_get(pinned, "chat_room_id")), room);
    ASSERT_EQ(count("chat-room-channel-2", "chatRoomUpdated"), 1);
    ASSERT_EQ(domain_chat_room_pin(&f.chat, 2, uuid, 0, &out), 0);
    json_decref(out);
    ASSERT_EQ(count("chat-room-channel-2", "chatRoomUnPinned"), 1);

    /* Renaming: only the creator; the room and every member hear of it. */
    reset_events();
    json_t *fields = json_pack("{s:s}", "name", "Renamed");
    ASSERT_EQ(domain_chat_room_update(&f.chat, 2, uuid, fields, &out, &why), ERR_FORBIDDEN);
    ASSERT_EQ(domain_chat_room_update(&f.chat, 1, uuid, fields, &out, &why), 0);
    json_decref(out);
    json_decref(fields);
    char room_stream[64];
    snprintf(room_stream, sizeof room_stream, "chat-room-%lld-channel", room);
    json_t *upd = find(room_stream, "chatRoomUpdated");
    ASSERT_NOT_NULL(upd);
    ASSERT_STR_EQ(json_string_value(json_object_get(upd, "chat_room_name")), "Renamed");
    ASSERT_EQ(count("chat-room-channel-1", "chatRoomUpdated"), 1);
    ASSERT_EQ(count("chat-room-channel-2", "chatRoomUpdated"), 1);

    reset_events();
    ASSERT_EQ(domain_chat_room_delete(&f.chat, 2, uuid, &why), ERR_FORBIDDEN);
    ASSERT_EQ(domain_chat_room_delete(&f.chat, 1, uuid, &why), 0);
    ASSERT_EQ(count("chat-room-channel-1", "chatRoomDeleted"), 1);
    ASSERT_EQ(count("chat-room-channel-2", "chatRoomDeleted"), 1);
    /* Subscriptions to the room are cut on every node. */
    ASSERT_EQ(count("_cabled:control", ""), 1);
    ASSERT_EQ(domain_chat_room_show(&f.chat, 1, uuid, &out), ERR_NOT_FOUND);
    free(uuid);
    teardown(&f);
}

TEST(domain_chat_participant_remove_rules)
{
    struct fx f;
    ASSERT_EQ(setup(&f), 0);
    long long room;
    char *uuid = create_group(&f, &room);
    ASSERT_NOT_NULL(uuid);
    const char *why = NULL, *problem = NULL;
    reset_events();
    /* Only the creator removes others; anyone may leave. */
    ASSERT_EQ(domain_chat_participant_remove(&f.chat, 2, uuid, 1, &why), ERR_FORBIDDEN);
    ASSERT_EQ(domain_chat_participant_remove(&f.chat, 1, uuid, 2, &why), 0);
    ASSERT_EQ(count("_cabled:control", ""), 1);
    long long resolved = room;
    uint64_t version;
    ASSERT_EQ(domain_chat_room_access(&f.chat, 2, &resolved, NULL, &version), 0);
    json_t *out = NULL;
    ASSERT_EQ(domain_chat_room_show(&f.chat, 2, uuid, &out), ERR_NOT_FOUND);
    ASSERT_EQ(domain_chat_participant_remove(&f.chat, 1, uuid, 2, &why), ERR_NOT_FOUND);
    ASSERT_EQ(domain_chat_participant_remove(&f.chat, 1, uuid, 1, &why), 0);
    free(uuid);

    /* Direct rooms keep their two members. */
    long long two = 2;
    int created;
    ASSERT_EQ(domain_chat_room_create(&f.chat, 1, "direct", NULL, &two, 1, 0, NULL, &out, &created,
                                      &why, &problem),
              0);
    char *d = strdup(json_string_value(json_object_get(out, "uuid")));
    json_decref(out);
    ASSERT_EQ(domain_chat_participant_remove(&f.chat, 1, d, 2, &why), ERR_INVAL);
    free(d);
    teardown(&f);
}

/* ---- O(N) room creation ---------------------------------------------------------------------- */

/* The store's own operations, and a table that counts the reads chat makes
 * before calling them (put in the store's place for the test). */
static struct {
    const struct store_ops *real;
    struct store_ops ops;
    long long reads, people;
} counting;

#define COUNTED(name, ret, params, args)                                                           \
    static ret count_##name params                                                                 \
    {                                                                                              \
        counting.reads++;                                                                          \
        return counting.real->name args;                                                           \
    }
COUNTED(member_get, int, (store_t * s, long long c, long long id, store_member_t *out),
        (s, c, id, out))
COUNTED(participant_get, int, (store_t * s, long long r, long long m, store_participant_t *out),
        (s, r, m, out))
COUNTED(participants, int, (store_t * s, long long r, store_participant_t **rows, size_t *n),
        (s, r, rows, n))
COUNTED(unread_count, long long, (store_t * s, long long r, long long m, long long l), (s, r, m, l))
COUNTED(message_get, int, (store_t * s, long long r, long long id, store_message_t *out),
        (s, r, id, out))
COUNTED(message_last, int, (store_t * s, long long r, store_message_t *out), (s, r, out))
COUNTED(thread_senders, int, (store_t * s, long long p, long long **ids, size_t *n), (s, p, ids, n))

static int count_room_people(store_t *s, long long r, long long v, store_person_t **rows, size_t *n)
{
    counting.reads++;
    counting.people++;
    return counting.real->room_people(s, r, v, rows, n);
}

/* The store reads of creating a group room of the actor and 'n' others. */
static long long reads_to_create(struct fx *f, const long long *others, size_t n)
{
    counting.reads = counting.people = 0;
    json_t *out = NULL;
    int created = 0;
    const char *why = NULL, *problem = NULL;
    int rc = domain_chat_room_create(&f->chat, 1, "group_chat", NULL, others, n, 0, NULL, &out,
                                     &created, &why, &problem);
    json_decref(out);
    reset_events();
    return rc == 0 && created ? counting.reads : -1;
}

TEST(domain_chat_room_create_reads_linear)
{
    struct fx f;
    ASSERT_EQ(setup(&f), 0);
    long long ids[160];
    for (int i = 0; i < 160; i++) {
        char email[32];
        snprintf(email, sizeof email, "many%d@x.io", i);
        store_member_t m = {.community_id = 1, .email = email, .name = "Many"};
        ASSERT_EQ(f.store->ops->member_create(f.store, &m), 0);
        ids[i] = m.id;
    }
    counting.real = f.store->ops;
    counting.ops = *f.store->ops;
    counting.ops.member_get = count_member_get;
    counting.ops.participant_get = count_participant_get;
    counting.ops.participants = count_participants;
    counting.ops.unread_count = count_unread_count;
    counting.ops.message_get = count_message_get;
    counting.ops.message_last = count_message_last;
    counting.ops.thread_senders = count_thread_senders;
    counting.ops.room_people = count_room_people;
    f.store->ops = &counting.ops;
    long long r40 = reads_to_create(&f, ids, 40);
    ASSERT_EQ(counting.people, 1); /* every participant's view from one read of the room */
    long long r160 = reads_to_create(&f, ids, 160);
    ASSERT_EQ(counting.people, 1);
    ASSERT(r40 > 0);
    /* One read per member named (does it exist?), none per participant per view. */
    ASSERT_EQ(r160 - r40, 120);
    f.store->ops = counting.real;
    teardown(&f);
}
