/* pubsub/redis: Redis pub/sub in Action Cable's format. See redis.h.
 *
 *   any thread ──op──► inbox ──uv_async──► adapter thread
 *                                            ├─ "sub" connection: SUBSCRIBE / UNSUBSCRIBE,
 *                                            │   messages ──► events->deliver
 *                                            └─ "pub" connection: PUBLISH (pipelined), PING
 *
 * Each channel has the state this node wants (subscribed or not) and the
 * state Redis has; at most one SUBSCRIBE or UNSUBSCRIBE per channel is in
 * flight, and when its answer comes the two are reconciled again. So a
 * subscribe, unsubscribe, subscribe in quick succession ends subscribed,
 * and 'ready' is reported only once Redis confirms the final SUBSCRIBE. */
#include "pubsub/redis_internal.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/rand.h"
#include "pubsub/envelope.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/health.h"
#include "core/json.h"
#include "core/list.h"
#include "core/log.h"
#include "core/metrics.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include <uv.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000
/* Publishes queued during an outage go out this long after the link is
 * back, so that the other nodes, retrying as often as this one (at most
 * BACKOFF_MAX_MS +20% apart), have subscribed again and hear them too. */
#define REPLAY_DELAY_MS 1500
#define PING_EVERY_MS 1000
#define PING_TIMEOUT_MS 3000
#define STOP_TIMEOUT_MS 1000
/* A stream's position outlives its last message by this many history ttls
 * (then it starts over, under a new epoch). */
#define POSITION_TTLS 10
/* cabled's own channel of a stream: P_cabled:x:<stream> (envelope.h). */
#define EXT_CHANNEL "_cabled:x:"
#define EXT_CHANNEL_LEN (sizeof EXT_CHANNEL - 1)

/* ---- state ----------------------------------------------------------------------------------- */

struct redis;

/* One connection to Redis. */
struct link {
    struct redis *r;
    const char *role;          /* "sub" or "pub", for logs */
    redisAsyncContext *ac;     /* NULL while not connected or connecting */
    int connected;             /* the connect callback said yes */
};

enum chan_state { CH_NONE, CH_SUBSCRIBING, CH_SUBSCRIBED, CH_UNSUBSCRIBING };

struct chan {
    char *name;                /* the stream, without the prefix */
    size_t len;
    int want;                  /* this node wants it subscribed */
    enum chan_state state;     /* what Redis has, as far as we know */
    UT_hash_handle hh;
};

enum op_kind { OP_SUBSCRIBE, OP_UNSUBSCRIBE, OP_PUBLISH, OP_CALL };

/* Work queued for the adapter thread. */
struct op {
    list_t node;
    enum op_kind kind;
    payload_t *message;        /* OP_PUBLISH */
    pubsub_done_t *done;       /* OP_PUBLISH; NULL once reported */
    enum pubsub_kind msg_kind; /* OP_PUBLISH */
    char exclude[PUBSUB_SID_MAX]; /* OP_PUBLISH of a whisper */
    redis__call_t *call;       /* OP_CALL */
    size_t count;              /* names */
    size_t names_len;
    char names[];              /* NUL-terminated names, back to back */
};

/* One publish on the wire: its PUBLISH commands answer one by one. */
struct pending_publish {
    pubsub_done_t *done;
    size_t remaining;
    int failed;
};

struct redis {
    pubsub_t base;
    pubsub_redis_url_t url;
    char *prefix;
    size_t prefix_len;
    size_t queue_max;          /* bytes */
    unsigned history_limit;    /* messages kept per stream; 0: none */
    unsigned history_ttl_s;
    pthread_t thread;
    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t retry;
    uv_timer_t ping;
    uv_timer_t replay;
    uv_timer_t stop_timer;
    pthread_mutex_t lock;      /* guards inbox and stopping */
    list_t inbox;              /* struct op.node */
    int stopping;
    /* adapter thread only */
    struct link sub, pub;
    struct chan *chans;
    list_t queue;              /* publishes waiting for the pub connection */
    size_t queued_bytes;
    unsigned backoff_ms;
    /* The position announced on a stream's cabled channel, for the message
     * that comes next on its Action Cable channel (the script sends both
     * back to back on this connection). */
    char *pos_stream;           /* owned, NULL when none is pending */
    pubsub_pos_t pos;
    int ping_outstanding;
    uint64_t ping_sent_ms;
    int closing;               /* stop requested: no reconnects */
    int finished;              /* our handles are closing */
    char last_error[160];
    /* any thread */
    atomic_int up;             /* both connections are up */
};

/* ---- URLs ------------------------------------------------------------------------------------ */

int pubsub_redis_parse_url(const char *url, pubsub_redis_url_t *out, const char **why)
{
    memset(out, 0, sizeof *out);
    out->port = 6379;
    if (strncmp(url, "redis://", 8) != 0) {
        *why = "expected redis://HOST[:PORT][/DB]";
        return ERR_INVAL;
    }
    const char *p = url + 8;
    const char *at = strrchr(p, '@');
    const char *slash = strchr(p, '/');
    if (at && (!slash || at < slash)) {
        /* [user]:password@ — Redis 6 ACL users are not supported: only the
         * password is sent (AUTH password). */
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        size_t n = (size_t)(at - pw);
        if (n == 0 || n >= sizeof out->password) {
            *why = "the password is empty or too long";
            return ERR_INVAL;
        }
        memcpy(out->password, pw, n);
        p = at + 1;
    }
    const char *end = p + strcspn(p, ":/");
    size_t hlen = (size_t)(end - p);
    if (hlen == 0 || hlen >= sizeof out->host) {
        *why = "expected a host name";
        return ERR_INVAL;
    }
    memcpy(out->host, p, hlen);
    p = end;
    if (*p == ':') {
        char *e;
        long v = strtol(p + 1, &e, 10);
        if (e == p + 1 || v < 1 || v > 65535 || (*e && *e != '/')) {
            *why = "the port must be 1..65535";
            return ERR_INVAL;
        }
        out->port = (int)v;
        p = e;
    }
    if (*p == '/') {
        char *e;
        long v = p[1] ? strtol(p + 1, &e, 10) : 0;
        if (p[1] && (e == p + 1 || *e || v < 0 || v > 1000000)) {
            *why = "the database must be a number";
            return ERR_INVAL;
        }
        out->db = (int)v;
        p += strlen(p);
    }
    if (*p) {
        *why = "unexpected characters after the host";
        return ERR_INVAL;
    }
    return 0;
}

