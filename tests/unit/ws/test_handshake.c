/* Unit tests for ws/handshake: RFC 6455 accept key, request validation,
 * subprotocol choice and the exact 101 bytes. */
#include "test.h"

#include "ws/handshake.h"

#include <http_parser.h>

TEST(ws_handshake_accept_key_rfc_example)
{
    /* RFC 6455 §1.3. */
    char out[29];
    ws_handshake_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out);
    ASSERT_STR_EQ(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static const char *const protos[] = {"actioncable-v1-json", "actioncable-unsupported", NULL};

static int check(const char *raw, ws_handshake_t *hs)
{
    http_req_parser_t p;
    const http_request_t *req = NULL;
    http_req_parser_init(&p, 16384, 1024);
    ssize_t n = http_req_parser_feed(&p, raw, strlen(raw), &req);
    int rc = n < 0 ? -1 : ws_handshake_check(req, protos, hs);
    http_req_parser_deinit(&p);
    return rc;
}

#define UPGRADE_HEAD                                                                      \
    "GET /cable HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"

TEST(ws_handshake_subprotocol_choice)
{
    ws_handshake_t hs;
    ASSERT_EQ(check(UPGRADE_HEAD "Sec-WebSocket-Version: 13\r\n\r\n", &hs), 0);
    ASSERT_NULL(hs.protocol);
    ASSERT_EQ(check(UPGRADE_HEAD "Sec-WebSocket-Version: 13\r\n"
                                 "Sec-WebSocket-Protocol: actioncable-v1-json, actioncable-unsupported\r\n\r\n",
                    &hs),
              0);
    ASSERT_STR_EQ(hs.protocol, "actioncable-v1-json");
    ASSERT_EQ(check(UPGRADE_HEAD "Sec-WebSocket-Version: 13\r\n"
                                 "Sec-WebSocket-Protocol: actioncable-unsupported,actioncable-v1-json\r\n\r\n",
                    &hs),
              0);
    /* Unlike websocket-driver, the preferred protocol wins over the client's order. */
    ASSERT_STR_EQ(hs.protocol, "actioncable-v1-json");
    ASSERT_EQ(check(UPGRADE_HEAD "Sec-WebSocket-Version: 13\r\n"
                                 "Sec-WebSocket-Protocol: actioncable-unsupported\r\n\r\n",
                    &hs),
              0);
    ASSERT_STR_EQ(hs.protocol, "actioncable-unsupported");
    ASSERT_EQ(check(UPGRADE_HEAD "Sec-WebSocket-Version: 13\r\n"
                                 "Sec-WebSocket-Protocol: actioncable-v1-ext-json\r\n"
                                 "Sec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n",
                    &hs),
              0);
    ASSERT_STR_EQ(hs.protocol, "actioncable-v1-json");
    ASSERT_EQ(check(UPGRADE_HEAD "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: foo\r\n\r\n",
                    &hs),
              0);
    ASSERT_NULL(hs.protocol);
}

TEST(ws_handshake_rejects_bad_requests)
{
    ws_handshake_t hs;
    ASSERT_EQ(check(UPGRADE_HEAD "Sec-WebSocket-Version: 8\r\n\r\n", &hs), 426);
    ASSERT_EQ(check(UPGRADE_HEAD "\r\n", &hs), 400);
    ASSERT_EQ(check("GET /cable HTTP/1.1\r\nHost: x\r\n\r\n", &hs), 400);
    ASSERT_EQ(check("GET /cable HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: short==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                    &hs),
              400);
    ASSERT_EQ(check("POST /cable HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    "Content-Length: 0\r\n\r\n",
                    &hs),
              400);
}

TEST(ws_handshake_response_bytes)
{
    ws_handshake_t hs = {.accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", .protocol = "actioncable-v1-json"};
    buf_t b = BUF_INIT;
    ws_handshake_append_response(&b, &hs);
    const char *want = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                       "Sec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n";
    ASSERT_EQ(b.len, strlen(want));
    ASSERT_MEM_EQ(buf_head(&b), want, b.len);
    buf_deinit(&b);
}
