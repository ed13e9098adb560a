/* tests/unit/ws/test_reader.c: ws/reader message assembly.
 *
 * Most cases are scripts: an input byte stream (client frames built with
 * ws_frame_append_masked), the messages it must produce and how it must end
 * (needing more bytes, or an error with its close code). check_script runs
 * each script three ways: pushed whole, split in two at every offset, and
 * one byte at a time, draining ws_reader_next after every push; all must
 * give the same result. Cases that depend on *when* an error appears (limits
 * from the header, UTF-8 failing at the right fragment) push by hand. */
#include "test.h"

#include "core/err.h"
#include "ws/frame.h"
#include "ws/reader.h"

#define MAX_MSGS          16
#define SPLIT_EVERY_UP_TO 4096
#define SPLIT_EDGE        512
#define SPLIT_STRIDE      61

typedef struct {
    int opcode;
    const char *data;
    size_t len;
} exp_msg_t;

typedef struct {
    exp_msg_t msgs[MAX_MSGS];
    int n;
    int result;          /* 0: ends needing more bytes; else the error */
    uint16_t close_code; /* with an error */
} expect_t;

/* What one run produced. Payloads are compared against the expectation as
 * they come out (they are only valid until the next call), so a run keeps
 * just the verdict per message. */
typedef struct {
    const expect_t *e;
    int opcode[MAX_MSGS];
    size_t len[MAX_MSGS];
    int same[MAX_MSGS]; /* bytes equal to the expected message at that index */
    int n;
    int overflow;
    int result;
    uint16_t close_code;
} run_t;

static void drain(ws_reader_t *r, run_t *run)
{
    if (run->result < 0) return;
    for (;;) {
        ws_message_t m;
        uint16_t cc = 0;
        int rc = ws_reader_next(r, &m, &cc);
        if (rc == 0) return;
        if (rc < 0) {
            run->result = rc;
            run->close_code = cc;
            return;
        }
        if (run->n == MAX_MSGS) {
            run->overflow = 1;
            return;
        }
        int i = run->n++;
        run->opcode[i] = m.opcode;
        run->len[i] = m.len;
        run->same[i] = m.data != NULL && i < run->e->n && m.len == run->e->msgs[i].len &&
                       (m.len == 0 || memcmp(m.data, run->e->msgs[i].data, m.len) == 0);
    }
}

static void compare(const char *mode, size_t at, const run_t *run, const expect_t *e)
{
    if (run->overflow) TEST_FAIL_("%s %zu: more than %d messages", mode, at, MAX_MSGS);
    if (run->n != e->n) TEST_FAIL_("%s %zu: %d messages, expected %d", mode, at, run->n, e->n);
    for (int i = 0; i < e->n; i++) {
        if (run->opcode[i] != e->msgs[i].opcode || !run->same[i])
            TEST_FAIL_("%s %zu: message %d is opcode %d len %zu, expected opcode %d len %zu%s",
                       mode, at, i, run->opcode[i], run->len[i], e->msgs[i].opcode, e->msgs[i].len,
                       run->len[i] == e->msgs[i].len ? " (bytes differ)" : "");
    }
    if (run->result != e->result || (e->result && run->close_code != e->close_code))
        TEST_FAIL_("%s %zu: ended with %d (close %u), expected %d (close %u)", mode, at,
                   run->result, run->close_code, e->result, e->close_code);
}

/* Run 'in' pushed in pieces: cut at 'a' and 'b' (a <= b <= len). */
static void run_cut(const uint8_t *in, size_t len, size_t a, size_t b, size_t max_message,
                    int require_mask, const expect_t *e, run_t *run)
{
    memset(run, 0, sizeof *run);
    run->e = e;
    ws_reader_t r;
    ws_reader_init(&r, max_message, require_mask);
    ws_reader_push(&r, in, a);
    drain(&r, run);
    ws_reader_push(&r, in + a, b - a);
    drain(&r, run);
    ws_reader_push(&r, in + b, len - b);
    drain(&r, run);
    ws_reader_deinit(&r);
}