/* ---- hiredis on our loop --------------------------------------------------------------------- */

/* hiredis asks for read/write interest through these hooks; a uv_poll
 * watches the socket. The poller outlives the context until its handle
 * has closed. */
struct poller {
    uv_poll_t handle;
    redisAsyncContext *ac;     /* NULL once hiredis let go of it */
    int events;
};

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct poller *p = h->data;
    /* An error on the socket: let hiredis read it and find out. */
    if (status < 0) events = UV_READABLE;
    if (p->ac && (events & UV_READABLE)) redisAsyncHandleRead(p->ac);
    if (p->ac && (events & UV_WRITABLE)) redisAsyncHandleWrite(p->ac);
}

static void poller_update(struct poller *p, int add, int del)
{
    p->events = (p->events | add) & ~del;
    if (p->events)
        uv_poll_start(&p->handle, p->events, on_poll);
    else
        uv_poll_stop(&p->handle);
}

static void ev_add_read(void *d) { poller_update(d, UV_READABLE, 0); }
static void ev_del_read(void *d) { poller_update(d, 0, UV_READABLE); }
static void ev_add_write(void *d) { poller_update(d, UV_WRITABLE, 0); }
static void ev_del_write(void *d) { poller_update(d, 0, UV_WRITABLE); }

static void on_poller_closed(uv_handle_t *h)
{
    free(h->data);
}

static void ev_cleanup(void *d)
{
    struct poller *p = d;
    p->ac = NULL;
    uv_close((uv_handle_t *)&p->handle, on_poller_closed);
}

static int attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    struct poller *p = xcalloc(1, sizeof *p);
    if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) {
        free(p);
        return -1;
    }
    p->handle.data = p;
    p->ac = ac;
    ac->ev.data = p;
    ac->ev.addRead = ev_add_read;
    ac->ev.delRead = ev_del_read;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_del_write;
    ac->ev.cleanup = ev_cleanup;
    return 0;
}

/* ---- link state ------------------------------------------------------------------------------ */

static void connect_links(struct redis *r);
static void reconcile(struct redis *r, struct chan *c);
static void send_publish(struct redis *r, struct op *op);
static void maybe_finish(struct redis *r);

static void on_retry(uv_timer_t *t)
{
    connect_links(t->data);
}

static void schedule_retry(struct redis *r)
{
    if (r->closing || uv_is_active((uv_handle_t *)&r->retry)) return;
    /* +-20% so that many nodes do not knock on Redis in step. */
    unsigned jitter = r->backoff_ms / 5;
    unsigned delay = r->backoff_ms - jitter + (unsigned)(uv_hrtime() % (2 * jitter + 1));
    uv_timer_start(&r->retry, on_retry, delay, 0);
    r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
}

static void set_up(struct redis *r, int up, const char *why)
{
    /* The reason is kept current while down; the rest happens once per
     * change. */
    if (!up)
        health_set("pubsub", HEALTH_DEGRADED,
                   "redis %s:%d unreachable (%s): broadcasts wait for it, subscriptions are "
                   "restored when it is back",
                   r->url.host, r->url.port, why);
    if (atomic_load(&r->up) == up) return;
    atomic_store(&r->up, up);
    if (up) {
        log_info("pubsub redis %s:%d link up", r->url.host, r->url.port);
        health_set("pubsub", HEALTH_OK, NULL);
        METRIC_INC(pubsub_reconnects_total);
    } else {
        log_warn("pubsub redis %s:%d link down: %s", r->url.host, r->url.port, why);
    }
    r->base.events->link(r->base.events_ud, up);
}

static void on_replay(uv_timer_t *t);

static void links_changed(struct redis *r, const char *why)
{
    int up = r->sub.connected && r->pub.connected;
    int was_up = atomic_load(&r->up);
    set_up(r, up, why);
    if (up) r->backoff_ms = BACKOFF_MIN_MS;
    if (up && !was_up && !list_empty(&r->queue))
        uv_timer_start(&r->replay, on_replay, REPLAY_DELAY_MS, 0);
}

/* 1 while SUBSCRIBEs sent after a reconnect are not all answered. */
static int resubscribing(struct redis *r)
{
    struct chan *c, *tmp;
    HASH_ITER(hh, r->chans, c, tmp) if (c->state == CH_SUBSCRIBING) return 1;
    return 0;
}

/* Publishes that waited for the link go out now, in order. Their 'done'
 * was reported when they were queued. */
static void on_replay(uv_timer_t *t)
{
    struct redis *r = t->data;
    if (!r->pub.connected || r->closing) return;
    if (resubscribing(r)) {
        /* Our own subscribers must hear them too. */
        uv_timer_start(&r->replay, on_replay, 100, 0);
        return;
    }
    size_t n = 0;
    while (!list_empty(&r->queue)) {
        struct op *op = LIST_ENTRY(r->queue.next, struct op, node);
        list_unlink(&op->node);
        r->queued_bytes -= op->message->len + op->names_len;
        send_publish(r, op);
        n++;
    }
    if (n) log_info("pubsub redis published %zu broadcasts kept during the outage", n);
}

