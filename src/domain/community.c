/* domain/community: community setup at start and the demo members. See
 * community.h. */
#include "domain/community.h"

#include "auth/revoked.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int domain_community_setup(store_t *s, const domain_community_flags_t *f, auth_community_t *out,
                           char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    store_community_t c;
    int rc = s->ops->community_get(s, f->id, &c);
    int dirty = 0;
    if (rc == ERR_NOT_FOUND) {
        memset(&c, 0, sizeof c);
        c.id = f->id;
        c.name = xstrdup(f->name ? f->name : "cabled");
        /* The key is made once; tokens stay valid across restarts. */
        rand_bytes(c.secret, 32);
        c.secret_len = 32;
        dirty = 1;
        log_info("community id=%lld created", f->id);
    } else if (rc) {
        snprintf(err, err_cap, "cannot read community %lld: %s", f->id, err_str(rc));
        return rc;
    } else if (f->name && strcmp(f->name, c.name) != 0) {
        free(c.name);
        c.name = xstrdup(f->name);
        dirty = 1;
    }
    if (f->app_token) {
        char hex[65];
        auth_sha256_hex(f->app_token, strlen(f->app_token), hex);
        if (strcmp(hex, c.app_token_sha256) != 0) {
            memcpy(c.app_token_sha256, hex, sizeof hex);
            dirty = 1;
        }
    }
    if (f->origins_count) {
        for (size_t i = 0; i < c.origins_count; i++) free(c.origins[i]);
        c.origins_count = 0;
        for (size_t i = 0; i < f->origins_count && i < STORE_ORIGINS_MAX; i++)
            c.origins[c.origins_count++] = xstrdup(f->origins[i]);
        dirty = 1;
    }
    if (dirty && (rc = s->ops->community_put(s, &c)) != 0) {
        snprintf(err, err_cap, "cannot store community %lld: %s", f->id, err_str(rc));
        store_community_clear(&c);
        return rc;
    }

    out->id = c.id;
    out->name = xstrdup(c.name);
    if (f->secret && f->secret[0]) {
        size_t n = strlen(f->secret);
        if (n > sizeof out->secret) n = sizeof out->secret;
        memcpy(out->secret, f->secret, n);
        out->secret_len = n;
    } else {
        memcpy(out->secret, c.secret, c.secret_len);
        out->secret_len = c.secret_len;
    }
    if (c.app_token_sha256[0]) {
        for (int i = 0; i < 32; i++) {
            unsigned v;
            sscanf(c.app_token_sha256 + 2 * i, "%2x", &v);
            out->app_token_sha256[i] = (uint8_t)v;
        }
        out->has_app_token = 1;
    }
    out->origins = auth_origins_new();
    for (size_t i = 0; i < c.origins_count; i++) {
        if (auth_origins_add(out->origins, c.origins[i]) != 0) {
            snprintf(err, err_cap, "allowed origin \"%s\" is not scheme://host[:port]",
                     c.origins[i]);
            store_community_clear(&c);
            auth_community_deinit(out);
            return ERR_INVAL;
        }
    }
    store_community_clear(&c);
    return 0;
}

int domain_community_secret(store_t *s, long long id, uint8_t *secret, size_t *len)
{
    store_community_t c;
    int rc = s->ops->community_get(s, id, &c);
    if (rc) return rc;
    memcpy(secret, c.secret, c.secret_len);
    *len = c.secret_len;
    store_community_clear(&c);
    return 0;
}

static void add_revoked(void *ud, const char *jti, int64_t expires_at)
{
    (void)ud;
    auth_revoked_add(jti, expires_at, clock_unix_s());
}

int domain_community_load_revoked(store_t *s)
{
    return s->ops->access_revoked_each(s, clock_unix_s(), add_revoked, NULL);
}

int domain_demo_members(store_t *s, long long community_id, long long ids[3])
{
    static const struct {
        const char *name, *email;
    } demo[3] = {
        {"Ada Lovelace", "ada@example.com"},
        {"Grace Hopper", "grace@example.com"},
        {"Alan Turing", "alan@example.com"},
    };
    long long n = s->ops->member_count(s, community_id);
    if (n < 0) return ERR_STORE;
    if (n == 0) {
        for (int i = 0; i < 3; i++) {
            store_member_t m = {.community_id = community_id,
                                .name = xstrdup(demo[i].name),
                                .email = xstrdup(demo[i].email)};
            int rc = s->ops->member_create(s, &m);
            store_member_clear(&m);
            if (rc) return rc;
        }
        log_info("community id=%lld demo members created", community_id);
    }
    store_member_t *rows;
    size_t count;
    long long total;
    int rc = s->ops->member_list(s, community_id, 0, 3, &rows, &count, &total);
    if (rc) return rc;
    for (size_t i = 0; i < count; i++) ids[i] = rows[i].id;
    store_members_free(rows, count);
    return (int)count;
}
