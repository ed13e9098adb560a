/* state/memory: the in-memory state's construction and upkeep. The parts
 * are in memory_history.c, memory_sessions.c and memory_presence.c. See
 * memory.h. */
#include "state/memory_internal.h"

#include "core/alloc.h"
#include "core/clock.h"

#include <stdlib.h>

static void memory_touch(state_t *st, const char *stream, long long member, const char *sid)
{
    /* A connection of this process is known to be there until it drops. */
    (void)st, (void)stream, (void)member, (void)sid;
}

static void memory_tick(state_t *st)
{
    state_memory_t *m = (state_memory_t *)st;
    int64_t now = clock_unix_s();
    state__history_tick(m, now);
    state__sessions_tick(m, now);
    state__presence_tick(m, clock_unix_ms());
}

static void memory_destroy(state_t *st)
{
    state_memory_t *m = (state_memory_t *)st;
    state__presence_free(m);
    state__sessions_free(m);
    state__history_free(m);
    pthread_mutex_destroy(&m->presence_lock);
    pthread_mutex_destroy(&m->sessions_lock);
    pthread_mutex_destroy(&m->history_lock);
    free(m);
}

static const struct state_ops memory_ops = {
    .history = state__history_read,
    .session_save = state__session_save,
    .session_take = state__session_take,
    .presence_join = state__presence_join,
    .presence_leave = state__presence_leave,
    .presence_drop = state__presence_drop,
    .presence_touch = memory_touch,
    .presence_info = state__presence_info,
    .tick = memory_tick,
    .destroy = memory_destroy,
};

state_t *state_memory_new(const state_config_t *cfg, state_announce_cb announce, void *ud)
{
    state_memory_t *m = xcalloc(1, sizeof *m);
    m->base.ops = &memory_ops;
    m->base.config = *cfg;
    m->announce = announce;
    m->announce_ud = ud;
    pthread_mutex_init(&m->history_lock, NULL);
    pthread_mutex_init(&m->sessions_lock, NULL);
    pthread_mutex_init(&m->presence_lock, NULL);
    return &m->base;
}
