/* ws/endpoint: a WebSocket connection on top of a net_conn.
 *
 * It owns the frame reader and turns the peer's bytes into text messages
 * for its handler, answers pings, runs the close handshake, and frames
 * what the handler sends. Errors are answered here with exactly one close
 * frame (RFC 6455 §7.4.1): 1002 protocol error, 1003 binary data, 1007
 * invalid UTF-8 or compressed data, 1009 message too big (also once
 * inflated). After a close frame for an error,
 * the endpoint stops acting on input but keeps reading and discarding it
 * until the peer closes or the linger time passes (§7.1.1), so the frame is
 * not lost to a TCP reset.
 *
 *   net_conn --bytes--> ws_reader --messages--> handler.on_text
 *   handler --ws_endpoint_send_*--> net_conn output queue (shared frames)
 */
#ifndef WS_ENDPOINT_H
#define WS_ENDPOINT_H

#include "core/payload.h"
#include "net/conn.h"
#include "ws/deflate.h"

#include <stdint.h>

typedef struct ws_endpoint ws_endpoint_t;

typedef struct ws_endpoint_handler {
    /* One complete, UTF-8-valid text message. 'data' is valid during the
     * call. The handler may close the endpoint from here. */
    void (*on_text)(ws_endpoint_t *ep, const char *data, size_t len);
    /* The connection is gone; the endpoint is freed after this returns. */
    void (*on_close)(ws_endpoint_t *ep);
} ws_endpoint_handler_t;

typedef struct ws_endpoint_config {
    size_t max_message;      /* bytes; larger messages close with 1009 (inflated, too) */
    unsigned linger_ms;      /* how long to wait for the peer after our close frame */
    size_t deflate_min_bytes; /* with permessage-deflate: shorter messages go uncompressed */
} ws_endpoint_config_t;

/* Take over 'conn' (already upgraded: the 101 is queued or sent). Returns
 * owned; freed by the close path after handler->on_close. Input already in
 * conn->in is not looked at until ws_endpoint_start. */
ws_endpoint_t *ws_endpoint_new(net_conn_t *conn, const ws_endpoint_config_t *cfg,
                               const ws_endpoint_handler_t *h, void *data);
/* permessage-deflate was agreed as 'p' says (borrowed; copied): accept
 * compressed messages, and compress text of deflate_min_bytes or more that
 * goes through ws_endpoint_send_text. Call before ws_endpoint_start. */
void ws_endpoint_set_deflate(ws_endpoint_t *ep, const ws_deflate_params_t *p);
/* The window the client agreed to read our compressed frames with (9..15),
 * or 0 without permessage-deflate: frames compressed with the same window
 * (ws_deflate_frame) may be queued with ws_endpoint_send_frame. */
int ws_endpoint_deflate_bits(const ws_endpoint_t *ep);
/* Process input that arrived with the handshake, and everything after. */
void ws_endpoint_start(ws_endpoint_t *ep);
/* Stop handing messages to the handler, and stop reading the socket, until
 * ws_endpoint_resume: the handler needs time to answer one (its later
 * messages must wait, in order). What was already read waits in the frame
 * reader, so at most one read's worth of bytes is held. Calls may come
 * from inside on_text. */
void ws_endpoint_pause(ws_endpoint_t *ep);
/* Hand the waiting messages to the handler (now, unless called from inside
 * on_text, where they follow once it returns) and read the socket again. */
void ws_endpoint_resume(ws_endpoint_t *ep);
/* The handler's state, as given to ws_endpoint_new. */
void *ws_endpoint_data(const ws_endpoint_t *ep);
net_conn_t *ws_endpoint_conn(const ws_endpoint_t *ep);

/* Frame 'len' bytes of text (compressed, with permessage-deflate, from
 * deflate_min_bytes on) and queue them. 'force' ignores the output cap
 * (for protocol messages that must reach even a slow client). Returns 0,
 * ERR_LIMIT (over the cap, nothing queued) or ERR_CLOSED. */
int ws_endpoint_send_text(ws_endpoint_t *ep, const char *data, size_t len, int force);
/* Queue a reference to an already framed message (see ws_frame_build): the
 * fan-out path, where one frame is shared by every subscriber. Returns as
 * ws_endpoint_send_text without force. */
int ws_endpoint_send_frame(ws_endpoint_t *ep, payload_t *frame);
/* Send a close frame with 'code' (0: empty payload) and reason, then close
 * the connection once it is written and the peer answered or the linger
 * time passed. Further sends fail with ERR_CLOSED. */
void ws_endpoint_close(ws_endpoint_t *ep, uint16_t code, const char *reason);
/* Drop the connection now, without a close frame. */
void ws_endpoint_abort(ws_endpoint_t *ep);
/* The code of the close handshake's first frame, ours or the peer's
 * (*by_peer, when non-NULL, says whose), or 0 when no close frame was sent
 * or received (the connection was dropped). */
uint16_t ws_endpoint_close_code(const ws_endpoint_t *ep, int *by_peer);
/* 1 once the endpoint is closing. */
int ws_endpoint_is_closing(const ws_endpoint_t *ep);

#endif
