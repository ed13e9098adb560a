/* tests/unit/auth/test_token: HS256 access tokens and the Bearer header.
 *
 * Good tokens come from auth_token_sign, from libjwt directly (to produce
 * other algorithms) and from a hand-rolled encoder below (base64url plus
 * OpenSSL's HMAC), which lets a test sign any header and payload bytes it
 * likes: wrong claim types, alg "none", oversized tokens. One token was made
 * by node's crypto module to prove interoperability with a standard tool. */
#include "test.h"

#include "auth/token.h"
#include "core/err.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static const uint8_t KEY[] = "unit-test-secret-0123456789abcdef";
#define KEY_LEN (sizeof KEY - 1)
#define NOW ((int64_t)1700000000)

/* ---- helpers ------------------------------------------------------------ */

static void b64url_append(char *out, size_t *pos, const void *data, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = data;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[(*pos)++] = tbl[v >> 18];
        out[(*pos)++] = tbl[(v >> 12) & 63];
        out[(*pos)++] = tbl[(v >> 6) & 63];
        out[(*pos)++] = tbl[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        out[(*pos)++] = tbl[v >> 18];
        out[(*pos)++] = tbl[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        out[(*pos)++] = tbl[v >> 18];
        out[(*pos)++] = tbl[(v >> 12) & 63];
        out[(*pos)++] = tbl[(v >> 6) & 63];
    }
    out[*pos] = '\0';
}

/* Build header.payload.signature by hand. The signature is HMAC-SHA256 under
 * 'key' when 'key' is not NULL, else empty (what alg "none" carries). Returns
 * an owned string. */
static char *make_token(const char *header, const char *payload, const uint8_t *key, size_t key_len)
{
    size_t hl = strlen(header), pl = strlen(payload);
    char *out = malloc((hl + pl) * 4 / 3 + 128);
    size_t pos = 0;
    b64url_append(out, &pos, header, hl);
    out[pos++] = '.';
    b64url_append(out, &pos, payload, pl);
    if (key) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;
        HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)out, pos, mac, &mac_len);
        out[pos++] = '.';
        b64url_append(out, &pos, mac, mac_len);
    } else {
        out[pos++] = '.';
        out[pos] = '\0';
    }
    return out;
}

static const char HS256_HEADER[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* Verify a hand-signed HS256 token with 'payload' under KEY at NOW. */
static int verify_payload(const char *payload, auth_claims_t *out)
{
    char *t = make_token(HS256_HEADER, payload, KEY, KEY_LEN);
    int rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, out);
    free(t);
    return rc;
}

static auth_claims_t sample_claims(void)
{
    auth_claims_t c;
    memset(&c, 0, sizeof c);
    c.community_id = 3;
    c.community_member_id = 77;
    c.exp = NOW + 3600;
    return c;
}

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    }
    return 1;
}

/* ---- signing and verifying ---------------------------------------------- */

TEST(auth_token_roundtrip)
{
    auth_claims_t c = sample_claims();
    char *t = auth_token_sign(KEY, KEY_LEN, &c);
    ASSERT_NOT_NULL(t);
    auth_claims_t out;
    int rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(out.community_id, 3);
    ASSERT_EQ(out.community_member_id, 77);
    ASSERT_EQ(out.exp, NOW + 3600);
    ASSERT_STR_EQ(out.jti, c.jti);
}

TEST(auth_token_roundtrip_large_values)
{
    auth_claims_t c = sample_claims();
    c.community_id = 9007199254740993LL; /* beyond a double's exact range */
    c.community_member_id = 0x7fffffffffffffffLL;
    c.exp = 0x7ffffffffffffffeLL;
    /* A binary key with a NUL inside: the length, not strlen, must count. */
    static const uint8_t bin_key[] = {0x00, 0xff, 0x10, 0x00, 0x7f, 0x80};
    char *t = auth_token_sign(bin_key, sizeof bin_key, &c);
    ASSERT_NOT_NULL(t);
    auth_claims_t out;
    auth_claims_t dummy;
    int rc = auth_token_verify(bin_key, sizeof bin_key, t, strlen(t), NOW, &out);
    int rc_short = auth_token_verify(bin_key, 1, t, strlen(t), NOW, &dummy);
    free(t);
    ASSERT_EQ(rc_short, ERR_AUTH);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(out.community_id, 9007199254740993LL);
    ASSERT_EQ(out.community_member_id, 0x7fffffffffffffffLL);
    ASSERT_EQ(out.exp, 0x7ffffffffffffffeLL);
}