static void check_script_mask(const buf_t *input, size_t max_message, int require_mask,
                              const expect_t *e)
{
    const uint8_t *in = (const uint8_t *)buf_head(input);
    size_t len = input->len;
    run_t run;

    /* Whole. */
    run_cut(in, len, len, len, max_message, require_mask, e, &run);
    compare("whole", 0, &run, e);
    if (test_failed) return;

    /* Split in two at every offset; past SPLIT_EVERY_UP_TO bytes, at every
     * offset near either end (where headers and the last bytes are) and
     * every SPLIT_STRIDE-th offset between, so a 64 KiB frame stays a
     * fraction of a second under the sanitizers. */
    for (size_t at = 0; at <= len;
         at += (len <= SPLIT_EVERY_UP_TO || at < SPLIT_EDGE || len - at <= SPLIT_EDGE)
                   ? 1
                   : SPLIT_STRIDE) {
        run_cut(in, len, at, len, max_message, require_mask, e, &run);
        compare("split at", at, &run, e);
        if (test_failed) return;
    }

    /* One byte at a time. */
    memset(&run, 0, sizeof run);
    run.e = e;
    ws_reader_t r;
    ws_reader_init(&r, max_message, require_mask);
    for (size_t i = 0; i < len; i++) {
        ws_reader_push(&r, in + i, 1);
        drain(&r, &run);
    }
    ws_reader_deinit(&r);
    compare("one byte at a time, len", len, &run, e);
}

static void check_script(const buf_t *input, size_t max_message, const expect_t *e)
{
    check_script_mask(input, max_message, 1, e);
}

#define CHECK(...)                                                                                 \
    do {                                                                                           \
        check_script(__VA_ARGS__);                                                                 \
        if (test_failed) return;                                                                   \
    } while (0)

/* Append a masked client frame; the key changes with every frame. */
static void frame(buf_t *b, int opcode, int fin, const void *data, size_t len)
{
    static uint8_t k = 0;
    uint8_t key[4] = {(uint8_t)(0xA5 + k), (uint8_t)(0x5A ^ k), (uint8_t)(k * 3), 0xC3};
    k++;
    ws_frame_append_masked(b, opcode, fin, key, data, len);
}

/* clang-format off */
#define STR(s) s, sizeof(s) - 1
#define MSG(op, s) {op, s, sizeof(s) - 1}
/* clang-format on */

/* ---- messages ------------------------------------------------------------ */

TEST(ws_reader_single_text)
{
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_TEXT, 1, STR("Hello"));
    expect_t e = {.msgs = {MSG(WS_OP_TEXT, "Hello")}, .n = 1};
    CHECK(&in, 1 << 20, &e);
    buf_deinit(&in);
}

TEST(ws_reader_pipelined_frames)
{
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_TEXT, 1, STR("{\"command\":\"subscribe\"}"));
    frame(&in, WS_OP_BINARY, 1, STR("\x00\x01\xFF"));
    frame(&in, WS_OP_PING, 1, STR("p"));
    frame(&in, WS_OP_TEXT, 1, STR(""));
    frame(&in, WS_OP_PONG, 1, STR(""));
    frame(&in, WS_OP_CLOSE, 1, STR("\x03\xE8so long"));
    /* A trailing partial frame: the run ends needing more bytes. */
    frame(&in, WS_OP_TEXT, 1, STR("cut"));
    in.len -= 1;
    expect_t e = {.msgs = {MSG(WS_OP_TEXT, "{\"command\":\"subscribe\"}"),
                           MSG(WS_OP_BINARY, "\x00\x01\xFF"), MSG(WS_OP_PING, "p"),
                           MSG(WS_OP_TEXT, ""), MSG(WS_OP_PONG, ""),
                           MSG(WS_OP_CLOSE, "\x03\xE8so long")},
                  .n = 6};
    CHECK(&in, 1 << 20, &e);
    buf_deinit(&in);
}

/* Payload lengths at each header-form boundary, through
 * ws_frame_append_masked and back, fed whole, at every split and bytewise.
 * The 64 KiB cases are one test per opcode: each is 65 thousand runs. */
static void roundtrip_length(int opcode, size_t len)
{
    char *data = malloc(len + 1);
    for (size_t i = 0; i < len; i++) data[i] = (char)('a' + i % 26);
    buf_t in = BUF_INIT;
    frame(&in, opcode, 1, data, len);
    expect_t e = {.msgs = {{opcode, data, len}}, .n = 1};
    check_script(&in, 65536, &e);
    buf_deinit(&in);
    free(data);
}

