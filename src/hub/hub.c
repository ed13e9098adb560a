/* hub: publishing, the process-wide stream table, what the adapter reports,
 * and control messages. The per-loop index is in index.c. See hub.h. */
#include "hub/hub_internal.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "hub/control.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How long a worker waits for the adapter to acknowledge a publish. Past
 * it the message is still on its way; the caller goes on. */
#define PUBLISH_WAIT_MS 2000

hub_t *hub_new(const hub_output_t *out, unsigned loops)
{
    hub_t *h = xcalloc(1, sizeof *h);
    h->out = out;
    h->nloops = loops < HUB_MAX_LOOPS ? loops : HUB_MAX_LOOPS;
    pthread_mutex_init(&h->lock, NULL);
    atomic_init(&h->link_up, 1);
    atomic_init(&h->stopped, 0);
    atomic_init(&h->active, 0);
    for (size_t i = 0; i < HUB_ACCESS_SLOTS; i++) atomic_init(&h->access[i], 0);
    return h;
}

int hub_start(hub_t *h, pubsub_t *ps)
{
    h->ps = ps;
    int rc = pubsub_subscribe(ps, HUB_STREAM_CONTROL, sizeof HUB_STREAM_CONTROL - 1);
    return rc == ERR_AGAIN ? 0 : rc;
}

/* Adapter events run between enter and leave; hub_stop waits for those
 * in progress (both sides sequentially consistent: one sees the other). */
static int enter(hub_t *h)
{
    atomic_fetch_add(&h->active, 1);
    if (!atomic_load(&h->stopped)) return 1;
    atomic_fetch_sub(&h->active, 1);
    return 0;
}

static void leave(hub_t *h)
{
    atomic_fetch_sub(&h->active, 1);
}

void hub_stop(hub_t *h)
{
    atomic_store(&h->stopped, 1);
    while (atomic_load(&h->active) != 0) sched_yield();
}

void hub_free(hub_t *h)
{
    if (!h) return;
    struct hub__stream *s, *tmp;
    HASH_ITER(hh, h->streams, s, tmp)
    {
        HASH_DEL(h->streams, s);
        free(s->name);
        free(s);
    }
    pthread_mutex_destroy(&h->lock);
    free(h);
}

size_t hub_stream_count(hub_t *h)
{
    pthread_mutex_lock(&h->lock);
    size_t n = HASH_COUNT(h->streams);
    pthread_mutex_unlock(&h->lock);
    return n;
}

int hub_link_up(const hub_t *h)
{
    return atomic_load(&h->link_up);
}

uint64_t hub_access_version(const hub_t *h, long long room_id)
{
    return atomic_load(&h->access[(unsigned long long)room_id % HUB_ACCESS_SLOTS]);
}

/* ---- the stream table ---------------------------------------------------------------------- */

int hub__table_join(hub_t *h, unsigned index, const char *name, size_t len, uint64_t *gen)
{
    pthread_mutex_lock(&h->lock);
    struct hub__stream *s;
    HASH_FIND(hh, h->streams, name, len, s);
    if (!s) {
        s = xcalloc(1, sizeof *s);
        s->name = xstrndup(name, len);
        s->len = len;
        s->gen = ++h->next_gen;
        HASH_ADD_KEYPTR(hh, h->streams, s->name, s->len, s);
        /* Under the lock, so the adapter sees every stream's subscribe and
         * unsubscribe in the order they happen; adapters never block here. */
        int rc = pubsub_subscribe(h->ps, name, len);
        if (rc != 0 && rc != ERR_AGAIN)
            log_error("hub subscribe failed stream=%s err=%s", s->name, err_name(rc));
        /* A failed subscribe must not hold a client forever: it is ready,
         * and gets what the adapter can give. */
        s->ready = rc != ERR_AGAIN;
        METRIC_INC(streams);
    }
    s->loops |= (uint64_t)1 << index;
    *gen = s->gen;
    int ready = s->ready;
    pthread_mutex_unlock(&h->lock);
    return ready;
}

void hub__table_leave(hub_t *h, unsigned index, const char *name, size_t len)
{
    pthread_mutex_lock(&h->lock);
    struct hub__stream *s;
    HASH_FIND(hh, h->streams, name, len, s);
    if (s) {
        s->loops &= ~((uint64_t)1 << index);
        if (!s->loops) {
            pubsub_unsubscribe(h->ps, name, len);
            HASH_DEL(h->streams, s);
            free(s->name);
            free(s);
            METRIC_DEC(streams);
        }
    }
    pthread_mutex_unlock(&h->lock);
}

