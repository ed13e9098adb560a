/* bench/publisher: scheduled broadcasts over HTTP or a WebSocket. See
 * publisher.h. */
#include "publisher.h"

#include "core/buf.h"
#include "ev.h"
#include "fanout.h"
#include "tlsc.h"
#include "ws/frame.h"
#include "wsc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_BUF_BYTES (64 * 1024)

/* One HTTP request in flight: answers come back in this order. */
typedef struct pub_req {
    mono_us_t sent_at;
    uint32_t items; /* broadcasts it carries */
} pub_req_t;

pub_stats_t pub_stats;

static ev_io_t io = {.fd = -1};
static ev_timer_t pace_timer;
static buf_t out;        /* bytes not yet taken by the socket */
static buf_t in;         /* response bytes not yet parsed */
static buf_t body;       /* scratch: one request body or frame payload */
static buf_t id_escaped; /* the identifier as the inside of a JSON string */
static char *pad;        /* --payload-bytes of 'x', NUL-terminated */
static pub_req_t *ring;  /* --pipeline requests in flight, oldest at ring_head */
static uint32_t ring_head, inflight;
static char read_buf[READ_BUF_BYTES];
static int upgrading; /* ws: waiting for the 101 */
static int connected;
static int server_closes; /* http: the last answer said "Connection: close" */
static tlsc_t *tls;       /* --tls: the session; NULL on a plain socket */
static int tls_handshaking;

static void reconnect(void);

/* The round being published. */
static uint32_t round_no;
static uint32_t next_seq, end_seq; /* next to send; one past the round's last */
static uint32_t round_acked;       /* broadcasts of the round answered */
static uint32_t round_total;
static double round_rate;
static mono_us_t round_start;
static int round_done;

static void pump(void);

/* ---- building requests --------------------------------------------------- */

/* The scheduled time of broadcast 'seq' of the round, or now without a
 * schedule. */
static mono_us_t scheduled(uint32_t seq, mono_us_t now)
{
    if (round_rate <= 0) return now;
    return round_start + (mono_us_t)((double)(seq - (end_seq - round_total)) * 1e6 / round_rate);
}

/* {"t":T,"seq":K[,"pad":"xxx"]} */
static void append_data(buf_t *b, mono_us_t t, uint32_t seq)
{
    buf_printf(b, "{\"t\":%" PRIu64 ",\"seq\":%u", (uint64_t)t, seq);
    if (fanout_opt.payload_bytes) {
        buf_puts(b, ",\"pad\":\"");
        buf_append(b, pad, fanout_opt.payload_bytes);
        buf_puts(b, "\"");
    }
    buf_puts(b, "}");
}

static void note_late(mono_us_t t, mono_us_t now)
{
    if (now > t && now - t > pub_stats.late_max_us) pub_stats.late_max_us = now - t;
}

