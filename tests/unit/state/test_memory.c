/* tests/unit/state/test_memory.c: the in-memory state (state/memory.h):
 * positions and history bounded by count, sessions taken once and only by
 * their member, presence deduplicated by member with joins and leaves
 * announced once. */
#include "test.h"

#include "core/clock.h"
#include "core/err.h"
#include "state/memory_internal.h"

static state_config_t config = {
    .history_limit = 3, .history_ttl_s = 300, .sessions_ttl_s = 300, .presence_ttl_s = 15};

static pubsub_names_t names(const char *list, size_t len, size_t count)
{
    return (pubsub_names_t){list, len, count};
}

static state_history_t got;
static payload_t *got_messages[8];

static void on_history(void *ud, const state_history_t *h)
{
    (void)ud;
    got = *h;
    for (size_t i = 0; i < h->count && i < 8; i++)
        got_messages[i] = payload_ref(h->entries[i].message);
    got.entries = NULL;
}

static void forget_history(void)
{
    for (size_t i = 0; i < got.count && i < 8; i++) payload_unref(got_messages[i]);
    memset(&got, 0, sizeof got);
}

TEST(state_memory_history_positions_and_bounds)
{
    state_t *st = state_memory_new(&config, NULL, NULL);
    pubsub_pos_t pos[2];
    pubsub_names_t two = names("a\0b", 4, 2);
    for (int i = 1; i <= 5; i++) {
        char text[16];
        snprintf(text, sizeof text, "{\"n\":%d}", i);
        payload_t *m = payload_copy(text, strlen(text));
        state_memory_keep(st, &two, m, pos);
        payload_unref(m);
        ASSERT_EQ(pos[0].offset, (uint64_t)i);
        ASSERT_EQ(pos[1].offset, (uint64_t)i);
    }
    ASSERT(pos[0].epoch[0] != '\0');
    ASSERT(strcmp(pos[0].epoch, pos[1].epoch) != 0); /* each stream has its own */
    ASSERT_EQ(st->ops->history(st, "a", on_history, NULL), 0);
    ASSERT_STR_EQ(got.epoch, pos[0].epoch);
    ASSERT_EQ(got.last, 5);
    ASSERT_EQ(got.count, 3);
    ASSERT(got.lost_time > 0);
    ASSERT_MEM_EQ(got_messages[0]->data, "{\"n\":3}", 7);
    forget_history();
    ASSERT_EQ(st->ops->history(st, "nobody", on_history, NULL), 0);
    ASSERT_STR_EQ(got.epoch, "");
    ASSERT_EQ(got.count, 0);
    forget_history();
    state_destroy(st);
}

static int session_status;
static char session_blob[64];

static void on_session(void *ud, int status, const char *blob, size_t len)
{
    (void)ud;
    session_status = status;
    snprintf(session_blob, sizeof session_blob, "%.*s", (int)len, blob ? blob : "");
}

TEST(state_memory_sessions_are_taken_once_by_their_member)
{
    state_t *st = state_memory_new(&config, NULL, NULL);
    st->ops->session_save(st, "sid-1", 7, "{\"v\":1}", 7, 300);
    st->ops->session_save(st, "sid-1", 7, "{\"v\":2}", 7, 300);
    ASSERT_EQ(st->ops->session_take(st, "sid-1", 8, on_session, NULL), 0);
    ASSERT_EQ(session_status, ERR_NOT_FOUND);
    ASSERT_EQ(st->ops->session_take(st, "sid-1", 7, on_session, NULL), 0);
    ASSERT_EQ(session_status, 0);
    ASSERT_STR_EQ(session_blob, "{\"v\":2}");
    /* Taken: not again, and the old connection cannot save it back. */
    st->ops->session_save(st, "sid-1", 7, "{\"v\":3}", 7, 300);
    ASSERT_EQ(st->ops->session_take(st, "sid-1", 7, on_session, NULL), 0);
    ASSERT_EQ(session_status, ERR_NOT_FOUND);
    /* Expired. */
    st->ops->session_save(st, "sid-2", 7, "{}", 2, 0);
    ASSERT_EQ(st->ops->session_take(st, "sid-2", 7, on_session, NULL), 0);
    ASSERT_EQ(session_status, ERR_NOT_FOUND);
    state_destroy(st);
}

static char events[8][64];
static int nevents;

static void announce(void *ud, const char *stream, payload_t *event)
{
    (void)ud;
    if (nevents < 8)
        snprintf(events[nevents++], sizeof events[0], "%s %.*s", stream, (int)event->len,
                 event->data);
}

static char records[128];
static size_t records_total;

static void on_records(void *ud, int status, const char *r, size_t len, size_t total)
{
    (void)ud, (void)status;
    snprintf(records, sizeof records, "%.*s", (int)len, r);
    records_total = total;
}

TEST(state_memory_presence_by_member)
{
    nevents = 0;
    state_memory_t *m = (state_memory_t *)state_memory_new(&config, announce, NULL);
    state_t *st = &m->base;
    st->ops->presence_join(st, "r", 42, "tab1", "{\"name\":\"Ann\"}", 14);
    st->ops->presence_join(st, "r", 42, "tab2", "{\"name\":\"Ann\"}", 14);
    st->ops->presence_join(st, "r", 7, "t", "null", 4);
    ASSERT_EQ(nevents, 2);
    ASSERT_STR_EQ(events[0], "r {\"type\":\"join\",\"id\":\"42\",\"info\":{\"name\":\"Ann\"}}");
    ASSERT_EQ(st->ops->presence_info(st, "r", on_records, NULL), 0);
    ASSERT_EQ(records_total, 2);
    ASSERT(strstr(records, "{\"id\":\"42\",\"info\":{\"name\":\"Ann\"}}") != NULL);
    /* One tab leaves: still present. The other drops: present until the
     * deadline, then the leave. */
    st->ops->presence_leave(st, "r", 42, "tab1");
    ASSERT_EQ(nevents, 2);
    int64_t dropped_ms = clock_unix_ms();
    st->ops->presence_drop(st, "r", 42, "tab2");
    /* The whole grace (15 s), to the millisecond: not one second less. */
    state__presence_tick(m, dropped_ms + 15000 - 1);
    ASSERT_EQ(nevents, 2);
    state__presence_tick(m, clock_unix_ms() + 15000);
    ASSERT_EQ(nevents, 3);
    ASSERT_STR_EQ(events[2], "r {\"type\":\"leave\",\"id\":\"42\"}");
    /* A dropped connection that joins again before its deadline stays. */
    st->ops->presence_drop(st, "r", 7, "t");
    st->ops->presence_join(st, "r", 7, "t", "null", 4);
    state__presence_tick(m, clock_unix_ms() + 100000);
    ASSERT_EQ(nevents, 3);
    st->ops->presence_leave(st, "r", 7, "t");
    ASSERT_EQ(nevents, 4);
    ASSERT_EQ(st->ops->presence_info(st, "r", on_records, NULL), 0);
    ASSERT_STR_EQ(records, "[]");
    ASSERT_EQ(records_total, 0);
    state_destroy(st);
}
