/* pubsub/redis_state: the state of the extended protocol (state/state.h)
 * in the cluster's Redis, through the redis adapter's publishing
 * connection: every node reads and writes the same history, sessions and
 * presence, so a client may reconnect to any node and recover.
 *
 *   loop thread ──call──► adapter thread ──EVALSHA──► Redis
 *   loop thread ◄──post── reply, converted on the adapter thread
 *
 * Keys and scripts: redis_scripts.h. The history a node reads is as of one
 * instant (one script), and it reads it only after its subscription to
 * the stream is confirmed, so whatever the read misses arrives live. */
#include "pubsub/redis_internal.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "net/loop.h"
#include "state/state.h"

#include <stdlib.h>
#include <string.h>

struct redis_state {
    state_t base;
    pubsub_t *ps;
};

enum { ANSWER_HISTORY = 1, ANSWER_SESSION, ANSWER_PRESENCE };

/* A reply on its way back to the loop that asked. */
struct answer {
    int kind;
    net_loop_t *loop;
    void *cb; /* state_history_cb / state_session_cb / state_presence_cb */
    void *ud;
    unsigned ttl_s;          /* HISTORY: the age limit */
    state_history_t history; /* HISTORY (entries owned) */
    int status;              /* SESSION, PRESENCE */
    buf_t text;              /* SESSION: the session; PRESENCE: the records */
    size_t total;            /* PRESENCE */
};

static void answer_free(struct answer *a)
{
    for (size_t i = 0; i < a->history.count; i++) payload_unref(a->history.entries[i].message);
    free(a->history.entries);
    buf_deinit(&a->text);
    free(a);
}

static void run_answer(net_loop_t *loop, void *arg)
{
    (void)loop;
    struct answer *a = arg;
    switch (a->kind) {
    case ANSWER_HISTORY:
        ((state_history_cb)a->cb)(a->ud, &a->history);
        break;
    case ANSWER_SESSION:
        ((state_session_cb)a->cb)(a->ud, a->status, buf_head(&a->text), a->text.len);
        break;
    case ANSWER_PRESENCE:
        ((state_presence_cb)a->cb)(a->ud, a->status, buf_head(&a->text), a->text.len, a->total);
        break;
    }
    answer_free(a);
}

/* Back to the loop that asked (adapter thread). A loop that has stopped
 * has no connection left to answer. */
static void send_back(struct answer *a)
{
    if (net_loop_post(a->loop, run_answer, a) != 0) answer_free(a);
}

static struct answer *answer_new(int kind, void *cb, void *ud)
{
    struct answer *a = xcalloc(1, sizeof *a);
    a->kind = kind;
    a->loop = net_loop_current();
    a->cb = cb;
    a->ud = ud;
    buf_init(&a->text);
    return a;
}

static int send_call(struct redis_state *rs, redis__call_t *c)
{
    return redis__call_send(rs->ps, c);
}

static long long reply_number(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) return strtoll(r->str, NULL, 10);
    return 0;
}

/* ---- history ------------------------------------------------------------------------------- */

/* One XRANGE entry, [id "<offset>-0", [t, <time>, d, <message>]], kept
 * unless past the age limit (then it counts as lost). */
static void read_entry(struct answer *a, const redisReply *e, int64_t oldest)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) return;
    const redisReply *id = e->element[0], *f = e->element[1];
    if (id->type != REDIS_REPLY_STRING || f->type != REDIS_REPLY_ARRAY) return;
    int64_t t = -1;
    const redisReply *d = NULL;
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        if (f->element[i]->type != REDIS_REPLY_STRING) continue;
        if (strcmp(f->element[i]->str, "t") == 0) t = reply_number(f->element[i + 1]);
        if (strcmp(f->element[i]->str, "d") == 0 && f->element[i + 1]->type == REDIS_REPLY_STRING)
            d = f->element[i + 1];
    }
    uint64_t offset = strtoull(id->str, NULL, 10);
    if (t < 0 || !d || offset == 0) return;
    if (t < oldest) {
        if (t > a->history.lost_time) a->history.lost_time = t;
        return;
    }
    /* As the live path hands it on: Action Cable's encoding. */
    buf_t m = BUF_INIT;
    if (json_append_compact(&m, d->str, (size_t)d->len) != 0) {
        buf_deinit(&m);
        return;
    }
    a->history.entries[a->history.count++] =
        (state_entry_t){offset, t, payload_copy(buf_head(&m), m.len)};
    buf_deinit(&m);
}

