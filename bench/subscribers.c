/* bench/subscribers: WebSocket subscribers that check and time every
 * delivery. See subscribers.h. */
#include "subscribers.h"

#include "core/buf.h"
#include "ev.h"
#include "fanout.h"
#include "tlsc.h"
#include "ws/frame.h"
#include "wsc.h"
#include "wsz.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_BUF_BYTES (256 * 1024) /* the loop-wide read buffer */
#define STALLED_RCVBUF 4096         /* receive buffer of a subscriber that stops reading */

enum sub_state {
    SUB_IDLE,       /* not started */
    SUB_CONNECTING, /* TCP connect in progress */
    SUB_TLS,        /* --tls: TLS handshake in progress */
    SUB_UPGRADING,  /* upgrade request sent, waiting for the 101 */
    SUB_WELCOMING,  /* upgraded, waiting for {"type":"welcome"} */
    SUB_CONFIRMING, /* subscribe sent, waiting for confirm_subscription */
    SUB_READY,      /* subscribed: counting deliveries */
    SUB_STALLED,    /* subscribed, and no longer reading */
    SUB_DRAINING,   /* stalled, now reading again to see whether the server closed it */
    SUB_CLOSED      /* the server closed it or it failed */
};

typedef struct sub {
    ev_io_t io;     /* first: the loop hands back this pointer */
    buf_t carry;    /* bytes of a frame split across reads */
    uint32_t index; /* position in subs[], selects the bitmap row */
    enum sub_state state;
    tlsc_t *tls;    /* --tls: the session; NULL on a plain socket */
} sub_t;

subs_stats_t subs_stats;

static sub_t *subs;
static uint8_t *seen;         /* subscribers x seen_stride bits: seq k received by sub i */
static size_t seen_stride;    /* bytes per subscriber row */
static mono_us_t *seq_t;      /* per broadcast: its scheduled time */
static uint64_t *seq_lat_sum; /* ... the sum of its deliveries' latencies, µs */
static uint32_t *seq_count;   /* ... and how many deliveries */
static uint32_t next_to_start, handshaking;
static uint32_t draining; /* stalled subscribers reading again, not yet at their end */
static char read_buf[READ_BUF_BYTES];
static buf_t upgrade_request; /* the same bytes for every subscriber */
static buf_t subscribe_frame; /* one masked frame, the same for every subscriber */

static void start_more(void);

/* The frame being handed to on_text: its size on the wire, and whether it
 * came compressed. */
static size_t frame_bytes;
static int frame_compressed;

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

/* The scheduled time and sequence number a data frame carries: {"t":…,
 * "seq":…} in a broadcast, "bench_t=… bench_seq=…" in a chat message's
 * body (which the server delivers as an escaped string). */
static int find_stamp(const char *p, size_t len, uint64_t *t, uint64_t *seq)
{
    if (find_uint(p, len, "\"t\":", t) && find_uint(p, len, "\"seq\":", seq)) return 1;
    return find_uint(p, len, "bench_t=", t) && find_uint(p, len, "bench_seq=", seq);
}

/* ---- connection lifetime ------------------------------------------------- */

static int is_stalled(const sub_t *s)
{
    return s->index >= fanout_opt.subscribers - fanout_opt.stalled;
}

static void sub_close(sub_t *s)
{
    if (s->state == SUB_CLOSED) return;
    if (s->state == SUB_READY) subs_stats.dropped++;
    if (s->state == SUB_STALLED) subs_stats.stalled_closed++;
    if (s->state == SUB_DRAINING) {
        subs_stats.stalled_closed++;
        if (--draining == 0) fanout_on_stalled_drained();
    }
    if (s->state > SUB_IDLE && s->state < SUB_READY) handshaking--;
    s->state = SUB_CLOSED;
    ev_close(&s->io);
    if (s->tls) tlsc_free(s->tls);
    s->tls = NULL;
}

/* Write a small message (upgrade, subscribe, pong) in one call. They are a
 * few hundred bytes on a socket that has nothing else queued, so a short
 * write means the connection is broken. */
static int sub_send(sub_t *s, const void *p, size_t len)
{
    ssize_t n = tlsc_send(s->tls, s->io.fd, p, len);
    if (n == (ssize_t)len) return 0;
    fanout_fail("subscriber %u: write: %s", s->index, n < 0 ? strerror(errno) : "short write");
    return -1;
}

/* ---- receiving ----------------------------------------------------------- */

