/* Unit tests for the hub: stream names and lists, control messages, and a
 * hub on two real loops with a scripted adapter (subscribes wait for a
 * 'ready' the test gives): one publish to several streams reaches exactly
 * the subscribers of those streams, each identifier's frame is built once
 * for every loop, only loops with subscribers hold the stream, waiting
 * subscriptions go live on 'ready' or when the link drops, and a room
 * revocation moves the access version and drops the stream. */
#include "test.h"

#include "core/err.h"
#include "hub/control.h"
#include "hub/hub_internal.h"

#include <stdatomic.h>
#include <unistd.h>

/* ---- names and lists ---- */

TEST(hub_stream_names_are_the_spec_names)
{
    char s[HUB_STREAM_MAX];
    hub_stream_notifications(s, 7);
    ASSERT_STR_EQ(s, "notification-channel-7");
    hub_stream_member_rooms(s, 7);
    ASSERT_STR_EQ(s, "chat-room-channel-7");
    hub_stream_room(s, 42);
    ASSERT_STR_EQ(s, "chat-room-42-channel");
    hub_stream_member_threads(s, 7);
    ASSERT_STR_EQ(s, "chat-community-member-7-threads-channel");
    ASSERT_EQ(hub_stream_reserved("_cabled:control", 15), 1);
    ASSERT_EQ(hub_stream_name_valid("_cabled:x", 9), 0);
    ASSERT_EQ(hub_stream_name_valid("", 0), 0);
    ASSERT_EQ(hub_stream_name_valid("a\0b", 3), 0);
    ASSERT_EQ(hub_stream_name_valid("chat-room-1-channel", 19), 1);
    char big[HUB_STREAM_NAME_MAX + 1];
    memset(big, 'x', sizeof big);
    ASSERT_EQ(hub_stream_name_valid(big, HUB_STREAM_NAME_MAX), 1);
    ASSERT_EQ(hub_stream_name_valid(big, HUB_STREAM_NAME_MAX + 1), 0);
}

TEST(hub_streams_list_keeps_each_name_once_in_order)
{
    hub_streams_t s = HUB_STREAMS_INIT;
    hub_streams_add_room(&s, 1);
    hub_streams_add_member_rooms(&s, 2);
    hub_streams_add_room(&s, 1);
    hub_streams_add_member_rooms(&s, 3);
    hub_streams_add_member_rooms(&s, 2);
    ASSERT_EQ(s.count, 3);
    pubsub_names_t names = hub_streams_names(&s);
    size_t pos = 0, len;
    ASSERT_STR_EQ(hub_names_next(&names, &pos, &len), "chat-room-1-channel");
    ASSERT_EQ(len, 19);
    ASSERT_STR_EQ(hub_names_next(&names, &pos, &len), "chat-room-channel-2");
    ASSERT_STR_EQ(hub_names_next(&names, &pos, &len), "chat-room-channel-3");
    ASSERT(hub_names_next(&names, &pos, &len) == NULL);
    hub_streams_deinit(&s);
}

/* ---- control messages ---- */

