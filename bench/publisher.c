/* bench/publisher: paced or pipelined broadcasts over one HTTP connection.
 * See publisher.h. */
#include "publisher.h"

#include "core/buf.h"
#include "fanout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One pipelined broadcast request. The bytes stay put until the write
 * completes, as uv_write requires. */
typedef struct pub_slot {
    uv_write_t req;
    char *data; /* request bytes, 'cap' long */
    size_t cap;
    int busy;
} pub_slot_t;

pub_stats_t pub_stats;

static uv_tcp_t tcp;
static uv_connect_t connect_req;
static uv_timer_t pace_timer;
static pub_slot_t *slots;
static mono_us_t *sent_at; /* send time of request k at [k % pipeline] */
static char read_buf[64 * 1024];
static buf_t in;  /* response bytes not yet parsed */
static char *pad; /* --payload-bytes of 'x', NUL-terminated */
static uint32_t inflight;
static int connected;

static void pump(void);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h, (void)suggested;
    *buf = uv_buf_init(read_buf, sizeof read_buf);
}

static void on_write(uv_write_t *req, int status)
{
    pub_slot_t *slot = req->data;
    slot->busy = 0;
    if (fanout_finished) return;
    if (status < 0) {
        fanout_fail("publisher: write: %s", uv_strerror(status));
        return;
    }
    /* A 202 can be read before its request's write callback runs; the slot
     * freed now may be the one the schedule was waiting for. */
    pump();
}

/* Send broadcast number pub_stats.sent. The send time is taken as late as
 * possible: right before the bytes go to the socket. Returns 0, or -1 when
 * no request slot is free or the write failed. */
static int send_one(void)
{
    const fanout_options_t *o = &fanout_opt;
    pub_slot_t *slot = NULL;
    for (uint32_t i = 0; i < o->pipeline; i++)
        if (!slots[i].busy) {
            slot = &slots[i];
            break;
        }
    if (!slot) return -1;
    char body[160];
    mono_us_t now = clock_mono_us();
    int blen = snprintf(
        body, sizeof body,
        "{\"stream\":\"chat-room-%ld-channel\",\"data\":{\"t\":%" PRIu64 ",\"seq\":%u%s", o->room,
        (uint64_t)now, o->first_seq + pub_stats.sent, o->payload_bytes ? ",\"pad\":\"" : "");
    size_t total_body = (size_t)blen + o->payload_bytes + (o->payload_bytes ? 3 : 2);
    int hlen = snprintf(slot->data, slot->cap,
                        "POST /api/v1/broadcast HTTP/1.1\r\n"
                        "Host: %s:%s\r\n"
                        "Authorization: Bearer %s\r\n"
                        "Content-Type: application/json\r\n"
                        "Content-Length: %zu\r\n\r\n",
                        o->host, o->port, o->app_token, total_body);
    char *w = slot->data + hlen;
    memcpy(w, body, (size_t)blen);
    w += blen;
    if (o->payload_bytes) {
        memcpy(w, pad, o->payload_bytes);
        w += o->payload_bytes;
        *w++ = '"';
    }
    *w++ = '}';
    *w++ = '}';
    slot->busy = 1;
    slot->req.data = slot;
    uv_buf_t b = uv_buf_init(slot->data, (unsigned)(w - slot->data));
    int rc = uv_write(&slot->req, (uv_stream_t *)&tcp, &b, 1, on_write);
    if (rc < 0) {
        slot->busy = 0;
        fanout_fail("publisher: write: %s", uv_strerror(rc));
        return -1;
    }
    sent_at[pub_stats.sent % o->pipeline] = now;
    pub_stats.sent++;
    inflight++;
    return 0;
}

static void on_pace(uv_timer_t *t)
{
    (void)t;
    pump();
}

/* Send what the schedule allows now, and arm the pacing timer for the next
 * one. With --rate 0 the only limit is the pipeline. */