TEST(auth_token_jti_random)
{
    auth_claims_t a = sample_claims(), b = sample_claims();
    char *ta = auth_token_sign(KEY, KEY_LEN, &a);
    char *tb = auth_token_sign(KEY, KEY_LEN, &b);
    ASSERT_NOT_NULL(ta);
    ASSERT_NOT_NULL(tb);
    int same = strcmp(ta, tb) == 0;
    free(ta);
    free(tb);
    ASSERT_EQ(strlen(a.jti), 32);
    ASSERT_EQ(strlen(b.jti), 32);
    ASSERT(is_lower_hex(a.jti, 32));
    ASSERT(is_lower_hex(b.jti, 32));
    ASSERT(strcmp(a.jti, b.jti) != 0);
    ASSERT(!same);
}

TEST(auth_token_keeps_given_jti)
{
    auth_claims_t c = sample_claims();
    strcpy(c.jti, "my-own-id");
    char *t = auth_token_sign(KEY, KEY_LEN, &c);
    ASSERT_NOT_NULL(t);
    auth_claims_t out;
    int rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, 0);
    ASSERT_STR_EQ(out.jti, "my-own-id");
}

TEST(auth_token_sign_rejects_bad_input)
{
    auth_claims_t c = sample_claims();
    ASSERT_NULL(auth_token_sign(KEY, 0, &c));
    ASSERT_NULL(auth_token_sign(NULL, 4, &c));
    c.community_id = 0;
    ASSERT_NULL(auth_token_sign(KEY, KEY_LEN, &c));
    c = sample_claims();
    c.community_member_id = -5;
    ASSERT_NULL(auth_token_sign(KEY, KEY_LEN, &c));
    c = sample_claims();
    memset(c.jti, 'a', sizeof c.jti); /* no terminator */
    ASSERT_NULL(auth_token_sign(KEY, KEY_LEN, &c));
}

TEST(auth_token_wrong_key)
{
    auth_claims_t c = sample_claims();
    char *t = auth_token_sign(KEY, KEY_LEN, &c);
    ASSERT_NOT_NULL(t);
    static const uint8_t other[] = "unit-test-secret-0123456789abcdeX";
    auth_claims_t out;
    int rc = auth_token_verify(other, sizeof other - 1, t, strlen(t), NOW, &out);
    int rc_nokey = auth_token_verify(KEY, 0, t, strlen(t), NOW, &out);
    int rc_nullkey = auth_token_verify(NULL, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, ERR_AUTH);
    ASSERT_EQ(rc_nokey, ERR_AUTH);
    ASSERT_EQ(rc_nullkey, ERR_AUTH);
    ASSERT_EQ(out.community_member_id, 0);
}

TEST(auth_token_alg_none)
{
    const char *payload = "{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,"
                          "\"jti\":\"abc\"}";
    auth_claims_t out;
    /* The classic forgery: alg none and an empty signature. */
    char *t = make_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL, 0);
    ASSERT_EQ(t[strlen(t) - 1], '.');
    int rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, ERR_AUTH);
    /* alg none with a signature that does match under KEY still fails. */
    t = make_token("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, KEY, KEY_LEN);
    rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, ERR_AUTH);
    /* Header without alg at all. */
    t = make_token("{\"typ\":\"JWT\"}", payload, KEY, KEY_LEN);
    rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, ERR_AUTH);
}