static void on_data(sub_t *s, const char *p, size_t len)
{
    uint64_t t, seq;
    uint32_t r;
    if (!find_stamp(p, len, &t, &seq)) {
        /* A chat room also carries the server's own events. */
        if (fanout_opt.pub == FANOUT_PUB_CHAT)
            subs_stats.other++;
        else
            subs_stats.bad++;
        return;
    }
    if ((r = fanout_round_of(seq)) >= fanout_opt.rounds) {
        subs_stats.bad++;
        return;
    }
    subs_round_t *round = &subs_stats.rounds[r];
    mono_us_t now = clock_mono_us();
    int first = round->latency.count == 0;
    uint64_t lat = now > t ? now - t : 0;
    hist_record(&round->latency, lat);
    round->last_delivery = now;
    seq_t[seq] = t;
    seq_lat_sum[seq] += lat;
    seq_count[seq]++;
    if (!round->first_t || t < round->first_t) round->first_t = t;
    if (first) {
        round->first_delivery = now;
        fanout_on_first_delivery(r);
    }
    uint8_t *row = seen + (size_t)s->index * seen_stride;
    uint8_t bit = (uint8_t)(1u << (seq & 7));
    if (row[seq >> 3] & bit) {
        round->dups++;
        return;
    }
    row[seq >> 3] |= bit;
    subs_stats.data_frames++;
    subs_stats.data_bytes += frame_bytes;
    subs_stats.compressed += (uint64_t)frame_compressed;
    if (++round->delivered == (uint64_t)subs_reading() * fanout_opt.round_size[r])
        fanout_on_round_delivered(r);
}

static void send_subscribe(sub_t *s)
{
    s->state = SUB_CONFIRMING;
    sub_send(s, buf_head(&subscribe_frame), subscribe_frame.len);
}