TEST(ws_reader_length_0)
{
    roundtrip_length(WS_OP_TEXT, 0);
    if (!test_failed) roundtrip_length(WS_OP_BINARY, 0);
}

TEST(ws_reader_length_125)
{
    roundtrip_length(WS_OP_TEXT, 125);
    if (!test_failed) roundtrip_length(WS_OP_BINARY, 125);
}

TEST(ws_reader_length_126)
{
    roundtrip_length(WS_OP_TEXT, 126);
    if (!test_failed) roundtrip_length(WS_OP_BINARY, 126);
}

TEST(ws_reader_length_65535_text)
{
    roundtrip_length(WS_OP_TEXT, 65535);
}

TEST(ws_reader_length_65535_binary)
{
    roundtrip_length(WS_OP_BINARY, 65535);
}

TEST(ws_reader_length_65536_text)
{
    roundtrip_length(WS_OP_TEXT, 65536);
}

TEST(ws_reader_length_65536_binary)
{
    roundtrip_length(WS_OP_BINARY, 65536);
}

TEST(ws_reader_fragmented_text)
{
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_TEXT, 0, STR("Hel"));
    frame(&in, WS_OP_CONT, 0, STR(""));
    frame(&in, WS_OP_CONT, 0, STR("lo, "));
    frame(&in, WS_OP_CONT, 1, STR("world"));
    frame(&in, WS_OP_BINARY, 0, STR("\x01"));
    frame(&in, WS_OP_CONT, 1, STR("\x02"));
    expect_t e = {.msgs = {MSG(WS_OP_TEXT, "Hello, world"), MSG(WS_OP_BINARY, "\x01\x02")}, .n = 2};
    CHECK(&in, 1 << 20, &e);
    buf_deinit(&in);
}

TEST(ws_reader_fragmented_empty)
{
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_TEXT, 0, STR(""));
    frame(&in, WS_OP_CONT, 1, STR(""));
    expect_t e = {.msgs = {MSG(WS_OP_TEXT, "")}, .n = 1};
    CHECK(&in, 1 << 20, &e);

    ws_reader_t r;
    ws_reader_init(&r, 100, 1);
    ws_reader_push(&r, buf_head(&in), in.len);
    ws_message_t m;
    uint16_t cc;
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), 1);
    ASSERT_NOT_NULL(m.data);
    ASSERT_EQ(m.len, 0);
    ws_reader_deinit(&r);
    buf_deinit(&in);
}

TEST(ws_reader_ping_between_fragments)
{
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_TEXT, 0, STR("Hel"));
    frame(&in, WS_OP_PING, 1, STR("are you there"));
    frame(&in, WS_OP_CONT, 0, STR("lo"));
    frame(&in, WS_OP_PONG, 1, STR(""));
    frame(&in, WS_OP_CONT, 1, STR("!"));
    expect_t e = {
        .msgs = {MSG(WS_OP_PING, "are you there"), MSG(WS_OP_PONG, ""), MSG(WS_OP_TEXT, "Hello!")},
        .n = 3};
    CHECK(&in, 1 << 20, &e);
    buf_deinit(&in);
}

TEST(ws_reader_close_between_fragments)
{
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_TEXT, 0, STR("Hel"));
    frame(&in, WS_OP_CLOSE, 1, STR("\x03\xE9"));
    expect_t e = {.msgs = {MSG(WS_OP_CLOSE, "\x03\xE9")}, .n = 1};
    CHECK(&in, 1 << 20, &e);
    buf_deinit(&in);
}

TEST(ws_reader_unmasked_allowed_when_not_required)
{
    buf_t in = BUF_INIT;
    buf_append(&in, "\x81\x02hi\x89\x00", 6);
    expect_t e = {.msgs = {MSG(WS_OP_TEXT, "hi"), MSG(WS_OP_PING, "")}, .n = 2};
    check_script_mask(&in, 1 << 20, 0, &e);
    buf_deinit(&in);
}

/* ---- protocol errors ----------------------------------------------------- */

static const expect_t proto_error = {.result = ERR_PROTO, .close_code = WS_CLOSE_PROTOCOL_ERROR};