/* Queue one HTTP request carrying broadcasts [next_seq, next_seq + n). */
static void queue_request(uint32_t n, mono_us_t now)
{
    const fanout_options_t *o = &fanout_opt;
    buf_reset(&body);
    if (o->pub == FANOUT_PUB_CHAT) {
        mono_us_t t = scheduled(next_seq, now);
        note_late(t, now);
        buf_printf(&body, "{\"chat_room_message\":{\"body\":\"bench_t=%" PRIu64 " bench_seq=%u",
                   (uint64_t)t, next_seq);
        if (o->payload_bytes) {
            buf_puts(&body, " ");
            buf_append(&body, pad, o->payload_bytes);
        }
        buf_puts(&body, "\"}}");
    } else {
        buf_puts(&body, "[");
        for (uint32_t i = 0; i < n; i++) {
            mono_us_t t = scheduled(next_seq + i, now);
            note_late(t, now);
            buf_printf(&body, "%s{\"stream\":\"%s\",\"data\":", i ? "," : "", o->stream);
            append_data(&body, t, next_seq + i);
            buf_puts(&body, "}");
        }
        buf_puts(&body, "]");
    }
    const char *token = o->pub == FANOUT_PUB_CHAT ? o->token : o->app_token;
    buf_printf(&out, "POST %s HTTP/1.1\r\nHost: %s:%s\r\n", o->pub_path, o->host, o->port);
    if (token) {
        buf_puts(&out, "Authorization: Bearer ");
        buf_puts(&out, token);
        buf_puts(&out, "\r\n");
    }
    buf_printf(&out, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", body.len);
    buf_append(&out, buf_head(&body), body.len);
    pub_req_t *r = &ring[(ring_head + inflight) % o->pipeline];
    r->sent_at = now;
    r->items = n;
    inflight++;
    next_seq += n;
    pub_stats.sent += n;
    pub_stats.requests++;
}

/* Queue the frame of broadcast next_seq on the WebSocket. */
static void queue_frame(mono_us_t now)
{
    mono_us_t t = scheduled(next_seq, now);
    note_late(t, now);
    buf_reset(&body);
    buf_puts(&body, "{\"identifier\":\"");
    buf_append(&body, buf_head(&id_escaped), id_escaped.len);
    buf_puts(&body, "\",\"message\":");
    append_data(&body, t, next_seq);
    buf_puts(&body, "}");
    wsc_append_text(&out, buf_head(&body), body.len);
    next_seq++;
    pub_stats.sent++;
}

/* ---- sending ------------------------------------------------------------- */

static void flush(void)
{
    int rc = tlsc_flush(tls, io.fd, &out);
    if (rc < 0) {
        fanout_fail("publisher: write: %s", strerror(-rc));
        return;
    }
    ev_mod(&io, EPOLLIN | (rc > 0 ? EPOLLOUT : 0));
}

static void round_check_done(void)
{
    if (round_done || next_seq < end_seq) return;
    if (fanout_opt.pub == FANOUT_PUB_WS) {
        if (out.len) return; /* wait until the socket took every frame */
        round_acked = round_total;
        pub_stats.acked += round_total;
        pub_stats.last_ack = clock_mono_us();
    }
    if (round_acked < round_total) return;
    round_done = 1;
    fanout_on_published();
}

static void on_pace(ev_timer_t *t)
{
    (void)t;
    pump();
}

/* Queue what the schedule allows now, write it in one go, and arm the
 * pacing timer for the next broadcast. */
static void pump(void)
{
    const fanout_options_t *o = &fanout_opt;
    if (fanout_finished || !connected || round_done) return;
    mono_us_t now = clock_mono_us();
    uint32_t due = end_seq;
    if (round_rate > 0) {
        double d = (double)(now - round_start) / 1e6 * round_rate + 1;
        uint32_t first = end_seq - round_total;
        due = d < (double)round_total ? first + (uint32_t)d : end_seq;
    }
    if (o->pub == FANOUT_PUB_WS) {
        while (next_seq < due) queue_frame(now);
    } else {
        uint32_t per = o->pub == FANOUT_PUB_CHAT ? 1 : o->batch;
        while (next_seq < due && inflight < o->pipeline) {
            uint32_t n = due - next_seq < per ? due - next_seq : per;
            queue_request(n, now);
        }
    }
    if (out.len) flush();
    if (fanout_finished) return;
    /* Pipeline-limited, the next answer calls pump() again; otherwise the
     * timer does, when the next broadcast is due. */
    if (round_rate > 0 && next_seq < end_seq && next_seq == due)
        ev_timer_at(&pace_timer, on_pace, scheduled(next_seq, now));
    round_check_done();
}

/* ---- receiving ----------------------------------------------------------- */

/* Read as many complete responses as 'in' holds. */
static void parse_responses(void)
{
    for (;;) {
        const char *p = buf_head(&in);
        const char *end = memmem(p, in.len, "\r\n\r\n", 4);
        if (!end) return;
        size_t head = (size_t)(end - p) + 4;
        int status = 0;
        if (head > 12 && memcmp(p, "HTTP/1.", 7) == 0) status = atoi(p + 9);
        uint64_t blen = 0;
        const char *cl = memmem(p, head, "\r\nContent-Length:", 17);
        if (!cl) cl = memmem(p, head, "\r\ncontent-length:", 17);
        if (cl) {
            const char *d = cl + 17;
            while (*d == ' ') d++;
            while (d < end && *d >= '0' && *d <= '9') blen = blen * 10 + (uint64_t)(*d++ - '0');
        }
        if (in.len < head + blen) return;
        if (memmem(p, head, "\r\nConnection: close", 19) ||
            memmem(p, head, "\r\nconnection: close", 19))
            server_closes = 1;
        if (!inflight) {
            fanout_fail("publisher: an answer to no request: %.*s", (int)(head > 200 ? 200 : head),
                        p);
            return;
        }
        pub_req_t *r = &ring[ring_head];
        if (status < 200 || status > 299) {
            if (pub_stats.refused == 0)
                fprintf(stderr, "fanout: broadcast answered %d: %.*s\n", status,
                        (int)(blen > 300 ? 300 : blen), p + head);
            pub_stats.refused += r->items;
        }
        buf_consume(&in, head + (size_t)blen);
        mono_us_t now = clock_mono_us();
        uint64_t ack_us = now - r->sent_at;
        pub_stats.ack_sum_us += ack_us;
        if (ack_us > pub_stats.ack_max_us) pub_stats.ack_max_us = ack_us;
        pub_stats.last_ack = now;
        pub_stats.acked += r->items;
        round_acked += r->items;
        ring_head = (ring_head + 1) % fanout_opt.pipeline;
        inflight--;
    }
}

/* The ws publisher reads only its 101, pings and a close. */
static void parse_ws(void)
{
    size_t used = 0;
    while (used < in.len) {
        ws_frame_t f;
        int64_t n = ws_frame_parse(buf_head(&in) + used, in.len - used, 0, 1u << 20, &f);
        if (n == WS_FRAME_PARTIAL) break;
        if (n < 0 || f.opcode == WS_OP_CLOSE) {
            fanout_fail("publisher: the server closed the publishing WebSocket");
            return;
        }
        if (f.opcode == WS_OP_PING) wsc_append_pong(&out, f.payload, (size_t)f.payload_len);
        used += (size_t)n;
    }
    buf_consume(&in, used);
}

static void on_connected(void)
{
    if (pub_stats.start) {
        /* A new connection after the server closed the last one. */
        connected = 1;
        pump();
        return;
    }
    connected = 1;
    pub_stats.start = clock_mono_us();
    pub_start_round(0);
}

/* --tls: one handshake step. Returns 1 once done, 0 while waiting (for
 * the event it asked for), -1 when it failed (the run fails). */
static int tls_step(void)
{
    int want_write = 0;
    char err[128];
    int rc = tlsc_handshake(tls, &want_write, err, sizeof err);
    if (rc < 0) {
        fanout_fail("publisher: TLS handshake: %s", err);
        return -1;
    }
    if (rc == 0) {
        ev_mod(&io, want_write ? EPOLLOUT : EPOLLIN);
        return 0;
    }
    tls_handshaking = 0;
    return 1;
}

static void on_io(ev_io_t *w, uint32_t events)
{
    (void)w;
    if (fanout_finished) return;
    if (!connected && !upgrading) {
        if (!tls_handshaking) {
            int rc = wsc_connected(io.fd);
            if (rc < 0) {
                fanout_fail("publisher: connect: %s", strerror(-rc));
                return;
            }
            if (fanout_opt.tls) {
                tls = tlsc_new(io.fd);
                if (!tls) {
                    fanout_fail("publisher: cannot create a TLS session");
                    return;
                }
                tls_handshaking = 1;
            }
        }
        if (tls_handshaking && tls_step() != 1) return;
        if (fanout_opt.pub == FANOUT_PUB_WS) {
            upgrading = 1;
            wsc_upgrade_request(&out, fanout_opt.host, fanout_opt.port, fanout_opt.pub_path,
                                fanout_opt.origin, fanout_opt.app_token);
            flush();
        } else {
            ev_mod(&io, EPOLLIN);
            on_connected();
        }
        return;
    }
    if (events & EPOLLOUT) {
        flush();
        if (fanout_finished) return;
        round_check_done();
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    ssize_t n = tlsc_read(tls, io.fd, read_buf, sizeof read_buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        fanout_fail("publisher: connection lost: %s",
                    n == 0 ? "closed by the server" : strerror(errno));
        return;
    }
    buf_append(&in, read_buf, (size_t)n);
    if (upgrading) {
        long head = wsc_upgrade_response(buf_head(&in), in.len);
        if (head == 0) return;
        if (head < 0) {
            fanout_fail("publisher: upgrade refused: %.*s", (int)(in.len > 200 ? 200 : in.len),
                        buf_head(&in));
            return;
        }
        buf_consume(&in, (size_t)head);
        upgrading = 0;
        on_connected();
    }
    if (fanout_opt.pub == FANOUT_PUB_WS) {
        parse_ws();
        if (out.len && !fanout_finished) flush();
        return;
    }
    parse_responses();
    if (fanout_finished) return;
    if (server_closes) {
        if (!inflight) reconnect();
        return; /* nothing more goes on this connection */
    }
    pump();
}

/* ---- public -------------------------------------------------------------- */

int pub_init(void)
{
    const fanout_options_t *o = &fanout_opt;
    pad = malloc((size_t)o->payload_bytes + 1);
    ring = calloc(o->pipeline, sizeof *ring);
    if (!pad || !ring) return -1;
    memset(pad, 'x', o->payload_bytes);
    pad[o->payload_bytes] = '\0';
    for (const char *s = o->identifier; *s; s++) {
        if (*s == '"' || *s == '\\') buf_append(&id_escaped, "\\", 1);
        buf_append(&id_escaped, s, 1);
    }
    return 0;
}

/* Close the connection and its TLS session. */
static void close_io(void)
{
    ev_close(&io);
    if (tls) tlsc_free(tls);
    tls = NULL;
    tls_handshaking = 0;
}

static void reconnect(void)
{
    close_io();
    connected = 0;
    server_closes = 0;
    buf_reset(&in);
    pub_stats.reconnects++;
    pub_start();
}

void pub_start(void)
{
    int fd = wsc_socket(&fanout_server_addr, 0, 1, 0);
    if (fd < 0) {
        fanout_fail("publisher: connect: %s", strerror(-fd));
        return;
    }
    io.fd = fd;
    io.cb = on_io;
    int rc = ev_add(&io, EPOLLOUT);
    if (rc < 0) fanout_fail("publisher: epoll: %s", strerror(-rc));
}

void pub_start_round(uint32_t round)
{
    const fanout_options_t *o = &fanout_opt;
    round_no = round;
    round_total = o->round_size[round];
    next_seq = o->first_seq + fanout_round_first(round);
    end_seq = next_seq + round_total;
    round_rate = o->ramp ? o->round_rate[round] : o->rate;
    round_acked = 0;
    round_done = 0;
    fanout_on_publish_start(round);
    round_start = clock_mono_us();
    pump();
}

void pub_close(void)
{
    ev_timer_stop(&pace_timer);
    close_io();
}

void pub_deinit(void)
{
    buf_deinit(&in);
    buf_deinit(&out);
    buf_deinit(&body);
    buf_deinit(&id_escaped);
    free(ring);
    free(pad);
    ring = NULL;
    pad = NULL;
}
