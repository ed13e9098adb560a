/* net/conn: TCP connection with a coalescing output queue. See conn.h. */
#include "net/conn.h"

#include "net/batch.h"

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif

/* Enough iovecs for a burst of broadcasts; the rest goes in the next write. */
#define NET_MAX_IOV 64
/* Read buffer growth step. */
#define NET_READ_CHUNK 65536
/* An input buffer larger than this is freed once everything in it is
 * consumed: thousands of quiet connections must not each keep 64 KiB. */
#define NET_READ_KEEP 4096
/* A draining connection whose peer keeps taking bytes gets the linger again,
 * this many times at most; "taking" means at least this many bytes fewer
 * waiting in the kernel and in our queue than at the previous check. */
#define NET_LINGER_EXTENSIONS 8
#define NET_LINGER_PROGRESS   4096
/* Plaintext encrypted per write of a TLS connection: the ciphertext a
 * connection holds at once is bounded by about this much. */
#define NET_TLS_BATCH 65536

struct net_conn_slow {
    uv_write_t wreq;
    uv_timer_t linger;
    int linger_ready;          /* 'linger' is initialised: it must be closed */
    unsigned linger_ms;        /* of the close after flush under way */
    unsigned linger_again;     /* times the linger was granted again */
    size_t linger_waiting;     /* bytes on their way to the peer at the last linger check */
    buf_t tls_sending;         /* TLS: the ciphertext handed to uv_write */
};

static struct net_conn_slow *slow_of(net_conn_t *c)
{
    if (!c->_slow) c->_slow = xcalloc(1, sizeof *c->_slow);
    return c->_slow;
}

static atomic_uint_fast64_t next_conn_id = 1;
static atomic_size_t conns_open;

static void on_flush(net_deferred_t *d);
static void flush(net_conn_t *c);
static void flush_tls(net_conn_t *c);
static void release_input(net_conn_t *c);

/* ---- queue --------------------------------------------------------------- */

static void q_push(net_conn_t *c, payload_t *p)
{
    if (c->_q_len == c->_q_cap) {
        size_t cap = c->_q_cap * 2;
        struct net_out *q = xmalloc(cap * sizeof *q);
        for (size_t i = 0; i < c->_q_len; i++) q[i] = c->_q[(c->_q_head + i) % c->_q_cap];
        if (c->_q != c->_q_inline) free(c->_q);
        c->_q = q;
        c->_q_cap = cap;
        c->_q_head = 0;
    }
    c->_q[(c->_q_head + c->_q_len) % c->_q_cap] = (struct net_out){payload_ref(p), 0};
    c->_q_len++;
    c->_out_bytes += p->len;
}

/* Drop 'n' written bytes from the front of the queue. */
static void q_consume(net_conn_t *c, size_t n)
{
    c->_out_bytes -= n;
    while (n > 0) {
        struct net_out *o = &c->_q[c->_q_head];
        size_t left = o->p->len - o->off;
        if (n < left) {
            o->off += n;
            return;
        }
        n -= left;
        payload_unref(o->p);
        c->_q_head = (c->_q_head + 1) % c->_q_cap;
        c->_q_len--;
    }
    /* Zero-length payloads at the front are done too. */
    while (c->_q_len > 0 && c->_q[c->_q_head].off == c->_q[c->_q_head].p->len) {
        payload_unref(c->_q[c->_q_head].p);
        c->_q_head = (c->_q_head + 1) % c->_q_cap;
        c->_q_len--;
    }
    /* Empty again: a burst's larger ring goes back to the heap. */
    if (c->_q_len == 0 && c->_q != c->_q_inline) {
        free(c->_q);
        c->_q = c->_q_inline;
        c->_q_cap = NET_Q_INLINE;
        c->_q_head = 0;
    }
}