/* ---- tasks for every loop ------------------------------------------------------------------ */

struct loop_task {
    hub_t *hub;
    int kind;                  /* TASK_* */
    uint64_t gen;
    long long room_id, member_id;
    char text[];               /* a stream name or a jti */
};

enum { TASK_READY, TASK_RELEASE, TASK_DROP, TASK_KICK_TOKEN, TASK_KICK_MEMBER };

static void run_loop_task(net_loop_t *loop, void *arg)
{
    struct loop_task *t = arg;
    hub_t *h = t->hub;
    switch (t->kind) {
    case TASK_READY: hub__ready_on_loop(h, loop, t->text, t->gen); break;
    case TASK_RELEASE: hub__release_on_loop(h, loop); break;
    case TASK_DROP: hub__drop_on_loop(h, loop, t->room_id, t->member_id); break;
    case TASK_KICK_TOKEN: h->out->kick_token(loop, t->text); break;
    case TASK_KICK_MEMBER: h->out->kick_member(loop, t->member_id); break;
    }
    free(t);
}

/* Run a task on each loop of 'mask'. These are rare (control messages,
 * readiness), so each post is allocated. */
static void post_task(hub_t *h, uint64_t mask, const struct loop_task *proto, const char *text)
{
    size_t tlen = text ? strlen(text) : 0;
    for (unsigned i = 0; i < h->nloops; i++) {
        net_loop_t *loop = net_loops_get(i);
        if (!(mask & ((uint64_t)1 << i)) || !loop) continue;
        struct loop_task *t = xmalloc(sizeof *t + tlen + 1);
        *t = *proto;
        t->hub = h;
        memcpy(t->text, text ? text : "", tlen + 1);
        if (net_loop_post(loop, run_loop_task, t) != 0) free(t);
    }
}

/* ---- what the adapter reports ---------------------------------------------------------------- */

static void on_control(hub_t *h, const payload_t *message)
{
    hub_control_t c;
    if (hub_control_parse(message->data, message->len, &c) != 0) {
        char esc[200];
        log_warn("hub control message ignored: \"%s\"",
                 log_escape(esc, sizeof esc, message->data, message->len));
        return;
    }
    METRIC_INC(control_messages_total);
    struct loop_task t = {.room_id = c.room_id, .member_id = c.member_id};
    switch (c.type) {
    case HUB_CONTROL_REVOKE_TOKEN:
        /* Remembered first, so a handshake after this refuses the token;
         * then the loops cut the sockets that use it. */
        h->out->token_revoked(c.jti, c.exp);
        t.kind = TASK_KICK_TOKEN;
        post_task(h, ~(uint64_t)0, &t, c.jti);
        break;
    case HUB_CONTROL_ROOM_ACCESS:
        /* The version moves before any loop drops the stream: a subscribe
         * whose check started earlier sees it and checks again. */
        atomic_fetch_add(&h->access[(unsigned long long)c.room_id % HUB_ACCESS_SLOTS], 1);
        t.kind = TASK_DROP;
        post_task(h, ~(uint64_t)0, &t, NULL);
        break;
    case HUB_CONTROL_MEMBER_DISABLED:
        /* Forgotten first, so a handshake after this looks the member up
         * (and is refused); then the loops cut their sockets. */
        h->out->member_disabled(c.member_id);
        t.kind = TASK_KICK_MEMBER;
        post_task(h, ~(uint64_t)0, &t, NULL);
        break;
    }
}

static int is_control(const char *name, size_t len)
{
    return len == sizeof HUB_STREAM_CONTROL - 1 && memcmp(name, HUB_STREAM_CONTROL, len) == 0;
}

static void deliver(hub_t *h, const pubsub_names_t *streams, payload_t *message,
                    const pubsub_meta_t *meta);

static void on_deliver(void *ud, const pubsub_names_t *streams, payload_t *message,
                       const pubsub_meta_t *meta)
{
    hub_t *h = ud;
    if (!enter(h)) return;
    deliver(h, streams, message, meta);
    leave(h);
}

