/* domain/sgid: signed ids, as Circle's rich text carries them.
 *
 * A mention in a TipTap document names a member by a signed global id
 * (Rails' SignedGlobalID): an opaque string that only the server could have
 * made. cabled issues one per member and per upload:
 *
 *   base64url("gid://cabled/<Model>/<id>") "--" hex(HMAC-SHA256(key, that base64))
 *
 * under a key derived from the community secret, so every node agrees and
 * nothing is stored. The same key signs the expiring tokens of upload URLs
 * (domain_signed_token). Pure functions; nothing here allocates or logs. */
#ifndef DOMAIN_SGID_H
#define DOMAIN_SGID_H

#include <stddef.h>
#include <stdint.h>

/* Room for any sgid or token made here, NUL included. */
#define DOMAIN_SGID_MAX 160

/* The signing key of 'secret' (the community's HS256 key, borrowed). */
typedef struct domain_sgid_key {
    uint8_t bytes[32];
} domain_sgid_key_t;

void domain_sgid_key_init(domain_sgid_key_t *k, const uint8_t *secret, size_t secret_len);

/* The sgid of 'id' of 'model' ("CommunityMember", "Upload") into 'out'. */
void domain_sgid_make(const domain_sgid_key_t *k, const char *model, long long id,
                      char out[DOMAIN_SGID_MAX]);
/* The id an sgid of 'model' names, or 0 when 's' ('len' bytes, borrowed)
 * is not one this key signed. */
long long domain_sgid_verify(const domain_sgid_key_t *k, const char *model, const char *s,
                             size_t len);

/* A token for 'id' of 'purpose' that is valid until 'expires_s' (unix
 * seconds): "<id>-<expires>-<hex mac>". */
void domain_signed_token(const domain_sgid_key_t *k, const char *purpose, long long id,
                         int64_t expires_s, char out[DOMAIN_SGID_MAX]);
/* The id of a token of 'purpose', or 0 when it is not one this key made or
 * it expired before 'now_s'. */
long long domain_signed_token_verify(const domain_sgid_key_t *k, const char *purpose, const char *s,
                                     size_t len, int64_t now_s);

/* A member's public uid, as Circle shows one: 8 lowercase hex characters,
 * the same on every node and whatever the key (a hash of the id, not a
 * secret). */
void domain_public_uid(long long member_id, char out[9]);

#endif
