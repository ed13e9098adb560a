/* state/memory_internal.h: what the files of the in-memory state share.
 * Included by src/state/memory*.c only (and unit tests). */
#ifndef STATE_MEMORY_INTERNAL_H
#define STATE_MEMORY_INTERNAL_H

#include "state/memory.h"

#include <pthread.h>

struct state__stream;   /* memory_history.c */
struct state__session;  /* memory_sessions.c */
struct state__presence; /* memory_presence.c */

typedef struct state_memory {
    state_t base;
    state_announce_cb announce;
    void *announce_ud;
    pthread_mutex_t history_lock;
    struct state__stream *streams;
    pthread_mutex_t sessions_lock;
    struct state__session *sessions;
    pthread_mutex_t presence_lock;
    struct state__presence *presence;
} state_memory_t;

/* Each part's operations (see state.h), and its tick and teardown, with
 * 'now' in unix seconds where time matters. */
int state__history_read(state_t *st, const char *stream, state_history_cb cb, void *ud);
void state__history_tick(state_memory_t *m, int64_t now);
void state__history_free(state_memory_t *m);

void state__session_save(state_t *st, const char *sid, long long member, const char *blob,
                         size_t len, unsigned ttl_s);
int state__session_take(state_t *st, const char *sid, long long member, state_session_cb cb,
                        void *ud);
void state__sessions_tick(state_memory_t *m, int64_t now);
void state__sessions_free(state_memory_t *m);

void state__presence_join(state_t *st, const char *stream, long long member, const char *sid,
                          const char *info, size_t len);
void state__presence_leave(state_t *st, const char *stream, long long member, const char *sid);
void state__presence_drop(state_t *st, const char *stream, long long member, const char *sid);
int state__presence_info(state_t *st, const char *stream, state_presence_cb cb, void *ud);
void state__presence_tick(state_memory_t *m, int64_t now_ms);
void state__presence_free(state_memory_t *m);

#endif
