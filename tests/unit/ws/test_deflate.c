/* tests/unit/ws/test_deflate.c: permessage-deflate (ws/deflate, and the
 * reader and frame codec with it).
 *
 * The offer parser is a table of Sec-WebSocket-Extensions values and the
 * agreement each must give (or none), after RFC 7692 sections 5 and 7.1.
 * The codec is checked against zlib directly: our frames inflate to the
 * text, client messages compressed with zlib inflate back, with and without
 * context takeover, and the limits hold: a bomb stops one step past
 * max_out, garbage and data after a final block are refused. The reader
 * takes compressed messages whole, split at every offset and a byte at a
 * time, fragmented, and refuses RSV1 where RFC 7692 forbids it. The bytes
 * zlib holds per connection are measured here and printed as TAP comments
 * (docs/decisions.md quotes them). */
#include "test.h"

#include "core/err.h"
#include "ws/deflate.h"
#include "ws/frame.h"
#include "ws/reader.h"

#include <zlib.h>

/* ---- negotiation ---------------------------------------------------------------------------- */

struct offer_case {
    const char *offer;
    int accepted;
    int cnct, server_bits, client_bits, answer_server, answer_client;
    const char *response; /* the header line's value, when accepted */
};

static const struct offer_case offers[] = {
    {"permessage-deflate", 1, 0, 15, 15, 0, 0, "permessage-deflate; server_no_context_takeover"},
    {"  permessage-deflate  ", 1, 0, 15, 15, 0, 0, NULL},
    {"permessage-deflate; server_no_context_takeover", 1, 0, 15, 15, 0, 0, NULL},
    {"permessage-deflate;client_no_context_takeover", 1, 1, 15, 15, 0, 0,
     "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
    {"permessage-deflate; client_max_window_bits", 1, 0, 15, 10, 0, 1,
     "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"},
    {"permessage-deflate; client_max_window_bits=8", 1, 0, 15, 8, 0, 1, NULL},
    {"permessage-deflate; client_max_window_bits=\"12\"", 1, 0, 15, 10, 0, 1, NULL},
    {"permessage-deflate; server_max_window_bits=9", 1, 0, 9, 15, 1, 0,
     "permessage-deflate; server_no_context_takeover; server_max_window_bits=9"},
    {"permessage-deflate; server_max_window_bits = 15 ; client_max_window_bits = 9", 1, 0, 15, 9,
     1, 1, NULL},
    {"permessage-deflate; server_max_window_bits=\"1\\3\"", 1, 0, 13, 15, 1, 0, NULL},
    /* Declined offers: the next one is taken. */
    {"permessage-deflate; server_max_window_bits=8, permessage-deflate", 1, 0, 15, 15, 0, 0, NULL},
    {"permessage-deflate; foo, permessage-deflate; client_no_context_takeover", 1, 1, 15, 15, 0, 0,
     NULL},
    {"x-webkit-deflate-frame, permessage-deflate", 1, 0, 15, 15, 0, 0, NULL},
    {"foo; bar=\"a,b\", permessage-deflate", 1, 0, 15, 15, 0, 0, NULL},
    {"permessage-deflate; a=\"x,\", permessage-deflate; server_max_window_bits=10", 1, 0, 10, 15,
     1, 0, NULL},
    {",,permessage-deflate,,", 1, 0, 15, 15, 0, 0, NULL},
    /* Nothing acceptable. */
    {"", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; server_max_window_bits", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; server_max_window_bits=8", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; server_max_window_bits=16", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; server_max_window_bits=7", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; server_max_window_bits=010", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; server_max_window_bits=1O", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; server_max_window_bits=100000000000000000009", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; server_max_window_bits=\"\"", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; server_max_window_bits=\"1 0\"", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; client_max_window_bits=", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; client_max_window_bits=0", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; server_no_context_takeover; server_no_context_takeover", 0, 0, 0, 0, 0,
     0, NULL},
    {"permessage-deflate; client_no_context_takeover; client_no_context_takeover", 0, 0, 0, 0, 0,
     0, NULL},
    {"permessage-deflate; client_max_window_bits; client_max_window_bits=9", 0, 0, 0, 0, 0, 0,
     NULL},
    {"permessage-deflate; server_max_window_bits=9; server_max_window_bits=9", 0, 0, 0, 0, 0, 0,
     NULL},
    {"permessage-deflate; server_no_context_takeover=1", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; client_no_context_takeover=\"\"", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; unknown", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate;", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; ;", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate client_no_context_takeover", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; client_max_window_bits=\"10", 0, 0, 0, 0, 0, 0, NULL},
    {"Permessage-Deflate", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate; Client_No_Context_Takeover", 0, 0, 0, 0, 0, 0, NULL},
    {"x-webkit-deflate-frame", 0, 0, 0, 0, 0, 0, NULL},
    {"permessage-deflate\x01", 0, 0, 0, 0, 0, 0, NULL},
};

TEST(ws_deflate_negotiate_offers)
{
    for (size_t i = 0; i < sizeof offers / sizeof offers[0]; i++) {
        const struct offer_case *c = &offers[i];
        ws_deflate_params_t p;
        memset(&p, 0xAA, sizeof p);
        int got = ws_deflate_negotiate(c->offer, strlen(c->offer), &p);
        if (got != c->accepted) TEST_FAIL_("offer %zu \"%s\": got %d", i, c->offer, got);
        ASSERT_EQ(p.enabled, c->accepted);
        if (!c->accepted) {
            ASSERT_EQ(p.server_window_bits, 0);
            continue;
        }
        if (p.client_no_context_takeover != c->cnct || p.server_window_bits != c->server_bits ||
            p.client_window_bits != c->client_bits || p.answer_server_window != c->answer_server ||
            p.answer_client_window != c->answer_client)
            TEST_FAIL_("offer %zu \"%s\": cnct %d server %d client %d answers %d %d", i, c->offer,
                       p.client_no_context_takeover, p.server_window_bits, p.client_window_bits,
                       p.answer_server_window, p.answer_client_window);
        if (c->response) {
            buf_t b = BUF_INIT;
            ws_deflate_append_response(&b, &p);
            buf_t want = BUF_INIT;
            buf_printf(&want, "Sec-WebSocket-Extensions: %s\r\n", c->response);
            ASSERT_EQ(b.len, want.len);
            ASSERT_MEM_EQ(buf_head(&b), buf_head(&want), b.len);
            buf_deinit(&b);
            buf_deinit(&want);
        }
    }
}

/* Every prefix of an accepted offer parses without reading past it. */
TEST(ws_deflate_negotiate_every_prefix)
{
    const char *offer = "foo; a=\"b,\\\"c\", permessage-deflate; client_max_window_bits=\"9\"; "
                        "server_max_window_bits=12; client_no_context_takeover";
    size_t n = strlen(offer);
    for (size_t len = 0; len <= n; len++) {
        char *copy = malloc(len ? len : 1);
        memcpy(copy, offer, len);
        ws_deflate_params_t p;
        int got = ws_deflate_negotiate(copy, len, &p);
        ASSERT(got == 0 || got == 1);
        free(copy);
    }
    ws_deflate_params_t p;
    ASSERT_EQ(ws_deflate_negotiate(offer, n, &p), 1);
    ASSERT_EQ(p.client_window_bits, 9);
    ASSERT_EQ(p.server_window_bits, 12);
    ASSERT_EQ(p.client_no_context_takeover, 1);
}

/* ---- compressing ----------------------------------------------------------------------------- */

/* Inflate a server frame's payload as a client would: append the tail. */
static size_t client_inflate(const uint8_t *in, size_t len, int bits, char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -bits) != Z_OK) return (size_t)-1;
    uint8_t *all = malloc(len + 4);
    memcpy(all, in, len);
    memcpy(all + len, "\x00\x00\xff\xff", 4);
    z.next_in = all;
    z.avail_in = (uInt)(len + 4);
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    size_t n = cap - z.avail_out;
    inflateEnd(&z);
    free(all);
    return rc == Z_OK || rc == Z_STREAM_END ? n : (size_t)-1;
}