TEST(hub_control_roundtrip_and_refusals)
{
    hub_control_t in[] = {
        {.type = HUB_CONTROL_REVOKE_TOKEN, .jti = "0a1b2c", .exp = 1700000000},
        {.type = HUB_CONTROL_ROOM_ACCESS, .room_id = 42, .member_id = 7},
        {.type = HUB_CONTROL_ROOM_ACCESS, .room_id = 42, .member_id = 0},
        {.type = HUB_CONTROL_MEMBER_DISABLED, .member_id = 9},
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        buf_t b = BUF_INIT;
        ASSERT_EQ(hub_control_encode(&in[i], &b), 0);
        hub_control_t out;
        ASSERT_EQ(hub_control_parse(buf_head(&b), b.len, &out), 0);
        ASSERT_MEM_EQ(&out, &in[i], sizeof out);
        buf_deinit(&b);
    }
    buf_t b = BUF_INIT;
    static const char want[] = "{\"type\":\"room_access_revoked\",\"room_id\":42,\"member_id\":7}";
    ASSERT_EQ(hub_control_encode(&in[1], &b), 0);
    ASSERT_EQ(b.len, sizeof want - 1);
    ASSERT_MEM_EQ(buf_head(&b), want, b.len);
    buf_reset(&b);
    hub_control_t bad = {.type = HUB_CONTROL_REVOKE_TOKEN, .jti = "a\"b"};
    ASSERT_EQ(hub_control_encode(&bad, &b), ERR_INVAL);
    ASSERT_EQ(b.len, 0);
    buf_deinit(&b);

    static const char *const refused[] = {
        "",
        "[]",
        "{\"type\":\"revoke_access_token\",\"jti\":\"a b\",\"exp\":1}",
        "{\"type\":\"revoke_access_token\",\"jti\":\"\",\"exp\":1}",
        "{\"type\":\"revoke_access_token\",\"jti\":\"ab\",\"exp\":\"1\"}",
        "{\"type\":\"room_access_revoked\",\"room_id\":0,\"member_id\":1}",
        "{\"type\":\"room_access_revoked\",\"room_id\":1,\"member_id\":-1}",
        "{\"type\":\"room_access_revoked\",\"room_id\":1}",
        "{\"type\":\"member_disabled\",\"member_id\":0}",
        "{\"type\":\"launch_missiles\"}",
        "{\"type\":\"member_disabled\",\"member_id\":1,\"member_id\":2}",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        hub_control_t c;
        ASSERT_EQ(hub_control_parse(refused[i], strlen(refused[i]), &c), ERR_INVAL);
        ASSERT_EQ(c.type, 0);
    }
}

/* ---- a hub on two loops, with a scripted adapter ---- */

static hub_t *hub;
static atomic_int frames_built;
static atomic_int kicked_tokens, kicked_members;
static char revoked_jti[64];

struct sub {
    hub_sub_t hs;              /* first: the hub hands back its pointer */
    const char *stream;
    unsigned loop;
    atomic_int received;
    atomic_int ready;          /* on_ready calls: 1 ok, -1 refused */
    payload_t *last;
    uint64_t last_offset;      /* the position sent with 'last' (0: none) */
};

/* "id|message" for the plain frame; "id|message|stream@epoch:offset" with
 * a position; "presence:id|message" for a presence event. */
static payload_t *build_frame(const char *id, size_t len, const payload_t *msg,
                              const hub_frame_spec_t *spec)
{
    atomic_fetch_add(&frames_built, 1);
    buf_t b = BUF_INIT;
    if (spec->kind == PUBSUB_PRESENCE) buf_puts(&b, "presence:");
    buf_append(&b, id, len);
    buf_puts(&b, "|");
    buf_append(&b, msg->data, msg->len);
    if (spec->pos) {
        buf_puts(&b, "|");
        buf_append(&b, spec->stream, spec->stream_len);
        buf_printf(&b, "@%s:%llu", spec->pos->epoch, (unsigned long long)spec->pos->offset);
    }
    payload_t *p = payload_copy(buf_head(&b), b.len);
    buf_deinit(&b);
    return p;
}

/* The permessage-deflate twin: "z<bits>:" and the frame; frames of 4
 * bytes or fewer stay as they are (below the threshold). */
static atomic_int frames_deflated;
static payload_t *deflate_frame(payload_t *frame, int bits)
{
    if (frame->len <= 4) return payload_ref(frame);
    atomic_fetch_add(&frames_deflated, 1);
    buf_t b = BUF_INIT;
    buf_printf(&b, "z%d:", bits);
    buf_append(&b, frame->data, frame->len);
    payload_t *p = payload_copy(buf_head(&b), b.len);
    buf_deinit(&b);
    return p;
}

