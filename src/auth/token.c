/* auth/token: HS256 access tokens on top of libjwt. See token.h.
 *
 * Verification runs in three gates, cheapest first:
 *
 *   1. shape   length <= AUTH_TOKEN_MAX_LEN, three base64url segments, the
 *              signature exactly as long as an HS256 MAC (43 characters);
 *   2. libjwt  jwt_decode checks the signature, then we insist the decoded
 *              algorithm is HS256 (libjwt 1.x also accepts "none" and other
 *              HMAC sizes under the same key on some paths);
 *   3. claims  each required claim present with the right JSON type, then
 *              exp against the caller's clock. libjwt 1.10's typed getters
 *              cannot tell a wrong type from a value (jwt_get_grant_int
 *              returns 0 for "5", 1.5 or true, with errno untouched), so the
 *              payload is taken back as JSON and read with jansson's own
 *              type tests.
 *
 * Only a token that passes gates 1 and 2 can ever yield ERR_EXPIRED, so that
 * answer never tells a forger anything about claims it could not sign. */
#include "auth/token.h"

#include "core/err.h"
#include "core/rand.h"

#include <jansson.h>
#include <jwt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* 32 bytes of HMAC-SHA256, base64url without padding (RFC 7515 section 2). */
#define HS256_SIG_B64_LEN 43
#define JTI_RAW_BYTES 16

static int is_b64url(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

/* Gate 1: "h.p.s" with non-empty base64url header and payload and an HS256-sized
 * signature. Rejecting here keeps NULs, padding, whitespace and the empty
 * signature of alg "none" away from libjwt's own decoders. */
static int token_shape_ok(const char *t, size_t len)
{
    size_t dots[2], ndots = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '.') {
            if (ndots == 2) return 0;
            dots[ndots++] = i;
        } else if (!is_b64url(c)) {
            return 0;
        }
    }
    if (ndots != 2) return 0;
    if (dots[0] == 0 || dots[1] == dots[0] + 1) return 0;
    return len - dots[1] - 1 == HS256_SIG_B64_LEN;
}

static int key_ok(const uint8_t *key, size_t key_len)
{
    return key != NULL && key_len > 0 && key_len <= INT_MAX;
}

/* A positive integer claim. */
static int claim_id(json_t *payload, const char *name, long long *out)
{
    json_t *v = json_object_get(payload, name);
    if (!json_is_integer(v) || json_integer_value(v) <= 0) return -1;
    *out = (long long)json_integer_value(v);
    return 0;
}

/* Gate 3 minus the clock: every claim present with its type. */
static int claims_read(jwt_t *jwt, auth_claims_t *c)
{
    char *text = jwt_get_grants_json(jwt, NULL);
    if (!text) return -1;
    json_t *payload = json_loads(text, 0, NULL);
    free(text);
    int rc = -1;
    if (!json_is_object(payload)) goto done;
    if (claim_id(payload, "community_id", &c->community_id) != 0) goto done;
    if (claim_id(payload, "community_member_id", &c->community_member_id) != 0) goto done;
    json_t *exp = json_object_get(payload, "exp");
    if (!json_is_integer(exp)) goto done;
    c->exp = (int64_t)json_integer_value(exp);
    /* The length comes from jansson, so a "\u0000" inside cannot shorten it. */
    json_t *jti = json_object_get(payload, "jti");
    if (!json_is_string(jti)) goto done;
    size_t jti_len = json_string_length(jti);
    if (jti_len == 0 || jti_len >= sizeof c->jti) goto done;
    if (memchr(json_string_value(jti), '\0', jti_len)) goto done;
    memcpy(c->jti, json_string_value(jti), jti_len + 1);
    rc = 0;
done:
    json_decref(payload);
    return rc;
}

/* ---- signing ------------------------------------------------------------ */

static void jti_generate(char out[64])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[JTI_RAW_BYTES];
    rand_bytes(raw, sizeof raw);
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * sizeof raw] = '\0';
}

char *auth_token_sign(const uint8_t *key, size_t key_len, auth_claims_t *claims)
{
    if (!key_ok(key, key_len) || !claims) return NULL;
    if (claims->community_id <= 0 || claims->community_member_id <= 0) return NULL;
#if LONG_MAX < INT64_MAX || LONG_MAX < LLONG_MAX
    /* libjwt takes claims as 'long'; on ILP32 a wider value would be cut. */
    if (claims->community_id > LONG_MAX || claims->community_member_id > LONG_MAX ||
        claims->exp > LONG_MAX || claims->exp < LONG_MIN)
        return NULL;
#endif
    if (claims->jti[0] == '\0') jti_generate(claims->jti);
    if (memchr(claims->jti, '\0', sizeof claims->jti) == NULL) return NULL;

    jwt_t *jwt = NULL;
    char *token = NULL;
    if (jwt_new(&jwt) != 0) return NULL;
    if (jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)key_len) != 0) goto done;
    if (jwt_add_grant_int(jwt, "community_id", (long)claims->community_id) != 0) goto done;
    if (jwt_add_grant_int(jwt, "community_member_id", (long)claims->community_member_id) != 0)
        goto done;
    if (jwt_add_grant_int(jwt, "exp", (long)claims->exp) != 0) goto done;
    if (jwt_add_grant(jwt, "jti", claims->jti) != 0) goto done;
    token = jwt_encode_str(jwt);
done:
    jwt_free(jwt);
    return token;
}

/* ---- verification ------------------------------------------------------- */

int auth_token_verify(const uint8_t *key, size_t key_len, const char *token, size_t token_len,
                      int64_t now, auth_claims_t *out)
{
    memset(out, 0, sizeof *out);
    if (!key_ok(key, key_len) || !token) return ERR_AUTH;
    if (token_len == 0 || token_len > AUTH_TOKEN_MAX_LEN) return ERR_AUTH;
    if (!token_shape_ok(token, token_len)) return ERR_AUTH;

    /* libjwt wants a C string; the shape check above ruled out inner NULs. */
    char text[AUTH_TOKEN_MAX_LEN + 1];
    memcpy(text, token, token_len);
    text[token_len] = '\0';

    jwt_t *jwt = NULL;
    auth_claims_t c;
    memset(&c, 0, sizeof c);
    int rc = ERR_AUTH;
    if (jwt_decode(&jwt, text, key, (int)key_len) != 0 || !jwt) goto done;
    if (jwt_get_alg(jwt) != JWT_ALG_HS256) goto done;
    if (claims_read(jwt, &c) != 0) goto done;

    *out = c;
    rc = c.exp <= now ? ERR_EXPIRED : 0;
done:
    jwt_free(jwt);
    /* The decoded token sat on the stack; a bearer credential should not
     * linger there after we return. */
    explicit_bzero(text, token_len);
    return rc;
}

/* ---- Authorization header ----------------------------------------------- */

int auth_bearer_parse(const char *value, size_t len, const char **tok, size_t *tok_len)
{
    static const char scheme[] = "bearer";
    const size_t slen = sizeof scheme - 1;
    if (!value || len <= slen) return 0;
    for (size_t i = 0; i < slen; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)scheme[i]) return 0;
    }
    /* RFC 6750 section 2.1: credentials = "Bearer" 1*SP b64token. */
    size_t start = slen;
    while (start < len && value[start] == ' ') start++;
    if (start == slen || start == len) return 0;
    for (size_t i = start; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c <= 0x20 || c == 0x7f) return 0;
    }
    *tok = value + start;
    *tok_len = len - start;
    return 1;
}
