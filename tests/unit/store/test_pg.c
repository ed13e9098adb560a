/* Unit tests for store/pg against a real PostgreSQL server: the shared
 * store cases (store_cases.c), each on a database of its own, then what
 * only a server-based store has: concurrent migration by two processes'
 * opens, unique violations on a single pooled connection, bad URLs,
 * sessions ended by the server, and a real outage (the server stopped and
 * started again through tests/services/postgres.sh).
 *
 * CABLED_TEST_PG_URL names a server where we may create databases
 * (tests/services/postgres.sh start prints one); without it every test here
 * is skipped with a loud line. The outage test also needs
 * CABLED_TEST_PG_SCRIPT, the path of that script. */
#include "store_cases.h"
#include "test.h"

#include "core/clock.h"
#include "core/err.h"
#include "store/pg.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define NO_SERVER                                                                                  \
    "CABLED_TEST_PG_URL is not set: no PostgreSQL to test against "                                \
    "(export CABLED_TEST_PG_URL=$(tests/services/postgres.sh start))"

static const char *base_url(void)
{
    const char *u = getenv("CABLED_TEST_PG_URL");
    return u && *u ? u : NULL;
}

/* The base URL with its database replaced by 'db'. */
static void url_for(const char *db, char *out, size_t cap)
{
    const char *base = base_url();
    const char *host = strstr(base, "://");
    host = host ? host + 3 : base;
    const char *path = host + strcspn(host, "/?");
    const char *query = strchr(path, '?');
    snprintf(out, cap, "%.*s/%s%s", (int)(path - base), base, db, query ? query : "");
}

static void quiet(void *arg, const char *message)
{
    (void)arg, (void)message;
}

/* Run one statement on the server's own database. Returns 0 or -1
 * (printed). */
static int admin(const char *sql)
{
    PGconn *pg = PQconnectdb(base_url());
    PQsetNoticeProcessor(pg, quiet, NULL);
    int rc = -1;
    if (PQstatus(pg) == CONNECTION_OK) {
        PGresult *r = PQexec(pg, sql);
        ExecStatusType st = PQresultStatus(r);
        rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
        if (rc) printf("# %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
    } else {
        printf("# cannot connect to CABLED_TEST_PG_URL: %s", PQerrorMessage(pg));
    }
    PQfinish(pg);
    return rc;
}

/* The database of the current test. */
static char db_name[64];
static char db_url[512];

static int create_db(void)
{
    static int n;
    snprintf(db_name, sizeof db_name, "cabled_unit_%d_%d", (int)getpid(), ++n);
    url_for(db_name, db_url, sizeof db_url);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db_name);
    admin(sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db_name);
    return admin(sql);
}

static store_t *open_url(unsigned pool)
{
    char err[512] = "";
    store_t *s = store_pg_open(db_url, pool, err, sizeof err);
    if (!s) printf("# store_pg_open failed: %s\n", err);
    return s;
}

static store_t *open_fresh(void)
{
    return create_db() == 0 ? open_url(2) : NULL;
}

static store_t *reopen(void)
{
    return open_url(2);
}

static void drop_db(void)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
    admin(sql);
}

static const store_fixture_t pg_fixture = {open_fresh, reopen, drop_db};

