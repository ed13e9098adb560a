/* fuzz/fuzz_deflate_offer: the Sec-WebSocket-Extensions offers a client
 * sends, through ws_deflate_negotiate (ws/deflate) and, inside a whole
 * upgrade request, ws_handshake_negotiate_deflate.
 *
 * The input is the header's value, read in place (a copy of exactly its
 * length, so a read past the end is caught). Invariants: the answer is 0
 * (all zero) or 1 with window sizes in range (ours 9..15, the client's
 * 8..15, never more than asked); the response line we would send is one
 * CRLF-terminated header, and read back as an offer it is accepted with
 * the same agreement, so a client that echoes it gets what we promised. */
#include "core/buf.h"
#include "http/parser.h"
#include "ws/deflate.h"
#include "ws/handshake.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) __builtin_trap();                                                             \
    } while (0)

static void check_params(const ws_deflate_params_t *p, int accepted)
{
    if (!accepted) {
        ws_deflate_params_t zero;
        memset(&zero, 0, sizeof zero);
        CHECK(memcmp(p, &zero, sizeof zero) == 0);
        return;
    }
    CHECK(p->enabled == 1);
    CHECK(p->server_window_bits >= 9 && p->server_window_bits <= 15);
    CHECK(p->client_window_bits >= 8 && p->client_window_bits <= 15);
    CHECK(p->answer_server_window || p->server_window_bits == WS_DEFLATE_SERVER_WINDOW_BITS);
    CHECK(!p->answer_client_window || p->client_window_bits <= WS_DEFLATE_CLIENT_WINDOW_BITS);
    CHECK(p->answer_client_window || p->client_window_bits == 15);
    CHECK(p->client_no_context_takeover <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *offer = malloc(size ? size : 1);
    memcpy(offer, data, size);
    ws_deflate_params_t p;
    int accepted = ws_deflate_negotiate(offer, size, &p);
    CHECK(accepted == 0 || accepted == 1);
    check_params(&p, accepted);

    if (accepted) {
        buf_t line = BUF_INIT;
        ws_deflate_append_response(&line, &p);
        const char *s = buf_head(&line);
        static const char name[] = "Sec-WebSocket-Extensions: ";
        CHECK(line.len > sizeof name + 1 && memcmp(s, name, sizeof name - 1) == 0);
        CHECK(memcmp(s + line.len - 2, "\r\n", 2) == 0);
        CHECK(memchr(s, '\r', line.len - 2) == NULL && memchr(s, '\n', line.len - 2) == NULL);
        ws_deflate_params_t back;
        CHECK(ws_deflate_negotiate(s + sizeof name - 1, line.len - (sizeof name - 1) - 2, &back) ==
              1);
        CHECK(back.server_window_bits == p.server_window_bits);
        CHECK(back.client_no_context_takeover == p.client_no_context_takeover);
        CHECK(back.answer_client_window == p.answer_client_window);
        if (p.answer_client_window) CHECK(back.client_window_bits == p.client_window_bits);
        buf_deinit(&line);
    }

    /* The same value in an upgrade request, when it fits in a header. */
    if (!memchr(offer, '\r', size) && !memchr(offer, '\n', size) && size < 4096) {
        buf_t req = BUF_INIT;
        buf_puts(&req, "GET /cable HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ");
        buf_append(&req, offer, size);
        buf_puts(&req, "\r\n\r\n");
        http_req_parser_t hp;
        http_req_parser_init(&hp, 16384, 0);
        const http_request_t *r = NULL;
        if (http_req_parser_feed(&hp, buf_head(&req), req.len, &r) >= 0 && r) {
            ws_handshake_t hs;
            if (ws_handshake_check(r, NULL, &hs) == 0) {
                ws_handshake_negotiate_deflate(r, &hs);
                check_params(&hs.deflate, hs.deflate.enabled);
                buf_t out = BUF_INIT;
                ws_handshake_append_response(&out, &hs);
                CHECK(out.len > 4 && memcmp(buf_head(&out) + out.len - 4, "\r\n\r\n", 4) == 0);
                buf_deinit(&out);
            }
        }
        http_req_parser_deinit(&hp);
        buf_deinit(&req);
    }
    free(offer);
    return 0;
}
