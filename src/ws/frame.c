/* ws/frame: the RFC 6455 frame codec, see frame.h.
 *
 * The parser looks at the header a byte at a time in wire order and fails on
 * the first byte that proves the frame bad, so a peer cannot make us wait
 * for (or buffer) a payload we are going to refuse anyway. Encoders write
 * straight into the destination: a reserve on the buf_t, or one payload_t
 * allocation holding header and data together. */
#include "ws/frame.h"

#include "core/err.h"
#include "core/utf8.h"

#include <assert.h>
#include <string.h>

static_assert(WS_FRAME_MAX_HEADER == 2 + 8 + 4, "header = base + 64-bit length + mask");
static_assert(sizeof(((ws_frame_t *)0)->mask) == 4, "the masking key is 32 bits");
static_assert(sizeof(uint64_t) == 8, "unmasking works on 8-byte words");

/* Opcodes 0x0-0x2 and 0x8-0xA are defined; the rest are reserved (5.2). */
#define DEFINED_OPCODES 0x0707u

/* Bytes a close payload can spend on the reason: 125 minus the code. */
#define CLOSE_REASON_MAX (WS_FRAME_MAX_CONTROL - 2)

/* ---- parsing ------------------------------------------------------------- */

int64_t ws_frame_parse(const void *buf, size_t len, int flags, uint64_t max_payload,
                       ws_frame_t *out)
{
    const uint8_t *p = buf;
    int require_mask = flags & WS_FRAME_REQUIRE_MASK;
    out->header_len = 0;
    if (len < 1) return WS_FRAME_PARTIAL;

    uint8_t fin = p[0] >> 7, rsv = (p[0] >> 4) & 0x7, opcode = p[0] & 0x0F;
    /* An RSV bit no negotiated extension defines is an error (5.2). Only
     * permessage-deflate exists here, and it sets RSV1 on the first frame
     * of a data message only (RFC 7692 section 6.1). */
    if (rsv & ~4) return WS_FRAME_ERR_PROTOCOL;
    if (rsv && (!(flags & WS_FRAME_ALLOW_RSV1) || (opcode != WS_OP_TEXT && opcode != WS_OP_BINARY)))
        return WS_FRAME_ERR_PROTOCOL;
    if (!(DEFINED_OPCODES & (1u << opcode))) return WS_FRAME_ERR_PROTOCOL;
    int control = (opcode & 0x8) != 0;
    /* Control frames must not be fragmented (5.5). */
    if (control && !fin) return WS_FRAME_ERR_PROTOCOL;
    if (len < 2) return WS_FRAME_PARTIAL;

    uint8_t masked = p[1] >> 7, len7 = p[1] & 0x7F;
    /* A server must fail a connection whose client sends an unmasked frame
     * (5.1). */
    if (require_mask && !masked) return WS_FRAME_ERR_PROTOCOL;
    /* Control payloads are at most 125 bytes, so they never use an extended
     * length (5.5). */
    if (control && len7 > WS_FRAME_MAX_CONTROL) return WS_FRAME_ERR_PROTOCOL;

    size_t header_len;
    uint64_t payload_len;
    if (len7 == 126) {
        if (len < 4) return WS_FRAME_PARTIAL;
        payload_len = (uint64_t)p[2] << 8 | p[3];
        header_len = 4;
    } else if (len7 == 127) {
        if (len < 10) return WS_FRAME_PARTIAL;
        payload_len = 0;
        for (int i = 0; i < 8; i++) payload_len = payload_len << 8 | p[2 + i];
        /* The most significant bit must be 0 (5.2). */
        if (payload_len >> 63) return WS_FRAME_ERR_PROTOCOL;
        header_len = 10;
    } else {
        payload_len = len7;
        header_len = 2;
    }
    /* The second bound keeps header_len + payload_len representable in the
     * int64_t we return; no configured limit comes anywhere near it. */
    if (payload_len > max_payload || payload_len > (uint64_t)INT64_MAX - WS_FRAME_MAX_HEADER)
        return WS_FRAME_ERR_TOO_BIG;
    if (masked) header_len += 4;
    if (len < header_len) return WS_FRAME_PARTIAL;

    out->fin = fin;
    out->rsv = rsv;
    out->opcode = opcode;
    out->masked = masked;
    if (masked)
        memcpy(out->mask, p + header_len - 4, 4);
    else
        memset(out->mask, 0, 4);
    out->payload_len = payload_len;
    out->header_len = header_len;
    if (len - header_len < payload_len) {
        out->payload = NULL;
        return WS_FRAME_PARTIAL;
    }
    out->payload = p + header_len;
    return (int64_t)(header_len + payload_len);
}