static void pump(void)
{
    const fanout_options_t *o = &fanout_opt;
    if (fanout_finished || !connected) return;
    uint32_t due = o->broadcasts;
    mono_us_t now = clock_mono_us();
    if (o->rate > 0) {
        double elapsed = (double)(now - pub_stats.start) / 1e6;
        double d = elapsed * o->rate + 1;
        due = d < (double)o->broadcasts ? (uint32_t)d : o->broadcasts;
    }
    while (pub_stats.sent < due && inflight < o->pipeline && !fanout_finished)
        if (send_one() != 0) return;
    if (o->rate > 0 && pub_stats.sent < o->broadcasts && pub_stats.sent == due) {
        mono_us_t next = pub_stats.start + (mono_us_t)((double)pub_stats.sent * 1e6 / o->rate);
        now = clock_mono_us();
        uint64_t wait_ms = next > now ? (next - now + 999) / 1000 : 0;
        uv_timer_start(&pace_timer, on_pace, wait_ms, 0);
    }
}

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
        uint64_t body = 0;
        const char *cl = memmem(p, head, "\r\nContent-Length:", 17);
        if (!cl) cl = memmem(p, head, "\r\ncontent-length:", 17);
        if (cl) {
            const char *d = cl + 17;
            while (*d == ' ') d++;
            while (d < end && *d >= '0' && *d <= '9') body = body * 10 + (uint64_t)(*d++ - '0');
        }
        if (in.len < head + body) return;
        if (status != 202) {
            if (pub_stats.refused++ < 3)
                fprintf(stderr, "fanout: broadcast answered %d: %.*s\n", status,
                        (int)(body > 300 ? 300 : body), p + head);
        }
        buf_consume(&in, head + (size_t)body);
        /* HTTP/1.1 answers in request order, so this is request pub_stats.acked. */
        mono_us_t now = clock_mono_us();
        uint64_t ack_us = now - sent_at[pub_stats.acked % fanout_opt.pipeline];
        pub_stats.ack_sum_us += ack_us;
        if (ack_us > pub_stats.ack_max_us) pub_stats.ack_max_us = ack_us;
        pub_stats.last_ack = now;
        pub_stats.acked++;
        inflight--;
    }
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    (void)stream;
    if (nread == 0 || fanout_finished) return;
    if (nread < 0) {
        fanout_fail("publisher: connection lost: %s", uv_strerror((int)nread));
        return;
    }
    buf_append(&in, buf->base, (size_t)nread);
    parse_responses();
    if (pub_stats.acked == fanout_opt.broadcasts) {
        fanout_on_published();
        return;
    }
    pump();
}

static void on_connect(uv_connect_t *req, int status)
{
    (void)req;
    if (fanout_finished) return;
    if (status < 0) {
        fanout_fail("publisher: connect: %s", uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&tcp, 1);
    int rc = uv_read_start((uv_stream_t *)&tcp, on_alloc, on_read);
    if (rc < 0) {
        fanout_fail("publisher: %s", uv_strerror(rc));
        return;
    }
    connected = 1;
    fanout_on_publish_start();
    pub_stats.start = clock_mono_us();
    pump();
}

int pub_init(void)
{
    const fanout_options_t *o = &fanout_opt;
    pad = malloc((size_t)o->payload_bytes + 1);
    slots = calloc(o->pipeline, sizeof *slots);
    sent_at = calloc(o->pipeline, sizeof *sent_at);
    if (!pad || !slots || !sent_at) return -1;
    memset(pad, 'x', o->payload_bytes);
    pad[o->payload_bytes] = '\0';
    for (uint32_t i = 0; i < o->pipeline; i++) {
        slots[i].cap = 1024 + strlen(o->app_token) + o->payload_bytes;
        slots[i].data = malloc(slots[i].cap);
        if (!slots[i].data) return -1;
    }
    uv_timer_init(fanout_loop, &pace_timer);
    return 0;
}

void pub_start(void)
{
    uv_tcp_init(fanout_loop, &tcp);
    int rc = uv_tcp_connect(&connect_req, &tcp, (struct sockaddr *)&fanout_server_addr, on_connect);
    if (rc < 0) fanout_fail("publisher: connect: %s", uv_strerror(rc));
}

void pub_deinit(void)
{
    for (uint32_t i = 0; slots && i < fanout_opt.pipeline; i++) free(slots[i].data);
    buf_deinit(&in);
    free(slots);
    free(sent_at);
    free(pad);
    slots = NULL;
    sent_at = NULL;
    pad = NULL;
}
