/* domain/sgid: signed ids and expiring tokens under one HMAC-SHA256 key.
 * See sgid.h. */
#include "domain/sgid.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Hex characters of the MAC kept in an sgid (160 bits, as Rails' SHA1 digest). */
#define MAC_HEX 40

static void mac(const domain_sgid_key_t *k, const char *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), k->bytes, sizeof k->bytes, (const unsigned char *)data, len, out, &n);
}

static void hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void domain_sgid_key_init(domain_sgid_key_t *k, const uint8_t *secret, size_t secret_len)
{
    static const char label[] = "cabled signed ids";
    unsigned int n = sizeof k->bytes;
    HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)label, sizeof label - 1,
         k->bytes, &n);
}

static size_t b64url(const char *in, size_t len, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)(unsigned char)in[i + 1] << 8;
        if (i + 2 < len) v |= (unsigned char)in[i + 2];
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        if (i + 1 < len) out[o++] = t[(v >> 6) & 63];
        if (i + 2 < len) out[o++] = t[v & 63];
    }
    out[o] = '\0';
    return o;
}

void domain_sgid_make(const domain_sgid_key_t *k, const char *model, long long id,
                      char out[DOMAIN_SGID_MAX])
{
    char gid[64];
    int n = snprintf(gid, sizeof gid, "gid://cabled/%s/%lld", model, id);
    size_t o = b64url(gid, (size_t)n, out);
    uint8_t m[32];
    mac(k, out, o, m);
    out[o++] = '-';
    out[o++] = '-';
    char h[65];
    hex(m, sizeof m, h);
    memcpy(out + o, h, MAC_HEX);
    out[o + MAC_HEX] = '\0';
}

long long domain_sgid_verify(const domain_sgid_key_t *k, const char *model, const char *s,
                             size_t len)
{
    /* Ids are positive and below 2^63: try the one the sgid claims. */
    const char *sep = NULL;
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '-' && s[i + 1] == '-') sep = s + i;
    if (!sep || (size_t)(s + len - sep) != 2 + MAC_HEX || sep - s > 100) return 0;
    char head[128];
    memcpy(head, s, (size_t)(sep - s));
    head[sep - s] = '\0';
    /* Decode the base64url head to find the id, then make the sgid anew and compare. */
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char gid[100];
    size_t g = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (const char *p = head; *p; p++) {
        const char *at = strchr(t, *p);
        if (!at || !*p) return 0;
        acc = (acc << 6) | (uint32_t)(at - t);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (g + 1 >= sizeof gid) return 0;
            gid[g++] = (char)((acc >> bits) & 0xff);
        }
    }
    gid[g] = '\0';
    char prefix[64];
    int pn = snprintf(prefix, sizeof prefix, "gid://cabled/%s/", model);
    if (g <= (size_t)pn || memcmp(gid, prefix, (size_t)pn) != 0) return 0;
    long long id = 0;
    for (size_t i = (size_t)pn; i < g; i++) {
        if (gid[i] < '0' || gid[i] > '9' || id > (INT64_MAX - 9) / 10) return 0;
        id = id * 10 + (gid[i] - '0');
    }
    if (id <= 0) return 0;
    char want[DOMAIN_SGID_MAX];
    domain_sgid_make(k, model, id, want);
    if (strlen(want) != len || CRYPTO_memcmp(want, s, len) != 0) return 0;
    return id;
}

void domain_signed_token(const domain_sgid_key_t *k, const char *purpose, long long id,
                         int64_t expires_s, char out[DOMAIN_SGID_MAX])
{
    char data[128];
    int n = snprintf(data, sizeof data, "%s:%lld:%" PRId64, purpose, id, expires_s);
    uint8_t m[32];
    mac(k, data, (size_t)n, m);
    char h[65];
    hex(m, sizeof m, h);
    snprintf(out, DOMAIN_SGID_MAX, "%lld-%" PRId64 "-%.*s", id, expires_s, MAC_HEX, h);
}

long long domain_signed_token_verify(const domain_sgid_key_t *k, const char *purpose, const char *s,
                                     size_t len, int64_t now_s)
{
    char buf[DOMAIN_SGID_MAX];
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    long long id;
    int64_t exp;
    int used = 0;
    if (sscanf(buf, "%lld-%" SCNd64 "-%n", &id, &exp, &used) != 2 || used == 0 || id <= 0) return 0;
    char want[DOMAIN_SGID_MAX];
    domain_signed_token(k, purpose, id, exp, want);
    if (strlen(want) != len || CRYPTO_memcmp(want, buf, len) != 0) return 0;
    return exp >= now_s ? id : 0;
}

void domain_public_uid(long long member_id, char out[9])
{
    char data[48];
    int n = snprintf(data, sizeof data, "cabled public uid:%lld", member_id);
    uint8_t m[32];
    unsigned int len = sizeof m;
    EVP_Digest(data, (size_t)n, m, &len, EVP_sha256(), NULL);
    hex(m, 4, out);
}
