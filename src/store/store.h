/* store/store.h: what cabled keeps on disk, behind one interface.
 *
 * Rows are plain structs; strings in them are owned by the row and freed
 * with the row's _clear function. Every operation may block (it is disk
 * I/O) and is therefore called only from worker threads, never from an
 * event loop; operations are thread-safe. Adapters (store/sqlite.c, later
 * PostgreSQL) embed 'store_t' first and are created only by main.c.
 *
 * Return values: 0 on success; ERR_NOT_FOUND when the row does not exist;
 * ERR_CONFLICT when a unique field is taken; ERR_STORE when the database
 * failed (logged by the adapter). */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store_t;

#define STORE_SECRET_MAX 64
#define STORE_ORIGINS_MAX 32

typedef struct store_community {
    long long id;
    char *name;
    uint8_t secret[STORE_SECRET_MAX];  /* HS256 key of member access tokens */
    size_t secret_len;
    char app_token_sha256[65];         /* hex SHA-256 of the app token, "" when none */
    char *origins[STORE_ORIGINS_MAX];  /* whitelisted Origins */
    size_t origins_count;
} store_community_t;

typedef struct store_member {
    long long id;
    long long community_id;
    char *email;
    char *name;
    char *sso_user_id;                 /* NULL when none */
    char *avatar_url;                  /* NULL when none */
    int64_t created_at;                /* unix milliseconds */
    int64_t updated_at;
} store_member_t;

typedef struct store_refresh {
    long long community_id;
    long long member_id;
    int64_t expires_at;                /* unix seconds */
    int64_t revoked_at;                /* 0 when live */
} store_refresh_t;

struct store_ops {
    /* Communities. put inserts or replaces (id, name, secret, app token
     * hash and the whole Origin list) in one transaction. */
    int (*community_get)(store_t *s, long long id, store_community_t *out);
    int (*community_put)(store_t *s, const store_community_t *c);

    /* Members. create fills m->id, created_at, updated_at. find looks a
     * member up by "email" or "sso_user_id". list returns owned rows
     * (free with store_members_free) ordered by id, and the total count. */
    int (*member_create)(store_t *s, store_member_t *m);
    int (*member_get)(store_t *s, long long community_id, long long id, store_member_t *out);
    int (*member_find)(store_t *s, long long community_id, const char *field, const char *value,
                       store_member_t *out);
    int (*member_list)(store_t *s, long long community_id, long long offset, long long limit,
                       store_member_t **rows, size_t *count, long long *total);
    long long (*member_count)(store_t *s, long long community_id);

    /* Refresh tokens, kept only as the SHA-256 of the token. */
    int (*refresh_create)(store_t *s, const uint8_t hash[32], long long community_id,
                          long long member_id, int64_t expires_at);
    int (*refresh_get)(store_t *s, const uint8_t hash[32], store_refresh_t *out);
    /* ERR_NOT_FOUND when unknown or already revoked. */
    int (*refresh_revoke)(store_t *s, const uint8_t hash[32], int64_t now);

    /* Revoked access tokens, kept until they would have expired anyway.
     * ERR_CONFLICT when already revoked. */
    int (*access_revoke)(store_t *s, const char *jti, long long community_id, int64_t expires_at);
    /* Call 'cb' for every revoked token that has not expired by 'now'. */
    int (*access_revoked_each)(store_t *s, int64_t now,
                               void (*cb)(void *ud, const char *jti, int64_t expires_at),
                               void *ud);

    void (*destroy)(store_t *s);
};

struct store {
    const struct store_ops *ops;
    const char *name;                  /* "sqlite" */
};

void store_community_clear(store_community_t *c);
void store_member_clear(store_member_t *m);
void store_members_free(store_member_t *rows, size_t count);

static inline void store_destroy(store_t *s)
{
    if (s) s->ops->destroy(s);
}

#endif