static int send_frame(hub_sub_t *hs, payload_t *frame, const pubsub_pos_t *pos)
{
    struct sub *s = (struct sub *)hs;
    payload_unref(s->last);
    s->last = payload_ref(frame);
    s->last_offset = pos ? pos->offset : 0;
    atomic_fetch_add(&s->received, 1);
    return 0;
}

static void on_revoked(const char *jti, int64_t exp)
{
    (void)exp;
    snprintf(revoked_jti, sizeof revoked_jti, "%s", jti);
}

static void kick_token(net_loop_t *l, const char *jti)
{
    (void)l, (void)jti;
    atomic_fetch_add(&kicked_tokens, 1);
}

static atomic_llong disabled_member;
static void on_member_disabled(long long m)
{
    atomic_store(&disabled_member, m);
}

static void kick_member(net_loop_t *l, long long m)
{
    (void)l, (void)m;
    atomic_fetch_add(&kicked_members, 1);
}

static const hub_output_t output = {
    .frame = build_frame,
    .send = send_frame,
    .deflate = deflate_frame,
    .token_revoked = on_revoked,
    .member_disabled = on_member_disabled,
    .kick_token = kick_token,
    .kick_member = kick_member,
};

/* The scripted adapter: subscribes wait for the test's 'ready' when
 * 'defer' is set; publishes are delivered at once. */
static struct {
    pubsub_t base;
    int defer;
    int positions;             /* broadcasts get positions: offset n on every stream */
    uint64_t offset;
    atomic_int subscribes, unsubscribes;
} script;

static int script_subscribe(pubsub_t *ps, const char *stream, size_t len)
{
    (void)ps, (void)stream, (void)len;
    atomic_fetch_add(&script.subscribes, 1);
    return script.defer ? ERR_AGAIN : 0;
}

static int script_unsubscribe(pubsub_t *ps, const char *stream, size_t len)
{
    (void)ps, (void)stream, (void)len;
    atomic_fetch_add(&script.unsubscribes, 1);
    return 0;
}

static int script_publish(pubsub_t *ps, const pubsub_names_t *streams, payload_t *message,
                          const pubsub_meta_t *meta, pubsub_done_t *done)
{
    pubsub_meta_t m = *meta;
    pubsub_pos_t pos[8];
    if (script.positions && m.kind == PUBSUB_BROADCAST && streams->count <= 8) {
        script.offset++;
        for (size_t i = 0; i < streams->count; i++)
            pos[i] = (pubsub_pos_t){.offset = script.offset + i * 100, .time = 1, .epoch = "ep"};
        m.pos = pos;
    }
    ps->events->deliver(ps->events_ud, streams, message, &m);
    if (done) done->cb(done, 0);
    return 0;
}

static void script_destroy(pubsub_t *ps)
{
    (void)ps;
}

static const struct pubsub_ops script_ops = {
    .subscribe = script_subscribe,
    .unsubscribe = script_unsubscribe,
    .publish = script_publish,
    .destroy = script_destroy,
};

static void loop_hook(net_loop_t *loop, int stopping)
{
    if (stopping)
        hub_thread_deinit(hub, loop);
    else
        hub_thread_init(hub, loop);
}

static void on_sub_ready(hub_sub_t *hs, int ok)
{
    atomic_store(&((struct sub *)hs)->ready, ok ? 1 : -1);
}

/* Run 'fn(arg)' on loop 'i' and wait for it. */
static atomic_int ran;
struct call {
    void (*fn)(void *);
    void *arg;
};
static void run_call(net_loop_t *loop, void *arg)
{
    (void)loop;
    struct call *c = arg;
    c->fn(c->arg);
    atomic_fetch_add(&ran, 1);
}
static void on_loop(unsigned i, void (*fn)(void *), void *arg)
{
    struct call c = {fn, arg};
    int before = atomic_load(&ran);
    net_loop_post(net_loops_get(i), run_call, &c);
    while (atomic_load(&ran) == before) usleep(100);
}
/* Wait until every task posted to both loops so far has run. */
static void nop(void *arg) { (void)arg; }
static void settle(void)
{
    on_loop(0, nop, NULL);
    on_loop(1, nop, NULL);
}

