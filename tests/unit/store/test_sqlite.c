/* Unit tests for store/sqlite: migrations, communities, members (unique
 * email and sso_user_id), refresh tokens, revoked access tokens, and a
 * reopen of the same file keeping everything. */
#include "test.h"

#include "core/err.h"
#include "store/sqlite.h"

#include <stdlib.h>
#include <unistd.h>

static char db_path[64];

static store_t *open_temp(void)
{
    snprintf(db_path, sizeof db_path, "/tmp/cabled-test-%d.db", (int)getpid());
    unlink(db_path);
    char err[256] = "";
    store_t *s = store_sqlite_open(db_path, err, sizeof err);
    if (!s) fprintf(stdout, "# open failed: %s\n", err);
    return s;
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

TEST(store_sqlite_community_roundtrip)
{
    store_t *s = open_temp();
    ASSERT_NOT_NULL(s);
    store_community_t c;
    ASSERT_EQ(s->ops->community_get(s, 1, &c), ERR_NOT_FOUND);
    store_community_t in = {.id = 1, .name = "Acme", .secret_len = 3, .origins_count = 2};
    memcpy(in.secret, "k\0y", 3);
    strcpy(in.app_token_sha256, "ab");
    in.origins[0] = "https://a.example";
    in.origins[1] = "https://b.example";
    ASSERT_EQ(s->ops->community_put(s, &in), 0);
    ASSERT_EQ(s->ops->community_get(s, 1, &c), 0);
    ASSERT_STR_EQ(c.name, "Acme");
    ASSERT_EQ(c.secret_len, 3);
    ASSERT_MEM_EQ(c.secret, "k\0y", 3);
    ASSERT_STR_EQ(c.app_token_sha256, "ab");
    ASSERT_EQ(c.origins_count, 2);
    ASSERT_STR_EQ(c.origins[1], "https://b.example");
    store_community_clear(&c);
    /* Replacing the whitelist drops the old entries. */
    in.origins_count = 1;
    in.origins[0] = "https://c.example";
    ASSERT_EQ(s->ops->community_put(s, &in), 0);
    ASSERT_EQ(s->ops->community_get(s, 1, &c), 0);
    ASSERT_EQ(c.origins_count, 1);
    ASSERT_STR_EQ(c.origins[0], "https://c.example");
    store_community_clear(&c);
    store_destroy(s);
    remove_temp();
}

static int add_member(store_t *s, const char *email, const char *sso, long long *id)
{
    store_member_t m = {.community_id = 1, .email = (char *)email, .name = (char *)"N",
                        .sso_user_id = (char *)sso};
    int rc = s->ops->member_create(s, &m);
    *id = m.id;
    return rc;
}

TEST(store_sqlite_members_unique_and_paged)
{
    store_t *s = open_temp();
    ASSERT_NOT_NULL(s);
    store_community_t in = {.id = 1, .name = "Acme", .secret_len = 1};
    ASSERT_EQ(s->ops->community_put(s, &in), 0);
    long long id1, id2, id;
    ASSERT_EQ(add_member(s, "a@x.io", "sso-1", &id1), 0);
    ASSERT_EQ(add_member(s, "b@x.io", NULL, &id2), 0);
    ASSERT(id2 > id1);
    ASSERT_EQ(add_member(s, "a@x.io", NULL, &id), ERR_CONFLICT);
    ASSERT_EQ(add_member(s, "c@x.io", "sso-1", &id), ERR_CONFLICT);
    /* Several members without an sso_user_id are fine. */
    ASSERT_EQ(add_member(s, "d@x.io", NULL, &id), 0);

    store_member_t m;
    ASSERT_EQ(s->ops->member_get(s, 1, id1, &m), 0);
    ASSERT_STR_EQ(m.email, "a@x.io");
    ASSERT_STR_EQ(m.sso_user_id, "sso-1");
    ASSERT_NULL(m.avatar_url);
    ASSERT(m.created_at > 0);
    store_member_clear(&m);
    ASSERT_EQ(s->ops->member_get(s, 2, id1, &m), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->member_find(s, 1, "sso_user_id", "sso-1", &m), 0);
    ASSERT_EQ(m.id, id1);
    store_member_clear(&m);
    ASSERT_EQ(s->ops->member_find(s, 1, "email", "zz@x.io", &m), ERR_NOT_FOUND);

    store_member_t *rows;
    size_t n;
    long long total;
    ASSERT_EQ(s->ops->member_list(s, 1, 1, 2, &rows, &n, &total), 0);
    ASSERT_EQ(total, 3);
    ASSERT_EQ(n, 2);
    ASSERT_EQ(rows[0].id, id2);
    store_members_free(rows, n);
    ASSERT_EQ(s->ops->member_count(s, 1), 3);
    store_destroy(s);
    remove_temp();
}

static int revoked_seen;
static void count_revoked(void *ud, const char *jti, int64_t exp)
{
    (void)ud, (void)exp;
    if (strcmp(jti, "live") == 0) revoked_seen++;
    if (strcmp(jti, "old") == 0) revoked_seen += 100;
}

TEST(store_sqlite_tokens_and_reopen)
{
    store_t *s = open_temp();
    ASSERT_NOT_NULL(s);
    uint8_t h[32] = {1, 2, 3};
    store_refresh_t r;
    ASSERT_EQ(s->ops->refresh_get(s, h, &r), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->refresh_create(s, h, 1, 7, 5000), 0);
    ASSERT_EQ(s->ops->refresh_get(s, h, &r), 0);
    ASSERT_EQ(r.member_id, 7);
    ASSERT_EQ(r.expires_at, 5000);
    ASSERT_EQ(r.revoked_at, 0);
    ASSERT_EQ(s->ops->refresh_revoke(s, h, 100), 0);
    ASSERT_EQ(s->ops->refresh_revoke(s, h, 101), ERR_NOT_FOUND);
    ASSERT_EQ(s->ops->access_revoke(s, "live", 1, 2000), 0);
    ASSERT_EQ(s->ops->access_revoke(s, "live", 1, 2000), ERR_CONFLICT);
    ASSERT_EQ(s->ops->access_revoke(s, "old", 1, 10), 0);
    store_destroy(s);

    /* Everything is on disk. */
    char err[256];
    s = store_sqlite_open(db_path, err, sizeof err);
    ASSERT_NOT_NULL(s);
    ASSERT_EQ(s->ops->refresh_get(s, h, &r), 0);
    ASSERT_EQ(r.revoked_at, 100);
    revoked_seen = 0;
    ASSERT_EQ(s->ops->access_revoked_each(s, 1000, count_revoked, NULL), 0);
    ASSERT_EQ(revoked_seen, 1);
    store_destroy(s);
    remove_temp();
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