static void on_text(sub_t *s, const char *p, size_t len)
{
    int ping = contains(p, len, "\"type\":\"ping\"");
    if (ping) subs_stats.pings++;
    switch (s->state) {
    case SUB_WELCOMING:
        if (!contains(p, len, "\"type\":\"welcome\"")) break;
        send_subscribe(s);
        return;
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
        if (ping || contains(p, len, "\"type\":\"welcome\"")) return;
        fanout_fail("subscriber %u: subscription refused: %.*s", s->index,
                    (int)(len > 200 ? 200 : len), p);
        return;
    case SUB_READY:
        if (ping) return;
        if (contains(p, len, "\"message\":")) {
            on_data(s, p, len);
            return;
        }
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
static long sub_parse(sub_t *s, const char *p, size_t len)
{
    size_t used = 0;
    if (s->state == SUB_UPGRADING) {
        long head = wsc_upgrade_response(p, len);
        if (head == 0) return 0;
        if (head < 0) {
            fanout_fail("subscriber %u: upgrade refused: %.*s", s->index,
                        (int)(len > 200 ? 200 : len), p);
            return -1;
        }
        used = (size_t)head;
        if (fanout_opt.deflate && !wsz_agreed(p, used)) {
            fanout_fail("subscriber %u: the server did not agree on permessage-deflate", s->index);
            return -1;
        }
        if (fanout_opt.proto == FANOUT_PROTO_CABLE) {
            s->state = SUB_WELCOMING;
        } else {
            send_subscribe(s);
            if (fanout_finished) return -1;
        }
    }
    while (used < len && s->state != SUB_CLOSED && !fanout_finished) {
        ws_frame_t f;
        int64_t n = ws_frame_parse(p + used, len - used,
                                   fanout_opt.deflate ? WS_FRAME_ALLOW_RSV1 : 0, (uint64_t)1 << 30, &f);
        if (n == WS_FRAME_PARTIAL) break;
        if (n < 0) {
            fanout_fail("subscriber %u: bad frame from the server (%d)", s->index, (int)n);
            return -1;
        }
        frame_bytes = (size_t)n;
        frame_compressed = f.rsv != 0;
        if (f.opcode == WS_OP_TEXT && f.fin && f.rsv) {
            size_t tlen;
            const char *t = wsz_inflate(f.payload, (size_t)f.payload_len, &tlen);
            if (!t) {
                fanout_fail("subscriber %u: a compressed frame does not inflate", s->index);
                return -1;
            }
            on_text(s, t, tlen);
        } else if (f.opcode == WS_OP_TEXT && f.fin) {
            on_text(s, (const char *)f.payload, (size_t)f.payload_len);
        } else if (f.opcode == WS_OP_PING) {
            buf_t pong = BUF_INIT;
            wsc_append_pong(&pong, f.payload, (size_t)f.payload_len);
            sub_send(s, buf_head(&pong), pong.len);
            buf_deinit(&pong);
        } else if (f.opcode == WS_OP_CLOSE) {
            fprintf(stderr, "fanout: subscriber %u: close frame from the server\n", s->index);
            if (s->state != SUB_READY)
                fanout_fail("subscriber %u: closed during the handshake", s->index);
            sub_close(s);
            return -1;
        }
        /* Fragments do not occur in this server-to-client direction. */
        used += (size_t)n;
    }
    return (s->state == SUB_CLOSED || fanout_finished) ? -1 : (long)used;
}

static void on_readable(sub_t *s)
{
    ssize_t nread = tlsc_read(s->tls, s->io.fd, read_buf, sizeof read_buf);
    if (nread < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (nread <= 0) {
        const char *why = nread == 0 ? "closed by the server" : strerror(errno);
        if (s->state != SUB_READY) {
            fanout_fail("subscriber %u: connection lost during the handshake: %s", s->index, why);
            return;
        }
        fprintf(stderr, "fanout: subscriber %u: connection lost: %s\n", s->index, why);
        sub_close(s);
        return;
    }
    subs_stats.reads++;
    if (s->carry.len == 0) {
        long used = sub_parse(s, read_buf, (size_t)nread);
        if (used >= 0 && (size_t)used < (size_t)nread)
            buf_append(&s->carry, read_buf + used, (size_t)nread - (size_t)used);
    } else {
        buf_append(&s->carry, read_buf, (size_t)nread);
        long used = sub_parse(s, buf_head(&s->carry), s->carry.len);
        if (used > 0) buf_consume(&s->carry, (size_t)used);
    }
}

/* The connection is up (TCP, and TLS with --tls): send the upgrade. */
static void send_upgrade(sub_t *s)
{
    s->state = SUB_UPGRADING;
    if (sub_send(s, buf_head(&upgrade_request), upgrade_request.len) == 0) ev_mod(&s->io, EPOLLIN);
}

/* One step of the TLS handshake, whenever the socket is ready for it. */
static void tls_step(sub_t *s)
{
    int want_write = 0;
    char err[128];
    int rc = tlsc_handshake(s->tls, &want_write, err, sizeof err);
    if (rc < 0) {
        fanout_fail("subscriber %u: TLS handshake: %s", s->index, err);
        return;
    }
    if (rc == 0) {
        ev_mod(&s->io, want_write ? EPOLLOUT : EPOLLIN);
        return;
    }
    send_upgrade(s);
}

static void on_sub_io(ev_io_t *io, uint32_t events)
{
    sub_t *s = (sub_t *)io;
    if (fanout_finished) return;
    switch (s->state) {
    case SUB_CONNECTING: {
        int rc = wsc_connected(io->fd);
        if (rc < 0) {
            fanout_fail("subscriber %u: connect: %s", s->index, strerror(-rc));
            return;
        }
        if (!fanout_opt.tls) {
            send_upgrade(s);
            return;
        }
        s->tls = tlsc_new(io->fd);
        if (!s->tls) {
            fanout_fail("subscriber %u: cannot create a TLS session", s->index);
            return;
        }
        s->state = SUB_TLS;
        tls_step(s);
        return;
    }
    case SUB_TLS:
        tls_step(s);
        return;
    case SUB_STALLED:
        /* Not reading: any event is the server closing it. */
        sub_close(s);
        return;
    case SUB_DRAINING: {
        /* Read and drop what the server queued, until its end. */
        ssize_t n = tlsc_read(s->tls, io->fd, read_buf, sizeof read_buf);
        if (n > 0) {
            subs_stats.stalled_bytes += (uint64_t)n;
            return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        sub_close(s);
        return;
    }
    default:
        if (events & EPOLLIN)
            on_readable(s);
        else if (events & (EPOLLHUP | EPOLLERR))
            on_readable(s); /* read() reports the error */
    }
}

/* ---- connecting ---------------------------------------------------------- */

/* Start handshakes until --connect-concurrency are in flight. */
static void start_more(void)
{
    const fanout_options_t *o = &fanout_opt;
    while (!fanout_finished && next_to_start < o->subscribers &&
           handshaking < o->connect_concurrency) {
        sub_t *s = &subs[next_to_start];
        s->index = next_to_start++;
        s->io.cb = on_sub_io;
        int fd = wsc_socket(&fanout_server_addr, s->index, o->sources,
                            is_stalled(s) ? STALLED_RCVBUF : 0);
        if (fd < 0) {
            fanout_fail("subscriber %u: connect: %s", s->index, strerror(-fd));
            return;
        }
        s->io.fd = fd;
        s->state = SUB_CONNECTING;
        handshaking++;
        int rc = ev_add(&s->io, EPOLLOUT);
        if (rc < 0) {
            fanout_fail("subscriber %u: epoll: %s", s->index, strerror(-rc));
            return;
        }
    }
}

/* ---- public -------------------------------------------------------------- */

/* Append 's' to 'out' as the inside of a JSON string. */
static void json_escape(buf_t *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') buf_append(out, "\\", 1);
        buf_append(out, s, 1);
    }
}

int subs_init(void)
{
    const fanout_options_t *o = &fanout_opt;
    seen_stride = ((size_t)o->broadcasts + 7) / 8;
    seen = calloc((size_t)o->subscribers, seen_stride ? seen_stride : 1);
    subs = calloc(o->subscribers, sizeof *subs);
    seq_t = calloc((size_t)o->broadcasts + 1, sizeof *seq_t);
    seq_lat_sum = calloc((size_t)o->broadcasts + 1, sizeof *seq_lat_sum);
    seq_count = calloc((size_t)o->broadcasts + 1, sizeof *seq_count);
    if (!seen || !subs || !seq_t || !seq_lat_sum || !seq_count) return -1;
    for (uint32_t i = 0; i < o->subscribers; i++) subs[i].io.fd = -1;

    buf_t cmd = BUF_INIT;
    buf_puts(&cmd, "{\"command\":\"subscribe\",\"identifier\":\"");
    json_escape(&cmd, o->identifier);
    buf_puts(&cmd, "\"}");
    wsc_append_text(&subscribe_frame, buf_head(&cmd), cmd.len);
    buf_deinit(&cmd);
    wsc_upgrade_request(&upgrade_request, o->host, o->port, o->ws_path, o->origin, o->token);
    if (o->deflate) wsz_offer(&upgrade_request);
    return 0;
}

void subs_start(void)
{
    start_more();
}

void subs_stall(void)
{
    for (uint32_t i = fanout_opt.subscribers - fanout_opt.stalled; i < fanout_opt.subscribers;
         i++) {
        sub_t *s = &subs[i];
        if (s->state != SUB_READY) continue;
        s->state = SUB_STALLED;
        ev_mod(&s->io, EPOLLRDHUP);
    }
}

mono_us_t subs_seq_scheduled(uint32_t seq)
{
    return seq < fanout_opt.broadcasts ? seq_t[seq] : 0;
}

double subs_seq_mean_latency(uint32_t seq)
{
    if (seq >= fanout_opt.broadcasts || !seq_count[seq]) return -1;
    return (double)seq_lat_sum[seq] / seq_count[seq];
}

uint32_t subs_drain_stalled(void)
{
    for (uint32_t i = subs_reading(); i < fanout_opt.subscribers; i++) {
        sub_t *s = &subs[i];
        if (s->state != SUB_STALLED) continue;
        s->state = SUB_DRAINING;
        draining++;
        ev_mod(&s->io, EPOLLIN | EPOLLRDHUP);
    }
    return draining;
}

uint32_t subs_reading(void)
{
    return fanout_opt.subscribers - fanout_opt.stalled;
}

uint32_t subs_short(uint32_t round)
{
    uint32_t lo = fanout_round_first(round), n = 0;
    uint32_t hi = lo + fanout_opt.round_size[round];
    for (uint32_t i = 0; subs && i < subs_reading(); i++) {
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
    return (uint64_t)subs_reading() * fanout_opt.round_size[round] -
           subs_stats.rounds[round].delivered;
}

void subs_close_all(void)
{
    for (uint32_t i = 0; subs && i < fanout_opt.subscribers; i++) {
        sub_t *s = &subs[i];
        if (s->io.fd < 0) continue;
        /* A stalled subscriber the server closed without our noticing (its
         * FIN waits behind unread bytes) shows in the TCP state. */
        if (s->state == SUB_STALLED) {
            struct tcp_info ti;
            socklen_t len = sizeof ti;
            if (getsockopt(s->io.fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
                ti.tcpi_state != TCP_ESTABLISHED)
                subs_stats.stalled_closed++;
        }
        /* A reset instead of FIN: thousands of sockets in TIME_WAIT on our
         * side would eat the ephemeral ports of the next run. */
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(s->io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        s->state = SUB_CLOSED;
        ev_close(&s->io);
        if (s->tls) tlsc_free(s->tls);
        s->tls = NULL;
    }
}

void subs_deinit(void)
{
    for (uint32_t i = 0; subs && i < fanout_opt.subscribers; i++) buf_deinit(&subs[i].carry);
    buf_deinit(&upgrade_request);
    buf_deinit(&subscribe_frame);
    wsz_free();
    free(subs);
    free(seen);
    free(seq_t);
    free(seq_lat_sum);
    free(seq_count);
    subs = NULL;
    seen = NULL;
    seq_t = NULL;
    seq_lat_sum = NULL;
    seq_count = NULL;
}