static void on_script_loaded(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    redisReply *rep = reply;
    if (rep && rep->type == REDIS_REPLY_ERROR)
        log_error("pubsub redis SCRIPT LOAD %s failed: %s", (const char *)privdata, rep->str);
}

static void on_link_connected(struct redis *r, struct link *l)
{
    l->connected = 1;
    log_debug("pubsub redis %s connected", l->role);
    if (l == &r->sub) {
        /* Everything this node wants, again. */
        struct chan *c, *tmp;
        HASH_ITER(hh, r->chans, c, tmp) reconcile(r, c);
    } else {
        r->ping_outstanding = 0;
        /* The scripts first: every EVALSHA after this finds them. */
        for (size_t i = 0; redis__scripts[i]; i++)
            redisAsyncCommand(l->ac, on_script_loaded, (void *)redis__scripts[i]->name,
                              "SCRIPT LOAD %s", redis__scripts[i]->body);
    }
    links_changed(r, "");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct link *l = ac->data;
    struct redis *r = l->r;
    if (status != REDIS_OK) {
        snprintf(r->last_error, sizeof r->last_error, "%s", ac->errstr);
        log_debug("pubsub redis %s connect failed: %s", l->role, ac->errstr);
        /* hiredis frees the context after this callback. */
        l->ac = NULL;
        links_changed(r, r->last_error);
        schedule_retry(r);
        maybe_finish(r);
        return;
    }
    on_link_connected(r, l);
}

/* 'l' has no connection any more: forget what Redis knew through it and
 * try again later. */
static void link_lost(struct redis *r, struct link *l, const char *why)
{
    l->ac = NULL;
    l->connected = 0;
    if (l == &r->sub) {
        /* A position whose message never came stays with the connection. */
        free(r->pos_stream);
        r->pos_stream = NULL;
        /* Redis forgot our subscriptions with the connection. */
        struct chan *c, *tmp;
        HASH_ITER(hh, r->chans, c, tmp)
        {
            c->state = CH_NONE;
            if (!c->want) {
                HASH_DEL(r->chans, c);
                free(c->name);
                free(c);
            }
        }
    } else {
        r->ping_outstanding = 0;
    }
    if (!r->closing) {
        log_debug("pubsub redis %s disconnected: %s", l->role, why);
        links_changed(r, why);
        schedule_retry(r);
    }
    maybe_finish(r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct link *l = ac->data;
    struct redis *r = l->r;
    if (status != REDIS_OK) snprintf(r->last_error, sizeof r->last_error, "%s", ac->errstr);
    link_lost(r, l, status == REDIS_OK ? "connection closed" : r->last_error);
}

/* Drop a connection now, whatever state it is in. */
static void kill_link(struct redis *r, struct link *l, const char *why)
{
    redisAsyncContext *ac = l->ac;
    if (!ac) return;
    redisAsyncFree(ac);
    /* A context still connecting goes without a disconnect callback. */
    if (l->ac == ac) link_lost(r, l, why);
}

/* Answers to AUTH and SELECT: a failure leaves the link unusable. */
static void on_setup_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *rep = reply;
    const char *what = privdata;
    if (!rep || rep->type != REDIS_REPLY_ERROR) return;
    struct link *l = ac->data;
    snprintf(l->r->last_error, sizeof l->r->last_error, "%s: %s", what, rep->str);
    log_error("pubsub redis %s %s failed: %s", l->role, what, rep->str);
    redisAsyncDisconnect(ac);
}

static void connect_link(struct redis *r, struct link *l)
{
    if (l->ac || r->closing) return;
    redisAsyncContext *ac = redisAsyncConnect(r->url.host, r->url.port);
    if (!ac || ac->err) {
        snprintf(r->last_error, sizeof r->last_error, "%s", ac ? ac->errstr : "out of memory");
        log_debug("pubsub redis %s connect failed: %s", l->role, r->last_error);
        if (ac) redisAsyncFree(ac);
        links_changed(r, r->last_error);
        schedule_retry(r);
        return;
    }
    if (attach(ac, &r->loop) != 0) {
        redisAsyncFree(ac);
        schedule_retry(r);
        return;
    }
    ac->data = l;
    l->ac = ac;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    /* Queued now, sent as soon as the socket is connected, before anything
     * else. */
    if (r->url.password[0])
        redisAsyncCommand(ac, on_setup_reply, "AUTH", "AUTH %s", r->url.password);
    if (l == &r->pub && r->url.db)
        redisAsyncCommand(ac, on_setup_reply, "SELECT", "SELECT %d", r->url.db);
}

static void connect_links(struct redis *r)
{
    connect_link(r, &r->sub);
    connect_link(r, &r->pub);
}

/* ---- subscriptions --------------------------------------------------------------------------- */

static void send_channel_command(struct redis *r, const char *cmd, const struct chan *c);

static void on_sub_reply(redisAsyncContext *ac, void *reply, void *privdata);

static void reconcile(struct redis *r, struct chan *c)
{
    if (c->want && c->state == CH_NONE && r->sub.connected) {
        c->state = CH_SUBSCRIBING;
        send_channel_command(r, "SUBSCRIBE", c);
    } else if (!c->want && c->state == CH_SUBSCRIBED && r->sub.connected) {
        c->state = CH_UNSUBSCRIBING;
        send_channel_command(r, "UNSUBSCRIBE", c);
    } else if (!c->want && c->state == CH_NONE) {
        HASH_DEL(r->chans, c);
        free(c->name);
        free(c);
    }
}

