/* ws/reader: turns the byte stream from a WebSocket client into messages.
 * Pure: no I/O, no logging.
 *
 * The endpoint pushes whatever the socket delivered and then calls
 * ws_reader_next until it returns 0. Frames are parsed with ws/frame in the
 * input buffer itself:
 *
 *   - an unfragmented data frame or a control frame is unmasked in place and
 *     returned from there, so its payload is copied only once (socket to
 *     reader); the input is consumed on the next call, not before;
 *   - fragments of a data message are unmasked in place and appended to a
 *     second buffer, which is returned once the FIN fragment arrives. Control
 *     frames between fragments are returned as soon as they are complete.
 *
 * Limits are enforced from headers, before any payload is buffered: a
 * message whose fragments would add up to more than max_message fails with
 * 1009 when the offending length field arrives. Text is validated per
 * fragment with an incremental UTF-8 DFA, so a bad sequence fails at the
 * fragment that proves it, and completeness is checked at FIN (RFC 6455
 * section 8.1). Any error is final: the reader answers every later call with
 * the same error and drops further input.
 *
 * With permessage-deflate (ws_reader_set_deflate), a message whose first
 * frame has RSV1 is inflated as its fragments arrive, into the second
 * buffer: max_message then bounds both what arrives and what it inflates
 * to, and UTF-8 is checked on the inflated text. */
#ifndef WS_READER_H
#define WS_READER_H

#include "core/buf.h"
#include "core/utf8.h"
#include "ws/deflate.h"
#include "ws/frame.h"

#include <stddef.h>
#include <stdint.h>

/* One message or control frame. Plain data. */
typedef struct ws_message {
    int opcode;       /* WS_OP_TEXT, WS_OP_BINARY, WS_OP_CLOSE, WS_OP_PING, WS_OP_PONG */
    const char *data; /* unmasked payload, never NULL; valid until the next ws_reader_* call */
    size_t len;       /* bytes at 'data' */
} ws_message_t;

/* Incremental message reader. Transparent so it can be embedded in the
 * endpoint; members starting with '_' are private. */
typedef struct ws_reader {
    buf_t _in;            /* bytes from the peer not consumed yet */
    buf_t _msg;           /* payload of the fragmented message being assembled */
    utf8_state_t _utf8;   /* validation state of _msg when it is text */
    size_t _max_message;  /* limit on one message's payload, in bytes */
    size_t _consume;      /* bytes of _in to drop on the next call (frame returned in place) */
    int _require_mask;    /* refuse unmasked frames (a server reading a client) */
    int _frag_opcode;     /* WS_OP_TEXT or WS_OP_BINARY while assembling, else 0 */
    int _msg_done;        /* _msg was returned; reset it on the next call */
    int _error;           /* 0, or the error every call returns from now on */
    uint16_t _close_code; /* the close code that goes with _error */
    int _deflate;         /* permessage-deflate negotiated: RSV1 allowed */
    int _compressed;      /* the message being assembled is compressed */
    size_t _wire;         /* payload bytes of that message as they arrived */
    ws_inflate_t _inflate; /* with _deflate: the client's compression context */
} ws_reader_t;

/* Initialise 'r' for messages of at most 'max_message' payload bytes (the sum
 * of the fragments). 'require_mask' is 1 on the server side. Allocates
 * nothing until bytes are pushed. */
void ws_reader_init(ws_reader_t *r, size_t max_message, int require_mask);

/* Accept messages compressed with permessage-deflate (RSV1 on their first
 * frame), by a client using at most a 'window_bits' window and keeping its
 * context unless 'no_context_takeover'. Call before the first push. */
void ws_reader_set_deflate(ws_reader_t *r, int window_bits, int no_context_takeover);

/* Free the reader's buffers. 'r' can be initialised again afterwards. */
void ws_reader_deinit(ws_reader_t *r);

/* Copy 'len' bytes received from the peer (borrowed) into the reader.
 * Invalidates the message last returned. Ignored once the reader has failed. */
void ws_reader_push(ws_reader_t *r, const void *data, size_t len);

/* Return 1 and fill *out with the next complete message or control frame,
 * 0 when more bytes are needed, or a negative error with *close_code set to
 * the status the server must close with:
 *
 *   ERR_PROTO, 1002: a bad frame header (RSV bits: any without
 *     permessage-deflate, RSV1 on a control frame or a continuation, RSV2
 *     and RSV3 always; reserved opcode, 64-bit
 *     length with the top bit set), an unmasked frame when masking is
 *     required, a continuation with no message started, a TEXT or BINARY
 *     frame while a fragmented message is in progress, a control frame over
 *     125 bytes or fragmented;
 *   ERR_TOO_BIG, 1009: the message would exceed max_message; detected from
 *     the frame header, before its payload is buffered;
 *   ERR_UTF8, 1007: a TEXT message is not valid UTF-8; detected at the first
 *     fragment that proves it, or at FIN for a truncated sequence;
 *   ERR_DEFLATE, 1007: a compressed message is not a valid deflate stream;
 *   ERR_TOO_BIG, 1009, too, when a compressed message inflates past
 *     max_message, detected as soon as it does.
 *
 * Control frames may arrive between the fragments of a data message and are
 * returned at once. Close frames come back as WS_OP_CLOSE with the raw
 * payload; the caller checks it with ws_close_parse. out->data is valid until
 * the next ws_reader_* call. After an error every call returns the same error
 * and close code. */
int ws_reader_next(ws_reader_t *r, ws_message_t *out, uint16_t *close_code);

#endif
