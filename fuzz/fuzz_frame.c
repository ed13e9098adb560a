/* fuzz/fuzz_frame.c: the WebSocket frame stream (ws/frame + ws/reader).
 *
 * Input layout: byte 0 holds options, the next k bytes are chunk sizes, the
 * rest is the byte stream a client sends.
 *
 *   byte 0, bits 0-2: k, the number of chunk-size bytes (0: one byte per push)
 *           bit 3:    accept unmasked frames (require_mask = 0)
 *           bit 4:    max message 200 bytes instead of 64 KiB
 *
 * The stream is read twice: pushed whole, then pushed in chunks of the given
 * sizes (cycling), draining ws_reader_next after every push. Both runs must
 * produce the same messages and end the same way, whatever the chunking.
 * Every message is checked: opcode known, length within limits, text valid
 * UTF-8, close payloads accepted or refused by ws_close_parse with a sane
 * code; every error carries its matching close code and stays put. */
#include "core/buf.h"
#include "core/err.h"
#include "core/utf8.h"
#include "ws/frame.h"
#include "ws/reader.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) __builtin_trap();                                                             \
    } while (0)

typedef struct {
    buf_t log;     /* opcode, length and bytes of every message, in order */
    int result;    /* 0 or the error that ended the run */
    uint16_t code; /* close code with the error */
} transcript_t;

static void check_message(const ws_message_t *m, size_t max_message)
{
    CHECK(m->data != NULL);
    switch (m->opcode) {
    case WS_OP_TEXT:
        CHECK(utf8_valid(m->data, m->len));
        /* fall through */
    case WS_OP_BINARY:
        CHECK(m->len <= max_message);
        break;
    case WS_OP_PING:
    case WS_OP_PONG:
        CHECK(m->len <= 125);
        break;
    case WS_OP_CLOSE: {
        CHECK(m->len <= 125);
        uint16_t code = 0, fail = 0;
        const char *reason = NULL;
        size_t reason_len = 0;
        int rc = ws_close_parse(m->data, m->len, &code, &reason, &reason_len, &fail);
        if (rc == 0) {
            if (m->len == 0) {
                CHECK(code == WS_CLOSE_NO_STATUS && reason_len == 0);
            } else {
                CHECK(code >= 1000 && code <= 4999 && code != 1005 && code != 1006);
                CHECK(reason == m->data + 2 && reason_len == m->len - 2);
                CHECK(utf8_valid(reason, reason_len));
            }
        } else {
            CHECK((rc == ERR_PROTO && fail == WS_CLOSE_PROTOCOL_ERROR) ||
                  (rc == ERR_UTF8 && fail == WS_CLOSE_INVALID_DATA));
        }
        break;
    }
    default:
        CHECK(0);
    }
}

static void drain(ws_reader_t *r, transcript_t *t, size_t max_message)
{
    if (t->result) return;
    for (;;) {
        ws_message_t m;
        uint16_t code = 0;
        int rc = ws_reader_next(r, &m, &code);
        if (rc == 0) return;
        if (rc < 0) {
            CHECK((rc == ERR_PROTO && code == WS_CLOSE_PROTOCOL_ERROR) ||
                  (rc == ERR_TOO_BIG && code == WS_CLOSE_TOO_BIG) ||
                  (rc == ERR_UTF8 && code == WS_CLOSE_INVALID_DATA));
            uint16_t again = 0;
            CHECK(ws_reader_next(r, &m, &again) == rc && again == code);
            t->result = rc;
            t->code = code;
            return;
        }
        CHECK(rc == 1);
        check_message(&m, max_message);
        uint8_t head[1 + sizeof(size_t)];
        head[0] = (uint8_t)m.opcode;
        memcpy(head + 1, &m.len, sizeof(size_t));
        buf_append(&t->log, head, sizeof head);
        buf_append(&t->log, m.data, m.len);
    }
}

/* The frame codec alone on the raw stream. */
static void check_parse(const uint8_t *in, size_t len)
{
    ws_frame_t f;
    int64_t n = ws_frame_parse(in, len, 0, UINT64_MAX, &f);
    if (n > 0) {
        CHECK(f.header_len >= 2 && f.header_len <= WS_FRAME_MAX_HEADER);
        CHECK((uint64_t)n == f.header_len + f.payload_len && (size_t)n <= len);
        CHECK(f.payload == in + f.header_len && f.rsv == 0);
        /* Re-encoding the header gives the same length (minimal forms
         * aside, which peers may use). */
        uint8_t h[10];
        size_t hl = ws_frame_header_encode(h, f.opcode, f.fin, f.payload_len);
        CHECK(hl + (f.masked ? 4 : 0) <= f.header_len);
    } else {
        CHECK(n == WS_FRAME_PARTIAL || n == WS_FRAME_ERR_PROTOCOL || n == WS_FRAME_ERR_TOO_BIG);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t k = data[0] & 0x07;
    int require_mask = !(data[0] & 0x08);
    size_t max_message = (data[0] & 0x10) ? 200 : 64 * 1024;
    if (size < 1 + k) return 0;
    const uint8_t *sizes = data + 1;
    const uint8_t *in = data + 1 + k;
    size_t len = size - 1 - k;

    check_parse(in, len);

    transcript_t whole = {BUF_INIT, 0, 0}, chunked = {BUF_INIT, 0, 0};
    ws_reader_t r;

    ws_reader_init(&r, max_message, require_mask);
    ws_reader_push(&r, in, len);
    drain(&r, &whole, max_message);
    ws_reader_deinit(&r);

    ws_reader_init(&r, max_message, require_mask);
    size_t off = 0;
    for (size_t i = 0; off < len; i++) {
        size_t n = k ? (size_t)sizes[i % k] + 1 : 1;
        if (n > len - off) n = len - off;
        ws_reader_push(&r, in + off, n);
        off += n;
        drain(&r, &chunked, max_message);
    }
    ws_reader_deinit(&r);

    CHECK(whole.result == chunked.result && whole.code == chunked.code);
    CHECK(whole.log.len == chunked.log.len);
    CHECK(whole.log.len == 0 ||
          memcmp(buf_head(&whole.log), buf_head(&chunked.log), whole.log.len) == 0);
    buf_deinit(&whole.log);
    buf_deinit(&chunked.log);
    return 0;
}
