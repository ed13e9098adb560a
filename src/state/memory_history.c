/* state/memory_history: each stream's last messages, in a ring, with the
 * stream's epoch and offsets. See memory.h. */
#include "state/memory_internal.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/rand.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* Characters of an epoch (PUBSUB_EPOCH_MAX leaves room for more). */
#define EPOCH_CHARS 8
/* A stream with no message for this many times the history's age limit is
 * forgotten; it starts over under a new epoch. */
#define FORGET_AFTER_TTLS 10

struct state__stream {
    char *name;
    size_t len;
    char epoch[PUBSUB_EPOCH_MAX];
    uint64_t last;       /* the newest offset given out */
    int64_t last_time;   /* when it was */
    int64_t lost_time;   /* the newest time of a message no longer kept */
    state_entry_t *ring; /* history_limit slots */
    size_t head;         /* the oldest entry */
    size_t count;
    UT_hash_handle hh;
};

static struct state__stream *stream_new(state_memory_t *m, const char *name, size_t len)
{
    struct state__stream *s = xcalloc(1, sizeof *s);
    s->name = xstrndup(name, len);
    s->len = len;
    rand_urlsafe(s->epoch, EPOCH_CHARS);
    s->ring = xcalloc(m->base.config.history_limit, sizeof *s->ring);
    HASH_ADD_KEYPTR(hh, m->streams, s->name, s->len, s);
    return s;
}

static void stream_free(state_memory_t *m, struct state__stream *s)
{
    size_t cap = m->base.config.history_limit;
    for (size_t i = 0; i < s->count; i++) payload_unref(s->ring[(s->head + i) % cap].message);
    HASH_DEL(m->streams, s);
    free(s->ring);
    free(s->name);
    free(s);
}

/* Drop the oldest entry, remembering that its time is lost. */
static void drop_oldest(state_memory_t *m, struct state__stream *s)
{
    state_entry_t *e = &s->ring[s->head];
    if (e->time > s->lost_time) s->lost_time = e->time;
    payload_unref(e->message);
    e->message = NULL;
    s->head = (s->head + 1) % m->base.config.history_limit;
    s->count--;
}

void state_memory_keep(void *ud, const pubsub_names_t *streams, payload_t *message,
                       pubsub_pos_t *out)
{
    state_memory_t *m = ud;
    size_t cap = m->base.config.history_limit;
    int64_t now = clock_unix_s();
    size_t pos = 0;
    pthread_mutex_lock(&m->history_lock);
    for (size_t i = 0; i < streams->count; i++) {
        const char *name = streams->data + pos;
        size_t len = strlen(name);
        pos += len + 1;
        struct state__stream *s;
        HASH_FIND(hh, m->streams, name, len, s);
        if (!s) s = stream_new(m, name, len);
        if (s->count == cap) drop_oldest(m, s);
        s->ring[(s->head + s->count) % cap] = (state_entry_t){++s->last, now, payload_ref(message)};
        s->count++;
        s->last_time = now;
        out[i].offset = s->last;
        out[i].time = now;
        memcpy(out[i].epoch, s->epoch, sizeof s->epoch);
    }
    pthread_mutex_unlock(&m->history_lock);
}

int state__history_read(state_t *st, const char *stream, state_history_cb cb, void *ud)
{
    state_memory_t *m = (state_memory_t *)st;
    size_t cap = m->base.config.history_limit;
    int64_t oldest = clock_unix_s() - (int64_t)m->base.config.history_ttl_s;
    state_history_t h = {0};
    pthread_mutex_lock(&m->history_lock);
    struct state__stream *s = NULL;
    if (cap) HASH_FIND(hh, m->streams, stream, strlen(stream), s);
    if (s) {
        memcpy(h.epoch, s->epoch, sizeof h.epoch);
        h.last = s->last;
        h.lost_time = s->lost_time;
        h.entries = s->count ? xmalloc(s->count * sizeof *h.entries) : NULL;
        for (size_t i = 0; i < s->count; i++) {
            state_entry_t e = s->ring[(s->head + i) % cap];
            /* Past the age limit: lost, even before the tick drops it. */
            if (e.time < oldest) {
                if (e.time > h.lost_time) h.lost_time = e.time;
                continue;
            }
            e.message = payload_ref(e.message);
            h.entries[h.count++] = e;
        }
    }
    pthread_mutex_unlock(&m->history_lock);
    cb(ud, &h);
    for (size_t i = 0; i < h.count; i++) payload_unref(h.entries[i].message);
    free(h.entries);
    return 0;
}

void state__history_tick(state_memory_t *m, int64_t now)
{
    int64_t ttl = (int64_t)m->base.config.history_ttl_s;
    pthread_mutex_lock(&m->history_lock);
    struct state__stream *s, *tmp;
    HASH_ITER(hh, m->streams, s, tmp)
    {
        while (s->count && s->ring[s->head].time < now - ttl) drop_oldest(m, s);
        if (s->count == 0 && s->last_time < now - FORGET_AFTER_TTLS * ttl) stream_free(m, s);
    }
    pthread_mutex_unlock(&m->history_lock);
}

void state__history_free(state_memory_t *m)
{
    struct state__stream *s, *tmp;
    HASH_ITER(hh, m->streams, s, tmp) stream_free(m, s);
}
