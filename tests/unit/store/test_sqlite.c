/* Unit tests for store/sqlite: the shared store cases (store_cases.c) on a
 * temporary database file, which a reopen finds again, and the adapter's
 * own in-memory databases and bad paths. */
#include "store_cases.h"
#include "test.h"

#include "core/err.h"
#include "store/sqlite.h"

#include <stdlib.h>
#include <unistd.h>

static char db_path[64];

static store_t *open_path(void)
{
    char err[256] = "";
    store_t *s = store_sqlite_open(db_path, err, sizeof err);
    if (!s) fprintf(stdout, "# open failed: %s\n", err);
    return s;
}

static store_t *open_temp(void)
{
    snprintf(db_path, sizeof db_path, "/tmp/cabled-test-%d.db", (int)getpid());
    unlink(db_path);
    return open_path();
}

static void remove_temp(void)
{
    char p[80];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
}

static const store_fixture_t sqlite_fixture = {open_temp, open_path, remove_temp};

TEST(store_sqlite_community_roundtrip)
{
    store_case_community_roundtrip(&sqlite_fixture);
}

TEST(store_sqlite_members_unique_and_paged)
{
    store_case_members_unique_and_paged(&sqlite_fixture);
}

TEST(store_sqlite_members_deactivate_and_delete)
{
    store_case_members_deactivate_and_delete(&sqlite_fixture);
}

TEST(store_sqlite_tokens_and_reopen)
{
    store_case_tokens_and_reopen(&sqlite_fixture);
}

TEST(store_sqlite_notifications)
{
    store_case_notifications(&sqlite_fixture);
}

TEST(store_sqlite_memory_and_bad_path)
{
    char err[256] = "";
    store_t *s = store_sqlite_open(":memory:", err, sizeof err);
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(s->ops->member_count(s, 1), 0);
    store_destroy(s);
    s = store_sqlite_open("/nonexistent-dir/x/y.db", err, sizeof err);
    ASSERT_NULL(s);
    ASSERT(strlen(err) > 0);
}