TEST(ws_reader_control_over_125)
{
    char big[126];
    memset(big, 'x', sizeof big);
    static const int ops[] = {WS_OP_PING, WS_OP_PONG, WS_OP_CLOSE};
    for (int k = 0; k < 3; k++) {
        buf_t in = BUF_INIT;
        frame(&in, ops[k], 1, big, 126);
        CHECK(&in, 1 << 20, &proto_error);
        buf_deinit(&in);
    }
    /* 125 is the limit and is fine. */
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_PING, 1, big, 125);
    expect_t e = {.msgs = {{WS_OP_PING, big, 125}}, .n = 1};
    CHECK(&in, 1 << 20, &e);
    buf_deinit(&in);
}

TEST(ws_reader_fragmented_control)
{
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_PING, 0, STR("a"));
    frame(&in, WS_OP_CONT, 1, STR("b"));
    CHECK(&in, 1 << 20, &proto_error);
    buf_deinit(&in);
}

TEST(ws_reader_reserved_bits)
{
    for (int bit = 0x10; bit <= 0x40; bit <<= 1) {
        buf_t in = BUF_INIT;
        frame(&in, WS_OP_TEXT, 1, STR("ok"));
        frame(&in, WS_OP_TEXT, 1, STR("rsv"));
        buf_head(&in)[8] |= (char)bit; /* first byte of the second frame */
        expect_t e = proto_error;
        e.msgs[0] = (exp_msg_t)MSG(WS_OP_TEXT, "ok");
        e.n = 1;
        CHECK(&in, 1 << 20, &e);
        buf_deinit(&in);
    }
}

TEST(ws_reader_reserved_opcodes)
{
    static const int ops[] = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        buf_t in = BUF_INIT;
        frame(&in, ops[k], 1, STR("x"));
        CHECK(&in, 1 << 20, &proto_error);
        buf_deinit(&in);
    }
}

TEST(ws_reader_unmasked_client_frame)
{
    buf_t in = BUF_INIT;
    buf_append(&in, "\x81\x02hi", 4);
    CHECK(&in, 1 << 20, &proto_error);
    buf_deinit(&in);
}

TEST(ws_reader_len64_top_bit)
{
    buf_t in = BUF_INIT;
    buf_append(&in, "\x82\xFF\x80\x00\x00\x00\x00\x00\x00\x01\x01\x02\x03\x04", 14);
    CHECK(&in, SIZE_MAX, &proto_error);
    buf_deinit(&in);
}

TEST(ws_reader_continuation_without_start)
{
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_CONT, 1, STR("orphan"));
    CHECK(&in, 1 << 20, &proto_error);
    buf_reset(&in);
    /* Also right after a complete message. */
    frame(&in, WS_OP_TEXT, 0, STR("a"));
    frame(&in, WS_OP_CONT, 1, STR("b"));
    frame(&in, WS_OP_CONT, 1, STR("c"));
    expect_t e = proto_error;
    e.msgs[0] = (exp_msg_t)MSG(WS_OP_TEXT, "ab");
    e.n = 1;
    CHECK(&in, 1 << 20, &e);
    buf_deinit(&in);
}

TEST(ws_reader_text_while_fragmented)
{
    for (int op = WS_OP_TEXT; op <= WS_OP_BINARY; op++) {
        buf_t in = BUF_INIT;
        frame(&in, WS_OP_TEXT, 0, STR("first"));
        frame(&in, op, 1, STR("second"));
        CHECK(&in, 1 << 20, &proto_error);
        buf_deinit(&in);
    }
}

/* ---- close frames -------------------------------------------------------- */

/* Read one close frame with 'payload' and apply ws_close_parse to it. */
static void read_close(const void *payload, size_t len, int expect_rc, uint16_t expect_code)
{
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_CLOSE, 1, payload, len);
    ws_reader_t r;
    ws_reader_init(&r, 1 << 20, 1);
    ws_reader_push(&r, buf_head(&in), in.len);
    buf_deinit(&in);
    ws_message_t m;
    uint16_t cc = 0, code = 0, fail = 0;
    int rc = ws_reader_next(&r, &m, &cc);
    if (rc != 1) {
        ws_reader_deinit(&r);
        TEST_FAIL_("ws_reader_next returned %d", rc);
    }
    const char *reason = NULL;
    size_t rlen = 0;
    int prc = ws_close_parse(m.data, m.len, &code, &reason, &rlen, &fail);
    int opcode = m.opcode;
    int reason_ok = prc != 0 || len < 2 ||
                    (rlen == len - 2 && memcmp(reason, (const char *)payload + 2, rlen) == 0);
    ws_reader_deinit(&r);
    ASSERT_EQ(opcode, WS_OP_CLOSE);
    ASSERT_EQ(prc, expect_rc);
    ASSERT_EQ(prc == 0 ? code : fail, expect_code);
    ASSERT(reason_ok);
}

