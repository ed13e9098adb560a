/* auth/community: what the server knows about its community at run time:
 * the key that signs member tokens, the app token (as a SHA-256) and the
 * Origin whitelist. Built once at start from the store and the flags, then
 * read by every thread without locks. */
#ifndef AUTH_COMMUNITY_H
#define AUTH_COMMUNITY_H

#include "auth/origin.h"

#include <stddef.h>
#include <stdint.h>

typedef struct auth_community {
    long long id;
    char *name;
    uint8_t secret[64];
    size_t secret_len;
    uint8_t app_token_sha256[32];
    int has_app_token;
    auth_origins_t *origins;
} auth_community_t;

/* SHA-256 of 'len' bytes as 64 lowercase hex characters and a NUL. */
void auth_sha256_hex(const void *data, size_t len, char out[65]);
void auth_sha256(const void *data, size_t len, uint8_t out[32]);
/* 1 when 'token' is the community's app token (constant-time compare). */
int auth_app_token_ok(const auth_community_t *c, const char *token, size_t len);
/* Free what the community owns (not the struct itself). */
void auth_community_deinit(auth_community_t *c);

#endif
