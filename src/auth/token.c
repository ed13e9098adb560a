/* auth/token: HS256 access tokens. See token.h.
 *
 * Signing goes through libjwt. Verification, which every handshake and
 * every Member API call runs, does not: libjwt decodes the header and the
 * payload into jansson trees, and its typed getters cannot tell a wrong
 * type from a value (jwt_get_grant_int returns 0 for "5", 1.5 or true), so
 * the claims had to be serialized back to text and parsed a third time. Here
 * it is one pass, in three gates, cheapest first:
 *
 *   1. shape   length <= AUTH_TOKEN_MAX_LEN, three base64url segments, the
 *              signature exactly as long as an HS256 MAC (43 characters);
 *   2. MAC     HMAC-SHA256 (OpenSSL) of "header.payload" under the key,
 *              base64url-encoded and compared in constant time with the
 *              signature (RFC 7515 section 5.2); then the header must say
 *              exactly "alg":"HS256" (no "none", no other algorithm);
 *   3. claims  read in place from the decoded payload (core/json spans):
 *              community_id and community_member_id positive integers, exp
 *              an integer, jti a string of 1..63 characters; then exp
 *              against the caller's clock.
 *
 * Only a token that passes gates 1 and 2 can ever yield ERR_EXPIRED, so that
 * answer never tells a forger anything about claims it could not sign. */
#include "auth/token.h"

#include "core/err.h"
#include "core/json.h"
#include "core/rand.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

/* ---- base64url ---------------------------------------------------------- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* Decode unpadded base64url into 'out' (room for len * 3 / 4 bytes).
 * Returns the length, or -1 for a length that cannot be base64 or a
 * character that is not in the alphabet. */
static long b64url_decode(const char *in, size_t len, uint8_t *out)
{
    if (len % 4 == 1) return -1;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)n;
}

/* Encode 32 bytes as 43 characters of unpadded base64url. */
static void b64url_encode_mac(const uint8_t mac[32], char out[43])
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < 32; i++) {
        acc = (acc << 8) | mac[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[n++] = b64url[(acc >> bits) & 63];
        }
    }
    out[n++] = b64url[(acc << (6 - bits)) & 63];
}

/* ---- claims --------------------------------------------------------------- */

/* The integer claim 'name' of 'payload': an optional minus and 1..19
 * digits, in range. Returns 0 or -1 (absent, another type, a fraction or
 * exponent, out of range). */
static int claim_int(const char *payload, size_t len, const char *name, long long *out)
{
    json_span_t v;
    if (json_span_member(payload, len, name, &v) != 1 || json_span_kind(v) != 'n') return -1;
    size_t i = v.p[0] == '-' ? 1 : 0;
    if (v.len == i || v.len - i > 19) return -1;
    char digits[24];
    for (size_t k = i; k < v.len; k++)
        if (v.p[k] < '0' || v.p[k] > '9') return -1;
    memcpy(digits, v.p, v.len);
    digits[v.len] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(digits, &end, 10);
    if (errno || *end) return -1;
    *out = x;
    return 0;
}

/* Gate 3 minus the clock: every claim present with its type. */
static int claims_read(const char *payload, size_t len, auth_claims_t *c)
{
    if (claim_int(payload, len, "community_id", &c->community_id) != 0 || c->community_id <= 0)
        return -1;
    if (claim_int(payload, len, "community_member_id", &c->community_member_id) != 0 ||
        c->community_member_id <= 0)
        return -1;
    long long exp;
    if (claim_int(payload, len, "exp", &exp) != 0) return -1;
    c->exp = (int64_t)exp;
    json_span_t jti;
    if (json_span_member(payload, len, "jti", &jti) != 1 || json_span_kind(jti) != 's') return -1;
    /* The string as JSON decodes it (escapes included); its length comes
     * from jansson, so a "\u0000" inside cannot shorten it. */
    json_t *s = json_loadb(jti.p, jti.len, JSON_DECODE_ANY, NULL);
    size_t n = json_string_length(s);
    int rc = -1;
    if (json_is_string(s) && n > 0 && n < sizeof c->jti && !memchr(json_string_value(s), '\0', n)) {
        memcpy(c->jti, json_string_value(s), n + 1);
        rc = 0;
    }
    json_decref(s);
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
    const char *dot1 = memchr(token, '.', token_len);
    const char *dot2 = memchr(dot1 + 1, '.', token_len - (size_t)(dot1 + 1 - token));

    /* Gate 2: the MAC over "header.payload", then the header's algorithm. */
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)token,
              (size_t)(dot2 - token), mac, &mac_len) ||
        mac_len != 32)
        return ERR_AUTH;
    char expected[HS256_SIG_B64_LEN];
    b64url_encode_mac(mac, expected);
    if (CRYPTO_memcmp(expected, dot2 + 1, HS256_SIG_B64_LEN) != 0) return ERR_AUTH;

    uint8_t header[AUTH_TOKEN_MAX_LEN], payload[AUTH_TOKEN_MAX_LEN];
    long hlen = b64url_decode(token, (size_t)(dot1 - token), header);
    long plen = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload);
    json_span_t alg;
    auth_claims_t c;
    memset(&c, 0, sizeof c);
    int rc = ERR_AUTH;
    /* Exactly the string HS256, as every issuer writes it. */
    if (hlen < 0 || plen < 0 ||
        json_span_member((const char *)header, (size_t)hlen, "alg", &alg) != 1 ||
        alg.len != 7 || memcmp(alg.p, "\"HS256\"", 7) != 0)
        goto done;
    if (claims_read((const char *)payload, (size_t)plen, &c) != 0) goto done;
    *out = c;
    rc = c.exp <= now ? ERR_EXPIRED : 0;
done:
    /* The decoded claims sat on the stack; a credential's contents should
     * not linger there after we return. */
    explicit_bzero(payload, plen > 0 ? (size_t)plen : 0);
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