static size_t q_iov(net_conn_t *c, uv_buf_t *iov, size_t max, size_t *bytes)
{
    size_t n = 0;
    *bytes = 0;
    for (size_t i = 0; i < c->_q_len && n < max; i++) {
        struct net_out *o = &c->_q[(c->_q_head + i) % c->_q_cap];
        size_t len = o->p->len - o->off;
        if (len == 0) continue;
        iov[n++] = uv_buf_init(o->p->data + o->off, (unsigned)len);
        *bytes += len;
    }
    return n;
}

/* Drop every queued payload that has not started to go out: those neither
 * handed to an in-flight uv_write nor partly written. What remains ends on
 * a payload boundary, so the stream stays well-formed. */
static void q_drop_unsent(net_conn_t *c)
{
    size_t keep = 0, covered = 0;
    while (keep < c->_q_len) {
        struct net_out *o = &c->_q[(c->_q_head + keep) % c->_q_cap];
        size_t left = o->p->len - o->off;
        if (covered >= c->_inflight && o->off == 0) break;
        covered += left;
        keep++;
    }
    for (size_t i = keep; i < c->_q_len; i++) {
        struct net_out *o = &c->_q[(c->_q_head + i) % c->_q_cap];
        c->_out_bytes -= o->p->len;
        payload_unref(o->p);
    }
    c->_q_len = keep;
}

static void q_clear(net_conn_t *c)
{
    for (size_t i = 0; i < c->_q_len; i++) payload_unref(c->_q[(c->_q_head + i) % c->_q_cap].p);
    if (c->_q != c->_q_inline) free(c->_q);
    c->_q = c->_q_inline;
    c->_q_cap = NET_Q_INLINE;
    c->_q_len = c->_q_head = 0;
    c->_out_bytes = 0;
}

/* ---- close --------------------------------------------------------------- */

static void on_tcp_closed(uv_handle_t *h)
{
    net_conn_t *c = h->data;
    if (c->_handler && c->_handler->on_close) c->_handler->on_close(c);
    list_unlink(&c->_loop_node);
    list_unlink(&c->_timed_node);
    q_clear(c);
    c->in.len = 0;
    release_input(c);
    buf_deinit(&c->in);
    net_tls_free(c->_tls);
    if (c->_slow) buf_deinit(&c->_slow->tls_sending);
    free(c->_slow);
    free(c);
    atomic_fetch_sub(&conns_open, 1);
}

static void on_linger_closed(uv_handle_t *h)
{
    net_conn_t *c = h->data;
    uv_close((uv_handle_t *)&c->_tcp, on_tcp_closed);
}

void net_conn_close(net_conn_t *c)
{
    if (c->_closing) return;
    c->_closing = 1;
    net_loop_cancel(&c->_flush);
    uv_read_stop((uv_stream_t *)&c->_tcp);
    /* The timer (if any) closes first; its callback closes the socket, whose
     * callback frees the connection: one teardown path in a fixed order. An
     * in-flight uv_write completes with UV_ECANCELED before the socket's
     * close callback runs. */
    if (c->_slow && c->_slow->linger_ready) {
        uv_timer_stop(&c->_slow->linger);
        uv_close((uv_handle_t *)&c->_slow->linger, on_linger_closed);
    } else {
        uv_close((uv_handle_t *)&c->_tcp, on_tcp_closed);
    }
}

/* Bytes on their way to the peer: ours not yet written, and what the kernel
 * holds unacknowledged in the socket's send queue (Linux SIOCOUTQ; without
 * it only ours count). */
static size_t bytes_waiting(net_conn_t *c)
{
    size_t n = c->_out_bytes;
#ifdef SIOCOUTQ
    uv_os_fd_t fd;
    int queued = 0;
    if (uv_fileno((uv_handle_t *)&c->_tcp, &fd) == 0 && ioctl(fd, SIOCOUTQ, &queued) == 0 &&
        queued > 0)
        n += (size_t)queued;
#endif
    return n;
}

