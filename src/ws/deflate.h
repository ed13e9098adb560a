/* ws/deflate: permessage-deflate (RFC 7692) with zlib: the extension
 * negotiation, compressing a message into one frame, and inflating a
 * client's compressed messages.
 *
 *   Sec-WebSocket-Extensions offer ──ws_deflate_negotiate──► ws_deflate_params_t
 *                                                               │ (the 101 answers it)
 *   text ──ws_deflate_frame──► one RSV1 frame, the same bytes for every subscriber
 *   RSV1 message ──ws_inflate_feed (per connection)──► text, at most max_out bytes
 *
 * The server always answers server_no_context_takeover: each message it
 * sends is compressed from an empty window, so a broadcast compressed once
 * is valid on every connection that negotiated the same window size, and a
 * loop needs one compressor per window size, not one per connection. The
 * compressors are the calling thread's (reset before each message); free
 * them with ws_deflate_thread_free before the thread ends.
 *
 * Inflating keeps the client's context across messages unless the client
 * declared client_no_context_takeover. The zlib state is allocated on the
 * first compressed message and, without context takeover, given back
 * between messages (ws_inflate_idle). When the client allows it
 * (client_max_window_bits in its offer), the server asks for a window of
 * WS_DEFLATE_CLIENT_WINDOW_BITS, which bounds the state a connection may
 * make the server keep (docs/decisions.md has the measured bytes).
 *
 * The parser is pure; the codec functions allocate through zlib only. */
#ifndef WS_DEFLATE_H
#define WS_DEFLATE_H

#include "core/buf.h"
#include "core/payload.h"

#include <stddef.h>
#include <stdint.h>

/* The window the server compresses with unless the client asks for less. */
#define WS_DEFLATE_SERVER_WINDOW_BITS 15
/* The window the server asks the client to compress with, when the client
 * offered client_max_window_bits: 2^10 = 1 KiB covers a command and the one
 * before it, and keeps a connection's inflate state near 8 KiB. */
#define WS_DEFLATE_CLIENT_WINDOW_BITS 10
/* Messages shorter than this are sent uncompressed (RSV1 clear) by default
 * (--deflate-min-bytes): below it the saving is a few bytes at best. */
#define WS_DEFLATE_MIN_BYTES 256

/* What was agreed with one client. Plain data; all zero when permessage-
 * deflate is not in use. */
typedef struct ws_deflate_params {
    uint8_t enabled;                    /* negotiated */
    uint8_t client_no_context_takeover; /* the client resets its context per message */
    uint8_t server_window_bits;         /* 9..15: we compress with this window */
    uint8_t client_window_bits;         /* 8..15: the client compresses with at most this */
    uint8_t answer_server_window;       /* the response carries server_max_window_bits */
    uint8_t answer_client_window;       /* the response carries client_max_window_bits */
} ws_deflate_params_t;

/* ---- negotiation (pure) --------------------------------------------------------------------- */

/* Choose from the Sec-WebSocket-Extensions offers in 'offers' (borrowed,
 * 'len' bytes: the header's values joined by commas) the first
 * permessage-deflate offer we can accept, RFC 7692 sections 5 and 7.1:
 *
 *   - parameters: server_no_context_takeover, client_no_context_takeover
 *     (no value), server_max_window_bits (a value 8..15, required),
 *     client_max_window_bits (a value 8..15, or none); a value may be a
 *     token or a quoted string, written without leading zeros;
 *   - an offer with an unknown parameter, a parameter twice, a value where
 *     none belongs or an invalid value is declined, and so is one that
 *     asks for server_max_window_bits=8 (zlib cannot compress raw deflate
 *     with a 256-byte window); the next offer is then looked at;
 *   - a list element that does not parse is skipped; other extensions are
 *     ignored.
 *
 * Returns 1 and fills *out when an offer is accepted, 0 (and *out zeroed)
 * when none is. */
int ws_deflate_negotiate(const char *offers, size_t len, ws_deflate_params_t *out);

/* Append the response header line for 'p' (enabled), CRLF included:
 * "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover"
 * then client_no_context_takeover when the client declared it, and the
 * window sizes agreed on. */
void ws_deflate_append_response(buf_t *out, const ws_deflate_params_t *p);

/* ---- compressing (the calling thread's compressor) ------------------------------------------ */

/* Return owned one complete unmasked FIN frame of 'opcode' with RSV1 set,
 * whose payload is the 'len' bytes at 'data' (borrowed) compressed with a
 * 'window_bits' window (9..15) from an empty context, the 00 00 FF FF tail
 * removed (section 7.2.1). Returns NULL when compression would not make the
 * frame smaller (the caller sends it plain). */
payload_t *ws_deflate_frame(int opcode, const void *data, size_t len, int window_bits);

/* Free the calling thread's compressors. Compressing again afterwards
 * allocates them again. */
void ws_deflate_thread_free(void);

/* ---- inflating (one per connection) --------------------------------------------------------- */

/* One connection's inflate side. Transparent to be embedded; members
 * starting with '_' are private. */
typedef struct ws_inflate {
    void *_z;                 /* z_stream, NULL until needed */
    size_t _bytes;            /* what zlib holds for it now */
    uint8_t _window_bits;     /* 9..15 */
    uint8_t _no_takeover;     /* reset the context after each message */
    uint8_t _ended;           /* the message's deflate stream ended (BFINAL) */
} ws_inflate_t;

/* Set up for a client compressing with at most 'window_bits' (8..15), which
 * keeps its context across messages unless 'no_context_takeover'. Allocates
 * nothing. */
void ws_inflate_init(ws_inflate_t *z, int window_bits, int no_context_takeover);
/* Free what 'z' holds. It can be initialised again afterwards. */
void ws_inflate_deinit(ws_inflate_t *z);

/* Inflate 'len' bytes (borrowed) of a compressed message, appending the
 * result to 'out', which must stay within 'max_out' bytes in all. 'fin':
 * these are the message's last bytes (the 00 00 FF FF tail is added, and
 * without context takeover the context is reset). Pieces of one message
 * are fed in order. Returns 0; ERR_TOO_BIG as soon as the output would
 * pass 'max_out' (no more than 16 KiB is inflated past what fits); or
 * ERR_DEFLATE for data that is not a valid deflate stream, or that goes on
 * after its final block. After an error, 'z' is reset to a fresh context;
 * the caller closes the connection. */
int ws_inflate_feed(ws_inflate_t *z, const void *in, size_t len, int fin, buf_t *out,
                    size_t max_out);

/* Between messages: without context takeover, give zlib's state back to
 * the heap (the next compressed message allocates it again). */
void ws_inflate_idle(ws_inflate_t *z);

/* Bytes zlib holds for 'z' right now (0 before the first compressed
 * message, and when idle without context takeover). */
static inline size_t ws_inflate_memory(const ws_inflate_t *z) { return z->_bytes; }

#endif