#define READ_CLOSE(...)                                                                            \
    do {                                                                                           \
        read_close(__VA_ARGS__);                                                                   \
        if (test_failed) return;                                                                   \
    } while (0)

TEST(ws_reader_close_without_reason)
{
    READ_CLOSE(NULL, 0, 0, WS_CLOSE_NO_STATUS);
    READ_CLOSE(STR("\x03\xE8"), 0, WS_CLOSE_NORMAL);
}

TEST(ws_reader_close_with_reason)
{
    READ_CLOSE(STR("\x03\xE9server going down"), 0, WS_CLOSE_GOING_AWAY);
    READ_CLOSE(STR("\x0F\xA0\xE2\x82\xAC"), 0, 4000);
}

TEST(ws_reader_close_len1)
{
    READ_CLOSE(STR("\x03"), ERR_PROTO, WS_CLOSE_PROTOCOL_ERROR);
}

TEST(ws_reader_close_bad_codes)
{
    READ_CLOSE(STR("\x03\xED"), ERR_PROTO, WS_CLOSE_PROTOCOL_ERROR); /* 1005 */
    READ_CLOSE(STR("\x03\xE7"), ERR_PROTO, WS_CLOSE_PROTOCOL_ERROR); /* 999 */
    READ_CLOSE(STR("\x0B\xB7"), ERR_PROTO, WS_CLOSE_PROTOCOL_ERROR); /* 2999 */
    READ_CLOSE(STR("\x13\x88"), ERR_PROTO, WS_CLOSE_PROTOCOL_ERROR); /* 5000 */
    READ_CLOSE(STR("\x03\xEE"), ERR_PROTO, WS_CLOSE_PROTOCOL_ERROR); /* 1006 */
}

TEST(ws_reader_close_reason_invalid_utf8)
{
    READ_CLOSE(STR("\x03\xE8\xFF"), ERR_UTF8, WS_CLOSE_INVALID_DATA);
    READ_CLOSE(STR("\x03\xE8xyz\xC3"), ERR_UTF8, WS_CLOSE_INVALID_DATA);
}

/* ---- UTF-8 --------------------------------------------------------------- */

static const expect_t utf8_error = {.result = ERR_UTF8, .close_code = WS_CLOSE_INVALID_DATA};

TEST(ws_reader_invalid_utf8_text)
{
    static const char *bad[] = {"\xC0\x80",         "\xE0\x80\x80", "\xED\xA0\x80",
                                "\xF4\x90\x80\x80", "abc\xFF",      "\xE2\x82"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        buf_t in = BUF_INIT;
        frame(&in, WS_OP_TEXT, 1, bad[k], strlen(bad[k]));
        CHECK(&in, 1 << 20, &utf8_error);
        buf_deinit(&in);
    }
    /* The same bytes are fine in a binary message. */
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_BINARY, 1, STR("\xFF"));
    expect_t e = {.msgs = {MSG(WS_OP_BINARY, "\xFF")}, .n = 1};
    CHECK(&in, 1 << 20, &e);
    buf_deinit(&in);
}

TEST(ws_reader_utf8_split_across_fragments_valid)
{
    /* "€" (E2 82 AC) and "😀" (F0 9F 98 80) cut inside the sequences. */
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_TEXT, 0, STR("a\xE2"));
    frame(&in, WS_OP_CONT, 0, STR("\x82"));
    frame(&in, WS_OP_CONT, 0, STR("\xACz\xF0\x9F"));
    frame(&in, WS_OP_PING, 1, STR(""));
    frame(&in, WS_OP_CONT, 1, STR("\x98\x80"));
    expect_t e = {.msgs = {MSG(WS_OP_PING, ""), MSG(WS_OP_TEXT, "a\xE2\x82\xACz\xF0\x9F\x98\x80")},
                  .n = 2};
    CHECK(&in, 1 << 20, &e);
    buf_deinit(&in);
}

/* The message fails at the fragment whose bytes prove it invalid, before
 * the rest of the message arrives. */
