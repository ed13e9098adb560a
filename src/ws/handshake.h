/* ws/handshake: the server side of the RFC 6455 opening handshake (§4.2).
 *
 * Validates the upgrade request, computes Sec-WebSocket-Accept (SHA-1 from
 * OpenSSL), picks the subprotocol, and builds the 101 response. Pure: no
 * sockets. Authentication and Origin policy are the caller's business. */
#ifndef WS_HANDSHAKE_H
#define WS_HANDSHAKE_H

#include "core/buf.h"
#include "http/parser.h"
#include "ws/deflate.h"

typedef struct ws_handshake {
    char accept[29];            /* base64 of a SHA-1: 28 characters + NUL */
    const char *protocol;       /* selected subprotocol (static string) or NULL */
    ws_deflate_params_t deflate; /* permessage-deflate as agreed; zero: not in use */
} ws_handshake_t;

/* Check that 'req' is a valid version-13 upgrade request (§4.2.1: GET,
 * HTTP/1.1+, Upgrade: websocket, Connection: upgrade, a 16-byte base64
 * Sec-WebSocket-Key, Sec-WebSocket-Version: 13) and fill *hs. Subprotocol:
 * the first entry of 'supported' (NULL-terminated, in our order of
 * preference) that the client offers, or none. Returns 0; 400 for a malformed request; 426 for a version
 * other than 13 (the caller answers with Sec-WebSocket-Version: 13). */
int ws_handshake_check(const http_request_t *req, const char *const *supported,
                       ws_handshake_t *hs);
/* After a successful ws_handshake_check: agree on permessage-deflate when
 * the request's Sec-WebSocket-Extensions (every such header, in order)
 * offers it acceptably (ws_deflate_negotiate), filling hs->deflate. Without
 * this call, or without an acceptable offer, no extension is used. */
void ws_handshake_negotiate_deflate(const http_request_t *req, ws_handshake_t *hs);
/* Compute the Sec-WebSocket-Accept value for 'key' into out (29 bytes). */
void ws_handshake_accept_key(const char *key, size_t len, char out[29]);
/* Append the 101 Switching Protocols response (with Sec-WebSocket-
 * Extensions when hs->deflate is in use). */
void ws_handshake_append_response(buf_t *out, const ws_handshake_t *hs);

#endif