/* Reserved streams ("_cabled:…", the control stream) have no cabled
 * channel of their own. */
static int reserved(const char *name, size_t len)
{
    return len >= 8 && memcmp(name, "_cabled:", 8) == 0;
}

/* A stream's channels go together, in one command: its cabled channel
 * first, so its confirmation comes before the one that counts (Action
 * Cable's), and Redis switches both at once: the position announced on
 * one is always followed by its message on the other. */
static void send_channel_command(struct redis *r, const char *cmd, const struct chan *c)
{
    buf_t ext = BUF_INIT, name = BUF_INIT;
    buf_append(&ext, r->prefix, r->prefix_len);
    buf_puts(&ext, EXT_CHANNEL);
    buf_append(&ext, c->name, c->len);
    buf_append(&name, r->prefix, r->prefix_len);
    buf_append(&name, c->name, c->len);
    const char *argv[] = {cmd, buf_head(&ext), buf_head(&name)};
    size_t lens[] = {strlen(cmd), ext.len, name.len};
    int both = !reserved(c->name, c->len);
    const char *argv1[] = {cmd, buf_head(&name)};
    size_t lens1[] = {strlen(cmd), name.len};
    int rc = both ? redisAsyncCommandArgv(r->sub.ac, on_sub_reply, r, 3, argv, lens)
                  : redisAsyncCommandArgv(r->sub.ac, on_sub_reply, r, 2, argv1, lens1);
    if (rc != REDIS_OK) log_warn("pubsub redis %s not sent stream=%s", cmd, c->name);
    buf_deinit(&ext);
    buf_deinit(&name);
}

static void set_want(struct redis *r, const char *name, size_t len, int want)
{
    struct chan *c;
    HASH_FIND(hh, r->chans, name, len, c);
    if (!c) {
        if (!want) return;
        c = xcalloc(1, sizeof *c);
        c->name = xstrndup(name, len);
        c->len = len;
        HASH_ADD_KEYPTR(hh, r->chans, c->name, c->len, c);
    }
    c->want = want;
    reconcile(r, c);
}

/* A message: re-encode it as Action Cable would and hand it to the hub,
 * as 'meta' says (NULL: transient, another application's). */
static void deliver(struct redis *r, const char *stream, size_t len, const char *text,
                    size_t text_len, const pubsub_meta_t *meta)
{
    METRIC_INC(pubsub_received_total);
    buf_t msg = BUF_INIT;
    if (json_append_compact(&msg, text, text_len) != 0) {
        char esc[120];
        METRIC_INC(pubsub_dropped_total);
        log_warn("pubsub redis message dropped: not JSON stream=%.*s message=\"%s\"",
                 (int)(len > 200 ? 200 : len), stream, log_escape(esc, sizeof esc, text, text_len));
        buf_deinit(&msg);
        return;
    }
    char *names = xmalloc(len + 1);
    memcpy(names, stream, len);
    names[len] = '\0';
    pubsub_names_t list = {names, len + 1, 1};
    payload_t *p = payload_copy(buf_head(&msg), msg.len);
    buf_deinit(&msg);
    const pubsub_meta_t transient = {.kind = PUBSUB_TRANSIENT};
    r->base.events->deliver(r->base.events_ud, &list, p, meta ? meta : &transient);
    payload_unref(p);
    free(names);
}

/* A message on a stream's cabled channel (envelope.h). */
static void deliver_ext(struct redis *r, const char *stream, size_t len, const char *text,
                        size_t text_len)
{
    pubsub_envelope_t env;
    if (pubsub_envelope_parse(text, text_len, &env) != 0) {
        char esc[120];
        METRIC_INC(pubsub_dropped_total);
        log_warn("pubsub redis cabled message dropped: malformed stream=%.*s message=\"%s\"",
                 (int)(len > 200 ? 200 : len), stream, log_escape(esc, sizeof esc, text, text_len));
        return;
    }
    if (env.kind == 'm') {
        /* The message itself comes next, on the stream's Action Cable channel. */
        free(r->pos_stream);
        r->pos_stream = xstrndup(stream, len);
        r->pos = (pubsub_pos_t){.offset = env.offset, .time = env.time};
        memcpy(r->pos.epoch, env.epoch, sizeof r->pos.epoch);
        return;
    }
    pubsub_meta_t meta = {.kind = env.kind == 'w' ? PUBSUB_WHISPER : PUBSUB_PRESENCE,
                          .exclude = env.exclude};
    deliver(r, stream, len, env.data, env.data_len, &meta);
}

