/* bench/subscribers: WebSocket subscribers that check and time every
 * delivery. See subscribers.h. */
#include "subscribers.h"

#include "core/buf.h"
#include "fanout.h"
#include "ws/frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sample nonce of RFC 6455 section 1.3 and its accept value: a fixed key
 * is enough for a load generator and spares a SHA-1 per connection. */
#define WS_KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

#define READ_BUF_BYTES (256 * 1024) /* the loop-wide read buffer */
#define HEAD_MAX       8192         /* longest 101 response we accept */

enum sub_state {
    SUB_IDLE,       /* not started */
    SUB_CONNECTING, /* TCP connect in progress */
    SUB_UPGRADING,  /* upgrade request sent, waiting for the 101 */
    SUB_WELCOMING,  /* upgraded, waiting for {"type":"welcome"} */
    SUB_CONFIRMING, /* subscribe sent, waiting for confirm_subscription */
    SUB_READY,      /* subscribed: counting deliveries */
    SUB_CLOSED      /* the server closed it or it failed */
};

typedef struct sub {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t upgrade_req;
    uv_write_t subscribe_req;
    buf_t carry;    /* bytes of a frame split across reads */
    uint32_t index; /* position in subs[], selects the bitmap row */
    enum sub_state state;
} sub_t;

subs_stats_t subs_stats;

static sub_t *subs;
static uint8_t *seen;      /* subscribers x seen_stride bits: seq k received by sub i */
static size_t seen_stride; /* bytes per subscriber row */
static uint32_t next_to_start, handshaking;
static char read_buf[READ_BUF_BYTES];
static buf_t upgrade_request; /* the same bytes for every subscriber */
static buf_t subscribe_frame; /* one masked frame, the same for every subscriber */

static void start_more(void);

/* ---- small parsing helpers ----------------------------------------------- */

/* Find 'key' in [p, p+len) and read the unsigned decimal after it. Returns 1
 * and sets *out, or 0 if the key or the digits are missing. */
static int find_uint(const char *p, size_t len, const char *key, uint64_t *out)
{
    size_t klen = strlen(key);
    const char *k = memmem(p, len, key, klen);
    if (!k) return 0;
    const char *d = k + klen, *end = p + len;
    uint64_t v = 0;
    int any = 0;
    while (d < end && *d >= '0' && *d <= '9') {
        v = v * 10 + (uint64_t)(*d++ - '0');
        any = 1;
    }
    *out = v;
    return any;
}

static int contains(const char *p, size_t len, const char *needle)
{
    return memmem(p, len, needle, strlen(needle)) != NULL;
}

/* ---- connection lifetime ------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h, (void)suggested;
    /* libuv hands the bytes to the read callback before reading again, so
     * one buffer serves every socket of the loop. */
    *buf = uv_buf_init(read_buf, sizeof read_buf);
}

static void sub_close(sub_t *s)
{
    if (s->state == SUB_CLOSED) return;
    if (s->state == SUB_READY) subs_stats.dropped++;
    if (s->state > SUB_IDLE && s->state < SUB_READY) handshaking--;
    s->state = SUB_CLOSED;
    if (!uv_is_closing((uv_handle_t *)&s->tcp)) uv_close((uv_handle_t *)&s->tcp, NULL);
}

static void on_sub_write(uv_write_t *req, int status)
{
    if (status < 0 && !fanout_finished) {
        sub_t *s = req->handle->data;
        fanout_fail("subscriber %u: write: %s", s->index, uv_strerror(status));
    }
}

/* ---- receiving ----------------------------------------------------------- */

static void on_data(sub_t *s, const char *p, size_t len)
{
    uint64_t t, seq;
    uint32_t r;
    if (!find_uint(p, len, "\"t\":", &t) || !find_uint(p, len, "\"seq\":", &seq) ||
        (r = fanout_round_of(seq)) >= fanout_opt.rounds) {
        subs_stats.bad++;
        return;
    }
    subs_round_t *round = &subs_stats.rounds[r];
    mono_us_t now = clock_mono_us();
    int first = round->latency.count == 0;
    hist_record(&round->latency, now > t ? now - t : 0);
    round->last_delivery = now;
    if (!round->first_t || t < round->first_t) round->first_t = t;
    if (first) fanout_on_first_delivery(r);
    uint8_t *row = seen + (size_t)s->index * seen_stride;
    uint8_t bit = (uint8_t)(1u << (seq & 7));
    if (row[seq >> 3] & bit) {
        round->dups++;
        return;
    }
    row[seq >> 3] |= bit;
    if (++round->delivered == (uint64_t)fanout_opt.subscribers * fanout_opt.round_size[r])
        fanout_on_round_delivered(r);
}