static char *chat_text(size_t n)
{
    static const char words[] = "{\"event\":\"newMessage\",\"data\":{\"body\":\"hello there\"}} ";
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++) s[i] = words[i % (sizeof words - 1)];
    s[n] = '\0';
    return s;
}

TEST(ws_deflate_frame_inflates_back_for_each_window)
{
    size_t sizes[] = {1, 100, 256, 4096, 70000};
    for (int bits = 9; bits <= 15; bits++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            char *text = chat_text(n);
            payload_t *f = ws_deflate_frame(WS_OP_TEXT, text, n, bits);
            if (n < 8) {
                /* Too short to shrink: the caller sends it plain. */
                ASSERT_NULL(f);
                free(text);
                continue;
            }
            ASSERT_NOT_NULL(f);
            ws_frame_t h;
            ASSERT_EQ(ws_frame_parse(f->data, f->len, WS_FRAME_ALLOW_RSV1, UINT64_MAX, &h),
                      (int64_t)f->len);
            ASSERT_EQ(h.rsv, 4);
            ASSERT_EQ(h.fin, 1);
            ASSERT_EQ(h.opcode, WS_OP_TEXT);
            ASSERT(h.payload_len < n);
            char *out = malloc(n + 16);
            ASSERT_EQ(client_inflate(h.payload, (size_t)h.payload_len, bits, out, n + 16), n);
            ASSERT_MEM_EQ(out, text, n);
            /* Each message starts from an empty window: the same input gives
             * the same bytes again (server_no_context_takeover). */
            payload_t *again = ws_deflate_frame(WS_OP_TEXT, text, n, bits);
            ASSERT_EQ(again->len, f->len);
            ASSERT_MEM_EQ(again->data, f->data, f->len);
            payload_unref(again);
            payload_unref(f);
            free(out);
            free(text);
        }
    }
    /* Random bytes do not shrink. */
    char noise[2000];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = (char)((x = x * 1103515245u + 12345u) >> 24);
    ASSERT_NULL(ws_deflate_frame(WS_OP_TEXT, noise, sizeof noise, 15));
    ws_deflate_thread_free();
}

