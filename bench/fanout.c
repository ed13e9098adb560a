/* bench/fanout: one broadcast fanned out to N WebSocket subscribers.
 *
 * A single-process load generator on one libuv loop. It plays both sides a
 * host application sees:
 *
 *   N subscribers ──ws──▶ cabled ◀──HTTP keep-alive── publisher
 *        ▲                  │     POST /api/v1/broadcast
 *        └──── N frames ────┘     {"stream":…,"data":{"t":µs,"seq":k}}
 *
 * 1. Connect phase. Opens N connections (at most --connect-concurrency
 *    handshakes at a time, so the listen backlog never overflows), each with
 *    a hand-rolled RFC 6455 client: a fixed upgrade request, the 101 found by
 *    its "\r\n\r\n", then server frames parsed with ws/frame. After the
 *    welcome each subscribes to one Chats::RoomChannel (--room; the token's
 *    member must participate in that room, or the server rejects it and the
 *    run fails) and waits for the confirmation. The server's VmRSS is read before the first connect and
 *    after the last confirmation.
 * 2. Publish phase. M broadcasts go out over one keep-alive HTTP connection,
 *    at --rate per second (a pipeline of up to --pipeline requests keeps the
 *    schedule when a 202 is slow), or with --rate 0 as fast as the 202s come
 *    back. Each carries its CLOCK_MONOTONIC send time in microseconds and a
 *    sequence number; the server runs on the same machine, so the clock is
 *    shared.
 * 3. Every data frame a subscriber receives gives latency = now - t into a
 *    log-linear histogram, and sets bit 'seq' in that subscriber's bitmap
 *    (a bit already set is a duplicate). The run ends when every subscriber
 *    has every sequence number (plus a short linger to catch late
 *    duplicates) or at --timeout, and prints one key=value summary line.
 *    The exit status is 0 only if nothing was lost, duplicated or refused.
 *
 * Receiving allocates nothing per message: libuv reads into one loop-wide
 * buffer, frames are parsed in place, and only a frame split across reads is
 * copied into the subscriber's carry buffer, which keeps its storage. */
#include "core/buf.h"
#include "core/clock.h"
#include "ws/frame.h"

#include <uv.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The sample nonce of RFC 6455 section 1.3 and its accept value: a fixed key
 * is enough for a load generator and spares a SHA-1 per connection. */
#define WS_KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

#define READ_BUF_BYTES (256 * 1024) /* the loop-wide read buffer */
#define HEAD_MAX       8192         /* longest 101 response we accept */
#define LINGER_MS      200          /* wait for late duplicates after the last delivery */

/* ---- options ------------------------------------------------------------- */

static struct {
    char host[256];
    char port[16];
    const char *token;
    const char *origin;
    const char *app_token;
    long room;
    uint32_t subscribers;
    uint32_t broadcasts;
    double rate; /* broadcasts per second; 0 = as fast as acknowledged */
    uint32_t payload_bytes;
    uint32_t pipeline;
    uint32_t connect_concurrency;
    long server_pid;
    double timeout_s;
} opt = {
    .host = "127.0.0.1",
    .port = "8080",
    .origin = "http://localhost",
    .room = 1,
    .subscribers = 1000,
    .broadcasts = 200,
    .rate = 100,
    .pipeline = 0, /* chosen from the mode in parse_args */
    .connect_concurrency = 256,
    .timeout_s = 30,
};

/* ---- latency histogram ----------------------------------------------------
 * Values below 2048 µs have a bucket each; above, every power of two is cut
 * into 1024 buckets, so a reported percentile is within 0.1% of the truth.
 * Fixed size, no allocation while recording. */

#define HIST_SUB_BITS  10
#define HIST_LINEAR    (2u << HIST_SUB_BITS)
#define HIST_MAX_SHIFT 30 /* values up to 2^41 µs, far beyond any timeout */
#define HIST_BUCKETS   (HIST_LINEAR + HIST_MAX_SHIFT * (1u << HIST_SUB_BITS))

static uint64_t hist[HIST_BUCKETS];
static uint64_t hist_count, hist_max, hist_sum;

static size_t hist_index(uint64_t v)
{
    if (v < HIST_LINEAR) return (size_t)v;
    unsigned shift = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
    if (shift > HIST_MAX_SHIFT) return HIST_BUCKETS - 1;
    return HIST_LINEAR + (shift - 1) * (1u << HIST_SUB_BITS) +
           (size_t)((v >> shift) - (1u << HIST_SUB_BITS));
}

