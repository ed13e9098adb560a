/* ws/reader: incremental message assembly, see reader.h.
 *
 * The input buffer is only ever consumed from the front. A frame returned
 * in place is consumed lazily, at the start of the next call, so the pointer
 * handed out stays valid until then; buf_consume only moves an offset, and
 * the consumed space is reclaimed by the next reserve that needs it, so a
 * burst of small pipelined frames costs no memmove per frame.
 *
 * Sequencing errors (a continuation with nothing to continue, a new message
 * in the middle of a fragmented one) are visible in the first byte, so they
 * are checked before the header is even complete. The size limit for a
 * continuation is what is left of max_message, handed to ws_frame_parse as
 * its max_payload, so the frame codec reports 1009 from the length field. */
#include "ws/reader.h"

#include "core/err.h"

void ws_reader_init(ws_reader_t *r, size_t max_message, int require_mask)
{
    buf_init(&r->_in);
    buf_init(&r->_msg);
    utf8_state_init(&r->_utf8);
    r->_max_message = max_message;
    r->_consume = 0;
    r->_require_mask = require_mask;
    r->_frag_opcode = 0;
    r->_msg_done = 0;
    r->_error = 0;
    r->_close_code = 0;
    r->_deflate = 0;
    r->_compressed = 0;
    r->_wire = 0;
    ws_inflate_init(&r->_inflate, 15, 0);
}

void ws_reader_set_deflate(ws_reader_t *r, int window_bits, int no_context_takeover)
{
    r->_deflate = 1;
    ws_inflate_init(&r->_inflate, window_bits, no_context_takeover);
}

void ws_reader_deinit(ws_reader_t *r)
{
    buf_deinit(&r->_in);
    buf_deinit(&r->_msg);
    ws_inflate_deinit(&r->_inflate);
}

/* Drop what the previous call handed out: the frame returned in place and
 * the assembled message. */
static void settle(ws_reader_t *r)
{
    if (r->_consume) {
        buf_consume(&r->_in, r->_consume);
        r->_consume = 0;
    }
    /* Clients say little after subscribing: an emptied buffer goes back to
     * the heap rather than sit in each of thousands of quiet connections. */
    if (r->_in.len == 0 && r->_in.cap) buf_deinit(&r->_in);
    if (r->_msg_done) {
        r->_msg_done = 0;
        buf_deinit(&r->_msg);
    }
}

static int fail(ws_reader_t *r, int err, uint16_t code, uint16_t *close_code)
{
    r->_error = err;
    r->_close_code = code;
    r->_consume = 0;
    r->_frag_opcode = 0;
    r->_msg_done = 0;
    r->_compressed = 0;
    buf_deinit(&r->_in);
    buf_deinit(&r->_msg);
    ws_inflate_deinit(&r->_inflate);
    *close_code = code;
    return err;
}

void ws_reader_push(ws_reader_t *r, const void *data, size_t len)
{
    if (r->_error || len == 0) return;
    settle(r);
    buf_append(&r->_in, data, len);
}

/* The first frame of a message kept in _msg (fragmented or compressed). */
static void start_message(ws_reader_t *r, int opcode)
{
    r->_frag_opcode = opcode;
    r->_wire = 0;
    buf_reset(&r->_msg);
    utf8_state_init(&r->_utf8);
}

/* The last frame of the message in _msg has arrived: a text message must
 * end on a whole character; hand the message out. */
static int finish_message(ws_reader_t *r, ws_message_t *out, uint16_t *close_code)
{
    if (r->_frag_opcode == WS_OP_TEXT && !utf8_complete(&r->_utf8))
        return fail(r, ERR_UTF8, WS_CLOSE_INVALID_DATA, close_code);
    out->opcode = r->_frag_opcode;
    out->data = r->_msg.len ? buf_head(&r->_msg) : "";
    out->len = r->_msg.len;
    r->_frag_opcode = 0;
    r->_compressed = 0;
    r->_msg_done = 1;
    return 1;
}