static void deliver(hub_t *h, const pubsub_names_t *streams, payload_t *message,
                    const pubsub_meta_t *meta)
{
    uint64_t mask = 0;
    size_t pos = 0, len;
    const char *name;
    pthread_mutex_lock(&h->lock);
    while ((name = hub_names_next(streams, &pos, &len))) {
        if (is_control(name, len)) continue;
        struct hub__stream *s;
        HASH_FIND(hh, h->streams, name, len, s);
        if (s) mask |= s->loops;
    }
    pthread_mutex_unlock(&h->lock);
    /* Control messages are published alone, on their own stream. */
    if (streams->count == 1 && is_control(streams->data, strlen(streams->data))) {
        on_control(h, message);
        return;
    }
    if (!mask) return;

    METRIC_INC(broadcasts_total);
    enum pubsub_kind kind = meta ? meta->kind : PUBSUB_TRANSIENT;
    int positioned = kind == PUBSUB_BROADCAST && meta->pos;
    size_t pos_bytes = positioned ? streams->count * sizeof(pubsub_pos_t) : 0;
    /* Posts, positions and names in one allocation; the posts end on a
     * pointer boundary, which suits the positions' 64-bit fields. */
    static_assert(sizeof(net_post_t) % _Alignof(pubsub_pos_t) == 0, "positions after posts");
    struct hub__broadcast *b =
        xmalloc(sizeof *b + h->nloops * sizeof(net_post_t) + pos_bytes + streams->len);
    atomic_init(&b->refs, 1);
    b->hub = h;
    b->received_us = clock_mono_us();
    b->message = payload_ref(message);
    b->kind = kind;
    b->pos = positioned ? (pubsub_pos_t *)&b->posts[h->nloops] : NULL;
    if (positioned) memcpy(b->pos, meta->pos, pos_bytes);
    b->exclude[0] = '\0';
    if (kind == PUBSUB_WHISPER && meta->exclude)
        snprintf(b->exclude, sizeof b->exclude, "%s", meta->exclude);
    b->names = (char *)&b->posts[h->nloops] + pos_bytes;
    memcpy(b->names, streams->data, streams->len);
    b->streams = (pubsub_names_t){b->names, streams->len, streams->count};
    for (unsigned i = 0; i < h->nloops; i++) {
        net_loop_t *loop = net_loops_get(i);
        if (!(mask & ((uint64_t)1 << i)) || !loop) continue;
        atomic_fetch_add(&b->refs, 1);
        b->posts[i].cb = hub__deliver_on_loop;
        if (net_loop_send(loop, &b->posts[i]) != 0) hub__broadcast_unref(b);
    }
    hub__broadcast_unref(b);
}

static void on_ready(void *ud, const char *name, size_t len)
{
    hub_t *h = ud;
    if (!enter(h)) return;
    pthread_mutex_lock(&h->lock);
    struct hub__stream *s;
    HASH_FIND(hh, h->streams, name, len, s);
    uint64_t mask = 0;
    struct loop_task t = {.kind = TASK_READY};
    if (s && !s->ready) {
        s->ready = 1;
        mask = s->loops;
        t.gen = s->gen;
    }
    pthread_mutex_unlock(&h->lock);
    if (mask) {
        char *copy = xstrndup(name, len);
        post_task(h, mask, &t, copy);
        free(copy);
    }
    leave(h);
}

static void on_link(void *ud, int up)
{
    hub_t *h = ud;
    atomic_store(&h->link_up, up);
    if (up || !enter(h)) return;
    /* Nothing becomes ready while the link is down: let every waiting
     * subscription go live now; the adapter restores the streams. */
    pthread_mutex_lock(&h->lock);
    struct hub__stream *s, *tmp;
    HASH_ITER(hh, h->streams, s, tmp) s->ready = 1;
    pthread_mutex_unlock(&h->lock);
    struct loop_task t = {.kind = TASK_RELEASE};
    post_task(h, ~(uint64_t)0, &t, NULL);
    leave(h);
}

const pubsub_events_t hub_pubsub_events = {
    .deliver = on_deliver,
    .ready = on_ready,
    .link = on_link,
};

/* ---- broadcasts ---------------------------------------------------------------------------- */

void hub__broadcast_unref(struct hub__broadcast *b)
{
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1) return;
    payload_unref(b->message);
    free(b);
}

/* ---- publishing ---------------------------------------------------------------------------- */

int hub_publish_async(hub_t *h, const hub_streams_t *streams, payload_t *message,
                      pubsub_done_t *done)
{
    if (!h->ps) return ERR_CLOSED;
    if (streams->count == 0) {
        if (done) done->cb(done, 0);
        return 0;
    }
    pubsub_names_t names = hub_streams_names(streams);
    const pubsub_meta_t meta = {.kind = PUBSUB_BROADCAST};
    return pubsub_publish(h->ps, &names, message, &meta, done);
}