static void on_sub_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    struct redis *r = privdata;
    redisReply *rep = reply;
    /* NULL: the context is going away; what it had is forgotten there. */
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 3) return;
    redisReply *kind = rep->element[0], *chan = rep->element[1];
    if (kind->type != REDIS_REPLY_STRING || chan->type != REDIS_REPLY_STRING) return;
    if ((size_t)chan->len < r->prefix_len || memcmp(chan->str, r->prefix, r->prefix_len) != 0)
        return;
    const char *name = chan->str + r->prefix_len;
    size_t len = (size_t)chan->len - r->prefix_len;
    int ext = len > EXT_CHANNEL_LEN && memcmp(name, EXT_CHANNEL, EXT_CHANNEL_LEN) == 0;
    if (strcmp(kind->str, "message") == 0) {
        redisReply *body = rep->element[2];
        if (body->type != REDIS_REPLY_STRING) return;
        /* A position belongs to the very next message, on its stream. */
        char *pos_stream = r->pos_stream;
        r->pos_stream = NULL;
        if (ext) {
            deliver_ext(r, name + EXT_CHANNEL_LEN, len - EXT_CHANNEL_LEN, body->str,
                        (size_t)body->len);
        } else if (pos_stream && strlen(pos_stream) == len && memcmp(pos_stream, name, len) == 0) {
            pubsub_meta_t meta = {.kind = PUBSUB_BROADCAST, .pos = &r->pos};
            deliver(r, name, len, body->str, (size_t)body->len, &meta);
        } else {
            deliver(r, name, len, body->str, (size_t)body->len, NULL);
        }
        free(pos_stream);
        return;
    }
    /* The cabled channel's (un)subscribe answers come first; the Action
     * Cable channel's, right after, settle the stream's state. */
    if (ext) return;
    struct chan *c;
    HASH_FIND(hh, r->chans, name, len, c);
    if (!c) return;
    if (strcmp(kind->str, "subscribe") == 0 && c->state == CH_SUBSCRIBING) {
        c->state = CH_SUBSCRIBED;
        if (c->want)
            r->base.events->ready(r->base.events_ud, c->name, c->len);
        else
            reconcile(r, c);
    } else if (strcmp(kind->str, "unsubscribe") == 0 && c->state == CH_UNSUBSCRIBING) {
        c->state = CH_NONE;
        reconcile(r, c);
    }
}

/* ---- publishing ------------------------------------------------------------------------------ */

static void pending_release(struct pending_publish *pp)
{
    if (--pp->remaining > 0) return;
    if (pp->failed) METRIC_INC(pubsub_dropped_total);
    if (pp->done) pp->done->cb(pp->done, pp->failed ? ERR_CLOSED : 0);
    free(pp);
}

static void on_published(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct pending_publish *pp = privdata;
    redisReply *rep = reply;
    /* NULL: the connection went before Redis answered. The message may or
     * may not have gone out; it is not sent twice. */
    if (!rep || rep->type == REDIS_REPLY_ERROR) pp->failed = 1;
    if (rep && rep->type == REDIS_REPLY_ERROR) {
        log_error("pubsub redis publish failed: %s", rep->str);
        /* Redis lost our scripts (SCRIPT FLUSH): load them again for the
         * next publishes. */
        if (strncmp(rep->str, "NOSCRIPT", 8) == 0 && ac)
            redisAsyncCommand(ac, on_script_loaded, (void *)redis__script_publish.name,
                              "SCRIPT LOAD %s", redis__script_publish.body);
    }
    pending_release(pp);
}

static void call_free(redis__call_t *c);

static void op_free(struct op *op)
{
    payload_unref(op->message);
    if (op->call) call_free(op->call);
    free(op);
}

/* One stream's part of a publish, as the command that sends it:
 *   a broadcast kept in history: EVALSHA publish (redis_scripts.h);
 *   one not kept (no history, a reserved stream): PUBLISH P<stream> message;
 *   a whisper or a presence event: PUBLISH P_cabled:x:<stream> envelope. */
static int send_stream(struct redis *r, struct op *op, const char *s, size_t len,
                       const char *epoch, char now[24], struct pending_publish *pp)
{
    buf_t name = BUF_INIT, ext = BUF_INIT, env = BUF_INIT;
    buf_append(&name, r->prefix, r->prefix_len);
    buf_append(&name, s, len);
    buf_append(&ext, r->prefix, r->prefix_len);
    buf_puts(&ext, EXT_CHANNEL);
    buf_append(&ext, s, len);
    int rc;
    if (op->msg_kind == PUBSUB_WHISPER || op->msg_kind == PUBSUB_PRESENCE) {
        if (op->msg_kind == PUBSUB_WHISPER)
            pubsub_envelope_whisper(&env, op->exclude, op->message->data, op->message->len);
        else
            pubsub_envelope_presence(&env, op->message->data, op->message->len);
        const char *argv[] = {"PUBLISH", buf_head(&ext), buf_head(&env)};
        size_t lens[] = {7, ext.len, env.len};
        rc = redisAsyncCommandArgv(r->pub.ac, on_published, pp, 3, argv, lens);
    } else if (op->msg_kind == PUBSUB_BROADCAST && r->history_limit && !reserved(s, len)) {
        buf_t meta = BUF_INIT, hist = BUF_INIT;
        buf_append(&meta, r->prefix, r->prefix_len);
        buf_puts(&meta, "_cabled:s:");
        buf_append(&meta, s, len);
        buf_append(&hist, r->prefix, r->prefix_len);
        buf_puts(&hist, "_cabled:h:");
        buf_append(&hist, s, len);
        char limit[16], ttl[16], keep[16];
        snprintf(limit, sizeof limit, "%u", r->history_limit);
        snprintf(ttl, sizeof ttl, "%u", r->history_ttl_s);
        snprintf(keep, sizeof keep, "%u", r->history_ttl_s * POSITION_TTLS);
        const char *argv[] = {"EVALSHA", redis__script_publish.sha, "2", buf_head(&meta),
                              buf_head(&hist), buf_head(&name), buf_head(&ext),
                              op->message->data, epoch, now, limit, ttl, keep};
        /* The names are not NUL-terminated: their lengths are the buffers'. */
        size_t lens[13] = {7, 40, 1, meta.len, hist.len, name.len, ext.len, op->message->len};
        for (size_t i = 8; i < 13; i++) lens[i] = strlen(argv[i]);
        rc = redisAsyncCommandArgv(r->pub.ac, on_published, pp, 13, argv, lens);
        buf_deinit(&meta);
        buf_deinit(&hist);
    } else {
        const char *argv[] = {"PUBLISH", buf_head(&name), op->message->data};
        size_t lens[] = {7, name.len, op->message->len};
        rc = redisAsyncCommandArgv(r->pub.ac, on_published, pp, 3, argv, lens);
    }
    buf_deinit(&name);
    buf_deinit(&ext);
    buf_deinit(&env);
    return rc;
}

