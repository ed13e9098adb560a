/* channels/streams: per-loop stream index and shared-frame fan-out. See
 * streams.h. */
#include "channels/streams.h"

#include "cable/protocol.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/metrics.h"
#include "net/loop.h"
#include "ws/frame.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* ---- the per-loop index -------------------------------------------------- */

struct group {
    char *identifier;
    size_t identifier_len;
    list_t members;            /* struct member.node */
    list_t node;               /* in stream_entry.groups */
};

struct stream_entry {
    char *name;
    list_t groups;
    UT_hash_handle hh;
};

struct member {
    cable_sub_t *sub;
    struct stream_entry *entry;
    struct group *group;
    list_t node;
};

static _Thread_local struct stream_entry *index_by_name;

/* ---- the process-wide stream counts -------------------------------------- */

struct stream_count {
    char *name;
    unsigned loops;            /* loops with at least one subscriber */
    UT_hash_handle hh;
};

static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stream_count *counts;
static pubsub_t *pubsub;

void streams_init(pubsub_t *ps)
{
    pubsub = ps;
}

static void count_change(const char *name, int delta)
{
    pthread_mutex_lock(&counts_lock);
    struct stream_count *sc;
    HASH_FIND_STR(counts, name, sc);
    if (!sc && delta > 0) {
        sc = xcalloc(1, sizeof *sc);
        sc->name = xstrdup(name);
        HASH_ADD_KEYPTR(hh, counts, sc->name, strlen(sc->name), sc);
    }
    if (sc) {
        sc->loops += (unsigned)delta;
        if (sc->loops == 1 && delta > 0 && pubsub) pubsub_subscribe(pubsub, name, strlen(name));
        if (sc->loops == 0) {
            if (pubsub) pubsub_unsubscribe(pubsub, name, strlen(name));
            HASH_DEL(counts, sc);
            free(sc->name);
            free(sc);
        }
    }
    pthread_mutex_unlock(&counts_lock);
}

size_t streams_count(void)
{
    pthread_mutex_lock(&counts_lock);
    size_t n = HASH_COUNT(counts);
    pthread_mutex_unlock(&counts_lock);
    return n;
}

void streams_thread_init(void)
{
    index_by_name = NULL;
}

void streams_thread_deinit(void)
{
    /* Connections unsubscribe as they close; anything left is a bug, but
     * free it rather than leak it. */
    struct stream_entry *e, *tmp;
    HASH_ITER(hh, index_by_name, e, tmp)
    {
        log_error("streams stream=%s still has subscribers at shutdown", e->name);
        HASH_DEL(index_by_name, e);
        count_change(e->name, -1);
        free(e->name);
        free(e);
    }
}

int streams_add(cable_sub_t *sub, const char *stream)
{
    struct stream_entry *e;
    HASH_FIND_STR(index_by_name, stream, e);
    if (!e) {
        e = xcalloc(1, sizeof *e);
        e->name = xstrdup(stream);
        list_init(&e->groups);
        HASH_ADD_KEYPTR(hh, index_by_name, e->name, strlen(e->name), e);
        count_change(e->name, +1);
    }
    struct group *g = NULL;
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &e->groups)
    {
        struct group *cand = LIST_ENTRY(it, struct group, node);
        if (cand->identifier_len == sub->identifier_len &&
            memcmp(cand->identifier, sub->identifier, sub->identifier_len) == 0) {
            g = cand;
            break;
        }
    }
    if (!g) {
        g = xcalloc(1, sizeof *g);
        g->identifier = xstrndup(sub->identifier, sub->identifier_len);
        g->identifier_len = sub->identifier_len;
        list_init(&g->members);
        list_insert_tail(&e->groups, &g->node);
    }
    struct member *m = xcalloc(1, sizeof *m);
    m->sub = sub;
    m->entry = e;
    m->group = g;
    list_insert_tail(&g->members, &m->node);
    sub->data = m;
    return 0;
}

void streams_remove(cable_sub_t *sub)
{
    struct member *m = sub->data;
    if (!m) return;
    sub->data = NULL;
    struct group *g = m->group;
    struct stream_entry *e = m->entry;
    list_unlink(&m->node);
    free(m);
    if (list_empty(&g->members)) {
        list_unlink(&g->node);
        free(g->identifier);
        free(g);
    }
    if (list_empty(&e->groups)) {
        HASH_DEL(index_by_name, e);
        count_change(e->name, -1);
        free(e->name);
        free(e);
    }
}