TEST(ws_reader_utf8_split_across_fragments_invalid)
{
    buf_t f1 = BUF_INIT, f2 = BUF_INIT, f3 = BUF_INIT;
    frame(&f1, WS_OP_TEXT, 0, STR("a\xED"));    /* could still be U+D000..U+D7FF */
    frame(&f2, WS_OP_CONT, 0, STR("\xA0\x80")); /* a surrogate: invalid now */
    frame(&f3, WS_OP_CONT, 1, STR("z"));

    ws_reader_t r;
    ws_reader_init(&r, 1 << 20, 1);
    ws_message_t m;
    uint16_t cc = 0;
    ws_reader_push(&r, buf_head(&f1), f1.len);
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), 0);
    ws_reader_push(&r, buf_head(&f2), f2.len);
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), ERR_UTF8);
    ASSERT_EQ(cc, WS_CLOSE_INVALID_DATA);
    ws_reader_deinit(&r);

    /* And as a script, with the last fragment present. */
    buf_append(&f1, buf_head(&f2), f2.len);
    buf_append(&f1, buf_head(&f3), f3.len);
    CHECK(&f1, 1 << 20, &utf8_error);
    buf_deinit(&f1);
    buf_deinit(&f2);
    buf_deinit(&f3);
}

/* Valid so far at every fragment, but cut short at FIN. */
TEST(ws_reader_utf8_truncated_at_fin)
{
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_TEXT, 0, STR("ok \xE2\x82"));
    frame(&in, WS_OP_CONT, 1, STR(""));
    CHECK(&in, 1 << 20, &utf8_error);
    buf_deinit(&in);
}

/* ---- limits -------------------------------------------------------------- */

static const expect_t too_big = {.result = ERR_TOO_BIG, .close_code = WS_CLOSE_TOO_BIG};

/* Only the header of an oversized frame is pushed: the error must come
 * without the payload. */
TEST(ws_reader_too_big_from_header)
{
    uint8_t header[10];
    ws_reader_t r;
    ws_message_t m;
    uint16_t cc = 0;

    /* 16-bit length: 1001 > 1000, detected after 4 bytes (no mask key yet). */
    ws_reader_init(&r, 1000, 1);
    size_t hl = ws_frame_header_encode(header, WS_OP_TEXT, 1, 1001);
    header[1] |= 0x80;
    ws_reader_push(&r, header, hl - 1);
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), 0);
    ws_reader_push(&r, header + hl - 1, 1);
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), ERR_TOO_BIG);
    ASSERT_EQ(cc, WS_CLOSE_TOO_BIG);
    ws_reader_deinit(&r);

    /* 64-bit length of 4 GiB. */
    ws_reader_init(&r, 1 << 20, 1);
    hl = ws_frame_header_encode(header, WS_OP_BINARY, 1, UINT64_C(1) << 32);
    header[1] |= 0x80;
    ws_reader_push(&r, header, hl);
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), ERR_TOO_BIG);
    ASSERT_EQ(cc, WS_CLOSE_TOO_BIG);
    ws_reader_deinit(&r);
}

/* The limit applies to the sum of the fragments, and the fragment that
 * would cross it is refused from its header. */
TEST(ws_reader_too_big_fragmented)
{
    char data[600];
    memset(data, 'q', sizeof data);
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_TEXT, 0, data, 600);
    frame(&in, WS_OP_PING, 1, STR(""));
    size_t before = in.len;
    frame(&in, WS_OP_CONT, 1, data, 401);

    ws_reader_t r;
    ws_reader_init(&r, 1000, 1);
    ws_message_t m;
    uint16_t cc = 0;
    ws_reader_push(&r, buf_head(&in), before + 4); /* up to the 16-bit length */
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), 1);
    ASSERT_EQ(m.opcode, WS_OP_PING);
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), ERR_TOO_BIG);
    ASSERT_EQ(cc, WS_CLOSE_TOO_BIG);
    ws_reader_deinit(&r);

    expect_t e = too_big;
    e.msgs[0] = (exp_msg_t)MSG(WS_OP_PING, "");
    e.n = 1;
    CHECK(&in, 1000, &e);

    /* Exactly the limit is fine. */
    buf_reset(&in);
    frame(&in, WS_OP_TEXT, 0, data, 600);
    frame(&in, WS_OP_CONT, 1, data, 400);
    expect_t ok = {.msgs = {{WS_OP_TEXT, data, 1000}}, .n = 1};
    char whole[1000];
    memset(whole, 'q', sizeof whole);
    ok.msgs[0].data = whole;
    CHECK(&in, 1000, &ok);
    buf_deinit(&in);
}