/* Publish the message on each of its streams, pipelined. Takes 'op'. */
static void send_publish(struct redis *r, struct op *op)
{
    struct pending_publish *pp = xmalloc(sizeof *pp);
    pp->done = op->done;
    pp->remaining = op->count + 1; /* one held while sending */
    pp->failed = 0;
    /* Used only by a stream whose history starts over. */
    char epoch[9], now[24];
    rand_urlsafe(epoch, 8);
    snprintf(now, sizeof now, "%lld", (long long)clock_unix_s());
    const pubsub_names_t names = {op->names, op->names_len, op->count};
    size_t pos = 0;
    while (pos < names.len) {
        const char *s = names.data + pos;
        size_t len = strlen(s);
        pos += len + 1;
        if (send_stream(r, op, s, len, epoch, now, pp) != REDIS_OK) {
            pp->failed = 1;
            pending_release(pp);
        } else {
            METRIC_INC(pubsub_published_total);
        }
    }
    pending_release(pp);
    op_free(op);
}

/* Keep a publish for when the link is back, within the byte bound. */
static void queue_publish(struct redis *r, struct op *op)
{
    if (op->done) {
        op->done->cb(op->done, ERR_AGAIN);
        op->done = NULL;
    }
    list_insert_tail(&r->queue, &op->node);
    r->queued_bytes += op->message->len + op->names_len;
    while (r->queued_bytes > r->queue_max && !list_empty(&r->queue)) {
        struct op *old = LIST_ENTRY(r->queue.next, struct op, node);
        list_unlink(&old->node);
        r->queued_bytes -= old->message->len + old->names_len;
        METRIC_ADD(pubsub_dropped_total, (long)old->count);
        log_warn("pubsub redis queue full: oldest publish dropped streams=%zu", old->count);
        op_free(old);
    }
}

/* ---- commands for other threads ------------------------------------------------------------- */

redis__call_t *redis__call_new(void (*on_reply)(redis__call_t *, const redisReply *), void *ud)
{
    redis__call_t *c = xcalloc(1, sizeof *c);
    c->on_reply = on_reply;
    c->ud = ud;
    buf_init(&c->args);
    return c;
}

void redis__call_arg(redis__call_t *c, const void *p, size_t len)
{
    if (c->argc == REDIS_CALL_MAX_ARGS) abort(); /* our own bug: calls are built here */
    c->lens[c->argc++] = len;
    buf_append(&c->args, p, len);
}

void redis__call_argf(redis__call_t *c, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    redis__call_arg(c, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void redis__call_name(redis__call_t *c, pubsub_t *ps, const char *a, const char *b)
{
    struct redis *r = (struct redis *)ps;
    buf_t name = BUF_INIT;
    buf_append(&name, r->prefix, r->prefix_len);
    buf_puts(&name, a);
    if (b) buf_puts(&name, b);
    redis__call_arg(c, buf_head(&name), name.len);
    buf_deinit(&name);
}

const char *redis__prefix(pubsub_t *ps)
{
    return ((struct redis *)ps)->prefix;
}

static void call_free(redis__call_t *c)
{
    buf_deinit(&c->args);
    free(c);
}

/* Answer 'c' and free it. */
static void call_done(redis__call_t *c, const redisReply *reply)
{
    c->on_reply(c, reply);
    call_free(c);
}

static int call_issue(struct redis *r, redis__call_t *c);

static void on_call_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    redis__call_t *c = privdata;
    redisReply *rep = reply;
    /* Redis forgot the script (SCRIPT FLUSH, a restart between our load
     * and now): once more with its text. */
    if (rep && rep->type == REDIS_REPLY_ERROR && c->script && !c->resent &&
        strncmp(rep->str, "NOSCRIPT", 8) == 0 && ac) {
        c->resent = 1;
        struct link *l = ac->data;
        if (call_issue(l->r, c) == 0) return;
    }
    if (rep && rep->type == REDIS_REPLY_ERROR)
        log_warn("pubsub redis %s failed: %s", c->script ? c->script->name : "command", rep->str);
    call_done(c, rep);
}

/* Send 'c' on the publishing connection. Returns 0, or -1 when it could
 * not be sent (the caller answers it). */
static int call_issue(struct redis *r, redis__call_t *c)
{
    if (!r->pub.connected || r->closing) return -1;
    const char *argv[REDIS_CALL_MAX_ARGS + 3];
    size_t lens[REDIS_CALL_MAX_ARGS + 3];
    size_t n = 0;
    char nkeys[12];
    if (c->script) {
        snprintf(nkeys, sizeof nkeys, "%d", c->nkeys);
        argv[n] = c->resent ? "EVAL" : "EVALSHA";
        lens[n] = strlen(argv[n]);
        n++;
        argv[n] = c->resent ? c->script->body : c->script->sha;
        lens[n] = strlen(argv[n]);
        n++;
        argv[n] = nkeys;
        lens[n] = strlen(nkeys);
        n++;
    }
    const char *p = buf_head(&c->args);
    for (size_t i = 0; i < c->argc; i++) {
        argv[n] = p;
        lens[n++] = c->lens[i];
        p += c->lens[i];
    }
    return redisAsyncCommandArgv(r->pub.ac, on_call_reply, c, (int)n, argv, lens) == REDIS_OK ? 0
                                                                                           : -1;
}

/* ---- the adapter thread ------------------------------------------------------------------------ */

static void on_ping_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    struct redis *r = privdata;
    if (reply) r->ping_outstanding = 0;
}

