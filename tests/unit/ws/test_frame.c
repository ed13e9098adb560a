/* tests/unit/ws/test_frame.c: the ws/frame codec.
 *
 * Header encoding in its three forms with exact bytes, parsing of every
 * length boundary with every prefix reported as partial, each protocol error
 * by name, unmasking against a byte-by-byte reference at every offset, close
 * payloads, and a parse of input that ends right at a PROT_NONE page. */
#include "test.h"

#include "core/err.h"
#include "ws/frame.h"

#include <sys/mman.h>
#include <unistd.h>

static const uint8_t mask_key[4] = {0x37, 0xFA, 0x21, 0x3D};

/* Build a masked client frame with a patterned payload into 'b'. */
static void masked_frame(buf_t *b, int opcode, int fin, size_t len)
{
    uint8_t *data = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++) data[i] = (uint8_t)(i * 7 + 3);
    ws_frame_append_masked(b, opcode, fin, mask_key, data, len);
    free(data);
}

/* ---- encoding ------------------------------------------------------------ */

TEST(ws_frame_build_hi)
{
    payload_t *p = ws_frame_build(WS_OP_TEXT, "hi", 2);
    ASSERT_EQ(p->len, 4);
    ASSERT_MEM_EQ(p->data, "\x81\x02\x68\x69", 4);
    payload_unref(p);

    p = ws_frame_build(WS_OP_PONG, NULL, 0);
    ASSERT_EQ(p->len, 2);
    ASSERT_MEM_EQ(p->data, "\x8A\x00", 2);
    payload_unref(p);
}