/* The lowest value that lands in bucket 'i'. */
static uint64_t hist_value(size_t i)
{
    if (i < HIST_LINEAR) return i;
    size_t k = i - HIST_LINEAR;
    unsigned shift = (unsigned)(k >> HIST_SUB_BITS) + 1;
    return ((uint64_t)(k & ((1u << HIST_SUB_BITS) - 1)) + (1u << HIST_SUB_BITS)) << shift;
}

static void hist_record(uint64_t v)
{
    hist[hist_index(v)]++;
    hist_count++;
    hist_sum += v;
    if (v > hist_max) hist_max = v;
}

/* The value at quantile 'q' (0..1), or 0 with no samples. */
static uint64_t hist_quantile(double q)
{
    if (!hist_count) return 0;
    uint64_t rank = (uint64_t)(q * (double)hist_count + 0.999999);
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += hist[i];
        if (seen >= rank) return hist_value(i) < hist_max ? hist_value(i) : hist_max;
    }
    return hist_max;
}

/* ---- state --------------------------------------------------------------- */

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
    uint32_t received; /* distinct sequence numbers seen */
    uint32_t dups;     /* sequence numbers seen more than once */
} sub_t;

/* One pipelined broadcast request. The bytes stay put until the write
 * completes, as uv_write requires. */
typedef struct pub_slot {
    uv_write_t req;
    char *data; /* request bytes, 'cap' long */
    size_t cap;
    int busy;
} pub_slot_t;

static uv_loop_t *loop;
static struct sockaddr_storage server_addr;

static sub_t *subs;
static uint8_t *seen;      /* subscribers x seen_stride bits: seq k received by sub i */
static size_t seen_stride; /* bytes per subscriber row */
static uint32_t next_to_start, handshaking, ready;
static char read_buf[READ_BUF_BYTES];
static buf_t upgrade_request; /* the same bytes for every subscriber */
static buf_t subscribe_frame; /* one masked frame, the same for every subscriber */

static uv_tcp_t pub_tcp;
static uv_connect_t pub_connect_req;
static pub_slot_t *pub_slots;
static buf_t pub_in; /* response bytes not yet parsed */
static char *pad;    /* --payload-bytes of 'x', NUL-terminated */
static uint32_t pub_sent, pub_acked, pub_inflight, pub_errors;
static mono_us_t *pub_sent_at;          /* send time of request k at [k % pipeline] */
static uint64_t ack_sum_us, ack_max_us; /* send to 202, over every request */
static int pub_connected;

static uv_timer_t pace_timer, deadline_timer, linger_timer;

static uint64_t delivered;  /* distinct (subscriber, seq) pairs */
static uint64_t dup_total;  /* deliveries beyond the first */
static uint64_t bad_frames; /* data frames we could not read */
static uint32_t dropped;    /* subscribers closed after subscribing */
static mono_us_t t_connect_start, t_connect_end, t_publish_start, t_last_delivery;
static long rss_before_kb = -1, rss_after_kb = -1;
static double cpu_client_start, cpu_client_end, cpu_server_start = -1, cpu_server_end = -1;
static int finished, timed_out, failed;

static void finish(void);
static void pub_start(void);
static void on_deadline(uv_timer_t *t);

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a fatal problem (a refused handshake, a lost publisher) and end the
 * run; the summary is still printed so the numbers so far are not lost. */
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fanout: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failed = 1;
    finish();
}

/* ---- small parsing helpers ----------------------------------------------- */

/* Read the unsigned decimal at [d, end). Returns 1 and sets *out, or 0 if
 * there is no digit. */
static int parse_digits(const char *d, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    int any = 0;
    while (d < end && *d >= '0' && *d <= '9') {
        v = v * 10 + (uint64_t)(*d++ - '0');
        any = 1;
    }
    *out = v;
    return any;
}

/* Find 'key' in [p, p+len) and read the unsigned decimal after it. Returns 1
 * and sets *out, or 0 if the key or the digits are missing. */
static int find_uint(const char *p, size_t len, const char *key, uint64_t *out)
{
    size_t klen = strlen(key);
    const char *k = memmem(p, len, key, klen);
    return k ? parse_digits(k + klen, p + len, out) : 0;
}

static int contains(const char *p, size_t len, const char *needle)
{
    return memmem(p, len, needle, strlen(needle)) != NULL;
}

