/* ws/frame: the RFC 6455 frame codec. Pure: no I/O, no logging, and the
 * parser allocates nothing.
 *
 * Parsing reads one frame header from the caller's bytes and reports either
 * the whole frame's size, "need more bytes", or a protocol error; the payload
 * is left where it is (still masked) for the caller to unmask in place with
 * ws_frame_unmask. Encoding writes server frames (never masked, section 5.1)
 * and, for tests, fuzz seeds and the benchmark client, masked client frames.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-------+-+-------------+-------------------------------+
 *  |F|R|R|R| opcode|M| payload len |   extended payload length     |
 *  |I|S|S|S|  (4)  |A|     (7)     |          (16 or 64)           |
 *  |N|V|V|V|       |S|             |                               |
 *  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *  |   ...extended length (64)     | masking key (0 or 32 bits)    |
 *  +-------------------------------+-------------------------------+
 *
 * Why hand-written: fan-out must frame a message once and write the same
 * bytes to every subscriber (ws_frame_build returns a refcounted payload for
 * exactly that), and no Debian-packaged WebSocket library offers a pure codec
 * we can drive from our own libuv loop: wslay is not in Debian 12, and
 * libwebsockets owns the event loop. */
#ifndef WS_FRAME_H
#define WS_FRAME_H

#include "core/buf.h"
#include "core/payload.h"

#include <stddef.h>
#include <stdint.h>

/* Opcodes (section 5.2). Values 0x3-0x7 and 0xB-0xF are reserved. */
enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA
};

/* Close status codes (section 7.4.1). */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL_ERROR = 1002,
    WS_CLOSE_UNSUPPORTED = 1003,
    WS_CLOSE_NO_STATUS = 1005, /* never sent on the wire: "the peer gave no code" */
    WS_CLOSE_INVALID_DATA = 1007,
    WS_CLOSE_POLICY = 1008,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL = 1011
};

/* ws_frame_parse results besides a frame size (picohttpparser style). */
#define WS_FRAME_PARTIAL      (-2) /* need more bytes */
#define WS_FRAME_ERR_PROTOCOL (-3) /* the peer broke RFC 6455: close 1002 */
#define WS_FRAME_ERR_TOO_BIG  (-4) /* payload over the caller's limit: close 1009 */

#define WS_FRAME_MAX_HEADER  14  /* 2 + 8 (64-bit length) + 4 (mask) */
#define WS_FRAME_MAX_CONTROL 125 /* control frame payload limit (section 5.5) */

/* One parsed frame header. Plain data. */
typedef struct ws_frame {
    uint8_t fin, rsv, opcode, masked; /* rsv = the three RSV bits, 0..7 */
    uint8_t mask[4];                  /* masking key, zero when !masked */
    uint64_t payload_len;             /* bytes of payload */
    size_t header_len;                /* 2..14 */
    const uint8_t *payload;           /* points into the caller's buffer (still masked) */
} ws_frame_t;

/* ws_frame_parse flags. */
#define WS_FRAME_REQUIRE_MASK 1 /* refuse unmasked frames (a server reading a client) */
#define WS_FRAME_ALLOW_RSV1   2 /* permessage-deflate was negotiated (RFC 7692) */

/* Parse one frame from 'buf' (borrowed). Returns header_len + payload_len
 * (> 0) when the whole frame is in 'buf', with *out filled and out->payload
 * pointing into 'buf'. Returns WS_FRAME_PARTIAL when more bytes are needed;
 * if the header is already complete, *out then holds it with payload NULL,
 * otherwise out->header_len is 0. Returns WS_FRAME_ERR_PROTOCOL for reserved
 * RSV bits (RSV1 is allowed with WS_FRAME_ALLOW_RSV1, on a TEXT or BINARY
 * frame only: RFC 7692 section 6.1 forbids it on control frames and on
 * continuations), a reserved opcode, a control frame with FIN=0 or a
 * payload over 125 bytes, an unmasked frame with WS_FRAME_REQUIRE_MASK, or
 * a 64-bit length with its top bit set (non-minimal length encodings are
 * accepted). Returns WS_FRAME_ERR_TOO_BIG when payload_len > 'max_payload',
 * as soon as the length field is in 'buf' and before the payload arrives.
 * Errors are reported in that order, each as early as the bytes present
 * allow. 'flags' is 0 or an OR of WS_FRAME_* flags (1 alone, as older
 * callers pass it, is WS_FRAME_REQUIRE_MASK). */
int64_t ws_frame_parse(const void *buf, size_t len, int flags, uint64_t max_payload,
                       ws_frame_t *out);

/* XOR the 'len' bytes at 'data' in place with 'mask', the first byte using
 * mask[offset % 4]. Unmasking a payload in chunks gives the same result as in
 * one call when 'offset' is the number of payload bytes already unmasked.
 * Works a 64-bit word at a time; 'data' needs no alignment. */
void ws_frame_unmask(void *data, size_t len, const uint8_t mask[4], size_t offset);

/* Write an unmasked (server) frame header for a payload of 'len' bytes into
 * 'out', which must have room for 10 bytes. Returns the header length: 2
 * (len <= 125), 4 (len <= 65535) or 10. 'opcode' is a WS_OP_* value; 'fin' is
 * 0 or 1. */
size_t ws_frame_header_encode(uint8_t out[10], int opcode, int fin, uint64_t len);

/* Return owned (one reference, drop with payload_unref) a payload holding one
 * complete unmasked FIN frame: header followed by a copy of the 'len' bytes at
 * 'data' (borrowed). Frame a broadcast once and queue the same payload on
 * every subscriber. */
payload_t *ws_frame_build(int opcode, const void *data, size_t len);

/* Append an unmasked close frame to 'out': the code in network order followed
 * by 'reason' (borrowed, 'reason_len' bytes, expected to be UTF-8). Code 0
 * means an empty payload and ignores the reason. A reason longer than the 123
 * bytes a control frame leaves for it is cut at the last UTF-8 sequence
 * boundary that fits. */
void ws_frame_append_close(buf_t *out, uint16_t code, const char *reason, size_t reason_len);

/* Append one masked (client) frame to 'out': header with the MASK bit and key,
 * then the 'len' bytes at 'data' (borrowed) XORed with 'mask'. 'fin' is 0 or
 * 1. For tests, fuzz seeds and the benchmark client. */
void ws_frame_append_masked(buf_t *out, int opcode, int fin, const uint8_t mask[4],
                            const void *data, size_t len);

/* Validate an unmasked close frame payload (section 5.5.1, 7.4). Length 0
 * means no status: *code = 1005 and an empty reason. Otherwise the code must
 * be 1000-1003, 1007-1014 or 3000-4999 and the reason valid UTF-8. Returns 0
 * and fills *code, *reason (points into 'payload', borrowed) and *reason_len;
 * or ERR_PROTO (length 1 or a code not allowed on the wire) with *fail_code
 * = 1002, or ERR_UTF8 with *fail_code = 1007. Any out pointer may be NULL. */
int ws_close_parse(const void *payload, size_t len, uint16_t *code, const char **reason,
                   size_t *reason_len, uint16_t *fail_code);

#endif