static void on_linger(uv_timer_t *t)
{
    net_conn_t *c = t->data;
    struct net_conn_slow *sl = c->_slow;
    /* Our last frames are still queued, but the peer is reading: it stopped
     * for a while and started again late in the linger. Closing now would
     * cut the frame being written in two, so it gets the linger again, a
     * bounded number of times. */
    if (!c->_closing && c->_q_len > 0 && sl->linger_again < NET_LINGER_EXTENSIONS) {
        size_t waiting = bytes_waiting(c);
        if (waiting + NET_LINGER_PROGRESS <= sl->linger_waiting) {
            sl->linger_waiting = waiting;
            sl->linger_again++;
            uv_timer_start(&sl->linger, on_linger, sl->linger_ms, 0);
            return;
        }
    }
    net_conn_close(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    free(req);
    (void)status;
}

/* Everything queued is written: shut down our side and wait for the peer's
 * EOF (or the linger timer). */
static void finish_drain(net_conn_t *c)
{
    if (c->_shut || c->_closing) return;
    c->_shut = 1;
    uv_shutdown_t *req = xmalloc(sizeof *req);
    if (uv_shutdown(req, (uv_stream_t *)&c->_tcp, on_shutdown) != 0) {
        free(req);
        net_conn_close(c);
    }
}

void net_conn_close_after_flush(net_conn_t *c, unsigned linger_ms)
{
    if (c->_closing || c->_draining) return;
    c->_draining = 1;
    struct net_conn_slow *sl = slow_of(c);
    if (!sl->linger_ready) {
        uv_timer_init(&c->loop->uv, &sl->linger);
        sl->linger.data = c;
        sl->linger_ready = 1;
    }
    sl->linger_ms = linger_ms;
    sl->linger_waiting = bytes_waiting(c);
    uv_timer_start(&sl->linger, on_linger, linger_ms, 0);
    net_loop_defer(c->loop, &c->_flush);
}

/* ---- write --------------------------------------------------------------- */

static void write_failed(net_conn_t *c, int err)
{
    log_debug("net conn=%llu write failed err=%s", (unsigned long long)c->id, uv_err_name(err));
    net_conn_close(c);
}

/* A draining connection wrote everything queued: close if the peer has
 * closed its side too, else shut ours down and linger. */
static void drained(net_conn_t *c)
{
    if (c->_peer_eof)
        net_conn_close(c);
    else
        finish_drain(c);
}

static void on_write_done(uv_write_t *req, int status)
{
    net_conn_t *c = req->data;
    c->_writing = 0;
    if (c->_closing) return;
    if (status < 0) {
        write_failed(c, status);
        return;
    }
    q_consume(c, c->_inflight);
    c->_inflight = 0;
    flush(c);
}

/* What a non-blocking write of 'bytes' queued bytes did: 'w' bytes taken or
 * a negative error. Returns 1 when the connection can write on, 0 when it
 * waits (the rest handed to libuv) or has failed. */
static int wrote(net_conn_t *c, int w, size_t bytes)
{
    if (w == UV_EAGAIN || (w >= 0 && (size_t)w < bytes)) {
        if (w > 0) q_consume(c, (size_t)w);
        /* The kernel buffer is full: let libuv finish the payload at the
         * head of the queue and tell us when it is done; the next flush
         * writes the rest in one batch again. Only that payload is handed
         * over, so every one behind it is still ours to drop when the
         * client turns out not to read (net_conn_drop_unsent). The queue
         * keeps the references. */
        uv_buf_t iov[1];
        size_t n = q_iov(c, iov, 1, &bytes);
        c->_inflight = bytes;
        uv_write_t *req = &slow_of(c)->wreq;
        req->data = c;
        int rc = uv_write(req, (uv_stream_t *)&c->_tcp, iov, (unsigned)n, on_write_done);
        if (rc != 0) {
            net_conn_close(c);
            return 0;
        }
        c->_writing = 1;
        return 0;
    }
    if (w < 0) {
        write_failed(c, w);
        return 0;
    }
    q_consume(c, (size_t)w);
    return 1;
}

/* Hand the write to the loop's batch (net/batch.h) when the loop is
 * finishing its pass; it answers through net__conn_batch_done before the
 * pass ends. Until then the bytes are in flight, as with a uv_write. */
static int batch_write(net_conn_t *c, const uv_buf_t *iov, size_t n, size_t bytes)
{
    net_loop_t *loop = c->loop;
    uv_os_fd_t fd;
    if (!loop->_batch || !loop->_in_check || uv_fileno((uv_handle_t *)&c->_tcp, &fd) != 0)
        return -1;
    /* uv_buf_t is laid out as struct iovec on Unix (libuv's uv-unix.h). */
    if (net_batch_add(loop->_batch, fd, (const struct iovec *)iov, n, c) != 0) return -1;
    c->_inflight = bytes;
    c->_writing = 1;
    return 0;
}

void net__conn_batch_done(net_conn_t *c, int result)
{
    size_t bytes = c->_inflight;
    c->_inflight = 0;
    c->_writing = 0;
    if (c->_closing) return;
    if (wrote(c, result, bytes)) flush(c);
}

static void flush(net_conn_t *c)
{
    if (c->_tls) {
        flush_tls(c);
        return;
    }
    if (c->_closing || c->_writing) return;
    uv_buf_t iov[NET_MAX_IOV];
    while (c->_q_len > 0) {
        size_t bytes;
        size_t n = q_iov(c, iov, NET_MAX_IOV, &bytes);
        if (n == 0) {
            q_consume(c, 0);
            break;
        }
        if (batch_write(c, iov, n, bytes) == 0) return;
        int w = uv_try_write((uv_stream_t *)&c->_tcp, iov, (unsigned)n);
        if (!wrote(c, w, bytes)) return;
    }
    if (c->_draining) drained(c);
}

void net_conn_flush_now(net_conn_t *c)
{
    net_loop_cancel(&c->_flush);
    flush(c);
}

static void on_flush(net_deferred_t *d)
{
    flush((net_conn_t *)((char *)d - offsetof(net_conn_t, _flush)));
}

static int send_payload(net_conn_t *c, payload_t *p, int force)
{
    if (c->_closing || c->_draining) return ERR_CLOSED;
    /* An empty queue takes any payload, so one message larger than the
     * cap does not count as a slow client. */
    if (!force && c->_out_bytes > 0 && c->_out_bytes + p->len > c->_max_out) return ERR_LIMIT;
    q_push(c, p);
    net_loop_defer(c->loop, &c->_flush);
    return 0;
}

int net_conn_send(net_conn_t *c, payload_t *p)
{
    return send_payload(c, p, 0);
}

int net_conn_send_force(net_conn_t *c, payload_t *p)
{
    return send_payload(c, p, 1);
}

size_t net_conn_drop_unsent(net_conn_t *c)
{
    size_t before = c->_out_bytes;
    q_drop_unsent(c);
    return before - c->_out_bytes;
}

int net_conn_send_copy(net_conn_t *c, const void *data, size_t len)
{
    payload_t *p = payload_copy(data, len);
    int rc = send_payload(c, p, 1);
    payload_unref(p);
    return rc;
}

/* ---- read ---------------------------------------------------------------- */

/* TLS: ciphertext lands here and is decrypted into 'in' at once, so no
 * connection keeps a buffer of ciphertext. One per loop thread: libuv
 * hands each read to its callback before it allocates for the next. */
static _Thread_local char tls_read_buf[NET_READ_CHUNK];

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    net_conn_t *c = h->data;
    (void)suggested;
    if (c->_tls) {
        *out = uv_buf_init(tls_read_buf, sizeof tls_read_buf);
        return;
    }
    net_loop_t *loop = c->loop;
    if (c->in.data == NULL && loop->_spare_in_n > 0) {
        c->in.data = loop->_spare_in[--loop->_spare_in_n];
        c->in.cap = NET_READ_CHUNK;
        c->in.off = c->in.len = 0;
    }
    *out = uv_buf_init(buf_reserve(&c->in, NET_READ_CHUNK), NET_READ_CHUNK);
}