TEST(auth_token_alg_hs512)
{
    jwt_t *jwt = NULL;
    ASSERT_EQ(jwt_new(&jwt), 0);
    ASSERT_EQ(jwt_set_alg(jwt, JWT_ALG_HS512, KEY, (int)KEY_LEN), 0);
    ASSERT_EQ(jwt_add_grant_int(jwt, "community_id", 1), 0);
    ASSERT_EQ(jwt_add_grant_int(jwt, "community_member_id", 2), 0);
    ASSERT_EQ(jwt_add_grant_int(jwt, "exp", NOW + 60), 0);
    ASSERT_EQ(jwt_add_grant(jwt, "jti", "abc"), 0);
    char *t = jwt_encode_str(jwt);
    jwt_free(jwt);
    ASSERT_NOT_NULL(t);
    auth_claims_t out;
    int rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, ERR_AUTH);
    /* An HS512 header over a 32-byte HS256 MAC: right size, wrong algorithm. */
    t = make_token("{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
                   "{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,"
                   "\"jti\":\"abc\"}",
                   KEY, KEY_LEN);
    rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, ERR_AUTH);
}

TEST(auth_token_tampered)
{
    auth_claims_t c = sample_claims();
    char *t = auth_token_sign(KEY, KEY_LEN, &c);
    ASSERT_NOT_NULL(t);
    size_t len = strlen(t);
    char *dot1 = strchr(t, '.'), *dot2 = strrchr(t, '.');
    auth_claims_t out;

    /* Swap in a payload naming another member, keep header and signature. */
    char payload[128];
    snprintf(payload, sizeof payload,
             "{\"community_id\":3,\"community_member_id\":1,\"exp\":%lld,\"jti\":\"%s\"}",
             (long long)c.exp, c.jti);
    char forged[512];
    size_t pos = (size_t)(dot1 - t) + 1;
    memcpy(forged, t, pos);
    b64url_append(forged, &pos, payload, strlen(payload));
    strcpy(forged + pos, dot2);
    int rc1 = auth_token_verify(KEY, KEY_LEN, forged, strlen(forged), NOW, &out);

    /* Flip one character of the payload and one of the signature. */
    char *copy = strdup(t);
    copy[(dot1 - t) + 3] ^= 1;
    int rc2 = auth_token_verify(KEY, KEY_LEN, copy, len, NOW, &out);
    strcpy(copy, t);
    copy[len - 5] = copy[len - 5] == 'A' ? 'B' : 'A';
    int rc3 = auth_token_verify(KEY, KEY_LEN, copy, len, NOW, &out);
    /* Drop the last signature character. */
    int rc4 = auth_token_verify(KEY, KEY_LEN, t, len - 1, NOW, &out);
    int rc_ok = auth_token_verify(KEY, KEY_LEN, t, len, NOW, &out);
    free(copy);
    free(t);
    ASSERT_EQ(rc1, ERR_AUTH);
    ASSERT_EQ(rc2, ERR_AUTH);
    ASSERT_EQ(rc3, ERR_AUTH);
    ASSERT_EQ(rc4, ERR_AUTH);
    ASSERT_EQ(rc_ok, 0);
}

TEST(auth_token_expired)
{
    auth_claims_t c = sample_claims();
    c.exp = NOW - 1;
    char *t = auth_token_sign(KEY, KEY_LEN, &c);
    ASSERT_NOT_NULL(t);
    auth_claims_t out;
    int rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, ERR_EXPIRED);
    /* The claims are authentic, so they are reported for the caller's log. */
    ASSERT_EQ(out.community_member_id, 77);
    ASSERT_STR_EQ(out.jti, c.jti);
}

TEST(auth_token_expired_at_now)
{
    auth_claims_t c = sample_claims();
    c.exp = NOW;
    char *t = auth_token_sign(KEY, KEY_LEN, &c);
    ASSERT_NOT_NULL(t);
    auth_claims_t out;
    int rc_now = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    int rc_before = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW - 1, &out);
    free(t);
    ASSERT_EQ(rc_now, ERR_EXPIRED);
    ASSERT_EQ(rc_before, 0);
}

TEST(auth_token_expired_but_forged)
{
    /* An expired token under the wrong key is unauthorized, not expired. */
    auth_claims_t c = sample_claims();
    c.exp = NOW - 100;
    static const uint8_t other[] = "other";
    char *t = auth_token_sign(other, 5, &c);
    ASSERT_NOT_NULL(t);
    auth_claims_t out;
    int rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, ERR_AUTH);
}