/* CPU time (user + system) of process 'pid' in seconds, or -1. */
static double read_cpu_s(long pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    /* The command name may hold spaces and parentheses: fields are
     * counted from the last ')'. utime and stime are fields 14 and 15. */
    char *p = ok ? strrchr(line, ')') : NULL;
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long read_rss_kb(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

/* ---- subscribers --------------------------------------------------------- */

static void sub_start_more(void);

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
    if (s->state == SUB_READY) dropped++;
    if (s->state > SUB_IDLE && s->state < SUB_READY) handshaking--;
    s->state = SUB_CLOSED;
    if (!uv_is_closing((uv_handle_t *)&s->tcp)) uv_close((uv_handle_t *)&s->tcp, NULL);
}

static void on_sub_write(uv_write_t *req, int status)
{
    if (status < 0 && !finished) {
        sub_t *s = req->handle->data;
        fail("subscriber %u: write: %s", s->index, uv_strerror(status));
    }
}

static void on_linger(uv_timer_t *t)
{
    (void)t;
    finish();
}

static void on_data(sub_t *s, const char *p, size_t len)
{
    uint64_t t, seq;
    if (!find_uint(p, len, "\"t\":", &t) || !find_uint(p, len, "\"seq\":", &seq) ||
        seq >= opt.broadcasts) {
        bad_frames++;
        return;
    }
    mono_us_t now = clock_mono_us();
    hist_record(now > t ? now - t : 0);
    t_last_delivery = now;
    uint8_t *row = seen + (size_t)s->index * seen_stride;
    uint8_t bit = (uint8_t)(1u << (seq & 7));
    if (row[seq >> 3] & bit) {
        s->dups++;
        dup_total++;
        return;
    }
    row[seq >> 3] |= bit;
    s->received++;
    if (++delivered == (uint64_t)opt.subscribers * opt.broadcasts && !finished)
        uv_timer_start(&linger_timer, on_linger, LINGER_MS, 0);
}

static void on_text(sub_t *s, const char *p, size_t len)
{
    switch (s->state) {
    case SUB_WELCOMING: {
        if (!contains(p, len, "\"type\":\"welcome\"")) break;
        s->state = SUB_CONFIRMING;
        uv_buf_t b = uv_buf_init(buf_head(&subscribe_frame), (unsigned)subscribe_frame.len);
        int rc = uv_write(&s->subscribe_req, (uv_stream_t *)&s->tcp, &b, 1, on_sub_write);
        if (rc < 0) fail("subscriber %u: write: %s", s->index, uv_strerror(rc));
        return;
    }
    case SUB_CONFIRMING:
        if (contains(p, len, "\"type\":\"confirm_subscription\"")) {
            s->state = SUB_READY;
            handshaking--;
            if (++ready == opt.subscribers) {
                t_connect_end = clock_mono_us();
                if (opt.server_pid > 0) rss_after_kb = read_rss_kb(opt.server_pid);
                pub_start();
            } else {
                sub_start_more();
            }
            return;
        }
        if (contains(p, len, "\"type\":\"ping\"")) return;
        fail("subscriber %u: subscription refused: %.*s", s->index, (int)(len > 200 ? 200 : len),
             p);
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
            fail("subscriber %u: disconnected during the handshake", s->index);
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
            if (len > HEAD_MAX) fail("subscriber %u: upgrade response too long", s->index);
            return finished ? -1 : 0;
        }
        size_t head = (size_t)(end - p) + 4;
        if (len < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0 || !memmem(p, head, WS_ACCEPT, 28)) {
            fail("subscriber %u: upgrade refused: %.*s", s->index, (int)(head > 200 ? 200 : head),
                 p);
            return -1;
        }
        s->state = SUB_WELCOMING;
        used = head;
    }
    while (used < len && s->state != SUB_CLOSED && !finished) {
        ws_frame_t f;
        int64_t n = ws_frame_parse(p + used, len - used, 0, (uint64_t)1 << 30, &f);
        if (n == WS_FRAME_PARTIAL) break;
        if (n < 0) {
            fail("subscriber %u: bad frame from the server (%d)", s->index, (int)n);
            return -1;
        }
        if (f.opcode == WS_OP_TEXT && f.fin) {
            on_text(s, (const char *)f.payload, (size_t)f.payload_len);
        } else if (f.opcode == WS_OP_CLOSE) {
            fprintf(stderr, "fanout: subscriber %u: close frame from the server\n", s->index);
            if (s->state != SUB_READY) fail("subscriber %u: closed during the handshake", s->index);
            sub_close(s);
            return -1;
        }
        /* Pings, pongs and fragments do not occur in this protocol's
         * server-to-client direction; they are skipped. */
        used += (size_t)n;
    }
    return (s->state == SUB_CLOSED || finished) ? -1 : (ssize_t)used;
}