static atomic_int subscribe_rc;
static void do_subscribe(void *arg)
{
    struct sub *s = arg;
    s->hs.on_ready = on_sub_ready;
    atomic_store(&subscribe_rc, hub_subscribe(hub, &s->hs, s->stream));
}
static void do_unsubscribe(void *arg)
{
    hub_unsubscribe(hub, &((struct sub *)arg)->hs);
}

static int subscribe(struct sub *s)
{
    on_loop(s->loop, do_subscribe, s);
    return atomic_load(&subscribe_rc);
}

static void stop_loop(net_loop_t *loop, void *arg)
{
    (void)arg;
    net_loop_stop(loop);
}

static int start(int defer)
{
    memset(&script, 0, sizeof script);
    script.base.ops = &script_ops;
    script.base.name = "script";
    script.defer = defer;
    atomic_store(&frames_built, 0);
    atomic_store(&frames_deflated, 0);
    atomic_store(&kicked_tokens, 0);
    atomic_store(&kicked_members, 0);
    hub = hub_new(&output, 2);
    script.base.events = &hub_pubsub_events;
    script.base.events_ud = hub;
    if (hub_start(hub, &script.base) != 0) return -1;
    return net_loops_start(2, loop_hook);
}

static void stop(void)
{
    net_loop_post(net_loops_get(0), stop_loop, NULL);
    net_loop_post(net_loops_get(1), stop_loop, NULL);
    net_loops_join();
    hub_free(hub);
    hub = NULL;
}

static void publish(const char *const *streams, size_t n, const char *text)
{
    hub_streams_t s = HUB_STREAMS_INIT;
    for (size_t i = 0; i < n; i++) hub_streams_add(&s, streams[i], strlen(streams[i]));
    payload_t *p = payload_copy(text, strlen(text));
    hub_publish(hub, &s, p);
    payload_unref(p);
    hub_streams_deinit(&s);
}

static uint64_t loops_of(const char *stream)
{
    pthread_mutex_lock(&hub->lock);
    struct hub__stream *s;
    HASH_FIND(hh, hub->streams, stream, strlen(stream), s);
    uint64_t mask = s ? s->loops : 0;
    pthread_mutex_unlock(&hub->lock);
    return mask;
}