/* An emptied buffer of exactly one chunk goes back to the loop's spares
 * (most reads are one frame or one request); anything else is freed. */
static void release_input(net_conn_t *c)
{
    if (c->in.len != 0 || c->in.cap <= NET_READ_KEEP) return;
    net_loop_t *loop = c->loop;
    if (c->in.cap == NET_READ_CHUNK && loop->_spare_in_n < NET_LOOP_SPARE_IN) {
        loop->_spare_in[loop->_spare_in_n++] = c->in.data;
        buf_init(&c->in);
        return;
    }
    buf_deinit(&c->in);
}

static int tls_decrypt(net_conn_t *c, const char *data, size_t len);

/* The peer sent its last byte (EOF, or TLS close_notify). A draining
 * connection with frames still to write lets them finish, as the peer may
 * still read, and closes then (flush sees _peer_eof); any other closes now. */
static void peer_done(net_conn_t *c)
{
    if (c->_draining && (c->_q_len > 0 || c->_writing)) {
        c->_peer_eof = 1;
        uv_read_stop((uv_stream_t *)&c->_tcp);
        return;
    }
    net_conn_close(c);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    net_conn_t *c = s->data;
    if (n == 0) {
        release_input(c);
        return;
    }
    if (n < 0) {
        if (n != UV_EOF)
            log_debug("net conn=%llu read failed err=%s", (unsigned long long)c->id,
                      uv_err_name((int)n));
        if (n == UV_EOF)
            peer_done(c);
        else
            net_conn_close(c);
        return;
    }
    size_t had = c->in.len;
    if (!c->_tls)
        buf_commit(&c->in, (size_t)n);
    else if (tls_decrypt(c, b->base, (size_t)n) != 0)
        return;
    if (c->_idle_ms) c->_idle_deadline = uv_now(&c->loop->uv) + c->_idle_ms;
    if (c->in.len == had) return; /* TLS: a handshake message, no plaintext */
    if (c->_draining) {
        /* Half-close: input after our last frame is read and dropped. */
        buf_reset(&c->in);
        release_input(c);
        return;
    }
    if (c->_handler && c->_handler->on_read) c->_handler->on_read(c);
    release_input(c);
}