/* One transient message on one stream. */
static int publish_transient(hub_t *h, const char *stream, payload_t *message,
                             const pubsub_meta_t *meta)
{
    if (!h->ps) return ERR_CLOSED;
    size_t len = strlen(stream);
    pubsub_names_t names = {stream, len + 1, 1};
    int rc = pubsub_publish(h->ps, &names, message, meta, NULL);
    if (rc != 0) log_warn("hub transient publish failed stream=%s err=%s", stream, err_name(rc));
    return rc;
}

int hub_whisper(hub_t *h, const char *stream, payload_t *data, const char *exclude)
{
    const pubsub_meta_t meta = {.kind = PUBSUB_WHISPER, .exclude = exclude};
    return publish_transient(h, stream, data, &meta);
}

int hub_presence_event(hub_t *h, const char *stream, payload_t *event)
{
    const pubsub_meta_t meta = {.kind = PUBSUB_PRESENCE};
    return publish_transient(h, stream, event, &meta);
}

/* A worker waiting for its publish to be acknowledged. Shared with the
 * adapter's callback, which may come after the worker gave up waiting. */
struct wait {
    pubsub_done_t done;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int finished;
    int status;
    atomic_int refs;
};

static void wait_unref(struct wait *w)
{
    if (atomic_fetch_sub(&w->refs, 1) != 1) return;
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

static void on_wait_done(pubsub_done_t *done, int status)
{
    struct wait *w = (struct wait *)done;
    pthread_mutex_lock(&w->lock);
    w->finished = 1;
    w->status = status;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    wait_unref(w);
}

int hub_publish(hub_t *h, const hub_streams_t *streams, payload_t *message)
{
    /* A loop thread must never wait; it publishes and goes on. */
    if (net_loop_current()) return hub_publish_async(h, streams, message, NULL);
    struct wait *w = xcalloc(1, sizeof *w);
    w->done.cb = on_wait_done;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&w->refs, 2);
    int rc = hub_publish_async(h, streams, message, &w->done);
    if (rc != 0) {
        atomic_store(&w->refs, 1);
        wait_unref(w);
        log_error("hub publish failed err=%s", err_name(rc));
        return rc;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += PUBLISH_WAIT_MS / 1000;
    until.tv_nsec += (long)(PUBLISH_WAIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&w->lock);
    while (!w->finished && pthread_cond_timedwait(&w->cond, &w->lock, &until) != ETIMEDOUT) {
    }
    rc = w->finished ? w->status : ERR_AGAIN;
    pthread_mutex_unlock(&w->lock);
    wait_unref(w);
    if (rc != 0 && rc != ERR_AGAIN) log_error("hub publish failed err=%s", err_name(rc));
    return rc;
}

int hub_publish_event(hub_t *h, const hub_streams_t *streams, const char *event,
                      const json_t *data)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, "{\"event\":");
    json_append_string(&b, event, strlen(event));
    buf_puts(&b, ",\"data\":");
    json_append_value(&b, data);
    buf_puts(&b, "}");
    payload_t *p = payload_copy(buf_head(&b), b.len);
    buf_deinit(&b);
    int rc = hub_publish(h, streams, p);
    payload_unref(p);
    return rc;
}

/* ---- control ------------------------------------------------------------------------------- */

static int publish_control(hub_t *h, const hub_control_t *c)
{
    buf_t b = BUF_INIT;
    int rc = hub_control_encode(c, &b);
    if (rc == 0) {
        hub_streams_t s = HUB_STREAMS_INIT;
        hub_streams_add(&s, HUB_STREAM_CONTROL, sizeof HUB_STREAM_CONTROL - 1);
        payload_t *p = payload_copy(buf_head(&b), b.len);
        rc = hub_publish(h, &s, p);
        payload_unref(p);
        hub_streams_deinit(&s);
    }
    buf_deinit(&b);
    return rc == ERR_AGAIN ? 0 : rc;
}

int hub_revoke_token(hub_t *h, const char *jti, int64_t exp)
{
    hub_control_t c = {.type = HUB_CONTROL_REVOKE_TOKEN, .exp = exp};
    if (strlen(jti) >= sizeof c.jti) return ERR_INVAL;
    memcpy(c.jti, jti, strlen(jti) + 1);
    return publish_control(h, &c);
}

int hub_revoke_room_access(hub_t *h, long long room_id, long long member_id)
{
    hub_control_t c = {.type = HUB_CONTROL_ROOM_ACCESS, .room_id = room_id, .member_id = member_id};
    return publish_control(h, &c);
}

int hub_disable_member(hub_t *h, long long member_id)
{
    hub_control_t c = {.type = HUB_CONTROL_MEMBER_DISABLED, .member_id = member_id};
    return publish_control(h, &c);
}