TEST(hub_one_publish_reaches_each_subscriber_once_with_one_frame_per_identifier_and_loop)
{
    ASSERT_EQ(start(0), 0);
    /* Same identifier on both loops for stream A; another identifier on
     * loop 1; stream B only on loop 1; stream C subscribed by nobody. */
    struct sub a0 = {.hs = {.identifier = "id-a", .identifier_len = 4}, .stream = "A", .loop = 0};
    struct sub a1 = {.hs = {.identifier = "id-a", .identifier_len = 4}, .stream = "A", .loop = 1};
    struct sub a1x = {.hs = {.identifier = "id-x", .identifier_len = 4}, .stream = "A", .loop = 1};
    struct sub b1 = {.hs = {.identifier = "id-a", .identifier_len = 4}, .stream = "B", .loop = 1};
    ASSERT_EQ(subscribe(&a0), 0);
    ASSERT_EQ(subscribe(&a1), 0);
    ASSERT_EQ(subscribe(&a1x), 0);
    ASSERT_EQ(subscribe(&b1), 0);
    /* The node subscribed each stream once; A is on both loops, B on one. */
    ASSERT_EQ(atomic_load(&script.subscribes), 3); /* control, A, B */
    ASSERT_EQ(loops_of("A"), 3);
    ASSERT_EQ(loops_of("B"), 2);
    ASSERT_EQ(hub_stream_count(hub), 2);

    const char *streams[] = {"A", "B", "C"};
    publish(streams, 3, "{\"n\":1}");
    settle();
    ASSERT_EQ(atomic_load(&a0.received), 1);
    ASSERT_EQ(atomic_load(&a1.received), 1);
    ASSERT_EQ(atomic_load(&a1x.received), 1);
    ASSERT_EQ(atomic_load(&b1.received), 1);
    /* One frame per identifier per loop, whatever the streams: id-a on
     * loops 0 and 1, id-x on loop 1; on a loop, one identifier's subscribers
     * share the bytes. */
    ASSERT_EQ(atomic_load(&frames_built), 3);
    ASSERT(a1.last == b1.last);
    ASSERT_MEM_EQ(a0.last->data, a1.last->data, a1.last->len);
    ASSERT_MEM_EQ(a1x.last->data, "id-x|{\"n\":1}", a1x.last->len);

    /* Leaving: the node unsubscribes a stream after its last subscriber. */
    on_loop(0, do_unsubscribe, &a0);
    ASSERT_EQ(loops_of("A"), 2);
    on_loop(1, do_unsubscribe, &a1);
    on_loop(1, do_unsubscribe, &a1x);
    ASSERT_EQ(loops_of("A"), 0);
    ASSERT_EQ(atomic_load(&script.unsubscribes), 1);
    publish(streams, 1, "{\"n\":2}");
    settle();
    ASSERT_EQ(atomic_load(&a0.received), 1);
    on_loop(1, do_unsubscribe, &b1);
    ASSERT_EQ(hub_stream_count(hub), 0);
    payload_unref(a0.last);
    payload_unref(a1.last);
    payload_unref(a1x.last);
    payload_unref(b1.last);
    stop();
}

TEST(hub_waiting_subscriptions_go_live_on_ready_or_link_down)
{
    ASSERT_EQ(start(1), 0);
    struct sub s0 = {.hs = {.identifier = "i", .identifier_len = 1}, .stream = "S", .loop = 0};
    struct sub s1 = {.hs = {.identifier = "i", .identifier_len = 1}, .stream = "S", .loop = 1};
    struct sub t0 = {.hs = {.identifier = "i", .identifier_len = 1}, .stream = "T", .loop = 0};
    ASSERT_EQ(subscribe(&s0), ERR_AGAIN);
    ASSERT_EQ(subscribe(&s1), ERR_AGAIN);
    ASSERT_EQ(subscribe(&t0), ERR_AGAIN);
    /* Nothing is delivered to a stream that is not ready yet. */
    const char *streams[] = {"S", "T"};
    publish(streams, 2, "{}");
    settle();
    ASSERT_EQ(atomic_load(&s0.received), 0);
    /* The adapter says S is ready: both loops' S subscriptions go live. */
    hub_pubsub_events.ready(hub, "S", 1);
    settle();
    ASSERT_EQ(atomic_load(&s0.ready), 1);
    ASSERT_EQ(atomic_load(&s1.ready), 1);
    ASSERT_EQ(atomic_load(&t0.ready), 0);
    /* A later subscriber of a ready stream is live at once. */
    struct sub s0b = {.hs = {.identifier = "j", .identifier_len = 1}, .stream = "S", .loop = 0};
    ASSERT_EQ(subscribe(&s0b), 0);
    /* The link drops: T goes live without its answer. */
    hub_pubsub_events.link(hub, 0);
    settle();
    ASSERT_EQ(hub_link_up(hub), 0);
    ASSERT_EQ(atomic_load(&t0.ready), 1);
    publish(streams, 2, "{}");
    settle();
    ASSERT_EQ(atomic_load(&s0.received), 1);
    ASSERT_EQ(atomic_load(&s1.received), 1);
    ASSERT_EQ(atomic_load(&s0b.received), 1);
    ASSERT_EQ(atomic_load(&t0.received), 1);
    hub_pubsub_events.link(hub, 1);
    ASSERT_EQ(hub_link_up(hub), 1);
    struct sub *all[] = {&s0, &s1, &t0, &s0b};
    for (size_t i = 0; i < 4; i++) {
        on_loop(all[i]->loop, do_unsubscribe, all[i]);
        payload_unref(all[i]->last);
    }
    ASSERT_EQ(hub_stream_count(hub), 0);
    stop();
}

