/* fuzz/fuzz_inflate: compressed client messages (permessage-deflate):
 * ws/reader with inflate on, and ws_inflate_feed alone, under a size cap.
 *
 * Input layout: byte 0 holds options, the next k bytes are chunk sizes, the
 * rest is the byte stream a client sends (frames may be unmasked).
 *
 *   byte 0, bits 0-2: k, the number of chunk-size bytes (0: one byte per push)
 *           bit 3:    client_no_context_takeover
 *           bits 4-6: the client's window, 9 + value (values 7: 15)
 *           bit 7:    max message 300 bytes instead of 64 KiB
 *
 * The stream is read twice, pushed whole and in chunks (cycling through the
 * sizes); both runs must give the same messages and end the same way.
 * Every message is within the cap, text is valid UTF-8; every error has its
 * close code (a bad deflate stream 1007, inflating past the cap 1009). The
 * inflater holds no more than zlib's state and its window, and nothing
 * between messages without context takeover. Then the stream's bytes are
 * inflated directly as one message in two pieces: whatever they are, the
 * output stays within the cap and a step. */
#include "core/buf.h"
#include "core/err.h"
#include "core/utf8.h"
#include "ws/deflate.h"
#include "ws/frame.h"
#include "ws/reader.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) __builtin_trap();                                                             \
    } while (0)

/* zlib's inflate state is about 7 KiB; the window 2^bits. */
#define STATE_MAX(bits) (((size_t)1 << (bits)) + 8192)

typedef struct {
    buf_t log;
    int result;
    uint16_t code;
} transcript_t;

static void drain(ws_reader_t *r, transcript_t *t, size_t max_message, int bits, int no_takeover)
{
    if (t->result) return;
    for (;;) {
        ws_message_t m;
        uint16_t code = 0;
        int rc = ws_reader_next(r, &m, &code);
        CHECK(ws_inflate_memory(&r->_inflate) <= STATE_MAX(bits));
        if (rc == 0) return;
        if (rc < 0) {
            CHECK((rc == ERR_PROTO && code == WS_CLOSE_PROTOCOL_ERROR) ||
                  (rc == ERR_TOO_BIG && code == WS_CLOSE_TOO_BIG) ||
                  (rc == ERR_UTF8 && code == WS_CLOSE_INVALID_DATA) ||
                  (rc == ERR_DEFLATE && code == WS_CLOSE_INVALID_DATA));
            /* A failed reader holds nothing more. */
            CHECK(ws_inflate_memory(&r->_inflate) == 0);
            t->result = rc;
            t->code = code;
            return;
        }
        CHECK(m.data != NULL);
        if (m.opcode == WS_OP_TEXT) CHECK(utf8_valid(m.data, m.len));
        if (m.opcode == WS_OP_TEXT || m.opcode == WS_OP_BINARY) {
            CHECK(m.len <= max_message);
            if (no_takeover && !r->_frag_opcode) CHECK(ws_inflate_memory(&r->_inflate) == 0);
        } else {
            CHECK(m.len <= 125);
        }
        uint8_t head[1 + sizeof(size_t)];
        head[0] = (uint8_t)m.opcode;
        memcpy(head + 1, &m.len, sizeof(size_t));
        buf_append(&t->log, head, sizeof head);
        buf_append(&t->log, m.data, m.len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t k = data[0] & 0x07;
    int no_takeover = (data[0] >> 3) & 1;
    int bits = 9 + ((data[0] >> 4) & 0x07);
    if (bits > 15) bits = 15;
    size_t max_message = (data[0] & 0x80) ? 300 : 64 * 1024;
    if (size < 1 + k) return 0;
    const uint8_t *sizes = data + 1;
    const uint8_t *in = data + 1 + k;
    size_t len = size - 1 - k;

    transcript_t whole = {BUF_INIT, 0, 0}, chunked = {BUF_INIT, 0, 0};
    ws_reader_t r;
    ws_reader_init(&r, max_message, 0);
    ws_reader_set_deflate(&r, bits, no_takeover);
    ws_reader_push(&r, in, len);
    drain(&r, &whole, max_message, bits, no_takeover);
    ws_reader_deinit(&r);
    CHECK(ws_inflate_memory(&r._inflate) == 0);

    ws_reader_init(&r, max_message, 0);
    ws_reader_set_deflate(&r, bits, no_takeover);
    size_t pos = 0, i = 0;
    while (pos < len && !chunked.result) {
        size_t n = k ? sizes[i++ % k] : 1;
        if (n == 0) n = 1;
        if (n > len - pos) n = len - pos;
        ws_reader_push(&r, in + pos, n);
        pos += n;
        drain(&r, &chunked, max_message, bits, no_takeover);
    }
    ws_reader_deinit(&r);

    CHECK(whole.result == chunked.result && whole.code == chunked.code);
    CHECK(whole.log.len == chunked.log.len);
    if (whole.log.len)
        CHECK(memcmp(buf_head(&whole.log), buf_head(&chunked.log), whole.log.len) == 0);
    buf_deinit(&whole.log);
    buf_deinit(&chunked.log);

    /* The bytes as one compressed message, in two pieces. */
    ws_inflate_t z;
    ws_inflate_init(&z, bits, no_takeover);
    buf_t out = BUF_INIT;
    size_t half = len / 2;
    int rc = ws_inflate_feed(&z, in, half, 0, &out, max_message);
    if (rc == 0) rc = ws_inflate_feed(&z, in + half, len - half, 1, &out, max_message);
    CHECK(rc == 0 || rc == ERR_TOO_BIG || rc == ERR_DEFLATE);
    if (rc == 0) CHECK(out.len <= max_message);
    CHECK(out.len <= max_message + 16384);
    CHECK(ws_inflate_memory(&z) <= STATE_MAX(bits));
    ws_inflate_idle(&z);
    if (no_takeover) CHECK(ws_inflate_memory(&z) == 0);
    ws_inflate_deinit(&z);
    CHECK(ws_inflate_memory(&z) == 0);
    buf_deinit(&out);
    return 0;
}