static void on_history(redis__call_t *c, const redisReply *r)
{
    struct answer *a = c->ud;
    state_history_t *h = &a->history;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 5 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[4]->type != REDIS_REPLY_ARRAY) {
        h->status = ERR_CLOSED;
        send_back(a);
        return;
    }
    const redisReply *epoch = r->element[0], *entries = r->element[4];
    if (epoch->len > 0 && (size_t)epoch->len < sizeof h->epoch)
        memcpy(h->epoch, epoch->str, epoch->len);
    h->last = (uint64_t)reply_number(r->element[1]);
    int64_t last_time = reply_number(r->element[2]);
    h->lost_time = reply_number(r->element[3]);
    int64_t oldest = clock_unix_s() - (int64_t)a->ttl_s;
    h->entries = entries->elements ? xcalloc(entries->elements, sizeof *h->entries) : NULL;
    for (size_t i = 0; i < entries->elements; i++) read_entry(a, entries->element[i], oldest);
    /* Kept messages must lead up to the newest offset without a hole; the
     * stream's key expires as a whole, and then everything is lost. */
    if (h->count && h->entries[h->count - 1].offset != h->last)
        h->count = 0, h->status = ERR_CLOSED;
    if (!h->count && h->last && last_time > h->lost_time) h->lost_time = last_time;
    send_back(a);
}

static int rs_history(state_t *st, const char *stream, state_history_cb cb, void *ud)
{
    struct redis_state *rs = (struct redis_state *)st;
    if (!net_loop_current()) return ERR_INVAL;
    struct answer *a = answer_new(ANSWER_HISTORY, (void *)cb, ud);
    a->ttl_s = st->config.history_ttl_s;
    if (!st->config.history_limit) {
        /* No history kept: every stream is unknown. */
        cb(ud, &a->history);
        answer_free(a);
        return 0;
    }
    redis__call_t *c = redis__call_new(on_history, a);
    c->script = &redis__script_history;
    c->nkeys = 2;
    redis__call_name(c, rs->ps, "_cabled:s:", stream);
    redis__call_name(c, rs->ps, "_cabled:h:", stream);
    int rc = send_call(rs, c);
    if (rc) answer_free(a);
    return rc;
}

/* ---- sessions ------------------------------------------------------------------------------ */

static void on_ignored(redis__call_t *c, const redisReply *r)
{
    (void)c, (void)r;
}

static void rs_session_save(state_t *st, const char *sid, long long member, const char *blob,
                            size_t len, unsigned ttl_s)
{
    struct redis_state *rs = (struct redis_state *)st;
    redis__call_t *c = redis__call_new(on_ignored, NULL);
    c->script = &redis__script_session_save;
    c->nkeys = 1;
    redis__call_name(c, rs->ps, "_cabled:session:", sid);
    redis__call_argf(c, "%lld", member);
    redis__call_arg(c, blob, len);
    redis__call_argf(c, "%u", ttl_s ? ttl_s : 1);
    send_call(rs, c);
}

static void on_session(redis__call_t *c, const redisReply *r)
{
    struct answer *a = c->ud;
    if (r && r->type == REDIS_REPLY_STRING) {
        a->status = 0;
        buf_append(&a->text, r->str, (size_t)r->len);
    } else {
        a->status = ERR_NOT_FOUND;
    }
    send_back(a);
}

static int rs_session_take(state_t *st, const char *sid, long long member, state_session_cb cb,
                           void *ud)
{
    struct redis_state *rs = (struct redis_state *)st;
    if (!net_loop_current()) return ERR_INVAL;
    struct answer *a = answer_new(ANSWER_SESSION, (void *)cb, ud);
    redis__call_t *c = redis__call_new(on_session, a);
    c->script = &redis__script_session_take;
    c->nkeys = 1;
    redis__call_name(c, rs->ps, "_cabled:session:", sid);
    redis__call_argf(c, "%lld", member);
    int rc = send_call(rs, c);
    if (rc) answer_free(a);
    return rc;
}

/* ---- presence ------------------------------------------------------------------------------ */

/* The three presence keys of 'member' on 'stream'. */
static void presence_keys(redis__call_t *c, pubsub_t *ps, const char *stream, long long member)
{
    char who[32];
    snprintf(who, sizeof who, ":%lld", member);
    buf_t sids = BUF_INIT;
    buf_puts(&sids, stream);
    buf_puts(&sids, who);
    buf_append(&sids, "", 1); /* a C string */
    c->nkeys = 3;
    redis__call_name(c, ps, "_cabled:p:", stream);
    redis__call_name(c, ps, "_cabled:ps:", buf_head(&sids));
    redis__call_name(c, ps, "_cabled:pexp", NULL);
    buf_deinit(&sids);
}

static int64_t deadline_ms(const state_t *st)
{
    return clock_unix_ms() + (int64_t)st->config.presence_ttl_s * 1000;
}

static void rs_presence_join(state_t *st, const char *stream, long long member, const char *sid,
                             const char *info, size_t len)
{
    struct redis_state *rs = (struct redis_state *)st;
    redis__call_t *c = redis__call_new(on_ignored, NULL);
    c->script = &redis__script_presence_join;
    presence_keys(c, rs->ps, stream, member);
    redis__call_argf(c, "%lld", member);
    redis__call_arg(c, sid, strlen(sid));
    redis__call_arg(c, info, len);
    redis__call_argf(c, "%lld", (long long)deadline_ms(st));
    redis__call_name(c, rs->ps, "_cabled:x:", stream);
    redis__call_arg(c, stream, strlen(stream));
    send_call(rs, c);
}