/* The body of a shared case's TEST: skipped without a server. */
#define PG_CASE(name)                                                                              \
    do {                                                                                           \
        if (!base_url()) TEST_SKIP("store_pg_" #name ": " NO_SERVER);                              \
        store_case_##name(&pg_fixture);                                                            \
    } while (0)

TEST(store_pg_community_roundtrip)
{
    PG_CASE(community_roundtrip);
}

TEST(store_pg_members_unique_and_paged)
{
    PG_CASE(members_unique_and_paged);
}

TEST(store_pg_tokens_and_reopen)
{
    PG_CASE(tokens_and_reopen);
}

TEST(store_pg_members_deactivate_and_delete)
{
    PG_CASE(members_deactivate_and_delete);
}

TEST(store_pg_notifications)
{
    PG_CASE(notifications);
}

TEST(store_pg_chat_rooms_and_participants)
{
    PG_CASE(chat_rooms_and_participants);
}

TEST(store_pg_chat_messages_threads_unread)
{
    PG_CASE(chat_messages_threads_unread);
}

TEST(store_pg_chat_reads_and_order)
{
    PG_CASE(chat_reads_and_order);
}

TEST(store_pg_chat_people_and_reactions)
{
    PG_CASE(chat_people_and_reactions);
}

TEST(store_pg_notification_kinds_and_preferences)
{
    PG_CASE(notification_kinds_and_preferences);
}

TEST(store_pg_uploads)
{
    PG_CASE(uploads);
}

/* ---- migrations -------------------------------------------------------------------------------
 */

/* A single integer from a query on the test database; -1 on error. */
static long long db_value(const char *sql)
{
    PGconn *pg = PQconnectdb(db_url);
    long long v = -1;
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else
        printf("# %s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(pg);
    return v;
}

static pthread_barrier_t opening;

static void *open_concurrently(void *arg)
{
    pthread_barrier_wait(&opening);
    *(store_t **)arg = open_url(1);
    return NULL;
}

TEST(store_pg_migrations_once_under_concurrent_opens)
{
    if (!base_url()) TEST_SKIP("store_pg_migrations_once_under_concurrent_opens: " NO_SERVER);
    ASSERT_EQ(create_db(), 0);
    /* Four processes starting at once against an empty database. */
    enum { N = 4 };
    store_t *stores[N] = {NULL};
    pthread_t threads[N];
    pthread_barrier_init(&opening, NULL, N);
    for (int i = 0; i < N; i++) pthread_create(&threads[i], NULL, open_concurrently, &stores[i]);
    for (int i = 0; i < N; i++) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&opening);
    int opened = 0;
    for (int i = 0; i < N; i++) opened += stores[i] != NULL;
    ASSERT_EQ(opened, N);
    ASSERT_EQ(db_value("SELECT count(*) FROM cabled_migrations"), 5);
    ASSERT_EQ(db_value("SELECT max(version) FROM cabled_migrations"), 5);
    /* Each works on the one schema. */
    store_community_t c = {.id = 1, .name = "m", .secret_len = 1};
    ASSERT_EQ(stores[0]->ops->community_put(stores[0], &c), 0);
    for (int i = 0; i < N; i++) {
        store_community_t got;
        ASSERT_EQ(stores[i]->ops->community_get(stores[i], 1, &got), 0);
        store_community_clear(&got);
        store_destroy(stores[i]);
    }
    /* A database from a newer cabled is refused. */
    PGconn *pg = PQconnectdb(db_url);
    PQclear(PQexec(pg, "INSERT INTO cabled_migrations VALUES (99, 0)"));
    PQfinish(pg);
    char err[256] = "";
    ASSERT_NULL(store_pg_open(db_url, 1, err, sizeof err));
    ASSERT(strstr(err, "newer") != NULL);
    drop_db();
}

/* ---- errors -----------------------------------------------------------------------------------
 */

TEST(store_pg_conflicts_keep_the_connection)
{
    if (!base_url()) TEST_SKIP("store_pg_conflicts_keep_the_connection: " NO_SERVER);
    ASSERT_EQ(create_db(), 0);
    /* One connection: a failed statement or transaction must leave it
     * usable for the next operation. */
    store_t *s = open_url(1);
    ASSERT_NOT_NULL(s);
    store_community_t c = {.id = 1, .name = "c", .secret_len = 1};
    ASSERT_EQ(s->ops->community_put(s, &c), 0);
    store_member_t m = {.community_id = 1, .email = "a@x.io", .name = "A"};
    ASSERT_EQ(s->ops->member_create(s, &m), 0);
    long long first = m.id;
    ASSERT_EQ(s->ops->member_create(s, &m), ERR_CONFLICT);
    ASSERT_EQ(s->ops->access_revoke(s, "j", 1, 10), 0);
    ASSERT_EQ(s->ops->access_revoke(s, "j", 1, 10), ERR_CONFLICT);
    store_room_t r = {.community_id = 1, .identifier = "direct-1-2", .show_history = 1};
    strcpy(r.uuid, "u1");
    strcpy(r.kind, "direct");
    long long members[2] = {1, 2};
    ASSERT_EQ(s->ops->room_create(s, &r, members, 2, NULL), 0);
    strcpy(r.uuid, "u2");
    ASSERT_EQ(s->ops->room_create(s, &r, members, 2, NULL), ERR_CONFLICT);
    /* The refused room left nothing behind, and the connection works. */
    store_room_t *rooms;
    size_t n;
    long long total;
    ASSERT_EQ(s->ops->rooms_of_member(s, 1, 1, 0, 10, &rooms, &n, &total), 0);
    ASSERT_EQ(total, 1);
    store_rooms_free(rooms, n);
    m.email = "b@x.io";
    ASSERT_EQ(s->ops->member_create(s, &m), 0);
    ASSERT(m.id > first);
    /* A foreign key the schema enforces is a plain failure. */
    ASSERT_EQ(s->ops->participant_add(s, 12345, 1), ERR_STORE);
    ASSERT_EQ(s->ops->member_count(s, 1), 2);
    char why[128];
    ASSERT_EQ(store_pg_healthy(s, why, sizeof why), 1);
    store_destroy(s);
    drop_db();
}

TEST(store_pg_bad_url_and_unreachable_server)
{
    char err[512] = "";
    ASSERT_NULL(
        store_pg_open("postgresql://127.0.0.1:1/nothing?connect_timeout=2", 1, err, sizeof err));
    ASSERT(strstr(err, "cannot connect") != NULL);
    ASSERT_NULL(store_pg_open("postgresql://u@h/db?nosuchparam=1", 1, err, sizeof err));
    ASSERT(strstr(err, "invalid PostgreSQL URL") != NULL);
    /* Passwords never reach a message. */
    char shown[256];
    store_pg_redact("postgresql://ann:s3cret@db.example:5432/app?password=other&sslmode=require",
                    shown, sizeof shown);
    ASSERT_STR_EQ(shown, "postgresql://ann:***@db.example:5432/app?password=***&sslmode=require");
    store_pg_redact("postgres://ann@db/app", shown, sizeof shown);
    ASSERT_STR_EQ(shown, "postgres://ann@db/app");
    ASSERT_NULL(store_pg_open("postgresql://ann:s3cret@127.0.0.1:1/x", 1, err, sizeof err));
    ASSERT(strstr(err, "s3cret") == NULL);
    /* A SQLite store is always healthy as far as this is concerned. */
    ASSERT_EQ(store_pg_healthy(NULL, shown, sizeof shown), 1);
}

/* ---- outages ----------------------------------------------------------------------------------
 */

TEST(store_pg_sessions_ended_by_the_server_reconnect)
{
    if (!base_url()) TEST_SKIP("store_pg_sessions_ended_by_the_server_reconnect: " NO_SERVER);
    ASSERT_EQ(create_db(), 0);
    store_t *s = open_url(2);
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(s->ops->member_count(s, 1), 0);
    /* An administrator (or an idle timeout) ends every session of the
     * store: the server answered, so the next operations reconnect at once
     * and succeed. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
             "WHERE datname = '%s' AND pid <> pg_backend_pid()",
             db_name);
    ASSERT_EQ(admin(sql), 0);
    for (int i = 0; i < 4; i++) ASSERT_EQ(s->ops->member_count(s, 1), 0);
    char why[128];
    ASSERT_EQ(store_pg_healthy(s, why, sizeof why), 1);
    store_destroy(s);
    drop_db();
}

/* Run the service script with 'cmd'. */
static int service(const char *cmd)
{
    char line[1024];
    snprintf(line, sizeof line, "'%s' %s", getenv("CABLED_TEST_PG_SCRIPT"), cmd);
    return system(line);
}

static long long elapsed_ms(mono_us_t since)
{
    return (long long)((clock_mono_us() - since) / 1000u);
}

/* Poll store_pg_healthy until it says 'want', for up to 'max_ms'. */
static long long wait_health(store_t *s, int want, long long max_ms)
{
    char why[256];
    mono_us_t t0 = clock_mono_us();
    while (store_pg_healthy(s, why, sizeof why) != want && elapsed_ms(t0) < max_ms) usleep(20000);
    return store_pg_healthy(s, why, sizeof why) == want ? elapsed_ms(t0) : -1;
}

TEST(store_pg_outage_unavailable_then_recovered)
{
    if (!base_url()) TEST_SKIP("store_pg_outage_unavailable_then_recovered: " NO_SERVER);
    if (!getenv("CABLED_TEST_PG_SCRIPT"))
        TEST_SKIP("store_pg_outage_unavailable_then_recovered: CABLED_TEST_PG_SCRIPT is not set "
                  "(the path of tests/services/postgres.sh, to stop and start the server)");
    ASSERT_EQ(create_db(), 0);
    store_t *s = open_url(2);
    ASSERT_NOT_NULL(s);
    store_community_t c = {.id = 1, .name = "o", .secret_len = 1};
    ASSERT_EQ(s->ops->community_put(s, &c), 0);
    store_member_t m = {.community_id = 1, .email = "before@x.io", .name = "B"};
    ASSERT_EQ(s->ops->member_create(s, &m), 0);
    long long before_id = m.id;

    /* Everything measured first, the server always started again, then
     * the assertions: a failed check must not leave the server down. */
    int down = service("down");
    long long noticed_ms = wait_health(s, 0, 5000);
    char why[256] = "";
    store_pg_healthy(s, why, sizeof why);
    mono_us_t t0 = clock_mono_us();
    store_member_t got;
    int rc_get = s->ops->member_get(s, 1, before_id, &got);
    long long rc_count = s->ops->member_count(s, 1);
    store_member_t m2 = {.community_id = 1, .email = "during@x.io", .name = "D"};
    int rc_create = s->ops->member_create(s, &m2);
    store_room_t r = {.community_id = 1, .show_history = 1, .uuid = "u", .kind = "group_chat"};
    long long one = 1;
    int rc_tx = s->ops->room_create(s, &r, &one, 1, NULL);
    int all_unavailable = 1;
    for (int i = 0; i < 50; i++) all_unavailable &= s->ops->member_count(s, 1) == ERR_UNAVAILABLE;
    long long outage_ops_ms = elapsed_ms(t0);
    int up = service("up");
    long long recovered_ms = wait_health(s, 1, 10000);
    printf("# outage: noticed idle in %lld ms (\"%s\"); 54 operations refused in %lld ms; "
           "healthy again %lld ms after the restart\n",
           noticed_ms, why, outage_ops_ms, recovered_ms);

    ASSERT_EQ(down, 0);
    ASSERT_EQ(up, 0);
    ASSERT(noticed_ms >= 0);
    ASSERT(strstr(why, "postgres unavailable") != NULL);
    ASSERT_EQ(rc_get, ERR_UNAVAILABLE);
    ASSERT_EQ(rc_count, ERR_UNAVAILABLE);
    ASSERT_EQ(rc_create, ERR_UNAVAILABLE);
    ASSERT_EQ(rc_tx, ERR_UNAVAILABLE);
    ASSERT(all_unavailable);
    /* Refused at once, not after a timeout per call. */
    ASSERT(outage_ops_ms < 2000);
    ASSERT(recovered_ms >= 0);
    /* Back without reopening: what was stored before is there, and
     * writes work on every connection of the pool. */
    ASSERT_EQ(s->ops->member_get(s, 1, before_id, &got), 0);
    ASSERT_STR_EQ(got.email, "before@x.io");
    store_member_clear(&got);
    ASSERT_EQ(s->ops->member_create(s, &m2), 0);
    ASSERT_EQ(s->ops->member_count(s, 1), 2);
    ASSERT_EQ(s->ops->member_count(s, 1), 2);
    ASSERT_EQ(s->ops->room_create(s, &r, &one, 1, NULL), 0);
    store_destroy(s);
    drop_db();
}