static void on_ping_timer(uv_timer_t *t)
{
    struct redis *r = t->data;
    if (!r->pub.connected) return;
    uint64_t now = uv_now(&r->loop);
    if (r->ping_outstanding) {
        if (now - r->ping_sent_ms < PING_TIMEOUT_MS) return;
        /* Connected but silent (stopped, or a network that drops packets
         * without a reset): drop both connections and start over. */
        snprintf(r->last_error, sizeof r->last_error, "no answer to PING for %u ms",
                 PING_TIMEOUT_MS);
        log_warn("pubsub redis %s", r->last_error);
        kill_link(r, &r->sub, r->last_error);
        kill_link(r, &r->pub, r->last_error);
        return;
    }
    if (redisAsyncCommand(r->pub.ac, on_ping_reply, r, "PING") == REDIS_OK) {
        r->ping_outstanding = 1;
        r->ping_sent_ms = now;
    }
}

/* Once both connections are gone during a stop, close our handles; the
 * loop then runs out of work and the thread ends. */
static void maybe_finish(struct redis *r)
{
    if (!r->closing || r->finished || r->sub.ac || r->pub.ac) return;
    r->finished = 1;
    uv_close((uv_handle_t *)&r->wake, NULL);
    uv_close((uv_handle_t *)&r->retry, NULL);
    uv_close((uv_handle_t *)&r->ping, NULL);
    uv_close((uv_handle_t *)&r->replay, NULL);
    uv_close((uv_handle_t *)&r->stop_timer, NULL);
}

static void on_stop_timeout(uv_timer_t *t)
{
    /* Redis did not let us go gracefully in time. */
    struct redis *r = t->data;
    kill_link(r, &r->sub, "stopping");
    kill_link(r, &r->pub, "stopping");
    maybe_finish(r);
}

static void begin_stop(struct redis *r)
{
    if (r->closing) return;
    r->closing = 1;
    uv_timer_stop(&r->retry);
    uv_timer_stop(&r->ping);
    uv_timer_stop(&r->replay);
    /* Graceful: what is written goes out, answers are awaited. */
    if (r->sub.ac) redisAsyncDisconnect(r->sub.ac);
    if (r->pub.ac) redisAsyncDisconnect(r->pub.ac);
    uv_timer_start(&r->stop_timer, on_stop_timeout, STOP_TIMEOUT_MS, 0);
    maybe_finish(r);
}

static void on_wake(uv_async_t *a)
{
    struct redis *r = a->data;
    list_t batch;
    list_init(&batch);
    pthread_mutex_lock(&r->lock);
    int stopping = r->stopping;
    while (!list_empty(&r->inbox)) {
        list_t *n = r->inbox.next;
        list_unlink(n);
        list_insert_tail(&batch, n);
    }
    pthread_mutex_unlock(&r->lock);
    while (!list_empty(&batch)) {
        struct op *op = LIST_ENTRY(batch.next, struct op, node);
        list_unlink(&op->node);
        switch (op->kind) {
        case OP_SUBSCRIBE:
        case OP_UNSUBSCRIBE:
            set_want(r, op->names, op->names_len - 1, op->kind == OP_SUBSCRIBE);
            op_free(op);
            break;
        case OP_PUBLISH:
            /* Behind those that wait, to keep the order. */
            if (r->pub.connected && !r->closing && list_empty(&r->queue))
                send_publish(r, op);
            else
                queue_publish(r, op);
            break;
        case OP_CALL: {
            /* Not queued through an outage: whoever asked is answered now. */
            redis__call_t *c = op->call;
            op->call = NULL;
            if (call_issue(r, c) != 0) call_done(c, NULL);
            op_free(op);
            break;
        }
        }
    }
    if (stopping) begin_stop(r);
}