int ws_reader_next(ws_reader_t *r, ws_message_t *out, uint16_t *close_code)
{
    if (r->_error) {
        *close_code = r->_close_code;
        return r->_error;
    }
    settle(r);

    for (;;) {
        if (r->_in.len == 0) return 0;
        uint8_t *p = (uint8_t *)buf_head(&r->_in);

        uint64_t max_payload;
        switch (p[0] & 0x0F) {
        case WS_OP_CONT:
            /* A continuation must follow a non-FIN data frame (5.4). */
            if (!r->_frag_opcode) return fail(r, ERR_PROTO, WS_CLOSE_PROTOCOL_ERROR, close_code);
            max_payload = r->_max_message - r->_wire;
            break;
        case WS_OP_TEXT:
        case WS_OP_BINARY:
            /* Fragments of two messages must not interleave (5.4). */
            if (r->_frag_opcode) return fail(r, ERR_PROTO, WS_CLOSE_PROTOCOL_ERROR, close_code);
            max_payload = r->_max_message;
            break;
        default:
            /* Control frames (or reserved opcodes, which the parser
             * rejects) carry their own 125-byte limit. */
            max_payload = WS_FRAME_MAX_CONTROL;
            break;
        }

        ws_frame_t f;
        int flags = (r->_require_mask ? WS_FRAME_REQUIRE_MASK : 0) |
                    (r->_deflate ? WS_FRAME_ALLOW_RSV1 : 0);
        int64_t n = ws_frame_parse(p, r->_in.len, flags, max_payload, &f);
        if (n == WS_FRAME_PARTIAL) return 0;
        if (n == WS_FRAME_ERR_TOO_BIG) return fail(r, ERR_TOO_BIG, WS_CLOSE_TOO_BIG, close_code);
        if (n < 0) return fail(r, ERR_PROTO, WS_CLOSE_PROTOCOL_ERROR, close_code);

        /* The whole frame is here and within limits, so its length fits. */
        uint8_t *payload = p + f.header_len;
        size_t len = (size_t)f.payload_len;
        if (f.masked) ws_frame_unmask(payload, len, f.mask, 0);

        if (f.rsv || (f.opcode == WS_OP_CONT && r->_compressed)) {
            /* A compressed message, whole or in fragments: inflated into
             * _msg as it comes (RFC 7692 section 7.2.2), so max_message
             * bounds the inflated size too, and UTF-8 is checked on what
             * comes out. */
            if (f.opcode != WS_OP_CONT) {
                start_message(r, f.opcode);
                r->_compressed = 1;
            }
            r->_wire += len;
            size_t before = r->_msg.len;
            int rc = ws_inflate_feed(&r->_inflate, payload, len, f.fin, &r->_msg, r->_max_message);
            buf_consume(&r->_in, (size_t)n);
            if (rc == ERR_TOO_BIG) return fail(r, ERR_TOO_BIG, WS_CLOSE_TOO_BIG, close_code);
            if (rc < 0) return fail(r, ERR_DEFLATE, WS_CLOSE_INVALID_DATA, close_code);
            if (r->_frag_opcode == WS_OP_TEXT &&
                utf8_feed(&r->_utf8, buf_head(&r->_msg) + before, r->_msg.len - before) < 0)
                return fail(r, ERR_UTF8, WS_CLOSE_INVALID_DATA, close_code);
            if (!f.fin) continue;
            /* Between messages: without context takeover the inflater's
             * state goes back to the heap. */
            ws_inflate_idle(&r->_inflate);
            return finish_message(r, out, close_code);
        }

        if ((f.opcode & 0x8) || (f.fin && f.opcode != WS_OP_CONT)) {
            /* A control frame or a whole message in one frame: return it
             * from the input buffer, consumed on the next call. */
            if (f.opcode == WS_OP_TEXT && !utf8_valid(payload, len))
                return fail(r, ERR_UTF8, WS_CLOSE_INVALID_DATA, close_code);
            r->_consume = (size_t)n;
            out->opcode = f.opcode;
            out->data = (const char *)payload;
            out->len = len;
            return 1;
        }

        /* A fragment: the first starts a message, continuations extend it. */
        if (f.opcode != WS_OP_CONT) start_message(r, f.opcode);
        if (r->_frag_opcode == WS_OP_TEXT && utf8_feed(&r->_utf8, payload, len) < 0)
            return fail(r, ERR_UTF8, WS_CLOSE_INVALID_DATA, close_code);
        r->_wire += len;
        buf_append(&r->_msg, payload, len);
        buf_consume(&r->_in, (size_t)n);
        if (!f.fin) continue;
        return finish_message(r, out, close_code);
    }
}