int net_conn_over_limit(const net_conn_t *c)
{
    return c->_out_bytes > c->_max_out;
}

void net_conn_pause_read(net_conn_t *c)
{
    if (c->_closing || c->_read_paused) return;
    c->_read_paused = 1;
    uv_read_stop((uv_stream_t *)&c->_tcp);
}

void net_conn_resume_read(net_conn_t *c)
{
    if (c->_closing || !c->_read_paused) return;
    c->_read_paused = 0;
    uv_read_start((uv_stream_t *)&c->_tcp, on_alloc, on_read);
}

/* ---- TLS ----------------------------------------------------------------- */

void net_conn_use_tls(net_conn_t *c, net_tls_ctx_t *ctx)
{
    c->_tls = net_tls_new(ctx);
    net_conn_set_deadline(c, uv_now(&c->loop->uv) + net_tls_ctx_handshake_ms(ctx));
}

/* The session failed: send the alert OpenSSL queued, if the socket takes
 * it now, and close. */
static void tls_fail(net_conn_t *c, const char *what)
{
    buf_t *out = net_tls_out(c->_tls);
    if (!net_tls_ready(c->_tls)) METRIC_INC(tls_handshake_failures_total);
    log_debug("net conn=%llu tls %s reason=%s", (unsigned long long)c->id, what,
              net_tls_error(c->_tls));
    if (out->len > 0 && !c->_writing) {
        uv_buf_t b = uv_buf_init(buf_head(out), (unsigned)out->len);
        uv_try_write((uv_stream_t *)&c->_tcp, &b, 1);
    }
    net_conn_close(c);
}

/* Ciphertext arrived: decrypt it into c->in. Returns 0, or -1 when the
 * connection is closing (failed, or the peer's close_notify). */