static void *thread_main(void *arg)
{
    struct redis *r = arg;
    connect_links(r);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* ---- the interface --------------------------------------------------------------------------- */

/* Hand 'op' to the adapter thread. Returns 0, or ERR_CLOSED once the
 * adapter is stopping (the caller still owns 'op'). */
static int post(struct redis *r, struct op *op)
{
    pthread_mutex_lock(&r->lock);
    int stopping = r->stopping;
    if (!stopping) {
        list_insert_tail(&r->inbox, &op->node);
        uv_async_send(&r->wake);
    }
    pthread_mutex_unlock(&r->lock);
    return stopping ? ERR_CLOSED : 0;
}

/* An op for 'names_len' bytes of names (a single name need not end with
 * a NUL: one is added). */
static struct op *op_new(enum op_kind kind, const char *names, size_t names_len, size_t count)
{
    struct op *op = xmalloc(sizeof *op + names_len + 1);
    list_init(&op->node);
    op->kind = kind;
    op->message = NULL;
    op->done = NULL;
    op->call = NULL;
    op->msg_kind = PUBSUB_BROADCAST;
    op->exclude[0] = '\0';
    op->count = count;
    memcpy(op->names, names, names_len);
    op->names[names_len] = '\0';
    op->names_len = names[names_len - 1] ? names_len + 1 : names_len;
    return op;
}

static int channel_op(pubsub_t *ps, enum op_kind kind, const char *stream, size_t len)
{
    if (len == 0) return ERR_INVAL;
    struct op *op = op_new(kind, stream, len, 1);
    int rc = post((struct redis *)ps, op);
    if (rc) op_free(op);
    return rc;
}

static int redis_subscribe(pubsub_t *ps, const char *stream, size_t len)
{
    struct redis *r = (struct redis *)ps;
    int rc = channel_op(ps, OP_SUBSCRIBE, stream, len);
    if (rc) return rc;
    /* With the link down nothing would confirm it: ready now, restored
     * when the link returns. */
    return atomic_load(&r->up) ? ERR_AGAIN : 0;
}

static int redis_unsubscribe(pubsub_t *ps, const char *stream, size_t len)
{
    return channel_op(ps, OP_UNSUBSCRIBE, stream, len);
}

int redis__call_send(pubsub_t *ps, redis__call_t *c)
{
    struct op *op = op_new(OP_CALL, "-", 1, 0);
    op->call = c;
    int rc = post((struct redis *)ps, op);
    if (rc) op_free(op);
    return rc;
}

static int redis_publish(pubsub_t *ps, const pubsub_names_t *streams, payload_t *message,
                         const pubsub_meta_t *meta, pubsub_done_t *done)
{
    struct redis *r = (struct redis *)ps;
    if (streams->count == 0) {
        if (done) done->cb(done, 0);
        return 0;
    }
    struct op *op = op_new(OP_PUBLISH, streams->data, streams->len, streams->count);
    op->message = payload_ref(message);
    op->done = done;
    if (meta) {
        op->msg_kind = meta->kind;
        if (meta->kind == PUBSUB_WHISPER && meta->exclude)
            snprintf(op->exclude, sizeof op->exclude, "%s", meta->exclude);
    }
    int rc = post(r, op);
    if (rc) op_free(op);
    return rc;
}

static void redis_destroy(pubsub_t *ps)
{
    struct redis *r = (struct redis *)ps;
    pthread_mutex_lock(&r->lock);
    r->stopping = 1;
    uv_async_send(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    uv_loop_close(&r->loop);
    /* What never went out: publishes in the inbox or the queue. */
    list_t *lists[] = {&r->inbox, &r->queue};
    for (size_t i = 0; i < 2; i++) {
        while (!list_empty(lists[i])) {
            struct op *op = LIST_ENTRY(lists[i]->next, struct op, node);
            list_unlink(&op->node);
            if (op->done) op->done->cb(op->done, ERR_CLOSED);
            if (op->call) {
                call_done(op->call, NULL);
                op->call = NULL;
            }
            op_free(op);
        }
    }
    struct chan *c, *tmp;
    HASH_ITER(hh, r->chans, c, tmp)
    {
        HASH_DEL(r->chans, c);
        free(c->name);
        free(c);
    }
    pthread_mutex_destroy(&r->lock);
    free(r->pos_stream);
    free(r->prefix);
    free(r);
}

static const struct pubsub_ops redis_ops = {
    .subscribe = redis_subscribe,
    .unsubscribe = redis_unsubscribe,
    .publish = redis_publish,
    .destroy = redis_destroy,
};

pubsub_t *pubsub_redis_new(const pubsub_redis_config_t *cfg, const pubsub_events_t *events,
                           void *ud, char *err, size_t err_cap)
{
    pubsub_redis_url_t url;
    const char *why;
    if (pubsub_redis_parse_url(cfg->url, &url, &why) != 0) {
        snprintf(err, err_cap, "%s", why);
        return NULL;
    }
    struct redis *r = xcalloc(1, sizeof *r);
    r->base.ops = &redis_ops;
    r->base.name = "redis";
    r->base.events = events;
    r->base.events_ud = ud;
    r->url = url;
    r->prefix = xstrdup(cfg->prefix ? cfg->prefix : "");
    r->prefix_len = strlen(r->prefix);
    r->queue_max = cfg->queue_bytes;
    r->history_limit = cfg->history_limit;
    r->history_ttl_s = cfg->history_ttl_s ? cfg->history_ttl_s : 1;
    redis__scripts_init();
    r->backoff_ms = BACKOFF_MIN_MS;
    r->sub = (struct link){.r = r, .role = "sub"};
    r->pub = (struct link){.r = r, .role = "pub"};
    list_init(&r->inbox);
    list_init(&r->queue);
    pthread_mutex_init(&r->lock, NULL);
    atomic_init(&r->up, 0);
    snprintf(r->last_error, sizeof r->last_error, "not connected yet");
    health_set("pubsub", HEALTH_DEGRADED, "redis %s:%d: connecting", url.host, url.port);
    /* Not up until both connections are; the hub starts out believing the
     * link is up (the local adapter's is, always). */
    events->link(ud, 0);
    uv_loop_init(&r->loop);
    uv_async_init(&r->loop, &r->wake, on_wake);
    uv_timer_init(&r->loop, &r->retry);
    uv_timer_init(&r->loop, &r->ping);
    uv_timer_init(&r->loop, &r->replay);
    uv_timer_init(&r->loop, &r->stop_timer);
    r->wake.data = r->retry.data = r->ping.data = r->replay.data = r->stop_timer.data = r;
    uv_timer_start(&r->ping, on_ping_timer, PING_EVERY_MS, PING_EVERY_MS);
    if (pthread_create(&r->thread, NULL, thread_main, r) != 0) {
        snprintf(err, err_cap, "cannot start the pub/sub thread");
        uv_close((uv_handle_t *)&r->wake, NULL);
        uv_close((uv_handle_t *)&r->retry, NULL);
        uv_close((uv_handle_t *)&r->ping, NULL);
        uv_close((uv_handle_t *)&r->replay, NULL);
        uv_close((uv_handle_t *)&r->stop_timer, NULL);
        uv_run(&r->loop, UV_RUN_DEFAULT);
        uv_loop_close(&r->loop);
        pthread_mutex_destroy(&r->lock);
        free(r->prefix);
        free(r);
        return NULL;
    }
    return &r->base;
}