static void on_text(sub_t *s, const char *p, size_t len)
{
    switch (s->state) {
    case SUB_WELCOMING: {
        if (!contains(p, len, "\"type\":\"welcome\"")) break;
        s->state = SUB_CONFIRMING;
        uv_buf_t b = uv_buf_init(buf_head(&subscribe_frame), (unsigned)subscribe_frame.len);
        int rc = uv_write(&s->subscribe_req, (uv_stream_t *)&s->tcp, &b, 1, on_sub_write);
        if (rc < 0) fanout_fail("subscriber %u: write: %s", s->index, uv_strerror(rc));
        return;
    }
    case SUB_CONFIRMING:
        if (contains(p, len, "\"type\":\"confirm_subscription\"")) {
            s->state = SUB_READY;
            handshaking--;
            if (++subs_stats.ready == fanout_opt.subscribers)
                fanout_on_ready();
            else
                start_more();
            return;
        }
        if (contains(p, len, "\"type\":\"ping\"")) return;
        fanout_fail("subscriber %u: subscription refused: %.*s", s->index,
                    (int)(len > 200 ? 200 : len), p);
        return;
    case SUB_READY:
        if (contains(p, len, "\"message\":{")) {
            on_data(s, p, len);
            return;
        }
        if (contains(p, len, "\"type\":\"ping\"")) return;
        break;
    default:
        break;
    }
    if (contains(p, len, "\"type\":\"disconnect\"")) {
        fprintf(stderr, "fanout: subscriber %u: %.*s\n", s->index, (int)(len > 200 ? 200 : len), p);
        if (s->state != SUB_READY) {
            fanout_fail("subscriber %u: disconnected during the handshake", s->index);
            return;
        }
        sub_close(s);
    }
}

/* Parse what is in [p, p+len). Returns the bytes consumed, or -1 when the
 * subscriber was closed. */
static ssize_t sub_parse(sub_t *s, const char *p, size_t len)
{
    size_t used = 0;
    if (s->state == SUB_UPGRADING) {
        const char *end = memmem(p, len, "\r\n\r\n", 4);
        if (!end) {
            if (len > HEAD_MAX) fanout_fail("subscriber %u: upgrade response too long", s->index);
            return fanout_finished ? -1 : 0;
        }
        size_t head = (size_t)(end - p) + 4;
        if (len < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0 || !memmem(p, head, WS_ACCEPT, 28)) {
            fanout_fail("subscriber %u: upgrade refused: %.*s", s->index,
                        (int)(head > 200 ? 200 : head), p);
            return -1;
        }
        s->state = SUB_WELCOMING;
        used = head;
    }
    while (used < len && s->state != SUB_CLOSED && !fanout_finished) {
        ws_frame_t f;
        int64_t n = ws_frame_parse(p + used, len - used, 0, (uint64_t)1 << 30, &f);
        if (n == WS_FRAME_PARTIAL) break;
        if (n < 0) {
            fanout_fail("subscriber %u: bad frame from the server (%d)", s->index, (int)n);
            return -1;
        }
        if (f.opcode == WS_OP_TEXT && f.fin) {
            on_text(s, (const char *)f.payload, (size_t)f.payload_len);
        } else if (f.opcode == WS_OP_CLOSE) {
            fprintf(stderr, "fanout: subscriber %u: close frame from the server\n", s->index);
            if (s->state != SUB_READY)
                fanout_fail("subscriber %u: closed during the handshake", s->index);
            sub_close(s);
            return -1;
        }
        /* Pings, pongs and fragments do not occur in this protocol's
         * server-to-client direction; they are skipped. */
        used += (size_t)n;
    }
    return (s->state == SUB_CLOSED || fanout_finished) ? -1 : (ssize_t)used;
}

static void on_sub_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    sub_t *s = stream->data;
    if (nread == 0) return;
    if (nread < 0) {
        if (fanout_finished) return;
        if (s->state != SUB_READY) {
            fanout_fail("subscriber %u: connection lost during the handshake: %s", s->index,
                        uv_strerror((int)nread));
            return;
        }
        fprintf(stderr, "fanout: subscriber %u: connection lost: %s\n", s->index,
                uv_strerror((int)nread));
        sub_close(s);
        return;
    }
    if (s->carry.len == 0) {
        ssize_t used = sub_parse(s, buf->base, (size_t)nread);
        if (used >= 0 && (size_t)used < (size_t)nread)
            buf_append(&s->carry, buf->base + used, (size_t)nread - (size_t)used);
    } else {
        buf_append(&s->carry, buf->base, (size_t)nread);
        ssize_t used = sub_parse(s, buf_head(&s->carry), s->carry.len);
        if (used > 0) buf_consume(&s->carry, (size_t)used);
    }
}

