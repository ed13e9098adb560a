/* ws/handshake: RFC 6455 §4.2 server handshake. See handshake.h. */
#include "ws/handshake.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void ws_handshake_accept_key(const char *key, size_t len, char out[29])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) || !EVP_DigestUpdate(ctx, key, len) ||
        !EVP_DigestUpdate(ctx, ws_guid, sizeof ws_guid - 1) ||
        !EVP_DigestFinal_ex(ctx, digest, &dlen)) {
        /* Only allocation failure gets here; nothing sensible to answer. */
        abort();
    }
    EVP_MD_CTX_free(ctx);
    EVP_EncodeBlock((unsigned char *)out, digest, (int)dlen);
}

static int header_is(const http_request_t *req, const char *name, const char *token)
{
    const http_header_t *h = http_request_header(req, name);
    return h && http_header_has_token(h->value, h->value_len, token);
}

/* A Sec-WebSocket-Key must decode to exactly 16 bytes (§4.1 item 7). */
static int key_valid(const char *k, size_t len)
{
    if (len != 24 || k[22] != '=' || k[23] != '=') return 0;
    for (size_t i = 0; i < 22; i++) {
        char c = k[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return 0;
    }
    return 1;
}

static const char *pick_protocol(const http_request_t *req, const char *const *supported)
{
    /* 'supported' is in our order of preference: the official client closes
     * for good unless it gets actioncable-v1-json, so that one wins whenever
     * it is offered, wherever it stands in the client's list. The header
     * may be repeated; offers are comma-separated. */
    for (size_t j = 0; supported[j]; j++) {
        size_t want = strlen(supported[j]);
        for (size_t i = 0; i < req->num_headers; i++) {
            const http_header_t *h = &req->headers[i];
            if (h->name_len != 22 || strncasecmp(h->name, "Sec-WebSocket-Protocol", 22) != 0)
                continue;
            const char *p = h->value, *end = h->value + h->value_len;
            while (p < end) {
                while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) p++;
                const char *s = p;
                while (p < end && *p != ',') p++;
                const char *e = p;
                while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
                if ((size_t)(e - s) == want && memcmp(s, supported[j], want) == 0)
                    return supported[j];
            }
        }
    }
    return NULL;
}

int ws_handshake_check(const http_request_t *req, const char *const *supported,
                       ws_handshake_t *hs)
{
    memset(hs, 0, sizeof *hs);
    if (req->method != HTTP_GET) return 400;
    if (req->http_major < 1 || (req->http_major == 1 && req->http_minor < 1)) return 400;
    if (!header_is(req, "Upgrade", "websocket")) return 400;
    if (!header_is(req, "Connection", "upgrade")) return 400;
    const http_header_t *key = http_request_header(req, "Sec-WebSocket-Key");
    if (!key || !key_valid(key->value, key->value_len)) return 400;
    const http_header_t *ver = http_request_header(req, "Sec-WebSocket-Version");
    if (!ver) return 400;
    if (ver->value_len != 2 || memcmp(ver->value, "13", 2) != 0) return 426;
    ws_handshake_accept_key(key->value, key->value_len, hs->accept);
    hs->protocol = supported ? pick_protocol(req, supported) : NULL;
    return 0;
}

void ws_handshake_negotiate_deflate(const http_request_t *req, ws_handshake_t *hs)
{
    /* The header may be repeated; its values form one list (RFC 6455
     * section 9.1), so they are joined with commas and read as one. */
    buf_t offers = BUF_INIT;
    for (size_t i = 0; i < req->num_headers; i++) {
        const http_header_t *h = &req->headers[i];
        if (h->name_len != 24 || strncasecmp(h->name, "Sec-WebSocket-Extensions", 24) != 0)
            continue;
        if (offers.len) buf_puts(&offers, ",");
        buf_append(&offers, h->value, h->value_len);
    }
    ws_deflate_negotiate(offers.len ? buf_head(&offers) : "", offers.len, &hs->deflate);
    buf_deinit(&offers);
}

void ws_handshake_append_response(buf_t *out, const ws_handshake_t *hs)
{
    buf_puts(out, "HTTP/1.1 101 Switching Protocols\r\n"
                  "Upgrade: websocket\r\n"
                  "Connection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: ");
    buf_append(out, hs->accept, 28);
    buf_puts(out, "\r\n");
    if (hs->protocol) {
        buf_puts(out, "Sec-WebSocket-Protocol: ");
        buf_puts(out, hs->protocol);
        buf_puts(out, "\r\n");
    }
    if (hs->deflate.enabled) ws_deflate_append_response(out, &hs->deflate);
    buf_puts(out, "\r\n");
}
