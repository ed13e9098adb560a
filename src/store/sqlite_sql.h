/* store/sqlite_sql.h: every SQL text of the SQLite adapter in one place:
 * the migrations (the schema, version by version) and the statements, which
 * are prepared once per connection and reused. Included by store/sqlite*.c
 * only. */
#ifndef STORE_SQLITE_SQL_H
#define STORE_SQLITE_SQL_H

#define STMTS(X)                                                                                   \
    X(COMMUNITY_GET, "SELECT id, name, secret, app_token_sha256 FROM communities WHERE id = ?1")   \
    X(COMMUNITY_ORIGINS, "SELECT origin FROM community_origins WHERE community_id = ?1 "           \
                         "ORDER BY rowid")                                                         \
    X(COMMUNITY_UPSERT, "INSERT INTO communities (id, name, secret, app_token_sha256) "           \
                        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET name = ?2, "       \
                        "secret = ?3, app_token_sha256 = ?4")                                      \
    X(ORIGINS_DELETE, "DELETE FROM community_origins WHERE community_id = ?1")                    \
    X(ORIGIN_INSERT, "INSERT OR IGNORE INTO community_origins (community_id, origin) "            \
                     "VALUES (?1, ?2)")                                                            \
    X(MEMBER_INSERT, "INSERT INTO community_members (community_id, email, name, sso_user_id, "    \
                     "avatar_url, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)")    \
    X(MEMBER_GET, "SELECT id, community_id, email, name, sso_user_id, avatar_url, created_at, "   \
                  "updated_at FROM community_members WHERE community_id = ?1 AND id = ?2")         \
    X(MEMBER_BY_EMAIL, "SELECT id, community_id, email, name, sso_user_id, avatar_url, "          \
                       "created_at, updated_at FROM community_members "                           \
                       "WHERE community_id = ?1 AND email = ?2")                                   \
    X(MEMBER_BY_SSO, "SELECT id, community_id, email, name, sso_user_id, avatar_url, "            \
                     "created_at, updated_at FROM community_members "                             \
                     "WHERE community_id = ?1 AND sso_user_id = ?2")                               \
    X(MEMBER_LIST, "SELECT id, community_id, email, name, sso_user_id, avatar_url, created_at, "  \
                   "updated_at FROM community_members WHERE community_id = ?1 "                   \
                   "ORDER BY id LIMIT ?2 OFFSET ?3")                                               \
    X(MEMBER_COUNT, "SELECT count(*) FROM community_members WHERE community_id = ?1")             \
    X(REFRESH_INSERT, "INSERT INTO refresh_tokens (token_sha256, community_id, "                  \
                      "community_member_id, expires_at) VALUES (?1, ?2, ?3, ?4)")                  \
    X(REFRESH_GET, "SELECT community_id, community_member_id, expires_at, revoked_at "            \
                   "FROM refresh_tokens WHERE token_sha256 = ?1")                                  \
    X(REFRESH_REVOKE, "UPDATE refresh_tokens SET revoked_at = ?2 "                                 \
                      "WHERE token_sha256 = ?1 AND revoked_at = 0")                                \
    X(ACCESS_REVOKE, "INSERT INTO revoked_access_tokens (jti, community_id, expires_at) "         \
                     "VALUES (?1, ?2, ?3)")                                                        \
    X(ACCESS_REVOKED_LIST, "SELECT jti, expires_at FROM revoked_access_tokens "                   \
                           "WHERE expires_at > ?1")                                                \
    X(ACCESS_REVOKED_PRUNE, "DELETE FROM revoked_access_tokens WHERE expires_at <= ?1")            \
    X(BEGIN, "BEGIN IMMEDIATE")                                                                    \
    X(COMMIT, "COMMIT")                                                                            \
    X(ROLLBACK, "ROLLBACK")

enum stmt_id {
#define STMT_ENUM(name, sql) STMT_##name,
    STMTS(STMT_ENUM)
#undef STMT_ENUM
        STMT_COUNT
};

#endif
