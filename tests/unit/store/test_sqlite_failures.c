/* Unit tests for store/sqlite when the database fails under it: a full disk
 * (SQLite's max_page_count stands in for it) and the file removed or
 * replaced while open. No write is acknowledged that is not in the file,
 * and core/health carries the reason while it lasts. */
#include "test.h"

#include "core/err.h"
#include "core/health.h"
#include "store/sqlite.h"
#include "store/sqlite_internal.h"

#include <stdio.h>
#include <unistd.h>

static char path[64];

static store_t *open_fresh(void)
{
    snprintf(path, sizeof path, "/tmp/cabled-fail-%d.db", (int)getpid());
    unlink(path);
    char err[256] = "";
    store_t *s = store_sqlite_open(path, err, sizeof err);
    if (!s) {
        fprintf(stdout, "# open failed: %s\n", err);
        return NULL;
    }
    store_community_t c = {.id = 1, .name = "Acme", .secret = "k", .secret_len = 1};
    if (s->ops->community_put(s, &c) != 0) fprintf(stdout, "# community_put failed\n");
    return s;
}

static void remove_files(void)
{
    char p[80];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static int add_member(store_t *s, int i, size_t name_len)
{
    char email[64];
    snprintf(email, sizeof email, "m%d@example.com", i);
    char *name = malloc(name_len + 1);
    memset(name, 'n', name_len);
    name[name_len] = '\0';
    store_member_t m = {.community_id = 1, .email = email, .name = name};
    int rc = s->ops->member_create(s, &m);
    free(name);
    return rc;
}

TEST(store_sqlite_disk_full_is_refused_and_reported)
{
    store_t *s = open_fresh();
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add_member(s, 0, 10), 0);
    /* This thread's connection may not grow the file any more. */
    sqlite3 *db = NULL;
    ASSERT_NOT_NULL(sqlite__stmt((struct store_sqlite *)s, STMT_BEGIN, &db));
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA max_page_count = 1", NULL, NULL, NULL), SQLITE_OK);
    int rc = 0, i;
    for (i = 1; i < 200 && rc == 0; i++) rc = add_member(s, i, 3000);
    ASSERT_EQ(rc, ERR_STORE);
    ASSERT(health_is_set("disk"));
    ASSERT(!health_is_set("database"));
    buf_t b = BUF_INIT;
    ASSERT_EQ(health_append_json(&b), HEALTH_FAILING);
    buf_append(&b, "", 1);
    ASSERT_STR_EQ(buf_head(&b),
                  "{\"status\":\"unhealthy\",\"problems\":{\"disk\":\"the database disk is full\"}}");
    buf_deinit(&b);
    /* The refused member is not there; reads still work. */
    char email[64];
    snprintf(email, sizeof email, "m%d@example.com", i - 1);
    store_member_t m;
    ASSERT_EQ(s->ops->member_find(s, 1, "email", email, &m), ERR_NOT_FOUND);
    /* Room again: the next write goes through and clears the reason. */
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA max_page_count = 1000000", NULL, NULL, NULL), SQLITE_OK);
    ASSERT_EQ(add_member(s, 1000, 10), 0);
    ASSERT(health_ok());
    store_destroy(s);
    remove_files();
}

TEST(store_sqlite_file_removed_fails_every_call)
{
    store_t *s = open_fresh();
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add_member(s, 0, 10), 0);
    ASSERT(health_ok());
    remove_files();
    /* The write would land in a file nobody will read again. */
    ASSERT_EQ(add_member(s, 1, 10), ERR_STORE);
    ASSERT(health_is_set("database"));
    store_member_t m;
    ASSERT_EQ(s->ops->member_get(s, 1, 1, &m), ERR_STORE);
    ASSERT_EQ(add_member(s, 2, 10), ERR_STORE);
    store_destroy(s);
    health_set("database", HEALTH_OK, NULL);
    ASSERT(health_ok());

    /* Replaced by another file: the same. */
    s = open_fresh();
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(add_member(s, 0, 10), 0);
    char other[80];
    snprintf(other, sizeof other, "%s.other", path);
    FILE *f = fopen(other, "w");
    ASSERT_NOT_NULL(f);
    fclose(f);
    ASSERT_EQ(rename(other, path), 0);
    ASSERT_EQ(add_member(s, 1, 10), ERR_STORE);
    ASSERT(health_is_set("database"));
    store_destroy(s);
    health_set("database", HEALTH_OK, NULL);
    remove_files();
}