TEST(auth_token_missing_claims)
{
    auth_claims_t out;
    ASSERT_EQ(verify_payload("{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,"
                             "\"jti\":\"abc\"}",
                             &out),
              0);
    ASSERT_EQ(verify_payload("{\"community_member_id\":2,\"exp\":1800000000,\"jti\":\"abc\"}", &out),
              ERR_AUTH);
    ASSERT_EQ(verify_payload("{\"community_id\":1,\"exp\":1800000000,\"jti\":\"abc\"}", &out),
              ERR_AUTH);
    ASSERT_EQ(verify_payload("{\"community_id\":1,\"community_member_id\":2,\"jti\":\"abc\"}", &out),
              ERR_AUTH);
    ASSERT_EQ(verify_payload("{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000}",
                             &out),
              ERR_AUTH);
    ASSERT_EQ(verify_payload("{}", &out), ERR_AUTH);
}

TEST(auth_token_member_id_string)
{
    auth_claims_t out;
    ASSERT_EQ(verify_payload("{\"community_id\":1,\"community_member_id\":\"2\","
                             "\"exp\":1800000000,\"jti\":\"abc\"}",
                             &out),
              ERR_AUTH);
    /* The same through libjwt's own string grant. */
    jwt_t *jwt = NULL;
    ASSERT_EQ(jwt_new(&jwt), 0);
    ASSERT_EQ(jwt_set_alg(jwt, JWT_ALG_HS256, KEY, (int)KEY_LEN), 0);
    ASSERT_EQ(jwt_add_grant_int(jwt, "community_id", 1), 0);
    ASSERT_EQ(jwt_add_grant(jwt, "community_member_id", "2"), 0);
    ASSERT_EQ(jwt_add_grant_int(jwt, "exp", NOW + 60), 0);
    ASSERT_EQ(jwt_add_grant(jwt, "jti", "abc"), 0);
    char *t = jwt_encode_str(jwt);
    jwt_free(jwt);
    ASSERT_NOT_NULL(t);
    int rc = auth_token_verify(KEY, KEY_LEN, t, strlen(t), NOW, &out);
    free(t);
    ASSERT_EQ(rc, ERR_AUTH);
}

TEST(auth_token_bad_claim_types)
{
    static const char *const bad[] = {
        "{\"community_id\":\"1\",\"community_member_id\":2,\"exp\":1800000000,\"jti\":\"a\"}",
        "{\"community_id\":1.0,\"community_member_id\":2,\"exp\":1800000000,\"jti\":\"a\"}",
        "{\"community_id\":0,\"community_member_id\":2,\"exp\":1800000000,\"jti\":\"a\"}",
        "{\"community_id\":1,\"community_member_id\":-2,\"exp\":1800000000,\"jti\":\"a\"}",
        "{\"community_id\":1,\"community_member_id\":null,\"exp\":1800000000,\"jti\":\"a\"}",
        "{\"community_id\":1,\"community_member_id\":true,\"exp\":1800000000,\"jti\":\"a\"}",
        "{\"community_id\":1,\"community_member_id\":2,\"exp\":\"1800000000\",\"jti\":\"a\"}",
        "{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000.5,\"jti\":\"a\"}",
        "{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,\"jti\":5}",
        "{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,\"jti\":\"\"}",
        "{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,\"jti\":\"\\u0000\"}",
        "{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,\"jti\":\"a\\u0000b\"}",
        "{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,\"jti\":[\"a\"]}",
        /* 64 characters: one too many for auth_claims_t.jti. */
        "{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,\"jti\":"
        "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}",
        /* Beyond a 64-bit integer. */
        "{\"community_id\":1,\"community_member_id\":99999999999999999999,\"exp\":1800000000,"
        "\"jti\":\"a\"}",
        "[1,2,3]",
        "not json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        auth_claims_t out;
        int rc = verify_payload(bad[i], &out);
        if (rc != ERR_AUTH) TEST_FAIL_("payload %zu (%s): got %d", i, bad[i], rc);
    }
    /* 63 characters fit. */
    auth_claims_t out;
    ASSERT_EQ(verify_payload("{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,"
                             "\"jti\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\"}",
                             &out),
              0);
    ASSERT_EQ(strlen(out.jti), 63);
}