TEST(ws_frame_header_encode_forms)
{
    uint8_t h[10];
    ASSERT_EQ(ws_frame_header_encode(h, WS_OP_TEXT, 1, 0), 2);
    ASSERT_MEM_EQ(h, "\x81\x00", 2);
    ASSERT_EQ(ws_frame_header_encode(h, WS_OP_BINARY, 1, 125), 2);
    ASSERT_MEM_EQ(h, "\x82\x7D", 2);
    ASSERT_EQ(ws_frame_header_encode(h, WS_OP_TEXT, 0, 126), 4);
    ASSERT_MEM_EQ(h, "\x01\x7E\x00\x7E", 4);
    ASSERT_EQ(ws_frame_header_encode(h, WS_OP_TEXT, 1, 65535), 4);
    ASSERT_MEM_EQ(h, "\x81\x7E\xFF\xFF", 4);
    ASSERT_EQ(ws_frame_header_encode(h, WS_OP_TEXT, 1, 65536), 10);
    ASSERT_MEM_EQ(h, "\x81\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    ASSERT_EQ(ws_frame_header_encode(h, WS_OP_CONT, 1, UINT64_C(0x0102030405060708)), 10);
    ASSERT_MEM_EQ(h, "\x80\x7F\x01\x02\x03\x04\x05\x06\x07\x08", 10);
}

TEST(ws_frame_build_lengths)
{
    static const size_t lens[] = {0, 125, 126, 65535, 65536};
    static const size_t hdr[] = {2, 2, 4, 4, 10};
    for (size_t k = 0; k < 5; k++) {
        char *data = malloc(lens[k] + 1);
        memset(data, 'z', lens[k]);
        payload_t *p = ws_frame_build(WS_OP_BINARY, data, lens[k]);
        ASSERT_EQ(p->len, hdr[k] + lens[k]);
        ws_frame_t f;
        ASSERT_EQ(ws_frame_parse(p->data, p->len, 0, UINT64_MAX, &f), (int64_t)p->len);
        ASSERT_EQ(f.header_len, hdr[k]);
        ASSERT_EQ(f.payload_len, lens[k]);
        ASSERT_EQ(f.masked, 0);
        ASSERT_EQ(f.fin, 1);
        ASSERT_EQ(f.opcode, WS_OP_BINARY);
        ASSERT_MEM_EQ(f.payload, data, lens[k]);
        payload_unref(p);
        free(data);
    }
}

TEST(ws_frame_append_masked_bytes)
{
    /* RFC 6455 section 5.7: a masked "Hello". */
    static const uint8_t key[4] = {0x37, 0xFA, 0x21, 0x3D};
    buf_t b = BUF_INIT;
    ws_frame_append_masked(&b, WS_OP_TEXT, 1, key, "Hello", 5);
    ASSERT_EQ(b.len, 11);
    ASSERT_MEM_EQ(buf_head(&b), "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
    buf_reset(&b);
    ws_frame_append_masked(&b, WS_OP_PING, 1, key, NULL, 0);
    ASSERT_EQ(b.len, 6);
    ASSERT_MEM_EQ(buf_head(&b), "\x89\x80\x37\xfa\x21\x3d", 6);
    buf_deinit(&b);
}

TEST(ws_frame_append_close_forms)
{
    buf_t b = BUF_INIT;
    ws_frame_append_close(&b, 0, "ignored", 7);
    ASSERT_EQ(b.len, 2);
    ASSERT_MEM_EQ(buf_head(&b), "\x88\x00", 2);
    buf_reset(&b);
    ws_frame_append_close(&b, WS_CLOSE_NORMAL, NULL, 0);
    ASSERT_EQ(b.len, 4);
    ASSERT_MEM_EQ(buf_head(&b), "\x88\x02\x03\xE8", 4);
    buf_reset(&b);
    ws_frame_append_close(&b, WS_CLOSE_TOO_BIG, "too big", 7);
    ASSERT_EQ(b.len, 11);
    ASSERT_MEM_EQ(buf_head(&b), "\x88\x09\x03\xF1too big", 11);
    buf_deinit(&b);
}

TEST(ws_frame_append_close_long_reason)
{
    /* 61 two-byte characters then more: 123 bytes would split one, so the
     * reason is cut to 122 bytes. */
    char reason[200];
    for (int i = 0; i < 100; i++) memcpy(reason + 2 * i, "\xC3\xA9", 2);
    buf_t b = BUF_INIT;
    ws_frame_append_close(&b, WS_CLOSE_POLICY, reason, sizeof reason);
    ASSERT_EQ(b.len, 2 + 2 + 122);
    ws_frame_t f;
    ASSERT_EQ(ws_frame_parse(buf_head(&b), b.len, 0, UINT64_MAX, &f), (int64_t)b.len);
    uint16_t code = 0, fail = 0;
    const char *r = NULL;
    size_t rlen = 0;
    ASSERT_EQ(ws_close_parse(f.payload, f.payload_len, &code, &r, &rlen, &fail), 0);
    ASSERT_EQ(code, WS_CLOSE_POLICY);
    ASSERT_EQ(rlen, 122);

    /* Plain ASCII is cut at exactly 123. */
    memset(reason, 'x', sizeof reason);
    buf_reset(&b);
    ws_frame_append_close(&b, WS_CLOSE_POLICY, reason, sizeof reason);
    ASSERT_EQ(b.len, 2 + 125);
    ASSERT_EQ((uint8_t)buf_head(&b)[1], 125);
    buf_deinit(&b);
}

/* ---- parsing ------------------------------------------------------------- */

TEST(ws_frame_parse_lengths)
{
    static const size_t lens[] = {0, 125, 126, 65535, 65536};
    static const size_t hdr[] = {6, 6, 8, 8, 14};
    for (size_t k = 0; k < 5; k++) {
        buf_t b = BUF_INIT;
        masked_frame(&b, WS_OP_BINARY, 1, lens[k]);
        const uint8_t *in = (const uint8_t *)buf_head(&b);
        ASSERT_EQ(b.len, hdr[k] + lens[k]);
        ws_frame_t f;
        ASSERT_EQ(ws_frame_parse(in, b.len, 1, UINT64_MAX, &f), (int64_t)b.len);
        ASSERT_EQ(f.fin, 1);
        ASSERT_EQ(f.rsv, 0);
        ASSERT_EQ(f.opcode, WS_OP_BINARY);
        ASSERT_EQ(f.masked, 1);
        ASSERT_MEM_EQ(f.mask, mask_key, 4);
        ASSERT_EQ(f.header_len, hdr[k]);
        ASSERT_EQ(f.payload_len, lens[k]);
        ASSERT(f.payload == in + hdr[k]);
        /* Unmasked, the payload is the pattern again. */
        uint8_t *copy = malloc(lens[k] + 1);
        memcpy(copy, f.payload, lens[k]);
        ws_frame_unmask(copy, lens[k], f.mask, 0);
        for (size_t i = 0; i < lens[k]; i++) ASSERT_EQ(copy[i], (uint8_t)(i * 7 + 3));
        free(copy);
        /* A limit equal to the length is fine, one below is not. */
        ASSERT_EQ(ws_frame_parse(in, b.len, 1, lens[k], &f), (int64_t)b.len);
        if (lens[k] > 0)
            ASSERT_EQ(ws_frame_parse(in, b.len, 1, lens[k] - 1, &f), WS_FRAME_ERR_TOO_BIG);
        buf_deinit(&b);
    }
}

/* Every proper prefix of a frame is partial; once the header is complete
 * the header fields are already filled in. */
TEST(ws_frame_parse_every_prefix_partial)
{
    static const size_t lens[] = {0, 1, 125, 126, 300, 65535, 65536};
    for (size_t k = 0; k < 7; k++) {
        buf_t b = BUF_INIT;
        masked_frame(&b, WS_OP_TEXT, 0, lens[k]);
        const uint8_t *in = (const uint8_t *)buf_head(&b);
        ws_frame_t whole;
        ASSERT_EQ(ws_frame_parse(in, b.len, 1, UINT64_MAX, &whole), (int64_t)b.len);
        /* Prefixes inside the payload all look alike, so sample them. */
        for (size_t n = 0; n < b.len; n += (n < 200 || b.len - n < 200) ? 1 : 97) {
            ws_frame_t f;
            ASSERT_EQ(ws_frame_parse(in, n, 1, UINT64_MAX, &f), WS_FRAME_PARTIAL);
            if (n < whole.header_len) {
                ASSERT_EQ(f.header_len, 0);
            } else {
                ASSERT_EQ(f.header_len, whole.header_len);
                ASSERT_EQ(f.payload_len, lens[k]);
                ASSERT_NULL(f.payload);
            }
        }
        buf_deinit(&b);
    }
}

TEST(ws_frame_parse_reserved_bits)
{
    for (int rsv = 1; rsv < 8; rsv++) {
        uint8_t in[6] = {(uint8_t)(0x81 | rsv << 4), 0x80, 1, 2, 3, 4};
        ws_frame_t f;
        /* Known from the first byte alone. */
        ASSERT_EQ(ws_frame_parse(in, 1, 1, UINT64_MAX, &f), WS_FRAME_ERR_PROTOCOL);
        ASSERT_EQ(ws_frame_parse(in, 6, 1, UINT64_MAX, &f), WS_FRAME_ERR_PROTOCOL);
    }
}

TEST(ws_frame_parse_reserved_opcodes)
{
    for (int op = 0; op < 16; op++) {
        uint8_t in[6] = {(uint8_t)(0x80 | op), 0x80, 1, 2, 3, 4};
        ws_frame_t f;
        int reserved = (op >= 3 && op <= 7) || op >= 0xB;
        ASSERT_EQ(ws_frame_parse(in, 6, 1, UINT64_MAX, &f), reserved ? WS_FRAME_ERR_PROTOCOL : 6);
        ASSERT_EQ(ws_frame_parse(in, 1, 1, UINT64_MAX, &f),
                  reserved ? WS_FRAME_ERR_PROTOCOL : WS_FRAME_PARTIAL);
    }
}

TEST(ws_frame_parse_control_over_125)
{
    static const int ops[] = {WS_OP_CLOSE, WS_OP_PING, WS_OP_PONG};
    for (int k = 0; k < 3; k++) {
        ws_frame_t f;
        uint8_t ok[6] = {(uint8_t)(0x80 | ops[k]), 0x80 | 125};
        ASSERT_EQ(ws_frame_parse(ok, 6, 1, UINT64_MAX, &f), WS_FRAME_PARTIAL);
        ASSERT_EQ(f.payload_len, 125);
        /* 126 and 127 announce extended lengths: refused from byte 2. */
        uint8_t in126[2] = {(uint8_t)(0x80 | ops[k]), 0x80 | 126};
        ASSERT_EQ(ws_frame_parse(in126, 2, 1, UINT64_MAX, &f), WS_FRAME_ERR_PROTOCOL);
        uint8_t in127[2] = {(uint8_t)(0x80 | ops[k]), 0x80 | 127};
        ASSERT_EQ(ws_frame_parse(in127, 2, 1, UINT64_MAX, &f), WS_FRAME_ERR_PROTOCOL);
    }
}

TEST(ws_frame_parse_fragmented_control)
{
    static const int ops[] = {WS_OP_CLOSE, WS_OP_PING, WS_OP_PONG};
    for (int k = 0; k < 3; k++) {
        uint8_t in[6] = {(uint8_t)ops[k], 0x80, 1, 2, 3, 4}; /* FIN = 0 */
        ws_frame_t f;
        ASSERT_EQ(ws_frame_parse(in, 1, 1, UINT64_MAX, &f), WS_FRAME_ERR_PROTOCOL);
        ASSERT_EQ(ws_frame_parse(in, 6, 1, UINT64_MAX, &f), WS_FRAME_ERR_PROTOCOL);
    }
    /* Data frames may have FIN = 0. */
    uint8_t data[6] = {WS_OP_TEXT, 0x80, 1, 2, 3, 4};
    ws_frame_t f;
    ASSERT_EQ(ws_frame_parse(data, 6, 1, UINT64_MAX, &f), 6);
    ASSERT_EQ(f.fin, 0);
}

TEST(ws_frame_parse_unmasked)
{
    static const uint8_t in[] = {0x81, 0x02, 'h', 'i'};
    ws_frame_t f;
    ASSERT_EQ(ws_frame_parse(in, sizeof in, 1, UINT64_MAX, &f), WS_FRAME_ERR_PROTOCOL);
    ASSERT_EQ(ws_frame_parse(in, 2, 1, UINT64_MAX, &f), WS_FRAME_ERR_PROTOCOL);
    ASSERT_EQ(ws_frame_parse(in, sizeof in, 0, UINT64_MAX, &f), 4);
    ASSERT_EQ(f.masked, 0);
    ASSERT_MEM_EQ(f.mask, "\0\0\0\0", 4);
    ASSERT_MEM_EQ(f.payload, "hi", 2);
}

TEST(ws_frame_parse_len64_top_bit)
{
    uint8_t in[14] = {0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    ws_frame_t f;
    ASSERT_EQ(ws_frame_parse(in, 9, 1, UINT64_MAX, &f), WS_FRAME_PARTIAL);
    ASSERT_EQ(ws_frame_parse(in, 10, 1, UINT64_MAX, &f), WS_FRAME_ERR_PROTOCOL);
    /* The largest legal length is accepted by the parser (and left to the
     * limit). */
    in[2] = 0x7F;
    memset(in + 3, 0xFF, 7);
    ASSERT_EQ(ws_frame_parse(in, 14, 1, UINT64_MAX, &f), WS_FRAME_ERR_TOO_BIG);
    ASSERT_EQ(ws_frame_parse(in, 14, 1, 1 << 20, &f), WS_FRAME_ERR_TOO_BIG);
}

TEST(ws_frame_parse_non_minimal_length)
{
    /* Length 5 written in the 16-bit and in the 64-bit form. */
    uint8_t in16[] = {0x81, 0x80 | 126, 0, 5, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
    ws_frame_t f;
    ASSERT_EQ(ws_frame_parse(in16, sizeof in16, 1, UINT64_MAX, &f), (int64_t)sizeof in16);
    ASSERT_EQ(f.header_len, 8);
    ASSERT_EQ(f.payload_len, 5);
    uint8_t in64[] = {0x81, 0x80 | 127, 0, 0, 0,   0,   0,   0,   0,  5,
                      0,    0,          0, 0, 'h', 'e', 'l', 'l', 'o'};
    ASSERT_EQ(ws_frame_parse(in64, sizeof in64, 1, UINT64_MAX, &f), (int64_t)sizeof in64);
    ASSERT_EQ(f.header_len, 14);
    ASSERT_EQ(f.payload_len, 5);
    ASSERT_MEM_EQ(f.payload, "hello", 5);
}

/* The limit is enforced as soon as the length is known: before the mask key
 * and long before the payload. */
TEST(ws_frame_parse_too_big_from_header)
{
    buf_t b = BUF_INIT;
    masked_frame(&b, WS_OP_BINARY, 1, 70000);
    ws_frame_t f;
    ASSERT_EQ(ws_frame_parse(buf_head(&b), 9, 1, 65536, &f), WS_FRAME_PARTIAL);
    ASSERT_EQ(ws_frame_parse(buf_head(&b), 10, 1, 65536, &f), WS_FRAME_ERR_TOO_BIG);
    ASSERT_EQ(ws_frame_parse(buf_head(&b), 10, 1, 70000, &f), WS_FRAME_PARTIAL);
    buf_reset(&b);
    masked_frame(&b, WS_OP_TEXT, 1, 300);
    ASSERT_EQ(ws_frame_parse(buf_head(&b), 3, 1, 299, &f), WS_FRAME_PARTIAL);
    ASSERT_EQ(ws_frame_parse(buf_head(&b), 4, 1, 299, &f), WS_FRAME_ERR_TOO_BIG);
    buf_deinit(&b);
}

/* Errors are checked in wire order: a bad first byte wins over a bad length. */
TEST(ws_frame_parse_error_order)
{
    uint8_t in[2] = {0x91, 0x7F}; /* RSV1 + unmasked + 64-bit length */
    ws_frame_t f;
    ASSERT_EQ(ws_frame_parse(in, 2, 1, 0, &f), WS_FRAME_ERR_PROTOCOL);
    uint8_t big[10] = {0x81, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0};
    ASSERT_EQ(ws_frame_parse(big, 10, 1, 10, &f), WS_FRAME_ERR_TOO_BIG);
}

/* The parser reads nothing past 'len': the input ends at an inaccessible
 * page, at every prefix length. */
TEST(ws_frame_parse_guard_page)
{
    long page = sysconf(_SC_PAGESIZE);
    uint8_t *map =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT(map != MAP_FAILED);
    ASSERT_EQ(mprotect(map + page, (size_t)page, PROT_NONE), 0);
    uint8_t *end = map + page;

    static const size_t lens[] = {0, 5, 125, 126, 300};
    for (size_t k = 0; k < 5; k++) {
        buf_t b = BUF_INIT;
        masked_frame(&b, WS_OP_TEXT, 1, lens[k]);
        for (size_t n = 0; n <= b.len; n++) {
            uint8_t *in = end - n;
            memcpy(in, buf_head(&b), n);
            ws_frame_t f;
            int64_t r = ws_frame_parse(in, n, 1, UINT64_MAX, &f);
            ASSERT_EQ(r, n == b.len ? (int64_t)b.len : WS_FRAME_PARTIAL);
            if (n == b.len) {
                ws_frame_unmask((uint8_t *)f.payload, (size_t)f.payload_len, f.mask, 0);
                for (size_t i = 0; i < lens[k]; i++) ASSERT_EQ(f.payload[i], (uint8_t)(i * 7 + 3));
            }
        }
        buf_deinit(&b);
    }
    /* Error paths at the edge too. */
    end[-1] = 0x83;
    ws_frame_t f;
    ASSERT_EQ(ws_frame_parse(end - 1, 1, 1, UINT64_MAX, &f), WS_FRAME_ERR_PROTOCOL);
    munmap(map, (size_t)page * 2);
}

/* ---- unmasking ----------------------------------------------------------- */

TEST(ws_frame_unmask_vs_bytewise)
{
    uint8_t data[300], expect[300];
    for (size_t len = 0; len <= 70; len++) {
        for (size_t off = 0; off < 8; off++) {
            for (size_t align = 0; align < 8; align++) {
                uint8_t *d = data + align;
                for (size_t i = 0; i < len; i++) d[i] = expect[i] = (uint8_t)(i * 31 + len);
                for (size_t i = 0; i < len; i++) expect[i] ^= mask_key[(off + i) % 4];
                ws_frame_unmask(d, len, mask_key, off);
                ASSERT_MEM_EQ(d, expect, len);
            }
        }
    }
}

/* Unmasking in chunks, with the running offset, equals one call. */
TEST(ws_frame_unmask_chunked)
{
    uint8_t whole[257], chunked[257];
    for (size_t i = 0; i < sizeof whole; i++) whole[i] = chunked[i] = (uint8_t)i;
    ws_frame_unmask(whole, sizeof whole, mask_key, 0);
    for (size_t chunk = 1; chunk < 40; chunk++) {
        for (size_t i = 0; i < sizeof chunked; i++) chunked[i] = (uint8_t)i;
        for (size_t at = 0; at < sizeof chunked; at += chunk) {
            size_t n = sizeof chunked - at < chunk ? sizeof chunked - at : chunk;
            ws_frame_unmask(chunked + at, n, mask_key, at);
        }
        ASSERT_MEM_EQ(chunked, whole, sizeof whole);
    }
}

/* ---- close payloads ------------------------------------------------------ */

TEST(ws_frame_close_parse_empty)
{
    uint16_t code = 0, fail = 0;
    const char *reason = NULL;
    size_t rlen = 99;
    ASSERT_EQ(ws_close_parse(NULL, 0, &code, &reason, &rlen, &fail), 0);
    ASSERT_EQ(code, WS_CLOSE_NO_STATUS);
    ASSERT_NOT_NULL(reason);
    ASSERT_EQ(rlen, 0);
}

TEST(ws_frame_close_parse_with_and_without_reason)
{
    uint16_t code = 0, fail = 0;
    const char *reason = NULL;
    size_t rlen = 99;
    ASSERT_EQ(ws_close_parse("\x03\xE8", 2, &code, &reason, &rlen, &fail), 0);
    ASSERT_EQ(code, 1000);
    ASSERT_EQ(rlen, 0);
    static const char p[] = "\x03\xE9going away \xE2\x82\xAC";
    ASSERT_EQ(ws_close_parse(p, sizeof p - 1, &code, &reason, &rlen, &fail), 0);
    ASSERT_EQ(code, 1001);
    ASSERT(reason == p + 2);
    ASSERT_EQ(rlen, sizeof p - 3);
    ASSERT_MEM_EQ(reason, "going away \xE2\x82\xAC", rlen);
    /* Out pointers are optional. */
    ASSERT_EQ(ws_close_parse(p, sizeof p - 1, NULL, NULL, NULL, NULL), 0);
}

TEST(ws_frame_close_parse_len1)
{
    uint16_t fail = 0;
    ASSERT_EQ(ws_close_parse("\x03", 1, NULL, NULL, NULL, &fail), ERR_PROTO);
    ASSERT_EQ(fail, WS_CLOSE_PROTOCOL_ERROR);
}

TEST(ws_frame_close_parse_codes)
{
    static const struct {
        unsigned code;
        int ok;
    } cases[] = {
        {0, 0},    {999, 0},  {1000, 1}, {1001, 1}, {1002, 1}, {1003, 1},  {1004, 0},
        {1005, 0}, {1006, 0}, {1007, 1}, {1011, 1}, {1014, 1}, {1015, 0},  {1016, 0},
        {2999, 0}, {3000, 1}, {4000, 1}, {4999, 1}, {5000, 0}, {65535, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t p[2] = {(uint8_t)(cases[i].code >> 8), (uint8_t)cases[i].code};
        uint16_t code = 0, fail = 0;
        int r = ws_close_parse(p, 2, &code, NULL, NULL, &fail);
        if (cases[i].ok) {
            ASSERT_EQ(r, 0);
            ASSERT_EQ(code, cases[i].code);
        } else {
            ASSERT_EQ(r, ERR_PROTO);
            ASSERT_EQ(fail, WS_CLOSE_PROTOCOL_ERROR);
        }
    }
}

TEST(ws_frame_close_parse_bad_utf8_reason)
{
    uint16_t fail = 0;
    ASSERT_EQ(ws_close_parse("\x03\xE8\xCE\xBA\xE1\xBD", 6, NULL, NULL, NULL, &fail), ERR_UTF8);
    ASSERT_EQ(fail, WS_CLOSE_INVALID_DATA);
    fail = 0;
    ASSERT_EQ(ws_close_parse("\x03\xE8\xED\xA0\x80", 5, NULL, NULL, NULL, &fail), ERR_UTF8);
    ASSERT_EQ(fail, WS_CLOSE_INVALID_DATA);
    /* A bad code is reported before a bad reason. */
    ASSERT_EQ(ws_close_parse("\x03\xED\xFF", 3, NULL, NULL, NULL, &fail), ERR_PROTO);
    ASSERT_EQ(fail, WS_CLOSE_PROTOCOL_ERROR);
}
