/* state/memory_presence: who is present on each stream, by member, with
 * the connections that joined. See memory.h.
 *
 *   stream "chat-room-7-channel"          (struct state__presence)
 *     └─ member 42, info {"name":"Ann"}   (struct member)
 *          └─ connections: sid A (live), sid B (dropped, leaves at T)
 *
 * A member's first connection announces the join, the last one's leave
 * announces the leave; a dropped connection leaves at its deadline unless
 * it joins again first (a session restored with the same id). */
#include "state/memory_internal.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct pconn {
    char sid[32];
    int64_t leaves_at; /* unix milliseconds; 0 while connected */
};

struct member {
    long long id;
    char *info; /* compact JSON */
    struct pconn *conns;
    size_t count, cap;
    UT_hash_handle hh;
};

struct state__presence {
    char *name;
    struct member *members;
    UT_hash_handle hh;
};

/* {"type":"join","id":"42","info":…} or {"type":"leave","id":"42"},
 * under the lock (memory.h says why). */
static void announce(state_memory_t *m, const struct state__presence *p, const struct member *mb,
                     int join)
{
    if (!m->announce) return;
    buf_t b = BUF_INIT;
    buf_printf(&b, "{\"type\":\"%s\",\"id\":\"%lld\"", join ? "join" : "leave", mb->id);
    if (join) {
        buf_puts(&b, ",\"info\":");
        buf_puts(&b, mb->info);
    }
    buf_puts(&b, "}");
    payload_t *event = payload_copy(buf_head(&b), b.len);
    buf_deinit(&b);
    m->announce(m->announce_ud, p->name, event);
    payload_unref(event);
}

static struct pconn *find_conn(struct member *mb, const char *sid)
{
    for (size_t i = 0; i < mb->count; i++)
        if (strcmp(mb->conns[i].sid, sid) == 0) return &mb->conns[i];
    return NULL;
}

static void member_free(struct state__presence *p, struct member *mb)
{
    HASH_DEL(p->members, mb);
    free(mb->conns);
    free(mb->info);
    free(mb);
}

static void presence_free(state_memory_t *m, struct state__presence *p)
{
    struct member *mb, *tmp;
    HASH_ITER(hh, p->members, mb, tmp) member_free(p, mb);
    HASH_DEL(m->presence, p);
    free(p->name);
    free(p);
}

/* Take connection 'c' out of 'mb'; the member leaves with its last one. */
static void remove_conn(state_memory_t *m, struct state__presence *p, struct member *mb,
                        struct pconn *c)
{
    *c = mb->conns[--mb->count];
    if (mb->count) return;
    announce(m, p, mb, 0);
    member_free(p, mb);
    if (!p->members) presence_free(m, p);
}

void state__presence_join(state_t *st, const char *stream, long long member, const char *sid,
                          const char *info, size_t len)
{
    state_memory_t *m = (state_memory_t *)st;
    if (strlen(sid) >= sizeof((struct pconn *)0)->sid) return;
    pthread_mutex_lock(&m->presence_lock);
    struct state__presence *p;
    HASH_FIND_STR(m->presence, stream, p);
    if (!p) {
        p = xcalloc(1, sizeof *p);
        p->name = xstrdup(stream);
        HASH_ADD_KEYPTR(hh, m->presence, p->name, strlen(p->name), p);
    }
    struct member *mb;
    HASH_FIND(hh, p->members, &member, sizeof member, mb);
    int first = !mb;
    if (!mb) {
        mb = xcalloc(1, sizeof *mb);
        mb->id = member;
        HASH_ADD(hh, p->members, id, sizeof mb->id, mb);
    }
    free(mb->info);
    mb->info = xstrndup(info, len);
    struct pconn *c = find_conn(mb, sid);
    if (!c) {
        if (mb->count == mb->cap) {
            mb->cap = mb->cap ? mb->cap * 2 : 2;
            mb->conns = xrealloc(mb->conns, mb->cap * sizeof *mb->conns);
        }
        c = &mb->conns[mb->count++];
        snprintf(c->sid, sizeof c->sid, "%s", sid);
    }
    c->leaves_at = 0;
    if (first) announce(m, p, mb, 1);
    pthread_mutex_unlock(&m->presence_lock);
}

/* Find connection 'sid' of 'member' on 'stream'; NULL when not there. */
static struct pconn *lookup(state_memory_t *m, const char *stream, long long member,
                            const char *sid, struct state__presence **p, struct member **mb)
{
    HASH_FIND_STR(m->presence, stream, *p);
    if (!*p) return NULL;
    HASH_FIND(hh, (*p)->members, &member, sizeof member, *mb);
    return *mb ? find_conn(*mb, sid) : NULL;
}

void state__presence_leave(state_t *st, const char *stream, long long member, const char *sid)
{
    state_memory_t *m = (state_memory_t *)st;
    pthread_mutex_lock(&m->presence_lock);
    struct state__presence *p;
    struct member *mb;
    struct pconn *c = lookup(m, stream, member, sid, &p, &mb);
    if (c) remove_conn(m, p, mb, c);
    pthread_mutex_unlock(&m->presence_lock);
}

void state__presence_drop(state_t *st, const char *stream, long long member, const char *sid)
{
    state_memory_t *m = (state_memory_t *)st;
    pthread_mutex_lock(&m->presence_lock);
    struct state__presence *p;
    struct member *mb;
    struct pconn *c = lookup(m, stream, member, sid, &p, &mb);
    if (c) c->leaves_at = clock_unix_ms() + (int64_t)m->base.config.presence_ttl_s * 1000;
    pthread_mutex_unlock(&m->presence_lock);
}

int state__presence_info(state_t *st, const char *stream, state_presence_cb cb, void *ud)
{
    state_memory_t *m = (state_memory_t *)st;
    buf_t b = BUF_INIT;
    size_t total = 0;
    buf_puts(&b, "[");
    pthread_mutex_lock(&m->presence_lock);
    struct state__presence *p;
    HASH_FIND_STR(m->presence, stream, p);
    if (p) {
        struct member *mb, *tmp;
        HASH_ITER(hh, p->members, mb, tmp)
        {
            buf_printf(&b, "%s{\"id\":\"%lld\",\"info\":%s}", total ? "," : "", mb->id, mb->info);
            total++;
        }
    }
    pthread_mutex_unlock(&m->presence_lock);
    buf_puts(&b, "]");
    cb(ud, 0, buf_head(&b), b.len, total);
    buf_deinit(&b);
    return 0;
}

void state__presence_tick(state_memory_t *m, int64_t now_ms)
{
    pthread_mutex_lock(&m->presence_lock);
    struct state__presence *p, *ptmp;
    HASH_ITER(hh, m->presence, p, ptmp)
    {
        struct member *mb, *mtmp;
        HASH_ITER(hh, p->members, mb, mtmp)
        {
            /* remove_conn moves the last connection into the slot it
             * frees (walking down, one already seen) and may free the
             * member and the stream: stop once the member is gone. */
            for (size_t i = mb->count; i-- > 0;) {
                if (!mb->conns[i].leaves_at || mb->conns[i].leaves_at > now_ms) continue;
                int last = mb->count == 1;
                remove_conn(m, p, mb, &mb->conns[i]);
                if (last) break;
            }
        }
    }
    pthread_mutex_unlock(&m->presence_lock);
}

void state__presence_free(state_memory_t *m)
{
    struct state__presence *p, *tmp;
    HASH_ITER(hh, m->presence, p, tmp) presence_free(m, p);
}