TEST(hub_room_revocation_moves_the_version_and_drops_the_stream)
{
    ASSERT_EQ(start(1), 0);
    char room[HUB_STREAM_MAX];
    hub_stream_room(room, 5);
    /* Member 7 active on loop 0, member 8 active on loop 1, member 7
     * waiting on loop 1 (another stream generation never answered). */
    struct sub m7 = {.hs = {.identifier = "r", .identifier_len = 1, .member_id = 7}, .stream = room,
                     .loop = 0};
    struct sub m8 = {.hs = {.identifier = "r", .identifier_len = 1, .member_id = 8}, .stream = room,
                     .loop = 1};
    ASSERT_EQ(subscribe(&m7), ERR_AGAIN);
    hub_pubsub_events.ready(hub, room, strlen(room));
    settle();
    ASSERT_EQ(subscribe(&m8), 0);
    uint64_t v = hub_access_version(hub, 5);
    ASSERT_EQ(hub_revoke_room_access(hub, 5, 7), 0);
    settle();
    ASSERT_EQ(hub_access_version(hub, 5), v + 1);
    ASSERT_EQ(hub_access_version(hub, 6), 0);
    ASSERT_EQ(hub_sub_active(&m7.hs), 0);
    ASSERT_EQ(hub_sub_active(&m8.hs), 1);
    const char *streams[] = {room};
    publish(streams, 1, "{}");
    settle();
    ASSERT_EQ(atomic_load(&m7.received), 0);
    ASSERT_EQ(atomic_load(&m8.received), 1);
    /* Unsubscribing a dropped subscription is harmless. */
    on_loop(0, do_unsubscribe, &m7);
    /* Everyone loses a deleted room; the node leaves the stream. */
    ASSERT_EQ(hub_revoke_room_access(hub, 5, 0), 0);
    settle();
    ASSERT_EQ(hub_sub_active(&m8.hs), 0);
    ASSERT_EQ(hub_stream_count(hub), 0);
    payload_unref(m8.last);
    stop();
}

TEST(hub_waiting_subscription_of_a_revoked_member_is_refused)
{
    ASSERT_EQ(start(1), 0);
    char room[HUB_STREAM_MAX];
    hub_stream_room(room, 9);
    struct sub w = {.hs = {.identifier = "r", .identifier_len = 1, .member_id = 3}, .stream = room,
                    .loop = 1};
    ASSERT_EQ(subscribe(&w), ERR_AGAIN);
    ASSERT_EQ(hub_revoke_room_access(hub, 9, 3), 0);
    settle();
    ASSERT_EQ(atomic_load(&w.ready), -1);
    ASSERT_EQ(hub_sub_active(&w.hs), 0);
    /* A late 'ready' for the stream the node left is ignored. */
    hub_pubsub_events.ready(hub, room, strlen(room));
    settle();
    ASSERT_EQ(atomic_load(&w.ready), -1);
    stop();
}