TEST(ws_reader_too_big_single_frame)
{
    char data[101];
    memset(data, 'x', sizeof data);
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_BINARY, 1, data, 100);
    frame(&in, WS_OP_BINARY, 1, data, 101);
    expect_t e = too_big;
    e.msgs[0] = (exp_msg_t){WS_OP_BINARY, data, 100};
    e.n = 1;
    CHECK(&in, 100, &e);
    buf_deinit(&in);
}

/* ---- reader state -------------------------------------------------------- */

TEST(ws_reader_error_is_sticky)
{
    ws_reader_t r;
    ws_reader_init(&r, 1 << 20, 1);
    ws_message_t m;
    uint16_t cc = 0;
    ws_reader_push(&r, "\x81\x02hi", 4); /* unmasked */
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), ERR_PROTO);
    ASSERT_EQ(cc, WS_CLOSE_PROTOCOL_ERROR);

    buf_t in = BUF_INIT;
    frame(&in, WS_OP_TEXT, 1, STR("valid"));
    ws_reader_push(&r, buf_head(&in), in.len);
    cc = 0;
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), ERR_PROTO);
    ASSERT_EQ(cc, WS_CLOSE_PROTOCOL_ERROR);
    cc = 0;
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), ERR_PROTO);
    ASSERT_EQ(cc, WS_CLOSE_PROTOCOL_ERROR);
    /* Input after the error is not buffered. */
    ASSERT_EQ(r._in.len, 0);
    ws_reader_deinit(&r);
    buf_deinit(&in);
}

/* An unfragmented frame is returned from the input buffer itself, and small
 * pipelined frames are consumed without moving the buffer. */
TEST(ws_reader_in_place_no_copy)
{
    buf_t in = BUF_INIT;
    for (int i = 0; i < 100; i++) frame(&in, WS_OP_TEXT, 1, STR("{\"type\":\"ping\"}"));
    ws_reader_t r;
    ws_reader_init(&r, 1 << 20, 1);
    ws_reader_push(&r, buf_head(&in), in.len);
    const char *storage = r._in.data;
    ws_message_t m;
    uint16_t cc;
    const char *prev = NULL;
    for (int i = 0; i < 100; i++) {
        ASSERT_EQ(ws_reader_next(&r, &m, &cc), 1);
        ASSERT_EQ(m.len, 15);
        ASSERT_MEM_EQ(m.data, "{\"type\":\"ping\"}", 15);
        ASSERT(m.data >= storage && m.data + m.len <= storage + r._in.cap);
        ASSERT(r._in.data == storage);
        ASSERT(prev == NULL || m.data > prev);
        prev = m.data;
    }
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), 0);
    ws_reader_deinit(&r);
    buf_deinit(&in);
}

/* A large message grows the buffers; once it has been handed out they are
 * released rather than kept for the life of the connection. */
TEST(ws_reader_large_buffers_released)
{
    size_t n = 1 << 20;
    char *data = malloc(n);
    memset(data, 'm', n);
    buf_t in = BUF_INIT;
    frame(&in, WS_OP_BINARY, 0, data, n / 2);
    frame(&in, WS_OP_CONT, 1, data, n / 2);
    frame(&in, WS_OP_TEXT, 1, data, n);
    ws_reader_t r;
    ws_reader_init(&r, n, 1);
    ws_reader_push(&r, buf_head(&in), in.len);
    ws_message_t m;
    uint16_t cc;
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), 1);
    ASSERT_EQ(m.opcode, WS_OP_BINARY);
    ASSERT_EQ(m.len, n);
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), 1);
    ASSERT_EQ(m.opcode, WS_OP_TEXT);
    ASSERT_EQ(m.len, n);
    ASSERT_EQ(ws_reader_next(&r, &m, &cc), 0);
    ASSERT_EQ(r._in.cap, 0);
    ASSERT_EQ(r._msg.cap, 0);
    ws_reader_deinit(&r);
    buf_deinit(&in);
    free(data);
}