static void rs_presence_leave(state_t *st, const char *stream, long long member, const char *sid)
{
    struct redis_state *rs = (struct redis_state *)st;
    redis__call_t *c = redis__call_new(on_ignored, NULL);
    c->script = &redis__script_presence_leave;
    presence_keys(c, rs->ps, stream, member);
    redis__call_argf(c, "%lld", member);
    redis__call_arg(c, sid, strlen(sid));
    redis__call_name(c, rs->ps, "_cabled:x:", stream);
    redis__call_arg(c, stream, strlen(stream));
    send_call(rs, c);
}

/* Connection 'sid' stays until presence_ttl_s from now (unless it says so
 * again): a dropped connection, or a live one saying it is still there. */
static void rs_presence_deadline(state_t *st, const char *stream, long long member, const char *sid)
{
    struct redis_state *rs = (struct redis_state *)st;
    redis__call_t *c = redis__call_new(on_ignored, NULL);
    buf_t entry = BUF_INIT;
    buf_printf(&entry, "%s\n%lld\n%s", stream, member, sid);
    redis__call_arg(c, "ZADD", 4);
    redis__call_name(c, rs->ps, "_cabled:pexp", NULL);
    redis__call_arg(c, "XX", 2);
    redis__call_argf(c, "%lld", (long long)deadline_ms(st));
    redis__call_arg(c, buf_head(&entry), entry.len);
    buf_deinit(&entry);
    send_call(rs, c);
}

static void on_records(redis__call_t *c, const redisReply *r)
{
    struct answer *a = c->ud;
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        a->status = ERR_CLOSED;
        send_back(a);
        return;
    }
    buf_puts(&a->text, "[");
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *id = r->element[i], *info = r->element[i + 1];
        if (id->type != REDIS_REPLY_STRING || info->type != REDIS_REPLY_STRING) continue;
        buf_t rec = BUF_INIT;
        /* Our own records, but the store is shared: only valid JSON goes out. */
        if (json_append_compact(&rec, info->str, (size_t)info->len) == 0) {
            buf_puts(&a->text, a->total ? ",{\"id\":" : "{\"id\":");
            json_append_string(&a->text, id->str, (size_t)id->len);
            buf_puts(&a->text, ",\"info\":");
            buf_append(&a->text, buf_head(&rec), rec.len);
            buf_puts(&a->text, "}");
            a->total++;
        }
        buf_deinit(&rec);
    }
    buf_puts(&a->text, "]");
    send_back(a);
}

static int rs_presence_info(state_t *st, const char *stream, state_presence_cb cb, void *ud)
{
    struct redis_state *rs = (struct redis_state *)st;
    if (!net_loop_current()) return ERR_INVAL;
    struct answer *a = answer_new(ANSWER_PRESENCE, (void *)cb, ud);
    redis__call_t *c = redis__call_new(on_records, a);
    redis__call_arg(c, "HGETALL", 7);
    redis__call_name(c, rs->ps, "_cabled:p:", stream);
    int rc = send_call(rs, c);
    if (rc) answer_free(a);
    return rc;
}

/* ---- upkeep -------------------------------------------------------------------------------- */

static void rs_tick(state_t *st)
{
    /* Every node sweeps; the script makes each leave happen once. */
    struct redis_state *rs = (struct redis_state *)st;
    redis__call_t *c = redis__call_new(on_ignored, NULL);
    c->script = &redis__script_presence_sweep;
    c->nkeys = 1;
    redis__call_name(c, rs->ps, "_cabled:pexp", NULL);
    redis__call_argf(c, "%lld", (long long)clock_unix_ms());
    redis__call_arg(c, redis__prefix(rs->ps), strlen(redis__prefix(rs->ps)));
    send_call(rs, c);
}

static void rs_destroy(state_t *st)
{
    free(st);
}

static const struct state_ops redis_state_ops = {
    .history = rs_history,
    .session_save = rs_session_save,
    .session_take = rs_session_take,
    .presence_join = rs_presence_join,
    .presence_leave = rs_presence_leave,
    .presence_drop = rs_presence_deadline,
    .presence_touch = rs_presence_deadline,
    .presence_info = rs_presence_info,
    .tick = rs_tick,
    .destroy = rs_destroy,
};

state_t *pubsub_redis_state(pubsub_t *ps, const state_config_t *cfg)
{
    struct redis_state *rs = xcalloc(1, sizeof *rs);
    rs->base.ops = &redis_state_ops;
    rs->base.config = *cfg;
    rs->ps = ps;
    return &rs->base;
}