TEST(hub_control_messages_reach_every_loop)
{
    ASSERT_EQ(start(0), 0);
    ASSERT_EQ(hub_revoke_token(hub, "abc123", 1700000000), 0);
    ASSERT_EQ(hub_disable_member(hub, 4), 0);
    settle();
    ASSERT_STR_EQ(revoked_jti, "abc123");
    ASSERT_EQ(atomic_load(&disabled_member), 4);
    ASSERT_EQ(atomic_load(&kicked_tokens), 2);
    ASSERT_EQ(atomic_load(&kicked_members), 2);
    /* A malformed control message is ignored. */
    hub_streams_t s = HUB_STREAMS_INIT;
    hub_streams_add(&s, HUB_STREAM_CONTROL, strlen(HUB_STREAM_CONTROL));
    payload_t *p = payload_copy("{\"type\":", 8);
    ASSERT_EQ(hub_publish(hub, &s, p), 0);
    payload_unref(p);
    hub_streams_deinit(&s);
    settle();
    ASSERT_EQ(atomic_load(&kicked_tokens), 2);
    stop();
}

TEST(hub_extended_subscribers_get_positions_whispers_and_presence_plain_ones_do_not)
{
    ASSERT_EQ(start(0), 0);
    script.positions = 1;
    /* One identifier, plain and extended, on both loops; stream B for an
     * extended subscriber of the same identifier on loop 1. */
    struct sub p0 = {.hs = {.identifier = "id", .identifier_len = 2}, .stream = "A", .loop = 0};
    struct sub x0 = {.hs = {.identifier = "id", .identifier_len = 2, .session = "s-x0", .ext = 1},
                     .stream = "A", .loop = 0};
    struct sub x1 = {.hs = {.identifier = "id", .identifier_len = 2, .session = "s-x1", .ext = 1},
                     .stream = "A", .loop = 1};
    struct sub xb = {.hs = {.identifier = "id", .identifier_len = 2, .session = "s-xb", .ext = 1},
                     .stream = "B", .loop = 1};
    struct sub *all[] = {&p0, &x0, &x1, &xb};
    for (size_t i = 0; i < 4; i++) ASSERT_EQ(subscribe(all[i]), 0);

    const char *streams[] = {"A", "B"};
    publish(streams, 2, "{\"n\":1}");
    settle();
    ASSERT_MEM_EQ(p0.last->data, "id|{\"n\":1}", p0.last->len);
    ASSERT_EQ(p0.last_offset, 0);
    ASSERT_MEM_EQ(x0.last->data, "id|{\"n\":1}|A@ep:1", x0.last->len);
    ASSERT_MEM_EQ(x1.last->data, "id|{\"n\":1}|A@ep:1", x1.last->len);
    ASSERT_EQ(x1.last_offset, 1);
    ASSERT_MEM_EQ(xb.last->data, "id|{\"n\":1}|B@ep:101", xb.last->len);
    /* Each loop builds each variant it needs once: loop 0 plain and
     * positioned on A, loop 1 positioned on A and on B. */
    ASSERT_EQ(atomic_load(&frames_built), 4);

    /* A whisper from x0's connection: the other extended subscribers of A
     * only; no position. */
    payload_t *w = payload_copy("{\"typing\":true}", 15);
    ASSERT_EQ(hub_whisper(hub, "A", w, "s-x0"), 0);
    payload_unref(w);
    settle();
    ASSERT_EQ(atomic_load(&x1.received), 2);
    ASSERT_MEM_EQ(x1.last->data, "id|{\"typing\":true}", x1.last->len);
    ASSERT_EQ(x1.last_offset, 0);
    ASSERT_EQ(atomic_load(&x0.received), 1);
    ASSERT_EQ(atomic_load(&p0.received), 1);
    ASSERT_EQ(atomic_load(&xb.received), 1);

    /* A presence event: every extended subscriber of A, the presence frame. */
    payload_t *ev = payload_copy("{\"type\":\"leave\"}", 16);
    ASSERT_EQ(hub_presence_event(hub, "A", ev), 0);
    payload_unref(ev);
    settle();
    ASSERT_EQ(atomic_load(&x0.received), 2);
    ASSERT_EQ(atomic_load(&x1.received), 3);
    ASSERT_MEM_EQ(x0.last->data, "presence:id|{\"type\":\"leave\"}", x0.last->len);
    ASSERT_EQ(atomic_load(&p0.received), 1);

    for (size_t i = 0; i < 4; i++) {
        on_loop(all[i]->loop, do_unsubscribe, all[i]);
        payload_unref(all[i]->last);
    }
    stop();
}

