/* auth/token: member access tokens, HS256 JSON Web Tokens.
 *
 * An access token is header.payload.signature (RFC 7519), signed with
 * HMAC-SHA256 under the community secret. The payload carries exactly the
 * claims the server relies on:
 *
 *   {"community_id": 1, "community_member_id": 42, "exp": 1700000000,
 *    "jti": "9f0c...32 hex chars"}
 *
 * Signing goes through libjwt 1.x; verification, on every handshake, is one
 * pass of our own over OpenSSL's HMAC (token.c says why): the token's shape
 * is checked before anything is decoded, the MAC is compared in constant
 * time, the header must name HS256 and a key is always required. Claims are
 * read with their JSON types checked, and expiry is judged against a clock
 * the caller passes in, so tests need no sleeping.
 *
 * Nothing here logs, and tokens must stay out of logs elsewhere too. */
#ifndef AUTH_TOKEN_H
#define AUTH_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* Tokens longer than this are refused before any decoding. */
#define AUTH_TOKEN_MAX_LEN 4096

typedef struct auth_claims {
    long long community_id;        /* positive */
    long long community_member_id; /* positive */
    int64_t exp;                   /* expiry, unix seconds */
    char jti[64];                  /* unique token id: 32 hex chars from core/rand.h */
} auth_claims_t;

/* Sign 'claims' with HS256 under 'key' (borrowed, key_len > 0). If
 * claims->jti is empty, a fresh random jti (32 lowercase hex characters) is
 * written into it first. Returns an owned NUL-terminated token (free with
 * free()), or NULL when the key is empty, an id is not positive, the jti does
 * not fit, or libjwt fails. */
char *auth_token_sign(const uint8_t *key, size_t key_len, auth_claims_t *claims);

/* Verify 'token' (token_len bytes, borrowed, need not be NUL-terminated)
 * against 'key' (borrowed): the signature (HS256 only, compared in constant
 * time), then the required claims and
 * their types (community_id and community_member_id positive integers, exp
 * an integer, jti a string of 1..63 characters), then exp against 'now'
 * (unix seconds).
 * Returns:
 *   0            valid; *out is filled.
 *   ERR_AUTH     anything malformed, wrongly signed, over AUTH_TOKEN_MAX_LEN,
 *                or missing a claim; *out is zeroed.
 *   ERR_EXPIRED  authentic and well formed but exp <= now; *out is filled so
 *                the caller may name the member, and it sends "token_expired". */
int auth_token_verify(const uint8_t *key, size_t key_len, const char *token, size_t token_len,
                      int64_t now, auth_claims_t *out);

/* Extract the token from an Authorization header value (len bytes, borrowed):
 * "Bearer <token>", the scheme case-insensitive, one or more spaces (RFC 6750
 * section 2.1, 1*SP; a tab is not a space there), then a non-empty token
 * without spaces or control characters. Returns 1 and points
 * *tok / *tok_len into 'value' (valid as long as 'value' is), else 0.
 * Action Cable itself only reads this header; the `?token=` query parameter
 * that browsers use is handled by the caller. */
int auth_bearer_parse(const char *value, size_t len, const char **tok, size_t *tok_len);

#endif