void ws_frame_unmask(void *data, size_t len, const uint8_t mask[4], size_t offset)
{
    uint8_t *d = data;
    /* Rotate the key so m[i % 4] applies to d[i]; eight bytes of it then
     * cover one word, and every word boundary stays in phase. */
    uint8_t m[8];
    for (int i = 0; i < 8; i++) m[i] = mask[(offset + (size_t)i) & 3];
    uint64_t mw;
    memcpy(&mw, m, 8);

    size_t i = 0;
    for (; len - i >= 32; i += 32) {
        uint64_t w[4];
        memcpy(w, d + i, 32);
        w[0] ^= mw;
        w[1] ^= mw;
        w[2] ^= mw;
        w[3] ^= mw;
        memcpy(d + i, w, 32);
    }
    for (; len - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, d + i, 8);
        w ^= mw;
        memcpy(d + i, &w, 8);
    }
    for (; i < len; i++) d[i] ^= m[i & 3];
}

/* ---- encoding ------------------------------------------------------------ */

size_t ws_frame_header_encode(uint8_t out[10], int opcode, int fin, uint64_t len)
{
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    if (len <= WS_FRAME_MAX_CONTROL) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    return 10;
}

payload_t *ws_frame_build(int opcode, const void *data, size_t len)
{
    uint8_t header[10];
    size_t header_len = ws_frame_header_encode(header, opcode, 1, len);
    payload_t *p = payload_new(header_len + len);
    memcpy(p->data, header, header_len);
    if (len) memcpy(p->data + header_len, data, len);
    return p;
}

void ws_frame_append_close(buf_t *out, uint16_t code, const char *reason, size_t reason_len)
{
    if (code == 0) {
        static const uint8_t empty_close[2] = {0x80 | WS_OP_CLOSE, 0};
        buf_append(out, empty_close, sizeof empty_close);
        return;
    }
    if (reason_len > CLOSE_REASON_MAX) {
        /* Drop whole code points only: back off while the first byte left
         * out is a continuation byte of a sequence that started earlier. */
        reason_len = CLOSE_REASON_MAX;
        while (reason_len > 0 && ((uint8_t)reason[reason_len] & 0xC0) == 0x80) reason_len--;
    }
    uint8_t *dst = (uint8_t *)buf_reserve(out, 2 + 2 + reason_len);
    dst[0] = 0x80 | WS_OP_CLOSE;
    dst[1] = (uint8_t)(2 + reason_len);
    dst[2] = (uint8_t)(code >> 8);
    dst[3] = (uint8_t)code;
    if (reason_len) memcpy(dst + 4, reason, reason_len);
    buf_commit(out, 4 + reason_len);
}

void ws_frame_append_masked(buf_t *out, int opcode, int fin, const uint8_t mask[4],
                            const void *data, size_t len)
{
    uint8_t *dst = (uint8_t *)buf_reserve(out, WS_FRAME_MAX_HEADER + len);
    size_t header_len = ws_frame_header_encode(dst, opcode, fin, len);
    dst[1] |= 0x80;
    memcpy(dst + header_len, mask, 4);
    header_len += 4;
    if (len) {
        memcpy(dst + header_len, data, len);
        ws_frame_unmask(dst + header_len, len, mask, 0);
    }
    buf_commit(out, header_len + len);
}

/* ---- close payloads ------------------------------------------------------ */

/* Codes a peer may send (7.4.1, 7.4.2 and the IANA registry): 1004-1006 and
 * 1015 are reserved for local use, 0-999 unused, 1016-2999 reserved for
 * extensions and this protocol, 3000-4999 for libraries and applications. */
static int close_code_allowed(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

int ws_close_parse(const void *payload, size_t len, uint16_t *code, const char **reason,
                   size_t *reason_len, uint16_t *fail_code)
{
    const uint8_t *p = payload;
    if (len == 0) {
        if (code) *code = WS_CLOSE_NO_STATUS;
        if (reason) *reason = "";
        if (reason_len) *reason_len = 0;
        return 0;
    }
    if (len == 1) {
        if (fail_code) *fail_code = WS_CLOSE_PROTOCOL_ERROR;
        return ERR_PROTO;
    }
    unsigned c = (unsigned)p[0] << 8 | p[1];
    if (!close_code_allowed(c)) {
        if (fail_code) *fail_code = WS_CLOSE_PROTOCOL_ERROR;
        return ERR_PROTO;
    }
    if (!utf8_valid(p + 2, len - 2)) {
        if (fail_code) *fail_code = WS_CLOSE_INVALID_DATA;
        return ERR_UTF8;
    }
    if (code) *code = (uint16_t)c;
    if (reason) *reason = (const char *)p + 2;
    if (reason_len) *reason_len = len - 2;
    return 0;
}
