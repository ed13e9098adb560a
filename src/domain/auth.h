/* domain/auth: the rules of Headless Auth: issuing a member's access and
 * refresh tokens, refreshing, and revoking either.
 *
 * Access tokens are HS256 JWTs (auth/token.h) that live --access-token-ttl
 * seconds; they are not stored, only their revocations are. Refresh tokens
 * are 32 random bytes (base64url, 43 characters) that live 30 days and are
 * stored only as their SHA-256. Revoking an access token is stored, then
 * announced on the control stream so every node refuses it and drops the
 * connections that use it.
 *
 * Blocking (store I/O): worker threads only. */
#ifndef DOMAIN_AUTH_H
#define DOMAIN_AUTH_H

#include "auth/community.h"
#include "hub/hub.h"
#include "store/store.h"

#include <stdint.h>

#define DOMAIN_REFRESH_TTL (30LL * 24 * 3600)

typedef struct domain_auth {
    store_t *store;
    hub_t *hub;
    const auth_community_t *community;
    int64_t access_ttl; /* seconds */
} domain_auth_t;

typedef struct domain_grant {
    char *access_token;        /* owned */
    char refresh_token[48];    /* "" when not issued */
    int64_t access_expires_at; /* unix seconds */
    int64_t refresh_expires_at;
    long long community_member_id;
    long long community_id;
} domain_grant_t;

/* Issue tokens for member 'member_id' (which must exist: the caller looked
 * it up). A refresh token is issued and stored when 'with_refresh'.
 * Returns 0 or ERR_STORE. */
int domain_auth_issue(const domain_auth_t *d, long long member_id, int with_refresh, int64_t now,
                      domain_grant_t *out);
/* A new access token from a refresh token. ERR_NOT_FOUND when the token is
 * unknown, of another community, or revoked; ERR_EXPIRED when it is past
 * its 30 days. */
int domain_auth_refresh(const domain_auth_t *d, const char *refresh_token, int64_t now,
                        domain_grant_t *out);
/* Revoke an access token of this community. ERR_AUTH when it is not one
 * (bad signature, other community, malformed), ERR_EXPIRED when it has
 * expired (useless already), ERR_CONFLICT when it was revoked before. */
int domain_auth_revoke_access(const domain_auth_t *d, const char *token, size_t len, int64_t now);
/* Revoke a refresh token. ERR_NOT_FOUND when unknown or already revoked,
 * ERR_EXPIRED when past its 30 days. */
int domain_auth_revoke_refresh(const domain_auth_t *d, const char *refresh_token, int64_t now);

void domain_grant_clear(domain_grant_t *g);

#endif