/* ---- connecting ---------------------------------------------------------- */

static void on_sub_connect(uv_connect_t *req, int status)
{
    sub_t *s = req->data;
    if (fanout_finished) return;
    if (status < 0) {
        fanout_fail("subscriber %u: connect: %s", s->index, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&s->tcp, 1);
    s->state = SUB_UPGRADING;
    uv_buf_t b = uv_buf_init(buf_head(&upgrade_request), (unsigned)upgrade_request.len);
    int rc = uv_write(&s->upgrade_req, (uv_stream_t *)&s->tcp, &b, 1, on_sub_write);
    if (rc == 0) rc = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_sub_read);
    if (rc < 0) fanout_fail("subscriber %u: %s", s->index, uv_strerror(rc));
}

/* Start handshakes until --connect-concurrency are in flight. */
static void start_more(void)
{
    while (!fanout_finished && next_to_start < fanout_opt.subscribers &&
           handshaking < fanout_opt.connect_concurrency) {
        sub_t *s = &subs[next_to_start];
        s->index = next_to_start++;
        uv_tcp_init(fanout_loop, &s->tcp);
        s->tcp.data = s;
        s->connect_req.data = s;
        s->state = SUB_CONNECTING;
        handshaking++;
        int rc = uv_tcp_connect(&s->connect_req, &s->tcp, (struct sockaddr *)&fanout_server_addr,
                                on_sub_connect);
        if (rc < 0) {
            fanout_fail("subscriber %u: connect: %s", s->index, uv_strerror(rc));
            return;
        }
    }
}

/* ---- public -------------------------------------------------------------- */

int subs_init(void)
{
    const fanout_options_t *o = &fanout_opt;
    seen_stride = ((size_t)o->broadcasts + 7) / 8;
    seen = calloc((size_t)o->subscribers, seen_stride);
    subs = calloc(o->subscribers, sizeof *subs);
    if (!seen || !subs) return -1;

    char id[128];
    snprintf(id, sizeof id, "{\\\"channel\\\":\\\"Chats::RoomChannel\\\",\\\"chat_room_id\\\":%ld}",
             o->room);
    buf_t cmd = BUF_INIT;
    buf_printf(&cmd, "{\"command\":\"subscribe\",\"identifier\":\"%s\"}", id);
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    ws_frame_append_masked(&subscribe_frame, WS_OP_TEXT, 1, mask, buf_head(&cmd), cmd.len);
    buf_deinit(&cmd);

    buf_printf(&upgrade_request,
               "GET /cable HTTP/1.1\r\n"
               "Host: %s:%s\r\n"
               "Upgrade: websocket\r\n"
               "Connection: Upgrade\r\n"
               "Sec-WebSocket-Key: " WS_KEY "\r\n"
               "Sec-WebSocket-Version: 13\r\n"
               "Origin: %s\r\n",
               o->host, o->port, o->origin);
    buf_puts(&upgrade_request, "Authorization: Bearer ");
    buf_puts(&upgrade_request, o->token);
    buf_puts(&upgrade_request, "\r\n\r\n");
    return 0;
}

void subs_start(void)
{
    start_more();
}

uint32_t subs_short(uint32_t round)
{
    uint32_t lo = 0, n = 0;
    for (uint32_t r = 0; r < round; r++) lo += fanout_opt.round_size[r];
    uint32_t hi = lo + fanout_opt.round_size[round];
    for (uint32_t i = 0; subs && i < fanout_opt.subscribers; i++) {
        const uint8_t *row = seen + (size_t)i * seen_stride;
        for (uint32_t seq = lo; seq < hi; seq++)
            if (!(row[seq >> 3] & (1u << (seq & 7)))) {
                n++;
                break;
            }
    }
    return n;
}

uint64_t subs_lost(uint32_t round)
{
    return (uint64_t)fanout_opt.subscribers * fanout_opt.round_size[round] -
           subs_stats.rounds[round].delivered;
}

void subs_deinit(void)
{
    for (uint32_t i = 0; subs && i < fanout_opt.subscribers; i++) buf_deinit(&subs[i].carry);
    buf_deinit(&upgrade_request);
    buf_deinit(&subscribe_frame);
    free(subs);
    free(seen);
    subs = NULL;
    seen = NULL;
}
