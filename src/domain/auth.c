/* domain/auth: issuing, refreshing and revoking member tokens. See auth.h. */
#include "domain/auth.h"

#include "auth/token.h"
#include "core/err.h"
#include "core/log.h"
#include "core/rand.h"
#include "hub/hub.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static void refresh_hash(const char *token, uint8_t out[32])
{
    auth_sha256(token, strlen(token), out);
}

static void new_refresh_token(char out[48])
{
    uint8_t raw[32];
    rand_bytes(raw, sizeof raw);
    char b64[48];
    int n = EVP_EncodeBlock((unsigned char *)b64, raw, sizeof raw);
    /* base64url without padding: safe in JSON, URLs and headers. */
    int o = 0;
    for (int i = 0; i < n && b64[i] != '='; i++)
        out[o++] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    out[o] = '\0';
}

static int sign_access(const domain_auth_t *d, long long member_id, int64_t now,
                       domain_grant_t *out)
{
    auth_claims_t claims = {
        .community_id = d->community->id,
        .community_member_id = member_id,
        .exp = now + d->access_ttl,
    };
    out->access_token = auth_token_sign(d->community->secret, d->community->secret_len, &claims);
    if (!out->access_token) return ERR_STORE;
    out->access_expires_at = claims.exp;
    out->community_member_id = member_id;
    out->community_id = d->community->id;
    return 0;
}

int domain_auth_issue(const domain_auth_t *d, long long member_id, int with_refresh, int64_t now,
                      domain_grant_t *out)
{
    memset(out, 0, sizeof *out);
    int rc = sign_access(d, member_id, now, out);
    if (rc || !with_refresh) return rc;
    new_refresh_token(out->refresh_token);
    out->refresh_expires_at = now + DOMAIN_REFRESH_TTL;
    uint8_t h[32];
    refresh_hash(out->refresh_token, h);
    rc = d->store->ops->refresh_create(d->store, h, d->community->id, member_id,
                                       out->refresh_expires_at);
    if (rc) domain_grant_clear(out);
    return rc;
}

int domain_auth_refresh(const domain_auth_t *d, const char *refresh_token, int64_t now,
                        domain_grant_t *out)
{
    memset(out, 0, sizeof *out);
    uint8_t h[32];
    refresh_hash(refresh_token, h);
    store_refresh_t r;
    int rc = d->store->ops->refresh_get(d->store, h, &r);
    if (rc) return rc;
    if (r.community_id != d->community->id || r.revoked_at) return ERR_NOT_FOUND;
    if (r.expires_at <= now) return ERR_EXPIRED;
    /* The member may have been removed since. */
    store_member_t m;
    rc = d->store->ops->member_get(d->store, d->community->id, r.member_id, &m);
    if (rc) return rc == ERR_NOT_FOUND ? ERR_NOT_FOUND : rc;
    int active = m.deactivated_at == 0;
    store_member_clear(&m);
    if (!active) return ERR_NOT_FOUND;
    return sign_access(d, r.member_id, now, out);
}

int domain_auth_revoke_access(const domain_auth_t *d, const char *token, size_t len, int64_t now)
{
    auth_claims_t claims;
    int rc =
        auth_token_verify(d->community->secret, d->community->secret_len, token, len, now, &claims);
    if (rc == ERR_EXPIRED) return ERR_EXPIRED; /* already useless */
    if (rc || claims.community_id != d->community->id) return ERR_AUTH;
    rc = d->store->ops->access_revoke(d->store, claims.jti, claims.community_id, claims.exp);
    if (rc) return rc; /* ERR_CONFLICT: revoked already */
    /* Committed: now every node hears of it. */
    if (hub_revoke_token(d->hub, claims.jti, claims.exp) != 0)
        log_error("auth revoke jti=%s not announced", claims.jti);
    log_info("auth revoked access token member=%lld", claims.community_member_id);
    return 0;
}

int domain_auth_revoke_refresh(const domain_auth_t *d, const char *refresh_token, int64_t now)
{
    uint8_t h[32];
    refresh_hash(refresh_token, h);
    store_refresh_t r;
    int rc = d->store->ops->refresh_get(d->store, h, &r);
    if (rc) return rc;
    if (r.community_id != d->community->id) return ERR_NOT_FOUND;
    if (r.revoked_at == 0 && r.expires_at <= now) return ERR_EXPIRED;
    return d->store->ops->refresh_revoke(d->store, h, now);
}

void domain_grant_clear(domain_grant_t *g)
{
    free(g->access_token);
    memset(g, 0, sizeof *g);
}