/* ---- inflating ------------------------------------------------------------------------------- */

/* A client's compressor: one message per call, the tail removed. */
static size_t client_deflate(z_stream *z, const char *text, size_t n, uint8_t *out, size_t cap)
{
    z->next_in = (Bytef *)text;
    z->avail_in = (uInt)n;
    z->next_out = out;
    z->avail_out = (uInt)cap;
    if (deflate(z, Z_SYNC_FLUSH) != Z_OK || z->avail_in) return 0;
    return cap - z->avail_out - 4;
}

TEST(ws_inflate_context_takeover_and_memory)
{
    for (int no_takeover = 0; no_takeover <= 1; no_takeover++) {
        for (int bits = 9; bits <= 15; bits++) {
            z_stream c;
            memset(&c, 0, sizeof c);
            ASSERT_EQ(deflateInit2(&c, 6, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
            ws_inflate_t z;
            ws_inflate_init(&z, bits, no_takeover);
            ASSERT_EQ(ws_inflate_memory(&z), 0);
            const char *cmd = "{\"command\":\"subscribe\",\"identifier\":\"{\\\"channel\\\":"
                              "\\\"Chats::RoomChannel\\\",\\\"chat_room_id\\\":42}\"}";
            size_t n = strlen(cmd);
            size_t first = 0;
            size_t held = 0;
            for (int round = 0; round < 3; round++) {
                if (no_takeover) deflateReset(&c);
                uint8_t comp[512];
                size_t clen = client_deflate(&c, cmd, n, comp, sizeof comp);
                ASSERT(clen > 0);
                if (round == 0) first = clen;
                /* With the context kept, the repeat is a back-reference. */
                if (round > 0 && !no_takeover) ASSERT(clen < first / 2);
                buf_t out = BUF_INIT;
                /* In two pieces, as two fragments. */
                ASSERT_EQ(ws_inflate_feed(&z, comp, clen / 2, 0, &out, 4096), 0);
                ASSERT_EQ(ws_inflate_feed(&z, comp + clen / 2, clen - clen / 2, 1, &out, 4096), 0);
                ASSERT_EQ(out.len, n);
                ASSERT_MEM_EQ(buf_head(&out), cmd, n);
                buf_deinit(&out);
                held = ws_inflate_memory(&z);
                ws_inflate_idle(&z);
                if (no_takeover)
                    ASSERT_EQ(ws_inflate_memory(&z), 0);
                else
                    ASSERT_EQ(ws_inflate_memory(&z), held);
            }
            if (!no_takeover && (bits == 10 || bits == 15))
                printf("# inflate state with context takeover, %d-bit window: %zu bytes\n", bits,
                       held);
            /* zlib's state plus the window, and nothing else. */
            ASSERT(held >= ((size_t)1 << bits));
            ASSERT(held <= ((size_t)1 << bits) + 8192);
            ws_inflate_deinit(&z);
            ASSERT_EQ(ws_inflate_memory(&z), 0);
            deflateEnd(&c);
        }
    }
}

TEST(ws_inflate_bomb_stops_at_the_limit)
{
    size_t big = 16u << 20;
    char *zeros = calloc(1, big);
    z_stream c;
    memset(&c, 0, sizeof c);
    ASSERT_EQ(deflateInit2(&c, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&c, big) + 16;
    uint8_t *comp = malloc(cap);
    size_t clen = client_deflate(&c, zeros, big, comp, cap);
    deflateEnd(&c);
    ASSERT(clen > 0 && clen < 32768);
    for (size_t limit = 1; limit <= (1u << 20); limit *= 32) {
        ws_inflate_t z;
        ws_inflate_init(&z, 15, 0);
        buf_t out = BUF_INIT;
        ASSERT_EQ(ws_inflate_feed(&z, comp, clen, 1, &out, limit), ERR_TOO_BIG);
        ASSERT(out.len > limit);
        /* The buffer grows by doubling: at most twice the limit and a step. */
        ASSERT(out.cap <= 2 * (limit + 16384));
        buf_deinit(&out);
        ws_inflate_deinit(&z);
    }
    free(comp);
    free(zeros);
}

TEST(ws_inflate_refuses_bad_data)
{
    ws_inflate_t z;
    ws_inflate_init(&z, 15, 0);
    buf_t out = BUF_INIT;
    /* BTYPE 11 is reserved. */
    ASSERT_EQ(ws_inflate_feed(&z, "\xff\xff\xff", 3, 1, &out, 4096), ERR_DEFLATE);
    /* A stored block whose LEN and NLEN disagree. */
    buf_reset(&out);
    ASSERT_EQ(ws_inflate_feed(&z, "\x00\x05\x00\x00\x00", 5, 1, &out, 4096), ERR_DEFLATE);
    /* A whole stream with BFINAL, then more of the message: refused. The
     * final block alone is fine, and so is the next message. */
    uint8_t fin[64];
    z_stream c;
    memset(&c, 0, sizeof c);
    ASSERT_EQ(deflateInit2(&c, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    c.next_in = (Bytef *)"hello";
    c.avail_in = 5;
    c.next_out = fin;
    c.avail_out = sizeof fin;
    ASSERT_EQ(deflate(&c, Z_FINISH), Z_STREAM_END);
    size_t flen = sizeof fin - c.avail_out;
    deflateEnd(&c);
    buf_reset(&out);
    ASSERT_EQ(ws_inflate_feed(&z, fin, flen, 1, &out, 4096), 0);
    ASSERT_EQ(out.len, 5);
    ASSERT_MEM_EQ(buf_head(&out), "hello", 5);
    buf_reset(&out);
    ASSERT_EQ(ws_inflate_feed(&z, fin, flen, 0, &out, 4096), 0);
    ASSERT_EQ(ws_inflate_feed(&z, "\x00", 1, 1, &out, 4096), ERR_DEFLATE);
    buf_reset(&out);
    ASSERT_EQ(ws_inflate_feed(&z, fin, flen, 1, &out, 4096), 0);
    ASSERT_EQ(out.len, 5);
    buf_deinit(&out);
    ws_inflate_deinit(&z);
}

/* ---- the reader with deflate ---------------------------------------------------------------- */

static void masked(buf_t *b, int first_byte, const void *data, size_t len)
{
    static const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    size_t at = b->len;
    ws_frame_append_masked(b, first_byte & 0x0F, first_byte >> 7, key, data, len);
    /* The RSV bits, which the encoder never sets. */
    ((uint8_t *)buf_head(b))[at] = (uint8_t)first_byte;
}

static size_t compress_text(z_stream *c, const char *text, uint8_t *out, size_t cap, int reset)
{
    if (reset) deflateReset(c);
    return client_deflate(c, text, strlen(text), out, cap);
}

/* Feed 'in' to a reader in the pieces of 'mode': 0 whole, 1 a byte at a
 * time, k >= 2 split in two at offset k - 2. It must give the n messages
 * of 'want', then end with 'result' (0: needing more) and close 'code'. */
static void run_mode(const buf_t *in, size_t mode, size_t max, int deflate_on,
                     const char *const *want, int n, int result, uint16_t code)
{
    ws_reader_t r;
    ws_reader_init(&r, max, 1);
    if (deflate_on) ws_reader_set_deflate(&r, 15, 0);
    int got = 0, rc = 0;
    uint16_t cc = 0;
    size_t pos = 0;
    for (int piece = 0; pos < in->len && rc >= 0; piece++) {
        size_t take = mode == 0 ? in->len : mode == 1 ? 1 : piece == 0 ? mode - 2 : in->len - pos;
        ws_reader_push(&r, buf_head(in) + pos, take);
        pos += take;
        for (;;) {
            ws_message_t m;
            rc = ws_reader_next(&r, &m, &cc);
            if (rc <= 0) break;
            if (got >= n || m.len != strlen(want[got]) || memcmp(m.data, want[got], m.len) != 0) {
                ws_reader_deinit(&r);
                TEST_FAIL_("mode %zu: message %d is \"%.*s\"", mode, got, (int)m.len, m.data);
            }
            got++;
        }
    }
    ws_reader_deinit(&r);
    if (got != n) TEST_FAIL_("mode %zu: %d messages, expected %d", mode, got, n);
    if (rc != result || (result && cc != code))
        TEST_FAIL_("mode %zu: ended %d close %u, expected %d close %u", mode, rc, cc, result, code);
}

static void run_reader(const buf_t *in, size_t max, int deflate_on, const char *const *want,
                       int n, int result, uint16_t code)
{
    for (size_t mode = 0; mode < 2 + in->len && !test_failed; mode++)
        run_mode(in, mode, max, deflate_on, want, n, result, code);
}

TEST(ws_reader_inflates_whole_and_fragmented_messages)
{
    const char *a = "{\"command\":\"subscribe\",\"identifier\":\"{\\\"channel\\\":\\\"X\\\"}\"}";
    const char *b = "{\"command\":\"message\",\"identifier\":\"{\\\"channel\\\":\\\"X\\\"}\"}";
    z_stream z;
    memset(&z, 0, sizeof z);
    ASSERT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    uint8_t ca[256], cb[256];
    size_t la = compress_text(&z, a, ca, sizeof ca, 1);
    size_t lb = compress_text(&z, b, cb, sizeof cb, 0); /* refers back to 'a' */
    deflateEnd(&z);
    buf_t in = BUF_INIT;
    masked(&in, 0x80 | 0x40 | WS_OP_TEXT, ca, la);
    masked(&in, 0x80 | WS_OP_TEXT, "plain", 5);
    masked(&in, 0x40 | WS_OP_TEXT, cb, 3);
    masked(&in, 0x80 | WS_OP_PING, "p", 1);
    masked(&in, WS_OP_CONT, cb + 3, 4);
    masked(&in, 0x80 | WS_OP_CONT, cb + 7, lb - 7);
    const char *want[] = {a, "plain", "p", b};
    run_reader(&in, 4096, 1, want, 4, 0, 0);
    buf_deinit(&in);
}

TEST(ws_reader_deflate_errors)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    ASSERT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    uint8_t c[256];
    size_t l = compress_text(&z, "{\"command\":\"x\"}", c, sizeof c, 1);
    struct {
        int first_byte;
        int deflate_on;
        int result;
        uint16_t code;
    } cases[] = {
        {0x80 | 0x40 | WS_OP_TEXT, 0, ERR_PROTO, 1002},   /* RSV1 without negotiation */
        {0x80 | 0x40 | WS_OP_PING, 1, ERR_PROTO, 1002},   /* RSV1 on a control frame */
        {0x80 | 0x20 | WS_OP_TEXT, 1, ERR_PROTO, 1002},   /* RSV2 */
        {0x80 | 0x10 | WS_OP_TEXT, 1, ERR_PROTO, 1002},   /* RSV3 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_t in = BUF_INIT;
        masked(&in, cases[i].first_byte, c, l);
        run_reader(&in, 4096, cases[i].deflate_on, NULL, 0, cases[i].result, cases[i].code);
        buf_deinit(&in);
        if (test_failed) return;
    }
    /* RSV1 on a continuation. */
    buf_t in = BUF_INIT;
    masked(&in, 0x40 | WS_OP_TEXT, c, 2);
    masked(&in, 0x80 | 0x40 | WS_OP_CONT, c + 2, l - 2);
    run_reader(&in, 4096, 1, NULL, 0, ERR_PROTO, 1002);
    buf_deinit(&in);
    /* Not a deflate stream: 1007. */
    in = (buf_t)BUF_INIT;
    masked(&in, 0x80 | 0x40 | WS_OP_TEXT, "\xff\xff\xff\xff", 4);
    run_reader(&in, 4096, 1, NULL, 0, ERR_DEFLATE, 1007);
    buf_deinit(&in);
    /* Inflates to bad UTF-8: 1007. */
    in = (buf_t)BUF_INIT;
    l = compress_text(&z, "{\"a\":\"\xc3\x28\"}", c, sizeof c, 1);
    masked(&in, 0x80 | 0x40 | WS_OP_TEXT, c, l);
    run_reader(&in, 4096, 1, NULL, 0, ERR_UTF8, 1007);
    buf_deinit(&in);
    /* Inflates past max_message: 1009; the compressed size was fine. */
    in = (buf_t)BUF_INIT;
    char *zeros = calloc(1, 100000);
    memset(zeros, ' ', 99999);
    uint8_t *big = malloc(100000);
    l = compress_text(&z, zeros, big, 100000, 1);
    ASSERT(l < 1024);
    masked(&in, 0x80 | 0x40 | WS_OP_TEXT, big, l);
    run_reader(&in, 4096, 1, NULL, 0, ERR_TOO_BIG, 1009);
    buf_deinit(&in);
    free(big);
    free(zeros);
    deflateEnd(&z);
}