TEST(auth_token_garbage)
{
    auth_claims_t c = sample_claims();
    char *good = auth_token_sign(KEY, KEY_LEN, &c);
    ASSERT_NOT_NULL(good);
    size_t glen = strlen(good);
    char buf[8192];
    auth_claims_t out;

    static const char *const junk[] = {
        "", "garbage", ".", "..", "a.b.c", "a..", "..c", "a.b", "a.b.c.d",
        "eyJhbGciOiJIUzI1NiJ9.e30.", "%%%.%%%.%%%",
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        int rc = auth_token_verify(KEY, KEY_LEN, junk[i], strlen(junk[i]), NOW, &out);
        if (rc != ERR_AUTH) TEST_FAIL_("junk %zu (%s): got %d", i, junk[i], rc);
    }
    ASSERT_EQ(auth_token_verify(KEY, KEY_LEN, NULL, 10, NOW, &out), ERR_AUTH);

    /* 5000 bytes, both pure junk and a valid token padded with junk. */
    memset(buf, 'A', 5000);
    ASSERT_EQ(auth_token_verify(KEY, KEY_LEN, buf, 5000, NOW, &out), ERR_AUTH);
    memcpy(buf, good, glen);
    ASSERT_EQ(auth_token_verify(KEY, KEY_LEN, buf, 5000, NOW, &out), ERR_AUTH);

    /* A valid token with a NUL, a space, padding or a fourth part added. */
    memcpy(buf, good, glen);
    buf[glen] = '\0';
    ASSERT_EQ(auth_token_verify(KEY, KEY_LEN, buf, glen + 1, NOW, &out), ERR_AUTH);
    buf[glen] = ' ';
    ASSERT_EQ(auth_token_verify(KEY, KEY_LEN, buf, glen + 1, NOW, &out), ERR_AUTH);
    buf[glen] = '=';
    ASSERT_EQ(auth_token_verify(KEY, KEY_LEN, buf, glen + 1, NOW, &out), ERR_AUTH);
    buf[glen] = '.';
    buf[glen + 1] = 'x';
    ASSERT_EQ(auth_token_verify(KEY, KEY_LEN, buf, glen + 2, NOW, &out), ERR_AUTH);
    ASSERT_EQ(auth_token_verify(KEY, KEY_LEN, buf, glen, NOW, &out), 0);
    free(good);
}

TEST(auth_token_length_limit)
{
    /* Grow an unused claim until the token is exactly AUTH_TOKEN_MAX_LEN,
     * then one byte more. Both are properly signed. */
    char payload[4200], pad[3200];
    int found_max = 0, found_over = 0;
    for (size_t n = 2900; n < 3100 && !(found_max && found_over); n++) {
        memset(pad, 'x', n);
        pad[n] = '\0';
        snprintf(payload, sizeof payload,
                 "{\"community_id\":1,\"community_member_id\":2,\"exp\":1800000000,"
                 "\"jti\":\"a\",\"pad\":\"%.3199s\"}",
                 pad);
        char *t = make_token(HS256_HEADER, payload, KEY, KEY_LEN);
        size_t len = strlen(t);
        auth_claims_t out;
        if (len == AUTH_TOKEN_MAX_LEN) {
            found_max = 1;
            int rc = auth_token_verify(KEY, KEY_LEN, t, len, NOW, &out);
            if (rc != 0) {
                free(t);
                TEST_FAIL_("token of %zu bytes: got %d", len, rc);
            }
        } else if (len == AUTH_TOKEN_MAX_LEN + 1) {
            found_over = 1;
            int rc = auth_token_verify(KEY, KEY_LEN, t, len, NOW, &out);
            if (rc != ERR_AUTH) {
                free(t);
                TEST_FAIL_("token of %zu bytes: got %d", len, rc);
            }
        }
        free(t);
    }
    ASSERT(found_max);
    ASSERT(found_over);
}

