/* auth/community: the community's keys and whitelist. See community.h. */
#include "auth/community.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void auth_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 0;
    if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL)) abort();
}

void auth_sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t d[32];
    auth_sha256(data, len, d);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int auth_app_token_ok(const auth_community_t *c, const char *token, size_t len)
{
    if (!c->has_app_token || len == 0) return 0;
    uint8_t d[32];
    auth_sha256(token, len, d);
    return CRYPTO_memcmp(d, c->app_token_sha256, 32) == 0;
}

void auth_community_deinit(auth_community_t *c)
{
    free(c->name);
    auth_origins_free(c->origins);
    OPENSSL_cleanse(c->secret, sizeof c->secret);
    memset(c, 0, sizeof *c);
}