static int tls_decrypt(net_conn_t *c, const char *data, size_t len)
{
    net_tls_t *t = c->_tls;
    int was_ready = net_tls_ready(t);
    int rc = net_tls_read(t, data, len, &c->in);
    if (rc == NET_TLS_FAILED) {
        tls_fail(c, was_ready ? "failed" : "handshake failed");
        return -1;
    }
    if (!was_ready && net_tls_ready(t)) {
        METRIC_INC(tls_handshakes_total);
        /* The handler may set its own deadline from now on. */
        net_conn_set_deadline(c, 0);
        log_debug("net conn=%llu tls handshake done version=%s", (unsigned long long)c->id,
                  net_tls_version(t));
    }
    /* Handshake messages to answer, or payloads that waited for it. */
    if (net_tls_out(t)->len > 0 || (net_tls_ready(t) && c->_q_len > 0))
        net_loop_defer(c->loop, &c->_flush);
    if (rc == NET_TLS_EOF) {
        peer_done(c);
        return -1;
    }
    return 0;
}

static void on_tls_write_done(uv_write_t *req, int status)
{
    net_conn_t *c = req->data;
    c->_writing = 0;
    buf_deinit(&c->_slow->tls_sending);
    if (c->_closing) return;
    if (status < 0) {
        write_failed(c, status);
        return;
    }
    flush_tls(c);
}

/* The TLS twin of flush(): encrypt what is queued, a batch at a time, into
 * the session's ciphertext buffer and write that with one write. What the
 * kernel does not take goes to uv_write whole, and nothing more is
 * encrypted until it is written, so a client that does not read holds one
 * batch of ciphertext at most; its payloads stay in the queue, counted
 * against the cap and droppable as on a plain connection. */
static void flush_tls(net_conn_t *c)
{
    if (c->_closing || c->_writing) return;
    net_tls_t *t = c->_tls;
    buf_t *out = net_tls_out(t);
    for (;;) {
        while (c->_q_len > 0 && net_tls_ready(t) && out->len < NET_TLS_BATCH) {
            uv_buf_t iov[NET_MAX_IOV];
            size_t bytes;
            size_t n = q_iov(c, iov, NET_MAX_IOV, &bytes);
            if (n == 0) {
                q_consume(c, 0);
                break;
            }
            long took = net_tls_write(t, iov, n, NET_TLS_BATCH - out->len);
            if (took < 0) {
                tls_fail(c, "failed");
                return;
            }
            if (took == 0) break;
            q_consume(c, (size_t)took);
        }
        if (c->_draining && c->_q_len == 0) net_tls_shutdown(t);
        if (out->len == 0) break;
        uv_buf_t b = uv_buf_init(buf_head(out), (unsigned)out->len);
        int w = uv_try_write((uv_stream_t *)&c->_tcp, &b, 1);
        if (w == UV_EAGAIN) w = 0;
        if (w < 0) {
            write_failed(c, w);
            return;
        }
        buf_consume(out, (size_t)w);
        if (out->len > 0) {
            /* libuv owns the rest until it is written; new ciphertext (a
             * handshake answer, the next batch) starts a new buffer. */
            struct net_conn_slow *sl = slow_of(c);
            sl->tls_sending = *out;
            *out = (buf_t)BUF_INIT;
            b = uv_buf_init(buf_head(&sl->tls_sending), (unsigned)sl->tls_sending.len);
            sl->wreq.data = c;
            if (uv_write(&sl->wreq, (uv_stream_t *)&c->_tcp, &b, 1, on_tls_write_done) != 0) {
                buf_deinit(&sl->tls_sending);
                net_conn_close(c);
                return;
            }
            c->_writing = 1;
            return;
        }
        /* All written: an idle connection keeps no ciphertext buffer. */
        buf_deinit(out);
        if (c->_q_len == 0 || !net_tls_ready(t)) break;
    }
    if (c->_draining && c->_q_len == 0) drained(c);
}

/* ---- setup --------------------------------------------------------------- */