static void on_sub_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    sub_t *s = stream->data;
    if (nread == 0) return;
    if (nread < 0) {
        if (finished) return;
        if (s->state != SUB_READY) {
            fail("subscriber %u: connection lost during the handshake: %s", s->index,
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

static void on_sub_connect(uv_connect_t *req, int status)
{
    sub_t *s = req->data;
    if (finished) return;
    if (status < 0) {
        fail("subscriber %u: connect: %s", s->index, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&s->tcp, 1);
    s->state = SUB_UPGRADING;
    uv_buf_t b = uv_buf_init(buf_head(&upgrade_request), (unsigned)upgrade_request.len);
    int rc = uv_write(&s->upgrade_req, (uv_stream_t *)&s->tcp, &b, 1, on_sub_write);
    if (rc == 0) rc = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_sub_read);
    if (rc < 0) fail("subscriber %u: %s", s->index, uv_strerror(rc));
}

/* Start handshakes until --connect-concurrency are in flight. */
static void sub_start_more(void)
{
    while (!finished && next_to_start < opt.subscribers && handshaking < opt.connect_concurrency) {
        sub_t *s = &subs[next_to_start];
        s->index = next_to_start++;
        uv_tcp_init(loop, &s->tcp);
        s->tcp.data = s;
        s->connect_req.data = s;
        s->state = SUB_CONNECTING;
        handshaking++;
        int rc = uv_tcp_connect(&s->connect_req, &s->tcp, (struct sockaddr *)&server_addr,
                                on_sub_connect);
        if (rc < 0) {
            fail("subscriber %u: connect: %s", s->index, uv_strerror(rc));
            return;
        }
    }
}

/* ---- publisher ----------------------------------------------------------- */

static void pub_pump(void);
static void on_pace(uv_timer_t *t);

static void on_pub_write(uv_write_t *req, int status)
{
    pub_slot_t *slot = req->data;
    slot->busy = 0;
    if (finished) return;
    if (status < 0) {
        fail("publisher: write: %s", uv_strerror(status));
        return;
    }
    /* A 202 can be read before its request's write callback runs; the slot
     * freed now may be the one the schedule was waiting for. */
    pub_pump();
}

/* Send broadcast number pub_sent. The send time is taken as late as
 * possible: right before the bytes go to the socket. Returns 0, or -1 when
 * no request slot is free or the write failed. */
static int pub_send_one(void)
{
    pub_slot_t *slot = NULL;
    for (uint32_t i = 0; i < opt.pipeline; i++)
        if (!pub_slots[i].busy) {
            slot = &pub_slots[i];
            break;
        }
    if (!slot) return -1;
    char body[160];
    mono_us_t now = clock_mono_us();
    int blen =
        snprintf(body, sizeof body,
                 "{\"stream\":\"chat-room-%ld-channel\",\"data\":{\"t\":%" PRIu64 ",\"seq\":%u%s",
                 opt.room, (uint64_t)now, pub_sent, opt.payload_bytes ? ",\"pad\":\"" : "");
    size_t total_body = (size_t)blen + opt.payload_bytes + (opt.payload_bytes ? 3 : 2);
    int hlen = snprintf(slot->data, slot->cap,
                        "POST /api/v1/broadcast HTTP/1.1\r\n"
                        "Host: %s:%s\r\n"
                        "Authorization: Bearer %s\r\n"
                        "Content-Type: application/json\r\n"
                        "Content-Length: %zu\r\n\r\n",
                        opt.host, opt.port, opt.app_token, total_body);
    char *w = slot->data + hlen;
    memcpy(w, body, (size_t)blen);
    w += blen;
    if (opt.payload_bytes) {
        memcpy(w, pad, opt.payload_bytes);
        w += opt.payload_bytes;
        *w++ = '"';
    }
    *w++ = '}';
    *w++ = '}';
    slot->busy = 1;
    slot->req.data = slot;
    uv_buf_t b = uv_buf_init(slot->data, (unsigned)(w - slot->data));
    int rc = uv_write(&slot->req, (uv_stream_t *)&pub_tcp, &b, 1, on_pub_write);
    if (rc < 0) {
        slot->busy = 0;
        fail("publisher: write: %s", uv_strerror(rc));
        return -1;
    }
    pub_sent_at[pub_sent % opt.pipeline] = now;
    pub_sent++;
    pub_inflight++;
    return 0;
}

/* Send what the schedule allows now, and arm the pacing timer for the next
 * one. With --rate 0 the only limit is the pipeline. */
static void pub_pump(void)
{
    if (finished || !pub_connected) return;
    uint32_t due = opt.broadcasts;
    mono_us_t now = clock_mono_us();
    if (opt.rate > 0) {
        double elapsed = (double)(now - t_publish_start) / 1e6;
        double d = elapsed * opt.rate + 1;
        due = d < (double)opt.broadcasts ? (uint32_t)d : opt.broadcasts;
    }
    while (pub_sent < due && pub_inflight < opt.pipeline && !finished)
        if (pub_send_one() != 0) return;
    if (opt.rate > 0 && pub_sent < opt.broadcasts && pub_sent == due) {
        mono_us_t next = t_publish_start + (mono_us_t)((double)pub_sent * 1e6 / opt.rate);
        now = clock_mono_us();
        uint64_t wait_ms = next > now ? (next - now + 999) / 1000 : 0;
        uv_timer_start(&pace_timer, on_pace, wait_ms, 0);
    }
}

static void on_pace(uv_timer_t *t)
{
    (void)t;
    pub_pump();
}

/* Read as many complete responses as 'pub_in' holds. */
static void pub_parse(void)
{
    for (;;) {
        const char *p = buf_head(&pub_in);
        const char *end = memmem(p, pub_in.len, "\r\n\r\n", 4);
        if (!end) return;
        size_t head = (size_t)(end - p) + 4;
        int status = 0;
        if (head > 12 && memcmp(p, "HTTP/1.", 7) == 0) status = atoi(p + 9);
        uint64_t body = 0;
        const char *cl = memmem(p, head, "\r\nContent-Length:", 17);
        if (!cl) cl = memmem(p, head, "\r\ncontent-length:", 17);
        if (cl) {
            const char *d = cl + 17;
            while (*d == ' ') d++;
            parse_digits(d, end, &body);
        }
        if (pub_in.len < head + body) return;
        if (status != 202) {
            if (pub_errors++ < 3)
                fprintf(stderr, "fanout: broadcast answered %d: %.*s\n", status,
                        (int)(body > 300 ? 300 : body), p + head);
        }
        buf_consume(&pub_in, head + (size_t)body);
        /* HTTP/1.1 answers in request order, so this is request pub_acked. */
        uint64_t ack_us = clock_mono_us() - pub_sent_at[pub_acked % opt.pipeline];
        ack_sum_us += ack_us;
        if (ack_us > ack_max_us) ack_max_us = ack_us;
        pub_acked++;
        pub_inflight--;
    }
}

static void on_pub_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    (void)stream;
    if (nread == 0 || finished) return;
    if (nread < 0) {
        fail("publisher: connection lost: %s", uv_strerror((int)nread));
        return;
    }
    buf_append(&pub_in, buf->base, (size_t)nread);
    pub_parse();
    if (pub_errors && pub_acked == opt.broadcasts && !finished) {
        /* Refused broadcasts will never be delivered: no point waiting. */
        finish();
        return;
    }
    pub_pump();
}

static void on_pub_connect(uv_connect_t *req, int status)
{
    (void)req;
    if (finished) return;
    if (status < 0) {
        fail("publisher: connect: %s", uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&pub_tcp, 1);
    int rc = uv_read_start((uv_stream_t *)&pub_tcp, on_alloc, on_pub_read);
    if (rc < 0) {
        fail("publisher: %s", uv_strerror(rc));
        return;
    }
    pub_connected = 1;
    cpu_client_start = self_cpu_s();
    if (opt.server_pid > 0) cpu_server_start = read_cpu_s(opt.server_pid);
    t_publish_start = clock_mono_us();
    uv_timer_start(&deadline_timer, on_deadline, (uint64_t)(opt.timeout_s * 1000), 0);
    pub_pump();
}

/* All subscribers are in: open the publisher connection. A fresh one, so an
 * idle keep-alive connection cannot have been dropped meanwhile. */
static void pub_start(void)
{
    uv_timer_stop(&deadline_timer);
    uv_tcp_init(loop, &pub_tcp);
    int rc =
        uv_tcp_connect(&pub_connect_req, &pub_tcp, (struct sockaddr *)&server_addr, on_pub_connect);
    if (rc < 0) fail("publisher: connect: %s", uv_strerror(rc));
}

/* ---- end of run ---------------------------------------------------------- */

static void on_deadline(uv_timer_t *t)
{
    (void)t;
    timed_out = 1;
    if (ready < opt.subscribers)
        fprintf(stderr, "fanout: timeout: %u of %u subscribers ready\n", ready, opt.subscribers);
    else
        fprintf(stderr, "fanout: timeout: %" PRIu64 " of %" PRIu64 " deliveries\n", delivered,
                (uint64_t)opt.subscribers * opt.broadcasts);
    finish();
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (uv_is_closing(h)) return;
    /* A reset instead of FIN: thousands of sockets in TIME_WAIT on our side
     * would eat the ephemeral ports of the next run. */
    if (h->type == UV_TCP && uv_tcp_close_reset((uv_tcp_t *)h, NULL) == 0) return;
    uv_close(h, NULL);
}

static void print_summary(void)
{
    uint64_t expected = (uint64_t)opt.subscribers * opt.broadcasts;
    uint64_t lost = expected - delivered;
    uint32_t short_subs = 0;
    for (uint32_t i = 0; i < opt.subscribers; i++)
        if (subs[i].received < opt.broadcasts) short_subs++;
    mono_us_t end = t_last_delivery > t_publish_start ? t_last_delivery : t_publish_start;
    double secs = t_publish_start ? (double)(end - t_publish_start) / 1e6 : 0;
    uint64_t deliveries = delivered + dup_total;
    char rate[32];
    if (opt.rate > 0)
        snprintf(rate, sizeof rate, "%g/s", opt.rate);
    else
        snprintf(rate, sizeof rate, "max");
    printf("fanout subscribers=%u broadcasts=%u rate=%s payload_bytes=%u pipeline=%u "
           "deliveries=%" PRIu64 " duration_s=%.3f deliveries_per_s=%.0f broadcasts_per_s=%.1f "
           "p50_us=%" PRIu64 " p90_us=%" PRIu64 " p99_us=%" PRIu64 " p999_us=%" PRIu64
           " max_us=%" PRIu64 " mean_us=%.0f lost=%" PRIu64 " dup=%" PRIu64
           " ack_mean_us=%.0f ack_max_us=%" PRIu64
           " short_subscribers=%u dropped=%u refused=%u bad=%" PRIu64 " connect_s=%.3f",
           opt.subscribers, opt.broadcasts, rate, opt.payload_bytes, opt.pipeline, deliveries, secs,
           secs > 0 ? (double)deliveries / secs : 0, secs > 0 ? (double)pub_acked / secs : 0,
           hist_quantile(0.50), hist_quantile(0.90), hist_quantile(0.99), hist_quantile(0.999),
           hist_max, hist_count ? (double)hist_sum / (double)hist_count : 0, lost, dup_total,
           pub_acked ? (double)ack_sum_us / pub_acked : 0, ack_max_us, short_subs, dropped,
           pub_errors, bad_frames,
           t_connect_end ? (double)(t_connect_end - t_connect_start) / 1e6 : 0);
    if (t_publish_start) printf(" client_cpu_s=%.2f", cpu_client_end - cpu_client_start);
    if (cpu_server_start >= 0 && cpu_server_end >= 0)
        printf(" server_cpu_s=%.2f", cpu_server_end - cpu_server_start);
    if (rss_before_kb >= 0 && rss_after_kb >= 0)
        printf(" rss_before_kb=%ld rss_after_kb=%ld rss_per_conn_bytes=%.0f", rss_before_kb,
               rss_after_kb, (double)(rss_after_kb - rss_before_kb) * 1024.0 / opt.subscribers);
    printf("%s\n", timed_out ? " timeout=1" : "");
    fflush(stdout);
    if (lost || dup_total || pub_errors || bad_frames || failed || timed_out) failed = 1;
}

/* Print the summary once and close every handle; uv_run then returns. */
static void finish(void)
{
    if (finished) return;
    finished = 1;
    cpu_client_end = self_cpu_s();
    if (opt.server_pid > 0) cpu_server_end = read_cpu_s(opt.server_pid);
    print_summary();
    uv_walk(loop, close_walk, NULL);
}

/* ---- options ------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs(
        "usage: bench_fanout --token TOKEN --app-token TOKEN [options]\n"
        "  --url HOST:PORT          the server (127.0.0.1:8080); ws:// or http:// prefix allowed\n"
        "  --token TOKEN            member access token the subscribers connect with\n"
        "  --origin ORIGIN          Origin header (http://localhost)\n"
        "  --app-token TOKEN        app token for POST /api/v1/broadcast\n"
        "  --room ID                Chats::RoomChannel chat_room_id to subscribe to; the token's\n"
        "                           member must participate in it (1)\n"
        "  --subscribers N          WebSocket connections (1000)\n"
        "  --broadcasts M           broadcasts to publish (200)\n"
        "  --rate R                 broadcasts per second; 0 = as fast as 202s return (100)\n"
        "  --pipeline P             most requests in flight (64 with a rate, 1 with --rate 0)\n"
        "  --payload-bytes B        pad each broadcast's data with a string of B bytes (0)\n"
        "  --server-pid PID         report the server's RSS growth per connection\n"
        "  --connect-concurrency C  handshakes in flight while connecting (256)\n"
        "  --timeout S              give up S seconds into a phase (30)\n",
        f);
}

static int parse_u32(const char *name, const char *v, uint32_t min, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || end == v || n < min || n > UINT32_MAX / 2) {
        fprintf(stderr, "fanout: --%s: expected an integer >= %u, got \"%s\"\n", name, min, v);
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

static int parse_url(const char *v)
{
    if (strncmp(v, "ws://", 5) == 0)
        v += 5;
    else if (strncmp(v, "http://", 7) == 0)
        v += 7;
    const char *colon = strrchr(v, ':');
    size_t hlen = colon ? (size_t)(colon - v) : strlen(v);
    if (!colon || hlen == 0 || hlen >= sizeof opt.host) return -1;
    memcpy(opt.host, v, hlen);
    opt.host[hlen] = '\0';
    size_t plen = strcspn(colon + 1, "/");
    if (plen == 0 || plen >= sizeof opt.port) return -1;
    memcpy(opt.port, colon + 1, plen);
    opt.port[plen] = '\0';
    return 0;
}

static int parse_args(int argc, char **argv)
{
    enum {
        O_URL = 256,
        O_TOKEN,
        O_ORIGIN,
        O_APP,
        O_ROOM,
        O_SUBS,
        O_BCAST,
        O_RATE,
        O_PIPE,
        O_PAD,
        O_PID,
        O_CONC,
        O_TIMEOUT,
        O_HELP
    };
    static const struct option longopts[] = {
        {"url", required_argument, NULL, O_URL},
        {"token", required_argument, NULL, O_TOKEN},
        {"origin", required_argument, NULL, O_ORIGIN},
        {"app-token", required_argument, NULL, O_APP},
        {"room", required_argument, NULL, O_ROOM},
        {"subscribers", required_argument, NULL, O_SUBS},
        {"broadcasts", required_argument, NULL, O_BCAST},
        {"rate", required_argument, NULL, O_RATE},
        {"pipeline", required_argument, NULL, O_PIPE},
        {"payload-bytes", required_argument, NULL, O_PAD},
        {"server-pid", required_argument, NULL, O_PID},
        {"connect-concurrency", required_argument, NULL, O_CONC},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    int c, idx;
    while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
        const char *name = c >= 256 ? longopts[idx].name : "";
        char *end;
        switch (c) {
        case O_URL:
            if (parse_url(optarg) != 0) {
                fprintf(stderr, "fanout: --url: expected HOST:PORT, got \"%s\"\n", optarg);
                return -1;
            }
            break;
        case O_TOKEN:
            opt.token = optarg;
            break;
        case O_ORIGIN:
            opt.origin = optarg;
            break;
        case O_APP:
            opt.app_token = optarg;
            break;
        case O_ROOM:
            opt.room = strtol(optarg, &end, 10);
            if (*end || opt.room < 1) {
                fprintf(stderr, "fanout: --room: expected a positive id\n");
                return -1;
            }
            break;
        case O_SUBS:
            if (parse_u32(name, optarg, 1, &opt.subscribers)) return -1;
            break;
        case O_BCAST:
            if (parse_u32(name, optarg, 1, &opt.broadcasts)) return -1;
            break;
        case O_PIPE:
            if (parse_u32(name, optarg, 1, &opt.pipeline)) return -1;
            break;
        case O_PAD:
            if (parse_u32(name, optarg, 0, &opt.payload_bytes)) return -1;
            break;
        case O_CONC:
            if (parse_u32(name, optarg, 1, &opt.connect_concurrency)) return -1;
            break;
        case O_RATE:
        case O_TIMEOUT: {
            double d = strtod(optarg, &end);
            if (*end || end == optarg || d < 0 || (c == O_TIMEOUT && d <= 0)) {
                fprintf(stderr, "fanout: --%s: expected a number, got \"%s\"\n", name, optarg);
                return -1;
            }
            if (c == O_RATE)
                opt.rate = d;
            else
                opt.timeout_s = d;
            break;
        }
        case O_PID:
            opt.server_pid = strtol(optarg, &end, 10);
            if (*end || opt.server_pid <= 0) {
                fprintf(stderr, "fanout: --server-pid: expected a pid\n");
                return -1;
            }
            break;
        case 'h':
        case O_HELP:
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc || !opt.token || !opt.app_token) {
        if (optind >= argc) fprintf(stderr, "fanout: --token and --app-token are required\n");
        usage(stderr);
        return -1;
    }
    if (!opt.pipeline) opt.pipeline = opt.rate > 0 ? 64 : 1;
    return 0;
}

/* ---- setup --------------------------------------------------------------- */

static int resolve(void)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(opt.host, opt.port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "fanout: %s:%s: %s\n", opt.host, opt.port, gai_strerror(rc));
        return -1;
    }
    memcpy(&server_addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

/* Each subscriber holds one descriptor; the loop and the publisher need a
 * few more. Raise the soft limit as far as the hard limit allows. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rlim_t want = (rlim_t)opt.subscribers + 64;
    if (rl.rlim_cur >= want) return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want)
        fprintf(stderr, "fanout: RLIMIT_NOFILE hard limit %llu is below the %llu needed\n",
                (unsigned long long)rl.rlim_max, (unsigned long long)want);
}

static void build_requests(void)
{
    char id[128];
    snprintf(id, sizeof id, "{\\\"channel\\\":\\\"Chats::RoomChannel\\\",\\\"chat_room_id\\\":%ld}",
             opt.room);
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
               opt.host, opt.port, opt.origin);
    buf_puts(&upgrade_request, "Authorization: Bearer ");
    buf_puts(&upgrade_request, opt.token);
    buf_puts(&upgrade_request, "\r\n\r\n");

    pad = malloc((size_t)opt.payload_bytes + 1);
    memset(pad, 'x', opt.payload_bytes);
    pad[opt.payload_bytes] = '\0';
    pub_slots = calloc(opt.pipeline, sizeof *pub_slots);
    pub_sent_at = calloc(opt.pipeline, sizeof *pub_sent_at);
    for (uint32_t i = 0; i < opt.pipeline; i++) {
        pub_slots[i].cap = 1024 + strlen(opt.app_token) + opt.payload_bytes;
        pub_slots[i].data = malloc(pub_slots[i].cap);
    }
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) != 0) return 2;
    if (resolve() != 0) return 2;
    raise_nofile();
    build_requests();

    seen_stride = ((size_t)opt.broadcasts + 7) / 8;
    seen = calloc((size_t)opt.subscribers, seen_stride);
    subs = calloc(opt.subscribers, sizeof *subs);
    if (!seen || !subs || !pad || !pub_slots || !pub_sent_at) {
        fprintf(stderr, "fanout: out of memory\n");
        return 2;
    }

    loop = uv_default_loop();
    uv_timer_init(loop, &pace_timer);
    uv_timer_init(loop, &deadline_timer);
    uv_timer_init(loop, &linger_timer);

    if (opt.server_pid > 0) {
        rss_before_kb = read_rss_kb(opt.server_pid);
        if (rss_before_kb < 0)
            fprintf(stderr, "fanout: cannot read /proc/%ld/status\n", opt.server_pid);
    }
    t_connect_start = clock_mono_us();
    /* One deadline per phase: connecting now, publishing from pub_start. */
    uv_timer_start(&deadline_timer, on_deadline, (uint64_t)(opt.timeout_s * 1000), 0);
    sub_start_more();
    uv_run(loop, UV_RUN_DEFAULT);

    for (uint32_t i = 0; i < opt.subscribers; i++) buf_deinit(&subs[i].carry);
    buf_deinit(&pub_in);
    buf_deinit(&upgrade_request);
    buf_deinit(&subscribe_frame);
    for (uint32_t i = 0; i < opt.pipeline; i++) free(pub_slots[i].data);
    free(pub_slots);
    free(pub_sent_at);
    free(pad);
    free(subs);
    free(seen);
    int rc = uv_loop_close(loop);
    if (rc != 0) fprintf(stderr, "fanout: loop still has handles: %s\n", uv_strerror(rc));
    return failed ? 1 : 0;
}
