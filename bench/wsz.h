/* bench/wsz: the generator's side of permessage-deflate (RFC 7692), for
 * --deflate: the offer in the upgrade request, the check that the server
 * agreed, and inflating the compressed frames that arrive.
 *
 * The offer is what browsers and node's ws send, "permessage-deflate;
 * client_max_window_bits". The server always answers
 * server_no_context_takeover (docs/protocol.md), so every compressed
 * message starts from an empty window: one inflater for the whole loop,
 * reset before each message, reads the frames of every connection. That
 * keeps the generator's cost per delivery small and its memory flat; the
 * server's side (what the benchmark measures) is unchanged by it. */
#ifndef BENCH_WSZ_H
#define BENCH_WSZ_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

/* Add the Sec-WebSocket-Extensions offer to an upgrade request built by
 * wsc_upgrade_request (it ends with an empty line). */
void wsz_offer(buf_t *request);

/* 1 when the 101 head in [p, p+len) agreed on permessage-deflate with
 * server_no_context_takeover, else 0. */
int wsz_agreed(const char *p, size_t len);

/* Inflate the payload of one compressed frame (the 00 00 FF FF tail is
 * added back). Returns the text (valid until the next call) and sets *out_len,
 * or returns NULL for data that does not inflate. */
const char *wsz_inflate(const void *in, size_t len, size_t *out_len);

/* Free the loop's inflater. */
void wsz_free(void);

#endif