net_conn_t *net_conn_accept(net_loop_t *loop, uv_stream_t *server, size_t max_out)
{
    net_conn_t *c = xcalloc(1, sizeof *c);
    atomic_fetch_add(&conns_open, 1);
    c->id = atomic_fetch_add(&next_conn_id, 1);
    c->loop = loop;
    c->_max_out = max_out;
    buf_init(&c->in);
    c->_q = c->_q_inline;
    c->_q_cap = NET_Q_INLINE;
    net_deferred_init(&c->_flush, on_flush);
    list_insert_tail(&loop->_conns, &c->_loop_node);
    list_init(&c->_timed_node);
    uv_tcp_init(&loop->uv, &c->_tcp);
    c->_tcp.data = c;
    int rc = uv_accept(server, (uv_stream_t *)&c->_tcp);
    if (rc != 0) {
        log_warn("net accept failed err=%s", uv_err_name(rc));
        net_conn_close(c);
        return NULL;
    }
    uv_tcp_nodelay(&c->_tcp, 1);
    uv_read_start((uv_stream_t *)&c->_tcp, on_alloc, on_read);
    return c;
}

void net_conn_set_handler(net_conn_t *c, const net_conn_handler_t *h, void *data)
{
    c->_handler = h;
    c->data = data;
}

void net_conn_peer(const net_conn_t *c, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    out[0] = '\0';
    if (uv_tcp_getpeername(&c->_tcp, (struct sockaddr *)&ss, &len) != 0) return;
    char ip[64] = "";
    int port = 0;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        uv_ip4_name(a, ip, sizeof ip);
        port = ntohs(a->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        uv_ip6_name(a, ip, sizeof ip);
        port = ntohs(a->sin6_port);
    }
    snprintf(out, cap, "%s:%d", ip, port);
}

size_t net_conn_count(void)
{
    return atomic_load(&conns_open);
}

long net_fds_available(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -errno;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -errno;
    long open_now = -1; /* the directory's own descriptor is listed too */
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.') open_now++;
    closedir(d);
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)LONG_MAX) return LONG_MAX;
    return (long)rl.rlim_cur - open_now;
}

void net_loop_close_conns(net_loop_t *loop)
{
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &loop->_conns)
    {
        net_conn_close(LIST_ENTRY(it, net_conn_t, _loop_node));
    }
}

/* Only connections with something to time out are on the sweep's list:
 * thousands of WebSocket connections (kept alive by pings) cost the
 * once-a-second sweep nothing. */
static void update_timed(net_conn_t *c)
{
    int timed = c->_idle_ms || c->_deadline;
    if (timed && !list_linked(&c->_timed_node))
        list_insert_tail(&c->loop->_timed, &c->_timed_node);
    else if (!timed)
        list_unlink(&c->_timed_node);
}

void net_conn_set_idle_timeout(net_conn_t *c, uint64_t ms)
{
    c->_idle_ms = ms;
    c->_idle_deadline = ms ? uv_now(&c->loop->uv) + ms : 0;
    update_timed(c);
}

void net_conn_set_deadline(net_conn_t *c, uint64_t at_ms)
{
    c->_deadline = at_ms;
    update_timed(c);
}

void net__sweep_idle(uv_timer_t *t)
{
    net_loop_t *loop = t->data;
    uint64_t now = uv_now(&loop->uv);
    list_t *it, *tmp;
    LIST_FOREACH_SAFE(it, tmp, &loop->_timed)
    {
        net_conn_t *c = LIST_ENTRY(it, net_conn_t, _timed_node);
        if (c->_closing) continue;
        if (c->_idle_ms && now > c->_idle_deadline) {
            log_debug("net conn=%llu idle timeout", (unsigned long long)c->id);
            net_conn_close(c);
        } else if (c->_deadline && !c->_draining && now >= c->_deadline) {
            net_conn_set_deadline(c, 0);
            if (c->_tls && !net_tls_ready(c->_tls)) {
                /* A TLS handshake past its deadline: nobody to answer. */
                METRIC_INC(tls_handshake_timeouts_total);
                log_debug("net conn=%llu tls handshake timeout", (unsigned long long)c->id);
                net_conn_close(c);
            } else if (c->_handler && c->_handler->on_deadline)
                c->_handler->on_deadline(c);
            else
                net_conn_close(c);
        }
    }
}