size_t streams_drop(const char *stream, int (*match)(cable_sub_t *sub, void *ud), void *ud)
{
    struct stream_entry *e;
    HASH_FIND_STR(index_by_name, stream, e);
    if (!e) return 0;
    /* Collect first: removing the last member frees the entry. */
    size_t n = 0, cap = 0;
    cable_sub_t **subs = NULL;
    list_t *git, *gtmp, *it, *tmp;
    LIST_FOREACH_SAFE(git, gtmp, &e->groups)
    {
        struct group *g = LIST_ENTRY(git, struct group, node);
        LIST_FOREACH_SAFE(it, tmp, &g->members)
        {
            struct member *m = LIST_ENTRY(it, struct member, node);
            if (!match(m->sub, ud)) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                subs = xrealloc(subs, cap * sizeof *subs);
            }
            subs[n++] = m->sub;
        }
    }
    for (size_t i = 0; i < n; i++) streams_remove(subs[i]);
    free(subs);
    return n;
}

/* ---- broadcasts ---------------------------------------------------------- */

struct frame_cache_entry {
    char *identifier;
    size_t identifier_len;
    payload_t *frame;
};

struct broadcast {
    atomic_uint refs;          /* one per loop it was posted to */
    char *stream;
    payload_t *message;        /* JSON text */
    pthread_mutex_t lock;      /* guards the frame cache */
    struct frame_cache_entry *frames;
    size_t nframes, cap;
};

static void broadcast_unref(struct broadcast *b)
{
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1) return;
    for (size_t i = 0; i < b->nframes; i++) {
        free(b->frames[i].identifier);
        payload_unref(b->frames[i].frame);
    }
    free(b->frames);
    pthread_mutex_destroy(&b->lock);
    payload_unref(b->message);
    free(b->stream);
    free(b);
}

/* The data frame for one identifier, built once per broadcast whichever
 * loop asks first. Returns a borrowed frame (the cache keeps it). */
static payload_t *broadcast_frame(struct broadcast *b, const struct group *g)
{
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < b->nframes; i++) {
        struct frame_cache_entry *f = &b->frames[i];
        if (f->identifier_len == g->identifier_len &&
            memcmp(f->identifier, g->identifier, g->identifier_len) == 0) {
            pthread_mutex_unlock(&b->lock);
            return f->frame;
        }
    }
    buf_t text = BUF_INIT;
    cable_append_message(&text, g->identifier, g->identifier_len, b->message->data, b->message->len);
    payload_t *frame = ws_frame_build(WS_OP_TEXT, buf_head(&text), text.len);
    buf_deinit(&text);
    if (b->nframes == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 2;
        b->frames = xrealloc(b->frames, b->cap * sizeof *b->frames);
    }
    b->frames[b->nframes++] = (struct frame_cache_entry){
        xstrndup(g->identifier, g->identifier_len), g->identifier_len, frame};
    pthread_mutex_unlock(&b->lock);
    return frame;
}

static void deliver_on_loop(net_loop_t *loop, void *arg)
{
    (void)loop;
    struct broadcast *b = arg;
    struct stream_entry *e;
    HASH_FIND_STR(index_by_name, b->stream, e);
    if (e) {
        long deliveries = 0, bytes = 0;
        list_t *git, *gtmp;
        LIST_FOREACH_SAFE(git, gtmp, &e->groups)
        {
            struct group *g = LIST_ENTRY(git, struct group, node);
            payload_t *frame = broadcast_frame(b, g);
            list_t *it, *tmp;
            /* A too-slow subscriber is disconnected during the loop but
             * unsubscribes only when its socket has closed, so the lists
             * stay intact here. */
            LIST_FOREACH_SAFE(it, tmp, &g->members)
            {
                struct member *m = LIST_ENTRY(it, struct member, node);
                if (cable_sub_send_frame(m->sub, frame) == 0) {
                    deliveries++;
                    bytes += (long)frame->len;
                }
            }
        }
        METRIC_ADD(deliveries_total, deliveries);
        METRIC_ADD(bytes_out_total, bytes);
    }
    broadcast_unref(b);
}

void streams_deliver(void *ud, const char *stream, size_t stream_len, payload_t *message)
{
    (void)ud;
    unsigned n = net_loops_count();
    if (n == 0) return;
    struct broadcast *b = xcalloc(1, sizeof *b);
    b->stream = xstrndup(stream, stream_len);
    b->message = payload_ref(message);
    pthread_mutex_init(&b->lock, NULL);
    atomic_init(&b->refs, n);
    METRIC_INC(broadcasts_total);
    for (unsigned i = 0; i < n; i++) {
        if (net_loop_post(net_loops_get(i), deliver_on_loop, b) != 0) broadcast_unref(b);
    }
}