TEST(hub_deflate_subscribers_share_one_compression_per_identifier_window_and_loop)
{
    ASSERT_EQ(start(0), 0);
    script.positions = 1;
    /* On loop 0, one identifier: 50 subscribers reading 15-bit deflate,
     * 2 reading 9-bit, 2 plain, and 3 extended 15-bit ones (the positioned
     * variant); on loop 1, two more 15-bit ones. */
    enum { N15 = 50, N9 = 2, NPLAIN = 2, NEXT = 3, N1 = 2 };
    struct sub subs[N15 + N9 + NPLAIN + NEXT + N1];
    size_t n = 0;
    memset(subs, 0, sizeof subs);
    for (int i = 0; i < N15; i++) subs[n++].hs.deflate = 15;
    for (int i = 0; i < N9; i++) subs[n++].hs.deflate = 9;
    for (int i = 0; i < NPLAIN; i++) n++;
    for (int i = 0; i < NEXT; i++) {
        subs[n].hs.ext = 1;
        subs[n].hs.session = "s";
        subs[n++].hs.deflate = 15;
    }
    for (int i = 0; i < N1; i++) {
        subs[n].loop = 1;
        subs[n++].hs.deflate = 15;
    }
    for (size_t i = 0; i < n; i++) {
        subs[i].hs.identifier = "id";
        subs[i].hs.identifier_len = 2;
        subs[i].stream = "A";
        ASSERT_EQ(subscribe(&subs[i]), 0);
    }
    const char *streams[] = {"A"};
    publish(streams, 1, "{\"n\":1}");
    settle();
    /* Built: plain and positioned on loop 0, plain on loop 1. Compressed:
     * plain at 15 and 9 bits and positioned at 15 on loop 0, plain at 15 on
     * loop 1: four, for 57 deflate subscribers. */
    ASSERT_EQ(atomic_load(&frames_built), 3);
    ASSERT_EQ(atomic_load(&frames_deflated), 4);
    for (size_t i = 0; i < n; i++) ASSERT_EQ(atomic_load(&subs[i].received), 1);
    for (int i = 1; i < N15; i++) ASSERT(subs[i].last == subs[0].last);
    ASSERT_MEM_EQ(subs[0].last->data, "z15:id|{\"n\":1}", subs[0].last->len);
    ASSERT_MEM_EQ(subs[N15].last->data, "z9:id|{\"n\":1}", subs[N15].last->len);
    ASSERT(subs[N15 + 1].last == subs[N15].last);
    ASSERT_MEM_EQ(subs[N15 + N9].last->data, "id|{\"n\":1}", subs[N15 + N9].last->len);
    size_t x = N15 + N9 + NPLAIN;
    ASSERT_MEM_EQ(subs[x].last->data, "z15:id|{\"n\":1}|A@ep:1", subs[x].last->len);
    ASSERT(subs[x + 1].last == subs[x].last);
    ASSERT_MEM_EQ(subs[n - 1].last->data, "z15:id|{\"n\":1}", subs[n - 1].last->len);

    /* A plain frame under the threshold: the deflate subscribers share the
     * plain bytes; only the (longer) positioned variant is compressed. */
    publish(streams, 1, "1");
    settle();
    ASSERT_EQ(atomic_load(&frames_deflated), 5);
    ASSERT(subs[0].last == subs[N15 + N9].last);
    ASSERT_MEM_EQ(subs[0].last->data, "id|1", subs[0].last->len);

    for (size_t i = 0; i < n; i++) {
        on_loop(subs[i].loop, do_unsubscribe, &subs[i]);
        payload_unref(subs[i].last);
    }
    stop();
}