TEST(auth_token_node_interop)
{
    /* Made with node 20:
     *   const c = require("crypto");
     *   const b = o => Buffer.from(JSON.stringify(o)).toString("base64url");
     *   const h = b({alg: "HS256", typ: "JWT"}), p = b({community_id: 7,
     *     community_member_id: 1234, exp: 4102444800,
     *     jti: "0123456789abcdef0123456789abcdef"});
     *   h + "." + p + "." + c.createHmac("sha256", "node-interop-secret")
     *     .update(h + "." + p).digest("base64url") */
    static const char token[] =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJjb21tdW5pdHlfaWQiOjcsImNvbW11bml0eV9tZW1iZXJfaWQiOjEyMzQsImV4cCI6NDEwMjQ0NDgwMCwianRp"
        "IjoiMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYifQ."
        "34F7yuG2oiJ1eYySmHeZzMoFO68kckkvWgsPw0eOQwU";
    static const uint8_t key[] = "node-interop-secret";
    auth_claims_t out;
    ASSERT_EQ(auth_token_verify(key, sizeof key - 1, token, sizeof token - 1, NOW, &out), 0);
    ASSERT_EQ(out.community_id, 7);
    ASSERT_EQ(out.community_member_id, 1234);
    ASSERT_EQ(out.exp, 4102444800LL);
    ASSERT_STR_EQ(out.jti, "0123456789abcdef0123456789abcdef");
    ASSERT_EQ(auth_token_verify(KEY, KEY_LEN, token, sizeof token - 1, NOW, &out), ERR_AUTH);
    ASSERT_EQ(auth_token_verify(key, sizeof key - 1, token, sizeof token - 1, 4102444800LL, &out),
              ERR_EXPIRED);
}

/* ---- Authorization header ----------------------------------------------- */

TEST(auth_bearer_parse_cases)
{
    const char *tok = NULL;
    size_t tok_len = 0;
#define PARSE(s) auth_bearer_parse((s), strlen(s), &tok, &tok_len)
    ASSERT_EQ(PARSE("Bearer x"), 1);
    ASSERT_EQ(tok_len, 1);
    ASSERT_EQ(tok[0], 'x');
    ASSERT_EQ(PARSE("bearer abc.def.ghi"), 1);
    ASSERT_EQ(tok_len, 11);
    ASSERT_MEM_EQ(tok, "abc.def.ghi", 11);
    ASSERT_EQ(PARSE("BEARER x"), 1);
    /* RFC 6750: one or more spaces after the scheme. */
    ASSERT_EQ(PARSE("Bearer  x"), 1);
    ASSERT_EQ(tok_len, 1);
    ASSERT_EQ(tok[0], 'x');
    ASSERT_EQ(PARSE("bearer    abc"), 1);
    ASSERT_EQ(tok_len, 3);
    ASSERT_MEM_EQ(tok, "abc", 3);
    tok = NULL;
    ASSERT_EQ(PARSE("Bearer"), 0);
    ASSERT_EQ(PARSE("Bearer "), 0);
    ASSERT_EQ(PARSE("Bearer   "), 0);
    ASSERT_EQ(PARSE("Bearer \tx"), 0);
    ASSERT_EQ(PARSE("Bearer x y"), 0);
    ASSERT_EQ(PARSE("Bearer x "), 0);
    ASSERT_EQ(PARSE("Bearer\tx"), 0);
    ASSERT_EQ(PARSE("Bearer x\t"), 0);
    ASSERT_EQ(PARSE("Basic x"), 0);
    ASSERT_EQ(PARSE("Bearerx"), 0);
    ASSERT_EQ(PARSE(" Bearer x"), 0);
    ASSERT_EQ(PARSE(""), 0);
    ASSERT_NULL(tok);
#undef PARSE
    ASSERT_EQ(auth_bearer_parse(NULL, 0, &tok, &tok_len), 0);
    /* The length bounds the value: bytes beyond it are not looked at. */
    ASSERT_EQ(auth_bearer_parse("Bearer xyz trailing", 10, &tok, &tok_len), 1);
    ASSERT_EQ(tok_len, 3);
    ASSERT_EQ(auth_bearer_parse("Bearer x\0y", 10, &tok, &tok_len), 0);
}
