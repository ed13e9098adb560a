/* state/memory_sessions: sessions by id, until they expire or are taken.
 * See memory.h. */
#include "state/memory_internal.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct state__session {
    char *sid;
    long long member;
    char *blob; /* NULL once taken */
    size_t len;
    int64_t expires; /* unix seconds */
    UT_hash_handle hh;
};

static void session_free(state_memory_t *m, struct state__session *s)
{
    HASH_DEL(m->sessions, s);
    free(s->sid);
    free(s->blob);
    free(s);
}

void state__session_save(state_t *st, const char *sid, long long member, const char *blob,
                         size_t len, unsigned ttl_s)
{
    state_memory_t *m = (state_memory_t *)st;
    int64_t now = clock_unix_s();
    pthread_mutex_lock(&m->sessions_lock);
    struct state__session *s;
    HASH_FIND_STR(m->sessions, sid, s);
    if (s && !s->blob && s->expires > now) {
        /* Taken: its connection lives on elsewhere, under a new id. */
        pthread_mutex_unlock(&m->sessions_lock);
        return;
    }
    if (!s) {
        s = xcalloc(1, sizeof *s);
        s->sid = xstrdup(sid);
        HASH_ADD_KEYPTR(hh, m->sessions, s->sid, strlen(s->sid), s);
    }
    free(s->blob);
    s->member = member;
    s->blob = xstrndup(blob, len);
    s->len = len;
    s->expires = now + ttl_s;
    pthread_mutex_unlock(&m->sessions_lock);
}

int state__session_take(state_t *st, const char *sid, long long member, state_session_cb cb,
                        void *ud)
{
    state_memory_t *m = (state_memory_t *)st;
    int64_t now = clock_unix_s();
    char *blob = NULL;
    size_t len = 0;
    pthread_mutex_lock(&m->sessions_lock);
    struct state__session *s;
    HASH_FIND_STR(m->sessions, sid, s);
    if (s && s->blob && s->expires > now && s->member == member) {
        /* The id stays, empty, until it would have expired: a save from
         * the old connection cannot bring it back. */
        blob = s->blob;
        len = s->len;
        s->blob = NULL;
    }
    pthread_mutex_unlock(&m->sessions_lock);
    cb(ud, blob ? 0 : ERR_NOT_FOUND, blob, len);
    free(blob);
    return 0;
}

void state__sessions_tick(state_memory_t *m, int64_t now)
{
    pthread_mutex_lock(&m->sessions_lock);
    struct state__session *s, *tmp;
    HASH_ITER(hh, m->sessions, s, tmp)
    {
        if (s->expires <= now) session_free(m, s);
    }
    pthread_mutex_unlock(&m->sessions_lock);
}

void state__sessions_free(state_memory_t *m)
{
    struct state__session *s, *tmp;
    HASH_ITER(hh, m->sessions, s, tmp) session_free(m, s);
}
